// SNP guest request messages (the guest <-> PSP channel behind /dev/sev-guest).
//
// Models Linux arch/x86/include/asm/sev.h (struct snp_guest_msg_hdr, struct snp_guest_msg),
// drivers/virt/coco/sev-guest/sev-guest.c (enc_payload / verify_and_dec_payload /
// snp_get_msg_seqno / snp_inc_msg_seqno), include/uapi/linux/sev-guest.h (snp_report_req,
// snp_report_resp) and the SNP ABI spec (56860) "Guest Messages" chapter.
//
//   struct snp_guest_msg_hdr {                   // 0x60 bytes
//     u8 authtag[32]      @0x00   (AES-GCM tag in the first 16 bytes)
//     u64 msg_seqno       @0x20
//     u8 rsvd1[8]         @0x28
//     u8 algo             @0x30   (SNP_AEAD_AES_256_GCM = 1)
//     u8 hdr_version      @0x31   (1)
//     u16 hdr_sz          @0x32   (0x60)
//     u8 msg_type         @0x34
//     u8 msg_version      @0x35
//     u16 msg_sz          @0x36
//     u32 rsvd2           @0x38
//     u8 msg_vmpck        @0x3C
//     u8 rsvd3[35]        @0x3D
//   };
// Payload encrypted with AES-256-GCM under VMPCK<n>; AAD = hdr[0x30..0x60]; IV = msg_seqno LE,
// zero-padded to 12 bytes. The guest sends seqno n, the PSP answers with n+1, and the guest then
// advances its counter by 2 (snp_inc_msg_seqno); a counter that would pass u32 max is refused.
//
// Stricter than Linux: rsvd1 (not covered by the tag or the IV) and authtag[16..32] must be zero, so
// no header byte can be altered without detection.

import { gcm } from '@noble/ciphers/aes.js';
import { concatBytes, isZero, requireLength, u16le, u32le, u64le, view } from './bytes.ts';
import { SNP_REPORT_SIZE } from './report.ts';

export const SNP_GUEST_MSG_HDR_SIZE = 0x60;
export const SNP_GUEST_MSG_SIZE = 4096;
export const SNP_GUEST_MSG_PAYLOAD_MAX = SNP_GUEST_MSG_SIZE - SNP_GUEST_MSG_HDR_SIZE; // 4000
export const MAX_AUTHTAG_LEN = 32;
export const AES_GCM_TAG_LEN = 16;
export const VMPCK_KEY_LEN = 32;
export const SNP_AEAD_AES_256_GCM = 1;
export const MSG_HDR_VER = 1;
/** Linux refuses sequence numbers that would exceed this (snp_get_msg_seqno: count >= UINT_MAX). */
export const SNP_MSG_SEQNO_MAX = 0xffffffffn;

// Header offsets
export const HDR_AUTHTAG_OFFSET = 0x00;
export const HDR_MSG_SEQNO_OFFSET = 0x20;
export const HDR_RSVD1_OFFSET = 0x28;
export const HDR_ALGO_OFFSET = 0x30;
export const HDR_HDR_VERSION_OFFSET = 0x31;
export const HDR_HDR_SZ_OFFSET = 0x32;
export const HDR_MSG_TYPE_OFFSET = 0x34;
export const HDR_MSG_VERSION_OFFSET = 0x35;
export const HDR_MSG_SZ_OFFSET = 0x36;
export const HDR_RSVD2_OFFSET = 0x38;
export const HDR_MSG_VMPCK_OFFSET = 0x3c;
export const HDR_AAD_OFFSET = 0x30;

// enum msg_type (sev.h)
export const SNP_MSG_TYPE_INVALID = 0;
export const SNP_MSG_CPUID_REQ = 1;
export const SNP_MSG_CPUID_RSP = 2;
export const SNP_MSG_KEY_REQ = 3;
export const SNP_MSG_KEY_RSP = 4;
export const SNP_MSG_REPORT_REQ = 5;
export const SNP_MSG_REPORT_RSP = 6;
export const SNP_MSG_EXPORT_REQ = 7;
export const SNP_MSG_EXPORT_RSP = 8;
export const SNP_MSG_IMPORT_REQ = 9;
export const SNP_MSG_IMPORT_RSP = 10;
export const SNP_MSG_ABSORB_REQ = 11;
export const SNP_MSG_ABSORB_RSP = 12;
export const SNP_MSG_VMRK_REQ = 13;
export const SNP_MSG_VMRK_RSP = 14;
export const SNP_MSG_TSC_INFO_REQ = 17;
export const SNP_MSG_TSC_INFO_RSP = 18;

