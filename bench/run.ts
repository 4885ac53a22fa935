// The benchmark suite: each bench/bin program under our OS (teeos run --stats), under
// qemu-riscv64 (same binary, same arguments) and as a native x86-64 build of the same
// source, side by side. Reports medians; never asserts on time.
//
//   node --import tsx bench/run.ts [--only NAME[,NAME]] [--reps N] [--quick | --full] [--tee T]
//
// Outputs of the three sides must be identical (a mismatch is an error: reported loudly,
// exit status 1). Writes bench/results/<date>-<sha>.json and bench/results/latest.json.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);

type Size = 'quick' | 'default' | 'full';

interface Bench {
  name: string;
  stresses: string;
  /** Arguments per size; `full` is the program's built-in default (0.3-1.5 s under qemu). */
  args: Record<Size, string[]>;
}

// `default` is sized for today's interpreter (the whole suite, --reps 3, in ~10 minutes on
// 2 cores); `full` is what each program does with no arguments (meant for the JIT).
export const BENCHES: Bench[] = [
  { name: 'sha256', stresses: 'hashing: 32-bit rotates/shifts/adds in long straight-line blocks',
    args: { quick: ['1'], default: ['10'], full: [] } },
  { name: 'sort', stresses: 'calls/returns, short blocks: fib recursion, quicksort, binary search',
    args: { quick: ['60000', '22'], default: ['1000000', '30'], full: [] } },
  { name: 'muldiv', stresses: '64-bit mul, mulh/mulhu, div/divu/rem/remu',
    args: { quick: ['1'], default: ['20'], full: [] } },
  { name: 'nbody', stresses: 'double precision: fadd/fmul/fdiv/fsqrt, fld/fsd',
    args: { quick: ['10000', '16'], default: ['150000', '48'], full: [] } },
  { name: 'chase', stresses: 'dependent loads over a 4-32 MiB working set (address translation)',
    args: { quick: ['4', '1'], default: ['32', '8'], full: [] } },
  { name: 'interp', stresses: 'a bytecode VM: indirect jumps (switch dispatch), small stack traffic',
    args: { quick: ['3000'], default: ['30000'], full: [] } },
];

interface Opts { only: string[] | null; reps: number; size: Size; tee: string }

