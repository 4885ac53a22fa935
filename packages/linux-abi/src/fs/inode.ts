/**
 * Inodes and super blocks: the objects the VFS resolves names to (include/linux/fs.h's
 * struct inode / super_block, reduced). A directory inode maps names to inodes and knows
 * its parent (directories have exactly one), which is all the dentry cache would give us
 * here. tmpfs (regular files, directories, symlinks, FIFOs, device and socket nodes) lives
 * in this file; procfs and devfs build on the same classes.
 */
import { E, SysError } from '../errors.ts';
import { S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_IFBLK } from '../abi/constants.ts';
import type { Stat } from '../abi/structs.ts';
import type { OpenFile } from './file.ts';
import type { Location } from './vfs.ts';
import type { FileBacking, PageCache } from '../mm/page-cache.ts';
import { nameByteLength } from './names.ts';
import type { Watch } from './notify.ts';

export interface Timespec { sec: number; nsec: number }

/** Who is asking: the credentials and the process (for /proc/self), per lookup. */
export interface Cred {
  uid: number;
  gid: number;
  /** The asking process (procfs "self"). */
  pid: number;
}

export const MAY_EXEC = 1, MAY_WRITE = 2, MAY_READ = 4;
/** Linux's limits (include/uapi/linux/limits.h). */
export const PATH_MAX = 4096, NAME_MAX = 255, MAXSYMLINKS = 40;

/** st_dev encoding of new_encode_dev (include/linux/kdev_t.h). */
export function makedev(major: number, minor: number): number {
  return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
}
export function devMajor(dev: number): number {
  return (dev >>> 8) & 0xfff;
}
export function devMinor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & ~0xff);
}

let nextAnonMinor = 20;

/** A mounted file system instance. */
export class SuperBlock {
  private nextIno = 1;
  readonly dev: number;
  /** Bytes of file data held (tmpfs accounting, for ENOSPC and statfs). */
  usedBytes = 0;
  inodeCount = 0;
  /**
   * Extended attributes are kept (tmpfs, devtmpfs: mm/shmem.c's handlers); false: the file
   * system has none (procfs, pipefs, host mounts) and get/set answer EOPNOTSUPP.
   */
  xattrs = false;
  /** Bytes charged for xattrs (simple_xattr_space), taken from the inode space as shmem does. */
  xattrSpace = 0;
  constructor(
    readonly fstype: string,
    /** statfs f_type (include/uapi/linux/magic.h). */
    readonly magic: number,
    readonly clock: () => Timespec,
    readonly maxBytes = 1 << 30,
    readonly maxInodes = 1 << 20,
  ) {
    this.dev = makedev(0, nextAnonMinor++);
  }
  allocIno(): number {
    return this.nextIno++;
  }
}

export abstract class Inode {
  readonly ino: number;
  nlink = 1;
  rdev = 0;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  /** The containing directory, for directories ('..'); a root points at itself. */
  parent: Inode | null = null;
  /** A directory's name in its parent (kept by DirInode; procfs sets it). */
  name?: string;
  /** Open file descriptions on this inode (tmpfs frees data at nlink 0 and opens 0). */
  opens = 0;
  /** The pages file mappings map (created by the first mmap). */
  pageCache: PageCache | null = null;
  /** Extended attributes (syscalls/xattr.ts): name as a byte string (one char per byte) -> value. */
  xattrs: Map<string, Uint8Array> | null = null;
  /** inotify watches on this inode (fs/notify.ts). */
  watches: Watch[] | null = null;

  constructor(readonly sb: SuperBlock, public mode: number, public uid: number, public gid: number, ino?: number) {
    this.ino = ino ?? sb.allocIno();
    const now = sb.clock();
    this.atime = now;
    this.mtime = now;
    this.ctime = now;
    sb.inodeCount++;
  }

  get type(): number {
    return this.mode & S_IFMT;
  }
  isDir(): boolean {
    return this.type === S_IFDIR;
  }
  isSymlink(): boolean {
    return this.type === S_IFLNK;
  }
  size(): number {
    return 0;
  }

