/**
 * perf_event_open (kernel/events/core.c) for counting: a task's own events as Linux with
 * kernel.perf_event_paranoid = 2 (its default) allows them. The checks are Linux 6.18's in
 * its order: flags, perf_copy_attr (size, reserved fields, sample_type/read_format bits, the
 * flag combinations), perf_allow_kernel for an event that counts kernel mode, freq/period,
 * the group_fd, the task (ESRCH), the cpu (perf_event_alloc: pid -1 with cpu -1 EINVAL), the
 * PMU (perf_init_event: ENOENT for a type or config none serves), sampling on a PMU that
 * cannot interrupt (EOPNOTSUPP), the ptrace check on another task (EACCES), perf_allow_cpu
 * for a CPU-wide event, then the group's own rules (EINVAL).
 *
 * PMUs. Software (PERF_TYPE_SOFTWARE): cpu-clock and task-clock count the task's CPU time as
 * this kernel accounts it (one guest instruction = 1 ns, the model getrusage uses); page-faults
 * and page-faults-min count the page faults the kernel resolved for the task's user mode,
 * page-faults-maj stays 0 (no fault here waits for I/O); context-switches counts the times the
 * task stopped running (blocked, or preempted by another task); cpu-migrations is 0 (one hart);
 * alignment-faults, emulation-faults, bpf-output and cgroup-switches are 0 (the kernel never
 * emulates an access, has no BPF and one cgroup). As Linux, context switches and migrations
 * are kernel-mode events: exclude_kernel (which paranoid 2 requires of a user) leaves them 0.
 * Hardware (PERF_TYPE_HARDWARE): a PMU like riscv's legacy one (counters, no overflow
 * interrupt): instructions is the hart's exact retired-instruction count of the task's user
 * mode (this kernel's own work is no guest instruction, so kernel mode counts none);
 * cpu-cycles and every other config ENOENT (the hart has no cycle model to count honestly).
 * Other types ENOENT.
 *
 * Counting only: a sampling event (sample_period or freq) is EOPNOTSUPP, as Linux answers for
 * a PMU without an overflow interrupt (PERF_PMU_CAP_NO_INTERRUPT); Linux's software PMU can
 * sample, this one cannot (no ring buffer: mmap of the descriptor is ENODEV). `inherit`:
 * children created later count too, a read sums them (live or ended) with the event, and
 * enable/disable/reset reach them; on sgx a child process is another enclave, so there only
 * inherit_thread (threads) is accepted, inherit alone EOPNOTSUPP.
 * read() as perf_read: ENOSPC for a buffer shorter than the read_format needs; a group leader
 * read with PERF_FORMAT_GROUP gives every member. ioctl ENABLE/DISABLE/RESET (with
 * PERF_IOC_FLAG_GROUP), ID, PERIOD/REFRESH (EINVAL: not sampling), SET_OUTPUT,
 * MODIFY_ATTRIBUTES; prctl PR_TASK_PERF_EVENTS_DISABLE/ENABLE act on the events the calling
 * task opened. enable_on_exec enables at the target's execve.
 * Another task (pid > 0) is found only among this enclave's processes: on sgx a fork child is
 * another enclave, so its pid is ESRCH here, and a perf descriptor is not carried to it (the
 * fork logs so).
 */
