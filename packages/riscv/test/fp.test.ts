// F/D instructions as the hart sees them: decoding, NaN boxing, sNaN detection, canonical
// NaNs, sign injection, moves, fclass, rounding-mode selection, flags, mstatus.FS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as a from './asm.ts';
import { machine, RAM_BASE, s64, type Machine } from './util.ts';
import { STOP_TRAP } from '../src/index.ts';

const MSTATUS = 0x300, MTVAL = 0x343, FFLAGS = 0x001, FRM = 0x002, FCSR = 0x003;
const NX = 1n, UF = 2n, OF = 4n, DZ = 8n, NV = 16n;
const S = 0, D = 1;
const RNE = 0, RTZ = 1, RDN = 2, RUP = 3, DYN = 7;
const CANON_D = 0x7ff8000000000000n;
const CANON_S = 0xffffffff7fc00000n;
const SNAN_D = 0x7ff0000000000001n;
const SNAN_S = 0xffffffff7f800001n;
const QNAN_D = 0x7ff8000000000123n;

const buf = new DataView(new ArrayBuffer(8));
const d2b = (v: number) => { buf.setFloat64(0, v, true); return buf.getBigUint64(0, true); };
const b2d = (b: bigint) => { buf.setBigUint64(0, b, true); return buf.getFloat64(0, true); };
const f2b = (v: number) => { buf.setFloat32(0, v, true); return 0xffffffff00000000n | BigInt(buf.getUint32(0, true)); };
const b2f = (b: bigint) => { buf.setUint32(0, Number(b & 0xffffffffn), true); return buf.getFloat32(0, true); };

function fpMachine(): Machine {
  const m = machine();
  m.h.writeCSR(MSTATUS, 1n << 13n); // FS = Initial
  return m;
}
/** Run instructions then ecall; returns fflags accrued by them (fflags cleared first). */
function run(m: Machine, ...insns: number[]): bigint {
  m.h.writeCSR(FFLAGS, 0n);
  m.code(RAM_BASE, ...insns, a.ecall());
  assert.equal(m.go(RAM_BASE), STOP_TRAP);
  assert.equal(m.mcause(), 11n, `trapped with cause ${m.mcause()}`);
  return m.h.readCSR(FFLAGS);
}

test('FS = Off makes every FP instruction and FP CSR illegal; writes set FS = Dirty and SD', () => {
  const m = machine();
  m.h.writeCSR(MSTATUS, 0n);
  for (const insn of [a.fop(0, D, RNE, 1, 2, 3), a.fld(1, 2, 0), a.fsd(1, 2, 0), a.fop(0x1e, S, 0, 1, 2, 0),
    a.fma(0x43, D, RNE, 1, 2, 3, 4), a.csrrs(1, FFLAGS, 0), a.csrrs(1, FCSR, 0), 0x2000 /* c.fld f8,0(x8) */]) {
    m.code(RAM_BASE, insn);
    assert.equal(m.go(RAM_BASE), STOP_TRAP);
    assert.equal(m.mcause(), 2n, insn.toString(16));
    assert.equal(m.h.readCSR(MTVAL), BigInt(insn));
  }
  m.h.writeCSR(MSTATUS, 1n << 13n);
  m.h.setF(2, d2b(1.5)); m.h.setF(3, d2b(2.25));
  run(m, a.fop(0, D, RNE, 1, 2, 3));
  assert.equal(b2d(m.h.getF(1)), 3.75);
  assert.equal((m.h.readCSR(MSTATUS) >> 13n) & 3n, 3n);
  assert.equal(m.h.readCSR(MSTATUS) >> 63n, 1n);
});

