/**
 * The host side of the SEV-SNP model (untrusted): what QEMU/KVM and the PSP driver do. It
 * creates the shared window and the control block, starts the machine, hands the pages to
 * SNP_LAUNCH_START / UPDATE / FINISH, checks the PSP's launch digest against the one it computed
 * itself (refusing to run on a mismatch), runs the guest and serves its VMGEXITs. It holds no
 * reference into guest RAM: only the shared window and the control block are shared.
 */
import { Worker } from 'node:worker_threads';
import {
  CTL_ARG0_Q, CTL_ARG1_Q, CTL_BYTES, CTL_EXITED, CTL_MSR_Q, CTL_PSP_CMD, CTL_PSP_COMMAND, CTL_PSP_STATUS, CTL_RUNNING,
  CTL_STATE, CTL_VMGEXIT, SHARED_SIZE, SNP_CMD_GUEST_REQUEST, SNP_MODEL_POLICY, sevLaunchPlan,
  type BootTable, type LaunchUpdate, type MachineToHost, type SevBootArgs,
} from '../machine/protocol.ts';
import { launchDigestOf } from '../machine/measure.ts';
import { Hypervisor, type HostServices } from './hypervisor.ts';
import { waitWhileState } from '@teeos/hal/wait';
import { whileBooting, requireSameMeasurement } from '@teeos/hal/boot';
import { useNativeSha384 } from './native-sha384.ts';

useNativeSha384();

export { Hypervisor, type HostServices, type ExitAction } from './hypervisor.ts';
export { SEV_MODEL_VCEK_PUBLIC_KEY_HEX, sevModelVcekPublicKey } from './trust.ts';
export type { SevBootArgs, BootTable, LaunchUpdate } from '../machine/protocol.ts';
export { sevLaunchPlan, RAM_BASE, SHARED_BASE, SHARED_PAGES, IO_SIZE } from '../machine/protocol.ts';
export { launchDigestOf } from '../machine/measure.ts';

export interface SevFiles {
  /** The boot stub (dist/sev-boot.cjs), the runtime (dist/runtime-sev.cjs), the application ELF. */
  stub: Uint8Array;
  runtime: Uint8Array;
  app: Uint8Array;
}

export interface SevCreateOptions {
  machinePath: string | URL;
  /**
   * Where the machine's thread comes from: by default a new Worker of machinePath; the CLI
   * passes a thread it started before it was loaded (host/src/prestart.ts).
   */
  spawn?: (machinePath: string | URL) => Worker | Promise<Worker>;
  /** Guest RAM in bytes. */
  memory: number;
}

export interface RunResult {
  /** The wait status (Linux encoding) or KERNEL_PANIC (-1). */
  status: number;
  instret: number;
  hostCalls: number;
}

/** The launch digest the PSP will compute for these files (no machine needed). */
export function sevExpectedMeasurement(files: SevFiles): Uint8Array {
  return launchDigestOf(sevLaunchPlan(files.stub, files.runtime, files.app).updates);
}

export class SevGuest {
  #expected: Uint8Array | null = null;
  readonly updates: LaunchUpdate[];
  readonly table: BootTable;
  private worker: Worker | null = null;
  private readonly shared = new SharedArrayBuffer(SHARED_SIZE);
  private readonly ctl = new SharedArrayBuffer(CTL_BYTES);
  measurement: Uint8Array | null = null;
  hostCalls = 0;

  constructor(files: SevFiles, private readonly opts: SevCreateOptions) {
    const plan = sevLaunchPlan(files.stub, files.runtime, files.app);
    this.updates = plan.updates;
    this.table = plan.table;
  }

  /** The launch digest the PSP must report (computed once, when first asked). */
  get expectedMeasurement(): Uint8Array {
    this.#expected ??= launchDigestOf(this.updates);
    return this.#expected;
  }

