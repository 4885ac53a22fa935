/**
 * The host's file services (HostFileRequest in @teeos/hal): the root image, read only, on host
 * descriptor 3, and the `--mount HOSTDIR:/mnt[:ro]` directories on 4, 5, ... Requests name
 * files by a descriptor and a path relative to it; paths that leave their mount ("..", absolute)
 * are refused here as a courtesy; the enclave resolves names itself, one component at a time.
 *
 * What crosses here is the host's own data: for --mount files the enclave gets neither
 * confidentiality nor integrity (they are the host's files); the root image is different:
 * every block is checked in the enclave against the measured Merkle root.
 */
import {
  closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync, renameSync, rmdirSync,
  symlinkSync, linkSync, unlinkSync, writeSync, lstatSync, statSync, chmodSync, constants, type Stats, type BigIntStats,
} from 'node:fs';
import { join, normalize, isAbsolute } from 'node:path';

const EBADF = 9, EINVAL = 22, ENOSYS = 38, EIO = 5, EROFS = 30, EACCES = 13, ENOTDIR = 20;
export const HOST_ROOT_IMAGE_FD = 3;
export const HOST_FIRST_MOUNT_FD = 4;

export interface MountSpec {
  hostDir: string;
  /** Where the enclave mounts it (absolute). */
  at: string;
  readonly: boolean;
}

interface HostFd {
  /** Node's descriptor (files) or -1 (directories: listed by path). */
  fd: number;
  /** Mount-relative path of this descriptor. */
  path: string;
  mount: number;
  dir: boolean;
  /** Directory listing position (getdents64); a file's offset once it is shared (lseek). */
  pos: number;
  /** Descriptor numbers naming this entry (dup: an SGX fork child's copy shares it, as a file description). */
  refs?: number;
}

function errnoOf(e: unknown): number {
  const code = (e as { errno?: number }).errno;
  return typeof code === 'number' ? Math.abs(code) : EIO;
}

/** struct stat (asm-generic, 128 bytes). */
export function encodeStat(st: BigIntStats): Uint8Array {
  const b = new Uint8Array(128);
  const dv = new DataView(b.buffer);
  const u64 = (o: number, v: bigint) => dv.setBigUint64(o, BigInt.asUintN(64, v), true);
  u64(0, st.dev);
  u64(8, st.ino);
  dv.setUint32(16, Number(st.mode), true);
  dv.setUint32(20, Number(st.nlink), true);
  dv.setUint32(24, Number(st.uid), true);
  dv.setUint32(28, Number(st.gid), true);
  u64(32, st.rdev);
  u64(48, st.size);
  dv.setInt32(56, Number(st.blksize), true);
  u64(64, st.blocks);
  u64(72, st.atimeNs / 1_000_000_000n);
  u64(80, st.atimeNs % 1_000_000_000n);
  u64(88, st.mtimeNs / 1_000_000_000n);
  u64(96, st.mtimeNs % 1_000_000_000n);
  u64(104, st.ctimeNs / 1_000_000_000n);
  u64(112, st.ctimeNs % 1_000_000_000n);
  return b;
}

function dtypeOf(st: Stats): number {
  if (st.isDirectory()) return 4;
  if (st.isSymbolicLink()) return 10;
  if (st.isFile()) return 8;
  if (st.isFIFO()) return 1;
  if (st.isSocket()) return 12;
  if (st.isCharacterDevice()) return 2;
  if (st.isBlockDevice()) return 6;
  return 0;
}

export class HostFiles {
  private readonly fds = new Map<number, HostFd>();
  private nextFd: number;
  private readonly imageFd: number | null;

  constructor(imageFile: string | null, private readonly mounts: MountSpec[]) {
    this.imageFd = imageFile ? openSync(imageFile, 'r') : null;
    mounts.forEach((m, i) => this.fds.set(HOST_FIRST_MOUNT_FD + i, { fd: -1, path: '', mount: i, dir: true, pos: 0 }));
    this.nextFd = HOST_FIRST_MOUNT_FD + mounts.length + 16;
  }

