/**
 * Host pass-through mounts (`teeos run --mount HOSTDIR:/mnt[:ro]`): files the untrusted host
 * serves through host file calls (HostFileRequest). These are the host's files: the enclave
 * gets NO confidentiality (the host sees every byte read and written) and NO integrity (the
 * host may return anything) for them. What the enclave does check is that every answer is
 * well formed: ret within what was asked, output lengths, directory records inside their
 * buffer with sane names, stat fields of allowed types and ranges; errno values outside
 * 1..4095 become EIO. Ownership is shown as the enclave's user (as virtiofs/9p "mapped"
 * modes do); mode bits come from the host.
 *
 * Names are resolved by the enclave's VFS one component at a time (lstat per component), so
 * the host never resolves a symlink or ".." on the enclave's behalf.
 */
import type { HostChannel } from '@teeos/hal';
import { E, SysError } from '../errors.ts';
import { decodeStat, STAT_SIZE } from '../abi/structs.ts';
import { OpenFile, type DirEntry } from './file.ts';
import { Inode, SuperBlock, S_IFDIR, S_IFLNK, S_IFREG, S_IFMT, type Cred, type Timespec } from './inode.ts';
import { openDir } from './files.ts';
import type { FileBacking } from '../mm/page-cache.ts';
import type { Location } from './vfs.ts';
import { nameFromBytes, nameToBytes } from './names.ts';

/** statfs f_type: FUSE_SUPER_MAGIC's role (files served from outside the kernel). */
export const HOSTFS_MAGIC = 0x65735546;

const NR_MKDIRAT = 34, NR_UNLINKAT = 35, NR_SYMLINKAT = 36, NR_LINKAT = 37, NR_RENAMEAT = 38, NR_FTRUNCATE = 46, NR_FCHMODAT = 53;
const NR_DUP = 23, NR_LSEEK = 62, NR_OPENAT = 56, NR_CLOSE = 57, NR_GETDENTS64 = 61, NR_PREAD64 = 67, NR_PWRITE64 = 68, NR_READLINKAT = 78, NR_NEWFSTATAT = 79;
const AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200;

function cstr(...parts: string[]): Uint8Array {
  return nameToBytes(parts.map((p) => p + '\0').join(''));
}

export class HostFs {
  readonly sb: SuperBlock;
  private readonly byPath = new Map<string, Inode>();
  readonly chunk: number;

  constructor(readonly host: HostChannel, readonly mountFd: number, readonly readonly: boolean,
    readonly uid: number, readonly gid: number, clock: () => Timespec) {
    this.sb = new SuperBlock('hostfs', HOSTFS_MAGIC, clock, 0, 0);
    this.chunk = Math.max(4096, Math.floor((host.maxPayload - 4096) / 4096) * 4096);
  }

  /** One host file call; a negative errno outside Linux's range is EIO. */
  call(nr: number, args: number[], data: Uint8Array = new Uint8Array(0), outLen = 0): { ret: number; data: Uint8Array } {
    const r = this.host.call({ op: 'fs', nr, args, data, outLen });
    if (!Number.isSafeInteger(r.ret) || r.ret < -4095) return { ret: -E.EIO, data: r.data };
    if (r.data.length < outLen) return { ret: -E.EIO, data: r.data };
    return r;
  }
  check(ret: number): number {
    if (ret < 0) throw new SysError(-ret);
    return ret;
  }

  /** A validated stat of `rel` (lstat), or null for ENOENT. */
  lstat(rel: string): { mode: number; size: number; ino: number; nlink: number; mtime: Timespec; atime: Timespec; ctime: Timespec } | null {
    const r = this.call(NR_NEWFSTATAT, [this.mountFd, AT_SYMLINK_NOFOLLOW], cstr(rel === '' ? '.' : rel), STAT_SIZE);
    if (r.ret === -E.ENOENT) return null;
    this.check(r.ret);
    return this.sane(r.data);
  }

  sane(b: Uint8Array) {
    if (b.length < STAT_SIZE) throw new SysError(E.EIO);
    const s = decodeStat(b.subarray(0, STAT_SIZE));
    const type = s.mode & S_IFMT;
    if (type !== S_IFREG && type !== S_IFDIR && type !== S_IFLNK) throw new SysError(E.EIO);
    const n = (v: number, max: number) => (Number.isSafeInteger(v) && v >= 0 && v <= max ? v : -1);
    const size = n(s.size, Number.MAX_SAFE_INTEGER);
    if (size < 0) throw new SysError(E.EIO);
    const t = (sec: number, nsec: number): Timespec => ({ sec: n(sec, 2 ** 40) < 0 ? 0 : sec, nsec: n(nsec, 999_999_999) < 0 ? 0 : nsec });
    return {
      mode: type | (s.mode & 0o7777), size, ino: Math.max(1, n(s.ino, 2 ** 53 - 1)), nlink: Math.max(1, n(s.nlink, 2 ** 31)),
      mtime: t(s.mtimeSec, s.mtimeNsec), atime: t(s.atimeSec, s.atimeNsec), ctime: t(s.ctimeSec, s.ctimeNsec),
    };
  }

