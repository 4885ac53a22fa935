// Process-model latencies (bench/src/pmlat.c): fork+exit+wait, pthread create+join, futex
// ping-pong, signal round trip, timed inside the guest, in the enclave (teeos run) and under
// qemu-riscv64; prints each side's ns per operation and the ratio. Never asserts on time.
//
//   node --import tsx bench/pm.ts [--scale N] [--tee T]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const scale = arg('--scale', '1');
const tee = arg('--tee', 'keystone');
const bin = join(benchDir, 'bin', 'pmlat');

function parse(out: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of out.trim().split('\n')) {
    const [name, ns] = line.split(' ');
    if (name && ns) m.set(name, Number(ns));
  }
  return m;
}

function run(cmd: string, args: string[]): Map<string, number> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 1_800_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: status ${r.status}\n${r.stderr}`);
  return parse(r.stdout);
}

const enclave = run(process.execPath, [join(root, 'bin', 'teeos.mjs'), 'run', '--tee', tee, bin, scale]);
const qemu = run('qemu-riscv64', [bin, scale]);
console.log(`process-model latencies (scale ${scale}, ${tee}); ns per operation`);
console.log(`${'operation'.padEnd(20)} ${'enclave'.padStart(12)} ${'qemu'.padStart(12)} ${'ratio'.padStart(8)}`);
for (const [name, ns] of enclave) {
  const q = qemu.get(name) ?? NaN;
  console.log(`${name.padEnd(20)} ${ns.toFixed(0).padStart(12)} ${q.toFixed(0).padStart(12)} ${(ns / q).toFixed(1).padStart(7)}x`);
}
