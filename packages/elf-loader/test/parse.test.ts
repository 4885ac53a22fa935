import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { ELF_ET_DYN_BASE, ElfError, parseElf, PT_LOAD, PT_PHDR } from '@teeos/elf-loader';
import { basicSpec, writeElf, type ElfSpec } from './elf-writer.ts';

const guestBin = new URL('../../../tests/guest/bin/', import.meta.url);

function refuses(bytes: Uint8Array, reason: string, msg: RegExp, opts?: Parameters<typeof parseElf>[1]): void {
  assert.throws(() => parseElf(bytes, opts), (e: unknown) => {
    assert.ok(e instanceof ElfError, `expected ElfError, got ${String(e)}`);
    assert.equal(e.reason, reason);
    assert.equal(e.exitStatus, 126);
    assert.match(e.message, msg);
    assert.ok(!e.message.includes('\n'), 'one-line message');
    return true;
  });
}

function withSpec(f: (s: ElfSpec) => void): Uint8Array {
  const s = basicSpec();
  f(s);
  return writeElf(s);
}

test('parses a well-formed static executable', () => {
  const img = parseElf(writeElf(basicSpec()));
  assert.equal(img.type, 'exec');
  assert.equal(img.entry, 0x10100);
  assert.equal(img.loadBias, 0);
  assert.equal(img.segments.length, 2);
  assert.deepEqual(img.segments[0], { vaddr: 0x10000, memsz: 0x1200, filesz: 0x1200, offset: 0, flags: 5, align: 0x1000, readable: true, writable: false, executable: true });
  assert.equal(img.segments[1]!.writable, true);
  assert.deepEqual(img.tls, { vaddr: 0x12e00, memsz: 0x40, filesz: 0x10, offset: 0x1e00, align: 8 });
  assert.equal(img.phdrVaddr, 0x10040, 'phdrs found through the PT_LOAD holding e_phoff');
  assert.equal(img.phnum, 4);
  assert.equal(img.hasGnuStack, true);
  assert.equal(img.executableStack, false);
  assert.equal(img.rvc, true);
  assert.equal(img.floatAbi, 'double');
  assert.equal(img.minVaddr, 0x10000);
  assert.equal(img.maxVaddr, 0x15000);
});

test('PT_PHDR takes precedence for the phdr address; PF_X on PT_GNU_STACK', () => {
  const img = parseElf(withSpec((s) => {
    s.phdrs.unshift({ type: PT_PHDR, offset: 64, vaddr: 0x10040, filesz: 56 * 5, memsz: 56 * 5, align: 8 });
    s.phdrs[4]!.flags = 7;
    s.flags = 0x1;
  }));
  assert.equal(img.ptPhdr, 0x10040);
  assert.equal(img.phdrVaddr, 0x10040);
  assert.equal(img.executableStack, true);
  assert.equal(img.floatAbi, 'soft');
});

test('ET_DYN without PT_INTERP is loaded at ELF_ET_DYN_BASE (page/align rounded)', () => {
  assert.equal(ELF_ET_DYN_BASE, 0x2aaaaaaaaa);
  const img = parseElf(withSpec((s) => {
    s.type = 3;
    s.entry = 0x100;
    s.phdrs[0]!.vaddr = 0; s.phdrs[1]!.vaddr = 0x2e00;
    s.phdrs[2]!.vaddr = 0x2e00;
  }));
  assert.equal(img.type, 'dyn');
  assert.equal(img.loadBias, 0x2aaaaaa000);
  const aligned = parseElf(withSpec((s) => {
    s.type = 3; s.entry = 0x100;
    s.phdrs[0]!.vaddr = 0; s.phdrs[0]!.align = 0x10000;
    s.phdrs[1]!.vaddr = 0x2e00; s.phdrs[2]!.vaddr = 0x2e00;
  }));
  assert.equal(aligned.loadBias, 0x2aaaaa0000);
  const custom = parseElf(withSpec((s) => {
    s.type = 3; s.entry = 0x100;
    s.phdrs[0]!.vaddr = 0; s.phdrs[1]!.vaddr = 0x2e00; s.phdrs[2]!.vaddr = 0x2e00;
  }), { dynBase: 0x400000 });
  assert.equal(custom.loadBias, 0x400000);
});

test('refuses: truncated, not ELF, class, endianness, machine, type', () => {
  const good = writeElf(basicSpec());
  refuses(good.subarray(0, 2), 'truncated', /truncated/);
  refuses(good.subarray(0, 40), 'truncated', /truncated file: 40 bytes/);
  refuses(new TextEncoder().encode('#!/bin/sh\necho hi\n'.repeat(5)), 'not-elf', /not an ELF file/);
  refuses(withSpec((s) => { s.class = 1; }), 'class', /32-bit/);
  refuses(withSpec((s) => { s.data = 2; }), 'endianness', /big-endian/);
  refuses(withSpec((s) => { s.machine = 62; }), 'machine', /x86-64/);
  refuses(withSpec((s) => { s.machine = 183; }), 'machine', /AArch64/);
  refuses(withSpec((s) => { s.machine = 9999; }), 'machine', /e_machine 9999/);
  refuses(withSpec((s) => { s.type = 1; }), 'type', /relocatable object \(ET_REL\)/);
  refuses(withSpec((s) => { s.type = 4; }), 'type', /core dump/);
});

