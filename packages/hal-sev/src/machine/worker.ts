/**
 * The SEV-SNP machine: one RV64 hart standing in for the vCPU, the guest's private RAM, the RMP
 * of the shared window, and the PSP firmware model, running in a Worker. The host reaches it
 * only by messages (the launch commands), the shared window (a SharedArrayBuffer whose pages the
 * guest can use only once the RMP has them as shared) and the control block. Guest RAM is a
 * WebAssembly.Memory created here and never shared.
 *
 * On 'run' the vCPU starts from the VMSA the PSP measured: pc is the boot stub's GPA and a1 the
 * boot table's; here that means evaluating the stub laid at pc, which evaluates the runtime.
 */
import { parentPort } from 'node:worker_threads';
import { Hart, Priv, jitModeFrom } from '@teeos/riscv';
import { Psp } from './psp.ts';
import { SharedWindowRmp, decodePscDesc, type PscEntry } from './rmp.ts';
import type { SevMachine } from './machine.ts';
import { evaluateImage } from '@teeos/hal/image';
import {
  CTL_ARG0_Q, CTL_ARG1_Q, CTL_EXITED, CTL_MSR_Q, CTL_PSP_CMD, CTL_PSP_COMMAND, CTL_PSP_DONE, CTL_PSP_STATUS,
  CTL_RUNNING, CTL_STATE, CTL_VMGEXIT, PAGE, RAM_BASE, SEV_STATUS_INVALID_PARAM, SHARED_BASE, SHARED_PAGES,
  SNP_CMD_GUEST_REQUEST, type HostToMachine, type MachineToHost, type SevBootArgs, type Vmsa,
} from './protocol.ts';
import {
  GHCB_MSR_PSC_REQ, GHCB_MSR_PSC_RESP, GHCB_SHARED_BUFFER_OFFSET, GHCB_SHARED_BUFFER_SIZE, GHCB_SW_EXIT_CODE_OFFSET,
  GHCB_SW_EXIT_INFO_2_OFFSET, SVM_VMGEXIT_PSC,
} from '../ghcb.ts';
import { useNativeSha384 } from '../host/native-sha384.ts';

useNativeSha384();

const port = parentPort;
if (!port) throw new Error('the SEV-SNP machine must run in a Worker');

/** Bytes of Wasm memory before guest RAM: the hart state block lives there. */
const RAM_OFFSET = 4096;
const WASM_PAGE = 65536;
const CSR_PMPCFG0 = 0x3a0, CSR_PMPADDR0 = 0x3b0, CSR_MEDELEG = 0x302, CSR_MIDELEG = 0x303;
const CSR_MSTATUS = 0x300, CSR_MCOUNTEREN = 0x306, CSR_SCOUNTEREN = 0x106, CSR_SATP = 0x180;

function post(m: MachineToHost): void {
  port!.postMessage(m);
}

let hart: Hart | null = null;
let ram: Uint8Array | null = null;
let shared: Uint8Array | null = null;
let ctl: Int32Array | null = null;
let q: BigUint64Array | null = null;
let vmsa: Vmsa | null = null;
const psp = new Psp();
const rmp = new SharedWindowRmp(SHARED_BASE, SHARED_PAGES);

/** The shared window's bytes for a GPA range, if every page of it is shared. */
function sharedRange(gpa: number, len: number): Uint8Array | null {
  if (!shared || len <= 0) return null;
  for (let p = gpa - (gpa % PAGE); p < gpa + len; p += PAGE) if (!rmp.isShared(p)) return null;
  const off = gpa - SHARED_BASE;
  return shared.subarray(off, off + len);
}

/** The PSP serves a firmware command the hypervisor issued while the vCPU is stopped. */
function pspCommand(c: Int32Array, qq: BigUint64Array): void {
  let status = SEV_STATUS_INVALID_PARAM;
  if (Atomics.load(c, CTL_PSP_COMMAND) === SNP_CMD_GUEST_REQUEST) {
    const req = sharedRange(Number(qq[CTL_ARG0_Q]), PAGE);
    const resp = sharedRange(Number(qq[CTL_ARG1_Q]), PAGE);
    if (req && resp) status = psp.guestRequest(req, resp);
  }
  Atomics.store(c, CTL_PSP_STATUS, status);
}

