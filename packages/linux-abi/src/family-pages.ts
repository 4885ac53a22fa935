/**
 * File pages shared by the enclaves of a family (process per enclave: the SGX model's fork;
 * docs/sgx-fork.md "MAP_SHARED of a file on SGX"). Inside one enclave each page of a file has one
 * home, the file or one mapped alias, and migrates between aliases on fault (mm/page-cache.ts).
 * Across enclaves the same rule holds with the enclave as the unit:
 *
 * - The enclave whose kernel has the file (its owner: the one that mapped it before the fork, or
 *   that serves the description another enclave mmaps) keeps, per page, where the home is: its
 *   file, an alias of its own, or another enclave (PageCache.remoteHomes).
 * - Another enclave (a holder) maps the file through a cache whose backing is the owner: a fault
 *   there with no home in that enclave asks the owner ('take'), which takes the page back from
 *   wherever it is (revoking its own alias, or asking the enclave that has it to 'give' it up:
 *   that enclave revokes its alias and answers the bytes), records the asker as the home and
 *   answers the bytes; the holder installs them (EACCEPTCOPY) and the instruction runs again.
 *   Between aliases inside the holder the page moves as inside any enclave, without the owner.
 * - A holder gives a page back ('put', with the bytes when a writable mapping had it) when its
 *   last alias of it goes (munmap, exit, exec, a fork of its own), and says when it maps the file
 *   no more ('drop'); read()/write()/truncate on the owner's file (the holder's reads and writes
 *   of a served description run there too) first take back the pages they touch.
 *
 * Every request, answer and note is a sealed family message (family.ts): the host sees that some
 * enclave asked another for something of some size, never the bytes; a message it alters fails
 * authentication and is dropped (the asker then gets no page: SIGBUS, never stale bytes). Each
 * move is a round trip through the host plus the SGX2 steps at both ends.
 */
import { E, SysError } from './errors.ts';
import type { Kernel } from './kernel.ts';
import type { FamilyState } from './family.ts';
import { PageCache, pageClock, type FileBacking, type FrameMemory } from './mm/page-cache.ts';
import type { MappedFile } from './mm/address-space.ts';
import { PAGE_SIZE, pageUp } from './mm/frames.ts';
import { hex, shmCarried, shmCloser, unhexBytes } from './syscalls/sysvipc-family.ts';

const SVC = 'pages';

/** What one enclave asks another (JSON in a sealed message). */
type PageRequest =
  /** To the owner: the file's size. */
  | { op: 'size'; id: number }
  /** To the owner: make the asker page pg's home; answers its bytes. */
  | { op: 'take'; id: number; pg: number }
  /** To a holder, from the owner: give page pg up (revoke the alias); answers the bytes, or none. */
  | { op: 'give'; id: number; pg: number }
  /** To the owner: the pages of the file behind the description `desc` it serves to the asker. */
  | { op: 'map'; desc: number };

/** One-way notes to the owner. */
type PageNote =
  /** The sender's home of page pg went (with the bytes when they may differ from the file). */
  | { op: 'put'; id: number; pg: number; data?: string }
  /** The process `pid` (a fork of a holder) maps the file too. */
  | { op: 'hold'; id: number; pid: number }
  /** The sender maps the file no more. */
  | { op: 'drop'; id: number };

/** What a checkpoint carries for a file mapping whose pages stay with their owner. */
export interface CarriedPages { owner: number; id: number; path: string; dev: number; ino: number; deleted: boolean; shm?: { id: number; size: number } }

/**
 * How long a page granted to an enclave stays there before another may take it: at least
 * HOLD_MIN_NS, and until that enclave has run an instruction, but at most HOLD_MAX_NS. Without
 * it a page that several enclaves write in turn could leave before the access that brought it
 * ran (each move is a round trip of ~8 ms); an asker told "busy" asks again.
 */
const HOLD_MIN_NS = 1_000_000, HOLD_MAX_NS = 20_000_000;

const isBusy = (r: unknown): boolean => !!r && typeof r === 'object' && (r as { busy?: unknown }).busy === true;

const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const MAX_PG = 2 ** 40;

export class FamilyPages {
  /** Files whose pages this enclave owns and other enclaves map, by id. */
  private readonly served = new Map<number, { cache: PageCache; holders: Set<number> }>();
  private readonly ids = new Map<PageCache, number>();
  private nextId = 1;
  /** Caches here for files other enclaves own, by `owner:id`. */
  private readonly held = new Map<string, PageCache>();
  /** Pages this enclave is asking an owner for now (`owner:id:pg`), with the request's number. */
  private readonly taking = new Map<string, number>();
  /** 'give' requests out now (their numbers, oldest first), by `holder:id:pg`. */
  private readonly giving = new Map<string, number[]>();

