/**
 * The VFS: mounts, path resolution and the namespace operations every file system shares
 * (fs/namei.c, fs/namespace.c, reduced). A Location is (mount, inode), plus, for
 * non-directories, the directory and name it was reached by (what a dentry would say), so
 * /proc/PID/fd can name open files. Directories know their parent, so getcwd works after
 * renames and reports removal.
 *
 * Every operation takes an FsContext: the caller's credentials, root, cwd and umask.
 * Errors are thrown as SysError with Linux's errno, in Linux's order where it is visible.
 */
import { E, SysError } from '../errors.ts';
import {
  DirInode, FileInode, SpecialInode, SymlinkInode, type Inode, type Cred, type SuperBlock,
  MAY_EXEC, MAY_READ, MAY_WRITE, NAME_MAX, PATH_MAX, MAXSYMLINKS, permitted,
  S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK,
} from './inode.ts';
import type { OpenFile } from './file.ts';
import { LL_FS_MAKE_DIR, LL_FS_MAKE_REG, LL_FS_MAKE_SYM, LL_FS_REMOVE_DIR, LL_FS_REMOVE_FILE, LL_FS_TRUNCATE, llCheck, llMakeAccess, llOpen, llRefer, llSetFileAccess, type LandlockDomain } from './landlock.ts';
import { nameByteLength } from './names.ts';
import {
  IN_ACCESS, IN_ATTRIB, IN_CREATE, IN_DELETE, IN_MODIFY, IN_OPEN, inodeGone, notifyChild, notifyInode, notifyMove, notifyName,
} from './notify.ts';

export interface Location {
  mnt: Mount;
  inode: Inode;
  /** For non-directories: the directory and name this was reached by. */
  parent?: Location;
  name?: string;
}

export interface FsContext {
  cred: Cred;
  root: Location;
  cwd: Location;
  umask: number;
  /** The calling thread's Landlock domain (fs/landlock.ts); null or absent: unrestricted. */
  landlock?: LandlockDomain | null;
}

// include/uapi/linux/mount.h MS_* flags as /proc/mounts shows them.
export const MNT_RDONLY = 1, MNT_NOSUID = 2, MNT_NODEV = 4, MNT_NOEXEC = 8;

let nextMountId = 20;

export class Mount {
  readonly id = nextMountId++;
  /** Mounts on inodes of this mount. */
  readonly children = new Map<Inode, Mount>();
  constructor(
    readonly sb: SuperBlock,
    readonly root: Inode,
    readonly parent: Mount | null,
    readonly mountpoint: Inode | null,
    public flags: number,
    /** What /proc/mounts shows as the source ("tmpfs", "proc", later the root image). */
    readonly source: string,
    readonly options = '',
  ) {}
  get readonly(): boolean {
    return (this.flags & MNT_RDONLY) !== 0;
  }
}

// openat2's RESOLVE_* (include/uapi/linux/openat2.h)
export const RESOLVE_NO_XDEV = 0x01, RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08, RESOLVE_IN_ROOT = 0x10, RESOLVE_CACHED = 0x20;

/** How one lookup resolves (openat2's RESOLVE_* and the *at flags). */
export interface ResolveOpts {
  resolve?: number;
}

interface WalkState {
  links: number;
  root: Location;
  beneath: boolean;
  noSymlinks: boolean;
  noMagic: boolean;
  noXdev: boolean;
}

export type LastType = 'norm' | 'dot' | 'dotdot' | 'root';

export interface ParentLookup {
  dir: Location;
  last: string;
  lastType: LastType;
  trailing: boolean;
}

// asm-generic/fcntl.h
export const O_ACCMODE = 3, O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2;
export const O_CREAT = 0o100, O_EXCL = 0o200, O_NOCTTY = 0o400, O_TRUNC = 0o1000, O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000, O_DSYNC = 0o10000, O_DIRECT = 0o40000, O_LARGEFILE = 0o100000;
export const O_DIRECTORY = 0o200000, O_NOFOLLOW = 0o400000, O_NOATIME = 0o1000000, O_CLOEXEC = 0o2000000;
export const O_SYNC = 0o4010000, O_PATH = 0o10000000, O_TMPFILE = 0o20000000 | O_DIRECTORY;

const S_ISVTX = 0o1000, S_ISGID = 0o2000, S_ISUID = 0o4000;

export function sameLoc(a: Location, b: Location): boolean {
  return a.mnt === b.mnt && a.inode === b.inode;
}

function byteLength(s: string): number {
  return nameByteLength(s);
}

export class Vfs {
  /** The root mount ("/" of init's namespace). */
  rootMount!: Mount;
  /** Every mount in the tree, in mount order (/proc/mounts). */
  readonly mounts: Mount[] = [];

  constructor(readonly clockSb: () => SuperBlock | null = () => null) {}

  setRoot(sb: SuperBlock, root: Inode, source: string, flags = 0, options = ''): Mount {
    const m = new Mount(sb, root, null, null, flags, source, options);
    this.rootMount = m;
    this.mounts.unshift(m);
    return m;
  }

