// CPU differential test: random RV64GC sequences on qemu-riscv64 and on our hart.
//
//   node --import tsx tests/diff/run.ts --count 10000 --seed N [--jobs 2] [--per-elf 250]
//   node --import tsx tests/diff/run.ts --seed N --only K [--minimize]     (one sequence)
//   --jit: run our hart with the JIT forced on (every page translated); --jit=hot: JIT at its thresholds
//
// Exit status: 0 all sequences agree, 1 mismatches, 2 usage / environment error.

import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, openSync, closeSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, subsequence, type Sequence } from './gen.ts';
import { buildElf, parseOutput, slotName, REC_SLOTS, REC_SIZE, MARKER_SYSCALL, type ElfImage } from './elf.ts';
import { BareMachine, setBareJit, type TrapInfo } from './bare.ts';

export const QEMU = process.env.QEMU_RISCV64 ?? 'qemu-riscv64';
const OBJDUMP = 'riscv64-linux-gnu-objdump';

export function qemuAvailable(): boolean {
  const r = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

export interface DiffOptions {
  seed: number;
  count: number;
  first?: number; // first sequence index
  only?: number[]; // explicit sequence indices
  jobs?: number;
  perElf?: number;
  maxReport?: number;
  minimize?: boolean;
  log?: (s: string) => void;
  keepDir?: string;
}

export interface Mismatch {
  index: number;
  kind: 'state' | 'trap' | 'hang' | 'crash' | 'qemu';
  text: string; // full report
  summary: string; // one line
}

export interface DiffResult {
  seed: number;
  total: number;
  agree: number;
  mismatches: Mismatch[];
  genMs: number;
  qemuMs: number; // sum of per-process wall times
  qemuWallMs: number; // wall time of the qemu phase (parallel)
  hartMs: number;
  hartInsns: number;
}

interface HartRun {
  recs: bigint[][];
  problems: Map<number, { kind: 'trap' | 'hang' | 'crash'; trap?: TrapInfo; pc?: bigint; message?: string }>;
  instret: number;
  ms: number;
  stop: string;
}

/** Runs the ELF on our hart; unexpected traps, hangs and exceptions skip to the next sequence. */
export function runHart(img: ElfImage): HartRun {
  let cur = 0; // sequence currently running (markers have been seen for 0..cur-1)
  const problems: HartRun['problems'] = new Map();
  const recs: bigint[][] = [];
  const nextStart = (): bigint => BigInt(cur + 1 < img.nSeq ? img.seqStart[cur + 1] : img.exitStub);
  const t0 = performance.now();
  let instret = 0;
  let stop = '';
  while (cur <= img.nSeq) {
    const m = new BareMachine(img.bytes);
    if (cur > 0) m.hart.setPC(BigInt(cur < img.nSeq ? img.seqStart[cur] : img.exitStub));
    const r = m.run({
      markerSyscall: MARKER_SYSCALL,
      onMarker: (a0) => {
        const i = Number(a0);
        if (i >= 0 && i < img.nSeq) recs[i] = parseOutput(m.read(img.outAddr + i * REC_SIZE, REC_SIZE), 1)[0];
        cur = i + 1;
      },
      onTrap: (t) => {
        if (!problems.has(cur)) problems.set(cur, { kind: 'trap', trap: t });
        const n = nextStart();
        cur++;
        return cur > img.nSeq ? null : n;
      },
      hangBudget: 200_000,
      onHang: (pc) => {
        if (!problems.has(cur)) problems.set(cur, { kind: 'hang', pc });
        const n = nextStart();
        cur++;
        return cur > img.nSeq ? null : n;
      },
      maxInsns: 50_000_000 + img.nSeq * 100_000,
    });
    instret += r.instret;
    if (!r.crashed) { stop = r.exitCode === 0 ? '' : r.stopReason || `exit ${r.exitCode}`; break; }
    // the hart threw: record it, and go on with the next sequence on a fresh hart
    if (!problems.has(cur)) problems.set(cur, { kind: 'crash', message: r.stopReason });
    cur++;
  }
  return { recs, problems, instret, ms: performance.now() - t0, stop };
}

function runQemuAsync(path: string, outPath: string): Promise<{ ms: number; status: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const fd = openSync(outPath, 'w');
    const t0 = performance.now();
    const p = spawn(QEMU, [path], { stdio: ['ignore', fd, 'pipe'] });
    let stderr = '';
    p.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('error', (e) => { stderr += String(e); });
    p.on('close', (status, signal) => {
      closeSync(fd);
      resolve({ ms: performance.now() - t0, status, signal, stderr });
    });
  });
}

