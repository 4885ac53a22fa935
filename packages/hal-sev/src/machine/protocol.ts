/**
 * The SEV-SNP model's host <-> machine interface and the guest physical layout.
 *
 * What KVM and the PSP driver do with ioctls (KVM_SEV_SNP_LAUNCH_START/UPDATE/FINISH, KVM_RUN) is
 * carried by postMessage; the vCPU's stop/resume on VMGEXIT by a control word in a small
 * SharedArrayBuffer (the same mechanism as the Keystone model). The control block also holds the
 * GHCB MSR (0xC0010130), which the hypervisor can read and write on every VMGEXIT (GHCB spec
 * 56421, section 2.3.1), and the arguments of a firmware command the hypervisor issues to the PSP
 * while the vCPU is stopped (SNP_GUEST_REQUEST).
 *
 * Guest physical memory (a model choice, documented here and measured through the boot table):
 *   RAM_BASE ..          private guest RAM (the machine's WebAssembly.Memory, never shared)
 *     + 0                the boot stub ("OVMF-like", dist/sev-boot.cjs)       NORMAL pages
 *     + stub             the boot table (layout below)                        NORMAL page
 *     + ...              the runtime bundle (dist/runtime-sev.cjs)            NORMAL pages
 *     + ...              the application ELF                                  NORMAL pages
 *     + ...              SECRETS page (VMPCK0..3 written by the PSP)          SECRETS
 *     + ...              CPUID page (supplied by the hypervisor)              CPUID
 *     + ...              one scratch page for guest messages                  ZERO
 *     + ...              free memory for the kernel (not measured; the RAM size is the machine's)
 *   SHARED_BASE ..       the shared window: pages that start private and become hypervisor-visible
 *                        only after the guest's Page State Change (PSC) request:
 *     + 0x0000           the GHCB page
 *     + 0x1000           guest request page (SNP_GUEST_REQUEST request message)
 *     + 0x2000           guest response page
 *     + 0x3000 ..        the I/O buffer for TEE OS hypercalls (IO_PAGES pages)
 *   VMSA                 one per vCPU, kept by the PSP (measured at GPA 0xFFFFFFFFF000)
 */

export const PAGE = 4096;
export const RAM_BASE = 0x8000_0000;
export const SHARED_BASE = 0x4000_0000;
export const IO_PAGES = 256;
export const SHARED_PAGES = 3 + IO_PAGES;
export const SHARED_SIZE = SHARED_PAGES * PAGE;
export const GHCB_GPA = SHARED_BASE;
export const REQ_GPA = SHARED_BASE + PAGE;
export const RESP_GPA = SHARED_BASE + 2 * PAGE;
export const IO_GPA = SHARED_BASE + 3 * PAGE;
export const IO_SIZE = IO_PAGES * PAGE;

// ---- the control block ----
/** Int32 index of the vCPU state word. */
export const CTL_STATE = 0;
export const CTL_RUNNING = 0;
/** The vCPU executed VMGEXIT and waits for the hypervisor. */
export const CTL_VMGEXIT = 1;
/** The guest is gone (shutdown or termination request). */
export const CTL_EXITED = 2;
/** The hypervisor asks the PSP to run the firmware command in the control block. */
export const CTL_PSP_CMD = 3;
/** The PSP finished the command; the vCPU is still stopped. */
export const CTL_PSP_DONE = 4;
/** Int32 index of the firmware command id and the firmware status it returned. */
export const CTL_PSP_COMMAND = 1;
export const CTL_PSP_STATUS = 2;
/** BigUint64 indexes: the GHCB MSR, and the command's two GPA arguments. */
export const CTL_MSR_Q = 2;
export const CTL_ARG0_Q = 3;
export const CTL_ARG1_Q = 4;
export const CTL_BYTES = 64;

/** SNP ABI firmware command ids (56860, Table "Command identifiers"). */
export const SNP_CMD_GUEST_REQUEST = 0x92;
/** Firmware status codes (SNP ABI, Table "Status codes"). */
export const SEV_STATUS_SUCCESS = 0;
export const SEV_STATUS_INVALID_PARAM = 0x16;
export const SEV_STATUS_INVALID_GUEST = 0x0b;

