/**
 * fsnotify and inotify (include/linux/fsnotify.h, fs/notify/fsnotify.c, fs/notify/inotify):
 * the hooks the VFS calls when a file changes, and the inotify instance whose watches they
 * reach. A watch is an inode mark: it lives on the inode (`Inode.watches`) and in its group's
 * table by watch descriptor.
 *
 * Which hook raises what, as Linux 6.x does:
 * - notifyChild (fsnotify_parent + the inode): open, read, write, close, and attribute changes
 *   (notify_change, xattrs); a watched parent directory hears it first, with the child's name
 *   (the events FS_EVENTS_POSS_ON_CHILD allows), then the inode's own watches without a name.
 * - notifyName (fsnotify_name): entries appearing, going and moving in a directory.
 * - notifyInode (fsnotify_inode): the inode only: a link count change (IN_ATTRIB on link,
 *   unlink, rename over), IN_MOVE_SELF.
 * - inodeGone (fsnotify_inoderemove): the last name and the last open file are gone:
 *   IN_DELETE_SELF, then every watch on it ends with IN_IGNORED.
 *
 * Events reach watches of this kernel only: on process-per-enclave platforms changes another
 * enclave makes in its own tmpfs are not seen, and on host mounts only changes made through
 * this kernel are (docs/sgx-fork.md).
 */
import { E } from '../errors.ts';
import { OpenFile } from './file.ts';
import { WaitQueue } from './wait.ts';
import type { Inode } from './inode.ts';
import type { Location } from './vfs.ts';
import { nameToBytes } from './names.ts';

// include/uapi/linux/inotify.h
export const IN_ACCESS = 0x1, IN_MODIFY = 0x2, IN_ATTRIB = 0x4, IN_CLOSE_WRITE = 0x8, IN_CLOSE_NOWRITE = 0x10;
export const IN_OPEN = 0x20, IN_MOVED_FROM = 0x40, IN_MOVED_TO = 0x80, IN_CREATE = 0x100, IN_DELETE = 0x200;
export const IN_DELETE_SELF = 0x400, IN_MOVE_SELF = 0x800, IN_UNMOUNT = 0x2000, IN_Q_OVERFLOW = 0x4000;
export const IN_IGNORED = 0x8000, IN_ONLYDIR = 0x1000000, IN_DONT_FOLLOW = 0x2000000, IN_EXCL_UNLINK = 0x4000000;
export const IN_MASK_CREATE = 0x10000000, IN_MASK_ADD = 0x20000000, IN_ISDIR = 0x40000000, IN_ONESHOT = 0x80000000;
export const IN_ALL_EVENTS = 0xfff;
/** ALL_INOTIFY_BITS (include/linux/inotify.h): a mask must have one of these. */
export const ALL_INOTIFY_BITS = (IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR | IN_DONT_FOLLOW |
  IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR | IN_ONESHOT) >>> 0;
/** What a watch keeps of the mask it was given. */
const WATCH_BITS = (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK) >>> 0;
/** FS_EVENTS_POSS_ON_CHILD: what a directory hears about its children. */
const ON_CHILD = IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_OPEN;
/** /proc/sys/fs/inotify defaults (max_user_watches is sized from memory on Linux; this is its floor's order). */
export const MAX_QUEUED_EVENTS = 16384, MAX_USER_INSTANCES = 128, MAX_USER_WATCHES = 8192 * 16;
const EVENT_SIZE = 16; // struct inotify_event without its name

export interface Watch {
  group: InotifyFile;
  wd: number;
  inode: Inode;
  mask: number;
}

interface QueuedEvent {
  wd: number;
  mask: number;
  cookie: number;
  name: Uint8Array | null;
}

/** round_event_name_len: the name, its NUL, padded to a multiple of the event header. */
function nameLen(name: Uint8Array | null): number {
  return name ? Math.ceil((name.length + 1) / EVENT_SIZE) * EVENT_SIZE : 0;
}

