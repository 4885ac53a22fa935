/**
 * The kernel: owns processes, the frame allocator and the syscall table, and runs the
 * scheduler loop over the HAL's Execution interface (DESIGN.md section 5: ecall -> trap ->
 * table -> handler -> result in a0 -> resume). It imports the HAL contract only.
 */
import type { Platform, UserTrap } from '@teeos/hal';
import { E, SysError, errnoName } from './errors.ts';
import { SIGBUS, SIGCHLD, SIGILL, SIGKILL, SIGSEGV, SIGTRAP } from './abi/constants.ts';
import { AddressSpace, ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, ExecutableBytes, type UshmContext } from './mm/address-space.ts';
import { FrameRefs, type FrameAllocator } from './mm/frames.ts';
import { TimerWheel } from './timers.ts';
import { newPageMap } from './mm/page-map.ts';
import { migrationStats } from './mm/page-cache.ts';
import { FdTable } from './fs/file.ts';
import { HostStdioFile } from './fs/host-stdio.ts';
import { execLookupFor, llRootCheckFor } from './fs/context.ts';
import type { LandlockDomain } from './fs/landlock.ts';
import { Process, Task, type SavedContext, type WaitState } from './task.ts';
import { futexWake, FUTEX_BITSET_MATCH_ANY, registerSched, exitRobustList } from './syscalls/sched.ts';
import { deliverSignals, forceSignal, hangupOrphanedGroups, sendToProcess, sendToTask, SI_USER, CLD_EXITED, CLD_KILLED, registerSignalSyscalls, SEGV_ACCERR, SEGV_MAPERR, BUS_ADRALN, ILL_ILLOPC, TRAP_BRKPT } from './signals.ts';
import { SyscallArgs } from './syscalls/args.ts';
import { SyscallTable } from './syscalls/table.ts';
import { registerIo } from './syscalls/io.ts';
import { registerMm } from './syscalls/mm.ts';
import { registerProcess, DEFAULT_RLIMITS } from './syscalls/process.ts';
import { registerSignal } from './syscalls/signal.ts';
import { registerTime, registerTimers } from './syscalls/time.ts';
import { registerMisc, UTS_RELEASE } from './syscalls/misc.ts';
import { registerPrivileged } from './syscalls/privileged.ts';
import { registerSyslog } from './syscalls/syslog.ts';
import { KERN_ERR, KERN_INFO, KERN_NOTICE, PrintkRing } from './printk.ts';
import { formatSyscall } from './strace.ts';
import { registerProcTree } from './syscalls/proctree.ts';
import { registerSysvIpc } from './syscalls/sysvipc.ts';
import { registerXattr } from './syscalls/xattr.ts';
import { registerInotify } from './syscalls/inotify.ts';
import { registerPidfd } from './syscalls/pidfd.ts';
import { registerIoprio } from './syscalls/ioprio.ts';
import { registerKcmp } from './syscalls/kcmp.ts';
import { registerKeys } from './syscalls/keys.ts';
import { registerFhandle } from './syscalls/fhandle.ts';
import { registerSchedAttr } from './syscalls/sched-attr.ts';
import { registerProcessVm } from './syscalls/process-vm.ts';
import { registerProcessMm } from './syscalls/process-mm.ts';
import { registerNuma } from './syscalls/numa.ts';
import { registerFutexWaitv } from './syscalls/futex-waitv.ts';
import { registerMqueue } from './syscalls/mqueue.ts';
import { registerSeccomp, seccompEntry } from './syscalls/seccomp.ts';
import { registerUnshare } from './syscalls/unshare.ts';
import { registerAio } from './syscalls/aio.ts';
import { registerSecretmem } from './syscalls/secretmem.ts';
import { registerPerf } from './syscalls/perf.ts';
import { registerUserfaultfd, userfaultWait } from './syscalls/userfaultfd.ts';
import { registerLandlock } from './syscalls/landlock.ts';
import { loadProgram } from './exec.ts';
import type { Executable } from './exec.ts';
import { parseElf } from '@teeos/elf-loader';
import { O_RDONLY, O_WRONLY } from './abi/constants.ts';
import { FamilyState } from './family.ts';
import { attachTerminal } from './fs/tty.ts';
import { restoreCheckpoint } from './checkpoint.ts';

/** A handler's result when its task went to sleep; a0 is set when it wakes. */
export const BLOCKED = Symbol('blocked');

export interface KernelConfig {
  argv: string[];
  envp: string[];
  /** The path the program was started by (AT_EXECFN). */
  execPath: string;
  /** What /proc/self/exe reads as (an absolute path). */
  exeLink: string;
  trace: boolean;
  /** Report kernel accounting (frames free at boot and at exit) through the platform log. */
  stats?: boolean;
  hostname: string;
  uid: number;
  gid: number;
  /** `--mount`: host directories (host fd 4, 5, ...) and where they go (untrusted input). */
  mounts?: { at: string; readonly: boolean }[];
}

