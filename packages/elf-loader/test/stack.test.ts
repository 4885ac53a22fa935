import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  AT_MINSIGSTKSZ, ArgListTooLongError, buildInitialStack, HWCAP_RV64GC, hwcapFromIsa, parseElf, RISCV_MINSIGSTKSZ,
} from '@teeos/elf-loader';
import { basicSpec, writeElf } from './elf-writer.ts';

const TOP = 2 ** 38; // Sv39 STACK_TOP without randomization
const RANDOM = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const image = parseElf(writeElf(basicSpec()));

/** Little-endian u64 words, for writing the expected bytes out by hand. */
function words(...ws: number[]): number[] {
  const out: number[] = [];
  for (const w of ws) {
    let x = w;
    for (let i = 0; i < 8; i++) { out.push(x % 256); x = Math.floor(x / 256); }
  }
  return out;
}
const bytesOf = (s: string): number[] => [...new TextEncoder().encode(s), 0];

test('constants derived from headers and kernel structs', () => {
  assert.equal(HWCAP_RV64GC, 0x112d); // i=8 m=12 a=0 f=5 d=3 c=2
  assert.equal(hwcapFromIsa('imafdcv'), 0x112d | (1 << 21));
  assert.equal(AT_MINSIGSTKSZ, 51);
  assert.equal(RISCV_MINSIGSTKSZ, 1088);
});

test('byte-exact layout: argc 2, envc 1 (no padding)', () => {
  const st = buildInitialStack({ image, argv: ['a', 'bc'], envp: ['X=1'], execfn: '/b', random: RANDOM, stackTop: TOP, uid: 1000, gid: 100 });
  // Strings: [TOP-8, TOP) zero; "/b\0" at TOP-11; "X=1\0" at TOP-15; "bc\0" TOP-18; "a\0" TOP-20.
  // Align down to TOP-32; random at TOP-48; 17 auxv entries + AT_NULL = 288 bytes; 6 words of
  // argc/argv/envp: sp = TOP-48-288-48 = TOP-384 (already 16-aligned).
  const sp = TOP - 384;
  assert.equal(st.sp, sp);
  assert.equal(st.image.length, 384);
  const expected = [
    ...words(2, TOP - 20, TOP - 18, 0, TOP - 15, 0),
    ...words(
      51, 1088, 16, 0x112d, 6, 4096, 17, 100, 3, 0x10040, 4, 56, 5, 4, 7, 0, 8, 0, 9, 0x10100,
      11, 1000, 12, 1000, 13, 100, 14, 100, 23, 0, 25, TOP - 48, 31, TOP - 11, 0, 0,
    ),
    ...RANDOM,
    ...new Array(12).fill(0), // TOP-32 .. TOP-20: alignment gap
    ...bytesOf('a'), ...bytesOf('bc'), ...bytesOf('X=1'), ...bytesOf('/b'),
    ...new Array(8).fill(0),
  ];
  assert.deepEqual([...st.image], expected);
  assert.equal(st.argvPtr, sp + 8);
  assert.equal(st.envpPtr, sp + 32);
  assert.equal(st.auxvPtr, sp + 48);
  assert.equal(st.randomAddr, TOP - 48);
  assert.equal(st.execfnAddr, TOP - 11);
  assert.deepEqual([st.argStart, st.argEnd, st.envStart, st.envEnd], [TOP - 20, TOP - 15, TOP - 15, TOP - 11]);
  assert.equal(st.platformAddr, null);
});

test('byte-exact layout: odd word count gets 8 bytes of padding above auxv', () => {
  const st = buildInitialStack({ image, argv: ['a', 'bc'], envp: ['X=1', 'Y='], execfn: '/b', random: RANDOM, stackTop: TOP });
  // strings down to TOP-23 ("Y=\0" at TOP-14, "X=1\0" at TOP-18, "bc" TOP-21, "a" TOP-23) -> align TOP-32;
  // random TOP-48; auxv 288 -> TOP-336; 7 words -> TOP-392 -> round to TOP-400.
  assert.equal(st.sp, TOP - 400);
  const img = st.image;
  const view = new DataView(img.buffer);
  const word = (addr: number): number => Number(view.getBigUint64(addr - st.sp, true));
  assert.equal(word(st.sp), 2);
  assert.equal(word(st.sp + 8), TOP - 23);
  assert.equal(word(st.sp + 16), TOP - 21);
  assert.equal(word(st.sp + 24), 0);
  assert.equal(word(st.sp + 32), TOP - 18);
  assert.equal(word(st.sp + 40), TOP - 14);
  assert.equal(word(st.sp + 48), 0);
  assert.equal(st.auxvPtr, st.sp + 56);
  assert.equal(word(st.auxvPtr + 17 * 16), 0, 'AT_NULL type');
  assert.equal(word(st.auxvPtr + 17 * 16 + 8), 0, 'AT_NULL value');
  assert.deepEqual([...img.subarray(TOP - 56 - st.sp, TOP - 48 - st.sp)], new Array(8).fill(0), 'padding');
  assert.deepEqual([...img.subarray(TOP - 48 - st.sp, TOP - 32 - st.sp)], [...RANDOM]);
});

