// Architectural constants, named as the RISC-V Privileged ISA (20211203) names them:
// CSR addresses (ch. 2.2, table 2.2-2.5), mstatus fields (3.1.6), exception and
// interrupt codes (3.1.15, table 3.6), PTE bits (4.3.1, 4.4.1), pmpcfg fields (3.7.1).

/** Privilege levels (encoding of mstatus.MPP). */
export enum Priv {
  U = 0,
  S = 1,
  M = 3,
}

// run() results
export const STOP_TRAP = 1;
export const STOP_BUDGET = 2;
export const STOP_WFI = 3;

// HartState layout (bytes): x[0..31] i64 at 0, f[0..31] at 256, pc at 512, then private.
export const STATE_X = 0;
export const STATE_F = 256;
export const STATE_PC = 512;
/** Scratch i64 slot that instructions with rd = x0 write to, so x0 stays zero. */
export const STATE_XZERO_SINK = 520;
/** fflags and frm (i32 each): in the HartState so translated code reads and accrues them without a call. */
export const STATE_FFLAGS = 528;
export const STATE_FRM = 532;
export const HART_STATE_SIZE = 536;

// --- CSR addresses ---
export const CSR_FFLAGS = 0x001;
export const CSR_FRM = 0x002;
export const CSR_FCSR = 0x003;
export const CSR_CYCLE = 0xc00;
export const CSR_TIME = 0xc01;
export const CSR_INSTRET = 0xc02;
export const CSR_SSTATUS = 0x100;
export const CSR_SIE = 0x104;
export const CSR_STVEC = 0x105;
export const CSR_SCOUNTEREN = 0x106;
export const CSR_SSCRATCH = 0x140;
export const CSR_SEPC = 0x141;
export const CSR_SCAUSE = 0x142;
export const CSR_STVAL = 0x143;
export const CSR_SIP = 0x144;
export const CSR_SATP = 0x180;
export const CSR_MVENDORID = 0xf11;
export const CSR_MARCHID = 0xf12;
export const CSR_MIMPID = 0xf13;
export const CSR_MHARTID = 0xf14;
export const CSR_MCONFIGPTR = 0xf15;
export const CSR_MSTATUS = 0x300;
export const CSR_MISA = 0x301;
export const CSR_MEDELEG = 0x302;
export const CSR_MIDELEG = 0x303;
export const CSR_MIE = 0x304;
export const CSR_MTVEC = 0x305;
export const CSR_MCOUNTEREN = 0x306;
export const CSR_MSCRATCH = 0x340;
export const CSR_MEPC = 0x341;
export const CSR_MCAUSE = 0x342;
export const CSR_MTVAL = 0x343;
export const CSR_MIP = 0x344;
export const CSR_PMPCFG0 = 0x3a0;
export const CSR_PMPCFG2 = 0x3a2;
export const CSR_PMPADDR0 = 0x3b0;
export const CSR_MCYCLE = 0xb00;
export const CSR_MINSTRET = 0xb02;

// --- mstatus (low word; all writable fields live in bits 0..22) ---
export const MSTATUS_SIE = 1 << 1;
export const MSTATUS_MIE = 1 << 3;
export const MSTATUS_SPIE = 1 << 5;
export const MSTATUS_MPIE = 1 << 7;
export const MSTATUS_SPP = 1 << 8;
export const MSTATUS_MPP_SHIFT = 11;
export const MSTATUS_MPP = 3 << 11;
export const MSTATUS_FS_SHIFT = 13;
export const MSTATUS_FS = 3 << 13;
export const MSTATUS_MPRV = 1 << 17;
export const MSTATUS_SUM = 1 << 18;
export const MSTATUS_MXR = 1 << 19;
export const MSTATUS_TVM = 1 << 20;
export const MSTATUS_TW = 1 << 21;
export const MSTATUS_TSR = 1 << 22;
/** High word: UXL = SXL = 2 (64-bit), read-only. SD is bit 63 (hi bit 31), computed. */
export const MSTATUS_HI_XL = 0xa;
export const MSTATUS_HI_SD = 1 << 31;
export const FS_OFF = 0;
export const FS_INITIAL = 1;
export const FS_CLEAN = 2;
export const FS_DIRTY = 3;
/** Fields of mstatus writable through mstatus. */
export const MSTATUS_WMASK =
  MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP |
  MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR;
