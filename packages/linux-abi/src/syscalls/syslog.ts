/**
 * syslog(2) (klogctl): kernel/printk/printk.c do_syslog over the kernel log of printk.ts.
 *
 * check_syslog_permissions first: with kernel.dmesg_restrict set (1, as Debian has it) every
 * action needs CAP_SYSLOG, even CLOSE, OPEN and an unknown action (EPERM before EINVAL); with it
 * 0, READ_ALL and SIZE_BUFFER are for anyone. Only root (uid 0) has CAP_SYSLOG here.
 */
import { E } from '../errors.ts';
import { LOG_BUF_LEN, PrintkRing } from '../printk.ts';
import type { Kernel, BLOCKED } from '../kernel.ts';
import type { Task } from '../task.ts';
import type { SyscallTable } from './table.ts';

// include/linux/syslog.h
const SYSLOG_ACTION_CLOSE = 0, SYSLOG_ACTION_OPEN = 1, SYSLOG_ACTION_READ = 2, SYSLOG_ACTION_READ_ALL = 3;
const SYSLOG_ACTION_READ_CLEAR = 4, SYSLOG_ACTION_CLEAR = 5, SYSLOG_ACTION_CONSOLE_OFF = 6, SYSLOG_ACTION_CONSOLE_ON = 7;
const SYSLOG_ACTION_CONSOLE_LEVEL = 8, SYSLOG_ACTION_SIZE_UNREAD = 9, SYSLOG_ACTION_SIZE_BUFFER = 10;
/** minimum_console_loglevel (CONSOLE_LOGLEVEL_MIN). */
const CONSOLE_LOGLEVEL_MIN = 1;

/** Tasks sleeping in SYSLOG_ACTION_READ for a record (log_wait). */
const readers = new WeakMap<Kernel, Set<Task>>();

function waitForRecord(k: Kernel, t: Task): typeof BLOCKED {
  let set = readers.get(k);
  if (!set) {
    const s = new Set<Task>();
    readers.set(k, s);
    k.printk.onRecord = () => { for (const w of [...s]) k.restartSyscall(w); };
    set = s;
  }
  set.add(t);
  // wait_event_interruptible: -ERESTARTSYS on a signal (SA_RESTART restarts it).
  return k.block(t, { deadline: Infinity, onTimeout: 0, onWake: () => set!.delete(t) });
}

const enc = new TextEncoder();

function syslogRestricted(ring: PrintkRing, type: number): boolean {
  return ring.dmesgRestrict !== 0 || (type !== SYSLOG_ACTION_READ_ALL && type !== SYSLOG_ACTION_SIZE_BUFFER);
}

export function registerSyslog(tab: SyscallTable): void {
  tab.def('syslog', 'dpd', (k, t, a) => {
    const type = a.i32(0), buf = a.u(1), len = a.i32(2);
    const ring = k.printk;
    if (syslogRestricted(ring, type) && k.config.uid !== 0) return -E.EPERM;
    switch (type) {
      case SYSLOG_ACTION_CLOSE:
      case SYSLOG_ACTION_OPEN:
        return 0;
      case SYSLOG_ACTION_READ: {
        if (!buf || len < 0) return -E.EINVAL;
        if (!len) return 0;
        if (!ring.record(ring.firstFrom(ring.syslogSeq))) return waitForRecord(k, t);
        return syslogPrint(k, t, buf, len);
      }
      case SYSLOG_ACTION_READ_CLEAR:
      case SYSLOG_ACTION_READ_ALL: {
        if (!buf || len < 0) return -E.EINVAL;
        if (!len) return 0;
        return syslogPrintAll(k, t, buf, len, type === SYSLOG_ACTION_READ_CLEAR);
      }
      case SYSLOG_ACTION_CLEAR:
        ring.clearSeq = ring.nextSeq;
        return 0;
      case SYSLOG_ACTION_CONSOLE_OFF:
        if (ring.savedConsoleLoglevel === -1) ring.savedConsoleLoglevel = ring.consoleLoglevel;
        ring.consoleLoglevel = CONSOLE_LOGLEVEL_MIN;
        return 0;
      case SYSLOG_ACTION_CONSOLE_ON:
        if (ring.savedConsoleLoglevel !== -1) {
          ring.consoleLoglevel = ring.savedConsoleLoglevel;
          ring.savedConsoleLoglevel = -1;
        }
        return 0;
      case SYSLOG_ACTION_CONSOLE_LEVEL:
        if (len < 1 || len > 8) return -E.EINVAL;
        ring.consoleLoglevel = Math.max(len, CONSOLE_LOGLEVEL_MIN);
        ring.savedConsoleLoglevel = -1; // implicitly re-enables logging to the console
        return 0;
      case SYSLOG_ACTION_SIZE_UNREAD: {
        const first = ring.firstFrom(ring.syslogSeq);
        if (!ring.record(first)) return 0;
        if (first !== ring.syslogSeq) { ring.syslogSeq = first; ring.syslogPartial = 0; } // messages are gone
        let n = 0;
        for (let s = first; s < ring.nextSeq; s++) n += enc.encode(PrintkRing.format(ring.record(s)!)).length;
        return n - ring.syslogPartial;
      }
      case SYSLOG_ACTION_SIZE_BUFFER:
        return LOG_BUF_LEN;
      default:
        return -E.EINVAL;
    }
  }, 'full', 'a kernel log of this enclave\'s kernel (its banner, processes killed by signals, OOM kills, seccomp logging); dmesg_restrict 1: root only');
}

/** syslog_print: whole records from syslog_seq while they fit; a first record too long is given in part. */
function syslogPrint(k: Kernel, t: Task, buf: number, size: number): number {
  const ring = k.printk;
  let len = 0;
  while (size > 0) {
    const seq = ring.firstFrom(ring.syslogSeq);
    if (seq !== ring.syslogSeq) { ring.syslogSeq = seq; ring.syslogPartial = 0; }
    const r = ring.record(seq);
    if (!r) break;
    const text = enc.encode(PrintkRing.format(r));
    const skip = ring.syslogPartial;
    let n: number;
    if (text.length - skip <= size) {
      n = text.length - skip;
      ring.syslogSeq = seq + 1;
      ring.syslogPartial = 0;
    } else if (!len) {
      n = size;
      ring.syslogPartial += n;
    } else n = 0;
    if (!n) break;
    try {
      t.proc.as.copyOut(buf + len, text.subarray(skip, skip + n));
    } catch {
      if (!len) len = -E.EFAULT;
      break;
    }
    len += n;
    size -= n;
  }
  return len;
}

/** syslog_print_all: the newest records from clear_seq that fit, whole; READ_CLEAR then moves clear_seq past them. */
function syslogPrintAll(k: Kernel, t: Task, buf: number, size: number, clear: boolean): number {
  const ring = k.printk;
  const texts: Uint8Array[] = [];
  let seq = ring.firstFrom(ring.clearSeq);
  for (let s = seq; s < ring.nextSeq; s++) texts.push(enc.encode(PrintkRing.format(ring.record(s)!)));
  // find_first_fitting_seq: drop the oldest until the rest fit.
  let total = texts.reduce((n, x) => n + x.length, 0), i = 0;
  while (total > size && i < texts.length) total -= texts[i++]!.length;
  seq += i;
  let len = 0;
  for (; i < texts.length; i++, seq++) {
    const x = texts[i]!;
    if (len + x.length > size) break;
    try {
      t.proc.as.copyOut(buf + len, x);
    } catch {
      len = -E.EFAULT;
      break;
    }
    len += x.length;
  }
  if (clear) ring.clearSeq = seq;
  return len;
}
