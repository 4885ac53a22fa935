/**
 * Shared futexes on the pages of a file that several enclaves of a family map (process per
 * enclave: the SGX model's fork; docs/sgx-fork.md "Futexes across enclaves"). A shared futex on
 * a file mapping is keyed by (file, offset) (sched.ts futexKey); across enclaves the file's owner
 * (family-pages.ts: the enclave whose kernel has the file) keeps the family-wide queue of every
 * futex word on its pages, as one hash bucket would on Linux:
 *
 * - FUTEX_WAIT/WAIT_BITSET in a holder (an enclave mapping another's file) is a sealed request to
 *   the owner. The holder first lets its home of the word's page go (the owner then reads the
 *   word in place instead of pulling it back); the owner reads the word where its home is
 *   (pulling it back from another enclave when needed), compares, and if equal queues a remote
 *   waiter (enclave, token, offset, bitset) and answers "queued"; compare and queueing are one
 *   step of the owner's kernel, so a wake the owner handles before it saw the changed word, and
 *   one after it queued the waiter. The holder's task sleeps on a local wait: signals, timeouts
 *   and its own exit are its kernel's.
 * - A wait that ends other than by a wake (timeout, signal) cancels at the owner, and the answer
 *   says whether a wake already took the waiter: then the wait returns 0, as Linux returns for a
 *   waiter a wake has already unqueued (futex_unqueue). A process that ends, or a thread that
 *   exec kills, while queued is removed at the owner by a one-way note (before the process's
 *   parent hears of its exit).
 * - FUTEX_WAKE/WAKE_BITSET and CMP_REQUEUE/REQUEUE in a holder are requests to the owner; in the
 *   owner (for its own calls and for holders') they wake the local waiters and the remote ones
 *   (a sealed 'woken' note to the waiter's enclave, which wakes that token's task), counted
 *   together as Linux counts every process's waiters. A requeue onto another word of the same
 *   file moves remote waiters in the owner's queue; onto a word of another file or private
 *   memory it wakes them instead (a spurious wakeup, which futex users must tolerate).
 *   FUTEX_WAKE_OP changes the word at its home (the page migrates to the caller: the kernel does
 *   the read-modify-write without a break, so it is atomic) and then wakes as FUTEX_WAKE.
 *
 * Every request, answer and note is a sealed family message (family.ts 'rq'/'rs'/'ev'): the host
 * sees that some enclave asked another for something, never the words, values or offsets. What a
 * message says is checked (the sender must hold the file; numbers in range). A host that drops or
 * delays a message only delays or loses a wake (denial of service); a message it alters fails
 * authentication and is dropped; it cannot make a waiter whose compare failed sleep, or wake a
 * waiter it did not queue.
 */
import { E } from './errors.ts';
import type { Kernel, BLOCKED } from './kernel.ts';
import type { FamilyState } from './family.ts';
import type { Process, Task, WaitState } from './task.ts';
import type { PageCache } from './mm/page-cache.ts';
import { PAGE_SIZE, pageUp } from './mm/frames.ts';
import { wakeKey, requeueKey, type FutexKey } from './syscalls/sched.ts';
import { nextSignal, restartSys } from './signals.ts';

const SVC = 'futex';
const ANY = 0xffffffff;

/** What a holder asks the owner (JSON in a sealed message). */
type FutexRequest =
  /** Compare the word at `off` of file `id` with val; queue the token if equal. */
  | { op: 'wait'; id: number; off: number; val: number; bitset: number; token: number }
  /** Wake up to n waiters of the word whose bitset meets `bitset`. */
  | { op: 'wake'; id: number; off: number; n: number; bitset: number }
  /** (CMP_)REQUEUE: compare with cmp (unless null), wake nwake, move up to nreq to off2 (null: wake them). */
  | { op: 'requeue'; id: number; off: number; off2: number | null; nwake: number; nreq: number; cmp: number | null }
  /** The waiting token gives up: answers whether a wake took it first. */
  | { op: 'cancel'; token: number };

