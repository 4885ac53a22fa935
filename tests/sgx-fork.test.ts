/**
 * fork on the SGX model: a new enclave resuming from a checkpoint sealed under a key the two
 * enclaves agreed by local attestation (hal-sgx runtime/family.ts). An honest host gives the
 * qemu-riscv64 output (pipes between the enclaves included); a host that flips a bit of the
 * sealed checkpoint, or hands a later child the first child's checkpoint, gets the child refused
 * before it runs a single instruction, and the parent's fork fails (EAGAIN) instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const guestDir = fileURLToPath(new URL('./guest/', import.meta.url));
const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const run = (...extra: string[]) => spawnSync(process.execPath, [teeos, 'run', '--tee', 'sgx', ...extra, 'bin/pipe_fork'], {
  cwd: guestDir, encoding: 'utf8', timeout: 300_000,
});
const want = readFileSync(`${guestDir}expected/pipe_fork.stdout`, 'utf8');

test('sgx fork, honest host: pipe_fork (three forks, pipes between enclaves, SIGPIPE) as under qemu-riscv64', { timeout: 320_000 }, () => {
  const r = run();
  assert.equal(r.stdout, want, r.stderr);
  assert.equal(r.status, 0);
  assert.doesNotMatch(r.stderr, /refus/);
});

test('sgx fork without a spare enclave (--no-spare: each child built when its fork happens) gives the same output', { timeout: 320_000 }, () => {
  const r = run('--no-spare');
  assert.equal(r.stdout, want, r.stderr);
  assert.equal(r.status, 0);
});

test('sgx fork, a host that flips one bit of the sealed checkpoint: the child refuses it, fork fails, nothing of the child runs', { timeout: 320_000 }, () => {
  const r = run('--hostile', 'checkpoint');
  assert.match(r.stderr, /fork refused: fork: the checkpoint failed authentication/);
  assert.match(r.stderr, /did not accept the checkpoint/);
  // The first fork failed: no child exit status, and the parent's write found no reader (SIGPIPE).
  assert.doesNotMatch(r.stdout, /child exit/);
  assert.equal(r.status, 128 + 13);
  assert.notEqual(r.stdout, want);
});

test('sgx fork, a host that replays the first checkpoint to a later child: refused (fresh keys per fork)', { timeout: 320_000 }, () => {
  const r = run('--hostile', 'checkpoint-replay');
  // The first fork is honest (its checkpoint is the one replayed later): its child ran.
  assert.match(r.stdout, /child exit 7\n/);
  // The second child got the first one's checkpoint: refused; the parent's fork failed.
  assert.match(r.stderr, /fork refused: fork: the checkpoint failed authentication/);
  assert.match(r.stdout, /signaled=0 sig=0\n/);
  assert.notEqual(r.stdout, want);
});

test('sgx fork, a host that flips one bit of every pipe record between the enclaves: the reader drops each (logged), never takes altered bytes', { timeout: 320_000 }, () => {
  const r = run('--hostile', 'channel');
  // The child's line written through the pipe never reaches the parent: it reads end of file only.
  assert.match(r.stdout, /parent got: $/);
  assert.doesNotMatch(r.stdout, /through the pipe/);
  assert.match(r.stderr, /dropped a pipe record that failed authentication/);
});

test('sgx fork, the same host on a unix socket connected across enclaves: no altered record reaches either side', { timeout: 120_000 }, () => {
  // The child's first record is dropped, so each side then waits for the other: the run is cut short.
  const r = spawnSync(process.execPath, [teeos, 'run', '--tee', 'sgx', '--hostile', 'channel', 'bin/unix_sock'], {
    cwd: guestDir, encoding: 'utf8', timeout: 40_000,
  });
  assert.match(r.stdout, /as ok\n/); // the connection was made (the request is a sealed message, not a channel record)
  assert.doesNotMatch(r.stdout, /child said/);
  assert.match(r.stderr, /dropped a pipe record that failed authentication/);
});

test('sgx fork, tmpfs files served across enclaves: fs_lock_fork (remote open, F_SETLKW and flock waits, EINTR) as under qemu-riscv64', { timeout: 320_000 }, () => {
  const r = spawnSync(process.execPath, [teeos, 'run', '--tee', 'sgx', 'bin/fs_lock_fork'], { cwd: guestDir, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.stdout, readFileSync(`${guestDir}expected/fs_lock_fork.stdout`, 'utf8'), r.stderr);
  assert.equal(r.status, 0);
});

test('sgx fork, a host that flips one bit of every message between enclaves: a request on a served file is refused, never run', { timeout: 120_000 }, () => {
  // The child's first message is its F_GETLK on the parent's file: the parent drops it (logged) and
  // never answers, so the child waits and the parent waits for it: the run is cut short.
  const r = spawnSync(process.execPath, [teeos, 'run', '--tee', 'sgx', '--hostile', 'message', 'bin/fs_fcntl'], {
    cwd: guestDir, encoding: 'utf8', timeout: 40_000,
  });
  const want = readFileSync(`${guestDir}expected/fs_fcntl.stdout`, 'utf8');
  const beforeFork = want.slice(0, want.indexOf('child GETLK'));
  assert.equal(r.stdout, beforeFork); // everything up to the fork, nothing the altered messages would have carried
  assert.match(r.stderr, /dropped a message that failed authentication/);
});
