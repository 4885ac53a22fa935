// The JIT tier against the interpreter (the reference): the same programs on a hart with
// jit: 'force' (every page translated at first sight) and on one without, compared
// register by register, plus the JIT's own obligations: exact budgets and instret,
// precise faults, self-modifying code, M-extension corner cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as a from './asm.ts';
import { Hart, STOP_BUDGET, STOP_TRAP, type JitMode } from '../src/index.ts';

const RAM_BASE = 0x80000000;
const RAM_SIZE = 1 << 20;
const RAM_OFFSET = 0x10000;

function mk(jit: JitMode) {
  const memory = new WebAssembly.Memory({ initial: 32, maximum: 32 });
  const h = new Hart({ memory, stateOffset: 0, ramBase: RAM_BASE, ramOffset: RAM_OFFSET, ramSize: RAM_SIZE, jit });
  const dv = new DataView(memory.buffer);
  const code = (pa: number, ...insns: number[]) => {
    const start = pa;
    for (const i of insns) {
      if (i <= 0xffff && (i & 3) !== 3) { dv.setUint16(RAM_OFFSET + pa - RAM_BASE, i, true); pa += 2; }
      else { dv.setUint32(RAM_OFFSET + pa - RAM_BASE, i >>> 0, true); pa += 4; }
    }
    h.notifyPhysWrite(start, pa - start);
    return pa;
  };
  return { h, dv, code };
}

type M = ReturnType<typeof mk>;

/** Run the same setup on the JIT and the interpreter; compare x regs, pc, instret, result. */
function both(setup: (m: M) => void, budget = 100000, check?: (m: M, rc: number) => void): void {
  const res: { x: bigint[]; pc: bigint; instret: number; rc: number }[] = [];
  for (const mode of ['force', false] as JitMode[]) {
    const m = mk(mode);
    assert.equal(m.h.jit !== null, mode !== false);
    setup(m);
    const rc = m.h.run(budget);
    res.push({ x: Array.from({ length: 32 }, (_, i) => m.h.getX(i)), pc: m.h.getPC(), instret: m.h.instret, rc });
    check?.(m, rc);
  }
  assert.deepEqual(res[0], res[1]);
}

const T0 = 5, T1 = 6, T2 = 7, A0 = 10, A1 = 11, A2 = 12;

test('jit: a counted loop with loads and stores matches the interpreter; budget and instret exact', () => {
  const prog = (m: M) => {
    const p = RAM_BASE;
    m.code(p,
      a.auipc(A1, 0x10), // a1 = data (RAM_BASE + 64 KiB)
      a.addi(T0, 0, 100), // t0 = 100
      a.addi(A0, 0, 0),
      // loop:
      a.sd(T0, A1, 0),
      a.ld(T1, A1, 0),
      a.add(A0, A0, T1),
      a.addi(A1, A1, 8),
      a.addi(T0, T0, -1),
      a.bne(T0, 0, -20),
      a.ebreak(),
    );
    m.h.setPC(BigInt(p));
  };
  both(prog);
  for (const budget of [1, 2, 3, 7, 50, 333, 604]) both(prog, budget, (m, rc) => {
    assert.equal(rc, budget < 604 ? STOP_BUDGET : STOP_TRAP);
    assert.equal(m.h.instret, Math.min(budget, 603));
  });
  both(prog, 100000, (m) => assert.equal(m.h.getX(A0), 5050n));
});

test('jit: a load from no memory faults at its own pc with earlier results flushed', () => {
  both((m) => {
    m.code(RAM_BASE,
      a.addi(T0, 0, 42),
      a.lui(A1, 0x10), // 0x10000: not RAM
      a.addi(T1, T0, 1),
      a.ld(T2, A1, 8),
      a.addi(T2, 0, 9),
    );
    m.h.setPC(BigInt(RAM_BASE));
  }, 1000, (m, rc) => {
    assert.equal(rc, STOP_TRAP);
    assert.equal(m.h.readCSR(0x341), BigInt(RAM_BASE + 12)); // mepc: the ld
    assert.equal(m.h.readCSR(0x342), 5n); // load access fault
    assert.equal(m.h.readCSR(0x343), 0x10008n);
    assert.equal(m.h.getX(T1), 43n);
    assert.equal(m.h.instret, 3);
  });
});

test('jit: M extension corner cases (div by zero, overflow, high products)', () => {
  const vals = [0n, 1n, -1n, 2n, -2n, 7n, -7n, 1n << 63n, (1n << 63n) - 1n, 0x123456789abcdefn, -0x0fedcba987654321n, 0xffffffffn, 0x80000000n];
  const ops = [a.mul, a.mulh, a.mulhsu, a.mulhu, a.div, a.divu, a.rem, a.remu, a.mulw, a.divw, a.divuw, a.remw, a.remuw];
  both((m) => {
    const insns: number[] = [];
    let rd = 1;
    void rd;
    for (const op of ops) for (let i = 0; i < 6; i++) insns.push(op(12 + (i % 20), 10, 11));
    m.code(RAM_BASE, ...insns, a.ebreak());
    m.h.setPC(BigInt(RAM_BASE));
  });
  for (const x of vals) for (const y of vals) {
    both((m) => {
      const insns = ops.map((op, i) => op(12 + i, 10, 11));
      m.code(RAM_BASE, ...insns, a.ebreak());
      m.h.setX(10, x); m.h.setX(11, y);
      m.h.setPC(BigInt(RAM_BASE));
    });
  }
});

