/**
 * sched_setattr / sched_getattr (kernel/sched/syscalls.c): the extensible struct sched_attr
 * over the same per-thread state as sched_setscheduler and setpriority (policy, nice, real-time
 * priority, reset-on-fork), with the checks __sched_setscheduler makes for an unprivileged
 * caller (no CAP_SYS_NICE here). SCHED_DEADLINE's parameters are checked (EINVAL) but the
 * policy needs privilege (EPERM), as for any user on Linux. Utilisation clamps are refused
 * with EOPNOTSUPP, as by a kernel without CONFIG_UCLAMP_TASK (the reference host is one):
 * there is no frequency scaling for them to hint.
 */
import { E } from '../errors.ts';
import { RLIMIT_RTPRIO } from '../abi/constants.ts';
import type { Task } from '../task.ts';
import type { SyscallTable } from './table.ts';
import { canNice, findTaskById } from './sched.ts';

// linux/sched.h
const SCHED_NORMAL = 0, SCHED_FIFO = 1, SCHED_RR = 2, SCHED_BATCH = 3, SCHED_IDLE = 5, SCHED_DEADLINE = 6;
const SCHED_FLAG_RESET_ON_FORK = 0x01, SCHED_FLAG_RECLAIM = 0x02, SCHED_FLAG_DL_OVERRUN = 0x04;
const SCHED_FLAG_KEEP_POLICY = 0x08, SCHED_FLAG_KEEP_PARAMS = 0x10;
const SCHED_FLAG_UTIL_CLAMP_MIN = 0x20, SCHED_FLAG_UTIL_CLAMP_MAX = 0x40;
const SCHED_FLAG_UTIL_CLAMP = SCHED_FLAG_UTIL_CLAMP_MIN | SCHED_FLAG_UTIL_CLAMP_MAX;
const SCHED_FLAG_ALL = SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_RECLAIM | SCHED_FLAG_DL_OVERRUN |
  SCHED_FLAG_KEEP_POLICY | SCHED_FLAG_KEEP_PARAMS | SCHED_FLAG_UTIL_CLAMP;
const SCHED_FLAG_SUGOV = 0x10000000; // kernel/sched/sched.h: kernel threads only
// linux/sched/types.h: size@0 policy@4 flags@8 nice@16 priority@20 runtime@24 deadline@32
// period@40 util_min@48 util_max@52
const SCHED_ATTR_SIZE_VER0 = 48, SCHED_ATTR_SIZE_VER1 = 56;
const PAGE_SIZE = 4096;
// kernel/sched/deadline.c defaults: sched_deadline_period_{min,max}_us, DL_SCALE
const DL_PERIOD_MIN_NS = 100n * 1000n, DL_PERIOD_MAX_NS = (1n << 22n) * 1000n, DL_SCALE = 10n;

interface SchedAttr {
  policy: number; // int: negative only from SCHED_FLAG_KEEP_POLICY (SETPARAM_POLICY)
  flags: bigint;
  nice: number;
  priority: number; // u32
  runtime: bigint;
  deadline: bigint;
  period: bigint;
}

const fairPolicy = (p: number) => p === SCHED_NORMAL || p === SCHED_BATCH;
const rtPolicy = (p: number) => p === SCHED_FIFO || p === SCHED_RR;

/** __checkparam_dl: runtime <= deadline <= period within the sysctl bounds. */
function checkDl(a: SchedAttr): boolean {
  if (a.flags & BigInt(SCHED_FLAG_SUGOV)) return true;
  if (a.deadline === 0n || a.runtime < 1n << DL_SCALE) return false;
  if (a.deadline >> 63n || a.period >> 63n) return false;
  const period = a.period || a.deadline;
  if (period < a.deadline || a.deadline < a.runtime) return false;
  return period >= DL_PERIOD_MIN_NS && period <= DL_PERIOD_MAX_NS;
}

