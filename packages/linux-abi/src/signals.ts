/**
 * Signal generation and default actions (kernel/signal.c), first version. A signal whose
 * disposition is SIG_DFL takes its default action (terminate, core, ignore, stop); SIG_IGN
 * discards it. Running user handlers needs the riscv64 signal frame and rt_sigreturn, which
 * come with the process-model issue: until then a signal that would run a handler
 * terminates the process with a clear message instead of being silently dropped.
 */
import { E } from './errors.ts';
import {
  NSIG, SIGABRT, SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGILL, SIGKILL, SIGQUIT, SIGSEGV, SIGSTOP, SIGSYS,
  SIGTRAP, SIGTSTP, SIGTTIN, SIGTTOU, SIG_DFL, SIG_IGN,
} from './abi/constants.ts';
import type { Kernel } from './kernel.ts';
import type { Process, Task } from './task.ts';
import type { SyscallTable } from './syscalls/table.ts';

const SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25, SIGWINCH = 28;
const CORE = new Set([SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS]);
const IGNORE = new Set([SIGCHLD, SIGURG, SIGWINCH, SIGCONT]);
const STOP = new Set([SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]);

const bit = (sig: number) => 1n << BigInt(sig - 1);

/** Queues a signal on a thread. */
export function sendToTask(t: Task, sig: number): void {
  t.pending |= bit(sig);
}

/** Acts on the lowest pending, unblocked signal of the task (called when it leaves the hart). */
export function deliverSignals(k: Kernel, t: Task): void {
  for (let sig = 1; sig <= NSIG; sig++) {
    if (t.state === 'zombie') return;
    const b = bit(sig);
    if (!(t.pending & b) || (t.sigmask & b && sig !== SIGKILL && sig !== SIGSTOP)) continue;
    t.pending &= ~b;
    const act = t.proc.sigactions.get(sig);
    const handler = act ? act.handler : BigInt(SIG_DFL);
    if (sig !== SIGKILL && sig !== SIGSTOP && handler === BigInt(SIG_IGN)) continue;
    if (sig === SIGKILL || handler === BigInt(SIG_DFL)) {
      if (IGNORE.has(sig)) continue;
      if (STOP.has(sig)) {
        k.platform.log(`pid ${t.proc.pid}: stop signal ${sig} ignored (job control comes with the process-model issue)`);
        continue;
      }
      // Terminate, or core (no core file is written, so the wait status has no 0x80 bit).
      k.killProcess(t.proc, sig, CORE.has(sig) ? 'default action: core' : 'default action: terminate');
      return;
    }
    k.killProcess(t.proc, sig, 'a handler is installed, but handler delivery is not implemented yet');
    return;
  }
}

function checkSig(sig: number): number {
  return sig < 0 || sig > NSIG ? -E.EINVAL : 0;
}

function findTask(k: Kernel, tid: number): Task | undefined {
  for (const p of k.processes.values()) for (const t of p.tasks) if (t.tid === tid) return t;
  return undefined;
}

function sendToProcess(p: Process, sig: number): void {
  // Process-directed: any thread that does not block it (the first one here).
  const ts = [...p.tasks];
  const t = ts.find((x) => !(x.sigmask & bit(sig))) ?? ts[0];
  if (t) sendToTask(t, sig);
}

export function registerSignalSend(tab: SyscallTable): void {
  tab.def('kill', 'dd', (k, t, a) => {
    const pid = a.i32(0), sig = a.i32(1);
    if (checkSig(sig)) return -E.EINVAL;
    if (pid > 0) {
      const p = k.processes.get(pid);
      if (!p) return -E.ESRCH;
      if (sig) sendToProcess(p, sig);
      return 0;
    }
    // pid 0 (own group), -1 (everyone we may signal), -pgid: one process group for now.
    if (pid === 0 || pid === -1 || -pid === t.proc.pid) {
      for (const p of k.processes.values()) if (sig) sendToProcess(p, sig);
      return 0;
    }
    return -E.ESRCH;
  }, 'partial');

  tab.def('tkill', 'dd', (k, t, a) => {
    const tid = a.i32(0), sig = a.i32(1);
    if (tid <= 0 || checkSig(sig)) return -E.EINVAL;
    const target = findTask(k, tid);
    if (!target) return -E.ESRCH;
    if (sig) sendToTask(target, sig);
    return 0;
  });

  tab.def('tgkill', 'ddd', (k, t, a) => {
    const tgid = a.i32(0), tid = a.i32(1), sig = a.i32(2);
    if (tgid <= 0 || tid <= 0 || checkSig(sig)) return -E.EINVAL;
    const target = findTask(k, tid);
    if (!target || target.proc.pid !== tgid) return -E.ESRCH;
    if (sig) sendToTask(target, sig);
    return 0;
  });
}
