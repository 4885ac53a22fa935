/**
 * POSIX message queues across the enclaves of a family (process per enclave: the SGX model's
 * fork). Linux has one queue namespace per IPC namespace; here the family is one namespace:
 *
 * - Names: a queue is served by the enclave that made it (its owner), which publishes its name
 *   to the family ("mq:name:NAME"; the host keeps only a keyed tag). mq_open of a name this
 *   enclave does not have asks the enclave that published it, whose kernel runs do_mq_open's
 *   checks for the caller's credentials and makes a new description there; mq_unlink likewise.
 *   The host's answer to a lookup is not trusted: the owner checks that it has the name (a
 *   wrong answer is ENOENT).
 * - Descriptions: a description of a queue lives with the queue (so O_NONBLOCK set by
 *   mq_setattr in one enclave is seen by a process of another that shares it, as after fork on
 *   Linux). Other enclaves hold a proxy (RemoteMqFile): mq_timedsend, mq_timedreceive,
 *   mq_notify, mq_getsetattr, read (the QSIZE line), poll and fstat are sealed request/answer
 *   round trips run by the owner's kernel with mqueue.ts's code, so the checks, the errors, the
 *   message order, pipelined sends and receives and the notifications are Linux's. Fork and
 *   pidfd_getfd carry a proxy (or make one of a description served here), and the owner counts
 *   the processes that hold each description; it closes once none does (nor a descriptor here).
 * - Blocking: a call that must wait is queued by the owner as a waiter of its queue, in task
 *   priority order with the owner's own tasks; the caller sleeps in its own enclave (signals,
 *   timeouts and restarts are its kernel's) until the owner's 'wake' note says its call
 *   completed, then takes the result. A caller that gives up says so ('cancel'): a message
 *   handed to it in the meantime goes back to the queue.
 * - Notification: a registration of a process of another enclave is signalled through the
 *   family (si_pid the sender's); closing any descriptor of the queue in the registering
 *   process, or its exit, removes it (mqueue_flush_file).
 * - An owner whose process ends goes on serving the queues others hold (family.ts lingering).
 *
 * Limits (stated): the queue limits (queues_max, RLIMIT_MSGQUEUE bytes) are counted per owner
 * enclave; a queue whose owner ended while no other enclave held a descriptor of it is gone
 * (Linux keeps it until mq_unlink); a sender interrupted (signal, timeout) at the very moment a
 * receiver elsewhere takes its message returns EINTR or ETIMEDOUT though the message was sent.
 */
import { E } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import type { FamilyState } from '../family.ts';
import { OpenFile, POLLERR } from '../fs/file.ts';
import { AGAIN, WaitQueue, sleepOn, type RetryResult } from '../fs/wait.ts';
import { O_NONBLOCK } from '../fs/vfs.ts';
import type { Stat } from '../abi/structs.ts';
import {
  MQ_PRIO_MAX, MqFile, attrStep, canRead, canWrite, createQueue, dropRemoteWaiter, enqueue, nsOf, notifyStep, openChecks,
  openDescription, pollMask, receiveStep, requeue, seekIn, sendStep, statusLine, uncreate, unlinkHere,
  type MqAttr, type MqCred, type MqInode, type Notify, type QMsg, type Waiter,
} from './mqueue.ts';
import { hex, unhexBytes } from './sysvipc-family.ts';

const SVC = 'mq';
const te = new TextEncoder();
const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const isPid = (v: unknown): v is number => isInt(v, 1, 0x7fffffff);
const isBig = (v: unknown): v is string => typeof v === 'string' && /^-?\d{1,20}$/.test(v);
const isToken = (v: unknown): v is string => typeof v === 'string' && /^\d{1,15}$/.test(v);
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 255 && !v.includes('/') && v !== '.' && v !== '..';

type Request =
  | { op: 'open'; name: string; oflag: number; mode: number; attr: [string, string] | null; uid: number; gid: number; pid: number; rlimit: string }
  | { op: 'unlink'; name: string; uid: number }
  | { op: 'send'; id: number; pid: number; token: string; tprio: number; prio: number; data: string; wait: boolean }
  | { op: 'recv'; id: number; pid: number; token: string; tprio: number; wait: boolean }
  | { op: 'take'; token: string }
  | { op: 'notify'; id: number; pid: number; ev: { kind: number; signo: number; value: string } | null }
  | { op: 'attr'; id: number; nonblock: boolean | null }
  | { op: 'line'; id: number }
  | { op: 'stat'; id: number }
  | { op: 'poll'; id: number };

