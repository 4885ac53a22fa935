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
 * Process-per-enclave (sgx): a fork child is another kernel; queues are not shared across
 * enclaves yet. A forked enclave answers mq_open/mq_unlink with EOPNOTSUPP rather than
 * showing an empty namespace, and a queue descriptor is not carried by fork there.
 */
import { E, SysError } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Process, Task } from '../task.ts';
import { Inode, MAY_READ, MAY_WRITE, NAME_MAX, PATH_MAX, SuperBlock, permitted, type Timespec } from '../fs/inode.ts';
import { inodeClock } from '../fs/rootfs.ts';
import { OpenFile, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from '../fs/file.ts';
import { WaitQueue } from '../fs/wait.ts';
import { O_ACCMODE, O_CLOEXEC, O_CREAT, O_EXCL, O_NOCTTY, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../fs/vfs.ts';
import { RLIMIT_MSGQUEUE, S_IFMT, S_IFREG, S_IFSOCK } from '../abi/constants.ts';
import type { Stat } from '../abi/structs.ts';
import { sendToProcess } from '../signals.ts';
import { fileOf } from './fs-common.ts';

/** include/linux/ipc_namespace.h's defaults, shown in /proc/sys/fs/mqueue (ipc/mq_sysctl.c). */
export const MQ_SYSCTL = { msg_default: 10, msg_max: 10, msgsize_default: 8192, msgsize_max: 8192, queues_max: 256 } as const;
const HARD_MSGMAX = 65536, HARD_MSGSIZEMAX = 16 * 1024 * 1024;
const MQ_PRIO_MAX = 32768;
// include/uapi/asm-generic/siginfo.h, include/uapi/linux/signal.h
const SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2, SI_MESGQ = -3, NSIG = 64;
const MQ_ATTR_SIZE = 64, SIGEVENT_SIZE = 64, NOTIFY_COOKIE_LEN = 32;
/** i_size of a queue's inode (FILENT_SIZE) and the mqueue superblock's magic. */
const FILENT_SIZE = 80, MQUEUE_MAGIC = 0x19800202;
/** sizeof(struct msg_msg) and sizeof(struct posix_msg_tree_node) on a 64-bit kernel (the RLIMIT_MSGQUEUE charge). */
const MSG_MSG_SIZE = 48, TREE_NODE_SIZE = 48;
const ULONG_MAX = 2n ** 64n - 1n;

interface QMsg { prio: number; data: Uint8Array }

/** A task asleep in mq_timedsend (holding its message) or mq_timedreceive (with where to put one). */
interface Waiter {
  task: Task;
  prio: number;
  msg: QMsg | null;
  /** A receiver's store_msg: the result its call returns for message m. */
  deliver: ((m: QMsg) => number) | null;
  wait: Task['wait'];
}

interface Notify { owner: Process; kind: number; signo: number; value: bigint }

class MqInode extends Inode {
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

class MqNamespace {
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
}

const namespaces = new WeakMap<Kernel, MqNamespace>();
function nsOf(k: Kernel): MqNamespace {
  let ns = namespaces.get(k);
  if (!ns) {
    const n = new MqNamespace(k);
    namespaces.set(k, (ns = n));
    // exit_files flushes every descriptor: the process's registrations go.
    k.onProcessExit.push((p) => {
      for (const q of n.byName.values()) if (q.notify?.owner === p) q.notify = null;
      for (const f of n.open) if (f.q.notify?.owner === p) f.q.notify = null;
    });
  }
  return ns;
}

export class MqFile extends OpenFile {
  constructor(readonly ns: MqNamespace, readonly q: MqInode, flags: number) {
    super(flags);
    q.opens++;
    ns.open.add(this);
  }
  override read(len: number): Uint8Array | number {
    const q = this.q, n = q.notify;
    const line = `QSIZE:${String(q.qsize).padEnd(10)} NOTIFY:${String(n ? n.kind : 0).padEnd(5)} ` +
      `SIGNO:${String(n && n.kind === SIGEV_SIGNAL ? n.signo : 0).padEnd(5)} NOTIFY_PID:${String(n ? n.owner.pid : 0).padEnd(6)}\n`;
    const bytes = new TextEncoder().encode(line);
    if (this.pos >= bytes.length) return new Uint8Array(0);
    const out = bytes.slice(this.pos, this.pos + len);
    this.pos += out.length;
    if (out.length) q.touch(false, true, true);
    return out;
  }
  /** default_llseek with i_size FILENT_SIZE. */
  override lseek(offset: number, whence: number): number {
    const base = whence === 0 ? 0 : whence === 1 ? this.pos : whence === 2 ? FILENT_SIZE : NaN;
    if (Number.isNaN(base)) return -E.EINVAL;
    const p = base + offset;
    if (p < 0) return -E.EINVAL;
    this.pos = p;
    return p;
  }
  override stat(): Stat | number {
    return this.q.stat();
  }
  override poll(): number {
    let r = 0;
    if (this.q.msgs.length) r |= POLLIN | POLLRDNORM;
    if (this.q.msgs.length < this.q.maxmsg) r |= POLLOUT | POLLWRNORM;
    return r;
  }
  override readQueue(): WaitQueue {
    return this.q.pollq;
  }
  override writeQueue(): WaitQueue {
    return this.q.pollq;
  }
  /** mqueue_flush_file: any close by the registered process removes its notification. */
  override flush(pid: number): void {
    if (this.q.notify?.owner.pid === pid) this.q.notify = null;
  }
  override close(): void {
    this.ns.open.delete(this);
    if (--this.q.opens === 0 && !this.q.linked) this.ns.evict(this.q);
  }
  describe(): string {
    return `/${this.q.qname}${this.q.linked ? '' : ' (deleted)'}`;
  }
}

/** The queue open at fd: EBADF for none, O_PATH, or another kind of file. */
function queueOf(t: Task, fd: number): MqFile {
  const f = fileOf(t, fd);
  if (!(f instanceof MqFile) || f.flags & O_PATH) throw new SysError(E.EBADF);
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

/** A forked enclave of a process-per-enclave family: another kernel than the queues' (see the header). */
function foreignEnclave(k: Kernel): boolean {
  return k.family !== null && !!k.platform.family?.restored;
}

/** wq_add: before the first waiter of lower priority (a larger prio value), so FIFO within one. */
function enqueue(list: Waiter[], w: Waiter): void {
  let i = list.findIndex((o) => o.prio > w.prio);
  if (i < 0) i = list.length;
  list.splice(i, 0, w);
}

/** wq_get_first_waiter: the first waiter still asleep in its call (removed from the list). */
function firstWaiter(list: Waiter[]): Waiter | undefined {
  while (list.length) {
    const w = list.shift()!;
    if (w.task.state === 'blocked' && w.task.wait === w.wait) return w;
  }
  return undefined;
}

/** The task's static priority as the scheduler orders it (lower is higher): rt 99-prio, normal 120+nice. */
function taskPrio(t: Task): number {
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
function doNotify(k: Kernel, q: MqInode, sender: Task): void {
  const n = q.notify;
  if (n && q.msgs.length === 1) {
    if (n.kind === SIGEV_SIGNAL && n.signo !== 0 && n.owner.exitStatus === null) {
      sendToProcess(k, n.owner, { signo: n.signo, code: SI_MESGQ, pid: sender.proc.pid, uid: k.config.uid, value: n.value });
    }
    q.notify = null;
  }
  q.pollq.notify();
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

function canRead(f: OpenFile): boolean {
  const acc = f.flags & O_ACCMODE;
  return acc === O_RDONLY || acc === O_RDWR;
}
function canWrite(f: OpenFile): boolean {
  const acc = f.flags & O_ACCMODE;
  return acc === O_WRONLY || acc === O_RDWR;
}

/** mqueue_create_attr + mqueue_get_inode: ENOSPC, EINVAL, EOVERFLOW, EMFILE in that order. */
function createQueue(k: Kernel, t: Task, ns: MqNamespace, name: string, mode: number, attr: { maxmsg: bigint; msgsize: bigint } | null): MqInode {
  const root = k.config.uid === 0;
  if (ns.count >= MQ_SYSCTL.queues_max && !root) throw new SysError(E.ENOSPC);
  const maxmsg = attr ? attr.maxmsg : BigInt(MQ_SYSCTL.msg_default), msgsize = attr ? attr.msgsize : BigInt(MQ_SYSCTL.msgsize_default);
  if (maxmsg <= 0n || msgsize <= 0n) throw new SysError(E.EINVAL);
  if (root ? maxmsg > HARD_MSGMAX || msgsize > HARD_MSGSIZEMAX : maxmsg > MQ_SYSCTL.msg_max || msgsize > MQ_SYSCTL.msgsize_max) throw new SysError(E.EINVAL);
  if (msgsize > ULONG_MAX / maxmsg) throw new SysError(E.EOVERFLOW);
  const mx = Number(maxmsg), sz = Number(msgsize);
  const charge = mx * sz + mx * MSG_MSG_SIZE + Math.min(mx, MQ_PRIO_MAX) * TREE_NODE_SIZE;
  const uid = k.config.uid, used = (ns.bytes.get(uid) ?? 0) + charge;
  const lim = t.proc.rlimits[RLIMIT_MSGQUEUE]!.cur; // -1n: RLIM_INFINITY
  if (lim >= 0n && BigInt(used) > lim) throw new SysError(E.EMFILE);
  ns.bytes.set(uid, used);
  ns.count++;
  const q = new MqInode(ns.sb, mode & 0o7777, uid, k.config.gid, name, mx, sz, charge);
  ns.byName.set(name, q);
  return q;
}

export function registerMqueue(tab: SyscallTable): void {
  tab.def('mq_open', 'sxop', (k, t, a) => {
    const oflag = a.i32(1), mode = a.i32(2) & 0xffff, uattr = a.u(3);
    let attr: { maxmsg: bigint; msgsize: bigint } | null = null;
    if (uattr) {
      const dv = new DataView(t.proc.as.copyIn(uattr, MQ_ATTR_SIZE).buffer);
      attr = { maxmsg: dv.getBigInt64(8, true), msgsize: dv.getBigInt64(16, true) };
    }
    if (foreignEnclave(k)) return -E.EOPNOTSUPP;
    const name = queueName(t, a.u(0));
    const ns = nsOf(k);
    let q = ns.byName.get(name);
    if (!q) {
      if (!(oflag & O_CREAT)) return -E.ENOENT;
      q = createQueue(k, t, ns, name, mode & ~t.proc.umask, attr);
    } else {
      if ((oflag & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) return -E.EEXIST;
      const acc = oflag & O_ACCMODE;
      if (acc === O_ACCMODE) return -E.EINVAL;
      const want = acc === O_RDONLY ? MAY_READ : acc === O_WRONLY ? MAY_WRITE : MAY_READ | MAY_WRITE;
      if (!permitted(q, { uid: k.config.uid, gid: k.config.gid, pid: t.proc.pid }, want)) return -E.EACCES;
    }
    // dentry_open keeps the status flags; the open-time ones go.
    const f = new MqFile(ns, q, oflag & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC));
    const fd = t.proc.fds.install(f, true);
    if (fd < 0) f.close();
    return fd;
  }, 'partial'); // partial: on sgx a fork child (another enclave) does not reach the family's queues

  tab.def('mq_unlink', 's', (k, t, a) => {
    if (foreignEnclave(k)) return -E.EOPNOTSUPP;
    const name = queueName(t, a.u(0));
    const ns = nsOf(k);
    const q = ns.byName.get(name);
    if (!q) return -E.ENOENT;
    // may_delete in the sticky (01777) root: the queue's owner, or root.
    if (k.config.uid !== 0 && k.config.uid !== q.uid) return -E.EPERM;
    ns.byName.delete(name);
    q.linked = false;
    q.nlink = 0;
    if (q.opens === 0) ns.evict(q);
    return 0;
  }, 'partial'); // as mq_open

  tab.def('mq_timedsend', 'fpuup', (k, t, a) => {
    const mqd = a.i32(0), ptr = a.u(1), len = a.u(2), prio = a.i32(3) >>> 0;
    const deadline = deadlineOf(k, t, a.u(4));
    if (prio >= MQ_PRIO_MAX) return -E.EINVAL;
    const f = queueOf(t, mqd), q = f.q;
    if (!canWrite(f)) return -E.EBADF;
    if (len > q.msgsize) return -E.EMSGSIZE;
    const msg: QMsg = { prio, data: t.proc.as.copyIn(ptr, len) };
    if (q.msgs.length === q.maxmsg) {
      if (f.flags & O_NONBLOCK) return -E.EAGAIN;
      return sleepIn(k, t, q.senders, { task: t, prio: taskPrio(t), msg, deliver: null, wait: null }, deadline);
    }
    const r = firstWaiter(q.receivers);
    if (r) {
      // pipelined_send: straight to the receiver, the queue stays empty and nobody is notified.
      k.wake(r.task, r.deliver!(msg));
    } else {
      insert(q, msg);
      doNotify(k, q, t);
    }
    q.touch(true, true, true);
    return 0;
  });

  tab.def('mq_timedreceive', 'fpupp', (k, t, a) => {
    const mqd = a.i32(0), ptr = a.u(1), len = a.u(2), prioPtr = a.u(3);
    const deadline = deadlineOf(k, t, a.u(4));
    const f = queueOf(t, mqd), q = f.q;
    if (!canRead(f)) return -E.EBADF;
    if (len < q.msgsize) return -E.EMSGSIZE;
    const as = t.proc.as;
    // store_msg after the wake: a fault loses the message, as on Linux.
    const deliver = (m: QMsg): number => {
      try {
        if (prioPtr) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, m.prio, true); as.copyOut(prioPtr, b); }
        as.copyOut(ptr, m.data);
        return m.data.length;
      } catch (e) {
        if (e instanceof SysError) return -E.EFAULT;
        throw e;
      }
    };
    if (q.msgs.length === 0) {
      if (f.flags & O_NONBLOCK) return -E.EAGAIN;
      return sleepIn(k, t, q.receivers, { task: t, prio: taskPrio(t), msg: null, deliver, wait: null }, deadline);
    }
    const m = q.msgs.shift()!;
    q.qsize -= m.data.length;
    q.touch(true, true, true);
    // pipelined_receive: the first sender waiting puts its message in (no notification).
    const s = firstWaiter(q.senders);
    if (s) {
      insert(q, s.msg!);
      k.wake(s.task, 0);
    }
    q.pollq.notify();
    return deliver(m);
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
    const q = queueOf(t, mqd).q;
    if (!ev) {
      if (q.notify?.owner === t.proc) { q.notify = null; q.touch(false, true, true); }
      return 0;
    }
    if (q.notify) return -E.EBUSY;
    q.notify = { owner: t.proc, kind: ev.kind, signo: ev.kind === SIGEV_SIGNAL ? ev.signo : 0, value: ev.kind === SIGEV_SIGNAL ? ev.value : 0n };
    q.touch(false, true, true);
    return 0;
  });

  tab.def('mq_getsetattr', 'fpp', (k, t, a) => {
    const mqd = a.i32(0), unew = a.u(1), uold = a.u(2);
    let newFlags: bigint | null = null;
    if (unew) newFlags = new DataView(t.proc.as.copyIn(unew, MQ_ATTR_SIZE).buffer).getBigInt64(0, true);
    if (newFlags !== null && newFlags & ~BigInt(O_NONBLOCK)) return -E.EINVAL;
    const f = queueOf(t, mqd), q = f.q;
    let old: Uint8Array | null = null;
    if (uold) {
      old = new Uint8Array(MQ_ATTR_SIZE);
      const dv = new DataView(old.buffer);
      dv.setBigInt64(0, BigInt(f.flags & O_NONBLOCK), true);
      dv.setBigInt64(8, BigInt(q.maxmsg), true);
      dv.setBigInt64(16, BigInt(q.msgsize), true);
      dv.setBigInt64(24, BigInt(q.msgs.length), true);
    }
    if (newFlags !== null) {
      f.flags = newFlags & BigInt(O_NONBLOCK) ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK;
      q.touch(false, true, true);
    }
    if (old) t.proc.as.copyOut(uold, old);
    return 0;
  });
}
