/**
 * The HAL on the Intel SGX model: what a LibOS's platform layer (Gramine's PAL for linux-sgx)
 * does for the kernel.
 * - execution: user code runs until the CPU takes it out with an AEX (an exception: SYSCALL is
 *   #UD inside an enclave, page faults, or the end of the time budget, which stands for the
 *   host's timer interrupt). The AEX saves the context to SSA frame 0 of the TCS and goes to the
 *   host, which ERESUMEs; the TCS has AEX-Notify, so the enclave's handler (this kernel) regains
 *   control and reads the context from the SSA. The user registers the kernel sees ARE that SSA
 *   frame. No interrupt ever reaches code inside the enclave: `preemptive` is false.
 * - threads: hartCount = the number of TCS pages fixed at build time (this kernel runs its
 *   scheduler on TCS 0 and multiplexes every guest thread there).
 * - memory: paging 'fixed'. ELRANGE is fixed at ECREATE; the kernel gets the user range of it.
 *   commitPage: EACCEPT of a pending page (SGX2); the host's driver EAUGs it when EACCEPT faults
 *   (Linux's SGX driver does the same on a #PF inside ELRANGE), then rights are set: EMODPE to
 *   extend (enclave), EMODPR (host, by OCALL) + EACCEPT to restrict; with contents, EACCEPTCOPY
 *   (bytes and final rights at once: how a migrated file page arrives). releasePage: EMODT to TRIM
 *   (host) + EACCEPT + EREMOVE (host). Whatever the host does, EACCEPT checks it against what the
 *   enclave asked for; a host that refuses only denies service.
 * - host calls: OCALLs (machine/protocol.ts has the frame): arguments marshalled into untrusted
 *   memory, EEXIT, the host serves, EENTER(ECMD_ORET); every reply is checked against the bounds
 *   the enclave set.
 * - identity: EREPORT / EGETKEY (machine/quoting-enclave.ts says where reports are targeted).
 * - fork: one enclave holds one address space, so the HAL offers the EnclaveFamily capability:
 *   a new enclave of the same image, an attested and sealed checkpoint, sealed messages and pipe
 *   channels through the host (runtime/family.ts; docs/sgx-fork.md has the design and its limits).
 */
