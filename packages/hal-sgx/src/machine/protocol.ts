/**
 * The Intel SGX model's host <-> machine interface, the enclave's layout and the OCALL frame.
 *
 * What the SGX driver does with ENCLS (ECREATE, EADD, EEXTEND, EINIT; SGX2 EAUG, EMODPR, EMODT,
 * EREMOVE) and the untrusted runtime with ENCLU (EENTER, ERESUME) is carried by postMessage while
 * the enclave is being built, and by a control block (a small SharedArrayBuffer: the "registers"
 * of EEXIT/EENTER/AEX and the ENCLS leaves the host issues while the enclave thread is outside)
 * once it runs. The EPC is a WebAssembly.Memory created by the machine and never shared.
 *
 * ---- the enclave's linear layout (ELRANGE; SECS.BASEADDR = 0, SECS.SIZE = ELRANGE_SIZE) ----
 *   0 .. RT_BASE           user range: pages the kernel commits with SGX2 (EAUG + EACCEPT), as
 *                          the program needs them; the app is linked at 0x10000, the stack at the top
 *   RT_BASE + 0            the config page (REG, R; measured): layout for the runtime, OENTRY target
 *   + 1 page ..            TCS pages (TCS; measured), TCS count fixed at build time
 *   + ...                  SSA frames: NSSA frames of SSAFRAMESIZE pages per TCS (REG, RW; measured)
 *   + ...                  the runtime bundle (REG, RX; measured)
 *   + ...                  the application ELF (REG, R; measured; the kernel copies its segments
 *                          into freshly committed user pages)
 * The runtime area lies inside ELRANGE but outside the user range the kernel is given.
 *
 * ---- EPC and the hart ----
 * The machine's hart sees physical memory EPC_BASE .. EPC_BASE + epcSize (the EPC) followed by
 * the page-table area (PT_BASE): Sv39 tables the machine builds from the EPCM (the model of "the
 * OS's page tables intersected with the EPCM checks the CPU makes on every access"). PMP confines
 * the hart to the EPC (RWX) and the table area (R, for the walker); no linear address maps the
 * table area, and the enclave kernel is never handed a view of it.
 */

import type { MessagePort } from 'node:worker_threads';

export const PAGE = 4096;
/** Physical address of the EPC for the hart. */
export const EPC_BASE = 0x8000_0000;
/**
 * ELRANGE: base 0, 2^38 bytes: all of Sv39's lower half, so the kernel's usual layout fits (the
 * app linked at 0x10000, static-PIE bias at 2/3 of 2^38 as Linux's ELF_ET_DYN_BASE).
 */
export const ELRANGE_BASE = 0;
export const ELRANGE_SIZE = 2 ** 38;
/** The runtime area: the top GiB of ELRANGE. */
export const RT_BASE = ELRANGE_SIZE - 2 ** 30;
/**
 * Untrusted shared memory (opt-in, `teeos run --tee sgx --untrusted-shared-memory`; Gramine's
 * `untrusted_shm` mount): ELRANGE shrinks to the lower half, [0, 2^37), and the upper half of
 * Sv39's user space, [2^37, 2^38), is a window outside ELRANGE where host memory (a
 * SharedArrayBuffer of the host process) is mapped. The enclave loads and stores there
 * directly, as SGX code may touch any non-ELRANGE address of its process, but those bytes are
 * the host's: neither confidential nor integrity-protected. The choice is in the measured config
 * page (and ECREATE's SIZE), so MRENCLAVE says whether an enclave was built for it.
 */
export const USHM_ELRANGE_SIZE = 2 ** 37;
export const USHM_WINDOW_BASE = 2 ** 37;
export const USHM_WINDOW_SIZE = 2 ** 37;
/**
 * Where the hart reaches region `id` physically: USHM_PHYS_BASE + id * USHM_REGION_SPAN (outside
 * the EPC and its table area; PMP allows RW, never X: instruction fetch outside ELRANGE is
 * refused in enclave mode). A region is at most USHM_REGION_SPAN bytes.
 */
export const USHM_PHYS_BASE = 2 ** 44;
export const USHM_REGION_SPAN = 2 ** 32;
/** Region ids the host may hand out (so that every region's physical range stays below 2^53). */
export const USHM_MAX_ID = 2 ** 20;

