/**
 * System V IPC (ipc/util.c, ipc/shm.c, ipc/sem.c, ipc/msg.c): shared memory segments,
 * semaphore sets and message queues, one IPC namespace per kernel (enclave). On a process-per-
 * enclave platform, semaphore sets, message queues and segments of the other enclaves of the
 * family are reached by id and key through their owner (sysvipc-family.ts): the *Here functions
 * run an operation where the object lives, for the local caller or for one in another enclave;
 * another enclave's segment is mapped through family-pages.ts, its pages migrating.
 *
 * riscv64 is an asm-generic architecture: the calls are the separate shmget/shmat/...
 * entries (no ipc() multiplexer), the structures are the 64-bit ones (ipc64_perm,
 * shmid64_ds, semid64_ds, msqid64_ds), and IPC_64 in a command is not stripped (no
 * ipc_parse_version), so a command with it set is EINVAL as on Linux.
 *
 * Identifiers are (seq << 15) + index, the index allocated cyclically (ipc_idr_alloc).
 * Permission checks are ipcperms() for the one configured user, who holds no capability.
 * A segment is a shmem file mapped MAP_SHARED by shmat (the page cache keeps its pages);
 * shm_nattch counts the mappings of it, as Linux's shm_open/shm_close do per VMA (in a family,
 * with the counts the other enclaves report).
 * Blocking semop/msgsnd/msgrcv are never restarted after a handler (signal(7)): EINTR.
 */
import { E, SysError } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Process, Task } from '../task.ts';
import { FileInode, SuperBlock, type Timespec } from '../fs/inode.ts';
import { inodeClock } from '../fs/rootfs.ts';
import { PageCache } from '../mm/page-cache.ts';
import type { MappedFile, Vma } from '../mm/address-space.ts';
import { PAGE_SIZE } from '../mm/frames.ts';
import { MMAP_MIN_ADDR } from '../mm/address-space.ts';
import { USER_VA_END } from '../mm/sv39.ts';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../abi/constants.ts';
import { AGAIN, sleepOn, WaitQueue, type RetryResult } from '../fs/wait.ts';
import { TIMESPEC_SIZE, decodeTimespec } from '../abi/structs.ts';
import { SysvFamily, hex, shmOpened, unhexBytes, type SysvAnswer, type SysvKind, type SysvRequest, type SysvServer } from './sysvipc-family.ts';

// include/uapi/linux/ipc.h
const IPC_PRIVATE = 0, IPC_CREAT = 0o1000, IPC_EXCL = 0o2000, IPC_NOWAIT = 0o4000;
const IPC_RMID = 0, IPC_SET = 1, IPC_STAT = 2, IPC_INFO = 3;
// include/uapi/linux/shm.h
const SHM_RDONLY = 0o10000, SHM_RND = 0o20000, SHM_REMAP = 0o40000, SHM_EXEC = 0o100000;
const SHM_LOCK = 11, SHM_UNLOCK = 12, SHM_STAT = 13, SHM_INFO = 14, SHM_STAT_ANY = 15;
const SHM_DEST = 0o1000, SHM_LOCKED = 0o2000, SHM_HUGETLB = 0o4000;
const SHMMIN = 1, SHMMNI = 4096, SHMMAX = 2 ** 64 - 2 ** 24, SHMALL = 2 ** 64 - 2 ** 24, SHMSEG = SHMMNI, SHMLBA = PAGE_SIZE;
// include/uapi/linux/sem.h
const SEM_UNDO = 0x1000, GETPID = 11, GETVAL = 12, GETALL = 13, GETNCNT = 14, GETZCNT = 15, SETVAL = 16, SETALL = 17;
const SEM_STAT = 18, SEM_INFO = 19, SEM_STAT_ANY = 20;
const SEMMNI = 32000, SEMMSL = 32000, SEMMNS = SEMMNI * SEMMSL, SEMOPM = 500, SEMVMX = 32767, SEMAEM = SEMVMX;
const SEMUME = SEMOPM, SEMMNU = SEMMNS, SEMMAP = SEMMNS, SEMUSZ = 20;
// include/uapi/linux/msg.h
const MSG_STAT = 11, MSG_INFO = 12, MSG_STAT_ANY = 13, MSG_NOERROR = 0o10000, MSG_EXCEPT = 0o20000, MSG_COPY = 0o40000;
const MSGMNI = 32000, MSGMAX = 8192, MSGMNB = 16384, MSGPOOL = (MSGMNI * MSGMNB) / 1024, MSGTQL = MSGMNB, MSGMAP = MSGMNB;
const MSGSSZ = 16, MSGSEG = 0xffff;
const S_IRUGO = 0o444, S_IWUGO = 0o222, S_IXUGO = 0o111, S_IRWXUGO = 0o777;
const IPCMNI_SHIFT = 15, IPCMNI = 1 << IPCMNI_SHIFT, SEQ_MAX = 2 ** 31 / IPCMNI;

/** struct ipc64_perm (48 bytes) and the sizes of the *64_ds structures and info blocks. */
const PERM_SIZE = 48, SHMID_DS_SIZE = 112, SEMID_DS_SIZE = 88, MSQID_DS_SIZE = 120;
const SHMINFO_SIZE = 72, SHM_INFO_SIZE = 48, SEMINFO_SIZE = 40, MSGINFO_SIZE = 32;

interface Perm { key: number; uid: number; gid: number; cuid: number; cgid: number; mode: number; seq: number; id: number; removed: boolean }

interface Segment extends Perm {
  inode: FileInode;
  size: number;
  rw: MappedFile;
  ro: MappedFile;
  atime: number; dtime: number; ctime: number;
  cpid: number; lpid: number;
  /** Attaches in other enclaves of the family, by process (their 'shmn' notes). */
  remote: Map<number, number>;
}

interface Sem { val: number; pid: number; otime: number }
/** A sleeping semop with the operation that blocked it (GETNCNT/GETZCNT); token: one waiting in another enclave. */
interface Pending { num: number; op: number; pid: number; token?: string }
interface SemSet extends Perm {
  sems: Sem[];
  otime: number; ctime: number;
  changed: WaitQueue;
  pending: Set<Pending>;
}

interface Msg { type: bigint; data: Uint8Array }
interface MsgQueue extends Perm {
  msgs: Msg[];
  bytes: number; qbytes: number;
  stime: number; rtime: number; ctime: number;
  lspid: number; lrpid: number;
  changed: WaitQueue;
}

/** One kind of object (ipc_ids): index allocation, ids, keys. */
class Ids<T extends Perm> {
  readonly byIndex = new Map<number, T>();
  private lastIdx = -1;
  private seq = 0;
  private next = 0;
  constructor(readonly max: number) {}

  get inUse(): number { return this.byIndex.size; }
  maxIdx(): number { let m = -1; for (const i of this.byIndex.keys()) if (i > m) m = i; return m; }

  /** ipc_idr_alloc: the next free index cyclically; the sequence moves on when the index wraps back. */
  add(obj: T): number {
    if (this.byIndex.size >= this.max) return -E.ENOSPC;
    let idx = -1;
    for (let i = 0; i < this.max; i++) {
      const c = (this.next + i) % this.max;
      if (!this.byIndex.has(c)) { idx = c; break; }
    }
    if (idx < 0) return -E.ENOSPC;
    if (idx <= this.lastIdx && ++this.seq >= SEQ_MAX) this.seq = 0;
    this.lastIdx = idx;
    this.next = idx + 1;
    obj.seq = this.seq;
    obj.id = this.seq * IPCMNI + idx;
    this.byIndex.set(idx, obj);
    return obj.id;
  }
  remove(obj: T): void {
    obj.removed = true;
    this.byIndex.delete(obj.id % IPCMNI);
  }
  /** ipc_obtain_object_check: the object of an id whose sequence matches; EINVAL otherwise. */
  byId(id: number): T {
    const o = id < 0 ? undefined : this.byIndex.get(id % IPCMNI);
    if (!o || o.id !== id) throw new SysError(E.EINVAL);
    return o;
  }
  /** ipc_obtain_object_idr (SHM_STAT and friends take an index). */
  byIdx(idx: number): T {
    const o = idx < 0 ? undefined : this.byIndex.get(idx);
    if (!o) throw new SysError(E.EINVAL);
    return o;
  }
  byKey(key: number): T | undefined {
    for (const o of this.byIndex.values()) if (o.key === key && key !== IPC_PRIVATE) return o;
    return undefined;
  }
}

