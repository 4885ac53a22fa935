// Real programs (tests/apps: busybox, dash, lua 5.4, sqlite3 from Debian's sources, built
// by scripts/build-apps) timed in the enclave beside qemu-riscv64 on the same workload.
// Reported, never asserted; every run's stdout and status are still compared with qemu's
// (a run that differs is marked, and its time is not a result).
//
//   node --import tsx bench/apps.ts [--tee T] [--reps N] [--tiers interp,jit] [NAME|PROGRAM ...]
//
// Each tier is `teeos run` with TEEOS_JIT=0 (interpreter) or TEEOS_JIT=1 (the JIT on hot
// code); medians of N repetitions (default 1; qemu always 3). Wall time of the whole
// process, so ours includes node start-up and enclave creation (~1 s). Writes
// bench/results/apps-latest-TEE.json (one file per platform model).
import { writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectWorkloads, whyNotRunnable, runQemu, runEnclave, type RunResult } from '../tests/apps/lib.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));
let tee = 'keystone';
let reps = 1;
let tiers = ['interp', 'jit'];
const names: string[] = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === '--tee') tee = argv[++i] ?? tee;
  else if (a === '--reps') reps = Math.max(1, Number(argv[++i]) || 1);
  else if (a === '--tiers') tiers = (argv[++i] ?? '').split(',').filter((t) => t === 'interp' || t === 'jit');
  else names.push(a);
}
const why = whyNotRunnable();
if (why) { console.error(`bench/apps: ${why}`); process.exit(2); }

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const same = (a: RunResult, b: RunResult): boolean => a.stdout === b.stdout && a.status === b.status && !a.timedOut;

interface Row { name: string; program: string; qemu_s: number; tiers: Record<string, { s: number | null; ratio: number | null; ok: boolean }> }
const rows: Row[] = [];
console.log(`apps bench on ${tee}, ${reps} rep(s), tiers ${tiers.join(', ')}; load ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cpus`);
console.log(`${'workload'.padEnd(22)}${'qemu s'.padStart(9)}${tiers.map((t) => `${(t + ' s').padStart(11)}${'x qemu'.padStart(9)}`).join('')}`);
for (const w of selectWorkloads(names.length ? names : null)) {
  const q: RunResult[] = [];
  for (let i = 0; i < 3; i++) q.push(await runQemu(w));
  const row: Row = { name: w.name, program: w.program, qemu_s: median(q.map((r) => r.ms)) / 1000, tiers: {} };
  for (const tier of tiers) {
    const saved = process.env.TEEOS_JIT;
    process.env.TEEOS_JIT = tier === 'jit' ? '1' : '0';
    const times: number[] = []; let ok = true;
    for (let i = 0; i < reps; i++) {
      const e = await runEnclave(w, tee);
      if (!same(e, q[0]!)) { ok = false; break; }
      times.push(e.ms);
    }
    if (saved === undefined) delete process.env.TEEOS_JIT; else process.env.TEEOS_JIT = saved;
    const s = ok ? median(times) / 1000 : null;
    row.tiers[tier] = { s, ratio: s === null ? null : s / row.qemu_s, ok };
  }
  rows.push(row);
  console.log(`${w.name.padEnd(22)}${row.qemu_s.toFixed(2).padStart(9)}${tiers.map((t) => {
    const r = row.tiers[t]!;
    return r.ok ? `${r.s!.toFixed(1).padStart(11)}${r.ratio!.toFixed(0).padStart(8)}x` : `${'differs'.padStart(11)}${''.padStart(9)}`;
  }).join('')}`);
}
let sha = 'unknown';
try { sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: benchDir, encoding: 'utf8' }).trim(); } catch { /* not a checkout */ }
mkdirSync(join(benchDir, 'results'), { recursive: true });
const out = `apps-latest-${tee}.json`;
writeFileSync(join(benchDir, 'results', out), JSON.stringify({
  date: new Date().toISOString(), commit: sha, tee, reps, load: loadavg()[0], cpus: cpus().length, rows,
}, null, 2) + '\n');
console.log(`wrote bench/results/${out}`);
