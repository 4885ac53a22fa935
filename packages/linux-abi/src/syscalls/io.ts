/**
 * Data syscalls: read/write and their positioned and vector forms, lseek, ioctl, sendfile,
 * copy_file_range, fsync family, truncate/ftruncate/fallocate. Reads and writes that would
 * block park the task on the file's wait queue (fs/wait.ts) and complete when the other
 * side moves; a blocking write keeps its progress across wake-ups, and a signal that
 * interrupts it after some bytes went out returns the count, as pipe_write does.
 * Registers every file syscall family (fs-path, fs-fd, pipe, poll).
 */
import { concatBytes } from '@teeos/hal/bytes';
import { E, SysError } from '../errors.ts';
import { decodeIovecs, IOVEC_SIZE } from '../abi/structs.ts';
import { SIGPIPE, SIGTTIN } from '../abi/constants.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import type { OpenFile } from '../fs/file.ts';
import { AGAIN, sleepOn, type RetryResult } from '../fs/wait.ts';
import { O_ACCMODE, O_APPEND, O_NONBLOCK, O_RDONLY, O_WRONLY, O_PATH } from '../fs/vfs.ts';
import { FileInode } from '../fs/inode.ts';
import { sendToTask } from '../signals.ts';
import { checkWritable, fileOf, ioFileOf, resolveAt, userPath } from './fs-common.ts';
import { fsContext, fsOf } from '../fs/context.ts';
import { registerFsPath } from './fs-path.ts';
import { registerFsFd } from './fs-fd.ts';
import { registerPipe } from './pipe.ts';
import { registerPoll } from './poll.ts';
import { registerNet } from './net.ts';
import { ttyCheckChange, ttyCheckWrite, ttyIoctl, ttyOutput, ttyRead, ttyWrite } from '../fs/tty.ts';
import { HostStdioFile } from '../fs/host-stdio.ts';
import { FullFile, TtyFile } from '../fs/devfs.ts';
import { registerEpoll } from './epoll.ts';
import { registerSplice } from './splice.ts';
import { IN_MODIFY, InotifyFile, notifyChild } from '../fs/notify.ts';
import { llFileTruncate } from '../fs/landlock.ts';

const IOV_MAX = 1024;
const RWF_NOWAIT = 8;
/** Linux caps a single read/write at MAX_RW_COUNT = INT_MAX & PAGE_MASK. */
export const MAX_RW_COUNT = 0x7ffff000;

function readableFile(t: Task, fd: number): OpenFile {
  const f = ioFileOf(t, fd);
  if ((f.flags & O_ACCMODE) === O_WRONLY) throw new SysError(E.EBADF);
  return f;
}
function writableFile(t: Task, fd: number): OpenFile {
  const f = ioFileOf(t, fd);
  if ((f.flags & O_ACCMODE) === O_RDONLY) throw new SysError(E.EBADF);
  return f;
}

/** Reads up to len bytes from f and hands them to `sink`; may block. */
export function blockingRead(k: Kernel, t: Task, f: OpenFile, len: number, sink: (d: Uint8Array) => void): number | ReturnType<Kernel['block']> {
  const tty = f instanceof HostStdioFile || f instanceof TtyFile;
  if (tty) {
    // n_tty_read's job_control: a background group's read stops it (SIGTTIN) or fails.
    const c = ttyCheckChange(k, t, f, SIGTTIN);
    if (c !== 0) return c;
  }
  const attempt = (): RetryResult => {
    // A terminal's reads go through the line discipline (fs/n_tty.ts).
    const r = tty ? ttyRead(k, f, len) : f.readTransient(len); // sink copies at once
    if (typeof r === 'number') return r === -E.EAGAIN && !(f.flags & O_NONBLOCK) && f.readQueue() ? AGAIN : r;
    sink(r);
    return r.length;
  };
  const r = attempt();
  if (r !== AGAIN) return r;
  return sleepOn(k, t, [f.readQueue()!], attempt);
}

