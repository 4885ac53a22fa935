// Hand-written edge cases for fpu.ts, each tied to a rule of the RISC-V Unprivileged ISA
// ch. 11 (F) / 12 (D) or IEEE 754-2008 as RISC-V adopts it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as F from '../src/fpu.ts';

const { RM_RNE: RNE, RM_RTZ: RTZ, RM_RDN: RDN, RM_RUP: RUP, RM_RMM: RMM } = F;
const { FLAG_NX: NX, FLAG_UF: UF, FLAG_OF: OF, FLAG_DZ: DZ, FLAG_NV: NV } = F;
const ALL = [RNE, RTZ, RDN, RUP, RMM];
const MAX = Number.MAX_VALUE, MINN = 2 ** -1022, MAX32 = 3.4028234663852886e38;

/** Run f with cleared flags; return [result, flags]. */
function run<T>(f: () => T): [T, number] {
  F.fpuState.flags = 0;
  const r = f();
  return [r, F.fpuState.flags];
}
function is(r: number, want: number, msg?: string): void {
  assert.ok(Object.is(r, want), `${msg ?? ''} got ${Object.is(r, -0) ? '-0' : r}, want ${Object.is(want, -0) ? '-0' : want}`);
}

test('API constants are the fcsr encodings', () => {
  assert.deepEqual([RNE, RTZ, RDN, RUP, RMM], [0, 1, 2, 3, 4]);
  assert.deepEqual([NX, UF, OF, DZ, NV], [1, 2, 4, 8, 16]);
});

test('flags accrue (OR) rather than being replaced', () => {
  F.fpuState.flags = DZ;
  F.add64(1, 2 ** -60, RNE);
  assert.equal(F.fpuState.flags, DZ | NX);
});

test('exact zero sums are +0, except -0 under RDN (IEEE 754 §6.3)', () => {
  for (const rm of ALL) {
    const z = rm === RDN ? -0 : 0;
    is(run(() => F.add64(1.5, -1.5, rm))[0], z, `add64 rm${rm}`);
    is(run(() => F.sub64(2, 2, rm))[0], z, `sub64 rm${rm}`);
    is(run(() => F.add32(1.5, -1.5, rm))[0], z, `add32 rm${rm}`);
    is(run(() => F.add64(0, -0, rm))[0], z);
    is(run(() => F.add64(-0, -0, rm))[0], -0); // same-sign zeros keep their sign
    is(run(() => F.add64(0, 0, rm))[0], 0);
    is(run(() => F.fma64(2, 3, -6, rm))[0], z, `fma64 rm${rm}`);
    is(run(() => F.fma32(2, 3, -6, rm))[0], z, `fma32 rm${rm}`);
    is(run(() => F.fma64(-1, 0, -0, rm))[0], -0); // (-0) + (-0)
    is(run(() => F.fma64(1, -0, 0, rm))[0], z);
    assert.equal(run(() => F.add64(1.5, -1.5, rm))[1], 0);
  }
});

test('sqrt: sqrt(-0) = -0, negative operands are invalid', () => {
  for (const sq of [F.sqrt64, F.sqrt32]) {
    assert.deepEqual(run(() => Object.is(sq(-0, RNE), -0)), [true, 0]);
    const [r, fl] = run(() => sq(-1, RNE));
    assert.ok(Number.isNaN(r)); assert.equal(fl, NV);
    assert.equal(run(() => sq(-Infinity, RNE))[1], NV);
    assert.deepEqual(run(() => sq(Infinity, RNE)), [Infinity, 0]);
    assert.deepEqual(run(() => sq(4, RNE)), [2, 0]);
  }
  // sqrt(2) is irrational: inexact; RUP/RDN bracket it one ulp apart
  const [up, fl] = run(() => F.sqrt64(2, RUP));
  assert.equal(fl, NX);
  assert.equal(up - F.sqrt64(2, RDN), 2 ** -52);
});