/** __sched_setscheduler(user = true) for a sched_attr; 0 or -errno. */
function setAttr(p: Task, a: SchedAttr): number {
  const flags = Number(a.flags & 0xffffffffn);
  let policy = a.policy, reset: boolean;
  if (policy < 0) {
    reset = p.resetOnFork;
    policy = p.policy;
  } else {
    reset = (flags & SCHED_FLAG_RESET_ON_FORK) !== 0;
    if (![SCHED_NORMAL, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE].includes(policy)) return -E.EINVAL;
  }
  if (a.flags & ~BigInt(SCHED_FLAG_ALL | SCHED_FLAG_SUGOV)) return -E.EINVAL;
  if (a.priority > 99) return -E.EINVAL;
  if ((policy === SCHED_DEADLINE && !checkDl(a)) || rtPolicy(policy) !== (a.priority !== 0)) return -E.EINVAL;
  // user_check_sched_setscheduler: what needs CAP_SYS_NICE is EPERM.
  if (fairPolicy(policy) && a.nice < p.nice && !canNice(p, a.nice)) return -E.EPERM;
  if (rtPolicy(policy)) {
    const lim = p.proc.rlimits[RLIMIT_RTPRIO].cur; // -1: unlimited
    if (policy !== p.policy && lim === 0n) return -E.EPERM;
    if (a.priority > p.rtPriority && lim >= 0n && BigInt(a.priority) > lim) return -E.EPERM;
  }
  if (policy === SCHED_DEADLINE) return -E.EPERM; // never for an unprivileged user
  if (p.policy === SCHED_IDLE && policy !== SCHED_IDLE && !canNice(p, p.nice)) return -E.EPERM;
  if (p.resetOnFork && !reset) return -E.EPERM;
  if (flags & SCHED_FLAG_SUGOV) return -E.EINVAL;
  if (flags & SCHED_FLAG_UTIL_CLAMP) return -E.EOPNOTSUPP; // uclamp_validate without CONFIG_UCLAMP_TASK
  p.resetOnFork = reset;
  // KEEP_PARAMS skips __setscheduler_params, which is also what would set the policy.
  if (flags & SCHED_FLAG_KEEP_PARAMS) return 0;
  p.policy = policy;
  if (fairPolicy(policy)) p.nice = a.nice; // SCHED_IDLE and real-time keep their nice
  p.rtPriority = a.priority;
  return 0;
}

export function registerSchedAttr(tab: SyscallTable): void {
  tab.def('sched_setattr', 'dpu', (k, t, a) => {
    const pid = a.i32(0), uattr = a.u(1);
    if (!uattr || pid < 0 || a.u(2) !== 0) return -E.EINVAL;
    // sched_copy_attr: size 0 is VER0; too small or too large (or a non-zero tail past what
    // this kernel knows) is E2BIG with the kernel's size written back.
    const as = t.proc.as;
    let size = new DataView(as.copyIn(uattr, 4).buffer).getUint32(0, true);
    if (size === 0) size = SCHED_ATTR_SIZE_VER0;
    const tooBig = () => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, SCHED_ATTR_SIZE_VER1, true);
      as.copyOut(uattr, b);
      return -E.E2BIG;
    };
    if (size < SCHED_ATTR_SIZE_VER0 || size > PAGE_SIZE) return tooBig();
    const raw = new Uint8Array(SCHED_ATTR_SIZE_VER1);
    raw.set(as.copyIn(uattr, Math.min(size, SCHED_ATTR_SIZE_VER1)));
    if (size > SCHED_ATTR_SIZE_VER1 && as.copyIn(uattr + SCHED_ATTR_SIZE_VER1, size - SCHED_ATTR_SIZE_VER1).some((x) => x !== 0)) return tooBig();
    const dv = new DataView(raw.buffer);
    const attr: SchedAttr = {
      policy: dv.getInt32(4, true), flags: dv.getBigUint64(8, true),
      nice: Math.max(-20, Math.min(19, dv.getInt32(16, true))), priority: dv.getUint32(20, true),
      runtime: dv.getBigUint64(24, true), deadline: dv.getBigUint64(32, true), period: dv.getBigUint64(40, true),
    };
    if (attr.flags & BigInt(SCHED_FLAG_UTIL_CLAMP) && size < SCHED_ATTR_SIZE_VER1) return -E.EINVAL;
    if (attr.policy < 0) return -E.EINVAL;
    if (attr.flags & BigInt(SCHED_FLAG_KEEP_POLICY)) attr.policy = -1; // SETPARAM_POLICY
    const p = findTaskById(k, t, pid);
    if (!p) return -E.ESRCH;
    if (attr.flags & BigInt(SCHED_FLAG_KEEP_PARAMS)) {
      // get_params: the target's own nice or priority (no task here has deadline parameters).
      if (rtPolicy(p.policy)) attr.priority = p.rtPriority;
      else attr.nice = p.nice;
    }
    return setAttr(p, attr);
  }, 'partial');

  tab.def('sched_getattr', 'dpuu', (k, t, a) => {
    const pid = a.i32(0), uattr = a.u(1), usize = a.u(2);
    if (!uattr || pid < 0 || usize > PAGE_SIZE || usize < SCHED_ATTR_SIZE_VER0 || a.u(3) !== 0) return -E.EINVAL;
    const p = findTaskById(k, t, pid);
    if (!p) return -E.ESRCH;
    // The kernel's struct, cut to what the caller has room for; size says how much that is.
    const size = Math.min(usize, SCHED_ATTR_SIZE_VER1);
    const b = new Uint8Array(SCHED_ATTR_SIZE_VER1);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, size, true);
    dv.setUint32(4, p.policy, true);
    dv.setBigUint64(8, p.resetOnFork ? BigInt(SCHED_FLAG_RESET_ON_FORK) : 0n, true);
    if (rtPolicy(p.policy)) dv.setUint32(20, p.rtPriority, true);
    else dv.setInt32(16, p.nice, true); // util_min/max stay 0: no CONFIG_UCLAMP_TASK
    t.proc.as.copyOut(uattr, b.subarray(0, size));
    return 0;
  }, 'partial');
}
