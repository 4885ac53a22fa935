/**
 * A process's user address space: the VMAs (what Linux calls vm_area_struct) and the Sv39
 * page table that backs them. Pages are allocated on first touch (demand paging); the
 * kernel reaches user memory only through copyIn/copyOut, which check every byte against
 * the VMAs and throw EFAULT for anything else.
 */
import type { MemPolicy } from '../syscalls/numa.ts';
import { E, SysError } from '../errors.ts';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../abi/constants.ts';
import { PAGE_SIZE, pageDown, pageUp, FrameRefs, type FrameAllocator } from './frames.ts';
import { PTE_R, PTE_W, PTE_X, USER_VA_END } from './sv39.ts';
import { Sv39PageMap, FixedPageMap, type PageMap } from './page-map.ts';
import type { UntrustedRegion, UntrustedSharedMemory } from '@teeos/hal';
import { PageCache, cacheMappers, type CacheMapper, type FrameMemory } from './page-cache.ts';
import { nameFromBytes } from '../fs/names.ts';

/** A file mapping's file (shared by the pieces of a split VMA). */
export interface MappedFile {
  cache: PageCache;
  /** What /proc/PID/maps prints (" (deleted)" is added while the file has no name). */
  path: string;
  dev: number;
  ino: number;
  /** The inode's link count now (for " (deleted)"). */
  nlink(): number;
  /** MAP_SHARED through a writable descriptor: the mapping may be made writable (VM_MAYWRITE). */
  mayWrite: boolean;
  /** Shared anonymous memory's shmem object (mm/shmem.ts): userfaultfd may register it. */
  anonShmem?: boolean;
  /** memfd_secret's file (syscalls/secretmem.ts): its pages cannot be pinned (mlock, process_vm_*), its VM_LOCKED stays. */
  secret?: boolean;
  /** A System V segment's attach (shm_vm_ops): its id and size, and the enclave serving it (0: this one). */
  shm?: { id: number; size: number; owner: number };
  /** A mapping of this file went (munmap, shmdt, exec, exit), `as` as it is now: shm_close. */
  closed?(as: AddressSpace): void;
  /** fork copied a mapping of this file from `parent` (shm_open from dup_mmap; fixed paging: the checkpoint's carry). */
  forked?(parent: AddressSpace): void;
  /** VM_DONTEXPAND: mremap may not grow a mapping of this file (EFAULT). */
  dontExpand?: boolean;
  /**
   * vm_ops->mremap: mremap moves a mapping of this file from `from` to `to` in `as`; 0 lets it (and,
   * unless `check`, records the new place), a negative errno refuses the move.
   */
  remap?(as: AddressSpace, from: number, to: number, check: boolean): number;
}

export interface Vma {
  start: number;
  end: number; // exclusive, page aligned
  prot: number; // PROT_*
  /** What /proc/self/maps would call it. */
  name: string;
  growsDown?: boolean;
  /** MAP_SHARED: fork shares the frames instead of copying on write. */
  shared?: boolean;
  /** A file mapping: its file, and the address file offset 0 would have (offset = va - fileBase). */
  file?: MappedFile;
  fileBase?: number;
  /** VM_LOCKED (mlock, mlockall, MAP_LOCKED): counted in locked_vm; never inherited by fork. */
  locked?: boolean;
  /**
   * Shared memory in an untrusted region (the platform's untrustedShared, opted into by the
   * operator): region `id` of `size` bytes, whose byte 0 would be at linear address `base`.
   * Every process mapping it, in any enclave of the family, sees the same bytes.
   */
  ushm?: { id: number; size: number; base: number };
  /**
   * A PT_LOAD segment of the program (binfmt_elf maps them MAP_PRIVATE from the executable):
   * its pages are filled from the executable's bytes on first touch, not at execve.
   */
  image?: ImageSegment;
  /** mbind's policy (vm_policy; syscalls/numa.ts), absent for MPOL_DEFAULT. */
  mempolicy?: MemPolicy;
  /** Registered with a userfaultfd in MISSING mode (vm_userfaultfd_ctx; syscalls/userfaultfd.ts). */
  uffd?: UffdRegistration;
}

/** What the fault path needs of the userfaultfd a VMA is registered with. */
export interface UffdRegistration {
  /** UFFD_FEATURE_SIGBUS: a missing page is SIGBUS instead of a message. */
  sigbus: boolean;
}

/**
 * Where an ELF segment's pages come from. The page at va holds the executable's bytes at file
 * offset va - delta, below fileLimit, and zeros in [zeroFrom, zeroTo) (file-offset terms too, so
 * that splitting or moving the VMA keeps them: mremap adds to delta) and everywhere else.
 */
export interface ImageSegment {
  exe: ExecutableBytes;
  delta: number;
  fileLimit: number;
  zeroFrom: number;
  zeroTo: number;
}

/**
 * An executable's bytes, never written after execve read them (a copy of a file, or the measured
 * application image). `source` says how another enclave of the family finds the same bytes
 * without being sent them ('app': the measured application; 'root:INO': a file of the measured
 * root image; every enclave of a family has the same measurement), null when only this one has them.
 */