import type {
  EnclaveMemory, UntrustedRegion, UntrustedSharedMemory, PhysRange, Execution, HostChannel, HostReply, HostRequest, Identity, Platform, ReplyOf, UserRegisters, UserTrap,
} from '@teeos/hal';
import { sha256 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import type { SgxMachine } from '../machine/machine.ts';
import {
  PAGE, SSA_X, SSA_F, SSA_FCSR, SSA_PC, SSA_CAUSE, SSA_TVAL, ECMD_ORET, SI_R, SI_W, SI_X, SI_PENDING, SI_MODIFIED, SI_PR,
  PT_REG, PT_TRIM, siFlags, OCALL_WRITE, OCALL_READ, OCALL_FSTAT, OCALL_TCGETS, OCALL_WINSIZE, OCALL_CLOCK,
  OCALL_CONSOLE, OCALL_EXIT, OCALL_EMODPR, OCALL_TRIM, OCALL_REMOVE, OCALL_TRIM_RANGES, OCALL_REMOVE_RANGES, OCALL_FS, OCALL_TCSETS, MS_FS_INPUT, MS_INDEX, MS_RETVAL, MS_ARG0, MS_ARG1, MS_OUT_LEN,
  MS_OUT0, MS_OUT1, MS_DATA, MS_OFFSET, STAT_SIZE, TERMIOS_SIZE, OCALL_USHM, USHM_CREATE, USHM_ATTACH, USHM_FWAIT, USHM_FCANCEL,
  USHM_FWAKE, USHM_FWOKEN, USHM_PHYS_BASE, USHM_REGION_SPAN, USHM_MAX_ID, type EnclaveConfig,
} from '../machine/protocol.ts';
import { qeModelTargetInfo } from '../machine/quoting-enclave.ts';
import { SgxFamily } from './family.ts';
import { encodeKeyRequest, SGX_KEYSELECT_SEAL, SGX_KEYPOLICY_MRENCLAVE, SGX_TARGETINFO_SIZE } from '../report.ts';

const CSR_TIME = 0xc01;
const CAUSE_ECALL_U = 8;
/** The `time` CSR ticks at 10 MHz in this machine model. */
const NS_PER_TICK = 100;
const EIO = 5;
const REPORT_MRENCLAVE_OFFSET = 64;

/** The user context as the SSA frame holds it. */
class SsaRegisters implements UserRegisters {
  private readonly dv: DataView;
  constructor(m: SgxMachine) {
    this.dv = new DataView(m.epc.buffer, m.epc.byteOffset + m.ssaOffset, PAGE);
  }
  getX(i: number) { return i === 0 ? 0n : this.dv.getBigUint64(SSA_X + 8 * i, true); }
  setX(i: number, v: bigint) { if (i !== 0) this.dv.setBigUint64(SSA_X + 8 * i, BigInt.asUintN(64, v), true); }
  getXLo(i: number) { return i === 0 ? 0 : this.dv.getInt32(SSA_X + 8 * i, true); }
  getXHi(i: number) { return i === 0 ? 0 : this.dv.getInt32(SSA_X + 8 * i + 4, true); }
  setXParts(i: number, lo: number, hi: number) {
    if (i === 0) return;
    this.dv.setInt32(SSA_X + 8 * i, lo, true);
    this.dv.setInt32(SSA_X + 8 * i + 4, hi, true);
  }
  getF(i: number) { return this.dv.getBigUint64(SSA_F + 8 * i, true); }
  setF(i: number, b: bigint) { this.dv.setBigUint64(SSA_F + 8 * i, BigInt.asUintN(64, b), true); }
  getPC() { return this.dv.getBigUint64(SSA_PC, true); }
  setPC(v: bigint) { this.dv.setBigUint64(SSA_PC, BigInt.asUintN(64, v), true); }
  getPCLo() { return this.dv.getInt32(SSA_PC, true); }
  getPCHi() { return this.dv.getInt32(SSA_PC + 4, true); }
  setPCParts(lo: number, hi: number) { this.dv.setInt32(SSA_PC, lo, true); this.dv.setInt32(SSA_PC + 4, hi, true); }
  getFcsr() { return this.dv.getUint32(SSA_FCSR, true) & 0xff; }
  setFcsr(v: number) { this.dv.setUint32(SSA_FCSR, v & 0xff, true); }
}

class SgxExecution implements Execution {
  readonly regs: SsaRegisters;
  readonly hartCount: number;
  readonly preemptive = false;
  private readonly dv: DataView;
  aexCount = 0;
  constructor(private readonly m: SgxMachine, c: EnclaveConfig) {
    this.regs = new SsaRegisters(m);
    this.hartCount = c.tcsCount;
    this.dv = new DataView(m.epc.buffer, m.epc.byteOffset + m.ssaOffset, PAGE);
  }
  runUser(budget: number): UserTrap {
    this.m.resumeUser(budget);
    this.aexCount++;
    const cause = this.dv.getBigUint64(SSA_CAUSE, true);
    if (cause >> 63n) {
      const c = Number(cause & 0xffn);
      return c === 5 ? { kind: 'budget' } : { kind: 'interrupt', cause: c };
    }
    if (Number(cause) === CAUSE_ECALL_U) return { kind: 'syscall' };
    return { kind: 'exception', cause: Number(cause), tval: this.dv.getBigUint64(SSA_TVAL, true), pc: this.regs.getPC() };
  }
  instret(): number {
    return this.m.hart.instret;
  }
  codeWritten(paddr: number, len: number): void {
    this.m.hart.notifyPhysWrite(paddr, len);
  }
}

const PROT_R = 1, PROT_W = 2, PROT_X = 4;
/** PROT_* and SECINFO R/W/X share bit values; W implies R (SGX refuses W without R). */
const norm = (prot: number) => (prot & PROT_W ? prot | PROT_R : prot) & (SI_R | SI_W | SI_X);

/**
 * Untrusted shared memory (only when the measured config has the window): regions are the host's
 * SharedArrayBuffers, mapped at linear pages of the window (outside ELRANGE) that the kernel
 * chooses. What the host answers is checked against what the enclave asked or already knows
 * (the id it was told at CREATE, the size the checkpoint records); it can still read and change
 * the bytes whenever it likes: that is what untrusted means.
 */
class SgxUntrustedShared implements UntrustedSharedMemory {
  readonly window: PhysRange;
  private readonly regions = new Map<number, UntrustedRegion>();
  constructor(private readonly m: SgxMachine, c: EnclaveConfig, private readonly host: OcallChannel) {
    this.window = { base: c.ushmBase, size: c.ushmSize };
  }
  private take(id: number, size: number): UntrustedRegion | null {
    const have = this.regions.get(id);
    if (have) return have.size === size ? have : null;
    if (!Number.isInteger(id) || id <= 0 || id >= USHM_MAX_ID) return null;
    const buf = this.m.ushmTake(id);
    if (!buf || buf.byteLength !== size) return null;
    const phys = USHM_PHYS_BASE + id * USHM_REGION_SPAN;
    if (!this.m.ushmAdd(phys, buf)) return null;
    const r = { id, size, bytes: new Uint8Array(buf), phys };
    this.regions.set(id, r);
    return r;
  }
  create(size: number): UntrustedRegion | null {
    if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE || size > USHM_REGION_SPAN) return null;
    const id = this.host.raw(OCALL_USHM, USHM_CREATE, new Uint8Array(0), 0, [size]).ret;
    if (id <= 0 || this.regions.has(id)) return null; // a host reusing a live id is refused
    return this.take(id, size);
  }
  attach(id: number, size: number): UntrustedRegion | null {
    if (this.regions.has(id)) return this.take(id, size);
    const got = this.host.raw(OCALL_USHM, USHM_ATTACH, new Uint8Array(0), 0, [id]).ret;
    return got === size ? this.take(id, size) : null;
  }
  map(va: number, region: UntrustedRegion, off: number, prot: number): boolean {
    const w = this.window;
    if (!Number.isSafeInteger(va) || va % PAGE || va < w.base || va + PAGE > w.base + w.size) return false;
    if (this.regions.get(region.id) !== region || off < 0 || off % PAGE || off + PAGE > region.size) return false;
    return this.m.ushmMap(va, region.phys + off, norm(prot) & (SI_R | SI_W));
  }
  unmap(va: number): void {
    this.m.ushmUnmap(va);
  }
  futexWait(region: number, off: number, bitset: number): number {
    return this.host.raw(OCALL_USHM, USHM_FWAIT, new Uint8Array(0), 0, [region, off, bitset >>> 0]).ret;
  }
  futexCancel(token: number): void {
    this.host.raw(OCALL_USHM, USHM_FCANCEL, new Uint8Array(0), 0, [token]);
  }
  futexWake(region: number, off: number, n: number, bitset: number): number {
    const r = this.host.raw(OCALL_USHM, USHM_FWAKE, new Uint8Array(0), 0, [region, off, n, bitset >>> 0]).ret;
    // The host says how many it woke: believed only within [0, n] (a lie is a wrong count, no more).
    return r < 0 ? 0 : Math.min(r, n);
  }
  futexWoken(): number[] {
    const r = this.host.raw(OCALL_USHM, USHM_FWOKEN, new Uint8Array(0), 4096);
    if (!r.out || r.ret <= 0) return [];
    const out: number[] = [];
    const dv = new DataView(r.out.buffer, r.out.byteOffset, r.out.byteLength);
    for (let o = 0; o + 4 <= r.out.length; o += 4) out.push(dv.getUint32(o, true));
    return out;
  }
}

