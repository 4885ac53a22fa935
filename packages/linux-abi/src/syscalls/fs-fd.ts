/**
 * Descriptor syscalls (fs/fcntl.c, fs/file.c, fs/readdir.c, fs/locks.c, mm/memfd.c): close,
 * close_range, dup, dup3, fcntl, getdents64, flock, memfd_create. POSIX record locks and
 * flock locks are kept per inode; they conflict only between different owners (processes
 * for F_SETLK, open file descriptions for flock and F_OFD_*), and a waiter parks until the
 * holder unlocks or goes away.
 */
import { E, SysError } from '../errors.ts';
import { IN_ACCESS, notifyChild } from '../fs/notify.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import type { OpenFile } from '../fs/file.ts';
import type { Inode } from '../fs/inode.ts';
import { FileInode } from '../fs/inode.ts';
import { fsOf } from '../fs/context.ts';
import { RegularFile, F_SEAL_FUTURE_WRITE, F_SEAL_GROW, F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_WRITE } from '../fs/files.ts';
import { O_ACCMODE, O_APPEND, O_CLOEXEC, O_DIRECT, O_LARGEFILE, O_NOATIME, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_WRONLY } from '../fs/vfs.ts';
import { PipeFile } from '../fs/pipe.ts';
import { AGAIN, sleepOn, WaitQueue } from '../fs/wait.ts';
import { fileOf, ioFileOf, userPath } from './fs-common.ts';
import { nameToBytes } from '../fs/names.ts';
import { RemoteFile } from '../family-files.ts';
import { RemoteMqFile } from './mqueue-family.ts';


const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_GETLK = 5, F_SETLK = 6, F_SETLKW = 7;
const F_SETOWN = 8, F_GETOWN = 9, F_SETSIG = 10, F_GETSIG = 11, F_OFD_GETLK = 36, F_OFD_SETLK = 37, F_OFD_SETLKW = 38;
const F_SETLEASE = 1024, F_GETLEASE = 1025, F_DUPFD_CLOEXEC = 1030, F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032;
const F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
const FD_CLOEXEC = 1;
const F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;
const O_ASYNC = 0o20000;
const SETFL_MASK = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;

// ------------------------------------------------------------------------------------
// locks

interface RecordLock {
  owner: unknown; pid: number; type: number; start: number; end: number /* exclusive, Infinity */;
  /** A process of another enclave of the family (family-files.ts): released by its close or exit message, not by prune. */
  remote?: boolean;
}
interface LockState { records: RecordLock[]; flocks: { owner: OpenFile; type: number }[]; q: WaitQueue; busy?: boolean; again?: boolean }

/** Wakes lock waiters; a waiter whose retry changes locks again is handled by another round, not by recursion. */
function notifyLocks(s: LockState): void {
  if (s.busy) { s.again = true; return; }
  s.busy = true;
  try {
    do { s.again = false; s.q.notify(); } while (s.again);
  } finally {
    s.busy = false;
  }
}
const locks = new WeakMap<Inode, LockState>();
function lockState(i: Inode): LockState {
  let s = locks.get(i);
  if (!s) locks.set(i, (s = { records: [], flocks: [], q: new WaitQueue() }));
  return s;
}
/** Where the inode's lock waiters sleep (the family's file server watches it to wake waiters in other enclaves). */
export function lockQueue(i: Inode): WaitQueue {
  return lockState(i).q;
}
/** The inode's locks may have changed (a description was released): waiters try again. */
export function locksChanged(i: Inode): void {
  const s = locks.get(i);
  if (s) notifyLocks(s);
}

/** Drops locks whose owners are gone (exited processes, closed descriptions). */
function prune(k: Kernel, s: LockState): void {
  s.records = s.records.filter((l) => (typeof l.owner === 'number' ? l.remote || k.processes.has(l.owner) : (l.owner as OpenFile).refs > 0));
  s.flocks = s.flocks.filter((l) => l.owner.refs > 0);
}

function conflict(k: Kernel, s: LockState, owner: unknown, type: number, start: number, end: number): RecordLock | null {
  prune(k, s);
  for (const l of s.records) {
    if (l.owner === owner) continue;
    if (l.start < end && start < l.end && (type === F_WRLCK || l.type === F_WRLCK)) return l;
  }
  return null;
}

