/**
 * The kernel key retention service (security/keys: key.c, keyring.c, keyctl.c, process_keys.c,
 * permission.c, user_defined.c, request_key.c): add_key, request_key and keyctl.
 *
 * Key types: "user" (readable payload, 1..32767 bytes), "logon" (the same, "prefix:desc"
 * descriptions, not readable: EOPNOTSUPP) and "keyring" (reads as its members' serials). Serials
 * are random positive 31-bit numbers, unique in this kernel. Permissions as key_task_permission:
 * the user, group or other byte by the key's ids, plus the possessor byte when the caller
 * possesses the key (it is reached by a search of the caller's thread, process and session
 * keyrings, or named by a KEY_SPEC_* id). The special keyrings are made on demand as Linux does:
 * _tid and _pid on lookup with create; the user keyrings _uid.N and _uid_ses.N on first use; a
 * process that joined no session uses the user session keyring, and the first lookup of
 * KEY_SPEC_SESSION_KEYRING installs it (or, when the lookup creates, as add_key's does, a new
 * anonymous _ses keyring). Quotas: key.c's maxkeys/maxbytes (200/20000 for a user, 1000000/
 * 25000000 for root): EDQUOT. Keys nothing reaches any more (no keyring link, not a process's or
 * thread's keyring) are collected when a quota would be exceeded (Linux's gc runs asynchronously,
 * so it may keep them a little longer).
 *
 * Threads: each thread has its own thread keyring (a new thread gets a new one when its creator
 * had one, as copy_creds); the process keyring is shared by the threads. Linux keeps the session
 * keyring in each thread's creds; here it is the process's (a thread joining a session changes it
 * for its siblings too). fork: the child shares the session keyring, has no process or thread
 * keyring, keeps the request_key default. execve drops the thread and process keyrings.
 *
 * Process-per-enclave fork (sgx): the child's kernel is another enclave and cannot share key
 * objects by reference. The checkpoint carries a copy of every key the parent's session and user
 * keyrings reach (same serials, payloads, permissions, timeouts as remaining time); changes made
 * after the fork in either enclave are not seen by the other (docs/sgx-fork.md).
 *
 * What Linux would do by a feature this kernel is built without (answered as such a kernel):
 * no LSM (KEYCTL_GET_SECURITY gives ""); no CONFIG_PERSISTENT_KEYRINGS, CONFIG_KEY_DH_OPERATIONS,
 * CONFIG_ASYMMETRIC_KEY_TYPE, CONFIG_KEY_NOTIFICATIONS (GET_PERSISTENT, DH_COMPUTE, PKEY_*,
 * WATCH_KEY: EOPNOTSUPP). No /sbin/request-key in the enclave: request_key of a missing key is
 * ENOKEY as when the upcall fails (Linux also links a negative key into the destination keyring
 * for 60 s; not made here). With no construction there are no authorisation keys: INSTANTIATE,
 * NEGATE, REJECT, INSTANTIATE_IOV are EPERM, ASSUME_AUTHORITY of a key ENOKEY, KEY_SPEC_REQKEY_AUTH_KEY
 * and KEY_SPEC_REQUESTOR_KEYRING ENOKEY. RESTRICT_KEYRING supports only "no links at all" (type
 * NULL); a named restriction type is ENOENT (no type here has lookup_restriction).
 */
import { E, SysError } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import type { SyscallArgs } from './args.ts';
import type { Kernel } from '../kernel.ts';
import type { Process, Task } from '../task.ts';
import { nameToBytes } from '../fs/names.ts';
import { hex, unhexBytes } from './sysvipc-family.ts';

// include/uapi/linux/keyctl.h
const KEY_SPEC_THREAD_KEYRING = -1, KEY_SPEC_PROCESS_KEYRING = -2, KEY_SPEC_SESSION_KEYRING = -3, KEY_SPEC_USER_KEYRING = -4;
const KEY_SPEC_USER_SESSION_KEYRING = -5, KEY_SPEC_GROUP_KEYRING = -6, KEY_SPEC_REQKEY_AUTH_KEY = -7, KEY_SPEC_REQUESTOR_KEYRING = -8;
const KEY_REQKEY_DEFL_NO_CHANGE = -1, KEY_REQKEY_DEFL_THREAD_KEYRING = 1, KEY_REQKEY_DEFL_PROCESS_KEYRING = 2, KEY_REQKEY_DEFL_GROUP_KEYRING = 6, KEY_REQKEY_DEFL_REQUESTOR_KEYRING = 7;
const KEYCTL_GET_KEYRING_ID = 0, KEYCTL_JOIN_SESSION_KEYRING = 1, KEYCTL_UPDATE = 2, KEYCTL_REVOKE = 3, KEYCTL_CHOWN = 4, KEYCTL_SETPERM = 5;
const KEYCTL_DESCRIBE = 6, KEYCTL_CLEAR = 7, KEYCTL_LINK = 8, KEYCTL_UNLINK = 9, KEYCTL_SEARCH = 10, KEYCTL_READ = 11, KEYCTL_INSTANTIATE = 12;
const KEYCTL_NEGATE = 13, KEYCTL_SET_REQKEY_KEYRING = 14, KEYCTL_SET_TIMEOUT = 15, KEYCTL_ASSUME_AUTHORITY = 16, KEYCTL_GET_SECURITY = 17;
const KEYCTL_SESSION_TO_PARENT = 18, KEYCTL_REJECT = 19, KEYCTL_INSTANTIATE_IOV = 20, KEYCTL_INVALIDATE = 21, KEYCTL_GET_PERSISTENT = 22;
const KEYCTL_DH_COMPUTE = 23, KEYCTL_PKEY_VERIFY = 28, KEYCTL_RESTRICT_KEYRING = 29, KEYCTL_MOVE = 30, KEYCTL_CAPABILITIES = 31, KEYCTL_WATCH_KEY = 32;
const KEYCTL_MOVE_EXCL = 1;
const KEYCTL_CAPS0_CAPABILITIES = 0x01, KEYCTL_CAPS0_INVALIDATE = 0x20, KEYCTL_CAPS0_RESTRICT_KEYRING = 0x40, KEYCTL_CAPS0_MOVE = 0x80;
const KEYCTL_CAPS1_NS_KEYRING_NAME = 0x01, KEYCTL_CAPS1_NS_KEY_TAG = 0x02;
// include/linux/key.h
const KEY_POS_VIEW = 0x01000000, KEY_POS_READ = 0x02000000, KEY_POS_WRITE = 0x04000000, KEY_POS_SEARCH = 0x08000000, KEY_POS_LINK = 0x10000000, KEY_POS_SETATTR = 0x20000000, KEY_POS_ALL = 0x3f000000;
const KEY_USR_VIEW = 0x00010000, KEY_USR_READ = 0x00020000, KEY_USR_LINK = 0x00100000, KEY_USR_ALL = 0x003f0000;
const KEY_GRP_ALL = 0x00003f00, KEY_OTH_ALL = 0x0000003f;
const NEED_VIEW = 0x01, NEED_READ = 0x02, NEED_WRITE = 0x04, NEED_SEARCH = 0x08, NEED_LINK = 0x10, NEED_SETATTR = 0x20;
const KEY_MAX_DESC_SIZE = 4096, PAGE_SIZE = 4096, USER_MAX_DATA = 32767, KEYRING_SEARCH_MAX_DEPTH = 6;
const KEY_INVALID_ID = -1; // INVALID_UID / INVALID_GID
/** sizeof(struct assoc_array): key_type_keyring.def_datalen, charged to the quota. */
const KEYRING_DEF_DATALEN = 16;

