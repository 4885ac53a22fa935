// GHCB: the guest-hypervisor communication block of SEV-ES/SEV-SNP.
//
// MSR protocol and constants from Linux arch/x86/include/asm/sev-common.h (GHCB_MSR_*, GHCB_CPUID_REQ,
// GHCB_MSR_PSC_REQ_GFN, GHCB_SEV_TERM_REASON), page layout from arch/x86/include/asm/svm.h
// (struct ghcb, struct ghcb_save_area) and the GHCB specification (AMD 56421). Calls are made with
// VMGEXIT (`rep; vmmcall`) after writing the GHCB MSR (0xC0010130) or filling the GHCB page.

import { requireLength, view } from './bytes.ts';

export const MSR_AMD64_SEV_ES_GHCB = 0xc0010130;
export const GHCB_DATA_LOW = 12;
export const GHCB_MSR_INFO_MASK = (1n << 12n) - 1n;
export const GHCB_PROTOCOL_MIN = 1;
export const GHCB_PROTOCOL_MAX = 2;
export const GHCB_DEFAULT_USAGE = 0;

// MSR protocol request/response codes (GHCBInfo, bits 11:0)
export const GHCB_MSR_SEV_INFO_RESP = 0x001n;
export const GHCB_MSR_SEV_INFO_REQ = 0x002n;
export const GHCB_MSR_CPUID_REQ = 0x004n;
export const GHCB_MSR_CPUID_RESP = 0x005n;
export const GHCB_MSR_AP_RESET_HOLD_REQ = 0x006n;
export const GHCB_MSR_AP_RESET_HOLD_RESP = 0x007n;
export const GHCB_MSR_PREF_GPA_REQ = 0x010n;
export const GHCB_MSR_PREF_GPA_RESP = 0x011n;
export const GHCB_MSR_REG_GPA_REQ = 0x012n;
export const GHCB_MSR_REG_GPA_RESP = 0x013n;
export const GHCB_MSR_PSC_REQ = 0x014n;
export const GHCB_MSR_PSC_RESP = 0x015n;
export const GHCB_MSR_HV_FT_REQ = 0x080n;
export const GHCB_MSR_HV_FT_RESP = 0x081n;
export const GHCB_MSR_TERM_REQ = 0x100n;

export const GHCB_CPUID_REQ_EAX = 0;
export const GHCB_CPUID_REQ_EBX = 1;
export const GHCB_CPUID_REQ_ECX = 2;
export const GHCB_CPUID_REQ_EDX = 3;
export const SNP_PAGE_STATE_PRIVATE = 1;
export const SNP_PAGE_STATE_SHARED = 2;
export const GHCB_HV_FT_SNP = 1n << 0n;
export const GHCB_HV_FT_SNP_AP_CREATION = 1n << 1n;
export const GHCB_HV_FT_SNP_MULTI_VMPL = 1n << 5n;
// Termination reason sets and codes
export const SEV_TERM_SET_GEN = 0;
export const GHCB_SEV_ES_GEN_REQ = 0;
export const GHCB_SEV_ES_PROT_UNSUPPORTED = 1;
export const GHCB_SNP_UNSUPPORTED = 2;
export const SEV_TERM_SET_LINUX = 1;
export const GHCB_TERM_REGISTER = 0;
export const GHCB_TERM_PSC = 1;
export const GHCB_TERM_PVALIDATE = 2;
export const GHCB_TERM_NOT_VMPL0 = 3;
export const GHCB_TERM_CPUID = 4;
export const GHCB_TERM_CPUID_HV = 5;
export const GHCB_TERM_SECRETS_PAGE = 6;

const M64 = (1n << 64n) - 1n;
const bits = (v: bigint, hi: number, lo: number): bigint => (v >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);

/** GHCBInfo (bits 11:0) of an MSR value. */
export function ghcbInfo(v: bigint): bigint {
  return v & GHCB_MSR_INFO_MASK;
}

// SEV_INFO
export function sevInfoRequest(): bigint {
  return GHCB_MSR_SEV_INFO_REQ;
}
/** GHCB_MSR_SEV_INFO(max, min, cbit). */
export function sevInfoResponse(max: number, min: number, cbit: number): bigint {
  return ((BigInt(max & 0xffff) << 48n) | (BigInt(min & 0xffff) << 32n) | (BigInt(cbit & 0xff) << 24n) | GHCB_MSR_SEV_INFO_RESP) & M64;
}
export function decodeSevInfoResponse(v: bigint): { max: number; min: number; cbit: number } {
  if (ghcbInfo(v) !== GHCB_MSR_SEV_INFO_RESP) throw new RangeError('not a SEV_INFO response');
  return { max: Number(bits(v, 63, 48)), min: Number(bits(v, 47, 32)), cbit: Number(bits(v, 31, 24)) };
}

