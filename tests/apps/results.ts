// tests/apps/results.json: each suite's counts per platform, written by the runners
// (busybox-testsuite.ts --write, run.ts --write) and read by scripts/gen-compat.ts for
// docs/compatibility.md. Generated: never edit it by hand.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const resultsFile = join(dirname(fileURLToPath(import.meta.url)), 'results.json');

export interface Counts { pass: number; fail: number; skipped: number; total: number }
/** suite -> platform (qemu-riscv64, keystone, sev, sgx) -> counts */
export type Results = Record<string, Record<string, Counts>>;

export function readResults(): Results {
  return existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) as Results : {};
}

export function recordResult(suite: string, platform: string, c: Counts): void {
  const r = readResults();
  r[suite] = { ...r[suite], [platform]: c };
  // Sorted keys: a rerun that changes nothing leaves the file byte-identical.
  const sorted: Results = {};
  for (const s of Object.keys(r).sort()) {
    sorted[s] = {};
    for (const p of Object.keys(r[s]!).sort()) sorted[s]![p] = r[s]![p]!;
  }
  writeFileSync(resultsFile, JSON.stringify(sorted, null, 2) + '\n');
}
