/**
 * Guest programs whose calls qemu 7.2 answers with ENOSYS, so they are not qemu cases
 * (tests/guest/cases.json). Each expected output, tests/guest/linux/NAME.stdout, is what Linux
 * 6.18 (x86-64) printed for the same source built natively
 * (`gcc -O2 -pthread -Itests/guest/src tests/guest/src/NAME.c && ./a.out`); the programs print
 * nothing architecture-specific. Each runs on every platform (SGX also with
 * --untrusted-shared-memory, where MAP_SHARED memory and its futexes are the host's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const guestDir = fileURLToPath(new URL('./guest/', import.meta.url));
const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));

const programs: { name: string; what: string }[] = [
  { name: 'futex_waitv', what: 'futex_waitv: checks, timeouts, wakes, requeue, signals, shared words across fork' },
];
const platforms: string[][] = [['--tee', 'keystone'], ['--tee', 'sev'], ['--tee', 'sgx'], ['--tee', 'sgx', '--untrusted-shared-memory']];

for (const p of programs) {
  for (const opts of platforms) {
    test(`${p.what}, as Linux, on ${opts.slice(1).join(' ')}`, () => {
      const r = spawnSync(process.execPath, [teeos, 'run', ...opts, `bin/${p.name}`], { cwd: guestDir, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', timeout: 300_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, readFileSync(new URL(`./guest/linux/${p.name}.stdout`, import.meta.url), 'utf8'));
    });
  }
}
