/**
 * How an address space's pages reach physical memory. Two kinds, chosen by the platform's
 * paging capability (the kernel never asks which platform it is on):
 * - Sv39PageMap: the kernel owns Sv39 page tables (Keystone, SEV) and its own frames;
 * - FixedPageMap: the platform fixes where each linear page lives and what rights it may
 *   have (SGX's ELRANGE and EPCM); the kernel commits and releases pages through the HAL.
 */
import type { EnclaveMemory, UntrustedRegion } from '@teeos/hal';
import { PageTable, PTE_R, PTE_W, PTE_X } from './sv39.ts';
import { PAGE_SIZE, type FrameAllocator } from './frames.ts';

export interface PageMap {
  /** The root to activate (Sv39 root frame; 0 for fixed maps). */
  readonly root: number;
  /** True when frames come from the kernel's allocator (false: the platform provides them). */
  readonly kernelFrames: boolean;
  /** Maps va to the kernel frame pa (kernelFrames) with PTE_R/W/X rights. */
  map(va: number, pa: number, rwx: number): boolean;
  /**
   * Maps a platform-provided page at va (fixed maps); returns its physical address or -1. With
   * `contents` (4096 bytes) the page arrives holding them with exactly the rights asked.
   */
  commit(va: number, rwx: number, contents?: Uint8Array): number;
  lookup(va: number): number;
  /** PTE_R/W/X rights at va (0 when unmapped). */
  flags(va: number): number;
  protect(va: number, rwx: number): void;
  /** Unmaps va; returns the physical address that was mapped there, or -1. */
  unmap(va: number): number;
  /** Runs fn with the pages it unmaps given back to the platform together at its end (optional). */
  batch?<T>(fn: () => T): T;
  destroy(): void;
}

export class Sv39PageMap extends PageTable implements PageMap {
  readonly kernelFrames = true;
  commit(): number {
    throw new Error('Sv39PageMap maps kernel frames: use map()');
  }
}

const PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
const toProt = (rwx: number) => (rwx & PTE_R ? PROT_READ : 0) | (rwx & PTE_W ? PROT_WRITE : 0) | (rwx & PTE_X ? PROT_EXEC : 0);
const toRwx = (prot: number) => (prot & PROT_READ ? PTE_R : 0) | (prot & PROT_WRITE ? PTE_W : 0) | (prot & PROT_EXEC ? PTE_X : 0);

export class FixedPageMap implements PageMap {
  readonly root = 0;
  readonly kernelFrames = false;
  private readonly committed = new Set<number>();
  /**
   * Pages of untrusted shared memory (EnclaveMemory.untrustedShared): outside the enclave, so no
   * EPC page behind them; lookup gives the hart's physical address (the same in every enclave of
   * the family, which keys shared futexes), flags the rights asked (never X: the platform maps R/W).
   */
  private readonly foreign = new Map<number, { region: UntrustedRegion; off: number; rwx: number }>();

  constructor(private readonly mem: EnclaveMemory) {
    if (!mem.commitPage || !mem.translate || !mem.releasePage || !mem.protectPage || !mem.pageRights) {
      throw new Error("a 'fixed' paging platform must offer commitPage/protectPage/releasePage/translate/pageRights");
    }
  }

  map(): boolean {
    throw new Error('FixedPageMap pages come from the platform: use commit()');
  }

  commit(va: number, rwx: number, contents?: Uint8Array): number {
    const pending = this.releasing?.indexOf(va) ?? -1;
    if (pending >= 0) {
      // Mapped again before the batch ended: that page goes first, on its own.
      this.releasing!.splice(pending, 1);
      this.mem.releasePage!(va);
    }
    const pa = this.mem.commitPage!(va, toProt(rwx), contents);
    if (pa >= 0) this.committed.add(va);
    return pa;
  }

  /** Maps the page at va to byte `off` of an untrusted region (false: the platform refused). */
  mapUntrusted(va: number, region: UntrustedRegion, off: number, rwx: number): boolean {
    const u = this.mem.untrustedShared;
    if (!u || this.committed.has(va)) return false;
    if ((rwx & (PTE_R | PTE_W)) && !u.map(va, region, off, toProt(rwx))) return false;
    this.foreign.set(va, { region, off, rwx: rwx & (PTE_R | PTE_W) });
    return true;
  }

  /** The untrusted region and offset behind va, or undefined. */
  untrustedAt(va: number): { region: UntrustedRegion; off: number } | undefined {
    return this.foreign.get(va);
  }

  lookup(va: number): number {
    const f = this.foreign.get(va);
    if (f) return f.region.phys + f.off;
    return this.committed.has(va) ? this.mem.translate!(va) : -1;
  }

  flags(va: number): number {
    const f = this.foreign.get(va);
    if (f) return f.rwx;
    return this.committed.has(va) ? toRwx(this.mem.pageRights!(va)) : 0;
  }

  protect(va: number, rwx: number): void {
    const f = this.foreign.get(va);
    if (f) {
      // New rights: map again (or unmap for PROT_NONE; the page keeps its place in the region).
      const u = this.mem.untrustedShared!;
      f.rwx = rwx & (PTE_R | PTE_W);
      if (f.rwx) u.map(va, f.region, f.off, toProt(f.rwx));
      else u.unmap(va);
      return;
    }
    if (this.committed.has(va)) this.mem.protectPage!(va, toProt(rwx));
  }

  unmap(va: number): number {
    const f = this.foreign.get(va);
    if (f) {
      this.mem.untrustedShared!.unmap(va);
      this.foreign.delete(va);
      return f.region.phys + f.off;
    }
    if (!this.committed.has(va)) return -1;
    const pa = this.mem.translate!(va);
    if (this.releasing) this.releasing.push(va);
    else this.mem.releasePage!(va);
    this.committed.delete(va);
    return pa;
  }

  /** Pages unmapped inside batch(), given back together when it ends. */
  private releasing: number[] | null = null;

  /**
   * Runs fn with the release of every page it unmaps deferred to its end, where the platform
   * takes them all at once (releasePages) if it can. fn must not map again what it unmaps.
   */
  batch<T>(fn: () => T): T {
    if (this.releasing || !this.mem.releasePages) return fn();
    const list: number[] = [];
    this.releasing = list;
    try {
      return fn();
    } finally {
      this.releasing = null;
      if (list.length === 1) this.mem.releasePage!(list[0]);
      else if (list.length) this.mem.releasePages(list);
    }
  }

  destroy(): void {
    this.batch(() => {
      for (const va of [...this.committed, ...this.foreign.keys()]) this.unmap(va);
    });
  }
}

export function newPageMap(mem: EnclaveMemory, frames: FrameAllocator): PageMap {
  return mem.paging === 'fixed' ? new FixedPageMap(mem) : new Sv39PageMap(mem.bytes, mem.phys.base, frames);
}


