/**
 * Threads and their synchronisation: clone/clone3 for threads (CLONE_VM|FS|FILES|SIGHAND|
 * THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_SETTID|CHILD_CLEARTID), futex (WAIT, WAKE,
 * WAIT_BITSET, WAKE_BITSET; private and shared), sched_yield, sched_getaffinity.
 * kernel/fork.c, kernel/futex/. Process creation (fork) comes with the process-model issue.
 */
import { E, SysError } from '../errors.ts';
import { decodeTimespec, TIMESPEC_SIZE } from '../abi/structs.ts';
import type { Kernel, BLOCKED } from '../kernel.ts';
import { RLIMIT_NPROC } from '../abi/constants.ts';
import { Process, Task } from '../task.ts';
import type { SyscallTable } from './table.ts';

// linux/sched.h
export const CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800;
export const CLONE_PIDFD = 0x1000, CLONE_PTRACE = 0x2000, CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000;
export const CLONE_THREAD = 0x10000, CLONE_NEWNS = 0x20000, CLONE_SYSVSEM = 0x40000, CLONE_SETTLS = 0x80000;
export const CLONE_PARENT_SETTID = 0x100000, CLONE_CHILD_CLEARTID = 0x200000, CLONE_DETACHED = 0x400000;
export const CLONE_UNTRACED = 0x800000, CLONE_CHILD_SETTID = 0x1000000;
const CSIGNAL = 0xff;
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
    if (word & FUTEX_WAITERS) futexWake(k, t.proc, uaddr, 1, FUTEX_BITSET_MATCH_ANY);
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

function futexKey(proc: Process, addr: number): number {
  // The physical address identifies the word for private and shared futexes alike.
  const pa = proc.as.pt.lookup(addr - (addr % 4096));
  return pa < 0 ? -1 : pa + (addr % 4096);
}

/** Wakes up to n waiters on the futex at addr whose bitset intersects `bitset`. */
export function futexWake(k: Kernel, proc: Process, addr: number, n: number, bitset: number): number {
  const key = futexKey(proc, addr);
  if (key < 0) return 0;
  let woken = 0;
  for (const p of k.processes.values()) {
    for (const t of p.tasks) {
      if (woken >= n) return woken;
      if (t.state === 'blocked' && t.wait?.futexKey === key && ((t.wait.bitset ?? FUTEX_BITSET_MATCH_ANY) & bitset) !== 0) {
        k.wake(t, 0);
        woken++;
      }
    }
  }
  return woken;
}

interface CloneArgs {
  flags: number;
  stack: number;
  parentTid: number;
  childTid: number;
  tls: bigint;
  exitSignal: number;
}

function doClone(k: Kernel, t: Task, c: CloneArgs): number | typeof BLOCKED {
  if (c.flags & (CLONE_PIDFD | CLONE_NEWNS)) return -E.EINVAL;
  // kernel/fork.c copy_process: threads share signal handlers, and handlers need the VM.
  if (c.flags & CLONE_THREAD && !(c.flags & CLONE_SIGHAND)) return -E.EINVAL;
  if (c.flags & CLONE_SIGHAND && !(c.flags & CLONE_VM)) return -E.EINVAL;
  if (!(c.flags & CLONE_THREAD)) return forkProcess(k, t, c);
  if ((c.flags & THREAD_FLAGS) !== THREAD_FLAGS) return -E.EINVAL; // CLONE_THREAD needs VM|SIGHAND (and we share FS|FILES)
  if (c.flags & (CLONE_VFORK | CLONE_PARENT)) return -E.EINVAL;
  const child = new Task(k.allocPid(), t.proc);
  child.comm = t.comm; // a new thread starts with its creator's name
  const ctx = k.snapshot(); // pc already points past the ecall
  ctx.x[10] = 0n; // the child sees 0
  if (c.stack) ctx.x[2] = BigInt(c.stack);
  if (c.flags & CLONE_SETTLS) ctx.x[4] = c.tls;
  child.saved = ctx;
  child.sigmask = t.sigmask;
  const tidBytes = new Uint8Array(4);
  new DataView(tidBytes.buffer).setInt32(0, child.tid, true);
  if (c.flags & CLONE_PARENT_SETTID) t.proc.as.copyOut(c.parentTid, tidBytes);
  if (c.flags & CLONE_CHILD_SETTID) t.proc.as.copyOut(c.childTid, tidBytes);
  if (c.flags & CLONE_CHILD_CLEARTID) child.clearChildTid = c.childTid;
  k.addTask(child);
  return child.tid;
}

