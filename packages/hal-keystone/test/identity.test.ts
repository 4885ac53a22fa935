import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import {
  KeystoneEnclaveHasher, keystoneEnclaveHash, filePages, pageUp, RISCV_PGSIZE,
} from '../src/identity/measure.ts';
import {
  TEST_DEV_SECRET_KEY, TEST_DEV_PUBLIC_KEY, bootRom, bootSeed, smHash, smRegion, ed25519CreateKeypair,
  ed25519SignOrlp, ed25519Verify, ed25519PublicFromExpanded, SANCTUM_SM_SIZE,
} from '../src/identity/bootchain.ts';
import {
  createKeystoneReport, decodeKeystoneReport, encodeKeystoneReport, verifyKeystoneReport, checkSignaturesOnly,
  enclaveSignedMessage, keystoneReportToJson, KEYSTONE_REPORT_SIZE, ENCLAVE_DATA_LEN_OFFSET, ENCLAVE_DATA_OFFSET,
  ENCLAVE_SIGNATURE_OFFSET, SM_HASH_OFFSET, SM_PUBLIC_KEY_OFFSET, SM_SIGNATURE_OFFSET, DEV_PUBLIC_KEY_OFFSET,
  ATTEST_DATA_MAXLEN,
} from '../src/identity/report.ts';
import { deriveSealingKey, getSealingKey, encodeSealingKey, decodeSealingKey } from '../src/identity/sealing.ts';
import { verify, detectReportPlatform } from '../src/identity/verify.ts';
import { toHex, fromHex, concatBytes, u64le } from '../src/identity/bytes.ts';

interface Vector { name: string; expected: unknown; inputs?: Record<string, string> }
const vectors: Vector[] = JSON.parse(readFileSync(new URL('./fixtures/tee-vectors.json', import.meta.url), 'utf8')).vectors;
const vec = (name: string): Vector => {
  const v = vectors.find((x) => x.name === name);
  assert.ok(v, `vector ${name}`);
  return v;
};
const fill = (n: number, b: number) => new Uint8Array(n).fill(b);
const ascii = (s: string) => new TextEncoder().encode(s);

const loader = fill(100, 1);
const runtime = fill(5000, 2);
const eapp = fill(4096, 3);
const ENCLAVE_HASH = keystoneEnclaveHash(loader, runtime, eapp);
const boot = bootRom(fill(4096, 0), TEST_DEV_SECRET_KEY, TEST_DEV_PUBLIC_KEY);

test('keystone_enclave_hash: one-shot reproduces the vector', () => {
  assert.equal(toHex(ENCLAVE_HASH), vec('keystone_enclave_hash').expected);
});

test('keystone_enclave_hash: incremental page-by-page hasher equals one-shot', () => {
  const h = new KeystoneEnclaveHasher({ loader: pageUp(100), runtime: pageUp(5000), eapp: pageUp(4096) });
  assert.equal(h.pagesRemaining, 4);
  for (const f of [loader, runtime, eapp]) for (const p of filePages(f)) h.extendPage(p);
  assert.equal(toHex(h.finalize()), vec('keystone_enclave_hash').expected);
});

test('enclave hasher refuses wrong page counts and sizes', () => {
  assert.throws(() => new KeystoneEnclaveHasher({ loader: 100, runtime: 0, eapp: 0 }), RangeError);
  const h = KeystoneEnclaveHasher.forFiles(1, 0, 0);
  assert.throws(() => h.extendPage(new Uint8Array(100)), RangeError);
  assert.throws(() => h.finalize(), RangeError);
  h.extendPage(new Uint8Array(RISCV_PGSIZE));
  assert.throws(() => h.extendPage(new Uint8Array(RISCV_PGSIZE)), RangeError);
  assert.equal(h.finalize().length, 64);
  // Region boundaries matter: moving a page between regions changes the hash.
  const a = keystoneEnclaveHash(fill(4096, 0), fill(4096, 0), new Uint8Array(0));
  const b = keystoneEnclaveHash(fill(4096, 0), new Uint8Array(0), fill(4096, 0));
  assert.notEqual(toHex(a), toHex(b));
});

test('keystone_boot_chain: sm_hash, SM public key, SM signature reproduce the vector', () => {
  const e = vec('keystone_boot_chain').expected as Record<string, string>;
  assert.equal(toHex(boot.smHash), e.sm_hash);
  assert.equal(toHex(boot.smPublicKey), e.sm_public_key);
  assert.equal(toHex(boot.smSignature), e.sm_signature);
  assert.equal(toHex(TEST_DEV_SECRET_KEY), vec('keystone_boot_chain').inputs!.dev_sk_orlp_expanded);
  assert.equal(toHex(TEST_DEV_PUBLIC_KEY), vec('keystone_boot_chain').inputs!.dev_pk);
  assert.ok(ed25519Verify(boot.smSignature, concatBytes(boot.smHash, boot.smPublicKey), TEST_DEV_PUBLIC_KEY));
});

