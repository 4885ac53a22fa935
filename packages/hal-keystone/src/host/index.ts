/**
 * The host side of the Keystone model (untrusted): what the SDK's Enclave class and the
 * kernel driver do. It creates the UTM, starts the machine, hands it the loader, runtime
 * and application files to lay page by page, checks the SM's measurement against its own
 * (Enclave::measure), runs the enclave and serves its edge calls. It holds no reference
 * into enclave memory: only the UTM and the control word are shared.
 */
import { Worker } from 'node:worker_threads';
import {
  CALL_STATUS_BAD_CALL_ID, CALL_STATUS_BAD_OFFSET, CALL_STATUS_OK, EDGECALL_CONSOLE,
  EDGECALL_SYSCALL, STAT_SIZE, SYS_clock_gettime, SYS_fstat, SYS_ioctl, SYS_read, SYS_write, TCGETS, TERMIOS_SIZE,
  TIOCGWINSZ, WINSIZE_SIZE,
} from '../constants.ts';
import { EDGE_DATA, SARGS, getU64, readHeader, setI64, validRange, writeReturn } from '../edge/wire.ts';
import { CTL_BYTES, CTL_EDGE_CALL, CTL_EXITED, CTL_RUNNING, CTL_STATE, type BootArgs, type MachineToHost, type RuntimeParams } from '../machine/protocol.ts';
import { keystoneEnclaveHash } from '../identity/measure.ts';
export { keystoneEnclaveHash } from '../identity/measure.ts';
import { useNativeSha3 } from './native-sha3.ts';
import { waitWhileState } from '@teeos/hal/wait';
import { whileBooting, requireSameMeasurement } from '@teeos/hal/boot';

useNativeSha3();

/** What the host offers the enclave: Linux-shaped services on the host's own descriptors. */
export interface HostServices {
  write(fd: number, data: Uint8Array): number;
  /** Bytes read, or a negative errno. */
  read(fd: number, len: number): Uint8Array | number;
  /** A struct stat (128 bytes) or a negative errno. */
  fstat(fd: number): Uint8Array | number;
  /** TCGETS: a 36-byte termios, or a negative errno (ENOTTY). */
  tcgets(fd: number): Uint8Array | number;
  winsize(fd: number): { rows: number; cols: number } | number;
  clock(clockId: number): { sec: number; nsec: number } | number;
  console(text: string): void;
  /**
   * Host file calls (root image, --mount directories): a Linux file syscall by number with its
   * integer args, input bytes and the room for its output (see HostFileRequest in @teeos/hal).
   * Absent: ENOSYS.
   */
  fs?(nr: number, args: number[], data: Uint8Array, outLen: number): { ret: number; out?: Uint8Array };
  /** TCSETS (0) / TCSETSW (1) / TCSETSF (2) on a host terminal; absent: ENOTTY. */
  tcsets?(fd: number, action: number, termios: Uint8Array): number;
}

/** The syscall numbers the TEE OS file extension carries (sargs_teeos_fs). */
export const FS_SYSCALLS: ReadonlySet<number> = new Set([34, 35, 36, 37, 38, 46, 53, 56, 57, 61, 67, 68, 78, 79, 286]);

export interface KeystoneFiles {
  loader: Uint8Array;
  runtime: Uint8Array;
  eapp: Uint8Array;
  /** The SM firmware image (the machine bundle) the boot ROM measures. */
  smImage: Uint8Array;
}

export interface KeystoneCreateOptions {
  machinePath: string | URL;
  /**
   * Where the machine's thread comes from: by default a new Worker of machinePath; the CLI
   * passes a thread it started before it was loaded (host/src/prestart.ts).
   */
  spawn?: (machinePath: string | URL) => Worker | Promise<Worker>;
  epmSize: number;
  utmSize: number;
}

export interface RunResult {
  /** The wait status (Linux encoding) or KERNEL_PANIC (-1). */
  status: number;
  instret: number;
  hostCalls: number;
}

const ENOSYS = 38, EINVAL = 22;
/** How long the host waits synchronously for the next edge call before yielding. */
const SYNC_WAIT_MS = 1;

export class KeystoneEnclave {
  #expected: Uint8Array | null = null;
  private worker: Worker | null = null;
  private readonly utm: SharedArrayBuffer;
  private readonly ctl: SharedArrayBuffer;
  params: RuntimeParams | null = null;
  measurement: Uint8Array | null = null;
  hostCalls = 0;

