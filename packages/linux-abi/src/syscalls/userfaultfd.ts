/**
 * userfaultfd (fs/userfaultfd.c, mm/userfaultfd.c), MISSING mode for anonymous memory (private,
 * and MAP_SHARED anonymous, which Linux backs with shmem): a thread that touches a missing page
 * of a registered range sleeps until another serves it (UFFDIO_COPY, UFFDIO_ZEROPAGE) or wakes it
 * (UFFDIO_WAKE), then runs the instruction again, as handle_userfault's VM_FAULT_RETRY.
 *
 * As Linux 6.18: userfaultfd(2) flags O_CLOEXEC|O_NONBLOCK|UFFD_USER_MODE_ONLY (else EINVAL);
 * vm.unprivileged_userfaultfd is 0, so a caller without CAP_SYS_PTRACE (not root) must ask for
 * UFFD_USER_MODE_ONLY (else EPERM). UFFDIO_API once (api UFFD_API, the features below; EINVAL
 * otherwise, the answer zeroed); every other ioctl, read and poll need it first (EINVAL, EPOLLERR).
 * read() gives struct uffd_msg (UFFD_EVENT_PAGEFAULT, the page's address, WRITE for a store) of
 * faults not read yet, oldest first; poll of a blocking descriptor is EPOLLERR (userfaultfd_poll).
 *
 * Features: MISSING_SHMEM, SIGBUS (a missing page is SIGBUS BUS_ADRERR), THREAD_ID, EXACT_ADDRESS.
 * Not: WP and MINOR modes (EINVAL at register, as a kernel without them), the events (fork, remap,
 * remove, unmap: EINVAL), UFFDIO_WRITEPROTECT/CONTINUE/POISON/MOVE (ENOTTY-free ioctls answer EINVAL).
 *
 * A fault the kernel takes itself (a syscall copying to or from a missing registered page) is not
 * sent to userspace here: EFAULT, which is what Linux does for a UFFD_USER_MODE_ONLY descriptor;
 * without that flag Linux would make the syscall sleep until the page is served (approximated:
 * EFAULT too). A fork child's copy of a registered range is not registered (no EVENT_FORK). The
 * Shared anonymous memory in --untrusted-shared-memory (sgx) is the host's: registering it is
 * EINVAL, as a mapping vma_can_userfault refuses (its faults never reach this kernel as missing
 * pages it could hold). The same on every platform: on sgx the page a copy or zeropage fills is committed (EAUG + EACCEPTCOPY
 * with its bytes and the VMA's rights) exactly as a lazily committed anonymous page.
 */
import { E } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import type { Task, WaitState } from '../task.ts';
import type { SyscallTable } from './table.ts';
import { OpenFile, POLLERR, POLLIN, type IoctlMemory } from '../fs/file.ts';
import { AnonInode } from '../fs/pipe.ts';
import { WaitQueue } from '../fs/wait.ts';
import { fsOf } from '../fs/context.ts';
import { O_CLOEXEC, O_NONBLOCK, O_RDONLY } from '../fs/vfs.ts';
import { PAGE_SIZE } from '../mm/frames.ts';
import { USER_VA_END } from '../mm/sv39.ts';
import { ACCESS_WRITE, type AddressSpace, type UffdRegistration } from '../mm/address-space.ts';

const UFFD_USER_MODE_ONLY = 1;
const UFFD_API = 0xaan;
// include/uapi/linux/userfaultfd.h
const FEATURE_MISSING_SHMEM = 1n << 5n, FEATURE_SIGBUS = 1n << 7n, FEATURE_THREAD_ID = 1n << 8n, FEATURE_EXACT_ADDRESS = 1n << 11n;
const FEATURES = FEATURE_MISSING_SHMEM | FEATURE_SIGBUS | FEATURE_THREAD_ID | FEATURE_EXACT_ADDRESS;
const _UFFDIO_REGISTER = 0n, _UFFDIO_UNREGISTER = 1n, _UFFDIO_WAKE = 2n, _UFFDIO_COPY = 3n, _UFFDIO_ZEROPAGE = 4n, _UFFDIO_API = 0x3fn;
const API_IOCTLS = (1n << _UFFDIO_REGISTER) | (1n << _UFFDIO_UNREGISTER) | (1n << _UFFDIO_API);
const RANGE_IOCTLS = (1n << _UFFDIO_WAKE) | (1n << _UFFDIO_COPY) | (1n << _UFFDIO_ZEROPAGE);
const MODE_MISSING = 1n, MODE_WP = 2n, MODE_MINOR = 4n;
const COPY_MODE_DONTWAKE = 1n, COPY_MODE_WP = 2n, ZEROPAGE_MODE_DONTWAKE = 1n;
const EVENT_PAGEFAULT = 0x12, PAGEFAULT_FLAG_WRITE = 1;
// _IOWR/_IOR(0xAA, nr, struct): dir << 30 | size << 16 | 0xAA << 8 | nr
const ioc = (dir: number, size: number, nr: bigint): number => ((dir << 30) | (size << 16) | (0xaa << 8) | Number(nr)) >>> 0;
const UFFDIO_API = ioc(3, 24, _UFFDIO_API), UFFDIO_REGISTER = ioc(3, 32, _UFFDIO_REGISTER), UFFDIO_UNREGISTER = ioc(2, 16, _UFFDIO_UNREGISTER);
const UFFDIO_WAKE = ioc(2, 16, _UFFDIO_WAKE), UFFDIO_COPY = ioc(3, 40, _UFFDIO_COPY), UFFDIO_ZEROPAGE = ioc(3, 32, _UFFDIO_ZEROPAGE);
/** Linux's default vm.mmap_min_addr (validate_range). */
const MMAP_MIN_ADDR = 4096;
const MSG_SIZE = 32;

