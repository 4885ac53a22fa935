// A extension, PMP (Privileged ISA 3.7), self-modifying code and the decode cache,
// extra physical regions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as a from './asm.ts';
import { machine, RAM_BASE, s64, u64, type Machine } from './util.ts';
import { Priv, STOP_TRAP } from '../src/index.ts';

const MSTATUS = 0x300, MEPC = 0x341, MCAUSE = 0x342, MTVAL = 0x343;
const DATA = RAM_BASE + 0x10000;

function enter(m: Machine, priv: Priv, pc: number): void {
  m.h.writeCSR(MSTATUS, BigInt(priv) << 11n);
  m.h.writeCSR(MEPC, BigInt(pc));
  m.h.mret();
}

test('LR/SC: success, failure without reservation, reservation cleared by SC and by traps', () => {
  const m = machine();
  m.w64(DATA, 5n);
  m.h.setX(1, BigInt(DATA)); m.h.setX(2, 77n);
  m.code(RAM_BASE, a.lr_d(3, 1), a.sc_d(4, 1, 2), a.sc_d(5, 1, 2), a.ecall());
  m.go(RAM_BASE);
  assert.equal(m.h.getX(3), 5n);
  assert.equal(m.h.getX(4), 0n); // success
  assert.equal(m.h.getX(5), 1n); // reservation consumed
  assert.equal(m.r64(DATA), 77n);
  // lr.w sign-extends; sc.w writes 32 bits
  m.w64(DATA, 0x00000000_80000001n);
  m.h.setX(2, 0x1_0000_0002n);
  m.code(RAM_BASE, a.lr_w(3, 1), a.sc_w(4, 1, 2), a.ecall());
  m.go(RAM_BASE);
  assert.equal(s64(m.h.getX(3)), -0x7fffffffn);
  assert.equal(m.h.getX(4), 0n);
  assert.equal(m.r64(DATA), 2n);
  // a trap between LR and SC clears the reservation
  m.code(RAM_BASE, a.lr_d(3, 1), a.ecall());
  m.go(RAM_BASE);
  m.code(RAM_BASE, a.sc_d(4, 1, 2), a.ecall());
  m.go(RAM_BASE);
  assert.equal(m.h.getX(4), 1n);
  // SC to a different address than the reservation fails
  m.h.setX(6, BigInt(DATA + 8));
  m.code(RAM_BASE, a.lr_d(3, 1), a.sc_d(4, 6, 2), a.ecall());
  m.go(RAM_BASE);
  assert.equal(m.h.getX(4), 1n);
});

test('AMOs (W and D): results and memory, signed/unsigned min/max', () => {
  const m = machine();
  const VALS = [0n, 1n, -1n, 5n, -0x80000000n, 0x7fffffffn, 0x123456789n, -0x8000000000000000n];
  const ops: [string, (x: bigint, y: bigint, w: boolean) => bigint][] = [
    ['add', (x, y) => x + y], ['swap', (_x, y) => y], ['xor', (x, y) => x ^ y], ['or', (x, y) => x | y],
    ['and', (x, y) => x & y],
    ['min', (x, y) => (x < y ? x : y)], ['max', (x, y) => (x > y ? x : y)],
    ['minu', (x, y, w) => (ux(x, w) < ux(y, w) ? x : y)], ['maxu', (x, y, w) => (ux(x, w) > ux(y, w) ? x : y)],
  ];
  function ux(v: bigint, w: boolean) { return w ? BigInt.asUintN(32, v) : u64(v); }
  for (const w of [true, false]) for (const [name, ref] of ops) for (const mv of VALS) for (const rv of VALS) {
    const norm = (v: bigint) => (w ? BigInt.asIntN(32, v) : s64(v));
    m.w64(DATA, w ? (0xdeadbeefn << 32n) | BigInt.asUintN(32, mv) : u64(mv));
    m.h.setX(1, BigInt(DATA)); m.h.setX(2, u64(rv));
    m.code(RAM_BASE, a.amo(name, !w)(3, 1, 2), a.ecall());
    m.go(RAM_BASE);
    assert.equal(s64(m.h.getX(3)), norm(mv), `${name}.${w ? 'w' : 'd'} old`);
    const want = norm(ref(norm(mv), norm(rv), w));
    if (w) {
      assert.equal(BigInt.asIntN(32, m.r64(DATA)), want, `${name}.w ${mv} ${rv}`);
      assert.equal(u64(m.r64(DATA)) >> 32n, 0xdeadbeefn, 'upper word untouched');
    } else assert.equal(m.r64(DATA), want, `${name}.d ${mv} ${rv}`);
  }
});

