/**
 * Giving pages back on the SGX model by ranges (runtime/platform.ts releasePages): munmap, exec
 * and exit hand the host every page of a range in one OCALL to trim (the driver's
 * SGX_IOC_ENCLAVE_MODIFY_TYPES) and one to remove (SGX_IOC_ENCLAVE_REMOVE_PAGES), and the enclave
 * EACCEPTs each trimmed page in between. A host that answers the range call without trimming is
 * caught by that EACCEPT exactly as for one page: the kernel stops. When that happens in a fork
 * child, its parent's enclave does not wait for ever for an exit message that will never come:
 * the host knows the child's enclave no more, and the parent's wait reports it killed by SIGKILL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const guestDir = fileURLToPath(new URL('./guest/', import.meta.url));
const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const run = (prog: string, ...extra: string[]) => spawnSync(process.execPath, [teeos, 'run', '--tee', 'sgx', ...extra, `bin/${prog}`], {
  cwd: guestDir, encoding: 'utf8', timeout: 120_000,
});

test('sgx, honest host: a program that forks and frees many pages runs as under qemu-riscv64', { timeout: 130_000 }, () => {
  const r = run('fork_big');
  assert.equal(r.stdout, readFileSync(`${guestDir}expected/fork_big.stdout`, 'utf8'), r.stderr);
  assert.equal(r.status, 0);
});

test('sgx, a host that answers a range trim without trimming: EACCEPT refuses, the kernel stops', { timeout: 130_000 }, () => {
  // malloc's first free of a large block munmaps many pages: the range path. (With the one-page
  // OCALL_TRIM left honest, this run stops at that munmap all the same: checked by hand.)
  const r = run('malloc', '--hostile', 'page-trim');
  assert.match(r.stderr, /the host did not trim 0x[0-9a-f]+ \(EACCEPT \d+\)/);
  assert.notEqual(r.status, 0);
  assert.ok(!r.stdout.includes(readFileSync(`${guestDir}expected/malloc.stdout`, 'utf8')), 'the program did not run to its end');
});

test('sgx, the child enclave\'s kernel stops at its exit: the parent reports it killed instead of waiting for ever', { timeout: 130_000 }, () => {
  const r = run('fork_big', '--hostile', 'page-trim');
  assert.match(r.stderr, /pid \d+: its enclave ended without a word .* reported as killed by SIGKILL/, r.stderr);
  assert.match(r.stdout, /^child exit -1$/m, r.stdout);
  assert.notEqual(r.status, 0);
});
