/**
 * epoll (fs/eventpoll.c), timerfd (fs/timerfd.c) and signalfd (fs/signalfd.c).
 *
 * epoll: an interest list of (file, fd) items. Each item watches its file's wait queues
 * (ep_poll_callback's role: any change marks it and wakes the epoll's own queue). Level
 * triggered items are reported while file.poll() says ready; edge triggered ones once per
 * change; EPOLLONESHOT disarms an item after one report until EPOLL_CTL_MOD. Ready items come
 * back in the order they became ready; a level-triggered item reported goes to the back.
 */
import { E } from '../errors.ts';
import { OpenFile, POLLIN, POLLRDNORM, POLLERR, POLLHUP } from './file.ts';
import type { Location } from './vfs.ts';
import { WaitQueue } from './wait.ts';

export const EPOLLIN = 0x1, EPOLLPRI = 0x2, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10, EPOLLRDHUP = 0x2000;
export const EPOLLEXCLUSIVE = 1 << 28, EPOLLWAKEUP = 1 << 29, EPOLLONESHOT = 1 << 30, EPOLLET = 1 << 31;
export const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;

interface Item {
  fd: number;
  file: OpenFile;
  events: number;
  data: bigint;
  /** Something happened on the file since the item was last reported (edge triggered). */
  dirty: boolean;
  /** EPOLLONESHOT fired: no more reports until MOD. */
  disarmed: boolean;
  /** Order in the ready list. */
  seq: number;
  cb: () => void;
}

export class EpollFile extends OpenFile {
  private readonly items = new Map<OpenFile, Map<number, Item>>();
  readonly q = new WaitQueue();
  private seq = 0;

  constructor(flags: number, loc: Location) {
    super(flags);
    this.loc = loc;
  }

  find(file: OpenFile, fd: number): Item | undefined {
    return this.items.get(file)?.get(fd);
  }

  /** Whether `target` is this epoll or reaches it through nested epolls (ELOOP). */
  reaches(target: EpollFile, depth = 0): boolean {
    if (target === this) return true;
    if (depth > 5) return true;
    for (const m of this.items.values()) for (const it of m.values()) if (it.file instanceof EpollFile && it.file.reaches(target, depth + 1)) return true;
    return false;
  }

  add(fd: number, file: OpenFile, events: number, data: bigint): void {
    const it: Item = { fd, file, events, data, dirty: true, disarmed: false, seq: this.seq++, cb: () => {} };
    it.cb = () => {
      it.dirty = true;
      it.seq = this.seq++;
      this.q.notify();
    };
    let m = this.items.get(file);
    if (!m) this.items.set(file, (m = new Map()));
    m.set(fd, it);
    this.watch(it, true);
    this.q.notify();
  }

  mod(it: Item, events: number, data: bigint): void {
    it.events = events;
    it.data = data;
    it.disarmed = false;
    it.dirty = true;
    it.seq = this.seq++;
    this.q.notify();
  }

  del(it: Item): void {
    this.watch(it, false);
    const m = this.items.get(it.file);
    m?.delete(it.fd);
    if (m && m.size === 0) this.items.delete(it.file);
  }

  private watch(it: Item, on: boolean): void {
    const qs = new Set([it.file.readQueue(), it.file.writeQueue()]);
    for (const q of qs) if (q) (on ? q.watch(it.cb) : q.unwatch(it.cb));
  }

  /** The ready events of an item now (0: not reportable). */
  private ready(it: Item): number {
    if (it.disarmed) return 0;
    const mask = (it.events & ~(EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP)) | EPOLLERR | EPOLLHUP;
    const r = it.file.poll() & mask;
    if (!r) return 0;
    if (it.events & EPOLLET && !it.dirty) return 0;
    return r;
  }

  /** Items whose file is gone (every descriptor closed) leave the interest list. */
  private prune(): void {
    for (const m of [...this.items.values()]) for (const it of [...m.values()]) if (it.file.refs <= 0) this.del(it);
  }

  /** Up to `max` ready events, consuming edge/one-shot state (ep_send_events). */
  collect(max: number): { events: number; data: bigint }[] {
    this.prune();
    const ready: [Item, number][] = [];
    for (const m of this.items.values()) for (const it of m.values()) {
      const r = this.ready(it);
      if (r) ready.push([it, r]);
    }
    ready.sort((a, b) => a[0].seq - b[0].seq);
    const out: { events: number; data: bigint }[] = [];
    for (const [it, r] of ready.slice(0, max)) {
      out.push({ events: r, data: it.data });
      it.dirty = false;
      if (it.events & EPOLLONESHOT) it.disarmed = true;
      else if (!(it.events & EPOLLET)) it.seq = this.seq++; // level triggered: back of the list
    }
    return out;
  }

  override poll(): number {
    this.prune();
    for (const m of this.items.values()) for (const it of m.values()) if (this.ready(it)) return POLLIN | POLLRDNORM;
    return 0;
  }
  override readQueue(): WaitQueue {
    return this.q;
  }
  override read(): number {
    return -E.EINVAL;
  }
  override write(): number {
    return -E.EINVAL;
  }
  override close(): void {
    for (const m of [...this.items.values()]) for (const it of [...m.values()]) this.del(it);
  }
  describe(): string {
    return 'anon_inode:[eventpoll]';
  }
}

