/**
 * Processes in other enclaves (the HAL's EnclaveFamily capability: process-per-enclave, as
 * Gramine runs on SGX). The kernel never asks which platform it is on: when the address space
 * cannot be copied inside this enclave and the platform offers a family, fork becomes "checkpoint
 * the process, have the platform start a new enclave that resumes from it".
 *
 * What crosses between enclaves, and how (the platform seals every byte of it):
 * - fork: the checkpoint (checkpoint.ts): memory, registers, signal dispositions and mask, ids,
 *   cwd, umask, rlimits, and the descriptors that can be carried (host stdio, pipes).
 * - each side keeps a proxy Process for the other (the parent for its child, the child for its
 *   parent), marked `remote`: wait4/waitid find the child's proxy; kill on a proxy becomes a message.
 * - messages: 'exit' (child -> parent: wait status and CPU time; the parent's kernel then does
 *   what Linux's do_notify_parent does: zombie, SIGCHLD, wait4 wakes), 'sig' (kill to the
 *   other side), 'vfork' (the child exec'd: the vfork parent resumes).
 * - pipes whose ends end up in different enclaves become host-kept channels (ChannelPipe below):
 *   writes are sealed records; reads take whole records. The host does not bound a channel, so
 *   a writer never blocks on a full pipe (Linux's 64 KiB back-pressure is not modelled).
 * - unix sockets: a listener's path is published as a family name; a connect that does not find
 *   the path in its own tree sends 'uconn' to the enclave that published it, which checks and
 *   queues a server end ('uconnr' answers); the connection is two channels (fs/unix.ts RemoteConn).
 * - MAP_SHARED anonymous memory: in untrusted shared memory when the platform offers it (an
 *   insecure opt-in: host memory; checkpoint.ts carries region ids, sched.ts wakes futexes across
 *   enclaves through the host), else copied.
 * Not shared (stated, not hidden): MAP_SHARED memory without that opt-in (the child gets a copy), tmpfs contents
 * other than the files open at fork and those under the cwd it inherits (family-files.ts: the
 * child's tmpfs starts empty), listening or unconnected unix
 * sockets open at fork, epoll sets (not carried; logged). Connected unix sockets are carried: a
 * pair inside one enclave moves onto two channels at fork (fs/unix.ts).
 * - tmpfs files: the enclave that held one at fork serves its description (offset, flags, locks);
 *   the others hold proxies (RemoteFile: 'rf', 'rfr', 'rfwake', 'rfopen', family-files.ts).
 * - services: other modules answer sealed requests ('rq'/'rs') and notes ('ev') by name
 *   (System V semaphores and message queues: syscalls/sysvipc-family.ts; pages of mapped files,
 *   which migrate between the enclaves that map them: family-pages.ts; shared futexes on those
 *   pages, queued at the file's owner: family-futex.ts).
 * - eventfds: the enclave that held one at fork serves its counter; the others hold proxies
 *   (RemoteEventFd) whose operations are sealed requests ('efd', 'efdr', 'efdwake').
 * - descriptions moved on request (pidfd_getfd from another enclave) and the family-wide
 *   identity kcmp compares across enclaves: family-fds.ts (service 'xfd').
 */