test('boot seed quirk: only the first byte of dev_sk and sm_hash matter', () => {
  const h2 = boot.smHash.slice();
  h2[5]! ^= 0xff;
  assert.deepEqual(bootSeed(TEST_DEV_SECRET_KEY, h2), boot.smSeed);
  h2[0]! ^= 1;
  assert.notDeepEqual(bootSeed(TEST_DEV_SECRET_KEY, h2), boot.smSeed);
});

test('test device key is consistent (pk = a*B) and orlp signing equals RFC 8032 from the seed', () => {
  assert.deepEqual(ed25519PublicFromExpanded(TEST_DEV_SECRET_KEY), TEST_DEV_PUBLIC_KEY);
  const seed = boot.smSeed;
  const kp = ed25519CreateKeypair(seed);
  assert.deepEqual(kp.publicKey, ed25519.getPublicKey(seed));
  const msg = ascii('hello keystone');
  assert.deepEqual(ed25519SignOrlp(msg, kp.publicKey, kp.privateKey), ed25519.sign(msg, seed));
  // orlp private key is clamp(SHA-512(seed))
  const h = sha512(seed);
  assert.deepEqual(kp.privateKey.subarray(32), h.subarray(32));
});

test('smRegion pads to sanctum_sm_size', () => {
  const r = smRegion(fill(10, 7));
  assert.equal(r.length, SANCTUM_SM_SIZE);
  assert.notEqual(toHex(smHash(r)), toHex(smHash(fill(10, 7))));
});

test('keystone_enclave_report_signature: enclave signature reproduces the vector', () => {
  const report = createKeystoneReport(boot, ENCLAVE_HASH, ascii('nonce'));
  const r = decodeKeystoneReport(report);
  assert.equal(toHex(r.enclave.signature), vec('keystone_enclave_report_signature').expected);
  assert.equal(r.enclave.dataLen, 5n);
  assert.deepEqual(enclaveSignedMessage(ENCLAVE_HASH, ascii('nonce')), concatBytes(ENCLAVE_HASH, u64le(5), ascii('nonce')));
});

test('report codec: layout offsets and round trip', () => {
  const report = createKeystoneReport(boot, ENCLAVE_HASH, ascii('nonce'));
  assert.equal(report.length, KEYSTONE_REPORT_SIZE);
  assert.deepEqual(report.subarray(0, 64), ENCLAVE_HASH);
  assert.deepEqual(report.subarray(ENCLAVE_DATA_LEN_OFFSET, ENCLAVE_DATA_LEN_OFFSET + 8), u64le(5));
  assert.deepEqual(report.subarray(ENCLAVE_DATA_OFFSET, ENCLAVE_DATA_OFFSET + 5), ascii('nonce'));
  assert.deepEqual(report.subarray(SM_HASH_OFFSET, SM_HASH_OFFSET + 64), boot.smHash);
  assert.deepEqual(report.subarray(SM_PUBLIC_KEY_OFFSET, SM_PUBLIC_KEY_OFFSET + 32), boot.smPublicKey);
  assert.deepEqual(report.subarray(SM_SIGNATURE_OFFSET, SM_SIGNATURE_OFFSET + 64), boot.smSignature);
  assert.deepEqual(report.subarray(DEV_PUBLIC_KEY_OFFSET), TEST_DEV_PUBLIC_KEY);
  assert.equal(ENCLAVE_SIGNATURE_OFFSET, 72 + ATTEST_DATA_MAXLEN);
  assert.deepEqual(encodeKeystoneReport(decodeKeystoneReport(report)), report);
  const json = JSON.parse(keystoneReportToJson(decodeKeystoneReport(report)));
  assert.equal(json.enclave.datalen, 5);
  assert.equal(json.enclave.data, toHex(ascii('nonce')));
  assert.equal(json.device_pubkey, toHex(TEST_DEV_PUBLIC_KEY));
});

test('report creation refuses data > ATTEST_DATA_MAXLEN; accepts exactly 1024', () => {
  assert.throws(() => createKeystoneReport(boot, ENCLAVE_HASH, new Uint8Array(1025)), RangeError);
  const r = createKeystoneReport(boot, ENCLAVE_HASH, fill(1024, 9));
  assert.ok(verifyKeystoneReport(r, { devPublicKey: TEST_DEV_PUBLIC_KEY }).ok);
});

