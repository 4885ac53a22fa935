// Byte-exact checks of the Linux struct codecs against the riscv64 UAPI layouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeStat, decodeStat, STAT_SIZE, encodeUtsname, UTSNAME_SIZE, encodeTimespec, decodeTimespec, encodeRlimit, decodeRlimit, decodeIovecs } from '../src/abi/structs.ts';

test('struct stat is 128 bytes with asm-generic offsets', () => {
  const s = {
    dev: 0x0102, ino: 0x0304050607, mode: 0o100644, nlink: 3, uid: 1000, gid: 1001, rdev: 0x0809, size: 0x1_2345_6789,
    blksize: 4096, blocks: 17, atimeSec: 1700000000, atimeNsec: 5, mtimeSec: 1700000001, mtimeNsec: 6, ctimeSec: 1700000002, ctimeNsec: 7,
  };
  const b = encodeStat(s);
  assert.equal(b.length, STAT_SIZE);
  const dv = new DataView(b.buffer);
  assert.equal(dv.getBigUint64(0, true), 0x0102n); // st_dev
  assert.equal(dv.getBigUint64(8, true), 0x0304050607n); // st_ino
  assert.equal(dv.getUint32(16, true), 0o100644); // st_mode
  assert.equal(dv.getUint32(20, true), 3); // st_nlink
  assert.equal(dv.getUint32(24, true), 1000); // st_uid
  assert.equal(dv.getUint32(28, true), 1001); // st_gid
  assert.equal(dv.getBigUint64(32, true), 0x0809n); // st_rdev
  assert.equal(dv.getBigUint64(40, true), 0n); // __pad1
  assert.equal(dv.getBigInt64(48, true), 0x1_2345_6789n); // st_size
  assert.equal(dv.getInt32(56, true), 4096); // st_blksize
  assert.equal(dv.getBigInt64(64, true), 17n); // st_blocks
  assert.equal(dv.getBigInt64(72, true), 1700000000n);
  assert.equal(dv.getBigUint64(80, true), 5n);
  assert.equal(dv.getBigInt64(104, true), 1700000002n);
  assert.equal(dv.getBigUint64(112, true), 7n);
  assert.deepEqual(decodeStat(b), s);
});

test('new_utsname is six 65-byte NUL-padded fields', () => {
  const b = encodeUtsname({ sysname: 'Linux', nodename: 'n', release: '6.1', version: '#1', machine: 'riscv64', domainname: '(none)' });
  assert.equal(b.length, UTSNAME_SIZE);
  assert.equal(new TextDecoder().decode(b.subarray(0, 5)), 'Linux');
  assert.equal(b[5], 0);
  assert.equal(new TextDecoder().decode(b.subarray(4 * 65, 4 * 65 + 7)), 'riscv64');
  const long = encodeUtsname({ sysname: 'x'.repeat(100), nodename: '', release: '', version: '', machine: '', domainname: '' });
  assert.equal(long[64], 0, 'a field always keeps its terminating NUL');
});

test('timespec, rlimit64 and iovec layouts', () => {
  const ts = encodeTimespec(12, 345);
  assert.deepEqual([...ts], [12, 0, 0, 0, 0, 0, 0, 0, 0x59, 1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(decodeTimespec(ts), { sec: 12, nsec: 345 });
  const rl = encodeRlimit(8n << 20n, -1n);
  assert.deepEqual(decodeRlimit(rl), { cur: 8n << 20n, max: 0xffffffffffffffffn });
  const iov = new Uint8Array(32);
  const dv = new DataView(iov.buffer);
  dv.setBigUint64(0, 0x1000n, true); dv.setBigUint64(8, 5n, true); dv.setBigUint64(16, 0x2000n, true); dv.setBigUint64(24, 7n, true);
  assert.deepEqual(decodeIovecs(iov, 2), [{ base: 0x1000n, len: 5n }, { base: 0x2000n, len: 7n }]);
});
