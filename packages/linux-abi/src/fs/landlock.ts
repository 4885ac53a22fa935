/**
 * Landlock's file-system enforcement (security/landlock/fs.c, ruleset.c): what the VFS asks
 * before it opens, creates, removes, links, renames or truncates, for a task whose FsContext
 * carries a domain. A domain is a stack of layers (one per landlock_restrict_self, at most 16);
 * each layer handles a set of access rights (REFER always, as LANDLOCK_ACCESS_FS_INITIALLY_DENIED)
 * and holds rules: an inode and the rights granted beneath it (rights the layer does not handle
 * are granted by every rule: landlock_append_fs_rule's absolute form). An access is allowed when
 * every layer that handles it finds, on the target or one of its ancestors (walking up to the
 * real root through mount points, the mount point itself hidden: is_access_to_paths_allowed), a
 * rule granting it. Denials are EACCES; a link or rename to another directory needs REFER on
 * both (EXDEV without it) and must not give the file rights it did not have (EXDEV), EACCES
 * winning over EXDEV (current_check_refer_path).
 *
 * The hooks cost unrestricted tasks one comparison (ctx.landlock is null).
 */
import { E, SysError } from '../errors.ts';
import type { Inode } from './inode.ts';
import type { OpenFile } from './file.ts';
import type { Location } from './vfs.ts';

// include/uapi/linux/landlock.h (Linux 6.18): the file-system rights of ABI 1..3.
export const LL_FS_EXECUTE = 1 << 0, LL_FS_WRITE_FILE = 1 << 1, LL_FS_READ_FILE = 1 << 2, LL_FS_READ_DIR = 1 << 3;
export const LL_FS_REMOVE_DIR = 1 << 4, LL_FS_REMOVE_FILE = 1 << 5, LL_FS_MAKE_CHAR = 1 << 6, LL_FS_MAKE_DIR = 1 << 7;
export const LL_FS_MAKE_REG = 1 << 8, LL_FS_MAKE_SOCK = 1 << 9, LL_FS_MAKE_FIFO = 1 << 10, LL_FS_MAKE_BLOCK = 1 << 11;
export const LL_FS_MAKE_SYM = 1 << 12, LL_FS_REFER = 1 << 13, LL_FS_TRUNCATE = 1 << 14;
/** LANDLOCK_MASK_ACCESS_FS of ABI 3 (LANDLOCK_ACCESS_FS_IOCTL_DEV, ABI 5, is not enforced here). */
export const LL_MASK_ACCESS_FS = (LL_FS_TRUNCATE << 1) - 1;
/** ACCESS_FILE (fs.c): the rights a rule on a non-directory may grant. */
export const LL_ACCESS_FILE = LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE;
/** LANDLOCK_MAX_NUM_LAYERS (limits.h). */
export const LL_MAX_NUM_LAYERS = 16;

/**
 * Rules by inode, named as Landlock's object is (the inode, not a dentry): its super block and
 * number, so a file system that makes its inodes on each lookup (procfs) still meets its rules.
 * Each keeps where it was named (the sgx fork checkpoint carries rules by path).
 */
export class LandlockRules {
  private readonly m = new Map<object, Map<number, { access: number; loc: Location }>>();
  get(i: Inode): number | undefined {
    return this.m.get(i.sb)?.get(i.ino)?.access;
  }
  /** insert_rule: a second rule on one inode adds its rights. */
  add(loc: Location, access: number): void {
    let byIno = this.m.get(loc.inode.sb);
    if (!byIno) this.m.set(loc.inode.sb, byIno = new Map());
    const have = byIno.get(loc.inode.ino);
    if (have) have.access |= access;
    else byIno.set(loc.inode.ino, { access, loc });
  }
  list(): { access: number; loc: Location }[] {
    return [...this.m.values()].flatMap((b) => [...b.values()].map((r) => ({ ...r })));
  }
  copy(): LandlockRules {
    const c = new LandlockRules();
    for (const r of this.list()) c.add(r.loc, r.access);
    return c;
  }
}

/** One layer: the rights it handles (REFER included) and its rules (never changed once enforced). */
export interface LandlockLayer {
  readonly handled: number;
  readonly rules: LandlockRules;
}
/** A task's domain: its layers, oldest first (shared, never changed once made). */
export type LandlockDomain = readonly LandlockLayer[];

/** The rights each open file was opened with under a domain (hook_file_open's allowed_access); absent: all. */
const fileAccess = new WeakMap<OpenFile, number>();

/** File systems never mounted where a path reaches them (SB_NOUSER): always allowed. */
function pseudo(loc: Location): boolean {
  const t = loc.mnt.sb.fstype;
  return t === 'pipefs' || t === 'anon_inodefs' || t === 'sockfs';
}

/** Visits loc's inode and its ancestors, as is_access_to_paths_allowed walks; stops when visit says so. */
function walk(loc: Location, visit: (i: Inode) => boolean): void {
  let cur: Location = loc;
  if (!cur.inode.isDir()) {
    if (visit(cur.inode)) return;
    if (!cur.parent) return;
    cur = cur.parent;
  }
  for (let guard = 0; guard < 100000; guard++) {
    if (visit(cur.inode)) return;
    // jump_up: a mount's root goes on from its mount point's parent (the mount point is hidden).
    while (cur.inode === cur.mnt.root) {
      if (!cur.mnt.parent || !cur.mnt.mountpoint) return;
      cur = { mnt: cur.mnt.parent, inode: cur.mnt.mountpoint };
    }
    const p = cur.inode.parent;
    if (!p || p === cur.inode) return;
    cur = { mnt: cur.mnt, inode: p };
  }
}

