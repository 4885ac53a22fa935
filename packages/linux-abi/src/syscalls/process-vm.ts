/**
 * process_vm_readv / process_vm_writev (mm/process_vm_access.c): copies between iovecs in the
 * caller and iovecs in another process's (or its own) address space, stopping at the first
 * page that faults on either side: the bytes done until then, or EFAULT when none were.
 * Access is ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS): one user here, so only a
 * non-dumpable other process refuses (EPERM). A process in another enclave (sgx fork) is not
 * reached yet: ENOSYS there, as for an unimplemented call.
 */
import { E, SysError } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import type { AddressSpace } from '../mm/address-space.ts';
import type { SyscallTable } from './table.ts';

const UIO_MAXIOV = 1024;
const PAGE_SIZE = 4096;
const MAX_RW_COUNT = 0x7ffff000; // INT_MAX & PAGE_MASK: what one call moves at most

interface Iov { base: number; len: number }

/** iovec_from_user: at most UIO_MAXIOV entries, none with a negative (ssize_t) length. */
function readIovecs(as: AddressSpace, addr: number, cnt: number): Iov[] | number {
  if (cnt > UIO_MAXIOV) return -E.EINVAL;
  if (cnt === 0) return [];
  const dv = new DataView(as.copyIn(addr, cnt * 16).buffer);
  const out: Iov[] = [];
  for (let i = 0; i < cnt; i++) {
    const len = dv.getBigInt64(i * 16 + 8, true);
    if (len < 0n) return -E.EINVAL;
    out.push({ base: Number(dv.getBigUint64(i * 16, true)), len: Number(len > BigInt(MAX_RW_COUNT) ? BigInt(MAX_RW_COUNT) : len) });
  }
  return out;
}

function processVmRw(k: Kernel, t: Task, pid: number, lvec: number, liovcnt: number, rvec: number, riovcnt: number, flags: bigint, write: boolean): number {
  if (flags !== 0n) return -E.EINVAL;
  const local = readIovecs(t.proc.as, lvec, liovcnt);
  if (typeof local === 'number') return local;
  // import_iovec caps the total at MAX_RW_COUNT; nothing to move is 0 before the rest is read.
  let total = 0;
  for (const v of local) { v.len = Math.min(v.len, MAX_RW_COUNT - total); total += v.len; }
  if (total === 0) return 0;
  const remote = readIovecs(t.proc.as, rvec, riovcnt);
  if (typeof remote === 'number') return remote;
  if (!remote.some((v) => v.len > 0)) return 0;
  // find_get_task_by_vpid: any live thread's id; 0 and negatives name nobody.
  let target: Task | undefined;
  if (pid > 0) {
    for (const p of k.processes.values()) {
      if (p.exitStatus !== null) continue;
      if (p.remote && p.pid === pid) return -E.ENOSYS; // another enclave's memory: not reached yet
      for (const x of p.tasks) if (x.tid === pid) target = x;
    }
  }
  if (!target) return -E.ESRCH;
  if (target.proc !== t.proc && target.proc.dumpable !== 1 && k.config.uid !== 0) return -E.EPERM;
  const las = t.proc.as, ras = target.proc.as;
  let done = 0, err = 0, li = 0, loff = 0;
  outer: for (const r of remote) {
    for (let roff = 0; roff < r.len;) {
      while (li < local.length && loff >= local[li].len) { li++; loff = 0; }
      if (li >= local.length) break outer;
      const l = local[li];
      const ra = r.base + roff, la = l.base + loff;
      // One page of each side at a time: a fault stops the copy at that page, as Linux's
      // pinning of the remote pages and its copy to or from the local iovecs do.
      const n = Math.min(r.len - roff, l.len - loff, PAGE_SIZE - (ra % PAGE_SIZE), PAGE_SIZE - (la % PAGE_SIZE));
      try {
        if (write) ras.copyOut(ra, las.copyIn(la, n));
        else las.copyOut(la, ras.copyIn(ra, n));
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        err = e.errno;
        break outer;
      }
      done += n; roff += n; loff += n;
    }
  }
  return done || (err ? -err : 0);
}

export function registerProcessVm(tab: SyscallTable): void {
  tab.def('process_vm_readv', 'dpupux', (k, t, a) => processVmRw(k, t, a.i32(0), a.u(1), a.u(2), a.u(3), a.u(4), a.big(5), false), 'partial');
  tab.def('process_vm_writev', 'dpupux', (k, t, a) => processVmRw(k, t, a.i32(0), a.u(1), a.u(2), a.u(3), a.u(4), a.big(5), true), 'partial');
}
