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
 */
import { PAGE_SIZE, type FrameAllocator, type FrameRefs } from './frames.ts';

/** What a file system gives the page cache: raw access to the file's bytes. */
export interface FileBacking {
  /** The file's size in bytes. */
  size(): number;
  /** The bytes of [pos, pos+len) that exist (shorter at end of file); may throw SysError (EIO). */
  readRaw(pos: number, len: number): Uint8Array;
  /** Stores bytes inside the file (the cache never writes past end of file). */
  writeRaw(pos: number, data: Uint8Array): void;
  /** The cache dropped its last page (a removed, closed file may free its data now). */
  uncached?(): void;
}

/** The memory the cache's frames live in (the kernel's, shared with every address space). */
export interface FrameMemory {
  readonly mem: Uint8Array;
  readonly physBase: number;
  readonly frames: FrameAllocator;
  readonly refs: FrameRefs;
  codeWritten(pa: number, len: number): void;
}

interface CachedPage { pa: number; dirty: boolean }

export class PageCache {
  private readonly pages = new Map<number, CachedPage>();
  /** False once the file's data is gone (removed and closed): dirty pages have nowhere to go. */
  alive = true;

  constructor(readonly backing: FileBacking, private readonly fm: FrameMemory) {}

  get size(): number {
    return this.pages.size;
  }

  /** True while some address space maps this file (writable: by a shared mapping that may write). */
  isMapped(writable = false): boolean {
    for (const m of cacheMappers) if (m.mapsCache(this, writable)) return true;
    return false;
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

  /** Marks a page as written through a shared mapping (it goes back to the file later). */
  markDirty(pgoff: number): void {
    const p = this.pages.get(pgoff);
    if (p) p.dirty = true;
  }

  /** read(): the cached bytes replace what the file system returned for [pos, pos+out.length). */
  overlay(pos: number, out: Uint8Array): void {
    if (this.pages.size === 0 || out.length === 0) return;
    this.each(pos, out.length, (p, pageOff, bufOff, n) => {
      const src = p.pa - this.fm.physBase + pageOff;
      out.set(this.fm.mem.subarray(src, src + n), bufOff);
    });
  }

  /** write(): the written bytes go into the cached frames too. */
  update(pos: number, data: Uint8Array): void {
    if (this.pages.size === 0 || data.length === 0) return;
    this.each(pos, data.length, (p, pageOff, bufOff, n) => {
      this.fm.mem.set(data.subarray(bufOff, bufOff + n), p.pa - this.fm.physBase + pageOff);
      this.fm.codeWritten(p.pa + pageOff, n);
    });
  }

  private each(pos: number, len: number, fn: (p: CachedPage, pageOff: number, bufOff: number, n: number) => void): void {
    const first = Math.floor(pos / PAGE_SIZE), last = Math.floor((pos + len - 1) / PAGE_SIZE);
    if (last - first + 1 > this.pages.size) {
      for (const [pg, p] of this.pages) if (pg >= first && pg <= last) this.one(pg, p, pos, len, fn);
    } else {
      for (let pg = first; pg <= last; pg++) {
        const p = this.pages.get(pg);
        if (p) this.one(pg, p, pos, len, fn);
      }
    }
  }

  private one(pg: number, p: CachedPage, pos: number, len: number, fn: (p: CachedPage, pageOff: number, bufOff: number, n: number) => void): void {
    const start = Math.max(pos, pg * PAGE_SIZE), end = Math.min(pos + len, (pg + 1) * PAGE_SIZE);
    if (end > start) fn(p, start - pg * PAGE_SIZE, start - pos, end - start);
  }

  /** Writes dirty pages overlapping [pos, pos+len) back to the file (msync, fsync). */
  writeback(pos = 0, len = Number.MAX_SAFE_INTEGER): void {
    if (!this.alive) return;
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
    if (this.pages.size === 0 && this.alive) this.backing.uncached?.();
  }

  /**
   * The file shrank to `size` (truncate): the caller already unmapped every page past it
   * from every address space; the partial last page keeps zeros past the new end, as
   * truncate_pagecache's zeroing of the partial page does.
   */
  truncated(size: number): void {
    const from = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    for (const m of cacheMappers) m.unmapCache(this, from);
    const keep = Math.ceil(size / PAGE_SIZE);
    const tail = this.pages.get(Math.floor(size / PAGE_SIZE));
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
}
/** Every live address space (they register themselves). */
export const cacheMappers = new Set<CacheMapper>();
