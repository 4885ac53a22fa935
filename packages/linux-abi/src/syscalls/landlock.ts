/**
 * Landlock's system calls (security/landlock/syscalls.c, ruleset.c; UAPI include/uapi/linux/landlock.h):
 * landlock_create_ruleset, landlock_add_rule (LANDLOCK_RULE_PATH_BENEATH), landlock_restrict_self.
 * The enforcement is fs/landlock.ts, hooked where the VFS opens, creates, removes, links,
 * renames and truncates, and in execve.
 *
 * ABI 3: the file-system rights of ABI 1 (EXECUTE ... MAKE_SYM), REFER (ABI 2) and TRUNCATE
 * (ABI 3). Not ABI 4: there are no TCP sockets here, so LANDLOCK_RULE_NET_PORT and
 * handled_access_net are unknown (struct landlock_ruleset_attr is ABI 3's 8 bytes: a larger
 * size with non-zero bytes past them is E2BIG, as Linux 6.2..6.6 answer); nor ABI 5's
 * IOCTL_DEV, ABI 6's scopes or ABI 7's logging flags (EINVAL as unknown bits).
 *
 * A domain is per thread, inherited by clone and fork, kept across execve, and carried in the
 * sgx fork checkpoint with each rule named by its path (a rule whose path the child cannot
 * resolve is dropped: the child is denied rather than allowed).
 */
import { E, SysError } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import type { SyscallTable } from './table.ts';
import { OpenFile } from '../fs/file.ts';
import { AnonInode } from '../fs/pipe.ts';
import { fsContext, fsOf } from '../fs/context.ts';
import { O_RDWR, type Location } from '../fs/vfs.ts';
import {
  LandlockRules, LL_ACCESS_FILE, LL_FS_REFER, LL_MASK_ACCESS_FS, LL_MAX_NUM_LAYERS, type LandlockDomain, type LandlockLayer,
} from '../fs/landlock.ts';

/** The highest ABI whose rights are all enforced here. */
export const LANDLOCK_ABI_VERSION = 3;
const LANDLOCK_CREATE_RULESET_VERSION = 1;
const LANDLOCK_RULE_PATH_BENEATH = 1;
/** sizeof(struct landlock_ruleset_attr) at ABI 3: handled_access_fs (__u64). */
const RULESET_ATTR_SIZE = 8;
/** sizeof(struct landlock_path_beneath_attr): __u64 allowed_access, __s32 parent_fd, packed. */
const PATH_BENEATH_ATTR_SIZE = 12;
const PAGE_SIZE = 4096;
const O_CLOEXEC = 0o2000000;

/** A ruleset being built (struct landlock_ruleset of one layer). */
class Ruleset {
  readonly rules = new LandlockRules();
  constructor(readonly handled: number) {}
}

/** The descriptor landlock_create_ruleset returns (anon_inode:[landlock-ruleset]). */
export class RulesetFile extends OpenFile {
  constructor(readonly ruleset: Ruleset, loc: Location) {
    super(O_RDWR);
    this.loc = loc;
  }
  /** fop_dummy_read/write: there only so the descriptor may be read and written (FMODE_CAN_*). */
  override read(): Uint8Array | number {
    return -E.EINVAL;
  }
  override write(): number {
    return -E.EINVAL;
  }
  describe(): string {
    return 'anon_inode:[landlock-ruleset]';
  }
}

function rulesetOf(t: Task, fd: number): Ruleset {
  const f = t.proc.fds.get(fd);
  if (!f) throw new SysError(E.EBADF);
  if (!(f instanceof RulesetFile)) throw new SysError(E.EBADFD);
  return f.ruleset;
}

/** A u64 from 8 little-endian bytes as a number when it fits the known rights, else -1 (unknown bits). */
function rights(b: Uint8Array, off: number, mask: number): number {
  const v = new DataView(b.buffer, b.byteOffset + off, 8).getBigUint64(0, true);
  return (v | BigInt(mask)) === BigInt(mask) ? Number(v) : -1;
}

/** landlock_merge_ruleset: the caller's domain with `rs` as a new layer. */
function merged(dom: LandlockDomain | null, rs: Ruleset): LandlockDomain {
  const layer: LandlockLayer = { handled: rs.handled | LL_FS_REFER, rules: rs.rules.copy() };
  return [...(dom ?? []), layer];
}

