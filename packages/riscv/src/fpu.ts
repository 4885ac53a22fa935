// Floating-point unit of the RISC-V hart: the arithmetic of the F and D extensions.
//
// Spec: RISC-V Unprivileged ISA 20191213, ch. 11 "F" (11.2 fcsr: rounding modes and
// fflags; 11.3 NaN generation; 11.6 computational instructions incl. FMIN/FMAX 2.2
// semantics; 11.7 conversions with saturation table 11.4; 11.8 comparisons) and ch. 12
// "D" (12.3-12.5). IEEE 754-2008 §4.3 rounding, §6.3 signs of zero results, §7 exceptions;
// tininess is detected after rounding (RISC-V 11.2).
//
// Values are JS numbers; binary32 values are doubles that are exactly float32. NaN
// results are returned as NaN (the caller writes canonical NaN bits); signaling-NaN
// detection (NV) is done by the caller from the register bits.
//
// Strategy: do the native double operation (which is RNE), recover the exact error with
// an error-free transformation (TwoSum / Dekker TwoProduct / remainder), and step one
// ulp when another rounding mode requires it. binary32 results come from the double
// result plus the sign of its error (round32). Anything the fast path cannot prove
// (overflow, subnormal territory, extreme exponents, FMA near-ties) goes to the exact
// BigInt code in fpu-exact.ts.

import {
  exactAdd, exactMul, exactDiv, exactSqrt, exactFma, overflowResult, zeroSumSign,
} from './fpu-exact.ts';

export const RM_RNE = 0, RM_RTZ = 1, RM_RDN = 2, RM_RUP = 3, RM_RMM = 4;
export const FLAG_NX = 1, FLAG_UF = 2, FLAG_OF = 4, FLAG_DZ = 8, FLAG_NV = 16;

/** Accrued exception flags; every operation ORs its bits in. */
export const fpuState: { flags: number } = { flags: 0 };

const f64 = new Float64Array(1);
const i64 = new Int32Array(f64.buffer); // [0] = low word, [1] = high word (little-endian)
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

const TWO27P1 = 134217729; // Veltkamp splitter 2^27 + 1
const MIN_SUB64 = 5e-324;
const P2_128 = 3.402823669209385e38; // 2^128: stands in for binary32 infinity
const MIN_SUB32 = 1.401298464324817e-45; // 2^-149
const MIN_NORM32 = 1.1754943508222875e-38; // 2^-126
// Fast-path exponent windows: inside them Dekker products are exact and results are normal.
const LO = 2 ** -960, HI = 2 ** 990;

// ---------------------------------------------------------------- ulp stepping

/** Next binary64 above finite x. */
function nextUp(x: number): number {
  if (x === 0) return MIN_SUB64;
  f64[0] = x;
  let lo = i64[0], hi = i64[1];
  if (x > 0) { lo = (lo + 1) | 0; if (lo === 0) hi = (hi + 1) | 0; }
  else { if (lo === 0) hi = (hi - 1) | 0; lo = (lo - 1) | 0; }
  i64[0] = lo; i64[1] = hi;
  return f64[0];
}
function nextDown(x: number): number { return -nextUp(-x); }

/**
 * Final rounding for binary64 given r = RN(x) (finite) and e with sign(e) = sign(x - r).
 * e must equal x - r exactly whenever x can be a tie (add/mul); callers for which ties are
 * impossible pass ±MIN_SUB64, which can never look like half an ulp of a normal r.
 */
function fix64(r: number, e: number, rm: number): number {
  if (e === 0) return r;
  fpuState.flags |= FLAG_NX;
  let res = r;
  switch (rm) {
    case RM_RNE: return r;
    case RM_RTZ: if (r > 0 ? e < 0 : e > 0) res = r > 0 ? nextDown(r) : nextUp(r); break;
    case RM_RDN: if (e < 0) res = nextDown(r); break;
    case RM_RUP: if (e > 0) res = nextUp(r); break;
    default: { // RMM differs from RNE only on a tie that RNE resolved toward zero
      if (r > 0 ? e > 0 : e < 0) {
        const ar = Math.abs(r);
        if (Math.abs(e) * 2 === nextUp(ar) - ar) res = r > 0 ? nextUp(r) : nextDown(r);
      }
    }
  }
  if (res === Infinity || res === -Infinity) fpuState.flags |= FLAG_OF;
  return res;
}