test('arithmetic, fused ops, flags, rounding modes (static and dynamic), invalid rm', () => {
  const m = fpMachine();
  m.h.setF(2, d2b(2)); m.h.setF(3, d2b(3)); m.h.setF(4, d2b(4));
  assert.equal(run(m, a.fma(0x43, D, RNE, 1, 2, 3, 4)), 0n);
  assert.equal(b2d(m.h.getF(1)), 10);
  run(m, a.fma(0x47, D, RNE, 1, 2, 3, 4)); assert.equal(b2d(m.h.getF(1)), 2);
  run(m, a.fma(0x4b, D, RNE, 1, 2, 3, 4)); assert.equal(b2d(m.h.getF(1)), -2);
  run(m, a.fma(0x4f, D, RNE, 1, 2, 3, 4)); assert.equal(b2d(m.h.getF(1)), -10);
  // 1/3: inexact; result depends on rounding
  m.h.setF(2, d2b(1)); m.h.setF(3, d2b(3));
  assert.equal(run(m, a.fop(3, D, RDN, 1, 2, 3)), NX);
  const down = b2d(m.h.getF(1));
  run(m, a.fop(3, D, RUP, 1, 2, 3));
  const up = b2d(m.h.getF(1));
  assert.ok(up > down && up - down < 1e-16);
  // dynamic rm reads frm
  m.h.writeCSR(FRM, BigInt(RUP));
  run(m, a.fop(3, D, DYN, 1, 2, 3));
  assert.equal(b2d(m.h.getF(1)), up);
  // frm = 5 with DYN is illegal; static rm 5/6 are illegal
  m.h.writeCSR(FRM, 5n);
  m.code(RAM_BASE, a.fop(3, D, DYN, 1, 2, 3));
  assert.equal(m.go(RAM_BASE), STOP_TRAP);
  assert.equal(m.mcause(), 2n);
  m.h.writeCSR(FRM, 0n);
  for (const rm of [5, 6]) {
    m.code(RAM_BASE, a.fop(0, S, rm, 1, 2, 3));
    m.go(RAM_BASE);
    assert.equal(m.mcause(), 2n);
  }
  // division by zero, invalid sqrt, overflow
  m.h.setF(3, d2b(0));
  assert.equal(run(m, a.fop(3, D, RNE, 1, 2, 3)), DZ);
  assert.equal(b2d(m.h.getF(1)), Infinity);
  m.h.setF(2, d2b(-1));
  assert.equal(run(m, a.fop(0x0b, D, RNE, 1, 2, 0)), NV);
  assert.equal(m.h.getF(1), CANON_D);
  m.h.setF(2, d2b(1e308));
  assert.equal(run(m, a.fop(2, D, RNE, 1, 2, 2)), OF | NX);
  // single precision, results NaN-boxed
  m.h.setF(2, f2b(1.5)); m.h.setF(3, f2b(0.25));
  run(m, a.fop(1, S, RNE, 1, 2, 3));
  assert.equal(m.h.getF(1), f2b(1.25));
  // tiny result: underflow
  m.h.setF(2, f2b(1e-30)); m.h.setF(3, f2b(1e-30));
  assert.equal(run(m, a.fop(2, S, RNE, 1, 2, 3)), UF | NX);
  // flags accrue across instructions and are readable through fcsr
  m.h.writeCSR(FCSR, 0n);
  m.code(RAM_BASE, a.fop(2, S, RNE, 1, 2, 3), a.csrrs(5, FCSR, 0), a.csrrwi(6, FFLAGS, 0), a.ecall());
  m.go(RAM_BASE);
  assert.equal(m.h.getX(5), UF | NX);
  assert.equal(m.h.getX(6), UF | NX);
  assert.equal(m.h.readCSR(FFLAGS), 0n);
});

