/**
 * The kernel's file-system state and the per-call view of it: the namespace (built on first
 * use, one per kernel) and a task's FsContext (credentials, root, cwd, umask).
 */
import type { Kernel } from '../kernel.ts';
import type { Process, Task } from '../task.ts';
import { buildRootFs, type FsNamespace } from './rootfs.ts';
import { MNT_NOEXEC, type FsContext, type Location } from './vfs.ts';
import { E, SysError } from '../errors.ts';
import { FileInode, MAY_EXEC, permitted, S_IFLNK, S_IFREG } from './inode.ts';
import { ImageFile } from './imagefs.ts';
import type { Executable } from '../exec.ts';
import { LL_FS_EXECUTE, LL_FS_READ_FILE, llMissing, llOpen, type LandlockDomain } from './landlock.ts';

const namespaces = new WeakMap<Kernel, FsNamespace>();

/** The kernel's file system namespace (the tree of mounts and the internal mounts). */
export function fsOf(k: Kernel): FsNamespace {
  let ns = namespaces.get(k);
  if (!ns) {
    ns = buildRootFs(k, { uid: k.config.uid, gid: k.config.gid, hostname: k.config.hostname });
    namespaces.set(k, ns);
  }
  return ns;
}

/** A process's root directory (init starts at the namespace root). */
export function rootOf(k: Kernel, p: Process): Location {
  if (!p.root) p.root = fsOf(k).vfs.rootLocation();
  return p.root;
}

export function cwdOf(k: Kernel, p: Process): Location {
  if (!p.cwd) p.cwd = rootOf(k, p);
  return p.cwd;
}

export function fsContext(k: Kernel, t: Task): FsContext {
  const p = t.proc;
  return { cred: { uid: k.config.uid, gid: k.config.gid, pid: p.pid }, root: rootOf(k, p), cwd: cwdOf(k, p), umask: p.umask, landlock: t.landlock };
}

/**
 * execve's file lookup (kernel.execLookup): resolves `path` in the process's namespace, checks
 * it may be executed (a regular file with search and execute permission, not on a noexec
 * mount) and reads it whole: tmpfs files, or root image files (each block verified: EIO).
 */
export function execLookupFor(k: Kernel): (proc: Process, path: string, dom: LandlockDomain | null) => Executable | number {
  return (proc, path, dom) => execLookupAt(k, proc, null, path, true, dom);
}

/**
 * execveat's lookup: `path` from the directory `start` (null: the cwd), not following a final
 * symlink unless `follow` (ELOOP then, as O_NOFOLLOW); with path '' the file at `start` itself.
 */
export function execLookupAt(k: Kernel, proc: Process, start: Location | null, path: string, follow: boolean, dom: LandlockDomain | null = null): Executable | number {
  try {
    const ns = fsOf(k);
    const ctx: FsContext = { cred: { uid: k.config.uid, gid: k.config.gid, pid: proc.pid }, root: rootOf(k, proc), cwd: cwdOf(k, proc), umask: proc.umask };
    const loc = path === '' && start ? start : ns.vfs.resolve(ctx, start ?? ctx.cwd, path, follow);
    const i = loc.inode;
    if (i.type === S_IFLNK) return -E.ELOOP;
    if (i.isDir() || i.type !== S_IFREG) return -E.EACCES;
    if (!permitted(i, ctx.cred, MAY_EXEC) || (loc.mnt.flags & MNT_NOEXEC)) return -E.EACCES;
    // do_open_execat's open (FMODE_READ, __FMODE_EXEC): Landlock's READ_FILE and EXECUTE.
    if (dom) llOpen(dom, loc, 0, true, false);
    let bytes: Uint8Array;
    if (i instanceof FileInode) bytes = i.readAt(0, i.size());
    else if (i instanceof ImageFile) bytes = i.readContents(0, i.size());
    else return -E.EACCES;
    return { bytes, exePath: ns.vfs.pathOf(loc, ctx.root).path, ...(i instanceof ImageFile ? { source: `root:${i.ino}` } : {}) };
  } catch (e) {
    if (e instanceof SysError) return -e.errno;
    throw e;
  }
}

/** The application image under a Landlock domain: a file directly under the root (kernel.llRootCheck). */
export function llRootCheckFor(k: Kernel): (proc: Process, dom: LandlockDomain) => boolean {
  return (proc, dom) => {
    const root = fsOf(k).vfs.rootLocation();
    return (llMissing(dom, root, LL_FS_READ_FILE | LL_FS_EXECUTE)) === 0;
  };
}
