/**
 * name_to_handle_at and open_by_handle_at (fs/fhandle.c, fs/exportfs/expfs.c, mm/shmem.c's
 * export operations).
 *
 * Only tmpfs (and devtmpfs, which is shmem; memfd files too) has export operations here, as in
 * Linux: its handles are shmem_encode_fh's, type 1 (FILEID_INO32_GEN) and 12 bytes: the inode's
 * generation (a random u32 given the first time a handle is made; Linux draws it at creation),
 * then the inode number's low and high 32 bits. File systems without export operations (procfs,
 * pipes and sockets, host mounts, the root image, a file another enclave serves) answer
 * EOPNOTSUPP, except with AT_HANDLE_FID, where Linux's default encoder makes an 8-byte
 * FILEID_INO32_GEN identifier (inode number, generation 0 here) that cannot be opened.
 * A handle_bytes too small: EOVERFLOW, handle_bytes set to the size needed and handle_type to
 * FILEID_INVALID (255). The mount id is the one statx's STATX_MNT_ID reports (with
 * AT_HANDLE_MNT_ID_UNIQUE, the same number as a u64: this kernel's mount ids are never reused).
 * AT_HANDLE_CONNECTABLE is accepted (shmem encodes no parent, so the handle is the same).
 *
 * open_by_handle_at needs CAP_DAC_READ_SEARCH (may_decode_fh; the user namespace relaxations do
 * not apply without user namespaces): EPERM for a user, after the handle's header and the mount
 * descriptor are checked. Root: the inode is looked up on the super block of the mount the
 * descriptor names (shmem_fh_to_dentry: inode number and generation), ESTALE when it is gone
 * (unlinked and no longer open) or on another file system, then opened with the given flags.
 */
import { E, SysError } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import type { Inode, SuperBlock } from '../fs/inode.ts';
import type { Location } from '../fs/vfs.ts';
import { AT_EMPTY_PATH, AT_FDCWD, fileOf, resolveAt } from './fs-common.ts';
import { fsContext, fsOf } from '../fs/context.ts';
import { TMPFS_MAGIC } from '../fs/rootfs.ts';
import { O_CLOEXEC } from '../fs/vfs.ts';

// include/uapi/linux/fcntl.h
const AT_SYMLINK_FOLLOW = 0x400, AT_HANDLE_FID = 0x200, AT_HANDLE_MNT_ID_UNIQUE = 0x001, AT_HANDLE_CONNECTABLE = 0x002;
// include/linux/exportfs.h
const MAX_HANDLE_SZ = 128, FILEID_INO32_GEN = 1, FILEID_INVALID = 255;
const FILEID_USER_FLAGS_MASK = 0xffff0000, FILEID_VALID_USER_FLAGS = 0x10000 | 0x20000;

const generations = new WeakMap<Inode, number>();
/** The inodes a handle was made for, by super block and number (the inode hash shmem_encode_fh inserts them into). */
const hashed = new WeakMap<SuperBlock, Map<number, WeakRef<Inode>>>();

const exportable = (i: Inode): boolean => i.sb.magic === TMPFS_MAGIC;

function generation(k: { platform: { random(b: Uint8Array): void } }, i: Inode): number {
  let g = generations.get(i);
  if (g === undefined) {
    const b = new Uint8Array(4);
    k.platform.random(b);
    g = new DataView(b.buffer).getUint32(0, true);
    generations.set(i, g);
    let m = hashed.get(i.sb);
    if (!m) hashed.set(i.sb, (m = new Map()));
    m.set(i.ino, new WeakRef(i));
  }
  return g;
}

