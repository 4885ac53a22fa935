/**
 * POSIX message queues (tests/guest/src/mqueue.c, mqueue_fork.c, mqueue_family.c). Not qemu cases: qemu 7.2
 * has no mq_notify (ENOSYS). The expected outputs, tests/guest/linux/mqueue*.stdout, are what
 * Linux 6.18 (x86-64) printed for the same sources built natively
 * (`gcc -O2 -pthread -Itests/guest/src tests/guest/src/mqueue.c && ./a.out`, as root: the
 * programs drop to uid 1000 themselves); they print nothing architecture-specific.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const guestDir = fileURLToPath(new URL('./guest/', import.meta.url));
const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));

// Every platform: on sgx a fork child is another enclave, the queue is served by its maker's
// enclave and reached through proxies in the others (syscalls/mqueue-family.ts); the same
// expected output holds. There mqueue_family's first queue outlives its maker, whose enclave
// lingers to serve it (family.ts) and says so.
for (const tee of ['keystone', 'sev', 'sgx']) {
  for (const name of ['mqueue', 'mqueue_fork', 'mqueue_family']) {
    test(`guest ${name} on ${tee}`, () => {
      const r = spawnSync(process.execPath, [teeos, 'run', '--tee', tee, `bin/${name}`], { cwd: guestDir, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', timeout: 300_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, readFileSync(new URL(`./guest/linux/${name}.stdout`, import.meta.url), 'utf8'));
      if (tee === 'sgx' && name === 'mqueue_family') assert.match(r.stderr, /pid \d+ has ended; its enclave goes on serving/);
    });
  }
}
