// Runs the app workloads (tests/apps/lib.ts) in the enclave and under qemu-riscv64 and
// compares stdout and exit status; prints one line per workload, and the first lines of
// each difference.
//
//   node --import tsx tests/apps/run.ts [--tee T] [--jobs N] [-v] [--write] [NAME|PROGRAM ...]
//
// --write: pending workloads and, on a platform that cannot fork, forking ones are skipped
// as in apps.test.ts, and the counts go to tests/apps/results.json (suite apps-workloads,
// or "apps-workloads (NAMES)" for a subset; gen-compat puts them in docs/compatibility.md).
// Exits 1 when any workload differs, 2 when the binaries or qemu are missing.
import { selectWorkloads, whyNotRunnable, runQemu, runEnclave, forkWorks, type Workload, type RunResult } from './lib.ts';
import { recordResult } from './results.ts';

let tee = 'keystone';
let jobs = 2;
let verbose = false;
let write = false;
const names: string[] = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === '--tee') tee = argv[++i] ?? 'keystone';
  else if (a === '--jobs') jobs = Math.max(1, Number(argv[++i]) || 1);
  else if (a === '-v') verbose = true;
  else if (a === '--write') write = true;
  else names.push(a);
}

const why = whyNotRunnable();
if (why) { console.error(`apps: ${why}`); process.exit(2); }

function firstDiff(a: string, b: string): string {
  const la = a.split('\n'); const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}:\n    enclave: ${JSON.stringify(la[i])}\n    qemu:    ${JSON.stringify(lb[i])}`;
  }
  return '(identical)';
}

async function one(w: Workload): Promise<boolean> {
  const q: RunResult = await runQemu(w);
  const e: RunResult = await runEnclave(w, tee);
  const same = e.stdout === q.stdout && e.status === q.status && !e.timedOut;
  const line = `${same ? 'PASS' : 'FAIL'} ${w.name.padEnd(18)} enclave ${String(e.status).padStart(3)} ${(e.ms / 1000).toFixed(1).padStart(6)} s   qemu ${String(q.status).padStart(3)} ${(q.ms / 1000).toFixed(2).padStart(6)} s`;
  console.log(line);
  if (!same) {
    console.log(`  ${e.timedOut ? 'timed out; ' : ''}status enclave ${e.status}/${e.signal} qemu ${q.status}/${q.signal}; stdout ${firstDiff(e.stdout, q.stdout)}`);
    console.log(`  enclave stderr: ${e.stderr.slice(0, 1500).replace(/\n/g, '\n    ')}`);
  }
  if (verbose) console.log(`  qemu stderr: ${q.stderr.slice(0, 800)}\n  enclave stderr: ${e.stderr.slice(0, 800)}`);
  return same;
}

let list = selectWorkloads(names.length ? names : null);
let skipped = 0;
if (write) {
  const canFork = await forkWorks(tee);
  const keep = list.filter((w) => !w.pending && (canFork || !w.forks));
  for (const w of list) if (!keep.includes(w)) console.log(`SKIP ${w.name.padEnd(18)} ${w.pending ? `pending: ${w.pending.slice(0, 60)}...` : `${tee} cannot fork yet`}`);
  skipped = list.length - keep.length; list = keep;
}
let next = 0; let failed = 0;
await Promise.all(Array.from({ length: Math.min(jobs, list.length) }, async () => {
  while (next < list.length) { const w = list[next++]!; if (!(await one(w))) failed++; }
}));
console.log(`apps on ${tee}: ${list.length - failed} passed, ${failed} failed${write ? `, ${skipped} skipped` : ''}`);
if (write) recordResult(names.length ? `apps-workloads (${names.join(', ')})` : 'apps-workloads', tee, { pass: list.length - failed, fail: failed, skipped, total: list.length + skipped });
process.exit(failed ? 1 : 0);
