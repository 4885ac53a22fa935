// Sv39 translation (Privileged ISA 4.3-4.4), Svade A/D faults, SUM/MXR/MPRV, TLB flushes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as a from './asm.ts';
import { machine, RAM_BASE, type Machine } from './util.ts';
import { Priv, STOP_TRAP } from '../src/index.ts';

const V = 1n, R = 2n, W = 4n, X = 8n, U = 16n, A = 64n, D = 128n;
const MSTATUS = 0x300, MEPC = 0x341, MCAUSE = 0x342, MTVAL = 0x343, SATP = 0x180;
const SUM = 1n << 18n, MXR = 1n << 19n, MPRV = 1n << 17n;
const ROOT = RAM_BASE + 0x100000;

class PageTables {
  next = ROOT + 0x1000;
  constructor(readonly m: Machine) {
    for (let i = 0; i < 512; i++) m.w64(ROOT + i * 8, 0n);
  }
  private table(): number {
    const t = this.next;
    this.next += 0x1000;
    for (let i = 0; i < 512; i++) this.m.w64(t + i * 8, 0n);
    return t;
  }
  /** Map va -> pa with a leaf at `level` (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB). */
  map(va: number, pa: number, flags: bigint, level = 0): number {
    let t = ROOT;
    for (let l = 2; l > level; l--) {
      const idx = Math.floor(va / 2 ** (12 + 9 * l)) % 512;
      const pteAddr = t + idx * 8;
      let pte = this.m.r64(pteAddr);
      if (!(pte & V)) {
        const nt = this.table();
        pte = (BigInt(nt / 4096) << 10n) | V;
        this.m.w64(pteAddr, pte);
      }
      t = Number(BigInt.asUintN(64, pte) >> 10n) * 4096;
    }
    const idx = Math.floor(va / 2 ** (12 + 9 * level)) % 512;
    this.m.w64(t + idx * 8, (BigInt(Math.floor(pa / 4096)) << 10n) | flags);
    return t + idx * 8;
  }
}

function setup(): { m: Machine; pt: PageTables } {
  const m = machine();
  // PMP: everything RWX for S/U
  m.h.writeCSR(0x3b0, (1n << 54n) - 1n);
  m.h.writeCSR(0x3a0, 0x1fn);
  const pt = new PageTables(m);
  m.h.writeCSR(SATP, (8n << 60n) | BigInt(ROOT / 4096));
  m.h.writeCSR(0x305, BigInt(RAM_BASE)); // mtvec
  return { m, pt };
}

function enter(m: Machine, priv: Priv, pc: number, extra = 0n): void {
  m.h.writeCSR(MSTATUS, (BigInt(priv) << 11n) | extra);
  m.h.writeCSR(MEPC, BigInt(pc));
  m.h.mret();
}

const CODE_VA = 0x10000;
const CODE_PA = RAM_BASE + 0x20000;

/** Run `insns` in `priv` from CODE_VA (mapped RX for that privilege); returns mcause. */
function runAt(m: Machine, pt: PageTables, priv: Priv, insns: number[], extra = 0n): bigint {
  pt.map(CODE_VA, CODE_PA, V | R | X | A | (priv === Priv.U ? U : 0n));
  m.code(CODE_PA, ...insns, a.ecall());
  m.h.flushTLB();
  enter(m, priv, CODE_VA, extra);
  assert.equal(m.h.run(100), STOP_TRAP);
  return m.h.readCSR(MCAUSE);
}

test('Sv39 4 KiB pages: loads, stores and fetches go to the mapped frames', () => {
  const { m, pt } = setup();
  pt.map(0x40000, RAM_BASE + 0x30000, V | R | W | A | D | U);
  m.w64(RAM_BASE + 0x30010, 0x1122334455667788n);
  m.h.setX(1, 0x40010n);
  const c = runAt(m, pt, Priv.U, [a.ld(2, 1, 0), a.addi(3, 0, 99), a.sd(3, 1, 8)]);
  assert.equal(c, 8n);
  assert.equal(m.h.getX(2), 0x1122334455667788n);
  assert.equal(m.r64(RAM_BASE + 0x30018), 99n);
  assert.equal(m.h.readCSR(MEPC), BigInt(CODE_VA + 12));
  // negative (high half) virtual addresses
  pt.map(0xffffffffc0000000, RAM_BASE + 0x31000, V | R | W | A | D);
  m.w64(RAM_BASE + 0x31008, 0x5a5an);
  m.h.setX(1, -0x40000000n + 8n);
  assert.equal(runAt(m, pt, Priv.S, [a.ld(2, 1, 0)]), 9n);
  assert.equal(m.h.getX(2), 0x5a5an);
});