import { E, SysError } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import { OpenFile, type IoctlMemory } from '../fs/file.ts';
import { AnonInode } from '../fs/pipe.ts';
import { fsOf } from '../fs/context.ts';
import { O_CLOEXEC, O_RDWR } from '../fs/vfs.ts';
import {
  attrFlag, ATTR_RESERVED_1, decodePerfAttr, type PerfEventAttr, PERF_ATTR_SIZE, PERF_ATTR_SIZE_VER0,
  PERF_COUNT_HW_INSTRUCTIONS, PERF_COUNT_SW_ALIGNMENT_FAULTS, PERF_COUNT_SW_BPF_OUTPUT, PERF_COUNT_SW_CGROUP_SWITCHES,
  PERF_COUNT_SW_CONTEXT_SWITCHES, PERF_COUNT_SW_CPU_CLOCK, PERF_COUNT_SW_CPU_MIGRATIONS, PERF_COUNT_SW_DUMMY,
  PERF_COUNT_SW_EMULATION_FAULTS, PERF_COUNT_SW_MAX, PERF_COUNT_SW_PAGE_FAULTS, PERF_COUNT_SW_PAGE_FAULTS_MAJ,
  PERF_COUNT_SW_PAGE_FAULTS_MIN, PERF_COUNT_SW_TASK_CLOCK, PERF_EVENT_IOC_DISABLE, PERF_EVENT_IOC_ENABLE,
  PERF_EVENT_IOC_ID, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, PERF_EVENT_IOC_PAUSE_OUTPUT, PERF_EVENT_IOC_PERIOD,
  PERF_EVENT_IOC_QUERY_BPF, PERF_EVENT_IOC_REFRESH, PERF_EVENT_IOC_RESET, PERF_EVENT_IOC_SET_BPF,
  PERF_EVENT_IOC_SET_FILTER, PERF_EVENT_IOC_SET_OUTPUT, PERF_FLAG_ALL, PERF_FLAG_FD_CLOEXEC, PERF_FLAG_FD_NO_GROUP,
  PERF_FLAG_FD_OUTPUT, PERF_FLAG_PID_CGROUP, PERF_FORMAT_GROUP, PERF_FORMAT_ID, PERF_FORMAT_LOST, PERF_FORMAT_MAX,
  PERF_FORMAT_TOTAL_TIME_ENABLED, PERF_FORMAT_TOTAL_TIME_RUNNING, PERF_IOC_FLAG_GROUP, PERF_SAMPLE_BRANCH_STACK,
  PERF_SAMPLE_MAX, PERF_SAMPLE_WEIGHT, PERF_SAMPLE_WEIGHT_STRUCT, PERF_TYPE_HARDWARE, PERF_TYPE_SOFTWARE, PERF_TYPE_TRACEPOINT,
} from '../abi/perf-attr.ts';

const PAGE_SIZE = 4096;
/** kernel.perf_event_paranoid (shown in /proc/sys/kernel/perf_event_paranoid). */
export const PERF_EVENT_PARANOID = 2;
/** kernel.perf_event_max_sample_rate's default. */
const MAX_SAMPLE_RATE = 100000n;
/** PERF_SAMPLE_REGS_USER / STACK_USER / REGS_INTR / CGROUP / PHYS_ADDR. */
const PERF_SAMPLE_REGS_USER = 1n << 12n, PERF_SAMPLE_STACK_USER = 1n << 13n, PERF_SAMPLE_REGS_INTR = 1n << 18n, PERF_SAMPLE_PHYS_ADDR = 1n << 19n;
/** riscv's PERF_REG_RISCV_MAX: the registers a sample may ask for (perf_reg_validate). */
const PERF_REG_MASK = (1n << 32n) - 1n;

type Source = (t: Task | null, k: Kernel) => number;

/** What each event counts: a monotonic reading of the target (a task, or the whole hart). */
function sourceOf(type: number, config: bigint, excludeUser: boolean, excludeKernel: boolean): Source {
  const zero: Source = () => 0;
  const clock: Source = (t, k) => (t ? t.userInstructions : k.platform.monotonicNs());
  if (type === PERF_TYPE_HARDWARE) return excludeUser ? zero : (t, k) => (t ? t.userInstructions : k.platform.exec.instret());
  switch (Number(config)) {
    case PERF_COUNT_SW_CPU_CLOCK:
    case PERF_COUNT_SW_TASK_CLOCK:
      return clock;
    case PERF_COUNT_SW_PAGE_FAULTS:
    case PERF_COUNT_SW_PAGE_FAULTS_MIN:
      return excludeUser ? zero : (t, k) => (t ? t.pageFaults : k.pageFaults);
    case PERF_COUNT_SW_CONTEXT_SWITCHES:
      return excludeKernel ? zero : (t, k) => (t ? t.contextSwitches : k.contextSwitches);
    default:
      return zero;
  }
}

let nextId = 1;