function setRecord(s: LockState, owner: unknown, pid: number, type: number, start: number, end: number, remote: boolean): void {
  // posix_lock_inode keeps one owner's locks together, sorted and merged (adjacent or
  // overlapping locks of one type become one), where that owner's first lock was; a new
  // owner's locks go at the end. F_GETLK reports the first conflict in this order.
  const at = s.records.findIndex((l) => l.owner === owner);
  const mine: RecordLock[] = [];
  const others: RecordLock[] = [];
  let removed = false;
  for (const l of s.records) {
    if (l.owner !== owner) { others.push(l); continue; }
    if (l.end <= start || l.start >= end) { mine.push(l); continue; }
    removed = true;
    if (l.start < start) mine.push({ ...l, end: start });
    if (l.end > end) mine.push({ ...l, start: end });
  }
  if (type !== F_UNLCK) mine.push(remote ? { owner, pid, type, start, end, remote } : { owner, pid, type, start, end });
  mine.sort((a, b) => a.start - b.start);
  const merged: RecordLock[] = [];
  for (const l of mine) {
    const last = merged[merged.length - 1];
    if (last && last.type === l.type && last.end >= l.start) last.end = Math.max(last.end, l.end);
    else merged.push({ ...l });
  }
  const pos = at < 0 ? others.length : s.records.slice(0, at).filter((l) => l.owner !== owner).length;
  others.splice(pos, 0, ...merged);
  s.records = others;
  // Only a lock that went away or changed can unblock a waiter (and a waiter's own
  // acquisition must not re-enter the queue it is being woken from).
  if (removed) notifyLocks(s);
}

/** A process's POSIX locks on an inode go when it closes any descriptor of it. */
export function dropPosixLocks(i: Inode, pid: number): void {
  const s = locks.get(i);
  if (!s) return;
  const before = s.records.length;
  s.records = s.records.filter((l) => l.owner !== pid);
  if (s.records.length !== before) notifyLocks(s);
}

/** What F_GETLK reports: the first conflicting lock (pid -1 for an OFD lock). */
export interface LockConflict { type: number; start: number; end: number; pid: number }

/**
 * F_GETLK/F_OFD_GETLK on the description f for process `pid` (type checked already): the
 * conflicting lock or null. Also what the family's file server runs for another enclave.
 */
export function testLock(k: Kernel, f: OpenFile, pid: number, ofd: boolean, type: number, start: number, end: number): LockConflict | null {
  const c = conflict(k, lockState(f.loc!.inode), ofd ? f : pid, type, start, end);
  return c ? { type: c.type, start: c.start, end: c.end, pid: typeof c.owner === 'number' ? c.pid : -1 } : null;
}

/**
 * One attempt of F_SETLK(W)/F_OFD_SETLK(W) on f for process `pid`: 0, -EAGAIN, or AGAIN when
 * it conflicts and `wait` (the caller sleeps on lockQueue). `remote`: pid runs in another enclave.
 */
export function trySetLock(k: Kernel, f: OpenFile, pid: number, ofd: boolean, type: number, start: number, end: number, wait: boolean, remote = false): number | typeof AGAIN {
  const s = lockState(f.loc!.inode);
  const owner = ofd ? f : pid;
  if (type !== F_UNLCK && conflict(k, s, owner, type, start, end)) return wait ? AGAIN : -E.EAGAIN;
  setRecord(s, owner, pid, type, start, end, remote && !ofd);
  return 0;
}

const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8, LOCK_MAND = 32;
/** One attempt of flock(op) on f (op checked already): 0, -EWOULDBLOCK, or AGAIN when it must wait. */
export function tryFlock(k: Kernel, f: OpenFile, op: number): number | typeof AGAIN {
  const kind = op & ~LOCK_NB;
  const s = lockState(f.loc!.inode);
  prune(k, s);
  s.flocks = s.flocks.filter((l) => l.owner !== f);
  if (kind === LOCK_UN) { notifyLocks(s); return 0; }
  const busy = s.flocks.some((l) => kind === LOCK_EX || l.type === LOCK_EX);
  if (busy) return op & LOCK_NB ? -E.EWOULDBLOCK : AGAIN;
  s.flocks.push({ owner: f, type: kind });
  return 0;
}

