/**
 * Time: CLOCK_MONOTONIC comes from the platform's trusted counter; CLOCK_REALTIME is the
 * host's wall clock read once at boot plus trusted elapsed time, so a host that moves its
 * clock cannot make enclave time run backwards.
 */
import {
  CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_THREAD_CPUTIME_ID,
} from '../abi/constants.ts';
import { decodeTimespec, encodeTimespec, TIMESPEC_SIZE } from '../abi/structs.ts';
import {
  ADJ_ADJTIME, ADJ_OFFSET_READONLY, ADJ_OFFSET_SINGLESHOT, ADJ_SETOFFSET, decodeTimex, encodeTimex, TIME_ERROR, TIMEX_SIZE,
  UNSYNCED_NTP, type Timex,
} from '../abi/timex.ts';
import { E, SysError } from '../errors.ts';
import type { Task } from '../task.ts';
import { SI_TIMER, type KTimer } from '../timers.ts';
import type { Kernel, BLOCKED } from '../kernel.ts';
import type { SyscallTable } from './table.ts';

/**
 * A process's or thread's CPU-time clock (kernel/time/posix-cpu-timers.c): ids below zero
 * are ~pid << 3 | per-thread 4 | type (PROF 0, VIRT 1, SCHED 2), as glibc's
 * clock_getcpuclockid/pthread_getcpuclockid make them (pid 0 = the caller). Thread clocks
 * must name a thread of the caller's process. CPU time is per process in this model.
 */
function cpuClockNs(k: Kernel, t: Task, clock: number): number | null {
  if ((clock & 7) === 7 || (clock & 3) === 3) return null;
  const id = ~(clock >> 3);
  let proc = t.proc;
  if (clock & 4) {
    if (id !== 0 && ![...t.proc.tasks].some((x) => x.tid === id)) return null;
  } else if (id !== 0) {
    const p = k.processes.get(id);
    if (!p) return null;
    proc = p;
  }
  return proc.cpuInstructions + (proc === t.proc ? k.platform.exec.instret() - k.sliceStart : 0);
}

/** Nanoseconds for a clock id, or null for an unknown clock (CPU clocks of others need `t`). */
export function clockNs(k: Kernel, clock: number, t?: Task): number | null {
  if (clock < 0) return t ? cpuClockNs(k, t, clock) : null;
  switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
      return k.realtimeNs();
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
      return k.platform.monotonicNs();
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
      return k.cpuTimeNs();
    default:
      return null;
  }
}

export function registerTime(tab: SyscallTable): void {
  tab.def('clock_gettime', 'dp', (k, t, a) => {
    const ns = clockNs(k, a.i32(0), t);
    if (ns === null) return -E.EINVAL;
    t.proc.as.copyOut(a.u(1), encodeTimespec(Math.floor(ns / 1e9), ns % 1e9));
    return 0;
  });
  tab.def('clock_getres', 'dp', (k, t, a) => {
    if (clockNs(k, a.i32(0), t) === null) return -E.EINVAL;
    if (a.u(1)) t.proc.as.copyOut(a.u(1), encodeTimespec(0, 1));
    return 0;
  });
  // Setting a clock needs CAP_SYS_TIME (EPERM for the configured user); clocks without a
  // setter are EINVAL (kernel/time/posix-timers.c clock_settime).
  tab.def('clock_settime', 'dp', (k, t, a) => {
    const clock = a.i32(0);
    readTs(t, a.u(1));
    if (clockNs(k, clock, t) === null) return -E.EINVAL;
    return clock === CLOCK_REALTIME ? -E.EPERM : -E.EINVAL;
  });
  tab.def('settimeofday', 'pp', (k, t, a) => {
    if (a.u(0)) t.proc.as.copyIn(a.u(0), 16);
    return -E.EPERM;
  });

  // adjtimex/clock_adjtime (kernel/time/time.c, posix-timers.c, ntp.c). Reading is for anyone;
  // any change needs CAP_SYS_TIME, which no user of the enclave has: the clock is the host's, so
  // root is refused as settimeofday/clock_settime refuse it (as in a container without
  // CAP_SYS_TIME). The NTP state is that of a clock nothing disciplines.
  tab.def('adjtimex', 'p', (k, t, a) => {
    const orig = t.proc.as.copyIn(a.u(0), TIMEX_SIZE);
    const tx = decodeTimex(orig);
    const r = doAdjtimex(k, tx);
    t.proc.as.copyOut(a.u(0), encodeTimex(tx, orig)); // copied back whatever the result (EFAULT wins)
    return r;
  }, 'full', 'reads the NTP state of an undisciplined clock (TIME_ERROR, STA_UNSYNC); every change EPERM, root too: the enclave cannot set the host\'s clock');
  tab.def('clock_adjtime', 'dp', (k, t, a) => {
    const orig = t.proc.as.copyIn(a.u(1), TIMEX_SIZE);
    const clock = a.i32(0);
    let r: number;
    if (clock === CLOCK_REALTIME) {
      const tx = decodeTimex(orig);
      r = doAdjtimex(k, tx);
      if (r >= 0) t.proc.as.copyOut(a.u(1), encodeTimex(tx, orig));
    } else r = clockWithoutAdj(clock) ? -E.EOPNOTSUPP : -E.EINVAL;
    return r;
  }, 'full', 'CLOCK_REALTIME as adjtimex; the other clocks as Linux 6.1 (EOPNOTSUPP, EINVAL for unknown ids and clock fds)');

  tab.def('gettimeofday', 'pp', (k, t, a) => {
    if (a.u(0)) {
      const ns = k.realtimeNs();
      const b = encodeTimespec(Math.floor(ns / 1e9), Math.floor((ns % 1e9) / 1000)); // timeval has the same shape
      t.proc.as.copyOut(a.u(0), b);
    }
    return 0;
  });
}

