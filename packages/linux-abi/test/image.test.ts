/** The root image format and its Merkle verification (fs/image.ts, fs/config.ts, fs/imagefs.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildImage, imageIdentity, merkleRoot, leafHash, VerifiedImage, IntegrityError, IMAGE_BLOCK, type ImageNode } from '../src/fs/image.ts';
import { encodeConfigPage, findConfigPage, withConfigPage } from '../src/fs/config.ts';
import { ImageFs } from '../src/fs/imagefs.ts';
import { SysError } from '../src/errors.ts';
import '../src/fs/files.ts';

const enc = new TextEncoder();
function tree(): ImageNode {
  const big = new Uint8Array(3 * IMAGE_BLOCK + 123).map((_, i) => (i * 13 + (i >> 12) * 7) & 255);
  return {
    type: 'dir', mode: 0o755, entries: new Map<string, ImageNode>([
      ['etc', { type: 'dir', mode: 0o755, entries: new Map<string, ImageNode>([['motd', { type: 'file', mode: 0o644, data: enc.encode('hello\n') }]]) }],
      ['big', { type: 'file', mode: 0o600, data: big }],
      ['link', { type: 'symlink', target: 'etc/motd' }],
      ['empty', { type: 'file', mode: 0o644, data: new Uint8Array(0) }],
    ]),
  };
}

function verifier(bytes: Uint8Array, blocks: number, root: Uint8Array, chunk = 2 * IMAGE_BLOCK, log: string[] = []) {
  return new VerifiedImage((off, len) => (off + len <= bytes.length ? bytes.slice(off, off + len) : -5), blocks, root, chunk, (l) => log.push(l));
}

test('image: identity recomputed from the file equals the builder\'s', () => {
  const img = buildImage(tree());
  assert.equal(img.bytes.length, img.blocks * (IMAGE_BLOCK + 32));
  const id = imageIdentity(img.bytes);
  assert.equal(id.blocks, img.blocks);
  assert.deepEqual(id.root, img.root);
});

test('merkle: one leaf is its own root; odd levels carry the last node up', () => {
  const a = leafHash(new Uint8Array(IMAGE_BLOCK)), b = leafHash(new Uint8Array(IMAGE_BLOCK).fill(1));
  assert.deepEqual(merkleRoot(a), a);
  const three = new Uint8Array(96);
  three.set(a, 0); three.set(b, 32); three.set(a, 64);
  const two = new Uint8Array(64);
  two.set(a, 0); two.set(b, 32);
  assert.notDeepEqual(merkleRoot(three), merkleRoot(two));
});

test('image: every block verifies; every single byte flip in any block is detected', () => {
  const img = buildImage(tree());
  const ok = verifier(img.bytes, img.blocks, img.root);
  assert.equal(ok.readBlocks(0, img.blocks).length, img.blocks * IMAGE_BLOCK);
  for (let b = 0; b < img.blocks; b++) {
    for (const at of [0, 1, 2047, 4095]) {
      const bad = img.bytes.slice();
      bad[b * IMAGE_BLOCK + at] ^= 0x01;
      const log: string[] = [];
      const v = verifier(bad, img.blocks, img.root, 2 * IMAGE_BLOCK, log);
      v.init(); // the hash area is intact
      assert.throws(() => v.readBlocks(b, 1), IntegrityError);
      assert.match(log.join('\n'), new RegExp(`block ${b} fails verification`));
      // The other blocks still read.
      if (b > 0) assert.equal(v.readBlocks(0, 1).length, IMAGE_BLOCK);
    }
  }
});

test('image: a changed hash area, a wrong root, a short read are refused at mount', () => {
  const img = buildImage(tree());
  const bad = img.bytes.slice();
  bad[img.blocks * IMAGE_BLOCK + 5] ^= 0x80;
  assert.throws(() => verifier(bad, img.blocks, img.root).init(), IntegrityError);
  const wrong = img.root.slice();
  wrong[0] ^= 1;
  assert.throws(() => verifier(img.bytes, img.blocks, wrong).init(), IntegrityError);
  assert.throws(() => verifier(img.bytes.slice(0, img.bytes.length - 1), img.blocks, img.root).init(), IntegrityError);
  // A leaf level claiming fewer blocks does not hash to the root either.
  assert.throws(() => verifier(img.bytes, img.blocks - 1, img.root).init(), IntegrityError);
});

test('imagefs: lookups, contents, symlinks; a flipped content byte is EIO at read time', () => {
  const img = buildImage(tree());
  const bytes = img.bytes.slice();
  const fs = new ImageFs(verifier(bytes, img.blocks, img.root), () => ({ sec: 0, nsec: 0 }));
  const root = fs.mount();
  const cred = { uid: 0, gid: 0, pid: 1 };
  assert.deepEqual(root.list(cred).map(([n]) => n), ['big', 'empty', 'etc', 'link']);
  const etc = root.lookup('etc', cred)!;
  assert.ok(etc.isDir());
  const motd = etc.lookup('motd', cred)! as unknown as { readContents(p: number, l: number): Uint8Array; size(): number };
  assert.equal(new TextDecoder().decode(motd.readContents(0, 100)), 'hello\n');
  assert.equal(root.lookup('link', cred)!.readlink(cred), 'etc/motd');
  assert.equal(root.lookup('nope', cred), null);
  const big = root.lookup('big', cred)! as unknown as { readContents(p: number, l: number): Uint8Array; size(): number; stat(): { mode: number } };
  assert.equal(big.size(), 3 * IMAGE_BLOCK + 123);
  assert.equal(big.stat().mode & 0o7777, 0o600);
  const data = big.readContents(0, big.size());
  assert.equal(data[IMAGE_BLOCK + 7], ((IMAGE_BLOCK + 7) * 13 + 7) & 255);
  // Find the block holding big's second block and flip a byte there after mount.
  const needle = data.subarray(IMAGE_BLOCK, IMAGE_BLOCK + 64);
  let at = -1;
  for (let o = 0; o < img.blocks * IMAGE_BLOCK; o += IMAGE_BLOCK) if (bytes.subarray(o, o + 64).every((x, i) => x === needle[i])) at = o;
  assert.ok(at > 0);
  bytes[at + 100] ^= 0xff;
  assert.throws(() => big.readContents(IMAGE_BLOCK, 10), (e: unknown) => e instanceof SysError && e.errno === 5);
});

test('config page: found at the end of the application image, and only there', () => {
  const app = new Uint8Array(5000).fill(7);
  const root = new Uint8Array(32).fill(9);
  const withCfg = withConfigPage(app, { rootImage: { blocks: 12, root } });
  assert.equal(withCfg.length, 3 * 4096);
  const c = findConfigPage(withCfg)!;
  assert.equal(c.rootImage!.blocks, 12);
  assert.deepEqual(c.rootImage!.root, root);
  assert.equal(findConfigPage(app), null);
  assert.equal(findConfigPage(new Uint8Array(8192)), null);
  assert.deepEqual(findConfigPage(withConfigPage(app, { rootImage: null })), { rootImage: null, mounts: [] });
  assert.equal(encodeConfigPage({ rootImage: null }).length, 4096);
});

test('config page: the host mount table is part of it (and so of the measurement)', () => {
  const app = new Uint8Array(100);
  const mounts = [{ at: '/mnt/data', readonly: false }, { at: '/srv', readonly: true }];
  const c = findConfigPage(withConfigPage(app, { rootImage: null, mounts }))!;
  assert.deepEqual(c.mounts, mounts);
  const a = withConfigPage(app, { rootImage: null, mounts });
  const b = withConfigPage(app, { rootImage: null, mounts: [mounts[0], { at: '/srv', readonly: false }] });
  assert.notDeepEqual(a, b);
});
