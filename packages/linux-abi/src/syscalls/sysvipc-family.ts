/**
 * System V semaphore sets, message queues and shared memory segments shared by the enclaves of a family (process per
 * enclave: the SGX model's fork). Gramine keeps them in an IPC leader that the other processes
 * ask by message; here each object is served by the enclave that created it (its owner), and
 * the others ask that enclave:
 *
 * - Names: an object's id and (unless IPC_PRIVATE) its key are published as family names when
 *   it is made ("sysv:sem:id:N", "sysv:msg:key:K"); the host keeps only keyed tags, so it learns
 *   that some enclave serves some name, never which id or key. Ids are unique across the family
 *   (an id another enclave holds is skipped at creation), so an id is usable from any enclave:
 *   one not found here is looked up (the host's answer is not trusted: the owner checks that it
 *   serves the id, and a wrong answer is only EINVAL). semget/msgget of a key not found here
 *   ask the enclave that published the key, whose kernel runs ipcget with its checks.
 * - Operations: semop/semtimedop, semctl, msgsnd, msgrcv, msgctl on an object served elsewhere
 *   are sealed request/answer round trips run by the owner's kernel on its own object, for the
 *   calling process's pid (sempid, lspid/lrpid, SEM_UNDO adjustments kept by pid), so the checks,
 *   the errors and the all-or-nothing semantics are the owner's, which are Linux's. The caller's
 *   memory is read and written here, before and after the round trip.
 * - Blocking: an operation that must wait answers "blocked"; a semop that does is counted by the
 *   owner (GETNCNT/GETZCNT) under a token until it completes, times out, is interrupted or its
 *   process ends. The caller sleeps on a local queue (so signals, EINTR and timeouts are its
 *   own kernel's) and the owner sends 'sysvwake' when the object changes; the caller then asks
 *   again. A removed object answers a waiting caller EIDRM.
 * - Exit: a process that used SEM_UNDO or waited on another enclave's set tells that owner when
 *   it ends (before its parent hears of the exit), and the owner applies its adjustments (exit_sem).
 * - Segments: shmat by id of another enclave's segment is checked by the owner, which makes the
 *   caller a holder of the segment file's pages (family-pages.ts); the caller maps them. The
 *   owner counts shm_nattch over the family: each holder process reports its count of attaches
 *   ('shmn': after shmat, at each shm_close: shmdt, munmap, exec, exit), and a fork that carries
 *   attaches counts them before the child runs (shmCarried).
 *
 * Not shared (stated): the objects of an enclave whose process has ended are gone for the others
 * (on Linux they live until IPC_RMID); IPC_INFO/SEM_INFO/MSG_INFO and the *_STAT commands that
 * take an index see this enclave's objects only.
 */
import { E } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import type { FamilyState } from '../family.ts';
import type { Process } from '../task.ts';
import { WaitQueue } from '../fs/wait.ts';

export type SysvKind = 'sem' | 'msg' | 'shm';

/** What one enclave asks the owner of an object (JSON in a sealed message). */
export type SysvRequest =
  | { op: 'get'; kind: SysvKind; key: number; flg: number; nsems: number; size?: number }
  | { op: 'semop'; id: number; sops: [number, number, number][]; pid: number; token: string; retry: boolean }
  | { op: 'semctl'; id: number; semnum: number; cmd: number; pid: number; val: number; vals: number[] | null; ds: string | null }
  | { op: 'msgsnd'; id: number; type: string; data: string; flg: number; pid: number; retry: boolean }
  | { op: 'msgrcv'; id: number; type: string; mode: number; bufsz: number; flg: number; pid: number; retry: boolean }
  | { op: 'msgctl'; id: number; cmd: number; ds: string | null }
  /** shmat's checks at the owner (acc: the S_IRUGO/S_IWUGO/S_IXUGO bits asked); the asker becomes a holder of the segment's pages. */
  | { op: 'shmat'; id: number; acc: number }
  /** memlock: the caller's RLIMIT_MEMLOCK is not 0 (SHM_LOCK). */
  | { op: 'shmctl'; id: number; cmd: number; ds: string | null; memlock: boolean };

