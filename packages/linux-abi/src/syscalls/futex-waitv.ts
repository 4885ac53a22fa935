/**
 * futex_waitv (kernel/futex/syscalls.c sys_futex_waitv, waitwake.c futex_wait_multiple): sleep
 * on up to FUTEX_WAITV_MAX words at once until an ordinary FUTEX_WAKE (or a requeue) reaches one
 * of them; the result is that word's index. Each word is keyed as FUTEX_WAIT keys it (sched.ts
 * futexKey): private, shared on private memory, a shared file mapping, untrusted shared memory
 * (the host's queue, SGX --untrusted-shared-memory), or another enclave's file, which its owner
 * queues (family-futex.ts enqueue): every word waits in the queue its own FUTEX_WAKE looks at.
 */
import { E } from '../errors.ts';
import { decodeTimespec, TIMESPEC_SIZE } from '../abi/structs.ts';
import { CLOCK_MONOTONIC, CLOCK_REALTIME } from '../abi/constants.ts';
import type { Kernel, BLOCKED } from '../kernel.ts';
import type { Task, WaitvWord } from '../task.ts';
import type { HeldFile } from '../family-futex.ts';
import { nextSignal, restartSys } from '../signals.ts';
import type { SyscallTable } from './table.ts';
import { futexKey, ushmWord, FUTEX_BITSET_MATCH_ANY } from './sched.ts';

// linux/futex.h
const FUTEX_WAITV_MAX = 128;
const FUTEX2_SIZE_MASK = 0x3, FUTEX2_SIZE_U32 = 0x2, FUTEX2_NUMA = 0x4, FUTEX2_MPOL = 0x8, FUTEX2_PRIVATE = 128;
const FUTEX2_VALID_MASK = FUTEX2_SIZE_MASK | FUTEX2_NUMA | FUTEX2_MPOL | FUTEX2_PRIVATE;
const FUTEX_NO_NODE = 0xffffffff;
const WAITV_SIZE = 24; // struct futex_waitv { u64 val; u64 uaddr; u32 flags; u32 __reserved; }
/** TASK_SIZE of Sv39 user space: access_ok's bound for a private key. */
const TASK_SIZE = 2 ** 38;

interface Word { uaddr: number; val: number; priv: boolean; numa: boolean }

export function registerFutexWaitv(tab: SyscallTable): void {
  tab.def('futex_waitv', 'puxpd', (k, t, a) => {
    const uv = a.u(0), nr = a.i32(1) >>> 0, flags = a.i32(2) >>> 0, tsp = a.u(3), clockid = a.i32(4);
    if (flags) return -E.EINVAL; // no flags yet
    if (!nr || nr > FUTEX_WAITV_MAX || !uv) return -E.EINVAL;
    let deadline = Infinity;
    if (tsp) {
      // futex2_setup_timeout: an absolute time on CLOCK_MONOTONIC or CLOCK_REALTIME.
      if (clockid !== CLOCK_REALTIME && clockid !== CLOCK_MONOTONIC) return -E.EINVAL;
      const ts = decodeTimespec(t.proc.as.copyIn(tsp, TIMESPEC_SIZE));
      if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1e9) return -E.EINVAL;
      const ns = ts.sec * 1e9 + ts.nsec;
      deadline = clockid === CLOCK_REALTIME ? k.platform.monotonicNs() + (ns - k.realtimeNs()) : ns;
    }
    // futex_parse_waitv: each entry in order (a fault EFAULT, a bad one EINVAL).
    const words: Word[] = [];
    for (let i = 0; i < nr; i++) {
      const dv = new DataView(t.proc.as.copyIn(uv + i * WAITV_SIZE, WAITV_SIZE).buffer);
      const val = dv.getBigUint64(0, true), uaddr = dv.getBigUint64(8, true);
      const f = dv.getUint32(16, true), reserved = dv.getUint32(20, true);
      if (f & ~FUTEX2_VALID_MASK || reserved) return -E.EINVAL;
      if ((f & FUTEX2_SIZE_MASK) !== FUTEX2_SIZE_U32) return -E.EINVAL; // only 32-bit futexes
      if (val >> 32n) return -E.EINVAL; // futex_validate_input: the value fits the size
      words.push({ uaddr: uaddr >= BigInt(2 ** 53) ? 2 ** 53 : Number(uaddr), val: Number(val), priv: (f & FUTEX2_PRIVATE) !== 0, numa: (f & FUTEX2_NUMA) !== 0 }); // MPOL alone: no node word
    }
    return waitMultiple(k, t, words, deadline);
  });
}

/** A word set up for the sleep, and how to give it up again. */
interface Queued extends WaitvWord { held?: HeldFile }