export class SgxMemory implements EnclaveMemory {
  readonly bytes: Uint8Array;
  readonly phys;
  readonly free;
  readonly appImage;
  readonly userRange;
  readonly paging = 'fixed' as const;
  readonly untrustedShared?: UntrustedSharedMemory;
  committed = 0;
  constructor(private readonly m: SgxMachine, c: EnclaveConfig, epcSize: number, private readonly host: OcallChannel) {
    this.bytes = m.epc;
    this.phys = { base: m.epcBase, size: m.epc.length };
    const size = Math.max(PAGE, Math.min(m.epc.length, Number.isSafeInteger(epcSize) ? epcSize : 0));
    this.free = { base: m.epcBase, size: size - (size % PAGE) };
    this.userRange = { base: c.userBase, size: c.userSize };
    // The measured config decides, not the host: an enclave built without the window has none.
    if (c.ushmSize > 0) this.untrustedShared = new SgxUntrustedShared(m, c, host);
    // The kernel reads the measured ELF where the host EADDed it: the pages must be contiguous EPC.
    const first = m.translate(c.appLin);
    for (let o = 0; o < c.appLen; o += PAGE) {
      if (first < 0 || m.translate(c.appLin + o) !== first + o) throw new Error('SGX: the application pages are not contiguous in the EPC');
    }
    this.appImage = { base: first, size: Math.ceil(c.appLen / PAGE) * PAGE, length: c.appLen };
  }
  private inUser(va: number): boolean {
    return Number.isSafeInteger(va) && va % PAGE === 0 && va >= this.userRange.base && va + PAGE <= this.userRange.base + this.userRange.size;
  }
  activatePageTable(): void {
    // The enclave controls no page tables: the machine maps ELRANGE from the EPCM.
  }
  flushTlb(): void {
    // EPCM changes flush the hart's TLB as they happen.
  }
  /** From the rights a page has to `want`: EMODPE to extend, EMODPR (host) + EACCEPT to restrict. */
  private setRights(va: number, have: number, want: number): void {
    const add = want & ~have;
    if (add && this.m.emodpe(va, want) !== 0) throw new Error(`SGX: EMODPE 0x${va.toString(16)} failed`);
    if (have & ~want) {
      this.host.pageOp(OCALL_EMODPR, va, want);
      // EACCEPT checks that the host restricted to exactly what was asked (or refuses).
      const s = this.m.eaccept(va, siFlags(PT_REG, SI_PR | want));
      if (s !== 0) throw new Error(`SGX: the host did not restrict 0x${va.toString(16)} as asked (EACCEPT ${s})`);
    }
  }
  commitPage(va: number, prot: number, contents?: Uint8Array): number {
    if (!this.inUser(va)) return -1;
    if (contents) {
      // EACCEPTCOPY: contents and final rights in one step (the host only EAUGs; a page it did not
      // add, or added differently, fails here and the kernel sees no page).
      if (contents.length !== PAGE || this.m.eacceptcopy(va, siFlags(PT_REG, norm(prot)), contents) !== 0) return -1;
      this.committed++;
      return this.m.translate(va);
    }
    if (this.m.eaccept(va, siFlags(PT_REG, SI_R | SI_W | SI_PENDING)) !== 0) return -1;
    this.committed++;
    const want = norm(prot);
    if (want !== (SI_R | SI_W)) this.setRights(va, SI_R | SI_W, want);
    return this.m.translate(va);
  }
  protectPage(va: number, prot: number): void {
    if (this.m.translate(va) < 0) return;
    const have = this.m.pageRights(va), want = norm(prot);
    if (have !== want) this.setRights(va, have, want);
  }
  releasePage(va: number): void {
    if (this.m.translate(va) < 0) return;
    this.host.pageOp(OCALL_TRIM, va, 0);
    const s = this.m.eaccept(va, siFlags(PT_TRIM, SI_MODIFIED));
    if (s !== 0) throw new Error(`SGX: the host did not trim 0x${va.toString(16)} (EACCEPT ${s})`);
    this.host.pageOp(OCALL_REMOVE, va, 0);
    this.committed--;
  }
  /**
   * Many pages at once (munmap, exit, exec): one OCALL to trim them all by ranges, an EACCEPT of
   * each inside, one OCALL to remove them, instead of two OCALLs per page.
   */
  releasePages(vas: readonly number[]): void {
    const live = vas.filter((va) => this.m.translate(va) >= 0).sort((a, b) => a - b);
    if (live.length === 0) return;
    const ranges: Array<[number, number]> = [];
    for (const va of live) {
      const last = ranges[ranges.length - 1];
      if (last && last[0] + last[1] * PAGE === va) last[1]++;
      else ranges.push([va, 1]);
    }
    this.host.pageRanges(OCALL_TRIM_RANGES, ranges);
    for (const va of live) {
      const s = this.m.eaccept(va, siFlags(PT_TRIM, SI_MODIFIED));
      if (s !== 0) throw new Error(`SGX: the host did not trim 0x${va.toString(16)} (EACCEPT ${s})`);
    }
    this.host.pageRanges(OCALL_REMOVE_RANGES, ranges);
    this.committed -= live.length;
  }
  translate(va: number): number {
    return this.m.translate(va);
  }
  pageRights(va: number): number {
    return this.m.pageRights(va);
  }
}

