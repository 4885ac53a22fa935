/**
 * Extended attributes (fs/xattr.c, mm/shmem.c's handlers, fs/xattr.c's simple_xattr_*):
 * setxattr/lsetxattr/fsetxattr, getxattr/lgetxattr/fgetxattr, listxattr/llistxattr/flistxattr,
 * removexattr/lremovexattr/fremovexattr.
 *
 * Kept on tmpfs and devtmpfs inodes (memfd included), in the security.*, trusted.* and user.*
 * namespaces, as Linux 6.6+ tmpfs does. The order of the checks is Linux's: flags, name and
 * value are copied in before the lookup; then the read-only mount, xattr_permission (trusted.*
 * needs CAP_SYS_ADMIN; user.* only on regular files and directories, and in a sticky
 * directory only by its owner; then the inode's own permission), the commoncap LSM hook
 * (writing security.* needs CAP_SYS_ADMIN), and the handler lookup (EOPNOTSUPP for a file
 * system without xattrs or an unknown prefix, EINVAL for a bare prefix).
 *
 * Not here: POSIX ACLs (system.posix_acl_*: EOPNOTSUPP), any LSM beyond commoncap. Host
 * mounts carry no attributes (the host's are not read or written): EOPNOTSUPP for get and
 * set and an empty list, as a Linux file system without xattr support answers. On
 * process-per-enclave platforms a tmpfs file another enclave serves (family-files.ts) has
 * none either: EOPNOTSUPP (docs/sgx-fork.md).
 */
import { E, SysError } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import { fsContext } from '../fs/context.ts';
import { MAY_READ, MAY_WRITE, permitted, xattrSpace, S_IFDIR, S_IFREG, type Inode, type Cred } from '../fs/inode.ts';
import { O_PATH, type Location } from '../fs/vfs.ts';
import { nameToBytes } from '../fs/names.ts';
import { IN_ATTRIB, notifyChild } from '../fs/notify.ts';
import { AT_FDCWD, fileOf, resolveAt, userPath } from './fs-common.ts';
import type { SyscallArgs } from './args.ts';

// include/uapi/linux/xattr.h and include/uapi/linux/limits.h
const XATTR_CREATE = 0x1, XATTR_REPLACE = 0x2;
const XATTR_NAME_MAX = 255, XATTR_SIZE_MAX = 65536, XATTR_LIST_MAX = 65536;
const SECURITY = 'security.', SYSTEM = 'system.', TRUSTED = 'trusted.', USER = 'user.';
/** shmem's handlers, in its order (shmem_xattr_handlers). */
const HANDLED = [SECURITY, TRUSTED, USER];
/** BOGO_INODE_SIZE (mm/shmem.c): each inode's share of the space xattrs are charged against. */
const BOGO_INODE_SIZE = 1024;
/** security.capability (cap_convert_nscap's header check: VFS_CAP_REVISION_2/3 sizes). */
const XATTR_NAME_CAPS = 'security.capability', XATTR_CAPS_SZ_2 = 20, XATTR_CAPS_SZ_3 = 24;
const S_ISVTX = 0o1000;

/**
 * The attribute name (import_xattr_name): at most 255 bytes, not empty, else ERANGE; EFAULT
 * for a bad pointer. Kept as a byte string (one char per byte) so lists sort by bytes.
 */
function xattrName(t: Task, addr: number): string {
  let s: string;
  try {
    s = t.proc.as.readCString(addr, XATTR_NAME_MAX + 1);
  } catch (e) {
    if (e instanceof SysError && e.errno === E.ENAMETOOLONG) throw new SysError(E.ERANGE);
    throw e;
  }
  if (s === '') throw new SysError(E.ERANGE);
  return String.fromCharCode(...nameToBytes(s));
}

const isCapable = (cred: Cred) => cred.uid === 0;

/** xattr_permission (fs/xattr.c). */
function xattrPermission(cred: Cred, inode: Inode, name: string, mask: number): void {
  const write = (mask & MAY_WRITE) !== 0;
  if (name.startsWith(SECURITY) || name.startsWith(SYSTEM)) return;
  if (name.startsWith(TRUSTED)) {
    if (!isCapable(cred)) throw new SysError(write ? E.EPERM : E.ENODATA);
    return;
  }
  if (name.startsWith(USER)) {
    if (inode.type !== S_IFREG && inode.type !== S_IFDIR) throw new SysError(write ? E.EPERM : E.ENODATA);
    if (inode.type === S_IFDIR && inode.mode & S_ISVTX && write && cred.uid !== inode.uid && !isCapable(cred)) {
      throw new SysError(E.EPERM);
    }
  }
  if (!permitted(inode, cred, mask)) throw new SysError(E.EACCES);
}

