import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cmac as nobleCmac } from '@noble/ciphers/aes.js';
import { createPublicKey, createVerify } from 'node:crypto';
import {
  MrEnclaveBuilder, SGX_SECINFO_FLAGS_TCS, SGX_SECINFO_FLAGS_REG, SGX_SECINFO_FLAGS_R, SGX_SECINFO_FLAGS_W,
  SGX_SECINFO_FLAGS_X, SGX_PAGE_TYPE_TCS, SGX_PAGE_TYPE_REG, secinfoFlags,
} from '../src/mrenclave.ts';
import {
  signSigstruct, decodeSigstruct, encodeSigstruct, verifySigstructSignature, einit, defaultSigstructBody, mrsignerOf,
  computeQ1Q2, bcdDate, sigstructSignedData, SIGSTRUCT_SIZE, SIGSTRUCT_HEADER, SIGSTRUCT_HEADER2,
  SIGSTRUCT_ENCLAVEHASH_OFFSET, SIGSTRUCT_MODULUS_OFFSET, SIGSTRUCT_DATE_OFFSET, SIGSTRUCT_Q1_OFFSET,
  SIGSTRUCT_ISVSVN_OFFSET, SGX_FLAGS_DEBUG, SGX_FLAGS_MODE64BIT, SGX_FLAGS_INITTED, type SgxEnclaveIdentity,
} from '../src/sigstruct.ts';
import { aesCmac, cmacSubkeys } from '../src/cmac.ts';
import {
  encodeReport, decodeReport, encodeTargetInfo, decodeTargetInfo, encodeKeyRequest, decodeKeyRequest,
  SGX_REPORT_SIZE, REPORT_BODY_REPORTDATA_OFFSET, REPORT_BODY_MRENCLAVE_OFFSET, REPORT_KEYID_OFFSET, REPORT_MAC_OFFSET,
  SGX_KEYSELECT_SEAL, SGX_KEYSELECT_REPORT, SGX_KEYSELECT_PROVISION, SGX_KEYPOLICY_MRENCLAVE, SGX_KEYPOLICY_MRSIGNER,
  SGX_KEYPOLICY_NOISVPRODID, TARGETINFO_MISCSELECT_OFFSET, KEYREQUEST_KEYID_OFFSET,
} from '../src/report.ts';
import {
  egetkey, ereport, verifyReportMac, keyRequest, targetInfoOf, simReportKeyId, reportKeyDerivationData,
  DEFAULT_CPUSVN, UPGRADED_CPUSVN, DOWNGRADED_CPUSVN, SIMU_OWNER_EPOCH_MSR, BASE_REPORT_KEY, DD_SEAL_KEY_SIZE,
} from '../src/keys.ts';
import { verify } from '../src/verify.ts';
import { toHex, fromHex, bigintToLe } from '../src/bytes.ts';
import { generateSgxSigningKey } from '../src/host/keygen.ts';
import { useNativeSha256 } from '../src/host/native.ts';
import { setSha256Backend } from '../src/sha256.ts';
import { sha256 } from '@noble/hashes/sha2.js';

const vectors: { name: string; expected: unknown; inputs?: Record<string, string> }[] = JSON.parse(
  readFileSync(new URL('../../hal-keystone/test/fixtures/tee-vectors.json', import.meta.url), 'utf8'),
).vectors;
const expected = (name: string) => vectors.find((v) => v.name === name)!.expected;

function vectorEnclave(): MrEnclaveBuilder {
  const b = new MrEnclaveBuilder().ecreate(1, 0x10000);
  const tcs = new Uint8Array(4096);
  new DataView(tcs.buffer).setBigUint64(16, 0x2000n, true);
  b.addPage(0, SGX_SECINFO_FLAGS_TCS, tcs);
  b.addPage(0x1000, SGX_SECINFO_FLAGS_REG | SGX_SECINFO_FLAGS_R | SGX_SECINFO_FLAGS_X, Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff));
  b.addPage(0x2000, SGX_SECINFO_FLAGS_REG | SGX_SECINFO_FLAGS_R | SGX_SECINFO_FLAGS_W, new Uint8Array(4096), false);
  return b;
}
const MRENCLAVE = vectorEnclave().einit();
const KEY = generateSgxSigningKey();

