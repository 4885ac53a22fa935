/**
 * fork on the SGX model as Gramine does it (pal/src/host/linux-sgx: a child enclave started by
 * the untrusted host from the same measured image, then the parent's checkpoint sent through
 * the host; the two enclaves agree on a key by local attestation). The HAL's EnclaveFamily.
 *
 * The handshake (both enclaves have the same MRENCLAVE, so each can EREPORT to the other without
 * asking for its TARGETINFO: the TARGETINFO is its own):
 *   parent: ephemeral X25519 key a; REPORT_P = EREPORT(self, SHA-256("teeos-fork-parent" || pid || A))
 *   host:   builds the child enclave (ECREATE..EINIT, MRENCLAVE checked) and EENTERs it with (A, REPORT_P)
 *   child:  checks REPORT_P with EGETKEY(REPORT) (the MAC proves an enclave on this platform made
 *           it for this MRENCLAVE), that its MRENCLAVE and ATTRIBUTES equal its own, and the binding
 *           of A; ephemeral b; REPORT_C over SHA-256("teeos-fork-child" || pid || B || A)
 *   parent: checks REPORT_C the same way; both: K = HKDF-SHA-256(X25519(a, B), salt A || B,
 *           "teeos-fork-v1" || pid)
 *   parent: AES-256-GCM(K, nonce, AAD "teeos-ckpt" || pid) over family key || checkpoint, in pieces
 *           through the host; the child opens it (a flipped bit or a checkpoint meant for another
 *           child fails the tag: the child stops without running anything, and the parent's fork
 *           fails) and answers with a sealed ack that the parent checks before returning the pid.
 * Fresh ephemeral keys per fork make a replayed checkpoint useless: it was sealed under another K.
 *
 * After fork: every message and pipe record between the family's enclaves is AES-256-GCM under
 * keys derived from the family key (made by the first enclave, carried in each checkpoint),
 * with (sender pid, sequence number) in the AAD; a receiver drops what fails the tag, what is
 * addressed to another pid, and any sequence number it has already seen from that sender
 * (replay). A channel record's sequence is its writer's count on that channel: the reader
 * refuses any record but the next one (a hole, a replay, a reordering) and the channel is broken
 * (EIO), except that while other enclaves may read the channel too (co-readers, learned at fork
 * and from 'rclosed' notes) only the order is checked (docs/sgx-fork.md, channel integrity). The host routes by pid and keeps the channels: it can delay, drop or reorder them,
 * and lie about how many ends a channel has (an early EOF or EPIPE): denial of service, which
 * no TEE prevents. It sees sizes and timing, never contents.
 */
import type { EnclaveFamily } from '@teeos/hal';
import { gcm } from '@noble/ciphers/aes.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { SgxMachine } from '../machine/machine.ts';
import {
  OCALL_SPAWN, OCALL_SPAWN_DATA, OCALL_SPAWN_SEND, OCALL_FORK_HELLO, OCALL_FORK_READ, OCALL_FORK_ACK, OCALL_FORK_WAIT, OCALL_PID,
  OCALL_IPC_SEND, OCALL_IPC_RECV, OCALL_CHAN, CHAN_CREATE, CHAN_WRITE, CHAN_READ, CHAN_REFS, CHAN_UNREAD, MS_FS_INPUT,
  OCALL_NAME, NAME_PUBLISH, NAME_UNPUBLISH, NAME_LOOKUP,
} from '../machine/protocol.ts';
import {
  encodeKeyRequest, SGX_KEYSELECT_REPORT, SGX_REPORT_SIZE, SGX_REPORT_BODY_SIZE, SGX_TARGETINFO_SIZE,
  REPORT_BODY_MRENCLAVE_OFFSET, REPORT_BODY_ATTRIBUTES_OFFSET, REPORT_BODY_REPORTDATA_OFFSET, REPORT_KEYID_OFFSET, REPORT_MAC_OFFSET,
  TARGETINFO_MRENCLAVE_OFFSET, TARGETINFO_ATTRIBUTES_OFFSET, TARGETINFO_MISCSELECT_OFFSET, REPORT_BODY_MISCSELECT_OFFSET,
} from '../report.ts';
import { aesCmac } from '../cmac.ts';

/**
 * X25519 public key by the Montgomery ladder over the base point u = 9 (RFC 7748 section 6.1).
 * x25519.getPublicKey gives the same key through ed25519's fixed-base tables, which a fresh
 * enclave builds on first use (~100 ms of its fork); an enclave makes one key per fork.
 */
