/**
 * The socket syscalls for AF_UNIX (net/socket.c, net/unix/af_unix.c, net/core/scm.c): socket,
 * socketpair, bind, listen, accept, accept4, connect, getsockname, getpeername, sendto,
 * recvfrom, sendmsg, recvmsg, shutdown, getsockopt, setsockopt. Sockets live in the enclave
 * (fs/unix.ts); other address families are EAFNOSUPPORT (no network yet).
 *
 * struct msghdr (riscv64): name@0 namelen@8 iov@16 iovlen@24 control@32 controllen@40 flags@48 (56 bytes)
 * struct cmsghdr: u64 len@0, i32 level@8, i32 type@12, data@16, CMSG_ALIGN 8
 * struct sockaddr_un: u16 family, char sun_path[108]
 */
import { E, SysError } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import type { OpenFile } from '../fs/file.ts';
import { cwdOf, fsContext, fsOf, rootOf } from '../fs/context.ts';
import { AGAIN, sleepOn, type RetryResult, type WaitQueue } from '../fs/wait.ts';
import { SpecialInode, S_IFSOCK, MAY_WRITE, permitted } from '../fs/inode.ts';
import { O_CLOEXEC, O_NONBLOCK, O_RDWR } from '../fs/vfs.ts';
import {
  AF_UNIX, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM, RemoteConn, UnixNamespace, UnixSocket, type Ucred, type UnixName,
} from '../fs/unix.ts';
import { hexOf, type ConnectReply, type FamilyState } from '../family.ts';
import { SIGPIPE } from '../abi/constants.ts';
import { sendToTask } from '../signals.ts';
import { fileOf, startDir } from './fs-common.ts';
import { iovecs } from './io.ts';
import { lexicalAbsolute } from '../fs/names.ts';

const SOCK_NONBLOCK = O_NONBLOCK, SOCK_CLOEXEC = O_CLOEXEC, SOCK_RAW = 3;
const MSG_OOB = 1, MSG_PEEK = 2, MSG_CTRUNC = 8, MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40, MSG_EOR = 0x80;
const MSG_WAITALL = 0x100, MSG_NOSIGNAL = 0x4000, MSG_CMSG_CLOEXEC = 0x40000000;
const SOL_SOCKET = 1, SCM_RIGHTS = 1, SCM_CREDENTIALS = 2, SCM_MAX_FD = 253;
const SO_TYPE = 3, SO_ERROR = 4, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_PASSCRED = 16, SO_PEERCRED = 17;
const SO_ACCEPTCONN = 30, SO_PROTOCOL = 38, SO_DOMAIN = 39, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33;
const SUN_PATH = 108;
const MAX_RW = 0x7ffff000;

const namespaces = new WeakMap<Kernel, UnixNamespace>();
export function nsOf(k: Kernel): UnixNamespace {
  let n = namespaces.get(k);
  if (!n) namespaces.set(k, (n = new UnixNamespace()));
  return n;
}

function credOf(k: Kernel, t: Task): Ucred {
  return { pid: t.proc.pid, uid: k.config.uid, gid: k.config.gid };
}

function sockOf(t: Task, fd: number): UnixSocket {
  const f = fileOf(t, fd);
  if (!(f instanceof UnixSocket)) throw new SysError(E.ENOTSOCK);
  return f;
}

function newSocket(k: Kernel, t: Task, type: number, flags: number): UnixSocket {
  const mnt = fsOf(k).sockMount;
  const inode = new SpecialInode(mnt.sb, S_IFSOCK | 0o777, 0, k.config.uid, k.config.gid);
  inode.nlink = 1;
  return new UnixSocket(nsOf(k), type, O_RDWR | (flags & O_NONBLOCK), { mnt, inode }, credOf(k, t));
}

/** Parses socket()'s type argument: the type and the SOCK_* flags. */
function parseType(raw: number): { type: number; flags: number } | number {
  if (raw & ~(0xf | SOCK_NONBLOCK | SOCK_CLOEXEC)) return -E.EINVAL;
  let type = raw & 0xf;
  if (type === SOCK_RAW) type = SOCK_DGRAM; // af_unix treats SOCK_RAW as SOCK_DGRAM
  if (type !== SOCK_STREAM && type !== SOCK_DGRAM && type !== SOCK_SEQPACKET) return -E.ESOCKTNOSUPPORT;
  return { type, flags: raw & (SOCK_NONBLOCK | SOCK_CLOEXEC) };
}

type ParsedAddr = { kind: 'auto' } | { kind: 'abstract'; key: string; bytes: Uint8Array } | { kind: 'path'; path: string; bytes: Uint8Array } | { kind: 'unspec' };

/** unix_mkname: a sockaddr_un from user memory. */
function readAddr(t: Task, addr: number, len: number): ParsedAddr {
  if (len < 0 || len > 2 + SUN_PATH) throw new SysError(E.EINVAL);
  if (len < 2) throw new SysError(E.EINVAL);
  const b = t.proc.as.copyIn(addr, len);
  const family = b[0] | (b[1] << 8);
  if (family === 0) return { kind: 'unspec' };
  if (family !== AF_UNIX) throw new SysError(E.EINVAL);
  if (len === 2) return { kind: 'auto' };
  const p = b.subarray(2);
  if (p[0] === 0) return { kind: 'abstract', key: Array.from(p.subarray(1), (x) => x.toString(16).padStart(2, '0')).join(''), bytes: p.slice() };
  const z = p.indexOf(0);
  const raw = z < 0 ? p : p.subarray(0, z);
  const bytes = new Uint8Array(raw.length + 1);
  bytes.set(raw);
  return { kind: 'path', path: new TextDecoder().decode(raw), bytes };
}

