/**
 * The TEE platform models the host can drive, behind one shape: create (lay out and measure),
 * start (launch; check the platform's measurement against the host's), run (serve host calls),
 * and the identity operations the CLI offers (measure without launching, verify a report with
 * the model's trust anchors). Adding SGX means adding one case to each function here.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { takePrestartedMachine } from './prestart.ts';
import { keystoneTamper, SGX_HOSTILE_MODES, type HostileMode } from './hostile.ts';
// The verifiers (noble's curves and AES, whose tables cost ~30 ms to set up) are in
// verify-report.ts, loaded by the commands that verify; a run does not need them.
import { KeystoneEnclave, keystoneEnclaveHash, type HostServices } from '@teeos/hal-keystone/host';
import { toHex } from '@teeos/hal/bytes';
import { SevGuest, sevExpectedMeasurement, RAM_BASE, SHARED_BASE, SHARED_PAGES } from '@teeos/hal-sev/host';
import {
  SgxEnclave, sgxExpectedMeasurement, loadOrCreateDevKey, DEFAULT_TCS, ELRANGE_BASE, ELRANGE_SIZE, RT_BASE, NSSA,
} from '@teeos/hal-sgx/host';

export type TeeName = 'keystone' | 'sev' | 'sgx';
export const TEE_NAMES: readonly TeeName[] = ['keystone', 'sev', 'sgx'];
/** Platforms the design names whose models do not exist yet. */
export const TEES_NOT_BUILT: readonly string[] = [];

/** Platform options beyond the memory size (SGX: the TCS count fixed at build time, which MRENCLAVE covers). */
export interface PlatformOptions {
  tcs?: number;
  /** SGX: keep a spare enclave for the next fork (default true; hal-sgx host/enclave.ts). */
  spare?: boolean;
  /** SGX `--untrusted-shared-memory`: the enclave is built with a window of host memory (measured; insecure by design). */
  untrustedShm?: boolean;
}

/** The console line prefix a runtime uses to hand an attestation report to the host. */
export const ATTESTATION_REPORT_PREFIX = 'teeos-attestation-report:';

export interface BootInfo {
  argv: string[];
  envp: string[];
  execPath: string;
  exeLink: string;
  trace: boolean;
  /** `--stats`: the kernel reports its frame accounting at exit. */
  stats?: boolean;
  hostname: string;
  /** `teeos attest`: hex of the bytes the runtime asks a report over before init starts. */
  attestData?: string;
  /** `--mount`: where each host directory (host fd 4, 5, ...) is mounted, and whether read only. */
  mounts?: { at: string; readonly: boolean }[];
}

export interface DriverResult {
  status: number;
  instret: number;
  hostCalls: number;
}

export interface EnclaveDriver {
  readonly tee: TeeName;
  /** What the measurement is, for humans ("SHA3-512 enclave hash"). */
  readonly measurementKind: string;
  readonly expectedMeasurement: Uint8Array;
  /** Creates and launches the enclave; throws when the platform measured something else. */
  start(): Promise<Uint8Array>;
  run(boot: BootInfo, services: HostServices): Promise<DriverResult>;
  /** Lines describing the memory layout, for --verbose (after start). */
  layout(): string[];
}

const hex = (n: number) => '0x' + n.toString(16);
const UTM_SIZE = 1 << 20;

function keystoneFiles(distDir: URL, eapp: Uint8Array) {
  return {
    loader: readFileSync(new URL('keystone-loader.cjs', distDir)),
    runtime: readFileSync(new URL('runtime-keystone.cjs', distDir)),
    smImage: readFileSync(new URL('keystone-machine.mjs', distDir)),
    eapp,
  };
}
function sgxFiles(distDir: URL, app: Uint8Array) {
  return { runtime: readFileSync(new URL('runtime-sgx.cjs', distDir)), app };
}
/** The enclave signing key: a development key cached under the ignored .cache/ folder. */
function sgxSigningKey(distDir: URL) {
  return loadOrCreateDevKey(new URL('../.cache/teeos/sgx-dev-key.pem', distDir).pathname);
}
function sevFiles(distDir: URL, app: Uint8Array) {
  return { stub: readFileSync(new URL('sev-boot.cjs', distDir)), runtime: readFileSync(new URL('runtime-sev.cjs', distDir)), app };
}

