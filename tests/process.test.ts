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
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
// Which allocation runs out first depends on the enclave's size and on what the host's stdin
// is, so two layouts are tried: with stdin at /dev/null the fork loop's clone met ENOMEM
// storing CLONE_CHILD_SETTID into the child's copy-on-write stack, and the half-made child
// kept the pipe's write end open forever (a deadlock stop, fixed in sched.ts putTid).
// On sgx each fork is a new enclave with memory of its own: the program's last part, a fork loop
// meant to exhaust the one enclave's memory, would start up to 2,000 enclaves instead (the host's
// limits decide there, not the enclave's), so the test is not run there.
const oomSkip = tee === 'sgx' ? 'sgx: a fork is a new enclave with its own memory; the fork loop cannot exhaust one enclave' : false;
for (const [size, stdin] of [['16M', 'ignore'], ['12M', 'pipe']] as const) {
  test(`memory exhaustion with --memory ${size} (stdin ${stdin}) is ENOMEM or an OOM kill, never a crash, on ${tee}`, { skip: oomSkip }, () => {
    const r = spawnSync(process.execPath, [teeos, 'run', '--tee', tee, '--memory', size, '--stats', 'bin/oom'], { cwd: guestDir, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', timeout: 300_000, stdio: [stdin, 'pipe', 'pipe'] });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'mmap 64M: ENOMEM\nmalloc 64M: NULL\nchild filling the heap: signaled=1 sig=9\n' +
      'child touching 64M: signaled=1 sig=9\nchild touching 2M after: exited=1 status=0\nfork loop over\nstill works: 1\n');
    const m = /kernel: frames free before init (\d+), after the last process (\d+)/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.equal(m![2], m![1], 'every frame came back');
  });
}

const runGuest = (args: string[]) => spawnSync(process.execPath, [teeos, 'run', '--tee', tee, ...args], { cwd: guestDir, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', timeout: 300_000 });
// On sgx fork is a new enclave (linux-abi family.ts): memory is never shared between processes, so
// CLONE_VM processes are copies there, and a subreaper in another enclave is not looked for.
const forkSkip = tee === 'sgx' ? 'sgx: CLONE_VM memory sharing and subreapers across enclaves are not modelled' : false;

/**
 * recvmmsg's timeout and sk_err (net/socket.c do_recvmmsg). Not a qemu case: qemu-user loops
 * over recvmsg itself and ignores the timeout. Expected lines are Linux's: the timeout is
 * looked at only after a datagram has arrived (a zero one returns after the first) and what
 * is left is written back; an invalid timespec is EINVAL, an unreadable one EFAULT; a later
 * message that faults ends the call with the count so far, its datagram is dropped (taken off
 * the queue before the copy failed) and the error waits in sk_err for the next call.
 */
test(`recvmmsg: timeout and the error a later message leaves, on ${tee}`, () => {
  const r = runGuest(['bin/mmsg', 'linux']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, [
    'sendmmsg(sv[0], mm, 3, 0) = 3',
    'recvmmsg(sv[1], mm, 3, 0, &to) = 1',
    'timeout left 0.000000000',
    'recvmmsg(sv[1], mm, 2, 0, &to) = 2',
    'timeout left below 100 s: 1, above 99 s: 1',
    'recvmmsg(sv[1], mm, 2, MSG_DONTWAIT, &to) = -1 EINVAL',
    'recvmmsg(sv[1], mm, 2, MSG_DONTWAIT, &to) = -1 EINVAL',
    'recvmmsg(sv[1], mm, 2, MSG_DONTWAIT, &to) = -1 EINVAL',
    'recvmmsg(sv[1], mm, 2, MSG_DONTWAIT, (struct timespec *)1) = -1 EFAULT',
    'sendmmsg(sv[0], mm, 2, 0) = 2',
    'recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL) = 1',
    'recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL) = -1 EFAULT',
    'recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL) = -1 EAGAIN',
    '  [0] len 12345 "" flags 0x0 name @... (the sender\'s: 0)',
  ].join('\n') + '\n');
});

/**
 * clone(CLONE_PIDFD) and clone3's pidfd. Not a qemu case: qemu 7.2 answers CLONE_PIDFD with
 * EINVAL and clone3 with ENOSYS. Expected lines are Linux's documented results (clone(2):
 * the pidfd is close-on-exec and polls readable when the child ends; CLONE_PIDFD with
 * CLONE_PARENT_SETTID in clone() is EINVAL; a bad pidfd address fails the clone with EFAULT).
 */
test(`clone: CLONE_PIDFD and clone3 pidfd, on ${tee}`, () => {
  const r = runGuest(['bin/clone_pidfd']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, [
    'clone: pidfd ok 1, cloexec 1, poll 1 revents 0x1, waitid 0 code 1 status 5',
    'CLONE_PIDFD with CLONE_PARENT_SETTID: -1 EINVAL',
    'CLONE_PIDFD to a bad address: -1 EFAULT',
    'clone3: pidfd ok 1, cloexec 1, poll 1 revents 0x1, waitid 0 code 1 status 6',
  ].join('\n') + '\n');
});

/**
 * clone beyond fork and threads. Not a qemu case: qemu 7.2 rejects CLONE_VM without
 * CLONE_THREAD and exit signals other than SIGCHLD (EINVAL), answers clone3 with ENOSYS,
 * turns vfork into fork, and reports the last thread's exit code where Linux reports the
 * leader's (kernel/exit.c wait_task_zombie). Expected lines are Linux's documented results
 * (clone(2), clone3 checks of kernel/fork.c copy_clone_args_from_user/clone3_args_valid,
 * wait(2) on __WCLONE/__WALL), for a process of the unprivileged user.
 */
test(`clone: CLONE_VM processes, vfork, exit signals and __WCLONE, clone3 checks, leader status, on ${tee}`, { skip: forkSkip }, () => {
  const r = runGuest(['bin/clone_more']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, [
    'CLONE_VM child: reaped 1 exit 3, its write seen 1',
    'CLONE_VFORK: child done before the parent resumed 1',
    "vfork: the child's write seen 1",
    'posix_spawn of a missing file: ENOENT', // glibc's __spawnix reads the child's errno through CLONE_VM
    'exit signal: USR1 code 1 status 6 pid ok 1',
    'waitpid without __WCLONE: -1 ECHILD',
    'waitpid __WCLONE: 1 exit 6',
    'exit signal 0: -1 EAGAIN',
    'waitpid __WALL: 1 exit 8',
    '__WCLONE with a fork child: -1 ECHILD',
    '__WALL: 1',
    'exit signal USR1, then execve: CHLD, waitpid without __WCLONE 1 exit 5', // fs/exec.c de_thread
    'CLONE_CHILD_CLEARTID: cleared',
    'clone3 size 63: EINVAL',
    'clone3 size 4097: E2BIG',
    'clone3 larger struct, nonzero tail: E2BIG',
    'clone3 larger struct, zero tail: created',
    'clone3 exit_signal 65: EINVAL',
    'clone3 CSIGNAL bits in flags: EINVAL',
    'clone3 CLONE_DETACHED: EINVAL',
    'clone3 CLONE_THREAD with an exit signal: EINVAL',
    'clone3 stack without size: EINVAL',
    'clone3 size without stack: EINVAL',
    'clone3 set_tid without size: EINVAL',
    'clone3 set_tid: EPERM', // choosing a pid needs CAP_SYS_ADMIN (checkpoint_restore_ns_capable)
    'clone3 set_tid_size 33: EINVAL',
    'clone3 set_tid_size without set_tid: EINVAL',
    'clone3 CLONE_SIGHAND|CLONE_CLEAR_SIGHAND: EINVAL',
    'clone3 CLONE_INTO_CGROUP, v0 size: EINVAL',
    'clone3 unknown high flag: EINVAL',
    'CLONE_CLEAR_SIGHAND: killed by USR1',
    'clone3 fork-like: parent_tid ok 1 exit 4',
    'leader exit 7, last thread exit 9: status 7',
    '',
  ].join('\n'));
});

/**
 * PR_SET_CHILD_SUBREAPER. Not a qemu case: qemu 7.2's prctl answers EINVAL. Linux
 * (prctl(2)): orphaned descendants are re-parented to the nearest living subreaper ancestor,
 * which waits for them; the flag is not inherited by fork; a PR_SET_PDEATHSIG child gets its
 * signal and then has the subreaper as parent.
 */
test(`PR_SET_CHILD_SUBREAPER re-parents orphans to the subreaper, on ${tee}`, { skip: forkSkip }, () => {
  const r = runGuest(['bin/subreaper']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, [
    'subreaper initially: 0',
    'PR_SET_CHILD_SUBREAPER: 0 ok',
    'subreaper now: 1',
    'middle exited 4',
    'grandchild: re-parented to the subreaper, inherited flag 0',
    'subreaper reaps the grandchild: 1, exit 33',
    'then: -1 ECHILD',
    'pdeathsig initially: 0',
    'pdeathsig: get 10, fork child had 0, got USR1, ppid now the subreaper 1',
    'PR_SET_CHILD_SUBREAPER 0: 0 ok',
    '',
  ].join('\n'));
});

/**
 * Robust process-shared mutexes whose owner process dies. Not a qemu case: qemu 7.2 answers
 * set_robust_list with ENOSYS, so glibc cannot recover the lock there. Linux
 * (pthread_mutex_lock(3), pthread_mutex_consistent(3)): the kernel walks the dead owner's
 * robust list at exit, however it ends (exit or SIGKILL), marks the lock FUTEX_OWNER_DIED and
 * wakes a waiter; the next locker gets EOWNERDEAD; unlocked without pthread_mutex_consistent,
 * the lock is ENOTRECOVERABLE.
 */
/**
 * mlock where qemu 7.2 is not Linux (the rest of tests/guest/src/mlock.c is a qemu case): it has
 * no mlock2, drops unknown mlockall flags, and fails an mmap over the limit under MCL_FUTURE
 * with ENOMEM from its own host mappings. Expected lines: mm/mlock.c and do_mmap's
 * mlock_future_ok (EAGAIN); the same source built for x86-64 prints them on Linux 6.18.
 */
test(`mlock2, mlockall flags, mmap under MCL_FUTURE over RLIMIT_MEMLOCK, as on Linux, on ${tee}`, () => {
  const r = runGuest(['bin/mlock', 'linux']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, ['RLIMIT_MEMLOCK 256 KiB: 0 ok', 'mlock2 MLOCK_ONFAULT: 0 ok', 'VmLck: 16 kB', 'mlock2 bad flags: -1 EINVAL',
    'mlockall bad flag: -1 EINVAL', 'munmap the 1 MiB: 0 ok', 'mlockall MCL_FUTURE: 0 ok', 'mmap 1 MiB under MCL_FUTURE: EAGAIN',
    'munlockall: 0 ok', ''].join('\n'));
});

/**
 * RLIMIT_SIGPENDING (kernel/signal.c __send_signal_locked). Not a qemu case: qemu-user takes
 * every host signal into its own queue at once, so the host's limit never applies. Expected
 * lines: the same source built for x86-64 on Linux 6.18 prints them.
 */
test(`RLIMIT_SIGPENDING: sigqueue/tgkill EAGAIN, kill never refused, legacy signals lose their information, on ${tee}`, () => {
  const r = runGuest(['bin/sigpending_limit']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, [
    'RLIMIT_SIGPENDING 3: 0 ok',
    'sigqueue SIGRTMIN value 0: 0 ok',
    'sigqueue SIGRTMIN value 1: 0 ok',
    'sigqueue SIGRTMIN value 2: 0 ok',
    'sigqueue SIGRTMIN value 3: -1 EAGAIN',
    'sigqueue SIGRTMIN value 4: -1 EAGAIN',
    'kill SIGRTMIN (never refused): 0 ok',
    'sigqueue SIGUSR1 value 7 (sent, information lost): 0 ok',
    'tgkill SIGRTMIN+1: -1 EAGAIN',
    'took SIGUSR1 code 0 value -1 from me 0',
    'took SIGRTMIN code -1 value 0 from me 1',
    'took SIGRTMIN code -1 value 1 from me 1',
    'took SIGRTMIN code -1 value 2 from me 1',
    'tgkill SIGRTMIN+1 with room again: 0 ok',
    '',
  ].join('\n'));
});

/**
 * execveat and fexecve (fs/exec.c do_execveat_common). Not a qemu case: qemu-user cannot exec a
 * riscv64 binary without binfmt_misc. The program runs from a root image holding a copy of
 * itself at /bin/exec_at (its /proc/self/exe names the host's file). Expected lines: Linux's
 * documented results; the same source built for x86-64 prints them on Linux 6.18 (with its own
 * file names). On sgx the child enclave of a fork gets neither root-image descriptors nor the
 * parent's /tmp.
 */
test(`execveat: fexecve, relative to a directory fd, AT_SYMLINK_NOFOLLOW, errors, on ${tee}`, { skip: forkSkip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'teeos-execat-'));
  try {
    chmodSync(root, 0o755); // mkdtemp's 0700 would keep the enclave's user out of its own root
    mkdirSync(join(root, 'bin'));
    copyFileSync(join(guestDir, 'bin/exec_at'), join(root, 'bin/exec_at'));
    const r = runGuest(['--root', root, 'bin/exec_at', '/bin/exec_at']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, [
      'fexecve (AT_EMPTY_PATH): ran, AT_EXECFN /dev/fd/3, comm exec_at', // comm from the file since Linux 6.14
      'empty path without AT_EMPTY_PATH: -1 ENOENT',
      'unknown flag: -1 EINVAL',
      'bad descriptor: -1 EBADF',
      'relative to a file descriptor: -1 ENOTDIR',
      'relative to a directory descriptor: ran, AT_EXECFN /dev/fd/4/exec_at, comm exec_at',
      'a directory: -1 EACCES',
      'missing name in the directory: -1 ENOENT',
      'symlink, AT_SYMLINK_NOFOLLOW: -1 ELOOP',
      'symlink followed: ran, AT_EXECFN /tmp/exec_at_link, comm exec_at_link',
      '',
    ].join('\n'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/**
 * execve copies argv and envp as bytes (fs/exec.c copy_strings): strings that are not valid
 * UTF-8 arrive unchanged, in argv, environ and /proc/self/cmdline. Not a qemu case (qemu-user
 * cannot exec without binfmt_misc); the same source built for x86-64 prints these lines on Linux.
 */
test(`execve keeps argv and envp bytes that are not UTF-8, on ${tee}`, () => {
  const r = runGuest(['bin/exec_bytes']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, [
    'argv[1]: ff fe', 'argv[2]: 61 c3 a9', 'argv[3]: ed a0 80', 'argv[4]: c3',
    'env: 4b 3d 80 81', 'env: 4c 3d 6f 6b',
    'cmdline: 65 78 65 63 5f 62 79 74 65 73 00 ff fe 00 61 c3 a9 00 ed a0 80 00 c3 00', '',
  ].join('\n'));
});

/**
 * System V IPC where qemu-user is not Linux: qemu passes shmat(NULL, SHM_REMAP) on with an
 * address of its own choosing and strips IPC_64 from commands (asm-generic kernels refuse
 * both: EINVAL), and it aborts on a msgsnd past MSGMAX or from an unmapped buffer. Expected
 * lines: Linux's documented results; the same sources built for x86-64 print them on Linux 6.18.
 */
test(`System V IPC: the Linux-only cases of sysv_shm and sysv_msg, on ${tee}`, () => {
  const shm = runGuest(['bin/sysv_shm', 'linux']);
  assert.equal(shm.status, 0, shm.stderr);
  assert.equal(shm.stdout, [
    'SHM_REMAP without an address: EINVAL', 'IPC_STAT | IPC_64: EINVAL', 'IPC_INFO with a negative id: EINVAL', 'nattch 0', 'IPC_RMID: 0 ok', '',
  ].join('\n'));
  const msg = runGuest(['bin/sysv_msg', 'linux']);
  assert.equal(msg.status, 0, msg.stderr);
  assert.equal(msg.stdout, [
    'send 8193 bytes: EINVAL', 'send -1 bytes: EINVAL', 'send from a bad pointer: EFAULT', 'send 8192 bytes: 0 ok',
    'receive into a bad pointer: EFAULT', 'the message is gone: qnum 0', 'IPC_RMID: 0 ok', '',
  ].join('\n'));
  // execve drops a child's attaches (shm_close: nattch, lpid); on sgx the child is another enclave,
  // which reports them to the segment's owner. The same source built for x86-64 prints these lines on Linux.
  const procs = runGuest(['bin/sysv_shm_procs', 'linux']);
  assert.equal(procs.status, 0, procs.stderr);
  assert.equal(procs.stdout, [
    'child before execve: segsz 4096 nattch 3 mode 600 dest 0 lpid-as-expected 1',
    'new image after execve: segsz 4096 nattch 1 mode 600 dest 0 lpid-as-expected 1',
    'new image reads: the parent\'s',
    'new image attached again: segsz 4096 nattch 2 mode 600 dest 0 lpid-as-expected 1',
    'parent child exited after execve: segsz 4096 nattch 1 mode 600 dest 0 lpid-as-expected 1',
    'IPC_RMID: 0 ok', 'last shmdt: 0 ok', '',
  ].join('\n'));
});

/** get_robust_list (kernel/futex/syscalls.c). Not a qemu case: qemu 7.2 answers it with ENOSYS. */
test(`get_robust_list: the head glibc registered, len 24, ESRCH, EFAULT, on ${tee}`, () => {
  const r = runGuest(['bin/privileged', 'robust']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'get_robust_list self: 0 ok\nrobust list: set 1, len 24\n' +
    'get_robust_list no such task: -1 ESRCH\nget_robust_list bad pointer: -1 EFAULT\n');
});

test(`robust mutexes in shared memory survive their owner's exit or SIGKILL, on ${tee}`, { skip: forkSkip }, () => {
  const r = runGuest(['bin/robust_fork']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, [
    'owner exited: lock EOWNERDEAD',
    'consistent 0, unlock 0, lock again 0',
    'owner killed while we waited: lock EOWNERDEAD',
    'again: lock EOWNERDEAD',
    'unlocked without consistent: lock ENOTRECOVERABLE',
    '',
  ].join('\n'));
});

/**
 * process_vm_readv/process_vm_writev within the caller's process and to a thread by id. Not a
 * qemu case: qemu 7.2 answers both with ENOSYS. Expected lines are Linux's: the same source
 * built for x86-64 and run on the reference host (Linux 6.18; 4 KiB pages as here), where the
 * partial counts stop at the first faulting page of either side.
 */
test(`process_vm_readv/writev on ${tee}`, () => {
  const r = runGuest(['bin/process_vm']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, [
    "rv(me, l, 2, r, 3, 0)                                          = 22",
    "a=01234uvwxy...... b=zABCDEFGHIJK....",
    "wv(me, lw, 2, rw, 2, 0)                                        = 11",
    "c=--HEL-----LOworld!-----------------",
    "rv(me, &l1, 1, &r1, 1, 0)                                      = 4",
    "rv(me, &l1, 1, &r1, 1, 0)                                      = 3",
    "rv(999999, l, 0, r, 3, 0)                                      = 0",
    "rv(999999, NULL, 0, (struct iovec *)8, 3, 0)                   = 0",
    "rv(999999, l, 2, &r0, 1, 0)                                    = 0",
    "rv(999999, l, 2, r, 0, 0)                                      = 0",
    "wv(999999, l, 0, r, 3, 0)                                      = 0",
    "rv(me, l, 2, r, 3, 1)                                          = -1 Invalid argument",
    "wv(me, l, 2, r, 3, 1)                                          = -1 Invalid argument",
    "rv(me, l, 1025, r, 3, 0)                                       = -1 Invalid argument",
    "rv(me, l, 2, r, 1025, 0)                                       = -1 Invalid argument",
    "rv(me, (struct iovec *)8, 2, r, 3, 0)                          = -1 Bad address",
    "rv(me, l, 2, (struct iovec *)8, 3, 0)                          = -1 Bad address",
    "rv(me, &neg, 1, r, 3, 0)                                       = -1 Invalid argument",
    "rv(me, l, 2, &neg, 1, 0)                                       = -1 Invalid argument",
    "rv(999999, l, 2, r, 3, 0)                                      = -1 No such process",
    "rv(0, l, 2, r, 3, 0)                                           = -1 No such process",
    "rv(-1, l, 2, r, 3, 0)                                          = -1 No such process",
    "wv(999999, l, 2, r, 3, 0)                                      = -1 No such process",
    "rv(me, &lb, 1, rb, 2, 0)                                       = 100",
    "rv(me, &lb, 1, rb, 2, 0)                                       = -1 Bad address",
    "rv(me, &lb, 1, rb, 2, 0)                                       = -1 Bad address",
    "rv(me, &lb, 1, &rbad, 1, 0)                                    = -1 Bad address",
    "rv(me, &ll, 1, &rs, 1, 0)                                      = 48",
    "m tail: 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL",
    "rv(me, &ll, 1, &rs, 1, 0)                                      = -1 Bad address",
    "rv(me, &lbad, 1, &rs, 1, 0)                                    = -1 Bad address",
    "wv(me, &lsrc, 1, &rdst, 1, 0)                                  = 20",
    "m: 0123456789abcdefghij",
    "wv(me, &lsrc, 1, &rdst, 1, 0)                                  = -1 Bad address",
    "wv(me, &lsrc, 1, &rdst, 1, 0)                                  = -1 Bad address",
    "wv(me, &lsb, 1, &rdst, 1, 0)                                   = -1 Bad address",
    "rv(thread_tid, &lt, 1, &rt, 1, 0)                              = 18",
    "via thread: thread's own words",
    "rv(me, &lt, 1, &rt, 1, 0)                                      = 18",
    "rv(thread_tid, &lt, 1, &rt, 1, 0) < 0 ? -1 : 0                 = -1 No such process",
  ].join('\n') + '\n');
});

/**
 * process_vm_readv/writev on a fork child: on keystone and sev the child is in the same kernel,
 * on sgx it is another enclave, reached by sealed requests to its kernel. Not a qemu case (qemu
 * 7.2: ENOSYS); expected lines are the same source's output on the x86-64 host's Linux 6.18.
 */
test(`process_vm_readv/writev on a fork child, on ${tee}`, () => {
  const r = runGuest(['bin/process_vm_fork']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, [
    "rv(c, l, 2, r, 2)                                    = 40",
    "a=the s own  b=words, changed",
    "parent's buf: parent's words, before the fork",
    "wv(c, &lw, 1, &rw, 1)                                = 7",
    "rv(c, &lb, 1, &rb, 1)                                = 300",
    "read: ccccc",
    "rv(c, &lb, 1, &rb, 1)                                = -1 Bad address",
    "rv(c, &lb, 1, &rb, 1)                                = 4096",
    "wv(c, &lb, 1, &rb, 1)                                = -1 Bad address",
    "wv(c, &lb, 1, &rb, 1)                                = 50",
    "wv(c, &lbad, 1, &rb, 1)                              = -1 Bad address",
    "rv(c, &lbad, 1, &rb, 1)                              = -1 Bad address",
    "child: buf=the WRITTEN own words, changed",
    "rv(c, l, 2, r, 2)                                    = -1 Operation not permitted",
    "wv(c, &lw, 1, &rw, 1)                                = -1 Operation not permitted",
    "rv(c, l, 2, r, 2)                                    = -1 No such process",
    "parent's buf: parent's words, before the fork",
  ].join('\n') + '\n');
});