export interface SnpGuestMsgHdr {
  authtag: Uint8Array; // 32
  msgSeqno: bigint;
  rsvd1: Uint8Array; // 8
  algo: number;
  hdrVersion: number;
  hdrSz: number;
  msgType: number;
  msgVersion: number;
  msgSz: number;
  rsvd2: number;
  msgVmpck: number;
  rsvd3: Uint8Array; // 35
}

export function encodeGuestMsgHdr(h: SnpGuestMsgHdr): Uint8Array {
  requireLength(h.authtag, MAX_AUTHTAG_LEN, 'authtag');
  requireLength(h.rsvd1, 8, 'rsvd1');
  requireLength(h.rsvd3, 35, 'rsvd3');
  const b = new Uint8Array(SNP_GUEST_MSG_HDR_SIZE);
  b.set(h.authtag, HDR_AUTHTAG_OFFSET);
  b.set(u64le(h.msgSeqno), HDR_MSG_SEQNO_OFFSET);
  b.set(h.rsvd1, HDR_RSVD1_OFFSET);
  b[HDR_ALGO_OFFSET] = h.algo;
  b[HDR_HDR_VERSION_OFFSET] = h.hdrVersion;
  b.set(u16le(h.hdrSz), HDR_HDR_SZ_OFFSET);
  b[HDR_MSG_TYPE_OFFSET] = h.msgType;
  b[HDR_MSG_VERSION_OFFSET] = h.msgVersion;
  b.set(u16le(h.msgSz), HDR_MSG_SZ_OFFSET);
  b.set(u32le(h.rsvd2), HDR_RSVD2_OFFSET);
  b[HDR_MSG_VMPCK_OFFSET] = h.msgVmpck;
  b.set(h.rsvd3, HDR_MSG_VMPCK_OFFSET + 1);
  return b;
}

export function decodeGuestMsgHdr(b: Uint8Array): SnpGuestMsgHdr {
  if (b.length < SNP_GUEST_MSG_HDR_SIZE) throw new RangeError('snp_guest_msg_hdr truncated');
  const v = view(b);
  return {
    authtag: b.slice(0, 32),
    msgSeqno: v.getBigUint64(HDR_MSG_SEQNO_OFFSET, true),
    rsvd1: b.slice(HDR_RSVD1_OFFSET, HDR_RSVD1_OFFSET + 8),
    algo: b[HDR_ALGO_OFFSET]!,
    hdrVersion: b[HDR_HDR_VERSION_OFFSET]!,
    hdrSz: v.getUint16(HDR_HDR_SZ_OFFSET, true),
    msgType: b[HDR_MSG_TYPE_OFFSET]!,
    msgVersion: b[HDR_MSG_VERSION_OFFSET]!,
    msgSz: v.getUint16(HDR_MSG_SZ_OFFSET, true),
    rsvd2: v.getUint32(HDR_RSVD2_OFFSET, true),
    msgVmpck: b[HDR_MSG_VMPCK_OFFSET]!,
    rsvd3: b.slice(HDR_MSG_VMPCK_OFFSET + 1, SNP_GUEST_MSG_HDR_SIZE),
  };
}

/** IV = msg_seqno little-endian, zero-padded to 12 bytes. */
export function guestMsgIv(seqno: bigint): Uint8Array {
  const iv = new Uint8Array(12);
  iv.set(u64le(seqno), 0);
  return iv;
}

export interface SealParams {
  seqno: bigint;
  msgType: number;
  msgVersion?: number;
  vmpckId: number;
}

/** Build an encrypted snp_guest_msg (header || ciphertext). */
export function sealGuestMessage(vmpck: Uint8Array, p: SealParams, payload: Uint8Array): Uint8Array {
  requireLength(vmpck, VMPCK_KEY_LEN, 'VMPCK');
  if (payload.length > SNP_GUEST_MSG_PAYLOAD_MAX) throw new RangeError(`payload ${payload.length} > ${SNP_GUEST_MSG_PAYLOAD_MAX}`);
  if (p.seqno <= 0n || p.seqno > SNP_MSG_SEQNO_MAX) throw new RangeError(`sequence number ${p.seqno} out of range`);
  const hdr = encodeGuestMsgHdr({
    authtag: new Uint8Array(32), msgSeqno: p.seqno, rsvd1: new Uint8Array(8), algo: SNP_AEAD_AES_256_GCM,
    hdrVersion: MSG_HDR_VER, hdrSz: SNP_GUEST_MSG_HDR_SIZE, msgType: p.msgType, msgVersion: p.msgVersion ?? 1,
    msgSz: payload.length, rsvd2: 0, msgVmpck: p.vmpckId, rsvd3: new Uint8Array(35),
  });
  const sealed = gcm(vmpck, guestMsgIv(p.seqno), hdr.subarray(HDR_AAD_OFFSET)).encrypt(payload);
  hdr.set(sealed.subarray(sealed.length - AES_GCM_TAG_LEN), HDR_AUTHTAG_OFFSET);
  return concatBytes(hdr, sealed.subarray(0, sealed.length - AES_GCM_TAG_LEN));
}

