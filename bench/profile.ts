// Where the time goes: run one benchmark under our OS with `node --cpu-prof` and summarise
// the self time of the machine worker (the thread that runs the hart).
//
//   node --import tsx bench/profile.ts [NAME [ARGS...]] [--top N] [--tee T]
//
// (default: sha256 with its suite-size arguments). Profiles stay in bench/.prof/ (ignored);
// open them in Chrome DevTools for the call tree.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCHES } from './run.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfNode { id: number; callFrame: CallFrame; positionTicks?: { line: number; ticks: number }[] }
interface Profile { nodes: ProfNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const argv = process.argv.slice(2);
let top = 15;
let tee = 'keystone';
const pos: string[] = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--top') top = Number(argv[++i]);
  else if (argv[i] === '--tee') tee = argv[++i] ?? tee;
  else pos.push(argv[i]!);
}
const name = pos[0] ?? 'sha256';
const args = pos.length > 1 ? pos.slice(1) : (BENCHES.find((b) => b.name === name)?.args.default ?? []);

const dir = join(benchDir, '.prof', name);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
process.stderr.write(`profile: node --cpu-prof bin/teeos.mjs run --tee ${tee} --stats bench/bin/${name} ${args.join(' ')}\n`);
// dist/ can be rebuilt by someone else mid-run: keep the text the profile's line numbers refer to.
const distBefore = new Map<string, string>();
for (const f of readdirSync(join(root, 'dist')).filter((f) => f.endsWith('.mjs'))) distBefore.set(f, readFileSync(join(root, 'dist', f), 'utf8'));
execFileSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, 'bin/teeos.mjs', 'run', '--tee', tee, '--stats', `bench/bin/${name}`, ...args],
  { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

function fileOf(url: string): string {
  if (url.startsWith('file:')) return relative(root, fileURLToPath(url));
  if (url.startsWith('/')) return relative(root, url);
  // Enclave bundles are evaluated from enclave memory; their sourceURL line names them (scripts/build.mjs).
  if (url.startsWith('enclave:')) return `dist/${url.slice('enclave:'.length)} (in the enclave)`;
  return url;
}

function selfTimes(p: Profile): { total: number; byFn: Map<string, number> } {
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const byFn = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = nodes.get(p.samples[i]!)!;
    const dt = p.timeDeltas[i + 1] ?? 0; // the delta after a sample is the time spent in it
    const cf = n.callFrame;
    const file = fileOf(cf.url);
    const key = `${cf.functionName || '(anonymous)'}${file ? ` ${file}:${cf.lineNumber + 1}` : ''}`;
    byFn.set(key, (byFn.get(key) ?? 0) + dt);
    total += dt;
  }
  return { total, byFn };
}

