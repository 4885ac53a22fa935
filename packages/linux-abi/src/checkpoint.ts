/**
 * fork on a process-per-enclave platform (family.ts says what is shared and what is not): the
 * forking process as a checkpoint, and the new enclave's kernel resuming from one.
 *
 * Checkpoint format (the platform seals it; the kernel still checks what it reads):
 *   u32 json length, JSON (ids, registers as decimal strings, signal state, VMAs, descriptors,
 *   the page table of contents), then the pages, 4096 bytes each, in table order.
 * Left out, because the child's first touch makes them as the parent's was made: pages that read as
 * zero, and pages of an ELF segment still as the executable has them when the child's enclave has
 * that executable too (the measured application or root image: ExecutableBytes.source).
 */
import type { MemPolicy } from './syscalls/numa.ts';
import { E, SysError } from './errors.ts';
import type { Kernel } from './kernel.ts';
import { Process, Task, type SavedContext } from './task.ts';
import { FdTable, type OpenFile } from './fs/file.ts';
import { HostStdioFile } from './fs/host-stdio.ts';
import { HostFile, HostOpenFile } from './fs/hostfs.ts';
import { AnonInode, EventFdFile, Pipe, PipeFile } from './fs/pipe.ts';
import { ChannelPipe, RemoteEventFd, hexOf, type FamilyState } from './family.ts';
import { unhexBytes } from './syscalls/sysvipc-family.ts';
import { checkFilter, encodeFilter } from './syscalls/seccomp.ts';
import { carryKeys, restoreKeys, type CarriedKeys } from './syscalls/keys.ts';
import type { CarriedFile } from './family-files.ts';
import type { CarriedPages } from './family-pages.ts';
import { UnixSocket, type Ucred } from './fs/unix.ts';
import { ExecutableBytes, fillImagePage, protToPte, type ImageSegment, type Vma } from './mm/address-space.ts';
import { ImageFile } from './fs/imagefs.ts';
import { PTE_W } from './mm/sv39.ts';
import { SpecialInode, S_IFIFO } from './fs/inode.ts';
import { O_CREAT, O_EXCL, O_TRUNC, type Location } from './fs/vfs.ts';
import { cwdOf, fsContext, fsOf, rootOf } from './fs/context.ts';
import { landlockRecord, restoreLandlock, restoreRuleset, rulesetRecord, RulesetFile, type LandlockRecord } from './syscalls/landlock.ts';
import { FullFile, NullFile, RandomFile, ZeroFile } from './fs/devfs.ts';
import { inheritSched } from './syscalls/sched.ts';
import { connectedSocketOn } from './family-fds.ts';
import { MqFile } from './syscalls/mqueue.ts';
import { RemoteMqFile, carryMq, restoreMq, type CarriedMq } from './syscalls/mqueue-family.ts';

const PAGE = 4096;

/** xid: the description's family-wide identity (family-fds.ts): kcmp compares it across enclaves, and descriptors of one description stay one here. */
type FdRecord = { xid?: string } & (
  | { fd: number; cloexec: boolean; kind: 'host'; hostFd: number; flags: number }
  | { fd: number; cloexec: boolean; kind: 'pipe'; channel: number; flags: number; ref: number }
  /** A file of a host mount: the child's own host descriptor for the same description (offset shared at the host), found again by its path. */
  | { fd: number; cloexec: boolean; kind: 'hostfile'; hostFd: number; flags: number; path: string }
  | { fd: number; cloexec: boolean; kind: 'dev'; flags: number; path: string; ref: number }
  /** An eventfd: its counter stays with `owner`'s enclave, which serves it (family.ts RemoteEventFd). */
  | { fd: number; cloexec: boolean; kind: 'eventfd'; owner: number; id: number; flags: number; sem: number }
  /** A tmpfs file: its description stays with `owner`'s enclave, which serves it (family-files.ts RemoteFile). */
  | ({ fd: number; cloexec: boolean; kind: 'rfile' } & CarriedFile)
  /** A POSIX message queue description, served by its queue's enclave (syscalls/mqueue-family.ts). */
  | ({ fd: number; cloexec: boolean; kind: 'mq' } & CarriedMq)
  /** A Landlock ruleset: a copy, each rule by path (syscalls/landlock.ts). */
  | ({ fd: number; cloexec: boolean; kind: 'llruleset' } & LandlockRecord)
  | { fd: number; cloexec: boolean; kind: 'usock'; ref: number; type: number; flags: number; out: number; inn: number; peer: string; cred: Ucred; peerCred: Ucred | null; rcvShut: boolean; sndShut: boolean; passcred: boolean });

