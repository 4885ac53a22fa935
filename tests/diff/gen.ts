// Seeded generator of random RV64GC user-mode instruction sequences for the differential test.
//
// Register conventions inside a sequence (set by the prologue, see elf.ts):
//   x27 (s11) = scratch + S11_OFF   never written
//   x9  (s1)  = scratch + X9_OFF    never written (base for c.lw/c.ld/c.sw/c.sd/c.fld/c.fsd)
//   x2  (sp)  = scratch + SP_OFF    written only by c.addi16sp, with a bounded drift
// Every other x register and every f register is random state.
// Control flow is forward only, to block boundaries (a block is a group of instructions that
// must execute together, e.g. auipc+jalr or lr+sc), so every sequence terminates.

import * as E from './enc.ts';
import type { Insn } from './enc.ts';

export const SCRATCH_SIZE = 1024;
export const S11_OFF = 512;
export const X9_OFF = 768;
export const SP_OFF = 256;
export const MAX_DRIFT = 128;
export const MAX_INSNS = 40;

// ---------------- PRNG (xoshiro128**) ----------------
export class Rng {
  private s0: number; private s1: number; private s2: number; private s3: number;
  constructor(seed: number, stream = 0) {
    let z = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const sm = (): number => {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z;
      t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
      t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.s0 = sm(); this.s1 = sm(); this.s2 = sm(); this.s3 = sm() | 1;
  }
  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0; this.s3 ^= this.s1; this.s1 ^= this.s2; this.s0 ^= this.s3;
    this.s2 ^= t; this.s3 = rotl(this.s3, 11);
    return r;
  }
  int(n: number): number { return Math.floor((this.u32() / 4294967296) * n); }
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  chance(p: number): boolean { return this.u32() / 4294967296 < p; }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]; }
  u64(): bigint { return (BigInt(this.u32()) << 32n) | BigInt(this.u32()); }
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    let tot = 0;
    for (const [w] of items) tot += w;
    let r = (this.u32() / 4294967296) * tot;
    for (const [w, v] of items) { if ((r -= w) < 0) return v; }
    return items[items.length - 1][1];
  }
}
function rotl(v: number, k: number): number { return ((v << k) | (v >>> (32 - k))) >>> 0; }

const M64 = (1n << 64n) - 1n;
const sx32 = (v: number): bigint => BigInt.asUintN(64, BigInt(v | 0));

// ---------------- interesting values ----------------
const INT_SPECIAL: bigint[] = [
  0n, 1n, M64, 2n, M64 - 1n, 0x7fffffffffffffffn, 0x8000000000000000n, 0x7fffffffn, 0xffffffff80000000n,
  0x80000000n, 0xffffffffn, 0x100000000n, 31n, 32n, 63n, 64n, 3n, 7n, M64 - 6n, 0x8000000000000001n,
  0xffffffff7fffffffn, 0x00000000ffff8000n, 0xffffffffffff8000n, 0x7fffn, 0xffffn, 0x80n, 0xffn,
];
export const F64_SPECIAL: bigint[] = [
  0x0000000000000000n, 0x8000000000000000n, // +-0
  0x0000000000000001n, 0x8000000000000001n, 0x000fffffffffffffn, 0x0008000000000000n, // subnormals
  0x0010000000000000n, 0x8010000000000000n, 0x7fefffffffffffffn, 0xffefffffffffffffn, // min/max normal
  0x7ff0000000000000n, 0xfff0000000000000n, // inf
  0x7ff8000000000000n, 0xfff8000000000000n, 0x7ff8000000000123n, // qNaN
  0x7ff0000000000001n, 0xfff4000000000000n, 0x7ff7ffffffffffffn, // sNaN
  0x3ff0000000000000n, 0xbff0000000000000n, 0x3ff0000000000001n, 0x3fefffffffffffffn, // 1, -1, 1+ulp, 1-ulp
  0x3ca0000000000000n, 0x3cb0000000000000n, 0x3ca8000000000000n, // 2^-53, 2^-52, 1.5*2^-53 (near-ties with 1.0)
  0x3fe0000000000000n, 0x3ff8000000000000n, 0x4004000000000000n, 0xc004000000000000n, 0x400c000000000000n, // .5 1.5 2.5 -2.5 3.5
  0x41dfffffffc00000n, 0x41e0000000000000n, 0xc1e0000000000000n, 0xc1e0000000100000n, 0x41efffffffe00000n, // 2^31-1, 2^31, -2^31, -2^31-1/2, 2^32-1
  0x41f0000000000000n, 0x43e0000000000000n, 0xc3e0000000000000n, 0x43f0000000000000n, 0x43dfffffffffffffn, // 2^32 2^63 -2^63 2^64
  0x4340000000000000n, 0x4330000000000001n, 0x7e37e43c8800759cn, 0x01a56e1fc2f8f359n, // 2^53, 2^52+1, 1e300, 1e-300
  0x36a0000000000000n, 0x3810000000000000n, 0x47efffffe0000000n, 0x47effffff0000000n, // f32 boundaries as f64 (tiny, min normal, max f32, max+half ulp)
];
export const F32_SPECIAL: number[] = [
  0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007fffff, 0x00400000, 0x00800000, 0x80800000,
  0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fc00123, 0x7f800001,
  0xffa00000, 0x7fbfffff, 0x3f800000, 0xbf800000, 0x3f800001, 0x3f7fffff, 0x33800000, 0x33000000,
  0x33400000, 0x3f000000, 0x3fc00000, 0x40200000, 0xc0200000, 0x40600000, 0x4effffff, 0x4f000000,
  0xcf000000, 0xcf000001, 0x4f800000, 0x5f000000, 0xdf000000, 0x5f800000, 0x4b000000, 0x4b000001,
];

