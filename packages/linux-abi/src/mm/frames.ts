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