/** One-way notes. */
type FutexNote =
  /** Owner -> waiter's enclave: the token was woken. */
  | { op: 'woken'; token: number }
  /** Waiter's enclave -> owner: these tokens wait no more (their process or thread ended). */
  | { op: 'gone'; tokens: number[] };

/** A waiter of another enclave, queued at the owner. */
interface RemoteWaiter { pid: number; token: number; cache: PageCache; off: number; bitset: number }

/** A wait of this enclave queued at another enclave (the owner); `ret`: its result when woken (futex_waitv: the word's index). */
interface MyWait { task: Task; owner: number; wait: WaitState | null; ret: number }

const isInt = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const MAX_OFF = 2 ** 52;
const MAX_TOKEN = 2 ** 52;
const isOff = (v: unknown): v is number => isInt(v, 0, MAX_OFF) && v % 4 === 0;

/** A held file: its owner and the id the owner gave it. */
export interface HeldFile { owner: number; id: number; cache: PageCache }

export class FamilyFutex {
  /** Owner: remote waiters in arrival order (a Map keeps it), by `pid:token`. */
  private readonly queue = new Map<string, RemoteWaiter>();
  /** Holder: this enclave's waits queued elsewhere, by token. */
  private readonly mine = new Map<number, MyWait>();
  /** Holder: tokens whose cancel is being asked (a nested signal leaves the decision to it). */
  private readonly cancelling = new Set<number>();
  /** Holder: tokens of waits whose request is on its way, and those a wake reached before the answer. */
  private readonly asking = new Set<number>();
  private readonly early = new Set<number>();
  private nextToken = 1;
  /** Cross-enclave wakes sent and received (`teeos run --stats` could print them; tests read them). */
  readonly stats = { waits: 0, wakesSent: 0, wakesHeard: 0, cancels: 0 };

  constructor(private readonly k: Kernel, private readonly fs: FamilyState) {
    fs.services.set(SVC, (body, from, oneWay) => {
      if (!body || typeof body !== 'object') return null;
      if (oneWay) { this.note(body as FutexNote, from); return null; }
      return this.serve(body as FutexRequest, from);
    });
    // exit_futex before exit_notify: a process that ends while queued elsewhere leaves the queue
    // before its parent hears of the exit.
    fs.onExit.push((p: Process) => this.sweep(p));
  }

  /** This enclave's process (also while it exits). */
  private get me(): number {
    return this.fs.selfPid || this.fs.files.me;
  }

  // ---- the owner's side ----------------------------------------------------------------------

  /** The word at `off` of a file this enclave owns, read at its home as read() reads it; null: past the end. */
  private readWord(cache: PageCache, off: number): number | null {
    const size = cache.backing.size();
    if (Math.floor(off / PAGE_SIZE) * PAGE_SIZE >= pageUp(size)) return null; // no page there: EFAULT
    const out = new Uint8Array(4);
    out.set(cache.backing.readRaw(off, 4).subarray(0, 4));
    // A home in another enclave comes back first; an alias home here is read in place.
    cache.overlay(off, out);
    return new DataView(out.buffer).getInt32(0, true);
  }

