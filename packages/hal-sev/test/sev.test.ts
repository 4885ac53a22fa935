import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { p384 } from '@noble/curves/nist.js';
import { sha384 } from '@noble/hashes/sha2.js';
import {
  SnpLaunchDigest, encodePageInfo, PAGE_TYPE_NORMAL, PAGE_TYPE_VMSA, PAGE_TYPE_ZERO, PAGE_TYPE_UNMEASURED,
  PAGE_TYPE_SECRETS, PAGE_TYPE_CPUID, VMSA_GPA, PAGE_INFO_SIZE,
} from '../src/launch-digest.ts';
import {
  signSnpReport, verifySnpReport, decodeSnpReport, encodeSnpReport, snpReportTemplate, createVcekModel, encodeTcb,
  decodeTcb, snpReportDigest, SNP_REPORT_SIZE, REPORT_MEASUREMENT_OFFSET, REPORT_REPORT_DATA_OFFSET,
  SIGNATURE_R_OFFSET, SIGNATURE_S_OFFSET, REPORT_POLICY_OFFSET, REPORT_CHIP_ID_OFFSET, SNP_POLICY_DEBUG,
  REPORT_LAUNCH_MIT_VECTOR_OFFSET, REPORT_HOST_DATA_OFFSET,
} from '../src/report.ts';
import {
  sealGuestMessage, openGuestMessage, encodeGuestMsgHdr, decodeGuestMsgHdr, SnpGuestChannel, SnpFirmwareChannel,
  encodeReportReq, decodeReportReq, encodeReportRsp, decodeReportRsp, reportRspFor, guestMsgIv,
  SNP_MSG_REPORT_REQ, SNP_MSG_REPORT_RSP, SNP_GUEST_MSG_HDR_SIZE, HDR_MSG_SEQNO_OFFSET, HDR_MSG_TYPE_OFFSET,
  HDR_MSG_SZ_OFFSET, HDR_MSG_VMPCK_OFFSET, HDR_RSVD1_OFFSET, SNP_REPORT_REQ_SIZE,
} from '../src/guest-msg.ts';
import {
  sevInfoResponse, decodeSevInfoResponse, cpuidRequest, decodeCpuidRequest, cpuidResponse, decodeCpuidResponse,
  regGpaRequest, decodeRegGpa, pscRequest, decodePscRequest, pscResponse, decodePscResponse, hvFeaturesResponse,
  decodeHvFeaturesResponse, termRequest, decodeTermRequest, decodeGhcbMsr, ghcbInfo, GhcbPage, ghcbValidBit,
  GHCB_MSR_SEV_INFO_REQ, GHCB_CPUID_REQ_EBX, SNP_PAGE_STATE_SHARED, SNP_PAGE_STATE_PRIVATE, SEV_TERM_SET_LINUX,
  GHCB_TERM_PSC, GHCB_RAX_OFFSET, GHCB_SW_EXIT_CODE_OFFSET, GHCB_SW_EXIT_INFO_1_OFFSET, GHCB_VALID_BITMAP_OFFSET,
  GHCB_XCR0_OFFSET, SVM_VMGEXIT_GUEST_REQUEST, GHCB_HV_FT_SNP, GHCB_MSR_HV_FT_REQ,
} from '../src/ghcb.ts';
import { verify } from '../src/verify.ts';
import { toHex, fromHex } from '../src/bytes.ts';
import { useNativeSha384 } from '../src/host/native-sha384.ts';
import { setSha384Backend } from '../src/sha384.ts';

const vectors: { name: string; expected: unknown }[] = JSON.parse(
  readFileSync(new URL('../../hal-keystone/test/fixtures/tee-vectors.json', import.meta.url), 'utf8'),
).vectors;
const ld = vectors.find((v) => v.name === 'snp_launch_digest')!.expected as { after_step1: string; final: string };

test('snp_launch_digest reproduces after_step1 and final', () => {
  const d = new SnpLaunchDigest();
  d.updateNormalPages(0xfffff000n, new Uint8Array(4096).fill(0xaa));
  assert.equal(toHex(d.digest), ld.after_step1);
  d.updateZeroPages(0x0n).updateSecretsPage(0x2000n).updateCpuidPage(0x3000n).updateVmsaPage(new Uint8Array(4096));
  assert.equal(toHex(d.digest), ld.final);
});

