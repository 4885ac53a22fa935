/**
 * The root file system image: its format, its Merkle tree, the builder (pure: the host's
 * `teeos run --root DIR` feeds it a directory tree) and the enclave's verifier.
 *
 * Format, version 1 (all integers little-endian, B = 4096-byte blocks):
 *
 *   block 0        superblock
 *                    +0  "TEEOSIMG"   +8 u32 version (1)   +12 u32 block size (4096)
 *                    +16 u64 N, the data blocks (0..N-1, this one included)
 *                    +24 u64 I, the inodes  +32 u64 inode table offset (4096)  +40 u64 root inode (1)
 *   block 1..      inode table: I records of 64 bytes, inode n at 4096 + (n-1)*64
 *                    +0 u32 mode (S_IF* | permissions)  +4 u32 uid  +8 u32 gid  +12 u32 nlink
 *                    +16 u64 size  +24 u64 offset of the contents (block aligned)
 *                    +32 i64 mtime seconds  +40 u32 mtime nanoseconds  +44..63 zero
 *   then           contents, each starting on a block boundary: a file's bytes, a symlink's
 *                  target, a directory's table: its entries sorted by name (bytewise), each
 *                    u32 ino, u8 d_type, u8 0, u16 name length, the name, zero-padded to 8 bytes
 *   after block N  the hash area: N leaf hashes of 32 bytes (not trusted: recomputed to the root)
 *
 * Merkle tree over the N data blocks, SHA-256 with domain separation:
 *   leaf i = SHA-256(0x00 || block i); parent = SHA-256(0x01 || left || right);
 *   a level's odd last node is carried up unchanged; the root is the last level's one node.
 * The root (and N) are bound into the enclave measurement through the measured config page
 * (config.ts); the enclave recomputes the root from the hash area at mount, then checks every
 * block it reads against its leaf: a host that changes any byte is caught at that read (EIO).
 */
import { sha256 } from '@noble/hashes/sha2.js';

export const IMAGE_BLOCK = 4096;
export const IMAGE_MAGIC = 'TEEOSIMG';
export const IMAGE_VERSION = 1;
export const INODE_SIZE = 64;
const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000;

const enc = new TextEncoder();

// ------------------------------------------------------------------------------------
// Merkle tree

export function leafHash(block: Uint8Array): Uint8Array {
  const b = new Uint8Array(1 + block.length);
  b.set(block, 1);
  return sha256(b);
}

function nodeHash(l: Uint8Array, r: Uint8Array): Uint8Array {
  const b = new Uint8Array(65);
  b[0] = 1;
  b.set(l, 1);
  b.set(r, 33);
  return sha256(b);
}

/** The root over leaf hashes given back to back (32 bytes each). */
export function merkleRoot(leaves: Uint8Array): Uint8Array {
  const n = leaves.length / 32;
  if (!Number.isInteger(n) || n < 1) throw new RangeError('merkleRoot: no leaves');
  let level: Uint8Array[] = [];
  for (let i = 0; i < n; i++) level.push(leaves.subarray(i * 32, i * 32 + 32));
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i], level[i + 1]));
    if (level.length % 2) next.push(level[level.length - 1]);
    level = next;
  }
  return Uint8Array.from(level[0]);
}

// ------------------------------------------------------------------------------------
// builder

export type ImageNode =
  | { type: 'dir'; mode: number; mtime?: number; uid?: number; gid?: number; entries: Map<string, ImageNode> }
  | { type: 'file'; mode: number; mtime?: number; uid?: number; gid?: number; data: Uint8Array }
  | { type: 'symlink'; mtime?: number; uid?: number; gid?: number; target: string };

export interface BuiltImage {
  /** The whole image file: N data blocks, then the hash area. */
  bytes: Uint8Array;
  blocks: number;
  root: Uint8Array;
}

const up = (n: number) => Math.ceil(n / IMAGE_BLOCK) * IMAGE_BLOCK;

