/**
 * What the kernel needs from a physical frame allocator (packages/kmalloc provides one).
 * Frames are 4 KiB and named by their guest physical address.
 */
export interface FrameAllocator {
  /** A free frame's physical address, or null when memory is exhausted. */
  allocFrame(): number | null;
  freeFrame(paddr: number): void;
  freeFrames(): number;
  totalFrames(): number;
}

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
export const pageDown = (a: number): number => a - (a % PAGE_SIZE);
export const pageUp = (a: number): number => Math.ceil(a / PAGE_SIZE) * PAGE_SIZE;

/**
 * How many mappings share each frame (Linux's page->_mapcount role): copy-on-write after
 * fork and MAP_SHARED memory keep a frame alive until its last mapping goes.
 */
export class FrameRefs {
  private readonly counts: Uint16Array;
  constructor(private readonly physBase: number, size: number) {
    this.counts = new Uint16Array(Math.ceil(size / PAGE_SIZE));
  }
  private idx(pa: number): number {
    return (pa - this.physBase) / PAGE_SIZE;
  }
  get(pa: number): number {
    return this.counts[this.idx(pa)];
  }
  set(pa: number, n: number): void {
    this.counts[this.idx(pa)] = n;
  }
  inc(pa: number): void {
    this.counts[this.idx(pa)]++;
  }
  /** Drops one reference; true when that was the last. */
  dec(pa: number): boolean {
    const i = this.idx(pa);
    if (this.counts[i] > 0) this.counts[i]--;
    return this.counts[i] === 0;
  }
}
