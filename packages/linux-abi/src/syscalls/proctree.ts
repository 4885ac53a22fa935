/**
 * The process tree: wait4 and waitid (kernel/exit.c), execve (fs/exec.c), process groups
 * and sessions, getrusage and times.
 */
import { perfOnExec } from './perf.ts';
import { keysOnExec } from './keys.ts';
import { E, SysError } from '../errors.ts';
import { SIGCHLD, SIGCONT, SIG_IGN } from '../abi/constants.ts';
import type { Kernel } from '../kernel.ts';
import { loadProgram, type Executable } from '../exec.ts';
import { ExecutableBytes } from '../mm/address-space.ts';
import { PGID_SERVICE } from '../family.ts';
import { execLookupAt } from '../fs/context.ts';
import { nameByteLength } from '../fs/names.ts';
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW } from '../abi/constants.ts';
import { SIGINFO_SIZE, CLD_EXITED, CLD_KILLED, CLD_STOPPED, CLD_CONTINUED } from '../signals.ts';
import type { Process, Task } from '../task.ts';
import type { SyscallTable } from './table.ts';
import { pidfdProcess } from './pidfd.ts';
import { O_NONBLOCK } from '../fs/vfs.ts';

const WNOHANG = 1, WUNTRACED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000;
const __WNOTHREAD = 0x20000000, __WALL = 0x40000000, __WCLONE = 0x80000000;
const P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;
const RUSAGE_SELF = 0, RUSAGE_CHILDREN = -1, RUSAGE_THREAD = 1;
const RUSAGE_SIZE = 144;
const MAX_ARG_STRINGS = 0x7fffffff;

type Match = (p: Process) => boolean;

function children(k: Kernel, t: Task, match: Match, options: number): Process[] {
  // eligible_child: a "clone" child (exit signal other than SIGCHLD) is waited for only with
  // __WCLONE, the others only without it; __WALL waits for both.
  // __WNOTHREAD: only the children this thread forked, not its siblings' too.
  const clone = (options & __WCLONE) !== 0;
  return [...k.processes.values()].filter((p) => p.ppid === t.proc.pid && p !== t.proc && match(p) &&
    ((options & __WALL) !== 0 || (p.exitSignal !== SIGCHLD) === clone) &&
    (!(options & __WNOTHREAD) || p.creatorTid === t.tid));
}

interface ChildEvent {
  pid: number;
  proc: Process;
  /** The wait4 status word. */
  status: number;
  /** waitid's si_code and si_status. */
  code: number;
  siStatus: number;
}

/**
 * wait_consider_task: the first child with something to report, in the order Linux checks
 * them: an exit (WEXITED; reaped unless WNOWAIT), a stop not yet reported (WUNTRACED /
 * WSTOPPED: status sig<<8|0x7f, CLD_STOPPED), a continue (WCONTINUED: 0xffff, CLD_CONTINUED).
 */
function findEvent(k: Kernel, t: Task, match: Match, options: number): ChildEvent | null {
  const nowait = (options & WNOWAIT) !== 0;
  for (const c of children(k, t, match, options)) {
    if (c.exitStatus !== null) {
      if (!(options & WEXITED)) continue;
      if (!nowait) {
        k.processes.delete(c.pid);
        t.proc.childCpuInstructions += c.cpuInstructions + c.childCpuInstructions;
      }
      const sig = c.exitStatus & 0x7f;
      return { pid: c.pid, proc: c, status: c.exitStatus, code: sig ? CLD_KILLED : CLD_EXITED, siStatus: sig || (c.exitStatus >> 8) & 0xff };
    }
    if (options & WUNTRACED && c.stopReport) {
      const sig = c.stopReport;
      if (!nowait) c.stopReport = 0;
      return { pid: c.pid, proc: c, status: (sig << 8) | 0x7f, code: CLD_STOPPED, siStatus: sig };
    }
    if (options & WCONTINUED && c.continueReport) {
      if (!nowait) c.continueReport = false;
      return { pid: c.pid, proc: c, status: 0xffff, code: CLD_CONTINUED, siStatus: SIGCONT };
    }
  }
  return null;
}

