/**
 * kcmp (kernel/kcmp.c): whether two tasks share a kernel object. Linux orders different
 * objects by obfuscated addresses (1: less, 2: greater); here by the order this kernel first
 * compared them, which is as stable a total order. The objects: KCMP_FILE an open file
 * description, KCMP_VM the address space, KCMP_FILES the descriptor table, KCMP_FS and
 * KCMP_SIGHAND what threads share (cwd/root/umask live on the process; handlers are shared by
 * CLONE_SIGHAND), KCMP_IO the I/O context (none until ioprio_set, and none equals none, as
 * Linux's NULL pointers), KCMP_SYSVSEM the process (no CLONE_SYSVSEM sharing is built).
 * KCMP_EPOLL_TFD is EOPNOTSUPP (what Linux answers without CONFIG_EPOLL). A process in another
 * enclave (process-per-enclave fork) shares no address space, table, fs or handlers with one
 * here (such clone flags cannot cross enclaves): "different". In a family, KCMP_FILE compares
 * family-wide identities of descriptions (family-fds.ts: a description carried at fork or moved
 * by pidfd_getfd keeps one in every enclave), asking another enclave for the identity of its
 * descriptor; KCMP_IO asks whether that thread has an I/O context (without CLONE_IO two
 * contexts are never one; none and none are the same). KCMP_EPOLL_TFD stays EOPNOTSUPP.
 */
import { E } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Process, Task } from '../task.ts';
import { compareIdentities } from '../family-fds.ts';

const KCMP_FILE = 0, KCMP_VM = 1, KCMP_FILES = 2, KCMP_FS = 3, KCMP_SIGHAND = 4, KCMP_IO = 5, KCMP_SYSVSEM = 6, KCMP_EPOLL_TFD = 7;

const order = new WeakMap<object, number>();
let nextOrder = 1;
const rank = (o: object): number => {
  let n = order.get(o);
  if (n === undefined) order.set(o, (n = nextOrder++));
  return n;
};
/** kcmp_ptr: 0 the same, 1 or 2 by order. */
function cmp(a: object | null, b: object | null): number {
  if (a === b) return 0;
  const x = a ? rank(a) : 0, y = b ? rank(b) : 0;
  return x < y ? 1 : 2;
}

/** The task a pid names (find_task_by_vpid: any thread's id), or a proxy of another enclave's process. */
function find(k: Kernel, pid: number): { task: Task | null; proc: Process } | null {
  for (const p of k.processes.values()) {
    if (p.remote) continue;
    for (const x of p.tasks) if (x.tid === pid && x.state !== 'zombie') return { task: x, proc: p };
  }
  const p = k.processes.get(pid);
  return p?.remote && p.exitStatus === null ? { task: null, proc: p } : null;
}

export function registerKcmp(tab: SyscallTable): void {
  tab.def('kcmp', 'ddduu', (k, t, a) => {
    const pid1 = a.i32(0), pid2 = a.i32(1), type = a.i32(2), idx1 = a.u(3), idx2 = a.u(4);
    const one = find(k, pid1), two = find(k, pid2);
    if (!one || !two) return -E.ESRCH;
    // ptrace_may_access(PTRACE_MODE_READ_REALCREDS): one user; a non-dumpable process refuses others.
    for (const s of [one, two]) if (s.proc !== t.proc && s.proc.dumpable !== 1 && k.config.uid !== 0) return -E.EPERM;
    const remote = one.task === null || two.task === null;
    const fam = k.family;
    switch (type) {
      case KCMP_FILE: {
        const n1 = idx1 > 0x7fffffff ? -1 : idx1, n2 = idx2 > 0x7fffffff ? -1 : idx2;
        if (!fam) {
          const f1 = one.proc.fds.get(n1), f2 = two.proc.fds.get(n2);
          if (!f1 || !f2) return -E.EBADF;
          return cmp(f1, f2);
        }
        // In a family every description is compared by its family-wide identity (family-fds.ts):
        // one order for local and remote ones alike. A process elsewhere is asked for its own.
        const ident = (s: { task: Task | null; proc: Process }, n: number): string | number => {
          if (s.task === null) return n < 0 ? -E.EBADF : fam.fds.remoteIdentity(s.proc.pid, n);
          const f = s.proc.fds.get(n);
          return f ? fam.fds.identity(f) : -E.EBADF;
        };
        const x = ident(one, n1);
        if (typeof x === 'number') return x;
        const y = ident(two, n2);
        if (typeof y === 'number') return y;
        return compareIdentities(x, y);
      }
      case KCMP_VM: return remote ? cmp(one.proc, two.proc) : cmp(one.proc.as, two.proc.as);
      case KCMP_FILES: return remote ? cmp(one.proc, two.proc) : cmp(one.proc.fds, two.proc.fds);
      case KCMP_FS: return cmp(one.proc, two.proc);
      case KCMP_SIGHAND: return remote ? cmp(one.proc, two.proc) : cmp(one.proc.sigactions, two.proc.sigactions);
      case KCMP_IO: {
        if (!remote) return cmp(one.task!.ioprio ? one.task : null, two.task!.ioprio ? two.task : null);
        // No CLONE_IO across enclaves: the same only when neither has an I/O context (NULL == NULL);
        // else none sorts first, and two contexts by their threads' ids (unique in the family).
        const has = (s: { task: Task | null; proc: Process }): boolean | number => (s.task ? s.task.ioprio !== 0 : fam ? fam.fds.remoteIo(s.proc.pid) : -E.ESRCH);
        const h1 = has(one);
        if (typeof h1 === 'number') return h1;
        const h2 = has(two);
        if (typeof h2 === 'number') return h2;
        if (!h1 && !h2) return 0;
        if (h1 !== h2) return h1 ? 2 : 1;
        return pid1 === pid2 ? 0 : (one.task?.tid ?? pid1) < (two.task?.tid ?? pid2) ? 1 : 2;
      }
      case KCMP_SYSVSEM: return cmp(one.proc, two.proc);
      case KCMP_EPOLL_TFD: return -E.EOPNOTSUPP;
      default: return -E.EINVAL;
    }
  }, 'partial');
}
