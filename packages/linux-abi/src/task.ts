/**
 * Processes and tasks (threads), as Linux's task_struct splits them: a Process owns the
 * address space, descriptors and signal dispositions; a Task is a schedulable thread with
 * its own registers, signal mask and TID bookkeeping.
 */
import type { SeccompFilter } from './syscalls/seccomp.ts';
import type { MemPolicy } from './syscalls/numa.ts';
import type { AddressSpace } from './mm/address-space.ts';
import type { PageCache } from './mm/page-cache.ts';
import type { FdTable } from './fs/file.ts';
import type { Location } from './fs/vfs.ts';
import type { LandlockDomain } from './fs/landlock.ts';
import { RLIM_NLIMITS } from './abi/constants.ts';
import type { SigInfo } from './signals.ts';
import type { KTimer } from './timers.ts';
import type { Kernel, BLOCKED } from './kernel.ts';

/** Saved user registers of a task that is not on the hart. */
export interface SavedContext {
  x: BigInt64Array; // 32
  f: BigInt64Array; // 32
  pc: bigint;
  fcsr: number;
}

export interface SigAction {
  handler: bigint;
  flags: bigint;
  mask: bigint;
}

export class Process {
  readonly tasks = new Set<Task>();
  /** comm, as prctl(PR_SET_NAME) and /proc/self/comm see it (15 bytes max). */
  comm: string;
  /** Working and root directories (VFS locations; set on first use from the namespace root, copied by fork). */
  cwd!: Location;
  root!: Location;
  /** mm->arg_start/arg_end/env_start/env_end, for /proc/PID/cmdline and environ (set by exec). */
  argStart = 0;
  argEnd = 0;
  envStart = 0;
  envEnd = 0;
  umask = 0o022;
  readonly rlimits: { cur: bigint; max: bigint }[] = [];
  /** Signal dispositions; shared with the parent after clone(CLONE_SIGHAND) without CLONE_THREAD. */
  sigactions = new Map<number, SigAction>();
  exitStatus: number | null = null;
  /** The leader's own exit status after it ended with SYS_exit while other threads live (Linux reports it, not the last thread's). */
  leaderStatus: number | null = null;
  /** Job control: the signal that stopped the whole thread group, or 0 while it runs. */
  stopped = 0;
  /** A stop (its signal) or a continue not yet reported to wait4/waitid (WUNTRACED, WCONTINUED). */
  stopReport = 0;
  continueReport = false;
  /** The parent thread that forked this process (wait's __WNOTHREAD; moves to a live thread when it ends). */
  creatorTid = 0;
  /** Process-directed signals queued (on some thread) while every thread blocked them. */
  sharedSignals = 0;
  /** prctl PR_SET_PDEATHSIG: sent to this process when its parent ends. */
  pdeathSig = 0;
  /** prctl PR_SET_CHILD_SUBREAPER: orphaned descendants are re-parented here instead of to init. */
  childSubreaper = false;
  /** prctl PR_SET_DUMPABLE (SUID_DUMP_USER by default). */
  dumpable = 1;
  /** Process group and session (setpgid/setsid). */
  pgid: number;
  sid: number;
  /** Address of the rt_sigreturn trampoline in this process's [vdso]. */
  vdsoSigreturn = 0;
  /** The signal the parent gets when this process ends (clone's exit_signal; SIGCHLD for fork). */
  exitSignal = 17;
  /** personality(2): the execution domain and its flags (PER_LINUX 0); inherited by fork and exec. */
  personality = 0;
  /** vfork: releases the parent when this child execs or exits. */
  vforkWaiter?: () => void;
  /** CPU time in instructions (getrusage, times; the model counts one instruction as 1 ns). */
  cpuInstructions = 0;
  /** setitimer timers by kind, and POSIX timers by id. */
  readonly itimers = new Map<string, KTimer>();
  readonly posixTimers = new Map<number, KTimer>();
  nextTimerId = 0;
  /** CPU time of reaped children (RUSAGE_CHILDREN, tms_cutime). */
  childCpuInstructions = 0;
  /** A proxy for a process that runs in another enclave (family.ts): no tasks, no memory here. */
  remote = false;
  /** A proxy's I/O priority as this enclave knows it (inherited at fork; ioprio_set reaches only the proxy). */
  remoteIoprio = 0;

  constructor(
    readonly pid: number,
    public ppid: number,
    public as: AddressSpace,
    public fds: FdTable,
    public exePath: string,
  ) {
    this.comm = exePath.split('/').pop()!.slice(0, 15);
    this.pgid = pid;
    this.sid = pid;
    for (let i = 0; i < RLIM_NLIMITS; i++) this.rlimits.push({ cur: -1n, max: -1n });
  }
}

/** A restart_block's function (kernel/signal.c sys_restart_syscall). */
export type RestartFn = (k: Kernel, t: Task) => number | typeof BLOCKED;

export type TaskState = 'runnable' | 'blocked' | 'zombie';

