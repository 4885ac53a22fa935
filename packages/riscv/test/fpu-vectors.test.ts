// Replays the qemu-riscv64 reference vectors (fixtures/fpu/vectors.txt.gz, produced by
// fixtures/fpu/gen.c via gen.sh) through fpu.ts: results must be bit-exact (a NaN result only
// has to be NaN: the caller canonicalizes) and fflags must match exactly.
// Spec: RISC-V Unprivileged ISA ch. 11 (F) and 12 (D).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as F from '../src/fpu.ts';
import * as X from '../src/fpu-exact.ts';

const text = gunzipSync(readFileSync(new URL('./fixtures/fpu/vectors.txt.gz', import.meta.url))).toString('latin1');
const lines = text.split('\n').filter((l) => l.length > 0);

const f64 = new Float64Array(1);
const w64 = new Uint32Array(f64.buffer);
const f32 = new Float32Array(1);
const w32 = new Uint32Array(f32.buffer);

function d(h: string): number {
  w64[1] = parseInt(h.slice(0, 8), 16);
  w64[0] = parseInt(h.slice(8, 16), 16);
  return f64[0];
}
function s(h: string): number { w32[0] = parseInt(h, 16); return f32[0]; }
function bits64(x: number): string {
  f64[0] = x;
  return w64[1].toString(16).padStart(8, '0') + w64[0].toString(16).padStart(8, '0');
}
function bits32(x: number): string {
  f32[0] = x;
  return w32[0].toString(16).padStart(8, '0');
}
const out = new Int32Array(2);
function pair(): string {
  return (out[1] >>> 0).toString(16).padStart(8, '0') + (out[0] >>> 0).toString(16).padStart(8, '0');
}
/** 64-bit register image of a 32-bit integer result (RV64 sign-extends W results). */
function sext32(x: number): string {
  out[0] = x | 0; out[1] = (x | 0) < 0 ? -1 : 0;
  return pair();
}
function hexHalves(h: string): [number, number] {
  return [parseInt(h.slice(8, 16), 16) | 0, parseInt(h.slice(0, 8), 16) | 0];
}

type Run = (rm: number, a: string[]) => string; // returns result in the fixture's notation
const R64 = (x: number): string => (x !== x ? 'nan64' : bits64(x));
const R32 = (x: number): string => (x !== x ? 'nan32' : bits32(x));

const ops: Record<string, Run> = {
  add64: (rm, a) => R64(F.add64(d(a[0]), d(a[1]), rm)),
  sub64: (rm, a) => R64(F.sub64(d(a[0]), d(a[1]), rm)),
  mul64: (rm, a) => R64(F.mul64(d(a[0]), d(a[1]), rm)),
  div64: (rm, a) => R64(F.div64(d(a[0]), d(a[1]), rm)),
  fma64: (rm, a) => R64(F.fma64(d(a[0]), d(a[1]), d(a[2]), rm)),
  sqrt64: (rm, a) => R64(F.sqrt64(d(a[0]), rm)),
  add32: (rm, a) => R32(F.add32(s(a[0]), s(a[1]), rm)),
  sub32: (rm, a) => R32(F.sub32(s(a[0]), s(a[1]), rm)),
  mul32: (rm, a) => R32(F.mul32(s(a[0]), s(a[1]), rm)),
  div32: (rm, a) => R32(F.div32(s(a[0]), s(a[1]), rm)),
  fma32: (rm, a) => R32(F.fma32(s(a[0]), s(a[1]), s(a[2]), rm)),
  // sqrt32 and cvt.*.s print the 32-bit input; float32 results are shown zero-extended to 64
  sqrt32: (rm, a) => { const r = F.sqrt32(s(a[0]), rm); return r !== r ? 'nan32' : '00000000' + bits32(r); },
  'cvt.s.d': (rm, a) => { const r = F.cvtF64ToF32(d(a[0]), rm); return r !== r ? 'nan32' : '00000000' + bits32(r); },
  'cvt.w.d': (rm, a) => sext32(F.cvtToI32(d(a[0]), rm)),
  'cvt.wu.d': (rm, a) => sext32(F.cvtToU32(d(a[0]), rm)),
  'cvt.l.d': (rm, a) => { F.cvtToI64(d(a[0]), rm, out); return pair(); },
  'cvt.lu.d': (rm, a) => { F.cvtToU64(d(a[0]), rm, out); return pair(); },
  'cvt.w.s': (rm, a) => sext32(F.cvtToI32(s(a[0]), rm)),
  'cvt.wu.s': (rm, a) => sext32(F.cvtToU32(s(a[0]), rm)),
  'cvt.l.s': (rm, a) => { F.cvtToI64(s(a[0]), rm, out); return pair(); },
  'cvt.lu.s': (rm, a) => { F.cvtToU64(s(a[0]), rm, out); return pair(); },
  'cvt.d.l': (rm, a) => R64(F.cvtI64ToF64(...hexHalves(a[0]), rm)),
  'cvt.d.lu': (rm, a) => R64(F.cvtU64ToF64(...hexHalves(a[0]), rm)),
  'cvt.s.l': (rm, a) => '00000000' + bits32(F.cvtI64ToF32(...hexHalves(a[0]), rm)),
  'cvt.s.lu': (rm, a) => '00000000' + bits32(F.cvtU64ToF32(...hexHalves(a[0]), rm)),
  min64: (_rm, a) => R64(F.min(d(a[0]), d(a[1]))),
  max64: (_rm, a) => R64(F.max(d(a[0]), d(a[1]))),
  min32: (_rm, a) => R32(F.min(s(a[0]), s(a[1]))),
  max32: (_rm, a) => R32(F.max(s(a[0]), s(a[1]))),
  eq: (_rm, a) => (F.eq(d(a[0]), d(a[1])) ? 1 : 0).toString(16).padStart(16, '0'),
  lt: (_rm, a) => (F.lt(d(a[0]), d(a[1])) ? 1 : 0).toString(16).padStart(16, '0'),
  le: (_rm, a) => (F.le(d(a[0]), d(a[1])) ? 1 : 0).toString(16).padStart(16, '0'),
};

