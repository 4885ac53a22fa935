/**
 * The Keystone edge-call wire format in the untrusted shared region (UTM), shared by the
 * enclave runtime and the host. From sdk/include/edge/edge_common.h, sdk/src/edge/edge_call.c
 * and sdk/src/edge/edge_syscall.c:
 *   struct edge_call { u64 call_id; u64 call_arg_offset; u64 call_arg_size;
 *                      struct { u64 call_status; u64 call_ret_offset; u64 call_ret_size; } return_data; }
 * All pointers are offsets into the shared region, valid when offset < len && size <= len - offset.
 * Data starts at +48. EDGECALL_SYSCALL carries struct edge_syscall { size_t syscall_num; u8 data[]; }
 * followed by the syscall's sargs_SYS_* struct; the host writes an int64 ret at +48.
 *
 * sargs layouts (natural C alignment):
 *   sargs_SYS_write        { int fd@0; size_t len@8; u8 buf[]@16 }
 *   sargs_SYS_read         { int fd@0; size_t len@8; u8 buf[]@16 }   host fills buf
 *   sargs_SYS_fstat        { int fd@0; struct stat stats@8 }        host fills stats
 *   TEE OS extensions, same conventions:
 *   sargs_SYS_ioctl        { int fd@0; unsigned long request@8; u8 arg[]@16 }  (TCGETS, TIOCGWINSZ)
 *   sargs_SYS_clock_gettime{ int clockid@0; struct timespec tp@8 }
 */
import { EDGE_CALL_SIZE } from '../constants.ts';

export const OFF_CALL_ID = 0;
export const OFF_CALL_ARG_OFFSET = 8;
export const OFF_CALL_ARG_SIZE = 16;
export const OFF_CALL_STATUS = 24;
export const OFF_CALL_RET_OFFSET = 32;
export const OFF_CALL_RET_SIZE = 40;
/** edge_call_data_ptr(): the data area after the header. */
export const EDGE_DATA = EDGE_CALL_SIZE;
/** Where sargs_* starts: after edge_syscall.syscall_num. */
export const SARGS = EDGE_DATA + 8;

/** u64 fields as numbers: anything >= 2^53 is out of range for any region anyway. */
export function getU64(dv: DataView, off: number): number {
  return dv.getUint32(off, true) + dv.getUint32(off + 4, true) * 0x1_0000_0000;
}
export function setU64(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, v >>> 0, true);
  dv.setUint32(off + 4, Math.floor(v / 0x1_0000_0000) >>> 0, true);
}
export function getI64(dv: DataView, off: number): number {
  return dv.getUint32(off, true) + dv.getInt32(off + 4, true) * 0x1_0000_0000;
}
export function setI64(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, v >>> 0, true);
  dv.setInt32(off + 4, Math.floor(v / 0x1_0000_0000), true);
}

/** The SDK's bounds rule for a (offset, size) pair inside a region of `len` bytes. */
export function validRange(offset: number, size: number, len: number): boolean {
  return Number.isSafeInteger(offset) && Number.isSafeInteger(size) && offset >= 0 && size >= 0 &&
    offset < len && size <= len - offset;
}

export interface EdgeHeader {
  callId: number;
  argOffset: number;
  argSize: number;
  status: number;
  retOffset: number;
  retSize: number;
}

export function readHeader(dv: DataView): EdgeHeader {
  return {
    callId: getU64(dv, OFF_CALL_ID),
    argOffset: getU64(dv, OFF_CALL_ARG_OFFSET),
    argSize: getU64(dv, OFF_CALL_ARG_SIZE),
    status: getU64(dv, OFF_CALL_STATUS),
    retOffset: getU64(dv, OFF_CALL_RET_OFFSET),
    retSize: getU64(dv, OFF_CALL_RET_SIZE),
  };
}

export function writeRequestHeader(dv: DataView, callId: number, argSize: number): void {
  setU64(dv, OFF_CALL_ID, callId);
  setU64(dv, OFF_CALL_ARG_OFFSET, EDGE_DATA);
  setU64(dv, OFF_CALL_ARG_SIZE, argSize);
  setU64(dv, OFF_CALL_STATUS, 0);
  setU64(dv, OFF_CALL_RET_OFFSET, 0);
  setU64(dv, OFF_CALL_RET_SIZE, 0);
}

export function writeReturn(dv: DataView, status: number, retOffset: number, retSize: number): void {
  setU64(dv, OFF_CALL_STATUS, status);
  setU64(dv, OFF_CALL_RET_OFFSET, retOffset);
  setU64(dv, OFF_CALL_RET_SIZE, retSize);
}
