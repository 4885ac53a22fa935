/**
 * Loading a program into a fresh address space, as fs/binfmt_elf.c load_elf_binary does:
 * map the PT_LOAD segments (file bytes, zeroed bss), set the program break, map the
 * stack and lay argv, envp and auxv on it, then point the hart at the entry.
 */
import { parseElf, loadPlan, buildInitialStack } from '@teeos/elf-loader';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from './abi/constants.ts';
import { PAGE_SIZE } from './mm/frames.ts';
import { SYS } from './generated/syscall-numbers.ts';
import { nameToBytes } from './fs/names.ts';
import type { Kernel } from './kernel.ts';
import { ExecutableBytes } from './mm/address-space.ts';
import type { Task } from './task.ts';

/** The top of the user stack: the end of the Sv39 user half, as Linux's STACK_TOP (no ASLR). */
export const STACK_TOP = 2 ** 38;
/** RLIMIT_STACK's default; the stack VMA is this large and demand paged. */
export const STACK_SIZE = 8 << 20;
/** Gap between the stack and the mmap area (Linux's stack guard gap plus room to grow). */
const MMAP_GAP = 128 << 20;

/** An executable execve found: its bytes, /proc/PID/exe's target, and where another enclave finds the same bytes (ExecutableBytes.source). */
export interface Executable { bytes: Uint8Array; exePath: string; source?: string }

export function loadProgram(k: Kernel, task: Task, file: Uint8Array | ExecutableBytes, argv: string[], envp: string[], execPath: string): void {
  const as = task.proc.as;
  const exe = file instanceof ExecutableBytes ? file : new ExecutableBytes(null, file);
  const image = parseElf(exe.bytes, { memoryLimit: k.platform.memory.free.size });
  const plan = loadPlan(image, image.loadBias);
  const mem = k.platform.memory.bytes;

  // The segments are mapped, not copied: each page is filled from the executable on first touch
  // (as binfmt_elf's MAP_PRIVATE file mappings are), so an execve costs the pages the program uses.
  for (const m of plan.mappings) {
    const prot = (m.prot.read ? PROT_READ : 0) | (m.prot.write ? PROT_WRITE : 0) | (m.prot.exec ? PROT_EXEC : 0);
    as.unmapRange(m.start, m.end); // a later segment sharing a page replaces it (MAP_FIXED)
    const delta = m.start - m.fileOffset;
    as.insert({
      start: m.start, end: m.end, prot, name: execPath,
      image: { exe, delta, fileLimit: m.fileOffset + m.fileBytes, zeroFrom: m.zeroStart - delta, zeroTo: m.zeroEnd - delta },
    });
  }
  as.brkStart = as.brk = plan.brk;

  // The stack goes at the top of user space: Sv39's user half, or the platform's fixed range.
  const ur = k.platform.memory.userRange;
  const top = ur ? ur.base + ur.size : STACK_TOP;
  as.insert({ start: top - STACK_SIZE, end: top, prot: PROT_READ | PROT_WRITE | (image.executableStack ? PROT_EXEC : 0), name: '[stack]', growsDown: true });
  as.mmapBase = top - STACK_SIZE - (ur ? Math.min(MMAP_GAP, ur.size / 16) : MMAP_GAP);

  // [vdso]: riscv64 signal handlers return through __vdso_rt_sigreturn (no SA_RESTORER).
  // The page holds just that trampoline: li a7, __NR_rt_sigreturn; ecall.
  const vdso = as.findFree(PAGE_SIZE, 0);
  as.insert({ start: vdso, end: vdso + PAGE_SIZE, prot: PROT_READ | PROT_EXEC, name: '[vdso]' });
  const voff = as.populate(vdso, 0);
  const tramp = new DataView(mem.buffer, mem.byteOffset + voff, 8);
  tramp.setUint32(0, 0x00000893 | (SYS.rt_sigreturn << 20), true); // addi a7, x0, 139
  tramp.setUint32(4, 0x00000073, true); // ecall
  task.proc.vdsoSigreturn = vdso;

  const random = new Uint8Array(16);
  k.platform.random(random);
  const stack = buildInitialStack({
    // Bytes, as execve copied them: names.ts escapes keep what is not valid UTF-8.
    argv: argv.map(nameToBytes), envp: envp.map(nameToBytes), execfn: nameToBytes(execPath), random, stackTop: top, image, bias: plan.bias,
    uid: k.config.uid, euid: k.config.uid, gid: k.config.gid, egid: k.config.gid, secure: false,
  });
  as.copyOut(stack.base, stack.image);
  task.proc.argStart = stack.argStart;
  task.proc.argEnd = stack.argEnd;
  task.proc.envStart = stack.envStart;
  task.proc.envEnd = stack.envEnd;

  const regs = k.platform.exec.regs;
  for (let i = 1; i < 32; i++) regs.setXParts(i, 0, 0);
  for (let i = 0; i < 32; i++) regs.setF(i, 0n);
  regs.setFcsr(0);
  regs.setX(2, BigInt(stack.sp));
  regs.setPC(BigInt(plan.entry));
  k.platform.exec.codeWritten(0, Number.MAX_SAFE_INTEGER);
}
