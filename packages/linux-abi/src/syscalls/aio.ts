/**
 * Linux native asynchronous I/O (fs/aio.c): io_setup, io_destroy, io_submit, io_cancel,
 * io_getevents, io_pgetevents.
 *
 * A context (kioctx) belongs to an address space (mm->ioctx_table): its threads share it, a fork
 * child does not get it, and it ends with the address space (exit, execve: exit_aio). Its
 * completion ring lives in memory the process maps, as Linux's does: an unlinked "[aio]" file of
 * the ring's pages mapped MAP_SHARED ("/[aio] (deleted)" in /proc/PID/maps), whose header
 * (struct aio_ring) and io_event slots the kernel writes and the program may read and consume
 * itself (libaio reads head/tail in user memory). The context id is the ring's address, and every
 * lookup reads the ring's id word there (lookup_ioctx). The ring is not VM_DONTCOPY: a fork child
 * keeps the mapping (the same pages) but not the context. The ring is VM_DONTEXPAND (mremap may
 * not grow it) and moving it moves the context's address with it (aio_ring_mremap).
 *
 * I/O underneath is synchronous, as Linux's buffered I/O is: reads and writes complete inside
 * io_submit, and a read or write that would block (a pipe, a socket without O_NONBLOCK) blocks
 * io_submit itself, as Linux's read_iter/write_iter do there (a signal completes it with -EINTR
 * and the batch goes on). IOCB_CMD_POLL stays pending until the file is ready, io_cancel (the
 * event then has res 0) or the context's end; fsync completes at submit (Linux runs it from a
 * workqueue, with the same result). Slots: nr_events - 1 requests in flight or unreaped, as one
 * CPU's accounting gives (the per-CPU batching of reqs_available is not modelled).
 */
import { E, SysError } from '../errors.ts';
import { SIGPIPE } from '../abi/constants.ts';
import { PROT_READ, PROT_WRITE } from '../abi/constants.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Task, WaitState } from '../task.ts';
import type { AddressSpace, MappedFile } from '../mm/address-space.ts';
import { PageCache, type FileBacking } from '../mm/page-cache.ts';
import type { OpenFile } from '../fs/file.ts';
import { EventFdBase } from '../fs/pipe.ts';
import { SuperBlock } from '../fs/inode.ts';
import { inodeClock } from '../fs/rootfs.ts';
import { O_ACCMODE, O_APPEND, O_NONBLOCK, O_PATH, O_RDONLY, O_WRONLY } from '../fs/vfs.ts';
import { WaitQueue } from '../fs/wait.ts';
import { nextSignal, sendToTask, UNBLOCKABLE } from '../signals.ts';
import { iovecs, MAX_RW_COUNT } from './io.ts';
import { checkPrio } from './ioprio.ts';

// include/uapi/linux/aio_abi.h
const IOCB_CMD_PREAD = 0, IOCB_CMD_PWRITE = 1, IOCB_CMD_FSYNC = 2, IOCB_CMD_FDSYNC = 3, IOCB_CMD_POLL = 5;
const IOCB_CMD_PREADV = 7, IOCB_CMD_PWRITEV = 8;
const IOCB_FLAG_RESFD = 1, IOCB_FLAG_IOPRIO = 2;
const IOCB_SIZE = 64, EVENT_SIZE = 32;
// fs/aio.c
const AIO_RING_MAGIC = 0xa10a10a1, AIO_RING_COMPAT_FEATURES = 1, AIO_RING_INCOMPAT_FEATURES = 0;
const RING_HEADER = 32; // sizeof(struct aio_ring)
const KIOCB_KEY = 0;
/** /proc/sys/fs/aio-max-nr's default: requests all contexts together may ask for. */
const AIO_MAX_NR = 0x10000;
/** num_possible_cpus(): the kernel runs its tasks on one hart. */
const POSSIBLE_CPUS = 1;
// include/uapi/linux/fs.h: RWF_HIPRI, DSYNC, SYNC, NOWAIT, APPEND (the ABI's RWF_SUPPORTED).
const RWF_NOWAIT = 8, RWF_APPEND = 0x10, RWF_SUPPORTED = 0x1f;
const POLLERR = 0x8, POLLHUP = 0x10;
const READ_BITS = 0x1 | 0x2 | 0x40 | 0x80, WRITE_BITS = 0x4 | 0x100 | 0x200; // POLLIN|PRI|RDNORM|RDBAND, POLLOUT|WRNORM|WRBAND
const PAGE = 4096;
const S_IFMT = 0o170000, S_IFDIR = 0o040000;

