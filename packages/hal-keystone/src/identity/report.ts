// Keystone attestation report: codec, creation, verification.
//
// Models keystone-enclave/keystone sm/src/enclave.h (struct report / enclave_report / sm_report),
// sm/src/enclave.c:attest_enclave and sdk/src/verifier/Report.cpp (Report::checkSignaturesOnly,
// Report::verify). The report is 1352 bytes:
//
//   struct enclave_report { byte hash[MDSIZE]; uint64_t data_len; byte data[ATTEST_DATA_MAXLEN];
//                           byte signature[SIGNATURE_SIZE]; };                    // 1160 bytes
//   struct sm_report      { byte hash[MDSIZE]; byte public_key[PUBLIC_KEY_SIZE];
//                           byte signature[SIGNATURE_SIZE]; };                    // 160 bytes
//   struct report         { struct enclave_report enclave; struct sm_report sm;
//                           byte dev_public_key[PUBLIC_KEY_SIZE]; };              // 1352 bytes
//
// enclave.signature = Ed25519_SM(hash || u64le data_len || data[0..data_len])  (sm_sign in attest_enclave)
// sm.signature      = Ed25519_dev(sm.hash || sm.public_key)                      (boot ROM)
//
// Departures (stricter than Report.cpp, each for a reason):
//  - attest_enclave builds the report on the SM stack without clearing it, so data[data_len..1024]
//    is whatever was there; this model zeroes it and the verifier REFUSES non-zero padding, so no
//    byte of an accepted report is unauthenticated.
//  - Report::checkSignaturesOnly verifies sm.signature with the caller's device key and never looks
//    at the report's dev_public_key field; this verifier also requires that field to equal the
//    trusted device key (otherwise it would be an unauthenticated field).
//  - data_len > ATTEST_DATA_MAXLEN is refused (Report.cpp would read past the data array).

import { concatBytes, readU64le, requireLength, u64le, bytesEqual, toHex } from './bytes.ts';
import { MDSIZE } from './measure.ts';
import { PUBLIC_KEY_SIZE, SIGNATURE_SIZE, PRIVATE_KEY_SIZE, ed25519SignOrlp, ed25519Verify } from './bootchain.ts';

export const ATTEST_DATA_MAXLEN = 1024;

// Layout offsets within the 1352-byte struct report.
export const ENCLAVE_HASH_OFFSET = 0;
export const ENCLAVE_DATA_LEN_OFFSET = 64;
export const ENCLAVE_DATA_OFFSET = 72;
export const ENCLAVE_SIGNATURE_OFFSET = 1096;
export const SM_HASH_OFFSET = 1160;
export const SM_PUBLIC_KEY_OFFSET = 1224;
export const SM_SIGNATURE_OFFSET = 1256;
export const DEV_PUBLIC_KEY_OFFSET = 1320;
export const ENCLAVE_REPORT_SIZE = 1160;
export const SM_REPORT_SIZE = 160;
export const KEYSTONE_REPORT_SIZE = 1352;

export interface KeystoneReport {
  enclave: {
    hash: Uint8Array; // 64
    /** u64 as stored; may exceed ATTEST_DATA_MAXLEN in a hostile report. */
    dataLen: bigint;
    /** The whole 1024-byte data array (including padding after dataLen). */
    data: Uint8Array;
    signature: Uint8Array; // 64
  };
  sm: {
    hash: Uint8Array; // 64
    publicKey: Uint8Array; // 32
    signature: Uint8Array; // 64
  };
  devPublicKey: Uint8Array; // 32
}

export function encodeKeystoneReport(r: KeystoneReport): Uint8Array {
  requireLength(r.enclave.hash, MDSIZE, 'enclave.hash');
  requireLength(r.enclave.data, ATTEST_DATA_MAXLEN, 'enclave.data');
  requireLength(r.enclave.signature, SIGNATURE_SIZE, 'enclave.signature');
  requireLength(r.sm.hash, MDSIZE, 'sm.hash');
  requireLength(r.sm.publicKey, PUBLIC_KEY_SIZE, 'sm.public_key');
  requireLength(r.sm.signature, SIGNATURE_SIZE, 'sm.signature');
  requireLength(r.devPublicKey, PUBLIC_KEY_SIZE, 'dev_public_key');
  const out = new Uint8Array(KEYSTONE_REPORT_SIZE);
  out.set(r.enclave.hash, ENCLAVE_HASH_OFFSET);
  out.set(u64le(r.enclave.dataLen), ENCLAVE_DATA_LEN_OFFSET);
  out.set(r.enclave.data, ENCLAVE_DATA_OFFSET);
  out.set(r.enclave.signature, ENCLAVE_SIGNATURE_OFFSET);
  out.set(r.sm.hash, SM_HASH_OFFSET);
  out.set(r.sm.publicKey, SM_PUBLIC_KEY_OFFSET);
  out.set(r.sm.signature, SM_SIGNATURE_OFFSET);
  out.set(r.devPublicKey, DEV_PUBLIC_KEY_OFFSET);
  return out;
}

