// The SGX entry of `teeos verify`: verify(reportBytes, options) -> { ok } | { ok: false, reason }.
//
// An SGX REPORT is MAC-based (local attestation): only the TARGET enclave can check it, with its
// report key from EGETKEY. In this model the EGETKEY derivation follows linux-sgx simulation mode,
// whose base keys are public, so the verifier recomputes the target's report key from the target's
// identity (a MODEL: on hardware only code inside the target enclave could do this, and remote
// verification needs a quote, which is out of scope here).

import { bytesEqual, toHex } from './bytes.ts';
import { SGX_REPORT_SIZE, decodeReport } from './report.ts';
import { verifyReportMac, DEFAULT_SGX_PLATFORM, type SgxPlatformModel } from './keys.ts';
import type { SgxEnclaveIdentity } from './sigstruct.ts';

export const REPORT_SIZE_BY_PLATFORM = { keystone: 1352, sgx: 432, sev: 1184 } as const;
export type PlatformName = keyof typeof REPORT_SIZE_BY_PLATFORM;
const TITLE: Record<PlatformName, string> = { keystone: 'a Keystone', sgx: 'an Intel SGX', sev: 'an AMD SEV-SNP' };

export function detectReportPlatform(bytes: Uint8Array): PlatformName | undefined {
  for (const [name, size] of Object.entries(REPORT_SIZE_BY_PLATFORM) as [PlatformName, number][]) {
    if (bytes.length === size) return name;
  }
  return undefined;
}

export interface SgxTrustAnchors {
  /** The enclave the REPORT was targeted at (its identity yields the report key). */
  target: SgxEnclaveIdentity;
  /** The simulated platform (CPUSVN); defaults to DEFAULT_CPUSVN. */
  platform?: SgxPlatformModel;
  /** Pin MRSIGNER too. */
  mrsigner?: Uint8Array;
}

export interface SgxVerifyRequest {
  /** Expected MRENCLAVE (32 bytes). */
  expectMeasurement: Uint8Array;
  /** Expected REPORTDATA: compared with the first expectReportData.length bytes; the rest must be zero. */
  expectReportData?: Uint8Array;
  trustAnchors: SgxTrustAnchors;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

export function verify(reportBytes: Uint8Array, opts: SgxVerifyRequest): VerifyResult {
  const no = (reason: string): VerifyResult => ({ ok: false, reason: `SGX REPORT: ${reason}` });
  if (reportBytes.length !== SGX_REPORT_SIZE) {
    const other = detectReportPlatform(reportBytes);
    if (other) return { ok: false, reason: `this is ${TITLE[other]} report (${reportBytes.length} bytes), not an Intel SGX REPORT (${SGX_REPORT_SIZE} bytes)` };
    if (reportBytes.length === 1808) return { ok: false, reason: 'this looks like an Intel SGX SIGSTRUCT (1808 bytes), not a REPORT' };
    return no(reportBytes.length < SGX_REPORT_SIZE ? `truncated (${reportBytes.length} bytes)` : `oversized (${reportBytes.length} bytes)`);
  }
  if (!verifyReportMac(reportBytes, opts.trustAnchors.target, opts.trustAnchors.platform ?? DEFAULT_SGX_PLATFORM)) {
    return no('MAC does not verify with the target enclave\'s report key (tampered, or addressed to another enclave)');
  }
  const r = decodeReport(reportBytes);
  if (!bytesEqual(r.body.mrenclave, opts.expectMeasurement)) {
    return no(`MRENCLAVE ${toHex(r.body.mrenclave)} differs from the expected measurement`);
  }
  if (opts.trustAnchors.mrsigner && !bytesEqual(r.body.mrsigner, opts.trustAnchors.mrsigner)) {
    return no('MRSIGNER differs from the expected signer');
  }
  if (opts.expectReportData) {
    const want = new Uint8Array(64);
    if (opts.expectReportData.length > 64) return no('expected report data longer than 64 bytes');
    want.set(opts.expectReportData);
    if (!bytesEqual(r.body.reportdata, want)) return no('REPORTDATA differs from the expected report data');
  }
  return { ok: true };
}