export type GuestMsgFailure =
  | 'truncated'
  | 'bad-header' // algo, hdr_version, hdr_sz, reserved bytes, msg_sz
  | 'wrong-seqno' // replayed, stale or skipped sequence number
  | 'wrong-msg-type'
  | 'wrong-vmpck'
  | 'auth-failed'; // AES-GCM tag check failed (header AAD, payload or IV tampered)

export type OpenResult =
  | { ok: true; hdr: SnpGuestMsgHdr; payload: Uint8Array }
  | { ok: false; failure: GuestMsgFailure; reason: string };

export interface OpenExpect {
  seqno: bigint;
  msgType?: number;
  msgVersion?: number;
  vmpckId: number;
}

/** Check and decrypt a snp_guest_msg (verify_and_dec_payload). */
export function openGuestMessage(vmpck: Uint8Array, msg: Uint8Array, expect: OpenExpect): OpenResult {
  const no = (failure: GuestMsgFailure, reason: string): OpenResult => ({ ok: false, failure, reason });
  requireLength(vmpck, VMPCK_KEY_LEN, 'VMPCK');
  if (msg.length < SNP_GUEST_MSG_HDR_SIZE) return no('truncated', 'message shorter than its header');
  const h = decodeGuestMsgHdr(msg);
  if (h.algo !== SNP_AEAD_AES_256_GCM || h.hdrVersion !== MSG_HDR_VER || h.hdrSz !== SNP_GUEST_MSG_HDR_SIZE) {
    return no('bad-header', 'unsupported algo / hdr_version / hdr_sz');
  }
  if (!isZero(h.rsvd1) || h.rsvd2 !== 0 || !isZero(h.rsvd3) || !isZero(h.authtag.subarray(AES_GCM_TAG_LEN))) {
    return no('bad-header', 'reserved header bytes are not zero');
  }
  if (h.msgSz !== msg.length - SNP_GUEST_MSG_HDR_SIZE) return no('bad-header', `msg_sz ${h.msgSz} does not match the message`);
  if (h.msgSeqno !== expect.seqno) return no('wrong-seqno', `sequence number ${h.msgSeqno}, expected ${expect.seqno}`);
  if (expect.msgType !== undefined && h.msgType !== expect.msgType) return no('wrong-msg-type', `msg_type ${h.msgType}, expected ${expect.msgType}`);
  if (expect.msgVersion !== undefined && h.msgVersion !== expect.msgVersion) return no('bad-header', `msg_version ${h.msgVersion}`);
  if (h.msgVmpck !== expect.vmpckId) return no('wrong-vmpck', `msg_vmpck ${h.msgVmpck}, expected ${expect.vmpckId}`);
  try {
    const payload = gcm(vmpck, guestMsgIv(h.msgSeqno), msg.subarray(HDR_AAD_OFFSET, SNP_GUEST_MSG_HDR_SIZE)).decrypt(
      concatBytes(msg.subarray(SNP_GUEST_MSG_HDR_SIZE), h.authtag.subarray(0, AES_GCM_TAG_LEN)),
    );
    return { ok: true, hdr: h, payload };
  } catch {
    return no('auth-failed', 'AES-256-GCM authentication failed');
  }
}

/** Guest side of one VMPCK channel: numbers requests, accepts only the matching response. */
export class SnpGuestChannel {
  private seqno: bigint;
  private pending: { seqno: bigint; msgType: number; msgVersion: number } | undefined;

  constructor(private readonly vmpck: Uint8Array, readonly vmpckId: number, firstSeqno = 1n) {
    requireLength(vmpck, VMPCK_KEY_LEN, 'VMPCK');
    this.seqno = firstSeqno;
  }

  get nextSeqno(): bigint {
    return this.seqno;
  }

  request(msgType: number, payload: Uint8Array, msgVersion = 1): Uint8Array {
    if (this.pending) throw new Error('a request is already outstanding');
    if (this.seqno + 1n > SNP_MSG_SEQNO_MAX) throw new RangeError('request message sequence counter overflow');
    const m = sealGuestMessage(this.vmpck, { seqno: this.seqno, msgType, msgVersion, vmpckId: this.vmpckId }, payload);
    this.pending = { seqno: this.seqno, msgType, msgVersion };
    return m;
  }

  /** Accept the PSP's response: seqno = request + 1, msg_type = request + 1, same msg_version. */
  response(msg: Uint8Array): OpenResult {
    if (!this.pending) return { ok: false, failure: 'wrong-seqno', reason: 'no request outstanding' };
    const p = this.pending;
    const r = openGuestMessage(this.vmpck, msg, {
      seqno: p.seqno + 1n, msgType: p.msgType + 1, msgVersion: p.msgVersion, vmpckId: this.vmpckId,
    });
    if (r.ok) {
      this.pending = undefined;
      this.seqno += 2n; // snp_inc_msg_seqno
    }
    return r;
  }
}

