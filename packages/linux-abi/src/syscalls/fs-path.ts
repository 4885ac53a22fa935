/**
 * Path syscalls (fs/open.c, fs/namei.c, fs/stat.c, fs/statfs.c, fs/utimes.c, fs/d_path.c):
 * openat, openat2, the stat family, mkdirat, mknodat, unlinkat, renameat2, linkat,
 * symlinkat, readlinkat, faccessat(2), fchmod(at), fchown(at), utimensat, getcwd, chdir,
 * fchdir, chroot, umask.
 */
import { E, SysError } from '../errors.ts';
import { encodeStat, type Stat } from '../abi/structs.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import type { OpenFile } from '../fs/file.ts';
import { fsContext, fsOf, rootOf } from '../fs/context.ts';
import { devMajor, devMinor, MAY_EXEC, MAY_READ, MAY_WRITE, NAME_MAX, permitted, SpecialInode, S_IFIFO } from '../fs/inode.ts';
import {
  O_CLOEXEC, O_CREAT, O_NONBLOCK, O_PATH, O_TMPFILE, RESOLVE_BENEATH, RESOLVE_CACHED, RESOLVE_IN_ROOT,
  RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV, MNT_RDONLY, MNT_NOSUID, MNT_NODEV, MNT_NOEXEC,
  type Location, type ResolveOpts, O_TRUNC,
} from '../fs/vfs.ts';
import { Pipe, PipeFile, fifoPartner } from '../fs/pipe.ts';
import { ChannelPipe, type FamilyState } from '../family.ts';
import { absolutePath } from './net.ts';
import { O_ACCMODE, O_RDONLY, O_RDWR, O_WRONLY } from '../fs/vfs.ts';
import { AGAIN, sleepOn } from '../fs/wait.ts';
import { nameToBytes } from '../fs/names.ts';
import {
  AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_REMOVEDIR, AT_STATX_SYNC_TYPE, AT_SYMLINK_FOLLOW,
  AT_SYMLINK_NOFOLLOW, fileOf, resolveAt, startDir, userPath,
} from './fs-common.ts';

/** Every O_* flag open(2) knows (VALID_OPEN_FLAGS). */
const VALID_OPEN_FLAGS = 0o3 | 0o100 | 0o200 | 0o400 | 0o1000 | 0o2000 | 0o4000 | 0o10000 | 0o20000 | 0o40000 |
  0o100000 | 0o200000 | 0o400000 | 0o1000000 | 0o2000000 | 0o4000000 | 0o10000000 | 0o20000000;

function install(t: Task, f: OpenFile, cloexec: boolean): number {
  const fd = t.proc.fds.install(f, cloexec);
  if (fd < 0) f.close(); // never referenced by a descriptor
  return fd;
}

// ---- FIFOs between the enclaves of a family (process-per-enclave platforms) ---------------

const te = new TextEncoder();
/** The family-wide name of a FIFO's path (the platform shows the host only a keyed tag of it). */
const fifoName = (abs: string) => te.encode(`fifo:${abs}`);

/**
 * mkfifo in a family: the path is published, so that a process in another enclave whose open
 * finds no such node in its own tmpfs can still open this FIFO (the bytes then go through a
 * sealed host channel, as a pipe's do after fork). A name another enclave holds stays its own.
 */
function publishFifo(k: Kernel, t: Task, loc: Location): void {
  const fam = k.family;
  if (!fam) return;
  try {
    fam.fam.publish(fifoName(fsOf(k).vfs.pathOf(loc, rootOf(k, t.proc)).path));
  } catch { /* not reachable from the root */ }
}

/**
 * The FIFO's enclave (family.ts on 'fopen'): the path must still name a FIFO here (the host's
 * lookup is not trusted) that the family's user may open so; its pipe moves into a channel.
 * Once the opener holds its end (so the family's counts include it), 'opened' counts the open
 * here as a local open would: an open waiting for its partner proceeds.
 */