/** Writes a sockaddr_un for `bytes` (sun_path part) through (addr, lenp), truncated as Linux does. */
function writeAddr(t: Task, addr: number, lenp: number, bytes: Uint8Array): void {
  if (!addr || !lenp) return;
  const lb = t.proc.as.copyIn(lenp, 4);
  const have = new DataView(lb.buffer, lb.byteOffset).getInt32(0, true);
  if (have < 0) throw new SysError(E.EINVAL);
  const full = new Uint8Array(2 + bytes.length);
  full[0] = AF_UNIX;
  full.set(bytes, 2);
  if (have > 0) t.proc.as.copyOut(addr, full.subarray(0, Math.min(have, full.length)));
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, full.length, true);
  t.proc.as.copyOut(lenp, out);
}

/**
 * The socket bound to a name (connect, sendto) for a socket of `type`: abstract names are per
 * type (a mismatch is not found: ECONNREFUSED); a path socket of another type is EPROTOTYPE.
 */
function lookup(k: Kernel, t: Task, a: ParsedAddr, type: number): UnixSocket {
  const ns = nsOf(k);
  if (a.kind === 'abstract') {
    const s = ns.abstract.get(`${type}:${a.key}`);
    if (!s || s.dead) throw new SysError(E.ECONNREFUSED);
    return s;
  }
  if (a.kind !== 'path') throw new SysError(E.EINVAL);
  const ctx = fsContext(k, t);
  const loc = fsOf(k).vfs.resolve(ctx, startDir(ctx, t, -100, a.path), a.path, true);
  if (loc.inode.type !== S_IFSOCK) throw new SysError(E.ECONNREFUSED);
  if (!permitted(loc.inode, ctx.cred, MAY_WRITE)) throw new SysError(E.EACCES);
  const s = ns.byInode.get(loc.inode);
  if (!s || s.dead) throw new SysError(E.ECONNREFUSED);
  if (s.type !== type) throw new SysError(E.EPROTOTYPE);
  return s;
}

function bind(k: Kernel, t: Task, s: UnixSocket, a: ParsedAddr): number {
  const ns = nsOf(k);
  if (a.kind === 'unspec') return -E.EINVAL;
  if (a.kind === 'auto' || a.kind === 'abstract') {
    if (s.name) return -E.EINVAL;
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    const auto = a.kind === 'auto' ? new TextEncoder().encode(ns.autoName((n) => ns.abstract.has(`${s.type}:${hex(new TextEncoder().encode(n))}`))) : null;
    const key = `${s.type}:${auto ? hex(auto) : (a as { key: string }).key}`;
    if (ns.abstract.has(key)) return -E.EADDRINUSE;
    const bytes = auto ? Uint8Array.from([0, ...auto]) : (a as { bytes: Uint8Array }).bytes;
    s.name = { kind: 'abstract', key, bytes };
    ns.abstract.set(key, s);
    return 0;
  }
  const ctx = fsContext(k, t);
  const vfs = fsOf(k).vfs;
  const start = startDir(ctx, t, -100, a.path);
  try {
    vfs.mknod(ctx, start, a.path, S_IFSOCK | 0o777, 0);
  } catch (e) {
    if (e instanceof SysError && e.errno === E.EEXIST) return -E.EADDRINUSE;
    throw e;
  }
  const loc = vfs.resolve(ctx, start, a.path, false);
  if (s.name) {
    // unix_bind_bsd makes the node first, then finds the socket already bound: EINVAL.
    vfs.unlink(ctx, start, a.path, false);
    return -E.EINVAL;
  }
  let abs: string | undefined;
  try {
    abs = vfs.pathOf(loc, rootOf(k, t.proc)).path;
  } catch { /* not reachable from the root: not published to other enclaves */ }
  const name: UnixName = { kind: 'path', inode: loc.inode, bytes: a.bytes, ...(abs !== undefined ? { abs } : {}) };
  s.name = name;
  ns.byInode.set(loc.inode, s);
  return 0;
}

// ---- connections between the enclaves of a family (process-per-enclave platforms) --------

const te = new TextEncoder();
/** The family-wide name of a listener's path (the platform shows the host only a keyed tag of it). */
const familyName = (abs: string) => te.encode(`unix:${abs}`);

/** Lexically normalised absolute form of `path` from the task's cwd: what a listener in another enclave published. */
export function absolutePath(k: Kernel, t: Task, path: string): string {
  let base = '/';
  if (!path.startsWith('/')) {
    try {
      base = fsOf(k).vfs.pathOf(cwdOf(k, t.proc), rootOf(k, t.proc)).path;
    } catch { /* the root */ }
  }
  return lexicalAbsolute(base, path);
}

/**
 * listen on a path-bound socket of a family: the path is published, so a process in another
 * enclave whose connect finds no such node in its own tmpfs can still reach it (Gramine names
 * its host pipes after the socket's path the same way).
 */
function publishListener(k: Kernel, s: UnixSocket): number {
  const fam = k.family;
  if (!fam || s.name?.kind !== 'path' || s.name.abs === undefined) return 0;
  const abs = s.name.abs, ns = nsOf(k);
  const r = fam.fam.publish(familyName(abs));
  if (r < 0) return r;
  ns.published.set(abs, s);
  fam.sockets.add(s);
  s.onClose = () => {
    fam.sockets.delete(s);
    if (ns.published.get(abs) !== s) return;
    ns.published.delete(abs);
    fam.fam.unpublish(familyName(abs));
  };
  return 0;
}

