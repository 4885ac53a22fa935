/**
 * An open file description. Every operation defaults to the errno Linux gives for a file
 * that does not support it (as browser_wasi_shim's Fd does); subclasses override only what
 * they support.
 */
import { E } from '../errors.ts';
import type { Stat } from '../abi/structs.ts';

export abstract class OpenFile {
  /** O_* status flags (access mode, O_APPEND, O_NONBLOCK). */
  flags: number;
  constructor(flags: number) {
    this.flags = flags;
  }
  /** Bytes read (empty at end of file) or a negative errno. */
  read(_len: number): Uint8Array | number {
    return -E.EINVAL;
  }
  /** Bytes written or a negative errno. */
  write(_data: Uint8Array): number {
    return -E.EINVAL;
  }
  lseek(_offset: number, _whence: number): number {
    return -E.ESPIPE;
  }
  stat(): Stat | number {
    return -E.EBADF;
  }
  /** ioctl with the argument pointer; user memory access goes through `io`. */
  ioctl(_cmd: number, _arg: number, _io: IoctlMemory): number {
    return -E.ENOTTY;
  }
  close(): void {}
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
  private readonly fds: (FdEntry | undefined)[] = [];
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
        this.fds[fd] = { file, cloexec };
        return fd;
      }
    }
    return -E.EMFILE;
  }
  set(fd: number, file: OpenFile, cloexec: boolean): void {
    this.fds[fd] = { file, cloexec };
  }
  close(fd: number): number {
    const e = this.entry(fd);
    if (!e) return -E.EBADF;
    this.fds[fd] = undefined;
    if (!this.fds.some((x) => x?.file === e.file)) e.file.close();
    return 0;
  }
  *entries(): Iterable<[number, FdEntry]> {
    for (let i = 0; i < this.fds.length; i++) {
      const e = this.fds[i];
      if (e) yield [i, e];
    }
  }
}