type Blocked = ReturnType<Kernel['block']>;

/** A pending IOCB_CMD_POLL: cancellable, completed by its file's wake-ups. */
interface PollReq {
  obj: bigint;
  data: bigint;
  file: OpenFile;
  events: number;
  efd: OpenFile | null;
  queues: WaitQueue[];
  cb: () => void;
}

/** One context (struct kioctx). */
class IoCtx {
  /** The ring's address (ctx->user_id, mmap_base); mmapSize 0 once unmapped by the kernel. */
  userId: number;
  mmapSize: number;
  /** Slot in the address space's table (ring->id). */
  id = -1;
  /** Kernel copy of the tail and of the ring size in events (ctx->tail, ctx->nr_events). */
  tail = 0;
  dead = false;
  /** Requests submitted and not yet completed (polls pending, reads/writes blocked in io_submit). */
  inflight = 0;
  /** Events completed and not yet seen reaped (ctx->completed_events). */
  completed = 0;
  readonly active = new Set<PollReq>();
  /** io_getevents sleepers (ctx->wait); `done`: io_destroy waiting for requests in flight. */
  readonly wait = new WaitQueue();
  readonly done = new WaitQueue();

  constructor(readonly nrEvents: number, readonly maxReqs: number, readonly ring: RingBytes, base: number, size: number) {
    this.userId = base;
    this.mmapSize = size;
  }
}

/** The ring file's bytes (the ctx's ring_pages) and the kernel's access to them through the page cache. */
class RingBytes implements FileBacking {
  private readonly bytes: Uint8Array;
  cache!: PageCache;
  constructor(readonly len: number) {
    this.bytes = new Uint8Array(len);
  }
  size(): number {
    return this.len;
  }
  readRaw(pos: number, len: number): Uint8Array {
    return this.bytes.slice(Math.min(pos, this.len), Math.min(pos + len, this.len));
  }
  writeRaw(pos: number, data: Uint8Array): void {
    this.bytes.set(data.subarray(0, Math.max(0, this.len - pos)), pos);
  }
  /** The newest bytes (a mapped page's frame, or its home where pages migrate). */
  read(pos: number, len: number): Uint8Array {
    const out = this.readRaw(pos, len);
    this.cache.overlay(pos, out);
    return out;
  }
  write(pos: number, data: Uint8Array): void {
    this.writeRaw(pos, data);
    this.cache.update(pos, data);
  }
  u32(pos: number): number {
    const b = this.read(pos, 4);
    return new DataView(b.buffer, b.byteOffset).getUint32(0, true);
  }
  setU32(pos: number, v: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    this.write(pos, b);
  }
}

/** Per kernel: aio_nr (requests the live contexts asked for) and the "aio" pseudo file system. */
interface AioState { nr: number; sb: SuperBlock }
const states = new WeakMap<Kernel, AioState>();
function stateOf(k: Kernel): AioState {
  let s = states.get(k);
  if (!s) states.set(k, (s = { nr: 0, sb: new SuperBlock('aio', AIO_RING_MAGIC, inodeClock(k)) }));
  return s;
}

/** mm->ioctx_table, per address space. */
const tables = new WeakMap<AddressSpace, (IoCtx | null)[]>();

/** lookup_ioctx: the ring's id word at ctx_id names the slot; the slot's context must have that address. */
function lookup(t: Task, ctxId: number): IoCtx | null {
  let id: number;
  try {
    const b = t.proc.as.copyIn(ctxId, 4);
    id = new DataView(b.buffer, b.byteOffset).getUint32(0, true);
  } catch {
    return null;
  }
  const c = tables.get(t.proc.as)?.[id];
  return c && c.userId === ctxId && !c.dead ? c : null;
}

function releaseFile(f: OpenFile): void {
  if (--f.refs <= 0) f.close();
}

