/**
 * Guest programs whose calls qemu 7.2 answers with ENOSYS, so they are not qemu cases
 * (tests/guest/cases.json). Each expected output, tests/guest/linux/NAME.stdout, is what Linux
 * 6.18 (x86-64) printed for the same source built natively
 * (`gcc -O2 -pthread -Itests/guest/src tests/guest/src/NAME.c && ./a.out`); the programs print
 * nothing architecture-specific. Each runs on every platform (SGX also with
 * --untrusted-shared-memory, where MAP_SHARED memory and its futexes are the host's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const guestDir = fileURLToPath(new URL('./guest/', import.meta.url));
const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));

const programs: { name: string; args?: string[]; expected?: string; platforms?: string[]; ushm?: boolean; what: string }[] = [
  { name: 'futex_waitv', what: 'futex_waitv: checks, timeouts, wakes, requeue, signals, shared words across fork' },
  { name: 'unshare', what: 'unshare: flags, nothing-to-unshare successes, namespaces EPERM, CLONE_SYSVSEM applying SEM_UNDO' },
  // sgx: a child is another enclave, so clone(CLONE_FILES) is EINVAL and a vfork child runs on a copy.
  { name: 'unshare', args: ['shared'], expected: 'unshare-shared', platforms: ['keystone', 'sev'], what: 'unshare: CLONE_FILES of a shared table, CLONE_VM in a vfork child' },
  { name: 'memfd_secret', what: 'memfd_secret: flags, fd operations, ftruncate once, MAP_SHARED only, locked pages and RLIMIT_MEMLOCK, fork sharing' },
  { name: 'restart_syscall', what: 'restart_syscall: no block EINTR, a sleep interrupted by a handler resumed to its deadline' },
  // The NTP state of a clock nothing disciplines: native Linux 6.18 on a host without NTP printed
  // ntp.c's initial values (TIME_ERROR, STA_UNSYNC, NTP_PHASE_LIMIT, constant 2, tick 10000).
  { name: 'adjtimex', args: ['unsynced'], expected: 'adjtimex-unsynced', what: 'adjtimex: the NTP state of an unsynchronised clock' },
  { name: 'syslog', what: 'syslog: every action EPERM for a user under dmesg_restrict 1, /proc/sys/kernel/dmesg_restrict' },
  // sgx: the fork child's session keyring is a copy carried in the checkpoint (the program reads only what was there before the fork).
  { name: 'fhandle', what: 'name_to_handle_at/open_by_handle_at: tmpfs handles, EOVERFLOW, AT_EMPTY_PATH, AT_SYMLINK_FOLLOW, mount id, EOPNOTSUPP without export ops, EPERM as a user' },
  { name: 'keys', what: 'keys: add_key, request_key, keyctl (types, special keyrings, permissions, possession, timeouts, quota, threads, fork, exec)' },
  { name: 'aio', what: 'native AIO: the ring in user memory, reads/writes/fsync/poll, eventfd, io_cancel, getevents, fork, exec' },
  { name: 'process_madvise', what: 'process_madvise: checks in order, own memory by pidfd, partial progress, another process (EPERM/EINVAL/EACCES/ESRCH)' },
  { name: 'process_mrelease', what: 'process_mrelease: flags, EBADF, not dying (EINVAL), a killed child, zombie and reaped (ESRCH)' },
  // --untrusted-shared-memory: shared anonymous memory is host memory with no file, so its remap is EINVAL.
  { name: 'remap_file_pages', ushm: false, what: 'remap_file_pages: a shared file range mapped again at another offset, its checks' },
  // Recorded on a host whose kernel (6.18) has Landlock enabled (create_ruleset's version query
  // answered 7); the program prints the version only as ">= 3" (this kernel reports ABI 3).
  { name: 'landlock', what: 'Landlock: each call\'s checks, file-system rights of ABI 1..3 enforced (open, readdir, truncate, make, remove, refer), layers, fork/exec inheritance' },
  // Recorded as root with kernel.perf_event_paranoid 2 (the host's setting, the default), the
  // program dropping to uid 1000; a guest without a PMU: hardware events ENOENT there as here
  // for every config but instructions, which the program opens only in its enclave mode (below).
  { name: 'perf_event', what: 'perf_event_open: perf_copy_attr and paranoid-2 checks, pid/cpu/group_fd, software events counting, read formats and groups, ioctls, prctl, enable_on_exec' },
  // --untrusted-shared-memory: MAP_SHARED anonymous memory is the host's, so registering it is EINVAL.
  { name: 'userfaultfd', ushm: false, what: 'userfaultfd: MISSING faults of a worker thread served by COPY/ZEROPAGE/WAKE, uffd_msg, poll, the ioctls\' checks, EFAULT for a syscall (user-mode only), signals, shared anonymous memory, fork, SIGBUS feature, unregister, close' },
];
const platforms: string[][] = [['--tee', 'keystone'], ['--tee', 'sev'], ['--tee', 'sgx'], ['--tee', 'sgx', '--untrusted-shared-memory']];

function run(opts: string[], name: string, args: string[]): string {
  const r = spawnSync(process.execPath, [teeos, 'run', ...opts, `bin/${name}`, ...args], { cwd: guestDir, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

for (const p of programs) {
  for (const opts of platforms) {
    if (p.platforms && !p.platforms.includes(opts[1]!)) continue;
    if (p.ushm === false && opts.includes('--untrusted-shared-memory')) continue;
    test(`${p.what}, as Linux, on ${opts.slice(1).join(' ')}`, () => {
      const out = run(opts, p.name, p.args ?? []);
      assert.equal(out, readFileSync(new URL(`./guest/linux/${p.expected ?? p.name}.stdout`, import.meta.url), 'utf8'));
    });
  }
}

// No Linux reference can print these: a Linux without CONFIG_USER_NS answers CLONE_NEWUSER with
// EINVAL (the unshare_userns stub, before any capability check: with another namespace flag
// too); and this kernel keeps one descriptor table, fs_struct and SEM_UNDO list per process, so
// a thread of a multi-threaded process cannot unshare them (EINVAL, where Linux copies them).
for (const tee of ['keystone', 'sgx']) {
  test(`unshare: CLONE_NEWUSER as Linux without user namespaces; per-thread copies refused, on ${tee}`, () => {
    assert.equal(run(['--tee', tee], 'unshare', ['enclave']), [
      'CLONE_NEWUSER: -1 EINVAL',
      'CLONE_NEWUSER|CLONE_NEWNET: -1 EINVAL',
      'threaded CLONE_NEWUSER: -1 EINVAL',
      'threaded CLONE_FILES: -1 EINVAL',
      'threaded CLONE_FS: -1 EINVAL',
      'threaded CLONE_SYSVSEM: -1 EINVAL',
      'joined: CLONE_FILES|CLONE_FS|CLONE_SYSVSEM: 0 ok',
      '',
    ].join('\n'));
  });
}

// No native reference: the host had no PMU (hardware instructions ENOENT there). The hart's
// retired-instruction count is exact, so a loop of two instructions an iteration run 1000 and
// 100000 times more costs exactly 2000 and 200000 more; kernel mode retires no guest
// instruction. What is not implemented is refused: sampling as by a PMU without an overflow
// interrupt (EOPNOTSUPP), the ring buffer (mmap ENODEV). inherit to a child process (native
// Linux counted it too: the same line) is EOPNOTSUPP on sgx, where the child is another enclave.
for (const tee of ['keystone', 'sev', 'sgx']) {
  test(`perf_event_open: exact hardware instructions, inherit to a child, the refusals of what is not implemented, on ${tee}`, () => {
    assert.equal(run(['--tee', tee], 'perf_event', ['enclave']), [
      tee === 'sgx' ? 'inherit: EOPNOTSUPP' : "inherit: a child's 64 page faults counted after it ended: yes",
      'instructions: ok',
      '1000 more iterations: 2000 more instructions',
      '100000 more iterations: 200000 more instructions',
      'same loop twice, same count: yes',
      'instructions, user excluded: 0',
      'instructions sampling: -1 EOPNOTSUPP',
      'task-clock sampling: -1 EOPNOTSUPP',
      'mmap: ENODEV',
      '',
    ].join('\n'));
  });
}