/** What the owner answers a shmat: the segment's pages as family-pages serves them (fid), its size, and what maps show. */
export interface SysvSegment { fid: number; size: number; dev: number; ino: number; key: number }

/** The owner's answer: ret (or blocked: wait for 'sysvwake' and ask again), with any bytes for the caller. */
export interface SysvAnswer { ret: number; blocked?: boolean; out?: string; mtype?: string; seg?: SysvSegment }

/** One-way notes: a process ended (its SEM_UNDO adjustments, its waits), a wait given up, an object changed. */
type SysvNote =
  | { op: 'exit'; pid: number }
  | { op: 'cancel'; token: string }
  | { op: 'wake'; kind: SysvKind; id: number }
  /**
   * Attaches of a segment in another enclave (shm_open/shm_close there): 'open' and 'close' give the
   * sender's process `pid` and how many mappings of the segment it has now (n); 'fork' says the
   * new process `pid` inherited one more; 'gone': that fork failed (the new enclave never ran).
   */
  | { op: 'shmn'; id: number; pid: number; n: number; why: 'open' | 'close' | 'fork' | 'gone' };

export const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
export function unhexBytes(h: unknown, max: number): Uint8Array | null {
  if (typeof h !== 'string' || h.length > max * 2 || h.length % 2 || !/^[0-9a-f]*$/.test(h)) return null;
  const b = new Uint8Array(h.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(h.substr(i * 2, 2), 16);
  return b;
}
const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/** What sysvipc.ts gives the family layer: its server for requests and notes from other enclaves. */
export interface SysvServer {
  serve(req: SysvRequest, from: number): SysvAnswer;
  /** A process elsewhere ended: apply its adjustments, forget its waits. */
  exited(pid: number): void;
  /** A waiting semop elsewhere gave up. */
  cancel(token: string): void;
  /** Attaches of a local segment in another enclave changed (a 'shmn' note, or a fork here: from is this enclave). */
  shmAttaches(id: number, pid: number, n: number, why: 'open' | 'close' | 'fork' | 'gone', from: number): void;
}

const te = new TextEncoder();
const SVC = 'sysv';

export class SysvFamily {
  /** Owners of ids and keys found by lookup, so a second use asks the host nothing. */
  private readonly owners = new Map<string, number>();
  /** Local queues of callers waiting on an object served elsewhere, by owner:kind:id. */
  private readonly queues = new Map<string, WaitQueue>();
  /** Enclaves to tell when a local object changes (their callers wait on it), per object. */
  private readonly subs = new Map<string, Set<number>>();
  /** Owners each local process must tell when it ends (SEM_UNDO used, or a wait there). */
  private readonly touched = new Map<number, Set<number>>();
  private nextToken = 1;
  /** Wakes heard per owner:kind:id (a caller whose request crossed a wake asks again). */
  private readonly gens = new Map<string, number>();

  constructor(private readonly k: Kernel, private readonly fs: FamilyState, server: SysvServer) {
    fs.services.set(SVC, (body, from, oneWay) => {
      if (typeof body !== 'object' || body === null) return null;
      if (oneWay) {
        const n = body as SysvNote;
        if (n.op === 'exit' && isInt(n.pid, 1, 0x7fffffff)) server.exited(n.pid);
        else if (n.op === 'shmn' && isInt(n.id, 0, 0x7fffffff) && isInt(n.pid, 1, 0x7fffffff) && isInt(n.n, 0, 1 << 20)
          && (n.why === 'open' || n.why === 'close' || n.why === 'fork' || n.why === 'gone')) server.shmAttaches(n.id, n.pid, n.n, n.why, from);
        else if (n.op === 'cancel' && typeof n.token === 'string') server.cancel(`${from}:${n.token}`);
        else if (n.op === 'wake' && (n.kind === 'sem' || n.kind === 'msg') && isInt(n.id, 0, 0x7fffffff)) {
          const key = `${from}:${n.kind}:${n.id}`;
          this.gens.set(key, (this.gens.get(key) ?? 0) + 1);
          this.queues.get(key)?.notify();
        }
        return null;
      }
      return server.serve(body as SysvRequest, from);
    });
    fs.onExit.push((p: Process) => this.leave(p));
  }

  /** Owners that p's SEM_UNDO adjustments (or waits) touched apply them and forget p: its exit, or unshare(CLONE_SYSVSEM). */
  leave(p: Process): void {
    const owners = this.touched.get(p.pid);
    if (!owners) return;
    this.touched.delete(p.pid);
    for (const o of owners) this.fs.note(o, SVC, { op: 'exit', pid: p.pid } satisfies SysvNote);
  }

  private name(kind: SysvKind, what: 'id' | 'key', v: number): Uint8Array {
    return te.encode(`sysv:${kind}:${what}:${v}`);
  }

  /** A new object here: its id (and key) published. False when another enclave holds the id (pick another). */
  publish(kind: SysvKind, id: number, key: number): boolean {
    if (this.fs.fam.publish(this.name(kind, 'id', id)) < 0) return false;
    if (key !== 0 && this.fs.fam.publish(this.name(kind, 'key', key)) < 0) {
      // Made at the same moment in another enclave: that one serves the key (ours stays private).
      this.k.platform.log(`sysv: the key ${key} of a new ${kind} is served by another enclave`);
    }
    return true;
  }

  /** The object is removed (IPC_RMID): its names go, with its key's when the key was ours. */
  unpublish(kind: SysvKind, id: number, key: number): void {
    this.fs.fam.unpublish(this.name(kind, 'id', id));
    if (key !== 0) this.fs.fam.unpublish(this.name(kind, 'key', key));
  }

  /** The key's object lost its key here (it is removed but still attached): the name goes. */
  unpublishKey(kind: SysvKind, key: number): void {
    if (key !== 0) this.fs.fam.unpublish(this.name(kind, 'key', key));
  }

  private ownerOf(kind: SysvKind, what: 'id' | 'key', v: number): number {
    const c = `${kind}:${what}:${v}`;
    const known = this.owners.get(c);
    if (known !== undefined) return known;
    const pid = this.fs.fam.lookup(this.name(kind, what, v));
    if (pid <= 0 || pid === this.fs.selfPid) return 0;
    if (what === 'id') this.owners.set(c, pid);
    return pid;
  }

  /** The enclave serving `id` (not this one), or 0. */
  ownerOfId(kind: SysvKind, id: number): number {
    return id < 0 ? 0 : this.ownerOf(kind, 'id', id);
  }

  /** semget/msgget of a key this enclave does not have: the id from the enclave that serves it, or null (nobody does). */
  get(kind: SysvKind, key: number, flg: number, nsems: number): number | null {
    const owner = this.ownerOf(kind, 'key', key);
    if (!owner) return null;
    const a = this.call(owner, { op: 'get', kind, key, flg, nsems });
    if (a.ret === -E.ENOENT) return null; // gone since it was published: as if missing
    if (a.ret >= 0) this.owners.set(`${kind}:id:${a.ret}`, owner);
    return a.ret;
  }

  /** One request to `owner`, answered in place (EINVAL when the owner is gone: its objects are). */
  call(owner: number, req: SysvRequest): SysvAnswer {
    let a = this.fs.serviceRequest(owner, SVC, req) as SysvAnswer | null;
    if (!a || typeof a !== 'object' || !isInt(a.ret, -4095, 0x7fffffff)) a = { ret: -E.EINVAL };
    // An id its owner no longer serves may be another enclave's later (removed, then reused):
    // the next use asks the host again instead of the remembered owner.
    if (a.ret === -E.EINVAL && req.op !== 'get') this.owners.delete(`${req.op.slice(0, 3)}:id:${req.id}`);
    return a;
  }

  /** The local queue callers wait on for an object `owner` serves (woken by its 'wake' notes). */
  queue(owner: number, kind: SysvKind, id: number): WaitQueue {
    const key = `${owner}:${kind}:${id}`;
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = new WaitQueue()));
    return q;
  }

  /** How many wakes `owner` sent for the object so far. */
  generation(owner: number, kind: SysvKind, id: number): number {
    return this.gens.get(`${owner}:${kind}:${id}`) ?? 0;
  }

  /** A token naming one waiting semop of this enclave at its owner. */
  token(): string {
    return String(this.nextToken++);
  }

  /** The local process `pid` must tell `owner` when it ends. */
  touch(pid: number, owner: number): void {
    let s = this.touched.get(pid);
    if (!s) this.touched.set(pid, (s = new Set()));
    s.add(owner);
  }

  /** A waiting semop of this enclave gives up (timeout, signal): its owner stops counting it. */
  cancel(owner: number, token: string): void {
    this.fs.note(owner, SVC, { op: 'cancel', token } satisfies SysvNote);
  }

  /** The owner's side: enclave `from` waits on the local object; `changed` is the object's queue. */
  subscribe(kind: SysvKind, id: number, changed: WaitQueue, from: number): void {
    const key = `${kind}:${id}`;
    let s = this.subs.get(key);
    if (!s) {
      this.subs.set(key, (s = new Set()));
      const set = s;
      // Each change tells every waiting enclave once; they ask again and subscribe again if still blocked.
      changed.watch(() => {
        const to = [...set];
        set.clear();
        for (const pid of to) this.fs.note(pid, SVC, { op: 'wake', kind, id } satisfies SysvNote);
      });
    }
    s.add(from);
  }
}

