#!/usr/bin/env node
// Builds the bundles into dist/: the host CLI, and per TEE platform the machine (hart +
// firmware model), the loader and the runtime. Each runtime bundle holds only its own
// platform's code; the host lays the loader and runtime into enclave memory, measured.
import { build } from 'esbuild';

const common = { bundle: true, format: 'esm', target: 'node20', logLevel: 'warning', legalComments: 'none' };
/**
 * Enclave code: no Node built-ins may be reached (platform neutral). CommonJS format: the machine
 * evaluates the measured bytes as a function body (@teeos/hal/image evaluateImage), exports
 * through `module.exports`; the sourceURL line (part of the measured bytes) names it in stacks
 * and profiles.
 */
const enclave = (entry, name) => build({
  ...common, format: 'cjs', platform: 'neutral', mainFields: ['module', 'main'], entryPoints: [entry], outfile: `dist/${name}`,
  footer: { js: `//# sourceURL=enclave:${name}` },
});
const t0 = Date.now();
await Promise.all([
  build({ ...common, platform: 'node', entryPoints: ['packages/host/src/cli.ts'], outfile: 'dist/teeos.mjs' }),
  // The machine thread bin/teeos.mjs starts before loading the CLI (host/src/machine-thread.ts).
  build({ ...common, platform: 'node', entryPoints: ['packages/host/src/machine-thread.ts'], outfile: 'dist/machine-thread.mjs' }),
  build({ ...common, platform: 'node', entryPoints: ['packages/hal-keystone/src/machine/worker.ts'], outfile: 'dist/keystone-machine.mjs' }),
  enclave('packages/hal-keystone/src/runtime/loader.ts', 'keystone-loader.cjs'),
  enclave('packages/runtime-keystone/src/index.ts', 'runtime-keystone.cjs'),
  // AMD SEV-SNP model: the machine (vCPU + RMP + PSP), the boot stub and the guest runtime.
  build({ ...common, platform: 'node', entryPoints: ['packages/hal-sev/src/machine/worker.ts'], outfile: 'dist/sev-machine.mjs' }),
  enclave('packages/hal-sev/src/runtime/boot.ts', 'sev-boot.cjs'),
  enclave('packages/runtime-sev/src/index.ts', 'runtime-sev.cjs'),
  // Intel SGX model: the machine (hart + EPC/EPCM + SGX instructions) and the enclave runtime.
  build({ ...common, platform: 'node', entryPoints: ['packages/hal-sgx/src/machine/worker.ts'], outfile: 'dist/sgx-machine.mjs' }),
  enclave('packages/runtime-sgx/src/index.ts', 'runtime-sgx.cjs'),
]);
console.log(`built dist/ in ${Date.now() - t0} ms`);