/** Instructions a task runs before the scheduler looks again. */
const TIME_SLICE = 1_000_000;

/** RISC-V exception codes (Privileged ISA, Table "Supervisor cause register values"). */
const CAUSE_MISALIGNED_FETCH = 0, CAUSE_FETCH_ACCESS = 1, CAUSE_ILLEGAL = 2, CAUSE_BREAKPOINT = 3;
const CAUSE_MISALIGNED_LOAD = 4, CAUSE_LOAD_ACCESS = 5, CAUSE_MISALIGNED_STORE = 6, CAUSE_STORE_ACCESS = 7;
const CAUSE_FETCH_PAGE = 12, CAUSE_LOAD_PAGE = 13, CAUSE_STORE_PAGE = 15;

export function buildSyscallTable(): SyscallTable {
  const tab = new SyscallTable();
  registerIo(tab);
  registerMm(tab);
  registerProcess(tab);
  registerSignal(tab);
  registerTime(tab);
  registerTimers(tab);
  registerMisc(tab);
  registerPrivileged(tab);
  registerSyslog(tab);
  registerSched(tab);
  registerSignalSyscalls(tab);
  registerProcTree(tab);
  registerSysvIpc(tab);
  registerXattr(tab);
  registerInotify(tab);
  registerPidfd(tab);
  registerIoprio(tab);
  registerKcmp(tab);
  registerKeys(tab);
  registerFhandle(tab);
  registerSchedAttr(tab);
  registerProcessVm(tab);
  registerProcessMm(tab);
  registerNuma(tab);
  registerFutexWaitv(tab);
  registerMqueue(tab);
  registerSeccomp(tab);
  registerUnshare(tab);
  registerAio(tab);
  registerSecretmem(tab);
  registerPerf(tab);
  registerUserfaultfd(tab);
  registerLandlock(tab);
  return tab;
}

export class Kernel {
  readonly table = buildSyscallTable();
  readonly processes = new Map<number, Process>();
  private current: Task | null = null;
  /** The task whose system call or fault the kernel is handling (null between tasks). */
  get runningTask(): Task | null {
    return this.current;
  }
  private nextPid = 1;
  private readonly reportedEnosys = new Set<number>();
  private readonly bootRealtimeNs: number;
  private readonly bootMonotonicNs: number;
  private readonly args: SyscallArgs;
  /** Wait status of init once it has exited. */
  private initStatus: number | null = null;

  /** Run as each process ends, before its descriptors and memory go (System V semaphores' SEM_UNDO). */
  readonly onProcessExit: ((p: Process) => void)[] = [];
  /** Mapping counts of every frame of enclave memory (copy-on-write, MAP_SHARED). */
  readonly frameRefs: FrameRefs;
  readonly timers = new TimerWheel(this);
  /** Process-per-enclave platforms: the other enclaves of this family (family.ts), else null. */
  readonly family: FamilyState | null;
  /**
   * Untrusted shared memory (the platform's opt-in capability): MAP_SHARED anonymous memory lives
   * in host regions that every enclave of the family maps. null: it stays in this enclave.
   */
  readonly ushm: UshmContext | null;
  /** The kernel log (printk.ts): syslog(2)'s records. */
  readonly printk: PrintkRing;

  constructor(readonly platform: Platform, readonly frames: FrameAllocator, readonly config: KernelConfig) {
    this.frameRefs = new FrameRefs(platform.memory.phys.base, platform.memory.phys.size);
    this.args = new SyscallArgs(platform.exec.regs);
    this.family = platform.family ? new FamilyState(this, platform.family) : null;
    const u = platform.memory.untrustedShared;
    this.ushm = u ? { cap: u, regions: new Map() } : null;
    this.bootMonotonicNs = platform.monotonicNs();
    const c = platform.host.call({ op: 'clock', clock: 'realtime' });
    // The host's wall clock, believed once and only if sane (after 2000-01-01, before 2200).
    const t = c.ret === 0 && c.sec > 946684800 && c.sec < 7258118400 && c.nsec >= 0 && c.nsec < 1e9 ? c.sec * 1e9 + c.nsec : 0;
    if (t === 0) platform.log('host wall clock rejected; CLOCK_REALTIME starts at the epoch');
    this.bootRealtimeNs = t;
    this.printk = new PrintkRing(() => this.platform.monotonicNs() - this.bootMonotonicNs);
    this.printk.add(KERN_NOTICE, `Linux version ${UTS_RELEASE} (teeos) #1 SMP TEE OS (${platform.name} model)`);
  }