function rusage(instructions: number): Uint8Array {
  // struct rusage: ru_utime (timeval) @0, ru_stime @16, then 14 longs. CPU time is modelled
  // as one nanosecond per guest instruction; the other fields stay zero.
  const b = new Uint8Array(RUSAGE_SIZE);
  const dv = new DataView(b.buffer);
  const us = Math.floor(instructions / 1000);
  dv.setBigInt64(0, BigInt(Math.floor(us / 1e6)), true);
  dv.setBigInt64(8, BigInt(us % 1e6), true);
  return b;
}

function waitMatch(t: Task, pid: number): Match {
  if (pid > 0) return (p) => p.pid === pid;
  if (pid === -1) return () => true;
  const pgid = pid === 0 ? t.proc.pgid : -pid;
  return (p) => p.pgid === pgid;
}

/** Reads a NULL-terminated array of string pointers (argv, envp). */
function readStrings(t: Task, addr: number): string[] {
  const out: string[] = [];
  if (addr === 0) return out;
  let total = 0;
  for (let i = 0; ; i++) {
    if (i >= MAX_ARG_STRINGS) throw new SysError(E.E2BIG);
    const p = Number(new DataView(t.proc.as.copyIn(addr + i * 8, 8).buffer).getBigUint64(0, true));
    if (p === 0) return out;
    const s = t.proc.as.readCString(p, 131072); // MAX_ARG_STRLEN
    total += nameByteLength(s) + 1 + 8;
    if (total > 2 * 1024 * 1024) throw new SysError(E.E2BIG);
    out.push(s);
  }
}

export function registerProcTree(tab: SyscallTable): void {
  tab.def('wait4', 'dpxp', (k, t, a) => {
    const pid = a.i32(0), statusAddr = a.u(1), options = a.i32(2), ru = a.u(3);
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE)) return -E.EINVAL;
    if (pid === -2147483648) return -E.ESRCH; // INT_MIN: -pid would overflow (Linux)
    const match = waitMatch(t, pid);
    const z = findEvent(k, t, match, options | WEXITED);
    if (z) {
      if (statusAddr) {
        const b = new Uint8Array(4);
        new DataView(b.buffer).setInt32(0, z.status, true);
        t.proc.as.copyOut(statusAddr, b);
      }
      if (ru) t.proc.as.copyOut(ru, rusage(z.proc.cpuInstructions));
      return z.pid;
    }
    if (children(k, t, match, options).length === 0) return -E.ECHILD;
    if (options & WNOHANG) return 0;
    return k.block(t, { deadline: Infinity, onTimeout: 0, childWait: true });
  }, 'partial');

  tab.def('waitid', 'ddpxp', (k, t, a) => {
    const idtype = a.i32(0), id = a.i32(1), infop = a.u(2);
    let options = a.i32(3);
    if (options & ~(WNOHANG | WNOWAIT | WEXITED | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE)) return -E.EINVAL;
    if (!(options & (WEXITED | WUNTRACED | WCONTINUED))) return -E.EINVAL;
    let match: Match;
    let pidfdNonblock = false;
    if (idtype === P_ALL) match = () => true;
    else if (idtype === P_PID) { if (id <= 0) return -E.EINVAL; match = (p) => p.pid === id; }
    else if (idtype === P_PGID) { if (id < 0) return -E.EINVAL; const g = id || t.proc.pgid; match = (p) => p.pgid === g; }
    else if (idtype === P_PIDFD) {
      if (id < 0) return -E.EINVAL;
      const f = pidfdProcess(t, id);
      const target = f.proc;
      match = (p) => p === target;
      // A PIDFD_NONBLOCK pidfd makes the wait WNOHANG; nothing to report is then EAGAIN.
      if (f.flags & O_NONBLOCK && !(options & WNOHANG)) {
        options |= WNOHANG;
        pidfdNonblock = true;
      }
    } else return -E.EINVAL;
    const z = findEvent(k, t, match, options);
    if (z) {
      if (infop) {
        const b = new Uint8Array(SIGINFO_SIZE);
        const dv = new DataView(b.buffer);
        dv.setInt32(0, SIGCHLD, true);
        dv.setInt32(8, z.code, true);
        dv.setInt32(16, z.pid, true);
        dv.setUint32(20, k.config.uid, true);
        dv.setInt32(24, z.siStatus, true);
        t.proc.as.copyOut(infop, b);
      }
      if (a.u(4)) t.proc.as.copyOut(a.u(4), rusage(z.proc.cpuInstructions));
      return 0;
    }
    if (children(k, t, match, options).length === 0) return -E.ECHILD;
    if (pidfdNonblock) return -E.EAGAIN;
    if (options & WNOHANG) {
      if (infop) t.proc.as.copyOut(infop, new Uint8Array(SIGINFO_SIZE)); // si_pid = 0: nothing yet
      return 0;
    }
    return k.block(t, { deadline: Infinity, onTimeout: 0, childWait: true });
  }, 'partial');

  tab.def('execve', 'spp', (k, t, a) => {
    const path = t.proc.as.readCString(a.u(0), 4096);
    const argv = readStrings(t, a.u(1));
    const envp = readStrings(t, a.u(2));
    const file = k.resolveExecutable(t.proc, path, t.landlock);
    if (typeof file === 'number') return file;
    return execImage(k, t, file, argv, envp, path);
  }, 'partial');

  // execveat (fs/exec.c do_execveat_common): relative to dirfd, or the file open at dirfd itself
  // with AT_EMPTY_PATH (fexecve). The program then sees /dev/fd/N[/path] as its AT_EXECFN; its
  // name (comm) is that path's last part, or for AT_EMPTY_PATH the file's own name
  // (bprm->comm_from_dentry, Linux 6.14 on; before, the descriptor's number).
  tab.def('execveat', 'dsppx', (k, t, a) => {
    const dirfd = a.i32(0), flags = a.i32(4);
    if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) return -E.EINVAL;
    const path = t.proc.as.readCString(a.u(1), 4096);
    const argv = readStrings(t, a.u(2));
    const envp = readStrings(t, a.u(3));
    let file;
    if (path === '' || (!path.startsWith('/') && dirfd !== AT_FDCWD)) {
      const f = t.proc.fds.get(dirfd);
      if (!f) return -E.EBADF;
      if (path === '' && !(flags & AT_EMPTY_PATH)) return -E.ENOENT;
      if (!f.loc) return path === '' ? -E.EACCES : -E.ENOTDIR;
      file = execLookupAt(k, t.proc, f.loc, path, !(flags & AT_SYMLINK_NOFOLLOW), t.landlock);
    } else if (flags & AT_SYMLINK_NOFOLLOW) {
      file = execLookupAt(k, t.proc, null, path, false, t.landlock);
    } else {
      file = k.resolveExecutable(t.proc, path, t.landlock);
    }
    if (typeof file === 'number') return file;
    const execfn = path.startsWith('/') || dirfd === AT_FDCWD ? path : path === '' ? `/dev/fd/${dirfd}` : `/dev/fd/${dirfd}/${path}`;
    const comm = path === '' ? file.exePath.split('/').pop()! : undefined;
    return execImage(k, t, file, argv, envp, execfn, comm);
  }, 'partial');

  registerProcTreeRest(tab);
}

