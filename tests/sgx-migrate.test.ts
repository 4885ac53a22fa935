/**
 * MAP_SHARED file pages on the SGX model (docs/sgx-fork.md, "MAP_SHARED of a file on SGX"): one
 * EPC page cannot be at two linear addresses, so each page of a file has one home and moves to
 * the mapping that touches it. An honest host gives the qemu-riscv64 output of mmap_alias (two
 * mappings of one memfd page used by threads, a futex named through either) and the kernel counts
 * the moves; a host that answers "trimmed" to the EMODT of the old home but leaves it mapped
 * (which would leave two live copies of the page) is caught by the enclave's EACCEPT, and the
 * kernel stops instead of running on.
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