/** A thread sleeping on a missing page (struct userfaultfd_wait_queue). */
interface FaultWaiter { task: Task; addr: number; flags: number; read: boolean; wait: WaitState | null }

/** One userfaultfd context: the descriptor's file. Registered VMAs point at it. */
export class UffdFile extends OpenFile implements UffdRegistration {
  readonly q = new WaitQueue();
  initialized = false;
  features = 0n;
  released = false;
  /** Faults waiting to be served, oldest first (read or not yet). */
  readonly faults: FaultWaiter[] = [];

  constructor(flags: number, readonly mm: AddressSpace, readonly userModeOnly: boolean, loc: OpenFile['loc']) {
    super(flags);
    this.loc = loc;
  }
  get sigbus(): boolean {
    return (this.features & FEATURE_SIGBUS) !== 0n;
  }
  describe(): string {
    return 'anon_inode:[userfaultfd]';
  }
  override readQueue(): WaitQueue {
    return this.q;
  }
  /** Forgets sleepers whose sleep ended otherwise (a fatal signal, exit). */
  private prune(): void {
    for (let i = this.faults.length - 1; i >= 0; i--) {
      const f = this.faults[i]!;
      if (f.task.state !== 'blocked' || f.task.wait !== f.wait) this.faults.splice(i, 1);
    }
  }
  override poll(): number {
    if (!this.initialized || !(this.flags & O_NONBLOCK)) return POLLERR;
    this.prune();
    return this.faults.some((f) => !f.read) ? POLLIN : 0;
  }
  override read(len: number): Uint8Array | number {
    if (!this.initialized) return -E.EINVAL;
    if (len < MSG_SIZE) return -E.EINVAL;
    this.prune();
    const unread = this.faults.filter((f) => !f.read).slice(0, Math.floor(len / MSG_SIZE));
    if (unread.length === 0) return -E.EAGAIN;
    const out = new Uint8Array(unread.length * MSG_SIZE);
    const dv = new DataView(out.buffer);
    unread.forEach((f, i) => {
      f.read = true;
      const o = i * MSG_SIZE;
      out[o] = EVENT_PAGEFAULT;
      dv.setBigUint64(o + 8, BigInt(f.flags), true);
      const a = this.features & FEATURE_EXACT_ADDRESS ? f.addr : f.addr - (f.addr % PAGE_SIZE);
      dv.setBigUint64(o + 16, BigInt(a), true);
      if (this.features & FEATURE_THREAD_ID) dv.setUint32(o + 24, f.task.tid, true);
    });
    return out;
  }
  override close(): void {
    // userfaultfd_release: the ranges become ordinary memory and the sleepers run again.
    this.released = true;
    for (const v of this.mm.vmas) if (v.uffd === this) this.mm.setUffd(v.start, v.end, undefined);
    this.wakeRange(0, Infinity);
    this.q.notify();
  }

  /** wake_userfault: the sleepers on pages in [start, end) run their instruction again. */
  wakeRange(start: number, end: number): void {
    for (const f of [...this.faults]) {
      const page = f.addr - (f.addr % PAGE_SIZE);
      if (page < start || page >= end) continue;
      this.faults.splice(this.faults.indexOf(f), 1);
      const t = f.task;
      if (t.state === 'blocked' && t.wait === f.wait) {
        t.state = 'runnable';
        t.wait = null;
      }
    }
  }