/** aio_complete: the event goes into the ring at the tail, the eventfd is signalled, getevents sleepers wake. */
function complete(ctx: IoCtx, obj: bigint, data: bigint, res: number, efd: OpenFile | null): void {
  const ev = new Uint8Array(EVENT_SIZE);
  const dv = new DataView(ev.buffer);
  dv.setBigUint64(0, data, true);
  dv.setBigUint64(8, obj, true);
  dv.setBigInt64(16, BigInt(res), true);
  dv.setBigInt64(24, 0n, true);
  ctx.ring.write(RING_HEADER + ctx.tail * EVENT_SIZE, ev);
  ctx.tail = (ctx.tail + 1) % ctx.nrEvents;
  ctx.ring.setU32(12, ctx.tail);
  ctx.inflight--;
  ctx.completed++;
  if (efd) {
    // eventfd_signal: the counter goes up by one (an eventfd served by another enclave too).
    const one = new Uint8Array(8);
    one[0] = 1;
    efd.write(one);
    releaseFile(efd);
  }
  ctx.wait.notify();
  if (ctx.inflight === 0) ctx.done.notify();
}

/** get_reqs_available: a slot for one more request, after counting the events the program reaped (refill_reqs_available). */
function takeSlot(ctx: IoCtx): boolean {
  const head = ctx.ring.u32(8) % ctx.nrEvents; // userland may write head: clamp it
  const inRing = head <= ctx.tail ? ctx.tail - head : ctx.nrEvents - (head - ctx.tail);
  if (inRing < ctx.completed) ctx.completed = inRing;
  if (ctx.inflight + ctx.completed >= ctx.nrEvents - 1) return false;
  ctx.inflight++;
  return true;
}

/** aio_poll's completion or cancellation: off the file's queues, the event posted. */
function finishPoll(ctx: IoCtx, p: PollReq, res: number): void {
  if (!ctx.active.delete(p)) return;
  for (const q of p.queues) q.unwatch(p.cb);
  releaseFile(p.file);
  complete(ctx, p.obj, p.data, res, p.efd);
}

/** kill_ioctx (io_destroy, exit_aio): out of the table, sleepers told, slots given back, pending polls cancelled. */
function kill(k: Kernel, as: AddressSpace, ctx: IoCtx, unmap: boolean): void {
  ctx.dead = true;
  const table = tables.get(as);
  if (table && table[ctx.id] === ctx) table[ctx.id] = null;
  ctx.wait.notify();
  stateOf(k).nr -= ctx.maxReqs;
  if (unmap && ctx.mmapSize) as.unmapRange(ctx.userId, ctx.userId + ctx.mmapSize);
  ctx.mmapSize = 0;
  // free_ioctx_users: every cancellable request is cancelled (a poll completes with res 0).
  for (const p of [...ctx.active]) finishPoll(ctx, p, 0);
}

/** exit_aio: the address space ends (exit, execve); its contexts go without unmapping anything. */
function exitAio(k: Kernel, as: AddressSpace): void {
  const table = tables.get(as);
  if (!table) return;
  for (const c of table) if (c) kill(k, as, c, false);
  tables.delete(as);
}

/** Bytes from addr (up to len) that user memory allows `prot` on: a copy stops at the first fault. */
function accessible(as: AddressSpace, addr: number, len: number, prot: number): number {
  let a = addr;
  const end = addr + len;
  while (a < end) {
    const v = as.find(a);
    if (!v || !(v.prot & prot)) break;
    a = v.end;
  }
  return Math.min(a, end) - addr;
}

interface Seg { base: number; len: number }

/** The user buffer of a read or write (aio_setup_rw): one segment, or the iovec array; at most MAX_RW_COUNT. */
function buffers(t: Task, vectored: boolean, buf: number, nbytes: number): Seg[] {
  if (!vectored) return [{ base: buf, len: Math.min(nbytes, MAX_RW_COUNT) }];
  const vs = iovecs(t, buf, nbytes);
  let total = 0;
  return vs.map((v) => {
    const n = Math.min(v.len, MAX_RW_COUNT - total);
    total += n;
    return { base: v.base, len: n };
  });
}

/** The segments' leading part that `prot` allows (iov_iter copies stop at the first fault). */
function usable(as: AddressSpace, segs: Seg[], prot: number): { segs: Seg[]; total: number; fault: boolean } {
  const out: Seg[] = [];
  let total = 0;
  for (const s of segs) {
    if (s.len === 0) continue;
    const n = accessible(as, s.base, s.len, prot);
    if (n) out.push({ base: s.base, len: n });
    total += n;
    if (n < s.len) return { segs: out, total, fault: true };
  }
  return { segs: out, total, fault: false };
}

/** A request being carried out inside io_submit: `step` tries it (AGAIN: it must wait on `queue`). */
interface Running {
  queue: WaitQueue | null;
  step(interrupted: boolean): number | 'again';
}

