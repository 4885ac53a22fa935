/**
 * The host terminal as the kernel's controlling terminal (drivers/tty/tty_jobctrl.c and the
 * ISIG part of n_tty.c, reduced). The host's stdio is the one terminal; init's session owns
 * it and init's process group starts in the foreground.
 *
 * - TCSETS/TCSETSW/TCSETSF go to the host (which puts its terminal in raw mode when the guest
 *   turns ICANON, ECHO or ISIG off, and restores it on every exit path); the kernel keeps the
 *   settings to act on them.
 * - TIOCGPGRP/TIOCSPGRP/TIOCSCTTY/TIOCGSID/TIOCNOTTY: the foreground process group and session.
 * - ISIG: while the host terminal is raw, the guest's VINTR/VQUIT/VSUSP characters arrive as
 *   bytes; read from the terminal, they become SIGINT/SIGQUIT/SIGTSTP for the foreground group
 *   (the bytes are dropped; a read that got only such bytes is EINTR).
 * - SIGWINCH: a window size change seen when the terminal is read goes to the foreground group.
 * - While the guest computes (or sleeps) with the terminal raw and ISIG on, the scheduler asks
 *   the host every few million instructions for typed keys without waiting (preadv2 with
 *   RWF_NOWAIT on host stdin): signal characters become signals at once, other keys wait in
 *   the kernel for the next read.
 * Limit (stated): in cooked mode the host terminal's own Ctrl-C ends teeos.
 */
import { E } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import { SIGINT, SIGQUIT, SIGTSTP } from '../abi/constants.ts';
import { TERMIOS_SIZE } from '../abi/structs.ts';
import { sendToProcess } from '../signals.ts';
import type { OpenFile } from './file.ts';
import { HostStdioFile, typedKeys } from './host-stdio.ts';

const SIGWINCH = 28;
export const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404;
export const TIOCSCTTY = 0x540e, TIOCGPGRP = 0x540f, TIOCSPGRP = 0x5410, TIOCNOTTY = 0x5422, TIOCGSID = 0x5429;
const ISIG = 0o1, ICANON = 0o2, ECHO = 0o10, NOFLSH = 0o200;
const INLCR = 0o100, IGNCR = 0o200, ICRNL = 0o400;
const VINTR = 0, VQUIT = 1, VSUSP = 10;

interface TtyState {
  sid: number;
  fg: number;
  termios: Uint8Array | null;
  rows: number;
  cols: number;
}

const states = new WeakMap<Kernel, TtyState>();
function stateOf(k: Kernel): TtyState {
  let s = states.get(k);
  if (!s) states.set(k, (s = { sid: 1, fg: 1, termios: null, rows: -1, cols: -1 }));
  return s;
}

/** The host terminal behind a file, or null when the file is not a terminal. */
export function terminalOf(f: OpenFile): HostStdioFile | null {
  const h = f instanceof HostStdioFile ? f : (f as { output?: unknown }).output instanceof HostStdioFile ? (f as unknown as { output: HostStdioFile }).output : null;
  return h && h.isTerminal() ? h : null;
}

function termios(k: Kernel, tty: HostStdioFile): Uint8Array | null {
  const s = stateOf(k);
  if (!s.termios) {
    const r = tty.hostTermios();
    if (r) s.termios = r;
  }
  return s.termios;
}

function signalGroup(k: Kernel, pgid: number, sig: number): void {
  for (const p of [...k.processes.values()]) if (p.pgid === pgid && p.exitStatus === null) sendToProcess(k, p, { signo: sig, code: 0x80 });
}

