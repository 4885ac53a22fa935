/**
 * `teeos run busybox sh` as an interactive shell on a terminal, driven through tmux (as in
 * tests/tty.test.ts): a pipe, a redirection and job control (sleep 100, Ctrl-Z, jobs, bg,
 * fg, Ctrl-Z again, kill %1) must leave the pane reading exactly as the same keys do with
 * the same busybox under qemu-riscv64 (on the qemu side PATH holds the applet wrappers of
 * tests/apps/lib.ts; in the enclave applets run from /proc/self/exe).
 *
 * Not part of `npm test`: .ci/run runs it with the apps suite (it needs scripts/build-apps).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { appsBin, qemuPath, qemuPathDir, repoRoot, whyNotRunnable } from './lib.ts';

const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = whyNotRunnable() ?? (!have('tmux') ? 'tmux not found' : false);
const sleep = (ms: number): void => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };
const tmux = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync('tmux', args, { encoding: 'utf8' });
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const pane = (name: string): string => String(tmux('capture-pane', '-p', '-t', name).stdout);

function waitFor(name: string, re: RegExp, ms = 120_000): string {
  const end = Date.now() + ms;
  for (;;) {
    const p = pane(name);
    if (re.test(p) || Date.now() > end) return p;
    sleep(200);
  }
}

// Each step: keys, then what the pane must show before the next step (the shell is slow
// in the enclave: waiting on the screen, not on the clock).
type Step = { keys: string[]; until: RegExp };
const basicSteps = (f: string): Step[] => [
  { keys: ['echo hello pipe | tr a-z A-Z', 'Enter'], until: /^HELLO PIPE$/m },
  { keys: [`echo redirected >${f}; cat <${f}; rm ${f}`, 'Enter'], until: /^redirected$/m },
  { keys: ['echo done $?', 'Enter'], until: /^done 0$/m },
  { keys: ['exit', 'Enter'], until: /^EXIT=/m },
];
const jobSteps = (): Step[] => [
  { keys: ['sleep 100', 'Enter'], until: /sleep 100\n/ },
  { keys: ['C-z'], until: /Stopped.*sleep 100/ },
  { keys: ['jobs', 'Enter'], until: /jobs\n.*Stopped.*sleep 100/ },
  { keys: ['bg', 'Enter'], until: /bg\n.*sleep 100/ },
  { keys: ['jobs', 'Enter'], until: /jobs\n.*Running.*sleep 100/ },
  { keys: ['fg', 'Enter'], until: /fg\n.*sleep 100/ },
  { keys: ['C-z'], until: /fg\n(.*\n)*.*Stopped.*sleep 100/ },
  { keys: ['kill %1', 'Enter'], until: /kill %1\n/ },
  { keys: ['jobs', 'Enter'], until: /kill %1\n(.*\n)*\$ jobs\n/ },
  // A stopped job keeps its SIGTERM pending: the first exit only warns.
  { keys: ['exit', 'Enter'], until: /You have stopped jobs/ },
  { keys: ['exit', 'Enter'], until: /^EXIT=/m },
];

const KEYS = new Set(['Enter', 'C-z', 'C-c']);

/** Runs the shell in a fresh 80x30 tmux session, types the steps, returns the pane. */
function drive(name: string, cmd: string, steps: Step[]): string {
  tmux('kill-session', '-t', name);
  tmux('new-session', '-d', '-s', name, '-x', '80', '-y', '30', `${cmd}; echo EXIT=$?; sleep 120`);
  try {
    waitFor(name, /^\$ $/m);
    for (const s of steps) {
      for (const k of s.keys) { tmux('send-keys', '-t', name, ...(KEYS.has(k) ? [k] : ['-l', k])); sleep(150); }
      const p = waitFor(name, s.until);
      if (!s.until.test(p)) return `(stuck waiting for ${s.until}; the pane:)\n${p}`;
      sleep(500); // let a job-state message that follows land before the next keys
    }
    return pane(name).split('\n').filter((l) => l !== '').join('\n');
  } finally {
    tmux('kill-session', '-t', name);
  }
}

const bb = join(appsBin, 'busybox');
const env = (path: string): string => `env -i HOME=/tmp TZ=UTC TERM=dumb PS1='$ ' PATH=${quote(path)}`;

function compare(steps: Step[], tag: string): void {
  const q = drive(`teeos-bbq-${tag}-${process.pid}`, `${env(qemuPathDir())} ${quote(qemuPath())} ${quote(bb)} sh`, steps);
  const e = drive(`teeos-bbe-${tag}-${process.pid}`, `${env('/nonexistent')} ${quote(process.execPath)} ${quote(join(repoRoot, 'bin/teeos.mjs'))} run ${quote(bb)} sh`, steps);
  assert.match(q, /^EXIT=0$/m, `qemu's pane:\n${q}`);
  assert.equal(e, q);
}

test('interactive busybox sh on keystone: a pipe and redirections, as under qemu-riscv64', { skip, timeout: 600_000 }, () => {
  compare(basicSteps(`/tmp/teeos-bbtty-${process.pid}`), 'basic');
});

// Ctrl-Z reaches the enclave's kernel as a byte (the host terminal stays raw, the kernel is the
// line discipline: fs/n_tty.ts) and stops the foreground job, not teeos.
test('interactive busybox sh on keystone: job control (sleep 100, Ctrl-Z, jobs, bg, fg, kill %1) as under qemu-riscv64', { skip, timeout: 600_000 }, () => {
  compare(jobSteps(), 'jobs');
});