/** The rights of `request` that some layer handles and no rule on loc's way up grants. */
export function llMissing(dom: LandlockDomain, loc: Location, request: number): number {
  if (pseudo(loc)) return 0;
  let missing = 0;
  for (const layer of dom) {
    let need = request & layer.handled;
    if (!need) continue;
    walk(loc, (i) => {
      const a = layer.rules.get(i);
      if (a !== undefined) need &= ~a;
      return need === 0;
    });
    missing |= need;
  }
  return missing;
}

/** Everything the rules of one layer grant on loc's way up. */
function grantedBy(layer: LandlockLayer, loc: Location): number {
  let g = 0;
  walk(loc, (i) => {
    g |= layer.rules.get(i) ?? 0;
    return false;
  });
  return g;
}

/** current_check_access_path: EACCES unless every handled right of `request` is granted at loc. */
export function llCheck(dom: LandlockDomain, loc: Location, request: number): void {
  if (llMissing(dom, loc, request)) throw new SysError(E.EACCES);
}

/** get_mode_access: the MAKE_* right a file of this type needs. */
export function llMakeAccess(mode: number): number {
  switch (mode & 0o170000) {
    case 0o120000: return LL_FS_MAKE_SYM;
    case 0: case 0o100000: return LL_FS_MAKE_REG;
    case 0o040000: return LL_FS_MAKE_DIR;
    case 0o020000: return LL_FS_MAKE_CHAR;
    case 0o060000: return LL_FS_MAKE_BLOCK;
    case 0o010000: return LL_FS_MAKE_FIFO;
    case 0o140000: return LL_FS_MAKE_SOCK;
    default: return 0;
  }
}

function removeAccess(i: Inode | null): number {
  return !i ? 0 : i.isDir() ? LL_FS_REMOVE_DIR : LL_FS_REMOVE_FILE;
}

/**
 * hook_file_open: the rights an open needs (read: READ_DIR for a directory, else READ_FILE;
 * write: WRITE_FILE), EACCES without them; TRUNCATE is looked up too and kept with the file for
 * ftruncate, and an O_TRUNC open of an existing regular file needs it (handle_truncate). Returns
 * the rights the file keeps.
 */
export function llOpen(dom: LandlockDomain, loc: Location, acc: number, exec: boolean, truncate: boolean): number {
  let request = 0;
  if (acc === 0 || acc === 2) request |= loc.inode.isDir() ? LL_FS_READ_DIR : LL_FS_READ_FILE;
  if (acc === 1 || acc === 2) request |= LL_FS_WRITE_FILE;
  if (exec) request |= LL_FS_EXECUTE;
  const full = request | LL_FS_TRUNCATE;
  const allowed = full & ~llMissing(dom, loc, full);
  if ((request & allowed) !== request) throw new SysError(E.EACCES);
  if (truncate && !(allowed & LL_FS_TRUNCATE)) throw new SysError(E.EACCES);
  return allowed;
}

export function llSetFileAccess(f: OpenFile, allowed: number): void {
  fileAccess.set(f, allowed);
}

/** hook_file_truncate: ftruncate of a file opened under a domain that did not grant TRUNCATE. */
export function llFileTruncate(f: OpenFile): number {
  const a = fileAccess.get(f);
  return a === undefined || (a & LL_FS_TRUNCATE) ? 0 : -E.EACCES;
}

/**
 * current_check_refer_path: a link (removable false) or rename of `src` (named in srcDir) to
 * a name in dstDir (where `dst`, if any, is replaced or, with exchange, swapped).
 */
export function llRefer(dom: LandlockDomain, src: Inode, srcDir: Location, dstDir: Location, dst: Inode | null, removable: boolean, exchange: boolean): void {
  let req1 = exchange && dst ? llMakeAccess(dst.mode) : 0;
  let req2 = llMakeAccess(src.mode);
  if (removable) {
    req1 |= removeAccess(src);
    req2 |= removeAccess(dst);
  }
  if (srcDir.mnt === dstDir.mnt && srcDir.inode === dstDir.inode) {
    // No reparenting: REFER is not needed.
    llCheck(dom, dstDir, req1 | req2);
    return;
  }
  req1 |= LL_FS_REFER;
  req2 |= LL_FS_REFER;
  const miss1 = llMissing(dom, srcDir, req1), miss2 = llMissing(dom, dstDir, req2);
  // is_eacces: a missing right other than REFER is EACCES, before anything is EXDEV.
  if ((miss1 | miss2) & ~LL_FS_REFER) throw new SysError(E.EACCES);
  if (miss1 | miss2) throw new SysError(E.EXDEV);
  // no_more_access: in each layer, the moved file must not gain a right at its destination it
  // had neither from its source's hierarchy nor from a rule on itself (a non-directory: its
  // file rights only); with exchange, likewise the other way.
  for (const layer of dom) {
    const g1 = grantedBy(layer, srcDir), g2 = grantedBy(layer, dstDir);
    const own1 = layer.rules.get(src) ?? 0;
    const bits1 = layer.handled & (src.isDir() ? LL_MASK_ACCESS_FS : LL_ACCESS_FILE);
    if (g2 & ~(g1 | own1) & bits1) throw new SysError(E.EXDEV);
    if (exchange && dst) {
      const own2 = layer.rules.get(dst) ?? 0;
      const bits2 = layer.handled & (dst.isDir() ? LL_MASK_ACCESS_FS : LL_ACCESS_FILE);
      if (g1 & ~(g2 | own2) & bits2) throw new SysError(E.EXDEV);
    }
  }
}
