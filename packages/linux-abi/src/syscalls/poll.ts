/**
 * ppoll and pselect6 (fs/select.c). Readiness comes from each file's poll(); a task that
 * must wait sleeps on the read and write queues of every file it watches and rescans
 * when any of them changes, or until its timeout. A signal mask argument replaces the
 * thread's mask for the wait (as sigsuspend does): restored when the call returns, or, when a
 * signal interrupted it (EINTR), after that signal's handler ran (saved_sigmask).
 */
import { E } from '../errors.ts';
import { decodeTimespec, TIMESPEC_SIZE } from '../abi/structs.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import { POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDNORM, POLLWRBAND, POLLWRNORM, type OpenFile } from '../fs/file.ts';
import { AGAIN, sleepOn, type RetryResult, type WaitQueue } from '../fs/wait.ts';
import { nextSignal, UNBLOCKABLE } from '../signals.ts';

/** A relative timeout in ns from a timespec pointer (null: wait forever). */
function timeoutNs(t: Task, addr: number): number {
  if (!addr) return Infinity;
  const ts = decodeTimespec(t.proc.as.copyIn(addr, TIMESPEC_SIZE));
  if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1e9) return -1;
  return ts.sec * 1e9 + ts.nsec;
}

function queuesOf(files: (OpenFile | undefined)[]): WaitQueue[] {
  const qs = new Set<WaitQueue>();
  for (const f of files) {
    if (!f) continue;
    const r = f.readQueue(), w = f.writeQueue();
    if (r) qs.add(r);
    if (w) qs.add(w);
  }
  return [...qs];
}

/** The sigmask argument of ppoll/pselect6/epoll_pwait: null when absent; -EINVAL for a bad size. */
export function readMask(t: Task, addr: number, size: number): bigint | null | number {
  if (!addr) return null;
  if (size !== 8) return -E.EINVAL;
  return new DataView(t.proc.as.copyIn(addr, 8).buffer).getBigUint64(0, true);
}

/**
 * Scans, then sleeps on `queues` until scan() finds something or `ns` passes (0 then), with
 * `mask` (if any) as the thread's signal mask meanwhile. Never restarted after a handler ran
 * (ERESTARTNOHAND): EINTR.
 */
export function maskedWait(k: Kernel, t: Task, queues: WaitQueue[], ns: number, scan: () => number, mask: bigint | null,
  onFinish?: (deadline: number) => void) {
  const old = t.sigmask;
  const deadline = ns === Infinity ? Infinity : k.platform.monotonicNs() + ns;
  if (mask !== null) t.sigmask = mask & ~UNBLOCKABLE;
  const restore = (interrupted: boolean) => {
    onFinish?.(deadline);
    if (mask === null) return;
    if (interrupted) t.savedMaskForSuspend = old;
    else t.sigmask = old;
  };
  let first: number;
  try {
    first = scan();
  } catch (e) {
    restore(false);
    throw e;
  }
  // Nothing ready and a signal the mask lets through is pending: EINTR, even with a zero
  // timeout (do_poll checks signal_pending before timed_out).
  if (first === 0 && mask !== null && nextSignal(t)) {
    restore(true);
    return -E.EINTR;
  }
  if (first !== 0 || ns === 0) {
    restore(false);
    return first;
  }
  const retry = (): RetryResult => {
    const n = scan();
    return n === 0 ? AGAIN : n;
  };
  let interrupted = false;
  return sleepOn(k, t, queues, retry, deadline, 0, () => {
    interrupted = true;
    k.wake(t, -E.EINTR);
    return true;
  }, () => restore(interrupted));
}

function wait(k: Kernel, t: Task, files: (OpenFile | undefined)[], ns: number, scan: () => number, mask: bigint | null = null,
  onFinish?: (deadline: number) => void) {
  return maskedWait(k, t, queuesOf(files), ns, scan, mask, onFinish);
}

/** poll_select_finish: ppoll and pselect6 write the time left back to their timespec. */
function remainingWriter(k: Kernel, t: Task, addr: number): ((deadline: number) => void) | undefined {
  if (!addr) return undefined;
  return (deadline) => {
    const left = Math.max(0, deadline - k.platform.monotonicNs());
    const b = new Uint8Array(TIMESPEC_SIZE);
    const dv = new DataView(b.buffer);
    dv.setBigInt64(0, BigInt(Math.floor(left / 1e9)), true);
    dv.setBigInt64(8, BigInt(Math.floor(left % 1e9)), true);
    try { t.proc.as.copyOut(addr, b); } catch { /* Linux ignores a failed write-back here */ }
  };
}

