/**
 * /proc (fs/proc/): generated on every lookup from the kernel's own state. Per process:
 * exe, cwd, root (magic links), fd/ and fdinfo/, cmdline and environ (read from the
 * process's memory between arg_start/arg_end and env_start/env_end), comm, status, stat,
 * statm, maps (the VMAs), mounts. System-wide: self, cpuinfo, meminfo, uptime, loadavg,
 * filesystems, mounts, version, stat, sys/kernel/{dmesg_restrict,ostype,osrelease,hostname,pid_max}, sys/fs/mqueue/*.
 * Formats follow Linux 6.1's; values come from the model (say so where they are made up).
 */
import { PERF_EVENT_PARANOID } from '../syscalls/perf.ts';
import { E, SysError } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import { processState, type Process, type Task } from '../task.ts';
import { MQ_SYSCTL } from '../syscalls/mqueue.ts';
import type { OpenFile } from './file.ts';
import { SeqFile, openDir } from './files.ts';
import { Inode, S_IFDIR, S_IFLNK, S_IFREG, devMajor, devMinor, type Cred, type SuperBlock } from './inode.ts';
import type { Location, Mount } from './vfs.ts';
import { fsOf } from './context.ts';

type Gen = () => Uint8Array | string;

/** Stable inode numbers per /proc path, so repeated lookups agree. */
class InoMap {
  private readonly map = new Map<string, number>();
  private next = 0x1000;
  get(key: string): number {
    let n = this.map.get(key);
    if (n === undefined) this.map.set(key, (n = this.next++));
    return n;
  }
}

interface ProcCtx {
  k: Kernel;
  sb: SuperBlock;
  inos: InoMap;
  uptimeNs(): number;
}

type Entry = [string, (parent: ProcDir) => Inode];

class ProcDir extends Inode {
  constructor(private readonly c: ProcCtx, readonly key: string, name: string, parent: Inode | null, mode: number,
    private readonly entries: (cred: Cred) => Entry[], uid = 0, gid = 0) {
    super(c.sb, S_IFDIR | mode, uid, gid, c.inos.get(key));
    this.name = name;
    this.parent = parent ?? this;
    this.nlink = 2;
  }
  override lookup(name: string, cred: Cred): Inode | null {
    const e = this.entries(cred).find(([n]) => n === name);
    return e ? e[1](this) : null;
  }
  override list(cred: Cred): [string, Inode][] {
    return this.entries(cred).map(([n, f]) => [n, f(this)]);
  }
  override open(flags: number, loc: Location, cred: Cred): OpenFile {
    return openDir(flags, loc, cred);
  }
}

class ProcFile extends Inode {
  constructor(c: ProcCtx, key: string, mode: number, private readonly gen: Gen, uid = 0, gid = 0,
    /** Files that take writes (comm): the handler; the rest refuse to open for writing. */
    private readonly writer: ((data: Uint8Array) => number) | null = null) {
    super(c.sb, S_IFREG | mode, uid, gid, c.inos.get(key));
  }
  override open(flags: number, loc: Location): OpenFile {
    if ((flags & 3) !== 0 && !this.writer) throw new SysError(E.EACCES);
    if (this.writer) return new WritableSeqFile(flags, loc, this.gen, this.writer);
    return new SeqFile(flags, loc, this.gen);
  }
}

class WritableSeqFile extends SeqFile {
  constructor(flags: number, loc: Location, gen: Gen, private readonly writer: (data: Uint8Array) => number) {
    super(flags, loc, gen);
  }
  override write(data: Uint8Array): number {
    if ((this.flags & 3) === 0) return -E.EBADF;
    return this.writer(data);
  }
}

class ProcLink extends Inode {
  constructor(c: ProcCtx, key: string, private readonly target: (cred: Cred) => string,
    private readonly magicFn: ((cred: Cred) => Location | null) | null, uid = 0, gid = 0, mode = 0o777, private readonly isMagic = false) {
    super(c.sb, S_IFLNK | mode, uid, gid, c.inos.get(key));
  }
  override readlink(cred: Cred): string {
    return this.target(cred);
  }
  override followMagic(cred: Cred): Location | null {
    return this.magicFn ? this.magicFn(cred) : null;
  }
  override get magic(): boolean {
    return this.magicFn !== null || this.isMagic;
  }
  override open(): OpenFile {
    throw new SysError(E.ELOOP);
  }
}

