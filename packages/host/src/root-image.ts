/**
 * `--root PATH`: the root file system image, built on the host. PATH is a directory (an image
 * of it is built into a temporary file, removed at exit) or an image file made before
 * (`teeos mkimage DIR -o FILE`). The format and its Merkle tree are described in
 * packages/linux-abi/src/fs/image.ts; the root hash goes into the measured config page
 * (packages/linux-abi/src/fs/config.ts), so the image is part of the enclave's identity.
 *
 * What the builder keeps of DIR: directories, regular files and symlinks with their mode bits
 * and mtimes; every owner becomes root (0:0), as `mksquashfs -all-root` does; hard links are
 * stored as separate files; sockets, FIFOs and device nodes are skipped (with a warning).
 * The directories /tmp, /dev and /proc are added when DIR lacks them (the kernel mounts tmpfs,
 * devtmpfs and procfs on them).
 */
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, imageIdentity, type ImageNode, type BuiltImage } from '@teeos/linux-abi/image';

function walk(path: string, warn: (line: string) => void): ImageNode | null {
  const st = lstatSync(path);
  const mtime = st.mtimeMs / 1000;
  if (st.isSymbolicLink()) return { type: 'symlink', target: readlinkSync(path), mtime };
  if (st.isFile()) return { type: 'file', mode: st.mode & 0o7777, data: readFileSync(path), mtime };
  if (st.isDirectory()) {
    const entries = new Map<string, ImageNode>();
    for (const name of readdirSync(path)) {
      const n = walk(join(path, name), warn);
      if (n) entries.set(name, n);
    }
    return { type: 'dir', mode: st.mode & 0o7777, entries, mtime };
  }
  warn(`root image: skipping ${path} (not a file, directory or symlink)`);
  return null;
}

/** The image of a host directory. */
export function imageOfDir(dir: string, warn: (line: string) => void = () => {}): BuiltImage {
  const root = walk(dir, warn);
  if (!root || root.type !== 'dir') throw new Error(`${dir}: not a directory`);
  root.mode = root.mode & 0o7777 || 0o755;
  const add = (name: string, mode: number) => {
    if (!root.entries.has(name)) root.entries.set(name, { type: 'dir', mode, entries: new Map(), mtime: 0 });
  };
  add('tmp', 0o1777);
  add('dev', 0o755);
  add('proc', 0o555);
  return buildImage(root);
}

export interface PreparedRoot {
  /** The image file the host serves. */
  file: string;
  blocks: number;
  root: Uint8Array;
  /** Removes a temporary image. */
  cleanup(): void;
}

/** PATH as a served image: a directory is built into a temporary file; an image file is checked. */
export function prepareRoot(path: string, warn: (line: string) => void = () => {}): PreparedRoot {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new Error(`--root ${path}: No such file or directory`);
  }
  if (st.isDirectory()) {
    const img = imageOfDir(path, warn);
    const tmp = mkdtempSync(join(tmpdir(), 'teeos-root-'));
    const file = join(tmp, 'root.img');
    writeFileSync(file, img.bytes);
    return { file, blocks: img.blocks, root: img.root, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
  }
  const id = imageIdentity(readFileSync(path));
  return { file: path, blocks: id.blocks, root: id.root, cleanup: () => {} };
}