test('sgx_mrenclave reproduces the vector', () => {
  assert.equal(toHex(MRENCLAVE), expected('sgx_mrenclave'));
});

test('MRENCLAVE: the node:crypto SHA-256 backend and addPage give the same bytes as @noble and 16 EEXTENDs', () => {
  const random = Uint8Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 0xff);
  const byChunks = (b: MrEnclaveBuilder) => {
    b.eadd(0x3000, SGX_SECINFO_FLAGS_REG | SGX_SECINFO_FLAGS_R);
    for (let i = 0; i < 4096; i += 256) b.eextend(0x3000 + i, random.subarray(i, i + 256));
    return toHex(b.einit());
  };
  const noble = byChunks(vectorEnclave());
  assert.equal(toHex(vectorEnclave().addPage(0x3000, SGX_SECINFO_FLAGS_REG | SGX_SECINFO_FLAGS_R, random).einit()), noble);
  useNativeSha256();
  try {
    assert.equal(toHex(vectorEnclave().einit()), expected('sgx_mrenclave'));
    assert.equal(byChunks(vectorEnclave()), noble);
    assert.equal(toHex(vectorEnclave().addPage(0x3000, SGX_SECINFO_FLAGS_REG | SGX_SECINFO_FLAGS_R, random).einit()), noble);
  } finally {
    setSha256Backend(() => sha256.create());
  }
});

test('SECINFO flag and page type constants', () => {
  assert.equal(SGX_SECINFO_FLAGS_TCS, 0x100);
  assert.equal(SGX_SECINFO_FLAGS_REG, 0x200);
  assert.equal(secinfoFlags(SGX_PAGE_TYPE_REG, SGX_SECINFO_FLAGS_R | SGX_SECINFO_FLAGS_X), 0x205);
  assert.equal(secinfoFlags(SGX_PAGE_TYPE_TCS), 0x100);
  assert.equal(secinfoFlags(SGX_PAGE_TYPE_REG, SGX_SECINFO_FLAGS_R | SGX_SECINFO_FLAGS_W), 0x203);
});

test('MRENCLAVE builder: order, alignment, permissions and content all matter; misuse refused', () => {
  assert.throws(() => new MrEnclaveBuilder().eadd(0, 0x200), /not created/);
  assert.throws(() => new MrEnclaveBuilder().ecreate(1, 0x3000), RangeError);
  const b = new MrEnclaveBuilder().ecreate(1, 0x2000);
  assert.throws(() => b.eadd(0x2000, 0x200), RangeError);
  assert.throws(() => b.eadd(0x10, 0x200), RangeError);
  assert.throws(() => b.eextend(0, new Uint8Array(256)), /not added/);
  b.eadd(0, 0x201);
  assert.throws(() => b.eadd(0, 0x201), /already added/);
  assert.throws(() => b.eextend(8, new Uint8Array(256)), RangeError);
  b.einit();
  assert.throws(() => b.einit(), /already initialized/);
  const perm = new MrEnclaveBuilder().ecreate(1, 0x10000);
  perm.addPage(0, SGX_SECINFO_FLAGS_TCS, new Uint8Array(4096));
  assert.notEqual(toHex(perm.einit()), toHex(MRENCLAVE));
});

test('RFC 4493 AES-CMAC: subkeys and all four examples (aes_cmac_rfc4493_example2 from the vectors)', () => {
  const K = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
  const sk = cmacSubkeys(K);
  assert.equal(toHex(sk.L), '7df76b0c1ab899b33e42f047b91b546f');
  assert.equal(toHex(sk.K1), 'fbeed618357133667c85e08f7236a8de');
  assert.equal(toHex(sk.K2), 'f7ddac306ae266ccf90bc11ee46d513b');
  const M = fromHex(
    '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
  );
  assert.equal(toHex(aesCmac(K, M.subarray(0, 0))), 'bb1d6929e95937287fa37d129b756746');
  assert.equal(toHex(aesCmac(K, M.subarray(0, 16))), expected('aes_cmac_rfc4493_example2'));
  assert.equal(toHex(aesCmac(K, M.subarray(0, 40))), 'dfa66747de9ae63030ca32611497c827');
  assert.equal(toHex(aesCmac(K, M)), '51f0bebf7e3b9d92fc49741779363cfe');
  for (let n = 0; n <= 64; n++) assert.deepEqual(aesCmac(K, M.subarray(0, n)), nobleCmac(M.subarray(0, n), K));
});