/** xattr_resolve_name: which of shmem's handlers takes the name. */
function resolveHandler(inode: Inode, name: string): void {
  if (!inode.sb.xattrs) throw new SysError(E.EOPNOTSUPP);
  for (const prefix of HANDLED) {
    if (name.startsWith(prefix)) {
      if (name.length === prefix.length) throw new SysError(E.EINVAL);
      return;
    }
  }
  throw new SysError(E.EOPNOTSUPP);
}

/** What an xattr call works on: a path (followed or not) or a descriptor (not O_PATH). */
interface Target {
  loc: Location;
  cred: Cred;
}

function pathTarget(k: Kernel, t: Task, pathAddr: number, follow: boolean): Target {
  const at = resolveAt(k, t, AT_FDCWD, userPath(t, pathAddr), 0, follow);
  return { loc: at.loc!, cred: at.ctx.cred };
}

/** A descriptor's file (fdget: O_PATH descriptors are EBADF); null: a file with no inode here. */
function fdTarget(k: Kernel, t: Task, fd: number): Target | null {
  const f = fileOf(t, fd);
  if (f.flags & O_PATH) throw new SysError(E.EBADF);
  return f.loc ? { loc: f.loc, cred: fsContext(k, t).cred } : null;
}

/** __vfs_setxattr_locked / __vfs_removexattr_locked, then shmem_xattr_handler_set. value null: remove. */
function setOn(tg: Target | null, name: string, value: Uint8Array | null, flags: number): number {
  if (!tg) return -E.EOPNOTSUPP;
  const { loc, cred } = tg;
  const inode = loc.inode;
  if (loc.mnt.readonly) return -E.EROFS;
  xattrPermission(cred, inode, name, MAY_WRITE);
  // cap_inode_setxattr / cap_inode_removexattr: security.* needs CAP_SYS_ADMIN; for
  // security.capability, setting needs CAP_SETFCAP and a well-formed header.
  if (name.startsWith(SECURITY)) {
    if (name === XATTR_NAME_CAPS && value) {
      if (!isCapable(cred)) return -E.EPERM;
      if (value.length !== XATTR_CAPS_SZ_2 && value.length !== XATTR_CAPS_SZ_3) return -E.EINVAL;
    } else if (!isCapable(cred)) {
      return -E.EPERM;
    }
  }
  if (name === 'system.posix_acl_access' || name === 'system.posix_acl_default') return -E.EOPNOTSUPP;
  resolveHandler(inode, name);
  const old = inode.xattrs?.get(name);
  if (old && flags & XATTR_CREATE) return -E.EEXIST;
  if (!old && (flags & XATTR_REPLACE || !value)) return -E.ENODATA;
  const sb = inode.sb;
  if (value) {
    // The new attribute's space is taken before the old one's is returned (shmem_xattr_handler_set).
    // Linux's ispace is also shared with the inodes themselves; here inodes are not charged
    // (the super block does not count freed ones), so only attributes use it.
    const space = xattrSpace(name, value.length);
    const free = sb.maxInodes * BOGO_INODE_SIZE - sb.xattrSpace;
    if (free < space) return -E.ENOSPC;
    sb.xattrSpace += space;
    (inode.xattrs ??= new Map()).set(name, value);
  } else {
    inode.xattrs!.delete(name);
  }
  if (old) sb.xattrSpace -= xattrSpace(name, old.length);
  inode.touch(false, true);
  notifyChild(loc, IN_ATTRIB); // fsnotify_xattr
  return 0;
}

/** vfs_getxattr, then simple_xattr_get; size 0 asks for the length only. */
function getFrom(t: Task, tg: Target | null, name: string, valueAddr: number, size: number): number {
  if (!tg) return -E.EOPNOTSUPP;
  const inode = tg.loc.inode;
  xattrPermission(tg.cred, inode, name, MAY_READ);
  if (size > XATTR_SIZE_MAX) size = XATTR_SIZE_MAX;
  if (name === 'system.posix_acl_access' || name === 'system.posix_acl_default') return -E.EOPNOTSUPP;
  resolveHandler(inode, name);
  const v = inode.xattrs?.get(name);
  if (!v) return -E.ENODATA;
  if (size === 0) return v.length;
  if (size < v.length) return -E.ERANGE;
  t.proc.as.copyOut(valueAddr, v);
  return v.length;
}

