/**
 * process_vm_readv / process_vm_writev (mm/process_vm_access.c): copies between iovecs in the
 * caller and iovecs in another process's (or its own) address space, stopping at the first
 * page that faults on either side: the bytes done until then, or EFAULT when none were.
 * Access is ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS): one user here, so only a
 * non-dumpable other process refuses (EPERM). A child in another enclave (sgx fork: the caller
 * holds a proxy for it) is reached by sealed requests to that enclave's kernel, in chunks of
 * CHUNK bytes, which reads or writes its ranges up to the first fault there.
 */
import { E, SysError } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import type { AddressSpace } from '../mm/address-space.ts';
import type { SyscallTable } from './table.ts';
import type { FamilyState } from '../family.ts';
import { hex, unhexBytes } from './sysvipc-family.ts';

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
      if (p.remote && p.pid === pid && k.family) return remoteRw(k.family, t, pid, local, total, remote, write);
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
        if (ras.find(ra)?.file?.secret) throw new SysError(E.EFAULT); // secretmem cannot be pinned
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

/** The family service other enclaves' process_vm calls reach this kernel by. */
export const PVM_SERVICE = 'pvm';
/** Bytes one request moves at most (hex-encoded in the sealed message). */
const CHUNK = 64 * 1024;

/** Walks an iovec list: the next piece of at most `max` bytes (within one page when `page`). */
class Cursor {
  private i = 0;
  private off = 0;
  constructor(private readonly v: Iov[]) {}
  next(max: number, page: boolean): { addr: number; n: number } | null {
    while (this.i < this.v.length && this.off >= this.v[this.i].len) { this.i++; this.off = 0; }
    if (this.i >= this.v.length || max <= 0) return null;
    const addr = this.v[this.i].base + this.off;
    return { addr, n: Math.min(max, this.v[this.i].len - this.off, page ? PAGE_SIZE - (addr % PAGE_SIZE) : Infinity) };
  }
  advance(n: number): void { this.off += n; }
  /** Whole ranges (not split at pages) covering up to `max` bytes. */
  take(max: number): [number, number][] {
    const out: [number, number][] = [];
    for (let got = 0, p; (p = this.next(max - got, false)); got += p.n) { out.push([p.addr, p.n]); this.advance(p.n); }
    return out;
  }
}

const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/** process_vm to a process whose kernel is another enclave's: its answers say what was done there. */
function remoteRw(fam: FamilyState, t: Task, pid: number, local: Iov[], total: number, remote: Iov[], write: boolean): number {
  const las = t.proc.as, lc = new Cursor(local), rc = new Cursor(remote);
  let done = 0, err = 0;
  while (done < total && !err) {
    const budget = Math.min(CHUNK, total - done);
    let out: Uint8Array | undefined;
    if (write) {
      // The local bytes first, up to the first local fault.
      const buf = new Uint8Array(budget);
      let got = 0;
      for (let p; (p = lc.next(budget - got, true)); got += p.n) {
        try { buf.set(las.copyIn(p.addr, p.n), got); } catch (e) { if (!(e instanceof SysError)) throw e; err = e.errno; break; }
        lc.advance(p.n);
      }
      out = buf.subarray(0, got);
    }
    const ranges = rc.take(write ? out!.length : budget);
    const want = ranges.reduce((s, r) => s + r[1], 0);
    if (want === 0) break;
    const r = fam.serviceRequest(pid, PVM_SERVICE, { op: write ? 'write' : 'read', pid, iov: ranges, ...(write ? { data: hex(out!.subarray(0, want)) } : {}) }) as { err?: unknown; done?: unknown; data?: unknown } | null;
    if (!r || typeof r !== 'object') return done || -E.ESRCH; // that enclave has ended
    const rerr = isInt(r.err, 0, 4095) ? r.err : E.EFAULT;
    let moved: number;
    if (write) {
      moved = isInt(r.done, 0, want) ? r.done : 0;
    } else {
      const data = unhexBytes(r.data, want) ?? new Uint8Array(0);
      moved = 0;
      for (let p; (p = lc.next(data.length - moved, true)); moved += p.n) {
        try { las.copyOut(p.addr, data.subarray(moved, moved + p.n)); } catch (e) { if (!(e instanceof SysError)) throw e; err = e.errno; break; }
        lc.advance(p.n);
      }
      if (!err && moved < want) err = rerr;
    }
    if (write && moved < want) err = rerr;
    // EPERM and ESRCH are the whole call's answer, before anything moved.
    if (done === 0 && moved === 0 && (rerr === E.EPERM || rerr === E.ESRCH) && err === rerr) return -rerr;
    done += moved;
  }
  return done || (err ? -err : 0);
}

/** This kernel's side of another enclave's process_vm call on process `pid` here. */
export function serveProcessVm(k: Kernel, body: unknown): unknown {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { op?: unknown; pid?: unknown; iov?: unknown; data?: unknown };
  if ((b.op !== 'read' && b.op !== 'write') || !isInt(b.pid, 1, 0x7fffffff) || !Array.isArray(b.iov) || b.iov.length > CHUNK) return { err: E.EINVAL };
  const ranges: [number, number][] = [];
  let want = 0;
  for (const r of b.iov as unknown[]) {
    if (!Array.isArray(r) || !isInt(r[0], 0, 2 ** 53) || !isInt(r[1], 0, CHUNK)) return { err: E.EINVAL };
    ranges.push([r[0], r[1]]);
    want += r[1];
  }
  if (want > CHUNK) return { err: E.EINVAL };
  const p = k.processes.get(b.pid);
  if (!p || p.remote || p.exitStatus !== null) return { err: E.ESRCH };
  // The caller is another process of the one user: only a non-dumpable one refuses it.
  if (p.dumpable !== 1 && k.config.uid !== 0) return { err: E.EPERM };
  const data = b.op === 'write' ? unhexBytes(b.data, want) : new Uint8Array(want);
  if (!data || data.length !== want) return { err: E.EINVAL };
  let done = 0, err = 0;
  outer: for (const [base, len] of ranges) {
    for (let off = 0; off < len;) {
      const a = base + off, n = Math.min(len - off, PAGE_SIZE - (a % PAGE_SIZE));
      try {
        if (p.as.find(a)?.file?.secret) throw new SysError(E.EFAULT); // secretmem cannot be pinned
        if (b.op === 'write') p.as.copyOut(a, data.subarray(done, done + n));
        else data.set(p.as.copyIn(a, n), done);
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        err = e.errno;
        break outer;
      }
      off += n; done += n;
    }
  }
  return b.op === 'write' ? { done, err } : { data: hex(data.subarray(0, done)), err };
}

export function registerProcessVm(tab: SyscallTable): void {
  tab.def('process_vm_readv', 'dpupux', (k, t, a) => processVmRw(k, t, a.i32(0), a.u(1), a.u(2), a.u(3), a.u(4), a.big(5), false), 'partial');
  tab.def('process_vm_writev', 'dpupux', (k, t, a) => processVmRw(k, t, a.i32(0), a.u(1), a.u(2), a.u(3), a.u(4), a.big(5), true), 'partial');
}
