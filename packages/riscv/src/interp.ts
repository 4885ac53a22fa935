// The decoder and the interpreter loop (RISC-V Unprivileged ISA 20191213: ch. 2 RV32I,
// ch. 5 RV64I, ch. 7 "M", ch. 8 "A", ch. 3 Zifencei, ch. 9 Zicsr, ch. 16 "C" (all RV64C
// encodings, table 16.4-16.6 expansions), FP loads/stores of ch. 11-12; Privileged ISA
// 3.3 for ECALL/EBREAK/xRET/WFI and 4.2.1 SFENCE.VMA).
//
// Instructions are decoded once per physical page into slots (one per halfword), so a
// compressed instruction costs the same as its 32-bit expansion. The operation numbers
// are a const enum in this file because the dispatch switch must see literal case
// labels (a jump table); operands are pre-multiplied indices into the HartState int32
// view (x[i] at 2i; f[i] at 64+2i; rd = x0 writes a sink slot so x0 stays zero).

import {
  CAUSE_BREAKPOINT, CAUSE_ILLEGAL_INSTRUCTION, CAUSE_MACHINE_ECALL, CAUSE_SUPERVISOR_ECALL,
  CAUSE_USER_ECALL, LK_B, LK_BU, LK_D, LK_FW, LK_H, LK_HU, LK_W, LK_WU, MSTATUS_FS,
  MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW, Priv, STATE_PC, STATE_XZERO_SINK, STOP_BUDGET, STOP_TRAP,
  STOP_WFI, TRAP,
} from './constants.ts';
import { csrAccessAllowed, csrExists, csrReadInto, csrWrite } from './csr.ts';
import { execFP } from './exec-fp.ts';
import type { Hart, HartRegion } from './hart.ts';

export const SLOTS_PER_PAGE = 2048;
export const OP_CROSS = 1;
const TWO32 = 4294967296;
const SINK = STATE_XZERO_SINK >> 2;
const PC = STATE_PC >> 2;
/** Offset bias that forces a re-fetch while keeping base + off = pc exact. */
const FAR = 0x40000000;

export const enum Op {
  NONE = 0, CROSS = 1, ILLEGAL,
  LUI, AUIPC, JAL, JALR, BEQ, BNE, BLT, BGE, BLTU, BGEU,
  LB, LH, LW, LD, LBU, LHU, LWU, SB, SH, SW, SD,
  ADDI, SLTI, SLTIU, XORI, ORI, ANDI, SLLI, SRLI, SRAI,
  ADD, SUB, SLL, SLT, SLTU, XOR, SRL, SRA, OR, AND,
  ADDIW, SLLIW, SRLIW, SRAIW, ADDW, SUBW, SLLW, SRLW, SRAW,
  FENCE, FENCE_I, ECALL, EBREAK, MRET, SRET, WFI, SFENCE_VMA,
  CSRRW, CSRRS, CSRRC, CSRRWI, CSRRSI, CSRRCI,
  MUL, MULH, MULHSU, MULHU, DIV, DIVU, REM, REMU, MULW, DIVW, DIVUW, REMW, REMUW,
  LR_W, SC_W, AMO_W, LR_D, SC_D, AMO_D,
  FLW, FLD, FSW, FSD, FP,
}

// AMO funct5 values (Unprivileged ISA table 8.2 / opcode map)
const AMOADD = 0x00, AMOSWAP = 0x01, AMOXOR = 0x04, AMOOR = 0x08, AMOAND = 0x0c;
const AMOMIN = 0x10, AMOMAX = 0x14, AMOMINU = 0x18, AMOMAXU = 0x1c;

// ---------------------------------------------------------------------------
// Decoder
// ---------------------------------------------------------------------------

let dOps: Uint8Array, dWs: Int32Array, dImms: Int32Array, dSlot = 0;

function put(op: number, rd: number, rs1: number, rs2: number, len: number, imm: number): void {
  dOps[dSlot] = op;
  dWs[dSlot] = rd | (rs1 << 8) | (rs2 << 16) | (len << 24);
  dImms[dSlot] = imm;
}
const xd = (r: number) => (r === 0 ? SINK : r << 1);
const fr = (r: number) => 64 + (r << 1);
function illegal(bits: number, len: number): void {
  put(Op.ILLEGAL, 0, 0, 0, len, len === 2 ? bits & 0xffff : bits);
}

/** Decode one instruction (16-bit if bits[1:0] != 3) into slot s of the given arrays. */
export function decodeInto(bits: number, ops: Uint8Array, ws: Int32Array, imms: Int32Array, s: number): void {
  dOps = ops; dWs = ws; dImms = imms; dSlot = s;
  if ((bits & 3) !== 3) decode16(bits & 0xffff);
  else decode32(bits | 0);
}

const BRANCH_OPS = [Op.BEQ, Op.BNE, 0, 0, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU];
const LOAD_OPS = [Op.LB, Op.LH, Op.LW, Op.LD, Op.LBU, Op.LHU, Op.LWU, 0];
const STORE_OPS = [Op.SB, Op.SH, Op.SW, Op.SD];
const OPIMM_OPS = [Op.ADDI, Op.SLLI, Op.SLTI, Op.SLTIU, Op.XORI, Op.SRLI, Op.ORI, Op.ANDI];
const OP_OPS = [Op.ADD, Op.SLL, Op.SLT, Op.SLTU, Op.XOR, Op.SRL, Op.OR, Op.AND];
const M_OPS = [Op.MUL, Op.MULH, Op.MULHSU, Op.MULHU, Op.DIV, Op.DIVU, Op.REM, Op.REMU];
const MW_OPS = [Op.MULW, 0, 0, 0, Op.DIVW, Op.DIVUW, Op.REMW, Op.REMUW];
const CSR_OPS = [0, Op.CSRRW, Op.CSRRS, Op.CSRRC, 0, Op.CSRRWI, Op.CSRRSI, Op.CSRRCI];