  override ioctl(cmd: number, arg: number, io: IoctlMemory): number {
    cmd >>>= 0;
    if (cmd === UFFDIO_API) return this.api(arg, io);
    if (!this.initialized) return -E.EINVAL;
    switch (cmd) {
      case UFFDIO_REGISTER: return this.register(arg, io);
      case UFFDIO_UNREGISTER: return this.unregister(arg, io);
      case UFFDIO_WAKE: {
        const [start, len] = u64s(io.copyIn(arg, 16), 2);
        const r = validateRange(start!, len!);
        if (r) return r;
        this.wakeRange(Number(start), Number(start! + len!));
        return 0;
      }
      case UFFDIO_COPY: return this.fill(arg, io, true);
      case UFFDIO_ZEROPAGE: return this.fill(arg, io, false);
      default: return -E.EINVAL; // userfaultfd_ioctl's default
    }
  }

  private api(arg: number, io: IoctlMemory): number {
    const [api, features] = u64s(io.copyIn(arg, 24), 2);
    const fail = (errno: number): number => {
      io.copyOut(arg, new Uint8Array(24));
      return -errno;
    };
    if (api !== UFFD_API) return fail(E.EINVAL);
    if (features! & ~FEATURES) return fail(E.EINVAL);
    io.copyOut(arg, le64s([UFFD_API, FEATURES, API_IOCTLS]));
    if (this.initialized) return -E.EINVAL; // userfaultfd_set_initialized: one API call per descriptor
    this.initialized = true;
    this.features = features! | 0n;
    return 0;
  }

  /** The VMAs meeting [start, end), or an errno when some cannot be (un)registered. */
  private rangeVmas(start: number, end: number): ReturnType<AddressSpace['find']>[] | number {
    const vs = this.mm.vmas.filter((v) => v.start < end && v.end > start);
    if (vs.length === 0) return -E.EINVAL;
    for (const v of vs) {
      // vma_can_userfault for MISSING: anonymous (private or shared) memory only.
      if ((v.file && !v.file.anonShmem) || v.ushm) return -E.EINVAL;
    }
    return vs;
  }

  private register(arg: number, io: IoctlMemory): number {
    const [start, len, mode] = u64s(io.copyIn(arg, 32), 3);
    if (mode! & ~(MODE_MISSING | MODE_WP | MODE_MINOR) || !mode) return -E.EINVAL;
    if (mode! & (MODE_WP | MODE_MINOR)) return -E.EINVAL; // a kernel without CONFIG_HAVE_ARCH_USERFAULTFD_WP/MINOR
    const r = validateRange(start!, len!);
    if (r) return r;
    const s = Number(start), e = Number(start! + len!);
    const vs = this.rangeVmas(s, e);
    if (typeof vs === 'number') return vs;
    for (const v of vs) if (v!.uffd && v!.uffd !== this) return -E.EBUSY;
    this.mm.setUffd(s, e, this);
    io.copyOut(arg + 24, le64s([RANGE_IOCTLS]));
    return 0;
  }

  private unregister(arg: number, io: IoctlMemory): number {
    const [start, len] = u64s(io.copyIn(arg, 16), 2);
    const r = validateRange(start!, len!);
    if (r) return r;
    const s = Number(start), e = Number(start! + len!);
    const vs = this.rangeVmas(s, e);
    if (typeof vs === 'number') return vs;
    for (const v of vs) {
      if (v!.uffd !== this && v!.uffd) continue;
      if (v!.uffd) this.wakeRange(Math.max(s, v!.start), Math.min(e, v!.end));
    }
    this.mm.setUffd(s, e, undefined);
    return 0;
  }

  /** UFFDIO_COPY (copy) or UFFDIO_ZEROPAGE: mfill_atomic, then the result field and the wake. */
  private fill(arg: number, io: IoctlMemory, copy: boolean): number {
    const size = copy ? 40 : 32;
    const w = u64s(io.copyIn(arg, size - 8), copy ? 4 : 3);
    const dst = w[0]!, src = copy ? w[1]! : 0n, len = copy ? w[2]! : w[1]!, mode = copy ? w[3]! : w[2]!;
    if (copy) {
      const r = validateUnaligned(src, len);
      if (r) return r;
    }
    const r = validateRange(dst, len);
    if (r) return r;
    if (copy ? mode & ~(COPY_MODE_DONTWAKE | COPY_MODE_WP) : mode & ~ZEROPAGE_MODE_DONTWAKE) return -E.EINVAL;
    if (copy && mode & COPY_MODE_WP) return -E.EINVAL; // mfill_atomic: WP on a range not registered for it
    const d = Number(dst), n = Number(len);
    let done = 0, err = 0;
    // uffd_mfill_lock: the whole destination inside one VMA registered with this descriptor.
    const v = this.mm.find(d);
    if (!v || v.uffd !== this || d + n > v.end) err = E.ENOENT;
    while (!err && done < n) {
      const va = d + done;
      if (this.mm.present(va)) {
        err = E.EEXIST;
        break;
      }
      let bytes: Uint8Array | null = null;
      if (copy) {
        try {
          bytes = io.copyIn(Number(src) + done, PAGE_SIZE);
        } catch {
          err = E.EFAULT;
          break;
        }
      }
      if (!this.mm.fillMissing(v!, va, bytes)) {
        err = E.ENOMEM;
        break;
      }
      done += PAGE_SIZE;
    }
    const result = done > 0 ? done : -err;
    io.copyOut(arg + size - 8, le64s([BigInt.asUintN(64, BigInt(result))]));
    if (result < 0) return result;
    if (!(mode & 1n)) this.wakeRange(d, d + done);
    return done === n ? 0 : -E.EAGAIN;
  }
}

