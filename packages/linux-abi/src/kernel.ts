/**
 * The kernel: owns processes, the frame allocator and the syscall table, and runs the
 * scheduler loop over the HAL's Execution interface (DESIGN.md section 5: ecall -> trap ->
 * table -> handler -> result in a0 -> resume). It imports the HAL contract only.
 */
import type { Platform, UserTrap } from '@teeos/hal';
import { E, SysError, errnoName } from './errors.ts';
import { SIGBUS, SIGILL, SIGSEGV, SIGTRAP } from './abi/constants.ts';
import { AddressSpace, ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE } from './mm/address-space.ts';
import type { FrameAllocator } from './mm/frames.ts';
import { FdTable } from './fs/file.ts';
import { HostStdioFile } from './fs/host-stdio.ts';
import { Process, Task } from './task.ts';
import { SyscallArgs } from './syscalls/args.ts';
import { SyscallTable } from './syscalls/table.ts';
import { registerIo } from './syscalls/io.ts';
import { registerMm } from './syscalls/mm.ts';
import { registerProcess, DEFAULT_RLIMITS } from './syscalls/process.ts';
import { registerSignal } from './syscalls/signal.ts';
import { registerTime } from './syscalls/time.ts';
import { registerMisc } from './syscalls/misc.ts';
import { formatSyscall } from './strace.ts';
import { loadProgram } from './exec.ts';
import { O_RDONLY, O_WRONLY } from './abi/constants.ts';

export interface KernelConfig {
  argv: string[];
  envp: string[];
  /** The path the program was started by (AT_EXECFN). */
  execPath: string;
  /** What /proc/self/exe reads as (an absolute path). */
  exeLink: string;
  trace: boolean;
  hostname: string;
  uid: number;
  gid: number;
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
  registerMisc(tab);
  return tab;
}

export class Kernel {
  readonly table = buildSyscallTable();
  readonly processes = new Map<number, Process>();
  private readonly runQueue: Task[] = [];
  private current: Task | null = null;
  private nextPid = 1;
  private readonly reportedEnosys = new Set<number>();
  private readonly bootRealtimeNs: number;
  private readonly bootMonotonicNs: number;
  private readonly args: SyscallArgs;
  /** Wait status of init once it has exited. */
  private initStatus: number | null = null;

  constructor(readonly platform: Platform, readonly frames: FrameAllocator, readonly config: KernelConfig) {
    this.args = new SyscallArgs(platform.exec.regs);
    this.bootMonotonicNs = platform.monotonicNs();
    const c = platform.host.call({ op: 'clock', clock: 'realtime' });
    // The host's wall clock, believed once and only if sane (after 2000-01-01, before 2200).
    const t = c.ret === 0 && c.sec > 946684800 && c.sec < 7258118400 && c.nsec >= 0 && c.nsec < 1e9 ? c.sec * 1e9 + c.nsec : 0;
    if (t === 0) platform.log('host wall clock rejected; CLOCK_REALTIME starts at the epoch');
    this.bootRealtimeNs = t;
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
    return new AddressSpace(m.bytes, m.phys.base, this.frames, {
      codeWritten: (pa, len) => this.platform.exec.codeWritten(pa, len),
      flushTlb: () => m.flushTlb(),
    });
  }

  /** Creates init from the application image the platform measured, and runs until it exits. */
  run(): number {
    const m = this.platform.memory;
    const image = m.bytes.subarray(m.appImage.base - m.phys.base, m.appImage.base - m.phys.base + m.appImage.length);
    const fds = new FdTable();
    fds.set(0, new HostStdioFile(this.platform.host, 0, O_RDONLY), false);
    fds.set(1, new HostStdioFile(this.platform.host, 1, O_WRONLY), false);
    fds.set(2, new HostStdioFile(this.platform.host, 2, O_WRONLY), false);
    const as = this.newAddressSpace();
    const proc = new Process(this.nextPid++, 0, as, fds, this.config.exeLink);
    for (const [res, cur, max] of DEFAULT_RLIMITS) proc.rlimits[res] = { cur, max };
    this.processes.set(proc.pid, proc);
    const task = new Task(proc.pid, proc);
    loadProgram(this, task, image, this.config.argv, this.config.envp, this.config.execPath);
    this.runQueue.push(task);
    this.schedule();
    return this.initStatus ?? 0;
  }

  private schedule(): void {
    const exec = this.platform.exec;
    while (this.runQueue.length > 0) {
      const task = this.runQueue[0];
      if (task.state !== 'runnable') {
        this.runQueue.shift();
        continue;
      }
      this.switchTo(task);
      const trap = exec.runUser(TIME_SLICE);
      this.handleTrap(task, trap);
      if (task.state === 'runnable' && this.runQueue.length > 1 && trap.kind === 'budget') {
        this.runQueue.push(this.runQueue.shift()!);
      }
    }
  }

