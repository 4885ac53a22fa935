/**
 * struct perf_event_attr's codec against bytes a riscv64 C program laid out with the UAPI
 * header (riscv64-linux-gnu-gcc, <linux/perf_event.h>, every field set to a distinct value;
 * config3 written at offset 128, past the header's 128-byte struct, as Linux 6.3+ has it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ATTR_BIT, attrFlag, decodePerfAttr, encodePerfAttr, PERF_ATTR_SIZE, PERF_ATTR_SIZE_VER7 } from '../src/abi/perf-attr.ts';

const hex = '44332211880000000807060504030201181716151413121128272625242322211f0000000000000021900100300000003433323144434241585756555453525168676665646362617877767574737271888786858483828194939291feffffffa8a7a6a5a4a3a2a1b4b3b2b1c2c1d2d1e4e3e2e1f4f3f2f111100f0e0d0c0b0a1918171615141312';
const bytes = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));

test('perf_event_attr: decode and encode are byte-exact with the C layout', () => {
  assert.equal(bytes.length, PERF_ATTR_SIZE);
  const a = decodePerfAttr(bytes);
  assert.equal(a.type, 0x11223344);
  assert.equal(a.size, 136);
  assert.equal(a.config, 0x0102030405060708n);
  assert.equal(a.samplePeriod, 0x1112131415161718n);
  assert.equal(a.sampleType, 0x2122232425262728n);
  assert.equal(a.readFormat, 0x1fn);
  for (const f of ['disabled', 'exclude_kernel', 'enable_on_exec', 'sigtrap', 'remove_on_exec'] as const) assert.ok(attrFlag(a, f), f);
  for (const f of ['inherit', 'exclude_user', 'freq', 'inherit_thread'] as const) assert.ok(!attrFlag(a, f), f);
  assert.equal((a.flags >> 15n) & 3n, 3n); // precise_ip
  assert.equal(ATTR_BIT.sigtrap, 37);
  assert.equal(a.wakeupEvents, 0x31323334);
  assert.equal(a.bpType, 0x41424344);
  assert.equal(a.config1, 0x5152535455565758n);
  assert.equal(a.config2, 0x6162636465666768n);
  assert.equal(a.branchSampleType, 0x7172737475767778n);
  assert.equal(a.sampleRegsUser, 0x8182838485868788n);
  assert.equal(a.sampleStackUser, 0x91929394);
  assert.equal(a.clockid, -2);
  assert.equal(a.sampleRegsIntr, 0xa1a2a3a4a5a6a7a8n);
  assert.equal(a.auxWatermark, 0xb1b2b3b4);
  assert.equal(a.sampleMaxStack, 0xc1c2);
  assert.equal(a.reserved2, 0xd1d2);
  assert.equal(a.auxSampleSize, 0xe1e2e3e4);
  assert.equal(a.auxAction, 0xf1f2f3f4);
  assert.equal(a.sigData, 0x0a0b0c0d0e0f1011n);
  assert.equal(a.config3, 0x1213141516171819n);
  assert.deepEqual(encodePerfAttr(a), bytes);
});

test('perf_event_attr: a shorter struct decodes zero-extended', () => {
  const a = decodePerfAttr(bytes.subarray(0, PERF_ATTR_SIZE_VER7));
  assert.equal(a.config3, 0n);
  assert.equal(a.sigData, 0x0a0b0c0d0e0f1011n);
});
