/**
 * Threads and their synchronisation: clone/clone3 for threads (CLONE_VM|FS|FILES|SIGHAND|
 * THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_SETTID|CHILD_CLEARTID), futex (WAIT, WAKE,
 * WAIT_BITSET, WAKE_BITSET; private and shared), sched_yield, sched_getaffinity.
 * kernel/fork.c, kernel/futex/. Process creation (fork) comes with the process-model issue.
 */
import { perfOnClone } from './perf.ts';
import { E, SysError } from '../errors.ts';
import { decodeTimespec, TIMESPEC_SIZE } from '../abi/structs.ts';
import { Kernel, type BLOCKED } from '../kernel.ts';
import { makeCheckpoint } from '../checkpoint.ts';
import { RLIMIT_NICE, RLIMIT_NPROC, RLIMIT_RTPRIO } from '../abi/constants.ts';
import { Process, Task, type WaitState, type WaitvWord } from '../task.ts';
import type { AddressSpace } from '../mm/address-space.ts';
import { PageCache } from '../mm/page-cache.ts';
import type { SyscallTable } from './table.ts';
import { openPidfd } from './pidfd.ts';
import { checkWritable } from './fs-common.ts';
import { shmForkFailed } from './sysvipc-family.ts';
import { keysOnFork, keysOnThread } from './keys.ts';

// linux/sched.h
export const CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800;
export const CLONE_PIDFD = 0x1000, CLONE_PTRACE = 0x2000, CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000;
export const CLONE_THREAD = 0x10000, CLONE_NEWNS = 0x20000, CLONE_SYSVSEM = 0x40000, CLONE_SETTLS = 0x80000;
export const CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_CLEARTID = 0x200000, CLONE_DETACHED = 0x400000;
export const CLONE_UNTRACED = 0x800000, CLONE_CHILD_SETTID = 0x1000000;
const CSIGNAL = 0xff, CLONE_NEWTIME = 0x80;
const CLONE_CLEAR_SIGHAND = 0x100000000n, CLONE_INTO_CGROUP = 0x200000000n;
const CLONE_ARGS_SIZE_VER0 = 64, CLONE_ARGS_SIZE_VER2 = 88;
const THREAD_FLAGS = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;

// linux/futex.h
export const FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4, FUTEX_WAKE_OP = 5;
export const FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10;
export const FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
export const FUTEX_BITSET_MATCH_ANY = 0xffffffff;

/**
 * Robust futexes on thread death (kernel/futex/core.c exit_robust_list): every lock on the
 * dead thread's list that it still owns gets FUTEX_OWNER_DIED, and one waiter is woken.
 */