function decode32(i: number): void {
  const opc = i & 0x7f;
  const rd = (i >>> 7) & 31, f3 = (i >>> 12) & 7, rs1 = (i >>> 15) & 31, rs2 = (i >>> 20) & 31, f7 = i >>> 25;
  const D = xd(rd), A = rs1 << 1, B = rs2 << 1;
  const immI = i >> 20;
  const immS = ((i >> 25) << 5) | ((i >>> 7) & 0x1f);
  switch (opc) {
    case 0x37: return put(Op.LUI, D, 0, 0, 4, i & 0xfffff000);
    case 0x17: return put(Op.AUIPC, D, 0, 0, 4, i & 0xfffff000);
    case 0x6f: {
      const imm = ((i >> 31) << 20) | (i & 0xff000) | (((i >>> 20) & 1) << 11) | (((i >>> 21) & 0x3ff) << 1);
      return put(Op.JAL, D, 0, 0, 4, imm);
    }
    case 0x67:
      if (f3 !== 0) return illegal(i, 4);
      return put(Op.JALR, D, A, 0, 4, immI);
    case 0x63: {
      const op = BRANCH_OPS[f3];
      if (!op) return illegal(i, 4);
      const imm = ((i >> 31) << 12) | (((i >>> 7) & 1) << 11) | (((i >>> 25) & 0x3f) << 5) | (((i >>> 8) & 0xf) << 1);
      return put(op, 0, A, B, 4, imm);
    }
    case 0x03: {
      const op = LOAD_OPS[f3];
      if (!op) return illegal(i, 4);
      return put(op, D, A, 0, 4, immI);
    }
    case 0x23:
      if (f3 > 3) return illegal(i, 4);
      return put(STORE_OPS[f3], 0, A, B, 4, immS);
    case 0x13: {
      if (f3 === 1) { // SLLI: imm[11:6] = 0
        if ((i >>> 26) !== 0) return illegal(i, 4);
        return put(Op.SLLI, D, A, 0, 4, (i >>> 20) & 63);
      }
      if (f3 === 5) {
        const f6 = i >>> 26;
        if (f6 === 0) return put(Op.SRLI, D, A, 0, 4, (i >>> 20) & 63);
        if (f6 === 0x10) return put(Op.SRAI, D, A, 0, 4, (i >>> 20) & 63);
        return illegal(i, 4);
      }
      return put(OPIMM_OPS[f3], D, A, 0, 4, immI);
    }
    case 0x1b:
      if (f3 === 0) return put(Op.ADDIW, D, A, 0, 4, immI);
      if (f3 === 1 && f7 === 0) return put(Op.SLLIW, D, A, 0, 4, rs2);
      if (f3 === 5 && f7 === 0) return put(Op.SRLIW, D, A, 0, 4, rs2);
      if (f3 === 5 && f7 === 0x20) return put(Op.SRAIW, D, A, 0, 4, rs2);
      return illegal(i, 4);
    case 0x33:
      if (f7 === 0) return put(OP_OPS[f3], D, A, B, 4, 0);
      if (f7 === 1) return put(M_OPS[f3], D, A, B, 4, 0);
      if (f7 === 0x20 && f3 === 0) return put(Op.SUB, D, A, B, 4, 0);
      if (f7 === 0x20 && f3 === 5) return put(Op.SRA, D, A, B, 4, 0);
      return illegal(i, 4);
    case 0x3b:
      if (f7 === 0) {
        if (f3 === 0) return put(Op.ADDW, D, A, B, 4, 0);
        if (f3 === 1) return put(Op.SLLW, D, A, B, 4, 0);
        if (f3 === 5) return put(Op.SRLW, D, A, B, 4, 0);
      } else if (f7 === 0x20) {
        if (f3 === 0) return put(Op.SUBW, D, A, B, 4, 0);
        if (f3 === 5) return put(Op.SRAW, D, A, B, 4, 0);
      } else if (f7 === 1 && MW_OPS[f3]) return put(MW_OPS[f3], D, A, B, 4, 0);
      return illegal(i, 4);
    case 0x0f:
      if (f3 === 0) return put(Op.FENCE, 0, 0, 0, 4, 0);
      if (f3 === 1) return put(Op.FENCE_I, 0, 0, 0, 4, 0);
      return illegal(i, 4);
    case 0x73: {
      if (f3 === 0) {
        if (i === 0x00000073) return put(Op.ECALL, 0, 0, 0, 4, 0);
        if (i === 0x00100073) return put(Op.EBREAK, 0, 0, 0, 4, 0);
        if (i === 0x30200073) return put(Op.MRET, 0, 0, 0, 4, 0);
        if (i === 0x10200073) return put(Op.SRET, 0, 0, 0, 4, 0);
        if (i === 0x10500073) return put(Op.WFI, 0, 0, 0, 4, 0);
        if ((i & 0xfe007fff) === 0x12000073) return put(Op.SFENCE_VMA, 0, A, B, 4, 0);
        return illegal(i, 4);
      }
      const op = CSR_OPS[f3];
      if (!op) return illegal(i, 4);
      return put(op, D, rs1, 0, 4, i >>> 20); // rs1 field raw: register number or uimm
    }
    case 0x2f: {
      if (f3 !== 2 && f3 !== 3) return illegal(i, 4);
      const w = f3 === 2;
      const f5 = i >>> 27;
      if (f5 === 0x02) {
        if (rs2 !== 0) return illegal(i, 4);
        return put(w ? Op.LR_W : Op.LR_D, D, A, 0, 4, 0);
      }
      if (f5 === 0x03) return put(w ? Op.SC_W : Op.SC_D, D, A, B, 4, 0);
      switch (f5) {
        case AMOADD: case AMOSWAP: case AMOXOR: case AMOOR: case AMOAND:
        case AMOMIN: case AMOMAX: case AMOMINU: case AMOMAXU:
          return put(w ? Op.AMO_W : Op.AMO_D, D, A, B, 4, f5);
      }
      return illegal(i, 4);
    }
    case 0x07:
      if (f3 === 2) return put(Op.FLW, fr(rd), A, 0, 4, immI);
      if (f3 === 3) return put(Op.FLD, fr(rd), A, 0, 4, immI);
      return illegal(i, 4);
    case 0x27:
      if (f3 === 2) return put(Op.FSW, 0, A, fr(rs2), 4, immS);
      if (f3 === 3) return put(Op.FSD, 0, A, fr(rs2), 4, immS);
      return illegal(i, 4);
    case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53:
      return put(Op.FP, 0, 0, 0, 4, i); // validated and executed by exec-fp.ts
  }
  return illegal(i, 4);
}

/** Sign-extend the low `n` bits of v. */
const sext = (v: number, n: number) => (v << (32 - n)) >> (32 - n);