/**
 * fork (and vfork, and clone without CLONE_THREAD): a new process with a copy-on-write copy
 * of the address space. vfork's child gets a copy too (POSIX allows it); the parent sleeps
 * until the child execs or exits, as vfork promises.
 */
function forkProcess(k: Kernel, t: Task, c: CloneArgs): number | typeof BLOCKED {
  const parent = t.proc;
  let live = 0;
  for (const p of k.processes.values()) if (p.exitStatus === null) live++;
  const nproc = parent.rlimits[RLIMIT_NPROC].cur;
  if (nproc >= 0n && BigInt(live) >= nproc) return -E.EAGAIN;
  let as;
  try {
    as = parent.as.fork();
  } catch (e) {
    return e instanceof SysError ? -e.errno : -E.ENOMEM;
  }
  const pid = k.allocPid();
  const child = new Process(pid, c.flags & CLONE_PARENT ? parent.ppid : parent.pid, as, c.flags & CLONE_FILES ? parent.fds : parent.fds.clone(), parent.exePath);
  child.comm = t.comm; // the forking thread's name (Linux copies the task's comm)
  child.cwd = parent.cwd;
  child.root = parent.root;
  child.umask = parent.umask;
  child.pgid = parent.pgid;
  child.sid = parent.sid;
  child.vdsoSigreturn = parent.vdsoSigreturn;
  for (let i = 0; i < parent.rlimits.length; i++) child.rlimits[i] = { ...parent.rlimits[i] };
  for (const [sig, act] of parent.sigactions) child.sigactions.set(sig, { ...act });
  child.exitSignal = c.exitSignal;
  const task = new Task(pid, child); // takes child.comm
  const ctx = k.snapshot();
  ctx.x[10] = 0n;
  if (c.stack) ctx.x[2] = BigInt(c.stack);
  if (c.flags & CLONE_SETTLS) ctx.x[4] = c.tls;
  task.saved = ctx;
  task.sigmask = t.sigmask;
  task.altStack = { ...t.altStack };
  k.processes.set(pid, child);
  const tidBytes = new Uint8Array(4);
  new DataView(tidBytes.buffer).setInt32(0, pid, true);
  if (c.flags & CLONE_PARENT_SETTID) parent.as.copyOut(c.parentTid, tidBytes);
  if (c.flags & CLONE_CHILD_SETTID) child.as.copyOut(c.childTid, tidBytes);
  if (c.flags & CLONE_CHILD_CLEARTID) task.clearChildTid = c.childTid;
  k.addTask(task);
  if (c.flags & CLONE_VFORK) {
    const result = pid;
    child.vforkWaiter = () => k.wake(t, result);
    return k.block(t, { deadline: Infinity, onTimeout: result, restartable: false, onSignal: () => true });
  }
  return pid;
}