const FUTEX_WAITERS = 0x80000000, FUTEX_OWNER_DIED = 0x40000000, FUTEX_TID_MASK = 0x3fffffff;
const ROBUST_LIST_LIMIT = 2048;
export function exitRobustList(k: Kernel, t: Task): void {
  if (!t.robustList) return;
  const as = t.proc.as;
  const u64 = (addr: number) => Number(new DataView(as.copyIn(addr, 8).buffer).getBigUint64(0, true));
  const handle = (entry: number, offset: number) => {
    const uaddr = entry + offset;
    const word = new DataView(as.copyIn(uaddr, 4).buffer).getUint32(0, true);
    if ((word & FUTEX_TID_MASK) !== t.tid) return;
    const nb = new Uint8Array(4);
    new DataView(nb.buffer).setUint32(0, ((word & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0, true);
    as.copyOut(uaddr, nb);
    if (word & FUTEX_WAITERS) futexWake(k, t.proc, uaddr, 1, FUTEX_BITSET_MATCH_ANY, false);
  };
  try {
    const head = t.robustList;
    const offset = Number(new DataView(as.copyIn(head + 8, 8).buffer).getBigInt64(0, true)); // signed
    const pending = u64(head + 16);
    let entry = u64(head);
    for (let n = 0; entry !== head && entry !== 0 && n < ROBUST_LIST_LIMIT; n++) {
      const next = u64(entry);
      if (entry !== pending) handle(entry, offset);
      entry = next;
    }
    if (pending) handle(pending, offset);
  } catch { /* a bad list is ignored, as Linux does */ }
}

/** Above every Sv39 user address: marks a shared-op key on private memory. */
const MMSHARED = 2 ** 52;

/** A futex's identity (kernel/futex/core.c get_futex_key). */
export interface FutexKey {
  key: number;
  /**
   * Private key: the address space (with the virtual address as key); a shared file mapping's:
   * the file's page cache (with the offset in the file as key); undefined: physical.
   */
  mm?: AddressSpace | PageCache;
}

/**
 * Private futexes, and shared ones on private memory, are keyed by address space and virtual
 * address; a shared futex on a MAP_SHARED page by its physical page and offset, so processes
 * that map the page (after fork, or twice) meet on it. null: no mapping (EFAULT).
 */
export function futexKey(k: Kernel, proc: Process, addr: number, priv: boolean): FutexKey | null {
  const vma = proc.as.find(addr);
  if (priv) return { key: addr, mm: proc.as };
  // A shared op on private memory: the same (mm, address) but marked apart (FUT_OFF_MMSHARED),
  // so it never meets a private op on the same word.
  if (!vma?.shared) return { key: addr + MMSHARED, mm: proc.as };
  // Another enclave's file (family-futex.ts): its owner reaches the page, and says EFAULT when
  // there is none; fetching it here first would only move it for nothing.
  if (vma.file && k.family?.futex.held(vma.file.cache)) return { key: addr - vma.fileBase!, mm: vma.file.cache };
  proc.as.copyIn(addr, 4); // get_user_pages: the page must be present to have a frame
  // A shared file mapping (tmpfs, memfd, System V segment): (file, offset) as Linux keys it
  // (the inode and page index), which also holds where a page's frame is not fixed (fixed
  // paging migrates a file page between its mappings).
  if (vma.file) return { key: addr - vma.fileBase!, mm: vma.file.cache };
  const pa = proc.as.pt.lookup(addr - (addr % 4096));
  return pa < 0 ? null : { key: pa + (addr % 4096) };
}

function sameKey(w: WaitState | null, k: FutexKey): boolean {
  return w !== null && w.futexKey === k.key && w.futexMm === k.mm;
}

/** The word of a futex_waitv sleep on `k` (one this enclave queues), or undefined. */
function waitvWord(w: WaitState | null, k: FutexKey): WaitvWord | undefined {
  return w?.waitv?.find((x) => x.key !== undefined && x.key === k.key && x.mm === k.mm);
}

/**
 * Wakes up to n waiters on the futex at addr whose bitset intersects `bitset`. A shared futex in
 * untrusted shared memory may have waiters in other enclaves of the family: when fewer than n
 * woke here, the host wakes up to the rest there (it keeps who waits on which region and offset)
 * and says how many; the count returned is both together, as Linux counts every process's
 * waiters. The host could lie about its part: a wrong count or a missed wake, nothing more.
 */
export function futexWake(k: Kernel, proc: Process, addr: number, n: number, bitset: number, priv: boolean): number {
  const key = futexKey(k, proc, addr, priv);
  if (!key) return 0;
  if (key.mm instanceof PageCache && k.family) {
    // A file other enclaves map: its owner keeps every enclave's waiters (family-futex.ts).
    const fx = k.family.futex, h = fx.held(key.mm);
    return h ? fx.wake(h, key.key, n, bitset) : fx.wakeAll(key.mm, key.key, n, bitset);
  }
  const woken = wakeKey(k, key, n, bitset);
  const u = priv ? undefined : ushmWord(proc, addr);
  if (!u || !k.ushm || woken >= n) return woken;
  return woken + k.ushm.cap.futexWake(u.id, u.off, n - woken, bitset);
}

/** The untrusted shared memory region and offset of the word at addr, or undefined. */
export function ushmWord(proc: Process, addr: number): { id: number; off: number } | undefined {
  const v = proc.as.find(addr);
  return v?.ushm ? { id: v.ushm.id, off: addr - v.ushm.base } : undefined;
}

/**
 * Waiters of this enclave that another enclave woke through the host (untrusted shared memory):
 * called when the family's doorbell rang. A token nobody here waits on any more is ignored.
 */
export function ushmFutexWoken(k: Kernel): void {
  if (!k.ushm) return;
  let waiting = false;
  for (const p of k.processes.values()) {
    for (const t of p.tasks) if (t.state === 'blocked' && (t.wait?.ushm?.token || t.wait?.waitv?.some((x) => x.ushm?.token))) waiting = true;
  }
  if (!waiting) return;
  for (const token of k.ushm.cap.futexWoken()) {
    for (const p of k.processes.values()) {
      for (const t of p.tasks) {
        const h = t.state === 'blocked' ? t.wait?.ushm : undefined;
        if (h && h.token === token) { h.token = 0; k.wake(t, 0); }
        // futex_waitv: the woken word's index is the result.
        const x = t.state === 'blocked' ? t.wait?.waitv?.find((y) => y.ushm?.token === token) : undefined;
        if (x) { x.ushm!.token = 0; k.wake(t, x.index); }
      }
    }
  }
}

/** Wakes up to n waiters of this enclave on `key` whose bitset intersects `bitset`; how many. */
export function wakeKey(k: Kernel, key: FutexKey, n: number, bitset: number): number {
  let woken = 0;
  for (const p of k.processes.values()) {
    for (const t of p.tasks) {
      if (woken >= n) return woken;
      if (t.state !== 'blocked') continue;
      if (sameKey(t.wait, key) && ((t.wait!.bitset ?? FUTEX_BITSET_MATCH_ANY) & bitset) !== 0) {
        k.wake(t, 0);
        woken++;
        continue;
      }
      // futex_waitv waits with every bit set (FUTEX_BITSET_MATCH_ANY) and returns the word's index.
      const x = waitvWord(t.wait, key);
      if (x) {
        k.wake(t, x.index);
        woken++;
      }
    }
  }
  return woken;
}

/**
 * Moves up to n waiters of this enclave from `from` to `to` (futex_requeue); with `to` null, or a
 * word of another enclave's file (whose waiters its owner keeps), they are woken instead, a
 * spurious wakeup their callers must tolerate. Returns how many.
 */
export function requeueKey(k: Kernel, from: FutexKey, to: FutexKey | null, n: number): number {
  const away = to === null || (to.mm instanceof PageCache && k.family?.futex.held(to.mm));
  let moved = 0;
  for (const p of k.processes.values()) {
    for (const w of p.tasks) {
      if (moved >= n) return moved;
      if (w.state !== 'blocked') continue;
      if (sameKey(w.wait, from)) {
        if (away) k.wake(w, 0);
        else {
          w.wait!.futexKey = to!.key;
          w.wait!.futexMm = to!.mm;
        }
        moved++;
        continue;
      }
      // A futex_waitv word moves as Linux moves its futex_q (requeue_futex); its index stays.
      const x = waitvWord(w.wait, from);
      if (x) {
        if (away) k.wake(w, x.index);
        else {
          x.key = to!.key;
          x.mm = to!.mm;
        }
        moved++;
      }
    }
  }
  return moved;
}

/**
 * FUTEX_WAIT/WAIT_BITSET once the timeout is an absolute monotonic deadline. A wait with a
 * timeout that a signal interrupts returns EINTR even under SA_RESTART and leaves a restart block
 * that waits again to the same deadline (futex_wait_restart, which clears the block first); one
 * without a timeout is restarted (-ERESTARTSYS).
 */
function futexWait(k: Kernel, t: Task, addr: number, val: number, bitset: number, deadline: number, priv: boolean): number | typeof BLOCKED {
  const readWord = () => new DataView(t.proc.as.copyIn(addr, 4).buffer).getInt32(0, true);
  const u = priv || !k.ushm ? undefined : ushmWord(t.proc, addr);
  // Another enclave's file: its owner compares (family-futex.ts), so not here.
  const vma = priv ? undefined : t.proc.as.find(addr);
  const held = vma?.shared && vma.file ? k.family?.futex.held(vma.file.cache) : null;
  if (!u && !held && readWord() !== val) return -E.EAGAIN;
  const key = futexKey(k, t.proc, addr, priv);
  if (!key) return -E.EFAULT;
  // With a timeout a signal ends the wait with EINTR whatever SA_RESTART says, leaving the restart.
  const timed = deadline !== Infinity;
  const onSignal = timed ? (): boolean => {
    t.restartBlock = (k2, t2) => {
      t2.restartBlock = null;
      return futexWait(k2, t2, addr, val, bitset, deadline, priv);
    };
    return false; // then interrupted as usual: not restartable, so EINTR
  } : undefined;
  if (held && key.mm instanceof PageCache) return k.family!.futex.wait(t, held, key.key, val, bitset, deadline, { key: key.key, mm: key.mm });
  if (u && k.ushm) {
    // Another enclave may change the word and wake at any moment: register with the host
    // first, then compare (a wake after the compare finds the registration; one before it
    // changed the word, and the compare sees that).
    const cap = k.ushm.cap;
    const h = { token: cap.futexWait(u.id, u.off, bitset) };
    let cur: number;
    try { cur = readWord(); } catch (e) { cap.futexCancel(h.token); throw e; }
    if (cur !== val) { cap.futexCancel(h.token); return -E.EAGAIN; }
    return k.block(t, {
      futexKey: key.key, futexMm: key.mm, bitset, deadline, onTimeout: -E.ETIMEDOUT, ushm: h,
      onWake: () => { if (h.token) { cap.futexCancel(h.token); h.token = 0; } },
    });
  }
  return k.block(t, { futexKey: key.key, futexMm: key.mm, bitset, deadline, onTimeout: -E.ETIMEDOUT, restartable: !timed, onSignal });
}

interface CloneArgs {
  flags: number;
  stack: number;
  parentTid: number;
  childTid: number;
  tls: bigint;
  exitSignal: number;
  /** clone3 CLONE_CLEAR_SIGHAND: the child's handlers go back to SIG_DFL (ignored stay ignored). */
  clearSighand?: boolean;
  /** CLONE_PIDFD: where the parent's pidfd for the child is stored (clone: parent_tid; clone3: pidfd). */
  pidfd?: number;
}

function doClone(k: Kernel, t: Task, c: CloneArgs): number | typeof BLOCKED {
  if (c.flags & CLONE_NEWNS) return -E.EINVAL;
  if (c.flags & CLONE_PIDFD) {
    // copy_process: not with CLONE_DETACHED; clone() stores the pidfd where CLONE_PARENT_SETTID
    // would store the tid, so not both. A thread's pidfd (PIDFD_THREAD, Linux 6.9) is not built.
    if (c.flags & (CLONE_DETACHED | CLONE_THREAD)) return -E.EINVAL;
    if (c.flags & CLONE_PARENT_SETTID && c.pidfd === c.parentTid) return -E.EINVAL;
    try {
      checkWritable(t, c.pidfd ?? 0, 4); // a fault fails the clone before the child exists
    } catch (e) {
      return e instanceof SysError ? -e.errno : -E.EFAULT;
    }
  }
  // kernel/fork.c copy_process: threads share signal handlers, and handlers need the VM.
  if (c.flags & CLONE_THREAD && !(c.flags & CLONE_SIGHAND)) return -E.EINVAL;
  if (c.flags & CLONE_SIGHAND && !(c.flags & CLONE_VM)) return -E.EINVAL;
  if (!(c.flags & CLONE_THREAD)) return forkProcess(k, t, c);
  if ((c.flags & THREAD_FLAGS) !== THREAD_FLAGS) return -E.EINVAL; // CLONE_THREAD needs VM|SIGHAND (and we share FS|FILES)
  if (c.flags & (CLONE_VFORK | CLONE_PARENT)) return -E.EINVAL;
  const child = new Task(k.allocPid(), t.proc);
  child.comm = t.comm; // a new thread starts with its creator's name
  inheritSched(child, t);
  child.mempolicy = t.mempolicy; // copy_process: mpol_dup (policies are never changed in place)
  inheritSeccomp(child, t);
  keysOnThread(k, child, t);
  perfOnClone(t, child, true);
  const ctx = k.snapshot(); // pc already points past the ecall
  ctx.x[10] = 0n; // the child sees 0
  if (c.stack) ctx.x[2] = BigInt(c.stack);
  if (c.flags & CLONE_SETTLS) ctx.x[4] = c.tls;
  child.saved = ctx;
  child.sigmask = t.sigmask;
  if (c.flags & CLONE_PARENT_SETTID) putTid(t.proc.as, c.parentTid, child.tid);
  if (c.flags & CLONE_CHILD_SETTID) putTid(t.proc.as, c.childTid, child.tid);
  if (c.flags & CLONE_CHILD_CLEARTID) child.clearChildTid = c.childTid;
  k.addTask(child);
  return child.tid;
}

/**
 * fork (and vfork, and clone without CLONE_THREAD): a new process with a copy-on-write copy
 * of the address space, or with the parent's own address space under CLONE_VM (vfork,
 * posix_spawn); CLONE_SIGHAND then shares the handlers too. The vfork parent sleeps until
 * the child execs or exits.
 */
function forkProcess(k: Kernel, t: Task, c: CloneArgs): number | typeof BLOCKED {
  const parent = t.proc;
  let live = 0;
  for (const p of k.processes.values()) if (p.exitStatus === null) live++;
  const nproc = parent.rlimits[RLIMIT_NPROC].cur;
  if (nproc >= 0n && BigInt(live) >= nproc) return -E.EAGAIN;
  if (!parent.as.pt.kernelFrames && k.family) return forkIntoEnclave(k, t, c);
  let as;
  if (c.flags & CLONE_VM) {
    // One enclave, one address space on fixed-paging platforms: as fork, not available there.
    if (!parent.as.pt.kernelFrames) return -E.ENOSYS;
    as = parent.as;
    k.shareAs(as);
  } else {
    try {
      as = parent.as.fork();
    } catch (e) {
      return e instanceof SysError ? -e.errno : -E.ENOMEM;
    }
  }
  const pid = k.allocPid();
  const child = new Process(pid, c.flags & CLONE_PARENT ? parent.ppid : parent.pid, as, c.flags & CLONE_FILES ? parent.fds : parent.fds.clone(), parent.exePath);
  child.comm = t.comm; // the forking thread's name (Linux copies the task's comm)
  child.cwd = parent.cwd;
  child.root = parent.root;
  child.umask = parent.umask;
  child.personality = parent.personality;
  child.pgid = parent.pgid;
  child.sid = parent.sid;
  child.vdsoSigreturn = parent.vdsoSigreturn;
  for (let i = 0; i < parent.rlimits.length; i++) child.rlimits[i] = { ...parent.rlimits[i] };
  if (c.flags & CLONE_SIGHAND) child.sigactions = parent.sigactions;
  else for (const [sig, act] of parent.sigactions) if (!c.clearSighand || act.handler === 1n /* SIG_IGN */) child.sigactions.set(sig, { ...act });
  child.exitSignal = c.exitSignal;
  child.creatorTid = c.flags & CLONE_PARENT ? 0 : t.tid;
  const task = new Task(pid, child); // takes child.comm
  const ctx = k.snapshot();
  ctx.x[10] = 0n;
  if (c.stack) ctx.x[2] = BigInt(c.stack);
  if (c.flags & CLONE_SETTLS) ctx.x[4] = c.tls;
  task.saved = ctx;
  task.sigmask = t.sigmask;
  task.altStack = { ...t.altStack };
  inheritSched(task, t);
  task.mempolicy = t.mempolicy; // copy_process: mpol_dup
  inheritSeccomp(task, t);
  keysOnFork(task, t);
  perfOnClone(t, task, false);
  // From here on nothing may fail: the child holds references (its descriptor table, its
  // address space) that only its exit gives back.
  k.processes.set(pid, child);
  if (c.flags & CLONE_PARENT_SETTID) putTid(parent.as, c.parentTid, pid);
  if (c.flags & CLONE_PIDFD) putTid(parent.as, c.pidfd!, openPidfd(k, t, child));
  if (c.flags & CLONE_CHILD_SETTID) putTid(child.as, c.childTid, pid);
  if (c.flags & CLONE_CHILD_CLEARTID) task.clearChildTid = c.childTid;
  k.addTask(task);
  if (c.flags & CLONE_VFORK) {
    const result = pid;
    child.vforkWaiter = () => k.wake(t, result);
    return k.block(t, { deadline: Infinity, onTimeout: result, restartable: false, onSignal: () => true });
  }
  return pid;
}

/**
 * The CLONE_PARENT_SETTID/CLONE_CHILD_SETTID stores. Linux ignores their faults (kernel_clone's
 * put_user, schedule_tail's put_user): a bad pointer, or no frame for a copy-on-write page in a
 * full enclave, never fails the clone after the child exists.
 */
function putTid(as: AddressSpace, addr: number, tid: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, tid, true);
  try {
    as.copyOut(addr, b);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
  }
}

/** sched_fork: the child has its parent's policy and nice, unless SCHED_RESET_ON_FORK. */
export function inheritSched(child: Pick<Task, 'nice' | 'policy' | 'rtPriority' | 'affinity' | 'ioprio'>, parent: Pick<Task, 'nice' | 'policy' | 'rtPriority' | 'resetOnFork' | 'affinity' | 'ioprio'>): void {
  child.affinity = parent.affinity;
  child.ioprio = parent.ioprio; // copy_io: a set I/O priority is inherited
  child.nice = parent.nice;
  child.policy = parent.policy;
  child.rtPriority = parent.rtPriority;
  if (parent.resetOnFork) {
    if (child.policy === SCHED_FIFO || child.policy === SCHED_RR) { child.policy = SCHED_NORMAL; child.rtPriority = 0; }
    if (child.nice < 0) child.nice = 0;
  }
}

// linux/sched.h; linux/resource.h
const SCHED_NORMAL = 0, SCHED_FIFO = 1, SCHED_RR = 2, SCHED_BATCH = 3, SCHED_IDLE = 5, SCHED_DEADLINE = 6;
const SCHED_RESET_ON_FORK = 0x40000000;
const PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;

/** A live thread by id (0: the caller). */
export function findTaskById(k: Kernel, t: Task, pid: number): Task | undefined {
  if (pid === 0) return t;
  for (const p of k.processes.values()) {
    if (p.exitStatus !== null) continue;
    for (const x of p.tasks) if (x.tid === pid) return x;
  }
  return undefined;
}

/** can_nice: lowering nice to `nice` is allowed within RLIMIT_NICE (20 - nice <= limit); no CAP_SYS_NICE here. */
export function canNice(t: Task, nice: number): boolean {
  const lim = t.proc.rlimits[RLIMIT_NICE].cur;
  return lim < 0n || BigInt(20 - nice) <= lim;
}

/** __sched_setscheduler's checks for an unprivileged caller; 0 or -errno. */
function setScheduler(t: Task, target: Task, policyArg: number, prio: number): number {
  const reset = (policyArg & SCHED_RESET_ON_FORK) !== 0;
  const policy = policyArg & ~SCHED_RESET_ON_FORK;
  if (![SCHED_NORMAL, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE].includes(policy)) return -E.EINVAL;
  const rt = policy === SCHED_FIFO || policy === SCHED_RR;
  if (prio < 0 || prio > 99 || rt !== (prio !== 0)) return -E.EINVAL;
  if (rt) {
    // Real-time needs CAP_SYS_NICE or room in RLIMIT_RTPRIO (and only upwards to it).
    const lim = target.proc.rlimits[RLIMIT_RTPRIO].cur; // -1: unlimited
    if (policy !== target.policy && lim === 0n) return -E.EPERM;
    if (prio > target.rtPriority && lim >= 0n && BigInt(prio) > lim) return -E.EPERM;
  } else if (target.policy === SCHED_IDLE && policy !== SCHED_IDLE && !canNice(target, target.nice)) {
    return -E.EPERM; // leaving SCHED_IDLE needs a nice value RLIMIT_NICE allows
  }
  if (target.resetOnFork && !reset) return -E.EPERM; // only a privileged caller may clear it
  target.policy = policy;
  target.rtPriority = prio;
  target.resetOnFork = reset;
  return 0;
}

/**
 * fork where one enclave holds one address space (the HAL's EnclaveFamily): the child is a new
 * enclave resuming from a checkpoint of this process; here it is a proxy (family.ts).
 */
function forkIntoEnclave(k: Kernel, t: Task, c: CloneArgs): number | typeof BLOCKED {
  const fam = k.family!;
  const parent = t.proc;
  // Nothing can be shared with another enclave but through the host: CLONE_VM only with
  // CLONE_VFORK (vfork, posix_spawn), where the child gets a copy, as POSIX allows.
  if (c.flags & (CLONE_FILES | CLONE_SIGHAND) || (c.flags & CLONE_VM && !(c.flags & CLONE_VFORK))) return -E.EINVAL;
  let pid: number;
  try {
    pid = k.allocPid();
  } catch (e) {
    return e instanceof SysError ? -e.errno : -E.EAGAIN;
  }
  const admitted = fam.admitFork(pid, parent.rlimits[RLIMIT_NPROC].cur);
  if (admitted < 0) return admitted;
  const ppid = c.flags & CLONE_PARENT ? parent.ppid : parent.pid;
  const ctx = k.snapshot();
  ctx.x[10] = 0n;
  if (c.stack) ctx.x[2] = BigInt(c.stack);
  if (c.flags & CLONE_SETTLS) ctx.x[4] = c.tls;
  const tidBytes = new Uint8Array(4);
  new DataView(tidBytes.buffer).setInt32(0, pid, true);
  // CLONE_CHILD_SETTID writes the child's copy: write ours, checkpoint, then put ours back.
  let saved: Uint8Array | null = null;
  if (c.flags & CLONE_CHILD_SETTID) {
    saved = parent.as.copyIn(c.childTid, 4);
    parent.as.copyOut(c.childTid, tidBytes);
  }
  const ckpt = makeCheckpoint(k, fam, t, pid, ppid, { ctx, clearChildTid: c.flags & CLONE_CHILD_CLEARTID ? c.childTid : 0, vfork: (c.flags & CLONE_VFORK) !== 0 });
  if (saved) parent.as.copyOut(c.childTid, saved);
  if (typeof ckpt === 'number') {
    shmForkFailed(fam, pid, parent.pid); // System V attaches already counted for the child
    for (const h of fam.holdings) h.forkFailed(pid); // and POSIX queue descriptions carried to it
    fam.forkGone(pid); // and its place under RLIMIT_NPROC
    return ckpt;
  }
  const r = fam.fam.spawn(pid, ckpt);
  if (r < 0) {
    k.platform.log(`fork: the new enclave did not start (${Kernel.describeErrno(-r)})`);
    fam.files.forkFailed(pid); // the files served to it (or held for it elsewhere) are let go
    fam.pages.gone(pid); // and the file pages it would have mapped
    for (const h of fam.holdings) h.forkFailed(pid); // and the other objects carried to it (POSIX queues)
    shmForkFailed(fam, pid, parent.pid); // and the System V attaches it was counted for
    fam.forkGone(pid); // and its place under RLIMIT_NPROC
    return r;
  }
  const child = fam.proxy(pid, ppid);
  child.creatorTid = c.flags & CLONE_PARENT ? 0 : t.tid;
  child.pgid = parent.pgid;
  child.sid = parent.sid;
  child.comm = t.comm;
  child.exitSignal = c.exitSignal;
  child.remoteIoprio = t.ioprio;
  if (c.flags & CLONE_PARENT_SETTID) parent.as.copyOut(c.parentTid, tidBytes);
  if (c.flags & CLONE_PIDFD) putTid(parent.as, c.pidfd!, openPidfd(k, t, child));
  if (c.flags & CLONE_VFORK) {
    child.vforkWaiter = () => k.wake(t, pid);
    return k.block(t, { deadline: Infinity, onTimeout: pid, restartable: false, onSignal: () => true });
  }
  return pid;
}

export function registerSched(tab: SyscallTable): void {
  tab.def('sched_get_priority_max', 'd', (k, t, a) => {
    const p = a.i32(0);
    return p === SCHED_FIFO || p === SCHED_RR ? 99 : [SCHED_NORMAL, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE].includes(p) ? 0 : -E.EINVAL;
  });
  tab.def('sched_get_priority_min', 'd', (k, t, a) => {
    const p = a.i32(0);
    return p === SCHED_FIFO || p === SCHED_RR ? 1 : [SCHED_NORMAL, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE].includes(p) ? 0 : -E.EINVAL;
  });
  tab.def('sched_getscheduler', 'd', (k, t, a) => {
    const pid = a.i32(0);
    if (pid < 0) return -E.EINVAL;
    const x = findTaskById(k, t, pid);
    if (!x) return -E.ESRCH;
    return x.policy | (x.resetOnFork ? SCHED_RESET_ON_FORK : 0);
  });
  tab.def('sched_getparam', 'dp', (k, t, a) => {
    const pid = a.i32(0);
    if (pid < 0 || a.u(1) === 0) return -E.EINVAL;
    const x = findTaskById(k, t, pid);
    if (!x) return -E.ESRCH;
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, x.rtPriority, true);
    t.proc.as.copyOut(a.u(1), b);
    return 0;
  });
  const readParam = (t: Task, addr: number) => new DataView(t.proc.as.copyIn(addr, 4).buffer).getInt32(0, true);
  tab.def('sched_setscheduler', 'ddp', (k, t, a) => {
    const pid = a.i32(0), policy = a.i32(1);
    if (pid < 0 || a.u(2) === 0 || policy < 0) return -E.EINVAL;
    const prio = readParam(t, a.u(2));
    const x = findTaskById(k, t, pid);
    if (!x) return -E.ESRCH;
    return setScheduler(t, x, policy, prio);
  });
  tab.def('sched_setparam', 'dp', (k, t, a) => {
    const pid = a.i32(0);
    if (pid < 0 || a.u(1) === 0) return -E.EINVAL;
    const prio = readParam(t, a.u(1));
    const x = findTaskById(k, t, pid);
    if (!x) return -E.ESRCH;
    return setScheduler(t, x, x.policy | (x.resetOnFork ? SCHED_RESET_ON_FORK : 0), prio);
  });
  tab.def('sched_rr_get_interval', 'dp', (k, t, a) => {
    const pid = a.i32(0);
    if (pid < 0) return -E.EINVAL;
    const x = findTaskById(k, t, pid);
    if (!x) return -E.ESRCH;
    // SCHED_RR's quantum is 100 ms (RR_TIMESLICE); FIFO has none; fair tasks get the model's slice (1 ms at 1 ns/instruction).
    const ns = x.policy === SCHED_RR ? 100_000_000 : x.policy === SCHED_FIFO ? 0 : TIME_SLICE_NS;
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setBigInt64(0, BigInt(Math.floor(ns / 1e9)), true);
    dv.setBigInt64(8, BigInt(ns % 1e9), true);
    t.proc.as.copyOut(a.u(1), b);
    return 0;
  });
  tab.def('getpriority', 'dd', (k, t, a) => {
    const which = a.i32(0), who = a.i32(1);
    const ts = prioTargets(k, t, which, who);
    if (typeof ts === 'number') return ts;
    // The kernel returns 20 - nice (1..40), the highest among the targets; glibc turns it back.
    return ts.reduce((m, x) => Math.max(m, 20 - x.nice), 0) || -E.ESRCH;
  });
  tab.def('setpriority', 'ddd', (k, t, a) => {
    const which = a.i32(0), who = a.i32(1);
    const nice = Math.min(19, Math.max(-20, a.i32(2)));
    const ts = prioTargets(k, t, which, who);
    if (typeof ts === 'number') return ts;
    if (ts.length === 0) return -E.ESRCH;
    let err = 0;
    for (const x of ts) {
      if (nice < x.nice && !canNice(x, nice)) { err = -E.EACCES; continue; }
      x.nice = nice;
    }
    return err;
  });
  tab.def('getcpu', 'ppp', (k, t, a) => {
    const b = new Uint8Array(4); // CPU 0 (the hart), NUMA node 0
    if (a.u(0)) t.proc.as.copyOut(a.u(0), b);
    if (a.u(1)) t.proc.as.copyOut(a.u(1), b);
    return 0;
  });
  tab.def('sched_setaffinity', 'dup', (k, t, a) => {
    const pid = a.i32(0), len = a.u(1);
    if (pid < 0) return -E.ESRCH;
    const x = findTaskById(k, t, pid);
    if (!x) return -E.ESRCH;
    const mask = t.proc.as.copyIn(a.u(2), Math.min(len, 128));
    // The new mask must include an online CPU (cpumask_subset of cpu_active_mask is non-empty).
    const harts = k.platform.exec.hartCount;
    let bits = 0n;
    for (let i = 0; i < Math.min(harts, mask.length * 8, 64); i++) if (mask[i >> 3] & (1 << (i & 7))) bits |= 1n << BigInt(i);
    if (bits === 0n) return -E.EINVAL;
    x.affinity = bits; // what sched_getaffinity reports from now on (the scheduler itself runs every task on one hart)
    return 0;
  });

  // riscv64 uses the generic order: clone(flags, newsp, parent_tid, tls, child_tid).
  tab.def('clone', 'xppxp', (k, t, a) => doClone(k, t, {
    flags: a.u(0) & ~CSIGNAL, exitSignal: a.u(0) & CSIGNAL, stack: a.u(1), parentTid: a.u(2), tls: a.big(3), childTid: a.u(4),
    pidfd: a.u(2),
  }), 'partial');

  // struct clone_args (linux/sched.h): flags@0, pidfd@8, child_tid@16, parent_tid@24,
  // exit_signal@32, stack@40, stack_size@48, tls@56, set_tid@64, set_tid_size@72, cgroup@80.
  // Checked as kernel/fork.c copy_clone_args_from_user and clone3_args_valid do.
  tab.def('clone3', 'pu', (k, t, a) => {
    const size = a.u(1);
    if (size > 4096) return -E.E2BIG;
    if (size < CLONE_ARGS_SIZE_VER0) return -E.EINVAL;
    const b = new Uint8Array(CLONE_ARGS_SIZE_VER2);
    b.set(t.proc.as.copyIn(a.u(0), Math.min(size, CLONE_ARGS_SIZE_VER2)));
    // A larger (newer) struct is fine only if what this kernel does not know is zero.
    if (size > CLONE_ARGS_SIZE_VER2 && t.proc.as.copyIn(a.u(0) + CLONE_ARGS_SIZE_VER2, size - CLONE_ARGS_SIZE_VER2).some((x) => x !== 0)) return -E.E2BIG;
    const dv = new DataView(b.buffer);
    const q = (o: number) => dv.getBigUint64(o, true);
    const flags = q(0), exitSignal = q(32), stack = q(40), stackSize = q(48), setTid = q(64), setTidSize = q(72), cgroup = q(80);
    if (setTidSize > 32n) return -E.EINVAL; // MAX_PID_NS_LEVEL
    if (setTidSize > 1n) return -E.EINVAL; // one pid namespace, level 0: at most one pid to choose (alloc_pid)
    if ((setTid === 0n) !== (setTidSize === 0n)) return -E.EINVAL;
    if (exitSignal & ~0xffn || exitSignal > 64n) return -E.EINVAL;
    if (flags & CLONE_INTO_CGROUP && (cgroup > 0x7fffffffn || size < CLONE_ARGS_SIZE_VER2)) return -E.EINVAL;
    if (flags & ~(0xffffffffn | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP)) return -E.EINVAL;
    if (flags & BigInt(CLONE_DETACHED | (CSIGNAL & ~CLONE_NEWTIME))) return -E.EINVAL;
    if (flags & CLONE_CLEAR_SIGHAND && flags & BigInt(CLONE_SIGHAND)) return -E.EINVAL;
    if (flags & BigInt(CLONE_THREAD | CLONE_PARENT) && exitSignal) return -E.EINVAL;
    if (stack === 0n ? stackSize !== 0n : stackSize === 0n) return -E.EINVAL;
    // Choosing the child's pid needs CAP_SYS_ADMIN; there are no cgroups to clone into.
    if (setTidSize) return -E.EPERM;
    if (flags & CLONE_INTO_CGROUP) return -E.EBADF;
    return doClone(k, t, {
      flags: Number(flags & 0xffffffffn), childTid: Number(q(16)), parentTid: Number(q(24)), exitSignal: Number(exitSignal),
      stack: stack ? Number(stack + stackSize) : 0, tls: q(56), clearSighand: (flags & CLONE_CLEAR_SIGHAND) !== 0n,
      pidfd: Number(q(8)),
    });
  }, 'partial');

  tab.def('futex', 'pdxppx', (k, t, a) => {
    const addr = a.u(0), opFull = a.i32(1), val = a.i32(2);
    const op = opFull & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    const priv = (opFull & FUTEX_PRIVATE_FLAG) !== 0;
    if (addr % 4 !== 0) return -E.EINVAL;
    // A shared futex's key comes from the page (get_futex_key): no mapping is EFAULT. A
    // private one is keyed by the address alone.
    if (!priv && op !== FUTEX_WAIT && op !== FUTEX_WAIT_BITSET && !t.proc.as.find(addr)) return -E.EFAULT;
    switch (op) {
      case FUTEX_WAIT:
      case FUTEX_WAIT_BITSET: {
        const bitset = op === FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : a.i32(5) >>> 0;
        if (bitset === 0) return -E.EINVAL;
        let deadline = Infinity;
        if (a.u(3)) {
          const ts = decodeTimespec(t.proc.as.copyIn(a.u(3), TIMESPEC_SIZE));
          if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1e9) return -E.EINVAL;
          const ns = ts.sec * 1e9 + ts.nsec;
          if (op === FUTEX_WAIT) deadline = k.platform.monotonicNs() + ns; // relative
          else if (opFull & FUTEX_CLOCK_REALTIME) deadline = k.platform.monotonicNs() + (ns - k.realtimeNs()); // absolute, realtime
          else deadline = ns; // absolute, monotonic
        }
        return futexWait(k, t, addr, val, bitset, deadline, priv);
      }
      case FUTEX_WAKE:
        return futexWake(k, t.proc, addr, Math.max(0, val), FUTEX_BITSET_MATCH_ANY, priv);
      case FUTEX_WAKE_BITSET: {
        const bitset = a.i32(5) >>> 0;
        if (bitset === 0) return -E.EINVAL;
        return futexWake(k, t.proc, addr, Math.max(0, val), bitset, priv);
      }
      case FUTEX_REQUEUE:
      case FUTEX_CMP_REQUEUE: {
        const addr2 = a.u(4), nrRequeue = a.i32(3); // val2 travels in the timeout argument
        if (addr2 % 4 !== 0 || val < 0 || nrRequeue < 0) return -E.EINVAL;
        const cmp = op === FUTEX_CMP_REQUEUE ? a.i32(5) : null;
        const from = futexKey(k, t.proc, addr, priv), to = futexKey(k, t.proc, addr2, priv);
        if (!from || !to) return -E.EFAULT;
        const fx = k.family?.futex;
        if (fx && from.mm instanceof PageCache) {
          // A file other enclaves map: the owner keeps the queue (family-futex.ts). A target in
          // the same file is a requeue inside that queue; any other target wakes instead.
          const same = to.mm === from.mm ? to.key : null;
          const h = fx.held(from.mm);
          if (h) return fx.requeue(h, from.key, same, val, nrRequeue, cmp);
          if (cmp !== null && new DataView(t.proc.as.copyIn(addr, 4).buffer).getInt32(0, true) !== cmp) return -E.EAGAIN;
          return fx.requeueAll(from.mm, from.key, to, val, nrRequeue);
        }
        if (cmp !== null && new DataView(t.proc.as.copyIn(addr, 4).buffer).getInt32(0, true) !== cmp) return -E.EAGAIN;
        const woken = wakeKey(k, from, val, FUTEX_BITSET_MATCH_ANY);
        const moved = requeueKey(k, from, to, nrRequeue);
        return woken + moved; // futex_requeue counts woken and requeued waiters, for both ops
      }
      case FUTEX_WAKE_OP: {
        const addr2 = a.u(4), val2 = a.i32(3), enc = a.i32(5);
        if (addr2 % 4 !== 0) return -E.EINVAL;
        // val3 = (op << 28) | (cmp << 24) | (oparg << 12) | cmparg (linux/futex.h FUTEX_OP)
        let fop = (enc >>> 28) & 0xf;
        const cmp = (enc >>> 24) & 0xf;
        let oparg = (enc << 8) >> 20; // sign-extended 12 bits
        const cmparg = (enc << 20) >> 20;
        if (fop & 8) { fop &= 7; oparg = 1 << (oparg & 31); } // FUTEX_OP_OPARG_SHIFT
        const apply = (old: number) => [oparg, old + oparg, old | oparg, old & ~oparg, old ^ oparg][fop] | 0; // SET ADD OR ANDN XOR
        let old = 0;
        const shared = t.proc.as.untrustedWord(addr2);
        if (!shared) old = new DataView(t.proc.as.copyIn(addr2, 4).buffer).getInt32(0, true);
        if (fop > 4) return -E.ENOSYS; // after the access, as arch_futex_atomic_op_inuser checks it
        if (shared) {
          // Untrusted shared memory: other enclaves may change the word at the same moment; the
          // read-modify-write is a compare-exchange loop, atomic as Linux's arch_futex_atomic_op.
          for (;;) {
            old = Atomics.load(shared.words, shared.index);
            if (Atomics.compareExchange(shared.words, shared.index, old, apply(old)) === old) break;
          }
        } else {
          const nb = new Uint8Array(4);
          new DataView(nb.buffer).setInt32(0, apply(old), true);
          t.proc.as.copyOut(addr2, nb);
        }
        let woken = futexWake(k, t.proc, addr, val, FUTEX_BITSET_MATCH_ANY, priv);
        const c = [old === cmparg, old !== cmparg, old < cmparg, old <= cmparg, old > cmparg, old >= cmparg][cmp];
        if (c === undefined) return -E.ENOSYS;
        if (c) woken += futexWake(k, t.proc, addr2, val2, FUTEX_BITSET_MATCH_ANY, priv);
        return woken;
      }
      default:
        return -E.ENOSYS;
    }
  }, 'partial');

  tab.def('sched_yield', '', (k) => {
    k.yielded = true;
    return 0;
  });

  tab.def('sched_getaffinity', 'dup', (k, t, a) => {
    const len = a.u(1), tid = a.i32(0);
    if (tid < 0) return -E.ESRCH;
    let x: Task | undefined = t;
    if (tid !== 0) {
      x = undefined;
      for (const p of k.processes.values()) if (p.exitStatus === null) for (const y of p.tasks) if (y.tid === tid) x = y;
    }
    if (!x) return -E.ESRCH;
    if (len < 8 || len % 8 !== 0) return -E.EINVAL;
    const harts = k.platform.exec.hartCount;
    const mask = new Uint8Array(8);
    for (let i = 0; i < Math.min(harts, 64); i++) if (x.affinity & (1n << BigInt(i))) mask[i >> 3] |= 1 << (i & 7);
    t.proc.as.copyOut(a.u(2), mask);
    return 8;
  });
}