type KeyType = 'user' | 'logon' | 'keyring';

export interface Key {
  serial: number;
  type: KeyType;
  desc: string;
  uid: number;
  gid: number;
  perm: number;
  /** user/logon payload. */
  payload: Uint8Array | null;
  /** keyring members, in link order. */
  links: Key[];
  revoked: boolean;
  /** Realtime ms when it expires (0: never). */
  expiry: number;
  /** Bytes charged to the owner's quota (description + 1 + payload or def_datalen). */
  qbytes: number;
  /** KEYCTL_RESTRICT_KEYRING with no type: nothing more may be linked in. */
  restricted: boolean;
}

interface UserKeys { nkeys: number; nbytes: number; uidKeyring: Key | null; sessionKeyring: Key | null }

class KeyState {
  readonly keys = new Map<number, Key>();
  readonly users = new Map<number, UserKeys>();
  constructor(readonly k: Kernel) {}
  user(uid: number): UserKeys {
    let u = this.users.get(uid);
    if (!u) this.users.set(uid, (u = { nkeys: 0, nbytes: 0, uidKeyring: null, sessionKeyring: null }));
    return u;
  }
  newSerial(): number {
    const b = new Uint8Array(4);
    for (;;) {
      this.k.platform.random(b);
      const s = (b[0]! | b[1]! << 8 | b[2]! << 16 | b[3]! << 24) & 0x7fffffff;
      if (s >= 3 && !this.keys.has(s)) return s; // key_alloc_serial: below 3 is reserved
    }
  }
}

const states = new WeakMap<Kernel, KeyState>();
const stateOf = (k: Kernel): KeyState => {
  let s = states.get(k);
  if (!s) states.set(k, (s = new KeyState(k)));
  return s;
};

/** A process's keyrings (struct cred's, kept per process here: see the header). */
interface ProcKeys { session: Key | null; process: Key | null }
/** A thread's. */
interface TaskKeys { thread: Key | null; reqkeyDefl: number }
const procKeys = new WeakMap<Process, ProcKeys>();
const taskKeys = new WeakMap<Task, TaskKeys>();
const pk = (p: Process): ProcKeys => {
  let x = procKeys.get(p);
  if (!x) procKeys.set(p, (x = { session: null, process: null }));
  return x;
};
const tk = (t: Task): TaskKeys => {
  let x = taskKeys.get(t);
  if (!x) taskKeys.set(t, (x = { thread: null, reqkeyDefl: 0 }));
  return x;
};

const quotaOf = (k: Kernel, uid: number) => (uid === 0 ? { maxkeys: 1000000, maxbytes: 25000000 } : { maxkeys: 200, maxbytes: 20000 });
const now = (k: Kernel): number => Math.floor(k.realtimeNs() / 1e6);
const expired = (k: Kernel, key: Key): boolean => key.expiry !== 0 && now(k) >= key.expiry;

/** The keys anything still reaches; the rest leave the registry and the quota (key_garbage_collector). */
function gc(k: Kernel): void {
  const st = stateOf(k);
  const live = new Set<Key>();
  const mark = (key: Key | null | undefined): void => {
    if (!key || live.has(key)) return;
    live.add(key);
    for (const m of key.links) mark(m);
  };
  for (const u of st.users.values()) { mark(u.uidKeyring); mark(u.sessionKeyring); }
  for (const p of k.processes.values()) {
    if (p.remote || p.exitStatus !== null) continue;
    const x = procKeys.get(p);
    if (x) { mark(x.session); mark(x.process); }
    for (const t of p.tasks) mark(taskKeys.get(t)?.thread);
  }
  for (const key of [...st.keys.values()]) {
    if (live.has(key)) continue;
    st.keys.delete(key.serial);
    const u = st.user(key.uid);
    u.nkeys--;
    u.nbytes -= key.qbytes;
  }
}

