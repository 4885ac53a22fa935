/**
 * splice and tee (fs/splice.c): moving bytes between a pipe and a file or another pipe
 * without passing them through user memory. Our pipes hold copies of the bytes (no page
 * references), so "moving" is copying inside the kernel; what the guest sees is Linux's:
 * which ends may be pipes, the offset rules (ESPIPE, EINVAL), SPLICE_F_NONBLOCK and
 * O_NONBLOCK, blocking until the pipe has data or room, EPIPE with SIGPIPE, and counts
 * bounded by what the pipe holds or has room for. vmsplice copies between user memory and a
 * pipe: into it through a descriptor open for writing, out of it through one open for reading.
 */
import { E } from '../errors.ts';
import { SIGPIPE } from '../abi/constants.ts';
import type { SyscallTable } from './table.ts';
import type { Kernel } from '../kernel.ts';
import type { Task } from '../task.ts';
import type { OpenFile } from '../fs/file.ts';
import { PipeFile, type Pipe } from '../fs/pipe.ts';
import { AGAIN, sleepOn, type RetryResult, type WaitQueue } from '../fs/wait.ts';
import { O_ACCMODE, O_APPEND, O_NONBLOCK, O_RDONLY, O_WRONLY } from '../fs/vfs.ts';
import { sendToTask } from '../signals.ts';
import { ioFileOf } from './fs-common.ts';
import { MAX_RW_COUNT, iovecs } from './io.ts';
import { ttyRead, ttyWrite } from '../fs/tty.ts';

const SPLICE_F_MOVE = 1, SPLICE_F_NONBLOCK = 2, SPLICE_F_MORE = 4, SPLICE_F_GIFT = 8;
const SPLICE_F_ALL = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;

const pipeOf = (f: OpenFile): Pipe | null => (f instanceof PipeFile ? f.pipe : null);

function readOff(t: Task, p: number): number {
  return Number(new DataView(t.proc.as.copyIn(p, 8).buffer).getBigInt64(0, true));
}
function writeOff(t: Task, p: number, v: number): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(v), true);
  t.proc.as.copyOut(p, b);
}

/** Runs `attempt` now, or parks the task on `queues` until it completes. */
function run(k: Kernel, t: Task, queues: WaitQueue[], attempt: () => RetryResult) {
  const r = attempt();
  if (r !== AGAIN) return r;
  return sleepOn(k, t, queues, attempt);
}