  constructor(private readonly k: Kernel, private readonly fs: FamilyState) {
    pageClock.now = () => k.platform.monotonicNs();
    pageClock.instret = () => k.platform.exec.instret();
    fs.services.set(SVC, (body, from, oneWay) => (oneWay ? this.note(body as PageNote, from) : this.serve(body as PageRequest, from)));
  }

  // ---- the owner's side ----------------------------------------------------------------------

  /** This enclave serves the pages of `cache` to `holder`; the file's id. */
  private serveCache(cache: PageCache, holder: number): number {
    let id = this.ids.get(cache);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(cache, id);
      const e = { cache, holders: new Set<number>() };
      this.served.set(id, e);
      const fid = id;
      cache.remote = {
        give: (pid, pg) => {
          const gk = `${pid}:${fid}:${pg}`;
          for (;;) {
            let out = this.giving.get(gk);
            if (!out) this.giving.set(gk, (out = []));
            const earlier = [...out];
            let mine = 0;
            let r: { data?: unknown } | null;
            try {
              r = this.fs.serviceRequest(pid, SVC, { op: 'give', id: fid, pg } satisfies PageRequest, undefined, (n) => { mine = n; out.push(n); }) as { data?: unknown } | null;
            } finally {
              const i = out.indexOf(mine);
              if (i >= 0) out.splice(i, 1);
              if (out.length === 0) this.giving.delete(gk);
            }
            if (isBusy(r)) continue; // just granted there: it is held a moment first
            // No answer: that enclave has ended. What it put back before it ended (its 'put',
            // queued ahead of its end) is taken in now, before the page is granted again.
            if (r === null) this.fs.receiveNow();
            if (r && typeof r === 'object' && r.data !== undefined) return unhexBytes(r.data, PAGE_SIZE);
            // Not there: this pull may run nested in an earlier one of the same page from the
            // same enclave (this kernel, waiting for that answer, serves another request that
            // reads the page: a futex compare, a read()). That enclave gave the page up to the
            // earlier 'give', whose answer has arrived (answers keep their order) and holds the
            // newest bytes: they are the page's, not the file's older ones (the earlier pull,
            // when it resumes, finds the page already back and drops its copy).
            for (const n of earlier) {
              const a = this.fs.answerOf(n) as { data?: unknown } | undefined;
              if (a && typeof a === 'object' && a.data !== undefined) return unhexBytes(a.data, PAGE_SIZE);
            }
            return null;
          }
        },
        mapped: () => e.holders.size > 0,
      };
    }
    this.served.get(id)!.holders.add(holder);
    return id;
  }

  private serve(req: PageRequest, from: number): unknown {
    if (!req || typeof req !== 'object') return null;
    if (req.op === 'give') {
      // Asked as a holder: only the owner of that file may ask.
      if (!isInt(req.id, 1, 2 ** 31) || !isInt(req.pg, 0, MAX_PG)) return null;
      const key = `${from}:${req.id}`;
      const cache = this.held.get(key);
      // Granted but not installed yet (the answer came in with this request), or installed
      // just now: held a moment (HOLD_MIN_NS); the owner asks again.
      const t = this.taking.get(`${key}:${req.pg}`);
      if ((t !== undefined && this.fs.answered(t)) || cache?.settling(req.pg, HOLD_MIN_NS, HOLD_MAX_NS)) return { busy: true };
      const b = cache?.surrender(req.pg);
      return b ? { data: hex(b) } : { none: true };
    }
    if (req.op === 'map') return this.mapServed(req, from);
    const e = isInt(req.id, 1, 2 ** 31) ? this.served.get(req.id) : undefined;
    if (!e || !e.holders.has(from)) return { err: -E.EIO };
    let size: number;
    try {
      size = e.cache.backing.size();
    } catch {
      return { err: -E.EIO };
    }
    if (req.op === 'size') return { size };
    if (req.op === 'take' && isInt(req.pg, 0, MAX_PG)) {
      if (req.pg * PAGE_SIZE >= pageUp(size)) return { err: -E.EFAULT }; // past the end: SIGBUS there
      // Being pulled back from another enclave, or just brought to an alias here: ask again.
      if (e.cache.isPulling(req.pg) || e.cache.settling(req.pg, HOLD_MIN_NS, HOLD_MAX_NS)) return { busy: true };
      try {
        return { data: hex(e.cache.grantRemote(req.pg, from)) };
      } catch {
        return { err: -E.EIO };
      }
    }
    return null;
  }

  /** A holder mmaps a description this enclave serves it: the pages of its file. */
  private mapServed(req: { desc: number }, from: number): unknown {
    const inode = isInt(req.desc, 1, 2 ** 31) ? this.fs.files.servedInode(req.desc, from) : null;
    const backing = inode?.backing();
    if (!inode || !backing) return { err: -E.ENODEV };
    const proc = [...this.k.processes.values()].find((p) => !p.remote && p.exitStatus === null);
    if (!proc) return { err: -E.EIO };
    inode.pageCache ??= new PageCache(backing, proc.as.frameMemory());
    return { id: this.serveCache(inode.pageCache, from), dev: inode.sb.dev, ino: inode.ino, seals: 'seals' in inode ? inode.seals : 0 };
  }

  private note(n: PageNote, from: number): void {
    if (!n || typeof n !== 'object' || !isInt(n.id, 1, 2 ** 31)) return;
    const e = this.served.get(n.id);
    if (!e || !e.holders.has(from)) return;
    if (n.op === 'put' && isInt(n.pg, 0, MAX_PG)) {
      const b = n.data === undefined ? null : unhexBytes(n.data, PAGE_SIZE);
      e.cache.returned(n.pg, from, b && b.length === PAGE_SIZE ? b : null);
    } else if (n.op === 'hold' && isInt(n.pid, 1, 2 ** 31)) {
      e.holders.add(n.pid);
    } else if (n.op === 'drop') {
      this.release(n.id, from);
    }
  }

  private release(id: number, pid: number): void {
    const e = this.served.get(id);
    if (!e) return;
    e.holders.delete(pid);
    if (e.holders.size) return;
    this.served.delete(id);
    this.ids.delete(e.cache);
    e.cache.remote = null;
    e.cache.trim(); // a removed, closed file nobody maps now frees its data
  }

  /** A process of another enclave ended: whatever of it was a holder here is let go (its pages' last bytes with it). */
  gone(pid: number): void {
    for (const [id, e] of [...this.served]) if (e.holders.has(pid)) this.release(id, pid);
  }

  /** The processes of other enclaves that map a file whose pages this enclave serves. */
  holderPids(): Set<number> {
    const s = new Set<number>();
    for (const e of this.served.values()) for (const pid of e.holders) s.add(pid);
    return s;
  }

  /** The cache of the file `id` this enclave serves to `holder` (for its futexes: family-futex.ts), or null. */
  servedFile(id: number, holder: number): PageCache | null {
    const e = this.served.get(id);
    return e && e.holders.has(holder) ? e.cache : null;
  }

  // ---- the holder's side ---------------------------------------------------------------------

  /** This enclave's process (also while it exits: its pages go back then). */
  private get me(): number {
    return this.fs.selfPid || this.fs.files.me;
  }

  /** The owner and id of the file behind `cache` when another enclave owns it (family-futex.ts), or null. */
  heldFile(cache: PageCache): { owner: number; id: number } | null {
    for (const [key, c] of this.held) {
      if (c !== cache) continue;
      const [owner, id] = key.split(':').map(Number);
      return { owner, id };
    }
    return null;
  }

  /** The cache here for the file `id` that `owner` serves (made on first use). */
  private heldCache(owner: number, id: number, fm: FrameMemory): PageCache {
    const key = `${owner}:${id}`;
    const have = this.held.get(key);
    if (have) return have;
    const ask = (req: PageRequest): Record<string, unknown> => {
      const r = this.fs.serviceRequest(owner, SVC, req, this.me);
      return r && typeof r === 'object' ? (r as Record<string, unknown>) : { err: -E.EIO };
    };
    let cache: PageCache | null = null;
    const backing: FileBacking = {
      wholePages: true,
      size: () => {
        const r = ask({ op: 'size', id });
        if (!isInt(r.size, 0, Number.MAX_SAFE_INTEGER)) throw new SysError(E.EIO, 'the owner of a mapped file did not answer');
        return r.size;
      },
      readRaw: (pos) => {
        // Only a whole page is ever asked for here (the cache's currentPage): take it, asking
        // again while the owner says the page is busy (on its way back, or just granted).
        const pg = Math.floor(pos / PAGE_SIZE), tk = `${key}:${pg}`;
        let r: Record<string, unknown>;
        do {
          const a = this.fs.serviceRequest(owner, SVC, { op: 'take', id, pg } satisfies PageRequest, this.me, (n) => this.taking.set(tk, n));
          this.taking.delete(tk);
          r = a && typeof a === 'object' ? (a as Record<string, unknown>) : { err: -E.EIO };
        } while (isBusy(r));
        const b = unhexBytes(r.data, PAGE_SIZE);
        if (!b || b.length !== PAGE_SIZE) throw new SysError(E.EIO, 'the owner of a mapped file gave no page');
        return b;
      },
      writeRaw: (pos, d) => {
        const page = new Uint8Array(PAGE_SIZE);
        page.set(d.subarray(0, PAGE_SIZE));
        this.fs.note(owner, SVC, { op: 'put', id, pg: Math.floor(pos / PAGE_SIZE), data: hex(page) } satisfies PageNote, this.me);
      },
      released: (pg) => { this.fs.note(owner, SVC, { op: 'put', id, pg } satisfies PageNote, this.me); },
      uncached: () => {
        // No page here any more; once nothing here maps the file either, the owner lets go.
        if (cache && !cache.isMapped()) {
          this.held.delete(key);
          this.fs.note(owner, SVC, { op: 'drop', id } satisfies PageNote, this.me);
        }
      },
    };
    cache = new PageCache(backing, fm);
    this.held.set(key, cache);
    return cache;
  }

  /**
   * At fork: what the checkpoint of `child` carries for a mapping of `file` (the child reaches its
   * pages through their owner), or null when it cannot (no owner: the child gets a copy).
   */
  carry(file: MappedFile, child: number): CarriedPages | null {
    const base: Omit<CarriedPages, 'owner' | 'id'> = { path: file.path, dev: file.dev, ino: file.ino, deleted: file.nlink() === 0 };
    // A System V attach: the child's copy stays one (shmdt, nattch), counted by the segment's owner.
    if (file.shm) {
      if (!file.shm.owner && !this.fs.selfPid) return null;
      base.shm = { id: file.shm.id, size: file.shm.size };
      shmCarried(this.fs, file.shm.owner, file.shm.id, child, this.me);
    }
    for (const [key, c] of this.held) {
      if (c !== file.cache) continue;
      // Forked from a holder: its pages go back to the owner first, and the owner learns of
      // the new holder before the child can ask (notes keep their order).
      const [owner, id] = key.split(':').map(Number);
      c.leaveAll();
      this.fs.note(owner, SVC, { op: 'hold', id, pid: child } satisfies PageNote, this.me);
      return { owner, id, ...base };
    }
    const owner = this.fs.selfPid;
    if (!owner) return null;
    return { owner, id: this.serveCache(file.cache, child), ...base };
  }

  /** The child's side: the mapped file a carried record names (null: a bad record). */
  attach(r: CarriedPages, mayWrite: boolean, fm: FrameMemory): MappedFile | null {
    if (!r || !isInt(r.owner, 1, 2 ** 31) || !isInt(r.id, 1, 2 ** 31) || typeof r.path !== 'string' || !isInt(r.dev, 0, 2 ** 32) || !isInt(r.ino, 0, Number.MAX_SAFE_INTEGER)) return null;
    // This enclave's own file, carried back to it through a chain of forks: its local cache.
    if (r.owner === this.fs.selfPid) return null;
    const cache = this.heldCache(r.owner, r.id, fm);
    const deleted = r.deleted === true;
    const f: MappedFile = { cache, path: r.path, dev: r.dev, ino: r.ino, nlink: () => (deleted ? 0 : 1), mayWrite };
    const shm = r.shm;
    if (shm !== undefined) {
      if (!shm || !isInt(shm.id, 0, 0x7fffffff) || !isInt(shm.size, 1, Number.MAX_SAFE_INTEGER)) return null;
      f.shm = { id: shm.id, size: shm.size, owner: r.owner };
      f.closed = shmCloser(this.fs, r.owner, shm.id, this.me);
    }
    return f;
  }

  /** The owner's side of shmat by id from another enclave: `holder` maps the segment's pages; their id here. */
  share(cache: PageCache, holder: number): number {
    return this.serveCache(cache, holder);
  }

  /** The holder's side: a mapping of the segment `shm` whose pages `owner` serves as `fid` (this enclave's process `pid`). */
  holdSegment(owner: number, fid: number, pid: number, shm: { id: number; size: number }, path: string, dev: number, ino: number, mayWrite: boolean, fm: FrameMemory): MappedFile {
    const cache = this.heldCache(owner, fid, fm);
    return { cache, path, dev, ino, nlink: () => 0, mayWrite, shm: { ...shm, owner }, closed: shmCloser(this.fs, owner, shm.id, pid) };
  }

  /**
   * mmap of a description another enclave serves (a RemoteFile): the pages of its file through
   * their owner, or -errno. `mayWrite`: a shared mapping through a writable description.
   */
  mapRemote(owner: number, desc: number, path: string, mayWrite: boolean, fm: FrameMemory): MappedFile | number {
    const r = this.fs.serviceRequest(owner, SVC, { op: 'map', desc } satisfies PageRequest) as Record<string, unknown> | null;
    if (!r || typeof r !== 'object') return -E.EIO;
    if (isInt(r.err, -4095, -1)) return r.err;
    if (!isInt(r.id, 1, 2 ** 31) || !isInt(r.dev, 0, 2 ** 32) || !isInt(r.ino, 0, Number.MAX_SAFE_INTEGER)) return -E.EIO;
    const cache = this.heldCache(owner, r.id, fm);
    return { cache, path, dev: r.dev, ino: r.ino, nlink: () => 1, mayWrite };
  }
}
