/**
 * The page cache of one file (Linux's address_space, reduced): the frames that file
 * mappings (mmap of a tmpfs/memfd/host/image file) map. A page enters the cache on the
 * first fault of any mapping and stays while some page table maps it; MAP_SHARED mappings
 * map the cache frame writable (every mapping, across fork, sees one page), MAP_PRIVATE
 * ones map it read-only and copy on the first write.
 *
 * While a page is cached its frame is the truth for those bytes: read()/pread() overlay the
 * cached bytes on what the file system returns and write() copies into the frame, so reads,
 * writes and every mapping agree at every system call boundary (one hart runs the kernel:
 * there is no concurrent access to reconcile). Dirty pages (mapped by a writable shared
 * mapping) go back to the file on msync and when the last mapping drops them.
 *
 * Fixed paging (SGX: a guest address is an enclave linear address and one EPC page cannot be at
 * two of them) has no frames to share. There each page of the file has exactly one *home* at any
 * moment: the file itself, or one mapped alias (one address in one address space), whose EPC
 * page then holds the newest bytes. Every other alias of the page is not mapped at all, so a
 * guest access there (load, store, fetch, AMO, LR/SC) faults, and the fault migrates the page
 * (moveHome): the home's bytes are taken, that alias is revoked (EMODT + EACCEPT + EREMOVE),
 * and the faulting alias receives the bytes with its rights (EAUG + EACCEPTCOPY); then
 * the instruction runs again. read()/write() reach the home in place (overlay/update), as they
 * reach cached frames: the kernel runs with every user thread stopped, so nothing races it, and
 * a system call costs no migration. A host that skips or fakes one of those SGX2 steps makes the
 * kernel's EACCEPT fail (the kernel stops); it cannot leave two live copies of a page behind.
 */
import { PAGE_SIZE, type FrameAllocator, type FrameRefs } from './frames.ts';
import { PTE_R, PTE_W } from './sv39.ts';

/** What a file system gives the page cache: raw access to the file's bytes. */
export interface FileBacking {
  /** Whether the file stores page pgoff (shmem: written at least once); absent: every page within the size. */
  has?(pgoff: number): boolean;
  /** The file's size in bytes. */
  size(): number;
  /** The bytes of [pos, pos+len) that exist (shorter at end of file); may throw SysError (EIO). */
  readRaw(pos: number, len: number): Uint8Array;
  /** Stores bytes inside the file (the cache never writes past end of file). */
  writeRaw(pos: number, data: Uint8Array): void;
  /** The cache dropped its last page (a removed, closed file may free its data now). */
  uncached?(): void;
  /**
   * A page of another enclave's file (family-pages.ts): this enclave's home of page pgoff left it
   * without a write back (no writable mapping had it), so the owner may forget that this enclave
   * holds it.
   */
  released?(pgoff: number): void;
  /** writeRaw takes whole pages and keeps what is inside the file itself (another enclave's file: its owner does). */
  readonly wholePages?: boolean;
}

/**
 * The owner's side of pages other enclaves of the family hold (family-pages.ts): give asks the
 * holder `pid` to give page pgoff up (it revokes its alias) and returns the bytes, or null when
 * it did not have it; mapped says whether another enclave still maps the file.
 */
export interface RemoteHolders {
  give(pid: number, pgoff: number): Uint8Array | null;
  mapped(): boolean;
}

/** The memory the cache's frames live in (the kernel's, shared with every address space). */
export interface FrameMemory {
  readonly mem: Uint8Array;
  readonly physBase: number;
  readonly frames: FrameAllocator;
  readonly refs: FrameRefs;
  codeWritten(pa: number, len: number): void;
  /** Fixed paging: no shared frames; each page has one home (the file or one alias) and migrates. */
  readonly aliases?: boolean;
}

interface CachedPage { pa: number; dirty: boolean }

/** A page's home when it is a mapped alias (fixed paging). */
interface AliasHome {
  mapper: CacheMapper;
  va: number;
  /** The physical page at va (fixed while it stays committed). */
  pa: number;
  /** Mapped (now or before it moved here) by a shared mapping that may write: its bytes go back to the file when it leaves. */
  writable: boolean;
  /** When it arrived (pageClock): a page just granted is held a little before another enclave may take it. */
  since: { ns: number; ir: number };
}

/**
 * The enclave's clock and retired-instruction count, for how long a fresh home has been held
 * (set by the family layer, family-pages.ts; zeros where no other enclave asks for pages).
 */
export const pageClock = { now: (): number => 0, instret: (): number => 0 };

/** Migrations of file pages between aliases, in this enclave (`teeos run --stats`). */
export const migrationStats = { moves: 0 };