import type { EnclaveFamily } from '@teeos/hal';
import { E } from './errors.ts';
import { SIGKILL } from './abi/constants.ts';
import type { Kernel } from './kernel.ts';
import { Process, Task, processState } from './task.ts';
import type { SigInfo } from './signals.ts';
import { sendToProcess, sendToTask, notifyParentStop, CLD_STOPPED, CLD_CONTINUED } from './signals.ts';
import { FdTable, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from './fs/file.ts';
import { EventFdBase, eventfdPollMask, type EventFdFile, type Pipe, type PipeChannel } from './fs/pipe.ts';
import type { Location } from './fs/vfs.ts';
import { WaitQueue } from './fs/wait.ts';
import type { UnixSocket, Ucred } from './fs/unix.ts';
import { remoteConnectIn } from './syscalls/net.ts';
import { fifoOpenIn } from './syscalls/fs-path.ts';
import { prlimitHere } from './syscalls/process.ts';
import { FamilyFiles, type FileMessage } from './family-files.ts';
import { FamilyPages } from './family-pages.ts';
import { FamilyFutex } from './family-futex.ts';
import { FamilyFds } from './family-fds.ts';
import { ushmFutexWoken } from './syscalls/sched.ts';
import { PVM_SERVICE, serveProcessVm } from './syscalls/process-vm.ts';
import { PMM_SERVICE, serveProcessMm } from './syscalls/process-mm.ts';

/** The family service at the first enclave that counts the family's processes (RLIMIT_NPROC across enclaves). */
export const NPROC_SERVICE = 'nproc';

/** The family service that tells the state of a process here (/proc/PID/stat read in another enclave). */
export const PSTATE_SERVICE = 'pstate';

/** The family service that runs setpgid for a process in another enclave (and hears of a remote process's own). */
export const PGID_SERVICE = 'pgid';

type Message =
  | { t: 'exit'; pid: number; status: number; cpu: number }
  /** tid: tgkill to one thread of the receiver's process `to` (absent: to the process). */
  | { t: 'sig'; to: number; signo: number; code: number; pid?: number; uid?: number; value?: string; tid?: number }
  | { t: 'vfork'; pid: number }
  | { t: 'reparent'; pid: number; ppid: number }
  | { t: 'cldstop'; pid: number; code: number; status: number }
  /** connect to a unix socket listening (published) in the receiver's enclave; the channels are the connector's. */
  | { t: 'uconn'; req: number; from: number; path: string; type: number; c2s: number; s2c: number; cred: Ucred; name: string }
  /** The answer: 0 (queued on the listener's backlog, with its credentials and name) or an errno. */
  | { t: 'uconnr'; req: number; err: number; cred: Ucred; name: string }
  /** An operation on an eventfd the receiver serves; v: the value written (decimal). */
  | { t: 'efd'; req: number; from: number; id: number; op: 'read' | 'write' | 'peek'; v: string }
  /** Its answer: ret as read/write return it (8 or -errno; peek: 0), v the value read or the counter. */
  | { t: 'efdr'; req: number; ret: number; v: string }
  /** The counter of the eventfd `id` served by `owner` changed: blocked readers and writers try again. */
  | { t: 'efdwake'; owner: number; id: number }
  /** The process `pid` (a fork of a holder, or a pidfd_getfd asker) holds the eventfd `id` too. */
  | { t: 'efdhold'; id: number; pid: number }
  /** The process `pid` holds the eventfd `id` no more (its last descriptor of the proxy closed). */
  | { t: 'efdclose'; id: number; pid: number }
  /** Open the FIFO at `path` (published by the receiver) for reading and/or writing. */
  | { t: 'fopen'; req: number; from: number; path: string; read: boolean; write: boolean }
  /** Its answer: the channel the FIFO's bytes now live in, or -errno. */
  | { t: 'fopenr'; req: number; ret: number }
  /** The opener now holds its end (the family's counts include it): the open counts in the FIFO's enclave. */
  | { t: 'fopened'; path: string; read: boolean; write: boolean }
  /** prlimit on the receiver's process `pid`: the new limit if any (decimal strings, RLIM_INFINITY as -1). */
  | { t: 'rlim'; req: number; from: number; pid: number; res: number; cur?: string; max?: string }
  /** Its answer: 0 and the old limit, or -errno. */
  | { t: 'rlimr'; req: number; ret: number; cur: string; max: string }
  /** Is the receiver's enclave still there? (a request waiting long for its answer asks the host; ignored on arrival) */
  | { t: 'alive' }
  /** tmpfs files served across enclaves (family-files.ts). */
  | FileMessage
  /** A request to a service another module of this kernel registered (`services`), answered by 'rs'. */
  | { t: 'rq'; req: number; from: number; svc: string; body: unknown }
  | { t: 'rs'; req: number; body: unknown }
  /** A one-way note to such a service. */
  | { t: 'ev'; from: number; svc: string; body: unknown };

/** What a module serves to processes of other enclaves: who holds it, and letting go of one that ended. */
export interface Holding {
  holderPids(): Iterable<number>;
  /** A process of another enclave ended (or never started): what it held is let go. */
  gone(pid: number): void;
  /** A fork whose new enclave never started: what was carried to it is let go, here and at owners elsewhere. */
  forkFailed(pid: number): void;
  readonly active: boolean;
}

/** A service of this kernel that other enclaves ask by sealed message: its answer (requests) or nothing (notes). */
export type FamilyService = (body: unknown, from: number, oneWay: boolean) => unknown;
/** A limit as the kernel keeps it (64 bits, signed or not: RLIM_INFINITY may be -1). */
const isLimit = (v: unknown): v is string => typeof v === 'string' && /^-?\d{1,20}$/.test(v) && BigInt(v) >= -(2n ** 63n) && BigInt(v) < 2n ** 64n;

const ULLONG_MAX = 0xffffffffffffffffn;
const u64 = (v: bigint) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, v, true); return b; };

/** What a connector learns from the listener's enclave. */
export interface ConnectReply { err: number; cred: Ucred; name: Uint8Array }

const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const isCred = (c: unknown): c is Ucred => typeof c === 'object' && c !== null
  && isInt((c as Ucred).pid, 0, 0x7fffffff) && isInt((c as Ucred).uid, 0, 0xffffffff) && isInt((c as Ucred).gid, 0, 0xffffffff);
export const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
/** sun_path bytes from hex (at most 108 of them), or null. */
export function unhex(h: unknown): Uint8Array | null {
  if (typeof h !== 'string' || h.length > 216 || !/^([0-9a-f]{2})*$/.test(h)) return null;
  return Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
}

const te = new TextEncoder(), td = new TextDecoder();

/** A pipe whose ends are in different enclaves: the bytes live in a host channel, sealed. */
export class ChannelPipe implements PipeChannel {
  private leftover = new Uint8Array(0);
  readers = 1;
  writers = 1;
  constructor(private readonly fam: EnclaveFamily, readonly id: number) {}

  private fetch(max: number): number {
    const r = this.fam.channelRead(this.id, max);
    if (r.ret < 0) return r.ret;
    this.readers = r.readers;
    this.writers = r.writers;
    if (r.data.length) {
      const b = new Uint8Array(this.leftover.length + r.data.length);
      b.set(this.leftover);
      b.set(r.data, this.leftover.length);
      this.leftover = b;
    }
    return r.queued;
  }
  read(len: number): Uint8Array | number {
    if (len === 0) return new Uint8Array(0);
    if (this.leftover.length === 0) {
      const q = this.fetch(len);
      if (q < 0) return q;
    }
    if (this.leftover.length === 0) return this.writers === 0 ? new Uint8Array(0) : -E.EAGAIN;
    const n = Math.min(len, this.leftover.length);
    const out = this.leftover.slice(0, n);
    this.leftover = this.leftover.slice(n);
    return out;
  }
  write(data: Uint8Array): number {
    if (data.length === 0) return 0;
    return this.fam.channelWrite(this.id, data);
  }
  poll(canRead: boolean, canWrite: boolean): number {
    const queued = this.fetch(0);
    let m = 0;
    if (canRead) {
      // A broken channel (EIO: a record lost, replayed or altered) is readable: the read says so.
      if (this.leftover.length > 0 || queued > 0) m |= POLLIN | POLLRDNORM;
      else if (queued === -E.EIO) m |= POLLIN | POLLRDNORM | POLLERR;
      if (this.writers === 0) m |= POLLHUP;
    }
    if (canWrite) m |= this.readers > 0 ? POLLOUT | POLLWRNORM : POLLERR;
    return m;
  }
  readable(): number {
    if (this.leftover.length === 0) this.fetch(1 << 16);
    return this.leftover.length;
  }
  refs(readers: number, writers: number): void {
    this.fam.channelRefs(this.id, readers, writers);
  }
  ends(): { readers: number; writers: number } {
    const r = this.fam.channelRead(this.id, 0);
    return { readers: r.readers, writers: r.writers };
  }
  /** At fork: bytes fetched here but not read go back to the channel (one pipe buffer, as on Linux). */
  pushBack(): number {
    if (this.leftover.length === 0) return 0;
    const r = this.fam.channelUnread(this.id, this.leftover);
    if (r === 0) this.leftover = new Uint8Array(0);
    return r;
  }
}

