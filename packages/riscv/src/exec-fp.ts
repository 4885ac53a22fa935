// F and D computational instructions (RISC-V Unprivileged ISA 20191213, ch. 11 "F":
// 11.2 fcsr and dynamic rounding, 11.3 NaN generation (canonical NaN), 11.6-11.9
// computational, conversion, move, compare and classify instructions; ch. 12 "D",
// 12.2 NaN boxing of narrower values). Encodings: the RV32F/RV64F/RV32D/RV64D rows of
// the instruction listing (ch. 24).
//
// The arithmetic itself (exact IEEE rounding in five modes, exception flags) is fpu.ts.
// This file owns everything that sees bits: decoding, NaN boxing, signaling-NaN
// detection, canonical NaNs, sign injection, moves, classification, flag accrual, and
// mstatus.FS (illegal when Off, Dirty after a change).

import * as fpu from './fpu.ts';
import { FLAG_NV, fpuState } from './fpu.ts';
import { MSTATUS_FS } from './constants.ts';
import type { Hart } from './hart.ts';

const SINK = 130; // STATE_XZERO_SINK / 4
const CANON_NAN_HI_D = 0x7ff80000;
const CANON_NAN_S = 0x7fc00000;

// OP-FP funct5 (bits 31:27)
const F_ADD = 0x00, F_SUB = 0x01, F_MUL = 0x02, F_DIV = 0x03, F_SGNJ = 0x04, F_MINMAX = 0x05;
const F_CVT_FF = 0x08, F_SQRT = 0x0b, F_CMP = 0x14, F_CVT_IF = 0x18, F_CVT_FI = 0x1a;
const F_MVXF_CLASS = 0x1c, F_MVFX = 0x1e;
// major opcodes
const OPC_FMADD = 0x43, OPC_FMSUB = 0x47, OPC_FNMSUB = 0x4b, OPC_FNMADD = 0x4f, OPC_OPFP = 0x53;

const i64out = new Int32Array(2);

function isSNaN64(lo: number, hi: number): boolean {
  return (hi & 0x7ff80000) === 0x7ff00000 && ((hi & 0x7ffff) | lo) !== 0;
}
function isSNaN32(b: number): boolean {
  return (b & 0x7fc00000) === 0x7f800000 && (b & 0x3fffff) !== 0;
}

/** fclass bit for a binary64 (lo, hi) or, with is32, a binary32 in `hi` (lo ignored). */
function fclass(lo: number, hi: number, is32: boolean): number {
  const sign = hi < 0;
  const expAllOnes = is32 ? (hi & 0x7f800000) === 0x7f800000 : (hi & 0x7ff00000) === 0x7ff00000;
  const expZero = is32 ? (hi & 0x7f800000) === 0 : (hi & 0x7ff00000) === 0;
  const mantZero = is32 ? (hi & 0x7fffff) === 0 : ((hi & 0xfffff) | lo) === 0;
  const quiet = is32 ? (hi & 0x400000) !== 0 : (hi & 0x80000) !== 0;
  if (expAllOnes) {
    if (mantZero) return sign ? 1 << 0 : 1 << 7;
    return quiet ? 1 << 9 : 1 << 8;
  }
  if (expZero) {
    if (mantZero) return sign ? 1 << 3 : 1 << 4;
    return sign ? 1 << 2 : 1 << 5;
  }
  return sign ? 1 << 1 : 1 << 6;
}

// Operand access for the instruction being executed. Module-level functions rather than
// closures inside execFP: a closure per FP instruction would be allocated (and, under
// tsx/esbuild's keepNames, renamed with defineProperty) on every execution.
let X: Int32Array, F64: Float64Array, F32: Float32Array, H: Hart, isD = false;

