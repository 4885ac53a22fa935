// Development check of the encoder: generates sequences, disassembles them with
// riscv64-linux-gnu-objdump and compares every instruction with the encoder's own text.
//   node --import tsx tests/diff/validate.ts [--count 2000] [--seed 1]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from './gen.ts';
import { buildElf } from './elf.ts';

const OBJDUMP = 'riscv64-linux-gnu-objdump';

function fenceSet(v: number): string {
  return (v & 8 ? 'i' : '') + (v & 4 ? 'o' : '') + (v & 2 ? 'r' : '') + (v & 1 ? 'w' : '');
}

/** Normalize one instruction text (mine or objdump's) at address pc. */
export function normalize(text: string, pc: number): string {
  let t = text.replace(/\s+#.*$/, '').replace(/<[^>]*>/g, '').trim();
  const sp = t.indexOf(' ');
  const mn = sp < 0 ? t : t.slice(0, sp);
  let ops = sp < 0 ? [] : t.slice(sp + 1).replace(/\s+/g, '').split(',');
  if (mn === 'fence' && /^\d/.test(ops[0] ?? '')) ops = ops.map((o) => fenceSet(Number(o)));
  ops = ops.map((o) => {
    const rel = /^\.([+-]\d+)$/.exec(o);
    if (rel) return String(pc + Number(rel[1]));
    if (/^-?(0x[0-9a-f]+|\d+)$/i.test(o)) return BigInt(o.startsWith('-') ? -BigInt(o.slice(1)) : BigInt(o)).toString();
    return o;
  });
  // objdump omits the rounding mode when it is dyn
  if (ops[ops.length - 1] === 'dyn') ops.pop();
  // fcvt.d.s/.d.w/.d.wu are exact: binutils 2.40 only decodes them with rm=rne (000) and prints no rm;
  // the binary handed to objdump has their rm field cleared (see main), so drop ours too
  if (/^fcvt\.d\.(s|w|wu)$/.test(mn) && ops.length === 3) ops.pop();
  if (t === 'c.nop') return 'c.addi x0,0';
  t = mn + (ops.length ? ' ' + ops.join(',') : '');
  return t;
}

export function objdumpLines(bin: Uint8Array, dir: string): Map<number, string> {
  const f = join(dir, 'seq.bin');
  writeFileSync(f, bin);
  const out = execFileSync(OBJDUMP, ['-D', '-b', 'binary', '-m', 'riscv:rv64', '-M', 'no-aliases,numeric', f], { encoding: 'utf8' });
  const m = new Map<number, string>();
  for (const line of out.split('\n')) {
    const r = /^\s*([0-9a-f]+):\s+[0-9a-f]+\s+(.*)$/.exec(line);
    if (r) m.set(parseInt(r[1], 16), r[2].replace(/\t/g, ' '));
  }
  return m;
}

function main(): void {
  const args = process.argv.slice(2);
  const get = (k: string, d: number): number => { const i = args.indexOf(k); return i >= 0 ? Number(args[i + 1]) : d; };
  const count = get('--count', 2000);
  const seed = get('--seed', 1);
  const dir = mkdtempSync(join(tmpdir(), 'diffval-'));
  let bad = 0;
  let n = 0;
  const seen = new Set<string>();
  // concatenate many sequences into one binary to keep objdump calls few
  const batch = 200;
  for (let b = 0; b < count; b += batch) {
    const seqs = [];
    for (let i = b; i < Math.min(count, b + batch); i++) seqs.push(generate(seed, i));
    const all: number[] = [];
    const expect: [number, string][] = [];
    for (const s of seqs) {
      let pc = all.length;
      for (const ins of s.code) {
        expect.push([pc, ins.asm]);
        const enc = /^fcvt\.d\.(s|w|wu) /.test(ins.asm) ? ins.enc & ~0x7000 : ins.enc;
        all.push(enc & 0xff, (enc >>> 8) & 0xff);
        if (ins.size === 4) all.push((enc >>> 16) & 0xff, enc >>> 24);
        pc += ins.size;
      }
    }
    const dis = objdumpLines(Uint8Array.from(all), dir);
    for (const [pc, asm] of expect) {
      n++;
      seen.add(asm.split(' ')[0]);
      const theirs = dis.get(pc);
      const a = normalize(asm, pc);
      const o = theirs === undefined ? '(no instruction here)' : normalize(theirs, pc);
      if (a !== o) {
        if (bad++ < 30) console.log(`MISMATCH @${pc.toString(16)}: mine "${a}"  objdump "${o}"`);
      }
    }
  }
  // the prologue/epilogue too
  const img = buildElf([generate(seed, 0)]);
  const f = join(dir, 'one.elf');
  writeFileSync(f, img.bytes);
  execFileSync(OBJDUMP, ['-d', f]);
  rmSync(dir, { recursive: true, force: true });
  console.log(`${n} instructions checked, ${seen.size} mnemonics, ${bad} mismatches`);
  console.log([...seen].sort().join(' '));
  if (bad) process.exit(1);
}

if (process.argv[1] && process.argv[1].endsWith('validate.ts')) main();
