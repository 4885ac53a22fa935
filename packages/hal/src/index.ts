/**
 * The HAL contract (DESIGN.md section 4): what differs between TEE platforms, and nothing
 * else. The kernel (linux-abi) sees only these interfaces. It asks capabilities and
 * adapts; it never asks which platform it runs on.
 *
 * Types only: no platform code lives here (bytes.ts, beside it, holds the byte helpers every
 * platform model shares).
 */

/** The hart as the kernel needs it: the user register file and the trap that stopped it. */
export interface UserRegisters {
  getX(i: number): bigint;
  setX(i: number, v: bigint): void;
  getXLo(i: number): number;
  getXHi(i: number): number;
  setXParts(i: number, lo: number, hi: number): void;
  getF(i: number): bigint;
  setF(i: number, bits: bigint): void;
  getPC(): bigint;
  setPC(v: bigint): void;
  /** The pc as int32 halves: the system-call path avoids BigInt. */
  getPCLo(): number;
  getPCHi(): number;
  setPCParts(lo: number, hi: number): void;
  /** The user-visible FP control and status register (fflags | frm << 5). */
  getFcsr(): number;
  setFcsr(v: number): void;
}

/** Why user execution stopped. `cause` is the RISC-V exception code (scause without bit 63). */
export type UserTrap =
  | { kind: 'syscall' }
  | { kind: 'budget' }
  | { kind: 'interrupt'; cause: number }
  | { kind: 'exception'; cause: number; tval: bigint; pc: bigint };

/** Execution: enter user mode on a hart, get control back on a trap, a budget or an event. */
export interface Execution {
  readonly regs: UserRegisters;
  /** Hardware threads the platform gives the kernel (Keystone harts, SGX TCSs, SEV vCPUs). */
  readonly hartCount: number;
  /** True when the platform can interrupt user code (timer); otherwise the kernel relies on budgets. */
  readonly preemptive: boolean;
  /**
   * Runs user code from the current register state for at most `budget` instructions.
   * On return after a syscall the pc still points at the ecall: the kernel advances it.
   */
  runUser(budget: number): UserTrap;
  /** Retired user instructions so far (for rusage and benchmarks). */
  instret(): number;
  /** Instruction memory changed behind the hart's back (exec, or the kernel wrote code pages). */
  codeWritten(paddr: number, len: number): void;
}

/** A range of guest physical memory. */
export interface PhysRange {
  readonly base: number;
  readonly size: number;
}

/** Memory: the enclave's private physical memory, and how user address spaces are made. */
export interface EnclaveMemory {
  /** All of the enclave's private memory. Guest physical address p is bytes[p - phys.base]. */
  readonly bytes: Uint8Array;
  readonly phys: PhysRange;
  /** Physical memory the kernel may allocate from (what the images did not take). */
  readonly free: PhysRange;
  /** Where the platform placed the (measured) application image, as the host laid it. */
  readonly appImage: PhysRange & { length: number };
  /**
   * 'sv39': the kernel owns page tables (Keystone, SEV): it builds Sv39 tables in its memory
   *   and activates them with activatePageTable.
   * 'fixed': the platform fixes the linear range and page permissions (SGX): the kernel maps
   *   by asking the platform (later: EAUG/EMODPR).
   */
  readonly paging: 'sv39' | 'fixed';
  /** Activates a root page table (physical address of the Sv39 root) and flushes the TLB. */
  activatePageTable(rootPaddr: number, asid: number): void;
  /**
   * 'fixed' paging only (SGX): user pages live at fixed linear addresses that the platform
   * backs. The kernel asks for a page with PROT_* rights (SGX2: the host EAUGs it, the
   * enclave EACCEPTs it) and gets its physical address, or -1 when the platform has none.
   * With `contents` (4096 bytes) the page arrives holding them, already with the asked rights
   * (SGX2: EACCEPTCOPY), so a read-only or executable page is never writable on the way in.
   */
  commitPage?(va: number, prot: number, contents?: Uint8Array): number;
  /** 'fixed' only: new rights for a committed page (SGX2: EMODPR/EMODPE, then EACCEPT). */
  protectPage?(va: number, prot: number): void;
  /** 'fixed' only: gives a page back (SGX2: EMODT to PT_TRIM, EACCEPT, the host's EREMOVE). */
  releasePage?(va: number): void;
  /** 'fixed' only, optional: gives many pages back at once (SGX2: by ranges, one host call each step). */
  releasePages?(vas: readonly number[]): void;
  /** 'fixed' only: the physical address of a committed page, or -1. */
  translate?(va: number): number;
  /** 'fixed' only: the rights a committed page has now (PROT_* bits), or 0. */
  pageRights?(va: number): number;
  /** 'fixed' only: the linear addresses user memory may use (ELRANGE less what the runtime holds). */
  readonly userRange?: PhysRange;
  /** Flushes address translations after the kernel changed page tables. */
  flushTlb(): void;
  /**
   * Untrusted shared memory (SGX, and only when the operator opted in: `teeos run
   * --untrusted-shared-memory`, recorded in the measured configuration): host memory outside
   * the enclave's protected range that user pages may map, so that processes in different
   * enclaves share MAP_SHARED memory. The host can read and change every byte of it at any time.
   * Absent: shared memory stays inside the enclaves (its pages migrate between them; no futex
   * wake across enclaves).
   */
  readonly untrustedShared?: UntrustedSharedMemory;
}