  /** An event for the operator (the platform log) that the kernel log records too. */
  logEvent(level: number, line: string): void {
    this.printk.add(level, line);
    this.platform.log(line);
  }

  realtimeNs(): number {
    return this.bootRealtimeNs + (this.platform.monotonicNs() - this.bootMonotonicNs);
  }

  cpuTimeNs(): number {
    // One instruction = one nanosecond of CPU time is a model, stated as such.
    return this.platform.exec.instret();
  }

  newAddressSpace(): AddressSpace {
    const m = this.platform.memory;
    const as = new AddressSpace(m.bytes, m.phys.base, this.frames, {
      codeWritten: (pa, len) => this.platform.exec.codeWritten(pa, len),
      flushTlb: () => m.flushTlb(),
    }, this.frameRefs, newPageMap(m, this.frames));
    as.ushm = this.ushm;
    return as;
  }

  /** Creates init from the application image the platform measured, and runs until it exits. */
  run(): number {
    const m = this.platform.memory;
    const image = m.bytes.subarray(m.appImage.base - m.phys.base, m.appImage.base - m.phys.base + m.appImage.length);
    this.appImage = image;
    const restored = this.platform.family?.restored;
    if (restored && this.family) {
      // A fork child on a process-per-enclave platform: resume the checkpointed process.
      const task = restoreCheckpoint(this, this.family, restored);
      this.addTask(task);
      this.schedule();
      return task.proc.exitStatus ?? 0;
    }
    const fds = new FdTable();
    fds.set(0, new HostStdioFile(this.platform.host, 0, O_RDONLY), false);
    fds.set(1, new HostStdioFile(this.platform.host, 1, O_WRONLY), false);
    fds.set(2, new HostStdioFile(this.platform.host, 2, O_WRONLY), false);
    attachTerminal(this); // a terminal on host stdin: the kernel's line discipline from the start
    const freeBefore = this.frames.freeFrames();
    const as = this.newAddressSpace();
    const proc = new Process(this.nextPid++, 0, as, fds, this.config.exeLink);
    for (const [res, cur, max] of DEFAULT_RLIMITS) proc.rlimits[res] = { cur, max };
    this.processes.set(proc.pid, proc);
    const task = new Task(proc.pid, proc);
    loadProgram(this, task, new ExecutableBytes('app', image), this.config.argv, this.config.envp, this.config.execPath);
    this.addTask(task);
    this.current = task; // loadProgram left its registers on the hart
    this.platform.memory.activatePageTable(proc.as.pt.root, proc.pid);
    this.schedule();
    // Every process is gone: every frame must be back (init's own image and tables included).
    const freeAtExit = this.frames.freeFrames();
    if (freeAtExit !== freeBefore) this.platform.log(`frame leak: ${freeBefore - freeAtExit} frames not returned`);
    if (this.config.stats) this.platform.log(`kernel: frames free before init ${freeBefore}, after the last process ${freeAtExit}`);
    if (this.config.stats && migrationStats.moves) this.platform.log(`kernel: file pages migrated between mappings ${migrationStats.moves}`);
    return this.initStatus ?? 0;
  }

  /** Every task that exists, in round-robin order. */
  private readonly tasks: Task[] = [];

  addTask(t: Task): void {
    this.tasks.push(t);
  }