export class PageCache {
  private readonly pages = new Map<number, CachedPage>();
  /** Fixed paging: the pages whose home is an alias (the others' home is the file). */
  private readonly homes = new Map<number, AliasHome>();
  /**
   * Pages whose home is in another enclave of the family (this enclave owns the file), with a
   * generation that changes at each grant, so that a pull interrupted by a new grant starts over.
   */
  private readonly remoteHomes = new Map<number, { pid: number; gen: number }>();
  private gen = 0;
  /** Pages this owner is pulling back from another enclave now: a take of one waits (is answered busy). */
  private readonly pulling = new Map<number, number>(); // page -> pulls under way (they may nest)
  /** Set when other enclaves map this file (family-pages.ts). */
  remote: RemoteHolders | null = null;
  /** False once the file's data is gone (removed and closed): dirty pages have nowhere to go. */
  alive = true;

  constructor(readonly backing: FileBacking, private readonly fm: FrameMemory) {}

  get size(): number {
    return this.pages.size + this.homes.size;
  }

  /** Held by a kernel call that unmaps and maps the file again (remap_file_pages' get_file): counts as mapped. */
  held = 0;

  /** True while some address space maps this file (writable: by a shared mapping that may write). */
  isMapped(writable = false): boolean {
    if (this.held && !writable) return true;
    if (this.remote?.mapped()) return true;
    for (const m of cacheMappers) if (m.mapsCache(this, writable)) return true;
    return false;
  }

  /**
   * Whether page pgoff exists (cached, at an alias or another enclave, or stored by a backing that
   * can tell): shmem's "missing" for userfaultfd. A backing without `has` has every page.
   */
  has(pgoff: number): boolean {
    if (this.pages.has(pgoff) || this.homes.has(pgoff) || this.remoteHomes.has(pgoff)) return true;
    return this.backing.has ? this.backing.has(pgoff) : true;
  }

  /** The frame of page `pgoff`, reading it in on a miss; null when memory is exhausted. */
  get(pgoff: number): number | null {
    const hit = this.pages.get(pgoff);
    if (hit) return hit.pa;
    const pa = this.fm.frames.allocFrame();
    if (pa === null) return null;
    const off = pa - this.fm.physBase;
    const mem = this.fm.mem;
    mem.fill(0, off, off + PAGE_SIZE);
    try {
      const d = this.backing.readRaw(pgoff * PAGE_SIZE, PAGE_SIZE);
      mem.set(d.subarray(0, PAGE_SIZE), off);
    } catch (e) {
      this.fm.frames.freeFrame(pa);
      throw e;
    }
    this.fm.codeWritten(pa, PAGE_SIZE); // the frame may have held decoded code before
    this.fm.refs.set(pa, 1); // the cache's own reference
    this.pages.set(pgoff, { pa, dirty: false });
    return pa;
  }

  /** Fixed paging: the page's bytes as they are now (at its home), 4096 bytes; may throw SysError (EIO). */
  currentPage(pgoff: number): Uint8Array {
    this.pullBack(pgoff);
    const out = new Uint8Array(PAGE_SIZE);
    const h = this.homes.get(pgoff);
    if (h) {
      const o = h.pa - this.fm.physBase;
      out.set(this.fm.mem.subarray(o, o + PAGE_SIZE));
    } else {
      out.set(this.backing.readRaw(pgoff * PAGE_SIZE, PAGE_SIZE).subarray(0, PAGE_SIZE));
    }
    return out;
  }

  /**
   * Fixed paging: a copy of the page's bytes for a private copy (a MAP_PRIVATE write, a fork's
   * checkpoint); a page another enclave's owner had to grant for it is handed back at once.
   */
  copyPage(pgoff: number): Uint8Array {
    const local = this.homes.has(pgoff);
    const b = this.currentPage(pgoff);
    if (!local) this.backing.released?.(pgoff);
    return b;
  }

  /**
   * Across enclaves: page pgoff's home here arrived too recently to be taken away. It stays at
   * least `minNs`, and until this enclave has run an instruction since (the access that faulted
   * it in must run, or two enclaves could take a page from each other for ever without either
   * using it), but no longer than `maxNs` (a holder whose threads all wait must not keep it).
   */
  settling(pgoff: number, minNs: number, maxNs: number): boolean {
    const h = this.homes.get(pgoff);
    if (!h) return false;
    const age = pageClock.now() - h.since.ns;
    return age < minNs || (age < maxNs && pageClock.instret() === h.since.ir);
  }