class PerfEvent {
  readonly id = nextId++;
  readonly source: Source;
  leader: PerfEvent = this;
  readonly siblings: PerfEvent[] = [];
  enabled: boolean;
  count = 0;
  base = 0;
  timeEnabled = 0;
  timeRunning = 0;
  timeBase = 0;
  enableOnExec: boolean;
  closed = false;
  /** inherit: the event this one was inherited from (the original, as Linux links them), and those inherited from this one. */
  parent: PerfEvent | null = null;
  readonly children: PerfEvent[] = [];
  constructor(readonly k: Kernel, readonly attr: PerfEventAttr, readonly target: Task | null, readonly cpu: number, readonly owner: Task) {
    this.source = sourceOf(attr.type, attr.config, attrFlag(attr, 'exclude_user'), attrFlag(attr, 'exclude_kernel'));
    this.enabled = !attrFlag(attr, 'disabled');
    this.enableOnExec = attrFlag(attr, 'enable_on_exec');
  }
  /** Counting: enabled, and its leader too (a group is scheduled as a unit). */
  get active(): boolean {
    return !this.closed && this.enabled && (this.leader === this || (this.leader.enabled && !this.leader.closed));
  }
  private clock(): number {
    return this.target ? this.target.userInstructions : this.k.platform.monotonicNs();
  }
  /** Folds what was counted since the last change into the totals. */
  settle(): void {
    const now = this.source(this.target, this.k), c = this.clock();
    if (this.active) {
      this.count += now - this.base;
      this.timeEnabled += c - this.timeBase;
      this.timeRunning += c - this.timeBase;
    }
    this.base = now;
    this.timeBase = c;
  }
  /** The group's members (leader first), settled with the events inherited from them. */
  group(): PerfEvent[] {
    const g = [this.leader, ...this.leader.siblings.filter((e) => !e.closed)];
    for (const e of g) { e.settle(); for (const c of e.children) c.group(); }
    return g;
  }
  /** perf_event_read_value: the count and times with those of every inherited event summed. */
  total(): { count: number; enabled: number; running: number } {
    this.settle();
    const r = { count: this.count, enabled: this.timeEnabled, running: this.timeRunning };
    for (const c of this.children) {
      c.settle();
      r.count += c.count;
      r.enabled += c.timeEnabled;
      r.running += c.timeRunning;
    }
    return r;
  }
  /** Changes state (enabled) of this event or its whole group, and of the events inherited from them (perf_event_for_each_child), settling counts first. */
  change(fn: (e: PerfEvent) => void, wholeGroup: boolean): void {
    const g = this.group();
    for (const e of wholeGroup ? g : [this]) { fn(e); for (const c of e.children) fn(c); }
  }
}

/** The events each task opened (perf_event_list: prctl PR_TASK_PERF_EVENTS_*), and those targeting it (enable_on_exec). */
const owned = new WeakMap<Task, Set<PerfEvent>>();
const targeting = new WeakMap<Task, Set<PerfEvent>>();

function add<K extends object>(m: WeakMap<K, Set<PerfEvent>>, key: K, e: PerfEvent): void {
  let s = m.get(key);
  if (!s) m.set(key, (s = new Set()));
  s.add(e);
}

