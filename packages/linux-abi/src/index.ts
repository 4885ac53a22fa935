export { Kernel, buildSyscallTable, type KernelConfig } from './kernel.ts';
export type { FrameAllocator } from './mm/frames.ts';
export { SyscallTable, type SyscallDef } from './syscalls/table.ts';
export { SYS, SYSCALL_NAMES } from './generated/syscall-numbers.ts';
export { E, ERRNO_NAMES } from './generated/errno.ts';
