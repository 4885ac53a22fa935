/**
 * A hostile host on demand (`teeos run --hostile`): each lie is refused inside the enclave
 * (EIO to the program, a rejected clock, a sanitised stat) and never crashes the kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const hello = fileURLToPath(new URL('./guest/bin/hello', import.meta.url));
const sys = fileURLToPath(new URL('./guest/bin/sys', import.meta.url));

function run(mode: string, prog = hello) {
  const r = spawnSync(process.execPath, [teeos, 'run', '--trace', '--hostile', mode, prog], { encoding: 'utf8', timeout: 120_000 });
  assert.doesNotMatch(r.stderr, /kernel panic|internal error/, r.stderr);
  assert.notEqual(r.status, 70, r.stderr);
  assert.match(r.stderr, new RegExp(`hostile host: ${mode}`));
  return r;
}

test('claimed lengths beyond the request become EIO', () => {
  const r = run('lengths');
  assert.match(r.stderr, /write\(1, "Hello, world!\\n", 14\) = -1 EIO/);
});

test('a return value outside the shared region becomes EIO', () => {
  const r = run('offsets');
  assert.match(r.stderr, /write\(1, "Hello, world!\\n", 14\) = -1 EIO/);
});

test('a failed call status becomes EIO', () => {
  const r = run('status', sys);
  assert.match(r.stderr, /write\(1, "direct write\(2\) line\\n", 21\) = -1 EIO/);
});

test('an impossible wall clock is rejected; enclave time stays sane', () => {
  const r = run('clock');
  assert.match(r.stderr, /host wall clock rejected/);
  assert.equal(r.stdout, 'Hello, world!\n');
});

test('a nonsense stat from the host is sanitised', () => {
  const r = run('stat');
  assert.match(r.stderr, /newfstatat\(1, "", 0x[0-9a-f]+, 0x1000\) = 0/);
  assert.equal(r.stdout, 'Hello, world!\n');
});

test('replayed replies never crash the kernel', () => {
  const r = run('replay', sys);
  assert.equal(r.status, 0);
});

test('an unknown mode is a usage error', () => {
  const r = spawnSync(process.execPath, [teeos, 'run', '--hostile', 'nice', hello], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown hostile mode 'nice'/);
});
