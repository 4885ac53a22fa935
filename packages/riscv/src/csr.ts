// Control and status registers (RISC-V Privileged ISA 20211203 ch. 2 "CSR field
// specifications" (WARL), 3.1 machine-level CSRs, 4.1 supervisor-level CSRs, 3.7 PMP
// CSRs; Unprivileged ISA ch. 10 "Zicsr" counters, ch. 11.2 fcsr) and the privilege
// checks of a CSR instruction (2.1 CSR address conventions: bits 11:10 read-only,
// bits 9:8 lowest privilege; 3.1.11 mcounteren/scounteren; 3.1.6.5 TVM; 3.1.6.6 FS).

import {
  CSR_CYCLE, CSR_FCSR, CSR_FFLAGS, CSR_FRM, CSR_INSTRET, CSR_MARCHID, CSR_MCAUSE, CSR_MCONFIGPTR,
  CSR_MCOUNTEREN, CSR_MCYCLE, CSR_MEDELEG, CSR_MEPC, CSR_MHARTID, CSR_MIDELEG, CSR_MIE, CSR_MIMPID,
  CSR_MINSTRET, CSR_MIP, CSR_MISA, CSR_MSCRATCH, CSR_MSTATUS, CSR_MTVAL, CSR_MTVEC, CSR_MVENDORID,
  CSR_PMPADDR0, CSR_PMPCFG0, CSR_PMPCFG2, CSR_SATP, CSR_SCAUSE, CSR_SCOUNTEREN, CSR_SEPC, CSR_SIE,
  CSR_SIP, CSR_SSCRATCH, CSR_SSTATUS, CSR_STVAL, CSR_STVEC, CSR_TIME, FS_DIRTY, MEDELEG_MASK,
  MIDELEG_MASK, MIP_SSIP, MIP_WMASK, MISA_HI, MISA_LO, MSTATUS_FS, MSTATUS_FS_SHIFT, MSTATUS_HI_SD,
  MSTATUS_HI_XL, MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_TVM, MSTATUS_WMASK, Priv, SATP_MODE_BARE,
  SATP_MODE_SV39, SSTATUS_MASK, ALL_INTERRUPTS,
} from './constants.ts';
import type { Hart } from './hart.ts';

const TWO32 = 4294967296;
/** Counters implemented in [ms]counteren: CY, TM, IR. */
const COUNTEREN_MASK = 0x7;

export function csrExists(h: Hart, num: number): boolean {
  switch (num) {
    case CSR_FFLAGS: case CSR_FRM: case CSR_FCSR:
    case CSR_CYCLE: case CSR_TIME: case CSR_INSTRET:
    case CSR_SSTATUS: case CSR_SIE: case CSR_STVEC: case CSR_SCOUNTEREN: case CSR_SSCRATCH:
    case CSR_SEPC: case CSR_SCAUSE: case CSR_STVAL: case CSR_SIP: case CSR_SATP:
    case CSR_MVENDORID: case CSR_MARCHID: case CSR_MIMPID: case CSR_MHARTID: case CSR_MCONFIGPTR:
    case CSR_MSTATUS: case CSR_MISA: case CSR_MEDELEG: case CSR_MIDELEG: case CSR_MIE:
    case CSR_MTVEC: case CSR_MCOUNTEREN: case CSR_MSCRATCH: case CSR_MEPC: case CSR_MCAUSE:
    case CSR_MTVAL: case CSR_MIP: case CSR_PMPCFG0: case CSR_PMPCFG2:
    case CSR_MCYCLE: case CSR_MINSTRET:
      return true;
  }
  void h;
  return num >= CSR_PMPADDR0 && num < CSR_PMPADDR0 + 16;
}

/**
 * May the current privilege access CSR `num` (write = the instruction writes it)?
 * Existence is checked separately.
 */
export function csrAccessAllowed(h: Hart, num: number, write: boolean): boolean {
  const priv = h.priv;
  if (priv < ((num >>> 8) & 3)) return false;
  if (write && (num >>> 10) === 3) return false;
  if (num <= CSR_FCSR) return (h.mstatus & MSTATUS_FS) !== 0;
  if (num === CSR_SATP) return !(priv === Priv.S && (h.mstatus & MSTATUS_TVM));
  if (num >= CSR_CYCLE && num <= CSR_INSTRET) {
    const bit = 1 << (num - CSR_CYCLE);
    if (priv === Priv.M) return true;
    if (!(h.mcounteren & bit)) return false;
    return priv === Priv.S || (h.scounteren & bit) !== 0;
  }
  return true;
}

