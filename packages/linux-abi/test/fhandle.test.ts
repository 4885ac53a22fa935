// open_by_handle_at as root (CAP_DAC_READ_SEARCH): the enclave's runtimes start programs as uid
// 1000, so the guest program (tests/guest/src/fhandle.c) sees only EPERM; here the handlers run
// with uid 0 against the kernel's own file system tree and a user buffer of plain memory.
// Expected values follow fs/fhandle.c and mm/shmem.c (shmem_encode_fh, shmem_fh_to_dentry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSyscallTable } from '../src/kernel.ts';
import { SYS } from '../src/generated/syscall-numbers.ts';
import { E, SysError } from '../src/errors.ts';
import { FdTable } from '../src/fs/file.ts';
import { fsContext, fsOf } from '../src/fs/context.ts';

const tab = buildSyscallTable();
const n2h = tab.get(SYS.name_to_handle_at)!.fn, obh = tab.get(SYS.open_by_handle_at)!.fn;
const AT_FDCWD = -100, O_RDONLY = 0, O_CREAT = 0o100, O_RDWR = 2;

function setup() {
  const mem = new Uint8Array(0x10000);
  let seed = 1;
  const k = {
    config: { uid: 0, gid: 0, hostname: 'h' },
    realtimeNs: () => 1e18,
    appImage: new Uint8Array(4096),
    platform: { host: { call: () => ({}) }, random: (b: Uint8Array) => { for (let i = 0; i < b.length; i++) b[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24; }, log: () => {} },
  };
  const check = (a: number, n: number) => { if (a < 0x1000 || a + n > mem.length) throw new SysError(E.EFAULT); };
  const as = {
    copyIn: (a: number, n: number) => { check(a, n); return mem.slice(a, a + n); },
    copyOut: (a: number, b: Uint8Array) => { check(a, b.length); mem.set(b, a); },
    readCString: (a: number) => { check(a, 1); let e = a; while (mem[e]) e++; return new TextDecoder().decode(mem.subarray(a, e)); },
  };
  const t = { tid: 1, proc: { pid: 1, umask: 0o22, as, fds: new FdTable() } };
  const str = (a: number, s: string) => { mem.set(new TextEncoder().encode(s + '\0'), a); return a; };
  const call = (fn: typeof n2h, ...args: number[]) => {
    const a = { i32: (i: number) => (args[i] ?? 0) | 0, u: (i: number) => args[i] ?? 0 };
    try {
      return fn(k as never, t as never, a as never) as number;
    } catch (e) {
      if (e instanceof SysError) return -e.errno;
      throw e;
    }
  };
  const dv = new DataView(mem.buffer);
  return { k, t, mem, dv, str, call };
}

test('open_by_handle_at as root: a tmpfs handle opens its file, ESTALE once the inode is gone or on another mount', () => {
  const s = setup();
  const ctx = fsContext(s.k as never, s.t as never);
  const vfs = fsOf(s.k as never).vfs;
  vfs.open(ctx, ctx.cwd, '/tmp/a', O_CREAT | O_RDWR, 0o644).close();
  const H = 0x2000, M = 0x3000;
  s.dv.setUint32(H, 128, true);
  assert.equal(s.call(n2h, AT_FDCWD, s.str(0x1000, '/tmp/a'), H, M, 0), 0);
  assert.equal(s.dv.getUint32(H, true), 12);
  assert.equal(s.dv.getInt32(H + 4, true), 1);
  const fd = s.call(obh, AT_FDCWD, H, O_RDONLY);
  assert.ok(fd >= 0, `fd ${fd}`);
  const f = s.t.proc.fds.get(fd)!;
  assert.equal(f.loc?.inode.ino, s.dv.getUint32(H + 12, true));
  // A wrong generation, a short handle: ESTALE.
  s.dv.setUint32(H + 8, s.dv.getUint32(H + 8, true) ^ 1, true);
  assert.equal(s.call(obh, AT_FDCWD, H, O_RDONLY), -E.ESTALE);
  s.dv.setUint32(H + 8, s.dv.getUint32(H + 8, true) ^ 1, true);
  s.dv.setUint32(H, 8, true);
  assert.equal(s.call(obh, AT_FDCWD, H, O_RDONLY), -E.ESTALE);
  s.dv.setUint32(H, 12, true);
  // The mount a descriptor names decides the file system: /proc has no fh_to_dentry.
  const proc = s.t.proc.fds.install(vfs.open(ctx, ctx.cwd, '/proc', O_RDONLY | 0o200000, 0), false);
  assert.equal(s.call(obh, proc, H, O_RDONLY), -E.ESTALE);
  assert.equal(s.call(obh, 77, H, O_RDONLY), -E.EBADF);
  // Unlinked but still open: still found (as ilookup finds it); closed too: gone.
  vfs.unlink(ctx, ctx.cwd, '/tmp/a', false);
  const fd2 = s.call(obh, AT_FDCWD, H, O_RDONLY);
  assert.ok(fd2 >= 0);
  s.t.proc.fds.close(fd);
  s.t.proc.fds.close(fd2);
  assert.equal(s.call(obh, AT_FDCWD, H, O_RDONLY), -E.ESTALE);
});
