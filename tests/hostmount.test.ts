/**
 * `teeos run --mount HOSTDIR:/mnt[:ro]`: a guest works in a host directory passed through; its
 * output and the directory it leaves behind equal what qemu-riscv64 gives on a copy of the
 * same directory. A read-only mount refuses every change with EROFS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, lstatSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const guestDir = fileURLToPath(new URL('./guest/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'teeos-mount-'));

function fixture(name: string): string {
  const d = join(tmp, name);
  mkdirSync(join(d, 'sub'), { recursive: true });
  writeFileSync(join(d, 'hello.txt'), 'hello from the host\n');
  writeFileSync(join(d, 'sub/inner.txt'), 'inner\n');
  return d;
}

/** A directory tree as text (names, types, contents, link targets). */
function snapshot(d: string, rel = ''): string[] {
  const out: string[] = [];
  for (const n of readdirSync(join(d, rel)).sort()) {
    const p = join(d, rel, n), st = lstatSync(p);
    if (st.isDirectory()) out.push(`${rel}${n}/`, ...snapshot(d, `${rel}${n}/`));
    else if (st.isSymbolicLink()) out.push(`${rel}${n} -> ${readlinkSync(p)}`);
    else out.push(`${rel}${n}: ${JSON.stringify(readFileSync(p, 'utf8'))} ${(st.mode & 0o777).toString(8)}`);
  }
  return out;
}

const qemuDir = fixture('qemu');
const q = spawnSync('qemu-riscv64', ['bin/hostmount', qemuDir], { cwd: guestDir, encoding: 'utf8' });
const haveQemu = q.status === 0;

for (const tee of ['keystone', 'sev', 'sgx']) {
  test(`--mount read-write on ${tee}: the same output and the same directory as qemu-riscv64`, { skip: !haveQemu && 'qemu-riscv64 not found', timeout: 120_000 }, () => {
    const d = fixture(`rw-${tee}`);
    const r = spawnSync(process.execPath, [teeos, 'run', '--tee', tee, '--mount', `${d}:/mnt/host`, 'bin/hostmount', '/mnt/host'], { cwd: guestDir, encoding: 'utf8', timeout: 100_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, q.stdout);
    assert.deepEqual(snapshot(d), snapshot(qemuDir));
  });
}

// fork with a host file open (busybox sh's `{ ...; } > file` and runtest's redirections): one
// file description, its offset moved by parent and child alike; on SGX the child is another
// enclave, given a host duplicate of the description.
const qfh = fixture('fh-qemu');
const qf = spawnSync('qemu-riscv64', ['bin/fork_hostfile', qfh], { cwd: guestDir, encoding: 'utf8' });
for (const tee of ['keystone', 'sev', 'sgx']) {
  test(`fork with a host-mount file open on ${tee}: one description, as under qemu-riscv64`, { skip: !haveQemu && 'qemu-riscv64 not found', timeout: 200_000 }, () => {
    const d = fixture(`fh-${tee}`);
    const r = spawnSync(process.execPath, [teeos, 'run', '--tee', tee, '--mount', `${d}:/mnt/host`, 'bin/fork_hostfile', '/mnt/host'], { cwd: guestDir, encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(qf.stdout, /offset after both: 42/);
    assert.equal(r.stdout, qf.stdout);
    assert.doesNotMatch(r.stderr, /not carried|could not be shared/);
  });
}

test('--mount :ro refuses every change (EROFS) and leaves the directory as it was', { timeout: 120_000 }, () => {
  const d = fixture('ro');
  const before = snapshot(d);
  const r = spawnSync(process.execPath, [teeos, 'run', '--mount', `${d}:/mnt:ro`, 'bin/hostmount', '/mnt', 'ro'], { cwd: guestDir, encoding: 'utf8', timeout: 100_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /hello\.txt: \[hello from the host\n\]/);
  for (const call of ['open("new.txt"', 'open("hello.txt", O_WRONLY)', 'mkdir("d2"', 'unlink("hello.txt")', 'rename(']) {
    assert.match(r.stdout, new RegExp(`${call.replace(/[()]/g, '\\$&')}.* = -1 EROFS`));
  }
  assert.deepEqual(snapshot(d), before);
});

test('--mount is measured: another mount point or mode, another measurement', () => {
  const d = fixture('measured');
  const m = (...extra: string[]) => spawnSync(process.execPath, [teeos, 'measure', ...extra, 'bin/hello'], { cwd: guestDir, encoding: 'utf8' });
  const plain = m().stdout, rw = m('--mount', `${d}:/mnt`).stdout, ro = m('--mount', `${d}:/mnt:ro`).stdout, other = m('--mount', `${d}:/srv`).stdout;
  assert.match(rw, /^[0-9a-f]{128}\n$/);
  assert.equal(new Set([plain, rw, ro, other]).size, 4);
});

test('--mount: bad specifications are refused before any enclave starts', () => {
  for (const spec of ['nodir', `${tmp}/none:/mnt`, `${tmp}:relative`, `${tmp}:/`, `${tmp}:/a:rx`]) {
    const r = spawnSync(process.execPath, [teeos, 'run', '--mount', spec, 'bin/hello'], { cwd: guestDir, encoding: 'utf8' });
    assert.equal(r.status, 2, `${spec}: ${r.stderr}`);
    assert.match(r.stderr, /^teeos: --mount: /);
  }
});