test('snp_launch_digest: the node:crypto SHA-384 backend gives the same bytes', () => {
  useNativeSha384();
  try {
    const d = new SnpLaunchDigest();
    d.updateNormalPages(0xfffff000n, new Uint8Array(4096).fill(0xaa));
    assert.equal(toHex(d.digest), ld.after_step1);
    d.updateZeroPages(0x0n).updateSecretsPage(0x2000n).updateCpuidPage(0x3000n).updateVmsaPage(new Uint8Array(4096));
    assert.equal(toHex(d.digest), ld.final);
  } finally {
    setSha384Backend((x) => sha384(x));
  }
});

test('PAGE_INFO layout and page type constants', () => {
  assert.deepEqual(
    [PAGE_TYPE_NORMAL, PAGE_TYPE_VMSA, PAGE_TYPE_ZERO, PAGE_TYPE_UNMEASURED, PAGE_TYPE_SECRETS, PAGE_TYPE_CPUID],
    [1, 2, 3, 4, 5, 6],
  );
  const pi = encodePageInfo(new Uint8Array(48).fill(1), new Uint8Array(48).fill(2), PAGE_TYPE_VMSA, VMSA_GPA, { imi: 1, vmpl1Perms: 7 });
  assert.equal(pi.length, PAGE_INFO_SIZE);
  assert.equal(toHex(pi.subarray(0x60, 0x68)), '7000020100000700');
  assert.equal(toHex(pi.subarray(0x68)), '00f0ffffffff0000');
  // Unmeasured page step: contents are zero, type 4.
  const a = new SnpLaunchDigest().updateUnmeasuredPage(0x1000n).digest;
  assert.equal(toHex(a), toHex(sha384(encodePageInfo(new Uint8Array(48), new Uint8Array(48), 4, 0x1000n))));
  assert.throws(() => new SnpLaunchDigest().updateNormalPages(0, new Uint8Array(100)), RangeError);
});

// ---- report ----
const VCEK = createVcekModel(fromHex('11'.repeat(48)));
const MEAS = new SnpLaunchDigest().updateNormalPages(0xfffff000n, new Uint8Array(4096).fill(0xaa)).digest;
const RDATA = new Uint8Array(64).map((_, i) => i);
function goodReport(): Uint8Array {
  return signSnpReport(snpReportTemplate({
    version: 3, measurement: MEAS, reportData: RDATA, chipId: new Uint8Array(64).fill(0xc1),
    currentTcb: encodeTcb({ bootloader: 3, tee: 0, snp: 8, microcode: 115 }), hostData: new Uint8Array(32).fill(7),
  }), VCEK.privateKey);
}

test('ATTESTATION_REPORT codec: offsets, round trip, signature format', () => {
  const b = goodReport();
  assert.equal(b.length, SNP_REPORT_SIZE);
  assert.deepEqual(b.subarray(REPORT_MEASUREMENT_OFFSET, REPORT_MEASUREMENT_OFFSET + 48), MEAS);
  assert.deepEqual(b.subarray(REPORT_REPORT_DATA_OFFSET, REPORT_REPORT_DATA_OFFSET + 64), RDATA);
  assert.equal(b[REPORT_CHIP_ID_OFFSET], 0xc1);
  assert.equal(b[0x34], 1);
  const r = decodeSnpReport(b);
  assert.deepEqual(encodeSnpReport(r), b);
  assert.deepEqual(decodeTcb(r.currentTcb), { bootloader: 3, tee: 0, snp: 8, microcode: 115 });
  // r and s: 72 bytes LE with 24 zero bytes of extension; reserved tail zero.
  assert.ok(b.subarray(SIGNATURE_R_OFFSET + 48, SIGNATURE_R_OFFSET + 72).every((x) => x === 0));
  assert.ok(b.subarray(SIGNATURE_S_OFFSET + 72).every((x) => x === 0));
  // Check independently: reverse r/s to big-endian and verify the digest with noble.
  const sig = new Uint8Array(96);
  sig.set(b.slice(SIGNATURE_R_OFFSET, SIGNATURE_R_OFFSET + 48).reverse(), 0);
  sig.set(b.slice(SIGNATURE_S_OFFSET, SIGNATURE_S_OFFSET + 48).reverse(), 48);
  assert.ok(p384.verify(sig, sha384(b.subarray(0, 0x2a0)), VCEK.publicKey, { prehash: false, lowS: false }));
  assert.deepEqual(snpReportDigest(b), sha384(b.subarray(0, 0x2a0)));
});