const pad = (n: number, w: number) => String(n).padStart(w);
const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
const kB = (bytes: number) => Math.ceil(bytes / 1024);

function vmStats(p: Process) {
  let size = 0, stack = 0, data = 0, exe = 0;
  for (const v of p.as.vmas) {
    const len = v.end - v.start;
    size += len;
    if (v.name === '[stack]') stack += len;
    else if (v.prot & 4) exe += len;
    else if (v.prot & 2) data += len;
  }
  let rss = 0;
  for (const v of p.as.vmas) for (let va = v.start; va < v.end; va += 4096) if (p.as.pt.lookup(va) >= 0) rss += 4096;
  return { size, stack, data, exe, rss };
}

function readMem(p: Process, start: number, end: number): Uint8Array {
  if (!(end > start)) return new Uint8Array(0);
  try {
    return p.as.copyIn(start, Math.min(end - start, 1 << 20));
  } catch {
    return new Uint8Array(0);
  }
}

function perms(prot: number, shared?: boolean): string {
  return (prot & 1 ? 'r' : '-') + (prot & 2 ? 'w' : '-') + (prot & 4 ? 'x' : '-') + (shared ? 's' : 'p');
}

export function procMaps(p: Process): string {
  let s = '';
  for (const v of p.as.vmas) {
    let name = v.name;
    if (!name && p.as.brkStart && v.start >= p.as.brkStart && v.end <= p.as.brk + 4096) name = '[heap]';
    if (v.file) name = v.file.nlink() === 0 ? `${v.file.path} (deleted)` : v.file.path;
    const dev = v.file ? `${hex(devMajor(v.file.dev), 2)}:${hex(devMinor(v.file.dev), 2)} ${v.file.ino}` : '00:00 0';
    const line = `${hex(v.start, 8)}-${hex(v.end, 8)} ${perms(v.prot, v.shared)} ${hex(v.file ? v.start - v.fileBase! : 0, 8)} ${dev}`;
    s += name ? line.padEnd(73) + name + '\n' : line + ' \n';
  }
  return s;
}

function sigset(v: bigint): string {
  return BigInt.asUintN(64, v).toString(16).padStart(16, '0');
}

export class ProcFs {
  readonly root: ProcDir;
  private readonly c: ProcCtx;

  constructor(k: Kernel, sb: SuperBlock, private readonly vfsRoot: () => Location, private readonly mountOf: () => Mount) {
    this.c = { k, sb, inos: new InoMap(), uptimeNs: () => k.platform.monotonicNs() };
    this.root = new ProcDir(this.c, '/', 'proc', null, 0o555, (cred) => this.rootEntries(cred));
  }

  private rootEntries(cred: Cred): Entry[] {
    const c = this.c, k = c.k;
    const file = (name: string, gen: Gen, mode = 0o444): Entry => [name, () => new ProcFile(c, `/${name}`, mode, gen)];
    const out: Entry[] = [];
    for (const p of [...k.processes.values()].sort((a, b) => a.pid - b.pid)) {
      out.push([String(p.pid), (parent) => this.pidDir(p, parent)]);
    }
    out.push(['self', () => new ProcLink(c, '/self', (cr) => String(cr.pid), null)]);
    out.push(['thread-self', () => new ProcLink(c, '/thread-self', (cr) => `${cr.pid}/task/${cr.pid}`, null)]);
    out.push(file('cpuinfo', () => this.cpuinfo()));
    out.push(file('meminfo', () => this.meminfo()));
    out.push(file('uptime', () => {
      const up = c.uptimeNs() / 1e9;
      return `${up.toFixed(2)} ${(up * Math.max(0, k.platform.exec.hartCount - 1)).toFixed(2)}\n`;
    }));
    out.push(file('loadavg', () => {
      const running = [...k.processes.values()].reduce((n, p) => n + [...p.tasks].filter((t) => t.state === 'runnable').length, 0);
      const total = [...k.processes.values()].reduce((n, p) => n + p.tasks.size, 0);
      const last = Math.max(0, ...[...k.processes.values()].map((p) => p.pid));
      return `0.00 0.00 0.00 ${running}/${total} ${last}\n`;
    }));
    out.push(file('filesystems', () => 'nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\tpipefs\nnodev\tanon_inodefs\n'));
    out.push(['mounts', () => new ProcLink(c, '/mounts', () => 'self/mounts', null)]);
    out.push(file('version', () => `Linux version ${k.config ? '6.1.0-teeos' : ''} (teeos) #1 SMP TEE OS (${k.platform.name} model)\n`));
    out.push(file('stat', () => {
      const ticks = Math.floor(c.uptimeNs() / 1e7);
      let s = `cpu  ${ticks} 0 0 0 0 0 0 0 0 0\n`;
      for (let i = 0; i < k.platform.exec.hartCount; i++) s += `cpu${i} ${i === 0 ? ticks : 0} 0 0 0 0 0 0 0 0 0\n`;
      const btime = Math.floor((k.realtimeNs() - c.uptimeNs()) / 1e9);
      return s + `intr 0\nctxt 0\nbtime ${btime}\nprocesses ${k.processes.size}\nprocs_running 1\nprocs_blocked 0\nsoftirq 0\n`;
    }));
    out.push(['sys', (parent) => this.sysDir(parent)]);
    void cred;
    return out;
  }