  /** Mounts a file system on the directory `at` (an existing directory). */
  mount(at: Location, sb: SuperBlock, root: Inode, source: string, flags = 0, options = ''): Mount {
    if (!at.inode.isDir()) throw new SysError(E.ENOTDIR);
    const m = new Mount(sb, root, at.mnt, at.inode, flags, source, options);
    at.mnt.children.set(at.inode, m);
    this.mounts.push(m);
    return m;
  }

  /** A mount outside the tree (pipefs, anon inodes, memfd's internal tmpfs). */
  internalMount(sb: SuperBlock, root: Inode, source: string): Mount {
    return new Mount(sb, root, null, null, 0, source);
  }

  rootLocation(): Location {
    return { mnt: this.rootMount, inode: this.rootMount.root };
  }

  /** The path of a mount's root as seen from `root`. */
  mountPath(m: Mount, root: Location): string {
    return this.pathOf({ mnt: m, inode: m.root }, root).path;
  }

  // ---------------------------------------------------------------------------------
  // resolution

  private state(ctx: FsContext, start: Location, o?: ResolveOpts): WalkState {
    const r = o?.resolve ?? 0;
    const scoped = (r & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) !== 0;
    return {
      links: 0, root: scoped ? start : ctx.root, beneath: (r & RESOLVE_BENEATH) !== 0,
      noSymlinks: (r & RESOLVE_NO_SYMLINKS) !== 0, noMagic: (r & RESOLVE_NO_MAGICLINKS) !== 0, noXdev: (r & RESOLVE_NO_XDEV) !== 0,
    };
  }

  private checkPath(path: string): void {
    if (path === '') throw new SysError(E.ENOENT);
    if (byteLength(path) >= PATH_MAX) throw new SysError(E.ENAMETOOLONG);
  }

  /** Resolves `path` from `start` (the dirfd or the cwd). */
  resolve(ctx: FsContext, start: Location, path: string, follow: boolean, o?: ResolveOpts): Location {
    this.checkPath(path);
    return this.walk(ctx, this.state(ctx, start, o), start, path, follow);
  }

  /** Resolves all but the last component; the last is returned as text. */
  resolveParent(ctx: FsContext, start: Location, path: string, o?: ResolveOpts): ParentLookup {
    this.checkPath(path);
    return this.walkParent(ctx, this.state(ctx, start, o), start, path);
  }

  private walkParent(ctx: FsContext, st: WalkState, start: Location, path: string): ParentLookup {
    const comps = path.split('/').filter((c) => c !== '');
    const trailing = path.endsWith('/');
    let cur = path.startsWith('/') ? this.jumpRoot(st) : start;
    if (comps.length === 0) return { dir: cur, last: '/', lastType: 'root', trailing };
    for (let i = 0; i < comps.length - 1; i++) cur = this.step(ctx, st, cur, comps[i], true);
    if (!cur.inode.isDir()) throw new SysError(E.ENOTDIR);
    const last = comps[comps.length - 1];
    if (byteLength(last) > NAME_MAX) throw new SysError(E.ENAMETOOLONG);
    return { dir: cur, last, lastType: last === '.' ? 'dot' : last === '..' ? 'dotdot' : 'norm', trailing };
  }

  private walk(ctx: FsContext, st: WalkState, start: Location, path: string, followLast: boolean): Location {
    const comps = path.split('/').filter((c) => c !== '');
    const trailing = path.endsWith('/') && comps.length > 0;
    let cur = path.startsWith('/') ? this.jumpRoot(st) : start;
    for (let i = 0; i < comps.length; i++) {
      const last = i === comps.length - 1;
      cur = this.step(ctx, st, cur, comps[i], !last || followLast || trailing);
    }
    if (trailing && !cur.inode.isDir()) throw new SysError(E.ENOTDIR);
    return cur;
  }

  private jumpRoot(st: WalkState): Location {
    if (st.beneath) throw new SysError(E.EXDEV);
    return st.root;
  }

  private step(ctx: FsContext, st: WalkState, cur: Location, name: string, follow: boolean): Location {
    if (!cur.inode.isDir()) throw new SysError(E.ENOTDIR);
    if (!permitted(cur.inode, ctx.cred, MAY_EXEC)) throw new SysError(E.EACCES);
    if (name === '.') return cur;
    if (name === '..') return this.dotdot(st, cur);
    if (byteLength(name) > NAME_MAX) throw new SysError(E.ENAMETOOLONG);
    const child = cur.inode.lookup(name, ctx.cred);
    if (!child) throw new SysError(E.ENOENT);
    let loc: Location = { mnt: cur.mnt, inode: child, parent: cur, name };
    loc = this.crossMounts(st, loc);
    if (follow && loc.inode.isSymlink()) loc = this.followLink(ctx, st, loc, cur);
    return loc;
  }

