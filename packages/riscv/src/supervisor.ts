/**
 * A kernel in the host language driving a hart as its supervisor: what the trap entry and
 * exit code of a RISC-V kernel does (sret to U-mode at the saved pc, take the trap back
 * in S-mode and read scause/sepc/stval), for platforms whose kernel owns the hart's S-mode
 * (Keystone's runtime, the SEV-SNP guest kernel). SGX has no such thing (EENTER/AEX/SSA).
 *
 * This is the hot path of every system call, so it uses the hart's int32-halves accessors:
 * no BigInt on the way in or out of user mode.
 */
import type { Hart } from './hart.ts';
import { CSR_FCSR, CSR_SCAUSE, CSR_SEPC, CSR_STVAL, MSTATUS_SPP, Priv, STOP_TRAP } from './constants.ts';

const CAUSE_ECALL_U = 8;

/** Why user mode stopped (structurally the HAL's UserTrap). */
export type HartUserTrap =
  | { kind: 'syscall' }
  | { kind: 'budget' }
  | { kind: 'interrupt'; cause: number }
  | { kind: 'exception'; cause: number; tval: bigint; pc: bigint };

const SYSCALL: HartUserTrap = { kind: 'syscall' };
const BUDGET: HartUserTrap = { kind: 'budget' };

/**
 * Runs user code for at most `budget` instructions from the hart's pc. When the hart is in
 * S-mode (it took the previous trap), returns to U-mode first as `sret` with sepc = pc and
 * SPP = U. Afterwards the hart's pc is the user pc of the trap (sepc), not stvec.
 */
export function runUserOnHart(h: Hart, budget: number): HartUserTrap {
  if (h.priv !== Priv.U) {
    h.writeCSRParts(CSR_SEPC, h.getPCLo(), h.getPCHi());
    // sret takes SPP from mstatus; clearing it selects U-mode (sstatus is a view of mstatus).
    h.mstatus &= ~MSTATUS_SPP;
    h.sret();
  }
  const stop = h.run(budget);
  if (stop !== STOP_TRAP) return BUDGET; // STOP_BUDGET, or WFI (none in U-mode)
  const [causeLo, causeHi] = h.readCSRParts(CSR_SCAUSE);
  const [epcLo, epcHi] = h.readCSRParts(CSR_SEPC);
  h.setPCParts(epcLo, epcHi);
  if (causeHi < 0) return { kind: 'interrupt', cause: causeLo & 0xff };
  if (causeLo === CAUSE_ECALL_U) return SYSCALL;
  return { kind: 'exception', cause: causeLo, tval: h.readCSR(CSR_STVAL), pc: h.getPC() };
}

/** The user registers of a hart, as the kernel sees them (structurally the HAL's UserRegisters). */
export class HartUserRegisters {
  constructor(private readonly h: Hart) {}
  getX(i: number): bigint { return this.h.getX(i); }
  setX(i: number, v: bigint): void { this.h.setX(i, v); }
  getXLo(i: number): number { return this.h.getXLo(i); }
  getXHi(i: number): number { return this.h.getXHi(i); }
  setXParts(i: number, lo: number, hi: number): void { this.h.setXParts(i, lo, hi); }
  getF(i: number): bigint { return this.h.getF(i); }
  setF(i: number, b: bigint): void { this.h.setF(i, b); }
  getPC(): bigint { return this.h.getPC(); }
  setPC(v: bigint): void { this.h.setPC(v); }
  getPCLo(): number { return this.h.getPCLo(); }
  getPCHi(): number { return this.h.getPCHi(); }
  setPCParts(lo: number, hi: number): void { this.h.setPCParts(lo, hi); }
  getFcsr(): number { return this.h.readCSRParts(CSR_FCSR)[0]; }
  setFcsr(v: number): void { this.h.writeCSRParts(CSR_FCSR, v & 0xff, 0); }
}