test('TCB codec: Milan/Genoa and Turin layouts', () => {
  assert.equal(toHex(encodeTcb({ bootloader: 1, tee: 2, snp: 3, microcode: 4 }, 'genoa')), '0102000000000304');
  assert.equal(toHex(encodeTcb({ fmc: 9, bootloader: 1, tee: 2, snp: 3, microcode: 4 }, 'turin')), '0901020300000004');
  assert.deepEqual(decodeTcb(fromHex('0901020300000004'), 'turin'), { fmc: 9, bootloader: 1, tee: 2, snp: 3, microcode: 4 });
});

test('report verification names what failed', () => {
  const good = goodReport();
  const opts = { vcekPublicKey: VCEK.publicKey, expectedMeasurement: MEAS, expectedReportData: RDATA };
  assert.ok(verifySnpReport(good, opts).ok);
  assert.ok(verifySnpReport(good, { ...opts, vcekPublicKey: p384.getPublicKey(VCEK.privateKey, true) }).ok);
  const f = (b: Uint8Array, o = opts) => { const r = verifySnpReport(b, o); return r.ok ? [] : r.failures; };
  const flip = (off: number) => { const b = good.slice(); b[off]! ^= 1; return b; };
  assert.deepEqual(f(good.subarray(0, 1000)), ['truncated']);
  assert.deepEqual(f(new Uint8Array(1185)), ['oversized']);
  const v4 = good.slice(); v4[0] = 4; // version 3 -> 4 (unsupported)
  assert.deepEqual(f(v4), ['unsupported-version', 'bad-signature']);
  assert.deepEqual(f(flip(0x34)), ['unsupported-signature-algorithm', 'bad-signature']);
  assert.deepEqual(f(flip(REPORT_MEASUREMENT_OFFSET)), ['bad-signature', 'wrong-measurement']);
  assert.deepEqual(f(flip(REPORT_REPORT_DATA_OFFSET + 63)), ['bad-signature', 'wrong-report-data']);
  assert.deepEqual(f(flip(SIGNATURE_R_OFFSET + 60)), ['nonzero-signature-padding']);
  assert.deepEqual(f(flip(SIGNATURE_S_OFFSET)), ['bad-signature']);
  assert.deepEqual(f(good, { ...opts, vcekPublicKey: createVcekModel().publicKey }), ['bad-signature']);
  assert.deepEqual(f(good, { ...opts, expectedMeasurement: new Uint8Array(48) }), ['wrong-measurement']);
  const dbg = signSnpReport({ ...decodeSnpReport(good), policy: decodeSnpReport(good).policy | SNP_POLICY_DEBUG }, VCEK.privateKey);
  assert.deepEqual(f(dbg), ['debug-policy']);
  assert.ok(verifySnpReport(dbg, { ...opts, allowDebug: true }).ok);
  assert.equal(good[REPORT_POLICY_OFFSET + 2], 0x03);
  assert.deepEqual(f(good, { ...opts, expectedHostData: new Uint8Array(32) } as typeof opts), ['wrong-host-data']);
  assert.equal(REPORT_LAUNCH_MIT_VECTOR_OFFSET, 0x1f8);
  assert.equal(REPORT_HOST_DATA_OFFSET, 0xc0);
});