  private sysDir(parent: Inode): Inode {
    const c = this.c, k = c.k;
    const f = (key: string, gen: Gen, mode = 0o444): (p: ProcDir) => Inode => () => new ProcFile(c, key, mode, gen);
    const kernel = (p: ProcDir) => new ProcDir(c, '/sys/kernel', 'kernel', p, 0o555, () => [
      // The value syslog(2) checks (printk.ts); fixed here: the file cannot be written.
      ['dmesg_restrict', f('/sys/kernel/dmesg_restrict', () => `${k.printk.dmesgRestrict}\n`, 0o644)],
      ['hostname', f('/sys/kernel/hostname', () => k.config.hostname + '\n', 0o644)],
      ['ostype', f('/sys/kernel/ostype', () => 'Linux\n')],
      ['osrelease', f('/sys/kernel/osrelease', () => '6.1.0-teeos\n')],
      // perf_event_open's paranoia (syscalls/perf.ts); fixed: the file cannot be written.
      ['perf_event_paranoid', f('/sys/kernel/perf_event_paranoid', () => `${PERF_EVENT_PARANOID}\n`, 0o644)],
      ['pid_max', f('/sys/kernel/pid_max', () => '4194304\n', 0o644)],
    ]);
    // ipc/mq_sysctl.c: the limits syscalls/mqueue.ts applies (fixed: the files cannot be written here).
    const mqueue = (p: ProcDir) => new ProcDir(c, '/sys/fs/mqueue', 'mqueue', p, 0o555,
      () => Object.entries(MQ_SYSCTL).map(([name, v]): Entry => [name, f(`/sys/fs/mqueue/${name}`, () => `${v}\n`, 0o644)]));
    const fs = (p: ProcDir) => new ProcDir(c, '/sys/fs', 'fs', p, 0o555, () => [
      ['pipe-max-size', f('/sys/fs/pipe-max-size', () => '1048576\n', 0o644)],
      ['mqueue', mqueue],
    ]);
    return new ProcDir(c, '/sys', 'sys', parent, 0o555, () => [['fs', fs], ['kernel', kernel]]);
  }

  private cpuinfo(): string {
    const k = this.c.k;
    let s = '';
    for (let i = 0; i < k.platform.exec.hartCount; i++) {
      s += `processor\t: ${i}\nhart\t\t: ${i}\nisa\t\t: rv64imafdc_zicsr_zifencei\nmmu\t\t: sv39\nuarch\t\t: teeos,${k.platform.name}-model\n\n`;
    }
    return s;
  }

  private meminfo(): string {
    const f = this.c.k.frames;
    const total = f.totalFrames() * 4, free = f.freeFrames() * 4;
    const line = (n: string, v: number) => `${(n + ':').padEnd(16)}${pad(v, 8)} kB\n`;
    return line('MemTotal', total) + line('MemFree', free) + line('MemAvailable', free) + line('Buffers', 0) + line('Cached', 0) +
      line('SwapCached', 0) + line('Active', total - free) + line('Inactive', 0) + line('SwapTotal', 0) + line('SwapFree', 0) +
      line('Shmem', 0) + line('CommitLimit', total) + line('Committed_AS', total - free);
  }

