/** What the SEV-SNP machine (vCPU + RMP + PSP) offers the guest code running on it. */
import type { Hart } from '@teeos/riscv';

export interface SevMachine {
  readonly hart: Hart;
  /** Private guest RAM, addressed from ramBase (encrypted with the guest's key, in hardware). */
  readonly ram: Uint8Array;
  readonly ramBase: number;
  /** WRMSR / RDMSR of the GHCB MSR (0xC0010130). */
  writeGhcbMsr(v: bigint): void;
  readGhcbMsr(): bigint;
  /** VMGEXIT: stops the vCPU until the hypervisor resumes it. */
  vmgexit(): void;
  /**
   * The bytes of a page-aligned range of the shared window, or null unless the RMP has every page
   * of it as shared (made so
   * by a Page State Change the hypervisor carried out). Private pages have no host-visible bytes.
   */
  shared(gpa: number, len: number): Uint8Array | null;
  /** RDRAND / RDSEED: the CPU's random source (the hypervisor cannot see or steer it). */
  rdrand(buf: Uint8Array): void;
  /** HLT with interrupts off after the guest's last word: the VM is gone. */
  halt(): void;
}