interface Iocb {
  data: bigint;
  rwFlags: number;
  opcode: number;
  reqprio: number;
  fd: number;
  buf: number;
  nbytes: bigint;
  offset: bigint;
  reserved2: bigint;
  flags: number;
  resfd: number;
}

function decodeIocb(b: Uint8Array): Iocb {
  const dv = new DataView(b.buffer, b.byteOffset, IOCB_SIZE);
  return {
    data: dv.getBigUint64(0, true), rwFlags: dv.getInt32(12, true), opcode: dv.getUint16(16, true), reqprio: dv.getInt16(18, true),
    fd: dv.getInt32(20, true), buf: Number(dv.getBigUint64(24, true)), nbytes: dv.getBigUint64(32, true), offset: dv.getBigInt64(40, true),
    reserved2: dv.getBigUint64(48, true), flags: dv.getUint32(56, true), resfd: dv.getInt32(60, true),
  };
}

/**
 * io_submit_one: checks one iocb and starts it. Returns 0 (done or pending: its event is or
 * will be in the ring), a negative errno (nothing submitted), or a Running read/write whose
 * steps the caller drives (it may wait for its file).
 */
function submitOne(k: Kernel, t: Task, ctx: IoCtx, addr: number): number | Running {
  const as = t.proc.as;
  const cb = decodeIocb(as.copyIn(addr, IOCB_SIZE));
  if (cb.reserved2) return -E.EINVAL;
  if (cb.nbytes > 0x7fffffffffffffffn) return -E.EINVAL; // (ssize_t)aio_nbytes < 0
  if (!takeSlot(ctx)) return -E.EAGAIN;
  const fail = (e: number): number => {
    ctx.inflight--; // put_reqs_available
    return e;
  };
  const file = t.proc.fds.get(cb.fd);
  if (!file || file.flags & O_PATH) return fail(-E.EBADF);
  let efd: OpenFile | null = null;
  if (cb.flags & IOCB_FLAG_RESFD) {
    const e = t.proc.fds.get(cb.resfd);
    if (!e) return fail(-E.EBADF);
    if (!(e instanceof EventFdBase)) return fail(-E.EINVAL);
    efd = e;
  }
  try {
    const z = new Uint8Array(4);
    new DataView(z.buffer).setUint32(0, KIOCB_KEY, true);
    as.copyOut(addr + 8, z);
  } catch {
    return fail(-E.EFAULT);
  }
  const obj = BigInt(addr);
  const hold = () => {
    if (efd) efd.refs++;
  };
  const done = (res: number): number => {
    hold();
    complete(ctx, obj, cb.data, res, efd);
    return 0;
  };
  const type = file.loc ? file.loc.inode.mode & S_IFMT : 0;
  switch (cb.opcode) {
    case IOCB_CMD_FSYNC:
    case IOCB_CMD_FDSYNC: {
      if (cb.buf || cb.offset || cb.nbytes || cb.rwFlags) return fail(-E.EINVAL);
      const r = file.fsync();
      if (r === -E.EINVAL) return fail(r); // no ->fsync
      return done(r);
    }
    case IOCB_CMD_POLL: {
      if (cb.buf < 0 || cb.buf > 0xffff || cb.offset || cb.nbytes || cb.rwFlags) return fail(-E.EINVAL);
      const events = cb.buf | POLLERR | POLLHUP;
      const mask = file.poll() & events;
      if (mask) return done(mask);
      const queues = [...new Set([file.readQueue(), file.writeQueue()])].filter((q): q is WaitQueue => q !== null);
      if (queues.length === 0) return fail(-E.EINVAL); // no wait queue: no IOCB_CMD_POLL support
      hold();
      file.refs++;
      const p: PollReq = { obj, data: cb.data, file, events, efd, queues, cb: () => {} };
      p.cb = () => {
        const m = p.file.poll();
        const hit = m & p.events;
        if (!hit) return;
        // aio_poll_wake posts the waker's key, not the mask asked for: a pipe's writer wakes
        // readers with POLLIN|POLLRDNORM. The model takes the ready bits of the direction that
        // became ready; a hangup or error (woken without a key) posts poll & events.
        const key = hit & (POLLERR | POLLHUP) ? hit : m & ((hit & READ_BITS ? READ_BITS : 0) | (hit & WRITE_BITS ? WRITE_BITS : 0));
        finishPoll(ctx, p, key);
      };
      for (const q of queues) q.watch(p.cb);
      ctx.active.add(p);
      return 0;
    }
    case IOCB_CMD_PREAD:
    case IOCB_CMD_PREADV:
    case IOCB_CMD_PWRITE:
    case IOCB_CMD_PWRITEV:
      break;
    default:
      return fail(-E.EINVAL);
  }
  const write = cb.opcode === IOCB_CMD_PWRITE || cb.opcode === IOCB_CMD_PWRITEV;
  const vectored = cb.opcode === IOCB_CMD_PREADV || cb.opcode === IOCB_CMD_PWRITEV;
  // aio_prep_rw: the I/O priority, then the RWF_* flags (kiocb_set_rw_flags).
  if (cb.flags & IOCB_FLAG_IOPRIO) {
    const r = checkPrio(k, cb.reqprio & 0xffff);
    if (r) return fail(r);
  }
  const rw = cb.rwFlags >>> 0;
  if (rw & ~RWF_SUPPORTED) return fail(-E.EOPNOTSUPP);
  const stream = file.lseek(0, 1) === -E.ESPIPE;
  // FMODE_NOWAIT: pipes and sockets have it; tmpfs, host and image files (as Linux 6.1's tmpfs) do not.
  if (rw & RWF_NOWAIT && !stream) return fail(-E.EOPNOTSUPP);
  const acc = file.flags & O_ACCMODE;
  if (write ? acc === O_RDONLY : acc === O_WRONLY) return fail(-E.EBADF);
  if (type === S_IFDIR) return fail(-E.EINVAL); // no read_iter
  let segs: Seg[];
  try {
    segs = buffers(t, vectored, cb.buf, Number(cb.nbytes));
  } catch (e) {
    if (e instanceof SysError) return fail(-e.errno);
    throw e;
  }
  // rw_verify_area
  const count = segs.reduce((s, v) => s + v.len, 0);
  const pos = Number(cb.offset);
  if (cb.offset < 0n || cb.offset + BigInt(count) > 0x7fffffffffffffffn) return fail(-E.EINVAL);
  hold();
  const finish = (res: number): number => {
    complete(ctx, obj, cb.data, res, efd);
    return 0;
  };
  const mayWait = !(file.flags & O_NONBLOCK) && !(rw & RWF_NOWAIT);
  if (!write) {
    const u = usable(as, segs, PROT_WRITE);
    const step = (interrupted: boolean): number | 'again' => {
      if (count === 0) return finish(0);
      if (u.total === 0) return finish(-E.EFAULT);
      // The position is the iocb's (the file's own does not move); a file without one ignores it.
      let r = stream ? file.readTransient(u.total) : file.preadTransient(u.total, pos);
      if (r === -E.ESPIPE) r = file.readTransient(u.total);
      if (typeof r === 'number') {
        if (r === -E.EAGAIN && mayWait && file.readQueue()) return interrupted ? finish(-E.EINTR) : 'again';
        return finish(r);
      }
      let o = 0;
      for (const s of u.segs) {
        if (o >= r.length) break;
        const n = Math.min(s.len, r.length - o);
        as.copyOut(s.base, r.subarray(o, o + n));
        o += n;
      }
      return finish(r.length);
    };
    return { queue: file.readQueue(), step };
  }
  const u = usable(as, segs, PROT_READ);
  const parts = u.segs.map((s) => as.copyIn(s.base, s.len));
  const data = new Uint8Array(u.total);
  let o = 0;
  for (const p of parts) { data.set(p, o); o += p.length; }
  let wrote = 0;
  const append = (file.flags & O_APPEND) !== 0 || (rw & RWF_APPEND) !== 0;
  const step = (interrupted: boolean): number | 'again' => {
    if (count === 0) return finish(0);
    if (u.total === 0) return finish(-E.EFAULT);
    for (;;) {
      let r: number;
      if (stream) r = file.write(data.subarray(wrote));
      else {
        const st = append ? file.stat() : null;
        const at = st && typeof st !== 'number' ? st.size : pos + wrote;
        r = file.pwrite(data.subarray(wrote), at);
        if (r === -E.ESPIPE) r = file.write(data.subarray(wrote));
      }
      if (r === -E.EPIPE) {
        sendToTask(k, t, { signo: SIGPIPE, code: 0, pid: t.proc.pid, uid: k.config.uid });
        return finish(wrote || r);
      }
      if (r === -E.EAGAIN) {
        if (mayWait && file.writeQueue() && !interrupted) return 'again';
        return finish(wrote || (interrupted && mayWait ? -E.EINTR : r));
      }
      if (r < 0) return finish(wrote || r);
      wrote += r;
      // A short copy from user memory ended the data early: what was written is the result.
      if (wrote >= data.length || r === 0 || file.oneShotWrite() || !stream) return finish(wrote);
    }
  };
  return { queue: file.writeQueue(), step };
}