/**
 * An eventfd whose counter another enclave of the family serves (its owner: the enclave that
 * held it at the fork that shared it; one counter cannot be in two enclaves). Each operation is a
 * sealed request and its answer, a round trip during which this enclave's other threads wait;
 * the owner sends 'efdwake' whenever the counter changes, so a reader or writer blocked here
 * tries again. Semantics (semaphore mode, the maximum, EAGAIN) are the owner's EventFdFile's.
 */
export class RemoteEventFd extends EventFdBase {
  constructor(private readonly fs: FamilyState, readonly owner: number, readonly id: number, readonly efdFlags: number, flags: number, loc: Location) {
    super(flags);
    this.loc = loc;
  }
  override read(len: number): Uint8Array | number {
    if (len < 8) return -E.EINVAL;
    const r = this.fs.efdCall(this.owner, this.id, 'read', 0n);
    return r.ret < 0 ? r.ret : u64(r.v);
  }
  override write(data: Uint8Array): number {
    if (data.length < 8) return -E.EINVAL;
    const v = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
    if (v === ULLONG_MAX) return -E.EINVAL;
    return this.fs.efdCall(this.owner, this.id, 'write', v).ret;
  }
  override fdinfo(): string {
    const r = this.fs.efdCall(this.owner, this.id, 'peek', 0n);
    return `eventfd-count: ${(r.ret < 0 ? 0n : r.v).toString(16).padStart(16)}\n`;
  }
  override poll(): number {
    const r = this.fs.efdCall(this.owner, this.id, 'peek', 0n);
    return r.ret < 0 ? POLLERR : eventfdPollMask(r.v);
  }
  override close(): void {
    this.fs.eventFdClosed(this);
  }
}

/** The kernel's side of the family: proxies, messages, shared pipes. */
export class FamilyState {
  private seen = -1;
  readonly pipes = new Set<Pipe>();
  /** This enclave was started from a checkpoint (its parent is elsewhere). */
  restoredChild = false;
  /** Unix sockets connected to, or listening for, other enclaves: woken on the family's events. */
  readonly sockets = new Set<UnixSocket>();
  /** Connects waiting for their answer (uconnr), by request number. */
  readonly connq = new WaitQueue();
  readonly replies = new Map<number, ConnectReply>();
  private nextReq = 1;
  /** Eventfds this enclave serves to others, by id, with the pids to wake when one changes. */
  private readonly efds = new Map<number, { f: EventFdFile; subs: Set<number> }>();
  private nextEfd = 1;
  /** Proxies here for eventfds served elsewhere, by `owner:id` (one description each, as dup shares one). */
  readonly efdProxies = new Map<string, RemoteEventFd>();
  /** Messages fetched and not yet handled (drain). */
  private readonly backlog: Uint8Array[] = [];
  /** Answers to requests this enclave waits for in place (efdr, fopenr), by request number. */
  private readonly rpcReplies = new Map<number, Message>();
  /** FIFOs of other enclaves opened here, by owner and path: one local Pipe each. */
  readonly remoteFifos = new Map<string, Pipe>();

  /** tmpfs files this enclave serves to others, and its proxies for theirs. */
  readonly files: FamilyFiles;
  /** Pages of mapped files across enclaves (family-pages.ts). */
  readonly pages: FamilyPages;
  /** Shared futexes on those pages, queued at the file's owner (family-futex.ts). */
  readonly futex: FamilyFutex;
  /** Descriptions moved between enclaves (pidfd_getfd) and their family-wide identities (kcmp): family-fds.ts. */
  readonly fds: FamilyFds;

  /** Services other modules offer to the family's enclaves (System V IPC: syscalls/sysvipc-family.ts), by name. */
  readonly services = new Map<string, FamilyService>();
  /** Run when a process of this enclave ends, before its parent elsewhere hears of it. */
  readonly onExit: ((p: Process) => void)[] = [];
  /** Other modules' objects served here that processes of other enclaves hold (POSIX queues: syscalls/mqueue-family.ts). */
  readonly holdings: Holding[] = [];

