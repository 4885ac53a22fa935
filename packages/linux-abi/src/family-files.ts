/**
 * tmpfs files shared by the enclaves of a family (process-per-enclave platforms: fork is a new
 * enclave, family.ts; docs/sgx-fork.md "tmpfs files and their locks across enclaves").
 *
 * A tmpfs file's description cannot be in two enclaves at once, and a copy would break what
 * Linux shares (the offset, the status flags, OFD and flock locks, the POSIX locks of other
 * processes), so it stays where it is: at fork the parent's enclave serves it (its owner) and
 * the child gets a RemoteFile naming (owner, id). Every operation on the proxy is a sealed
 * request ('rf') the owner runs on the real OpenFile and answers ('rfr'), as an eventfd's are:
 * read/write/pread/pwrite/lseek/fstat/ftruncate/fsync/fallocate, F_GETFL/F_SETFL, F_GETLK,
 * F_SETLK(W) and the OFD forms, flock. A POSIX lock taken from another enclave belongs to that
 * process's pid in the owner's lock table (F_GETLK's l_pid is right); it goes when that process
 * closes a descriptor of the file ('unlockpid'), drops the description ('rfclose') or exits. A
 * lock that must wait is not queued in the owner: the owner answers WOULD_BLOCK and remembers
 * who asked; when its lock table for the inode changes it sends 'rfwake', and the waiter, asleep
 * on the proxy's queue (signals interrupt it as any sleep), asks again.
 *
 * Paths: a child re-creates the tmpfs directory it inherits as its cwd (checkpoint.ts), empty.
 * That directory, and everything below it, is served by the enclave whose tmpfs has it: an open
 * of a name this enclave's own tree lacks there is sent to that enclave ('rfopen': path, flags,
 * mode, umask; O_CREAT creates the file there, where Linux would have it) and answered with a
 * served description. Names the child made itself (mkdir, mknod) stay its own and come first.
 * Only regular files are served; for anything else the owner says so and the open goes on here
 * (a FIFO is then found by its published name, as before). stat and access(2) of such a name
 * are asked the same way ('rfpath'); other path calls (unlink, rename, readdir) are not.
 *
 * The owner serves them after its process ended too, while anyone holds them
 * (FamilyState.lingering, family.ts); a proxy whose owner's enclave is gone fails with EIO. Each
 * operation is a round trip through the host; the host sees sizes and timing, never bytes, paths
 * or lock ranges (every message is sealed, family.ts).
 */
import { E, SysError } from './errors.ts';
import type { Kernel } from './kernel.ts';
import type { Process, Task } from './task.ts';
import type { Stat } from './abi/structs.ts';
import { S_IFMT, S_IFREG } from './abi/constants.ts';
import { OpenFile } from './fs/file.ts';
import { FileInode, Inode, SuperBlock } from './fs/inode.ts';
import { RegularFile } from './fs/files.ts';
import { AGAIN, WaitQueue } from './fs/wait.ts';
import { cwdOf, fsContext, fsOf, rootOf } from './fs/context.ts';
import { O_CLOEXEC, O_CREAT, O_EXCL, O_NOFOLLOW, O_TMPFILE, O_TRUNC, type FsContext, type Location } from './fs/vfs.ts';
import { LL_FS_MAKE_REG, LL_FS_READ_FILE, LL_FS_TRUNCATE, LL_FS_WRITE_FILE, llMissing, llSetFileAccess } from './fs/landlock.ts';
import { dropPosixLocks, lockQueue, locksChanged, testLock, trySetLock, tryFlock, type LockConflict } from './syscalls/fs-fd.ts';
import type { FamilyState } from './family.ts';
import { lexicalAbsolute } from './fs/names.ts';

type FileOp = 'read' | 'pread' | 'write' | 'pwrite' | 'lseek' | 'pos' | 'setpos' | 'stat' | 'truncate' | 'fsync' | 'fallocate'
  | 'getfl' | 'setfl' | 'getlk' | 'setlk' | 'flock' | 'unlockpid';
const FILE_OPS: readonly FileOp[] = ['read', 'pread', 'write', 'pwrite', 'lseek', 'pos', 'setpos', 'stat', 'truncate', 'fsync', 'fallocate',
  'getfl', 'setfl', 'getlk', 'setlk', 'flock', 'unlockpid'];

