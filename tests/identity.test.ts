/**
 * The identity commands on every platform model: `teeos measure` predicts the measurement the
 * platform computes at launch; `teeos attest` has the enclave obtain a report over the given
 * data; `teeos verify` accepts exactly that report and refuses any altered, truncated,
 * oversized or foreign one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TeeName } from '../packages/host/src/platforms.ts';
import { verifyReport } from '../packages/host/src/verify-report.ts';

const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const hello = fileURLToPath(new URL('./guest/bin/hello', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'teeos-identity-'));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [teeos, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const fromHex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

/** Where each platform's report carries the measurement (Keystone enclave.hash; SEV MEASUREMENT). */
const MEASUREMENT_AT: Record<TeeName, [number, number]> = { keystone: [0, 64], sev: [0x90, 48], sgx: [64, 32] };
const REPORT_SIZE: Record<TeeName, number> = { keystone: 1352, sev: 1184, sgx: 432 };
const DATA = '00112233445566778899aabbccddeeff' + 'a5'.repeat(48);
const reports: Partial<Record<TeeName, string>> = {};

for (const tee of ['keystone', 'sev', 'sgx'] as TeeName[]) {
  let measurement = '';
  test(`${tee}: measure prints what the platform computes at launch`, () => {
    const m = cli(['measure', '--tee', tee, hello]);
    assert.equal(m.status, 0, m.stderr);
    measurement = m.stdout.trim();
    assert.match(measurement, { sev: /^[0-9a-f]{96}$/, keystone: /^[0-9a-f]{128}$/, sgx: /^[0-9a-f]{64}$/ }[tee]);
    const r = cli(['run', '--tee', tee, '--verbose', hello]);
    assert.equal(r.status, 0, r.stderr);
    const launched = /measurement \([^)]*\): ([0-9a-f]+)/.exec(r.stderr);
    assert.ok(launched, r.stderr);
    assert.equal(launched[1], measurement);
  });

  test(`${tee}: attest then verify round trip; the report carries the launch measurement`, () => {
    const out = join(tmp, `${tee}.report`);
    const a = cli(['attest', '--tee', tee, '--data', DATA, '-o', out, hello]);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(a.stdout, 'Hello, world!\n');
    const rep = readFileSync(out);
    assert.equal(rep.length, REPORT_SIZE[tee]);
    const [off, len] = MEASUREMENT_AT[tee];
    assert.equal(Buffer.from(rep.subarray(off, off + len)).toString('hex'), measurement);
    reports[tee] = out;
    const v = cli(['verify', '--tee', tee, '--expect', measurement, '--data', DATA, out]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    const v2 = cli(['verify', '--tee', tee, '--expect', measurement, out]);
    assert.equal(v2.status, 0, v2.stdout + v2.stderr);
  });

  test(`${tee}: verify refuses a wrong --expect, wrong --data, truncated, oversized and foreign reports`, () => {
    const out = reports[tee]!;
    const rep = readFileSync(out);
    const bad = (args: string[], pattern: RegExp) => {
      const v = cli(['verify', '--tee', tee, ...args]);
      assert.equal(v.status, 1, v.stdout + v.stderr);
      assert.match(v.stdout, pattern);
    };
    const wrong = measurement.slice(0, -2) + (measurement.endsWith('00') ? '01' : '00');
    bad(['--expect', wrong, out], /measurement|hash/i);
    bad(['--expect', measurement, '--data', 'ff' + DATA.slice(2), out], /data/i);
    const trunc = join(tmp, `${tee}.trunc`);
    writeFileSync(trunc, rep.subarray(0, rep.length - 1));
    bad(['--expect', measurement, trunc], /truncated|size|short/i);
    const over = join(tmp, `${tee}.over`);
    writeFileSync(over, Buffer.concat([rep, Buffer.from([0])]));
    bad(['--expect', measurement, over], /oversized|size|long/i);
    const other: TeeName = tee === 'sev' ? 'keystone' : 'sev';
    const foreign = reports[other];
    if (foreign) bad(['--expect', measurement, foreign], /this is an? (Keystone|AMD SEV-SNP) report/);
  });

  test(`${tee}: a report with any single bit flipped (one per byte) is refused`, () => {
    const rep = new Uint8Array(readFileSync(reports[tee]!));
    const expect = fromHex(measurement);
    const data = fromHex(DATA);
    assert.deepEqual(verifyReport(tee, rep, expect, data), { ok: true });
    const accepted: number[] = [];
    for (let i = 0; i < rep.length; i++) {
      const b = rep.slice();
      b[i] ^= 1 << (i % 8);
      if (verifyReport(tee, b, expect, data).ok) accepted.push(i);
    }
    assert.deepEqual(accepted, [], `flipped bytes accepted at offsets ${accepted.join(',')}`);
  });
}