  private followLink(ctx: FsContext, st: WalkState, link: Location, dir: Location): Location {
    if (st.noSymlinks) throw new SysError(E.ELOOP);
    if (++st.links > MAXSYMLINKS) throw new SysError(E.ELOOP);
    if (st.noMagic && link.inode.magic) throw new SysError(E.ELOOP);
    const magic = link.inode.followMagic(ctx.cred);
    if (magic) {
      if (st.noMagic || st.beneath || !sameLoc(st.root, ctx.root)) throw new SysError(st.noMagic ? E.ELOOP : E.EXDEV);
      return magic;
    }
    const target = link.inode.readlink(ctx.cred);
    if (target === '') throw new SysError(E.ENOENT);
    link.inode.atime = link.inode.sb.clock();
    return this.walk(ctx, st, dir, target, true);
  }

  private crossMounts(st: WalkState, loc: Location): Location {
    for (;;) {
      const m = loc.mnt.children.get(loc.inode);
      if (!m) return loc;
      if (st.noXdev) throw new SysError(E.EXDEV);
      loc = { mnt: m, inode: m.root };
    }
  }

  private dotdot(st: WalkState, cur: Location): Location {
    for (;;) {
      if (sameLoc(cur, st.root)) {
        if (st.beneath) throw new SysError(E.EXDEV);
        return cur;
      }
      if (cur.inode === cur.mnt.root && cur.mnt.parent && cur.mnt.mountpoint) {
        if (st.noXdev) throw new SysError(E.EXDEV);
        cur = { mnt: cur.mnt.parent, inode: cur.mnt.mountpoint };
        continue;
      }
      break;
    }
    const parent = cur.inode.parent ?? cur.inode;
    return { mnt: cur.mnt, inode: parent };
  }

  /** The path of `loc` relative to `root`, and whether it was removed. */
  pathOf(loc: Location, root: Location): { path: string; deleted: boolean; reachable: boolean } {
    const parts: string[] = [];
    let deleted = false;
    let cur = loc;
    if (!cur.inode.isDir()) {
      if (!cur.parent || cur.name === undefined) return { path: '', deleted: false, reachable: false };
      if (cur.inode.nlink === 0) deleted = true;
      else {
        try {
          if (cur.parent.inode.lookup(cur.name, { uid: 0, gid: 0, pid: 0 }) !== cur.inode) deleted = true;
        } catch { deleted = true; }
      }
      parts.push(cur.name);
      cur = cur.parent;
    }
    let reachable = true;
    for (let guard = 0; guard < 4096; guard++) {
      if (sameLoc(cur, root)) break;
      if (cur.inode === cur.mnt.root) {
        if (!cur.mnt.parent || !cur.mnt.mountpoint) { reachable = false; break; }
        cur = { mnt: cur.mnt.parent, inode: cur.mnt.mountpoint };
        continue;
      }
      const parent = cur.inode.parent;
      if (!parent || parent === cur.inode) { reachable = false; break; }
      const name = nameIn(parent, cur.inode);
      if (name === null || cur.inode.nlink === 0) deleted = true;
      parts.push(name ?? '?');
      cur = { mnt: cur.mnt, inode: parent };
    }
    return { path: '/' + parts.reverse().join('/'), deleted, reachable };
  }

  // ---------------------------------------------------------------------------------
  // namespace operations

  private mayCreate(ctx: FsContext, dir: Location): void {
    // procfs's lookup of a missing name fails with ENOENT (proc_root_lookup, proc_pident_lookup)
    // before a create gets as far as its permission checks.
    if (dir.inode.sb.fstype === 'proc') throw new SysError(E.ENOENT);
    if (!permitted(dir.inode, ctx.cred, MAY_WRITE | MAY_EXEC)) throw new SysError(E.EACCES);
    if (dir.mnt.readonly) throw new SysError(E.EROFS);
    if (!dir.inode.mutable || dir.inode.nlink === 0) throw new SysError(dir.inode.nlink === 0 ? E.ENOENT : E.EPERM);
  }

  /** may_delete: the checks before a name is removed from `dir`. */
  private mayDelete(ctx: FsContext, dir: Location, victim: Inode, isDir: boolean): void {
    if (!permitted(dir.inode, ctx.cred, MAY_WRITE | MAY_EXEC)) throw new SysError(E.EACCES);
    if (dir.mnt.readonly) throw new SysError(E.EROFS);
    if (dir.inode.mode & S_ISVTX && ctx.cred.uid !== 0 && ctx.cred.uid !== victim.uid && ctx.cred.uid !== dir.inode.uid) {
      throw new SysError(E.EPERM);
    }
    if (isDir) {
      if (!victim.isDir()) throw new SysError(E.ENOTDIR);
      if (dir.mnt.children.has(victim)) throw new SysError(E.EBUSY);
    } else if (victim.isDir()) {
      throw new SysError(E.EISDIR);
    }
    if (!dir.inode.mutable) throw new SysError(E.EPERM);
  }

  private lookupChild(ctx: FsContext, dir: Location, name: string): Inode | null {
    if (!permitted(dir.inode, ctx.cred, MAY_EXEC)) throw new SysError(E.EACCES);
    return dir.inode.lookup(name, ctx.cred);
  }

