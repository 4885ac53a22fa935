/**
 * Unix domain sockets (net/unix/af_unix.c), entirely inside the enclave: stream, datagram and
 * seqpacket; socketpair; bind to a path (a socket node in the file system) or an abstract name;
 * listen/accept/connect; messages carry SCM_RIGHTS descriptors and SCM_CREDENTIALS; shutdown;
 * SO_PEERCRED. User memory is the syscall layer's (syscalls/net.ts); here are the objects.
 *
 * On a process-per-enclave platform a connection can reach a listener in another enclave of the
 * family (RemoteConn below; syscalls/net.ts and family.ts set it up).
 *
 * Operations return -EAGAIN when they would block; the syscall layer parks the task on
 * readQueue()/writeQueue() (the sender waits on its own writeQueue, which its peer notifies
 * as it consumes) and retries.
 */
import type { EnclaveFamily } from '@teeos/hal';
import { E } from '../errors.ts';
import {
  OpenFile, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRNORM, type IoctlMemory,
} from './file.ts';
import type { Inode } from './inode.ts';
import type { Location } from './vfs.ts';
import { WaitQueue } from './wait.ts';

export const AF_UNIX = 1;
export const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5;
export const SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2;
/** Bytes a socket's receive queue holds before senders wait (SO_SNDBUF's default, 212992). */
export const DEFAULT_BUF = 212992;
/** net.unix.max_dgram_qlen (default 512): datagrams queued on one socket. */
export const MAX_DGRAM_QLEN = 512;

export interface Ucred { pid: number; uid: number; gid: number }

export interface UnixMsg {
  data: Uint8Array;
  /** Bytes of data already read (stream). */
  off: number;
  /** SCM_RIGHTS: descriptions in flight (each holds one reference). */
  fds: OpenFile[] | null;
  /** The sender's credentials (SCM_CREDENTIALS). */
  cred: Ucred;
  /** The sender's address (datagrams: recvfrom's source), sun_path bytes; null: unnamed. */
  from: Uint8Array | null;
}

/** A name: a path's socket inode or an abstract name (sun_path bytes after the leading NUL). */
export type UnixName = { kind: 'path'; inode: Inode; bytes: Uint8Array; abs?: string } | { kind: 'abstract'; key: string; bytes: Uint8Array };

/** Bytes of one channel record (a seqpacket message larger than this goes as several pieces). */
const PIECE = 1 << 16;

/**
 * The far end of a connection whose peer runs in another enclave of the family: two host
 * channels, one each way, whose records the platform seals (AAD: channel, writer, sequence).
 * Stream bytes go as they are. A seqpacket message goes as pieces, each led by a byte whose
 * bit 0 marks the message's last piece, and is read one record at a time: boundaries are kept.
 * End counts come from the host: peer gone = no writer left on the way in, no reader on the way out.
 */
export class RemoteConn {
  /** Writers of the incoming channel (0: the peer closed or shut down writing: end of file). */
  inWriters = 1;
  /** The incoming channel lost, replayed or altered a record (the platform refused it): recv fails with EIO. */
  broken = false;
  partial: Uint8Array[] = [];
  constructor(readonly fam: EnclaveFamily, readonly out: number, readonly inn: number, readonly peerName: Uint8Array,
    /** The family's set of sockets to wake on its events (family.ts): this socket leaves it on close. */
    readonly watched: Set<UnixSocket>) {}
  /** Readers of the outgoing channel (0: the peer closed or shut down reading: EPIPE). */
  outReaders(): number {
    return this.fam.channelRead(this.out, 0).readers;
  }
}

/** One message as records of a channel: pieces led by a byte whose bit 0 marks the last. Its length or -errno. */
function writeMessage(fam: EnclaveFamily, id: number, data: Uint8Array): number {
  for (let o = 0; ;) {
    const n = Math.min(PIECE, data.length - o);
    const rec = new Uint8Array(1 + n);
    rec[0] = o + n >= data.length ? 1 : 0;
    rec.set(data.subarray(o, o + n), 1);
    const w = fam.channelWrite(id, rec);
    if (w < 0) return w;
    if (w !== rec.length) return -E.EIO;
    o += n;
    if (o >= data.length) return data.length;
  }
}

