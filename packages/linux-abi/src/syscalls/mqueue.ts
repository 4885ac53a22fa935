/**
 * POSIX message queues (ipc/mqueue.c): mq_open, mq_unlink, mq_timedsend, mq_timedreceive,
 * mq_notify, mq_getsetattr. One queue namespace per kernel (enclave), shared by its threads and
 * by fork children in the same kernel (keystone, sev). glibc strips the name's leading '/', so
 * the kernel sees a bare name: getname's ENOENT for "", lookup_one_len's EACCES for ".", ".." or a '/',
 * ENAMETOOLONG past NAME_MAX from simple_lookup).
 *
 * A descriptor is a file description of the queue's inode (always close-on-exec: do_mq_open
 * takes get_unused_fd_flags(O_CLOEXEC)); O_NONBLOCK is the description's. read() of it gives
 * mqueue_read_file's line, poll gives POLLIN with a message and POLLOUT with room. Messages
 * are kept highest priority first, FIFO within one priority. A send with a receiver waiting
 * hands the message straight to it (pipelined_send: no notification, the queue stays empty);
 * a receive with a sender waiting moves that sender's message in (pipelined_receive). Waiters
 * are woken in task priority order (wq_add: static priority, FIFO within one). The sleeps are
 * ERESTARTSYS (signal(7) lists mq_* as restarted under SA_RESTART), else EINTR.
 *
 * Limits are the defaults of /proc/sys/fs/mqueue (msg_max 10, msgsize_max 8192, queues_max 256;
 * root gets HARD_MSGMAX/HARD_MSGSIZEMAX and no queue count limit, as CAP_SYS_RESOURCE), and each
 * queue charges the user's RLIMIT_MSGQUEUE with mqueue_get_inode's byte count (EMFILE).
 *
 * mq_notify: SIGEV_NONE and SIGEV_SIGNAL (si_code SI_MESGQ, the sender's pid and uid). SIGEV_THREAD
 * needs a netlink socket (its fd in sigev_signo); this kernel has no AF_NETLINK (socket() is
 * EAFNOSUPPORT, and glibc's mq_notify answers ENOSYS then, as on a kernel without netlink), so
 * any descriptor given is not one: ENOTSOCK, or EINVAL for a socket of another family, as
 * netlink_getsockbyfilp says.
 *
 * Process-per-enclave (sgx): a fork child is another kernel. Each queue is served by the enclave
 * that made it, its name published to the family; the other enclaves reach it through proxies
 * (mqueue-family.ts), and the work on the queue is this file's, run by the owner's kernel.
 */