/** binary32 operands must be NaN-boxed (upper 32 bits all ones), else they read as the canonical NaN. */
function boxed32(i: number): boolean { return X[i + 1] === -1; }
function bits32(i: number): number { return boxed32(i) ? X[i] : CANON_NAN_S; }
function val(i: number): number { return isD ? F64[(i - 64) >> 1] : boxed32(i) ? F32[i - 64] : NaN; }
function snan(i: number): boolean { return isD ? isSNaN64(X[i], X[i + 1]) : boxed32(i) && isSNaN32(X[i]); }
/** Write an FP result to f[rd] (state index fd): canonical NaN, NaN-boxing, FS = Dirty. */
function writeF(fd: number, v: number): void {
  if (isD) {
    if (v !== v) { X[fd] = 0; X[fd + 1] = CANON_NAN_HI_D; } else F64[(fd - 64) >> 1] = v;
  } else {
    if (v !== v) X[fd] = CANON_NAN_S; else F32[fd - 64] = v;
    X[fd + 1] = -1;
  }
  H.mstatus |= MSTATUS_FS;
}
function writeX(rd: number, lo: number, hi: number): void {
  const r = rd === 0 ? SINK : 2 * rd;
  X[r] = lo; X[r + 1] = hi;
}
/** The rounding mode of an instruction whose rm field is meaningful (7 = frm; 5, 6 and an invalid frm are illegal). */
function roundingMode(rmf: number): number {
  const r = rmf === 7 ? H.frm : rmf;
  if (r > 4) H.illegal();
  return r;
}