function signed(overrides: Partial<ReturnType<typeof defaultSigstructBody>> = {}) {
  return signSigstruct({ ...defaultSigstructBody(MRENCLAVE), date: bcdDate(2023, 4, 14), isvprodid: 7, isvsvn: 3, ...overrides }, KEY);
}

test('SIGSTRUCT header constants, layout and codec', () => {
  const s = signed();
  assert.equal(s.length, SIGSTRUCT_SIZE);
  assert.equal(toHex(s.subarray(0, 16)), '06000000e10000000000010000000000');
  assert.equal(toHex(s.subarray(24, 40)), '01010000600000006000000001000000');
  assert.deepEqual(SIGSTRUCT_HEADER, s.subarray(0, 16));
  assert.deepEqual(SIGSTRUCT_HEADER2, s.subarray(24, 40));
  assert.equal(toHex(s.subarray(SIGSTRUCT_DATE_OFFSET, SIGSTRUCT_DATE_OFFSET + 4)), '14042320');
  assert.deepEqual(s.subarray(SIGSTRUCT_ENCLAVEHASH_OFFSET, SIGSTRUCT_ENCLAVEHASH_OFFSET + 32), MRENCLAVE);
  assert.deepEqual(s.subarray(SIGSTRUCT_MODULUS_OFFSET, SIGSTRUCT_MODULUS_OFFSET + 384), bigintToLe(KEY.n, 384));
  assert.equal(s[512], 3);
  assert.deepEqual(encodeSigstruct(decodeSigstruct(s)), s);
  assert.equal(decodeSigstruct(s).isvsvn, 3);
  assert.equal(sigstructSignedData(s).length, 256);
});

test('SIGSTRUCT: sign/verify round trip, also checked by node:crypto RSA-SHA256 with the same public key', () => {
  const s = signed();
  assert.ok(verifySigstructSignature(s));
  const d = decodeSigstruct(s);
  const pub = createPublicKey({
    key: { kty: 'RSA', n: Buffer.from(KEY.n.toString(16).padStart(768, '0'), 'hex').toString('base64url'), e: 'Aw' },
    format: 'jwk',
  });
  const v = createVerify('sha256');
  v.update(sigstructSignedData(s));
  assert.ok(v.verify(pub, Buffer.from(d.signature.toString(16).padStart(768, '0'), 'hex')));
});

test('SIGSTRUCT: the native RSA private operation signs exactly what BigInt modpow signs', () => {
  assert.ok(KEY.privateOp);
  const body = defaultSigstructBody(MRENCLAVE);
  assert.equal(toHex(signSigstruct(body, KEY)), toHex(signSigstruct(body, { n: KEY.n, d: KEY.d })));
  // A private operation that returns anything else is caught by the e = 3 check.
  assert.throws(() => signSigstruct(body, { n: KEY.n, d: KEY.d, privateOp: (m) => m }), /not an e=3 RSA key pair/);
});

test('SIGSTRUCT: q1/q2 satisfy their equations', () => {
  const { modulus: n, signature: sig, q1, q2 } = decodeSigstruct(signed());
  assert.deepEqual(computeQ1Q2(sig, n), { q1, q2 });
  const r1 = sig * sig - q1 * n;
  assert.ok(r1 >= 0n && r1 < n);
  const r2 = sig * sig * sig - q1 * n * sig - q2 * n;
  assert.ok(r2 >= 0n && r2 < n);
  assert.equal(r2, (sig * sig * sig) % n);
});