function u64s(b: Uint8Array, n: number): bigint[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: n }, (_, i) => dv.getBigUint64(i * 8, true));
}

function le64s(vals: bigint[]): Uint8Array {
  const b = new Uint8Array(vals.length * 8);
  const dv = new DataView(b.buffer);
  vals.forEach((v, i) => dv.setBigUint64(i * 8, v, true));
  return b;
}

const PAGE = BigInt(PAGE_SIZE), TASK_SIZE = BigInt(USER_VA_END);

/** UFFDIO_COPY's source: inside the user address space (a source below mmap_min_addr is EFAULT at the copy, as Linux 6.18 answered). */
function validateUnaligned(start: bigint, len: bigint): number {
  if (!len || start >= TASK_SIZE || len > TASK_SIZE - start) return -E.EINVAL;
  return 0;
}

/** validate_range: page aligned, not below mmap_min_addr, inside the user address space. */
function validateRange(start: bigint, len: bigint): number {
  if (start % PAGE || len % PAGE || start < BigInt(MMAP_MIN_ADDR)) return -E.EINVAL;
  return validateUnaligned(start, len);
}

/**
 * handle_userfault for a fault of the hart at addr (the page is missing in a registered range):
 * the task sleeps, its message queued for read(); a served or woken page, or the descriptor's
 * close, makes it runnable with its pc still at the instruction, which runs again. A signal ends
 * the sleep the same way (its handler runs first, then the instruction), as VM_FAULT_RETRY does.
 */
export function userfaultWait(k: Kernel, task: Task, addr: number, access: number): void {
  const ctx = task.proc.as.find(addr)?.uffd;
  if (!(ctx instanceof UffdFile) || ctx.released) return; // nothing to wait for: the retry maps it
  const f: FaultWaiter = { task, addr, flags: access & ACCESS_WRITE ? PAGEFAULT_FLAG_WRITE : 0, read: false, wait: null };
  ctx.faults.push(f);
  const drop = (): void => {
    const i = ctx.faults.indexOf(f);
    if (i >= 0) ctx.faults.splice(i, 1);
  };
  k.block(task, {
    deadline: Infinity, onTimeout: 0, restartable: false, onWake: drop,
    onSignal: () => {
      drop();
      task.state = 'runnable';
      task.wait = null;
      return true;
    },
  });
  f.wait = task.wait;
  ctx.q.notify();
}

export function registerUserfaultfd(tab: SyscallTable): void {
  tab.def('userfaultfd', 'x', (k, t, a) => {
    const flags = a.i32(0);
    // userfaultfd_syscall_allowed: vm.unprivileged_userfaultfd = 0, CAP_SYS_PTRACE is root's.
    if (!(flags & UFFD_USER_MODE_ONLY) && k.config.uid !== 0) return -E.EPERM;
    if (flags & ~(O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY)) return -E.EINVAL;
    const m = fsOf(k).anonMount;
    const f = new UffdFile(O_RDONLY | (flags & O_NONBLOCK), t.proc.as, (flags & UFFD_USER_MODE_ONLY) !== 0, { mnt: m, inode: new AnonInode(m.sb) });
    const fd = t.proc.fds.install(f, (flags & O_CLOEXEC) !== 0);
    if (fd < 0) f.close();
    return fd;
  }, 'partial', 'MISSING mode on private and shared anonymous memory (not --untrusted-shared-memory, which is the host\'s: EINVAL); no WP/MINOR modes, no events, no /dev/userfaultfd; a fault the kernel takes in a syscall is EFAULT (as UFFD_USER_MODE_ONLY) also without that flag');
}
