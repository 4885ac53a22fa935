import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BuddyAllocator } from '@teeos/kmalloc';

test('initial state: unaligned range split into aligned blocks', () => {
  const b = new BuddyAllocator({ firstFrame: 3, frameCount: 13, maxOrder: 3 }); // frames 3..15
  assert.equal(b.freeCount, 13);
  // 3 (o0), 4-7 (o2), 8-15 (o3)
  assert.deepEqual(b.freeBlocksByOrder(), [1, 0, 1, 1]);
  assert.equal(b.alloc(3), 8);
  assert.equal(b.alloc(3), null);
  assert.equal(b.alloc(2), 4);
  assert.equal(b.alloc(0), 3);
  assert.equal(b.alloc(0), null);
  assert.equal(b.freeCount, 0);
});

test('splitting, alignment and coalescing', () => {
  const b = new BuddyAllocator({ firstFrame: 1024, frameCount: 1024, maxOrder: 10 });
  const a = b.alloc(0)!;
  assert.equal(a, 1024);
  assert.deepEqual(b.freeBlocksByOrder(), [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
  const c = b.alloc(3)!;
  assert.equal(c % 8, 0, 'order-3 block is 8-frame aligned');
  const d = b.alloc(0)!;
  assert.equal(d, 1025, 'buddy of the first frame');
  b.freeBlock(a, 0);
  assert.equal(b.isFree(a), true);
  assert.equal(b.isFree(d), false);
  b.freeBlock(d, 0);
  b.freeBlock(c, 3);
  assert.equal(b.freeCount, 1024);
  assert.deepEqual(b.freeBlocksByOrder(), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 'fully coalesced');
});

test('fragmentation: every other frame allocated blocks an order-1 allocation', () => {
  const b = new BuddyAllocator({ firstFrame: 0, frameCount: 64, maxOrder: 6 });
  const frames: number[] = [];
  for (let i = 0; i < 64; i++) frames.push(b.alloc(0)!);
  assert.deepEqual([...frames].sort((x, y) => x - y), Array.from({ length: 64 }, (_, i) => i));
  for (const f of frames) if (f % 2 === 0) b.freeBlock(f, 0);
  assert.equal(b.freeCount, 32);
  assert.equal(b.alloc(1), null, '32 free frames but no two adjacent');
  assert.deepEqual(b.freeBlocksByOrder(), [32, 0, 0, 0, 0, 0, 0]);
  for (const f of frames) if (f % 2 === 1) b.freeBlock(f, 0);
  assert.deepEqual(b.freeBlocksByOrder(), [0, 0, 0, 0, 0, 0, 1]);
  assert.equal(b.alloc(6), 0);
});

test('misuse throws, exhaustion returns null', () => {
  const b = new BuddyAllocator({ firstFrame: 102, frameCount: 4, maxOrder: 2 });
  assert.equal(b.alloc(2), null, 'frames 102-105 hold no 4-aligned block of 4');
  const f = b.alloc(1)!;
  assert.ok(f === 102 || f === 104);
  assert.throws(() => b.freeBlock(f, 0), /allocated with order 1/);
  assert.throws(() => b.freeBlock(f + 1, 0), /not the head/);
  assert.throws(() => b.freeBlock(99, 0), /outside the managed range/);
  assert.throws(() => b.alloc(3), /bad order/);
  b.freeBlock(f, 1);
  assert.throws(() => b.freeBlock(f, 1), /double free/);
  assert.deepEqual([b.alloc(1), b.alloc(1)].sort(), [102, 104]);
  assert.equal(b.alloc(0), null);
  assert.equal(b.allocFrames(1), null);
});

test('reserve carves used ranges out; unreserve gives them back', () => {
  const b = new BuddyAllocator({ firstFrame: 0, frameCount: 4096, maxOrder: 10 });
  b.reserve(5, 1000); // a loaded image
  assert.equal(b.freeCount, 4096 - 1000);
  for (let f = 5; f < 1005; f += 37) assert.equal(b.isFree(f), false);
  assert.equal(b.isFree(4), true);
  assert.equal(b.isFree(1005), true);
  assert.throws(() => b.reserve(1000, 10), /frame 1000 is not free/);
  assert.equal(b.freeCount, 4096 - 1000, 'failed reserve changed nothing');
  assert.throws(() => b.freeBlock(5, 0), /reserved/);
  // nothing handed out may overlap the reservation
  const got: number[] = [];
  for (;;) { const f = b.alloc(0); if (f === null) break; got.push(f); }
  assert.equal(got.length, 4096 - 1000);
  assert.ok(got.every((f) => f < 5 || f >= 1005));
  for (const f of got) b.freeBlock(f, 0);
  b.unreserve(5, 1000);
  assert.throws(() => b.unreserve(5, 1), /not reserved/);
  assert.equal(b.freeCount, 4096);
  assert.deepEqual(b.freeBlocksByOrder(), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]);
});

test('allocFrames returns the unused tail and frees exactly', () => {
  const b = new BuddyAllocator({ firstFrame: 0, frameCount: 64, maxOrder: 5 });
  const f = b.allocFrames(5)!;
  assert.equal(f % 8, 0);
  assert.equal(b.freeCount, 59, 'only 5 frames taken from the order-3 block');
  const g = b.allocFrames(2)!;
  assert.equal(g, f + 6, 'the freed tail (frames 6..7 of the block) is reused');
  assert.throws(() => b.freeFrames(f, 6), /frame .* is not allocated as expected/);
  assert.throws(() => b.freeFrames(f + 1, 2), /not allocated as expected/);
  assert.equal(b.freeCount, 57);
  b.freeFrames(f, 5);
  b.freeFrames(g, 2);
  assert.equal(b.freeCount, 64);
  assert.deepEqual(b.freeBlocksByOrder(), [0, 0, 0, 0, 0, 2]);
  assert.equal(b.allocFrames(33), null, 'larger than 2^maxOrder');
});

test('1 GiB of frames: construct, drain and refill quickly', () => {
  const t0 = performance.now();
  const frames = 262144;
  const b = new BuddyAllocator({ firstFrame: 0x80000, frameCount: frames });
  assert.equal(b.freeCount, frames);
  b.reserve(0x80000, 2000);
  const got = new Int32Array(frames);
  let n = 0;
  for (;;) { const f = b.alloc(0); if (f === null) break; got[n++] = f; }
  assert.equal(n, frames - 2000);
  assert.equal(b.freeCount, 0);
  for (let i = n - 1; i >= 0; i--) b.freeBlock(got[i]!, 0);
  b.unreserve(0x80000, 2000);
  assert.equal(b.freeCount, frames);
  assert.equal(b.freeBlocksByOrder()[10], frames / 1024);
  const ms = performance.now() - t0;
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test('1,000 alloc/free cycles of mixed orders leak nothing', () => {
  const b = new BuddyAllocator({ firstFrame: 7, frameCount: 5000, maxOrder: 8 });
  const start = b.freeCount;
  const startBlocks = b.freeBlocksByOrder();
  for (let cycle = 0; cycle < 1000; cycle++) {
    const held: Array<[number, number]> = [];
    for (let k = 0; k < 6; k++) {
      const order = (cycle + k * 3) % 9;
      const f = b.alloc(order);
      if (f !== null) held.push([f, order]);
    }
    const c = b.allocFrames(1 + (cycle % 37));
    for (const [f, o] of held.reverse()) b.freeBlock(f, o);
    if (c !== null) b.freeFrames(c, 1 + (cycle % 37));
  }
  assert.equal(b.freeCount, start);
  assert.deepEqual(b.freeBlocksByOrder(), startBlocks, 'coalesced back to the initial shape');
});

test('random alloc/free fuzz against a simple model', () => {
  let seed = 12345;
  const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
  const first = 50, count = 3000, maxOrder = 7;
  const b = new BuddyAllocator({ firstFrame: first, frameCount: count, maxOrder });
  const owner = new Int32Array(count).fill(-1); // model: which allocation owns each frame
  const live = new Map<number, { frame: number; size: number; exact: boolean; order: number }>();
  let id = 0;
  for (let step = 0; step < 20000; step++) {
    if (live.size === 0 || rnd(100) < 55) {
      const exact = rnd(4) === 0;
      const order = rnd(maxOrder + 1);
      const size = exact ? 1 + rnd(2 ** maxOrder) : 2 ** order;
      const f = exact ? b.allocFrames(size) : b.alloc(order);
      if (f === null) {
        // a single frame can only be refused when the model has none free
        if (size === 1) assert.equal(owner.indexOf(-1), -1, 'order-0 refused while a frame is free');
        continue;
      }
      assert.ok(f >= first && f + size <= first + count, 'in range');
      if (!exact) assert.equal(f % size, 0, 'naturally aligned');
      for (let j = 0; j < size; j++) {
        assert.equal(owner[f - first + j], -1, `frame ${f + j} handed out twice`);
        owner[f - first + j] = id;
      }
      live.set(id++, { frame: f, size, exact, order });
    } else {
      const keys = [...live.keys()];
      const k = keys[rnd(keys.length)]!;
      const a = live.get(k)!;
      if (a.exact) b.freeFrames(a.frame, a.size);
      else b.freeBlock(a.frame, a.order);
      for (let j = 0; j < a.size; j++) owner[a.frame - first + j] = -1;
      live.delete(k);
    }
    let used = 0;
    for (const a of live.values()) used += a.size;
    assert.equal(b.freeCount, count - used);
    if (step % 997 === 0) {
      for (let j = 0; j < count; j += 7) assert.equal(b.isFree(first + j), owner[j] === -1, `frame ${first + j}`);
    }
  }
  for (const a of live.values()) a.exact ? b.freeFrames(a.frame, a.size) : b.freeBlock(a.frame, a.order);
  assert.equal(b.freeCount, count);
});
