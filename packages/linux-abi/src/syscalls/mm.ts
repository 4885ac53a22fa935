/** Memory syscalls: brk, mmap (anonymous and files), munmap, mprotect, madvise, msync (mm/mmap.c, mm/mprotect.c). */
import { E } from '../errors.ts';
import {
  MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_PRIVATE, MAP_SHARED,
  MAP_SHARED_VALIDATE, MAP_TYPE, MAP_POPULATE, MAP_NORESERVE, MAP_NONBLOCK, PROT_EXEC, PROT_READ, PROT_WRITE,
} from '../abi/constants.ts';
import { PAGE_SIZE, pageDown, pageUp } from '../mm/frames.ts';
import { USER_VA_END } from '../mm/sv39.ts';
import { MMAP_MIN_ADDR } from '../mm/address-space.ts';
import type { SyscallTable } from './table.ts';
import type { Task } from '../task.ts';
import type { Kernel } from '../kernel.ts';
import { RLIMIT_MEMLOCK } from '../abi/constants.ts';
import type { MappedFile } from '../mm/address-space.ts';
import { PageCache } from '../mm/page-cache.ts';
import { fsOf, rootOf } from '../fs/context.ts';
import { PathFile, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE } from '../fs/files.ts';
import { ZeroFile } from '../fs/devfs.ts';
import { RemoteFile } from '../family-files.ts';
import { FileInode } from '../fs/inode.ts';
import { shmemZeroFile } from '../mm/shmem.ts';
import { SecretMemFile } from './secretmem.ts';

const MADV_DONTNEED = 4;
// mm/mlock.c; asm-generic/mman.h, mman-common.h
const MLOCK_ONFAULT = 1, MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4, MAP_LOCKED = 0x2000;

/** RLIMIT_MEMLOCK in pages (the user has no CAP_IPC_LOCK); Infinity when unlimited. */
function memlockPages(t: Task): number {
  const cur = t.proc.rlimits[RLIMIT_MEMLOCK].cur;
  return cur < 0n ? Infinity : Number(cur / BigInt(PAGE_SIZE));
}

/**
 * do_mlock: lock [addr, addr+len) (VM_LOCKED) and fault it in unless onFault. The enclave
 * never pages memory out, so a locked page stays resident as a locked page must; what mlock
 * adds here is Linux's accounting: RLIMIT_MEMLOCK, VmLck, and the errors.
 */
function doMlock(t: Task, addr: number, len: number, onFault: boolean): number {
  const limit = memlockPages(t);
  if (limit === 0) return -E.EPERM; // can_do_mlock
  const start = pageDown(addr), end = pageUp(addr + len);
  if (end < start || end > USER_VA_END) return -E.ENOMEM;
  if (end === start) return 0;
  const as = t.proc.as;
  const locked = (end - start) / PAGE_SIZE + as.lockedPages() - as.lockedPages(start, end);
  if (locked > limit) return -E.ENOMEM;
  if (!as.covers(start, end)) return -E.ENOMEM; // apply_vma_lock_flags
  as.setLocked(start, end, true);
  // secretmem's pages cannot be pinned: the populate fails (EFAULT, which mlock reports as ENOMEM).
  if (!onFault && as.vmas.some((v) => v.file?.secret && v.start < end && v.end > start)) return -E.ENOMEM;
  if (!onFault && !as.populateLocked(start, end)) return -E.EAGAIN; // __mlock_posix_error_return(-ENOMEM)
  return 0;
}
const MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;
const MS_ASYNC = 1, MS_INVALIDATE = 2, MS_SYNC = 4;
const MADV_FREE = 8;
/** mm/madvise.c madvise_behavior_valid (what this kernel accepts; the rest is EINVAL). */
export const MADV_KNOWN = new Set([0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 100, 101]);

/**
 * The rest of do_mmap once the file (if any) is resolved: VM_LOCKED accounting, placement
 * (MAP_FIXED replaces what was there), the new VMA, and populating. mmap and remap_file_pages
 * (which maps a VMA's own file again) both end here. The address, or a negative errno.
 */