/** io_submit: iocbs one by one until the first that fails; a read or write that must wait blocks the call. */
function submit(k: Kernel, t: Task, ctx: IoCtx, nr: number, iocbpp: number): number | Blocked {
  const as = t.proc.as;
  let i = 0;
  let cur: Running | null = null;
  let err = 0;
  /** Runs the batch on; 'again' while `cur` waits for its file. */
  const run = (interrupted: boolean): number | 'again' => {
    for (;;) {
      if (cur) {
        const r = cur.step(interrupted);
        if (r === 'again') return 'again';
        cur = null;
        i++;
        continue;
      }
      if (i >= nr || err) return i ? i : err;
      let addr: number;
      try {
        const b = as.copyIn(iocbpp + i * 8, 8);
        addr = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
      } catch {
        err = -E.EFAULT;
        continue;
      }
      let r: number | Running;
      try {
        r = submitOne(k, t, ctx, addr);
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        r = -e.errno;
      }
      if (typeof r === 'number') {
        if (r < 0) err = r;
        else i++;
        continue;
      }
      cur = r;
    }
  };
  const first = run(false);
  if (first !== 'again') return first;
  // Waits for the running request's file, then goes on with the rest of the batch.
  let queue = cur!.queue!;
  let wait: WaitState | null = null;
  const cb = () => {
    if (t.state !== 'blocked' || t.wait !== wait) { queue.unwatch(cb); return; }
    const r = run(false);
    if (r === 'again') {
      if (cur!.queue !== queue) { queue.unwatch(cb); queue = cur!.queue!; queue.watch(cb); }
      return;
    }
    queue.unwatch(cb);
    k.wake(t, r);
  };
  queue.watch(cb);
  const blocked: Blocked = k.block(t, {
    deadline: Infinity, onTimeout: 0,
    // A signal: the waiting request completes with -EINTR (aio_rw_done), and so does any later
    // one that would wait; the call returns how many it submitted.
    onSignal: () => {
      queue.unwatch(cb);
      const r = run(true);
      k.wake(t, r === 'again' ? i : r);
      return true;
    },
    onWake: () => queue.unwatch(cb),
  });
  wait = t.wait;
  return blocked;
}