/** Writes all of data (blocking files: as space appears); partial only for O_NONBLOCK, errors, signals. */
export function blockingWrite(k: Kernel, t: Task, f: OpenFile, data: Uint8Array): number | ReturnType<Kernel['block']> {
  if (f instanceof HostStdioFile || f instanceof TtyFile) {
    const c = ttyCheckWrite(k, t, f); // TOSTOP: a background group's write stops it (SIGTTOU)
    if (c !== 0) return c;
    // Output processing (OPOST/ONLCR) for the raw host terminal; such writes never block.
    const o = ttyOutput(k, f, data);
    if (o) return o.back(f.write(o.out));
  }
  let done = 0;
  const nonblock = (f.flags & O_NONBLOCK) !== 0;
  const attempt = (): RetryResult => {
    for (;;) {
      const r = f.write(done ? data.subarray(done) : data);
      if (r === -E.EPIPE) {
        sendToTask(k, t, { signo: SIGPIPE, code: 0, pid: t.proc.pid, uid: k.config.uid });
        return done || r;
      }
      if (r === -E.EAGAIN) return nonblock || !f.writeQueue() ? done || r : AGAIN;
      if (r < 0) return done || r;
      done += r;
      if (done >= data.length || r === 0 || f.oneShotWrite()) return done;
    }
  };
  const r = attempt();
  if (r !== AGAIN) return r;
  return sleepOn(k, t, [f.writeQueue()!], attempt, Infinity, -E.EAGAIN, () => {
    // A signal after some bytes went out: the write returns what it wrote.
    if (done > 0) {
      k.wake(t, done);
      return true;
    }
    return false;
  });
}

function doRead(k: Kernel, t: Task, fd: number, addr: number, len: number) {
  const f = readableFile(t, fd);
  // vfs_read hands a zero count to the file too; inotify answers it (EINVAL once an event waits).
  if (len === 0 && !(f instanceof InotifyFile)) return 0;
  const n = Math.min(len, MAX_RW_COUNT);
  checkWritable(t, addr, n);
  return blockingRead(k, t, f, n, (d) => t.proc.as.copyOut(addr, d));
}

function doWrite(k: Kernel, t: Task, fd: number, addr: number, len: number) {
  const f = writableFile(t, fd);
  if (len === 0) return f instanceof FullFile ? -E.ENOSPC : 0; // write_full fails whatever the count
  const data = t.proc.as.copyIn(addr, Math.min(len, MAX_RW_COUNT));
  return blockingWrite(k, t, f, data);
}

export function iovecs(t: Task, addr: number, count: number): { base: number; len: number }[] {
  if (count < 0 || count > IOV_MAX) throw new SysError(E.EINVAL);
  if (count === 0) return [];
  const v = decodeIovecs(t.proc.as.copyIn(addr, count * IOVEC_SIZE), count);
  let total = 0n;
  for (const e of v) {
    total += e.len;
    if (e.len > 0x7fffffffffffffffn || total > 0x7fffffffffffffffn) throw new SysError(E.EINVAL);
  }
  return v.map((e) => ({ base: Number(e.base), len: Number(e.len) }));
}

/** Scatters data over the iovecs (after checking them all). */
function scatter(t: Task, vs: { base: number; len: number }[], d: Uint8Array): void {
  let o = 0;
  for (const v of vs) {
    if (o >= d.length) break;
    const n = Math.min(v.len, d.length - o);
    t.proc.as.copyOut(v.base, d.subarray(o, o + n));
    o += n;
  }
}

function gather(t: Task, vs: { base: number; len: number }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const v of vs) {
    if (v.len === 0) continue;
    const n = Math.min(v.len, MAX_RW_COUNT - total);
    parts.push(t.proc.as.copyIn(v.base, n));
    total += n;
    if (total >= MAX_RW_COUNT) break;
  }
  return concatBytes(...parts);
}

function checkIovs(t: Task, vs: { base: number; len: number }[]): number {
  let total = 0;
  for (const v of vs) {
    const n = Math.min(v.len, MAX_RW_COUNT - total);
    checkWritable(t, v.base, n);
    total += n;
  }
  return total;
}

function posArg(off: number): number {
  if (off < 0) throw new SysError(E.EINVAL);
  return off;
}

function doPread(t: Task, f: OpenFile, len: number, pos: number, sink: (d: Uint8Array) => void): number {
  const r = f.preadTransient(Math.min(len, MAX_RW_COUNT), pos); // sink copies at once
  if (typeof r === 'number') return r;
  sink(r);
  return r.length;
}

