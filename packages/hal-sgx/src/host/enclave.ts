/**
 * The host side of the SGX model (untrusted): what the SGX driver (arch/x86/kernel/cpu/sgx) and an
 * untrusted runtime (the SDK's urts, Gramine's pal-sgx host) do. It computes MRENCLAVE from the
 * build plan, signs a SIGSTRUCT for it, builds the enclave with ECREATE / EADD + EEXTEND / EINIT
 * (refusing to run when the machine measured something else), EENTERs it, serves its OCALLs,
 * ERESUMEs it after every AEX, and manages the EPC pages it hands out: EAUG on a #PF inside
 * ELRANGE (the driver's sgx_encl_eaug_page), EMODPR / EMODT / EREMOVE when the enclave asks.
 * It never sees the EPC: only untrusted memory and the control block are shared.
 */
import { Worker, MessageChannel, type MessagePort } from 'node:worker_threads';
import { concatBytes } from '@teeos/hal/bytes';
import { waitWhileState } from '@teeos/hal/wait';
import { whileBooting, requireSameMeasurement } from '@teeos/hal/boot';
import { MrEnclaveBuilder } from '../mrenclave.ts';
import { defaultSigstructBody, signSigstruct, type RsaSigningKey } from '../sigstruct.ts';
import {
  PAGE, CTL_BYTES, ENCLS_MANY, CTL_LIST_Q, CTL_LIST_MAX, CTL_STATE, CTL_RUNNING, CTL_EEXIT, CTL_AEX, CTL_EXITED, CTL_ENCLS, CTL_LEAF, CTL_STATUS,
  CTL_VECTOR, CTL_RDI_Q, CTL_RSI_Q, CTL_ARG0_Q, CTL_ARG1_Q, CTL_FAULT_Q, ECMD_ORET, ENCLS_EAUG, ENCLS_EMODPR,
  ENCLS_EMODT, ENCLS_EREMOVE, ELRANGE_BASE, ELRANGE_SIZE, RT_BASE, SSA_FRAME_PAGES, UNTRUSTED_SIZE, VECTOR_PF, PT_TRIM,
  OCALL_WRITE, OCALL_READ, OCALL_FSTAT, OCALL_TCGETS, OCALL_WINSIZE, OCALL_CLOCK, OCALL_CONSOLE, OCALL_EXIT,
  OCALL_EMODPR, OCALL_TRIM, OCALL_REMOVE, OCALL_TRIM_RANGES, OCALL_REMOVE_RANGES, OCALL_FS, OCALL_TCSETS, OCALL_SPAWN, OCALL_SPAWN_DATA, OCALL_SPAWN_SEND,
  OCALL_FORK_HELLO, OCALL_FORK_READ, OCALL_FORK_ACK, OCALL_FORK_WAIT, OCALL_PID, OCALL_IPC_SEND, OCALL_IPC_RECV, OCALL_CHAN, CTL_DOORBELL,
  CHAN_CREATE, CHAN_WRITE, CHAN_READ, CHAN_REFS, CHAN_UNREAD, OCALL_NAME, OCALL_USHM, USHM_CREATE, USHM_ATTACH, USHM_FWAIT,
  USHM_FCANCEL, USHM_FWAKE, USHM_FWOKEN, USHM_MAX_ID, USHM_REGION_SPAN, NAME_PUBLISH, NAME_UNPUBLISH, NAME_LOOKUP, MS_FS_INPUT, MS_INDEX, MS_RETVAL, MS_ARG0, MS_ARG1, MS_OUT_LEN, MS_OUT0, MS_OUT1, MS_DATA,
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
  /** The runtime bundle (dist/runtime-sgx.cjs) and the application ELF. */
  runtime: Uint8Array;
  app: Uint8Array;
}

export interface SgxCreateOptions {
  machinePath: string | URL;
  /**
   * Where the machine's thread comes from: by default a new Worker of machinePath; the CLI
   * passes a thread it started before it was loaded (host/src/prestart.ts).
   */
  spawn?: (machinePath: string | URL) => Worker | Promise<Worker>;
  /** EPC bytes for this enclave. */
  epcSize: number;
  tcs: number;
  /** The key, or where to get it (read when the SIGSTRUCT is first needed). */
  signingKey: RsaSigningKey | (() => RsaSigningKey);
  /**
   * Keep a spare enclave built and booted for the next fork (default true): a fork then costs
   * the handshake and the checkpoint, not building, measuring and booting a new enclave.
   */
  spare?: boolean;
  /**
   * Build the enclave with an untrusted shared memory window (measured: the config page and
   * ECREATE's SIZE change, so MRENCLAVE does): MAP_SHARED memory is then host memory that every
   * enclave of the family maps, and that the host can read and change.
   */
  untrustedShm?: boolean;
}

export interface RunResult {
  status: number;
  instret: number;
  hostCalls: number;
  aex: number;
}

/** MRENCLAVE of a build plan (what EINIT will find; no machine needed). */
export function mrenclaveOf(ops: readonly EaddOp[], elrangeSize = ELRANGE_SIZE): Uint8Array {
  const b = new MrEnclaveBuilder().ecreate(SSA_FRAME_PAGES, elrangeSize);
  for (const o of ops) b.addPage(o.lin - ELRANGE_BASE, o.flags, o.data, o.measure);
  return b.einit();
}