  constructor(private readonly files: KeystoneFiles, private readonly opts: KeystoneCreateOptions) {
    this.utm = new SharedArrayBuffer(opts.utmSize);
    this.ctl = new SharedArrayBuffer(CTL_BYTES);
  }

  /** Enclave::measure: the hash the SM must report (computed once, when first asked). */
  get expectedMeasurement(): Uint8Array {
    this.#expected ??= keystoneEnclaveHash(this.files.loader, this.files.runtime, this.files.eapp);
    return this.#expected;
  }

  private next(w: Worker): Promise<MachineToHost> {
    return new Promise((resolve, reject) => {
      const onMsg = (m: MachineToHost) => { cleanup(); resolve(m); };
      const onErr = (e: Error) => { cleanup(); reject(e); };
      const onExit = (code: number) => { cleanup(); reject(new Error(`the enclave machine stopped (code ${code})`)); };
      const cleanup = () => { w.off('message', onMsg); w.off('error', onErr); w.off('exit', onExit); };
      w.on('message', onMsg);
      w.on('error', onErr);
      w.on('exit', onExit);
    });
  }

  /** Boots the machine, lays the files, and checks the measurement. */
  async start(): Promise<Uint8Array> {
    const w = await (this.opts.spawn?.(this.opts.machinePath) ?? new Worker(this.opts.machinePath));
    this.worker = w;
    const created = this.next(w);
    w.postMessage({
      type: 'create', epmSize: this.opts.epmSize, utmSize: this.opts.utmSize, utm: this.utm, ctl: this.ctl,
      loader: this.files.loader, runtime: this.files.runtime, eapp: this.files.eapp, smImage: this.files.smImage,
    });
    const want = await whileBooting(w, created, () => this.expectedMeasurement);
    const m = await created;
    if (m.type === 'error') throw new Error(`enclave creation failed: ${m.message}`);
    if (m.type !== 'created') throw new Error(`unexpected reply from the machine: ${m.type}`);
    const got = m.measurement;
    await requireSameMeasurement(w, got, want, 'the security monitor measured a different enclave than the host laid out');
    this.params = m.params;
    this.measurement = got;
    return got;
  }

  /**
   * Runs the enclave to its end, serving edge calls. `tamper`, when given, rewrites each
   * reply in the UTM after it is served: a hostile host, on demand (`teeos run --hostile`).
   */
  async run(boot: BootArgs, services: HostServices, tamper?: (dv: DataView, utm: Uint8Array, n: number) => void): Promise<RunResult> {
    const w = this.worker;
    if (!w) throw new Error('run before start');
    const ctl = new Int32Array(this.ctl);
    const utm = new Uint8Array(this.utm);
    const dv = new DataView(this.utm);
    let done = false;
    const finished = new Promise<RunResult>((resolve, reject) => {
      w.on('message', (m: MachineToHost) => {
        if (m.type === 'exited') {
          done = true;
          resolve({ status: m.status, instret: m.instret, hostCalls: this.hostCalls });
        } else if (m.type === 'error') {
          done = true;
          reject(new Error(`enclave failure: ${m.message}`));
        }
      });
      w.on('error', (e) => { done = true; reject(e); });
      w.on('exit', (code) => { if (!done) { done = true; reject(new Error(`the enclave machine stopped (code ${code})`)); } });
    });
    const serve = async () => {
      while (!done) {
        // A chatty enclave makes its next call within microseconds: wait for it synchronously
        // for a moment (no event-loop round trip), then yield to the event loop (worker
        // messages, exit) while it computes.
        await waitWhileState(ctl, CTL_STATE, CTL_RUNNING, SYNC_WAIT_MS, finished, () => done);
        const state = Atomics.load(ctl, CTL_STATE);
        if (state === CTL_EXITED || done) return;
        if (state !== CTL_EDGE_CALL) continue;
        this.hostCalls++;
        serveEdgeCall(dv, utm, services);
        tamper?.(dv, utm, this.hostCalls);
        Atomics.store(ctl, CTL_STATE, CTL_RUNNING);
        Atomics.notify(ctl, CTL_STATE);
      }
    };
    w.postMessage({ type: 'run', boot });
    void serve();
    try {
      return await finished;
    } finally {
      // Not awaited: the enclave is over, and a loaded machine takes up to ~0.2 s to join the
      // machine's thread (process exit stops it anyway; its exit listeners see `done`).
      void w.terminate();
    }
  }
}