  private pidDir(p: Process, parent: Inode): Inode {
    const c = this.c, k = c.k;
    const base = `/${p.pid}`;
    const uid = k.config.uid, gid = k.config.gid;
    const file = (name: string, gen: Gen, mode = 0o444): Entry => [name, () => new ProcFile(c, `${base}/${name}`, mode, gen, uid, gid)];
    const vfs = () => fsOf(k).vfs;
    const pathFor = (loc: Location, cred: Cred) => {
      const reader = k.processes.get(cred.pid);
      const r = vfs().pathOf(loc, reader?.root ?? this.vfsRoot());
      return r.deleted ? `${r.path} (deleted)` : r.path;
    };
    // comm_write: the first TASK_COMM_LEN - 1 bytes become the name, as written.
    const commEntry = (): Entry => ['comm', () => new ProcFile(c, `${base}/comm`, 0o644, () => p.comm + '\n', uid, gid, (d) => {
      p.comm = new TextDecoder().decode(d.subarray(0, Math.min(d.length, 15)));
      return d.length;
    })];
    const entries = (): Entry[] => [
      ['cwd', () => new ProcLink(c, `${base}/cwd`, (cr) => pathFor(p.cwd, cr), () => p.cwd, uid, gid)],
      ['root', () => new ProcLink(c, `${base}/root`, (cr) => pathFor(p.root, cr), () => p.root, uid, gid)],
      ['exe', () => new ProcLink(c, `${base}/exe`, () => p.exePath, null, uid, gid, 0o777, true)],
      ['fd', (par) => this.fdDir(p, par, pathFor)],
      ['fdinfo', (par) => this.fdinfoDir(p, par)],
      file('cmdline', () => readMem(p, p.argStart, p.argEnd)),
      file('environ', () => readMem(p, p.envStart, p.envEnd), 0o400),
      commEntry(),
      file('status', () => this.status(p)),
      file('stat', () => this.stat(p)),
      file('statm', () => {
        const v = vmStats(p);
        return `${v.size / 4096} ${v.rss / 4096} 0 ${v.exe / 4096} 0 ${(v.data + v.stack) / 4096} 0\n`;
      }),
      file('maps', () => procMaps(p)),
      file('mounts', () => this.mounts(p)),
      file('limits', () => this.limits(p)),
      ['task', (par) => new ProcDir(c, `${base}/task`, 'task', par, 0o555,
        () => [...p.tasks].map((t): Entry => [String(t.tid), (pp) => new ProcDir(c, `${base}/task/${t.tid}`, String(t.tid), pp, 0o555, () => [
          commEntry(), file('stat', () => this.stat(p, t)), file('status', () => this.status(p, t)),
        ], uid, gid)]), uid, gid)],
    ];
    return new ProcDir(c, base, String(p.pid), parent, 0o555, entries, uid, gid);
  }

  private fdDir(p: Process, parent: Inode, pathFor: (loc: Location, cred: Cred) => string): Inode {
    const c = this.c, k = c.k;
    const base = `/${p.pid}/fd`;
    return new ProcDir(c, base, 'fd', parent, 0o500, () => {
      const out: Entry[] = [];
      for (const [fd, e] of p.fds.entries()) {
        const f = e.file;
        const acc = f.flags & 3;
        const mode = (acc !== 1 ? 0o500 : 0) | (acc !== 0 ? 0o300 : 0);
        out.push([String(fd), () => new ProcLink(c, `${base}/${fd}`, (cr) => describeFile(f, cr, pathFor), (cr) => {
          if (f.loc && !f.loc.inode.isDir() && f.loc.inode.type !== 0 && f.loc.inode.type !== 0o010000) return f.loc;
          if (f.loc && f.loc.inode.isDir()) return f.loc;
          if (f.loc && f.loc.inode.type === 0o010000) return f.loc; // a pipe: opening it joins the pipe
          // Host streams and anonymous files: a synthetic inode that reopens the same object.
          return { mnt: fsOf(k).vfs.rootMount, inode: new ReopenInode(c.sb, f, cr.uid, cr.gid) };
        }, k.config.uid, k.config.gid, mode)]);
      }
      return out;
    }, k.config.uid, k.config.gid);
  }

