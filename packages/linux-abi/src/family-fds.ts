/**
 * Open file descriptions across the enclaves of a family (process-per-enclave platforms:
 * family.ts; docs/sgx-fork.md "What is not shared").
 *
 * Moving a description into another kernel. A fork carries descriptions in its checkpoint
 * (checkpoint.ts); pidfd_getfd of a descriptor of a process in another enclave moves one the same
 * way, on request: the target's enclave exports the description as a fork would for that kind
 * (a pipe end moves onto a host channel, a tmpfs file becomes served by its owner, an eventfd's
 * counter is served, a host-mount file is dup'ed by the host, a stateless device is opened
 * again by path, host stdio is the same host descriptor) and the asker imports it and installs a
 * descriptor. The request and its answer are sealed family messages ('rq'/'rs' of the service
 * below), the answer names the request (its number, and the pid and descriptor asked): a lying
 * host can withhold it (the call fails), never make the asker install another description.
 * The target checks what Linux's pidfd_getfd checks (ptrace access: a non-dumpable process
 * refuses; EBADF for a number it does not have). A pipe end is held by the exporter until the
 * asker says it has taken it ('taken'), so the channel's end counts never pass through zero in
 * between (an early EOF for the reader).
 *
 * Identity across enclaves (kcmp KCMP_FILE). A description that exists in more than one enclave
 * (carried at fork, or moved as above) is one object in each kernel; they share a family-wide
 * identity: minted by the enclave that first carries or names it (its pid, which the family never
 * reuses, and a counter), carried with it in the checkpoint or the move, or, for a served tmpfs
 * file or eventfd another enclave opened, its (owner, id). kcmp orders different descriptions by
 * a hash of their identities, the same in every enclave (consistent and antisymmetric, as Linux's
 * kcmp_ptr order of obfuscated pointers).
 */
import { E, SysError } from './errors.ts';
import type { Kernel } from './kernel.ts';
import type { Task } from './task.ts';
import type { OpenFile } from './fs/file.ts';
import { HostStdioFile } from './fs/host-stdio.ts';
import { HostFile, HostOpenFile } from './fs/hostfs.ts';
import { AnonInode, EventFdFile, Pipe, PipeFile } from './fs/pipe.ts';
import { SpecialInode, S_IFIFO, S_IFSOCK } from './fs/inode.ts';
import { O_CREAT, O_EXCL, O_TRUNC, type Location } from './fs/vfs.ts';
import { fsContext, fsOf, rootOf } from './fs/context.ts';
import { FullFile, NullFile, RandomFile, ZeroFile } from './fs/devfs.ts';
import { RemoteConn, UnixSocket, type Ucred } from './fs/unix.ts';
import { nsOf as unixNsOf } from './syscalls/net.ts';
import { ChannelPipe, RemoteEventFd, hexOf, unhex, type FamilyState } from './family.ts';
import { FamilyFiles, RemoteFile, type CarriedFile } from './family-files.ts';
import { carryMq, mqIdentity, restoreMq, type CarriedMq } from './syscalls/mqueue-family.ts';

export const XFD_SERVICE = 'xfd';

/** A description as it moves to another enclave (the kinds a fork carries). */
type Moved =
  | { kind: 'host'; hostFd: number; flags: number }
  | { kind: 'pipe'; channel: number; flags: number }
  | { kind: 'hostfile'; hostFd: number; flags: number; path: string }
  | { kind: 'dev'; flags: number; path: string }
  | { kind: 'eventfd'; owner: number; id: number; flags: number; sem: number }
  | ({ kind: 'rfile' } & CarriedFile)
  /** A POSIX message queue description (its queue's enclave serves it). */
  | ({ kind: 'mq' } & CarriedMq)
  /** A connected unix socket on its two channels (as a fork carries one). */
  | { kind: 'usock'; type: number; flags: number; out: number; inn: number; peer: string; cred: Ucred; peerCred: Ucred | null; rcvShut: boolean; sndShut: boolean; passcred: boolean };

type Request =
  | { op: 'getfd'; pid: number; fd: number }
  | { op: 'ident'; pid: number; fd: number }
  | { op: 'io'; pid: number };
/** The answer names what was asked (pid, fd) besides the request number family.ts matches. */
type Answer = { pid: number; fd: number; ret: number; file?: Moved; xid?: string; hold?: number; io?: boolean };