export function fifoOpenIn(k: Kernel, fam: FamilyState, path: string, read: boolean, write: boolean, opened = false): number {
  const vfs = fsOf(k).vfs, root = vfs.rootLocation();
  const ctx = { cred: { uid: k.config.uid, gid: k.config.gid, pid: 0 }, root, cwd: root, umask: 0 };
  let loc: Location;
  try {
    loc = vfs.resolve(ctx, root, path, true);
  } catch (e) {
    return e instanceof SysError ? -e.errno : -E.ENOENT;
  }
  if (!(loc.inode instanceof SpecialInode) || loc.inode.type !== S_IFIFO) return -E.ENOENT;
  if (!permitted(loc.inode, ctx.cred, (read ? MAY_READ : 0) | (write ? MAY_WRITE : 0))) return -E.EACCES;
  const inode = loc.inode;
  if (!(inode.pipe instanceof Pipe)) inode.pipe = new Pipe();
  const pipe = inode.pipe as Pipe;
  if (opened) {
    if (read) pipe.readerOpens++;
    if (write) pipe.writerOpens++;
    pipe.openq.notify();
    return 0;
  }
  const r = fam.share(pipe);
  return r < 0 ? r : (pipe.channel as ChannelPipe).id;
}

/** open of a path this enclave lacks: a FIFO another enclave of the family published, or null. */
function openRemoteFifo(k: Kernel, t: Task, dirfd: number, path: string, flags: number): PipeFile | null {
  const fam = k.family;
  if (!fam || (flags & (O_CREAT | O_PATH)) || (dirfd !== AT_FDCWD && !path.startsWith('/'))) return null;
  const abs = absolutePath(k, t, path);
  const pid = fam.fam.lookup(fifoName(abs));
  if (pid < 0 || pid === t.proc.pid) return null;
  const acc = flags & O_ACCMODE;
  const read = acc === O_RDONLY || acc === O_RDWR, write = acc === O_WRONLY || acc === O_RDWR;
  const id = fam.fifoOpen(pid, abs, read, write);
  if (id < 0) throw new SysError(-id);
  if (id === 0) throw new SysError(E.EIO);
  const key = `${pid}:${abs}:${id}`;
  let pipe = fam.remoteFifos.get(key);
  if (!pipe) {
    pipe = new Pipe();
    pipe.channel = new ChannelPipe(fam.fam, id);
    fam.remoteFifos.set(key, pipe);
    fam.pipes.add(pipe);
  }
  const ns = fsOf(k);
  const inode = new SpecialInode(ns.pipeMount.sb, S_IFIFO | 0o600, 0, k.config.uid, k.config.gid);
  inode.nlink = 1;
  inode.pipe = pipe;
  const f = new PipeFile(pipe, flags & ~O_CREAT, { mnt: ns.pipeMount, inode });
  fam.send(pid, { t: 'fopened', path: abs, read, write });
  // fifo_open: a non-blocking writer with no reader anywhere is ENXIO.
  if (acc === O_WRONLY && flags & O_NONBLOCK && pipe.channel!.ends!().readers === 0) {
    f.close();
    throw new SysError(E.ENXIO);
  }
  return f;
}

function doOpen(k: Kernel, t: Task, dirfd: number, path: string, flags: number, mode: number, o?: ResolveOpts) {
  const ctx = fsContext(k, t);
  if (path === '') return -E.ENOENT;
  const start = startDir(ctx, t, dirfd, path);
  let f: OpenFile;
  try {
    // Under a directory another enclave of the family serves to this one (a forked child's
    // inherited cwd), a name this tree lacks is opened there (family-files.ts).
    f = (k.family && !o ? k.family.files.openServed(t, path, flags, mode, start) : null) ?? fsOf(k).vfs.open(ctx, start, path, flags, mode, o);
  } catch (e) {
    // Not in this enclave's tree: maybe a FIFO of another enclave of the family.
    const r = e instanceof SysError && e.errno === E.ENOENT && !o ? openRemoteFifo(k, t, dirfd, path, flags) : null;
    if (!r) throw e;
    f = r;
  }
  const cloexec = (flags & O_CLOEXEC) !== 0;
  if (f instanceof PipeFile) {
    // A FIFO opened for reading or writing only waits for the other side.
    const ready = fifoPartner(f);
    if (ready) {
      const attempt = () => (ready() ? install(t, f, cloexec) : AGAIN);
      return sleepOn(k, t, [f.pipe.openq], attempt, Infinity, -E.EAGAIN, () => {
        f.close();
        return false;
      });
    }
  }
  return install(t, f, cloexec);
}

