/**
 * pidfds (kernel/pid.c, kernel/signal.c, kernel/exit.c, fs/pidfs.c): pidfd_open,
 * pidfd_send_signal, pidfd_getfd; waitid(P_PIDFD) is in proctree.ts.
 *
 * A pidfd holds the Process object itself (a struct pid): a reused number never makes it
 * name another process. It polls readable (POLLIN) once the process has ended and adds
 * POLLHUP once it has been reaped. On process-per-enclave platforms a child in another enclave
 * is its proxy here (family.ts): its end reaches the pidfd through the family's exit message,
 * and signals through its 'sig' message. pidfd_getfd of a process in another enclave asks that
 * enclave's kernel, which checks access and exports the description as a fork carries it, and
 * installs it here (family-fds.ts; kinds no fork carries: EOPNOTSUPP); pidfds are not carried
 * across fork there (docs/sgx-fork.md). Not implemented: PIDFD_THREAD
 * (pidfd_open flag, EINVAL) and the pidfs inode details fstat shows on Linux 6.9+.
 */
import { E, SysError } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Process, Task } from '../task.ts';
import { OpenFile } from '../fs/file.ts';
import { WaitQueue } from '../fs/wait.ts';
import { AnonInode } from '../fs/pipe.ts';
import { fsOf } from '../fs/context.ts';
import { O_NONBLOCK, O_PATH, O_RDWR } from '../fs/vfs.ts';
import { SI_TKILL, SI_USER, SIGINFO_SIZE, sendToProcess, sendToTask, type SigInfo } from '../signals.ts';
import { fileOf } from './fs-common.ts';

const PIDFD_NONBLOCK = O_NONBLOCK;
// include/uapi/linux/pidfd.h (Linux 6.13+): pidfd_send_signal's scope flags.
const PIDFD_SIGNAL_THREAD = 1, PIDFD_SIGNAL_THREAD_GROUP = 2, PIDFD_SIGNAL_PROCESS_GROUP = 4;
// Linux 6.15+: pidfds naming the caller without a descriptor.
const PIDFD_SELF_THREAD = -10000, PIDFD_SELF_THREAD_GROUP = -20000;
const POLLIN = 0x1, POLLRDNORM = 0x40, POLLHUP = 0x10;

/** Each process's pidfd wait queue (pid->wait_pidfd), made when a pidfd first asks. */
const queues = new WeakMap<Process, WaitQueue>();
const hooked = new WeakSet<Kernel>();

function queueOf(k: Kernel, p: Process): WaitQueue {
  if (!hooked.has(k)) {
    hooked.add(k);
    k.onProcessExit.push((q) => queues.get(q)?.notify()); // do_notify_pidfd
  }
  let q = queues.get(p);
  if (!q) queues.set(p, (q = new WaitQueue()));
  return q;
}

export class PidFdFile extends OpenFile {
  constructor(private readonly k: Kernel, readonly proc: Process, flags: number) {
    super(flags);
  }
  /** Reaped: the number no longer names this process. */
  get reaped(): boolean {
    return this.k.processes.get(this.proc.pid) !== this.proc;
  }
  override poll(): number {
    if (this.reaped) return POLLIN | POLLRDNORM | POLLHUP;
    return this.proc.exitStatus !== null ? POLLIN | POLLRDNORM : 0;
  }
  override readQueue(): WaitQueue {
    return queueOf(this.k, this.proc);
  }
  override fdinfo(): string {
    return `Pid:\t${this.reaped ? -1 : this.proc.pid}\nNSpid:\t${this.reaped ? -1 : this.proc.pid}\n`;
  }
  describe(): string {
    return 'anon_inode:[pidfd]';
  }
}

/** pidfd_pid: the process a descriptor names (EBADF for none, O_PATH, or another kind of file). */
export function pidfdProcess(t: Task, fd: number): PidFdFile {
  const f = fileOf(t, fd);
  if (f.flags & O_PATH || !(f instanceof PidFdFile)) throw new SysError(E.EBADF);
  return f;
}

/** A new pidfd for `p` in the caller's table (clone's CLONE_PIDFD); its number, or -EMFILE. */
export function openPidfd(k: Kernel, t: Task, p: Process, flags = 0): number {
  const f = new PidFdFile(k, p, O_RDWR | flags);
  const mnt = fsOf(k).anonMount;
  f.loc = { mnt, inode: new AnonInode(mnt.sb) };
  queueOf(k, p);
  return t.proc.fds.install(f, true); // pidfds are always close-on-exec
}

