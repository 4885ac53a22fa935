/**
 * struct timex (linux/timex.h UAPI; the kernel's struct __kernel_timex has the same LP64
 * layout): 208 bytes on riscv64. Offsets as riscv64-linux-gnu-gcc lays the UAPI struct out
 * (offsetof printed under qemu-riscv64): modes 0 (unsigned int, 4 bytes of padding after),
 * offset 8, freq 16, maxerror 24, esterror 32, status 40 (int, padding after), constant 48,
 * precision 56, tolerance 64, time 72 (struct timeval: tv_sec 72, tv_usec 80), tick 88,
 * ppsfreq 96, jitter 104, shift 112 (int, padding after), stabil 120, jitcnt 128, calcnt 136,
 * errcnt 144, stbcnt 152, tai 160 (int), then eleven unnamed 32-bit fields (164..207).
 *
 * adjtimex copies the whole struct in and back out (kernel/time/time.c), so the holes and the
 * unnamed tail keep whatever the caller had there: encodeTimex writes the named fields into a
 * copy of the bytes that were read.
 */

export const TIMEX_SIZE = 208;

export interface Timex {
  modes: number; // unsigned int
  offset: bigint; freq: bigint; maxerror: bigint; esterror: bigint;
  status: number; // int
  constant: bigint; precision: bigint; tolerance: bigint;
  timeSec: bigint; timeUsec: bigint;
  tick: bigint; ppsfreq: bigint; jitter: bigint;
  shift: number; // int
  stabil: bigint; jitcnt: bigint; calcnt: bigint; errcnt: bigint; stbcnt: bigint;
  tai: number; // int
}

const LONGS = [
  ['offset', 8], ['freq', 16], ['maxerror', 24], ['esterror', 32], ['constant', 48], ['precision', 56], ['tolerance', 64],
  ['timeSec', 72], ['timeUsec', 80], ['tick', 88], ['ppsfreq', 96], ['jitter', 104], ['stabil', 120], ['jitcnt', 128],
  ['calcnt', 136], ['errcnt', 144], ['stbcnt', 152],
] as const;

export function decodeTimex(b: Uint8Array): Timex {
  const dv = new DataView(b.buffer, b.byteOffset, TIMEX_SIZE);
  const t = { modes: dv.getUint32(0, true), status: dv.getInt32(40, true), shift: dv.getInt32(112, true), tai: dv.getInt32(160, true) } as Timex;
  for (const [name, off] of LONGS) t[name] = dv.getBigInt64(off, true);
  return t;
}

/** The named fields of `t` written over a copy of `orig` (the caller's 208 bytes). */
export function encodeTimex(t: Timex, orig: Uint8Array = new Uint8Array(TIMEX_SIZE)): Uint8Array {
  const b = orig.slice(0, TIMEX_SIZE);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, t.modes >>> 0, true);
  dv.setInt32(40, t.status, true);
  dv.setInt32(112, t.shift, true);
  dv.setInt32(160, t.tai, true);
  for (const [name, off] of LONGS) dv.setBigInt64(off, BigInt.asIntN(64, t[name]), true);
  return b;
}

// linux/timex.h (UAPI): modes.
export const ADJ_OFFSET = 0x0001, ADJ_FREQUENCY = 0x0002, ADJ_MAXERROR = 0x0004, ADJ_ESTERROR = 0x0008;
export const ADJ_STATUS = 0x0010, ADJ_TIMECONST = 0x0020, ADJ_TAI = 0x0080, ADJ_SETOFFSET = 0x0100;
export const ADJ_MICRO = 0x1000, ADJ_NANO = 0x2000, ADJ_TICK = 0x4000;
export const ADJ_OFFSET_SINGLESHOT = 0x8001, ADJ_OFFSET_SS_READ = 0xa001;
// include/linux/timex.h (kernel-internal): the bits those two combine.
export const ADJ_ADJTIME = 0x8000, ADJ_OFFSET_READONLY = 0x2000;
// Status bits and clock states.
export const STA_PLL = 0x0001, STA_UNSYNC = 0x0040, STA_CLOCKERR = 0x1000, STA_NANO = 0x2000;
export const TIME_OK = 0, TIME_ERROR = 5;

/**
 * The NTP state of a clock nothing has disciplined (kernel/time/ntp.c's initial ntp_data):
 * time_status STA_UNSYNC, time_constant 2, time_maxerror and time_esterror NTP_PHASE_LIMIT
 * ((MAXPHASE / NSEC_PER_USEC) << 5 = (500000000 / 1000) << 5), tick_usec USER_TICK_USEC
 * ((1000000 + USER_HZ / 2) / USER_HZ with USER_HZ 100), offset, freq and TAI offset 0;
 * __do_adjtimex reports precision 1 and tolerance MAXFREQ_SCALED / PPM_SCALE
 * ((500000 << 32) / (1000 << 16) = 32768000), and without CONFIG_NTP_PPS's signal the PPS
 * fields are 0.
 */
export const NTP_PHASE_LIMIT = 16_000_000n;
export const UNSYNCED_NTP = { status: STA_UNSYNC, constant: 2n, maxerror: NTP_PHASE_LIMIT, esterror: NTP_PHASE_LIMIT, tick: 10_000n, precision: 1n, tolerance: 32_768_000n };
