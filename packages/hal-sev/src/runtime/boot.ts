/**
 * The boot stub (the "OVMF-like" firmware of the SEV-SNP model): the vCPU starts here with the
 * VMSA's registers (a1 = the boot table's GPA). It reads the measured boot table, evaluates the
 * runtime laid where the table says and hands over. Bundled on its own as dist/sev-boot.cjs and
 * measured as the first pages of the guest.
 */
import type { SevMachine } from '../machine/machine.ts';
import { evaluateImage } from '@teeos/hal/image';
import { decodeBootTable, PAGE, type BootTable, type SevBootArgs } from '../machine/protocol.ts';

export async function boot(machine: SevMachine, args: SevBootArgs): Promise<void> {
  const tableGpa = Number(machine.hart.getX(11));
  const off = tableGpa - machine.ramBase;
  if (off < 0 || off + PAGE > machine.ram.length) throw new Error('boot: the boot table is outside guest RAM');
  const t = decodeBootTable(machine.ram.subarray(off, off + PAGE));
  const rt = t.runtimeGpa - machine.ramBase;
  if (rt < 0 || rt + t.runtimeLen > machine.ram.length) throw new Error('boot: the runtime is outside guest RAM');
  const mod = evaluateImage(machine.ram.subarray(rt, rt + t.runtimeLen));
  const main = mod.sevMain as ((m: SevMachine, t: BootTable, a: SevBootArgs) => void) | undefined;
  if (typeof main !== 'function') throw new Error('boot: the runtime has no sevMain entry');
  main(machine, t, args);
}