/** key_alloc: charges the owner's quota (EDQUOT unless overrun is allowed) and registers the key. */
function keyAlloc(k: Kernel, type: KeyType, desc: string, uid: number, gid: number, perm: number, datalen: number, overrun = false): Key {
  const st = stateOf(k);
  const qbytes = nameToBytes(desc).length + 1 + datalen;
  const u = st.user(uid);
  const q = quotaOf(k, uid);
  const over = () => u.nkeys + 1 > q.maxkeys || u.nbytes + qbytes > q.maxbytes || u.nbytes + qbytes < u.nbytes;
  if (!overrun && over()) {
    gc(k);
    if (over()) throw new SysError(E.EDQUOT);
  }
  u.nkeys++;
  u.nbytes += qbytes;
  const key: Key = { serial: st.newSerial(), type, desc, uid, gid, perm, payload: null, links: [], revoked: false, expiry: 0, qbytes, restricted: false };
  st.keys.set(key.serial, key);
  return key;
}

/** key_payload_reserve: a new payload's size against the quota. */
function reserve(k: Kernel, key: Key, datalen: number): void {
  const u = stateOf(k).user(key.uid);
  const nb = nameToBytes(key.desc).length + 1 + datalen;
  const delta = nb - key.qbytes;
  if (delta > 0 && u.nbytes + delta > quotaOf(k, key.uid).maxbytes) {
    gc(k);
    if (u.nbytes + delta > quotaOf(k, key.uid).maxbytes) throw new SysError(E.EDQUOT);
  }
  u.nbytes += delta;
  key.qbytes = nb;
}

const newKeyring = (k: Kernel, desc: string, uid: number, gid: number, perm: number, overrun = false): Key =>
  keyAlloc(k, 'keyring', desc, uid, gid, perm, KEYRING_DEF_DATALEN, overrun);

/** install_user_keyrings / look_up_user_keyrings: _uid.N and _uid_ses.N (linked to _uid.N). */
function userKeyrings(k: Kernel): UserKeys {
  const uid = k.config.uid;
  const u = stateOf(k).user(uid);
  if (!u.uidKeyring) {
    const perm = (KEY_POS_ALL & ~KEY_POS_SETATTR) | KEY_USR_ALL;
    const ring = newKeyring(k, `_uid.${uid}`, uid, KEY_INVALID_ID, perm);
    const ses = newKeyring(k, `_uid_ses.${uid}`, uid, KEY_INVALID_ID, perm);
    ses.links.push(ring);
    u.uidKeyring = ring;
    u.sessionKeyring = ses;
  }
  return u;
}

/** key_task_permission. */
function permits(k: Kernel, key: Key, possessed: boolean, need: number): boolean {
  let kperm: number;
  if (key.uid === k.config.uid) kperm = (key.perm >>> 16) & 0xff;
  else if (key.gid !== KEY_INVALID_ID && key.gid === k.config.gid) kperm = (key.perm >>> 8) & 0xff;
  else kperm = key.perm & 0xff;
  if (possessed) kperm |= key.perm >>> 24;
  return (kperm & need) === need;
}

/** key_validate: revoked or expired keys are refused. */
function validate(k: Kernel, key: Key): void {
  if (key.revoked) throw new SysError(E.EKEYREVOKED);
  if (expired(k, key)) throw new SysError(E.EKEYEXPIRED);
}

interface Ref { key: Key; possessed: boolean }

/** The keyrings a search starts from (search_cred_keyrings_rcu): thread, process, then session or user session. */
function credKeyrings(k: Kernel, t: Task): Key[] {
  const out: Key[] = [];
  const th = tk(t).thread, x = pk(t.proc);
  if (th) out.push(th);
  if (x.process) out.push(x.process);
  if (x.session) out.push(x.session);
  else { const u = stateOf(k).user(k.config.uid); if (u.sessionKeyring) out.push(u.sessionKeyring); }
  return out;
}

interface SearchCtx {
  match: (key: Key) => boolean;
  type: KeyType;
  stateCheck: boolean;
  skipExpired: boolean;
  possessed: boolean;
  /** The last error a skipped key left (ctx->result), or null. */
  result: number | null;
}

/** search_nested_keyrings: the keyring's own keys first, then the keyrings in it, at most 6 deep. */
function searchNested(k: Kernel, ring: Key, ctx: SearchCtx, depth = 0, seen = new Set<Key>()): Key | null {
  if (seen.has(ring)) return null;
  seen.add(ring);
  for (const key of ring.links) {
    if (key.type !== ctx.type) continue;
    if (ctx.stateCheck) {
      if (key.revoked) { ctx.result = E.EKEYREVOKED; continue; }
      if (expired(k, key)) { if (!ctx.skipExpired) ctx.result = E.EKEYEXPIRED; continue; }
    }
    if (!ctx.match(key)) continue;
    if (!permits(k, key, ctx.possessed, NEED_SEARCH)) { ctx.result = E.EACCES; continue; }
    return key;
  }
  if (depth + 1 >= KEYRING_SEARCH_MAX_DEPTH) return null;
  for (const sub of ring.links) {
    if (sub.type !== 'keyring' || sub.revoked) continue;
    if (!permits(k, sub, ctx.possessed, NEED_SEARCH)) continue;
    const r = searchNested(k, sub, ctx, depth + 1, seen);
    if (r) return r;
  }
  return null;
}

/** keyring_search_rcu from one keyring: the keyring must grant search; -EAGAIN when nothing matched. */
function searchKeyring(k: Kernel, ring: Ref, ctx: SearchCtx): Key | number {
  if (ring.key.type !== 'keyring') return -E.ENOTDIR;
  if (!permits(k, ring.key, ring.possessed, NEED_SEARCH)) return -E.EACCES;
  ctx.possessed = ring.possessed;
  ctx.result = null;
  const r = searchNested(k, ring.key, ctx);
  return r ?? (ctx.result !== null ? -ctx.result : -E.EAGAIN);
}

