// Real programs from Debian's sources (issue 7), built by scripts/build-apps into
// .cache/apps/bin: the workloads, and how one runs in the enclave and under qemu-riscv64.
// Used by tests/apps/apps.test.ts (CI), tests/apps/run.ts (by hand) and bench/apps.ts.
//
// Contract of a workload run (the same on both sides):
// - argv = [program, ...args]; a shell script is passed with -c, a Lua program and SQL on
//   stdin; nothing is read from the host's files;
// - the environment is exactly env() below: T is a scratch path the workload creates
//   itself (/tmp/teeos-app-NAME-PID-N: the enclave's /tmp is its own tmpfs; under qemu it
//   is the host's /tmp, removed afterwards), PATH is a directory of applet wrappers;
// - cwd is /; stdout and stderr are pipes; stdout and the exit status are compared,
//   stderr is only shown when they differ.
//
// qemu-user cannot execve a riscv64 binary on a host without binfmt_misc: busybox's
// execve("/proc/self/exe") (how FEATURE_SH_STANDALONE runs an applet that is neither
// NOFORK nor NOEXEC, e.g. sed, grep, tar) fails there with ENOEXEC and busybox falls back
// to $PATH. So on the qemu side PATH holds one host shell wrapper per applet,
// `exec qemu-riscv64 busybox APPLET "$@"`: binfmt_misc by hand. In the enclave the same
// PATH names a directory that does not exist, and /proc/self/exe is executed as on Linux.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../..');
export const appsBin = process.env.TEEOS_APPS_BIN
  ?? join(process.env.TEEOS_APPS_CACHE ?? join(repoRoot, '.cache/apps'), 'bin');
const teeos = join(repoRoot, 'bin/teeos.mjs');
const workloadDir = join(here, 'workloads');

export type Program = 'busybox' | 'dash' | 'lua' | 'sqlite3';
export const PROGRAMS: Program[] = ['busybox', 'dash', 'lua', 'sqlite3'];

export interface Workload {
  name: string;
  program: Program;
  /** What it exercises (for the reports). */
  what: string;
  /** Arguments after argv[0]; `T` is the scratch path. */
  args(T: string): string[];
  /** A file of tests/apps/workloads given as stdin (else empty), after stdinPrefix. */
  stdin?: string;
  stdinPrefix?: string;
  /** Why it cannot pass in the enclave yet: left out of CI (apps.test.ts skips it, saying
   * why); run.ts still runs it when named. */
  pending?: string;
  /** Forks (subshells, pipelines, background jobs, applets in a child): skipped, saying so,
   * on a platform whose kernel cannot fork yet (forkWorks below). */
  forks?: boolean;
}

const script = (f: string): string => readFileSync(join(workloadDir, f), 'utf8');

export const WORKLOADS: Workload[] = [
  { name: 'dash_hello', program: 'dash', what: 'dash -c: echo and a for loop',
    args: () => ['-c', 'echo hi; for i in 1 2 3; do echo $i; done'] },
  { name: 'dash_features', forks: true, program: 'dash',
    what: 'expansions, functions, case/loops, here-documents, command substitution, subshells, redirections, pipelines, set -e, getopts, background jobs and wait',
    args: () => ['-c', script('dash_features.sh'), 'dash_features'] },
  { name: 'dash_traps', forks: true, program: 'dash', what: 'traps (EXIT, USR1/USR2, ignored INT), children killed by HUP/TERM/KILL, wait statuses',
    args: () => ['-c', script('dash_traps.sh'), 'dash_traps'] },
  { name: 'busybox_sh', forks: true, program: 'busybox', what: 'ash: extensions, here-documents, pipelines of applets, background jobs, redirections, traps',
    args: () => ['sh', '-c', script('bb_sh.sh'), 'bb_sh'] },
  { name: 'busybox_applets', forks: true, program: 'busybox', what: 'ls -l, sort, awk, sed, grep, diff, find | xargs, tar, gzip, md5sum, cp/mv/rm, stat',
    args: () => ['sh', '-c', script('bb_applets.sh'), 'bb_applets'] },
  { name: 'lua_libs', program: 'lua', what: 'string, table, math, coroutine, io (files under /tmp), os, utf8, errors, metatables',
    args: (T) => ['-', T], stdin: 'lua_libs.lua' },
  { name: 'lua_compute', program: 'lua', what: 'CPU-bound: recursion, a sieve, string building, sorting, GC',
    args: () => ['-'], stdin: 'lua_compute.lua' },
  { name: 'sqlite_workload', program: 'sqlite3', what: '100,000 inserts in one transaction, indexes, joins, aggregates, window functions, rollback, VACUUM, integrity_check',
    args: (T) => [`${T}.db`], stdin: 'sqlite_workload.sql' },
  { name: 'sqlite_wal', program: 'sqlite3', what: 'WAL mode (-wal, the -shm wal-index mmap MAP_SHARED, locks), checkpoints, savepoints, back to DELETE mode',
    args: (T) => [`${T}.db`], stdin: 'sqlite_wal.sql' },
  { name: 'sqlite_wal_exclusive', program: 'sqlite3', what: 'the same WAL workload with locking_mode EXCLUSIVE (the wal-index on the heap: no -shm mmap)',
    args: (T) => [`${T}.db`], stdinPrefix: 'PRAGMA locking_mode = EXCLUSIVE;\n', stdin: 'sqlite_wal.sql' },
];

const forkProbe = new Map<string, Promise<boolean>>();
/** Whether the enclave on this platform can fork (sgx could not, before its fork landed):
 * a command substitution in dash, which forks a child for the subshell. */