test('auxv order follows create_elf_tables; options change values', () => {
  const st = buildInitialStack({
    image, bias: 0x1000_0000, argv: ['prog'], envp: [], execfn: 'prog', random: RANDOM, stackTop: TOP,
    uid: 5, euid: 6, gid: 7, egid: 8, secure: true, minSigStkSz: null, sysinfoEhdr: 0x7000, platform: 'riscv64',
  });
  assert.deepEqual(st.auxv.map(([t]) => t), [33, 1, 16, 6, 17, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 23, 25, 31, 15]);
  const m = new Map(st.auxv);
  assert.equal(m.get(3), 0x1000_0000 + 0x10040);
  assert.equal(m.get(9), 0x1000_0000 + 0x10100);
  assert.deepEqual([m.get(11), m.get(12), m.get(13), m.get(14), m.get(23)], [5, 6, 7, 8, 1]);
  // platform string sits between the 16-aligned string area and the random bytes
  assert.equal(st.platformAddr, TOP - 32 - 8);
  assert.equal(st.randomAddr, TOP - 32 - 8 - 16);
  assert.equal(new TextDecoder().decode(st.image.subarray(st.platformAddr! - st.sp, st.platformAddr! - st.sp + 7)), 'riscv64');
  assert.equal(st.sp % 16, 0);
});

test('UTF-8 and raw byte strings; empty argv', () => {
  const st = buildInitialStack({ image, argv: [], envp: [Uint8Array.of(0xff, 0x41)], execfn: 'é', random: RANDOM, stackTop: TOP });
  assert.equal(st.execfnAddr, TOP - 8 - 3);
  assert.deepEqual([...st.image.subarray(st.execfnAddr - st.sp, st.execfnAddr - st.sp + 3)], [0xc3, 0xa9, 0]);
  assert.equal(st.envStart, TOP - 14);
  assert.equal(st.argStart, st.envStart);
  const view = new DataView(st.image.buffer);
  assert.equal(view.getBigUint64(0, true), 0n);
  assert.equal(view.getBigUint64(8, true), 0n, 'argv NULL');
  assert.equal(Number(view.getBigUint64(16, true)), TOP - 14);
});

test('rejects bad input', () => {
  const base = { image, argv: ['a'], envp: [], execfn: 'a', random: RANDOM, stackTop: TOP };
  assert.throws(() => buildInitialStack({ ...base, random: new Uint8Array(8) }), /16 bytes/);
  assert.throws(() => buildInitialStack({ ...base, argv: ['a\0b'] }), /NUL/);
  assert.throws(() => buildInitialStack({ ...base, stackTop: TOP - 8 }), /aligned/);
  assert.throws(() => buildInitialStack({ ...base, argv: ['x'.repeat(131072)] }), ArgListTooLongError);
  assert.throws(() => buildInitialStack({ ...base, envp: new Array(300).fill('y'.repeat(8000)) }), ArgListTooLongError);
  assert.throws(() => buildInitialStack({ ...base, stackTop: 256 }), /does not fit/);
});

test('initial stack for a real guest binary matches what qemu reports for it', () => {
  const bytes = new Uint8Array(readFileSync(new URL('../../../tests/guest/bin/args', import.meta.url)));
  const img = parseElf(bytes);
  const st = buildInitialStack({ image: img, argv: ['bin/args'], envp: ['A=1'], execfn: 'bin/args', random: RANDOM, stackTop: TOP });
  const m = new Map(st.auxv);
  // tests/guest/expected/args.stdout (from qemu-riscv64) says AT_PHNUM=7, AT_PHENT=56, AT_HWCAP=0x112d
  const expected = readFileSync(new URL('../../../tests/guest/expected/args.stdout', import.meta.url), 'utf8');
  assert.match(expected, new RegExp(`AT_PHNUM=${m.get(5)}\n`));
  assert.match(expected, new RegExp(`AT_PHENT=${m.get(4)}\n`));
  assert.match(expected, new RegExp(`AT_HWCAP=0x${m.get(16)!.toString(16)}\n`));
  assert.match(expected, new RegExp(`AT_PAGESZ=${m.get(6)}\n`));
  assert.match(expected, new RegExp(`AT_CLKTCK=${m.get(17)}\n`));
  assert.equal(m.get(9), img.entry);
  assert.equal(m.get(3), 0x10040);
});
