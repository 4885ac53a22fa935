/**
 * epoll_pwait2, which qemu-riscv64 7.2 (the reference for tests/guest) does not implement:
 * the output is what Linux >= 5.11 prints for tests/guest/src/epoll_pwait2.c.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const guestDir = fileURLToPath(new URL('./guest/', import.meta.url));

const WANT = `timeout: 0 after >= 20 ms 1
bad timespec: -1 EINVAL
ready: 1 data 7 events 0x1
masked: -1 EINTR handler 1
blocked again 1
`;

for (const tee of ['keystone', 'sev']) {
  test(`epoll_pwait2 on ${tee}: timespec timeout, EINVAL, the signal mask applied`, { timeout: 120_000 }, () => {
    const r = spawnSync(process.execPath, [teeos, 'run', '--tee', tee, 'bin/epoll_pwait2'], { cwd: guestDir, encoding: 'utf8', timeout: 100_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, WANT);
  });
}
