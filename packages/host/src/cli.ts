/**
 * teeos: run an unmodified static riscv64 Linux program inside a TEE model.
 *
 *   teeos run [--tee keystone] [--memory 256M] [--verbose] [--trace] [--stats] PROGRAM [ARGS...]
 *   teeos measure [--tee keystone] [--memory 256M] PROGRAM
 */
import { runProgram, readProgram, keystoneFiles, UsageError } from './runner.ts';
import { StdioServices } from './stdio-services.ts';
import { KeystoneEnclave } from '@teeos/hal-keystone/host';
import { toHex } from '@teeos/hal-keystone/identity';

const USAGE = `usage:
  teeos run [--tee keystone] [--memory SIZE] [--verbose] [--trace] [--stats] PROGRAM [ARGS...]
  teeos measure [--tee keystone] PROGRAM

  --tee T        the TEE model: keystone (sgx and sev come with their platform models)
  --memory SIZE  enclave memory, e.g. 64M, 256M (default), 1G
  --verbose      print the enclave layout and measurement
  --trace        print every system call, strace-style
  --stats        print instructions, host calls and time at exit`;

const distDir = new URL('./', import.meta.url);

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s);
  if (!m) throw new UsageError(`bad memory size '${s}'`, 2);
  const mult = { '': 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
  const v = Number(m[1]) * mult;
  if (v < (4 << 20) || v > (2 << 30) || v % 4096 !== 0) throw new UsageError(`memory must be 4M..2G in whole pages, got '${s}'`, 2);
  return v;
}

interface Parsed {
  tee: 'keystone';
  memory: number;
  verbose: boolean;
  trace: boolean;
  stats: boolean;
  rest: string[];
}

function parseOptions(argv: string[]): Parsed {
  const o: Parsed = { tee: 'keystone', memory: 256 << 20, verbose: false, trace: false, stats: false, rest: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { i++; break; }
    if (!a.startsWith('--')) break;
    const [k, inline] = a.split('=', 2);
    const val = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) throw new UsageError(`${k} needs a value`, 2);
      return argv[++i];
    };
    if (k === '--tee') {
      const t = val();
      if (t !== 'keystone') {
        throw new UsageError(t === 'sgx' || t === 'sev' ? `--tee ${t}: this platform model is not built yet (keystone is)` : `unknown TEE '${t}' (keystone, sgx, sev)`, 2);
      }
      o.tee = t;
    } else if (k === '--memory') o.memory = parseSize(val());
    else if (k === '--verbose') o.verbose = true;
    else if (k === '--trace') o.trace = true;
    else if (k === '--stats') o.stats = true;
    else throw new UsageError(`unknown option ${k}\n${USAGE}`, 2);
  }
  o.rest = argv.slice(i);
  return o;
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
    const env = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`);
    return runProgram({
      tee: o.tee, program: o.rest[0], args: o.rest.slice(1), env, memory: o.memory, trace: o.trace,
      verbose: o.verbose, stats: o.stats, distDir, services: new StdioServices(), log,
    });
  }
  if (cmd === 'measure') {
    const o = parseOptions(rest);
    if (o.rest.length !== 1) throw new UsageError(`measure: give exactly one program\n${USAGE}`, 2);
    const eapp = readProgram(o.rest[0], o.memory);
    const e = new KeystoneEnclave(keystoneFiles(distDir, eapp), { machinePath: new URL('keystone-machine.mjs', distDir), epmSize: o.memory, utmSize: 1 });
    process.stdout.write(toHex(e.expectedMeasurement) + '\n');
    return 0;
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