interface Checkpoint {
  v: 1;
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  parentPgid: number;
  parentSid: number;
  comm: string;
  exePath: string;
  umask: number;
  /** personality(2), inherited by fork. */
  personality?: number;
  /** Copies of the keys the session and user keyrings reach (syscalls/keys.ts: not shared after the fork). */
  keys?: CarriedKeys;
  cwd: string;
  /** Permission bits of each directory on the cwd's path (the child re-creates what its tmpfs lacks). */
  cwdModes?: number[];
  /** The enclave whose tmpfs has the cwd's contents (0: none), and the directories others serve (family-files.ts). */
  cwdOwner?: number;
  servedDirs?: [string, number][];
  rlimits: [string, string][];
  sigactions: [number, string, string, string][];
  exitSignal: number;
  vdsoSigreturn: number;
  args: [number, number, number, number];
  vfork: boolean;
  task: {
    x: string[]; f: string[]; pc: string; fcsr: number; sigmask: string; altStack: { sp: number; size: number; flags: number }; clearChildTid: number;
    /** Scheduling attributes as sched_fork leaves them for the child. */
    sched?: { nice: number; policy: number; rtPriority: number; affinity?: string; ioprio?: number };
    /** set_mempolicy's policy, which fork copies (syscalls/numa.ts). */
    mempolicy?: MemPolicy | null;
    /** seccomp mode, no_new_privs and the filters (newest first, each its instructions as hex), which fork copies. */
    seccomp?: { mode: number; nnp: boolean; filters: { insns: string; log: boolean }[] };
    /** The Landlock domain (syscalls/landlock.ts): its layers, each rule by path. */
    landlock?: LandlockRecord[];
  };
  mm: { brkStart: number; brk: number; mmapBase: number; vmas: VmaRecord[]; pages: [number, number][] };
  fds: FdRecord[];
}

/** A VMA in a checkpoint: an ELF segment names its executable's source instead of holding its bytes. */
type VmaRecord = Omit<Vma, 'image' | 'file'> & {
  image?: Omit<ImageSegment, 'exe'> & { source: string };
  /** A file mapping whose pages stay with the file's owner (family-pages.ts). */
  fileRef?: CarriedPages & { mayWrite: boolean };
};

export interface ForkRegs {
  ctx: SavedContext;
  clearChildTid: number;
  vfork: boolean;
}

