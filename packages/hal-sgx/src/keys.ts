// EGETKEY and EREPORT — a MODEL following intel/linux-sgx SIMULATION mode
// (sdk/simulation/tinst/t_instructions.cpp _EGETKEY/_EREPORT, deriv.{h,cpp}, rts_sim.h).
//
// THIS IS NOT THE SILICON KEY DERIVATION. Real EGETKEY derives from fused per-CPU secrets with an
// undisclosed derivation; the simulation SDK (and this model) uses PUBLIC base keys, so anyone can
// recompute every key here. It gives the right *shape* (which inputs separate which keys, which
// requests are refused), never secrecy.
//
//   key = AES-128-CMAC(base_key[key_name], derivation_data)           (deriv.cpp derive_key)
//
// Derivation data are the simulator's C structs (deriv.h), which are NOT packed: their byte layout
// is the x86-64 compiler layout (u16 key_name, 6 bytes of padding before the 8-aligned
// sgx_attributes_t, tail padding to a multiple of 8), zero-filled by memset:
//   dd_seal_key_t    (176): key_name@0 tmp_attr@8 attribute_mask@24 owner_epoch@40 cpu_svn@56
//                           isv_svn@72 isv_prod_id@74 mrenclave@76 mrsigner@108 key_id@140
//   dd_report_key_t  (120): key_name@0 attributes@8 owner_epoch@24 mrenclave@40 cpu_svn@72 key_id@88
//   dd_license_key_t  (96): key_name@0 attributes@8 owner_epoch@24 cpu_svn@40 isv_svn@56
//                           isv_prod_id@58 key_id@60
//   dd_provision_key_t(96): key_name@0 tmp_attr@8 attribute_mask@24 cpu_svn@40 isv_svn@56
//                           isv_prod_id@58 mrsigner@60
//
// Departures from the simulator, each deliberate:
//  - EREPORT fills MISCSELECT, CET attributes, ISVEXTPRODID, ISVFAMILYID, CONFIGID and CONFIGSVN of
//    the body from the SECS as the SDM's EREPORT does (the simulator leaves them zero). They are
//    MAC-covered either way.
//  - Invalid requests return a typed error instead of abort() (#GP) or a bare error code.

import { aesCmac } from './cmac.ts';
import { bytesEqual, fromHex, isZero, requireLength, u16le, u64le } from './bytes.ts';
import {
  SGX_KEYSELECT_EINITTOKEN, SGX_KEYSELECT_PROVISION, SGX_KEYSELECT_PROVISION_SEAL, SGX_KEYSELECT_REPORT,
  SGX_KEYSELECT_SEAL, SGX_KEYPOLICY_MRENCLAVE, SGX_KEYPOLICY_MRSIGNER, SGX_REPORT_BODY_SIZE, SGX_REPORT_SIZE,
  decodeKeyRequest, decodeReport, encodeReport, type SgxKeyRequest, type SgxReport, type SgxTargetInfo,
} from './report.ts';
import {
  SGX_FLAGS_DEBUG, SGX_FLAGS_EINITTOKEN_KEY, SGX_FLAGS_INITTED, SGX_FLAGS_PROVISION_KEY, type SgxAttributes,
  type SgxEnclaveIdentity,
} from './sigstruct.ts';

// deriv.cpp: the built-in base keys of simulation mode (public constants).
export const BASE_SEAL_KEY = fromHex('00112233445566778899aabbccddeeff');
export const BASE_REPORT_KEY = fromHex('ff00ff00ff00ff00ff00ff00ff00ff00');
export const BASE_EINITTOKEN_KEY = fromHex('aa55aa55aa55aa55aa55aa55aa55aa55');
export const BASE_PROVISION_KEY = fromHex('bbaabbeeff0000ddbbaabbeeff0000dd');
export const BASE_PROV_SEAL_KEY = fromHex('50524f564953494f4e5345414c4b4559'); // "PROVISIONSEALKEY"
// t_instructions.cpp: SIMU_OWNER_EPOCH_MSR = "THISISOWNEREPOCH".
export const SIMU_OWNER_EPOCH_MSR = fromHex('5448495349534f574e455245504f4348');
// rts_sim.h: the simulated CPUSVN values.
export const DEFAULT_CPUSVN = fromHex('4820f3376ae6b2f2034d3b7a4b48a778');
export const UPGRADED_CPUSVN = fromHex('5339ae8c93ae8f3ce432db924d0f0733');
export const DOWNGRADED_CPUSVN = fromHex('64ea4f3fa0030c36383c322d4f3a8d4f');