  constructor(private readonly k: Kernel, readonly fam: EnclaveFamily) {
    this.files = new FamilyFiles(k, this);
    this.pages = new FamilyPages(k, this);
    this.futex = new FamilyFutex(k, this);
    this.fds = new FamilyFds(k, this);
    // Process groups across enclaves: a parent's setpgid of its child is run here, in the child's
    // kernel, before the parent's call returns (Linux's is immediate: a signal the parent sends
    // next finds the child in its new group); a process here that changes its own group or
    // session tells its parent's enclave, whose proxy for it must say the same, before its call
    // returns; and whether a group exists in a session is asked of the parent's enclave (with
    // its children, where a sibling's group is) when no process here is in it.
    // process_vm_readv/writev from another enclave on a process here (syscalls/process-vm.ts).
    this.services.set(PVM_SERVICE, (body, from, oneWay) => (oneWay ? null : serveProcessVm(k, body)));
    // process_madvise/process_mrelease from another enclave on a process here (syscalls/process-mm.ts).
    this.services.set(PMM_SERVICE, (body, from, oneWay) => (oneWay ? null : serveProcessMm(k, body)));
    // RLIMIT_NPROC counts the user's processes wherever they run: the family's first enclave counts
    // them ('fork' asks it before a new enclave starts; 'gone' when a process ends or a fork fails).
    this.services.set(NPROC_SERVICE, (body, from, oneWay) => {
      const b = body as { op?: unknown; pid?: unknown; limit?: unknown };
      if (!isInt(b.pid, 2, 0x7fffffff) || this.restoredChild) return oneWay ? null : -E.EINVAL;
      if (oneWay) { if (b.op === 'gone') this.members.delete(b.pid); return null; }
      if (b.op !== 'fork' || typeof b.limit !== 'string' || !isLimit(b.limit)) return -E.EINVAL;
      return this.admit(b.pid, BigInt(b.limit));
    });
    // /proc/PID/stat and status of a process here read in another enclave: its state letter.
    this.services.set(PSTATE_SERVICE, (body, from, oneWay) => {
      const b = body as { pid?: unknown };
      if (oneWay || !isInt(b.pid, 1, 0x7fffffff)) return null;
      const p = k.processes.get(b.pid);
      if (!p || p.remote) return null;
      return processState(p);
    });
    this.services.set(PGID_SERVICE, (body, from, oneWay) => {
      const b = body as { op?: unknown; pid?: unknown; pgid?: unknown; sid?: unknown };
      if (oneWay || !isInt(b.pgid, 1, 0x7fffffff)) return -E.EINVAL;
      if (b.op === 'exists') {
        if (!isInt(b.sid, 1, 0x7fffffff)) return -E.EINVAL;
        return this.groupExists(b.pgid, b.sid) ? 1 : 0;
      }
      if (!isInt(b.pid, 1, 0x7fffffff)) return -E.EINVAL;
      const p = k.processes.get(b.pid);
      if (b.op === 'moved') {
        // A child elsewhere moved itself: our proxy for it follows.
        if (!p?.remote || p.pid !== from) return -E.ESRCH;
        p.pgid = b.pgid;
        if (isInt(b.sid, 1, 0x7fffffff)) p.sid = b.sid;
        return 0;
      }
      if (b.op !== 'set') return -E.EINVAL;
      if (!p || p.remote || p.ppid !== from || p.exitStatus !== null) return -E.ESRCH;
      if (p.sid === p.pid) return -E.EPERM;
      p.pgid = b.pgid;
      return 0;
    });
  }

  /**
   * Is some process of group `pgid` in session `sid`? Those of this enclave and its proxies first,
   * then, when its process's parent is in another enclave, there (recursively): a group made by a
   * sibling is known to the parent, which holds a proxy for every child. Groups that only cousins
   * are in are not seen.
   */
  groupExists(pgid: number, sid: number): boolean {
    for (const q of this.k.processes.values()) if (q.pgid === pgid && q.sid === sid && q.exitStatus === null) return true;
    const parent = this.k.processes.get(this.k.processes.get(this.self)?.ppid ?? 0);
    if (!parent?.remote) return false;
    return this.serviceRequest(parent.pid, PGID_SERVICE, { op: 'exists', pgid, sid }) === 1;
  }

  /** At the family's first enclave: the live processes of the other enclaves (RLIMIT_NPROC). */
  private readonly members = new Set<number>();

  /**
   * RLIMIT_NPROC for a fork into a new enclave: the family's processes are one user's wherever
   * they run, so the first enclave counts them all. 0 with `child` counted, or -EAGAIN. The host
   * carries the question and could make it fail, as it could refuse the new enclave anyway.
   */
  admitFork(child: number, limit: bigint): number {
    if (!this.restoredChild) return this.admit(child, limit);
    const r = this.serviceRequest(1, NPROC_SERVICE, { op: 'fork', pid: child, limit: limit.toString() });
    return r === 0 ? 0 : -E.EAGAIN;
  }

  private admit(child: number, limit: bigint): number {
    const count = (): number => {
      let n = this.members.size;
      for (const p of this.k.processes.values()) if (!p.remote && p.exitStatus === null) n++;
      return n;
    };
    if (limit >= 0n && BigInt(count()) >= limit) {
      // An enclave that ended without a word (torn down by the host) holds no process.
      for (const pid of [...this.members]) if (this.send(pid, { t: 'alive' }) < 0) this.members.delete(pid);
      if (BigInt(count()) >= limit) return -E.EAGAIN;
    }
    this.members.add(child);
    return 0;
  }

  /** The process `pid` is not counted any more: its fork failed, or it (a process of this enclave) ended. */
  forkGone(pid: number): void {
    if (!this.restoredChild) this.members.delete(pid);
    else this.note(1, NPROC_SERVICE, { op: 'gone', pid });
  }

  /** The state letter of the live process `pid` of another enclave, asked there; null when it does not answer. */
  remoteState(pid: number): 'R' | 'S' | 'T' | 'Z' | null {
    const r = this.serviceRequest(pid, PSTATE_SERVICE, { pid });
    return r === 'R' || r === 'S' || r === 'T' || r === 'Z' ? r : null;
  }

  /** A process here changed its own group or session: its parent's enclave is told before the call returns. */
  groupMoved(p: Process): void {
    const parent = this.k.processes.get(p.ppid);
    if (parent?.remote) this.serviceRequest(parent.pid, PGID_SERVICE, { op: 'moved', pid: p.pid, pgid: p.pgid, sid: p.sid });
  }

  /** A request to the service `svc` of the enclave running `pid`, answered in place; null when it could not be sent. */
  serviceRequest(pid: number, svc: string, body: unknown, from = this.self || this.endedPid, sent?: (req: number) => void): unknown {
    const r = this.request(pid, (req) => {
      sent?.(req);
      return { t: 'rq', req, from, svc, body };
    });
    return r?.t === 'rs' ? r.body : null;
  }

