/** VFS unit tests: path resolution, permissions, mounts, tmpfs operations, pipes (no kernel needed). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SysError } from '../src/errors.ts';
import { E } from '../src/generated/errno.ts';
import { newTmpfs } from '../src/fs/rootfs.ts';
import { Vfs, O_CREAT, O_RDWR, O_RDONLY, O_EXCL, O_NOFOLLOW, O_DIRECTORY, RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV, type FsContext } from '../src/fs/vfs.ts';
import { Pipe } from '../src/fs/pipe.ts';
import '../src/fs/files.ts';

const clock = () => ({ sec: 1_700_000_000, nsec: 0 });

function setup(uid = 1000) {
  const vfs = new Vfs();
  const { sb, root } = newTmpfs(clock, 1 << 20, 0o755);
  vfs.setRoot(sb, root, 'rootfs');
  const rootLoc = vfs.rootLocation();
  const rootCtx: FsContext = { cred: { uid: 0, gid: 0, pid: 1 }, root: rootLoc, cwd: rootLoc, umask: 0o022 };
  vfs.mkdir(rootCtx, rootLoc, '/tmp', 0o777);
  vfs.chmod(rootCtx, vfs.resolve(rootCtx, rootLoc, '/tmp', true), 0o1777);
  vfs.mkdir(rootCtx, rootLoc, '/secret', 0o700);
  vfs.mkdir(rootCtx, rootLoc, '/mnt', 0o755);
  const other = newTmpfs(clock, 1 << 20, 0o1777);
  vfs.mount(vfs.resolve(rootCtx, rootLoc, '/mnt', true), other.sb, other.root, 'tmpfs');
  const ctx: FsContext = { cred: { uid, gid: uid, pid: 2 }, root: rootLoc, cwd: rootLoc, umask: 0o022 };
  return { vfs, ctx, rootCtx };
}

function errno(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
  return 0;
}

test('resolution: ".", "..", trailing slashes, ENOTDIR, ENOENT, ENAMETOOLONG', () => {
  const { vfs, ctx } = setup();
  vfs.mkdir(ctx, ctx.root, '/tmp/a', 0o755);
  vfs.mkdir(ctx, ctx.root, '/tmp/a/b', 0o755);
  vfs.open(ctx, ctx.root, '/tmp/a/f', O_CREAT | O_RDWR, 0o644).close();
  const b = vfs.resolve(ctx, ctx.root, '/tmp/a/./b/../b/', true);
  assert.equal(vfs.pathOf(b, ctx.root).path, '/tmp/a/b');
  assert.equal(vfs.pathOf(vfs.resolve(ctx, ctx.root, '/../..', true), ctx.root).path, '/');
  assert.equal(errno(() => vfs.resolve(ctx, ctx.root, '/tmp/a/f/', true)), E.ENOTDIR);
  assert.equal(errno(() => vfs.resolve(ctx, ctx.root, '/tmp/a/f/x', true)), E.ENOTDIR);
  assert.equal(errno(() => vfs.resolve(ctx, ctx.root, '/tmp/nope', true)), E.ENOENT);
  assert.equal(errno(() => vfs.resolve(ctx, ctx.root, '/tmp/' + 'x'.repeat(256), true)), E.ENAMETOOLONG);
  assert.equal(errno(() => vfs.resolve(ctx, ctx.root, '/' + 'a/'.repeat(2048), true)), E.ENAMETOOLONG);
  assert.equal(errno(() => vfs.resolve(ctx, ctx.root, '', true)), E.ENOENT);
});

test('symlinks: follow, nofollow, 40-link limit, loops, relative targets', () => {
  const { vfs, ctx } = setup();
  vfs.mkdir(ctx, ctx.root, '/tmp/d', 0o755);
  vfs.open(ctx, ctx.root, '/tmp/d/t', O_CREAT | O_RDWR, 0o644).close();
  vfs.symlink(ctx, 't', ctx.root, '/tmp/d/c0');
  for (let i = 1; i <= 40; i++) vfs.symlink(ctx, `c${i - 1}`, ctx.root, `/tmp/d/c${i}`);
  assert.equal(vfs.resolve(ctx, ctx.root, '/tmp/d/c39', true).inode.isSymlink(), false);
  assert.equal(errno(() => vfs.resolve(ctx, ctx.root, '/tmp/d/c40', true)), E.ELOOP);
  assert.ok(vfs.resolve(ctx, ctx.root, '/tmp/d/c40', false).inode.isSymlink());
  vfs.symlink(ctx, 'loop', ctx.root, '/tmp/d/loop');
  assert.equal(errno(() => vfs.resolve(ctx, ctx.root, '/tmp/d/loop', true)), E.ELOOP);
  assert.equal(errno(() => vfs.open(ctx, ctx.root, '/tmp/d/c1', O_RDONLY | O_NOFOLLOW, 0)), E.ELOOP);
  assert.equal(errno(() => vfs.open(ctx, ctx.root, '/tmp/d/c1', O_RDONLY | O_NOFOLLOW | O_DIRECTORY, 0)), E.ENOTDIR);
  vfs.symlink(ctx, '../d/t', ctx.root, '/tmp/d/rel');
  assert.equal(vfs.resolve(ctx, ctx.root, '/tmp/d/rel', true).inode, vfs.resolve(ctx, ctx.root, '/tmp/d/t', true).inode);
  // O_CREAT through a dangling symlink creates its target.
  vfs.symlink(ctx, 'made', ctx.root, '/tmp/d/dangling');
  vfs.open(ctx, ctx.root, '/tmp/d/dangling', O_CREAT | O_RDWR, 0o600).close();
  assert.ok(vfs.resolve(ctx, ctx.root, '/tmp/d/made', true));
  assert.equal(errno(() => vfs.open(ctx, ctx.root, '/tmp/d/dangling', O_CREAT | O_EXCL | O_RDWR, 0o600)), E.EEXIST);
});

test('openat2 RESOLVE_*: beneath, in-root, no symlinks, no xdev', () => {
  const { vfs, ctx } = setup();
  vfs.mkdir(ctx, ctx.root, '/tmp/j', 0o755);
  vfs.mkdir(ctx, ctx.root, '/tmp/j/sub', 0o755);
  vfs.open(ctx, ctx.root, '/tmp/j/f', O_CREAT | O_RDWR, 0o644).close();
  vfs.symlink(ctx, '/tmp', ctx.root, '/tmp/j/abs');
  vfs.symlink(ctx, 'f', ctx.root, '/tmp/j/lf');
  const j = vfs.resolve(ctx, ctx.root, '/tmp/j', true);
  const f = vfs.resolve(ctx, ctx.root, '/tmp/j/f', true);
  assert.equal(errno(() => vfs.resolve(ctx, j, '../j/f', true, { resolve: RESOLVE_BENEATH })), E.EXDEV);
  assert.equal(errno(() => vfs.resolve(ctx, j, 'abs', true, { resolve: RESOLVE_BENEATH })), E.EXDEV);
  assert.equal(vfs.resolve(ctx, j, 'sub/../f', true, { resolve: RESOLVE_BENEATH }).inode, f.inode);
  assert.equal(vfs.resolve(ctx, j, '/f', true, { resolve: RESOLVE_IN_ROOT }).inode, f.inode);
  assert.equal(vfs.resolve(ctx, j, '../../../f', true, { resolve: RESOLVE_IN_ROOT }).inode, f.inode);
  assert.equal(errno(() => vfs.resolve(ctx, j, 'lf', true, { resolve: RESOLVE_NO_SYMLINKS })), E.ELOOP);
  assert.equal(errno(() => vfs.resolve(ctx, ctx.root, '/mnt', true, { resolve: RESOLVE_NO_XDEV })), E.EXDEV);
});

test('permissions: search, write, sticky directories, chmod/chown for the unprivileged user', () => {
  const { vfs, ctx, rootCtx } = setup();
  assert.equal(errno(() => vfs.open(ctx, ctx.root, '/secret/x', O_CREAT | O_RDWR, 0o644)), E.EACCES);
  assert.equal(errno(() => vfs.mkdir(ctx, ctx.root, '/newdir', 0o755)), E.EACCES);
  vfs.open(rootCtx, ctx.root, '/tmp/rootfile', O_CREAT | O_RDWR, 0o666).close();
  assert.equal(errno(() => vfs.unlink(ctx, ctx.root, '/tmp/rootfile', false)), E.EPERM); // sticky /tmp
  assert.equal(errno(() => vfs.chmod(ctx, vfs.resolve(ctx, ctx.root, '/tmp/rootfile', true), 0o600)), E.EPERM);
  vfs.open(ctx, ctx.root, '/tmp/mine', O_CREAT | O_RDWR, 0o666).close();
  const mine = vfs.resolve(ctx, ctx.root, '/tmp/mine', true);
  assert.equal(mine.inode.mode & 0o777, 0o644); // umask 022
  assert.equal(errno(() => vfs.chown(ctx, mine, 0, -1)), E.EPERM);
  vfs.chmod(ctx, mine, 0);
  assert.equal(errno(() => vfs.open(ctx, ctx.root, '/tmp/mine', O_RDONLY, 0)), E.EACCES);
  assert.ok(vfs.open(rootCtx, ctx.root, '/tmp/mine', O_RDONLY, 0)); // root reads anyway
  vfs.unlink(ctx, ctx.root, '/tmp/mine', false);
});

test('tmpfs: data survives unlink while open; rename exchange; EXDEV across mounts; getdents', () => {
  const { vfs, ctx } = setup();
  const f = vfs.open(ctx, ctx.root, '/tmp/data', O_CREAT | O_RDWR, 0o644);
  assert.equal(f.write(new TextEncoder().encode('hello')), 5);
  vfs.unlink(ctx, ctx.root, '/tmp/data', false);
  const d = f.pread(5, 0);
  assert.ok(d instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(d), 'hello');
  f.close();
  vfs.mkdir(ctx, ctx.root, '/tmp/x', 0o755);
  vfs.open(ctx, ctx.root, '/tmp/y', O_CREAT | O_RDWR, 0o644).close();
  const x = vfs.resolve(ctx, ctx.root, '/tmp/x', true).inode;
  vfs.rename(ctx, ctx.root, '/tmp/x', ctx.root, '/tmp/y', 2 /* RENAME_EXCHANGE */);
  assert.equal(vfs.resolve(ctx, ctx.root, '/tmp/y', true).inode, x);
  assert.equal(errno(() => vfs.rename(ctx, ctx.root, '/tmp/x', ctx.root, '/mnt/x', 0)), E.EXDEV);
  assert.equal(errno(() => vfs.rename(ctx, ctx.root, '/tmp/y', ctx.root, '/tmp/y/z', 0)), E.EINVAL);
  vfs.mkdir(ctx, ctx.root, '/mnt/m', 0o755);
  const m = vfs.resolve(ctx, ctx.root, '/mnt/m/..', true);
  assert.equal(vfs.pathOf(m, ctx.root).path, '/mnt');
  const dir = vfs.open(ctx, ctx.root, '/tmp', O_RDONLY | O_DIRECTORY, 0);
  const ents = dir.getdents(100);
  assert.ok(Array.isArray(ents));
  assert.deepEqual(ents.map((e) => e.name).sort(), ['.', '..', 'rootfile', 'x', 'y'].filter((n) => n !== 'rootfile').concat([]).sort());
});

test('pipes: page slots, PIPE_BUF atomicity, EPIPE, EOF', () => {
  const p = new Pipe();
  p.readers = 1;
  p.writers = 1;
  assert.equal(p.write(new Uint8Array(70000)), 65536);
  assert.equal(p.write(new Uint8Array(1)), -E.EAGAIN);
  const r = p.read(4000);
  assert.ok(r instanceof Uint8Array && r.length === 4000);
  assert.equal(p.write(new Uint8Array(4000)), -E.EAGAIN); // no whole slot free
  const r2 = p.read(100);
  assert.ok(r2 instanceof Uint8Array && r2.length === 100);
  assert.equal(p.write(new Uint8Array(100)), 100); // the first page emptied: a slot is free
  p.read(70000);
  assert.equal(p.write(new Uint8Array(10)), 10);
  assert.equal(p.write(new Uint8Array(10)), 10); // merged into the same page
  p.writers = 0;
  const all = p.read(100);
  assert.ok(all instanceof Uint8Array && all.length === 20);
  const eof = p.read(100);
  assert.ok(eof instanceof Uint8Array && eof.length === 0);
  p.readers = 0;
  assert.equal(p.write(new Uint8Array(1)), -E.EPIPE);
});