test('superpages: 2 MiB and 1 GiB leaves; misaligned superpage faults', () => {
  const { m, pt } = setup();
  pt.map(0x200000, RAM_BASE, V | R | W | A | D, 1); // 2 MiB
  pt.map(0x40000000, RAM_BASE, V | R | W | A | D, 2); // 1 GiB (PA 2 GiB-aligned)
  m.w64(RAM_BASE + 0x54328, 0xabcdefn);
  m.h.setX(1, 0x254328n);
  m.h.setX(4, 0x40054328n);
  assert.equal(runAt(m, pt, Priv.S, [a.ld(2, 1, 0), a.ld(5, 4, 0)]), 9n);
  assert.equal(m.h.getX(2), 0xabcdefn);
  assert.equal(m.h.getX(5), 0xabcdefn);
  // 2 MiB leaf whose PPN[0] != 0
  pt.map(0x600000, RAM_BASE + 0x1000, V | R | W | A | D, 1);
  m.h.setX(1, 0x600010n);
  assert.equal(runAt(m, pt, Priv.S, [a.ld(2, 1, 0)]), 13n);
  assert.equal(m.h.readCSR(MTVAL), 0x600010n);
  // 1 GiB leaf whose PPN[1] != 0
  pt.map(0x80000000, RAM_BASE + 0x200000, V | R | W | A | D, 2);
  m.h.setX(1, 0x80000010n);
  assert.equal(runAt(m, pt, Priv.S, [a.sd(2, 1, 0)]), 15n);
});

test('Svade: A = 0 faults, store with D = 0 faults, load with D = 0 is fine', () => {
  const { m, pt } = setup();
  pt.map(0x50000, RAM_BASE + 0x30000, V | R | W);
  m.h.setX(1, 0x50000n);
  assert.equal(runAt(m, pt, Priv.S, [a.ld(2, 1, 0)]), 13n);
  pt.map(0x50000, RAM_BASE + 0x30000, V | R | W | A);
  assert.equal(runAt(m, pt, Priv.S, [a.ld(2, 1, 0)]), 9n);
  assert.equal(runAt(m, pt, Priv.S, [a.sd(2, 1, 0)]), 15n);
  assert.equal(m.h.readCSR(MTVAL), 0x50000n);
  pt.map(0x50000, RAM_BASE + 0x30000, V | R | W | A | D);
  assert.equal(runAt(m, pt, Priv.S, [a.sd(2, 1, 0)]), 9n);
  // fetch from a page with A = 0
  pt.map(CODE_VA + 0x1000, CODE_PA + 0x1000, V | R | X);
  m.h.setX(1, BigInt(CODE_VA + 0x1000));
  assert.equal(runAt(m, pt, Priv.S, [a.jalr(0, 1, 0)]), 12n);
  assert.equal(m.h.readCSR(MTVAL), BigInt(CODE_VA + 0x1000));
  assert.equal(m.h.readCSR(MEPC), BigInt(CODE_VA + 0x1000));
});