function flockOp(k: Kernel, t: Task, f: OpenFile, op: number) {
  // LOCK_MAND never worked and Linux >= 5.19 ignores it (returns 0 before anything else).
  if (op & LOCK_MAND) return 0;
  const kind = op & ~LOCK_NB;
  if (kind !== LOCK_SH && kind !== LOCK_EX && kind !== LOCK_UN) return -E.EINVAL;
  // A tmpfs file another enclave of the family serves: its owner keeps the lock (family-files.ts).
  const remote = f instanceof RemoteFile ? f : null;
  if (!remote && !f.loc) return -E.EINVAL;
  const attempt = remote ? () => remote.flock(op) : () => tryFlock(k, f, op);
  const r = attempt();
  if (r !== AGAIN) return r;
  return sleepOn(k, t, [remote ? remote.q : lockState(f.loc!.inode).q], attempt);
}

function fcntlLock(k: Kernel, t: Task, fd: number, cmd: number, arg: number) {
  const f = ioFileOf(t, fd);
  const raw = t.proc.as.copyIn(arg, 32);
  const dv = new DataView(raw.buffer);
  const type = dv.getInt16(0, true), whence = dv.getInt16(2, true);
  const lstart = Number(dv.getBigInt64(8, true)), llen = Number(dv.getBigInt64(16, true));
  const ofd = cmd === F_OFD_GETLK || cmd === F_OFD_SETLK || cmd === F_OFD_SETLKW;
  if (ofd && dv.getInt32(24, true) !== 0) return -E.EINVAL;
  if (type !== F_RDLCK && type !== F_WRLCK && type !== F_UNLCK) return -E.EINVAL;
  let base: number;
  if (whence === 0) base = 0;
  else if (whence === 1) base = f.position();
  else if (whence === 2) {
    const st = f.stat();
    base = typeof st === 'number' ? 0 : st.size;
  } else return -E.EINVAL;
  let start = base + lstart, end: number;
  if (llen > 0) end = start + llen;
  else if (llen === 0) end = Infinity;
  else { end = start; start = start + llen; }
  if (start < 0) return -E.EINVAL;
  // A tmpfs file another enclave of the family serves: the locks are kept there (family-files.ts).
  const remote = f instanceof RemoteFile ? f : null;
  if (!remote && !f.loc) return -E.EBADF;
  const pid = t.proc.pid;
  if (cmd === F_GETLK || cmd === F_OFD_GETLK) {
    if (type === F_UNLCK) return -E.EINVAL;
    const c = remote ? remote.testLock(pid, ofd, type, start, end) : testLock(k, f, pid, ofd, type, start, end);
    if (typeof c === 'number') return c;
    const out = new Uint8Array(32);
    const o = new DataView(out.buffer);
    if (!c) {
      // Linux leaves the rest as given and sets only l_type.
      const copy = raw.slice();
      new DataView(copy.buffer).setInt16(0, F_UNLCK, true);
      t.proc.as.copyOut(arg, copy);
      return 0;
    }
    o.setInt16(0, c.type, true);
    o.setInt16(2, 0, true);
    o.setBigInt64(8, BigInt(c.start), true);
    o.setBigInt64(16, BigInt(c.end === Infinity ? 0 : c.end - c.start), true);
    o.setInt32(24, c.pid, true);
    t.proc.as.copyOut(arg, out);
    return 0;
  }
  const acc = f.flags & O_ACCMODE;
  if (type === F_RDLCK && acc === O_WRONLY) return -E.EBADF;
  if (type === F_WRLCK && acc === O_RDONLY) return -E.EBADF;
  const wait = cmd === F_SETLKW || cmd === F_OFD_SETLKW;
  const attempt = remote ? () => remote.setLock(pid, ofd, type, start, end, wait) : () => trySetLock(k, f, pid, ofd, type, start, end, wait);
  const r = attempt();
  if (r !== AGAIN) return r;
  return sleepOn(k, t, [remote ? remote.q : lockState(f.loc!.inode).q], attempt);
}

/** Closing a descriptor of a file drops the process's POSIX locks on it (here, or where its owner keeps them). */
function dropLocksOnClose(f: OpenFile, pid: number): void {
  if (f instanceof RemoteFile) f.dropPosixLocks(pid);
  else if (f.loc) dropPosixLocks(f.loc.inode, pid);
}

// ------------------------------------------------------------------------------------

