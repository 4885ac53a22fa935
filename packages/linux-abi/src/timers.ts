/**
 * Kernel timers: ITIMER_REAL/VIRTUAL/PROF (kernel/time/itimer.c) and POSIX timers
 * (kernel/time/posix-timers.c) with SIGEV_SIGNAL, SIGEV_THREAD_ID and SIGEV_NONE. Real
 * timers run on the platform's trusted monotonic clock; CPU timers on the process's
 * instruction count (one instruction is modelled as one nanosecond).
 */
import type { Kernel } from './kernel.ts';
import type { Process, Task } from './task.ts';
import { sendToProcess, sendToTask, type SigInfo } from './signals.ts';

export const SI_TIMER = -2;

export interface KTimer {
  id: number;
  /** The clock id it was created on. */
  clock: number;
  proc: Process;
  /** 'real' on the monotonic clock; 'cpu' on the process's CPU time. */
  base: 'real' | 'cpu';
  /** When it fires next (ns on its base), or 0 when disarmed. */
  expires: number;
  interval: number;
  signo: number;
  /** SIGEV_THREAD_ID target; otherwise process-directed. */
  thread?: Task;
  /** SIGEV_NONE: never signals. */
  silent?: boolean;
  /** SI_TIMER/SI_KERNEL information. */
  code: number;
  value: bigint;
  overrun: number;
  /** Instead of a signal: a kernel callback (timerfd); such a timer outlives its process. */
  onFire?: () => void;
}

export class TimerWheel {
  readonly timers = new Set<KTimer>();
  /** The siginfo each timer last queued (to coalesce expiries while it is pending). */
  private readonly queued = new WeakMap<KTimer, SigInfo>();

  constructor(private readonly k: Kernel) {}

  now(t: KTimer): number {
    return t.base === 'real' ? this.k.platform.monotonicNs() : t.proc.cpuInstructions;
  }

  arm(t: KTimer, expires: number, interval: number): void {
    t.expires = expires;
    t.interval = interval;
    if (expires > 0) this.timers.add(t);
    else this.timers.delete(t);
  }

  /** Fires every expired timer; returns the earliest pending real deadline (or Infinity). */
  run(): number {
    let earliest = Infinity;
    for (const t of this.timers) {
      if (t.proc.exitStatus !== null && !t.onFire) {
        this.timers.delete(t);
        continue;
      }
      const now = this.now(t);
      if (t.expires > 0 && now >= t.expires) {
        this.fire(t);
        if (t.interval > 0) {
          const missed = Math.floor((now - t.expires) / t.interval);
          t.overrun += missed;
          t.expires += (missed + 1) * t.interval;
        } else {
          t.expires = 0;
          this.timers.delete(t);
        }
      }
      if (t.base === 'real' && t.expires > 0) earliest = Math.min(earliest, t.expires);
    }
    return earliest;
  }

  private fire(t: KTimer): void {
    if (t.onFire) return t.onFire();
    if (t.silent) return;
    // One signal per timer at a time (kernel/signal.c send_sigqueue): while the last one is
    // still queued, an expiry only counts as an overrun.
    const prev = this.queued.get(t);
    if (prev && [...t.proc.tasks].some((x) => x.sigQueue.includes(prev))) {
      t.overrun++;
      if (prev.raw) new DataView(prev.raw.buffer).setInt32(20, t.overrun, true);
      return;
    }
    t.overrun = 0;
    const info: SigInfo = { signo: t.signo, code: t.code, value: t.value, pid: t.id };
    this.queued.set(t, info);
    if (t.code === SI_TIMER) {
      // si_timerid@16, si_overrun@20, si_value@24 for timer signals.
      const raw = new Uint8Array(128);
      const dv = new DataView(raw.buffer);
      dv.setInt32(0, t.signo, true);
      dv.setInt32(8, SI_TIMER, true);
      dv.setInt32(16, t.id, true);
      dv.setInt32(20, t.overrun, true);
      dv.setBigUint64(24, t.value, true);
      info.raw = raw;
    }
    if (t.thread && t.thread.state !== 'zombie') sendToTask(this.k, t.thread, info);
    else sendToProcess(this.k, t.proc, info);
  }
}
