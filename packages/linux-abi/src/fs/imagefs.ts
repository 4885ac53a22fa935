/**
 * The root image file system (image.ts's format), read only: inodes are read from the image
 * on demand through the host, every block checked against the measured Merkle root. A block
 * the host altered is EIO for the read that touched it (and a line in the log).
 */
import { E, SysError } from '../errors.ts';
import { OpenFile } from './file.ts';
import { Inode, SuperBlock, S_IFDIR, S_IFLNK, S_IFREG, type Cred, type Timespec } from './inode.ts';
import { IMAGE_BLOCK, INODE_SIZE, IntegrityError, type VerifiedImage } from './image.ts';
import { openDir } from './files.ts';
import type { Location } from './vfs.ts';
import type { FileBacking } from '../mm/page-cache.ts';
import { nameFromBytes } from './names.ts';

/** statfs f_type for the image: SQUASHFS_MAGIC's role (a read-only image). */
export const TEEOS_IMAGE_MAGIC = 0x54454549;

function integrity<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof IntegrityError) throw new SysError(E.EIO);
    throw e;
  }
}

export class ImageFs {
  readonly sb: SuperBlock;
  private readonly inodes = new Map<number, Inode>();
  private inodeCount = 0;
  private tableOffset = 0;

  constructor(readonly img: VerifiedImage, clock: () => Timespec) {
    this.sb = new SuperBlock('teeosimg', TEEOS_IMAGE_MAGIC, clock, 0, 0);
  }

  /** Reads the superblock (verified) and the root directory. Throws SysError(EIO) when the image fails. */
  mount(): Inode {
    return integrity(() => {
      const b = this.img.block(0);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      this.inodeCount = Number(dv.getBigUint64(24, true));
      this.tableOffset = Number(dv.getBigUint64(32, true));
      const root = this.inode(Number(dv.getBigUint64(40, true)), null);
      root.parent = root;
      return root;
    });
  }

  /** Inode n (cached: one object per inode, so the VFS can compare them). */
  inode(n: number, parent: Inode | null, name?: string): Inode {
    const have = this.inodes.get(n);
    if (have) return have;
    if (!Number.isSafeInteger(n) || n < 1 || n > this.inodeCount) throw new IntegrityError(`bad inode number ${n}`);
    const rec = this.img.readBytes(this.tableOffset + (n - 1) * INODE_SIZE, INODE_SIZE);
    const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    const r: ImageRecord = {
      mode: dv.getUint32(0, true), uid: dv.getUint32(4, true), gid: dv.getUint32(8, true), nlink: dv.getUint32(12, true),
      size: Number(dv.getBigUint64(16, true)), offset: Number(dv.getBigUint64(24, true)),
      mtime: { sec: Number(dv.getBigInt64(32, true)), nsec: Math.min(dv.getUint32(40, true), 999_999_999) },
    };
    if (r.offset % IMAGE_BLOCK || r.offset + r.size > this.img.blocks * IMAGE_BLOCK) throw new IntegrityError(`inode ${n} points outside the image`);
    const type = r.mode & 0o170000;
    let inode: Inode;
    if (type === S_IFDIR) inode = new ImageDir(this, n, r);
    else if (type === S_IFLNK) inode = new ImageSymlink(this, n, r);
    else if (type === S_IFREG) inode = new ImageFile(this, n, r);
    else throw new IntegrityError(`inode ${n} has an unknown type`);
    if (parent && inode.isDir()) inode.parent = parent;
    if (name !== undefined && inode.isDir()) inode.name = name;
    this.inodes.set(n, inode);
    return inode;
  }
}

interface ImageRecord {
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  size: number;
  offset: number;
  mtime: Timespec;
}