  /** The inode for `rel` (one object per path while it keeps its type). */
  inode(rel: string, parent: Inode | null, name?: string): Inode | null {
    const st = this.lstat(rel);
    if (!st) {
      this.byPath.delete(rel);
      return null;
    }
    let i = this.byPath.get(rel);
    if (i && (i.mode & S_IFMT) === (st.mode & S_IFMT)) {
      (i as HostInode).refresh(st);
      return i;
    }
    const type = st.mode & S_IFMT;
    i = type === S_IFDIR ? new HostDir(this, rel, st) : type === S_IFLNK ? new HostSymlink(this, rel, st) : new HostFile(this, rel, st);
    if (i.isDir()) {
      i.parent = parent ?? i;
      if (name !== undefined) i.name = name;
    }
    this.byPath.set(rel, i);
    return i;
  }

  forget(rel: string): void {
    for (const k of [...this.byPath.keys()]) if (k === rel || k.startsWith(rel + '/')) this.byPath.delete(k);
  }

  root(): Inode {
    const r = this.inode('', null);
    if (!r || !r.isDir()) throw new SysError(E.EIO);
    r.parent = r;
    return r;
  }
}

type HostStat = NonNullable<ReturnType<HostFs['lstat']>>;

abstract class HostInode extends Inode {
  private sz: number;
  constructor(readonly fs: HostFs, public rel: string, st: HostStat) {
    super(fs.sb, st.mode, fs.uid, fs.gid, st.ino);
    this.sz = st.size;
    this.refresh(st);
  }
  refresh(st: HostStat): void {
    this.mode = st.mode;
    this.sz = st.size;
    this.nlink = st.nlink;
    this.atime = st.atime;
    this.mtime = st.mtime;
    this.ctime = st.ctime;
  }
  override size(): number {
    return this.sz;
  }
  override storeMode(mode: number): void {
    this.fs.check(this.fs.call(NR_FCHMODAT, [this.fs.mountFd, mode & 0o7777], cstr(this.rel === '' ? '.' : this.rel)).ret);
  }
  override blocks(): number {
    return Math.ceil(this.sz / 4096) * 8;
  }
  override stat() {
    const st = this.fs.lstat(this.rel);
    if (st) this.refresh(st);
    return super.stat();
  }
  child(name: string): string {
    return this.rel === '' ? name : `${this.rel}/${name}`;
  }
}

/** Directory operations the VFS calls for file systems that keep their own names (vfs.ts DirOps). */
export interface DirOps {
  create(name: string, mode: number): Inode;
  mkdir(name: string, mode: number): void;
  symlink(name: string, target: string): void;
  /** A hard link `name` to `target`, an inode of the same file system (vfs.ts has checked the rest). */
  link?(name: string, target: Inode): void;
  unlink(name: string, dir: boolean): void;
  rename(name: string, to: Inode, toName: string): void;
}