class IpcNamespace {
  readonly shm = new Ids<Segment>(SHMMNI);
  readonly sem = new Ids<SemSet>(SEMMNI);
  readonly msg = new Ids<MsgQueue>(MSGMNI);
  usedSems = 0;
  /** Per-process SEM_UNDO adjustments, by pid (processes of other enclaves too): set -> semadj per semaphore. */
  readonly undo = new Map<number, Map<SemSet, number[]>>();
  readonly sb: SuperBlock;
  constructor(readonly k: Kernel) {
    const clock = inodeClock(k);
    this.sb = new SuperBlock('tmpfs', 0x01021994, clock, Number.MAX_SAFE_INTEGER);
  }
}

const namespaces = new WeakMap<Kernel, IpcNamespace>();
function nsOf(k: Kernel): IpcNamespace {
  let ns = namespaces.get(k);
  if (!ns) {
    const n = new IpcNamespace(k);
    namespaces.set(k, (ns = n));
    k.onProcessExit.push((p) => exitSem(n, p.pid));
  }
  return ns;
}

/** sleepOn for semop/msgsnd/msgrcv: a handler always ends the sleep with EINTR (never SA_RESTART'ed). */
function sleepIpc(k: Kernel, t: Task, q: WaitQueue, retry: () => RetryResult, deadline = Infinity, onDone?: () => void): ReturnType<Kernel['block']> {
  const r: ReturnType<Kernel['block']> = sleepOn(k, t, [q], retry, deadline, -E.EAGAIN, undefined, onDone);
  if (t.wait) t.wait.restartable = false;
  return r;
}

const nowSec = (k: Kernel): number => Math.floor(k.realtimeNs() / 1e9);

/** ipcperms: true when the user lacks one of the requested rwx bits (EACCES). */
function denied(k: Kernel, p: Perm, flag: number): boolean {
  const requested = (flag >> 6) | (flag >> 3) | flag;
  let granted = p.mode;
  if (k.config.uid === p.cuid || k.config.uid === p.uid) granted >>= 6;
  else if (k.config.gid === p.cgid || k.config.gid === p.gid) granted >>= 3;
  return (requested & ~granted & 7) !== 0;
}

/** ipcctl_obtain_check: the object, which only its owner or creator may IPC_SET or IPC_RMID (no CAP_SYS_ADMIN here). */
function owned<T extends Perm>(k: Kernel, ids: Ids<T>, id: number): T {
  const o = ids.byId(id);
  if (k.config.uid !== o.cuid && k.config.uid !== o.uid) throw new SysError(E.EPERM);
  return o;
}

function newPerm(k: Kernel, key: number, flg: number): Perm {
  const { uid, gid } = k.config;
  return { key, uid, gid, cuid: uid, cgid: gid, mode: flg & S_IRWXUGO, seq: 0, id: -1, removed: false };
}

/** ipcget: a new object for IPC_PRIVATE or a missing key with IPC_CREAT, else the existing one after its checks. */
function ipcget<T extends Perm>(k: Kernel, ids: Ids<T>, key: number, flg: number, create: () => number, more?: (o: T) => number,
  kind?: SysvKind, nsems = 0): number {
  if (key === IPC_PRIVATE) return create();
  const o = ids.byKey(key);
  if (!o) {
    // In a family, another enclave may serve the key: it runs ipcget there.
    const fam = kind ? famOf(k) : null;
    const there = fam ? fam.get(kind!, key, flg, nsems) : null;
    if (there !== null) return there;
    return flg & IPC_CREAT ? create() : -E.ENOENT;
  }
  if (flg & IPC_CREAT && flg & IPC_EXCL) return -E.EEXIST;
  const m = more ? more(o) : 0;
  if (m) return m;
  if (denied(k, o, flg & S_IRWXUGO)) return -E.EACCES;
  return o.id;
}

function encodePerm(dv: DataView, p: Perm): void {
  dv.setInt32(0, p.key, true);
  dv.setUint32(4, p.uid, true);
  dv.setUint32(8, p.gid, true);
  dv.setUint32(12, p.cuid, true);
  dv.setUint32(16, p.cgid, true);
  dv.setUint32(20, p.mode, true);
  dv.setUint16(24, p.seq & 0xffff, true);
}

/** ipc_update_perm from a user *_ds (IPC_SET): owner ids and the rwx bits; the change time. */
function setPerm(k: Kernel, p: Perm & { ctime: number }, b: Uint8Array): void {
  const dv = new DataView(b.buffer, b.byteOffset, PERM_SIZE);
  const uid = dv.getUint32(4, true), gid = dv.getUint32(8, true);
  if (uid === 0xffffffff || gid === 0xffffffff) throw new SysError(E.EINVAL); // not a valid kuid/kgid
  p.uid = uid;
  p.gid = gid;
  p.mode = (p.mode & ~S_IRWXUGO) | (dv.getUint32(20, true) & S_IRWXUGO);
  p.ctime = nowSec(k);
}

const put = (t: Task, addr: number, b: Uint8Array): void => t.proc.as.copyOut(addr, b);
const setLong = (dv: DataView, off: number, v: number | bigint): void => dv.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), true);

/**
 * IPC_STAT and the *_STAT/*_STAT_ANY commands (which take an index and return the id): the
 * object's *_ds written out, after the read check that *_STAT_ANY skips.
 */
function statCmd<T extends Perm>(k: Kernel, t: Task, ids: Ids<T>, idOrIdx: number, cmd: number, anyCmd: number, addr: number, encode: (o: T) => Uint8Array): number {
  const o = cmd === IPC_STAT ? ids.byId(idOrIdx) : ids.byIdx(idOrIdx);
  if (cmd !== anyCmd && denied(k, o, S_IRUGO)) return -E.EACCES;
  put(t, addr, encode(o));
  return cmd === IPC_STAT ? 0 : o.id;
}

// ---------------------------------------------------------------- shared memory (ipc/shm.c)

/**
 * The attaches of a segment (shm_nattch): every mapping of it in every live address space here,
 * and those other enclaves of the family reported (attaches there, inherited at fork or made by
 * shmat by id, counted by their 'shmn' notes).
 */
function nattch(k: Kernel, s: Segment): number {
  let n = 0;
  const seen = new Set<unknown>();
  for (const p of k.processes.values()) {
    if (p.exitStatus !== null || p.remote || seen.has(p.as)) continue;
    seen.add(p.as);
    for (const v of p.as.vmas) if (v.file === s.rw || v.file === s.ro) n++;
  }
  for (const c of s.remote.values()) n += c;
  return n;
}

/** shm_destroy once a removed segment has no attaches (Linux does it in the last shm_close). */
function reapSegments(ns: IpcNamespace): void {
  for (const s of [...ns.shm.byIndex.values()]) if (s.mode & SHM_DEST && nattch(ns.k, s) === 0) destroySegment(ns, s);
}

function destroySegment(ns: IpcNamespace, s: Segment): void {
  ns.shm.remove(s);
  famOf(ns.k)?.unpublish('shm', s.id, s.key);
  s.inode.opens--;
  s.inode.release();
}

/** shm_close (and shm_open from fork) of a mapping here: the time and the process of the last detach (attach). */
function segmentTouched(k: Kernel, s: Segment, as: unknown, open: boolean): void {
  if (open) s.atime = nowSec(k);
  else s.dtime = nowSec(k);
  for (const p of k.processes.values()) if (p.as === as && !p.remote && p.exitStatus === null) { s.lpid = p.pid; return; }
  for (const p of k.processes.values()) if (p.as === as && !p.remote) { s.lpid = p.pid; return; }
  const t = k.runningTask;
  if (t) s.lpid = t.proc.pid; // execve: the old image's mappings go after the process has its new one
}