  private schedule(): void {
    const exec = this.platform.exec;
    let next = 0;
    // A turn is TIME_SLICE instructions, however many system calls it makes: a task that
    // spins on a syscall (polling a file a child will create, sched-less busy waits) must
    // not keep the hart because every syscall began a fresh slice.
    let current: Task | undefined;
    let turnStart = 0;
    for (;;) {
      if (this.family) this.family.poll();
      if (this.timers.timers.size) this.timers.run();
      for (let i = this.tasks.length - 1; i >= 0; i--) if (this.tasks[i].state === 'zombie') this.tasks.splice(i, 1);
      // Sleeps whose deadline passed end even while other tasks keep the hart busy (a
      // spinning thread must not starve a nanosleep or a futex timeout).
      this.wakeExpired();
      if (this.tasks.length === 0) {
        // Its process has ended; what it serves other enclaves may keep it (family.ts).
        if (!this.family?.lingering) { this.family?.ended(); return; }
        this.family.linger();
        continue;
      }
      let task: Task | undefined;
      for (let i = 0; i < this.tasks.length; i++) {
        const t = this.tasks[(next + i) % this.tasks.length];
        if (t.state === 'runnable' && !t.proc.stopped) { task = t; next = (next + i) % this.tasks.length; break; }
      }
      if (!task) {
        this.idle();
        continue;
      }
      if (this.ttyPoll && exec.instret() - this.ttyPolledAt > 4_000_000) {
        this.ttyPolledAt = exec.instret();
        if (!this.ttyPoll()) this.ttyPoll = null;
        if (task.state !== 'runnable') continue;
      }
      this.switchTo(task);
      if (task !== current) { current = task; turnStart = exec.instret(); }
      if ((task.pending !== 0n || task.proc.sharedSignals > 0) && !deliverSignals(this, task)) continue;
      this.sliceStart = exec.instret();
      const trap = exec.runUser(Math.max(1, TIME_SLICE - (this.sliceStart - turnStart)));
      task.proc.cpuInstructions += exec.instret() - this.sliceStart;
      task.userInstructions += exec.instret() - this.sliceStart;
      this.sliceStart = exec.instret();
      this.handleTrap(task, trap);
      if (task.state !== 'runnable') { task.contextSwitches++; this.contextSwitches++; }
      // Round robin: after a slice ran out or the task blocked or yielded, the next one goes first.
      if (trap.kind === 'budget' || exec.instret() - turnStart >= TIME_SLICE || task.state !== 'runnable' || this.yielded) {
        next = (next + 1) % Math.max(1, this.tasks.length);
        current = undefined;
      }
      this.yielded = false;
    }
  }

  /** Page faults resolved and context switches, of every task (CPU-wide perf events). */
  pageFaults = 0;
  contextSwitches = 0;

  /** instret when the running slice started (CPU time accounting). */
  sliceStart = 0;

  /** The application image the platform measured (what init runs). */
  appImage: Uint8Array = new Uint8Array(0);

  /**
   * Finds an executable for execve. Without file systems, the only executable the enclave
   * holds is its measured application: by its start path, its /proc/self/exe target, or
   * /proc/self/exe itself. File systems (the VFS) extend this through `execLookup`.
   */
  resolveExecutable(proc: Process, path: string, dom: LandlockDomain | null = null): Executable | number {
    if (path === '') return -E.ENOENT;
    if (path === '/proc/self/exe' || path === this.config.execPath || path === this.config.exeLink) {
      // The measured application is no file of the tree: under a Landlock domain it is checked
      // as a file directly under the root (only rules on the root can grant it).
      if (dom && this.llRootCheck && !this.llRootCheck(proc, dom)) return -E.EACCES;
      return { bytes: this.appImage, exePath: this.config.exeLink, source: 'app' };
    }
    if (this.execLookup) return this.execLookup(proc, path, dom);
    return -E.ENOENT;
  }

  /** 0 when the bytes are an executable this kernel can load, else -ENOEXEC (checked before anything is torn down). */
  checkExecutable(bytes: Uint8Array): number {
    try {
      parseElf(bytes, { memoryLimit: this.platform.memory.free.size });
      return 0;
    } catch {
      return -E.ENOEXEC;
    }
  }

  /** Set by the file layer: reads an executable file (permission-checked) for execve. */
  execLookup: ((proc: Process, path: string, dom: LandlockDomain | null) => Executable | number) | null = execLookupFor(this);
  /** Whether a Landlock domain lets the application image be executed (fs/context.ts). */
  llRootCheck: ((proc: Process, dom: LandlockDomain) => boolean) | null = llRootCheckFor(this);

  /** Set by sched_yield so the scheduler moves on. */
  yielded = false;

  /**
   * Set by the terminal layer while the host terminal is raw with ISIG: looks for typed
   * Ctrl-C/Ctrl-Z/Ctrl-\ while no task reads the terminal (every few million instructions,
   * and while idle). Returns false once it is no longer needed.
   */
  ttyPoll: (() => boolean) | null = null;
  private ttyPolledAt = 0;

  /** Nothing runnable: wait for the earliest deadline, or report a deadlock and stop. */
  private idle(): void {
    let earliest = this.timers.run();
    for (const t of this.tasks) if (t.state === 'blocked' && t.wait) earliest = Math.min(earliest, t.wait.deadline);
    if (this.family?.active) {
      // Another enclave of the family may wake us (a child's exit, a signal, pipe bytes).
      const now = this.platform.monotonicNs();
      this.family.wait(earliest === Infinity ? 1e9 : Math.max(0, earliest - now));
      this.family.poll();
      this.timers.run();
      this.wakeExpired();
      return;
    }
    if (this.ttyPoll) {
      // A raw terminal may still deliver a signal key: look every 50 ms instead of stopping.
      if (!this.ttyPoll()) this.ttyPoll = null;
      else earliest = Math.min(earliest, this.platform.monotonicNs() + 50_000_000);
      if (this.tasks.some((t) => t.state === 'runnable')) return; // a key's signal woke someone
    }
    if (earliest === Infinity) {
      // Linux would sleep forever; an enclave with no runnable task and no timer never wakes.
      this.platform.log('every task is blocked with nothing to wake it (deadlock): stopping the enclave');
      for (const p of [...this.processes.values()]) this.exitProcess(p, SIGKILL);
      return;
    }
    const now = this.platform.monotonicNs();
    if (earliest > now) this.platform.sleepNs(earliest - now);
    this.timers.run();
    this.wakeExpired();
  }