  /** Handles what has arrived, without waiting (what an enclave sent before it ended is there to be taken). */
  receiveNow(): void {
    this.drain();
  }

  /** The answer to this enclave's request `req` has arrived (it waits to be taken where it was asked). */
  answered(req: number): boolean {
    return this.rpcReplies.has(req);
  }

  /** The body of the service answer to `req` when it has arrived, left for the asker to take; undefined when not yet. */
  answerOf(req: number): unknown {
    const r = this.rpcReplies.get(req);
    return r?.t === 'rs' ? r.body : undefined;
  }

  /** A one-way note to the service `svc` of the enclave running `pid`: 0, or -errno when it could not be sent. */
  note(pid: number, svc: string, body: unknown, from = this.self || this.endedPid): number {
    return this.send(pid, { t: 'ev', from, svc, body });
  }

  /** Something else in the family may need this enclave to wait for it rather than call it a deadlock. */
  get active(): boolean {
    if (this.restoredChild || this.pipes.size || this.sockets.size || this.efds.size || this.files.active) return true;
    if (this.holdings.some((h) => h.active)) return true;
    for (const p of this.k.processes.values()) if (p.remote && p.exitStatus === null) return true;
    return false;
  }

  /** A proxy for a process that runs in another enclave. */
  proxy(pid: number, ppid: number): Process {
    const p = new Process(pid, ppid, this.k.newAddressSpace(), new FdTable(), '');
    p.remote = true;
    this.k.processes.set(pid, p);
    return p;
  }

  /** Turns a local pipe into a channel pipe (its buffered bytes move to the host, sealed). */
  share(pipe: Pipe): number {
    if (pipe.channel) return pipe.channel instanceof ChannelPipe ? pipe.channel.pushBack() : 0;
    const id = this.fam.channelCreate();
    if (id <= 0) return id < 0 ? id : -E.EIO;
    const ch = new ChannelPipe(this.fam, id);
    ch.refs(pipe.readers, pipe.writers); // first: the host refuses records for a channel nobody reads
    const buffered = pipe.len > 0 && pipe.readers > 0 ? pipe.read(pipe.len) : new Uint8Array(0);
    if (buffered instanceof Uint8Array && buffered.length && ch.write(buffered) !== buffered.length) return -E.EIO;
    pipe.channel = ch;
    this.pipes.add(pipe);
    return 0;
  }

  /** Asks the enclave `pid` to queue a connection on its listener at `path`: the request number, or -errno. */
  connect(pid: number, m: Omit<Extract<Message, { t: 'uconn' }>, 't' | 'req'>): number {
    const req = this.nextReq++;
    const r = this.send(pid, { t: 'uconn', req, ...m });
    return r < 0 ? r : req;
  }

  /** The pid this enclave serves as: its process's, also once that has ended (lingering). */
  get servingPid(): number {
    return this.self || this.endedPid;
  }

  /** The process this enclave runs (the one not a proxy; messages for it come here). */
  get selfPid(): number {
    return this.self;
  }
  private get self(): number {
    for (const p of this.k.processes.values()) if (!p.remote && p.exitStatus === null) return p.pid;
    return 0;
  }

  /** At fork: the eventfd `f` is served from here to `child` (and whoever asks later); its id. */
  shareEventFd(f: EventFdFile, child: number): number {
    if (!f.familyId) {
      const id = this.nextEfd++;
      f.familyId = id;
      const e = { f, subs: new Set<number>() };
      this.efds.set(id, e);
      const owner = this.self;
      f.readQueue().watch(() => {
        for (const pid of e.subs) if (this.send(pid, { t: 'efdwake', owner, id }) < 0) e.subs.delete(pid);
      });
    }
    this.efds.get(f.familyId)!.subs.add(child);
    return f.familyId;
  }

  /** The eventfd served here as `id` (one handed back to this enclave by another), or null. */
  servedEventFd(id: number): EventFdFile | null {
    return this.efds.get(id)?.f ?? null;
  }

  /** `pid` (a fork of this holder, or a pidfd_getfd asker) holds the proxy `f` too: its owner learns of it first (messages keep their order). */
  holdEventFd(f: RemoteEventFd, pid: number): void {
    this.send(f.owner, { t: 'efdhold', id: f.id, pid });
  }

  /** The proxy's last descriptor here closed (or this process exits): its owner lets go of this holder. */
  eventFdClosed(f: RemoteEventFd): void {
    const key = `${f.owner}:${f.id}`;
    if (this.efdProxies.get(key) === f) this.efdProxies.delete(key);
    const me = this.self || this.endedPid || this.files.me;
    if (me) this.send(f.owner, { t: 'efdclose', id: f.id, pid: me });
  }

  /** A proxy for the eventfd `id` that `owner` serves (the same one for every descriptor naming it). */
  eventFdProxy(owner: number, id: number, efdFlags: number, flags: number, loc: Location): RemoteEventFd {
    const key = `${owner}:${id}`;
    let f = this.efdProxies.get(key);
    if (!f) this.efdProxies.set(key, (f = new RemoteEventFd(this, owner, id, efdFlags, flags, loc)));
    return f;
  }

  /** One operation on an eventfd served elsewhere: waits here for the answer (handling what else arrives). */
  efdCall(owner: number, id: number, op: 'read' | 'write' | 'peek', v: bigint): { ret: number; v: bigint } {
    const r = this.request(owner, (req) => ({ t: 'efd', req, from: this.self, id, op, v: v.toString() }));
    return r?.t === 'efdr' ? { ret: r.ret, v: BigInt(r.v) } : { ret: -E.EIO, v: 0n };
  }

  /** Opens the FIFO `path` that enclave `pid` published: the channel id, or -errno. */
  fifoOpen(pid: number, path: string, read: boolean, write: boolean): number {
    const r = this.request(pid, (req) => ({ t: 'fopen', req, from: this.self, path, read, write }));
    return r?.t === 'fopenr' ? r.ret : -E.EIO;
  }

