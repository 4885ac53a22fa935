// busybox's own testsuite (testsuite/runtest from the Debian source, driven by busybox sh)
// in the enclave and under qemu-riscv64, compared test by test (PASS/FAIL/SKIPPED/UNTESTED).
// docs/busybox-testsuite.md explains every difference.
//
//   node --import tsx tests/apps/busybox-testsuite.ts [--tee T] [--full] [--side both|qemu|enclave]
//        [--split] [--logdir DIR] [--write] [-v] [APPLET ...]
//
// --split runs one runtest per applet (same tests; a stuck applet costs only itself);
// --logdir DIR (implies --split) keeps each applet's log in DIR/qemu|TEE/APPLET.log and
// reuses it on the next run, so a full run can be done in pieces and resumed; --logged
// (with --logdir) compares and records (--write) only the applets logged on both sides.
// Without --full or applets it runs CI_APPLETS (the subset CI runs: the full suite takes
// hours in the enclave with the interpreter, bc and the big md5sum/xz inputs above all).
// --write records the counts in tests/apps/results.json (read by scripts/gen-compat.ts).
// Exits 1 when a test's outcome differs and the difference is not in KNOWN below.
//
// Both sides run the same copy of testsuite/ with one symmetric change to runtest: a
// new-style test file is run as `sh FILE` instead of through its #!/bin/sh line, since under
// qemu-user the host kernel would hand it to the host's /bin/sh (dash, whose `echo -ne`
// prints "-ne": every expected output would be wrong) instead of busybox sh.
// - qemu: bindir holds a host wrapper `busybox` (exec qemu-riscv64 -0 "$0" BUSYBOX "$@":
//   argv[0] picks the applet, as binfmt_misc would) and runtest's applet links point at it;
//   PATH is a directory of links to the wrapper.
// - enclave: --root is a directory imaged at start: /bin/busybox, /bin/APPLET links,
//   /.config, /testsuite. The guest copies busybox, .config and testsuite to /tmp/bb (the
//   image is read-only; runtest writes into its own directory) and runs runtest there with
//   PATH=/bin.
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { appsBin, repoRoot, qemuPath, whyNotRunnable } from './lib.ts';
import { recordResult } from './results.ts';

/** The applets CI runs (~130 tests, a few minutes in the enclave on idle cores): mostly
 * file-system applets (copies, links, renames, removal, find, xargs), each test a fork and
 * exec or more. */
export const CI_APPLETS = [
  'awk', 'basename', 'busybox', 'cat', 'comm', 'cp', 'cut', 'dirname', 'echo', 'find', 'grep', 'head', 'ln',
  'mkdir', 'mv', 'pwd', 'readlink', 'rm', 'rmdir', 'tail', 'tee', 'touch', 'tr', 'wc', 'xargs',
];

export type Outcome = 'PASS' | 'FAIL' | 'SKIPPED' | 'UNTESTED';
export interface SuiteRun { outcomes: Map<string, Outcome>; order: string[]; ms: number; status: number | null; log: string }

function findSource(): string {
  const cache = join(appsBin, '..');
  const d = readdirSync(cache).find((n) => n.startsWith('busybox_'));
  if (!d) throw new Error(`no busybox source in ${cache} (run scripts/build-apps)`);
  const src = readdirSync(join(cache, d)).find((n) => n.startsWith('busybox-'));
  if (!src) throw new Error(`no busybox-* directory in ${join(cache, d)}`);
  return join(cache, d);
}

/** A fresh copy of testsuite/ with the symmetric runtest change (see the header). */
function copyTestsuite(dst: string): void {
  const pkg = findSource();
  const src = join(pkg, readdirSync(pkg).find((n) => n.startsWith('busybox-'))!, 'testsuite');
  cpSync(src, dst, { recursive: true });
  const rt = join(dst, 'runtest');
  const text = readFileSync(rt, 'utf8');
  const patched = text.replace('\t\t\t"$tsdir/$applet.tests"\n', '\t\t\tsh "$tsdir/$applet.tests"\n');
  if (patched === text) throw new Error('runtest: the line running a new-style test was not found');
  writeFileSync(rt, patched);
}

function busyboxConfig(): string { return join(findSource(), 'busybox.config'); }

function parse(log: string): { outcomes: Map<string, Outcome>; order: string[] } {
  const outcomes = new Map<string, Outcome>(); const order: string[] = [];
  for (const line of log.split('\n')) {
    const m = /^(PASS|FAIL|SKIPPED|UNTESTED): (.*)$/.exec(line);
    if (!m) continue;
    // The same name can appear twice (e.g. in two applets' files): number the repeats.
    let name = m[2]!.trimEnd(); const base = name;
    for (let n = 2; outcomes.has(name); n++) name = `${base} #${n}`;
    outcomes.set(name, m[1] as Outcome); order.push(name);
  }
  return { outcomes, order };
}