test('U bit, SUM, MXR, X, invalid and reserved PTEs, non-canonical addresses', () => {
  const { m, pt } = setup();
  pt.map(0x60000, RAM_BASE + 0x30000, V | R | W | A | D);      // supervisor page
  pt.map(0x61000, RAM_BASE + 0x30000, V | R | W | A | D | U);  // user page
  pt.map(0x62000, RAM_BASE + 0x30000, V | X | A | U);          // execute-only user page
  pt.map(0x63000, RAM_BASE + 0x30000, V | W | A | D);          // W without R: reserved
  pt.map(0x64000, RAM_BASE + 0x30000, V | R | A | (1n << 60n)); // reserved bits 63:54 set
  m.h.setX(1, 0x60000n);
  assert.equal(runAt(m, pt, Priv.U, [a.ld(2, 1, 0)]), 13n); // U cannot touch S pages
  m.h.setX(1, 0x61000n);
  assert.equal(runAt(m, pt, Priv.S, [a.ld(2, 1, 0)]), 13n); // S cannot touch U pages without SUM
  assert.equal(runAt(m, pt, Priv.S, [a.ld(2, 1, 0)], SUM), 9n);
  assert.equal(runAt(m, pt, Priv.S, [a.sd(2, 1, 0)], SUM), 9n);
  // S can never execute from a U page, even with SUM
  m.h.setX(1, 0x61000n);
  pt.map(0x61000, RAM_BASE + 0x30000, V | R | X | A | U);
  assert.equal(runAt(m, pt, Priv.S, [a.jalr(0, 1, 0)], SUM), 12n);
  // MXR makes X pages readable
  m.h.setX(1, 0x62000n);
  assert.equal(runAt(m, pt, Priv.U, [a.ld(2, 1, 0)]), 13n);
  assert.equal(runAt(m, pt, Priv.U, [a.ld(2, 1, 0)], MXR), 8n);
  // fetch from a non-X page
  m.h.setX(1, 0x60000n);
  assert.equal(runAt(m, pt, Priv.S, [a.jalr(0, 1, 0)]), 12n);
  // reserved encodings
  m.h.setX(1, 0x63000n);
  assert.equal(runAt(m, pt, Priv.S, [a.ld(2, 1, 0)]), 13n);
  m.h.setX(1, 0x64000n);
  assert.equal(runAt(m, pt, Priv.S, [a.ld(2, 1, 0)]), 13n);
  // unmapped
  m.h.setX(1, 0x7000000n);
  assert.equal(runAt(m, pt, Priv.S, [a.sw(2, 1, 0)]), 15n);
  // non-canonical: bits 63:39 differ from bit 38
  m.h.setX(1, 0x8000000000n);
  assert.equal(runAt(m, pt, Priv.S, [a.ld(2, 1, 0)]), 13n);
  assert.equal(m.h.readCSR(MTVAL), 0x8000000000n);
});

test('misaligned access across a page boundary into a different frame, and a fault on the second page', () => {
  const { m, pt } = setup();
  pt.map(0x70000, RAM_BASE + 0x40000, V | R | W | A | D);
  pt.map(0x71000, RAM_BASE + 0x33000, V | R | W | A | D); // not contiguous
  m.h.setX(1, 0x70ffcn);
  m.h.setX(3, 0x0102030405060708n);
  assert.equal(runAt(m, pt, Priv.S, [a.sd(3, 1, 0), a.ld(2, 1, 0), a.lhu(4, 1, 3)]), 9n);
  assert.equal(m.h.getX(2), 0x0102030405060708n);
  assert.equal(m.r32(RAM_BASE + 0x40ffc), 0x05060708);
  assert.equal(m.r32(RAM_BASE + 0x33000), 0x01020304);
  assert.equal(m.h.getX(4), 0x0405n);
  // second page unmapped: the store faults with tval = that page and writes nothing
  pt.map(0x71000, 0, 0n);
  m.h.flushTLB();
  m.w64(RAM_BASE + 0x40ff8, 0n);
  m.h.setX(3, -1n);
  assert.equal(runAt(m, pt, Priv.S, [a.sd(3, 1, 0)]), 15n);
  assert.equal(m.h.readCSR(MTVAL), 0x71000n);
  assert.equal(m.r64(RAM_BASE + 0x40ff8), 0n);
});

