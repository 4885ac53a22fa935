// Privileged architecture: CSRs and WARL fields, permission checks, traps and delegation,
// xRET, WFI, interrupts (RISC-V Privileged ISA 20211203 ch. 2-4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as a from './asm.ts';
import { machine, RAM_BASE, type Machine } from './util.ts';
import { Priv, STOP_BUDGET, STOP_TRAP, STOP_WFI } from '../src/index.ts';

const MSTATUS = 0x300, MISA = 0x301, MEDELEG = 0x302, MIDELEG = 0x303, MIE = 0x304, MTVEC = 0x305;
const MCOUNTEREN = 0x306, MEPC = 0x341, MCAUSE = 0x342, MTVAL = 0x343, MIP = 0x344;
const SSTATUS = 0x100, SIE = 0x104, STVEC = 0x105, SCOUNTEREN = 0x106, SEPC = 0x141, SCAUSE = 0x142, STVAL = 0x143, SIP = 0x144;
const SATP = 0x180, CYCLE = 0xc00, TIME = 0xc01, INSTRET = 0xc02, MINSTRET = 0xb02, MHARTID = 0xf14;
const INT = 1n << 63n;

/** Give S/U access to all memory (PMP entry 0 = NAPOT over everything, RWX). */
export function grantAll(m: Machine): void {
  m.h.writeCSR(0x3b0, (1n << 54n) - 1n);
  m.h.writeCSR(0x3a0, 0x1fn);
}

/** Enter `priv` at pc via mret. */
function enter(m: Machine, priv: Priv, pc: number): void {
  const s = m.h.readCSR(MSTATUS) & ~(3n << 11n);
  m.h.writeCSR(MSTATUS, s | (BigInt(priv) << 11n));
  m.h.writeCSR(MEPC, BigInt(pc));
  m.h.mret();
  assert.equal(m.h.priv, priv);
}

test('WARL: misa, mtvec, mepc, medeleg, mideleg, satp, mstatus fields', () => {
  const { h } = machine();
  const misa = h.readCSR(MISA);
  assert.equal(misa >> 62n, 2n); // MXL = 64
  for (const ext of 'ACDFIMSU') assert.ok(misa & (1n << BigInt(ext.charCodeAt(0) - 65)), ext);
  h.writeCSR(MISA, 0n);
  assert.equal(h.readCSR(MISA), misa);
  h.writeCSR(MTVEC, 0x80001003n);
  assert.equal(h.readCSR(MTVEC), 0x80001001n);
  h.writeCSR(MEPC, 0x80000003n);
  assert.equal(h.readCSR(MEPC), 0x80000002n);
  h.writeCSR(MEDELEG, -1n);
  assert.equal(h.readCSR(MEDELEG), 0xb3ffn); // not ecall-from-M (11), not reserved 10/14
  h.writeCSR(MIDELEG, -1n);
  assert.equal(h.readCSR(MIDELEG), 0x222n);
  h.writeCSR(SATP, (8n << 60n) | 0x80123n);
  assert.equal(h.readCSR(SATP), (8n << 60n) | 0x80123n);
  h.writeCSR(SATP, (9n << 60n) | 0x5n); // Sv48 unsupported: whole write ignored
  assert.equal(h.readCSR(SATP), (8n << 60n) | 0x80123n);
  h.writeCSR(SATP, 0n);
  // mstatus: UXL = SXL = 2, MPP = 2 is not stored, SD follows FS = Dirty
  const s0 = h.readCSR(MSTATUS);
  assert.equal((s0 >> 32n) & 0xfn, 0xan);
  h.writeCSR(MSTATUS, 2n << 11n);
  assert.notEqual((h.readCSR(MSTATUS) >> 11n) & 3n, 2n);
  h.writeCSR(MSTATUS, 3n << 13n);
  assert.equal(h.readCSR(MSTATUS) >> 63n, 1n);
  assert.equal(h.readCSR(SSTATUS) >> 63n, 1n);
  // sstatus shows only its fields; writing it cannot touch MIE/MPP
  h.writeCSR(MSTATUS, (1n << 3n) | (3n << 11n) | (1n << 1n));
  assert.equal(h.readCSR(SSTATUS) & 0xffffffffn, 1n << 1n);
  h.writeCSR(SSTATUS, 0n);
  assert.equal(h.readCSR(MSTATUS) & 0xffffffffn, (1n << 3n) | (3n << 11n));
  // sie/sip are views through mideleg
  h.writeCSR(MIDELEG, 0x20n);
  h.writeCSR(MIE, 0xaaan);
  assert.equal(h.readCSR(SIE), 0x20n);
  h.writeCSR(SIE, 0n);
  assert.equal(h.readCSR(MIE), 0xa8an);
  h.writeCSR(MIP, 0xfffn); // only SSIP/STIP/SEIP writable
  assert.equal(h.readCSR(MIP), 0x222n);
  assert.equal(h.readCSR(SIP), 0x20n);
  assert.equal(h.readCSR(MHARTID), 0n);
  assert.throws(() => h.readCSR(0x7c0));
});

