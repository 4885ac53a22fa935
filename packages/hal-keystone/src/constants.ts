/**
 * Keystone constants, named as in keystone-enclave/keystone:
 * sdk/include/shared/sm_call.h (SBI extension and function ids), sdk/include/edge/edge_common.h
 * (edge call status codes), sdk/include/shared/eyrie_call.h (runtime calls).
 */

// sm_call.h
export const SBI_EXT_EXPERIMENTAL_KEYSTONE_ENCLAVE = 0x08424b45;
export const SBI_SM_CREATE_ENCLAVE = 2001;
export const SBI_SM_DESTROY_ENCLAVE = 2002;
export const SBI_SM_RUN_ENCLAVE = 2003;
export const SBI_SM_RESUME_ENCLAVE = 2005;
export const SBI_SM_RANDOM = 3001;
export const SBI_SM_ATTEST_ENCLAVE = 3002;
export const SBI_SM_GET_SEALING_KEY = 3003;
export const SBI_SM_STOP_ENCLAVE = 3004;
export const SBI_SM_EXIT_ENCLAVE = 3006;

// Reasons for SBI_SM_STOP_ENCLAVE (sm/src/enclave.h)
export const STOP_TIMER_INTERRUPT = 0;
export const STOP_EDGE_CALL_HOST = 1;
export const STOP_EXIT_ENCLAVE = 2;

// edge_common.h
export const CALL_STATUS_OK = 0;
export const CALL_STATUS_BAD_CALL_ID = 1;
export const CALL_STATUS_BAD_OFFSET = 2;
export const CALL_STATUS_BAD_PTR = 3;
export const CALL_STATUS_ERROR = 4;
export const CALL_STATUS_SYSCALL_FAILED = 5;
export const MAX_EDGE_CALL = 10;
/** edge_syscall.h: proxied syscalls use this call id. */
export const EDGECALL_SYSCALL = MAX_EDGE_CALL + 1;
/**
 * TEE OS extension: diagnostic console lines from the enclave kernel (Eyrie prints these
 * through the SM's debug console; we carry them on the edge channel to keep their order
 * with the program's own output).
 */
export const EDGECALL_CONSOLE = MAX_EDGE_CALL + 2;

/** sizeof(struct edge_call): call_id, call_arg_offset, call_arg_size, and return_data{status, offset, size}. */
export const EDGE_CALL_SIZE = 48;

// Linux riscv64 syscall numbers the host side serves (asm-generic/unistd.h).
export const SYS_ioctl = 29;
export const SYS_read = 63;
export const SYS_write = 64;
export const SYS_fstat = 80;
export const SYS_clock_gettime = 113;

// ioctl requests carried by the SYS_ioctl extension (asm-generic/ioctls.h)
export const TCGETS = 0x5401;
export const TIOCGWINSZ = 0x5413;

/** struct stat (asm-generic) and struct termios sizes on riscv64. */
export const STAT_SIZE = 128;
export const TERMIOS_SIZE = 36;
export const WINSIZE_SIZE = 8;