test('misaligned LR/SC/AMO raise address-misaligned; rd untouched', () => {
  const m = machine();
  m.h.setX(1, BigInt(DATA + 4)); m.h.setX(3, 123n);
  for (const [insn, cause] of [[a.lr_d(3, 1), 4n], [a.sc_d(3, 1, 2), 6n], [a.amo('add', true)(3, 1, 2), 6n]] as const) {
    m.code(RAM_BASE, insn);
    assert.equal(m.go(RAM_BASE), STOP_TRAP);
    assert.equal(m.mcause(), cause);
    assert.equal(m.h.readCSR(MTVAL), BigInt(DATA + 4));
    assert.equal(m.h.getX(3), 123n);
  }
  m.h.setX(1, BigInt(DATA + 2));
  m.code(RAM_BASE, a.amo('swap', false)(3, 1, 2));
  m.go(RAM_BASE);
  assert.equal(m.mcause(), 6n);
});

function pmp(m: Machine, i: number, cfg: number, addr: bigint): void {
  m.h.writeCSR(0x3b0 + i, addr);
  const reg = i < 8 ? 0x3a0 : 0x3a2;
  const sh = BigInt((i % 8) * 8);
  const old = m.h.readCSR(reg);
  m.h.writeCSR(reg, (old & ~(0xffn << sh)) | (BigInt(cfg) << sh));
}
const R = 1, W = 2, X = 4, TOR = 8, NA4 = 16, NAPOT = 24, L = 0x80;
const napot = (base: number, size: number) => BigInt(base / 4 + size / 8 - 1);

test('PMP: S/U need a matching entry; TOR/NA4/NAPOT; priority; partial match; R/W/X', () => {
  const m = machine();
  const code = RAM_BASE + 0x1000;
  m.code(code, a.ld(2, 1, 0), a.ecall());
  m.h.setX(1, BigInt(DATA));
  // no entries: U fetch fails
  enter(m, Priv.U, code);
  assert.equal(m.h.run(5), STOP_TRAP);
  assert.equal(m.h.readCSR(MCAUSE), 1n);
  // NAPOT over the code page (X only) -> the load fails, fetch ok
  pmp(m, 0, X | NAPOT, napot(code, 0x1000));
  enter(m, Priv.U, code);
  m.h.run(5);
  assert.equal(m.h.readCSR(MCAUSE), 5n);
  assert.equal(m.h.readCSR(MTVAL), BigInt(DATA));
  // TOR [DATA, DATA+0x1000) read-only: load ok, store denied
  pmp(m, 1, 0, BigInt(DATA / 4));
  pmp(m, 2, R | TOR, BigInt((DATA + 0x1000) / 4));
  enter(m, Priv.U, code);
  m.h.run(5);
  assert.equal(m.h.readCSR(MCAUSE), 8n);
  m.code(code, a.sd(2, 1, 0), a.ecall());
  enter(m, Priv.U, code);
  m.h.run(5);
  assert.equal(m.h.readCSR(MCAUSE), 7n);
  // NA4: a 4-byte window granting W at DATA+8; an 8-byte store there only partially matches -> fails
  pmp(m, 1, R | W | NA4, BigInt((DATA + 8) / 4)); // higher priority than entry 2 (which now starts at 0)
  m.h.setX(1, BigInt(DATA + 8));
  m.code(code, a.sw(2, 1, 0), a.sd(2, 1, 0), a.ecall());
  enter(m, Priv.U, code);
  m.h.run(5);
  assert.equal(m.h.readCSR(MCAUSE), 7n);
  assert.equal(m.h.readCSR(MEPC), BigInt(code + 4)); // the sw passed, the sd did not
  // the TLB must not cache a page-wide permission from a 4-byte entry: a second sw elsewhere in the page fails
  m.h.setX(1, BigInt(DATA + 16));
  m.code(code, a.sw(2, 1, 0), a.ecall());
  enter(m, Priv.U, code);
  m.h.run(5);
  assert.equal(m.h.readCSR(MCAUSE), 7n);
  // M-mode ignores unlocked entries
  m.code(code, a.sd(2, 1, 0), a.ecall());
  enter(m, Priv.M, code);
  m.h.run(5);
  assert.equal(m.h.readCSR(MCAUSE), 11n);
});

test('PMP: locked entries bind M-mode and cannot be rewritten; TOR base locked too', () => {
  const m = machine();
  const code = RAM_BASE + 0x1000;
  pmp(m, 0, R | X | NAPOT | L, napot(RAM_BASE, 0x8000)); // first 32 KiB: RX, locked
  m.code(code, a.sd(2, 1, 0), a.ld(3, 1, 0), a.ecall());
  m.h.setX(1, BigInt(RAM_BASE + 0x2000));
  enter(m, Priv.M, code);
  assert.equal(m.h.run(5), STOP_TRAP);
  assert.equal(m.h.readCSR(MCAUSE), 7n);
  // writes to a locked entry are ignored
  pmp(m, 0, R | W | X | NAPOT, 0n);
  assert.equal(m.h.readCSR(0x3a0) & 0xffn, BigInt(R | X | NAPOT | L));
  assert.equal(m.h.readCSR(0x3b0), napot(RAM_BASE, 0x8000));
  // a locked TOR entry i locks pmpaddr i-1
  pmp(m, 2, 0, 0x1000n);
  pmp(m, 3, R | TOR | L, 0x2000n);
  m.h.writeCSR(0x3b2, 0x1234n);
  assert.equal(m.h.readCSR(0x3b2), 0x1000n);
  // R=0, W=1 is reserved: W is dropped
  pmp(m, 5, W | NAPOT, 0n);
  assert.equal((m.h.readCSR(0x3a0) >> 40n) & 0xffn, BigInt(NAPOT));
});

