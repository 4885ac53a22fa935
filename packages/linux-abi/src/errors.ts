/**
 * Kernel errors. Handlers return a negative errno; code deep inside the kernel (user
 * memory access, path lookup) throws SysError and the syscall dispatcher turns it into
 * -errno, so a wild guest pointer can never become an exception that escapes the kernel.
 */
import { E, ERRNO_NAMES } from './generated/errno.ts';

export { E, ERRNO_NAMES };

export class SysError extends Error {
  constructor(readonly errno: number, detail?: string) {
    super(`${ERRNO_NAMES.get(errno) ?? `errno ${errno}`}${detail ? `: ${detail}` : ''}`);
  }
}

export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? String(errno);
}