/** connect to a listener in another enclave: two channels, a sealed request, its answer. */
function connectRemote(k: Kernel, t: Task, s: UnixSocket, path: string) {
  const fam = k.family!;
  const abs = absolutePath(k, t, path);
  const pid = fam.fam.lookup(familyName(abs));
  if (pid < 0 || pid === t.proc.pid) return -E.ENOENT;
  autobindIfPasscred(k, t, s);
  const c2s = fam.fam.channelCreate();
  if (c2s <= 0) return -E.ENOBUFS;
  const s2c = fam.fam.channelCreate();
  if (s2c <= 0) return -E.ENOBUFS;
  fam.fam.channelRefs(c2s, 0, 1);
  fam.fam.channelRefs(s2c, 1, 0);
  const release = () => { fam.fam.channelRefs(c2s, 0, 0); fam.fam.channelRefs(s2c, 0, 0); };
  const req = fam.connect(pid, { from: t.proc.pid, path: abs, type: s.type, c2s, s2c, cred: credOf(k, t), name: hexOf(s.addrBytes()) });
  if (req < 0) { release(); return -E.ECONNREFUSED; }
  // Even a non-blocking connect waits for the answer: it is the operation's latency, not a full backlog.
  const attempt = (): RetryResult => {
    const rep = fam.replies.get(req);
    if (!rep) return AGAIN;
    fam.replies.delete(req);
    if (rep.err) { release(); return -rep.err; }
    if (s.state !== 'unconnected' || s.dead) { release(); return -E.EISCONN; }
    s.state = 'connected';
    s.peerCred = rep.cred;
    s.remote = new RemoteConn(fam.fam, c2s, s2c, rep.name, fam.sockets);
    fam.sockets.add(s);
    s.writeq.notify();
    return 0;
  };
  const r = attempt();
  if (r !== AGAIN) return r;
  return sleepOn(k, t, [fam.connq], attempt);
}

/**
 * The listener's side, in its own enclave (family.ts on a 'uconn' message): the name must be
 * one this kernel published and still serves (the host's lookup is not trusted); the new server
 * end goes on the backlog, connected through the connector's two channels.
 */
export function remoteConnectIn(k: Kernel, fam: FamilyState, m: { path: string; type: number; c2s: number; s2c: number; cred: Ucred; name: Uint8Array }): ConnectReply {
  const ns = nsOf(k);
  const target = ns.published.get(m.path);
  const none = { cred: { pid: 0, uid: 0, gid: 0 }, name: new Uint8Array(0) };
  if (!target || target.dead || target.name?.kind !== 'path') return { err: E.ECONNREFUSED, ...none };
  if (target.name.inode.nlink === 0) return { err: E.ENOENT, ...none };
  if (target.state !== 'listening') return { err: E.ECONNREFUSED, ...none };
  if (target.type !== m.type) return { err: E.EPROTOTYPE, ...none };
  if (target.backlog.length > target.maxBacklog) return { err: E.EAGAIN, ...none };
  const server = new UnixSocket(ns, target.type, target.flags & ~O_NONBLOCK, target.loc!, target.cred);
  server.name = target.name;
  server.state = 'connected';
  server.peerCred = m.cred;
  server.passcred = target.passcred;
  server.remote = new RemoteConn(fam.fam, m.s2c, m.c2s, m.name, fam.sockets);
  fam.sockets.add(server);
  fam.fam.channelRefs(m.c2s, 1, 0);
  fam.fam.channelRefs(m.s2c, 0, 1);
  target.backlog.push(server);
  target.readq.notify();
  return { err: 0, cred: target.cred, name: target.name.bytes };
}

/** Autobind for a datagram socket that sends or connects unnamed (unix_autobind with SO_PASSCRED). */
function autobindIfPasscred(k: Kernel, t: Task, s: UnixSocket): void {
  if (!s.name && s.passcred) bind(k, t, s, { kind: 'auto' });
}

/** Parks on `q` (unless non-blocking) and retries `attempt` until it completes. */
function blocking(k: Kernel, t: Task, nonblock: boolean, q: WaitQueue, attempt: () => RetryResult) {
  const r = attempt();
  if (r !== AGAIN) return r;
  if (nonblock) return -E.EAGAIN;
  return sleepOn(k, t, [q], attempt);
}

// ---- messages --------------------------------------------------------------------------

interface Control { fds: OpenFile[] | null; cred: Ucred | null }

function parseControl(k: Kernel, t: Task, addr: number, len: number): Control {
  const out: Control = { fds: null, cred: null };
  if (!addr || len === 0) return out;
  if (len > 1 << 20) throw new SysError(E.ENOBUFS);
  const b = t.proc.as.copyIn(addr, len);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let o = 0; o + 16 <= len;) {
    const clen = Number(dv.getBigUint64(o, true));
    if (clen < 16 || clen > len - o) throw new SysError(E.EINVAL);
    const level = dv.getInt32(o + 8, true), type = dv.getInt32(o + 12, true);
    if (level !== SOL_SOCKET) throw new SysError(E.EINVAL);
    if (type === SCM_RIGHTS) {
      const n = Math.floor((clen - 16) / 4);
      if ((out.fds?.length ?? 0) + n > SCM_MAX_FD) throw new SysError(E.EINVAL);
      out.fds ??= [];
      for (let i = 0; i < n; i++) {
        const f = t.proc.fds.get(dv.getInt32(o + 16 + 4 * i, true));
        if (!f) throw new SysError(E.EBADF);
        out.fds.push(f);
      }
    } else if (type === SCM_CREDENTIALS) {
      if (clen !== 16 + 12) throw new SysError(E.EINVAL);
      const c = { pid: dv.getInt32(o + 16, true), uid: dv.getUint32(o + 20, true), gid: dv.getUint32(o + 24, true) };
      const me = credOf(k, t);
      // Unprivileged: only one's own pid, uid and gid (scm_check_creds).
      if (c.pid !== me.pid || c.uid !== me.uid || c.gid !== me.gid) throw new SysError(E.EPERM);
      out.cred = c;
    } else {
      throw new SysError(E.EINVAL);
    }
    o += Math.ceil(clen / 8) * 8;
  }
  return out;
}

