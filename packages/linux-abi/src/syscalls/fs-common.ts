/** Helpers shared by the file syscalls: fd lookup, *at start directories, user paths, buffer checks. */
import { E, SysError } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import type { OpenFile } from '../fs/file.ts';
import { fsContext, fsOf } from '../fs/context.ts';
import { PATH_MAX } from '../fs/inode.ts';
import type { FsContext, Location, ResolveOpts } from '../fs/vfs.ts';
import { O_PATH } from '../fs/vfs.ts';

export const AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_SYMLINK_FOLLOW = 0x400;
export const AT_NO_AUTOMOUNT = 0x800, AT_EMPTY_PATH = 0x1000, AT_EACCESS = 0x200, AT_STATX_SYNC_TYPE = 0x6000;

export function fileOf(t: Task, fd: number): OpenFile {
  const f = t.proc.fds.get(fd);
  if (!f) throw new SysError(E.EBADF);
  return f;
}

/** A descriptor that must allow I/O (not O_PATH). */
export function ioFileOf(t: Task, fd: number): OpenFile {
  const f = fileOf(t, fd);
  if (f.flags & O_PATH) throw new SysError(E.EBADF);
  return f;
}

/** A path argument: EFAULT for a bad pointer, ENAMETOOLONG past PATH_MAX. */
export function userPath(t: Task, addr: number): string {
  return t.proc.as.readCString(addr, PATH_MAX);
}

/** Where a relative path starts: the cwd or the directory open at dirfd. */
export function startDir(ctx: FsContext, t: Task, dirfd: number, path: string): Location {
  if (path.startsWith('/')) return ctx.root;
  if (dirfd === AT_FDCWD) return ctx.cwd;
  const f = fileOf(t, dirfd);
  if (!f.loc) throw new SysError(E.ENOTDIR);
  if (path !== '' && !f.loc.inode.isDir()) throw new SysError(E.ENOTDIR);
  return f.loc;
}

export interface At {
  ctx: FsContext;
  /** The resolved location, or the file itself when AT_EMPTY_PATH named an fd with no location. */
  loc: Location | null;
  file: OpenFile | null;
}

/** Resolves (dirfd, path, flags) as the *at syscalls do. */
export function resolveAt(k: Kernel, t: Task, dirfd: number, path: string, flags: number, follow: boolean, o?: ResolveOpts): At {
  const ctx = fsContext(k, t);
  if (path === '') {
    if (!(flags & AT_EMPTY_PATH)) throw new SysError(E.ENOENT);
    if (dirfd === AT_FDCWD) return { ctx, loc: ctx.cwd, file: null };
    const f = fileOf(t, dirfd);
    return { ctx, loc: f.loc, file: f };
  }
  const start = startDir(ctx, t, dirfd, path);
  return { ctx, loc: fsOf(k).vfs.resolve(ctx, start, path, follow, o), file: null };
}

/** EFAULT unless [addr, addr+len) is mapped writable (checked before consuming input). */
export function checkWritable(t: Task, addr: number, len: number): void {
  if (len <= 0) return;
  const as = t.proc.as;
  let a = addr;
  const end = addr + len;
  while (a < end) {
    const v = as.find(a);
    if (!v || !(v.prot & 2)) throw new SysError(E.EFAULT);
    a = v.end;
  }
}
