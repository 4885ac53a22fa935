/**
 * seccomp(2) and prctl's PR_SET/GET_SECCOMP and PR_SET/GET_NO_NEW_PRIVS (kernel/seccomp.c; the
 * classic BPF checks of net/core/filter.c bpf_check_classic).
 *
 * A filter is a classic BPF program run on struct seccomp_data at every system call entry (nr,
 * arch AUDIT_ARCH_RISCV64, instruction_pointer, args[6]: include/uapi/linux/seccomp.h). Filters
 * stack per thread (newest first), are inherited by clone and fork and kept across execve; the
 * action of highest precedence among their answers is taken (kill process, kill thread, trap,
 * errno, trace, log, allow; an unknown action kills the process). Strict mode allows read, write,
 * exit and rt_sigreturn and kills the thread on anything else.
 *
 * Not implemented: user notification (SECCOMP_FILTER_FLAG_NEW_LISTENER, WAIT_KILLABLE_RECV and
 * SECCOMP_GET_NOTIF_SIZES answer EINVAL, as a kernel before Linux 5.0 that did not know them;
 * SECCOMP_GET_ACTION_AVAIL says SECCOMP_RET_USER_NOTIF is not available). There is no tracer,
 * so SECCOMP_RET_TRACE fails the call with ENOSYS, as Linux does without one.
 */
import { E } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import type { SyscallTable } from './table.ts';
import { SIGKILL, SIGSYS } from '../abi/constants.ts';
import { forceSignal } from '../signals.ts';
import { KERN_NOTICE } from '../printk.ts';

// include/uapi/linux/seccomp.h
export const SECCOMP_MODE_DISABLED = 0, SECCOMP_MODE_STRICT = 1, SECCOMP_MODE_FILTER = 2;
const SECCOMP_SET_MODE_STRICT = 0, SECCOMP_SET_MODE_FILTER = 1, SECCOMP_GET_ACTION_AVAIL = 2;
const SECCOMP_FILTER_FLAG_TSYNC = 1, SECCOMP_FILTER_FLAG_LOG = 2, SECCOMP_FILTER_FLAG_SPEC_ALLOW = 4, SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 16;
const SUPPORTED_FLAGS = SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
const SECCOMP_RET_KILL_PROCESS = 0x80000000, SECCOMP_RET_KILL_THREAD = 0, SECCOMP_RET_TRAP = 0x00030000, SECCOMP_RET_ERRNO = 0x00050000;
const SECCOMP_RET_TRACE = 0x7ff00000, SECCOMP_RET_LOG = 0x7ffc0000, SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_RET_ACTION_FULL = 0xffff0000, SECCOMP_RET_DATA = 0x0000ffff;
const AVAILABLE = new Set([SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO, SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW]);
/** include/uapi/linux/audit.h: EM_RISCV | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
export const AUDIT_ARCH_RISCV64 = 0xc00000f3;
const SYS_SECCOMP = 1; // si_code of SIGSYS
const MAX_ERRNO = 4095;
const BPF_MAXINSNS = 4096, BPF_MEMWORDS = 16;
/** kernel/seccomp.c MAX_INSNS_PER_PATH: (1 << 18) / sizeof(struct sock_filter). */
const MAX_INSNS_PER_PATH = (1 << 18) / 8;
const SECCOMP_DATA_SIZE = 64;
// Strict mode's calls (mode1_syscalls): read, write, exit, rt_sigreturn (asm-generic/unistd.h).
const STRICT_ALLOWED = new Set([63, 64, 93, 139]);

// include/uapi/linux/bpf_common.h, filter.h
const BPF_LD = 0x00, BPF_LDX = 0x01, BPF_ST = 0x02, BPF_STX = 0x03, BPF_ALU = 0x04, BPF_JMP = 0x05, BPF_RET = 0x06, BPF_MISC = 0x07;
const BPF_W = 0x00, BPF_IMM = 0x00, BPF_ABS = 0x20, BPF_MEM = 0x60, BPF_LEN = 0x80;
const BPF_ADD = 0x00, BPF_SUB = 0x10, BPF_MUL = 0x20, BPF_DIV = 0x30, BPF_OR = 0x40, BPF_AND = 0x50, BPF_LSH = 0x60, BPF_RSH = 0x70, BPF_NEG = 0x80, BPF_XOR = 0xa0;
const BPF_JA = 0x00, BPF_JEQ = 0x10, BPF_JGT = 0x20, BPF_JGE = 0x30, BPF_JSET = 0x40;
const BPF_K = 0x00, BPF_X = 0x08, BPF_A = 0x10;
const BPF_TAX = 0x00, BPF_TXA = 0x80;

