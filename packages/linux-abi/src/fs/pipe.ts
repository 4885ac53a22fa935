/**
 * Pipes and FIFOs (fs/pipe.c, fs/fifo.c) and eventfd (fs/eventfd.c), all in enclave
 * memory. A pipe is a ring buffer with reader and writer counts; writes of at most
 * PIPE_BUF bytes are atomic; writing with no reader is EPIPE (the syscall layer raises
 * SIGPIPE). Read and write return -EAGAIN when they would block; the syscall layer parks
 * the task on readQueue()/writeQueue() and retries when the other side moves.
 */
import { E, SysError } from '../errors.ts';
import {
  OpenFile, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, type IoctlMemory,
} from './file.ts';
import { openers, SpecialInode, Inode, S_IFIFO, type Cred, type SuperBlock } from './inode.ts';
import { O_ACCMODE, O_DIRECT, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY, type Location, type Mount } from './vfs.ts';
import { WaitQueue } from './wait.ts';

export const PIPE_BUF = 4096;
export const PIPE_DEF_SIZE = 65536;
/** /proc/sys/fs/pipe-max-size's default. */
export const PIPE_MAX_SIZE = 1 << 20;

/**
 * Where a pipe's bytes live when its ends are in different enclaves (family.ts ChannelPipe):
 * the Pipe then forwards reads, writes and readiness to it, and reports its end counts.
 */
export interface PipeChannel {
  read(len: number): Uint8Array | number;
  write(data: Uint8Array): number;
  poll(canRead: boolean, canWrite: boolean): number;
  readable(): number;
  refs(readers: number, writers: number): void;
  /** The family-wide end counts (every enclave's), when the channel knows them. */
  ends?(): { readers: number; writers: number };
}

/**
 * A pipe as Linux keeps it: a ring of page-sized buffers (16 by default). A write first
 * merges its sub-page remainder into the last buffer when it fits, then takes whole free
 * slots; a write of at most PIPE_BUF bytes therefore lands whole or not at all.
 */
export class Pipe {
  /** packet: written through an O_DIRECT end (a read takes at most one, dropping its rest). */
  private bufs: { data: Uint8Array; start: number; end: number; packet?: boolean }[] = [];
  private slots = PIPE_DEF_SIZE / PAGE;
  len = 0;
  readers = 0;
  writers = 0;
  /** How many writers/readers ever opened (FIFO open waits for a change). */
  readerOpens = 0;
  writerOpens = 0;
  readonly readq = new WaitQueue();
  readonly writeq = new WaitQueue();
  readonly openq = new WaitQueue();
  /** Set when the pipe's ends are in different enclaves: the bytes live there. */
  channel: PipeChannel | null = null;

  get capacity(): number {
    return this.slots * PAGE;
  }
  /** A free slot exists (what POLLOUT means for a pipe). */
  get writable(): boolean {
    return this.bufs.length < this.slots;
  }

  read(len: number): Uint8Array | number {
    if (this.channel) return this.channel.read(len);
    if (len === 0) return new Uint8Array(0);
    if (this.len === 0) return this.writers === 0 ? new Uint8Array(0) : -E.EAGAIN;
    const n = Math.min(len, this.len);
    const out = new Uint8Array(n);
    let o = 0;
    let taken = 0;
    while (o < n) {
      const b = this.bufs[0];
      const k = Math.min(n - o, b.end - b.start);
      out.set(b.data.subarray(b.start, b.start + k), o);
      o += k;
      if (b.packet) {
        // pipe_read: a packet is read whole or its rest is dropped; the read ends with it.
        taken += b.end - b.start;
        this.bufs.shift();
        break;
      }
      b.start += k;
      taken += k;
      if (b.start === b.end) this.bufs.shift();
    }
    this.len -= taken;
    this.writeq.notify();
    return o === n ? out : out.slice(0, o);
  }

  /** Drops the buffered bytes (every end closed). */
  discard(): void {
    this.bufs = [];
    this.len = 0;
  }

  /** tee(2): up to len bytes from the front, left in place. */
  peek(len: number): Uint8Array {
    const n = Math.min(len, this.len);
    const out = new Uint8Array(n);
    let o = 0;
    for (const b of this.bufs) {
      if (o >= n) break;
      const k = Math.min(n - o, b.end - b.start);
      out.set(b.data.subarray(b.start, b.start + k), o);
      o += k;
    }
    return out;
  }

  /** Bytes a write can take now without waiting (whole free slots). */
  get room(): number {
    return (this.slots - this.bufs.length) * PAGE;
  }

