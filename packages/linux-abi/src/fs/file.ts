/**
 * Open file descriptions and descriptor tables. Every operation of OpenFile defaults to the
 * errno Linux gives for a file that does not support it (as browser_wasi_shim's Fd does);
 * subclasses override only what they support. A description is shared by dup, fork and
 * SCM_RIGHTS: it counts its descriptor references and is closed when the last one goes.
 */
import { E } from '../errors.ts';
import type { Stat } from '../abi/structs.ts';
import type { Location } from './vfs.ts';
import type { WaitQueue } from './wait.ts';

// include/uapi/asm-generic/poll.h
export const POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
export const POLLRDNORM = 0x40, POLLRDBAND = 0x80, POLLWRNORM = 0x100, POLLWRBAND = 0x200, POLLRDHUP = 0x2000;

/** One getdents64 record before encoding. */
export interface DirEntry { ino: number; type: number; name: string; off: number }

export abstract class OpenFile {
  /** O_* status flags (access mode, O_APPEND, O_NONBLOCK, ...). */
  flags: number;
  /** Descriptor references (FdTable entries) to this description. */
  refs = 0;
  /** The file position, for files that have one. */
  pos = 0;
  /** Where a path-opened file was found (fstat, *at dirfds, fchdir, /proc/PID/fd). */
  loc: Location | null = null;

  constructor(flags: number) {
    this.flags = flags;
  }
  /** Bytes read at the file position (empty at end of file) or a negative errno. -EAGAIN: would block. */
  read(_len: number): Uint8Array | number {
    return -E.EINVAL;
  }
  /** Bytes written or a negative errno. -EAGAIN: would block (nothing written). */
  write(_data: Uint8Array): number {
    return -E.EINVAL;
  }
  pread(_len: number, _pos: number): Uint8Array | number {
    return -E.ESPIPE;
  }
  /**
   * read() for a caller that copies the bytes out at once (read, readv into user memory): the
   * result may be a view of the file's own buffer, valid only until the next operation on it.
   * Files that can avoid a copy override these; the rest answer with read()/pread().
   */
  readTransient(len: number): Uint8Array | number {
    return this.read(len);
  }
  preadTransient(len: number, pos: number): Uint8Array | number {
    return this.pread(len, pos);
  }
  pwrite(_data: Uint8Array, _pos: number): number {
    return -E.ESPIPE;
  }
  lseek(_offset: number, _whence: number): number {
    return -E.ESPIPE;
  }
  stat(): Stat | number {
    return this.loc ? this.loc.inode.stat() : -E.EBADF;
  }
  /** ioctl with the argument pointer; user memory access goes through `io`. */
  ioctl(_cmd: number, _arg: number, _io: IoctlMemory): number {
    return -E.ENOTTY;
  }
  /** Directory entries from the position on, at most `max` of them. */
  getdents(_max: number): DirEntry[] | number {
    return -E.ENOTDIR;
  }
  /** The file position as callers outside read/write/lseek see it (splice, copy_file_range, locks,
   * fdinfo): a description shared with another enclave of the family keeps it at the host (hostfs). */
  position(): number {
    return this.pos;
  }
  setPosition(p: number): void {
    this.pos = p;
  }
  /** Moves the position past entries consumed (getdents64 took fewer than offered). */
  setDirPos(off: number): void {
    this.pos = off;
  }
  truncate(_len: number): number {
    return -E.EINVAL;
  }
  fsync(): number {
    return -E.EINVAL;
  }
  fallocate(_mode: number, _off: number, _len: number): number {
    return -E.ENODEV;
  }
  /** Ready events (POLL*) right now; files that never block are always ready. */
  poll(): number {
    return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
  }
  /** Where a task waits for this file's readiness to change (null: never blocks). */
  readQueue(): WaitQueue | null {
    return null;
  }
  writeQueue(): WaitQueue | null {
    return null;
  }
  /** Bytes ready to read (FIONREAD) or a negative errno. */
  readable(): number {
    return -E.ENOTTY;
  }
  /** For /proc/PID/fd/N of files without a location: a fresh description on the same object. */
  reopen(_flags: number): OpenFile | number {
    return -E.ENXIO;
  }
  close(): void {}
  /** f_op->flush: one descriptor of it closed by process `pid` (the description may live on). */
  flush(_pid: number): void {}
  /** A write is one operation whatever it returns (eventfd: 8 of a longer buffer); no looping for the rest. */
  oneShotWrite(): boolean {
    return false;
  }
  /** Lines /proc/PID/fdinfo/N adds after the common ones (eventfd-count, ...). */
  fdinfo(): string {
    return '';
  }
  /** A name for /proc/self/fd and traces. */
  abstract describe(): string;
}

export interface IoctlMemory {
  copyIn(addr: number, len: number): Uint8Array;
  copyOut(addr: number, data: Uint8Array): void;
}

/** A file descriptor table entry: the description plus the per-descriptor close-on-exec flag. */
export interface FdEntry {
  file: OpenFile;
  cloexec: boolean;
}

export class FdTable {
  private fds: (FdEntry | undefined)[] = [];
  /** RLIMIT_NOFILE's current value. */
  limit = 1024;

  get(fd: number): OpenFile | undefined {
    return fd >= 0 ? this.fds[fd]?.file : undefined;
  }
  entry(fd: number): FdEntry | undefined {
    return fd >= 0 ? this.fds[fd] : undefined;
  }
  /** The lowest free descriptor at or above `min`, or -EMFILE. */
  install(file: OpenFile, cloexec: boolean, min = 0): number {
    for (let fd = min; fd < this.limit; fd++) {
      if (!this.fds[fd]) {
        this.set(fd, file, cloexec);
        return fd;
      }
    }
    return -E.EMFILE;
  }
  /** Puts `file` at `fd`, closing what was there (dup2/dup3 semantics). */
  set(fd: number, file: OpenFile, cloexec: boolean): void {
    file.refs++;
    const old = this.fds[fd];
    this.fds[fd] = { file, cloexec };
    if (old) release(old.file);
  }
  close(fd: number): number {
    const e = this.entry(fd);
    if (!e) return -E.EBADF;
    this.fds[fd] = undefined;
    release(e.file);
    return 0;
  }
  /** Closes every descriptor (process exit). */
  closeAll(): void {
    for (let fd = 0; fd < this.fds.length; fd++) if (this.fds[fd]) this.close(fd);
  }
  /** Closes the close-on-exec descriptors (execve), flushing each for process `pid` as filp_close does. */
  closeOnExec(pid: number): void {
    for (let fd = 0; fd < this.fds.length; fd++) {
      const e = this.fds[fd];
      if (!e?.cloexec) continue;
      e.file.flush(pid);
      this.close(fd);
    }
  }
  /** A copy sharing every open file description (fork without CLONE_FILES). */
  clone(): FdTable {
    const t = new FdTable();
    t.limit = this.limit;
    for (const [fd, e] of this.entries()) t.set(fd, e.file, e.cloexec);
    return t;
  }
  /** One past the highest open descriptor. */
  get size(): number {
    let n = this.fds.length;
    while (n > 0 && !this.fds[n - 1]) n--;
    return n;
  }
  *entries(): Iterable<[number, FdEntry]> {
    for (let i = 0; i < this.fds.length; i++) {
      const e = this.fds[i];
      if (e) yield [i, e];
    }
  }
}

function release(f: OpenFile): void {
  if (--f.refs <= 0) f.close();
}