/** The rest of execve once the file is found: a new image, or an error with the old one kept. */
function execImage(k: Kernel, t: Task, file: Executable, argv: string[], envp: string[], path: string, comm?: string): number {
  const proc = t.proc;
  const oldAs = proc.as;
  const image = k.checkExecutable(file.bytes);
  if (image < 0) return image;
  // On a fixed-paging platform the old and new images would share linear addresses: the
  // old one goes first, and a failure after that kills the process (Linux's point of no return).
  const fixed = !oldAs.pt.kernelFrames;
  if (fixed) oldAs.destroy();
  proc.as = k.newAddressSpace();
  try {
    loadProgram(k, t, new ExecutableBytes(file.source ?? null, file.bytes), argv, envp, path);
  } catch (e) {
    proc.as.destroy();
    if (fixed) {
      k.killProcess(proc, 11, `execve of ${path} failed after the old image was gone`);
      return 0;
    }
    proc.as = oldAs;
    if (e instanceof SysError) return -e.errno;
    return -E.ENOEXEC; // layout failures: not an executable this kernel can run
  }
  // Past the point of no return (fs/exec.c begin_new_exec).
  for (const other of [...proc.tasks]) if (other !== t) k.exitTask(other, 0);
  if (!fixed) k.releaseAs(oldAs); // a vfork/CLONE_VM parent keeps using it
  proc.leaderStatus = null;
  proc.exitSignal = 17; // SIGCHLD: "we have changed execution domain" (fs/exec.c de_thread)
  k.platform.memory.activatePageTable(proc.as.pt.root, proc.pid);
  proc.fds.closeOnExec(proc.pid);
  perfOnExec(t); // perf_event_exec: enable_on_exec events start counting
  // Handlers reset (ignored signals stay ignored), in a table of its own (unshare_sighand).
  proc.sigactions = new Map([...proc.sigactions].filter(([, act]) => act.handler === BigInt(SIG_IGN)).map(([sig, act]) => [sig, { ...act }]));
  t.altStack = { sp: 0, size: 0, flags: 2 };
  t.clearChildTid = 0;
  t.robustList = 0;
  keysOnExec(t); // install_exec_creds: no thread or process keyring in the new image
  proc.exePath = file.exePath;
  proc.comm = (comm ?? path.split('/').pop()!).slice(0, 15);
  t.comm = proc.comm;
  proc.vforkWaiter?.();
  proc.vforkWaiter = undefined;
  return BLOCKED_NONE;
}

