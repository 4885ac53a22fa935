/** Process syscalls: exit, exit_group, ids, set_tid_address, set_robust_list, prlimit64, prctl. */
import { E } from '../errors.ts';
import { seccompPrctl } from './seccomp.ts';
import { perfTaskEvents } from './perf.ts';
import { PR_GET_NAME, PR_SET_NAME, RLIMIT_MEMLOCK, RLIMIT_NICE, RLIMIT_NOFILE, RLIMIT_RTPRIO, RLIMIT_STACK, RLIMIT_MSGQUEUE, RLIM_NLIMITS } from '../abi/constants.ts';
import { decodeRlimit, encodeRlimit, RLIMIT_SIZE } from '../abi/structs.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Process, Task } from '../task.ts';
import type { SyscallArgs } from './args.ts';

export function registerProcess(tab: SyscallTable): void {
  tab.def('exit', 'd', (k, t, a) => {
    k.exitTask(t, (a.i32(0) & 0xff) << 8);
    return 0;
  });
  tab.def('exit_group', 'd', (k, t, a) => {
    k.exitProcess(t.proc, (a.i32(0) & 0xff) << 8);
    return 0;
  });
  tab.def('getpid', '', (k, t) => t.proc.pid);
  tab.def('getppid', '', (k, t) => t.proc.ppid);
  tab.def('gettid', '', (k, t) => t.tid);
  tab.def('getuid', '', (k) => k.config.uid);
  tab.def('geteuid', '', (k) => k.config.uid);
  tab.def('getgid', '', (k) => k.config.gid);
  tab.def('getegid', '', (k) => k.config.gid);

  // One configured user: the real, effective and saved ids are all the same.
  const ids = (k: Kernel, t: Task, a: SyscallArgs, v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    for (let i = 0; i < 3; i++) if (a.u(i)) t.proc.as.copyOut(a.u(i), b);
    return 0;
  };
  tab.def('getresuid', 'ppp', (k, t, a) => ids(k, t, a, k.config.uid));
  tab.def('getresgid', 'ppp', (k, t, a) => ids(k, t, a, k.config.gid));
  // Changing to the id one already has is allowed; anything else needs CAP_SETUID/CAP_SETGID.
  const same = (want: number[], have: number) => (want.every((x) => x === -1 || x >>> 0 === have) ? 0 : -E.EPERM);
  tab.def('setuid', 'd', (k, t, a) => same([a.i32(0)], k.config.uid));
  tab.def('setgid', 'd', (k, t, a) => same([a.i32(0)], k.config.gid));
  tab.def('setreuid', 'dd', (k, t, a) => same([a.i32(0), a.i32(1)], k.config.uid));
  tab.def('setregid', 'dd', (k, t, a) => same([a.i32(0), a.i32(1)], k.config.gid));
  tab.def('setresuid', 'ddd', (k, t, a) => same([a.i32(0), a.i32(1), a.i32(2)], k.config.uid));
  tab.def('setresgid', 'ddd', (k, t, a) => same([a.i32(0), a.i32(1), a.i32(2)], k.config.gid));
  tab.def('setfsuid', 'd', (k) => k.config.uid); // returns the previous fsuid, never fails
  tab.def('setfsgid', 'd', (k) => k.config.gid);
  tab.def('getgroups', 'dp', (k, t, a) => (a.i32(0) < 0 ? -E.EINVAL : 0)); // no supplementary groups
  tab.def('setgroups', 'dp', () => -E.EPERM);

  tab.def('set_tid_address', 'p', (k, t, a) => {
    t.clearChildTid = a.u(0);
    return t.tid;
  });

  tab.def('set_robust_list', 'pu', (k, t, a) => {
    // sizeof(struct robust_list_head) on 64-bit: three pointers-sized fields.
    if (a.u(1) !== 24) return -E.EINVAL;
    t.robustList = a.u(0);
    t.robustListLen = 24;
    return 0;
  });

  // Deliberately absent, as glibc expects of kernels without them: it falls back quietly.
  tab.def('rseq', 'pudx', () => -E.ENOSYS, 'partial');

  // kernel/sys.c: prlimit64 and the older getrlimit/setrlimit (riscv64 keeps both,
  // __ARCH_WANT_SET_GET_RLIMIT), each a do_prlimit on a process; the new limit is read first.
  tab.def('prlimit64', 'ddpp', (k, t, a) => {
    const pid = a.i32(0), newp = a.u(2);
    const next = newp ? decodeRlimit(t.proc.as.copyIn(newp, RLIMIT_SIZE)) : null;
    // Any process of the (one) user may be read and set, as check_prlimit_permission allows.
    const target = pid === 0 ? t.proc : [...k.processes.values()].find((p) => p.pid === pid && p.exitStatus === null);
    if (!target) return -E.ESRCH;
    if (target.remote && k.family) {
      // The process runs in another enclave: its kernel reads and sets the limits (a sealed request).
      const r = k.family.prlimit(target.pid, a.i32(1), next);
      if (r.ret < 0) return r.ret;
      if (a.u(3)) t.proc.as.copyOut(a.u(3), encodeRlimit(r.cur, r.max));
      return 0;
    }
    return doPrlimit(t, target, a.i32(1), next, a.u(3));
  });
  tab.def('getrlimit', 'dp', (k, t, a) => doPrlimit(t, t.proc, a.i32(0), null, a.u(1)));
  tab.def('setrlimit', 'dp', (k, t, a) => doPrlimit(t, t.proc, a.i32(0), decodeRlimit(t.proc.as.copyIn(a.u(1), RLIMIT_SIZE)), 0));

  tab.def('prctl', 'dxxxx', (k, t, a) => {
    const op = a.i32(0);
    if (op === PR_SET_NAME) {
      const raw = t.proc.as.copyIn(a.u(1), 16);
      const end = raw.indexOf(0);
      t.comm = new TextDecoder().decode(raw.subarray(0, end < 0 ? 15 : Math.min(end, 15)));
      if (t.tid === t.proc.pid) t.proc.comm = t.comm; // the leader's name is the process's
      return 0;
    }
    if (op === 31 /* PR_TASK_PERF_EVENTS_DISABLE */ || op === 32 /* PR_TASK_PERF_EVENTS_ENABLE */) {
      perfTaskEvents(t, op === 32);
      return 0;
    }
    if (op === PR_GET_NAME) {
      const b = new Uint8Array(16);
      b.set(new TextEncoder().encode(t.comm).subarray(0, 15));
      t.proc.as.copyOut(a.u(1), b);
      return 0;
    }
    const putInt = (addr: number, v: number) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, v, true);
      t.proc.as.copyOut(addr, b);
      return 0;
    };
    const sc = seccompPrctl(k, t, op, a.big(1), a.big(2), a.big(3), a.big(4));
    if (sc !== null) return sc;
    switch (op) {
      case PR_SET_PDEATHSIG: {
        const sig = a.u(1);
        if (sig > 64) return -E.EINVAL;
        t.proc.pdeathSig = sig;
        return 0;
      }
      case PR_GET_PDEATHSIG:
        return putInt(a.u(1), t.proc.pdeathSig);
      case PR_SET_CHILD_SUBREAPER:
        t.proc.childSubreaper = a.u(1) !== 0;
        return 0;
      case PR_GET_CHILD_SUBREAPER:
        return putInt(a.u(1), t.proc.childSubreaper ? 1 : 0);
      case PR_GET_DUMPABLE:
        return t.proc.dumpable;
      case PR_SET_DUMPABLE:
        if (a.u(1) > 1) return -E.EINVAL; // SUID_DUMP_DISABLE or SUID_DUMP_USER only
        t.proc.dumpable = a.u(1);
        return 0;
    }
    return -E.EINVAL;
  }, 'partial');
}

