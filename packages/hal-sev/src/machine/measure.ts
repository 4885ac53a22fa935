/**
 * One SNP_LAUNCH_UPDATE step on a launch digest (SNP ABI 56860 "SNP_LAUNCH_UPDATE"; the page
 * types of virtee/sev-snp-measure gctx.py). Used by the PSP model as it lays pages and by the
 * host to compute the digest it expects before launch.
 */
import { SnpLaunchDigest } from '../launch-digest.ts';
import type { LaunchUpdate } from './protocol.ts';

export function applyLaunchUpdate(ld: SnpLaunchDigest, u: LaunchUpdate): void {
  switch (u.type) {
    case 'normal': ld.updateNormalPages(u.gpa, u.data!.subarray(0, u.length)); break;
    case 'zero': ld.updateZeroPages(u.gpa, u.length); break;
    case 'secrets': ld.updateSecretsPage(u.gpa); break;
    case 'cpuid': ld.updateCpuidPage(u.gpa); break;
    case 'vmsa': ld.updateVmsaPage(u.data!); break;
  }
}

/** The launch digest of a whole plan (what the host expects the PSP to report). */
export function launchDigestOf(updates: readonly LaunchUpdate[]): Uint8Array {
  const ld = new SnpLaunchDigest();
  for (const u of updates) applyLaunchUpdate(ld, u);
  return ld.digest;
}