function sameName(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (!a || !b) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Watches held per user (max_user_watches is per uid on Linux; per kernel here: one user). */
let watchCount = 0;
/** Instances per kernel (max_user_instances). */
export const instances = { count: 0 };

/** An inotify instance (fs/notify/inotify/inotify_user.c): its queue and its watches. */
export class InotifyFile extends OpenFile {
  readonly q = new WaitQueue();
  private events: QueuedEvent[] = [];
  private head = 0;
  private bytes = 0;
  private overflowQueued = false;
  private closed = false;
  readonly watches = new Map<number, Watch>();
  /** idr_alloc_cyclic from 1: descriptors are not reused at once. */
  private nextWd = 1;

  private get length(): number {
    return this.events.length - this.head;
  }

  /** fsnotify_insert_event with inotify_merge: an event equal to the last one queued is dropped. */
  queue(wd: number, mask: number, cookie: number, name: Uint8Array | null): void {
    if (this.closed) return;
    let ev: QueuedEvent = { wd, mask, cookie, name };
    if (this.length >= MAX_QUEUED_EVENTS) {
      if (this.overflowQueued) return;
      this.overflowQueued = true;
      ev = { wd: -1, mask: IN_Q_OVERFLOW, cookie: 0, name: null };
    } else if (this.length > 0) {
      const last = this.events[this.events.length - 1];
      if (!(last.mask & IN_IGNORED) && last.mask === mask && last.wd === wd && sameName(last.name, name)) return;
    }
    this.events.push(ev);
    this.bytes += EVENT_SIZE + nameLen(ev.name);
    this.q.notify();
  }

  /** inotify_read: whole events only; EINVAL when the first does not fit. */
  override read(len: number): Uint8Array | number {
    if (this.length === 0) return -E.EAGAIN;
    const first = this.events[this.head];
    if (EVENT_SIZE + nameLen(first.name) > len) return -E.EINVAL;
    let total = 0, n = 0;
    for (let i = this.head; i < this.events.length; i++) {
      const sz = EVENT_SIZE + nameLen(this.events[i].name);
      if (total + sz > len) break;
      total += sz;
      n++;
    }
    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    let o = 0;
    for (let i = 0; i < n; i++) {
      const e = this.events[this.head++];
      if (e.mask === IN_Q_OVERFLOW && e.wd === -1) this.overflowQueued = false;
      const nl = nameLen(e.name);
      dv.setInt32(o, e.wd, true);
      dv.setUint32(o + 4, e.mask >>> 0, true);
      dv.setUint32(o + 8, e.cookie >>> 0, true);
      dv.setUint32(o + 12, nl, true);
      if (e.name) out.set(e.name, o + EVENT_SIZE); // the padding stays zero
      o += EVENT_SIZE + nl;
    }
    this.bytes -= total;
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
    return out;
  }
  /** FIONREAD: the bytes of every queued event. */
  override readable(): number {
    return this.bytes;
  }
  override poll(): number {
    return this.length > 0 ? 0x41 /* POLLIN | POLLRDNORM */ : 0;
  }
  override readQueue(): WaitQueue {
    return this.q;
  }
  /** noop_llseek. */
  override lseek(): number {
    return this.pos;
  }

  /** inotify_update_watch: a new watch, or the existing one on this inode with its mask replaced or added to. */
  addWatch(inode: Inode, mask: number): number {
    const existing = inode.watches?.find((w) => w.group === this);
    if (existing) {
      if (mask & IN_MASK_CREATE) return -E.EEXIST;
      existing.mask = ((mask & IN_MASK_ADD ? existing.mask : 0) | (mask & WATCH_BITS)) >>> 0;
      return existing.wd;
    }
    if (watchCount >= MAX_USER_WATCHES) return -E.ENOSPC;
    const w: Watch = { group: this, wd: this.nextWd++, inode, mask: (mask & WATCH_BITS) >>> 0 };
    if (this.nextWd > 0x7fffffff) this.nextWd = 1;
    watchCount++;
    this.watches.set(w.wd, w);
    (inode.watches ??= []).push(w);
    return w.wd;
  }

  /** A watch ends (inotify_rm_watch, IN_ONESHOT, its inode gone): IN_IGNORED. */
  removeWatch(w: Watch, ignored = true): void {
    if (!this.watches.delete(w.wd)) return;
    watchCount--;
    const list = w.inode.watches;
    if (list) {
      const i = list.indexOf(w);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) w.inode.watches = null;
    }
    if (ignored) this.queue(w.wd, IN_IGNORED, 0, null);
  }

  override close(): void {
    for (const w of [...this.watches.values()]) this.removeWatch(w, false);
    this.closed = true;
    this.events = [];
    this.head = 0;
    this.bytes = 0;
    instances.count--;
  }
  override fdinfo(): string {
    let s = '';
    for (const w of this.watches.values()) {
      s += `inotify wd:${w.wd.toString(16)} ino:${w.inode.ino.toString(16)} sdev:${w.inode.sb.dev.toString(16)} mask:${w.mask.toString(16)} ignored_mask:0\n`;
    }
    return s;
  }
  describe(): string {
    return 'anon_inode:inotify';
  }
}