export type FileMessage =
  /** An operation on the description `id` the receiver serves: integer arguments `a`, bytes to write (base64). */
  | { t: 'rf'; req: number; from: number; id: number; op: FileOp; a: number[]; data?: string }
  /** Its answer: ret (a count, an offset, 0, WOULD_BLOCK or -errno), bytes read, the stat, the conflicting lock. */
  | { t: 'rfr'; req: number; ret: number; data?: string; st?: Stat; lk?: number[] }
  /** The lock table of the file `id` (served by `owner`) changed: waiters ask again. */
  | { t: 'rfwake'; owner: number; id: number }
  /** Open `path` in the receiver's tree (a directory it serves to the sender). */
  | { t: 'rfopen'; req: number; from: number; path: string; flags: number; mode: number; umask: number }
  /** Its answer: the served description's id (or -errno; NOT_SERVED: not a regular file), flags, mode, inode key. */
  | { t: 'rfopenr'; req: number; ret: number; flags: number; mode: number; key: string }
  /** stat (access -1) or access(mode) of `path` in the receiver's tree, answered by 'rfr' (ret, st). */
  | { t: 'rfpath'; req: number; from: number; path: string; follow: boolean; access: number }
  /** The process `pid` (forked from a holder) holds the description `id` too. */
  | { t: 'rfhold'; id: number; pid: number }
  /** The process `pid` no longer holds the description `id` (its last descriptor closed, or it exited). */
  | { t: 'rfclose'; id: number; pid: number };

/** A lock request that has to wait: the asker sleeps until 'rfwake'. */
const WOULD_BLOCK = 1;
/** An rfopen answer: the path names something other than a regular file (the opener goes on in its own tree). */
const NOT_SERVED = -E.EOPNOTSUPP;
/** Bytes per read or write request (a message must fit one OCALL frame). */
const CHUNK = 64 * 1024;
const F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;

const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const SAFE = Number.MAX_SAFE_INTEGER;
/** A lock end as sent: -1 for "to the end of the file". */
const endOut = (e: number) => (e === Infinity ? -1 : e);
const endIn = (e: number) => (e === -1 ? Infinity : e);

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;
function b64(d: Uint8Array): string {
  let s = '';
  for (let i = 0; i < d.length; i += 3) {
    const n = (d[i] << 16) | ((d[i + 1] ?? 0) << 8) | (d[i + 2] ?? 0);
    s += B64[n >>> 18] + B64[(n >>> 12) & 63] + (i + 1 < d.length ? B64[(n >>> 6) & 63] : '=') + (i + 2 < d.length ? B64[n & 63] : '=');
  }
  return s;
}
function unb64(s: unknown): Uint8Array | null {
  if (typeof s !== 'string' || s.length % 4) return null;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = s.charCodeAt(i + j);
      const v = c === 61 && i + j >= s.length - pad ? 0 : c < 128 ? B64_INDEX[c] : -1;
      if (v < 0) return null;
      n = (n << 6) | v;
    }
    if (o < out.length) out[o++] = n >>> 16;
    if (o < out.length) out[o++] = (n >>> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}
const STAT_FIELDS: readonly (keyof Stat)[] = ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blksize', 'blocks',
  'atimeSec', 'atimeNsec', 'mtimeSec', 'mtimeNsec', 'ctimeSec', 'ctimeNsec'];
const isStat = (s: unknown): s is Stat => typeof s === 'object' && s !== null
  && STAT_FIELDS.every((k) => isInt((s as Record<string, unknown>)[k], -SAFE, SAFE));

interface Reply { ret: number; data?: Uint8Array; st?: Stat; lk?: number[] }

/**
 * The placeholder inode of a served file in the holder's enclave: the type and mode the syscalls
 * check (ftruncate, fallocate, lseek's kind), while stat asks the owner.
 */
class RemoteInode extends Inode {
  file: RemoteFile | null = null;
  override stat(): Stat {
    const s = this.file?.stat();
    return s && typeof s !== 'number' ? s : super.stat();
  }
  override open(): OpenFile {
    throw new SysError(E.ENXIO);
  }
}