const POLLIN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const POLLOUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const POLLEX_SET = POLLPRI;

export function registerPoll(tab: SyscallTable): void {
  tab.def('ppoll', 'pupxu', (k, t, a) => {
    const addr = a.u(0), nfds = a.u(1);
    if (nfds > Number(t.proc.rlimits[7]?.cur ?? 1024n) && nfds > 1024) return -E.EINVAL;
    const mask = readMask(t, a.u(3), a.u(4));
    if (typeof mask === 'number') return mask;
    const ns = timeoutNs(t, a.u(2));
    if (ns < 0) return -E.EINVAL;
    const raw = t.proc.as.copyIn(addr, nfds * 8);
    const dv = new DataView(raw.buffer);
    const fds: number[] = [], events: number[] = [];
    for (let i = 0; i < nfds; i++) {
      fds.push(dv.getInt32(i * 8, true));
      events.push(dv.getUint16(i * 8 + 4, true));
    }
    const files = fds.map((fd) => (fd >= 0 ? t.proc.fds.get(fd) : undefined));
    const scan = (): number => {
      let n = 0;
      const out = new Uint8Array(nfds * 8);
      out.set(raw);
      const o = new DataView(out.buffer);
      for (let i = 0; i < nfds; i++) {
        let rev = 0;
        if (fds[i] >= 0) {
          const f = t.proc.fds.get(fds[i]);
          rev = f ? f.poll() & (events[i] | POLLERR | POLLHUP) : POLLNVAL;
        }
        o.setUint16(i * 8 + 6, rev, true);
        if (rev) n++;
      }
      t.proc.as.copyOut(addr, out);
      return n;
    };
    return wait(k, t, files, ns, scan, mask, remainingWriter(k, t, a.u(2)));
  });

  tab.def('pselect6', 'dppppp', (k, t, a) => {
    const n = a.i32(0);
    if (n < 0) return -E.EINVAL;
    // Bits past the descriptor table's size (at least 64, grown in powers of two) are ignored.
    let tableSize = 64;
    while (tableSize < t.proc.fds.size) tableSize *= 2;
    const max = Math.min(n, tableSize);
    const words = Math.ceil(n / 64);
    const sets = [a.u(1), a.u(2), a.u(3)];
    const ns = timeoutNs(t, a.u(4));
    if (ns < 0) return -E.EINVAL;
    let mask: bigint | null = null;
    if (a.u(5)) {
      // { const sigset_t *ss; size_t ss_len }
      const sig = new DataView(t.proc.as.copyIn(a.u(5), 16).buffer);
      const ss = Number(sig.getBigUint64(0, true));
      if (ss) {
        const m = readMask(t, ss, Number(sig.getBigUint64(8, true)));
        if (typeof m === 'number') return m;
        mask = m;
      }
    }
    const inBits = sets.map((p) => (p && words ? t.proc.as.copyIn(p, words * 8) : null));
    const want: { fd: number; mask: number }[] = [];
    for (let fd = 0; fd < n; fd++) {
      let m = 0;
      inBits.forEach((b, i) => { if (b && b[fd >> 3] & (1 << (fd & 7))) m |= 1 << i; });
      if (!m || fd >= max) continue;
      if (!t.proc.fds.get(fd)) return -E.EBADF;
      want.push({ fd, mask: m });
    }
    const files = want.map((w) => t.proc.fds.get(w.fd));
    const scan = (): number => {
      const outs = inBits.map((b) => (b ? new Uint8Array(b.length) : null));
      let count = 0;
      for (const w of want) {
        const f = t.proc.fds.get(w.fd);
        const ev = f ? f.poll() : POLLNVAL;
        const hit = [POLLIN_SET, POLLOUT_SET, POLLEX_SET];
        for (let i = 0; i < 3; i++) {
          if (w.mask & (1 << i) && ev & hit[i]) {
            outs[i]![w.fd >> 3] |= 1 << (w.fd & 7);
            count++;
          }
        }
      }
      // Written on every scan: a wait that times out returns the sets empty.
      outs.forEach((o, i) => { if (o && sets[i]) t.proc.as.copyOut(sets[i], o); });
      return count;
    };
    return wait(k, t, files, ns, scan, mask, remainingWriter(k, t, a.u(4)));
  });
}
