/**
 * execve inside the enclave. The guest suite compares with qemu-riscv64, but qemu-user on a
 * host without binfmt_misc cannot execve a riscv64 program (it fails with ENOEXEC), so
 * execve is checked here against what Linux documents: the new image gets the given argv
 * and envp, runs from its entry, and its exit status reaches the parent's wait.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const guestDir = fileURLToPath(new URL('./guest/', import.meta.url));
const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const tee = process.env.TEEOS_TEE ?? 'keystone';

test(`execve of /proc/self/exe with argv and envp, on ${tee}`, () => {
  const r = spawnSync(process.execPath, [teeos, 'run', '--tee', tee, 'bin/procs', 'with-exec'], { cwd: guestDir, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  // The child's new image prints its argv[1..2] and the one environment variable it was given.
  assert.match(r.stdout, /^exec-child: argc=3 argv2=two env=hello$/m);
  assert.match(r.stdout, /^exec: status=7$/m);
  assert.match(r.stdout, /^execve missing: errno=2$/m);
  assert.match(r.stdout, /^fork loop: ok$/m);
});

test(`no frame leaks after 1,000 fork/exit cycles, on ${tee}`, () => {
  const r = spawnSync(process.execPath, [teeos, 'run', '--tee', tee, '--stats', 'bin/procs', 'forks', '1000'], { cwd: guestDir, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'forks: 1000 ok\n');
  const m = /kernel: frames free before init (\d+), after the last process (\d+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.equal(m![2], m![1], 'every frame came back');
  assert.doesNotMatch(r.stderr, /frame leak/);
});

/**
 * RLIMIT_NPROC. Not a qemu case: qemu-user itself aborts (a TCG assertion, "cpu ==
 * current_cpu") once its forks start failing, and as root (who records the expected output)
 * the limit does not apply at all. Linux's documented behaviour: fork fails with EAGAIN when
 * the user's process count reaches the soft limit; the hard limit cannot be raised.
 */
test(`RLIMIT_NPROC gives EAGAIN, and a fork bomb under it ends, on ${tee}`, () => {
  const r = spawnSync(process.execPath, [teeos, 'run', '--tee', tee, 'bin/nproc', 'bomb'], { cwd: guestDir, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'setrlimit NPROC: ok\ngetrlimit: 12 12\nraise hard limit: EPERM\n' +
    'forks stopped: errno=EAGAIN within_limit=1 some=1\nfork bomb: exited=1 status=1\n');
});

/**
 * Memory exhaustion in a 16 MiB enclave (the guest suite's 256M default never runs out):
 * an accounted mmap or brk larger than memory is ENOMEM (Linux's default overcommit
 * heuristic), a process touching more pages than exist is killed with SIGKILL (the OOM
 * killer), its parent carries on, and every frame comes back.
 */
test(`memory exhaustion with --memory 16M is ENOMEM or an OOM kill, never a crash, on ${tee}`, () => {
  const r = spawnSync(process.execPath, [teeos, 'run', '--tee', tee, '--memory', '16M', '--stats', 'bin/oom'], { cwd: guestDir, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'mmap 64M: ENOMEM\nmalloc 64M: NULL\nchild filling the heap: signaled=1 sig=9\n' +
    'child touching 64M: signaled=1 sig=9\nchild touching 2M after: exited=1 status=0\nfork loop over\nstill works: 1\n');
  const m = /kernel: frames free before init (\d+), after the last process (\d+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.equal(m![2], m![1], 'every frame came back');
});