/** search_cred_keyrings_rcu: success, then -ENOKEY, then -EAGAIN, then another error. */
function searchCred(k: Kernel, t: Task, ctx: SearchCtx): Key | number {
  let ret: number | null = null, err = -E.EAGAIN;
  for (const ring of credKeyrings(k, t)) {
    const r = searchKeyring(k, { key: ring, possessed: true }, ctx);
    if (typeof r !== 'number') return r;
    if (r === -E.EAGAIN) { if (ret === null) ret = r; } else if (r === -E.ENOKEY) ret = r;
    else err = r;
  }
  return ret ?? err;
}

/** Whether the caller possesses a key it named by serial (lookup_user_key's search for the key itself). */
function possesses(k: Kernel, t: Task, key: Key): boolean {
  const r = searchCred(k, t, { match: (x) => x === key, type: key.type, stateCheck: false, skipExpired: false, possessed: true, result: null });
  return typeof r !== 'number';
}

function installSession(k: Kernel, t: Task, ring: Key | null): Key {
  const x = pk(t.proc);
  // install_session_keyring_to_cred: a new _ses is in quota only when it replaces a session.
  const key = ring ?? newKeyring(k, '_ses', k.config.uid, k.config.gid, KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ, x.session === null);
  x.session = key;
  return key;
}

const LOOKUP_CREATE = 1, LOOKUP_PARTIAL = 2;
const NEED_UNLINK = -1, DEFER = 0;

/** lookup_user_key: the key an id names, with possession; checks its state and `need` (DEFER: none; NEED_UNLINK: neither). */
function lookup(k: Kernel, t: Task, id: number, flags: number, need: number): Ref {
  let key: Key;
  let possessed = true;
  const x = pk(t.proc);
  switch (id) {
    case KEY_SPEC_THREAD_KEYRING: {
      const tt = tk(t);
      if (!tt.thread) {
        if (!(flags & LOOKUP_CREATE)) throw new SysError(E.ENOKEY);
        tt.thread = newKeyring(k, '_tid', k.config.uid, k.config.gid, KEY_POS_ALL | KEY_USR_VIEW, true);
      }
      key = tt.thread;
      break;
    }
    case KEY_SPEC_PROCESS_KEYRING:
      if (!x.process) {
        if (!(flags & LOOKUP_CREATE)) throw new SysError(E.ENOKEY);
        x.process = newKeyring(k, '_pid', k.config.uid, k.config.gid, KEY_POS_ALL | KEY_USR_VIEW, true);
      }
      key = x.process;
      break;
    case KEY_SPEC_SESSION_KEYRING: {
      const u = userKeyrings(k);
      if (!x.session) key = flags & LOOKUP_CREATE ? installSession(k, t, null) : installSession(k, t, u.sessionKeyring);
      else if (x.session === u.sessionKeyring && flags & LOOKUP_CREATE) key = installSession(k, t, null);
      else key = x.session;
      break;
    }
    case KEY_SPEC_USER_KEYRING: key = userKeyrings(k).uidKeyring!; break;
    case KEY_SPEC_USER_SESSION_KEYRING: key = userKeyrings(k).sessionKeyring!; break;
    case KEY_SPEC_GROUP_KEYRING: throw new SysError(E.EINVAL); // group keyrings are not yet supported
    case KEY_SPEC_REQKEY_AUTH_KEY:
    case KEY_SPEC_REQUESTOR_KEYRING: throw new SysError(E.ENOKEY); // no authorisation key: nothing is under construction
    default: {
      if (id < 1) throw new SysError(E.EINVAL);
      const found = stateOf(k).keys.get(id);
      if (!found) throw new SysError(E.ENOKEY);
      key = found;
      possessed = possesses(k, t, key);
    }
  }
  if (need !== NEED_UNLINK) {
    void (flags & LOOKUP_PARTIAL); // every key here is instantiated
    validate(k, key);
    if (need !== DEFER && !permits(k, key, possessed, need)) throw new SysError(E.EACCES);
  }
  return { key, possessed };
}

/** keyring_detect_cycle: would linking `key` into `ring` make a keyring reach itself? */
function reaches(from: Key, target: Key, depth = 0, seen = new Set<Key>()): boolean {
  if (from === target) return true;
  if (seen.has(from) || depth > KEYRING_SEARCH_MAX_DEPTH) return false;
  seen.add(from);
  return from.links.some((m) => m.type === 'keyring' && reaches(m, target, depth + 1, seen));
}

/** key_link: one key per type and description in a keyring (a new one displaces the old). */
function link(ring: Key, key: Key): void {
  if (ring.type !== 'keyring') throw new SysError(E.ENOTDIR);
  if (ring.restricted) throw new SysError(E.EPERM);
  if (key.type === 'keyring' && reaches(key, ring)) throw new SysError(E.EDEADLK);
  const i = ring.links.findIndex((m) => m.type === key.type && m.desc === key.desc);
  if (i >= 0) ring.links[i] = key;
  else ring.links.push(key);
}

function keyTypeOf(name: string): KeyType | null {
  return name === 'user' || name === 'logon' || name === 'keyring' ? name : null;
}

/** key_get_type_from_user: at most 31 bytes, not empty. */
function typeName(t: Task, addr: number): string {
  try {
    const s = t.proc.as.readCString(addr, 32);
    if (s === '') throw new SysError(E.EINVAL);
    return s;
  } catch (e) {
    if (e instanceof SysError && e.errno === E.ENAMETOOLONG) throw new SysError(E.EINVAL);
    throw e;
  }
}

/** strndup_user(_, KEY_MAX_DESC_SIZE). */
function descOf(t: Task, addr: number): string {
  try {
    return t.proc.as.readCString(addr, KEY_MAX_DESC_SIZE);
  } catch (e) {
    if (e instanceof SysError && e.errno === E.ENAMETOOLONG) throw new SysError(E.EINVAL);
    throw e;
  }
}

