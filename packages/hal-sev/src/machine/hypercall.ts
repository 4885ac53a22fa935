/**
 * TEE OS hypercalls over the GHCB: the Linux-shaped host calls of the HAL (in the spirit of
 * Keystone's edge calls), carried by a VMGEXIT with an exit code of our own.
 *
 * SVM_VMGEXIT_TEEOS_HYPERCALL = 0x8000_F0E0 is a TEE OS extension: the GHCB specification (56421)
 * assigns no such exit code; the value lies in the VMGEXIT range 0x8000_xxxx away from every
 * code the specification defines (0x8000_0001..0x8000_0020, 0x8000_FFFD..0x8000_FFFF).
 *
 * The guest writes a request into the shared I/O buffer (a shared page range, see protocol.ts),
 * then sets in the GHCB (clearing the valid bitmap first, vc_ghcb_invalidate):
 *   sw_exit_code   = SVM_VMGEXIT_TEEOS_HYPERCALL
 *   sw_exit_info_1 = op                         (must equal the request's op)
 *   sw_exit_info_2 = request bytes              (0x40 + the data the request carries)
 *   sw_scratch     = GPA of the request         (inside the shared I/O buffer)
 * marks those four valid and executes VMGEXIT. The hypervisor answers with
 *   sw_exit_info_1 = 0 when it served the call, 1 when it refused it (bounds, op, state),
 *   RAX            = the syscall-style return value (i64; negative errno), marked valid,
 * and the out fields of the request. The guest believes nothing outside the bounds it set.
 *
 * struct teeos_hypercall (little-endian), at sw_scratch:
 *   u32 op        @0x00   TEEOS_HC_*
 *   u32 rsvd      @0x04   0
 *   i64 arg0      @0x08   fd | clock id (0 realtime, 1 monotonic) | wait status (EXIT)
 *   u64 arg1      @0x10   WRITE/CONSOLE: bytes in data[]; READ: bytes wanted
 *   u64 out_len   @0x18   host: bytes it put in data[] (READ, FSTAT 128, TCGETS 36)
 *   i64 out0      @0x20   host: WINSIZE rows | CLOCK sec
 *   i64 out1      @0x28   host: WINSIZE cols | CLOCK nsec
 *   u8  rsvd[16]  @0x30
 *   u8  data[]    @0x40   request payload (WRITE, CONSOLE) or reply payload (READ, FSTAT, TCGETS)
 */
export const SVM_VMGEXIT_TEEOS_HYPERCALL = 0x8000_f0e0n;

export const TEEOS_HC_WRITE = 1;
export const TEEOS_HC_READ = 2;
export const TEEOS_HC_FSTAT = 3;
export const TEEOS_HC_TCGETS = 4;
export const TEEOS_HC_WINSIZE = 5;
export const TEEOS_HC_CLOCK = 6;
/** Diagnostic lines from the guest kernel for the operator. */
export const TEEOS_HC_CONSOLE = 7;
/** The guest's last word: arg0 is the wait status (Linux encoding) or -1 for a kernel panic. */
export const TEEOS_HC_EXIT = 8;
/**
 * Host file calls (HostFileRequest in @teeos/hal): a Linux file syscall by number. For this op
 * the fields are used as: arg0 = the syscall number, arg1 = input bytes in data[], out_len = the
 * room for output (guest) / the bytes the host wrote (host, at most the room), and the
 * syscall's four integer arguments at @0x20, @0x28, @0x30, @0x38 (i64). The host writes the
 * output over data[] from data[0], after reading the input.
 */
export const TEEOS_HC_FS = 9;
export const HC_FS_ARGS = 0x20;
/** TCSETS family: arg0 = fd, arg1 = action (0 TCSETS, 1 TCSETSW, 2 TCSETSF), data[] = struct termios (36). */
export const TEEOS_HC_TCSETS = 10;

export const HC_OP = 0x00;
export const HC_ARG0 = 0x08;
export const HC_ARG1 = 0x10;
export const HC_OUT_LEN = 0x18;
export const HC_OUT0 = 0x20;
export const HC_OUT1 = 0x28;
export const HC_DATA = 0x40;

export const STAT_SIZE = 128;
export const TERMIOS_SIZE = 36;

/** TERM reason set for TEE OS (GHCB MSR protocol TERM, reason set 0xE: not assigned by the spec). */
export const SEV_TERM_SET_TEEOS = 0xe;
export const TEEOS_TERM_PANIC = 1;
