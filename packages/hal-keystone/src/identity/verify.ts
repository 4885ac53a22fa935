// The Keystone entry of `teeos verify`: verify(reportBytes, options) -> { ok } | { ok: false, reason }.
// Wraps report.ts (Report::verify of keystone sdk/src/verifier/Report.cpp, made stricter there)
// and recognises reports of the other platform models by size, so a mix-up is named as such.

import { KEYSTONE_REPORT_SIZE, verifyKeystoneReport } from './report.ts';

/** Sizes of the attestation evidence each platform model produces. */
export const REPORT_SIZE_BY_PLATFORM = {
  keystone: 1352, // struct report (sm/src/enclave.h)
  sgx: 432, // sgx_report_t (REPORT: body 384, keyid 32, mac 16)
  sev: 1184, // ATTESTATION_REPORT (0x4A0)
} as const;
export type PlatformName = keyof typeof REPORT_SIZE_BY_PLATFORM;

const PLATFORM_TITLE: Record<PlatformName, string> = { keystone: 'Keystone', sgx: 'Intel SGX', sev: 'AMD SEV-SNP' };
const ARTICLE: Record<PlatformName, string> = { keystone: 'a', sgx: 'an', sev: 'an' };
const SGX_SIGSTRUCT_SIZE = 1808;

/** Which platform's report these bytes look like (by size alone), or undefined. */
export function detectReportPlatform(bytes: Uint8Array): PlatformName | undefined {
  for (const [name, size] of Object.entries(REPORT_SIZE_BY_PLATFORM) as [PlatformName, number][]) {
    if (bytes.length === size) return name;
  }
  return undefined;
}

/** "this is a <platform> report" when the bytes have another platform's report size. */
export function wrongPlatformReason(bytes: Uint8Array, expected: PlatformName): string | undefined {
  const other = detectReportPlatform(bytes);
  if (other !== undefined && other !== expected) {
    return `this is ${ARTICLE[other]} ${PLATFORM_TITLE[other]} report (${bytes.length} bytes), not ${ARTICLE[expected]} ${PLATFORM_TITLE[expected]} report (${REPORT_SIZE_BY_PLATFORM[expected]} bytes)`;
  }
  if (bytes.length === SGX_SIGSTRUCT_SIZE) return `this looks like an Intel SGX SIGSTRUCT (${SGX_SIGSTRUCT_SIZE} bytes), not a report`;
  return undefined;
}

export interface KeystoneTrustAnchors {
  /** The device public key (Ed25519, 32 bytes) whose signature over the SM is trusted. */
  devicePublicKey: Uint8Array;
  /** The expected SM measurement (64 bytes), if the SM build is pinned. */
  smHash?: Uint8Array;
}

export interface KeystoneVerifyRequest {
  /** Expected enclave hash (64 bytes). */
  expectMeasurement: Uint8Array;
  /** Expected attestation data (exactly enclave.data[0..data_len]). */
  expectReportData?: Uint8Array;
  trustAnchors: KeystoneTrustAnchors;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

export function verify(reportBytes: Uint8Array, opts: KeystoneVerifyRequest): VerifyResult {
  if (reportBytes.length !== KEYSTONE_REPORT_SIZE) {
    const other = wrongPlatformReason(reportBytes, 'keystone');
    if (other) return { ok: false, reason: other };
  }
  const r = verifyKeystoneReport(reportBytes, {
    devPublicKey: opts.trustAnchors.devicePublicKey,
    expectedEnclaveHash: opts.expectMeasurement,
    ...(opts.trustAnchors.smHash ? { expectedSmHash: opts.trustAnchors.smHash } : {}),
    ...(opts.expectReportData ? { expectedData: opts.expectReportData } : {}),
  });
  return r.ok ? { ok: true } : { ok: false, reason: `Keystone report: ${r.reason}` };
}