/** The type's preparse checks (user_preparse, logon_vet_description, keyring_preparse). */
function preparse(type: KeyType, data: Uint8Array | null): void {
  if (type === 'keyring') { if (data && data.length) throw new SysError(E.EINVAL); return; }
  if (!data || data.length === 0 || data.length > USER_MAX_DATA) throw new SysError(E.EINVAL);
}

function keyCreateOrUpdate(k: Kernel, t: Task, ring: Ref, typeStr: string, desc: string | null, data: Uint8Array | null): number {
  const type = keyTypeOf(typeStr);
  if (!type) throw new SysError(E.ENODEV);
  if (ring.key.type !== 'keyring') throw new SysError(E.ENOTDIR);
  preparse(type, data);
  if (desc === null) throw new SysError(E.EINVAL);
  if (type === 'logon') { const c = desc.indexOf(':'); if (c <= 0) throw new SysError(E.EINVAL); }
  if (ring.key.restricted) throw new SysError(E.EPERM);
  if (!permits(k, ring.key, ring.possessed, NEED_WRITE)) throw new SysError(E.EACCES);
  if (type !== 'keyring') {
    // find_key_to_update: a live key of that type and description in this keyring is updated.
    const old = ring.key.links.find((m) => m.type === type && m.desc === desc);
    if (old && !old.revoked && !expired(k, old)) {
      if (!permits(k, old, ring.possessed, NEED_WRITE)) throw new SysError(E.EACCES);
      reserve(k, old, data!.length);
      old.payload = data!.slice();
      return old.serial;
    }
  }
  let perm = KEY_POS_VIEW | KEY_POS_SEARCH | KEY_POS_LINK | KEY_POS_SETATTR | KEY_USR_VIEW;
  if (type !== 'logon') perm |= KEY_POS_READ;
  perm |= KEY_POS_WRITE; // keyrings, and types with update
  const key = keyAlloc(k, type, desc, k.config.uid, k.config.gid, perm, type === 'keyring' ? KEYRING_DEF_DATALEN : data!.length);
  if (data && type !== 'keyring') key.payload = data.slice();
  link(ring.key, key);
  return key.serial;
}

const wrap = (f: () => number): number => {
  try {
    return f();
  } catch (e) {
    if (e instanceof SysError) return -e.errno;
    throw e;
  }
};

function copyOutIf(t: Task, addr: number, buflen: number, data: Uint8Array): number {
  if (addr && buflen >= data.length) t.proc.as.copyOut(addr, data);
  return data.length;
}

/** find_keyring_by_name: a named keyring of this user that grants the caller search permission (unpossessed). */
function keyringByName(k: Kernel, name: string): Key | null {
  for (const key of stateOf(k).keys.values()) {
    if (key.type !== 'keyring' || key.desc !== name || key.revoked || expired(k, key)) continue;
    if (key.uid !== k.config.uid) continue;
    if (!permits(k, key, false, NEED_SEARCH)) continue;
    return key;
  }
  return null;
}