function closeFd(k: Kernel, t: Task, fd: number): number {
  const f = t.proc.fds.get(fd);
  if (!f) return -E.EBADF;
  dropLocksOnClose(f, t.proc.pid);
  f.flush(t.proc.pid);
  return t.proc.fds.close(fd);
}

/** struct linux_dirent64: ino, off, reclen, type, name, padded to 8. */
function direntSize(nameLen: number): number {
  return (19 + nameLen + 1 + 7) & ~7;
}

export function registerFsFd(tab: SyscallTable): void {
  tab.def('close', 'f', (k, t, a) => closeFd(k, t, a.i32(0)));

  tab.def('close_range', 'uux', (k, t, a) => {
    // unsigned int arguments: the low 32 bits (riscv64 sign-extends them in the registers).
    const first = a.i32(0) >>> 0, last = a.i32(1) >>> 0, flags = a.i32(2) >>> 0;
    const CLOSE_RANGE_UNSHARE = 2, CLOSE_RANGE_CLOEXEC = 4;
    if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) return -E.EINVAL;
    if (first > last) return -E.EINVAL;
    for (const [fd, e] of [...t.proc.fds.entries()]) {
      if (fd < first || fd > last) continue;
      if (flags & CLOSE_RANGE_CLOEXEC) e.cloexec = true;
      else closeFd(k, t, fd);
    }
    return 0;
  });

  tab.def('dup', 'f', (k, t, a) => t.proc.fds.install(fileOf(t, a.i32(0)), false));

  tab.def('dup3', 'ffx', (k, t, a) => {
    const oldfd = a.i32(0), newfd = a.i32(1), flags = a.i32(2);
    if (flags & ~O_CLOEXEC) return -E.EINVAL;
    if (oldfd === newfd) return -E.EINVAL;
    if (newfd < 0 || newfd >= t.proc.fds.limit) return -E.EBADF;
    const f = fileOf(t, oldfd);
    const old = t.proc.fds.get(newfd);
    if (old) { dropLocksOnClose(old, t.proc.pid); old.flush(t.proc.pid); }
    t.proc.fds.set(newfd, f, (flags & O_CLOEXEC) !== 0);
    return newfd;
  });

  tab.def('fcntl', 'fdx', (k, t, a) => {
    const fd = a.i32(0), cmd = a.i32(1), arg = a.u(2);
    const e = t.proc.fds.entry(fd);
    if (!e) return -E.EBADF;
    const f = e.file;
    if (f.flags & O_PATH && ![F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL].includes(cmd)) return -E.EBADF;
    switch (cmd) {
      case F_DUPFD:
      case F_DUPFD_CLOEXEC: {
        const min = a.i32(2);
        if (min < 0 || min >= t.proc.fds.limit) return -E.EINVAL;
        return t.proc.fds.install(f, cmd === F_DUPFD_CLOEXEC, min);
      }
      case F_GETFD: return e.cloexec ? FD_CLOEXEC : 0;
      case F_SETFD: e.cloexec = (arg & FD_CLOEXEC) !== 0; return 0;
      // The status flags of a description another enclave serves are its owner's (one description).
      case F_GETFL: return f instanceof RemoteFile ? f.statusFlags() : f.flags;
      case F_SETFL: {
        if (arg & O_NOATIME && !(f.flags & O_NOATIME) && f.loc && f.loc.inode.uid !== k.config.uid && k.config.uid !== 0) return -E.EPERM;
        if (f.flags & O_APPEND && !(arg & O_APPEND) && false) return -E.EPERM;
        if (f instanceof RemoteFile || f instanceof RemoteMqFile) return f.setStatusFlags(SETFL_MASK, arg & SETFL_MASK);
        f.flags = (f.flags & ~SETFL_MASK) | (arg & SETFL_MASK);
        return 0;
      }
      case F_GETLK: case F_SETLK: case F_SETLKW: case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
        return fcntlLock(k, t, fd, cmd, arg);
      case F_GETOWN: return 0;
      case F_SETOWN: return 0;
      case F_GETSIG: return 0;
      case F_SETSIG: return arg > 64 ? -E.EINVAL : 0;
      case F_GETLEASE: return F_UNLCK;
      case F_SETLEASE: return -E.EAGAIN;
      case F_GETPIPE_SZ:
        return f instanceof PipeFile ? f.pipe.capacity : -E.EBADF;
      case F_SETPIPE_SZ: {
        if (!(f instanceof PipeFile)) return -E.EBADF;
        const size = a.i32(2);
        if (size < 0) return -E.EINVAL;
        return f.pipe.resize(size);
      }
      case F_GET_SEALS: {
        const i = f.loc?.inode;
        if (!(f instanceof RegularFile) || !(i instanceof FileInode) || f.loc!.mnt.source !== 'memfd') return -E.EINVAL;
        return i.seals;
      }
      case F_ADD_SEALS: {
        const i = f.loc?.inode;
        // memfd_add_seals: a writable descriptor first (EPERM), then the seal bits, then a memfd.
        if (!(f.flags & 3)) return -E.EPERM;
        const add = arg >>> 0;
        if (add & ~(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) return -E.EINVAL;
        if (!(f instanceof RegularFile) || !(i instanceof FileInode) || f.loc!.mnt.source !== 'memfd') return -E.EINVAL;
        if (i.seals & F_SEAL_SEAL) return -E.EPERM;
        // memfd_wait_for_pins/mapping_deny_writable: no write seal while a shared writable mapping exists.
        if (add & F_SEAL_WRITE && !(i.seals & F_SEAL_WRITE) && i.pageCache?.isMapped(true)) return -E.EBUSY;
        i.seals |= add;
        return 0;
      }
      default:
        return -E.EINVAL;
    }
  }, 'partial');

  tab.def('getdents64', 'fpu', (k, t, a) => {
    const f = ioFileOf(t, a.i32(0));
    const addr = a.u(1), count = Math.min(a.u(2), 0x7fffffff);
    const start = f.pos;
    const ents = f.getdents(Math.max(1, Math.floor(count / 24)));
    if (typeof ents === 'number') return ents;
    if (f.loc) notifyChild(f.loc, IN_ACCESS, true); // iterate_dir's fsnotify_access, whatever fits
    const out = new Uint8Array(count);
    const dv = new DataView(out.buffer);
    let o = 0;
    let pos = start;
    for (const d of ents) {
      const name = nameToBytes(d.name);
      const rec = direntSize(name.length);
      if (o + rec > count) break;
      dv.setBigUint64(o, BigInt(d.ino), true);
      dv.setBigInt64(o + 8, BigInt(d.off), true);
      dv.setUint16(o + 16, rec, true);
      out[o + 18] = d.type;
      out.set(name, o + 19);
      o += rec;
      pos = d.off;
    }
    if (o === 0 && ents.length > 0) return -E.EINVAL; // the buffer cannot hold one entry
    t.proc.as.copyOut(addr, out.subarray(0, o));
    f.setDirPos(pos);
    return o;
  });

  tab.def('flock', 'fd', (k, t, a) => {
    const f = fileOf(t, a.i32(0));
    // fdget() does not return O_PATH files: EBADF (after LOCK_MAND and EINVAL, as flock(2) orders them).
    const op = a.i32(1);
    if (f.flags & O_PATH && !(op & 32) && [1, 2, 8].includes(op & ~4)) return -E.EBADF;
    return flockOp(k, t, f, op);
  });

  tab.def('memfd_create', 'sx', (k, t, a) => {
    const MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2, MFD_HUGETLB = 4, MFD_NOEXEC_SEAL = 8, MFD_EXEC = 0x10;
    const flags = a.u(1) >>> 0;
    if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC)) return -E.EINVAL;
    if (flags & MFD_HUGETLB) return -E.EINVAL;
    let name: string;
    try {
      name = t.proc.as.readCString(a.u(0), 250);
    } catch (e) {
      if (e instanceof SysError && e.errno === E.ENAMETOOLONG) return -E.EINVAL;
      throw e;
    }
    const ns = fsOf(k);
    const m = ns.memfdMount;
    const inode = new FileInode(m.sb, flags & MFD_NOEXEC_SEAL ? 0o666 : 0o777, k.config.uid, k.config.gid);
    if (!(flags & MFD_ALLOW_SEALING)) inode.seals = F_SEAL_SEAL;
    const f = new RegularFile(O_RDWR | O_LARGEFILE, { mnt: m, inode, parent: { mnt: m, inode: m.root }, name: `memfd:${name}` });
    const fd = t.proc.fds.install(f, (flags & MFD_CLOEXEC) !== 0);
    if (fd < 0) f.close();
    return fd;
  });
  void userPath;
}