test('teeos verify entry: flipping any single byte of a valid report makes it fail', () => {
  const good = goodReport();
  const req = { expectMeasurement: MEAS, expectReportData: RDATA, trustAnchors: { vcekPublicKey: VCEK.publicKey } };
  assert.deepEqual(verify(good, req), { ok: true });
  for (let i = 0; i < good.length; i++) {
    const b = good.slice();
    b[i]! ^= 0x01;
    assert.equal(verify(b, req).ok, false, `flip at byte ${i} accepted`);
  }
  const ks = verify(new Uint8Array(1352), req);
  assert.ok(!ks.ok && /this is a Keystone report/.test(ks.reason));
  const sgx = verify(new Uint8Array(432), req);
  assert.ok(!sgx.ok && /this is an Intel SGX report/.test(sgx.reason));
  const vmpl = verify(good, { ...req, trustAnchors: { ...req.trustAnchors, expectVmpl: 1 } });
  assert.ok(!vmpl.ok && /VMPL/.test(vmpl.reason));
});

// ---- guest messages ----
const VMPCK0 = new Uint8Array(32).map((_, i) => 0x40 + i);

test('snp_guest_msg_hdr codec and AES-256-GCM with AAD = hdr[0x30..0x60], IV = seqno LE', () => {
  const payload = encodeReportReq({ userData: RDATA, vmpl: 0 });
  assert.equal(payload.length, SNP_REPORT_REQ_SIZE);
  assert.deepEqual(decodeReportReq(payload), { userData: RDATA, vmpl: 0 });
  const m = sealGuestMessage(VMPCK0, { seqno: 5n, msgType: SNP_MSG_REPORT_REQ, vmpckId: 0 }, payload);
  assert.equal(m.length, SNP_GUEST_MSG_HDR_SIZE + payload.length);
  const h = decodeGuestMsgHdr(m);
  assert.equal(h.msgSeqno, 5n);
  assert.equal(h.algo, 1);
  assert.equal(h.hdrVersion, 1);
  assert.equal(h.hdrSz, 0x60);
  assert.equal(h.msgType, 5);
  assert.equal(h.msgSz, payload.length);
  assert.deepEqual(encodeGuestMsgHdr(h), m.subarray(0, 0x60));
  assert.equal(toHex(guestMsgIv(0x0102n)), '020100000000000000000000');
  // Independent decryption with node:crypto using the documented AAD/IV/tag placement.
  return import('node:crypto').then(({ createDecipheriv }) => {
    const d = createDecipheriv('aes-256-gcm', VMPCK0, guestMsgIv(5n));
    d.setAAD(m.subarray(0x30, 0x60));
    d.setAuthTag(m.subarray(0, 16));
    const pt = Buffer.concat([d.update(m.subarray(0x60)), d.final()]);
    assert.deepEqual(new Uint8Array(pt), payload);
    const o = openGuestMessage(VMPCK0, m, { seqno: 5n, msgType: SNP_MSG_REPORT_REQ, vmpckId: 0 });
    assert.ok(o.ok);
    assert.deepEqual(o.payload, payload);
  });
});

test('guest message tamper detection: every header and payload byte, wrong seqno, wrong key', () => {
  const payload = encodeReportReq({ userData: RDATA, vmpl: 0 });
  const m = sealGuestMessage(VMPCK0, { seqno: 7n, msgType: SNP_MSG_REPORT_REQ, vmpckId: 0 }, payload);
  const exp = { seqno: 7n, msgType: SNP_MSG_REPORT_REQ, vmpckId: 0 };
  for (let i = 0; i < m.length; i++) {
    const b = m.slice();
    b[i]! ^= 0x01;
    assert.equal(openGuestMessage(VMPCK0, b, exp).ok, false, `flip at ${i} accepted`);
  }
  const fail = (b: Uint8Array, e = exp, key = VMPCK0) => { const r = openGuestMessage(key, b, e); return r.ok ? 'ok' : r.failure; };
  assert.equal(fail(m, { ...exp, seqno: 9n }), 'wrong-seqno');
  // Header seqno rewritten to the expected value: IV changes, tag fails.
  const s = m.slice(); s[HDR_MSG_SEQNO_OFFSET] = 9; assert.equal(fail(s, { ...exp, seqno: 9n }), 'auth-failed');
  const t = m.slice(); t[HDR_MSG_TYPE_OFFSET] = 3; assert.equal(fail(t, { ...exp, msgType: 3 }), 'auth-failed');
  const v = m.slice(); v[HDR_MSG_VMPCK_OFFSET] = 1; assert.equal(fail(v, { ...exp, vmpckId: 1 }), 'auth-failed');
  const r1 = m.slice(); r1[HDR_RSVD1_OFFSET] = 1; assert.equal(fail(r1), 'bad-header');
  const z = m.slice(); z[HDR_MSG_SZ_OFFSET]! ^= 1; assert.equal(fail(z), 'bad-header');
  const p = m.slice(); p[0x70]! ^= 0x80; assert.equal(fail(p), 'auth-failed');
  assert.equal(fail(m, exp, new Uint8Array(32)), 'auth-failed');
  assert.equal(fail(m.subarray(0, 0x50)), 'truncated');
});

