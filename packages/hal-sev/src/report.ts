// SEV-SNP ATTESTATION_REPORT (0x4A0 = 1184 bytes): codec, signing (VCEK model), verification.
//
// Layout from virtee/sev src/firmware/guest/types/snp.rs (AttestationReport) and the AMD SEV-SNP
// ABI spec (56860) Table "ATTESTATION_REPORT Structure"; signature format from the same spec's
// "ECDSA P-384 with SHA-384" signature structure: R and S each 72 bytes, little-endian, zero-extended
// (the 48 significant bytes first), then 368 reserved bytes. The signature covers bytes [0, 0x2A0).
//
// The VCEK is modelled as a P-384 key pair held by the firmware model. On hardware it is derived
// from chip secrets and certified by AMD's ARK/ASK chain; here the trust anchor is just the public
// key handed to the verifier (a MODEL; no hardware security).
//
// Verification is stricter than parsing: every byte of an accepted report is authenticated, so the
// zero-extension bytes of R and S and the reserved tail of the signature must be zero.

import { p384 } from '@noble/curves/nist.js';
import { sha384 } from '@noble/hashes/sha2.js';
import { bytesEqual, isZero, requireLength, u32le, u64le, view } from './bytes.ts';

export const SNP_REPORT_SIZE = 0x4a0;
export const SNP_REPORT_SIGNED_SIZE = 0x2a0;

// Offsets (snp.rs AttestationReport)
export const REPORT_VERSION_OFFSET = 0x00; // u32
export const REPORT_GUEST_SVN_OFFSET = 0x04; // u32
export const REPORT_POLICY_OFFSET = 0x08; // u64
export const REPORT_FAMILY_ID_OFFSET = 0x10; // 16
export const REPORT_IMAGE_ID_OFFSET = 0x20; // 16
export const REPORT_VMPL_OFFSET = 0x30; // u32
export const REPORT_SIG_ALGO_OFFSET = 0x34; // u32
export const REPORT_CURRENT_TCB_OFFSET = 0x38; // 8
export const REPORT_PLATFORM_INFO_OFFSET = 0x40; // u64
export const REPORT_KEY_INFO_OFFSET = 0x48; // u32 (author_key_en, mask_chip_key, signing_key)
export const REPORT_REPORT_DATA_OFFSET = 0x50; // 64
export const REPORT_MEASUREMENT_OFFSET = 0x90; // 48
export const REPORT_HOST_DATA_OFFSET = 0xc0; // 32
export const REPORT_ID_KEY_DIGEST_OFFSET = 0xe0; // 48
export const REPORT_AUTHOR_KEY_DIGEST_OFFSET = 0x110; // 48
export const REPORT_REPORT_ID_OFFSET = 0x140; // 32
export const REPORT_REPORT_ID_MA_OFFSET = 0x160; // 32
export const REPORT_REPORTED_TCB_OFFSET = 0x180; // 8
export const REPORT_CPUID_FAM_ID_OFFSET = 0x188; // u8 (v3+)
export const REPORT_CPUID_MOD_ID_OFFSET = 0x189; // u8 (v3+)
export const REPORT_CPUID_STEP_OFFSET = 0x18a; // u8 (v3+)
export const REPORT_CHIP_ID_OFFSET = 0x1a0; // 64
export const REPORT_COMMITTED_TCB_OFFSET = 0x1e0; // 8
export const REPORT_CURRENT_BUILD_OFFSET = 0x1e8; // u8, then minor, major
export const REPORT_COMMITTED_BUILD_OFFSET = 0x1ec; // u8, then minor, major
export const REPORT_LAUNCH_TCB_OFFSET = 0x1f0; // 8
export const REPORT_LAUNCH_MIT_VECTOR_OFFSET = 0x1f8; // u64 (v5)
export const REPORT_CURRENT_MIT_VECTOR_OFFSET = 0x200; // u64 (v5)
export const REPORT_SIGNATURE_OFFSET = 0x2a0;
export const SIGNATURE_R_OFFSET = 0x2a0; // 72
export const SIGNATURE_S_OFFSET = 0x2e8; // 72
export const SIGNATURE_COMPONENT_SIZE = 72;
export const P384_SCALAR_SIZE = 48;