/** Lays a tree out as an image (inode 1 is the root directory). */
export function buildImage(rootNode: ImageNode): BuiltImage {
  if (rootNode.type !== 'dir') throw new Error('the image root must be a directory');
  // Number the inodes breadth first; hard links are not represented (each name its own inode).
  const nodes: ImageNode[] = [rootNode];
  const parentOf: number[] = [1];
  const dirEntries = new Map<number, { name: string; ino: number }[]>();
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (n.type !== 'dir') continue;
    const names = [...n.entries.keys()].sort((a, b) => byteCompare(enc.encode(a), enc.encode(b)));
    const list: { name: string; ino: number }[] = [];
    for (const name of names) {
      if (name === '' || name === '.' || name === '..' || name.includes('/') || enc.encode(name).length > 255) throw new Error(`bad name in image: '${name}'`);
      nodes.push(n.entries.get(name)!);
      parentOf.push(i + 1);
      list.push({ name, ino: nodes.length });
    }
    dirEntries.set(i + 1, list);
  }
  const contents: Uint8Array[] = nodes.map((n, i) => {
    if (n.type === 'file') return n.data;
    if (n.type === 'symlink') return enc.encode(n.target);
    const parts: number[] = [];
    for (const e of dirEntries.get(i + 1)!) {
      const name = enc.encode(e.name);
      const rec = new Uint8Array(Math.ceil((8 + name.length) / 8) * 8);
      const dv = new DataView(rec.buffer);
      dv.setUint32(0, e.ino, true);
      rec[4] = (modeOf(nodes[e.ino - 1]) >>> 12) & 15;
      dv.setUint16(6, name.length, true);
      rec.set(name, 8);
      for (const b of rec) parts.push(b);
    }
    return Uint8Array.from(parts);
  });
  const tableBytes = nodes.length * INODE_SIZE;
  let off = IMAGE_BLOCK + up(tableBytes);
  const offsets = contents.map((c) => { const o = off; off += up(c.length); return o; });
  const blocks = off / IMAGE_BLOCK;
  const bytes = new Uint8Array(blocks * IMAGE_BLOCK + blocks * 32);
  const dv = new DataView(bytes.buffer);
  bytes.set(enc.encode(IMAGE_MAGIC), 0);
  dv.setUint32(8, IMAGE_VERSION, true);
  dv.setUint32(12, IMAGE_BLOCK, true);
  dv.setBigUint64(16, BigInt(blocks), true);
  dv.setBigUint64(24, BigInt(nodes.length), true);
  dv.setBigUint64(32, BigInt(IMAGE_BLOCK), true);
  dv.setBigUint64(40, 1n, true);
  nodes.forEach((n, i) => {
    const o = IMAGE_BLOCK + i * INODE_SIZE;
    const subdirs = n.type === 'dir' ? [...n.entries.values()].filter((c) => c.type === 'dir').length : 0;
    dv.setUint32(o, modeOf(n), true);
    dv.setUint32(o + 4, n.uid ?? 0, true);
    dv.setUint32(o + 8, n.gid ?? 0, true);
    dv.setUint32(o + 12, n.type === 'dir' ? 2 + subdirs : 1, true);
    dv.setBigUint64(o + 16, BigInt(contents[i].length), true);
    dv.setBigUint64(o + 24, BigInt(offsets[i]), true);
    const mt = n.mtime ?? 0;
    dv.setBigInt64(o + 32, BigInt(Math.floor(mt)), true);
    dv.setUint32(o + 40, Math.floor((mt - Math.floor(mt)) * 1e9), true);
    bytes.set(contents[i], offsets[i]);
  });
  const leaves = bytes.subarray(blocks * IMAGE_BLOCK);
  for (let b = 0; b < blocks; b++) leaves.set(leafHash(bytes.subarray(b * IMAGE_BLOCK, (b + 1) * IMAGE_BLOCK)), b * 32);
  return { bytes, blocks, root: merkleRoot(leaves) };
}

function byteCompare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function modeOf(n: ImageNode): number {
  if (n.type === 'dir') return S_IFDIR | (n.mode & 0o7777);
  if (n.type === 'file') return S_IFREG | (n.mode & 0o7777);
  return S_IFLNK | 0o777;
}

/** The root hash and block count of an image file, computed from its bytes (the host's check of a prebuilt image). */
export function imageIdentity(bytes: Uint8Array): { blocks: number; root: Uint8Array } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < IMAGE_BLOCK || new TextDecoder().decode(bytes.subarray(0, 8)) !== IMAGE_MAGIC) throw new Error('not a TEE OS root image');
  if (dv.getUint32(8, true) !== IMAGE_VERSION || dv.getUint32(12, true) !== IMAGE_BLOCK) throw new Error('unsupported root image version');
  const blocks = Number(dv.getBigUint64(16, true));
  if (bytes.length !== blocks * (IMAGE_BLOCK + 32)) throw new Error('root image size does not match its block count');
  const leaves = new Uint8Array(blocks * 32);
  for (let b = 0; b < blocks; b++) leaves.set(leafHash(bytes.subarray(b * IMAGE_BLOCK, (b + 1) * IMAGE_BLOCK)), b * 32);
  return { blocks, root: merkleRoot(leaves) };
}