/** A tmpfs file description another enclave of the family serves (see the top of this file). */
export class RemoteFile extends OpenFile {
  /** Where a lock request that must wait sleeps until the owner's 'rfwake'. */
  readonly q = new WaitQueue();
  /** 'rfwake's seen (a wake that arrives while the request that will wait is still out is not lost). */
  wakes = 0;
  constructor(private readonly ff: FamilyFiles, readonly owner: number, readonly id: number, flags: number,
    /** The owner's inode, as owner:dev:ino (POSIX locks are per inode, across descriptions). */
    readonly ikey: string, loc: Location) {
    super(flags);
    this.loc = loc;
  }
  private call(op: FileOp, a: number[] = [], data?: Uint8Array): Reply {
    return this.ff.call(this.owner, this.id, op, a, data);
  }
  private readAll(len: number, pos: number | null): Uint8Array | number {
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < len) {
      const n = Math.min(CHUNK, len - got);
      const r = pos === null ? this.call('read', [n]) : this.call('pread', [n, pos + got]);
      const d = r.ret >= 0 ? r.data : undefined;
      if (!d || d.length !== r.ret || d.length > n) {
        if (got) break;
        return r.ret < 0 ? r.ret : -E.EIO;
      }
      parts.push(d);
      got += d.length;
      if (d.length < n) break;
    }
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array(got);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }
  private writeAll(data: Uint8Array, pos: number | null): number {
    let done = 0;
    do {
      const n = Math.min(CHUNK, data.length - done);
      const piece = data.subarray(done, done + n);
      const r = pos === null ? this.call('write', [], piece) : this.call('pwrite', [pos + done], piece);
      if (r.ret < 0 || r.ret > n) return done || (r.ret < 0 ? r.ret : -E.EIO);
      done += r.ret;
      if (r.ret < n) break;
    } while (done < data.length);
    return done;
  }
  override read(len: number): Uint8Array | number {
    return this.readAll(len, null);
  }
  override pread(len: number, pos: number): Uint8Array | number {
    return this.readAll(len, pos);
  }
  override write(data: Uint8Array): number {
    return this.writeAll(data, null);
  }
  override pwrite(data: Uint8Array, pos: number): number {
    return this.writeAll(data, pos);
  }
  override lseek(offset: number, whence: number): number {
    return this.call('lseek', [offset, whence]).ret;
  }
  override position(): number {
    return Math.max(0, this.call('pos').ret);
  }
  override setPosition(p: number): void {
    this.call('setpos', [p]);
  }
  override stat(): Stat | number {
    const r = this.call('stat');
    return r.st ?? (r.ret < 0 ? r.ret : -E.EIO);
  }
  override truncate(len: number): number {
    return this.call('truncate', [len]).ret;
  }
  override fsync(): number {
    return this.call('fsync').ret;
  }
  override fallocate(mode: number, off: number, len: number): number {
    return this.call('fallocate', [mode, off, len]).ret;
  }
  /** F_GETFL: the description's flags as its owner has them. */
  statusFlags(): number {
    const r = this.call('getfl');
    if (r.ret < 0) return r.ret;
    this.flags = r.ret;
    return r.ret;
  }
  /** F_SETFL: the bits of `mask` become `value` in the owner's description. */
  setStatusFlags(mask: number, value: number): number {
    const r = this.call('setfl', [mask, value]).ret;
    if (r === 0) this.flags = (this.flags & ~mask) | (value & mask);
    return r;
  }
  /** F_GETLK for the process `pid`: the conflicting lock, null, or -errno. */
  testLock(pid: number, ofd: boolean, type: number, start: number, end: number): LockConflict | null | number {
    const r = this.call('getlk', [pid, ofd ? 1 : 0, type, start, endOut(end)]);
    if (r.ret < 0) return r.ret;
    const l = r.lk;
    if (!l) return null;
    return { type: l[0], start: l[1], end: endIn(l[2]), pid: l[3] };
  }
  /** One attempt of F_SETLK(W) in the owner: 0, -errno, or AGAIN (sleep on `q`). */
  setLock(pid: number, ofd: boolean, type: number, start: number, end: number, wait: boolean): number | typeof AGAIN {
    for (;;) {
      const seen = this.wakes;
      const r = this.call('setlk', [pid, ofd ? 1 : 0, type, start, endOut(end), wait ? 1 : 0]).ret;
      if (r === WOULD_BLOCK) {
        if (this.wakes !== seen) continue; // the table changed while the answer was on its way
        return AGAIN;
      }
      if (r === 0 && !ofd && type !== F_UNLCK) this.ff.notePosix(this.ikey, pid);
      return r;
    }
  }
  /** One attempt of flock(op) in the owner: 0, -errno, or AGAIN. */
  flock(op: number): number | typeof AGAIN {
    for (;;) {
      const seen = this.wakes;
      const r = this.call('flock', [op]).ret;
      if (r !== WOULD_BLOCK) return r;
      if (this.wakes === seen) return AGAIN;
    }
  }
  /** A descriptor of the file closed in process `pid`: its POSIX locks on the inode go. */
  dropPosixLocks(pid: number): void {
    this.ff.dropPosix(this, pid);
  }
  override close(): void {
    this.ff.closed(this);
  }
  describe(): string {
    return this.loc?.name ?? `remote file ${this.owner}:${this.id}`;
  }
}