test('NaN boxing, canonical NaNs, signaling NaN flags', () => {
  const m = fpMachine();
  // an unboxed single reads as the canonical NaN
  m.h.setF(2, 0x000000003f800000n); m.h.setF(3, f2b(1));
  assert.equal(run(m, a.fop(0, S, RNE, 1, 2, 3)), 0n);
  assert.equal(m.h.getF(1), CANON_S);
  // sNaN operand: NV and canonical result
  m.h.setF(2, SNAN_D); m.h.setF(3, d2b(1));
  assert.equal(run(m, a.fop(0, D, RNE, 1, 2, 3)), NV);
  assert.equal(m.h.getF(1), CANON_D);
  // quiet NaN payloads are not propagated, and raise nothing
  m.h.setF(2, QNAN_D);
  assert.equal(run(m, a.fop(2, D, RNE, 1, 2, 3)), 0n);
  assert.equal(m.h.getF(1), CANON_D);
  m.h.setF(2, SNAN_S);
  assert.equal(run(m, a.fop(0, S, RNE, 1, 2, 3)), NV);
  assert.equal(m.h.getF(1), CANON_S);
  // fcvt.d.s of a signaling NaN: NV, canonical double; fcvt.s.d of sNaN
  assert.equal(run(m, a.fop(0x08, D, RNE, 1, 2, 0)), NV);
  assert.equal(m.h.getF(1), CANON_D);
  m.h.setF(2, SNAN_D);
  assert.equal(run(m, a.fop(0x08, S, RNE, 1, 2, 1)), NV);
  assert.equal(m.h.getF(1), CANON_S);
  m.h.setF(2, d2b(0.1));
  assert.equal(run(m, a.fop(0x08, S, RNE, 1, 2, 1)), NX);
  assert.equal(m.h.getF(1), f2b(Math.fround(0.1)));
  m.h.setF(2, f2b(0.1));
  assert.equal(run(m, a.fop(0x08, D, RNE, 1, 2, 0)), 0n);
  assert.equal(b2d(m.h.getF(1)), Math.fround(0.1));
});

test('loads, stores and moves: flw boxes, fsw/fmv.x.w take the low bits, fmv.x.w sign-extends', () => {
  const m = fpMachine();
  const DATA = RAM_BASE + 0x8000;
  m.w64(DATA, 0x1122334480000001n);
  m.h.setX(1, BigInt(DATA));
  run(m, a.flw(1, 1, 0), a.fld(2, 1, 0), a.fmv_x(5, 1, S), a.fmv_x(6, 2, D), a.fsw(2, 1, 8), a.fsd(1, 1, 16));
  assert.equal(m.h.getF(1), 0xffffffff80000001n);
  assert.equal(m.h.getF(2), 0x1122334480000001n);
  assert.equal(s64(m.h.getX(5)), -0x7fffffffn);
  assert.equal(m.h.getX(6), 0x1122334480000001n);
  assert.equal(m.r32(DATA + 8), 0x80000001);
  assert.equal(BigInt.asUintN(64, m.r64(DATA + 16)), 0xffffffff80000001n);
  m.h.setX(7, 0x123456789abcdef0n);
  run(m, a.fmv_f(3, 7, S), a.fmv_f(4, 7, D));
  assert.equal(m.h.getF(3), 0xffffffff9abcdef0n);
  assert.equal(m.h.getF(4), 0x123456789abcdef0n);
  // compressed c.fld / c.fsd (f8, 0(x8)) and c.fldsp / c.fsdsp
  m.h.setX(8, BigInt(DATA));
  m.h.setF(9, 0xabcdef0123456789n);
  run(m, 0x2000 /* c.fld f8,0(x8) */, 0xa404 /* c.fsd f9,8(x8) */);
  assert.equal(m.h.getF(8), 0x1122334480000001n);
  assert.equal(BigInt.asUintN(64, m.r64(DATA + 8)), 0xabcdef0123456789n);
});