  private newMode(ctx: FsContext, dir: Location, mode: number): { mode: number; gid: number } {
    let m = mode & ~ctx.umask;
    let gid = ctx.cred.gid;
    if (dir.inode.mode & S_ISGID) {
      gid = dir.inode.gid;
      if ((m & S_IFMT) === S_IFDIR) m |= S_ISGID;
    }
    return { mode: m, gid };
  }

  mkdir(ctx: FsContext, start: Location, path: string, mode: number): void {
    const p = this.resolveParent(ctx, start, path);
    if (p.lastType !== 'norm') throw new SysError(E.EEXIST);
    if (this.lookupChild(ctx, p.dir, p.last)) throw new SysError(E.EEXIST);
    if (ctx.landlock) llCheck(ctx.landlock, p.dir, LL_FS_MAKE_DIR); // security_path_mkdir, before may_create
    this.mayCreate(ctx, p.dir);
    const { mode: m, gid } = this.newMode(ctx, p.dir, S_IFDIR | (mode & 0o1777));
    const ops = p.dir.inode.dirOps();
    if (ops) ops.mkdir(p.last, m & 0o7777);
    else (p.dir.inode as DirInode).addChild(p.last, new DirInode(p.dir.inode.sb, m, ctx.cred.uid, gid, p.dir.inode as DirInode));
    notifyName(p.dir.inode, IN_CREATE, p.last, true);
  }

  /** mknod: regular files, FIFOs, sockets; device nodes need CAP_MKNOD (EPERM). */
  mknod(ctx: FsContext, start: Location, path: string, mode: number, rdev: number): void {
    const type = mode & S_IFMT;
    const p = this.resolveParent(ctx, start, path);
    if (p.lastType !== 'norm') throw new SysError(E.EEXIST);
    if (this.lookupChild(ctx, p.dir, p.last)) throw new SysError(E.EEXIST);
    if (p.trailing) throw new SysError(E.ENOENT);
    if (ctx.landlock) llCheck(ctx.landlock, p.dir, llMakeAccess(type)); // security_path_mknod, before vfs_mknod's checks
    if ((type === S_IFCHR || type === S_IFBLK) && ctx.cred.uid !== 0) throw new SysError(E.EPERM);
    this.mayCreate(ctx, p.dir);
    const { mode: m, gid } = this.newMode(ctx, p.dir, mode & ~S_IFMT & 0o7777);
    const sb = p.dir.inode.sb;
    let inode: Inode;
    if (type === S_IFREG || type === 0) inode = new FileInode(sb, m, ctx.cred.uid, gid);
    else if (type === S_IFIFO || type === S_IFSOCK || type === S_IFCHR || type === S_IFBLK) inode = new SpecialInode(sb, type | m, rdev, ctx.cred.uid, gid);
    else throw new SysError(E.EINVAL);
    (p.dir.inode as DirInode).addChild(p.last, inode);
    notifyName(p.dir.inode, IN_CREATE, p.last, false);
  }

  symlink(ctx: FsContext, target: string, start: Location, path: string): void {
    if (target === '') throw new SysError(E.ENOENT);
    if (byteLength(target) >= PATH_MAX) throw new SysError(E.ENAMETOOLONG);
    const p = this.resolveParent(ctx, start, path);
    if (p.lastType !== 'norm') throw new SysError(E.EEXIST);
    if (this.lookupChild(ctx, p.dir, p.last)) throw new SysError(E.EEXIST);
    if (p.trailing) throw new SysError(E.ENOENT);
    if (ctx.landlock) llCheck(ctx.landlock, p.dir, LL_FS_MAKE_SYM);
    this.mayCreate(ctx, p.dir);
    const { gid } = this.newMode(ctx, p.dir, 0);
    const ops = p.dir.inode.dirOps();
    if (ops) ops.symlink(p.last, target);
    else (p.dir.inode as DirInode).addChild(p.last, new SymlinkInode(p.dir.inode.sb, target, ctx.cred.uid, gid));
    notifyName(p.dir.inode, IN_CREATE, p.last, false);
  }