  /** prlimit on a process in another enclave: 0 with the old limit, or -errno. */
  prlimit(pid: number, res: number, next: { cur: bigint; max: bigint } | null): { ret: number; cur: bigint; max: bigint } {
    const lim = next ? { cur: next.cur.toString(), max: next.max.toString() } : {};
    const r = this.request(pid, (req) => ({ t: 'rlim', req, from: this.self, pid, res, ...lim }));
    return r?.t === 'rlimr' ? { ret: r.ret, cur: BigInt(r.cur), max: BigInt(r.max) } : { ret: -E.ESRCH, cur: 0n, max: 0n };
  }

  /** An answer to this enclave's request `req` (checked by the module that parsed it). */
  answer(req: number, m: Message): void {
    if (isInt(req, 1, this.nextReq - 1)) this.rpcReplies.set(req, m);
  }

  /**
   * A request answered in place: this enclave waits for the answer, handling whatever else
   * arrives meanwhile (so two enclaves asking each other at once do not deadlock). null: unsent.
   */
  request(pid: number, make: (req: number) => Message): Message | null {
    const req = this.nextReq++;
    if (this.send(pid, make(req)) < 0) return null;
    let checked = this.k.platform.monotonicNs();
    for (;;) {
      const ev = this.fam.events;
      this.seen = ev;
      this.drain();
      const r = this.rpcReplies.get(req);
      if (r) {
        this.rpcReplies.delete(req);
        return r;
      }
      this.fam.waitEvents(ev, 1e9);
      // A second without the answer: the enclave asked may have ended before answering (its
      // process exited). The host then knows no such enclave (ESRCH) and no answer will come.
      // Counted from the request, not from the last event: other enclaves' messages (their own
      // 'alive' pings while they wait for this one) may come more often than that.
      const now = this.k.platform.monotonicNs();
      if (now - checked >= 1e9) {
        checked = now;
        if (this.send(pid, { t: 'alive' }) < 0) return null;
      }
    }
  }

  send(pid: number, m: Message): number {
    return this.fam.send(pid, te.encode(JSON.stringify(m)));
  }

  signal(p: Process, info: SigInfo, tid?: number): void {
    this.send(p.pid, {
      t: 'sig', to: p.pid, signo: info.signo, code: info.code, ...(tid !== undefined ? { tid } : {}),
      ...(info.pid !== undefined ? { pid: info.pid } : {}), ...(info.uid !== undefined ? { uid: info.uid } : {}),
      ...(info.value !== undefined ? { value: info.value.toString() } : {}),
    });
  }

  /** This enclave's process once it has ended (0 while it runs). */
  private endedPid = 0;

  /**
   * This enclave's process has ended, but other enclaves still use what it served them: the pages
   * of a shared mapping (family-pages.ts: MAP_SHARED anonymous memory, a memfd, a System V
   * segment) or a tmpfs description (family-files.ts). Linux keeps such objects alive while
   * anyone maps or holds them, so this kernel goes on serving them, with no task left, until the
   * last holder lets go or ends (the parent has heard of the exit already). Not for the family's
   * first process: the family ends with it, as a PID namespace ends with its init.
   */
  get lingering(): boolean {
    return this.endedPid > 1 && this.holders().size > 0;
  }

  private lingerLogged = false;

  /** The kernel stops: said when it lingered (the last holder let go, or ended). */
  ended(): void {
    if (this.lingerLogged) this.k.platform.log(`pid ${this.endedPid}: nothing it served is held any more: its enclave ends`);
  }

  private holders(): Set<number> {
    const s = new Set([...this.pages.holderPids(), ...this.files.holderPids()]);
    for (const e of this.efds.values()) for (const pid of e.subs) s.add(pid);
    for (const h of this.holdings) for (const pid of h.holderPids()) s.add(pid);
    return s;
  }

  /** A process of another enclave ended: it holds none of the eventfds served here, nor the other modules' objects. */
  private efdGone(pid: number): void {
    for (const e of this.efds.values()) e.subs.delete(pid);
    for (const h of this.holdings) h.gone(pid);
  }

  /**
   * One wait of a lingering enclave: serves what arrives for up to a second. Once a second each
   * holder is asked after ('alive'): one the host knows no more (it ended without letting go: its
   * kernel stopped, or the host ended it) is let go, after what it sent before it ended is read.
   */
  linger(): void {
    if (!this.lingerLogged) {
      this.lingerLogged = true;
      this.k.platform.log(`pid ${this.endedPid} has ended; its enclave goes on serving what ${this.holders().size} process(es) of the family still map or hold`);
    }
    this.fam.waitEvents(this.seen, 1e9);
    this.poll();
    const now = this.k.platform.monotonicNs();
    if (now - this.probedAt < 1e9) return;
    this.probedAt = now;
    for (const pid of this.holders()) {
      if (this.send(pid, { t: 'alive' }) >= 0) continue;
      this.receiveNow();
      this.files.gone(pid);
      this.pages.gone(pid);
      this.futex.gone(pid);
      this.efdGone(pid);
    }
  }

  /** The local process ended: its parent, in another enclave, hears of it. */
  exited(proc: Process, status: number): void {
    if (!proc.remote) this.endedPid = proc.pid;
    for (const h of this.onExit) h(proc);
    if (!proc.remote) this.forkGone(proc.pid);
    const parent = this.k.processes.get(proc.ppid);
    if (parent?.remote) this.send(parent.pid, { t: 'exit', pid: proc.pid, status, cpu: proc.cpuInstructions + proc.childCpuInstructions });
    // Its children in other enclaves are orphans now: they belong to init, as on Linux.
    for (const c of this.k.processes.values()) {
      if (c.remote && c.ppid === proc.pid && c.exitStatus === null) this.send(c.pid, { t: 'reparent', pid: c.pid, ppid: 1 });
    }
  }

