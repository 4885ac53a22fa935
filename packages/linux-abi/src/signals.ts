/**
 * Signals (kernel/signal.c, arch/riscv/kernel/signal.c): generation, default actions, and
 * delivery to user handlers with Linux's riscv64 signal frame:
 *
 *   struct rt_sigframe { struct siginfo info;   // 128 bytes at +0
 *                        struct ucontext uc; }  // at +128 (960 bytes): total 1088
 *   struct ucontext { u64 uc_flags@0; ucontext *uc_link@8; stack_t uc_stack@16 (24);
 *                     sigset_t uc_sigmask@40; u8 __unused[120]@48;
 *                     struct sigcontext uc_mcontext@176 (16-aligned) }
 *   struct sigcontext { user_regs_struct sc_regs (pc, x1..x31)@0 (256);
 *                       union __riscv_fp_state sc_fpregs@256 (d: f[32] u64, fcsr u32; 528) }
 *
 * The handler returns through the vDSO's rt_sigreturn trampoline (ra), which the kernel maps
 * into every process as "[vdso]" (riscv64 has no SA_RESTORER).
 */
import { E } from './errors.ts';
import {
  NSIG, SIGABRT, SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGHUP, SIGILL, SIGKILL, SIGQUIT, SIGSEGV, SIGSTOP, SIGSYS,
  SIGTRAP, SIGTSTP, SIGTTIN, SIGTTOU, SIG_DFL, SIG_IGN, RLIMIT_SIGPENDING,
} from './abi/constants.ts';
import type { BLOCKED, Kernel } from './kernel.ts';
import type { Process, Task } from './task.ts';
import type { SyscallTable } from './syscalls/table.ts';

const SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25, SIGWINCH = 28;
const CORE = new Set([SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS]);
const IGNORE = new Set([SIGCHLD, SIGURG, SIGWINCH, SIGCONT]);
const STOP = new Set([SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]);

// asm-generic/signal-defs.h
export const SA_NOCLDSTOP = 0x1, SA_NOCLDWAIT = 0x2, SA_SIGINFO = 0x4, SA_ONSTACK = 0x08000000;
export const SA_RESTART = 0x10000000, SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000;
// linux/signal.h (stack_t.ss_flags)
export const SS_ONSTACK = 1, SS_DISABLE = 2, SS_AUTODISARM = 1 << 31;
// asm-generic/siginfo.h si_code values
export const SI_USER = 0, SI_KERNEL = 0x80, SI_QUEUE = -1, SI_TIMER = -2, SI_TKILL = -6;
const SIGRTMIN = 32;
export const CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3, CLD_STOPPED = 5, CLD_CONTINUED = 6;
export const SEGV_MAPERR = 1, SEGV_ACCERR = 2, BUS_ADRALN = 1, ILL_ILLOPC = 1, TRAP_BRKPT = 1;

export const SIGINFO_SIZE = 128;
const UC_OFFSET = SIGINFO_SIZE;
const UC_STACK = 16, UC_SIGMASK = 40, UC_MCONTEXT = 176;
const SC_FPREGS = 256;
export const RT_SIGFRAME_SIZE = SIGINFO_SIZE + UC_MCONTEXT + 256 + 528; // 1088
export const MINSIGSTKSZ = 2048;

const bit = (sig: number) => 1n << BigInt(sig - 1);
/** Signals that can be neither blocked nor caught. */
export const UNBLOCKABLE = bit(SIGKILL) | bit(SIGSTOP);

export interface SigInfo {
  signo: number;
  code: number;
  /** si_pid/si_uid for sent signals; si_addr for faults. */
  pid?: number;
  uid?: number;
  addr?: number;
  /** si_value for sigqueue / SI_QUEUE. */
  value?: bigint;
  /** Raw bytes from rt_sigqueueinfo (used as is). */
  raw?: Uint8Array;
  /** Process-directed and queued while every thread blocked it: any thread may take it. */
  shared?: boolean;
}

export function encodeSiginfo(i: SigInfo): Uint8Array {
  if (i.raw) {
    const b = i.raw.slice(0, SIGINFO_SIZE);
    new DataView(b.buffer).setInt32(0, i.signo, true);
    return b;
  }
  const b = new Uint8Array(SIGINFO_SIZE);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, i.signo, true);
  dv.setInt32(8, i.code, true);
  if (i.addr !== undefined) dv.setBigUint64(16, BigInt(i.addr), true);
  else {
    dv.setInt32(16, i.pid ?? 0, true);
    dv.setUint32(20, i.uid ?? 0, true);
    if (i.value !== undefined) dv.setBigUint64(24, i.value, true);
  }
  return b;
}

