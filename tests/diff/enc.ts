// A small RV64GC encoder for the differential test. Every helper returns an Insn with its
// encoding and an assembler text in the style of `objdump -M no-aliases,numeric`, so the
// encodings can be checked against binutils (tests/diff/validate.ts).

export interface Insn {
  size: 2 | 4;
  enc: number; // u32 (size 4) or u16 (size 2)
  asm: string;
}

const x = (r: number): string => `x${r}`;
const f = (r: number): string => `f${r}`;

function chkReg(r: number): void {
  if (!Number.isInteger(r) || r < 0 || r > 31) throw new Error(`bad register ${r}`);
}
function chkSImm(v: number, bits: number, what: string): void {
  const lo = -(2 ** (bits - 1));
  const hi = 2 ** (bits - 1) - 1;
  if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${what}: immediate ${v} out of range`);
}
function chkUImm(v: number, bits: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** bits) throw new Error(`${what}: immediate ${v} out of range`);
}

function i32(size: 4, enc: number, asm: string): Insn {
  return { size, enc: enc >>> 0, asm };
}
function i16(enc: number, asm: string): Insn {
  if ((enc & 3) === 3) throw new Error('not a compressed encoding');
  return { size: 2, enc: enc & 0xffff, asm };
}

// ---- base formats ----
export function rType(f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number): number {
  return ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
}
export function iType(imm: number, rs1: number, f3: number, rd: number, op: number): number {
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
}
export function sType(imm: number, rs2: number, rs1: number, f3: number, op: number): number {
  return ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op) >>> 0;
}
export function bType(imm: number, rs2: number, rs1: number, f3: number): number {
  return (
    ((((imm >> 12) & 1) << 31) |
      (((imm >> 5) & 0x3f) << 25) |
      (rs2 << 20) |
      (rs1 << 15) |
      (f3 << 12) |
      (((imm >> 1) & 0xf) << 8) |
      (((imm >> 11) & 1) << 7) |
      0x63) >>>
    0
  );
}
export function uType(imm20: number, rd: number, op: number): number {
  return (((imm20 & 0xfffff) << 12) | (rd << 7) | op) >>> 0;
}
export function jType(imm: number, rd: number): number {
  return (
    ((((imm >> 20) & 1) << 31) |
      (((imm >> 1) & 0x3ff) << 21) |
      (((imm >> 11) & 1) << 20) |
      (((imm >> 12) & 0xff) << 12) |
      (rd << 7) |
      0x6f) >>>
    0
  );
}

// ---- RV64I ----
export const OPIMM: Record<string, number> = { addi: 0, slti: 2, sltiu: 3, xori: 4, ori: 6, andi: 7 };
export function opImm(name: string, rd: number, rs1: number, imm: number): Insn {
  chkReg(rd); chkReg(rs1); chkSImm(imm, 12, name);
  const f3 = OPIMM[name];
  if (f3 === undefined) throw new Error(name);
  return i32(4, iType(imm, rs1, f3, rd, 0x13), `${name} ${x(rd)},${x(rs1)},${imm}`);
}
export function addiw(rd: number, rs1: number, imm: number): Insn {
  chkReg(rd); chkReg(rs1); chkSImm(imm, 12, 'addiw');
  return i32(4, iType(imm, rs1, 0, rd, 0x1b), `addiw ${x(rd)},${x(rs1)},${imm}`);
}
export function shiftImm(name: 'slli' | 'srli' | 'srai' | 'slliw' | 'srliw' | 'sraiw', rd: number, rs1: number, sh: number): Insn {
  chkReg(rd); chkReg(rs1);
  const w = name.endsWith('w');
  chkUImm(sh, w ? 5 : 6, name);
  const f3 = name.startsWith('sll') ? 1 : 5;
  const hi = name.startsWith('sra') ? 0x400 : 0;
  return i32(4, iType(hi | sh, rs1, f3, rd, w ? 0x1b : 0x13), `${name} ${x(rd)},${x(rs1)},0x${sh.toString(16)}`);
}
export const OP: Record<string, [number, number]> = {
  add: [0, 0], sub: [0x20, 0], sll: [0, 1], slt: [0, 2], sltu: [0, 3], xor: [0, 4], srl: [0, 5], sra: [0x20, 5], or: [0, 6], and: [0, 7],
  mul: [1, 0], mulh: [1, 1], mulhsu: [1, 2], mulhu: [1, 3], div: [1, 4], divu: [1, 5], rem: [1, 6], remu: [1, 7],
};
export const OP32: Record<string, [number, number]> = {
  addw: [0, 0], subw: [0x20, 0], sllw: [0, 1], srlw: [0, 5], sraw: [0x20, 5],
  mulw: [1, 0], divw: [1, 4], divuw: [1, 5], remw: [1, 6], remuw: [1, 7],
};
export function opReg(name: string, rd: number, rs1: number, rs2: number): Insn {
  chkReg(rd); chkReg(rs1); chkReg(rs2);
  const a = OP[name];
  const b = OP32[name];
  const [f7, f3] = a ?? b ?? (() => { throw new Error(name); })();
  return i32(4, rType(f7, rs2, rs1, f3, rd, a ? 0x33 : 0x3b), `${name} ${x(rd)},${x(rs1)},${x(rs2)}`);
}
export function lui(rd: number, imm20: number): Insn {
  chkReg(rd); chkUImm(imm20, 20, 'lui');
  return i32(4, uType(imm20, rd, 0x37), `lui ${x(rd)},0x${imm20.toString(16)}`);
}
export function auipc(rd: number, imm20: number): Insn {
  chkReg(rd); chkUImm(imm20, 20, 'auipc');
  return i32(4, uType(imm20, rd, 0x17), `auipc ${x(rd)},0x${imm20.toString(16)}`);
}
export const LOADS: Record<string, [number, number]> = { lb: [0, 1], lh: [1, 2], lw: [2, 4], ld: [3, 8], lbu: [4, 1], lhu: [5, 2], lwu: [6, 4] };
export const STORES: Record<string, [number, number]> = { sb: [0, 1], sh: [1, 2], sw: [2, 4], sd: [3, 8] };
export function load(name: string, rd: number, rs1: number, off: number): Insn {
  chkReg(rd); chkReg(rs1); chkSImm(off, 12, name);
  const [f3] = LOADS[name];
  return i32(4, iType(off, rs1, f3, rd, 0x03), `${name} ${x(rd)},${off}(${x(rs1)})`);
}
export function store(name: string, rs2: number, rs1: number, off: number): Insn {
  chkReg(rs2); chkReg(rs1); chkSImm(off, 12, name);
  const [f3] = STORES[name];
  return i32(4, sType(off, rs2, rs1, f3, 0x23), `${name} ${x(rs2)},${off}(${x(rs1)})`);
}
export function fload(name: 'flw' | 'fld', rd: number, rs1: number, off: number): Insn {
  chkReg(rd); chkReg(rs1); chkSImm(off, 12, name);
  return i32(4, iType(off, rs1, name === 'flw' ? 2 : 3, rd, 0x07), `${name} ${f(rd)},${off}(${x(rs1)})`);
}
export function fstore(name: 'fsw' | 'fsd', rs2: number, rs1: number, off: number): Insn {
  chkReg(rs2); chkReg(rs1); chkSImm(off, 12, name);
  return i32(4, sType(off, rs2, rs1, name === 'fsw' ? 2 : 3, 0x27), `${name} ${f(rs2)},${off}(${x(rs1)})`);
}
export const BRANCHES: Record<string, number> = { beq: 0, bne: 1, blt: 4, bge: 5, bltu: 6, bgeu: 7 };
export function branch(name: string, rs1: number, rs2: number, off: number): Insn {
  chkReg(rs1); chkReg(rs2); chkSImm(off, 13, name);
  if (off & 1) throw new Error('odd branch offset');
  return i32(4, bType(off, rs2, rs1, BRANCHES[name]), `${name} ${x(rs1)},${x(rs2)},.${off >= 0 ? '+' : ''}${off}`);
}
export function jal(rd: number, off: number): Insn {
  chkReg(rd); chkSImm(off, 21, 'jal');
  if (off & 1) throw new Error('odd jal offset');
  return i32(4, jType(off, rd), `jal ${x(rd)},.${off >= 0 ? '+' : ''}${off}`);
}
export function jalr(rd: number, rs1: number, off: number): Insn {
  chkReg(rd); chkReg(rs1); chkSImm(off, 12, 'jalr');
  return i32(4, iType(off, rs1, 0, rd, 0x67), `jalr ${x(rd)},${off}(${x(rs1)})`);
}
export function ecall(): Insn {
  return i32(4, 0x73, 'ecall');
}
export function fence(pred = 0xf, succ = 0xf): Insn {
  return i32(4, iType((pred << 4) | succ, 0, 0, 0, 0x0f), `fence ${pred},${succ}`);
}
export function fenceI(): Insn {
  return i32(4, iType(0, 0, 1, 0, 0x0f), 'fence.i');
}

// ---- Zicsr ----
export const CSR_NAMES: Record<number, string> = { 1: 'fflags', 2: 'frm', 3: 'fcsr' };
export const CSROPS: Record<string, number> = { csrrw: 1, csrrs: 2, csrrc: 3, csrrwi: 5, csrrsi: 6, csrrci: 7 };
export function csr(name: string, rd: number, csrNum: number, rs1OrUimm: number): Insn {
  chkReg(rd);
  const f3 = CSROPS[name];
  const imm = f3 >= 5;
  if (imm) chkUImm(rs1OrUimm, 5, name); else chkReg(rs1OrUimm);
  const cn = CSR_NAMES[csrNum] ?? `0x${csrNum.toString(16)}`;
  return i32(4, iType(csrNum, rs1OrUimm, f3, rd, 0x73), `${name} ${x(rd)},${cn},${imm ? rs1OrUimm : x(rs1OrUimm)}`);
}

// ---- A ----
export const AMO: Record<string, number> = {
  'amoadd': 0x00, 'amoswap': 0x01, 'lr': 0x02, 'sc': 0x03, 'amoxor': 0x04, 'amoor': 0x08, 'amoand': 0x0c,
  'amomin': 0x10, 'amomax': 0x14, 'amominu': 0x18, 'amomaxu': 0x1c,
};
export function amo(name: string, width: 'w' | 'd', rd: number, rs1: number, rs2: number, aq: number, rl: number): Insn {
  chkReg(rd); chkReg(rs1); chkReg(rs2);
  const f5 = AMO[name];
  if (f5 === undefined) throw new Error(name);
  if (name === 'lr') rs2 = 0;
  const suffix = aq && rl ? '.aqrl' : aq ? '.aq' : rl ? '.rl' : '';
  const enc = rType((f5 << 2) | (aq << 1) | rl, rs2, rs1, width === 'w' ? 2 : 3, rd, 0x2f);
  const ops = name === 'lr' ? `${x(rd)},(${x(rs1)})` : `${x(rd)},${x(rs2)},(${x(rs1)})`;
  return i32(4, enc, `${name}.${width}${suffix} ${ops}`);
}

// ---- F / D ----
export const RM_NAMES = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'rm5', 'rm6', 'dyn'];
const fmtBit = (fmt: 's' | 'd'): number => (fmt === 's' ? 0 : 1);
function rmSuffix(rm: number): string {
  return `,${RM_NAMES[rm]}`;
}
export function fArith(name: 'fadd' | 'fsub' | 'fmul' | 'fdiv', fmt: 's' | 'd', rd: number, rs1: number, rs2: number, rm: number): Insn {
  const f5 = { fadd: 0, fsub: 1, fmul: 2, fdiv: 3 }[name];
  return i32(4, rType((f5 << 2) | fmtBit(fmt), rs2, rs1, rm, rd, 0x53), `${name}.${fmt} ${f(rd)},${f(rs1)},${f(rs2)}${rmSuffix(rm)}`);
}
export function fsqrt(fmt: 's' | 'd', rd: number, rs1: number, rm: number): Insn {
  return i32(4, rType((0x0b << 2) | fmtBit(fmt), 0, rs1, rm, rd, 0x53), `fsqrt.${fmt} ${f(rd)},${f(rs1)}${rmSuffix(rm)}`);
}
export function fsgnj(kind: '' | 'n' | 'x', fmt: 's' | 'd', rd: number, rs1: number, rs2: number): Insn {
  const f3 = { '': 0, n: 1, x: 2 }[kind];
  return i32(4, rType((0x04 << 2) | fmtBit(fmt), rs2, rs1, f3, rd, 0x53), `fsgnj${kind}.${fmt} ${f(rd)},${f(rs1)},${f(rs2)}`);
}
export function fminmax(name: 'fmin' | 'fmax', fmt: 's' | 'd', rd: number, rs1: number, rs2: number): Insn {
  return i32(4, rType((0x05 << 2) | fmtBit(fmt), rs2, rs1, name === 'fmin' ? 0 : 1, rd, 0x53), `${name}.${fmt} ${f(rd)},${f(rs1)},${f(rs2)}`);
}
export function fcmp(name: 'feq' | 'flt' | 'fle', fmt: 's' | 'd', rd: number, rs1: number, rs2: number): Insn {
  const f3 = { feq: 2, flt: 1, fle: 0 }[name];
  return i32(4, rType((0x14 << 2) | fmtBit(fmt), rs2, rs1, f3, rd, 0x53), `${name}.${fmt} ${x(rd)},${f(rs1)},${f(rs2)}`);
}
export function fclass(fmt: 's' | 'd', rd: number, rs1: number): Insn {
  return i32(4, rType((0x1c << 2) | fmtBit(fmt), 0, rs1, 1, rd, 0x53), `fclass.${fmt} ${x(rd)},${f(rs1)}`);
}
export const INT_TYPES = ['w', 'wu', 'l', 'lu'] as const;
export type IntType = (typeof INT_TYPES)[number];
export function fcvtToInt(it: IntType, fmt: 's' | 'd', rd: number, rs1: number, rm: number): Insn {
  const t = INT_TYPES.indexOf(it);
  return i32(4, rType((0x18 << 2) | fmtBit(fmt), t, rs1, rm, rd, 0x53), `fcvt.${it}.${fmt} ${x(rd)},${f(rs1)}${rmSuffix(rm)}`);
}
export function fcvtFromInt(it: IntType, fmt: 's' | 'd', rd: number, rs1: number, rm: number): Insn {
  const t = INT_TYPES.indexOf(it);
  return i32(4, rType((0x1a << 2) | fmtBit(fmt), t, rs1, rm, rd, 0x53), `fcvt.${fmt}.${it} ${f(rd)},${x(rs1)}${rmSuffix(rm)}`);
}
export function fcvtSD(rd: number, rs1: number, rm: number): Insn {
  return i32(4, rType(0x20, 1, rs1, rm, rd, 0x53), `fcvt.s.d ${f(rd)},${f(rs1)}${rmSuffix(rm)}`);
}
export function fcvtDS(rd: number, rs1: number, rm: number): Insn {
  return i32(4, rType(0x21, 0, rs1, rm, rd, 0x53), `fcvt.d.s ${f(rd)},${f(rs1)}${rmSuffix(rm)}`);
}
export function fmvToX(fmt: 's' | 'd', rd: number, rs1: number): Insn {
  return i32(4, rType((0x1c << 2) | fmtBit(fmt), 0, rs1, 0, rd, 0x53), `fmv.x.${fmt === 's' ? 'w' : 'd'} ${x(rd)},${f(rs1)}`);
}
export function fmvFromX(fmt: 's' | 'd', rd: number, rs1: number): Insn {
  return i32(4, rType((0x1e << 2) | fmtBit(fmt), 0, rs1, 0, rd, 0x53), `fmv.${fmt === 's' ? 'w' : 'd'}.x ${f(rd)},${x(rs1)}`);
}
export const FMA: Record<string, number> = { fmadd: 0x43, fmsub: 0x47, fnmsub: 0x4b, fnmadd: 0x4f };
export function fma(name: string, fmt: 's' | 'd', rd: number, rs1: number, rs2: number, rs3: number, rm: number): Insn {
  const op = FMA[name];
  const enc = ((rs3 << 27) | (fmtBit(fmt) << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | op) >>> 0;
  return i32(4, enc, `${name}.${fmt} ${f(rd)},${f(rs1)},${f(rs2)},${f(rs3)}${rmSuffix(rm)}`);
}

// ---- C (RV64C) ----
const cr = (r: number): number => {
  if (r < 8 || r > 15) throw new Error(`register x${r} not encodable in a compressed 3-bit field`);
  return r - 8;
};
const bit = (v: number, i: number): number => (v >> i) & 1;
const bits = (v: number, hi: number, lo: number): number => (v >> lo) & ((1 << (hi - lo + 1)) - 1);

export function cAddi4spn(rd: number, nzuimm: number): Insn {
  if (nzuimm <= 0 || nzuimm >= 1024 || nzuimm % 4) throw new Error('c.addi4spn imm');
  const enc = (bits(nzuimm, 5, 4) << 11) | (bits(nzuimm, 9, 6) << 7) | (bit(nzuimm, 2) << 6) | (bit(nzuimm, 3) << 5) | (cr(rd) << 2);
  return i16(enc, `c.addi4spn ${x(rd)},x2,${nzuimm}`);
}
// c.fld / c.ld / c.fsd / c.sd (8-byte, uimm[5:3|7:6]); c.lw / c.sw (4-byte, uimm[5:3|2|6])
export function cMem(name: 'c.fld' | 'c.lw' | 'c.ld' | 'c.fsd' | 'c.sw' | 'c.sd', r: number, rs1: number, uimm: number): Insn {
  const f3 = { 'c.fld': 1, 'c.lw': 2, 'c.ld': 3, 'c.fsd': 5, 'c.sw': 6, 'c.sd': 7 }[name];
  const w4 = name === 'c.lw' || name === 'c.sw';
  if (uimm < 0 || uimm >= (w4 ? 128 : 256) || uimm % (w4 ? 4 : 8)) throw new Error(`${name} imm ${uimm}`);
  const lo = w4 ? (bit(uimm, 2) << 6) | (bit(uimm, 6) << 5) : bits(uimm, 7, 6) << 5;
  const enc = (f3 << 13) | (bits(uimm, 5, 3) << 10) | (cr(rs1) << 7) | lo | (cr(r) << 2);
  const rn = name.includes('f') ? f(r) : x(r);
  return i16(enc, `${name} ${rn},${uimm}(${x(rs1)})`);
}
function ci(f3: number, b12: number, rd: number, lo5: number, op: number): number {
  return (f3 << 13) | (b12 << 12) | (rd << 7) | (lo5 << 2) | op;
}
export function cNop(): Insn {
  return i16(ci(0, 0, 0, 0, 1), 'c.nop');
}
export function cAddi(rd: number, imm: number): Insn {
  chkSImm(imm, 6, 'c.addi');
  if (rd === 0 || imm === 0) throw new Error('c.addi hint');
  return i16(ci(0, bit(imm, 5), rd, imm & 31, 1), `c.addi ${x(rd)},${imm}`);
}
export function cAddiw(rd: number, imm: number): Insn {
  chkSImm(imm, 6, 'c.addiw');
  if (rd === 0) throw new Error('c.addiw rd=0 reserved');
  return i16(ci(1, bit(imm, 5), rd, imm & 31, 1), `c.addiw ${x(rd)},${imm}`);
}
export function cLi(rd: number, imm: number): Insn {
  chkSImm(imm, 6, 'c.li');
  if (rd === 0) throw new Error('c.li hint');
  return i16(ci(2, bit(imm, 5), rd, imm & 31, 1), `c.li ${x(rd)},${imm}`);
}
export function cAddi16sp(imm: number): Insn {
  if (imm === 0 || imm % 16 || imm < -512 || imm > 496) throw new Error('c.addi16sp imm');
  const lo = (bit(imm, 4) << 4) | (bit(imm, 6) << 3) | (bits(imm, 8, 7) << 1) | bit(imm, 5);
  return i16(ci(3, bit(imm, 9), 2, lo, 1), `c.addi16sp x2,${imm}`);
}
export function cLui(rd: number, imm6: number): Insn {
  // imm6: signed 6-bit value of nzimm[17:12]
  chkSImm(imm6, 6, 'c.lui');
  if (rd === 0 || rd === 2 || imm6 === 0) throw new Error('c.lui');
  const imm20 = imm6 & 0xfffff;
  return i16(ci(3, bit(imm6, 5), rd, imm6 & 31, 1), `c.lui ${x(rd)},0x${imm20.toString(16)}`);
}
export function cShiftAndi(name: 'c.srli' | 'c.srai' | 'c.andi', rd: number, imm: number): Insn {
  const k = { 'c.srli': 0, 'c.srai': 1, 'c.andi': 2 }[name];
  if (name === 'c.andi') chkSImm(imm, 6, name);
  else if (imm <= 0 || imm > 63) throw new Error(`${name} shamt`);
  const enc = (4 << 13) | (bit(imm, 5) << 12) | (k << 10) | (cr(rd) << 7) | ((imm & 31) << 2) | 1;
  return i16(enc, `${name} ${x(rd)},${name === 'c.andi' ? imm : '0x' + imm.toString(16)}`);
}
export function cArith(name: 'c.sub' | 'c.xor' | 'c.or' | 'c.and' | 'c.subw' | 'c.addw', rd: number, rs2: number): Insn {
  const [b12, k] = { 'c.sub': [0, 0], 'c.xor': [0, 1], 'c.or': [0, 2], 'c.and': [0, 3], 'c.subw': [1, 0], 'c.addw': [1, 1] }[name] as [number, number];
  const enc = (4 << 13) | (b12 << 12) | (3 << 10) | (cr(rd) << 7) | (k << 5) | (cr(rs2) << 2) | 1;
  return i16(enc, `${name} ${x(rd)},${x(rs2)}`);
}
export function cJ(off: number): Insn {
  chkSImm(off, 12, 'c.j');
  if (off & 1) throw new Error('odd');
  const enc =
    (5 << 13) | (bit(off, 11) << 12) | (bit(off, 4) << 11) | (bits(off, 9, 8) << 9) | (bit(off, 10) << 8) |
    (bit(off, 6) << 7) | (bit(off, 7) << 6) | (bits(off, 3, 1) << 3) | (bit(off, 5) << 2) | 1;
  return i16(enc, `c.j .${off >= 0 ? '+' : ''}${off}`);
}
export function cBz(name: 'c.beqz' | 'c.bnez', rs1: number, off: number): Insn {
  chkSImm(off, 9, name);
  if (off & 1) throw new Error('odd');
  const enc =
    ((name === 'c.beqz' ? 6 : 7) << 13) | (bit(off, 8) << 12) | (bits(off, 4, 3) << 10) | (cr(rs1) << 7) |
    (bits(off, 7, 6) << 5) | (bits(off, 2, 1) << 3) | (bit(off, 5) << 2) | 1;
  return i16(enc, `${name} ${x(rs1)},.${off >= 0 ? '+' : ''}${off}`);
}
export function cSlli(rd: number, sh: number): Insn {
  if (rd === 0 || sh <= 0 || sh > 63) throw new Error('c.slli');
  return i16(ci(0, bit(sh, 5), rd, sh & 31, 2), `c.slli ${x(rd)},0x${sh.toString(16)}`);
}
// c.fldsp / c.ldsp (uimm[5|4:3|8:6]), c.lwsp (uimm[5|4:2|7:6])
export function cLoadSp(name: 'c.fldsp' | 'c.lwsp' | 'c.ldsp', rd: number, uimm: number): Insn {
  const w4 = name === 'c.lwsp';
  if (uimm < 0 || uimm >= (w4 ? 256 : 512) || uimm % (w4 ? 4 : 8)) throw new Error(`${name} imm`);
  if (name !== 'c.fldsp' && rd === 0) throw new Error(`${name} rd=0`);
  const lo = w4 ? (bits(uimm, 4, 2) << 2) | bits(uimm, 7, 6) : (bits(uimm, 4, 3) << 3) | bits(uimm, 8, 6);
  const f3 = { 'c.fldsp': 1, 'c.lwsp': 2, 'c.ldsp': 3 }[name];
  return i16(ci(f3, bit(uimm, 5), rd, lo, 2), `${name} ${name === 'c.fldsp' ? f(rd) : x(rd)},${uimm}(x2)`);
}
export function cStoreSp(name: 'c.fsdsp' | 'c.swsp' | 'c.sdsp', rs2: number, uimm: number): Insn {
  const w4 = name === 'c.swsp';
  if (uimm < 0 || uimm >= (w4 ? 256 : 512) || uimm % (w4 ? 4 : 8)) throw new Error(`${name} imm`);
  const hi6 = w4 ? (bits(uimm, 5, 2) << 2) | bits(uimm, 7, 6) : (bits(uimm, 5, 3) << 3) | bits(uimm, 8, 6);
  const f3 = { 'c.fsdsp': 5, 'c.swsp': 6, 'c.sdsp': 7 }[name];
  return i16((f3 << 13) | (hi6 << 7) | (rs2 << 2) | 2, `${name} ${name === 'c.fsdsp' ? f(rs2) : x(rs2)},${uimm}(x2)`);
}
export function cJr(rs1: number): Insn {
  if (rs1 === 0) throw new Error('c.jr x0');
  return i16((4 << 13) | (rs1 << 7) | 2, `c.jr ${x(rs1)}`);
}
export function cJalr(rs1: number): Insn {
  if (rs1 === 0) throw new Error('c.jalr x0');
  return i16((4 << 13) | (1 << 12) | (rs1 << 7) | 2, `c.jalr ${x(rs1)}`);
}
export function cMv(rd: number, rs2: number): Insn {
  if (rd === 0 || rs2 === 0) throw new Error('c.mv');
  return i16((4 << 13) | (rd << 7) | (rs2 << 2) | 2, `c.mv ${x(rd)},${x(rs2)}`);
}
export function cAdd(rd: number, rs2: number): Insn {
  if (rd === 0 || rs2 === 0) throw new Error('c.add');
  return i16((4 << 13) | (1 << 12) | (rd << 7) | (rs2 << 2) | 2, `c.add ${x(rd)},${x(rs2)}`);
}

// ---- helpers ----
/** lui+addi loading a 32-bit signed constant (sign-extended), 1 or 2 instructions. */
export function li32(rd: number, v: number): Insn[] {
  v |= 0;
  const lo = ((v << 20) >> 20);
  const hi = ((v - lo) >>> 12) & 0xfffff;
  if (hi === 0) return [opImm('addi', rd, 0, lo)];
  const out = [lui(rd, hi)];
  if (lo !== 0) out.push(addiw(rd, rd, lo));
  return out;
}
/** lui+addi for an absolute address in [0, 2^31 - 2^11). */
export function la(rd: number, addr: number): Insn[] {
  if (addr < 0 || addr >= 0x7ffff800) throw new Error('address out of range');
  const lo = (addr << 20) >> 20;
  const hi = ((addr - lo) >>> 12) & 0xfffff;
  return [lui(rd, hi), opImm('addi', rd, rd, lo)];
}

export function bytesOf(insns: Insn[]): Uint8Array {
  let n = 0;
  for (const i of insns) n += i.size;
  const out = new Uint8Array(n);
  let p = 0;
  for (const i of insns) {
    out[p++] = i.enc & 0xff;
    out[p++] = (i.enc >>> 8) & 0xff;
    if (i.size === 4) {
      out[p++] = (i.enc >>> 16) & 0xff;
      out[p++] = (i.enc >>> 24) & 0xff;
    }
  }
  return out;
}