test('CSR instructions: read/set/clear, x0 source does not write, immediate forms', () => {
  const m = machine();
  m.code(RAM_BASE,
    a.csrrw(5, 0x340, 1),   // mscratch <- x1, x5 <- old
    a.csrrs(6, 0x340, 2),   // set bits
    a.csrrc(7, 0x340, 3),   // clear bits
    a.csrrwi(8, 0x340, 31),
    a.csrrsi(9, 0x340, 0),  // read only
    a.csrrci(10, 0x340, 1),
    a.csrrs(11, 0xf14, 0),  // read-only CSR with x0 source: fine
    a.ecall());
  m.h.writeCSR(0x340, 0x77n);
  m.h.setX(1, 0xf0n); m.h.setX(2, 0x0fn); m.h.setX(3, 0x11n);
  assert.equal(m.go(RAM_BASE), STOP_TRAP);
  assert.equal(m.mcause(), 11n);
  assert.equal(m.h.getX(5), 0x77n);
  assert.equal(m.h.getX(6), 0xf0n);
  assert.equal(m.h.getX(7), 0xffn);
  assert.equal(m.h.getX(8), 0xeen);
  assert.equal(m.h.getX(9), 31n);
  assert.equal(m.h.getX(10), 31n);
  assert.equal(m.h.readCSR(0x340), 30n);
  // writing a read-only CSR is illegal even in M-mode
  m.code(RAM_BASE, a.csrrw(0, 0xf14, 1));
  assert.equal(m.go(RAM_BASE), STOP_TRAP);
  assert.equal(m.mcause(), 2n);
  assert.equal(m.h.readCSR(MTVAL), BigInt(a.csrrw(0, 0xf14, 1)));
  // nonexistent CSR
  m.code(RAM_BASE, a.csrrs(1, 0x7c0, 0));
  assert.equal(m.go(RAM_BASE), STOP_TRAP);
  assert.equal(m.mcause(), 2n);
});