function decode16(c: number): void {
  const q = c & 3, f3 = c >>> 13;
  const rdp = 8 + ((c >>> 2) & 7), rs1p = 8 + ((c >>> 7) & 7);
  const rd = (c >>> 7) & 31, rs2 = (c >>> 2) & 31;
  const imm6 = sext(((c >>> 7) & 0x20) | ((c >>> 2) & 0x1f), 6);
  if (q === 0) {
    switch (f3) {
      case 0: { // C.ADDI4SPN
        const imm = ((c >>> 7) & 0x30) | ((c >>> 1) & 0x3c0) | ((c >>> 4) & 4) | ((c >>> 2) & 8);
        if (imm === 0) return illegal(c, 2);
        return put(Op.ADDI, rdp << 1, 2 << 1, 0, 2, imm);
      }
      case 1: return put(Op.FLD, fr(rdp), rs1p << 1, 0, 2, ((c >>> 7) & 0x38) | ((c << 1) & 0xc0));
      case 2: return put(Op.LW, rdp << 1, rs1p << 1, 0, 2, ((c >>> 7) & 0x38) | ((c >>> 4) & 4) | ((c << 1) & 0x40));
      case 3: return put(Op.LD, rdp << 1, rs1p << 1, 0, 2, ((c >>> 7) & 0x38) | ((c << 1) & 0xc0));
      case 5: return put(Op.FSD, 0, rs1p << 1, fr(rdp), 2, ((c >>> 7) & 0x38) | ((c << 1) & 0xc0));
      case 6: return put(Op.SW, 0, rs1p << 1, rdp << 1, 2, ((c >>> 7) & 0x38) | ((c >>> 4) & 4) | ((c << 1) & 0x40));
      case 7: return put(Op.SD, 0, rs1p << 1, rdp << 1, 2, ((c >>> 7) & 0x38) | ((c << 1) & 0xc0));
    }
    return illegal(c, 2);
  }
  if (q === 1) {
    switch (f3) {
      case 0: return put(Op.ADDI, xd(rd), rd << 1, 0, 2, imm6); // C.ADDI / C.NOP
      case 1:
        if (rd === 0) return illegal(c, 2);
        return put(Op.ADDIW, xd(rd), rd << 1, 0, 2, imm6); // C.ADDIW
      case 2: return put(Op.ADDI, xd(rd), 0, 0, 2, imm6); // C.LI
      case 3:
        if (rd === 2) { // C.ADDI16SP
          const imm = sext(((c >>> 3) & 0x200) | ((c >>> 2) & 0x10) | ((c << 1) & 0x40) | ((c << 4) & 0x180) | ((c << 3) & 0x20), 10);
          if (imm === 0) return illegal(c, 2);
          return put(Op.ADDI, 2 << 1, 2 << 1, 0, 2, imm);
        }
        if (imm6 === 0) return illegal(c, 2); // C.LUI nzimm = 0 reserved
        return put(Op.LUI, xd(rd), 0, 0, 2, imm6 << 12);
      case 4: {
        const f2 = (c >>> 10) & 3;
        const sh = ((c >>> 7) & 0x20) | ((c >>> 2) & 0x1f);
        if (f2 === 0) return put(Op.SRLI, rs1p << 1, rs1p << 1, 0, 2, sh);
        if (f2 === 1) return put(Op.SRAI, rs1p << 1, rs1p << 1, 0, 2, sh);
        if (f2 === 2) return put(Op.ANDI, rs1p << 1, rs1p << 1, 0, 2, imm6);
        const f = (c >>> 5) & 3;
        if (!(c & 0x1000)) {
          const op = [Op.SUB, Op.XOR, Op.OR, Op.AND][f];
          return put(op, rs1p << 1, rs1p << 1, rdp << 1, 2, 0);
        }
        if (f === 0) return put(Op.SUBW, rs1p << 1, rs1p << 1, rdp << 1, 2, 0);
        if (f === 1) return put(Op.ADDW, rs1p << 1, rs1p << 1, rdp << 1, 2, 0);
        return illegal(c, 2);
      }
      case 5: { // C.J
        const imm = sext(((c >>> 1) & 0x800) | ((c >>> 7) & 0x10) | ((c >>> 1) & 0x300) | ((c << 2) & 0x400) |
          ((c >>> 1) & 0x40) | ((c << 1) & 0x80) | ((c >>> 2) & 0xe) | ((c << 3) & 0x20), 12);
        return put(Op.JAL, SINK, 0, 0, 2, imm);
      }
      default: { // 6 C.BEQZ, 7 C.BNEZ
        const imm = sext(((c >>> 4) & 0x100) | ((c >>> 7) & 0x18) | ((c << 1) & 0xc0) | ((c >>> 2) & 6) | ((c << 3) & 0x20), 9);
        return put(f3 === 6 ? Op.BEQ : Op.BNE, 0, rs1p << 1, 0, 2, imm);
      }
    }
  }
  if (q === 2) {
    switch (f3) {
      case 0: return put(Op.SLLI, xd(rd), rd << 1, 0, 2, ((c >>> 7) & 0x20) | rs2); // C.SLLI
      case 1: return put(Op.FLD, fr(rd), 2 << 1, 0, 2, ((c >>> 7) & 0x20) | ((c >>> 2) & 0x18) | ((c << 4) & 0x1c0));
      case 2:
        if (rd === 0) return illegal(c, 2);
        return put(Op.LW, rd << 1, 2 << 1, 0, 2, ((c >>> 7) & 0x20) | ((c >>> 2) & 0x1c) | ((c << 4) & 0xc0));
      case 3:
        if (rd === 0) return illegal(c, 2);
        return put(Op.LD, rd << 1, 2 << 1, 0, 2, ((c >>> 7) & 0x20) | ((c >>> 2) & 0x18) | ((c << 4) & 0x1c0));
      case 4:
        if (!(c & 0x1000)) {
          if (rs2 === 0) {
            if (rd === 0) return illegal(c, 2);
            return put(Op.JALR, SINK, rd << 1, 0, 2, 0); // C.JR
          }
          return put(Op.ADD, xd(rd), 0, rs2 << 1, 2, 0); // C.MV
        }
        if (rs2 === 0) {
          if (rd === 0) return put(Op.EBREAK, 0, 0, 0, 2, 0);
          return put(Op.JALR, 1 << 1, rd << 1, 0, 2, 0); // C.JALR
        }
        return put(Op.ADD, xd(rd), rd << 1, rs2 << 1, 2, 0); // C.ADD
      case 5: return put(Op.FSD, 0, 2 << 1, fr(rs2), 2, ((c >>> 7) & 0x38) | ((c >>> 1) & 0x1c0));
      case 6: return put(Op.SW, 0, 2 << 1, rs2 << 1, 2, ((c >>> 7) & 0x3c) | ((c >>> 1) & 0xc0));
      case 7: return put(Op.SD, 0, 2 << 1, rs2 << 1, 2, ((c >>> 7) & 0x38) | ((c >>> 1) & 0x1c0));
    }
  }
  return illegal(c, 2);
}