function newSegment(k: Kernel, t: Task, ns: IpcNamespace, key: number, size: number, flg: number): number {
  if (size < SHMMIN || size > SHMMAX) return -E.EINVAL;
  if (flg & SHM_HUGETLB) return -E.EINVAL; // no hugetlbfs here
  let total = 0;
  for (const s of ns.shm.byIndex.values()) total += Math.ceil(s.size / PAGE_SIZE);
  if (total + Math.ceil(size / PAGE_SIZE) > SHMALL) return -E.ENOSPC;
  const inode = new FileInode(ns.sb, flg & S_IRWXUGO, k.config.uid, k.config.gid);
  inode.opens++; // the segment holds its file until shm_destroy
  // Linux allocates shmem pages lazily and overcommits; here the segment's bytes are held at
  // once, so a segment larger than the enclave's memory is refused (ENOMEM) at shmget.
  if (size > k.frames.totalFrames() * PAGE_SIZE) return -E.ENOMEM;
  try {
    inode.truncate(size);
  } catch (e) {
    if (e instanceof SysError || e instanceof RangeError) return -E.ENOMEM;
    throw e;
  }
  const cache = new PageCache(inode.backing(), t.proc.as.frameMemory());
  inode.pageCache = cache;
  const perm = newPerm(k, key, flg);
  const path = `/SYSV${(key >>> 0).toString(16).padStart(8, '0')}`;
  const tag = { id: -1, size, owner: 0 };
  let seg: Segment | null = null;
  const mapped = (mayWrite: boolean): MappedFile => ({
    cache, path, dev: ns.sb.dev, ino: inode.ino, nlink: () => 0, mayWrite, shm: tag,
    closed: (as) => { if (seg) segmentTouched(k, seg, as, false); },
    forked: (parent) => { if (seg) segmentTouched(k, seg, parent, true); },
  });
  const now = nowSec(k);
  const s: Segment = { ...perm, inode, size, rw: mapped(true), ro: mapped(false), atime: 0, dtime: 0, ctime: now, cpid: t.proc.pid, lpid: 0, remote: new Map() };
  const id = addObject(k, 'shm', ns.shm, s);
  if (id < 0) { inode.opens--; inode.release(); return id; }
  tag.id = id;
  seg = s;
  return id;
}

function shmStat(k: Kernel, s: Segment): Uint8Array {
  const b = new Uint8Array(SHMID_DS_SIZE);
  const dv = new DataView(b.buffer);
  encodePerm(dv, s);
  setLong(dv, 48, s.size);
  setLong(dv, 56, s.atime);
  setLong(dv, 64, s.dtime);
  setLong(dv, 72, s.ctime);
  dv.setInt32(80, s.cpid, true);
  dv.setInt32(84, s.lpid, true);
  setLong(dv, 88, nattch(k, s));
  return b;
}

/** shmget's checks on an existing key (the caller's, or another enclave's asking by key); create: a missing one. */
function shmgetHere(k: Kernel, ns: IpcNamespace, key: number, size: number, flg: number, create: () => number): number {
  return ipcget(k, ns.shm, key, flg, create, (s) => (s.size < size ? -E.EINVAL : 0), 'shm', Math.min(size, Number.MAX_SAFE_INTEGER));
}

/**
 * do_shmat's address rules for an attach of `size` bytes (the caller's address space, wherever
 * the segment lives): the start, or -errno. `addr` is already rounded (SHM_RND) or 0.
 */
function placeAttach(t: Task, addr: number, fixed: boolean, size: number, flg: number): number {
  const as = t.proc.as;
  if (fixed) {
    if (addr + size > USER_VA_END) return -E.EINVAL;
    if (!(flg & SHM_REMAP) && !as.isFree(addr, addr + size)) return -E.EINVAL;
    if (addr < MMAP_MIN_ADDR) return -E.EPERM; // do_mmap's mmap_min_addr check (security_mmap_addr)
    as.unmapRange(addr, addr + size);
    return addr;
  }
  const start = as.findFree(size, 0);
  return start < 0 ? -E.ENOMEM : start;
}

/** The attaches of segment `shm` (by owner and id) in one address space. */
const attachesIn = (as: { vmas: readonly Vma[] }, owner: number, id: number): number =>
  as.vmas.filter((v) => v.file?.shm?.owner === owner && v.file.shm.id === id).length;

/** shmat by id of a segment another enclave serves: its owner checks, this kernel maps its pages from there. */
function remoteShmat(k: Kernel, t: Task, owner: number, shmid: number, addr: number, fixed: boolean, flg: number, prot: number, acc: number): number {
  const fs = k.family!;
  const a = famOf(k)!.call(owner, { op: 'shmat', id: shmid, acc });
  if (a.ret < 0) return a.ret;
  const g = a.seg;
  if (!g || typeof g !== 'object' || !isInt(g.fid, 1, 2 ** 31) || !isInt(g.size, SHMMIN, Number.MAX_SAFE_INTEGER)
    || !isInt(g.dev, 0, 2 ** 32) || !isInt(g.ino, 0, Number.MAX_SAFE_INTEGER) || !isInt(g.key, -0x80000000, 0x7fffffff)) return -E.EIO;
  const size = Math.ceil(g.size / PAGE_SIZE) * PAGE_SIZE;
  const start = placeAttach(t, addr, fixed, size, flg);
  if (start < 0) return start;
  const path = `/SYSV${(g.key >>> 0).toString(16).padStart(8, '0')}`;
  const file = fs.pages.holdSegment(owner, g.fid, t.proc.pid, { id: shmid, size: g.size }, path, g.dev, g.ino, !(flg & SHM_RDONLY), t.proc.as.frameMemory());
  t.proc.as.insert({ start, end: start + size, prot, name: '', shared: true, file, fileBase: start });
  shmOpened(fs, owner, shmid, t.proc.pid, attachesIn(t.proc.as, owner, shmid));
  return start;
}

/** The shmctl commands on one segment, run where it lives (memlock: the caller's RLIMIT_MEMLOCK is not 0). */
function shmctlHere(k: Kernel, ns: IpcNamespace, shmid: number, cmd: number, ds: Uint8Array | null, memlock: boolean): CtlOut {
  switch (cmd) {
    case IPC_STAT: {
      const s = ns.shm.byId(shmid);
      if (denied(k, s, S_IRUGO)) return { ret: -E.EACCES };
      return { ret: 0, out: shmStat(k, s) };
    }
    case SHM_LOCK: case SHM_UNLOCK: {
      const s = owned(k, ns.shm, shmid);
      if (cmd === SHM_LOCK && !memlock) return { ret: -E.EPERM };
      s.mode = cmd === SHM_LOCK ? s.mode | SHM_LOCKED : s.mode & ~SHM_LOCKED;
      return { ret: 0 };
    }
    case IPC_SET: {
      const s = owned(k, ns.shm, shmid);
      setPerm(k, s, ds!);
      return { ret: 0 };
    }
    case IPC_RMID: {
      const s = owned(k, ns.shm, shmid);
      // do_shm_rmid: still attached (in any enclave), it is marked and its key freed; otherwise destroyed now.
      if (nattch(k, s) > 0) {
        famOf(k)?.unpublishKey('shm', s.key);
        s.mode |= SHM_DEST;
        s.key = IPC_PRIVATE;
      } else destroySegment(ns, s);
      return { ret: 0 };
    }
    default:
      return { ret: -E.EINVAL };
  }
}