/** Builds the control data a receiver gets; returns the bytes and MSG_CTRUNC. Installs descriptors. */
function buildControl(t: Task, s: UnixSocket, room: number, fds: OpenFile[] | null, cred: Ucred | null, flags: number): { bytes: Uint8Array; ctrunc: boolean } {
  const parts: Uint8Array[] = [];
  let used = 0, ctrunc = false;
  const cmsg = (type: number, data: Uint8Array): boolean => {
    const len = 16 + data.length, space = Math.ceil(len / 8) * 8;
    if (used + len > room) return false;
    const b = new Uint8Array(Math.min(space, room - used));
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, BigInt(len), true);
    dv.setInt32(8, SOL_SOCKET, true);
    dv.setInt32(12, type, true);
    b.set(data, 16);
    parts.push(b);
    used += b.length;
    return true;
  };
  if (cred && s.passcred) {
    const d = new Uint8Array(12);
    const dv = new DataView(d.buffer);
    dv.setInt32(0, cred.pid, true);
    dv.setUint32(4, cred.uid, true);
    dv.setUint32(8, cred.gid, true);
    if (!cmsg(SCM_CREDENTIALS, d)) ctrunc = true;
  }
  if (fds && fds.length) {
    const fit = Math.max(0, Math.min(fds.length, Math.floor((room - used - 16) / 4)));
    const nums: number[] = [];
    for (let i = 0; i < fit; i++) {
      const fd = t.proc.fds.install(fds[i], (flags & MSG_CMSG_CLOEXEC) !== 0);
      if (fd < 0) { ctrunc = true; break; }
      nums.push(fd);
    }
    if (nums.length < fds.length) ctrunc = true;
    if (nums.length) {
      const d = new Uint8Array(4 * nums.length);
      nums.forEach((n, i) => new DataView(d.buffer).setInt32(4 * i, n, true));
      cmsg(SCM_RIGHTS, d);
    }
    // The message's references go: installed ones are now held by the table.
    for (const f of fds) if (--f.refs <= 0) f.close();
  }
  const bytes = new Uint8Array(used);
  let o = 0;
  for (const p of parts) { bytes.set(p, o); o += p.length; }
  return { bytes, ctrunc };
}

function sendCommon(k: Kernel, t: Task, s: UnixSocket, data: Uint8Array, flags: number, ctl: Control, dest: ParsedAddr | null) {
  if (flags & MSG_OOB) return -E.EOPNOTSUPP;
  const cred = ctl.cred ?? credOf(k, t);
  let to: UnixSocket | null = null;
  if (dest && dest.kind !== 'unspec') {
    if (s.connectionOriented) return s.state === 'connected' ? -E.EISCONN : -E.EOPNOTSUPP;
    to = lookup(k, t, dest, s.type);
  }
  if (!s.connectionOriented) autobindIfPasscred(k, t, s);
  const nonblock = (s.flags & O_NONBLOCK) !== 0 || (flags & MSG_DONTWAIT) !== 0;
  let done = 0;
  let fds = ctl.fds;
  const attempt = (): RetryResult => {
    for (;;) {
      const chunk = done ? data.subarray(done) : data;
      const r = s.send(chunk, fds, cred, to);
      if (r === -E.EPIPE) {
        if (!(flags & MSG_NOSIGNAL)) sendToTask(k, t, { signo: SIGPIPE, code: 0, pid: t.proc.pid, uid: k.config.uid });
        return done || r;
      }
      if (r === -E.EAGAIN) return nonblock ? done || r : AGAIN;
      if (r < 0) return done || r;
      fds = null;
      done += r;
      if (done >= data.length || s.type !== SOCK_STREAM) return s.type === SOCK_STREAM ? done : r;
    }
  };
  const r = attempt();
  if (r !== AGAIN) return r;
  return sleepOn(k, t, [s.writeQueue()], attempt, Infinity, -E.EAGAIN, () => {
    if (done > 0) { k.wake(t, done); return true; }
    return false;
  });
}

interface RecvOut {
  data: Uint8Array;
  full: number;
  fds: OpenFile[] | null;
  cred: Ucred | null;
  from: Uint8Array | null;
}

/** Receives into a closure (`deliver` writes user memory); MSG_WAITALL keeps reading a stream. */
function recvCommon(k: Kernel, t: Task, s: UnixSocket, len: number, flags: number, deliver: (r: RecvOut) => number) {
  if (flags & MSG_OOB) return -E.EOPNOTSUPP;
  const peek = (flags & MSG_PEEK) !== 0;
  const nonblock = (s.flags & O_NONBLOCK) !== 0 || (flags & MSG_DONTWAIT) !== 0;
  const waitall = (flags & MSG_WAITALL) !== 0 && s.type === SOCK_STREAM && !peek && !nonblock;
  const acc: Uint8Array[] = [];
  let got = 0;
  let first: RecvOut | null = null;
  const finish = (): number => {
    const data = new Uint8Array(got);
    let o = 0;
    for (const p of acc) { data.set(p, o); o += p.length; }
    return deliver({ ...(first ?? { fds: null, cred: null, from: null }), data, full: first && s.type !== SOCK_STREAM ? first.full : got });
  };
  const attempt = (): RetryResult => {
    for (;;) {
      const r = s.recv(len - got, peek);
      if (typeof r === 'number') {
        if (r === -E.EAGAIN) {
          if (got > 0 && !waitall) return finish();
          return nonblock ? (got > 0 ? finish() : r) : AGAIN;
        }
        return got > 0 ? finish() : r;
      }
      if (!first) first = r;
      else if (r.fds) for (const f of r.fds) if (--f.refs <= 0) f.close();
      acc.push(r.data);
      got += r.data.length;
      if (r.data.length === 0 || !waitall || got >= len) return finish();
    }
  };
  const r = attempt();
  if (r !== AGAIN) return r;
  return sleepOn(k, t, [s.readQueue()], attempt, Infinity, -E.EAGAIN, () => {
    if (got > 0) { k.wake(t, finish()); return true; }
    return false;
  });
}