/**
 * stat/access of a name this enclave lacks under a directory another enclave of the family
 * serves to it (family-files.ts): that enclave's answer, or null (the ENOENT `e` stands).
 */
function servedPath(k: Kernel, t: Task, e: unknown, dirfd: number, path: string, follow: boolean, access: number): { ret: number; st?: Stat } | null {
  if (!k.family || !(e instanceof SysError) || e.errno !== E.ENOENT || path === '') return null;
  const ctx = fsContext(k, t);
  return k.family.files.pathServed(t, path, startDir(ctx, t, dirfd, path), follow, access);
}

export function statOf(f: OpenFile | null, loc: Location | null): Stat {
  if (loc) return loc.inode.stat();
  const s = f!.stat();
  if (typeof s === 'number') throw new SysError(-s);
  return s;
}

// include/uapi/linux/stat.h
const STATX_BASIC_STATS = 0x7ff, STATX_MNT_ID = 0x1000, STATX__RESERVED = 0x80000000;

function encodeStatx(s: Stat, mntId: number): Uint8Array {
  const b = new Uint8Array(256);
  const dv = new DataView(b.buffer);
  const u64 = (o: number, v: number) => dv.setBigUint64(o, BigInt(Math.max(0, Math.floor(v))), true);
  const ts = (o: number, sec: number, nsec: number) => {
    dv.setBigInt64(o, BigInt(sec), true);
    dv.setUint32(o + 8, nsec, true);
  };
  dv.setUint32(0, STATX_BASIC_STATS | STATX_MNT_ID, true);
  dv.setUint32(4, s.blksize, true);
  dv.setUint32(16, s.nlink, true);
  dv.setUint32(20, s.uid, true);
  dv.setUint32(24, s.gid, true);
  dv.setUint16(28, s.mode, true);
  u64(32, s.ino);
  u64(40, s.size);
  u64(48, s.blocks);
  ts(64, s.atimeSec, s.atimeNsec);
  ts(96, s.ctimeSec, s.ctimeNsec);
  ts(112, s.mtimeSec, s.mtimeNsec);
  dv.setUint32(128, devMajor(s.rdev), true);
  dv.setUint32(132, devMinor(s.rdev), true);
  dv.setUint32(136, devMajor(s.dev), true);
  dv.setUint32(140, devMinor(s.dev), true);
  u64(144, mntId);
  return b;
}