const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const isXid = (v: unknown): v is string => typeof v === 'string' && v.length <= 64 && /^[a-z]{0,3}:?\d{1,10}:\d{1,15}$/.test(v);
const isCred = (c: unknown): c is Ucred => typeof c === 'object' && c !== null
  && isInt((c as Ucred).pid, 0, 0x7fffffff) && isInt((c as Ucred).uid, 0, 0xffffffff) && isInt((c as Ucred).gid, 0, 0xffffffff);
const isPath = (v: unknown): v is string => typeof v === 'string' && v.startsWith('/') && v.length <= 4096;

/** What a connected unix socket on channels is carried as (at fork, or moved by pidfd_getfd). */
export type CarriedSocket = { type: number; flags: number; out: number; inn: number; peer: string; cred: Ucred; peerCred: Ucred | null; rcvShut?: boolean; sndShut?: boolean; passcred?: boolean };

/** The socket a carried record describes, on its two channels; null when the record does not check out. */
export function connectedSocketOn(k: Kernel, fam: FamilyState, r: CarriedSocket): UnixSocket | null {
  const peer = unhex(r.peer);
  if (!isInt(r.type, 1, 5) || !isInt(r.flags, 0, 0x7fffffff) || !isInt(r.out, 1, 0x7fffffff) || !isInt(r.inn, 1, 0x7fffffff) || !peer
    || !isCred(r.cred) || (r.peerCred !== null && !isCred(r.peerCred))) return null;
  const ns = fsOf(k);
  const inode = new SpecialInode(ns.sockMount.sb, S_IFSOCK | 0o777, 0, k.config.uid, k.config.gid);
  inode.nlink = 1;
  const sock = new UnixSocket(unixNsOf(k), r.type, r.flags, { mnt: ns.sockMount, inode }, r.cred);
  sock.state = 'connected';
  sock.peerCred = r.peerCred;
  sock.rcvShut = r.rcvShut === true;
  sock.sndShut = r.sndShut === true;
  sock.passcred = r.passcred === true;
  sock.remote = new RemoteConn(fam.fam, r.out, r.inn, peer, fam.sockets);
  fam.sockets.add(sock);
  return sock;
}

/** Family identities, per description (stable once given). */
const identities = new WeakMap<OpenFile, string>();

/** This kernel's side: the service other enclaves ask, identities it gave, descriptions it holds for askers. */
export class FamilyFds {
  private minted = 0;
  /** Descriptions here by identity (to find the one an import names, instead of making a second). */
  private readonly byId = new Map<string, WeakRef<OpenFile>>();
  /** Pipe ends exported and not yet taken, by token. */
  private readonly holds = new Map<string, OpenFile>();
  private nextHold = 1;

  constructor(private readonly k: Kernel, private readonly fs: FamilyState) {
    fs.services.set(XFD_SERVICE, (body, from, oneWay) => {
      if (typeof body !== 'object' || body === null) return null;
      if (oneWay) {
        const n = body as { op?: unknown; hold?: unknown };
        if (n.op === 'taken' && isInt(n.hold, 1, 2 ** 40)) this.release(`${from}:${n.hold}`);
        return null;
      }
      return this.serve(body as Request, from);
    });
  }

  private get self(): number {
    return this.fs.selfPid || this.fs.files.me;
  }

  /** The family-wide identity of `f` (given now if it has none). */
  identity(f: OpenFile): string {
    let id = identities.get(f);
    if (id !== undefined) return id;
    if (f instanceof RemoteFile) id = `rf:${f.owner}:${f.id}`;
    else if (f instanceof RemoteEventFd) id = `efd:${f.owner}:${f.id}`;
    else if ((id = mqIdentity(this.k, f, this.self)) !== undefined) { /* a queue description served across enclaves */ }
    else {
      const served = this.fs.files.servedId(f);
      if (served !== undefined) id = `rf:${this.self}:${served}`;
      else if (f instanceof EventFdFile && f.familyId) id = `efd:${this.self}:${f.familyId}`;
      else id = `${this.self}:${++this.minted}`;
    }
    this.name(f, id);
    return id;
  }