/** ELRANGE's size and the runtime area's base, with or without untrusted shared memory. */
export function sgxLayout(ushm: boolean): { elrangeSize: number; rtBase: number } {
  const elrangeSize = ushm ? USHM_ELRANGE_SIZE : ELRANGE_SIZE;
  return { elrangeSize, rtBase: elrangeSize - 2 ** 30 };
}

/** SSA frames per TCS (TCS.NSSA) and pages per frame (SECS.SSAFRAMESIZE). */
export const NSSA = 2;
export const SSA_FRAME_PAGES = 1;
export const DEFAULT_TCS = 4;
export const MAX_TCS = 64;
/** Untrusted memory: OCALL frames and their data (the host's side of every OCALL). */
export const UNTRUSTED_SIZE = (1 << 20) + PAGE;

// ---- the control block ----
export const CTL_STATE = 0;
/** An enclave thread is inside the enclave. */
export const CTL_RUNNING = 0;
/** EEXIT for an OCALL: RDI = OCALL index, RSI = offset of the OCALL frame in untrusted memory. */
export const CTL_EEXIT = 1;
/** Asynchronous exit: EXITINFO vector in CTL_VECTOR; for #PF the page address in CTL_FAULT_Q. */
export const CTL_AEX = 2;
/** The enclave is gone. */
export const CTL_EXITED = 3;
/** The host asks the machine to execute the ENCLS leaf in CTL_LEAF (the enclave thread is outside). */
export const CTL_ENCLS = 4;
export const CTL_ENCLS_DONE = 5;
export const CTL_LEAF = 1;
export const CTL_STATUS = 2;
export const CTL_TCS = 3;
export const CTL_VECTOR = 4;
/** BigUint64 indexes: RDI, RSI (EEXIT out / EENTER in), the ENCLS operands, the #PF address. */
export const CTL_RDI_Q = 4;
export const CTL_RSI_Q = 5;
export const CTL_ARG0_Q = 6;
export const CTL_ARG1_Q = 7;
export const CTL_FAULT_Q = 8;
/** Int32 index: the family doorbell, bumped by the host when a message or channel change may concern this enclave. */
export const CTL_DOORBELL = 24;
/**
 * ENCLS over many pages in one handoff (the driver's loop over a range, which on hardware runs on
 * the CPU that executes ENCLS, so no thread switch per page): CTL_LEAF = leaf | ENCLS_MANY,
 * CTL_ARG0_Q = the count, CTL_ARG1_Q = the leaf's second operand for all, the EPC page addresses
 * at BigUint64 indexes CTL_LIST_Q.. ; each slot gets that page's status back.
 */
export const ENCLS_MANY = 0x100;
export const CTL_LIST_Q = 16;
export const CTL_LIST_MAX = 512;
export const CTL_BYTES = 8 * (CTL_LIST_Q + CTL_LIST_MAX);

/** EENTER commands in RDI (linux-sgx common/inc/internal/rts.h: ECMD_ECALL 0.., ECMD_ORET -2). */
export const ECMD_ECALL = 0n;
export const ECMD_ORET = BigInt.asUintN(64, -2n);

/** ENCLS leaves the host issues at run time (SDM vol. 3D 38.x leaf numbers). */
export const ENCLS_EREMOVE = 0x03;
export const ENCLS_EAUG = 0x0d;
export const ENCLS_EMODPR = 0x0e;
export const ENCLS_EMODT = 0x0f;

/** AEX exit vectors (EXITINFO.VECTOR; x86 numbering, as the host's signal handler sees it). */
export const VECTOR_UD = 6;
export const VECTOR_PF = 14;
/** Not an exception: an interrupt (here, the end of the time budget) caused the AEX. */
export const VECTOR_INTR = 0xff;

/** SGX error codes (SDM 38.x "Error codes", the subset the model returns). */
export const SGX_SUCCESS = 0;
export const SGX_INVALID_SIG_STRUCT = 1;
export const SGX_INVALID_ATTRIBUTE = 2;
export const SGX_INVALID_MEASUREMENT = 4;
export const SGX_INVALID_SIGNATURE = 8;
export const SGX_PAGE_ATTRIBUTES_MISMATCH = 19;
export const SGX_PAGE_NOT_MODIFIABLE = 20;
export const SGX_PAGE_NOT_DEBUGGABLE = 21;
/** Model codes for what hardware reports as #GP or #PF. */
export const SGX_GP = 0x1000;
export const SGX_PF = 0x1001;