test('MRSIGNER = SHA-256(modulus LE)', () => {
  const s = signed();
  const r = einit(s, MRENCLAVE);
  assert.ok(r.ok);
  assert.deepEqual(r.identity.mrsigner, mrsignerOf(KEY.n));
  assert.equal(r.identity.mrsigner.length, 32);
  assert.equal(r.identity.attributes.flags & SGX_FLAGS_INITTED, SGX_FLAGS_INITTED);
});

test('EINIT refuses: flipped signed bit, wrong measurement, bad q1, bad header, attribute mismatch', () => {
  const s = signed();
  for (const off of [5, 20, 900, SIGSTRUCT_ISVSVN_OFFSET, 1027, 600 /* signature */]) {
    const b = s.slice();
    b[off]! ^= 0x01;
    assert.equal(verifySigstructSignature(b), false, `flip at ${off}`);
    const r = einit(b, MRENCLAVE);
    assert.ok(!r.ok, `EINIT accepted flip at ${off}`);
  }
  const hdr = s.slice(); hdr[0]! ^= 1;
  const h = einit(hdr, MRENCLAVE);
  assert.ok(!h.ok && h.error === 'SGX_INVALID_SIG_STRUCT');
  const q = s.slice(); q[SIGSTRUCT_Q1_OFFSET]! ^= 1;
  const qr = einit(q, MRENCLAVE);
  assert.ok(!qr.ok && qr.error === 'SGX_INVALID_SIGNATURE');
  const sig = s.slice(); sig[600]! ^= 1;
  const sr = einit(sig, MRENCLAVE);
  assert.ok(!sr.ok && sr.error === 'SGX_INVALID_SIGNATURE');
  const m = einit(s, new Uint8Array(32));
  assert.ok(!m.ok && m.error === 'SGX_INVALID_MEASUREMENT');
  const a = einit(s, MRENCLAVE, { attributes: { flags: SGX_FLAGS_MODE64BIT | SGX_FLAGS_DEBUG, xfrm: 3n }, miscselect: 0 });
  assert.ok(!a.ok && a.error === 'SGX_INVALID_ATTRIBUTE');
  assert.ok(!einit(s.subarray(0, 100), MRENCLAVE).ok);
});

// ---- REPORT / EGETKEY model ----
function identity(mrenclave: Uint8Array, over: Partial<SgxEnclaveIdentity> = {}): SgxEnclaveIdentity {
  const r = einit(signed(), MRENCLAVE);
  assert.ok(r.ok);
  return { ...r.identity, mrenclave, ...over };
}
const A = identity(MRENCLAVE);
const B = identity(new Uint8Array(32).fill(0xbb));
const C = identity(new Uint8Array(32).fill(0xcc));
const RD = new Uint8Array(64).fill(0x42);

test('model constants from linux-sgx simulation', () => {
  assert.equal(new TextDecoder().decode(SIMU_OWNER_EPOCH_MSR), 'THISISOWNEREPOCH');
  assert.equal(toHex(DEFAULT_CPUSVN), '4820f3376ae6b2f2034d3b7a4b48a778');
  assert.equal(DD_SEAL_KEY_SIZE, 176);
  assert.deepEqual(simReportKeyId().subarray(0, 16), BASE_REPORT_KEY);
  const dd = reportKeyDerivationData(A.attributes, A.mrenclave, DEFAULT_CPUSVN, simReportKeyId());
  assert.equal(dd.length, 120);
  assert.deepEqual(dd.subarray(0, 2), Uint8Array.of(3, 0));
  assert.deepEqual(dd.subarray(2, 8), new Uint8Array(6)); // struct padding
});

