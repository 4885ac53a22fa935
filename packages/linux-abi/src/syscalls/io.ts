/** File I/O syscalls: read/write and their vector forms, close, lseek, fstat, ioctl, readlinkat. */
import { E, SysError } from '../errors.ts';
import { AT_EMPTY_PATH, AT_FDCWD, O_CREAT } from '../abi/constants.ts';
import { decodeIovecs, encodeStat, IOVEC_SIZE } from '../abi/structs.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';

const IOV_MAX = 1024;
/** Linux caps a single read/write at MAX_RW_COUNT = INT_MAX & PAGE_MASK. */
const MAX_RW_COUNT = 0x7ffff000;

function fileOf(t: Task, fd: number) {
  const f = t.proc.fds.get(fd);
  if (!f) throw new SysError(E.EBADF);
  return f;
}

function doRead(k: Kernel, t: Task, fd: number, addr: number, len: number): number {
  const f = fileOf(t, fd);
  if ((f.flags & 3) === 1) return -E.EBADF; // O_WRONLY
  if (len === 0) return 0;
  const r = f.read(Math.min(len, MAX_RW_COUNT));
  if (typeof r === 'number') return r;
  t.proc.as.copyOut(addr, r);
  return r.length;
}

function doWrite(k: Kernel, t: Task, fd: number, addr: number, len: number): number {
  const f = fileOf(t, fd);
  if ((f.flags & 3) === 0) return -E.EBADF; // O_RDONLY
  if (len === 0) return 0;
  const data = t.proc.as.copyIn(addr, Math.min(len, MAX_RW_COUNT));
  return f.write(data);
}

function iovecs(t: Task, addr: number, count: number) {
  if (count < 0 || count > IOV_MAX) throw new SysError(E.EINVAL);
  const v = decodeIovecs(t.proc.as.copyIn(addr, count * IOVEC_SIZE), count);
  let total = 0n;
  for (const e of v) {
    total += e.len;
    if (e.len > 0x7fffffffffffffffn || total > 0x7fffffffffffffffn) throw new SysError(E.EINVAL);
  }
  return v.map((e) => ({ base: Number(e.base), len: Number(e.len) }));
}

export function registerIo(tab: SyscallTable): void {
  tab.def('read', 'fpu', (k, t, a) => doRead(k, t, a.i32(0), a.u(1), a.u(2)));
  tab.def('write', 'fbu', (k, t, a) => doWrite(k, t, a.i32(0), a.u(1), a.u(2)));

  tab.def('readv', 'fpd', (k, t, a) => {
    let done = 0;
    for (const v of iovecs(t, a.u(1), a.i32(2))) {
      if (v.len === 0) continue;
      const r = doRead(k, t, a.i32(0), v.base, v.len);
      if (r < 0) return done > 0 ? done : r;
      done += r;
      if (r < v.len) break;
    }
    return done;
  });

  tab.def('writev', 'fpd', (k, t, a) => {
    // Gather first so one writev is one write on the file (atomic for pipes and the terminal).
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const v of iovecs(t, a.u(1), a.i32(2))) {
      if (v.len === 0) continue;
      const n = Math.min(v.len, MAX_RW_COUNT - total);
      parts.push(t.proc.as.copyIn(v.base, n));
      total += n;
      if (total >= MAX_RW_COUNT) break;
    }
    const f = fileOf(t, a.i32(0));
    if ((f.flags & 3) === 0) return -E.EBADF;
    if (total === 0) return 0;
    const buf = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      buf.set(p, o);
      o += p.length;
    }
    return f.write(buf);
  });

  tab.def('close', 'f', (k, t, a) => t.proc.fds.close(a.i32(0)));

  tab.def('lseek', 'fdd', (k, t, a) => fileOf(t, a.i32(0)).lseek(a.i64(1), a.i32(2)));

  tab.def('fstat', 'fp', (k, t, a) => {
    const st = fileOf(t, a.i32(0)).stat();
    if (typeof st === 'number') return st;
    t.proc.as.copyOut(a.u(1), encodeStat(st));
    return 0;
  });

  tab.def('newfstatat', 'fspx', (k, t, a) => {
    const dirfd = a.i32(0);
    const path = t.proc.as.readCString(a.u(1), 4096);
    const flags = a.i32(3);
    if (path === '' && flags & AT_EMPTY_PATH) {
      const st = fileOf(t, dirfd).stat();
      if (typeof st === 'number') return st;
      t.proc.as.copyOut(a.u(2), encodeStat(st));
      return 0;
    }
    if (path === '') return -E.ENOENT;
    if (dirfd !== AT_FDCWD && !path.startsWith('/')) fileOf(t, dirfd);
    // No file systems yet (the VFS issue brings them): every path is absent.
    return -E.ENOENT;
  }, 'partial');

  tab.def('ioctl', 'fxp', (k, t, a) => fileOf(t, a.i32(0)).ioctl(a.i32(1) >>> 0, a.u(2), t.proc.as));

  tab.def('openat', 'dsxx', (k, t, a) => {
    const path = t.proc.as.readCString(a.u(1), 4096);
    const flags = a.i32(2);
    if (path === '') return -E.ENOENT;
    if (a.i32(0) !== AT_FDCWD && !path.startsWith('/')) fileOf(t, a.i32(0));
    // No file systems are mounted yet (the VFS issue brings the root image, tmpfs, /dev and
    // /proc): nothing can be found, and nothing can be created.
    return flags & O_CREAT ? -E.EROFS : -E.ENOENT;
  }, 'partial');

  tab.def('getcwd', 'pu', (k, t, a) => {
    const cwd = new TextEncoder().encode(t.proc.cwd + '\0');
    if (a.u(1) < cwd.length) return -E.ERANGE;
    t.proc.as.copyOut(a.u(0), cwd);
    return cwd.length;
  });

  tab.def('readlinkat', 'fspu', (k, t, a) => {
    const path = t.proc.as.readCString(a.u(1), 4096);
    const size = a.i32(3);
    if (size <= 0) return -E.EINVAL;
    if (path === '/proc/self/exe' || path === `/proc/${t.proc.pid}/exe`) {
      const target = new TextEncoder().encode(t.proc.exePath);
      const n = Math.min(target.length, size); // readlink does not NUL-terminate
      t.proc.as.copyOut(a.u(2), target.subarray(0, n));
      return n;
    }
    return -E.ENOENT;
  }, 'partial');
}
