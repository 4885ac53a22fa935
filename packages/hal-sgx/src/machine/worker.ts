/**
 * The SGX machine: one RV64 hart standing in for the logical processor, the EPC (a
 * WebAssembly.Memory created here and never shared), the EPCM and the SGX instruction model
 * (epc.ts), running in a Worker. The host reaches it only by messages while it builds the enclave
 * (ECREATE, EADD+EEXTEND, EINIT), and afterwards through untrusted memory (a SharedArrayBuffer)
 * and the control block: EEXIT/EENTER for OCALLs, AEX/ERESUME, and ENCLS leaves (EAUG, EMODPR,
 * EMODT, EREMOVE) it issues while the enclave thread is outside.
 *
 * On 'run' the host EENTERs TCS 0: the CPU starts at TCS.OENTRY, which names the measured config
 * page; here that means evaluating the measured runtime pages the config page lists.
 */
import { parentPort, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { Hart, Priv, jitModeFrom } from '@teeos/riscv';
import { Epc, LinearMap } from './epc.ts';
import type { SgxMachine } from './machine.ts';
import { evaluateImage } from '@teeos/hal/image';
import {
  PAGE, EPC_BASE, CTL_STATE, CTL_RUNNING, CTL_EEXIT, CTL_AEX, CTL_EXITED, CTL_ENCLS, CTL_ENCLS_DONE, CTL_LEAF,
  CTL_STATUS, CTL_TCS, CTL_VECTOR, CTL_DOORBELL, CTL_RDI_Q, CTL_RSI_Q, CTL_ARG0_Q, CTL_ARG1_Q, CTL_FAULT_Q, ENCLS_EAUG, ENCLS_EMODPR,
  ENCLS_EMODT, ENCLS_EREMOVE, SGX_GP, SGX_PF, VECTOR_INTR, VECTOR_PF, VECTOR_UD, PT_TCS, PT_REG, TCS_OSSA, TCS_OENTRY,
  SSA_X, SSA_F, SSA_FCSR, SSA_PC, SSA_EXITINFO, SSA_TVAL, SSA_CAUSE, RT_BASE, ELRANGE_SIZE, decodeConfig, SI_R, SI_W,
  USHM_PHYS_BASE, USHM_REGION_SPAN, USHM_MAX_ID, ENCLS_MANY, CTL_LIST_Q, CTL_LIST_MAX,
  type HostToMachine, type MachineToHost, type SgxBootArgs, type EnclaveConfig,
} from './protocol.ts';
import { ereport, egetkey, DEFAULT_SGX_PLATFORM } from '../keys.ts';
import { decodeTargetInfo, SGX_TARGETINFO_SIZE, SGX_KEYREQUEST_SIZE } from '../report.ts';
import { nativeAesGcm, useNativeSha256 } from '../host/native.ts';

useNativeSha256();

const port = parentPort;
if (!port) throw new Error('the SGX machine must run in a Worker');

/** Bytes of Wasm memory before the EPC: the hart state block lives there. */
const RAM_OFFSET = 4096;
const WASM_PAGE = 65536;
const CSR_PMPCFG0 = 0x3a0, CSR_PMPADDR0 = 0x3b0, CSR_MEDELEG = 0x302, CSR_MIDELEG = 0x303;
const CSR_MSTATUS = 0x300, CSR_MCOUNTEREN = 0x306, CSR_SCOUNTEREN = 0x106, CSR_SATP = 0x180;
const CSR_SSTATUS = 0x100, CSR_SEPC = 0x141, CSR_SCAUSE = 0x142, CSR_STVAL = 0x143, CSR_FCSR = 0x003;
const SSTATUS_SPP = 1n << 8n;
const STOP_TRAP = 1;
/** Byte offsets in the hart's state block (stateOffset 0) of x1 and f0. */
const HART_X = 8, HART_F = 256;

function post(m: MachineToHost): void {
  port!.postMessage(m);
}

let hart: Hart | null = null;
let epc: Epc | null = null;
let untrusted: Uint8Array | null = null;
let ctl: Int32Array | null = null;
let q: BigUint64Array | null = null;
let linMap: LinearMap | null = null;
let ushmPort: MessagePort | null = null;

/** Executes the ENCLS leaf the host put in the control block (the enclave thread is outside). */
function enclsLeaf(e: Epc, leaf: number, a0: number, a1: number): number {
  switch (leaf) {
    case ENCLS_EAUG: return e.eaug(a0, a1);
    case ENCLS_EMODPR: return e.emodpr(a0, a1);
    case ENCLS_EMODT: return e.emodt(a0, a1);
    case ENCLS_EREMOVE: return e.eremove(a0);
  }
  return SGX_GP;
}

function encls(e: Epc, c: Int32Array, qq: BigUint64Array): void {
  const leaf = Atomics.load(c, CTL_LEAF), a0 = Number(qq[CTL_ARG0_Q]), a1 = Number(qq[CTL_ARG1_Q]);
  if (leaf & ENCLS_MANY) {
    // The same leaf, one page after another, each with its own status (a range ioctl's loop).
    const n = Math.min(a0, CTL_LIST_MAX), l = leaf & ~ENCLS_MANY;
    for (let i = 0; i < n; i++) qq[CTL_LIST_Q + i] = BigInt(enclsLeaf(e, l, Number(qq[CTL_LIST_Q + i]), a1) >>> 0);
    Atomics.store(c, CTL_STATUS, 0);
    return;
  }
  Atomics.store(c, CTL_STATUS, enclsLeaf(e, leaf, a0, a1));
}

/** The enclave thread is outside (EEXIT or AEX) until the host EENTERs/ERESUMEs it. */
function outside(e: Epc, c: Int32Array, qq: BigUint64Array, state: number): void {
  Atomics.store(c, CTL_STATE, state);
  Atomics.notify(c, CTL_STATE);
  for (;;) {
    const s = Atomics.load(c, CTL_STATE);
    if (s === CTL_RUNNING) return;
    if (s === CTL_EXITED) throw new Error('the host destroyed the enclave');
    if (s === CTL_ENCLS) {
      encls(e, c, qq);
      Atomics.store(c, CTL_STATE, CTL_ENCLS_DONE);
      Atomics.notify(c, CTL_STATE);
      continue;
    }
    Atomics.wait(c, CTL_STATE, s);
  }
}

/** x86 exception vector the host would see for a RISC-V trap cause. */
function vectorOf(cause: bigint): number {
  if (cause >> 63n) return VECTOR_INTR;
  switch (Number(cause)) {
    case 12: case 13: case 15: return VECTOR_PF;
    case 8: case 2: return VECTOR_UD; // ecall: SYSCALL inside an enclave is #UD
    case 3: return 3;
    case 0: case 4: case 6: return 17; // misaligned: #AC
    default: return 13; // access faults: #GP
  }
}

function makeMachine(mem: Uint8Array, h: Hart, e: Epc, u: Uint8Array, c: Int32Array, qq: BigUint64Array, tcs: number, ssaOffset: number, map: LinearMap, port: MessagePort): SgxMachine {
  let halted = false;
  const dv = new DataView(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength);
  const x = ssaOffset + SSA_X, f = ssaOffset + SSA_F;
  const aex = (vector: number, faultVa: number) => {
    Atomics.store(c, CTL_TCS, tcs);
    Atomics.store(c, CTL_VECTOR, vector);
    qq[CTL_FAULT_Q] = BigInt(vector === VECTOR_PF ? faultVa - (faultVa % PAGE) : 0);
    outside(e, c, qq, CTL_AEX);
  };
  return {
    hart: h, epc: e.bytes, epcBase: EPC_BASE, untrusted: u, tcs, ssaOffset,
    translate(va) {
      const p = e.page(va);
      return p < 0 ? -1 : EPC_BASE + p * PAGE + (va % PAGE);
    },
    pageRights: (va) => e.pageRights(va),
    resumeUser(budget) {
      // Restore the context from the SSA frame (restore_sgx_context).
      // The hart keeps x0..x31 then f0..f31 as 64-bit words at the start of its state block
      // (stateOffset 0 of the same memory): the SSA's GPR and FP areas are copied in whole.
      mem.copyWithin(HART_X, RAM_OFFSET + x + 8, RAM_OFFSET + x + 256);
      mem.copyWithin(HART_F, RAM_OFFSET + f, RAM_OFFSET + f + 256);
      h.writeCSR(CSR_FCSR, BigInt(dv.getUint32(ssaOffset + SSA_FCSR, true) & 0xff));
      h.writeCSR(CSR_SEPC, dv.getBigUint64(ssaOffset + SSA_PC, true));
      h.writeCSR(CSR_SSTATUS, h.readCSR(CSR_SSTATUS) & ~SSTATUS_SPP);
      h.sret();
      const stop = h.run(budget);
      let cause: bigint, tval = 0n, pc: bigint;
      if (stop === STOP_TRAP) {
        cause = h.readCSR(CSR_SCAUSE);
        tval = h.readCSR(CSR_STVAL);
        pc = h.readCSR(CSR_SEPC);
      } else {
        // The budget ran out: an interrupt (the host's timer) causes the AEX.
        cause = (1n << 63n) | 5n;
        pc = h.getPC();
        h.priv = Priv.S;
      }
      // AEX: the context goes to the SSA frame, with EXITINFO.
      mem.copyWithin(RAM_OFFSET + x, HART_X - 8, HART_X + 248);
      mem.copyWithin(RAM_OFFSET + f, HART_F, HART_F + 256);
      dv.setUint32(ssaOffset + SSA_FCSR, Number(h.readCSR(CSR_FCSR)), true);
      dv.setBigUint64(ssaOffset + SSA_PC, pc, true);
      const vector = vectorOf(cause);
      dv.setUint32(ssaOffset + SSA_EXITINFO, (vector & 0xff) | 0x8000_0000, true);
      dv.setBigUint64(ssaOffset + SSA_TVAL, tval, true);
      dv.setBigUint64(ssaOffset + SSA_CAUSE, cause, true);
      aex(vector, Number(tval));
      return vector;
    },
    eexit(rdi, rsi) {
      qq[CTL_RDI_Q] = rdi;
      qq[CTL_RSI_Q] = rsi;
      Atomics.store(c, CTL_TCS, tcs);
      outside(e, c, qq, CTL_EEXIT);
      return qq[CTL_RDI_Q];
    },
    eaccept(va, flags) {
      let s = e.eaccept(va, flags);
      if (s === SGX_PF) {
        // The page does not exist: #PF -> AEX; the host's driver may EAUG it; ERESUME re-executes EACCEPT.
        aex(VECTOR_PF, va);
        s = e.eaccept(va, flags);
      }
      return s;
    },
    eacceptcopy(va, flags, src) {
      let s = e.eacceptcopy(va, flags, src);
      if (s === SGX_PF) {
        aex(VECTOR_PF, va); // as EACCEPT: the driver may EAUG the missing page, then ERESUME
        s = e.eacceptcopy(va, flags, src);
      }
      return s;
    },
    emodpe: (va, rights) => e.emodpe(va, rights),
    ereport(targetInfo, reportData) {
      if (!e.identity || targetInfo.length !== SGX_TARGETINFO_SIZE || reportData.length !== 64) throw new Error('EREPORT: #GP');
      return ereport(e.identity, decodeTargetInfo(targetInfo), reportData, DEFAULT_SGX_PLATFORM);
    },
    egetkey(keyRequest) {
      if (!e.identity || keyRequest.length !== SGX_KEYREQUEST_SIZE) return { status: SGX_GP, key: new Uint8Array(16) };
      const r = egetkey(e.identity, keyRequest, DEFAULT_SGX_PLATFORM);
      return r.ok ? { status: 0, key: r.key } : { status: SGX_GP, key: new Uint8Array(16) };
    },
    doorbell: () => Atomics.load(c, CTL_DOORBELL),
    waitDoorbell(seen, ms) {
      Atomics.wait(c, CTL_DOORBELL, seen, ms);
    },
    ushmTake(id) {
      // The host posted the region before it answered the OCALL: it is already queued.
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        const v = m.message as { id?: unknown; buf?: unknown };
        if (v.id === id && v.buf instanceof SharedArrayBuffer) return v.buf;
      }
      return null;
    },
    ushmAdd(phys, buf) {
      const id = (phys - USHM_PHYS_BASE) / USHM_REGION_SPAN;
      if (!Number.isInteger(id) || id < 0 || id >= USHM_MAX_ID || buf.byteLength > USHM_REGION_SPAN || buf.byteLength % PAGE) return false;
      h.addRegion({ base: phys, size: buf.byteLength, bytes: new Uint8Array(buf), shared: true });
      return true;
    },
    ushmMap(va, pa, rights) {
      // A linear address outside ELRANGE reaches the host's memory through the host's page
      // tables: no EPCM check, so it must not be inside ELRANGE (there only EPC pages count).
      const el = e.elrange;
      if (!el || !Number.isSafeInteger(va) || va % PAGE || va < el.base + el.size || va >= 2 ** 38) return false;
      if (pa < USHM_PHYS_BASE || pa % PAGE) return false;
      if (!map.map(va, pa, rights & (SI_R | SI_W))) return false;
      h.flushTLB();
      return true;
    },
    ushmUnmap(va) {
      const el = e.elrange;
      if (!el || !Number.isSafeInteger(va) || va % PAGE || va < el.base + el.size || va >= 2 ** 38) return;
      map.unmap(va);
      h.flushTLB();
    },
    aesGcm: nativeAesGcm,
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

/** The measured bytes of a linear range of REG pages, gathered page by page through the EPCM. */
function gather(e: Epc, lin: number, len: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(len / PAGE) * PAGE);
  for (let o = 0; o < out.length; o += PAGE) {
    const p = e.anyPage(lin + o, PT_REG);
    if (p < 0) throw new Error(`EENTER: page 0x${(lin + o).toString(16)} is not in the enclave`);
    out.set(e.bytes.subarray(p * PAGE, (p + 1) * PAGE), o);
  }
  return out.subarray(0, len);
}

port.on('message', (m: HostToMachine) => {
  try {
    switch (m.type) {
      case 'create': {
        if (m.epcSize % PAGE || m.epcSize < (4 << 20)) throw new Error('bad EPC size');
        const epcPages = m.epcSize / PAGE;
        const ptSize = Math.max(256, Math.ceil(epcPages / 64)) * PAGE;
        const ramSize = m.epcSize + ptSize;
        const memory = new WebAssembly.Memory({ initial: Math.ceil((RAM_OFFSET + ramSize) / WASM_PAGE) });
        const h = new Hart({ memory, stateOffset: 0, ramBase: EPC_BASE, ramOffset: RAM_OFFSET, ramSize, jit: jitModeFrom(process.env.TEEOS_JIT) });
        const epcBytes = new Uint8Array(memory.buffer, RAM_OFFSET, m.epcSize);
        const map = new LinearMap(new Uint8Array(memory.buffer, RAM_OFFSET + m.epcSize, ptSize), EPC_BASE + m.epcSize);
        epc = new Epc(epcBytes, map, { flushTlb: () => h.flushTLB(), physWritten: (pa, len) => h.notifyPhysWrite(pa, len) }, { base: 0, size: RT_BASE });
        hart = h;
        untrusted = new Uint8Array(m.untrusted);
        linMap = map;
        ushmPort = m.ushm;
        ctl = new Int32Array(m.ctl);
        q = new BigUint64Array(m.ctl);
        // M-mode setup. PMP: entry 0 OFF (base), entry 1 TOR EPC RWX, entry 2 TOR page-table area R
        // (the walker's reads); nothing else is reachable.
        h.writeCSR(CSR_PMPADDR0, BigInt(EPC_BASE / 4));
        h.writeCSR(CSR_PMPADDR0 + 1, BigInt((EPC_BASE + m.epcSize) / 4));
        h.writeCSR(CSR_PMPADDR0 + 2, BigInt((EPC_BASE + ramSize) / 4));
        // Entries 3 (OFF, the base) and 4 (TOR, RW, no X): untrusted shared memory regions, reached
        // only through linear pages outside ELRANGE that the machine maps for an enclave built with them.
        h.writeCSR(CSR_PMPADDR0 + 3, BigInt(USHM_PHYS_BASE / 4));
        h.writeCSR(CSR_PMPADDR0 + 4, BigInt((USHM_PHYS_BASE + USHM_MAX_ID * USHM_REGION_SPAN) / 4));
        h.writeCSR(CSR_PMPCFG0, BigInt(((1 << 3) | 7) << 8 | ((1 << 3) | 1) << 16) | (BigInt((1 << 3) | 3) << 32n));
        const deleg = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 15].reduce((v, cc) => v | (1n << BigInt(cc)), 0n);
        h.writeCSR(CSR_MEDELEG, deleg);
        h.writeCSR(CSR_MIDELEG, (1n << 1n) | (1n << 5n) | (1n << 9n));
        h.writeCSR(CSR_MCOUNTEREN, 7n);
        h.writeCSR(CSR_SCOUNTEREN, 7n);
        h.writeCSR(CSR_MSTATUS, h.readCSR(CSR_MSTATUS) | (1n << 13n));
        h.priv = Priv.S;
        h.writeCSR(CSR_SATP, (8n << 60n) | BigInt(map.rootPa / PAGE));
        post({ type: 'ok' });
        return;
      }
      case 'ecreate':
        if (!epc) throw new Error('ECREATE before create');
        epc.ecreate(m.base, m.size, m.ssaFrameSize);
        post({ type: 'ok' });
        return;
      case 'eadd':
        if (!epc) throw new Error('EADD before create');
        for (const o of m.ops) epc.eadd(o.lin, o.epcPage, o.flags, o.data, o.measure);
        post({ type: 'ok' });
        return;
      case 'einit': {
        if (!epc) throw new Error('EINIT before create');
        const r = epc.einit(m.sigstruct);
        if (r.status !== 0) throw new Error(`EINIT failed (status ${r.status}): ${'reason' in r ? r.reason : ''}`);
        const id = (r as { identity: { mrenclave: Uint8Array; mrsigner: Uint8Array } }).identity;
        post({ type: 'initialized', mrenclave: id.mrenclave, mrsigner: id.mrsigner });
        return;
      }
      case 'run': {
        if (!hart || !epc || !ctl || !q || !untrusted || !linMap || !ushmPort || !epc.initialized || !epc.elrange) throw new Error('EENTER before EINIT');
        const e = epc;
        Atomics.store(ctl, CTL_STATE, CTL_RUNNING);
        // EENTER TCS 0: the first TCS of the measured layout (the config page opens the runtime
        // area, the top GiB of ELRANGE: RT_BASE for a full-size ELRANGE).
        const tcsLin = e.elrange!.base + e.elrange!.size - (ELRANGE_SIZE - RT_BASE) + PAGE;
        const tp = e.anyPage(tcsLin, PT_TCS);
        if (tp < 0) throw new Error('EENTER: TCS 0 is not a TCS page');
        const tdv = new DataView(e.bytes.buffer, e.bytes.byteOffset + tp * PAGE, PAGE);
        const ossa = Number(tdv.getBigUint64(TCS_OSSA, true)), oentry = Number(tdv.getBigUint64(TCS_OENTRY, true));
        const sp = e.anyPage(ossa, PT_REG);
        if (sp < 0) throw new Error('EENTER: the SSA frame is not an enclave page');
        const config: EnclaveConfig = decodeConfig(gather(e, oentry, PAGE));
        const machine = makeMachine(new Uint8Array(hart.memory.buffer), hart, e, untrusted, ctl, q, 0, sp * PAGE, linMap, ushmPort);
        const boot: SgxBootArgs = m.boot;
        Promise.resolve()
          .then(() => {
            const mod = evaluateImage(gather(e, config.runtimeLin, config.runtimeLen));
            const main = mod.sgxMain as ((mm: SgxMachine, c: EnclaveConfig, b: SgxBootArgs) => void) | undefined;
            if (typeof main !== 'function') throw new Error('the runtime has no sgxMain entry');
            main(machine, config, boot);
          })
          .catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) }))
          .finally(() => {
            // Nothing of this enclave stays reachable from the thread: its EPC memory, hart and
            // control block go with it, and a later 'create' builds everything anew.
            hart = null; epc = null; untrusted = null; ctl = null; q = null; linMap = null;
            ushmPort?.close();
            ushmPort = null;
            post({ type: 'idle' });
          });
        return;
      }
    }
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) });
  }
});
