/**
 * Calls about privilege, for the enclave's one unprivileged user (no capabilities):
 *
 * - capget/capset (kernel/capability.c): every capability set is empty; capset may only keep
 *   them empty.
 * - What needs a capability the user lacks is refused as Linux refuses it, after the checks
 *   Linux makes first: mount (fs/namespace.c: the strings are copied and the target resolved
 *   before may_mount), umount2, pivot_root, swapon, swapoff (mm/swapfile.c), reboot, acct,
 *   sethostname, setdomainname (kernel/sys.c), init_module, finit_module, delete_module
 *   (kernel/module), kexec_load, vhangup: EPERM.
 * - personality (kernel/exec_domain.c): the persona is recorded, returned and inherited; no
 *   flag changes how this kernel lays out memory (there is no address randomisation to turn off).
 * - membarrier (kernel/sched/membarrier.c): one hart runs every thread of the enclave and a
 *   switch between threads is a full barrier, so each command's guarantee already holds when
 *   it is asked for; the registration rules are Linux's.
 * - get_robust_list (kernel/futex/syscalls.c).
 */
import { E } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import type { AddressSpace } from '../mm/address-space.ts';
import { AT_FDCWD } from '../abi/constants.ts';
import { resolveAt, userPath } from './fs-common.ts';
import { findTaskById } from './sched.ts';

// linux/capability.h
const _LINUX_CAPABILITY_VERSION_1 = 0x19980330, _LINUX_CAPABILITY_VERSION_2 = 0x20071026, _LINUX_CAPABILITY_VERSION_3 = 0x20080522;
const CAP_HEADER_SIZE = 8, CAP_DATA_SIZE = 12; // struct __user_cap_header_struct, __user_cap_data_struct
const CAP_LAST_U32_VALID_MASK = 0x1ff; // CAP_LAST_CAP 40 (CAP_CHECKPOINT_RESTORE): caps 32..40
// linux/mount.h, linux/fs.h
const MS_NOUSER = 1 << 31;
const MNT_FORCE = 1, MNT_DETACH = 2, MNT_EXPIRE = 4, UMOUNT_NOFOLLOW = 8;
// linux/swap.h SWAP_FLAGS_VALID
const SWAP_FLAG_PRIO_MASK = 0x7fff, SWAP_FLAG_PREFER = 0x8000, SWAP_FLAG_DISCARD = 0x10000;
const SWAP_FLAG_DISCARD_ONCE = 0x20000, SWAP_FLAG_DISCARD_PAGES = 0x40000;
const SWAP_FLAGS_VALID = SWAP_FLAG_PRIO_MASK | SWAP_FLAG_PREFER | SWAP_FLAG_DISCARD | SWAP_FLAG_DISCARD_ONCE | SWAP_FLAG_DISCARD_PAGES;
// linux/membarrier.h
const MEMBARRIER_CMD_QUERY = 0, MEMBARRIER_CMD_GLOBAL = 1, MEMBARRIER_CMD_GLOBAL_EXPEDITED = 2;
const MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 4, MEMBARRIER_CMD_PRIVATE_EXPEDITED = 8;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 16;
const MEMBARRIER_CMD_FLAG_CPU = 1;
/** What Linux 6.1 on riscv64 answers to QUERY: no SYNC_CORE (riscv gained it in 6.9) and no RSEQ commands (rseq is ENOSYS here). */
const MEMBARRIER_SUPPORTED = MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED |
  MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;

/** Per address space (mm->membarrier_state): registered for private expedited barriers. */
const membarrierPrivate = new WeakSet<AddressSpace>();

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

/** Whether a thread id names a live thread, here or (its main thread) in another enclave of the family. */
function threadExists(k: Kernel, t: Task, tid: number): boolean {
  if (findTaskById(k, t, tid)) return true;
  const p = k.processes.get(tid);
  return p !== undefined && p.remote && p.exitStatus === null;
}

/** cap_validate_magic: the version in the header, or EINVAL after writing the one we prefer. */
function capVersion(t: Task, hdr: number): number {
  const h = new DataView(t.proc.as.copyIn(hdr, CAP_HEADER_SIZE).buffer);
  const version = h.getUint32(0, true);
  if (version === _LINUX_CAPABILITY_VERSION_1 || version === _LINUX_CAPABILITY_VERSION_2 || version === _LINUX_CAPABILITY_VERSION_3) return version;
  t.proc.as.copyOut(hdr, u32(_LINUX_CAPABILITY_VERSION_3));
  return -E.EINVAL;
}

