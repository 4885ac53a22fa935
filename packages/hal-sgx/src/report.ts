// SGX REPORT (432 bytes), TARGETINFO (512) and KEYREQUEST (512) codecs.
//
// Layouts from intel/linux-sgx common/inc/sgx_report.h (sgx_report_t, sgx_report_body_t,
// sgx_target_info_t), common/inc/sgx_key.h (sgx_key_request_t) and gramine
// pal/src/host/linux-sgx/sgx_arch.h; Intel SDM vol. 3D 34.18-34.20. Reserved bytes are encoded
// as zero; decoders keep them (reserved fields of a REPORT body are covered by its MAC).

import { requireLength, u16le, u32le, u64le, view } from './bytes.ts';
import type { SgxAttributes } from './sigstruct.ts';

// ---- REPORT ----
export const SGX_REPORT_SIZE = 432;
export const SGX_REPORT_BODY_SIZE = 384;
export const SGX_REPORT_DATA_SIZE = 64;
export const REPORT_BODY_CPUSVN_OFFSET = 0; // 16
export const REPORT_BODY_MISCSELECT_OFFSET = 16; // u32
export const REPORT_BODY_CET_ATTRIBUTES_OFFSET = 20; // u8 (then reserved to 32)
export const REPORT_BODY_ISVEXTPRODID_OFFSET = 32; // 16
export const REPORT_BODY_ATTRIBUTES_OFFSET = 48; // 16
export const REPORT_BODY_MRENCLAVE_OFFSET = 64; // 32
export const REPORT_BODY_MRSIGNER_OFFSET = 128; // 32
export const REPORT_BODY_CONFIGID_OFFSET = 192; // 64
export const REPORT_BODY_ISVPRODID_OFFSET = 256; // u16
export const REPORT_BODY_ISVSVN_OFFSET = 258; // u16
export const REPORT_BODY_CONFIGSVN_OFFSET = 260; // u16
export const REPORT_BODY_ISVFAMILYID_OFFSET = 304; // 16
export const REPORT_BODY_REPORTDATA_OFFSET = 320; // 64
export const REPORT_KEYID_OFFSET = 384; // 32
export const REPORT_MAC_OFFSET = 416; // 16

export interface SgxReportBody {
  cpusvn: Uint8Array; // 16
  miscselect: number;
  cetAttributes: number;
  isvextprodid: Uint8Array; // 16
  attributes: SgxAttributes;
  mrenclave: Uint8Array; // 32
  mrsigner: Uint8Array; // 32
  configid: Uint8Array; // 64
  isvprodid: number;
  isvsvn: number;
  configsvn: number;
  isvfamilyid: Uint8Array; // 16
  reportdata: Uint8Array; // 64
}

export interface SgxReport {
  body: SgxReportBody;
  keyid: Uint8Array; // 32
  mac: Uint8Array; // 16
}

export function encodeReportBody(b: SgxReportBody): Uint8Array {
  requireLength(b.cpusvn, 16, 'cpusvn');
  requireLength(b.isvextprodid, 16, 'isvextprodid');
  requireLength(b.mrenclave, 32, 'mrenclave');
  requireLength(b.mrsigner, 32, 'mrsigner');
  requireLength(b.configid, 64, 'configid');
  requireLength(b.isvfamilyid, 16, 'isvfamilyid');
  requireLength(b.reportdata, 64, 'reportdata');
  const out = new Uint8Array(SGX_REPORT_BODY_SIZE);
  out.set(b.cpusvn, REPORT_BODY_CPUSVN_OFFSET);
  out.set(u32le(b.miscselect), REPORT_BODY_MISCSELECT_OFFSET);
  out[REPORT_BODY_CET_ATTRIBUTES_OFFSET] = b.cetAttributes & 0xff;
  out.set(b.isvextprodid, REPORT_BODY_ISVEXTPRODID_OFFSET);
  out.set(u64le(b.attributes.flags), REPORT_BODY_ATTRIBUTES_OFFSET);
  out.set(u64le(b.attributes.xfrm), REPORT_BODY_ATTRIBUTES_OFFSET + 8);
  out.set(b.mrenclave, REPORT_BODY_MRENCLAVE_OFFSET);
  out.set(b.mrsigner, REPORT_BODY_MRSIGNER_OFFSET);
  out.set(b.configid, REPORT_BODY_CONFIGID_OFFSET);
  out.set(u16le(b.isvprodid), REPORT_BODY_ISVPRODID_OFFSET);
  out.set(u16le(b.isvsvn), REPORT_BODY_ISVSVN_OFFSET);
  out.set(u16le(b.configsvn), REPORT_BODY_CONFIGSVN_OFFSET);
  out.set(b.isvfamilyid, REPORT_BODY_ISVFAMILYID_OFFSET);
  out.set(b.reportdata, REPORT_BODY_REPORTDATA_OFFSET);
  return out;
}

