// Exact (BigInt) slow paths for the RISC-V F/D floating-point unit.
//
// RISC-V Unprivileged ISA, ch. "F" Standard Extension (11.2 fcsr / rounding modes,
// 11.6 arithmetic, 11.7 conversions) and ch. "D" (12.x); IEEE 754-2008 §4.3 (rounding),
// §7.4 (overflow), §7.5 (underflow: RISC-V detects tininess AFTER rounding, §11.2 note).
//
// Every function here computes the exact real result with BigInt and rounds it once.
// They are used by fpu.ts whenever the double-precision fast path cannot prove its
// answer (overflow, subnormal territory, extreme exponents), and by the tests as an
// independent oracle. Inputs must be finite; specials are handled by the caller.
// Rounding-mode numbers are the fcsr encodings: 0 RNE, 1 RTZ, 2 RDN, 3 RUP, 4 RMM.
// Flag bits are the fflags encodings: NX 1, UF 2, OF 4, DZ 8, NV 16.

export interface FlagSink { flags: number }

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** 2^q for -1074 <= q <= 1023, built from bits so it is exact. */
export function pow2(q: number): number {
  if (q >= -1022) { u32[0] = 0; u32[1] = (q + 1023) << 20; }
  else if (q >= -1042) { u32[0] = 0; u32[1] = 1 << (q + 1074 - 32); }
  else { u32[1] = 0; u32[0] = (1 << (q + 1074)) >>> 0; }
  return f64[0];
}

/** Finite x = (-1)^neg * m * 2^e with m an integer (m = 0 for zeros). */
export function decompose(x: number): { neg: boolean; m: bigint; e: number } {
  f64[0] = x;
  const hi = u32[1], lo = u32[0];
  const neg = (hi >>> 31) === 1;
  const ex = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (ex === 0) return { neg, m: frac, e: -1074 };
  return { neg, m: frac | (1n << 52n), e: ex - 1075 };
}

export function bitLength(m: bigint): number {
  // toString(2) is fast enough for a slow path and obviously correct.
  return m === 0n ? 0 : m.toString(2).length;
}

/** Round m*2^e (m > 0) to a multiple of 2^q under rm; returns [integer multiple, inexact]. */
function roundAt(neg: boolean, m: bigint, e: number, q: number, rm: number): [bigint, boolean] {
  const sh = q - e;
  if (sh <= 0) return [m << BigInt(-sh), false];
  const s = BigInt(sh);
  const kept = m >> s;
  const rem = m - (kept << s);
  if (rem === 0n) return [kept, false];
  const half = 1n << (s - 1n);
  let inc: boolean;
  switch (rm) {
    case 0: inc = rem > half || (rem === half && (kept & 1n) === 1n); break;
    case 1: inc = false; break;
    case 2: inc = neg; break;
    case 3: inc = !neg; break;
    default: inc = rem >= half; break; // RMM: ties away from zero
  }
  return [inc ? kept + 1n : kept, true];
}

export function overflowResult(neg: boolean, is32: boolean, rm: number, st: FlagSink): number {
  st.flags |= 4 | 1; // OF always comes with NX
  const max = is32 ? 3.4028234663852886e38 : 1.7976931348623157e308;
  let toInf: boolean;
  switch (rm) {
    case 0: case 4: toInf = true; break;
    case 1: toInf = false; break;
    case 2: toInf = neg; break;
    default: toInf = !neg; break;
  }
  const mag = toInf ? Infinity : max;
  return neg ? -mag : mag;
}

/**
 * Correctly round (-1)^neg * m * 2^e (m > 0) to binary64 or binary32, raising
 * NX/UF/OF. Tininess is detected after rounding (as if the exponent were unbounded).
 */
export function roundPack(neg: boolean, m: bigint, e: number, is32: boolean, rm: number, st: FlagSink): number {
  const p = is32 ? 24 : 53, emin = is32 ? -126 : -1022, emax = is32 ? 127 : 1023;
  const E = e + bitLength(m) - 1; // exponent of the leading bit
  const qmin = emin - p + 1;
  const q = E - p + 1 < qmin ? qmin : E - p + 1;
  const [kept, inexact] = roundAt(neg, m, e, q, rm);
  if (kept !== 0n && bitLength(kept) + q - 1 > emax) return overflowResult(neg, is32, rm, st);
  if (inexact) {
    st.flags |= 1;
    let tiny = false;
    if (E < emin - 1) tiny = true;
    else if (E === emin - 1) {
      // Round with unbounded exponent; tiny unless it carries up to 2^emin.
      const [k2] = roundAt(neg, m, e, E - p + 1, rm);
      tiny = bitLength(k2) === p;
    }
    if (tiny) st.flags |= 2;
  }
  const mag = Number(kept) * pow2(q);
  return neg ? -mag : mag;
}

