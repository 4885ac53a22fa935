import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as a from './asm.ts';
import { machine, RAM_BASE, u64, s64, type Machine } from './util.ts';
import { STOP_BUDGET, STOP_TRAP } from '../src/index.ts';

const EDGE = [0n, 1n, -1n, 2n, 31n, 32n, 63n, 64n, 0x7fffffffn, 0x80000000n, -0x80000000n, 0xffffffffn,
  0x7fffffffffffffffn, -0x8000000000000000n, 0x123456789abcdef0n, -0x0fedcba987654321n, 0x100000000n];

/** Run one instruction reading x1, x2 and writing x3; returns x3. */
function exec1(m: Machine, insn: number, x1: bigint, x2: bigint): bigint {
  m.code(RAM_BASE, insn, a.ecall());
  m.h.setX(1, x1);
  m.h.setX(2, x2);
  m.h.setX(3, 0x5555n);
  const r = m.go(RAM_BASE);
  assert.equal(r, STOP_TRAP);
  assert.equal(m.mcause(), 11n, `insn ${insn.toString(16)} trapped unexpectedly`);
  return s64(m.h.getX(3));
}

const sx32 = (v: bigint) => BigInt.asIntN(32, v);
const REG_OPS: [string, (rd: number, a: number, b: number) => number, (x: bigint, y: bigint) => bigint][] = [
  ['add', a.add, (x, y) => s64(x + y)],
  ['sub', a.sub, (x, y) => s64(x - y)],
  ['sll', a.sll, (x, y) => s64(x << (y & 63n))],
  ['srl', a.srl, (x, y) => s64(u64(x) >> (y & 63n))],
  ['sra', a.sra, (x, y) => s64(x) >> (y & 63n)],
  ['slt', a.slt, (x, y) => (s64(x) < s64(y) ? 1n : 0n)],
  ['sltu', a.sltu, (x, y) => (u64(x) < u64(y) ? 1n : 0n)],
  ['xor', a.xor, (x, y) => s64(x ^ y)],
  ['or', a.or, (x, y) => s64(x | y)],
  ['and', a.and, (x, y) => s64(x & y)],
  ['addw', a.addw, (x, y) => sx32(x + y)],
  ['subw', a.subw, (x, y) => sx32(x - y)],
  ['sllw', a.sllw, (x, y) => sx32(x << (y & 31n))],
  ['srlw', a.srlw, (x, y) => sx32(BigInt.asUintN(32, x) >> (y & 31n))],
  ['sraw', a.sraw, (x, y) => sx32(x) >> (y & 31n)],
];

test('register-register ALU ops over edge values (incl. shifts by 63, W sign-extension)', () => {
  const m = machine();
  for (const [name, enc, ref] of REG_OPS) {
    for (const x of EDGE) for (const y of EDGE) {
      assert.equal(exec1(m, enc(3, 1, 2), x, y), ref(x, y), `${name} ${x} ${y}`);
    }
  }
});

test('register-immediate ALU ops', () => {
  const m = machine();
  const IMMS = [0, 1, -1, 2047, -2048, 5, -7];
  const ops: [string, (rd: number, rs: number, i: number) => number, (x: bigint, i: bigint) => bigint][] = [
    ['addi', a.addi, (x, i) => s64(x + i)],
    ['slti', a.slti, (x, i) => (s64(x) < i ? 1n : 0n)],
    ['sltiu', a.sltiu, (x, i) => (u64(x) < u64(i) ? 1n : 0n)],
    ['xori', a.xori, (x, i) => s64(x ^ i)],
    ['ori', a.ori, (x, i) => s64(x | i)],
    ['andi', a.andi, (x, i) => s64(x & i)],
    ['addiw', a.addiw, (x, i) => sx32(x + i)],
  ];
  for (const [name, enc, ref] of ops) for (const x of EDGE) for (const i of IMMS) {
    assert.equal(exec1(m, enc(3, 1, i), x, 0n), ref(x, BigInt(i)), `${name} ${x} ${i}`);
  }
  for (const x of EDGE) for (const sh of [0, 1, 31, 32, 33, 63]) {
    assert.equal(exec1(m, a.slli(3, 1, sh), x, 0n), s64(x << BigInt(sh)), `slli ${x} ${sh}`);
    assert.equal(exec1(m, a.srli(3, 1, sh), x, 0n), s64(u64(x) >> BigInt(sh)), `srli ${x} ${sh}`);
    assert.equal(exec1(m, a.srai(3, 1, sh), x, 0n), s64(x) >> BigInt(sh), `srai ${x} ${sh}`);
    if (sh < 32) {
      assert.equal(exec1(m, a.slliw(3, 1, sh), x, 0n), sx32(x << BigInt(sh)), `slliw ${x} ${sh}`);
      assert.equal(exec1(m, a.srliw(3, 1, sh), x, 0n), sx32(BigInt.asUintN(32, x) >> BigInt(sh)), `srliw`);
      assert.equal(exec1(m, a.sraiw(3, 1, sh), x, 0n), sx32(x) >> BigInt(sh), `sraiw`);
    }
  }
  // slliw with shamt[5] set is reserved
  m.code(RAM_BASE, a.slliw(3, 1, 0) | (1 << 25));
  assert.equal(m.go(RAM_BASE), STOP_TRAP);
  assert.equal(m.mcause(), 2n);
});