test('REPORT/TARGETINFO/KEYREQUEST codecs round trip with named offsets', () => {
  const rep = ereport(A, targetInfoOf(B), RD);
  assert.equal(rep.length, SGX_REPORT_SIZE);
  assert.deepEqual(rep.subarray(REPORT_BODY_REPORTDATA_OFFSET, REPORT_BODY_REPORTDATA_OFFSET + 64), RD);
  assert.deepEqual(rep.subarray(REPORT_BODY_MRENCLAVE_OFFSET, REPORT_BODY_MRENCLAVE_OFFSET + 32), MRENCLAVE);
  assert.deepEqual(rep.subarray(REPORT_KEYID_OFFSET, REPORT_KEYID_OFFSET + 32), simReportKeyId());
  assert.deepEqual(encodeReport(decodeReport(rep)), rep);
  const ti = encodeTargetInfo({ ...targetInfoOf(B), miscselect: 0x12345678 });
  assert.equal(ti.length, 512);
  assert.equal(new DataView(ti.buffer).getUint32(TARGETINFO_MISCSELECT_OFFSET, true), 0x12345678);
  assert.deepEqual(encodeTargetInfo(decodeTargetInfo(ti)), ti);
  const kr = encodeKeyRequest(keyRequest({ keyname: SGX_KEYSELECT_SEAL, keypolicy: 2, isvsvn: 1, keyid: new Uint8Array(32).fill(9) }));
  assert.equal(kr.length, 512);
  assert.equal(kr[KEYREQUEST_KEYID_OFFSET], 9);
  assert.deepEqual(encodeKeyRequest(decodeKeyRequest(kr)), kr);
});

test('EREPORT MAC verifies for the right target, fails for another target and for any flipped bit', () => {
  const rep = ereport(A, targetInfoOf(B), RD);
  assert.ok(verifyReportMac(rep, B));
  assert.ok(!verifyReportMac(rep, C));
  assert.ok(!verifyReportMac(rep, A));
  for (let i = 0; i < rep.length; i++) {
    for (const bit of [0x01, 0x80]) {
      const b = rep.slice();
      b[i]! ^= bit;
      assert.ok(!verifyReportMac(b, B), `flip ${bit} at byte ${i} accepted`);
    }
  }
  // A different platform CPUSVN (another "machine") gives a different report key.
  assert.ok(!verifyReportMac(rep, B, { cpusvn: DOWNGRADED_CPUSVN }));
});

test('seal key: MRENCLAVE vs MRSIGNER policy behave as expected', () => {
  const seal = (id: SgxEnclaveIdentity, policy: number, isvsvn = 0) => {
    const r = egetkey(id, encodeKeyRequest(keyRequest({ keyname: SGX_KEYSELECT_SEAL, keypolicy: policy, isvsvn })));
    assert.ok(r.ok, r.ok ? '' : r.error);
    return toHex(r.key);
  };
  const sameSigner = identity(new Uint8Array(32).fill(0x11));
  const otherSigner = { ...sameSigner, mrsigner: new Uint8Array(32).fill(0x99) };
  // MRSIGNER policy: same key for two enclaves of the same signer; differs for another signer.
  assert.equal(seal(A, SGX_KEYPOLICY_MRSIGNER), seal(sameSigner, SGX_KEYPOLICY_MRSIGNER));
  assert.notEqual(seal(A, SGX_KEYPOLICY_MRSIGNER), seal(otherSigner, SGX_KEYPOLICY_MRSIGNER));
  // MRENCLAVE policy: differs between the two enclaves of the same signer.
  assert.notEqual(seal(A, SGX_KEYPOLICY_MRENCLAVE), seal(sameSigner, SGX_KEYPOLICY_MRENCLAVE));
  assert.equal(seal(A, SGX_KEYPOLICY_MRENCLAVE), seal({ ...A, mrsigner: new Uint8Array(32) }, SGX_KEYPOLICY_MRENCLAVE));
  assert.notEqual(seal(A, SGX_KEYPOLICY_MRENCLAVE), seal(A, SGX_KEYPOLICY_MRSIGNER));
  // Deterministic; a lower requested ISVSVN is allowed and gives another key.
  assert.equal(seal(A, SGX_KEYPOLICY_MRSIGNER, 3), seal(A, SGX_KEYPOLICY_MRSIGNER, 3));
  assert.notEqual(seal(A, SGX_KEYPOLICY_MRSIGNER, 2), seal(A, SGX_KEYPOLICY_MRSIGNER, 3));
});