function registerShm(tab: SyscallTable): void {
  tab.def('shmget', 'dux', (k, t, a) => {
    const ns = nsOf(k);
    reapSegments(ns);
    const key = a.i32(0), size = a.u(1), flg = a.i32(2);
    return shmgetHere(k, ns, key, size, flg, () => newSegment(k, t, ns, key, size, flg));
  });

  tab.def('shmat', 'dpx', (k, t, a) => {
    const ns = nsOf(k);
    const shmid = a.i32(0), flg = a.i32(2);
    let addr = a.u(1);
    if (shmid < 0) return -E.EINVAL;
    let fixed = false;
    if (addr) {
      if (addr % SHMLBA) {
        if (!(flg & SHM_RND)) return -E.EINVAL;
        addr -= addr % SHMLBA;
        if (!addr && flg & SHM_REMAP) return -E.EINVAL;
      }
      fixed = true;
    } else if (flg & SHM_REMAP) return -E.EINVAL;
    let prot = PROT_READ, acc = S_IRUGO;
    if (!(flg & SHM_RDONLY)) { prot |= PROT_WRITE; acc |= S_IWUGO; }
    if (flg & SHM_EXEC) { prot |= PROT_EXEC; acc |= S_IXUGO; }
    const owner = remoteOwner(k, ns.shm, 'shm', shmid);
    if (owner) return remoteShmat(k, t, owner, shmid, addr, fixed, flg, prot, acc);
    const s = ns.shm.byId(shmid);
    if (denied(k, s, acc)) return -E.EACCES;
    const size = Math.ceil(s.size / PAGE_SIZE) * PAGE_SIZE;
    const start = placeAttach(t, addr, fixed, size, flg);
    if (start < 0) return start;
    t.proc.as.insert({ start, end: start + size, prot, name: '', shared: true, file: flg & SHM_RDONLY ? s.ro : s.rw, fileBase: start });
    s.atime = nowSec(k);
    s.lpid = t.proc.pid;
    return start;
  }, 'partial');

  tab.def('shmdt', 'p', (k, t, a) => {
    const ns = nsOf(k);
    const addr = a.u(0);
    if (addr % PAGE_SIZE) return -E.EINVAL;
    const as = t.proc.as;
    // ksys_shmdt: the first shm mapping at or above addr whose offset puts offset 0 at addr,
    // then its other pieces (split by mprotect or munmap) within the segment's size. The
    // segment may be this enclave's or another's (then its closed hook tells the owner).
    const vmas = as.vmas.filter((v) => v.end > addr).sort((x, y) => x.start - y.start);
    const first = vmas.find((v) => v.file?.shm && v.fileBase === addr);
    const tag = first?.file?.shm;
    if (!tag) return -E.EINVAL;
    const size = Math.ceil(tag.size / PAGE_SIZE) * PAGE_SIZE;
    for (const v of vmas) {
      const sh = v.file?.shm;
      if (sh && sh.owner === tag.owner && sh.id === tag.id && v.fileBase === addr && v.end - addr <= size) as.unmapRange(v.start, v.end);
    }
    reapSegments(ns);
    return 0;
  });

  tab.def('shmctl', 'ddp', (k, t, a) => {
    const ns = nsOf(k);
    reapSegments(ns);
    const shmid = a.i32(0), cmd = a.i32(1), buf = a.u(2);
    if (cmd < 0 || shmid < 0) return -E.EINVAL;
    switch (cmd) {
      case IPC_INFO: {
        const b = new Uint8Array(SHMINFO_SIZE);
        const dv = new DataView(b.buffer);
        setLong(dv, 0, SHMMAX);
        setLong(dv, 8, SHMMIN);
        setLong(dv, 16, SHMMNI);
        setLong(dv, 24, SHMSEG);
        setLong(dv, 32, SHMALL);
        put(t, buf, b);
        return Math.max(ns.shm.maxIdx(), 0);
      }
      case SHM_INFO: {
        const b = new Uint8Array(SHM_INFO_SIZE);
        const dv = new DataView(b.buffer);
        let tot = 0, rss = 0;
        for (const s of ns.shm.byIndex.values()) { tot += Math.ceil(s.size / PAGE_SIZE); rss += s.rw.cache.size; }
        dv.setInt32(0, ns.shm.inUse, true);
        setLong(dv, 8, tot);
        setLong(dv, 16, rss);
        put(t, buf, b);
        return Math.max(ns.shm.maxIdx(), 0);
      }
      case SHM_STAT: case SHM_STAT_ANY:
        return statCmd(k, t, ns.shm, shmid, cmd, SHM_STAT_ANY, buf, (s) => shmStat(k, s));
      case IPC_STAT: case IPC_SET: case IPC_RMID: case SHM_LOCK: case SHM_UNLOCK: {
        const ds = cmd === IPC_SET ? t.proc.as.copyIn(buf, SHMID_DS_SIZE) : null;
        const memlock = t.proc.rlimits[8 /* RLIMIT_MEMLOCK */]!.cur !== 0n;
        const owner = remoteOwner(k, ns.shm, 'shm', shmid);
        const r = owner ? remoteCtl(k, owner, { op: 'shmctl', id: shmid, cmd, ds: ds && hex(ds), memlock }) : shmctlHere(k, ns, shmid, cmd, ds, memlock);
        if (r.out && r.ret >= 0) put(t, buf, r.out);
        return r.ret;
      }
      default:
        return -E.EINVAL;
    }
  }, 'partial');
}

// ---------------------------------------------------------------- semaphores (ipc/sem.c)

interface Sop { num: number; op: number; flg: number }

function undoOf(ns: IpcNamespace, pid: number, set: SemSet): number[] {
  let m = ns.undo.get(pid);
  if (!m) ns.undo.set(pid, (m = new Map()));
  let u = m.get(set);
  if (!u) m.set(set, (u = new Array<number>(set.sems.length).fill(0)));
  return u;
}

/** Forgets every process's adjustments of some semaphores (SETVAL, SETALL, IPC_RMID). */
function clearUndo(ns: IpcNamespace, set: SemSet, num: number | null): void {
  for (const m of ns.undo.values()) {
    const u = m.get(set);
    if (!u) continue;
    if (num === null) m.delete(set);
    else u[num] = 0;
  }
}

/** exit_sem: the exiting process's SEM_UNDO adjustments are applied, clamped to 0..SEMVMX. */
function exitSem(ns: IpcNamespace, pid: number): void {
  const m = ns.undo.get(pid);
  if (!m) return;
  ns.undo.delete(pid);
  for (const [set, u] of m) {
    if (set.removed) continue;
    u.forEach((adj, i) => {
      if (!adj) return;
      const s = set.sems[i]!;
      s.val = Math.max(0, Math.min(SEMVMX, s.val + adj));
      s.pid = pid;
    });
    set.changed.notify();
  }
}

/**
 * perform_atomic_semop: every operation in order against the values the earlier ones left;
 * all or nothing. Returns 0 done, the blocking operation, or a negative errno. `pid`: the
 * process the operation is for (sempid, its SEM_UNDO adjustments), here or in another enclave.
 */
function tryOps(ns: IpcNamespace, pid: number, set: SemSet, sops: Sop[]): number | Sop {
  const vals = set.sems.map((s) => s.val);
  const undo = sops.some((s) => s.flg & SEM_UNDO) ? undoOf(ns, pid, set) : null;
  const adj = undo ? [...undo] : null;
  for (const sop of sops) {
    const cur = vals[sop.num]!;
    if (sop.op === 0 && cur !== 0) return sop.flg & IPC_NOWAIT ? -E.EAGAIN : sop;
    const next = cur + sop.op;
    if (next < 0) return sop.flg & IPC_NOWAIT ? -E.EAGAIN : sop;
    if (next > SEMVMX) return -E.ERANGE;
    if (sop.flg & SEM_UNDO) {
      const u = adj![sop.num]! - sop.op;
      if (u < -SEMAEM - 1 || u > SEMAEM) return -E.ERANGE;
      adj![sop.num] = u;
    }
    vals[sop.num] = next;
  }
  const now = nowSec(ns.k);
  for (const sop of sops) {
    const s = set.sems[sop.num]!;
    s.pid = pid;
    s.otime = now;
  }
  vals.forEach((v, i) => { set.sems[i]!.val = v; });
  if (undo && adj) adj.forEach((v, i) => { undo[i] = v; });
  set.otime = now;
  if (sops.some((s) => s.op !== 0)) set.changed.notify();
  return 0;
}

function semStat(set: SemSet): Uint8Array {
  const b = new Uint8Array(SEMID_DS_SIZE);
  const dv = new DataView(b.buffer);
  encodePerm(dv, set);
  setLong(dv, 48, Math.max(set.otime, ...set.sems.map((s) => s.otime)));
  setLong(dv, 56, set.ctime);
  setLong(dv, 64, set.sems.length);
  return b;
}

/** semop's checks on the set (EFBIG past it, EACCES), then its first attempt, for process `pid`. */
function semopHere(k: Kernel, ns: IpcNamespace, set: SemSet, pid: number, sops: Sop[]): number | Sop {
  if (sops.some((s) => s.num >= set.sems.length)) return -E.EFBIG;
  if (denied(k, set, sops.some((s) => s.op !== 0) ? S_IWUGO : S_IRUGO)) return -E.EACCES;
  return tryOps(ns, pid, set, sops);
}

