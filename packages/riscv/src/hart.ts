// One RV64GC hart: architectural state, physical memory, address translation with soft
// TLBs, traps and interrupts (RISC-V Privileged ISA 20211203: 3.1 machine-level CSRs,
// 3.1.6.1 privilege stack on traps, 3.3.2 xRET, 3.1.9 interrupt priority and enables,
// 4.1 supervisor CSRs, 3.7 PMP, 4.3-4.4 Sv39). The instruction loop is in interp.ts.
//
// Registers live in the caller's WebAssembly.Memory (the HartState block) as int32
// halves, so no BigInt is touched while running; BigInt appears only in the public
// convenience accessors.

import {
  ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, ALL_INTERRUPTS, CAUSE_FETCH_ACCESS, CAUSE_FETCH_PAGE_FAULT,
  CAUSE_ILLEGAL_INSTRUCTION, CAUSE_LOAD_ACCESS, CAUSE_LOAD_PAGE_FAULT, CAUSE_MISALIGNED_LOAD,
  CAUSE_MISALIGNED_STORE, CAUSE_STORE_ACCESS, CAUSE_STORE_PAGE_FAULT, FS_DIRTY, HART_STATE_SIZE, STATE_FFLAGS, STATE_FRM,
  MIP_MEIP, MIP_MSIP, MIP_MTIP, MIP_SEIP, MIP_SSIP, MIP_STIP, MSTATUS_FS, MSTATUS_FS_SHIFT,
  MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_MPRV, MSTATUS_MXR,
  MSTATUS_SIE, MSTATUS_SPIE, MSTATUS_SPP, MSTATUS_SUM, PAGE_SIZE, Priv, SATP_MODE_SV39,
  STATE_F, STATE_PC, TRAP, LK_B, LK_H, LK_W, LK_FW, LK_BU, LK_HU, LK_WU,
} from './constants.ts';
import { csrReadInto, csrWrite, csrExists } from './csr.ts';
import { createMulDiv, type MulDiv } from './muldiv-wasm.ts';
import { sv39Walk, WALK_ACCESS_FAULT, WALK_PAGE_FAULT, type WalkMemory } from './mmu.ts';
import { Pmp } from './pmp.ts';
import { decodeInto, run as runLoop, SLOTS_PER_PAGE, OP_CROSS } from './interp.ts';
import { Jit, DEFAULT_JIT, type JitMode } from './jit.ts';

export interface PhysRegion {
  base: number; size: number; bytes: Uint8Array;
  /**
   * Memory other threads (other harts, other enclaves' machines) may touch at the same time (a
   * SharedArrayBuffer): AMOs and LR/SC there use Atomics (interp.ts execAtomic). Like every
   * region, it is never entered in the TLBs: each access takes the slow path.
   */
  shared?: boolean;
}

/** A physical region as the hart keeps it (Int32/BigInt64 views for the Atomics of a shared one). */
export interface HartRegion {
  base: number; size: number; dv: DataView;
  atomics: { i32: Int32Array; i64: BigInt64Array } | null;
}

function hartRegion(r: PhysRegion): HartRegion {
  const dv = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
  if (r.size > dv.byteLength) throw new Error('PhysRegion larger than its bytes');
  if (r.base % PAGE_SIZE !== 0 || r.size % PAGE_SIZE !== 0) throw new Error('PhysRegion must be page-aligned');
  const atomics = r.shared
    ? { i32: new Int32Array(r.bytes.buffer, r.bytes.byteOffset, r.size / 4), i64: new BigInt64Array(r.bytes.buffer, r.bytes.byteOffset, r.size / 8) }
    : null;
  if (atomics && r.bytes.byteOffset % 8 !== 0) throw new Error('a shared PhysRegion must be 8-aligned');
  return { base: r.base, size: r.size, dv, atomics };
}

export interface HartOptions {
  memory: WebAssembly.Memory;
  stateOffset: number;
  ramBase: number;
  ramOffset: number;
  ramSize: number;
  regions?: PhysRegion[];
  hartId?: number;
  timeSource?: () => number;
  /**
   * The WebAssembly JIT tier (jit.ts): false = interpreter only, true = translate hot code
   * pages, 'force' = translate every page at first sight (testing). Default DEFAULT_JIT (off for now).
   */
  jit?: JitMode;
  /** Byte offset of the JIT's scratch block (soft TLB) in memory; default: the largest free gap. */
  jitScratch?: number;
}

const TWO32 = 4294967296;
const TLB_SIZE = 256;
/** A tag-high value no address can produce (hi >> 12 is within [-2^19, 2^19)). */
const TLB_INVALID = 0x7fffffff;

/** Pre-decoded instructions of one 4 KiB physical page: one slot per halfword. */
export interface CodePage {
  ops: Uint8Array; ws: Int32Array; imms: Int32Array;
  /** Byte offset of the page in memory, and its RAM page index (-1: the uncached scratch page). */
  host: number; pidx: number;
}

function newCodePage(host: number, pidx: number): CodePage {
  return {
    ops: new Uint8Array(SLOTS_PER_PAGE), ws: new Int32Array(SLOTS_PER_PAGE), imms: new Int32Array(SLOTS_PER_PAGE),
    host, pidx,
  };
}