  /** The local process stopped or continued: its parent, elsewhere, is told (do_notify_parent_cldstop). */
  stopChanged(proc: Process, code: number, status: number): void {
    this.send(proc.ppid, { t: 'cldstop', pid: proc.pid, code, status });
  }

  /** Called from the scheduler loop: handles what arrived since the last look. */
  poll(): void {
    const ev = this.fam.events;
    if (ev === this.seen) return;
    this.seen = ev;
    this.drain();
    ushmFutexWoken(this.k);
  }

  private drain(): void {
    // One queue for every drain: a message handled here may wait for another enclave (a request
    // answered in place) and drain again meanwhile; that inner drain goes on with the messages
    // already fetched, in order (an ended enclave's last notes come before anything newer).
    this.backlog.push(...this.fam.receive());
    for (let raw = this.backlog.shift(); raw !== undefined; raw = this.backlog.shift()) {
      let m: Message;
      try {
        m = JSON.parse(td.decode(raw)) as Message;
      } catch {
        continue;
      }
      this.handle(m);
    }
    for (const p of this.pipes) {
      p.readq.notify();
      p.writeq.notify();
      p.openq.notify();
    }
    for (const s of this.sockets) {
      s.readq.notify();
      s.writeq.notify();
    }
  }

  private handle(m: Message): void {
    const k = this.k;
    if (m.t === 'exit') {
      const p = k.processes.get(m.pid);
      if (!p?.remote || p.exitStatus !== null || !Number.isInteger(m.status)) return;
      p.cpuInstructions = Number.isSafeInteger(m.cpu) && m.cpu >= 0 ? m.cpu : 0;
      this.files.gone(p.pid); // what it held of the files served here (it closed them already, normally)
      this.pages.gone(p.pid); // the file pages it mapped (it gave them back already, normally)
      this.futex.gone(p.pid); // its futex waits queued here (it took them back already, normally)
      this.efdGone(p.pid); // the eventfds it held (it closed them already, normally)
      k.processExited(p, m.status);
    } else if (m.t === 'sig') {
      const p = k.processes.get(m.to);
      if (!p || p.remote || p.exitStatus !== null || !(m.signo >= 1 && m.signo <= 64)) return;
      const info: SigInfo = { signo: m.signo, code: m.code | 0 };
      if (m.pid !== undefined) info.pid = m.pid | 0;
      if (m.uid !== undefined) info.uid = m.uid | 0;
      if (m.value !== undefined && /^-?\d+$/.test(m.value)) info.value = BigInt(m.value);
      if (m.tid !== undefined) {
        // tgkill from another enclave: that thread only (gone meanwhile: dropped, as a late tgkill).
        const task = [...p.tasks].find((x) => x.tid === m.tid && x.state !== 'zombie');
        if (task) sendToTask(k, task, info);
      } else sendToProcess(k, p, info);
    } else if (m.t === 'cldstop') {
      const p = k.processes.get(m.pid);
      if (!p?.remote || p.exitStatus !== null || !(m.status >= 1 && m.status <= 64)) return;
      if (m.code === CLD_STOPPED) {
        p.stopped = m.status;
        p.stopReport = m.status;
        p.continueReport = false;
      } else if (m.code === CLD_CONTINUED) {
        p.stopped = 0;
        p.stopReport = 0;
        p.continueReport = true;
      } else return;
      notifyParentStop(k, p, m.code, m.status);
    } else if (m.t === 'reparent') {
      const p = k.processes.get(m.pid);
      if (!p || p.remote || p.exitStatus !== null || m.ppid !== 1) return;
      const old = p.ppid;
      p.ppid = 1;
      p.exitSignal = 17; // SIGCHLD, as forget_original_parent sets it
      // PR_SET_PDEATHSIG: the parent is gone (a child subreaper in another enclave is not looked for: init adopts).
      if (p.pdeathSig) sendToProcess(k, p, { signo: p.pdeathSig, code: 0 /* SI_USER */, pid: old, uid: k.config.uid });
    } else if (m.t === 'uconn') {
      if (!isInt(m.req, 1, 2 ** 52) || !isInt(m.from, 1, 0x7fffffff) || typeof m.path !== 'string' || !isInt(m.type, 1, 5)
        || !isInt(m.c2s, 1, 0x7fffffff) || !isInt(m.s2c, 1, 0x7fffffff) || !isCred(m.cred)) return;
      const name = unhex(m.name);
      if (!name) return;
      const r = remoteConnectIn(k, this, { path: m.path, type: m.type, c2s: m.c2s, s2c: m.s2c, cred: m.cred, name });
      this.send(m.from, { t: 'uconnr', req: m.req, err: r.err, cred: r.cred, name: hexOf(r.name) });
    } else if (m.t === 'uconnr') {
      const name = unhex(m.name);
      if (!isInt(m.req, 1, this.nextReq - 1) || !isInt(m.err, 0, 4095) || !isCred(m.cred) || !name) return;
      this.replies.set(m.req, { err: m.err, cred: m.cred, name });
      this.connq.notify();
    } else if (m.t === 'efd') {
      if (!isInt(m.req, 1, 2 ** 52) || !isInt(m.from, 1, 0x7fffffff) || !isInt(m.id, 1, 2 ** 31)) return;
      const e = this.efds.get(m.id);
      let ret = -E.EBADF, v = 0n;
      if (e) {
        e.subs.add(m.from);
        if (m.op === 'read') {
          const r = e.f.read(8);
          if (typeof r === 'number') ret = r;
          else { ret = 8; v = new DataView(r.buffer, r.byteOffset, 8).getBigUint64(0, true); }
        } else if (m.op === 'write') {
          ret = typeof m.v === 'string' && /^\d{1,20}$/.test(m.v) && BigInt(m.v) <= ULLONG_MAX ? e.f.write(u64(BigInt(m.v))) : -E.EINVAL;
        } else if (m.op === 'peek') {
          ret = 0;
          v = e.f.value;
        } else ret = -E.EINVAL;
      }
      this.send(m.from, { t: 'efdr', req: m.req, ret, v: v.toString() });
    } else if (m.t === 'efdr') {
      if (!isInt(m.req, 1, this.nextReq - 1) || !isInt(m.ret, -4095, 8) || typeof m.v !== 'string' || !/^\d{1,20}$/.test(m.v)) return;
      if (BigInt(m.v) > ULLONG_MAX) return;
      this.rpcReplies.set(m.req, m);
    } else if (m.t === 'fopen') {
      if (!isInt(m.req, 1, 2 ** 52) || !isInt(m.from, 1, 0x7fffffff) || typeof m.path !== 'string' || typeof m.read !== 'boolean' || typeof m.write !== 'boolean') return;
      this.send(m.from, { t: 'fopenr', req: m.req, ret: fifoOpenIn(k, this, m.path, m.read, m.write) });
    } else if (m.t === 'rlim') {
      if (!isInt(m.req, 1, 2 ** 52) || !isInt(m.from, 1, 0x7fffffff) || !isInt(m.res, -0x80000000, 0x7fffffff)) return;
      if ((m.cur === undefined) !== (m.max === undefined) || (m.cur !== undefined && (!isLimit(m.cur) || !isLimit(m.max)))) return;
      const p = k.processes.get(m.pid);
      const r = !p || p.remote || p.exitStatus !== null ? { ret: -E.ESRCH, cur: 0n, max: 0n }
        : prlimitHere(p, m.res, m.cur !== undefined ? { cur: BigInt(m.cur), max: BigInt(m.max!) } : null);
      this.send(m.from, { t: 'rlimr', req: m.req, ret: r.ret, cur: r.cur.toString(), max: r.max.toString() });
    } else if (m.t === 'rlimr') {
      if (!isInt(m.req, 1, this.nextReq - 1) || !isInt(m.ret, -4095, 0) || !isLimit(m.cur) || !isLimit(m.max)) return;
      this.rpcReplies.set(m.req, m);
    } else if (m.t === 'fopened') {
      if (typeof m.path === 'string' && typeof m.read === 'boolean' && typeof m.write === 'boolean') fifoOpenIn(k, this, m.path, m.read, m.write, true);
    } else if (m.t === 'fopenr') {
      if (!isInt(m.req, 1, this.nextReq - 1) || !isInt(m.ret, -4095, 0x7fffffff)) return;
      this.rpcReplies.set(m.req, m);
    } else if (m.t === 'rq' || m.t === 'ev') {
      if (!isInt(m.from, 1, 0x7fffffff) || typeof m.svc !== 'string') return;
      const svc = this.services.get(m.svc);
      if (m.t === 'ev') { svc?.(m.body, m.from, true); return; }
      if (!isInt(m.req, 1, 2 ** 52)) return;
      this.send(m.from, { t: 'rs', req: m.req, body: svc ? svc(m.body, m.from, false) : null });
    } else if (m.t === 'rs') {
      if (!isInt(m.req, 1, this.nextReq - 1)) return;
      this.rpcReplies.set(m.req, m);
    } else if (m.t === 'efdhold' || m.t === 'efdclose') {
      if (!isInt(m.id, 1, 2 ** 31) || !isInt(m.pid, 1, 0x7fffffff)) return;
      const e = this.efds.get(m.id);
      if (m.t === 'efdhold') e?.subs.add(m.pid);
      else e?.subs.delete(m.pid);
    } else if (m.t === 'efdwake') {
      this.efdProxies.get(`${m.owner}:${m.id}`)?.q.notify();
    } else if (m.t === 'rf' || m.t === 'rfr' || m.t === 'rfwake' || m.t === 'rfopen' || m.t === 'rfopenr' || m.t === 'rfpath' || m.t === 'rfhold' || m.t === 'rfclose') {
      this.files.handle(m);
    } else if (m.t === 'vfork') {
      const p = k.processes.get(m.pid);
      if (!p?.remote) return;
      p.vforkWaiter?.();
      p.vforkWaiter = undefined;
    }
  }

