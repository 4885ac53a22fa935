/**
 * The host side of the SGX model (untrusted): what the SGX driver (arch/x86/kernel/cpu/sgx) and an
 * untrusted runtime (the SDK's urts, Gramine's pal-sgx host) do. It computes MRENCLAVE from the
 * build plan, signs a SIGSTRUCT for it, builds the enclave with ECREATE / EADD + EEXTEND / EINIT
 * (refusing to run when the machine measured something else), EENTERs it, serves its OCALLs,
 * ERESUMEs it after every AEX, and manages the EPC pages it hands out: EAUG on a #PF inside
 * ELRANGE (the driver's sgx_encl_eaug_page), EMODPR / EMODT / EREMOVE when the enclave asks.
 * It never sees the EPC: only untrusted memory and the control block are shared.
 */
import { Worker } from 'node:worker_threads';
import { MrEnclaveBuilder } from '../mrenclave.ts';
import { defaultSigstructBody, signSigstruct, type RsaSigningKey } from '../sigstruct.ts';
import {
  PAGE, CTL_BYTES, CTL_STATE, CTL_RUNNING, CTL_EEXIT, CTL_AEX, CTL_EXITED, CTL_ENCLS, CTL_LEAF, CTL_STATUS,
  CTL_VECTOR, CTL_RDI_Q, CTL_RSI_Q, CTL_ARG0_Q, CTL_ARG1_Q, CTL_FAULT_Q, ECMD_ORET, ENCLS_EAUG, ENCLS_EMODPR,
  ENCLS_EMODT, ENCLS_EREMOVE, ELRANGE_BASE, ELRANGE_SIZE, RT_BASE, SSA_FRAME_PAGES, UNTRUSTED_SIZE, VECTOR_PF, PT_TRIM,
  OCALL_WRITE, OCALL_READ, OCALL_FSTAT, OCALL_TCGETS, OCALL_WINSIZE, OCALL_CLOCK, OCALL_CONSOLE, OCALL_EXIT,
  OCALL_EMODPR, OCALL_TRIM, OCALL_REMOVE, OCALL_FS, OCALL_TCSETS, MS_FS_INPUT, MS_INDEX, MS_RETVAL, MS_ARG0, MS_ARG1, MS_OUT_LEN, MS_OUT0, MS_OUT1, MS_DATA,
  STAT_SIZE, TERMIOS_SIZE, sgxBuildPlan, type EaddOp, type EnclaveConfig, type MachineToHost, type SgxBootArgs,
} from '../machine/protocol.ts';

/** What the host offers the enclave: Linux-shaped services on the host's own descriptors. */
export interface HostServices {
  write(fd: number, data: Uint8Array): number;
  read(fd: number, len: number): Uint8Array | number;
  fstat(fd: number): Uint8Array | number;
  tcgets(fd: number): Uint8Array | number;
  /** TCSETS (0), TCSETSW (1), TCSETSF (2); absent: ENOTTY. */
  tcsets?(fd: number, action: number, termios: Uint8Array): number;
  winsize(fd: number): { rows: number; cols: number } | number;
  clock(clockId: number): { sec: number; nsec: number } | number;
  console(text: string): void;
  /** Host file calls (a Linux file syscall by number); absent: ENOSYS. */
  fs?(nr: number, args: number[], data: Uint8Array, outLen: number): { ret: number; out?: Uint8Array };
}

export interface SgxFiles {
  /** The runtime bundle (dist/runtime-sgx.mjs) and the application ELF. */
  runtime: Uint8Array;
  app: Uint8Array;
}

export interface SgxCreateOptions {
  machinePath: string | URL;
  /** EPC bytes for this enclave. */
  epcSize: number;
  tcs: number;
  signingKey: RsaSigningKey;
}

export interface RunResult {
  status: number;
  instret: number;
  hostCalls: number;
  aex: number;
}

/** MRENCLAVE of a build plan (what EINIT will find; no machine needed). */
export function mrenclaveOf(ops: readonly EaddOp[]): Uint8Array {
  const b = new MrEnclaveBuilder().ecreate(SSA_FRAME_PAGES, ELRANGE_SIZE);
  for (const o of ops) b.addPage(o.lin - ELRANGE_BASE, o.flags, o.data, o.measure);
  return b.einit();
}

export function sgxExpectedMeasurement(files: SgxFiles, tcs: number): Uint8Array {
  return mrenclaveOf(sgxBuildPlan(files.runtime, files.app, tcs).ops);
}