/** What a task does with a signal it is about to take. */
function disposition(p: Process, sig: number): 'handler' | 'ignore' | 'terminate' | 'core' | 'stop' {
  const act = p.sigactions.get(sig);
  const h = act ? act.handler : BigInt(SIG_DFL);
  if (sig !== SIGKILL && sig !== SIGSTOP) {
    if (h === BigInt(SIG_IGN)) return 'ignore';
    if (h !== BigInt(SIG_DFL)) return 'handler';
  }
  if (IGNORE.has(sig)) return 'ignore';
  if (STOP.has(sig)) return 'stop';
  return CORE.has(sig) ? 'core' : 'terminate';
}

/**
 * __sigqueue_alloc's accounting: the siginfos queued for the user (one user here: every
 * process of this enclave) against the target's RLIMIT_SIGPENDING.
 */
function sigpendingFull(k: Kernel, p: Process): boolean {
  const limit = p.rlimits[RLIMIT_SIGPENDING].cur;
  if (limit < 0n) return false;
  let queued = 0;
  for (const q of k.processes.values()) for (const x of q.tasks) queued += x.sigQueue.length;
  return BigInt(queued) >= limit;
}

/**
 * Queues a signal on a thread; a blocked, interruptible sleep ends with EINTR (or restarts).
 * False when a real-time signal with a negative si_code (sigqueue, tgkill) found the user's
 * RLIMIT_SIGPENDING used up: the caller's EAGAIN (kernel/signal.c __send_signal_locked).
 */
export function sendToTask(k: Kernel, t: Task, info: SigInfo): boolean {
  if (t.state === 'zombie') return true;
  const sig = info.signo;
  const p = t.proc;
  jobControlAtGeneration(k, p, sig);
  const d = disposition(p, sig);
  const masked = (t.sigmask & bit(sig)) !== 0n && sig !== SIGKILL;
  // rt_sigtimedwait's set counts as blocked (Linux's real_blocked): never ignored, never acted on.
  const taken = t.state === 'blocked' && t.wait?.takes !== undefined && (t.wait.takes & bit(sig)) !== 0n;
  // A signal whose action is to ignore it is discarded at generation (unless blocked).
  if (d === 'ignore' && !masked && !taken) return true;
  // A fatal signal ends a stopped group at once (kernel/signal.c complete_signal); so does SIGKILL.
  if (p.stopped && !masked && !taken && (d === 'terminate' || d === 'core')) p.stopped = 0;
  if (d === 'stop' && !masked && !taken) {
    // The default action of a stop signal needs no context of the thread: the group stops
    // now, even if the thread sleeps in a system call (which then resumes after SIGCONT, as
    // Linux restarts it).
    stopGroup(k, t, sig);
    return true;
  }
  if (!(t.pending & bit(sig)) || sig >= 32) {
    // override_rlimit only for legacy signals with si_code >= 0 (kill, the kernel's own);
    // POSIX timers' siginfo is preallocated.
    const override = sig === SIGKILL || info.code === SI_TIMER || (sig < SIGRTMIN && info.code >= 0);
    if (!override && sigpendingFull(k, p)) {
      // A real-time signal from sigqueue/tgkill is refused; the rest still goes, its
      // information lost (dequeued as SI_USER with no sender): kill() never fails for it.
      if (sig >= SIGRTMIN && info.code !== SI_USER && info.code !== SI_KERNEL) return false;
    } else t.sigQueue.push(info);
  }
  t.pending |= bit(sig);
  signalHooks.queued(t);
  if (t.state === 'blocked' && !masked && (d !== 'stop' || taken)) interrupt(k, t, sig);
  return true;
}

/**
 * prepare_signal's job-control side effects, whatever the disposition or mask: a stop signal
 * discards pending SIGCONTs; SIGCONT discards pending stop signals and resumes a stopped group
 * (reporting CLD_CONTINUED to the parent).
 */