test('U-mode: M/S CSRs are illegal (tval = instruction); counters need [ms]counteren', () => {
  const m = machine();
  grantAll(m);
  const probe = (insn: number, priv: Priv) => {
    m.code(RAM_BASE + 0x1000, insn, a.ecall());
    enter(m, priv, RAM_BASE + 0x1000);
    assert.equal(m.h.run(10), STOP_TRAP);
    return m.h.readCSR(MCAUSE);
  };
  for (const csr of [MSTATUS, SSTATUS, SATP, MHARTID, 0x3a0]) {
    const insn = a.csrrs(1, csr, 0);
    assert.equal(probe(insn, Priv.U), 2n, csr.toString(16));
    assert.equal(m.h.readCSR(MTVAL), BigInt(insn));
    assert.equal(m.h.readCSR(MEPC), BigInt(RAM_BASE + 0x1000));
    assert.equal(m.h.priv, Priv.M);
    assert.equal((m.h.readCSR(MSTATUS) >> 11n) & 3n, 0n); // MPP = U
  }
  assert.equal(probe(a.csrrs(1, SSTATUS, 0), Priv.S), 9n); // allowed in S: reaches the ecall
  assert.equal(probe(a.csrrs(1, MSTATUS, 0), Priv.S), 2n);
  // counters
  m.h.writeCSR(MCOUNTEREN, 0n);
  m.h.writeCSR(SCOUNTEREN, 0n);
  for (const c of [CYCLE, TIME, INSTRET]) {
    assert.equal(probe(a.csrrs(1, c, 0), Priv.U), 2n);
    assert.equal(probe(a.csrrs(1, c, 0), Priv.S), 2n);
  }
  m.h.writeCSR(MCOUNTEREN, 7n);
  for (const c of [CYCLE, TIME, INSTRET]) {
    assert.equal(probe(a.csrrs(1, c, 0), Priv.U), 2n);
    assert.equal(probe(a.csrrs(1, c, 0), Priv.S), 9n);
  }
  m.h.writeCSR(SCOUNTEREN, 7n);
  for (const c of [CYCLE, TIME, INSTRET]) assert.equal(probe(a.csrrs(1, c, 0), Priv.U), 8n);
  // instret counts retired instructions
  const before = m.h.instret;
  m.code(RAM_BASE, a.addi(1, 0, 1), a.addi(1, 0, 1), a.csrrs(2, INSTRET, 0), a.ecall());
  enter(m, Priv.M, RAM_BASE);
  m.h.run(10);
  assert.equal(m.h.getX(2), BigInt(before + 2));
  assert.equal(m.h.instret, before + 3);
  m.h.writeCSR(MINSTRET, 1000n);
  assert.equal(m.h.readCSR(INSTRET), 1000n);
});

test('ecall causes from U/S/M and delegation to S', () => {
  const m = machine();
  grantAll(m);
  m.code(RAM_BASE + 0x100, a.ecall());
  m.h.writeCSR(MTVEC, BigInt(RAM_BASE + 0x400));
  m.h.writeCSR(STVEC, BigInt(RAM_BASE + 0x800));
  for (const [p, cause] of [[Priv.U, 8n], [Priv.S, 9n], [Priv.M, 11n]] as const) {
    enter(m, p, RAM_BASE + 0x100);
    assert.equal(m.h.run(5), STOP_TRAP);
    assert.equal(m.h.readCSR(MCAUSE), cause);
    assert.equal(m.h.readCSR(MEPC), BigInt(RAM_BASE + 0x100));
    assert.equal(m.h.getPC(), BigInt(RAM_BASE + 0x400));
    assert.equal(m.h.priv, Priv.M);
    assert.equal((m.h.readCSR(MSTATUS) >> 11n) & 3n, BigInt(p));
  }
  // delegate U ecalls to S
  m.h.writeCSR(MEDELEG, 1n << 8n);
  m.h.writeCSR(MSTATUS, m.h.readCSR(MSTATUS) | 2n); // SIE = 1 -> SPIE after trap
  enter(m, Priv.U, RAM_BASE + 0x100);
  assert.equal(m.h.run(5), STOP_TRAP);
  assert.equal(m.h.priv, Priv.S);
  assert.equal(m.h.readCSR(SCAUSE), 8n);
  assert.equal(m.h.readCSR(SEPC), BigInt(RAM_BASE + 0x100));
  assert.equal(m.h.getPC(), BigInt(RAM_BASE + 0x800));
  const ss = m.h.readCSR(SSTATUS);
  assert.equal((ss >> 8n) & 1n, 0n); // SPP = U
  assert.equal((ss >> 5n) & 1n, 1n); // SPIE = old SIE
  assert.equal((ss >> 1n) & 1n, 0n); // SIE cleared
  // the TypeScript handler returns: sepc += 4, sret -> back in U after the ecall
  m.code(RAM_BASE + 0x104, a.addi(9, 0, 42), a.ecall());
  m.h.writeCSR(SEPC, m.h.readCSR(SEPC) + 4n);
  m.h.sret();
  assert.equal(m.h.priv, Priv.U);
  assert.equal(m.h.run(5), STOP_TRAP);
  assert.equal(m.h.getX(9), 42n);
  // an S-mode ecall is not delegated (bit 9 clear) -> M
  enter(m, Priv.S, RAM_BASE + 0x100);
  m.h.run(5);
  assert.equal(m.h.priv, Priv.M);
  assert.equal(m.h.readCSR(MCAUSE), 9n);
  // delegation never lowers privilege: an M-mode exception stays in M even if delegated
  m.h.writeCSR(MEDELEG, 1n << 2n);
  m.code(RAM_BASE + 0x100, 0);
  enter(m, Priv.M, RAM_BASE + 0x100);
  m.h.run(5);
  assert.equal(m.h.priv, Priv.M);
  assert.equal(m.h.readCSR(MCAUSE), 2n);
});