// ---- page types the host hands to SNP_LAUNCH_UPDATE ----
export type LaunchPageType = 'normal' | 'zero' | 'secrets' | 'cpuid' | 'vmsa';
export interface LaunchUpdate {
  type: LaunchPageType;
  /** Guest physical address of the first page (ignored for the VMSA). */
  gpa: number;
  /** Page contents (whole pages) for normal, cpuid and vmsa; absent for zero and secrets. */
  data?: Uint8Array;
  /** Bytes covered (whole pages). */
  length: number;
  /** What the pages are, for --verbose. */
  what: string;
}

/** Guest policy (SNP ABI "Guest Policy"): bit 17 must be one, SMT allowed, no debugging, ABI 0.0. */
export const SNP_MODEL_POLICY = (1n << 16n) | (1n << 17n);

export type HostToMachine =
  | { type: 'create'; memory: number; shared: SharedArrayBuffer; ctl: SharedArrayBuffer }
  | { type: 'launch-start'; policy: bigint }
  | { type: 'launch-update'; update: LaunchUpdate }
  | { type: 'launch-finish' }
  | { type: 'run'; boot: SevBootArgs };

export type MachineToHost =
  | { type: 'ok' }
  | { type: 'launched'; measurement: Uint8Array }
  | { type: 'exited'; instret: number }
  | { type: 'error'; message: string };

/** What the host tells the runtime at start (untrusted input, like a kernel command line). */
export interface SevBootArgs {
  argv: string[];
  envp: string[];
  execPath: string;
  exeLink: string;
  trace: boolean;
  /** `--stats`: the kernel reports its own accounting (frames) at exit. */
  stats?: boolean;
  hostname: string;
  /** `teeos attest`: hex of up to 64 bytes the runtime asks a report over before init starts. */
  attestData?: string;
}

// ---- the boot table (a measured NORMAL page; the stub finds it through the VMSA's a1) ----
export const BOOT_TABLE_MAGIC = 'TEEOSSNP';
export interface BootTable {
  runtimeGpa: number;
  runtimeLen: number;
  appGpa: number;
  appLen: number;
  secretsGpa: number;
  cpuidGpa: number;
  scratchGpa: number;
  freeGpa: number;
  sharedGpa: number;
  sharedPages: number;
  ghcbGpa: number;
  reqGpa: number;
  respGpa: number;
  ioGpa: number;
  ioLen: number;
}
const TABLE_FIELDS: (keyof BootTable)[] = [
  'runtimeGpa', 'runtimeLen', 'appGpa', 'appLen', 'secretsGpa', 'cpuidGpa', 'scratchGpa', 'freeGpa',
  'sharedGpa', 'sharedPages', 'ghcbGpa', 'reqGpa', 'respGpa', 'ioGpa', 'ioLen',
];

/** magic(8) u32 version=1 u32 0, then the fields above as u64 in order from +16. */
export function encodeBootTable(t: BootTable): Uint8Array {
  const b = new Uint8Array(PAGE);
  const dv = new DataView(b.buffer);
  b.set(new TextEncoder().encode(BOOT_TABLE_MAGIC), 0);
  dv.setUint32(8, 1, true);
  TABLE_FIELDS.forEach((k, i) => dv.setBigUint64(16 + 8 * i, BigInt(t[k]), true));
  return b;
}
export function decodeBootTable(b: Uint8Array): BootTable {
  if (new TextDecoder().decode(b.subarray(0, 8)) !== BOOT_TABLE_MAGIC) throw new Error('no SEV boot table');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(8, true) !== 1) throw new Error('unknown boot table version');
  const t = {} as BootTable;
  TABLE_FIELDS.forEach((k, i) => { t[k] = Number(dv.getBigUint64(16 + 8 * i, true)); });
  return t;
}

// ---- the VMSA (model) ----
/**
 * The vCPU's initial register state. The real VMSA is an x86 save area; this model keeps the
 * RISC-V state the vCPU starts with at fixed offsets of the 4 KiB page, and SEV_FEATURES where
 * the real one has it (0x3B0, bit 0 SNPActive):
 *   pc u64 @0x00, priv u64 @0x08 (1 = S), a0 u64 @0x10 (vCPU id), a1 u64 @0x18 (boot table GPA),
 *   satp u64 @0x20 (0: bare), sev_features u64 @0x3B0.
 */