/** Fields visible and writable through sstatus (3.1.6 / 4.1.1). */
export const SSTATUS_MASK = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR;

// --- interrupts (mip/mie bit numbers = interrupt cause codes) ---
export const IRQ_S_SOFT = 1;
export const IRQ_M_SOFT = 3;
export const IRQ_S_TIMER = 5;
export const IRQ_M_TIMER = 7;
export const IRQ_S_EXT = 9;
export const IRQ_M_EXT = 11;
export const MIP_SSIP = 1 << IRQ_S_SOFT;
export const MIP_MSIP = 1 << IRQ_M_SOFT;
export const MIP_STIP = 1 << IRQ_S_TIMER;
export const MIP_MTIP = 1 << IRQ_M_TIMER;
export const MIP_SEIP = 1 << IRQ_S_EXT;
export const MIP_MEIP = 1 << IRQ_M_EXT;
export const S_INTERRUPTS = MIP_SSIP | MIP_STIP | MIP_SEIP;
export const ALL_INTERRUPTS = S_INTERRUPTS | MIP_MSIP | MIP_MTIP | MIP_MEIP;
/** mip bits writable by a CSR write (M-mode software); MSIP/MTIP/MEIP come from devices. */
export const MIP_WMASK = S_INTERRUPTS;

// --- exception causes (mcause with interrupt bit clear) ---
export const CAUSE_MISALIGNED_FETCH = 0;
export const CAUSE_FETCH_ACCESS = 1;
export const CAUSE_ILLEGAL_INSTRUCTION = 2;
export const CAUSE_BREAKPOINT = 3;
export const CAUSE_MISALIGNED_LOAD = 4;
export const CAUSE_LOAD_ACCESS = 5;
export const CAUSE_MISALIGNED_STORE = 6;
export const CAUSE_STORE_ACCESS = 7;
export const CAUSE_USER_ECALL = 8;
export const CAUSE_SUPERVISOR_ECALL = 9;
export const CAUSE_MACHINE_ECALL = 11;
export const CAUSE_FETCH_PAGE_FAULT = 12;
export const CAUSE_LOAD_PAGE_FAULT = 13;
export const CAUSE_STORE_PAGE_FAULT = 15;
/** medeleg bits that can be set: every defined exception except ecall from M. */
export const MEDELEG_MASK = 0xb3ff;
/** mideleg: the supervisor interrupts. */
export const MIDELEG_MASK = S_INTERRUPTS;

// misa: MXL = 2 (hi bits 31:30), extensions A C D F I M S U.
export const MISA_LO =
  (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);
export const MISA_HI = 2 << 30;

// satp (RV64): MODE bits 63:60, ASID 59:44, PPN 43:0
export const SATP_MODE_BARE = 0;
export const SATP_MODE_SV39 = 8;

// PTE bits (4.3.1, 4.4.1)
export const PTE_V = 1 << 0;
export const PTE_R = 1 << 1;
export const PTE_W = 1 << 2;
export const PTE_X = 1 << 3;
export const PTE_U = 1 << 4;
export const PTE_G = 1 << 5;
export const PTE_A = 1 << 6;
export const PTE_D = 1 << 7;

// pmpcfg fields (3.7.1)
export const PMP_R = 1 << 0;
export const PMP_W = 1 << 1;
export const PMP_X = 1 << 2;
export const PMP_A_SHIFT = 3;
export const PMP_A = 3 << 3;
export const PMP_L = 1 << 7;
export const PMP_A_OFF = 0;
export const PMP_A_TOR = 1;
export const PMP_A_NA4 = 2;
export const PMP_A_NAPOT = 3;
export const PMP_COUNT = 16;

// Memory access kinds (PMP permission bit positions and translation checks).
export const ACCESS_READ = 0;
export const ACCESS_WRITE = 1;
export const ACCESS_EXEC = 2;

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;

/** Thrown (a plain object, not an Error: no stack capture) when an instruction raises an exception. */
export const TRAP = { trap: true };

// Load kinds for the slow load path.
export const LK_B = 0, LK_H = 1, LK_W = 2, LK_D = 3, LK_BU = 4, LK_HU = 5, LK_WU = 6, LK_FW = 7;
