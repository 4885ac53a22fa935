// syslog(2) as root (CAP_SYSLOG): the enclave's runtimes start programs as uid 1000, so the guest
// program (tests/guest/src/syslog.c) sees only EPERM; here the handler runs with uid 0 against a
// kernel log and a user buffer of plain memory. Expected values follow kernel/printk/printk.c
// (do_syslog, syslog_print, syslog_print_all, check_syslog_permissions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSyscallTable } from '../src/kernel.ts';
import { SYS } from '../src/generated/syscall-numbers.ts';
import { E } from '../src/errors.ts';
import { SysError } from '../src/errors.ts';
import { KERN_ERR, KERN_INFO, KERN_NOTICE, LOG_BUF_LEN, PrintkRing } from '../src/printk.ts';

const syslog = buildSyscallTable().get(SYS.syslog)!.fn;
const BUF = 0x1000, BUF_END = 0x2000;

function setup(uid: number) {
  let now = 1_500_000; // ns since boot
  const printk = new PrintkRing(() => now);
  const mem = new Uint8Array(BUF_END);
  const restarted: unknown[] = [];
  const k = {
    config: { uid }, printk,
    block: () => Symbol.for('blocked'),
    restartSyscall: (t: unknown) => restarted.push(t),
  };
  const t = { proc: { as: { copyOut(addr: number, b: Uint8Array) {
    if (addr < BUF || addr + b.length > BUF_END) throw new SysError(E.EFAULT);
    mem.set(b, addr);
  } } } };
  const call = (type: number, buf: number, len: number) => {
    const args = [type, buf, len];
    const a = { i32: (i: number) => args[i]! | 0, u: (i: number) => args[i]! };
    return syslog(k as never, t as never, a as never) as number;
  };
  const text = (n: number) => new TextDecoder().decode(mem.subarray(BUF, BUF + n));
  return { printk, call, text, restarted, tick: (ns: number) => { now += ns; } };
}

test('syslog as root: READ_ALL "<level>[time] text", SIZE_*, READ consumes, CLEAR, READ_CLEAR', () => {
  const s = setup(0);
  s.printk.add(KERN_NOTICE, 'Linux version 6.1.0-teeos');
  s.tick(2_000_000_123);
  s.printk.add(KERN_ERR, 'out of enclave memory');
  const all = '<5>[    0.001500] Linux version 6.1.0-teeos\n<3>[    2.001500] out of enclave memory\n';
  assert.equal(s.call(0, 0, 0), 0); // CLOSE
  assert.equal(s.call(1, 0, 0), 0); // OPEN
  assert.equal(s.call(10, 0, 0), LOG_BUF_LEN); // SIZE_BUFFER
  assert.equal(s.call(9, 0, 0), all.length); // SIZE_UNREAD
  assert.equal(s.call(3, BUF, 4096), all.length);
  assert.equal(s.text(all.length), all);
  // Only the newest whole records that fit.
  const second = '<3>[    2.001500] out of enclave memory\n';
  assert.equal(s.call(3, BUF, 60), second.length);
  assert.equal(s.text(second.length), second);
  assert.equal(s.call(3, BUF, 10), 0);
  assert.equal(s.call(3, 0, 10), -E.EINVAL);
  assert.equal(s.call(3, BUF, -1), -E.EINVAL);
  assert.equal(s.call(3, BUF, 0), 0);
  assert.equal(s.call(3, 0x10, 64), -E.EFAULT);
  // READ: a first record longer than the buffer is given in part, then the rest.
  assert.equal(s.call(2, BUF, 10), 10);
  assert.equal(s.text(10), '<5>[    0.');
  assert.equal(s.call(9, 0, 0), all.length - 10);
  assert.equal(s.call(2, BUF, 4096), all.length - 10);
  assert.equal(s.text(all.length - 10), all.slice(10));
  assert.equal(s.call(9, 0, 0), 0);
  // Nothing unread: READ sleeps until a record comes, then runs again.
  assert.equal(typeof s.call(2, BUF, 64), 'symbol');
  s.printk.add(KERN_INFO, 'pid 2 (x) killed by signal 9');
  assert.equal(s.restarted.length, 1);
  // READ_ALL is not moved by READ; CLEAR moves it past everything.
  assert.equal(s.call(3, BUF, 4096), all.length + '<6>[    2.001500] pid 2 (x) killed by signal 9\n'.length);
  assert.equal(s.call(5, 0, 0), 0);
  assert.equal(s.call(3, BUF, 4096), 0);
  s.printk.add(KERN_INFO, 'one');
  assert.equal(s.call(4, BUF, 4096), '<6>[    2.001500] one\n'.length); // READ_CLEAR
  assert.equal(s.call(3, BUF, 4096), 0);
});

test('syslog as root: console level, unknown actions', () => {
  const s = setup(0);
  assert.equal(s.call(8, 0, 0), -E.EINVAL);
  assert.equal(s.call(8, 0, 9), -E.EINVAL);
  assert.equal(s.call(8, 0, 4), 0);
  assert.equal(s.printk.consoleLoglevel, 4);
  assert.equal(s.call(6, 0, 0), 0); // CONSOLE_OFF saves 4
  assert.equal(s.printk.consoleLoglevel, 1);
  assert.equal(s.call(7, 0, 0), 0); // CONSOLE_ON restores it
  assert.equal(s.printk.consoleLoglevel, 4);
  assert.equal(s.call(11, BUF, 4), -E.EINVAL);
  assert.equal(s.call(-1, BUF, 4), -E.EINVAL);
});

test('syslog as a user: everything EPERM under dmesg_restrict 1; READ_ALL and SIZE_BUFFER allowed under 0', () => {
  const s = setup(1000);
  s.printk.add(KERN_NOTICE, 'banner');
  for (let type = -1; type <= 11; type++) assert.equal(s.call(type, BUF, 64), -E.EPERM, `action ${type}`);
  s.printk.dmesgRestrict = 0;
  assert.equal(s.call(3, BUF, 64), '<5>[    0.001500] banner\n'.length);
  assert.equal(s.call(10, 0, 0), LOG_BUF_LEN);
  for (const type of [0, 1, 2, 4, 5, 6, 7, 8, 9, 11]) assert.equal(s.call(type, BUF, 64), -E.EPERM, `action ${type}`);
});