/** What a served description carries to a checkpoint or an rfopen answer. */
export interface CarriedFile { owner: number; id: number; flags: number; mode: number; key: string; name: string }

interface Served { f: OpenFile; holders: Set<number>; waiters: Set<number>; watch: () => void }

/** The kernel's side of shared tmpfs files: the descriptions it serves and the proxies it holds. */
export class FamilyFiles {
  /** Descriptions served to other enclaves, by id. */
  private readonly served = new Map<number, Served>();
  private readonly ids = new WeakMap<OpenFile, number>();
  private nextId = 1;
  /** Proxies here, by owner:id (one per description, shared by dup and every descriptor). */
  private readonly proxies = new Map<string, RemoteFile>();
  /** Pids of this enclave holding POSIX locks on a served inode (owner:dev:ino). */
  private readonly posix = new Map<string, Set<number>>();
  /** Directories other enclaves serve to this one (absolute paths), with the serving pid. */
  mirrors: [string, number][] = [];
  /** This enclave's process (set when it is restored from a checkpoint; proxies exist only then). */
  me = 0;
  private sb: SuperBlock | null = null;

  constructor(private readonly k: Kernel, private readonly fs: FamilyState) {}

  get active(): boolean {
    return this.served.size > 0 || this.proxies.size > 0;
  }

  /** A description that can be served: a tmpfs (or memfd) regular file. */
  static servable(f: OpenFile): boolean {
    return f instanceof RegularFile && f.loc?.inode instanceof FileInode;
  }