const EINVAL = 22, ENOTTY = 25, ENOSYS = 38;
const EADD_BATCH = 256;

export class SgxEnclave {
  readonly expectedMeasurement: Uint8Array;
  readonly ops: EaddOp[];
  readonly config: EnclaveConfig;
  readonly sigstruct: Uint8Array;
  mrsigner: Uint8Array | null = null;
  private worker: Worker | null = null;
  private readonly untrusted = new SharedArrayBuffer(UNTRUSTED_SIZE);
  private readonly ctlBuf = new SharedArrayBuffer(CTL_BYTES);
  /** The driver's EPC bookkeeping: free pages, and the page behind each EAUGed linear page. */
  private readonly freeEpc: number[] = [];
  private readonly augmented = new Map<number, number>();
  private nextEpc = 0;
  hostCalls = 0;
  aex = 0;

  constructor(files: SgxFiles, private readonly opts: SgxCreateOptions) {
    const plan = sgxBuildPlan(files.runtime, files.app, opts.tcs);
    this.ops = plan.ops;
    this.config = plan.config;
    this.expectedMeasurement = mrenclaveOf(plan.ops);
    this.sigstruct = signSigstruct(defaultSigstructBody(this.expectedMeasurement), opts.signingKey);
  }

  private allocEpc(): number {
    const p = this.freeEpc.pop();
    if (p !== undefined) return p;
    return this.nextEpc < this.opts.epcSize / PAGE ? this.nextEpc++ : -1;
  }

  private next(w: Worker): Promise<MachineToHost> {
    return new Promise((resolve, reject) => {
      const onMsg = (m: MachineToHost) => { cleanup(); resolve(m); };
      const onErr = (e: Error) => { cleanup(); reject(e); };
      const onExit = (code: number) => { cleanup(); reject(new Error(`the SGX machine stopped (code ${code})`)); };
      const cleanup = () => { w.off('message', onMsg); w.off('error', onErr); w.off('exit', onExit); };
      w.on('message', onMsg);
      w.on('error', onErr);
      w.on('exit', onExit);
    });
  }

  private async command(w: Worker, msg: unknown): Promise<MachineToHost> {
    const r = this.next(w);
    w.postMessage(msg);
    const m = await r;
    if (m.type === 'error') { await w.terminate(); throw new Error(`SGX enclave build failed: ${m.message}`); }
    return m;
  }

  /**
   * ECREATE, EADD + EEXTEND of every page, EINIT with `sigstruct` (default: the one the host
   * signed for the MRENCLAVE it computed). Returns MRENCLAVE; throws when EINIT refuses or the
   * machine measured something other than the host.
   */
  async start(sigstruct: Uint8Array = this.sigstruct): Promise<Uint8Array> {
    const w = new Worker(this.opts.machinePath);
    this.worker = w;
    await this.command(w, { type: 'create', epcSize: this.opts.epcSize, untrusted: this.untrusted, ctl: this.ctlBuf });
    await this.command(w, { type: 'ecreate', base: ELRANGE_BASE, size: ELRANGE_SIZE, ssaFrameSize: SSA_FRAME_PAGES });
    if (this.ops.length > this.opts.epcSize / PAGE) { await w.terminate(); throw new Error('the enclave image does not fit the EPC'); }
    for (let i = 0; i < this.ops.length; i += EADD_BATCH) {
      const ops = this.ops.slice(i, i + EADD_BATCH).map((o) => ({ lin: o.lin, epcPage: this.nextEpc++, flags: o.flags, data: o.data, measure: o.measure }));
      await this.command(w, { type: 'eadd', ops });
    }
    const m = await this.command(w, { type: 'einit', sigstruct });
    if (m.type !== 'initialized') throw new Error(`unexpected reply from the machine: ${m.type}`);
    const got = m.mrenclave, want = this.expectedMeasurement;
    if (got.length !== want.length || got.some((b, i) => b !== want[i])) {
      await w.terminate();
      throw new Error('the machine measured an MRENCLAVE other than the one the host computed; refusing to run');
    }
    this.mrsigner = m.mrsigner;
    return got;
  }