/** aio_read_events_ring: up to `max` events from head to tail into user memory; head moves past them. */
function readRing(t: Task, ctx: IoCtx, addr: number, max: number): number {
  let head = ctx.ring.u32(8), tail = ctx.ring.u32(12);
  if (head === tail || max <= 0) return 0;
  head %= ctx.nrEvents;
  tail %= ctx.nrEvents;
  let n = 0;
  const chunks: Uint8Array[] = [];
  while (n < max && head !== tail) {
    const avail = Math.min((head <= tail ? tail : ctx.nrEvents) - head, max - n);
    chunks.push(ctx.ring.read(RING_HEADER + head * EVENT_SIZE, avail * EVENT_SIZE));
    n += avail;
    head = (head + avail) % ctx.nrEvents;
  }
  let o = 0;
  try {
    for (const c of chunks) { t.proc.as.copyOut(addr + o, c); o += c.length; }
  } catch {
    return -E.EFAULT;
  }
  ctx.ring.setU32(8, head);
  return n;
}

/** The timeout of io_getevents: a relative timespec, not range-checked (0: no wait). */
function timeoutNs(t: Task, addr: number): number {
  if (!addr) return Infinity;
  const b = t.proc.as.copyIn(addr, 16);
  const dv = new DataView(b.buffer, b.byteOffset);
  const sec = Number(dv.getBigInt64(0, true)), nsec = Number(dv.getBigInt64(8, true));
  const ns = sec * 1e9 + nsec;
  // timespec64_to_ktime: tv_sec at or past KTIME_SEC_MAX as unsigned is for ever; a negative time
  // (not range-checked) makes the relative hrtimer's expiry overflow (ktime_add_safe): for ever too.
  return sec < 0 || sec >= 9223372036 || ns < 0 ? Infinity : ns;
}

