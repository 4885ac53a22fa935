/**
 * The terminal line discipline, in the kernel (after Linux drivers/tty/n_tty.c, reduced).
 * The host terminal is a dumb serial line kept raw by the host (stdio-services.ts); what the
 * guest's termios asks for is done here:
 * - input mapping: ISTRIP, IGNCR, ICRNL, INLCR (n_tty_receive_char_special);
 * - ISIG: VINTR/VQUIT/VSUSP become SIGINT/SIGQUIT/SIGTSTP for the foreground group, the
 *   pending input is flushed unless NOFLSH, the key is echoed (^C with ECHOCTL) (isig(),
 *   n_tty_receive_signal_char);
 * - ICANON: a line buffer edited by VERASE, VKILL, VWERASE and VLNEXT/VREPRINT (IEXTEN),
 *   ended by '\n', VEOL, VEOL2 or VEOF (not stored); a read returns at most one line, and
 *   VEOF at the start of a line makes it return 0 (canon_copy_from_read_buf);
 * - echo: ECHO (ECHOCTL shows control characters as ^X), ECHOE ("\b \b", two for a ^X, a
 *   whole UTF-8 character with IUTF8), ECHOK/ECHOKE, ECHONL (eraser(), echo_char());
 * - output: OPOST with ONLCR ("\n" -> "\r\n") and OCRNL, on writes and echoes (do_output_char).
 * Limits (stated): a tab is erased as one column; IXON/IXOFF, ECHOPRT, TOSTOP/SIGTTIN/SIGTTOU,
 * VDISCARD and the output delays are not done.
 */

export const ISIG = 0o1, ICANON = 0o2, ECHO = 0o10, ECHOE = 0o20, ECHOK = 0o40, ECHONL = 0o100, NOFLSH = 0o200;
export const ECHOCTL = 0o1000, ECHOKE = 0o4000, IEXTEN = 0o100000;
const ISTRIP = 0o40, INLCR = 0o100, IGNCR = 0o200, ICRNL = 0o400, IUTF8 = 0o40000;
const OPOST = 0o1, ONLCR = 0o4, OCRNL = 0o10;
const VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6, VSUSP = 10, VEOL = 11;
const VREPRINT = 12, VWERASE = 14, VLNEXT = 15, VEOL2 = 16;
const SIGINT = 2, SIGQUIT = 3, SIGTSTP = 20;
/** N_TTY_BUF_SIZE - 1: room for a line's terminator. */
const LINE_MAX = 4095;

export interface NTty {
  /** The canonical line being edited. */
  line: number[];
  /** Finished canonical lines, terminator included; an empty one is an end of file. */
  lines: number[][];
  /** Non-canonical input not yet read. */
  raw: number[];
  /** The next character is literal (VLNEXT). */
  lnext: boolean;
}

export function newNTty(): NTty {
  return { line: [], lines: [], raw: [], lnext: false };
}

/** What the line discipline needs from the terminal: echo bytes (before OPOST), raise a signal. */
export interface NTtyHooks {
  echo(bytes: number[]): void;
  signal(sig: number): void;
}

const flags = (tio: Uint8Array, off: number): number => new DataView(tio.buffer, tio.byteOffset, 36).getUint32(off, true);
export const iflagOf = (tio: Uint8Array): number => flags(tio, 0);
export const oflagOf = (tio: Uint8Array): number => flags(tio, 4);
export const lflagOf = (tio: Uint8Array): number => flags(tio, 12);
const ccOf = (tio: Uint8Array): Uint8Array => tio.subarray(17, 36);

const iscntrl = (c: number): boolean => c < 32 || c === 127;
/** echo_char(): a control character as ^X with ECHOCTL (not tab). */
function echoForm(c: number, lflag: number): number[] {
  return lflag & ECHOCTL && iscntrl(c) && c !== 9 ? [0x5e, c ^ 0o100] : [c];
}

/** Flushes pending input (isig() without NOFLSH, TCSETSF, TCFLSH). */
export function flushInput(n: NTty): void {
  n.line = [];
  n.lines = [];
  n.raw = [];
  n.lnext = false;
}

/** The termios changed: moving in or out of canonical mode keeps what was typed (n_tty_set_termios). */
export function setMode(n: NTty, canonical: boolean): void {
  if (canonical && n.raw.length) { n.lines.push(n.raw); n.raw = []; }
  if (!canonical && (n.lines.length || n.line.length)) { n.raw = [...n.lines.flat(), ...n.line, ...n.raw]; n.lines = []; n.line = []; }
}

/** Whether a read has something to return now. */
export function readable(n: NTty, tio: Uint8Array): boolean {
  return lflagOf(tio) & ICANON ? n.lines.length > 0 : n.raw.length > 0;
}

/** Takes up to len bytes: one line at most in canonical mode (a partial line stays first). */
export function take(n: NTty, tio: Uint8Array, len: number): Uint8Array {
  if (lflagOf(tio) & ICANON) {
    const l = n.lines[0];
    if (!l) return new Uint8Array(0);
    if (l.length <= len) { n.lines.shift(); return Uint8Array.from(l); }
    return Uint8Array.from(l.splice(0, len));
  }
  return Uint8Array.from(n.raw.splice(0, len));
}

/** VMIN 0 and VTIME 0 in non-canonical mode: a read returns at once, with what is there. */
export function pollingRead(tio: Uint8Array): boolean {
  const cc = ccOf(tio);
  return !(lflagOf(tio) & ICANON) && cc[VMIN] === 0 && cc[VTIME] === 0;
}