// ---- SECINFO.FLAGS bits (mrenclave.ts has the same values, re-stated for bundles that do not import it) ----
export const SI_R = 0x1, SI_W = 0x2, SI_X = 0x4, SI_PENDING = 0x8, SI_MODIFIED = 0x10, SI_PR = 0x20;
export const PT_SECS = 0, PT_TCS = 1, PT_REG = 2, PT_TRIM = 4;
export const siFlags = (type: number, bits: number) => (type << 8) | bits;

// ---- TCS (SDM 37.8; only the fields the model uses) ----
export const TCS_OSSA = 16;
export const TCS_CSSA = 24;
export const TCS_NSSA = 28;
export const TCS_OENTRY = 32;
/** TCS.FLAGS bit 1: AEXNOTIFY (after an AEX, ERESUME delivers to the enclave's handler first). */
export const TCS_FLAGS = 8;
export const TCS_FLAGS_AEXNOTIFY = 2n;

export function encodeTcs(ossa: number, oentry: number): Uint8Array {
  const b = new Uint8Array(PAGE);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(TCS_FLAGS, TCS_FLAGS_AEXNOTIFY, true);
  dv.setBigUint64(TCS_OSSA, BigInt(ossa), true);
  dv.setUint32(TCS_CSSA, 0, true);
  dv.setUint32(TCS_NSSA, NSSA, true);
  dv.setBigUint64(TCS_OENTRY, BigInt(oentry), true);
  return b;
}

/**
 * The SSA frame (SDM 37.9: XSAVE area at the start, GPRSGX at the end), for a RISC-V hart:
 *   f0..f31 u64 @0x000, fcsr u32 @0x100                      (the "XSAVE" part)
 *   GPRSGX at FRAME - 0x200: x0..x31 u64 @+0x000, pc u64 @+0x100,
 *     EXITINFO u32 @+0x108 (bits 7:0 vector, bit 31 valid), tval u64 @+0x110, cause u64 @+0x118
 */
export const SSA_F = 0x000;
export const SSA_FCSR = 0x100;
export const SSA_GPR = SSA_FRAME_PAGES * PAGE - 0x200;
export const SSA_X = SSA_GPR + 0x000;
export const SSA_PC = SSA_GPR + 0x100;
export const SSA_EXITINFO = SSA_GPR + 0x108;
export const SSA_TVAL = SSA_GPR + 0x110;
export const SSA_CAUSE = SSA_GPR + 0x118;

// ---- the config page (measured; TCS.OENTRY points here) ----
export const CONFIG_MAGIC = 'TEEOSSGX';
export interface EnclaveConfig {
  elrangeBase: number;
  elrangeSize: number;
  userBase: number;
  userSize: number;
  configLin: number;
  tcsCount: number;
  tcsLin: number;
  ssaLin: number;
  nssa: number;
  ssaFramePages: number;
  runtimeLin: number;
  runtimeLen: number;
  appLin: number;
  appLen: number;
  /** The untrusted shared memory window (0, 0: the enclave was built without it). */
  ushmBase: number;
  ushmSize: number;
}
const CONFIG_FIELDS: (keyof EnclaveConfig)[] = [
  'elrangeBase', 'elrangeSize', 'userBase', 'userSize', 'configLin', 'tcsCount', 'tcsLin', 'ssaLin', 'nssa',
  'ssaFramePages', 'runtimeLin', 'runtimeLen', 'appLin', 'appLen', 'ushmBase', 'ushmSize',
];
export function encodeConfig(c: EnclaveConfig): Uint8Array {
  const b = new Uint8Array(PAGE);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < 8; i++) b[i] = CONFIG_MAGIC.charCodeAt(i);
  dv.setUint32(8, 1, true);
  CONFIG_FIELDS.forEach((k, i) => dv.setBigUint64(16 + 8 * i, BigInt(c[k]), true));
  return b;
}
export function decodeConfig(b: Uint8Array): EnclaveConfig {
  for (let i = 0; i < 8; i++) if (b[i] !== CONFIG_MAGIC.charCodeAt(i)) throw new Error('no SGX config page');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(8, true) !== 1) throw new Error('unknown SGX config page version');
  const c = {} as EnclaveConfig;
  CONFIG_FIELDS.forEach((k, i) => { c[k] = Number(dv.getBigUint64(16 + 8 * i, true)); });
  return c;
}