function parseArgs(argv: string[]): Opts {
  const o: Opts = { only: null, reps: 3, size: 'default', tee: 'keystone' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--only') o.only = val().split(',').filter(Boolean);
    else if (a === '--reps') {
      o.reps = Number(val());
      if (!Number.isInteger(o.reps) || o.reps < 1) usage('--reps takes a positive integer');
    } else if (a === '--quick') o.size = 'quick';
    else if (a === '--full') o.size = 'full';
    else if (a === '--tee') o.tee = val();
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown option ${a}`);
  }
  if (o.only) {
    for (const n of o.only) if (!BENCHES.some((b) => b.name === n)) usage(`no benchmark ${n} (have: ${BENCHES.map((b) => b.name).join(', ')})`);
  }
  return o;
}

function usage(err?: string): never {
  if (err) process.stderr.write(`bench: ${err}\n`);
  process.stderr.write('usage: node --import tsx bench/run.ts [--only NAME[,NAME]] [--reps N] [--quick | --full] [--tee T]\n');
  process.exit(err ? 2 : 0);
}

interface RunResult { stdout: string; stderr: string; status: number | null; signal: string | null; seconds: number }

function runOnce(cmd: string, args: string[]): Promise<RunResult> {
  return new Promise((resolveP, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (status, signal) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      resolveP({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), status, signal, seconds });
    });
  });
}

type Side = 'ours' | 'qemu' | 'native';
const SIDES: Side[] = ['ours', 'qemu', 'native'];

function command(side: Side, name: string, args: string[], tee: string): [string, string[]] {
  const bin = `bench/bin/${name}`;
  switch (side) {
    case 'ours': return [process.execPath, ['bin/teeos.mjs', 'run', '--tee', tee, '--stats', bin, ...args]];
    case 'qemu': return ['qemu-riscv64', [bin, ...args]];
    case 'native': return [join(benchDir, '.native', name), args];
  }
}

const median = (xs: number[]): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const geomean = (xs: number[]): number => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);

interface Row {
  name: string;
  args: string[];
  ours: number; qemu: number; native: number;
  oursTimes: number[]; qemuTimes: number[]; nativeTimes: number[];
  oursPerQemu: number; oursPerNative: number; qemuPerNative: number;
  instructions: number | null; hostCalls: number | null;
  /** teeos's own --stats time (enclave start to exit, without node start-up), median. */
  oursStatsMs: number | null;
  oursMips: number | null; oursMipsExclStartup: number | null; qemuMipsApprox: number | null;
  outputsMatch: boolean;
  checksum: string;
  errors: string[];
}

const STATS_RE = /\[teeos\] stats: (\d+) instructions, (\d+) host calls, ([\d.]+) ms/;

interface Measured {
  /** Times of the successful runs only (a failed run is an error, never a time). */
  times: Record<Side, number[]>;
  /** Every run's stdout, in order. */
  outputs: Record<Side, string[]>;
  stats: { instr: number; hostCalls: number; ms: number }[];
  errors: string[];
  outputsMatch: boolean;
}

async function measure(name: string, args: string[], reps: number, tee: string, log: (s: string) => void): Promise<Measured> {
  const m: Measured = { times: { ours: [], qemu: [], native: [] }, outputs: { ours: [], qemu: [], native: [] }, stats: [], errors: [], outputsMatch: true };
  for (let r = 0; r < reps; r++) {
    // Interleave the sides per repetition so background noise spreads over all three.
    for (const side of SIDES) {
      const [cmd, argv] = command(side, name, args, tee);
      const res = await runOnce(cmd, argv);
      m.outputs[side].push(res.stdout);
      let ok = res.status === 0;
      if (!ok) {
        m.errors.push(`${side} (rep ${r + 1}): exit ${res.status ?? res.signal}; stderr:\n${res.stderr.trim().split('\n').slice(-20).map((l) => `    ${l}`).join('\n')}`);
      }
      if (side === 'ours') {
        const s = STATS_RE.exec(res.stderr);
        if (s) m.stats.push({ instr: Number(s[1]), hostCalls: Number(s[2]), ms: Number(s[3]) });
        else if (ok) { m.errors.push(`ours (rep ${r + 1}): no [teeos] stats line on stderr`); ok = false; }
      }
      if (ok) m.times[side].push(res.seconds);
      log(`  ${name} rep ${r + 1}/${reps} ${side}: ${res.seconds.toFixed(3)} s${ok ? '' : ' FAILED'}`);
    }
  }
  // Every run of every side must print the same bytes.
  const distinct = new Set(SIDES.flatMap((s) => m.outputs[s]));
  if (distinct.size !== 1) {
    m.outputsMatch = false;
    m.errors.push('OUTPUT MISMATCH: the runs did not all print the same output');
  }
  return m;
}

function shortOutput(s: string): string {
  const lines = s.trim().split('\n');
  return lines.length > 3 ? [...lines.slice(0, 3), '...'].join(' / ') : lines.join(' / ');
}

function fmt(x: number | null, digits: number): string {
  return x === null || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

function fmtInstr(n: number | null): string {
  if (n === null) return '-';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  return `${(n / 1e3).toFixed(1)} K`;
}

function table(rows: Row[]): string {
  const head = ['benchmark', 'args', 'ours (s)', 'qemu (s)', 'native (s)', 'ours/qemu', 'ours/native', 'guest instr', 'our MIPS', 'qemu MIPS~'];
  const body = rows.map((r) => [
    r.errors.length ? `${r.name} (ERROR)` : r.name, r.args.join(' ') || '(default)', fmt(r.ours, 2), fmt(r.qemu, 3), fmt(r.native, 3),
    `${fmt(r.oursPerQemu, 1)}x`, `${fmt(r.oursPerNative, 1)}x`, fmtInstr(r.instructions),
    fmt(r.oursMips, 1), fmt(r.qemuMipsApprox, 0),
  ]);
  const lines = [head, head.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`);
  return lines.join('\n');
}