/** Job-control ioctls; null when `cmd` is not one (the file's own ioctl goes on). */
export function ttyIoctl(k: Kernel, t: Task, f: OpenFile, cmd: number, arg: number): number | null {
  if (cmd !== TIOCGPGRP && cmd !== TIOCSPGRP && cmd !== TIOCSCTTY && cmd !== TIOCGSID && cmd !== TIOCNOTTY &&
    cmd !== TCSETS && cmd !== TCSETSW && cmd !== TCSETSF) return null;
  const tty = terminalOf(f);
  if (!tty) return -E.ENOTTY;
  const s = stateOf(k);
  const as = t.proc.as;
  const int = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, v, true); return b; };
  switch (cmd) {
    case TCSETS: case TCSETSW: case TCSETSF: {
      const tio = as.copyIn(arg, TERMIOS_SIZE);
      const r = tty.setTermios(cmd - TCSETS, tio);
      if (r === 0) {
        s.termios = tio.slice();
        if (rawWithIsig(s.termios)) k.ttyPoll = () => pollKeys(k, tty);
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
 * What a read from the terminal hands the guest: with ISIG on and the host terminal raw, the
 * signal characters become signals for the foreground group. Also notices window size changes.
 * Returns the bytes to deliver, or -EINTR when nothing is left but signals were sent.
 */
export function ttyInput(k: Kernel, f: OpenFile, data: Uint8Array): Uint8Array | number {
  const tty = terminalOf(f);
  if (!tty) return data;
  const s = stateOf(k);
  const w = tty.hostWinsize();
  if (w) {
    if (s.rows >= 0 && (w.rows !== s.rows || w.cols !== s.cols) && s.fg) signalGroup(k, s.fg, SIGWINCH);
    s.rows = w.rows;
    s.cols = w.cols;
  }
  const tio = termios(k, tty);
  if (!tio || data.length === 0) return data;
  const lflag = new DataView(tio.buffer, tio.byteOffset, TERMIOS_SIZE).getUint32(12, true);
  // The host terminal is raw only when the guest turned one of these off; else it did ISIG itself.
  if (!(lflag & ISIG) || (lflag & (ICANON | ECHO | ISIG)) === (ICANON | ECHO | ISIG)) return data;
  const iflag = new DataView(tio.buffer, tio.byteOffset, TERMIOS_SIZE).getUint32(0, true);
  // Input translation the raw host terminal no longer does: IGNCR, ICRNL, INLCR (n_tty_receive_char).
  if (iflag & (IGNCR | ICRNL | INLCR)) {
    const m: number[] = [];
    for (const c of data) {
      if (c === 13) { if (iflag & IGNCR) continue; m.push(iflag & ICRNL ? 10 : 13); }
      else if (c === 10 && iflag & INLCR) m.push(13);
      else m.push(c);
    }
    data = Uint8Array.from(m);
    if (data.length === 0) return data;
  }
  const cc = tio.subarray(17);
  const sigOf = (c: number) => (c === cc[VINTR] && c ? SIGINT : c === cc[VQUIT] && c ? SIGQUIT : c === cc[VSUSP] && c ? SIGTSTP : 0);
  const noflsh = (lflag & NOFLSH) !== 0;
  let out: number[] | null = null;
  for (let i = 0; i < data.length; i++) {
    const sig = sigOf(data[i]);
    if (!sig) { out?.push(data[i]); continue; }
    out ??= Array.from(data.subarray(0, i));
    if (!noflsh) out.length = 0; // isig(): the input before the signal character is flushed
    if (s.fg) signalGroup(k, s.fg, sig);
  }
  if (!out) return data;
  return out.length ? Uint8Array.from(out) : -E.EINTR;
}

/** ISIG on while the host terminal is raw (ICANON or ECHO off): the kernel must act on signal keys. */
function rawWithIsig(tio: Uint8Array): boolean {
  const lflag = new DataView(tio.buffer, tio.byteOffset, TERMIOS_SIZE).getUint32(12, true);
  return (lflag & ISIG) !== 0 && (lflag & (ICANON | ECHO)) !== (ICANON | ECHO);
}

const NR_PREADV2 = 286, RWF_NOWAIT = 8;

/**
 * The scheduler's look at the terminal while nobody reads it: typed signal characters become
 * signals for the foreground group now; other keys are kept for the next read. False once the
 * terminal is no longer raw with ISIG (the scheduler then stops asking).
 */
function pollKeys(k: Kernel, tty: HostStdioFile): boolean {
  const s = stateOf(k);
  if (!s.termios || !rawWithIsig(s.termios)) return false;
  const host = tty.channel;
  const r = host.call({ op: 'fs', nr: NR_PREADV2, args: [0, 256, -1, RWF_NOWAIT], data: new Uint8Array(0), outLen: 256 });
  if (r.ret === -E.EAGAIN || r.ret === 0) return true;
  if (r.ret < 0 || r.ret > 256 || r.data.length < r.ret) return false; // no such service, or a lie: stop asking
  const cc = s.termios.subarray(17);
  const noflsh = (new DataView(s.termios.buffer, s.termios.byteOffset, TERMIOS_SIZE).getUint32(12, true) & NOFLSH) !== 0;
  const keep = typedKeys(host);
  for (const c of r.data.subarray(0, r.ret)) {
    const sig = c && c === cc[VINTR] ? SIGINT : c && c === cc[VQUIT] ? SIGQUIT : c && c === cc[VSUSP] ? SIGTSTP : 0;
    if (!sig) { keep.push(c); continue; }
    if (!noflsh) keep.length = 0; // isig(): the input typed so far is flushed
    if (s.fg) signalGroup(k, s.fg, sig);
  }
  return true;
}

/** The window size last seen (for tests). */
export function lastWinsize(k: Kernel): { rows: number; cols: number } {
  const s = stateOf(k);
  return { rows: s.rows, cols: s.cols };
}

void TCGETS;