test('lui, auipc, x0 stays zero', () => {
  const m = machine();
  assert.equal(exec1(m, a.lui(3, 0x80000), 0n, 0n), -0x80000000n);
  assert.equal(exec1(m, a.lui(3, 0x7ffff), 0n, 0n), 0x7ffff000n);
  assert.equal(exec1(m, a.auipc(3, 0xfffff), 0n, 0n), BigInt(RAM_BASE) - 0x1000n);
  m.code(RAM_BASE, a.addi(0, 0, 5), a.lui(0, 1), a.add(3, 0, 0), a.ecall());
  m.go(RAM_BASE);
  assert.equal(m.h.getX(0), 0n);
  assert.equal(m.h.getX(3), 0n);
  m.h.setX(0, 99n);
  assert.equal(m.h.getX(0), 0n);
});

test('branches: signed and unsigned, taken and not', () => {
  const m = machine();
  const br: [(a: number, b: number, o: number) => number, (x: bigint, y: bigint) => boolean][] = [
    [a.beq, (x, y) => x === y], [a.bne, (x, y) => x !== y],
    [a.blt, (x, y) => s64(x) < s64(y)], [a.bge, (x, y) => s64(x) >= s64(y)],
    [a.bltu, (x, y) => u64(x) < u64(y)], [a.bgeu, (x, y) => u64(x) >= u64(y)],
  ];
  for (const [enc, ref] of br) for (const x of EDGE.slice(0, 12)) for (const y of EDGE.slice(0, 12)) {
    // taken -> skip the addi that sets x3 = 1
    m.code(RAM_BASE, enc(1, 2, 8), a.addi(3, 0, 1), a.ecall());
    m.h.setX(1, x); m.h.setX(2, y); m.h.setX(3, 0n);
    m.go(RAM_BASE);
    assert.equal(m.h.getX(3), ref(x, y) ? 0n : 1n);
  }
});

test('jal / jalr link and target (jalr clears bit 0)', () => {
  const m = machine();
  // jal -> +12; x5 = x1 + 17 = RAM_BASE + 21; jalr -> (x5 + 4) & ~1 = RAM_BASE + 24
  m.code(RAM_BASE, a.jal(1, 12), a.ecall(), a.ecall(), a.addi(5, 1, 17), a.jalr(7, 5, 4), a.ecall(), a.addi(9, 0, 1), a.ecall());
  const r = m.go(RAM_BASE);
  assert.equal(r, STOP_TRAP);
  assert.equal(m.h.getX(1), BigInt(RAM_BASE + 4));
  assert.equal(m.h.getX(7), BigInt(RAM_BASE + 20));
  assert.equal(m.h.getX(9), 1n);
  assert.equal(m.h.readCSR(0x341), BigInt(RAM_BASE + 28));
});