test('jit: self-modifying code: a store into a translated page retranslates it', () => {
  for (const mode of ['force', true] as JitMode[]) {
    const m = mk(mode);
    // loop: a0 += 1 (patched later to a0 += 100), 200 times; then ebreak
    const p = RAM_BASE + 0x100;
    m.code(p,
      a.addi(T0, 0, 200),
      a.addi(A0, A0, 1), // p+4: patched
      a.addi(T0, T0, -1),
      a.bne(T0, 0, -8),
      a.ebreak(),
    );
    m.h.setPC(BigInt(p));
    assert.equal(m.h.run(100000), STOP_TRAP);
    assert.equal(m.h.getX(A0), 200n);
    // The guest patches its own code: sw of the new instruction, fence.i, then jump back.
    const q = RAM_BASE + 0x200;
    m.code(q,
      a.auipc(A1, 0), // a1 = q
      a.lui(A2, (a.addi(A0, A0, 100) >>> 12) + ((a.addi(A0, A0, 100) & 0x800) ? 1 : 0)),
      a.addi(A2, A2, (a.addi(A0, A0, 100) << 20) >> 20),
      a.sw(A2, A1, 0x104 - 0x200),
      a.fence_i(),
      a.jal(0, p - (q + 20)),
    );
    m.h.setX(A0, 0n);
    m.h.setPC(BigInt(q));
    assert.equal(m.h.run(100000), STOP_TRAP);
    assert.equal(m.h.getX(A0), 20000n, `mode ${mode}`);
    // Without fence.i too (our hart invalidates on the store itself).
    const r = RAM_BASE + 0x300;
    m.code(r, a.auipc(A1, 0), a.sw(A2, A1, 0x104 - 0x300), a.jal(0, p - (r + 8)));
    m.h.setX(A0, 0n);
    m.h.setX(A2, BigInt(a.addi(A0, A0, 3)));
    m.h.setPC(BigInt(r));
    assert.equal(m.h.run(100000), STOP_TRAP);
    assert.equal(m.h.getX(A0), 600n, `mode ${mode}`);
  }
});

test('jit: misaligned and page-crossing accesses, x0 writes, jalr within and across pages', () => {
  both((m) => {
    const p = RAM_BASE + 0xff0;
    m.code(RAM_BASE,
      a.auipc(A1, 2),
      a.addi(A1, A1, -3), // 0x80001ffd: crosses into the next page for ld
      a.addi(T0, 0, -1),
      a.sd(T0, A1, 0),
      a.ld(T1, A1, 0),
      a.lw(T2, A1, 1),
      a.lhu(A2, A1, 5),
      a.addi(0, T0, 5), // x0 stays 0
      a.ld(0, A1, 0),
      a.auipc(A0, 0),
      a.addi(A0, A0, 16),
      a.jalr(1, A0, 0), // to the jal below (same page)
      a.ebreak(),
      a.jal(0, p - (RAM_BASE + 52)), // 52: cross into page end code
    );
    m.code(p,
      a.addi(13, 0, 7),
      a.addi(14, 0, 8),
      a.addi(15, 0, 9),
      a.addi(16, 0, 10), // crosses into the next page by fallthrough
      a.addi(17, 0, 11),
      a.jalr(0, 1, 0), // back to the ebreak
    );
    m.h.setPC(BigInt(RAM_BASE));
  });
});

test('jit: FP loads/stores and OP-FP via the helper; FS off makes them illegal at the right pc', () => {
  both((m) => {
    m.h.writeCSR(0x300, m.h.readCSR(0x300) | (3n << 13n)); // FS = Dirty
    m.code(RAM_BASE,
      a.auipc(A1, 0x10),
      a.addi(T0, 0, 3),
      a.fmv_f(1, T0, 1), // fmv.d.x f1, t0
      a.fop(0x1a, 1, 0, 2, T0, 2), // fcvt.d.l f2, t0
      a.fop(0x00, 1, 0, 3, 2, 2), // fadd.d f3 = f2 + f2
      a.fsd(3, A1, 0),
      a.fld(4, A1, 0),
      a.fop(0x18, 1, 1, A0, 4, 2), // fcvt.l.d a0, f4 (rtz)
      a.fsw(4, A1, 8),
      a.flw(5, A1, 8),
      a.fmv_x(A2, 5, 0),
      a.ebreak(),
    );
    m.h.setPC(BigInt(RAM_BASE));
  }, 1000, (m) => assert.equal(m.h.getX(A0), 6n));
  both((m) => {
    m.h.writeCSR(0x300, m.h.readCSR(0x300) & ~(3n << 13n)); // FS = Off
    m.code(RAM_BASE, a.auipc(A1, 0x10), a.addi(T0, 0, 3), a.fld(4, A1, 0), a.ebreak());
    m.h.setPC(BigInt(RAM_BASE));
  }, 1000, (m, rc) => {
    assert.equal(rc, STOP_TRAP);
    assert.equal(m.h.readCSR(0x342), 2n);
    assert.equal(m.h.readCSR(0x341), BigInt(RAM_BASE + 8));
    assert.equal(m.h.getX(T0), 3n);
  });
});

