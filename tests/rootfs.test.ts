/**
 * `teeos run --root`: the root image end to end. The measurement changes with any byte of
 * the image; the guest reads the image (what qemu-riscv64 reads from the same directory is
 * the same), finds it read only, runs a program shipped in it; a host that changes one byte
 * of the image file after launch makes the guest's read fail with EIO (and a log line).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, symlinkSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const guestDir = fileURLToPath(new URL('./guest/', import.meta.url));
const prog = 'bin/rootimg';
const tmp = mkdtempSync(join(tmpdir(), 'teeos-rootfs-'));

function fixture(name: string): string {
  const r = join(tmp, name);
  for (const d of ['etc', 'data', 'data/wdir', 'bin']) mkdirSync(join(r, d), { recursive: true });
  writeFileSync(join(r, 'etc/motd'), 'Welcome to the image\n');
  writeFileSync(join(r, 'data/big.bin'), Uint8Array.from({ length: 100000 }, (_, i) => (i * 7 + (i >> 8)) & 255));
  writeFileSync(join(r, 'data/plain.txt'), 'plain\n');
  writeFileSync(join(r, 'data/ww.txt'), 'ww\n');
  chmodSync(join(r, 'data/ww.txt'), 0o666);
  chmodSync(join(r, 'data/wdir'), 0o777);
  symlinkSync('plain.txt', join(r, 'data/link'));
  writeFileSync(join(r, 'data/late.txt'), 'late data: read only after the pause\n');
  copyFileSync(join(guestDir, 'bin/hello'), join(r, 'bin/hello'));
  chmodSync(join(r, 'bin/hello'), 0o755);
  return r;
}

function teeosRun(args: string[], input = '') {
  return spawnSync(process.execPath, [teeos, ...args], { cwd: guestDir, input, encoding: 'utf8', timeout: 120_000 });
}

const dir = fixture('root');
const image = join(tmp, 'root.img');

test('mkimage and measure: the measurement binds the image, byte for byte', () => {
  const mk = teeosRun(['mkimage', dir, '-o', image]);
  assert.equal(mk.status, 0, mk.stderr);
  assert.match(mk.stdout, /^[0-9a-f]{64}\n$/);
  for (const tee of ['keystone', 'sev', 'sgx']) {
    const plain = teeosRun(['measure', '--tee', tee, prog]).stdout;
    const withImage = teeosRun(['measure', '--tee', tee, '--root', image, prog]).stdout;
    const withDir = teeosRun(['measure', '--tee', tee, '--root', dir, prog]).stdout;
    assert.notEqual(plain, withImage);
    assert.equal(withDir, withImage, 'a directory measures as its image');
    // One byte of one file changed: another root hash, another measurement.
    const other = fixture(`root-${tee}`);
    const big = readFileSync(join(other, 'data/big.bin'));
    big[54321] ^= 1;
    writeFileSync(join(other, 'data/big.bin'), big);
    const changed = teeosRun(['measure', '--tee', tee, '--root', other, prog]).stdout;
    assert.match(changed, /^[0-9a-f]+\n$/);
    assert.notEqual(changed, withImage);
  }
});

const ENCLAVE_ONLY = `open O_WRONLY: -1 EACCES
mkdir /x: -1 EACCES
unlink: -1 EACCES
open 0666 O_WRONLY: -1 EROFS
mkdir in 0777 dir: -1 EROFS
creat in 0777 dir: -1 EROFS
tmp write: 2
/dev/null: 0
/proc/self: 0
Hello, world!
child status 0
execv non-executable: EACCES
`;

for (const tee of ['keystone', 'sev', 'sgx']) {
  test(`run --root on ${tee}: reads as qemu-riscv64 reads the directory; read only; exec from the image`, { timeout: 180_000 }, () => {
    const r = teeosRun(['run', '--tee', tee, '--root', dir, prog]);
    assert.equal(r.status, 0, r.stderr);
    const q = spawnSync('qemu-riscv64', [prog, dir], { cwd: guestDir, encoding: 'utf8' });
    if (q.status === 0) {
      // qemu sees the directory as it is (no /dev, /proc, /tmp mount points added).
      const want = q.stdout.replace(/^\/: .*$/m, '/: . .. bin data dev etc proc tmp');
      assert.equal(r.stdout, want + ENCLAVE_ONLY);
    } else {
      assert.match(r.stdout, /big\.bin sum [0-9a-f]+\n/);
      assert.ok(r.stdout.endsWith(ENCLAVE_ONLY));
    }
  });
}

for (const tee of ['keystone', 'sev', 'sgx']) {
  test(`a host that changes one byte of the image after launch is caught at the read (${tee}): EIO`, { timeout: 180_000 }, async () => {
    const img = join(tmp, `tamper-${tee}.img`);
    assert.equal(teeosRun(['mkimage', dir, '-o', img]).status, 0);
    const bytes = readFileSync(img);
    const at = bytes.indexOf('late data: read only');
    assert.ok(at > 0);
    const child = spawn(process.execPath, [teeos, 'run', '--tee', tee, '--root', img, prog, 'late'], { cwd: guestDir, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stderr.on('data', (d) => { err += d; });
    const ready = new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('ready\n')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    await Promise.race([ready, exited]);
    assert.ok(out.includes('ready\n'), `no pause:\n${out}\n${err}`);
    // The host alters the image file under the running enclave.
    const fd = openSync(img, 'r+');
    writeSync(fd, Uint8Array.of(bytes[at] ^ 0x20), 0, 1, at);
    closeSync(fd);
    child.stdin.end('go\n');
    const status = await exited;
    assert.equal(status, 0, err);
    assert.match(out, /read \/data\/late\.txt: EIO\n\[\/data\/late\.txt: 0 bytes\]\n$/);
    assert.match(err, /block \d+ fails verification/);
  });
}

test('without tampering the late read succeeds', { timeout: 120_000 }, () => {
  const r = teeosRun(['run', '--root', image, prog, 'late'], 'go\n');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ready\nlate data: read only after the pause\n\[\/data\/late\.txt: 37 bytes\]\n$/);
});