export function registerLandlock(tab: SyscallTable): void {
  tab.def('landlock_create_ruleset', 'pux', (k, t, a) => {
    const attr = a.u(0), size = a.u(1), flags = a.i32(2) >>> 0;
    if (flags) {
      if (flags === LANDLOCK_CREATE_RULESET_VERSION && attr === 0 && size === 0) return LANDLOCK_ABI_VERSION;
      return -E.EINVAL;
    }
    // copy_min_struct_from_user
    if (attr === 0) return -E.EFAULT;
    if (size < RULESET_ATTR_SIZE) return -E.EINVAL;
    if (size > PAGE_SIZE) return -E.E2BIG;
    if (size > RULESET_ATTR_SIZE) {
      const rest = t.proc.as.copyIn(attr + RULESET_ATTR_SIZE, size - RULESET_ATTR_SIZE);
      if (rest.some((b) => b !== 0)) return -E.E2BIG; // copy_struct_from_user: unknown non-zero tail
    }
    const handled = rights(t.proc.as.copyIn(attr, RULESET_ATTR_SIZE), 0, LL_MASK_ACCESS_FS);
    if (handled < 0) return -E.EINVAL;
    if (handled === 0) return -E.ENOMSG; // landlock_create_ruleset: nothing handled
    const m = fsOf(k).anonMount;
    const f = new RulesetFile(new Ruleset(handled), { mnt: m, inode: new AnonInode(m.sb) });
    return t.proc.fds.install(f, true); // O_RDWR | O_CLOEXEC
  }, 'full', `ABI ${LANDLOCK_ABI_VERSION}: file-system rights up to TRUNCATE; no network rights (no TCP here), no IOCTL_DEV, scopes or logging`);

  tab.def('landlock_add_rule', 'fdpx', (k, t, a) => {
    const fd = a.i32(0), type = a.i32(1), attr = a.u(2), flags = a.i32(3) >>> 0;
    if (flags) return -E.EINVAL;
    const rs = rulesetOf(t, fd);
    if (type !== LANDLOCK_RULE_PATH_BENEATH) return -E.EINVAL;
    const b = t.proc.as.copyIn(attr, PATH_BENEATH_ATTR_SIZE);
    const allowed = rights(b, 0, LL_MASK_ACCESS_FS);
    if (b.subarray(0, 8).every((x) => x === 0)) return -E.ENOMSG; // an empty rule would be ignored
    // Only rights the ruleset handles (REFER too only when handled explicitly).
    if (allowed < 0 || (allowed | rs.handled) !== rs.handled) return -E.EINVAL;
    const parentFd = new DataView(b.buffer, b.byteOffset + 8, 4).getInt32(0, true);
    // get_path_from_fd: O_PATH descriptors too; not a ruleset nor a file of an internal file system.
    const pf = t.proc.fds.get(parentFd);
    if (!pf) return -E.EBADF;
    const loc = pf.loc;
    if (pf instanceof RulesetFile || !loc || !loc.mnt.parent && loc.mnt !== fsOf(k).vfs.rootLocation().mnt) return -E.EBADFD;
    const ft = loc.mnt.sb.fstype;
    if (ft === 'pipefs' || ft === 'anon_inodefs' || ft === 'sockfs') return -E.EBADFD;
    // landlock_append_fs_rule: a file's rule grants file rights only; rights the ruleset does
    // not handle are granted (the absolute form); a second rule on the same inode adds rights.
    if (!loc.inode.isDir() && (allowed | LL_ACCESS_FILE) !== LL_ACCESS_FILE) return -E.EINVAL;
    const abs = allowed | (LL_MASK_ACCESS_FS & ~(rs.handled | LL_FS_REFER));
    rs.rules.add(loc, abs);
    return 0;
  });

  tab.def('landlock_restrict_self', 'fx', (k, t, a) => {
    const fd = a.i32(0), flags = a.i32(1) >>> 0;
    // As seccomp: no_new_privs, or CAP_SYS_ADMIN (root here).
    if (!t.noNewPrivs && k.config.uid !== 0) return -E.EPERM;
    if (flags) return -E.EINVAL;
    const rs = rulesetOf(t, fd);
    if ((t.landlock?.length ?? 0) >= LL_MAX_NUM_LAYERS) return -E.E2BIG;
    t.landlock = merged(t.landlock, rs);
    return 0;
  });
}

/** The domain as the sgx fork checkpoint carries it: each layer's handled rights and rules by path. */
export interface LandlockRecord { handled: number; rules: [string, number, number][] }