type Note =
  /** The process `pid` holds the description `id` too (a fork of a holder, or a pidfd_getfd asker). */
  | { op: 'hold'; id: number; pid: number }
  /** The process `pid` holds it no more (the proxy's last descriptor closed). */
  | { op: 'close'; id: number; pid: number }
  /** A descriptor of the description `id` closed in process `pid` (mqueue_flush_file). */
  | { op: 'flush'; id: number; pid: number }
  /** The process `pid` ended: its registrations go. */
  | { op: 'exit'; pid: number }
  /** The caller gave up its waiting call `token`. */
  | { op: 'cancel'; token: string }
  /** To a holder: the queue `qid` changed (poll), or the waiting call `token` completed. */
  | { op: 'wake'; qid: number; token?: string };

interface Answer {
  ret: number;
  blocked?: boolean;
  /** open: the description as the asker's proxy names it. */
  desc?: CarriedMq;
  /** recv/take of a receive: the message. */
  prio?: number;
  data?: string;
  line?: string;
  stat?: Stat;
  attr?: { flags: number; maxmsg: number; msgsize: number; curmsgs: number };
}

/** A description of a queue served by `owner`, as fork and pidfd_getfd carry it. */
export interface CarriedMq { owner: number; id: number; qid: number; flags: number; maxmsg: number; msgsize: number; name: string }

export function isCarriedMq(r: unknown): r is CarriedMq {
  const c = r as CarriedMq;
  return typeof r === 'object' && r !== null && isPid(c.owner) && isInt(c.id, 1, 2 ** 40) && isInt(c.qid, 1, 2 ** 52)
    && isInt(c.flags, 0, 0x7fffffff) && isInt(c.maxmsg, 1, 1 << 20) && isInt(c.msgsize, 1, 1 << 26) && isName(c.name);
}

/** A description of a queue another enclave serves (the proxy's operations are round trips to it). */
export class RemoteMqFile extends OpenFile {
  constructor(readonly fam: MqFamily, readonly owner: number, readonly id: number, readonly qid: number, flags: number,
    readonly maxmsg: number, readonly msgsize: number, readonly qname: string, readonly holder: number) {
    super(flags);
  }
  override read(len: number): Uint8Array | number {
    const a = this.fam.call(this.owner, { op: 'line', id: this.id });
    if (a.ret < 0) return a.ret;
    if (typeof a.line !== 'string' || a.line.length > 128) return -E.EIO;
    const bytes = te.encode(a.line);
    if (this.pos >= bytes.length) return new Uint8Array(0);
    const out = bytes.slice(this.pos, this.pos + len);
    this.pos += out.length;
    return out;
  }
  override lseek(offset: number, whence: number): number {
    return seekIn(this, offset, whence);
  }
  override stat(): Stat | number {
    const a = this.fam.call(this.owner, { op: 'stat', id: this.id });
    if (a.ret < 0) return a.ret;
    const s = a.stat as unknown as Record<string, unknown> | undefined;
    if (!s || typeof s !== 'object') return -E.EIO;
    for (const key of STAT_KEYS) if (!isInt(s[key], 0, Number.MAX_SAFE_INTEGER)) return -E.EIO;
    return a.stat!;
  }
  override poll(): number {
    const a = this.fam.call(this.owner, { op: 'poll', id: this.id });
    return a.ret < 0 ? POLLERR : a.ret & 0xffff;
  }
  override readQueue(): WaitQueue {
    return this.fam.queue(this.owner, this.qid);
  }
  override writeQueue(): WaitQueue {
    return this.fam.queue(this.owner, this.qid);
  }
  override flush(pid: number): void {
    this.fam.note(this.owner, { op: 'flush', id: this.id, pid });
  }
  /** F_SETFL: O_NONBLOCK is the description's, at its owner. */
  setStatusFlags(mask: number, value: number): number {
    if (mask & O_NONBLOCK) {
      const r = this.fam.attr(this, (value & O_NONBLOCK) !== 0);
      if (typeof r === 'number') return r;
    }
    this.flags = (this.flags & ~mask) | (value & mask);
    return 0;
  }
  override close(): void {
    this.fam.closed(this);
  }
  describe(): string {
    return `/${this.qname}`;
  }
  carried(): CarriedMq {
    return { owner: this.owner, id: this.id, qid: this.qid, flags: this.flags, maxmsg: this.maxmsg, msgsize: this.msgsize, name: this.qname };
  }
}

