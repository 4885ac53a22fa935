/**
 * seccomp (tests/guest/src/seccomp.c; packages/linux-abi/src/syscalls/seccomp.ts): strict mode,
 * BPF filters and their actions, stacked filters' precedence, inheritance by fork (on sgx: across
 * the checkpoint into the child's enclave) and by threads (TSYNC), no_new_privs, the checks on a
 * new filter. Not a qemu case: qemu-user does not run seccomp (prctl(PR_SET_SECCOMP) is EINVAL
 * there, the syscall ENOSYS). The expected output, tests/guest/linux/seccomp.stdout, is what
 * Linux 6.18 (x86-64) printed for the same source built natively (`gcc -O2 -pthread
 * tests/guest/src/seccomp.c && ./a.out`, as root: the program drops to uid 1000 itself); the
 * program prints nothing architecture-specific (its filters name each architecture's own
 * AUDIT_ARCH and syscall numbers). Run on all three platform models here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const guestDir = fileURLToPath(new URL('./guest/', import.meta.url));
const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const want = readFileSync(new URL('./guest/linux/seccomp.stdout', import.meta.url), 'utf8');

for (const tee of ['keystone', 'sev', 'sgx']) {
  test(`seccomp: strict mode and filters as Linux, on ${tee}`, { timeout: 300_000 }, () => {
    const r = spawnSync(process.execPath, [teeos, 'run', '--tee', tee, 'bin/seccomp'], { cwd: guestDir, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', timeout: 280_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, want);
    // The kernel says what it killed and what a SECCOMP_RET_LOG filter let through.
    assert.match(r.stderr, /syscall \d+ in seccomp strict mode: killed/);
    assert.match(r.stderr, /seccomp: pid \d+ \(seccomp\) syscall \d+: logged, allowed/);
  });
}