function semtimedop(k: Kernel, t: Task, semid: number, sopsAddr: number, nsops: number, timeoutAddr: number) {
  const ns = nsOf(k);
  if (nsops < 1 || semid < 0) return -E.EINVAL;
  if (nsops > SEMOPM) return -E.E2BIG;
  const raw = t.proc.as.copyIn(sopsAddr, nsops * 6);
  let deadline = Infinity;
  if (timeoutAddr) {
    const { sec, nsec } = decodeTimespec(t.proc.as.copyIn(timeoutAddr, TIMESPEC_SIZE));
    if (sec < 0 || nsec < 0 || nsec >= 1e9) return -E.EINVAL;
    deadline = k.platform.monotonicNs() + sec * 1e9 + nsec;
  }
  const dv = new DataView(raw.buffer);
  const sops: Sop[] = [];
  for (let i = 0; i < nsops; i++) sops.push({ num: dv.getUint16(i * 6, true), op: dv.getInt16(i * 6 + 2, true), flg: dv.getInt16(i * 6 + 4, true) });
  const owner = remoteOwner(k, ns.sem, 'sem', semid);
  if (owner) return remoteSemop(k, t, owner, semid, sops, deadline);
  const set = ns.sem.byId(semid);
  const first = semopHere(k, ns, set, t.proc.pid, sops);
  if (typeof first === 'number') return first;
  const waiting: Pending = { num: first.num, op: first.op, pid: t.proc.pid };
  set.pending.add(waiting);
  const retry = (): RetryResult => {
    if (set.removed) return -E.EIDRM;
    const r = tryOps(ns, t.proc.pid, set, sops);
    if (typeof r === 'number') return r;
    waiting.num = r.num;
    waiting.op = r.op;
    return AGAIN;
  };
  return sleepIpc(k, t, set.changed, retry, deadline, () => set.pending.delete(waiting));
}

/** semget's work in this enclave (the caller's, or another enclave's asking by key). */
function semgetHere(k: Kernel, ns: IpcNamespace, key: number, nsems: number, flg: number): number {
  if (nsems < 0 || nsems > SEMMSL) return -E.EINVAL;
  return ipcget(k, ns.sem, key, flg, () => {
    if (nsems === 0) return -E.EINVAL;
    if (ns.usedSems + nsems > SEMMNS) return -E.ENOSPC;
    const set: SemSet = {
      ...newPerm(k, key, flg), sems: Array.from({ length: nsems }, () => ({ val: 0, pid: 0, otime: 0 })),
      otime: 0, ctime: nowSec(k), changed: new WaitQueue(), pending: new Set(),
    };
    const id = addObject(k, 'sem', ns.sem, set);
    if (id >= 0) ns.usedSems += nsems;
    return id;
  }, (set) => (nsems > set.sems.length ? -E.EINVAL : 0), 'sem', nsems);
}

/** What a semctl or msgctl command takes from the caller (read before) and gives back (written after). */
interface CtlIn { val: number; vals: number[] | null; ds: Uint8Array | null }
interface CtlOut { ret: number; out?: Uint8Array }

/**
 * The semctl commands on one set, run where the set lives for process `pid`. SETALL without
 * values answers the set's size after the write check (the caller then reads that many values).
 */
function semctlHere(k: Kernel, ns: IpcNamespace, pid: number, semid: number, semnum: number, cmd: number, inp: CtlIn): CtlOut {
  switch (cmd) {
    case IPC_STAT: {
      const set = ns.sem.byId(semid);
      if (denied(k, set, S_IRUGO)) return { ret: -E.EACCES };
      return { ret: 0, out: semStat(set) };
    }
    case SETVAL: {
      const val = inp.val;
      if (val > SEMVMX || val < 0) return { ret: -E.ERANGE };
      const set = ns.sem.byId(semid);
      if (semnum < 0 || semnum >= set.sems.length) return { ret: -E.EINVAL };
      if (denied(k, set, S_IWUGO)) return { ret: -E.EACCES };
      clearUndo(ns, set, semnum);
      const s = set.sems[semnum]!;
      s.val = val;
      s.pid = pid;
      set.ctime = nowSec(k);
      set.changed.notify();
      return { ret: 0 };
    }
    case GETALL: case SETALL: case GETVAL: case GETPID: case GETNCNT: case GETZCNT: {
      const set = ns.sem.byId(semid);
      const n = set.sems.length;
      if (denied(k, set, cmd === SETALL ? S_IWUGO : S_IRUGO)) return { ret: -E.EACCES };
      if (cmd === GETALL) {
        const b = new Uint8Array(n * 2);
        const dv = new DataView(b.buffer);
        set.sems.forEach((s, i) => dv.setUint16(i * 2, s.val, true));
        return { ret: 0, out: b };
      }
      if (cmd === SETALL) {
        const vals = inp.vals;
        if (!vals) return { ret: n };
        if (vals.length !== n) return { ret: -E.EINVAL };
        if (vals.some((v) => v > SEMVMX)) return { ret: -E.ERANGE };
        clearUndo(ns, set, null);
        vals.forEach((v, i) => { set.sems[i]!.val = v; set.sems[i]!.pid = pid; });
        set.ctime = nowSec(k);
        set.changed.notify();
        return { ret: 0 };
      }
      if (semnum < 0 || semnum >= n) return { ret: -E.EINVAL };
      const s = set.sems[semnum]!;
      if (cmd === GETVAL) return { ret: s.val };
      if (cmd === GETPID) return { ret: s.pid };
      let c = 0;
      for (const w of set.pending) if (w.num === semnum && (cmd === GETNCNT ? w.op < 0 : w.op === 0)) c++;
      return { ret: c };
    }
    case IPC_SET: {
      const set = owned(k, ns.sem, semid);
      setPerm(k, set, inp.ds!);
      return { ret: 0 };
    }
    case IPC_RMID: {
      const set = owned(k, ns.sem, semid);
      ns.sem.remove(set);
      ns.usedSems -= set.sems.length;
      clearUndo(ns, set, null);
      famOf(k)?.unpublish('sem', semid, set.key);
      set.changed.notify(); // sleepers fail with EIDRM
      return { ret: 0 };
    }
    default:
      return { ret: -E.EINVAL };
  }
}

function registerSem(tab: SyscallTable): void {
  tab.def('semget', 'ddx', (k, t, a) => semgetHere(k, nsOf(k), a.i32(0), a.i32(1), a.i32(2)));

  tab.def('semop', 'dpu', (k, t, a) => semtimedop(k, t, a.i32(0), a.u(1), a.u(2), 0));
  tab.def('semtimedop', 'dpup', (k, t, a) => semtimedop(k, t, a.i32(0), a.u(1), a.u(2), a.u(3)));

  tab.def('semctl', 'dddx', (k, t, a) => {
    const ns = nsOf(k);
    const semid = a.i32(0), semnum = a.i32(1), cmd = a.i32(2), arg = a.u(3);
    if (semid < 0) return -E.EINVAL;
    switch (cmd) {
      case IPC_INFO: case SEM_INFO: {
        const b = new Uint8Array(SEMINFO_SIZE);
        const dv = new DataView(b.buffer);
        const info = cmd === SEM_INFO;
        [SEMMAP, SEMMNI, SEMMNS, SEMMNU, SEMMSL, SEMOPM, SEMUME, info ? ns.sem.inUse : SEMUSZ, SEMVMX, info ? ns.usedSems : SEMAEM]
          .forEach((v, i) => dv.setInt32(i * 4, v, true));
        put(t, arg, b);
        return Math.max(ns.sem.maxIdx(), 0);
      }
      case SEM_STAT: case SEM_STAT_ANY:
        return statCmd(k, t, ns.sem, semid, cmd, SEM_STAT_ANY, arg, semStat);
      default: {
        // IPC_SET reads the caller's semid_ds first (copy_semid_from_user), as Linux does.
        const inp: CtlIn = { val: a.i32(3), vals: null, ds: cmd === IPC_SET ? t.proc.as.copyIn(arg, SEMID_DS_SIZE) : null };
        const owner = remoteOwner(k, ns.sem, 'sem', semid);
        const run = (): CtlOut => (owner ? remoteCtl(k, owner, { op: 'semctl', id: semid, semnum, cmd, pid: t.proc.pid, val: inp.val, vals: inp.vals, ds: inp.ds && hex(inp.ds) })
          : semctlHere(k, ns, t.proc.pid, semid, semnum, cmd, inp));
        if (cmd === SETALL) {
          const n = run();
          if (n.ret < 0) return n.ret;
          const b = t.proc.as.copyIn(arg, n.ret * 2);
          const dv = new DataView(b.buffer);
          inp.vals = Array.from({ length: n.ret }, (_, i) => dv.getUint16(i * 2, true));
        }
        const r = run();
        if (r.out && r.ret >= 0) put(t, arg, r.out);
        return r.ret;
      }
    }
  }, 'partial');
}

// ---------------------------------------------------------------- message queues (ipc/msg.c)

function msgStat(q: MsgQueue): Uint8Array {
  const b = new Uint8Array(MSQID_DS_SIZE);
  const dv = new DataView(b.buffer);
  encodePerm(dv, q);
  setLong(dv, 48, q.stime);
  setLong(dv, 56, q.rtime);
  setLong(dv, 64, q.ctime);
  setLong(dv, 72, q.bytes);
  setLong(dv, 80, q.msgs.length);
  setLong(dv, 88, q.qbytes);
  dv.setInt32(96, q.lspid, true);
  dv.setInt32(100, q.lrpid, true);
  return b;
}