export class ExecutableBytes {
  private b: Uint8Array | null;
  constructor(readonly source: string | null, bytes: Uint8Array | null, private readonly load?: () => Uint8Array) {
    this.b = bytes;
  }
  get bytes(): Uint8Array {
    if (!this.b) this.b = this.load!();
    return this.b;
  }
}

/** Fills `page` (PAGE_SIZE bytes, zero on entry) as the loader would for the page at va. */
export function fillImagePage(seg: ImageSegment, va: number, page: Uint8Array): void {
  const fileStart = va - seg.delta;
  const bytes = seg.exe.bytes;
  const fileEnd = Math.min(seg.fileLimit, fileStart + PAGE_SIZE, bytes.length);
  if (fileStart >= 0 && fileEnd > fileStart) page.set(bytes.subarray(fileStart, fileEnd), 0);
  const zs = Math.max(seg.zeroFrom, fileStart), ze = Math.min(seg.zeroTo, fileStart + PAGE_SIZE);
  if (ze > zs) page.fill(0, zs - fileStart, ze - fileStart);
}

/** The platform's untrusted shared memory and the regions this enclave has (made or attached). */
export interface UshmContext {
  cap: UntrustedSharedMemory;
  regions: Map<number, UntrustedRegion>;
}

/** setup_arg_pages' stack_expand: the main stack VMA reaches 128 KiB below the arguments at exec. */
const STACK_EXPAND = 131072;

/** The memory access a fault or a copy needs. */
export const ACCESS_READ = 1, ACCESS_WRITE = 2, ACCESS_EXEC = 4;

export function protToPte(prot: number): number {
  let f = 0;
  if (prot & PROT_READ) f |= PTE_R;
  if (prot & PROT_WRITE) f |= PTE_W | PTE_R; // Linux riscv: write implies read (W-only PTEs are reserved)
  if (prot & PROT_EXEC) f |= PTE_X;
  return f;
}

/** 'sigbus': a file mapping's page past end of file (or the file could not be read). */
/** 'uffd': a missing page of a range registered with a userfaultfd (the kernel's handle_userfault decides). */
export type FaultResult = 'mapped' | 'maperr' | 'accerr' | 'oom' | 'sigbus' | 'uffd';

export interface MemoryHooks {
  /** Called when the kernel wrote bytes that the hart may have pre-decoded. */
  codeWritten(paddr: number, len: number): void;
  /** Called after PTEs were changed or removed (the hart caches translations). */
  flushTlb(): void;
}

/** Lowest address mmap hands out without a hint (Linux's mmap_min_addr is 4096; leave low memory alone). */
export const MMAP_MIN_ADDR = 0x10000;

export class AddressSpace implements CacheMapper {
  readonly pt: PageMap;
  vmas: Vma[] = [];
  brkStart = 0;
  brk = 0;
  /** Top of the region mmap allocates downwards from. */
  mmapBase = 0;
  /** Untrusted shared memory, when the platform offers it (the kernel's, shared by every address space). */
  ushm: UshmContext | null = null;
  /**
   * Fixed paging: the committed pages here that are a file page's home (page-cache.ts), by
   * address. A committed page of a file mapping not listed is a private copy (MAP_PRIVATE after
   * its first write); a shared mapping's committed pages are all listed.
   */
  private readonly aliasHomes = new Map<number, { cache: PageCache; pgoff: number }>();

  readonly refs: FrameRefs;

  constructor(
    private readonly mem: Uint8Array,
    private readonly physBase: number,
    private readonly frames: FrameAllocator,
    private readonly hooks: MemoryHooks,
    refs?: FrameRefs,
    pageMap?: PageMap,
  ) {
    this.pt = pageMap ?? new Sv39PageMap(mem, physBase, frames);
    this.refs = refs ?? new FrameRefs(physBase, mem.length);
    cacheMappers.add(this);
  }

  /** The frames a page cache of a file mapped here uses (the kernel's memory). */
  frameMemory(): FrameMemory {
    return {
      mem: this.mem, physBase: this.physBase, frames: this.frames, refs: this.refs, codeWritten: (pa, len) => this.hooks.codeWritten(pa, len),
      aliases: !this.pt.kernelFrames,
    };
  }

  dropAlias(va: number): void {
    this.aliasHomes.delete(va);
    this.pt.unmap(va);
    this.hooks.flushTlb();
  }

  aliasRights(va: number): number {
    return this.pt.flags(va);
  }

  mapsCache(cache: PageCache, writable: boolean): boolean {
    return this.vmas.some((v) => v.file?.cache === cache && (!writable || (v.shared && v.file.mayWrite)));
  }

  unmapCache(cache: PageCache, fromByte: number): void {
    let any = false;
    for (const v of this.vmas) {
      if (v.file?.cache !== cache) continue;
      for (let va = Math.max(v.start, v.fileBase! + fromByte); va < v.end; va += PAGE_SIZE) {
        if (this.pt.lookup(va) >= 0) {
          this.dropPage(va);
          any = true;
        }
      }
    }
    if (any) this.hooks.flushTlb();
  }