/**
 * The ends of each channel this enclave holds, per socket: both ends of a socket pair carried
 * across fork can be in one enclave, and the host keeps one count per enclave (their sum).
 */
const held = new WeakMap<EnclaveFamily, Map<number, Map<UnixSocket, [number, number]>>>();
function holdChannel(fam: EnclaveFamily, id: number, s: UnixSocket, readers: number, writers: number): void {
  let m = held.get(fam);
  if (!m) held.set(fam, (m = new Map()));
  let h = m.get(id);
  if (!h) m.set(id, (h = new Map()));
  if (readers || writers) h.set(s, [readers, writers]);
  else h.delete(s);
  let r = 0, w = 0;
  for (const [a, b] of h.values()) { r += a; w += b; }
  if (h.size === 0) m.delete(id);
  fam.channelRefs(id, r, w);
}

/** The abstract namespace and the path bindings, per kernel. */
export class UnixNamespace {
  readonly abstract = new Map<string, UnixSocket>();
  readonly byInode = new WeakMap<Inode, UnixSocket>();
  /** Listeners whose path was published to the other enclaves of the family, by absolute path. */
  readonly published = new Map<string, UnixSocket>();
  private nextAuto = 0;
  /** autobind: a 5-hex-digit abstract name for which `taken` says no. */
  autoName(taken: (name: string) => boolean): string {
    for (let i = 0; i < 0x100000; i++) {
      const name = (this.nextAuto++ & 0xfffff).toString(16).padStart(5, '0');
      if (!taken(name)) return name;
    }
    return '';
  }
}

function release(f: OpenFile): void {
  if (--f.refs <= 0) f.close();
}

export class UnixSocket extends OpenFile {
  state: 'unconnected' | 'listening' | 'connected' = 'unconnected';
  peer: UnixSocket | null = null;
  /** This end is closed (no descriptor refers to it). */
  dead = false;
  readonly queue: UnixMsg[] = [];
  qbytes = 0;
  backlog: UnixSocket[] = [];
  maxBacklog = 0;
  name: UnixName | null = null;
  /** Connected to a socket in another enclave (`peer` is null then). */
  remote: RemoteConn | null = null;
  /** Runs when the socket closes (a published listener withdraws its name). */
  onClose: (() => void) | null = null;
  /** SO_PEERCRED: the peer's credentials when the connection was made. */
  peerCred: Ucred | null = null;
  rcvShut = false;
  sndShut = false;
  passcred = false;
  error = 0;
  sndbuf = DEFAULT_BUF;
  rcvbuf = DEFAULT_BUF;
  readonly readq = new WaitQueue();
  readonly writeq = new WaitQueue();

  constructor(readonly ns: UnixNamespace, readonly type: number, flags: number, loc: Location, readonly cred: Ucred) {
    super(flags);
    this.loc = loc;
  }

  get connectionOriented(): boolean {
    return this.type !== SOCK_DGRAM;
  }

  /** The peer's address bytes (getpeername, accept). */
  peerAddr(): Uint8Array {
    return this.peer?.addrBytes() ?? this.remote?.peerName ?? new Uint8Array(0);
  }

  /** The address bytes getsockname reports (sun_path part; empty: unnamed). */
  addrBytes(): Uint8Array {
    return this.name?.bytes ?? new Uint8Array(0);
  }

  // ---- connection -------------------------------------------------------------------

  listen(backlog: number): number {
    if (!this.connectionOriented) return -E.EOPNOTSUPP;
    if (this.state === 'connected') return -E.EINVAL;
    if (!this.name) return -E.EINVAL;
    this.state = 'listening';
    this.maxBacklog = Math.max(0, Math.min(backlog < 0 ? 4096 : backlog, 4096));
    this.readq.notify();
    return 0;
  }

  /** connect on a stream/seqpacket socket: queues a new server end on the listener. */
  connectTo(target: UnixSocket, myCred: Ucred): number {
    if (this.state === 'connected') return -E.EISCONN;
    if (this.state === 'listening') return -E.EINVAL;
    if (target.type !== this.type) return -E.EPROTOTYPE;
    if (target.state !== 'listening' || target.dead) return -E.ECONNREFUSED;
    if (target.backlog.length > target.maxBacklog) return -E.EAGAIN;
    const server = new UnixSocket(this.ns, this.type, this.flags & ~0o4000, target.loc!, target.cred);
    server.name = target.name;
    server.state = 'connected';
    server.peer = this;
    server.peerCred = myCred;
    server.passcred = target.passcred;
    this.peer = server;
    this.state = 'connected';
    this.peerCred = target.cred;
    target.backlog.push(server);
    target.readq.notify();
    this.writeq.notify();
    return 0;
  }