export function registerIo(tab: SyscallTable): void {
  tab.def('read', 'fpu', (k, t, a) => doRead(k, t, a.i32(0), a.u(1), a.u(2)));
  tab.def('write', 'fbu', (k, t, a) => doWrite(k, t, a.i32(0), a.u(1), a.u(2)));

  tab.def('readv', 'fpd', (k, t, a) => {
    const f = readableFile(t, a.i32(0));
    const vs = iovecs(t, a.u(1), a.i32(2));
    const total = checkIovs(t, vs);
    if (total === 0) return 0;
    return blockingRead(k, t, f, total, (d) => scatter(t, vs, d));
  });

  tab.def('writev', 'fpd', (k, t, a) => {
    const f = writableFile(t, a.i32(0));
    const data = gather(t, iovecs(t, a.u(1), a.i32(2)));
    if (data.length === 0) return 0;
    return blockingWrite(k, t, f, data);
  });

  tab.def('pread64', 'fpud', (k, t, a) => {
    const f = readableFile(t, a.i32(0));
    const pos = posArg(a.i64(3));
    const len = a.u(2);
    checkWritable(t, a.u(1), Math.min(len, MAX_RW_COUNT));
    return doPread(t, f, len, pos, (d) => t.proc.as.copyOut(a.u(1), d));
  });

  tab.def('pwrite64', 'fbud', (k, t, a) => {
    const f = writableFile(t, a.i32(0));
    const pos = posArg(a.i64(3));
    const len = a.u(2);
    if (f.lseek(0, 1) === -E.ESPIPE) return -E.ESPIPE;
    if (len === 0) return 0;
    return f.pwrite(t.proc.as.copyIn(a.u(1), Math.min(len, MAX_RW_COUNT)), pos);
  });

  const preadv = (k: Kernel, t: Task, fd: number, iov: number, cnt: number, pos: number, flags: number) => {
    if (flags & ~0x1f) return -E.EOPNOTSUPP;
    const f = readableFile(t, fd);
    // RWF_NOWAIT needs FMODE_NOWAIT, which Linux 6.1's tmpfs (and our host and image files) lack.
    if (flags & RWF_NOWAIT && f.loc?.inode.type === 0o100000) return -E.EOPNOTSUPP;
    const vs = iovecs(t, iov, cnt);
    const total = checkIovs(t, vs);
    if (pos === -1) return total === 0 ? 0 : blockingRead(k, t, f, total, (d) => scatter(t, vs, d));
    posArg(pos);
    if (total === 0) return f.lseek(0, 1) === -E.ESPIPE ? -E.ESPIPE : 0;
    return doPread(t, f, total, pos, (d) => scatter(t, vs, d));
  };
  const pwritev = (k: Kernel, t: Task, fd: number, iov: number, cnt: number, pos: number, flags: number) => {
    if (flags & ~0x1f) return -E.EOPNOTSUPP;
    const f = writableFile(t, fd);
    if (flags & RWF_NOWAIT && f.loc?.inode.type === 0o100000) return -E.EOPNOTSUPP;
    const data = gather(t, iovecs(t, iov, cnt));
    if (pos === -1) return data.length === 0 ? 0 : blockingWrite(k, t, f, data);
    posArg(pos);
    if (f.lseek(0, 1) === -E.ESPIPE) return -E.ESPIPE;
    if (data.length === 0) return 0;
    return f.pwrite(data, pos);
  };
  // riscv64 passes the offset in one register (pos_l); pos_h is ignored on 64-bit.
  tab.def('preadv', 'fpdd', (k, t, a) => preadv(k, t, a.i32(0), a.u(1), a.i32(2), posArg(a.i64(3)), 0));
  tab.def('pwritev', 'fpdd', (k, t, a) => pwritev(k, t, a.i32(0), a.u(1), a.i32(2), posArg(a.i64(3)), 0));
  tab.def('preadv2', 'fpddxd', (k, t, a) => preadv(k, t, a.i32(0), a.u(1), a.i32(2), a.i64(3), a.i32(5)));
  tab.def('pwritev2', 'fpddxd', (k, t, a) => pwritev(k, t, a.i32(0), a.u(1), a.i32(2), a.i64(3), a.i32(5)));

  tab.def('lseek', 'fdd', (k, t, a) => ioFileOf(t, a.i32(0)).lseek(a.i64(1), a.i32(2)));

  tab.def('ioctl', 'fxp', (k, t, a) => {
    const f = ioFileOf(t, a.i32(0));
    const cmd = a.i32(1) >>> 0, arg = a.u(2);
    const FIONBIO = 0x5421, FIONREAD = 0x541b, FIOCLEX = 0x5451, FIONCLEX = 0x5450;
    if (cmd === FIONBIO) {
      const v = new DataView(t.proc.as.copyIn(arg, 4).buffer).getInt32(0, true);
      f.flags = v ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK;
      return 0;
    }
    if (cmd === FIOCLEX || cmd === FIONCLEX) {
      t.proc.fds.entry(a.i32(0))!.cloexec = cmd === FIOCLEX;
      return 0;
    }
    if (cmd === FIONREAD) {
      if (f.loc?.inode.isDir()) return -E.ENOTTY;
      const n = f.readable();
      if (n >= 0) {
        const b = new Uint8Array(4);
        new DataView(b.buffer).setInt32(0, Math.min(n, 0x7fffffff), true);
        t.proc.as.copyOut(arg, b);
        return 0;
      }
    }
    const tr = ttyIoctl(k, t, f, cmd, arg);
    if (tr !== null) return tr;
    return f.ioctl(cmd, arg, t.proc.as);
  }, 'partial');

  const sync = (f: OpenFile) => f.fsync();
  tab.def('fsync', 'f', (k, t, a) => sync(ioFileOf(t, a.i32(0))));
  tab.def('fdatasync', 'f', (k, t, a) => sync(ioFileOf(t, a.i32(0))));
  tab.def('sync', '', () => 0);
  tab.def('syncfs', 'f', (k, t, a) => (fileOf(t, a.i32(0)), 0));
  tab.def('sync_file_range', 'fddx', (k, t, a) => {
    const f = ioFileOf(t, a.i32(0));
    if (a.i64(1) < 0 || a.i64(2) < 0 || (a.i32(3) & ~7)) return -E.EINVAL;
    const type = f.loc?.inode.type ?? 0;
    return type === 0o100000 || type === 0o040000 || type === 0o120000 ? 0 : -E.ESPIPE;
  });

  tab.def('ftruncate', 'fd', (k, t, a) => {
    const f = ioFileOf(t, a.i32(0));
    const len = a.i64(1);
    if (len < 0) return -E.EINVAL;
    if (!f.loc || f.loc.inode.isDir() || (f.loc.inode.mode & 0o170000) !== 0o100000 || (f.flags & O_ACCMODE) === O_RDONLY) return f.loc?.inode.isDir() ? -E.EINVAL : -E.EINVAL;
    if (f.flags & O_APPEND && false) return -E.EPERM;
    const ll = llFileTruncate(f); // security_file_truncate
    if (ll < 0) return ll;
    return f.truncate(len);
  });

  tab.def('truncate', 'sd', (k, t, a) => {
    const path = userPath(t, a.u(0));
    const len = a.i64(1);
    const at = resolveAt(k, t, -100, path, 0, true);
    if (len < 0) return -E.EINVAL;
    fsOf(k).vfs.truncatePath(at.ctx, at.loc!, len);
    return 0;
  });

  tab.def('fallocate', 'fddd', (k, t, a) => {
    const f = ioFileOf(t, a.i32(0));
    const mode = a.i32(1), off = a.i64(2), len = a.i64(3);
    if (off < 0 || len <= 0) return -E.EINVAL;
    if ((f.flags & O_ACCMODE) === O_RDONLY) return -E.EBADF;
    const type = f.loc?.inode.type ?? 0;
    if (type === 0o010000) return -E.ESPIPE;
    if (type === 0o040000) return -E.EISDIR;
    if (type !== 0o100000) return -E.ENODEV;
    const r = f.fallocate(mode, off, len);
    if (r === 0 && f.loc) notifyChild(f.loc, IN_MODIFY, true); // vfs_fallocate's fsnotify_modify
    return r;
  });

  // sendfile(out, in, *offset, count) and copy_file_range: through a bounce buffer.
  tab.def('sendfile', 'ffpu', (k, t, a) => {
    const out = writableFile(t, a.i32(0)), inp = readableFile(t, a.i32(1));
    const offp = a.u(2);
    let count = Math.min(a.u(3), MAX_RW_COUNT);
    if (out.flags & O_APPEND) return -E.EINVAL;
    let pos = -1;
    if (offp) {
      pos = Number(new DataView(t.proc.as.copyIn(offp, 8).buffer).getBigInt64(0, true));
      if (pos < 0) return -E.EINVAL;
    }
    if (inp.loc?.inode.isDir()) return -E.EINVAL;
    if (count === 0) return 0;
    let done = 0;
    while (count > 0) {
      const n = Math.min(count, 1 << 20);
      const r = pos >= 0 ? inp.pread(n, pos) : ttyRead(k, inp, n); // a terminal: through n_tty
      if (typeof r === 'number') {
        if (r === -E.ESPIPE && pos >= 0) return -E.ESPIPE;
        if (done) break;
        return r;
      }
      if (r.length === 0) break;
      const w = ttyWrite(k, out, r);
      if (w < 0) {
        if (w === -E.EPIPE) sendToTask(k, t, { signo: SIGPIPE, code: 0, pid: t.proc.pid, uid: k.config.uid });
        if (pos < 0 && inp.lseek(0, 1) >= 0) inp.lseek(-r.length, 1);
        if (done) break;
        return w;
      }
      if (w < r.length && pos < 0 && inp.lseek(0, 1) >= 0) inp.lseek(w - r.length, 1);
      done += w;
      if (pos >= 0) pos += w;
      count -= w;
      if (w < r.length) break;
    }
    if (offp) {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, BigInt(pos), true);
      t.proc.as.copyOut(offp, b);
    }
    return done;
  }, 'partial');

  tab.def('copy_file_range', 'fpfpux', (k, t, a) => {
    const inp = readableFile(t, a.i32(0)), out = writableFile(t, a.i32(2));
    const offIn = a.u(1), offOut = a.u(3), len = Math.min(a.u(4), MAX_RW_COUNT), flags = a.i32(5);
    if (flags !== 0) return -E.EINVAL;
    if (!(inp.loc?.inode instanceof FileInode) || !(out.loc?.inode instanceof FileInode)) {
      return inp.loc?.inode.isDir() || out.loc?.inode.isDir() ? -E.EISDIR : -E.EINVAL;
    }
    if (out.flags & O_APPEND) return -E.EBADF;
    const rd = (p: number) => Number(new DataView(t.proc.as.copyIn(p, 8).buffer).getBigInt64(0, true));
    let pin = offIn ? rd(offIn) : inp.position();
    let pout = offOut ? rd(offOut) : out.position();
    if (pin < 0 || pout < 0) return -E.EINVAL;
    if (inp.loc.inode === out.loc.inode && pin < pout + len && pout < pin + len) return -E.EINVAL;
    if (len === 0) return 0;
    const data = inp.pread(len, pin);
    if (typeof data === 'number') return data;
    const w = data.length ? out.pwrite(data, pout) : 0;
    if (w < 0) return w;
    pin += w;
    pout += w;
    const wr = (p: number, v: number) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, BigInt(v), true);
      t.proc.as.copyOut(p, b);
    };
    if (offIn) wr(offIn, pin); else inp.setPosition(pin);
    if (offOut) wr(offOut, pout); else out.setPosition(pout);
    return w;
  });

  // posix_fadvise and readahead: advice only (the file's pages are all in memory already).
  tab.def('fadvise64', 'fddd', (k, t, a) => {
    const f = ioFileOf(t, a.i32(0));
    const len = a.i64(2), advice = a.i32(3);
    const type = f.loc?.inode.type ?? 0;
    if (type === 0o010000 || f.describe().startsWith('pipe:')) return -E.ESPIPE;
    if (len < 0 || advice < 0 || advice > 5) return -E.EINVAL;
    return 0;
  });
  tab.def('readahead', 'fdu', (k, t, a) => {
    const f = fileOf(t, a.i32(0));
    if ((f.flags & O_ACCMODE) === O_WRONLY || f.flags & O_PATH) return -E.EBADF;
    if ((f.loc?.inode.type ?? 0) !== 0o100000) return -E.EINVAL;
    return 0;
  });

  registerSplice(tab);
  registerFsPath(tab);
  registerFsFd(tab);
  registerPipe(tab);
  registerPoll(tab);
  registerNet(tab);
  registerEpoll(tab);
  void fsContext;
  void O_PATH;
}