function keyctl(k: Kernel, t: Task, a: SyscallArgs): number {
  // Ids and signed values as the int they are in Linux's prototypes; pointers and lengths whole.
  const op = a.i32(0), a2 = a.u(1), a3 = a.u(2), a4 = a.u(3), a5 = a.u(4);
  const id = a.i32(1), i3 = a.i32(2), i4 = a.i32(3), i5 = a.i32(4);
  switch (op) {
    case KEYCTL_GET_KEYRING_ID: return lookup(k, t, id, a3 ? LOOKUP_CREATE : 0, NEED_SEARCH).key.serial;
    case KEYCTL_JOIN_SESSION_KEYRING: {
      if (!a2) return installSession(k, t, null).serial;
      const name = descOf(t, a2);
      if (name.startsWith('.')) throw new SysError(E.EPERM);
      const x = pk(t.proc);
      const found = keyringByName(k, name);
      if (found) {
        if (found === x.session) return 0;
        x.session = found;
        return found.serial;
      }
      const ring = newKeyring(k, name, k.config.uid, k.config.gid, KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ | KEY_USR_LINK);
      x.session = ring;
      return ring.serial;
    }
    case KEYCTL_UPDATE: {
      const plen = a4;
      if (plen > PAGE_SIZE) throw new SysError(E.EINVAL);
      const data = plen ? t.proc.as.copyIn(a3, plen) : null;
      const { key } = lookup(k, t, id, 0, NEED_WRITE);
      if (key.type === 'keyring') throw new SysError(E.EOPNOTSUPP);
      preparse(key.type, data);
      reserve(k, key, data!.length);
      key.payload = data!.slice();
      return 0;
    }
    case KEYCTL_REVOKE: {
      let ref: Ref;
      try {
        ref = lookup(k, t, id, 0, NEED_WRITE);
      } catch (e) {
        if (!(e instanceof SysError) || e.errno !== E.EACCES) throw e;
        ref = lookup(k, t, id, 0, NEED_SETATTR);
      }
      ref.key.revoked = true;
      return 0;
    }
    case KEYCTL_CHOWN: {
      const user = i3, group = i4;
      if (user === -1 && group === -1) { lookup(k, t, id, LOOKUP_CREATE | LOOKUP_PARTIAL, NEED_SETATTR); return 0; }
      const { key } = lookup(k, t, id, LOOKUP_CREATE | LOOKUP_PARTIAL, NEED_SETATTR);
      if (k.config.uid !== 0) {
        if (user !== -1 && key.uid !== user) throw new SysError(E.EACCES);
        if (group !== -1 && group !== key.gid && group !== k.config.gid) throw new SysError(E.EACCES);
      }
      if (user !== -1 && user !== key.uid) {
        // The key moves to the new owner's quota.
        const st = stateOf(k), from = st.user(key.uid), to = st.user(user);
        const q = quotaOf(k, user);
        if (to.nkeys + 1 > q.maxkeys || to.nbytes + key.qbytes > q.maxbytes) throw new SysError(E.EDQUOT);
        from.nkeys--; from.nbytes -= key.qbytes; to.nkeys++; to.nbytes += key.qbytes;
        key.uid = user;
      }
      if (group !== -1) key.gid = group;
      return 0;
    }
    case KEYCTL_SETPERM: {
      const perm = a3 >>> 0;
      if (perm & ~(KEY_POS_ALL | KEY_USR_ALL | KEY_GRP_ALL | KEY_OTH_ALL)) throw new SysError(E.EINVAL);
      const { key } = lookup(k, t, id, LOOKUP_CREATE | LOOKUP_PARTIAL, NEED_SETATTR);
      if (key.uid !== k.config.uid && k.config.uid !== 0) throw new SysError(E.EACCES);
      key.perm = perm;
      return 0;
    }
    case KEYCTL_DESCRIBE: {
      const { key } = lookup(k, t, id, LOOKUP_PARTIAL, NEED_VIEW);
      const munged = (v: number) => (v === KEY_INVALID_ID ? 65534 : v);
      const s = `${key.type};${munged(key.uid)};${munged(key.gid)};${(key.perm >>> 0).toString(16).padStart(8, '0')};${key.desc}`;
      const text = nameToBytes(s);
      const bytes = new Uint8Array(text.length + 1);
      bytes.set(text);
      return copyOutIf(t, a3, a4, bytes);
    }
    case KEYCTL_CLEAR: {
      const { key } = lookup(k, t, id, LOOKUP_CREATE, NEED_WRITE);
      if (key.type !== 'keyring') throw new SysError(E.ENOTDIR);
      key.links = []; // a restriction limits links, not clearing
      return 0;
    }
    case KEYCTL_LINK: {
      const ring = lookup(k, t, i3, LOOKUP_CREATE, NEED_WRITE);
      const key = lookup(k, t, id, LOOKUP_CREATE, NEED_LINK);
      link(ring.key, key.key);
      return 0;
    }
    case KEYCTL_UNLINK: {
      const ring = lookup(k, t, i3, 0, NEED_WRITE);
      const key = lookup(k, t, id, LOOKUP_PARTIAL, NEED_UNLINK);
      if (ring.key.type !== 'keyring') throw new SysError(E.ENOTDIR);
      const i = ring.key.links.indexOf(key.key);
      if (i < 0) throw new SysError(E.ENOENT);
      ring.key.links.splice(i, 1);
      return 0;
    }
    case KEYCTL_SEARCH: {
      const typeStr = typeName(t, a3);
      const desc = descOf(t, a4);
      const ring = lookup(k, t, id, 0, NEED_SEARCH);
      const dest = a5 ? lookup(k, t, i5, LOOKUP_CREATE, NEED_WRITE) : null;
      const type = keyTypeOf(typeStr);
      if (!type) throw new SysError(E.ENOKEY);
      const r = searchKeyring(k, ring, { match: (x) => x.desc === desc, type, stateCheck: true, skipExpired: false, possessed: ring.possessed, result: null });
      if (typeof r === 'number') throw new SysError(r === -E.EAGAIN ? E.ENOKEY : -r);
      if (dest) {
        if (!permits(k, r, ring.possessed, NEED_LINK)) throw new SysError(E.EACCES);
        link(dest.key, r);
      }
      return r.serial;
    }
    case KEYCTL_READ: {
      const ref = lookup(k, t, id, 0, DEFER);
      const { key } = ref;
      if (!permits(k, key, ref.possessed, NEED_READ) && !ref.possessed) throw new SysError(E.EACCES);
      let data: Uint8Array;
      if (key.type === 'logon') throw new SysError(E.EOPNOTSUPP);
      if (key.type === 'keyring') {
        data = new Uint8Array(key.links.length * 4);
        const dv = new DataView(data.buffer);
        key.links.forEach((m, i) => dv.setInt32(i * 4, m.serial, true));
      } else data = key.payload ?? new Uint8Array(0);
      return copyOutIf(t, a3, a4 >>> 0, data);
    }
    case KEYCTL_INSTANTIATE: case KEYCTL_NEGATE: case KEYCTL_REJECT: case KEYCTL_INSTANTIATE_IOV:
      // get_instantiation_keyring's caller: the caller holds no authorisation key.
      throw new SysError(E.EPERM);
    case KEYCTL_SET_REQKEY_KEYRING: {
      const defl = id;
      const tt = tk(t), old = tt.reqkeyDefl;
      if (defl === KEY_REQKEY_DEFL_NO_CHANGE) return old;
      if (defl < 0 || defl > KEY_REQKEY_DEFL_REQUESTOR_KEYRING || defl === KEY_REQKEY_DEFL_GROUP_KEYRING) throw new SysError(E.EINVAL);
      if (defl === KEY_REQKEY_DEFL_THREAD_KEYRING) lookup(k, t, KEY_SPEC_THREAD_KEYRING, LOOKUP_CREATE, DEFER);
      if (defl === KEY_REQKEY_DEFL_PROCESS_KEYRING) lookup(k, t, KEY_SPEC_PROCESS_KEYRING, LOOKUP_CREATE, DEFER);
      tt.reqkeyDefl = defl;
      return old;
    }
    case KEYCTL_SET_TIMEOUT: {
      const { key } = lookup(k, t, id, LOOKUP_CREATE | LOOKUP_PARTIAL, NEED_SETATTR);
      const secs = a3 >>> 0;
      key.expiry = secs ? now(k) + secs * 1000 : 0;
      return 0;
    }
    case KEYCTL_ASSUME_AUTHORITY:
      if (id < 0) throw new SysError(E.EINVAL);
      if (id === 0) return 0;
      throw new SysError(E.ENOKEY); // no request_key authorisation keys exist here
    case KEYCTL_GET_SECURITY: {
      lookup(k, t, id, 0, NEED_VIEW);
      // No LSM: security_key_getsecurity gives no context, and userspace an empty string.
      if (a3 && (a4 >>> 0) > 0) t.proc.as.copyOut(a3, new Uint8Array(1));
      return 1;
    }
    case KEYCTL_SESSION_TO_PARENT: {
      const x = pk(t.proc);
      const parent = k.processes.get(t.proc.ppid);
      // The parent must be a live process here (another enclave's creds cannot be replaced), not init.
      if (!parent || parent.remote || parent.exitStatus !== null || parent.pid === 1) throw new SysError(E.EPERM);
      if (t.proc.tasks.size > 1) throw new SysError(E.EINVAL);
      const ses = x.session ?? lookup(k, t, KEY_SPEC_SESSION_KEYRING, 0, DEFER).key;
      if (!permits(k, ses, true, NEED_LINK)) throw new SysError(E.EACCES);
      pk(parent).session = ses;
      return 0;
    }
    case KEYCTL_INVALIDATE: {
      const { key } = lookup(k, t, id, 0, NEED_SEARCH);
      // key_invalidate, then the collector: the key leaves every keyring and can no longer be named.
      const st = stateOf(k);
      for (const other of st.keys.values()) if (other.type === 'keyring') other.links = other.links.filter((m) => m !== key);
      st.keys.delete(key.serial);
      const u = st.user(key.uid);
      u.nkeys--;
      u.nbytes -= key.qbytes;
      return 0;
    }
    case KEYCTL_RESTRICT_KEYRING: {
      if (a3) {
        if (!a4) throw new SysError(E.EINVAL);
        typeName(t, a3);
        descOf(t, a4);
      }
      const ring = lookup(k, t, id, 0, NEED_SETATTR).key;
      if (ring.type !== 'keyring') throw new SysError(E.ENOTDIR);
      if (a3) throw new SysError(E.ENOENT); // no type here has a lookup_restriction
      if (ring.restricted) throw new SysError(E.EEXIST);
      ring.restricted = true;
      return 0;
    }
    case KEYCTL_MOVE: {
      if (a5 & ~KEYCTL_MOVE_EXCL) throw new SysError(E.EINVAL);
      const key = lookup(k, t, id, LOOKUP_CREATE, NEED_LINK).key;
      const from = lookup(k, t, i3, 0, NEED_WRITE).key;
      const to = lookup(k, t, i4, LOOKUP_CREATE, NEED_WRITE).key;
      if (from.type !== 'keyring' || to.type !== 'keyring') throw new SysError(E.ENOTDIR);
      if (from === to) return 0;
      const i = from.links.indexOf(key);
      if (i < 0) throw new SysError(E.ENOENT);
      if (a5 & KEYCTL_MOVE_EXCL && to.links.some((m) => m.type === key.type && m.desc === key.desc)) throw new SysError(E.EEXIST);
      link(to, key);
      from.links.splice(from.links.indexOf(key), 1);
      return 0;
    }
    case KEYCTL_CAPABILITIES: {
      const caps = new Uint8Array([KEYCTL_CAPS0_CAPABILITIES | KEYCTL_CAPS0_INVALIDATE | KEYCTL_CAPS0_RESTRICT_KEYRING | KEYCTL_CAPS0_MOVE, KEYCTL_CAPS1_NS_KEYRING_NAME | KEYCTL_CAPS1_NS_KEY_TAG]);
      const n = Math.min(a3 >>> 0, caps.length);
      if (a2 && n) t.proc.as.copyOut(a2, caps.subarray(0, n));
      return caps.length;
    }
    case KEYCTL_GET_PERSISTENT: // no CONFIG_PERSISTENT_KEYRINGS
    case KEYCTL_WATCH_KEY: // no CONFIG_KEY_NOTIFICATIONS
      return -E.EOPNOTSUPP;
    default:
      if (op >= KEYCTL_DH_COMPUTE && op <= KEYCTL_PKEY_VERIFY) return -E.EOPNOTSUPP; // no CONFIG_KEY_DH_OPERATIONS / CONFIG_ASYMMETRIC_KEY_TYPE
      return -E.EOPNOTSUPP;
  }
}

