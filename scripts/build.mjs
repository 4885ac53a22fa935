#!/usr/bin/env node
// Builds the bundles into dist/: the host CLI, and per TEE platform the machine (hart +
// firmware model), the loader and the runtime. Each runtime bundle holds only its own
// platform's code; the host lays the loader and runtime into enclave memory, measured.
import { build } from 'esbuild';

const common = { bundle: true, format: 'esm', target: 'node20', logLevel: 'warning', legalComments: 'none' };
const t0 = Date.now();
await Promise.all([
  build({ ...common, platform: 'node', entryPoints: ['packages/host/src/cli.ts'], outfile: 'dist/teeos.mjs' }),
  build({ ...common, platform: 'node', entryPoints: ['packages/hal-keystone/src/machine/worker.ts'], outfile: 'dist/keystone-machine.mjs' }),
  // Enclave code: no Node built-ins may be reached (platform neutral).
  build({ ...common, platform: 'neutral', mainFields: ['module', 'main'], entryPoints: ['packages/hal-keystone/src/runtime/loader.ts'], outfile: 'dist/keystone-loader.mjs' }),
  build({ ...common, platform: 'neutral', mainFields: ['module', 'main'], entryPoints: ['packages/runtime-keystone/src/index.ts'], outfile: 'dist/runtime-keystone.mjs' }),
  // AMD SEV-SNP model: the machine (vCPU + RMP + PSP), the boot stub and the guest runtime.
  build({ ...common, platform: 'node', entryPoints: ['packages/hal-sev/src/machine/worker.ts'], outfile: 'dist/sev-machine.mjs' }),
  build({ ...common, platform: 'neutral', mainFields: ['module', 'main'], entryPoints: ['packages/hal-sev/src/runtime/boot.ts'], outfile: 'dist/sev-boot.mjs' }),
  build({ ...common, platform: 'neutral', mainFields: ['module', 'main'], entryPoints: ['packages/runtime-sev/src/index.ts'], outfile: 'dist/runtime-sev.mjs' }),
  // Intel SGX model: the machine (hart + EPC/EPCM + SGX instructions) and the enclave runtime.
  build({ ...common, platform: 'node', entryPoints: ['packages/hal-sgx/src/machine/worker.ts'], outfile: 'dist/sgx-machine.mjs' }),
  build({ ...common, platform: 'neutral', mainFields: ['module', 'main'], entryPoints: ['packages/runtime-sgx/src/index.ts'], outfile: 'dist/runtime-sgx.mjs' }),
]);
console.log(`built dist/ in ${Date.now() - t0} ms`);