// One profile per thread; the worker running the hart is the one with the most time in
// neither (idle) nor (program).
let best: { file: string; total: number; busy: number; byFn: Map<string, number>; prof: Profile } | null = null;
for (const f of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const prof = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile;
  const s = selfTimes(prof);
  const busy = s.total - (s.byFn.get('(idle)') ?? 0) - (s.byFn.get('(program)') ?? 0);
  process.stderr.write(`profile: ${f}: ${(s.total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy\n`);
  if (!best || busy > best.busy) best = { file: f, busy, prof, ...s };
}
if (!best) throw new Error('no .cpuprofile written');
const rows = [...best.byFn.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
process.stdout.write(`\nself time, ${name} ${args.join(' ')} (${best.file}, ${(best.total / 1e6).toFixed(2)} s sampled)\n\n`);
process.stdout.write('| self % | self (s) | function |\n| --- | --- | --- |\n');
for (const [k, us] of rows) process.stdout.write(`| ${(100 * us / best.total).toFixed(1)} | ${(us / 1e6).toFixed(2)} | ${k} |\n`);

// Inside the hottest function (the interpreter loop is one big function): ticks per source
// line, labelled with the nearest preceding `case N /* NAME */:` of the dispatch switch.
const hot = new Map<string, { cf: CallFrame; lines: Map<number, number> }>();
for (const n of best.prof.nodes) {
  if (!n.positionTicks || !n.callFrame.url.startsWith('file:')) continue;
  const key = `${n.callFrame.url}:${n.callFrame.lineNumber}`;
  const h = hot.get(key) ?? { cf: n.callFrame, lines: new Map<number, number>() };
  for (const t of n.positionTicks) h.lines.set(t.line, (h.lines.get(t.line) ?? 0) + t.ticks);
  hot.set(key, h);
}
function sum(m: Map<number, number>): number { let t = 0; for (const v of m.values()) t += v; return t; }
for (const hottest of [...hot.values()].sort((a, b) => sum(b.lines) - sum(a.lines)).slice(0, 2)) {
  const path = fileURLToPath(hottest.cf.url);
  const before = distBefore.get(relative(join(root, 'dist'), path));
  const now = readFileSync(path, 'utf8');
  if (before !== undefined && before !== now) process.stderr.write('profile: WARNING: dist/ was rebuilt during the run; the line labels below may be wrong (run again)\n');
  const src = (before ?? now).split('\n');
  const start = hottest.cf.lineNumber; // 0-based line of the function; ticks are 1-based
  const total = sum(hottest.lines);
  // Top-level `case N /* NAME */:` labels of the dispatch switch (nested switches ignored).
  const indent = (l: string): number => l.length - l.trimStart().length;
  let sw = start;
  while (sw < start + 200 && sw < src.length && !/^\s*switch \(op\) \{/.test(src[sw]!)) sw++;
  const hasSwitch = /^\s*switch \(op\) \{/.test(src[sw] ?? '');
  const swIndent = indent(src[sw] ?? '');
  const isCase = (l: string): RegExpExecArray | null => (indent(l) === swIndent + 2 ? /^\s*case \d+ \/\* (\w+) \*\//.exec(l) : null);
  const label = (line: number): string => {
    const i0 = line - 1;
    if (!hasSwitch) return '(function body)';
    if (i0 < sw) return '(loop head: budget check, page lookup, op/w/imm loads)';
    if (i0 === sw) return '(dispatch: switch (op))';
    const l = src[i0]!;
    if (l.trim() && indent(l) <= swIndent) return '(after the switch: n++, trap/exit paths)';
    for (let i = i0; i > sw; i--) {
      if (isCase(src[i]!)) {
        const names: string[] = [];
        let j = i;
        while (j > sw && isCase(src[j]!)) { names.unshift(isCase(src[j]!)![1]!); j--; }
        return names.length > 4 ? `${names.slice(0, 3).join('/')}/…/${names[names.length - 1]}` : names.join('/');
      }
    }
    return '?';
  };
  let pkg = '';
  for (let i = start; i >= 0; i--) { const m = /^\/\/ (packages\/\S+)/.exec(src[i]!); if (m) { pkg = m[1]!; break; } }
  const byLabel = new Map<string, number>();
  for (const [line, t] of hottest.lines) byLabel.set(label(line), (byLabel.get(label(line)) ?? 0) + t);
  process.stdout.write(`\ninside ${hottest.cf.functionName} (${fileOf(hottest.cf.url)}:${start + 1}, from ${pkg || '?'}): ${total} ticks\n\n`);
  if (hasSwitch) {
    process.stdout.write('| ticks % | where (case group of the dispatch switch) |\n| --- | --- |\n');
    for (const [l, t] of [...byLabel.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      process.stdout.write(`| ${(100 * t / total).toFixed(1)} | ${l} |\n`);
    }
  }
  process.stdout.write('\n| ticks % | line | source |\n| --- | --- | --- |\n');
  for (const [line, t] of [...hottest.lines.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`| ${(100 * t / total).toFixed(1)} | ${line} | \`${src[line - 1]!.trim().slice(0, 90).replace(/\|/g, '\\|')}\` |\n`);
  }
}
