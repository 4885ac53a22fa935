// The SEV-SNP entry of `teeos verify`: verify(reportBytes, options) -> { ok } | { ok: false, reason }.
// Wraps report.ts (ATTESTATION_REPORT, ECDSA P-384 by the VCEK model) and names reports of the other
// platform models by their size.

import { SNP_REPORT_SIZE, verifySnpReport } from './report.ts';

export const REPORT_SIZE_BY_PLATFORM = { keystone: 1352, sgx: 432, sev: 1184 } as const;
export type PlatformName = keyof typeof REPORT_SIZE_BY_PLATFORM;
const TITLE: Record<PlatformName, string> = { keystone: 'a Keystone', sgx: 'an Intel SGX', sev: 'an AMD SEV-SNP' };

export function detectReportPlatform(bytes: Uint8Array): PlatformName | undefined {
  for (const [name, size] of Object.entries(REPORT_SIZE_BY_PLATFORM) as [PlatformName, number][]) {
    if (bytes.length === size) return name;
  }
  return undefined;
}

export interface SevTrustAnchors {
  /** VCEK (model) public key, SEC1 encoded. */
  vcekPublicKey: Uint8Array;
  expectHostData?: Uint8Array;
  expectVmpl?: number;
  /** Accept guests whose policy allows debugging (default: refuse). */
  allowDebug?: boolean;
}

export interface SevVerifyRequest {
  /** Expected launch digest (48 bytes). */
  expectMeasurement: Uint8Array;
  /** Expected REPORT_DATA (first n bytes; the rest must be zero). */
  expectReportData?: Uint8Array;
  trustAnchors: SevTrustAnchors;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

export function verify(reportBytes: Uint8Array, opts: SevVerifyRequest): VerifyResult {
  if (reportBytes.length !== SNP_REPORT_SIZE) {
    const other = detectReportPlatform(reportBytes);
    if (other) {
      return { ok: false, reason: `this is ${TITLE[other]} report (${reportBytes.length} bytes), not an AMD SEV-SNP ATTESTATION_REPORT (${SNP_REPORT_SIZE} bytes)` };
    }
    if (reportBytes.length === 1808) return { ok: false, reason: 'this looks like an Intel SGX SIGSTRUCT (1808 bytes), not a report' };
  }
  const t = opts.trustAnchors;
  const r = verifySnpReport(reportBytes, {
    vcekPublicKey: t.vcekPublicKey,
    expectedMeasurement: opts.expectMeasurement,
    ...(opts.expectReportData ? { expectedReportData: opts.expectReportData } : {}),
    ...(t.expectHostData ? { expectedHostData: t.expectHostData } : {}),
    ...(t.expectVmpl !== undefined ? { expectedVmpl: t.expectVmpl } : {}),
    ...(t.allowDebug ? { allowDebug: true } : {}),
  });
  return r.ok ? { ok: true } : { ok: false, reason: `SEV-SNP report: ${r.reason}` };
}