/** PSP (firmware model) side of one VMPCK channel: refuses replayed or out-of-order requests. */
export class SnpFirmwareChannel {
  private expected: bigint;
  private last: { seqno: bigint; msgType: number; msgVersion: number } | undefined;

  constructor(private readonly vmpck: Uint8Array, readonly vmpckId: number, firstSeqno = 1n) {
    requireLength(vmpck, VMPCK_KEY_LEN, 'VMPCK');
    this.expected = firstSeqno;
  }

  acceptRequest(msg: Uint8Array): OpenResult {
    const r = openGuestMessage(this.vmpck, msg, { seqno: this.expected, vmpckId: this.vmpckId });
    if (r.ok) {
      if (r.hdr.msgType === SNP_MSG_TYPE_INVALID || r.hdr.msgType % 2 === 0) {
        return { ok: false, failure: 'wrong-msg-type', reason: `msg_type ${r.hdr.msgType} is not a request` };
      }
      this.last = { seqno: r.hdr.msgSeqno, msgType: r.hdr.msgType, msgVersion: r.hdr.msgVersion };
      this.expected += 2n;
    }
    return r;
  }

  respond(payload: Uint8Array): Uint8Array {
    if (!this.last) throw new Error('no request to respond to');
    const l = this.last;
    this.last = undefined;
    return sealGuestMessage(this.vmpck, { seqno: l.seqno + 1n, msgType: l.msgType + 1, msgVersion: l.msgVersion, vmpckId: this.vmpckId }, payload);
  }
}

// ---- payloads ----
export const SNP_REPORT_REQ_SIZE = 96;
export interface SnpReportReq {
  userData: Uint8Array; // 64
  vmpl: number;
}
/** struct snp_report_req { u8 user_data[64]; u32 vmpl; u8 rsvd[28]; } */
export function encodeReportReq(r: SnpReportReq): Uint8Array {
  requireLength(r.userData, 64, 'user_data');
  const b = new Uint8Array(SNP_REPORT_REQ_SIZE);
  b.set(r.userData, 0);
  b.set(u32le(r.vmpl), 64);
  return b;
}
export function decodeReportReq(b: Uint8Array): SnpReportReq {
  requireLength(b, SNP_REPORT_REQ_SIZE, 'snp_report_req');
  if (!isZero(b.subarray(68))) throw new RangeError('snp_report_req reserved bytes not zero');
  return { userData: b.slice(0, 64), vmpl: view(b).getUint32(64, true) };
}

// MSG_REPORT_RSP status values (SNP ABI)
export const SNP_REPORT_STATUS_SUCCESS = 0x0;
export const SNP_REPORT_STATUS_INVALID_PARAMETERS = 0x16;
export const SNP_REPORT_STATUS_INVALID_KEY_SELECTION = 0x27;
export const SNP_REPORT_RSP_HDR_SIZE = 0x20;
export interface SnpReportRsp {
  status: number;
  reportSize: number;
  report: Uint8Array;
}
/** MSG_REPORT_RSP: status u32, report_size u32, rsvd[24], report @0x20. */
export function encodeReportRsp(r: SnpReportRsp): Uint8Array {
  const b = new Uint8Array(SNP_REPORT_RSP_HDR_SIZE + r.report.length);
  b.set(u32le(r.status), 0);
  b.set(u32le(r.reportSize), 4);
  b.set(r.report, SNP_REPORT_RSP_HDR_SIZE);
  return b;
}
export function decodeReportRsp(b: Uint8Array): SnpReportRsp {
  if (b.length < SNP_REPORT_RSP_HDR_SIZE) throw new RangeError('MSG_REPORT_RSP truncated');
  const v = view(b);
  const status = v.getUint32(0, true);
  const reportSize = v.getUint32(4, true);
  if (reportSize > b.length - SNP_REPORT_RSP_HDR_SIZE) throw new RangeError(`report_size ${reportSize} exceeds the response`);
  return { status, reportSize, report: b.slice(SNP_REPORT_RSP_HDR_SIZE, SNP_REPORT_RSP_HDR_SIZE + reportSize) };
}
/** A successful MSG_REPORT_RSP carrying an attestation report. */
export function reportRspFor(report: Uint8Array): Uint8Array {
  requireLength(report, SNP_REPORT_SIZE, 'ATTESTATION_REPORT');
  return encodeReportRsp({ status: SNP_REPORT_STATUS_SUCCESS, reportSize: SNP_REPORT_SIZE, report });
}