/**
 * do_io_getevents/read_events: at least min_nr events (or what the timeout leaves), at most nr.
 * `mask`: io_pgetevents' signal mask while it waits (null: unchanged).
 */
function getEvents(k: Kernel, t: Task, ctxId: number, minNr: number, nr: number, events: number, ns: number, mask: bigint | null): number | Blocked {
  const ctx = lookup(t, ctxId);
  if (!ctx || minNr > nr || minNr < 0) return -E.EINVAL;
  const old = t.sigmask;
  if (mask !== null) t.sigmask = mask & ~UNBLOCKABLE;
  // io_pgetevents' mask stays until a signal that interrupted the wait was handled (restore_saved_sigmask_unless).
  const end = (r: number): number => {
    const interrupted = r <= 0 && nextSignal(t) !== 0;
    if (mask !== null) {
      if (interrupted) t.savedMaskForSuspend = old;
      else t.sigmask = old;
    }
    return r === 0 && interrupted ? -E.EINTR : r;
  };
  let got = 0;
  /** aio_read_events: true when the call is over (got holds the result). */
  const pass = (): boolean => {
    let r = readRing(t, ctx, events + got * EVENT_SIZE, nr - got);
    if (r > 0) got += r;
    if (ctx.dead) r = -E.EINVAL;
    if (!got && r < 0) {
      got = r;
      return true;
    }
    return r < 0 || got >= minNr;
  };
  if (pass() || ns <= 0 || nextSignal(t)) return end(got);
  const deadline = ns === Infinity ? Infinity : k.platform.monotonicNs() + ns;
  let wait: WaitState | null = null;
  let interrupted = false;
  const cb = () => {
    if (t.state !== 'blocked' || t.wait !== wait) { ctx.wait.unwatch(cb); return; }
    const over = pass();
    wait!.onTimeout = got; // a timeout returns what was collected so far
    if (!over) return;
    ctx.wait.unwatch(cb);
    k.wake(t, got);
  };
  ctx.wait.watch(cb);
  const blocked: Blocked = k.block(t, {
    deadline, onTimeout: got,
    onSignal: () => {
      interrupted = true;
      ctx.wait.unwatch(cb);
      if (mask !== null) t.savedMaskForSuspend = old;
      k.wake(t, got > 0 ? got : -E.EINTR);
      return true;
    },
    onWake: () => {
      ctx.wait.unwatch(cb);
      if (mask !== null && !interrupted) t.sigmask = old;
    },
  });
  wait = t.wait;
  return blocked;
}

