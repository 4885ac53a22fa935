/**
 * NUMA memory policy (tests/guest/src/numa.c): set_mempolicy, get_mempolicy, mbind,
 * set_mempolicy_home_node, move_pages, migrate_pages on a one-node machine. Not a qemu case:
 * qemu 7.2 answers all of them with ENOSYS. The expected output, tests/guest/linux/numa.stdout,
 * is what Linux 6.18 (x86-64, CONFIG_NUMA, one memory node) printed for the same source built
 * natively (`gcc -O2 -pthread -Itests/guest/src tests/guest/src/numa.c && ./a.out`, as root:
 * the program drops to uid 1000 itself); the program prints nothing architecture-specific.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const guestDir = fileURLToPath(new URL('./guest/', import.meta.url));
const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const tee = process.env.TEEOS_TEE ?? 'keystone';

test(`numa: memory policies and page nodes as Linux on one node, on ${tee}`, () => {
  const r = spawnSync(process.execPath, [teeos, 'run', '--tee', tee, 'bin/numa'], { cwd: guestDir, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(new URL('./guest/linux/numa.stdout', import.meta.url), 'utf8'));
});
