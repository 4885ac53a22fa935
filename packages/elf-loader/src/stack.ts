/*
 * The initial user stack of a new process, byte for byte as Linux lays it out for
 * riscv64 without ASLR: fs/exec.c (bprm_mm_init: the top 8 bytes stay zero;
 * do_execveat_common: copy_string_kernel(filename), then copy_strings(envp), then
 * copy_strings(argv), each copied last string first so index 0 ends lowest) and
 * fs/binfmt_elf.c create_elf_tables (arch_align_stack = sp & ~15 on riscv,
 * arch/riscv/kernel/process.c; no AT_PLATFORM since riscv's ELF_PLATFORM is NULL;
 * 16 random bytes; auxv in create_elf_tables order with ARCH_DLINFO first;
 * sp = STACK_ROUND(p - auxv - (argc+1) - (envc+1) - 1 words) = 16-byte aligned).
 *
 *   stackTop-8 .. stackTop      8 zero bytes
 *   execfn string               (AT_EXECFN)
 *   envp strings                envp[0] lowest
 *   argv strings                argv[0] lowest (arg_start)
 *   [align down to 16]
 *   [platform string]           only if opts.platform (riscv Linux: never)
 *   16 AT_RANDOM bytes
 *   [padding to 16]
 *   auxv pairs ... AT_NULL 0
 *   NULL, envp pointers
 *   NULL, argv pointers
 *   argc                        <- sp
 *
 * auxv omits AT_SYSINFO_EHDR (no vDSO) and the riscv cache-geometry entries
 * (AT_L1I_CACHESIZE..AT_L3_CACHEGEOMETRY, 0 = unknown on Linux too), and the
 * AT_RSEQ_* entries of Linux >= 6.3 (no rseq). AT_MINSIGSTKSZ is the riscv value.
 */
import {
  AT_BASE, AT_BASE_PLATFORM, AT_IGNORE, AT_CLKTCK, AT_EGID, AT_ENTRY, AT_EUID, AT_EXECFN, AT_FLAGS, AT_GID, AT_HWCAP,
  AT_MINSIGSTKSZ, AT_NULL, AT_PAGESZ, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PLATFORM, AT_RANDOM, AT_SECURE,
  AT_SYSINFO_EHDR, AT_UID, ELF64_PHDR_SIZE, HWCAP_RV64GC, MAX_ARG_STRLEN, PAGE_SIZE, RISCV_MINSIGSTKSZ,
} from './constants.ts';
import { ArgListTooLongError } from './errors.ts';
import type { ElfImage } from './parse.ts';

export type StackString = string | Uint8Array;

export interface InitialStackOptions {
  image: ElfImage;
  /** defaults to image.loadBias */
  bias?: number;
  argv: StackString[];
  envp: StackString[];
  /** the path given to execve (AT_EXECFN); usually argv[0] */
  execfn: StackString;
  /** exactly 16 bytes for AT_RANDOM */
  random: Uint8Array;
  /** exclusive top of the stack mapping (Linux: STACK_TOP = TASK_SIZE without ASLR) */
  stackTop: number;
  uid?: number;
  euid?: number;
  gid?: number;
  egid?: number;
  secure?: boolean;
  hwcap?: number;
  pageSize?: number;
  clockTicks?: number;
  /** AT_MINSIGSTKSZ; null emits AT_IGNORE as Linux does when it has no value */
  minSigStkSz?: number | null;
  /** AT_PLATFORM string; riscv Linux has none */
  platform?: StackString | null;
  /** AT_SYSINFO_EHDR (vDSO base); omitted when null */
  sysinfoEhdr?: number | null;
  /** AT_BASE (interpreter base); 0 without an interpreter */
  interpBase?: number;
  /** most bytes the strings and pointers may take (Linux: RLIMIT_STACK / 4); default 2 MiB */
  argMax?: number;
}

export interface InitialStack {
  /** bytes to copy to [stackTop - image.length, stackTop) */
  image: Uint8Array;
  /** initial sp (address of argc) */
  sp: number;
  /** lowest address of image (== sp) */
  base: number;
  argvPtr: number;
  envpPtr: number;
  auxvPtr: number;
  /** mm->arg_start/arg_end/env_start/env_end, for /proc/self/cmdline and environ */
  argStart: number;
  argEnd: number;
  envStart: number;
  envEnd: number;
  execfnAddr: number;
  randomAddr: number;
  platformAddr: number | null;
  /** the auxv as written, [type, value] pairs without the final AT_NULL */
  auxv: Array<[number, number]>;
}

const enc = new TextEncoder();

function toBytes(s: StackString, what: string): Uint8Array {
  const b = typeof s === 'string' ? enc.encode(s) : s;
  if (b.includes(0)) throw new RangeError(`${what} contains a NUL byte`);
  if (b.length + 1 > MAX_ARG_STRLEN) throw new ArgListTooLongError(`${what} is longer than MAX_ARG_STRLEN (${MAX_ARG_STRLEN})`);
  return b;
}

