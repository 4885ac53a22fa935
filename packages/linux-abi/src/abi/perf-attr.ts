/**
 * struct perf_event_attr (include/uapi/linux/perf_event.h) and the constants perf_event_open
 * uses. Offsets as the riscv64 UAPI header lays them out (no padding: every field is at its
 * natural alignment); config3 (PERF_ATTR_SIZE_VER8, Linux 6.3) is the last field of Linux
 * 6.18's struct, so this kernel's sizeof(struct perf_event_attr) is 136.
 */
export const PERF_ATTR_SIZE_VER0 = 64; // first published struct
export const PERF_ATTR_SIZE_VER1 = 72; // config2
export const PERF_ATTR_SIZE_VER2 = 80; // branch_sample_type
export const PERF_ATTR_SIZE_VER3 = 96; // sample_regs_user, sample_stack_user, clockid
export const PERF_ATTR_SIZE_VER4 = 104; // sample_regs_intr
export const PERF_ATTR_SIZE_VER5 = 112; // aux_watermark, sample_max_stack
export const PERF_ATTR_SIZE_VER6 = 120; // aux_sample_size
export const PERF_ATTR_SIZE_VER7 = 128; // sig_data
export const PERF_ATTR_SIZE_VER8 = 136; // config3
export const PERF_ATTR_SIZE = PERF_ATTR_SIZE_VER8;

export const PERF_TYPE_HARDWARE = 0, PERF_TYPE_SOFTWARE = 1, PERF_TYPE_TRACEPOINT = 2, PERF_TYPE_HW_CACHE = 3, PERF_TYPE_RAW = 4, PERF_TYPE_BREAKPOINT = 5;
export const PERF_COUNT_HW_CPU_CYCLES = 0, PERF_COUNT_HW_INSTRUCTIONS = 1;
export const PERF_COUNT_SW_CPU_CLOCK = 0, PERF_COUNT_SW_TASK_CLOCK = 1, PERF_COUNT_SW_PAGE_FAULTS = 2,
  PERF_COUNT_SW_CONTEXT_SWITCHES = 3, PERF_COUNT_SW_CPU_MIGRATIONS = 4, PERF_COUNT_SW_PAGE_FAULTS_MIN = 5,
  PERF_COUNT_SW_PAGE_FAULTS_MAJ = 6, PERF_COUNT_SW_ALIGNMENT_FAULTS = 7, PERF_COUNT_SW_EMULATION_FAULTS = 8,
  PERF_COUNT_SW_DUMMY = 9, PERF_COUNT_SW_BPF_OUTPUT = 10, PERF_COUNT_SW_CGROUP_SWITCHES = 11, PERF_COUNT_SW_MAX = 12;

export const PERF_SAMPLE_MAX = 1n << 25n; // PERF_SAMPLE_WEIGHT_STRUCT (1 << 24) is the last
export const PERF_SAMPLE_BRANCH_STACK = 1n << 11n, PERF_SAMPLE_WEIGHT = 1n << 14n, PERF_SAMPLE_WEIGHT_STRUCT = 1n << 24n;
export const PERF_FORMAT_TOTAL_TIME_ENABLED = 1, PERF_FORMAT_TOTAL_TIME_RUNNING = 2, PERF_FORMAT_ID = 4, PERF_FORMAT_GROUP = 8, PERF_FORMAT_LOST = 16, PERF_FORMAT_MAX = 32;

export const PERF_FLAG_FD_NO_GROUP = 1, PERF_FLAG_FD_OUTPUT = 2, PERF_FLAG_PID_CGROUP = 4, PERF_FLAG_FD_CLOEXEC = 8;
export const PERF_FLAG_ALL = 15;

// ioctls: _IO('$', n), _IOW/_IOR with the argument's size (riscv64's asm-generic ioctl.h).
export const PERF_EVENT_IOC_ENABLE = 0x2400, PERF_EVENT_IOC_DISABLE = 0x2401, PERF_EVENT_IOC_REFRESH = 0x2402,
  PERF_EVENT_IOC_RESET = 0x2403, PERF_EVENT_IOC_PERIOD = 0x40082404, PERF_EVENT_IOC_SET_OUTPUT = 0x2405,
  PERF_EVENT_IOC_SET_FILTER = 0x40082406, PERF_EVENT_IOC_ID = 0x80082407, PERF_EVENT_IOC_SET_BPF = 0x40042408,
  PERF_EVENT_IOC_PAUSE_OUTPUT = 0x40042409, PERF_EVENT_IOC_QUERY_BPF = 0xc008240a, PERF_EVENT_IOC_MODIFY_ATTRIBUTES = 0x4008240b;