  /** Wakes every sleeping task whose deadline has passed, with its timeout result. */
  private wakeExpired(): void {
    let now = -1;
    for (const t of this.tasks) {
      if (t.state !== 'blocked' || !t.wait || t.wait.deadline === Infinity) continue;
      if (now < 0) now = this.platform.monotonicNs();
      if (t.wait.deadline <= now) this.wake(t, t.wait.onTimeout);
    }
  }

  /** Blocks the current task; the syscall's return value is set when it wakes. */
  block(task: Task, wait: WaitState): typeof BLOCKED {
    task.state = 'blocked';
    task.wait = { restartable: true, origA0: (BigInt(this.syscallA0Hi >>> 0) << 32n) | BigInt(this.syscallA0Lo >>> 0), ...wait };
    return BLOCKED;
  }

  /**
   * -ERESTARTSYS for the syscall being handled: it runs again when its task next returns to
   * user mode (after a stop and SIGCONT, or after a handler, which has already been chosen to
   * restart it). The pc goes back to the ecall and a0 gets its original value (orig_a0).
   */
  restartCurrentSyscall(task: Task): typeof BLOCKED {
    if (this.current !== task) throw new Error('restartCurrentSyscall: not the running task');
    const regs = this.platform.exec.regs;
    const pcLo = regs.getPCLo(), backLo = (pcLo - 4) | 0;
    regs.setPCParts(backLo, (backLo >>> 0) > (pcLo >>> 0) ? (regs.getPCHi() - 1) | 0 : regs.getPCHi());
    regs.setXParts(10, this.syscallA0Lo, this.syscallA0Hi);
    return BLOCKED; // nothing to store in a0
  }

  /** a0 of the syscall being handled (Linux's orig_a0), for restarts. */
  /** a0 at the ecall (the first argument; a0 is the return value once the call ran). */
  syscallA0Lo = 0;
  syscallA0Hi = 0;

  /** Makes sure a task's registers are in its saved context (not only on the hart). */
  ensureSaved(task: Task): void {
    if (this.current === task) this.saveCurrent();
  }

  /** Makes a blocked task runnable with `ret` as its syscall result. */
  wake(task: Task, ret: number): void {
    if (task.state !== 'blocked') return;
    task.state = 'runnable';
    const w = task.wait;
    task.wait = null;
    this.setReturn(task, ret);
    w?.onWake?.(); // after: it may set another result (a futex wait a remote wake took: 0)
  }

  setReturn(task: Task, ret: number): void {
    if (task.saved) task.saved.x[10] = BigInt(ret);
    else if (this.current === task) this.platform.exec.regs.setXParts(10, ret | 0, ret < 0 ? -1 : Math.floor(ret / 0x1_0000_0000));
  }

  /** Saves the registers of the task on the hart into its context. */
  private saveCurrent(): void {
    const t = this.current;
    if (!t || t.state === 'zombie' || t.saved) return;
    const regs = this.platform.exec.regs;
    const x = new BigInt64Array(32), f = new BigInt64Array(32);
    for (let i = 1; i < 32; i++) x[i] = regs.getX(i);
    for (let i = 0; i < 32; i++) f[i] = regs.getF(i);
    t.saved = { x, f, pc: regs.getPC(), fcsr: regs.getFcsr() };
  }

  /** A copy of the current task's registers (for clone), as if saved. */
  snapshot(): SavedContext {
    const regs = this.platform.exec.regs;
    const x = new BigInt64Array(32), f = new BigInt64Array(32);
    for (let i = 1; i < 32; i++) x[i] = regs.getX(i);
    for (let i = 0; i < 32; i++) f[i] = regs.getF(i);
    return { x, f, pc: regs.getPC(), fcsr: regs.getFcsr() };
  }

