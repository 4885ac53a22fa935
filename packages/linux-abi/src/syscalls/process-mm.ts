/**
 * process_madvise and process_mrelease (mm/madvise.c, mm/oom_kill.c; Linux 6.18's checks and
 * their order): another process's address space, named by a pidfd.
 *
 * process_madvise: flags must be 0; the iovecs are imported (UIO_MAXIOV, negative lengths EINVAL,
 * the total capped at MAX_RW_COUNT, a range past user space EFAULT); pidfd_get_task (EBADF;
 * ESRCH once reaped); mm_access with PTRACE_MODE_READ_FSCREDS (ESRCH once the process has no
 * memory: a zombie; EACCES for a non-dumpable process, one user here); then, for another process's
 * memory, only the advice process_madvise_remote_valid allows (COLD, PAGEOUT, WILLNEED,
 * COLLAPSE; else EINVAL) and CAP_SYS_NICE (root only here; else EPERM). Its own memory (a pidfd
 * of the caller, or of a process sharing its memory) takes any advice madvise takes. Each range
 * is advised as Linux's madvise would (vector_madvise; this kernel's madvise(2) is laxer about
 * holes): the bytes of the ranges done before the first that fails, or that failure. This kernel never pages memory out and has no huge pages: COLD,
 * PAGEOUT and WILLNEED change nothing but are checked as Linux checks them (a hole: ENOMEM after
 * the rest of the range; COLD/PAGEOUT of locked memory: EINVAL); MADV_COLLAPSE is not advice
 * this kernel's madvise knows (Linux without CONFIG_TRANSPARENT_HUGEPAGE): EINVAL per range.
 * DONTNEED and FREE drop private pages as madvise does, after Linux's checks per VMA. A process
 * in another enclave (sgx: a child is its own enclave) is advised there: the request goes to
 * that enclave's kernel (service PMM_SERVICE), which runs the same code on its process.
 *
 * process_mrelease: flags must be 0; pidfd_get_task; a process without memory (a zombie: here
 * an exiting process frees its memory at once, in its exit) is ESRCH; one that is not dying is
 * EINVAL. Linux calls a process dying once a fatal signal has been generated for it
 * (SIGNAL_GROUP_EXIT) or its only thread is exiting; here exit is one step, so the only dying
 * state that lasts is a process with SIGKILL pending that has not yet run to take it (this
 * kernel decides a signal's action when it is taken, so only SIGKILL is sure to end it). Then,
 * as __oom_reap_task_mm, the frames of its private memory are released at once (the VMAs stay;
 * it never touches them again), and the call returns 0. A process sharing its memory (vfork)
 * that is not dying keeps it alive: EINVAL. A process in another enclave is asked there, as
 * for process_madvise; its exit already noted here is ESRCH.
 */
import { E, SysError } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import type { Process, Task } from '../task.ts';
import type { AddressSpace } from '../mm/address-space.ts';
import type { SyscallTable } from './table.ts';
import { PAGE_SIZE, pageUp } from '../mm/frames.ts';
import { USER_VA_END } from '../mm/sv39.ts';
import { SIGKILL } from '../abi/constants.ts';
import { pidfdProcess } from './pidfd.ts';
import { MADV_KNOWN } from './mm.ts';

const UIO_MAXIOV = 1024;
const MAX_RW_COUNT = 0x7ffff000;
const MADV_WILLNEED = 3, MADV_DONTNEED = 4, MADV_FREE = 8, MADV_COLD = 20, MADV_PAGEOUT = 21, MADV_COLLAPSE = 25;
/** The family service other enclaves' process_madvise/process_mrelease reach this kernel by. */
export const PMM_SERVICE = 'pmm';

interface Iov { base: number; len: number }