  private switchTo(task: Task): void {
    if (this.current === task) return;
    const regs = this.platform.exec.regs;
    if (this.current && this.current.state === 'runnable') {
      const x = new BigInt64Array(32), f = new BigInt64Array(32);
      for (let i = 1; i < 32; i++) x[i] = regs.getX(i);
      for (let i = 0; i < 32; i++) f[i] = regs.getF(i);
      this.current.saved = { x, f, pc: regs.getPC(), fcsr: regs.getFcsr() };
    }
    const s = task.saved;
    if (s) {
      for (let i = 1; i < 32; i++) regs.setX(i, s.x[i]);
      for (let i = 0; i < 32; i++) regs.setF(i, s.f[i]);
      regs.setPC(s.pc);
      regs.setFcsr(s.fcsr);
      task.saved = null;
    }
    this.platform.memory.activatePageTable(task.proc.as.pt.root, task.proc.pid);
    this.current = task;
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
      if (r === 'mapped') return; // resume at the faulting instruction
      if (r === 'oom') {
        this.platform.log(`out of enclave memory at 0x${addr.toString(16)}: killing pid ${task.proc.pid}`);
      }
      this.killProcess(task.proc, SIGSEGV, `segmentation fault at 0x${addr.toString(16)} (pc 0x${pc.toString(16)})`);
      return;
    }
    let sig = SIGSEGV;
    if (cause === CAUSE_ILLEGAL) sig = SIGILL;
    else if (cause === CAUSE_BREAKPOINT) sig = SIGTRAP;
    else if (cause === CAUSE_MISALIGNED_FETCH || cause === CAUSE_MISALIGNED_LOAD || cause === CAUSE_MISALIGNED_STORE) sig = SIGBUS;
    else if (cause === CAUSE_FETCH_ACCESS || cause === CAUSE_LOAD_ACCESS || cause === CAUSE_STORE_ACCESS) sig = SIGSEGV;
    this.killProcess(task.proc, sig, `exception ${cause} at pc 0x${pc.toString(16)} (tval 0x${BigInt.asUintN(64, tval).toString(16)})`);
  }

  private syscall(task: Task): void {
    const regs = this.platform.exec.regs;
    const nr = regs.getXLo(17);
    const pc = regs.getPC();
    regs.setPC(pc + 4n); // past the ecall; handlers such as execve may set it again
    const def = this.table.get(nr);
    let ret: number | bigint;
    if (!def) {
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
      this.platform.log(formatSyscall(task, def?.name ?? SyscallTable.nameOf(nr), def?.args ?? 'xxxxxx', this.args, ret, task.proc.as));
    }
    if (task.state === 'runnable' && this.current === task) {
      if (typeof ret === 'bigint') regs.setX(10, ret);
      else regs.setXParts(10, ret | 0, ret < 0 ? -1 : Math.floor(ret / 0x1_0000_0000));
    }
  }

  /** Ends one thread; the last thread ends the process. */
  exitTask(task: Task, waitStatus: number): void {
    task.state = 'zombie';
    task.proc.tasks.delete(task);
    if (task.proc.tasks.size === 0) this.processExited(task.proc, waitStatus);
  }

  /** exit_group: every thread of the process ends with the same status. */
  exitProcess(proc: Process, waitStatus: number): void {
    for (const t of [...proc.tasks]) {
      t.state = 'zombie';
      proc.tasks.delete(t);
    }
    this.processExited(proc, waitStatus);
  }

  /** A signal's default action terminated the process. */
  killProcess(proc: Process, sig: number, why: string): void {
    this.platform.log(`pid ${proc.pid} (${proc.comm}) killed by signal ${sig}: ${why}`);
    this.exitProcess(proc, sig);
  }

  private processExited(proc: Process, waitStatus: number): void {
    proc.exitStatus = waitStatus;
    for (const [fd] of [...proc.fds.entries()]) proc.fds.close(fd);
    proc.as.destroy();
    this.processes.delete(proc.pid);
    if (this.current?.proc === proc) this.current = null;
    if (proc.pid === 1) this.initStatus = waitStatus;
  }

  /** Turns a thrown error of a handler into the errno it carries, for callers outside dispatch. */
  static errnoOf(e: unknown): number {
    return e instanceof SysError ? e.errno : E.EFAULT;
  }

  static describeErrno(errno: number): string {
    return errnoName(errno);
  }
}