  close(): void {
    if (this.imageFd !== null) closeSync(this.imageFd);
    for (const f of this.fds.values()) if (f.fd >= 0) try { closeSync(f.fd); } catch { /* gone */ }
  }

  /** The host path of (dirfd, path), or a negative errno. */
  private resolve(dirfd: number, path: string): { host: string; rel: string; mount: number } | number {
    const d = this.fds.get(dirfd);
    if (!d) return -EBADF;
    if (!d.dir) return -ENOTDIR;
    if (isAbsolute(path)) return -EINVAL;
    const rel = normalize(join(d.path, path));
    if (rel === '..' || rel.startsWith('../') || isAbsolute(rel)) return -EACCES;
    return { host: join(this.mounts[d.mount].hostDir, rel === '.' ? '' : rel), rel: rel === '.' ? '' : rel, mount: d.mount };
  }

  private ro(mount: number): boolean {
    return this.mounts[mount].readonly;
  }

  call(nr: number, args: number[], data: Uint8Array, outLen: number): { ret: number; out?: Uint8Array } {
    const strs = () => new TextDecoder().decode(data).split('\0');
    try {
      switch (nr) {
        case 67: { // pread64(fd, len, offset)
          const [fd, len, off] = args;
          if (len < 0 || len > outLen || off < 0) return { ret: -EINVAL };
          const nodeFd = fd === HOST_ROOT_IMAGE_FD ? this.imageFd : this.fds.get(fd)?.fd ?? null;
          if (nodeFd === null || nodeFd < 0) return { ret: -EBADF };
          const buf = new Uint8Array(len);
          let got = 0;
          while (got < len) {
            const n = readSync(nodeFd, buf, got, len - got, off + got);
            if (n === 0) break;
            got += n;
          }
          return { ret: got, out: buf.subarray(0, got) };
        }
        case 68: { // pwrite64(fd, len, offset)
          const [fd, len, off] = args;
          const f = this.fds.get(fd);
          if (!f || f.fd < 0) return { ret: -EBADF };
          if (len !== data.length || off < 0) return { ret: -EINVAL };
          return { ret: writeSync(f.fd, data, 0, len, off) };
        }
        case 56: { // openat(dirfd, flags, mode)
          const [dirfd, flags, mode] = args;
          const r = this.resolve(dirfd, strs()[0]);
          if (typeof r === 'number') return { ret: r };
          const acc = flags & 3;
          if (this.ro(r.mount) && (acc !== 0 || flags & (0o100 | 0o1000))) return { ret: -EROFS };
          const st = (() => { try { return lstatSync(r.host); } catch { return null; } })();
          const fd = this.nextFd++;
          if (st?.isDirectory()) {
            this.fds.set(fd, { fd: -1, path: r.rel, mount: r.mount, dir: true, pos: 0 });
            return { ret: fd };
          }
          // O_ACCMODE, O_CREAT, O_EXCL, O_TRUNC, O_APPEND map to Node's; nothing else is passed.
          let nf = acc === 0 ? constants.O_RDONLY : acc === 1 ? constants.O_WRONLY : constants.O_RDWR;
          if (flags & 0o100) nf |= constants.O_CREAT;
          if (flags & 0o200) nf |= constants.O_EXCL;
          if (flags & 0o1000) nf |= constants.O_TRUNC;
          nf |= constants.O_NOFOLLOW;
          this.fds.set(fd, { fd: openSync(r.host, nf, mode & 0o7777), path: r.rel, mount: r.mount, dir: false, pos: 0 });
          return { ret: fd };
        }
        case 57: { // close(fd)
          const f = this.fds.get(args[0]);
          if (!f || args[0] < HOST_FIRST_MOUNT_FD + this.mounts.length) return { ret: -EBADF };
          this.fds.delete(args[0]);
          f.refs = (f.refs ?? 1) - 1;
          if (f.refs === 0 && f.fd >= 0) closeSync(f.fd);
          return { ret: 0 };
        }
        case 23: { // dup(fd): another number for the same entry (node descriptor and offset)
          const f = this.fds.get(args[0]);
          if (!f || args[0] < HOST_FIRST_MOUNT_FD + this.mounts.length) return { ret: -EBADF };
          f.refs = (f.refs ?? 1) + 1;
          const fd = this.nextFd++;
          this.fds.set(fd, f);
          return { ret: fd };
        }
        case 62: { // lseek(fd, offset, whence): SEEK_SET or SEEK_CUR on the entry's shared offset
          const [fd, off, whence] = args;
          const f = this.fds.get(fd);
          if (!f || f.fd < 0) return { ret: -EBADF };
          const p = whence === 0 ? off : whence === 1 ? f.pos + off : -1;
          if (!Number.isSafeInteger(p) || p < 0) return { ret: -EINVAL };
          f.pos = p;
          return { ret: p };
        }
        case 61: { // getdents64(fd): linux_dirent64 records from the descriptor's position
          const f = this.fds.get(args[0]);
          if (!f || !f.dir) return { ret: f ? -ENOTDIR : -EBADF };
          const dir = join(this.mounts[f.mount].hostDir, f.path);
          const names = readdirSync(dir).sort();
          const out = new Uint8Array(outLen);
          const dv = new DataView(out.buffer);
          let o = 0;
          for (; f.pos < names.length; f.pos++) {
            const name = new TextEncoder().encode(names[f.pos]);
            const reclen = Math.ceil((19 + name.length + 1) / 8) * 8;
            if (o + reclen > outLen) break;
            let st: Stats;
            try { st = lstatSync(join(dir, names[f.pos])); } catch { continue; }
            dv.setBigUint64(o, BigInt(st.ino), true);
            dv.setBigInt64(o + 8, BigInt(f.pos + 1), true);
            dv.setUint16(o + 16, reclen, true);
            out[o + 18] = dtypeOf(st);
            out.set(name, o + 19);
            o += reclen;
          }
          if (o === 0 && f.pos < names.length) return { ret: -EINVAL };
          return { ret: o, out: out.subarray(0, o) };
        }
        case 79: { // newfstatat(dirfd, flags)
          const [dirfd, flags] = args;
          const path = strs()[0];
          const f = this.fds.get(dirfd);
          if (path === '' && flags & 0x1000) {
            if (!f) return { ret: -EBADF };
            return { ret: 0, out: encodeStat(f.fd >= 0 ? fstatSync(f.fd, { bigint: true }) : lstatSync(join(this.mounts[f.mount].hostDir, f.path), { bigint: true })) };
          }
          const r = this.resolve(dirfd, path);
          if (typeof r === 'number') return { ret: r };
          return { ret: 0, out: encodeStat(flags & 0x100 ? lstatSync(r.host, { bigint: true }) : statSync(r.host, { bigint: true })) };
        }
        case 78: { // readlinkat(dirfd)
          const r = this.resolve(args[0], strs()[0]);
          if (typeof r === 'number') return { ret: r };
          const t = new TextEncoder().encode(readlinkSync(r.host));
          const n = Math.min(t.length, outLen);
          return { ret: n, out: t.subarray(0, n) };
        }
        case 34: case 35: case 53: { // mkdirat(dirfd, mode), unlinkat(dirfd, flags), fchmodat(dirfd, mode)
          const r = this.resolve(args[0], strs()[0]);
          if (typeof r === 'number') return { ret: r };
          if (this.ro(r.mount)) return { ret: -EROFS };
          if (nr === 34) mkdirSync(r.host, args[1] & 0o7777);
          else if (nr === 53) chmodSync(r.host, args[1] & 0o7777);
          else if (args[1] & 0x200) rmdirSync(r.host);
          else unlinkSync(r.host);
          return { ret: 0 };
        }
        case 36: { // symlinkat(newdirfd): target\0 path\0
          const [target, path] = strs();
          const r = this.resolve(args[0], path ?? '');
          if (typeof r === 'number') return { ret: r };
          if (this.ro(r.mount)) return { ret: -EROFS };
          symlinkSync(target, r.host);
          return { ret: 0 };
        }
        case 37: case 38: { // linkat / renameat(olddirfd, newdirfd): old\0 new\0 (linkat never follows a symlink: no AT_SYMLINK_FOLLOW)
          const [a, b] = strs();
          const r1 = this.resolve(args[0], a), r2 = this.resolve(args[1], b ?? '');
          if (typeof r1 === 'number') return { ret: r1 };
          if (typeof r2 === 'number') return { ret: r2 };
          if (r1.mount !== r2.mount) return { ret: -18 }; // EXDEV
          if (this.ro(r1.mount)) return { ret: -EROFS };
          (nr === 37 ? linkSync : renameSync)(r1.host, r2.host);
          return { ret: 0 };
        }
        case 46: { // ftruncate(fd, length)
          const f = this.fds.get(args[0]);
          if (!f || f.fd < 0) return { ret: -EBADF };
          if (this.ro(f.mount)) return { ret: -EROFS };
          ftruncateSync(f.fd, args[1]);
          return { ret: 0 };
        }
        default:
          return { ret: -ENOSYS };
      }
    } catch (e) {
      return { ret: -errnoOf(e) };
    }
  }
}