  /** EENTERs the enclave and serves it to its end. */
  async run(boot: SgxBootArgs, services: HostServices): Promise<RunResult> {
    const w = this.worker;
    if (!w) throw new Error('run before start');
    const ctl = new Int32Array(this.ctlBuf);
    const q = new BigUint64Array(this.ctlBuf);
    const u = new Uint8Array(this.untrusted);
    let done = false;
    let exitStatus: number | null = null;
    let settle!: (r: RunResult | Error) => void;
    const finished = new Promise<RunResult>((resolve, reject) => {
      settle = (r) => { if (done) return; done = true; if (r instanceof Error) reject(r); else resolve(r); };
    });
    w.on('message', (m: MachineToHost) => {
      if (m.type === 'exited') {
        if (exitStatus === null) settle(new Error('the enclave halted without an exit OCALL'));
        else settle({ status: exitStatus, instret: m.instret, hostCalls: this.hostCalls, aex: this.aex });
      } else if (m.type === 'error') settle(new Error(`enclave failure: ${m.message}`));
    });
    w.on('error', (e) => settle(e));
    w.on('exit', (code) => settle(new Error(`the SGX machine stopped (code ${code})`)));
    const stop = () => { Atomics.store(ctl, CTL_STATE, CTL_EXITED); Atomics.notify(ctl, CTL_STATE); };
    const waitWhile = async (state: number) => {
      // The enclave exits again within microseconds when it is chatty (and the machine answers
      // ENCLS at once): wait synchronously for a moment, then yield to the event loop.
      if (Atomics.wait(ctl, CTL_STATE, state, 1) !== 'timed-out') return;
      const r = Atomics.waitAsync(ctl, CTL_STATE, state);
      if (r.async) await Promise.race([r.value, finished.catch(() => undefined)]);
    };
    /** ENCLS executed by the machine while the enclave thread is outside. */
    const encls = async (leaf: number, a0: number, a1: number): Promise<number> => {
      q[CTL_ARG0_Q] = BigInt(a0);
      q[CTL_ARG1_Q] = BigInt(a1);
      Atomics.store(ctl, CTL_LEAF, leaf);
      Atomics.store(ctl, CTL_STATE, CTL_ENCLS);
      Atomics.notify(ctl, CTL_STATE);
      await waitWhile(CTL_ENCLS);
      return Atomics.load(ctl, CTL_STATUS);
    };
    const inUser = (va: number) => Number.isSafeInteger(va) && va % PAGE === 0 && va >= ELRANGE_BASE && va < RT_BASE;
    const ocall = async (): Promise<void> => {
      const index = Number(q[CTL_RDI_Q]), off = Number(q[CTL_RSI_Q]);
      if (!Number.isSafeInteger(off) || off < 0 || off + MS_DATA > u.length) throw new Error('OCALL frame outside untrusted memory');
      const dv = new DataView(this.untrusted, off);
      const room = u.length - off - MS_DATA;
      if (dv.getUint32(MS_INDEX, true) !== index) throw new Error('OCALL frame index differs from RDI');
      const arg0 = Number(dv.getBigInt64(MS_ARG0, true));
      const arg1 = dv.getBigUint64(MS_ARG1, true);
      const data = off + MS_DATA;
      const fd = arg0 | 0;
      let ret: number;
      this.hostCalls++;
      switch (index) {
        case OCALL_WRITE: case OCALL_CONSOLE: {
          if (arg1 > BigInt(room)) { ret = -EINVAL; break; }
          const bytes = u.slice(data, data + Number(arg1));
          if (index === OCALL_CONSOLE) { services.console(new TextDecoder().decode(bytes)); ret = 0; }
          else ret = services.write(fd, bytes);
          break;
        }
        case OCALL_READ: {
          if (arg1 > BigInt(room)) { ret = -EINVAL; break; }
          const n = Number(arg1);
          const r = services.read(fd, n);
          if (typeof r === 'number') ret = r;
          else { const k = Math.min(r.length, n); u.set(r.subarray(0, k), data); dv.setBigUint64(MS_OUT_LEN, BigInt(k), true); ret = k; }
          break;
        }
        case OCALL_FSTAT: case OCALL_TCGETS: {
          const size = index === OCALL_FSTAT ? STAT_SIZE : TERMIOS_SIZE;
          const r = index === OCALL_FSTAT ? services.fstat(fd) : services.tcgets(fd);
          if (typeof r === 'number') ret = r;
          else { u.set(r.subarray(0, size), data); dv.setBigUint64(MS_OUT_LEN, BigInt(size), true); ret = 0; }
          break;
        }
        case OCALL_WINSIZE: {
          const r = services.winsize(fd);
          if (typeof r === 'number') ret = r;
          else { dv.setBigInt64(MS_OUT0, BigInt(r.rows), true); dv.setBigInt64(MS_OUT1, BigInt(r.cols), true); ret = 0; }
          break;
        }
        case OCALL_CLOCK: {
          const r = services.clock(arg0);
          if (typeof r === 'number') ret = r;
          else { dv.setBigInt64(MS_OUT0, BigInt(r.sec), true); dv.setBigInt64(MS_OUT1, BigInt(r.nsec), true); ret = 0; }
          break;
        }
        case OCALL_FS: {
          const outLen = Number(dv.getBigInt64(MS_OUT0, true));
          if (arg1 > BigInt(room - MS_FS_INPUT) || outLen < 0 || outLen > room) { ret = -EINVAL; break; }
          const args = [0, 8, 16, 24].map((o) => Number(dv.getBigInt64(MS_DATA + o, true)));
          const input = u.slice(data + MS_FS_INPUT, data + MS_FS_INPUT + Number(arg1));
          if (!services.fs) { ret = -ENOSYS; break; }
          const r = services.fs(arg0, args, input, outLen);
          const k = r.out ? Math.min(r.out.length, outLen) : 0;
          if (r.out) u.set(r.out.subarray(0, k), data);
          dv.setBigUint64(MS_OUT_LEN, BigInt(k), true);
          ret = r.ret;
          break;
        }
        case OCALL_TCSETS: {
          if (arg1 > 2n || room < TERMIOS_SIZE) { ret = -EINVAL; break; }
          ret = services.tcsets ? services.tcsets(fd, Number(arg1), u.slice(data, data + TERMIOS_SIZE)) : -ENOTTY;
          break;
        }
        case OCALL_EXIT:
          exitStatus = arg0;
          ret = 0;
          break;
        case OCALL_EMODPR: case OCALL_TRIM: case OCALL_REMOVE: {
          const p = this.augmented.get(arg0);
          if (p === undefined) { ret = -EINVAL; break; }
          const leaf = index === OCALL_EMODPR ? ENCLS_EMODPR : index === OCALL_TRIM ? ENCLS_EMODT : ENCLS_EREMOVE;
          const s = await encls(leaf, p, index === OCALL_EMODPR ? Number(arg1 & 7n) : PT_TRIM);
          if (s === 0 && index === OCALL_REMOVE) { this.augmented.delete(arg0); this.freeEpc.push(p); }
          ret = s === 0 ? 0 : -EINVAL;
          break;
        }
        default:
          ret = -ENOSYS;
      }
      dv.setBigInt64(MS_RETVAL, BigInt(ret), true);
    };
    /** After an AEX: a #PF inside the user range on a page the driver never added is answered with EAUG. */
    const aex = async (): Promise<void> => {
      this.aex++;
      if (Atomics.load(ctl, CTL_VECTOR) !== VECTOR_PF) return;
      const va = Number(q[CTL_FAULT_Q]);
      if (!inUser(va) || this.augmented.has(va)) return;
      const p = this.allocEpc();
      if (p < 0) return; // out of EPC: the enclave's EACCEPT fails and it sees ENOMEM
      const s = await encls(ENCLS_EAUG, va, p);
      if (s === 0) this.augmented.set(va, p);
      else this.freeEpc.push(p);
    };
    const serve = async () => {
      while (!done) {
        await waitWhile(CTL_RUNNING);
        if (done) return;
        const state = Atomics.load(ctl, CTL_STATE);
        if (state === CTL_EXITED) return;
        if (state === CTL_EEXIT) {
          await ocall();
          q[CTL_RDI_Q] = ECMD_ORET; // EENTER(ECMD_ORET)
          q[CTL_RSI_Q] = 0n;
        } else if (state === CTL_AEX) {
          await aex(); // then ERESUME
        } else continue;
        if (done) return;
        Atomics.store(ctl, CTL_STATE, CTL_RUNNING);
        Atomics.notify(ctl, CTL_STATE);
      }
    };
    w.postMessage({ type: 'run', boot });
    void serve().catch((e: unknown) => { stop(); settle(e instanceof Error ? e : new Error(String(e))); });
    try {
      return await finished;
    } finally {
      await w.terminate();
    }
  }
}