/** Map the reference's result to the fixture notation used by ops (NaN-ness only for NaNs). */
function expected(op: string, hex: string): string {
  const is32 = op.endsWith('32') || op === 'sqrt32' || op.startsWith('cvt.s.');
  if (is32) {
    const low = hex.slice(-8);
    const v = s(low);
    if (v !== v) return 'nan32';
    return op === 'sqrt32' || op.startsWith('cvt.s.') ? hex : low;
  }
  if (op.startsWith('cvt.w') || op.startsWith('cvt.l') || op === 'eq' || op === 'lt' || op === 'le') return hex;
  return d(hex) !== d(hex) ? 'nan64' : hex;
}

const byOp = new Map<string, string[]>();
for (const l of lines) {
  const op = l.slice(0, l.indexOf(' '));
  let arr = byOp.get(op);
  if (!arr) byOp.set(op, (arr = []));
  arr.push(l);
}

test('fixture covers every operation', () => {
  assert.deepEqual([...byOp.keys()].sort(), Object.keys(ops).sort());
  assert.ok(lines.length > 300000, `only ${lines.length} vectors`);
});

for (const [op, ls] of byOp) {
  test(`qemu vectors: ${op} (${ls.length})`, () => {
    const run = ops[op];
    assert.ok(run, `no runner for ${op}`);
    const bad: string[] = [];
    for (const l of ls) {
      const f = l.split(' ');
      const rm = Number(f[1]);
      const args = f.slice(2, f.length - 2);
      const want = expected(op, f[f.length - 2]);
      const wantFlags = parseInt(f[f.length - 1], 16);
      F.fpuState.flags = 0;
      let got: string;
      try { got = run(rm, args); } catch (e) { got = `threw ${String(e)}`; }
      const gotFlags = F.fpuState.flags;
      if (got !== want || gotFlags !== wantFlags) {
        bad.push(`${l}  => got ${got} flags ${gotFlags.toString(16).padStart(2, '0')}`);
      }
    }
    assert.equal(bad.length, 0, `${bad.length}/${ls.length} mismatches, e.g.\n${bad.slice(0, 12).join('\n')}`);
  });
}

// The BigInt slow paths double as the oracle of fpu-random.test.ts, so check them against
// qemu on every finite-operand arithmetic vector too (not only the cases fpu.ts routes to them).
const st = { flags: 0 };
const exactOps: Record<string, (rm: number, v: number[]) => number> = {
  add64: (rm, v) => X.exactAdd(v[0], v[1], false, rm, st),
  sub64: (rm, v) => X.exactAdd(v[0], -v[1], false, rm, st),
  mul64: (rm, v) => X.exactMul(v[0], v[1], false, rm, st),
  div64: (rm, v) => X.exactDiv(v[0], v[1], false, rm, st),
  fma64: (rm, v) => X.exactFma(v[0], v[1], v[2], false, rm, st),
  sqrt64: (rm, v) => X.exactSqrt(v[0], false, rm, st),
  add32: (rm, v) => X.exactAdd(v[0], v[1], true, rm, st),
  sub32: (rm, v) => X.exactAdd(v[0], -v[1], true, rm, st),
  mul32: (rm, v) => X.exactMul(v[0], v[1], true, rm, st),
  div32: (rm, v) => X.exactDiv(v[0], v[1], true, rm, st),
  fma32: (rm, v) => X.exactFma(v[0], v[1], v[2], true, rm, st),
  'cvt.s.d': (rm, v) => X.exactAdd(v[0], 0, true, rm, st), // x + 0 with x != 0 is just rounding
};

for (const [op, run] of Object.entries(exactOps)) {
  test(`exact oracle agrees with qemu: ${op}`, () => {
    const is32 = op.endsWith('32');
    let checked = 0;
    const bad: string[] = [];
    for (const l of byOp.get(op) ?? []) {
      const f = l.split(' ');
      const v = f.slice(2, f.length - 2).map(is32 ? s : d);
      // finite operands only; divisors and sqrt operands with their own special rules excluded
      if (!v.every((x) => Number.isFinite(x))) continue;
      if (op.startsWith('div') && v[1] === 0) continue;
      if (op.startsWith('sqrt') && v[0] < 0) continue;
      if (op === 'cvt.s.d' && v[0] === 0) continue;
      const want = f[f.length - 2];
      st.flags = 0;
      const r = run(Number(f[1]), v);
      const got = is32 ? bits32(r) : op === 'cvt.s.d' ? '00000000' + bits32(r) : bits64(r);
      checked++;
      if (got !== want || st.flags !== parseInt(f[f.length - 1], 16)) bad.push(`${l} => ${got} ${st.flags}`);
    }
    assert.ok(checked > 1000, `only ${checked} finite cases`);
    assert.equal(bad.length, 0, bad.slice(0, 10).join('\n'));
  });
}