  private fdinfoDir(p: Process, parent: Inode): Inode {
    const c = this.c, k = c.k;
    const base = `/${p.pid}/fdinfo`;
    return new ProcDir(c, base, 'fdinfo', parent, 0o500, () => {
      const out: Entry[] = [];
      for (const [fd, e] of p.fds.entries()) {
        const f = e.file;
        out.push([String(fd), () => new ProcFile(c, `${base}/${fd}`, 0o444, () =>
          `pos:\t${f.position()}\nflags:\t0${((f.flags | (e.cloexec ? 0o2000000 : 0)) >>> 0).toString(8)}\nmnt_id:\t${f.loc?.mnt.id ?? 0}\nino:\t${f.loc?.inode.ino ?? 0}\n${f.fdinfo()}`,
        k.config.uid, k.config.gid)]);
      }
      return out;
    }, k.config.uid, k.config.gid);
  }

  /** /proc/PID/status, or with `task` /proc/PID/task/TID/status (that thread's name, state and id). */
  private status(p: Process, task?: Task): string {
    const k = this.c.k;
    const v = vmStats(p);
    const u = k.config.uid, g = k.config.gid;
    const t = task ?? [...p.tasks][0];
    let ign = 0n, cgt = 0n;
    for (const [sig, a] of p.sigactions) {
      if (a.handler === 1n) ign |= 1n << BigInt(sig - 1);
      else if (a.handler !== 0n) cgt |= 1n << BigInt(sig - 1);
    }
    const state = { R: 'R (running)', S: 'S (sleeping)', T: 'T (stopped)', Z: 'Z (zombie)' }[this.stateOf(p, task)];
    const kl = (n: string, b: number) => `${n}:\t${pad(kB(b), 8)} kB\n`;
    return `Name:\t${task?.comm ?? p.comm}\nUmask:\t${p.umask.toString(8).padStart(4, '0')}\nState:\t${state}\nTgid:\t${p.pid}\nNgid:\t0\nPid:\t${task?.tid ?? p.pid}\n` +
      `PPid:\t${p.ppid}\nTracerPid:\t0\nUid:\t${u}\t${u}\t${u}\t${u}\nGid:\t${g}\t${g}\t${g}\t${g}\nFDSize:\t${Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(1, p.fds.size))))}\n` +
      `Groups:\t${g} \nNStgid:\t${p.pid}\nNSpid:\t${p.pid}\nNSpgid:\t${p.pid}\nNSsid:\t${p.pid}\n` +
      kl('VmPeak', v.size) + kl('VmSize', v.size) + kl('VmLck', p.as.lockedPages() * 4096) + kl('VmPin', 0) + kl('VmHWM', v.rss) + kl('VmRSS', v.rss) +
      kl('RssAnon', v.rss) + kl('RssFile', 0) + kl('RssShmem', 0) + kl('VmData', v.data) + kl('VmStk', v.stack) + kl('VmExe', v.exe) +
      kl('VmLib', 0) + kl('VmPTE', 0) + kl('VmSwap', 0) +
      `Threads:\t${p.tasks.size}\nSigQ:\t0/${4096}\nSigPnd:\t${sigset(t?.pending ?? 0n)}\nShdPnd:\t${sigset(0n)}\nSigBlk:\t${sigset(t?.sigmask ?? 0n)}\n` +
      `SigIgn:\t${sigset(ign)}\nSigCgt:\t${sigset(cgt)}\nCapInh:\t${sigset(0n)}\nCapPrm:\t${sigset(0n)}\nCapEff:\t${sigset(0n)}\n` +
      `CapBnd:\t000001ffffffffff\nCapAmb:\t${sigset(0n)}\nNoNewPrivs:\t0\nSeccomp:\t0\nCpus_allowed_list:\t0-${Math.max(0, k.platform.exec.hartCount - 1)}\n` +
      `voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n`;
  }

  /**
   * A process's state letter. One that runs in another enclave of the family (its proxy here has
   * no tasks) is asked there; one that does not answer has ended.
   */
  private stateOf(p: Process, task?: Task): 'R' | 'S' | 'T' | 'Z' {
    const fam = this.c.k.family;
    if (p.remote && p.exitStatus === null && fam) return (!task || task.tid === p.pid ? fam.remoteState(p.pid) : null) ?? 'Z';
    return processState(p, task);
  }

