// Fixed paging (the SGX model): each page of a file has one home at a time, the file or one
// mapped alias, and migrates on fault. The platform here is a small stand-in with the rules the
// kernel relies on: one page per linear address, a page committed with contents gets exactly the
// rights asked (EACCEPTCOPY), and a refused commit gives -1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EnclaveMemory } from '@teeos/hal';
import { AddressSpace } from '../src/mm/address-space.ts';
import { FixedPageMap } from '../src/mm/page-map.ts';
import { PageCache, type FileBacking } from '../src/mm/page-cache.ts';
import { PROT_READ, PROT_WRITE } from '../src/abi/constants.ts';

const BASE = 0x1000_0000, PAGES = 64, P = 4096;
const te = new TextEncoder();
const str = (b: Uint8Array) => new TextDecoder().decode(b);

function platform() {
  const bytes = new Uint8Array(PAGES * P);
  const free: number[] = [];
  for (let i = PAGES - 1; i >= 0; i--) free.push(i);
  const at = new Map<number, { p: number; prot: number }>();
  const ops = { commits: 0, releases: 0, refuse: false };
  const mem: EnclaveMemory = {
    bytes, phys: { base: BASE, size: bytes.length }, free: { base: BASE, size: bytes.length }, appImage: { base: BASE, size: 0, length: 0 },
    paging: 'fixed', activatePageTable() {}, flushTlb() {}, userRange: { base: 0, size: 2 ** 38 },
    commitPage(va, prot, contents) {
      if (ops.refuse || at.has(va) || free.length === 0) return -1;
      const p = free.pop()!;
      bytes.fill(0, p * P, (p + 1) * P);
      if (contents) bytes.set(contents, p * P);
      at.set(va, { p, prot: prot & PROT_WRITE ? prot | PROT_READ : prot });
      ops.commits++;
      return BASE + p * P;
    },
    protectPage(va, prot) { const e = at.get(va); if (e) e.prot = prot & PROT_WRITE ? prot | PROT_READ : prot; },
    releasePage(va) { const e = at.get(va); if (e) { at.delete(va); free.push(e.p); ops.releases++; } },
    translate(va) { const e = at.get(va); return e ? BASE + e.p * P : -1; },
    pageRights(va) { return at.get(va)?.prot ?? 0; },
  };
  return { mem, bytes, at, ops };
}

function file(size: number): FileBacking & { data: Uint8Array; len: number } {
  const f = {
    data: new Uint8Array(16 * P), len: size,
    size: () => f.len,
    readRaw: (pos: number, len: number) => f.data.subarray(Math.min(pos, f.len), Math.min(f.len, pos + len)),
    writeRaw: (pos: number, d: Uint8Array) => { const n = Math.min(d.length, f.len - pos); if (n > 0) f.data.set(d.subarray(0, n), pos); },
  };
  return f;
}

function setup(size = 2 * P) {
  const pl = platform();
  const frames = { allocFrame: () => null, freeFrame() { throw new Error('no kernel frames'); }, freeFrames: () => 0, totalFrames: () => PAGES };
  const as = new AddressSpace(pl.mem.bytes, BASE, frames, { codeWritten() {}, flushTlb() {} }, undefined, new FixedPageMap(pl.mem));
  const back = file(size);
  const cache = new PageCache(back, as.frameMemory());
  const map = (start: number, prot: number, shared: boolean) => as.insert({
    start, end: start + 2 * P, prot, name: '', shared,
    file: { cache, path: '/f', dev: 1, ino: 1, nlink: () => 1, mayWrite: shared }, fileBase: start,
  });
  /** The aliases of file page pg that are committed (the single-home invariant: at most one, except private copies). */
  const aliases = (pg: number, vas: number[]) => vas.filter((va) => pl.at.has(va + pg * P));
  /** read(): the file's bytes with the homes laid over them (FileInode.readAt). */
  const read = (pos: number, n: number) => { const out = back.data.slice(pos, pos + n); cache.overlay(pos, out); return str(out); };
  return { ...pl, as, back, cache, map, aliases, read };
}

const A = 0x100000, B = 0x200000, C = 0x300000;

