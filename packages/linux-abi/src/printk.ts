/**
 * The kernel log (kernel/printk/printk.c, modestly): numbered records of a level and a line,
 * what syslog(2) and /proc/sys/kernel/dmesg_restrict see. The kernel records its banner at boot
 * and the events it already reports to the operator through the platform log (a process killed
 * by a signal, the out-of-memory killer, seccomp's logged actions); the oldest records go when
 * their text passes the buffer size (log_buf_len), as the ring's do.
 *
 * Records print as syslog's READ calls print them (record_print_text with syslog and
 * printk_time, Debian's CONFIG_PRINTK_TIME=y): "<level>[%5lu.%06lu] text\n", the time being
 * since boot.
 */

// include/linux/kern_levels.h
export const KERN_EMERG = 0, KERN_ALERT = 1, KERN_CRIT = 2, KERN_ERR = 3, KERN_WARNING = 4, KERN_NOTICE = 5, KERN_INFO = 6, KERN_DEBUG = 7;

/** Debian's CONFIG_LOG_BUF_SHIFT=17: a 128 KiB log buffer (SYSLOG_ACTION_SIZE_BUFFER). */
export const LOG_BUF_LEN = 1 << 17;

export interface LogRecord { seq: number; level: number; ns: number; text: string }

export class PrintkRing {
  readonly records: LogRecord[] = [];
  private bytes = 0;
  /** The sequence number the next record gets (prb_next_seq). */
  nextSeq = 0;
  /** SYSLOG_ACTION_READ's position and how much of that record it has given (syslog_seq, syslog_partial). */
  syslogSeq = 0;
  syslogPartial = 0;
  /** Where READ_ALL starts (clear_seq): moved by CLEAR and READ_CLEAR. */
  clearSeq = 0;
  /** kernel.dmesg_restrict: 1 as Debian sets it (CONFIG_SECURITY_DMESG_RESTRICT=y). */
  dmesgRestrict = 1;
  /** console_loglevel and the level saved by CONSOLE_OFF (CONSOLE_LOGLEVEL_DEFAULT 7; -1 = none saved). */
  consoleLoglevel = 7;
  savedConsoleLoglevel = -1;
  /** Called when a record is added (a SYSLOG_ACTION_READ waiting for one). */
  onRecord: (() => void) | null = null;

  constructor(private readonly clockNs: () => number) {}

  add(level: number, text: string): void {
    for (const line of text.split('\n')) {
      const r = { seq: this.nextSeq++, level, ns: this.clockNs(), text: line };
      this.records.push(r);
      this.bytes += line.length;
    }
    while (this.bytes > LOG_BUF_LEN && this.records.length > 1) this.bytes -= this.records.shift()!.text.length;
    this.onRecord?.();
  }

  /** The first record at or after seq that is still in the ring. */
  firstFrom(seq: number): number {
    const first = this.records.length ? this.records[0]!.seq : this.nextSeq;
    return Math.max(seq, first);
  }

  record(seq: number): LogRecord | undefined {
    const first = this.records.length ? this.records[0]!.seq : this.nextSeq;
    return this.records[seq - first];
  }

  static format(r: LogRecord): string {
    const us = Math.floor(r.ns / 1000);
    const sec = Math.floor(us / 1e6), frac = us % 1e6;
    return `<${r.level}>[${String(sec).padStart(5, ' ')}.${String(frac).padStart(6, '0')}] ${r.text}\n`;
  }
}