test('TLB: a changed PTE is seen after sfence.vma; satp writes flush; MPRV translates M-mode data', () => {
  const { m, pt } = setup();
  m.w64(RAM_BASE + 0x30000, 1n);
  m.w64(RAM_BASE + 0x31000, 2n);
  pt.map(0x90000, RAM_BASE + 0x30000, V | R | W | A | D);
  m.h.setX(1, 0x90000n);
  assert.equal(runAt(m, pt, Priv.S, [a.ld(2, 1, 0)]), 9n);
  assert.equal(m.h.getX(2), 1n);
  // remap and sfence.vma in the guest
  pt.map(0x90000, RAM_BASE + 0x31000, V | R | W | A | D);
  pt.map(CODE_VA, CODE_PA, V | R | X | A);
  m.code(CODE_PA, a.sfence_vma(), a.ld(2, 1, 0), a.ecall());
  enter(m, Priv.S, CODE_VA);
  m.h.run(10);
  assert.equal(m.h.getX(2), 2n);
  // MPRV with MPP = S: M-mode loads go through the page table
  m.code(RAM_BASE + 0x8000, a.ld(2, 1, 0), a.ecall());
  m.h.writeCSR(MSTATUS, (3n << 11n));
  m.h.writeCSR(MEPC, BigInt(RAM_BASE + 0x8000));
  m.h.mret(); // now M with MPP = U
  m.h.writeCSR(MSTATUS, MPRV | (1n << 11n)); // MPP = S
  m.h.setX(2, 0n);
  assert.equal(m.h.run(10), STOP_TRAP);
  assert.equal(m.h.readCSR(MCAUSE), 11n);
  assert.equal(m.h.getX(2), 2n);
  // satp = bare: the same M-mode code with MPRV now reads physical 0x90000 -> access fault
  m.h.writeCSR(SATP, 0n);
  m.h.writeCSR(MSTATUS, MPRV | (3n << 11n) | (1n << 11n));
  m.h.writeCSR(MSTATUS, MPRV | (1n << 11n));
  m.h.setPC(BigInt(RAM_BASE + 0x8000));
  m.h.priv = Priv.M;
  assert.equal(m.h.run(10), STOP_TRAP);
  assert.equal(m.h.readCSR(MCAUSE), 5n);
});

test('page-table walk reads are PMP-checked as S-mode: denied -> access fault', () => {
  const { m, pt } = setup();
  pt.map(0xa0000, RAM_BASE + 0x30000, V | R | W | A | D);
  pt.map(CODE_VA, CODE_PA, V | R | X | A);
  m.code(CODE_PA, a.ld(2, 1, 0), a.ecall());
  // PMP: entry 0 TOR [0, ROOT) RWX, entry 1 TOR [ROOT, ROOT+2M) no access, entry 2 everything RWX
  m.h.writeCSR(0x3b0, BigInt(ROOT / 4));
  m.h.writeCSR(0x3b1, BigInt((ROOT + 0x200000) / 4));
  m.h.writeCSR(0x3b2, (1n << 54n) - 1n);
  m.h.writeCSR(0x3a0, BigInt(0x0f | (0x08 << 8) | (0x1f << 16)));
  m.h.setX(1, 0xa0000n);
  enter(m, Priv.S, CODE_VA);
  assert.equal(m.h.run(10), STOP_TRAP);
  assert.equal(m.h.readCSR(MCAUSE), 1n); // the fetch's own walk is denied
  assert.equal(m.h.readCSR(MTVAL), BigInt(CODE_VA));
  // M-mode fetch (physical, unchecked) with MPRV/MPP = S: the load's walk is denied -> load access fault
  m.code(RAM_BASE + 0x8000, a.ld(2, 1, 0), a.ecall());
  enter(m, Priv.M, RAM_BASE + 0x8000, MPRV | (1n << 11n));
  m.h.writeCSR(MSTATUS, MPRV | (1n << 11n));
  assert.equal(m.h.run(10), STOP_TRAP);
  assert.equal(m.h.readCSR(MCAUSE), 5n);
  assert.equal(m.h.readCSR(MTVAL), 0xa0000n);
  // now allow the table region: the load succeeds
  m.h.writeCSR(0x3a0, BigInt(0x0f | (0x09 << 8) | (0x1f << 16)));
  enter(m, Priv.M, RAM_BASE + 0x8000);
  m.h.writeCSR(MSTATUS, MPRV | (1n << 11n));
  assert.equal(m.h.run(10), STOP_TRAP);
  assert.equal(m.h.readCSR(MCAUSE), 11n);
});
