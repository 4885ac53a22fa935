/**
 * teeos: run an unmodified static riscv64 Linux program inside a TEE model.
 *
 *   teeos run [--tee keystone|sev|sgx] [--tcs N] [--untrusted-shared-memory] [--memory 256M] [--verbose] [--trace] [--stats] PROGRAM [ARGS...]
 *   teeos measure [--tee T] PROGRAM
 *   teeos attest [--tee T] --data HEX -o REPORT PROGRAM [ARGS...]
 *   teeos verify [--tee T] --expect MEASUREMENT [--data HEX] REPORT
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseHostile, HOSTILE_MODES, type HostileMode } from './hostile.ts';
import { runProgram, readProgram, UsageError, appWithRoot } from './runner.ts';
import { parseMount, type MountSpec } from './host-files.ts';
import { prepareRoot, imageOfDir } from './root-image.ts';
import { StdioServices } from './stdio-services.ts';
import { expectedMeasurement, TEE_NAMES, TEES_NOT_BUILT, toHex, type TeeName } from './platforms.ts';

const USAGE = `usage:
  teeos run [--tee T] [--tcs N] [--untrusted-shared-memory] [--memory SIZE] [--root PATH] [--mount HOSTDIR:/PATH[:ro]]... [--verbose] [--trace] [--stats] PROGRAM [ARGS...]
  teeos measure [--tee T] [--root PATH] [--mount HOSTDIR:/PATH[:ro]]... PROGRAM
  teeos mkimage DIR -o IMAGE
  teeos attest [--tee T] --data HEX -o REPORT PROGRAM [ARGS...]
  teeos verify [--tee T] --expect MEASUREMENT [--data HEX] REPORT

  --tee T        the TEE model: keystone (default), sev or sgx
  --tcs N        sgx: TCS pages (enclave threads) fixed at build time, 1..64 (default 4; part of MRENCLAVE)
  --no-spare     sgx: build each fork's child enclave when the fork happens, instead of keeping
                 one built and waiting (less memory, slower forks; docs/sgx-fork.md)
  --untrusted-shared-memory
                 sgx, INSECURE, off by default: MAP_SHARED anonymous memory lives in host memory outside
                 the enclave, so processes in different enclaves (fork) share it; the host can read and
                 change all of it. Part of MRENCLAVE. Without it such memory stays in the enclaves,
                 its pages (and futex wakes) moving between them in sealed messages.
  --memory SIZE  enclave memory, e.g. 64M, 256M (default), 1G
  --root PATH    the root file system: a directory (imaged at start) or an image (mkimage);
                 its Merkle root is measured, every block read is checked in the enclave
  --mount H:/P[:ro]  pass host directory H through at /P (the host's files: no integrity or
                 confidentiality; every reply is checked for sanity only); the mount table is measured
  --data HEX     report data: up to 64 bytes in hex (attest: bound into the report; verify: expected)
  -o REPORT      attest: where to write the report
  --expect M     verify: the expected measurement in hex (what \`teeos measure\` prints)
  --verbose      print the enclave layout and measurement
  --trace        print every system call, strace-style
  --stats        print instructions, host calls and time at exit
  --jit[=force]  the CPU's WebAssembly JIT tier for hot code (force: all code); default and --no-jit: interpreter
                 (default: TEEOS_JIT from the environment, else the built-in default)
  --hostile M,.. make the host lie (${HOSTILE_MODES.join(', ')}): watch the enclave refuse`;

const distDir = new URL('./', import.meta.url);

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new UsageError(`bad memory size '${s}'`, 2);
  const mult = { '': 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
  const v = Number(m[1]) * mult;
  if (v < (4 << 20) || v > 2 ** 31 || v % 4096 !== 0) throw new UsageError(`memory must be 4M..2G in whole pages, got '${s}'`, 2);
  return v;
}

interface Parsed {
  tee: TeeName;
  memory: number;
  data?: Uint8Array;
  dataHex?: string;
  out?: string;
  expect?: Uint8Array;
  tcs?: number;
  noSpare?: boolean;
  untrustedShm: boolean;
  verbose: boolean;
  trace: boolean;
  stats: boolean;
  hostile: HostileMode[];
  root?: string;
  mounts: MountSpec[];
  rest: string[];
}

function parseOptions(argv: string[]): Parsed {
  const o: Parsed = { tee: 'keystone', memory: 256 << 20, untrustedShm: false, verbose: false, trace: false, stats: false, hostile: [], mounts: [], rest: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { i++; break; }
    if (a === '-o') {
      if (i + 1 >= argv.length) throw new UsageError('-o needs a value', 2);
      o.out = argv[++i];
      continue;
    }
    if (!a.startsWith('--')) break;
    const [k, inline] = a.split('=', 2);
    const val = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) throw new UsageError(`${k} needs a value`, 2);
      return argv[++i];
    };
    if (k === '--tee') {
      const t = val();
      if (!(TEE_NAMES as readonly string[]).includes(t)) {
        throw new UsageError(TEES_NOT_BUILT.includes(t) ? `--tee ${t}: this platform model is not built yet (${TEE_NAMES.join(', ')} are)` : `unknown TEE '${t}' (keystone, sgx, sev)`, 2);
      }
      o.tee = t as TeeName;
    } else if (k === '--memory') o.memory = parseSize(val());
    else if (k === '--tcs') {
      const v = val();
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 64) throw new UsageError(`--tcs: 1..64, got '${v}'`, 2);
      o.tcs = Number(v);
    }
    else if (k === '--no-spare') o.noSpare = true;
    else if (k === '--data') {
      const h = val();
      o.data = parseHex(h, '--data');
      if (o.data.length > 64) throw new UsageError('--data: at most 64 bytes', 2);
      o.dataHex = toHex(o.data);
    } else if (k === '--expect') o.expect = parseHex(val(), '--expect');
    else if (k === '--output') o.out = val();
    else if (k === '--root') o.root = val();
    else if (k === '--mount') {
      try {
        o.mounts.push(parseMount(val()));
      } catch (e) {
        throw new UsageError(`--mount: ${(e as Error).message}`, 2);
      }
    } else if (k === '--untrusted-shared-memory') o.untrustedShm = true;
    else if (k === '--verbose') o.verbose = true;
    else if (k === '--trace') o.trace = true;
    else if (k === '--stats') o.stats = true;
    else if (k === '--jit') process.env.TEEOS_JIT = inline ?? '1'; // the machine Worker inherits it
    else if (k === '--no-jit') process.env.TEEOS_JIT = '0';
    else if (k === '--hostile') {
      try {
        o.hostile = parseHostile(val());
      } catch (e) {
        throw new UsageError(`--hostile: ${(e as Error).message}`, 2);
      }
    } else throw new UsageError(`unknown option ${k}\n${USAGE}`, 2);
  }
  o.rest = argv.slice(i);
  if (o.untrustedShm && o.tee !== 'sgx') throw new UsageError('--untrusted-shared-memory is an option of the sgx model (keystone and sev share memory inside one enclave)', 2);
  return o;
}

/** The build options MRENCLAVE covers (SGX): TCS count, untrusted shared memory. */
function platformOptions(o: Parsed): { tcs?: number; untrustedShm?: boolean } {
  return { ...(o.tcs !== undefined ? { tcs: o.tcs } : {}), ...(o.untrustedShm ? { untrustedShm: true } : {}) };
}

