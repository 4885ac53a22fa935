/**
 * Signal syscalls, first version: dispositions and masks are recorded exactly (so glibc's
 * start-up and abort() see what they expect); delivery comes with the process-model issue.
 * struct sigaction on riscv64 (asm-generic, no sa_restorer): handler@0, flags@8, mask@16.
 */
import { E } from '../errors.ts';
import { NSIG, SIGKILL, SIGSTOP, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK } from '../abi/constants.ts';
import type { SyscallTable } from './table.ts';

const SIGACTION_SIZE = 24;
const SIGSET_SIZE = 8;
const UNBLOCKABLE = (1n << BigInt(SIGKILL - 1)) | (1n << BigInt(SIGSTOP - 1));

export function registerSignal(tab: SyscallTable): void {
  tab.def('rt_sigaction', 'dppu', (k, t, a) => {
    const sig = a.i32(0), act = a.u(1), oact = a.u(2);
    if (a.u(3) !== SIGSET_SIZE) return -E.EINVAL;
    if (sig < 1 || sig > NSIG) return -E.EINVAL;
    if (act && (sig === SIGKILL || sig === SIGSTOP)) return -E.EINVAL;
    const cur = t.proc.sigactions.get(sig) ?? { handler: 0n, flags: 0n, mask: 0n };
    let next = null;
    if (act) {
      const dv = new DataView(t.proc.as.copyIn(act, SIGACTION_SIZE).buffer);
      next = { handler: dv.getBigUint64(0, true), flags: dv.getBigUint64(8, true), mask: dv.getBigUint64(16, true) & ~UNBLOCKABLE };
    }
    if (oact) {
      const b = new Uint8Array(SIGACTION_SIZE);
      const dv = new DataView(b.buffer);
      dv.setBigUint64(0, cur.handler, true);
      dv.setBigUint64(8, cur.flags, true);
      dv.setBigUint64(16, cur.mask, true);
      t.proc.as.copyOut(oact, b);
    }
    if (next) t.proc.sigactions.set(sig, next);
    return 0;
  }, 'partial');

  tab.def('rt_sigprocmask', 'dppu', (k, t, a) => {
    const how = a.i32(0), set = a.u(1), oset = a.u(2);
    if (a.u(3) !== SIGSET_SIZE) return -E.EINVAL;
    let next: bigint | null = null;
    if (set) {
      const v = new DataView(t.proc.as.copyIn(set, SIGSET_SIZE).buffer).getBigUint64(0, true);
      if (how === SIG_BLOCK) next = t.sigmask | v;
      else if (how === SIG_UNBLOCK) next = t.sigmask & ~v;
      else if (how === SIG_SETMASK) next = v;
      else return -E.EINVAL;
    }
    if (oset) {
      const b = new Uint8Array(SIGSET_SIZE);
      new DataView(b.buffer).setBigUint64(0, t.sigmask, true);
      t.proc.as.copyOut(oset, b);
    }
    if (next !== null) t.sigmask = next & ~UNBLOCKABLE;
    return 0;
  });
}
