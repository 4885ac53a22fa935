/**
 * unshare (kernel/fork.c ksys_unshare). CLONE_FILES gives the process its own copy of a
 * descriptor table it shares with another process (clone(CLONE_FILES) without CLONE_THREAD);
 * CLONE_SYSVSEM applies and drops the SEM_UNDO adjustments (exit_sem); CLONE_FS, and
 * CLONE_THREAD/SIGHAND/VM in a single-threaded process that shares nothing, have nothing to
 * unshare and succeed, as Linux's checks let them.
 *
 * Namespaces: there are none in this kernel, so each namespace flag gets what a Linux kernel
 * built without that namespace answers: CLONE_NEWUSER EINVAL (unshare_userns without
 * CONFIG_USER_NS, before any capability check); the others need CAP_SYS_ADMIN first
 * (unshare_nsproxy_namespaces: EPERM for the enclave's ordinary user) and are then EINVAL
 * (copy_utsname, copy_ipcs, copy_pid_ns, copy_net_ns, copy_time_ns without their
 * CONFIG_*_NS). CLONE_NEWNS and CLONE_NEWCGROUP cannot be configured out of Linux; for root
 * they are EINVAL here too (docs/compatibility.md).
 *
 * Partial: descriptor tables, fs_struct and SEM_UNDO lists belong to the process here, not to
 * each thread; a thread of a multi-threaded process cannot take its own copy, so
 * CLONE_FILES, CLONE_FS or CLONE_SYSVSEM there returns EINVAL (Linux would succeed).
 */
import { E } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import { CLONE_FILES, CLONE_FS, CLONE_NEWNS, CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_VM } from './sched.ts';
import { unshareSemUndo } from './sysvipc.ts';

// linux/sched.h
const CLONE_NEWTIME = 0x80, CLONE_NEWCGROUP = 0x02000000, CLONE_NEWUTS = 0x04000000, CLONE_NEWIPC = 0x08000000;
const CLONE_NEWUSER = 0x10000000, CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000;
const NS_FLAGS = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP | CLONE_NEWTIME;
const ALLOWED = BigInt(CLONE_THREAD | CLONE_FS | CLONE_NEWNS | CLONE_SIGHAND | CLONE_VM | CLONE_FILES | CLONE_SYSVSEM
  | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWCGROUP | CLONE_NEWTIME);

export function registerUnshare(tab: SyscallTable): void {
  tab.def('unshare', 'x', (k, t, a) => {
    const raw = a.big(0);
    if (raw & ~ALLOWED) return -E.EINVAL; // check_unshare_flags
    let flags = Number(raw);
    // What else each flag implies (ksys_unshare).
    if (flags & CLONE_NEWUSER) flags |= CLONE_THREAD | CLONE_FS;
    if (flags & CLONE_VM) flags |= CLONE_SIGHAND;
    if (flags & CLONE_SIGHAND) flags |= CLONE_THREAD;
    if (flags & CLONE_NEWNS) flags |= CLONE_FS;
    const p = t.proc;
    const others = [...k.processes.values()].filter((q) => q !== p && q.exitStatus === null && !q.remote);
    // Not implemented by Linux either, but fine when there is nothing to unshare.
    if (flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM) && p.tasks.size > 1) return -E.EINVAL; // thread_group_empty
    if (flags & (CLONE_SIGHAND | CLONE_VM) && others.some((q) => q.sigactions === p.sigactions)) return -E.EINVAL; // sighand->count
    if (flags & CLONE_VM && others.some((q) => q.as === p.as)) return -E.EINVAL; // current_is_single_threaded
    const doSysvsem = (flags & (CLONE_NEWIPC | CLONE_SYSVSEM)) !== 0;
    if (flags & CLONE_NEWUSER) return -E.EINVAL; // unshare_userns without CONFIG_USER_NS
    if (flags & NS_FLAGS) return k.config.uid === 0 ? -E.EINVAL : -E.EPERM; // ns_capable(CAP_SYS_ADMIN), then no such namespace
    // One table, fs_struct and undo list per process: a thread cannot take its own (see above).
    if (p.tasks.size > 1 && (flags & (CLONE_FILES | CLONE_FS) || doSysvsem)) return -E.EINVAL;
    if (doSysvsem) unshareSemUndo(k, p);
    // unshare_fd: a copy only when the table is shared (files->count > 1).
    if (flags & CLONE_FILES && others.some((q) => q.fds === p.fds)) p.fds = p.fds.clone();
    return 0;
  }, 'partial', 'no namespaces: CLONE_NEWUSER EINVAL (Linux without CONFIG_USER_NS), the other CLONE_NEW* EPERM without CAP_SYS_ADMIN, EINVAL for root (as Linux without that namespace; NEWNS and NEWCGROUP cannot be configured out of Linux); CLONE_FILES/FS/SYSVSEM in a multi-threaded process EINVAL (tables are per process)');
}
