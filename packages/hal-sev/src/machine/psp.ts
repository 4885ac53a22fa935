/**
 * The PSP (AMD Secure Processor) firmware model: SNP_LAUNCH_START / UPDATE / FINISH and
 * SNP_GUEST_REQUEST (SNP ABI 56860, chapters "Launch" and "Guest Messages"). It lives in the
 * machine next to the vCPU; its keys are #private fields reachable only through these commands.
 *
 * Keys (a model, never real hardware security):
 * - The chip secret is a published constant, so every model "chip" is the same chip and a
 *   verifier needs no state: the VCEK private key is derived from it (a P-384 scalar,
 *   SHA-384(chip secret || "VCEK" || counter) until it lies in [1, n)), and its public key is
 *   the trust anchor in host/trust.ts.
 * - VMPCK0..3 are fresh random 32-byte keys per launch, written into the SECRETS page.
 * - MSG_KEY_REQ derives keys from a second root, VMRK-model = SHA-384(chip secret || "VMRK"), as
 *   HMAC-SHA-384(root, "SNP_DERIVED_KEY" || guest_field_select || selected guest fields)[0..32],
 *   where the selected fields are those of the SNP ABI's GUEST_FIELD_SELECT (policy, image id,
 *   family id, measurement, guest svn, TCB) in that order.
 */