function gatherIov(t: Task, vs: { base: number; len: number }[]): Uint8Array {
  let total = 0;
  const parts: Uint8Array[] = [];
  for (const v of vs) {
    if (!v.len) continue;
    const n = Math.min(v.len, MAX_RW - total);
    parts.push(t.proc.as.copyIn(v.base, n));
    total += n;
  }
  const b = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { b.set(p, o); o += p.length; }
  return b;
}

function scatterIov(t: Task, vs: { base: number; len: number }[], d: Uint8Array): void {
  let o = 0;
  for (const v of vs) {
    if (o >= d.length) break;
    const n = Math.min(v.len, d.length - o);
    t.proc.as.copyOut(v.base, d.subarray(o, o + n));
    o += n;
  }
}

function readMsghdr(t: Task, addr: number) {
  const b = t.proc.as.copyIn(addr, 56);
  const dv = new DataView(b.buffer, b.byteOffset, 56);
  const u = (o: number) => Number(dv.getBigUint64(o, true));
  return { name: u(0), namelen: dv.getUint32(8, true), iov: u(16), iovlen: u(24), control: u(32), controllen: u(40) };
}

// ---- registration ------------------------------------------------------------------------

export function registerNet(tab: SyscallTable): void {
  tab.def('socket', 'ddd', (k, t, a) => {
    const domain = a.i32(0), proto = a.i32(2);
    if (domain !== AF_UNIX) return -E.EAFNOSUPPORT;
    const ty = parseType(a.i32(1));
    if (typeof ty === 'number') return ty;
    if (proto !== 0 && proto !== AF_UNIX) return -E.EPROTONOSUPPORT;
    const s = newSocket(k, t, ty.type, ty.flags);
    const fd = t.proc.fds.install(s, (ty.flags & SOCK_CLOEXEC) !== 0);
    if (fd < 0) s.close();
    return fd;
  }, 'partial');

  tab.def('socketpair', 'dddp', (k, t, a) => {
    const domain = a.i32(0), proto = a.i32(2);
    // AF_INET/AF_INET6 exist on Linux but have no socketpair (EOPNOTSUPP); no network here yet.
    if (domain === 2 || domain === 10) return -E.EOPNOTSUPP;
    if (domain !== AF_UNIX) return -E.EAFNOSUPPORT;
    const ty = parseType(a.i32(1));
    if (typeof ty === 'number') return ty;
    if (proto !== 0 && proto !== AF_UNIX) return -E.EPROTONOSUPPORT;
    const mnt = fsOf(k).sockMount;
    const loc = () => {
      const inode = new SpecialInode(mnt.sb, S_IFSOCK | 0o777, 0, k.config.uid, k.config.gid);
      inode.nlink = 1;
      return { mnt, inode };
    };
    const [x, y] = UnixSocket.pair(nsOf(k), ty.type, O_RDWR | (ty.flags & O_NONBLOCK), loc, credOf(k, t));
    const cloexec = (ty.flags & SOCK_CLOEXEC) !== 0;
    const fa = t.proc.fds.install(x, cloexec);
    if (fa < 0) { x.close(); y.close(); return fa; }
    const fb = t.proc.fds.install(y, cloexec);
    if (fb < 0) { t.proc.fds.close(fa); y.close(); return fb; }
    const b = new Uint8Array(8);
    new DataView(b.buffer).setInt32(0, fa, true);
    new DataView(b.buffer).setInt32(4, fb, true);
    try {
      t.proc.as.copyOut(a.u(3), b);
    } catch (e) {
      t.proc.fds.close(fa);
      t.proc.fds.close(fb);
      throw e;
    }
    return 0;
  });

  tab.def('bind', 'fpd', (k, t, a) => {
    const s = sockOf(t, a.i32(0));
    return bind(k, t, s, readAddr(t, a.u(1), a.i32(2)));
  });

  tab.def('listen', 'fd', (k, t, a) => {
    const s = sockOf(t, a.i32(0));
    const was = s.state;
    const r = s.listen(a.i32(1));
    if (r < 0 || was === 'listening') return r;
    const p = publishListener(k, s);
    if (p < 0) s.state = was;
    return p;
  });

  const accept = (k: Kernel, t: Task, fd: number, addr: number, lenp: number, flags: number) => {
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return -E.EINVAL;
    const s = sockOf(t, fd);
    if (!s.connectionOriented) return -E.EOPNOTSUPP;
    if (s.state !== 'listening') return -E.EINVAL;
    if (addr && lenp) {
      const lb = t.proc.as.copyIn(lenp, 4);
      if (new DataView(lb.buffer, lb.byteOffset).getInt32(0, true) < 0) return -E.EINVAL;
    }
    return blocking(k, t, (s.flags & O_NONBLOCK) !== 0, s.readQueue(), () => {
      const c = s.accept();
      if (c === -E.EAGAIN) return AGAIN;
      if (typeof c === 'number') return c;
      c.flags = O_RDWR | (flags & O_NONBLOCK);
      const nfd = t.proc.fds.install(c, (flags & SOCK_CLOEXEC) !== 0);
      if (nfd < 0) { c.close(); return nfd; }
      try {
        writeAddr(t, addr, lenp, c.peerAddr());
      } catch (e) {
        t.proc.fds.close(nfd);
        throw e;
      }
      return nfd;
    });
  };
  tab.def('accept', 'fpp', (k, t, a) => accept(k, t, a.i32(0), a.u(1), a.u(2), 0));
  tab.def('accept4', 'fppx', (k, t, a) => accept(k, t, a.i32(0), a.u(1), a.u(2), a.i32(3)));

  tab.def('connect', 'fpd', (k, t, a) => {
    const s = sockOf(t, a.i32(0));
    const addr = readAddr(t, a.u(1), a.i32(2));
    if (!s.connectionOriented) {
      if (addr.kind === 'unspec') { s.peer = null; s.state = 'unconnected'; return 0; }
      const target = lookup(k, t, addr, s.type);
      autobindIfPasscred(k, t, s);
      s.peer = target;
      s.state = 'connected';
      s.peerCred = target.cred;
      return 0;
    }
    if (addr.kind === 'unspec' || addr.kind === 'auto') return -E.EINVAL;
    if (s.state === 'connected') return -E.EISCONN;
    let target: UnixSocket;
    try {
      target = lookup(k, t, addr, s.type);
    } catch (e) {
      // Not in this enclave's tree: maybe a listener in another enclave of the family.
      if (!(e instanceof SysError) || e.errno !== E.ENOENT || addr.kind !== 'path' || !k.family) throw e;
      return connectRemote(k, t, s, addr.path);
    }
    autobindIfPasscred(k, t, s);
    const me = credOf(k, t);
    return blocking(k, t, (s.flags & O_NONBLOCK) !== 0, target.writeQueue(), () => {
      const r = s.connectTo(target, me);
      return r === -E.EAGAIN ? AGAIN : r;
    });
  });

  tab.def('getsockname', 'fpp', (k, t, a) => {
    const s = sockOf(t, a.i32(0));
    writeAddr(t, a.u(1), a.u(2), s.addrBytes());
    return 0;
  });
  tab.def('getpeername', 'fpp', (k, t, a) => {
    const s = sockOf(t, a.i32(0));
    if (s.state !== 'connected' || (!s.peer && !s.remote)) return -E.ENOTCONN;
    writeAddr(t, a.u(1), a.u(2), s.peerAddr());
    return 0;
  });

  tab.def('sendto', 'fbuxpd', (k, t, a) => {
    const s = sockOf(t, a.i32(0));
    const len = Math.min(a.u(2), MAX_RW);
    const data = len ? t.proc.as.copyIn(a.u(1), len) : new Uint8Array(0);
    // An address length of 0 means no address (msg_namelen == 0), whatever the pointer.
    const dest = a.u(4) && a.i32(5) ? readAddr(t, a.u(4), a.i32(5)) : null;
    return sendCommon(k, t, s, data, a.i32(3), { fds: null, cred: null }, dest);
  });

  tab.def('recvfrom', 'fpuxpp', (k, t, a) => {
    const s = sockOf(t, a.i32(0));
    const buf = a.u(1), len = Math.min(a.u(2), MAX_RW), flags = a.i32(3), addr = a.u(4), lenp = a.u(5);
    return recvCommon(k, t, s, len, flags, (r) => {
      if (r.data.length) t.proc.as.copyOut(buf, r.data);
      // unix_copy_addr: a message from an unbound socket carries no address (length 0).
      if (addr && lenp) {
        if (r.from === null && s.type !== SOCK_STREAM) t.proc.as.copyOut(lenp, new Uint8Array(4));
        else writeAddr(t, addr, lenp, r.from ?? new Uint8Array(0));
      }
      if (r.fds) for (const f of r.fds) if (--f.refs <= 0) f.close();
      return flags & MSG_TRUNC && s.type !== SOCK_STREAM ? r.full : r.data.length;
    });
  });

  tab.def('sendmsg', 'fpx', (k, t, a) => {
    const s = sockOf(t, a.i32(0));
    const m = readMsghdr(t, a.u(1));
    const data = gatherIov(t, iovecs(t, m.iov, m.iovlen));
    const ctl = parseControl(k, t, m.control, m.controllen);
    const dest = m.name && m.namelen ? readAddr(t, m.name, m.namelen) : null;
    return sendCommon(k, t, s, data, a.i32(2), ctl, dest);
  });

  tab.def('recvmsg', 'fpx', (k, t, a) => recvmsgOn(k, t, sockOf(t, a.i32(0)), a.u(1), a.i32(2)));

  tab.def('sendmmsg', 'fpux', (k, t, a) => sendmmsg(k, t, a.i32(0), a.u(1), a.u(2), a.i32(3)));
  tab.def('recvmmsg', 'fpuxp', (k, t, a) => recvmmsg(k, t, a.i32(0), a.u(1), a.u(2), a.i32(3), a.u(4)));

  tab.def('shutdown', 'fd', (k, t, a) => sockOf(t, a.i32(0)).shutdown(a.i32(1)));

  tab.def('getsockopt', 'fddpp', (k, t, a) => {
    const s = sockOf(t, a.i32(0));
    const level = a.i32(1), name = a.i32(2), optval = a.u(3), optlen = a.u(4);
    const lb = t.proc.as.copyIn(optlen, 4);
    const have = new DataView(lb.buffer, lb.byteOffset).getInt32(0, true);
    if (have < 0) return -E.EINVAL;
    if (level !== SOL_SOCKET) return -E.EOPNOTSUPP;
    let val: Uint8Array;
    const int = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, v, true); return b; };
    switch (name) {
      case SO_TYPE: val = int(s.type); break;
      case SO_ERROR: val = int(s.error); s.error = 0; break;
      case SO_SNDBUF: val = int(s.sndbuf); break;
      case SO_RCVBUF: val = int(s.rcvbuf); break;
      case SO_PASSCRED: val = int(s.passcred ? 1 : 0); break;
      case SO_ACCEPTCONN: val = int(s.state === 'listening' ? 1 : 0); break;
      case SO_PROTOCOL: val = int(0); break;
      case SO_DOMAIN: val = int(AF_UNIX); break;
      case SO_PEERCRED: {
        const c = s.peerCred;
        val = new Uint8Array(12);
        const dv = new DataView(val.buffer);
        dv.setInt32(0, c ? c.pid : 0, true);
        dv.setUint32(4, c ? c.uid : 65534, true);
        dv.setUint32(8, c ? c.gid : 65534, true);
        break;
      }
      default: return -E.ENOPROTOOPT;
    }
    const n = Math.min(have, val.length);
    if (n) t.proc.as.copyOut(optval, val.subarray(0, n));
    t.proc.as.copyOut(optlen, int(n));
    return 0;
  }, 'partial');

  tab.def('setsockopt', 'fddpd', (k, t, a) => {
    const s = sockOf(t, a.i32(0));
    const level = a.i32(1), name = a.i32(2), optval = a.u(3), optlen = a.i32(4);
    if (level !== SOL_SOCKET) return -E.EOPNOTSUPP;
    if (optlen < 4) return -E.EINVAL;
    const v = new DataView(t.proc.as.copyIn(optval, 4).buffer).getInt32(0, true);
    switch (name) {
      case SO_PASSCRED: s.passcred = v !== 0; return 0;
      case SO_SNDBUF: case SO_SNDBUFFORCE: s.sndbuf = Math.max(4608, Math.min(Math.max(v, 0), 212992) * 2); return 0;
      case SO_RCVBUF: case SO_RCVBUFFORCE: s.rcvbuf = Math.max(2304, Math.min(Math.max(v, 0), 212992) * 2); return 0;
      case SO_TYPE: case SO_PROTOCOL: case SO_DOMAIN: case SO_ERROR: case SO_PEERCRED: case SO_ACCEPTCONN: return -E.ENOPROTOOPT;
      default: return 0; // SO_REUSEADDR, SO_KEEPALIVE, ...: accepted, no effect on unix sockets
    }
  }, 'partial');
}