test('division by zero and invalid divisions', () => {
  assert.deepEqual(run(() => F.div64(1, 0, RNE)), [Infinity, DZ]);
  assert.deepEqual(run(() => F.div64(-1, 0, RNE)), [-Infinity, DZ]);
  assert.deepEqual(run(() => F.div32(1, -0, RNE)), [-Infinity, DZ]);
  assert.deepEqual(run(() => F.div64(Infinity, 0, RNE)), [Infinity, 0]); // inf/0 is exact, not DZ
  for (const [a, b] of [[0, 0], [Infinity, -Infinity]]) {
    const [r, fl] = run(() => F.div64(a, b, RNE));
    assert.ok(Number.isNaN(r)); assert.equal(fl, NV);
  }
});

test('overflow result depends on rounding mode and sign, always OF|NX', () => {
  const want: Record<number, [number, number]> = {
    [RNE]: [Infinity, -Infinity], [RTZ]: [MAX, -MAX], [RDN]: [MAX, -Infinity],
    [RUP]: [Infinity, -MAX], [RMM]: [Infinity, -Infinity],
  };
  for (const rm of ALL) {
    assert.deepEqual(run(() => F.mul64(MAX, 2, rm)), [want[rm][0], OF | NX], `mul64 rm${rm}`);
    assert.deepEqual(run(() => F.mul64(-MAX, 2, rm)), [want[rm][1], OF | NX]);
    assert.deepEqual(run(() => F.add64(MAX, MAX, rm)), [want[rm][0], OF | NX]);
    const w32 = want[rm].map((v) => (Math.abs(v) === MAX ? Math.sign(v) * MAX32 : v));
    assert.deepEqual(run(() => F.mul32(MAX32, 2, rm)), [w32[0], OF | NX], `mul32 rm${rm}`);
    assert.deepEqual(run(() => F.cvtF64ToF32(-1e300, rm)), [w32[1], OF | NX]);
  }
  // Just above MAX but below MAX + ulp/2: RNE keeps MAX (no overflow), RUP overflows.
  assert.deepEqual(run(() => F.add64(MAX, 2 ** 960, RNE)), [MAX, NX]);
  assert.deepEqual(run(() => F.add64(MAX, 2 ** 960, RUP)), [Infinity, OF | NX]);
  // MAX - 3*2^970 is a tie that RNE rounds up; TwoSum's s - a then overflows internally.
  for (const [a, b] of [[-3 * 2 ** 970, MAX], [MAX, -3 * 2 ** 970]]) {
    assert.deepEqual(run(() => F.add64(a, b, RDN)), [MAX - 2 ** 972, NX]);
    assert.deepEqual(run(() => F.add64(a, b, RTZ)), [MAX - 2 ** 972, NX]);
    assert.deepEqual(run(() => F.add64(a, b, RMM)), [MAX - 2 ** 971, NX]);
    assert.deepEqual(run(() => F.add64(-a, -b, RUP)), [-MAX + 2 ** 972, NX]);
  }
  // In RTZ a value in [MAX + ulp/2, 2^1024) is not an overflow at all.
  assert.deepEqual(run(() => F.add64(MAX, 2 ** 970, RTZ)), [MAX, NX]);
});

test('underflow: tininess after rounding, UF only when inexact', () => {
  // 2^-1022 * (1 - 2^-53) = 2^-1022 - 2^-1075: rounds (RNE) to 2^-1022 but with an unbounded
  // exponent it would be 2^-1022 - 2^-1075 < 2^-1022: tiny, so UF.
  assert.deepEqual(run(() => F.mul64(MINN, 1 - 2 ** -53, RNE)), [MINN, UF | NX]);
  // 2^-1022 * (1 - 2^-54) is a tie on the unbounded grid that rounds up to 2^-1022: not tiny.
  assert.deepEqual(run(() => F.mul64(MINN * (1 + 2 ** -27), 1 - 2 ** -27, RNE)), [MINN, NX]);
  assert.deepEqual(run(() => F.mul64(MINN * (1 + 2 ** -27), 1 - 2 ** -27, RTZ)), [MINN - 2 ** -1074, UF | NX]);
  // Exact subnormal results raise nothing.
  assert.deepEqual(run(() => F.mul64(MINN, 0.5, RNE)), [2 ** -1023, 0]);
  assert.deepEqual(run(() => F.div64(2 ** -1074, 2, RUP)), [2 ** -1074, UF | NX]);
  assert.deepEqual(run(() => F.div64(2 ** -1074, 2, RNE)), [0, UF | NX]); // tie to even: 0
  assert.deepEqual(run(() => F.div64(-(2 ** -1074), 2, RMM)), [-(2 ** -1074), UF | NX]);
  // binary32: same rule at 2^-126
  assert.deepEqual(run(() => F.mul32(2 ** -126, 1 - 2 ** -24, RNE)), [2 ** -126, UF | NX]);
  assert.deepEqual(run(() => F.mul32(2 ** -126, 2 ** -24, RNE)), [0, UF | NX]); // 2^-150: tie to 0
  assert.deepEqual(run(() => F.mul32(2 ** -126, 2 ** -24, RUP)), [2 ** -149, UF | NX]);
  assert.deepEqual(run(() => F.mul32(2 ** -126, 0.5, RNE)), [2 ** -127, 0]);
});