/** Services with the file calls added (the root image and the mounts served by `files`). */
export function withFiles<S extends object>(inner: S, files: HostFiles): S & { fs(nr: number, args: number[], data: Uint8Array, outLen: number): { ret: number; out?: Uint8Array } } {
  const bound: Record<string, unknown> = {};
  for (const k of ['write', 'read', 'fstat', 'tcgets', 'tcsets', 'winsize', 'clock', 'console'] as const) {
    const f = (inner as Record<string, unknown>)[k];
    if (typeof f === 'function') bound[k] = (f as (...a: unknown[]) => unknown).bind(inner);
  }
  // The standard streams (host descriptors 0..2) stay the inner services' (a non-blocking look at the terminal).
  const innerFs = (inner as { fs?: (nr: number, args: number[], data: Uint8Array, outLen: number) => { ret: number; out?: Uint8Array } }).fs;
  bound.fs = (nr: number, args: number[], data: Uint8Array, outLen: number) =>
    nr === 286 && args[0] === 0 && innerFs ? innerFs.call(inner, nr, args, data, outLen) : files.call(nr, args, data, outLen);
  return bound as S & { fs(nr: number, args: number[], data: Uint8Array, outLen: number): { ret: number; out?: Uint8Array } };
}

/** `--mount HOSTDIR:/mnt[:ro]`. */
export function parseMount(spec: string): MountSpec {
  const parts = spec.split(':');
  const ro = parts.length === 3 && parts[2] === 'ro';
  if (parts.length < 2 || parts.length > 3 || (parts.length === 3 && !ro && parts[2] !== 'rw')) throw new Error(`bad mount '${spec}' (HOSTDIR:/PATH[:ro])`);
  const [hostDir, at] = parts;
  if (!at.startsWith('/') || at === '/' || at.split('/').some((c) => c === '..' || c === '.')) throw new Error(`mount point must be an absolute path other than /: '${at}'`);
  let st;
  try { st = statSync(hostDir); } catch { throw new Error(`${hostDir}: No such file or directory`); }
  if (!st.isDirectory()) throw new Error(`${hostDir}: not a directory`);
  return { hostDir, at: at.replace(/\/+$/, ''), readonly: ro };
}