export class Hart implements WalkMemory {
  // ---- public contract ----
  /** Current privilege. Setting it (e.g. from firmware) updates the translation context. */
  get priv(): Priv { return this.curPriv; }
  set priv(p: Priv) {
    if (p !== Priv.U && p !== Priv.S && p !== Priv.M) throw new Error(`bad privilege ${p}`);
    this.curPriv = p;
    this.modeChanged();
  }
  private curPriv: Priv = Priv.M;
  instret = 0;
  /** The JIT tier, when enabled (setJit / HartOptions.jit). */
  jit: Jit | null = null;

  // ---- internal state, shared with interp.ts, csr.ts and exec-fp.ts ----
  readonly memory: WebAssembly.Memory;
  /** HartState as int32 halves: x[i] at [2i, 2i+1], f[i] at [64+2i, 65+2i], pc at [128,129]. */
  readonly x: Int32Array;
  readonly f64: Float64Array;
  readonly f32: Float32Array;
  readonly sb: number;
  readonly dv: DataView;
  readonly md: MulDiv;
  readonly ramBase: number;
  readonly ramOffset: number;
  readonly ramSize: number;
  readonly ramPages: number;
  /** Physical memory besides RAM (MMIO-like: never cached in the TLBs). addRegion/removeRegion change it. */
  readonly regions: HartRegion[];
  readonly hartId: number;
  readonly timeSource: () => number;
  readonly pmp = new Pmp();

  mstatus = 0; // low word of mstatus; the high word is constant except SD
  medeleg = 0;
  mideleg = 0;
  mie = 0;
  mip = 0;
  mcounteren = 0;
  scounteren = 0;
  /** fflags and frm live in the HartState (STATE_FFLAGS, STATE_FRM): the JIT's FP fast path reads them. */
  get fflags(): number { return this.x[STATE_FFLAGS >> 2]; }
  set fflags(v: number) { this.x[STATE_FFLAGS >> 2] = v; }
  get frm(): number { return this.x[STATE_FRM >> 2]; }
  set frm(v: number) { this.x[STATE_FRM >> 2] = v; }
  mtvecLo = 0; mtvecHi = 0;
  stvecLo = 0; stvecHi = 0;
  mepcLo = 0; mepcHi = 0;
  sepcLo = 0; sepcHi = 0;
  mcauseLo = 0; mcauseHi = 0;
  scauseLo = 0; scauseHi = 0;
  mtvalLo = 0; mtvalHi = 0;
  stvalLo = 0; stvalHi = 0;
  mscratchLo = 0; mscratchHi = 0;
  sscratchLo = 0; sscratchHi = 0;
  satpLo = 0; satpHi = 0;

  /** LR/SC reservation (physical address of the reserved 8-byte granule, or -1). */
  reservation = -1;
  /** Instructions executed in the current run() not yet added to instret (for counter CSRs). */
  inflight = 0;
  /** True while run() executes (a CSR write to minstret then discounts the writing instruction). */
  running = false;

  // derived translation state
  dataPriv: Priv = Priv.M;
  rootPage = 0;
  sv39 = false;
  /** Translation context (privilege, effective data privilege, SUM, MXR) the hart is in. */
  private tlbCtx = -1;
  /** The context the soft TLBs' entries were checked under (they hold permission-checked pages). */
  private tlbFilledCtx = -1;

  // soft TLBs: tag = vaddr bits 43:12, tagHi = vaddr bits 63:44, host = byte offset of the page in memory
  readonly rTag = new Int32Array(TLB_SIZE);
  readonly rTagHi = new Int32Array(TLB_SIZE).fill(TLB_INVALID);
  readonly rHost = new Int32Array(TLB_SIZE);
  readonly wTag = new Int32Array(TLB_SIZE);
  readonly wTagHi = new Int32Array(TLB_SIZE).fill(TLB_INVALID);
  readonly wHost = new Int32Array(TLB_SIZE);
  // instruction TLB: virtual page number (a JS number; NaN = empty) -> decoded page
  readonly iVpn = new Float64Array(TLB_SIZE).fill(NaN);
  readonly iPage: CodePage[];

  // decoded-instruction cache, per RAM page
  readonly codePages: (CodePage | undefined)[];
  readonly codeBits: Uint8Array;
  /** Scratch decode target for instructions that are not cached (non-RAM pages, page-crossing). */
  readonly scratch = newCodePage(0, -1);

  // exception being raised
  trapCause = 0;
  trapTvalLo = 0;
  trapTvalHi = 0;
  /** tval is the bits of the instruction at the faulting pc (illegal instruction found at execute time). */
  trapTvalInsn = false;
  /** The exception's epc is epcLo/epcHi rather than the pc of the current instruction (fetch of an unrepresentable pc). */
  epcExplicit = false;
  epcLo = 0;
  epcHi = 0;

  // scratch outputs
  tmpHi = 0;
  readonly pteBuf = new Int32Array(2);