  stat(): Stat {
    const size = this.size();
    return {
      dev: this.sb.dev, ino: this.ino, mode: this.mode, nlink: this.nlink, uid: this.uid, gid: this.gid,
      rdev: this.rdev, size, blksize: 4096, blocks: this.blocks(),
      atimeSec: this.atime.sec, atimeNsec: this.atime.nsec, mtimeSec: this.mtime.sec, mtimeNsec: this.mtime.nsec,
      ctimeSec: this.ctime.sec, ctimeNsec: this.ctime.nsec,
    };
  }
  blocks(): number {
    return 0;
  }

  /** chmod's new permission bits reach the file's own store first (a host mount's file); in-memory inodes keep them here only. */
  storeMode(_mode: number): void {}

  touch(m = true, c = true, a = false): void {
    const now = this.sb.clock();
    if (m) this.mtime = now;
    if (c) this.ctime = now;
    if (a) this.atime = now;
  }

  /** Raw access to the file's bytes for the page cache; null: mmap gives ENODEV. */
  backing(): FileBacking | null {
    return null;
  }

  // --- directories (default: not one) ---
  /** The child called `name`, or null. "." and ".." never reach here. */
  lookup(_name: string, _cred: Cred): Inode | null {
    throw new SysError(E.ENOTDIR);
  }
  /** The entries (without "." and ".."), in a stable order. */
  list(_cred: Cred): [string, Inode][] {
    throw new SysError(E.ENOTDIR);
  }
  /** True when this directory's names can be changed (tmpfs). */
  get mutable(): boolean {
    return false;
  }
  /**
   * A directory whose names live elsewhere (host mounts): the VFS makes its changes through
   * these calls instead of tmpfs's. null: tmpfs (or never changes).
   */
  dirOps(): {
    create(name: string, mode: number): Inode;
    mkdir(name: string, mode: number): void;
    symlink(name: string, target: string): void;
    link?(name: string, target: Inode): void;
    unlink(name: string, dir: boolean): void;
    rename(name: string, to: Inode, toName: string): void;
  } | null {
    return null;
  }
  /** Sets a regular file's size on file systems other than tmpfs (truncate(2) by path). */
  setSize(_len: number): void {
    throw new SysError(E.EINVAL);
  }

  // --- symlinks ---
  /** The link's target text. */
  readlink(_cred: Cred): string {
    throw new SysError(E.EINVAL);
  }
  /**
   * A "magic" link (/proc/PID/fd/N, cwd, root, exe): where following it leads, without
   * going through its text. null: follow the text.
   */
  followMagic(_cred: Cred): Location | null {
    return null;
  }
  /** True for procfs's magic links (RESOLVE_NO_MAGICLINKS refuses them even when they follow as text). */
  get magic(): boolean {
    return false;
  }

  // --- opening ---
  /** A new open file description; loc is where it was found. */
  abstract open(flags: number, loc: Location, cred: Cred): OpenFile;
}

// ------------------------------------------------------------------------------------
// tmpfs (mm/shmem.c): everything in enclave memory.

/** BOGO_DIRENT_SIZE: what tmpfs reports per directory entry as the directory's size. */
const BOGO_DIRENT_SIZE = 20;