function mstatusHi(h: Hart): number {
  const fs = (h.mstatus & MSTATUS_FS) >>> MSTATUS_FS_SHIFT;
  return MSTATUS_HI_XL | (fs === FS_DIRTY ? MSTATUS_HI_SD : 0);
}

function setNum(h: Hart, v: number): void {
  h.csrLo = v | 0;
  h.tmpHi = Math.floor(v / TWO32) | 0;
}

/** Read CSR `num` into h.csrLo / h.tmpHi (no privilege checks). */
export function csrReadInto(h: Hart, num: number): void {
  let lo = 0, hi = 0;
  switch (num) {
    case CSR_FFLAGS: lo = h.fflags; break;
    case CSR_FRM: lo = h.frm; break;
    case CSR_FCSR: lo = (h.frm << 5) | h.fflags; break;
    case CSR_CYCLE: case CSR_INSTRET: case CSR_MCYCLE: case CSR_MINSTRET:
      return setNum(h, h.instret + h.inflight);
    case CSR_TIME: return setNum(h, h.timeSource());
    case CSR_SSTATUS: lo = h.mstatus & SSTATUS_MASK; hi = mstatusHi(h); break;
    case CSR_SIE: lo = h.mie & h.mideleg; break;
    case CSR_STVEC: lo = h.stvecLo; hi = h.stvecHi; break;
    case CSR_SCOUNTEREN: lo = h.scounteren; break;
    case CSR_SSCRATCH: lo = h.sscratchLo; hi = h.sscratchHi; break;
    case CSR_SEPC: lo = h.sepcLo; hi = h.sepcHi; break;
    case CSR_SCAUSE: lo = h.scauseLo; hi = h.scauseHi; break;
    case CSR_STVAL: lo = h.stvalLo; hi = h.stvalHi; break;
    case CSR_SIP: lo = h.mip & h.mideleg; break;
    case CSR_SATP: lo = h.satpLo; hi = h.satpHi; break;
    case CSR_MVENDORID: case CSR_MARCHID: case CSR_MIMPID: case CSR_MCONFIGPTR: break;
    case CSR_MHARTID: lo = h.hartId; break;
    case CSR_MSTATUS: lo = h.mstatus; hi = mstatusHi(h); break;
    case CSR_MISA: lo = MISA_LO; hi = MISA_HI; break;
    case CSR_MEDELEG: lo = h.medeleg; break;
    case CSR_MIDELEG: lo = h.mideleg; break;
    case CSR_MIE: lo = h.mie; break;
    case CSR_MTVEC: lo = h.mtvecLo; hi = h.mtvecHi; break;
    case CSR_MCOUNTEREN: lo = h.mcounteren; break;
    case CSR_MSCRATCH: lo = h.mscratchLo; hi = h.mscratchHi; break;
    case CSR_MEPC: lo = h.mepcLo; hi = h.mepcHi; break;
    case CSR_MCAUSE: lo = h.mcauseLo; hi = h.mcauseHi; break;
    case CSR_MTVAL: lo = h.mtvalLo; hi = h.mtvalHi; break;
    case CSR_MIP: lo = h.mip; break;
    case CSR_PMPCFG0: case CSR_PMPCFG2:
      [lo, hi] = h.pmp.readCfg(num - CSR_PMPCFG0);
      break;
    default:
      if (num >= CSR_PMPADDR0 && num < CSR_PMPADDR0 + 16) [lo, hi] = h.pmp.readAddr(num - CSR_PMPADDR0);
      else throw new Error(`csrReadInto: unknown CSR 0x${num.toString(16)}`);
  }
  h.csrLo = lo;
  h.tmpHi = hi;
}