  /** Nothing runnable here: wait for the family (or the earliest local deadline). */
  wait(ns: number): void {
    this.fam.waitEvents(this.seen, Math.min(ns, 1e9));
    const now = this.k.platform.monotonicNs();
    if (now - this.probedAt >= 1e9) {
      this.probedAt = now;
      this.lookForLostChildren();
    }
  }

  private probedAt = 0;

  /**
   * A child whose enclave ended without its exit message (its kernel stopped on a host that broke
   * the rules, or the host ended it) would be waited for for ever. Once a second while idle, each
   * live child here is asked after ('alive', ignored by the receiver); when the host knows no such
   * enclave, whatever that enclave sent before it ended is read first, and a child still not
   * exited is reported killed by SIGKILL, as Linux reports a process the OOM killer or an
   * administrator ended. The host can say this of a live child (the child then runs on as an
   * orphan nobody waits for), which it could bring about anyway by ending that enclave.
   */
  private lookForLostChildren(): void {
    const k = this.k;
    for (const p of [...k.processes.values()]) {
      if (!p.remote || p.exitStatus !== null || k.processes.get(p.ppid)?.remote !== false) continue;
      if (this.send(p.pid, { t: 'alive' }) >= 0) continue;
      this.poll();
      if (p.exitStatus !== null) continue;
      k.platform.log(`pid ${p.pid}: its enclave ended without a word (its kernel stopped, or the host ended it): reported as killed by SIGKILL`);
      this.files.gone(p.pid);
      this.pages.gone(p.pid);
      this.efdGone(p.pid);
      k.processExited(p, SIGKILL);
    }
  }
}

export type { Task };