export function registerAio(tab: SyscallTable): void {
  tab.def('io_setup', 'up', (k, t, a) => {
    const asked = a.i32(0) >>> 0, ctxp = a.u(1);
    const as = t.proc.as;
    const cur = new DataView(as.copyIn(ctxp, 8).buffer).getBigUint64(0, true);
    if (cur !== 0n || asked === 0) return -E.EINVAL;
    // ioctx_alloc: twice the asked size (half may sit in other CPUs' counters), at least 4 per CPU.
    const doubled = (Math.max(asked, POSSIBLE_CPUS * 4) * 2) >>> 0;
    if (doubled > 0x10000000 / EVENT_SIZE) return -E.EINVAL;
    if (doubled === 0 || asked > AIO_MAX_NR) return -E.EAGAIN;
    // aio_setup_ring: 2 more for the head/tail overlap, rounded up to pages, and nr what fits.
    const pages = Math.ceil((RING_HEADER + EVENT_SIZE * (doubled + 2)) / PAGE);
    const size = pages * PAGE;
    const nrEvents = Math.floor((size - RING_HEADER) / EVENT_SIZE);
    const st = stateOf(k);
    if (st.nr + asked > AIO_MAX_NR) return -E.EAGAIN;
    const base = as.findFree(size, 0);
    if (base < 0) return -E.ENOMEM;
    const ring = new RingBytes(size);
    ring.cache = new PageCache(ring, as.frameMemory());
    // aio_ring_mmap: VM_DONTEXPAND, and aio_ring_mremap: a move of the ring moves the context's
    // address (ctx->user_id) with it, if the context is this address space's and alive (EINVAL
    // otherwise: a fork child's copy of the mapping cannot move).
    const file: MappedFile = {
      cache: ring.cache, path: '/[aio]', dev: st.sb.dev, ino: st.sb.allocIno(), nlink: () => 0, mayWrite: true, dontExpand: true,
      remap: (mm, _from, to, check) => {
        const c = tables.get(mm)?.find((x) => x?.ring === ring && !x.dead);
        if (!c) return -E.EINVAL;
        if (!check) c.userId = to;
        return 0;
      },
    };
    as.insert({ start: base, end: base + size, prot: PROT_READ | PROT_WRITE, name: '', shared: true, file, fileBase: base });
    const ctx = new IoCtx(nrEvents, asked, ring, base, size);
    let table = tables.get(as);
    if (!table) {
      tables.set(as, (table = []));
      as.onDestroy.push(() => exitAio(k, as));
    }
    let id = table.indexOf(null);
    if (id < 0) id = table.length;
    table[id] = ctx;
    ctx.id = id;
    const hdr = new Uint8Array(RING_HEADER);
    const dv = new DataView(hdr.buffer);
    dv.setUint32(0, id, true);
    dv.setUint32(4, nrEvents, true);
    dv.setUint32(16, AIO_RING_MAGIC, true);
    dv.setUint32(20, AIO_RING_COMPAT_FEATURES, true);
    dv.setUint32(24, AIO_RING_INCOMPAT_FEATURES, true);
    dv.setUint32(28, RING_HEADER, true);
    ring.write(0, hdr);
    st.nr += asked;
    try {
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigUint64(0, BigInt(base), true);
      as.copyOut(ctxp, out);
    } catch (e) {
      kill(k, as, ctx, true);
      throw e;
    }
    return 0;
  });

  tab.def('io_destroy', 'x', (k, t, a) => {
    const ctx = lookup(t, a.u(0));
    if (!ctx) return -E.EINVAL;
    kill(k, t.proc.as, ctx, true);
    if (ctx.inflight === 0) return 0;
    // Requests still running (a read blocked in another thread's io_submit): wait for them.
    const cb = () => {
      if (t.state !== 'blocked' || t.wait !== wait) { ctx.done.unwatch(cb); return; }
      if (ctx.inflight === 0) { ctx.done.unwatch(cb); k.wake(t, 0); }
    };
    let wait: WaitState | null = null;
    ctx.done.watch(cb);
    const blocked: Blocked = k.block(t, { deadline: Infinity, onTimeout: 0, onSignal: () => true, onWake: () => ctx.done.unwatch(cb) });
    wait = t.wait;
    return blocked;
  });

  tab.def('io_submit', 'xdp', (k, t, a) => {
    const nr = a.i64(1);
    if (nr < 0) return -E.EINVAL;
    const ctx = lookup(t, a.u(0));
    if (!ctx) return -E.EINVAL;
    return submit(k, t, ctx, Math.min(nr, ctx.nrEvents), a.u(2));
  });

  tab.def('io_cancel', 'xpp', (k, t, a) => {
    const addr = a.u(1);
    const key = new DataView(t.proc.as.copyIn(addr + 8, 4).buffer).getUint32(0, true);
    if (key !== KIOCB_KEY) return -E.EINVAL;
    const ctx = lookup(t, a.u(0));
    if (!ctx) return -E.EINVAL;
    for (const p of ctx.active) {
      if (p.obj !== BigInt(addr)) continue;
      // aio_poll_cancel: the event comes through the ring (res 0); the result argument is unused.
      finishPoll(ctx, p, 0);
      return -E.EINPROGRESS;
    }
    return -E.EINVAL;
  });

  tab.def('io_getevents', 'xddpp', (k, t, a) => {
    const ns = timeoutNs(t, a.u(4));
    return getEvents(k, t, a.u(0), a.i64(1), a.i64(2), a.u(3), ns, null);
  });

  tab.def('io_pgetevents', 'xddppp', (k, t, a) => {
    const ns = timeoutNs(t, a.u(4));
    let mask: bigint | null = null;
    const usig = a.u(5);
    if (usig) {
      // struct __aio_sigset { const sigset_t *sigmask; size_t sigsetsize; }
      const b = t.proc.as.copyIn(usig, 16);
      const dv = new DataView(b.buffer, b.byteOffset);
      const sm = Number(dv.getBigUint64(0, true)), size = dv.getBigUint64(8, true);
      if (sm) {
        if (size !== 8n) return -E.EINVAL;
        mask = new DataView(t.proc.as.copyIn(sm, 8).buffer).getBigUint64(0, true);
      }
    }
    return getEvents(k, t, a.u(0), a.i64(1), a.i64(2), a.u(3), ns, mask);
  });
}