test('jit: hot mode translates a hot loop (and stays exact)', () => {
  const m = mk(true);
  m.code(RAM_BASE, a.addi(T0, 0, 2000), a.addi(A0, A0, 3), a.addi(T0, T0, -1), a.bne(T0, 0, -8), a.ebreak());
  m.h.setPC(BigInt(RAM_BASE));
  assert.equal(m.h.run(1e6), STOP_TRAP);
  assert.equal(m.h.getX(A0), 6000n);
  assert.equal(m.h.instret, 6001);
  assert.ok(m.h.jit!.compiles >= 1);
});

test('jit: the native f64 fast path (RNE, NX already set, normal result) gives the same results and fflags as the softfloat', () => {
  const D = 1, RNE = 0, DYN = 7;
  both((m) => {
    m.h.writeCSR(0x300, m.h.readCSR(0x300) | (3n << 13n)); // FS = Dirty
    m.code(RAM_BASE,
      a.addi(T0, 0, 3), a.addi(T1, 0, 10),
      a.fop(0x1a, D, RNE, 1, T0, 0), // fcvt.d.w f1 = 3 (exact: no fast path needed, no flag)
      a.fop(0x1a, D, DYN, 2, T1, 2), // fcvt.d.l f2 = 10 (NX clear: the slow path)
      a.csrrs(8, 1, 0), // frflags s0 = 0
      a.fop(0x03, D, DYN, 3, 1, 2), // fdiv f3 = 0.3: inexact, NX set by the slow path
      a.csrrs(9, 1, 0), // s1 = NX
      a.fop(0x02, D, RNE, 4, 3, 3), // fmul f4 = 0.09 (fast)
      a.fop(0x01, D, DYN, 5, 1, 1), // fsub f5 = +0 (zero result: slow)
      a.fop(0x03, D, DYN, 6, 1, 5), // fdiv f6 = inf (DZ, slow)
      a.fop(0x0b, D, DYN, 7, 2, 0), // fsqrt f7 = sqrt(10) (fast)
      a.fop(0x01, D, DYN, 8, 6, 6), // fsub f8 = inf - inf = NaN (NV, canonical NaN)
      a.fop(0x14, D, 2, 18, 8, 8), // feq s2 = (NaN == NaN): quiet, no NV of its own
      a.fop(0x14, D, 1, 19, 3, 1), // flt s3 = 0.3 < 3 (fast)
      a.fop(0x14, D, 0, 20, 1, 3), // fle s4 = 3 <= 0.3 (fast)
      a.fop(0x04, D, 1, 10, 4, 4), // fsgnjn f10 = -0.09
      a.fop(0x04, D, 2, 11, 10, 10), // fsgnjx f11 = +0.09
      a.csrrwi(0, 2, 2), // frm = RDN
      a.fop(0x03, D, DYN, 12, 2, 1), // fdiv f12 = 10/3 rounded down (slow: frm != RNE)
      a.fop(0x03, D, RNE, 13, 2, 1), // fdiv.rne f13 = 10/3 rounded up (fast: static RNE)
      a.csrrwi(0, 2, 0),
      a.fop(0x02, D, DYN, 14, 7, 7), // f14 = sqrt(10)^2 (fast)
      a.csrrs(21, 1, 0), // s5 = NX|DZ|NV
      a.fmv_x(A0, 3, D), a.fmv_x(A1, 4, D), a.fmv_x(A2, 5, D), a.fmv_x(13, 6, D), a.fmv_x(14, 7, D),
      a.fmv_x(15, 8, D), a.fmv_x(16, 10, D), a.fmv_x(17, 11, D), a.fmv_x(22, 12, D), a.fmv_x(23, 13, D),
      a.fmv_x(24, 14, D),
      a.ebreak(),
    );
    m.h.setPC(BigInt(RAM_BASE));
  }, 1000, (m, rc) => {
    assert.equal(rc, STOP_TRAP);
    const f = (r: number) => new Float64Array(new BigUint64Array([m.h.getX(r)]).buffer)[0];
    assert.equal(m.h.getX(8), 0n);
    assert.equal(m.h.getX(9), 1n);
    assert.equal(f(A1), 0.3 * 0.3);
    assert.equal(f(14), Math.sqrt(10));
    assert.equal(m.h.getX(15), 0x7ff8000000000000n);
    assert.equal(m.h.getX(18), 0n);
    assert.equal(m.h.getX(19), 1n);
    assert.equal(m.h.getX(20), 0n);
    assert.equal(f(16), -(0.3 * 0.3));
    assert.equal(f(17), 0.3 * 0.3);
    assert.ok(f(22) < f(23));
    assert.equal(f(23), 10 / 3);
    assert.equal(m.h.getX(21), 0x19n); // NV | DZ | NX
  });
});