  /** Frees the cached pages of the files mapped by `vmas` that nothing maps any more. */
  private trimCaches(vmas: Vma[]): void {
    const caches = new Set<PageCache>();
    for (const v of vmas) if (v.file) caches.add(v.file.cache);
    for (const c of caches) c.trim();
  }

  /** fn's page releases made together (the platform's range calls), where the page map can. */
  private releasingTogether(fn: () => void): void {
    if (this.pt.batch) this.pt.batch(fn);
    else fn();
  }

  /** Unmaps one page and drops its frame reference (freeing the frame with the last one). */
  dropPage(va: number): void {
    const home = this.aliasHomes.get(va);
    if (home) {
      // A file page's home is going: its bytes go back to the file first.
      this.aliasHomes.delete(va);
      home.cache.leave(home.pgoff, false, { mapper: this, va });
    }
    const pa = this.pt.unmap(va);
    if (pa >= 0 && this.pt.kernelFrames && this.refs.dec(pa)) this.frames.freeFrame(pa);
  }

  /**
   * fork: a copy of this address space. Private pages become copy-on-write in both (the
   * PTE loses W; the VMA keeps it, so a write fault copies); MAP_SHARED pages are shared.
   */
  fork(): AddressSpace {
    // On a fixed-paging platform one enclave holds one address space: fork needs a new
    // enclave and a checkpoint (the platform's job), not a second page map here.
    if (!this.pt.kernelFrames) throw new SysError(E.ENOSYS, 'fork needs a new enclave on this platform');
    const child = new AddressSpace(this.mem, this.physBase, this.frames, this.hooks, this.refs);
    // dup_mmap clears VM_LOCKED; dup_userfaultfd: without UFFD_FEATURE_EVENT_FORK the child's copy is not registered.
    child.vmas = this.vmas.map((v) => {
      const c = { ...v, locked: false };
      delete c.uffd;
      return c;
    });
    child.brkStart = this.brkStart;
    child.brk = this.brk;
    child.mmapBase = this.mmapBase;
    for (const v of this.vmas) {
      for (let va = v.start; va < v.end; va += PAGE_SIZE) {
        let pa = this.pt.lookup(va);
        if (pa < 0 && v.shared && !v.file) {
          // A MAP_SHARED page nobody touched yet must still be one page for both: give it
          // its frame now (zero filled, as the first touch would have).
          const f = this.frames.allocFrame();
          if (f === null || !this.pt.map(va, f, protToPte(v.prot))) {
            if (f !== null) this.frames.freeFrame(f);
            child.destroy();
            throw new SysError(E.ENOMEM);
          }
          this.mem.fill(0, f - this.physBase, f - this.physBase + PAGE_SIZE);
          this.refs.set(f, 1);
          pa = f;
        }
        if (pa < 0) continue;
        let rwx = this.pt.flags(va) & (PTE_R | PTE_W | PTE_X);
        if (!v.shared && rwx & PTE_W) {
          rwx &= ~PTE_W;
          this.pt.protect(va, rwx);
        }
        if (!child.pt.map(va, pa, rwx)) {
          child.destroy();
          throw new SysError(E.ENOMEM);
        }
        this.refs.inc(pa);
      }
    }
    this.hooks.flushTlb();
    for (const v of child.vmas) v.file?.forked?.(this); // dup_mmap's vm_ops->open, run by the parent
    return child;
  }

  find(addr: number): Vma | undefined {
    // VMAs are few; a linear scan is fine until profiles say otherwise.
    for (const v of this.vmas) if (addr >= v.start && addr < v.end) return v;
    return undefined;
  }

  /** True when [start, end) overlaps no VMA. */
  isFree(start: number, end: number): boolean {
    for (const v of this.vmas) if (start < v.end && end > v.start) return false;
    return true;
  }

  insert(vma: Vma): void {
    this.vmas.push(vma);
    this.vmas.sort((a, b) => a.start - b.start);
  }

  /** Finds a free range of `len` bytes below mmapBase, top-down, as Linux's default layout does. */
  findFree(len: number, hint: number): number {
    if (hint && hint >= MMAP_MIN_ADDR && hint + len <= USER_VA_END && this.isFree(hint, hint + len)) return hint;
    let top = this.mmapBase;
    const sorted = [...this.vmas].sort((a, b) => b.start - a.start);
    for (const v of sorted) {
      if (v.start >= top) continue;
      if (v.end <= top - len) break;
      top = Math.min(top, v.start);
    }
    const start = top - len;
    return start >= MMAP_MIN_ADDR && this.isFree(start, top) ? start : -1;
  }

  /** Removes [start, end) from every VMA, splitting as needed, and frees the pages. */
  unmapRange(start: number, end: number): void {
    const out: Vma[] = [];
    const gone: Vma[] = [];
    for (const v of this.vmas) {
      if (end <= v.start || start >= v.end) {
        out.push(v);
        continue;
      }
      gone.push(v);
      if (v.start < start) out.push({ ...v, end: start });
      if (v.end > end) out.push({ ...v, start: end });
    }
    this.vmas = out;
    this.releasingTogether(() => {
      for (let va = start; va < end; va += PAGE_SIZE) this.dropPage(va);
    });
    this.hooks.flushTlb();
    this.trimCaches(gone);
    for (const v of gone) v.file?.closed?.(this);
  }