/** Hands the event to the inode's watches that want it (inotify_handle_inode_event). */
function send(inode: Inode, mask: number, name: string | null, cookie: number, unlinkedIo: boolean): void {
  const ws = inode.watches;
  if (!ws) return;
  let bytes: Uint8Array | null | undefined;
  for (const w of [...ws]) {
    if (!(w.mask & mask & IN_ALL_EVENTS)) continue;
    // IN_EXCL_UNLINK: nothing about a file's I/O once it has no name.
    if (unlinkedIo && w.mask & IN_EXCL_UNLINK) continue;
    let m = mask & (IN_ALL_EVENTS | IN_ISDIR);
    // inotify never reported IN_ISDIR with IN_MOVE_SELF and IN_DELETE_SELF.
    if (m & (IN_MOVE_SELF | IN_DELETE_SELF)) m &= ~IN_ISDIR;
    if (bytes === undefined) bytes = name === null ? null : nameToBytes(name);
    w.group.queue(w.wd, m >>> 0, cookie, bytes);
    if (w.mask & IN_ONESHOT) w.group.removeWatch(w);
  }
}
/**
 * An event on the file at `loc` (open, read, write, close, attributes): the parent directory's
 * watches with the name it was reached by, then the file's own. `path`: an event about I/O
 * through a descriptor (IN_EXCL_UNLINK applies).
 */
export function notifyChild(loc: Location, mask: number, path = false): void {
  const inode = loc.inode;
  const dir = inode.isDir();
  const parent = dir ? (inode.parent !== inode ? inode.parent : null) : loc.parent?.inode ?? null;
  if (!inode.watches && !parent?.watches) return;
  if (dir) mask |= IN_ISDIR;
  const unlinkedIo = path && inode.nlink === 0;
  const name = dir ? inode.name : loc.name;
  if (parent?.watches && mask & ON_CHILD && name !== undefined) send(parent, mask, name, 0, unlinkedIo);
  send(inode, mask, null, 0, unlinkedIo);
}

/** An event about the inode itself, to its own watches (fsnotify_inode). */
export function notifyInode(inode: Inode, mask: number): void {
  if (!inode.watches) return;
  send(inode, inode.isDir() ? mask | IN_ISDIR : mask, null, 0, false);
}

/** An entry of `dir` named `name` appeared, went or moved (fsnotify_name). */
export function notifyName(dir: Inode, mask: number, name: string, childIsDir: boolean, cookie = 0): void {
  if (!dir.watches) return;
  send(dir, childIsDir ? mask | IN_ISDIR : mask, name, cookie, false);
}

let lastCookie = 0;
/** fsnotify_get_cookie: pairs IN_MOVED_FROM with IN_MOVED_TO. */
export function nextCookie(): number {
  lastCookie = (lastCookie + 1) >>> 0 || 1;
  return lastCookie;
}

/** The inode's last name and last open file are gone (fsnotify_inoderemove). */
export function inodeGone(inode: Inode): void {
  if (!inode.watches) return;
  send(inode, IN_DELETE_SELF, null, 0, false);
  for (const w of [...(inode.watches ?? [])]) w.group.removeWatch(w);
}

/** rename(2)'s events (fsnotify_move). `replaced`: the inode a plain rename put out of its name. */
export function notifyMove(oldDir: Inode, oldName: string, newDir: Inode, newName: string, moved: Inode, replaced: Inode | null): void {
  if (!oldDir.watches && !newDir.watches && !moved.watches && !replaced?.watches) return;
  const cookie = nextCookie();
  const isDir = moved.isDir();
  notifyName(oldDir, IN_MOVED_FROM, oldName, isDir, cookie);
  notifyName(newDir, IN_MOVED_TO, newName, isDir, cookie);
  if (replaced) notifyInode(replaced, IN_ATTRIB);
  notifyInode(moved, IN_MOVE_SELF);
}