  accept(): UnixSocket | number {
    if (this.state !== 'listening') return -E.EINVAL;
    const s = this.backlog.shift();
    if (!s) return -E.EAGAIN;
    this.writeq.notify(); // a connect waiting for room in the backlog
    return s;
  }

  /** socketpair: two connected ends. */
  static pair(ns: UnixNamespace, type: number, flags: number, loc: () => Location, cred: Ucred): [UnixSocket, UnixSocket] {
    const a = new UnixSocket(ns, type, flags, loc(), cred), b = new UnixSocket(ns, type, flags, loc(), cred);
    a.peer = b;
    b.peer = a;
    a.state = b.state = 'connected';
    a.peerCred = b.peerCred = cred;
    return [a, b];
  }

  // ---- data -------------------------------------------------------------------------

  /**
   * Sends one message (datagram/seqpacket) or bytes (stream) to `to` (the peer unless given).
   * Returns bytes queued, -EAGAIN when full, or an error; fds and cred go with the first bytes.
   */
  send(data: Uint8Array, fds: OpenFile[] | null, cred: Ucred, to: UnixSocket | null = null): number {
    if (this.sndShut) return -E.EPIPE;
    let target = to;
    if (!target) {
      if (this.remote && this.state === 'connected') return this.sendRemote(data, fds);
      // unix_dgram_sendmsg without an address and without a peer: ENOTCONN too.
      if (this.state !== 'connected' || !this.peer) return this.connectionOriented && this.state === 'listening' ? -E.EINVAL : -E.ENOTCONN;
      target = this.peer;
    } else if (this.connectionOriented) {
      return this.state === 'connected' ? -E.EISCONN : -E.EOPNOTSUPP;
    }
    if (target.dead) return this.connectionOriented ? -E.EPIPE : -E.ECONNREFUSED;
    if (this.connectionOriented && target.rcvShut) return -E.EPIPE;
    if (!this.connectionOriented && target.type !== SOCK_DGRAM) return -E.EPROTOTYPE;
    if (!this.connectionOriented && target.peer && target.peer !== this && target.state === 'connected') return -E.EPERM;
    const room = Math.max(0, this.sndbuf - target.qbytes);
    if (this.type === SOCK_STREAM) {
      if (data.length === 0 && !fds) return 0;
      if (room === 0) return -E.EAGAIN;
      const n = Math.min(room, data.length);
      this.enqueue(target, data.slice(0, n), fds, cred);
      return n;
    }
    // Datagrams and seqpackets are atomic: a message larger than the buffer is EMSGSIZE.
    if (data.length > this.sndbuf) return -E.EMSGSIZE;
    if (data.length > room || (!this.connectionOriented && target.queue.length >= MAX_DGRAM_QLEN)) return -E.EAGAIN;
    this.enqueue(target, data.slice(), fds, cred);
    return data.length;
  }

  /** send to a peer in another enclave: records on the outgoing channel (-EPIPE when it has no reader). */
  private sendRemote(data: Uint8Array, fds: OpenFile[] | null): number {
    const r = this.remote!;
    // Descriptions in flight have no place in a stream's records, which are its bytes as they are
    // (pidfd_getfd moves one on request instead: family-fds.ts; docs/sgx-fork.md).
    if (fds) return -E.EOPNOTSUPP;
    if (this.type === SOCK_STREAM) {
      if (data.length === 0) return 0;
      return r.fam.channelWrite(r.out, data.subarray(0, PIECE));
    }
    if (data.length > this.sndbuf) return -E.EMSGSIZE;
    return writeMessage(r.fam, r.out, data);
  }