test('guest <-> PSP channel: round trip, sequence numbers advance by 2, replays refused', () => {
  const guest = new SnpGuestChannel(VMPCK0, 0);
  const psp = new SnpFirmwareChannel(VMPCK0, 0);
  for (let round = 0; round < 3; round++) {
    const req = guest.request(SNP_MSG_REPORT_REQ, encodeReportReq({ userData: RDATA, vmpl: 0 }));
    assert.equal(decodeGuestMsgHdr(req).msgSeqno, BigInt(1 + 2 * round));
    const got = psp.acceptRequest(req);
    assert.ok(got.ok);
    assert.equal(got.hdr.msgType, SNP_MSG_REPORT_REQ);
    // Replay of the same request to the PSP is refused.
    const replay = psp.acceptRequest(req);
    assert.ok(!replay.ok && replay.failure === 'wrong-seqno');
    const report = goodReport();
    const rsp = psp.respond(reportRspFor(report));
    assert.equal(decodeGuestMsgHdr(rsp).msgSeqno, BigInt(2 + 2 * round));
    assert.equal(decodeGuestMsgHdr(rsp).msgType, SNP_MSG_REPORT_RSP);
    const back = guest.response(rsp);
    assert.ok(back.ok);
    const parsed = decodeReportRsp(back.payload);
    assert.equal(parsed.status, 0);
    assert.equal(parsed.reportSize, SNP_REPORT_SIZE);
    assert.ok(verifySnpReport(parsed.report, { vcekPublicKey: VCEK.publicKey, expectedMeasurement: MEAS }).ok);
    // Replayed response refused (no request outstanding; and its seqno is stale).
    const again = guest.response(rsp);
    assert.ok(!again.ok && again.failure === 'wrong-seqno');
  }
  assert.equal(guest.nextSeqno, 7n);
  // A stale response to a new request is refused.
  const req = guest.request(SNP_MSG_REPORT_REQ, encodeReportReq({ userData: RDATA, vmpl: 0 }));
  const stale = sealGuestMessage(VMPCK0, { seqno: 6n, msgType: SNP_MSG_REPORT_RSP, vmpckId: 0 }, reportRspFor(goodReport()));
  const sr = guest.response(stale);
  assert.ok(!sr.ok && sr.failure === 'wrong-seqno');
  // The PSP refuses a request whose seqno skips ahead.
  const fresh = new SnpFirmwareChannel(VMPCK0, 0);
  const skip = fresh.acceptRequest(req);
  assert.ok(!skip.ok && skip.failure === 'wrong-seqno');
  assert.deepEqual(decodeReportRsp(encodeReportRsp({ status: 0x16, reportSize: 0, report: new Uint8Array(0) })).status, 0x16);
  assert.throws(() => decodeReportRsp(encodeReportRsp({ status: 0, reportSize: 2000, report: new Uint8Array(10) })), RangeError);
});

