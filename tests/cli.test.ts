/**
 * The teeos command as a user meets it: bad programs are refused with one line and a
 * shell's status before any enclave starts; `measure` predicts the measurement the security
 * monitor computes at launch; `--trace` prints syscalls strace-style.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const hello = fileURLToPath(new URL('./guest/bin/hello', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'teeos-cli-'));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [teeos, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function refused(file: string, status: number, pattern: RegExp) {
  const r = run(['run', file]);
  assert.equal(r.status, status, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
  assert.match(lines[0], /^teeos: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(r.stdout, '');
}

function variant(name: string, edit: (b: Uint8Array) => Uint8Array): string {
  const b = edit(new Uint8Array(readFileSync(hello)));
  const p = join(tmp, name);
  writeFileSync(p, b);
  return p;
}

test('a missing program: 127', () => refused(join(tmp, 'nope'), 127, /No such file/));
test('a directory: 126', () => refused(tmp, 126, /Is a directory/));
test('not an ELF file: 126', () => refused(variant('text', () => new TextEncoder().encode('#!/bin/sh\necho hi\n')), 126, /ELF/i));
test('a truncated ELF: 126', () => refused(variant('trunc', (b) => b.slice(0, 40)), 126, /truncated/i));
test('a truncated segment: 126', () => refused(variant('trunc2', (b) => b.slice(0, 5000)), 126, /.+/));
test('the wrong machine: 126, named', () => refused(variant('x86', (b) => { b[18] = 62; b[19] = 0; return b; }), 126, /x86-64/));
test('a dynamically linked program: 126, said plainly', () => {
  // Turn the first PT_NOTE-or-later program header into PT_INTERP (3).
  const p = variant('dyn', (b) => {
    const dv = new DataView(b.buffer);
    const phoff = Number(dv.getBigUint64(32, true));
    const phnum = dv.getUint16(56, true);
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * 56;
      if (dv.getUint32(o, true) === 4) { dv.setUint32(o, 3, true); break; }
    }
    return b;
  });
  refused(p, 126, /dynamic executables are not supported yet/);
});
test('an absurdly large segment: 126', () => {
  const p = variant('huge', (b) => {
    const dv = new DataView(b.buffer);
    const phoff = Number(dv.getBigUint64(32, true));
    const phnum = dv.getUint16(56, true);
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * 56;
      if (dv.getUint32(o, true) === 1) { dv.setBigUint64(o + 40, 1n << 40n, true); break; } // p_memsz
    }
    return b;
  });
  refused(p, 126, /.+/);
});

test('measure predicts the measurement the security monitor computes at launch', () => {
  const m = run(['measure', '--tee', 'keystone', hello]);
  assert.equal(m.status, 0, m.stderr);
  assert.match(m.stdout, /^[0-9a-f]{128}\n$/);
  const r = run(['run', '--verbose', hello]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Hello, world!\n');
  const line = r.stderr.split('\n').find((l) => l.includes('measurement'));
  assert.ok(line, r.stderr);
  assert.equal(line!.split(': ').pop(), m.stdout.trim());
  assert.match(r.stderr, /Base 0x80000000 Krnl 0x[0-9a-f]+ User 0x[0-9a-f]+ Free 0x[0-9a-f]+ End 0x[0-9a-f]+ UTM 0x[0-9a-f]+/);
  // Any change to the program changes the measurement.
  const other = variant('hello-changed', (b) => { b[b.length - 1] ^= 1; return b; });
  const m2 = run(['measure', other]);
  assert.notEqual(m2.stdout, m.stdout);
});

test('--trace prints syscalls strace-style', () => {
  const r = run(['run', '--trace', hello]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /write\(1, "Hello, world!\\n", 14\) = 14/);
  assert.match(r.stderr, /exit_group\(0\) = \?/);
  assert.match(r.stderr, /readlinkat\(-100, "\/proc\/self\/exe", 0x[0-9a-f]+, 4096\) = \d+/);
});

test('usage errors exit 2 with a message', () => {
  const r = run(['run', '--tee', 'nonsense', hello]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown TEE/);
  assert.equal(run(['frobnicate']).status, 2);
});
