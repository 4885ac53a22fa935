// SIGSTRUCT: the enclave signature structure (1808 bytes), its RSA-3072 signature, MRSIGNER, and
// the EINIT check.
//
// Models gramineproject/gramine python/graminelibos/sigstruct.py (Sigstruct.to_bytes / sign /
// verify), pal/src/host/linux-sgx/sgx_arch.h (sgx_sigstruct_t), python/gramine-sgx-sigstruct-view
// (MRSIGNER = SHA-256 of the modulus as stored) and the Intel SDM vol. 3D EINIT pseudo-code
// (signature, measurement and attribute checks; error names SGX_INVALID_*).
//
// Signing: RSA-3072, e = 3, RSASSA-PKCS1-v1_5 with SHA-256 over bytes[0:128] || bytes[900:1028];
// modulus, signature, q1, q2 stored little-endian (384 bytes each);
//   q1 = floor(s^2 / n), q2 = floor((s^3 - q1*s*n) / n) = floor((s^2 mod n) * s / n).
// The signer takes (n, d) as bigints so it is pure; key generation is host-side (./host/keygen.ts).
// BigInt modpow is used unless the key brings a native private operation (host start-up).

import { sha256 } from '@noble/hashes/sha2.js';
import {
  bigintToBe, bigintToLe, beToBigint, bytesEqual, concatBytes, fromHex, leToBigint, requireLength, u16le, u32le, u64le, view,
} from './bytes.ts';

export const SIGSTRUCT_SIZE = 1808;
export const SE_KEY_SIZE = 384; // RSA-3072 modulus bytes
export const SGX_RSA_EXPONENT = 3;
/** SIGSTRUCT.HEADER and HEADER2 (SDM 34.13; gramine sigstruct.py). */
export const SIGSTRUCT_HEADER = fromHex('06000000e10000000000010000000000');
export const SIGSTRUCT_HEADER2 = fromHex('01010000600000006000000001000000');
export const SIGSTRUCT_VENDOR_INTEL = 0x8086;

// Offsets (sgx_arch.h sgx_sigstruct_t)
export const SIGSTRUCT_HEADER_OFFSET = 0;
export const SIGSTRUCT_VENDOR_OFFSET = 16;
export const SIGSTRUCT_DATE_OFFSET = 20;
export const SIGSTRUCT_HEADER2_OFFSET = 24;
export const SIGSTRUCT_SWDEFINED_OFFSET = 40;
export const SIGSTRUCT_MODULUS_OFFSET = 128;
export const SIGSTRUCT_EXPONENT_OFFSET = 512;
export const SIGSTRUCT_SIGNATURE_OFFSET = 516;
export const SIGSTRUCT_MISCSELECT_OFFSET = 900;
export const SIGSTRUCT_MISCMASK_OFFSET = 904;
export const SIGSTRUCT_CET_ATTR_OFFSET = 908;
export const SIGSTRUCT_CET_MASK_OFFSET = 909;
export const SIGSTRUCT_ISVFAMILYID_OFFSET = 912;
export const SIGSTRUCT_ATTRIBUTES_OFFSET = 928;
export const SIGSTRUCT_ATTRIBUTE_MASK_OFFSET = 944;
export const SIGSTRUCT_ENCLAVEHASH_OFFSET = 960;
export const SIGSTRUCT_ISVEXTPRODID_OFFSET = 1008;
export const SIGSTRUCT_ISVPRODID_OFFSET = 1024;
export const SIGSTRUCT_ISVSVN_OFFSET = 1026;
export const SIGSTRUCT_Q1_OFFSET = 1040;
export const SIGSTRUCT_Q2_OFFSET = 1424;
/** The signed ranges: [0, 128) and [900, 1028). */
export const SIGSTRUCT_SIGNED_RANGES: readonly (readonly [number, number])[] = [[0, 128], [900, 1028]];

/** SGX ATTRIBUTES.FLAGS bits (SDM 34.7.1). */
export const SGX_FLAGS_INITTED = 0x1n;
export const SGX_FLAGS_DEBUG = 0x2n;
export const SGX_FLAGS_MODE64BIT = 0x4n;
export const SGX_FLAGS_PROVISION_KEY = 0x10n;
export const SGX_FLAGS_EINITTOKEN_KEY = 0x20n;
export const SGX_FLAGS_KSS = 0x80n;

