/**
 * /dev (drivers/char/mem.c, drivers/tty/tty_io.c): null, zero, full, random, urandom, tty,
 * console, the stdin/stdout/stderr/fd symlinks into /proc/self, and shm (a tmpfs mount
 * made by rootfs.ts). Device nodes are tmpfs special inodes; opening one picks the driver
 * by its device number, so a node made anywhere by mknod behaves the same.
 */
import type { HostChannel } from '@teeos/hal';
import { E, SysError } from '../errors.ts';
import { OpenFile, type IoctlMemory } from './file.ts';
import { HostStdioFile } from './host-stdio.ts';
import { DirInode, SpecialInode, SymlinkInode, makedev, openers, S_IFCHR, type SuperBlock } from './inode.ts';
import { O_ACCMODE, O_RDONLY, O_WRONLY, type Location } from './vfs.ts';

export interface DeviceHost {
  host: HostChannel;
  random(buf: Uint8Array): void;
}

const CHUNK = 1 << 20;

abstract class DevFile extends OpenFile {
  constructor(flags: number, loc: Location) {
    super(flags);
    this.loc = loc;
  }
  /** mem.c's null_lseek/zero_lseek/full_lseek: the position is always 0. */
  override lseek(): number {
    this.pos = 0;
    return 0;
  }
}

export class NullFile extends DevFile {
  override read(): Uint8Array { return new Uint8Array(0); }
  override pread(): Uint8Array { return new Uint8Array(0); }
  override write(d: Uint8Array): number { return d.length; }
  override pwrite(d: Uint8Array): number { return d.length; }
  describe(): string { return '/dev/null'; }
}

export class ZeroFile extends DevFile {
  override read(len: number): Uint8Array { return new Uint8Array(Math.min(len, CHUNK)); }
  override pread(len: number): Uint8Array { return new Uint8Array(Math.min(len, CHUNK)); }
  override write(d: Uint8Array): number { return d.length; }
  override pwrite(d: Uint8Array): number { return d.length; }
  describe(): string { return '/dev/zero'; }
}

export class FullFile extends DevFile {
  override read(len: number): Uint8Array { return new Uint8Array(Math.min(len, CHUNK)); }
  override pread(len: number): Uint8Array { return new Uint8Array(Math.min(len, CHUNK)); }
  override write(): number { return -E.ENOSPC; }
  override pwrite(): number { return -E.ENOSPC; }
  describe(): string { return '/dev/full'; }
}

export class RandomFile extends DevFile {
  constructor(flags: number, loc: Location, private readonly src: DeviceHost) {
    super(flags, loc);
  }
  override read(len: number): Uint8Array {
    const b = new Uint8Array(Math.min(len, CHUNK));
    for (let o = 0; o < b.length; o += 65536) this.src.random(b.subarray(o, Math.min(b.length, o + 65536)));
    return b;
  }
  override pread(len: number): Uint8Array { return this.read(len); }
  override write(d: Uint8Array): number { return d.length; } // mixed into the pool, never credited
  override pwrite(d: Uint8Array): number { return d.length; }
  override lseek(): number { return 0; }
  describe(): string { return '/dev/urandom'; }
}

/** /dev/tty and /dev/console: the host terminal, when the host's stdio is one (else ENXIO). */
export class TtyFile extends OpenFile {
  constructor(flags: number, loc: Location, private readonly input: HostStdioFile, readonly output: HostStdioFile) {
    super(flags);
    this.loc = loc;
  }
  override read(len: number): Uint8Array | number { return this.input.read(len); }
  override write(d: Uint8Array): number { return this.output.write(d); }
  override ioctl(cmd: number, arg: number, io: IoctlMemory): number { return this.output.ioctl(cmd, arg, io); }
  describe(): string { return '/dev/tty'; }
}

function openTty(flags: number, loc: Location, dev: DeviceHost): OpenFile {
  const isTty = (fd: number) => dev.host.call({ op: 'tcgets', fd }).ret === 0;
  const ttys = [0, 1, 2].filter(isTty);
  if (ttys.length === 0) throw new SysError(E.ENXIO);
  const inFd = ttys.includes(0) ? 0 : ttys[0];
  const outFd = ttys.includes(1) ? 1 : ttys.includes(2) ? 2 : ttys[0];
  return new TtyFile(flags, loc, new HostStdioFile(dev.host, inFd, O_RDONLY), new HostStdioFile(dev.host, outFd, O_WRONLY));
}

/** Character devices by number (Documentation/admin-guide/devices.txt). */
export function installDrivers(dev: DeviceHost): void {
  openers.chardev = (flags: number, loc: Location, rdev: number): OpenFile => {
    switch (rdev) {
      case makedev(1, 3): return new NullFile(flags, loc);
      case makedev(1, 5): return new ZeroFile(flags, loc);
      case makedev(1, 7): return new FullFile(flags, loc);
      case makedev(1, 8): case makedev(1, 9): return new RandomFile(flags, loc, dev);
      case makedev(5, 0): case makedev(5, 1): return openTty(flags, loc, dev);
      default: throw new SysError(E.ENXIO);
    }
  };
}

/** Fills a /dev directory. */
export function populateDev(sb: SuperBlock, dir: DirInode): void {
  const node = (name: string, major: number, minor: number, mode: number) =>
    dir.addChild(name, new SpecialInode(sb, S_IFCHR | mode, makedev(major, minor), 0, 0));
  node('null', 1, 3, 0o666);
  node('zero', 1, 5, 0o666);
  node('full', 1, 7, 0o666);
  node('random', 1, 8, 0o666);
  node('urandom', 1, 9, 0o666);
  node('tty', 5, 0, 0o666);
  node('console', 5, 1, 0o600);
  const link = (name: string, target: string) => dir.addChild(name, new SymlinkInode(sb, target, 0, 0));
  link('stdin', '/proc/self/fd/0');
  link('stdout', '/proc/self/fd/1');
  link('stderr', '/proc/self/fd/2');
  link('fd', '/proc/self/fd');
}

export { O_ACCMODE };