export const SIG_ALGO_ECDSA_P384_SHA384 = 1;
export const SUPPORTED_REPORT_VERSIONS: readonly number[] = [2, 3, 5];
// KEY_INFO bits
export const KEY_INFO_AUTHOR_KEY_EN = 0x1;
export const KEY_INFO_MASK_CHIP_KEY = 0x2;
export const KEY_INFO_SIGNING_KEY_SHIFT = 2;
export const KEY_INFO_SIGNING_KEY_MASK = 0x7;
export const SIGNING_KEY_VCEK = 0;
export const SIGNING_KEY_VLEK = 1;
export const SIGNING_KEY_NONE = 7;
// Guest POLICY bits (SNP ABI "GUEST_POLICY")
export const SNP_POLICY_SMT = 1n << 16n;
export const SNP_POLICY_RESERVED_1 = 1n << 17n; // must be one
export const SNP_POLICY_MIGRATE_MA = 1n << 18n;
export const SNP_POLICY_DEBUG = 1n << 19n;
export const SNP_POLICY_SINGLE_SOCKET = 1n << 20n;

// ---- TCB_VERSION ----
export type SnpGeneration = 'milan' | 'genoa' | 'turin';
export interface SnpTcb {
  bootloader: number;
  tee: number;
  snp: number;
  microcode: number;
  /** Turin only. */
  fmc?: number;
}

/** Encode TCB_VERSION: Milan/Genoa [bootloader, tee, 0,0,0,0, snp, microcode]; Turin [fmc, bootloader, tee, snp, 0,0,0, microcode]. */
export function encodeTcb(t: SnpTcb, gen: SnpGeneration = 'milan'): Uint8Array {
  const b = new Uint8Array(8);
  if (gen === 'turin') {
    b[0] = t.fmc ?? 0;
    b[1] = t.bootloader;
    b[2] = t.tee;
    b[3] = t.snp;
  } else {
    b[0] = t.bootloader;
    b[1] = t.tee;
    b[6] = t.snp;
  }
  b[7] = t.microcode;
  return b;
}

export function decodeTcb(b: Uint8Array, gen: SnpGeneration = 'milan'): SnpTcb {
  requireLength(b, 8, 'TCB_VERSION');
  if (gen === 'turin') return { fmc: b[0]!, bootloader: b[1]!, tee: b[2]!, snp: b[3]!, microcode: b[7]! };
  return { bootloader: b[0]!, tee: b[1]!, snp: b[6]!, microcode: b[7]! };
}

export interface SnpAttestationReport {
  version: number;
  guestSvn: number;
  policy: bigint;
  familyId: Uint8Array; // 16
  imageId: Uint8Array; // 16
  vmpl: number;
  sigAlgo: number;
  currentTcb: Uint8Array; // 8
  platformInfo: bigint;
  keyInfo: number;
  reportData: Uint8Array; // 64
  measurement: Uint8Array; // 48
  hostData: Uint8Array; // 32
  idKeyDigest: Uint8Array; // 48
  authorKeyDigest: Uint8Array; // 48
  reportId: Uint8Array; // 32
  reportIdMa: Uint8Array; // 32
  reportedTcb: Uint8Array; // 8
  cpuidFamId: number;
  cpuidModId: number;
  cpuidStep: number;
  chipId: Uint8Array; // 64
  committedTcb: Uint8Array; // 8
  currentBuild: number;
  currentMinor: number;
  currentMajor: number;
  committedBuild: number;
  committedMinor: number;
  committedMajor: number;
  launchTcb: Uint8Array; // 8
  launchMitVector: bigint;
  currentMitVector: bigint;
  /** R and S as stored: 72 bytes each, little-endian, zero-extended. */
  signatureR: Uint8Array;
  signatureS: Uint8Array;
}

