// M extension results and C extension decoding (each RV64C form must pre-decode to
// exactly its 32-bit expansion, Unprivileged ISA 16.8 tables).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as a from './asm.ts';
import { machine, RAM_BASE, s64, u64 } from './util.ts';
import { decodeInto, Op } from '../src/interp.ts';
import { STOP_TRAP } from '../src/index.ts';

const EDGE = [0n, 1n, -1n, 2n, -2n, 3n, 7n, -7n, 0x7fffffffn, -0x80000000n, 0xffffffffn, 0x100000000n,
  0x7fffffffffffffffn, -0x8000000000000000n, 0x123456789abcdef0n, -0x0fedcba987654321n];
const MIN64 = -(1n << 63n), MIN32 = -(1n << 31n);
const sx32 = (v: bigint) => BigInt.asIntN(32, v), ux32 = (v: bigint) => BigInt.asUintN(32, v);

const M_OPS: [string, (rd: number, a: number, b: number) => number, (x: bigint, y: bigint) => bigint][] = [
  ['mul', a.mul, (x, y) => s64(x * y)],
  ['mulh', a.mulh, (x, y) => s64((x * y) >> 64n)],
  ['mulhsu', a.mulhsu, (x, y) => s64((x * u64(y)) >> 64n)],
  ['mulhu', a.mulhu, (x, y) => s64((u64(x) * u64(y)) >> 64n)],
  ['div', a.div, (x, y) => (y === 0n ? -1n : x === MIN64 && y === -1n ? MIN64 : x / y)],
  ['divu', a.divu, (x, y) => (y === 0n ? -1n : s64(u64(x) / u64(y)))],
  ['rem', a.rem, (x, y) => (y === 0n ? x : x === MIN64 && y === -1n ? 0n : x % y)],
  ['remu', a.remu, (x, y) => (y === 0n ? x : s64(u64(x) % u64(y)))],
  ['mulw', a.mulw, (x, y) => sx32(x * y)],
  ['divw', a.divw, (x, y) => (sx32(y) === 0n ? -1n : sx32(x) === MIN32 && sx32(y) === -1n ? MIN32 : sx32(sx32(x) / sx32(y)))],
  ['divuw', a.divuw, (x, y) => (ux32(y) === 0n ? -1n : sx32(ux32(x) / ux32(y)))],
  ['remw', a.remw, (x, y) => (sx32(y) === 0n ? sx32(x) : sx32(x) === MIN32 && sx32(y) === -1n ? 0n : sx32(sx32(x) % sx32(y)))],
  ['remuw', a.remuw, (x, y) => (ux32(y) === 0n ? sx32(x) : sx32(ux32(x) % ux32(y)))],
];

test('M: mul/mulh*/div*/rem* incl. divide by zero, INT_MIN / -1, W forms', () => {
  const m = machine();
  for (const [name, enc, ref] of M_OPS) {
    for (const x of EDGE) for (const y of EDGE) {
      m.code(RAM_BASE, enc(3, 1, 2), a.ecall());
      m.h.setX(1, x); m.h.setX(2, y);
      assert.equal(m.go(RAM_BASE), STOP_TRAP);
      assert.equal(s64(m.h.getX(3)), ref(x, y), `${name} ${x} ${y}`);
    }
  }
  // rd aliasing a source, and rd = x0
  m.code(RAM_BASE, a.mul(1, 1, 1), a.div(0, 1, 1), a.ecall());
  m.h.setX(1, -3n);
  m.go(RAM_BASE);
  assert.equal(m.h.getX(1), 9n);
  assert.equal(m.h.getX(0), 0n);
});

function decoded(bits: number): [number, number, number] {
  const ops = new Uint8Array(1), ws = new Int32Array(1), imms = new Int32Array(1);
  decodeInto(bits, ops, ws, imms, 0);
  return [ops[0], ws[0], imms[0]];
}

