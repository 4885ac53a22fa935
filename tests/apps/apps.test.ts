/**
 * Real programs (busybox, dash, lua 5.4, sqlite3 from Debian's sources, built static for
 * riscv64 by scripts/build-apps): every workload of tests/apps/lib.ts runs in the enclave
 * and under qemu-riscv64 (the same binary and inputs, at test time: nothing recorded), and
 * stdout and the exit status must be identical.
 *
 * Not part of `npm test` (its glob is tests/*.test.ts): .ci/run builds the apps and runs
 * this file. Without the binaries or qemu-riscv64 every test is skipped, saying why.
 * TEEOS_TEE selects the platform model; TEEOS_APPS_ONLY=name,name a subset.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WORKLOADS, whyNotRunnable, runQemu, runEnclave } from './lib.ts';

const tee = process.env.TEEOS_TEE ?? 'keystone';
const only = process.env.TEEOS_APPS_ONLY?.split(',').filter(Boolean) ?? null;
const skip = whyNotRunnable() ?? false;

describe(`apps on ${tee}`, { concurrency: 2 }, () => {
  for (const w of WORKLOADS) {
    if (only && !only.includes(w.name) && !only.includes(w.program)) continue;
    const why = skip || (w.pending ? `pending: ${w.pending}` : false);
    test(`${w.name} (${w.program}) on ${tee} matches qemu-riscv64`, { skip: why, timeout: 960_000 }, async () => {
      const q = await runQemu(w);
      const e = await runEnclave(w, tee);
      const diag = `${e.timedOut ? 'timed out\n' : ''}enclave stderr:\n${e.stderr.slice(0, 3000)}\nqemu stderr:\n${q.stderr.slice(0, 1000)}`;
      assert.equal(e.stdout, q.stdout, diag);
      assert.equal(e.status, q.status, diag);
    });
  }
});