const STAT_KEYS = ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blksize', 'blocks',
  'atimeSec', 'atimeNsec', 'mtimeSec', 'mtimeNsec', 'ctimeSec', 'ctimeNsec'] as const;

/** A call of another enclave waiting here, and what it gets once it completes. */
interface RemoteCall { f: MqFile; w: Waiter; result: { ret: number; m: QMsg | null } | null }

export class MqFamily {
  // ---- the owner's side
  /** Descriptions served to other enclaves, by id, with the processes there that hold each. */
  private readonly served = new Map<number, { f: MqFile; holders: Set<number> }>();
  private readonly servedIds = new WeakMap<MqFile, number>();
  private nextId = 1;
  /** Calls of other enclaves waiting on a queue here, by `from:token`. */
  private readonly waits = new Map<string, RemoteCall>();
  /** Enclaves that polled a queue here, told once of its next change. */
  private readonly pollSubs = new WeakMap<MqInode, Set<number>>();
  // ---- the holder's side
  private readonly proxies = new Map<string, RemoteMqFile>();
  private readonly queues = new Map<string, WaitQueue>();
  /** Waiting calls of this enclave whose owner said they completed, by `owner:token`. */
  private readonly ready = new Set<string>();
  /** Owners this enclave's processes hold descriptions of (told of a process's end). */
  private readonly owners = new Set<number>();
  private nextToken = 1;

  constructor(private readonly k: Kernel, private readonly fs: FamilyState) {
    fs.services.set(SVC, (body, from, oneWay) => {
      if (typeof body !== 'object' || body === null || !isPid(from)) return null;
      if (oneWay) { this.heard(body as Note, from); return null; }
      return this.serve(body as Request, from);
    });
    fs.onExit.push((p) => {
      for (const o of this.owners) this.note(o, { op: 'exit', pid: p.pid });
    });
    fs.holdings.push(this);
  }

  private get me(): number {
    return this.fs.servingPid;
  }

  // ---- names -----------------------------------------------------------------------------------

  private nameTag(name: string): Uint8Array {
    return te.encode(`mq:name:${name}`);
  }

  /** A queue made here: its name published. False when another enclave named it first. */
  publish(name: string): boolean {
    return this.fs.fam.publish(this.nameTag(name)) >= 0;
  }

  unpublish(name: string): void {
    this.fs.fam.unpublish(this.nameTag(name));
  }

  private ownerOfName(name: string): number {
    const pid = this.fs.fam.lookup(this.nameTag(name));
    return pid > 0 && pid !== this.me ? pid : 0;
  }

  // ---- the holder's side -----------------------------------------------------------------------

  call(owner: number, req: Request): Answer {
    this.owners.add(owner);
    const a = this.fs.serviceRequest(owner, SVC, req) as Answer | null;
    // Unsent, or the owner ended without answering (its enclave torn down): its names are gone,
    // and a description of its queue fails as a served file whose owner is gone does (EIO).
    if (!a || typeof a !== 'object' || !isInt(a.ret, -4095, 0x7fffffff)) return { ret: req.op === 'open' || req.op === 'unlink' ? -E.ENOENT : -E.EIO };
    return a;
  }

  note(owner: number, n: Note): void {
    this.fs.note(owner, SVC, n);
  }

