/**
 * POSIX message queues (tests/guest/src/mqueue.c, mqueue_fork.c). Not qemu cases: qemu 7.2
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
const tee = process.env.TEEOS_TEE ?? 'keystone';

// On sgx a fork child is another enclave, and queues are not shared across enclaves yet: there
// the child's mq_open answers EOPNOTSUPP and its inherited queue descriptor is not carried
// (syscalls/mqueue.ts), so mqueue_fork runs on keystone and sev only.
const skips: Record<string, string | false> = {
  mqueue: false,
  mqueue_fork: tee === 'sgx' && 'sgx: queues are not shared across enclaves (mq_open in a fork child is EOPNOTSUPP)',
};

for (const name of ['mqueue', 'mqueue_fork']) {
  test(`guest ${name} on ${tee}`, { skip: skips[name] }, () => {
    const r = spawnSync(process.execPath, [teeos, 'run', '--tee', tee, `bin/${name}`], { cwd: guestDir, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(new URL(`./guest/linux/${name}.stdout`, import.meta.url), 'utf8'));
  });
}
