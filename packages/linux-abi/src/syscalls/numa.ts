/**
 * NUMA memory policy (mm/mempolicy.c, mm/migrate.c) as Linux with CONFIG_NUMA answers on a
 * machine with one memory node, node 0, which is what an enclave is: every page is on node 0,
 * so nothing ever moves, but the policies are recorded and reported as Linux does. The task
 * policy is per thread (inherited by clone and fork, kept by execve); mbind's policy belongs to
 * the VMAs of the range (Vma.mempolicy, kept by split, fork and mremap like vm_policy).
 * Not modelled: shmem's shared policy (mbind on a MAP_SHARED mapping sets the VMA's only),
 * MPOL_WEIGHTED_INTERLEAVE (not in the riscv64 uapi headers this ABI follows: MPOL_MAX is 6).
 */
import { E } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import type { AddressSpace } from '../mm/address-space.ts';

// include/uapi/linux/mempolicy.h
const MPOL_DEFAULT = 0, MPOL_PREFERRED = 1, MPOL_BIND = 2, MPOL_INTERLEAVE = 3, MPOL_LOCAL = 4, MPOL_PREFERRED_MANY = 5, MPOL_MAX = 6;
const MPOL_F_STATIC_NODES = 1 << 15, MPOL_F_RELATIVE_NODES = 1 << 14, MPOL_F_NUMA_BALANCING = 1 << 13;
const MPOL_MODE_FLAGS = MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES | MPOL_F_NUMA_BALANCING;
const MPOL_F_NODE = 1, MPOL_F_ADDR = 2, MPOL_F_MEMS_ALLOWED = 4;
const MPOL_MF_STRICT = 1, MPOL_MF_MOVE = 2, MPOL_MF_MOVE_ALL = 4;
const MPOL_MF_VALID = MPOL_MF_STRICT | MPOL_MF_MOVE | MPOL_MF_MOVE_ALL;

const PAGE = 4096;
/** CONFIG_NODES_SHIFT 10, as distribution kernels build it: nodemask_t's size. */
const MAX_NUMNODES = 1024n;
/** nr_node_ids and node_states[N_MEMORY]/cpuset mems_allowed: node 0 only. */
const NR_NODE_IDS = 1n;
const NODES_ONLINE = 1n;
const M64 = (1n << 64n) - 1n;

/**
 * A policy (struct mempolicy). Plain data (JSON in a checkpoint): `nodes` is the effective
 * mask (0 or 1 here), `user` the caller's mask (decimal) kept when a mode flag was given.
 */
export interface MemPolicy {
  mode: number;
  flags: number;
  nodes: number;
  user: string;
  homeNode: number;
}

const wordAt = (as: AddressSpace, addr: number): bigint => new DataView(as.copyIn(addr, 8).buffer).getBigUint64(0, true);

/** get_nodes: the nodemask the caller passed (maxnode - 1 bits), or a negative errno. */
function getNodes(as: AddressSpace, ptr: number, maxnodeArg: bigint): bigint | number {
  let maxnode = (maxnodeArg - 1n) & M64;
  if (maxnode === 0n || ptr === 0) return 0n;
  if (maxnode > BigInt(PAGE * 8)) return -E.EINVAL;
  // Bits past MAX_NUMNODES must be zero, one word at a time from the end.
  while (maxnode > MAX_NUMNODES) {
    const bits = maxnode < 64n ? maxnode : 64n;
    let w = wordAt(as, ptr + Number((maxnode - 1n) / 64n) * 8);
    if (bits % 64n) w &= (1n << (bits % 64n)) - 1n;
    if (maxnode - bits >= MAX_NUMNODES) maxnode -= bits;
    else {
      maxnode = MAX_NUMNODES;
      w &= ~((1n << (MAX_NUMNODES % 64n)) - 1n) & M64;
    }
    if (w) return -E.EINVAL;
  }
  const words = Number((maxnode + 63n) / 64n);
  const bytes = as.copyIn(ptr, words * 8);
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  let mask = 0n;
  for (let i = 0; i < words; i++) mask |= dv.getBigUint64(i * 8, true) << BigInt(64 * i);
  if (maxnode % 64n) mask &= (1n << maxnode) - 1n;
  return mask;
}