  /** link(2): `old` is already resolved (linkat's AT_SYMLINK_FOLLOW / AT_EMPTY_PATH decide how). */
  link(ctx: FsContext, old: Location, start: Location, path: string): void {
    const p = this.resolveParent(ctx, start, path);
    if (p.lastType !== 'norm') throw new SysError(E.EEXIST);
    if (old.mnt !== p.dir.mnt) {
      if (this.lookupChild(ctx, p.dir, p.last)) throw new SysError(E.EEXIST);
      throw new SysError(E.EXDEV);
    }
    if (this.lookupChild(ctx, p.dir, p.last)) throw new SysError(E.EEXIST);
    if (p.trailing && !old.inode.isDir()) throw new SysError(E.ENOENT);
    if (ctx.landlock) llRefer(ctx.landlock, old.inode, old.parent ?? old, p.dir, null, false, false); // security_path_link
    this.mayCreate(ctx, p.dir);
    if (old.inode.isDir()) throw new SysError(E.EPERM);
    // fs.protected_hardlinks = 1 (the default): only the owner, or someone who may read and
    // write a regular file, may link it.
    const o = old.inode;
    if (ctx.cred.uid !== 0 && ctx.cred.uid !== o.uid) {
      const safe = o.type === S_IFREG && !(o.mode & S_ISUID) && !((o.mode & (S_ISGID | 0o010)) === (S_ISGID | 0o010)) &&
        permitted(o, ctx.cred, MAY_READ | MAY_WRITE);
      if (!safe) throw new SysError(E.EPERM);
    }
    if (o.nlink === 0 && !(o instanceof FileInode && o.tmpfile)) throw new SysError(E.ENOENT);
    if (o instanceof FileInode) o.tmpfile = false;
    const ops = p.dir.inode.dirOps();
    if (ops) {
      // A file system that keeps its own names (a host mount): it makes the link.
      if (!ops.link) throw new SysError(E.EPERM);
      ops.link(p.last, o);
    } else {
      if (!(p.dir.inode as DirInode).children) throw new SysError(E.EPERM);
      (p.dir.inode as DirInode).addChild(p.last, o);
    }
    o.touch(false, true);
    // fsnotify_link: the link count (the inode's own watches), then the new name.
    notifyInode(o, IN_ATTRIB);
    notifyName(p.dir.inode, IN_CREATE, p.last, false);
  }

  unlink(ctx: FsContext, start: Location, path: string, rmdir: boolean): void {
    const p = this.resolveParent(ctx, start, path);
    if (rmdir) {
      if (p.lastType === 'dot') throw new SysError(E.EINVAL);
      if (p.lastType === 'dotdot') throw new SysError(E.ENOTEMPTY);
      if (p.lastType === 'root') throw new SysError(E.EBUSY);
    } else if (p.lastType !== 'norm') {
      throw new SysError(E.EISDIR);
    }
    const victim = this.lookupChild(ctx, p.dir, p.last);
    if (!victim) throw new SysError(E.ENOENT);
    if (!rmdir && p.trailing) throw new SysError(victim.isDir() ? E.EISDIR : E.ENOTDIR);
    if (ctx.landlock) llCheck(ctx.landlock, p.dir, rmdir ? LL_FS_REMOVE_DIR : LL_FS_REMOVE_FILE); // security_path_rmdir/unlink
    this.mayDelete(ctx, p.dir, victim, rmdir);
    const ops = p.dir.inode.dirOps();
    if (ops) {
      ops.unlink(p.last, rmdir);
    } else {
      if (rmdir && (victim as DirInode).children.size > 0) throw new SysError(E.ENOTEMPTY);
      (p.dir.inode as DirInode).removeChild(p.last);
      // vfs_unlink: the link count (fsnotify_link_count), then d_delete_notify: the inode's
      // end if nothing holds it (IN_DELETE_SELF), then the name's (IN_DELETE).
      if (!rmdir) notifyInode(victim, IN_ATTRIB);
      releaseIfUnused(victim);
    }
    notifyName(p.dir.inode, IN_DELETE, p.last, rmdir);
  }