export class PerfEventFile extends OpenFile {
  constructor(readonly event: PerfEvent, flags: number) {
    super(flags);
  }
  private values(): number[] {
    const e = this.event, rf = Number(e.attr.readFormat);
    const out: number[] = [];
    if (rf & PERF_FORMAT_GROUP) {
      const g = e.group();
      const lt = e.leader.total();
      out.push(g.length);
      if (rf & PERF_FORMAT_TOTAL_TIME_ENABLED) out.push(lt.enabled);
      if (rf & PERF_FORMAT_TOTAL_TIME_RUNNING) out.push(lt.running);
      for (const m of g) {
        out.push(m.total().count);
        if (rf & PERF_FORMAT_ID) out.push(m.id);
        if (rf & PERF_FORMAT_LOST) out.push(0);
      }
    } else {
      const t = e.total();
      out.push(t.count);
      if (rf & PERF_FORMAT_TOTAL_TIME_ENABLED) out.push(t.enabled);
      if (rf & PERF_FORMAT_TOTAL_TIME_RUNNING) out.push(t.running);
      if (rf & PERF_FORMAT_ID) out.push(e.id);
      if (rf & PERF_FORMAT_LOST) out.push(0);
    }
    return out;
  }
  /** perf_read: the whole record or ENOSPC (__perf_read: count < event->read_size). */
  override read(len: number): Uint8Array | number {
    const e = this.event, rf = Number(e.attr.readFormat);
    // perf_event__read_size with the group's current size.
    const members = rf & PERF_FORMAT_GROUP ? 1 + e.leader.siblings.filter((x) => !x.closed).length : 1;
    let entry = 8;
    if (rf & PERF_FORMAT_ID) entry += 8;
    if (rf & PERF_FORMAT_LOST) entry += 8;
    let size = (rf & PERF_FORMAT_GROUP ? 8 : 0) + entry * members;
    if (rf & PERF_FORMAT_TOTAL_TIME_ENABLED) size += 8;
    if (rf & PERF_FORMAT_TOTAL_TIME_RUNNING) size += 8;
    if (len < size) return -E.ENOSPC;
    const v = this.values();
    const out = new Uint8Array(v.length * 8);
    const dv = new DataView(out.buffer);
    v.forEach((x, i) => dv.setBigUint64(i * 8, BigInt(x), true));
    return out;
  }
  override write(): number {
    return -E.EINVAL; // no write operation (vfs_write: f_op->write absent)
  }
  override pread(): Uint8Array | number {
    return -E.ESPIPE;
  }
  override poll(): number {
    return 0; // perf_poll: nothing but ring-buffer wakeups, and a counting event has none
  }
  override ioctl(cmd: number, arg: number, io: IoctlMemory): number {
    const e = this.event;
    switch (cmd >>> 0) {
      case PERF_EVENT_IOC_ENABLE:
        e.change((x) => { x.enabled = true; x.enableOnExec = false; }, (arg & PERF_IOC_FLAG_GROUP) !== 0);
        return 0;
      case PERF_EVENT_IOC_DISABLE:
        e.change((x) => { x.enabled = false; }, (arg & PERF_IOC_FLAG_GROUP) !== 0);
        return 0;
      case PERF_EVENT_IOC_RESET:
        // An inherited event whose task ended was folded into the parent's child_count, which a reset leaves.
        e.change((x) => { if (!(x.parent && x.target?.state === 'zombie')) x.count = 0; }, (arg & PERF_IOC_FLAG_GROUP) !== 0);
        return 0;
      case PERF_EVENT_IOC_REFRESH:
        return -E.EINVAL; // _perf_event_refresh: not a sampling event
      case PERF_EVENT_IOC_PERIOD: {
        io.copyIn(arg, 8); // EFAULT first; then a zero period or (any other) not a sampling event: EINVAL
        return -E.EINVAL;
      }
      case PERF_EVENT_IOC_ID: {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setBigUint64(0, BigInt(e.id), true);
        io.copyOut(arg, b);
        return 0;
      }
      case PERF_EVENT_IOC_SET_OUTPUT:
        // No ring buffer to redirect: -1 (none) is accepted; another event's descriptor is
        // checked only for being one (a counting event has no buffer to share).
        // (arg is all 64 bits: -1 is 2^64 - 1, which a double holds as 2^64; a 32-bit -1
        // zero-extended is no descriptor, EBADF, as Linux's `arg != -1` has it.)
        if (arg >= 2 ** 64 - 2048) return 0;
        return arg > 0x7fffffff ? -E.EBADF : this.outputCheck(arg);
      case PERF_EVENT_IOC_SET_FILTER:
        io.copyIn(arg, 1);
        return -E.EINVAL; // neither a tracepoint nor an address-filter event
      case PERF_EVENT_IOC_SET_BPF:
      case PERF_EVENT_IOC_PAUSE_OUTPUT:
      case PERF_EVENT_IOC_QUERY_BPF:
        return -E.EINVAL;
      case PERF_EVENT_IOC_MODIFY_ATTRIBUTES: {
        const attr = copyAttr(io, arg);
        if (typeof attr === 'number') return attr;
        // Linux 6.18 answered EINVAL for a software event of the same type too (measured).
        return -E.EINVAL;
      }
      default:
        return -E.ENOTTY;
    }
  }
  /** A closure the syscall registration sets: resolves a descriptor of the opener's table. */
  outputCheck: (fd: number) => number = () => -E.EBADF;
  override close(): void {
    const e = this.event;
    e.settle();
    e.closed = true;
    for (const c of e.children) { c.settle(); c.closed = true; } // perf_event_release_kernel frees the inherited events
    // perf_group_detach: a closed leader's siblings become singletons (each keeps counting if enabled).
    if (e.leader === e) {
      for (const s of e.siblings) { s.settle(); s.leader = s; }
      e.siblings.length = 0;
    } else {
      const i = e.leader.siblings.indexOf(e);
      if (i >= 0) e.leader.siblings.splice(i, 1);
    }
    owned.get(e.owner)?.delete(e);
    if (e.target) targeting.get(e.target)?.delete(e);
  }
  override fdinfo(): string {
    return '';
  }
  describe(): string {
    return 'anon_inode:[perf_event]';
  }
}

