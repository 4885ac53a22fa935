/**
 * The terminal, driven through tmux: tests/guest/bin/tty turns ICANON and ECHO off, reads keys,
 * catches Ctrl-C, Ctrl-\ and Ctrl-Z as signals and restores the terminal. The pane must read the
 * same under TEE OS (keystone, sev) as under qemu-riscv64; and when teeos is killed while the
 * terminal is raw, the terminal is back in cooked mode afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const teeos = fileURLToPath(new URL('../bin/teeos.mjs', import.meta.url));
const guestDir = fileURLToPath(new URL('./guest/', import.meta.url));
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = !have('tmux') ? 'tmux not found' : false;
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const tmux = (...args: string[]) => spawnSync('tmux', args, { encoding: 'utf8' });
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function pane(name: string): string {
  return tmux('capture-pane', '-p', '-t', name).stdout;
}
function waitFor(name: string, re: RegExp, ms = 60_000): string {
  const end = Date.now() + ms;
  for (;;) {
    const p = pane(name);
    if (re.test(p) || Date.now() > end) return p;
    sleep(100);
  }
}

/**
 * Runs `cmd` in a fresh 80x24 tmux session, types the keys, returns the pane's text. A key
 * given as [key, /re/] is sent once the pane matches re (the program reached that point).
 */
function drive(name: string, cmd: string, keys: (string | [string, RegExp])[] = ['a', 'C-c', 'b', 'C-\\', 'C-z', 'Enter', 'q'], gap = 300, rows = 24): string {
  tmux('kill-session', '-t', name);
  tmux('new-session', '-d', '-s', name, '-x', '80', '-y', String(rows), `cd ${quote(guestDir)} && ${cmd}; echo EXIT=$?; sleep 60`);
  try {
    waitFor(name, /^ready$/m);
    for (const k of keys) {
      if (Array.isArray(k)) waitFor(name, k[1]);
      tmux('send-keys', '-t', name, Array.isArray(k) ? k[0] : k);
      sleep(gap);
    }
    return waitFor(name, /^EXIT=/m).split('\n').filter((l) => l !== '').join('\n');
  } finally {
    tmux('kill-session', '-t', name);
  }
}

const node = quote(process.execPath), cli = quote(teeos);
const qemu = have('qemu-riscv64') ? drive(`teeos-q-${process.pid}`, 'qemu-riscv64 bin/tty') : null;

for (const tee of ['keystone', 'sev', 'sgx']) {
  test(`tty on ${tee}: raw keys, Ctrl-C/Ctrl-\\/Ctrl-Z as signals, the terminal restored, as under qemu-riscv64`, { skip: skip || (!qemu && 'qemu-riscv64 not found'), timeout: 120_000 }, () => {
    const got = drive(`teeos-${tee}-${process.pid}`, `${node} ${cli} run --tee ${tee} bin/tty`);
    assert.equal(got, qemu);
    assert.match(got, /read: EINTR signal 2\n/);
  });
}

// Signal keys while the guest is not reading: Ctrl-C while it computes, Ctrl-\\ while it waits in
// sigsuspend, Ctrl-Z while it computes (which flushes the 'k' typed before it, as n_tty does), and
// a 'j' typed while it sleeps, kept for its next read.
const spinKeys: (string | [string, RegExp])[] = ['C-c', ['C-\\', /computing: SIGINT/], ['k', /waiting: SIGQUIT/], 'C-z', ['j', /computing: SIGTSTP/]];
const qemuSpin = have('qemu-riscv64') ? drive(`teeos-qs-${process.pid}`, 'qemu-riscv64 bin/tty_spin', spinKeys, 1000) : null;

for (const tee of ['keystone', 'sev', 'sgx']) {
  test(`tty_spin on ${tee}: Ctrl-C/Ctrl-\\/Ctrl-Z reach a guest that computes or waits, typed keys kept, as under qemu-riscv64`, { skip: skip || (!qemuSpin && 'qemu-riscv64 not found'), timeout: 120_000 }, () => {
    const got = drive(`teeos-s-${tee}-${process.pid}`, `${node} ${cli} run --tee ${tee} bin/tty_spin`, spinKeys, 1000);
    assert.equal(got, qemuSpin);
    assert.match(got, /computing: SIGTSTP/);
  });
}

// Job control of the terminal (tests/guest/src/tty_jobctl.c): reads, writes under TOSTOP,
// tcsetattr and tcsetpgrp from a background process group. Nothing is typed. The same source
// built for x86-64 and run on this Linux gives the same pane as qemu-riscv64.
const qemuJobs = have('qemu-riscv64') ? drive(`teeos-qj-${process.pid}`, 'qemu-riscv64 bin/tty_jobctl', [], 0, 48) : null;

for (const tee of ['keystone', 'sev', 'sgx']) {
  test(`tty_jobctl on ${tee}: SIGTTIN/SIGTTOU for a background group, EIO when ignored or blocked, TOSTOP, as under qemu-riscv64`, { skip: skip || (!qemuJobs && 'qemu-riscv64 not found'), timeout: 180_000 }, () => {
    const got = drive(`teeos-j-${tee}-${process.pid}`, `${node} ${cli} run --tee ${tee} bin/tty_jobctl`, [], 0, 48);
    assert.equal(got, qemuJobs);
    assert.match(got, /background read: stopped by TTIN\n/);
    assert.match(got, /background write, TOSTOP: stopped by TTOU\n/);
  });
}

test('teeos killed while the terminal is raw leaves it cooked', { skip, timeout: 120_000 }, () => {
  const name = `teeos-kill-${process.pid}`;
  tmux('kill-session', '-t', name);
  tmux('new-session', '-d', '-s', name, '-x', '80', '-y', '24',
    `cd ${quote(guestDir)} && sh -c 'echo PID=$$; exec ${node} ${cli} run bin/tty'; sleep 1; stty -a | tr ' ;' '\\n\\n' | grep -x -e -icanon -e icanon -e -echo -e echo | tr '\\n' ' '; echo; echo DONE; sleep 60`);
  try {
    const p = waitFor(name, /^ready$/m);
    const pid = Number(/PID=(\d+)/.exec(p)?.[1]);
    assert.ok(pid > 0, p);
    assert.match(p, /icanon 0 echo 0/);
    process.kill(pid, 'SIGTERM');
    const after = waitFor(name, /^DONE$/m);
    assert.match(after, /^icanon echo\s*$/m, after);
  } finally {
    tmux('kill-session', '-t', name);
  }
});