/** Process groups, sessions and accounting. */
function registerProcTreeRest(tab: SyscallTable): void {
  tab.def('getpgid', 'd', (k, t, a) => {
    const pid = a.i32(0);
    const p = pid === 0 ? t.proc : k.processes.get(pid);
    return p ? p.pgid : -E.ESRCH;
  });
  tab.def('setpgid', 'dd', (k, t, a) => {
    const pid = a.i32(0) || t.proc.pid;
    const pgid = a.i32(1) || pid;
    if (pgid < 0) return -E.EINVAL;
    const p = k.processes.get(pid);
    if (!p || (p !== t.proc && p.ppid !== t.proc.pid)) return -E.ESRCH;
    if (p.sid === p.pid) return -E.EPERM; // a session leader cannot move
    if (p.sid !== t.proc.sid) return -E.EPERM;
    const fam = k.family;
    if (pgid !== pid && !(fam ? fam.groupExists(pgid, t.proc.sid) : [...k.processes.values()].some((q) => q.pgid === pgid && q.sid === t.proc.sid))) return -E.EPERM;
    if (fam && p.remote) {
      // A child in another enclave (SGX): its own kernel moves it, before this call returns.
      const r = fam.serviceRequest(p.pid, PGID_SERVICE, { op: 'set', pid: p.pid, pgid });
      if (typeof r !== 'number') return -E.ESRCH;
      if (r < 0) return r;
    }
    p.pgid = pgid;
    if (fam && !p.remote) fam.groupMoved(p);
    return 0;
  });
  tab.def('getsid', 'd', (k, t, a) => {
    const pid = a.i32(0);
    const p = pid === 0 ? t.proc : k.processes.get(pid);
    return p ? p.sid : -E.ESRCH;
  });
  tab.def('setsid', '', (k, t) => {
    if ([...k.processes.values()].some((p) => p.pgid === t.proc.pid)) return t.proc.pgid === t.proc.pid ? -E.EPERM : -E.EPERM;
    t.proc.sid = t.proc.pid;
    t.proc.pgid = t.proc.pid;
    k.family?.groupMoved(t.proc);
    return t.proc.sid;
  });

  tab.def('getrusage', 'dp', (k, t, a) => {
    const who = a.i32(0);
    let n: number;
    if (who === RUSAGE_SELF || who === RUSAGE_THREAD) n = t.proc.cpuInstructions + k.platform.exec.instret() - k.sliceStart;
    else if (who === RUSAGE_CHILDREN) n = t.proc.childCpuInstructions;
    else return -E.EINVAL;
    t.proc.as.copyOut(a.u(1), rusage(n));
    return 0;
  });

  tab.def('times', 'p', (k, t, a) => {
    // struct tms in clock ticks (USER_HZ = 100): utime, stime, cutime, cstime.
    const ticks = (ins: number) => BigInt(Math.floor(ins / 1e7));
    if (a.u(0)) {
      const b = new Uint8Array(32);
      const dv = new DataView(b.buffer);
      dv.setBigInt64(0, ticks(t.proc.cpuInstructions), true);
      dv.setBigInt64(16, ticks(t.proc.childCpuInstructions), true);
      t.proc.as.copyOut(a.u(0), b);
    }
    return Math.floor(k.platform.monotonicNs() / 1e7);
  });
}

/** execve's success leaves a0 = 0 for the new image (no rtld_fini in a static program). */
const BLOCKED_NONE = 0;