export interface SgxAttributes {
  flags: bigint;
  xfrm: bigint;
}

/** The fields an enclave author chooses (everything but the key material). */
export interface SigstructBody {
  vendor: number; // 0 or 0x8086
  /** BCD date as the u32 gramine writes: 0xYYYYMMDD (e.g. 0x20230414). */
  date: number;
  swdefined: number;
  miscselect: number;
  miscmask: number;
  cetAttributes: number;
  cetAttributesMask: number;
  isvfamilyid: Uint8Array; // 16
  attributes: SgxAttributes;
  attributeMask: SgxAttributes;
  enclavehash: Uint8Array; // 32
  isvextprodid: Uint8Array; // 16
  isvprodid: number;
  isvsvn: number;
}

export interface Sigstruct extends SigstructBody {
  header: Uint8Array; // 16
  header2: Uint8Array; // 16
  modulus: bigint;
  exponent: number;
  signature: bigint;
  q1: bigint;
  q2: bigint;
}

/** The BCD date word: bcdDate(2023, 4, 14) = 0x20230414 (stored LE: 14 04 23 20). */
export function bcdDate(year: number, month: number, day: number): number {
  const s = `${String(year).padStart(4, '0')}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
  return parseInt(s, 16) >>> 0;
}

export function defaultSigstructBody(enclavehash: Uint8Array): SigstructBody {
  return {
    vendor: 0,
    date: bcdDate(2024, 1, 1),
    swdefined: 0,
    miscselect: 0,
    miscmask: 0xffffffff,
    cetAttributes: 0,
    cetAttributesMask: 0,
    isvfamilyid: new Uint8Array(16),
    attributes: { flags: SGX_FLAGS_MODE64BIT, xfrm: 0x3n },
    attributeMask: { flags: 0xffffffffffffffffn, xfrm: 0xfffffffffff9ff1bn },
    enclavehash,
    isvextprodid: new Uint8Array(16),
    isvprodid: 0,
    isvsvn: 0,
  };
}

function putAttributes(b: Uint8Array, off: number, a: SgxAttributes): void {
  b.set(u64le(a.flags), off);
  b.set(u64le(a.xfrm), off + 8);
}

function getAttributes(b: Uint8Array, off: number): SgxAttributes {
  const v = view(b);
  return { flags: v.getBigUint64(off, true), xfrm: v.getBigUint64(off + 8, true) };
}

/** Encode a SIGSTRUCT (all fields, including the key material). */
export function encodeSigstruct(s: Sigstruct): Uint8Array {
  requireLength(s.header, 16, 'header');
  requireLength(s.header2, 16, 'header2');
  requireLength(s.isvfamilyid, 16, 'isvfamilyid');
  requireLength(s.enclavehash, 32, 'enclavehash');
  requireLength(s.isvextprodid, 16, 'isvextprodid');
  const b = new Uint8Array(SIGSTRUCT_SIZE);
  b.set(s.header, SIGSTRUCT_HEADER_OFFSET);
  b.set(u32le(s.vendor), SIGSTRUCT_VENDOR_OFFSET);
  b.set(u32le(s.date), SIGSTRUCT_DATE_OFFSET);
  b.set(s.header2, SIGSTRUCT_HEADER2_OFFSET);
  b.set(u32le(s.swdefined), SIGSTRUCT_SWDEFINED_OFFSET);
  b.set(bigintToLe(s.modulus, SE_KEY_SIZE), SIGSTRUCT_MODULUS_OFFSET);
  b.set(u32le(s.exponent), SIGSTRUCT_EXPONENT_OFFSET);
  b.set(bigintToLe(s.signature, SE_KEY_SIZE), SIGSTRUCT_SIGNATURE_OFFSET);
  b.set(u32le(s.miscselect), SIGSTRUCT_MISCSELECT_OFFSET);
  b.set(u32le(s.miscmask), SIGSTRUCT_MISCMASK_OFFSET);
  b[SIGSTRUCT_CET_ATTR_OFFSET] = s.cetAttributes & 0xff;
  b[SIGSTRUCT_CET_MASK_OFFSET] = s.cetAttributesMask & 0xff;
  b.set(s.isvfamilyid, SIGSTRUCT_ISVFAMILYID_OFFSET);
  putAttributes(b, SIGSTRUCT_ATTRIBUTES_OFFSET, s.attributes);
  putAttributes(b, SIGSTRUCT_ATTRIBUTE_MASK_OFFSET, s.attributeMask);
  b.set(s.enclavehash, SIGSTRUCT_ENCLAVEHASH_OFFSET);
  b.set(s.isvextprodid, SIGSTRUCT_ISVEXTPRODID_OFFSET);
  b.set(u16le(s.isvprodid), SIGSTRUCT_ISVPRODID_OFFSET);
  b.set(u16le(s.isvsvn), SIGSTRUCT_ISVSVN_OFFSET);
  b.set(bigintToLe(s.q1, SE_KEY_SIZE), SIGSTRUCT_Q1_OFFSET);
  b.set(bigintToLe(s.q2, SE_KEY_SIZE), SIGSTRUCT_Q2_OFFSET);
  return b;
}

export function decodeSigstruct(b: Uint8Array): Sigstruct {
  requireLength(b, SIGSTRUCT_SIZE, 'SIGSTRUCT');
  const v = view(b);
  const s = (off: number, n: number) => b.slice(off, off + n);
  return {
    header: s(SIGSTRUCT_HEADER_OFFSET, 16),
    vendor: v.getUint32(SIGSTRUCT_VENDOR_OFFSET, true),
    date: v.getUint32(SIGSTRUCT_DATE_OFFSET, true),
    header2: s(SIGSTRUCT_HEADER2_OFFSET, 16),
    swdefined: v.getUint32(SIGSTRUCT_SWDEFINED_OFFSET, true),
    modulus: leToBigint(s(SIGSTRUCT_MODULUS_OFFSET, SE_KEY_SIZE)),
    exponent: v.getUint32(SIGSTRUCT_EXPONENT_OFFSET, true),
    signature: leToBigint(s(SIGSTRUCT_SIGNATURE_OFFSET, SE_KEY_SIZE)),
    miscselect: v.getUint32(SIGSTRUCT_MISCSELECT_OFFSET, true),
    miscmask: v.getUint32(SIGSTRUCT_MISCMASK_OFFSET, true),
    cetAttributes: b[SIGSTRUCT_CET_ATTR_OFFSET]!,
    cetAttributesMask: b[SIGSTRUCT_CET_MASK_OFFSET]!,
    isvfamilyid: s(SIGSTRUCT_ISVFAMILYID_OFFSET, 16),
    attributes: getAttributes(b, SIGSTRUCT_ATTRIBUTES_OFFSET),
    attributeMask: getAttributes(b, SIGSTRUCT_ATTRIBUTE_MASK_OFFSET),
    enclavehash: s(SIGSTRUCT_ENCLAVEHASH_OFFSET, 32),
    isvextprodid: s(SIGSTRUCT_ISVEXTPRODID_OFFSET, 16),
    isvprodid: v.getUint16(SIGSTRUCT_ISVPRODID_OFFSET, true),
    isvsvn: v.getUint16(SIGSTRUCT_ISVSVN_OFFSET, true),
    q1: leToBigint(s(SIGSTRUCT_Q1_OFFSET, SE_KEY_SIZE)),
    q2: leToBigint(s(SIGSTRUCT_Q2_OFFSET, SE_KEY_SIZE)),
  };
}

/** The signed message: bytes[0:128] || bytes[900:1028]. */
export function sigstructSignedData(b: Uint8Array): Uint8Array {
  requireLength(b, SIGSTRUCT_SIZE, 'SIGSTRUCT');
  return concatBytes(...SIGSTRUCT_SIGNED_RANGES.map(([a, z]) => b.subarray(a, z)));
}

/** DER DigestInfo prefix for SHA-256 (RFC 8017 9.2 note 1). */
const SHA256_DIGEST_INFO = fromHex('3031300d060960864801650304020105000420');

/** EMSA-PKCS1-v1_5 encoding of SHA-256(message) into k bytes (RFC 8017 9.2). */
export function emsaPkcs1v15Sha256(message: Uint8Array, k = SE_KEY_SIZE): Uint8Array {
  const t = concatBytes(SHA256_DIGEST_INFO, sha256(message));
  if (k < t.length + 11) throw new RangeError('intended encoded message length too short');
  const em = new Uint8Array(k).fill(0xff);
  em[0] = 0x00;
  em[1] = 0x01;
  em[k - t.length - 1] = 0x00;
  em.set(t, k - t.length);
  return em;
}

export function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  if (mod === 1n) return 0n;
  let r = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % mod;
    e >>= 1n;
    if (e > 0n) b = (b * b) % mod;
  }
  return r;
}

/** q1 = floor(s^2 / n), q2 = floor((s^3 - q1*s*n) / n). */
export function computeQ1Q2(s: bigint, n: bigint): { q1: bigint; q2: bigint } {
  const s2 = s * s;
  const q1 = s2 / n;
  const q2 = (s2 * s - q1 * s * n) / n;
  return { q1, q2 };
}

/** MRSIGNER = SHA-256(modulus as stored in SIGSTRUCT: 384 bytes little-endian). */
export function mrsignerOf(modulus: bigint): Uint8Array {
  return sha256(bigintToLe(modulus, SE_KEY_SIZE));
}

export interface RsaSigningKey {
  /** Modulus (3072 bits). */
  n: bigint;
  /** Private exponent. */
  d: bigint;
  /**
   * The same private operation (m^d mod n, big-endian, SE_KEY_SIZE bytes in and out) done
   * natively where the host has it (OpenSSL: ~3 ms against ~250 ms of BigInt modpow). Optional.
   */
  privateOp?: (m: Uint8Array) => Uint8Array;
}

/** Build and sign a SIGSTRUCT (pure: RSA by BigInt modpow with the caller's (n, d)). */
export function signSigstruct(body: SigstructBody, key: RsaSigningKey): Uint8Array {
  if (key.n >> 3071n !== 1n) throw new RangeError('signing key modulus is not 3072 bits');
  const unsigned: Sigstruct = {
    ...body,
    header: SIGSTRUCT_HEADER,
    header2: SIGSTRUCT_HEADER2,
    modulus: key.n,
    exponent: SGX_RSA_EXPONENT,
    signature: 0n,
    q1: 0n,
    q2: 0n,
  };
  const bytes = encodeSigstruct(unsigned);
  const em = emsaPkcs1v15Sha256(sigstructSignedData(bytes));
  const m = beToBigint(em);
  const s = key.privateOp ? beToBigint(key.privateOp(em)) : modPow(m, key.d, key.n);
  if (modPow(s, BigInt(SGX_RSA_EXPONENT), key.n) !== m) throw new Error('signSigstruct: (n, d) is not an e=3 RSA key pair');
  const { q1, q2 } = computeQ1Q2(s, key.n);
  return encodeSigstruct({ ...unsigned, signature: s, q1, q2 });
}

/** RSASSA-PKCS1-v1_5 verification of the SIGSTRUCT signature with its own modulus and e = 3. */
export function verifySigstructSignature(b: Uint8Array): boolean {
  if (b.length !== SIGSTRUCT_SIZE) return false;
  const s = decodeSigstruct(b);
  if (s.exponent !== SGX_RSA_EXPONENT || s.modulus >> 3071n !== 1n || s.signature >= s.modulus) return false;
  const em = bigintToBe(modPow(s.signature, 3n, s.modulus), SE_KEY_SIZE);
  return bytesEqual(em, emsaPkcs1v15Sha256(sigstructSignedData(b)));
}

/** EINIT failure reasons (SDM EINIT error codes, plus the model's shape check). */
export type EinitFailure =
  | 'SGX_INVALID_SIG_STRUCT' // wrong size, header, header2, exponent or modulus size
  | 'SGX_INVALID_SIGNATURE' // RSA signature or q1/q2 do not check
  | 'SGX_INVALID_MEASUREMENT' // ENCLAVEHASH != the MRENCLAVE the enclave was built with
  | 'SGX_INVALID_ATTRIBUTE'; // SECS attributes/miscselect do not match under the masks

/** The identity EINIT fixes into the SECS (what EREPORT and EGETKEY use). */
export interface SgxEnclaveIdentity {
  mrenclave: Uint8Array; // 32
  mrsigner: Uint8Array; // 32
  attributes: SgxAttributes;
  miscselect: number;
  isvprodid: number;
  isvsvn: number;
  cetAttributes: number;
  isvfamilyid: Uint8Array; // 16
  isvextprodid: Uint8Array; // 16
  configid: Uint8Array; // 64 (KSS; zero here)
  configsvn: number;
}

export type EinitResult = { ok: true; identity: SgxEnclaveIdentity } | { ok: false; error: EinitFailure; reason: string };

/**
 * EINIT: accept the SIGSTRUCT for an enclave whose measured MRENCLAVE is `mrenclave` and whose
 * SECS was created with `secs` attributes/miscselect (defaults: the SIGSTRUCT's own values).
 * Checks (SDM order): structure, signature (with q1/q2 as the CPU uses them), measurement, attributes.
 */
export function einit(
  sigstructBytes: Uint8Array,
  mrenclave: Uint8Array,
  secs?: { attributes: SgxAttributes; miscselect: number },
): EinitResult {
  const bad = (error: EinitFailure, reason: string): EinitResult => ({ ok: false, error, reason });
  if (sigstructBytes.length !== SIGSTRUCT_SIZE) return bad('SGX_INVALID_SIG_STRUCT', `SIGSTRUCT is ${sigstructBytes.length} bytes, not ${SIGSTRUCT_SIZE}`);
  const s = decodeSigstruct(sigstructBytes);
  if (!bytesEqual(s.header, SIGSTRUCT_HEADER) || !bytesEqual(s.header2, SIGSTRUCT_HEADER2)) {
    return bad('SGX_INVALID_SIG_STRUCT', 'SIGSTRUCT HEADER/HEADER2 are not the architectural constants');
  }
  if (s.exponent !== SGX_RSA_EXPONENT) return bad('SGX_INVALID_SIG_STRUCT', `SIGSTRUCT exponent ${s.exponent} != 3`);
  if (s.modulus >> 3071n !== 1n) return bad('SGX_INVALID_SIG_STRUCT', 'SIGSTRUCT modulus is not 3072 bits');
  // The CPU checks s^3 mod n via q1/q2: s^2 = q1*n + r1 (0 <= r1 < n), r1*s = q2*n + r2 (0 <= r2 < n).
  const r1 = s.signature * s.signature - s.q1 * s.modulus;
  const r2 = r1 * s.signature - s.q2 * s.modulus;
  if (s.signature >= s.modulus || r1 < 0n || r1 >= s.modulus || r2 < 0n || r2 >= s.modulus) {
    return bad('SGX_INVALID_SIGNATURE', 'SIGSTRUCT q1/q2 do not match the signature');
  }
  const em = emsaPkcs1v15Sha256(sigstructSignedData(sigstructBytes));
  if (!bytesEqual(bigintToBe(r2, SE_KEY_SIZE), em)) return bad('SGX_INVALID_SIGNATURE', 'SIGSTRUCT RSA signature does not verify');
  if (!bytesEqual(s.enclavehash, mrenclave)) return bad('SGX_INVALID_MEASUREMENT', 'SIGSTRUCT ENCLAVEHASH differs from the measured MRENCLAVE');
  const secsAttr = secs?.attributes ?? s.attributes;
  const secsMisc = secs?.miscselect ?? s.miscselect;
  if (
    (secsAttr.flags & s.attributeMask.flags) !== (s.attributes.flags & s.attributeMask.flags) ||
    (secsAttr.xfrm & s.attributeMask.xfrm) !== (s.attributes.xfrm & s.attributeMask.xfrm)
  ) {
    return bad('SGX_INVALID_ATTRIBUTE', 'SECS attributes differ from SIGSTRUCT attributes under ATTRIBUTEMASK');
  }
  if (((secsMisc & s.miscmask) >>> 0) !== ((s.miscselect & s.miscmask) >>> 0)) {
    return bad('SGX_INVALID_ATTRIBUTE', 'SECS MISCSELECT differs from SIGSTRUCT MISCSELECT under MISCMASK');
  }
  return {
    ok: true,
    identity: {
      mrenclave: mrenclave.slice(),
      mrsigner: mrsignerOf(s.modulus),
      attributes: { flags: secsAttr.flags | SGX_FLAGS_INITTED, xfrm: secsAttr.xfrm },
      miscselect: secsMisc >>> 0,
      isvprodid: s.isvprodid,
      isvsvn: s.isvsvn,
      cetAttributes: s.cetAttributes,
      isvfamilyid: s.isvfamilyid.slice(),
      isvextprodid: s.isvextprodid.slice(),
      configid: new Uint8Array(64),
      configsvn: 0,
    },
  };
}