  /** `f` is the description the family knows as `id` (restored from a checkpoint, or imported). */
  name(f: OpenFile, id: string): void {
    identities.set(f, id);
    this.byId.set(id, new WeakRef(f));
    if (this.byId.size > this.sweepAt) {
      // Names of descriptions gone since (every fork names what it carries): dropped now and then.
      for (const [k, r] of this.byId) { const g = r.deref(); if (g !== f && (g?.refs ?? 0) <= 0) this.byId.delete(k); }
      this.sweepAt = Math.max(1024, 2 * this.byId.size);
    }
  }
  private sweepAt = 1024;

  /** The open description here with identity `id`, if any. */
  find(id: string): OpenFile | null {
    const f = this.byId.get(id)?.deref();
    if (f && f.refs > 0 && identities.get(f) === id) return f;
    this.byId.delete(id);
    return null;
  }

  // ---- the target's side ---------------------------------------------------------------------

  private serve(b: Request, from: number): Answer | null {
    if (!isInt(b.pid, 1, 0x7fffffff)) return null;
    const fd = b.op === 'io' ? 0 : b.fd;
    if (!isInt(fd, 0, 0x7fffffff)) return null;
    const p = this.k.processes.get(b.pid);
    const no = (ret: number): Answer => ({ pid: b.pid, fd, ret });
    if (!p || p.remote) return no(-E.ESRCH);
    if (b.op === 'io') {
      // The thread the pid names (kcmp: find_task_by_vpid): its I/O context exists once ioprio_set ran.
      const t = [...p.tasks].find((x) => x.tid === b.pid && x.state !== 'zombie');
      return t ? { ...no(0), io: t.ioprio !== 0 } : no(-E.ESRCH);
    }
    // ptrace_may_access (ATTACH for pidfd_getfd, READ for kcmp): one user here; a non-dumpable process refuses.
    if (p.dumpable !== 1 && this.k.config.uid !== 0) return no(-E.EPERM);
    if (p.exitStatus !== null) return no(-E.EBADF); // its descriptor table is gone (exit_files)
    const f = p.fds.get(fd);
    if (!f) return no(-E.EBADF);
    if (b.op === 'ident') return { ...no(0), xid: this.identity(f) };
    if (b.op !== 'getfd') return null;
    const m = this.export(f, p.pid, from);
    if (typeof m === 'number') return no(m);
    let hold: number | undefined;
    if (f instanceof PipeFile || f instanceof UnixSocket) {
      // Held until the asker has its ends counted at the host (its 'taken' note).
      hold = this.nextHold++;
      f.refs++;
      this.holds.set(`${from}:${hold}`, f);
    }
    return { ...no(0), file: m, xid: this.identity(f), ...(hold !== undefined ? { hold } : {}) };
  }

  private release(key: string): void {
    const f = this.holds.get(key);
    if (!f) return;
    this.holds.delete(key);
    if (--f.refs <= 0) f.close();
  }

  /** The description `f` of process `pid` as it moves to `to`'s enclave (as a fork carries it), or -errno. */
  private export(f: OpenFile, pid: number, to: number): Moved | number {
    const k = this.k, fam = this.fs;
    if (f instanceof HostStdioFile) return { kind: 'host', hostFd: f.hostFd, flags: f.flags };
    if (f instanceof PipeFile) {
      const r = fam.share(f.pipe);
      if (r < 0) return r;
      return { kind: 'pipe', channel: (f.pipe.channel as ChannelPipe).id, flags: f.flags };
    }
    if (f instanceof EventFdFile) return { kind: 'eventfd', owner: pid, id: fam.shareEventFd(f, to), flags: f.flags, sem: f.efdFlags };
    if (f instanceof RemoteEventFd) fam.holdEventFd(f, to);
    if (f instanceof RemoteEventFd) return { kind: 'eventfd', owner: f.owner, id: f.id, flags: f.flags, sem: f.efdFlags };
    const path = (): string | null => {
      const p = k.processes.get(pid);
      if (!f.loc || !p) return null;
      try { return fsOf(k).vfs.pathOf(f.loc, rootOf(k, p)).path; } catch { return null; }
    };
    if (f instanceof HostOpenFile) {
      const where = path();
      if (where === null) return -E.EOPNOTSUPP;
      const hostFd = f.shareWithChild();
      return hostFd < 0 ? -E.EIO : { kind: 'hostfile', hostFd, flags: f.flags, path: where };
    }
    if (f instanceof NullFile || f instanceof ZeroFile || f instanceof FullFile || f instanceof RandomFile) {
      const where = path();
      return where === null ? -E.EOPNOTSUPP : { kind: 'dev', flags: f.flags, path: where };
    }
    if (f instanceof UnixSocket && f.state === 'connected' && (f.remote || f.peer?.peer === f)) {
      // A pair inside this enclave moves onto channels; one on channels gives back what it pulled and nobody read.
      const r = f.remote ? f.pushBack() : f.toChannels(fam.sockets, fam.fam);
      if (r < 0) return r;
      const rc = f.remote!;
      return {
        kind: 'usock', type: f.type, flags: f.flags, out: rc.out, inn: rc.inn, peer: hexOf(rc.peerName),
        cred: f.cred, peerCred: f.peerCred, rcvShut: f.rcvShut, sndShut: f.sndShut, passcred: f.passcred,
      };
    }
    if (f instanceof RemoteFile && f.owner === to) {
      // Back to its owner, which has the description itself: not a new holder of its own file.
      return { kind: 'rfile', owner: f.owner, id: f.id, flags: f.flags, mode: f.loc?.inode.mode ?? 0, key: f.ikey, name: f.describe() };
    }
    const mq = carryMq(k, f, to);
    if (mq) return { kind: 'mq', ...mq };
    const r = fam.files.carry(f, to);
    if (r) return { kind: 'rfile', ...r };
    // Not a kind any kernel can hand to another (sockets not connected, epoll, inotify, pidfds, directories).
    return -E.EOPNOTSUPP;
  }