/** A piece of host memory, the same bytes in every enclave that attached it. */
export interface UntrustedRegion {
  /** The host's name for it (the checkpoint carries it to a fork child). */
  readonly id: number;
  readonly size: number;
  /** The bytes (host memory: racy, and hostile). */
  readonly bytes: Uint8Array;
  /**
   * The physical address the hart reaches byte 0 at: the same in every enclave of the family
   * (it depends only on the id), so it also keys a futex on the region across enclaves.
   */
  readonly phys: number;
}

/** The capability of EnclaveMemory.untrustedShared. */
export interface UntrustedSharedMemory {
  /** Linear addresses where regions may be mapped: outside the enclave's protected range. */
  readonly window: PhysRange;
  /** A new zero-filled region of `size` bytes (a page multiple) from the host, or null. */
  create(size: number): UntrustedRegion | null;
  /**
   * A region another process of the family created (the id from a checkpoint). The host's
   * answer is checked: it must be a region of exactly `size` bytes, else null.
   */
  attach(id: number, size: number): UntrustedRegion | null;
  /** Maps the page at `va` (inside window) to byte `off` of the region, PROT_READ/PROT_WRITE (never exec). */
  map(va: number, region: UntrustedRegion, off: number, prot: number): boolean;
  unmap(va: number): void;
  /**
   * Futexes on regions across enclaves, kept by the host (it sees only region and offset):
   * register a waiter before checking the word (a wake after the check then finds it), cancel
   * when the wait ends, wake up to n waiters of other enclaves (returns how many it woke), and
   * collect the registrations of this enclave that another enclave woke.
   */
  futexWait(region: number, off: number, bitset: number): number;
  futexCancel(token: number): void;
  futexWake(region: number, off: number, n: number, bitset: number): number;
  futexWoken(): number[];
}

/** Linux-shaped requests the kernel forwards to the untrusted host. */
export type HostRequest =
  | { op: 'write'; fd: number; data: Uint8Array }
  | { op: 'read'; fd: number; len: number }
  | { op: 'fstat'; fd: number }
  | { op: 'tcgets'; fd: number }
  | { op: 'winsize'; fd: number }
  /** TCSETS (action 0), TCSETSW (1), TCSETSF (2): the host terminal takes these settings (raw mode). */
  | { op: 'tcsets'; fd: number; action: number; termios: Uint8Array }
  | { op: 'clock'; clock: 'realtime' | 'monotonic' }
  | HostFileRequest;

/**
 * Host file calls: a Linux file syscall forwarded by number on the host's descriptors (the
 * model of Keystone's edge_syscall). The host's descriptor space: 0..2 its stdio, 3 the root
 * image (read only), 4.. the directories of `--mount`, in order; openat returns new ones.
 * `args` are the syscall's integer arguments in order, `data` carries its input buffers
 * (paths NUL-terminated, back to back, then write data), `outLen` the room for its output
 * buffer. The platform carries these opaquely; the kernel checks every answer (ret within
 * its bounds, output lengths, stat fields), since the host's files have no integrity here.
 *
 *   nr  call          args                          data                 out (<= outLen)
 *   56  openat        dirfd, flags, mode            path\0               -
 *   57  close         fd                            -                    -
 *   61  getdents64    fd                            -                    linux_dirent64 records, ret bytes
 *   67  pread64       fd, len, offset               -                    ret bytes
 *   68  pwrite64      fd, len, offset               the bytes            -
 *   78  readlinkat    dirfd                         path\0               ret bytes
 *   79  newfstatat    dirfd, flags                  path\0               struct stat (128)
 *   34  mkdirat       dirfd, mode                   path\0               -
 *   35  unlinkat      dirfd, flags                  path\0               -
 *   36  symlinkat     newdirfd                      target\0 path\0      -
 *   37  linkat        olddirfd, newdirfd            old\0 new\0          -   (a hard link; never follows a symlink)
 *   38  renameat      olddirfd, newdirfd            old\0 new\0          -
 *   46  ftruncate     fd, length                    -                    -
 *   53  fchmodat      dirfd, mode                   path\0               -
 *  286  preadv2       0, len, -1, RWF_NOWAIT        -                    ret bytes typed on the terminal
 *                     (stdin only; EAGAIN when nothing was typed: how Ctrl-C reaches a computing guest)
 */
export interface HostFileRequest {
  op: 'fs';
  nr: number;
  args: number[];
  data: Uint8Array;
  outLen: number;
}

/** The host's answers, already decoded and checked against the wire format's bounds. */
export type HostReply =
  | { op: 'write'; ret: number }
  | { op: 'read'; ret: number; data: Uint8Array }
  | { op: 'fstat'; ret: number; stat: Uint8Array }
  | { op: 'tcgets'; ret: number; termios: Uint8Array }
  | { op: 'winsize'; ret: number; rows: number; cols: number }
  | { op: 'tcsets'; ret: number }
  | { op: 'clock'; ret: number; sec: number; nsec: number }
  /** ret as the host gave it (in [-4095, 2^53)); data: the output window, outLen bytes. */
  | { op: 'fs'; ret: number; data: Uint8Array };