// CPUID
/** GHCB_CPUID_REQ(fn, reg). */
export function cpuidRequest(fn: number, reg: number): bigint {
  return GHCB_MSR_CPUID_REQ | (BigInt(reg & 3) << 30n) | (BigInt(fn >>> 0) << 32n);
}
export function decodeCpuidRequest(v: bigint): { fn: number; reg: number } {
  if (ghcbInfo(v) !== GHCB_MSR_CPUID_REQ) throw new RangeError('not a CPUID request');
  return { fn: Number(bits(v, 63, 32)), reg: Number(bits(v, 31, 30)) };
}
export function cpuidResponse(value: number, reg: number): bigint {
  return GHCB_MSR_CPUID_RESP | (BigInt(reg & 3) << 30n) | (BigInt(value >>> 0) << 32n);
}
export function decodeCpuidResponse(v: bigint): { value: number; reg: number } {
  if (ghcbInfo(v) !== GHCB_MSR_CPUID_RESP) throw new RangeError('not a CPUID response');
  return { value: Number(bits(v, 63, 32)), reg: Number(bits(v, 31, 30)) };
}

// REG_GPA
const GFN_MASK_52 = (1n << 52n) - 1n;
/** GHCB_MSR_REG_GPA_REQ_VAL(gfn). */
export function regGpaRequest(gfn: bigint): bigint {
  return ((gfn & GFN_MASK_52) << 12n) | GHCB_MSR_REG_GPA_REQ;
}
export function regGpaResponse(gfn: bigint): bigint {
  return ((gfn & GFN_MASK_52) << 12n) | GHCB_MSR_REG_GPA_RESP;
}
/** GHCB_MSR_REG_GPA_RESP_VAL / the request's GFN. */
export function decodeRegGpa(v: bigint): bigint {
  const info = ghcbInfo(v);
  if (info !== GHCB_MSR_REG_GPA_REQ && info !== GHCB_MSR_REG_GPA_RESP) throw new RangeError('not a REG_GPA message');
  return bits(v, 63, 12);
}

// PSC
/** GHCB_MSR_PSC_REQ_GFN(gfn, op). */
export function pscRequest(gfn: bigint, op: number): bigint {
  return (BigInt(op & 0xf) << 52n) | ((gfn & ((1n << 40n) - 1n)) << 12n) | GHCB_MSR_PSC_REQ;
}
export function decodePscRequest(v: bigint): { gfn: bigint; op: number } {
  if (ghcbInfo(v) !== GHCB_MSR_PSC_REQ) throw new RangeError('not a PSC request');
  return { gfn: bits(v, 51, 12), op: Number(bits(v, 55, 52)) };
}
export function pscResponse(error: number): bigint {
  return (BigInt(error >>> 0) << 32n) | GHCB_MSR_PSC_RESP;
}
/** GHCB_MSR_PSC_RESP_VAL: the error code (0 = success). */
export function decodePscResponse(v: bigint): number {
  if (ghcbInfo(v) !== GHCB_MSR_PSC_RESP) throw new RangeError('not a PSC response');
  return Number(bits(v, 63, 32));
}

// HV_FEATURES
export function hvFeaturesRequest(): bigint {
  return GHCB_MSR_HV_FT_REQ;
}
export function hvFeaturesResponse(features: bigint): bigint {
  return ((features & GFN_MASK_52) << 12n) | GHCB_MSR_HV_FT_RESP;
}
/** GHCB_MSR_HV_FT_RESP_VAL. */
export function decodeHvFeaturesResponse(v: bigint): bigint {
  if (ghcbInfo(v) !== GHCB_MSR_HV_FT_RESP) throw new RangeError('not a HV_FEATURES response');
  return bits(v, 63, 12);
}

