/**
 * ioprio_get and ioprio_set (block/ioprio.c): a per-thread I/O priority, recorded, inherited
 * by clone and fork, and reported; there is no block device whose queue it would order. As on
 * Linux 6.x, a thread that never set one reports 0 (IOPRIO_CLASS_NONE). A process in another
 * enclave (process-per-enclave fork) is its proxy here: it starts with the value its parent had
 * at fork, and ioprio_set on it reaches only the proxy (as setpriority, docs/sgx-fork.md).
 */
import { E } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Process, Task } from '../task.ts';

// include/uapi/linux/ioprio.h
const IOPRIO_WHO_PROCESS = 1, IOPRIO_WHO_PGRP = 2, IOPRIO_WHO_USER = 3;
const IOPRIO_CLASS_NONE = 0, IOPRIO_CLASS_RT = 1, IOPRIO_CLASS_BE = 2, IOPRIO_CLASS_IDLE = 3;
const IOPRIO_NR_LEVELS = 8;
const prioClass = (p: number) => (p >> 13) & 0x7;
const prioLevel = (p: number) => p & 0x7; // IOPRIO_PRIO_LEVEL (bits 3..12 are hints, Linux 6.5)

/** ioprio_check_cap, for an unprivileged caller (no CAP_SYS_ADMIN/CAP_SYS_NICE unless root). */
export function checkPrio(k: Kernel, prio: number): number {
  switch (prioClass(prio)) {
    case IOPRIO_CLASS_RT:
      if (k.config.uid !== 0) return -E.EPERM;
      return prioLevel(prio) >= IOPRIO_NR_LEVELS ? -E.EINVAL : 0; // the real-time class has levels too
    case IOPRIO_CLASS_BE:
      return prioLevel(prio) >= IOPRIO_NR_LEVELS ? -E.EINVAL : 0;
    case IOPRIO_CLASS_IDLE:
      return 0;
    case IOPRIO_CLASS_NONE:
      return prioLevel(prio) ? -E.EINVAL : 0;
    default:
      return -E.EINVAL;
  }
}

/** The threads (and proxies of processes elsewhere) `which`/`who` names; null: bad `which`. */
function targets(k: Kernel, t: Task, which: number, who: number): { tasks: Task[]; proxies: Process[] } | null {
  const live = [...k.processes.values()].filter((p) => p.exitStatus === null);
  if (which === IOPRIO_WHO_PROCESS) {
    if (who === 0) return { tasks: [t], proxies: [] };
    for (const p of live) for (const x of p.tasks) if (x.tid === who) return { tasks: [x], proxies: [] };
    const p = k.processes.get(who);
    return { tasks: [], proxies: p?.remote && p.exitStatus === null ? [p] : [] };
  }
  let members: Process[];
  if (which === IOPRIO_WHO_PGRP) {
    const g = who || t.proc.pgid;
    members = live.filter((p) => p.pgid === g);
  } else if (which === IOPRIO_WHO_USER) {
    members = who === k.config.uid || who === 0 ? live : []; // one user: every process is the caller's
  } else {
    return null;
  }
  return { tasks: members.flatMap((p) => [...p.tasks]), proxies: members.filter((p) => p.remote) };
}

export function registerIoprio(tab: SyscallTable): void {
  tab.def('ioprio_set', 'ddx', (k, t, a) => {
    const which = a.i32(0), who = a.i32(1), prio = a.i32(2);
    const c = checkPrio(k, prio);
    if (c) return c;
    const tg = targets(k, t, which, who);
    if (!tg) return -E.EINVAL;
    if (tg.tasks.length === 0 && tg.proxies.length === 0) return -E.ESRCH;
    // set_task_ioprio: the same user (or CAP_SYS_NICE) may; here every process is the user's.
    for (const x of tg.tasks) x.ioprio = prio & 0xffff;
    for (const p of tg.proxies) p.remoteIoprio = prio & 0xffff;
    return 0;
  });

  tab.def('ioprio_get', 'dd', (k, t, a) => {
    const which = a.i32(0), who = a.i32(1);
    const tg = targets(k, t, which, who);
    if (!tg) return -E.EINVAL;
    const values = [...tg.tasks.map((x) => x.ioprio), ...tg.proxies.map((p) => p.remoteIoprio)];
    if (values.length === 0) return -E.ESRCH;
    if (which === IOPRIO_WHO_PROCESS) return values[0];
    // ioprio_best over the raw values: the lowest of those with a class, else 0.
    const set = values.filter((v) => prioClass(v) !== IOPRIO_CLASS_NONE);
    return set.length ? Math.min(...set) : values[0];
  });
}