const SEARCH_ANY = 1, SEARCH_EQUAL = 2, SEARCH_NOTEQUAL = 3, SEARCH_LESSEQUAL = 4, SEARCH_NUMBER = 5;
const LONG_MIN = -(2n ** 63n), LONG_MAX = 2n ** 63n - 1n;

/** find_msg: the index of the message msgrcv takes (for SEARCH_LESSEQUAL the first of the lowest type), or -1. */
function findMsg(q: MsgQueue, type: bigint, mode: number): number {
  let found = -1, limit = type;
  for (let i = 0; i < q.msgs.length; i++) {
    const m = q.msgs[i]!;
    const ok = mode === SEARCH_ANY || mode === SEARCH_NUMBER || (mode === SEARCH_EQUAL && m.type === type)
      || (mode === SEARCH_NOTEQUAL && m.type !== type) || (mode === SEARCH_LESSEQUAL && m.type <= limit);
    if (!ok) continue;
    if (mode === SEARCH_LESSEQUAL && m.type !== 1n) { limit = m.type - 1n; found = i; continue; }
    if (mode === SEARCH_NUMBER) { if (BigInt(i) === type) return i; continue; }
    return i;
  }
  return found;
}

/** One attempt of msgsnd on a queue of this enclave, for process `pid`: 0, AGAIN (no room yet), or -errno. */
function msgsndHere(k: Kernel, q: MsgQueue, pid: number, type: bigint, data: Uint8Array, flg: number): RetryResult {
  if (q.removed) return -E.EIDRM;
  if (denied(k, q, S_IWUGO)) return -E.EACCES;
  // msg_fits_inqueue: bytes and the number of messages are both bounded by msg_qbytes.
  if (q.bytes + data.length > q.qbytes || q.msgs.length + 1 > q.qbytes) return flg & IPC_NOWAIT ? -E.EAGAIN : AGAIN;
  q.msgs.push({ type, data });
  q.bytes += data.length;
  q.lspid = pid;
  q.stime = nowSec(k);
  q.changed.notify();
  return 0;
}

/** One attempt of msgrcv on a queue of this enclave, for process `pid`: the message (taken unless MSG_COPY), AGAIN, or -errno. */
function msgrcvHere(k: Kernel, q: MsgQueue, pid: number, type: bigint, mode: number, bufsz: number, flg: number): Msg | RetryResult {
  if (q.removed) return -E.EIDRM;
  if (denied(k, q, S_IRUGO)) return -E.EACCES;
  const i = findMsg(q, type, mode);
  if (i < 0) return flg & IPC_NOWAIT ? -E.ENOMSG : AGAIN;
  const m = q.msgs[i]!;
  if (bufsz < m.data.length && !(flg & MSG_NOERROR)) return -E.E2BIG;
  if (!(flg & MSG_COPY)) {
    q.msgs.splice(i, 1);
    q.bytes -= m.data.length;
    q.lrpid = pid;
    q.rtime = nowSec(k);
    q.changed.notify(); // senders waiting for room
  }
  return m;
}

/** IPC_STAT, IPC_SET and IPC_RMID on a queue of this enclave. */
function msgctlHere(k: Kernel, ns: IpcNamespace, msqid: number, cmd: number, ds: Uint8Array | null): CtlOut {
  switch (cmd) {
    case IPC_STAT: {
      const q = ns.msg.byId(msqid);
      if (denied(k, q, S_IRUGO)) return { ret: -E.EACCES };
      return { ret: 0, out: msgStat(q) };
    }
    case IPC_SET: {
      const q = owned(k, ns.msg, msqid);
      const qbytes = Number(new DataView(ds!.buffer, ds!.byteOffset).getBigUint64(88, true));
      if (qbytes > MSGMNB) return { ret: -E.EPERM }; // raising msg_qbytes past msgmnb needs CAP_SYS_RESOURCE
      setPerm(k, q, ds!);
      q.qbytes = qbytes;
      q.changed.notify(); // room for senders, or receivers whose rights changed
      return { ret: 0 };
    }
    case IPC_RMID: {
      const q = owned(k, ns.msg, msqid);
      ns.msg.remove(q);
      famOf(k)?.unpublish('msg', msqid, q.key);
      q.changed.notify(); // sleepers fail with EIDRM
      return { ret: 0 };
    }
    default:
      return { ret: -E.EINVAL };
  }
}

/** do_msg_fill: the type, then the text (cut to bufsz); a fault here loses the message, as on Linux. */
function msgFill(t: Task, msgp: number, bufsz: number, type: bigint, data: Uint8Array): number {
  const n = Math.min(bufsz, data.length);
  const tb = new Uint8Array(8);
  new DataView(tb.buffer).setBigInt64(0, type, true);
  put(t, msgp, tb);
  put(t, msgp + 8, data.subarray(0, n));
  return n;
}

function registerMsg(tab: SyscallTable): void {
  tab.def('msgget', 'dx', (k, t, a) => msggetHere(k, nsOf(k), a.i32(0), a.i32(1)));

  tab.def('msgsnd', 'dpux', (k, t, a) => {
    const ns = nsOf(k);
    const msqid = a.i32(0), msgp = a.u(1), msgsz = a.i64(2), flg = a.i32(3);
    const type = new DataView(t.proc.as.copyIn(msgp, 8).buffer).getBigInt64(0, true);
    if (msgsz > MSGMAX || msgsz < 0 || msqid < 0) return -E.EINVAL;
    if (type < 1n) return -E.EINVAL;
    const data = t.proc.as.copyIn(msgp + 8, msgsz);
    const owner = remoteOwner(k, ns.msg, 'msg', msqid);
    if (owner) {
      const req = (retry: boolean): SysvRequest => ({ op: 'msgsnd', id: msqid, type: type.toString(), data: hex(data), flg, pid: t.proc.pid, retry });
      return remoteBlocking(k, t, owner, 'msg', msqid, req, (ans) => ans.ret);
    }
    const q = ns.msg.byId(msqid);
    const attempt = (): RetryResult => msgsndHere(k, q, t.proc.pid, type, data, flg);
    const r = attempt();
    return r === AGAIN ? sleepIpc(k, t, q.changed, attempt) : r;
  });

  tab.def('msgrcv', 'dpuxx', (k, t, a) => {
    const ns = nsOf(k);
    const msqid = a.i32(0), msgp = a.u(1), bufsz = a.i64(2), flg = a.i32(4);
    let type = a.big(3);
    type = BigInt.asIntN(64, type);
    if (msqid < 0 || bufsz < 0) return -E.EINVAL;
    let mode: number;
    if (flg & MSG_COPY) {
      if (flg & MSG_EXCEPT || !(flg & IPC_NOWAIT)) return -E.EINVAL;
      mode = SEARCH_NUMBER;
    } else if (type === 0n) mode = SEARCH_ANY;
    else if (type < 0n) { type = type === LONG_MIN ? LONG_MAX : -type; mode = SEARCH_LESSEQUAL; }
    else mode = flg & MSG_EXCEPT ? SEARCH_NOTEQUAL : SEARCH_EQUAL;
    const owner = remoteOwner(k, ns.msg, 'msg', msqid);
    if (owner) {
      const req = (retry: boolean): SysvRequest => ({ op: 'msgrcv', id: msqid, type: type.toString(), mode, bufsz: Math.min(bufsz, MSGMAX), flg, pid: t.proc.pid, retry });
      return remoteBlocking(k, t, owner, 'msg', msqid, req, (ans) => {
        if (ans.ret < 0) return ans.ret;
        const data = unhexBytes(ans.out, MSGMAX), mtype = typeof ans.mtype === 'string' && /^-?\d{1,20}$/.test(ans.mtype) ? BigInt.asIntN(64, BigInt(ans.mtype)) : null;
        if (!data || mtype === null || data.length > bufsz) return -E.EIO;
        return msgFill(t, msgp, bufsz, mtype, data);
      });
    }
    const q = ns.msg.byId(msqid);
    const attempt = (): RetryResult => {
      const m = msgrcvHere(k, q, t.proc.pid, type, mode, bufsz, flg);
      return typeof m === 'object' ? msgFill(t, msgp, bufsz, m.type, m.data) : m;
    };
    const r = attempt();
    return r === AGAIN ? sleepIpc(k, t, q.changed, attempt) : r;
  });

  tab.def('msgctl', 'ddp', (k, t, a) => {
    const ns = nsOf(k);
    const msqid = a.i32(0), cmd = a.i32(1), buf = a.u(2);
    if (msqid < 0 || cmd < 0) return -E.EINVAL;
    switch (cmd) {
      case IPC_INFO: case MSG_INFO: {
        const b = new Uint8Array(MSGINFO_SIZE);
        const dv = new DataView(b.buffer);
        const info = cmd === MSG_INFO;
        let hdrs = 0, bytes = 0;
        for (const q of ns.msg.byIndex.values()) { hdrs += q.msgs.length; bytes += q.bytes; }
        dv.setInt32(0, info ? ns.msg.inUse : MSGPOOL, true);
        dv.setInt32(4, info ? hdrs : MSGMAP, true);
        dv.setInt32(8, MSGMAX, true);
        dv.setInt32(12, MSGMNB, true);
        dv.setInt32(16, MSGMNI, true);
        dv.setInt32(20, MSGSSZ, true);
        dv.setInt32(24, info ? bytes : MSGTQL, true);
        dv.setUint16(28, MSGSEG, true);
        put(t, buf, b);
        return Math.max(ns.msg.maxIdx(), 0);
      }
      case MSG_STAT: case MSG_STAT_ANY:
        return statCmd(k, t, ns.msg, msqid, cmd, MSG_STAT_ANY, buf, msgStat);
      case IPC_STAT: case IPC_SET: case IPC_RMID: {
        const ds = cmd === IPC_SET ? t.proc.as.copyIn(buf, MSQID_DS_SIZE) : null;
        const owner = remoteOwner(k, ns.msg, 'msg', msqid);
        const r = owner ? remoteCtl(k, owner, { op: 'msgctl', id: msqid, cmd, ds: ds && hex(ds) }) : msgctlHere(k, ns, msqid, cmd, ds);
        if (r.out && r.ret >= 0) put(t, buf, r.out);
        return r.ret;
      }
      default:
        return -E.EINVAL;
    }
  }, 'partial');
}