test('directed rounding and ties (RMM vs RNE)', () => {
  // 1 + 2^-53 is exactly halfway between 1 and 1 + 2^-52
  const cases: [number, number][] = [[RNE, 1], [RTZ, 1], [RDN, 1], [RUP, 1 + 2 ** -52], [RMM, 1 + 2 ** -52]];
  for (const [rm, want] of cases) assert.deepEqual(run(() => F.add64(1, 2 ** -53, rm)), [want, NX]);
  for (const [rm, want] of cases) assert.deepEqual(run(() => F.add64(-1, -(2 ** -53), rm === RDN ? RUP : rm === RUP ? RDN : rm)), [-want, NX]);
  // binary32 with far-apart operands: the double sum is exact here but not a float32
  assert.deepEqual(run(() => F.add32(1, 2 ** -149, RUP)), [1 + 2 ** -23, NX]);
  assert.deepEqual(run(() => F.add32(1, 2 ** -149, RNE)), [1, NX]);
  assert.deepEqual(run(() => F.add32(1, -(2 ** -149), RTZ)), [1 - 2 ** -24, NX]);
  assert.deepEqual(run(() => F.add32(1, 2 ** -24, RMM)), [1 + 2 ** -23, NX]);
  assert.deepEqual(run(() => F.add32(1, 2 ** -24, RNE)), [1, NX]);
  // 1/3 in binary32 bracketing
  const d = F.div32(1, 3, RUP) - F.div32(1, 3, RDN);
  assert.equal(d, 2 ** -25);
});

test('fma: one rounding, and the RISC-V invalid rules', () => {
  const a = 1 + 2 ** -52;
  // a*a - RN(a*a) = 2^-104 exactly: visible only with a single rounding
  assert.deepEqual(run(() => F.fma64(a, a, -(1 + 2 ** -51), RNE)), [2 ** -104, 0]);
  // 0*inf is invalid even with a quiet-NaN addend
  for (const [x, y] of [[0, Infinity], [-Infinity, 0]]) {
    const [r, fl] = run(() => F.fma64(x, y, NaN, RNE));
    assert.ok(Number.isNaN(r)); assert.equal(fl, NV);
    assert.equal(run(() => F.fma32(x, y, NaN, RNE))[1], NV);
  }
  // inf*x + (-inf) is invalid; inf*x + inf is inf
  assert.equal(run(() => F.fma64(Infinity, 2, -Infinity, RNE))[1], NV);
  assert.deepEqual(run(() => F.fma64(Infinity, 2, Infinity, RNE)), [Infinity, 0]);
  assert.deepEqual(run(() => F.fma64(2, 3, -Infinity, RNE)), [-Infinity, 0]);
  // NaN operand without an invalid product: NaN, no flags (sNaN is the caller's job)
  const [r, fl] = run(() => F.fma64(NaN, 2, 3, RNE));
  assert.ok(Number.isNaN(r)); assert.equal(fl, 0);
  // product overflows but the sum is back in range: exact result
  assert.deepEqual(run(() => F.fma64(MAX, 2, -MAX, RNE)), [MAX, 0]);
  // binary32 fma: product needs 48 bits, then a single rounding to 24
  const y = 1 + 2 ** -12; // y*y - 1 = 2^-11 + 2^-24 exactly; rounding y*y first would lose 2^-24
  assert.deepEqual(run(() => F.fma32(y, y, -1, RNE)), [2 ** -11 + 2 ** -24, 0]);
  const x = 1 + 2 ** -23; // x*x - 1 = 2^-22 + 2^-46 needs 25 bits: a tie, to even
  assert.deepEqual(run(() => F.fma32(x, x, -1, RNE)), [2 ** -22, NX]);
  assert.deepEqual(run(() => F.fma32(x, x, -1, RMM)), [2 ** -22 + 2 ** -45, NX]);
  assert.deepEqual(run(() => F.fma32(x, x, 0, RUP)), [1 + 2 ** -22 + 2 ** -23, NX]);
});