  /** packet: the writer's end is O_DIRECT (each page-sized piece is its own packet, never merged). */
  write(data: Uint8Array, packet = false): number {
    if (this.channel) return this.channel.write(data);
    if (this.readers === 0) return -E.EPIPE;
    const total = data.length;
    if (total === 0) return 0;
    let done = 0;
    const chars = total & (PAGE - 1);
    const last = this.bufs[this.bufs.length - 1];
    if (chars && last && !last.packet && last.end + chars <= PAGE) { // pipe_write merges into a mergeable buffer even from an O_DIRECT end
      last.data.set(data.subarray(0, chars), last.end);
      last.end += chars;
      done = chars;
    }
    while (done < total && this.bufs.length < this.slots) {
      const n = Math.min(PAGE, total - done);
      const page = new Uint8Array(PAGE);
      page.set(data.subarray(done, done + n));
      this.bufs.push(packet ? { data: page, start: 0, end: n, packet } : { data: page, start: 0, end: n });
      done += n;
    }
    if (done === 0) return -E.EAGAIN;
    this.len += done;
    this.readq.notify();
    return done;
  }

  /** F_SETPIPE_SZ: a power-of-two number of pages, never fewer than the buffers in use. */
  resize(size: number): number {
    if (size > PIPE_MAX_SIZE) return -E.EPERM;
    let cap = PAGE;
    while (cap < size) cap *= 2;
    if (cap / PAGE < this.bufs.length) return -E.EBUSY;
    this.slots = cap / PAGE;
    this.writeq.notify();
    return cap;
  }
}

const PAGE = 4096;

export class PipeFile extends OpenFile {
  readonly canRead: boolean;
  readonly canWrite: boolean;
  private closed = false;
  constructor(readonly pipe: Pipe, flags: number, loc: Location) {
    super(flags);
    this.loc = loc;
    const acc = flags & O_ACCMODE;
    this.canRead = acc === O_RDONLY || acc === O_RDWR;
    this.canWrite = acc === O_WRONLY || acc === O_RDWR;
    if (this.canRead) { pipe.readers++; pipe.readerOpens++; }
    if (this.canWrite) { pipe.writers++; pipe.writerOpens++; }
    pipe.channel?.refs(pipe.readers, pipe.writers);
    pipe.openq.notify();
  }
  override read(len: number): Uint8Array | number {
    return this.pipe.read(len);
  }
  override write(data: Uint8Array): number {
    return this.pipe.write(data, (this.flags & O_DIRECT) !== 0);
  }
  override poll(): number {
    const p = this.pipe;
    if (p.channel) return p.channel.poll(this.canRead, this.canWrite);
    let m = 0;
    if (this.canRead) {
      if (p.len > 0) m |= POLLIN | POLLRDNORM;
      if (p.writers === 0 && p.writerOpens > 0) m |= POLLHUP;
    }
    if (this.canWrite) {
      if (p.writable) m |= POLLOUT | POLLWRNORM;
      if (p.readers === 0) m |= POLLERR;
    }
    return m;
  }
  override readQueue(): WaitQueue {
    return this.pipe.readq;
  }
  override writeQueue(): WaitQueue {
    return this.pipe.writeq;
  }
  override readable(): number {
    return this.pipe.channel ? this.pipe.channel.readable() : this.pipe.len;
  }
  override ioctl(cmd: number, arg: number, io: IoctlMemory): number {
    if (cmd === FIONREAD) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, this.readable(), true);
      io.copyOut(arg, b);
      return 0;
    }
    return -E.ENOTTY;
  }
  override reopen(flags: number): OpenFile {
    return new PipeFile(this.pipe, flags, this.loc!);
  }
  override close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.canRead) this.pipe.readers--;
    if (this.canWrite) this.pipe.writers--;
    // The last end of a FIFO gone: free_pipe_info drops what was still in it.
    if (this.pipe.readers === 0 && this.pipe.writers === 0) this.pipe.discard();
    this.pipe.channel?.refs(this.pipe.readers, this.pipe.writers);
    this.pipe.readq.notify();
    this.pipe.writeq.notify();
  }
  describe(): string {
    return `pipe:[${this.loc?.inode.ino ?? 0}]`;
  }
}

const FIONREAD = 0x541b;

/** An inode with no type bits (anon_inodefs): eventfd, and later epoll, timerfd, signalfd. */
export class AnonInode extends Inode {
  constructor(sb: SuperBlock) {
    super(sb, 0o600, 0, 0);
  }
  override open(): OpenFile {
    throw new SysError(E.ENXIO);
  }
}