// ---- GHCB ----
test('GHCB MSR protocol codecs match the sev-common.h macros', () => {
  assert.equal(GHCB_MSR_SEV_INFO_REQ, 2n);
  const si = sevInfoResponse(2, 1, 51);
  assert.equal(si, (2n << 48n) | (1n << 32n) | (51n << 24n) | 1n);
  assert.deepEqual(decodeSevInfoResponse(si), { max: 2, min: 1, cbit: 51 });
  const c = cpuidRequest(0x8000001f, GHCB_CPUID_REQ_EBX);
  assert.equal(c, 0x8000001f_4000_0004n);
  assert.deepEqual(decodeCpuidRequest(c), { fn: 0x8000001f, reg: 1 });
  assert.deepEqual(decodeCpuidResponse(cpuidResponse(0xdeadbeef, 1)), { value: 0xdeadbeef, reg: 1 });
  assert.equal(regGpaRequest(0x12345n), 0x12345012n);
  assert.equal(decodeRegGpa(regGpaRequest(0xfffffffffffffn)), 0xfffffffffffffn);
  const psc = pscRequest(0xabcden, SNP_PAGE_STATE_SHARED);
  assert.equal(psc, (2n << 52n) | (0xabcden << 12n) | 0x14n);
  assert.deepEqual(decodePscRequest(psc), { gfn: 0xabcden, op: 2 });
  assert.deepEqual(decodePscRequest(pscRequest(1n << 41n, SNP_PAGE_STATE_PRIVATE)), { gfn: 0n, op: 1 });
  assert.equal(decodePscResponse(pscResponse(0)), 0);
  assert.equal(decodePscResponse(pscResponse(5)), 5);
  assert.equal(decodeHvFeaturesResponse(hvFeaturesResponse(GHCB_HV_FT_SNP | 2n)), 3n);
  assert.equal(ghcbInfo(GHCB_MSR_HV_FT_REQ), 0x80n);
  const term = termRequest(SEV_TERM_SET_LINUX, GHCB_TERM_PSC);
  assert.equal(term, 0x11100n);
  assert.deepEqual(decodeTermRequest(term), { reasonSet: 1, reason: 1 });
  assert.deepEqual(decodeGhcbMsr(term), { kind: 'TERM_REQ', reasonSet: 1, reason: 1 });
  assert.deepEqual(decodeGhcbMsr(0x5000n), { kind: 'GHCB_GPA', gpa: 0x5000n });
  assert.deepEqual(decodeGhcbMsr(0x3ffn), { kind: 'UNKNOWN', info: 0x3ff });
  assert.throws(() => decodeTermRequest(c), RangeError);
});

test('GHCB page: field offsets and valid_bitmap', () => {
  const g = new GhcbPage();
  assert.equal(ghcbValidBit(GHCB_RAX_OFFSET), 0x3f);
  assert.equal(ghcbValidBit(GHCB_SW_EXIT_CODE_OFFSET), 0x72);
  assert.equal(g.get(GHCB_RAX_OFFSET), undefined);
  g.set(GHCB_RAX_OFFSET, 0x1234n);
  assert.ok(g.isValid(GHCB_RAX_OFFSET));
  assert.equal(g.get(GHCB_RAX_OFFSET), 0x1234n);
  assert.equal(g.bytes[GHCB_VALID_BITMAP_OFFSET + 7], 0x80); // bit 63
  g.setExit(SVM_VMGEXIT_GUEST_REQUEST, 0x1000n, 0x2000n);
  assert.equal(g.get(GHCB_SW_EXIT_INFO_1_OFFSET), 0x1000n);
  assert.equal(g.bytes[GHCB_VALID_BITMAP_OFFSET + 14], 0b00000111 << 2); // bits 0x72,0x73,0x74
  assert.ok(!g.isValid(GHCB_XCR0_OFFSET));
  g.protocolVersion = 2;
  g.usage = 0;
  assert.equal(g.bytes[0xffa], 2);
  assert.equal(g.sharedBuffer.length, 2032);
  g.invalidate();
  assert.ok(!g.isValid(GHCB_RAX_OFFSET));
  assert.equal(g.get(GHCB_SW_EXIT_CODE_OFFSET), undefined);
  assert.throws(() => ghcbValidBit(0x3f0), RangeError);
  assert.throws(() => ghcbValidBit(0x1f9), RangeError);
});
