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
import { randomBytes } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { x25519PublicKey } from '../packages/hal-sgx/src/runtime/family.ts';
import { nativeAesGcm } from '../packages/hal-sgx/src/host/native.ts';
import { gcm } from '@noble/ciphers/aes.js';

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

test('sgx fork, a host that flips one bit of every pipe record between the enclaves: the reader refuses the first (logged; EIO after), never takes altered bytes', { timeout: 320_000 }, () => {
  const r = run('--hostile', 'channel');
  // The child's line written through the pipe never reaches the parent: it reads end of file only.
  assert.match(r.stdout, /parent got: $/);
  assert.doesNotMatch(r.stdout, /through the pipe/);
  assert.match(r.stderr, /dropped a pipe record that failed authentication/);
});

test('sgx fork, the same host on a unix socket connected across enclaves: no altered record reaches either side', { timeout: 120_000 }, () => {
  // The child's first record fails its tag: the parent's read of the connection fails with EIO
  // (the channel is broken from there on), and nothing of the record reaches it.
  const r = spawnSync(process.execPath, [teeos, 'run', '--tee', 'sgx', '--hostile', 'channel', 'bin/unix_sock'], {
    cwd: guestDir, encoding: 'utf8', timeout: 120_000,
  });
  assert.match(r.stdout, /as ok\n/); // the connection was made (the request is a sealed message, not a channel record)
  assert.match(r.stdout, /read\(as, b, sizeof b - 1\) = -1 EIO\nchild said \n/);
  assert.doesNotMatch(r.stdout, /peer=/);
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

test('sgx fork, a host that flips one bit of every message between enclaves: a System V request is refused, never run', { timeout: 120_000 }, () => {
  // The child's first message asks the parent's enclave for the segment of a key (shmget): the
  // parent drops it (logged) and never answers, so the child waits and the parent waits for it.
  const r = spawnSync(process.execPath, [teeos, 'run', '--tee', 'sgx', '--hostile', 'message', 'bin/sysv_shm_procs'], {
    cwd: guestDir, encoding: 'utf8', timeout: 40_000,
  });
  const want = readFileSync(`${guestDir}expected/sysv_shm_procs.stdout`, 'utf8');
  assert.equal(r.stdout, want.slice(0, want.indexOf('child: get by key')));
  assert.match(r.stderr, /dropped a message that failed authentication/);
});

test('sgx pidfd_getfd across enclaves, a host that flips one bit of every message: the request is refused, never run, and nothing is installed', { timeout: 120_000 }, () => {
  // The parent's pidfd_getfd is the first message between the two enclaves: the child's kernel
  // drops it (logged) and exports nothing; the parent waits for an answer that never comes, so it
  // never prints what it got (the run is cut short).
  const r = spawnSync(process.execPath, [teeos, 'run', '--tee', 'sgx', '--hostile', 'message', 'bin/pidfd', 'child'], {
    cwd: guestDir, encoding: 'utf8', timeout: 30_000,
  });
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /dropped a message that failed authentication/);
});

test('sgx fork refused (tampered checkpoint): the System V attaches the checkpoint carried are not counted', { timeout: 120_000 }, () => {
  // sysv_shm forks with two attaches; the owner counts them for the child before it runs, and
  // forgets them when the fork fails, so the parent's nattch is its own 2 again (not 4).
  const r = spawnSync(process.execPath, [teeos, 'run', '--tee', 'sgx', '--hostile', 'checkpoint', 'bin/sysv_shm'], {
    cwd: guestDir, encoding: 'utf8', timeout: 100_000,
  });
  const want = readFileSync(`${guestDir}expected/sysv_shm.stdout`, 'utf8')
    .replace('child sees nattch 4\n', '').replace('parent reads: from the child\n', 'parent reads: \n');
  assert.equal(r.stdout, want, r.stderr);
  assert.match(r.stdout, /^after the child exited: segsz 10000 nattch 2 /m);
  assert.match(r.stderr, /fork: the new enclave did not start \(EAGAIN\)/);
});

/**
 * A host that meddles with the order of a channel's records (once per channel, when a third
 * record comes while two are queued: sockpair_fork's pipe, and the seqpacket and datagram pairs
 * carried across fork, each get three records before their reader looks). Each record's AAD
 * holds its writer's count on that channel, so the reader refuses the first record that does
 * not follow the last one taken: it logs it and the channel is broken (reads fail with EIO),
 * instead of handing out bytes with a hole in them.
 */
const sockpair = (mode: string) => spawnSync(process.execPath, [teeos, 'run', '--tee', 'sgx', '--hostile', mode, 'bin/sockpair_fork'], {
  cwd: guestDir, encoding: 'utf8', timeout: 300_000,
});
const wantPair = readFileSync(`${guestDir}expected/sockpair_fork.stdout`, 'utf8');
for (const mode of ['channel-drop', 'channel-replay', 'channel-reorder']) {
  test(`sgx fork, a host that plays ${mode} on every channel between the enclaves: the reader refuses it (EIO), never a hole or a repeat`, { timeout: 320_000 }, () => {
    const r = sockpair(mode);
    assert.equal(r.status, 0, r.stderr);
    // What comes out of each channel is what was written up to the meddling (the first record,
    // or the first two when the second was replayed), then EIO.
    const two = mode === 'channel-replay';
    assert.match(r.stdout, two ? /^pipe: 8 bytes \[one\ntwo\n\], then -1 EIO\n/ : /^pipe: 4 bytes \[one\n\], then -1 EIO\n/);
    // The seqpacket pair moved onto channels at fork, its three queued messages with it.
    assert.match(r.stdout, two ? /= 5\nrecv\(sv\[1\], buf, sizeof buf, 0\) = 3\nrecv\(sv\[1\], buf, 2, MSG_TRUNC\) = -1 EIO\n/
      : /recv\(sv\[1\], buf, 5, 0\) = 5\nrecv\(sv\[1\], buf, sizeof buf, 0\) = -1 EIO\n/);
    assert.match(r.stdout, two ? /recv 0: 1 a\nparent seqpacket recv 1: 5 bcdef\nparent seqpacket recv 2: -1\n/ : /recv 0: 1 a\nparent seqpacket recv 1: -1\n/);
    // The datagram pair.
    assert.match(r.stdout, two ? /recv 0: 9 dgram one\nparent dgram recv 1: 3 two\nparent dgram recv 2: -1\n/ : /recv 0: 9 dgram one\nparent dgram recv 1: -1\n/);
    assert.match(r.stdout, /then: -1 EIO\n/);
    assert.doesNotMatch(r.stdout, /three\ntwo|parent (seqpacket|dgram) recv \d: \d+ (gh|four!)/);
    assert.match(r.stderr, /did not follow its writer's last one .*channel \d+ is broken, reads fail with EIO/);
    assert.notEqual(r.stdout, wantPair);
  });
}

test('the fork key exchange\'s X25519 public key (Montgomery ladder) is RFC 7748 section 6.1\'s, and what x25519.getPublicKey gives', () => {
  const alice = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
  const bob = Buffer.from('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', 'hex');
  assert.equal(Buffer.from(x25519PublicKey(alice)).toString('hex'), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  assert.equal(Buffer.from(x25519PublicKey(bob)).toString('hex'), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  for (let i = 0; i < 8; i++) {
    const k = randomBytes(32);
    assert.deepEqual(x25519PublicKey(k), x25519.getPublicKey(k));
  }
});

test('the SGX machine\'s AES-GCM (its AES-NI model, OpenSSL) seals exactly as the runtime\'s software GCM and refuses what that refuses', () => {
  for (const n of [0, 1, 15, 16, 17, 4096, 65537]) {
    const u = (k: number) => new Uint8Array(randomBytes(k));
    const key = u(32), nonce = u(12), aad = u(n % 40), plain = u(n);
    const sealed = nativeAesGcm.seal(key, nonce, aad, plain);
    assert.deepEqual(sealed, gcm(key, nonce, aad).encrypt(plain));
    assert.deepEqual(nativeAesGcm.open(key, nonce, aad, sealed), plain);
    const flipped = sealed.slice();
    flipped[n % sealed.length] ^= 1;
    assert.equal(nativeAesGcm.open(key, nonce, aad, flipped), null);
    assert.equal(nativeAesGcm.open(key, nonce, u(aad.length + 1), sealed), null);
    assert.equal(nativeAesGcm.open(key, nonce, aad, sealed.subarray(0, 15)), null);
  }
});