test('verifier names exactly what failed', () => {
  const good = createKeystoneReport(boot, ENCLAVE_HASH, ascii('nonce'));
  const opts = { devPublicKey: TEST_DEV_PUBLIC_KEY, expectedEnclaveHash: ENCLAVE_HASH, expectedSmHash: boot.smHash };
  const ok = verifyKeystoneReport(good, opts);
  assert.ok(ok.ok);
  assert.deepEqual(ok.ok && ok.data, ascii('nonce'));
  assert.ok(checkSignaturesOnly(good, TEST_DEV_PUBLIC_KEY).ok);

  const failures = (b: Uint8Array, o = opts) => {
    const r = verifyKeystoneReport(b, o);
    return r.ok ? [] : r.failures;
  };
  assert.deepEqual(failures(good.subarray(0, 1351)), ['truncated']);
  assert.deepEqual(failures(concatBytes(good, new Uint8Array(1))), ['oversized']);
  const bad = (off: number, x = 1) => { const b = good.slice(); b[off]! ^= x; return b; };
  assert.deepEqual(failures(bad(ENCLAVE_SIGNATURE_OFFSET)), ['bad-enclave-signature']);
  assert.deepEqual(failures(bad(SM_SIGNATURE_OFFSET + 3)), ['bad-sm-signature']);
  assert.deepEqual(failures(bad(SM_HASH_OFFSET)), ['bad-sm-signature', 'wrong-sm-hash']);
  assert.deepEqual(failures(bad(3)), ['bad-enclave-signature', 'wrong-enclave-hash']);
  assert.deepEqual(failures(bad(ENCLAVE_DATA_OFFSET + 700)), ['nonzero-data-padding']);
  assert.deepEqual(failures(bad(DEV_PUBLIC_KEY_OFFSET)), ['device-key-mismatch']);
  const big = good.slice(); big.set(u64le(1025), ENCLAVE_DATA_LEN_OFFSET);
  assert.deepEqual(failures(big), ['data-len-too-large']);
  assert.deepEqual(failures(good, { ...opts, expectedEnclaveHash: new Uint8Array(64) }), ['wrong-enclave-hash']);
  assert.deepEqual(failures(good, { ...opts, expectedSmHash: new Uint8Array(64) }), ['wrong-sm-hash']);
  assert.deepEqual(failures(good, { ...opts, devPublicKey: ed25519.getPublicKey(new Uint8Array(32)) }), [
    'device-key-mismatch', 'bad-sm-signature',
  ]);
  // A report by a different SM (other key, other hash) but signed by the same device verifies
  // its signatures, and is caught by the SM hash pin.
  const otherSm = bootRom(fill(4096, 1), TEST_DEV_SECRET_KEY, TEST_DEV_PUBLIC_KEY);
  const other = createKeystoneReport(otherSm, ENCLAVE_HASH, ascii('nonce'));
  assert.deepEqual(failures(other), ['wrong-sm-hash']);
});

test('teeos verify entry: flipping any single byte of a valid report makes it fail', () => {
  const good = createKeystoneReport(boot, ENCLAVE_HASH, ascii('nonce'));
  const req = {
    expectMeasurement: ENCLAVE_HASH,
    expectReportData: ascii('nonce'),
    trustAnchors: { devicePublicKey: TEST_DEV_PUBLIC_KEY, smHash: boot.smHash },
  };
  assert.deepEqual(verify(good, req), { ok: true });
  for (let i = 0; i < good.length; i++) {
    const b = good.slice();
    b[i]! ^= 0x01;
    const r = verify(b, req);
    assert.equal(r.ok, false, `flip at byte ${i} accepted`);
  }
  const wrongData = verify(good, { ...req, expectReportData: ascii('nonc3') });
  assert.ok(!wrongData.ok && /expected report data/.test(wrongData.reason));
});

test('teeos verify entry: other platforms detected by size', () => {
  const req = { expectMeasurement: ENCLAVE_HASH, trustAnchors: { devicePublicKey: TEST_DEV_PUBLIC_KEY } };
  const sgx = verify(new Uint8Array(432), req);
  assert.ok(!sgx.ok && /this is an Intel SGX report/.test(sgx.reason));
  const sev = verify(new Uint8Array(1184), req);
  assert.ok(!sev.ok && /this is an AMD SEV-SNP report/.test(sev.reason));
  const junk = verify(new Uint8Array(100), req);
  assert.ok(!junk.ok && /truncated/.test(junk.reason));
  assert.equal(detectReportPlatform(new Uint8Array(1352)), 'keystone');
});

test('keystone_sealing_key_placeholder_ikm reproduces the vector', () => {
  const ikm = Uint8Array.from({ length: 64 }, (_, i) => i);
  const key = deriveSealingKey(ikm, ENCLAVE_HASH, ascii('sealing-key-id'));
  assert.equal(toHex(key), vec('keystone_sealing_key_placeholder_ikm').expected);
});

test('keystone_sealing_key_real: IKM = SM expanded private key; struct sealing_key signed by the SM', () => {
  const sk = getSealingKey(boot, ENCLAVE_HASH, ascii('sealing-key-id'));
  assert.equal(toHex(sk.key), vec('keystone_sealing_key_real').expected);
  assert.ok(ed25519Verify(sk.signature, sk.key, boot.smPublicKey));
  const enc = encodeSealingKey(sk);
  assert.equal(enc.length, 192);
  assert.deepEqual(decodeSealingKey(enc), sk);
  // Different enclave or different identifier -> different key.
  assert.notDeepEqual(deriveSealingKey(boot.smPrivateKey, new Uint8Array(64), ascii('sealing-key-id')), sk.key);
  assert.notDeepEqual(deriveSealingKey(boot.smPrivateKey, ENCLAVE_HASH, ascii('sealing-key-iD')), sk.key);
  assert.equal(fromHex(toHex(sk.key)).length, 128);
});