test('mret/sret instructions, TSR, TVM, TW, wfi', () => {
  const m = machine();
  grantAll(m);
  // M-mode code drops to U with mret
  m.code(RAM_BASE, a.csrrw(0, MEPC, 1), a.mret());
  m.code(RAM_BASE + 0x200, a.addi(3, 0, 7), a.ecall());
  m.h.setX(1, BigInt(RAM_BASE + 0x200));
  m.h.writeCSR(MSTATUS, (0n << 11n) | (1n << 7n)); // MPP = U, MPIE = 1
  assert.equal(m.go(RAM_BASE), STOP_TRAP);
  assert.equal(m.h.readCSR(MCAUSE), 8n);
  assert.equal(m.h.getX(3), 7n);
  // mret from S and sret from U are illegal
  for (const [insn, p] of [[a.mret(), Priv.S], [a.sret(), Priv.U], [a.sfence_vma(), Priv.U], [a.wfi(), Priv.U]] as const) {
    m.code(RAM_BASE + 0x300, insn);
    enter(m, p, RAM_BASE + 0x300);
    assert.equal(m.h.run(5), STOP_TRAP);
    assert.equal(m.h.readCSR(MCAUSE), 2n, insn.toString(16));
    assert.equal(m.h.readCSR(MTVAL), BigInt(insn));
  }
  // TSR / TVM / TW trap the S-mode instructions
  const TVM = 1n << 20n, TW = 1n << 21n, TSR = 1n << 22n;
  for (const [insn, bit] of [[a.sret(), TSR], [a.sfence_vma(), TVM], [a.csrrs(1, SATP, 0), TVM], [a.wfi(), TW]] as const) {
    m.code(RAM_BASE + 0x300, insn, a.ecall());
    m.h.writeCSR(MSTATUS, bit);
    enter(m, Priv.S, RAM_BASE + 0x300);
    assert.equal(m.h.run(5), STOP_TRAP);
    assert.equal(m.h.readCSR(MCAUSE), 2n);
    m.h.writeCSR(MSTATUS, 0n);
    enter(m, Priv.S, RAM_BASE + 0x300);
    const r = m.h.run(5);
    if (insn === a.wfi()) assert.equal(r, STOP_WFI);
    else if (insn !== a.sret()) assert.equal(m.h.readCSR(MCAUSE), 9n);
  }
  // sret in S returns to SPP with SIE = SPIE
  m.code(RAM_BASE, a.sret());
  m.code(RAM_BASE + 0x500, a.ecall());
  m.h.writeCSR(SEPC, BigInt(RAM_BASE + 0x500));
  m.h.writeCSR(MSTATUS, 1n << 5n); // SPIE = 1, SPP = U
  enter(m, Priv.S, RAM_BASE);
  m.h.writeCSR(MSTATUS, m.h.readCSR(MSTATUS) | (1n << 5n));
  assert.equal(m.h.run(5), STOP_TRAP);
  assert.equal(m.h.readCSR(MCAUSE), 8n);
  assert.equal((m.h.readCSR(MSTATUS) >> 1n) & 1n, 1n);
  // wfi in M: STOP_WFI with pc after it
  m.code(RAM_BASE, a.wfi(), a.ecall());
  assert.equal(m.go(RAM_BASE), STOP_WFI);
  assert.equal(m.h.getPC(), BigInt(RAM_BASE + 4));
});

