/**
 * epoll_create1, epoll_ctl, epoll_pwait, epoll_pwait2 (fs/eventpoll.c); timerfd_create,
 * timerfd_settime, timerfd_gettime (fs/timerfd.c); signalfd4 (fs/signalfd.c). The objects
 * are in fs/epoll.ts; the signal mask of the *pwait calls is applied as ppoll's is (poll.ts).
 *
 * struct epoll_event on riscv64 (not packed): u32 events@0, u64 data@8: 16 bytes.
 */
import { E, SysError } from '../errors.ts';
import { decodeTimespec, TIMESPEC_SIZE } from '../abi/structs.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import { fsOf } from '../fs/context.ts';
import { AnonInode } from '../fs/pipe.ts';
import { O_CLOEXEC, O_NONBLOCK, O_RDWR } from '../fs/vfs.ts';
import { S_IFDIR, S_IFREG } from '../fs/inode.ts';
import {
  EpollFile, TimerFdFile, SignalFdFile, signalfdQueue, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLEXCLUSIVE,
  EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLPRI, EPOLLERR, EPOLLHUP, EPOLLET, EPOLLONESHOT, EPOLLWAKEUP, TFD_TIMER_ABSTIME,
  TFD_TIMER_CANCEL_ON_SET, type SignalSource,
} from '../fs/epoll.ts';
import { fileOf, checkWritable } from './fs-common.ts';
import { maskedWait, readMask } from './poll.ts';
import { clockNs } from './time.ts';
import { signalHooks, takeInfo, encodeSiginfo, UNBLOCKABLE } from '../signals.ts';
import type { KTimer } from '../timers.ts';

const EP_MAX_EVENTS = 0x7fffffff / 16;
const EVENT_SIZE = 16;
const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_BOOTTIME = 7, CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9;
const ITIMERSPEC_SIZE = 32;

function anon(k: Kernel) {
  const mnt = fsOf(k).anonMount;
  return { mnt, inode: new AnonInode(mnt.sb) };
}

function epollOf(t: Task, fd: number): EpollFile {
  const f = fileOf(t, fd);
  if (!(f instanceof EpollFile)) throw new SysError(E.EINVAL);
  return f;
}

function epollWait(k: Kernel, t: Task, epfd: number, events: number, max: number, ns: number, mask: bigint | null) {
  if (max <= 0 || max > EP_MAX_EVENTS) return -E.EINVAL;
  checkWritable(t, events, max * EVENT_SIZE);
  const ep = epollOf(t, epfd);
  const scan = (): number => {
    const got = ep.collect(max);
    if (!got.length) return 0;
    const b = new Uint8Array(got.length * EVENT_SIZE);
    const dv = new DataView(b.buffer);
    got.forEach((e, i) => {
      dv.setUint32(i * EVENT_SIZE, e.events >>> 0, true);
      dv.setBigUint64(i * EVENT_SIZE + 8, e.data, true);
    });
    t.proc.as.copyOut(events, b);
    return got.length;
  };
  return maskedWait(k, t, [ep.q], ns, scan, mask);
}

function timespecNs(t: Task, addr: number): number {
  if (!addr) return Infinity;
  const ts = decodeTimespec(t.proc.as.copyIn(addr, TIMESPEC_SIZE));
  if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1e9) throw new SysError(E.EINVAL);
  return ts.sec * 1e9 + ts.nsec;
}

/** signalfd_siginfo (128 bytes) from a queued signal. */
function signalfdInfo(info: ReturnType<typeof takeInfo>): Uint8Array {
  const si = encodeSiginfo(info);
  const sv = new DataView(si.buffer, si.byteOffset, si.byteLength);
  const b = new Uint8Array(128);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, info.signo, true); // ssi_signo
  dv.setInt32(4, sv.getInt32(4, true), true); // ssi_errno
  dv.setInt32(8, sv.getInt32(8, true), true); // ssi_code
  dv.setUint32(12, sv.getUint32(16, true), true); // ssi_pid (si_pid)
  dv.setUint32(16, sv.getUint32(20, true), true); // ssi_uid (si_uid)
  if (sv.getInt32(8, true) === -2) { // SI_TIMER: ssi_tid, ssi_overrun
    dv.setUint32(24, sv.getUint32(16, true), true);
    dv.setUint32(32, sv.getUint32(20, true), true);
  }
  dv.setInt32(44, sv.getInt32(24, true), true); // ssi_int (si_int)
  dv.setBigUint64(48, sv.getBigUint64(24, true), true); // ssi_ptr
  dv.setBigUint64(72, sv.getBigUint64(16, true), true); // ssi_addr (faults)
  return b;
}

