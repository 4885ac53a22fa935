/**
 * MAP_SHARED file pages on the SGX model (docs/sgx-fork.md, "MAP_SHARED of a file on SGX"): one
 * EPC page cannot be at two linear addresses, so each page of a file has one home and moves to
 * the mapping that touches it. An honest host gives the qemu-riscv64 output of mmap_alias (two
 * mappings of one memfd page used by threads, a futex named through either) and the kernel counts
 * the moves; a host that answers "trimmed" to the EMODT of the old home but leaves it mapped
 * (which would leave two live copies of the page) is caught by the enclave's EACCEPT, and the
 * kernel stops instead of running on. Across fork the pages of a file move between the enclaves
 * through sealed family messages (family-pages.ts): mmap_shared's tmpfs file, memfd and /dev/zero
 * parts (MAP_SHARED of /dev/zero is an unlinked shmem object, mm/shmem.ts) give qemu's output
 * without untrusted shared memory, and a host that alters those messages gets them dropped: the
 * child never receives a page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const guestDir = fileURLToPath(new URL('./guest/', import.meta.url));
const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const run = (...extra: string[]) => spawnSync(process.execPath, [teeos, 'run', '--tee', 'sgx', ...extra, 'bin/mmap_alias'], {
  cwd: guestDir, encoding: 'utf8', timeout: 300_000,
});
const want = readFileSync(`${guestDir}expected/mmap_alias.stdout`, 'utf8');

test('sgx, honest host: mmap_alias as under qemu-riscv64, with the file page moving between the mappings', { timeout: 320_000 }, () => {
  const r = run('--stats');
  assert.equal(r.stdout, want, r.stderr);
  assert.equal(r.status, 0);
  const m = /file pages migrated between mappings (\d+)/.exec(r.stderr);
  assert.ok(m && Number(m[1]) >= 4, `migrations counted: ${r.stderr}`);
});

test('sgx, a host that claims to trim the old home but leaves it mapped: EACCEPT refuses, the kernel stops', { timeout: 320_000 }, () => {
  const r = run('--hostile', 'page-trim');
  assert.match(r.stderr, /the host did not trim 0x[0-9a-f]+ \(EACCEPT \d+\)/);
  assert.notEqual(r.status, 0);
  assert.doesNotMatch(r.stdout, /FUTEX_WAKE through b/, 'nothing after the first move ran');
});

const wantShared = readFileSync(`${guestDir}expected/mmap_shared.stdout`, 'utf8');
const runShared = (...extra: string[]) => spawnSync(process.execPath, [teeos, 'run', '--tee', 'sgx', ...extra, 'bin/mmap_shared'], {
  cwd: guestDir, encoding: 'utf8', timeout: 40_000,
});

test('sgx fork, honest host, no untrusted memory: file, memfd and /dev/zero pages move between the enclaves', { timeout: 120_000 }, () => {
  const r = runShared();
  assert.equal(r.stdout, wantShared, r.stderr);
  assert.equal(r.status, 0);
  assert.doesNotMatch(r.stderr, /is copied into the new enclave/, 'no shared mapping was copied');
});

test('sgx fork, a host that flips a bit of every message between enclaves: no page reaches the child', { timeout: 120_000 }, () => {
  // The child's first message asks the parent's enclave for the mapped file's size: the parent
  // drops it (logged) and never answers, so the child waits and the parent waits for it.
  const r = runShared('--hostile', 'message');
  assert.equal(r.stdout, wantShared.slice(0, wantShared.indexOf('child sees')));
  assert.match(r.stderr, /dropped a message that failed authentication/);
});

test('sgx fork: a process whose shared memory, memfd and tmpfs file its orphan still uses ends first; its enclave serves them until the last holder lets go, then ends', { timeout: 320_000 }, () => {
  // owner_exit's `wait` argument keeps the family's first process 3 s longer, so that the end of
  // the ended owner's enclave (once its orphan and that one's child have let go) is seen.
  const r = spawnSync(process.execPath, [teeos, 'run', '--tee', 'sgx', 'bin/owner_exit', 'wait'], { cwd: guestDir, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.stdout, readFileSync(`${guestDir}expected/owner_exit.stdout`, 'utf8'), r.stderr);
  assert.equal(r.status, 0);
  assert.match(r.stderr, /pid (\d+) has ended; its enclave goes on serving what 1 process\(es\) of the family still map or hold/);
  assert.match(r.stderr, /pid \d+: nothing it served is held any more: its enclave ends/);
});