/** pipe2: a fresh pipefs inode and its two ends. */
export function makePipe(mnt: Mount, cred: Cred, extraFlags: number): [PipeFile, PipeFile] {
  const inode = new SpecialInode(mnt.sb, S_IFIFO | 0o600, 0, cred.uid, cred.gid);
  inode.nlink = 1;
  const pipe = new Pipe();
  inode.pipe = pipe;
  const loc: Location = { mnt, inode };
  return [new PipeFile(pipe, O_RDONLY | extraFlags, loc), new PipeFile(pipe, O_WRONLY | extraFlags, loc)];
}

/**
 * Opening a FIFO (fs/pipe.c fifo_open): O_WRONLY|O_NONBLOCK without a reader is ENXIO.
 * Whether the open must wait for the other side is the syscall layer's call (fifoMustWait).
 */
openers.fifo = (flags: number, loc: Location): OpenFile => {
  const inode = loc.inode as SpecialInode;
  if (!inode.pipe) inode.pipe = new Pipe();
  const pipe = inode.pipe as Pipe;
  if ((flags & O_ACCMODE) === O_WRONLY && flags & O_NONBLOCK && pipe.readers === 0) throw new SysError(E.ENXIO);
  return new PipeFile(pipe, flags, loc);
};

/** A blocking FIFO open waits until the other side has opened once since (fifo_open's wait_for_partner). */
export function fifoPartner(f: PipeFile): (() => boolean) | null {
  if (f.flags & O_NONBLOCK || (f.canRead && f.canWrite)) return null;
  const p = f.pipe;
  const ends = p.channel?.ends?.bind(p.channel);
  if (ends) {
    // Opened from several enclaves: the other side is there when the family's counts say so.
    const has = () => (f.canRead ? ends().writers : ends().readers) > 0;
    return has() ? null : has;
  }
  if (f.canRead) {
    if (p.writers > 0) return null;
    const seen = p.writerOpens;
    return () => p.writerOpens !== seen;
  }
  if (p.readers > 0) return null;
  const seen = p.readerOpens;
  return () => p.readerOpens !== seen;
}

// ------------------------------------------------------------------------------------

const EFD_SEMAPHORE = 1;
const ULLONG_MAX = 0xffffffffffffffffn;

/** What an eventfd and its proxy in another enclave (family.ts RemoteEventFd) share. */
export abstract class EventFdBase extends OpenFile {
  readonly q = new WaitQueue();
  /** noop_llseek: the position never moves and lseek succeeds. */
  override lseek(): number {
    return this.pos;
  }
  override oneShotWrite(): boolean {
    return true;
  }
  override readQueue(): WaitQueue {
    return this.q;
  }
  override writeQueue(): WaitQueue {
    return this.q;
  }
  override ioctl(): number {
    return -E.ENOTTY;
  }
  describe(): string {
    return 'anon_inode:[eventfd]';
  }
}

/** eventfd_poll: readable while the counter is above 0, writable while 1 more fits. */
export function eventfdPollMask(count: bigint): number {
  let m = 0;
  if (count > 0n) m |= POLLIN | POLLRDNORM;
  if (count < ULLONG_MAX - 1n) m |= POLLOUT | POLLWRNORM;
  return m;
}

export class EventFdFile extends EventFdBase {
  /** Shared with other enclaves of the family (family.ts): this enclave serves the counter under this id. */
  familyId = 0;
  constructor(private count: bigint, readonly efdFlags: number, flags: number, loc: Location) {
    super(flags);
    this.loc = loc;
  }
  override read(len: number): Uint8Array | number {
    if (len < 8) return -E.EINVAL;
    if (this.count === 0n) return -E.EAGAIN;
    const v = this.efdFlags & EFD_SEMAPHORE ? 1n : this.count;
    this.count -= v;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    this.q.notify();
    return b;
  }
  override fdinfo(): string {
    return `eventfd-count: ${this.count.toString(16).padStart(16)}\n`;
  }
  /** The counter (served to other enclaves of the family). */
  get value(): bigint {
    return this.count;
  }
  override write(data: Uint8Array): number {
    if (data.length < 8) return -E.EINVAL;
    const v = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
    if (v === ULLONG_MAX) return -E.EINVAL;
    if (ULLONG_MAX - this.count <= v) return -E.EAGAIN;
    this.count += v;
    this.q.notify();
    return 8;
  }
  override poll(): number {
    return eventfdPollMask(this.count);
  }
}

export function makeEventFd(mnt: Mount, initval: number, efdFlags: number, flags: number): EventFdFile {
  return new EventFdFile(BigInt(initval >>> 0), efdFlags, flags, { mnt, inode: new AnonInode(mnt.sb) });
}