/** One EADD (with EEXTEND of all 16 chunks when `measure`). */
export interface EaddOp {
  lin: number;
  /** SECINFO.FLAGS. */
  flags: number;
  /** The page's contents (4096 bytes). */
  data: Uint8Array;
  measure: boolean;
  what: string;
}

/**
 * The build plan: every page the host EADDs, in order, and the config page that describes them.
 * The host computes MRENCLAVE from this plan; the machine computes its own as it executes it.
 */
export function sgxBuildPlan(runtime: Uint8Array, app: Uint8Array, tcsCount: number, ushm = false): { ops: EaddOp[]; config: EnclaveConfig } {
  if (!Number.isInteger(tcsCount) || tcsCount < 1 || tcsCount > MAX_TCS) throw new RangeError(`TCS count must be 1..${MAX_TCS}`);
  const pages = (n: number) => Math.max(1, Math.ceil(n / PAGE));
  const { elrangeSize, rtBase } = sgxLayout(ushm);
  const configLin = rtBase;
  const tcsLin = configLin + PAGE;
  const ssaLin = tcsLin + tcsCount * PAGE;
  const runtimeLin = ssaLin + tcsCount * NSSA * SSA_FRAME_PAGES * PAGE;
  const appLin = runtimeLin + pages(runtime.length) * PAGE;
  const config: EnclaveConfig = {
    elrangeBase: ELRANGE_BASE, elrangeSize, userBase: 0, userSize: rtBase, configLin, tcsCount, tcsLin, ssaLin,
    nssa: NSSA, ssaFramePages: SSA_FRAME_PAGES, runtimeLin, runtimeLen: runtime.length, appLin, appLen: app.length,
    ushmBase: ushm ? USHM_WINDOW_BASE : 0, ushmSize: ushm ? USHM_WINDOW_SIZE : 0,
  };
  const ops: EaddOp[] = [];
  ops.push({ lin: configLin, flags: siFlags(PT_REG, SI_R), data: encodeConfig(config), measure: true, what: 'config page' });
  for (let i = 0; i < tcsCount; i++) {
    const ossa = ssaLin + i * NSSA * SSA_FRAME_PAGES * PAGE - ELRANGE_BASE;
    ops.push({ lin: tcsLin + i * PAGE, flags: siFlags(PT_TCS, 0), data: encodeTcs(ossa, configLin - ELRANGE_BASE), measure: true, what: `TCS ${i}` });
  }
  for (let i = 0; i < tcsCount * NSSA * SSA_FRAME_PAGES; i++) {
    ops.push({ lin: ssaLin + i * PAGE, flags: siFlags(PT_REG, SI_R | SI_W), data: new Uint8Array(PAGE), measure: true, what: 'SSA frame' });
  }
  const lay = (bytes: Uint8Array, base: number, flags: number, what: string) => {
    for (let p = 0; p < pages(bytes.length); p++) {
      const d = new Uint8Array(PAGE);
      d.set(bytes.subarray(p * PAGE, Math.min(bytes.length, (p + 1) * PAGE)));
      ops.push({ lin: base + p * PAGE, flags, data: d, measure: true, what });
    }
  };
  lay(runtime, runtimeLin, siFlags(PT_REG, SI_R | SI_X), 'runtime');
  lay(app, appLin, siFlags(PT_REG, SI_R), 'application ELF');
  return { ops, config };
}

export type HostToMachine =
  /** ushm: the port the host posts untrusted shared memory regions on ({ id, buf }), read synchronously by the machine. */
  | { type: 'create'; epcSize: number; untrusted: SharedArrayBuffer; ctl: SharedArrayBuffer; ushm: MessagePort }
  | { type: 'ecreate'; base: number; size: number; ssaFrameSize: number }
  | { type: 'eadd'; ops: { lin: number; epcPage: number; flags: number; data: Uint8Array; measure: boolean }[] }
  | { type: 'einit'; sigstruct: Uint8Array }
  | { type: 'run'; boot: SgxBootArgs };