  constructor(opts: HartOptions) {
    const { memory, stateOffset, ramBase, ramOffset, ramSize } = opts;
    if (stateOffset % 8 !== 0) throw new Error('stateOffset must be 8-aligned');
    const bytes = memory.buffer.byteLength;
    if (stateOffset < 0 || stateOffset + HART_STATE_SIZE > bytes) throw new Error('HartState outside memory');
    if (ramOffset < 0 || ramOffset + ramSize > bytes) throw new Error('RAM outside memory');
    if (ramBase % PAGE_SIZE !== 0 || ramOffset % PAGE_SIZE !== 0 || ramSize % PAGE_SIZE !== 0) {
      throw new Error('ramBase, ramOffset and ramSize must be page-aligned');
    }
    this.memory = memory;
    this.sb = stateOffset;
    this.x = new Int32Array(memory.buffer, stateOffset, HART_STATE_SIZE / 4);
    this.f64 = new Float64Array(memory.buffer, stateOffset + STATE_F, 32);
    this.f32 = new Float32Array(memory.buffer, stateOffset + STATE_F, 64);
    this.dv = new DataView(memory.buffer);
    this.md = createMulDiv(memory);
    this.ramBase = ramBase;
    this.ramOffset = ramOffset;
    this.ramSize = ramSize;
    this.ramPages = ramSize / PAGE_SIZE;
    this.regions = (opts.regions ?? []).map(hartRegion);
    this.hartId = opts.hartId ?? 0;
    const t0 = performance.now();
    this.timeSource = opts.timeSource ?? (() => Math.floor((performance.now() - t0) * 10000)); // 10 MHz
    this.codePages = new Array(this.ramPages);
    this.codeBits = new Uint8Array(this.ramPages);
    this.iPage = new Array<CodePage>(TLB_SIZE).fill(this.scratch);
    this.x.fill(0);
    this.modeChanged();
    const jit = opts.jit ?? DEFAULT_JIT;
    if (jit) this.setJit(jit, opts.jitScratch);
  }

  /**
   * Turn the JIT tier on (true, or 'force': translate everything at first sight) or off.
   * Returns whether it is on (it stays off if no room for its scratch block was found).
   */
  setJit(mode: JitMode, scratch?: number): boolean {
    if (!mode) { this.jit = null; return false; }
    const place = Jit.placeScratch(this.memory.buffer.byteLength, this.sb, this.ramOffset, this.ramSize, scratch);
    if (!place) { this.jit = null; return false; }
    this.jit = new Jit(this, mode, place[0], place[1]);
    return true;
  }

  // =====================================================================
  // Public API (README contract)
  // =====================================================================

  getX(i: number): bigint {
    return (BigInt(this.x[2 * i + 1] >>> 0) << 32n) | BigInt(this.x[2 * i] >>> 0);
  }
  setX(i: number, v: bigint): void {
    if (i === 0) return;
    this.x[2 * i] = Number(BigInt.asIntN(32, v));
    this.x[2 * i + 1] = Number(BigInt.asIntN(32, v >> 32n));
  }
  getXLo(i: number): number { return this.x[2 * i]; }
  getXHi(i: number): number { return this.x[2 * i + 1]; }
  setXParts(i: number, lo: number, hi: number): void {
    if (i === 0) return;
    this.x[2 * i] = lo;
    this.x[2 * i + 1] = hi;
  }
  getF(i: number): bigint {
    return (BigInt(this.x[65 + 2 * i] >>> 0) << 32n) | BigInt(this.x[64 + 2 * i] >>> 0);
  }
  setF(i: number, bits: bigint): void {
    this.x[64 + 2 * i] = Number(BigInt.asIntN(32, bits));
    this.x[65 + 2 * i] = Number(BigInt.asIntN(32, bits >> 32n));
  }
  getPC(): bigint {
    return (BigInt(this.x[STATE_PC / 4 + 1] >>> 0) << 32n) | BigInt(this.x[STATE_PC / 4] >>> 0);
  }
  setPC(v: bigint): void {
    this.x[STATE_PC / 4] = Number(BigInt.asIntN(32, v));
    this.x[STATE_PC / 4 + 1] = Number(BigInt.asIntN(32, v >> 32n));
  }
  /** pc as int32 halves (no BigInt). */
  getPCLo(): number { return this.x[STATE_PC / 4]; }
  getPCHi(): number { return this.x[STATE_PC / 4 + 1]; }
  setPCParts(lo: number, hi: number): void {
    this.x[STATE_PC / 4] = lo;
    this.x[STATE_PC / 4 + 1] = hi;
  }

