/**
 * The host terminal as the kernel's controlling terminal (drivers/tty/tty_jobctrl.c; the line
 * discipline after drivers/tty/n_tty.c is in n_tty.ts). The host's stdio is the one terminal;
 * init's session owns it and init's process group starts in the foreground.
 *
 * - The host is a dumb serial line: when its stdin is a terminal it keeps it raw from the
 *   first look on (restored on every exit path), whatever the guest's termios, so Ctrl-C,
 *   Ctrl-Z and Ctrl-\ reach the kernel as bytes and never act on teeos itself. The kernel
 *   does what the guest's termios asks: input mapping, ISIG, canonical editing, echo, OPOST.
 * - TCSETS/TCSETSW/TCSETSF are recorded by the host (for TCGETS) and kept here to act on
 *   (TCSETSF flushes the typed input).
 * - TIOCGPGRP/TIOCSPGRP/TIOCSCTTY/TIOCGSID/TIOCNOTTY: the foreground process group and session.
 * - SIGWINCH: a window size change seen when the terminal is read goes to the foreground group.
 * - Job control of the session's other groups (__tty_check_change): their reads get SIGTTIN,
 *   their writes SIGTTOU under TOSTOP, their TCSETS, TCSETSW, TCSETSF, TIOCSPGRP, TCFLSH and
 *   TCSBRK SIGTTOU; EIO when ignored (reads) or orphaned; the call restarts after a stop.
 * - TCFLSH drops typed input; TCSBRK (tcdrain, tcsendbreak) has nothing to wait for.
 * - While the guest computes (or sleeps), the scheduler asks the host every few million
 *   instructions for typed keys without waiting (preadv2 with RWF_NOWAIT on host stdin): they
 *   go through the line discipline at once (signal keys become signals, echo appears).
 * Limits (stated): a guest read of the terminal waits in the host, so other tasks do not run
 *   meanwhile; on process-per-enclave platforms (SGX) each enclave has its own copy of this
 *   state; when only stdout is a terminal the host's own line discipline stays in charge.
 */
import { E } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import { TERMIOS_SIZE } from '../abi/structs.ts';
import { orphanedPgrp, restartSys, sendToProcess } from '../signals.ts';
import type { BLOCKED } from '../kernel.ts';
import type { OpenFile } from './file.ts';
import { HostStdioFile } from './host-stdio.ts';
import { O_NONBLOCK, O_RDONLY, O_WRONLY, SIGTTIN, SIGTTOU } from '../abi/constants.ts';
import { consumed, flushInput, ICANON, lflagOf, newNTty, opost, pollingRead, readable, receive, setMode, take, type NTty, type NTtyHooks } from './n_tty.ts';

const SIGWINCH = 28;
const SIG_IGN = 1n;
const TOSTOP = 0x100; // asm-generic/termbits.h
export const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404;
export const TCSBRK = 0x5409, TCFLSH = 0x540b, TCSBRKP = 0x5425;
const TCIFLUSH = 0, TCOFLUSH = 1, TCIOFLUSH = 2;
export const TIOCSCTTY = 0x540e, TIOCGPGRP = 0x540f, TIOCSPGRP = 0x5410, TIOCNOTTY = 0x5422, TIOCGSID = 0x5429;

interface TtyState {
  sid: number;
  fg: number;
  termios: Uint8Array | null;
  rows: number;
  cols: number;
  /** Whether host stdin is a terminal (null: not asked yet). */
  active: boolean | null;
  input: HostStdioFile | null;
  /** Where echo goes: the host's stdout, or stderr, when a terminal. */
  echoTo: HostStdioFile | null;
  n: NTty;
}

const states = new WeakMap<Kernel, TtyState>();
function stateOf(k: Kernel): TtyState {
  let s = states.get(k);
  if (!s) states.set(k, (s = { sid: 1, fg: 1, termios: null, rows: -1, cols: -1, active: null, input: null, echoTo: null, n: newNTty() }));
  return s;
}