  private switchTo(task: Task): void {
    if (this.current === task && !task.saved) return;
    const prev = this.current;
    if (prev && prev !== task && prev.state === 'runnable') { prev.contextSwitches++; this.contextSwitches++; } // preempted
    this.saveCurrent();
    const regs = this.platform.exec.regs;
    const s = task.saved;
    if (s) {
      for (let i = 1; i < 32; i++) regs.setX(i, s.x[i]);
      for (let i = 0; i < 32; i++) regs.setF(i, s.f[i]);
      regs.setPC(s.pc);
      regs.setFcsr(s.fcsr);
      task.saved = null;
    }
    if (this.current?.proc !== task.proc) this.platform.memory.activatePageTable(task.proc.as.pt.root, task.proc.pid);
    this.current = task;
  }

  allocPid(): number {
    if (this.platform.family) {
      // Pids must not collide across the family's enclaves: the platform hands them out.
      const pid = this.platform.family.allocPid();
      if (!Number.isInteger(pid) || pid < 2 || pid > 4194304 || this.processes.has(pid)) throw new SysError(E.EAGAIN, 'the host gave a bad pid');
      return pid;
    }
    return this.nextPid++;
  }

  private handleTrap(task: Task, trap: UserTrap): void {
    switch (trap.kind) {
      case 'syscall':
        this.syscall(task);
        return;
      case 'budget':
      case 'interrupt':
        return;
      case 'exception':
        this.exception(task, trap.cause, trap.tval, trap.pc);
        return;
    }
  }

  private exception(task: Task, cause: number, tval: bigint, pc: bigint): void {
    const addr = Number(BigInt.asUintN(64, tval));
    const access = cause === CAUSE_FETCH_PAGE ? ACCESS_EXEC : cause === CAUSE_LOAD_PAGE ? ACCESS_READ : cause === CAUSE_STORE_PAGE ? ACCESS_WRITE : 0;
    if (access) {
      const r = task.proc.as.fault(addr, access);
      if (r === 'mapped') { task.pageFaults++; this.pageFaults++; return; } // resume at the faulting instruction
      if (r === 'uffd') return userfaultWait(this, task, addr, access); // sleeps; then the instruction runs again
      if (r === 'oom') {
        // Linux's OOM killer: the enclave has no more frames. It never picks init
        // (oom_unkillable_task): when init faults, the newest other process dies instead and
        // init retries the access.
        const others = task.proc.pid === 1 ? [...this.processes.values()].filter((p) => p.pid !== 1 && p.exitStatus === null) : [];
        const victim = others.pop() ?? task.proc;
        this.logEvent(KERN_ERR, `out of enclave memory at 0x${addr.toString(16)}: killing pid ${victim.pid}`);
        this.killProcess(victim, SIGKILL, 'out of memory');
        return;
      }
      const BUS_ADRERR = 2; // include/uapi/asm-generic/siginfo.h
      // A file mapping's page past end of file: SIGBUS BUS_ADRERR (mm/filemap.c VM_FAULT_SIGBUS).
      if (r === 'sigbus') forceSignal(this, task, { signo: SIGBUS, code: BUS_ADRERR, addr });
      else forceSignal(this, task, { signo: SIGSEGV, code: r === 'maperr' ? SEGV_MAPERR : SEGV_ACCERR, addr });
      return;
    }
    const upc = Number(BigInt.asUintN(64, pc));
    if (cause === CAUSE_ILLEGAL) forceSignal(this, task, { signo: SIGILL, code: ILL_ILLOPC, addr: upc });
    else if (cause === CAUSE_BREAKPOINT) forceSignal(this, task, { signo: SIGTRAP, code: TRAP_BRKPT, addr: upc });
    else if (cause === CAUSE_MISALIGNED_FETCH || cause === CAUSE_MISALIGNED_LOAD || cause === CAUSE_MISALIGNED_STORE) {
      forceSignal(this, task, { signo: SIGBUS, code: BUS_ADRALN, addr });
    } else if (cause === CAUSE_FETCH_ACCESS || cause === CAUSE_LOAD_ACCESS || cause === CAUSE_STORE_ACCESS) {
      forceSignal(this, task, { signo: SIGSEGV, code: SEGV_ACCERR, addr });
    } else {
      this.killProcess(task.proc, SIGILL, `unexpected exception ${cause} at pc 0x${upc.toString(16)}`);
    }
  }