import { sha384, sha512 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { p384 } from '@noble/curves/nist.js';
import { SnpLaunchDigest } from '../launch-digest.ts';
import { signSnpReport, snpReportTemplate, encodeTcb, SNP_REPORT_SIZE } from '../report.ts';
import {
  SnpFirmwareChannel, decodeReportReq, reportRspFor, encodeReportRsp, SNP_MSG_REPORT_REQ, SNP_MSG_KEY_REQ,
  SNP_GUEST_MSG_HDR_SIZE, SNP_GUEST_MSG_SIZE, SNP_REPORT_STATUS_INVALID_PARAMETERS, decodeGuestMsgHdr,
} from '../guest-msg.ts';
import { applyLaunchUpdate } from './measure.ts';
import {
  PAGE, SECRETS_VMPCK0_OFFSET, SECRETS_VERSION_OFFSET, VMPCK_SIZE, SEV_STATUS_INVALID_PARAM, SEV_STATUS_SUCCESS,
  SEV_STATUS_INVALID_GUEST, type LaunchUpdate, type Vmsa, decodeVmsa,
} from './protocol.ts';

const te = new TextEncoder();
/** The model chip secret (published: see the header). */
const CHIP_SECRET = sha384(te.encode('TEE OS AMD SEV-SNP model chip secret v1 (published; not a hardware key)'));
const P384_N = BigInt('0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973');

function deriveVcek(): Uint8Array {
  for (let i = 0; ; i++) {
    const k = sha384(new Uint8Array([...CHIP_SECRET, ...te.encode('VCEK'), i]));
    const v = BigInt('0x' + Array.from(k, (b) => b.toString(16).padStart(2, '0')).join(''));
    if (v > 0n && v < P384_N) return k;
  }
}

/** The model's TCB (Milan layout): bootloader 3, tee 0, snp 8, microcode 115. */
export const MODEL_TCB = encodeTcb({ bootloader: 3, tee: 0, snp: 8, microcode: 115 });

/** MSG_KEY_REQ payload size (struct snp_derived_key_req) and response (status, rsvd, key@0x20). */
export const SNP_KEY_REQ_SIZE = 0x20;
export const SNP_KEY_RSP_SIZE = 0x40;

export interface GuestRam {
  /** Private guest RAM from `base`. */
  bytes: Uint8Array;
  base: number;
}

export class Psp {
  readonly #vcek = deriveVcek();
  readonly #vmrk = sha384(new Uint8Array([...CHIP_SECRET, ...te.encode('VMRK')]));
  readonly #chipId = sha512(new Uint8Array([...CHIP_SECRET, ...te.encode('CHIP_ID')]));
  #vmpck: Uint8Array[] = [];
  #digest: SnpLaunchDigest | null = null;
  #measurement: Uint8Array | null = null;
  #policy = 0n;
  #vmsa: Vmsa | null = null;
  #channel: SnpFirmwareChannel | null = null;
  #reportId = new Uint8Array(32);

  /** The VCEK model's public key (SEC1 uncompressed): public, for tests and the trust anchor. */
  get vcekPublicKey(): Uint8Array {
    return p384.getPublicKey(this.#vcek, false);
  }

  launchStart(policy: bigint): void {
    if (this.#digest || this.#measurement) throw new Error('SNP_LAUNCH_START: guest already launched');
    if ((policy & (1n << 17n)) === 0n) throw new Error('SNP_LAUNCH_START: policy bit 17 must be one');
    this.#policy = policy;
    this.#digest = new SnpLaunchDigest();
    this.#vmpck = [0, 1, 2, 3].map(() => crypto.getRandomValues(new Uint8Array(VMPCK_SIZE)));
    crypto.getRandomValues(this.#reportId);
  }

  /** Lays the pages into guest RAM (encrypting them, in hardware) and extends the digest. */
  launchUpdate(u: LaunchUpdate, ram: GuestRam): void {
    const ld = this.#digest;
    if (!ld) throw new Error('SNP_LAUNCH_UPDATE outside a launch');
    if (u.length <= 0 || u.length % PAGE !== 0) throw new Error('SNP_LAUNCH_UPDATE: length is not whole pages');
    if (u.type === 'vmsa') {
      if (!u.data || u.data.length !== PAGE) throw new Error('SNP_LAUNCH_UPDATE: VMSA is one page');
      if (this.#vmsa) throw new Error('SNP_LAUNCH_UPDATE: one vCPU in this model');
      this.#vmsa = decodeVmsa(u.data);
      applyLaunchUpdate(ld, u);
      return;
    }
    const off = u.gpa - ram.base;
    if (!Number.isSafeInteger(off) || off < 0 || off % PAGE !== 0 || off + u.length > ram.bytes.length) {
      throw new Error(`SNP_LAUNCH_UPDATE: GPA 0x${u.gpa.toString(16)} outside guest RAM`);
    }
    const dst = ram.bytes.subarray(off, off + u.length);
    switch (u.type) {
      case 'normal':
      case 'cpuid':
        if (!u.data || u.data.length < u.length) throw new Error('SNP_LAUNCH_UPDATE: missing page data');
        if (u.type === 'cpuid' && new DataView(u.data.buffer, u.data.byteOffset).getUint32(0, true) > 64) {
          throw new Error('SNP_LAUNCH_UPDATE: CPUID page fails validation');
        }
        dst.set(u.data.subarray(0, u.length));
        break;
      case 'zero':
        dst.fill(0);
        break;
      case 'secrets': {
        dst.fill(0);
        new DataView(dst.buffer, dst.byteOffset).setUint32(SECRETS_VERSION_OFFSET, 3, true);
        this.#vmpck.forEach((k, i) => dst.set(k, SECRETS_VMPCK0_OFFSET + i * VMPCK_SIZE));
        break;
      }
    }
    applyLaunchUpdate(ld, u);
  }

  /** SNP_LAUNCH_FINISH: the measurement is fixed; returns the launch digest and the vCPU state. */
  launchFinish(): { measurement: Uint8Array; vmsa: Vmsa } {
    if (!this.#digest || !this.#vmsa) throw new Error('SNP_LAUNCH_FINISH without a launch and a VMSA');
    this.#measurement = this.#digest.digest;
    this.#digest = null;
    this.#channel = new SnpFirmwareChannel(this.#vmpck[0], 0);
    return { measurement: this.#measurement.slice(), vmsa: this.#vmsa };
  }

  /**
   * SNP_GUEST_REQUEST: the hypervisor hands the PSP a request page and a response page (both
   * shared, so the messages are encrypted end to end). Returns the firmware status.
   */
  guestRequest(req: Uint8Array, resp: Uint8Array): number {
    const ch = this.#channel, m = this.#measurement;
    if (!ch || !m) return SEV_STATUS_INVALID_GUEST;
    if (req.length < SNP_GUEST_MSG_HDR_SIZE) return SEV_STATUS_INVALID_PARAM;
    const size = SNP_GUEST_MSG_HDR_SIZE + decodeGuestMsgHdr(req).msgSz;
    if (size > SNP_GUEST_MSG_SIZE || size > req.length) return SEV_STATUS_INVALID_PARAM;
    const r = ch.acceptRequest(req.slice(0, size));
    if (!r.ok) return SEV_STATUS_INVALID_PARAM;
    let payload: Uint8Array;
    if (r.hdr.msgType === SNP_MSG_REPORT_REQ) {
      payload = this.report(r.payload, m);
    } else if (r.hdr.msgType === SNP_MSG_KEY_REQ) {
      payload = this.derivedKey(r.payload, m);
    } else {
      payload = encodeReportRsp({ status: SNP_REPORT_STATUS_INVALID_PARAMETERS, reportSize: 0, report: new Uint8Array(0) });
    }
    const out = ch.respond(payload);
    if (out.length > resp.length) return SEV_STATUS_INVALID_PARAM;
    resp.fill(0);
    resp.set(out);
    return SEV_STATUS_SUCCESS;
  }

  private report(payload: Uint8Array, measurement: Uint8Array): Uint8Array {
    let req;
    try {
      req = decodeReportReq(payload);
    } catch {
      return encodeReportRsp({ status: SNP_REPORT_STATUS_INVALID_PARAMETERS, reportSize: 0, report: new Uint8Array(0) });
    }
    if (req.vmpl > 3) return encodeReportRsp({ status: SNP_REPORT_STATUS_INVALID_PARAMETERS, reportSize: 0, report: new Uint8Array(0) });
    const report = signSnpReport(snpReportTemplate({
      version: 2, policy: this.#policy, vmpl: req.vmpl, currentTcb: MODEL_TCB, reportedTcb: MODEL_TCB,
      committedTcb: MODEL_TCB, launchTcb: MODEL_TCB, reportData: req.userData, measurement,
      reportId: this.#reportId.slice(), chipId: this.#chipId.slice(), platformInfo: 1n,
    }), this.#vcek);
    if (report.length !== SNP_REPORT_SIZE) throw new Error('report size');
    return reportRspFor(report);
  }

  private derivedKey(payload: Uint8Array, measurement: Uint8Array): Uint8Array {
    const out = new Uint8Array(SNP_KEY_RSP_SIZE);
    const dv = new DataView(out.buffer);
    if (payload.length !== SNP_KEY_REQ_SIZE) { dv.setUint32(0, SNP_REPORT_STATUS_INVALID_PARAMETERS, true); return out; }
    const p = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const rootSelect = p.getUint32(0, true);
    const fields = p.getBigUint64(8, true);
    const vmpl = p.getUint32(0x10, true);
    if (rootSelect !== 0 || vmpl > 3 || fields >> 6n !== 0n) { dv.setUint32(0, SNP_REPORT_STATUS_INVALID_PARAMETERS, true); return out; }
    const parts: Uint8Array[] = [te.encode('SNP_DERIVED_KEY'), payload.slice(8, 16), payload.slice(0x10, 0x14)];
    const pol = new Uint8Array(8);
    new DataView(pol.buffer).setBigUint64(0, this.#policy, true);
    if (fields & 1n) parts.push(pol);
    if (fields & 2n) parts.push(new Uint8Array(16)); // image id (zero in this model)
    if (fields & 4n) parts.push(new Uint8Array(16)); // family id (zero in this model)
    if (fields & 8n) parts.push(measurement);
    if (fields & 16n) parts.push(payload.slice(0x14, 0x18));
    if (fields & 32n) parts.push(payload.slice(0x18, 0x20));
    const msg = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
    let o = 0;
    for (const x of parts) { msg.set(x, o); o += x.length; }
    out.set(hmac(sha384, this.#vmrk, msg).subarray(0, 32), 0x20);
    return out;
  }
}