  queue(owner: number, qid: number): WaitQueue {
    const key = `${owner}:${qid}`;
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = new WaitQueue()));
    return q;
  }

  /** The proxy for a description `c.owner` serves (one per description, as dup shares one). */
  proxy(c: CarriedMq, holder: number): RemoteMqFile {
    const key = `${c.owner}:${c.id}`;
    let f = this.proxies.get(key);
    if (!f) this.proxies.set(key, (f = new RemoteMqFile(this, c.owner, c.id, c.qid, c.flags, c.maxmsg, c.msgsize, c.name, holder)));
    this.owners.add(c.owner);
    return f;
  }

  /** The proxy's last descriptor here closed: its owner lets go of this holder. */
  closed(f: RemoteMqFile): void {
    const key = `${f.owner}:${f.id}`;
    if (this.proxies.get(key) !== f) return;
    this.proxies.delete(key);
    this.note(f.owner, { op: 'close', id: f.id, pid: f.holder });
  }

  /**
   * mq_open of a name another enclave serves: a descriptor of a new description there, -errno,
   * or null when no enclave serves the name (it is this kernel's to make).
   */
  openElsewhere(t: Task, name: string, oflag: number, mode: number, attr: MqAttr | null, cred: MqCred): number | null {
    const owner = this.ownerOfName(name);
    if (!owner) return null;
    const a = this.call(owner, {
      op: 'open', name, oflag, mode, attr: attr && [attr.maxmsg.toString(), attr.msgsize.toString()],
      uid: cred.uid, gid: cred.gid, pid: cred.pid, rlimit: cred.rlimit.toString(),
    });
    if (a.ret === -E.ENOENT) return null; // unlinked since, or a lying host: not served there
    if (a.ret < 0) return a.ret;
    if (!isCarriedMq(a.desc) || a.desc.owner !== owner) return -E.EIO;
    const f = this.proxy(a.desc, t.proc.pid);
    const fd = t.proc.fds.install(f, true);
    if (fd < 0) f.close();
    return fd;
  }

  /** mq_unlink of a name another enclave serves: its answer, or ENOENT. */
  unlinkElsewhere(name: string, uid: number): number {
    const owner = this.ownerOfName(name);
    return owner ? this.call(owner, { op: 'unlink', name, uid }).ret : -E.ENOENT;
  }

  /** mq_timedsend on a proxy (the caller's checks done, the message read). */
  send(t: Task, f: RemoteMqFile, m: QMsg, tprio: number, deadline: number): number | ReturnType<Kernel['block']> {
    const token = String(this.nextToken++);
    const wait = deadline > this.k.platform.monotonicNs();
    const a = this.call(f.owner, { op: 'send', id: f.id, pid: t.proc.pid, token, tprio, prio: m.prio, data: hex(m.data), wait });
    if (!a.blocked) return a.ret;
    return this.sleep(t, f, token, deadline, (r) => (r.ret > 0 ? -E.EIO : r.ret));
  }

  /** mq_timedreceive on a proxy: the message stored by `deliver`, or -errno. */
  receive(t: Task, f: RemoteMqFile, tprio: number, deadline: number, deliver: (m: QMsg) => number): number | ReturnType<Kernel['block']> {
    const token = String(this.nextToken++);
    const wait = deadline > this.k.platform.monotonicNs();
    const done = (a: Answer): number => {
      if (a.ret < 0) return a.ret;
      const data = unhexBytes(a.data, f.msgsize);
      if (!data || data.length !== a.ret || !isInt(a.prio, 0, MQ_PRIO_MAX - 1)) return -E.EIO;
      return deliver({ prio: a.prio, data, sender: 0 });
    };
    const a = this.call(f.owner, { op: 'recv', id: f.id, pid: t.proc.pid, token, tprio, wait });
    if (!a.blocked) return done(a);
    return this.sleep(t, f, token, deadline, done);
  }

  /**
   * The caller's call waits at the owner: sleep here until the owner's wake for `token`, then
   * take the result. Timeouts, signals and restarts are this kernel's; giving up tells the owner.
   */
  private sleep(t: Task, f: RemoteMqFile, token: string, deadline: number, done: (a: Answer) => number): number | ReturnType<Kernel['block']> {
    const key = `${f.owner}:${token}`;
    let finished = false;
    const retry = (): RetryResult => {
      if (!this.ready.has(key)) return AGAIN;
      this.ready.delete(key);
      const a = this.call(f.owner, { op: 'take', token });
      if (a.blocked) return AGAIN;
      finished = true;
      return done(a);
    };
    // The wake may have come with the answer (handled in the same drain).
    const now = retry();
    if (now !== AGAIN) return now;
    return sleepOn(this.k, t, [this.queue(f.owner, f.qid)], retry, deadline, -E.ETIMEDOUT, undefined, () => {
      if (finished) return;
      finished = true;
      this.ready.delete(key);
      this.note(f.owner, { op: 'cancel', token });
    });
  }

  notify(f: RemoteMqFile, pid: number, ev: Omit<Notify, 'pid' | 'proc' | 'signal'> | null): number {
    return this.call(f.owner, { op: 'notify', id: f.id, pid, ev: ev && { kind: ev.kind, signo: ev.signo, value: ev.value.toString() } }).ret;
  }

  attr(f: RemoteMqFile, nonblock: boolean | null): number | NonNullable<Answer['attr']> {
    const a = this.call(f.owner, { op: 'attr', id: f.id, nonblock });
    if (a.ret < 0) return a.ret;
    const r = a.attr;
    if (!r || !isInt(r.flags, 0, 0x7fffffff) || !isInt(r.maxmsg, 1, 1 << 20) || !isInt(r.msgsize, 1, 1 << 26) || !isInt(r.curmsgs, 0, 1 << 20)) return -E.EIO;
    if (nonblock !== null) f.flags = nonblock ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK;
    return r;
  }

  /** At fork, or a pidfd_getfd to `pid`: how `f` (a queue's description here, or a proxy) is carried there. */
  carry(f: MqFile | RemoteMqFile, pid: number): CarriedMq {
    if (f instanceof RemoteMqFile) {
      if (f.owner !== pid) this.note(f.owner, { op: 'hold', id: f.id, pid });
      return f.carried();
    }
    const id = this.serve1(f);
    this.served.get(id)!.holders.add(pid);
    return { owner: this.me, id, qid: f.q.ino, flags: f.flags, maxmsg: f.q.maxmsg, msgsize: f.q.msgsize, name: f.q.qname };
  }

  /** The description served here as `id` (one carried back to its owner), or null. */
  servedFile(id: number): MqFile | null {
    return this.served.get(id)?.f ?? null;
  }

  /** Its id as served here, if it is. */
  servedId(f: MqFile): number | undefined {
    return this.servedIds.get(f);
  }

  /** A carried record made into a description here: the served one when this enclave owns it, else a proxy. */
  restore(c: CarriedMq, holder: number): OpenFile | null {
    if (c.owner === this.me) return this.servedFile(c.id);
    return this.proxy(c, holder);
  }

  // ---- the owner's side ------------------------------------------------------------------------

  private serve1(f: MqFile): number {
    let id = this.servedIds.get(f);
    if (id !== undefined) return id;
    id = this.nextId++;
    const e = { f, holders: new Set<number>() };
    this.served.set(id, e);
    this.servedIds.set(f, id);
    f.served = { held: () => e.holders.size > 0, closed: () => { this.served.delete(id!); } };
    return id;
  }

  /** `pid` holds the description `id` no more: closed when nobody here or elsewhere does. */
  private release(id: number, pid: number): void {
    const e = this.served.get(id);
    if (!e || !e.holders.delete(pid) || e.holders.size) return;
    if (e.f.refs <= 0) e.f.close();
  }

  private heard(n: Note, from: number): void {
    switch (n.op) {
      case 'hold':
        if (isInt(n.id, 1, 2 ** 40) && isPid(n.pid)) this.served.get(n.id)?.holders.add(n.pid);
        return;
      case 'close':
        if (isInt(n.id, 1, 2 ** 40) && isPid(n.pid)) this.release(n.id, n.pid);
        return;
      case 'flush':
        if (isInt(n.id, 1, 2 ** 40) && isPid(n.pid)) this.served.get(n.id)?.f.flush(n.pid);
        return;
      case 'exit':
        if (isPid(n.pid)) nsOf(this.k).dropNotifications(n.pid);
        return;
      case 'cancel':
        if (isToken(n.token)) this.cancel(`${from}:${n.token}`);
        return;
      case 'wake':
        if (!isInt(n.qid, 1, 2 ** 52)) return;
        if (n.token !== undefined) { if (!isToken(n.token)) return; this.ready.add(`${from}:${n.token}`); }
        this.queues.get(`${from}:${n.qid}`)?.notify();
        return;
    }
  }

  private cancel(key: string): void {
    const c = this.waits.get(key);
    if (!c) return;
    this.waits.delete(key);
    if (!c.result) dropRemoteWaiter(c.f.q, c.w);
    else if (c.result.m && c.w.msg === null) requeue(this.k, c.f, c.result.m); // a receiver's message: not lost
  }

  private serve(b: Request, from: number): Answer {
    const no = (ret: number): Answer => ({ ret });
    const ns = nsOf(this.k);
    switch (b.op) {
      case 'open': {
        if (!isName(b.name) || !isInt(b.oflag, -0x80000000, 0x7fffffff) || !isInt(b.mode, 0, 0xffff) || !isInt(b.uid, 0, 0xffffffff)
          || !isInt(b.gid, 0, 0xffffffff) || !isPid(b.pid) || !isBig(b.rlimit)) return no(-E.EINVAL);
        const q = ns.byName.get(b.name);
        if (!q) return no(-E.ENOENT);
        const cred: MqCred = { uid: b.uid, gid: b.gid, pid: b.pid, rlimit: BigInt(b.rlimit) };
        const r = openChecks(q, b.oflag, cred);
        if (r < 0) return no(r);
        const f = openDescription(ns, q, b.oflag);
        return { ret: 0, desc: this.carry(f, b.pid) };
      }
      case 'unlink': {
        if (!isName(b.name) || !isInt(b.uid, 0, 0xffffffff)) return no(-E.EINVAL);
        const r = unlinkHere(ns, b.name, b.uid);
        if (r === 0) this.unpublish(b.name);
        return no(r);
      }
      case 'take': {
        if (!isToken(b.token)) return no(-E.EINVAL);
        const c = this.waits.get(`${from}:${b.token}`);
        if (!c) return no(-E.EINTR);
        if (!c.result) return { ret: 0, blocked: true };
        this.waits.delete(`${from}:${b.token}`);
        return c.result.m ? { ret: c.result.m.data.length, prio: c.result.m.prio, data: hex(c.result.m.data) } : no(c.result.ret);
      }
    }
    if (!isInt(b.id, 1, 2 ** 40)) return no(-E.EBADF);
    const e = this.served.get(b.id);
    if (!e) return no(-E.EBADF);
    const f = e.f;
    switch (b.op) {
      case 'send': case 'recv': {
        if (!isPid(b.pid) || !isToken(b.token) || !isInt(b.tprio, 0, 139) || typeof b.wait !== 'boolean') return no(-E.EINVAL);
        let msg: QMsg | null = null;
        if (b.op === 'send') {
          if (!canWrite(f)) return no(-E.EBADF);
          const data = unhexBytes(b.data, f.q.msgsize);
          if (!data) return no(-E.EMSGSIZE);
          if (!isInt(b.prio, 0, MQ_PRIO_MAX - 1)) return no(-E.EINVAL);
          msg = { prio: b.prio, data, sender: b.pid };
          const r = sendStep(this.k, f, msg);
          if (r !== 'full') return no(r);
        } else {
          if (!canRead(f)) return no(-E.EBADF);
          const r = receiveStep(this.k, f);
          if (r !== 'empty') return typeof r === 'number' ? no(r) : { ret: r.data.length, prio: r.prio, data: hex(r.data) };
        }
        // schedule_hrtimeout_range on a time already past returns at once.
        if (!b.wait) return no(-E.ETIMEDOUT);
        const key = `${from}:${b.token}`, qid = f.q.ino, token = b.token;
        const c: RemoteCall = {
          f, result: null,
          w: {
            task: null, prio: b.tprio, msg, deliver: null, wait: null,
            remote: { from, token, finish: (ret, m) => { c.result = { ret, m }; this.note(from, { op: 'wake', qid, token }); } },
          },
        };
        this.waits.set(key, c);
        enqueue(b.op === 'send' ? f.q.senders : f.q.receivers, c.w);
        return { ret: 0, blocked: true };
      }
      case 'notify': {
        if (!isPid(b.pid)) return no(-E.EINVAL);
        if (b.ev === null) return no(notifyStep(f.q, b.pid, null));
        const ev = b.ev;
        if (typeof ev !== 'object' || !isInt(ev.kind, 0, 1) || !isInt(ev.signo, 0, 64) || !isBig(ev.value)) return no(-E.EINVAL);
        const pid = b.pid;
        const signal = (info: Parameters<NonNullable<Notify['signal']>>[0]): void => {
          this.fs.send(pid, {
            t: 'sig', to: pid, signo: info.signo, code: info.code, pid: info.pid ?? 0, uid: info.uid ?? 0,
            ...(info.value !== undefined ? { value: info.value.toString() } : {}),
          });
        };
        const local = this.k.processes.get(pid);
        const proc = local && !local.remote ? local : null;
        return no(notifyStep(f.q, pid, { kind: ev.kind, signo: ev.signo, value: BigInt.asUintN(64, BigInt(ev.value)), proc, signal: proc ? null : signal }));
      }
      case 'attr':
        if (b.nonblock !== null && typeof b.nonblock !== 'boolean') return no(-E.EINVAL);
        return { ret: 0, attr: attrStep(f, b.nonblock) };
      case 'line':
        f.q.touch(false, true, true);
        return { ret: 0, line: statusLine(f.q) };
      case 'stat': {
        const s = f.stat();
        return typeof s === 'number' ? no(s) : { ret: 0, stat: s };
      }
      case 'poll': {
        let subs = this.pollSubs.get(f.q);
        if (!subs) {
          const set = (subs = new Set<number>()), qid = f.q.ino;
          this.pollSubs.set(f.q, set);
          // Each change tells every enclave that polled once; a poll again subscribes again.
          f.q.pollq.watch(() => {
            const to = [...set];
            set.clear();
            for (const pid of to) this.note(pid, { op: 'wake', qid });
          });
        }
        subs.add(from);
        return no(pollMask(f.q));
      }
    }
    return no(-E.EINVAL);
  }

  // ---- holdings (family.ts: lingering, and processes gone) -------------------------------------

  /** The processes of other enclaves that hold a description served here. */
  holderPids(): Set<number> {
    const s = new Set<number>();
    for (const e of this.served.values()) for (const pid of e.holders) s.add(pid);
    return s;
  }

  /** A process of another enclave ended (or never started): what it held or waited for here is let go. */
  gone(pid: number): void {
    for (const [key, c] of [...this.waits]) if (c.w.remote?.from === pid) this.cancel(key);
    nsOf(this.k).dropNotifications(pid);
    for (const [id, e] of [...this.served]) if (e.holders.has(pid)) this.release(id, pid);
  }

  /** A fork whose new enclave never started: the descriptions carried to it are let go, here and at their owners. */
  forkFailed(pid: number): void {
    this.gone(pid);
    for (const f of this.proxies.values()) this.note(f.owner, { op: 'close', id: f.id, pid });
  }

  get active(): boolean {
    return this.served.size > 0 || this.proxies.size > 0;
  }
}