/** OCALLs through untrusted memory. The reply is believed only within the bounds the request set. */
export class OcallChannel implements HostChannel {
  readonly maxPayload: number;
  count = 0;
  private readonly dv: DataView;
  private readonly u: Uint8Array;
  constructor(private readonly m: SgxMachine) {
    this.u = m.untrusted.subarray(MS_OFFSET);
    this.dv = new DataView(this.u.buffer, this.u.byteOffset, this.u.byteLength);
    this.maxPayload = Math.min(this.u.length - MS_DATA, 1 << 20);
  }

  /** One OCALL; returns retval (or -EIO when it is out of range). */
  private ocall(index: number, arg0: number, arg1: number, out0 = 0): number {
    const dv = this.dv;
    dv.setUint32(MS_INDEX, index, true);
    dv.setUint32(4, 0, true);
    dv.setBigInt64(MS_RETVAL, 0n, true);
    dv.setBigInt64(MS_ARG0, BigInt(arg0), true);
    dv.setBigUint64(MS_ARG1, BigInt(arg1), true);
    for (let o = MS_OUT_LEN; o < MS_DATA; o += 8) dv.setBigUint64(o, 0n, true);
    dv.setBigInt64(MS_OUT0, BigInt(out0), true);
    this.count++;
    const rdi = this.m.eexit(BigInt(index), BigInt(MS_OFFSET));
    if (rdi !== ECMD_ORET) throw new Error('SGX: the host EENTERed with something other than ECMD_ORET during an OCALL');
    const ret = dv.getBigInt64(MS_RETVAL, true);
    if (ret < -4095n || ret > BigInt(Number.MAX_SAFE_INTEGER)) return -EIO;
    return Number(ret);
  }

