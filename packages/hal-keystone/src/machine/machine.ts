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

/** Evaluates JavaScript module bytes laid in enclave memory (trailing page padding removed). */
export async function importFromMemory(bytes: Uint8Array): Promise<Record<string, unknown>> {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  let bin = '';
  const CH = 0x8000;
  for (let i = 0; i < end; i += CH) bin += String.fromCharCode(...bytes.subarray(i, Math.min(i + CH, end)));
  return (await import('data:text/javascript;base64,' + btoa(bin))) as Record<string, unknown>;
}