test('a store through one shared mapping is seen by the other, read() and write(); one alias at a time', () => {
  const t = setup();
  t.map(A, PROT_READ | PROT_WRITE, true);
  t.map(B, PROT_READ, true);
  t.as.copyOut(A + 100, te.encode('hello'));
  assert.deepEqual(t.aliases(0, [A, B]), [A], 'A is the home');
  assert.equal(t.read(100, 5), 'hello', 'read() reaches the home in place');
  assert.equal(str(t.back.data.subarray(100, 105)), '\0\0\0\0\0', 'the file itself is not written yet');
  assert.equal(str(t.as.copyIn(B + 100, 5)), 'hello', 'the second mapping sees it');
  assert.deepEqual(t.aliases(0, [A, B]), [B], 'the fault moved the home to B and revoked A');
  assert.equal(t.read(100, 5), 'hello', 'the bytes moved with the page');
  assert.equal(t.as.fault(A + 1, 2 /* write */), 'mapped');
  assert.deepEqual(t.aliases(0, [A, B]), [A]);
  // write() while A (writable) is the home: in place.
  t.back.writeRaw(200, te.encode('write'));
  t.cache.update(200, te.encode('write'));
  assert.equal(str(t.as.copyIn(A + 200, 5)), 'write');
  assert.deepEqual(t.aliases(0, [A, B]), [A], 'no migration for write()');
  // write() while B (read-only) is the home: the page goes back to the file first.
  t.as.copyIn(B, 1);
  t.back.writeRaw(300, te.encode('later'));
  t.cache.update(300, te.encode('later'));
  assert.deepEqual(t.aliases(0, [A, B]), [], 'a read-only home cannot be written in place: back to the file');
  assert.equal(str(t.as.copyIn(B + 300, 5)), 'later');
  assert.equal(str(t.as.copyIn(B + 200, 5)), 'write');
});

test('a private mapping follows the file until it writes, then keeps its own copy', () => {
  const t = setup();
  t.map(A, PROT_READ | PROT_WRITE, false);
  t.map(B, PROT_READ | PROT_WRITE, true);
  t.back.writeRaw(0, te.encode('file'));
  assert.equal(str(t.as.copyIn(A, 4)), 'file');
  assert.equal(t.mem.pageRights!(A) & PROT_WRITE, 0, 'the private alias is read-only while it is the file\'s page');
  t.as.copyOut(B, te.encode('FILE'));
  assert.deepEqual(t.aliases(0, [A, B]), [B]);
  assert.equal(str(t.as.copyIn(A, 4)), 'FILE', 'it follows the file');
  t.as.copyOut(A, te.encode('mine'));
  assert.equal(str(t.as.copyIn(A, 4)), 'mine');
  assert.equal(t.read(0, 4), 'FILE', 'the copy on write left the file alone');
  t.as.copyOut(B, te.encode('more'));
  assert.equal(str(t.as.copyIn(A, 4)), 'mine', 'a private copy no longer follows');
  assert.equal(t.aliases(0, [A, B]).length, 2, 'a private copy is not an alias');
});

test('munmap and truncate: the home\'s bytes reach the file; pages past the end are gone (SIGBUS)', () => {
  const t = setup();
  t.map(A, PROT_READ | PROT_WRITE, true);
  t.map(C, PROT_READ | PROT_WRITE, true);
  t.as.copyOut(A + P + 10, te.encode('page1'));
  t.back.len = 10; // the file shrank
  t.cache.truncated(10);
  assert.deepEqual(t.aliases(1, [A, C]), [], 'page 1 is unmapped');
  assert.equal(t.as.fault(A + P, 1), 'sigbus');
  t.back.len = 2 * P;
  t.as.copyOut(C + 5, te.encode('tail'));
  t.as.unmapRange(C, C + 2 * P);
  assert.equal(str(t.back.data.subarray(5, 9)), 'tail');
  assert.equal(t.ops.commits - t.ops.releases, 0, 'every committed page was released');
});

test('a platform that refuses the commit: out of memory, and the file still has the bytes', () => {
  const t = setup();
  t.map(A, PROT_READ | PROT_WRITE, true);
  t.map(B, PROT_READ | PROT_WRITE, true);
  t.as.copyOut(A, te.encode('kept'));
  t.ops.refuse = true;
  assert.equal(t.as.fault(B, 1), 'oom');
  assert.deepEqual(t.aliases(0, [A, B]), []);
  assert.equal(t.read(0, 4), 'kept');
});
