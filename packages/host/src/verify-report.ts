/**
 * Checking a report with the platform's verifier and the model trust anchors. Its own module so
 * that only the commands that verify load the verifiers (cli.ts imports it on demand).
 */
import { TEST_DEV_PUBLIC_KEY, verify as verifyKeystone } from '@teeos/hal-keystone/identity';
import { verify as verifySev } from '@teeos/hal-sev';
import { sevModelVcekPublicKey } from '@teeos/hal-sev/host';
import { verify as verifySgx, SGX_REPORT_SIZE } from '@teeos/hal-sgx';
import { qeModelIdentity } from '@teeos/hal-sgx/host';
import type { TeeName } from './platforms.ts';

export type VerifyOutcome = { ok: true } | { ok: false; reason: string };

/**
 * Checks a report with the platform's verifier and the model trust anchors: Keystone, the SDK's
 * test device key (sdk/include/verifier/test_dev_key.h); SEV-SNP, the model VCEK public key.
 */
export function verifyReport(tee: TeeName, report: Uint8Array, expect: Uint8Array, data?: Uint8Array): VerifyOutcome {
  if (tee === 'sgx') {
    // The REPORT is targeted at the model quoting enclave; its report key is recomputable because
    // the model's EGETKEY is linux-sgx simulation mode (public base keys): a model, not hardware.
    return verifySgx(report, {
      expectMeasurement: expect, trustAnchors: { target: qeModelIdentity() }, ...(data ? { expectReportData: data } : {}),
    });
  }
  if (report.length === SGX_REPORT_SIZE) return { ok: false, reason: `this is an Intel SGX REPORT (${SGX_REPORT_SIZE} bytes), not a ${tee === 'sev' ? 'AMD SEV-SNP' : 'Keystone'} report` };
  if (tee === 'keystone') {
    return verifyKeystone(report, {
      expectMeasurement: expect, trustAnchors: { devicePublicKey: TEST_DEV_PUBLIC_KEY }, ...(data ? { expectReportData: data } : {}),
    });
  }
  return verifySev(report, {
    expectMeasurement: expect, trustAnchors: { vcekPublicKey: sevModelVcekPublicKey() }, ...(data ? { expectReportData: data } : {}),
  });
}