test('loads and stores: widths, sign/zero extension, misaligned, across a page', () => {
  const m = machine();
  const data = RAM_BASE + 0x10000;
  m.w64(data, 0x8182838485868788n);
  const loads: [(rd: number, rs: number, i: number) => number, bigint][] = [
    [a.lb, -0x78n], [a.lbu, 0x88n], [a.lh, s64(0xffffffffffff8788n)], [a.lhu, 0x8788n],
    [a.lw, s64(0xffffffff85868788n)], [a.lwu, 0x85868788n], [a.ld, s64(0x8182838485868788n)],
  ];
  for (const [enc, want] of loads) {
    assert.equal(exec1(m, enc(3, 1, 0), BigInt(data), 0n), want);
    // second time through the TLB fast path
    assert.equal(exec1(m, enc(3, 1, 0), BigInt(data), 0n), want);
  }
  // negative offset
  assert.equal(exec1(m, a.lbu(3, 1, -1), BigInt(data + 1), 0n), 0x88n);
  // misaligned within a page
  assert.equal(exec1(m, a.lw(3, 1, 1), BigInt(data), 0n), sx32(0x84858687n));
  // stores
  m.code(RAM_BASE, a.sd(2, 1, 0), a.sw(2, 1, 8), a.sh(2, 1, 12), a.sb(2, 1, 14), a.sd(2, 1, 17), a.ecall());
  m.h.setX(1, BigInt(data)); m.h.setX(2, 0x1122334455667788n);
  m.go(RAM_BASE);
  assert.equal(m.r64(data), 0x1122334455667788n);
  assert.equal(m.r32(data + 8), 0x55667788);
  assert.equal(m.dv.getUint16(0x100000 + 0x10000 + 12, true), 0x7788);
  assert.equal(m.dv.getUint8(0x100000 + 0x10000 + 14), 0x88);
  assert.equal(m.r64(data + 17), 0x1122334455667788n);
  // across a page boundary (bare mode)
  const edge = RAM_BASE + 0x12000 - 3;
  m.code(RAM_BASE, a.sd(2, 1, 0), a.ld(3, 1, 0), a.lw(4, 1, 1), a.ecall());
  m.h.setX(1, BigInt(edge)); m.h.setX(2, -0x123456789abcdefn);
  m.go(RAM_BASE);
  assert.equal(s64(m.h.getX(3)), -0x123456789abcdefn);
  assert.equal(s64(m.h.getX(4)), sx32(-0x123456789abcdefn >> 8n));
});

test('access outside memory raises access faults with tval', () => {
  const m = machine();
  m.code(RAM_BASE, a.ld(3, 1, 0));
  m.h.setX(1, 0x1000n);
  assert.equal(m.go(RAM_BASE), STOP_TRAP);
  assert.equal(m.mcause(), 5n);
  assert.equal(m.h.readCSR(0x343), 0x1000n);
  assert.equal(m.h.readCSR(0x341), BigInt(RAM_BASE));
  m.code(RAM_BASE, a.sw(3, 1, 0));
  m.h.setX(1, -8n);
  assert.equal(m.go(RAM_BASE), STOP_TRAP);
  assert.equal(m.mcause(), 7n);
  assert.equal(m.h.readCSR(0x343), u64(-8n));
  // fetch from nowhere
  m.code(RAM_BASE, a.jalr(0, 1, 0));
  m.h.setX(1, 0x2000n);
  assert.equal(m.go(RAM_BASE), STOP_TRAP);
  assert.equal(m.mcause(), 1n);
  assert.equal(m.h.readCSR(0x341), 0x2000n);
  // a jalr target that is not a safe JS integer: exact epc/tval bits
  m.h.setX(1, 0x1234567812345678n);
  assert.equal(m.go(RAM_BASE), STOP_TRAP);
  assert.equal(m.mcause(), 1n);
  assert.equal(m.h.readCSR(0x341), 0x1234567812345678n);
  assert.equal(m.h.readCSR(0x343), 0x1234567812345678n);
});

test('illegal instructions: tval holds the bits', () => {
  const m = machine();
  for (const bad of [0x00000000, 0xffffffff, a.jalr(1, 2, 0) | (1 << 12), 0x0000707f >>> 0]) {
    m.code(RAM_BASE, bad);
    assert.equal(m.go(RAM_BASE), STOP_TRAP);
    assert.equal(m.mcause(), 2n, bad.toString(16));
    const len = (bad & 3) === 3 ? 4 : 2;
    assert.equal(m.h.readCSR(0x343), BigInt(len === 4 ? bad >>> 0 : bad & 0xffff));
  }
});

test('budget, instret and ebreak', () => {
  const m = machine();
  m.code(RAM_BASE, a.addi(1, 1, 1), a.jal(0, -4));
  m.h.setX(1, 0n);
  const before = m.h.instret;
  assert.equal(m.go(RAM_BASE, 1001), STOP_BUDGET);
  assert.equal(m.h.instret - before, 1001);
  assert.equal(m.h.getX(1), 501n);
  assert.equal(m.h.getPC(), BigInt(RAM_BASE + 4));
  // continue from where it stopped
  assert.equal(m.h.run(1), STOP_BUDGET);
  assert.equal(m.h.getPC(), BigInt(RAM_BASE));
  m.code(RAM_BASE, a.ebreak());
  assert.equal(m.go(RAM_BASE), STOP_TRAP);
  assert.equal(m.mcause(), 3n);
  assert.equal(m.h.readCSR(0x343), BigInt(RAM_BASE));
});
