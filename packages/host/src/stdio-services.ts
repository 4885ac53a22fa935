/**
 * The host's services for the enclave: its own stdin, stdout and stderr, the wall clock and
 * the operator's console. Untrusted by the enclave; here they are simply honest.
 */
import { constants as fsc, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { encodeStat } from './host-files.ts';
import { isatty } from 'node:tty';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { HostServices } from '@teeos/hal-keystone/host';

const EBADF = 9, ENOTTY = 25, EIO = 5, EINVAL = 22, EAGAIN = 11;

function errnoOf(e: unknown): number {
  const code = (e as { errno?: number }).errno;
  return typeof code === 'number' ? Math.abs(code) : EIO;
}

/** Sleeps the host thread briefly (used while a non-blocking stdin has nothing). */
function nap(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** struct stat (asm-generic, 128 bytes) from the host's fstat. */
function encodeHostStat(fd: number): Uint8Array {
  return encodeStat(fstatSync(fd, { bigint: true }));
}

/**
 * A cooked-mode termios (asm-generic/termbits.h values), what a terminal reports by default.
 * Node cannot read the real termios; the terminal issue replaces this with the real state.
 */
function defaultTermios(): Uint8Array {
  const b = new Uint8Array(36);
  const dv = new DataView(b.buffer);
  const ICRNL = 0o400, IXON = 0o2000, IUTF8 = 0o40000;
  const OPOST = 0o1, ONLCR = 0o4;
  const B38400 = 0o17, CS8 = 0o60, CREAD = 0o200, HUPCL = 0o2000;
  const ISIG = 0o1, ICANON = 0o2, ECHO = 0o10, ECHOE = 0o20, ECHOK = 0o40, ECHOCTL = 0o1000, ECHOKE = 0o4000, IEXTEN = 0o100000;
  dv.setUint32(0, ICRNL | IXON | IUTF8, true);
  dv.setUint32(4, OPOST | ONLCR, true);
  dv.setUint32(8, B38400 | CS8 | CREAD | HUPCL, true);
  dv.setUint32(12, ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN, true);
  b[16] = 0; // c_line N_TTY
  // c_cc: VINTR ^C, VQUIT ^\, VERASE DEL, VKILL ^U, VEOF ^D, VTIME 0, VMIN 1, VSWTC 0, VSTART ^Q,
  // VSTOP ^S, VSUSP ^Z, VEOL 0, VREPRINT ^R, VDISCARD ^O, VWERASE ^W, VLNEXT ^V, VEOL2 0
  const cc = [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0];
  b.set(cc, 17);
  return b;
}

let rawNow = false;
let restoreHooked = false;
let watchdog: ChildProcess | null = null;

/**
 * Puts the host terminal (stdin) in raw mode or back. Restored on every way out: at exit (the
 * 'exit' event), and, for deaths that run no JavaScript (SIGTERM while a host read blocks the
 * event loop, SIGKILL), by a small watchdog process that waits for teeos to end and puts back
 * the settings `stty -g` saved before the first switch.
 */
function setRaw(on: boolean): void {
  const stdin = process.stdin as NodeJS.ReadStream & { setRawMode?: (m: boolean) => void };
  if (on === rawNow || !stdin.isTTY || !stdin.setRawMode) return;
  if (on && !restoreHooked) {
    restoreHooked = true;
    process.on('exit', () => restoreTerminal());
    try {
      const saved = execFileSync('stty', ['-g'], { stdio: [0, 'pipe', 'ignore'] }).toString().trim();
      if (/^[0-9a-fA-F:]+$/.test(saved)) {
        watchdog = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 0.2; done; stty ${saved}`], { stdio: [0, 'ignore', 'ignore'], detached: true });
        watchdog.unref();
      }
    } catch { /* no stty: the exit hook alone */ }
  }
  stdin.setRawMode(on);
  rawNow = on;
}

/** Leaves the host terminal as teeos found it (cooked). */
export function restoreTerminal(): void {
  if (rawNow) {
    try { (process.stdin as NodeJS.ReadStream & { setRawMode: (m: boolean) => void }).setRawMode(false); } catch { /* gone */ }
    rawNow = false;
  }
  if (watchdog) {
    try { watchdog.kill(); } catch { /* gone */ }
    watchdog = null;
  }
}

/** preadv2 and its RWF_NOWAIT flag: how the enclave asks for typed keys without waiting. */
export const NR_PREADV2 = 286, RWF_NOWAIT = 8;

export class StdioServices implements HostServices {
  /** The guest's settings of the host terminal (TCSETS), what TCGETS reports back. */
  private termios: Uint8Array | null = null;
  /** A second, non-blocking description of the terminal (stdin itself may be blocking). */
  private ttyNowait: number | null = null;
  constructor(private readonly quietConsole = false) {}

  /**
   * Host file calls on the standard streams: only preadv2(0, len, -1, RWF_NOWAIT) on a terminal,
   * the enclave's look for typed keys (Ctrl-C while the guest computes). EAGAIN when none.
   */
  fs(nr: number, args: number[], _data: Uint8Array, outLen: number): { ret: number; out?: Uint8Array } {
    const [fd, len, off, flags] = args;
    if (nr !== NR_PREADV2 || fd !== 0) return { ret: -EBADF };
    if (off !== -1 || flags !== RWF_NOWAIT || len < 0 || len > outLen) return { ret: -EINVAL };
    if (!isatty(0)) return { ret: -95 /* EOPNOTSUPP */ };
    try {
      this.ttyNowait ??= openSync('/dev/tty', fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOCTTY);
      const buf = new Uint8Array(len);
      const n = readSync(this.ttyNowait, buf, 0, len, null);
      return { ret: n, out: buf.subarray(0, n) };
    } catch (e) {
      return { ret: -errnoOf(e) };
    }
  }

  /**
   * TCSETS/TCSETSW/TCSETSF: recorded for TCGETS. The host terminal stays raw whatever the
   * settings: the enclave kernel is the line discipline (linux-abi fs/n_tty.ts).
   */
  tcsets(fd: number, _action: number, termios: Uint8Array): number {
    if (fd < 0 || fd > 2 || !isatty(fd)) return -ENOTTY;
    if (termios.length !== 36) return -EINVAL;
    this.termios = termios.slice();
    this.serialLine();
    return 0;
  }

  /**
   * The host terminal as a dumb serial line: raw from the enclave's first look at it (TCGETS on
   * any standard stream, which the kernel asks at start), so the host's own line discipline
   * never acts on Ctrl-C/Ctrl-Z/Ctrl-\ (they would stop or end teeos itself).
   */
  private serialLine(): void {
    if (isatty(0)) setRaw(true);
  }

  write(fd: number, data: Uint8Array): number {
    if (fd !== 1 && fd !== 2) return -EBADF;
    let done = 0;
    while (done < data.length) {
      try {
        done += writeSync(fd, data, done, data.length - done);
      } catch (e) {
        if (errnoOf(e) === EAGAIN) { nap(1); continue; }
        return done > 0 ? done : -errnoOf(e);
      }
    }
    return done;
  }

  read(fd: number, len: number): Uint8Array | number {
    if (fd !== 0) return -EBADF;
    const buf = new Uint8Array(len);
    for (;;) {
      try {
        const n = readSync(0, buf, 0, len, null);
        return buf.subarray(0, n);
      } catch (e) {
        const err = errnoOf(e);
        if (err === EAGAIN) { nap(5); continue; }
        if ((e as { code?: string }).code === 'EOF') return new Uint8Array(0);
        return -err;
      }
    }
  }

  fstat(fd: number): Uint8Array | number {
    if (fd < 0 || fd > 2) return -EBADF;
    try {
      return encodeHostStat(fd);
    } catch (e) {
      return -errnoOf(e);
    }
  }

  tcgets(fd: number): Uint8Array | number {
    if (fd < 0 || fd > 2) return -EBADF;
    if (!isatty(fd)) return -ENOTTY;
    this.serialLine();
    return this.termios ? this.termios.slice() : defaultTermios();
  }

  winsize(fd: number): { rows: number; cols: number } | number {
    if (fd < 0 || fd > 2 || !isatty(fd)) return -ENOTTY;
    const s = fd === 2 ? process.stderr : process.stdout;
    return { rows: s.rows ?? 24, cols: s.columns ?? 80 };
  }

  clock(clockId: number): { sec: number; nsec: number } | number {
    if (clockId !== 0 && clockId !== 1) return -EINVAL;
    const ns = clockId === 0 ? BigInt(Date.now()) * 1_000_000n : process.hrtime.bigint();
    return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
  }

  console(text: string): void {
    if (this.quietConsole) return;
    const out = text.split('\n').filter((l, i, a) => l !== '' || i < a.length - 1).map((l) => `[teeos] ${l}\n`).join('');
    this.write(2, new TextEncoder().encode(out));
  }
}