/**
 * do_adjtimex after ntp_validate_timex, for a caller without CAP_SYS_TIME: ADJ_ADJTIME needs
 * all of ADJ_OFFSET_SINGLESHOT (EINVAL), and only its read-only form (ADJ_OFFSET_SS_READ) is
 * allowed; otherwise any mode bit is a change (EPERM), and so is ADJ_SETOFFSET with either.
 * Then __do_adjtimex's report: offset (time_adjust for ADJ_ADJTIME, time_offset otherwise, both
 * 0), the unsynchronised state, the realtime clock in microseconds (no STA_NANO), and the
 * result TIME_ERROR (is_error_status: STA_UNSYNC).
 */
function doAdjtimex(k: Kernel, tx: Timex): number {
  const m = tx.modes;
  if (m & ADJ_ADJTIME) {
    if ((m & ADJ_OFFSET_SINGLESHOT) !== ADJ_OFFSET_SINGLESHOT) return -E.EINVAL;
    if (!(m & ADJ_OFFSET_READONLY)) return -E.EPERM;
  } else if (m) return -E.EPERM;
  if (m & ADJ_SETOFFSET) return -E.EPERM;
  const ns = k.realtimeNs();
  const n = UNSYNCED_NTP;
  Object.assign(tx, {
    offset: 0n, freq: 0n, maxerror: n.maxerror, esterror: n.esterror, status: n.status, constant: n.constant,
    precision: n.precision, tolerance: n.tolerance, tick: n.tick, tai: 0,
    ppsfreq: 0n, jitter: 0n, shift: 0, stabil: 0n, jitcnt: 0n, calcnt: 0n, errcnt: 0n, stbcnt: 0n,
    timeSec: BigInt(Math.floor(ns / 1e9)), timeUsec: BigInt(Math.floor((ns % 1e9) / 1000)),
  });
  return TIME_ERROR;
}

/**
 * Whether clock_adjtime's clock exists but has no clock_adj (kernel/time/posix-timers.c
 * clockid_to_kclock, Linux 6.1): the posix_clocks table's MONOTONIC, the CPU-time clocks,
 * MONOTONIC_RAW, the coarse clocks, BOOTTIME, the two alarm clocks and TAI; every negative id
 * but a clock fd ((id & 7) == 3, a dynamic posix clock: this kernel has none, so EINVAL) is a
 * CPU clock (EOPNOTSUPP without looking at it). Id 10 and ids from 12 are EINVAL.
 */
function clockWithoutAdj(clock: number): boolean {
  if (clock < 0) return (clock & 7) !== 3;
  return (clock >= 1 && clock <= 9) || clock === 11;
}

// ---- sleeping and timers ----

const TIMER_ABSTIME = 1;
const ITIMER_REAL = 0, ITIMER_VIRTUAL = 1, ITIMER_PROF = 2;
const SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2, SIGEV_THREAD_ID = 4;
const SIGALRM = 14, SIGVTALRM = 26, SIGPROF = 27;

function readTs(t: Task, addr: number): number {
  const { sec, nsec } = decodeTimespec(t.proc.as.copyIn(addr, TIMESPEC_SIZE));
  if (sec < 0 || nsec < 0 || nsec >= 1e9) throw new SysError(E.EINVAL);
  return sec * 1e9 + nsec;
}

function tsBytes(ns: number): Uint8Array {
  return encodeTimespec(Math.floor(ns / 1e9), ns % 1e9);
}

/** Sleeps until `deadline` (monotonic ns); a handled signal ends it with EINTR and `rem`. */
function sleepUntil(k: Kernel, t: Task, deadline: number, remAddr: number, restartable: boolean) {
  t.restartBlock = null; // each sleep starts with do_no_restart_syscall
  return sleepTo(k, t, deadline, remAddr, restartable);
}