test('sign injection (with unboxed singles), min/max, compares, fclass', () => {
  const m = fpMachine();
  m.h.setF(2, d2b(-1.5)); m.h.setF(3, d2b(2));
  run(m, a.fop(4, D, 0, 4, 2, 3), a.fop(4, D, 1, 5, 2, 3), a.fop(4, D, 2, 6, 2, 3));
  assert.equal(b2d(m.h.getF(4)), 1.5);
  assert.equal(b2d(m.h.getF(5)), -1.5);
  assert.equal(b2d(m.h.getF(6)), -1.5);
  m.h.setF(2, 0x00000000bf800000n); // unboxed -1.0f: reads as canonical NaN 0x7fc00000
  run(m, a.fop(4, S, 1, 4, 2, 2));
  assert.equal(m.h.getF(4), 0xffffffffffc00000n); // fsgnjn of canonical NaN with itself: sign set
  // min/max: -0 < +0, one NaN returns the other, sNaN raises NV, both NaN -> canonical
  m.h.setF(2, d2b(-0)); m.h.setF(3, d2b(0));
  run(m, a.fop(5, D, 0, 4, 3, 2), a.fop(5, D, 1, 5, 2, 3));
  assert.equal(m.h.getF(4), d2b(-0));
  assert.equal(m.h.getF(5), d2b(0));
  m.h.setF(2, QNAN_D); m.h.setF(3, d2b(7));
  assert.equal(run(m, a.fop(5, D, 0, 4, 2, 3)), 0n);
  assert.equal(b2d(m.h.getF(4)), 7);
  m.h.setF(2, SNAN_D);
  assert.equal(run(m, a.fop(5, D, 1, 4, 2, 3)), NV);
  assert.equal(b2d(m.h.getF(4)), 7);
  m.h.setF(3, QNAN_D);
  run(m, a.fop(5, D, 1, 4, 2, 3));
  assert.equal(m.h.getF(4), CANON_D);
  // compares: feq quiet on qNaN, signaling on sNaN; flt/fle signaling on any NaN
  m.h.setF(2, QNAN_D); m.h.setF(3, d2b(1));
  assert.equal(run(m, a.fop(0x14, D, 2, 5, 2, 3)), 0n);
  assert.equal(m.h.getX(5), 0n);
  assert.equal(run(m, a.fop(0x14, D, 1, 5, 2, 3)), NV);
  assert.equal(run(m, a.fop(0x14, D, 0, 5, 2, 3)), NV);
  m.h.setF(2, SNAN_D);
  assert.equal(run(m, a.fop(0x14, D, 2, 5, 2, 3)), NV);
  m.h.setF(2, d2b(1)); m.h.setF(3, d2b(2));
  run(m, a.fop(0x14, D, 1, 5, 2, 3), a.fop(0x14, D, 0, 6, 3, 3), a.fop(0x14, D, 2, 7, 2, 3));
  assert.deepEqual([m.h.getX(5), m.h.getX(6), m.h.getX(7)], [1n, 1n, 0n]);
  // fclass: all ten classes, double and single
  const dcases: [bigint, number][] = [
    [d2b(-Infinity), 0], [d2b(-1), 1], [0x800fffffffffffffn, 2], [d2b(-0), 3], [d2b(0), 4],
    [0x000fffffffffffffn, 5], [d2b(1), 6], [d2b(Infinity), 7], [SNAN_D, 8], [QNAN_D, 9],
  ];
  for (const [bits, cls] of dcases) {
    m.h.setF(2, bits);
    run(m, a.fop(0x1c, D, 1, 5, 2, 0));
    assert.equal(m.h.getX(5), 1n << BigInt(cls), bits.toString(16));
  }
  const scases: [bigint, number][] = [
    [f2b(-Infinity), 0], [f2b(-1), 1], [0xffffffff807fffffn, 2], [f2b(-0), 3], [f2b(0), 4],
    [0xffffffff007fffffn, 5], [f2b(1), 6], [f2b(Infinity), 7], [SNAN_S, 8], [0xffffffff7fc00001n, 9],
    [0x000000003f800000n, 9], // not NaN-boxed: canonical NaN
  ];
  for (const [bits, cls] of scases) {
    m.h.setF(2, bits);
    run(m, a.fop(0x1c, S, 1, 5, 2, 0));
    assert.equal(m.h.getX(5), 1n << BigInt(cls), bits.toString(16));
  }
});