  /** Owner: page pgoff is being pulled back from another enclave (a take of it must ask again). */
  isPulling(pgoff: number): boolean {
    return (this.pulling.get(pgoff) ?? 0) > 0;
  }

  /** Fixed paging: true when the alias (mapper, va) is page pgoff's home. */
  isHome(pgoff: number, mapper: CacheMapper, va: number): boolean {
    const h = this.homes.get(pgoff);
    return h !== undefined && h.mapper === mapper && h.va === va;
  }

  /**
   * Fixed paging: makes the alias (mapper, va) page pgoff's only home. The current home's bytes
   * are taken and that alias revoked; `install` maps the bytes at va (committed with those
   * contents and the mapping's rights) and returns the physical address, or -1 (out of memory:
   * the bytes go to the file, nothing is lost). May throw SysError (EIO) reading the file.
   */
  moveHome(pgoff: number, mapper: CacheMapper, va: number, writable: boolean, install: (bytes: Uint8Array) => number): number {
    const bytes = this.currentPage(pgoff);
    // The bytes go straight to the new alias: the file (which may be another enclave's, that
    // then takes this enclave's hold as given up) is written only if they cannot land.
    const old = this.homes.get(pgoff);
    if (old) {
      this.homes.delete(pgoff);
      old.mapper.dropAlias(old.va);
    }
    const pa = install(bytes);
    if (pa < 0) {
      this.writeBytes(pgoff, bytes);
      return -1;
    }
    // Bytes a writable mapping may have changed stay owed to the file wherever they move.
    this.homes.set(pgoff, { mapper, va, pa, writable: writable || (old?.writable ?? false), since: { ns: pageClock.now(), ir: pageClock.instret() } });
    migrationStats.moves++;
    return pa;
  }

  /**
   * Fixed paging: page pgoff's home goes back to the file. Its bytes are written back when a
   * writable mapping may have changed them; with `revoke` its mapper unmaps the alias (a mapper
   * that is unmapping it itself, or keeps it as a private copy, passes false). `only`: only if
   * that alias is the home.
   */
  leave(pgoff: number, revoke: boolean, only?: { mapper: CacheMapper; va: number }): void {
    const h = this.homes.get(pgoff);
    if (!h || (only && (only.mapper !== h.mapper || only.va !== h.va))) return;
    this.homes.delete(pgoff);
    if (h.writable) this.writeHome(pgoff, h);
    else this.backing.released?.(pgoff);
    if (revoke) h.mapper.dropAlias(h.va);
  }

  /** The page's bytes as the file's (within its size). */
  private writeBytes(pgoff: number, bytes: Uint8Array): void {
    if (!this.alive) return;
    if (this.backing.wholePages) { this.backing.writeRaw(pgoff * PAGE_SIZE, bytes); return; }
    const size = this.backing.size(), start = pgoff * PAGE_SIZE;
    if (start < size) this.backing.writeRaw(start, bytes.subarray(0, Math.min(PAGE_SIZE, size - start)));
  }

  /**
   * Owner of a file other enclaves map: the enclave `pid` becomes page pgoff's home. Whatever
   * holds it now gives it up (another enclave, or an alias here, written back), and the page's
   * bytes are returned (4096, zeros past the end of file).
   */
  grantRemote(pgoff: number, pid: number): Uint8Array {
    if (this.remoteHomes.get(pgoff)?.pid !== pid) this.pullBack(pgoff);
    this.leave(pgoff, true);
    const out = this.currentPage(pgoff);
    this.remoteHomes.set(pgoff, { pid, gen: ++this.gen });
    return out;
  }

  /** Owner: the enclave `pid` gave page pgoff back (with its bytes when it may have changed them). */
  returned(pgoff: number, pid: number, bytes: Uint8Array | null): void {
    if (this.remoteHomes.get(pgoff)?.pid !== pid) return; // granted elsewhere since: stale
    this.remoteHomes.delete(pgoff);
    if (bytes) this.writeBytes(pgoff, bytes);
  }

  /** Owner: the page's home comes back from another enclave (its alias there is revoked). */
  private pullBack(pgoff: number): void {
    for (;;) {
      const r = this.remoteHomes.get(pgoff);
      if (!r || !this.remote) { this.remoteHomes.delete(pgoff); return; }
      // Takes of this page wait until it is back (none is granted from the file's older bytes
      // meanwhile; family-pages.ts answers them busy).
      this.pulling.set(pgoff, (this.pulling.get(pgoff) ?? 0) + 1);
      let bytes: Uint8Array | null;
      try {
        bytes = this.remote.give(r.pid, pgoff);
      } finally {
        const n = this.pulling.get(pgoff)! - 1;
        if (n > 0) this.pulling.set(pgoff, n);
        else this.pulling.delete(pgoff);
      }
      // While this enclave waited, the page may have been granted again: ask again.
      if (this.remoteHomes.get(pgoff)?.gen !== r.gen) continue;
      this.remoteHomes.delete(pgoff);
      if (bytes) this.writeBytes(pgoff, bytes);
      return;
    }
  }