/** recvmsg on a socket (also each message of recvmmsg). */
function recvmsgOn(k: Kernel, t: Task, s: UnixSocket, hdr: number, flags: number) {
  const m = readMsghdr(t, hdr);
  const vs = iovecs(t, m.iov, m.iovlen);
  const len = Math.min(vs.reduce((n, v) => n + v.len, 0), MAX_RW);
  return recvCommon(k, t, s, len, flags, (r) => {
    scatterIov(t, vs, r.data);
    let mflags = flags & MSG_CMSG_CLOEXEC;
    if (s.type !== SOCK_STREAM && r.full > r.data.length) mflags |= MSG_TRUNC;
    // No MSG_EOR on a seqpacket record: Linux 6.18's unix_seqpacket_recvmsg leaves it out.
    const ctl = buildControl(t, s, m.control ? m.controllen : 0, r.fds, r.cred, flags);
    if (ctl.ctrunc) mflags |= MSG_CTRUNC;
    if (ctl.bytes.length) t.proc.as.copyOut(m.control, ctl.bytes);
    const out = new Uint8Array(56);
    out.set(t.proc.as.copyIn(hdr, 56));
    const dv = new DataView(out.buffer);
    const from = r.from ?? new Uint8Array(0);
    if (m.name && (r.from !== null || s.type === SOCK_STREAM)) {
      const full = 2 + from.length;
      const nb = new Uint8Array(full);
      nb[0] = AF_UNIX;
      nb.set(from, 2);
      if (m.namelen) t.proc.as.copyOut(m.name, nb.subarray(0, Math.min(m.namelen, full)));
      dv.setUint32(8, s.type === SOCK_STREAM ? 0 : full, true);
    } else dv.setUint32(8, 0, true);
    dv.setBigUint64(40, BigInt(ctl.bytes.length), true);
    dv.setInt32(48, mflags, true);
    t.proc.as.copyOut(hdr, out);
    return flags & MSG_TRUNC && s.type !== SOCK_STREAM ? r.full : r.data.length;
  });
}

