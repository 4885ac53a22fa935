// Quick interpreter speed check (not a test): node --import tsx packages/riscv/test/mips.ts
import * as a from './asm.ts';
import { machine, RAM_BASE } from './util.ts';

function bench(name: string, insns: number[], setup: (m: ReturnType<typeof machine>) => void): void {
  const m = machine();
  m.code(RAM_BASE, ...insns);
  setup(m);
  m.h.setPC(BigInt(RAM_BASE));
  m.h.run(2_000_000); // warm up
  const N = 30_000_000;
  m.h.setPC(BigInt(RAM_BASE));
  const t0 = performance.now();
  let left = N;
  while (left > 0) { m.h.run(Math.min(left, 1_000_000)); left -= 1_000_000; }
  const dt = (performance.now() - t0) / 1000;
  console.log(`${name}: ${(N / dt / 1e6).toFixed(1)} MIPS`);
}

// ALU loop: counter, xor/shift/add mixing, branch
bench('alu loop', [
  a.addi(5, 5, 1), a.xor(6, 6, 5), a.slli(7, 5, 3), a.add(6, 6, 7), a.srli(9, 6, 7), a.and(9, 9, 10), a.bne(5, 8, -24),
], (m) => { m.h.setX(8, -1n); m.h.setX(10, 0xffn); });
// memory loop: load, add, store, pointer bump within 4 KiB
bench('load/store loop', [
  a.ld(6, 1, 0), a.addi(6, 6, 1), a.sd(6, 1, 0), a.addi(1, 1, 8), a.and(1, 1, 11), a.or(1, 1, 12), a.jal(0, -24),
], (m) => { m.h.setX(1, BigInt(RAM_BASE + 0x10000)); m.h.setX(11, 0xfffn); m.h.setX(12, BigInt(RAM_BASE + 0x10000)); });
// compressed loop
bench('compressed loop', [0x0285 /* c.addi t0,1 */, 0x8f35 /* c.xor a4,a3 */, 0x9736 /* c.add a4,a3 */, 0xbfed /* c.j -6 */], () => {});
// mul/div loop
bench('mul/div loop', [a.mul(6, 5, 5), a.divu(7, 6, 8), a.remu(9, 6, 8), a.addi(5, 5, 1), a.jal(0, -16)], (m) => { m.h.setX(8, 7n); });

// call/return across pages: jal to a leaf 8 KiB away, which returns with jalr
bench('call/return across pages', [a.addi(5, 5, 1), a.jal(1, 0x2000 - 4), a.jal(0, -8)], (m) => {
  m.code(RAM_BASE + 0x2000, a.addi(6, 6, 1), a.jalr(0, 1, 0));
});

// the ALU + load/store loop in U-mode under Sv39 (identity-mapped 2 MiB superpage)
bench('U-mode Sv39 load/store loop', [
  a.ld(6, 1, 0), a.addi(6, 6, 1), a.sd(6, 1, 0), a.addi(1, 1, 8), a.and(1, 1, 11), a.or(1, 1, 12), a.jal(0, -24),
], (m) => {
  const root = RAM_BASE + 0x100000;
  m.h.writeCSR(0x3b0, (1n << 54n) - 1n);
  m.h.writeCSR(0x3a0, 0x1fn);
  const l1 = root + 0x1000;
  m.w64(root + 2 * 8, (BigInt(l1 / 4096) << 10n) | 1n); // VPN[2] = 2 (0x80000000)
  m.w64(l1 + 0, (BigInt(RAM_BASE / 4096) << 10n) | 0xdfn); // 2 MiB leaf: V R W X U A D
  m.h.writeCSR(0x180, (8n << 60n) | BigInt(root / 4096));
  m.h.writeCSR(0x300, 0n); // MPP = U
  m.h.writeCSR(0x341, BigInt(RAM_BASE));
  m.h.mret();
  m.h.setX(1, BigInt(RAM_BASE + 0x10000)); m.h.setX(11, 0xfffn); m.h.setX(12, BigInt(RAM_BASE + 0x10000));
});