  private syscall(task: Task): void {
    const regs = this.platform.exec.regs;
    const nr = regs.getXLo(17);
    this.syscallA0Lo = regs.getXLo(10);
    this.syscallA0Hi = regs.getXHi(10);
    // Past the ecall (handlers such as execve may set it again); int32 halves, no BigInt.
    const pcLo = regs.getPCLo(), nextLo = (pcLo + 4) | 0;
    regs.setPCParts(nextLo, (nextLo >>> 0) < (pcLo >>> 0) ? (regs.getPCHi() + 1) | 0 : regs.getPCHi());
    const def = this.table.get(nr);
    let ret: number | bigint | typeof BLOCKED;
    // A seccomp filter (or strict mode) decides first (__secure_computing, before the call runs).
    const verdict = task.seccompMode !== 0 ? seccompEntry(this, task, nr) : null;
    if (verdict === 'gone' || verdict === 'trap') return;
    if (verdict !== null) {
      ret = verdict;
    } else if (!def) {
      ret = -E.ENOSYS;
      if (!this.reportedEnosys.has(nr)) {
        this.reportedEnosys.add(nr);
        this.platform.log(`syscall ${nr} (${SyscallTable.nameOf(nr)}) is not implemented: ENOSYS`);
      }
    } else {
      try {
        ret = def.fn(this, task, this.args);
      } catch (e) {
        if (e instanceof SysError) ret = -e.errno;
        else throw e;
      }
    }
    if (this.config.trace) {
      this.platform.log(formatSyscall(task, def?.name ?? SyscallTable.nameOf(nr), def?.args ?? 'xxxxxx', this.args, ret === BLOCKED || task.state === 'zombie' ? '?' : ret, task.proc.as));
    }
    if (ret === BLOCKED) return;
    if (task.state !== 'zombie' && this.current === task) {
      if (typeof ret === 'bigint') regs.setX(10, ret);
      else regs.setXParts(10, ret | 0, ret < 0 ? -1 : Math.floor(ret / 0x1_0000_0000));
    }
  }

  /** Ends one thread; the last thread ends the process. */
  exitTask(task: Task, waitStatus: number): void {
    if (task.proc.exitStatus === null) exitRobustList(this, task);
    if (task.clearChildTid && (task.proc.tasks.size > 1 || this.asShared(task.proc.as))) {
      // CLONE_CHILD_CLEARTID (mm_release, while someone else still uses the memory): zero the
      // TID word and wake one futex waiter (pthread_join).
      try {
        task.proc.as.copyOut(task.clearChildTid, new Uint8Array(4));
        futexWake(this, task.proc, task.clearChildTid, 1, FUTEX_BITSET_MATCH_ANY, false);
      } catch { /* an unmapped address is ignored, as Linux does */ }
    }
    task.state = 'zombie';
    task.proc.tasks.delete(task);
    // Its children now belong to a live thread of the group (find_alive_thread).
    const heir = [...task.proc.tasks][0];
    if (heir) for (const c of this.processes.values()) if (c.ppid === task.proc.pid && c.creatorTid === task.tid) c.creatorTid = heir.tid;
    // A leader that ends alone stays a zombie until the last thread; wait reports its status.
    if (task.tid === task.proc.pid) task.proc.leaderStatus = waitStatus;
    if (task.proc.tasks.size === 0) this.processExited(task.proc, task.proc.leaderStatus ?? waitStatus);
  }

  /** exit_group: every thread of the process ends with the same status. */
  exitProcess(proc: Process, waitStatus: number): void {
    for (const t of [...proc.tasks]) {
      // Every thread's robust futexes are released, however the group ends (a killed owner too).
      if (proc.exitStatus === null) exitRobustList(this, t);
      t.state = 'zombie';
      proc.tasks.delete(t);
    }
    this.processExited(proc, waitStatus);
  }

  /** A signal's default action terminated the process. */
  killProcess(proc: Process, sig: number, why: string, quiet = false): void {
    if (!quiet) this.logEvent(KERN_INFO, `pid ${proc.pid} (${proc.comm}) killed by signal ${sig}: ${why}`);
    this.exitProcess(proc, sig);
  }

  /** Processes using each address space shared by clone(CLONE_VM) without CLONE_THREAD (absent: one). */
  private readonly asUsers = new Map<AddressSpace, number>();

  shareAs(as: AddressSpace): void {
    this.asUsers.set(as, (this.asUsers.get(as) ?? 1) + 1);
  }

  asShared(as: AddressSpace): boolean {
    return (this.asUsers.get(as) ?? 1) > 1;
  }

  /** Drops one process's use of an address space; the last one frees it. */
  releaseAs(as: AddressSpace): void {
    const n = (this.asUsers.get(as) ?? 1) - 1;
    if (n > 1) this.asUsers.set(as, n);
    else this.asUsers.delete(as);
    if (n <= 0) as.destroy();
  }