  private outLen(max: number): number {
    const n = this.dv.getBigUint64(MS_OUT_LEN, true);
    return n > BigInt(max) ? -1 : Number(n);
  }

  /**
   * A generic OCALL for the family protocol: `input` at data[inputAt..), the reply's data (at most
   * `maxOut` bytes, as out_len says; null when out_len is out of bounds) and out0/out1.
   */
  raw(index: number, arg0: number, input: Uint8Array, maxOut: number, ints: number[] = [], inputAt = 0): { ret: number; out: Uint8Array | null; out0: number; out1: number } {
    const room = this.u.length - MS_DATA;
    if (inputAt + input.length > room || maxOut > room) return { ret: -22, out: null, out0: 0, out1: 0 };
    for (let i = 0; i < ints.length; i++) this.dv.setBigInt64(MS_DATA + 8 * i, BigInt(Math.trunc(ints[i])), true);
    this.u.set(input, MS_DATA + inputAt);
    // out0 carries maxOut to the host: it must not answer with more than the caller can take
    // (a larger reply is refused below as out of bounds).
    const ret = this.ocall(index, arg0, input.length, maxOut);
    const n = this.outLen(maxOut);
    const out = n < 0 ? null : this.u.slice(MS_DATA, MS_DATA + n);
    const o0 = this.dv.getBigInt64(MS_OUT0, true), o1 = this.dv.getBigInt64(MS_OUT1, true);
    const clamp = (v: bigint) => (v < 0n || v > 0x7fffffffn ? -1 : Number(v));
    return { ret, out, out0: clamp(o0), out1: clamp(o1) };
  }

  /** The SGX2 page changes only the host can make (ENCLS); EACCEPT checks the result. */
  pageOp(index: number, va: number, rights: number): void {
    this.ocall(index, va, rights);
  }

  /** OCALL_TRIM_RANGES / OCALL_REMOVE_RANGES over (address, pages) ranges, in frames' worth. */
  pageRanges(index: number, ranges: ReadonlyArray<readonly [number, number]>): void {
    const per = Math.floor((this.u.length - MS_DATA) / 16);
    for (let i = 0; i < ranges.length; i += per) {
      const part = ranges.slice(i, i + per);
      part.forEach(([va, n], j) => {
        this.dv.setBigUint64(MS_DATA + 16 * j, BigInt(va), true);
        this.dv.setBigUint64(MS_DATA + 16 * j + 8, BigInt(n), true);
      });
      this.ocall(index, part.length, 0);
    }
  }