function jobControlAtGeneration(k: Kernel, p: Process, sig: number): void {
  if (p.exitStatus !== null) return;
  const drop = (mask: bigint) => {
    for (const x of p.tasks) {
      if (!(x.pending & mask)) continue;
      x.pending &= ~mask;
      for (const i of x.sigQueue) if (i.shared && bit(i.signo) & mask) p.sharedSignals--;
      x.sigQueue = x.sigQueue.filter((i) => !(bit(i.signo) & mask));
    }
  };
  if (STOP.has(sig)) drop(bit(SIGCONT));
  else if (sig === SIGCONT) {
    drop(bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU));
    if (p.stopped) {
      p.stopped = 0;
      p.stopReport = 0;
      p.continueReport = true;
      notifyParentStop(k, p, CLD_CONTINUED, SIGCONT);
    }
  } else if (sig === SIGKILL) p.stopped = 0;
}

/**
 * True when the process group of p is orphaned (kernel/exit.c will_become_orphaned_pgrp): no
 * member has a parent in another group of the same session. The stop signals of the terminal
 * (SIGTSTP, SIGTTIN, SIGTTOU) are discarded there. The enclave's pid 1 is an ordinary process
 * here (as elsewhere in this kernel), not Linux's exempt global init.
 */
export function orphanedPgrp(k: Kernel, p: Process): boolean {
  for (const q of k.processes.values()) {
    if (q.pgid !== p.pgid || q.exitStatus !== null) continue;
    const parent = k.processes.get(q.ppid);
    if (parent && parent.exitStatus === null && parent.pgid !== q.pgid && parent.sid === q.sid) return false;
  }
  return true;
}

/** do_signal_stop: the whole thread group stops; the parent hears CLD_STOPPED. */
function stopGroup(k: Kernel, t: Task, sig: number): void {
  const p = t.proc;
  // Already stopped: nothing new to report (Linux leaves it pending; SIGCONT discards it).
  if (p.stopped) return;
  if (sig !== SIGSTOP && orphanedPgrp(k, p)) return;
  p.stopped = sig;
  p.stopReport = sig;
  p.continueReport = false;
  notifyParentStop(k, p, CLD_STOPPED, sig);
}

/** do_notify_parent_cldstop: SIGCHLD unless the parent set SA_NOCLDSTOP; waiters re-check. */
export function notifyParentStop(k: Kernel, p: Process, code: number, status: number): void {
  const parent = k.processes.get(p.ppid);
  if (!parent || parent.exitStatus !== null) return;
  if (parent.remote) {
    // The parent runs in another enclave (family.ts): it hears of it by message.
    k.family?.stopChanged(p, code, status);
    return;
  }
  const act = parent.sigactions.get(SIGCHLD);
  if (!(act && act.flags & BigInt(SA_NOCLDSTOP))) {
    sendToProcess(k, parent, { signo: SIGCHLD, code, pid: p.pid, uid: k.config.uid, value: BigInt(status) });
  }
  k.wakeChildWaiters(parent);
}

/**
 * A syscall that signalled its own process and returns -ERESTARTSYS (the terminal's job
 * control): a handler without SA_RESTART makes it -EINTR (arch/riscv/kernel/signal.c
 * handle_signal); otherwise (a stop, SA_RESTART) it runs again when the task next returns to
 * user mode.
 */
export function restartSys(k: Kernel, t: Task, sig: number): number | typeof BLOCKED {
  const act = t.proc.sigactions.get(sig);
  if (disposition(t.proc, sig) === 'handler' && !(act && act.flags & BigInt(SA_RESTART))) return -E.EINTR;
  return k.restartCurrentSyscall(t);
}

/** Ends an interruptible sleep because of `sig`: restart it (SA_RESTART) or fail with EINTR. */
function interrupt(k: Kernel, t: Task, sig: number): void {
  const w = t.wait;
  if (!w) return;
  if (w.onSignal) {
    // Sleeps with their own rules (sigsuspend, sigtimedwait) decide themselves.
    if (w.onSignal(sig)) return;
  }
  k.ensureSaved(t);
  const act = t.proc.sigactions.get(sig);
  const restart = w.restartable && act && (act.flags & BigInt(SA_RESTART)) !== 0n && disposition(t.proc, sig) === 'handler';
  if (restart && t.saved) {
    // Re-execute the ecall with its original a0 (orig_a0 in Linux's pt_regs).
    t.saved.pc -= 4n;
    t.saved.x[10] = w.origA0 ?? t.saved.x[10];
    t.state = 'runnable';
    t.wait = null;
    w.onWake?.();
    return;
  }
  k.wake(t, -E.EINTR);
}