function encodeStatfs(loc: Location | null): Uint8Array {
  const b = new Uint8Array(120);
  const dv = new DataView(b.buffer);
  const u64 = (o: number, v: number) => dv.setBigUint64(o, BigInt(Math.max(0, Math.floor(v))), true);
  const sb = loc?.inode.sb;
  const bsize = 4096;
  const blocks = sb ? Math.floor(sb.maxBytes / bsize) : 0;
  const used = sb ? Math.ceil(sb.usedBytes / bsize) : 0;
  const fstype = sb?.fstype ?? 'anon_inodefs';
  const dynamic = fstype === 'proc' || fstype === 'pipefs' || fstype === 'anon_inodefs';
  u64(0, sb?.magic ?? 0x09041934);
  u64(8, bsize);
  u64(16, dynamic ? 0 : blocks);
  u64(24, dynamic ? 0 : blocks - used);
  u64(32, dynamic ? 0 : blocks - used);
  u64(40, dynamic ? 0 : sb?.maxInodes ?? 0);
  u64(48, dynamic ? 0 : Math.max(0, (sb?.maxInodes ?? 0) - (sb?.inodeCount ?? 0)));
  if (sb) {
    dv.setUint32(56, sb.dev & 0xffffffff, true);
    dv.setUint32(60, 0, true);
  }
  u64(64, NAME_MAX);
  u64(72, bsize);
  const mf = loc?.mnt.flags ?? 0;
  // ST_VALID | ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RELATIME
  const opts = loc?.mnt.options ?? '';
  let f = 0x20 | 0x1000;
  if (mf & MNT_RDONLY) f |= 1;
  if (mf & MNT_NOSUID || opts.includes('nosuid')) f |= 2;
  if (mf & MNT_NODEV || opts.includes('nodev')) f |= 4;
  if (mf & MNT_NOEXEC || opts.includes('noexec')) f |= 8;
  u64(80, f);
  return b;
}

function readTimespecs(t: Task, addr: number): [{ sec: number; nsec: number } | null | 'omit', { sec: number; nsec: number } | null | 'omit', boolean] {
  const UTIME_NOW = (1 << 30) - 1, UTIME_OMIT = (1 << 30) - 2;
  if (!addr) return [null, null, false];
  const dv = new DataView(t.proc.as.copyIn(addr, 32).buffer);
  const one = (o: number): { sec: number; nsec: number } | null | 'omit' => {
    const sec = Number(dv.getBigInt64(o, true)), nsec = Number(dv.getBigInt64(o + 8, true));
    if (nsec === UTIME_NOW) return null;
    if (nsec === UTIME_OMIT) return 'omit';
    if (nsec < 0 || nsec > 999_999_999) throw new SysError(E.EINVAL);
    return { sec, nsec };
  };
  const a = one(0), m = one(16);
  const explicit = (a !== null && a !== 'omit') || (m !== null && m !== 'omit');
  return [a, m, explicit];
}