function runQemuSync(path: string): { out: Uint8Array; ok: boolean; why: string } {
  const r = spawnSync(QEMU, [path], { maxBuffer: 1 << 28 });
  const ok = r.status === 0 && !r.error;
  return { out: new Uint8Array(r.stdout ?? []), ok, why: ok ? '' : `status ${r.status} signal ${r.signal} ${r.stderr?.toString() ?? ''} ${r.error ?? ''}` };
}

// ---------------- reporting ----------------
const hex = (v: bigint): string => '0x' + v.toString(16).padStart(16, '0');

function fpDesc(v: bigint): string {
  const b = new DataView(new ArrayBuffer(8));
  if (v >> 32n === 0xffffffffn) {
    b.setUint32(0, Number(v & 0xffffffffn));
    return `f32 ${b.getFloat32(0)}`;
  }
  b.setBigUint64(0, v);
  return `f64 ${b.getFloat64(0)}`;
}
function fcsrDesc(v: bigint): string {
  const n = Number(v & 0xffn);
  const fl = ['NX', 'UF', 'OF', 'DZ', 'NV'].filter((_, i) => n & (1 << i)).join('|') || '-';
  return `frm=${n >> 5} flags=${fl}${v >> 8n ? ` upper=0x${(v >> 8n).toString(16)}` : ''}`;
}
export function slotValue(k: number, v: bigint): string {
  if (k >= 32 && k < 64) return `${hex(v)} (${fpDesc(v)})`;
  if (k === 64) return `${hex(v)} (${fcsrDesc(v)})`;
  if (k === 0) return hex(v);
  return `${hex(v)} (${BigInt.asIntN(64, v)})`;
}