let progress: ((chunk: string) => void) | null = null;

function run(cmd: string, argv: string[], cwd: string, env: Record<string, string>, timeoutMs: number): Promise<{ out: string; status: number | null; ms: number }> {
  return new Promise((res) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => { out.push(b); progress?.(b.toString()); });
    child.stderr.on('data', (b: Buffer) => out.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => { clearTimeout(timer); res({ out: Buffer.concat(out).toString(), status, ms: performance.now() - t0 }); });
  });
}

const ENV = { HOME: '/tmp', TZ: 'UTC', LC_ALL: 'C' };

function chownTree(p: string, uid: number, gid: number): void {
  lchownSync(p, uid, gid);
  if (lstatSync(p).isDirectory()) for (const n of readdirSync(p)) chownTree(join(p, n), uid, gid);
}

export async function runQemuSuite(applets: string[], timeoutMs: number): Promise<SuiteRun> {
  const dir = mkdtempSync(join(tmpdir(), 'teeos-bbts-qemu-'));
  try {
    copyTestsuite(join(dir, 'testsuite'));
    cpSync(busyboxConfig(), join(dir, '.config'));
    const wrapper = join(dir, 'busybox');
    writeFileSync(wrapper, `#!/bin/sh\nexec ${qemuPath()} -0 "$0" ${join(appsBin, 'busybox')} "$@"\n`, { mode: 0o755 });
    const apl = join(dir, 'path'); mkdirSync(apl);
    const list = (await run(wrapper, ['--list'], dir, ENV, 60_000)).out.split('\n').filter(Boolean);
    for (const a of list) symlinkSync(wrapper, join(apl, a));
    // The enclave runs as uid 1000: run qemu as uid 1000 too when we are root, so tests that
    // look at `id -u` (makedevs, mount, cp's unreadable file, cpio's owners) take the same path.
    const asUser = process.getuid?.() === 0;
    if (asUser) chownTree(dir, 1000, 1000);
    const [cmd, ...pre] = asUser ? ['/usr/bin/setpriv', '--reuid=1000', '--regid=1000', '--clear-groups', wrapper] : [wrapper];
    const r = await run(cmd!, [...pre, 'sh', 'runtest', ...applets], join(dir, 'testsuite'), { ...ENV, PATH: apl }, timeoutMs);
    return { ...parse(r.out), ms: r.ms, status: r.status, log: r.out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runEnclaveSuite(applets: string[], tee: string, timeoutMs: number): Promise<SuiteRun> {
  const root = mkdtempSync(join(tmpdir(), 'teeos-bbts-root-'));
  try {
    chmodSync(root, 0o755); // mkdtemp's 0700 would hide / from the enclave's uid
    mkdirSync(join(root, 'bin')); mkdirSync(join(root, 'tmp')); mkdirSync(join(root, 'etc'));
    // An empty /usr/bin, as every Linux has: `cpio -p with absolute paths` copies the directory /usr/bin.
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    // The /etc the enclave has without --root (fs/rootfs.ts), as qemu's side has the host's:
    // without hosts, `hostname -f` cannot resolve the host name and hostname-d-works fails.
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n');
    writeFileSync(join(root, 'etc/hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${hostname()}\n`);
    writeFileSync(join(root, 'etc/hostname'), `${hostname()}\n`);
    cpSync(join(appsBin, 'busybox'), join(root, 'bin/busybox'));
    const list = (await run(qemuPath(), [join(appsBin, 'busybox'), '--list'], root, ENV, 60_000)).out.split('\n').filter(Boolean);
    for (const a of list) if (a !== 'busybox') symlinkSync('busybox', join(root, 'bin', a));
    copyTestsuite(join(root, 'testsuite'));
    cpSync(busyboxConfig(), join(root, '.config'));
    // On sgx /tmp is a host mount (below), and the kernel executes nothing the host serves (only
    // the measured image and tmpfs): runtest's $bindir/busybox is a link to the image's there.
    const bin = tee === 'sgx' ? 'ln -s /bin/busybox /tmp/bb/busybox && cp /.config /tmp/bb/' : 'cp /bin/busybox /.config /tmp/bb/';
    const script = `mkdir -p /tmp/bb && ${bin} && cp -r /testsuite /tmp/bb/ && cd /tmp/bb/testsuite && PATH=/bin exec sh runtest "$@"`;
    const env = process.env.TEEOS_JIT !== undefined ? { ...ENV, TEEOS_JIT: process.env.TEEOS_JIT } : ENV;
    // SGX: each process is its own enclave with its own tmpfs (docs/sgx-fork.md), so a file one
    // test command writes would not be there for the next: /tmp is a host directory there, shared
    // by every enclave of the run through the host, as a Gramine manifest mounts one.
    const mount = tee === 'sgx' ? ['--mount', `${join(root, 'tmp')}:/tmp`] : [];
    if (tee === 'sgx') chmodSync(join(root, 'tmp'), 0o777); // the enclave's uid writes there
    const r = await run(process.execPath, [join(repoRoot, 'bin/teeos.mjs'), 'run', '--tee', tee, '--memory', '512M', '--root', root, ...mount,
      join(appsBin, 'busybox'), 'sh', '-c', script, 'sh', ...applets], '/', env, timeoutMs);
    return { ...parse(r.out), ms: r.ms, status: r.status, log: r.out };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Every applet with tests: an old-style directory or a new-style APPLET.tests file. */
export function testedApplets(): string[] {
  const pkg = findSource();
  const ts = join(pkg, readdirSync(pkg).find((n) => n.startsWith('busybox-'))!, 'testsuite');
  const names = new Set<string>();
  for (const d of readdirSync(ts, { withFileTypes: true })) {
    if (d.isDirectory()) names.add(d.name);
    else if (d.name.endsWith('.tests')) names.add(d.name.slice(0, -'.tests'.length));
  }
  return [...names].sort();
}

/**
 * The full suite one applet per runtest (--split): the same tests as one runtest over every
 * applet, but a slow or stuck applet costs only itself, and with logDir each applet's log is
 * kept in logDir/SIDE/APPLET.log and reused by the next run (an interrupted run resumes).
 */
export async function runSplit(side: 'qemu' | 'enclave', tee: string, applets: string[], timeoutMs: number, logDir?: string,
  onApplet?: (applet: string, r: SuiteRun) => void): Promise<SuiteRun> {
  const dir = logDir ? join(logDir, side === 'qemu' ? 'qemu' : tee) : undefined;
  if (dir) mkdirSync(dir, { recursive: true });
  let log = ''; let ms = 0; let status: number | null = 0;
  for (const a of applets) {
    const file = dir ? join(dir, `${a}.log`) : undefined;
    if (file && existsSync(file)) { log += readFileSync(file, 'utf8'); continue; }
    const r = side === 'qemu' ? await runQemuSuite([a], timeoutMs) : await runEnclaveSuite([a], tee, timeoutMs);
    if (file) writeFileSync(file, r.log);
    onApplet?.(a, r);
    log += r.log; ms += r.ms; if (r.status !== 0) status = r.status;
  }
  return { ...parse(log), ms, status, log };
}

/** Differences explained in docs/busybox-testsuite.md (test name -> platforms where the
 * enclave's outcome differs from qemu's, and why in one line). */
export const KNOWN: Record<string, { tees: string[]; why: string }> = {
  'start-stop-daemon with both -x and -a': {
    tees: ['keystone', 'sev', 'sgx'],
    why: "/bin/false is a busybox link in the enclave's root, which the test says makes it fail; qemu's side runs the host's coreutils false",
  },
  'which-uses-default-path': {
    tees: ['keystone', 'sev', 'sgx'],
    why: 'fails on the qemu side only (PATH unset, busybox reached through the harness\'s host wrapper script); passes in the enclave',
  },
};

export interface Comparison { same: string[]; differ: { name: string; enclave: Outcome | 'missing'; qemu: Outcome | 'missing'; known?: string }[] }

export function compare(e: SuiteRun, q: SuiteRun, tee: string): Comparison {
  const names = [...q.order, ...e.order.filter((n) => !q.outcomes.has(n))];
  const c: Comparison = { same: [], differ: [] };
  for (const n of names) {
    const eo = e.outcomes.get(n) ?? 'missing'; const qo = q.outcomes.get(n) ?? 'missing';
    if (eo === qo) c.same.push(n);
    else c.differ.push({ name: n, enclave: eo, qemu: qo, known: KNOWN[n]?.tees.includes(tee) ? KNOWN[n]!.why : undefined });
  }
  return c;
}

export function counts(r: SuiteRun): { pass: number; fail: number; skipped: number } {
  let pass = 0, fail = 0, skipped = 0;
  for (const o of r.outcomes.values()) { if (o === 'PASS') pass++; else if (o === 'FAIL') fail++; else skipped++; }
  return { pass, fail, skipped };
}

async function main(): Promise<void> {
  let tee = 'keystone'; let full = false; let side = 'both'; let write = false; let verbose = false;
  let split = false; let logDir: string | undefined; let logged = false; let timeoutMin: number | undefined;
  const applets: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--tee') tee = argv[++i] ?? tee;
    else if (a === '--full') full = true;
    else if (a === '--side') side = argv[++i] ?? side;
    else if (a === '--write') write = true;
    else if (a === '-v') verbose = true;
    else if (a === '--split') split = true;
    else if (a === '--logdir') { logDir = argv[++i]; split = true; }
    else if (a === '--logged') logged = true;
    else if (a === '--timeout-min') timeoutMin = Number(argv[++i]);
    else applets.push(a);
  }
  const why = whyNotRunnable();
  if (why) { console.error(`busybox-testsuite: ${why}`); process.exit(2); }
  const sel = full ? [] : applets.length ? applets : CI_APPLETS;
  const subset = logged ? 'logged' : full ? 'full' : applets.length ? 'custom' : 'ci';
  // --timeout-min: per runtest (per applet with --logdir); bc runs for over an hour in the enclave.
  if (timeoutMin !== undefined && !(timeoutMin > 0)) { console.error('busybox-testsuite: --timeout-min needs a positive number'); process.exit(2); }
  const timeout = timeoutMin !== undefined ? timeoutMin * 60_000 : full ? 6 * 3600_000 : 3600_000;
  const splitTimeout = timeoutMin !== undefined ? timeoutMin * 60_000 : 3600_000;
  // qemu first (minutes at most), then the enclave with its lines shown as they come (-v).
  // --logged: only the applets whose logs are in --logdir for both sides (nothing runs); a
  // full run done in pieces is recorded as busybox-testsuite-logged until it is complete.
  const splitList = logged && logDir
    ? testedApplets().filter((a) => existsSync(join(logDir!, 'qemu', `${a}.log`)) && existsSync(join(logDir!, tee, `${a}.log`)))
    : sel.length ? sel : testedApplets();
  if (logged) console.log(`logged on both sides: ${splitList.length} of ${testedApplets().length} applets; missing: ${testedApplets().filter((a) => !splitList.includes(a)).join(' ')}`);
  const note = (a: string, r: SuiteRun): void => { const c = counts(r); console.log(`  ${a}: ${c.pass} pass, ${c.fail} fail, ${c.skipped} skipped (${(r.ms / 1000).toFixed(0)} s)`); };
  const q = side === 'enclave' ? null : split ? await runSplit('qemu', tee, splitList, splitTimeout, logDir, note) : await runQemuSuite(sel, timeout);
  if (verbose && q) console.log(`--- qemu log\n${q.log}--- enclave log`);
  if (verbose) progress = (c) => process.stdout.write(c);
  const e = side === 'qemu' ? null : split ? await runSplit('enclave', tee, splitList, splitTimeout, logDir, note) : await runEnclaveSuite(sel, tee, timeout);
  progress = null;
  const fmt = (r: SuiteRun): string => { const c = counts(r); return `${c.pass} pass, ${c.fail} fail, ${c.skipped} skipped/untested (${(r.ms / 1000).toFixed(0)} s)`; };
  if (q) console.log(`qemu-riscv64: ${fmt(q)}`);
  if (e) console.log(`enclave (${tee}): ${fmt(e)}`);
  if (e && e.outcomes.size === 0) console.log(`the enclave reported no test (status ${e.status}); its output:\n${e.log.slice(-2000)}`);
  let unexplained = 0;
  if (q && e) {
    const c = compare(e, q, tee);
    for (const d of c.differ) {
      if (!d.known) unexplained++;
      console.log(`${d.known ? 'known' : 'DIFF '} ${d.name}: enclave ${d.enclave}, qemu ${d.qemu}${d.known ? ` (${d.known})` : ''}`);
    }
    console.log(`${c.same.length} tests agree, ${c.differ.length} differ (${unexplained} unexplained)`);
  }
  if (write && subset !== 'custom') {
    if (q) recordResult(`busybox-testsuite-${subset}`, 'qemu-riscv64', { ...counts(q), total: q.outcomes.size });
    // A test qemu ran that the enclave never reported (it died, or could not start) is a failure.
    const missing = e && q ? q.order.filter((n) => !e.outcomes.has(n)).length : 0;
    if (e) { const c = counts(e); recordResult(`busybox-testsuite-${subset}`, tee, { ...c, fail: c.fail + missing, total: e.outcomes.size + missing }); }
  }
  process.exit(unexplained ? 1 : 0);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