function randF64(r: Rng): bigint {
  const sign = r.chance(0.5) ? 1n : 0n;
  const e = r.chance(0.7) ? 1023 + r.range(-4, 4) : r.chance(0.5) ? r.range(1, 2046) : r.pick([0, 1, 2, 2045, 2046, 1023 + 52, 1023 + 31, 1023 + 63]);
  let m = r.u64() & ((1n << 52n) - 1n);
  if (r.chance(0.3)) m &= ~((1n << BigInt(r.range(20, 52))) - 1n); // short mantissa: exact ops, ties
  return (sign << 63n) | (BigInt(e) << 52n) | m;
}
function randF32(r: Rng): number {
  const sign = r.chance(0.5) ? 1 : 0;
  const e = r.chance(0.7) ? 127 + r.range(-4, 4) : r.chance(0.5) ? r.range(1, 254) : r.pick([0, 1, 2, 253, 254, 127 + 23, 127 + 31, 127 + 63]);
  let m = r.u32() & 0x7fffff;
  if (r.chance(0.3)) m &= ~((1 << r.range(8, 23)) - 1);
  return ((sign << 31) | (e << 23) | m) >>> 0;
}
export function fpF64(r: Rng): bigint { return r.chance(0.5) ? r.pick(F64_SPECIAL) : randF64(r); }
export function fpF32(r: Rng): number { return r.chance(0.5) ? r.pick(F32_SPECIAL) : randF32(r); }
/** A value for an f register: a double, a NaN-boxed single, or (rarely) a badly boxed single. */
export function fpReg(r: Rng): bigint {
  const k = r.int(20);
  if (k < 9) return fpF64(r);
  const s = BigInt(fpF32(r));
  if (k < 18) return 0xffffffff00000000n | s;
  return r.pick([0n, 0xfffffffe00000000n, 0x7fffffff00000000n, BigInt(r.u32()) << 32n]) | s; // NaN-boxing violation
}
/** A single-precision value that is not properly NaN-boxed. */
export function fpBad(r: Rng): bigint {
  return r.pick([0n, 0xfffffffe00000000n, 0x7fffffff00000000n, BigInt(r.u32()) << 32n]) | BigInt(fpF32(r));
}
export function intVal(r: Rng): bigint {
  const k = r.int(10);
  if (k < 4) return r.pick(INT_SPECIAL);
  if (k < 5) return BigInt.asUintN(64, BigInt(r.range(-20, 20)));
  if (k < 6) return sx32(r.u32());
  if (k < 7) return BigInt(r.u32());
  if (k < 8) return fpReg(r); // FP bit patterns, for fmv.*.x
  return r.u64();
}