/**
 * hrtimer_nanosleep: a signal ends the sleep with EINTR (after a handler, SA_RESTART or not:
 * -ERESTART_RESTARTBLOCK), writing the time left to remAddr. A relative sleep leaves a restart
 * block that sleeps on to the same deadline (hrtimer_nanosleep_restart): restart_syscall runs
 * it. A stop does not end the sleep here; Linux's restart after SIGCONT comes to the same.
 */
function sleepTo(k: Kernel, t: Task, deadline: number, remAddr: number, restartable: boolean): number | typeof BLOCKED {
  if (deadline <= k.platform.monotonicNs()) return 0;
  return k.block(t, {
    deadline, onTimeout: 0, restartable: false,
    onSignal: () => {
      if (remAddr) {
        try { t.proc.as.copyOut(remAddr, tsBytes(Math.max(0, deadline - k.platform.monotonicNs()))); } catch { /* EFAULT is ignored here, as Linux does */ }
      }
      if (restartable) t.restartBlock = (k2, t2) => sleepTo(k2, t2, deadline, remAddr, true);
      k.wake(t, -E.EINTR);
      return true;
    },
  });
}

function itimerKind(which: number): { key: string; base: 'real' | 'cpu'; sig: number } | null {
  if (which === ITIMER_REAL) return { key: 'itimer-real', base: 'real', sig: SIGALRM };
  if (which === ITIMER_VIRTUAL) return { key: 'itimer-virtual', base: 'cpu', sig: SIGVTALRM };
  if (which === ITIMER_PROF) return { key: 'itimer-prof', base: 'cpu', sig: SIGPROF };
  return null;
}

/** struct itimerval { timeval interval; timeval value } (timeval = s64 sec, s64 usec). */
function itimervalBytes(k: Kernel, tm: KTimer | undefined): Uint8Array {
  const b = new Uint8Array(32);
  const dv = new DataView(b.buffer);
  if (tm && tm.expires > 0) {
    const left = Math.max(1000, tm.expires - k.timers.now(tm)); // never report 0 for an armed timer
    dv.setBigInt64(0, BigInt(Math.floor(tm.interval / 1e9)), true);
    dv.setBigInt64(8, BigInt(Math.floor((tm.interval % 1e9) / 1000)), true);
    dv.setBigInt64(16, BigInt(Math.floor(left / 1e9)), true);
    dv.setBigInt64(24, BigInt(Math.ceil((left % 1e9) / 1000)), true);
  }
  return b;
}

function itimerspecBytes(k: Kernel, tm: KTimer): Uint8Array {
  const b = new Uint8Array(32);
  b.set(tsBytes(tm.interval), 0);
  if (tm.expires > 0) b.set(tsBytes(Math.max(1, tm.expires - k.timers.now(tm))), 16);
  return b;
}