/**
 * family-pages.ts's part for segments (a fork carries an attach as a mapping of the owner's
 * file): the owner counts the child's inherited attach before the child runs. `owner` 0: this
 * enclave serves the segment (its own server counts it at once); otherwise a note goes there
 * ahead of anything the child can send.
 */
export function shmCarried(fs: FamilyState, owner: number, id: number, child: number, me: number): void {
  let c = carried.get(fs);
  if (!c || c.child !== child) carried.set(fs, (c = { child, segs: [] }));
  c.segs.push({ owner, id });
  shmNote(fs, owner, { op: 'shmn', id, pid: child, n: 1, why: 'fork' }, me);
}

/** The attaches the fork in progress carried (a fork checkpoints and spawns in one system call). */
const carried = new WeakMap<FamilyState, { child: number; segs: { owner: number; id: number }[] }>();

function shmNote(fs: FamilyState, owner: number, n: SysvNote, me: number): void {
  if (owner === 0) fs.services.get(SVC)?.(n, fs.selfPid, true);
  else fs.note(owner, SVC, n, me);
}

/** The fork whose checkpoint carried attaches failed: their owners stop counting the child's. */
export function shmForkFailed(fs: FamilyState, child: number, me: number): void {
  const c = carried.get(fs);
  if (!c || c.child !== child) return;
  carried.delete(fs);
  const done = new Set<string>();
  for (const { owner, id } of c.segs) {
    if (done.has(`${owner}:${id}`)) continue;
    done.add(`${owner}:${id}`);
    shmNote(fs, owner, { op: 'shmn', id, pid: child, n: 0, why: 'gone' }, me);
  }
}

/**
 * The `closed` hook of a mapping of another enclave's segment in this enclave's process `pid`
 * (shm_close): the owner hears how many attaches the process has left, before anything else the
 * process does next (its exit message included: notes keep their order).
 */
export function shmCloser(fs: FamilyState, owner: number, id: number, pid: number): (as: { vmas: readonly { file?: { shm?: { id: number; owner: number } } }[] }) => void {
  return (as) => {
    const n = as.vmas.filter((v) => v.file?.shm?.owner === owner && v.file.shm.id === id).length;
    fs.note(owner, SVC, { op: 'shmn', id, pid, n, why: 'close' } satisfies SysvNote, pid);
  };
}

/** After a successful shmat here of another enclave's segment: the owner counts it (shm_open: atime, lpid). */
export function shmOpened(fs: FamilyState, owner: number, id: number, pid: number, n: number): void {
  fs.note(owner, SVC, { op: 'shmn', id, pid, n, why: 'open' } satisfies SysvNote, pid);
}