  /** Moves what arrived from a peer in another enclave into the receive queue. */
  private pull(): void {
    const r = this.remote;
    if (!r || this.dead || this.rcvShut) return;
    const seqp = this.type !== SOCK_STREAM;
    const cred = this.peerCred ?? { pid: 0, uid: 0, gid: 0 };
    for (let i = 0; i < 1024; i++) {
      const got = r.fam.channelRead(r.inn, seqp ? 1 : PIECE);
      if (got.ret === -E.EIO) r.broken = true;
      if (got.ret < 0) return;
      r.inWriters = got.writers;
      if (got.data.length && !seqp) {
        this.queue.push({ data: got.data, off: 0, fds: null, cred, from: null });
        this.qbytes += got.data.length;
      } else if (got.data.length) {
        r.partial.push(got.data.subarray(1));
        if (got.data[0] & 1) {
          const len = r.partial.reduce((n, p) => n + p.length, 0);
          const msg = new Uint8Array(len);
          let o = 0;
          for (const p of r.partial) { msg.set(p, o); o += p.length; }
          r.partial = [];
          this.queue.push({ data: msg, off: 0, fds: null, cred, from: null });
          this.qbytes += msg.length;
        }
      }
      if (got.queued === 0) return;
    }
  }

  /** Tells the host which ends of the two channels this socket still holds. */
  remoteRefs(): void {
    const r = this.remote!;
    holdChannel(r.fam, r.inn, this, this.dead || this.rcvShut ? 0 : 1, 0);
    holdChannel(r.fam, r.out, this, 0, this.dead || this.sndShut ? 0 : 1);
  }

  /**
   * At fork (checkpoint.ts): this socket and its peer, connected inside this enclave (a
   * socketpair, or both ends of a connection), move onto two host channels, one each way, as a
   * connection across enclaves is made: what each end had queued goes first into the channel it
   * reads, a message as one record (boundaries kept). 0, or -errno when it cannot be carried
   * (a queued message carries descriptors, which cannot go to another kernel).
   */
  toChannels(watched: Set<UnixSocket>, fam: EnclaveFamily): number {
    const p = this.peer;
    if (this.remote || this.state !== 'connected' || !p || p.peer !== this || p.remote) return -E.EINVAL;
    if (this.queue.some((m) => m.fds) || p.queue.some((m) => m.fds)) return -E.EOPNOTSUPP;
    const mine = fam.channelCreate(), theirs = fam.channelCreate();
    if (mine <= 0 || theirs <= 0) return -E.ENOBUFS;
    this.remote = new RemoteConn(fam, mine, theirs, p.addrBytes(), watched);
    p.remote = new RemoteConn(fam, theirs, mine, this.addrBytes(), watched);
    // The ends first: the host refuses records for a channel nobody reads.
    this.remoteRefs();
    p.remoteRefs();
    for (const x of [this, p]) {
      const inn = x.remote!.inn;
      for (const m of x.queue) {
        const d = m.data.subarray(m.off);
        if (x.type === SOCK_STREAM) {
          for (let o = 0; o < d.length;) {
            const w = fam.channelWrite(inn, d.subarray(o, o + PIECE));
            if (w <= 0) return w < 0 ? w : -E.EIO;
            o += w;
          }
        } else {
          const w = writeMessage(fam, inn, d);
          if (w < 0) return w;
        }
      }
      x.queue.length = 0;
      x.qbytes = 0;
    }
    this.peer = null;
    p.peer = null;
    watched.add(this);
    watched.add(p);
    return 0;
  }

  /**
   * At fork, for a socket already on channels: what this enclave pulled but nobody read goes
   * back in front of the incoming channel, so the new enclave can read it too (as a pipe's bytes do).
   */
  pushBack(): number {
    const r = this.remote;
    if (!r) return 0;
    const stream = this.type === SOCK_STREAM;
    const recs: Uint8Array[] = [];
    for (const m of this.queue) {
      const d = m.data.subarray(m.off);
      if (stream) { if (d.length) recs.push(d); continue; }
      const rec = new Uint8Array(1 + d.length);
      rec[0] = 1;
      rec.set(d, 1);
      recs.push(rec);
    }
    for (const piece of r.partial) {
      const rec = new Uint8Array(1 + piece.length);
      rec.set(piece, 1);
      recs.push(rec);
    }
    for (let i = recs.length - 1; i >= 0; i--) {
      const u = r.fam.channelUnread(r.inn, recs[i]!);
      if (u < 0) return u;
    }
    this.queue.length = 0;
    this.qbytes = 0;
    r.partial = [];
    return 0;
  }