// [compressed, expansion] pairs; compressed encodings from GNU as (rv64gc).
const C_PAIRS: [number, number, string][] = [
  [0x1fe0, a.addi(8, 2, 1020), 'c.addi4spn'],
  [0x3d64, a.fld(9, 10, 248), 'c.fld'],
  [0x5e6c, a.lw(11, 12, 124), 'c.lw'],
  [0x7f74, a.ld(13, 14, 248), 'c.ld'],
  [0xa41c, a.fsd(15, 8, 8), 'c.fsd'],
  [0xc124, a.sw(9, 10, 64), 'c.sw'],
  [0xe3cc, a.sd(11, 15, 128), 'c.sd'],
  [0x0001, a.addi(0, 0, 0), 'c.nop'],
  [0x1281, a.addi(5, 5, -32), 'c.addi'],
  [0x237d, a.addiw(6, 6, 31), 'c.addiw'],
  [0x53fd, a.addi(7, 0, -1), 'c.li'],
  [0x7101, a.addi(2, 2, -512), 'c.addi16sp -'],
  [0x617d, a.addi(2, 2, 496), 'c.addi16sp +'],
  [0x7401, a.lui(8, 0xfffe0), 'c.lui -'],
  [0x64fd, a.lui(9, 0x1f), 'c.lui +'],
  [0x907d, a.srli(8, 8, 63), 'c.srli'],
  [0x8485, a.srai(9, 9, 1), 'c.srai'],
  [0x993d, a.andi(10, 10, -17), 'c.andi'],
  [0x8c05, a.sub(8, 8, 9), 'c.sub'],
  [0x8d2d, a.xor(10, 10, 11), 'c.xor'],
  [0x8e55, a.or(12, 12, 13), 'c.or'],
  [0x8f7d, a.and(14, 14, 15), 'c.and'],
  [0x9c05, a.subw(8, 8, 9), 'c.subw'],
  [0x9d2d, a.addw(10, 10, 11), 'c.addw'],
  [0xb001, a.jal(0, -2048), 'c.j -'],
  [0xaffd, a.jal(0, 2046), 'c.j +'],
  [0xd001, a.beq(8, 0, -256), 'c.beqz'],
  [0xecfd, a.bne(9, 0, 254), 'c.bnez'],
  [0x12fe, a.slli(5, 5, 63), 'c.slli'],
  [0x31fe, a.fld(3, 2, 504), 'c.fldsp'],
  [0x527e, a.lw(4, 2, 252), 'c.lwsp'],
  [0x737e, a.ld(6, 2, 504), 'c.ldsp'],
  [0x8382, a.jalr(0, 7, 0), 'c.jr'],
  [0x8426, a.add(8, 0, 9), 'c.mv'],
  [0x9002, a.ebreak(), 'c.ebreak'],
  [0x9502, a.jalr(1, 10, 0), 'c.jalr'],
  [0x95b2, a.add(11, 11, 12), 'c.add'],
  [0xbf96, a.fsd(5, 2, 504), 'c.fsdsp'],
  [0xdf9a, a.sw(6, 2, 252), 'c.swsp'],
  [0xff9e, a.sd(7, 2, 504), 'c.sdsp'],
];

test('C: every RV64C form pre-decodes to its 32-bit expansion (length 2)', () => {
  for (const [c, e, name] of C_PAIRS) {
    const [co, cw, ci] = decoded(c);
    const [eo, ew, ei] = decoded(e);
    assert.notEqual(eo, Op.ILLEGAL, name);
    assert.equal(co, eo, `${name}: op`);
    assert.equal(cw & 0xffffff, ew & 0xffffff, `${name}: operands`);
    assert.equal(cw >>> 24, 2, `${name}: length`);
    assert.equal(ew >>> 24, 4, `${name}: expansion length`);
    assert.equal(ci, ei, `${name}: immediate`);
  }
});

test('C: reserved encodings are illegal with the 16 bits as tval', () => {
  const m = machine();
  const reserved = [0x0000 /* all zero / addi4spn 0 */, 0x6081 /* c.lui x1,0 */, 0x6101 /* c.addi16sp 0 */,
    0x4002 /* c.lwsp x0 */, 0x6002 /* c.ldsp x0 */, 0x8002 /* c.jr x0 */, 0x8000 /* Q0 funct3=4 */,
    0x2001 /* c.addiw x0 */, 0x9c41 /* Q1 reserved ALU */, 0x9c61];
  for (const c of reserved) {
    m.code(RAM_BASE, c);
    assert.equal(m.go(RAM_BASE), STOP_TRAP);
    assert.equal(m.mcause(), 2n, c.toString(16));
    assert.equal(m.h.readCSR(0x343), BigInt(c));
  }
});

test('C: execution with 2-byte link and mixed-length code', () => {
  const m = machine();
  // 0: c.li x10, 5 ; 2: c.jal? (RV64 has no c.jal) -> c.jalr x11 (x1 = pc + 2) ; target: c.addi x10, -32; ecall
  const pc = m.code(RAM_BASE, 0x4515 /* c.li a0,5 */, 0x9582 /* c.jalr a1 */, a.ecall());
  m.code(RAM_BASE + 0x40, 0x1501 /* c.addi a0,-32 */, a.ecall());
  m.h.setX(11, BigInt(RAM_BASE + 0x40));
  assert.equal(m.go(RAM_BASE), STOP_TRAP);
  assert.equal(s64(m.h.getX(10)), -27n);
  assert.equal(m.h.getX(1), BigInt(RAM_BASE + 4));
  assert.equal(m.h.readCSR(0x341), BigInt(RAM_BASE + 0x42));
  void pc;
});