export function sgxExpectedMeasurement(files: SgxFiles, tcs: number, untrustedShm = false): Uint8Array {
  const plan = sgxBuildPlan(files.runtime, files.app, tcs, untrustedShm);
  return mrenclaveOf(plan.ops, plan.config.elrangeSize);
}

/** Rings one member's doorbell (it looks at its messages and channels again). */
function ringOne(m: Member): void {
  Atomics.add(m.ctl, CTL_DOORBELL, 1);
  Atomics.notify(m.ctl, CTL_DOORBELL);
}

/** A fork fails (EAGAIN in the parent) if its child enclave ends or fails before the handshake completes. */
function failForkWhenEnded(running: Promise<RunResult>, f: PendingFork): void {
  void running.then(() => f.fail(new Error('the child enclave ended')), (e: unknown) => f.fail(e instanceof Error ? e : new Error(String(e))));
}

const EBADF = 9, EAGAIN = 11, EADDRINUSE = 98, ESRCH = 3, EPIPE = 32, EINVAL = 22, ENOTTY = 25, ENOSYS = 38, ECANCELED = 125;
const EADD_BATCH = 256;

/**
 * The host's side of an SGX enclave family (fork = a new enclave; runtime/family.ts has the
 * protocol and what it protects). The host starts the child enclaves, carries the handshake and
 * the sealed checkpoint, routes sealed messages by pid, and keeps the sealed pipe channels. It
 * sees none of their contents; what it can do is what any host can: refuse, delay, drop.
 */
interface Member {
  ctl: Int32Array;
  inbox: Uint8Array[];
  /** Tokens of this enclave's futex waiters another enclave woke (untrusted shared memory). */
  woken: number[];
}
interface PendingFork {
  hello: Promise<Uint8Array>;
  gotHello(h: Uint8Array): void;
  chunks: Uint8Array[];
  sealed: Promise<Uint8Array | null>;
  sendSealed(s: Uint8Array | null): void;
  verdict: Promise<Uint8Array>;
  ack(a: Uint8Array): void;
  /** Rejects when the child enclave ended or failed before the fork completed. */
  gone: Promise<never>;
  fail(e: Error): void;
  checkpoint?: Uint8Array;
}
/** What a spare enclave is told when a fork takes it: the pid, the parent's hello, the fork's bookkeeping. */
interface SpareAssignment {
  pid: number;
  hello: Uint8Array;
  fork: PendingFork;
}
/** A spare enclave: built (or being built) and entered, waiting in OCALL_FORK_WAIT. */
interface Spare {
  /** false when it could not be built. */
  ready: Promise<boolean>;
  /** Gives it a fork to become, or null: the family is over and it stops. */
  assign(a: SpareAssignment | null): void;
}
/**
 * What a hostile host does (tests): flip a bit of the sealed checkpoint, replay the first one to
 * every later child, flip a bit of every record written to a channel (pipes and sockets
 * between enclaves), of every message between enclaves (requests and answers: exit, signals,
 * file and eventfd operations), or drop, replay or reorder one record in the middle of each channel;
 * or claim to trim (EMODT) the pages the enclave gives back while leaving them as they are.
 */
export type CheckpointTamper = 'flip' | 'replay' | 'channel' | 'message' | 'shared-memory' | 'drop' | 'dup' | 'swap' | 'trim';

/** A futex waiter registered with the host (untrusted shared memory). */
interface UshmWaiter { m: Member; region: number; off: number; bitset: number }

export class SgxFamilyHost {
  private nextPid = 2;
  private nextChannel = 1;
  readonly members = new Map<number, Member>();
  readonly forks = new Map<number, PendingFork>();
  readonly channels = new Map<number, { recs: Uint8Array[]; refs: Map<Member, [number, number]> }>();
  readonly enclaves = new Set<SgxEnclave>();
  /** Family-wide names (runtime/family.ts publish): tag (hex) -> the pid that published it. */
  readonly names = new Map<string, number>();
  private firstCheckpoint: Uint8Array | null = null;
  /**
   * Spare enclaves: SGX builds an enclave page by page (EADD, EEXTEND, EINIT) and its runtime
   * must boot before it can take a checkpoint, which is most of a fork's cost in this model.
   * So the host keeps one child enclave built, entered and waiting (OCALL_FORK_WAIT) for the
   * next fork, as a pre-forking server keeps a worker: it is the same measured image and holds
   * nothing until a parent's hello reaches it, so the handshake and what it proves are
   * unchanged. `spareFactory` is set by the family's first enclave (null: no spares).
   */
  spareFactory: (() => Spare) | null = null;
  private spare: Spare | null = null;
  private closed = false;
  /**
   * Machine threads whose enclaves have ended, kept for the family's next enclave. A host reuses
   * its threads; each enclave is still new (ECREATE, EADD/EEXTEND of every page, EINIT, a fresh EPC
   * memory and hart), but a fresh Worker costs ~150 ms of Node start-up and cold code first.
   */
  private readonly idleWorkers: Worker[] = [];
  takeWorker(): Worker | undefined {
    return this.closed ? undefined : this.idleWorkers.pop();
  }
  giveWorker(w: Worker): void {
    if (this.closed || this.idleWorkers.length >= IDLE_WORKERS) void w.terminate();
    else this.idleWorkers.push(w);
  }
  /** Untrusted shared memory: the host's own memory, one SharedArrayBuffer per region, by id. */
  readonly regions = new Map<number, SharedArrayBuffer>();
  private nextRegion = 1;
  readonly waiters = new Map<number, UshmWaiter>();
  private nextToken = 1;
  constructor(readonly tamper: CheckpointTamper | null = null, private readonly log: (line: string) => void = () => undefined) {}

