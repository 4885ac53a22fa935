/**
 * The machine: one RV64 hart, its memory, and the Keystone security monitor, running in a
 * Worker. The host reaches it only by messages and the UTM; the EPM is a WebAssembly.Memory
 * created here and never shared.
 *
 * On 'run' the SM enters the enclave at dram_base in S-mode (context_switch_to_enclave):
 * here that means evaluating the loader the host laid at dram_base, which evaluates the
 * runtime laid after it. Everything that executes in the enclave was measured.
 */
import { parentPort } from 'node:worker_threads';
import { Hart, Priv, jitModeFrom } from '@teeos/riscv';
import { SecurityMonitor, DRAM_BASE } from '../sm/sm.ts';
import { CTL_EDGE_CALL, CTL_EXITED, CTL_RUNNING, CTL_STATE, type HostToMachine, type MachineToHost, type RuntimeParams } from './protocol.ts';
import type { KeystoneMachine } from './machine.ts';
import { evaluateImage } from '@teeos/hal/image';
import { useNativeSha3 } from '../host/native-sha3.ts';

useNativeSha3();

const port = parentPort;
if (!port) throw new Error('the Keystone machine must run in a Worker');

/** Bytes of Wasm memory before the EPM: the hart state block lives there. */
const EPM_OFFSET = 4096;
const WASM_PAGE = 65536;
/** Wasm pages past the EPM for the JIT's scratch block (its TLB and dispatch hash: Jit.placeScratch). */
const JIT_PAGES = 4;

let machine: KeystoneMachine | null = null;
let params: RuntimeParams | null = null;
let ctl: Int32Array | null = null;

function post(m: MachineToHost, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(m, transfer);
}

port.on('message', (m: HostToMachine) => {
  try {
    if (m.type === 'create') {
      const memory = new WebAssembly.Memory({ initial: Math.ceil((EPM_OFFSET + m.epmSize) / WASM_PAGE) + JIT_PAGES });
      const epm = new Uint8Array(memory.buffer, EPM_OFFSET, m.epmSize);
      const utm = new Uint8Array(m.utm);
      const hart = new Hart({
        memory, stateOffset: 0, ramBase: DRAM_BASE, ramOffset: EPM_OFFSET, ramSize: m.epmSize,
        regions: [{ base: DRAM_BASE + m.epmSize, size: m.utmSize, bytes: utm }],
        jit: jitModeFrom(process.env.TEEOS_JIT), // set by `teeos run --jit/--no-jit`; Workers inherit env
      });
      const sm = new SecurityMonitor(m.smImage);
      const created = sm.createEnclave(hart, epm, m);
      params = created.params;
      ctl = new Int32Array(m.ctl);
      const c = ctl;
      let exited = false;
      machine = {
        hart, epm, utm,
        sbi: (fid, args) => sm.sbi(fid, args, epm, {
          stopForHost() {
            Atomics.store(c, CTL_STATE, CTL_EDGE_CALL);
            Atomics.notify(c, CTL_STATE);
            while (Atomics.load(c, CTL_STATE) === CTL_EDGE_CALL) Atomics.wait(c, CTL_STATE, CTL_EDGE_CALL);
          },
          exit(value) {
            if (exited) return;
            exited = true;
            Atomics.store(c, CTL_STATE, CTL_EXITED);
            Atomics.notify(c, CTL_STATE);
            post({ type: 'exited', status: value, instret: hart.instret });
          },
        }),
      };
      post({ type: 'created', measurement: created.measurement, params: created.params, loaderBase: DRAM_BASE });
      return;
    }
    if (m.type === 'run') {
      if (!machine || !params || !ctl) throw new Error('run before create');
      Atomics.store(ctl, CTL_STATE, CTL_RUNNING);
      machine.hart.priv = Priv.S;
      const p = params;
      const mach = machine;
      const bootArgs = m.boot;
      const loader = mach.epm.subarray(0, p.runtimeBase - p.dramBase);
      Promise.resolve()
        .then(() => {
          const mod = evaluateImage(loader);
          const boot = mod.boot as ((mm: KeystoneMachine, pp: RuntimeParams, b: typeof bootArgs) => Promise<void>) | undefined;
          if (typeof boot !== 'function') throw new Error('the loader has no boot entry');
          return boot(mach, p, bootArgs);
        })
        .catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) }));
      return;
    }
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});
