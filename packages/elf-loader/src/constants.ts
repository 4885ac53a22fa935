/*
 * ELF and auxiliary-vector constants, taken from the headers shipped with Debian's
 * riscv64 cross toolchain: /usr/riscv64-linux-gnu/include/elf.h,
 * linux/auxvec.h and asm/auxvec.h (Linux UAPI).
 */

export const EI_NIDENT = 16;
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_CURRENT = 1;

export const ET_NONE = 0;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

export const EM_RISCV = 243;

export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_GNU_STACK = 0x6474e551;
export const PT_GNU_RELRO = 0x6474e552;

export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const EF_RISCV_RVC = 0x0001;
export const EF_RISCV_FLOAT_ABI = 0x0006;
export const EF_RISCV_FLOAT_ABI_SOFT = 0x0000;
export const EF_RISCV_FLOAT_ABI_SINGLE = 0x0002;
export const EF_RISCV_FLOAT_ABI_DOUBLE = 0x0004;
export const EF_RISCV_FLOAT_ABI_QUAD = 0x0006;
export const EF_RISCV_RVE = 0x0008;

export const ELF64_EHDR_SIZE = 64;
export const ELF64_PHDR_SIZE = 56;

export const AT_NULL = 0;
export const AT_IGNORE = 1;
export const AT_EXECFD = 2;
export const AT_PHDR = 3;
export const AT_PHENT = 4;
export const AT_PHNUM = 5;
export const AT_PAGESZ = 6;
export const AT_BASE = 7;
export const AT_FLAGS = 8;
export const AT_ENTRY = 9;
export const AT_NOTELF = 10;
export const AT_UID = 11;
export const AT_EUID = 12;
export const AT_GID = 13;
export const AT_EGID = 14;
export const AT_PLATFORM = 15;
export const AT_HWCAP = 16;
export const AT_CLKTCK = 17;
export const AT_SECURE = 23;
export const AT_BASE_PLATFORM = 24;
export const AT_RANDOM = 25;
export const AT_HWCAP2 = 26;
export const AT_EXECFN = 31;
export const AT_SYSINFO_EHDR = 33;
export const AT_MINSIGSTKSZ = 51;

export const PAGE_SIZE = 4096;

/** Sv39 user half: TASK_SIZE = PGDIR_SIZE * PTRS_PER_PGD / 2 = 2^38 (arch/riscv/include/asm/pgtable.h). */
export const TASK_SIZE_SV39 = 2 ** 38;

/** arch/riscv/include/asm/elf.h: ELF_ET_DYN_BASE = (TASK_SIZE / 3) * 2, integer arithmetic. */
export const ELF_ET_DYN_BASE = Math.floor(TASK_SIZE_SV39 / 3) * 2;

/**
 * AT_HWCAP on riscv: one bit per single-letter extension, 1 << (letter - 'a')
 * (arch/riscv/kernel/cpufeature.c riscv_fill_hwcap). rv64gc = i, m, a, f, d, c.
 */
export function hwcapFromIsa(letters: string): number {
  let v = 0;
  for (const ch of letters.toLowerCase()) {
    const bit = ch.charCodeAt(0) - 97;
    if (bit < 0 || bit >= 26) throw new RangeError(`not a single-letter extension: ${ch}`);
    v |= 1 << bit;
  }
  return v >>> 0;
}
export const HWCAP_RV64GC = hwcapFromIsa('imafdc');

/**
 * AT_MINSIGSTKSZ: arch/riscv/kernel/signal.c init_rt_signal_env sets
 * signal_minsigstksz = round_up(sizeof(struct rt_sigframe), 16) when the hart has no
 * vector unit. rt_sigframe = siginfo (128) + ucontext (aligned 16), where ucontext =
 * uc_flags 8 + uc_link 8 + stack_t 24 + sigset_t 8 + __unused 120 + pad to 16 (176)
 * + sigcontext (user_regs_struct 256 + union __riscv_fp_state 528) = 960.
 * 128 + 960 = 1088 (sizes checked with riscv64-linux-gnu-gcc against asm/sigcontext.h).
 */
export const RISCV_MINSIGSTKSZ = 1088;

/** include/uapi/linux/binfmts.h: MAX_ARG_STRLEN = PAGE_SIZE * 32. */
export const MAX_ARG_STRLEN = PAGE_SIZE * 32;