/** copy_creds for a new thread (CLONE_THREAD): its own new thread keyring when the creator had one. */
export function keysOnThread(k: Kernel, child: Task, parent: Task): void {
  const p = taskKeys.get(parent);
  if (!p) return;
  const c = tk(child);
  c.reqkeyDefl = p.reqkeyDefl;
  if (p.thread) c.thread = newKeyring(k, '_tid', k.config.uid, k.config.gid, KEY_POS_ALL | KEY_USR_VIEW, true);
}

/** copy_creds for fork: the session keyring shared, no process or thread keyring. */
export function keysOnFork(child: Task, parent: Task): void {
  const s = procKeys.get(parent.proc)?.session;
  if (s) pk(child.proc).session = s;
  const d = taskKeys.get(parent)?.reqkeyDefl;
  if (d) tk(child).reqkeyDefl = d;
}

/** execve (install_exec_creds): the thread and process keyrings go. */
export function keysOnExec(t: Task): void {
  const x = procKeys.get(t.proc);
  if (x) x.process = null;
  const y = taskKeys.get(t);
  if (y) y.thread = null;
}

/** What a process-per-enclave fork child gets: copies of the keys its session and user keyrings reach. */
export interface CarriedKeys {
  keys: { s: number; t: KeyType; d: string; u: number; g: number; p: number; data: string | null; l: number[]; r: boolean; e: number; x: boolean }[];
  session: number | null;
  uidRing: number | null;
  uidSes: number | null;
  reqkey: number;
}