/** The parent's side: the checkpoint of `t`'s process as the child `pid` will start. */
export function makeCheckpoint(k: Kernel, fam: FamilyState, t: Task, pid: number, ppid: number, r: ForkRegs): Uint8Array | number {
  const p = t.proc, as = p.as;
  const mem = k.platform.memory;
  const pages: [number, number][] = [];
  const data: Uint8Array[] = [];
  const carried = new Map<Vma, CarriedPages & { mayWrite: boolean }>();
  for (const v of as.vmas) {
    // Untrusted shared memory: the bytes stay in the host's region; the VMA names it (below).
    if (v.ushm) continue;
    // A file mapping (MAP_SHARED anonymous memory is one too here: an unlinked shmem object,
    // mm/shmem.ts): the child reaches the file's pages through the enclave that owns them
    // (family-pages.ts); only the private copies of a MAP_PRIVATE mapping travel here. Without an
    // owner to ask, the child gets the pages' current bytes as private pages.
    let ref: CarriedPages | null = null;
    if (v.file) {
      ref = fam.pages.carry(v.file, pid);
      if (ref) carried.set(v, { ...ref, mayWrite: v.file.mayWrite });
      else if (v.shared) k.platform.log(`fork: MAP_SHARED mapping of ${v.file.path} 0x${v.start.toString(16)}..0x${v.end.toString(16)} is copied into the new enclave, not shared`);
    }
    // An ELF segment whose executable the child's enclave has too (the measured application or
    // root image): a page still as the executable has it is left for the child to fill from its
    // own copy on first touch, as the parent's was. Otherwise every page goes, untouched ones too.
    const seg = v.image;
    const portable = !!seg && seg.exe.source !== null;
    const expected = seg ? new Uint8Array(PAGE) : null;
    for (let va = v.start; va < v.end; va += PAGE) {
      const pa = as.pt.lookup(va);
      let page: Uint8Array;
      if (v.file && (pa < 0 || v.file.cache.isHome((va - v.fileBase!) / PAGE, as, va))) {
        if (ref) continue;
        const pos = va - v.fileBase!;
        try {
          if (pos >= v.file.cache.backing.size()) continue;
          page = v.file.cache.copyPage(pos / PAGE);
        } catch { continue; }
        pages.push([va, pa < 0 ? protToPte(v.prot) : as.pt.flags(va)]);
        data.push(page);
        continue;
      }
      // The page as the executable has it, made only where it is compared or sent (an untouched
      // page of a portable segment needs nothing).
      const imagePage = (): Uint8Array => {
        expected!.fill(0);
        fillImagePage(seg!, va, expected!);
        return expected!;
      };
      if (pa < 0) {
        if (!seg || portable) continue;
        page = imagePage();
      } else {
        const off = pa - mem.phys.base;
        page = mem.bytes.subarray(off, off + PAGE);
        if (portable && equalPages(page, imagePage())) continue;
      }
      // A zero page is left out (the child's first touch maps one), except in a segment the child
      // fills from its executable: there the page must go, zeros and all.
      let zero = !portable;
      for (let i = 0; zero && i < PAGE; i += 8) if (page[i] | page[i + 1] | page[i + 2] | page[i + 3] | page[i + 4] | page[i + 5] | page[i + 6] | page[i + 7]) zero = false;
      if (zero) continue;
      pages.push([va, pa < 0 ? protToPte(v.prot) : as.pt.flags(va)]);
      data.push(page.slice());
    }
  }
  const fds: FdRecord[] = [];
  const pipeRefs = new Map<Pipe, number>();
  const hostDups = new Map<HostOpenFile, { hostFd: number; path: string } | null>();
  const devRefs = new Map<OpenFile, number>();
  const sockRefs = new Map<UnixSocket, number>();
  for (const [fd, e] of p.fds.entries()) {
    const f: OpenFile = e.file;
    if (f instanceof HostStdioFile) fds.push({ fd, cloexec: e.cloexec, kind: 'host', hostFd: f.hostFd, flags: f.flags });
    else if (f instanceof HostOpenFile && f.loc) {
      // One host dup per description: the child's descriptors that name it share it, as here.
      let d = hostDups.get(f);
      if (d === undefined) {
        let path: string | null = null;
        try { path = fsOf(k).vfs.pathOf(f.loc, rootOf(k, p)).path; } catch { /* unreachable from the root */ }
        const hostFd = path === null ? -1 : f.shareWithChild();
        d = hostFd < 0 || path === null ? null : { hostFd, path };
        hostDups.set(f, d);
      }
      if (d) fds.push({ fd, cloexec: e.cloexec, kind: 'hostfile', hostFd: d.hostFd, flags: f.flags, path: d.path });
      else k.platform.log(`fork: descriptor ${fd} (${f.describe()}) could not be shared with the new enclave`);
    }
    else if (f instanceof PipeFile) {
      const s = fam.share(f.pipe);
      if (s < 0) return s;
      const ch = f.pipe.channel as ChannelPipe;
      if (!pipeRefs.has(f.pipe)) pipeRefs.set(f.pipe, pipeRefs.size);
      fds.push({ fd, cloexec: e.cloexec, kind: 'pipe', channel: ch.id, flags: f.flags, ref: pipeRefs.get(f.pipe)! });
    } else if (f instanceof EventFdFile) {
      fds.push({ fd, cloexec: e.cloexec, kind: 'eventfd', owner: p.pid, id: fam.shareEventFd(f, pid), flags: f.flags, sem: f.efdFlags });
    } else if (f instanceof UnixSocket && f.state === 'connected' && (f.remote || f.peer?.peer === f)) {
      if (!sockRefs.has(f)) {
        // Once per socket: a pair inside this enclave moves onto channels; one already on
        // channels gives back what it pulled and nobody read, for the child to read too.
        const r = f.remote ? f.pushBack() : f.toChannels(fam.sockets, fam.fam);
        if (r < 0) {
          k.platform.log(`fork: descriptor ${fd} (${f.describe()}) could not be moved onto host channels (${-r}): not carried`);
          continue;
        }
        sockRefs.set(f, sockRefs.size);
      }
      const rc = f.remote!;
      fds.push({
        fd, cloexec: e.cloexec, kind: 'usock', ref: sockRefs.get(f)!, type: f.type, flags: f.flags, out: rc.out, inn: rc.inn, peer: hexOf(rc.peerName),
        cred: f.cred, peerCred: f.peerCred, rcvShut: f.rcvShut, sndShut: f.sndShut, passcred: f.passcred,
      });
    } else if (f instanceof RemoteEventFd) {
      fam.holdEventFd(f, pid);
      fds.push({ fd, cloexec: e.cloexec, kind: 'eventfd', owner: f.owner, id: f.id, flags: f.flags, sem: f.efdFlags });
    } else if ((f instanceof NullFile || f instanceof ZeroFile || f instanceof FullFile || f instanceof RandomFile) && f.loc) {
      // Devices without state (/dev/null, zero, full, urandom): the child opens its own, one
      // description per description here (the flags are all that is shared).
      let path: string | null = null;
      try { path = fsOf(k).vfs.pathOf(f.loc, rootOf(k, p)).path; } catch { /* unreachable from the root */ }
      if (!devRefs.has(f)) devRefs.set(f, devRefs.size);
      if (path !== null) fds.push({ fd, cloexec: e.cloexec, kind: 'dev', flags: f.flags, path, ref: devRefs.get(f)! });
      else k.platform.log(`fork: descriptor ${fd} (${f.describe()}) is not reachable from the root: not carried`);
    } else if (f instanceof RulesetFile) {
      fds.push({ fd, cloexec: e.cloexec, kind: 'llruleset', ...rulesetRecord(k, f) });
    } else if (f instanceof MqFile || f instanceof RemoteMqFile) {
      const r = carryMq(k, f, pid);
      if (r) fds.push({ fd, cloexec: e.cloexec, kind: 'mq', ...r });
    } else {
      const r = fam.files.carry(f, pid);
      if (r) fds.push({ fd, cloexec: e.cloexec, kind: 'rfile', ...r });
      else k.platform.log(`fork: descriptor ${fd} (${f.describe()}) is not carried to the new enclave`);
    }
  }
  for (const r of fds) r.xid = fam.fds.identity(p.fds.get(r.fd)!);
  let cwd = '/';
  const cwdModes: number[] = [];
  try {
    cwd = fsOf(k).vfs.pathOf(cwdOf(k, p), rootOf(k, p)).path;
    const ctx = fsContext(k, t);
    let prefix = '';
    for (const c of cwd.split('/').filter(Boolean)) {
      prefix += `/${c}`;
      cwdModes.push(fsOf(k).vfs.resolve(ctx, ctx.root, prefix, true).inode.mode & 0o7777);
    }
  } catch { /* the root, then */ }
  const s = { nice: 0, policy: 0, rtPriority: 0, affinity: -1n, ioprio: 0 };
  inheritSched(s, t);
  const sched = { nice: s.nice, policy: s.policy, rtPriority: s.rtPriority, affinity: s.affinity.toString(), ioprio: s.ioprio };
  const c: Checkpoint = {
    v: 1, pid, ppid, pgid: p.pgid, sid: p.sid, parentPgid: k.processes.get(ppid)?.pgid ?? p.pgid, parentSid: k.processes.get(ppid)?.sid ?? p.sid, comm: t.comm, exePath: p.exePath, umask: p.umask, cwd, cwdModes,
    personality: p.personality, keys: carryKeys(k, t), cwdOwner: fam.files.cwdOwner(p, cwd), servedDirs: fam.files.mirrors,
    rlimits: p.rlimits.map((l) => [l.cur.toString(), l.max.toString()]),
    sigactions: [...p.sigactions].map(([s, a]) => [s, a.handler.toString(), a.flags.toString(), a.mask.toString()]),
    exitSignal: 17, vdsoSigreturn: p.vdsoSigreturn, args: [p.argStart, p.argEnd, p.envStart, p.envEnd], vfork: r.vfork,
    task: {
      x: [...r.ctx.x].map(String), f: [...r.ctx.f].map(String), pc: r.ctx.pc.toString(), fcsr: r.ctx.fcsr,
      sigmask: t.sigmask.toString(), altStack: { ...t.altStack }, clearChildTid: r.clearChildTid, sched, mempolicy: t.mempolicy,
      seccomp: { mode: t.seccompMode, nnp: t.noNewPrivs, filters: t.seccompFilters.map((f) => ({ insns: hexOf(encodeFilter(f)), log: f.log })) },
      landlock: landlockRecord(k, t),
    },
    // A file mapping goes as a reference to its file's owner, or (none) as private memory named by its path.
    mm: { brkStart: as.brkStart, brk: as.brk, mmapBase: as.mmapBase, pages, vmas: as.vmas.map((v) => vmaRecord(v, carried.get(v))) },
    fds,
  };
  const json = new TextEncoder().encode(JSON.stringify(c));
  const out = new Uint8Array(4 + json.length + data.length * PAGE);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  data.forEach((d, i) => out.set(d, 4 + json.length + i * PAGE));
  return out;
}