  /** Holder: gives page pgoff up for the owner (its alias here is revoked); its bytes, or null when it is not here. */
  surrender(pgoff: number): Uint8Array | null {
    const h = this.homes.get(pgoff);
    if (!h) return null;
    const o = h.pa - this.fm.physBase;
    const out = this.fm.mem.slice(o, o + PAGE_SIZE);
    this.homes.delete(pgoff);
    h.mapper.dropAlias(h.va);
    return out;
  }

  /** Every page here goes back to the file (at fork, so that the new enclave finds the file current). */
  leaveAll(): void {
    for (const pg of [...this.homes.keys()]) this.leave(pg, true);
  }

  private writeHome(pgoff: number, h: AliasHome): void {
    if (!this.alive) return;
    if (this.backing.wholePages) {
      const o = h.pa - this.fm.physBase;
      this.backing.writeRaw(pgoff * PAGE_SIZE, this.fm.mem.slice(o, o + PAGE_SIZE));
      return;
    }
    const size = this.backing.size(), start = pgoff * PAGE_SIZE;
    if (start >= size) return; // bytes past end of file never reach it
    const off = h.pa - this.fm.physBase;
    this.backing.writeRaw(start, this.fm.mem.slice(off, off + Math.min(PAGE_SIZE, size - start)));
  }

  /** Marks a page as written through a shared mapping (it goes back to the file later). */
  markDirty(pgoff: number): void {
    const p = this.pages.get(pgoff);
    if (p) p.dirty = true;
  }

  /**
   * Fixed paging: the kernel reaches an alias home in place only as its page rights allow (the
   * platform's rule binds the enclave's own kernel too): a home in [pos, pos+len) that lacks `right`
   * (PTE_R to read, PTE_W to write) first goes back to the file.
   */
  private homesAllow(pos: number, len: number, right: number): boolean {
    if ((this.homes.size === 0 && this.remoteHomes.size === 0) || len === 0) return false;
    const first = Math.floor(pos / PAGE_SIZE), last = Math.floor((pos + len - 1) / PAGE_SIZE);
    let left = false;
    // Pages another enclave holds come back first (read() and write() reach them here).
    for (const pg of [...this.remoteHomes.keys()]) {
      if (pg >= first && pg <= last) {
        this.pullBack(pg);
        left = true;
      }
    }
    for (const [pg, h] of [...this.homes]) {
      if (pg >= first && pg <= last && !(h.mapper.aliasRights(h.va) & right)) {
        this.leave(pg, true);
        left = true;
      }
    }
    return left;
  }

  /** read(): the cached bytes replace what the file system returned for [pos, pos+out.length). */
  overlay(pos: number, out: Uint8Array): void {
    // A home that went back to the file changed it after `out` was read from it: read again.
    if (this.homesAllow(pos, out.length, PTE_R)) out.set(this.backing.readRaw(pos, out.length).subarray(0, out.length));
    if ((this.pages.size === 0 && this.homes.size === 0) || out.length === 0) return;
    this.each(pos, out.length, (p, pageOff, bufOff, n) => {
      const src = p.pa - this.fm.physBase + pageOff;
      out.set(this.fm.mem.subarray(src, src + n), bufOff);
    });
  }

  /** write(): the written bytes go into the cached frames too. */
  update(pos: number, data: Uint8Array): void {
    // A home that went back to the file wrote its older bytes over what the file system had
    // just stored: store the new ones again.
    if (this.homesAllow(pos, data.length, PTE_W)) this.backing.writeRaw(pos, data);
    if ((this.pages.size === 0 && this.homes.size === 0) || data.length === 0) return;
    this.each(pos, data.length, (p, pageOff, bufOff, n) => {
      this.fm.mem.set(data.subarray(bufOff, bufOff + n), p.pa - this.fm.physBase + pageOff);
      this.fm.codeWritten(p.pa + pageOff, n);
    });
  }