// TERM
/** GHCB_MSR_TERM_REQ | GHCB_SEV_TERM_REASON(reason_set, reason_val). */
export function termRequest(reasonSet: number, reason: number): bigint {
  return GHCB_MSR_TERM_REQ | (BigInt(reasonSet & 0xf) << 12n) | (BigInt(reason & 0xff) << 16n);
}
export function decodeTermRequest(v: bigint): { reasonSet: number; reason: number } {
  if (ghcbInfo(v) !== GHCB_MSR_TERM_REQ) throw new RangeError('not a TERM request');
  return { reasonSet: Number(bits(v, 15, 12)), reason: Number(bits(v, 23, 16)) };
}

/** Decode any MSR-protocol value into a tagged record (what the hypervisor model dispatches on). */
export type GhcbMsrMessage =
  | { kind: 'SEV_INFO_REQ' }
  | { kind: 'SEV_INFO_RESP'; max: number; min: number; cbit: number }
  | { kind: 'CPUID_REQ'; fn: number; reg: number }
  | { kind: 'CPUID_RESP'; value: number; reg: number }
  | { kind: 'REG_GPA_REQ' | 'REG_GPA_RESP'; gfn: bigint }
  | { kind: 'PSC_REQ'; gfn: bigint; op: number }
  | { kind: 'PSC_RESP'; error: number }
  | { kind: 'HV_FT_REQ' }
  | { kind: 'HV_FT_RESP'; features: bigint }
  | { kind: 'TERM_REQ'; reasonSet: number; reason: number }
  | { kind: 'GHCB_GPA'; gpa: bigint } // GHCBInfo 0: the value is the GHCB page's GPA
  | { kind: 'UNKNOWN'; info: number };

export function decodeGhcbMsr(v: bigint): GhcbMsrMessage {
  switch (ghcbInfo(v)) {
    case 0n: return { kind: 'GHCB_GPA', gpa: v };
    case GHCB_MSR_SEV_INFO_REQ: return { kind: 'SEV_INFO_REQ' };
    case GHCB_MSR_SEV_INFO_RESP: return { kind: 'SEV_INFO_RESP', ...decodeSevInfoResponse(v) };
    case GHCB_MSR_CPUID_REQ: return { kind: 'CPUID_REQ', ...decodeCpuidRequest(v) };
    case GHCB_MSR_CPUID_RESP: return { kind: 'CPUID_RESP', ...decodeCpuidResponse(v) };
    case GHCB_MSR_REG_GPA_REQ: return { kind: 'REG_GPA_REQ', gfn: decodeRegGpa(v) };
    case GHCB_MSR_REG_GPA_RESP: return { kind: 'REG_GPA_RESP', gfn: decodeRegGpa(v) };
    case GHCB_MSR_PSC_REQ: return { kind: 'PSC_REQ', ...decodePscRequest(v) };
    case GHCB_MSR_PSC_RESP: return { kind: 'PSC_RESP', error: decodePscResponse(v) };
    case GHCB_MSR_HV_FT_REQ: return { kind: 'HV_FT_REQ' };
    case GHCB_MSR_HV_FT_RESP: return { kind: 'HV_FT_RESP', features: decodeHvFeaturesResponse(v) };
    case GHCB_MSR_TERM_REQ: return { kind: 'TERM_REQ', ...decodeTermRequest(v) };
    default: return { kind: 'UNKNOWN', info: Number(ghcbInfo(v)) };
  }
}

// ---- the GHCB page (struct ghcb, svm.h) ----
export const GHCB_PAGE_SIZE = 4096;
export const GHCB_RAX_OFFSET = 0x1f8;
export const GHCB_RCX_OFFSET = 0x308;
export const GHCB_RDX_OFFSET = 0x310;
export const GHCB_RBX_OFFSET = 0x318;
export const GHCB_SW_EXIT_CODE_OFFSET = 0x390;
export const GHCB_SW_EXIT_INFO_1_OFFSET = 0x398;
export const GHCB_SW_EXIT_INFO_2_OFFSET = 0x3a0;
export const GHCB_SW_SCRATCH_OFFSET = 0x3a8;
export const GHCB_XCR0_OFFSET = 0x3e8;
export const GHCB_VALID_BITMAP_OFFSET = 0x3f0; // 16 bytes: bit n = save-area qword n (offset / 8)
export const GHCB_SHARED_BUFFER_OFFSET = 0x800;
export const GHCB_SHARED_BUFFER_SIZE = 2032;
export const GHCB_PROTOCOL_VERSION_OFFSET = 0xffa; // u16
export const GHCB_USAGE_OFFSET = 0xffc; // u32

