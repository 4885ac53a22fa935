/**
 * inotify_init1, inotify_add_watch, inotify_rm_watch (fs/notify/inotify/inotify_user.c). The
 * instance and the VFS hooks that feed it are in fs/notify.ts; read, poll/select/epoll,
 * FIONREAD and O_NONBLOCK go through the ordinary file paths.
 */
import { E, SysError } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import { fsOf } from '../fs/context.ts';
import { MAY_READ, permitted } from '../fs/inode.ts';
import { AnonInode } from '../fs/pipe.ts';
import { O_CLOEXEC, O_NONBLOCK, O_PATH, O_RDONLY } from '../fs/vfs.ts';
import {
  ALL_INOTIFY_BITS, IN_DONT_FOLLOW, IN_MASK_ADD, IN_MASK_CREATE, IN_ONLYDIR, InotifyFile, instances, MAX_USER_INSTANCES,
} from '../fs/notify.ts';
import { AT_FDCWD, fileOf, resolveAt, userPath } from './fs-common.ts';
import type { Task } from '../task.ts';

/** The inotify instance open at fd: EBADF for none (or O_PATH), EINVAL for another kind of file. */
function groupOf(t: Task, fd: number): InotifyFile {
  const f = fileOf(t, fd);
  if (f.flags & O_PATH) throw new SysError(E.EBADF);
  if (!(f instanceof InotifyFile)) throw new SysError(E.EINVAL);
  return f;
}

export function registerInotify(tab: SyscallTable): void {
  tab.def('inotify_init1', 'x', (k, t, a) => {
    const flags = a.i32(0);
    // IN_CLOEXEC and IN_NONBLOCK are O_CLOEXEC and O_NONBLOCK (include/uapi/linux/inotify.h).
    if (flags & ~(O_CLOEXEC | O_NONBLOCK)) return -E.EINVAL;
    if (instances.count >= MAX_USER_INSTANCES) return -E.EMFILE;
    const mnt = fsOf(k).anonMount;
    const f = new InotifyFile(O_RDONLY | (flags & O_NONBLOCK));
    f.loc = { mnt, inode: new AnonInode(mnt.sb) };
    instances.count++;
    const fd = t.proc.fds.install(f, (flags & O_CLOEXEC) !== 0);
    if (fd < 0) f.close();
    return fd;
  });

  tab.def('inotify_add_watch', 'fsx', (k, t, a) => {
    const mask = a.i32(2) >>> 0; // a u32 arrives sign-extended (the riscv64 calling convention)
    if (!(mask & ALL_INOTIFY_BITS)) return -E.EINVAL;
    if (mask & IN_MASK_ADD && mask & IN_MASK_CREATE) return -E.EINVAL;
    const group = groupOf(t, a.i32(0));
    const at = resolveAt(k, t, AT_FDCWD, userPath(t, a.u(1)), 0, !(mask & IN_DONT_FOLLOW));
    const inode = at.loc!.inode;
    if (mask & IN_ONLYDIR && !inode.isDir()) return -E.ENOTDIR;
    // inotify_find_inode: watching needs read permission on the inode.
    if (!permitted(inode, at.ctx.cred, MAY_READ)) return -E.EACCES;
    return group.addWatch(inode, mask);
  });

  tab.def('inotify_rm_watch', 'fd', (k, t, a) => {
    const group = groupOf(t, a.i32(0));
    const w = group.watches.get(a.i32(1));
    if (!w) return -E.EINVAL;
    group.removeWatch(w);
    return 0;
  });
}