export class DirInode extends Inode {
  readonly children = new Map<string, Inode>();
  constructor(sb: SuperBlock, mode: number, uid: number, gid: number, parent: DirInode | null) {
    super(sb, S_IFDIR | (mode & 0o7777), uid, gid);
    this.nlink = 2;
    this.parent = parent ?? this;
  }
  override size(): number {
    return (this.children.size + 2) * BOGO_DIRENT_SIZE;
  }
  override lookup(name: string): Inode | null {
    return this.children.get(name) ?? null;
  }
  override list(): [string, Inode][] {
    return [...this.children];
  }
  override get mutable(): boolean {
    return true;
  }
  /** Adds a name (the caller checked it is free). */
  addChild(name: string, inode: Inode): void {
    this.children.set(name, inode);
    if (inode.isDir()) {
      inode.parent = this;
      inode.name = name;
      this.nlink++;
    } else {
      inode.nlink++;
    }
    this.touch();
  }
  /** Removes a name; the inode lives on while open. */
  removeChild(name: string): Inode | null {
    const inode = this.children.get(name);
    if (!inode) return null;
    this.children.delete(name);
    if (inode.isDir()) {
      this.nlink--;
      inode.nlink = 0;
    } else {
      inode.nlink--;
    }
    inode.touch(false, true);
    this.touch();
    return inode;
  }
  override open(flags: number, loc: Location, cred: Cred): OpenFile {
    return openers.dir(flags, loc, cred);
  }
}

export class FileInode extends Inode {
  private data = new Uint8Array(0);
  private len = 0;
  /** F_SEAL_* seals (memfd). */
  seals = 0;
  /** O_TMPFILE without O_EXCL: may be given a name by linkat. */
  tmpfile = false;
  constructor(sb: SuperBlock, mode: number, uid: number, gid: number) {
    super(sb, S_IFREG | (mode & 0o7777), uid, gid);
    this.nlink = 0; // counted by the directory that links it
  }
  override size(): number {
    return this.len;
  }
  override blocks(): number {
    return Math.ceil(this.len / 4096) * 8;
  }
  readAt(pos: number, len: number): Uint8Array {
    if (pos >= this.len) return new Uint8Array(0);
    const end = Math.min(this.len, pos + len);
    const out = this.data.slice(pos, end);
    this.pageCache?.overlay(pos, out); // mapped pages hold the newest bytes
    return out;
  }
  /** readAt without the copy, for a caller that copies at once: a view of the data, unless mapped pages may hold newer bytes. */
  viewAt(pos: number, len: number): Uint8Array {
    if (this.pageCache) return this.readAt(pos, len);
    if (pos >= this.len) return new Uint8Array(0);
    return this.data.subarray(pos, Math.min(this.len, pos + len));
  }
  override backing(): FileBacking {
    return {
      size: () => this.len,
      readRaw: (pos, len) => (pos >= this.len ? new Uint8Array(0) : this.data.subarray(pos, Math.min(this.len, pos + len))),
      writeRaw: (pos, d) => {
        const n = Math.min(d.length, this.len - pos);
        if (n > 0) this.data.set(d.subarray(0, n), pos);
      },
      uncached: () => {
        if (this.nlink === 0 && this.opens === 0 && !this.pageCache?.isMapped()) this.release();
      },
    };
  }
  private reserve(end: number): void {
    if (end <= this.data.length) return;
    const grow = end - this.len;
    if (this.sb.usedBytes + grow > this.sb.maxBytes) throw new SysError(E.ENOSPC);
    // Doubling up to 64 MiB, then by an eighth: appends stay amortized O(1) per byte (growing
    // a large file exactly to each write's end copied the whole file on every write).
    let cap = Math.max(4096, this.data.length);
    while (cap < end) cap = cap < (64 << 20) ? cap * 2 : cap + Math.ceil(cap / 8 / 4096) * 4096;
    const d = new Uint8Array(cap);
    d.set(this.data.subarray(0, this.len));
    this.data = d;
  }
  writeAt(pos: number, src: Uint8Array): number {
    const end = pos + src.length;
    if (end > this.len) {
      this.reserve(end);
      this.sb.usedBytes += end - this.len;
      if (pos > this.len) this.data.fill(0, this.len, pos);
      this.len = end;
    }
    this.data.set(src, pos);
    this.pageCache?.update(pos, src);
    this.touch();
    return src.length;
  }
  truncate(size: number): void {
    if (size > this.len) {
      this.reserve(size);
      this.data.fill(0, this.len, size);
      this.sb.usedBytes += size - this.len;
    } else {
      this.sb.usedBytes -= this.len - size;
      if (this.data.length > 4096 && size < this.data.length / 4) this.data = this.data.slice(0, Math.max(size, 4096));
    }
    const old = this.len;
    this.len = size;
    if (size < old) this.pageCache?.truncated(size); // unmaps pages past the end (SIGBUS there)
    this.touch();
  }
  /** Frees the data once the last name, the last open file and the last mapping are gone. */
  release(): void {
    if (this.pageCache) {
      this.pageCache.alive = false;
      this.pageCache.trim();
      this.pageCache = null;
    }
    this.sb.usedBytes -= this.len;
    this.len = 0;
    this.data = new Uint8Array(0);
    dropXattrs(this);
  }
  override open(flags: number, loc: Location): OpenFile {
    return openers.regular(flags, loc);
  }
}

