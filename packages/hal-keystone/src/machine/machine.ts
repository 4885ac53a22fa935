/** What the machine (hart + security monitor) offers the S-mode code running in the enclave. */
import type { Hart } from '@teeos/riscv';
import type { SbiResult } from '../sm/sm.ts';

export interface KeystoneMachine {
  readonly hart: Hart;
  /** The EPM, addressed from dramBase (S-mode's own view of its memory). */
  readonly epm: Uint8Array;
  /** The UTM (untrusted shared memory). */
  readonly utm: Uint8Array;
  /** An SBI call to the security monitor (SBI_EXT_EXPERIMENTAL_KEYSTONE_ENCLAVE). */
  sbi(fid: number, args: readonly number[]): SbiResult;
}