// linux/prctl.h
const PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4;
const PR_SET_CHILD_SUBREAPER = 36, PR_GET_CHILD_SUBREAPER = 37;

/** fs.nr_open's default: the most descriptors RLIMIT_NOFILE may allow. */
const NR_OPEN = 1048576n;

/** init's limits, as Linux's INIT_RLIMITS has them (the rest unlimited). */
export const DEFAULT_RLIMITS: [number, bigint, bigint][] = [
  [RLIMIT_STACK, 8n << 20n, -1n],
  [RLIMIT_MEMLOCK, 8n << 20n, 8n << 20n], // MLOCK_LIMIT since Linux 5.16
  [RLIMIT_NOFILE, 1024n, 4096n],
  [RLIMIT_NICE, 0n, 0n],
  [RLIMIT_RTPRIO, 0n, 0n],
  [RLIMIT_MSGQUEUE, 819200n, 819200n], // MQ_BYTES_MAX
];

/** kernel/sys.c do_prlimit: checks, then the old value out, then the new one in place. */
function doPrlimit(t: Task, target: Process, res: number, next: { cur: bigint; max: bigint } | null, oldp: number): number {
  const e = checkPrlimit(target, res, next);
  if (e < 0) return e;
  const lim = target.rlimits[res];
  if (oldp) t.proc.as.copyOut(oldp, encodeRlimit(lim.cur, lim.max));
  setPrlimit(target, res, next);
  return 0;
}

const unsigned = (v: bigint) => BigInt.asUintN(64, v); // RLIM_INFINITY is stored as -1n

function checkPrlimit(target: Process, res: number, next: { cur: bigint; max: bigint } | null): number {
  if (res < 0 || res >= RLIM_NLIMITS) return -E.EINVAL;
  const lim = target.rlimits[res];
  if (next) {
    if (unsigned(next.cur) > unsigned(next.max)) return -E.EINVAL;
    if (unsigned(next.max) > unsigned(lim.max)) return -E.EPERM; // raising the hard limit needs CAP_SYS_RESOURCE
    if (res === RLIMIT_NOFILE && unsigned(next.max) > NR_OPEN) return -E.EPERM; // fs.nr_open
  }
  return 0;
}

/**
 * do_prlimit on a process of this enclave for a caller in another enclave of the family
 * (family.ts 'rlim'): the old limit, or -errno.
 */
export function prlimitHere(target: Process, res: number, next: { cur: bigint; max: bigint } | null): { ret: number; cur: bigint; max: bigint } {
  const e = checkPrlimit(target, res, next);
  if (e < 0) return { ret: e, cur: 0n, max: 0n };
  const { cur, max } = target.rlimits[res];
  setPrlimit(target, res, next);
  return { ret: 0, cur, max };
}

function setPrlimit(target: Process, res: number, next: { cur: bigint; max: bigint } | null): void {
  const lim = target.rlimits[res];
  if (next) {
    lim.cur = next.cur;
    lim.max = next.max;
    // The descriptor table enforces the soft limit (EMFILE, dup2's EBADF, F_DUPFD's EINVAL).
    if (res === RLIMIT_NOFILE) target.fds.limit = Number(unsigned(next.cur) < NR_OPEN ? unsigned(next.cur) : NR_OPEN);
  }
}