/** incoming_call_dispatch + the host half of edge_syscall.c, with the SDK's bounds checks. */
export function serveEdgeCall(dv: DataView, utm: Uint8Array, s: HostServices): void {
  const len = utm.length;
  const h = readHeader(dv);
  if (!validRange(h.argOffset, h.argSize, len)) {
    writeReturn(dv, CALL_STATUS_BAD_OFFSET, 0, 0);
    return;
  }
  if (h.callId === EDGECALL_CONSOLE) {
    s.console(new TextDecoder().decode(utm.subarray(h.argOffset, h.argOffset + h.argSize)));
    writeReturn(dv, CALL_STATUS_OK, 0, 0);
    return;
  }
  if (h.callId !== EDGECALL_SYSCALL) {
    writeReturn(dv, CALL_STATUS_BAD_CALL_ID, 0, 0);
    return;
  }
  const nr = getU64(dv, EDGE_DATA);
  const end = h.argOffset + h.argSize;
  const need = (n: number) => SARGS + n <= end;
  let ret: number;
  switch (nr) {
    case SYS_write: {
      const fd = dv.getInt32(SARGS, true);
      const n = getU64(dv, SARGS + 8);
      if (!need(16) || !validRange(SARGS + 16, n, end)) { ret = -EINVAL; break; }
      ret = s.write(fd, utm.slice(SARGS + 16, SARGS + 16 + n));
      break;
    }
    case SYS_read: {
      const fd = dv.getInt32(SARGS, true);
      const n = getU64(dv, SARGS + 8);
      if (!need(16) || !validRange(SARGS + 16, n, end)) { ret = -EINVAL; break; }
      const r = s.read(fd, n);
      if (typeof r === 'number') ret = r;
      else { utm.set(r.subarray(0, n), SARGS + 16); ret = Math.min(r.length, n); }
      break;
    }
    case SYS_fstat: {
      if (!need(8 + STAT_SIZE)) { ret = -EINVAL; break; }
      const r = s.fstat(dv.getInt32(SARGS, true));
      if (typeof r === 'number') ret = r;
      else { utm.set(r.subarray(0, STAT_SIZE), SARGS + 8); ret = 0; }
      break;
    }
    case SYS_ioctl: {
      const fd = dv.getInt32(SARGS, true);
      const req = getU64(dv, SARGS + 8);
      if (req === TCGETS && need(16 + TERMIOS_SIZE)) {
        const r = s.tcgets(fd);
        if (typeof r === 'number') ret = r;
        else { utm.set(r.subarray(0, TERMIOS_SIZE), SARGS + 16); ret = 0; }
      } else if (req === TIOCGWINSZ && need(16 + WINSIZE_SIZE)) {
        const r = s.winsize(fd);
        if (typeof r === 'number') ret = r;
        else { dv.setUint16(SARGS + 16, r.rows, true); dv.setUint16(SARGS + 18, r.cols, true); dv.setUint32(SARGS + 20, 0, true); ret = 0; }
      } else if (req >= TCGETS + 1 && req <= TCGETS + 3 && need(16 + TERMIOS_SIZE)) {
        ret = s.tcsets ? s.tcsets(fd, req - TCGETS - 1, utm.slice(SARGS + 16, SARGS + 16 + TERMIOS_SIZE)) : -25;
      } else ret = -EINVAL;
      break;
    }
    case SYS_clock_gettime: {
      if (!need(24)) { ret = -EINVAL; break; }
      const r = s.clock(dv.getInt32(SARGS, true));
      if (typeof r === 'number') ret = r;
      else { setI64(dv, SARGS + 8, r.sec); setI64(dv, SARGS + 16, r.nsec); ret = 0; }
      break;
    }
    default:
      if (FS_SYSCALLS.has(nr)) {
        // sargs_teeos_fs: { i64 a0..a3@0; u64 in_len@32; u64 out_len@40; u8 buf[]@48 }
        const inLen = getU64(dv, SARGS + 32), outLen = getU64(dv, SARGS + 40);
        if (!need(48) || !need(48 + inLen) || !need(48 + outLen)) { ret = -EINVAL; break; }
        if (!s.fs) { ret = -ENOSYS; break; }
        const args = [0, 8, 16, 24].map((o) => Number(dv.getBigInt64(SARGS + o, true)));
        const r = s.fs(nr, args, utm.slice(SARGS + 48, SARGS + 48 + inLen), outLen);
        if (r.out) utm.set(r.out.subarray(0, outLen), SARGS + 48);
        ret = r.ret;
        break;
      }
      ret = -ENOSYS;
  }
  setI64(dv, EDGE_DATA, ret);
  writeReturn(dv, CALL_STATUS_OK, EDGE_DATA, 8);
}