/** Next binary32 above float32 x, with ±2^128 standing in for ±infinity. */
function up32(x: number): number {
  if (x === 0) return MIN_SUB32;
  f32[0] = x; // ±2^128 stores as ±inf, whose bits are exactly "2^128"
  i32[0] = x > 0 ? i32[0] + 1 : i32[0] - 1;
  const y = f32[0];
  return y === Infinity ? P2_128 : y === -Infinity ? -P2_128 : y;
}
function down32(x: number): number { return -up32(-x); }

/**
 * Correctly round x = d + t·ε to binary32, where d is a double, t ∈ {-1,0,1} and 0 < ε is
 * below half an ulp of d (so ε only breaks ties / marks inexactness at float32 granularity).
 */
function round32(d: number, t: number, rm: number): number {
  let r = Math.fround(d);
  if (r === d && t === 0) return r; // exact (covers zeros)
  if (rm === RM_RNE) {
    // Common case: normal, finite result. fround(d) is RN(x) unless d sits exactly on a
    // float32 midpoint while ε != 0; d is a midpoint iff r + 2(d - r) is a float32.
    const ar = r < 0 ? -r : r;
    if (ar > MIN_NORM32 && ar !== Infinity) {
      const m2 = 2 * (d - r) + r;
      if (t === 0 || m2 === r || Math.fround(m2) !== m2) { fpuState.flags |= FLAG_NX; return r; }
    }
  }
  const ad = d < 0 ? -d : d;
  const tm = d < 0 ? -t : t; // sign of ε relative to |d|
  if (ad > P2_128 || (ad === P2_128 && tm >= 0)) return overflowResult(d < 0, true, rm, fpuState);
  fpuState.flags |= FLAG_NX;
  if (r === Infinity) r = P2_128; else if (r === -Infinity) r = -P2_128;
  const diff = d - r; // exact: both within one float32 ulp of each other
  const dir = diff > 0 ? 1 : diff < 0 ? -1 : t;
  const n = dir > 0 ? up32(r) : down32(r);
  const mid = (r + n) / 2; // exact
  // c > 0: x is nearer n; c < 0: nearer r; 0: exact tie
  const c = d === mid ? t * dir : (d - mid) * dir > 0 ? 1 : -1;
  let res: number;
  const lo = r < n ? r : n, hi = r < n ? n : r;
  switch (rm) {
    case RM_RNE: res = c > 0 ? n : r; break; // on a tie fround already picked the even one
    case RM_RMM: res = c > 0 ? n : c < 0 ? r : (Math.abs(n) > Math.abs(r) ? n : r); break;
    case RM_RTZ: res = Math.abs(lo) < Math.abs(hi) ? lo : hi; break;
    case RM_RDN: res = lo; break;
    default: res = hi; break;
  }
  const ares = res < 0 ? -res : res;
  if (ares === P2_128) { fpuState.flags |= FLAG_OF; return res > 0 ? Infinity : -Infinity; }
  if (ares < MIN_NORM32) fpuState.flags |= FLAG_UF;
  else if (ares === MIN_NORM32 && (ad < MIN_NORM32 || (ad === MIN_NORM32 && tm < 0))) {
    // Rounded up to 2^-126 from below: tiny iff rounding with unbounded exponent (step
    // 2^-150 just below 2^-126) would have stayed below 2^-126.
    const T1 = MIN_NORM32 - 2 ** -150, M = MIN_NORM32 - 2 ** -151;
    const tiny = rm === RM_RNE || rm === RM_RMM
      ? ad < M || (ad === M && tm < 0)
      : ad < T1 || (ad === T1 && tm <= 0);
    if (tiny) fpuState.flags |= FLAG_UF;
  }
  return res;
}

// ---------------------------------------------------------------- error-free transforms