// ---------------- sequences ----------------
export interface InitState {
  x: bigint[]; // 32 entries (x0, x2, x9, x27 ignored: set by the prologue)
  f: bigint[]; // 32 raw patterns
  fcsr: number;
  scratch: Uint8Array; // SCRATCH_SIZE bytes
}
export interface Sequence {
  seed: number;
  index: number;
  init: InitState;
  code: Insn[]; // laid out, position independent (branches are pc-relative)
  bytes: Uint8Array;
  nInsns: number;
  blocks: Item[][]; // before layout (for minimization)
}

export interface Pending {
  size: 2 | 4;
  skip: number; // target = the block `skip` blocks after the next one (clamped to the end)
  anchor: number; // index within the block of the instruction whose pc the offset is relative to
  make: (rel: number) => Insn;
}
export type Item = Insn | Pending;
const isPending = (i: Item): i is Pending => 'make' in i;

const DEST = [1, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 28, 29, 30, 31];
const CDEST = [8, 10, 11, 12, 13, 14, 15];
const RMS = [0, 1, 2, 3, 4, 7];
const ALLF = Array.from({ length: 32 }, (_, i) => i);
export type FType = 's' | 'd' | 'x';

class Gen {
  blocks: Item[][] = [];
  nInsns = 0;
  recent: number[] = [];
  dlo = 0; // possible sp drift range
  dhi = 0;
  // Results should survive to the final state dump: destinations prefer the registers written
  // least recently, and FP sources prefer registers holding a value of the operation's format
  // (a .s operation on a double is a canonical NaN; such cases are kept, but not the majority).
  t = 0;
  xLast: number[] = new Array(32).fill(0);
  fLast: number[] = new Array(32).fill(0);
  frecent: number[] = [];
  constructor(readonly r: Rng, readonly fType: FType[]) {}

  lru(cands: readonly number[], last: number[]): number {
    const sorted = [...cands].sort((a, b) => last[a] - last[b]);
    return this.r.pick(sorted.slice(0, 8));
  }
  wroteX(d: number): number {
    this.xLast[d] = ++this.t;
    this.recent.push(d);
    if (this.recent.length > 6) this.recent.shift();
    return d;
  }
  dest(): number {
    if (this.r.chance(0.04)) return 0;
    return this.wroteX(this.r.chance(0.8) ? this.lru(DEST, this.xLast) : this.r.pick(DEST));
  }
  cdest(): number { return this.wroteX(this.r.chance(0.8) ? this.lru(CDEST, this.xLast) : this.r.pick(CDEST)); }
  fdest(type: FType, cands: readonly number[] = ALLF): number {
    const d = this.r.chance(0.8) ? this.lru(cands, this.fLast) : this.r.pick(cands);
    this.fType[d] = type;
    this.fLast[d] = ++this.t;
    this.frecent.push(d);
    if (this.frecent.length > 6) this.frecent.shift();
    return d;
  }
  fsrc(type?: FType): number {
    const ok = (f: number): boolean => type === undefined || this.fType[f] === type;
    const rec = this.frecent.filter(ok);
    if (rec.length && this.r.chance(0.3)) return this.r.pick(rec);
    const all = ALLF.filter(ok);
    if (all.length && this.r.chance(0.85)) return this.r.pick(all);
    return this.r.int(32);
  }
  src(): number {
    if (this.recent.length && this.r.chance(0.35)) return this.r.pick(this.recent);
    return this.r.int(32);
  }
  csrc(): number {
    const c = this.recent.filter((v) => v >= 8 && v <= 15);
    if (c.length && this.r.chance(0.35)) return this.r.pick(c);
    return this.r.range(8, 15);
  }
  rm(): number { return this.r.chance(0.3) ? 7 : this.r.pick(RMS); }
  imm12(): number {
    return this.r.weighted<() => number>([
      [3, () => this.r.range(-16, 16)], [1, () => this.r.pick([0, -1, 1, -2048, 2047, 1024, -1024])], [4, () => this.r.range(-2048, 2047)],
    ])();
  }
  shamt(bits: number): number {
    return this.r.chance(0.3) ? this.r.pick(bits === 6 ? [0, 1, 31, 32, 33, 63] : [0, 1, 15, 16, 31]) : this.r.int(1 << bits);
  }
  /** A base register and an offset for a `w`-byte access to the scratch buffer. */
  mem(w: number, aligned: boolean): [number, number] {
    const bases: [number, number, number][] = [[27, S11_OFF, S11_OFF], [27, S11_OFF, S11_OFF], [9, X9_OFF, X9_OFF], [2, SP_OFF + this.dlo, SP_OFF + this.dhi]];
    const [reg, lo, hi] = this.r.pick(bases);
    const min = Math.max(-lo, -2048);
    const max = Math.min(SCRATCH_SIZE - w - hi, 2047);
    let off = this.r.range(min, max);
    if (aligned) off -= ((off + lo) % w + w) % w, off < min && (off += w);
    return [reg, off];
  }
  push(items: Item[]): void {
    this.blocks.push(items);
    this.nInsns += items.length;
  }