  private serve(req: FutexRequest, from: number): unknown {
    if (req.op === 'cancel') {
      if (!isInt(req.token, 1, MAX_TOKEN)) return null;
      this.stats.cancels++;
      // Absent: a wake took it (and its note is on the way), or it was never queued.
      return { woken: !this.queue.delete(`${from}:${req.token}`) };
    }
    if (!isInt(req.id, 1, 2 ** 31) || !isOff(req.off)) return { err: -E.EINVAL };
    const cache = this.fs.pages.servedFile(req.id, from);
    if (!cache) return { err: -E.EFAULT };
    try {
      if (req.op === 'wait') {
        if (!isInt(req.val, -(2 ** 31), 2 ** 31 - 1) || !isInt(req.bitset, 1, ANY) || !isInt(req.token, 1, MAX_TOKEN)) return { err: -E.EINVAL };
        const key = `${from}:${req.token}`;
        if (this.queue.has(key)) return { err: -E.EINVAL };
        const cur = this.readWord(cache, req.off);
        if (cur === null) return { err: -E.EFAULT };
        if (cur !== req.val) return { err: -E.EAGAIN };
        this.queue.set(key, { pid: from, token: req.token, cache, off: req.off, bitset: req.bitset });
        this.stats.waits++;
        return { queued: true };
      }
      if (req.op === 'wake') {
        if (!isInt(req.n, 0, 2 ** 31 - 1) || !isInt(req.bitset, 1, ANY)) return { err: -E.EINVAL };
        return { n: this.wakeAll(cache, req.off, req.n, req.bitset) };
      }
      if (req.op === 'requeue') {
        if (!isInt(req.nwake, 0, 2 ** 31 - 1) || !isInt(req.nreq, 0, 2 ** 31 - 1)) return { err: -E.EINVAL };
        if (req.off2 !== null && !isOff(req.off2)) return { err: -E.EINVAL };
        if (req.cmp !== null && !isInt(req.cmp, -(2 ** 31), 2 ** 31 - 1)) return { err: -E.EINVAL };
        if (req.cmp !== null) {
          const cur = this.readWord(cache, req.off);
          if (cur === null) return { err: -E.EFAULT };
          if (cur !== req.cmp) return { err: -E.EAGAIN };
        }
        return { n: this.requeueAll(cache, req.off, req.off2 === null ? null : { key: req.off2, mm: cache }, req.nwake, req.nreq) };
      }
    } catch {
      return { err: -E.EFAULT }; // the file could not be read (EIO underneath): as get_user_pages failing
    }
    return null;
  }

  /** Owner: wakes up to n waiters of the word (local ones first, then other enclaves'); how many. */
  wakeAll(cache: PageCache, off: number, n: number, bitset: number): number {
    const woken = wakeKey(this.k, { key: off, mm: cache }, n, bitset);
    return woken + this.wakeRemote(cache, off, n - woken, bitset);
  }

  /** Owner: wakes up to n waiters of other enclaves on the word; how many. */
  wakeRemote(cache: PageCache, off: number, n: number, bitset: number): number {
    if (n <= 0 || this.queue.size === 0) return 0;
    let woken = 0;
    for (const [key, w] of this.queue) {
      if (woken >= n) break;
      if (w.cache !== cache || w.off !== off || (w.bitset & bitset) === 0) continue;
      this.queue.delete(key);
      this.tell(w);
      woken++;
    }
    return woken;
  }

  private tell(w: RemoteWaiter): void {
    this.stats.wakesSent++;
    // A note that cannot be sent (that enclave has ended) still took the waiter, as a wake
    // of a thread that is exiting does on Linux.
    this.fs.note(w.pid, SVC, { op: 'woken', token: w.token } satisfies FutexNote, this.me);
  }

  /**
   * Owner: (CMP_)REQUEUE after the compare: wakes nwake waiters of the word, then moves up to nreq
   * more onto `to`: this enclave's waiters wherever it is (sched.ts requeueKey), other enclaves'
   * when it is a word of the same file (else, or with `to` null, they are woken instead).
   * Returns woken + moved, as futex_requeue counts.
   */
  requeueAll(cache: PageCache, off: number, to: FutexKey | null, nwake: number, nreq: number): number {
    const woken = this.wakeAll(cache, off, nwake, ANY);
    let moved = requeueKey(this.k, { key: off, mm: cache }, to, nreq);
    moved += this.requeueRemote(cache, off, to && to.mm === cache ? to.key : null, nreq - moved);
    return woken + moved;
  }

  /** Owner: moves up to n remote waiters of (cache, off) to offset `off2` of the same file (null: wakes them); how many. */
  private requeueRemote(cache: PageCache, off: number, off2: number | null, n: number): number {
    if (n <= 0 || this.queue.size === 0) return 0;
    let moved = 0;
    for (const [key, w] of this.queue) {
      if (moved >= n) break;
      if (w.cache !== cache || w.off !== off) continue;
      if (off2 !== null) {
        w.off = off2;
      } else {
        this.queue.delete(key);
        this.tell(w);
      }
      moved++;
    }
    return moved;
  }

