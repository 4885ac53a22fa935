/**
 * Untrusted shared memory on the SGX model (`teeos run --tee sgx --untrusted-shared-memory`,
 * docs/sgx-fork.md): MAP_SHARED anonymous memory that enclaves of one family (fork) share is
 * host memory outside ELRANGE. The tests show both sides of that trade: with the opt-in, a
 * hostile host reads the bytes and changes them and nothing in the enclave can notice; without
 * it, the memory never leaves the enclaves (it is an unlinked shmem object whose pages move
 * between the enclaves in sealed messages, as a memfd's do), and the host has nothing to read.
 * The opt-in is part of the measurement.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const guestDir = fileURLToPath(new URL('./guest/', import.meta.url));
const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const teeosRun = (...args: string[]) => spawnSync(process.execPath, [teeos, ...args], { cwd: guestDir, encoding: 'utf8', timeout: 300_000 });
const want = readFileSync(`${guestDir}expected/shm_host.stdout`, 'utf8');

test('with --untrusted-shared-memory, a hostile host reads the shared memory and flips a bit the program then reads', { timeout: 320_000 }, () => {
  const r = teeosRun('run', '--tee', 'sgx', '--untrusted-shared-memory', '--hostile', 'shared-memory', 'bin/shm_host');
  // What the child wrote, as the host saw it (hex and text).
  assert.match(r.stderr, /hostile host: untrusted shared memory region \d+ at \+0: 6120736563726574[0-9a-f]* "a secret the child wrote\.*"/);
  // ... and what the parent read after the host had been at it ('a' ^ 1 = '`').
  assert.equal(r.stdout, want.replace('parent reads: a secret', 'parent reads: ` secret'), r.stderr);
  assert.notEqual(r.stdout, want);
  assert.equal(r.status, 0);
});

test('with --untrusted-shared-memory and an honest host, shm_host gives qemu-riscv64\'s output', { timeout: 320_000 }, () => {
  const r = teeosRun('run', '--tee', 'sgx', '--untrusted-shared-memory', 'bin/shm_host');
  assert.equal(r.stdout, want, r.stderr);
  assert.equal(r.status, 0);
});

test('without the opt-in the memory stays in the enclaves: shared all the same (its pages migrate in sealed messages), the host has nothing to read', { timeout: 320_000 }, () => {
  const r = teeosRun('run', '--tee', 'sgx', '--hostile', 'shared-memory', 'bin/shm_host');
  assert.doesNotMatch(r.stderr, /is copied into the new enclave/);
  assert.doesNotMatch(r.stderr, /untrusted shared memory region/);
  assert.doesNotMatch(r.stderr, /secret/);
  assert.equal(r.stdout, want, r.stderr);
  assert.equal(r.status, 0);
});

test('the opt-in is measured (MRENCLAVE differs) and is an sgx option only', () => {
  const plain = teeosRun('measure', '--tee', 'sgx', 'bin/hello');
  const ushm = teeosRun('measure', '--tee', 'sgx', '--untrusted-shared-memory', 'bin/hello');
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(ushm.status, 0, ushm.stderr);
  assert.match(ushm.stdout, /^[0-9a-f]{64}\n$/);
  assert.notEqual(plain.stdout, ushm.stdout);
  const k = teeosRun('run', '--tee', 'keystone', '--untrusted-shared-memory', 'bin/hello');
  assert.equal(k.status, 2);
  assert.match(k.stderr, /--untrusted-shared-memory is an option of the sgx model/);
});
