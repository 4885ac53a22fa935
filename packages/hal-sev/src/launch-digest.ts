// SEV-SNP launch digest: the PAGE_INFO chain of SNP_LAUNCH_UPDATE.
//
// Models virtee/sev-snp-measure sevsnpmeasure/gctx.py (GCTX: update_normal_pages, update_vmsa_page,
// update_zero_pages, update_unmeasured_page, update_secrets_page, update_cpuid_page) after the
// AMD SEV-SNP ABI spec (56860), Table "PAGE_INFO" and section "SNP_LAUNCH_UPDATE":
//
//   LD_0 = 48 zero bytes;  LD_{i+1} = SHA-384(PAGE_INFO_i), PAGE_INFO (0x70 bytes):
//     DIGEST_CUR(48)@0x00 CONTENTS(48)@0x30 LENGTH u16 = 0x70 @0x60 PAGE_TYPE u8 @0x62 IMI_PAGE u8 @0x63
//     VMPL3_PERMS @0x64 VMPL2_PERMS @0x65 VMPL1_PERMS @0x66 reserved @0x67 GPA u64 @0x68
//   CONTENTS = SHA-384(page) for NORMAL and VMSA pages, 48 zero bytes for ZERO/UNMEASURED/SECRETS/CPUID.
// QEMU order: OVMF pages, then the OVMF metadata sections in order, then one VMSA per vCPU.

import { sha384Digest as sha384 } from './sha384.ts';
import { requireLength, u64le } from './bytes.ts';

export const SNP_LD_SIZE = 48;
export const PAGE_INFO_SIZE = 0x70;
export const SNP_PAGE_SIZE = 4096;
/** GPA at which VMSA pages are measured (gctx.py VMSA_GPA). */
export const VMSA_GPA = 0xfffffffff000n;

// SNP ABI PAGE_TYPE values.
export const PAGE_TYPE_NORMAL = 0x1;
export const PAGE_TYPE_VMSA = 0x2;
export const PAGE_TYPE_ZERO = 0x3;
export const PAGE_TYPE_UNMEASURED = 0x4;
export const PAGE_TYPE_SECRETS = 0x5;
export const PAGE_TYPE_CPUID = 0x6;

export interface PageInfoExtras {
  imi?: number;
  vmpl3Perms?: number;
  vmpl2Perms?: number;
  vmpl1Perms?: number;
}

/** Encode one PAGE_INFO structure. */
export function encodePageInfo(
  digestCur: Uint8Array, contents: Uint8Array, pageType: number, gpa: bigint | number, x: PageInfoExtras = {},
): Uint8Array {
  requireLength(digestCur, SNP_LD_SIZE, 'PAGE_INFO.DIGEST_CUR');
  requireLength(contents, SNP_LD_SIZE, 'PAGE_INFO.CONTENTS');
  const b = new Uint8Array(PAGE_INFO_SIZE);
  b.set(digestCur, 0x00);
  b.set(contents, 0x30);
  b[0x60] = PAGE_INFO_SIZE & 0xff;
  b[0x61] = PAGE_INFO_SIZE >> 8;
  b[0x62] = pageType;
  b[0x63] = x.imi ?? 0;
  b[0x64] = x.vmpl3Perms ?? 0;
  b[0x65] = x.vmpl2Perms ?? 0;
  b[0x66] = x.vmpl1Perms ?? 0;
  b.set(u64le(BigInt(gpa)), 0x68);
  return b;
}

/** The running launch digest (gctx.py GCTX). */
export class SnpLaunchDigest {
  private ld: Uint8Array;

  constructor(initial: Uint8Array = new Uint8Array(SNP_LD_SIZE)) {
    requireLength(initial, SNP_LD_SIZE, 'initial launch digest');
    this.ld = initial.slice();
  }

  /** The current digest (copy). */
  get digest(): Uint8Array {
    return this.ld.slice();
  }

  /** One PAGE_INFO step with explicit CONTENTS. */
  update(pageType: number, gpa: bigint | number, contents: Uint8Array, extras?: PageInfoExtras): this {
    this.ld = sha384(encodePageInfo(this.ld, contents, pageType, gpa, extras));
    return this;
  }

  /** NORMAL pages: `data` (a multiple of 4096 bytes) measured page by page from `gpa`. */
  updateNormalPages(gpa: bigint | number, data: Uint8Array): this {
    if (data.length % SNP_PAGE_SIZE !== 0) throw new RangeError('updateNormalPages: data is not whole pages');
    for (let off = 0; off < data.length; off += SNP_PAGE_SIZE) {
      this.update(PAGE_TYPE_NORMAL, BigInt(gpa) + BigInt(off), sha384(data.subarray(off, off + SNP_PAGE_SIZE)));
    }
    return this;
  }

  /** VMSA page (one per vCPU), measured at VMSA_GPA. */
  updateVmsaPage(vmsa: Uint8Array): this {
    requireLength(vmsa, SNP_PAGE_SIZE, 'VMSA page');
    return this.update(PAGE_TYPE_VMSA, VMSA_GPA, sha384(vmsa));
  }

  private updateUnhashed(pageType: number, gpa: bigint | number, length: number): this {
    if (length % SNP_PAGE_SIZE !== 0 || length <= 0) throw new RangeError('length is not whole pages');
    for (let off = 0; off < length; off += SNP_PAGE_SIZE) {
      this.update(pageType, BigInt(gpa) + BigInt(off), new Uint8Array(SNP_LD_SIZE));
    }
    return this;
  }

  updateZeroPages(gpa: bigint | number, length = SNP_PAGE_SIZE): this {
    return this.updateUnhashed(PAGE_TYPE_ZERO, gpa, length);
  }
  updateUnmeasuredPage(gpa: bigint | number): this {
    return this.updateUnhashed(PAGE_TYPE_UNMEASURED, gpa, SNP_PAGE_SIZE);
  }
  updateSecretsPage(gpa: bigint | number): this {
    return this.updateUnhashed(PAGE_TYPE_SECRETS, gpa, SNP_PAGE_SIZE);
  }
  updateCpuidPage(gpa: bigint | number): this {
    return this.updateUnhashed(PAGE_TYPE_CPUID, gpa, SNP_PAGE_SIZE);
  }
}
