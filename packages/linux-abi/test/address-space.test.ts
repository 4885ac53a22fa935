// User memory: demand paging, EFAULT for anything outside a VMA, permissions, and frames
// returned on unmap/destroy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuddyAllocator } from '@teeos/kmalloc';
import { AddressSpace } from '../src/mm/address-space.ts';
import { PROT_READ, PROT_WRITE } from '../src/abi/constants.ts';
import { SysError } from '../src/errors.ts';
import { E } from '../src/generated/errno.ts';
import type { FrameAllocator } from '../src/mm/frames.ts';

const BASE = 0x8000_0000;
const SIZE = 4 << 20;

function setup() {
  const mem = new Uint8Array(SIZE);
  const buddy = new BuddyAllocator({ firstFrame: BASE / 4096, frameCount: SIZE / 4096 });
  const frames: FrameAllocator = {
    allocFrame: () => { const f = buddy.alloc(0); return f === null ? null : f * 4096; },
    freeFrame: (pa) => buddy.freeBlock(pa / 4096, 0),
    freeFrames: () => buddy.freeCount,
    totalFrames: () => buddy.frameCount,
  };
  let flushes = 0;
  const as = new AddressSpace(mem, BASE, frames, { codeWritten() {}, flushTlb() { flushes++; } });
  return { mem, frames, as, flushes: () => flushes };
}

function errno(f: () => unknown): number {
  try { f(); } catch (e) { if (e instanceof SysError) return e.errno; throw e; }
  return 0;
}

test('copyIn/copyOut across pages with demand paging', () => {
  const { as, frames } = setup();
  const before = frames.freeFrames();
  as.insert({ start: 0x10000, end: 0x14000, prot: PROT_READ | PROT_WRITE, name: 'anon' });
  const data = new Uint8Array(5000).map((_, i) => i & 0xff);
  as.copyOut(0x10ff0, data);
  assert.deepEqual(as.copyIn(0x10ff0, 5000), data);
  assert.ok(frames.freeFrames() < before, 'pages were allocated on first touch');
  assert.deepEqual(as.copyIn(0x13000, 4), new Uint8Array(4), 'untouched memory reads as zeros');
});

test('wild pointers give EFAULT, never an exception', () => {
  const { as } = setup();
  as.insert({ start: 0x10000, end: 0x11000, prot: PROT_READ, name: 'ro' });
  assert.equal(errno(() => as.copyIn(0, 1)), E.EFAULT);
  assert.equal(errno(() => as.copyIn(0x10ffc, 8)), E.EFAULT, 'runs off the end of the VMA');
  assert.equal(errno(() => as.copyIn(2 ** 40, 1)), E.EFAULT, 'beyond Sv39 user space');
  assert.equal(errno(() => as.copyIn(-1, 1)), E.EFAULT);
  assert.equal(errno(() => as.copyOut(0x10000, new Uint8Array(1))), E.EFAULT, 'read-only VMA');
  assert.equal(errno(() => as.readCString(0x20000, 10)), E.EFAULT);
});

test('copyInUpTo/copyOutUpTo stop at the first page that faults', () => {
  const { as } = setup();
  as.insert({ start: 0x10000, end: 0x11000, prot: PROT_READ | PROT_WRITE, name: 'anon' }); // 0x11000 unmapped
  const data = new Uint8Array(0x1800).map((_, i) => (i * 7) & 0xff);
  assert.equal(as.copyOutUpTo(0x10800, data), 0x800, 'the first page written, then the fault');
  assert.deepEqual(as.copyIn(0x10800, 0x800), data.subarray(0, 0x800));
  assert.deepEqual(as.copyInUpTo(0x10800, 0x1800), data.subarray(0, 0x800), 'the bytes of the first page');
  assert.equal(as.copyInUpTo(0x10000, 0x1000).length, 0x1000, 'no fault: everything');
  assert.equal(as.copyInUpTo(0x11000, 16).length, 0, 'first byte unmapped');
  assert.equal(as.copyOutUpTo(0x11000, new Uint8Array(16)), 0);
  assert.equal(as.copyOutUpTo(2 ** 40, new Uint8Array(1)), 0, 'beyond Sv39 user space');
  as.insert({ start: 0x20000, end: 0x21000, prot: PROT_READ, name: 'ro' });
  assert.equal(as.copyOutUpTo(0x20000, new Uint8Array(4)), 0, 'read-only VMA');
  assert.equal(errno(() => as.copyIn(0x10800, 0x1800)), E.EFAULT, 'copyIn still throws');
});

test('readCString stops at NUL and refuses overlong strings', () => {
  const { as } = setup();
  as.insert({ start: 0x10000, end: 0x12000, prot: PROT_READ | PROT_WRITE, name: 'anon' });
  as.copyOut(0x10ffe, new TextEncoder().encode('hello\0'));
  assert.equal(as.readCString(0x10ffe, 100), 'hello');
  as.copyOut(0x11000, new Uint8Array(100).fill(0x41));
  assert.equal(errno(() => as.readCString(0x11000, 50)), E.ENAMETOOLONG);
});

test('faults: maperr outside VMAs, accerr for forbidden access, mapped otherwise', () => {
  const { as } = setup();
  as.insert({ start: 0x10000, end: 0x11000, prot: PROT_READ, name: 'ro' });
  assert.equal(as.fault(0x20000, 1), 'maperr');
  assert.equal(as.fault(0x10000, 2), 'accerr');
  assert.equal(as.fault(0x10000, 1), 'mapped');
});

test('munmap and destroy give every frame back', () => {
  const { as, frames } = setup();
  const start = frames.totalFrames(); // everything, the page-table root included
  as.insert({ start: 0x10000, end: 0x20000, prot: PROT_READ | PROT_WRITE, name: 'anon' });
  for (let a = 0x10000; a < 0x20000; a += 4096) as.copyOut(a, new Uint8Array([1]));
  as.unmapRange(0x14000, 0x18000);
  assert.equal(errno(() => as.copyIn(0x15000, 1)), E.EFAULT);
  assert.deepEqual(as.vmas.map((v) => [v.start, v.end]), [[0x10000, 0x14000], [0x18000, 0x20000]]);
  as.destroy();
  assert.equal(frames.freeFrames(), start);
});

test('mprotect splits VMAs and PROT_NONE forbids access', () => {
  const { as } = setup();
  as.insert({ start: 0x10000, end: 0x13000, prot: PROT_READ | PROT_WRITE, name: 'anon' });
  as.copyOut(0x11000, new Uint8Array([7]));
  as.protect(0x11000, 0x12000, 0);
  assert.equal(as.vmas.length, 3);
  assert.equal(errno(() => as.copyIn(0x11000, 1)), E.EFAULT);
  as.protect(0x11000, 0x12000, PROT_READ);
  assert.deepEqual(as.copyIn(0x11000, 1), new Uint8Array([7]), 'the data survived PROT_NONE');
});