const families = new WeakMap<Kernel, MqFamily>();

/** The family layer of this kernel's queues (process-per-enclave platforms), made on first use; null elsewhere. */
export function mqFamilyOf(k: Kernel): MqFamily | null {
  if (!k.family) return null;
  let f = families.get(k);
  if (!f) families.set(k, (f = new MqFamily(k, k.family)));
  return f;
}

/** The carried record of a queue description at fork or pidfd_getfd, or null for another kind of file. */
export function carryMq(k: Kernel, f: OpenFile, pid: number): CarriedMq | null {
  if (!(f instanceof MqFile) && !(f instanceof RemoteMqFile)) return null;
  return mqFamilyOf(k)?.carry(f, pid) ?? null;
}

/** A carried record made into a description of this kernel (its holder: the process `holder`). */
export function restoreMq(k: Kernel, c: unknown, holder: number): OpenFile | null {
  const fam = mqFamilyOf(k);
  return fam && isCarriedMq(c) ? fam.restore(c, holder) : null;
}

/** kcmp's family identity of a queue description, or undefined for another kind. */
export function mqIdentity(k: Kernel, f: OpenFile, self: number): string | undefined {
  if (f instanceof RemoteMqFile) return `mq:${f.owner}:${f.id}`;
  if (f instanceof MqFile) {
    const id = families.get(k)?.servedId(f);
    if (id !== undefined) return `mq:${self}:${id}`;
  }
  return undefined;
}