test('self-modifying code: plain stores, fence.i, notifyPhysWrite, page-crossing instructions', () => {
  const m = machine();
  const code = RAM_BASE + 0x4000;
  // patch the next instruction with a store (same page), then run it
  const newInsn = a.addi(5, 0, 42);
  m.code(code, a.sw(2, 1, 0), a.addi(5, 0, 1), a.ecall());
  m.h.setX(1, BigInt(code + 4)); m.h.setX(2, BigInt(newInsn));
  m.go(code);
  assert.equal(m.h.getX(5), 42n);
  // loop: execute, patch via store from another page's code, execute again (decoded before)
  const patcher = RAM_BASE + 0x6000;
  m.code(code, a.addi(6, 0, 1), a.jalr(0, 7, 0));
  m.code(patcher, a.jalr(7, 8, 0), a.sw(2, 1, 0), a.fence_i(), a.jalr(7, 8, 0), a.ecall());
  m.h.setX(8, BigInt(code)); m.h.setX(1, BigInt(code)); m.h.setX(2, BigInt(a.addi(6, 0, 2)));
  m.go(patcher);
  assert.equal(m.h.getX(6), 2n);
  // without fence.i: a plain store still invalidates the decoded page
  m.code(patcher, a.jalr(7, 8, 0), a.sw(2, 1, 0), a.jalr(7, 8, 0), a.ecall());
  m.h.setX(2, BigInt(a.addi(6, 0, 3)));
  m.go(patcher);
  assert.equal(m.h.getX(6), 3n);
  // a write from outside (DMA, the kernel) + notifyPhysWrite
  m.dv.setUint32(0x100000 + 0x4000, a.addi(6, 0, 4), true);
  m.h.notifyPhysWrite(code, 4);
  m.go(code);
  assert.equal(m.h.getX(6), 4n);
  // a 32-bit instruction straddling a page boundary, then patched across it
  const edge = RAM_BASE + 0x9000 - 2;
  m.code(edge - 2, 0x0001 /* c.nop */, a.addi(9, 0, 11), a.ecall());
  m.go(edge - 2);
  assert.equal(m.h.getX(9), 11n);
  m.h.setX(1, BigInt(edge)); m.h.setX(2, BigInt(a.addi(9, 0, 12)));
  m.code(RAM_BASE, a.sw(2, 1, 0), a.jalr(0, 1, 0));
  m.go(RAM_BASE);
  assert.equal(m.h.getX(9), 12n);
  // AMO to code invalidates too
  m.code(code, a.addi(6, 0, 1), a.ecall());
  m.go(code);
  m.h.setX(1, BigInt(code)); m.h.setX(2, BigInt(a.addi(6, 0, 5)));
  m.code(RAM_BASE, a.amo('swap', false)(0, 1, 2), a.jalr(0, 1, 0));
  m.go(RAM_BASE);
  assert.equal(m.h.getX(6), 5n);
});

test('extra PhysRegions are RAM-like (load, store, execute); other addresses fault', () => {
  const bytes = new Uint8Array(new SharedArrayBuffer(0x2000));
  const m = machine([{ base: 0x1000_0000, size: 0x2000, bytes }]);
  m.code(RAM_BASE, a.sd(2, 1, 8), a.ld(3, 1, 8), a.jalr(0, 1, 0));
  const dv = new DataView(bytes.buffer);
  dv.setUint32(0, a.addi(4, 3, 1), true);
  dv.setUint32(4, a.ecall(), true);
  m.h.setX(1, 0x1000_0000n); m.h.setX(2, 41n);
  assert.equal(m.go(RAM_BASE), STOP_TRAP);
  assert.equal(m.mcause(), 11n);
  assert.equal(m.h.getX(4), 42n);
  assert.equal(dv.getUint32(8, true), 41);
  // the host rewrites region code at any time: it is never cached
  dv.setUint32(0, a.addi(4, 3, 2), true);
  m.go(0x1000_0000);
  assert.equal(m.h.getX(4), 43n);
  // just past the region
  m.h.setX(1, 0x1000_2000n);
  m.code(RAM_BASE, a.ld(3, 1, 0));
  m.go(RAM_BASE);
  assert.equal(m.mcause(), 5n);
});