/** One installed filter: its instructions (code, jt, jf, k), checked. Never changed once made (children share it). */
export interface SeccompFilter {
  readonly code: Uint16Array;
  readonly jt: Uint8Array;
  readonly jf: Uint8Array;
  readonly k: Uint32Array;
  /** SECCOMP_FILTER_FLAG_LOG: its non-allow actions are logged. */
  readonly log: boolean;
}

/** What seccomp_check_filter lets through (after LEN loads became immediates). */
const SECCOMP_CODES = new Set([
  BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM, BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX,
  BPF_RET | BPF_K, BPF_RET | BPF_A, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA,
  ...[BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH].flatMap((op) => [BPF_ALU | op | BPF_K, BPF_ALU | op | BPF_X]),
  BPF_ALU | BPF_NEG, BPF_JMP | BPF_JA,
  ...[BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET].flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
]);

/** Decodes and checks a program (bpf_check_classic, then seccomp_check_filter): the filter, or -EINVAL. */
export function checkFilter(raw: Uint8Array, log: boolean): SeccompFilter | number {
  const n = raw.length / 8;
  if (n === 0 || n > BPF_MAXINSNS) return -E.EINVAL;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const code = new Uint16Array(n), jt = new Uint8Array(n), jf = new Uint8Array(n), k = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    code[i] = dv.getUint16(i * 8, true);
    jt[i] = raw[i * 8 + 2];
    jf[i] = raw[i * 8 + 3];
    k[i] = dv.getUint32(i * 8 + 4, true);
  }
  for (let pc = 0; pc < n; pc++) {
    const c = code[pc];
    // seccomp_check_filter: a length load is the size of seccomp_data.
    if (c === (BPF_LD | BPF_W | BPF_LEN)) { code[pc] = BPF_LD | BPF_IMM; k[pc] = SECCOMP_DATA_SIZE; continue; }
    if (c === (BPF_LDX | BPF_W | BPF_LEN)) { code[pc] = BPF_LDX | BPF_IMM; k[pc] = SECCOMP_DATA_SIZE; continue; }
    if (!SECCOMP_CODES.has(c)) return -E.EINVAL;
    if (c === (BPF_LD | BPF_W | BPF_ABS) && (k[pc] >= SECCOMP_DATA_SIZE || k[pc] & 3)) return -E.EINVAL;
    if (c === (BPF_ALU | BPF_DIV | BPF_K) && k[pc] === 0) return -E.EINVAL;
    if ((c === (BPF_LD | BPF_MEM) || c === (BPF_LDX | BPF_MEM) || c === BPF_ST || c === BPF_STX) && k[pc] >= BPF_MEMWORDS) return -E.EINVAL;
    if (c === (BPF_JMP | BPF_JA)) {
      if (k[pc] >= n - pc - 1) return -E.EINVAL;
    } else if ((c & 0x07) === BPF_JMP && (pc + jt[pc] + 1 >= n || pc + jf[pc] + 1 >= n)) return -E.EINVAL;
  }
  if ((code[n - 1] & 0x07) !== BPF_RET) return -E.EINVAL;
  // check_load_and_stores: no scratch cell is read on a path that has not written it.
  const masks = new Uint16Array(n).fill(0xffff);
  let valid = 0;
  for (let pc = 0; pc < n; pc++) {
    valid &= masks[pc];
    const c = code[pc];
    if (c === BPF_ST || c === BPF_STX) valid |= 1 << k[pc];
    else if (c === (BPF_LD | BPF_MEM) || c === (BPF_LDX | BPF_MEM)) {
      if (!(valid & (1 << k[pc]))) return -E.EINVAL;
    } else if (c === (BPF_JMP | BPF_JA)) {
      masks[pc + 1 + k[pc]] &= valid;
      valid = 0xffff;
    } else if ((c & 0x07) === BPF_JMP) {
      masks[pc + 1 + jt[pc]] &= valid;
      masks[pc + 1 + jf[pc]] &= valid;
      valid = 0xffff;
    }
  }
  return { code, jt, jf, k, log };
}