export function registerSplice(tab: SyscallTable): void {
  tab.def('splice', 'fpfpux', (k, t, a) => {
    const len = Math.min(a.u(4), MAX_RW_COUNT), offInP = a.u(1), offOutP = a.u(3);
    let flags = a.u(5) >>> 0;
    if (len === 0) return 0;
    if (flags & ~SPLICE_F_ALL) return -E.EINVAL;
    const inp = ioFileOf(t, a.i32(0)), out = ioFileOf(t, a.i32(2));
    const ipipe = pipeOf(inp), opipe = pipeOf(out);
    if (ipipe && offInP) return -E.ESPIPE;
    if (opipe && offOutP) return -E.ESPIPE;
    if ((inp.flags & O_ACCMODE) === O_WRONLY || (out.flags & O_ACCMODE) === O_RDONLY) return -E.EBADF;
    const epipe = () => { sendToTask(k, t, { signo: SIGPIPE, code: 0, pid: t.proc.pid, uid: k.config.uid }); return -E.EPIPE; };

    if (ipipe && opipe) {
      if (ipipe === opipe) return -E.EINVAL;
      if ((inp.flags | out.flags) & O_NONBLOCK) flags |= SPLICE_F_NONBLOCK;
      return run(k, t, [ipipe.readq, opipe.writeq], () => {
        if (opipe.readers === 0) return epipe();
        if (ipipe.len === 0) return ipipe.writers === 0 ? 0 : flags & SPLICE_F_NONBLOCK ? -E.EAGAIN : AGAIN;
        if (opipe.room === 0) return flags & SPLICE_F_NONBLOCK ? -E.EAGAIN : AGAIN;
        const d = ipipe.read(Math.min(len, opipe.room));
        return typeof d === 'number' ? d : opipe.write(d);
      });
    }
    if (ipipe) {
      // pipe -> file: from the file's position (or *off_out), never appending.
      if (offOutP && !isSeekable(out)) return -E.EINVAL;
      let pos = offOutP ? readOff(t, offOutP) : out.position();
      if (pos < 0) return -E.EINVAL;
      if (out.flags & O_APPEND) return -E.EINVAL;
      if (inp.flags & O_NONBLOCK) flags |= SPLICE_F_NONBLOCK;
      return run(k, t, [ipipe.readq], () => {
        if (ipipe.len === 0) return ipipe.writers === 0 ? 0 : flags & SPLICE_F_NONBLOCK ? -E.EAGAIN : AGAIN;
        const d = ipipe.peek(len);
        const w = isSeekable(out) ? out.pwrite(d, pos) : ttyWrite(k, out, d);
        if (w === -E.EPIPE) return epipe();
        if (w <= 0) return w === -E.EAGAIN && !(flags & SPLICE_F_NONBLOCK) ? AGAIN : w;
        ipipe.read(w);
        pos += w;
        if (offOutP) writeOff(t, offOutP, pos);
        else if (isSeekable(out)) out.setPosition(pos);
        return w;
      });
    }
    if (opipe) {
      // file -> pipe: from the file's position (or *off_in).
      if (inp.loc?.inode.isDir()) return -E.EINVAL;
      if (offInP && !isSeekable(inp)) return -E.EINVAL;
      let pos = offInP ? readOff(t, offInP) : inp.position();
      if (pos < 0) return -E.EINVAL;
      if (out.flags & O_NONBLOCK) flags |= SPLICE_F_NONBLOCK;
      return run(k, t, [opipe.writeq], () => {
        if (opipe.readers === 0) return epipe();
        if (opipe.room === 0) return flags & SPLICE_F_NONBLOCK ? -E.EAGAIN : AGAIN;
        const n = Math.min(len, opipe.room);
        const d = isSeekable(inp) ? inp.pread(n, pos) : ttyRead(k, inp, n);
        if (typeof d === 'number') return d === -E.EAGAIN && !(flags & SPLICE_F_NONBLOCK) && !(inp.flags & O_NONBLOCK) ? AGAIN : d;
        if (d.length === 0) return 0;
        const w = opipe.write(d);
        if (w < 0) return w;
        pos += w;
        if (offInP) writeOff(t, offInP, pos);
        else if (isSeekable(inp)) inp.setPosition(pos);
        return w;
      });
    }
    return -E.EINVAL;
  }, 'partial');

  tab.def('vmsplice', 'fpux', (k, t, a) => {
    const flags = a.u(3) >>> 0;
    if (flags & ~SPLICE_F_ALL) return -E.EINVAL;
    const f = ioFileOf(t, a.i32(0));
    // vmsplice_type: a descriptor open for writing fills the pipe; else one open for reading drains it.
    const mode = f.flags & O_ACCMODE, toPipe = mode !== O_RDONLY;
    const vs = iovecs(t, a.u(1), a.i32(2)).filter((v) => v.len > 0);
    let total = 0;
    for (const v of vs) total = Math.min(MAX_RW_COUNT, total + v.len);
    if (total === 0) return 0;
    const pipe = pipeOf(f);
    if (!pipe) return -E.EBADF;
    if (toPipe) {
      // vmsplice_to_pipe: wait_for_space (only SPLICE_F_NONBLOCK makes it not wait), then as much as fits.
      return run(k, t, [pipe.writeq], () => {
        if (pipe.readers === 0) { sendToTask(k, t, { signo: SIGPIPE, code: 0, pid: t.proc.pid, uid: k.config.uid }); return -E.EPIPE; }
        if (pipe.room === 0) return flags & SPLICE_F_NONBLOCK ? -E.EAGAIN : AGAIN;
        const { data, fault } = gatherUpTo(t, vs, Math.min(total, pipe.room));
        if (data.length === 0) return fault ? -E.EFAULT : 0;
        return pipe.write(data);
      });
    }
    // vmsplice_to_user: waits for bytes (only SPLICE_F_NONBLOCK makes it not wait); 0 at end of file.
    return run(k, t, [pipe.readq], () => {
      if (pipe.len === 0) return pipe.writers === 0 ? 0 : flags & SPLICE_F_NONBLOCK ? -E.EAGAIN : AGAIN;
      const d = pipe.peek(Math.min(total, pipe.len));
      const done = scatterUpTo(t, vs, d);
      if (done === 0) return -E.EFAULT;
      pipe.read(done);
      return done;
    });
  }, 'partial');

  tab.def('tee', 'ffux', (k, t, a) => {
    const len = Math.min(a.u(2), MAX_RW_COUNT);
    let flags = a.u(3) >>> 0;
    if (flags & ~SPLICE_F_ALL) return -E.EINVAL;
    if (len === 0) return 0;
    const inp = ioFileOf(t, a.i32(0)), out = ioFileOf(t, a.i32(1));
    const ipipe = pipeOf(inp), opipe = pipeOf(out);
    if (!ipipe || !opipe || ipipe === opipe) return -E.EINVAL;
    if ((inp.flags & O_ACCMODE) === O_WRONLY || (out.flags & O_ACCMODE) === O_RDONLY) return -E.EBADF;
    if ((inp.flags | out.flags) & O_NONBLOCK) flags |= SPLICE_F_NONBLOCK;
    return run(k, t, [ipipe.readq, opipe.writeq], () => {
      if (ipipe.len === 0) return ipipe.writers === 0 ? 0 : flags & SPLICE_F_NONBLOCK ? -E.EAGAIN : AGAIN;
      if (opipe.readers === 0) {
        sendToTask(k, t, { signo: SIGPIPE, code: 0, pid: t.proc.pid, uid: k.config.uid });
        return -E.EPIPE;
      }
      if (opipe.room === 0) return flags & SPLICE_F_NONBLOCK ? -E.EAGAIN : AGAIN;
      return opipe.write(ipipe.peek(Math.min(len, opipe.room)));
    });
  }, 'partial');
}