export type ReplyOf<R extends HostRequest> = Extract<HostReply, { op: R['op'] }>;

/** Host calls: one typed request/response primitive; the platform owns the wire format. */
export interface HostChannel {
  call<R extends HostRequest>(req: R): ReplyOf<R>;
  /** The most bytes one request or reply can carry (the kernel splits larger I/O). */
  readonly maxPayload: number;
  /** Host calls made so far (the TEE tax, shown by `teeos run --stats`). */
  readonly count: number;
}

/** Identity: measurement, attestation, sealing. */
export interface Identity {
  /** The enclave's measurement as the platform computed it at launch. */
  measurement(): Uint8Array;
  /** A platform report binding up to 64 bytes of user data (the platform's own format). */
  report(userData: Uint8Array): Uint8Array;
  /** A sealing key bound to this enclave's identity and the given label. */
  sealingKey(label: Uint8Array): Uint8Array;
}

/**
 * Process-per-enclave (SGX): one enclave cannot hold a second address space, so fork starts a
 * NEW enclave from the same measured image and hands it a checkpoint of the parent; afterwards the
 * processes are in different enclaves and what they share goes through the host, sealed. The
 * platform owns the how (attestation of the new enclave, the keys, the sealing, the host
 * channels); the kernel owns the what (checkpoint contents, message meanings). Platforms whose
 * kernel can fork inside one enclave (Keystone, SEV) do not offer this capability.
 */
export interface EnclaveFamily {
  /** The checkpoint this enclave was started from (already authenticated), or null for the first. */
  readonly restored: Uint8Array | null;
  /**
   * Starts a new enclave with this enclave's identity that resumes from `checkpoint` as process
   * `pid`. 0 once that enclave has proven its identity and accepted the checkpoint; a negative
   * errno otherwise (nothing of the checkpoint left this enclave unprotected).
   */
  spawn(pid: number, checkpoint: Uint8Array): number;
  /** A process id unique across the family (the host hands them out; the kernel never reuses them). */
  allocPid(): number;
  /** Sends a message to the enclave that runs `pid`: 0, or -ESRCH when the host knows no such enclave. */
  send(pid: number, msg: Uint8Array): number;
  /** The messages that arrived for this enclave and passed authentication (others are dropped and logged). */
  receive(): Uint8Array[];
  /** Cheap (no host call): something may have arrived or changed since `seen` (a counter). */
  readonly events: number;
  /** Nothing runnable: wait until `events` moves on from `seen`, or `ns` pass. */
  waitEvents(seen: number, ns: number): void;
  /** Byte channels the host keeps for pipes whose ends are in different enclaves (records sealed). */
  channelCreate(): number;
  /** Appends data (one record). 0 or -errno. */
  channelWrite(id: number, data: Uint8Array): number;
  /** Takes up to `max` bytes of whole records (at least one record if any is queued), with the end counts. */
  channelRead(id: number, max: number): { ret: number; data: Uint8Array; readers: number; writers: number; queued: number };
  /** This enclave now holds `readers` read ends and `writers` write ends of the channel. */
  channelRefs(id: number, readers: number, writers: number): void;
  /**
   * Puts bytes this enclave had fetched but not consumed back at the front of the channel (at
   * fork, so the new enclave holding the read end can read them too); 0 or a negative errno.
   */
  channelUnread(id: number, data: Uint8Array): number;
  /**
   * Family-wide names (the path of a listening unix socket, so that the other enclaves can
   * connect to it): the host keeps only an opaque tag the platform derives from the name with
   * the family's key. publish: 0, or -EADDRINUSE when another enclave holds the name.
   */
  publish(name: Uint8Array): number;
  unpublish(name: Uint8Array): void;
  /**
   * The pid of the enclave that published `name`, or -ENOENT. The host answers, so it may lie:
   * the caller asks that enclave (a sealed message), which checks that it serves the name.
   */
  lookup(name: Uint8Array): number;
}

export interface Platform {
  /** A short human name for logs ("keystone"); the kernel must not branch on it. */
  readonly name: string;
  readonly exec: Execution;
  readonly memory: EnclaveMemory;
  readonly host: HostChannel;
  readonly identity: Identity;
  /** Fills buf with random bytes from the platform's trusted source. */
  random(buf: Uint8Array): void;
  /** Trusted monotonic time in nanoseconds (never goes backwards). */
  monotonicNs(): number;
  /** Nothing can run: let up to `ns` of time pass without burning the host's CPU. */
  sleepNs(ns: number): void;
  /** Leaves the enclave for good with the given wait status (Linux encoding). */
  exit(waitStatus: number): void;
  /** A diagnostic line for the operator (goes to the host's stderr, marked as from the enclave kernel). */
  log(line: string): void;
  /** Process-per-enclave platforms only: fork as a new enclave, and what the enclaves share. */
  readonly family?: EnclaveFamily;
}