export type MachineToHost =
  | { type: 'ok' }
  | { type: 'initialized'; mrenclave: Uint8Array; mrsigner: Uint8Array }
  | { type: 'exited'; instret: number }
  /** The enclave's code has unwound after its end: the thread may build another enclave. */
  | { type: 'idle' }
  | { type: 'error'; message: string };

/** The ECALL's arguments (untrusted input, like a kernel command line). */
export interface SgxBootArgs {
  argv: string[];
  envp: string[];
  execPath: string;
  exeLink: string;
  trace: boolean;
  stats?: boolean;
  hostname: string;
  attestData?: string;
  /** The EPC the host gave the enclave, in bytes (informational: sizes the kernel's memory limit). */
  epcSize: number;
  /** A fork child: the parent's hello (untrusted until its REPORT checks out) and the pid to become. */
  fork?: { pid: number; hello: Uint8Array };
  /**
   * A spare enclave (built before any fork needs it, host/enclave.ts): it boots its runtime and
   * then waits in OCALL_FORK_WAIT for the fork it will become. It holds no process until then.
   */
  spare?: boolean;
}

// ---- OCALLs ----
/**
 * The OCALL frame, modelled on the Intel SGX SDK's edger8r marshalling structs (sgx_edger8r
 * generated `ms_<ocall>_t` placed by sgx_ocalloc on the untrusted stack, then `sgx_ocall(index,
 * ms)`: EEXIT with RDI = index, RSI = ms) and Gramine's ms_ocall_* structs (pal/src/host/linux-sgx/
 * enclave_ocalls.c, sgx_ocall(code, ms)). The enclave builds the frame in untrusted memory at an
 * offset it chooses, EEXITs with RDI = OCALL index and RSI = that offset; the host serves it and
 * EENTERs with RDI = ECMD_ORET. The enclave copies what it needs back and checks it against the
 * bounds it set before believing any of it.
 *
 * struct ms_teeos_ocall (little-endian), at RSI in untrusted memory:
 *   u32 index     @0x00  OCALL_* (must equal RDI)
 *   u32 rsvd      @0x04  0
 *   i64 retval    @0x08  host: syscall-style result (negative errno)
 *   i64 arg0      @0x10  fd | clock id | wait status | linear address (EMODPR/TRIM/REMOVE)
 *   u64 arg1      @0x18  WRITE/CONSOLE: bytes in data[]; READ: bytes wanted; EMODPR: new rights
 *   u64 out_len   @0x20  host: bytes it put in data[]
 *   i64 out0      @0x28  host: WINSIZE rows | CLOCK sec
 *   i64 out1      @0x30  host: WINSIZE cols | CLOCK nsec
 *   u64 rsvd2     @0x38
 *   u8  data[]    @0x40  request payload or reply payload
 */
export const OCALL_WRITE = 1;
export const OCALL_READ = 2;
export const OCALL_FSTAT = 3;
export const OCALL_TCGETS = 4;
export const OCALL_WINSIZE = 5;
export const OCALL_CLOCK = 6;
export const OCALL_CONSOLE = 7;
/** The enclave's last word: arg0 = the wait status, or -1 for a kernel panic. */
export const OCALL_EXIT = 8;
/** SGX2 page changes the host must make with ENCLS (Linux: SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, */
/** SGX_IOC_ENCLAVE_MODIFY_TYPES, SGX_IOC_ENCLAVE_REMOVE_PAGES). arg0 = linear address. */
export const OCALL_EMODPR = 9;
export const OCALL_TRIM = 10;
export const OCALL_REMOVE = 11;
/**
 * The same changes over ranges, as the driver's ioctls take them (SGX_IOC_ENCLAVE_MODIFY_TYPES to
 * PT_TRIM, SGX_IOC_ENCLAVE_REMOVE_PAGES: offset and length): arg0 = the number of ranges, data =
 * that many (u64 linear address, u64 page count) pairs; ret = the pages changed, or -errno. The
 * enclave still EACCEPTs every trimmed page, so a host that skips one is caught as with OCALL_TRIM.
 */
export const OCALL_TRIM_RANGES = 26;
export const OCALL_REMOVE_RANGES = 27;
/**
 * Host file calls (a Linux file syscall by number, when the HAL carries them): arg0 = the syscall
 * number, arg1 = input bytes, out0 = the room for output (enclave -> host); data[0..32) = the four
 * integer arguments (i64), the input at data[32..); the host writes the output over data[] from
 * data[0] and its length in out_len (at most the room).
 */