/** perf_copy_attr: the user struct of any published size, as Linux checks it. */
function copyAttr(io: IoctlMemory, addr: number): PerfEventAttr | number {
  const sizeBytes = io.copyIn(addr + 4, 4); // get_user(size, &uattr->size): EFAULT
  let size = new DataView(sizeBytes.buffer, sizeBytes.byteOffset).getUint32(0, true);
  if (size === 0) size = PERF_ATTR_SIZE_VER0; // ABI compatibility quirk
  const e2big = (): number => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, PERF_ATTR_SIZE, true);
    io.copyOut(addr + 4, b); // put_user(sizeof(*attr), &uattr->size)
    return -E.E2BIG;
  };
  if (size < PERF_ATTR_SIZE_VER0 || size > PAGE_SIZE) return e2big();
  // copy_struct_from_user: what is past this kernel's struct must be zero.
  const raw = io.copyIn(addr, size);
  if (size > PERF_ATTR_SIZE && raw.subarray(PERF_ATTR_SIZE).some((x) => x !== 0)) return e2big();
  const a = decodePerfAttr(raw.subarray(0, Math.min(size, PERF_ATTR_SIZE)));
  a.size = size;
  // __reserved_1, __reserved_2, __reserved_3 (aux_action's bits past aux_resume).
  if ((a.flags & ATTR_RESERVED_1) !== 0n || a.reserved2 !== 0 || (a.auxAction >>> 3) !== 0) return -E.EINVAL;
  if (a.sampleType & ~(PERF_SAMPLE_MAX - 1n)) return -E.EINVAL;
  if (a.readFormat & ~BigInt(PERF_FORMAT_MAX - 1)) return -E.EINVAL;
  if (a.sampleType & PERF_SAMPLE_BRANCH_STACK && a.branchSampleType === 0n) return -E.EINVAL; // (the rest of branch_sample_type's checks concern sampling, refused below)
  if (a.sampleType & PERF_SAMPLE_REGS_USER && a.sampleRegsUser & ~PERF_REG_MASK) return -E.EINVAL;
  if (a.sampleType & PERF_SAMPLE_STACK_USER && (a.sampleStackUser >= 0xfff8 || a.sampleStackUser % 8 !== 0)) return -E.EINVAL;
  if (a.sampleType & PERF_SAMPLE_REGS_INTR && a.sampleRegsIntr & ~PERF_REG_MASK) return -E.EINVAL;
  if (a.sampleType & PERF_SAMPLE_WEIGHT && a.sampleType & PERF_SAMPLE_WEIGHT_STRUCT) return -E.EINVAL;
  if (!attrFlag(a, 'inherit') && attrFlag(a, 'inherit_thread')) return -E.EINVAL;
  if (attrFlag(a, 'remove_on_exec') && attrFlag(a, 'enable_on_exec')) return -E.EINVAL;
  if (attrFlag(a, 'sigtrap') && !attrFlag(a, 'remove_on_exec')) return -E.EINVAL;
  return a;
}

/** perfmon_capable(): CAP_PERFMON or CAP_SYS_ADMIN, root's here. */
function perfmonCapable(k: Kernel): boolean {
  return k.config.uid === 0;
}

/** The task a pid names in this kernel (find_lively_task_by_vpid), or null. */
function findTask(k: Kernel, pid: number): Task | null {
  for (const p of k.processes.values()) {
    if (p.remote) continue;
    for (const x of p.tasks) if (x.tid === pid && x.state !== 'zombie') return x;
  }
  return null;
}