function checkWord(v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} must be a non-negative safe integer, got ${v}`);
}

export function buildInitialStack(opts: InitialStackOptions): InitialStack {
  const { image, stackTop } = opts;
  const bias = opts.bias ?? image.loadBias;
  if (opts.random.length !== 16) throw new RangeError(`AT_RANDOM needs 16 bytes, got ${opts.random.length}`);
  checkWord(stackTop, 'stackTop');
  if (stackTop % 16 !== 0) throw new RangeError('stackTop must be 16-byte aligned');
  const argv = opts.argv.map((s, i) => toBytes(s, `argv[${i}]`));
  const envp = opts.envp.map((s, i) => toBytes(s, `envp[${i}]`));
  const execfn = toBytes(opts.execfn, 'execfn');
  const platform = opts.platform != null ? toBytes(opts.platform, 'platform') : null;

  // Addresses are computed first (downwards from stackTop), then the bytes are written.
  let p = stackTop - 8;
  p -= execfn.length + 1;
  const execfnAddr = p;
  const envAddrs: number[] = new Array(envp.length);
  for (let i = envp.length - 1; i >= 0; i--) { p -= envp[i]!.length + 1; envAddrs[i] = p; }
  const envStart = envp.length ? envAddrs[0]! : p;
  const argAddrs: number[] = new Array(argv.length);
  for (let i = argv.length - 1; i >= 0; i--) { p -= argv[i]!.length + 1; argAddrs[i] = p; }
  const argStart = argv.length ? argAddrs[0]! : p;
  const argEnd = envStart;
  const envEnd = execfnAddr;

  p -= p % 16; // arch_align_stack without randomization
  let platformAddr: number | null = null;
  if (platform) { p -= platform.length + 1; platformAddr = p; }
  p -= 16;
  const randomAddr = p;

  const auxv: Array<[number, number]> = [];
  const aux = (t: number, v: number, what: string): void => { checkWord(v, what); auxv.push([t, v]); };
  // ARCH_DLINFO (arch/riscv/include/asm/elf.h) comes first.
  if (opts.sysinfoEhdr != null) aux(AT_SYSINFO_EHDR, opts.sysinfoEhdr, 'sysinfoEhdr');
  const mss = opts.minSigStkSz === undefined ? RISCV_MINSIGSTKSZ : opts.minSigStkSz;
  if (mss) aux(AT_MINSIGSTKSZ, mss, 'minSigStkSz');
  else aux(AT_IGNORE, 0, 'AT_IGNORE');
  aux(AT_HWCAP, opts.hwcap ?? HWCAP_RV64GC, 'hwcap');
  aux(AT_PAGESZ, opts.pageSize ?? PAGE_SIZE, 'pageSize');
  aux(AT_CLKTCK, opts.clockTicks ?? 100, 'clockTicks');
  aux(AT_PHDR, bias + image.phdrVaddr, 'AT_PHDR');
  aux(AT_PHENT, ELF64_PHDR_SIZE, 'AT_PHENT');
  aux(AT_PHNUM, image.phnum, 'AT_PHNUM');
  aux(AT_BASE, opts.interpBase ?? 0, 'interpBase');
  aux(AT_FLAGS, 0, 'AT_FLAGS');
  aux(AT_ENTRY, bias + image.entry, 'AT_ENTRY');
  const uid = opts.uid ?? 0;
  const gid = opts.gid ?? 0;
  aux(AT_UID, uid, 'uid');
  aux(AT_EUID, opts.euid ?? uid, 'euid');
  aux(AT_GID, gid, 'gid');
  aux(AT_EGID, opts.egid ?? gid, 'egid');
  aux(AT_SECURE, opts.secure ? 1 : 0, 'secure');
  aux(AT_RANDOM, randomAddr, 'AT_RANDOM');
  aux(AT_EXECFN, execfnAddr, 'AT_EXECFN');
  if (platformAddr !== null) aux(AT_PLATFORM, platformAddr, 'AT_PLATFORM');
  void AT_BASE_PLATFORM; // riscv has no ELF_BASE_PLATFORM

  const auxWords = (auxv.length + 1) * 2;
  const items = (argv.length + 1) + (envp.length + 1) + 1;
  let sp = p - auxWords * 8; // STACK_ADD(p, ei_index)
  sp = sp - items * 8;
  sp -= ((sp % 16) + 16) % 16; // STACK_ROUND: & ~15
  if (stackTop - sp > (opts.argMax ?? 2 * 1024 * 1024)) {
    throw new ArgListTooLongError(`argument list too long: ${stackTop - sp} bytes of initial stack`);
  }
  if (sp < 0) throw new RangeError('initial stack does not fit below stackTop');

  const size = stackTop - sp;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  const at = (addr: number): number => addr - sp;
  const putWord = (addr: number, v: number): void => {
    view.setUint32(at(addr), v % 0x1_0000_0000, true);
    view.setUint32(at(addr) + 4, Math.floor(v / 0x1_0000_0000), true);
  };
  out.set(execfn, at(execfnAddr));
  envp.forEach((b, i) => out.set(b, at(envAddrs[i]!)));
  argv.forEach((b, i) => out.set(b, at(argAddrs[i]!)));
  if (platform && platformAddr !== null) out.set(platform, at(platformAddr));
  out.set(opts.random, at(randomAddr));

  let w = sp;
  putWord(w, argv.length); w += 8;
  const argvPtr = w;
  for (const a of argAddrs) { putWord(w, a); w += 8; }
  putWord(w, 0); w += 8;
  const envpPtr = w;
  for (const e of envAddrs) { putWord(w, e); w += 8; }
  putWord(w, 0); w += 8;
  const auxvPtr = w;
  for (const [t, v] of auxv) { putWord(w, t); putWord(w + 8, v); w += 16; }
  putWord(w, AT_NULL); putWord(w + 8, 0);

  return {
    image: out, sp, base: sp, argvPtr, envpPtr, auxvPtr, argStart, argEnd, envStart, envEnd,
    execfnAddr, randomAddr, platformAddr, auxv,
  };
}