/** Files with a position that pread/pwrite use (regular files; FMODE_PREAD/PWRITE). */
function isSeekable(f: OpenFile): boolean {
  const type = f.loc?.inode.type ?? 0;
  return type === 0o100000;
}

/** User bytes of the iovecs, up to `max`, stopping at the first page that faults (Linux copies a page at a time). */
function gatherUpTo(t: Task, vs: { base: number; len: number }[], max: number): { data: Uint8Array; fault: boolean } {
  const out = new Uint8Array(max);
  let o = 0;
  for (const v of vs) {
    if (o >= max) break;
    const want = Math.min(v.len, max - o);
    const got = t.proc.as.copyInUpTo(v.base, want);
    out.set(got, o);
    o += got.length;
    if (got.length < want) return { data: out.subarray(0, o), fault: true };
  }
  return { data: out.subarray(0, o), fault: false };
}

/** Copies `d` over the iovecs a page at a time, stopping at the first fault: the bytes copied. */
function scatterUpTo(t: Task, vs: { base: number; len: number }[], d: Uint8Array): number {
  let o = 0;
  for (const v of vs) {
    if (o >= d.length) break;
    const want = Math.min(v.len, d.length - o);
    const done = t.proc.as.copyOutUpTo(v.base, d.subarray(o, o + want));
    o += done;
    if (done < want) break;
  }
  return o;
}
