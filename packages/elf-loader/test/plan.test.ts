import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadPlan, parseElf } from '@teeos/elf-loader';
import { basicSpec, writeElf } from './elf-writer.ts';

const RX = { read: true, write: false, exec: true };
const RW = { read: true, write: true, exec: false };

test('file pages, zeroed tail, anonymous bss pages, brk', () => {
  const plan = loadPlan(parseElf(writeElf(basicSpec())));
  assert.equal(plan.bias, 0);
  assert.deepEqual(plan.mappings, [
    { start: 0x10000, end: 0x12000, prot: RX, fileOffset: 0, fileBytes: 0x2000, zeroStart: 0x12000, zeroEnd: 0x12000, segment: 0 },
    // data: vaddr 0x12e00 filesz 0x300 memsz 0x2000 -> file page 0x12000..0x13000 from offset 0x1000,
    // but the file ends at 0x2200 so only 0x1200 bytes exist; zero 0x13100..0x14000 (padzero).
    { start: 0x12000, end: 0x14000, prot: RW, fileOffset: 0x1000, fileBytes: 0x1200, zeroStart: 0x13100, zeroEnd: 0x14000, segment: 1 },
    { start: 0x14000, end: 0x15000, prot: RW, fileOffset: 0, fileBytes: 0, zeroStart: 0x14000, zeroEnd: 0x14000, segment: 1 },
  ]);
  assert.equal(plan.brk, 0x15000);
  assert.equal(plan.entry, 0x10100);
  assert.equal(plan.phdr, 0x10040);
  assert.deepEqual([plan.start, plan.end], [0x10000, 0x15000]);
});

test('bias shifts everything; bad bias refused', () => {
  const img = parseElf(writeElf(basicSpec()));
  const plan = loadPlan(img, 0x100000);
  assert.equal(plan.mappings[0]!.start, 0x110000);
  assert.equal(plan.entry, 0x110100);
  assert.equal(plan.brk, 0x115000);
  assert.throws(() => loadPlan(img, 0x123), /multiple of 4096/);
  assert.throws(() => loadPlan(img, -4096), /non-negative/);
});

test('filesz == 0 segment is anonymous from page_down(vaddr); no bss keeps file bytes of last page', () => {
  const s = basicSpec();
  s.phdrs[1] = { type: 1, flags: 6, offset: 0, vaddr: 0x13000, filesz: 0, memsz: 0x1800 };
  const plan = loadPlan(parseElf(writeElf(s)));
  assert.deepEqual(plan.mappings[1], { start: 0x13000, end: 0x15000, prot: RW, fileOffset: 0, fileBytes: 0, zeroStart: 0x13000, zeroEnd: 0x13000, segment: 1 });
  // text segment ends mid-page at 0x11200 with memsz == filesz: the rest of the page is file content.
  assert.equal(plan.mappings[0]!.zeroStart, plan.mappings[0]!.end);
  assert.equal(plan.brk, 0x15000);
});

test('real guest binaries: hello (ET_EXEC) and spie (static-PIE)', () => {
  const hello = parseElf(new Uint8Array(readFileSync(new URL('../../../tests/guest/bin/hello', import.meta.url))));
  const p = loadPlan(hello);
  // readelf: LOAD 0x0 0x10000 filesz 0x60534 R E; LOAD 0x060dc0 0x71dc0 filesz 0x5600 memsz 0xaab8 RW
  assert.equal(p.mappings[0]!.start, 0x10000);
  assert.equal(p.mappings[0]!.end, 0x71000);
  assert.equal(p.mappings[1]!.start, 0x71000);
  assert.equal(p.mappings[1]!.fileOffset, 0x60000);
  assert.equal(p.mappings[1]!.zeroStart, 0x71dc0 + hello.segments[1]!.filesz);
  assert.equal(p.brk, Math.ceil((0x71dc0 + hello.segments[1]!.memsz) / 4096) * 4096);
  const spie = parseElf(new Uint8Array(readFileSync(new URL('../../../tests/guest/bin/spie', import.meta.url))));
  const q = loadPlan(spie);
  assert.equal(q.bias, 0x2aaaaaa000);
  assert.equal(q.mappings[0]!.start, 0x2aaaaaa000);
  assert.equal(q.entry, 0x2aaaaaa000 + spie.entry);
  assert.equal(q.phdr, 0x2aaaaaa000 + 64);
});
