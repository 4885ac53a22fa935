/**
 * Why an executable was refused. exitStatus follows the shell convention
 * (POSIX XCU 2.8.2): 126 = found but cannot be executed (bad format, ENOEXEC);
 * 127 = not found (raised by the caller that looks the file up, not by the parser).
 */
export type ElfErrorReason =
  | 'truncated'
  | 'not-elf'
  | 'class'
  | 'endianness'
  | 'version'
  | 'machine'
  | 'type'
  | 'dynamic'
  | 'phdr'
  | 'segment-range'
  | 'filesz'
  | 'overlap'
  | 'too-large'
  | 'address'
  | 'align'
  | 'no-load'
  | 'entry';

export class ElfError extends Error {
  readonly reason: ElfErrorReason;
  readonly exitStatus: number;
  constructor(reason: ElfErrorReason, message: string, exitStatus = 126) {
    super(message);
    this.name = 'ElfError';
    this.reason = reason;
    this.exitStatus = exitStatus;
  }
}

/** execve's E2BIG: argument or environment strings too long (fs/exec.c). */
export class ArgListTooLongError extends Error {
  readonly errno = 7; // E2BIG
  constructor(message: string) {
    super(message);
    this.name = 'ArgListTooLongError';
  }
}