// ---------------------------------------------------------------------------
// Helpers for the loop (small; V8 inlines them)
// ---------------------------------------------------------------------------

function sll64(x: Int32Array, rd: number, lo: number, hi: number, sh: number): void {
  if (sh === 0) { x[rd + 1] = hi; x[rd] = lo; }
  else if (sh < 32) { x[rd + 1] = (hi << sh) | (lo >>> (32 - sh)); x[rd] = lo << sh; }
  else { x[rd + 1] = lo << (sh - 32); x[rd] = 0; }
}
function srl64(x: Int32Array, rd: number, lo: number, hi: number, sh: number): void {
  if (sh === 0) { x[rd + 1] = hi; x[rd] = lo; }
  else if (sh < 32) { x[rd] = (lo >>> sh) | (hi << (32 - sh)); x[rd + 1] = hi >>> sh; }
  else { x[rd] = hi >>> (sh - 32); x[rd + 1] = 0; }
}
function sra64(x: Int32Array, rd: number, lo: number, hi: number, sh: number): void {
  if (sh === 0) { x[rd + 1] = hi; x[rd] = lo; }
  else if (sh < 32) { x[rd] = (lo >>> sh) | (hi << (32 - sh)); x[rd + 1] = hi >> sh; }
  else { x[rd] = hi >> (sh - 32); x[rd + 1] = hi >> 31; }
}
/** Signed 64-bit a < b. */
function lt64(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi < bhi || (ahi === bhi && (alo >>> 0) < (blo >>> 0));
}
/** Unsigned 64-bit a < b. */
function ltu64(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) < (blo >>> 0));
}
/** Write the 64-bit value of the JS number v (|v| < 2^53) into x[rd]. */
function setNum(x: Int32Array, rd: number, v: number): void {
  x[rd] = v | 0;
  x[rd + 1] = Math.floor(v / TWO32) | 0;
}

/** pc from the HartState, as a JS number; raises a fetch fault if it cannot be one. */
function loadPC(h: Hart): number {
  const lo = h.x[PC], hi = h.x[PC + 1];
  if ((((hi >> 21) + 1) >>> 1) !== 0) return fetchFaultExact(h, lo, hi);
  return hi * TWO32 + (lo >>> 0);
}
function storePC(x: Int32Array, pc: number): void {
  x[PC] = pc | 0;
  x[PC + 1] = Math.floor(pc / TWO32) | 0;
}
/** Fetch fault at a pc that is not a safe JS integer: epc and tval are the exact bits. */
function fetchFaultExact(h: Hart, lo: number, hi: number): never {
  h.epcExplicit = true;
  h.epcLo = lo;
  h.epcHi = hi;
  return h.fetchFault(lo, hi);
}

// ---------------------------------------------------------------------------
// The loop
// ---------------------------------------------------------------------------