/** The host terminal behind a file, or null when the file is not a terminal. */
export function terminalOf(f: OpenFile): HostStdioFile | null {
  const h = f instanceof HostStdioFile ? f : (f as { output?: unknown }).output instanceof HostStdioFile ? (f as unknown as { output: HostStdioFile }).output : null;
  return h && h.isTerminal() ? h : null;
}

/** kill_pgrp from the kernel (SI_KERNEL, no permission check). */
function signalGroup(k: Kernel, pgid: number, sig: number): void {
  for (const p of [...k.processes.values()]) if (p.pgid === pgid && p.exitStatus === null) sendToProcess(k, p, { signo: sig, code: 0x80 });
}

/**
 * __tty_check_change (drivers/tty/tty_jobctrl.c): a process of the terminal's session outside
 * its foreground group touches it. With `sig` (SIGTTIN for reads; SIGTTOU for writes under
 * TOSTOP and for changing the terminal's settings) ignored or blocked, a read is EIO and the
 * rest goes on; in an orphaned group it is EIO; otherwise the whole group gets the signal
 * and the call restarts after it (-ERESTARTSYS: stopped by default, EINTR after a handler
 * without SA_RESTART). 0 means go on.
 */
export function ttyCheckChange(k: Kernel, t: Task, f: OpenFile, sig: number): number | typeof BLOCKED {
  if (!terminalOf(f)) return 0;
  const s = stateOf(k);
  const p = t.proc;
  if (s.sid === 0 || p.sid !== s.sid) return 0; // not its controlling terminal
  if (!s.fg || p.pgid === s.fg) return 0;
  const act = p.sigactions.get(sig);
  const ignored = (t.sigmask & (1n << BigInt(sig - 1))) !== 0n || (act !== undefined && act.handler === SIG_IGN);
  if (ignored) return sig === SIGTTIN ? -E.EIO : 0;
  if (orphanedPgrp(k, p)) return -E.EIO;
  signalGroup(k, p.pgid, sig);
  return restartSys(k, t, sig);
}

/** A write to the terminal from the background with TOSTOP set: SIGTTOU (n_tty_write). */
export function ttyCheckWrite(k: Kernel, t: Task, f: OpenFile): number | typeof BLOCKED {
  if (!terminalOf(f)) return 0;
  const s = stateOf(k);
  if (!s.termios && !attachTerminal(k)) return 0;
  return s.termios && lflagOf(s.termios) & TOSTOP ? ttyCheckChange(k, t, f, SIGTTOU) : 0;
}