/** copy_nodes_to_user: ALIGN(maxnode - 1, 64) bits, of which only nr_node_ids' long holds nodes. */
function copyNodesOut(as: AddressSpace, ptr: number, maxnode: bigint, nodes: bigint): number {
  let copy = (((maxnode - 1n) & M64) + 63n) / 64n * 8n;
  const nbytes = (NR_NODE_IDS + 63n) / 64n * 8n;
  if (copy > nbytes) {
    if (copy > BigInt(PAGE)) return -E.EINVAL;
    as.copyOut(ptr + Number(nbytes), new Uint8Array(Number(copy - nbytes)));
    copy = nbytes;
  }
  if (copy === 0n) return 0; // maxnode 1: no bit to copy
  const out = new Uint8Array(Number(copy));
  new DataView(out.buffer).setBigUint64(0, nodes & M64, true);
  as.copyOut(ptr, out);
  return 0;
}

/** sanitize_mpol_flags: [mode, flags] or a negative errno. */
function sanitize(modeArg: number): [number, number] | number {
  const flags = modeArg & MPOL_MODE_FLAGS;
  const mode = modeArg & ~MPOL_MODE_FLAGS;
  if (mode >>> 0 >= MPOL_MAX) return -E.EINVAL;
  if (flags & MPOL_F_STATIC_NODES && flags & MPOL_F_RELATIVE_NODES) return -E.EINVAL;
  if (flags & MPOL_F_NUMA_BALANCING && mode !== MPOL_BIND && mode !== MPOL_PREFERRED_MANY) return -E.EINVAL;
  return [mode, flags];
}

/** mpol_new + mpol_set_nodemask: the policy (null: MPOL_DEFAULT) or a negative errno. */
function newPolicy(modeIn: number, flags: number, user: bigint): MemPolicy | null | number {
  let mode = modeIn;
  if (mode === MPOL_DEFAULT) return user ? -E.EINVAL : null;
  const pinned = flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES);
  if (mode === MPOL_PREFERRED) {
    if (!user) {
      if (pinned) return -E.EINVAL;
      mode = MPOL_LOCAL;
    }
  } else if (mode === MPOL_LOCAL) {
    if (user || pinned) return -E.EINVAL;
  } else if (!user) return -E.EINVAL;
  // mpol_store_user_nodemask: any mode flag (NUMA_BALANCING too) keeps the caller's mask for get_mempolicy.
  const pol: MemPolicy = { mode, flags, nodes: 0, user: flags & MPOL_MODE_FLAGS ? user.toString() : '0', homeNode: -1 };
  if (mode === MPOL_LOCAL) return pol;
  // RELATIVE_NODES folds the mask onto the allowed nodes (one: any bit means node 0); otherwise
  // the mask is intersected with them. An empty result names no node that exists.
  const eff = flags & MPOL_F_RELATIVE_NODES ? (user ? NODES_ONLINE : 0n) : user & NODES_ONLINE;
  if (!eff) return -E.EINVAL;
  pol.nodes = mode === MPOL_PREFERRED ? 1 : Number(eff); // mpol_new_preferred keeps the first node
  return pol;
}

/** What get_mempolicy reports as the nodemask of `pol` (the user's mask when a mode flag was given, else get_policy_nodemask). */
function reportedNodes(pol: MemPolicy | null): bigint {
  if (!pol) return 0n;
  if (pol.flags & MPOL_MODE_FLAGS) return BigInt(pol.user);
  return pol.mode === MPOL_LOCAL ? 0n : BigInt(pol.nodes);
}

/** capable(CAP_SYS_NICE): root only (one user, no capability sets). */
const capNice = (k: Kernel): boolean => k.config.uid === 0;

/** find_task_by_vpid for the calls taking a pid: a thread of this kernel, or null. */
function findTask(k: Kernel, t: Task, pid: number): Task | null {
  if (pid === 0) return t;
  for (const p of k.processes.values()) {
    if (p.exitStatus !== null) continue;
    for (const x of p.tasks) if (x.tid === pid) return x;
  }
  return null;
}