  /**
   * mremap's move: the pages of [from, from+oldSize) move (PTEs, not data) to `to`, with the
   * VMA's attributes; the new tail up to newSize is demand-zero.
   */
  moveRange(from: number, oldSize: number, to: number, newSize: number): void {
    const v = this.find(from)!;
    const attrs = { ...v };
    const moved = Math.min(oldSize, newSize);
    if (!this.pt.kernelFrames) {
      // Fixed linear pages (SGX's ELRANGE): a page cannot move to another linear address, so
      // the contents move: commit at the destination, copy, release the source.
      for (let off = 0; off < moved; off += PAGE_SIZE) {
        const pa = this.pt.lookup(from + off);
        if (pa < 0) continue;
        // A file page's home goes back to the file; the new address faults it in from there.
        if (this.aliasHomes.has(from + off)) { this.dropPage(from + off); continue; }
        const npa = this.pt.commit(to + off, this.pt.flags(from + off) & (PTE_R | PTE_W | PTE_X));
        if (npa < 0) throw new SysError(E.ENOMEM);
        this.mem.copyWithin(npa - this.physBase, pa - this.physBase, pa - this.physBase + PAGE_SIZE);
        this.hooks.codeWritten(npa, PAGE_SIZE);
        this.dropPage(from + off);
      }
      // The new VMA first: a file whose pages all went home must still be mapped when the old
      // range's unmap trims its cache (an unlinked object with no descriptor would free its data).
      this.insert(movedVma(attrs, from, to, newSize));
      this.unmapRange(from, from + oldSize);
      this.hooks.flushTlb();
      return;
    }
    const frames: [number, number, number][] = [];
    for (let off = 0; off < moved; off += PAGE_SIZE) {
      const flags = this.pt.flags(from + off) & (PTE_R | PTE_W | PTE_X);
      const pa = this.pt.unmap(from + off);
      if (pa >= 0) frames.push([to + off, pa, flags]);
    }
    this.unmapRange(from, from + oldSize);
    this.insert(movedVma(attrs, from, to, newSize));
    for (const [va, pa, flags] of frames) this.pt.map(va, pa, flags);
    this.hooks.flushTlb();
  }

  /** mlockall(MCL_FUTURE) (mm->def_flags VM_LOCKED): new mappings start locked; onFault: not populated. */
  lockFuture: { onFault: boolean } | null = null;

  /**
   * The part of a VMA Linux would have: the main stack here is one fixed 8 MiB VMA, where
   * Linux's starts at 128 KiB above the arguments (setup_arg_pages' stack_expand) and grows
   * down to the lowest page touched. Memory accounting (total_vm, locked_vm) and populating
   * locked memory use that extent, so mlockall sees the sizes Linux sees.
   */
  private linuxExtent(v: Vma): [number, number] {
    if (!v.growsDown || v.name !== '[stack]') return [v.start, v.end];
    let low = Math.max(v.start, v.end - STACK_EXPAND);
    for (let va = v.start; va < low; va += PAGE_SIZE) {
      if (this.pt.lookup(va) >= 0) { low = va; break; }
    }
    return [low, v.end];
  }

  /** locked_vm: the pages of locked VMAs (within [start, end)). */
  lockedPages(start = 0, end = USER_VA_END): number {
    let n = 0;
    for (const v of this.vmas) {
      if (!v.locked) continue;
      const [s, e] = this.linuxExtent(v);
      n += Math.max(0, Math.min(end, e) - Math.max(start, s)) / PAGE_SIZE;
    }
    return n;
  }

  /** total_vm: the pages of every VMA. */
  totalPages(): number {
    let n = 0;
    for (const v of this.vmas) {
      const [s, e] = this.linuxExtent(v);
      n += (e - s) / PAGE_SIZE;
    }
    return n;
  }

  /** Whether every page of [start, end) is inside a VMA. */
  covers(start: number, end: number): boolean {
    for (let a = start; a < end; ) {
      const v = this.find(a);
      if (!v) return false;
      a = v.end;
    }
    return true;
  }

  /** Sets VM_LOCKED on [start, end), splitting VMAs at the edges (the range must be covered). */
  setLocked(start: number, end: number, locked: boolean): void {
    // mlock_fixup leaves secretmem alone: locked from its mmap on, whatever mlock/munlock say.
    this.changeRange(start, end, { locked }, (v) => !!v.locked !== locked && !v.file?.secret);
  }

  /** mbind_range: the VMAs' parts inside [start, end) get `pol` (null: MPOL_DEFAULT). */
  setMempolicy(start: number, end: number, pol: MemPolicy | null): void {
    this.changeRange(start, end, { mempolicy: pol ?? undefined });
  }

  /** userfaultfd (un)registration: the VMAs' parts inside [start, end) get `reg` (undefined: none). */
  setUffd(start: number, end: number, reg: UffdRegistration | undefined): void {
    this.changeRange(start, end, { uffd: reg }, (v) => v.uffd !== reg);
  }