const FIXED: [keyof SnpAttestationReport, number, number][] = [
  ['familyId', REPORT_FAMILY_ID_OFFSET, 16],
  ['imageId', REPORT_IMAGE_ID_OFFSET, 16],
  ['currentTcb', REPORT_CURRENT_TCB_OFFSET, 8],
  ['reportData', REPORT_REPORT_DATA_OFFSET, 64],
  ['measurement', REPORT_MEASUREMENT_OFFSET, 48],
  ['hostData', REPORT_HOST_DATA_OFFSET, 32],
  ['idKeyDigest', REPORT_ID_KEY_DIGEST_OFFSET, 48],
  ['authorKeyDigest', REPORT_AUTHOR_KEY_DIGEST_OFFSET, 48],
  ['reportId', REPORT_REPORT_ID_OFFSET, 32],
  ['reportIdMa', REPORT_REPORT_ID_MA_OFFSET, 32],
  ['reportedTcb', REPORT_REPORTED_TCB_OFFSET, 8],
  ['chipId', REPORT_CHIP_ID_OFFSET, 64],
  ['committedTcb', REPORT_COMMITTED_TCB_OFFSET, 8],
  ['launchTcb', REPORT_LAUNCH_TCB_OFFSET, 8],
  ['signatureR', SIGNATURE_R_OFFSET, SIGNATURE_COMPONENT_SIZE],
  ['signatureS', SIGNATURE_S_OFFSET, SIGNATURE_COMPONENT_SIZE],
];

export function encodeSnpReport(r: SnpAttestationReport): Uint8Array {
  const b = new Uint8Array(SNP_REPORT_SIZE);
  b.set(u32le(r.version), REPORT_VERSION_OFFSET);
  b.set(u32le(r.guestSvn), REPORT_GUEST_SVN_OFFSET);
  b.set(u64le(r.policy), REPORT_POLICY_OFFSET);
  b.set(u32le(r.vmpl), REPORT_VMPL_OFFSET);
  b.set(u32le(r.sigAlgo), REPORT_SIG_ALGO_OFFSET);
  b.set(u64le(r.platformInfo), REPORT_PLATFORM_INFO_OFFSET);
  b.set(u32le(r.keyInfo), REPORT_KEY_INFO_OFFSET);
  b[REPORT_CPUID_FAM_ID_OFFSET] = r.cpuidFamId;
  b[REPORT_CPUID_MOD_ID_OFFSET] = r.cpuidModId;
  b[REPORT_CPUID_STEP_OFFSET] = r.cpuidStep;
  b[REPORT_CURRENT_BUILD_OFFSET] = r.currentBuild;
  b[REPORT_CURRENT_BUILD_OFFSET + 1] = r.currentMinor;
  b[REPORT_CURRENT_BUILD_OFFSET + 2] = r.currentMajor;
  b[REPORT_COMMITTED_BUILD_OFFSET] = r.committedBuild;
  b[REPORT_COMMITTED_BUILD_OFFSET + 1] = r.committedMinor;
  b[REPORT_COMMITTED_BUILD_OFFSET + 2] = r.committedMajor;
  b.set(u64le(r.launchMitVector), REPORT_LAUNCH_MIT_VECTOR_OFFSET);
  b.set(u64le(r.currentMitVector), REPORT_CURRENT_MIT_VECTOR_OFFSET);
  for (const [k, off, n] of FIXED) {
    const v = r[k] as Uint8Array;
    requireLength(v, n, k);
    b.set(v, off);
  }
  return b;
}

export function decodeSnpReport(b: Uint8Array): SnpAttestationReport {
  requireLength(b, SNP_REPORT_SIZE, 'ATTESTATION_REPORT');
  const v = view(b);
  const r: Record<string, unknown> = {
    version: v.getUint32(REPORT_VERSION_OFFSET, true),
    guestSvn: v.getUint32(REPORT_GUEST_SVN_OFFSET, true),
    policy: v.getBigUint64(REPORT_POLICY_OFFSET, true),
    vmpl: v.getUint32(REPORT_VMPL_OFFSET, true),
    sigAlgo: v.getUint32(REPORT_SIG_ALGO_OFFSET, true),
    platformInfo: v.getBigUint64(REPORT_PLATFORM_INFO_OFFSET, true),
    keyInfo: v.getUint32(REPORT_KEY_INFO_OFFSET, true),
    cpuidFamId: b[REPORT_CPUID_FAM_ID_OFFSET]!,
    cpuidModId: b[REPORT_CPUID_MOD_ID_OFFSET]!,
    cpuidStep: b[REPORT_CPUID_STEP_OFFSET]!,
    currentBuild: b[REPORT_CURRENT_BUILD_OFFSET]!,
    currentMinor: b[REPORT_CURRENT_BUILD_OFFSET + 1]!,
    currentMajor: b[REPORT_CURRENT_BUILD_OFFSET + 2]!,
    committedBuild: b[REPORT_COMMITTED_BUILD_OFFSET]!,
    committedMinor: b[REPORT_COMMITTED_BUILD_OFFSET + 1]!,
    committedMajor: b[REPORT_COMMITTED_BUILD_OFFSET + 2]!,
    launchMitVector: v.getBigUint64(REPORT_LAUNCH_MIT_VECTOR_OFFSET, true),
    currentMitVector: v.getBigUint64(REPORT_CURRENT_MIT_VECTOR_OFFSET, true),
  };
  for (const [k, off, n] of FIXED) r[k] = b.slice(off, off + n);
  return r as unknown as SnpAttestationReport;
}

