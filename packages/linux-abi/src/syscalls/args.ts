/**
 * Syscall arguments as the riscv64 Linux ABI passes them: a0..a5, number in a7, result in a0.
 * Readers avoid BigInt except where a handler needs all 64 bits.
 */
import type { UserRegisters } from '@teeos/hal';

export class SyscallArgs {
  constructor(private readonly regs: UserRegisters) {}
  /** Register a<i> (x10+i) as an unsigned number; values >= 2^53 come back inexact but >= 2^53. */
  u(i: number): number {
    return (this.regs.getXLo(10 + i) >>> 0) + (this.regs.getXHi(10 + i) >>> 0) * 0x1_0000_0000;
  }
  /** The low 32 bits as a signed int (fd, flags, int arguments). */
  i32(i: number): number {
    return this.regs.getXLo(10 + i) | 0;
  }
  /** As a signed 64-bit number (offsets, lengths that may be negative). */
  i64(i: number): number {
    return (this.regs.getXLo(10 + i) >>> 0) + (this.regs.getXHi(10 + i) | 0) * 0x1_0000_0000;
  }
  big(i: number): bigint {
    return this.regs.getX(10 + i);
  }
}
