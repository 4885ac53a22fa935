/**
 * Running one program in an enclave of a given TEE model: validate the ELF on the host
 * (refuse before any enclave starts), create the enclave, check its measurement, run it,
 * and turn the wait status into a shell exit status.
 */
import { readFileSync, statSync } from 'node:fs';
import type { HostileMode } from './hostile.ts';
import { resolve } from 'node:path';
import { hostname } from 'node:os';
import { parseElf, ElfError } from '@teeos/elf-loader';
import type { HostServices } from '@teeos/hal-keystone/host';
import { toHex } from '@teeos/hal/bytes';
import { createDriver, capturingReport, type TeeName } from './platforms.ts';
import { prepareRoot, type PreparedRoot } from './root-image.ts';
import { HostFiles, withFiles, type MountSpec } from './host-files.ts';
import { withConfigPage } from '@teeos/linux-abi/config';

/**
 * The application image with the measured config page when a root image or host mounts are
 * given (else unchanged): both are part of the enclave's identity.
 */
export function appWithRoot(eapp: Uint8Array, root: PreparedRoot | null, mounts: MountSpec[] = []): Uint8Array {
  if (!root && mounts.length === 0) return eapp;
  return withConfigPage(eapp, {
    rootImage: root ? { blocks: root.blocks, root: root.root } : null,
    mounts: mounts.map((m) => ({ at: m.at, readonly: m.readonly })),
  });
}

export class UsageError extends Error {
  constructor(message: string, readonly exitStatus: number) {
    super(message);
  }
}

export interface RunOptions {
  tee: TeeName;
  program: string;
  args: string[];
  env: string[];
  memory: number;
  trace: boolean;
  verbose: boolean;
  stats: boolean;
  distDir: URL;
  services: HostServices;
  log: (line: string) => void;
  /** `teeos attest`: hex of the report data; the report arrives through onReport. */
  attestData?: string;
  onReport?: (report: Uint8Array) => void;
  /** `--root PATH`: a directory or image file for the root file system (bound into the measurement). */
  root?: string;
  /** `--mount HOSTDIR:/mnt[:ro]`: host directories passed through (not measured, not protected). */
  mounts?: MountSpec[];
  /** `--hostile`: the host lies in these ways (see hostile.ts). */
  hostile?: HostileMode[];
  /** SGX: TCS pages fixed at build time. */
  tcs?: number;
  /** SGX: false keeps no spare enclave for the next fork. */
  spare?: boolean;
  /** SGX: `--untrusted-shared-memory` (insecure opt-in; measured). */
  untrustedShm?: boolean;
}

export const UTM_SIZE = 1 << 20;

/** Reads and checks the program: 127 when it cannot be found, 126 when it cannot be executed. */
export function readProgram(path: string, memory: number): Uint8Array {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UsageError(`${path}: No such file or directory`, 127);
  }
  if (st.isDirectory()) throw new UsageError(`${path}: Is a directory`, 126);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`${path}: ${(e as Error).message}`, 126);
  }
  try {
    parseElf(bytes, { memoryLimit: memory });
  } catch (e) {
    if (e instanceof ElfError) throw new UsageError(`${path}: ${e.message}`, e.exitStatus);
    throw e;
  }
  return bytes;
}

export function keystoneFiles(distDir: URL, eapp: Uint8Array) {
  return {
    loader: readFileSync(new URL('keystone-loader.cjs', distDir)),
    runtime: readFileSync(new URL('runtime-keystone.cjs', distDir)),
    smImage: readFileSync(new URL('keystone-machine.mjs', distDir)),
    eapp,
  };
}

/** Wait status (Linux encoding) to the exit status a shell reports. */
export function shellStatus(wait: number): number {
  const sig = wait & 0x7f;
  if (sig === 0) return (wait >> 8) & 0xff;
  return 128 + sig;
}


export async function runProgram(o: RunOptions): Promise<number> {
  let root: PreparedRoot | null = null;
  try {
    root = o.root !== undefined ? prepareRoot(o.root, o.log) : null;
  } catch (e) {
    throw new UsageError((e as Error).message, 2);
  }
  const files = root || o.mounts?.length ? new HostFiles(root?.file ?? null, o.mounts ?? []) : null;
  try {
    return await runPrepared(o, root, files);
  } finally {
    files?.close();
    root?.cleanup();
  }
}

async function runPrepared(o: RunOptions, root: PreparedRoot | null, files: HostFiles | null): Promise<number> {
  const eapp = appWithRoot(readProgram(o.program, o.memory), root, o.mounts ?? []);
  const t0 = performance.now();
  let enclave;
  try {
    enclave = createDriver(o.tee, o.distDir, eapp, o.memory, o.hostile ?? [], {
      ...(o.tcs !== undefined ? { tcs: o.tcs } : {}), ...(o.spare !== undefined ? { spare: o.spare } : {}),
      ...(o.untrustedShm ? { untrustedShm: true } : {}),
    });
  } catch (e) {
    throw new UsageError((e as Error).message, 2);
  }
  if (o.hostile?.length) o.log(`hostile host: ${o.hostile.join(', ')}`);
  const measurement = await enclave.start();
  if (o.verbose) {
    for (const line of enclave.layout()) o.log(line);
    o.log(`measurement (${enclave.measurementKind}): ${toHex(measurement)}`);
  }
  const reporting = o.onReport ? capturingReport(o.services, o.onReport) : o.services;
  const services = files ? withFiles(reporting, files) : reporting;
  const r = await enclave.run({
    argv: [o.program, ...o.args], envp: o.env, execPath: o.program, exeLink: resolve(o.program),
    trace: o.trace, stats: o.stats, hostname: hostname().slice(0, 64), ...(o.mounts?.length ? { mounts: o.mounts.map((m) => ({ at: m.at, readonly: m.readonly })) } : {}), ...(o.attestData !== undefined ? { attestData: o.attestData } : {}),
  }, services);
  if (o.stats) {
    const ms = performance.now() - t0;
    o.log(`stats: ${r.instret} instructions, ${r.hostCalls} host calls, ${ms.toFixed(1)} ms, ${(r.instret / ms / 1000).toFixed(1)} MIPS`);
  }
  if (r.status < 0) {
    o.log('the enclave kernel failed (see the panic above)');
    return 70; // EX_SOFTWARE
  }
  return shellStatus(r.status);
}