import { E, SysError } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Process, Task } from '../task.ts';
import { Inode, MAY_READ, MAY_WRITE, NAME_MAX, PATH_MAX, SuperBlock, permitted } from '../fs/inode.ts';
import { inodeClock } from '../fs/rootfs.ts';
import { OpenFile, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from '../fs/file.ts';
import { WaitQueue } from '../fs/wait.ts';
import { O_ACCMODE, O_CLOEXEC, O_CREAT, O_EXCL, O_NOCTTY, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../fs/vfs.ts';
import { RLIMIT_MSGQUEUE, S_IFMT, S_IFREG, S_IFSOCK } from '../abi/constants.ts';
import type { Stat } from '../abi/structs.ts';
import { sendToProcess, type SigInfo } from '../signals.ts';
import { fileOf } from './fs-common.ts';
import { RemoteMqFile, mqFamilyOf } from './mqueue-family.ts';

/** include/linux/ipc_namespace.h's defaults, shown in /proc/sys/fs/mqueue (ipc/mq_sysctl.c). */
export const MQ_SYSCTL = { msg_default: 10, msg_max: 10, msgsize_default: 8192, msgsize_max: 8192, queues_max: 256 } as const;
const HARD_MSGMAX = 65536, HARD_MSGSIZEMAX = 16 * 1024 * 1024;
export const MQ_PRIO_MAX = 32768;
// include/uapi/asm-generic/siginfo.h, include/uapi/linux/signal.h
export const SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2;
const SI_MESGQ = -3, NSIG = 64;
const MQ_ATTR_SIZE = 64, SIGEVENT_SIZE = 64, NOTIFY_COOKIE_LEN = 32;
/** i_size of a queue's inode (FILENT_SIZE) and the mqueue superblock's magic. */
const FILENT_SIZE = 80, MQUEUE_MAGIC = 0x19800202;
/** sizeof(struct msg_msg) and sizeof(struct posix_msg_tree_node) on a 64-bit kernel (the RLIMIT_MSGQUEUE charge). */
const MSG_MSG_SIZE = 48, TREE_NODE_SIZE = 48;
const ULONG_MAX = 2n ** 64n - 1n;

/** A message, with the pid that sent it (si_pid of a notification it fires). */
export interface QMsg { prio: number; data: Uint8Array; sender: number }

/** What a waiter of another enclave gets when its call completes here (mqueue-family.ts). */
export interface RemoteWait { from: number; token: string; finish: (ret: number, m: QMsg | null) => void }

/**
 * A task asleep in mq_timedsend (holding its message) or mq_timedreceive (with where to put
 * one); or, for a queue served here, a caller in another enclave (remote) sleeping there.
 */
export interface Waiter {
  task: Task | null;
  prio: number;
  msg: QMsg | null;
  /** A receiver's store_msg: the result its call returns for message m. */
  deliver: ((m: QMsg) => number) | null;
  wait: Task['wait'];
  remote: RemoteWait | null;
}

/** A registration: its process (here, or pid of another enclave's with `signal` to reach it). */
export interface Notify { pid: number; proc: Process | null; kind: number; signo: number; value: bigint; signal: ((info: SigInfo) => void) | null }

export class MqInode extends Inode {
  msgs: QMsg[] = [];
  /** Bytes of the messages queued (info->qsize). */
  qsize = 0;
  notify: Notify | null = null;
  readonly senders: Waiter[] = [];
  readonly receivers: Waiter[] = [];
  /** poll/select/epoll sleepers (info->wait_q). */
  readonly pollq = new WaitQueue();
  linked = true;
  constructor(sb: SuperBlock, mode: number, uid: number, gid: number, readonly qname: string,
    readonly maxmsg: number, readonly msgsize: number, readonly charged: number) {
    super(sb, S_IFREG | mode, uid, gid);
  }
  override size(): number {
    return FILENT_SIZE;
  }
  override open(): OpenFile {
    throw new SysError(E.ENXIO);
  }
}

export class MqNamespace {
  readonly byName = new Map<string, MqInode>();
  /** Queues that exist (named, or unlinked and still open): mq_queues_count. */
  count = 0;
  /** RLIMIT_MSGQUEUE charge per uid (the user's ucounts). */
  readonly bytes = new Map<number, number>();
  /** Open descriptions (an unlinked queue is reachable only through them). */
  readonly open = new Set<MqFile>();
  readonly sb: SuperBlock;
  constructor(readonly k: Kernel) {
    const clock = inodeClock(k);
    this.sb = new SuperBlock('mqueue', MQUEUE_MAGIC, clock, Number.MAX_SAFE_INTEGER);
  }
  /** mqueue_evict_inode: the last reference to an unlinked queue went. */
  evict(q: MqInode): void {
    this.count--;
    this.bytes.set(q.uid, (this.bytes.get(q.uid) ?? 0) - q.charged);
  }
  /** Every registration of process `pid` goes (its exit: exit_files flushes each descriptor). */
  dropNotifications(pid: number): void {
    for (const q of this.byName.values()) if (q.notify?.pid === pid) q.notify = null;
    for (const f of this.open) if (f.q.notify?.pid === pid) f.q.notify = null;
  }
}

const namespaces = new WeakMap<Kernel, MqNamespace>();
export function nsOf(k: Kernel): MqNamespace {
  let ns = namespaces.get(k);
  if (!ns) {
    const n = new MqNamespace(k);
    namespaces.set(k, (ns = n));
    k.onProcessExit.push((p) => n.dropNotifications(p.pid));
  }
  return ns;
}

export class MqFile extends OpenFile {
  /** Served to other enclaves (mqueue-family.ts): closed only once they hold it no more either. */
  served: { held(): boolean; closed(): void } | null = null;
  private closed = false;
  constructor(readonly ns: MqNamespace, readonly q: MqInode, flags: number) {
    super(flags);
    q.opens++;
    ns.open.add(this);
  }
  override read(len: number): Uint8Array | number {
    const bytes = new TextEncoder().encode(statusLine(this.q));
    if (this.pos >= bytes.length) return new Uint8Array(0);
    const out = bytes.slice(this.pos, this.pos + len);
    this.pos += out.length;
    if (out.length) this.q.touch(false, true, true);
    return out;
  }
  /** default_llseek with i_size FILENT_SIZE. */
  override lseek(offset: number, whence: number): number {
    return seekIn(this, offset, whence);
  }
  override stat(): Stat | number {
    return this.q.stat();
  }
  override poll(): number {
    return pollMask(this.q);
  }
  override readQueue(): WaitQueue {
    return this.q.pollq;
  }
  override writeQueue(): WaitQueue {
    return this.q.pollq;
  }
  /** mqueue_flush_file: any close by the registered process removes its notification. */
  override flush(pid: number): void {
    if (this.q.notify?.pid === pid) this.q.notify = null;
  }
  override close(): void {
    if (this.served?.held() || this.closed) return;
    this.closed = true;
    this.served?.closed();
    this.ns.open.delete(this);
    if (--this.q.opens === 0 && !this.q.linked) this.ns.evict(this.q);
  }
  describe(): string {
    return `/${this.q.qname}${this.q.linked ? '' : ' (deleted)'}`;
  }
}

/** mqueue_read_file's line. */
export function statusLine(q: MqInode): string {
  const n = q.notify;
  return `QSIZE:${String(q.qsize).padEnd(10)} NOTIFY:${String(n ? n.kind : 0).padEnd(5)} ` +
    `SIGNO:${String(n && n.kind === SIGEV_SIGNAL ? n.signo : 0).padEnd(5)} NOTIFY_PID:${String(n ? n.pid : 0).padEnd(6)}\n`;
}

/** default_llseek with i_size FILENT_SIZE, for a queue's description here or a proxy of one. */
export function seekIn(f: OpenFile, offset: number, whence: number): number {
  const base = whence === 0 ? 0 : whence === 1 ? f.pos : whence === 2 ? FILENT_SIZE : NaN;
  if (Number.isNaN(base)) return -E.EINVAL;
  const p = base + offset;
  if (p < 0) return -E.EINVAL;
  f.pos = p;
  return p;
}

export function pollMask(q: MqInode): number {
  let r = 0;
  if (q.msgs.length) r |= POLLIN | POLLRDNORM;
  if (q.msgs.length < q.maxmsg) r |= POLLOUT | POLLWRNORM;
  return r;
}

/** The queue open at fd: EBADF for none, O_PATH, or another kind of file. */
function queueOf(t: Task, fd: number): MqFile | RemoteMqFile {
  const f = fileOf(t, fd);
  if (!(f instanceof MqFile || f instanceof RemoteMqFile) || f.flags & O_PATH) throw new SysError(E.EBADF);
  return f;
}

/** getname + lookup_one_len + simple_lookup's checks on a queue name (glibc has removed the '/'). */
function queueName(t: Task, addr: number): string {
  const name = t.proc.as.readCString(addr, PATH_MAX);
  if (name === '') throw new SysError(E.ENOENT); // getname
  if (name === '.' || name === '..' || name.includes('/')) throw new SysError(E.EACCES);
  if (name.length > NAME_MAX) throw new SysError(E.ENAMETOOLONG);
  return name;
}

/** wq_add: before the first waiter of lower priority (a larger prio value), so FIFO within one. */
export function enqueue(list: Waiter[], w: Waiter): void {
  let i = list.findIndex((o) => o.prio > w.prio);
  if (i < 0) i = list.length;
  list.splice(i, 0, w);
}

/** wq_get_first_waiter: the first waiter still asleep in its call (removed from the list). */
function firstWaiter(list: Waiter[]): Waiter | undefined {
  while (list.length) {
    const w = list.shift()!;
    if (w.remote) return w; // taken off the list when it gives up
    if (w.task && w.task.state === 'blocked' && w.task.wait === w.wait) return w;
  }
  return undefined;
}

/** The task's static priority as the scheduler orders it (lower is higher): rt 99-prio, normal 120+nice. */
export function taskPrio(t: Task): number {
  return t.policy === 1 || t.policy === 2 ? 99 - t.rtPriority : 120 + t.nice;
}

/** msg_insert: after every message of the same or higher priority. */
function insert(q: MqInode, m: QMsg): void {
  let i = q.msgs.findIndex((o) => o.prio < m.prio);
  if (i < 0) i = q.msgs.length;
  q.msgs.splice(i, 0, m);
  q.qsize += m.data.length;
}

/** __do_notify: the queue went from empty to one message with no receiver waiting. */
function doNotify(k: Kernel, q: MqInode, sender: number): void {
  const n = q.notify;
  if (n && q.msgs.length === 1) {
    if (n.kind === SIGEV_SIGNAL && n.signo !== 0) {
      const info: SigInfo = { signo: n.signo, code: SI_MESGQ, pid: sender, uid: k.config.uid, value: n.value };
      if (n.proc) { if (n.proc.exitStatus === null) sendToProcess(k, n.proc, info); } else n.signal?.(info);
    }
    q.notify = null;
  }
  q.pollq.notify();
}

/**
 * The work of mq_timedsend once the message is in (the caller here or in another enclave):
 * 0, -EAGAIN, or 'full' (a blocking caller must wait).
 */
export function sendStep(k: Kernel, f: MqFile, msg: QMsg): number | 'full' {
  const q = f.q;
  if (q.msgs.length === q.maxmsg) return f.flags & O_NONBLOCK ? -E.EAGAIN : 'full';
  const r = firstWaiter(q.receivers);
  if (r) {
    // pipelined_send: straight to the receiver, the queue stays empty and nobody is notified.
    if (r.remote) r.remote.finish(msg.data.length, msg);
    else k.wake(r.task!, r.deliver!(msg));
  } else {
    insert(q, msg);
    doNotify(k, q, msg.sender);
  }
  q.touch(true, true, true);
  return 0;
}

/** The work of mq_timedreceive: the message taken, -EAGAIN, or 'empty' (a blocking caller must wait). */
export function receiveStep(k: Kernel, f: MqFile): QMsg | number | 'empty' {
  const q = f.q;
  if (q.msgs.length === 0) return f.flags & O_NONBLOCK ? -E.EAGAIN : 'empty';
  const m = q.msgs.shift()!;
  q.qsize -= m.data.length;
  q.touch(true, true, true);
  // pipelined_receive: the first sender waiting puts its message in (no notification).
  const s = firstWaiter(q.senders);
  if (s) {
    insert(q, s.msg!);
    if (s.remote) s.remote.finish(0, null);
    else k.wake(s.task!, 0);
  }
  q.pollq.notify();
  return m;
}

/** A message handed to a waiter of another enclave that gave up before taking it: back in the queue. */
export function requeue(k: Kernel, f: MqFile, m: QMsg): void {
  const q = f.q;
  const r = firstWaiter(q.receivers);
  if (r) {
    if (r.remote) r.remote.finish(m.data.length, m);
    else k.wake(r.task!, r.deliver!(m));
    return;
  }
  insert(q, m);
  doNotify(k, q, m.sender);
}

/** A waiter of another enclave gave up: off the queue's lists. */
export function dropRemoteWaiter(q: MqInode, w: Waiter): void {
  for (const list of [q.senders, q.receivers]) {
    const i = list.indexOf(w);
    if (i >= 0) list.splice(i, 1);
  }
}

/** do_mq_notify's work for process `pid` (ev null: remove its registration): 0 or -EBUSY. */
export function notifyStep(q: MqInode, pid: number, ev: Omit<Notify, 'pid'> | null): number {
  if (!ev) {
    if (q.notify?.pid === pid) { q.notify = null; q.touch(false, true, true); }
    return 0;
  }
  if (q.notify) return -E.EBUSY;
  q.notify = { pid, ...ev };
  q.touch(false, true, true);
  return 0;
}

/** mq_getsetattr's work on a description: the old attributes, then O_NONBLOCK set or cleared (null: left). */
export function attrStep(f: MqFile, nonblock: boolean | null): { flags: number; maxmsg: number; msgsize: number; curmsgs: number } {
  const q = f.q;
  const old = { flags: f.flags & O_NONBLOCK, maxmsg: q.maxmsg, msgsize: q.msgsize, curmsgs: q.msgs.length };
  if (nonblock !== null) {
    f.flags = nonblock ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK;
    q.touch(false, true, true);
  }
  return old;
}

/** prepare_timeout + the absolute CLOCK_REALTIME time as a monotonic deadline; Infinity for none. */
function deadlineOf(k: Kernel, t: Task, addr: number): number {
  if (addr === 0) return Infinity;
  const dv = new DataView(t.proc.as.copyIn(addr, 16).buffer);
  const sec = dv.getBigInt64(0, true), nsec = dv.getBigInt64(8, true);
  // timespec64_valid
  if (sec < 0n || nsec < 0n || nsec >= 1_000_000_000n) throw new SysError(E.EINVAL);
  const absNs = Number(sec) * 1e9 + Number(nsec);
  return k.platform.monotonicNs() + (absNs - k.realtimeNs());
}

function sleepIn(k: Kernel, t: Task, list: Waiter[], w: Waiter, deadline: number): ReturnType<Kernel['block']> | number {
  // schedule_hrtimeout_range on a time already past returns at once.
  if (deadline <= k.platform.monotonicNs()) return -E.ETIMEDOUT;
  enqueue(list, w);
  const r: ReturnType<Kernel['block']> = k.block(t, {
    deadline, onTimeout: -E.ETIMEDOUT,
    onWake: () => { const i = list.indexOf(w); if (i >= 0) list.splice(i, 1); },
  });
  w.wait = t.wait;
  return r;
}

export function canRead(f: OpenFile): boolean {
  const acc = f.flags & O_ACCMODE;
  return acc === O_RDONLY || acc === O_RDWR;
}
export function canWrite(f: OpenFile): boolean {
  const acc = f.flags & O_ACCMODE;
  return acc === O_WRONLY || acc === O_RDWR;
}

/** Who opens or unlinks a queue: the checks and the RLIMIT_MSGQUEUE charge are theirs (a caller of another enclave included). */
export interface MqCred { uid: number; gid: number; pid: number; rlimit: bigint }
export interface MqAttr { maxmsg: bigint; msgsize: bigint }

/** mqueue_create_attr + mqueue_get_inode: ENOSPC, EINVAL, EOVERFLOW, EMFILE in that order. */
export function createQueue(ns: MqNamespace, cred: MqCred, name: string, mode: number, attr: MqAttr | null): MqInode {
  const root = cred.uid === 0;
  if (ns.count >= MQ_SYSCTL.queues_max && !root) throw new SysError(E.ENOSPC);
  const maxmsg = attr ? attr.maxmsg : BigInt(MQ_SYSCTL.msg_default), msgsize = attr ? attr.msgsize : BigInt(MQ_SYSCTL.msgsize_default);
  if (maxmsg <= 0n || msgsize <= 0n) throw new SysError(E.EINVAL);
  if (root ? maxmsg > HARD_MSGMAX || msgsize > HARD_MSGSIZEMAX : maxmsg > MQ_SYSCTL.msg_max || msgsize > MQ_SYSCTL.msgsize_max) throw new SysError(E.EINVAL);
  if (msgsize > ULONG_MAX / maxmsg) throw new SysError(E.EOVERFLOW);
  const mx = Number(maxmsg), sz = Number(msgsize);
  const charge = mx * sz + mx * MSG_MSG_SIZE + Math.min(mx, MQ_PRIO_MAX) * TREE_NODE_SIZE;
  const used = (ns.bytes.get(cred.uid) ?? 0) + charge;
  if (cred.rlimit >= 0n && BigInt(used) > cred.rlimit) throw new SysError(E.EMFILE); // -1n: RLIM_INFINITY
  ns.bytes.set(cred.uid, used);
  ns.count++;
  const q = new MqInode(ns.sb, mode & 0o7777, cred.uid, cred.gid, name, mx, sz, charge);
  ns.byName.set(name, q);
  return q;
}

/** do_mq_open's checks on a queue that exists: EEXIST, EINVAL, EACCES. */
export function openChecks(q: MqInode, oflag: number, cred: MqCred): number {
  if ((oflag & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) return -E.EEXIST;
  const acc = oflag & O_ACCMODE;
  if (acc === O_ACCMODE) return -E.EINVAL;
  const want = acc === O_RDONLY ? MAY_READ : acc === O_WRONLY ? MAY_WRITE : MAY_READ | MAY_WRITE;
  if (!permitted(q, { uid: cred.uid, gid: cred.gid, pid: cred.pid }, want)) return -E.EACCES;
  return 0;
}

/** dentry_open keeps the status flags; the open-time ones go. */
export function openDescription(ns: MqNamespace, q: MqInode, oflag: number): MqFile {
  return new MqFile(ns, q, oflag & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC));
}

/** mq_unlink's work on a queue here: 0, ENOENT or EPERM. */
export function unlinkHere(ns: MqNamespace, name: string, uid: number): number {
  const q = ns.byName.get(name);
  if (!q) return -E.ENOENT;
  // may_delete in the sticky (01777) root: the queue's owner, or root.
  if (uid !== 0 && uid !== q.uid) return -E.EPERM;
  ns.byName.delete(name);
  q.linked = false;
  q.nlink = 0;
  if (q.opens === 0) ns.evict(q);
  return 0;
}

/** A queue created a moment ago that another enclave named first (mqueue-family.ts): as if never made. */
export function uncreate(ns: MqNamespace, q: MqInode): void {
  ns.byName.delete(q.qname);
  ns.evict(q);
}

function credOf(k: Kernel, t: Task): MqCred {
  return { uid: k.config.uid, gid: k.config.gid, pid: t.proc.pid, rlimit: t.proc.rlimits[RLIMIT_MSGQUEUE]!.cur };
}

/** The message's priority and bytes as mq_timedreceive stores them (store_msg after the wake: a fault loses the message, as on Linux). */
export function storeMsg(t: Task, ptr: number, prioPtr: number, m: { prio: number; data: Uint8Array }): number {
  const as = t.proc.as;
  try {
    if (prioPtr) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, m.prio, true); as.copyOut(prioPtr, b); }
    as.copyOut(ptr, m.data);
    return m.data.length;
  } catch (e) {
    if (e instanceof SysError) return -E.EFAULT;
    throw e;
  }
}