export function decodeReportBody(b: Uint8Array): SgxReportBody {
  if (b.length < SGX_REPORT_BODY_SIZE) throw new RangeError('REPORT body truncated');
  const v = view(b);
  const s = (off: number, n: number) => b.slice(off, off + n);
  return {
    cpusvn: s(REPORT_BODY_CPUSVN_OFFSET, 16),
    miscselect: v.getUint32(REPORT_BODY_MISCSELECT_OFFSET, true),
    cetAttributes: b[REPORT_BODY_CET_ATTRIBUTES_OFFSET]!,
    isvextprodid: s(REPORT_BODY_ISVEXTPRODID_OFFSET, 16),
    attributes: {
      flags: v.getBigUint64(REPORT_BODY_ATTRIBUTES_OFFSET, true),
      xfrm: v.getBigUint64(REPORT_BODY_ATTRIBUTES_OFFSET + 8, true),
    },
    mrenclave: s(REPORT_BODY_MRENCLAVE_OFFSET, 32),
    mrsigner: s(REPORT_BODY_MRSIGNER_OFFSET, 32),
    configid: s(REPORT_BODY_CONFIGID_OFFSET, 64),
    isvprodid: v.getUint16(REPORT_BODY_ISVPRODID_OFFSET, true),
    isvsvn: v.getUint16(REPORT_BODY_ISVSVN_OFFSET, true),
    configsvn: v.getUint16(REPORT_BODY_CONFIGSVN_OFFSET, true),
    isvfamilyid: s(REPORT_BODY_ISVFAMILYID_OFFSET, 16),
    reportdata: s(REPORT_BODY_REPORTDATA_OFFSET, 64),
  };
}

export function encodeReport(r: SgxReport): Uint8Array {
  requireLength(r.keyid, 32, 'keyid');
  requireLength(r.mac, 16, 'mac');
  const out = new Uint8Array(SGX_REPORT_SIZE);
  out.set(encodeReportBody(r.body), 0);
  out.set(r.keyid, REPORT_KEYID_OFFSET);
  out.set(r.mac, REPORT_MAC_OFFSET);
  return out;
}

export function decodeReport(b: Uint8Array): SgxReport {
  requireLength(b, SGX_REPORT_SIZE, 'REPORT');
  return {
    body: decodeReportBody(b),
    keyid: b.slice(REPORT_KEYID_OFFSET, REPORT_KEYID_OFFSET + 32),
    mac: b.slice(REPORT_MAC_OFFSET, REPORT_MAC_OFFSET + 16),
  };
}

// ---- TARGETINFO ----
export const SGX_TARGETINFO_SIZE = 512;
export const TARGETINFO_MRENCLAVE_OFFSET = 0; // 32
export const TARGETINFO_ATTRIBUTES_OFFSET = 32; // 16
export const TARGETINFO_CET_ATTRIBUTES_OFFSET = 48; // u8
export const TARGETINFO_CONFIGSVN_OFFSET = 50; // u16
export const TARGETINFO_MISCSELECT_OFFSET = 52; // u32
export const TARGETINFO_CONFIGID_OFFSET = 64; // 64