export function registerFhandle(tab: SyscallTable): void {
  tab.def('name_to_handle_at', 'fspps', (k, t, a) => {
    const flags = a.i32(4);
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH | AT_HANDLE_FID | AT_HANDLE_MNT_ID_UNIQUE | AT_HANDLE_CONNECTABLE)) return -E.EINVAL;
    if (flags & AT_HANDLE_CONNECTABLE && flags & AT_HANDLE_FID) return -E.EINVAL;
    if (!a.u(1) && !(flags & AT_EMPTY_PATH)) return -E.EFAULT; // getname_flags: NULL is "" only with AT_EMPTY_PATH
    const path = a.u(1) ? t.proc.as.readCString(a.u(1), 4096) : '';
    const at = resolveAt(k, t, a.i32(0), path, flags & AT_EMPTY_PATH, (flags & AT_SYMLINK_FOLLOW) !== 0);
    const inode = at.loc?.inode ?? null;
    const fid = (flags & AT_HANDLE_FID) !== 0;
    if (!inode || (!exportable(inode) && !fid)) return -E.EOPNOTSUPP;
    const hdr = new DataView(t.proc.as.copyIn(a.u(2), 8).buffer);
    const have = hdr.getUint32(0, true);
    if (have > MAX_HANDLE_SZ) return -E.EINVAL;
    let words: number[];
    if (exportable(inode)) words = [generation(k, inode), inode.ino >>> 0, Math.floor(inode.ino / 2 ** 32) >>> 0];
    else words = [inode.ino >>> 0, 0]; // exportfs_encode_inode_fh
    const need = words.length * 4;
    let ret = 0;
    const out = new Uint8Array(8 + (need <= have ? need : 0));
    const dv = new DataView(out.buffer);
    dv.setUint32(0, need, true);
    if (need > have) {
      dv.setInt32(4, FILEID_INVALID, true);
      ret = -E.EOVERFLOW;
    } else {
      dv.setInt32(4, FILEID_INO32_GEN, true);
      words.forEach((w, i) => dv.setUint32(8 + i * 4, w, true));
    }
    const mnt = at.loc!.mnt.id;
    const id = new Uint8Array(flags & AT_HANDLE_MNT_ID_UNIQUE ? 8 : 4);
    new DataView(id.buffer).setUint32(0, mnt, true);
    try {
      t.proc.as.copyOut(a.u(3), id);
    } catch {
      ret = -E.EFAULT;
    }
    t.proc.as.copyOut(a.u(2), out);
    return ret;
  });

  tab.def('open_by_handle_at', 'fpx', (k, t, a) => {
    const hdr = new DataView(t.proc.as.copyIn(a.u(1), 8).buffer);
    const bytes = hdr.getUint32(0, true), type = hdr.getInt32(4, true);
    if (bytes > MAX_HANDLE_SZ || bytes === 0) return -E.EINVAL;
    if (type < 0 || ((type & FILEID_USER_FLAGS_MASK) >>> 0) & ~FILEID_VALID_USER_FLAGS) return -E.EINVAL;
    // get_path_anchor: the current directory or the descriptor's location.
    const mfd = a.i32(0);
    const ctx = fsContext(k, t);
    let anchor: Location | null;
    if (mfd === AT_FDCWD) anchor = ctx.cwd;
    else anchor = fileOf(t, mfd).loc ?? null;
    if (k.config.uid !== 0) return -E.EPERM; // may_decode_fh: no CAP_DAC_READ_SEARCH
    const raw = t.proc.as.copyIn(a.u(1) + 8, bytes);
    if (!anchor || !exportable(anchor.inode)) return -E.ESTALE; // exportfs_decode_fh_raw: no fh_to_dentry
    if (bytes < 12) return -E.ESTALE; // shmem_fh_to_dentry: fh_len < 3
    const w = new DataView(raw.buffer, raw.byteOffset);
    const gen = w.getUint32(0, true), ino = w.getUint32(4, true) + w.getUint32(8, true) * 2 ** 32;
    const inode = hashed.get(anchor.inode.sb)?.get(ino)?.deref();
    if (!inode || generations.get(inode) !== gen || (inode.nlink === 0 && inode.opens === 0)) return -E.ESTALE;
    const flags = a.i32(2);
    try {
      const f = fsOf(k).vfs.finishOpen(ctx, { mnt: anchor.mnt, inode }, flags, false);
      const fd = t.proc.fds.install(f, (flags & O_CLOEXEC) !== 0);
      if (fd < 0) f.close();
      return fd;
    } catch (e) {
      if (e instanceof SysError) return -e.errno;
      throw e;
    }
  }, 'partial', 'root only (EPERM for a user, as without CAP_DAC_READ_SEARCH)');
}