/** A filter's instructions as struct sock_filter bytes again (a checkpoint carries them). */
export function encodeFilter(f: SeccompFilter): Uint8Array {
  const b = new Uint8Array(f.code.length * 8), dv = new DataView(b.buffer);
  for (let i = 0; i < f.code.length; i++) {
    dv.setUint16(i * 8, f.code[i], true);
    b[i * 8 + 2] = f.jt[i];
    b[i * 8 + 3] = f.jf[i];
    dv.setUint32(i * 8 + 4, f.k[i], true);
  }
  return b;
}

/**
 * The filters' scratch memory M[], shared by every run (the kernel is single-threaded and a run
 * does not call out). Left as the last run left it, as Linux leaves its stack array uninitialised:
 * checkFilter refused any program that reads a cell before writing it on some path.
 */
const scratch = new Uint32Array(BPF_MEMWORDS);

/** Runs one filter on the 16 words of seccomp_data: its 32-bit answer. */
export function runFilter(f: SeccompFilter, data: Uint32Array): number {
  let a = 0, x = 0, pc = 0;
  const mem = scratch;
  const { code, jt, jf, k } = f;
  for (;;) {
    const c = code[pc], kk = k[pc];
    switch (c) {
      case BPF_LD | BPF_W | BPF_ABS: a = data[kk >>> 2]; break;
      case BPF_LD | BPF_IMM: a = kk; break;
      case BPF_LDX | BPF_IMM: x = kk; break;
      case BPF_LD | BPF_MEM: a = mem[kk]; break;
      case BPF_LDX | BPF_MEM: x = mem[kk]; break;
      case BPF_ST: mem[kk] = a; break;
      case BPF_STX: mem[kk] = x; break;
      case BPF_RET | BPF_K: return kk;
      case BPF_RET | BPF_A: return a;
      case BPF_MISC | BPF_TAX: x = a; break;
      case BPF_MISC | BPF_TXA: a = x; break;
      case BPF_ALU | BPF_NEG: a = (-a) >>> 0; break;
      case BPF_JMP | BPF_JA: pc += kk; break;
      default: {
        const cls = c & 0x07, op = c & 0xf0, src = c & BPF_X ? x : kk;
        if (cls === BPF_ALU) {
          switch (op) {
            case BPF_ADD: a = (a + src) >>> 0; break;
            case BPF_SUB: a = (a - src) >>> 0; break;
            case BPF_MUL: a = Math.imul(a, src) >>> 0; break;
            case BPF_DIV: if (src === 0) return 0; a = Math.floor(a / src) >>> 0; break; // a zero divisor ends the program with 0
            case BPF_AND: a = (a & src) >>> 0; break;
            case BPF_OR: a = (a | src) >>> 0; break;
            case BPF_XOR: a = (a ^ src) >>> 0; break;
            case BPF_LSH: a = src >= 32 ? 0 : (a << src) >>> 0; break;
            case BPF_RSH: a = src >= 32 ? 0 : a >>> src; break;
          }
        } else {
          const taken = op === BPF_JEQ ? a === src : op === BPF_JGT ? a > src : op === BPF_JGE ? a >= src : (a & src) !== 0;
          pc += taken ? jt[pc] : jf[pc];
        }
      }
    }
    pc++;
  }
}

/** seccompData's words, refilled at each filtered call (used only until the filters have run). */
const dataWords = new Uint32Array(SECCOMP_DATA_SIZE / 4);

/** The 64 bytes of struct seccomp_data for the call being entered, as 16 little-endian words. */
function seccompData(k: Kernel, nr: number): Uint32Array {
  const regs = k.platform.exec.regs, d = dataWords;
  d[0] = nr;
  d[1] = AUDIT_ARCH_RISCV64;
  // instruction_pointer: past the ecall, as riscv's do_trap_ecall_u has advanced epc by then.
  d[2] = regs.getPCLo() >>> 0;
  d[3] = regs.getPCHi() >>> 0;
  d[4] = k.syscallA0Lo >>> 0;
  d[5] = k.syscallA0Hi >>> 0;
  for (let i = 1; i < 6; i++) {
    d[4 + 2 * i] = regs.getXLo(10 + i) >>> 0;
    d[5 + 2 * i] = regs.getXHi(10 + i) >>> 0;
  }
  return d;
}