/** A report with every field zero except those given (version 2, sig_algo 1 by default). */
export function snpReportTemplate(fields: Partial<SnpAttestationReport> = {}): SnpAttestationReport {
  const z = (n: number) => new Uint8Array(n);
  return {
    version: 2, guestSvn: 0, policy: SNP_POLICY_SMT | SNP_POLICY_RESERVED_1, familyId: z(16), imageId: z(16), vmpl: 0,
    sigAlgo: SIG_ALGO_ECDSA_P384_SHA384, currentTcb: z(8), platformInfo: 0n, keyInfo: 0, reportData: z(64),
    measurement: z(48), hostData: z(32), idKeyDigest: z(48), authorKeyDigest: z(48), reportId: z(32),
    reportIdMa: z(32), reportedTcb: z(8), cpuidFamId: 0, cpuidModId: 0, cpuidStep: 0, chipId: z(64),
    committedTcb: z(8), currentBuild: 0, currentMinor: 0, currentMajor: 0, committedBuild: 0, committedMinor: 0,
    committedMajor: 0, launchTcb: z(8), launchMitVector: 0n, currentMitVector: 0n,
    signatureR: z(72), signatureS: z(72), ...fields,
  };
}

// ---- signature ----
function beToLe72(be48: Uint8Array): Uint8Array {
  const out = new Uint8Array(SIGNATURE_COMPONENT_SIZE);
  for (let i = 0; i < P384_SCALAR_SIZE; i++) out[i] = be48[P384_SCALAR_SIZE - 1 - i]!;
  return out;
}
function le72ToBe48(le: Uint8Array): Uint8Array {
  const out = new Uint8Array(P384_SCALAR_SIZE);
  for (let i = 0; i < P384_SCALAR_SIZE; i++) out[i] = le[P384_SCALAR_SIZE - 1 - i]!;
  return out;
}

/** The digest the signature covers: SHA-384(report[0..0x2A0]). */
export function snpReportDigest(reportBytes: Uint8Array): Uint8Array {
  if (reportBytes.length < SNP_REPORT_SIGNED_SIZE) throw new RangeError('report too short');
  return sha384(reportBytes.subarray(0, SNP_REPORT_SIGNED_SIZE));
}

/** The VCEK model: a P-384 key pair. */
export interface VcekModel {
  privateKey: Uint8Array; // 48
  /** SEC1 uncompressed public key (97 bytes). */
  publicKey: Uint8Array;
}

/** A fresh VCEK model key (or a deterministic one from a 48-byte secret, for tests). */
export function createVcekModel(secret?: Uint8Array): VcekModel {
  const privateKey = secret ? secret.slice() : p384.utils.randomSecretKey();
  return { privateKey, publicKey: p384.getPublicKey(privateKey, false) };
}

/** Encode the report and sign bytes [0, 0x2A0) with the VCEK model (signature fields overwritten). */
export function signSnpReport(r: SnpAttestationReport, vcekPrivateKey: Uint8Array): Uint8Array {
  const b = encodeSnpReport({ ...r, signatureR: new Uint8Array(72), signatureS: new Uint8Array(72) });
  b.fill(0, SNP_REPORT_SIGNED_SIZE);
  const sig = p384.sign(snpReportDigest(b), vcekPrivateKey, { prehash: false, lowS: false });
  b.set(beToLe72(sig.subarray(0, 48)), SIGNATURE_R_OFFSET);
  b.set(beToLe72(sig.subarray(48, 96)), SIGNATURE_S_OFFSET);
  return b;
}

export type SnpReportFailure =
  | 'truncated'
  | 'oversized'
  | 'unsupported-version'
  | 'unsupported-signature-algorithm'
  | 'nonzero-signature-padding' // R/S zero-extension or the reserved tail not zero
  | 'bad-signature'
  | 'wrong-measurement'
  | 'wrong-report-data'
  | 'wrong-host-data'
  | 'wrong-vmpl'
  | 'debug-policy'; // the guest policy allows debugging and the verifier did not allow it