export class SymlinkInode extends Inode {
  constructor(sb: SuperBlock, readonly target: string, uid: number, gid: number) {
    super(sb, S_IFLNK | 0o777, uid, gid);
    this.nlink = 0;
  }
  override size(): number {
    return nameByteLength(this.target);
  }
  override readlink(): string {
    return this.target;
  }
  override open(): OpenFile {
    throw new SysError(E.ELOOP);
  }
}

/** FIFOs, sockets, and device nodes made by mknod: what they open as is decided by the VFS. */
export class SpecialInode extends Inode {
  /** The pipe a FIFO opens onto (created on first open). */
  pipe: unknown = null;
  constructor(sb: SuperBlock, mode: number, rdev: number, uid: number, gid: number) {
    super(sb, mode, uid, gid);
    this.rdev = rdev;
    this.nlink = 0;
  }
  override open(flags: number, loc: Location, cred: Cred): OpenFile {
    switch (this.type) {
      case S_IFIFO: return openers.fifo(flags, loc, cred);
      case S_IFCHR: return openers.chardev(flags, loc, this.rdev);
      case S_IFBLK: throw new SysError(E.ENXIO);
      case S_IFSOCK: throw new SysError(E.ENXIO);
      default: throw new SysError(E.ENXIO);
    }
  }
}

/**
 * How inodes become open files: set once by files.ts/devfs.ts/pipe.ts (breaks the import
 * cycle between inodes and descriptions).
 */
export const openers = {
  regular: (_flags: number, _loc: Location): OpenFile => { throw new SysError(E.ENXIO); },
  dir: (_flags: number, _loc: Location, _cred: Cred): OpenFile => { throw new SysError(E.ENXIO); },
  fifo: (_flags: number, _loc: Location, _cred: Cred): OpenFile => { throw new SysError(E.ENXIO); },
  chardev: (_flags: number, _loc: Location, _rdev: number): OpenFile => { throw new SysError(E.ENXIO); },
};

/** Whether `cred` may access `inode` for `mask` (MAY_*), as generic_permission does. */
export function permitted(inode: Inode, cred: Cred, mask: number): boolean {
  if (cred.uid === 0) {
    // CAP_DAC_OVERRIDE: everything but executing a file with no x bit at all.
    return !(mask & MAY_EXEC) || inode.isDir() || (inode.mode & 0o111) !== 0;
  }
  let m = inode.mode;
  if (cred.uid === inode.uid) m >>= 6;
  else if (cred.gid === inode.gid) m >>= 3;
  return (m & mask & 7) === mask;
}

/** simple_xattr_space (fs/xattr.c): what one attribute is charged against the inode space. */
export function xattrSpace(name: string, size: number): number {
  return 40 + size + name.length;
}

/** Frees an inode's attributes and returns their space (shmem_evict_inode). */
export function dropXattrs(inode: Inode): void {
  if (!inode.xattrs) return;
  for (const [n, v] of inode.xattrs) inode.sb.xattrSpace -= xattrSpace(n, v.length);
  inode.xattrs = null;
}

export function fileTypeBits(mode: number): number {
  return mode & S_IFMT;
}
export { S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFCHR, S_IFSOCK, S_IFBLK, S_IFMT };