/** Decode exactly 1352 bytes (throws RangeError otherwise). Fields are copies. */
export function decodeKeystoneReport(b: Uint8Array): KeystoneReport {
  requireLength(b, KEYSTONE_REPORT_SIZE, 'keystone report');
  const s = (off: number, n: number) => b.slice(off, off + n);
  return {
    enclave: {
      hash: s(ENCLAVE_HASH_OFFSET, MDSIZE),
      dataLen: readU64le(b, ENCLAVE_DATA_LEN_OFFSET),
      data: s(ENCLAVE_DATA_OFFSET, ATTEST_DATA_MAXLEN),
      signature: s(ENCLAVE_SIGNATURE_OFFSET, SIGNATURE_SIZE),
    },
    sm: {
      hash: s(SM_HASH_OFFSET, MDSIZE),
      publicKey: s(SM_PUBLIC_KEY_OFFSET, PUBLIC_KEY_SIZE),
      signature: s(SM_SIGNATURE_OFFSET, SIGNATURE_SIZE),
    },
    devPublicKey: s(DEV_PUBLIC_KEY_OFFSET, PUBLIC_KEY_SIZE),
  };
}

/** The bytes the SM signs for the enclave part: hash || u64le data_len || data[0..data_len]. */
export function enclaveSignedMessage(enclaveHash: Uint8Array, data: Uint8Array): Uint8Array {
  requireLength(enclaveHash, MDSIZE, 'enclave hash');
  if (data.length > ATTEST_DATA_MAXLEN) throw new RangeError(`attestation data ${data.length} > ATTEST_DATA_MAXLEN`);
  return concatBytes(enclaveHash, u64le(data.length), data);
}

/** The SM's attestation identity (what attest_enclave copies in, plus the signing key). */
export interface SmAttestationKeys {
  smHash: Uint8Array;
  smPublicKey: Uint8Array;
  /** 64-byte orlp private key. */
  smPrivateKey: Uint8Array;
  smSignature: Uint8Array;
  devPublicKey: Uint8Array;
}

/** attest_enclave: the 1352-byte report for `enclaveHash` and up to 1024 bytes of `data`. */
export function createKeystoneReport(sm: SmAttestationKeys, enclaveHash: Uint8Array, data: Uint8Array): Uint8Array {
  requireLength(sm.smPrivateKey, PRIVATE_KEY_SIZE, 'SM private key');
  const msg = enclaveSignedMessage(enclaveHash, data); // checks the size (SBI_ERR_SM_ENCLAVE_ILLEGAL_ARGUMENT)
  const padded = new Uint8Array(ATTEST_DATA_MAXLEN);
  padded.set(data);
  return encodeKeystoneReport({
    enclave: {
      hash: enclaveHash.slice(),
      dataLen: BigInt(data.length),
      data: padded,
      signature: ed25519SignOrlp(msg, sm.smPublicKey, sm.smPrivateKey),
    },
    sm: { hash: sm.smHash.slice(), publicKey: sm.smPublicKey.slice(), signature: sm.smSignature.slice() },
    devPublicKey: sm.devPublicKey.slice(),
  });
}

/** What a Keystone report verification can find wrong. */
export type KeystoneReportFailure =
  | 'truncated' // fewer than 1352 bytes
  | 'oversized' // more than 1352 bytes
  | 'data-len-too-large' // enclave.data_len > ATTEST_DATA_MAXLEN
  | 'nonzero-data-padding' // bytes after data_len are not zero (unauthenticated)
  | 'device-key-mismatch' // report.dev_public_key != the trusted device key
  | 'bad-sm-signature'
  | 'bad-enclave-signature'
  | 'wrong-enclave-hash'
  | 'wrong-sm-hash'
  | 'wrong-report-data';

export type KeystoneReportCheck =
  | { ok: true; report: KeystoneReport; data: Uint8Array }
  | { ok: false; failures: KeystoneReportFailure[]; reason: string };