/**
 * At system call entry of a thread in seccomp mode (__secure_computing): null to run the call,
 * or what to do instead: a return value for a0, or 'gone' when the thread or process was
 * killed, or 'trap' when SIGSYS was sent (a0 keeps the first argument: syscall_rollback).
 */
export function seccompEntry(k: Kernel, t: Task, nr: number): number | 'gone' | 'trap' | null {
  if (t.seccompMode === SECCOMP_MODE_STRICT) {
    if (STRICT_ALLOWED.has(nr)) return null;
    k.logEvent(KERN_NOTICE, `pid ${t.proc.pid} (${t.comm}): syscall ${nr} in seccomp strict mode: killed`);
    k.exitTask(t, SIGKILL);
    return 'gone';
  }
  const data = seccompData(k, nr);
  let ret = SECCOMP_RET_ALLOW, from: SeccompFilter | null = null;
  for (const f of t.seccompFilters) {
    const r = runFilter(f, data);
    // The lowest action as a signed value wins (KILL_PROCESS is negative); the newest filter on a tie.
    if (((r & SECCOMP_RET_ACTION_FULL) | 0) < ((ret & SECCOMP_RET_ACTION_FULL) | 0)) { ret = r; from = f; }
  }
  const action = (ret & SECCOMP_RET_ACTION_FULL) >>> 0, datum = ret & SECCOMP_RET_DATA;
  switch (action) {
    case SECCOMP_RET_ALLOW:
      return null;
    case SECCOMP_RET_LOG:
      k.logEvent(KERN_NOTICE, `seccomp: pid ${t.proc.pid} (${t.comm}) syscall ${nr}: logged, allowed`);
      return null;
    case SECCOMP_RET_ERRNO:
      if (from?.log) k.logEvent(KERN_NOTICE, `seccomp: pid ${t.proc.pid} (${t.comm}) syscall ${nr}: errno ${Math.min(datum, MAX_ERRNO)}`);
      return -Math.min(datum, MAX_ERRNO);
    case SECCOMP_RET_TRACE:
      return -E.ENOSYS; // no tracer: the call fails as Linux fails it then
    case SECCOMP_RET_TRAP:
      forceSignal(k, t, { signo: SIGSYS, code: SYS_SECCOMP, raw: sigsysInfo(k, nr, datum) });
      return 'trap';
    default: {
      // KILL_THREAD, KILL_PROCESS, or an action Linux does not know (treated as KILL_PROCESS).
      k.logEvent(KERN_NOTICE, `seccomp: pid ${t.proc.pid} (${t.comm}) syscall ${nr}: killed by SIGSYS`);
      if (action === SECCOMP_RET_KILL_THREAD && t.proc.tasks.size > 1) k.exitTask(t, SIGSYS);
      else k.killProcess(t.proc, SIGSYS, 'seccomp', true);
      return 'gone';
    }
  }
}

/** siginfo_t of a seccomp SIGSYS: si_errno the filter's data, _sigsys { call_addr, syscall, arch }. */
function sigsysInfo(k: Kernel, nr: number, datum: number): Uint8Array {
  const b = new Uint8Array(128), dv = new DataView(b.buffer);
  const regs = k.platform.exec.regs;
  dv.setInt32(0, SIGSYS, true);
  dv.setInt32(4, datum, true);
  dv.setInt32(8, SYS_SECCOMP, true);
  dv.setUint32(16, regs.getPCLo() >>> 0, true);
  dv.setUint32(20, regs.getPCHi() >>> 0, true);
  dv.setInt32(24, nr, true);
  dv.setUint32(28, AUDIT_ARCH_RISCV64, true);
  return b;
}

/** Whether `chain` continues `base` (TSYNC: a thread may take the caller's filters only then). */
function descends(chain: readonly SeccompFilter[], base: readonly SeccompFilter[]): boolean {
  if (base.length > chain.length) return false;
  const off = chain.length - base.length;
  return base.every((f, i) => chain[off + i] === f);
}

