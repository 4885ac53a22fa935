/**
 * Platform models compared: for each TEE model, hello world start-to-exit wall time (median of
 * 5 runs of `teeos run`, a fresh process each: machine start, launch and measurement included),
 * and the host-call round trip: tests/guest/bin/hostcall does write(2) of 1 byte to fd 1 (the
 * host's /dev/null) N times; per-call time = (t(N) - t(0)) / N, medians of 3.
 *
 *   node --import tsx bench/platforms.ts [N]
 * Reported, never asserted (DESIGN.md section 7).
 */
import { spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const hello = fileURLToPath(new URL('../tests/guest/bin/hello', import.meta.url));
const hostcall = fileURLToPath(new URL('../tests/guest/bin/hostcall', import.meta.url));
const N = Number(process.argv[2] ?? 20000);
const PLATFORMS = ['keystone', 'sev', 'sgx'];
const devnull = openSync('/dev/null', 'w');

function wall(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [teeos, 'run', ...args], { stdio: ['ignore', devnull, 'pipe'], timeout: 600_000 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`teeos run ${args.join(' ')}: status ${r.status}\n${r.stderr}`);
  return ms;
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

console.log(`platform   hello (median of 5)   host call write(1 byte) (N=${N})`);
for (const tee of PLATFORMS) {
  const h = median(Array.from({ length: 5 }, () => wall(['--tee', tee, hello])));
  const t0 = median(Array.from({ length: 3 }, () => wall(['--tee', tee, hostcall, '0'])));
  const tn = median(Array.from({ length: 3 }, () => wall(['--tee', tee, hostcall, String(N)])));
  const us = ((tn - t0) * 1000) / N;
  console.log(`${tee.padEnd(10)} ${(h.toFixed(0) + ' ms').padStart(10)}            ${us.toFixed(1)} us/call`);
}
