// The Keystone edge-call channel: the wire format both sides share, the host's SDK-style
// bounds checks, and the enclave side refusing replies that a lying host makes up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeystonePlatform } from '../src/runtime/platform.ts';
import { serveEdgeCall, type HostServices } from '../src/host/index.ts';
import type { KeystoneMachine } from '../src/machine/machine.ts';
import { CALL_STATUS_BAD_CALL_ID, CALL_STATUS_BAD_OFFSET, CALL_STATUS_OK, EDGECALL_SYSCALL, SBI_SM_STOP_ENCLAVE, SYS_write } from '../src/constants.ts';
import { EDGE_DATA, SARGS, readHeader, setU64, writeRequestHeader, getI64 } from '../src/edge/wire.ts';

const UTM = 1 << 16;

function services(over: Partial<HostServices> = {}): HostServices {
  return {
    write: (fd, d) => d.length,
    read: (fd, len) => new Uint8Array(Math.min(len, 3)).fill(0x61),
    fstat: () => new Uint8Array(128),
    tcgets: () => -25,
    winsize: () => -25,
    clock: () => ({ sec: 1_800_000_000, nsec: 5 }),
    console: () => {},
    ...over,
  };
}

/** A platform whose "SBI stop" runs the given host (honest or not) on the shared UTM. */
function platformWith(host: (dv: DataView, utm: Uint8Array) => void): KeystonePlatform {
  const utm = new Uint8Array(new SharedArrayBuffer(UTM));
  const dv = new DataView(utm.buffer);
  const machine = {
    hart: {} as KeystoneMachine['hart'],
    epm: new Uint8Array(1 << 20),
    utm,
    sbi(fid: number) {
      if (fid === SBI_SM_STOP_ENCLAVE) host(dv, utm);
      return { error: 0, value: 0 };
    },
  } satisfies KeystoneMachine;
  return new KeystonePlatform(machine, {
    dramBase: 0x8000_0000, dramSize: 1 << 20, runtimeBase: 0x8000_1000, userBase: 0x8000_2000,
    freeBase: 0x8000_3000, untrustedBase: 0x8010_0000, untrustedSize: UTM,
  });
}

test('write and read round trip through an honest host, in the SDK wire format', () => {
  const seen: Uint8Array[] = [];
  const p = platformWith((dv, utm) => serveEdgeCall(dv, utm, services({ write: (fd, d) => { seen.push(d); return d.length; } })));
  const w = p.host.call({ op: 'write', fd: 1, data: new TextEncoder().encode('hi') });
  assert.equal(w.ret, 2);
  assert.equal(new TextDecoder().decode(seen[0]), 'hi');
  const r = p.host.call({ op: 'read', fd: 0, len: 10 });
  assert.equal(r.ret, 3);
  assert.equal(new TextDecoder().decode(r.data), 'aaa');
  assert.equal(p.host.count, 2);
});

test('the request is a 48-byte edge_call header, EDGECALL_SYSCALL, then sargs_SYS_write', () => {
  let captured: Uint8Array | null = null;
  const p = platformWith((dv, utm) => { captured = utm.slice(0, 80); serveEdgeCall(dv, utm, services()); });
  p.host.call({ op: 'write', fd: 2, data: new Uint8Array([7, 8, 9]) });
  const b = captured!;
  const dv = new DataView(b.buffer);
  const h = readHeader(dv);
  assert.equal(h.callId, EDGECALL_SYSCALL);
  assert.equal(h.argOffset, 48);
  assert.equal(h.argSize, 8 + 16 + 3);
  assert.equal(Number(dv.getBigUint64(48, true)), SYS_write); // edge_syscall.syscall_num
  assert.equal(dv.getInt32(56, true), 2); // sargs_SYS_write.fd
  assert.equal(Number(dv.getBigUint64(64, true)), 3); // .len
  assert.deepEqual([...b.subarray(72, 75)], [7, 8, 9]); // .buf
});

test('a lying host is caught: impossible lengths, bad return offsets, failed status become EIO', () => {
  const liar = (mutate: (dv: DataView, utm: Uint8Array) => void) => platformWith((dv, utm) => { serveEdgeCall(dv, utm, services()); mutate(dv, utm); });
  const EIO = -5;
  // read: claims more bytes than were asked for
  assert.equal(liar((dv) => dv.setBigInt64(EDGE_DATA, 1000n, true)).host.call({ op: 'read', fd: 0, len: 10 }).ret, EIO);
  // write: claims to have written more than was sent
  assert.equal(liar((dv) => dv.setBigInt64(EDGE_DATA, 99n, true)).host.call({ op: 'write', fd: 1, data: new Uint8Array(4) }).ret, EIO);
  // return value placed outside the shared region
  assert.equal(liar((dv) => setU64(dv, 32, UTM + 8)).host.call({ op: 'write', fd: 1, data: new Uint8Array(1) }).ret, EIO);
  // a size that overflows the region
  assert.equal(liar((dv) => setU64(dv, 40, 2 ** 52)).host.call({ op: 'write', fd: 1, data: new Uint8Array(1) }).ret, EIO);
  // a failed call status
  assert.equal(liar((dv) => setU64(dv, 24, 4)).host.call({ op: 'write', fd: 1, data: new Uint8Array(1) }).ret, EIO);
});

test('the host refuses requests with bad offsets or call ids, as the SDK does', () => {
  const utm = new Uint8Array(new SharedArrayBuffer(UTM));
  const dv = new DataView(utm.buffer);
  const s = services();
  writeRequestHeader(dv, EDGECALL_SYSCALL, 16);
  setU64(dv, 8, UTM); // call_arg_offset == len: not < len
  serveEdgeCall(dv, utm, s);
  assert.equal(readHeader(dv).status, CALL_STATUS_BAD_OFFSET);
  writeRequestHeader(dv, EDGECALL_SYSCALL, UTM); // size > len - offset
  serveEdgeCall(dv, utm, s);
  assert.equal(readHeader(dv).status, CALL_STATUS_BAD_OFFSET);
  writeRequestHeader(dv, 99, 8);
  serveEdgeCall(dv, utm, s);
  assert.equal(readHeader(dv).status, CALL_STATUS_BAD_CALL_ID);
  // A write whose len runs past the argument area gets -EINVAL, never a read past it.
  writeRequestHeader(dv, EDGECALL_SYSCALL, 8 + 16 + 4);
  setU64(dv, EDGE_DATA, SYS_write);
  dv.setInt32(SARGS, 1, true);
  setU64(dv, SARGS + 8, 5000);
  let called = false;
  serveEdgeCall(dv, utm, services({ write: () => { called = true; return 0; } }));
  assert.equal(readHeader(dv).status, CALL_STATUS_OK);
  assert.equal(getI64(dv, EDGE_DATA), -22);
  assert.equal(called, false);
});
