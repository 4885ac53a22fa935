#!/usr/bin/env node
// The teeos command: the bundled host CLI (built by `npm install` / `npm run build`).
import { existsSync } from 'node:fs';
import { SHARE_ENV, Worker } from 'node:worker_threads';

const cli = new URL('../dist/teeos.mjs', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('teeos: not built yet; run `npm install` (or `npm run build`) in the repository first\n');
  process.exit(70);
}
// Commands that start an enclave: start the machine's thread now, so that Node's worker
// bootstrap overlaps the loading of the CLI bundle (packages/host/src/machine-thread.ts; the
// CLI tells it which TEE model's machine to load). SHARE_ENV: the CLI's --jit still reaches it.
const thread = new URL('../dist/machine-thread.mjs', import.meta.url);
if ((process.argv[2] === 'run' || process.argv[2] === 'attest') && existsSync(thread)) {
  const w = new Worker(thread, { env: SHARE_ENV });
  w.unref();
  globalThis[Symbol.for('teeos.machine-thread')] = w;
}
await import(cli.href);