export function sendToProcess(k: Kernel, p: Process, info: SigInfo): boolean {
  if (p.remote) {
    // It runs in another enclave (family.ts): the signal travels as a message.
    if (p.exitStatus === null) k.family?.signal(p, info);
    return true;
  }
  // Process-directed: a thread that does not block it; when every thread blocks it, it waits
  // on the first one marked shared, and whichever thread unblocks it or waits for it takes it
  // (Linux's shared pending queue).
  const ts = [...p.tasks];
  const t = ts.find((x) => !(x.sigmask & bit(info.signo)));
  if (t) return sendToTask(k, t, info);
  if (!ts[0]) return true;
  const before = ts[0].sigQueue.length;
  info.shared = true; // the same object: POSIX timers recognise their queued siginfo by identity
  const sent = sendToTask(k, ts[0], info);
  if (ts[0].sigQueue.length > before) p.sharedSignals++;
  return sent;
}

/**
 * Moves process-directed signals in `want` that wait on other threads of t's process to t
 * (which is about to take them): the model of Linux's shared pending set.
 */
function pullShared(t: Task, want: bigint): void {
  const p = t.proc;
  if (p.sharedSignals === 0 || want === 0n) return;
  for (const x of p.tasks) {
    if (x === t) continue;
    for (let i = 0; i < x.sigQueue.length; i++) {
      const info = x.sigQueue[i];
      if (!info.shared || !(want & bit(info.signo))) continue;
      x.sigQueue.splice(i--, 1);
      if (!x.sigQueue.some((q) => q.signo === info.signo)) x.pending &= ~bit(info.signo);
      if (t.pending & bit(info.signo) && info.signo < 32) { p.sharedSignals--; continue; } // coalesces
      t.sigQueue.push(info);
      t.pending |= bit(info.signo);
    }
  }
}

/** Signals pending for the process as a whole (queued on any thread as shared). */
function sharedPendingSet(p: Process): bigint {
  let m = 0n;
  if (p.sharedSignals) for (const x of p.tasks) for (const i of x.sigQueue) if (i.shared) m |= bit(i.signo);
  return m;
}

/** A synchronous fault signal: if blocked or ignored, it is unblocked and reset (force_sig). */
export function forceSignal(k: Kernel, t: Task, info: SigInfo): void {
  const sig = info.signo;
  const act = t.proc.sigactions.get(sig);
  if (t.sigmask & bit(sig) || (act && act.handler === BigInt(SIG_IGN))) {
    t.sigmask &= ~bit(sig);
    t.proc.sigactions.delete(sig);
  }
  sendToTask(k, t, info);
}

/** Called when a signal is queued on a task (signalfd readers and pollers wake). */
export const signalHooks = { queued: (_t: Task): void => {} };

export function takeInfo(t: Task, sig: number): SigInfo {
  const i = t.sigQueue.findIndex((x) => x.signo === sig);
  // Not queued (its information lost to RLIMIT_SIGPENDING): collect_signal's SI_USER, no sender.
  const info = i >= 0 ? t.sigQueue.splice(i, 1)[0] : { signo: sig, code: SI_USER, pid: 0, uid: 0 };
  if (info.shared) t.proc.sharedSignals--;
  if (!t.sigQueue.some((x) => x.signo === sig)) t.pending &= ~bit(sig);
  return info;
}

/** The lowest deliverable pending signal, or 0. */
export function nextSignal(t: Task): number {
  pullShared(t, ~(t.sigmask & ~UNBLOCKABLE));
  const ready = t.pending & ~(t.sigmask & ~UNBLOCKABLE);
  if (ready === 0n) return 0;
  // Synchronous faults first, as Linux's SYNCHRONOUS_MASK does.
  for (const s of [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS]) if (ready & bit(s)) return s;
  for (let s = 1; s <= NSIG; s++) if (ready & bit(s)) return s;
  return 0;
}

/**
 * Acts on pending signals of the task that is about to run (its registers are on the hart).
 * Returns false when the task's process died or stopped.
 */