/** Execute the F/D instruction `bits` (opcodes 0x43-0x53). Raises illegal instruction as needed. */
export function execFP(h: Hart, bits: number): void {
  if ((h.mstatus & MSTATUS_FS) === 0) h.illegal();
  X = h.x; F64 = h.f64; F32 = h.f32; H = h;
  const x = X, f32 = F32, f64 = F64;
  const opc = bits & 0x7f;
  const rd = (bits >>> 7) & 31, rmf = (bits >>> 12) & 7, rs1 = (bits >>> 15) & 31, rs2 = (bits >>> 20) & 31;
  const fmt = (bits >>> 25) & 3;
  if (fmt > 1) h.illegal(); // H and Q are not implemented
  isD = fmt === 1;
  const fd = 64 + 2 * rd;
  const a1 = 64 + 2 * rs1, a2 = 64 + 2 * rs2;

  fpuState.flags = 0;
  if (opc !== OPC_OPFP) {
    // Fused multiply-add family: rs3 in bits 31:27.
    const a3 = 64 + 2 * (bits >>> 27);
    const r = roundingMode(rmf);
    if (snan(a1) || snan(a2) || snan(a3)) fpuState.flags |= FLAG_NV;
    let a = val(a1);
    const b = val(a2);
    let c = val(a3);
    if (opc === OPC_FMSUB) c = -c;
    else if (opc === OPC_FNMSUB) a = -a;
    else if (opc === OPC_FNMADD) { a = -a; c = -c; }
    else if (opc !== OPC_FMADD) h.illegal();
    writeF(fd, isD ? fpu.fma64(a, b, c, r) : fpu.fma32(a, b, c, r));
    return accrue(h);
  }

  const f5 = bits >>> 27;
  switch (f5) {
    case F_ADD: case F_SUB: case F_MUL: case F_DIV: {
      const r = roundingMode(rmf);
      if (snan(a1) || snan(a2)) fpuState.flags |= FLAG_NV;
      const a = val(a1), b = val(a2);
      let v: number;
      if (isD) v = f5 === F_ADD ? fpu.add64(a, b, r) : f5 === F_SUB ? fpu.sub64(a, b, r) : f5 === F_MUL ? fpu.mul64(a, b, r) : fpu.div64(a, b, r);
      else v = f5 === F_ADD ? fpu.add32(a, b, r) : f5 === F_SUB ? fpu.sub32(a, b, r) : f5 === F_MUL ? fpu.mul32(a, b, r) : fpu.div32(a, b, r);
      writeF(fd, v);
      return accrue(h);
    }
    case F_SQRT: {
      if (rs2 !== 0) h.illegal();
      const r = roundingMode(rmf);
      if (snan(a1)) fpuState.flags |= FLAG_NV;
      writeF(fd, isD ? fpu.sqrt64(val(a1), r) : fpu.sqrt32(val(a1), r));
      return accrue(h);
    }
    case F_SGNJ: {
      if (rmf > 2) h.illegal();
      if (isD) {
        const ahi = x[a1 + 1], bhi = x[a2 + 1];
        const sign = rmf === 0 ? bhi : rmf === 1 ? ~bhi : ahi ^ bhi;
        x[fd] = x[a1];
        x[fd + 1] = (ahi & 0x7fffffff) | (sign & 0x80000000);
      } else {
        const a = bits32(a1), b = bits32(a2);
        const sign = rmf === 0 ? b : rmf === 1 ? ~b : a ^ b;
        x[fd] = (a & 0x7fffffff) | (sign & 0x80000000);
        x[fd + 1] = -1;
      }
      h.mstatus |= MSTATUS_FS;
      return;
    }
    case F_MINMAX: {
      if (rmf > 1) h.illegal();
      if (snan(a1) || snan(a2)) fpuState.flags |= FLAG_NV;
      writeF(fd, rmf === 0 ? fpu.min(val(a1), val(a2)) : fpu.max(val(a1), val(a2)));
      return accrue(h);
    }
    case F_CVT_FF: {
      const r = roundingMode(rmf);
      if (isD) { // FCVT.D.S: exact
        if (rs2 !== 0) h.illegal();
        const s = 64 + 2 * rs1;
        if (boxed32(s) && isSNaN32(x[s])) fpuState.flags |= FLAG_NV;
        writeF(fd, boxed32(s) ? f32[s - 64] : NaN);
      } else { // FCVT.S.D
        if (rs2 !== 1) h.illegal();
        if (isSNaN64(x[a1], x[a1 + 1])) fpuState.flags |= FLAG_NV;
        writeF(fd, fpu.cvtF64ToF32(f64[rs1], r));
      }
      return accrue(h);
    }
    case F_CMP: {
      if (rmf > 2) h.illegal();
      const a = val(a1), b = val(a2);
      let res: boolean;
      if (rmf === 2) { // FEQ: quiet, NV only for signaling NaNs
        if (snan(a1) || snan(a2)) fpuState.flags |= FLAG_NV;
        res = fpu.eq(a, b);
      } else res = rmf === 1 ? fpu.lt(a, b) : fpu.le(a, b); // signaling: NV for any NaN
      writeX(rd, res ? 1 : 0, 0);
      return accrue(h);
    }
    case F_CVT_IF: { // FCVT.{W,WU,L,LU}.fmt
      if (rs2 > 3) h.illegal();
      const r = roundingMode(rmf);
      const v = val(a1);
      if (rs2 === 0) { const t = fpu.cvtToI32(v, r); writeX(rd, t, t >> 31); }
      else if (rs2 === 1) { const t = fpu.cvtToU32(v, r) | 0; writeX(rd, t, t >> 31); } // sign-extend bit 31
      else {
        if (rs2 === 2) fpu.cvtToI64(v, r, i64out); else fpu.cvtToU64(v, r, i64out);
        writeX(rd, i64out[0], i64out[1]);
      }
      return accrue(h);
    }
    case F_CVT_FI: { // FCVT.fmt.{W,WU,L,LU}
      if (rs2 > 3) h.illegal();
      const r = roundingMode(rmf);
      const lo = x[2 * rs1], hi = x[2 * rs1 + 1];
      let v: number;
      if (isD) {
        v = rs2 === 0 ? fpu.cvtI64ToF64(lo, lo >> 31, r) : rs2 === 1 ? fpu.cvtU64ToF64(lo, 0, r)
          : rs2 === 2 ? fpu.cvtI64ToF64(lo, hi, r) : fpu.cvtU64ToF64(lo, hi, r);
      } else {
        v = rs2 === 0 ? fpu.cvtI64ToF32(lo, lo >> 31, r) : rs2 === 1 ? fpu.cvtU64ToF32(lo, 0, r)
          : rs2 === 2 ? fpu.cvtI64ToF32(lo, hi, r) : fpu.cvtU64ToF32(lo, hi, r);
      }
      writeF(fd, v);
      return accrue(h);
    }
    case F_MVXF_CLASS: {
      if (rs2 !== 0) h.illegal();
      if (rmf === 0) { // FMV.X.W / FMV.X.D: raw bits, no unboxing
        if (isD) writeX(rd, x[a1], x[a1 + 1]);
        else writeX(rd, x[a1], x[a1] >> 31);
        return;
      }
      if (rmf === 1) { // FCLASS
        writeX(rd, isD ? fclass(x[a1], x[a1 + 1], false) : fclass(0, bits32(a1), true), 0);
        return;
      }
      return h.illegal();
    }
    case F_MVFX: { // FMV.W.X / FMV.D.X
      if (rs2 !== 0 || rmf !== 0) h.illegal();
      x[fd] = x[2 * rs1];
      x[fd + 1] = isD ? x[2 * rs1 + 1] : -1;
      h.mstatus |= MSTATUS_FS;
      return;
    }
  }
  h.illegal();
}

function accrue(h: Hart): void {
  const fl = fpuState.flags;
  if (fl) {
    h.fflags |= fl;
    h.mstatus |= MSTATUS_FS;
  }
}