export function disassemble(s: Sequence, vma: number): string {
  try {
    const dir = mkdtempSync(join(tmpdir(), 'diffdis-'));
    const f = join(dir, 'seq.bin');
    writeFileSync(f, s.bytes);
    const out = execFileSync(OBJDUMP, ['-D', '-b', 'binary', '-m', 'riscv:rv64', '-M', 'no-aliases,numeric', `--adjust-vma=0x${vma.toString(16)}`, f], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    const lines = out.split('\n').filter((l) => /^\s+[0-9a-f]+:\s/.test(l));
    return lines.map((l) => '    ' + l.trim().replace(/\t/g, '  ')).join('\n');
  } catch {
    let pc = vma;
    return s.code.map((i) => { const l = `    ${pc.toString(16)}:  ${i.enc.toString(16).padStart(i.size * 2, '0')}  ${i.asm}`; pc += i.size; return l; }).join('\n');
  }
}

function usedRegs(s: Sequence): string {
  const xs = new Set<number>();
  const fs = new Set<number>();
  for (const i of s.code) {
    for (const m of i.asm.matchAll(/\bx(\d+)\b/g)) xs.add(Number(m[1]));
    for (const m of i.asm.matchAll(/\bf(\d+)\b/g)) fs.add(Number(m[1]));
  }
  const parts: string[] = [];
  for (const r of [...xs].sort((a, b) => a - b)) if (r !== 0 && r !== 2 && r !== 9 && r !== 27) parts.push(`x${r}=${hex(s.init.x[r])}`);
  for (const r of [...fs].sort((a, b) => a - b)) parts.push(`f${r}=${hex(s.init.f[r])} (${fpDesc(s.init.f[r])})`);
  parts.push(`fcsr=0x${s.init.fcsr.toString(16)} (${fcsrDesc(BigInt(s.init.fcsr))})`);
  return parts.map((p) => '    ' + p).join('\n');
}

function insnAt(s: Sequence, body: number, pc: bigint): string {
  let p = BigInt(body);
  for (const i of s.code) {
    if (p === pc) return i.asm;
    p += BigInt(i.size);
  }
  return pc >= BigInt(body) && pc < p ? '(middle of an instruction)' : '(outside the sequence body: prologue/epilogue or wild jump)';
}

const CAUSES: Record<string, string> = { '0': 'insn misaligned', '1': 'insn access fault', '2': 'illegal instruction', '4': 'load misaligned', '5': 'load access fault', '6': 'store/AMO misaligned', '7': 'store/AMO access fault', '12': 'insn page fault', '13': 'load page fault', '15': 'store page fault' };

/** Compares one sequence; returns null if both sides agree. */
function compareOne(s: Sequence, body: number, q: bigint[] | undefined, h: bigint[] | undefined, prob: HartRun['problems'] extends Map<number, infer P> ? P | undefined : never, seed: number): Mismatch | null {
  const repro = `node --import tsx tests/diff/run.ts --seed ${seed} --only ${s.index} --minimize`;
  const head = (what: string): string => `MISMATCH seq ${s.index} (seed ${seed}): ${what}`;
  if (!q) return { index: s.index, kind: 'qemu', summary: head('no qemu output'), text: head('no qemu output') };
  let text = '';
  let summary = '';
  let kind: Mismatch['kind'] = 'state';
  if (prob) {
    kind = prob.kind;
    if (prob.kind === 'trap' && prob.trap) {
      const t = prob.trap;
      summary = head(`hart trapped: mcause=${t.mcause} (${CAUSES[String(t.mcause)] ?? '?'}) at ${hex(t.mepc)} [${insnAt(s, body, t.mepc)}] mtval=${hex(t.mtval)}`);
    } else if (prob.kind === 'crash') summary = head(`hart threw: ${prob.message}`);
    else summary = head(`hart made no progress (pc=${prob.pc !== undefined ? hex(prob.pc) : '?'})`);
    text = summary + '\n';
  } else {
    if (!h) return { index: s.index, kind: 'state', summary: head('no hart output'), text: head('no hart output') };
    const diffs: number[] = [];
    for (let k = 0; k < REC_SLOTS; k++) if (q[k] !== h[k]) diffs.push(k);
    if (!diffs.length) return null;
    const k = diffs[0];
    summary = head(`${slotName(k)}: qemu ${slotValue(k, q[k])}  hart ${slotValue(k, h[k])}`);
    text = summary + '\n';
    if (diffs.length > 1) text += `  also differ: ${diffs.slice(1).map((d) => `${slotName(d)} (qemu ${hex(q[d])} hart ${hex(h[d])})`).join(', ')}\n`;
  }
  text += `  sequence (${s.nInsns} instructions):\n${disassemble(s, body)}\n`;
  text += `  initial state of the registers it names:\n${usedRegs(s)}\n`;
  text += `  reproduce: ${repro}\n`;
  return { index: s.index, kind, text, summary };
}

// ---------------- single sequence (reproduce / minimize) ----------------
function singleRun(s: Sequence, dir: string, seed: number): { mm: Mismatch | null; qemuFail: string } {
  const img = buildElf([s]);
  const p = join(dir, `one-${s.index}.elf`);
  writeFileSync(p, img.bytes);
  chmodSync(p, 0o755);
  const q = runQemuSync(p);
  if (!q.ok) return { mm: null, qemuFail: q.why };
  const h = runHart(img);
  const qr = parseOutput(q.out, 1);
  return { mm: compareOne(s, img.bodyStart[0], qr[0], h.recs[0], h.problems.get(0), seed), qemuFail: '' };
}

export function minimize(s: Sequence, dir: string, seed: number): Sequence {
  let cur = s;
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = cur.blocks.length - 1; i >= 0; i--) {
      if (cur.blocks.length <= 1) break;
      const keep = cur.blocks.map((_, j) => j !== i);
      const cand = subsequence(cur, keep);
      const r = singleRun(cand, dir, seed);
      if (r.mm && !r.qemuFail) { cur = cand; changed = true; }
    }
  }
  return cur;
}

