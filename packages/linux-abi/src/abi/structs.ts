/**
 * Linux struct layouts for riscv64 (LP64) as small codecs. Offsets follow the UAPI headers:
 * asm-generic/stat.h (struct stat), linux/utsname.h (new_utsname), linux/time_types.h
 * (__kernel_timespec), asm-generic/resource.h (rlimit64), asm-generic/termbits.h (termios),
 * linux/uio.h (iovec). Each has a byte-exact test in test/structs.test.ts.
 */

export interface Stat {
  dev: number; ino: number; mode: number; nlink: number; uid: number; gid: number; rdev: number;
  size: number; blksize: number; blocks: number;
  atimeSec: number; atimeNsec: number; mtimeSec: number; mtimeNsec: number; ctimeSec: number; ctimeNsec: number;
}

export const STAT_SIZE = 128;

function putU64(dv: DataView, off: number, v: number): void {
  // Numbers up to 2^53; negative values are stored in two's complement.
  const lo = v >>> 0;
  const hi = Math.floor(v / 0x1_0000_0000);
  dv.setUint32(off, lo, true);
  dv.setInt32(off + 4, hi | 0, true);
}
function getU64(dv: DataView, off: number): number {
  return dv.getUint32(off, true) + dv.getInt32(off + 4, true) * 0x1_0000_0000;
}

export function encodeStat(s: Stat): Uint8Array {
  const b = new Uint8Array(STAT_SIZE);
  const dv = new DataView(b.buffer);
  putU64(dv, 0, s.dev);
  putU64(dv, 8, s.ino);
  dv.setUint32(16, s.mode, true);
  dv.setUint32(20, s.nlink, true);
  dv.setUint32(24, s.uid, true);
  dv.setUint32(28, s.gid, true);
  putU64(dv, 32, s.rdev);
  putU64(dv, 48, s.size);
  dv.setInt32(56, s.blksize, true);
  putU64(dv, 64, s.blocks);
  putU64(dv, 72, s.atimeSec);
  putU64(dv, 80, s.atimeNsec);
  putU64(dv, 88, s.mtimeSec);
  putU64(dv, 96, s.mtimeNsec);
  putU64(dv, 104, s.ctimeSec);
  putU64(dv, 112, s.ctimeNsec);
  return b;
}

export function decodeStat(b: Uint8Array): Stat {
  if (b.length < STAT_SIZE) throw new RangeError(`struct stat needs ${STAT_SIZE} bytes, got ${b.length}`);
  const dv = new DataView(b.buffer, b.byteOffset, STAT_SIZE);
  return {
    dev: getU64(dv, 0), ino: getU64(dv, 8), mode: dv.getUint32(16, true), nlink: dv.getUint32(20, true),
    uid: dv.getUint32(24, true), gid: dv.getUint32(28, true), rdev: getU64(dv, 32), size: getU64(dv, 48),
    blksize: dv.getInt32(56, true), blocks: getU64(dv, 64),
    atimeSec: getU64(dv, 72), atimeNsec: getU64(dv, 80), mtimeSec: getU64(dv, 88), mtimeNsec: getU64(dv, 96),
    ctimeSec: getU64(dv, 104), ctimeNsec: getU64(dv, 112),
  };
}

/** struct new_utsname: six fields of __NEW_UTS_LEN + 1 = 65 bytes. */
export const UTS_FIELD = 65;
export const UTSNAME_SIZE = 6 * UTS_FIELD;
export interface Utsname { sysname: string; nodename: string; release: string; version: string; machine: string; domainname: string }

export function encodeUtsname(u: Utsname): Uint8Array {
  const b = new Uint8Array(UTSNAME_SIZE);
  const enc = new TextEncoder();
  [u.sysname, u.nodename, u.release, u.version, u.machine, u.domainname].forEach((s, i) => {
    b.set(enc.encode(s).subarray(0, UTS_FIELD - 1), i * UTS_FIELD);
  });
  return b;
}

/** struct __kernel_timespec { s64 tv_sec; long long tv_nsec; } */
export const TIMESPEC_SIZE = 16;
export function encodeTimespec(sec: number, nsec: number): Uint8Array {
  const b = new Uint8Array(TIMESPEC_SIZE);
  const dv = new DataView(b.buffer);
  putU64(dv, 0, sec);
  putU64(dv, 8, nsec);
  return b;
}
export function decodeTimespec(b: Uint8Array): { sec: number; nsec: number } {
  const dv = new DataView(b.buffer, b.byteOffset, TIMESPEC_SIZE);
  return { sec: getU64(dv, 0), nsec: getU64(dv, 8) };
}

/** struct rlimit64 { u64 rlim_cur, rlim_max; } with RLIM64_INFINITY = ~0ULL. */
export const RLIMIT_SIZE = 16;
export const RLIM_INFINITY = -1n;
export function encodeRlimit(cur: bigint, max: bigint): Uint8Array {
  const b = new Uint8Array(RLIMIT_SIZE);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, BigInt.asUintN(64, cur), true);
  dv.setBigUint64(8, BigInt.asUintN(64, max), true);
  return b;
}
export function decodeRlimit(b: Uint8Array): { cur: bigint; max: bigint } {
  const dv = new DataView(b.buffer, b.byteOffset, RLIMIT_SIZE);
  return { cur: dv.getBigUint64(0, true), max: dv.getBigUint64(8, true) };
}

/** struct termios (the kernel's, used by TCGETS/TCSETS): 4 x u32 flags, c_line, c_cc[19]. */
export const NCCS = 19;
export const TERMIOS_SIZE = 4 * 4 + 1 + NCCS;

/** struct iovec { void *iov_base; size_t iov_len; } */
export const IOVEC_SIZE = 16;
export function decodeIovecs(b: Uint8Array, count: number): { base: bigint; len: bigint }[] {
  const dv = new DataView(b.buffer, b.byteOffset, count * IOVEC_SIZE);
  const out = [];
  for (let i = 0; i < count; i++) {
    out.push({ base: dv.getBigUint64(i * 16, true), len: dv.getBigUint64(i * 16 + 8, true) });
  }
  return out;
}