export class HostDir extends HostInode implements DirOps {
  override lookup(name: string): Inode | null {
    return this.fs.inode(this.child(name), this, name);
  }
  override list(): [string, Inode][] {
    const fs = this.fs;
    const fd = fs.check(fs.call(NR_OPENAT, [fs.mountFd, 0o200000 /* O_DIRECTORY */, 0], cstr(this.rel === '' ? '.' : this.rel)).ret);
    const names: string[] = [];
    try {
      for (let guard = 0; guard < 100000; guard++) {
        const r = fs.call(NR_GETDENTS64, [fd], new Uint8Array(0), 65536);
        const n = fs.check(r.ret);
        if (n === 0) break;
        if (n > 65536) throw new SysError(E.EIO);
        const dv = new DataView(r.data.buffer, r.data.byteOffset, n);
        for (let o = 0; o < n;) {
          if (o + 19 > n) throw new SysError(E.EIO);
          const reclen = dv.getUint16(o + 16, true);
          if (reclen < 20 || o + reclen > n) throw new SysError(E.EIO);
          const raw = r.data.subarray(o + 19, o + reclen);
          const z = raw.indexOf(0);
          if (z <= 0) throw new SysError(E.EIO);
          const name = nameFromBytes(raw.subarray(0, z));
          if (name.includes('/') || name.length > 255) throw new SysError(E.EIO);
          if (name !== '.' && name !== '..' && !names.includes(name)) names.push(name);
          o += reclen;
        }
      }
    } finally {
      fs.call(NR_CLOSE, [fd]);
    }
    const out: [string, Inode][] = [];
    for (const name of names) {
      const i = this.lookup(name);
      if (i) out.push([name, i]);
    }
    return out;
  }
  override get mutable(): boolean {
    return !this.fs.readonly;
  }
  override dirOps(): DirOps | null {
    return this;
  }
  override open(flags: number, loc: Location, cred: Cred): OpenFile {
    return openDir(flags, loc, cred);
  }
  create(name: string, mode: number): Inode {
    const fs = this.fs;
    const fd = fs.check(fs.call(NR_OPENAT, [fs.mountFd, 0o100 | 0o200 | 1 /* O_CREAT|O_EXCL|O_WRONLY */, mode & 0o7777], cstr(this.child(name))).ret);
    fs.call(NR_CLOSE, [fd]);
    const i = this.lookup(name);
    if (!i) throw new SysError(E.EIO);
    return i;
  }
  mkdir(name: string, mode: number): void {
    this.fs.check(this.fs.call(NR_MKDIRAT, [this.fs.mountFd, mode & 0o7777], cstr(this.child(name))).ret);
  }
  symlink(name: string, target: string): void {
    this.fs.check(this.fs.call(NR_SYMLINKAT, [this.fs.mountFd], cstr(target, this.child(name))).ret);
  }
  link(name: string, target: Inode): void {
    if (!(target instanceof HostInode) || target.fs !== this.fs) throw new SysError(E.EXDEV);
    this.fs.check(this.fs.call(NR_LINKAT, [this.fs.mountFd, this.fs.mountFd], cstr(target.rel, this.child(name))).ret);
    this.fs.forget(this.child(name));
    target.stat(); // its link count
  }
  unlink(name: string, dir: boolean): void {
    this.fs.check(this.fs.call(NR_UNLINKAT, [this.fs.mountFd, dir ? AT_REMOVEDIR : 0], cstr(this.child(name))).ret);
    this.fs.forget(this.child(name));
  }
  rename(name: string, to: Inode, toName: string): void {
    const dst = (to as HostDir).child(toName);
    this.fs.check(this.fs.call(NR_RENAMEAT, [this.fs.mountFd, this.fs.mountFd], cstr(this.child(name), dst)).ret);
    this.fs.forget(this.child(name));
    this.fs.forget(dst);
  }
}

class HostSymlink extends HostInode {
  override readlink(): string {
    const r = this.fs.call(NR_READLINKAT, [this.fs.mountFd], cstr(this.rel), 4096);
    const n = this.fs.check(r.ret);
    if (n > 4096) throw new SysError(E.EIO);
    return nameFromBytes(r.data.subarray(0, n));
  }
  override open(): OpenFile {
    throw new SysError(E.ELOOP);
  }
}

export class HostFile extends HostInode {
  override setSize(len: number): void {
    const f = this.fs;
    const fd = f.check(f.call(NR_OPENAT, [f.mountFd, 1, 0], cstr(this.rel)).ret);
    try {
      f.check(f.call(NR_FTRUNCATE, [fd, len]).ret);
    } finally {
      f.call(NR_CLOSE, [fd]);
    }
    this.truncated(len);
  }
  /** After a truncate: mapped pages past the new end go (SIGBUS there, as on Linux). */
  truncated(len: number): void {
    this.pageCache?.truncated(len);
  }
  /** One host file operation on a descriptor opened for it (the page cache has no open file). */
  private withFd<T>(acc: number, fn: (fd: number) => T): T {
    const f = this.fs;
    const fd = f.check(f.call(NR_OPENAT, [f.mountFd, acc, 0], cstr(this.rel)).ret);
    try {
      return fn(fd);
    } finally {
      f.call(NR_CLOSE, [fd]);
    }
  }
  override backing(): FileBacking {
    const f = this.fs;
    return {
      size: () => this.stat().size,
      readRaw: (pos, len) => this.withFd(0, (fd) => {
        const want = Math.min(len, f.chunk);
        const r = f.call(NR_PREAD64, [fd, want, pos], new Uint8Array(0), want);
        f.check(r.ret);
        if (r.ret > want) throw new SysError(E.EIO);
        return r.data.slice(0, r.ret);
      }),
      writeRaw: (pos, d) => this.withFd(1, (fd) => {
        const r = f.call(NR_PWRITE64, [fd, d.length, pos], d);
        f.check(r.ret);
      }),
    };
  }
  override open(flags: number, loc: Location): OpenFile {
    const fs = this.fs;
    // Only the access mode goes to the host (O_TRUNC is done by the VFS through truncate).
    const fd = fs.check(fs.call(NR_OPENAT, [fs.mountFd, flags & 3, 0], cstr(this.rel)).ret);
    return new HostOpenFile(flags, loc, this, fd);
  }
}