export function registerSched(tab: SyscallTable): void {
  // riscv64 uses the generic order: clone(flags, newsp, parent_tid, tls, child_tid).
  tab.def('clone', 'xppxp', (k, t, a) => doClone(k, t, {
    flags: a.u(0) & ~CSIGNAL, exitSignal: a.u(0) & CSIGNAL, stack: a.u(1), parentTid: a.u(2), tls: a.big(3), childTid: a.u(4),
  }), 'partial');

  // struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, ...
  tab.def('clone3', 'pu', (k, t, a) => {
    const size = a.u(1);
    if (size < 64 || size > 4096) return -E.EINVAL;
    const b = t.proc.as.copyIn(a.u(0), 64);
    const dv = new DataView(b.buffer);
    const u = (o: number) => Number(dv.getBigUint64(o, true));
    const flags = dv.getBigUint64(0, true);
    if (flags >> 32n) return -E.EINVAL;
    const stack = u(40), stackSize = u(48);
    return doClone(k, t, {
      flags: Number(flags), childTid: u(16), parentTid: u(24), exitSignal: u(32),
      stack: stack ? stack + stackSize : 0, tls: dv.getBigUint64(56, true),
    });
  }, 'partial');

  tab.def('futex', 'pdxppx', (k, t, a) => {
    const addr = a.u(0), opFull = a.i32(1), val = a.i32(2);
    const op = opFull & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    if (addr % 4 !== 0) return -E.EINVAL;
    // A shared futex's key comes from the page (get_futex_key): no mapping is EFAULT. A
    // private one is keyed by the address alone.
    if (!(opFull & FUTEX_PRIVATE_FLAG) && op !== FUTEX_WAIT && op !== FUTEX_WAIT_BITSET && !t.proc.as.find(addr)) return -E.EFAULT;
    switch (op) {
      case FUTEX_WAIT:
      case FUTEX_WAIT_BITSET: {
        const bitset = op === FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : a.i32(5) >>> 0;
        if (bitset === 0) return -E.EINVAL;
        const cur = new DataView(t.proc.as.copyIn(addr, 4).buffer).getInt32(0, true);
        if (cur !== val) return -E.EAGAIN;
        let deadline = Infinity;
        if (a.u(3)) {
          const ts = decodeTimespec(t.proc.as.copyIn(a.u(3), TIMESPEC_SIZE));
          if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1e9) return -E.EINVAL;
          const ns = ts.sec * 1e9 + ts.nsec;
          if (op === FUTEX_WAIT) deadline = k.platform.monotonicNs() + ns; // relative
          else if (opFull & FUTEX_CLOCK_REALTIME) deadline = k.platform.monotonicNs() + (ns - k.realtimeNs()); // absolute, realtime
          else deadline = ns; // absolute, monotonic
        }
        const key = futexKey(t.proc, addr);
        return k.block(t, { futexKey: key, bitset, deadline, onTimeout: -E.ETIMEDOUT });
      }
      case FUTEX_WAKE:
        return futexWake(k, t.proc, addr, Math.max(0, val), FUTEX_BITSET_MATCH_ANY);
      case FUTEX_WAKE_BITSET: {
        const bitset = a.i32(5) >>> 0;
        if (bitset === 0) return -E.EINVAL;
        return futexWake(k, t.proc, addr, Math.max(0, val), bitset);
      }
      case FUTEX_REQUEUE:
      case FUTEX_CMP_REQUEUE: {
        const addr2 = a.u(4), nrRequeue = a.i32(3); // val2 travels in the timeout argument
        if (addr2 % 4 !== 0 || val < 0 || nrRequeue < 0) return -E.EINVAL;
        if (op === FUTEX_CMP_REQUEUE) {
          const cur = new DataView(t.proc.as.copyIn(addr, 4).buffer).getInt32(0, true);
          if (cur !== a.i32(5)) return -E.EAGAIN;
        }
        const woken = futexWake(k, t.proc, addr, val, FUTEX_BITSET_MATCH_ANY);
        const from = futexKey(t.proc, addr), to = futexKey(t.proc, addr2);
        let moved = 0;
        for (const p of k.processes.values()) {
          for (const w of p.tasks) {
            if (moved >= nrRequeue) break;
            if (w.state === 'blocked' && w.wait?.futexKey === from && from >= 0) {
              w.wait.futexKey = to;
              moved++;
            }
          }
        }
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
        const dv = new DataView(t.proc.as.copyIn(addr2, 4).buffer);
        const old = dv.getInt32(0, true);
        let nv: number;
        switch (fop) {
          case 0: nv = oparg; break; // SET
          case 1: nv = old + oparg; break; // ADD
          case 2: nv = old | oparg; break; // OR
          case 3: nv = old & ~oparg; break; // ANDN
          case 4: nv = old ^ oparg; break; // XOR
          default: return -E.ENOSYS;
        }
        const nb = new Uint8Array(4);
        new DataView(nb.buffer).setInt32(0, nv | 0, true);
        t.proc.as.copyOut(addr2, nb);
        let woken = futexWake(k, t.proc, addr, val, FUTEX_BITSET_MATCH_ANY);
        const c = [old === cmparg, old !== cmparg, old < cmparg, old <= cmparg, old > cmparg, old >= cmparg][cmp];
        if (c === undefined) return -E.ENOSYS;
        if (c) woken += futexWake(k, t.proc, addr2, val2, FUTEX_BITSET_MATCH_ANY);
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
    if (tid !== 0 && ![...k.processes.values()].some((p) => p.exitStatus === null && [...p.tasks].some((x) => x.tid === tid))) return -E.ESRCH;
    if (len < 8 || len % 8 !== 0) return -E.EINVAL;
    const harts = k.platform.exec.hartCount;
    const mask = new Uint8Array(8);
    for (let i = 0; i < Math.min(harts, 64); i++) mask[i >> 3] |= 1 << (i & 7);
    t.proc.as.copyOut(a.u(2), mask);
    return 8;
  });
}