/** Write CSR `num` with WARL legalization and side effects (no privilege checks). */
export function csrWrite(h: Hart, num: number, lo: number, hi: number): void {
  switch (num) {
    case CSR_FFLAGS: h.fflags = lo & 0x1f; h.fsDirty(); return;
    case CSR_FRM: h.frm = lo & 0x7; h.fsDirty(); return;
    case CSR_FCSR: h.fflags = lo & 0x1f; h.frm = (lo >>> 5) & 0x7; h.fsDirty(); return;
    case CSR_CYCLE: case CSR_TIME: case CSR_INSTRET: case CSR_MVENDORID: case CSR_MARCHID:
    case CSR_MIMPID: case CSR_MHARTID: case CSR_MCONFIGPTR:
      return; // read-only (an instruction write is rejected before getting here)
    case CSR_MCYCLE: case CSR_MINSTRET:
      // The write is what the next instruction reads: the writing instruction itself
      // still retires afterwards (inflight counts it).
      h.instret = (hi >>> 0) * TWO32 + (lo >>> 0) - h.inflight - (h.running ? 1 : 0);
      return;
    case CSR_SSTATUS:
      return writeMstatus(h, (h.mstatus & ~SSTATUS_MASK) | (lo & SSTATUS_MASK));
    case CSR_MSTATUS:
      return writeMstatus(h, lo);
    case CSR_SIE: h.mie = (h.mie & ~h.mideleg) | (lo & h.mideleg); return;
    case CSR_MIE: h.mie = lo & ALL_INTERRUPTS; return;
    case CSR_SIP: {
      // Only SSIP is writable through sip, and only when delegated.
      const m = h.mideleg & MIP_SSIP;
      h.mip = (h.mip & ~m) | (lo & m);
      return;
    }
    case CSR_MIP: h.mip = (h.mip & ~MIP_WMASK) | (lo & MIP_WMASK); return;
    case CSR_MEDELEG: h.medeleg = lo & MEDELEG_MASK; return;
    case CSR_MIDELEG: h.mideleg = lo & MIDELEG_MASK; return;
    // xtvec: MODE >= 2 is reserved; keep only Direct (0) and Vectored (1).
    case CSR_STVEC: h.stvecLo = lo & ~2; h.stvecHi = hi; return;
    case CSR_MTVEC: h.mtvecLo = lo & ~2; h.mtvecHi = hi; return;
    case CSR_SCOUNTEREN: h.scounteren = lo & COUNTEREN_MASK; return;
    case CSR_MCOUNTEREN: h.mcounteren = lo & COUNTEREN_MASK; return;
    case CSR_SSCRATCH: h.sscratchLo = lo; h.sscratchHi = hi; return;
    case CSR_MSCRATCH: h.mscratchLo = lo; h.mscratchHi = hi; return;
    // xepc[0] is always zero (IALIGN = 16).
    case CSR_SEPC: h.sepcLo = lo & ~1; h.sepcHi = hi; return;
    case CSR_MEPC: h.mepcLo = lo & ~1; h.mepcHi = hi; return;
    case CSR_SCAUSE: h.scauseLo = lo; h.scauseHi = hi; return;
    case CSR_MCAUSE: h.mcauseLo = lo; h.mcauseHi = hi; return;
    case CSR_STVAL: h.stvalLo = lo; h.stvalHi = hi; return;
    case CSR_MTVAL: h.mtvalLo = lo; h.mtvalHi = hi; return;
    case CSR_MISA: return; // WARL: extensions cannot be turned off
    case CSR_SATP: {
      const mode = hi >>> 28;
      // An unsupported MODE makes the whole write have no effect (4.1.11).
      if (mode !== SATP_MODE_BARE && mode !== SATP_MODE_SV39) return;
      h.satpLo = lo;
      h.satpHi = hi; // ASID (16 bits) and PPN (44 bits) are fully writable
      h.modeChanged();
      h.flushTLB();
      return;
    }
    case CSR_PMPCFG0: case CSR_PMPCFG2:
      h.pmp.writeCfg(num - CSR_PMPCFG0, lo, hi);
      h.flushTLB();
      return;
  }
  if (num >= CSR_PMPADDR0 && num < CSR_PMPADDR0 + 16) {
    h.pmp.writeAddr(num - CSR_PMPADDR0, lo, hi);
    h.flushTLB();
    return;
  }
  throw new Error(`csrWrite: unknown CSR 0x${num.toString(16)}`);
}

function writeMstatus(h: Hart, v: number): void {
  let ns = (h.mstatus & ~MSTATUS_WMASK) | (v & MSTATUS_WMASK);
  // MPP is WARL over {U, S, M}: the reserved value 2 leaves the field unchanged.
  if (((ns & MSTATUS_MPP) >>> MSTATUS_MPP_SHIFT) === 2) ns = (ns & ~MSTATUS_MPP) | (h.mstatus & MSTATUS_MPP);
  h.mstatus = ns;
  h.modeChanged();
}