test('min/max: -0 < +0, NaN operand ignored, no flags', () => {
  assert.deepEqual(run(() => [F.min(0, -0), F.min(-0, 0)].map((v) => Object.is(v, -0))), [[true, true], 0]);
  assert.deepEqual(run(() => [F.max(0, -0), F.max(-0, 0)].map((v) => Object.is(v, 0))), [[true, true], 0]);
  assert.deepEqual(run(() => [F.min(NaN, 3), F.min(3, NaN), F.max(NaN, -3), F.max(-3, NaN)]), [[3, 3, -3, -3], 0]);
  const [r, fl] = run(() => F.min(NaN, NaN));
  assert.ok(Number.isNaN(r)); assert.equal(fl, 0);
  assert.ok(Number.isNaN(F.max(NaN, NaN)));
  assert.equal(F.min(-Infinity, 1), -Infinity);
  assert.equal(F.max(-Infinity, 1), 1);
});

test('compares: eq is quiet, lt/le signal NV on NaN', () => {
  assert.deepEqual(run(() => F.eq(NaN, NaN)), [false, 0]);
  assert.deepEqual(run(() => F.eq(0, -0)), [true, 0]);
  assert.deepEqual(run(() => F.lt(NaN, 1)), [false, NV]);
  assert.deepEqual(run(() => F.le(1, NaN)), [false, NV]);
  assert.deepEqual(run(() => F.lt(-0, 0)), [false, 0]);
  assert.deepEqual(run(() => F.le(-0, 0)), [true, 0]);
  assert.deepEqual(run(() => F.lt(1, 2)), [true, 0]);
});

test('float -> int: rounding, saturation (NV, not NX), NaN -> max positive', () => {
  assert.deepEqual(run(() => F.cvtToI32(NaN, RNE)), [2147483647, NV]);
  assert.deepEqual(run(() => F.cvtToU32(NaN, RNE)), [4294967295, NV]);
  assert.deepEqual(run(() => F.cvtToI32(-Infinity, RNE)), [-2147483648, NV]);
  assert.deepEqual(run(() => F.cvtToI32(2147483647.5, RNE)), [2147483647, NV]); // rounds to 2^31
  assert.deepEqual(run(() => F.cvtToI32(2147483647.5, RTZ)), [2147483647, NX]);
  assert.deepEqual(run(() => F.cvtToI32(-2147483648.5, RUP)), [-2147483648, NX]); // in range after rounding
  assert.deepEqual(run(() => F.cvtToI32(-2147483648.5, RDN)), [-2147483648, NV]);
  assert.deepEqual(run(() => F.cvtToU32(-0.5, RTZ)), [0, NX]); // rounds to -0: representable
  assert.deepEqual(run(() => F.cvtToU32(-0.5, RDN)), [0, NV]);
  assert.deepEqual(run(() => F.cvtToU32(-0, RNE)), [0, 0]);
  assert.deepEqual(run(() => F.cvtToU32(4294967295.4, RNE)), [4294967295, NX]);
  const rne = [2.5, 3.5, -2.5, 0.5, -0.5].map((v) => F.cvtToI32(v, RNE));
  assert.deepEqual(rne.map((v) => v + 0), [2, 4, -2, 0, 0]);
  assert.deepEqual([2.5, -2.5, 0.5].map((v) => F.cvtToI32(v, RMM)), [3, -3, 1]);
  assert.deepEqual([2.5, -2.5].map((v) => F.cvtToI32(v, RDN)), [2, -3]);
  assert.deepEqual([2.5, -2.5].map((v) => F.cvtToI32(v, RUP)), [3, -2]);
  const out = new Int32Array(2);
  const l = (f: () => void): [number[], number] => { const [, fl] = run(f); return [[out[0], out[1]], fl]; };
  assert.deepEqual(l(() => F.cvtToI64(NaN, RNE, out)), [[-1, 0x7fffffff], NV]);
  assert.deepEqual(l(() => F.cvtToI64(2 ** 63, RNE, out)), [[-1, 0x7fffffff], NV]);
  assert.deepEqual(l(() => F.cvtToI64(-(2 ** 63), RNE, out)), [[0, -2147483648], 0]);
  assert.deepEqual(l(() => F.cvtToI64(-1.5, RNE, out)), [[-2, -1], NX]);
  assert.deepEqual(l(() => F.cvtToI64(2 ** 52 + 1, RNE, out)), [[1, 0x100000], 0]);
  assert.deepEqual(l(() => F.cvtToU64(2 ** 64, RNE, out)), [[-1, -1], NV]);
  assert.deepEqual(l(() => F.cvtToU64(NaN, RNE, out)), [[-1, -1], NV]);
  assert.deepEqual(l(() => F.cvtToU64(-Infinity, RNE, out)), [[0, 0], NV]);
  assert.deepEqual(l(() => F.cvtToU64(2 ** 64 - 2048, RNE, out)), [[-2048, -1], 0]);
});