export const PERF_IOC_FLAG_GROUP = 1;

/** The bits of the flags word (offset 40), by name, as the header's bit-field declares them in order. */
export const ATTR_BIT = {
  disabled: 0, inherit: 1, pinned: 2, exclusive: 3, exclude_user: 4, exclude_kernel: 5, exclude_hv: 6,
  exclude_idle: 7, mmap: 8, comm: 9, freq: 10, inherit_stat: 11, enable_on_exec: 12, task: 13, watermark: 14,
  /* precise_ip: 15-16 */ mmap_data: 17, sample_id_all: 18, exclude_host: 19, exclude_guest: 20,
  exclude_callchain_kernel: 21, exclude_callchain_user: 22, mmap2: 23, comm_exec: 24, use_clockid: 25,
  context_switch: 26, write_backward: 27, namespaces: 28, ksymbol: 29, bpf_event: 30, aux_output: 31,
  cgroup: 32, text_poke: 33, build_id: 34, inherit_thread: 35, remove_on_exec: 36, sigtrap: 37,
} as const;
export type AttrFlag = keyof typeof ATTR_BIT;
/** __reserved_1: the flags word's bits past sigtrap. */
export const ATTR_RESERVED_1 = ~((1n << 38n) - 1n) & 0xffff_ffff_ffff_ffffn;

export interface PerfEventAttr {
  type: number;
  size: number;
  config: bigint;
  samplePeriod: bigint; // or sample_freq when `freq`
  sampleType: bigint;
  readFormat: bigint;
  flags: bigint;
  wakeupEvents: number;
  bpType: number;
  config1: bigint;
  config2: bigint;
  branchSampleType: bigint;
  sampleRegsUser: bigint;
  sampleStackUser: number;
  clockid: number;
  sampleRegsIntr: bigint;
  auxWatermark: number;
  sampleMaxStack: number;
  reserved2: number;
  auxSampleSize: number;
  /** The word after aux_sample_size: aux_action's bits (Linux 6.13+: aux_start_paused, aux_pause, aux_resume) and __reserved_3. */
  auxAction: number;
  sigData: bigint;
  config3: bigint;
}

/** Decodes the struct from `b` (this kernel's full size; a shorter user struct is zero-extended first). */
export function decodePerfAttr(b: Uint8Array): PerfEventAttr {
  const full = new Uint8Array(PERF_ATTR_SIZE);
  full.set(b.subarray(0, PERF_ATTR_SIZE));
  const v = new DataView(full.buffer);
  const u64 = (o: number) => v.getBigUint64(o, true), u32 = (o: number) => v.getUint32(o, true);
  return {
    type: u32(0), size: u32(4), config: u64(8), samplePeriod: u64(16), sampleType: u64(24), readFormat: u64(32),
    flags: u64(40), wakeupEvents: u32(48), bpType: u32(52), config1: u64(56), config2: u64(64),
    branchSampleType: u64(72), sampleRegsUser: u64(80), sampleStackUser: u32(88), clockid: v.getInt32(92, true),
    sampleRegsIntr: u64(96), auxWatermark: u32(104), sampleMaxStack: v.getUint16(108, true), reserved2: v.getUint16(110, true),
    auxSampleSize: u32(112), auxAction: u32(116), sigData: u64(120), config3: u64(128),
  };
}

export function encodePerfAttr(a: PerfEventAttr): Uint8Array {
  const out = new Uint8Array(PERF_ATTR_SIZE);
  const v = new DataView(out.buffer);
  const u64 = (o: number, x: bigint) => v.setBigUint64(o, BigInt.asUintN(64, x), true), u32 = (o: number, x: number) => v.setUint32(o, x >>> 0, true);
  u32(0, a.type); u32(4, a.size); u64(8, a.config); u64(16, a.samplePeriod); u64(24, a.sampleType); u64(32, a.readFormat);
  u64(40, a.flags); u32(48, a.wakeupEvents); u32(52, a.bpType); u64(56, a.config1); u64(64, a.config2);
  u64(72, a.branchSampleType); u64(80, a.sampleRegsUser); u32(88, a.sampleStackUser); v.setInt32(92, a.clockid, true);
  u64(96, a.sampleRegsIntr); u32(104, a.auxWatermark); v.setUint16(108, a.sampleMaxStack, true); v.setUint16(110, a.reserved2, true);
  u32(112, a.auxSampleSize); u32(116, a.auxAction); u64(120, a.sigData); u64(128, a.config3);
  return out;
}

export function attrFlag(a: PerfEventAttr, name: AttrFlag): boolean {
  return ((a.flags >> BigInt(ATTR_BIT[name])) & 1n) === 1n;
}