abstract class ImageInode extends Inode {
  constructor(readonly fs: ImageFs, ino: number, readonly rec: ImageRecord) {
    super(fs.sb, rec.mode, rec.uid, rec.gid, ino);
    this.nlink = rec.nlink;
    this.atime = rec.mtime;
    this.mtime = rec.mtime;
    this.ctime = rec.mtime;
  }
  override size(): number {
    return this.rec.size;
  }
  override blocks(): number {
    return Math.ceil(this.rec.size / 4096) * 8;
  }
  /** Bytes of the contents, verified (throws SysError EIO). */
  readContents(pos: number, len: number): Uint8Array {
    const end = Math.min(this.rec.size, pos + len);
    if (pos >= end) return new Uint8Array(0);
    return integrity(() => this.fs.img.readBytes(this.rec.offset + pos, end - pos));
  }
  override touch(): void { /* read only: times never change */ }
}

class ImageDir extends ImageInode {
  private entries: Map<string, number> | null = null;
  private table(): Map<string, number> {
    if (this.entries) return this.entries;
    const t = this.readContents(0, this.rec.size);
    const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
    const m = new Map<string, number>();
    for (let o = 0; o + 8 <= t.length;) {
      const ino = dv.getUint32(o, true), len = dv.getUint16(o + 6, true);
      if (o + 8 + len > t.length) throw new SysError(E.EIO);
      m.set(nameFromBytes(t.subarray(o + 8, o + 8 + len)), ino);
      o += Math.ceil((8 + len) / 8) * 8;
    }
    this.entries = m;
    return m;
  }
  override lookup(name: string): Inode | null {
    const n = this.table().get(name);
    return n === undefined ? null : integrity(() => this.fs.inode(n, this, name));
  }
  override list(): [string, Inode][] {
    return [...this.table()].map(([name, n]) => [name, integrity(() => this.fs.inode(n, this, name))]);
  }
  override open(flags: number, loc: Location, cred: Cred): OpenFile {
    return openDir(flags, loc, cred);
  }
}

class ImageSymlink extends ImageInode {
  override readlink(): string {
    return nameFromBytes(this.readContents(0, this.rec.size));
  }
  override open(): OpenFile {
    throw new SysError(E.ELOOP);
  }
}

export class ImageFile extends ImageInode {
  /** Read only: mappings read verified contents; nothing is ever written back. */
  override backing(): FileBacking {
    return { size: () => this.rec.size, readRaw: (pos, len) => this.readContents(pos, len), writeRaw: () => {} };
  }
  override open(flags: number, loc: Location): OpenFile {
    return new ImageOpenFile(flags, loc, this);
  }
}

const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;

/** An open regular file of the image: read, pread, lseek; writing is EBADF (opened read only by the VFS). */
export class ImageOpenFile extends OpenFile {
  constructor(flags: number, loc: Location, private readonly file: ImageFile) {
    super(flags);
    this.loc = loc;
    file.opens++;
  }
  override read(len: number): Uint8Array | number {
    const r = this.pread(len, this.pos);
    if (typeof r !== 'number') this.pos += r.length;
    return r;
  }
  override pread(len: number, pos: number): Uint8Array | number {
    try {
      return this.file.readContents(pos, len);
    } catch (e) {
      if (e instanceof SysError) return -e.errno;
      throw e;
    }
  }
  override write(): number {
    return -E.EBADF;
  }
  override pwrite(): number {
    return -E.EBADF;
  }
  override lseek(offset: number, whence: number): number {
    const size = this.file.size();
    let p: number;
    switch (whence) {
      case SEEK_SET: p = offset; break;
      case SEEK_CUR: p = this.pos + offset; break;
      case SEEK_END: p = size + offset; break;
      case SEEK_DATA: if (offset < 0 || offset >= size) return -E.ENXIO; p = offset; break;
      case SEEK_HOLE: if (offset < 0 || offset >= size) return -E.ENXIO; p = size; break;
      default: return -E.EINVAL;
    }
    if (p < 0) return -E.EINVAL;
    this.pos = p;
    return p;
  }
  override fsync(): number {
    return 0;
  }
  override readable(): number {
    return Math.max(0, this.file.size() - this.pos);
  }
  override close(): void {
    this.file.opens--;
  }
  describe(): string {
    return 'file';
  }
}