test('conversions: saturation, sign extension of W results, unsigned, 64-bit', () => {
  const m = fpMachine();
  const cvtToInt = (v: number, fmt: number, kind: number, rm: number): [bigint, bigint] => {
    m.h.setF(2, fmt === D ? d2b(v) : f2b(v));
    const fl = run(m, a.fop(0x18, fmt, rm, 5, 2, kind));
    return [s64(m.h.getX(5)), fl];
  };
  assert.deepEqual(cvtToInt(3.7, D, 0, RTZ), [3n, NX]);
  assert.deepEqual(cvtToInt(-3.5, D, 0, RNE), [-4n, NX]);
  assert.deepEqual(cvtToInt(2.5, D, 0, RNE), [2n, NX]);
  assert.deepEqual(cvtToInt(1e10, D, 0, RNE), [2147483647n, NV]);
  assert.deepEqual(cvtToInt(-1e10, D, 0, RNE), [-2147483648n, NV]);
  assert.deepEqual(cvtToInt(3e9, D, 1, RNE), [s64(0xffffffffb2d05e00n), 0n]); // wu: bit 31 sign-extended
  assert.deepEqual(cvtToInt(-1, D, 1, RNE), [0n, NV]);
  assert.deepEqual(cvtToInt(-0.5, D, 1, RTZ), [0n, NX]);
  assert.deepEqual(cvtToInt(2 ** 62, D, 2, RNE), [1n << 62n, 0n]);
  assert.deepEqual(cvtToInt(2 ** 63, D, 2, RNE), [(1n << 63n) - 1n, NV]);
  assert.deepEqual(cvtToInt(2 ** 63, D, 3, RNE), [s64(1n << 63n), 0n]);
  assert.deepEqual(cvtToInt(1.5, S, 3, RUP), [2n, NX]);
  m.h.setF(2, CANON_D);
  run(m, a.fop(0x18, D, RNE, 5, 2, 0));
  assert.equal(m.h.getX(5), 2147483647n); // NaN -> max
  // integer -> float
  const cvtFrom = (xv: bigint, fmt: number, kind: number, rm: number): [bigint, bigint] => {
    m.h.setX(5, xv);
    const fl = run(m, a.fop(0x1a, fmt, rm, 1, 5, kind));
    return [m.h.getF(1), fl];
  };
  assert.deepEqual(cvtFrom(-1n, D, 0, RNE), [d2b(-1), 0n]);
  assert.deepEqual(cvtFrom(0xffffffffn, D, 0, RNE), [d2b(-1), 0n]); // .w uses the low 32 bits, signed
  assert.deepEqual(cvtFrom(-1n, D, 1, RNE), [d2b(4294967295), 0n]);
  assert.deepEqual(cvtFrom(-1n, D, 3, RNE), [d2b(2 ** 64), NX]);
  assert.deepEqual(cvtFrom((1n << 53n) + 1n, D, 2, RTZ), [d2b(2 ** 53), NX]);
  assert.deepEqual(cvtFrom(16777217n, S, 0, RNE), [f2b(16777216), NX]);
  assert.deepEqual(cvtFrom(16777217n, S, 0, RUP), [f2b(16777218), NX]);
  assert.deepEqual(cvtFrom(-5n, S, 2, RNE), [f2b(-5), 0n]);
  assert.equal(b2f(f2b(1.25)), 1.25);
});

test('reserved FP encodings are illegal', () => {
  const m = fpMachine();
  for (const insn of [
    a.fop(0, 2, RNE, 1, 2, 3),      // fmt = H
    a.fop(0x0b, D, RNE, 1, 2, 1),   // fsqrt with rs2 != 0
    a.fop(4, D, 3, 1, 2, 3),        // fsgnj funct3 = 3
    a.fop(5, D, 2, 1, 2, 3),        // fmin/fmax funct3 = 2
    a.fop(0x14, D, 3, 1, 2, 3),     // compare funct3 = 3
    a.fop(0x18, D, RNE, 1, 2, 4),   // fcvt.?.d rs2 = 4
    a.fop(0x1c, D, 2, 1, 2, 0),     // fmv.x/fclass funct3 = 2
    a.fop(0x1e, D, 1, 1, 2, 0),     // fmv.d.x funct3 != 0
    a.fop(0x08, D, RNE, 1, 2, 1),   // fcvt.d.d
    a.fop(0x1f, D, RNE, 1, 2, 0),   // unassigned funct5
    a.I(0, 1, 1, 1, 0x07),          // FP load funct3 = 1 (half): not implemented
  ]) {
    m.code(RAM_BASE, insn);
    assert.equal(m.go(RAM_BASE), STOP_TRAP);
    assert.equal(m.mcause(), 2n, insn.toString(16));
    assert.equal(m.h.readCSR(MTVAL), BigInt(insn));
  }
});