/** Job-control ioctls; null when `cmd` is not one (the file's own ioctl goes on). */
export function ttyIoctl(k: Kernel, t: Task, f: OpenFile, cmd: number, arg: number): number | typeof BLOCKED | null {
  if (cmd !== TIOCGPGRP && cmd !== TIOCSPGRP && cmd !== TIOCSCTTY && cmd !== TIOCGSID && cmd !== TIOCNOTTY &&
    cmd !== TCSETS && cmd !== TCSETSW && cmd !== TCSETSF && cmd !== TCSBRK && cmd !== TCSBRKP && cmd !== TCFLSH) return null;
  const tty = terminalOf(f);
  if (!tty) return -E.ENOTTY;
  const s = stateOf(k);
  const as = t.proc.as;
  const int = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, v, true); return b; };
  switch (cmd) {
    case TCSBRK: case TCSBRKP: {
      // tcdrain (TCSBRK, 1) and tcsendbreak: the kernel's writes reach the host before they
      // return, so there is nothing to wait for; a break on the host's terminal does nothing
      // (as on a pty, which has no break_ctl).
      return ttyCheckChange(k, t, f, SIGTTOU);
    }
    case TCFLSH: {
      if (arg !== TCIFLUSH && arg !== TCOFLUSH && arg !== TCIOFLUSH) return -E.EINVAL;
      const c = ttyCheckChange(k, t, f, SIGTTOU);
      if (c !== 0) return c;
      // Typed input waiting in the line discipline goes; output is never held back here.
      if (arg !== TCOFLUSH) flushInput(s.n);
      return 0;
    }
    case TCSETS: case TCSETSW: case TCSETSF: {
      const c = ttyCheckChange(k, t, f, SIGTTOU); // set_termios checks before it reads
      if (c !== 0) return c;
      const tio = as.copyIn(arg, TERMIOS_SIZE);
      attachTerminal(k);
      const wasCanon = s.termios ? (lflagOf(s.termios) & ICANON) !== 0 : true;
      const r = tty.setTermios(cmd - TCSETS, tio);
      if (r === 0) {
        s.termios = tio.slice();
        if (cmd === TCSETSF) flushInput(s.n);
        const canon = (lflagOf(s.termios) & ICANON) !== 0;
        if (canon !== wasCanon) setMode(s.n, canon);
      }
      return r;
    }
    case TIOCGPGRP:
      if (t.proc.sid !== s.sid) return -E.ENOTTY;
      as.copyOut(arg, int(s.fg));
      return 0;
    case TIOCGSID:
      if (t.proc.sid !== s.sid || s.sid === 0) return -E.ENOTTY;
      as.copyOut(arg, int(s.sid));
      return 0;
    case TIOCSPGRP: {
      // tiocspgrp: the check comes first, and its EIO reads as ENOTTY.
      const c = ttyCheckChange(k, t, f, SIGTTOU);
      if (c === -E.EIO) return -E.ENOTTY;
      if (c !== 0) return c;
      const pgrp = new DataView(as.copyIn(arg, 4).buffer).getInt32(0, true);
      if (t.proc.sid !== s.sid) return -E.ENOTTY;
      if (pgrp < 0) return -E.EINVAL;
      const group = [...k.processes.values()].filter((p) => p.pgid === pgrp && p.exitStatus === null);
      if (group.length === 0) return -E.ESRCH;
      if (!group.some((p) => p.sid === s.sid)) return -E.EPERM;
      s.fg = pgrp;
      return 0;
    }
    case TIOCSCTTY:
      if (t.proc.sid === s.sid) return 0;
      if (t.proc.sid !== t.proc.pid) return -E.EPERM;
      // Stealing the terminal from another session needs CAP_SYS_ADMIN and arg 1.
      if (s.sid !== 0 && [...k.processes.values()].some((p) => p.sid === s.sid && p.exitStatus === null)) return -E.EPERM;
      s.sid = t.proc.sid;
      s.fg = t.proc.pgid;
      return 0;
    case TIOCNOTTY:
      if (t.proc.sid !== s.sid) return -E.ENOTTY;
      if (t.proc.sid === t.proc.pid) {
        signalGroup(k, s.fg, 1 /* SIGHUP */);
        signalGroup(k, s.fg, 18 /* SIGCONT */);
        s.sid = 0;
        s.fg = 0;
      }
      return 0;
  }
  return null;
}

/**
 * The guest's terminal from now on: the host keeps its terminal raw (asking whether fd 0 is a
 * terminal is what tells it so), and the scheduler looks for typed keys while the guest
 * computes or sleeps. Called at start and on every use; false when host stdin is no terminal
 * (then the host's own line discipline, if any, stays in charge).
 */
export function attachTerminal(k: Kernel): TtyState | null {
  const s = stateOf(k);
  if (s.active === null) {
    const input = new HostStdioFile(k.platform.host, 0, O_RDONLY);
    s.active = input.isTerminal();
    if (s.active) {
      s.input = input;
      const out = [1, 2].map((fd) => new HostStdioFile(k.platform.host, fd, O_WRONLY)).find((f) => f.isTerminal());
      s.echoTo = out ?? null;
      k.ttyPoll = () => pollKeys(k);
    }
  }
  if (!s.active) return null;
  if (!s.termios) s.termios = s.input!.hostTermios();
  return s.termios ? s : null;
}

