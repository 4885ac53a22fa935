// Differential test: the fast paths of fpu.ts against the exact BigInt implementation
// (fpu-exact.ts, itself checked against qemu in fpu-vectors.test.ts) on many random finite
// operands in all five rounding modes. Results bit-exact, flags exact.
// Operand distribution mirrors fixtures/fpu/gen.c: short (tie-prone) and full significands,
// exponents near 1, spread out, extreme, and such that products land in the subnormal range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as F from '../src/fpu.ts';
import * as X from '../src/fpu-exact.ts';

let seed = 0x12345678;
function rnd(): number { // xorshift32
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return seed >>> 0;
}
const f64 = new Float64Array(1);
const w64 = new Uint32Array(f64.buffer);
const f32 = new Float32Array(1);
const w32 = new Uint32Array(f32.buffer);

function band(span: number, bias: number, emaxField: number): number {
  switch (rnd() % 8) {
    case 0: case 1: return bias - 4 + (rnd() % 9);
    case 2: return bias - span + (rnd() % (2 * span));
    case 3: return rnd() % emaxField; // anywhere, including subnormals
    case 4: return rnd() % 2 ? rnd() % 40 : emaxField - 1 - (rnd() % 40);
    case 5: return bias - (bias >> 1) - 15 + (rnd() % 30); // squares land near the bottom
    default: return bias - 10 + (rnd() % 20);
  }
}
function r64(): number {
  const e = band(60, 1023, 2047);
  let hi = rnd() & 0xfffff, lo = rnd();
  if (rnd() % 3 === 0) { hi &= 0xff000 << (rnd() % 8) & 0xfffff; lo = 0; }
  w64[1] = ((rnd() & 1) << 31) | (e << 20) | hi;
  w64[0] = lo;
  return f64[0];
}
function r32(): number {
  const e = band(30, 127, 255);
  let m = rnd() & 0x7fffff;
  if (rnd() % 3 === 0) m &= (0x7f0000 << (rnd() % 4)) & 0x7fffff;
  w32[0] = (((rnd() & 1) << 31) | (e << 23) | m) >>> 0;
  return f32[0];
}
function bits(x: number): string { f64[0] = x; return w64[1].toString(16) + ':' + w64[0].toString(16); }

const st = { flags: 0 };
function same(name: string, args: number[], rm: number, fast: () => number, exact: () => number, bad: string[]): void {
  F.fpuState.flags = 0;
  const a = fast();
  const fa = F.fpuState.flags;
  st.flags = 0;
  const b = exact();
  if (bits(a) !== bits(b) || fa !== st.flags) {
    bad.push(`${name} rm=${rm} ${args.map(bits).join(' ')}: fast ${bits(a)}/${fa} exact ${bits(b)}/${st.flags}`);
  }
}

const N = 8000;
const EDGES = [[1.7976931348623157e308, 2 ** -1022, 2 ** -1060], [3.4028234663852886e38, 2 ** -126, 2 ** -140]];

for (const is32 of [false, true]) {
  const gen = is32 ? r32 : r64;
  const w = is32 ? '32' : '64';
  test(`fast paths == exact oracle, binary${w} add/sub/mul/div/sqrt/fma`, () => {
    const bad: string[] = [];
    const add = is32 ? F.add32 : F.add64, sub = is32 ? F.sub32 : F.sub64, mul = is32 ? F.mul32 : F.mul64;
    const div = is32 ? F.div32 : F.div64, sqrt = is32 ? F.sqrt32 : F.sqrt64, fma = is32 ? F.fma32 : F.fma64;
    for (let i = 0; i < N; i++) {
      const a = gen(), b0 = gen(), c0 = gen();
      // a quarter cancel almost exactly (hard for add and fma); a quarter put a*b and a/b at the
      // edges of the range (near overflow, near the normal/subnormal boundary)
      const ek = rnd() % 3; // relative distance from the edge: 2^-1 .. 2^-55, below MAX
      const edge = EDGES[is32 ? 1 : 0][ek] * (1 + (ek === 0 ? -1 : rnd() & 1 ? 1 : -1) * (rnd() / 2 ** 32) * 2 ** -(1 + (rnd() % 55)));
      const b = i % 4 === 0 ? -a * (1 + (is32 ? 2 ** -23 : 2 ** -52) * ((rnd() % 5) - 2))
        : i % 4 === 2 ? (rnd() & 1 ? edge / a : a / edge) : b0;
      const bb = is32 ? Math.fround(b) : b;
      const p = a * bb;
      const c = i % 4 === 1 ? (is32 ? Math.fround(-p) : -p) : c0;
      if (!Number.isFinite(bb) || !Number.isFinite(c)) continue;
      for (let rm = 0; rm < 5; rm++) {
        same('add', [a, bb], rm, () => add(a, bb, rm), () => X.exactAdd(a, bb, is32, rm, st), bad);
        same('sub', [a, bb], rm, () => sub(a, bb, rm), () => X.exactAdd(a, -bb, is32, rm, st), bad);
        same('mul', [a, bb], rm, () => mul(a, bb, rm), () => X.exactMul(a, bb, is32, rm, st), bad);
        if (bb !== 0) same('div', [a, bb], rm, () => div(a, bb, rm), () => X.exactDiv(a, bb, is32, rm, st), bad);
        const aa = Math.abs(a);
        same('sqrt', [aa], rm, () => sqrt(aa, rm), () => X.exactSqrt(aa, is32, rm, st), bad);
        same('fma', [a, bb, c], rm, () => fma(a, bb, c, rm), () => X.exactFma(a, bb, c, is32, rm, st), bad);
        if (!is32 && a !== 0) same('cvt.s.d', [a], rm, () => F.cvtF64ToF32(a, rm), () => X.exactAdd(a, 0, true, rm, st), bad);
      }
    }
    assert.equal(bad.length, 0, `${bad.length} mismatches:\n${bad.slice(0, 10).join('\n')}`);
  });
}

test('fast paths == exact oracle, 64-bit integer to float conversions', () => {
  const bad: string[] = [];
  for (let i = 0; i < 20000; i++) {
    let hi = rnd() | 0, lo = rnd() | 0;
    const k = rnd() % 64; // vary the magnitude and the number of trailing zeros
    if (k < 32) { hi = hi >> k; } else { hi = hi >> 31; lo = lo >> (k - 32); }
    if (rnd() % 2) lo &= ~((1 << (rnd() % 31)) - 1);
    for (let rm = 0; rm < 5; rm++) {
      const s = X.int64Of(lo, hi, false), u = X.int64Of(lo, hi, true);
      const args = [lo, hi];
      same('i64->f64', args, rm, () => F.cvtI64ToF64(lo, hi, rm), () => X.exactFromInt(s, false, rm, st), bad);
      same('u64->f64', args, rm, () => F.cvtU64ToF64(lo, hi, rm), () => X.exactFromInt(u, false, rm, st), bad);
      same('i64->f32', args, rm, () => F.cvtI64ToF32(lo, hi, rm), () => X.exactFromInt(s, true, rm, st), bad);
      same('u64->f32', args, rm, () => F.cvtU64ToF32(lo, hi, rm), () => X.exactFromInt(u, true, rm, st), bad);
    }
  }
  assert.equal(bad.length, 0, `${bad.length} mismatches:\n${bad.slice(0, 10).join('\n')}`);
});