/** msgget's work in this enclave (the caller's, or another enclave's asking by key). */
function msggetHere(k: Kernel, ns: IpcNamespace, key: number, flg: number): number {
  return ipcget(k, ns.msg, key, flg, () => addObject(k, 'msg', ns.msg, {
    ...newPerm(k, key, flg), msgs: [], bytes: 0, qbytes: MSGMNB, stime: 0, rtime: 0, ctime: nowSec(k), lspid: 0, lrpid: 0, changed: new WaitQueue(),
  }), undefined, 'msg', 0);
}

// ---------------------------------------------------------------- across the enclaves of a family (sysvipc-family.ts)

const families = new WeakMap<Kernel, SysvFamily>();
/**
 * unshare(CLONE_SYSVSEM) of a single-threaded process: exit_sem now. Its SEM_UNDO adjustments
 * are applied (here, and by the owners in other enclaves of the sets it used) and forgotten;
 * later SEM_UNDO operations start a new list.
 */
export function unshareSemUndo(k: Kernel, p: Process): void {
  const ns = namespaces.get(k);
  if (ns) exitSem(ns, p.pid);
  if (k.family) families.get(k)?.leave(p);
}

/** The family layer of this kernel (process-per-enclave platforms), made with its server on first use. */
function famOf(k: Kernel): SysvFamily | null {
  if (!k.family) return null;
  let f = families.get(k);
  if (!f) families.set(k, (f = new SysvFamily(k, k.family, serverOf(k))));
  return f;
}

/** ipc_idr_alloc, and in a family the id published (one another enclave holds is skipped). */
function addObject<T extends Perm>(k: Kernel, kind: SysvKind, ids: Ids<T>, obj: T): number {
  const fam = famOf(k);
  for (let tries = 0; tries < 1024; tries++) {
    const id = ids.add(obj);
    if (id < 0 || !fam || fam.publish(kind, id, obj.key)) return id;
    ids.byIndex.delete(id % IPCMNI);
  }
  return -E.ENOSPC;
}

/** The enclave serving `id` when this one does not, or 0 (then the local lookup gives EINVAL). */
function remoteOwner<T extends Perm>(k: Kernel, ids: Ids<T>, kind: SysvKind, id: number): number {
  const fam = famOf(k);
  if (!fam || id < 0) return 0;
  const o = ids.byIndex.get(id % IPCMNI);
  return o && o.id === id ? 0 : fam.ownerOfId(kind, id);
}

function remoteCtl(k: Kernel, owner: number, req: SysvRequest): CtlOut {
  const a = famOf(k)!.call(owner, req);
  if (a.ret < 0 || a.out === undefined) return { ret: a.ret };
  const out = unhexBytes(a.out, 1 << 16);
  return out ? { ret: a.ret, out } : { ret: -E.EIO };
}

/**
 * An operation on an object another enclave serves that may have to wait: asked once; when the
 * owner answers "blocked", the task sleeps on the local queue the owner's 'wake' notes ring and
 * asks again (retry: a removed object is then EIDRM). A wake that came while a request was on
 * its way is not lost: the generation moved, so the request goes again at once.
 */
function remoteBlocking(k: Kernel, t: Task, owner: number, kind: SysvKind, id: number, req: (retry: boolean) => SysvRequest,
  done: (a: SysvAnswer) => number, deadline = Infinity, onGiveUp?: () => void): number | ReturnType<Kernel['block']> {
  const fam = famOf(k)!;
  const ask = (retry: boolean): SysvAnswer => {
    for (;;) {
      const g = fam.generation(owner, kind, id);
      const a = fam.call(owner, req(retry));
      if (!a.blocked || fam.generation(owner, kind, id) === g) return a;
      retry = true;
    }
  };
  const first = ask(false);
  if (!first.blocked) return done(first);
  fam.touch(t.proc.pid, owner);
  let finished = false;
  const retry = (): RetryResult => {
    const a = ask(true);
    if (a.blocked) return AGAIN;
    finished = true;
    return done(a);
  };
  return sleepIpc(k, t, fam.queue(owner, kind, id), retry, deadline, () => { if (!finished) onGiveUp?.(); });
}

function remoteSemop(k: Kernel, t: Task, owner: number, semid: number, sops: Sop[], deadline: number) {
  const fam = famOf(k)!;
  const token = fam.token();
  if (sops.some((s) => s.flg & SEM_UNDO)) fam.touch(t.proc.pid, owner);
  const req = (retry: boolean): SysvRequest => ({ op: 'semop', id: semid, sops: sops.map((s) => [s.num, s.op, s.flg]), pid: t.proc.pid, token, retry });
  return remoteBlocking(k, t, owner, 'sem', semid, req, (a) => a.ret, deadline, () => fam.cancel(owner, token));
}

const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const isPid = (v: unknown): v is number => isInt(v, 1, 0x7fffffff);