function waitMultiple(k: Kernel, t: Task, words: Word[], deadline: number): number | typeof BLOCKED {
  const as = t.proc.as;
  // futex_wait_multiple_setup, first every key (get_futex_key): misaligned EINVAL; a shared key
  // needs a mapping (EFAULT); a private one only a user address.
  for (const w of words) {
    if (w.uaddr % 4 !== 0) return -E.EINVAL;
    if (w.priv ? w.uaddr >= TASK_SIZE : !as.find(w.uaddr)) return -E.EFAULT;
    if (w.numa) {
      // FUTEX2_NUMA: the node is the u32 after the word. One node here: FUTEX_NO_NODE becomes
      // node 0 (written back, as Linux writes the node it chose); any other node but 0 is EINVAL.
      const nodeAddr = w.uaddr + 4;
      const node = new DataView(as.copyIn(nodeAddr, 4).buffer).getUint32(0, true);
      if (node === FUTEX_NO_NODE) as.copyOut(nodeAddr, new Uint8Array(4));
      else if (node !== 0) return -E.EINVAL;
    }
  }
  const fx = k.family?.futex;
  const queued: Queued[] = [];
  // Gives every word up; the index of one a wake took meanwhile, or -1.
  const unqueue = (): number => {
    let woken = -1;
    for (const q of queued) {
      if (q.ushm?.token) { k.ushm?.cap.futexCancel(q.ushm.token); q.ushm.token = 0; }
      if (q.remote && fx) {
        if (fx.settle(q.remote) && woken < 0) woken = q.index;
        q.remote = 0;
      }
    }
    return woken;
  };
  const readWord = (addr: number) => new DataView(as.copyIn(addr, 4).buffer).getUint32(0, true);
  try {
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      const vma = w.priv ? undefined : as.find(w.uaddr);
      const held = vma?.shared && vma.file ? fx?.held(vma.file.cache) : null;
      if (held && fx) {
        // Another enclave's file: its owner compares and queues (family-futex.ts).
        const r = fx.enqueue(t, held, w.uaddr - vma!.fileBase!, w.val | 0, i);
        if (r === 'woken') { unqueue(); return i; }
        if ('err' in r) { const j = unqueue(); return j >= 0 ? j : r.err; }
        queued.push({ index: i, remote: r.token, held });
        continue;
      }
      const key = futexKey(k, t.proc, w.uaddr, w.priv);
      if (!key) { const j = unqueue(); return j >= 0 ? j : -E.EFAULT; }
      const u = w.priv || !k.ushm ? undefined : ushmWord(t.proc, w.uaddr);
      // Untrusted shared memory: register with the host before the compare (as FUTEX_WAIT).
      const q: Queued = { index: i, key: key.key, mm: key.mm, ushm: u && k.ushm ? { token: k.ushm.cap.futexWait(u.id, u.off, FUTEX_BITSET_MATCH_ANY) } : undefined };
      queued.push(q);
      if (readWord(w.uaddr) !== w.val) { const j = unqueue(); return j >= 0 ? j : -E.EAGAIN; }
    }
  } catch (e) {
    const j = unqueue();
    if (j >= 0) return j;
    throw e; // the word's fault: EFAULT
  }
  if (queued.some((q) => q.held)) {
    // Asking an owner let other enclaves' requests run here, which may have changed a word of
    // this enclave and woken its waiters before this sleep was queued: look again (a changed
    // word counts as woken, a spurious wakeup futex users tolerate, as Linux's may be).
    for (const q of queued) {
      if (q.held) continue;
      let cur: number;
      try { cur = readWord(words[q.index].uaddr); } catch { cur = ~words[q.index].val; }
      if (cur !== words[q.index].val) { unqueue(); return q.index; }
    }
    // A signal that came while a request was out ends the call before it sleeps.
    const sig = nextSignal(t);
    if (sig) { const j = unqueue(); return j >= 0 ? j : restartSys(k, t, sig); }
  }
  const ret: typeof BLOCKED = k.block(t, {
    waitv: queued, deadline, onTimeout: -E.ETIMEDOUT,
    // A signal: words queued at owners are given up first; one a wake already took ends the
    // call with its index (the signal is handled on the way out), else the signal interrupts.
    onSignal: queued.some((q) => q.held) ? () => {
      const j = unqueue();
      if (j >= 0) { k.wake(t, j); return true; }
      return false;
    } : undefined,
    // However it ended: the other words are given up; a timeout that lost the race to a wake
    // at an owner returns the index (futex_unqueue_multiple comes before the timeout check).
    onWake: () => {
      const j = unqueue();
      if (j >= 0) k.setReturn(t, j);
    },
  });
  for (const q of queued) if (q.remote && fx) fx.attach(q.remote, t.wait);
  return ret;
}
