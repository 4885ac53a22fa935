/**
 * Sv39 page tables built by the kernel in enclave memory (RISC-V Privileged ISA, section
 * "Sv39: Page-Based 39-bit Virtual-Memory System"). Three levels of 512 eight-byte PTEs;
 * the kernel maps only 4 KiB user pages. The hart is Svade: it faults instead of setting
 * A/D, so the kernel sets A on every leaf and D on writable ones.
 */
import { PAGE_SIZE, type FrameAllocator } from './frames.ts';

export const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16, PTE_G = 32, PTE_A = 64, PTE_D = 128;

/** The user half of Sv39: bit 38 clear. */
export const USER_VA_END = 2 ** 38;

export class PageTable {
  private readonly w32: Uint32Array;
  readonly root: number;

  constructor(
    private readonly mem: Uint8Array,
    private readonly physBase: number,
    private readonly frames: FrameAllocator,
    root?: number,
  ) {
    this.w32 = new Uint32Array(mem.buffer, mem.byteOffset, mem.length >>> 2);
    if (root === undefined) {
      const r = frames.allocFrame();
      if (r === null) throw new RangeError('out of memory for a page table');
      this.zero(r);
      this.root = r;
    } else {
      this.root = root;
    }
  }

  private zero(paddr: number): void {
    const off = paddr - this.physBase;
    this.mem.fill(0, off, off + PAGE_SIZE);
  }

  private pteIndex(table: number, idx: number): number {
    return ((table - this.physBase) >>> 2) + idx * 2;
  }

  private static vpn(va: number, level: number): number {
    return Math.floor(va / 2 ** (12 + 9 * level)) & 511;
  }

  /** Physical address of the leaf PTE slot for va (creating tables when `create`), or -1. */
  private leafSlot(va: number, create: boolean): number {
    let table = this.root;
    for (let level = 2; level > 0; level--) {
      const i = this.pteIndex(table, PageTable.vpn(va, level));
      const lo = this.w32[i];
      if ((lo & PTE_V) === 0) {
        if (!create) return -1;
        const t = this.frames.allocFrame();
        if (t === null) return -2;
        this.zero(t);
        const ppn = t / PAGE_SIZE;
        this.w32[i] = ((ppn << 10) | PTE_V) >>> 0; // ppn < 2^22 for any Wasm-sized memory
        this.w32[i + 1] = 0;
        table = t;
      } else {
        table = this.pteToPaddr(lo, this.w32[i + 1]);
      }
    }
    return this.pteIndex(table, PageTable.vpn(va, 0));
  }

  private pteToPaddr(lo: number, hi: number): number {
    return ((lo >>> 10) + (hi & 0x3fffff) * 2 ** 22) * PAGE_SIZE;
  }

  /** Maps the user page at va to frame paddr with PTE_R/W/X bits. False when out of memory. */
  map(va: number, paddr: number, rwx: number): boolean {
    const slot = this.leafSlot(va, true);
    if (slot === -2) return false;
    const flags = PTE_V | PTE_U | PTE_A | (rwx & (PTE_R | PTE_W | PTE_X)) | (rwx & PTE_W ? PTE_D : 0);
    this.w32[slot] = (((paddr / PAGE_SIZE) << 10) | flags) >>> 0;
    this.w32[slot + 1] = 0;
    return true;
  }

  /** The frame mapped at va, or -1. */
  lookup(va: number): number {
    const slot = this.leafSlot(va, false);
    if (slot < 0) return -1;
    const lo = this.w32[slot];
    if ((lo & PTE_V) === 0) return -1;
    return this.pteToPaddr(lo, this.w32[slot + 1]);
  }

  /** The leaf flags at va (0 when unmapped). */
  flags(va: number): number {
    const slot = this.leafSlot(va, false);
    return slot < 0 ? 0 : this.w32[slot] & 0x3ff;
  }

  /** Changes the permissions of a mapped page. */
  protect(va: number, rwx: number): void {
    const slot = this.leafSlot(va, false);
    if (slot < 0 || (this.w32[slot] & PTE_V) === 0) return;
    const keep = this.w32[slot] & ~0x3ff;
    const flags = PTE_V | PTE_U | PTE_A | (rwx & (PTE_R | PTE_W | PTE_X)) | (rwx & PTE_W ? PTE_D : 0);
    this.w32[slot] = (keep | flags) >>> 0;
  }

  /** Unmaps va; returns the frame that was mapped there, or -1. */
  unmap(va: number): number {
    const slot = this.leafSlot(va, false);
    if (slot < 0) return -1;
    const lo = this.w32[slot];
    if ((lo & PTE_V) === 0) return -1;
    const pa = this.pteToPaddr(lo, this.w32[slot + 1]);
    this.w32[slot] = 0;
    this.w32[slot + 1] = 0;
    return pa;
  }

  /** Frees the table frames themselves (leaves must already be unmapped or owned elsewhere). */
  destroy(): void {
    const walk = (table: number, level: number): void => {
      if (level > 0) {
        for (let i = 0; i < 512; i++) {
          const s = this.pteIndex(table, i);
          const lo = this.w32[s];
          if ((lo & PTE_V) !== 0 && (lo & (PTE_R | PTE_W | PTE_X)) === 0) {
            walk(this.pteToPaddr(lo, this.w32[s + 1]), level - 1);
          }
        }
      }
      this.frames.freeFrame(table);
    };
    walk(this.root, 2);
  }
}