// ---- sendmmsg / recvmmsg (net/socket.c __sys_sendmmsg, do_recvmmsg) --------------------

const MMSG_SIZE = 64; // struct mmsghdr: msghdr (56), msg_len, padding
const UIO_MAXIOV = 1024, MSG_WAITFORONE = 0x10000;

function putMsgLen(t: Task, entry: number, n: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  t.proc.as.copyOut(entry + 56, b);
}

const errnoOf = (e: unknown): number => {
  if (e instanceof SysError) return -e.errno;
  throw e;
};

/**
 * Each message is one sendmsg, blocking as sendmsg would (a stream message that only partly
 * fits waits for room for the rest); an error after the first message ends the call with the
 * count sent so far.
 */
function sendmmsg(k: Kernel, t: Task, fd: number, vec: number, vlenArg: number, flags: number) {
  const s = sockOf(t, fd);
  const vlen = Math.min(vlenArg, UIO_MAXIOV);
  const nonblock = (s.flags & O_NONBLOCK) !== 0 || (flags & MSG_DONTWAIT) !== 0;
  let sent = 0;
  let cur: { data: Uint8Array; ctl: Control; dest: ParsedAddr | null; off: number } | null = null;
  const finish = (err: number): number => (sent > 0 ? sent : err);
  const attempt = (): RetryResult => {
    while (sent < vlen) {
      const entry = vec + sent * MMSG_SIZE;
      try {
        if (!cur) {
          const m = readMsghdr(t, entry);
          const data = gatherIov(t, iovecs(t, m.iov, m.iovlen));
          const ctl = parseControl(k, t, m.control, m.controllen);
          const dest = m.name && m.namelen ? readAddr(t, m.name, m.namelen) : null;
          cur = { data, ctl, dest, off: 0 };
        }
        const c = cur;
        const r = sendCommon(k, t, s, c.off ? c.data.subarray(c.off) : c.data, flags | MSG_DONTWAIT,
          c.off ? { fds: null, cred: c.ctl.cred } : c.ctl, c.dest) as number;
        if (r === -E.EAGAIN && c.off === 0) return nonblock ? finish(r) : AGAIN;
        if (r < 0) return finish(r);
        c.off += r;
        if (s.type === SOCK_STREAM && c.off < c.data.length && !nonblock) return AGAIN;
        putMsgLen(t, entry, s.type === SOCK_STREAM ? c.off : r);
        const partial = c.off < c.data.length;
        sent++;
        cur = null;
        if (partial) return sent; // msg_data_left: the rest did not fit
      } catch (e) {
        return finish(errnoOf(e));
      }
    }
    return sent;
  };
  const r = attempt();
  if (r !== AGAIN) return r;
  return sleepOn(k, t, [s.writeQueue()], attempt, Infinity, -E.EAGAIN, () => {
    // A signal: what was sent counts (a stream message part-sent counts as one).
    if (cur && cur.off > 0) {
      try { putMsgLen(t, vec + sent * MMSG_SIZE, cur.off); sent++; } catch { /* as Linux: the count stands */ }
    }
    if (sent > 0) { k.wake(t, sent); return true; }
    return false;
  });
}