// ---------------- the whole run ----------------
export async function runDiff(o: DiffOptions): Promise<DiffResult> {
  const log = o.log ?? ((s: string) => process.stdout.write(s + '\n'));
  const jobs = Math.max(1, o.jobs ?? 2);
  const perElf = Math.max(1, o.perElf ?? 250);
  const maxReport = o.maxReport ?? 20;
  const indices = o.only ?? Array.from({ length: o.count }, (_, i) => (o.first ?? 0) + i);
  const dir = o.keepDir ?? mkdtempSync(join(tmpdir(), 'teeos-diff-'));
  const res: DiffResult = { seed: o.seed, total: 0, agree: 0, mismatches: [], genMs: 0, qemuMs: 0, qemuWallMs: 0, hartMs: 0, hartInsns: 0 };

  // generate all batches
  interface Batch { seqs: Sequence[]; img: ElfImage; path: string; out: string }
  const batches: Batch[] = [];
  let t0 = performance.now();
  for (let b = 0; b < indices.length; b += perElf) {
    const seqs = indices.slice(b, b + perElf).map((i) => generate(o.seed, i));
    const img = buildElf(seqs);
    const path = join(dir, `b${b / perElf}.elf`);
    writeFileSync(path, img.bytes);
    chmodSync(path, 0o755);
    batches.push({ seqs, img, path, out: path + '.out' });
  }
  res.genMs = performance.now() - t0;

  // qemu, in parallel (up to `jobs` processes); the hart runs meanwhile in this thread
  t0 = performance.now();
  const qres: ({ ms: number; status: number | null; signal: string | null; stderr: string } | undefined)[] = [];
  let nextQ = 0;
  const waiters: (() => void)[] = [];
  const worker = async (): Promise<void> => {
    while (nextQ < batches.length) {
      const i = nextQ++;
      qres[i] = await runQemuAsync(batches[i].path, batches[i].out);
      for (const w of waiters.splice(0)) w();
    }
  };
  const qemuAll = Promise.all(Array.from({ length: Math.min(jobs, batches.length) }, worker)).then(() => { res.qemuWallMs = performance.now() - t0; });

  let reported = 0;
  for (let bi = 0; bi < batches.length; bi++) {
    const b = batches[bi];
    const h = runHart(b.img);
    res.hartMs += h.ms;
    res.hartInsns += h.instret;
    if (h.stop) log(`note: hart run of batch ${bi} ended abnormally: ${h.stop}`);
    while (!qres[bi]) await new Promise<void>((r) => waiters.push(r));
    const q = qres[bi]!;
    res.qemuMs += q.ms;
    let qrecs: bigint[][] = [];
    if (q.status === 0) qrecs = parseOutput(new Uint8Array(readFileSync(b.out)), b.img.nSeq);
    else log(`qemu failed on batch ${bi} (status ${q.status}, signal ${q.signal}) ${q.stderr.trim()}: checking its sequences one by one`);
    for (let k = 0; k < b.seqs.length; k++) {
      const s = b.seqs[k];
      res.total++;
      let mm: Mismatch | null;
      if (q.status !== 0) {
        const one = singleRun(s, dir, o.seed);
        mm = one.qemuFail ? { index: s.index, kind: 'qemu', summary: `QEMU FAILED seq ${s.index}: ${one.qemuFail}`, text: `QEMU FAILED seq ${s.index}: ${one.qemuFail}\n${disassemble(s, 0)}\n` } : one.mm;
      } else {
        mm = compareOne(s, b.img.bodyStart[k], qrecs[k], h.recs[k], h.problems.get(k), o.seed);
      }
      if (!mm) { res.agree++; continue; }
      res.mismatches.push(mm);
      if (reported++ < maxReport) {
        log(mm.text);
        if (o.minimize && mm.kind !== 'qemu') {
          const min = minimize(s, dir, o.seed);
          const again = singleRun(min, dir, o.seed);
          log(`  minimized to ${min.nInsns} instruction(s):\n${again.mm ? again.mm.text.split('\n').map((l) => '  ' + l).join('\n') : '(no longer fails)'}`);
        }
      } else if (reported === maxReport + 1) log(`(further mismatches summarized only)`);
      if (reported > maxReport) log(mm.summary);
    }
  }
  await qemuAll;
  if (!o.keepDir) rmSync(dir, { recursive: true, force: true });
  return res;
}