export function registerMqueue(tab: SyscallTable): void {
  tab.def('mq_open', 'sxop', (k, t, a) => {
    const oflag = a.i32(1), mode = a.i32(2) & 0xffff, uattr = a.u(3);
    let attr: MqAttr | null = null;
    if (uattr) {
      const dv = new DataView(t.proc.as.copyIn(uattr, MQ_ATTR_SIZE).buffer);
      attr = { maxmsg: dv.getBigInt64(8, true), msgsize: dv.getBigInt64(16, true) };
    }
    const name = queueName(t, a.u(0));
    const ns = nsOf(k), cred = credOf(k, t), fam = mqFamilyOf(k);
    let q = ns.byName.get(name);
    if (!q && fam) {
      // Another enclave of the family may serve the name: its kernel opens it.
      const r = fam.openElsewhere(t, name, oflag, mode & ~t.proc.umask, attr, cred);
      if (r !== null) return r;
    }
    if (!q) {
      if (!(oflag & O_CREAT)) return -E.ENOENT;
      q = createQueue(ns, cred, name, mode & ~t.proc.umask, attr);
      if (fam && !fam.publish(name)) {
        // Made at the same moment in another enclave, which named it first: that one is the queue.
        uncreate(ns, q);
        return fam.openElsewhere(t, name, oflag, mode & ~t.proc.umask, attr, cred) ?? -E.ENOENT;
      }
    } else {
      const r = openChecks(q, oflag, cred);
      if (r < 0) return r;
    }
    const f = openDescription(ns, q, oflag);
    const fd = t.proc.fds.install(f, true);
    if (fd < 0) f.close();
    return fd;
  }, 'partial'); // partial on sgx: queue limits are counted per enclave (mqueue-family.ts)

  tab.def('mq_unlink', 's', (k, t, a) => {
    const name = queueName(t, a.u(0));
    const ns = nsOf(k), fam = mqFamilyOf(k);
    if (!ns.byName.has(name) && fam) return fam.unlinkElsewhere(name, k.config.uid);
    const r = unlinkHere(ns, name, k.config.uid);
    if (r === 0) fam?.unpublish(name);
    return r;
  });

  tab.def('mq_timedsend', 'fpuup', (k, t, a) => {
    const mqd = a.i32(0), ptr = a.u(1), len = a.u(2), prio = a.i32(3) >>> 0;
    const deadline = deadlineOf(k, t, a.u(4));
    if (prio >= MQ_PRIO_MAX) return -E.EINVAL;
    const f = queueOf(t, mqd);
    if (!canWrite(f)) return -E.EBADF;
    if (len > (f instanceof RemoteMqFile ? f.msgsize : f.q.msgsize)) return -E.EMSGSIZE;
    const msg: QMsg = { prio, data: t.proc.as.copyIn(ptr, len), sender: t.proc.pid };
    if (f instanceof RemoteMqFile) return f.fam.send(t, f, msg, taskPrio(t), deadline);
    const r = sendStep(k, f, msg);
    if (r !== 'full') return r;
    return sleepIn(k, t, f.q.senders, { task: t, prio: taskPrio(t), msg, deliver: null, wait: null, remote: null }, deadline);
  });

  tab.def('mq_timedreceive', 'fpupp', (k, t, a) => {
    const mqd = a.i32(0), ptr = a.u(1), len = a.u(2), prioPtr = a.u(3);
    const deadline = deadlineOf(k, t, a.u(4));
    const f = queueOf(t, mqd);
    if (!canRead(f)) return -E.EBADF;
    if (len < (f instanceof RemoteMqFile ? f.msgsize : f.q.msgsize)) return -E.EMSGSIZE;
    const deliver = (m: QMsg): number => storeMsg(t, ptr, prioPtr, m);
    if (f instanceof RemoteMqFile) return f.fam.receive(t, f, taskPrio(t), deadline, deliver);
    const r = receiveStep(k, f);
    if (r === 'empty') return sleepIn(k, t, f.q.receivers, { task: t, prio: taskPrio(t), msg: null, deliver, wait: null, remote: null }, deadline);
    return typeof r === 'number' ? r : deliver(r);
  });

  tab.def('mq_notify', 'fp', (k, t, a) => {
    const mqd = a.i32(0), uev = a.u(1);
    let ev: { value: bigint; signo: number; kind: number } | null = null;
    if (uev) {
      const dv = new DataView(t.proc.as.copyIn(uev, SIGEVENT_SIZE).buffer);
      ev = { value: dv.getBigUint64(0, true), signo: dv.getInt32(8, true), kind: dv.getInt32(12, true) };
      if (ev.kind !== SIGEV_NONE && ev.kind !== SIGEV_SIGNAL && ev.kind !== SIGEV_THREAD) return -E.EINVAL;
      if (ev.kind === SIGEV_SIGNAL && (ev.signo < 0 || ev.signo > NSIG)) return -E.EINVAL;
      if (ev.kind === SIGEV_THREAD) {
        // The cookie, then the netlink socket named by sigev_signo: there is none here.
        t.proc.as.copyIn(Number(ev.value), NOTIFY_COOKIE_LEN);
        const s = fileOf(t, ev.signo);
        const st = s.stat();
        if (typeof st === 'number' || (st.mode & S_IFMT) !== S_IFSOCK) return -E.ENOTSOCK;
        return -E.EINVAL;
      }
    }
    const f = queueOf(t, mqd);
    const reg = ev && { kind: ev.kind, signo: ev.kind === SIGEV_SIGNAL ? ev.signo : 0, value: ev.kind === SIGEV_SIGNAL ? ev.value : 0n };
    if (f instanceof RemoteMqFile) return f.fam.notify(f, t.proc.pid, reg);
    return notifyStep(f.q, t.proc.pid, reg && { ...reg, proc: t.proc, signal: null });
  });

  tab.def('mq_getsetattr', 'fpp', (k, t, a) => {
    const mqd = a.i32(0), unew = a.u(1), uold = a.u(2);
    let newFlags: bigint | null = null;
    if (unew) newFlags = new DataView(t.proc.as.copyIn(unew, MQ_ATTR_SIZE).buffer).getBigInt64(0, true);
    if (newFlags !== null && newFlags & ~BigInt(O_NONBLOCK)) return -E.EINVAL;
    const f = queueOf(t, mqd);
    const nonblock = newFlags === null ? null : (newFlags & BigInt(O_NONBLOCK)) !== 0n;
    const r = f instanceof RemoteMqFile ? f.fam.attr(f, nonblock) : attrStep(f, nonblock);
    if (typeof r === 'number') return r;
    if (uold) {
      const old = new Uint8Array(MQ_ATTR_SIZE);
      const dv = new DataView(old.buffer);
      dv.setBigInt64(0, BigInt(r.flags), true);
      dv.setBigInt64(8, BigInt(r.maxmsg), true);
      dv.setBigInt64(16, BigInt(r.msgsize), true);
      dv.setBigInt64(24, BigInt(r.curmsgs), true);
      t.proc.as.copyOut(uold, old);
    }
    return 0;
  });
}