  private note(n: FutexNote, from: number): void {
    if (n.op === 'woken') {
      if (!isInt(n.token, 1, MAX_TOKEN)) return;
      const m = this.mine.get(n.token);
      if (!m) {
        if (this.asking.has(n.token)) this.early.add(n.token); // before the answer "queued"
        return;
      }
      if (m.owner !== from) return; // only the owner that queued it may wake it
      this.mine.delete(n.token);
      this.stats.wakesHeard++;
      if (m.task.state === 'blocked' && m.task.wait === m.wait) this.k.wake(m.task, m.ret);
    } else if (n.op === 'gone') {
      if (!Array.isArray(n.tokens) || n.tokens.length > 4096) return;
      for (const t of n.tokens) if (isInt(t, 1, MAX_TOKEN)) this.queue.delete(`${from}:${t}`);
    }
  }

  /** Owner: a process of another enclave ended; whatever it still had queued here goes. */
  gone(pid: number): void {
    for (const [key, w] of this.queue) if (w.pid === pid) this.queue.delete(key);
  }

  // ---- the holder's side ---------------------------------------------------------------------

  /** Holder: the owner and id of `cache` when it is another enclave's file mapped here, else null. */
  held(cache: PageCache): HeldFile | null {
    const h = this.fs.pages.heldFile(cache);
    return h ? { ...h, cache } : null;
  }

  /**
   * Waits that ended without a wake or a cancel (their process ended, exec killed their thread):
   * the owners forget them. `p`: that process's waits all go (it is ending).
   */
  private sweep(p?: Process): void {
    const by = new Map<number, number[]>();
    for (const [token, m] of this.mine) {
      if (m.task.proc !== p && m.task.state !== 'zombie') continue;
      this.mine.delete(token);
      let l = by.get(m.owner);
      if (!l) by.set(m.owner, (l = []));
      l.push(token);
    }
    for (const [owner, tokens] of by) this.fs.note(owner, SVC, { op: 'gone', tokens } satisfies FutexNote, this.me);
  }

  /** Asks the owner; null when it could not be asked (it has ended) or gave no valid answer. */
  private ask(owner: number, req: FutexRequest): Record<string, unknown> | null {
    const r = this.fs.serviceRequest(owner, SVC, req, this.me);
    return r && typeof r === 'object' ? (r as Record<string, unknown>) : null;
  }

  private static errOf(r: Record<string, unknown> | null): number {
    // The errnos the owner may answer; anything else from it is refused as a fault.
    return r && (r.err === -E.EAGAIN || r.err === -E.EFAULT || r.err === -E.EINVAL) ? r.err : -E.EFAULT;
  }

  /**
   * Asks the owner to compare the word at `off` with `val` and queue a waiter under a new token.
   * The word's page goes back to the owner first (a 'put' before the request: notes keep their
   * order), so the owner reads it in place rather than asking for it back.
   */
  private askWait(h: HeldFile, off: number, val: number, bitset: number): { token: number; r: Record<string, unknown> | null } {
    this.sweep();
    h.cache.leave(Math.floor(off / PAGE_SIZE), true);
    const token = this.nextToken++;
    this.asking.add(token);
    try {
      return { token, r: this.ask(h.owner, { op: 'wait', id: h.id, off, val, bitset, token }) };
    } finally {
      this.asking.delete(token);
    }
  }