export const OCALL_FS = 12;
export const MS_FS_INPUT = 32;
/** TCSETS/TCSETSW/TCSETSF on a host terminal: arg0 = fd, arg1 = the action (0..2), data[0..36) = struct termios. */
export const OCALL_TCSETS = 13;

/**
 * fork as a new enclave (runtime/family.ts has the protocol):
 *   SPAWN       parent: arg0 = child pid, data = its hello; reply data = the child's hello
 *   SPAWN_DATA  parent: arg0 = child pid, data = the next piece of the sealed checkpoint
 *   SPAWN_SEND  parent: arg0 = child pid; waits for the child's verdict; reply data = its sealed ack
 *   FORK_HELLO  child: data = its hello; ret = the sealed checkpoint's length
 *   FORK_READ   child: arg0 = offset; reply data = the checkpoint's bytes from there
 *   FORK_ACK    child: data = the sealed ack
 *   FORK_WAIT   spare child: waits until a fork needs it; ret = the pid to become, reply data =
 *               the parent's hello (then FORK_HELLO as any child)
 *   PID         ret = a process id unique in the family
 *   IPC_SEND    arg0 = destination pid, data = a sealed message
 *   IPC_RECV    reply data = u32 length + message, repeated; ret = the number of messages
 *   CHAN        arg0 = CHAN_* op, data[0..32) = id, a, b, 0 (i64), input at data[32..);
 *               reply: ret, out0 = readers, out1 = writers, out_len bytes of records
 */
export const OCALL_SPAWN = 14;
export const OCALL_SPAWN_DATA = 15;
export const OCALL_SPAWN_SEND = 16;
export const OCALL_FORK_HELLO = 17;
export const OCALL_FORK_READ = 18;
export const OCALL_FORK_ACK = 19;
export const OCALL_FORK_WAIT = 30;
export const OCALL_PID = 20;
export const OCALL_IPC_SEND = 21;
export const OCALL_IPC_RECV = 22;
export const OCALL_CHAN = 23;
export const CHAN_CREATE = 0, CHAN_WRITE = 1, CHAN_READ = 2, CHAN_REFS = 3, CHAN_UNREAD = 4;
/** Family-wide names: arg0 = NAME_* op, data[0..32) = the name's tag (an HMAC under the family key); LOOKUP: ret = the pid. */
export const OCALL_NAME = 24;
export const NAME_PUBLISH = 0, NAME_UNPUBLISH = 1, NAME_LOOKUP = 2;
/**
 * Untrusted shared memory (only for an enclave whose measured config has the window): arg0 = USHM_*
 * op, data[0..32) = four i64 operands.
 *   CREATE      a = size: the host makes a region, posts { id, buf } on the machine's port; ret = id
 *   ATTACH      a = id: the host posts that region again; ret = its size (the enclave checks both)
 *   FWAIT       a = id, b = offset, c = bitset: a waiter registers; ret = its token
 *   FCANCEL     a = token: the wait ended
 *   FWAKE       a = id, b = offset, c = n, d = bitset: wake up to n waiters of OTHER enclaves; ret = how many
 *   FWOKEN      reply data = u32 tokens of this enclave's waiters that were woken; ret = their number
 */
export const OCALL_USHM = 25;
export const USHM_CREATE = 0, USHM_ATTACH = 1, USHM_FWAIT = 2, USHM_FCANCEL = 3, USHM_FWAKE = 4, USHM_FWOKEN = 5;

export const MS_INDEX = 0x00;
export const MS_RETVAL = 0x08;
export const MS_ARG0 = 0x10;
export const MS_ARG1 = 0x18;
export const MS_OUT_LEN = 0x20;
export const MS_OUT0 = 0x28;
export const MS_OUT1 = 0x30;
export const MS_DATA = 0x40;
/** The frame sits at the start of untrusted memory's OCALL area (one enclave thread makes OCALLs at a time). */
export const MS_OFFSET = 0;
export const MS_MAX_DATA = UNTRUSTED_SIZE - MS_DATA;

export const STAT_SIZE = 128;
export const TERMIOS_SIZE = 36;