/** The node of the page at va, as folio_walk sees it: 0 when present, -ENOENT when not, -EFAULT outside any VMA. */
function pageNode(as: AddressSpace, va: number): number {
  if (!as.find(va)) return -E.EFAULT;
  return as.pt.lookup(va - (va % PAGE)) >= 0 ? 0 : -E.ENOENT;
}

export function registerNuma(tab: SyscallTable): void {
  tab.def('set_mempolicy', 'dpu', (_k, t, a) => {
    const s = sanitize(a.i32(0));
    if (typeof s === 'number') return s;
    const user = getNodes(t.proc.as, a.u(1), a.big(2));
    if (typeof user === 'number') return user;
    const pol = newPolicy(s[0], s[1], user);
    if (typeof pol === 'number') return pol;
    t.mempolicy = pol;
    return 0;
  });

  tab.def('get_mempolicy', 'ppuxx', (_k, t, a) => {
    const policyPtr = a.u(0), nmask = a.u(1), maxnode = a.big(2), addr = a.u(3), flags = a.big(4);
    if (nmask !== 0 && maxnode < NR_NODE_IDS) return -E.EINVAL;
    if (flags & ~BigInt(MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED)) return -E.EINVAL;
    const f = Number(flags);
    let value: number;
    let nodes: bigint;
    if (f & MPOL_F_MEMS_ALLOWED) {
      if (f & (MPOL_F_NODE | MPOL_F_ADDR)) return -E.EINVAL;
      value = 0;
      nodes = NODES_ONLINE;
    } else {
      let pol: MemPolicy | null;
      if (f & MPOL_F_ADDR) {
        const v = t.proc.as.find(addr);
        if (!v) return -E.EFAULT;
        pol = v.mempolicy ?? null; // the VMA's policy, never the task's: MPOL_DEFAULT when none
      } else if (addr) {
        return -E.EINVAL;
      } else {
        pol = t.mempolicy;
      }
      if (f & MPOL_F_NODE) {
        if (f & MPOL_F_ADDR) {
          // lookup_node: get_user_pages_fast on the page, which must be readable.
          const v = t.proc.as.find(addr)!;
          if (!(v.prot & 1)) return -E.EFAULT;
          value = 0;
        } else if (pol && pol === t.mempolicy && pol.mode === MPOL_INTERLEAVE) {
          value = 0; // next_node_in(il_prev, nodes): the only node
        } else {
          return -E.EINVAL;
        }
      } else {
        value = pol ? pol.mode | (pol.flags & MPOL_MODE_FLAGS) : MPOL_DEFAULT;
      }
      nodes = reportedNodes(pol);
    }
    if (policyPtr) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, value, true);
      t.proc.as.copyOut(policyPtr, b);
    }
    return nmask ? copyNodesOut(t.proc.as, nmask, maxnode, nodes) : 0;
  });

  tab.def('mbind', 'xudpux', (k, t, a) => {
    const start = a.u(0), len = a.big(1), flags = a.big(5);
    const s = sanitize(a.i32(2));
    if (typeof s === 'number') return s;
    const user = getNodes(t.proc.as, a.u(3), a.big(4));
    if (typeof user === 'number') return user;
    if (flags & ~BigInt(MPOL_MF_VALID)) return -E.EINVAL;
    let mf = Number(flags);
    if (mf & MPOL_MF_MOVE_ALL && !capNice(k)) return -E.EPERM;
    if (start % PAGE) return -E.EINVAL;
    if (s[0] === MPOL_DEFAULT) mf &= ~MPOL_MF_STRICT;
    const alen = (len + BigInt(PAGE - 1)) & ~BigInt(PAGE - 1) & M64;
    const endBig = BigInt(start) + alen;
    if (endBig > M64) return -E.EINVAL; // end < start (a length that PAGE_ALIGN wraps to 0 is 0)
    if (alen === 0n) return 0;
    const pol = newPolicy(s[0], s[1], user);
    if (typeof pol === 'number') return pol;
    const end = Number(endBig);
    const as = t.proc.as;
    // queue_pages_range: holes are EFAULT (MPOL_DEFAULT tolerates them unless the range has no VMA at all).
    const vmas = as.vmas.filter((v) => v.end > start && v.start < end);
    if (vmas.length === 0) return -E.EFAULT;
    if (pol) {
      let at = start;
      for (const v of vmas) {
        if (v.start > at) return -E.EFAULT;
        at = v.end;
      }
      if (at < end) return -E.EFAULT;
    }
    // MPOL_MF_STRICT without moving: a present page on a node outside the caller's mask is a
    // failure (node 0 is outside it only for an empty or node-0-less mask).
    let failed = false;
    if ((mf & MPOL_MF_VALID) === MPOL_MF_STRICT && !(user & 1n)) {
      for (const v of vmas) {
        for (let va = Math.max(v.start, start); va < Math.min(v.end, end) && !failed; va += PAGE) failed = as.pt.lookup(va) >= 0;
      }
    }
    as.setMempolicy(start, end, pol);
    return failed ? -E.EIO : 0;
  }, 'partial'); // shmem's shared policy (seen through every mapping of the object) is not kept

  tab.def('migrate_pages', 'duppp', (k, t, a) => {
    const pid = a.i32(0), maxnode = a.big(1);
    const oldNodes = getNodes(t.proc.as, a.u(2), maxnode);
    if (typeof oldNodes === 'number') return oldNodes;
    const newNodes = getNodes(t.proc.as, a.u(3), maxnode);
    if (typeof newNodes === 'number') return newNodes;
    if (!findTask(k, t, pid)) return -E.ESRCH;
    if (newNodes & ~NODES_ONLINE && !capNice(k)) return -E.EPERM; // outside the target's mems_allowed
    if (!(newNodes & NODES_ONLINE)) return -E.EINVAL;
    return 0; // do_migrate_pages: every page is on node 0 already; none failed to move
  });

  tab.def('move_pages', 'duppp', (k, t, a) => {
    const pid = a.i32(0), nr = a.u(1), pages = a.u(2), nodesPtr = a.u(3), status = a.u(4), flags = a.i32(5);
    if (flags & ~(MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)) return -E.EINVAL;
    if (flags & MPOL_MF_MOVE_ALL && !capNice(k)) return -E.EPERM;
    const target = findTask(k, t, pid);
    if (!target) return -E.ESRCH;
    const as = t.proc.as, tas = target.proc.as;
    const put = (i: number, v: number) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, v, true);
      as.copyOut(status + i * 4, b);
    };
    for (let i = 0; i < nr; i++) {
      const va = Number(wordAt(as, pages + i * 8) & M64);
      if (nodesPtr) {
        const node = new DataView(as.copyIn(nodesPtr + i * 4, 4).buffer).getInt32(0, true);
        if (node < 0 || BigInt(node) >= MAX_NUMNODES || node !== 0) return -E.ENODEV; // no memory on that node
        // add_page_for_migration: already on node 0, or not present, or outside any VMA.
        put(i, pageNode(tas, va));
      } else {
        put(i, pageNode(tas, va));
      }
    }
    return 0;
  });

  tab.def('set_mempolicy_home_node', 'xuux', (_k, t, a) => {
    const start = a.u(0), len = a.big(1), home = a.big(2), flags = a.big(3);
    if (start % PAGE) return -E.EINVAL;
    if (flags !== 0n) return -E.EINVAL;
    if (home >= MAX_NUMNODES || !((NODES_ONLINE >> home) & 1n)) return -E.EINVAL;
    const alen = (len + BigInt(PAGE - 1)) & ~BigInt(PAGE - 1) & M64;
    const endBig = BigInt(start) + alen;
    if (endBig > M64) return -E.EINVAL;
    if (alen === 0n) return 0;
    const end = Number(endBig);
    const as = t.proc.as;
    let err = -E.ENOENT; // no VMA in the range with a policy
    for (const v of as.vmas.filter((x) => x.end > start && x.start < end)) {
      const old = v.mempolicy;
      if (!old) continue;
      if (old.mode !== MPOL_BIND && old.mode !== MPOL_PREFERRED_MANY) return -E.EOPNOTSUPP; // earlier VMAs keep the new home
      as.setMempolicy(Math.max(v.start, start), Math.min(v.end, end), { ...old, homeNode: Number(home) });
      err = 0;
    }
    return err;
  });
}