const big = (s: string): bigint => {
  if (!/^-?\d{1,40}$/.test(s)) throw new SysError(E.EINVAL, 'checkpoint: bad number');
  return BigInt(s);
};

/** The child's side: init of this enclave is the process the checkpoint describes. */
export function restoreCheckpoint(k: Kernel, fam: FamilyState, bytes: Uint8Array): Task {
  if (bytes.length < 4) throw new Error('checkpoint: truncated');
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + n > bytes.length) throw new Error('checkpoint: truncated');
  const c = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + n))) as Checkpoint;
  if (c.v !== 1 || (bytes.length - 4 - n) !== c.mm.pages.length * PAGE) throw new Error('checkpoint: inconsistent');
  fam.restoredChild = true;
  fam.files.me = c.pid;
  fam.files.mirrors = (c.servedDirs ?? []).filter(([d, o]) => typeof d === 'string' && Number.isInteger(o) && o > 0);
  // Memory: the same VMAs, the same page contents and rights.
  const as = k.newAddressSpace();
  as.vmas = c.mm.vmas.map((v) => restoredVma(k, v));
  // File mappings whose pages stay with their owner in another enclave (family-pages.ts).
  for (const v of as.vmas as (Vma & { fileRef?: CarriedPages & { mayWrite: boolean } })[]) {
    const ref = v.fileRef;
    if (ref === undefined) continue;
    delete v.fileRef;
    const f = fam.pages.attach(ref, ref.mayWrite === true, as.frameMemory());
    if (!f || !Number.isSafeInteger(v.fileBase)) throw new Error('checkpoint: a bad file mapping');
    v.file = f;
  }
  as.brkStart = c.mm.brkStart;
  as.brk = c.mm.brk;
  as.mmapBase = c.mm.mmapBase;
  const mem = k.platform.memory;
  // Untrusted shared memory: the same host regions at the same addresses. The host answers which
  // buffer a region id is; the checkpoint (sealed, from the parent) says what it must be: a region
  // of exactly that size, mapped only inside the window. A host that swaps or shrinks one is refused.
  for (const v of as.vmas) {
    if (!v.ushm) continue;
    const u = v.ushm;
    const ctx = k.ushm;
    if (!ctx) throw new Error('checkpoint: untrusted shared memory, but this enclave has none');
    const w = ctx.cap.window;
    if (!Number.isSafeInteger(u.id) || !Number.isSafeInteger(u.size) || !Number.isSafeInteger(u.base)
      || v.start < w.base || v.end > w.base + w.size || v.start < u.base || v.end > u.base + u.size) throw new Error('checkpoint: a bad untrusted shared memory mapping');
    if (!ctx.regions.has(u.id)) {
      const r = ctx.cap.attach(u.id, u.size);
      if (!r) throw new Error(`checkpoint: the host did not give back untrusted shared memory region ${u.id} (${u.size} bytes)`);
      ctx.regions.set(u.id, r);
    }
  }
  c.mm.pages.forEach(([va, rwx], i) => {
    if (!as.find(va)) throw new Error('checkpoint: a page outside every VMA');
    const pa = as.pt.commit(va, rwx | PTE_W);
    if (pa < 0) throw new Error('checkpoint: out of enclave memory');
    const off = pa - mem.phys.base;
    mem.bytes.set(bytes.subarray(4 + n + i * PAGE, 4 + n + (i + 1) * PAGE), off);
    if (!(rwx & PTE_W)) as.pt.protect(va, rwx);
    k.platform.exec.codeWritten(pa, PAGE);
  });
  // Descriptors: host stdio as they were; pipes as channel pipes (one Pipe per channel).
  const fds = new FdTable();
  const pipes = new Map<number, Pipe>();
  const pipeLocs = new Map<Pipe, Location>();
  const socks = new Map<number, UnixSocket>();
  const ns = fsOf(k);
  // Descriptors naming one description (a dup) are restored once and installed at each number.
  const firstOf = new Map<string, FdRecord>();
  const aliases: [FdRecord, FdRecord][] = [];
  const records = c.fds.filter((r) => {
    if (typeof r.xid !== 'string') return true;
    const first = firstOf.get(r.xid);
    if (first) aliases.push([r, first]);
    else firstOf.set(r.xid, r);
    return !first;
  });
  for (const r of records) {
    if (r.kind === 'host') fds.set(r.fd, new HostStdioFile(k.platform.host, r.hostFd, r.flags), r.cloexec);
    else if (r.kind === 'pipe') {
      let pipe = pipes.get(r.channel);
      if (!pipe) {
        pipe = new Pipe();
        pipe.channel = new ChannelPipe(fam.fam, r.channel);
        pipes.set(r.channel, pipe);
        fam.pipes.add(pipe);
        const inode = new SpecialInode(ns.pipeMount.sb, S_IFIFO | 0o600, 0, k.config.uid, k.config.gid);
        inode.nlink = 1;
        inode.pipe = pipe;
        pipeLocs.set(pipe, { mnt: ns.pipeMount, inode });
      }
      fds.set(r.fd, new PipeFile(pipe, r.flags, pipeLocs.get(pipe)!), r.cloexec);
    } else if (r.kind === 'usock') {
      let sock = socks.get(r.ref);
      if (!sock) {
        sock = connectedSocketOn(k, fam, r) ?? undefined;
        if (!sock) throw new Error('checkpoint: a bad socket');
        socks.set(r.ref, sock);
      }
      fds.set(r.fd, sock, r.cloexec);
    } else if (r.kind === 'eventfd') {
      if (!Number.isInteger(r.owner) || !Number.isInteger(r.id) || r.owner <= 0 || r.id <= 0) throw new Error('checkpoint: a bad eventfd');
      fds.set(r.fd, fam.eventFdProxy(r.owner, r.id, r.sem & 1, r.flags, { mnt: ns.anonMount, inode: new AnonInode(ns.anonMount.sb) }), r.cloexec);
    } else if (r.kind === 'rfile') {
      if (!Number.isInteger(r.owner) || !Number.isInteger(r.id) || r.owner <= 0 || r.id <= 0 || typeof r.key !== 'string') throw new Error('checkpoint: a bad served file');
      fds.set(r.fd, fam.files.proxy(r), r.cloexec);
    } else if (r.kind === 'mq') {
      const f = restoreMq(k, r, c.pid);
      if (!f) throw new Error('checkpoint: a bad message queue description');
      fds.set(r.fd, f, r.cloexec);
    }
  }
  const proc = new Process(c.pid, c.ppid, as, fds, c.exePath);
  proc.comm = c.comm;
  proc.pgid = c.pgid;
  proc.sid = c.sid;
  proc.umask = c.umask;
  proc.personality = (c.personality ?? 0) >>> 0;
  proc.vdsoSigreturn = c.vdsoSigreturn;
  [proc.argStart, proc.argEnd, proc.envStart, proc.envEnd] = c.args;
  c.rlimits.forEach(([cur, max], i) => { proc.rlimits[i] = { cur: big(cur), max: big(max) }; });
  for (const [sig, h, fl, m] of c.sigactions) proc.sigactions.set(sig, { handler: big(h), flags: big(fl), mask: big(m) });
  k.processes.set(proc.pid, proc);
  // The parent, as this process saw it at fork: same group and session (job control checks them).
  const parent = fam.proxy(c.ppid, 0);
  parent.pgid = c.parentPgid;
  parent.sid = c.parentSid;
  for (const p of pipes.values()) (p.channel as ChannelPipe).refs(p.readers, p.writers);
  for (const s of socks.values()) s.remoteRefs();
  const task = new Task(proc.pid, proc);
  task.comm = c.comm;
  task.saved = {
    x: BigInt64Array.from(c.task.x.map(big)), f: BigInt64Array.from(c.task.f.map(big)), pc: big(c.task.pc), fcsr: c.task.fcsr,
  };
  task.sigmask = big(c.task.sigmask);
  task.altStack = { ...c.task.altStack };
  task.clearChildTid = c.task.clearChildTid;
  const sch = c.task.sched;
  if (sch && [sch.nice, sch.policy, sch.rtPriority].every(Number.isInteger)) {
    task.nice = Math.max(-20, Math.min(19, sch.nice));
    task.policy = sch.policy;
    task.rtPriority = sch.rtPriority;
    if (sch.affinity !== undefined) task.affinity = big(sch.affinity);
    if (Number.isInteger(sch.ioprio) && sch.ioprio! >= 0 && sch.ioprio! <= 0xffff) task.ioprio = sch.ioprio!;
  }
  task.mempolicy = restoredPolicy(c.task.mempolicy);
  const sc = c.task.seccomp;
  if (sc) {
    // Checked again as seccomp(2) checks a new filter: a checkpoint is data the parent made, not code.
    if (!Number.isInteger(sc.mode) || sc.mode < 0 || sc.mode > 2 || !Array.isArray(sc.filters) || sc.filters.length > 32768) throw new Error('checkpoint: bad seccomp state');
    const filters = sc.filters.map((r) => {
      const raw = unhexBytes(r?.insns, 4096 * 8); // BPF_MAXINSNS instructions at most
      const f = raw && raw.length % 8 === 0 ? checkFilter(raw, r.log === true) : -1;
      if (typeof f === 'number') throw new Error('checkpoint: a bad seccomp filter');
      return f;
    });
    if ((sc.mode === 2) !== (filters.length > 0)) throw new Error('checkpoint: bad seccomp state');
    task.seccompMode = sc.mode;
    task.seccompFilters = filters;
    task.noNewPrivs = sc.nnp === true;
  }
  restoreKeys(k, task, c.keys);
  if (c.vfork) proc.vforkWaiter = () => { fam.send(c.ppid, { t: 'vfork', pid: proc.pid }); };
  try {
    const ctx = fsContext(k, task);
    proc.cwd = ns.vfs.resolve(ctx, ctx.root, c.cwd, true);
  } catch {
    // The directory is not in this enclave's tree (a tmpfs directory of the parent's): made here,
    // empty, with the parent's modes, so relative paths name the same places (as Gramine's
    // checkpoint carries the cwd's dentry). Its contents stay in the parent's enclave.
    try {
      const ctx = fsContext(k, task);
      const parts = c.cwd.split('/').filter(Boolean);
      let prefix = '';
      parts.forEach((part, i) => {
        prefix += `/${part}`;
        try {
          ns.vfs.resolve(ctx, ctx.root, prefix, true);
        } catch {
          const mode = c.cwdModes?.[i];
          ns.vfs.mkdir({ ...ctx, umask: 0 }, ctx.root, prefix, typeof mode === 'number' ? mode & 0o7777 : 0o755);
        }
      });
      proc.cwd = ns.vfs.resolve(ctx, ctx.root, c.cwd, true);
      // Its contents are served by the enclave that has them: opens of names it lacks go there.
      if (c.cwdOwner && Number.isInteger(c.cwdOwner) && c.cwdOwner > 0) fam.files.mirrors.push([c.cwd, c.cwdOwner]);
    } catch { /* cannot be made here: the root */ }
  }
  // Host-mount files: the same file found by path in this enclave's mounts, through the host
  // descriptor the parent had duplicated for this child (the offset stays shared at the host).
  const hostFiles = new Map<number, HostOpenFile>();
  for (const r of records) {
    if (r.kind !== 'hostfile') continue;
    let f = hostFiles.get(r.hostFd);
    if (!f) {
      let loc: Location | null = null;
      try {
        const ctx = fsContext(k, task);
        loc = ns.vfs.resolve(ctx, ctx.root, r.path, false);
      } catch { /* gone since */ }
      if (!loc || !(loc.inode instanceof HostFile)) {
        k.platform.log(`fork: descriptor ${r.fd} (${r.path}) is no longer a host file here: not restored`);
        continue;
      }
      f = new HostOpenFile(r.flags, loc, loc.inode, r.hostFd, true);
      hostFiles.set(r.hostFd, f);
    }
    fds.set(r.fd, f, r.cloexec);
  }
  // Stateless devices: opened again here by path, without O_CREAT/O_TRUNC/O_EXCL (flags as held).
  const devFiles = new Map<number, OpenFile>();
  for (const r of records) {
    if (r.kind !== 'dev') continue;
    let f = devFiles.get(r.ref);
    if (!f) {
      try {
        const ctx = fsContext(k, task);
        f = ns.vfs.open(ctx, ctx.root, r.path, r.flags & ~(O_CREAT | O_EXCL | O_TRUNC), 0);
      } catch {
        k.platform.log(`fork: descriptor ${r.fd} (${r.path}) could not be opened here: not restored`);
        continue;
      }
      devFiles.set(r.ref, f);
    }
    fds.set(r.fd, f, r.cloexec);
  }
  // Landlock rulesets: their rules found by path once the cwd is in place (served trees).
  for (const r of records) if (r.kind === 'llruleset') fds.set(r.fd, restoreRuleset(k, task, r), r.cloexec);
  for (const [r, first] of aliases) {
    const f = fds.get(first.fd);
    if (f) fds.set(r.fd, f, r.cloexec);
  }
  for (const r of records) {
    const f = fds.get(r.fd);
    if (f && typeof r.xid === 'string' && r.xid.length <= 64) fam.fds.name(f, r.xid);
  }
  // Last: the cwd and descriptors above were found without the domain (they are the parent's).
  restoreLandlock(k, task, c.task.landlock);
  return task;
}

