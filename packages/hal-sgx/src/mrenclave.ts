// MRENCLAVE: the SGX enclave measurement, built the way the CPU builds it.
//
// Models gramineproject/gramine python/graminelibos/sgx_sign.py (generate_measurement, do_ecreate,
// do_eadd, do_eextend) and intel/linux-sgx sdk/sign_tool/SignTool/enclave_creator_sign.cpp
// (EnclaveCreatorST::create_enclave / add_enclave_page / init_enclave), which follow the
// Intel SDM vol. 3D ECREATE/EADD/EEXTEND/EINIT pseudo-code: SHA-256 over 64-byte records
//   ECREATE : "ECREATE\0" || u32 SSAFRAMESIZE (pages) || u64 SIZE || 44 x 0
//   EADD    : "EADD\0\0\0\0" || u64 offset (page - enclave base) || SECINFO[0..48] (u64 flags || 40 x 0)
//   EEXTEND : "EEXTEND\0" || u64 offset || 48 x 0, then the 256 bytes of the chunk
// and EINIT finalizes the hash.

import { sha256Create } from './sha256.ts';
import { u32le, u64le } from './bytes.ts';

export const SGX_PAGE_SIZE = 4096;
/** EEXTEND measures 256 bytes per instruction: 16 per page. */
export const SGX_EEXTEND_CHUNK = 256;
export const SGX_MEASUREMENT_RECORD_SIZE = 64;

// SECINFO.FLAGS (SDM 34.11.1; gramine sgx_arch.h SGX_SECINFO_FLAGS_*)
export const SGX_SECINFO_FLAGS_R = 0x1;
export const SGX_SECINFO_FLAGS_W = 0x2;
export const SGX_SECINFO_FLAGS_X = 0x4;
export const SGX_SECINFO_FLAGS_PENDING = 0x8;
export const SGX_SECINFO_FLAGS_MODIFIED = 0x10;
export const SGX_SECINFO_FLAGS_PR = 0x20;
export const SGX_SECINFO_FLAGS_TYPE_SHIFT = 8;
// Page types (SDM 34.12.2; PAGE_TYPE<<8 in SECINFO.FLAGS)
export const SGX_PAGE_TYPE_SECS = 0;
export const SGX_PAGE_TYPE_TCS = 1;
export const SGX_PAGE_TYPE_REG = 2;
export const SGX_PAGE_TYPE_VA = 3;
export const SGX_PAGE_TYPE_TRIM = 4;
export const SGX_SECINFO_FLAGS_SECS = SGX_PAGE_TYPE_SECS << SGX_SECINFO_FLAGS_TYPE_SHIFT; // 0x000
export const SGX_SECINFO_FLAGS_TCS = SGX_PAGE_TYPE_TCS << SGX_SECINFO_FLAGS_TYPE_SHIFT; // 0x100
export const SGX_SECINFO_FLAGS_REG = SGX_PAGE_TYPE_REG << SGX_SECINFO_FLAGS_TYPE_SHIFT; // 0x200
export const SGX_SECINFO_FLAGS_VA = SGX_PAGE_TYPE_VA << SGX_SECINFO_FLAGS_TYPE_SHIFT; // 0x300
export const SGX_SECINFO_FLAGS_TRIM = SGX_PAGE_TYPE_TRIM << SGX_SECINFO_FLAGS_TYPE_SHIFT; // 0x400

/** SECINFO.FLAGS for a page type and R/W/X permissions. */
export function secinfoFlags(pageType: number, perms = 0): number {
  if (pageType < 0 || pageType > 0xff) throw new RangeError(`bad SGX page type ${pageType}`);
  return (pageType << SGX_SECINFO_FLAGS_TYPE_SHIFT) | (perms & 0xff);
}

const tag = (s: string): Uint8Array => {
  const out = new Uint8Array(8);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};
const ECREATE_TAG = tag('ECREATE');
const EADD_TAG = tag('EADD');
const EEXTEND_TAG = tag('EEXTEND');

/**
 * The MRENCLAVE accumulator of one enclave, fed in build order: ecreate(), then eadd()/eextend()
 * (or addPage()), then einit() -> the 32-byte MRENCLAVE. Refuses out-of-order and out-of-range use
 * the way the instructions would (#GP / #PF in hardware).
 */
export class MrEnclaveBuilder {
  private readonly ctx = sha256Create();
  private size = 0n;
  private state: 'new' | 'created' | 'initialized' = 'new';
  private readonly added = new Set<bigint>();