  rename(ctx: FsContext, oldStart: Location, oldPath: string, newStart: Location, newPath: string, flags: number): void {
    const NOREPLACE = 1, EXCHANGE = 2, WHITEOUT = 4;
    if (flags & ~(NOREPLACE | EXCHANGE | WHITEOUT)) throw new SysError(E.EINVAL);
    if ((flags & NOREPLACE) && (flags & EXCHANGE)) throw new SysError(E.EINVAL);
    if (flags & WHITEOUT) throw new SysError(ctx.cred.uid === 0 ? E.EINVAL : E.EPERM);
    const op = this.resolveParent(ctx, oldStart, oldPath);
    const np = this.resolveParent(ctx, newStart, newPath);
    if (op.dir.mnt !== np.dir.mnt) throw new SysError(E.EXDEV);
    if (op.lastType !== 'norm') throw new SysError(E.EBUSY);
    if (np.lastType !== 'norm') throw new SysError(flags & NOREPLACE ? E.EEXIST : E.EBUSY);
    if (op.dir.mnt.readonly) throw new SysError(E.EROFS);
    const oldDir = op.dir.inode as DirInode, newDir = np.dir.inode as DirInode;
    const src = this.lookupChild(ctx, op.dir, op.last);
    if (!src) throw new SysError(E.ENOENT);
    const dst = this.lookupChild(ctx, np.dir, np.last);
    if (flags & EXCHANGE) {
      if (!dst) throw new SysError(E.ENOENT);
    } else {
      if ((flags & NOREPLACE) && dst) throw new SysError(E.EEXIST);
      if (!src.isDir() && (op.trailing || np.trailing)) throw new SysError(E.ENOTDIR);
    }
    if ((flags & EXCHANGE) && ((!src.isDir() && op.trailing) || (dst && !dst.isDir() && np.trailing))) throw new SysError(E.ENOTDIR);
    // The source must not be an ancestor of the target's directory, and vice versa.
    if (isAncestor(src, newDir)) throw new SysError(E.EINVAL);
    if (dst && isAncestor(dst, oldDir)) throw new SysError(flags & EXCHANGE ? E.EINVAL : E.ENOTEMPTY);
    if (ctx.landlock) llRefer(ctx.landlock, src, op.dir, np.dir, dst, true, (flags & EXCHANGE) !== 0); // security_path_rename
    if (src === dst) return; // hard links to one inode: nothing to do
    this.mayDelete(ctx, op.dir, src, src.isDir());
    if (dst) this.mayDelete(ctx, np.dir, dst, flags & EXCHANGE ? dst.isDir() : src.isDir());
    else this.mayCreate(ctx, np.dir);
    if (oldDir !== newDir) {
      // Moving a directory rewrites its "..": that needs write permission on it.
      if (src.isDir() && !permitted(src, ctx.cred, MAY_WRITE)) throw new SysError(E.EACCES);
      if ((flags & EXCHANGE) && dst && dst.isDir() && !permitted(dst, ctx.cred, MAY_WRITE)) throw new SysError(E.EACCES);
    }
    if (op.dir.mnt.children.has(src) || (dst && np.dir.mnt.children.has(dst))) throw new SysError(E.EBUSY);
    const ops = oldDir.dirOps();
    if (ops) {
      if (flags & EXCHANGE) throw new SysError(E.EINVAL);
      ops.rename(op.last, newDir, np.last);
      notifyMove(oldDir, op.last, newDir, np.last, src, dst);
      return;
    }
    if (flags & EXCHANGE) {
      oldDir.removeChild(op.last);
      newDir.removeChild(np.last);
      newDir.addChild(np.last, src);
      oldDir.addChild(op.last, dst!);
      if (src.isDir()) src.nlink = Math.max(src.nlink, 2);
      if (dst!.isDir()) dst!.nlink = Math.max(dst!.nlink, 2);
      notifyMove(oldDir, op.last, newDir, np.last, src, null);
      notifyMove(newDir, np.last, oldDir, op.last, dst!, null);
      return;
    }
    if (dst && dst.isDir() && (dst as DirInode).children.size > 0) throw new SysError(E.ENOTEMPTY);
    if (dst) newDir.removeChild(np.last);
    const keepNlink = src.isDir() ? src.nlink : -1;
    oldDir.removeChild(op.last);
    newDir.addChild(np.last, src);
    if (keepNlink >= 0) src.nlink = keepNlink;
    src.touch(false, true);
    notifyMove(oldDir, op.last, newDir, np.last, src, dst);
    if (dst) releaseIfUnused(dst); // after the move's events, as the replaced dentry's final dput
  }

  readlink(ctx: FsContext, loc: Location): string {
    if (!loc.inode.isSymlink()) throw new SysError(E.EINVAL);
    loc.inode.atime = loc.inode.sb.clock();
    return loc.inode.readlink(ctx.cred);
  }

  chmod(ctx: FsContext, loc: Location, mode: number): void {
    const i = loc.inode;
    if (ctx.cred.uid !== 0 && ctx.cred.uid !== i.uid) throw new SysError(E.EPERM);
    if (loc.mnt.readonly) throw new SysError(E.EROFS);
    let m = mode & 0o7777;
    if (ctx.cred.uid !== 0 && ctx.cred.gid !== i.gid) m &= ~S_ISGID;
    i.storeMode(m);
    i.mode = (i.mode & S_IFMT) | m;
    i.touch(false, true);
    notifyChild(loc, IN_ATTRIB);
  }

  chown(ctx: FsContext, loc: Location, uid: number, gid: number): void {
    const i = loc.inode;
    if (loc.mnt.readonly) throw new SysError(E.EROFS);
    const c = ctx.cred;
    if (c.uid !== 0) {
      // Unprivileged: the owner may only change the group, and only to one of its own.
      if (uid !== -1 && uid !== i.uid) throw new SysError(E.EPERM);
      if (gid !== -1 && (c.uid !== i.uid || (gid !== i.gid && gid !== c.gid))) throw new SysError(E.EPERM);
      if (uid === -1 && gid === -1 && c.uid !== i.uid) { /* a no-op is allowed for anyone */ }
    }
    if (uid !== -1) i.uid = uid;
    if (gid !== -1) i.gid = gid;
    if (!i.isDir() && (uid !== -1 || gid !== -1)) i.mode &= ~(S_ISUID | ((i.mode & 0o010) ? S_ISGID : 0));
    i.touch(false, true);
    if (uid !== -1 || gid !== -1) notifyChild(loc, IN_ATTRIB); // fsnotify_change: ATTR_UID/ATTR_GID
  }

  /** access/faccessat: F_OK is 0, else R_OK=4, W_OK=2, X_OK=1. */
  access(ctx: FsContext, loc: Location, mode: number): void {
    if (mode === 0) return;
    const i = loc.inode;
    if ((mode & 2) && loc.mnt.readonly && (i.type === S_IFREG || i.isDir() || i.isSymlink())) throw new SysError(E.EROFS);
    if (!permitted(i, ctx.cred, mode & 7)) throw new SysError(E.EACCES);
    if (mode & 1 && ctx.cred.uid === 0 && !i.isDir() && !(i.mode & 0o111)) throw new SysError(E.EACCES);
  }