export interface SgxTargetInfo {
  mrenclave: Uint8Array;
  attributes: SgxAttributes;
  cetAttributes: number;
  configsvn: number;
  miscselect: number;
  configid: Uint8Array; // 64
}

export function encodeTargetInfo(t: SgxTargetInfo): Uint8Array {
  requireLength(t.mrenclave, 32, 'mrenclave');
  requireLength(t.configid, 64, 'configid');
  const out = new Uint8Array(SGX_TARGETINFO_SIZE);
  out.set(t.mrenclave, TARGETINFO_MRENCLAVE_OFFSET);
  out.set(u64le(t.attributes.flags), TARGETINFO_ATTRIBUTES_OFFSET);
  out.set(u64le(t.attributes.xfrm), TARGETINFO_ATTRIBUTES_OFFSET + 8);
  out[TARGETINFO_CET_ATTRIBUTES_OFFSET] = t.cetAttributes & 0xff;
  out.set(u16le(t.configsvn), TARGETINFO_CONFIGSVN_OFFSET);
  out.set(u32le(t.miscselect), TARGETINFO_MISCSELECT_OFFSET);
  out.set(t.configid, TARGETINFO_CONFIGID_OFFSET);
  return out;
}

export function decodeTargetInfo(b: Uint8Array): SgxTargetInfo {
  requireLength(b, SGX_TARGETINFO_SIZE, 'TARGETINFO');
  const v = view(b);
  return {
    mrenclave: b.slice(0, 32),
    attributes: {
      flags: v.getBigUint64(TARGETINFO_ATTRIBUTES_OFFSET, true),
      xfrm: v.getBigUint64(TARGETINFO_ATTRIBUTES_OFFSET + 8, true),
    },
    cetAttributes: b[TARGETINFO_CET_ATTRIBUTES_OFFSET]!,
    configsvn: v.getUint16(TARGETINFO_CONFIGSVN_OFFSET, true),
    miscselect: v.getUint32(TARGETINFO_MISCSELECT_OFFSET, true),
    configid: b.slice(TARGETINFO_CONFIGID_OFFSET, TARGETINFO_CONFIGID_OFFSET + 64),
  };
}

// ---- KEYREQUEST ----
export const SGX_KEYREQUEST_SIZE = 512;
export const KEYREQUEST_KEYNAME_OFFSET = 0; // u16
export const KEYREQUEST_KEYPOLICY_OFFSET = 2; // u16
export const KEYREQUEST_ISVSVN_OFFSET = 4; // u16
export const KEYREQUEST_RESERVED1_OFFSET = 6; // u16
export const KEYREQUEST_CPUSVN_OFFSET = 8; // 16
export const KEYREQUEST_ATTRIBUTEMASK_OFFSET = 24; // 16
export const KEYREQUEST_KEYID_OFFSET = 40; // 32
export const KEYREQUEST_MISCMASK_OFFSET = 72; // u32
export const KEYREQUEST_CONFIGSVN_OFFSET = 76; // u16
export const KEYREQUEST_RESERVED2_OFFSET = 78; // 434

// KEYNAME (sgx_key.h SGX_KEYSELECT_*)
export const SGX_KEYSELECT_EINITTOKEN = 0;
export const SGX_KEYSELECT_PROVISION = 1;
export const SGX_KEYSELECT_PROVISION_SEAL = 2;
export const SGX_KEYSELECT_REPORT = 3;
export const SGX_KEYSELECT_SEAL = 4;
// KEYPOLICY (sgx_key.h SGX_KEYPOLICY_*)
export const SGX_KEYPOLICY_MRENCLAVE = 0x1;
export const SGX_KEYPOLICY_MRSIGNER = 0x2;
export const SGX_KEYPOLICY_NOISVPRODID = 0x4;
export const SGX_KEYPOLICY_CONFIGID = 0x8;
export const SGX_KEYPOLICY_ISVFAMILYID = 0x10;
export const SGX_KEYPOLICY_ISVEXTPRODID = 0x20;