export function registerFsPath(tab: SyscallTable): void {
  tab.def('openat', 'dsxx', (k, t, a) => {
    const path = userPath(t, a.u(1));
    return doOpen(k, t, a.i32(0), path, a.i32(2) & VALID_OPEN_FLAGS, a.u(3) & 0o7777);
  });

  tab.def('openat2', 'dspu', (k, t, a) => {
    const size = a.u(3);
    if (size < 24) return -E.EINVAL;
    if (size > 4096) return -E.E2BIG;
    const raw = t.proc.as.copyIn(a.u(2), size);
    for (let i = 24; i < size; i++) if (raw[i]) return -E.E2BIG;
    const dv = new DataView(raw.buffer);
    const flags = dv.getBigUint64(0, true), mode = dv.getBigUint64(8, true), resolve = dv.getBigUint64(16, true);
    if (flags & ~BigInt(VALID_OPEN_FLAGS)) return -E.EINVAL;
    const fl = Number(flags);
    if (resolve & ~0x3fn) return -E.EINVAL;
    const r = Number(resolve);
    if ((r & RESOLVE_BENEATH) && (r & RESOLVE_IN_ROOT)) return -E.EINVAL;
    if (mode & ~0o7777n) return -E.EINVAL;
    if (mode && !(fl & O_CREAT) && (fl & O_TMPFILE) !== O_TMPFILE) return -E.EINVAL;
    if (fl & O_PATH && fl & ~(O_PATH | O_CLOEXEC | 0o200000 | 0o400000)) return -E.EINVAL;
    if ((r & RESOLVE_CACHED) && (fl & (O_CREAT | O_TRUNC) || (fl & O_TMPFILE) === O_TMPFILE)) return -E.EAGAIN;
    const path = userPath(t, a.u(1));
    void RESOLVE_NO_MAGICLINKS; void RESOLVE_NO_SYMLINKS; void RESOLVE_NO_XDEV;
    return doOpen(k, t, a.i32(0), path, fl, Number(mode), { resolve: r });
  }, 'partial');

  tab.def('fstat', 'fp', (k, t, a) => {
    const st = fileOf(t, a.i32(0)).stat();
    if (typeof st === 'number') return st;
    t.proc.as.copyOut(a.u(1), encodeStat(st));
    return 0;
  });

  tab.def('newfstatat', 'fspx', (k, t, a) => {
    const flags = a.i32(3);
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH)) return -E.EINVAL;
    const path = userPath(t, a.u(1));
    let st: Stat;
    try {
      const at = resolveAt(k, t, a.i32(0), path, flags, !(flags & AT_SYMLINK_NOFOLLOW));
      st = statOf(at.file, at.loc);
    } catch (e) {
      const r = servedPath(k, t, e, a.i32(0), path, !(flags & AT_SYMLINK_NOFOLLOW), -1);
      if (!r?.st) throw e;
      st = r.st;
    }
    t.proc.as.copyOut(a.u(2), encodeStat(st));
    return 0;
  });

  tab.def('statx', 'fsxxp', (k, t, a) => {
    const flags = a.i32(2), mask = a.u(3) >>> 0;
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)) return -E.EINVAL;
    if ((flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE) return -E.EINVAL;
    if (mask & STATX__RESERVED) return -E.EINVAL;
    const path = userPath(t, a.u(1));
    let st: Stat, mntId: number;
    try {
      const at = resolveAt(k, t, a.i32(0), path, flags, !(flags & AT_SYMLINK_NOFOLLOW));
      st = statOf(at.file, at.loc);
      mntId = at.loc?.mnt.id ?? 0;
    } catch (e) {
      const r = servedPath(k, t, e, a.i32(0), path, !(flags & AT_SYMLINK_NOFOLLOW), -1);
      if (!r?.st) throw e;
      st = r.st;
      mntId = 0;
    }
    t.proc.as.copyOut(a.u(4), encodeStatx(st, mntId));
    return 0;
  });

  tab.def('statfs', 'sp', (k, t, a) => {
    const at = resolveAt(k, t, AT_FDCWD, userPath(t, a.u(0)), 0, true);
    t.proc.as.copyOut(a.u(1), encodeStatfs(at.loc));
    return 0;
  });
  tab.def('fstatfs', 'fp', (k, t, a) => {
    const f = fileOf(t, a.i32(0));
    t.proc.as.copyOut(a.u(1), encodeStatfs(f.loc));
    return 0;
  });

  tab.def('mkdirat', 'dso', (k, t, a) => {
    const ctx = fsContext(k, t);
    const path = userPath(t, a.u(1));
    fsOf(k).vfs.mkdir(ctx, startDir(ctx, t, a.i32(0), path), path, a.u(2) & 0o7777);
    return 0;
  });

  tab.def('mknodat', 'dsox', (k, t, a) => {
    const ctx = fsContext(k, t);
    const path = userPath(t, a.u(1));
    const mode = a.u(2) >>> 0;
    const type = mode & 0o170000;
    if (type === 0o040000) return -E.EPERM;
    if (![0, 0o100000, 0o020000, 0o060000, 0o010000, 0o140000].includes(type)) return -E.EINVAL;
    const start = startDir(ctx, t, a.i32(0), path);
    fsOf(k).vfs.mknod(ctx, start, path, mode, a.u(3) >>> 0);
    if (type === S_IFIFO && k.family) {
      try {
        publishFifo(k, t, fsOf(k).vfs.resolve(ctx, start, path, false));
      } catch { /* gone already */ }
    }
    return 0;
  });

  tab.def('unlinkat', 'dsx', (k, t, a) => {
    const flags = a.i32(2);
    if (flags & ~AT_REMOVEDIR) return -E.EINVAL;
    const ctx = fsContext(k, t);
    const path = userPath(t, a.u(1));
    fsOf(k).vfs.unlink(ctx, startDir(ctx, t, a.i32(0), path), path, (flags & AT_REMOVEDIR) !== 0);
    return 0;
  });

  tab.def('renameat2', 'dsdsx', (k, t, a) => {
    const ctx = fsContext(k, t);
    const from = userPath(t, a.u(1)), to = userPath(t, a.u(3));
    const flags = a.u(4) >>> 0;
    if (from === '' || to === '') return -E.ENOENT;
    fsOf(k).vfs.rename(ctx, startDir(ctx, t, a.i32(0), from), from, startDir(ctx, t, a.i32(2), to), to, flags);
    return 0;
  });

  tab.def('linkat', 'dsdsx', (k, t, a) => {
    const flags = a.i32(4);
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
    const from = userPath(t, a.u(1)), to = userPath(t, a.u(3));
    if (flags & AT_EMPTY_PATH && k.config.uid !== 0) return -E.ENOENT;
    const old = resolveAt(k, t, a.i32(0), from, flags, (flags & AT_SYMLINK_FOLLOW) !== 0);
    if (!old.loc) return -E.ENOENT;
    if (to === '') return -E.ENOENT;
    fsOf(k).vfs.link(old.ctx, old.loc, startDir(old.ctx, t, a.i32(2), to), to);
    return 0;
  });

  tab.def('symlinkat', 'sds', (k, t, a) => {
    const target = userPath(t, a.u(0));
    const ctx = fsContext(k, t);
    const path = userPath(t, a.u(2));
    if (path === '') return -E.ENOENT;
    fsOf(k).vfs.symlink(ctx, target, startDir(ctx, t, a.i32(1), path), path);
    return 0;
  });

  tab.def('readlinkat', 'fspu', (k, t, a) => {
    const path = userPath(t, a.u(1));
    const size = a.i32(3);
    if (size <= 0) return -E.EINVAL;
    const at = resolveAt(k, t, a.i32(0), path, AT_EMPTY_PATH, false);
    if (!at.loc) return -E.EINVAL;
    const target = nameToBytes(fsOf(k).vfs.readlink(at.ctx, at.loc));
    const n = Math.min(target.length, size); // readlink does not NUL-terminate
    t.proc.as.copyOut(a.u(2), target.subarray(0, n));
    return n;
  });

  const access = (k: Kernel, t: Task, dirfd: number, pathAddr: number, mode: number, flags: number) => {
    if (mode & ~7) return -E.EINVAL;
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
    const path = userPath(t, pathAddr);
    let at;
    try {
      at = resolveAt(k, t, dirfd, path, flags, !(flags & AT_SYMLINK_NOFOLLOW));
    } catch (e) {
      const r = servedPath(k, t, e, dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), mode);
      if (!r) throw e;
      return r.ret;
    }
    if (!at.loc) return mode === 0 ? 0 : -E.EACCES;
    fsOf(k).vfs.access(at.ctx, at.loc, mode);
    return 0;
  };
  tab.def('faccessat', 'dso', (k, t, a) => access(k, t, a.i32(0), a.u(1), a.i32(2), 0));
  tab.def('faccessat2', 'dsox', (k, t, a) => access(k, t, a.i32(0), a.u(1), a.i32(2), a.i32(3)));

  const locOfFd = (t: Task, fd: number): Location => {
    const f = fileOf(t, fd);
    if (f.flags & O_PATH) throw new SysError(E.EBADF);
    if (!f.loc) throw new SysError(E.EPERM);
    return f.loc;
  };
  tab.def('fchmod', 'fo', (k, t, a) => {
    const loc = locOfFd(t, a.i32(0));
    fsOf(k).vfs.chmod(fsContext(k, t), loc, a.u(1) & 0o7777);
    return 0;
  });
  tab.def('fchmodat', 'dso', (k, t, a) => {
    const at = resolveAt(k, t, a.i32(0), userPath(t, a.u(1)), 0, true);
    fsOf(k).vfs.chmod(at.ctx, at.loc!, a.u(2) & 0o7777);
    return 0;
  });
  tab.def('fchown', 'fdd', (k, t, a) => {
    const loc = locOfFd(t, a.i32(0));
    fsOf(k).vfs.chown(fsContext(k, t), loc, a.i32(1), a.i32(2));
    return 0;
  });
  tab.def('fchownat', 'dsddx', (k, t, a) => {
    const flags = a.i32(4);
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
    const at = resolveAt(k, t, a.i32(0), userPath(t, a.u(1)), flags, !(flags & AT_SYMLINK_NOFOLLOW));
    if (!at.loc) return -E.EPERM;
    fsOf(k).vfs.chown(at.ctx, at.loc, a.i32(2), a.i32(3));
    return 0;
  });

  tab.def('utimensat', 'dspx', (k, t, a) => {
    const dirfd = a.i32(0), pathAddr = a.u(1), flags = a.i32(3);
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -E.EINVAL;
    const [at, mt, explicit] = readTimespecs(t, a.u(2));
    if (at === 'omit' && mt === 'omit') return 0;
    let loc: Location | null;
    let ctx;
    if (pathAddr === 0) {
      // futimens: the file open at dirfd.
      if (dirfd === AT_FDCWD) return -E.EFAULT;
      if (flags & AT_SYMLINK_NOFOLLOW) return -E.EINVAL;
      ctx = fsContext(k, t);
      loc = fileOf(t, dirfd).loc;
    } else {
      const r = resolveAt(k, t, dirfd, userPath(t, pathAddr), flags, !(flags & AT_SYMLINK_NOFOLLOW));
      ctx = r.ctx;
      loc = r.loc;
    }
    if (!loc) return -E.EPERM;
    fsOf(k).vfs.utimes(ctx, loc, at, mt, explicit);
    return 0;
  });

  tab.def('getcwd', 'pu', (k, t, a) => {
    const ctx = fsContext(k, t);
    const r = fsOf(k).vfs.pathOf(ctx.cwd, ctx.root);
    if (r.deleted) return -E.ENOENT;
    const text = (r.reachable ? '' : '(unreachable)') + r.path;
    const cwd = nameToBytes(text + '\0');
    if (cwd.length > 4096) return -E.ENAMETOOLONG;
    if (a.u(1) < cwd.length) return -E.ERANGE;
    t.proc.as.copyOut(a.u(0), cwd);
    return cwd.length;
  });

  const enterDir = (k: Kernel, t: Task, loc: Location) => {
    if (!loc.inode.isDir()) throw new SysError(E.ENOTDIR);
    if (!permitted(loc.inode, fsContext(k, t).cred, MAY_EXEC)) throw new SysError(E.EACCES);
    return loc;
  };
  tab.def('chdir', 's', (k, t, a) => {
    const at = resolveAt(k, t, AT_FDCWD, userPath(t, a.u(0)), 0, true);
    t.proc.cwd = enterDir(k, t, at.loc!);
    return 0;
  });
  tab.def('fchdir', 'f', (k, t, a) => {
    const f = fileOf(t, a.i32(0));
    if (!f.loc) return -E.ENOTDIR;
    t.proc.cwd = enterDir(k, t, f.loc);
    return 0;
  });
  tab.def('chroot', 's', (k, t, a) => {
    const at = resolveAt(k, t, AT_FDCWD, userPath(t, a.u(0)), 0, true);
    const loc = enterDir(k, t, at.loc!);
    if (k.config.uid !== 0) return -E.EPERM; // CAP_SYS_CHROOT
    t.proc.root = loc;
    return 0;
  });

  tab.def('umask', 'o', (k, t, a) => {
    const old = t.proc.umask;
    t.proc.umask = a.u(0) & 0o777;
    return old;
  });
  void O_NONBLOCK;
}