export function getBaseKey(keyName: number): Uint8Array | undefined {
  switch (keyName) {
    case SGX_KEYSELECT_SEAL: return BASE_SEAL_KEY;
    case SGX_KEYSELECT_REPORT: return BASE_REPORT_KEY;
    case SGX_KEYSELECT_EINITTOKEN: return BASE_EINITTOKEN_KEY;
    case SGX_KEYSELECT_PROVISION: return BASE_PROVISION_KEY;
    case SGX_KEYSELECT_PROVISION_SEAL: return BASE_PROV_SEAL_KEY;
    default: return undefined;
  }
}

export const DD_SEAL_KEY_SIZE = 176;
export const DD_REPORT_KEY_SIZE = 120;
export const DD_LICENSE_KEY_SIZE = 96;
export const DD_PROVISION_KEY_SIZE = 96;

function putAttr(b: Uint8Array, off: number, a: SgxAttributes): void {
  b.set(u64le(a.flags), off);
  b.set(u64le(a.xfrm), off + 8);
}

/** dd_report_key_t bytes. */
export function reportKeyDerivationData(
  attributes: SgxAttributes, mrenclave: Uint8Array, cpusvn: Uint8Array, keyid: Uint8Array,
): Uint8Array {
  const dd = new Uint8Array(DD_REPORT_KEY_SIZE);
  dd.set(u16le(SGX_KEYSELECT_REPORT), 0);
  putAttr(dd, 8, attributes);
  dd.set(SIMU_OWNER_EPOCH_MSR, 24);
  dd.set(mrenclave, 40);
  dd.set(cpusvn, 72);
  dd.set(keyid, 88);
  return dd;
}

/** The simulated platform: its CPUSVN register (cpusvn_sim). */
export interface SgxPlatformModel {
  cpusvn: Uint8Array;
}
export const DEFAULT_SGX_PLATFORM: SgxPlatformModel = { cpusvn: DEFAULT_CPUSVN };

export type EgetkeyError =
  | 'EGETKEY_INVALID_KEYNAME'
  | 'EGETKEY_INVALID_ISVSVN' // request isvsvn > SECS isvsvn
  | 'EGETKEY_INVALID_CPUSVN'
  | 'EGETKEY_INVALID_ATTRIBUTE' // PROVISION/EINITTOKEN key without the SECS attribute
  | 'GP_RESERVED_KEYPOLICY' // policy bits other than MRENCLAVE|MRSIGNER (the simulator #GPs; needs KSS)
  | 'GP_RESERVED_NONZERO'; // reserved KEYREQUEST bytes not zero (#GP)

export type EgetkeyResult = { ok: true; key: Uint8Array } | { ok: false; error: EgetkeyError };

function checkCpusvn(req: Uint8Array, platform: Uint8Array): boolean {
  const known = [UPGRADED_CPUSVN, DEFAULT_CPUSVN, DOWNGRADED_CPUSVN].some((c) => bytesEqual(req, c));
  if (!known) return false;
  if (bytesEqual(platform, DEFAULT_CPUSVN) && bytesEqual(req, UPGRADED_CPUSVN)) return false;
  if (bytesEqual(platform, DOWNGRADED_CPUSVN) && !bytesEqual(req, DOWNGRADED_CPUSVN)) return false;
  return true;
}