export function forkWorks(tee: string): Promise<boolean> {
  let p = forkProbe.get(tee);
  if (!p) {
    const probe: Workload = { name: 'fork_probe', program: 'dash', what: 'fork probe', args: () => ['-c', 'x=$(echo forked); echo $x'] };
    p = runEnclave(probe, tee, 120_000).then((r) => r.status === 0 && r.stdout === 'forked\n');
    forkProbe.set(tee, p);
  }
  return p;
}

/** Why the app workloads cannot run here, or null when they can. */
export function whyNotRunnable(): string | null {
  for (const p of PROGRAMS) {
    if (!existsSync(join(appsBin, p))) return `no ${join(appsBin, p)} (run scripts/build-apps)`;
  }
  if (spawnSync('qemu-riscv64', ['--version']).status !== 0) return 'no qemu-riscv64 (apt-get install qemu-user)';
  return null;
}

export interface RunResult { stdout: string; stderr: string; status: number | null; signal: string | null; ms: number; timedOut: boolean }

let counter = 0;
function scratch(name: string): string { return `/tmp/teeos-app-${name}-${process.pid}-${++counter}`; }

let qemuBin: string | null = null;
/** qemu-riscv64's absolute path (the workloads' environment has no useful PATH). */
export function qemuPath(): string {
  qemuBin ??= spawnSync('sh', ['-c', 'command -v qemu-riscv64'], { encoding: 'utf8' }).stdout.trim() || 'qemu-riscv64';
  return qemuBin;
}

let wrapperDir: string | null = null;
/** The qemu side's PATH: one wrapper per busybox applet (see the header). */
export function qemuPathDir(): string {
  if (wrapperDir) return wrapperDir;
  const dir = mkdtempSync(join(tmpdir(), 'teeos-apps-path-'));
  const qemu = qemuPath();
  const busybox = join(appsBin, 'busybox');
  writeFileSync(join(dir, '.applet'), `#!/bin/sh\nexec ${qemu} ${busybox} "\${0##*/}" "$@"\n`, { mode: 0o755 });
  const list = spawnSync(qemu, [busybox, '--list'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const a of list) symlinkSync('.applet', join(dir, a));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  wrapperDir = dir;
  return dir;
}

function env(T: string): Record<string, string> {
  return { PATH: qemuPathDir(), T, HOME: '/tmp', TZ: 'UTC', TEEOS_APP_VAR: 'from-the-runner' };
}

function run(cmd: string, argv: string[], w: Workload, envv: Record<string, string>, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolvePromise) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd: '/', env: envv, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = []; const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => { /* the program may exit without reading */ });
    child.stdin.end(Buffer.concat([Buffer.from(w.stdinPrefix ?? ''), w.stdin ? readFileSync(join(workloadDir, w.stdin)) : Buffer.alloc(0)]));
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('error', (e) => err.push(Buffer.from(`spawn ${cmd}: ${e.message}\n`)));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolvePromise({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), status, signal, ms: performance.now() - t0, timedOut });
    });
  });
}

/** The workload under qemu-riscv64 (its scratch files removed afterwards). */
export async function runQemu(w: Workload, timeoutMs = 120_000, T = scratch(w.name)): Promise<RunResult> {
  try {
    return await run(qemuPath(), [join(appsBin, w.program), ...w.args(T)], w, env(T), timeoutMs);
  } finally {
    for (const f of readdirSync('/tmp')) {
      if (f === T.slice(5) || f.startsWith(T.slice(5) + '.')) rmSync(join('/tmp', f), { recursive: true, force: true });
    }
  }
}

/**
 * The workload in the enclave: `teeos run --tee T` (the node running this process).
 * SGX: each process is its own enclave with its own tmpfs (docs/sgx-fork.md), so for a
 * workload that forks the scratch directory its processes share is a host directory mounted
 * at /tmp (removed afterwards), as a Gramine manifest mounts one.
 */
export async function runEnclave(w: Workload, tee = 'keystone', timeoutMs = 900_000, extra: string[] = [], T = scratch(w.name)): Promise<RunResult> {
  // TEEOS_JIT picks the CPU tier; the CLI reads it and keeps it out of the guest's environment.
  const e = process.env.TEEOS_JIT !== undefined ? { ...env(T), TEEOS_JIT: process.env.TEEOS_JIT } : env(T);
  const shared = tee === 'sgx' && w.forks ? mkdtempSync(join(tmpdir(), 'teeos-apps-sgx-')) : null;
  try {
    if (shared) chmodSync(shared, 0o777); // the enclave's uid writes here
    const mount = shared ? ['--mount', `${shared}:/tmp`] : [];
    return await run(process.execPath, [teeos, 'run', '--tee', tee, ...mount, ...extra, join(appsBin, w.program), ...w.args(T)], w, e, timeoutMs);
  } finally {
    if (shared) rmSync(shared, { recursive: true, force: true });
  }
}

export function selectWorkloads(names: string[] | null): Workload[] {
  if (!names) return WORKLOADS;
  const bad = names.filter((n) => !WORKLOADS.some((w) => w.name === n || w.program === n));
  if (bad.length) throw new Error(`unknown workload(s): ${bad.join(', ')} (have ${WORKLOADS.map((w) => w.name).join(', ')})`);
  return WORKLOADS.filter((w) => names.includes(w.name) || names.includes(w.program));
}

export function ensureDir(d: string): void { mkdirSync(d, { recursive: true }); }