function perfEventOpen(k: Kernel, t: Task, attrAddr: number, pid: number, cpu: number, groupFd: number, flags: number): number {
  if (flags & ~PERF_FLAG_ALL) return -E.EINVAL;
  const io: IoctlMemory = t.proc.as;
  const attr = copyAttr(io, attrAddr);
  if (typeof attr === 'number') return attr;
  // perf_allow_kernel: counting kernel mode needs paranoid <= 1 or CAP_PERFMON.
  if (!attrFlag(attr, 'exclude_kernel') && PERF_EVENT_PARANOID > 1 && !perfmonCapable(k)) return -E.EACCES;
  if (attrFlag(attr, 'namespaces') && !perfmonCapable(k)) return -E.EACCES;
  if (attrFlag(attr, 'freq')) {
    if (attr.samplePeriod > MAX_SAMPLE_RATE) return -E.EINVAL;
  } else if (attr.samplePeriod & (1n << 63n)) return -E.EINVAL;
  if (attr.sampleType & PERF_SAMPLE_PHYS_ADDR && PERF_EVENT_PARANOID > 1 && !perfmonCapable(k)) return -E.EACCES;
  if (flags & PERF_FLAG_PID_CGROUP && (pid === -1 || cpu === -1)) return -E.EINVAL;
  let group: PerfEvent | null = null;
  if (groupFd !== -1) {
    const f = t.proc.fds.get(groupFd);
    if (!(f instanceof PerfEventFile)) return -E.EBADF; // perf_fget_light
    group = f.event;
  }
  const output = flags & PERF_FLAG_FD_OUTPUT ? group : null;
  if (flags & PERF_FLAG_FD_NO_GROUP) group = null;
  let task: Task | null = null;
  if (pid !== -1 && !(flags & PERF_FLAG_PID_CGROUP)) {
    task = pid === 0 ? t : findTask(k, pid);
    if (!task) return -E.ESRCH;
  }
  if (task && group && attrFlag(group.attr, 'inherit') !== attrFlag(attr, 'inherit')) return -E.EINVAL;
  // perf_event_alloc
  if (cpu < -1 || cpu >= 1) { if (!task || cpu !== -1) return -E.EINVAL; }
  if (cpu === -1 && !task) return -E.EINVAL;
  if (attrFlag(attr, 'sigtrap') && !task) return -E.EINVAL;
  if (flags & PERF_FLAG_PID_CGROUP) return -E.EBADF; // perf_cgroup_connect: no cgroup file system to name one
  // perf_init_event
  if (attr.type === PERF_TYPE_SOFTWARE) {
    if (attr.config >= BigInt(PERF_COUNT_SW_MAX)) return -E.ENOENT;
    if (attr.sampleType & PERF_SAMPLE_BRANCH_STACK) return -E.EOPNOTSUPP;
  } else if (attr.type === PERF_TYPE_HARDWARE) {
    if (attr.config !== BigInt(PERF_COUNT_HW_INSTRUCTIONS)) return -E.ENOENT;
  } else if (attr.type === PERF_TYPE_TRACEPOINT) {
    return -E.EINVAL; // perf_trace_init: no tracepoint has this id (the kernel has none)
  } else {
    return -E.ENOENT;
  }
  // Counting only (see the header): a sampling event is refused as a PMU without an overflow
  // interrupt refuses it (perf_event_open: PERF_PMU_CAP_NO_INTERRUPT).
  const sampling = attr.samplePeriod !== 0n;
  if (sampling) return -E.EOPNOTSUPP;
  // inherit: a child process on a platform where it is another enclave (sgx) cannot be
  // counted here; only threads can (inherit_thread).
  if (attrFlag(attr, 'inherit') && !attrFlag(attr, 'inherit_thread') && k.family && !t.proc.as.pt.kernelFrames) return -E.EOPNOTSUPP;
  if (task && task.proc !== t.proc) {
    // perf_check_permission: ptrace_may_access(PTRACE_MODE_READ_REALCREDS); one user here, so
    // only a non-dumpable process refuses (unless root).
    if (task.proc.dumpable !== 1 && k.config.uid !== 0) return -E.EACCES;
  }
  // find_get_context: a CPU-wide event needs perf_allow_cpu.
  if (!task && PERF_EVENT_PARANOID > 0 && !perfmonCapable(k)) return -E.EACCES;
  if (group) {
    if (group.leader !== group) return -E.EINVAL; // no sibling of a sibling
    if (group.cpu !== cpu) return -E.EINVAL;
    if (group.target !== task) return -E.EINVAL; // another context
    if (attrFlag(attr, 'exclusive') || attrFlag(attr, 'pinned')) return -E.EINVAL;
  }
  if (output && (output.target !== task || output.cpu !== cpu)) return -E.EINVAL; // perf_event_set_output
  const e = new PerfEvent(k, attr, task, cpu, t);
  if (group) {
    group.group();
    e.leader = group;
    group.siblings.push(e);
  }
  e.settle();
  const f = new PerfEventFile(e, O_RDWR);
  const mnt = fsOf(k).anonMount;
  f.loc = { mnt, inode: new AnonInode(mnt.sb) };
  f.outputCheck = (fd) => {
    const o = t.proc.fds.get(fd);
    if (!(o instanceof PerfEventFile)) return -E.EBADF;
    return o.event.target === e.target && o.event.cpu === e.cpu ? 0 : -E.EINVAL;
  };
  const fd = t.proc.fds.install(f, (flags & PERF_FLAG_FD_CLOEXEC) !== 0);
  if (fd < 0) { f.close(); return fd; }
  add(owned, t, e);
  if (task) add(targeting, task, e);
  return fd;
}