export function registerPrivileged(tab: SyscallTable): void {
  tab.def('capget', 'pp', (k, t, a) => {
    const hdr = a.u(0), data = a.u(1);
    const version = capVersion(t, hdr);
    if (!data) return 0; // a NULL data pointer asks only for the version (written on EINVAL)
    if (version < 0) return version;
    const pid = new DataView(t.proc.as.copyIn(hdr + 4, 4).buffer).getInt32(0, true);
    if (pid < 0) return -E.EINVAL;
    if (!threadExists(k, t, pid)) return -E.ESRCH;
    const words = version === _LINUX_CAPABILITY_VERSION_1 ? 1 : 2;
    t.proc.as.copyOut(data, new Uint8Array(CAP_DATA_SIZE * words)); // effective, permitted, inheritable: empty
    return 0;
  });

  tab.def('capset', 'pp', (k, t, a) => {
    const hdr = a.u(0), data = a.u(1);
    const version = capVersion(t, hdr);
    if (version < 0) return version;
    const pid = new DataView(t.proc.as.copyIn(hdr + 4, 4).buffer).getInt32(0, true);
    if (pid !== 0 && pid !== t.tid) return -E.EPERM; // only one's own capabilities
    const words = version === _LINUX_CAPABILITY_VERSION_1 ? 1 : 2;
    const sets = new DataView(t.proc.as.copyIn(data, CAP_DATA_SIZE * words).buffer);
    // Nothing can be added to empty sets (cap_capset: new ⊆ old, or CAP_SETPCAP for
    // inheritable); bits past CAP_LAST_CAP (40) in the second word are dropped first.
    for (let w = 0; w < words; w++) {
      for (let i = 0; i < 3; i++) {
        const v = sets.getUint32(w * CAP_DATA_SIZE + i * 4, true);
        if ((w === 0 ? v : v & CAP_LAST_U32_VALID_MASK) !== 0) return -E.EPERM;
      }
    }
    return 0;
  });

  tab.def('mount', 'sssxp', (k, t, a) => {
    const source = a.u(0), target = a.u(1), type = a.u(2), flags = a.u(3);
    if (type) t.proc.as.readCString(type, 4096);
    if (source) t.proc.as.readCString(source, 4096);
    if (a.u(4)) t.proc.as.copyIn(a.u(4), 1); // copy_mount_options: EFAULT only when nothing can be read
    resolveAt(k, t, AT_FDCWD, userPath(t, target), 0, true); // user_path_at(dir_name)
    if ((flags & MS_NOUSER) !== 0) return -E.EINVAL;
    return -E.EPERM; // may_mount: CAP_SYS_ADMIN
  }, 'partial');

  tab.def('umount2', 'sx', (k, t, a) => {
    if (a.u(1) & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW)) return -E.EINVAL;
    return -E.EPERM;
  }, 'partial');

  const refuse = () => -E.EPERM;
  tab.def('pivot_root', 'ss', refuse, 'partial');
  tab.def('swapoff', 's', refuse, 'partial');
  tab.def('swapon', 'sx', (k, t, a) => (a.u(1) & ~SWAP_FLAGS_VALID ? -E.EINVAL : -E.EPERM), 'partial');
  tab.def('reboot', 'xxxp', refuse, 'partial');
  tab.def('acct', 's', refuse, 'partial');
  tab.def('sethostname', 'pu', refuse, 'partial');
  tab.def('setdomainname', 'pu', refuse, 'partial');
  tab.def('init_module', 'pus', refuse, 'partial');
  tab.def('finit_module', 'fsx', refuse, 'partial');
  tab.def('delete_module', 'sx', refuse, 'partial');
  tab.def('kexec_load', 'xxpx', refuse, 'partial');
  tab.def('vhangup', '', refuse, 'partial');

  tab.def('personality', 'x', (k, t, a) => {
    const old = t.proc.personality;
    const persona = a.u(0) >>> 0;
    if (persona !== 0xffffffff) t.proc.personality = persona;
    return old;
  });

  tab.def('membarrier', 'ddd', (k, t, a) => {
    const cmd = a.i32(0), flags = a.i32(1);
    if (cmd === MEMBARRIER_CMD_QUERY) return flags ? -E.EINVAL : MEMBARRIER_SUPPORTED;
    if (cmd === MEMBARRIER_CMD_PRIVATE_EXPEDITED ? (flags & ~MEMBARRIER_CMD_FLAG_CPU) !== 0 : flags !== 0) return -E.EINVAL;
    switch (cmd) {
      case MEMBARRIER_CMD_GLOBAL:
      case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
      case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
        return 0;
      case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
        membarrierPrivate.add(t.proc.as);
        return 0;
      case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
        return membarrierPrivate.has(t.proc.as) ? 0 : -E.EPERM;
      default:
        return -E.EINVAL;
    }
  });

  tab.def('get_robust_list', 'dpp', (k, t, a) => {
    const target = findTaskById(k, t, a.i32(0));
    if (!target) return -E.ESRCH;
    const head = new Uint8Array(8);
    new DataView(head.buffer).setBigUint64(0, BigInt(target.robustList), true);
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, 24n, true); // sizeof(struct robust_list_head), set or not
    t.proc.as.copyOut(a.u(2), len);
    t.proc.as.copyOut(a.u(1), head);
    return 0;
  });
}
