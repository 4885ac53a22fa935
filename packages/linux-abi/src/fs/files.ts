/**
 * Open file descriptions for VFS objects: regular tmpfs files, directories, O_PATH
 * handles and generated (procfs) contents. Each counts itself on its inode so tmpfs frees
 * an unlinked file's data when the last description closes.
 */
import { E, SysError } from '../errors.ts';
import { OpenFile, type DirEntry } from './file.ts';
import { FileInode, openers as inodeOpeners, type Cred, type Inode } from './inode.ts';
import { openers as vfsOpeners, releaseIfUnused, type Location, O_APPEND, O_ACCMODE, O_RDONLY } from './vfs.ts';
import { IN_ACCESS, IN_CLOSE_NOWRITE, IN_CLOSE_WRITE, IN_MODIFY, notifyChild } from './notify.ts';

export const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;
// include/uapi/linux/fcntl.h
export const F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8, F_SEAL_FUTURE_WRITE = 16;
// include/uapi/linux/falloc.h
export const FALLOC_FL_KEEP_SIZE = 1, FALLOC_FL_PUNCH_HOLE = 2, FALLOC_FL_ZERO_RANGE = 0x10;

/** Largest file offset we allow (MAX_LFS_FILESIZE on 64-bit is 2^63-1; our numbers stop at 2^53). */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

/** d_type from a mode (fs_umode_to_dtype). */
export function dtype(mode: number): number {
  return (mode >>> 12) & 15;
}

export abstract class InodeFile extends OpenFile {
  constructor(flags: number, loc: Location) {
    super(flags);
    this.loc = loc;
    loc.inode.opens++;
  }
  get inode(): Inode {
    return this.loc!.inode;
  }
  override close(): void {
    // fsnotify_close, before the description lets go of the inode (which may end it).
    notifyChild(this.loc!, (this.flags & O_ACCMODE) !== O_RDONLY ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE, true);
    this.inode.opens--;
    releaseIfUnused(this.inode);
  }
}

export class RegularFile extends InodeFile {
  private get file(): FileInode {
    return this.inode as FileInode;
  }
  override read(len: number): Uint8Array | number {
    const r = this.pread(len, this.pos);
    if (typeof r !== 'number') this.pos += r.length;
    return r;
  }
  override pread(len: number, pos: number): Uint8Array | number {
    const d = this.file.readAt(pos, len);
    if (d.length) notifyChild(this.loc!, IN_ACCESS, true); // fsnotify_access
    return d;
  }
  override readTransient(len: number): Uint8Array | number {
    const r = this.file.viewAt(this.pos, len);
    this.pos += r.length;
    if (r.length) notifyChild(this.loc!, IN_ACCESS, true);
    return r;
  }
  override preadTransient(len: number, pos: number): Uint8Array | number {
    const r = this.file.viewAt(pos, len);
    if (r.length) notifyChild(this.loc!, IN_ACCESS, true);
    return r;
  }
  override write(data: Uint8Array): number {
    if (this.flags & O_APPEND) this.pos = this.file.size();
    const n = this.pwriteAt(data, this.pos);
    if (n > 0) this.pos += n;
    return n;
  }
  override pwrite(data: Uint8Array, pos: number): number {
    // Linux quirk kept: pwrite on an O_APPEND file appends.
    return this.pwriteAt(data, this.flags & O_APPEND ? this.file.size() : pos);
  }
  private pwriteAt(data: Uint8Array, pos: number): number {
    const f = this.file;
    if (f.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) return -E.EPERM;
    if (pos + data.length > MAX_OFFSET) return pos >= MAX_OFFSET ? -E.EFBIG : this.pwriteAt(data.subarray(0, MAX_OFFSET - pos), pos);
    if (f.seals & F_SEAL_GROW && pos + data.length > f.size()) return -E.EPERM;
    const n = f.writeAt(pos, data);
    if (n > 0) notifyChild(this.loc!, IN_MODIFY, true); // fsnotify_modify
    return n;
  }
  override lseek(offset: number, whence: number): number {
    const size = this.file.size();
    let p: number;
    switch (whence) {
      case SEEK_SET: p = offset; break;
      case SEEK_CUR: p = this.pos + offset; break;
      case SEEK_END: p = size + offset; break;
      // tmpfs keeps no holes here: all of [0, size) is data (generic_file_llseek semantics).
      case SEEK_DATA: if (offset < 0 || offset >= size) return -E.ENXIO; p = offset; break;
      case SEEK_HOLE: if (offset < 0 || offset >= size) return -E.ENXIO; p = size; break;
      default: return -E.EINVAL;
    }
    if (p < 0 || p > MAX_OFFSET) return -E.EINVAL;
    this.pos = p;
    return p;
  }
  override truncate(len: number): number {
    const f = this.file;
    if (len < f.size() && f.seals & F_SEAL_SHRINK) return -E.EPERM;
    if (len > f.size() && f.seals & F_SEAL_GROW) return -E.EPERM;
    f.truncate(len);
    notifyChild(this.loc!, IN_MODIFY);
    return 0;
  }
  override fsync(): number {
    return 0;
  }
  override fallocate(mode: number, off: number, len: number): number {
    const f = this.file;
    if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) return -E.EOPNOTSUPP;
    if (mode & FALLOC_FL_PUNCH_HOLE) {
      if (!(mode & FALLOC_FL_KEEP_SIZE)) return -E.EOPNOTSUPP;
      if (f.seals & F_SEAL_WRITE) return -E.EPERM;
      const end = Math.min(f.size(), off + len);
      if (end > off) f.writeAt(off, new Uint8Array(end - off));
      return 0;
    }
    if (off + len > MAX_OFFSET) return -E.EFBIG;
    if (!(mode & FALLOC_FL_KEEP_SIZE) && off + len > f.size()) {
      if (f.seals & F_SEAL_GROW) return -E.EPERM;
      try { f.truncate(off + len); } catch (e) { if (e instanceof SysError) return -e.errno; throw e; }
    }
    return 0;
  }
  override readable(): number {
    return Math.max(0, this.file.size() - this.pos);
  }
  describe(): string {
    return 'file';
  }
}