export function summarize(r: DiffResult, jobs: number): string {
  const rate = (n: number, ms: number): string => (ms > 0 ? ((n * 1000) / ms).toFixed(0) : '-');
  const lines = [
    `diff: ${r.total} sequences (seed ${r.seed}): ${r.agree} agree, ${r.mismatches.length} mismatch` +
      ` (${r.mismatches.filter((m) => m.kind === 'trap').length} hart traps, ${r.mismatches.filter((m) => m.kind === 'hang').length} hangs, ${r.mismatches.filter((m) => m.kind === 'crash').length} hart exceptions, ${r.mismatches.filter((m) => m.kind === 'qemu').length} qemu failures)`,
    `throughput: generate+ELF ${rate(r.total, r.genMs)} seq/s; qemu ${rate(r.total, r.qemuMs)} seq/s per process (incl. startup), ${rate(r.total, r.qemuWallMs)} seq/s wall with ${jobs} jobs; ` +
      `hart ${rate(r.total, r.hartMs)} seq/s (${(r.hartInsns / 1e6).toFixed(1)} M instructions incl. prologue/epilogue, ${(r.hartInsns / 1000 / Math.max(1, r.hartMs)).toFixed(2)} MIPS)`,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const val = (k: string): string | undefined => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
  const num = (k: string, d: number): number => { const v = val(k); if (v === undefined) return d; const n = Number(v); if (!Number.isFinite(n)) { console.error(`bad ${k}`); process.exit(2); } return n; };
  if (args.includes('--help')) {
    console.log('usage: run.ts [--count N] [--seed S] [--first I] [--jobs J] [--per-elf P] [--only K[,K...]] [--minimize] [--max-report M] [--keep DIR] [--jit[=hot]]');
    return;
  }
  const jitArg = args.find((a) => a === '--jit' || a.startsWith('--jit='));
  if (jitArg) setBareJit(jitArg === '--jit=hot' ? true : 'force');
  if (!qemuAvailable()) { console.error(`${QEMU} not found: cannot run the differential test`); process.exit(2); }
  const seed = val('--seed') !== undefined ? num('--seed', 0) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
  const only = val('--only')?.split(',').map(Number);
  const jobs = num('--jobs', 2);
  const r = await runDiff({
    seed, count: num('--count', 10000), first: num('--first', 0), only, jobs, perElf: num('--per-elf', 250),
    maxReport: num('--max-report', 20), minimize: args.includes('--minimize'), keepDir: val('--keep'),
  });
  console.log(summarize(r, jobs));
  process.exit(r.mismatches.length ? 1 : 0);
}

if (process.argv[1] && /run\.ts$/.test(process.argv[1])) await main();
