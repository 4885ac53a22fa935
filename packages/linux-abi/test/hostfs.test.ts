/** Host mounts: every answer of the (untrusted) host is checked (fs/hostfs.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HostChannel, HostRequest, ReplyOf } from '@teeos/hal';
import { HostFs } from '../src/fs/hostfs.ts';
import { SysError } from '../src/errors.ts';
import '../src/fs/files.ts';

function statBytes(mode: number, size: number): Uint8Array {
  const b = new Uint8Array(128);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(8, 42n, true);
  dv.setUint32(16, mode, true);
  dv.setUint32(20, 1, true);
  dv.setBigUint64(48, BigInt(size), true);
  return b;
}

/** A host whose answers the test scripts; `lie` may rewrite any reply. */
function host(lie: (nr: number, r: { ret: number; data: Uint8Array }) => { ret: number; data: Uint8Array } = (_, r) => r): HostChannel {
  return {
    maxPayload: 1 << 20,
    count: 0,
    call<R extends HostRequest>(req: R): ReplyOf<R> {
      if (req.op !== 'fs') throw new Error('unexpected');
      const path = new TextDecoder().decode(req.data).split('\0')[0];
      let r: { ret: number; data: Uint8Array } = { ret: -2, data: new Uint8Array(req.outLen) };
      if (req.nr === 79) {
        if (path === '.' || path === 'dir') r = { ret: 0, data: statBytes(0o040755, 0) };
        else if (path === 'f' || path === 'dir/f') r = { ret: 0, data: statBytes(0o100644, 10) };
      } else if (req.nr === 56) r = { ret: 100, data: new Uint8Array(req.outLen) };
      else if (req.nr === 67) r = { ret: Math.min(10, req.args[1]), data: new Uint8Array(req.outLen).fill(65) };
      else if (req.nr === 61) {
        const out = new Uint8Array(req.outLen);
        const dv = new DataView(out.buffer);
        dv.setUint16(16, 24, true);
        out.set(new TextEncoder().encode('f\0'), 19);
        r = { ret: 24, data: out };
      } else if (req.nr === 57) r = { ret: 0, data: new Uint8Array(0) };
      return lie(req.nr, r) as ReplyOf<R>;
    },
  };
}

const clock = () => ({ sec: 0, nsec: 0 });
const cred = { uid: 1000, gid: 1000, pid: 1 };
const errno = (f: () => unknown) => { try { f(); return 0; } catch (e) { if (e instanceof SysError) return e.errno; throw e; } };

test('hostfs: an honest host: lookups, listing, reads; ownership shown as the enclave user', () => {
  const fs = new HostFs(host(), 4, false, 1000, 1000, clock);
  const root = fs.root();
  const f = root.lookup('f', cred)!;
  assert.equal(f.uid, 1000);
  assert.equal(f.size(), 10);
  assert.deepEqual(root.list(cred).map(([n]) => n), ['f']);
  assert.equal(root.lookup('nope', cred), null);
});

test('hostfs: lies are refused: a bad stat type or size, a reply longer than asked, broken directory records, wild errnos', () => {
  // A FIFO or a device from the host is not believed.
  assert.equal(errno(() => new HostFs(host((nr, r) => (nr === 79 ? { ret: 0, data: statBytes(0o020666, 0) } : r)), 4, false, 1000, 1000, clock).root()), 5);
  // A size beyond 2^53.
  const huge = statBytes(0o100644, 0);
  new DataView(huge.buffer).setBigUint64(48, 1n << 60n, true);
  assert.equal(errno(() => new HostFs(host((nr, r) => (nr === 79 ? { ret: 0, data: huge } : r)), 4, false, 1000, 1000, clock).root()), 5);
  // A short stat buffer.
  assert.equal(errno(() => new HostFs(host((nr, r) => (nr === 79 ? { ret: 0, data: new Uint8Array(10) } : r)), 4, false, 1000, 1000, clock).root()), 5);
  // An errno outside Linux's range.
  assert.equal(errno(() => new HostFs(host((nr, r) => (nr === 79 ? { ret: -99999, data: r.data } : r)), 4, false, 1000, 1000, clock).root()), 5);
  // A pread that claims more than was asked.
  const liar = new HostFs(host((nr, r) => (nr === 67 ? { ret: r.ret + 100, data: r.data } : r)), 4, false, 1000, 1000, clock);
  const f = liar.root().lookup('f', cred)!;
  const file = f.open(0, { mnt: null as never, inode: f }, cred);
  assert.equal(file.read(10), -5);
  // Directory records that run past the buffer, or a name without its NUL.
  const badDir = new HostFs(host((nr, r) => {
    if (nr !== 61 || r.ret <= 0) return r;
    const d = r.data.slice();
    new DataView(d.buffer).setUint16(16, 4000, true);
    return { ret: r.ret, data: d };
  }), 4, false, 1000, 1000, clock);
  assert.equal(errno(() => badDir.root().list(cred)), 5);
  const noNul = new HostFs(host((nr, r) => {
    if (nr !== 61 || r.ret <= 0) return r;
    const d = r.data.slice();
    d.fill(66, 19, 24);
    return { ret: r.ret, data: d };
  }), 4, false, 1000, 1000, clock);
  assert.equal(errno(() => noNul.root().list(cred)), 5);
});
