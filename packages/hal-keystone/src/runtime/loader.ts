/**
 * The enclave loader (Keystone's loader-binary role): entered at dram_base with the runtime
 * params, it starts the runtime the host laid at runtime_base. Bundled on its own as
 * dist/keystone-loader.cjs and measured as the first file of the enclave.
 */
import type { KeystoneMachine } from '../machine/machine.ts';
import { evaluateImage } from '@teeos/hal/image';
import type { BootArgs, RuntimeParams } from '../machine/protocol.ts';

export async function boot(machine: KeystoneMachine, params: RuntimeParams, args: BootArgs): Promise<void> {
  const rt = machine.epm.subarray(params.runtimeBase - params.dramBase, params.userBase - params.dramBase);
  const mod = evaluateImage(rt);
  const main = mod.eyrieMain as ((m: KeystoneMachine, p: RuntimeParams, a: BootArgs) => void) | undefined;
  if (typeof main !== 'function') throw new Error('the runtime has no eyrieMain entry');
  main(machine, params, args);
}