/** EGETKEY executed by the enclave `secs` (model of _EGETKEY). Accepts a decoded or raw KEYREQUEST. */
export function egetkey(
  secs: SgxEnclaveIdentity, request: SgxKeyRequest | Uint8Array, platform: SgxPlatformModel = DEFAULT_SGX_PLATFORM,
): EgetkeyResult {
  const kr = request instanceof Uint8Array ? decodeKeyRequest(request) : request;
  const err = (error: EgetkeyError): EgetkeyResult => ({ ok: false, error });
  if ((kr.keypolicy & ~(SGX_KEYPOLICY_MRENCLAVE | SGX_KEYPOLICY_MRSIGNER)) !== 0) return err('GP_RESERVED_KEYPOLICY');
  if ((kr.reserved1 ?? 0) !== 0 || (kr.reserved2 !== undefined && !isZero(kr.reserved2))) return err('GP_RESERVED_NONZERO');
  requireLength(kr.cpusvn, 16, 'KEYREQUEST.cpusvn');
  requireLength(kr.keyid, 32, 'KEYREQUEST.keyid');
  const tmpAttr: SgxAttributes = {
    flags: (kr.attributemask.flags | SGX_FLAGS_INITTED | SGX_FLAGS_DEBUG) & secs.attributes.flags,
    xfrm: kr.attributemask.xfrm & secs.attributes.xfrm,
  };
  // "HW supports CPUSVN to be set as 0": a zero CPUSVN means DEFAULT_CPUSVN.
  const cpusvn = isZero(kr.cpusvn) ? DEFAULT_CPUSVN : kr.cpusvn;
  let dd: Uint8Array;
  switch (kr.keyname) {
    case SGX_KEYSELECT_SEAL: {
      if (kr.isvsvn > secs.isvsvn) return err('EGETKEY_INVALID_ISVSVN');
      if (!checkCpusvn(cpusvn, platform.cpusvn)) return err('EGETKEY_INVALID_CPUSVN');
      dd = new Uint8Array(DD_SEAL_KEY_SIZE);
      dd.set(u16le(kr.keyname), 0);
      putAttr(dd, 8, tmpAttr);
      putAttr(dd, 24, kr.attributemask);
      dd.set(SIMU_OWNER_EPOCH_MSR, 40);
      dd.set(cpusvn, 56);
      dd.set(u16le(kr.isvsvn), 72);
      dd.set(u16le(secs.isvprodid), 74);
      if (kr.keypolicy & SGX_KEYPOLICY_MRENCLAVE) dd.set(secs.mrenclave, 76);
      if (kr.keypolicy & SGX_KEYPOLICY_MRSIGNER) dd.set(secs.mrsigner, 108);
      dd.set(kr.keyid, 140);
      break;
    }
    case SGX_KEYSELECT_REPORT:
      dd = reportKeyDerivationData(secs.attributes, secs.mrenclave, platform.cpusvn, kr.keyid);
      break;
    case SGX_KEYSELECT_EINITTOKEN: {
      if ((secs.attributes.flags & SGX_FLAGS_EINITTOKEN_KEY) === 0n) return err('EGETKEY_INVALID_ATTRIBUTE');
      if (kr.isvsvn > secs.isvsvn) return err('EGETKEY_INVALID_ISVSVN');
      if (!checkCpusvn(cpusvn, platform.cpusvn)) return err('EGETKEY_INVALID_CPUSVN');
      dd = new Uint8Array(DD_LICENSE_KEY_SIZE);
      dd.set(u16le(kr.keyname), 0);
      putAttr(dd, 8, secs.attributes);
      dd.set(SIMU_OWNER_EPOCH_MSR, 24);
      dd.set(cpusvn, 40);
      dd.set(u16le(kr.isvsvn), 56);
      dd.set(u16le(secs.isvprodid), 58);
      dd.set(kr.keyid, 60);
      break;
    }
    case SGX_KEYSELECT_PROVISION:
    case SGX_KEYSELECT_PROVISION_SEAL: {
      if ((secs.attributes.flags & SGX_FLAGS_PROVISION_KEY) === 0n) return err('EGETKEY_INVALID_ATTRIBUTE');
      if (kr.isvsvn > secs.isvsvn) return err('EGETKEY_INVALID_ISVSVN');
      if (!checkCpusvn(cpusvn, platform.cpusvn)) return err('EGETKEY_INVALID_CPUSVN');
      dd = new Uint8Array(DD_PROVISION_KEY_SIZE);
      dd.set(u16le(kr.keyname), 0);
      putAttr(dd, 8, tmpAttr);
      putAttr(dd, 24, kr.attributemask);
      dd.set(cpusvn, 40);
      dd.set(u16le(kr.isvsvn), 56);
      dd.set(u16le(secs.isvprodid), 58);
      dd.set(secs.mrsigner, 60);
      break;
    }
    default:
      return err('EGETKEY_INVALID_KEYNAME');
  }
  return { ok: true, key: aesCmac(getBaseKey(kr.keyname)!, dd) };
}