function parseHex(s: string, what: string): Uint8Array {
  const h = s.startsWith('0x') ? s.slice(2) : s;
  if (!/^([0-9a-fA-F]{2})*$/.test(h)) throw new UsageError(`${what}: not hex bytes: '${s}'`, 2);
  return Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
}

function log(line: string): void {
  process.stderr.write(`[teeos] ${line}\n`);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE + '\n');
    return cmd ? 0 : 2;
  }
  if (cmd === 'run') {
    const o = parseOptions(rest);
    if (o.rest.length === 0) throw new UsageError(`run: no program given\n${USAGE}`, 2);
    const env = Object.entries(process.env).filter(([k]) => k !== 'TEEOS_JIT').map(([k, v]) => `${k}=${v ?? ''}`);
    return runProgram({
      tee: o.tee, program: o.rest[0], args: o.rest.slice(1), env, memory: o.memory, trace: o.trace,
      verbose: o.verbose, stats: o.stats, hostile: o.hostile, distDir, services: new StdioServices(), log,
      ...(o.root !== undefined ? { root: o.root } : {}), mounts: o.mounts, ...platformOptions(o),
      ...(o.noSpare ? { spare: false } : {}),
    });
  }
  if (cmd === 'mkimage') {
    const oi = rest.indexOf('-o');
    const out = oi >= 0 ? rest[oi + 1] : undefined;
    const dirs = rest.filter((_, i) => oi < 0 || (i !== oi && i !== oi + 1));
    if (dirs.length !== 1 || !out) throw new UsageError(`mkimage: give DIR and -o IMAGE\n${USAGE}`, 2);
    let img;
    try {
      img = imageOfDir(dirs[0], log);
    } catch (e) {
      throw new UsageError((e as Error).message, 1);
    }
    writeFileSync(out, img.bytes);
    process.stdout.write(toHex(img.root) + '\n');
    return 0;
  }
  if (cmd === 'measure') {
    const o = parseOptions(rest);
    if (o.rest.length !== 1) throw new UsageError(`measure: give exactly one program\n${USAGE}`, 2);
    let root = null;
    try {
      root = o.root !== undefined ? prepareRoot(o.root, log) : null;
    } catch (e) {
      throw new UsageError((e as Error).message, 2);
    }
    try {
      const eapp = appWithRoot(readProgram(o.rest[0], o.memory), root, o.mounts);
      process.stdout.write(toHex(expectedMeasurement(o.tee, distDir, eapp, platformOptions(o))) + '\n');
    } finally {
      root?.cleanup();
    }
    return 0;
  }
  if (cmd === 'attest') {
    const o = parseOptions(rest);
    if (o.rest.length === 0) throw new UsageError(`attest: no program given\n${USAGE}`, 2);
    if (!o.data) throw new UsageError('attest: --data HEX is required', 2);
    if (!o.out) throw new UsageError('attest: -o REPORT is required', 2);
    const out = o.out;
    let report: Uint8Array | null = null;
    const env = Object.entries(process.env).filter(([k]) => k !== 'TEEOS_JIT').map(([k, v]) => `${k}=${v ?? ''}`);
    const status = await runProgram({
      tee: o.tee, program: o.rest[0], args: o.rest.slice(1), env, memory: o.memory, trace: o.trace,
      verbose: o.verbose, stats: o.stats, distDir, services: new StdioServices(), log,
      attestData: o.dataHex ?? '', onReport: (r) => { report = r; }, ...platformOptions(o),
    });
    if (!report) {
      log('attest: the enclave produced no report');
      return status === 0 ? 1 : status;
    }
    writeFileSync(out, report);
    if (o.verbose) log(`attest: wrote ${(report as Uint8Array).length} bytes to ${out}`);
    return status;
  }
  if (cmd === 'verify') {
    const o = parseOptions(rest);
    if (o.rest.length !== 1) throw new UsageError(`verify: give exactly one report file\n${USAGE}`, 2);
    if (!o.expect) throw new UsageError('verify: --expect MEASUREMENT is required', 2);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(o.rest[0]);
    } catch (e) {
      throw new UsageError(`${o.rest[0]}: ${(e as Error).message}`, 1);
    }
    const { verifyReport } = await import('./verify-report.ts');
    const r = verifyReport(o.tee, bytes, o.expect, o.data);
    if (r.ok) {
      process.stdout.write(`verified: ${o.tee} report, signature, measurement${o.data ? ' and report data' : ''} hold\n`);
      return 0;
    }
    process.stdout.write(`verification failed: ${r.reason}\n`);
    return 1;
  }
  throw new UsageError(`unknown command '${cmd}'\n${USAGE}`, 2);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`teeos: ${e.message}\n`);
      process.exit(e.exitStatus);
    }
    process.stderr.write(`teeos: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(70);
  },
);