  // ---- the asker's side ----------------------------------------------------------------------

  /** pidfd_getfd of descriptor `fd` of process `pid` in another enclave: the new descriptor (O_CLOEXEC), or -errno. */
  getfd(t: Task, pid: number, fd: number): number {
    const a = this.ask(pid, { op: 'getfd', pid, fd });
    if (typeof a === 'number') return a;
    if (a.ret < 0) return a.ret;
    if (!a.file || !isXid(a.xid)) return -E.EIO;
    let f: OpenFile | null;
    try {
      f = this.import(t, a.file, a.xid);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      f = null;
    }
    const r = f ? t.proc.fds.install(f, true) : -E.EIO; // receive_fd(file, O_CLOEXEC)
    if (isInt(a.hold, 1, 2 ** 40)) this.fs.note(pid, XFD_SERVICE, { op: 'taken', hold: a.hold });
    return r;
  }

  /** kcmp's view of descriptor `fd` of process `pid` in another enclave: its identity, or -errno. */
  remoteIdentity(pid: number, fd: number): string | number {
    const a = this.ask(pid, { op: 'ident', pid, fd });
    if (typeof a === 'number') return a;
    if (a.ret < 0) return a.ret;
    return isXid(a.xid) ? a.xid : -E.EIO;
  }

  /** Whether the thread `pid` of another enclave has an I/O context (kcmp KCMP_IO), or -errno. */
  remoteIo(pid: number): boolean | number {
    const a = this.ask(pid, { op: 'io', pid });
    if (typeof a === 'number') return a;
    if (a.ret < 0) return a.ret;
    return typeof a.io === 'boolean' ? a.io : -E.EIO;
  }

  /** A sealed request to `pid`'s enclave, its answer checked for shape and for naming what was asked. */
  private ask(pid: number, body: Request): Answer | number {
    const raw = this.fs.serviceRequest(pid, XFD_SERVICE, body);
    // Unsent, or the enclave ended before answering: that process's table is gone.
    if (raw === null || typeof raw !== 'object') return -E.ESRCH;
    const a = raw as Answer;
    const fd = body.op === 'io' ? 0 : body.fd;
    if (a.pid !== body.pid || a.fd !== fd || !isInt(a.ret, -4095, 0)) return -E.EIO;
    return a;
  }

  /** The description a move names, made (or found) in this kernel. Throws SysError when it cannot be. */
  private import(t: Task, m: Moved, xid: string): OpenFile {
    const known = this.find(xid);
    if (known) return known;
    const f = this.make(t, m);
    this.name(f, xid);
    return f;
  }