export interface SgxKeyRequest {
  keyname: number;
  keypolicy: number;
  isvsvn: number;
  cpusvn: Uint8Array; // 16
  attributemask: SgxAttributes;
  keyid: Uint8Array; // 32
  miscmask: number;
  configsvn: number;
  /** Reserved bytes as received (reserved1 u16, reserved2 434 bytes); must be zero. */
  reserved1?: number;
  reserved2?: Uint8Array;
}

export function encodeKeyRequest(k: SgxKeyRequest): Uint8Array {
  requireLength(k.cpusvn, 16, 'cpusvn');
  requireLength(k.keyid, 32, 'keyid');
  const out = new Uint8Array(SGX_KEYREQUEST_SIZE);
  out.set(u16le(k.keyname), KEYREQUEST_KEYNAME_OFFSET);
  out.set(u16le(k.keypolicy), KEYREQUEST_KEYPOLICY_OFFSET);
  out.set(u16le(k.isvsvn), KEYREQUEST_ISVSVN_OFFSET);
  out.set(u16le(k.reserved1 ?? 0), KEYREQUEST_RESERVED1_OFFSET);
  out.set(k.cpusvn, KEYREQUEST_CPUSVN_OFFSET);
  out.set(u64le(k.attributemask.flags), KEYREQUEST_ATTRIBUTEMASK_OFFSET);
  out.set(u64le(k.attributemask.xfrm), KEYREQUEST_ATTRIBUTEMASK_OFFSET + 8);
  out.set(k.keyid, KEYREQUEST_KEYID_OFFSET);
  out.set(u32le(k.miscmask), KEYREQUEST_MISCMASK_OFFSET);
  out.set(u16le(k.configsvn), KEYREQUEST_CONFIGSVN_OFFSET);
  if (k.reserved2) {
    requireLength(k.reserved2, SGX_KEYREQUEST_SIZE - KEYREQUEST_RESERVED2_OFFSET, 'reserved2');
    out.set(k.reserved2, KEYREQUEST_RESERVED2_OFFSET);
  }
  return out;
}

export function decodeKeyRequest(b: Uint8Array): SgxKeyRequest {
  requireLength(b, SGX_KEYREQUEST_SIZE, 'KEYREQUEST');
  const v = view(b);
  return {
    keyname: v.getUint16(KEYREQUEST_KEYNAME_OFFSET, true),
    keypolicy: v.getUint16(KEYREQUEST_KEYPOLICY_OFFSET, true),
    isvsvn: v.getUint16(KEYREQUEST_ISVSVN_OFFSET, true),
    reserved1: v.getUint16(KEYREQUEST_RESERVED1_OFFSET, true),
    cpusvn: b.slice(KEYREQUEST_CPUSVN_OFFSET, KEYREQUEST_CPUSVN_OFFSET + 16),
    attributemask: {
      flags: v.getBigUint64(KEYREQUEST_ATTRIBUTEMASK_OFFSET, true),
      xfrm: v.getBigUint64(KEYREQUEST_ATTRIBUTEMASK_OFFSET + 8, true),
    },
    keyid: b.slice(KEYREQUEST_KEYID_OFFSET, KEYREQUEST_KEYID_OFFSET + 32),
    miscmask: v.getUint32(KEYREQUEST_MISCMASK_OFFSET, true),
    configsvn: v.getUint16(KEYREQUEST_CONFIGSVN_OFFSET, true),
    reserved2: b.slice(KEYREQUEST_RESERVED2_OFFSET),
  };
}