  call<R extends HostRequest>(req: R): ReplyOf<R> {
    return this.dispatch(req) as ReplyOf<R>;
  }

  private dispatch(req: HostRequest): HostReply {
    const u = this.u, dv = this.dv;
    switch (req.op) {
      case 'write': {
        const n = Math.min(req.data.length, this.maxPayload);
        u.set(req.data.subarray(0, n), MS_DATA);
        const ret = this.ocall(OCALL_WRITE, req.fd, n);
        return { op: 'write', ret: ret > n ? -EIO : ret };
      }
      case 'read': {
        const len = Math.min(req.len, this.maxPayload);
        const ret = this.ocall(OCALL_READ, req.fd, len);
        if (ret < 0) return { op: 'read', ret, data: new Uint8Array(0) };
        const got = this.outLen(len);
        if (ret > len || got !== ret) return { op: 'read', ret: -EIO, data: new Uint8Array(0) };
        return { op: 'read', ret, data: u.slice(MS_DATA, MS_DATA + ret) };
      }
      case 'fstat': {
        const ret = this.ocall(OCALL_FSTAT, req.fd, STAT_SIZE);
        if (ret === 0 && this.outLen(STAT_SIZE) !== STAT_SIZE) return { op: 'fstat', ret: -EIO, stat: new Uint8Array(STAT_SIZE) };
        return { op: 'fstat', ret, stat: ret === 0 ? u.slice(MS_DATA, MS_DATA + STAT_SIZE) : new Uint8Array(STAT_SIZE) };
      }
      case 'tcgets': {
        const ret = this.ocall(OCALL_TCGETS, req.fd, TERMIOS_SIZE);
        if (ret === 0 && this.outLen(TERMIOS_SIZE) !== TERMIOS_SIZE) return { op: 'tcgets', ret: -EIO, termios: new Uint8Array(TERMIOS_SIZE) };
        return { op: 'tcgets', ret, termios: ret === 0 ? u.slice(MS_DATA, MS_DATA + TERMIOS_SIZE) : new Uint8Array(TERMIOS_SIZE) };
      }
      case 'winsize': {
        const ret = this.ocall(OCALL_WINSIZE, req.fd, 0);
        const rows = Number(dv.getBigInt64(MS_OUT0, true)), cols = Number(dv.getBigInt64(MS_OUT1, true));
        if (ret === 0 && (rows < 0 || rows > 0xffff || cols < 0 || cols > 0xffff)) return { op: 'winsize', ret: -EIO, rows: 0, cols: 0 };
        return { op: 'winsize', ret, rows: ret === 0 ? rows : 0, cols: ret === 0 ? cols : 0 };
      }
      case 'clock': {
        const ret = this.ocall(OCALL_CLOCK, req.clock === 'realtime' ? 0 : 1, 0);
        const sec = Number(dv.getBigInt64(MS_OUT0, true)), nsec = Number(dv.getBigInt64(MS_OUT1, true));
        return { op: 'clock', ret, sec, nsec };
      }
      case 'tcsets': {
        if (req.termios.length !== TERMIOS_SIZE || req.action < 0 || req.action > 2) return { op: 'tcsets', ret: -22 };
        u.set(req.termios, MS_DATA);
        const ret = this.ocall(OCALL_TCSETS, req.fd, req.action);
        return { op: 'tcsets', ret: ret > 0 ? -EIO : ret };
      }
      case 'fs': {
        const empty = new Uint8Array(0);
        if (req.data.length > this.maxPayload - MS_FS_INPUT || req.outLen > this.maxPayload || req.outLen < 0) return { op: 'fs', ret: -22, data: empty };
        for (let i = 0; i < 4; i++) dv.setBigInt64(MS_DATA + 8 * i, BigInt(Math.trunc(req.args[i] ?? 0)), true);
        u.set(req.data, MS_DATA + MS_FS_INPUT);
        const ret = this.ocall(OCALL_FS, req.nr, req.data.length, req.outLen);
        const got = this.outLen(req.outLen);
        if (got < 0) return { op: 'fs', ret: -EIO, data: empty };
        const data = new Uint8Array(req.outLen);
        data.set(u.subarray(MS_DATA, MS_DATA + got));
        return { op: 'fs', ret, data };
      }
    }
  }