  /** /proc/PID/stat (the state is the leader's, as Linux's), or with `task` /proc/PID/task/TID/stat. */
  private stat(p: Process, task?: Task): string {
    const v = vmStats(p);
    const t = task ?? [...p.tasks][0];
    const state = this.stateOf(p, task);
    const ticks = Math.floor(this.c.k.cpuTimeNs() / 1e7);
    const code = p.as.vmas.filter((x) => x.prot & 4);
    const startcode = code.length ? code[0].start : 0, endcode = code.length ? code[code.length - 1].end : 0;
    const stack = p.as.vmas.find((x) => x.name === '[stack]');
    const f: (string | number)[] = [task?.tid ?? p.pid, `(${task?.comm ?? p.comm})`, state, p.ppid, p.pid, p.pid, 0, -1, 0x400000, 0, 0, 0, 0,
      ticks, 0, 0, 0, 20, 0, p.tasks.size, 0, 0, v.size, v.rss / 4096, '18446744073709551615',
      startcode, endcode, stack ? stack.end - 16 : 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0,
      0, 0, p.as.brkStart, p.argStart, p.argEnd, p.envStart, p.envEnd, 0];
    return f.join(' ') + '\n';
  }

  private limits(p: Process): string {
    const names = ['Max cpu time', 'Max file size', 'Max data size', 'Max stack size', 'Max core file size', 'Max resident set',
      'Max processes', 'Max open files', 'Max locked memory', 'Max address space', 'Max file locks', 'Max pending signals',
      'Max msgqueue size', 'Max nice priority', 'Max realtime priority', 'Max realtime timeout'];
    const units = ['seconds', 'bytes', 'bytes', 'bytes', 'bytes', 'bytes', 'processes', 'files', 'bytes', 'bytes', 'locks',
      'signals', 'bytes', '', '', 'us'];
    const v = (x: bigint) => (x < 0n ? 'unlimited' : x.toString());
    let s = `${'Limit'.padEnd(26)}${'Soft Limit'.padEnd(21)}${'Hard Limit'.padEnd(21)}Units     \n`;
    names.forEach((n, i) => {
      const l = p.rlimits[i];
      s += `${n.padEnd(26)}${v(l.cur).padEnd(21)}${v(l.max).padEnd(21)}${units[i].padEnd(10)}\n`;
    });
    return s;
  }

  private mounts(p: Process): string {
    const k = this.c.k;
    let s = '';
    for (const m of fsOf(k).vfs.mounts) {
      const r = fsOf(k).vfs.pathOf({ mnt: m, inode: m.root }, p.root);
      if (!r.reachable) continue;
      s += `${m.source} ${r.path} ${m.sb.fstype} ${m.readonly ? 'ro' : 'rw'}${m.options ? ',' + m.options : ''} 0 0\n`;
    }
    void this.mountOf;
    return s;
  }
}

function describeFile(f: OpenFile, cred: Cred, pathFor: (loc: Location, cred: Cred) => string): string {
  if (f.loc && f.loc.mnt.parent === null && f.loc.mnt.source !== 'rootfs' && f.loc.mnt.sb.fstype !== 'tmpfs') return f.describe();
  if (f.loc && (f.loc.mnt.sb.fstype === 'pipefs' || f.loc.mnt.sb.fstype === 'anon_inodefs' || f.loc.mnt.sb.fstype === 'sockfs')) return f.describe();
  if (f.loc && f.loc.mnt.source === 'memfd') return `/${f.loc.name ?? 'memfd:'} (deleted)`;
  if (f.loc) return pathFor(f.loc, cred);
  return f.describe();
}

/** An inode that opens as a new description of an object with no path (host stdio). */
class ReopenInode extends Inode {
  constructor(sb: SuperBlock, private readonly file: OpenFile, uid: number, gid: number) {
    super(sb, 0o020600, uid, gid, 1);
    this.sb.inodeCount--;
  }
  override open(flags: number): OpenFile {
    const r = this.file.reopen(flags);
    if (typeof r === 'number') throw new SysError(-r);
    return r;
  }
}