function equalPages(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < PAGE; i++) if (a[i] !== b[i]) return false;
  return true;
}

function vmaRecord(v: Vma, fileRef: (CarriedPages & { mayWrite: boolean }) | undefined): VmaRecord {
  // uffd: not carried (dup_userfaultfd without UFFD_FEATURE_EVENT_FORK: the child's copy is not registered).
  const { image, file, fileBase, uffd: _uffd, ...plain } = v;
  const rest: VmaRecord = fileRef ? { ...plain, fileBase, fileRef } : file ? { ...plain, name: file.path } : plain;
  // An executable only this enclave has: its pages are all in the checkpoint (makeCheckpoint), so
  // the child's VMA is plain memory.
  const source = image?.exe.source;
  if (!image || source == null) return rest;
  const { exe: _exe, ...where } = image;
  return { ...rest, image: { ...where, source } };
}

/** A policy from the parent's checkpoint, checked for shape (a bad one is MPOL_DEFAULT). */
function restoredPolicy(p: MemPolicy | null | undefined): MemPolicy | null {
  if (!p || ![p.mode, p.flags, p.nodes, p.homeNode].every(Number.isInteger) || !/^[0-9]+$/.test(String(p.user))) return null;
  return { mode: p.mode, flags: p.flags, nodes: p.nodes, user: p.user, homeNode: p.homeNode };
}