/** Erases one character of the line; returns the columns to back over (0 if nothing). */
function eraseOne(n: NTty, iflag: number, lflag: number): number {
  if (!n.line.length) return 0;
  let c = n.line.pop()!;
  if (iflag & IUTF8) while ((c & 0xc0) === 0x80 && n.line.length) c = n.line.pop()!;
  return lflag & ECHOCTL && iscntrl(c) && c !== 9 ? 2 : 1;
}

/**
 * Receives typed bytes (n_tty_receive_buf). Returns whether a signal key was among them.
 */
export function receive(n: NTty, tio: Uint8Array, data: Uint8Array, hooks: NTtyHooks): boolean {
  const iflag = iflagOf(tio), lflag = lflagOf(tio), cc = ccOf(tio);
  const echo = (lflag & ECHO) !== 0;
  const is = (c: number, v: number): boolean => cc[v] !== 0 && c === cc[v];
  let signalled = false;
  const out: number[] = [];
  const flushEcho = (): void => { if (out.length) { hooks.echo(out.splice(0)); } };
  for (let c of data) {
    if (iflag & ISTRIP) c &= 0x7f;
    if (n.lnext) {
      // The literal next character: no mapping, no special meaning (n_tty_receive_char).
      n.lnext = false;
      if (echo) out.push(...echoForm(c, lflag));
      if (lflag & ICANON) { if (n.line.length < LINE_MAX) n.line.push(c); } else n.raw.push(c);
      continue;
    }
    if (c === 13) {
      if (iflag & IGNCR) continue;
      if (iflag & ICRNL) c = 10;
    } else if (c === 10 && iflag & INLCR) c = 13;
    if (lflag & ISIG) {
      const sig = is(c, VINTR) ? SIGINT : is(c, VQUIT) ? SIGQUIT : is(c, VSUSP) ? SIGTSTP : 0;
      if (sig) {
        if (!(lflag & NOFLSH)) flushInput(n);
        if (echo) out.push(...echoForm(c, lflag));
        flushEcho();
        hooks.signal(sig);
        signalled = true;
        continue;
      }
    }
    if (lflag & IEXTEN && is(c, VLNEXT)) {
      n.lnext = true;
      if (echo && lflag & ECHOCTL) out.push(0x5e, 0x08);
      continue;
    }
    if (!(lflag & ICANON)) {
      if (echo) out.push(...(c === 10 ? [10] : echoForm(c, lflag)));
      n.raw.push(c);
      continue;
    }
    if (is(c, VERASE) || is(c, VKILL) || (lflag & IEXTEN && is(c, VWERASE))) {
      if (!n.line.length) continue;
      const back = (cols: number): void => { for (let i = 0; i < cols; i++) out.push(0x08, 0x20, 0x08); };
      if (is(c, VERASE)) {
        const cols = eraseOne(n, iflag, lflag);
        if (echo) { if (lflag & ECHOE) back(cols); else out.push(...echoForm(c, lflag)); }
      } else if (is(c, VKILL)) {
        if (!(lflag & ECHOK) || !(lflag & ECHOKE) || !(lflag & ECHOE)) {
          n.line = [];
          if (echo) { out.push(...echoForm(c, lflag)); if (lflag & ECHOK) out.push(10); }
        } else {
          while (n.line.length) { const cols = eraseOne(n, iflag, lflag); if (echo) back(cols); }
        }
      } else {
        // VWERASE: trailing blanks, then the word (alphanumerics and '_').
        const word = (b: number): boolean => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b >= 0x80;
        let seen = false;
        while (n.line.length) {
          const last = n.line[n.line.length - 1];
          if (word(last)) seen = true;
          else if (seen) break;
          const cols = eraseOne(n, iflag, lflag);
          if (echo) { if (lflag & ECHOE) back(cols); else out.push(...echoForm(c, lflag)); }
        }
      }
      continue;
    }
    if (lflag & IEXTEN && is(c, VREPRINT)) {
      if (echo) out.push(...echoForm(c, lflag), 10, ...n.line.flatMap((b) => echoForm(b, lflag)));
      continue;
    }
    if (c === 10) {
      if (echo || lflag & ECHONL) out.push(10);
      n.line.push(10);
      n.lines.push(n.line);
      n.line = [];
      continue;
    }
    if (is(c, VEOF)) {
      n.lines.push(n.line);
      n.line = [];
      continue;
    }
    if (is(c, VEOL) || is(c, VEOL2)) {
      if (echo) out.push(...echoForm(c, lflag));
      n.line.push(c);
      n.lines.push(n.line);
      n.line = [];
      continue;
    }
    if (n.line.length >= LINE_MAX) continue;
    if (echo) out.push(...echoForm(c, lflag));
    n.line.push(c);
  }
  flushEcho();
  return signalled;
}

/** Output processing (OPOST: ONLCR, OCRNL); the input itself when nothing changes. */
export function opost(tio: Uint8Array, data: Uint8Array): Uint8Array {
  const oflag = oflagOf(tio);
  if (!(oflag & OPOST) || !(oflag & (ONLCR | OCRNL))) return data;
  if (!data.includes(10) && !(oflag & OCRNL && data.includes(13))) return data;
  const m: number[] = [];
  for (let c of data) {
    if (c === 13 && oflag & OCRNL) c = 10;
    if (c === 10 && oflag & ONLCR) m.push(13);
    m.push(c);
  }
  return Uint8Array.from(m);
}

/** How many bytes of `data` went out when `written` bytes of opost(data) did. */
export function consumed(tio: Uint8Array, data: Uint8Array, written: number): number {
  const oflag = oflagOf(tio);
  let outBytes = 0;
  for (let i = 0; i < data.length; i++) {
    let c = data[i];
    if (oflag & OPOST && c === 13 && oflag & OCRNL) c = 10;
    outBytes += oflag & OPOST && c === 10 && oflag & ONLCR ? 2 : 1;
    if (outBytes > written) return i;
  }
  return data.length;
}