export function deliverSignals(k: Kernel, t: Task): boolean {
  for (;;) {
    if (t.state === 'zombie') return false;
    const sig = nextSignal(t);
    if (!sig) {
      if (t.savedMaskForSuspend !== undefined) {
        t.sigmask = t.savedMaskForSuspend;
        t.savedMaskForSuspend = undefined;
      }
      return true;
    }
    const info = takeInfo(t, sig);
    const d = disposition(t.proc, sig);
    if (d === 'ignore') continue;
    if (d === 'stop') {
      // A stop signal that was blocked when sent, now unblocked.
      stopGroup(k, t, sig);
      if (t.proc.stopped) return false;
      continue;
    }
    if (d === 'terminate' || d === 'core') {
      // No core file is written, so the wait status never has the 0x80 bit.
      // A terminating signal is the program's business (a shell says "Terminated"); a core
      // signal usually means a crash, which the operator wants to see.
      k.killProcess(t.proc, sig, d === 'core' ? 'default action: core' : '', d !== 'core');
      return false;
    }
    if (!setupFrame(k, t, sig, info)) {
      k.killProcess(t.proc, SIGSEGV, `could not write the signal frame for signal ${sig}`);
      return false;
    }
    // Like Linux's exit-to-user loop: every signal still deliverable under the mask the
    // handler just set gets its frame too, stacked on top (the last one runs first).
    continue;
  }
}

function onAltStack(t: Task, sp: number): boolean {
  return t.altStack.size > 0 && sp > t.altStack.sp && sp - t.altStack.sp <= t.altStack.size;
}

/** setup_rt_frame: build the frame on the user stack (or the alternate stack) and enter the handler. */
function setupFrame(k: Kernel, t: Task, sig: number, info: SigInfo): boolean {
  const regs = k.platform.exec.regs;
  const act = t.proc.sigactions.get(sig)!;
  const flags = Number(act.flags & 0xffffffffn);
  const userSp = Number(BigInt.asUintN(64, regs.getX(2)));
  let sp = userSp;
  if (flags & SA_ONSTACK && t.altStack.size > 0 && !(t.altStack.flags & SS_DISABLE) && !onAltStack(t, sp)) {
    sp = t.altStack.sp + t.altStack.size;
  }
  const frame = Math.floor((sp - RT_SIGFRAME_SIZE) / 16) * 16;
  const b = new Uint8Array(RT_SIGFRAME_SIZE);
  const dv = new DataView(b.buffer);
  b.set(encodeSiginfo({ ...info, signo: sig }), 0);
  // uc_flags, uc_link = 0; uc_stack = the alternate stack as it was (__save_altstack)
  dv.setBigUint64(UC_OFFSET + UC_STACK, BigInt(t.altStack.sp), true);
  dv.setInt32(UC_OFFSET + UC_STACK + 8, onAltStack(t, userSp) ? SS_ONSTACK : t.altStack.size ? t.altStack.flags & ~SS_ONSTACK : SS_DISABLE, true);
  dv.setBigUint64(UC_OFFSET + UC_STACK + 16, BigInt(t.altStack.size), true);
  // After sigsuspend, the mask to restore is the one from before the call (saved_sigmask).
  dv.setBigUint64(UC_OFFSET + UC_SIGMASK, t.savedMaskForSuspend ?? t.sigmask, true);
  t.savedMaskForSuspend = undefined;
  const mc = UC_OFFSET + UC_MCONTEXT;
  dv.setBigUint64(mc, BigInt.asUintN(64, regs.getPC()), true);
  for (let i = 1; i < 32; i++) dv.setBigUint64(mc + i * 8, BigInt.asUintN(64, regs.getX(i)), true);
  for (let i = 0; i < 32; i++) dv.setBigUint64(mc + SC_FPREGS + i * 8, BigInt.asUintN(64, regs.getF(i)), true);
  dv.setUint32(mc + SC_FPREGS + 256, regs.getFcsr(), true);
  try {
    t.proc.as.copyOut(frame, b);
  } catch {
    return false;
  }
  if (t.altStack.flags & SS_AUTODISARM && sp !== userSp) t.altStack = { sp: 0, size: 0, flags: SS_DISABLE };
  // Block the handler's mask (and the signal itself unless SA_NODEFER) while it runs.
  t.sigmask = (t.sigmask | act.mask | (flags & SA_NODEFER ? 0n : bit(sig))) & ~UNBLOCKABLE;
  if (flags & SA_RESETHAND) t.proc.sigactions.delete(sig);
  regs.setX(1, BigInt(t.proc.vdsoSigreturn));
  regs.setX(2, BigInt(frame));
  regs.setX(10, BigInt(sig));
  regs.setX(11, BigInt(frame));
  regs.setX(12, BigInt(frame + UC_OFFSET));
  regs.setPC(act.handler);
  return true;
}