  readCSR(num: number): bigint {
    if (!csrExists(this, num)) throw new Error(`no such CSR 0x${num.toString(16)}`);
    csrReadInto(this, num);
    return (BigInt(this.tmpHi >>> 0) << 32n) | BigInt(this.csrLo >>> 0);
  }
  /** Like readCSR, as int32 halves: [lo, hi]. */
  readCSRParts(num: number): [number, number] {
    if (!csrExists(this, num)) throw new Error(`no such CSR 0x${num.toString(16)}`);
    csrReadInto(this, num);
    return [this.csrLo, this.tmpHi];
  }
  writeCSR(num: number, v: bigint): void {
    this.writeCSRParts(num, Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n)));
  }
  writeCSRParts(num: number, lo: number, hi: number): void {
    if (!csrExists(this, num)) throw new Error(`no such CSR 0x${num.toString(16)}`);
    csrWrite(this, num, lo, hi);
  }

  run(budget: number): number {
    // A trap deferred its TLB flush (takeTrap): flush now unless the hart is back in the
    // context the entries were made in (a U -> S -> U system call round trip keeps them).
    if (this.tlbCtx !== this.tlbFilledCtx) this.flushTLB();
    return this.jit !== null ? this.jit.run(budget) : runLoop(this, budget);
  }

  mret(): void {
    const s = this.mstatus;
    const mpp = ((s & MSTATUS_MPP) >>> MSTATUS_MPP_SHIFT) as Priv;
    let ns = (s & ~(MSTATUS_MIE | MSTATUS_MPP)) | MSTATUS_MPIE;
    if (s & MSTATUS_MPIE) ns |= MSTATUS_MIE;
    if (mpp !== Priv.M) ns &= ~MSTATUS_MPRV;
    this.mstatus = ns;
    this.curPriv = mpp;
    this.reservation = -1;
    this.setPCParts(this.mepcLo, this.mepcHi);
    this.modeChanged();
  }

  sret(): void {
    const s = this.mstatus;
    const spp = (s & MSTATUS_SPP) ? Priv.S : Priv.U;
    let ns = (s & ~(MSTATUS_SIE | MSTATUS_SPP | MSTATUS_MPRV)) | MSTATUS_SPIE;
    if (s & MSTATUS_SPIE) ns |= MSTATUS_SIE;
    this.mstatus = ns;
    this.curPriv = spp;
    this.reservation = -1;
    this.setPCParts(this.sepcLo, this.sepcHi);
    this.modeChanged();
  }

  flushTLB(): void {
    this.rTagHi.fill(TLB_INVALID);
    this.wTagHi.fill(TLB_INVALID);
    this.iVpn.fill(NaN);
    if (this.jit !== null) this.jit.flushTLB();
    this.tlbFilledCtx = this.tlbCtx;
  }

  notifyPhysWrite(paddr: number, len: number): void {
    if (len <= 0) return;
    const first = Math.max(0, Math.floor((paddr - this.ramBase) / PAGE_SIZE));
    const last = Math.min(this.ramPages - 1, Math.floor((paddr + len - 1 - this.ramBase) / PAGE_SIZE));
    for (let p = first; p <= last; p++) if (this.codeBits[p]) this.invalidateCodePage(p);
  }

  /**
   * Drive an interrupt line that is not CSR-writable (MSIP, MTIP, MEIP from a CLINT/PLIC
   * model) or any other mip bit. run() takes it if enabled (an addition to the contract).
   */
  setInterruptPending(irq: number, pending: boolean): void {
    const bit = 1 << irq;
    if (!(bit & ALL_INTERRUPTS)) throw new Error(`no interrupt ${irq}`);
    this.mip = pending ? this.mip | bit : this.mip & ~bit;
  }

  /** Drop every pre-decoded instruction (fence.i). */
  flushDecodeCache(): void {
    for (let p = 0; p < this.ramPages; p++) if (this.codeBits[p]) this.invalidateCodePage(p);
  }

  // =====================================================================
  // Privilege, translation context, traps, interrupts
  // =====================================================================

  /** Recompute derived translation state after priv/mstatus/satp changes; flush TLBs if it changed. */
  modeChanged(deferFlush = false): void {
    const s = this.mstatus;
    this.dataPriv = (s & MSTATUS_MPRV) && this.priv === Priv.M ? ((s & MSTATUS_MPP) >>> MSTATUS_MPP_SHIFT) as Priv : this.priv;
    this.sv39 = (this.satpHi >>> 28) === SATP_MODE_SV39;
    this.rootPage = ((this.satpHi & 0xfff) * TWO32 + (this.satpLo >>> 0)) * PAGE_SIZE;
    const ctx = this.priv | (this.dataPriv << 2) | (s & (MSTATUS_SUM | MSTATUS_MXR));
    this.tlbCtx = ctx;
    if (ctx !== this.tlbFilledCtx && !deferFlush) this.flushTLB();
  }

  /** Raise a synchronous exception from inside an instruction (caught by the run loop). */
  raise(cause: number, tvalLo: number, tvalHi: number): never {
    this.trapCause = cause;
    this.trapTvalLo = tvalLo;
    this.trapTvalHi = tvalHi;
    this.trapTvalInsn = false;
    throw TRAP;
  }

  /** Raise an illegal-instruction exception whose tval is the instruction's bits. */
  illegal(): never {
    this.trapCause = CAUSE_ILLEGAL_INSTRUCTION;
    this.trapTvalInsn = true;
    throw TRAP;
  }

  /**
   * Take a trap (3.1.6.1, 4.1.1): choose M or S by medeleg/mideleg, save epc/cause/tval,
   * stack the interrupt enable and previous privilege, and jump to xtvec.
   */
  takeTrap(cause: number, interrupt: boolean, tvalLo: number, tvalHi: number, epcLo: number, epcHi: number): void {
    const deleg = interrupt ? this.mideleg : this.medeleg;
    const s = this.mstatus;
    this.reservation = -1;
    let baseLo: number, baseHi: number, mode: number;
    if (this.priv !== Priv.M && ((deleg >>> cause) & 1)) {
      this.scauseLo = cause; this.scauseHi = interrupt ? 0x80000000 | 0 : 0;
      this.sepcLo = epcLo & ~1; this.sepcHi = epcHi;
      this.stvalLo = tvalLo; this.stvalHi = tvalHi;
      let ns = s & ~(MSTATUS_SPIE | MSTATUS_SIE | MSTATUS_SPP);
      if (s & MSTATUS_SIE) ns |= MSTATUS_SPIE;
      if (this.priv === Priv.S) ns |= MSTATUS_SPP;
      this.mstatus = ns;
      this.curPriv = Priv.S;
      baseLo = this.stvecLo & ~3; baseHi = this.stvecHi; mode = this.stvecLo & 3;
    } else {
      this.mcauseLo = cause; this.mcauseHi = interrupt ? 0x80000000 | 0 : 0;
      this.mepcLo = epcLo & ~1; this.mepcHi = epcHi;
      this.mtvalLo = tvalLo; this.mtvalHi = tvalHi;
      let ns = s & ~(MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_MPP);
      if (s & MSTATUS_MIE) ns |= MSTATUS_MPIE;
      ns |= this.priv << MSTATUS_MPP_SHIFT;
      this.mstatus = ns;
      this.curPriv = Priv.M;
      baseLo = this.mtvecLo & ~3; baseHi = this.mtvecHi; mode = this.mtvecLo & 3;
    }
    if (interrupt && mode === 1) {
      const lo = (baseLo + 4 * cause) | 0;
      if ((lo >>> 0) < (baseLo >>> 0)) baseHi = (baseHi + 1) | 0;
      baseLo = lo;
    }
    this.setPCParts(baseLo, baseHi);
    // Every run loop returns right after taking a trap (the JIT hands traps to the
    // interpreter), and run() settles a deferred flush on entry: a kernel outside the hart
    // that handles the trap and srets back to the same context keeps its TLB entries.
    this.modeChanged(true);
  }

  /** The highest-priority pending and enabled interrupt (3.1.9), or -1. */
  pendingInterrupt(): number {
    const pend = this.mip & this.mie;
    if (pend === 0) return -1;
    const s = this.mstatus;
    const mEnabled = this.priv !== Priv.M || (s & MSTATUS_MIE) !== 0;
    const sEnabled = this.priv === Priv.U || (this.priv === Priv.S && (s & MSTATUS_SIE) !== 0);
    const m = mEnabled ? pend & ~this.mideleg : 0;
    const sv = sEnabled ? pend & this.mideleg : 0;
    const pick = m !== 0 ? m : sv;
    if (pick === 0) return -1;
    // Priority: MEI, MSI, MTI, SEI, SSI, STI.
    if (pick & MIP_MEIP) return 11;
    if (pick & MIP_MSIP) return 3;
    if (pick & MIP_MTIP) return 7;
    if (pick & MIP_SEIP) return 9;
    if (pick & MIP_SSIP) return 1;
    if (pick & MIP_STIP) return 5;
    return -1;
  }

  /** If an interrupt is pending and enabled, take it with epc = pc; returns true if taken. */
  takeInterrupt(pcLo: number, pcHi: number): boolean {
    const irq = this.pendingInterrupt();
    if (irq < 0) return false;
    this.takeTrap(irq, true, 0, 0, pcLo, pcHi);
    return true;
  }

  /** The bits of the instruction at pc (for tval of illegal instructions detected at execute). */
  instructionBitsAt(pcLo: number, pcHi: number): number {
    try {
      return this.fetchBits(pcLo, pcHi);
    } catch (e) {
      if (e === TRAP) return 0;
      throw e;
    }
  }

  /** Set mstatus.FS = Dirty after a change to FP state. */
  fsDirty(): void {
    this.mstatus |= FS_DIRTY << MSTATUS_FS_SHIFT;
  }
  fsOff(): boolean {
    return (this.mstatus & MSTATUS_FS) === 0;
  }

  // =====================================================================
  // Physical memory
  // =====================================================================

  /**
   * Adds physical memory at run time (an SGX enclave's untrusted shared memory, mapped after the
   * host allocated it). Region pages never enter the TLBs, so nothing cached needs dropping;
   * the page tables that reach it are the caller's.
   */
  addRegion(r: PhysRegion): void {
    const g = hartRegion(r);
    if (g.base < this.ramBase + this.ramSize && g.base + g.size > this.ramBase) throw new Error('PhysRegion overlaps RAM');
    for (const o of this.regions) if (g.base < o.base + o.size && g.base + g.size > o.base) throw new Error('PhysRegions overlap');
    this.regions.push(g);
  }

  /** Removes the region based at `base` (the caller unmapped every page that reached it). */
  removeRegion(base: number): void {
    const i = this.regions.findIndex((g) => g.base === base);
    if (i >= 0) this.regions.splice(i, 1);
    this.reservation = -1;
  }

  /** The shared region holding [pa, pa+len), or null (AMOs there use Atomics: interp.ts). */
  sharedRegionAt(pa: number, len: number): HartRegion | null {
    for (const g of this.regions) {
      const o = pa - g.base;
      if (o >= 0 && o + len <= g.size) return g.atomics ? g : null;
    }
    return null;
  }

  /** LR on shared memory: the value read (for SC's compare-exchange), as int32 halves. */
  resLo = 0;
  resHi = 0;

  /** Returns the DataView holding [pa, pa+len) and sets physOff, or null if no memory there. */
  physOff = 0;
  physView(pa: number, len: number): DataView | null {
    const r = pa - this.ramBase;
    if (r >= 0 && r + len <= this.ramSize) {
      this.physOff = this.ramOffset + r;
      return this.dv;
    }
    for (const g of this.regions) {
      const o = pa - g.base;
      if (o >= 0 && o + len <= g.size) {
        this.physOff = o;
        return g.dv;
      }
    }
    return null;
  }

  readPte(pa: number, out: Int32Array): boolean {
    if (!this.pmp.check(pa, 8, ACCESS_READ, Priv.S)) return false;
    const v = this.physView(pa, 8);
    if (!v) return false;
    out[0] = v.getInt32(this.physOff, true);
    out[1] = v.getInt32(this.physOff + 4, true);
    return true;
  }

  /**
   * Translate the virtual address (lo, hi) of the page-local access and check PMP for
   * `len` bytes; returns the physical address or raises the right exception.
   */
  translate(lo: number, hi: number, len: number, access: number): number {
    const priv = access === ACCESS_EXEC ? this.priv : this.dataPriv;
    let pa: number;
    if (!this.sv39 || priv === Priv.M) {
      if (hi < 0 || hi >= 0x200000) this.raise(accessFaultCause(access), lo, hi);
      pa = hi * TWO32 + (lo >>> 0);
    } else {
      const s = this.mstatus;
      const page = sv39Walk(this, this.rootPage, lo, hi, access, priv, (s & MSTATUS_SUM) !== 0, (s & MSTATUS_MXR) !== 0);
      if (page === WALK_PAGE_FAULT) this.raise(pageFaultCause(access), lo, hi);
      if (page === WALK_ACCESS_FAULT) this.raise(accessFaultCause(access), lo, hi);
      pa = page + (lo & 0xfff);
    }
    if (!this.pmp.check(pa, len, access, priv)) this.raise(accessFaultCause(access), lo, hi);
    return pa;
  }

  /**
   * The JIT's TLB miss (its driver's fill after a miss exit, when this hart's TLB misses too): translate the
   * page of (lo, hi) for a data read or write without raising, and on success fill this
   * hart's TLB entry and return the page's host offset. -1 whenever the interpreter must do
   * the access itself (a fault to raise, PMP, memory other than RAM, a store to a code page
   * that must invalidate its translations), exactly the pages loadSlow/storeSlow would not cache.
   */
  tlbWalk(lo: number, hi: number, write: boolean): number {
    const access = write ? ACCESS_WRITE : ACCESS_READ;
    const priv = this.dataPriv;
    let page: number;
    if (!this.sv39 || priv === Priv.M) {
      if (hi < 0 || hi >= 0x200000) return -1;
      page = hi * TWO32 + ((lo >>> 0) - (lo & 0xfff));
    } else {
      const s = this.mstatus;
      page = sv39Walk(this, this.rootPage, lo, hi, access, priv, (s & MSTATUS_SUM) !== 0, (s & MSTATUS_MXR) !== 0);
      if (page < 0) return -1;
    }
    const host = this.cacheableHost(page);
    if (host < 0 || !this.pmp.check(page, PAGE_SIZE, access, priv)) return -1;
    const t = (lo >>> 12) | (hi << 20), e = t & (TLB_SIZE - 1);
    if (write) {
      if (this.codeBits[(page - this.ramBase) / PAGE_SIZE]) return -1;
      this.wTag[e] = t; this.wTagHi[e] = hi >> 12; this.wHost[e] = host;
    } else {
      this.rTag[e] = t; this.rTagHi[e] = hi >> 12; this.rHost[e] = host;
    }
    return host;
  }

  /** After a successful translation of a page: may it be cached (RAM, PMP-uniform, host offset int32)? */
  private cacheableHost(paPage: number): number {
    const r = paPage - this.ramBase;
    if (r < 0 || r >= this.ramSize) return -1;
    const host = this.ramOffset + r;
    if (host > 0x7fffe000) return -1;
    if (!this.pmp.pageUniform(paPage)) return -1;
    return host;
  }

  /** Load of kind `k` at virtual (lo, hi) into state slot `rd` (an x or f index). */
  loadSlow(lo: number, hi: number, k: number, rd: number): void {
    const size = k === LK_FW ? 4 : 1 << (k & 3);
    const off = lo & 0xfff;
    let vlo = 0, vhi = 0;
    if (off + size > PAGE_SIZE) {
      // Crosses a page: gather bytes (both pages translated before anything is written).
      const lo2 = (lo + size - 1) | 0;
      const hi2 = (lo2 >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
      const pa1 = this.translate(lo, hi, PAGE_SIZE - off, ACCESS_READ);
      const pa2 = this.translate(lo2 & ~0xfff, hi2, size - (PAGE_SIZE - off), ACCESS_READ);
      for (let i = size - 1; i >= 0; i--) {
        const pa = i < PAGE_SIZE - off ? pa1 + i : pa2 + (i - (PAGE_SIZE - off));
        const b = this.physByte(pa, lo, hi);
        if (i >= 4) vhi = (vhi << 8) | b; else vlo = (vlo << 8) | b;
      }
    } else {
      const pa = this.translate(lo, hi, size, ACCESS_READ);
      const v = this.physView(pa, size);
      if (!v) return this.raise(CAUSE_LOAD_ACCESS, lo, hi);
      const o = this.physOff;
      if (size === 8) { vlo = v.getInt32(o, true); vhi = v.getInt32(o + 4, true); }
      else if (size === 4) vlo = v.getInt32(o, true);
      else if (size === 2) vlo = v.getUint16(o, true);
      else vlo = v.getUint8(o);
      if (v === this.dv) {
        const pageHost = this.cacheableHost(pa - (pa % PAGE_SIZE));
        if (pageHost >= 0) {
          const t = (lo >>> 12) | (hi << 20), e = t & (TLB_SIZE - 1);
          this.rTag[e] = t; this.rTagHi[e] = hi >> 12; this.rHost[e] = pageHost;
        }
      }
    }
    switch (k) {
      case LK_B: vlo = (vlo << 24) >> 24; vhi = vlo >> 31; break;
      case LK_H: vlo = (vlo << 16) >> 16; vhi = vlo >> 31; break;
      case LK_W: vhi = vlo >> 31; break;
      case LK_FW: vhi = -1; break; // NaN-box
      case LK_BU: case LK_HU: case LK_WU: vhi = 0; break;
    }
    this.x[rd] = vlo;
    this.x[rd + 1] = vhi;
  }

  private physByte(pa: number, lo: number, hi: number): number {
    const v = this.physView(pa, 1);
    if (!v) this.raise(CAUSE_LOAD_ACCESS, lo, hi);
    return v.getUint8(this.physOff);
  }

  /** Store `size` bytes of (vlo, vhi) at virtual (lo, hi). */
  storeSlow(lo: number, hi: number, size: number, vlo: number, vhi: number): void {
    const off = lo & 0xfff;
    if (off + size > PAGE_SIZE) {
      const lo2 = (lo + size - 1) | 0;
      const hi2 = (lo2 >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
      const n1 = PAGE_SIZE - off;
      const pa1 = this.translate(lo, hi, n1, ACCESS_WRITE);
      const pa2 = this.translate(lo2 & ~0xfff, hi2, size - n1, ACCESS_WRITE);
      if (!this.physView(pa1, n1)) this.raise(CAUSE_STORE_ACCESS, lo, hi);
      if (!this.physView(pa2, size - n1)) this.raise(CAUSE_STORE_ACCESS, lo2 & ~0xfff, hi2);
      for (let i = 0; i < size; i++) {
        const pa = i < n1 ? pa1 + i : pa2 + (i - n1);
        const b = i >= 4 ? vhi >>> (8 * (i - 4)) : vlo >>> (8 * i);
        const v = this.physView(pa, 1)!;
        v.setUint8(this.physOff, b & 0xff);
        this.codeWritten(pa);
      }
      return;
    }
    const pa = this.translate(lo, hi, size, ACCESS_WRITE);
    const v = this.physView(pa, size);
    if (!v) return this.raise(CAUSE_STORE_ACCESS, lo, hi);
    const o = this.physOff;
    if (size === 8) { v.setInt32(o, vlo, true); v.setInt32(o + 4, vhi, true); }
    else if (size === 4) v.setInt32(o, vlo, true);
    else if (size === 2) v.setInt16(o, vlo, true);
    else v.setInt8(o, vlo);
    if (v === this.dv) {
      const page = pa - (pa % PAGE_SIZE);
      const pidx = (page - this.ramBase) / PAGE_SIZE;
      if (this.codeBits[pidx]) this.invalidateCodePage(pidx);
      else {
        const pageHost = this.cacheableHost(page);
        if (pageHost >= 0) {
          const t = (lo >>> 12) | (hi << 20), e = t & (TLB_SIZE - 1);
          this.wTag[e] = t; this.wTagHi[e] = hi >> 12; this.wHost[e] = pageHost;
        }
      }
    }
  }

  private codeWritten(pa: number): void {
    const r = pa - this.ramBase;
    if (r < 0 || r >= this.ramSize) return;
    const pidx = Math.floor(r / PAGE_SIZE);
    if (this.codeBits[pidx]) this.invalidateCodePage(pidx);
  }

  /**
   * Translate an AMO/LR/SC address (naturally aligned, so within one page) and return the
   * physical address; `isLoad` selects LR's load-type exceptions.
   */
  amoAddress(lo: number, hi: number, size: number, isLoad: boolean): number {
    if (lo & (size - 1)) this.raise(isLoad ? CAUSE_MISALIGNED_LOAD : CAUSE_MISALIGNED_STORE, lo, hi);
    const pa = this.translate(lo, hi, size, isLoad ? ACCESS_READ : ACCESS_WRITE);
    if (!this.physView(pa, size)) this.raise(isLoad ? CAUSE_LOAD_ACCESS : CAUSE_STORE_ACCESS, lo, hi);
    if (!isLoad) this.codeWritten(pa);
    return pa;
  }

  // =====================================================================
  // Instruction fetch and the decoded-instruction cache
  // =====================================================================

  invalidateCodePage(pidx: number): void {
    this.codeBits[pidx] = 0;
    this.codePages[pidx]!.ops.fill(0);
    if (this.jit !== null) this.jit.invalidate(pidx);
  }

  /** Mark a RAM page as holding decoded code; stores to it must now take the slow path. */
  markCode(pidx: number): void {
    if (this.codeBits[pidx]) return;
    this.codeBits[pidx] = 1;
    const host = this.ramOffset + pidx * PAGE_SIZE;
    const wHost = this.wHost, wTagHi = this.wTagHi;
    for (let e = 0; e < TLB_SIZE; e++) if (wHost[e] === host) wTagHi[e] = TLB_INVALID;
    if (this.jit !== null) this.jit.dropWrite(host);
  }

  /**
   * The decoded page holding pc (after translation and PMP checks), entered into the
   * instruction TLB. For a page that cannot be cached (not RAM, or PMP not uniform over
   * it) the instruction at pc alone is fetched and decoded into the scratch page.
   */
  fetchPage(pc: number): CodePage {
    const lo = pc | 0;
    const hi = Math.floor(pc / TWO32) | 0;
    const pa = this.translate(lo & ~0xfff, hi, 2, ACCESS_EXEC);
    const r = pa - this.ramBase;
    if (r >= 0 && r < this.ramSize && this.pmp.pageUniform(pa) && this.pmp.check(pa, PAGE_SIZE, ACCESS_EXEC, this.priv)) {
      const pidx = r / PAGE_SIZE;
      let cp = this.codePages[pidx];
      if (!cp) cp = this.codePages[pidx] = newCodePage(this.ramOffset + r, pidx);
      const vpn = Math.floor(pc / PAGE_SIZE);
      const e = vpn & (TLB_SIZE - 1);
      this.iVpn[e] = vpn;
      this.iPage[e] = cp;
      return cp;
    }
    // Uncached: fetch and decode this one instruction (per-fetch PMP checks).
    const bits = this.fetchBits(lo, hi);
    const sc = this.scratch;
    decodeInto(bits, sc.ops, sc.ws, sc.imms, (lo & 0xfff) >> 1);
    return sc;
  }

  /** Decode slot s of the cached page cp from RAM. */
  decodeSlot(cp: CodePage, s: number): void {
    const dv = this.dv;
    const o = cp.host + 2 * s;
    let bits = dv.getUint16(o, true);
    if ((bits & 3) === 3) {
      if (s === SLOTS_PER_PAGE - 1) {
        cp.ops[s] = OP_CROSS; // the second half lies in the next virtual page
        return;
      }
      bits = (bits | (dv.getUint16(o + 2, true) << 16)) | 0;
    }
    this.markCode(cp.pidx);
    decodeInto(bits, cp.ops, cp.ws, cp.imms, s);
  }

  /** Fetch the raw bits of the instruction at virtual pc (16 or 32 bits), with full checks. */
  fetchBits(lo: number, hi: number): number {
    const pa = this.translate(lo, hi, 2, ACCESS_EXEC);
    const v = this.physView(pa, 2);
    if (!v) this.raise(CAUSE_FETCH_ACCESS, lo, hi);
    const h0 = v.getUint16(this.physOff, true);
    if ((h0 & 3) !== 3) return h0;
    const lo2 = (lo + 2) | 0;
    const hi2 = (lo2 >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
    const pa2 = (lo2 & 0xfff) === 0 ? this.translate(lo2, hi2, 2, ACCESS_EXEC) : pa + 2;
    if ((lo2 & 0xfff) !== 0 && !this.pmp.check(pa2, 2, ACCESS_EXEC, this.priv)) this.raise(CAUSE_FETCH_ACCESS, lo2, hi2);
    const v2 = this.physView(pa2, 2);
    if (!v2) this.raise(CAUSE_FETCH_ACCESS, lo2, hi2);
    return (h0 | (v2.getUint16(this.physOff, true) << 16)) | 0;
  }

  /** Decode the page-crossing instruction at pc into scratch slot 0. */
  fetchCross(pc: number): void {
    const lo = pc | 0;
    const hi = Math.floor(pc / TWO32) | 0;
    const bits = this.fetchBits(lo, hi);
    const sc = this.scratch;
    decodeInto(bits, sc.ops, sc.ws, sc.imms, 0);
  }

  /** Raise the fetch fault for an unrepresentable/invalid pc (lo, hi), as translate would. */
  fetchFault(lo: number, hi: number): never {
    const translated = this.sv39 && this.priv !== Priv.M;
    return this.raise(translated ? CAUSE_FETCH_PAGE_FAULT : CAUSE_FETCH_ACCESS, lo, hi);
  }

  /** CSR read result low word (the high word goes to tmpHi). */
  csrLo = 0;
}

export function accessFaultCause(access: number): number {
  return access === ACCESS_EXEC ? CAUSE_FETCH_ACCESS : access === ACCESS_WRITE ? CAUSE_STORE_ACCESS : CAUSE_LOAD_ACCESS;
}
export function pageFaultCause(access: number): number {
  return access === ACCESS_EXEC ? CAUSE_FETCH_PAGE_FAULT : access === ACCESS_WRITE ? CAUSE_STORE_PAGE_FAULT : CAUSE_LOAD_PAGE_FAULT;
}