  /** Gives the VMAs' parts inside [start, end) the attributes in `change`, splitting at the edges. */
  private changeRange(start: number, end: number, change: Partial<Vma>, applies: (v: Vma) => boolean = () => true): void {
    const out: Vma[] = [];
    for (const v of this.vmas) {
      if (end <= v.start || start >= v.end || !applies(v)) {
        out.push(v);
        continue;
      }
      if (v.start < start) out.push({ ...v, end: start });
      out.push({ ...v, start: Math.max(v.start, start), end: Math.min(v.end, end), ...change });
      if (v.end > end) out.push({ ...v, start: end });
    }
    this.vmas = out.sort((a, b) => a.start - b.start);
  }

  /**
   * mm_populate for locked memory: faults in every accessible page of [start, end) (a write
   * fault where the mapping is private and writable, so copy-on-write is broken now, as
   * populate_vma_page_range does). False when the enclave ran out of frames.
   */
  populateLocked(start: number, end: number): boolean {
    for (const v of [...this.vmas]) {
      if (v.end <= start || v.start >= end || !(v.prot & (PROT_READ | PROT_WRITE))) continue;
      const write = (v.prot & PROT_WRITE) !== 0 && !v.shared;
      const [vs, ve] = this.linuxExtent(v);
      for (let va = Math.max(start, vs); va < Math.min(end, ve); va += PAGE_SIZE) {
        if (this.pt.lookup(va) >= 0 && (!write || this.pt.flags(va) & PTE_W)) continue;
        if (this.fault(va, write ? ACCESS_WRITE : ACCESS_READ) === 'oom') return false;
      }
    }
    return true;
  }

  /** Changes protection on [start, end); every page must be inside a VMA (else ENOMEM). */
  protect(start: number, end: number, prot: number): void {
    if (!this.covers(start, end)) throw new SysError(E.ENOMEM);
    this.changeRange(start, end, { prot });
    const pte = protToPte(prot);
    for (let va = start; va < end; va += PAGE_SIZE) {
      // PROT_NONE keeps the frame (Linux keeps the data) with R=W=X=0: at level 0 the hart
      // treats that as an invalid leaf and faults, which is exactly PROT_NONE.
      let rwx = pte;
      if (rwx & PTE_W && this.pt.kernelFrames) {
        // A private page still shared (copy on write after fork, or a file's cached page)
        // stays read-only: the write fault makes the copy.
        const pa = this.pt.lookup(va);
        const v = this.find(va);
        if (pa >= 0 && v && !v.shared && this.refs.get(pa) > 1) rwx &= ~PTE_W;
        if (pa >= 0 && v?.file && v.shared && v.file.mayWrite) v.file.cache.markDirty((va - v.fileBase!) / PAGE_SIZE);
      }
      // Fixed paging: a private mapping's page that is still the file's page (its home) stays
      // read-only: the write fault makes it a private copy.
      if (rwx & PTE_W && !this.pt.kernelFrames && this.aliasHomes.has(va) && !this.find(va)?.shared) rwx &= ~PTE_W;
      this.pt.protect(va, rwx);
    }
    this.hooks.flushTlb();
  }

  /**
   * Handles a fault at `addr` for `access`: maps a zero page when a VMA allows it.
   * 'maperr' = no VMA (SEGV_MAPERR), 'accerr' = VMA forbids the access (SEGV_ACCERR).
   */
  fault(addr: number, access: number): FaultResult {
    if (addr < 0 || addr >= USER_VA_END) return 'maperr';
    const v = this.find(addr);
    if (!v) return 'maperr';
    if ((access & ACCESS_WRITE && !(v.prot & PROT_WRITE)) ||
        (access & ACCESS_READ && !(v.prot & (PROT_READ | PROT_WRITE))) ||
        (access & ACCESS_EXEC && !(v.prot & PROT_EXEC))) return 'accerr';
    // Untrusted shared memory is never executable (outside the enclave: fetches there fault).
    if (v.ushm && access & ACCESS_EXEC) return 'accerr';
    const va = pageDown(addr);
    const existing = this.pt.lookup(va);
    if (existing >= 0) {
      let want = protToPte(v.prot) & (v.ushm ? PTE_R | PTE_W : PTE_R | PTE_W | PTE_X);
      const home = this.aliasHomes.get(va);
      if (home && !v.shared && !(access & ACCESS_WRITE)) want &= ~PTE_W; // stays the file's page: read-only
      if ((this.pt.flags(va) & want) === want) return 'accerr';
      if (home && access & ACCESS_WRITE && !v.shared) {
        // Fixed paging, a private mapping writes the file's page it held: the page stays here as
        // its private copy and the file becomes the page's home again (copy on write).
        this.aliasHomes.delete(va);
        home.cache.leave(home.pgoff, false, { mapper: this, va });
      }
      if (access & ACCESS_WRITE && !v.shared && this.refs.get(existing) > 1) {
        // Copy on write: this process gets its own copy of the shared frame.
        const copy = this.frames.allocFrame();
        if (copy === null) return 'oom';
        const from = existing - this.physBase, to = copy - this.physBase;
        this.mem.copyWithin(to, from, from + PAGE_SIZE);
        this.pt.map(va, copy, want);
        this.refs.set(copy, 1);
        this.refs.dec(existing);
      } else {
        // The last user of a COW frame, or a PTE made stale by mprotect: just allow it.
        this.pt.protect(va, want);
      }
      this.hooks.flushTlb();
      return 'mapped';
    }
    if (v.ushm) return this.ushmFault(v, va);
    if (v.file) return this.fileFault(v, va, access);
    if (v.uffd) return v.uffd.sigbus ? 'sigbus' : 'uffd'; // handle_userfault (MISSING mode: anonymous memory only)
    let pa: number;
    if (!this.pt.kernelFrames) {
      pa = this.pt.commit(va, protToPte(v.prot));
      if (pa < 0) return 'oom';
    } else {
      const f = this.frames.allocFrame();
      if (f === null) return 'oom';
      if (!this.pt.map(va, f, protToPte(v.prot))) {
        this.frames.freeFrame(f);
        return 'oom';
      }
      this.refs.set(f, 1);
      pa = f;
    }
    const off = pa - this.physBase;
    this.mem.fill(0, off, off + PAGE_SIZE);
    if (v.image) {
      try {
        fillImagePage(v.image, va, this.mem.subarray(off, off + PAGE_SIZE));
      } catch {
        // The executable's bytes could not be read (a root image the host no longer serves
        // faithfully): as a file mapping whose page cannot be read.
        this.dropPage(va);
        return 'sigbus';
      }
      this.hooks.codeWritten(pa, PAGE_SIZE);
    }
    return 'mapped';
  }

