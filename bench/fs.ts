// File and pipe throughput (bench/src/fsio.c) in the enclave beside qemu-riscv64 running the
// same binary: tmpfs write/read MB/s, a MAP_SHARED file touched page by page, pipe MB/s
// between two processes, small-file create+stat+unlink per second. Each side measures
// inside the guest (CLOCK_MONOTONIC), so node start-up and enclave creation are not in the
// numbers. Reported as ratios (qemu / ours: how many times faster qemu is), never asserted.
// qemu's files are the host's (/tmp on the host's file system, through its page cache);
// ours are the enclave's tmpfs.
//
//   node --import tsx bench/fs.ts [--tee T] [--reps N] [--mb MB] [--files N]
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const bin = join(benchDir, 'bin', 'fsio');
const teeos = join(benchDir, '..', 'bin', 'teeos.mjs');
let tee = 'keystone', reps = 3, mb = 16, files = 1000;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === '--tee') tee = argv[++i] ?? tee;
  else if (a === '--reps') reps = Math.max(1, Number(argv[++i]) || 1);
  else if (a === '--mb') mb = Math.max(1, Number(argv[++i]) || mb);
  else if (a === '--files') files = Math.max(1, Number(argv[++i]) || files);
}
if (spawnSync('qemu-riscv64', ['--version']).status !== 0) { console.error('bench/fs: no qemu-riscv64'); process.exit(2); }

function parse(out: string): { metrics: Map<string, [number, string]>; checksum: string } {
  const metrics = new Map<string, [number, string]>();
  let checksum = '';
  for (const line of out.split('\n')) {
    const [k, v, unit] = line.split(' ');
    if (k === 'checksum') checksum = v ?? '';
    else if (k && v && unit) metrics.set(k, [Number(v), unit]);
  }
  return { metrics, checksum };
}
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

const runs = { qemu: [] as ReturnType<typeof parse>[], ours: [] as ReturnType<typeof parse>[] };
for (let i = 0; i < reps; i++) {
  runs.qemu.push(parse(execFileSync('qemu-riscv64', [bin, String(mb), String(files)], { encoding: 'utf8' })));
  runs.ours.push(parse(execFileSync(process.execPath, [teeos, 'run', '--tee', tee, bin, String(mb), String(files)], { encoding: 'utf8' })));
}
const sums = new Set([...runs.qemu, ...runs.ours].map((r) => r.checksum));
console.log(`fs bench on ${tee}: ${mb} MiB, ${files} small files, median of ${reps}${sums.size === 1 ? '' : '  (CHECKSUMS DIFFER: results invalid)'}`);
console.log(`${'measurement'.padEnd(20)}${'qemu'.padStart(12)}${'ours'.padStart(12)}  unit       qemu/ours`);
for (const [k, [, unit]] of runs.qemu[0]!.metrics) {
  const q = median(runs.qemu.map((r) => r.metrics.get(k)![0]));
  const o = median(runs.ours.map((r) => r.metrics.get(k)![0]));
  console.log(`${k.padEnd(20)}${q.toFixed(1).padStart(12)}${o.toFixed(1).padStart(12)}  ${unit.padEnd(10)} ${(q / o).toFixed(1).padStart(8)}x`);
}