export type SnpReportCheck =
  | { ok: true; report: SnpAttestationReport }
  | { ok: false; failures: SnpReportFailure[]; reason: string };

export interface SnpVerifyOptions {
  /** VCEK (model) public key, SEC1 (compressed or uncompressed). */
  vcekPublicKey: Uint8Array;
  expectedMeasurement?: Uint8Array;
  /** Compared with the first length bytes of REPORT_DATA; the rest must be zero. */
  expectedReportData?: Uint8Array;
  expectedHostData?: Uint8Array;
  expectedVmpl?: number;
  allowDebug?: boolean;
}

const TEXT: Record<SnpReportFailure, string> = {
  truncated: 'report is truncated',
  oversized: 'report is oversized',
  'unsupported-version': 'report version is not 2, 3 or 5',
  'unsupported-signature-algorithm': 'signature algorithm is not ECDSA P-384 with SHA-384 (1)',
  'nonzero-signature-padding': 'signature zero-extension or reserved bytes are not zero',
  'bad-signature': 'ECDSA P-384 signature by the VCEK does not verify',
  'wrong-measurement': 'launch measurement differs from the expected measurement',
  'wrong-report-data': 'REPORT_DATA differs from the expected report data',
  'wrong-host-data': 'HOST_DATA differs from the expected host data',
  'wrong-vmpl': 'VMPL differs from the expected VMPL',
  'debug-policy': 'guest policy allows debugging (DEBUG bit set)',
};

function fail(failures: SnpReportFailure[], extra = ''): SnpReportCheck {
  return { ok: false, failures, reason: failures.map((f) => TEXT[f]).join('; ') + extra };
}

export function verifySnpReport(bytes: Uint8Array, opts: SnpVerifyOptions): SnpReportCheck {
  if (bytes.length < SNP_REPORT_SIZE) return fail(['truncated'], ` (${bytes.length} < ${SNP_REPORT_SIZE} bytes)`);
  if (bytes.length > SNP_REPORT_SIZE) return fail(['oversized'], ` (${bytes.length} > ${SNP_REPORT_SIZE} bytes)`);
  const r = decodeSnpReport(bytes);
  const failures: SnpReportFailure[] = [];
  if (!SUPPORTED_REPORT_VERSIONS.includes(r.version)) failures.push('unsupported-version');
  if (r.sigAlgo !== SIG_ALGO_ECDSA_P384_SHA384) failures.push('unsupported-signature-algorithm');
  if (
    !isZero(r.signatureR.subarray(P384_SCALAR_SIZE)) || !isZero(r.signatureS.subarray(P384_SCALAR_SIZE)) ||
    !isZero(bytes.subarray(SIGNATURE_S_OFFSET + SIGNATURE_COMPONENT_SIZE))
  ) {
    failures.push('nonzero-signature-padding');
  }
  let sigOk = false;
  try {
    const sig = new Uint8Array(96);
    sig.set(le72ToBe48(r.signatureR), 0);
    sig.set(le72ToBe48(r.signatureS), 48);
    sigOk = p384.verify(sig, snpReportDigest(bytes), opts.vcekPublicKey, { prehash: false, lowS: false });
  } catch {
    sigOk = false;
  }
  if (!sigOk) failures.push('bad-signature');
  if (opts.expectedMeasurement && !bytesEqual(opts.expectedMeasurement, r.measurement)) failures.push('wrong-measurement');
  if (opts.expectedReportData) {
    const want = new Uint8Array(64);
    if (opts.expectedReportData.length > 64) failures.push('wrong-report-data');
    else {
      want.set(opts.expectedReportData);
      if (!bytesEqual(want, r.reportData)) failures.push('wrong-report-data');
    }
  }
  if (opts.expectedHostData && !bytesEqual(opts.expectedHostData, r.hostData)) failures.push('wrong-host-data');
  if (opts.expectedVmpl !== undefined && opts.expectedVmpl !== r.vmpl) failures.push('wrong-vmpl');
  if (!opts.allowDebug && (r.policy & SNP_POLICY_DEBUG) !== 0n) failures.push('debug-policy');
  return failures.length ? fail(failures) : { ok: true, report: r };
}
