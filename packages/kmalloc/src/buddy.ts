/*
 * Binary buddy allocator for 4 KiB physical frames, after Linux mm/page_alloc.c
 * (__free_one_page coalescing, expand() splitting) and Knuth TAOCP vol. 1 §2.5.
 * Blocks of order k are 2^k frames, aligned to 2^k in absolute frame numbers (so an
 * order-9 block is a 2 MiB superpage-able region). All metadata lives in typed
 * arrays: one byte per frame for the free-block order, one byte per frame for the
 * allocated-block order, and two Int32 free-list links per frame.
 * Exhaustion returns null; misuse (double free, wrong order, foreign frame) throws.
 */

const NONE = -1;
/** allocOrder marker for frames taken by reserve() (or outside the managed range) */
const RESERVED = -2;
/** allocOrder marker for frames inside an allocated block (not its head) or in a free block */
const INNER = -3;

export interface BuddyOptions {
  /** first frame number managed (physical address / 4096) */
  firstFrame: number;
  /** number of frames managed */
  frameCount: number;
  /** largest order (blocks of 2^maxOrder frames); default 10 (4 MiB), Linux's MAX_ORDER */
  maxOrder?: number;
}

export class BuddyAllocator {
  readonly firstFrame: number;
  readonly frameCount: number;
  readonly maxOrder: number;
  /** absolute frame number of index 0 (firstFrame aligned down to 2^maxOrder) */
  private readonly origin: number;
  private readonly n: number;
  /** order of the free block headed at i, or NONE */
  private readonly freeOrder: Int8Array;
  /** order of the allocated block headed at i, or NONE/RESERVED/INNER */
  private readonly allocOrder: Int8Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly heads: Int32Array;
  private readonly counts: Float64Array;
  private free = 0;

  constructor(opts: BuddyOptions) {
    const { firstFrame, frameCount } = opts;
    const maxOrder = opts.maxOrder ?? 10;
    if (!Number.isSafeInteger(firstFrame) || firstFrame < 0) throw new RangeError(`bad firstFrame ${firstFrame}`);
    if (!Number.isSafeInteger(frameCount) || frameCount < 1) throw new RangeError(`bad frameCount ${frameCount}`);
    if (!Number.isInteger(maxOrder) || maxOrder < 0 || maxOrder > 30) throw new RangeError(`bad maxOrder ${maxOrder}`);
    this.firstFrame = firstFrame;
    this.frameCount = frameCount;
    this.maxOrder = maxOrder;
    this.origin = firstFrame - (firstFrame % 2 ** maxOrder);
    this.n = firstFrame + frameCount - this.origin;
    if (this.n > 2 ** 31 - 1) throw new RangeError('too many frames for Int32 links');
    this.freeOrder = new Int8Array(this.n).fill(NONE);
    this.allocOrder = new Int8Array(this.n).fill(INNER);
    this.allocOrder.fill(RESERVED, 0, firstFrame - this.origin);
    this.next = new Int32Array(this.n);
    this.prev = new Int32Array(this.n);
    this.heads = new Int32Array(maxOrder + 1).fill(NONE);
    this.counts = new Float64Array(maxOrder + 1);
    this.forEachChunk(firstFrame - this.origin, this.n, (i, k) => this.push(i, k));
  }

  /** Frames currently free. */
  get freeCount(): number {
    return this.free;
  }

  /** Free blocks per order (index = order). */
  freeBlocksByOrder(): number[] {
    return Array.from(this.counts);
  }

  /** Allocates 2^order contiguous frames aligned to 2^order; returns the first frame number or null. */
  alloc(order: number): number | null {
    if (!Number.isInteger(order) || order < 0 || order > this.maxOrder) throw new RangeError(`bad order ${order}`);
    let k = order;
    while (k <= this.maxOrder && this.heads[k] === NONE) k++;
    if (k > this.maxOrder) return null;
    const i = this.heads[k]!;
    this.unlink(i, k);
    // expand(): give back the upper halves
    while (k > order) {
      k--;
      this.push(i + 2 ** k, k);
    }
    this.allocOrder[i] = order;
    return this.origin + i;
  }

  /** Frees a block returned by alloc(order). */
  freeBlock(frame: number, order: number): void {
    const i = this.index(frame);
    if (this.allocOrder[i] !== order) {
      const a = this.allocOrder[i]!;
      throw new RangeError(a === INNER || a === NONE
        ? `free of frame ${frame} (order ${order}): not the head of an allocated block (double free?)`
        : a === RESERVED ? `free of reserved frame ${frame}` : `free of frame ${frame} with order ${order}, allocated with order ${a}`);
    }
    this.allocOrder[i] = INNER;
    this.release(i, order);
  }

