/**
 * Time: CLOCK_MONOTONIC comes from the platform's trusted counter; CLOCK_REALTIME is the
 * host's wall clock read once at boot plus trusted elapsed time, so a host that moves its
 * clock cannot make enclave time run backwards.
 */
import { E } from '../errors.ts';
import {
  CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_THREAD_CPUTIME_ID,
} from '../abi/constants.ts';
import { encodeTimespec } from '../abi/structs.ts';
import type { Kernel } from '../kernel.ts';
import type { SyscallTable } from './table.ts';

/** Nanoseconds for a clock id, or null for an unknown clock. */
export function clockNs(k: Kernel, clock: number): number | null {
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
    const ns = clockNs(k, a.i32(0));
    if (ns === null) return -E.EINVAL;
    t.proc.as.copyOut(a.u(1), encodeTimespec(Math.floor(ns / 1e9), ns % 1e9));
    return 0;
  });
  tab.def('clock_getres', 'dp', (k, t, a) => {
    if (clockNs(k, a.i32(0)) === null) return -E.EINVAL;
    if (a.u(1)) t.proc.as.copyOut(a.u(1), encodeTimespec(0, 1));
    return 0;
  });
  tab.def('gettimeofday', 'pp', (k, t, a) => {
    if (a.u(0)) {
      const ns = k.realtimeNs();
      const b = encodeTimespec(Math.floor(ns / 1e9), Math.floor((ns % 1e9) / 1000)); // timeval has the same shape
      t.proc.as.copyOut(a.u(0), b);
    }
    return 0;
  });
}