/** import_iovec (lib/iov_iter.c): at most UIO_MAXIOV, no negative length, total <= MAX_RW_COUNT. */
function importIovecs(as: AddressSpace, addr: number, cnt: number): Iov[] {
  if (cnt > UIO_MAXIOV) throw new SysError(E.EINVAL);
  if (cnt === 0) return [];
  const dv = new DataView(as.copyIn(addr, cnt * 16).buffer);
  const out: Iov[] = [];
  let total = 0;
  for (let i = 0; i < cnt; i++) {
    const base = dv.getBigUint64(i * 16, true), len = dv.getBigInt64(i * 16 + 8, true);
    if (len < 0n) throw new SysError(E.EINVAL);
    if (base + len > BigInt(USER_VA_END)) throw new SysError(E.EFAULT); // access_ok
    const n = Math.min(Number(len), MAX_RW_COUNT - total);
    total += n;
    out.push({ base: Number(base), len: n });
  }
  return out;
}

/**
 * pidfd_get_task: the process a pidfd names; ESRCH once it has been reaped. (Linux 6.18 answers
 * PIDFD_SELF_* with EBADF here, as any number that is no descriptor: measured.)
 */
function pidfdTarget(t: Task, fd: number): Process {
  const f = pidfdProcess(t, fd);
  if (f.reaped) throw new SysError(E.ESRCH);
  return f.proc;
}

/** Drops the private pages of [start, end) of one VMA (madvise's DONTNEED/FREE, the oom reaper). */
function dropPrivate(as: AddressSpace, start: number, end: number): void {
  for (let va = start; va < end; va += PAGE_SIZE) as.dropPage(va);
}

/**
 * do_madvise's work on one range of `as` for advice already known valid: madvise_walk_vmas, the
 * advice applied VMA by VMA; a hole is ENOMEM once the rest is done; a VMA's refusal stops it.
 */
function madviseWalk(k: Kernel, as: AddressSpace, start: number, end: number, advice: number): number {
  const vmas = as.vmas.filter((v) => v.end > start && v.start < end).sort((x, y) => x.start - y.start);
  let at = start, unmapped = 0;
  for (const v of vmas) {
    if (at < v.start) unmapped = -E.ENOMEM;
    const s = Math.max(at, v.start), e = Math.min(v.end, end);
    switch (advice) {
      case MADV_COLD:
      case MADV_PAGEOUT:
        if (v.locked) return -E.EINVAL; // can_madv_lru_vma
        break; // nothing is ever paged out here
      case MADV_DONTNEED:
      case MADV_FREE:
        if (v.locked) return -E.EINVAL; // madvise_dontneed_free_valid_vma
        if (advice === MADV_FREE && (v.file || v.image || v.shared || v.ushm)) return -E.EINVAL; // anonymous only
        if (!v.shared) dropPrivate(as, s, e); // shared memory keeps its contents, as madvise(2) here
        break;
      default:
        break; // WILLNEED and the rest: hints with nothing to do here, as madvise(2) here
    }
    at = e;
  }
  k.platform.memory.flushTlb();
  if (at < end) return -E.ENOMEM;
  return unmapped;
}

/** vector_madvise: each range as do_madvise; the bytes of the ranges done before a failure, or the failure. */
export function vectorMadvise(k: Kernel, as: AddressSpace, iov: Iov[], advice: number): number {
  let done = 0, ret = 0;
  for (const v of iov) {
    // madvise_should_skip / is_valid_madvise
    if (!MADV_KNOWN.has(advice) || v.base % PAGE_SIZE !== 0) ret = -E.EINVAL;
    else if (v.len === 0) ret = 0;
    else ret = madviseWalk(k, as, v.base, v.base + pageUp(v.len), advice);
    if (ret < 0) break;
    done += v.len;
  }
  return done || ret;
}

/** process_madvise_remote_valid */
const remoteValid = (advice: number): boolean => advice === MADV_COLD || advice === MADV_PAGEOUT || advice === MADV_WILLNEED || advice === MADV_COLLAPSE;

/** mm_access(PTRACE_MODE_READ_FSCREDS) and the remote checks, for a process of this kernel; then the advice. */
function madviseLocal(k: Kernel, callerAs: AddressSpace | null, p: Process, iov: Iov[], advice: number): number {
  if (p.exitStatus !== null) return -E.ESRCH; // no mm
  const own = p.as === callerAs;
  if (!own && p.dumpable !== 1 && k.config.uid !== 0) return -E.EACCES;
  if (!own && !remoteValid(advice)) return -E.EINVAL;
  if (!own && k.config.uid !== 0) return -E.EPERM; // CAP_SYS_NICE
  return vectorMadvise(k, p.as, iov, advice);
}