// ------------------------------------------------------------------------------------
// the enclave's verifier

/** Reads bytes of the image from the (untrusted) host: bytes, or a negative errno. */
export type ImageReader = (offset: number, len: number) => Uint8Array | number;

export class IntegrityError extends Error {}

/**
 * Blocks of an image, each checked against the Merkle tree whose root was measured. The leaf
 * level is fetched once and recomputed to the root before anything is believed.
 */
export class VerifiedImage {
  private leaves: Uint8Array | null = null;
  /** Verified blocks kept (a small cache: directory tables and inode blocks are read often). */
  private readonly cache = new Map<number, Uint8Array>();
  private static readonly CACHE_BLOCKS = 64;

  constructor(private readonly read: ImageReader, readonly blocks: number, private readonly root: Uint8Array,
    private readonly maxChunk: number, private readonly log: (line: string) => void) {}

  private fetch(offset: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let done = 0; done < len;) {
      const n = Math.min(this.maxChunk, len - done);
      const r = this.read(offset + done, n);
      if (typeof r === 'number' || r.length !== n) {
        throw new IntegrityError(`host read of ${n} bytes at ${offset + done} failed (${typeof r === 'number' ? r : `short: ${r.length}`})`);
      }
      out.set(r, done);
      done += n;
    }
    return out;
  }

  /** Loads and checks the leaf level (idempotent). */
  init(): void {
    if (this.leaves) return;
    const leaves = this.fetch(this.blocks * IMAGE_BLOCK, this.blocks * 32);
    const root = merkleRoot(leaves);
    if (!eq(root, this.root)) {
      this.log('root image: the hash tree from the host does not match the measured root hash');
      throw new IntegrityError('hash tree mismatch');
    }
    this.leaves = leaves;
  }

  /** Blocks [first, first+count), every one checked; throws IntegrityError (logged) on a mismatch. */
  readBlocks(first: number, count: number): Uint8Array {
    this.init();
    if (first < 0 || count < 0 || first + count > this.blocks) throw new IntegrityError(`block range ${first}+${count} outside the image`);
    const out = new Uint8Array(count * IMAGE_BLOCK);
    let i = 0;
    while (i < count) {
      const c = this.cache.get(first + i);
      if (c) { out.set(c, i * IMAGE_BLOCK); i++; continue; }
      let run = 1;
      while (i + run < count && !this.cache.has(first + i + run) && (run + 1) * IMAGE_BLOCK <= this.maxChunk) run++;
      const data = this.fetch((first + i) * IMAGE_BLOCK, run * IMAGE_BLOCK);
      for (let j = 0; j < run; j++) {
        const b = data.subarray(j * IMAGE_BLOCK, (j + 1) * IMAGE_BLOCK);
        const want = this.leaves!.subarray((first + i + j) * 32, (first + i + j + 1) * 32);
        if (!eq(leafHash(b), want)) {
          this.log(`root image: block ${first + i + j} fails verification: the host changed the image (EIO)`);
          throw new IntegrityError(`block ${first + i + j} altered`);
        }
      }
      out.set(data, i * IMAGE_BLOCK);
      i += run;
    }
    return out;
  }

  /** One block, kept in the small cache. */
  block(n: number): Uint8Array {
    const c = this.cache.get(n);
    if (c) return c;
    const b = this.readBlocks(n, 1);
    if (this.cache.size >= VerifiedImage.CACHE_BLOCKS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(n, b);
    return b;
  }

  /** Bytes [offset, offset+len) of the image, every block they touch checked. */
  readBytes(offset: number, len: number): Uint8Array {
    if (len <= 0) return new Uint8Array(0);
    const first = Math.floor(offset / IMAGE_BLOCK);
    const last = Math.floor((offset + len - 1) / IMAGE_BLOCK);
    const b = last === first ? this.block(first) : this.readBlocks(first, last - first + 1);
    const start = offset - first * IMAGE_BLOCK;
    return b.slice(start, start + len);
  }
}

function eq(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export { S_IFMT, S_IFDIR, S_IFREG, S_IFLNK };