export function registerPidfd(tab: SyscallTable): void {
  tab.def('pidfd_open', 'dx', (k, t, a) => {
    const pid = a.i32(0), flags = a.i32(1) >>> 0;
    if (flags & ~PIDFD_NONBLOCK) return -E.EINVAL;
    if (pid <= 0) return -E.EINVAL;
    const p = k.processes.get(pid);
    if (!p) {
      // A thread's id names a task but no thread group (pidfd_prepare without PIDFD_THREAD).
      for (const q of k.processes.values()) for (const x of q.tasks) if (x.tid === pid) return -E.ENOENT;
      return -E.ESRCH;
    }
    return openPidfd(k, t, p, flags & PIDFD_NONBLOCK);
  });

  tab.def('pidfd_send_signal', 'ddpx', (k, t, a) => {
    const fd = a.i32(0), sig = a.i32(1), infoAddr = a.u(2), flags = a.i32(3) >>> 0;
    const scopes = PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP;
    if (flags & ~scopes) return -E.EINVAL;
    if ((flags & (flags - 1)) !== 0) return -E.EINVAL; // one scope at most
    let proc: Process, reaped: boolean, thread = false;
    if (fd === PIDFD_SELF_THREAD || fd === PIDFD_SELF_THREAD_GROUP) {
      proc = t.proc;
      reaped = false;
      thread = fd === PIDFD_SELF_THREAD;
    } else {
      const f = pidfdProcess(t, fd);
      proc = f.proc;
      reaped = f.reaped;
    }
    if (flags === PIDFD_SIGNAL_THREAD) thread = true;
    else if (flags === PIDFD_SIGNAL_THREAD_GROUP) thread = false;
    const pgrp = flags === PIDFD_SIGNAL_PROCESS_GROUP;
    let info: SigInfo;
    if (infoAddr) {
      const raw = t.proc.as.copyIn(infoAddr, SIGINFO_SIZE);
      const dv = new DataView(raw.buffer);
      if (dv.getInt32(0, true) !== sig) return -E.EINVAL;
      const code = dv.getInt32(8, true);
      // Only signals to oneself may claim a kernel-style code.
      if ((proc !== t.proc || pgrp) && (code >= 0 || code === SI_TKILL)) return -E.EPERM;
      info = { signo: sig, code, pid: dv.getInt32(16, true), uid: dv.getUint32(20, true), value: dv.getBigInt64(24, true), raw };
    } else {
      info = { signo: sig, code: thread ? SI_TKILL : SI_USER, pid: t.proc.pid, uid: k.config.uid };
    }
    if (reaped) return -E.ESRCH;
    if (sig < 0 || sig > 64) return -E.EINVAL;
    if (pgrp) {
      // kill_pgrp_info with the pidfd's pid: the group that pid leads (none unless it is a leader).
      const members = [...k.processes.values()].filter((p) => p.pgid === proc.pid && p.exitStatus === null);
      if (members.length === 0) return -E.ESRCH;
      if (sig) for (const p of members) sendToProcess(k, p, info);
      return 0;
    }
    if (sig === 0) return 0;
    if (proc.exitStatus !== null) return 0; // a zombie: found, and the signal is dropped
    if (thread && !proc.remote) {
      const leader = [...proc.tasks].find((x) => x.tid === (fd === PIDFD_SELF_THREAD ? t.tid : proc.pid));
      if (!leader) return -E.ESRCH;
      return sendToTask(k, leader, info) ? 0 : -E.EAGAIN;
    }
    if (thread && proc.remote && k.family) {
      k.family.signal(proc, info, proc.pid);
      return 0;
    }
    return sendToProcess(k, proc, info) ? 0 : -E.EAGAIN;
  });

  tab.def('pidfd_getfd', 'dfx', (k, t, a) => {
    const fd = a.i32(0), targetFd = a.i32(1), flags = a.i32(2);
    if (flags) return -E.EINVAL;
    const f = pidfdProcess(t, fd);
    if (f.reaped) return -E.ESRCH;
    const p = f.proc;
    // ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS): one user here; a non-dumpable process refuses.
    if (!p.remote && p !== t.proc && p.dumpable !== 1 && k.config.uid !== 0) return -E.EPERM;
    if (p.exitStatus !== null) return -E.EBADF; // its descriptor table is gone (exit_files)
    // Another enclave's process: its kernel checks and exports the description, this one imports it (family-fds.ts).
    if (p.remote) return k.family ? k.family.fds.getfd(t, p.pid, targetFd) : -E.ESRCH;
    const file = p.fds.get(targetFd);
    if (!file) return -E.EBADF;
    return t.proc.fds.install(file, true); // receive_fd(file, O_CLOEXEC)
  });
}