  /** FUTEX_WAIT(_BITSET) in a holder on the word at `off` of a held file. */
  wait(t: Task, h: HeldFile, off: number, val: number, bitset: number, deadline: number, key: { key: number; mm: PageCache }): number | typeof BLOCKED {
    const { token, r } = this.askWait(h, off, val, bitset);
    if (!r || r.queued !== true) { this.early.delete(token); return FamilyFutex.errOf(r); }
    if (this.early.delete(token)) return 0; // woken before the answer came
    const m: MyWait = { task: t, owner: h.owner, wait: null, ret: 0 };
    this.mine.set(token, m);
    // A signal that came while the request was out (the task was not asleep yet, so nothing
    // interrupted it) ends the wait before it sleeps, as Linux's check before schedule() does.
    const sig = nextSignal(t);
    if (sig) return this.cancel(token) ? 0 : restartSys(this.k, t, sig);
    const ret: typeof BLOCKED = this.k.block(t, {
      futexKey: key.key, futexMm: key.mm, bitset, deadline, onTimeout: -E.ETIMEDOUT,
      // A signal: ask the owner first; a wake that already took the waiter makes it return 0
      // (the signal is then handled on the way out), else the signal interrupts as usual.
      onSignal: () => {
        if (this.cancelling.has(token)) return true; // the cancel under way decides
        if (!this.mine.has(token)) return false;
        if (this.cancel(token)) { this.k.wake(t, 0); return true; }
        return false;
      },
      // The wait ended some other way (its deadline): cancel at the owner unless a wake ended it.
      onWake: () => {
        if (this.mine.has(token) && this.cancel(token)) this.k.setReturn(t, 0);
      },
    });
    m.wait = t.wait;
    return ret;
  }

  /**
   * futex_waitv in a holder, one word of a held file: the owner compares it with val and queues
   * the waiter (as FUTEX_WAIT does, with every bitset bit). Answers the token it is queued under,
   * an errno (EAGAIN: the word differs), or 'woken' when a wake took it before the answer came.
   * The caller attaches the sleep (attach) or gives the token up (settle).
   */
  enqueue(t: Task, h: HeldFile, off: number, val: number, index: number): { token: number } | { err: number } | 'woken' {
    const { token, r } = this.askWait(h, off, val, ANY);
    if (!r || r.queued !== true) { this.early.delete(token); return { err: FamilyFutex.errOf(r) }; }
    if (this.early.delete(token)) return 'woken';
    this.mine.set(token, { task: t, owner: h.owner, wait: null, ret: index });
    return { token };
  }

  /** futex_waitv: the sleep that a 'woken' note for `token` ends. */
  attach(token: number, wait: WaitState | null): void {
    const m = this.mine.get(token);
    if (m) m.wait = wait;
  }

  /** futex_waitv: gives up a queued word; true when a wake had already taken it (or one is on its way). */
  settle(token: number): boolean {
    if (!this.mine.has(token)) return !this.cancelling.has(token);
    return this.cancel(token);
  }

  /** Cancels a queued wait at its owner: true when a wake had already taken it. */
  private cancel(token: number): boolean {
    const m = this.mine.get(token);
    if (!m) return false;
    this.mine.delete(token);
    this.cancelling.add(token);
    try {
      const r = this.ask(m.owner, { op: 'cancel', token });
      return r?.woken === true;
    } finally {
      this.cancelling.delete(token);
    }
  }

  /** FUTEX_WAKE(_BITSET) in a holder: the owner wakes its waiters (every enclave's); how many. */
  wake(h: HeldFile, off: number, n: number, bitset: number): number {
    if (n <= 0) return 0;
    const r = this.ask(h.owner, { op: 'wake', id: h.id, off, n, bitset });
    return r && isInt(r.n, 0, n) ? r.n : 0;
  }

  /** (CMP_)REQUEUE in a holder from a word of a held file; `off2` null: the target is elsewhere. */
  requeue(h: HeldFile, off: number, off2: number | null, nwake: number, nreq: number, cmp: number | null): number {
    this.sweep();
    if (cmp !== null) h.cache.leave(Math.floor(off / PAGE_SIZE), true); // compared at the owner
    const r = this.ask(h.owner, { op: 'requeue', id: h.id, off, off2, nwake, nreq, cmp });
    if (r && isInt(r.n, 0, nwake + nreq)) return r.n;
    return FamilyFutex.errOf(r);
  }
}