// ------------------------------------------------------------------------------------
// timerfd

export const TFD_TIMER_ABSTIME = 1, TFD_TIMER_CANCEL_ON_SET = 2;

/** How a timerfd reaches the kernel's timers (set up by the syscall layer). */
export interface TimerHost {
  /** The clock's current value in ns (the timerfd's clock). */
  now(): number;
  /** The monotonic clock (what kernel timers run on). */
  mono(): number;
  /** (Re)arms the kernel timer to fire at monotonic `at` (0: disarm), calling back. */
  arm(at: number, cb: () => void): void;
}

export class TimerFdFile extends OpenFile {
  /** noop_llseek: the position never moves and lseek succeeds. */
  override lseek(): number {
    return this.pos;
  }
  readonly q = new WaitQueue();
  /** Next expiry on the timer's clock (0: disarmed), and the period. */
  private next = 0;
  private interval = 0;
  /** Expirations counted but not yet read. */
  private ticks = 0n;

  constructor(flags: number, loc: Location, readonly clockId: number, private readonly host: TimerHost) {
    super(flags);
    this.loc = loc;
  }

  /** Counts expirations up to now; re-arms the kernel timer for the next one. */
  private advance(): void {
    if (!this.next) return;
    const now = this.host.now();
    if (now >= this.next) {
      if (this.interval > 0) {
        const n = Math.floor((now - this.next) / this.interval) + 1;
        this.ticks += BigInt(n);
        this.next += n * this.interval;
      } else {
        this.ticks += 1n;
        this.next = 0;
      }
    }
    this.rearm();
  }

  private rearm(): void {
    if (!this.next) return this.host.arm(0, () => {});
    const delay = Math.max(0, this.next - this.host.now());
    this.host.arm(this.host.mono() + delay, () => {
      this.advance();
      this.q.notify();
    });
  }

  /** The time to the next expiry and the interval (timerfd_gettime). */
  get(): { value: number; interval: number } {
    this.advance();
    return { value: this.next ? Math.max(1, this.next - this.host.now()) : 0, interval: this.interval };
  }

  set(value: number, interval: number, abs: boolean): void {
    this.ticks = 0n;
    this.interval = interval;
    this.next = value === 0 ? 0 : abs ? Math.max(value, 1) : this.host.now() + value;
    if (this.next && !abs && value > 0) this.next = Math.max(this.next, 1);
    this.advance();
    this.q.notify();
  }

  override read(len: number): Uint8Array | number {
    if (len < 8) return -E.EINVAL;
    this.advance();
    if (this.ticks === 0n) return -E.EAGAIN;
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, this.ticks, true);
    this.ticks = 0n;
    return b;
  }
  override write(): number {
    return -E.EINVAL;
  }
  override poll(): number {
    this.advance();
    return this.ticks > 0n ? POLLIN | POLLRDNORM : 0;
  }
  override readQueue(): WaitQueue {
    return this.q;
  }
  override readable(): number {
    return -E.ENOTTY;
  }
  override close(): void {
    this.next = 0;
    this.host.arm(0, () => {});
  }
  describe(): string {
    return 'anon_inode:[timerfd]';
  }
}

// ------------------------------------------------------------------------------------
// signalfd

/** What a signalfd reads from: the reading task's pending signals (set by the syscall layer). */
export interface SignalSource {
  /** Takes one pending signal in `mask` (lowest first) as a signalfd_siginfo, or null. */
  take(mask: bigint): Uint8Array | null;
  /** Whether a signal in `mask` is pending for the caller. */
  pending(mask: bigint): boolean;
}

/** Every signalfd's queue: signals queued anywhere wake them all (they re-check). */
export const signalfdQueue = new WaitQueue();

export class SignalFdFile extends OpenFile {
  /** noop_llseek: the position never moves and lseek succeeds. */
  override lseek(): number {
    return this.pos;
  }
  constructor(flags: number, loc: Location, public mask: bigint, private readonly src: () => SignalSource) {
    super(flags);
    this.loc = loc;
  }
  override read(len: number): Uint8Array | number {
    if (len < 128) return -E.EINVAL;
    const out: Uint8Array[] = [];
    const s = this.src();
    while ((out.length + 1) * 128 <= len) {
      const r = s.take(this.mask);
      if (!r) break;
      out.push(r);
    }
    if (out.length === 0) return -E.EAGAIN;
    const b = new Uint8Array(out.length * 128);
    out.forEach((x, i) => b.set(x, i * 128));
    return b;
  }
  override write(): number {
    return -E.EINVAL;
  }
  override poll(): number {
    return this.src().pending(this.mask) ? POLLIN | POLLRDNORM : 0;
  }
  override readQueue(): WaitQueue {
    return signalfdQueue;
  }
  describe(): string {
    return 'anon_inode:[signalfd]';
  }
}