  private enqueue(target: UnixSocket, data: Uint8Array, fds: OpenFile[] | null, cred: Ucred): void {
    if (fds) for (const f of fds) f.refs++;
    target.queue.push({ data, off: 0, fds, cred, from: this.name ? this.name.bytes : null });
    target.qbytes += data.length;
    target.readq.notify();
  }

  /** True when a read finds end of file (no data will come). */
  private atEof(): boolean {
    if (this.rcvShut) return true;
    if (!this.connectionOriented) return false;
    if (this.remote) return this.state === 'connected' && this.remote.inWriters === 0 && this.remote.partial.length === 0;
    return this.state === 'connected' && (!this.peer || this.peer.dead || this.peer.sndShut);
  }

  /**
   * Receives: stream reads bytes across messages (not past a message carrying descriptors once
   * some bytes were read); datagram/seqpacket read one message (truncated to len).
   */
  recv(len: number, peek: boolean): { data: Uint8Array; full: number; fds: OpenFile[] | null; cred: Ucred | null; from: Uint8Array | null } | number {
    if (this.state === 'listening') return -E.EINVAL;
    if (this.queue.length === 0) this.pull();
    if (this.queue.length === 0) {
      if (this.remote?.broken) return -E.EIO;
      if (this.atEof()) return { data: new Uint8Array(0), full: 0, fds: null, cred: null, from: null };
      if (this.connectionOriented && this.state !== 'connected') return this.type === SOCK_STREAM ? -E.EINVAL : -E.ENOTCONN;
      return -E.EAGAIN;
    }
    if (this.type !== SOCK_STREAM) {
      const m = this.queue[0];
      const data = m.data.slice(0, Math.min(len, m.data.length));
      const out = { data, full: m.data.length, fds: m.fds, cred: m.cred, from: m.from };
      if (!peek) {
        this.queue.shift();
        this.qbytes -= m.data.length;
        this.consumed();
      } else if (m.fds) {
        // A peek hands out new references; the message keeps its own.
        for (const f of m.fds) f.refs++;
      }
      return out;
    }
    const parts: Uint8Array[] = [];
    let got = 0;
    let fds: OpenFile[] | null = null;
    let cred: Ucred | null = null;
    let i = 0;
    while (got < len && i < this.queue.length) {
      const m = this.queue[i];
      if (got > 0 && (m.fds || (cred && (m.cred.pid !== cred.pid || m.cred.uid !== cred.uid || m.cred.gid !== cred.gid)))) break;
      if (got === 0) cred = m.cred;
      if (m.fds) {
        fds = m.fds;
        if (peek) for (const f of m.fds) f.refs++;
        else m.fds = null;
      }
      const avail = m.data.length - m.off;
      const n = Math.min(avail, len - got);
      parts.push(m.data.subarray(m.off, m.off + n));
      got += n;
      if (!peek) {
        m.off += n;
        if (m.off === m.data.length) {
          this.queue.shift();
          continue;
        }
      } else if (n === avail) {
        i++;
        continue;
      }
      break;
    }
    const data = new Uint8Array(got);
    let o = 0;
    for (const p of parts) { data.set(p, o); o += p.length; }
    if (!peek) {
      this.qbytes -= got;
      this.consumed();
    }
    return { data, full: got, fds, cred, from: null };
  }

  /** Room appeared in this socket's queue: senders waiting on it may go on. */
  private consumed(): void {
    if (this.peer) this.peer.writeq.notify();
    this.writeq.notify();
  }

  shutdown(how: number): number {
    if (how < SHUT_RD || how > SHUT_RDWR) return -E.EINVAL;
    if (this.connectionOriented && this.state !== 'connected') return -E.ENOTCONN;
    const rd = how !== SHUT_WR, wr = how !== SHUT_RD;
    if (rd) this.rcvShut = true;
    if (wr) this.sndShut = true;
    if (this.remote) this.remoteRefs();
    const p = this.peer;
    if (p && this.connectionOriented) {
      if (rd) p.sndShut = true;
      if (wr) p.rcvShut = true;
      p.readq.notify();
      p.writeq.notify();
    }
    this.readq.notify();
    this.writeq.notify();
    return 0;
  }