test('refuses dynamic executables with PT_INTERP', () => {
  refuses(withSpec((s) => { s.phdrs.push({ type: 3, offset: 0x1000, vaddr: 0x11000, filesz: 20, memsz: 20, align: 1 }); }),
    'dynamic', /^dynamic executables are not supported yet/);
});

test('refuses bad program header tables', () => {
  refuses(withSpec((s) => { s.phentsize = 32; }), 'phdr', /e_phentsize/);
  refuses(withSpec((s) => { s.phoff = 0x21f0; }), 'phdr', /program header table out of file/);
  refuses(withSpec((s) => { s.phdrs = []; }), 'no-load', /no program headers/);
  refuses(withSpec((s) => { s.phdrs = [s.phdrs[3]!]; }), 'no-load', /no PT_LOAD/);
});

test('refuses bad segments', () => {
  refuses(withSpec((s) => { s.phdrs[1]!.filesz = 0x400; s.size = 0x1e00 + 0x3ff; }), 'segment-range', /out of file/);
  refuses(withSpec((s) => { s.phdrs[1]!.offset = 2 ** 60; s.phdrs[1]!.vaddr = 0x12000; }), 'segment-range', /out of file/);
  refuses(withSpec((s) => { s.phdrs[1]!.memsz = 0x200; }), 'filesz', /filesz 0x300 > memsz 0x200/);
  refuses(withSpec((s) => { s.phdrs[1]!.vaddr = 0x10e00; }), 'overlap', /PT_LOAD #1 at 0x10e00 overlaps/);
  refuses(withSpec((s) => { s.phdrs[1]!.vaddr = 0x10e00; s.phdrs[1]!.offset = 0xe00; }), 'overlap', /overlaps/);
  refuses(withSpec((s) => { s.phdrs[1]!.memsz = 2 ** 31; }), 'too-large', /memory limit/);
  refuses(writeElf(basicSpec()), 'too-large', /image needs 0x5000 bytes/, { memoryLimit: 0x4000 });
  refuses(withSpec((s) => { s.phdrs[1]!.vaddr = 2 ** 38 - 0x200; s.phdrs[1]!.offset = 0x1e00; }), 'address', /outside the user address space/);
  refuses(withSpec((s) => { s.phdrs[1]!.vaddr = 2 ** 40 + 0x2e00; }), 'address', /outside the user address space/);
  refuses(withSpec((s) => { s.phdrs[1]!.vaddr = 0x13000; }), 'align', /not congruent/);
  refuses(withSpec((s) => { s.phdrs[1]!.align = 0x3000; }), 'align', /not a power of two/);
  refuses(withSpec((s) => { s.phdrs[0]!.vaddr = 0; s.entry = 0x100; }), 'address', /below the lowest mappable address/);
  refuses(withSpec((s) => { s.entry = 0x12f00; }), 'entry', /not inside an executable PT_LOAD/);
  refuses(withSpec((s) => { s.entry = 0x11200; }), 'entry', /not inside an executable PT_LOAD/);
});

test('segments sharing a page (not bytes) are accepted', () => {
  const img = parseElf(withSpec((s) => { s.phdrs[1]!.vaddr = 0x11200; s.phdrs[1]!.offset = 0x1200; s.phdrs[2]!.vaddr = 0x11200; }));
  assert.equal(img.segments[1]!.vaddr, 0x11200);
});

function readelfLoads(path: string): Array<{ offset: number; vaddr: number; filesz: number; memsz: number; flags: string }> | null {
  let out: string;
  try {
    out = execFileSync('riscv64-linux-gnu-readelf', ['-lW', path], { encoding: 'utf8' });
  } catch {
    return null;
  }
  return out.split('\n').filter((l) => /^\s+LOAD\s/.test(l)).map((l) => {
    const f = l.trim().split(/\s+/);
    return { offset: Number(f[1]), vaddr: Number(f[2]), filesz: Number(f[4]), memsz: Number(f[5]), flags: f.slice(6, -1).join('') };
  });
}

test('parses every committed guest binary', () => {
  const names = readdirSync(guestBin).sort();
  assert.ok(names.length >= 10, `guest binaries present (${names.length})`);
  for (const name of names) {
    const path = new URL(name, guestBin);
    const bytes = new Uint8Array(readFileSync(path));
    const img = parseElf(bytes);
    assert.equal(img.rvc, true, name);
    assert.equal(img.floatAbi, 'double', name);
    assert.equal(img.hasGnuStack, true, name);
    assert.equal(img.executableStack, false, name);
    const ref = readelfLoads(path.pathname);
    if (ref) {
      assert.deepEqual(img.segments.map((s) => ({ offset: s.offset, vaddr: s.vaddr, filesz: s.filesz, memsz: s.memsz,
        flags: (s.readable ? 'R' : '') + (s.writable ? 'W' : '') + (s.executable ? 'E' : '') })), ref, name);
    }
    if (name === 'spie') {
      assert.equal(img.type, 'dyn');
      assert.equal(img.tls, null);
      assert.equal(img.loadBias, 0x2aaaaaa000);
    } else {
      assert.equal(img.type, 'exec', name);
      assert.ok(img.tls, `${name} has PT_TLS`);
      assert.equal(img.segments[0]!.vaddr, 0x10000, name);
      assert.equal(img.phdrVaddr, 0x10040, name);
    }
  }
});

test('the ELF header type check sees PT_LOAD constants from elf.h', () => {
  assert.equal(PT_LOAD, 1);
  assert.equal(PT_PHDR, 6);
});