/** rt_sigreturn: restore what setupFrame saved (the frame is at the user sp). */
function sigreturn(k: Kernel, t: Task): number | bigint {
  t.restartBlock = null; // the interrupted call is over: nothing to restart (sys_rt_sigreturn)
  const regs = k.platform.exec.regs;
  const frame = Number(BigInt.asUintN(64, regs.getX(2)));
  let b: Uint8Array;
  try {
    b = t.proc.as.copyIn(frame, RT_SIGFRAME_SIZE);
  } catch {
    k.killProcess(t.proc, SIGSEGV, 'rt_sigreturn with a bad frame');
    return 0;
  }
  const dv = new DataView(b.buffer);
  t.sigmask = dv.getBigUint64(UC_OFFSET + UC_SIGMASK, true) & ~UNBLOCKABLE;
  const mc = UC_OFFSET + UC_MCONTEXT;
  regs.setPC(dv.getBigUint64(mc, true));
  for (let i = 1; i < 32; i++) regs.setX(i, dv.getBigUint64(mc + i * 8, true));
  for (let i = 0; i < 32; i++) regs.setF(i, dv.getBigUint64(mc + SC_FPREGS + i * 8, true));
  regs.setFcsr(dv.getUint32(mc + SC_FPREGS + 256, true));
  // restore_altstack
  const ss = Number(dv.getBigUint64(UC_OFFSET + UC_STACK, true));
  const ssFlags = dv.getInt32(UC_OFFSET + UC_STACK + 8, true);
  const ssSize = Number(dv.getBigUint64(UC_OFFSET + UC_STACK + 16, true));
  if (!(ssFlags & SS_DISABLE) && ssSize >= MINSIGSTKSZ && !onAltStack(t, Number(BigInt.asUintN(64, regs.getX(2))))) {
    t.altStack = { sp: ss, size: ssSize, flags: ssFlags & ~SS_ONSTACK };
  }
  return regs.getX(10); // a0 as restored: the dispatcher writes it back unchanged
}

function checkSig(sig: number): boolean {
  return sig >= 0 && sig <= NSIG;
}

function findTask(k: Kernel, tid: number): Task | undefined {
  for (const p of k.processes.values()) for (const t of p.tasks) if (t.tid === tid) return t;
  return undefined;
}

function readSigset(t: Task, addr: number): bigint {
  return new DataView(t.proc.as.copyIn(addr, 8).buffer).getBigUint64(0, true);
}