function mapRegion(k: Kernel, t: Task, addr: number, size: number, prot: number, flags: number, file: MappedFile | undefined, fileOff: number, anonName: string, shared: boolean): number {
  const as = t.proc.as;
  // VM_LOCKED from MAP_LOCKED or mlockall(MCL_FUTURE): mlock_future_ok, or EAGAIN.
  const lockNew = (flags & MAP_LOCKED) !== 0 || as.lockFuture !== null || !!file?.secret;
  if (flags & MAP_LOCKED && memlockPages(t) === 0) return -E.EPERM;
  if (lockNew && as.lockedPages() + size / PAGE_SIZE > memlockPages(t)) return -E.EAGAIN;
  // Shared anonymous memory on a platform with untrusted shared memory (the operator opted in):
  // a host region in the window outside the enclave, so that other enclaves of the family (fork
  // children) map the same bytes. A fixed address inside the enclave cannot be host memory:
  // that mapping is a shmem object in the enclave (below), and says so.
  let ushm = shared && !file && k.ushm !== null && !as.pt.kernelFrames ? k.ushm : null;
  const win = ushm?.cap.window;
  if (ushm && win && flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) && !(addr >= win.base && addr + size <= win.base + win.size)) {
    k.platform.log(`mmap: MAP_SHARED at fixed 0x${addr.toString(16)} is inside the enclave: a shmem object whose pages migrate, not host memory (untrusted shared memory is at 0x${win.base.toString(16)}..0x${(win.base + win.size).toString(16)})`);
    ushm = null;
  }
  const region = ushm ? ushm.cap.create(size) : null;
  if (ushm && !region) return -E.ENOMEM;
  let start: number;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr % PAGE_SIZE !== 0) return -E.EINVAL;
    if (addr < MMAP_MIN_ADDR || addr + size > USER_VA_END) return flags & MAP_FIXED_NOREPLACE ? -E.EEXIST : -E.EPERM;
    if (flags & MAP_FIXED_NOREPLACE && !(flags & MAP_FIXED)) {
      if (!as.isFree(addr, addr + size)) return -E.EEXIST;
    } else {
      as.unmapRange(addr, addr + size);
    }
    start = addr;
  } else {
    start = region && win ? as.findFreeIn(size, win.base, win.base + win.size, addr) : as.findFree(size, addr % PAGE_SIZE === 0 ? addr : 0);
    if (start < 0) return -E.ENOMEM;
  }
  if (region) ushm!.regions.set(region.id, region);
  // Shared anonymous memory not in untrusted memory: an unlinked shmem object of the mapping's
  // size, as Linux's shmem_zero_setup makes (mm/shmem.ts). Where the platform places pages
  // itself (fixed paging) its pages migrate between mappings and, after fork, between enclaves
  // like a memfd's; elsewhere its frames are shared as a file's. /dev/zero keeps its offset
  // (a page at or past the object's end is SIGBUS, as on Linux); MAP_ANONYMOUS ignores it.
  if (shared && !file && !region) {
    file = shmemZeroFile(fsOf(k).memfdMount.sb, size, as.frameMemory());
    fileOff = flags & MAP_ANONYMOUS ? 0 : fileOff; // (the mmap offset)
  }
  as.insert({
    start, end: start + size, prot, name: flags & MAP_GROWSDOWN ? '[stack]' : anonName, growsDown: !!(flags & MAP_GROWSDOWN),
    shared, ...(file ? { file, fileBase: start - fileOff } : {}), ...(lockNew ? { locked: true } : {}),
    ...(region ? { ushm: { id: region.id, size: region.size, base: start } } : {}),
  });
  // Faulted in now (best effort, as mm_populate), unless only MCL_FUTURE|MCL_ONFAULT locks it.
  // (secretmem: never; its pages come at first touch, and cannot be pinned anyway)
  if (!file?.secret && (flags & MAP_LOCKED || (as.lockFuture && !as.lockFuture.onFault))) as.populateLocked(start, start + size);
  if (flags & MAP_POPULATE) {
    for (let va = start; va < start + size; va += PAGE_SIZE) {
      if (as.fault(va, 0) === 'oom') break; // MAP_POPULATE is best effort, as on Linux
    }
  }
  return start;
}