/**
 * copy_process's perf_event_init_task: the events counting `t` with inherit (threads only
 * with inherit_thread) get a copy counting `child`, in the same state, grouped as theirs.
 */
export function perfOnClone(t: Task, child: Task, thread: boolean): void {
  const evs = [...(targeting.get(t) ?? [])].filter((e) => !e.closed && attrFlag(e.attr, 'inherit') && (thread || !attrFlag(e.attr, 'inherit_thread')));
  if (evs.length === 0) return;
  const copies = new Map<PerfEvent, PerfEvent>();
  for (const e of [...evs.filter((x) => x.leader === x), ...evs.filter((x) => x.leader !== x)]) {
    if (e.leader !== e && !copies.has(e.leader)) continue; // (a group is inherited whole)
    e.settle();
    const c = new PerfEvent(e.k, e.attr, child, e.cpu, e.owner);
    c.enabled = e.enabled;
    c.enableOnExec = e.enableOnExec;
    c.parent = e.parent ?? e;
    c.parent.children.push(c);
    if (e.leader !== e) {
      c.leader = copies.get(e.leader)!;
      c.leader.siblings.push(c);
    }
    c.settle();
    copies.set(e, c);
    add(targeting, child, c);
  }
}

/** prctl PR_TASK_PERF_EVENTS_DISABLE/ENABLE: the events the calling task opened. */
export function perfTaskEvents(t: Task, enable: boolean): void {
  for (const e of owned.get(t) ?? []) e.change((x) => { x.enabled = enable; if (enable) x.enableOnExec = false; }, false);
}

/** execve (perf_event_enable_on_exec): the target's enable_on_exec events start counting. */
export function perfOnExec(t: Task): void {
  for (const e of targeting.get(t) ?? []) {
    if (!e.enableOnExec) continue;
    e.change((x) => { x.enabled = true; x.enableOnExec = false; }, false);
  }
}

export function registerPerf(tab: SyscallTable): void {
  tab.def('perf_event_open', 'pdddx', (k, t, a) => {
    try {
      return perfEventOpen(k, t, a.u(0), a.i32(1), a.i32(2), a.i32(3), a.u(4));
    } catch (err) {
      if (err instanceof SysError) return -err.errno;
      throw err;
    }
  }, 'partial', 'counting only, as Linux with perf_event_paranoid 2: software events (cpu-clock and task-clock are the modelled CPU time, page faults the ones the kernel resolved for user mode) and hardware instructions (the exact user-mode count); other hardware events ENOENT; sampling EOPNOTSUPP (as a PMU without an overflow interrupt), mmap ENODEV; inherit to child processes EOPNOTSUPP where a fork child is another enclave (process per enclave; threads are counted); another process only in this enclave (a fork child in another enclave is ESRCH, the descriptor not carried to it)');
}