// VMGEXIT exit codes (svm.h SVM_EXIT_* / SVM_VMGEXIT_*)
export const SVM_EXIT_CPUID = 0x72n;
export const SVM_EXIT_IOIO = 0x7bn;
export const SVM_EXIT_MSR = 0x7cn;
export const SVM_VMGEXIT_MMIO_READ = 0x80000001n;
export const SVM_VMGEXIT_MMIO_WRITE = 0x80000002n;
export const SVM_VMGEXIT_PSC = 0x80000010n;
export const SVM_VMGEXIT_GUEST_REQUEST = 0x80000011n;
export const SVM_VMGEXIT_EXT_GUEST_REQUEST = 0x80000012n;
export const SVM_VMGEXIT_AP_CREATION = 0x80000013n;
export const SVM_VMGEXIT_HV_FEATURES = 0x8000fffdn;
export const SVM_VMGEXIT_TERM_REQUEST = 0x8000fffen;
export const SVM_VMGEXIT_UNSUPPORTED_EVENT = 0x8000ffffn;

/** Bit index in valid_bitmap for a save-area field at `offset`. */
export function ghcbValidBit(offset: number): number {
  if (offset < 0 || offset >= GHCB_VALID_BITMAP_OFFSET || offset % 8 !== 0) throw new RangeError(`0x${offset.toString(16)} is not a save-area qword`);
  return offset / 8;
}

/** A view over a 4096-byte GHCB page with valid_bitmap bookkeeping. */
export class GhcbPage {
  readonly bytes: Uint8Array;
  private readonly v: DataView;

  constructor(bytes: Uint8Array = new Uint8Array(GHCB_PAGE_SIZE)) {
    requireLength(bytes, GHCB_PAGE_SIZE, 'GHCB page');
    this.bytes = bytes;
    this.v = view(bytes);
  }

  /** Set a save-area qword and mark it valid (ghcb_set_<field>). */
  set(offset: number, value: bigint): void {
    const bit = ghcbValidBit(offset);
    this.v.setBigUint64(offset, value & M64, true);
    this.bytes[GHCB_VALID_BITMAP_OFFSET + (bit >> 3)]! |= 1 << (bit & 7);
  }

  /** ghcb_<field>_is_valid. */
  isValid(offset: number): boolean {
    const bit = ghcbValidBit(offset);
    return (this.bytes[GHCB_VALID_BITMAP_OFFSET + (bit >> 3)]! & (1 << (bit & 7))) !== 0;
  }

  /** Read a save-area qword; undefined unless marked valid (a hypervisor must not trust unmarked fields). */
  get(offset: number): bigint | undefined {
    return this.isValid(offset) ? this.v.getBigUint64(offset, true) : undefined;
  }

  /** vc_ghcb_invalidate: clear the save area's valid bitmap (and sw_exit_code as Linux does). */
  invalidate(): void {
    this.bytes.fill(0, GHCB_VALID_BITMAP_OFFSET, GHCB_VALID_BITMAP_OFFSET + 16);
    this.v.setBigUint64(GHCB_SW_EXIT_CODE_OFFSET, 0n, true);
  }

  get protocolVersion(): number {
    return this.v.getUint16(GHCB_PROTOCOL_VERSION_OFFSET, true);
  }
  set protocolVersion(x: number) {
    this.v.setUint16(GHCB_PROTOCOL_VERSION_OFFSET, x, true);
  }
  get usage(): number {
    return this.v.getUint32(GHCB_USAGE_OFFSET, true);
  }
  set usage(x: number) {
    this.v.setUint32(GHCB_USAGE_OFFSET, x >>> 0, true);
  }
  get sharedBuffer(): Uint8Array {
    return this.bytes.subarray(GHCB_SHARED_BUFFER_OFFSET, GHCB_SHARED_BUFFER_OFFSET + GHCB_SHARED_BUFFER_SIZE);
  }

  /** Prepare a VMGEXIT: sw_exit_code / info_1 / info_2 (all marked valid). */
  setExit(code: bigint, info1: bigint, info2: bigint): void {
    this.set(GHCB_SW_EXIT_CODE_OFFSET, code);
    this.set(GHCB_SW_EXIT_INFO_1_OFFSET, info1);
    this.set(GHCB_SW_EXIT_INFO_2_OFFSET, info2);
  }
}