/** vfs_listxattr, then simple_xattr_list: names in descending byte order (shmem's rbtree walk), trusted.* only for CAP_SYS_ADMIN. */
function listOf(t: Task, tg: Target | null, listAddr: number, size: number): number {
  // A file system without xattrs has no listxattr: security_inode_listsecurity lists nothing.
  if (!tg || !tg.loc.inode.sb.xattrs) return 0;
  const names = [...(tg.loc.inode.xattrs?.keys() ?? [])]
    .filter((n) => isCapable(tg.cred) || !n.startsWith(TRUSTED))
    .sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  const total = names.reduce((s, n) => s + n.length + 1, 0);
  if (size === 0) return total;
  if (size > XATTR_LIST_MAX) size = XATTR_LIST_MAX;
  if (total > size) return size >= XATTR_LIST_MAX ? -E.E2BIG : -E.ERANGE;
  const out = new Uint8Array(total);
  let o = 0;
  for (const n of names) {
    for (let i = 0; i < n.length; i++) out[o++] = n.charCodeAt(i);
    out[o++] = 0;
  }
  t.proc.as.copyOut(listAddr, out);
  return total;
}

/** setxattr_copy: flags, name, then the value (EFAULT before any lookup). */
function setArgs(t: Task, nameAddr: number, valueAddr: number, size: number, flags: number): { name: string; value: Uint8Array } {
  if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) throw new SysError(E.EINVAL);
  const name = xattrName(t, nameAddr);
  if (size > XATTR_SIZE_MAX) throw new SysError(E.E2BIG);
  // size 0 stores an empty value ("empty EA, do not remove"), whatever the pointer.
  const value = size ? t.proc.as.copyIn(valueAddr, size).slice() : new Uint8Array(0);
  return { name, value };
}

export function registerXattr(tab: SyscallTable): void {
  const set = (follow: boolean) => (k: Kernel, t: Task, a: SyscallArgs) => {
    const { name, value } = setArgs(t, a.u(1), a.u(2), a.u(3), a.i32(4));
    return setOn(pathTarget(k, t, a.u(0), follow), name, value, a.i32(4));
  };
  tab.def('setxattr', 'sspux', set(true));
  tab.def('lsetxattr', 'sspux', set(false));
  tab.def('fsetxattr', 'fspux', (k, t, a) => {
    const { name, value } = setArgs(t, a.u(1), a.u(2), a.u(3), a.i32(4));
    return setOn(fdTarget(k, t, a.i32(0)), name, value, a.i32(4));
  });

  const get = (follow: boolean) => (k: Kernel, t: Task, a: SyscallArgs) => {
    const name = xattrName(t, a.u(1));
    return getFrom(t, pathTarget(k, t, a.u(0), follow), name, a.u(2), a.u(3));
  };
  tab.def('getxattr', 'sspu', get(true));
  tab.def('lgetxattr', 'sspu', get(false));
  tab.def('fgetxattr', 'fspu', (k, t, a) => {
    const name = xattrName(t, a.u(1));
    return getFrom(t, fdTarget(k, t, a.i32(0)), name, a.u(2), a.u(3));
  });

  tab.def('listxattr', 'spu', (k, t, a) => listOf(t, pathTarget(k, t, a.u(0), true), a.u(1), a.u(2)));
  tab.def('llistxattr', 'spu', (k, t, a) => listOf(t, pathTarget(k, t, a.u(0), false), a.u(1), a.u(2)));
  tab.def('flistxattr', 'fpu', (k, t, a) => listOf(t, fdTarget(k, t, a.i32(0)), a.u(1), a.u(2)));

  const remove = (follow: boolean) => (k: Kernel, t: Task, a: SyscallArgs) => {
    const name = xattrName(t, a.u(1));
    return setOn(pathTarget(k, t, a.u(0), follow), name, null, XATTR_REPLACE);
  };
  tab.def('removexattr', 'ss', remove(true));
  tab.def('lremovexattr', 'ss', remove(false));
  tab.def('fremovexattr', 'fs', (k, t, a) => {
    const name = xattrName(t, a.u(1));
    return setOn(fdTarget(k, t, a.i32(0)), name, null, XATTR_REPLACE);
  });
}