export class DirFile extends InodeFile {
  constructor(flags: number, loc: Location, private readonly cred: Cred) {
    super(flags, loc);
  }
  override read(): number {
    return -E.EISDIR;
  }
  override pread(): number {
    return -E.EISDIR;
  }
  override write(): number {
    return -E.EISDIR;
  }
  override getdents(max: number): DirEntry[] | number {
    const d = this.inode;
    if (d.nlink === 0) return -E.ENOENT; // iterate_dir on a removed directory (IS_DEADDIR)
    const parent = d.parent ?? d;
    const all: [string, Inode][] = [['.', d], ['..', parent], ...d.list(this.cred)];
    const out: DirEntry[] = [];
    for (let i = this.pos; i < all.length && out.length < max; i++) {
      const [name, inode] = all[i];
      out.push({ ino: inode.ino, type: dtype(inode.mode), name, off: i + 1 });
    }
    return out;
  }
  override lseek(offset: number, whence: number): number {
    let p: number;
    if (whence === SEEK_SET) p = offset;
    else if (whence === SEEK_CUR) p = this.pos + offset;
    else return -E.EINVAL;
    if (p < 0) return -E.EINVAL;
    this.pos = p;
    return p;
  }
  override fsync(): number {
    return 0;
  }
  describe(): string {
    return 'dir';
  }
}

/** O_PATH: a location only; everything but fstat, *at and fchdir is EBADF. */
export class PathFile extends OpenFile {
  constructor(flags: number, loc: Location) {
    super(flags);
    this.loc = loc;
  }
  override read(): number { return -E.EBADF; }
  override write(): number { return -E.EBADF; }
  override pread(): number { return -E.EBADF; }
  override pwrite(): number { return -E.EBADF; }
  override lseek(): number { return -E.EBADF; }
  override ioctl(): number { return -E.EBADF; }
  override getdents(): number { return -E.EBADF; }
  override fsync(): number { return -E.EBADF; }
  override truncate(): number { return -E.EBADF; }
  override fallocate(): number { return -E.EBADF; }
  override poll(): number { return 0x20; /* POLLNVAL */ }
  describe(): string {
    return 'path';
  }
}

/** Contents made once at open (procfs's seq_file, reduced). */
export class SeqFile extends InodeFile {
  private data: Uint8Array | null = null;
  constructor(flags: number, loc: Location, private readonly gen: () => Uint8Array | string) {
    super(flags, loc);
  }
  private content(): Uint8Array {
    if (!this.data) {
      const c = this.gen();
      this.data = typeof c === 'string' ? new TextEncoder().encode(c) : c;
    }
    return this.data;
  }
  override read(len: number): Uint8Array | number {
    const r = this.pread(len, this.pos);
    this.pos += r.length;
    return r;
  }
  override pread(len: number, pos: number): Uint8Array {
    const d = this.content();
    return d.slice(Math.min(pos, d.length), Math.min(pos + len, d.length));
  }
  override write(_data?: Uint8Array): number {
    return -E.EINVAL;
  }
  override lseek(offset: number, whence: number): number {
    let p: number;
    if (whence === SEEK_SET) p = offset;
    else if (whence === SEEK_CUR) p = this.pos + offset;
    else return -E.EINVAL;
    if (p < 0) return -E.EINVAL;
    if (p === 0) this.data = null; // rewinding reads fresh contents, as seq_file does
    this.pos = p;
    return p;
  }
  describe(): string {
    return 'proc';
  }
}

inodeOpeners.regular = (flags, loc) => new RegularFile(flags, loc);
inodeOpeners.dir = (flags, loc, cred) => new DirFile(flags, loc, cred);
vfsOpeners.path = (flags, loc) => new PathFile(flags, loc);

/** Directory descriptions that need the opener's credentials (procfs lists per reader). */
export function openDir(flags: number, loc: Location, cred: Cred): OpenFile {
  return new DirFile(flags, loc, cred);
}