  /**
   * A file mapping's missing page (filemap_fault): past end of file is SIGBUS; a shared
   * mapping maps the cached page itself; a private one maps it read-only (so it sees the
   * file until it writes) or, for a write, gets its own copy at once.
   */
  private fileFault(v: Vma, va: number, access: number): FaultResult {
    const f = v.file!;
    const off = va - v.fileBase!;
    let size: number;
    try { size = f.cache.backing.size(); } catch { return 'sigbus'; }
    if (off >= pageUp(size)) return 'sigbus';
    const pgoff = off / PAGE_SIZE;
    // shmem's missing page (shmem_get_folio_gfp: no folio in the object) in a registered range.
    if (v.uffd && !f.cache.has(pgoff)) return v.uffd.sigbus ? 'sigbus' : 'uffd';
    const want = protToPte(v.prot);
    if (!this.pt.kernelFrames) {
      // Fixed pages (SGX): one EPC page at one address. A private mapping's write gets its own
      // copy of the page's current bytes; any other access makes this alias the page's home
      // (page-cache.ts moveHome: the old home is revoked and its bytes move, this one receives the
      // bytes with its rights through EACCEPTCOPY), read-only for a private mapping, so that it
      // follows the file until it writes.
      let fpa: number;
      try {
        if (!v.shared && access & ACCESS_WRITE) {
          fpa = this.pt.commit(va, want, f.cache.copyPage(pgoff));
        } else {
          const rights = v.shared ? want : want & ~PTE_W;
          fpa = f.cache.moveHome(pgoff, this, va, v.shared === true && f.mayWrite, (b) => this.pt.commit(va, rights, b));
          if (fpa >= 0) this.aliasHomes.set(va, { cache: f.cache, pgoff });
        }
      } catch (e) {
        if (e instanceof SysError) return 'sigbus'; // the file could not be read
        throw e; // a platform failure (an EACCEPT that caught the host) stops the kernel
      }
      if (fpa < 0) return 'oom';
      this.hooks.codeWritten(fpa, PAGE_SIZE);
      return 'mapped';
    }
    let pa: number | null;
    try { pa = f.cache.get(pgoff); } catch { return 'sigbus'; }
    if (pa === null) return 'oom';
    if (v.shared || !(access & ACCESS_WRITE)) {
      if (!this.pt.map(va, pa, v.shared ? want : want & ~PTE_W)) return 'oom';
      this.refs.inc(pa);
      if (v.shared && f.mayWrite) f.cache.markDirty(pgoff);
      return 'mapped';
    }
    const copy = this.frames.allocFrame();
    if (copy === null) return 'oom';
    this.mem.copyWithin(copy - this.physBase, pa - this.physBase, pa - this.physBase + PAGE_SIZE);
    if (!this.pt.map(va, copy, want)) {
      this.frames.freeFrame(copy);
      return 'oom';
    }
    this.refs.set(copy, 1);
    this.hooks.codeWritten(copy, PAGE_SIZE);
    return 'mapped';
  }

  /** A page of untrusted shared memory: the region's page at the same offset, mapped (no copy). */
  private ushmFault(v: Vma, va: number): FaultResult {
    const u = v.ushm!;
    const region = this.ushm?.regions.get(u.id);
    const off = va - u.base;
    if (!region || !(this.pt instanceof FixedPageMap) || off < 0 || off >= region.size) return 'sigbus';
    return this.pt.mapUntrusted(va, region, off, protToPte(v.prot)) ? 'mapped' : 'oom';
  }