function hooksOf(k: Kernel, s: TtyState): NTtyHooks {
  return {
    echo: (bytes) => { if (s.echoTo && s.termios) s.echoTo.write(opost(s.termios, Uint8Array.from(bytes))); },
    signal: (sig) => { if (s.fg) signalGroup(k, s.fg, sig); },
  };
}

/**
 * A read of the terminal through the line discipline: what the guest's termios makes of the
 * typed keys (n_tty_read). -EINTR when a signal key came and nothing is left to read; 0 at
 * VEOF at the start of a line or when the host's terminal is gone. Also notices window size
 * changes (SIGWINCH for the foreground group).
 */
export function ttyRead(k: Kernel, f: OpenFile, len: number): Uint8Array | number {
  const tty = terminalOf(f);
  if (!tty) return f.read(len);
  const s = stateOf(k);
  const w = tty.hostWinsize();
  if (w) {
    if (s.rows >= 0 && (w.rows !== s.rows || w.cols !== s.cols) && s.fg) signalGroup(k, s.fg, SIGWINCH);
    s.rows = w.rows;
    s.cols = w.cols;
  }
  if (!attachTerminal(k) || !s.termios) return f.read(len);
  const nonblock = (f.flags & O_NONBLOCK) !== 0 || pollingRead(s.termios);
  for (;;) {
    if (readable(s.n, s.termios)) return take(s.n, s.termios, len);
    if (nonblock) {
      if (!pollKeys(k) || !readable(s.n, s.termios)) return pollingRead(s.termios) && !(f.flags & O_NONBLOCK) ? new Uint8Array(0) : -E.EAGAIN;
      continue;
    }
    const r = s.input!.read(4096);
    if (typeof r === 'number') return r;
    if (r.length === 0) return r; // the host's terminal hung up
    if (receive(s.n, s.termios, r, hooksOf(k, s)) && !readable(s.n, s.termios)) return -E.EINTR;
  }
}

/** Output processing for a write to the terminal: the bytes for the host and how to count them back. */
export function ttyOutput(k: Kernel, f: OpenFile, data: Uint8Array): { out: Uint8Array; back: (n: number) => number } | null {
  if (!terminalOf(f)) return null;
  const s = attachTerminal(k);
  if (!s || !s.termios) return null;
  const tio = s.termios;
  const out = opost(tio, data);
  if (out === data) return null;
  return { out, back: (n) => (n < 0 ? n : consumed(tio, data, n)) };
}

/** A write through the terminal's output processing (sendfile, splice); plain for other files. */
export function ttyWrite(k: Kernel, f: OpenFile, data: Uint8Array): number {
  const o = ttyOutput(k, f, data);
  return o ? o.back(f.write(o.out)) : f.write(data);
}

const NR_PREADV2 = 286, RWF_NOWAIT = 8;

/**
 * The scheduler's look at the terminal while nobody reads it: typed keys go through the line
 * discipline now (signal keys become signals, echo appears as typed) and wait in the kernel
 * for the next read. False when the host has no such service (the scheduler then stops asking).
 */
function pollKeys(k: Kernel): boolean {
  const s = stateOf(k);
  if (!s.active || !s.input) return false;
  if (!s.termios) s.termios = s.input.hostTermios();
  if (!s.termios) return false;
  const r = s.input.channel.call({ op: 'fs', nr: NR_PREADV2, args: [0, 256, -1, RWF_NOWAIT], data: new Uint8Array(0), outLen: 256 });
  if (r.ret === -E.EAGAIN || r.ret === 0) return true;
  if (r.ret < 0 || r.ret > 256 || r.data.length < r.ret) return false; // no such service, or a lie: stop asking
  receive(s.n, s.termios, r.data.subarray(0, r.ret), hooksOf(k, s));
  return true;
}

/** The window size last seen (for tests). */
export function lastWinsize(k: Kernel): { rows: number; cols: number } {
  const s = stateOf(k);
  return { rows: s.rows, cols: s.cols };
}

void TCGETS;