/**
 * Each message is one recvmsg. MSG_WAITFORONE makes every message after the first
 * non-blocking. The timeout is Linux's: checked only after a datagram has arrived (it never
 * cuts a wait short), and written back with what is left. An error after the first message
 * ends the call with the count so far and, unless it was EAGAIN, waits in the socket's error
 * for the next call (sk_err).
 */
function recvmmsg(k: Kernel, t: Task, fd: number, vec: number, vlenArg: number, flagsArg: number, timeoutAddr: number) {
  let end = 0;
  if (timeoutAddr) {
    const dv = new DataView(t.proc.as.copyIn(timeoutAddr, 16).buffer);
    const sec = Number(dv.getBigInt64(0, true)), nsec = Number(dv.getBigInt64(8, true));
    if (sec < 0 || nsec < 0 || nsec >= 1e9) return -E.EINVAL;
    // poll_select_set_timeout: a zero timeout is the time 0 (already past after any datagram).
    end = sec === 0 && nsec === 0 ? 0 : k.platform.monotonicNs() + sec * 1e9 + nsec;
  }
  const s = sockOf(t, fd);
  if (s.error) {
    const e = s.error;
    s.error = 0;
    return -e;
  }
  const vlen = Math.min(vlenArg, UIO_MAXIOV);
  let flags = flagsArg & ~MSG_WAITFORONE;
  let got = 0;
  const writeTimeout = () => {
    if (!timeoutAddr) return;
    const left = Math.max(0, end - k.platform.monotonicNs());
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setBigInt64(0, BigInt(Math.floor(left / 1e9)), true);
    dv.setBigInt64(8, BigInt(Math.floor(left % 1e9)), true);
    t.proc.as.copyOut(timeoutAddr, b);
  };
  const done = (err: number): number => {
    if (got === 0) return err;
    if (err !== 0 && err !== -E.EAGAIN) s.error = -err;
    try { writeTimeout(); } catch (e) { return errnoOf(e); }
    return got;
  };
  const attempt = (): RetryResult => {
    while (got < vlen) {
      const entry = vec + got * MMSG_SIZE;
      let r: number;
      try {
        r = recvmsgOn(k, t, s, entry, flags | MSG_DONTWAIT) as number;
        if (r >= 0) putMsgLen(t, entry, r);
      } catch (e) {
        return done(errnoOf(e));
      }
      if (r === -E.EAGAIN) {
        const nonblock = (s.flags & O_NONBLOCK) !== 0 || (flags & MSG_DONTWAIT) !== 0;
        return nonblock ? done(r) : AGAIN;
      }
      if (r < 0) return done(r);
      got++;
      if (flagsArg & MSG_WAITFORONE) flags |= MSG_DONTWAIT;
      if (timeoutAddr && k.platform.monotonicNs() >= end) break;
    }
    return done(0);
  };
  const r = attempt();
  if (r !== AGAIN) return r;
  return sleepOn(k, t, [s.readQueue()], attempt, Infinity, -E.EAGAIN, () => {
    // Interrupted after some datagrams: their count (Linux would also leave -ERESTARTSYS in sk_err).
    if (got > 0) { k.wake(t, done(0)); return true; }
    return false;
  });
}