  private make(t: Task, m: Moved): OpenFile {
    const k = this.k, fam = this.fs, ns = fsOf(k);
    const bad = () => new SysError(E.EIO, 'a moved description that does not check out');
    if (typeof m !== 'object' || m === null || !isInt((m as { flags?: unknown }).flags, 0, 0x7fffffff)) throw bad();
    switch (m.kind) {
      case 'host':
        if (!isInt(m.hostFd, 0, 0x7fffffff)) throw bad();
        return new HostStdioFile(k.platform.host, m.hostFd, m.flags);
      case 'pipe': {
        if (!isInt(m.channel, 1, 0x7fffffff)) throw bad();
        // A channel this enclave already has ends of (carried at fork): the same pipe.
        let pipe = [...fam.pipes].find((p) => p.channel instanceof ChannelPipe && p.channel.id === m.channel);
        let loc: Location | null = null;
        if (pipe) {
          for (const [, e] of t.proc.fds.entries()) if (e.file instanceof PipeFile && e.file.pipe === pipe && e.file.loc) loc = e.file.loc;
        } else {
          pipe = new Pipe();
          pipe.channel = new ChannelPipe(fam.fam, m.channel);
          fam.pipes.add(pipe);
        }
        if (!loc) {
          const inode = new SpecialInode(ns.pipeMount.sb, S_IFIFO | 0o600, 0, k.config.uid, k.config.gid);
          inode.nlink = 1;
          inode.pipe = pipe;
          loc = { mnt: ns.pipeMount, inode };
        }
        return new PipeFile(pipe, m.flags, loc); // tells the host of this enclave's end
      }
      case 'hostfile': {
        if (!isInt(m.hostFd, 0, 0x7fffffff) || !isPath(m.path)) throw bad();
        const ctx = fsContext(k, t);
        const loc = ns.vfs.resolve(ctx, ctx.root, m.path, false);
        if (!(loc.inode instanceof HostFile)) throw new SysError(E.EIO, 'no longer a host file here');
        return new HostOpenFile(m.flags, loc, loc.inode, m.hostFd, true);
      }
      case 'dev': {
        if (!isPath(m.path)) throw bad();
        const ctx = fsContext(k, t);
        const f = ns.vfs.open(ctx, ctx.root, m.path, m.flags & ~(O_CREAT | O_EXCL | O_TRUNC), 0);
        // Only the stateless devices a fork carries this way.
        if (!(f instanceof NullFile || f instanceof ZeroFile || f instanceof FullFile || f instanceof RandomFile)) {
          if (f.refs <= 0) f.close();
          throw bad();
        }
        return f;
      }
      case 'eventfd': {
        if (!isInt(m.owner, 1, 0x7fffffff) || !isInt(m.id, 1, 2 ** 31) || !isInt(m.sem, 0, 1)) throw bad();
        if (m.owner === this.self) {
          const own = fam.servedEventFd(m.id);
          if (!own) throw bad();
          return own;
        }
        return fam.eventFdProxy(m.owner, m.id, m.sem & 1, m.flags, { mnt: ns.anonMount, inode: new AnonInode(ns.anonMount.sb) });
      }
      case 'rfile': {
        if (!isInt(m.owner, 1, 0x7fffffff) || !isInt(m.id, 1, 2 ** 31) || !isInt(m.mode, 0, 0xffff) || typeof m.key !== 'string' || typeof m.name !== 'string') throw bad();
        if (m.owner === this.self) {
          const own = fam.files.servedFile(m.id);
          if (!own) throw bad();
          return own;
        }
        if (!fam.files.me) fam.files.me = t.proc.pid;
        return fam.files.proxy(m);
      }
      case 'mq': {
        const f = restoreMq(k, m, t.proc.pid);
        if (!f) throw bad();
        return f;
      }
      case 'usock': {
        const sock = connectedSocketOn(k, fam, m);
        if (!sock) throw bad();
        sock.remoteRefs();
        return sock;
      }
      default:
        throw bad();
    }
  }
}

/** A 53-bit hash of an identity: the order kcmp gives different descriptions (the same in every enclave). */
function hash(s: string): number {
  let a = 0x811c9dc5, b = 0x9e3779b9;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x85ebca6b) ^ (b >>> 13);
  }
  return (a >>> 0) * 2 ** 21 + ((b >>> 0) & 0x1fffff);
}

/** kcmp_ptr for two identities: 0 the same, 1 or 2 by their order. */
export function compareIdentities(x: string, y: string): number {
  if (x === y) return 0;
  const hx = hash(x), hy = hash(y);
  return (hx !== hy ? hx < hy : x < y) ? 1 : 2;
}