/** task_will_free_mem for a process of this kernel: SIGKILL pending, and so for every process sharing its memory. */
function willFreeMem(k: Kernel, p: Process): boolean {
  const dying = (q: Process) => q.exitStatus === null && [...q.tasks].some((x) => (x.pending & (1n << BigInt(SIGKILL - 1))) !== 0n);
  if (!dying(p)) return false;
  for (const q of k.processes.values()) if (q !== p && !q.remote && q.exitStatus === null && q.as === p.as && !dying(q)) return false;
  return true;
}

/** process_mrelease's work on a process of this kernel. */
function mreleaseLocal(k: Kernel, p: Process): number {
  if (p.exitStatus !== null) return -E.ESRCH; // find_lock_task_mm: no thread has memory
  if (!willFreeMem(k, p)) return -E.EINVAL;
  // __oom_reap_task_mm: private memory's pages go now; shared memory stays with its object.
  for (const v of p.as.vmas) if (!v.shared) dropPrivate(p.as, v.start, v.end);
  k.platform.memory.flushTlb();
  return 0;
}

const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/** This kernel's side of another enclave's process_madvise or process_mrelease on process `pid` here. */
export function serveProcessMm(k: Kernel, body: unknown): number {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { op?: unknown; pid?: unknown; advice?: unknown; iov?: unknown; root?: unknown };
  if (!isInt(b.pid, 1, 0x7fffffff)) return -E.EINVAL;
  const p = k.processes.get(b.pid);
  if (!p || p.remote || p.exitStatus !== null) return -E.ESRCH;
  if (b.op === 'mrelease') return mreleaseLocal(k, p);
  if (b.op !== 'madvise' || !isInt(b.advice, -0x80000000, 0x7fffffff) || !Array.isArray(b.iov) || b.iov.length > UIO_MAXIOV) return -E.EINVAL;
  const iov: Iov[] = [];
  for (const r of b.iov as unknown[]) {
    if (!Array.isArray(r) || !isInt(r[0], 0, USER_VA_END) || !isInt(r[1], 0, MAX_RW_COUNT)) return -E.EINVAL;
    iov.push({ base: r[0], len: r[1] });
  }
  // The caller is another process of the one user, never sharing this memory.
  return madviseLocal(k, null, p, iov, b.advice);
}

export function registerProcessMm(tab: SyscallTable): void {
  tab.def('process_madvise', 'dpudx', (k, t, a) => {
    const fd = a.i32(0), vec = a.u(1), vlen = a.u(2), advice = a.i32(3);
    if (a.i32(4) !== 0) return -E.EINVAL; // flags (an unsigned int: the upper half is not looked at)
    const iov = importIovecs(t.proc.as, vec, vlen);
    const p = pidfdTarget(t, fd);
    if (p.remote && k.family) {
      if (p.exitStatus !== null) return -E.ESRCH;
      const r = k.family.serviceRequest(p.pid, PMM_SERVICE, { op: 'madvise', pid: p.pid, advice, iov: iov.map((v) => [v.base, v.len]) });
      if (!isInt(r, -4095, MAX_RW_COUNT)) return -E.ESRCH; // that enclave has ended
      return r;
    }
    return madviseLocal(k, t.proc.as, p, iov, advice);
  }, 'partial', 'COLD, PAGEOUT, WILLNEED are checked but change nothing (no paging); no MADV_COLLAPSE (no huge pages)');

  tab.def('process_mrelease', 'dx', (k, t, a) => {
    const fd = a.i32(0);
    if (a.i32(1) !== 0) return -E.EINVAL; // flags (unsigned int)
    const p = pidfdTarget(t, fd);
    if (p.remote && k.family) {
      if (p.exitStatus !== null) return -E.ESRCH;
      const r = k.family.serviceRequest(p.pid, PMM_SERVICE, { op: 'mrelease', pid: p.pid });
      return isInt(r, -4095, 0) ? r : -E.ESRCH; // no answer: that enclave (and its memory) has ended
    }
    return mreleaseLocal(k, p);
  }, 'partial', 'dying means SIGKILL pending and not yet taken (an exiting process frees its memory at once)');
}
