// The fast CPU differential test inside `npm test`: 300 random RV64GC sequences (fixed seed) on
// qemu-riscv64 and on our hart; fails on any difference in x1-x31, f0-f31, fcsr or the scratch
// memory checksum. The CI runs many more (scripts/diff-ci.sh). Skips if qemu-riscv64 is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { qemuAvailable, runDiff, summarize, runHart, QEMU } from './diff/run.ts';
import { generate, withCode } from './diff/gen.ts';
import { buildElf, parseOutput } from './diff/elf.ts';
import * as E from './diff/enc.ts';

const SEED = 0x7ee05;
const skip = qemuAvailable() ? false : `${QEMU} not installed: CPU differential test skipped`;

test('hart agrees with qemu-riscv64 on 300 random RV64GC sequences', { skip, timeout: 120_000 }, async () => {
  const out: string[] = [];
  const r = await runDiff({ seed: SEED, count: 300, jobs: 2, perElf: 150, maxReport: 5, log: (s) => out.push(s) });
  console.log(summarize(r, 2));
  assert.equal(r.total, 300);
  assert.equal(r.mismatches.length, 0, `${r.mismatches.length} of 300 sequences differ:\n${out.join('\n')}`);
  assert.equal(r.agree, 300);
});

test('the harness sees a planted difference (a sequence the hart runs differently)', { skip, timeout: 60_000 }, () => {
  // qemu runs `addi x5,x0,1`, the hart runs `addi x5,x0,2`: same layout, one differing register
  const base = generate(SEED, 1);
  const a = withCode(base, [E.opImm('addi', 5, 0, 1)]);
  const b = withCode(base, [E.opImm('addi', 5, 0, 2)]);
  const dir = mkdtempSync(join(tmpdir(), 'diff-plant-'));
  try {
    const imgA = buildElf([generate(SEED, 0), a]);
    const imgB = buildElf([generate(SEED, 0), b]);
    const p = join(dir, 'a.elf');
    writeFileSync(p, imgA.bytes);
    chmodSync(p, 0o755);
    const q = spawnSync(QEMU, [p]);
    assert.equal(q.status, 0);
    const qr = parseOutput(new Uint8Array(q.stdout), 2);
    const hr = runHart(imgB).recs;
    assert.equal(qr.length, 2);
    assert.equal(qr[1][5], 1n);
    assert.equal(hr[1][5], 2n);
    assert.deepEqual(hr[0], qr[0], 'the unmodified sequence must agree');
    // and the records carry real state: the prologue's x/f/fcsr initial values come back
    assert.notDeepEqual(qr[0].slice(32, 64), new Array(32).fill(0n));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