function makeMachine(h: Hart, r: Uint8Array, c: Int32Array, qq: BigUint64Array): SevMachine {
  let halted = false;
  return {
    hart: h, ram: r, ramBase: RAM_BASE,
    writeGhcbMsr(v) { qq[CTL_MSR_Q] = BigInt.asUintN(64, v); },
    readGhcbMsr() { return qq[CTL_MSR_Q]; },
    vmgexit() {
      // What the guest asked for, captured before the exit (the hardware applies the
      // hypervisor's RMPUPDATEs; this model applies exactly the requested ones on success).
      const msr = qq[CTL_MSR_Q];
      const info = msr & 0xfffn;
      let pending: PscEntry[] = [];
      let ghcb: Uint8Array | null = null;
      if (info === GHCB_MSR_PSC_REQ) {
        pending = [{ gfn: Number((msr >> 12n) & ((1n << 40n) - 1n)), op: Number((msr >> 52n) & 0xfn), pageSize: 0 }];
      } else if (info === 0n) {
        ghcb = sharedRange(Number(msr), PAGE);
        if (ghcb && new DataView(ghcb.buffer, ghcb.byteOffset, PAGE).getBigUint64(GHCB_SW_EXIT_CODE_OFFSET, true) === SVM_VMGEXIT_PSC) {
          const d = decodePscDesc(ghcb.slice(GHCB_SHARED_BUFFER_OFFSET, GHCB_SHARED_BUFFER_OFFSET + GHCB_SHARED_BUFFER_SIZE));
          if (d) pending = d.entries.slice(d.cur);
        } else ghcb = null;
      }
      Atomics.store(c, CTL_STATE, CTL_VMGEXIT);
      Atomics.notify(c, CTL_STATE);
      for (;;) {
        const s = Atomics.load(c, CTL_STATE);
        if (s === CTL_RUNNING) break;
        if (s === CTL_EXITED) throw new Error('the hypervisor stopped the guest');
        if (s === CTL_PSP_CMD) {
          pspCommand(c, qq);
          Atomics.store(c, CTL_STATE, CTL_PSP_DONE);
          Atomics.notify(c, CTL_STATE);
          continue;
        }
        Atomics.wait(c, CTL_STATE, s);
      }
      let ok = false;
      if (info === GHCB_MSR_PSC_REQ) {
        const resp = qq[CTL_MSR_Q];
        ok = (resp & 0xfffn) === GHCB_MSR_PSC_RESP && resp >> 32n === 0n;
      } else if (ghcb) {
        ok = new DataView(ghcb.buffer, ghcb.byteOffset, PAGE).getBigUint64(GHCB_SW_EXIT_INFO_2_OFFSET, true) === 0n;
      }
      if (ok) for (const e of pending) if (e.pageSize === 0) rmp.update(e.gfn * PAGE, e.op);
    },
    shared(gpa, len) {
      return gpa % PAGE === 0 ? sharedRange(gpa, len) : null;
    },
    rdrand(buf) {
      for (let i = 0; i < buf.length; i += 65536) crypto.getRandomValues(buf.subarray(i, Math.min(buf.length, i + 65536)));
    },
    halt() {
      if (halted) return;
      halted = true;
      Atomics.store(c, CTL_STATE, CTL_EXITED);
      Atomics.notify(c, CTL_STATE);
      post({ type: 'exited', instret: h.instret });
    },
  };
}


port.on('message', (m: HostToMachine) => {
  try {
    switch (m.type) {
      case 'create': {
        const memory = new WebAssembly.Memory({ initial: Math.ceil((RAM_OFFSET + m.memory) / WASM_PAGE) });
        ram = new Uint8Array(memory.buffer, RAM_OFFSET, m.memory);
        hart = new Hart({ memory, stateOffset: 0, ramBase: RAM_BASE, ramOffset: RAM_OFFSET, ramSize: m.memory, jit: jitModeFrom(process.env.TEEOS_JIT) });
        shared = new Uint8Array(m.shared);
        if (shared.length !== SHARED_PAGES * PAGE) throw new Error('the shared window has the wrong size');
        ctl = new Int32Array(m.ctl);
        q = new BigUint64Array(m.ctl);
        // The machine's M-mode setup (not a security boundary in SEV: the RMP and memory
        // encryption are): all of guest RAM reachable, U-mode traps delegated to the guest kernel.
        hart.writeCSR(CSR_PMPADDR0, BigInt((RAM_BASE + m.memory) / 4));
        hart.writeCSR(CSR_PMPCFG0, BigInt((1 << 3) | 7));
        const deleg = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 15].reduce((x, c) => x | (1n << BigInt(c)), 0n);
        hart.writeCSR(CSR_MEDELEG, deleg);
        hart.writeCSR(CSR_MIDELEG, (1n << 1n) | (1n << 5n) | (1n << 9n));
        hart.writeCSR(CSR_MCOUNTEREN, 7n);
        hart.writeCSR(CSR_SCOUNTEREN, 7n);
        hart.writeCSR(CSR_MSTATUS, hart.readCSR(CSR_MSTATUS) | (1n << 13n));
        post({ type: 'ok' });
        return;
      }
      case 'launch-start':
        psp.launchStart(m.policy);
        post({ type: 'ok' });
        return;
      case 'launch-update':
        if (!ram) throw new Error('launch before create');
        psp.launchUpdate(m.update, { bytes: ram, base: RAM_BASE });
        post({ type: 'ok' });
        return;
      case 'launch-finish': {
        const f = psp.launchFinish();
        vmsa = f.vmsa;
        post({ type: 'launched', measurement: f.measurement });
        return;
      }
      case 'run': {
        if (!hart || !ram || !ctl || !q || !vmsa) throw new Error('run before launch');
        const v = vmsa, h = hart, r = ram;
        Atomics.store(ctl, CTL_STATE, CTL_RUNNING);
        h.priv = v.priv === 1 ? Priv.S : Priv.M;
        h.writeCSR(CSR_SATP, BigInt(v.satp));
        h.setPC(BigInt(v.pc));
        h.setX(10, BigInt(v.a0));
        h.setX(11, BigInt(v.a1));
        const machine = makeMachine(h, r, ctl, q);
        const bootArgs: SevBootArgs = m.boot;
        const stubEnd = v.a1 - RAM_BASE;
        if (v.pc < RAM_BASE || stubEnd <= v.pc - RAM_BASE || stubEnd > r.length) throw new Error('the VMSA points outside guest RAM');
        Promise.resolve()
          .then(() => {
            const mod = evaluateImage(r.subarray(v.pc - RAM_BASE, stubEnd));
            const boot = mod.boot as ((mm: SevMachine, b: SevBootArgs) => Promise<void>) | undefined;
            if (typeof boot !== 'function') throw new Error('the boot stub has no boot entry');
            return boot(machine, bootArgs);
          })
          .catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) }));
        return;
      }
    }
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});