function sh(cmd: string, args: string[]): string {
  try { return execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim(); } catch { return 'unknown'; }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const log = (s: string): void => { process.stderr.write(`${s}\n`); };

  // Native builds from the same sources (ignored folder); riscv binaries are the committed ones.
  execFileSync('make', ['-s', '-C', benchDir, 'native'], { stdio: 'inherit' });
  if (!existsSync(join(root, 'dist', 'teeos.mjs'))) {
    log('bench: dist/ is not built; run `npm install` (or `npm run build`) first');
    process.exit(70);
  }
  const selected = BENCHES.filter((b) => !o.only || o.only.includes(b.name));
  const t0 = Date.now();
  const load0 = loadavg();
  log(`bench: ${selected.map((b) => b.name).join(', ')}; size ${o.size}; ${o.reps} reps; tee ${o.tee}; load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);

  // Start-up: hello world on all three sides; our time includes node + enclave start-up.
  const hello = await measure('hello', [], o.reps, o.tee, log);
  let failed = hello.errors.length > 0;
  for (const e of hello.errors) log(`bench: ERROR hello: ${e}`);
  const startup = {
    ours: median(hello.times.ours), qemu: median(hello.times.qemu), native: median(hello.times.native),
    oursStatsMs: hello.stats.length ? median(hello.stats.map((s) => s.ms)) : null,
    instructions: hello.stats[0]?.instr ?? null,
  };
  log(`bench: start-up (hello): ours ${startup.ours.toFixed(3)} s (teeos --stats ${fmt(startup.oursStatsMs, 1)} ms), qemu ${startup.qemu.toFixed(3)} s, native ${startup.native.toFixed(3)} s`);

  const rows: Row[] = [];
  for (const b of selected) {
    const args = b.args[o.size];
    const m = await measure(b.name, args, o.reps, o.tee, log);
    const med = (xs: number[]): number => (xs.length ? median(xs) : NaN);
    const ours = med(m.times.ours), qemu = med(m.times.qemu), native = med(m.times.native);
    const instr = m.stats[0]?.instr ?? null;
    const row: Row = {
      name: b.name, args,
      ours, qemu, native,
      oursTimes: m.times.ours, qemuTimes: m.times.qemu, nativeTimes: m.times.native,
      oursPerQemu: ours / qemu, oursPerNative: ours / native, qemuPerNative: qemu / native,
      instructions: instr, hostCalls: m.stats[0]?.hostCalls ?? null,
      oursStatsMs: m.stats.length ? median(m.stats.map((s) => s.ms)) : null,
      oursMips: instr === null ? null : instr / ours / 1e6,
      oursMipsExclStartup: instr === null ? null : instr / Math.max(ours - startup.ours, 1e-3) / 1e6,
      qemuMipsApprox: instr === null ? null : instr / qemu / 1e6,
      outputsMatch: m.outputsMatch,
      checksum: shortOutput(m.outputs.qemu[0] ?? ''),
      errors: m.errors,
    };
    rows.push(row);
    if (m.errors.length) {
      failed = true;
      log(`\n!!!!!!!!!! bench: ERROR in ${b.name} !!!!!!!!!!`);
      for (const e of m.errors) log(`!!! ${e}`);
      if (!row.outputsMatch) for (const s of SIDES) m.outputs[s].forEach((o, i) => log(`!!! ${s} rep ${i + 1} stdout: ${JSON.stringify(o)}`));
      log('');
    }
    log(`bench: ${b.name}: ours ${ours.toFixed(2)} s, qemu ${qemu.toFixed(3)} s, native ${native.toFixed(3)} s, ours/qemu ${row.oursPerQemu.toFixed(1)}x; ${row.outputsMatch ? 'outputs identical' : 'OUTPUTS DIFFER'}`);
  }

  const valid = rows.filter((r) => !r.errors.length);
  const gmQemu = valid.length ? geomean(valid.map((r) => r.oursPerQemu)) : NaN;
  const gmNative = valid.length ? geomean(valid.map((r) => r.oursPerNative)) : NaN;
  const sha = sh('git', ['rev-parse', '--short', 'HEAD']);
  const date = new Date().toISOString();
  // The CPU tier "ours" ran with: TEEOS_JIT is passed through to teeos (unset = the default).
  const tier = process.env.TEEOS_JIT === undefined || process.env.TEEOS_JIT === '' ? 'default' : `TEEOS_JIT=${process.env.TEEOS_JIT}`;
  const text = [
    `TEE OS benchmarks, ${date.slice(0, 10)} (${sha}), tee ${o.tee}, CPU tier ${tier}, size ${o.size}, median of ${o.reps}`,
    '',
    table(rows),
    '',
    `geometric mean ours/qemu: ${fmt(gmQemu, 1)}x; ours/native: ${fmt(gmNative, 1)}x${valid.length < rows.length ? ` (over the ${valid.length} benchmarks without errors)` : ""}`,
    `start-up (hello world, included in "ours"): ours ${startup.ours.toFixed(3)} s (of which teeos --stats reports ${fmt(startup.oursStatsMs, 1)} ms from enclave creation to exit; the rest is node), qemu ${startup.qemu.toFixed(3)} s, native ${startup.native.toFixed(3)} s`,
    'times are wall-clock seconds of the whole process; our MIPS = guest instructions / our time;',
    'qemu MIPS~ is approximate: the same instruction count (the same binary and arguments) divided by qemu\'s time.',
  ].join('\n');
  process.stdout.write(`\n${text}\n`);

  const result = {
    date, gitSha: sha,
    /** Uncommitted changes outside bench/ (what dist/ was built from may differ from gitSha). */
    dirtyTree: sh('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench']).length > 0,
    tee: o.tee, cpuTier: tier, size: o.size, reps: o.reps,
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version,
      qemu: sh('qemu-riscv64', ['--version']).split('\n')[0], gcc: sh('gcc', ['-dumpfullversion']),
      riscvGcc: sh('riscv64-linux-gnu-gcc', ['-dumpfullversion']),
      loadAverageAtStart: load0, loadAverageAtEnd: loadavg(),
    },
    startup,
    rows,
    geomeanOursPerQemu: gmQemu, geomeanOursPerNative: gmNative,
    elapsedSeconds: (Date.now() - t0) / 1000,
    errors: failed,
    table: text,
  };
  const outDir = join(benchDir, 'results');
  mkdirSync(outDir, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  // A run with errors never replaces latest.json.
  const tierTag = tier === 'default' ? '' : `-jit${process.env.TEEOS_JIT}`;
  const name = `${date.slice(0, 10)}-${sha}${tierTag}${failed ? '-errors' : ''}.json`;
  writeFileSync(join(outDir, name), json);
  if (!failed) {
    const tmp = join(outDir, 'latest.json.tmp');
    writeFileSync(tmp, json);
    renameSync(tmp, join(outDir, 'latest.json'));
  }
  log(`bench: wrote bench/results/${name}${failed ? ' (not latest.json: this run had errors)' : ' and bench/results/latest.json'} (${result.elapsedSeconds.toFixed(0)} s)`);
  if (failed) {
    log('bench: ERRORS above (a failed run or outputs that differ): these numbers are not valid');
    process.exit(1);
  }
}

// Run only as the entry point (bench/profile.ts imports BENCHES).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