test('EGETKEY refusals: isvsvn > secs.isvsvn, bad CPUSVN, reserved policy bits, reserved bytes, attributes, keyname', () => {
  const e = (kr: Parameters<typeof keyRequest>[0], id = A, platform?: { cpusvn: Uint8Array }) => {
    const r = egetkey(id, keyRequest(kr), platform);
    return r.ok ? 'ok' : r.error;
  };
  assert.equal(A.isvsvn, 3);
  assert.equal(e({ keyname: SGX_KEYSELECT_SEAL, keypolicy: 2, isvsvn: 4 }), 'EGETKEY_INVALID_ISVSVN');
  assert.equal(e({ keyname: SGX_KEYSELECT_SEAL, keypolicy: 2, isvsvn: 3 }), 'ok');
  assert.equal(e({ keyname: SGX_KEYSELECT_SEAL, keypolicy: 2, cpusvn: new Uint8Array(16).fill(1) }), 'EGETKEY_INVALID_CPUSVN');
  assert.equal(e({ keyname: SGX_KEYSELECT_SEAL, keypolicy: 2, cpusvn: UPGRADED_CPUSVN }), 'EGETKEY_INVALID_CPUSVN');
  assert.equal(e({ keyname: SGX_KEYSELECT_SEAL, keypolicy: 2, cpusvn: DOWNGRADED_CPUSVN }), 'ok');
  assert.equal(e({ keyname: SGX_KEYSELECT_SEAL, keypolicy: 2, cpusvn: DEFAULT_CPUSVN }, A, { cpusvn: DOWNGRADED_CPUSVN }), 'EGETKEY_INVALID_CPUSVN');
  assert.equal(e({ keyname: SGX_KEYSELECT_SEAL, keypolicy: SGX_KEYPOLICY_NOISVPRODID }), 'GP_RESERVED_KEYPOLICY');
  assert.equal(e({ keyname: SGX_KEYSELECT_SEAL, keypolicy: 2, reserved1: 1 }), 'GP_RESERVED_NONZERO');
  assert.equal(e({ keyname: SGX_KEYSELECT_PROVISION }), 'EGETKEY_INVALID_ATTRIBUTE');
  assert.equal(e({ keyname: 9 }), 'EGETKEY_INVALID_KEYNAME');
  // zero CPUSVN means DEFAULT_CPUSVN
  const z = egetkey(A, keyRequest({ keyname: SGX_KEYSELECT_SEAL, keypolicy: 1 }));
  const d = egetkey(A, keyRequest({ keyname: SGX_KEYSELECT_SEAL, keypolicy: 1, cpusvn: DEFAULT_CPUSVN }));
  assert.ok(z.ok && d.ok);
  assert.deepEqual(z.key, d.key);
  const rk = egetkey(B, keyRequest({ keyname: SGX_KEYSELECT_REPORT }));
  assert.ok(rk.ok && rk.key.length === 16);
});

test('teeos verify entry (SGX, with the target key model): any single flipped byte fails; wrong platform named', () => {
  const rep = ereport(A, targetInfoOf(B), RD);
  const req = { expectMeasurement: MRENCLAVE, expectReportData: RD, trustAnchors: { target: B, mrsigner: A.mrsigner } };
  assert.deepEqual(verify(rep, req), { ok: true });
  for (let i = 0; i < rep.length; i++) {
    const b = rep.slice();
    b[i]! ^= 0x01;
    assert.equal(verify(b, req).ok, false, `flip at byte ${i} accepted`);
  }
  const wrongTarget = verify(rep, { ...req, trustAnchors: { target: C } });
  assert.ok(!wrongTarget.ok && /MAC/.test(wrongTarget.reason));
  const wrongM = verify(ereport(C, targetInfoOf(B), RD), req);
  assert.ok(!wrongM.ok && /MRENCLAVE/.test(wrongM.reason));
  const wrongRd = verify(rep, { ...req, expectReportData: new Uint8Array(64) });
  assert.ok(!wrongRd.ok && /REPORTDATA/.test(wrongRd.reason));
  const ks = verify(new Uint8Array(1352), req);
  assert.ok(!ks.ok && /this is a Keystone report/.test(ks.reason));
  const sev = verify(new Uint8Array(1184), req);
  assert.ok(!sev.ok && /this is an AMD SEV-SNP report/.test(sev.reason));
  const t = verify(rep.subarray(0, 431), req);
  assert.ok(!t.ok && /truncated/.test(t.reason));
});