  private serve(f: OpenFile, holder: number): number {
    let id = this.ids.get(f);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(f, id);
      f.refs++; // the family's hold: the description outlives the owner's own descriptors
      const owner = this.fs.selfPid;
      const e: Served = { f, holders: new Set(), waiters: new Set(), watch: () => {} };
      const fid = id;
      e.watch = () => {
        for (const pid of e.waiters) this.fs.send(pid, { t: 'rfwake', owner, id: fid });
        e.waiters.clear();
      };
      lockQueue(f.loc!.inode).watch(e.watch);
      this.served.set(id, e);
    }
    this.served.get(id)!.holders.add(holder);
    return id;
  }

  private release(id: number, pid: number): void {
    const e = this.served.get(id);
    if (!e) return;
    const inode = e.f.loc!.inode;
    dropPosixLocks(inode, pid);
    e.holders.delete(pid);
    e.waiters.delete(pid);
    if (e.holders.size) return;
    lockQueue(inode).unwatch(e.watch);
    this.served.delete(id);
    this.ids.delete(e.f);
    if (--e.f.refs <= 0) e.f.close();
    locksChanged(inode); // its OFD and flock locks may be gone now
  }

  /** The id under which `f` is served here, if it is (family-fds.ts names it by it). */
  servedId(f: OpenFile): number | undefined {
    const id = this.ids.get(f);
    return id !== undefined && this.served.has(id) ? id : undefined;
  }

  /** The description served here as `id` (one handed back to this enclave by another), or null. */
  servedFile(id: number): OpenFile | null {
    return this.served.get(id)?.f ?? null;
  }

  /** The file behind the description `id` served here to `holder` (family-pages.ts maps its pages), or null. */
  servedInode(id: number, holder: number): FileInode | null {
    const e = this.served.get(id);
    const i = e?.holders.has(holder) ? e.f.loc?.inode : undefined;
    return i instanceof FileInode ? i : null;
  }

  /** At fork: the record for `f` in the checkpoint of `child`, or null when it is not a served file. */
  carry(f: OpenFile, child: number): CarriedFile | null {
    if (f instanceof RemoteFile) {
      // Forked from a holder: the owner learns of the new holder first (messages keep their order).
      this.fs.send(f.owner, { t: 'rfhold', id: f.id, pid: child });
      return { owner: f.owner, id: f.id, flags: f.flags, mode: f.loc!.inode.mode, key: f.ikey, name: f.describe() };
    }
    if (!FamilyFiles.servable(f)) return null;
    const i = f.loc!.inode;
    return { owner: this.fs.selfPid, id: this.serve(f, child), flags: f.flags, mode: i.mode, key: `${this.fs.selfPid}:${i.sb.dev}:${i.ino}`, name: this.nameOf(f.loc!) };
  }

  private nameOf(loc: Location): string {
    try {
      return fsOf(this.k).vfs.pathOf(loc, fsOf(this.k).vfs.rootLocation()).path;
    } catch {
      return 'remote file';
    }
  }

  /** The proxy for the description `id` that `owner` serves (one per description here). */
  proxy(r: CarriedFile): RemoteFile {
    const key = `${r.owner}:${r.id}`;
    let f = this.proxies.get(key);
    if (f) return f;
    const sb = (this.sb ??= new SuperBlock('tmpfs', 0x01021994, () => ({ sec: 0, nsec: 0 })));
    const inode = new RemoteInode(sb, S_IFREG | (r.mode & 0o7777), this.k.config.uid, this.k.config.gid);
    const ns = fsOf(this.k);
    f = new RemoteFile(this, r.owner, r.id, r.flags, r.key, { mnt: ns.anonMount, inode, name: r.name });
    inode.file = f;
    this.proxies.set(key, f);
    return f;
  }

  /** One operation on a description `owner` serves: waits here for the answer (family.ts request). */
  call(owner: number, id: number, op: FileOp, a: number[], data?: Uint8Array): Reply {
    const from = this.fs.selfPid || this.me;
    const m = this.fs.request(owner, (req) => ({ t: 'rf', req, from, id, op, a, ...(data ? { data: b64(data) } : {}) }));
    if (m?.t !== 'rfr') return { ret: -E.EIO };
    const r: Reply = { ret: m.ret };
    if (m.data !== undefined) {
      const d = unb64(m.data);
      if (!d) return { ret: -E.EIO };
      r.data = d;
    }
    if (m.st !== undefined) r.st = m.st;
    if (m.lk !== undefined) r.lk = m.lk;
    return r;
  }

  notePosix(ikey: string, pid: number): void {
    let s = this.posix.get(ikey);
    if (!s) this.posix.set(ikey, (s = new Set()));
    s.add(pid);
  }

  dropPosix(f: RemoteFile, pid: number): void {
    const s = this.posix.get(f.ikey);
    if (!s?.has(pid)) return; // no lock of this process there: no round trip
    this.call(f.owner, f.id, 'unlockpid', [pid]);
    s.delete(pid);
  }

  /** The proxy's last descriptor here closed: the owner lets go of this holder (and its POSIX locks there). */
  closed(f: RemoteFile): void {
    this.proxies.delete(`${f.owner}:${f.id}`);
    this.posix.delete(f.ikey);
    this.fs.send(f.owner, { t: 'rfclose', id: f.id, pid: this.fs.selfPid || this.me });
  }

  /** The processes of other enclaves that hold a description this enclave serves. */
  holderPids(): Set<number> {
    const s = new Set<number>();
    for (const e of this.served.values()) for (const pid of e.holders) s.add(pid);
    return s;
  }

  /** A process of another enclave ended (its exit message): whatever it held here is let go. */
  gone(pid: number): void {
    for (const id of [...this.served.keys()]) if (this.served.get(id)!.holders.has(pid)) this.release(id, pid);
  }

  /** A fork whose new enclave never started: what was served or announced for `pid` is let go. */
  forkFailed(pid: number): void {
    this.gone(pid);
    for (const f of this.proxies.values()) this.fs.send(f.owner, { t: 'rfclose', id: f.id, pid });
  }

  // ---- paths -------------------------------------------------------------------------------

  /** The enclave serving the directory that holds `abs`, or 0. */
  ownerOf(abs: string): number {
    let best = '', owner = 0;
    for (const [dir, pid] of this.mirrors) {
      if ((abs === dir || abs.startsWith(dir === '/' ? '/' : `${dir}/`)) && dir.length > best.length) { best = dir; owner = pid; }
    }
    return owner;
  }

  /** At fork: which enclave serves the cwd `cwd` of `p` (this one when it is a tmpfs directory here). */
  cwdOwner(p: Process, cwd: string): number {
    const served = this.ownerOf(cwd);
    if (served) return served;
    const loc = cwdOf(this.k, p);
    return loc.inode.sb.fstype === 'tmpfs' && cwd !== '/' ? p.pid : 0;
  }

  /**
   * open(2) of a path under a directory another enclave serves, when this enclave's tree lacks
   * the name: opened there (O_CREAT creates it there). null: not such a path (open it here).
   */
  openServed(t: Task, path: string, flags: number, mode: number, start: Location): OpenFile | null {
    if (this.mirrors.length === 0 || (flags & O_TMPFILE) === O_TMPFILE) return null;
    const abs = this.absolute(t, path, start);
    if (abs === null) return null;
    const owner = this.ownerOf(abs);
    if (!owner || owner === t.proc.pid) return null;
    const ctx = fsContext(this.k, t);
    try {
      fsOf(this.k).vfs.resolve(ctx, start, path, false);
      return null; // this enclave has the name: its own
    } catch (e) {
      if (!(e instanceof SysError) || e.errno !== E.ENOENT) return null; // the open here reports it
    }
    // Landlock: the file is the owner's, so it is checked here as a regular file in the directory
    // this tree has for it (rules on the served file itself are not seen here: stricter).
    let llAllowed = -1;
    if (t.landlock) {
      // The directory as this tree has it, else its nearest ancestor this tree has (a name of the
      // owner's: the rules carried here are on directories this tree has, checkpoint.ts).
      let dir: Location | null = null;
      for (let p = path; dir === null;) {
        try {
          dir = fsOf(this.k).vfs.resolveParent(ctx, start, p).dir;
        } catch {
          const cut = p.replace(/\/+$/, '').lastIndexOf('/');
          if (cut < 0) dir = start;
          else p = cut === 0 ? '/.' : p.slice(0, cut);
        }
      }
      const acc = flags & 3;
      let request = (acc === 0 || acc === 2 ? LL_FS_READ_FILE : 0) | (acc === 1 || acc === 2 ? LL_FS_WRITE_FILE : 0);
      if (flags & O_CREAT) request |= LL_FS_MAKE_REG;
      if (flags & O_TRUNC) request |= LL_FS_TRUNCATE;
      const missing = llMissing(t.landlock, dir, request | LL_FS_TRUNCATE);
      if (missing & request) throw new SysError(E.EACCES);
      llAllowed = (request | LL_FS_TRUNCATE) & ~missing;
    }
    const m = this.fs.request(owner, (req) => ({
      t: 'rfopen', req, from: t.proc.pid, path: abs, flags: (flags & ~O_CLOEXEC) & 0x7fffffff, mode: mode & 0o7777, umask: ctx.umask & 0o777,
    }));
    if (m?.t !== 'rfopenr' || m.ret === NOT_SERVED) return null; // gone, or not a regular file: this tree answers
    if (m.ret < 0) throw new SysError(-m.ret);
    if (!this.me) this.me = t.proc.pid;
    const proxy = this.proxy({ owner, id: m.ret, flags: m.flags, mode: m.mode, key: `${owner}:${m.key}`, name: abs });
    if (llAllowed >= 0) llSetFileAccess(proxy, llAllowed);
    return proxy;
  }

  /**
   * stat (access < 0) or access(mode) of a path under a directory another enclave serves, when
   * this enclave's tree lacks it (the caller saw ENOENT): the owner's answer, or null (not such a
   * path, or the owner is gone: the ENOENT stands).
   */
  pathServed(t: Task, path: string, start: Location, follow: boolean, access: number): { ret: number; st?: Stat } | null {
    if (this.mirrors.length === 0 || path === '') return null;
    const abs = this.absolute(t, path, start);
    const owner = abs === null ? 0 : this.ownerOf(abs);
    if (!owner || owner === t.proc.pid) return null;
    const m = this.fs.request(owner, (req) => ({ t: 'rfpath', req, from: t.proc.pid, path: abs!, follow, access }));
    if (m?.t !== 'rfr') return null;
    return m.st ? { ret: 0, st: m.st } : { ret: Math.min(0, m.ret) };
  }

  /** The owner's side of rfpath. */
  private pathHere(from: number, path: string, follow: boolean, access: number): { ret: number; st?: Stat } {
    const vfs = fsOf(this.k).vfs, root = vfs.rootLocation();
    const ctx: FsContext = { cred: { uid: this.k.config.uid, gid: this.k.config.gid, pid: from }, root, cwd: root, umask: 0 };
    try {
      const loc = vfs.resolve(ctx, root, path, follow);
      if (access < 0) return { ret: 0, st: loc.inode.stat() };
      vfs.access(ctx, loc, access);
      return { ret: 0 };
    } catch (e) {
      if (e instanceof SysError) return { ret: -e.errno };
      throw e;
    }
  }

  /** The absolute path `path` names from `start` (the cwd or a dirfd's directory), textually. */
  private absolute(t: Task, path: string, start: Location): string | null {
    let base = '/';
    if (!path.startsWith('/')) {
      try {
        base = fsOf(this.k).vfs.pathOf(start, rootOf(this.k, t.proc)).path;
      } catch {
        return null;
      }
    }
    return lexicalAbsolute(base, path);
  }

  /** The owner's side of rfopen: the path must name a regular tmpfs file here (or be created as one). */
  private openHere(from: number, path: string, flags: number, mode: number, umask: number): { ret: number; f?: OpenFile } {
    const vfs = fsOf(this.k).vfs, root = vfs.rootLocation();
    const ctx: FsContext = { cred: { uid: this.k.config.uid, gid: this.k.config.gid, pid: from }, root, cwd: root, umask };
    let exists = true;
    try {
      const loc = vfs.resolve(ctx, root, path, !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL)));
      if (!(loc.inode instanceof FileInode) || (loc.inode.mode & S_IFMT) !== S_IFREG) return { ret: NOT_SERVED };
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      if (e.errno !== E.ENOENT) return { ret: -e.errno };
      exists = false;
    }
    if (!exists && !(flags & O_CREAT)) return { ret: -E.ENOENT };
    let f: OpenFile;
    try {
      f = vfs.open(ctx, root, path, flags, mode);
    } catch (e) {
      if (e instanceof SysError) return { ret: -e.errno };
      throw e;
    }
    if (!FamilyFiles.servable(f)) {
      if (f.refs <= 0) f.close();
      return { ret: NOT_SERVED };
    }
    return { ret: 0, f };
  }

  // ---- messages ----------------------------------------------------------------------------

  handle(m: FileMessage): void {
    const fs = this.fs;
    if (m.t === 'rf') {
      // Without a request number and a sender there is no one to answer; anything else malformed
      // is answered (EINVAL), so the asker never waits for an answer that will not come.
      if (!isInt(m.req, 1, 2 ** 52) || !isInt(m.from, 1, 0x7fffffff)) return;
      const ok = isInt(m.id, 1, 2 ** 31) && FILE_OPS.includes(m.op) && Array.isArray(m.a) && m.a.length <= 6 && m.a.every((x) => isInt(x, -SAFE, SAFE));
      fs.send(m.from, { t: 'rfr', req: m.req, ...(ok ? this.run(m) : { ret: -E.EINVAL }) });
    } else if (m.t === 'rfr') {
      if (!isInt(m.ret, -4095, SAFE) || (m.data !== undefined && typeof m.data !== 'string') || (m.st !== undefined && !isStat(m.st))
        || (m.lk !== undefined && !(Array.isArray(m.lk) && m.lk.length === 4 && m.lk.every((x) => isInt(x, -SAFE, SAFE))))) return;
      fs.answer(m.req, m);
    } else if (m.t === 'rfwake') {
      const f = this.proxies.get(`${m.owner}:${m.id}`);
      if (f) {
        f.wakes++;
        f.q.notify();
      }
    } else if (m.t === 'rfopen') {
      if (!isInt(m.req, 1, 2 ** 52) || !isInt(m.from, 1, 0x7fffffff)) return;
      const ok = typeof m.path === 'string' && m.path.startsWith('/') && isInt(m.flags, 0, 0x7fffffff) && isInt(m.mode, 0, 0o7777) && isInt(m.umask, 0, 0o777);
      const r = ok ? this.openHere(m.from, m.path, m.flags, m.mode, m.umask) : { ret: -E.EINVAL };
      if (!r.f) {
        fs.send(m.from, { t: 'rfopenr', req: m.req, ret: r.ret, flags: 0, mode: 0, key: '' });
        return;
      }
      const i = r.f.loc!.inode;
      fs.send(m.from, { t: 'rfopenr', req: m.req, ret: this.serve(r.f, m.from), flags: r.f.flags, mode: i.mode, key: `${i.sb.dev}:${i.ino}` });
    } else if (m.t === 'rfpath') {
      if (!isInt(m.req, 1, 2 ** 52) || !isInt(m.from, 1, 0x7fffffff)) return;
      const ok = typeof m.path === 'string' && m.path.startsWith('/') && typeof m.follow === 'boolean' && isInt(m.access, -1, 7);
      fs.send(m.from, { t: 'rfr', req: m.req, ...(ok ? this.pathHere(m.from, m.path, m.follow, m.access) : { ret: -E.EINVAL }) });
    } else if (m.t === 'rfopenr') {
      if (!isInt(m.ret, -4095, 2 ** 31) || !isInt(m.flags, 0, 0x7fffffff) || !isInt(m.mode, 0, 0xffff) || typeof m.key !== 'string') return;
      fs.answer(m.req, m);
    } else if (m.t === 'rfhold') {
      if (isInt(m.id, 1, 2 ** 31) && isInt(m.pid, 1, 0x7fffffff)) this.served.get(m.id)?.holders.add(m.pid);
    } else if (m.t === 'rfclose') {
      if (isInt(m.id, 1, 2 ** 31) && isInt(m.pid, 1, 0x7fffffff)) this.release(m.id, m.pid);
    }
  }

  /** The owner runs one operation on the real description. */
  private run(m: Extract<FileMessage, { t: 'rf' }>): { ret: number; data?: string; st?: Stat; lk?: number[] } {
    const e = this.served.get(m.id);
    if (!e) return { ret: -E.EBADF };
    e.holders.add(m.from); // forked from a holder: known from its first request on
    const f = e.f, a = m.a, k = this.k;
    const bytes = (r: Uint8Array | number) => (typeof r === 'number' ? { ret: r } : { ret: r.length, data: b64(r) });
    const need = (n: number) => a.length >= n;
    switch (m.op) {
      case 'read': return need(1) && a[0] >= 0 ? bytes(f.read(Math.min(a[0], CHUNK))) : { ret: -E.EINVAL };
      case 'pread': return need(2) && a[0] >= 0 && a[1] >= 0 ? bytes(f.pread(Math.min(a[0], CHUNK), a[1])) : { ret: -E.EINVAL };
      case 'write': case 'pwrite': {
        const d = unb64(m.data);
        if (!d || d.length > CHUNK) return { ret: -E.EINVAL };
        if (m.op === 'write') return { ret: f.write(d) };
        return need(1) && a[0] >= 0 ? { ret: f.pwrite(d, a[0]) } : { ret: -E.EINVAL };
      }
      case 'lseek': return need(2) ? { ret: f.lseek(a[0], a[1]) } : { ret: -E.EINVAL };
      case 'pos': return { ret: f.position() };
      case 'setpos': if (need(1) && a[0] >= 0) f.setPosition(a[0]); return { ret: 0 };
      case 'stat': {
        const s = f.stat();
        return typeof s === 'number' ? { ret: s } : { ret: 0, st: s };
      }
      case 'truncate': return need(1) && a[0] >= 0 ? { ret: f.truncate(a[0]) } : { ret: -E.EINVAL };
      case 'fsync': return { ret: f.fsync() };
      case 'fallocate': return need(3) ? { ret: f.fallocate(a[0], a[1], a[2]) } : { ret: -E.EINVAL };
      case 'getfl': return { ret: f.flags };
      case 'setfl': if (need(2)) f.flags = (f.flags & ~a[0]) | (a[1] & a[0]); return { ret: 0 };
      case 'getlk': case 'setlk': {
        if (!need(5) || !isInt(a[0], 1, 0x7fffffff) || ![F_RDLCK, F_WRLCK, F_UNLCK].includes(a[2]) || a[3] < 0 || (a[4] !== -1 && a[4] < a[3])) return { ret: -E.EINVAL };
        const [pid, ofd, type, start] = a, end = endIn(a[4]);
        if (m.op === 'getlk') {
          const c = testLock(k, f, pid, ofd === 1, type, start, end);
          return c ? { ret: 0, lk: [c.type, c.start, endOut(c.end), c.pid] } : { ret: 0 };
        }
        const r = trySetLock(k, f, pid, ofd === 1, type, start, end, a[5] === 1, true);
        if (r !== AGAIN) return { ret: r };
        e.waiters.add(m.from);
        return { ret: WOULD_BLOCK };
      }
      case 'flock': {
        if (!need(1) || ![1, 2, 8].includes(a[0] & ~4)) return { ret: -E.EINVAL };
        const r = tryFlock(k, f, a[0]);
        if (r !== AGAIN) return { ret: r };
        e.waiters.add(m.from);
        return { ret: WOULD_BLOCK };
      }
      case 'unlockpid': if (need(1)) dropPosixLocks(f.loc!.inode, a[0]); return { ret: 0 };
    }
  }
}