  /** Sets the times (null: now). Explicit times need ownership; "now" needs ownership or write access. */
  utimes(ctx: FsContext, loc: Location, atime: { sec: number; nsec: number } | null | 'omit', mtime: { sec: number; nsec: number } | null | 'omit', explicit: boolean): void {
    const i = loc.inode;
    if (loc.mnt.readonly) throw new SysError(E.EROFS);
    if (ctx.cred.uid !== 0 && ctx.cred.uid !== i.uid) {
      if (explicit) throw new SysError(E.EPERM);
      if (!permitted(i, ctx.cred, MAY_WRITE)) throw new SysError(E.EACCES);
    }
    const now = i.sb.clock();
    if (atime !== 'omit') i.atime = atime ?? now;
    if (mtime !== 'omit') i.mtime = mtime ?? now;
    i.ctime = now;
    // fsnotify_change: both times are a utime (IN_ATTRIB); one alone is an access or a modification.
    notifyChild(loc, atime !== 'omit' && mtime !== 'omit' ? IN_ATTRIB : atime !== 'omit' ? IN_ACCESS : IN_MODIFY);
  }

  truncatePath(ctx: FsContext, loc: Location, len: number): void {
    const i = loc.inode;
    if (i.isDir()) throw new SysError(E.EISDIR);
    if (i.type !== S_IFREG) throw new SysError(E.EINVAL);
    if (!permitted(i, ctx.cred, MAY_WRITE)) throw new SysError(E.EACCES);
    if (loc.mnt.readonly) throw new SysError(E.EROFS);
    if (ctx.landlock) llCheck(ctx.landlock, loc, LL_FS_TRUNCATE); // security_path_truncate
    if (!(i instanceof FileInode)) i.setSize(len);
    else i.truncate(len);
    notifyChild(loc, IN_MODIFY);
  }

  // ---------------------------------------------------------------------------------
  // open

  open(ctx: FsContext, start: Location, path: string, flags: number, mode: number, o?: ResolveOpts): OpenFile {
    this.checkPath(path);
    const st = this.state(ctx, start, o);
    if ((flags & O_TMPFILE) === O_TMPFILE) {
      if (flags & O_CREAT) throw new SysError(E.EINVAL); // build_open_flags: O_TMPFILE_MASK must be exactly O_TMPFILE
      return this.openTmpfile(ctx, st, start, path, flags, mode);
    }
    let loc: Location;
    let created = false;
    if (flags & O_CREAT) {
      const r = this.openCreate(ctx, st, start, path, flags, mode);
      loc = r.loc;
      created = r.created;
    } else {
      loc = this.walk(ctx, st, start, path, !(flags & O_NOFOLLOW));
    }
    return this.finishOpen(ctx, loc, flags, created);
  }

  private openCreate(ctx: FsContext, st: WalkState, start: Location, path: string, flags: number, mode: number): { loc: Location; created: boolean } {
    const p = this.walkParent(ctx, st, start, path);
    if (p.lastType !== 'norm' || p.trailing) throw new SysError(E.EISDIR);
    const child = this.lookupChild(ctx, p.dir, p.last);
    if (child) {
      if (flags & O_EXCL) throw new SysError(E.EEXIST);
      let loc: Location = this.crossMounts(st, { mnt: p.dir.mnt, inode: child, parent: p.dir, name: p.last });
      if (loc.inode.isSymlink()) {
        if (flags & O_NOFOLLOW) throw new SysError(E.ELOOP);
        if (st.noSymlinks) throw new SysError(E.ELOOP);
        if (++st.links > MAXSYMLINKS) throw new SysError(E.ELOOP);
        const magic = loc.inode.followMagic(ctx.cred);
        if (magic) {
          if (st.noMagic) throw new SysError(E.ELOOP);
          return { loc: magic, created: false };
        }
        const target = loc.inode.readlink(ctx.cred);
        if (target === '') throw new SysError(E.ENOENT);
        return this.openCreate(ctx, st, p.dir, target, flags, mode);
      }
      return { loc, created: false };
    }
    if (ctx.landlock) llCheck(ctx.landlock, p.dir, LL_FS_MAKE_REG); // may_o_create: security_path_mknod first
    this.mayCreate(ctx, p.dir);
    const { mode: m, gid } = this.newMode(ctx, p.dir, mode & 0o7777);
    const ops = p.dir.inode.dirOps();
    if (ops) {
      const inode = ops.create(p.last, m);
      notifyName(p.dir.inode, IN_CREATE, p.last, false);
      return { loc: { mnt: p.dir.mnt, inode, parent: p.dir, name: p.last }, created: true };
    }
    const f = new FileInode(p.dir.inode.sb, m, ctx.cred.uid, gid);
    (p.dir.inode as DirInode).addChild(p.last, f);
    notifyName(p.dir.inode, IN_CREATE, p.last, false);
    return { loc: { mnt: p.dir.mnt, inode: f, parent: p.dir, name: p.last }, created: true };
  }