  processExited(proc: Process, waitStatus: number): void {
    if (proc.exitStatus !== null) return;
    proc.exitStatus = waitStatus;
    proc.stopped = 0;
    // do_exit's order: exit_sem and exit_files before exit_notify, so a parent in another
    // enclave hears of the exit after the semaphore adjustments and the closed ends.
    for (const hook of this.onProcessExit) hook(proc);
    // exit_files: the table closes with its last user (clone(CLONE_FILES) shares it between processes).
    if (![...this.processes.values()].some((q) => q !== proc && q.exitStatus === null && q.fds === proc.fds)) proc.fds.closeAll();
    // exit_mm before exit_notify: file pages mapped from another enclave go back to their owner
    // before the parent there hears of the exit.
    this.releaseAs(proc.as);
    if (this.family && !proc.remote) this.family.exited(proc, waitStatus);
    if (this.current?.proc === proc) this.current = null;
    if (proc.pid === 1) {
      // Init's end is the enclave's end: nothing else may outlive it.
      this.initStatus = waitStatus;
      for (const p of [...this.processes.values()]) if (p !== proc && p.exitStatus === null) this.exitProcess(p, SIGKILL);
      this.processes.clear();
      return;
    }
    this.reparentChildren(proc);
    proc.vforkWaiter?.();
    proc.vforkWaiter = undefined;
    const parent = this.processes.get(proc.ppid);
    if (!parent || parent.remote) {
      // A parent in another enclave heard of it through the family (family.exited).
      this.processes.delete(proc.pid);
      return;
    }
    this.notifyParentExit(proc, parent);
  }

  /** do_notify_parent: the exit signal (clone's, SIGCHLD for fork; none when 0), or autoreap. */
  private notifyParentExit(proc: Process, parent: Process): void {
    const waitStatus = proc.exitStatus ?? 0;
    const act = parent.sigactions.get(SIGCHLD);
    let sig = proc.exitSignal;
    let autoreap = false;
    if (sig === SIGCHLD && act && (act.handler === 1n || (act.flags & 2n) !== 0n)) {
      // SIGCHLD ignored or SA_NOCLDWAIT: children are reaped automatically (a handler still runs).
      autoreap = true;
      if (act.handler === 1n) sig = 0;
    }
    if (sig > 0 && sig <= 64) {
      const ksig = waitStatus & 0x7f;
      // si_status: the exit code, or the signal that killed it (kernel/signal.c do_notify_parent).
      sendToProcess(this, parent, { signo: sig, code: ksig ? CLD_KILLED : CLD_EXITED, pid: proc.pid, uid: this.config.uid, value: BigInt(ksig || (waitStatus >> 8) & 0xff) });
    }
    if (autoreap) this.processes.delete(proc.pid);
    this.wakeChildWaiters(parent);
  }

  /**
   * forget_original_parent: children of an ending process go to the nearest living ancestor
   * that is a child subreaper, else to init; they get their PR_SET_PDEATHSIG signal, their
   * exit signal becomes SIGCHLD, and zombies among them are announced to the new parent.
   */
  private reparentChildren(proc: Process): void {
    let reaper = 1;
    for (let a = this.processes.get(proc.ppid); a && a.pid !== 1; a = this.processes.get(a.ppid)) {
      if (a.childSubreaper && a.exitStatus === null) { reaper = a.pid; break; }
    }
    const newParent = this.processes.get(reaper);
    const children = [...this.processes.values()].filter((c) => c.ppid === proc.pid && c !== proc);
    hangupOrphanedGroups(this, proc, children.filter((c) => c.exitStatus === null));
    for (const c of children) {
      c.ppid = reaper;
      if (c.exitStatus === null) {
        if (c.pdeathSig) {
          const t = [...c.tasks][0];
          if (t) sendToTask(this, t, { signo: c.pdeathSig, code: SI_USER, pid: proc.pid, uid: this.config.uid });
        }
        c.exitSignal = SIGCHLD;
      } else if (newParent) {
        c.exitSignal = SIGCHLD;
        this.notifyParentExit(c, newParent);
      }
    }
  }

  /** A child changed state: the parent's sleeping wait4/waitid calls look again. */
  wakeChildWaiters(parent: Process): void {
    for (const t of parent.tasks) if (t.state === 'blocked' && t.wait?.childWait) this.restartSyscall(t);
  }

  /** Wakes a sleeping task by making it execute its syscall again (wait4 after a child exits). */
  restartSyscall(task: Task): void {
    if (task.state !== 'blocked') return;
    const w = task.wait;
    this.ensureSaved(task);
    if (task.saved && w) {
      task.saved.pc -= 4n;
      task.saved.x[10] = w.origA0 ?? task.saved.x[10];
    }
    task.state = 'runnable';
    task.wait = null;
    w?.onWake?.();
  }

  /** Turns a thrown error of a handler into the errno it carries, for callers outside dispatch. */
  static errnoOf(e: unknown): number {
    return e instanceof SysError ? e.errno : E.EFAULT;
  }

  static describeErrno(errno: number): string {
    return errnoName(errno);
  }
}