  /**
   * The aligned 32-bit word at addr as an index into an Int32Array over its untrusted region (for
   * a read-modify-write other enclaves may race with: FUTEX_WAKE_OP), faulting the page in; null
   * when addr is not untrusted shared memory. EFAULT as copyIn/copyOut would.
   */
  untrustedWord(addr: number): { words: Int32Array; index: number } | null {
    const v = this.find(addr);
    if (!v?.ushm || addr % 4) return null;
    this.resolve(addr, ACCESS_WRITE);
    const f = (this.pt as FixedPageMap).untrustedAt(pageDown(addr))!;
    const b = f.region.bytes;
    return { words: new Int32Array(b.buffer, b.byteOffset, b.byteLength >> 2), index: (f.off + (addr % PAGE_SIZE)) >> 2 };
  }

  /** Finds a free range of `len` bytes inside [lo, hi) (the untrusted shared memory window), lowest first. */
  findFreeIn(len: number, lo: number, hi: number, hint = 0): number {
    if (hint >= lo && hint + len <= hi && hint % PAGE_SIZE === 0 && this.isFree(hint, hint + len)) return hint;
    let start = lo;
    for (const v of [...this.vmas].sort((a, b) => a.start - b.start)) {
      if (v.end <= start) continue;
      if (v.start >= start + len) break;
      start = v.end;
    }
    return start + len <= hi ? start : -1;
  }

  /** Writes the dirty cached pages of shared file mappings in [start, end) back (msync). */
  syncRange(start: number, end: number): void {
    for (const v of this.vmas) {
      if (!v.file || !v.shared || end <= v.start || start >= v.end) continue;
      const s = Math.max(start, v.start), e = Math.min(end, v.end);
      v.file.cache.writeback(s - v.fileBase!, e - s);
    }
  }

  /** Maps a fresh zero page at va (for loaders) and returns its offset into enclave memory. */
  populate(va: number, access: number): number {
    const r = this.fault(va, access);
    if (r !== 'mapped' && this.pt.lookup(pageDown(va)) < 0) {
      throw new SysError(r === 'oom' ? E.ENOMEM : E.EFAULT, `address 0x${va.toString(16)}`);
    }
    return this.pt.lookup(pageDown(va)) - this.physBase;
  }

  /**
   * The bytes behind user address `addr` and its offset in them, faulting the page in: enclave
   * memory, or an untrusted region's bytes for a page of untrusted shared memory.
   */
  private resolveBuf(addr: number, access: number): { buf: Uint8Array; off: number } {
    const off = this.resolve(addr, access);
    if (off >= 0) return { buf: this.mem, off };
    const va = pageDown(addr);
    const f = (this.pt as FixedPageMap).untrustedAt(va)!;
    return { buf: f.region.bytes, off: f.off + (addr - va) };
  }

  /** Offset in enclave memory of user address `addr`, faulting the page in (-1: untrusted shared memory); EFAULT when not allowed. */
  private resolve(addr: number, access: number): number {
    if (!(addr >= 0 && addr < USER_VA_END)) throw new SysError(E.EFAULT);
    const va = pageDown(addr);
    const v = this.find(addr);
    if (!v) throw new SysError(E.EFAULT);
    if (access & ACCESS_WRITE ? !(v.prot & PROT_WRITE) : !(v.prot & (PROT_READ | PROT_WRITE))) {
      throw new SysError(E.EFAULT);
    }
    let pa = this.pt.lookup(va);
    if (pa < 0 || (access & ACCESS_WRITE && !(this.pt.flags(va) & PTE_W))) {
      // Not present, or copy-on-write: take the fault the hart would have taken.
      const r = this.fault(addr, access);
      if (r === 'oom') throw new SysError(E.ENOMEM);
      if (r !== 'mapped') throw new SysError(E.EFAULT);
      pa = this.pt.lookup(va);
    }
    if (v.ushm) return -1;
    return pa - this.physBase + (addr - va);
  }

  /** Copies len bytes from user memory. */
  copyIn(addr: number, len: number): Uint8Array {
    if (len < 0 || addr + len > USER_VA_END) throw new SysError(E.EFAULT);
    const out = new Uint8Array(len);
    this.copyPages(addr, out, len, ACCESS_READ, false);
    return out;
  }

  /**
   * Copies up to len bytes from user memory a page at a time, as Linux's copy_from_user does: the
   * bytes before the first page that faults (empty when the first byte does).
   */
  copyInUpTo(addr: number, len: number): Uint8Array {
    if (len < 0) throw new SysError(E.EFAULT);
    const out = new Uint8Array(len);
    const done = this.copyPages(addr, out, len, ACCESS_READ, true);
    return done === len ? out : out.subarray(0, done);
  }

  /** Copies bytes into user memory. */
  copyOut(addr: number, data: Uint8Array): void {
    if (addr + data.length > USER_VA_END) throw new SysError(E.EFAULT);
    this.copyPages(addr, data, data.length, ACCESS_WRITE, false);
  }

  /** Copies bytes into user memory a page at a time up to the first page that faults: the bytes written. */
  copyOutUpTo(addr: number, data: Uint8Array): number {
    return this.copyPages(addr, data, data.length, ACCESS_WRITE, true);
  }