test('interrupts: enables, priority, delegation, vectored mtvec, enabling mid-run', () => {
  const m = machine();
  grantAll(m);
  const loop = RAM_BASE + 0x100;
  m.code(loop, a.addi(1, 1, 1), a.jal(0, -4));
  m.h.writeCSR(MTVEC, BigInt(RAM_BASE + 0x1000));
  // pending but not enabled in mie: keeps running
  m.h.setInterruptPending(7, true);
  enter(m, Priv.M, loop);
  assert.equal(m.h.run(50), STOP_BUDGET);
  // enabled in mie but M-mode with MIE = 0: still not taken
  m.h.writeCSR(MIE, 1n << 7n);
  assert.equal(m.h.run(50), STOP_BUDGET);
  // U-mode: M interrupts are always enabled below M
  enter(m, Priv.U, loop);
  assert.equal(m.h.run(50), STOP_TRAP);
  assert.equal(m.h.readCSR(MCAUSE), INT | 7n);
  assert.equal(m.h.readCSR(MEPC), BigInt(loop));
  assert.equal(m.h.priv, Priv.M);
  // vectored: pc = base + 4 * cause
  m.h.writeCSR(MTVEC, BigInt(RAM_BASE + 0x1000) | 1n);
  enter(m, Priv.U, loop);
  m.h.run(50);
  assert.equal(m.h.getPC(), BigInt(RAM_BASE + 0x1000 + 4 * 7));
  m.h.setInterruptPending(7, false);
  // priority: MEI over MSI over MTI
  m.h.writeCSR(MIE, 0x888n);
  m.h.setInterruptPending(3, true); m.h.setInterruptPending(7, true); m.h.setInterruptPending(11, true);
  enter(m, Priv.U, loop);
  m.h.run(50);
  assert.equal(m.h.readCSR(MCAUSE), INT | 11n);
  m.h.setInterruptPending(11, false);
  enter(m, Priv.U, loop);
  m.h.run(50);
  assert.equal(m.h.readCSR(MCAUSE), INT | 3n);
  m.h.setInterruptPending(3, false); m.h.setInterruptPending(7, false);
  // delegated supervisor timer: taken in S from U, not taken in S with SIE = 0
  m.h.writeCSR(MTVEC, BigInt(RAM_BASE + 0x1000));
  m.h.writeCSR(STVEC, BigInt(RAM_BASE + 0x2000));
  m.h.writeCSR(MIDELEG, 1n << 5n);
  m.h.writeCSR(MIE, 1n << 5n);
  m.h.writeCSR(MIP, 1n << 5n); // STIP is writable by M software
  enter(m, Priv.S, loop);
  assert.equal(m.h.run(50), STOP_BUDGET);
  enter(m, Priv.U, loop);
  assert.equal(m.h.run(50), STOP_TRAP);
  assert.equal(m.h.priv, Priv.S);
  assert.equal(m.h.readCSR(SCAUSE), INT | 5n);
  assert.equal(m.h.getPC(), BigInt(RAM_BASE + 0x2000));
  // M-mode code enabling MIE with a pending interrupt: taken right after the csr write
  m.h.writeCSR(MIP, 0n);
  m.h.writeCSR(MIDELEG, 0n);
  m.h.writeCSR(MIE, 1n << 7n);
  m.h.setInterruptPending(7, true);
  m.h.writeCSR(MSTATUS, 3n << 11n);
  m.code(RAM_BASE + 0x600, a.addi(5, 0, 1), a.csrrsi(0, MSTATUS, 8), a.addi(5, 0, 2));
  enter(m, Priv.M, RAM_BASE + 0x600);
  assert.equal(m.h.run(50), STOP_TRAP);
  assert.equal(m.h.getX(5), 1n);
  assert.equal(m.h.readCSR(MEPC), BigInt(RAM_BASE + 0x608));
  assert.equal(m.h.readCSR(MCAUSE), INT | 7n);
  // wfi with an interrupt pending in mie but globally disabled: continues
  m.code(RAM_BASE + 0x700, a.wfi(), a.addi(6, 0, 9), a.ecall());
  m.h.writeCSR(MSTATUS, 3n << 11n);
  enter(m, Priv.M, RAM_BASE + 0x700);
  assert.equal(m.h.run(50), STOP_TRAP);
  assert.equal(m.h.getX(6), 9n);
  assert.equal(m.h.readCSR(MCAUSE), 11n);
  m.h.setInterruptPending(7, false);
  void TIME; void STVAL; void SIP;
});