  /** ECREATE: SSAFRAMESIZE in pages, SIZE in bytes (power of two in hardware). */
  ecreate(ssaFrameSize: number, size: number | bigint): this {
    if (this.state !== 'new') throw new Error('ECREATE: enclave already created');
    const sz = BigInt(size);
    if (sz <= 0n || (sz & (sz - 1n)) !== 0n) throw new RangeError(`ECREATE: SIZE ${sz} is not a power of two`);
    if (!Number.isInteger(ssaFrameSize) || ssaFrameSize < 1 || ssaFrameSize > 0xffffffff) {
      throw new RangeError(`ECREATE: bad SSAFRAMESIZE ${ssaFrameSize}`);
    }
    const rec = new Uint8Array(SGX_MEASUREMENT_RECORD_SIZE);
    rec.set(ECREATE_TAG, 0);
    rec.set(u32le(ssaFrameSize), 8);
    rec.set(u64le(sz), 12);
    this.ctx.update(rec);
    this.size = sz;
    this.state = 'created';
    return this;
  }

  private requireCreated(what: string): void {
    if (this.state !== 'created') throw new Error(`${what}: enclave is ${this.state === 'new' ? 'not created' : 'already initialized'}`);
  }

  /** EADD of the page at `offset` (relative to the enclave base) with SECINFO.FLAGS `flags`. */
  eadd(offset: number | bigint, flags: number | bigint): this {
    this.requireCreated('EADD');
    const off = BigInt(offset);
    if (off < 0n || off % BigInt(SGX_PAGE_SIZE) !== 0n || off + BigInt(SGX_PAGE_SIZE) > this.size) {
      throw new RangeError(`EADD: offset 0x${off.toString(16)} not a page inside the enclave`);
    }
    if (this.added.has(off)) throw new Error(`EADD: page 0x${off.toString(16)} already added`);
    const rec = new Uint8Array(SGX_MEASUREMENT_RECORD_SIZE);
    rec.set(EADD_TAG, 0);
    rec.set(u64le(off), 8);
    rec.set(u64le(BigInt(flags)), 16);
    this.ctx.update(rec);
    this.added.add(off);
    return this;
  }

  /** EEXTEND of one 256-byte chunk at `offset` (inside an added page). */
  eextend(offset: number | bigint, chunk: Uint8Array): this {
    this.requireCreated('EEXTEND');
    const off = BigInt(offset);
    if (chunk.length !== SGX_EEXTEND_CHUNK) throw new RangeError(`EEXTEND: chunk must be 256 bytes, got ${chunk.length}`);
    if (off < 0n || off % BigInt(SGX_EEXTEND_CHUNK) !== 0n) throw new RangeError(`EEXTEND: offset 0x${off.toString(16)} not 256-aligned`);
    const page = off - (off % BigInt(SGX_PAGE_SIZE));
    if (!this.added.has(page)) throw new Error(`EEXTEND: page 0x${page.toString(16)} was not added`);
    const rec = new Uint8Array(SGX_MEASUREMENT_RECORD_SIZE);
    rec.set(EEXTEND_TAG, 0);
    rec.set(u64le(off), 8);
    this.ctx.update(rec);
    this.ctx.update(chunk);
    return this;
  }

  /** EADD, then (if `measure`) EEXTEND all 16 chunks of the 4096-byte page. */
  addPage(offset: number | bigint, flags: number, content: Uint8Array, measure = true): this {
    if (content.length !== SGX_PAGE_SIZE) throw new RangeError(`addPage: content must be ${SGX_PAGE_SIZE} bytes`);
    this.eadd(offset, flags);
    if (measure) {
      // The 16 EEXTEND records and chunks of the page in one update: the same byte stream as
      // 16 eextend() calls (each record: tag, u64 offset, 48 zero bytes; then the chunk).
      const base = Number(offset);
      const STEP = SGX_MEASUREMENT_RECORD_SIZE + SGX_EEXTEND_CHUNK;
      const buf = new Uint8Array((SGX_PAGE_SIZE / SGX_EEXTEND_CHUNK) * STEP);
      const dv = new DataView(buf.buffer);
      for (let i = 0, o = 0; i < SGX_PAGE_SIZE; i += SGX_EEXTEND_CHUNK, o += STEP) {
        buf.set(EEXTEND_TAG, o);
        dv.setBigUint64(o + 8, BigInt(base + i), true);
        buf.set(content.subarray(i, i + SGX_EEXTEND_CHUNK), o + SGX_MEASUREMENT_RECORD_SIZE);
      }
      this.ctx.update(buf);
    }
    return this;
  }

  /** EINIT: finalize and return MRENCLAVE (32 bytes). */
  einit(): Uint8Array {
    this.requireCreated('EINIT');
    this.state = 'initialized';
    return this.ctx.digest();
  }
}