  /**
   * The page walk of copyIn/copyOut and their UpTo forms: len bytes between `bytes` and user memory
   * at addr (into user memory for ACCESS_WRITE), a page at a time, faulting pages in. A page that
   * cannot be reached throws its error, or with `upTo` ends the walk: the bytes copied before it.
   */
  private copyPages(addr: number, bytes: Uint8Array, len: number, access: number, upTo: boolean): number {
    const write = (access & ACCESS_WRITE) !== 0;
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const n = Math.min(len - done, PAGE_SIZE - (a % PAGE_SIZE));
      let r: { buf: Uint8Array; off: number };
      try {
        r = this.resolveBuf(a, access);
      } catch (e) {
        if (upTo && e instanceof SysError) return done;
        throw e;
      }
      const { buf, off } = r;
      if (write) {
        buf.set(bytes.subarray(done, done + n), off);
        if (buf === this.mem) this.hooks.codeWritten(off + this.physBase, n);
      } else {
        bytes.set(buf.subarray(off, off + n), done);
      }
      done += n;
    }
    return done;
  }

  /** Reads a NUL-terminated string of at most max bytes (ENAMETOOLONG past it). */
  readCString(addr: number, max: number): string {
    const bytes: number[] = [];
    let a = addr;
    while (bytes.length < max) {
      const { buf, off } = this.resolveBuf(a, ACCESS_READ);
      const n = Math.min(PAGE_SIZE - (a % PAGE_SIZE), max - bytes.length);
      for (let i = 0; i < n; i++) {
        const c = buf[off + i];
        if (c === 0) return nameFromBytes(new Uint8Array(bytes)); // lossless: names are bytes
        bytes.push(c);
      }
      a += n;
    }
    throw new SysError(E.ENAMETOOLONG);
  }

  /** Run once when the address space ends (exit, execve), before its mappings go: exit_aio. */
  readonly onDestroy: (() => void)[] = [];

  /** Frees every page and the page table. */
  destroy(): void {
    for (const hook of this.onDestroy.splice(0)) hook();
    this.releasingTogether(() => {
      for (const v of this.vmas) {
        for (let va = v.start; va < v.end; va += PAGE_SIZE) this.dropPage(va);
      }
    });
    const gone = this.vmas;
    this.vmas = [];
    this.pt.destroy();
    cacheMappers.delete(this);
    this.trimCaches(gone);
    for (const v of gone) v.file?.closed?.(this);
  }

  /** Whether the page at va (page aligned) is present (mfill_atomic's -EEXIST check). */
  present(va: number): boolean {
    const v = this.find(va);
    if (v?.file) return v.file.cache.has((va - v.fileBase!) / PAGE_SIZE);
    return this.pt.lookup(va) >= 0;
  }

  /**
   * UFFDIO_COPY/UFFDIO_ZEROPAGE of one missing anonymous page at va (page aligned, inside `v`):
   * maps a page holding `bytes` (zeros when null) with the VMA's rights. False: no memory.
   */
  fillMissing(v: Vma, va: number, bytes: Uint8Array | null): boolean {
    if (v.file) {
      // shmem (shared anonymous memory): the page goes into the object, then maps as any fault of it.
      v.file.cache.backing.writeRaw(va - v.fileBase!, bytes ?? new Uint8Array(PAGE_SIZE));
      return this.fault(va, ACCESS_READ) === 'mapped';
    }
    const want = protToPte(v.prot);
    let pa: number;
    if (!this.pt.kernelFrames) {
      // Fixed pages (SGX2): EAUG + EACCEPTCOPY of the page with its bytes and rights, as the lazy commit does.
      pa = this.pt.commit(va, want, bytes ?? new Uint8Array(PAGE_SIZE));
      if (pa < 0) return false;
    } else {
      const f = this.frames.allocFrame();
      if (f === null) return false;
      if (!this.pt.map(va, f, want)) {
        this.frames.freeFrame(f);
        return false;
      }
      this.refs.set(f, 1);
      pa = f;
      const off = pa - this.physBase;
      if (bytes) this.mem.set(bytes, off);
      else this.mem.fill(0, off, off + PAGE_SIZE);
    }
    this.hooks.codeWritten(pa, PAGE_SIZE);
    this.hooks.flushTlb();
    return true;
  }

  /** Page-aligned helper for mmap-family callers. */
  static align(len: number): number {
    return pageUp(len);
  }
}

/**
 * A VMA's attributes after mremap moved it from `from` to `to` (file offsets stay with the pages).
 * A userfaultfd registration does not move with it (mremap_userfaultfd_prep without
 * UFFD_FEATURE_EVENT_REMAP: userfaultfd_reset_ctx).
 */
function movedVma(v: Vma, from: number, to: number, size: number): Vma {
  const d = to - from;
  const moved: Vma = {
    ...v, start: to, end: to + size,
    ...(v.file ? { fileBase: v.fileBase! + d } : {}),
    ...(v.image ? { image: { ...v.image, delta: v.image.delta + d } } : {}),
  };
  delete moved.uffd;
  return moved;
}