/** Why a blocked task sleeps, and what wakes it. */
export interface WaitState {
  /** futex key: the virtual address (private, with futexMm), the file offset (a shared file mapping, with its cache as futexMm) or the physical address (shared) of the word. */
  futexKey?: number;
  bitset?: number;
  /** Monotonic deadline in ns, or Infinity. */
  deadline: number;
  /** a0 when the deadline passes. */
  onTimeout: number;
  /** SA_RESTART may restart this sleep (re-executing the ecall with origA0). */
  restartable?: boolean;
  origA0?: bigint;
  /** Decides what a signal does to this sleep; true when handled. */
  onSignal?: (sig: number) => boolean;
  /** Runs whenever the sleep ends. */
  onWake?: () => void;
  /** wait4/waitid: a child's change of state restarts the call. */
  childWait?: boolean;
  /** Private futexes are keyed by address space and address; shared ones (MAP_SHARED pages) by physical address. */
  futexMm?: AddressSpace | PageCache;
  /** Signals this sleep consumes itself (rt_sigtimedwait's set): they do not stop or interrupt it. */
  takes?: bigint;
  /** A futex wait on untrusted shared memory: the host's registration (0 once woken or cancelled). */
  ushm?: { token: number };
  /** futex_waitv: the words this sleep waits on; a wake of any ends it with that word's index. */
  waitv?: WaitvWord[];
}

/** One word of a futex_waitv sleep (syscalls/futex-waitv.ts). */
export interface WaitvWord {
  index: number;
  /** This enclave's key for it (as WaitState.futexKey/futexMm); absent for a word another enclave's owner queues. */
  key?: number;
  mm?: AddressSpace | PageCache;
  /** Untrusted shared memory: the host's registration (0 once woken or cancelled). */
  ushm?: { token: number };
  /** Another enclave's file: the token queued at its owner (family-futex.ts), 0 once settled. */
  remote?: number;
}

export interface AltStack {
  sp: number;
  size: number;
  flags: number;
}

export class Task {
  state: TaskState = 'runnable';
  /** This thread's retired user-mode instructions (perf_event_open's instructions and task-clock). */
  userInstructions = 0;
  /** Page faults the kernel resolved for this thread's user mode (perf page-faults). */
  pageFaults = 0;
  /** Times this thread stopped running: it blocked, or another task was scheduled (perf context-switches). */
  contextSwitches = 0;
  /** Registers while the task is off the hart; null while it is loaded. */
  saved: SavedContext | null = null;
  sigmask = 0n;
  clearChildTid = 0;
  robustList = 0;
  robustListLen = 0;
  wait: WaitState | null = null;
  /** Signals sent to this thread and not yet acted on. */
  pending = 0n;
  /** siginfo of pending signals (one per standard signal, queued for real-time ones). */
  sigQueue: SigInfo[] = [];
  altStack: AltStack = { sp: 0, size: 0, flags: 2 /* SS_DISABLE */ };
  /** The mask to restore after a handler interrupted rt_sigsuspend. */
  savedMaskForSuspend: bigint | undefined = undefined;
  /** This thread's comm (prctl PR_SET_NAME names a thread; the process's is its leader's). */
  comm: string;
  /**
   * Scheduling attributes as sched_setscheduler/setpriority set them (inherited by clone).
   * Recorded and reported: the round-robin scheduler gives every runnable task the same slice.
   */
  nice = 0;
  policy = 0;
  rtPriority = 0;
  resetOnFork = false;
  /** sched_setaffinity's mask (bit i: hart i; the first 64), inherited by clone and fork. */
  affinity = -1n;
  /** ioprio_set's value (class << 13 | hint << 3 | level; 0: none set), inherited by clone and fork. */
  ioprio = 0;
  /** set_mempolicy's policy (null: MPOL_DEFAULT), inherited by clone and fork, kept by execve. */
  mempolicy: MemPolicy | null = null;
  /** seccomp: 0 off, 1 strict, 2 filter (syscalls/seccomp.ts); inherited by clone and fork, kept by execve. */
  seccompMode = 0;
  /** The filters, newest first (shared with the threads and children that inherited them). */
  seccompFilters: readonly SeccompFilter[] = [];
  /** PR_SET_NO_NEW_PRIVS: inherited by clone and fork, kept by execve, never cleared. */
  noNewPrivs = false;
  /** Landlock domain (fs/landlock.ts): null unrestricted; inherited by clone and fork, kept by execve. */
  landlock: LandlockDomain | null = null;
  /**
   * restart_block.fn: what restart_syscall runs (a relative sleep a signal interrupted goes on to
   * its deadline); null is do_no_restart_syscall (-EINTR). Each sleep resets it, rt_sigreturn too.
   */
  restartBlock: RestartFn | null = null;

  constructor(readonly tid: number, readonly proc: Process) {
    proc.tasks.add(this);
    this.comm = proc.comm;
  }
}

/** fs/proc/array.c's state letter of a process (its leader's, as /proc/PID/stat shows it). */
export function processState(p: Process, task?: Task): 'R' | 'S' | 'T' | 'Z' {
  const t = task ?? [...p.tasks][0];
  return p.tasks.size === 0 ? 'Z' : p.stopped ? 'T' : t && t.state === 'blocked' ? 'S' : 'R';
}