export function x25519PublicKey(priv: Uint8Array): Uint8Array {
  return x25519.scalarMult(priv, x25519.GuBytes);
}

/** What the family needs of the OCALL channel (platform.ts OcallChannel.raw). */
export interface RawOcall {
  raw(index: number, arg0: number, input: Uint8Array, maxOut: number, ints?: number[], inputAt?: number): { ret: number; out: Uint8Array | null; out0: number; out1: number };
  readonly maxPayload: number;
}

const te = new TextEncoder();
const EAGAIN = 11, EIO = 5, EPROTO = 71, ENOENT = 2;
const PUB = 32, HELLO = PUB + SGX_REPORT_SIZE;
/** Message header (AAD): from u32, to u32, seq u64; then a 12-byte nonce; then ciphertext + tag. */
const HDR = 16, NONCE = 12, TAG = 16;
/** A family message this layer sends itself (about channel readers) leads with this byte; the kernel's are JSON ('{'). */
const PLATFORM_MSG = 1;
/** Pushed-back records: the writer field has this bit; the sequence is (push-back epoch << 32) | count in it. */
const UNREAD_BIT = 0x80000000;

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
const u32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return b; };
function eq(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** Messages between the family layers of two enclaves about the readers of a channel. */
type PlatformMessage =
  | { t: 'rclosed'; chan: number; last: [string, string][] }
  | { t: 'rjoined'; chan: number; pid: number };

export class SgxFamily implements EnclaveFamily {
  restored: Uint8Array | null = null;
  /** The process this enclave runs (1 for the first enclave; the child's pid after a fork). */
  pid = 1;
  private familyKey: Uint8Array;
  private seq = 0n;
  private readonly lastSeq = new Map<string, bigint>();
  private readonly self: Uint8Array;

  constructor(private readonly m: SgxMachine, private readonly host: RawOcall, private readonly log: (s: string) => void) {
    this.familyKey = this.random(32);
    // sgx_self_report: our own REPORT body gives the TARGETINFO fields of every family member.
    this.self = m.ereport(new Uint8Array(SGX_TARGETINFO_SIZE), new Uint8Array(64)).slice(0, SGX_REPORT_BODY_SIZE);
  }

  private random(n: number): Uint8Array {
    const b = new Uint8Array(n);
    this.m.rdrand(b);
    return b;
  }

  private targetInfo(): Uint8Array {
    const t = new Uint8Array(SGX_TARGETINFO_SIZE);
    t.set(this.self.subarray(REPORT_BODY_MRENCLAVE_OFFSET, REPORT_BODY_MRENCLAVE_OFFSET + 32), TARGETINFO_MRENCLAVE_OFFSET);
    t.set(this.self.subarray(REPORT_BODY_ATTRIBUTES_OFFSET, REPORT_BODY_ATTRIBUTES_OFFSET + 16), TARGETINFO_ATTRIBUTES_OFFSET);
    t.set(this.self.subarray(REPORT_BODY_MISCSELECT_OFFSET, REPORT_BODY_MISCSELECT_OFFSET + 4), TARGETINFO_MISCSELECT_OFFSET);
    return t;
  }

  private bind(role: string, pid: number, ...keys: Uint8Array[]): Uint8Array {
    const d = new Uint8Array(64);
    d.set(sha256(cat(te.encode(`teeos-fork-${role}`), u32(pid), ...keys)));
    return d;
  }

  /** A REPORT made for us: MAC (EGETKEY(REPORT) with its KEYID), same MRENCLAVE and ATTRIBUTES, the expected REPORTDATA. */
  private checkReport(r: Uint8Array, data: Uint8Array): string | null {
    if (r.length !== SGX_REPORT_SIZE) return 'a REPORT of the wrong size';
    const req = encodeKeyRequest({
      keyname: SGX_KEYSELECT_REPORT, keypolicy: 0, isvsvn: 0, cpusvn: new Uint8Array(16), attributemask: { flags: 0n, xfrm: 0n },
      keyid: r.slice(REPORT_KEYID_OFFSET, REPORT_KEYID_OFFSET + 32), miscmask: 0, configsvn: 0,
    });
    const k = this.m.egetkey(req);
    if (k.status !== 0) return 'EGETKEY(REPORT) failed';
    if (!eq(aesCmac(k.key, r.subarray(0, SGX_REPORT_BODY_SIZE)), r.subarray(REPORT_MAC_OFFSET, REPORT_MAC_OFFSET + 16))) return 'the REPORT MAC is wrong';
    const field = (b: Uint8Array, o: number, n: number) => b.subarray(o, o + n);
    if (!eq(field(r, REPORT_BODY_MRENCLAVE_OFFSET, 32), field(this.self, REPORT_BODY_MRENCLAVE_OFFSET, 32))) return 'another MRENCLAVE';
    if (!eq(field(r, REPORT_BODY_ATTRIBUTES_OFFSET, 16), field(this.self, REPORT_BODY_ATTRIBUTES_OFFSET, 16))) return 'other ATTRIBUTES';
    if (!eq(field(r, REPORT_BODY_REPORTDATA_OFFSET, 64), data)) return 'REPORTDATA does not bind the key';
    return null;
  }

  private sessionKey(priv: Uint8Array, peerPub: Uint8Array, a: Uint8Array, b: Uint8Array, pid: number): Uint8Array {
    return hkdf(sha256, x25519.getSharedSecret(priv, peerPub), cat(a, b), cat(te.encode('teeos-fork-v1'), u32(pid)), 32);
  }

  private get room(): number {
    return this.host.maxPayload - MS_FS_INPUT - 64;
  }
  /** What a read asks for: a whole record of `room` bytes plus its 4-byte length must fit. */
  private get readRoom(): number {
    return this.host.maxPayload;
  }

  spawn(pid: number, checkpoint: Uint8Array): number {
    const priv = this.random(32);
    const pubA = x25519PublicKey(priv);
    const hello = cat(pubA, this.m.ereport(this.targetInfo(), this.bind('parent', pid, pubA)));
    const r1 = this.host.raw(OCALL_SPAWN, pid, hello, HELLO);
    if (r1.ret < 0) return r1.ret;
    const abort = (why: string) => {
      this.log(`fork: refusing the new enclave for pid ${pid}: ${why}`);
      this.host.raw(OCALL_SPAWN_SEND, pid, new Uint8Array(0), 0); // no checkpoint: the host tears it down
      return -EPROTO;
    };
    if (!r1.out || r1.out.length !== HELLO) return abort('a malformed hello');
    const pubB = r1.out.slice(0, PUB);
    const bad = this.checkReport(r1.out.slice(PUB), this.bind('child', pid, pubB, pubA));
    if (bad) return abort(bad);
    const key = this.sessionKey(priv, pubB, pubA, pubB, pid);
    const nonce = this.random(NONCE);
    const sealed = cat(nonce, this.aeadSeal(key, nonce, cat(te.encode('teeos-ckpt'), u32(pid)), cat(this.familyKey, this.channelState(pid), checkpoint)));
    for (let o = 0; o < sealed.length; o += this.room) {
      const r = this.host.raw(OCALL_SPAWN_DATA, pid, sealed.subarray(o, Math.min(sealed.length, o + this.room)), 0);
      if (r.ret < 0) return r.ret;
    }
    const r3 = this.host.raw(OCALL_SPAWN_SEND, pid, new Uint8Array(0), 64);
    if (r3.ret < 0 || !r3.out) {
      this.log(`fork: the new enclave for pid ${pid} did not accept the checkpoint`);
      return r3.ret < 0 ? -EAGAIN : -EIO;
    }
    try {
      const ack = this.aeadOpen(key, r3.out.subarray(0, NONCE), cat(te.encode('teeos-ack'), u32(pid)), r3.out.subarray(NONCE));
      if (!eq(ack, te.encode('resumed'))) throw new Error('ack');
    } catch {
      this.log(`fork: the ack of pid ${pid} failed authentication`);
      return -EIO;
    }
    return 0;
  }

  /**
   * The child's half (before its kernel exists): check the parent, answer, open the checkpoint.
   * Throws (the runtime stops the enclave) when anything fails: nothing of it runs.
   */
  acceptFork(pid: number, hello: Uint8Array, ephemeral?: { priv: Uint8Array; pub: Uint8Array }): void {
    if (hello.length !== HELLO) throw new Error('fork: a malformed hello from the parent');
    const pubA = hello.slice(0, PUB);
    const bad = this.checkReport(hello.slice(PUB), this.bind('parent', pid, pubA));
    if (bad) throw new Error(`fork: the parent's REPORT: ${bad}`);
    const priv = ephemeral?.priv ?? this.random(32);
    const pubB = ephemeral?.pub ?? x25519PublicKey(priv);
    const mine = cat(pubB, this.m.ereport(this.targetInfo(), this.bind('child', pid, pubB, pubA)));
    const total = this.host.raw(OCALL_FORK_HELLO, pid, mine, 0).ret;
    if (total < NONCE + TAG + 32) throw new Error('fork: no checkpoint came');
    const sealed = new Uint8Array(total);
    for (let o = 0; o < total;) {
      const r = this.host.raw(OCALL_FORK_READ, o, new Uint8Array(0), Math.min(this.readRoom, total - o));
      if (r.ret < 0 || !r.out || r.out.length === 0) throw new Error('fork: the checkpoint stopped short');
      sealed.set(r.out, o);
      o += r.out.length;
    }
    const key = this.sessionKey(priv, pubA, pubA, pubB, pid);
    let plain: Uint8Array;
    try {
      plain = this.aeadOpen(key, sealed.subarray(0, NONCE), cat(te.encode('teeos-ckpt'), u32(pid)), sealed.subarray(NONCE));
    } catch {
      throw new Error('fork: the checkpoint failed authentication (tampered, or sealed for another enclave): refusing it');
    }
    this.familyKey = plain.slice(0, 32);
    this.restored = plain.subarray(32 + this.takeChannelState(plain.subarray(32)));
    this.pid = pid;
    // The ack goes once the kernel has restored the process (its first look at the family
    // events): the parent's fork returns when the child holds its pipe ends.
    const nonce = this.random(NONCE);
    this.pendingAck = cat(nonce, this.aeadSeal(key, nonce, cat(te.encode('teeos-ack'), u32(pid)), te.encode('resumed')));
  }
  private pendingAck: Uint8Array | null = null;

  /**
   * A spare enclave (built by the host before a fork needs it) waits here for the fork it will
   * become, then accepts it as any child does. Its ephemeral key (fresh, used once) and the
   * first run of the X25519 and GCM code happen while it waits, not while the parent waits.
   * Returns false when the host ended the wait without a fork (the family is over).
   */
  awaitFork(): boolean {
    const priv = this.random(32);
    const pub = x25519PublicKey(priv);
    const k = this.random(32), n = this.random(NONCE);
    this.aeadOpen(k, n, new Uint8Array(0), this.aeadSeal(k, n, new Uint8Array(0), new Uint8Array(64)));
    const r = this.host.raw(OCALL_FORK_WAIT, 0, new Uint8Array(0), HELLO);
    if (r.ret <= 0) return false;
    this.acceptFork(r.ret, r.out ?? new Uint8Array(0), { priv, pub });
    return true;
  }

  allocPid(): number {
    return this.host.raw(OCALL_PID, 0, new Uint8Array(0), 0).ret;
  }

  /** AES-256-GCM: on the machine's AES instructions when it has them (SgxMachine.aesGcm), else in software. */
  private aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array {
    return this.m.aesGcm ? this.m.aesGcm.seal(key, nonce, aad, plain) : gcm(key, nonce, aad).encrypt(plain);
  }
  /** Throws when the tag does not verify (as @noble/ciphers' gcm does). */
  private aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
    if (!this.m.aesGcm) return gcm(key, nonce, aad).decrypt(sealed);
    const plain = this.m.aesGcm.open(key, nonce, aad, sealed);
    if (!plain) throw new Error('aes-gcm: the tag does not verify');
    return plain;
  }

  private subkey(label: string): Uint8Array {
    return hkdf(sha256, this.familyKey, new Uint8Array(0), te.encode(label), 32);
  }
  private msgKeyCache: Uint8Array | null = null;
  private chanKeyCache: Uint8Array | null = null;
  private get msgKey(): Uint8Array { return (this.msgKeyCache ??= this.subkey('teeos-family-msg')); }
  private get chanKey(): Uint8Array { return (this.chanKeyCache ??= this.subkey('teeos-family-chan')); }
  private nameKeyCache: Uint8Array | null = null;
  /** The host sees HMAC(name key, name): whether two enclaves use the same name, never the name. */
  private tag(name: Uint8Array): Uint8Array {
    return hmac(sha256, (this.nameKeyCache ??= this.subkey('teeos-family-name')), name);
  }

  /** seq: a message's is this sender's next; a channel record's is its writer's next on that channel. */
  private seal(key: Uint8Array, a: number, b: number, data: Uint8Array, seq = ++this.seq): Uint8Array {
    const hdr = new Uint8Array(HDR);
    const dv = new DataView(hdr.buffer);
    dv.setUint32(0, a >>> 0, true);
    dv.setUint32(4, b >>> 0, true);
    dv.setBigUint64(8, seq, true);
    const nonce = this.random(NONCE);
    return cat(hdr, nonce, this.aeadSeal(key, nonce, hdr, data));
  }

  /**
   * Opens a sealed record: null when it fails the tag, or replays a sequence number of its sender.
   * exact (channel records): the sequence must be the next one of that writer on that channel,
   * so a record dropped, replayed or moved earlier or later is refused.
   */
  private open(key: Uint8Array, rec: Uint8Array, scope: string, exact = false): { a: number; b: number; data: Uint8Array } | null {
    if (rec.length < HDR + NONCE + TAG) return null;
    const dv = new DataView(rec.buffer, rec.byteOffset, HDR);
    const a = dv.getUint32(0, true), b = dv.getUint32(4, true), seq = dv.getBigUint64(8, true);
    let data: Uint8Array;
    try {
      data = this.aeadOpen(key, rec.subarray(HDR, HDR + NONCE), rec.subarray(0, HDR), rec.subarray(HDR + NONCE));
    } catch {
      return null;
    }
    if (!exact) {
      const k = `${scope}:${a}:${b}`;
      const last = this.lastSeq.get(k) ?? 0n;
      if (seq <= last) return null;
      this.lastSeq.set(k, seq);
      return { a, b, data };
    }
    // A channel record: the next of its writer on this channel (pushed-back ones: the next of
    // their epoch). A later one than that is a hole, unless another enclave may have read the
    // ones between (co-readers, known from forks and 'rclosed' notes: then only order is checked).
    const unread = (b & UNREAD_BIT) !== 0;
    const k = unread ? `${scope}:${a}:${b}:${seq >> 32n}` : `${scope}:${a}:${b}`;
    const n = unread ? seq & 0xffffffffn : seq;
    const last = this.lastSeq.get(k) ?? 0n;
    if (n !== last + 1n && !(n > last && (this.coReaders.get(a)?.size ?? 0) > 0)) return null;
    this.lastSeq.set(k, n);
    return { a, b, data };
  }

  send(pid: number, msg: Uint8Array): number {
    return this.host.raw(OCALL_IPC_SEND, pid, this.seal(this.msgKey, this.pid, pid, msg), 0).ret;
  }

  receive(): Uint8Array[] {
    const r = this.host.raw(OCALL_IPC_RECV, 0, new Uint8Array(0), this.readRoom);
    if (r.ret <= 0 || !r.out) return [];
    const out: Uint8Array[] = [];
    const b = r.out;
    for (let o = 0; o + 4 <= b.length;) {
      const n = new DataView(b.buffer, b.byteOffset + o, 4).getUint32(0, true);
      if (o + 4 + n > b.length) break;
      const m = this.open(this.msgKey, b.subarray(o + 4, o + 4 + n), 'msg');
      // The sender's pid is in the AAD (authenticated); only messages for this process count.
      if (m && m.b === this.pid && m.data[0] === PLATFORM_MSG) this.platformMessage(m.a, m.data.subarray(1));
      else if (m && m.b === this.pid) out.push(m.data);
      else this.log('family: dropped a message that failed authentication, was a replay, or was not for this process');
      o += 4 + n;
    }
    return out;
  }

  get events(): number {
    if (this.pendingAck) {
      this.host.raw(OCALL_FORK_ACK, this.pid, this.pendingAck, 0);
      this.pendingAck = null;
    }
    return this.m.doorbell();
  }

  waitEvents(seen: number, ns: number): void {
    this.m.waitDoorbell(seen, Math.max(0, ns / 1e6));
  }

  channelCreate(): number {
    return this.host.raw(OCALL_CHAN, CHAN_CREATE, new Uint8Array(0), 0, [0, 0, 0, 0]).ret;
  }

  /** Records this enclave wrote to each channel, per writer id (its pid, or its pid | bit 31 for pushed-back bytes). */
  private readonly written = new Map<string, bigint>();
  /** Channels whose records stopped following each other (a gap, a replay, a failed tag): reads fail with EIO. */
  private readonly broken = new Set<number>();
  private nextRecord(id: number, writer: number): bigint {
    const k = `${id}:${writer}`;
    const n = (this.written.get(k) ?? 0n) + 1n;
    this.written.set(k, n);
    return n;
  }

  /**
   * What a child must know of the channels to go on reading where this enclave is: the last
   * record taken from each writer of each channel, and which channels are broken. u32 length, JSON.
   */
  private channelState(child: number): Uint8Array {
    const last: [string, string][] = [];
    for (const [k, v] of this.lastSeq) if (k.startsWith('chan')) last.push([k, v.toString()]);
    // The child holds every channel this enclave reads (fork copies the descriptors): it and
    // this enclave read them both now, and the other readiers hear of it.
    const co: [number, number[]][] = [];
    for (const [id, [readers]] of this.mine) {
      if (readers <= 0) continue;
      let set = this.coReaders.get(id);
      if (!set) this.coReaders.set(id, (set = new Set()));
      for (const pid of set) this.platformSend(pid, { t: 'rjoined', chan: id, pid: child });
      co.push([id, [...set, this.pid]]);
      set.add(child);
    }
    const b = te.encode(JSON.stringify({ last, broken: [...this.broken], co }));
    return cat(u32(b.length), b);
  }
  /** The child's half of channelState (inside the authenticated checkpoint): the bytes it used. */
  private takeChannelState(b: Uint8Array): number {
    if (b.length < 4) throw new Error('fork: the checkpoint stopped short');
    const n = new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
    if (4 + n > b.length) throw new Error('fork: the checkpoint stopped short');
    const st = JSON.parse(new TextDecoder().decode(b.subarray(4, 4 + n))) as { last: [string, string][]; broken: number[]; co: [number, number[]][] };
    for (const [k, v] of st.last) if (/^chan\d+:\d+:\d+(:\d+)?$/.test(k) && /^\d{1,20}$/.test(v)) this.lastSeq.set(k, BigInt(v));
    for (const id of st.broken) if (Number.isInteger(id)) this.broken.add(id);
    for (const [id, pids] of st.co) if (Number.isInteger(id) && Array.isArray(pids)) this.coReaders.set(id, new Set(pids.filter((p) => Number.isInteger(p))));
    return 4 + n;
  }

  channelWrite(id: number, data: Uint8Array): number {
    const n = Math.min(data.length, this.room - HDR - NONCE - TAG);
    // AAD: the channel id, the writer's pid and its record count on this channel (a record
    // cannot be moved to another pipe, and the reader refuses a gap, a replay or a reordering).
    const rec = this.seal(this.chanKey, id, this.pid, data.subarray(0, n), this.nextRecord(id, this.pid));
    const r = this.host.raw(OCALL_CHAN, CHAN_WRITE, rec, 0, [id, 0, 0, 0], 32);
    return r.ret < 0 ? r.ret : n;
  }

  channelUnread(id: number, data: Uint8Array): number {
    // Sealed in order, sent last piece first (each goes in front). The writer field carries the
    // pid with the top bit set: its own sequence space, so a reader that already saw later
    // records of this pid (a process reading and writing one pipe) does not take these for replays.
    const step = this.room - HDR - NONCE - TAG;
    const recs: Uint8Array[] = [];
    const w = (this.pid | UNREAD_BIT) >>> 0;
    const epoch = BigInt(++this.unreadEpoch) << 32n;
    let i = 0n;
    for (let o = 0; o < data.length; o += step) recs.push(this.seal(this.chanKey, id, w, data.subarray(o, Math.min(data.length, o + step)), epoch | ++i));
    for (let i = recs.length - 1; i >= 0; i--) {
      const r = this.host.raw(OCALL_CHAN, CHAN_UNREAD, recs[i], 0, [id, 0, 0, 0], 32);
      if (r.ret < 0) return r.ret;
    }
    return 0;
  }

  channelRead(id: number, max: number): { ret: number; data: Uint8Array; readers: number; writers: number; queued: number } {
    const empty = new Uint8Array(0);
    const r = this.host.raw(OCALL_CHAN, CHAN_READ, empty, this.readRoom, [id, max, 0, 0]);
    if (r.ret < 0 || !r.out || r.out0 < 0 || r.out1 < 0) return { ret: r.ret < 0 ? r.ret : -EIO, data: empty, readers: 0, writers: 0, queued: 0 };
    const parts: Uint8Array[] = [];
    const b = r.out;
    for (let o = 0; o + 4 <= b.length && !this.broken.has(id);) {
      const n = new DataView(b.buffer, b.byteOffset + o, 4).getUint32(0, true);
      if (o + 4 + n > b.length) break;
      const rec = this.open(this.chanKey, b.subarray(o + 4, o + 4 + n), `chan${id}`, true);
      if (rec && rec.a === id) parts.push(rec.data);
      else {
        // The bytes after it would not be the ones written: the channel is broken from here on.
        // The reader gets what came before, then EIO (never bytes with a hole in them).
        this.log(`family: dropped a pipe record that failed authentication or did not follow its writer's last one (a record lost, replayed or reordered): channel ${id} is broken, reads fail with EIO`);
        this.broken.add(id);
      }
      o += 4 + n;
    }
    if (parts.length === 0 && this.broken.has(id)) return { ret: -EIO, data: empty, readers: r.out0, writers: r.out1, queued: 0 };
    return { ret: 0, data: cat(...parts), readers: r.out0, writers: r.out1, queued: r.ret };
  }

  channelRefs(id: number, readers: number, writers: number): void {
    const before = this.mine.get(id)?.[0] ?? 0;
    this.mine.set(id, [readers, writers]);
    this.host.raw(OCALL_CHAN, CHAN_REFS, new Uint8Array(0), 0, [id, readers, writers, 0]);
    if (before > 0 && readers === 0) {
      // This enclave reads the channel no more: its co-readers learn what it took, and that
      // they need not leave room for it any longer (from here a hole is a hole to them).
      const co = this.coReaders.get(id);
      this.coReaders.delete(id);
      if (co?.size) {
        const last = [...this.lastSeq].filter(([k]) => k.startsWith(`chan${id}:`)).map(([k, v]): [string, string] => [k, v.toString()]);
        for (const pid of co) this.platformSend(pid, { t: 'rclosed', chan: id, last });
      }
    }
  }

  /** This enclave's own read and write ends of each channel (as it last told the host). */
  private readonly mine = new Map<number, [number, number]>();
  /**
   * Per channel: the other enclaves that may read it too (a fork while this enclave held a read
   * end makes the child one, and the child learns this enclave and the others), until they say
   * they stopped. While there are some, records of a writer may legitimately skip numbers here.
   */
  private readonly coReaders = new Map<number, Set<number>>();
  private unreadEpoch = 0;

  private platformSend(pid: number, m: PlatformMessage): void {
    const body = te.encode(JSON.stringify(m));
    const b = new Uint8Array(1 + body.length);
    b[0] = PLATFORM_MSG;
    b.set(body, 1);
    this.send(pid, b);
  }

  private platformMessage(from: number, data: Uint8Array): void {
    let m: PlatformMessage;
    try { m = JSON.parse(new TextDecoder().decode(data)) as PlatformMessage; } catch { return; }
    if (!Number.isInteger(m.chan)) return;
    if (m.t === 'rclosed' && Array.isArray(m.last)) {
      this.coReaders.get(m.chan)?.delete(from);
      // What it took is not a hole here: the next record of each of its writers follows it.
      for (const e of m.last) {
        if (!Array.isArray(e) || typeof e[0] !== 'string' || !e[0].startsWith(`chan${m.chan}:`) || !/^\d{1,20}$/.test(String(e[1]))) continue;
        const v = BigInt(e[1]);
        if (v > (this.lastSeq.get(e[0]) ?? 0n)) this.lastSeq.set(e[0], v);
      }
    } else if (m.t === 'rjoined' && Number.isInteger(m.pid) && m.pid !== this.pid && (this.mine.get(m.chan)?.[0] ?? 0) > 0) {
      let co = this.coReaders.get(m.chan);
      if (!co) this.coReaders.set(m.chan, (co = new Set()));
      co.add(m.pid);
    }
  }

  publish(name: Uint8Array): number {
    return this.host.raw(OCALL_NAME, NAME_PUBLISH, this.tag(name), 0).ret;
  }

  unpublish(name: Uint8Array): void {
    this.host.raw(OCALL_NAME, NAME_UNPUBLISH, this.tag(name), 0);
  }

  lookup(name: Uint8Array): number {
    const r = this.host.raw(OCALL_NAME, NAME_LOOKUP, this.tag(name), 0).ret;
    return r === 0 ? -ENOENT : r; // pid 0 is nobody's
  }
}