/** A KEYREQUEST with everything zero but the given fields. */
export function keyRequest(fields: Partial<SgxKeyRequest> & { keyname: number }): SgxKeyRequest {
  return {
    keypolicy: 0,
    isvsvn: 0,
    cpusvn: new Uint8Array(16),
    attributemask: { flags: 0n, xfrm: 0n },
    keyid: new Uint8Array(32),
    miscmask: 0,
    configsvn: 0,
    ...fields,
  };
}

/** The TARGETINFO an enclave publishes so others can EREPORT to it. */
export function targetInfoOf(id: SgxEnclaveIdentity): SgxTargetInfo {
  return {
    mrenclave: id.mrenclave.slice(),
    attributes: { ...id.attributes },
    cetAttributes: id.cetAttributes,
    configsvn: id.configsvn,
    miscselect: id.miscselect,
    configid: id.configid.slice(),
  };
}

/** The simulator's KEYID: the first half of BASE_REPORT_KEY, then zeros (sizeof(key_id)/2 bytes copied). */
export function simReportKeyId(): Uint8Array {
  const keyid = new Uint8Array(32);
  keyid.set(BASE_REPORT_KEY.subarray(0, 16));
  return keyid;
}

/**
 * EREPORT executed by enclave `secs` for `target` with 64 bytes of REPORTDATA (model of _EREPORT):
 * MAC = AES-CMAC(report key derived for the TARGET, body[0..384]).
 * `keyid` defaults to the simulator's fixed value (hardware uses CR_REPORT_KEYID, random per boot).
 */
export function ereport(
  secs: SgxEnclaveIdentity, target: SgxTargetInfo, reportdata: Uint8Array,
  platform: SgxPlatformModel = DEFAULT_SGX_PLATFORM, keyid: Uint8Array = simReportKeyId(),
): Uint8Array {
  requireLength(reportdata, 64, 'REPORTDATA');
  requireLength(keyid, 32, 'KEYID');
  const report: SgxReport = {
    body: {
      cpusvn: platform.cpusvn.slice(),
      miscselect: secs.miscselect,
      cetAttributes: secs.cetAttributes,
      isvextprodid: secs.isvextprodid.slice(),
      attributes: { ...secs.attributes },
      mrenclave: secs.mrenclave.slice(),
      mrsigner: secs.mrsigner.slice(),
      configid: secs.configid.slice(),
      isvprodid: secs.isvprodid,
      isvsvn: secs.isvsvn,
      configsvn: secs.configsvn,
      isvfamilyid: secs.isvfamilyid.slice(),
      reportdata: reportdata.slice(),
    },
    keyid: keyid.slice(),
    mac: new Uint8Array(16),
  };
  const key = aesCmac(BASE_REPORT_KEY, reportKeyDerivationData(target.attributes, target.mrenclave, platform.cpusvn, keyid));
  const bytes = encodeReport(report);
  bytes.set(aesCmac(key, bytes.subarray(0, SGX_REPORT_BODY_SIZE)), 416);
  return bytes;
}

/**
 * The target's check of a REPORT addressed to it (what sgx_verify_report does): EGETKEY(REPORT,
 * KEYID = report.keyid) inside the target, then CMAC over the body and compare with report.mac.
 */
export function verifyReportMac(
  reportBytes: Uint8Array, target: SgxEnclaveIdentity, platform: SgxPlatformModel = DEFAULT_SGX_PLATFORM,
): boolean {
  if (reportBytes.length !== SGX_REPORT_SIZE) return false;
  const r = decodeReport(reportBytes);
  const k = egetkey(target, keyRequest({ keyname: SGX_KEYSELECT_REPORT, keyid: r.keyid }), platform);
  if (!k.ok) return false;
  return bytesEqual(aesCmac(k.key, reportBytes.subarray(0, SGX_REPORT_BODY_SIZE)), r.mac);
}