  private openTmpfile(ctx: FsContext, st: WalkState, start: Location, path: string, flags: number, mode: number): OpenFile {
    const acc = flags & O_ACCMODE;
    if (acc !== O_WRONLY && acc !== O_RDWR) throw new SysError(E.EINVAL);
    const dir = this.walk(ctx, st, start, path, true);
    if (!dir.inode.isDir()) throw new SysError(E.ENOTDIR);
    this.mayCreate(ctx, dir);
    const { mode: m, gid } = this.newMode(ctx, dir, mode & 0o7777);
    const f = new FileInode(dir.inode.sb, m, ctx.cred.uid, gid);
    f.tmpfile = (flags & O_EXCL) === 0;
    return this.finishOpen(ctx, { mnt: dir.mnt, inode: f, parent: dir, name: `#${f.ino}` }, flags & ~O_TMPFILE, true);
  }

  /** The checks after lookup (may_open) and the open itself. */
  finishOpen(ctx: FsContext, loc: Location, flags: number, created: boolean): OpenFile {
    const i = loc.inode;
    const acc = flags & O_ACCMODE;
    if (flags & O_PATH) {
      if ((flags & O_DIRECTORY) && !i.isDir()) throw new SysError(E.ENOTDIR);
      return openers.path(flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), loc);
    }
    if ((flags & O_DIRECTORY) && !i.isDir()) throw new SysError(E.ENOTDIR);
    if (i.isSymlink()) throw new SysError(E.ELOOP);
    const wantWrite = acc === O_WRONLY || acc === O_RDWR || (flags & O_TRUNC) !== 0;
    if (i.isDir() && (wantWrite || (flags & O_CREAT))) throw new SysError(E.EISDIR);
    if (!created) {
      let mask = 0;
      if (acc === O_RDONLY || acc === O_RDWR || acc === 3) mask |= MAY_READ;
      if (wantWrite || acc === 3) mask |= MAY_WRITE;
      if (!permitted(i, ctx.cred, mask)) throw new SysError(E.EACCES);
      if ((flags & O_NOATIME) && ctx.cred.uid !== 0 && ctx.cred.uid !== i.uid) throw new SysError(E.EPERM);
    }
    if (wantWrite && loc.mnt.readonly && (i.type === S_IFREG || i.isDir())) throw new SysError(E.EROFS);
    // security_file_open (hook_file_open), then handle_truncate's security_file_truncate.
    const llAllowed = ctx.landlock ? llOpen(ctx.landlock, loc, acc, false, (flags & O_TRUNC) !== 0 && !created && i.type === S_IFREG) : -1;
    const stored = (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | O_LARGEFILE;
    const file = i.open(stored, loc, ctx.cred);
    if (llAllowed >= 0) llSetFileAccess(file, llAllowed);
    if ((flags & O_TRUNC) && i instanceof FileInode && !created) {
      if (i.size() > 0) i.truncate(0);
      else i.touch();
      notifyChild(loc, IN_MODIFY);
    } else if ((flags & O_TRUNC) && i.type === S_IFREG && !created) {
      const r = file.truncate(0);
      if (r < 0) throw new SysError(-r);
    }
    // fsnotify_open; FIFOs and devices are left out (their descriptions raise no close events here).
    if (i.type === S_IFREG || i.isDir()) notifyChild(loc, IN_OPEN, true);
    return file;
  }
}

/** PathFile (O_PATH) constructor, set by files.ts. */
export const openers = {
  path: (_flags: number, _loc: Location): OpenFile => { throw new SysError(E.EINVAL); },
};

function nameIn(dir: Inode, child: Inode): string | null {
  if (child.name !== undefined && dir.mutable) {
    if (dir.lookup(child.name, { uid: 0, gid: 0, pid: 0 }) === child) return child.name;
  }
  if (child.name !== undefined && !dir.mutable) return child.name;
  if (dir instanceof DirInode) for (const [n, c] of dir.children) if (c === child) return n;
  return null;
}

/** True when `a` is `b` or one of b's ancestors (directories). */
function isAncestor(a: Inode, b: Inode): boolean {
  if (!a.isDir()) return false;
  let cur: Inode | null = b;
  for (let guard = 0; cur && guard < 100000; guard++) {
    if (cur === a) return true;
    if (!cur.parent || cur.parent === cur) return false;
    cur = cur.parent;
  }
  return false;
}

/** Frees a tmpfs file's data when it has no name left and no open file. */
export function releaseIfUnused(i: Inode): void {
  if (i.nlink === 0 && i.opens === 0) inodeGone(i);
  if (i.nlink === 0 && i.opens === 0 && i instanceof FileInode && !i.pageCache?.isMapped()) i.release();
}

export { S_IFREG, S_IFDIR, S_IFCHR, S_IFIFO, S_IFSOCK, S_IFBLK, S_IFMT };