  /**
   * Allocates `count` contiguous frames (count <= 2^maxOrder): takes the smallest
   * block that fits and returns the unused tail to the free lists (like Linux's
   * alloc_pages_exact). Free with freeFrames(frame, count).
   */
  allocFrames(count: number): number | null {
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`bad frame count ${count}`);
    if (count > 2 ** this.maxOrder) return null;
    let order = 0;
    while (2 ** order < count) order++;
    const frame = this.alloc(order);
    if (frame === null) return null;
    const i = frame - this.origin;
    this.allocOrder[i] = INNER;
    this.forEachChunk(i, i + count, (j, k) => { this.allocOrder[j] = k; });
    this.forEachChunk(i + count, i + 2 ** order, (j, k) => this.release(j, k));
    return frame;
  }

  /** Frees `count` frames from allocFrames(count). */
  freeFrames(frame: number, count: number): void {
    const i = this.index(frame);
    if (!Number.isSafeInteger(count) || count < 1 || i + count > this.n) throw new RangeError(`bad frame count ${count}`);
    // validate the whole range first so a bad call changes nothing
    this.forEachChunk(i, i + count, (j, k) => {
      if (this.allocOrder[j] !== k) throw new RangeError(`freeFrames(${frame}, ${count}): frame ${this.origin + j} is not allocated as expected`);
    });
    this.forEachChunk(i, i + count, (j, k) => { this.allocOrder[j] = INNER; this.release(j, k); });
  }

  /**
   * Marks [frame, frame+count) as in use (images, page tables set up before the
   * allocator). Every frame must currently be free.
   */
  reserve(frame: number, count: number): void {
    const a = this.index(frame);
    const b = a + count;
    if (!Number.isSafeInteger(count) || count < 1 || b > this.n) throw new RangeError(`reserve(${frame}, ${count}) outside the managed frames`);
    // check first: every frame must lie in a free block
    let f = a;
    while (f < b) {
      const head = this.freeHeadOf(f);
      if (head < 0) throw new RangeError(`reserve(${frame}, ${count}): frame ${this.origin + f} is not free`);
      f = head + 2 ** this.freeOrder[head]!;
    }
    f = a;
    while (f < b) {
      const head = this.freeHeadOf(f);
      const k = this.freeOrder[head]!;
      this.unlink(head, k);
      this.carve(head, k, a, b);
      f = head + 2 ** k;
    }
    for (let j = a; j < b; j++) this.allocOrder[j] = RESERVED;
  }

  /** Returns reserved frames [frame, frame+count) to the allocator. */
  unreserve(frame: number, count: number): void {
    const a = this.index(frame);
    const b = a + count;
    if (!Number.isSafeInteger(count) || count < 1 || b > this.n) throw new RangeError(`unreserve(${frame}, ${count}) outside the managed frames`);
    if (frame < this.firstFrame) throw new RangeError(`unreserve(${frame}, ${count}) outside the managed frames`);
    for (let j = a; j < b; j++) {
      if (this.allocOrder[j] !== RESERVED) throw new RangeError(`unreserve: frame ${this.origin + j} is not reserved`);
    }
    for (let j = a; j < b; j++) this.allocOrder[j] = INNER;
    this.forEachChunk(a, b, (j, k) => this.release(j, k));
  }

  /** True if the frame is inside a free block. */
  isFree(frame: number): boolean {
    return this.freeHeadOf(this.index(frame)) >= 0;
  }

  // ---- internals ----

  private index(frame: number): number {
    if (!Number.isSafeInteger(frame) || frame < this.firstFrame || frame >= this.firstFrame + this.frameCount) {
      throw new RangeError(`frame ${frame} is outside the managed range [${this.firstFrame}, ${this.firstFrame + this.frameCount})`);
    }
    return frame - this.origin;
  }

  /** Splits [lo, hi) into maximal aligned power-of-two chunks, in ascending order. */
  private forEachChunk(lo: number, hi: number, f: (i: number, k: number) => void): void {
    let i = lo;
    while (i < hi) {
      let k = 0;
      while (k < this.maxOrder && i % 2 ** (k + 1) === 0 && i + 2 ** (k + 1) <= hi) k++;
      f(i, k);
      i += 2 ** k;
    }
  }

  /** Head index of the free block containing index f, or -1. */
  private freeHeadOf(f: number): number {
    for (let k = 0; k <= this.maxOrder; k++) {
      const head = f - (f % 2 ** k);
      if (this.freeOrder[head] === k) return head;
    }
    return -1;
  }

  /** Gives back the parts of block (head, k) outside [a, b); the parts inside stay taken. */
  private carve(head: number, k: number, a: number, b: number): void {
    const end = head + 2 ** k;
    if (end <= a || head >= b) { this.push(head, k); return; }
    if (head >= a && end <= b) return;
    const half = 2 ** (k - 1);
    this.carve(head, k - 1, a, b);
    this.carve(head + half, k - 1, a, b);
  }

  /** __free_one_page: merge with free buddies while possible, then push. */
  private release(i: number, k: number): void {
    while (k < this.maxOrder) {
      const buddy = i ^ 2 ** k;
      if (buddy >= this.n || this.freeOrder[buddy] !== k) break;
      this.unlink(buddy, k);
      i = Math.min(i, buddy);
      k++;
    }
    this.push(i, k);
  }

  private push(i: number, k: number): void {
    const h = this.heads[k]!;
    this.next[i] = h;
    this.prev[i] = NONE;
    if (h !== NONE) this.prev[h] = i;
    this.heads[k] = i;
    this.freeOrder[i] = k;
    this.counts[k]!++;
    this.free += 2 ** k;
  }

  private unlink(i: number, k: number): void {
    const p = this.prev[i]!;
    const nx = this.next[i]!;
    if (p !== NONE) this.next[p] = nx;
    else this.heads[k] = nx;
    if (nx !== NONE) this.prev[nx] = p;
    this.freeOrder[i] = NONE;
    this.counts[k]!--;
    this.free -= 2 ** k;
  }
}
