// A tiny RV64GC encoder for tests (formats of the RISC-V Unprivileged ISA, ch. 2.2-2.3 and
// the opcode map of ch. 24). Returns instruction words as unsigned numbers.

export const R = (f7: number, rs2: number, rs1: number, f3: number, rd: number, opc: number) =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc) >>> 0;
export const I = (imm: number, rs1: number, f3: number, rd: number, opc: number) =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc) >>> 0;
export const S = (imm: number, rs2: number, rs1: number, f3: number, opc: number) =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | opc) >>> 0;
export const B = (imm: number, rs2: number, rs1: number, f3: number) =>
  ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0;
export const U = (imm20: number, rd: number, opc: number) => (((imm20 & 0xfffff) << 12) | (rd << 7) | opc) >>> 0;
export const J = (imm: number, rd: number) =>
  ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) |
    (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;

// RV64I
export const lui = (rd: number, imm20: number) => U(imm20, rd, 0x37);
export const auipc = (rd: number, imm20: number) => U(imm20, rd, 0x17);
export const jal = (rd: number, off: number) => J(off, rd);
export const jalr = (rd: number, rs1: number, imm: number) => I(imm, rs1, 0, rd, 0x67);
export const beq = (a: number, b: number, off: number) => B(off, b, a, 0);
export const bne = (a: number, b: number, off: number) => B(off, b, a, 1);
export const blt = (a: number, b: number, off: number) => B(off, b, a, 4);
export const bge = (a: number, b: number, off: number) => B(off, b, a, 5);
export const bltu = (a: number, b: number, off: number) => B(off, b, a, 6);
export const bgeu = (a: number, b: number, off: number) => B(off, b, a, 7);
export const lb = (rd: number, rs1: number, imm: number) => I(imm, rs1, 0, rd, 0x03);
export const lh = (rd: number, rs1: number, imm: number) => I(imm, rs1, 1, rd, 0x03);
export const lw = (rd: number, rs1: number, imm: number) => I(imm, rs1, 2, rd, 0x03);
export const ld = (rd: number, rs1: number, imm: number) => I(imm, rs1, 3, rd, 0x03);
export const lbu = (rd: number, rs1: number, imm: number) => I(imm, rs1, 4, rd, 0x03);
export const lhu = (rd: number, rs1: number, imm: number) => I(imm, rs1, 5, rd, 0x03);
export const lwu = (rd: number, rs1: number, imm: number) => I(imm, rs1, 6, rd, 0x03);
export const sb = (rs2: number, rs1: number, imm: number) => S(imm, rs2, rs1, 0, 0x23);
export const sh = (rs2: number, rs1: number, imm: number) => S(imm, rs2, rs1, 1, 0x23);
export const sw = (rs2: number, rs1: number, imm: number) => S(imm, rs2, rs1, 2, 0x23);
export const sd = (rs2: number, rs1: number, imm: number) => S(imm, rs2, rs1, 3, 0x23);
export const addi = (rd: number, rs1: number, imm: number) => I(imm, rs1, 0, rd, 0x13);
export const slti = (rd: number, rs1: number, imm: number) => I(imm, rs1, 2, rd, 0x13);
export const sltiu = (rd: number, rs1: number, imm: number) => I(imm, rs1, 3, rd, 0x13);
export const xori = (rd: number, rs1: number, imm: number) => I(imm, rs1, 4, rd, 0x13);
export const ori = (rd: number, rs1: number, imm: number) => I(imm, rs1, 6, rd, 0x13);
export const andi = (rd: number, rs1: number, imm: number) => I(imm, rs1, 7, rd, 0x13);
export const slli = (rd: number, rs1: number, sh: number) => I(sh, rs1, 1, rd, 0x13);
export const srli = (rd: number, rs1: number, sh: number) => I(sh, rs1, 5, rd, 0x13);
export const srai = (rd: number, rs1: number, sh: number) => I(0x400 | sh, rs1, 5, rd, 0x13);
export const add = (rd: number, a: number, b: number) => R(0, b, a, 0, rd, 0x33);
export const sub = (rd: number, a: number, b: number) => R(0x20, b, a, 0, rd, 0x33);
export const sll = (rd: number, a: number, b: number) => R(0, b, a, 1, rd, 0x33);
export const slt = (rd: number, a: number, b: number) => R(0, b, a, 2, rd, 0x33);
export const sltu = (rd: number, a: number, b: number) => R(0, b, a, 3, rd, 0x33);
export const xor = (rd: number, a: number, b: number) => R(0, b, a, 4, rd, 0x33);
export const srl = (rd: number, a: number, b: number) => R(0, b, a, 5, rd, 0x33);
export const sra = (rd: number, a: number, b: number) => R(0x20, b, a, 5, rd, 0x33);
export const or = (rd: number, a: number, b: number) => R(0, b, a, 6, rd, 0x33);
export const and = (rd: number, a: number, b: number) => R(0, b, a, 7, rd, 0x33);
export const addiw = (rd: number, rs1: number, imm: number) => I(imm, rs1, 0, rd, 0x1b);
export const slliw = (rd: number, rs1: number, sh: number) => I(sh, rs1, 1, rd, 0x1b);
export const srliw = (rd: number, rs1: number, sh: number) => I(sh, rs1, 5, rd, 0x1b);
export const sraiw = (rd: number, rs1: number, sh: number) => I(0x400 | sh, rs1, 5, rd, 0x1b);
export const addw = (rd: number, a: number, b: number) => R(0, b, a, 0, rd, 0x3b);
export const subw = (rd: number, a: number, b: number) => R(0x20, b, a, 0, rd, 0x3b);
export const sllw = (rd: number, a: number, b: number) => R(0, b, a, 1, rd, 0x3b);
export const srlw = (rd: number, a: number, b: number) => R(0, b, a, 5, rd, 0x3b);
export const sraw = (rd: number, a: number, b: number) => R(0x20, b, a, 5, rd, 0x3b);
export const fence = () => 0x0ff0000f;
export const fence_i = () => 0x0000100f;
export const ecall = () => 0x00000073;
export const ebreak = () => 0x00100073;
export const mret = () => 0x30200073;
export const sret = () => 0x10200073;
export const wfi = () => 0x10500073;
export const sfence_vma = (rs1 = 0, rs2 = 0) => R(0x09, rs2, rs1, 0, 0, 0x73);
// Zicsr
export const csrrw = (rd: number, csr: number, rs1: number) => I(csr, rs1, 1, rd, 0x73);
export const csrrs = (rd: number, csr: number, rs1: number) => I(csr, rs1, 2, rd, 0x73);
export const csrrc = (rd: number, csr: number, rs1: number) => I(csr, rs1, 3, rd, 0x73);
export const csrrwi = (rd: number, csr: number, u: number) => I(csr, u, 5, rd, 0x73);
export const csrrsi = (rd: number, csr: number, u: number) => I(csr, u, 6, rd, 0x73);
export const csrrci = (rd: number, csr: number, u: number) => I(csr, u, 7, rd, 0x73);
// M
const M = (f3: number, w: boolean) => (rd: number, a: number, b: number) => R(1, b, a, f3, rd, w ? 0x3b : 0x33);
export const mul = M(0, false), mulh = M(1, false), mulhsu = M(2, false), mulhu = M(3, false);
export const div = M(4, false), divu = M(5, false), rem = M(6, false), remu = M(7, false);
export const mulw = M(0, true), divw = M(4, true), divuw = M(5, true), remw = M(6, true), remuw = M(7, true);
// A
const A = (f5: number, f3: number) => (rd: number, rs1: number, rs2: number) => R(f5 << 2, rs2, rs1, f3, rd, 0x2f);
export const lr_w = (rd: number, rs1: number) => A(0x02, 2)(rd, rs1, 0);
export const lr_d = (rd: number, rs1: number) => A(0x02, 3)(rd, rs1, 0);
export const sc_w = (rd: number, rs1: number, rs2: number) => A(0x03, 2)(rd, rs1, rs2);
export const sc_d = (rd: number, rs1: number, rs2: number) => A(0x03, 3)(rd, rs1, rs2);
export const amo = (name: string, d: boolean) => {
  const f5 = { add: 0, swap: 1, xor: 4, or: 8, and: 0xc, min: 0x10, max: 0x14, minu: 0x18, maxu: 0x1c }[name]!;
  return A(f5, d ? 3 : 2);
};
// F / D
export const flw = (rd: number, rs1: number, imm: number) => I(imm, rs1, 2, rd, 0x07);
export const fld = (rd: number, rs1: number, imm: number) => I(imm, rs1, 3, rd, 0x07);
export const fsw = (rs2: number, rs1: number, imm: number) => S(imm, rs2, rs1, 2, 0x27);
export const fsd = (rs2: number, rs1: number, imm: number) => S(imm, rs2, rs1, 3, 0x27);
/** OP-FP: funct5, fmt (0 S, 1 D), rm/funct3, rs2, rs1, rd. */
export const fop = (f5: number, fmt: number, rm: number, rd: number, rs1: number, rs2: number) =>
  R((f5 << 2) | fmt, rs2, rs1, rm, rd, 0x53);
export const fma = (opc: number, fmt: number, rm: number, rd: number, rs1: number, rs2: number, rs3: number) =>
  ((rs3 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | opc) >>> 0;
/** fmv.x.w (fmt 0) / fmv.x.d (fmt 1) */
export const fmv_x = (rd: number, rs1: number, fmt: number) => fop(0x1c, fmt, 0, rd, rs1, 0);
/** fmv.w.x (fmt 0) / fmv.d.x (fmt 1) */
export const fmv_f = (rd: number, rs1: number, fmt: number) => fop(0x1e, fmt, 0, rd, rs1, 0);