  // ---- file -------------------------------------------------------------------------

  override read(len: number): Uint8Array | number {
    const r = this.recv(len, false);
    if (typeof r === 'number') return r;
    if (r.fds) for (const f of r.fds) release(f); // read(2) drops descriptors, as Linux does
    return r.data;
  }
  override write(data: Uint8Array): number {
    return this.send(data, null, this.cred);
  }
  override poll(): number {
    let m = 0;
    if (this.state === 'listening') return this.backlog.length ? POLLIN | POLLRDNORM : 0;
    if (this.remote) {
      this.pull();
      const r = this.remote, readers = r.outReaders();
      if (this.queue.length) m |= POLLIN | POLLRDNORM;
      if (this.rcvShut || r.inWriters === 0) m |= POLLIN | POLLRDNORM | POLLRDHUP;
      if ((this.rcvShut && this.sndShut) || (r.inWriters === 0 && readers === 0)) m |= POLLHUP;
      if (!this.sndShut && readers > 0) m |= POLLOUT | POLLWRNORM;
      if (this.error) m |= POLLERR;
      if (r.broken) m |= POLLIN | POLLRDNORM | POLLERR;
      return m;
    }
    if (this.queue.length) m |= POLLIN | POLLRDNORM;
    if (this.rcvShut) m |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (this.connectionOriented) {
      const p = this.peer;
      if (this.state === 'connected' && (!p || p.dead)) m |= POLLHUP | POLLIN | POLLRDNORM;
      if (this.rcvShut && this.sndShut) m |= POLLHUP;
      if (this.state === 'connected' && p && !p.dead && !this.sndShut && p.qbytes < this.sndbuf) m |= POLLOUT | POLLWRNORM;
      if (this.state === 'unconnected') m |= POLLOUT | POLLWRNORM | POLLHUP;
    } else {
      const p = this.peer;
      if (!p || (!p.dead && p.qbytes < this.sndbuf && p.queue.length < MAX_DGRAM_QLEN)) m |= POLLOUT | POLLWRNORM;
    }
    if (this.error) m |= POLLERR;
    return m;
  }
  override readQueue(): WaitQueue {
    return this.readq;
  }
  override writeQueue(): WaitQueue {
    return this.writeq;
  }
  override readable(): number {
    if (this.state === 'listening') return -E.EINVAL;
    this.pull();
    if (this.type === SOCK_STREAM) return this.qbytes;
    return this.queue.length ? this.queue[0].data.length : 0;
  }
  override ioctl(cmd: number, arg: number, io: IoctlMemory): number {
    const FIONREAD = 0x541b, SIOCOUTQ = 0x5411;
    if (cmd === FIONREAD || cmd === SIOCOUTQ) {
      const v = cmd === FIONREAD ? this.readable() : (this.peer?.qbytes ?? 0);
      if (v < 0) return v;
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, v, true);
      io.copyOut(arg, b);
      return 0;
    }
    return -E.ENOTTY;
  }
  override lseek(): number {
    return -E.ESPIPE;
  }
  override close(): void {
    if (this.dead) return;
    this.dead = true;
    if (this.remote) {
      this.remoteRefs();
      this.remote.watched.delete(this);
    }
    this.onClose?.();
    for (const m of this.queue) if (m.fds) for (const f of m.fds) release(f);
    this.queue.length = 0;
    this.qbytes = 0;
    for (const s of this.backlog) {
      s.close();
      if (s.peer) { s.peer.error = E.ECONNRESET; s.peer.readq.notify(); s.peer.writeq.notify(); }
    }
    this.backlog = [];
    if (this.name?.kind === 'abstract' && this.ns.abstract.get(this.name.key) === this) this.ns.abstract.delete(this.name.key);
    if (this.name?.kind === 'path' && this.ns.byInode.get(this.name.inode) === this) this.ns.byInode.delete(this.name.inode);
    const p = this.peer;
    if (p) {
      p.readq.notify();
      p.writeq.notify();
      if (!this.connectionOriented && p.peer === this) { /* a datagram peer keeps its connection (ECONNREFUSED on send) */ }
    }
  }
  describe(): string {
    return `socket:[${this.loc?.inode.ino ?? 0}]`;
  }
}