export function registerTimers(tab: SyscallTable): void {
  tab.def('nanosleep', 'pp', (k, t, a) => {
    const ns = readTs(t, a.u(0));
    return sleepUntil(k, t, k.platform.monotonicNs() + ns, a.u(1), true);
  });

  tab.def('clock_nanosleep', 'dxpp', (k, t, a) => {
    const clock = a.i32(0), flags = a.i32(1);
    if (clock === CLOCK_THREAD_CPUTIME_ID || (clock < 0 && clock & 4)) return -E.EINVAL;
    if (clockNs(k, clock, t) === null) return -E.EINVAL;
    const ns = readTs(t, a.u(2));
    let deadline: number;
    if (flags & TIMER_ABSTIME) {
      // An absolute time on the given clock, converted to the monotonic timeline.
      deadline = k.platform.monotonicNs() + (ns - clockNs(k, clock)!);
      return sleepUntil(k, t, deadline, 0, false); // no restart block, no time left written
    }
    deadline = k.platform.monotonicNs() + ns;
    return sleepUntil(k, t, deadline, a.u(3), true);
  });

  tab.def('getitimer', 'dp', (k, t, a) => {
    const kind = itimerKind(a.i32(0));
    if (!kind) return -E.EINVAL;
    t.proc.as.copyOut(a.u(1), itimervalBytes(k, t.proc.itimers.get(kind.key)));
    return 0;
  });

  tab.def('setitimer', 'dpp', (k, t, a) => {
    const kind = itimerKind(a.i32(0));
    if (!kind) return -E.EINVAL;
    let tm = t.proc.itimers.get(kind.key);
    const oldBytes = itimervalBytes(k, tm);
    {
      // A NULL new value disarms the timer (kernel/time/itimer.c, with a warning on Linux).
      const dv = new DataView(a.u(1) ? t.proc.as.copyIn(a.u(1), 32).buffer : new ArrayBuffer(32));
      const is = Number(dv.getBigInt64(0, true)), iu = Number(dv.getBigInt64(8, true));
      const vs = Number(dv.getBigInt64(16, true)), vu = Number(dv.getBigInt64(24, true));
      if (is < 0 || iu < 0 || iu >= 1e6 || vs < 0 || vu < 0 || vu >= 1e6) return -E.EINVAL;
      if (!tm) {
        tm = { id: 0, clock: kind.base === 'real' ? CLOCK_REALTIME : CLOCK_PROCESS_CPUTIME_ID, proc: t.proc, base: kind.base, expires: 0, interval: 0, signo: kind.sig, code: 0x80, value: 0n, overrun: 0 };
        t.proc.itimers.set(kind.key, tm);
      }
      const value = vs * 1e9 + vu * 1000, interval = is * 1e9 + iu * 1000;
      k.timers.arm(tm, value ? k.timers.now(tm) + value : 0, interval);
    }
    if (a.u(2)) t.proc.as.copyOut(a.u(2), oldBytes);
    return 0;
  });

  tab.def('timer_create', 'dpp', (k, t, a) => {
    const clock = a.i32(0);
    if (clockNs(k, clock, t) === null) return -E.EINVAL;
    const base = clock === CLOCK_PROCESS_CPUTIME_ID || clock === CLOCK_THREAD_CPUTIME_ID || clock < 0 ? 'cpu' : 'real';
    const id = t.proc.nextTimerId++;
    const tm: KTimer = { id, clock, proc: t.proc, base, expires: 0, interval: 0, signo: SIGALRM, code: SI_TIMER, value: BigInt(id), overrun: 0 };
    if (a.u(1)) {
      const dv = new DataView(t.proc.as.copyIn(a.u(1), 64).buffer);
      const value = dv.getBigUint64(0, true), signo = dv.getInt32(8, true), notify = dv.getInt32(12, true), tid = dv.getInt32(16, true);
      tm.value = value;
      if (notify === SIGEV_NONE) tm.silent = true;
      else if (notify === SIGEV_SIGNAL || notify === SIGEV_THREAD_ID) {
        if (signo < 1 || signo > 64) return -E.EINVAL;
        tm.signo = signo;
        if (notify === SIGEV_THREAD_ID) {
          const target = [...t.proc.tasks].find((x) => x.tid === tid);
          if (!target) return -E.EINVAL;
          tm.thread = target;
        }
      } else if (notify === SIGEV_THREAD) return -E.EINVAL; // glibc implements it with SIGEV_THREAD_ID
      else return -E.EINVAL;
    }
    t.proc.posixTimers.set(id, tm);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, id, true);
    t.proc.as.copyOut(a.u(2), b);
    return 0;
  });

  tab.def('timer_settime', 'dxpp', (k, t, a) => {
    const tm = t.proc.posixTimers.get(a.i32(0));
    if (!tm) return -E.EINVAL;
    const flags = a.i32(1);
    const dv = new DataView(t.proc.as.copyIn(a.u(2), 32).buffer);
    const i = Number(dv.getBigInt64(0, true)) * 1e9 + Number(dv.getBigInt64(8, true));
    const vsec = Number(dv.getBigInt64(16, true)), vnsec = Number(dv.getBigInt64(24, true));
    if (vsec < 0 || vnsec < 0 || vnsec >= 1e9 || i < 0) return -E.EINVAL;
    const v = vsec * 1e9 + vnsec;
    if (a.u(3)) t.proc.as.copyOut(a.u(3), itimerspecBytes(k, tm));
    let expires = 0;
    if (v > 0) {
      if (flags & TIMER_ABSTIME) {
        // Absolute on the timer's clock: realtime clocks are moved onto the monotonic timeline.
        const realtime = tm.clock === CLOCK_REALTIME || tm.clock === CLOCK_REALTIME_COARSE;
        expires = realtime ? k.platform.monotonicNs() + (v - k.realtimeNs()) : v;
      } else expires = k.timers.now(tm) + v;
      expires = Math.max(expires, 1);
    }
    tm.overrun = 0;
    k.timers.arm(tm, expires, i);
    return 0;
  });

  tab.def('timer_gettime', 'dp', (k, t, a) => {
    const tm = t.proc.posixTimers.get(a.i32(0));
    if (!tm) return -E.EINVAL;
    t.proc.as.copyOut(a.u(1), itimerspecBytes(k, tm));
    return 0;
  });

  tab.def('timer_getoverrun', 'd', (k, t, a) => {
    const tm = t.proc.posixTimers.get(a.i32(0));
    return tm ? tm.overrun : -E.EINVAL;
  });

  tab.def('timer_delete', 'd', (k, t, a) => {
    const tm = t.proc.posixTimers.get(a.i32(0));
    if (!tm) return -E.EINVAL;
    k.timers.arm(tm, 0, 0);
    t.proc.posixTimers.delete(a.i32(0));
    return 0;
  });
}