  console(line: string): void {
    const b = new TextEncoder().encode(line.endsWith('\n') ? line : line + '\n');
    const n = Math.min(b.length, this.maxPayload);
    this.u.set(b.subarray(0, n), MS_DATA);
    this.ocall(OCALL_CONSOLE, 0, n);
  }

  exit(status: number): void {
    this.ocall(OCALL_EXIT, status, 0);
  }
}

/** EREPORT and EGETKEY. */
class SgxIdentity implements Identity {
  constructor(private readonly m: SgxMachine) {}

  /** MRENCLAVE, as sgx_self_report learns it: EREPORT with an all-zero TARGETINFO. */
  measurement(): Uint8Array {
    const r = this.m.ereport(new Uint8Array(SGX_TARGETINFO_SIZE), new Uint8Array(64));
    return r.slice(REPORT_MRENCLAVE_OFFSET, REPORT_MRENCLAVE_OFFSET + 32);
  }

  /** The 432-byte REPORT over userData, targeted at the model quoting enclave. */
  report(userData: Uint8Array): Uint8Array {
    if (userData.length > 64) throw new RangeError('SGX REPORTDATA is at most 64 bytes');
    const data = new Uint8Array(64);
    data.set(userData);
    return this.m.ereport(qeModelTargetInfo(), data);
  }

  /**
   * EGETKEY(SEAL) with the MRENCLAVE policy (the SDK's default attribute mask,
   * TSEAL_DEFAULT_FLAGSMASK), then the label mixed in inside the enclave:
   * HMAC-SHA-256(seal key, "TEEOS-SEAL" || label).
   */
  sealingKey(label: Uint8Array): Uint8Array {
    const req = encodeKeyRequest({
      keyname: SGX_KEYSELECT_SEAL, keypolicy: SGX_KEYPOLICY_MRENCLAVE, isvsvn: 0, cpusvn: new Uint8Array(16),
      attributemask: { flags: 0xff0000000000000bn, xfrm: 0n }, keyid: new Uint8Array(32), miscmask: 0xf0000000, configsvn: 0,
    });
    const r = this.m.egetkey(req);
    if (r.status !== 0) throw new Error(`EGETKEY failed (${r.status})`);
    const msg = new Uint8Array(10 + label.length);
    msg.set(new TextEncoder().encode('TEEOS-SEAL'));
    msg.set(label, 10);
    return hmac(sha256, r.key, msg);
  }
}

export class SgxPlatform implements Platform {
  readonly name = 'sgx';
  readonly exec: SgxExecution;
  readonly memory: SgxMemory;
  readonly host: OcallChannel;
  readonly identity: SgxIdentity;
  /** One enclave holds one address space: fork is a new enclave (family.ts). */
  readonly family: SgxFamily;

  constructor(private readonly m: SgxMachine, c: EnclaveConfig, epcSize: number) {
    this.exec = new SgxExecution(m, c);
    this.host = new OcallChannel(m);
    this.family = new SgxFamily(m, this.host, (line) => this.log(line));
    this.memory = new SgxMemory(m, c, epcSize, this.host);
    this.identity = new SgxIdentity(m);
  }

  random(buf: Uint8Array): void {
    this.m.rdrand(buf);
  }

  monotonicNs(): number {
    return Number(this.m.hart.readCSR(CSR_TIME)) * NS_PER_TICK;
  }

  sleepNs(ns: number): void {
    const ms = Math.min(Math.max(ns / 1e6, 0), 1000);
    Atomics.wait(this.idleWord, 0, 0, ms);
  }
  private readonly idleWord = new Int32Array(new SharedArrayBuffer(4));

  exit(waitStatus: number): void {
    this.host.exit(waitStatus);
    this.m.halt();
  }

  log(line: string): void {
    this.host.console(line);
  }

  /** A kernel failure: the last word is -1. */
  panic(): void {
    try {
      this.host.exit(-1);
    } finally {
      this.m.halt();
    }
  }
}