  block(): void {
    const r = this.r;
    const kind = r.weighted<string>([
      [10, 'alu'], [9, 'alui'], [2, 'upper'], [3, 'li'], [9, 'muldiv'], [8, 'ldst'], [4, 'fldst'], [3, 'amo'], [2, 'lrsc'],
      [6, 'branch'], [12, 'rvc'], [14, 'farith'], [10, 'fmisc'], [3, 'fcsr'], [0.3, 'fence'],
    ]);
    switch (kind) {
      case 'alu': {
        const name = r.pick(['add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and', 'addw', 'subw', 'sllw', 'srlw', 'sraw']);
        const a = this.src(), b = this.src();
        return this.push([E.opReg(name, this.dest(), a, b)]);
      }
      case 'alui': {
        const name = r.pick(['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'addiw', 'slli', 'srli', 'srai', 'slliw', 'srliw', 'sraiw']);
        const a = this.src();
        if (name === 'addiw') return this.push([E.addiw(this.dest(), a, this.imm12())]);
        if (name.startsWith('s') && name !== 'slti' && name !== 'sltiu') {
          const w = name.endsWith('w');
          return this.push([E.shiftImm(name as 'slli', this.dest(), a, this.shamt(w ? 5 : 6))]);
        }
        return this.push([E.opImm(name, this.dest(), a, this.imm12())]);
      }
      case 'upper': {
        const imm = r.chance(0.3) ? r.pick([0, 0x80000, 0xfffff, 0x7ffff, 1]) : r.int(1 << 20);
        return this.push([r.chance(0.5) ? E.lui(this.dest(), imm) : E.auipc(this.dest(), imm)]);
      }
      case 'li': {
        // an edge operand, freshly made
        const d = r.pick(DEST);
        this.recent.push(d);
        const v = r.int(8);
        if (v === 0) return this.push([E.opImm('addi', d, 0, -1)]);
        if (v === 1) return this.push([E.opImm('addi', d, 0, 1), E.shiftImm('slli', d, d, 63)]); // INT64_MIN
        if (v === 2) return this.push([E.opImm('addi', d, 0, -1), E.shiftImm('srli', d, d, 1)]); // INT64_MAX
        if (v === 3) return this.push([E.lui(d, 0x80000)]); // INT32_MIN
        if (v === 4) return this.push(E.li32(d, 0x7fffffff));
        if (v === 5) return this.push([E.opImm('addi', d, 0, r.range(-3, 3))]);
        if (v === 6) return this.push([E.opImm('addi', d, 0, -1), E.shiftImm('srli', d, d, 32)]); // 0xffffffff
        return this.push(E.li32(d, r.u32()));
      }
      case 'muldiv': {
        const name = r.pick(['mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu', 'mulw', 'divw', 'divuw', 'remw', 'remuw']);
        const a = this.src(), b = this.src();
        return this.push([E.opReg(name, this.dest(), a, b)]);
      }
      case 'ldst': {
        const isLoad = r.chance(0.55);
        const name = isLoad ? r.pick(Object.keys(E.LOADS)) : r.pick(Object.keys(E.STORES));
        const w = (isLoad ? E.LOADS : E.STORES)[name][1];
        const [base, off] = this.mem(w, !r.chance(0.15));
        if (r.chance(0.25)) {
          // through a temp base register, often with rd == base (or storing the base itself)
          const t = r.pick(DEST);
          const k = r.range(-16, 16);
          const pre = E.opImm('addi', t, base, off - k);
          if (isLoad) return this.push([pre, E.load(name, r.chance(0.5) ? this.wroteX(t) : this.dest(), t, k)]);
          return this.push([pre, E.store(name, r.chance(0.5) ? t : this.src(), t, k)]);
        }
        return this.push([isLoad ? E.load(name, this.dest(), base, off) : E.store(name, this.src(), base, off)]);
      }
      case 'fldst': {
        const d = r.chance(0.5);
        const isLoad = r.chance(0.55);
        const [base, off] = this.mem(d ? 8 : 4, !r.chance(0.1));
        return this.push([isLoad ? E.fload(d ? 'fld' : 'flw', this.fdest(d ? 'd' : 's'), base, off) : E.fstore(d ? 'fsd' : 'fsw', this.fsrc(), base, off)]);
      }
      case 'amo': {
        const name = r.pick(['amoadd', 'amoswap', 'amoxor', 'amoor', 'amoand', 'amomin', 'amomax', 'amominu', 'amomaxu']);
        const width = r.chance(0.5) ? 'w' : 'd';
        const [t, pre] = this.addrReg(width === 'w' ? 4 : 8);
        const rd = this.dest();
        return this.push([...pre, E.amo(name, width, rd, t, this.src(), r.int(2), r.int(2))]);
      }
      case 'lrsc': {
        const width = r.chance(0.5) ? 'w' : 'd';
        if (r.chance(0.1)) {
          // SC without a reservation: must fail
          const [t, pre] = this.addrReg(width === 'w' ? 4 : 8);
          return this.push([...pre, E.amo('sc', width, this.dest(), t, this.src(), r.int(2), r.int(2))]);
        }
        const [t, pre] = this.addrReg(width === 'w' ? 4 : 8);
        let rd1 = this.dest();
        while (rd1 === t) rd1 = r.pick(DEST);
        const items: Item[] = [...pre, E.amo('lr', width, rd1, t, 0, r.int(2), r.int(2))];
        const n = r.int(3);
        for (let i = 0; i < n; i++) {
          let d = this.dest();
          while (d === t) d = r.pick(DEST);
          items.push(E.opReg(r.pick(['add', 'xor', 'sub', 'addw']), d, this.src(), this.src()));
        }
        items.push(E.amo('sc', width, this.dest(), t, this.src(), r.int(2), r.int(2)));
        return this.push(items);
      }
      case 'branch': return this.branch();
      case 'rvc': return this.rvc();
      case 'farith': return this.farith();
      case 'fmisc': return this.fmisc();
      case 'fcsr': return this.fcsr();
      case 'fence': return this.push([r.chance(0.7) ? E.fence(r.range(1, 15), r.range(1, 15)) : E.fenceI()]);
    }
  }

  /** A register holding an aligned scratch address: a reserved base, or a temp set by addi. */
  addrReg(w: number): [number, Insn[]] {
    const r = this.r;
    if (r.chance(0.3)) return [r.pick([27, 9, 2]), []];
    const t = r.pick(DEST);
    const [base, off] = this.mem(w, true);
    return [t, [E.opImm('addi', t, base, off)]];
  }

  branch(): void {
    const r = this.r;
    const skip = r.chance(0.3) ? 0 : r.int(5);
    const k = r.int(9);
    if (k < 4) {
      const name = r.pick(Object.keys(E.BRANCHES));
      const a = this.src();
      const b = r.chance(0.15) ? a : r.chance(0.2) ? 0 : this.src();
      return this.push([{ size: 4, skip, anchor: 0, make: (rel) => E.branch(name, a, b, rel) }]);
    }
    if (k === 4) { const rd = this.dest(); return this.push([{ size: 4, skip, anchor: 0, make: (rel) => E.jal(rd, rel) }]); }
    if (k === 5) return this.push([{ size: 2, skip, anchor: 0, make: (rel) => E.cJ(rel) }]);
    if (k === 6) {
      const name = r.pick(['c.beqz', 'c.bnez'] as const);
      const a = this.csrc();
      return this.push([{ size: 2, skip, anchor: 0, make: (rel) => E.cBz(name, a, rel) }]);
    }
    if (k === 7) {
      // auipc t,0 ; jalr rd, rel(t)   (sometimes with an odd offset: jalr clears bit 0)
      const t = r.pick(DEST);
      const rd = r.chance(0.3) ? this.wroteX(t) : this.dest(); // jalr t, off(t): the target uses the old t
      const odd = r.chance(0.25) ? 1 : 0;
      return this.push([E.auipc(t, 0), { size: 4, skip, anchor: 0, make: (rel) => E.jalr(rd, t, rel + odd) }]);
    }
    // auipc t,0 ; addi t,t,rel ; c.jr t / c.jalr t
    const t = r.chance(0.25) ? 1 : r.pick(DEST); // c.jalr x1 links into its own source
    const jr = r.chance(0.5);
    if (!jr) this.wroteX(1);
    return this.push([E.auipc(t, 0), { size: 4, skip, anchor: 0, make: (rel) => E.opImm('addi', t, t, rel) }, jr ? E.cJr(t) : E.cJalr(t)]);
  }

  rvc(): void {
    const r = this.r;
    const k = r.int(26);
    switch (k) {
      case 0: { const s = r.range(-32, 31) || 1; return this.push([E.cAddi(this.dest() || 1, s)]); }
      case 1: return this.push([E.cAddiw(this.dest() || 1, r.range(-32, 31))]);
      case 2: return this.push([E.cLi(this.dest() || 1, r.range(-32, 31))]);
      case 3: {
        const imm = r.pick([-64, -48, -32, -16, 16, 32, 48, 64]);
        if (this.dlo + Math.min(0, imm) < -MAX_DRIFT || this.dhi + Math.max(0, imm) > MAX_DRIFT) return this.push([E.cNop()]);
        this.dlo += Math.min(0, imm); this.dhi += Math.max(0, imm);
        return this.push([E.cAddi16sp(imm)]);
      }
      case 4: { let v = r.range(-32, 31); if (v === 0) v = 1; return this.push([E.cLui(this.dest() || 1, v)]); }
      case 5: case 6: {
        const name = r.pick(['c.srli', 'c.srai', 'c.andi'] as const);
        const imm = name === 'c.andi' ? r.range(-32, 31) : r.range(1, 63);
        return this.push([E.cShiftAndi(name, this.cdest(), imm)]);
      }
      case 7: case 8: case 9: {
        const name = r.pick(['c.sub', 'c.xor', 'c.or', 'c.and', 'c.subw', 'c.addw'] as const);
        const b = this.csrc();
        return this.push([E.cArith(name, this.cdest(), b)]);
      }
      case 10: return this.push([E.cSlli(this.dest() || 1, r.range(1, 63))]);
      case 11: { const s = this.src() || 1; return this.push([E.cMv(this.dest() || 1, s)]); }
      case 12: { const s = this.src() || 1; return this.push([E.cAdd(this.dest() || 1, s)]); }
      case 13: return this.push([E.cAddi4spn(this.cdest(), 4 * r.range(1, 255))]);
      case 14: case 15: case 16: {
        const name = r.pick(['c.fld', 'c.lw', 'c.ld', 'c.fsd', 'c.sw', 'c.sd'] as const);
        const w4 = name === 'c.lw' || name === 'c.sw';
        const uimm = w4 ? 4 * r.int(32) : 8 * r.int(32);
        const fp = name.includes('f');
        const isLoad = name.includes('l');
        const reg = fp ? (isLoad ? this.fdest('d', [8, 9, 10, 11, 12, 13, 14, 15]) : r.range(8, 15)) : isLoad ? this.cdest() : this.csrc();
        return this.push([E.cMem(name, reg, 9, uimm)]);
      }
      case 17: case 18: case 19: {
        const name = r.pick(['c.fldsp', 'c.lwsp', 'c.ldsp'] as const);
        const uimm = name === 'c.lwsp' ? 4 * r.int(64) : 8 * r.int(64);
        return this.push([E.cLoadSp(name, name === 'c.fldsp' ? this.fdest('d') : this.dest() || 1, uimm)]);
      }
      case 20: case 21: {
        const name = r.pick(['c.fsdsp', 'c.swsp', 'c.sdsp'] as const);
        const uimm = name === 'c.swsp' ? 4 * r.int(64) : 8 * r.int(64);
        return this.push([E.cStoreSp(name, name === 'c.fsdsp' ? this.fsrc() : this.src(), uimm)]);
      }
      case 22: return this.push([E.cNop()]);
      default: return this.branch();
    }
  }

  farith(): void {
    const r = this.r;
    const fmt = r.chance(0.5) ? 's' : 'd';
    const k = r.int(10);
    if (k < 5) {
      const name = r.pick(['fadd', 'fsub', 'fmul', 'fdiv'] as const);
      const a = this.fsrc(fmt), b = this.fsrc(fmt);
      return this.push([E.fArith(name, fmt, this.fdest(fmt), a, b, this.rm())]);
    }
    if (k === 5) { const a = this.fsrc(fmt); return this.push([E.fsqrt(fmt, this.fdest(fmt), a, this.rm())]); }
    if (k < 8) {
      const a = this.fsrc(fmt), b = this.fsrc(fmt), c = this.fsrc(fmt);
      return this.push([E.fma(r.pick(Object.keys(E.FMA)), fmt, this.fdest(fmt), a, b, c, this.rm())]);
    }
    const a = this.fsrc(fmt), b = r.chance(0.15) ? a : this.fsrc(fmt);
    if (k === 8) return this.push([E.fminmax(r.pick(['fmin', 'fmax'] as const), fmt, this.fdest(fmt), a, b)]);
    return this.push([E.fsgnj(r.pick(['', 'n', 'x'] as const), fmt, this.fdest(fmt), a, b)]);
  }

  fmisc(): void {
    const r = this.r;
    const fmt = r.chance(0.5) ? 's' : 'd';
    const k = r.int(10);
    if (k < 2) {
      const a = this.fsrc(fmt), b = r.chance(0.25) ? a : this.fsrc(fmt);
      return this.push([E.fcmp(r.pick(['feq', 'flt', 'fle'] as const), fmt, this.dest(), a, b)]);
    }
    if (k === 2) { const a = this.fsrc(fmt); return this.push([E.fclass(fmt, this.dest(), a)]); }
    if (k < 5) { const a = this.fsrc(fmt); return this.push([E.fcvtToInt(r.pick(E.INT_TYPES), fmt, this.dest(), a, this.rm())]); }
    if (k < 7) { const a = this.src(); return this.push([E.fcvtFromInt(r.pick(E.INT_TYPES), fmt, this.fdest(fmt), a, this.rm())]); }
    if (k === 7) {
      if (r.chance(0.5)) { const a = this.fsrc('d'); return this.push([E.fcvtSD(this.fdest('s'), a, this.rm())]); }
      const a = this.fsrc('s');
      return this.push([E.fcvtDS(this.fdest('d'), a, this.rm())]);
    }
    if (k === 8) { const a = this.fsrc(r.chance(0.8) ? fmt : undefined); return this.push([E.fmvToX(fmt, this.dest(), a)]); }
    const a = this.src();
    return this.push([E.fmvFromX(fmt, this.fdest(fmt === 's' ? 's' : r.chance(0.8) ? 'd' : 'x'), a)]);
  }

  fcsr(): void {
    const r = this.r;
    const k = r.int(9);
    const c = r.pick([1, 2, 3]);
    const rd = r.chance(0.3) ? 0 : this.dest();
    switch (k) {
      case 0: return this.push([E.csr('csrrs', rd, c, 0)]); // plain read
      case 1: return this.push([E.csr('csrrc', rd, c, this.src())]); // clearing never makes frm invalid
      case 2: return this.push([E.csr(r.pick(['csrrw', 'csrrs']), rd, 1, this.src())]); // fflags: any value
      case 3: return this.push([E.csr('csrrwi', rd, 2, r.int(5))]); // fsrmi, valid modes only
      case 4: {
        // fsrm / fscsr with a register holding a valid frm and random flags (and garbage high bits)
        const t = r.pick(DEST);
        if (r.chance(0.5)) return this.push([E.opImm('addi', t, 0, r.int(5) | (r.chance(0.3) ? r.pick([8, 16, 0x7f8, -8]) : 0)), E.csr('csrrw', rd, 2, t)]);
        let v = (r.int(5) << 5) | r.int(32);
        if (r.chance(0.4)) v |= r.int(1 << 11) << 8;
        return this.push([...E.li32(t, v), E.csr('csrrw', rd, 3, t)]);
      }
      case 5: return this.push([E.csr(r.pick(['csrrsi', 'csrrci', 'csrrwi']), rd, r.pick([1, 3]), r.int(32))]);
      case 6: return this.push([E.csr('csrrci', rd, 2, r.int(8))]);
      case 7: return this.push([E.csr('csrrsi', rd, 2, 0)]); // read, no write
      default: return this.push([E.csr('csrrs', rd, c, 0)]);
    }
  }
}

/** Seed for sequence `index` of a run with seed `seed`. */
export function seqSeed(seed: number, index: number): number {
  let h = (seed ^ 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (index + 0x27d4eb2f), 0x9e3779b1) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

export function generate(seed: number, index: number, maxInsns = MAX_INSNS): Sequence {
  const s = seqSeed(seed, index);
  const r = new Rng(s, 1);
  const rs = new Rng(s, 2);
  const fTypes: FType[] = [];
  for (let i = 0; i < 32; i++) fTypes.push(rs.weighted<FType>([[45, 'd'], [45, 's'], [10, 'x']]));
  const g = new Gen(r, [...fTypes]);
  const target = r.chance(0.1) ? r.range(1, 5) : r.range(5, maxInsns);
  while (g.nInsns < target) {
    g.block();
    if (g.nInsns > maxInsns) { const b = g.blocks.pop()!; g.nInsns -= b.length; if (g.nInsns >= 1) break; }
  }
  const code = layout(g.blocks);
  // initial state
  const xs: bigint[] = [];
  for (let i = 0; i < 32; i++) xs.push(i === 0 ? 0n : intVal(rs));
  const fs: bigint[] = [];
  for (let i = 0; i < 32; i++) fs.push(fTypes[i] === 'd' ? fpF64(rs) : fTypes[i] === 's' ? 0xffffffff00000000n | BigInt(fpF32(rs)) : fpBad(rs));
  const fcsr = (rs.int(5) << 5) | (rs.chance(0.5) ? 0 : rs.int(32));
  const scratch = new Uint8Array(SCRATCH_SIZE);
  const dv = new DataView(scratch.buffer);
  for (let o = 0; o < SCRATCH_SIZE; o += 8) {
    const k = rs.int(4);
    if (k === 0) dv.setBigUint64(o, intVal(rs), true);
    else if (k === 1) dv.setBigUint64(o, fpF64(rs), true);
    else if (k === 2) { dv.setUint32(o, fpF32(rs), true); dv.setUint32(o + 4, fpF32(rs), true); }
    else dv.setBigUint64(o, rs.u64(), true);
  }
  return { seed, index, init: { x: xs, f: fs, fcsr, scratch }, code, bytes: E.bytesOf(code), nInsns: code.length, blocks: g.blocks };
}

/** The same sequence (same initial state) with only the blocks in `keep`. */
export function subsequence(s: Sequence, keep: readonly boolean[]): Sequence {
  const blocks = s.blocks.filter((_, i) => keep[i]);
  const code = layout(blocks);
  return { ...s, blocks, code, bytes: E.bytesOf(code), nInsns: code.length };
}

function layout(blocks: Item[][]): Insn[] {
  const starts: number[] = [];
  let pc = 0;
  for (const b of blocks) {
    starts.push(pc);
    for (const it of b) pc += it.size;
  }
  starts.push(pc); // end
  const out: Insn[] = [];
  blocks.forEach((b, bi) => {
    let p = starts[bi];
    const pcs: number[] = [];
    for (const it of b) { pcs.push(p); p += it.size; }
    b.forEach((it, ii) => {
      if (!isPending(it)) { out.push(it); return; }
      const tgt = starts[Math.min(bi + 1 + it.skip, blocks.length)];
      const ins = it.make(tgt - pcs[it.anchor]);
      if (ins.size !== it.size) throw new Error('size mismatch');
      out.push(ins);
      void ii;
    });
  });
  return out;
}

/** The same sequence (same initial state) with other code (used to plant a difference in self-tests). */
export function withCode(s: Sequence, insns: Insn[]): Sequence {
  const blocks: Item[][] = insns.map((i) => [i]);
  const code = layout(blocks);
  return { ...s, blocks, code, bytes: E.bytesOf(code), nInsns: code.length };
}