export function run(h: Hart, budget: number): number {
  const x = h.x, dv = h.dv, md = h.md, sb = h.sb;
  const rTag = h.rTag, rTagHi = h.rTagHi, rHost = h.rHost;
  const wTag = h.wTag, wTagHi = h.wTagHi, wHost = h.wHost;
  let n = 0;
  // pc = base + off. `off` is a small integer offset into the current fetch page, so
  // the hot path never does double arithmetic on pc (a double loop variable gets boxed
  // by V8). off outside [0, 4096) means "fetch again"; FAR pushes it out on purpose.
  let base = 0, off = 0;
  let uncached = false; // current instruction was decoded alone into scratch: fetch again next time
  const iVpn = h.iVpn, iPage = h.iPage;
  let cp = h.scratch, ops = cp.ops, ws = cp.ws, imms = cp.imms;
  h.running = true;
  h.epcExplicit = false;
  try {
    base = loadPC(h) - FAR; off = FAR;
    if (h.takeInterrupt((base + off) | 0, Math.floor((base + off) / TWO32) | 0)) return STOP_TRAP;
    for (;;) {
      if (n >= budget) {
        storePC(x, base + off);
        return STOP_BUDGET;
      }
      if ((off >>> 0) >= 4096 || uncached) {
        const pc = base + off;
        const vpn = Math.floor(pc / 4096);
        const e = vpn & 255;
        if (iVpn[e] === vpn) { cp = iPage[e]; uncached = false; }
        else { cp = h.fetchPage(pc); uncached = cp.pidx < 0; }
        ops = cp.ops; ws = cp.ws; imms = cp.imms;
        base = vpn * 4096;
        off = (pc - base) | 0;
      }
      const s = off >> 1;
      let op = ops[s], w: number, imm: number;
      if (op < 2) {
        if (op === Op.NONE) { h.decodeSlot(cp, s); op = ops[s]; }
        if (op === Op.CROSS) {
          h.fetchCross(base + off);
          const sc = h.scratch;
          op = sc.ops[0]; w = sc.ws[0]; imm = sc.imms[0];
        } else { w = ws[s]; imm = imms[s]; }
      } else { w = ws[s]; imm = imms[s]; }
      const rd = w & 255, rs1 = (w >>> 8) & 255, rs2 = (w >>> 16) & 255, len = w >>> 24;
      switch (op) {
        case Op.ILLEGAL:
          return h.raise(CAUSE_ILLEGAL_INSTRUCTION, imm, 0);
        case Op.LUI:
          x[rd] = imm; x[rd + 1] = imm >> 31; off += len; break;
        case Op.AUIPC:
          setNum(x, rd, base + off + imm); off += len; break;
        case Op.JAL:
          setNum(x, rd, base + off + len); off += imm; break;
        case Op.JALR: {
          const b = x[rs1], sum = (b + imm) | 0;
          const thi = (x[rs1 + 1] + (imm >> 31) + ((sum >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const tlo = sum & ~1;
          setNum(x, rd, base + off + len);
          if ((((thi >> 21) + 1) >>> 1) !== 0) { n++; fetchFaultExact(h, tlo, thi); }
          const dd = thi * TWO32 + (tlo >>> 0) - base;
          if (dd >= -FAR && dd < FAR) off = dd | 0;
          else { base += dd - FAR; off = FAR; }
          break;
        }
        case Op.BEQ:
          if (x[rs1] === x[rs2] && x[rs1 + 1] === x[rs2 + 1]) off += imm; else off += len; break;
        case Op.BNE:
          if (x[rs1] !== x[rs2] || x[rs1 + 1] !== x[rs2 + 1]) off += imm; else off += len; break;
        case Op.BLT:
          if (lt64(x[rs1], x[rs1 + 1], x[rs2], x[rs2 + 1])) off += imm; else off += len; break;
        case Op.BGE:
          if (!lt64(x[rs1], x[rs1 + 1], x[rs2], x[rs2 + 1])) off += imm; else off += len; break;
        case Op.BLTU:
          if (ltu64(x[rs1], x[rs1 + 1], x[rs2], x[rs2 + 1])) off += imm; else off += len; break;
        case Op.BGEU:
          if (!ltu64(x[rs1], x[rs1 + 1], x[rs2], x[rs2 + 1])) off += imm; else off += len; break;

        // ---- loads: TLB hit -> host offset; anything else -> hart.loadSlow ----
        case Op.LB: case Op.LBU: case Op.LH: case Op.LHU: case Op.LW: case Op.LWU: case Op.LD: case Op.FLW: case Op.FLD: {
          if (op >= Op.FLW && (h.mstatus & MSTATUS_FS) === 0) h.illegal();
          const b = x[rs1], alo = (b + imm) | 0;
          const ahi = (x[rs1 + 1] + (imm >> 31) + ((alo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const t = (alo >>> 12) | (ahi << 20), e = t & 255, o = alo & 4095;
          const hit = rTag[e] === t && rTagHi[e] === (ahi >> 12);
          switch (op) {
            case Op.LD: case Op.FLD:
              if (hit && o <= 4088) { const p = rHost[e] + o; x[rd] = dv.getInt32(p, true); x[rd + 1] = dv.getInt32(p + 4, true); }
              else h.loadSlow(alo, ahi, LK_D, rd);
              if (op === Op.FLD) h.mstatus |= MSTATUS_FS;
              break;
            case Op.LW:
              if (hit && o <= 4092) { const v = dv.getInt32(rHost[e] + o, true); x[rd] = v; x[rd + 1] = v >> 31; }
              else h.loadSlow(alo, ahi, LK_W, rd);
              break;
            case Op.LWU:
              if (hit && o <= 4092) { x[rd] = dv.getInt32(rHost[e] + o, true); x[rd + 1] = 0; }
              else h.loadSlow(alo, ahi, LK_WU, rd);
              break;
            case Op.FLW:
              if (hit && o <= 4092) { x[rd] = dv.getInt32(rHost[e] + o, true); x[rd + 1] = -1; }
              else h.loadSlow(alo, ahi, LK_FW, rd);
              h.mstatus |= MSTATUS_FS;
              break;
            case Op.LH:
              if (hit && o <= 4094) { const v = dv.getInt16(rHost[e] + o, true); x[rd] = v; x[rd + 1] = v >> 31; }
              else h.loadSlow(alo, ahi, LK_H, rd);
              break;
            case Op.LHU:
              if (hit && o <= 4094) { x[rd] = dv.getUint16(rHost[e] + o, true); x[rd + 1] = 0; }
              else h.loadSlow(alo, ahi, LK_HU, rd);
              break;
            case Op.LB:
              if (hit) { const v = dv.getInt8(rHost[e] + o); x[rd] = v; x[rd + 1] = v >> 31; }
              else h.loadSlow(alo, ahi, LK_B, rd);
              break;
            default: // LBU
              if (hit) { x[rd] = dv.getUint8(rHost[e] + o); x[rd + 1] = 0; }
              else h.loadSlow(alo, ahi, LK_BU, rd);
          }
          off += len;
          break;
        }
        case Op.SB: case Op.SH: case Op.SW: case Op.SD: case Op.FSW: case Op.FSD: {
          if (op >= Op.FSW && (h.mstatus & MSTATUS_FS) === 0) h.illegal();
          const b = x[rs1], alo = (b + imm) | 0;
          const ahi = (x[rs1 + 1] + (imm >> 31) + ((alo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const t = (alo >>> 12) | (ahi << 20), e = t & 255, o = alo & 4095;
          const hit = wTag[e] === t && wTagHi[e] === (ahi >> 12);
          switch (op) {
            case Op.SD: case Op.FSD:
              if (hit && o <= 4088) { const p = wHost[e] + o; dv.setInt32(p, x[rs2], true); dv.setInt32(p + 4, x[rs2 + 1], true); }
              else h.storeSlow(alo, ahi, 8, x[rs2], x[rs2 + 1]);
              break;
            case Op.SW: case Op.FSW:
              if (hit && o <= 4092) dv.setInt32(wHost[e] + o, x[rs2], true);
              else h.storeSlow(alo, ahi, 4, x[rs2], 0);
              break;
            case Op.SH:
              if (hit && o <= 4094) dv.setInt16(wHost[e] + o, x[rs2], true);
              else h.storeSlow(alo, ahi, 2, x[rs2], 0);
              break;
            default:
              if (hit) dv.setInt8(wHost[e] + o, x[rs2]);
              else h.storeSlow(alo, ahi, 1, x[rs2], 0);
          }
          off += len;
          break;
        }

        // ---- integer register-immediate ----
        case Op.ADDI: {
          const a = x[rs1], lo = (a + imm) | 0;
          x[rd + 1] = (x[rs1 + 1] + (imm >> 31) + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
          x[rd] = lo;
          off += len; break;
        }
        case Op.SLTI:
          x[rd] = lt64(x[rs1], x[rs1 + 1], imm, imm >> 31) ? 1 : 0; x[rd + 1] = 0; off += len; break;
        case Op.SLTIU:
          x[rd] = ltu64(x[rs1], x[rs1 + 1], imm, imm >> 31) ? 1 : 0; x[rd + 1] = 0; off += len; break;
        case Op.XORI:
          x[rd + 1] = x[rs1 + 1] ^ (imm >> 31); x[rd] = x[rs1] ^ imm; off += len; break;
        case Op.ORI:
          x[rd + 1] = x[rs1 + 1] | (imm >> 31); x[rd] = x[rs1] | imm; off += len; break;
        case Op.ANDI:
          x[rd + 1] = x[rs1 + 1] & (imm >> 31); x[rd] = x[rs1] & imm; off += len; break;
        case Op.SLLI: sll64(x, rd, x[rs1], x[rs1 + 1], imm); off += len; break;
        case Op.SRLI: srl64(x, rd, x[rs1], x[rs1 + 1], imm); off += len; break;
        case Op.SRAI: sra64(x, rd, x[rs1], x[rs1 + 1], imm); off += len; break;

        // ---- integer register-register ----
        case Op.ADD: {
          const a = x[rs1], lo = (a + x[rs2]) | 0;
          x[rd + 1] = (x[rs1 + 1] + x[rs2 + 1] + ((lo >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
          x[rd] = lo;
          off += len; break;
        }
        case Op.SUB: {
          const a = x[rs1], b = x[rs2];
          x[rd + 1] = (x[rs1 + 1] - x[rs2 + 1] - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          x[rd] = (a - b) | 0;
          off += len; break;
        }
        case Op.SLL: sll64(x, rd, x[rs1], x[rs1 + 1], x[rs2] & 63); off += len; break;
        case Op.SRL: srl64(x, rd, x[rs1], x[rs1 + 1], x[rs2] & 63); off += len; break;
        case Op.SRA: sra64(x, rd, x[rs1], x[rs1 + 1], x[rs2] & 63); off += len; break;
        case Op.SLT:
          x[rd] = lt64(x[rs1], x[rs1 + 1], x[rs2], x[rs2 + 1]) ? 1 : 0; x[rd + 1] = 0; off += len; break;
        case Op.SLTU:
          x[rd] = ltu64(x[rs1], x[rs1 + 1], x[rs2], x[rs2 + 1]) ? 1 : 0; x[rd + 1] = 0; off += len; break;
        case Op.XOR:
          x[rd + 1] = x[rs1 + 1] ^ x[rs2 + 1]; x[rd] = x[rs1] ^ x[rs2]; off += len; break;
        case Op.OR:
          x[rd + 1] = x[rs1 + 1] | x[rs2 + 1]; x[rd] = x[rs1] | x[rs2]; off += len; break;
        case Op.AND:
          x[rd + 1] = x[rs1 + 1] & x[rs2 + 1]; x[rd] = x[rs1] & x[rs2]; off += len; break;

        // ---- RV64 word ops: 32-bit result sign-extended ----
        case Op.ADDIW: { const v = (x[rs1] + imm) | 0; x[rd] = v; x[rd + 1] = v >> 31; off += len; break; }
        case Op.SLLIW: { const v = x[rs1] << imm; x[rd] = v; x[rd + 1] = v >> 31; off += len; break; }
        case Op.SRLIW: { const v = (x[rs1] >>> imm) | 0; x[rd] = v; x[rd + 1] = v >> 31; off += len; break; }
        case Op.SRAIW: { const v = x[rs1] >> imm; x[rd] = v; x[rd + 1] = v >> 31; off += len; break; }
        case Op.ADDW: { const v = (x[rs1] + x[rs2]) | 0; x[rd] = v; x[rd + 1] = v >> 31; off += len; break; }
        case Op.SUBW: { const v = (x[rs1] - x[rs2]) | 0; x[rd] = v; x[rd + 1] = v >> 31; off += len; break; }
        case Op.SLLW: { const v = x[rs1] << (x[rs2] & 31); x[rd] = v; x[rd + 1] = v >> 31; off += len; break; }
        case Op.SRLW: { const v = (x[rs1] >>> (x[rs2] & 31)) | 0; x[rd] = v; x[rd + 1] = v >> 31; off += len; break; }
        case Op.SRAW: { const v = x[rs1] >> (x[rs2] & 31); x[rd] = v; x[rd + 1] = v >> 31; off += len; break; }

        // ---- M: in WebAssembly, on the registers in place ----
        case Op.MUL: md.mul(sb + (rd << 2), sb + (rs1 << 2), sb + (rs2 << 2)); off += len; break;
        case Op.MULH: md.mulh(sb + (rd << 2), sb + (rs1 << 2), sb + (rs2 << 2)); off += len; break;
        case Op.MULHSU: md.mulhsu(sb + (rd << 2), sb + (rs1 << 2), sb + (rs2 << 2)); off += len; break;
        case Op.MULHU: md.mulhu(sb + (rd << 2), sb + (rs1 << 2), sb + (rs2 << 2)); off += len; break;
        case Op.DIV: md.div(sb + (rd << 2), sb + (rs1 << 2), sb + (rs2 << 2)); off += len; break;
        case Op.DIVU: md.divu(sb + (rd << 2), sb + (rs1 << 2), sb + (rs2 << 2)); off += len; break;
        case Op.REM: md.rem(sb + (rd << 2), sb + (rs1 << 2), sb + (rs2 << 2)); off += len; break;
        case Op.REMU: md.remu(sb + (rd << 2), sb + (rs1 << 2), sb + (rs2 << 2)); off += len; break;
        case Op.MULW: md.mulw(sb + (rd << 2), sb + (rs1 << 2), sb + (rs2 << 2)); off += len; break;
        case Op.DIVW: md.divw(sb + (rd << 2), sb + (rs1 << 2), sb + (rs2 << 2)); off += len; break;
        case Op.DIVUW: md.divuw(sb + (rd << 2), sb + (rs1 << 2), sb + (rs2 << 2)); off += len; break;
        case Op.REMW: md.remw(sb + (rd << 2), sb + (rs1 << 2), sb + (rs2 << 2)); off += len; break;
        case Op.REMUW: md.remuw(sb + (rd << 2), sb + (rs1 << 2), sb + (rs2 << 2)); off += len; break;

        // ---- A ----
        case Op.LR_W: case Op.LR_D: case Op.SC_W: case Op.SC_D: case Op.AMO_W: case Op.AMO_D:
          execAtomic(h, op, rd, rs1, rs2, imm);
          off += len; break;

        // ---- F/D arithmetic (FS checked inside) ----
        case Op.FP:
          execFP(h, imm);
          off += len; break;

        // ---- system ----
        case Op.FENCE: off += len; break;
        case Op.FENCE_I:
          h.flushDecodeCache(); off += len + FAR; base -= FAR; break;
        case Op.ECALL: {
          const cause = h.priv === Priv.U ? CAUSE_USER_ECALL : h.priv === Priv.S ? CAUSE_SUPERVISOR_ECALL : CAUSE_MACHINE_ECALL;
          const pc = base + off;
          h.takeTrap(cause, false, 0, 0, pc | 0, Math.floor(pc / TWO32) | 0);
          return STOP_TRAP;
        }
        case Op.EBREAK:
          return h.raise(CAUSE_BREAKPOINT, (base + off) | 0, Math.floor((base + off) / TWO32) | 0);
        case Op.MRET:
        case Op.SRET: {
          if (op === Op.MRET) {
            if (h.priv !== Priv.M) h.illegal();
            h.mret();
          } else {
            if (h.priv === Priv.U || (h.priv === Priv.S && (h.mstatus & MSTATUS_TSR))) h.illegal();
            h.sret();
          }
          n++;
          base = loadPC(h) - FAR; off = FAR;
          if (h.takeInterrupt((base + off) | 0, Math.floor((base + off) / TWO32) | 0)) return STOP_TRAP;
          continue;
        }
        case Op.WFI:
          if (h.priv === Priv.U || (h.priv === Priv.S && (h.mstatus & MSTATUS_TW))) h.illegal();
          off += len;
          n++;
          if ((h.mip & h.mie) === 0) { storePC(x, base + off); return STOP_WFI; }
          if (h.takeInterrupt((base + off) | 0, Math.floor((base + off) / TWO32) | 0)) return STOP_TRAP;
          continue;
        case Op.SFENCE_VMA:
          if (h.priv === Priv.U || (h.priv === Priv.S && (h.mstatus & MSTATUS_TVM))) h.illegal();
          h.flushTLB(); off += len + FAR; base -= FAR; break;
        case Op.CSRRW: case Op.CSRRS: case Op.CSRRC: case Op.CSRRWI: case Op.CSRRSI: case Op.CSRRCI:
          h.inflight = n;
          execCSR(h, op, rd, rs1, imm);
          off += len + FAR; base -= FAR;
          n++;
          if (h.takeInterrupt((base + off) | 0, Math.floor((base + off) / TWO32) | 0)) return STOP_TRAP;
          continue;
        default:
          throw new Error(`riscv: bad decoded op ${op}`);
      }
      n++;
    }
  } catch (e) {
    if (e !== TRAP) throw e;
    let epcLo: number, epcHi: number;
    if (h.epcExplicit) { epcLo = h.epcLo; epcHi = h.epcHi; h.epcExplicit = false; }
    else { const pc = base + off; epcLo = pc | 0; epcHi = Math.floor(pc / TWO32) | 0; }
    let tvLo = h.trapTvalLo, tvHi = h.trapTvalHi;
    if (h.trapTvalInsn) { tvLo = h.instructionBitsAt(epcLo, epcHi); tvHi = 0; }
    h.takeTrap(h.trapCause, false, tvLo, tvHi, epcLo, epcHi);
    return STOP_TRAP;
  } finally {
    h.instret += n;
    h.inflight = 0;
    h.running = false;
  }
}

// ---------------------------------------------------------------------------
// Zicsr
// ---------------------------------------------------------------------------

export function execCSR(h: Hart, op: number, rd: number, rs1: number, csr: number): void {
  const x = h.x;
  const isImm = op >= Op.CSRRWI;
  const kind = isImm ? op - Op.CSRRWI : op - Op.CSRRW; // 0 write, 1 set, 2 clear
  const srcLo = isImm ? rs1 : x[rs1 << 1];
  const srcHi = isImm ? 0 : x[(rs1 << 1) + 1];
  const write = kind === 0 || rs1 !== 0;
  if (!csrExists(h, csr) || !csrAccessAllowed(h, csr, write)) h.illegal();
  csrReadInto(h, csr);
  const oldLo = h.csrLo, oldHi = h.tmpHi;
  if (write) {
    let lo = srcLo, hi = srcHi;
    if (kind === 1) { lo = oldLo | srcLo; hi = oldHi | srcHi; }
    else if (kind === 2) { lo = oldLo & ~srcLo; hi = oldHi & ~srcHi; }
    csrWrite(h, csr, lo, hi);
  }
  x[rd] = oldLo;
  x[rd + 1] = oldHi;
}

// ---------------------------------------------------------------------------
// A: LR/SC with a reservation on one 8-byte granule, AMOs (aq/rl are no-ops on one hart)
// ---------------------------------------------------------------------------

function execAtomic(h: Hart, op: number, rd: number, rs1: number, rs2: number, f5: number): void {
  const x = h.x;
  const alo = x[rs1], ahi = x[rs1 + 1];
  const isW = op === Op.LR_W || op === Op.SC_W || op === Op.AMO_W;
  const size = isW ? 4 : 8;
  if (op === Op.LR_W || op === Op.LR_D) {
    const pa = h.amoAddress(alo, ahi, size, true);
    const sr = h.sharedRegionAt(pa, size);
    if (sr !== null) return sharedLr(h, sr, pa, isW, rd);
    const v = h.physView(pa, size)!;
    const o = h.physOff;
    const lo = v.getInt32(o, true);
    const hi = isW ? lo >> 31 : v.getInt32(o + 4, true);
    h.reservation = pa - (pa % 8);
    x[rd] = lo; x[rd + 1] = hi;
    return;
  }
  if (op === Op.SC_W || op === Op.SC_D) {
    // The address is checked (and may fault) whether or not the reservation holds.
    const pa = h.amoAddress(alo, ahi, size, false);
    let ok = h.reservation === pa - (pa % 8);
    h.reservation = -1;
    const sr = h.sharedRegionAt(pa, size);
    if (sr !== null) {
      if (ok) ok = sharedSc(h, sr, pa, isW, x[rs2], x[rs2 + 1]);
    } else if (ok) {
      const v = h.physView(pa, size)!;
      const o = h.physOff;
      v.setInt32(o, x[rs2], true);
      if (!isW) v.setInt32(o + 4, x[rs2 + 1], true);
    }
    x[rd] = ok ? 0 : 1; x[rd + 1] = 0;
    return;
  }
  const pa = h.amoAddress(alo, ahi, size, false);
  const sr = h.sharedRegionAt(pa, size);
  if (sr !== null) return sharedAmo(h, sr, pa, isW, rd, x[rs2], isW ? x[rs2] >> 31 : x[rs2 + 1], f5);
  const v = h.physView(pa, size)!;
  const o = h.physOff;
  const mlo = v.getInt32(o, true);
  const mhi = isW ? mlo >> 31 : v.getInt32(o + 4, true);
  const blo = x[rs2], bhi = isW ? x[rs2] >> 31 : x[rs2 + 1];
  let rlo: number, rhi: number;
  switch (f5) {
    case AMOSWAP: rlo = blo; rhi = bhi; break;
    case AMOADD: {
      rlo = (mlo + blo) | 0;
      rhi = (mhi + bhi + ((rlo >>> 0) < (mlo >>> 0) ? 1 : 0)) | 0;
      break;
    }
    case AMOXOR: rlo = mlo ^ blo; rhi = mhi ^ bhi; break;
    case AMOAND: rlo = mlo & blo; rhi = mhi & bhi; break;
    case AMOOR: rlo = mlo | blo; rhi = mhi | bhi; break;
    case AMOMIN: if (lt64(mlo, mhi, blo, bhi)) { rlo = mlo; rhi = mhi; } else { rlo = blo; rhi = bhi; } break;
    case AMOMAX: if (lt64(mlo, mhi, blo, bhi)) { rlo = blo; rhi = bhi; } else { rlo = mlo; rhi = mhi; } break;
    case AMOMINU:
      if (isW ? (mlo >>> 0) < (blo >>> 0) : ltu64(mlo, mhi, blo, bhi)) { rlo = mlo; rhi = mhi; } else { rlo = blo; rhi = bhi; }
      break;
    default: // AMOMAXU
      if (isW ? (mlo >>> 0) < (blo >>> 0) : ltu64(mlo, mhi, blo, bhi)) { rlo = blo; rhi = bhi; } else { rlo = mlo; rhi = mhi; }
      break;
  }
  v.setInt32(o, rlo, true);
  if (!isW) v.setInt32(o + 4, rhi, true);
  x[rd] = mlo; x[rd + 1] = mhi;
}

// ---------------------------------------------------------------------------
// A on shared memory (a SharedArrayBuffer other threads use at the same time: an SGX enclave's
// untrusted shared memory, which other enclaves' machines run on in parallel). Every AMO is one
// Atomics operation (or a compare-exchange loop for min/max), so it is atomic against every
// other thread's AMOs, and sequentially consistent (stronger than .aq/.rl ask).
// LR/SC: LR reads atomically and remembers the value; SC is a compare-exchange against it. That
// is the usual emulation and has the ABA caveat: an SC succeeds if the word holds the value LR
// read again, even when other threads wrote in between (real LR/SC would fail). Lock-free code
// that relies on SC failing after an A->B->A change is the only code that can tell.
// ---------------------------------------------------------------------------

const toBig = (lo: number, hi: number): bigint => (BigInt(hi) << 32n) | BigInt(lo >>> 0);

function sharedLr(h: Hart, sr: HartRegion, pa: number, isW: boolean, rd: number): void {
  const o = pa - sr.base;
  let lo: number, hi: number;
  if (isW) { lo = Atomics.load(sr.atomics!.i32, o >> 2); hi = lo >> 31; }
  else { const v = Atomics.load(sr.atomics!.i64, o / 8); lo = Number(BigInt.asIntN(32, v)); hi = Number(v >> 32n); }
  h.reservation = pa - (pa % 8);
  h.resLo = lo; h.resHi = hi;
  h.x[rd] = lo; h.x[rd + 1] = hi;
}

function sharedSc(h: Hart, sr: HartRegion, pa: number, isW: boolean, vlo: number, vhi: number): boolean {
  const o = pa - sr.base;
  if (isW) return Atomics.compareExchange(sr.atomics!.i32, o >> 2, h.resLo, vlo) === h.resLo;
  const want = toBig(h.resLo, h.resHi);
  return Atomics.compareExchange(sr.atomics!.i64, o / 8, want, toBig(vlo, vhi)) === want;
}

function sharedAmo(h: Hart, sr: HartRegion, pa: number, isW: boolean, rd: number, blo: number, bhi: number, f5: number): void {
  const o = pa - sr.base;
  const x = h.x;
  if (isW) {
    const a = sr.atomics!.i32, i = o >> 2;
    let old: number;
    switch (f5) {
      case AMOSWAP: old = Atomics.exchange(a, i, blo); break;
      case AMOADD: old = Atomics.add(a, i, blo); break;
      case AMOXOR: old = Atomics.xor(a, i, blo); break;
      case AMOAND: old = Atomics.and(a, i, blo); break;
      case AMOOR: old = Atomics.or(a, i, blo); break;
      default: {
        // min/max: a compare-exchange loop until no other thread changed the word in between.
        for (;;) {
          old = Atomics.load(a, i);
          let pick: boolean; // true: keep the memory value
          if (f5 === AMOMIN) pick = old < blo;
          else if (f5 === AMOMAX) pick = old > blo;
          else if (f5 === AMOMINU) pick = (old >>> 0) < (blo >>> 0);
          else pick = (old >>> 0) > (blo >>> 0);
          const nv = pick ? old : blo;
          if (Atomics.compareExchange(a, i, old, nv) === old) break;
        }
      }
    }
    x[rd] = old; x[rd + 1] = old >> 31;
    return;
  }
  const a = sr.atomics!.i64, i = o / 8;
  const b = toBig(blo, bhi);
  let old: bigint;
  switch (f5) {
    case AMOSWAP: old = Atomics.exchange(a, i, b); break;
    case AMOADD: old = Atomics.add(a, i, b); break;
    case AMOXOR: old = Atomics.xor(a, i, b); break;
    case AMOAND: old = Atomics.and(a, i, b); break;
    case AMOOR: old = Atomics.or(a, i, b); break;
    default: {
      for (;;) {
        old = Atomics.load(a, i);
        const ou = BigInt.asUintN(64, old), bu = BigInt.asUintN(64, b);
        let pick: boolean;
        if (f5 === AMOMIN) pick = old < b;
        else if (f5 === AMOMAX) pick = old > b;
        else if (f5 === AMOMINU) pick = ou < bu;
        else pick = ou > bu;
        if (Atomics.compareExchange(a, i, old, pick ? old : b) === old) break;
      }
    }
  }
  x[rd] = Number(BigInt.asIntN(32, old)); x[rd + 1] = Number(old >> 32n);
}