/** Sign of an exact zero sum x + y (IEEE 754 §6.3): +0 unless RDN, but -0 + -0 = -0 and +0 + +0 = +0. */
export function zeroSumSign(xNeg: boolean, xZero: boolean, yNeg: boolean, yZero: boolean, rm: number): number {
  if (xZero && yZero && xNeg === yNeg) return xNeg ? -0 : 0;
  return rm === 2 ? -0 : 0;
}

function sumPack(an: boolean, am: bigint, ae: number, bn: boolean, bm: bigint, be: number,
  is32: boolean, rm: number, st: FlagSink): number {
  const e = ae < be ? ae : be;
  let s = (an ? -am : am) << BigInt(ae - e);
  s += (bn ? -bm : bm) << BigInt(be - e);
  if (s === 0n) return zeroSumSign(an, am === 0n, bn, bm === 0n, rm);
  return s < 0n ? roundPack(true, -s, e, is32, rm, st) : roundPack(false, s, e, is32, rm, st);
}

export function exactAdd(a: number, b: number, is32: boolean, rm: number, st: FlagSink): number {
  const x = decompose(a), y = decompose(b);
  return sumPack(x.neg, x.m, x.e, y.neg, y.m, y.e, is32, rm, st);
}

export function exactMul(a: number, b: number, is32: boolean, rm: number, st: FlagSink): number {
  const x = decompose(a), y = decompose(b);
  const neg = x.neg !== y.neg;
  if (x.m === 0n || y.m === 0n) return neg ? -0 : 0;
  return roundPack(neg, x.m * y.m, x.e + y.e, is32, rm, st);
}

/** b must be nonzero. */
export function exactDiv(a: number, b: number, is32: boolean, rm: number, st: FlagSink): number {
  const x = decompose(a), y = decompose(b);
  const neg = x.neg !== y.neg;
  if (x.m === 0n) return neg ? -0 : 0;
  // 128 extra bits: the quotient has >= 76 significant bits, > p + 2, so a sticky bit suffices.
  const num = x.m << 128n;
  const q = num / y.m;
  const sticky = num - q * y.m === 0n ? 0n : 1n;
  return roundPack(neg, (q << 1n) | sticky, x.e - y.e - 129, is32, rm, st);
}

export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n)))) + 1n;
  x = (x + n / x) >> 1n; // now >= isqrt(n)
  for (;;) { const y = (x + n / x) >> 1n; if (y >= x) break; x = y; }
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/** a must be >= 0 (or -0). */
export function exactSqrt(a: number, is32: boolean, rm: number, st: FlagSink): number {
  const x = decompose(a);
  if (x.m === 0n) return a;
  let m = x.m, e = x.e;
  if (e & 1) { m <<= 1n; e -= 1; }
  const n = m << 256n; // root gets >= 128 extra bits
  const s = isqrt(n);
  const sticky = n - s * s === 0n ? 0n : 1n;
  return roundPack(false, (s << 1n) | sticky, (e - 256) / 2 - 1, is32, rm, st);
}

/** a*b + c, all finite, one rounding. */
export function exactFma(a: number, b: number, c: number, is32: boolean, rm: number, st: FlagSink): number {
  const x = decompose(a), y = decompose(b), z = decompose(c);
  return sumPack(x.neg !== y.neg, x.m * y.m, x.e + y.e, z.neg, z.m, z.e, is32, rm, st);
}

/** Signed 64-bit integer hi:lo (int32 halves) exactly as BigInt. */
export function int64Of(lo: number, hi: number, unsigned: boolean): bigint {
  const v = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return unsigned ? v : BigInt.asIntN(64, v);
}

export function exactFromInt(v: bigint, is32: boolean, rm: number, st: FlagSink): number {
  if (v === 0n) return 0;
  return v < 0n ? roundPack(true, -v, 0, is32, rm, st) : roundPack(false, v, 0, is32, rm, st);
}