export interface KeystoneVerifyOptions {
  /** The trusted device public key (trust anchor). */
  devPublicKey: Uint8Array;
  expectedEnclaveHash?: Uint8Array;
  expectedSmHash?: Uint8Array;
  /** Exact expected data[0..data_len]. */
  expectedData?: Uint8Array;
}

const FAILURE_TEXT: Record<KeystoneReportFailure, string> = {
  truncated: 'report is truncated',
  oversized: 'report is oversized',
  'data-len-too-large': `enclave data_len exceeds ATTEST_DATA_MAXLEN (${ATTEST_DATA_MAXLEN})`,
  'nonzero-data-padding': 'enclave data after data_len is not zero',
  'device-key-mismatch': 'report dev_public_key is not the trusted device key',
  'bad-sm-signature': 'SM signature (by the device key over sm.hash || sm.public_key) does not verify',
  'bad-enclave-signature': 'enclave signature (by the SM key over hash || data_len || data) does not verify',
  'wrong-enclave-hash': 'enclave hash differs from the expected measurement',
  'wrong-sm-hash': 'SM hash differs from the expected SM measurement',
  'wrong-report-data': 'enclave data differs from the expected report data',
};

function fail(failures: KeystoneReportFailure[], extra = ''): KeystoneReportCheck {
  return { ok: false, failures, reason: failures.map((f) => FAILURE_TEXT[f]).join('; ') + extra };
}

/**
 * Report::checkSignaturesOnly + Report::verify, returning every check that failed.
 * Order of checks: shape (size, data_len, padding), device key, signatures, expected values.
 */
export function verifyKeystoneReport(bytes: Uint8Array, opts: KeystoneVerifyOptions): KeystoneReportCheck {
  if (bytes.length < KEYSTONE_REPORT_SIZE) return fail(['truncated'], ` (${bytes.length} < ${KEYSTONE_REPORT_SIZE} bytes)`);
  if (bytes.length > KEYSTONE_REPORT_SIZE) return fail(['oversized'], ` (${bytes.length} > ${KEYSTONE_REPORT_SIZE} bytes)`);
  const r = decodeKeystoneReport(bytes);
  if (r.enclave.dataLen > BigInt(ATTEST_DATA_MAXLEN)) return fail(['data-len-too-large'], ` (data_len ${r.enclave.dataLen})`);
  const len = Number(r.enclave.dataLen);
  const failures: KeystoneReportFailure[] = [];
  if (r.enclave.data.subarray(len).some((x) => x !== 0)) failures.push('nonzero-data-padding');
  if (!bytesEqual(r.devPublicKey, opts.devPublicKey)) failures.push('device-key-mismatch');
  if (!ed25519Verify(r.sm.signature, concatBytes(r.sm.hash, r.sm.publicKey), opts.devPublicKey)) failures.push('bad-sm-signature');
  const data = r.enclave.data.slice(0, len);
  if (!ed25519Verify(r.enclave.signature, enclaveSignedMessage(r.enclave.hash, data), r.sm.publicKey)) {
    failures.push('bad-enclave-signature');
  }
  if (opts.expectedEnclaveHash && !bytesEqual(opts.expectedEnclaveHash, r.enclave.hash)) failures.push('wrong-enclave-hash');
  if (opts.expectedSmHash && !bytesEqual(opts.expectedSmHash, r.sm.hash)) failures.push('wrong-sm-hash');
  if (opts.expectedData && !bytesEqual(opts.expectedData, data)) failures.push('wrong-report-data');
  if (failures.length) return fail(failures);
  return { ok: true, report: r, data };
}

/** Report::checkSignaturesOnly equivalent (signatures and shape only). */
export function checkSignaturesOnly(bytes: Uint8Array, devPublicKey: Uint8Array): KeystoneReportCheck {
  return verifyKeystoneReport(bytes, { devPublicKey });
}

/** Report::stringfy: the SDK's JSON form (hex strings; datalen as a number). */
export function keystoneReportToJson(r: KeystoneReport): string {
  if (r.enclave.dataLen > BigInt(ATTEST_DATA_MAXLEN)) return '{ "error" : "invalid data length" }';
  const len = Number(r.enclave.dataLen);
  return JSON.stringify({
    device_pubkey: toHex(r.devPublicKey),
    security_monitor: { hash: toHex(r.sm.hash), pubkey: toHex(r.sm.publicKey), signature: toHex(r.sm.signature) },
    enclave: {
      hash: toHex(r.enclave.hash),
      datalen: len,
      data: toHex(r.enclave.data.subarray(0, len)),
      signature: toHex(r.enclave.signature),
    },
  });
}