export interface Vmsa { pc: number; priv: number; a0: number; a1: number; satp: number; sevFeatures: number }
export function encodeVmsa(v: Vmsa): Uint8Array {
  const b = new Uint8Array(PAGE);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0x00, BigInt(v.pc), true);
  dv.setBigUint64(0x08, BigInt(v.priv), true);
  dv.setBigUint64(0x10, BigInt(v.a0), true);
  dv.setBigUint64(0x18, BigInt(v.a1), true);
  dv.setBigUint64(0x20, BigInt(v.satp), true);
  dv.setBigUint64(0x3b0, BigInt(v.sevFeatures), true);
  return b;
}
export function decodeVmsa(b: Uint8Array): Vmsa {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const q = (o: number) => Number(dv.getBigUint64(o, true));
  return { pc: q(0), priv: q(8), a0: q(0x10), a1: q(0x18), satp: q(0x20), sevFeatures: q(0x3b0) };
}

// ---- the secrets page (Linux struct snp_secrets_page) ----
export const SECRETS_VERSION_OFFSET = 0x00;
export const SECRETS_VMPCK0_OFFSET = 0x20;
export const VMPCK_SIZE = 32;

/**
 * The launch plan: every page the host hands to SNP_LAUNCH_UPDATE, in order (QEMU's: firmware
 * pages, then the metadata sections, then one VMSA per vCPU), and the boot table they describe.
 * The host computes the expected digest from this plan; the PSP computes its own while it lays
 * the same pages into guest memory.
 */
export function sevLaunchPlan(stub: Uint8Array, runtime: Uint8Array, app: Uint8Array): { updates: LaunchUpdate[]; table: BootTable } {
  const up = (n: number) => Math.ceil(n / PAGE) * PAGE;
  const pad = (b: Uint8Array) => { const p = new Uint8Array(up(b.length) || PAGE); p.set(b); return p; };
  const stubGpa = RAM_BASE;
  const tableGpa = stubGpa + up(stub.length);
  const runtimeGpa = tableGpa + PAGE;
  const appGpa = runtimeGpa + up(runtime.length);
  const secretsGpa = appGpa + up(app.length);
  const cpuidGpa = secretsGpa + PAGE;
  const scratchGpa = cpuidGpa + PAGE;
  const freeGpa = scratchGpa + PAGE;
  const table: BootTable = {
    runtimeGpa, runtimeLen: runtime.length, appGpa, appLen: app.length, secretsGpa, cpuidGpa, scratchGpa, freeGpa,
    sharedGpa: SHARED_BASE, sharedPages: SHARED_PAGES, ghcbGpa: GHCB_GPA, reqGpa: REQ_GPA, respGpa: RESP_GPA,
    ioGpa: IO_GPA, ioLen: IO_SIZE,
  };
  // An empty snp_cpuid_table (count 0): a RISC-V hart has no CPUID leaves to report.
  const cpuid = new Uint8Array(PAGE);
  const vmsa = encodeVmsa({ pc: stubGpa, priv: 1, a0: 0, a1: tableGpa, satp: 0, sevFeatures: 1 });
  const updates: LaunchUpdate[] = [
    { type: 'normal', gpa: stubGpa, data: pad(stub), length: up(stub.length), what: 'boot stub' },
    { type: 'normal', gpa: tableGpa, data: encodeBootTable(table), length: PAGE, what: 'boot table' },
    { type: 'normal', gpa: runtimeGpa, data: pad(runtime), length: up(runtime.length), what: 'runtime' },
    { type: 'normal', gpa: appGpa, data: pad(app), length: up(app.length), what: 'application' },
    { type: 'secrets', gpa: secretsGpa, length: PAGE, what: 'secrets' },
    { type: 'cpuid', gpa: cpuidGpa, data: cpuid, length: PAGE, what: 'cpuid' },
    { type: 'zero', gpa: scratchGpa, length: PAGE, what: 'scratch' },
    { type: 'vmsa', gpa: 0, data: vmsa, length: PAGE, what: 'VMSA (vCPU 0)' },
  ];
  return { updates, table };
}