  /** Each cached frame, or (fixed paging) each alias home, that overlaps [pos, pos+len). */
  private each(pos: number, len: number, fn: (p: { pa: number }, pageOff: number, bufOff: number, n: number) => void): void {
    const first = Math.floor(pos / PAGE_SIZE), last = Math.floor((pos + len - 1) / PAGE_SIZE);
    for (const map of [this.pages, this.homes] as Map<number, { pa: number }>[]) {
      if (map.size === 0) continue;
      if (last - first + 1 > map.size) {
        for (const [pg, p] of map) if (pg >= first && pg <= last) this.one(pg, p, pos, len, fn);
      } else {
        for (let pg = first; pg <= last; pg++) {
          const p = map.get(pg);
          if (p) this.one(pg, p, pos, len, fn);
        }
      }
    }
  }

  private one(pg: number, p: { pa: number }, pos: number, len: number, fn: (p: { pa: number }, pageOff: number, bufOff: number, n: number) => void): void {
    const start = Math.max(pos, pg * PAGE_SIZE), end = Math.min(pos + len, (pg + 1) * PAGE_SIZE);
    if (end > start) fn(p, start - pg * PAGE_SIZE, start - pos, end - start);
  }

  /** Writes dirty pages overlapping [pos, pos+len) back to the file (msync, fsync). */
  writeback(pos = 0, len = Number.MAX_SAFE_INTEGER): void {
    if (!this.alive) return;
    for (const [pg, h] of this.homes) {
      const start = pg * PAGE_SIZE;
      if (h.writable && start < pos + len && start + PAGE_SIZE > pos) this.writeHome(pg, h);
    }
    const size = this.backing.size();
    for (const [pg, p] of this.pages) {
      const start = pg * PAGE_SIZE;
      if (!p.dirty || start >= pos + len || start + PAGE_SIZE <= pos) continue;
      p.dirty = false;
      if (start >= size) continue; // bytes past end of file never reach it
      const n = Math.min(PAGE_SIZE, size - start);
      const off = p.pa - this.fm.physBase;
      this.backing.writeRaw(start, this.fm.mem.slice(off, off + n));
    }
  }

  /** Frees the pages no page table maps any more, writing dirty ones back first. */
  trim(): void {
    for (const [pg, p] of this.pages) {
      if (this.fm.refs.get(p.pa) > 1) continue;
      if (p.dirty && this.alive) {
        const size = this.backing.size();
        const start = pg * PAGE_SIZE;
        if (start < size) {
          const off = p.pa - this.fm.physBase;
          this.backing.writeRaw(start, this.fm.mem.slice(off, off + Math.min(PAGE_SIZE, size - start)));
        }
      }
      this.pages.delete(pg);
      this.fm.refs.set(p.pa, 0);
      this.fm.frames.freeFrame(p.pa);
    }
    if (this.pages.size === 0 && this.homes.size === 0 && this.remoteHomes.size === 0 && this.alive) this.backing.uncached?.();
  }

  /**
   * The file shrank to `size` (truncate): the caller already unmapped every page past it
   * from every address space; the partial last page keeps zeros past the new end, as
   * truncate_pagecache's zeroing of the partial page does.
   */
  truncated(size: number): void {
    const from = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    for (const m of cacheMappers) m.unmapCache(this, from);
    // Other enclaves' aliases past the end go too (pulled back: nothing lands past the end).
    for (const pg of [...this.remoteHomes.keys()]) if (pg * PAGE_SIZE >= from) this.pullBack(pg);
    const keep = Math.ceil(size / PAGE_SIZE);
    if (size % PAGE_SIZE) this.homesAllow(size, 1, PTE_W);
    const tail = this.pages.get(Math.floor(size / PAGE_SIZE)) ?? this.homes.get(Math.floor(size / PAGE_SIZE));
    if (tail && size % PAGE_SIZE) {
      const off = tail.pa - this.fm.physBase;
      this.fm.mem.fill(0, off + (size % PAGE_SIZE), off + PAGE_SIZE);
      this.fm.codeWritten(tail.pa, PAGE_SIZE);
    }
    for (const [pg, p] of this.pages) {
      if (pg < keep) continue;
      p.dirty = false;
    }
    this.trim();
  }
}

/** An address space that may map cached pages (truncate must unmap pages past the new end). */
export interface CacheMapper {
  /** Unmaps every page of `cache` at file offset >= fromByte (page aligned). */
  unmapCache(cache: PageCache, fromByte: number): void;
  /** True when some VMA maps `cache` (a removed file's data must live on while mapped). */
  mapsCache(cache: PageCache, writable: boolean): boolean;
  /** Fixed paging: unmaps the alias at va, no longer its page's home (the cache took its bytes). */
  dropAlias(va: number): void;
  /** Fixed paging: the rights (PTE_R/W/X) the alias at va has now. */
  aliasRights(va: number): number;
}
/** Every live address space (they register themselves). */
export const cacheMappers = new Set<CacheMapper>();