function setModeFilter(k: Kernel, t: Task, flags: number, progAddr: number): number {
  if (flags & ~SUPPORTED_FLAGS) return -E.EINVAL;
  // struct sock_fprog: unsigned short len; struct sock_filter *filter (at 8 on 64-bit).
  const hdr = t.proc.as.copyIn(progAddr, 16);
  const hv = new DataView(hdr.buffer, hdr.byteOffset, 16);
  const len = hv.getUint16(0, true), at = Number(hv.getBigUint64(8, true));
  if (len === 0 || len > BPF_MAXINSNS) return -E.EINVAL;
  // seccomp_prepare_filter: without no_new_privs, only a privileged caller may install one.
  if (!t.noNewPrivs && k.config.uid !== 0) return -E.EACCES;
  const f = checkFilter(t.proc.as.copyIn(at, len * 8), (flags & SECCOMP_FILTER_FLAG_LOG) !== 0);
  if (typeof f === 'number') return f;
  if (t.seccompMode !== SECCOMP_MODE_DISABLED && t.seccompMode !== SECCOMP_MODE_FILTER) return -E.EINVAL;
  // seccomp_attach_filter: the path through every filter stays bounded (4 instructions of overhead each).
  let total = f.code.length;
  for (const g of t.seccompFilters) total += g.code.length + 4;
  if (total > MAX_INSNS_PER_PATH) return -E.ENOMEM;
  const chain = [f, ...t.seccompFilters];
  if (flags & SECCOMP_FILTER_FLAG_TSYNC) {
    // seccomp_can_sync_threads: each other thread must be unfiltered or filtered by an ancestor.
    for (const o of t.proc.tasks) {
      if (o === t || o.state === 'zombie') continue;
      if (o.seccompMode === SECCOMP_MODE_STRICT || !descends(t.seccompFilters, o.seccompFilters)) {
        return flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH ? -E.ESRCH : o.tid;
      }
    }
    for (const o of t.proc.tasks) {
      if (o === t || o.state === 'zombie') continue;
      o.seccompFilters = chain;
      o.seccompMode = SECCOMP_MODE_FILTER;
      if (t.noNewPrivs) o.noNewPrivs = true;
    }
  }
  t.seccompFilters = chain;
  t.seccompMode = SECCOMP_MODE_FILTER;
  return 0;
}

function setModeStrict(t: Task): number {
  if (t.seccompMode !== SECCOMP_MODE_DISABLED && t.seccompMode !== SECCOMP_MODE_STRICT) return -E.EINVAL;
  t.seccompMode = SECCOMP_MODE_STRICT;
  return 0;
}

/** prctl's PR_GET/SET_SECCOMP and PR_GET/SET_NO_NEW_PRIVS (kernel/sys.c); null for other options. */
export function seccompPrctl(k: Kernel, t: Task, op: number, a2: bigint, a3: bigint, a4: bigint, a5: bigint): number | null {
  switch (op) {
    case PR_GET_SECCOMP:
      return t.seccompMode;
    case PR_SET_SECCOMP:
      if (a2 === BigInt(SECCOMP_MODE_STRICT)) return setModeStrict(t);
      if (a2 === BigInt(SECCOMP_MODE_FILTER)) return setModeFilter(k, t, 0, Number(BigInt.asUintN(64, a3)));
      return -E.EINVAL;
    case PR_SET_NO_NEW_PRIVS:
      if (a2 !== 1n || a3 !== 0n || a4 !== 0n || a5 !== 0n) return -E.EINVAL;
      t.noNewPrivs = true;
      return 0;
    case PR_GET_NO_NEW_PRIVS:
      if (a2 !== 0n || a3 !== 0n || a4 !== 0n || a5 !== 0n) return -E.EINVAL;
      return t.noNewPrivs ? 1 : 0;
  }
  return null;
}

// linux/prctl.h
const PR_GET_SECCOMP = 21, PR_SET_SECCOMP = 22, PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39;

export function registerSeccomp(tab: SyscallTable): void {
  tab.def('seccomp', 'dxp', (k, t, a) => {
    const op = a.u(0) >>> 0, flags = a.u(1) >>> 0, uargs = a.u(2);
    switch (op) {
      case SECCOMP_SET_MODE_STRICT:
        if (flags !== 0 || uargs !== 0) return -E.EINVAL;
        return setModeStrict(t);
      case SECCOMP_SET_MODE_FILTER:
        return setModeFilter(k, t, flags, uargs);
      case SECCOMP_GET_ACTION_AVAIL: {
        if (flags !== 0) return -E.EINVAL;
        const b = t.proc.as.copyIn(uargs, 4);
        const action = new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
        return AVAILABLE.has(action) ? 0 : -E.EOPNOTSUPP;
      }
    }
    return -E.EINVAL;
  }, 'partial');
}