/** The fair tasks' slice as sched_rr_get_interval reports it (the kernel's TIME_SLICE instructions at 1 ns each). */
const TIME_SLICE_NS = 1_000_000;

/** getpriority/setpriority targets: a thread (PRIO_PROCESS), a process group, or the user's processes. */
function prioTargets(k: Kernel, t: Task, which: number, who: number): Task[] | number {
  if (which === PRIO_PROCESS) {
    const x = findTaskById(k, t, who);
    return x ? [x] : [];
  }
  if (which === PRIO_PGRP) {
    const g = who || t.proc.pgid;
    return [...k.processes.values()].filter((p) => p.pgid === g && p.exitStatus === null).flatMap((p) => [...p.tasks]);
  }
  if (which === PRIO_USER) {
    if (who !== 0 && who !== k.config.uid) return [];
    return [...k.processes.values()].filter((p) => p.exitStatus === null).flatMap((p) => [...p.tasks]);
  }
  return -E.EINVAL;
}

/** copy_seccomp: a new thread or process starts with its creator's filters and no_new_privs. */
function inheritSeccomp(child: Task, t: Task): void {
  child.seccompMode = t.seccompMode;
  child.seccompFilters = t.seccompFilters;
  child.noNewPrivs = t.noNewPrivs;
  child.landlock = t.landlock; // the credentials' Landlock domain
}
