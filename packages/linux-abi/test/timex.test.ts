// struct timex against the riscv64 UAPI layout: the bytes riscv64-linux-gnu-gcc's struct timex
// holds after a C program (memset 0xee, then every named field set) stored these values, printed
// under qemu-riscv64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTimex, encodeTimex, TIMEX_SIZE, type Timex } from '../src/abi/timex.ts';

const C_BYTES =
  '01a00000eeeeeeeefeffffffffffffff03000000000000000024f40000000000050000000000000041200000eeeeeeee' +
  '070000000000000001000000000000000000f4010000000048e72a69000000003f420f00000000001027000000000000' +
  'f5ffffffffffffff0c00000000000000f3ffffffeeeeeeee0e000000000000000f000000000000001000000000000000' +
  '1100000000000000120000000000000025000000' + 'ee'.repeat(44);

const VALUES: Timex = {
  modes: 0xa001, offset: -2n, freq: 3n, maxerror: 16000000n, esterror: 5n, status: 0x2041, constant: 7n, precision: 1n,
  tolerance: 32768000n, timeSec: 1764419400n, timeUsec: 999999n, tick: 10000n, ppsfreq: -11n, jitter: 12n, shift: -13,
  stabil: 14n, jitcnt: 15n, calcnt: 16n, errcnt: 17n, stbcnt: 18n, tai: 37,
};

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('struct timex: 208 bytes, decoded and encoded byte-exact, holes and the tail kept', () => {
  const c = Uint8Array.from(Buffer.from(C_BYTES, 'hex'));
  assert.equal(c.length, TIMEX_SIZE);
  assert.deepEqual(decodeTimex(c), VALUES);
  const orig = new Uint8Array(TIMEX_SIZE).fill(0xee);
  assert.equal(hex(encodeTimex(VALUES, orig)), C_BYTES);
  assert.equal(orig[0], 0xee, 'encodeTimex writes a copy');
});