/** The child's VMA; an ELF segment's executable is read (on the first page fault) from this enclave's own measured copy. */
function restoredVma(k: Kernel, r: VmaRecord): Vma {
  const { image, uffd: _uffd, ...rest } = r as VmaRecord & { uffd?: unknown };
  const v: Vma = { ...rest, locked: false }; // a forked child has no memory locks (dup_mmap)
  if (v.mempolicy) v.mempolicy = restoredPolicy(v.mempolicy) ?? undefined;
  if (!image) return v;
  const { source, ...where } = image;
  for (const n of [where.delta, where.fileLimit, where.zeroFrom, where.zeroTo]) {
    if (!Number.isSafeInteger(n)) throw new Error('checkpoint: a bad ELF segment');
  }
  const load = measuredExecutable(k, source);
  if (!load) throw new Error(`checkpoint: an executable this enclave cannot find (${String(source).slice(0, 40)})`);
  return { ...v, image: { ...where, exe: new ExecutableBytes(source, null, load) } };
}

/** Reads an executable by its ExecutableBytes.source in this enclave's measured contents (null: no such source). */
function measuredExecutable(k: Kernel, source: string): (() => Uint8Array) | null {
  if (source === 'app') return () => k.appImage;
  const m = /^root:(\d{1,15})$/.exec(source);
  if (!m) return null;
  const img = fsOf(k).image;
  if (!img) return null;
  const ino = Number(m[1]);
  return () => {
    const i = img.inode(ino, null);
    if (!(i instanceof ImageFile)) throw new Error('checkpoint: the executable is not a file of the root image');
    return i.readContents(0, i.size());
  };
}