export function registerMm(tab: SyscallTable): void {
  tab.def('brk', 'p', (k, t, a) => {
    const as = t.proc.as;
    const want = a.u(0);
    if (want < as.brkStart || want >= USER_VA_END) return as.brk;
    const oldEnd = pageUp(as.brk);
    const newEnd = pageUp(want);
    if (newEnd > oldEnd) {
      if (!as.isFree(oldEnd, newEnd)) return as.brk;
      if ((newEnd - oldEnd) / PAGE_SIZE > k.frames.totalFrames()) return as.brk; // do_brk_flags' accounting (see mmap)
      const lock = as.lockFuture !== null;
      if (lock && as.lockedPages() + (newEnd - oldEnd) / PAGE_SIZE > memlockPages(t)) return as.brk; // mlock_future_ok
      const heap = as.vmas.find((v) => v.name === '[heap]' && v.end === oldEnd && !!v.locked === lock);
      if (heap) heap.end = newEnd;
      else as.insert({ start: oldEnd, end: newEnd, prot: PROT_READ | PROT_WRITE, name: '[heap]', ...(lock ? { locked: true } : {}) });
      if (lock && !as.lockFuture!.onFault) as.populateLocked(oldEnd, newEnd);
    } else if (newEnd < oldEnd) {
      as.unmapRange(newEnd, oldEnd);
    }
    as.brk = want;
    return want;
  });

  tab.def('mmap', 'pudxfx', (k, t, a) => {
    const addr = a.u(0), len = a.u(1), prot = a.i32(2), flags = a.i32(3), fd = a.i32(4), off = a.i64(5);
    const as = t.proc.as;
    if (len === 0) return -E.EINVAL;
    const type = flags & MAP_TYPE;
    if (type !== MAP_PRIVATE && type !== MAP_SHARED && type !== MAP_SHARED_VALIDATE) return -E.EINVAL;
    if (off % PAGE_SIZE !== 0) return -E.EINVAL;
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) return -E.EINVAL;
    const size = pageUp(len);
    if (size > USER_VA_END) return -E.ENOMEM;
    // Overcommit as Linux's default heuristic (mm/util.c __vm_enough_memory, GUESS): an
    // accounted mapping larger than all of memory fails at once; MAP_NORESERVE is not accounted.
    if (!(flags & MAP_NORESERVE) && (type !== MAP_PRIVATE || prot & PROT_WRITE) && size / PAGE_SIZE > k.frames.totalFrames()) return -E.ENOMEM;
    let file: MappedFile | undefined;
    let fileOff = off;
    let anonName = '';
    let shared = type !== MAP_PRIVATE;
    if (!(flags & MAP_ANONYMOUS)) {
      const f = t.proc.fds.get(fd);
      if (!f || f instanceof PathFile) return -E.EBADF;
      // do_mmap's access checks come before the file's own mmap support.
      const acc = f.flags & 3;
      if (type !== MAP_PRIVATE && prot & PROT_WRITE && acc !== 2 /* O_RDWR */) return -E.EACCES;
      if (acc === 1 /* O_WRONLY */) return -E.EACCES;
      if (off < 0) return -E.EOVERFLOW; // pgoff + pages wraps (an unsigned offset past 2^63)
      if (f instanceof RemoteFile && k.family) {
        // A tmpfs file another enclave serves: its pages come from that enclave (family-pages.ts).
        if (off < 0) return -E.EOVERFLOW;
        const r = k.family.pages.mapRemote(f.owner, f.id, f.describe(), shared && acc === 2, as.frameMemory());
        if (typeof r === 'number') return r;
        file = r;
      } else if (f instanceof ZeroFile) {
        // mmap_zero: private is plain anonymous memory; shared is an anonymous shmem object.
        if (shared) anonName = '/dev/zero (deleted)';
      } else {
        // secretmem_mmap_prepare: shared only; VM_LOCKED (below).
        if (f instanceof SecretMemFile && !shared) return -E.EINVAL;
        const inode = f.loc?.inode;
        const backing = inode?.backing();
        if (!inode || !backing) return -E.ENODEV;
        // memfd seals (shmem_mmap): no writable shared mapping of a write-sealed file.
        if (shared && prot & PROT_WRITE && inode instanceof FileInode && inode.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) return -E.EPERM;
        // Fixed pages (SGX) cannot put one frame at two addresses: there each file page has one
        // home at a time and migrates between its aliases on fault (mm/page-cache.ts).
        inode.pageCache ??= new PageCache(backing, as.frameMemory());
        const p = fsOf(k).vfs.pathOf(f.loc!, rootOf(k, t.proc));
        file = {
          cache: inode.pageCache, path: p.path, dev: inode.sb.dev, ino: inode.ino, nlink: () => inode.nlink,
          mayWrite: shared && acc === 2 && !(inode instanceof FileInode && inode.seals & F_SEAL_WRITE),
          ...(f instanceof SecretMemFile ? { secret: true } : {}),
        };
      }
    }
    return mapRegion(k, t, addr, size, prot, flags, file, fileOff, anonName, shared);
  }, 'partial');

  // remap_file_pages (mm/mmap.c, Linux >= 4.0): nonlinear mappings are gone; the range is
  // mapped again from the VMA's own file at the new offset, by the mmap path with
  // MAP_FIXED|MAP_SHARED|MAP_POPULATE (MAP_LOCKED when the VMA is locked). Flags other than
  // MAP_NONBLOCK are dropped, not refused, and MAP_NONBLOCK only skips the populate. The range
  // must be one shared file mapping: VMAs of the same file with the same flags, without holes.
  // Shared anonymous memory is a shmem file here as on Linux (mm/shmem.ts), so it qualifies;
  // shared memory in the untrusted window (--untrusted-shared-memory) has no file: EINVAL.
  tab.def('remap_file_pages', 'puuux', (k, t, a) => {
    const as = t.proc.as;
    if (a.big(2) !== 0n) return -E.EINVAL; // prot
    const start = BigInt.asUintN(64, a.big(0)) & ~BigInt(PAGE_SIZE - 1);
    const size = BigInt.asUintN(64, a.big(1)) & ~BigInt(PAGE_SIZE - 1);
    const pgoff = BigInt.asUintN(64, a.big(3));
    let flags = Number(a.big(4) & BigInt(MAP_NONBLOCK));
    if (size === 0n || start + size > 0xffff_ffff_ffff_ffffn) return -E.EINVAL; // start + size <= start
    if (pgoff + size / BigInt(PAGE_SIZE) > 0xffff_ffff_ffff_ffffn) return -E.EINVAL; // pgoff wraps
    if (start >= BigInt(USER_VA_END)) return -E.EINVAL; // no VMA there
    const s = Number(start), end = s + Number(size);
    const vma = as.find(s);
    if (!vma || !vma.shared || !vma.file) return -E.EINVAL;
    // Every VMA up to the end: no hole, the same file, the same flags (vm_flags: prot, lock, kind).
    for (let at = vma.end, prev = vma; at < end;) {
      const next = as.find(at);
      if (!next || next.start !== prev.end || next.file !== vma.file || next.prot !== vma.prot
        || !!next.locked !== !!vma.locked || !next.shared || !!next.growsDown !== !!vma.growsDown) return -E.EINVAL;
      prev = next;
      at = next.end;
    }
    if (end > USER_VA_END) return -E.EINVAL;
    flags |= MAP_SHARED | MAP_FIXED | MAP_POPULATE | (vma.locked ? MAP_LOCKED : 0);
    // do_mmap's own check of the offset: pgoff + pages must fit in the file offset (off_t).
    const off = pgoff * BigInt(PAGE_SIZE);
    if (off + size > 0x7fff_ffff_ffff_ffffn) return -E.EOVERFLOW;
    // MAP_POPULATE without MAP_NONBLOCK populates; with it (do_mmap) nothing is faulted in.
    // The file is held while its old mapping goes (get_file): a shmem object with no other
    // mapping would otherwise go with it.
    const file = vma.file;
    file.cache.held++;
    try {
      const r = mapRegion(k, t, s, end - s, vma.prot, flags & MAP_NONBLOCK ? flags & ~MAP_POPULATE : flags, file, Number(off), vma.name, true);
      return r < 0 ? r : 0;
    } finally {
      file.cache.held--;
    }
  }, 'partial', 'as Linux >= 4.0: mapped again from its file at the new offset; shared memory in the untrusted window (--untrusted-shared-memory) has no file: EINVAL');

  tab.def('munmap', 'pu', (k, t, a) => {
    const addr = a.u(0), len = a.u(1);
    if (addr % PAGE_SIZE !== 0 || len === 0 || addr + len > USER_VA_END) return -E.EINVAL;
    t.proc.as.unmapRange(addr, addr + pageUp(len));
    return 0;
  });

  tab.def('mprotect', 'pux', (k, t, a) => {
    const addr = a.u(0), len = a.u(1), prot = a.i32(2);
    if (addr % PAGE_SIZE !== 0) return -E.EINVAL;
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | 0x01000000 /* GROWSDOWN */ | 0x02000000 /* GROWSUP */)) return -E.EINVAL;
    if (len === 0) return 0;
    if (addr + len > USER_VA_END) return -E.ENOMEM;
    if (prot & PROT_WRITE) {
      // A shared mapping of a file opened without write access can never become writable.
      for (const v of t.proc.as.vmas) {
        if (v.start < addr + pageUp(len) && v.end > addr && v.file && v.shared && !v.file.mayWrite) return -E.EACCES;
      }
    }
    t.proc.as.protect(addr, addr + pageUp(len), prot & 7);
    return 0;
  });

  tab.def('madvise', 'pud', (k, t, a) => {
    const addr = a.u(0), len = a.u(1), advice = a.i32(2);
    if (addr % PAGE_SIZE !== 0) return -E.EINVAL;
    const end = addr + pageUp(len);
    if (!MADV_KNOWN.has(advice)) return -E.EINVAL;
    if (advice === MADV_DONTNEED || advice === MADV_FREE) {
      // Private anonymous memory reads back as zeros afterwards: drop the frames. Shared
      // memory keeps its contents (they live in the shared object, not in this mapping).
      for (let va = addr; va < end; va += PAGE_SIZE) {
        if (!t.proc.as.find(va)) return -E.ENOMEM;
      }
      for (let va = addr; va < end; va += PAGE_SIZE) if (!t.proc.as.find(va)!.shared) t.proc.as.dropPage(va);
      k.platform.memory.flushTlb();
      return 0;
    }
    return 0; // other advice is a hint Linux may ignore too
  }, 'partial');

  tab.def('mremap', 'puuxp', (k, t, a) => {
    const old = a.u(0), oldSize = pageUp(a.u(1)), newSize = pageUp(a.u(2)), flags = a.i32(3), newAddr = a.u(4);
    const as = t.proc.as;
    if (old % PAGE_SIZE !== 0) return -E.EINVAL;
    if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) return -E.EINVAL;
    if (flags & MREMAP_FIXED && !(flags & MREMAP_MAYMOVE)) return -E.EINVAL;
    if (flags & MREMAP_DONTUNMAP) return -E.EINVAL; // not offered yet: say so instead of half-doing it
    if (newSize === 0 || oldSize === 0) return -E.EINVAL;
    const v = as.find(old);
    if (!v || old + oldSize > v.end) return -E.EFAULT;
    // Untrusted shared memory is a fixed-size host region at a fixed place: it can shrink, not
    // grow or move (not offered yet: said, not half-done).
    if (v.ushm && (newSize > oldSize || flags & MREMAP_FIXED)) return -E.ENOMEM;
    if (v.file?.dontExpand && newSize > oldSize) return -E.EFAULT;
    // A mapping whose file follows its moves (the AIO ring): asked first, told after.
    const move = (to: number): number => {
      const f = v.file;
      if (f?.remap) {
        const r = f.remap(as, old, to, true);
        if (r < 0) return r;
      }
      as.moveRange(old, oldSize, to, newSize);
      f?.remap?.(as, old, to, false);
      return to;
    };
    if (flags & MREMAP_FIXED) {
      if (newAddr % PAGE_SIZE !== 0 || newAddr + newSize > USER_VA_END || newAddr < MMAP_MIN_ADDR) return -E.EINVAL;
      if (newAddr < old + oldSize && newAddr + newSize > old) return -E.EINVAL;
      const r = v.file?.remap?.(as, old, newAddr, true) ?? 0;
      if (r < 0) return r;
      as.unmapRange(newAddr, newAddr + newSize);
      return move(newAddr);
    }
    if (newSize <= oldSize) {
      if (newSize < oldSize) as.unmapRange(old + newSize, old + oldSize);
      return old;
    }
    // Grow in place when the pages after the mapping are free and it ends the VMA.
    if (old + oldSize === v.end && as.isFree(v.end, old + newSize) && old + newSize <= USER_VA_END) {
      v.end = old + newSize;
      return old;
    }
    if (!(flags & MREMAP_MAYMOVE)) return -E.ENOMEM;
    const dest = as.findFree(newSize, 0);
    if (dest < 0) return -E.ENOMEM;
    return move(dest);
  }, 'partial');

  // arch/riscv/kernel/sys_riscv.c: the hart re-decodes written code itself, so flushing
  // only validates the flags (SYS_RISCV_FLUSH_ICACHE_LOCAL = 1).
  tab.def('riscv_flush_icache', 'ppx', (k, t, a) => {
    if (a.u(2) & ~1) return -E.EINVAL;
    k.platform.exec.codeWritten(0, Number.MAX_SAFE_INTEGER);
    return 0;
  });

  tab.def('msync', 'pux', (k, t, a) => {
    const addr = a.u(0), len = pageUp(a.u(1)), flags = a.i32(2);
    if (addr % PAGE_SIZE !== 0) return -E.EINVAL;
    if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC) || (flags & MS_ASYNC && flags & MS_SYNC)) return -E.EINVAL;
    for (let va = addr; va < addr + len; va += PAGE_SIZE) if (!t.proc.as.find(va)) return -E.ENOMEM;
    // Shared file pages go back to the file (tmpfs: its data; hostfs: the host's file).
    if (flags & (MS_SYNC | MS_ASYNC)) t.proc.as.syncRange(addr, addr + len);
    return 0;
  }, 'partial');

  tab.def('mlock', 'pu', (k, t, a) => doMlock(t, a.u(0), a.u(1), false));
  tab.def('mlock2', 'pux', (k, t, a) => (a.u(2) & ~MLOCK_ONFAULT ? -E.EINVAL : doMlock(t, a.u(0), a.u(1), (a.u(2) & MLOCK_ONFAULT) !== 0)));
  tab.def('munlock', 'pu', (k, t, a) => {
    const start = pageDown(a.u(0)), end = pageUp(a.u(0) + a.u(1));
    if (end < start || end > USER_VA_END) return -E.ENOMEM;
    if (!t.proc.as.covers(start, end)) return -E.ENOMEM;
    t.proc.as.setLocked(start, end, false);
    return 0;
  });
  tab.def('mlockall', 'x', (k, t, a) => {
    const flags = a.u(0);
    if (!flags || flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) || flags === MCL_ONFAULT) return -E.EINVAL;
    const limit = memlockPages(t);
    if (limit === 0) return -E.EPERM;
    const as = t.proc.as;
    if (flags & MCL_CURRENT && as.totalPages() > limit) return -E.ENOMEM;
    // apply_mlockall_flags: MCL_FUTURE is set or cleared by every call.
    as.lockFuture = flags & MCL_FUTURE ? { onFault: (flags & MCL_ONFAULT) !== 0 } : null;
    if (flags & MCL_CURRENT) {
      as.setLocked(0, USER_VA_END, true);
      if (!(flags & MCL_ONFAULT)) as.populateLocked(0, USER_VA_END); // mm_populate's result is not returned
    }
    return 0;
  });
  tab.def('munlockall', '', (k, t) => {
    t.proc.as.lockFuture = null;
    t.proc.as.setLocked(0, USER_VA_END, false);
    return 0;
  });

  tab.def('mincore', 'pup', (k, t, a) => {
    const addr = a.u(0), len = a.u(1);
    if (addr % PAGE_SIZE !== 0) return -E.EINVAL;
    const n = pageUp(len) / PAGE_SIZE;
    const vec = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const va = addr + i * PAGE_SIZE;
      if (!t.proc.as.find(va)) return -E.ENOMEM;
      vec[i] = t.proc.as.pt.lookup(va) >= 0 ? 1 : 0;
    }
    t.proc.as.copyOut(a.u(2), vec);
    return 0;
  });
}
