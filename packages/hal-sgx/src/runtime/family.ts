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
 * (replay). The host routes by pid and keeps the channels: it can delay, drop or reorder them,
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
    const pubA = x25519.getPublicKey(priv);
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
    const sealed = cat(nonce, gcm(key, nonce, cat(te.encode('teeos-ckpt'), u32(pid))).encrypt(cat(this.familyKey, checkpoint)));
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
      const ack = gcm(key, r3.out.subarray(0, NONCE), cat(te.encode('teeos-ack'), u32(pid))).decrypt(r3.out.subarray(NONCE));
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
    const pubB = ephemeral?.pub ?? x25519.getPublicKey(priv);
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
      plain = gcm(key, sealed.subarray(0, NONCE), cat(te.encode('teeos-ckpt'), u32(pid))).decrypt(sealed.subarray(NONCE));
    } catch {
      throw new Error('fork: the checkpoint failed authentication (tampered, or sealed for another enclave): refusing it');
    }
    this.familyKey = plain.slice(0, 32);
    this.restored = plain.subarray(32);
    this.pid = pid;
    // The ack goes once the kernel has restored the process (its first look at the family
    // events): the parent's fork returns when the child holds its pipe ends.
    const nonce = this.random(NONCE);
    this.pendingAck = cat(nonce, gcm(key, nonce, cat(te.encode('teeos-ack'), u32(pid))).encrypt(te.encode('resumed')));
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
    const pub = x25519.getPublicKey(priv);
    const k = this.random(32), n = this.random(NONCE);
    gcm(k, n).decrypt(gcm(k, n).encrypt(new Uint8Array(64)));
    const r = this.host.raw(OCALL_FORK_WAIT, 0, new Uint8Array(0), HELLO);
    if (r.ret <= 0) return false;
    this.acceptFork(r.ret, r.out ?? new Uint8Array(0), { priv, pub });
    return true;
  }

  allocPid(): number {
    return this.host.raw(OCALL_PID, 0, new Uint8Array(0), 0).ret;
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

  private seal(key: Uint8Array, a: number, b: number, data: Uint8Array): Uint8Array {
    const hdr = new Uint8Array(HDR);
    const dv = new DataView(hdr.buffer);
    dv.setUint32(0, a >>> 0, true);
    dv.setUint32(4, b >>> 0, true);
    dv.setBigUint64(8, ++this.seq, true);
    const nonce = this.random(NONCE);
    return cat(hdr, nonce, gcm(key, nonce, hdr).encrypt(data));
  }

  /** Opens a sealed record: null when it fails the tag, or replays a sequence number of its sender. */
  private open(key: Uint8Array, rec: Uint8Array, scope: string): { a: number; b: number; data: Uint8Array } | null {
    if (rec.length < HDR + NONCE + TAG) return null;
    const dv = new DataView(rec.buffer, rec.byteOffset, HDR);
    const a = dv.getUint32(0, true), b = dv.getUint32(4, true), seq = dv.getBigUint64(8, true);
    let data: Uint8Array;
    try {
      data = gcm(key, rec.subarray(HDR, HDR + NONCE), rec.subarray(0, HDR)).decrypt(rec.subarray(HDR + NONCE));
    } catch {
      return null;
    }
    const k = `${scope}:${a}:${b}`;
    const last = this.lastSeq.get(k) ?? 0n;
    if (seq <= last) return null;
    this.lastSeq.set(k, seq);
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
      if (m && m.b === this.pid) out.push(m.data);
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

  channelWrite(id: number, data: Uint8Array): number {
    const n = Math.min(data.length, this.room - HDR - NONCE - TAG);
    // AAD: the channel id and the writer's pid (a record cannot be moved to another pipe).
    const rec = this.seal(this.chanKey, id, this.pid, data.subarray(0, n));
    const r = this.host.raw(OCALL_CHAN, CHAN_WRITE, rec, 0, [id, 0, 0, 0], 32);
    return r.ret < 0 ? r.ret : n;
  }

  channelUnread(id: number, data: Uint8Array): number {
    // Sealed in order, sent last piece first (each goes in front). The writer field carries the
    // pid with the top bit set: its own sequence space, so a reader that already saw later
    // records of this pid (a process reading and writing one pipe) does not take these for replays.
    const step = this.room - HDR - NONCE - TAG;
    const recs: Uint8Array[] = [];
    for (let o = 0; o < data.length; o += step) recs.push(this.seal(this.chanKey, id, (this.pid | 0x80000000) >>> 0, data.subarray(o, Math.min(data.length, o + step))));
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
    for (let o = 0; o + 4 <= b.length;) {
      const n = new DataView(b.buffer, b.byteOffset + o, 4).getUint32(0, true);
      if (o + 4 + n > b.length) break;
      const rec = this.open(this.chanKey, b.subarray(o + 4, o + 4 + n), `chan${id}`);
      if (rec && rec.a === id) parts.push(rec.data);
      else this.log(`family: dropped a pipe record that failed authentication or was a replay (channel ${id})`);
      o += 4 + n;
    }
    return { ret: 0, data: cat(...parts), readers: r.out0, writers: r.out1, queued: r.ret };
  }

  channelRefs(id: number, readers: number, writers: number): void {
    this.host.raw(OCALL_CHAN, CHAN_REFS, new Uint8Array(0), 0, [id, readers, writers, 0]);
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
