// Shared physical regions (an SGX enclave's untrusted shared memory: a SharedArrayBuffer other
// threads use at the same time): never cached in the TLBs, AMOs and LR/SC through Atomics, and
// correct with harts running truly in parallel on other threads. TEEOS_JIT=1|force runs the same
// on the JIT tier (its TLB never holds region pages: every access is the interpreter's slow path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import * as a from './asm.ts';
import { machine, RAM_BASE, s64, u64 } from './util.ts';

const BASE = 0x1_0000_0000;

function shared(size = 8192) {
  const buf = new SharedArrayBuffer(size);
  const m = machine();
  m.h.addRegion({ base: BASE, size, bytes: new Uint8Array(buf), shared: true });
  return { m, buf, dv: new DataView(buf) };
}

test('AMOs on a shared region: results and memory as on RAM (W and D, signed and unsigned min/max)', () => {
  const { m, dv } = shared();
  const VALS = [0n, 1n, -1n, 5n, -0x80000000n, 0x7fffffffn, 0x123456789n, -0x8000000000000000n];
  const ux = (v: bigint, w: boolean) => (w ? BigInt.asUintN(32, v) : u64(v));
  const ops: [string, (x: bigint, y: bigint, w: boolean) => bigint][] = [
    ['add', (x, y) => x + y], ['swap', (_x, y) => y], ['xor', (x, y) => x ^ y], ['or', (x, y) => x | y], ['and', (x, y) => x & y],
    ['min', (x, y) => (x < y ? x : y)], ['max', (x, y) => (x > y ? x : y)],
    ['minu', (x, y, w) => (ux(x, w) < ux(y, w) ? x : y)], ['maxu', (x, y, w) => (ux(x, w) > ux(y, w) ? x : y)],
  ];
  for (const w of [true, false]) for (const [name, ref] of ops) for (const mv of VALS) for (const rv of VALS) {
    const norm = (v: bigint) => (w ? BigInt.asIntN(32, v) : s64(v));
    dv.setBigUint64(16, w ? (0xdeadbeefn << 32n) | BigInt.asUintN(32, mv) : u64(mv), true);
    m.h.setX(1, BigInt(BASE + 16)); m.h.setX(2, u64(rv));
    m.code(RAM_BASE, a.amo(name, !w)(3, 1, 2), a.ecall());
    m.go(RAM_BASE);
    assert.equal(s64(m.h.getX(3)), norm(mv), `${name}.${w ? 'w' : 'd'} old`);
    const want = norm(ref(norm(mv), norm(rv), w));
    if (w) {
      assert.equal(BigInt.asIntN(32, dv.getBigUint64(16, true)), want, `${name}.w ${mv} ${rv}`);
      assert.equal(dv.getBigUint64(16, true) >> 32n, 0xdeadbeefn, 'upper word untouched');
    } else assert.equal(dv.getBigInt64(16, true), want, `${name}.d ${mv} ${rv}`);
  }
});

test('LR/SC on a shared region: compare-exchange against the value LR read (and its ABA caveat)', () => {
  const { m, dv } = shared();
  dv.setBigInt64(0, 5n, true);
  m.h.setX(1, BigInt(BASE)); m.h.setX(2, 77n);
  m.code(RAM_BASE, a.lr_d(3, 1), a.sc_d(4, 1, 2), a.sc_d(5, 1, 2), a.ecall());
  m.go(RAM_BASE);
  assert.equal(m.h.getX(3), 5n);
  assert.equal(m.h.getX(4), 0n);
  assert.equal(m.h.getX(5), 1n, 'the reservation is consumed');
  assert.equal(dv.getBigInt64(0, true), 77n);
  // Another thread changes the word between LR and SC (here: between two runs of the hart,
  // the first stopped by its budget after the LR): the SC fails and writes nothing.
  m.code(RAM_BASE, a.lr_w(3, 1), a.sc_w(4, 1, 2), a.ecall());
  dv.setInt32(0, 10, true);
  m.h.setPC(BigInt(RAM_BASE));
  m.h.run(1); // lr.w only
  dv.setInt32(0, 11, true); // another thread's store
  m.h.run(10);
  assert.equal(m.h.getX(3), 10n);
  assert.equal(m.h.getX(4), 1n, 'SC fails after another thread changed the word');
  assert.equal(dv.getInt32(0, true), 11);
  // ABA: changed and changed back before the SC: the compare-exchange cannot tell, the SC
  // succeeds (real LR/SC would fail; documented in interp.ts).
  m.h.setPC(BigInt(RAM_BASE));
  m.h.run(1);
  dv.setInt32(0, 99, true);
  dv.setInt32(0, 11, true);
  m.h.run(10);
  assert.equal(m.h.getX(4), 0n);
  assert.equal(dv.getInt32(0, true), 77);
});

test('loads and stores on a shared region see other threads\' stores at once (never cached)', () => {
  const { m, dv } = shared();
  m.h.setX(1, BigInt(BASE + 4096));
  m.code(RAM_BASE, a.ld(3, 1, 0), a.addi(3, 3, 1), a.sd(3, 1, 8), a.ecall());
  for (let i = 0; i < 50; i++) { // hot enough for the JIT tier
    dv.setBigInt64(4096, BigInt(i * 1000), true);
    m.go(RAM_BASE);
    assert.equal(dv.getBigInt64(4096 + 8, true), BigInt(i * 1000 + 1));
  }
});

test('harts on two threads incrementing one shared region with AMOs and LR/SC lose no update', async () => {
  const buf = new SharedArrayBuffer(8192);
  const n = 20000;
  const run = () => new Promise<void>((resolve, reject) => {
    // The worker loads the TypeScript fixture through tsx's loader (registered in the worker).
    const src = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(new URL('./fixtures/shared-worker.ts', import.meta.url).href)}); })`;
    const w = new Worker(src, { eval: true, workerData: { buf, base: BASE, n } });
    w.once('message', () => { void w.terminate(); resolve(); });
    w.once('error', reject);
  });
  await Promise.all([run(), run()]);
  const dv = new DataView(buf);
  assert.equal(dv.getInt32(0, true), 2 * n, 'amoadd.w');
  assert.equal(dv.getBigInt64(8, true), BigInt(2 * n), 'lr.d/sc.d');
});