/** Exact a*b - RN(a*b) for a, b, p inside the Dekker window. */
function prodErr(a: number, b: number, p: number): number {
  let t = TWO27P1 * a;
  const ah = t - (t - a), al = a - ah;
  t = TWO27P1 * b;
  const bh = t - (t - b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

function sgn(x: number): number { return x > 0 ? 1 : x < 0 ? -1 : 0; }
function abs(x: number): number { return x < 0 ? -x : x; }
function isInf(x: number): boolean { return x === Infinity || x === -Infinity; }

function invalid(): number { fpuState.flags |= FLAG_NV; return NaN; }

// ---------------------------------------------------------------- binary64

export function add64(a: number, b: number, rm: number): number {
  const s = a + b;
  if (s - s === 0) { // finite
    const bb = s - a;
    const err = (a - (s - bb)) + (b - bb); // TwoSum
    if (err === 0) {
      if (s === 0 && rm === RM_RDN) return a === 0 && b === 0 && 1 / a > 0 && 1 / b > 0 ? 0 : -0;
      return s;
    }
    // TwoSum itself can overflow when |a| or |b| is near MAX (err becomes inf/NaN).
    if (err - err !== 0) return exactAdd(a, b, false, rm, fpuState);
    return fix64(s, err, rm); // sums never underflow: a tiny exact sum is representable
  }
  if (s !== s) return isInf(a) && isInf(b) ? invalid() : NaN;
  if (isInf(a) || isInf(b)) return s;
  return exactAdd(a, b, false, rm, fpuState); // overflow: result depends on rm
}

export function sub64(a: number, b: number, rm: number): number { return add64(a, -b, rm); }

export function mul64(a: number, b: number, rm: number): number {
  const p = a * b;
  const aa = abs(a), ab = abs(b), ap = abs(p);
  if (aa >= LO && aa <= HI && ab >= LO && ab <= HI && ap >= LO && ap <= HI) {
    // (p <= HI also keeps the split products ah*bh from overflowing near MAX)
    return fix64(p, prodErr(a, b, p), rm);
  }
  if (p !== p) return (a === a && b === b) ? invalid() : NaN; // 0*inf, or NaN operand
  if (isInf(a) || isInf(b) || p === 0 && (a === 0 || b === 0)) return p;
  return exactMul(a, b, false, rm, fpuState);
}

export function div64(a: number, b: number, rm: number): number {
  const q = a / b;
  const aa = abs(a), ab = abs(b), aq = abs(q);
  if (aa >= LO && aa <= HI && ab >= LO && ab <= HI && aq >= LO && aq <= HI) {
    const ph = q * b;
    const r = (a - ph) - prodErr(q, b, ph); // a - q*b, exact in sign
    // A quotient of p-bit numbers is never a midpoint when normal: no ties.
    return fix64(q, r === 0 ? 0 : (r > 0) === (b > 0) ? MIN_SUB64 : -MIN_SUB64, rm);
  }
  if (a !== a || b !== b) return NaN;
  if (isInf(a)) return isInf(b) ? invalid() : q;
  if (isInf(b)) return q; // signed zero
  if (b === 0) {
    if (a === 0) return invalid();
    fpuState.flags |= FLAG_DZ;
    return q;
  }
  if (a === 0) return q;
  return exactDiv(a, b, false, rm, fpuState);
}

export function sqrt64(a: number, rm: number): number {
  if (a >= LO && a <= HI) {
    const s = Math.sqrt(a);
    const ph = s * s;
    const r = (a - ph) - prodErr(s, s, ph);
    // A square root is never a midpoint: no ties.
    return fix64(s, r === 0 ? 0 : r > 0 ? MIN_SUB64 : -MIN_SUB64, rm);
  }
  if (a !== a) return NaN;
  if (a < 0) return invalid();
  if (a === 0 || a === Infinity) return a; // sqrt(-0) = -0
  return exactSqrt(a, false, rm, fpuState);
}

/** Shared special-value handling for fma; returns undefined when all operands are finite. */
function fmaSpecial(a: number, b: number, c: number): number | undefined {
  if (isInf(a) || isInf(b)) {
    if (a === 0 || b === 0) return invalid(); // 0*inf: NV even if c is a quiet NaN
    if (a !== a || b !== b || c !== c) return NaN;
    const p = a * b;
    if (isInf(c) && c !== p) return invalid(); // inf + -inf
    return p;
  }
  if (a !== a || b !== b || c !== c) return NaN;
  if (isInf(c)) return c;
  return undefined;
}

export function fma64(a: number, b: number, c: number, rm: number): number {
  const aa = abs(a), ab = abs(b), ac = abs(c);
  if (aa >= LO && aa <= HI && ab >= LO && ab <= HI && ac <= HI) {
    const ph = a * b;
    const aph = abs(ph);
    if (aph >= LO && aph <= HI) {
      const pl = prodErr(a, b, ph);
      // x = ph + pl + c = r + f + g, every step a TwoSum (exact).
      const s1 = c + ph;
      let t = s1 - c;
      const e1 = (c - (s1 - t)) + (ph - t);
      const s2 = e1 + pl; t = s2 - e1;
      const e2 = (e1 - (s2 - t)) + (pl - t);
      const r = s1 + s2; t = r - s1;
      const e3 = (s1 - (r - t)) + (s2 - t);
      const f = e3 + e2; t = f - e3;
      const g = (e3 - (f - t)) + (e2 - t);
      const ar = abs(r);
      if (ar >= LO && ar <= HI) {
        if (f === 0 && g === 0) return r;
        const dir = f !== 0 ? f : g;
        const gap = (r > 0) === (dir > 0) ? nextUp(ar) - ar : ar - nextDown(ar);
        // |f| < gap/2 proves r = RN(x) and no tie (|g| <= ulp(f)/2).
        if (abs(f) * 2 < gap) return fix64(r, dir, rm);
      }
    }
  }
  const sp = fmaSpecial(a, b, c);
  if (sp !== undefined) return sp;
  return exactFma(a, b, c, false, rm, fpuState);
}

// ---------------------------------------------------------------- binary32

export function add32(a: number, b: number, rm: number): number {
  const s = a + b;
  if (s - s === 0) {
    const bb = s - a;
    const err = (a - (s - bb)) + (b - bb);
    if (err === 0 && s === 0) {
      return rm === RM_RDN && !(a === 0 && b === 0 && 1 / a > 0 && 1 / b > 0) ? -0 : s;
    }
    return round32(s, sgn(err), rm);
  }
  if (s !== s) return isInf(a) && isInf(b) ? invalid() : NaN;
  return s; // an infinite operand (float32 sums cannot overflow a double)
}

export function sub32(a: number, b: number, rm: number): number { return add32(a, -b, rm); }

export function mul32(a: number, b: number, rm: number): number {
  const p = a * b; // exact: 24x24-bit significands, exponents far inside double range
  if (p - p === 0) return round32(p, 0, rm);
  if (p !== p) return (a === a && b === b) ? invalid() : NaN;
  return p;
}

export function div32(a: number, b: number, rm: number): number {
  const q = a / b;
  if (q - q === 0 && q !== 0) {
    const ph = q * b;
    const r = (a - ph) - prodErr(q, b, ph); // exponents are within the Dekker window
    return round32(q, r === 0 ? 0 : (r > 0) === (b > 0) ? 1 : -1, rm);
  }
  if (a !== a || b !== b) return NaN;
  if (isInf(a)) return isInf(b) ? invalid() : q;
  if (b === 0) {
    if (a === 0) return invalid();
    fpuState.flags |= FLAG_DZ;
  }
  return q; // ±inf from x/0, or an exact signed zero
}

export function sqrt32(a: number, rm: number): number {
  if (a > 0 && a !== Infinity) {
    const s = Math.sqrt(a);
    const ph = s * s;
    const r = (a - ph) - prodErr(s, s, ph);
    return round32(s, sgn(r), rm);
  }
  if (a !== a) return NaN;
  if (a < 0) return invalid();
  return a;
}

export function fma32(a: number, b: number, c: number, rm: number): number {
  const p = a * b; // exact
  const s = p + c;
  if (s - s === 0) {
    const t = s - p;
    const e = (p - (s - t)) + (c - t);
    if (s === 0 && e === 0) return zeroSumSign(p < 0 || 1 / p < 0, p === 0, c < 0 || 1 / c < 0, c === 0, rm);
    return round32(s, sgn(e), rm);
  }
  const sp = fmaSpecial(a, b, c);
  return sp === undefined ? NaN : sp; // all-finite float32 inputs never reach here
}

// ---------------------------------------------------------------- compare, min/max

/** FMIN (RISC-V 2.2+): -0 < +0; a single NaN yields the other operand. */
export function min(a: number, b: number): number {
  if (a !== a) return b;
  if (b !== b) return a;
  if (a < b) return a;
  if (b < a) return b;
  return a === 0 ? (1 / a < 0 ? a : b) : a;
}

export function max(a: number, b: number): number {
  if (a !== a) return b;
  if (b !== b) return a;
  if (a > b) return a;
  if (b > a) return b;
  return a === 0 ? (1 / a > 0 ? a : b) : a;
}

export function eq(a: number, b: number): boolean { return a === b; }

export function lt(a: number, b: number): boolean {
  if (a !== a || b !== b) { fpuState.flags |= FLAG_NV; return false; }
  return a < b;
}

export function le(a: number, b: number): boolean {
  if (a !== a || b !== b) { fpuState.flags |= FLAG_NV; return false; }
  return a <= b;
}

// ---------------------------------------------------------------- conversions

/** Round finite v to an integral double under rm. */
function rint(v: number, rm: number): number {
  if (!(abs(v) < 4503599627370496)) return v; // >= 2^52: already integral
  const t = Math.trunc(v);
  const fr = v - t;
  if (fr === 0) return v;
  switch (rm) {
    case RM_RTZ: return t;
    case RM_RDN: return Math.floor(v);
    case RM_RUP: return Math.ceil(v);
    case RM_RNE: {
      const af = abs(fr);
      return af > 0.5 || (af === 0.5 && t % 2 !== 0) ? t + sgn(fr) : t;
    }
    default: return abs(fr) >= 0.5 ? t + sgn(fr) : t;
  }
}

// Out-of-range and NaN inputs saturate with NV and no NX (RISC-V Table 11.4).
export function cvtToI32(v: number, rm: number): number {
  if (v !== v) { fpuState.flags |= FLAG_NV; return 2147483647; }
  const r = rint(v, rm);
  if (r > 2147483647) { fpuState.flags |= FLAG_NV; return 2147483647; }
  if (r < -2147483648) { fpuState.flags |= FLAG_NV; return -2147483648; }
  if (r !== v) fpuState.flags |= FLAG_NX;
  return r | 0;
}

export function cvtToU32(v: number, rm: number): number {
  if (v !== v) { fpuState.flags |= FLAG_NV; return 4294967295; }
  const r = rint(v, rm);
  if (r > 4294967295) { fpuState.flags |= FLAG_NV; return 4294967295; }
  if (r < 0) { fpuState.flags |= FLAG_NV; return 0; }
  if (r !== v) fpuState.flags |= FLAG_NX;
  return r >>> 0;
}

function split(r: number, out: Int32Array): void {
  const hi = Math.floor(r / 4294967296);
  out[0] = (r - hi * 4294967296) | 0;
  out[1] = hi | 0;
}

export function cvtToI64(v: number, rm: number, out: Int32Array): void {
  if (v !== v) { fpuState.flags |= FLAG_NV; out[0] = -1; out[1] = 0x7fffffff; return; }
  const r = rint(v, rm);
  if (r >= 9223372036854775808) { fpuState.flags |= FLAG_NV; out[0] = -1; out[1] = 0x7fffffff; return; }
  if (r < -9223372036854775808) { fpuState.flags |= FLAG_NV; out[0] = 0; out[1] = -2147483648; return; }
  if (r !== v) fpuState.flags |= FLAG_NX;
  split(r, out);
}

export function cvtToU64(v: number, rm: number, out: Int32Array): void {
  if (v !== v) { fpuState.flags |= FLAG_NV; out[0] = -1; out[1] = -1; return; }
  const r = rint(v, rm);
  if (r >= 18446744073709551616) { fpuState.flags |= FLAG_NV; out[0] = -1; out[1] = -1; return; }
  if (r < 0) { fpuState.flags |= FLAG_NV; out[0] = 0; out[1] = 0; return; }
  if (r !== v) fpuState.flags |= FLAG_NX;
  split(r, out);
}

/** hd, ld exact doubles (high part * 2^32, low part); rounds hd + ld. */
function intTo64(hd: number, ld: number, rm: number): number {
  const s = hd + ld;
  const bb = s - hd;
  return fix64(s, (hd - (s - bb)) + (ld - bb), rm);
}
function intTo32(hd: number, ld: number, rm: number): number {
  const s = hd + ld;
  const bb = s - hd;
  return round32(s, sgn((hd - (s - bb)) + (ld - bb)), rm);
}

export function cvtI64ToF64(lo: number, hi: number, rm: number): number { return intTo64((hi | 0) * 4294967296, lo >>> 0, rm); }
export function cvtU64ToF64(lo: number, hi: number, rm: number): number { return intTo64((hi >>> 0) * 4294967296, lo >>> 0, rm); }
export function cvtI64ToF32(lo: number, hi: number, rm: number): number { return intTo32((hi | 0) * 4294967296, lo >>> 0, rm); }
export function cvtU64ToF32(lo: number, hi: number, rm: number): number { return intTo32((hi >>> 0) * 4294967296, lo >>> 0, rm); }

export function cvtF64ToF32(v: number, rm: number): number {
  if (v - v !== 0) return v; // NaN or ±inf pass through (NaN canonicalized by caller)
  return round32(v, 0, rm);
}