/**
 * The first machine thread: the one bin/teeos.mjs started before the CLI loaded, told now which
 * machine to become (so its bundle loads while the host prepares), else a new Worker. Later ones
 * (SGX fork children) are always new Workers.
 */
function machineSpawner(machinePath: URL): (p: string | URL) => Worker | Promise<Worker> {
  let first = takePrestartedMachine(machinePath);
  return (p) => {
    const m = first;
    first = undefined;
    return m ?? new Worker(p);
  };
}

export function createDriver(tee: TeeName, distDir: URL, app: Uint8Array, memory: number, hostile: HostileMode[] = [], popts: PlatformOptions = {}): EnclaveDriver {
  const sgxModes = hostile.filter((m) => SGX_HOSTILE_MODES.includes(m));
  if (tee === 'sgx' ? sgxModes.length !== hostile.length : sgxModes.length) throw new Error(`--hostile ${sgxModes.length ? 'checkpoint and channel modes are SGX fork attacks' : `is modelled on keystone's wire format and SGX fork checkpoints only, not ${tee}`}`);
  if (hostile.length && tee === 'sev') throw new Error(`--hostile is modelled on keystone's wire format and SGX fork checkpoints only, not ${tee}`);
  const machinePath = new URL(`${tee}-machine.mjs`, distDir);
  const spawn = machineSpawner(machinePath);
  if (tee === 'sgx') {
    const tamper = hostile.includes('checkpoint') ? 'flip' as const : hostile.includes('checkpoint-replay') ? 'replay' as const
      : hostile.includes('channel') ? 'channel' as const : hostile.includes('message') ? 'message' as const
      : hostile.includes('shared-memory') ? 'shared-memory' as const
      : hostile.includes('channel-drop') ? 'drop' as const
      : hostile.includes('channel-replay') ? 'dup' as const : hostile.includes('channel-reorder') ? 'swap' as const
      : hostile.includes('page-trim') ? 'trim' as const : null;
    const tcs = popts.tcs ?? DEFAULT_TCS;
    const e = new SgxEnclave(sgxFiles(distDir, app), {
      machinePath, spawn, epcSize: memory, tcs, signingKey: () => sgxSigningKey(distDir), untrustedShm: popts.untrustedShm ?? false,
      ...(popts.spare !== undefined ? { spare: popts.spare } : {}),
    });
    return {
      tee, measurementKind: 'MRENCLAVE, SHA-256', get expectedMeasurement() { return e.expectedMeasurement; },
      start: () => e.start(),
      run: (boot, services) => e.run({ ...boot, epcSize: memory }, services, undefined, tamper),
      layout: () => {
        const c = e.config;
        return [
          `sgx enclave: ELRANGE ${hex(ELRANGE_BASE)}..${hex(ELRANGE_BASE + c.elrangeSize)} (user ${hex(c.userBase)}..${hex(c.userBase + c.userSize)}, runtime area ${hex(c.configLin)}..) EPC ${memory} bytes`,
          ...(c.ushmSize ? [`  UNTRUSTED shared memory window ${hex(c.ushmBase)}..${hex(c.ushmBase + c.ushmSize)} (host memory: the host reads and writes it)`] : []),
          `  TCS ${c.tcsCount} at ${hex(c.tcsLin)}, SSA ${NSSA} frame(s) per TCS at ${hex(c.ssaLin)}, config ${hex(c.configLin)}, runtime ${hex(c.runtimeLin)} (${c.runtimeLen} bytes), app ELF ${hex(c.appLin)} (${c.appLen} bytes), ${e.ops.length} pages EADDed`,
          `  MRSIGNER ${e.mrsigner ? toHex(e.mrsigner) : '(not initialized)'}`,
        ];
      },
    };
  }
  if (tee === 'keystone') {
    const e = new KeystoneEnclave(keystoneFiles(distDir, app), {
      machinePath, spawn, epmSize: memory, utmSize: UTM_SIZE,
    });
    return {
      tee, measurementKind: 'SHA3-512', get expectedMeasurement() { return e.expectedMeasurement; },
      start: () => e.start(),
      run: (boot, services) => e.run(boot, services, hostile.length ? keystoneTamper(hostile) : undefined),
      layout: () => {
        const p = e.params!;
        return [`keystone enclave: Base ${hex(p.dramBase)} Krnl ${hex(p.runtimeBase)} User ${hex(p.userBase)} Free ${hex(p.freeBase)} End ${hex(p.dramBase + p.dramSize)} UTM ${hex(p.untrustedBase)} (${p.untrustedSize} bytes)`];
      },
    };
  }
  const g = new SevGuest(sevFiles(distDir, app), { machinePath, spawn, memory });
  return {
    tee, measurementKind: 'SHA-384 launch digest', get expectedMeasurement() { return g.expectedMeasurement; },
    start: () => g.start(),
    run: (boot, services) => g.run(boot, services),
    layout: () => {
      const t = g.table;
      const lines = [`sev-snp guest: RAM ${hex(RAM_BASE)}..${hex(RAM_BASE + memory)} (private) Free ${hex(t.freeGpa)} shared window ${hex(SHARED_BASE)} (${SHARED_PAGES} pages: GHCB ${hex(t.ghcbGpa)} req ${hex(t.reqGpa)} resp ${hex(t.respGpa)} I/O ${hex(t.ioGpa)}+${t.ioLen})`];
      for (const u of g.updates) {
        lines.push(`  SNP_LAUNCH_UPDATE ${u.type.toUpperCase().padEnd(7)} ${u.type === 'vmsa' ? '0xfffffffff000' : hex(u.gpa)} ${String(u.length / 4096).padStart(5)} page(s)  ${u.what}`);
      }
      return lines;
    },
  };
}

/** The measurement the platform will compute at launch, computed by the host alone. */
export function expectedMeasurement(tee: TeeName, distDir: URL, app: Uint8Array, popts: PlatformOptions = {}): Uint8Array {
  if (tee === 'sgx') return sgxExpectedMeasurement(sgxFiles(distDir, app), popts.tcs ?? DEFAULT_TCS, popts.untrustedShm ?? false);
  if (tee === 'keystone') {
    const f = keystoneFiles(distDir, app);
    return keystoneEnclaveHash(f.loader, f.runtime, f.eapp);
  }
  return sevExpectedMeasurement(sevFiles(distDir, app));
}

/** Host services that take the attestation report line out of the console stream. */
export function capturingReport(inner: HostServices, onReport: (report: Uint8Array) => void): HostServices {
  return {
    write: (fd, d) => inner.write(fd, d),
    read: (fd, n) => inner.read(fd, n),
    fstat: (fd) => inner.fstat(fd),
    tcgets: (fd) => inner.tcgets(fd),
    ...(inner.tcsets ? { tcsets: (fd: number, action: number, termios: Uint8Array) => inner.tcsets!(fd, action, termios) } : {}),
    ...(inner.fs ? { fs: (nr: number, args: number[], data: Uint8Array, outLen: number) => inner.fs!(nr, args, data, outLen) } : {}),
    winsize: (fd) => inner.winsize(fd),
    clock: (c) => inner.clock(c),
    console: (text) => {
      const rest: string[] = [];
      for (const line of text.split('\n')) {
        if (line.startsWith(ATTESTATION_REPORT_PREFIX)) {
          const h = line.slice(ATTESTATION_REPORT_PREFIX.length).trim();
          if (/^([0-9a-f]{2})+$/.test(h)) onReport(Uint8Array.from(h.match(/../g)!, (x) => parseInt(x, 16)));
        } else rest.push(line);
      }
      const out = rest.join('\n');
      if (out.trim() !== '') inner.console(out);
    },
  };
}

export { toHex };