export function landlockRecord(k: Kernel, t: Task): LandlockRecord[] | undefined {
  return t.landlock ? t.landlock.map((l) => layerRecord(k, l)) : undefined;
}

/** A ruleset descriptor carried to an sgx fork child: a copy of its rules (added to later, the two differ). */
export function rulesetRecord(k: Kernel, f: RulesetFile): LandlockRecord {
  return layerRecord(k, f.ruleset);
}

export function restoreRuleset(k: Kernel, t: Task, r: LandlockRecord): RulesetFile {
  if (!Number.isInteger(r.handled) || r.handled <= 0 || (r.handled | LL_MASK_ACCESS_FS) !== LL_MASK_ACCESS_FS) throw new Error('checkpoint: bad landlock ruleset');
  const rs = new Ruleset(r.handled);
  const layer = restoreLayer(k, t, { handled: r.handled | LL_FS_REFER, rules: r.rules });
  for (const rule of layer.rules.list()) rs.rules.add(rule.loc, rule.access);
  const m = fsOf(k).anonMount;
  return new RulesetFile(rs, { mnt: m, inode: new AnonInode(m.sb) });
}

function layerRecord(k: Kernel, l: { handled: number; rules: LandlockRules }): LandlockRecord {
  const vfs = fsOf(k).vfs;
  const root = vfs.rootLocation();
  {
    const rules: [string, number, number][] = [];
    for (const { access, loc } of l.rules.list()) {
      const inode = loc.inode;
      try {
        const p = vfs.pathOf(loc, root);
        if (p.reachable && !p.deleted) rules.push([p.path, access, inode.isDir() ? inode.mode & 0o7777 : -1]);
      } catch { /* unreachable: not carried (denied in the child) */ }
    }
    return { handled: l.handled, rules };
  }
}

/** Rebuilds a carried domain in the child (each rule found by its path; one not found is dropped). */
export function restoreLandlock(k: Kernel, t: Task, recs: unknown): void {
  if (recs === undefined) return;
  if (!Array.isArray(recs) || recs.length < 1 || recs.length > LL_MAX_NUM_LAYERS) throw new Error('checkpoint: bad landlock state');
  const dom = (recs as LandlockRecord[]).map((r) => restoreLayer(k, t, r));
  t.landlock = dom;
}

/** One layer's rules found again by path (the domain's, or a ruleset's with REFER added). */
function restoreLayer(k: Kernel, t: Task, r: LandlockRecord): LandlockLayer {
  const vfs = fsOf(k).vfs;
  const ctx = { ...fsContext(k, t), root: vfs.rootLocation(), landlock: null };
  if (!Number.isInteger(r?.handled) || (r.handled | LL_MASK_ACCESS_FS) !== LL_MASK_ACCESS_FS || !(r.handled & LL_FS_REFER) || !Array.isArray(r.rules) || r.rules.length > 1 << 20) {
    throw new Error('checkpoint: bad landlock layer');
  }
  const rules = new LandlockRules();
  for (const rule of r.rules) {
    if (!Array.isArray(rule) || typeof rule[0] !== 'string' || !Number.isInteger(rule[1]) || (rule[1] | LL_MASK_ACCESS_FS) !== LL_MASK_ACCESS_FS) {
      throw new Error('checkpoint: bad landlock rule');
    }
    let loc: Location;
    try {
      loc = vfs.resolve(ctx, ctx.root, rule[0], false);
    } catch {
      try {
        // A directory of a tree another enclave serves (the parent's tmpfs, under the cwd it
        // handed down): made here, empty, with its modes, as the cwd is (checkpoint.ts), so
        // the names this enclave resolves there meet the rule.
        if (!(Number.isInteger(rule[2]) && rule[2] >= 0 && k.family?.files.ownerOf(rule[0]))) throw new Error('not served');
        let prefix = '';
        for (const part of rule[0].split('/').filter(Boolean)) {
          prefix += `/${part}`;
          try { vfs.resolve(ctx, ctx.root, prefix, true); } catch { vfs.mkdir({ ...ctx, umask: 0 }, ctx.root, prefix, prefix === rule[0] ? rule[2] & 0o7777 : 0o755); }
        }
        loc = vfs.resolve(ctx, ctx.root, rule[0], false);
      } catch {
        k.platform.log(`fork: a landlock rule on ${rule[0]} names nothing here: not carried`);
        continue;
      }
    }
    rules.add(loc, rule[1]);
  }
  return { handled: r.handled, rules };
}