/** This kernel's answers to the other enclaves (each request checked before it is run). */
function serverOf(k: Kernel): SysvServer {
  const ns = nsOf(k);
  const dropPending = (match: (w: Pending) => boolean) => {
    for (const set of ns.sem.byIndex.values()) for (const w of [...set.pending]) if (match(w)) set.pending.delete(w);
  };
  const serve = (r: SysvRequest, from: number): SysvAnswer => {
    const fam = famOf(k)!;
    switch (r.op) {
      case 'get': {
        if (!isInt(r.key, -0x80000000, 0x7fffffff) || r.key === IPC_PRIVATE || !isInt(r.flg, -0x80000000, 0x7fffffff)) return { ret: -E.EINVAL };
        // A segment's size (what shmget asked, up to 2^53) travels as nsems.
        if (r.kind === 'shm') {
          if (!isInt(r.nsems, 0, Number.MAX_SAFE_INTEGER)) return { ret: -E.EINVAL };
          return { ret: ns.shm.byKey(r.key) ? shmgetHere(k, ns, r.key, r.nsems, r.flg, () => -E.ENOENT) : -E.ENOENT };
        }
        if (!isInt(r.nsems, -0x80000000, 0x7fffffff)) return { ret: -E.EINVAL };
        if (r.kind === 'sem') return { ret: ns.sem.byKey(r.key) ? semgetHere(k, ns, r.key, r.nsems, r.flg) : -E.ENOENT };
        if (r.kind === 'msg') return { ret: ns.msg.byKey(r.key) ? msggetHere(k, ns, r.key, r.flg) : -E.ENOENT };
        return { ret: -E.EINVAL };
      }
      case 'semop': {
        if (!isInt(r.id, 0, 0x7fffffff) || !isPid(r.pid) || typeof r.token !== 'string' || !Array.isArray(r.sops) || r.sops.length < 1 || r.sops.length > SEMOPM) return { ret: -E.EINVAL };
        const sops: Sop[] = [];
        for (const x of r.sops) {
          if (!Array.isArray(x) || !isInt(x[0], 0, 0xffff) || !isInt(x[1], -0x8000, 0x7fff) || !isInt(x[2], -0x8000, 0x7fff)) return { ret: -E.EINVAL };
          sops.push({ num: x[0], op: x[1], flg: x[2] });
        }
        const token = `${from}:${r.token}`;
        dropPending((w) => w.token === token);
        const o = ns.sem.byIndex.get(r.id % IPCMNI);
        if (!o || o.id !== r.id) return { ret: r.retry ? -E.EIDRM : -E.EINVAL };
        const res = semopHere(k, ns, o, r.pid, sops);
        if (typeof res === 'number') return { ret: res };
        o.pending.add({ num: res.num, op: res.op, pid: r.pid, token });
        fam.subscribe('sem', r.id, o.changed, from);
        return { ret: 0, blocked: true };
      }
      case 'semctl': {
        if (!isInt(r.id, 0, 0x7fffffff) || !isPid(r.pid) || !isInt(r.semnum, -0x80000000, 0x7fffffff) || !isInt(r.cmd, -0x80000000, 0x7fffffff) || !isInt(r.val, -0x80000000, 0x7fffffff)) return { ret: -E.EINVAL };
        if (r.vals !== null && (!Array.isArray(r.vals) || r.vals.length > SEMMSL || !r.vals.every((v) => isInt(v, 0, 0xffff)))) return { ret: -E.EINVAL };
        const ds = r.ds === null ? null : unhexBytes(r.ds, SEMID_DS_SIZE);
        if (r.cmd === IPC_SET && (!ds || ds.length !== SEMID_DS_SIZE)) return { ret: -E.EINVAL };
        if (![IPC_STAT, IPC_SET, IPC_RMID, SETVAL, GETALL, SETALL, GETVAL, GETPID, GETNCNT, GETZCNT].includes(r.cmd)) return { ret: -E.EINVAL };
        const c = semctlHere(k, ns, r.pid, r.id, r.semnum, r.cmd, { val: r.val, vals: r.vals, ds });
        return c.out ? { ret: c.ret, out: hex(c.out) } : { ret: c.ret };
      }
      case 'msgsnd': {
        const data = unhexBytes(r.data, MSGMAX);
        if (!isInt(r.id, 0, 0x7fffffff) || !isPid(r.pid) || !data || !isInt(r.flg, -0x80000000, 0x7fffffff) || typeof r.type !== 'string' || !/^\d{1,19}$/.test(r.type)) return { ret: -E.EINVAL };
        const type = BigInt(r.type);
        if (type < 1n || type > LONG_MAX) return { ret: -E.EINVAL };
        const q = ns.msg.byIndex.get(r.id % IPCMNI);
        if (!q || q.id !== r.id) return { ret: r.retry ? -E.EIDRM : -E.EINVAL };
        const res = msgsndHere(k, q, r.pid, type, data, r.flg);
        if (res !== AGAIN) return { ret: res };
        fam.subscribe('msg', r.id, q.changed, from);
        return { ret: 0, blocked: true };
      }
      case 'msgrcv': {
        if (!isInt(r.id, 0, 0x7fffffff) || !isPid(r.pid) || !isInt(r.flg, -0x80000000, 0x7fffffff) || !isInt(r.mode, SEARCH_ANY, SEARCH_NUMBER)
          || !isInt(r.bufsz, 0, MSGMAX) || typeof r.type !== 'string' || !/^-?\d{1,20}$/.test(r.type)) return { ret: -E.EINVAL };
        const q = ns.msg.byIndex.get(r.id % IPCMNI);
        if (!q || q.id !== r.id) return { ret: r.retry ? -E.EIDRM : -E.EINVAL };
        const res = msgrcvHere(k, q, r.pid, BigInt.asIntN(64, BigInt(r.type)), r.mode, r.bufsz, r.flg);
        if (typeof res === 'object') return { ret: 0, out: hex(res.data.subarray(0, Math.min(r.bufsz, res.data.length))), mtype: res.type.toString() };
        if (res !== AGAIN) return { ret: res };
        fam.subscribe('msg', r.id, q.changed, from);
        return { ret: 0, blocked: true };
      }
      case 'shmat': {
        if (!isInt(r.id, 0, 0x7fffffff) || !isInt(r.acc, 0, S_IRWXUGO)) return { ret: -E.EINVAL };
        const s = ns.shm.byId(r.id);
        if (denied(k, s, r.acc)) return { ret: -E.EACCES };
        // The asker maps the segment's file as a holder of its pages (family-pages.ts); shm_open's
        // count, atime and lpid come with its 'shmn' note once the mapping is made.
        const fid = k.family!.pages.share(s.rw.cache, from);
        return { ret: 0, seg: { fid, size: s.size, dev: ns.sb.dev, ino: s.inode.ino, key: s.key } };
      }
      case 'shmctl': {
        if (!isInt(r.id, 0, 0x7fffffff) || ![IPC_STAT, IPC_SET, IPC_RMID, SHM_LOCK, SHM_UNLOCK].includes(r.cmd) || typeof r.memlock !== 'boolean') return { ret: -E.EINVAL };
        const ds = r.ds === null ? null : unhexBytes(r.ds, SHMID_DS_SIZE);
        if (r.cmd === IPC_SET && (!ds || ds.length !== SHMID_DS_SIZE)) return { ret: -E.EINVAL };
        reapSegments(ns);
        const c = shmctlHere(k, ns, r.id, r.cmd, ds, r.memlock);
        return c.out ? { ret: c.ret, out: hex(c.out) } : { ret: c.ret };
      }
      case 'msgctl': {
        if (!isInt(r.id, 0, 0x7fffffff) || ![IPC_STAT, IPC_SET, IPC_RMID].includes(r.cmd)) return { ret: -E.EINVAL };
        const ds = r.ds === null ? null : unhexBytes(r.ds, MSQID_DS_SIZE);
        if (r.cmd === IPC_SET && (!ds || ds.length !== MSQID_DS_SIZE)) return { ret: -E.EINVAL };
        const c = msgctlHere(k, ns, r.id, r.cmd, ds);
        return c.out ? { ret: c.ret, out: hex(c.out) } : { ret: c.ret };
      }
      default:
        return { ret: -E.EINVAL };
    }
  };
  return {
    serve: (r, from) => {
      try {
        return typeof r === 'object' && r !== null ? serve(r, from) : { ret: -E.EINVAL };
      } catch (e) {
        if (e instanceof SysError) return { ret: -e.errno };
        throw e;
      }
    },
    exited: (pid) => {
      exitSem(ns, pid);
      dropPending((w) => w.pid === pid && w.token !== undefined);
    },
    cancel: (token) => dropPending((w) => w.token === token),
    shmAttaches: (id, pid, n, why, from) => {
      const s = ns.shm.byIndex.get(id % IPCMNI);
      if (!s || s.id !== id) return;
      const self = k.family?.selfPid ?? 0;
      if (why === 'fork' || why === 'gone') {
        // A fork carried one attach of the forking process (here, or a holder counted here) to
        // `pid`; or that fork failed and `pid` never ran.
        if (from !== self && !s.remote.get(from)) return;
        if (why === 'gone') { s.remote.delete(pid); reapSegments(ns); return; }
        s.remote.set(pid, (s.remote.get(pid) ?? 0) + 1);
        s.atime = nowSec(k); // shm_open in dup_mmap, run by the parent
        s.lpid = from;
        return;
      }
      // open/close: the sender's own process, with the attaches it has now.
      if (pid !== from || from === self || (why === 'close' && !s.remote.has(pid))) return;
      if (n) s.remote.set(pid, n);
      else s.remote.delete(pid);
      if (why === 'open') s.atime = nowSec(k);
      else s.dtime = nowSec(k);
      s.lpid = pid;
      reapSegments(ns);
    },
  };
}

export function registerSysvIpc(tab: SyscallTable): void {
  registerShm(tab);
  registerSem(tab);
  registerMsg(tab);
}