  newRegion(size: number): number {
    if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE || size > USHM_REGION_SPAN || this.nextRegion >= USHM_MAX_ID) return -EINVAL;
    const id = this.nextRegion++;
    this.regions.set(id, new SharedArrayBuffer(size));
    return id;
  }
  futexWait(m: Member, region: number, off: number, bitset: number): number {
    const t = this.nextToken++;
    this.waiters.set(t, { m, region, off, bitset });
    return t;
  }
  /** Wakes up to n waiters on (region, off) in enclaves other than `from`; how many it woke. */
  futexWake(from: Member, region: number, off: number, n: number, bitset: number): number {
    let woken = 0;
    for (const [t, w] of this.waiters) {
      if (woken >= n) break;
      if (w.m === from || w.region !== region || w.off !== off || (w.bitset & bitset) === 0) continue;
      this.waiters.delete(t);
      w.m.woken.push(t);
      ringOne(w.m); // only the waiter's enclave needs to look
      woken++;
    }
    return woken;
  }
  /**
   * What a host sees of untrusted shared memory, and what it may do (`--hostile shared-memory`):
   * at each write the enclave asks it for, it prints the first bytes of every region it holds,
   * then flips the lowest bit of each region's first non-zero byte. Without the hostile mode it
   * looks at nothing; it could at any time.
   */
  snoop(): void {
    if (this.tamper !== 'shared-memory') return;
    for (const [id, buf] of this.regions) {
      const b = new Uint8Array(buf);
      let i = 0;
      while (i < b.length && b[i] === 0) i++;
      if (i === b.length) continue;
      const seen = b.slice(i, i + 32);
      const text = [...seen].map((c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.')).join('');
      this.log(`hostile host: untrusted shared memory region ${id} at +${i}: ${Buffer.from(seen).toString('hex')} "${text}"; flipping bit 0 of byte ${i}`);
      b[i] ^= 0x01;
    }
  }

  /** The spare, once built (null if there is none or it failed). */
  async takeSpare(): Promise<Spare | null> {
    const s = this.spare;
    this.spare = null;
    return s && (await s.ready) ? s : null;
  }
  refillSpare(): void {
    if (!this.spare && this.spareFactory && !this.closed) this.spare = this.spareFactory();
  }
  get isClosed(): boolean {
    return this.closed;
  }

  allocPid(): number {
    return this.nextPid++;
  }
  channelsNext(): number {
    return this.nextChannel++;
  }
  /** Rings every member's doorbell (cheaper than knowing who cares). */
  ring(): void {
    for (const m of this.members.values()) ringOne(m);
  }
  newFork(pid: number): PendingFork {
    let gotHello!: (h: Uint8Array) => void, sendSealed!: (s: Uint8Array | null) => void, ack!: (a: Uint8Array) => void, fail!: (e: Error) => void;
    const f: PendingFork = {
      hello: new Promise((r) => { gotHello = r; }), gotHello: (h) => gotHello(h), chunks: [],
      sealed: new Promise((r) => { sendSealed = r; }), sendSealed: (x) => sendSealed(x),
      verdict: new Promise((r) => { ack = r; }), ack: (a) => ack(a),
      gone: new Promise<never>((_, rej) => { fail = rej; }), fail: (e) => fail(e),
    };
    f.gone.catch(() => undefined);
    this.forks.set(pid, f);
    return f;
  }
  /** The sealed checkpoint as this host passes it on (a hostile one alters it). */
  deliver(sealed: Uint8Array): Uint8Array {
    if (this.tamper === 'flip') {
      const t = sealed.slice();
      t[Math.floor(t.length / 2)] ^= 0x01;
      return t;
    }
    if (this.tamper === 'replay') {
      if (!this.firstCheckpoint) { this.firstCheckpoint = sealed; return sealed; }
      return this.firstCheckpoint;
    }
    return sealed;
  }
  /** A channel record as this host keeps it (a hostile one flips a bit). */
  record(r: Uint8Array): Uint8Array {
    if (this.tamper === 'channel') r[r.length - 1] ^= 0x01;
    return r;
  }
  /** A message between enclaves as this host passes it on (a hostile one flips a bit). */
  message(r: Uint8Array): Uint8Array {
    if (this.tamper === 'message') r[r.length - 1] ^= 0x01;
    return r;
  }
  private readonly meddled = new WeakSet<Uint8Array[]>();
  /**
   * A record is appended to a channel's `recs`. A hostile host, once per channel, when a third
   * record comes while two are still queued: drops the second (a hole in the middle), queues it
   * twice (a replay), or puts the new one before it (a reordering).
   */
  append(recs: Uint8Array[], r: Uint8Array): void {
    const t = this.tamper;
    if ((t === 'drop' || t === 'dup' || t === 'swap') && !this.meddled.has(recs) && recs.length >= 2) {
      this.meddled.add(recs);
      const second = recs[recs.length - 1]!;
      if (t === 'drop') recs.pop();
      else if (t === 'dup') recs.push(second.slice());
      else { recs[recs.length - 1] = this.record(r); recs.push(second); return; }
    }
    recs.push(this.record(r));
  }
  leave(m: Member): void {
    for (const [t, w] of this.waiters) if (w.m === m) this.waiters.delete(t);
    for (const [pid, x] of this.members) {
      if (x !== m) continue;
      this.members.delete(pid);
      for (const [tag, p] of this.names) if (p === pid) this.names.delete(tag);
    }
    for (const ch of this.channels.values()) ch.refs.delete(m);
    this.ring();
  }
  async shutdown(): Promise<void> {
    this.closed = true;
    this.spare?.assign(null);
    this.spare = null;
    for (const f of this.forks.values()) f.fail(new Error('the family is shutting down'));
    const idle = this.idleWorkers.splice(0);
    await Promise.all([...[...this.enclaves].map((e) => e.terminate()), ...idle.map((w) => w.terminate())]);
  }
}

/** Ended enclaves' machine threads a family keeps for reuse (SgxFamilyHost.giveWorker). */
const IDLE_WORKERS = 4;
/** How long an ended enclave's thread may take to unwind before it is stopped instead of kept. */
const IDLE_WAIT_MS = 2000;

/** Keeps `w` for the family once its machine says it is idle (its enclave's code has unwound). */
function recycleWorker(w: Worker, fam: SgxFamilyHost): void {
  const cleanup = () => { clearTimeout(timer); w.off('message', onMsg); w.off('error', drop); w.off('exit', drop); };
  const onMsg = (m: MachineToHost) => { if (m.type === 'idle') { cleanup(); fam.giveWorker(w); } };
  const drop = () => { cleanup(); void w.terminate(); };
  const timer = setTimeout(drop, IDLE_WAIT_MS);
  w.on('message', onMsg);
  w.on('error', drop);
  w.on('exit', drop);
}

export class SgxEnclave {
  readonly ops: EaddOp[];
  readonly config: EnclaveConfig;
  #expected: Uint8Array | null = null;
  #sigstruct: Uint8Array | null = null;
  private readonly sibling: SgxEnclave | undefined;
  mrsigner: Uint8Array | null = null;
  private worker: Worker | null = null;
  private readonly untrusted = new SharedArrayBuffer(UNTRUSTED_SIZE);
  private readonly ctlBuf = new SharedArrayBuffer(CTL_BYTES);
  /** The host's end of the port untrusted shared memory regions are posted on (the machine reads the other synchronously). */
  private ushmPort: MessagePort | null = null;
  /** The driver's EPC bookkeeping: free pages, and the page behind each EAUGed linear page. */
  private readonly freeEpc: number[] = [];
  private readonly augmented = new Map<number, number>();
  private nextEpc = 0;
  hostCalls = 0;
  aex = 0;

  constructor(private readonly files: SgxFiles, private readonly opts: SgxCreateOptions, sibling?: SgxEnclave) {
    if (sibling) {
      // A fork child of the same image: the same build plan and SIGSTRUCT (the machine still
      // measures every page it is given, and EINIT still checks).
      this.ops = sibling.ops;
      this.config = sibling.config;
      this.sibling = sibling;
      return;
    }
    const plan = sgxBuildPlan(files.runtime, files.app, opts.tcs, opts.untrustedShm ?? false);
    this.ops = plan.ops;
    this.config = plan.config;
  }

  /** MRENCLAVE of the build plan (computed once, when first asked; a fork child shares its sibling's). */
  get expectedMeasurement(): Uint8Array {
    if (this.sibling) return this.sibling.expectedMeasurement;
    this.#expected ??= mrenclaveOf(this.ops, this.config.elrangeSize);
    return this.#expected;
  }

  /** The SIGSTRUCT the host signs for that MRENCLAVE (signed once, when first asked). */
  get sigstruct(): Uint8Array {
    if (this.sibling) return this.sibling.sigstruct;
    const k = this.opts.signingKey;
    this.#sigstruct ??= signSigstruct(defaultSigstructBody(this.expectedMeasurement), typeof k === 'function' ? k() : k);
    return this.#sigstruct;
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
    const port = (msg as { ushm?: MessagePort }).ushm;
    w.postMessage(msg, port ? [port] : []);
    const m = await r;
    if (m.type === 'error') { await w.terminate(); throw new Error(`SGX enclave build failed: ${m.message}`); }
    return m;
  }

  /**
   * ECREATE, EADD + EEXTEND of every page, EINIT with `sigstruct` (default: the one the host
   * signed for the MRENCLAVE it computed). Returns MRENCLAVE; throws when EINIT refuses or the
   * machine measured something other than the host.
   */
  async start(sigstruct?: Uint8Array, reuse?: Worker): Promise<Uint8Array> {
    const w = reuse ?? await (this.opts.spawn?.(this.opts.machinePath) ?? new Worker(this.opts.machinePath));
    this.worker = w;
    const ch = new MessageChannel();
    this.ushmPort = ch.port1;
    const created = this.command(w, { type: 'create', epcSize: this.opts.epcSize, untrusted: this.untrusted, ctl: this.ctlBuf, ushm: ch.port2 });
    // MRENCLAVE and the signature while the machine's thread boots.
    const sig = await whileBooting(w, created, () => sigstruct ?? this.sigstruct);
    await created;
    await this.command(w, { type: 'ecreate', base: ELRANGE_BASE, size: this.config.elrangeSize, ssaFrameSize: SSA_FRAME_PAGES });
    if (this.ops.length > this.opts.epcSize / PAGE) { await w.terminate(); throw new Error('the enclave image does not fit the EPC'); }
    for (let i = 0; i < this.ops.length; i += EADD_BATCH) {
      const ops = this.ops.slice(i, i + EADD_BATCH).map((o) => ({ lin: o.lin, epcPage: this.nextEpc++, flags: o.flags, data: o.data, measure: o.measure }));
      await this.command(w, { type: 'eadd', ops });
    }
    const m = await this.command(w, { type: 'einit', sigstruct: sig });
    if (m.type !== 'initialized') throw new Error(`unexpected reply from the machine: ${m.type}`);
    const got = m.mrenclave;
    await requireSameMeasurement(w, got, this.expectedMeasurement, 'the machine measured an MRENCLAVE other than the one the host computed; refusing to run');
    this.mrsigner = m.mrsigner;
    return got;
  }

  /** Set on a spare: resolves when a fork takes it (or with null when the family ends). */
  private assignment: Promise<SpareAssignment | null> | null = null;

  /** Builds a sibling enclave and enters it as a spare (SgxFamilyHost.spareFactory). */
  private spawnSpare(boot: SgxBootArgs, services: HostServices, fam: SgxFamilyHost): Spare {
    const child = new SgxEnclave(this.files, this.opts, this);
    let assign!: (a: SpareAssignment | null) => void;
    child.assignment = new Promise((r) => { assign = r; });
    let running: Promise<RunResult> | null = null;
    const ready = child.start(undefined, fam.takeWorker()).then(async () => {
      if (fam.isClosed) { await child.terminate(); return false; }
      running = child.run({ ...boot, fork: undefined, spare: true }, services, fam);
      running.catch(() => undefined); // a spare that never became a process ends unobserved
      return true;
    }, () => false);
    return {
      ready,
      assign: (a) => {
        assign(a);
        if (a && running) failForkWhenEnded(running, a.fork);
      },
    };
  }

  /** Stops the enclave's machine (the family is over). */
  async terminate(): Promise<void> {
    const ctl = new Int32Array(this.ctlBuf);
    Atomics.store(ctl, CTL_STATE, CTL_EXITED);
    Atomics.notify(ctl, CTL_STATE);
    await this.worker?.terminate();
  }

  /**
   * EENTERs the enclave and serves it to its end. `family`: the fork family this enclave joins
   * (a fork child); without it this enclave is the first of a new family, and its end is the
   * family's end (init's end ends every process, as in the kernel).
   */
  async run(boot: SgxBootArgs, services: HostServices, family?: SgxFamilyHost, tamper: CheckpointTamper | null = null): Promise<RunResult> {
    const w = this.worker;
    if (!w) throw new Error('run before start');
    const root = !family;
    const fam = family ?? new SgxFamilyHost(tamper, (line) => services.console(line.endsWith('\n') ? line : line + '\n'));
    const me: Member = { ctl: new Int32Array(this.ctlBuf), inbox: [], woken: [] };
    // A spare has no pid until a fork takes it (OCALL_FORK_WAIT).
    let myPid = boot.spare ? 0 : boot.fork?.pid ?? 1;
    if (myPid) fam.members.set(myPid, me);
    fam.enclaves.add(this);
    const ctl = new Int32Array(this.ctlBuf);
    const q = new BigUint64Array(this.ctlBuf);
    const u = new Uint8Array(this.untrusted);
    let done = false;
    let exitStatus: number | null = null;
    let settle!: (r: RunResult | Error) => void;
    const finished = new Promise<RunResult>((resolve, reject) => {
      settle = (r) => { if (done) return; done = true; if (r instanceof Error) reject(r); else resolve(r); };
    });
    const onMessage = (m: MachineToHost) => {
      if (m.type === 'exited') {
        if (exitStatus === null) settle(new Error('the enclave halted without an exit OCALL'));
        else settle({ status: exitStatus, instret: m.instret, hostCalls: this.hostCalls, aex: this.aex });
      } else if (m.type === 'error') settle(new Error(`enclave failure: ${m.message}`));
    };
    const onError = (e: Error) => settle(e);
    const onExit = (code: number) => settle(new Error(`the SGX machine stopped (code ${code})`));
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    const stop = () => { Atomics.store(ctl, CTL_STATE, CTL_EXITED); Atomics.notify(ctl, CTL_STATE); };
    const waitWhile = (state: number) => waitWhileState(ctl, CTL_STATE, state, 1, finished, () => done);
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
    /** One leaf over many EPC pages, CTL_LIST_MAX per handoff; the status of each. */
    const enclsMany = async (leaf: number, pages: readonly number[], a1: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < pages.length; i += CTL_LIST_MAX) {
        const part = pages.slice(i, i + CTL_LIST_MAX);
        part.forEach((p, j) => { q[CTL_LIST_Q + j] = BigInt(p); });
        q[CTL_ARG0_Q] = BigInt(part.length);
        q[CTL_ARG1_Q] = BigInt(a1);
        Atomics.store(ctl, CTL_LEAF, leaf | ENCLS_MANY);
        Atomics.store(ctl, CTL_STATE, CTL_ENCLS);
        Atomics.notify(ctl, CTL_STATE);
        await waitWhile(CTL_ENCLS);
        for (let j = 0; j < part.length; j++) out.push(Number(q[CTL_LIST_Q + j]));
      }
      return out;
    };
    const userEnd = this.config.userBase + this.config.userSize;
    const inUser = (va: number) => Number.isSafeInteger(va) && va % PAGE === 0 && va >= ELRANGE_BASE && va < userEnd;
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
      // The family OCALLs say in out0 how much reply they can take (OcallChannel.raw's maxOut):
      // a reply sized to this frame's room instead would be refused by the enclave as out of
      // bounds (a busybox-sized checkpoint read in family-room pieces did exactly that).
      const want = Number(dv.getBigInt64(MS_OUT0, true));
      const cap = Number.isSafeInteger(want) && want >= 0 && want < room ? want : room;
      let ret: number;
      this.hostCalls++;
      switch (index) {
        case OCALL_WRITE: case OCALL_CONSOLE: {
          if (arg1 > BigInt(room)) { ret = -EINVAL; break; }
          const bytes = u.slice(data, data + Number(arg1));
          if (index === OCALL_CONSOLE) { services.console(new TextDecoder().decode(bytes)); ret = 0; }
          else { fam.snoop(); ret = services.write(fd, bytes); }
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
        case OCALL_SPAWN: {
          const pid = arg0;
          if (arg1 > BigInt(room) || fam.forks.has(pid) || fam.members.has(pid)) { ret = -EINVAL; break; }
          const hello = u.slice(data, data + Number(arg1));
          const f = fam.newFork(pid);
          const spare = await fam.takeSpare();
          if (spare) spare.assign({ pid, hello, fork: f });
          else {
            const child = new SgxEnclave(this.files, this.opts, this);
            try {
              await child.start(undefined, fam.takeWorker());
            } catch {
              fam.forks.delete(pid);
              ret = -EAGAIN;
              break;
            }
            // Not a spare, whatever the forking enclave was born as (a spare's own boot says spare).
            failForkWhenEnded(child.run({ ...boot, spare: false, fork: { pid, hello } }, services, fam), f);
          }
          try {
            const h = await Promise.race([f.hello, f.gone]);
            const k = Math.min(h.length, cap);
            u.set(h.subarray(0, k), data);
            dv.setBigUint64(MS_OUT_LEN, BigInt(k), true);
            ret = 0;
          } catch {
            fam.forks.delete(pid);
            ret = -EAGAIN;
          }
          break;
        }
        case OCALL_SPAWN_DATA: {
          const f = fam.forks.get(arg0);
          if (!f || arg1 > BigInt(room)) { ret = -ESRCH; break; }
          f.chunks.push(u.slice(data, data + Number(arg1)));
          ret = 0;
          break;
        }
        case OCALL_SPAWN_SEND: {
          const f = fam.forks.get(arg0);
          if (!f) { ret = -ESRCH; break; }
          if (f.chunks.length === 0) {
            // The parent refused the child: it never gets a checkpoint.
            f.sendSealed(null);
            fam.forks.delete(arg0);
            ret = -ECANCELED;
            break;
          }
          f.sendSealed(fam.deliver(concatBytes(...f.chunks)));
          try {
            const a = await Promise.race([f.verdict, f.gone]);
            const k = Math.min(a.length, cap);
            u.set(a.subarray(0, k), data);
            dv.setBigUint64(MS_OUT_LEN, BigInt(k), true);
            ret = 0;
          } catch {
            ret = -EAGAIN;
          }
          fam.forks.delete(arg0);
          // The next fork's child is built now, while parent and child run, not during a fork.
          fam.refillSpare();
          break;
        }
        case OCALL_FORK_HELLO: {
          const f = fam.forks.get(myPid);
          if (!f || arg0 !== myPid || arg1 > BigInt(room)) { ret = -ESRCH; break; }
          f.gotHello(u.slice(data, data + Number(arg1)));
          const sealed = await f.sealed;
          if (!sealed) { ret = -ECANCELED; break; }
          f.checkpoint = sealed;
          ret = sealed.length;
          break;
        }
        case OCALL_FORK_WAIT: {
          const a = this.assignment ? await this.assignment : null;
          this.assignment = null;
          if (!a || myPid || !boot.spare) { ret = 0; break; } // no fork: the spare stops
          myPid = a.pid;
          fam.members.set(myPid, me);
          const k = Math.min(a.hello.length, cap);
          u.set(a.hello.subarray(0, k), data);
          dv.setBigUint64(MS_OUT_LEN, BigInt(k), true);
          ret = myPid;
          break;
        }
        case OCALL_FORK_READ: {
          const c = fam.forks.get(myPid)?.checkpoint;
          if (!c || arg0 < 0 || arg0 > c.length) { ret = -EINVAL; break; }
          const k = Math.min(cap, c.length - arg0);
          u.set(c.subarray(arg0, arg0 + k), data);
          dv.setBigUint64(MS_OUT_LEN, BigInt(k), true);
          ret = k;
          break;
        }
        case OCALL_FORK_ACK: {
          const f = fam.forks.get(myPid);
          if (!f || arg1 > BigInt(room)) { ret = -ESRCH; break; }
          f.ack(u.slice(data, data + Number(arg1)));
          ret = 0;
          break;
        }
        case OCALL_PID:
          ret = fam.allocPid();
          break;
        case OCALL_IPC_SEND: {
          const to = fam.members.get(arg0);
          if (arg1 > BigInt(room)) { ret = -EINVAL; break; }
          if (!to) { ret = -ESRCH; break; }
          to.inbox.push(fam.message(u.slice(data, data + Number(arg1))));
          ringOne(to); // only its addressee cares: ringing all made a family of n enclaves O(n^2)
          ret = 0;
          break;
        }
        case OCALL_IPC_RECV: {
          let o = 0, n = 0;
          while (me.inbox.length && o + 4 + me.inbox[0].length <= cap) {
            const m = me.inbox.shift()!;
            dv.setUint32(MS_DATA + o, m.length, true);
            u.set(m, data + o + 4);
            o += 4 + m.length;
            n++;
          }
          if (me.inbox.length) ringOne(me); // more to come: look again
          dv.setBigUint64(MS_OUT_LEN, BigInt(o), true);
          ret = n;
          break;
        }
        case OCALL_CHAN: {
          const ints = [0, 8, 16].map((x) => Number(dv.getBigInt64(MS_DATA + x, true)));
          const ch = fam.channels.get(ints[0]);
          const sum = (i: 0 | 1) => { let t = 0; for (const r of ch!.refs.values()) t += r[i]; return t; };
          if (arg0 === CHAN_CREATE) {
            const id = fam.channelsNext();
            fam.channels.set(id, { recs: [], refs: new Map() });
            ret = id;
          } else if (!ch) ret = -EBADF;
          else if (arg0 === CHAN_WRITE) {
            if (arg1 > BigInt(room - 32)) { ret = -EINVAL; break; }
            if (sum(0) === 0) { ret = -EPIPE; break; }
            fam.append(ch.recs, u.slice(data + 32, data + 32 + Number(arg1)));
            fam.ring();
            ret = 0;
          } else if (arg0 === CHAN_READ) {
            const max = ints[1];
            let o = 0, plain = 0;
            while (max > 0 && ch.recs.length && o + 4 + ch.recs[0].length <= cap && (o === 0 || plain + ch.recs[0].length - 44 <= max)) {
              const r = ch.recs.shift()!;
              dv.setUint32(MS_DATA + o, r.length, true);
              u.set(r, data + o + 4);
              o += 4 + r.length;
              plain += r.length - 44;
            }
            dv.setBigUint64(MS_OUT_LEN, BigInt(o), true);
            dv.setBigInt64(MS_OUT0, BigInt(sum(0)), true);
            dv.setBigInt64(MS_OUT1, BigInt(sum(1)), true);
            ret = ch.recs.length;
          } else if (arg0 === CHAN_UNREAD) {
            // Bytes a reader had fetched go back in front, for the other enclaves reading it.
            if (arg1 > BigInt(room - 32)) { ret = -EINVAL; break; }
            ch.recs.unshift(u.slice(data + 32, data + 32 + Number(arg1)));
            fam.ring();
            ret = 0;
          } else if (arg0 === CHAN_REFS) {
            ch.refs.set(me, [Math.max(0, ints[1]), Math.max(0, ints[2])]);
            fam.ring();
            ret = 0;
          } else ret = -EINVAL;
          break;
        }
        case OCALL_NAME: {
          if (arg1 !== 32n) { ret = -EINVAL; break; }
          const tag = Buffer.from(u.subarray(data, data + 32)).toString('hex');
          const holder = fam.names.get(tag);
          if (arg0 === NAME_PUBLISH) {
            if (holder !== undefined && holder !== myPid && fam.members.has(holder)) { ret = -EADDRINUSE; break; }
            fam.names.set(tag, myPid);
            ret = 0;
          } else if (arg0 === NAME_UNPUBLISH) {
            if (holder === myPid) fam.names.delete(tag);
            ret = 0;
          } else if (arg0 === NAME_LOOKUP) ret = holder !== undefined && fam.members.has(holder) ? holder : 0;
          else ret = -EINVAL;
          break;
        }
        case OCALL_USHM: {
          // Only for an enclave built with the window (its measured config says so).
          if (this.config.ushmSize === 0) { ret = -ENOSYS; break; }
          const ints = [0, 8, 16, 24].map((x) => Number(dv.getBigInt64(MS_DATA + x, true)));
          const post = (id: number) => {
            const buf = fam.regions.get(id);
            if (!buf || !this.ushmPort) return -EINVAL;
            this.ushmPort.postMessage({ id, buf });
            return buf.byteLength;
          };
          if (arg0 === USHM_CREATE) {
            const id = fam.newRegion(ints[0]);
            ret = id < 0 ? id : post(id) < 0 ? -EINVAL : id;
          } else if (arg0 === USHM_ATTACH) ret = post(ints[0]);
          else if (arg0 === USHM_FWAIT) ret = fam.futexWait(me, ints[0], ints[1], ints[2] >>> 0);
          else if (arg0 === USHM_FCANCEL) { fam.waiters.delete(ints[0]); ret = 0; }
          else if (arg0 === USHM_FWAKE) ret = fam.futexWake(me, ints[0], ints[1], Math.max(0, ints[2]), ints[3] >>> 0);
          else if (arg0 === USHM_FWOKEN) {
            let o = 0, n = 0;
            while (me.woken.length && o + 4 <= cap) { dv.setUint32(MS_DATA + o, me.woken.shift()!, true); o += 4; n++; }
            if (me.woken.length) ringOne(me); // more to collect: look again
            dv.setBigUint64(MS_OUT_LEN, BigInt(o), true);
            ret = n;
          } else ret = -EINVAL;
          break;
        }
        case OCALL_EMODPR: case OCALL_TRIM: case OCALL_REMOVE: {
          const p = this.augmented.get(arg0);
          if (p === undefined) { ret = -EINVAL; break; }
          // A hostile host answers "trimmed" and leaves the page mapped and readable (a migrated
          // file page would keep a second live copy): the enclave's EACCEPT(TRIM) finds it REG.
          if (index === OCALL_TRIM && fam.tamper === 'trim') { ret = 0; break; }
          const leaf = index === OCALL_EMODPR ? ENCLS_EMODPR : index === OCALL_TRIM ? ENCLS_EMODT : ENCLS_EREMOVE;
          const s = await encls(leaf, p, index === OCALL_EMODPR ? Number(arg1 & 7n) : PT_TRIM);
          if (s === 0 && index === OCALL_REMOVE) { this.augmented.delete(arg0); this.freeEpc.push(p); }
          ret = s === 0 ? 0 : -EINVAL;
          break;
        }
        case OCALL_TRIM_RANGES: case OCALL_REMOVE_RANGES: {
          // One ioctl per range, as the driver takes them; every page of a range must be one the
          // driver added (EINVAL otherwise, before any change, as the ioctls check first).
          const n = arg0;
          if (!Number.isSafeInteger(n) || n < 0 || 16 * n > room) { ret = -EINVAL; break; }
          const ranges: Array<[number, number]> = [];
          let ok = true;
          for (let i = 0; i < n && ok; i++) {
            const va = Number(dv.getBigUint64(MS_DATA + 16 * i, true)), pages = Number(dv.getBigUint64(MS_DATA + 16 * i + 8, true));
            if (!inUser(va) || !Number.isSafeInteger(pages) || pages < 1 || !inUser(va + (pages - 1) * PAGE)) { ok = false; break; }
            for (let k = 0; k < pages; k++) if (!this.augmented.has(va + k * PAGE)) { ok = false; break; }
            ranges.push([va, pages]);
          }
          if (!ok) { ret = -EINVAL; break; }
          if (index === OCALL_TRIM_RANGES && fam.tamper === 'trim') { ret = 0; break; }
          const vas: number[] = [];
          for (const [va, pages] of ranges) for (let k = 0; k < pages; k++) vas.push(va + k * PAGE);
          const status = await enclsMany(index === OCALL_TRIM_RANGES ? ENCLS_EMODT : ENCLS_EREMOVE, vas.map((a) => this.augmented.get(a)!), PT_TRIM);
          let done = 0;
          vas.forEach((a, i) => {
            if (status[i] !== 0) return;
            if (index === OCALL_REMOVE_RANGES) { this.freeEpc.push(this.augmented.get(a)!); this.augmented.delete(a); }
            done++;
          });
          ret = done;
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
    // The first spare is built after the first fork: a program that never forks pays nothing.
    if (root && this.opts.spare !== false) fam.spareFactory = () => this.spawnSpare(boot, services, fam);
    let clean = false;
    try {
      const r = await finished;
      clean = true;
      return r;
    } finally {
      fam.leave(me);
      fam.enclaves.delete(this);
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
      this.worker = null;
      // A child enclave that ended by its exit OCALL leaves its thread to the family's next
      // enclave. Otherwise not awaited: the enclave is over, and a loaded machine takes up to
      // ~0.2 s to join the machine's thread (process exit stops it anyway).
      if (clean && !root && !fam.isClosed) recycleWorker(w, fam);
      else void w.terminate();
      if (root) await fam.shutdown();
    }
  }
}