test('int -> float: ties and directed rounding of 64-bit integers', () => {
  // 2^53 + 1: halfway between 2^53 and 2^53 + 2
  const lo = 1, hi = 0x200000;
  assert.deepEqual(run(() => F.cvtI64ToF64(lo, hi, RNE)), [2 ** 53, NX]);
  assert.deepEqual(run(() => F.cvtI64ToF64(lo, hi, RMM)), [2 ** 53 + 2, NX]);
  assert.deepEqual(run(() => F.cvtI64ToF64(lo, hi, RUP)), [2 ** 53 + 2, NX]);
  assert.deepEqual(run(() => F.cvtI64ToF64(-1, -1, RNE)), [-1, 0]);
  assert.deepEqual(run(() => F.cvtU64ToF64(-1, -1, RNE)), [2 ** 64, NX]);
  assert.deepEqual(run(() => F.cvtU64ToF64(-1, -1, RTZ)), [2 ** 64 - 2048, NX]);
  assert.deepEqual(run(() => F.cvtI64ToF64(0, -2147483648, RNE)), [-(2 ** 63), 0]);
  // 2^24 + 1 to binary32: tie
  assert.deepEqual(run(() => F.cvtI64ToF32(2 ** 24 + 1, 0, RNE)), [2 ** 24, NX]);
  assert.deepEqual(run(() => F.cvtI64ToF32(2 ** 24 + 1, 0, RMM)), [2 ** 24 + 2, NX]);
  assert.deepEqual(run(() => F.cvtU64ToF32(-1, -1, RTZ)), [2 ** 64 - 2 ** 40, NX]);
  assert.deepEqual(run(() => F.cvtI64ToF32(-(2 ** 24) - 1, -1, RDN)), [-(2 ** 24) - 2, NX]);
});

test('f64 -> f32 narrowing: double rounding avoided, subnormal and NaN handling', () => {
  // 1 + 2^-24 + 2^-60: just above the float32 midpoint, must round up in RNE
  assert.deepEqual(run(() => F.cvtF64ToF32(1 + 2 ** -24 + 2 ** -52, RNE)), [1 + 2 ** -23, NX]);
  assert.deepEqual(run(() => F.cvtF64ToF32(1 + 2 ** -24, RNE)), [1, NX]);
  assert.deepEqual(run(() => F.cvtF64ToF32(2 ** -150, RNE)), [0, UF | NX]);
  assert.deepEqual(run(() => F.cvtF64ToF32(-(2 ** -150), RDN)), [-(2 ** -149), UF | NX]);
  assert.deepEqual(run(() => F.cvtF64ToF32(2 ** -149, RNE)), [2 ** -149, 0]);
  assert.deepEqual(run(() => F.cvtF64ToF32(-Infinity, RNE)), [-Infinity, 0]);
  assert.ok(Number.isNaN(F.cvtF64ToF32(NaN, RNE)));
});