export function registerSignalSyscalls(tab: SyscallTable): void {
  tab.def('kill', 'dd', (k, t, a) => {
    const pid = a.i32(0), sig = a.i32(1);
    if (!checkSig(sig)) return -E.EINVAL;
    const info: SigInfo = { signo: sig, code: SI_USER, pid: t.proc.pid, uid: k.config.uid };
    let targets: Process[];
    // A zombie still exists until it is reaped: it is found, and the signal is dropped.
    if (pid > 0) {
      const p = k.processes.get(pid);
      if (!p) return -E.ESRCH;
      targets = [p];
    } else if (pid === -1) {
      // Every process but init and the caller (kernel/signal.c kill_something_info).
      targets = [...k.processes.values()].filter((p) => p.pid !== 1 && p !== t.proc);
    } else {
      const pgid = pid === 0 ? t.proc.pgid : -pid;
      targets = [...k.processes.values()].filter((p) => p.pgid === pgid);
    }
    if (targets.length === 0) return -E.ESRCH;
    if (sig) for (const p of targets) sendToProcess(k, p, info);
    return 0;
  }, 'partial');

  tab.def('tkill', 'dd', (k, t, a) => {
    const tid = a.i32(0), sig = a.i32(1);
    if (tid <= 0 || !checkSig(sig)) return -E.EINVAL;
    const target = findTask(k, tid);
    if (!target) return -E.ESRCH;
    if (sig && !sendToTask(k, target, { signo: sig, code: SI_TKILL, pid: t.proc.pid, uid: k.config.uid })) return -E.EAGAIN;
    return 0;
  });

  tab.def('tgkill', 'ddd', (k, t, a) => {
    const tgid = a.i32(0), tid = a.i32(1), sig = a.i32(2);
    if (tgid <= 0 || tid <= 0 || !checkSig(sig)) return -E.EINVAL;
    const target = findTask(k, tid);
    if (!target) {
      // A thread of a process in another enclave (process-per-enclave fork): the signal travels
      // as a message and that kernel finds the thread; whether it still exists is known only
      // there, so a stale tid is dropped there instead of ESRCH here.
      const p = k.processes.get(tgid);
      if (p?.remote && p.exitStatus === null && k.family) {
        if (sig) k.family.signal(p, { signo: sig, code: SI_TKILL, pid: t.proc.pid, uid: k.config.uid }, tid);
        return 0;
      }
    }
    if (!target || target.proc.pid !== tgid) return -E.ESRCH;
    if (sig && !sendToTask(k, target, { signo: sig, code: SI_TKILL, pid: t.proc.pid, uid: k.config.uid })) return -E.EAGAIN;
    return 0;
  });

  tab.def('rt_sigqueueinfo', 'ddp', (k, t, a) => {
    const pid = a.i32(0), sig = a.i32(1);
    const raw = t.proc.as.copyIn(a.u(2), SIGINFO_SIZE);
    const code = new DataView(raw.buffer).getInt32(8, true);
    // Only the kernel may claim SI_USER/SI_KERNEL-style codes for another process.
    if ((code >= 0 || code === SI_TKILL) && pid !== t.proc.pid) return -E.EPERM;
    if (!checkSig(sig)) return -E.EINVAL;
    const p = k.processes.get(pid);
    if (!p) return -E.ESRCH;
    if (sig && !sendToProcess(k, p, { signo: sig, code, raw })) return -E.EAGAIN; // signal 0 only checks
    return 0;
  });

  tab.def('rt_tgsigqueueinfo', 'dddp', (k, t, a) => {
    const tgid = a.i32(0), tid = a.i32(1), sig = a.i32(2);
    if (tgid <= 0 || tid <= 0) return -E.EINVAL;
    const raw = t.proc.as.copyIn(a.u(3), SIGINFO_SIZE);
    const code = new DataView(raw.buffer).getInt32(8, true);
    if ((code >= 0 || code === SI_TKILL) && tgid !== t.proc.pid) return -E.EPERM;
    if (!checkSig(sig)) return -E.EINVAL;
    const target = findTask(k, tid);
    if (!target || target.proc.pid !== tgid) return -E.ESRCH;
    if (sig && !sendToTask(k, target, { signo: sig, code, raw })) return -E.EAGAIN;
    return 0;
  });

  tab.def('rt_sigreturn', '', (k, t) => sigreturn(k, t));

  // sys_restart_syscall: the task's restart block (time.ts sleepTo), else do_no_restart_syscall.
  tab.def('restart_syscall', '', (k, t) => (t.restartBlock ? t.restartBlock(k, t) : -E.EINTR), 'partial',
    'restart blocks of nanosleep, relative clock_nanosleep and futex waits with a timeout; not yet of poll, nor of a futex wait on a word another enclave owns (it restarts on SA_RESTART); a fork child starts without its parent\'s block');

  tab.def('sigaltstack', 'pp', (k, t, a) => {
    const ss = a.u(0), old = a.u(1);
    const sp = Number(BigInt.asUintN(64, k.platform.exec.regs.getX(2)));
    if (old) {
      const b = new Uint8Array(24);
      const dv = new DataView(b.buffer);
      dv.setBigUint64(0, BigInt(t.altStack.sp), true);
      dv.setInt32(8, onAltStack(t, sp) ? SS_ONSTACK : t.altStack.size ? t.altStack.flags : SS_DISABLE, true);
      dv.setBigUint64(16, BigInt(t.altStack.size), true);
      t.proc.as.copyOut(old, b);
    }
    if (ss) {
      const dv = new DataView(t.proc.as.copyIn(ss, 24).buffer);
      const nsp = Number(dv.getBigUint64(0, true));
      const flags = dv.getInt32(8, true);
      const size = Number(dv.getBigUint64(16, true));
      if (onAltStack(t, sp)) return -E.EPERM;
      const mode = flags & ~SS_AUTODISARM;
      if (mode !== 0 && mode !== SS_DISABLE && mode !== SS_ONSTACK) return -E.EINVAL;
      if (mode === SS_DISABLE) t.altStack = { sp: 0, size: 0, flags: SS_DISABLE };
      else {
        if (size < MINSIGSTKSZ) return -E.ENOMEM;
        t.altStack = { sp: nsp, size, flags: flags & SS_AUTODISARM };
      }
    }
    return 0;
  });

  tab.def('rt_sigpending', 'pu', (k, t, a) => {
    if (a.u(1) > 8) return -E.EINVAL;
    const pend = t.pending | sharedPendingSet(t.proc);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, pend & t.sigmask, true);
    t.proc.as.copyOut(a.u(0), b.subarray(0, a.u(1)));
    return 0;
  });

  tab.def('rt_sigsuspend', 'pu', (k, t, a) => {
    if (a.u(1) !== 8) return -E.EINVAL;
    const mask = readSigset(t, a.u(0));
    const old = t.sigmask;
    t.sigmask = mask & ~UNBLOCKABLE;
    if (nextSignal(t)) {
      // A signal is already deliverable: take it now with the old mask restored afterwards.
      t.savedMaskForSuspend = old;
      return -E.EINTR;
    }
    return k.block(t, {
      deadline: Infinity, onTimeout: -E.EINTR,
      onSignal: () => {
        t.savedMaskForSuspend = old;
        k.wake(t, -E.EINTR);
        return true;
      },
    });
  });

  tab.def('rt_sigtimedwait', 'pppu', (k, t, a) => {
    if (a.u(3) !== 8) return -E.EINVAL;
    const set = readSigset(t, a.u(0)) & ~UNBLOCKABLE;
    const infoAddr = a.u(1);
    const take = (sig: number): number => {
      const info = takeInfo(t, sig);
      if (infoAddr) t.proc.as.copyOut(infoAddr, encodeSiginfo({ ...info, signo: sig }));
      return sig;
    };
    const pendingInSet = () => {
      const p = t.pending & set;
      for (let s = 1; s <= NSIG; s++) if (p & bit(s)) return s;
      return 0;
    };
    pullShared(t, set);
    const now = pendingInSet();
    if (now) return take(now);
    let deadline = Infinity;
    if (a.u(2)) {
      const dv = new DataView(t.proc.as.copyIn(a.u(2), 16).buffer);
      const sec = Number(dv.getBigInt64(0, true)), nsec = Number(dv.getBigInt64(8, true));
      if (sec < 0 || nsec < 0 || nsec >= 1e9) return -E.EINVAL;
      deadline = k.platform.monotonicNs() + sec * 1e9 + nsec;
    }
    // While waiting, the set is unblocked (as Linux does) so arrival wakes us.
    const oldMask = t.sigmask;
    t.sigmask &= ~set;
    return k.block(t, {
      deadline, onTimeout: -E.EAGAIN, takes: set,
      onSignal: (sig) => {
        t.sigmask = oldMask;
        if (set & bit(sig)) k.wake(t, take(sig));
        else k.wake(t, -E.EINTR);
        return true;
      },
      onWake: () => { t.sigmask = oldMask; },
    });
  });
}

/**
 * kill_orphaned_pgrp (kernel/exit.c): when `leaving` ends, a process group it was the last
 * outside link of (its own, or a child's) that now is orphaned and has stopped members gets
 * SIGHUP then SIGCONT, so its jobs are not left stopped forever.
 */
export function hangupOrphanedGroups(k: Kernel, leaving: Process, children: Process[]): void {
  const check = (member: Process, parent: Process | undefined) => {
    if (!parent || parent.pgid === member.pgid || parent.sid !== member.sid) return;
    if (!orphanedPgrp(k, member)) return;
    const group = [...k.processes.values()].filter((q) => q.pgid === member.pgid && q.exitStatus === null);
    if (!group.some((q) => q.stopped)) return;
    for (const sig of [SIGHUP, SIGCONT]) for (const q of group) sendToProcess(k, q, { signo: sig, code: SI_KERNEL });
  };
  check(leaving, k.processes.get(leaving.ppid));
  for (const c of children) check(c, leaving);
}
