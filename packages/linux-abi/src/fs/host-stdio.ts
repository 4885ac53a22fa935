/**
 * The process's standard streams, served by the untrusted host (terminal or pipe).
 * Every reply is checked: lengths within what was asked, stat fields sanitised into a
 * struct the enclave builds itself, termios of the exact size.
 */
import type { HostChannel } from '@teeos/hal';
import { E } from '../errors.ts';
import { S_IFCHR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, TCGETS, TIOCGWINSZ, O_RDWR } from '../abi/constants.ts';
import { decodeStat, STAT_SIZE, TERMIOS_SIZE, type Stat } from '../abi/structs.ts';
import { OpenFile, type IoctlMemory } from './file.ts';

export class HostStdioFile extends OpenFile {
  constructor(private readonly host: HostChannel, readonly hostFd: number, flags = O_RDWR) {
    super(flags);
  }

  /** The host channel (the terminal layer looks for typed keys through it). */
  get channel(): HostChannel {
    return this.host;
  }

  override read(len: number): Uint8Array | number {
    const want = Math.min(len, this.host.maxPayload);
    const r = this.host.call({ op: 'read', fd: this.hostFd, len: want });
    if (r.ret < 0) return r.ret < -4095 ? -E.EIO : r.ret;
    if (r.ret > want || r.data.length !== r.ret) return -E.EIO; // the host lied about the length
    return r.data;
  }

  override write(data: Uint8Array): number {
    let done = 0;
    while (done < data.length) {
      const chunk = data.subarray(done, done + this.host.maxPayload);
      const r = this.host.call({ op: 'write', fd: this.hostFd, data: chunk });
      if (r.ret < 0) return done > 0 ? done : r.ret < -4095 ? -E.EIO : r.ret;
      if (r.ret > chunk.length) return -E.EIO;
      done += r.ret;
      if (r.ret < chunk.length) break;
    }
    return done;
  }

  override stat(): Stat | number {
    const r = this.host.call({ op: 'fstat', fd: this.hostFd });
    if (r.ret < 0) return r.ret < -4095 ? -E.EIO : r.ret;
    if (r.stat.length !== STAT_SIZE) return -E.EIO;
    const h = decodeStat(r.stat);
    // Keep only what a stream may be; anything else from the host is not believed.
    const type = h.mode & S_IFMT;
    const okType = type === S_IFCHR || type === S_IFIFO || type === S_IFREG || type === S_IFSOCK ? type : S_IFIFO;
    const clamp = (v: number, max: number) => (Number.isSafeInteger(v) && v >= 0 && v <= max ? v : 0);
    return {
      dev: clamp(h.dev, 2 ** 32), ino: clamp(h.ino, 2 ** 53), mode: okType | (h.mode & 0o777), nlink: 1,
      uid: 0, gid: 0, rdev: clamp(h.rdev, 2 ** 32), size: okType === S_IFREG ? clamp(h.size, 2 ** 53) : 0,
      blksize: okType === S_IFCHR ? 1024 : 4096, blocks: 0,
      atimeSec: clamp(h.atimeSec, 2 ** 40), atimeNsec: clamp(h.atimeNsec, 999_999_999),
      mtimeSec: clamp(h.mtimeSec, 2 ** 40), mtimeNsec: clamp(h.mtimeNsec, 999_999_999),
      ctimeSec: clamp(h.ctimeSec, 2 ** 40), ctimeNsec: clamp(h.ctimeNsec, 999_999_999),
    };
  }

  private tty: boolean | null = null;
  /** Whether the host stream is a terminal (asked once). */
  isTerminal(): boolean {
    if (this.tty === null) this.tty = this.host.call({ op: 'tcgets', fd: this.hostFd }).ret === 0;
    return this.tty;
  }
  /** The host terminal's termios (exactly TERMIOS_SIZE bytes), or null. */
  hostTermios(): Uint8Array | null {
    const r = this.host.call({ op: 'tcgets', fd: this.hostFd });
    return r.ret === 0 && r.termios.length === TERMIOS_SIZE ? r.termios.slice() : null;
  }
  hostWinsize(): { rows: number; cols: number } | null {
    const r = this.host.call({ op: 'winsize', fd: this.hostFd });
    return r.ret === 0 ? { rows: Math.min(r.rows, 0xffff), cols: Math.min(r.cols, 0xffff) } : null;
  }
  /** TCSETS (0), TCSETSW (1), TCSETSF (2): 0 or a negative errno. */
  setTermios(action: number, termios: Uint8Array): number {
    const r = this.host.call({ op: 'tcsets', fd: this.hostFd, action, termios });
    return r.ret === 0 ? 0 : r.ret < 0 && r.ret >= -4095 ? r.ret : -E.EIO;
  }

  override ioctl(cmd: number, arg: number, io: IoctlMemory): number {
    if (cmd === TCGETS) {
      const r = this.host.call({ op: 'tcgets', fd: this.hostFd });
      if (r.ret < 0) return r.ret === -E.ENOTTY ? -E.ENOTTY : -E.ENOTTY;
      if (r.termios.length !== TERMIOS_SIZE) return -E.EIO;
      io.copyOut(arg, r.termios);
      return 0;
    }
    if (cmd === TIOCGWINSZ) {
      const r = this.host.call({ op: 'winsize', fd: this.hostFd });
      if (r.ret < 0) return -E.ENOTTY;
      const b = new Uint8Array(8);
      const dv = new DataView(b.buffer);
      dv.setUint16(0, Math.min(r.rows, 0xffff), true);
      dv.setUint16(2, Math.min(r.cols, 0xffff), true);
      io.copyOut(arg, b);
      return 0;
    }
    return -E.ENOTTY;
  }

  /** /dev/stdin and /proc/self/fd/N reopen the same host stream. */
  override reopen(flags: number): OpenFile {
    return new HostStdioFile(this.host, this.hostFd, flags);
  }

  describe(): string {
    return `host:${this.hostFd}`;
  }
}