  private next(w: Worker): Promise<MachineToHost> {
    return new Promise((resolve, reject) => {
      const onMsg = (m: MachineToHost) => { cleanup(); resolve(m); };
      const onErr = (e: Error) => { cleanup(); reject(e); };
      const onExit = (code: number) => { cleanup(); reject(new Error(`the SEV-SNP machine stopped (code ${code})`)); };
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
    if (m.type === 'error') { await w.terminate(); throw new Error(`SEV-SNP launch failed: ${m.message}`); }
    return m;
  }

  /** Creates the VM, launches it page by page, and checks the launch digest. */
  async start(): Promise<Uint8Array> {
    const w = await (this.opts.spawn?.(this.opts.machinePath) ?? new Worker(this.opts.machinePath));
    this.worker = w;
    const created = this.command(w, { type: 'create', memory: this.opts.memory, shared: this.shared, ctl: this.ctl });
    const want = await whileBooting(w, created, () => this.expectedMeasurement);
    await created;
    await this.command(w, { type: 'launch-start', policy: SNP_MODEL_POLICY });
    for (const update of this.updates) await this.command(w, { type: 'launch-update', update });
    const m = await this.command(w, { type: 'launch-finish' });
    if (m.type !== 'launched') throw new Error(`unexpected reply from the machine: ${m.type}`);
    const got = m.measurement;
    await requireSameMeasurement(w, got, want, 'the PSP reports a launch digest other than the one the host computed; refusing to run');
    this.measurement = got;
    return got;
  }

  /** Runs the guest to its end, serving VMGEXITs. */
  async run(boot: SevBootArgs, services: HostServices): Promise<RunResult> {
    const w = this.worker;
    if (!w) throw new Error('run before start');
    const ctl = new Int32Array(this.ctl);
    const q = new BigUint64Array(this.ctl);
    const hv = new Hypervisor(this.shared, q, CTL_MSR_Q, services);
    let done = false;
    let exitStatus: number | null = null;
    let settle!: (r: RunResult | Error) => void;
    const finished = new Promise<RunResult>((resolve, reject) => {
      settle = (r) => { if (done) return; done = true; if (r instanceof Error) reject(r); else resolve(r); };
    });
    w.on('message', (m: MachineToHost) => {
      if (m.type === 'exited') {
        if (exitStatus === null) settle(new Error('the guest halted without an exit hypercall'));
        else settle({ status: exitStatus, instret: m.instret, hostCalls: hv.hostCalls });
      } else if (m.type === 'error') settle(new Error(`guest failure: ${m.message}`));
    });
    w.on('error', (e) => settle(e));
    w.on('exit', (code) => settle(new Error(`the SEV-SNP machine stopped (code ${code})`)));
    const stop = () => { Atomics.store(ctl, CTL_STATE, CTL_EXITED); Atomics.notify(ctl, CTL_STATE); };
    const serve = async () => {
      while (!done) {
        // A chatty guest exits again within microseconds: wait synchronously for a moment
        // (no event-loop round trip), then yield to the event loop while it computes.
        await waitWhileState(ctl, CTL_STATE, CTL_RUNNING, 1, finished, () => done);
        if (done) return;
        const state = Atomics.load(ctl, CTL_STATE);
        if (state === CTL_EXITED) return;
        if (state !== CTL_VMGEXIT) continue;
        const a = hv.handleExit();
        if (a.kind === 'guest-request') {
          q[CTL_ARG0_Q] = BigInt(a.reqGpa);
          q[CTL_ARG1_Q] = BigInt(a.respGpa);
          Atomics.store(ctl, CTL_PSP_COMMAND, SNP_CMD_GUEST_REQUEST);
          Atomics.store(ctl, CTL_STATE, CTL_PSP_CMD);
          Atomics.notify(ctl, CTL_STATE);
          await waitWhileState(ctl, CTL_STATE, CTL_PSP_CMD, 0, finished, () => done);
          if (done) return;
          hv.complete(Atomics.load(ctl, CTL_PSP_STATUS));
        } else if (a.kind === 'exit') {
          exitStatus = a.status;
        } else if (a.kind === 'terminate') {
          stop();
          if (a.status === -1 && a.reason === 'the guest kernel failed') settle({ status: -1, instret: 0, hostCalls: hv.hostCalls });
          else settle(new Error(a.reason));
          return;
        }
        Atomics.store(ctl, CTL_STATE, CTL_RUNNING);
        Atomics.notify(ctl, CTL_STATE);
      }
    };
    w.postMessage({ type: 'run', boot });
    void serve().catch((e: unknown) => { stop(); settle(e instanceof Error ? e : new Error(String(e))); });
    try {
      return await finished;
    } finally {
      this.hostCalls = hv.hostCalls;
      // Not awaited: the enclave is over, and a loaded machine takes up to ~0.2 s to join the
      // machine's thread (process exit stops it anyway; its exit listeners see `done`).
      void w.terminate();
    }
  }
}