const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;

export class HostOpenFile extends OpenFile {
  /**
   * Whether this description is shared with another enclave (a child forked into its own enclave holds a host dup
   * of it): then the host keeps the offset, as Linux's file description does for a parent and
   * child, and every positioned step reads it from and writes it back to the host.
   */
  private shared: boolean;
  constructor(flags: number, loc: Location, readonly file: HostFile, private readonly fd: number, shared = false) {
    super(flags);
    this.loc = loc;
    this.shared = shared;
  }
  private get fs(): HostFs {
    return this.file.fs;
  }
  /**
   * A host descriptor for another enclave naming this same description (offset included): the
   * host dups it after this side's offset went to the host. A negative errno when it cannot.
   */
  shareWithChild(): number {
    if (!this.shared) {
      const r = this.fs.call(NR_LSEEK, [this.fd, this.pos, 0]).ret;
      if (r < 0) return r;
      this.shared = true;
    }
    const fd = this.fs.call(NR_DUP, [this.fd]).ret;
    return fd;
  }
  override position(): number {
    if (!this.shared) return this.pos;
    // An offset the host makes up only moves where this enclave reads and writes the host's own file.
    const r = this.fs.call(NR_LSEEK, [this.fd, 0, 1]).ret;
    if (r >= 0) this.pos = r;
    return this.pos;
  }
  override setPosition(p: number): void {
    this.pos = p;
    if (this.shared) this.fs.call(NR_LSEEK, [this.fd, p, 0]);
  }
  override read(len: number): Uint8Array | number {
    const pos = this.position();
    const r = this.pread(len, pos);
    if (typeof r !== 'number') this.setPosition(pos + r.length);
    return r;
  }
  override pread(len: number, pos: number): Uint8Array | number {
    if ((this.flags & 3) === 1) return -E.EBADF;
    const want = Math.min(len, this.fs.chunk);
    const r = this.fs.call(NR_PREAD64, [this.fd, want, pos], new Uint8Array(0), want);
    if (r.ret < 0) return r.ret;
    if (r.ret > want) return -E.EIO;
    const out = r.data.slice(0, r.ret);
    this.file.pageCache?.overlay(pos, out); // mapped pages hold the newest bytes
    return out;
  }
  override write(data: Uint8Array): number {
    const pos = this.flags & 0o2000 ? this.file.stat().size : this.position();
    const n = this.pwrite(data, pos);
    if (n > 0) this.setPosition(pos + n);
    return n;
  }
  override pwrite(data: Uint8Array, pos: number): number {
    if ((this.flags & 3) === 0) return -E.EBADF;
    let done = 0;
    while (done < data.length) {
      const chunk = data.subarray(done, done + this.fs.chunk);
      const r = this.fs.call(NR_PWRITE64, [this.fd, chunk.length, pos + done], chunk);
      if (r.ret < 0) return done > 0 ? done : r.ret;
      if (r.ret > chunk.length) return -E.EIO;
      done += r.ret;
      if (r.ret < chunk.length) break;
    }
    if (done > 0) this.file.pageCache?.update(pos, data.subarray(0, done));
    return done;
  }
  override lseek(offset: number, whence: number): number {
    let p: number;
    if (whence === SEEK_SET) p = offset;
    else if (whence === SEEK_CUR) p = this.position() + offset;
    else if (whence === SEEK_END) p = this.file.stat().size + offset;
    else return -E.EINVAL;
    if (p < 0) return -E.EINVAL;
    this.setPosition(p);
    return p;
  }
  override truncate(len: number): number {
    const r = Math.min(0, this.fs.call(NR_FTRUNCATE, [this.fd, len]).ret);
    if (r === 0) this.file.truncated(len);
    return r;
  }
  override fsync(): number {
    try {
      this.file.pageCache?.writeback(); // pages written through shared mappings go to the host
    } catch (e) {
      if (e instanceof SysError) return -e.errno;
      throw e;
    }
    return 0;
  }
  override readable(): number {
    return Math.max(0, this.file.stat().size - this.position());
  }
  override getdents(): DirEntry[] | number {
    return -E.ENOTDIR;
  }
  override close(): void {
    this.fs.call(NR_CLOSE, [this.fd]);
  }
  describe(): string {
    return 'file';
  }
}