export function carryKeys(k: Kernel, t: Task): CarriedKeys | undefined {
  const st = states.get(k);
  if (!st) return undefined;
  const u = st.users.get(k.config.uid);
  const session = procKeys.get(t.proc)?.session ?? null;
  const all = new Set<Key>();
  const add = (key: Key | null | undefined): void => {
    if (!key || all.has(key)) return;
    all.add(key);
    key.links.forEach(add);
  };
  add(session); add(u?.uidKeyring); add(u?.sessionKeyring);
  const n = now(k);
  return {
    keys: [...all].map((key) => ({
      s: key.serial, t: key.type, d: key.desc, u: key.uid, g: key.gid, p: key.perm >>> 0,
      data: key.payload ? hex(key.payload) : null, l: key.links.map((m) => m.serial), r: key.revoked,
      e: key.expiry ? Math.max(1, key.expiry - n) : 0, x: key.restricted,
    })),
    session: session?.serial ?? null, uidRing: u?.uidKeyring?.serial ?? null, uidSes: u?.sessionKeyring?.serial ?? null,
    reqkey: taskKeys.get(t)?.reqkeyDefl ?? 0,
  };
}

/** The child enclave's side: the copies, checked as data (serials positive and unique, links to carried keys). */
export function restoreKeys(k: Kernel, t: Task, c: CarriedKeys | undefined): void {
  if (!c) return;
  const bad = () => new Error('checkpoint: bad keys');
  if (!Array.isArray(c.keys) || c.keys.length > 100000) throw bad();
  const st = stateOf(k);
  const made = new Map<number, Key>();
  const n = now(k);
  for (const r of c.keys) {
    if (!Number.isInteger(r.s) || r.s < 3 || r.s > 0x7fffffff || made.has(r.s) || st.keys.has(r.s) || !keyTypeOf(r.t) || typeof r.d !== 'string') throw bad();
    const data = r.data === null ? null : unhexBytes(r.data, USER_MAX_DATA);
    if (r.data !== null && !data) throw bad();
    const qbytes = nameToBytes(r.d).length + 1 + (r.t === 'keyring' ? KEYRING_DEF_DATALEN : data?.length ?? 0);
    const key: Key = { serial: r.s, type: r.t, desc: r.d, uid: r.u | 0, gid: r.g | 0, perm: r.p >>> 0, payload: data ? new Uint8Array(data) : null, links: [], revoked: !!r.r, expiry: r.e > 0 ? n + r.e : 0, qbytes, restricted: !!r.x };
    made.set(r.s, key);
  }
  for (const r of c.keys) {
    if (!Array.isArray(r.l)) throw bad();
    made.get(r.s)!.links = r.l.map((s) => { const m = made.get(s); if (!m) throw bad(); return m; });
  }
  const pick = (s: number | null): Key | null => (s === null ? null : made.get(s) ?? (() => { throw bad(); })());
  for (const key of made.values()) {
    st.keys.set(key.serial, key);
    const u = st.user(key.uid);
    u.nkeys++;
    u.nbytes += key.qbytes;
  }
  const u = st.user(k.config.uid);
  u.uidKeyring = pick(c.uidRing);
  u.sessionKeyring = pick(c.uidSes);
  const ses = pick(c.session);
  if (ses) pk(t.proc).session = ses;
  if (Number.isInteger(c.reqkey) && c.reqkey >= 0 && c.reqkey <= 7) tk(t).reqkeyDefl = c.reqkey;
}

export function registerKeys(tab: SyscallTable): void {
  tab.def('add_key', 'sspud', (k, t, a) => wrap(() => {
    const plen = a.u(3);
    if (plen > 1024 * 1024 - 1) return -E.EINVAL;
    const typeStr = typeName(t, a.u(0));
    if (typeStr.startsWith('.')) return -E.EPERM;
    let desc: string | null = null;
    if (a.u(1)) {
      desc = descOf(t, a.u(1));
      if (desc === '') desc = null;
      else if (desc.startsWith('.') && typeStr.startsWith('keyring')) return -E.EPERM;
    }
    const data = plen ? t.proc.as.copyIn(a.u(2), plen) : null;
    const ring = lookup(k, t, a.i32(4), LOOKUP_CREATE, DEFER);
    return keyCreateOrUpdate(k, t, ring, typeStr, desc, data);
  }), 'partial', 'types user, logon, keyring');
  tab.def('request_key', 'sssd', (k, t, a) => wrap(() => {
    const typeStr = typeName(t, a.u(0));
    if (typeStr.startsWith('.')) return -E.EPERM;
    const desc = descOf(t, a.u(1));
    const callout = a.u(2) ? descOf(t, a.u(2)) : null;
    const dest = a.i32(3) ? lookup(k, t, a.i32(3), LOOKUP_CREATE, NEED_WRITE) : null;
    const type = keyTypeOf(typeStr);
    if (!type) return -E.ENOKEY;
    if (type === 'keyring' && callout !== null) return -E.EPERM; // keyrings cannot be constructed
    const r = searchCred(k, t, { match: (x) => x.desc === desc, type, stateCheck: true, skipExpired: true, possessed: true, result: null });
    if (typeof r === 'number') {
      if (r !== -E.EAGAIN && r !== -E.ENOKEY) return r;
      return -E.ENOKEY; // no callout, or the upcall (/sbin/request-key) failed
    }
    if (dest) {
      if (!permits(k, r, true, NEED_LINK)) return -E.EACCES;
      link(dest.key, r);
    }
    return r.serial;
  }), 'partial', 'searches the caller\'s keyrings; no upcall (ENOKEY)');
  tab.def('keyctl', 'dxxxx', (k, t, a) => wrap(() => keyctl(k, t, a)), 'partial',
    'user, logon and keyring types; no persistent keyrings, DH, public-key or notification operations (EOPNOTSUPP)');
}