let hooked = false;

export function registerEpoll(tab: SyscallTable): void {
  if (!hooked) {
    hooked = true;
    const prev = signalHooks.queued;
    signalHooks.queued = (t) => { prev(t); signalfdQueue.notify(); };
  }

  tab.def('epoll_create1', 'x', (k, t, a) => {
    const flags = a.i32(0);
    if (flags & ~O_CLOEXEC) return -E.EINVAL;
    return t.proc.fds.install(new EpollFile(O_RDWR, anon(k)), (flags & O_CLOEXEC) !== 0);
  });

  tab.def('epoll_ctl', 'fdfp', (k, t, a) => {
    const epfd = a.i32(0), op = a.i32(1), fd = a.i32(2), evp = a.u(3);
    let events = 0, data = 0n;
    if (op !== EPOLL_CTL_DEL) {
      const b = t.proc.as.copyIn(evp, EVENT_SIZE);
      const dv = new DataView(b.buffer, b.byteOffset, EVENT_SIZE);
      events = dv.getUint32(0, true) | 0;
      data = dv.getBigUint64(8, true);
    }
    const epf = fileOf(t, epfd);
    const f = fileOf(t, fd);
    const type = f.loc ? f.loc.inode.mode & 0o170000 : 0;
    if (type === S_IFREG || type === S_IFDIR) return -E.EPERM; // files that never block do not support epoll
    if (!(epf instanceof EpollFile) || f === epf) return -E.EINVAL;
    const ep = epf;
    // EPOLLEXCLUSIVE: ADD only, with no EPOLLONESHOT, and not on an epoll file.
    if (events & EPOLLEXCLUSIVE) {
      if (op === EPOLL_CTL_MOD) return -E.EINVAL;
      if (op === EPOLL_CTL_ADD && ((f instanceof EpollFile) || (events & ~(EPOLLEXCLUSIVE | EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET)))) return -E.EINVAL;
    }
    const it = ep.find(f, fd);
    switch (op) {
      case EPOLL_CTL_ADD:
        if (it) return -E.EEXIST;
        if (f instanceof EpollFile && f.reaches(ep)) return -E.ELOOP;
        ep.add(fd, f, events | EPOLLERR | EPOLLHUP, data);
        return 0;
      case EPOLL_CTL_MOD:
        if (!it) return -E.ENOENT;
        if (it.events & EPOLLEXCLUSIVE) return -E.EINVAL;
        ep.mod(it, events | EPOLLERR | EPOLLHUP, data);
        return 0;
      case EPOLL_CTL_DEL:
        if (!it) return -E.ENOENT;
        ep.del(it);
        return 0;
      default:
        return -E.EINVAL;
    }
  });
  void EPOLLRDHUP; void EPOLLPRI; void EPOLLET; void EPOLLONESHOT;

  tab.def('epoll_pwait', 'fpddpu', (k, t, a) => {
    const ms = a.i32(3);
    const mask = readMask(t, a.u(4), a.u(5));
    if (typeof mask === 'number') return mask;
    return epollWait(k, t, a.i32(0), a.u(1), a.i32(2), ms < 0 ? Infinity : ms * 1e6, mask);
  });

  tab.def('epoll_pwait2', 'fpdppu', (k, t, a) => {
    const ns = timespecNs(t, a.u(3));
    const mask = readMask(t, a.u(4), a.u(5));
    if (typeof mask === 'number') return mask;
    return epollWait(k, t, a.i32(0), a.u(1), a.i32(2), ns, mask);
  });

  // ---- timerfd ----
  tab.def('timerfd_create', 'dx', (k, t, a) => {
    const clock = a.i32(0), flags = a.i32(1);
    if (flags & ~(O_CLOEXEC | O_NONBLOCK)) return -E.EINVAL;
    if (clock !== CLOCK_REALTIME && clock !== CLOCK_MONOTONIC && clock !== CLOCK_BOOTTIME) {
      return clock === CLOCK_REALTIME_ALARM || clock === CLOCK_BOOTTIME_ALARM ? -E.EPERM : -E.EINVAL;
    }
    const proc = t.proc;
    let timer: KTimer | null = null;
    const f = new TimerFdFile(O_RDWR | (flags & O_NONBLOCK), anon(k), clock, {
      now: () => clockNs(k, clock)!,
      mono: () => k.platform.monotonicNs(),
      arm: (at, cb) => {
        timer ??= { id: 0, clock: CLOCK_MONOTONIC, proc, base: 'real', expires: 0, interval: 0, signo: 0, code: 0, value: 0n, overrun: 0 };
        timer.onFire = cb;
        k.timers.arm(timer, at, 0);
      },
    });
    return t.proc.fds.install(f, (flags & O_CLOEXEC) !== 0);
  });

  const timerfdOf = (t: Task, fd: number): TimerFdFile => {
    const f = fileOf(t, fd);
    if (!(f instanceof TimerFdFile)) throw new SysError(E.EINVAL);
    return f;
  };
  const writeItimerspec = (t: Task, addr: number, v: { value: number; interval: number }) => {
    const b = new Uint8Array(ITIMERSPEC_SIZE);
    const dv = new DataView(b.buffer);
    const put = (o: number, ns: number) => {
      dv.setBigInt64(o, BigInt(Math.floor(ns / 1e9)), true);
      dv.setBigInt64(o + 8, BigInt(Math.round(ns % 1e9)), true);
    };
    put(0, v.interval);
    put(16, v.value);
    t.proc.as.copyOut(addr, b);
  };

  tab.def('timerfd_settime', 'fxpp', (k, t, a) => {
    const flags = a.i32(1);
    if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) return -E.EINVAL;
    const raw = t.proc.as.copyIn(a.u(2), ITIMERSPEC_SIZE);
    const f = timerfdOf(t, a.i32(0));
    const interval = decodeTimespec(raw.subarray(0, 16)), value = decodeTimespec(raw.subarray(16, 32));
    for (const ts of [interval, value]) if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1e9) return -E.EINVAL;
    if (a.u(3)) writeItimerspec(t, a.u(3), f.get());
    f.set(value.sec * 1e9 + value.nsec, interval.sec * 1e9 + interval.nsec, (flags & TFD_TIMER_ABSTIME) !== 0);
    return 0;
  });

  tab.def('timerfd_gettime', 'fp', (k, t, a) => {
    const f = timerfdOf(t, a.i32(0));
    writeItimerspec(t, a.u(1), f.get());
    return 0;
  });

  // ---- signalfd ----
  tab.def('signalfd4', 'fpux', (k, t, a) => {
    const fd = a.i32(0), flags = a.i32(3);
    if (flags & ~(O_CLOEXEC | O_NONBLOCK)) return -E.EINVAL;
    if (a.u(2) !== 8) return -E.EINVAL;
    const mask = new DataView(t.proc.as.copyIn(a.u(1), 8).buffer).getBigUint64(0, true) & ~UNBLOCKABLE;
    if (fd !== -1) {
      const f = fileOf(t, fd);
      if (!(f instanceof SignalFdFile)) return -E.EINVAL;
      f.mask = mask;
      signalfdQueue.notify();
      return fd;
    }
    const proc = t.proc;
    const src = (): SignalSource => ({
      pending: (m) => [...proc.tasks].some((x) => (x.pending & (m << 0n)) !== 0n && lowest(x.pending, m) !== 0),
      take: (m) => {
        for (const x of proc.tasks) {
          const sig = lowest(x.pending, m);
          if (sig) return signalfdInfo(takeInfo(x, sig));
        }
        return null;
      },
    });
    const f = new SignalFdFile(O_RDWR | (flags & O_NONBLOCK), anon(k), mask, src);
    return t.proc.fds.install(f, (flags & O_CLOEXEC) !== 0);
  });
}

/** The lowest signal pending in `pending` and `mask` (signal n is bit n-1), or 0. */
function lowest(pending: bigint, mask: bigint): number {
  const both = pending & mask;
  if (!both) return 0;
  for (let s = 1; s <= 64; s++) if (both & (1n << BigInt(s - 1))) return s;
  return 0;
}
