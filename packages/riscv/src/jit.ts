// The JIT tier: hot RISC-V code pages translated to WebAssembly (issue 6; design notes in
// shared/reference/cpu-performance.md). The interpreter (interp.ts) stays the cold tier
// and the reference: whatever the JIT does not translate, and every exception, is handed
// back to it at the exact instruction, with the registers flushed, so it re-executes
// that instruction and reports the fault (or performs the access) itself.
//
// Unit of translation: a region, i.e. the blocks reachable from one entry slot within one
// 4 KiB physical code page (its decoded slots, the same cache the interpreter uses),
// becomes one Wasm function (one module, many blocks); a page collects the regions
// compiled for it, and every block start of a region is an entry of the page. A region
// stops at blocks another region of the page already holds (each block is compiled once:
// re-translating them made ~10x more Wasm, and TurboFan's compile time was the main cost):
//
//   f(slot, budget, flags) -> code
//     base = pc & ~4095 (pc from the HartState; the code is position independent, so a
//            page mapped at several virtual addresses shares one translation)
//     load the guest registers the page uses into i64 locals
//     block $out
//       loop $L                     ; the dispatcher: br_table over the 2048 halfword slots
//         block $b(K-1) ... block $b0  block $miss  br_table(slot - first) end
//         miss: exit -1
//         end $b0: loop $self <block 0> end   ; a jump to its own start is `br $self`
//         end $b1: loop $self <block 1> end   ; block i falls through into block i+1
//         ...
//     end $out: store pc, flush written registers, store the instruction count, return code
//
// Exit codes: 0 = pc set, dispatch again (jump out of the page or region, jalr); k > 0 =
// let the interpreter execute k instructions at pc (not translated: CSR, ecall, LR/SC, a
// page-crossing access); -1 = the entry slot is not a block start of this region; -2 = the
// next block does not fit in the budget (the interpreter finishes it); -4/-5 = a JIT TLB
// miss on a read/write (the driver fills the JIT TLB, the interpreter runs the rest of
// the block).
//
// Dispatch stays in Wasm: every region function sits in one function table, and a
// dispatcher function (its own small module) loops: look the pc up in a hash in linear
// memory (pc -> table index), call_indirect the region, add its count, and go on while
// the code is 0 or -1 and budget remains. Only a pc the hash does not know (EXIT_LOOKUP:
// the driver in run() finds or compiles its region, or lets the interpreter run), k > 0
// and -2 come back to JS. The hash is keyed by virtual pc, so it is cleared with the
// TLB (satp, sfence.vma, privilege context) and when a page's translation is dropped.
//
// Loads and stores: an inline soft TLB in Wasm memory (tags = virtual page addresses as i64, host
// page - virtual page), filled by the driver from the hart's own TLB (or its page walk) after a
// miss exit, and flushed with it. Pages holding decoded code never enter the write TLB (Hart.markCode
// purges them), so a store to code always takes the interpreter's slow path, which
// invalidates the page's decoded slots and its translation.
//
// Instruction counts are exact: each block adds its length at its end, and exits in
// the middle add the instructions before the exiting one. Budgets are exact too: a block
// is entered only if it fits in what remains.

import { MSTATUS_FS, STATE_F, STATE_FFLAGS, STATE_FRM, STATE_PC, STOP_BUDGET, TRAP, HART_STATE_SIZE, PAGE_SIZE } from './constants.ts';
import { execFP } from './exec-fp.ts';
import { Op, run as runLoop, execCSR, SLOTS_PER_PAGE } from './interp.ts';
import type { CodePage, Hart } from './hart.ts';
import { Buf, F64, I32, I64, VOID, W, uleb, sleb, i64ConstParts, str, section } from './jit-wasm.ts';

export type JitMode = boolean | 'force';

/** The JIT mode when nothing says otherwise. */
// Off by default: on real programs (dash, lua, sqlite: bench/apps.ts) compiling costs more
// than it saves until indirect jumps stay inside Wasm; `teeos run --jit` turns it on.
export const DEFAULT_JIT: JitMode = false;

/**
 * A JIT mode from a setting such as the TEEOS_JIT environment variable: '0'/'off'/'false'
 * = interpreter only, 'force' = translate everything at first sight, '1'/'on'/'true' =
 * translate hot code; unset or empty = DEFAULT_JIT.
 */
export function jitModeFrom(s: string | undefined): JitMode {
  if (s === undefined || s === '') return DEFAULT_JIT;
  const v = s.toLowerCase();
  if (v === 'force') return 'force';
  if (v === '0' || v === 'off' || v === 'false' || v === 'no') return false;
  return true;
}

const TWO32 = 4294967296;
// TEEOS_JIT_STATS=1: count exits to JS by kind (k<op> = the interpreter ran op), hash
// clears and compiles, printed to stderr every 2000 events (a debugging aid for profiling).
const STATS = typeof process !== 'undefined' && !!process.env.TEEOS_JIT_STATS;
const ST = new Map<string, number>();
let stN = 0;
function st(key: string): void { ST.set(key, (ST.get(key) ?? 0) + 1); if (++stN % 2000 === 0) console.error(JSON.stringify([...ST].sort((a, b) => b[1] - a[1]).slice(0, 25))); }
const PC = STATE_PC >> 2;
const SINK = 130;
const EXIT_MISS = -1;
const EXIT_BUDGET = -2;
/** Instructions the interpreter runs per visit of a page that is not translated yet. */
const CHUNK = 64;
/** Visits of a page before it is translated (0 in force mode). */
const HOT_VISITS = 16;
/** Block length cap (instructions). */
const MAX_BLOCK = 200;
/** Blocks per region. */
const MAX_BLOCKS = 256;
/** Instructions of blocks held by other regions of the page that a region may copy. */
const DUP_INSNS = 16;
const MAX_INVALIDATIONS = 64;

/**
 * Most entries of the JIT's TLB (direct-mapped by virtual page number). Large enough for a
 * working set of 32 MiB (bench sort and chase thrashed 256 entries: every miss left Wasm
 * for the interpreter's page walk); a flush (satp, sfence.vma, context) fills 16 bytes per entry.
 */
const MAX_TLB = 8192;
/** Bytes of Wasm memory the JIT needs for an n-entry TLB pair, its outputs and the dispatch hash. */
export function jitScratchSize(n: number): number { return 24 * n + 16 + 12 * hashEntries(n); }
/** Entries of the dispatch hash (guest pc -> function table index) beside an n-entry TLB. */
function hashEntries(_n: number): number { return 2048; }
/** A tag no pc can have (pcs are even): an empty hash entry. */
const HASH_EMPTY = 1;
/** Exit code of the dispatcher: the pc is not in the hash (the driver resolves it). */
const EXIT_LOOKUP = -3;
/**
 * Exit codes of a JIT TLB miss on a read or a write, the virtual address at outAt + 8: the
 * driver fills the JIT TLB (or finds that it cannot) and the interpreter performs the
 * access. The miss path leaves the function instead of calling a JS import to fill it: a
 * call on the miss path of every load and store, with the guest registers live across it,
 * made TurboFan's register allocation of big regions about twice as slow, and misses are
 * rare once a page has been touched (one exit per page and TLB flush).
 */
const EXIT_FILL_R = -4, EXIT_FILL_W = -5;

type RegionFn = (slot: number, budget: number, flags: number) => number;

interface JitPage {
  /** Table index of the region function holding a block that starts at each slot (0: none; null: none yet). */
  fns: Int32Array | null;
  /** Table indices this page's functions hold (freed when it is invalidated). */
  owned: number[];
  heat: number;
  misses: Map<number, number>;
  /** For slots inside a block: instructions to the block's end (to step the interpreter there). */
  steps: Uint8Array | null;
  invalidations: number;
  banned: boolean;
}

// Local variable indices of the page function.
const L_SLOT = 0, L_BUDGET = 1, L_FLAGS = 2, L_ICOUNT = 3, L_CODE = 4, L_HP = 5, L_E = 6;
const L_BASE = 7, L_EXIT = 8, L_ADDR = 9, L_T1 = 10, L_T2 = 11;
const xl = (r: number) => 11 + r; // x1..x31 -> 12..42
const L_SX = 43;
const L_FA = 44, L_FB = 45;
const N_I32_LOCALS = 4, N_I64_LOCALS = 37, N_F64_LOCALS = 2;
/** i64 temporaries of the inline mulhu (after the f64 locals). */
const L_M0 = 46, N_M_LOCALS = 6;
/** Guest registers live in the HartState (memory) rather than in locals loaded at entry and flushed at exit. */
const REGS_IN_MEMORY = typeof process !== 'undefined' && process.env.TEEOS_JIT_MEMREGS === '1';

// Function indices: imports first.
const F_FP = 0, F_CSR = 1, F_MAIN = 2;

// Ops the JIT translates (everything else ends the block with an interpreter exit).
function translatable(op: number): boolean {
  switch (op) {
    case Op.LUI: case Op.AUIPC: case Op.JAL: case Op.JALR:
    case Op.BEQ: case Op.BNE: case Op.BLT: case Op.BGE: case Op.BLTU: case Op.BGEU:
    case Op.LB: case Op.LH: case Op.LW: case Op.LD: case Op.LBU: case Op.LHU: case Op.LWU:
    case Op.SB: case Op.SH: case Op.SW: case Op.SD:
    case Op.ADDI: case Op.SLTI: case Op.SLTIU: case Op.XORI: case Op.ORI: case Op.ANDI:
    case Op.SLLI: case Op.SRLI: case Op.SRAI:
    case Op.ADD: case Op.SUB: case Op.SLL: case Op.SLT: case Op.SLTU: case Op.XOR:
    case Op.SRL: case Op.SRA: case Op.OR: case Op.AND:
    case Op.ADDIW: case Op.SLLIW: case Op.SRLIW: case Op.SRAIW:
    case Op.ADDW: case Op.SUBW: case Op.SLLW: case Op.SRLW: case Op.SRAW:
    case Op.MUL: case Op.MULH: case Op.MULHSU: case Op.MULHU: case Op.DIV: case Op.DIVU:
    case Op.REM: case Op.REMU: case Op.MULW: case Op.DIVW: case Op.DIVUW: case Op.REMW: case Op.REMUW:
    case Op.FENCE: case Op.AMO_W: case Op.AMO_D:
    case Op.FLW: case Op.FLD: case Op.FSW: case Op.FSD: case Op.FP:
      return true;
  }
  return false;
}
/** The floating-point CSRs (fflags, frm, fcsr): accessed through the `csr` import, no exit. */
const isFpCsr = (ins: { op: number; imm: number }) => ins.op >= Op.CSRRW && ins.op <= Op.CSRRCI && ins.imm >= 1 && ins.imm <= 3;
const canJit = (ins: { op: number; imm: number }) => translatable(ins.op) || isFpCsr(ins);
const isBranch = (op: number) => op >= Op.BEQ && op <= Op.BGEU;
/** Ends a block (control transfer) when translated. */
const isJump = (op: number) => op === Op.JAL || op === Op.JALR || isBranch(op);

/** x registers an OP-FP instruction reads (src) or writes (dst) besides f registers (0 = none). */
function fpXRegs(bits: number): [number, number] {
  if ((bits & 0x7f) !== 0x53) return [0, 0];
  const f5 = bits >>> 27, rd = (bits >>> 7) & 31, rs1 = (bits >>> 15) & 31;
  const src = f5 === 0x1a || f5 === 0x1e ? rs1 : 0;
  const dst = f5 === 0x14 || f5 === 0x18 || f5 === 0x1c ? rd : 0;
  return [src, dst];
}

const xreg = (field: number) => (field === SINK ? 0 : field >> 1);
const freg = (field: number) => (field - 64) >> 1;

interface Insn { slot: number; op: number; rd: number; rs1: number; rs2: number; len: number; imm: number; run: number }

export class Jit {
  readonly force: boolean;
  private readonly h: Hart;
  private readonly pages: (JitPage | undefined)[];
  /** TLB geometry in Wasm memory. */
  private readonly n: number;
  private readonly rTagAt: number; private readonly wTagAt: number;
  private readonly rHostAt: number; private readonly wHostAt: number;
  private readonly outAt: number;
  /** The dispatch hash: tags (i64 pc, HASH_EMPTY when free) then table indices (i32). */
  private readonly hTagAt: number; private readonly hIdxAt: number; private readonly hn: number;
  /** Every region function, called from the dispatcher by index (0 unused). */
  private readonly table: WebAssembly.Table;
  private tableTop = 1;
  private readonly freeIdx: number[] = [];
  private dispatch: (budget: number, flags: number) => number;
  private readonly mem32: Int32Array;
  private readonly shared: boolean;
  private readonly imports: WebAssembly.Imports;
  /** Statistics. */
  compiles = 0;
  compiledBlocks = 0;
  compileMs = 0;

  constructor(h: Hart, mode: JitMode, scratch: number, entries: number) {
    this.h = h;
    this.force = mode === 'force';
    this.pages = new Array(h.ramPages);
    this.n = entries;
    this.rTagAt = scratch;
    this.wTagAt = scratch + 8 * entries;
    this.rHostAt = scratch + 16 * entries;
    this.wHostAt = scratch + 20 * entries;
    this.outAt = scratch + 24 * entries;
    this.hn = hashEntries(entries);
    this.hTagAt = scratch + 24 * entries + 16;
    this.hIdxAt = this.hTagAt + 8 * this.hn;
    this.table = new WebAssembly.Table({ element: 'anyfunc', initial: 256 });
    this.mem32 = new Int32Array(h.memory.buffer);
    this.shared = typeof SharedArrayBuffer !== 'undefined' && h.memory.buffer instanceof SharedArrayBuffer;
    const fp = (bits: number): number => {
      try {
        execFP(h, bits);
        return 0;
      } catch (e) {
        if (e === TRAP) return 1;
        throw e;
      }
    };
    // fflags/frm/fcsr (libm reads and restores them around every sqrt and rounding): the
    // interpreter's own CSR code, registers passed through the HartState; 1 = it trapped.
    const csr = (op: number, rd: number, rs1: number, num: number): number => {
      try {
        execCSR(h, op, rd, rs1, num);
        return 0;
      } catch (e) {
        if (e === TRAP) return 1;
        throw e;
      }
    };
    this.imports = { e: { m: h.memory, fp, csr } };
    const dmod = new WebAssembly.Module(this.dispatcherModule());
    this.dispatch = new WebAssembly.Instance(dmod, { e: { m: h.memory, t: this.table } }).exports.run as (budget: number, flags: number) => number;
    this.flushTLB();
  }

  /**
   * Where the JIT's scratch block can live: `explicit` if given, else the largest gap of
   * the memory not used by the HartState or RAM. Returns [offset, TLB entries] or null.
   */
  static placeScratch(memBytes: number, sb: number, ramOffset: number, ramSize: number, explicit?: number): [number, number] | null {
    const fit = (size: number): number => {
      let n = MAX_TLB;
      while (n >= 16 && jitScratchSize(n) > size) n >>= 1;
      return n >= 16 ? n : 0;
    };
    if (explicit !== undefined) {
      const n = fit(memBytes - explicit);
      return n ? [explicit, n] : null;
    }
    const used: [number, number][] = [[sb, sb + HART_STATE_SIZE], [ramOffset, ramOffset + ramSize]].sort((a, b) => a[0] - b[0]) as [number, number][];
    const gaps: [number, number][] = [[0, used[0][0]], [used[0][1], used[1][0]], [used[1][1], memBytes]];
    let best: [number, number] | null = null;
    for (const [a0, b] of gaps) {
      const a = (a0 + 7) & ~7;
      if (b - a <= 0) continue;
      const n = fit(b - a);
      if (n && (!best || n > best[1])) best = [a, n];
    }
    return best;
  }

  // ---------------------------------------------------------------------------------
  // Hooks from the hart
  // ---------------------------------------------------------------------------------

  flushTLB(): void {
    const m = this.mem32;
    m.fill(-1, this.rTagAt >> 2, (this.rTagAt + 16 * this.n) >> 2);
    this.clearHash();
  }

  /** Forget every pc -> function entry (the virtual-to-physical mapping or the translations changed). */
  private clearHash(): void {
    if (STATS) st('clear');
    const m = this.mem32, t = this.hTagAt >> 2;
    for (let j = 0; j < this.hn; j++) { m[t + 2 * j] = HASH_EMPTY; m[t + 2 * j + 1] = 0; }
  }

  private hashSlot(lo: number, hi: number): number {
    return ((lo >>> 1) ^ (lo >>> 13) ^ hi) & (this.hn - 1);
  }

  /** A page became code: its host offset must leave the write TLB. */
  dropWrite(host: number): void {
    const m = this.mem32, n = this.n, wh = this.wHostAt >> 2, wt = this.wTagAt >> 2;
    for (let j = 0; j < n; j++) if (((m[wh + j] + (m[wt + 2 * j] & -4096)) | 0) === host) { m[wt + 2 * j] = -1; m[wt + 2 * j + 1] = -1; }
  }

  invalidate(pidx: number): void {
    const jp = this.pages[pidx];
    if (!jp || !jp.fns) return;
    jp.fns = null;
    this.clearHash();
    for (const i of jp.owned) { this.table.set(i, null); this.freeIdx.push(i); }
    jp.owned = [];
    jp.steps = null;
    jp.heat = 0;
    jp.misses.clear();
    if (++jp.invalidations > MAX_INVALIDATIONS) jp.banned = true;
  }

  /** Copy the hart's TLB entry for (lo, hi) into the JIT TLB; host page offset or -1. */
  private fill(lo: number, hi: number, write: number): number {
    const h = this.h;
    const t = (lo >>> 12) | (hi << 20), e = t & 255, th = hi >> 12;
    let host: number;
    if (write) host = h.wTag[e] === t && h.wTagHi[e] === th ? h.wHost[e] : h.tlbWalk(lo, hi, true);
    else host = h.rTag[e] === t && h.rTagHi[e] === th ? h.rHost[e] : h.tlbWalk(lo, hi, false);
    if (host < 0) return -1;
    const j = t & (this.n - 1), m = this.mem32;
    const tagAt = (write ? this.wTagAt : this.rTagAt) >> 2;
    // tag: the page's virtual address; entry: host page - virtual page (mod 2^32), see address()
    m[tagAt + 2 * j] = lo & -4096;
    m[tagAt + 2 * j + 1] = hi;
    m[((write ? this.wHostAt : this.rHostAt) >> 2) + j] = (host - (lo & -4096)) | 0;
    return host;
  }

  // ---------------------------------------------------------------------------------
  // The run loop: translated code where there is some, the interpreter elsewhere
  // ---------------------------------------------------------------------------------

  run(budget: number): number {
    const h = this.h, x = h.x, m = this.mem32, outI = this.outAt >> 2;
    if (h.pendingInterrupt() >= 0) return runLoop(h, budget);
    const iVpn = h.iVpn, iPage = h.iPage, pages = this.pages, force = this.force;
    let n = 0;
    for (;;) {
      let rem = budget - n;
      if (rem <= 0) return STOP_BUDGET;
      // Translated code chains inside Wasm (the dispatcher looks pcs up in the hash);
      // it comes back here for what the hash does not know, the interpreter, or the budget.
      const code = this.dispatch(rem, (h.mstatus & MSTATUS_FS) === MSTATUS_FS ? 1 : 0);
      const cnt = m[outI];
      if (STATS) st(code > 0 ? 'k' + (h.iPage[Math.floor((x[PC + 1] * TWO32 + (x[PC] >>> 0)) / PAGE_SIZE) & 255].ops[(x[PC] & 4095) >> 1]) : 'c' + code);
      n += cnt;
      h.instret += cnt;
      rem -= cnt;
      if (rem <= 0) return STOP_BUDGET;
      let k: number;
      if (code === EXIT_LOOKUP) {
        k = 1;
        const lo = x[PC], hi = x[PC + 1];
        if ((((hi >> 21) + 1) >>> 1) === 0) {
          const pc = hi * TWO32 + (lo >>> 0);
          const vpn = Math.floor(pc / PAGE_SIZE), e = vpn & 255;
          if (iVpn[e] === vpn) {
            const cp = iPage[e];
            let jp = pages[cp.pidx];
            if (jp === undefined) {
              jp = pages[cp.pidx] = { fns: null, owned: [], heat: 0, misses: new Map(), steps: null, invalidations: 0, banned: false };
            }
            const slot = (lo & 4095) >> 1;
            let fi = jp.fns !== null ? jp.fns[slot] : 0;
            if (fi === 0) {
              k = CHUNK;
              if (!jp.banned) {
                if (force) fi = this.compile(cp, jp, slot);
                else if (++jp.heat > HOT_VISITS) {
                  const c = (jp.misses.get(slot) ?? 0) + 1;
                  if (c >= 2) { jp.misses.delete(slot); fi = this.compile(cp, jp, slot); }
                  else {
                    jp.misses.set(slot, c);
                    if (jp.steps !== null && jp.steps[slot] !== 0) k = jp.steps[slot];
                  }
                }
              }
            }
            if (fi !== 0) {
              const j = this.hashSlot(lo, hi), t = (this.hTagAt >> 2) + 2 * j;
              m[t] = lo; m[t + 1] = hi;
              m[(this.hIdxAt >> 2) + j] = fi;
              continue;
            }
          }
        }
      } else if (code > 0) k = code;
      else if (code === EXIT_FILL_R || code === EXIT_FILL_W) {
        this.fill(m[outI + 2], m[outI + 3], code === EXIT_FILL_W ? 1 : 0);
        k = this.toBlockEnd(x[PC], x[PC + 1]);
      } else k = rem; // EXIT_BUDGET: the next block does not fit; the interpreter finishes
      if (k > rem) k = rem;
      const r = runLoop(h, k);
      if (r !== STOP_BUDGET) return r;
      n += k;
    }
  }

  /** Instructions from pc to the end of its translated block (1 if unknown): the interpreter runs them after a JIT TLB miss. */
  private toBlockEnd(lo: number, hi: number): number {
    const h = this.h;
    if ((((hi >> 21) + 1) >>> 1) !== 0) return 1;
    const vpn = Math.floor((hi * TWO32 + (lo >>> 0)) / PAGE_SIZE), e = vpn & 255;
    if (h.iVpn[e] !== vpn) return 1;
    const jp = this.pages[h.iPage[e].pidx];
    const st = jp !== undefined && jp.steps !== null ? jp.steps[(lo & 4095) >> 1] : 0;
    return st !== 0 ? st : 1;
  }

  /**
   * The dispatcher: run(budget, flags) -> exit code, instructions executed at outAt.
   *   loop: pc = state.pc; j = hash(pc); if tag[j] != pc: exit EXIT_LOOKUP
   *         code = table[idx[j]](slot(pc), budget - total, flags); total += out
   *         if (code == 0 || code == EXIT_MISS) && total < budget: loop
   */
  private dispatcherModule(): Uint8Array<ArrayBuffer> {
    const sb = this.h.sb;
    const out = new Buf();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const ty = new Buf();
    ty.bytes([2, 0x60, 3, I32, I32, I32, 1, I32, 0x60, 2, I32, I32, 1, I32]);
    section(out, 1, ty);
    const imp = new Buf();
    imp.push(2);
    str(imp, 'e'); str(imp, 'm'); imp.push(0x02);
    if (this.shared) { imp.push2(0x03, 0); uleb(imp, 65536); } else imp.push2(0x00, 0);
    str(imp, 'e'); str(imp, 't'); imp.push2(0x01, 0x70); imp.push2(0x00, 0);
    section(out, 2, imp);
    const fnsec = new Buf();
    fnsec.bytes([1, 1]);
    section(out, 3, fnsec);
    const exp = new Buf();
    exp.push(1); str(exp, 'run'); exp.push2(0x00, 0);
    section(out, 7, exp);
    // locals: 0 budget, 1 flags, 2 total, 3 code, 4 j (i32); 5 pc (i64)
    const b = new Buf();
    b.bytes([2, 3, I32, 1, I64]);
    const L_TOTAL = 2, L_CODE_ = 3, L_J = 4, L_PC = 5;
    const get = (l: number) => b.push2(W.LOCAL_GET, l), set = (l: number) => b.push2(W.LOCAL_SET, l);
    const tee = (l: number) => b.push2(W.LOCAL_TEE, l);
    const i32c = (v: number) => { b.push(W.I32_CONST); sleb(b, v | 0); };
    const i64c = (v: number) => { b.push(W.I64_CONST); sleb(b, v); };
    const mem = (o: number, align: number, off: number) => { b.push2(o, align); uleb(b, off); };
    b.push2(W.BLOCK, VOID); // $out
    b.push2(W.LOOP, VOID); // $L
    i32c(0); mem(W.I64_LOAD, 3, sb + STATE_PC); tee(L_PC);
    // j = ((lo >>> 1) ^ (lo >>> 13) ^ hi) & (hn - 1)
    b.push(W.I32_WRAP_I64); tee(L_J); i32c(1); b.push(W.I32_SHR_U);
    get(L_J); i32c(13); b.push(W.I32_SHR_U); b.push(W.I32_XOR);
    get(L_PC); i64c(32); b.push(W.I64_SHR_U); b.push(W.I32_WRAP_I64); b.push(W.I32_XOR);
    i32c(this.hn - 1); b.push(W.I32_AND); tee(L_J);
    i32c(3); b.push(W.I32_SHL); mem(W.I64_LOAD, 3, this.hTagAt);
    get(L_PC); b.push(W.I64_NE);
    b.push2(W.IF, VOID); i32c(EXIT_LOOKUP); set(L_CODE_); b.push2(W.BR, 2); b.push(W.END);
    // call
    get(L_PC); b.push(W.I32_WRAP_I64); i32c(4095); b.push(W.I32_AND); i32c(1); b.push(W.I32_SHR_U);
    get(0); get(L_TOTAL); b.push(W.I32_SUB);
    get(1);
    get(L_J); i32c(2); b.push(W.I32_SHL); mem(W.I32_LOAD, 2, this.hIdxAt);
    b.push(0x11); b.push2(0, 0); // call_indirect type 0, table 0
    set(L_CODE_);
    get(L_TOTAL); i32c(0); mem(W.I32_LOAD, 2, this.outAt); b.push(W.I32_ADD); set(L_TOTAL);
    // continue while code is 0 or EXIT_MISS (-1) and budget remains: (code + 1) u< 2
    get(L_CODE_); i32c(1); b.push(W.I32_ADD); i32c(2); b.push(W.I32_LT_U);
    get(L_TOTAL); get(0); b.push(W.I32_LT_U); b.push(W.I32_AND);
    b.push2(W.BR_IF, 0);
    b.push(W.END); // loop
    b.push(W.END); // block
    i32c(0); get(L_TOTAL); mem(W.I32_STORE, 2, this.outAt);
    get(L_CODE_);
    b.push(W.END);
    const code = new Buf();
    code.push(1);
    uleb(code, b.n); code.append(b);
    section(out, 10, code);
    return out.a.slice(0, out.n);
  }

  // ---------------------------------------------------------------------------------
  // Translation
  // ---------------------------------------------------------------------------------

  private insnAt(cp: CodePage, s: number): Insn {
    if (cp.ops[s] === Op.NONE) this.h.decodeSlot(cp, s);
    const w = cp.ws[s];
    return { slot: s, op: cp.ops[s], rd: w & 255, rs1: (w >>> 8) & 255, rs2: (w >>> 16) & 255, len: w >>> 24, imm: cp.imms[s], run: 1 };
  }

  /** Translate the region entered at `entry` of the page; returns its function. */
  private compile(cp: CodePage, jp: JitPage, entry: number): number {
    const t0 = performance.now();
    // Phase 1: block starts reachable from the entry within the page (not past
    // untranslated instructions: the driver finds or compiles what follows them).
    const isStart = new Uint8Array(SLOTS_PER_PAGE);
    const work: number[] = [entry];
    isStart[entry] = 1;
    let nStarts = 1;
    // Slots that start a block of another region of this page: not translated again
    // (each block is compiled once: re-translating whole regions made ~10x more Wasm);
    // jumps there leave through the dispatcher. Except a few instructions' worth
    // (DUP_INSNS): a region that runs into a short block held elsewhere, such as the head
    // of an interpreter's dispatch loop, a loop's latch, or a shared epilogue, takes a copy,
    // so that it does not leave for the dispatcher on every pass (regions compiled one
    // after another at neighbouring entries fragmented such loops into chains of regions).
    const have = jp.fns;
    const ext = (t: number) => have !== null && have[t] !== 0 && !isStart[t];
    let dupLeft = DUP_INSNS;
    const dup = new Uint8Array(SLOTS_PER_PAGE);
    const take = (t: number): void => {
      if (t < 0 || t >= SLOTS_PER_PAGE || isStart[t] || nStarts >= MAX_BLOCKS) return;
      if (ext(t)) { if (dupLeft <= 0) return; dup[t] = 1; }
      isStart[t] = 1; nStarts++; work.push(t);
    };
    while (work.length > 0) {
      let s = work.pop()!;
      const copying = dup[s] === 1;
      for (let count = 0; ; count++) {
        if (s >= SLOTS_PER_PAGE) break;
        if (count > 0 && (ext(s) || (isStart[s] && dup[s]))) { take(s); break; }
        if (count >= MAX_BLOCK) { if (!ext(s)) take(s); break; }
        const ins = this.insnAt(cp, s);
        const op = ins.op;
        if (!canJit(ins)) break;
        if (copying) dupLeft--;
        const next = s + (ins.len >> 1);
        let t1 = -1, t2 = -1;
        if (isBranch(op)) { t1 = s + (ins.imm >> 1); t2 = next; }
        else if (op === Op.JAL) { t1 = s + (ins.imm >> 1); if (ins.rd !== SINK) t2 = next; }
        else if (op === Op.JALR) { if (ins.rd !== SINK) t2 = next; }
        if (isJump(op)) {
          take(t1); take(t2);
          break;
        }
        s = next;
      }
    }
    // Phase 2: blocks in slot order.
    const starts: number[] = [];
    for (let s = 0; s < SLOTS_PER_PAGE; s++) if (isStart[s]) starts.push(s);
    const blocks: Insn[][] = [];
    const steps = jp.steps ?? (jp.steps = new Uint8Array(SLOTS_PER_PAGE));
    for (const s0 of starts) {
      const b: Insn[] = [];
      let s = s0;
      for (;;) {
        if (s >= SLOTS_PER_PAGE || b.length >= MAX_BLOCK || (s !== s0 && (isStart[s] || ext(s)))) break;
        const ins = this.insnAt(cp, s);
        b.push(ins);
        if (!canJit(ins)) {
          // How many untranslated instructions follow in a row: the interpreter runs them all.
          let t = s + (ins.len >> 1);
          while (t < SLOTS_PER_PAGE && ins.run < 64 && ins.op !== Op.CROSS && ins.op !== Op.ILLEGAL) {
            const i2 = this.insnAt(cp, t);
            if (canJit(i2)) break;
            ins.run++;
            if (i2.op === Op.CROSS || i2.op === Op.ILLEGAL) break;
            t += i2.len >> 1;
          }
          break;
        }
        if (isJump(ins.op)) break;
        s += ins.len >> 1;
      }
      for (let i = 0; i < b.length; i++) if (!steps[b[i].slot]) steps[b[i].slot] = b.length - i;
      blocks.push(b);
    }
    const bytes = this.emitModule(starts, blocks, isStart);
    if (STATS) { ST.set('bytes', (ST.get('bytes') ?? 0) + bytes.length); ST.set('blocks', (ST.get('blocks') ?? 0) + blocks.length); ST.set('insns', (ST.get('insns') ?? 0) + blocks.reduce((a, b) => a + b.length, 0)); }
    const mod = new WebAssembly.Module(bytes);
    const inst = new WebAssembly.Instance(mod, this.imports);
    const fn = inst.exports.f as RegionFn;
    let fi = this.freeIdx.pop();
    if (fi === undefined) {
      fi = this.tableTop++;
      if (fi >= this.table.length) this.table.grow(this.table.length);
    }
    this.table.set(fi, fn);
    jp.owned.push(fi);
    const fns = jp.fns ?? (jp.fns = new Int32Array(SLOTS_PER_PAGE));
    for (const s of starts) if (!dup[s]) fns[s] = fi; // a copy's hash entry stays its owner's
    this.compiles++; if (STATS) { st('compile'); if (this.compiles % 20 === 0) console.error(JSON.stringify([...ST])); }
    this.compiledBlocks += blocks.length;
    this.compileMs += performance.now() - t0;
    return fi;
  }

  private emitModule(starts: number[], blocks: Insn[][], isStart: Uint8Array): Uint8Array<ArrayBuffer> {
    const body = new FnEmitter(this, starts, blocks, isStart).emit();
    const out = new Buf();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    // types: 0 (i32 i32 i32)->i32, 1 (i32)->i32, 2 (i64 i64)->i64, 3 (i32 i32 i32 i32)->i32
    const ty = new Buf();
    ty.bytes([4, 0x60, 3, I32, I32, I32, 1, I32, 0x60, 1, I32, 1, I32, 0x60, 2, I64, I64, 1, I64, 0x60, 4, I32, I32, I32, I32, 1, I32]);
    section(out, 1, ty);
    const imp = new Buf();
    imp.push(3);
    str(imp, 'e'); str(imp, 'm'); imp.push(0x02);
    if (this.shared) { imp.push2(0x03, 0); uleb(imp, 65536); } else imp.push2(0x00, 0);
    str(imp, 'e'); str(imp, 'fp'); imp.push2(0x00, 1);
    str(imp, 'e'); str(imp, 'csr'); imp.push2(0x00, 3);
    section(out, 2, imp);
    const fnsec = new Buf();
    fnsec.bytes([1, 0]);
    section(out, 3, fnsec);
    const exp = new Buf();
    exp.push(1); str(exp, 'f'); exp.push2(0x00, F_MAIN);
    section(out, 7, exp);
    const code = new Buf();
    code.push(1);
    uleb(code, body.n); code.append(body);
    section(out, 10, code);
    return out.a.slice(0, out.n);
  }

  /** Layout constants for the emitter. */
  get layout() {
    return {
      sb: this.h.sb, n: this.n, rTagAt: this.rTagAt, wTagAt: this.wTagAt,
      rHostAt: this.rHostAt, wHostAt: this.wHostAt, outAt: this.outAt,
    };
  }
}

class FnEmitter {
  private readonly b = new Buf();
  /** Current label nesting level (absolute). */
  private lvl = 0;
  private readonly OUT = 1;
  private readonly LOOP = 2;
  private self = 0;
  private curStart = -1;
  /** Index of the block being emitted, and each start slot's block index. */
  private cur = 0;
  private readonly index = new Map<number, number>();
  private nextStart = -1;
  private readonly L: Jit['layout'];
  private readonly used = new Uint8Array(32);
  private readonly written = new Uint8Array(32);

  constructor(jit: Jit, private readonly starts: number[], private readonly blocks: Insn[][], private readonly isStart: Uint8Array) {
    this.L = jit.layout;
  }

  // ---- low-level emit helpers ----
  private op(v: number): void { this.b.push(v); }
  private op2(v: number, w: number): void { this.b.push2(v, w); }
  private i32c(v: number): void { this.b.push(W.I32_CONST); sleb(this.b, v | 0); }
  private i64c(v: number): void { this.b.push(W.I64_CONST); sleb(this.b, v); }
  private get(l: number): void { this.b.push2(W.LOCAL_GET, l); }
  private set(l: number): void { this.b.push2(W.LOCAL_SET, l); }
  private tee(l: number): void { this.b.push2(W.LOCAL_TEE, l); }
  private mem(opc: number, align: number, offset: number): void { this.b.push2(opc, align); uleb(this.b, offset); }
  /** Memory access at a constant address (i32.const 0 + offset). */
  private zero(): void { this.b.push2(W.I32_CONST, 0); }
  private block(): number { this.b.push2(W.BLOCK, VOID); return ++this.lvl; }
  private loop(): number { this.b.push2(W.LOOP, VOID); return ++this.lvl; }
  private if_(t = VOID): void { this.b.push2(W.IF, t); this.lvl++; }
  private else_(): void { this.b.push(W.ELSE); }
  private end(): void { this.b.push(W.END); this.lvl--; }
  private br(level: number): void { this.b.push(W.BR); uleb(this.b, this.lvl - level); }
  private brIf(level: number): void { this.b.push(W.BR_IF); uleb(this.b, this.lvl - level); }
  private f64c(v: number): void { this.b.push(W.F64_CONST); this.b.bytes(new Uint8Array(new Float64Array([v]).buffer)); }

  private getX(r: number): void {
    if (r === 0) { this.b.push2(W.I64_CONST, 0); return; }
    if (REGS_IN_MEMORY) { this.zero(); this.mem(W.I64_LOAD, 3, this.L.sb + 8 * r); return; }
    this.used[r] = 1;
    this.get(xl(r));
  }
  /** Consume the i64 on the stack into x[r] (x0: dropped). */
  private setX(r: number): void {
    if (r === 0) { this.b.push(W.DROP); return; }
    if (REGS_IN_MEMORY) { this.set(L_SX); this.zero(); this.get(L_SX); this.mem(W.I64_STORE, 3, this.L.sb + 8 * r); return; }
    this.used[r] = 1;
    this.written[r] = 1;
    this.set(xl(r));
  }
  private addCount(k: number): void {
    if (k === 0) return;
    this.get(L_ICOUNT); this.i32c(k); this.op(W.I32_ADD); this.set(L_ICOUNT);
  }
  /** Leave with pc = base + off and the given code. */
  private exit(off: number, code: number): void {
    this.i64c(off); this.set(L_EXIT);
    this.i32c(code); this.set(L_CODE);
    this.br(this.OUT);
  }
  /** Go to the block at in-page offset `off` (or leave if it is outside the page). */
  private jumpTo(off: number): void {
    if (off < 0 || off >= PAGE_SIZE) { this.exit(off, 0); return; }
    const s = off >> 1;
    if (s === this.curStart) { this.br(this.self); return; }
    if (!this.isStart[s]) { this.exit(off, 0); return; } // another region's block (the dispatcher finds it)
    // A later block: its label $b_i is still open (it ends where block i's code begins), so a
    // direct branch; an earlier one goes back through the br_table.
    const i = this.index.get(s)!;
    if (i > this.cur) { this.br(3 + (this.starts.length - 1 - i)); return; }
    this.i32c(s); this.set(L_SLOT); this.br(this.LOOP);
  }

  emit(): Buf {
    const { sb } = this.L;
    const K = this.blocks.length;
    const b = this.b;
    const first = this.starts[0], last = this.starts[K - 1];
    for (let i = 0; i < K; i++) this.index.set(this.starts[i], i);
    this.lvl = 0;
    this.block(); // $out = 1
    this.loop(); // $L = 2
    for (let i = 0; i < K; i++) this.block();
    this.block(); // $miss
    this.get(L_SLOT);
    if (first !== 0) { this.i32c(first); this.op(W.I32_SUB); }
    b.push(W.BR_TABLE);
    uleb(b, last - first + 1);
    for (let i = 0, s = first; s <= last; s++) {
      if (s === this.starts[i]) { uleb(b, i + 1); i++; } else b.push(0);
    }
    b.push(0);
    this.end();
    // miss: pc = base + 2 * slot
    this.get(L_SLOT); this.op(W.I64_EXTEND_I32_U); this.i64c(1); this.op(W.I64_SHL); this.set(L_EXIT);
    this.i32c(EXIT_MISS); this.set(L_CODE); this.br(this.OUT);
    for (let i = 0; i < K; i++) {
      this.end(); // $b_i
      this.curStart = this.starts[i];
      this.cur = i;
      this.nextStart = i + 1 < K ? this.starts[i + 1] : -1;
      this.self = this.loop();
      this.emitBlock(this.blocks[i]);
      this.end();
    }
    this.end(); // loop $L
    this.end(); // $out
    // Epilogue: pc, registers, count.
    this.zero(); this.get(L_BASE); this.get(L_EXIT); this.op(W.I64_ADD); this.mem(W.I64_STORE, 3, sb + STATE_PC);
    for (let r = 1; r < 32; r++) {
      if (!this.written[r]) continue;
      this.zero(); this.get(xl(r)); this.mem(W.I64_STORE, 3, sb + 8 * r);
    }
    this.zero(); this.get(L_ICOUNT); this.mem(W.I32_STORE, 2, this.L.outAt);
    this.get(L_CODE);
    this.op(W.END);
    // Prologue: locals, base, registers.
    const pro = new Buf();
    pro.bytes([4, N_I32_LOCALS, I32, N_I64_LOCALS, I64, N_F64_LOCALS, F64, N_M_LOCALS, I64]);
    pro.push2(W.I32_CONST, 0); pro.push2(W.I64_LOAD, 3); uleb(pro, sb + STATE_PC);
    pro.push(W.I64_CONST); sleb(pro, -4096); pro.push(W.I64_AND); pro.push2(W.LOCAL_SET, L_BASE);
    for (let r = 1; r < 32; r++) {
      if (!this.used[r]) continue;
      pro.push2(W.I32_CONST, 0); pro.push2(W.I64_LOAD, 3); uleb(pro, sb + 8 * r); pro.push2(W.LOCAL_SET, xl(r));
    }
    pro.append(b);
    return pro;
  }

  private emitBlock(insns: Insn[]): void {
    const n0 = insns.length;
    // Instructions the JIT executes in this block (an untranslated last one is the interpreter's).
    const last = insns[n0 - 1];
    const nExec = canJit(last) ? n0 : n0 - 1;
    const startOff = insns[0].slot * 2;
    if (nExec > 0) {
      this.get(L_ICOUNT); this.i32c(nExec); this.op(W.I32_ADD); this.get(L_BUDGET); this.op(W.I32_GT_U);
      this.if_(); this.exit(startOff, EXIT_BUDGET); this.end();
    }
    for (let k = 0; k < n0; k++) {
      const ins = insns[k];
      const o = ins.slot * 2;
      if (!canJit(ins)) {
        this.addCount(k);
        this.exit(o, ins.run);
        return;
      }
      if (isJump(ins.op)) {
        this.addCount(nExec);
        this.emitJump(ins, o);
        return;
      }
      this.emitInsn(ins, o, k);
    }
    // Fell off the end: the page end, the length cap, or the next block start.
    this.addCount(nExec);
    const endOff = last.slot * 2 + last.len;
    if (endOff >> 1 === this.nextStart && endOff < PAGE_SIZE) return; // falls into the next block
    this.jumpTo(endOff);
  }

  private emitJump(ins: Insn, o: number): void {
    const rd = xreg(ins.rd);
    if (ins.op === Op.JAL) {
      if (rd !== 0) { this.get(L_BASE); this.i64c(o + ins.len); this.op(W.I64_ADD); this.setX(rd); }
      const t = o + ins.imm;
      if (t >> 1 === this.nextStart && t >= 0 && t < PAGE_SIZE) return;
      this.jumpTo(t);
      return;
    }
    if (ins.op === Op.JALR) {
      this.getX(ins.rs1 >> 1);
      if (ins.imm !== 0) { this.i64c(ins.imm); this.op(W.I64_ADD); }
      this.i64c(-2); this.op(W.I64_AND); this.set(L_T1);
      if (rd !== 0) { this.get(L_BASE); this.i64c(o + ins.len); this.op(W.I64_ADD); this.setX(rd); }
      this.get(L_T1); this.get(L_BASE); this.op(W.I64_SUB); this.tee(L_EXIT); this.i64c(PAGE_SIZE); this.op(W.I64_LT_U);
      this.if_();
      this.get(L_EXIT); this.op(W.I32_WRAP_I64); this.i32c(1); this.op(W.I32_SHR_U); this.set(L_SLOT); this.br(this.LOOP);
      this.end();
      this.i32c(0); this.set(L_CODE); this.br(this.OUT);
      return;
    }
    // Conditional branch.
    this.getX(ins.rs1 >> 1); this.getX(ins.rs2 >> 1);
    switch (ins.op) {
      case Op.BEQ: this.op(W.I64_EQ); break;
      case Op.BNE: this.op(W.I64_NE); break;
      case Op.BLT: this.op(W.I64_LT_S); break;
      case Op.BGE: this.op(W.I64_GE_S); break;
      case Op.BLTU: this.op(W.I64_LT_U); break;
      default: this.op(W.I64_GE_U); break;
    }
    const t = o + ins.imm, f = o + ins.len;
    this.if_();
    this.jumpTo(t);
    this.end();
    if (f >> 1 === this.nextStart && f < PAGE_SIZE) return;
    this.jumpTo(f);
  }

  /** Compute the effective address into L_ADDR and leave the host address (i32) on the stack; exits on a miss. */
  private address(ins: Insn, o: number, k: number, size: number, write: boolean): void {
    const { n, rTagAt, wTagAt, rHostAt, wHostAt } = this.L;
    this.getX(ins.rs1 >> 1);
    if (ins.imm !== 0) { this.i64c(ins.imm); this.op(W.I64_ADD); }
    this.set(L_ADDR);
    // One compare checks the page and the alignment (the QEMU softmmu trick): the tag is the
    // page's address, and the address is compared with its low bits cleared except those
    // that must be zero for an aligned access. A misaligned access (which includes every
    // page-crossing one) misses, and the interpreter performs it.
    this.get(L_ADDR); this.i64c(12); this.op(W.I64_SHR_U);
    this.op(W.I32_WRAP_I64); this.i32c(n - 1); this.op(W.I32_AND); this.tee(L_E);
    this.i32c(3); this.op(W.I32_SHL); this.mem(W.I64_LOAD, 3, write ? wTagAt : rTagAt);
    this.get(L_ADDR); this.i64c(-4096 | (size - 1)); this.op(W.I64_AND); this.op(W.I64_EQ);
    this.if_(I32);
    // the entry holds host page - virtual page (mod 2^32): adding the address's low word gives the host address
    this.get(L_E); this.i32c(2); this.op(W.I32_SHL); this.mem(W.I32_LOAD, 2, write ? wHostAt : rHostAt);
    this.get(L_ADDR); this.op(W.I32_WRAP_I64); this.op(W.I32_ADD);
    this.else_();
    this.zero(); this.get(L_ADDR); this.mem(W.I64_STORE, 3, this.L.outAt + 8);
    this.addCount(k); this.exit(o, write ? EXIT_FILL_W : EXIT_FILL_R);
    this.end();
  }

  private fsCheck(o: number, k: number): void {
    this.get(L_FLAGS); this.i32c(1); this.op(W.I32_AND); this.op(W.I32_EQZ);
    this.if_(); this.addCount(k); this.exit(o, 1); this.end();
  }

  /**
   * Native Wasm f64 for the common binary64 instructions, before the `fp` import (the exact
   * softfloat in JS) as the slow path. Emits `block $done block $slow <fast> br $done end`
   * and returns $done's level (the caller closes it after the slow path), or 0 if there is
   * no fast path for this instruction. The fast path is taken only when it gives the same
   * result, flags and mstatus as execFP:
   * - mstatus.FS already Dirty (flags bit 0), so nothing is left to mark;
   * - arithmetic (add, sub, mul, div, sqrt, fcvt.d.l[u]): the rounding mode is RNE (static,
   *   or dynamic with frm = 0), which is Wasm's; fflags.NX is already set (sticky, so an
   *   inexact result changes nothing); and the result is finite and normal: then no operand
   *   was a NaN or infinite, nothing overflowed or underflowed, nothing divided by zero, so
   *   NX is the only flag the operation could raise. Anything else (zero, subnormal, inf,
   *   NaN results: their flags and canonical NaNs) takes the slow path;
   * - compares: neither operand is a NaN (then no flag); sign injection, fmv.x.d, fmv.d.x
   *   and fcvt.d.w[u] raise no flags (the conversions are exact).
   */
  private fpFast(bits: number): number {
    if ((bits & 0x7f) !== 0x53 || ((bits >>> 25) & 3) !== 1) return 0;
    const f5 = bits >>> 27, rmf = (bits >>> 12) & 7, rd = (bits >>> 7) & 31, rs1 = (bits >>> 15) & 31, rs2 = (bits >>> 20) & 31;
    const fo = (r: number) => this.L.sb + STATE_F + 8 * r;
    const arith = f5 <= 3 || (f5 === 0x0b && rs2 === 0) || (f5 === 0x1a && (rs2 === 2 || rs2 === 3));
    const ok = arith ? rmf === 0 || rmf === 7
      : f5 === 0x04 || f5 === 0x14 ? rmf <= 2
      : f5 === 0x1a ? rs2 <= 1 && rmf !== 5 && rmf !== 6 // fcvt.d.w[u]: exact, but rm must be valid
      : f5 === 0x1c || f5 === 0x1e ? rmf === 0 && rs2 === 0
      : false;
    if (!ok) return 0;
    const done = this.block();
    const slow = this.block();
    this.get(L_FLAGS); this.i32c(1); this.op(W.I32_AND); this.op(W.I32_EQZ); this.brIf(slow);
    if (arith || (f5 === 0x1a && rmf === 7)) {
      if (arith) { this.zero(); this.mem(W.I32_LOAD, 2, this.L.sb + STATE_FFLAGS); this.i32c(1); this.op(W.I32_AND); this.op(W.I32_EQZ); this.brIf(slow); }
      if (rmf === 7) { this.zero(); this.mem(W.I32_LOAD, 2, this.L.sb + STATE_FRM); if (!arith) { this.i32c(4); this.op(W.I32_GT_U); } this.brIf(slow); }
    }
    if (arith) {
      if (f5 === 0x1a) { this.getX(rs1); this.op(rs2 === 2 ? W.F64_CONVERT_I64_S : W.F64_CONVERT_I64_U); }
      else {
        this.zero(); this.mem(W.F64_LOAD, 3, fo(rs1));
        if (f5 === 0x0b) this.op(W.F64_SQRT);
        else { this.zero(); this.mem(W.F64_LOAD, 3, fo(rs2)); this.op(f5 === 0 ? W.F64_ADD : f5 === 1 ? W.F64_SUB : f5 === 2 ? W.F64_MUL : W.F64_DIV); }
      }
      this.tee(L_FA);
      this.op(W.F64_ABS); this.f64c(2.2250738585072014e-308); this.op(W.F64_GE);
      this.get(L_FA); this.op(W.F64_ABS); this.f64c(Infinity); this.op(W.F64_LT);
      this.op(W.I32_AND); this.op(W.I32_EQZ); this.brIf(slow);
      this.zero(); this.get(L_FA); this.mem(W.F64_STORE, 3, fo(rd));
    } else if (f5 === 0x1a) {
      this.zero(); this.getX(rs1); this.op(W.I32_WRAP_I64); this.op(rs2 === 0 ? W.F64_CONVERT_I32_S : W.F64_CONVERT_I32_U);
      this.mem(W.F64_STORE, 3, fo(rd));
    } else if (f5 === 0x14) {
      this.zero(); this.mem(W.F64_LOAD, 3, fo(rs1)); this.tee(L_FA); this.get(L_FA); this.op(W.F64_EQ);
      this.zero(); this.mem(W.F64_LOAD, 3, fo(rs2)); this.tee(L_FB); this.get(L_FB); this.op(W.F64_EQ);
      this.op(W.I32_AND); this.op(W.I32_EQZ); this.brIf(slow);
      this.get(L_FA); this.get(L_FB); this.op(rmf === 2 ? W.F64_EQ : rmf === 1 ? W.F64_LT : W.F64_LE);
      this.op(W.I64_EXTEND_I32_U); this.setX(rd);
    } else if (f5 === 0x04) {
      // sign injection on the bits: (a & ~S) | (sign & S)
      this.zero();
      this.zero(); this.mem(W.I64_LOAD, 3, fo(rs1)); i64ConstParts(this.b, -1, 0x7fffffff); this.op(W.I64_AND);
      this.zero(); this.mem(W.I64_LOAD, 3, fo(rs2));
      if (rmf === 1) { this.i64c(-1); this.op(W.I64_XOR); }
      else if (rmf === 2) { this.zero(); this.mem(W.I64_LOAD, 3, fo(rs1)); this.op(W.I64_XOR); }
      i64ConstParts(this.b, 0, 0x80000000 | 0); this.op(W.I64_AND);
      this.op(W.I64_OR); this.mem(W.I64_STORE, 3, fo(rd));
    } else if (f5 === 0x1c) {
      this.zero(); this.mem(W.I64_LOAD, 3, fo(rs1)); this.setX(rd);
    } else {
      this.zero(); this.getX(rs1); this.mem(W.I64_STORE, 3, fo(rd));
    }
    this.br(done);
    this.end(); // $slow
    return done;
  }

  /**
   * The high 64 bits of the unsigned product of L_T1 and L_T2, from four 32x32 products,
   * inline (a call to a helper function cost more than the arithmetic: V8 does not inline it).
   */
  private mulhu(): void {
    const a0 = L_M0, a1 = L_M0 + 1, b0 = L_M0 + 2, b1 = L_M0 + 3, p01 = L_M0 + 4, p10 = L_M0 + 5;
    const lo32 = (l: number) => { this.get(l); i64ConstParts(this.b, -1, 0); this.op(W.I64_AND); };
    const hi32 = (l: number) => { this.get(l); this.i64c(32); this.op(W.I64_SHR_U); };
    lo32(L_T1); this.set(a0); hi32(L_T1); this.set(a1); lo32(L_T2); this.set(b0); hi32(L_T2); this.set(b1);
    this.get(a0); this.get(b1); this.op(W.I64_MUL); this.set(p01);
    this.get(a1); this.get(b0); this.op(W.I64_MUL); this.set(p10);
    // mid = hi32(a0 b0) + lo32(p01) + lo32(p10) (into a0, no longer needed)
    this.get(a0); this.get(b0); this.op(W.I64_MUL); this.i64c(32); this.op(W.I64_SHR_U);
    lo32(p01); this.op(W.I64_ADD); lo32(p10); this.op(W.I64_ADD); this.set(a0);
    this.get(a1); this.get(b1); this.op(W.I64_MUL);
    hi32(p01); this.op(W.I64_ADD); hi32(p10); this.op(W.I64_ADD); hi32(a0); this.op(W.I64_ADD);
  }

  private bin(a: number, b: number, rd: number, wop: number): void { this.getX(a); this.getX(b); this.op(wop); this.setX(rd); }
  private binI(a: number, imm: number, rd: number, wop: number): void { this.getX(a); this.i64c(imm); this.op(wop); this.setX(rd); }
  private w32(r: number): void { this.getX(r); this.op(W.I32_WRAP_I64); }
  private binW(a: number, b: number, rd: number, wop: number): void {
    this.w32(a); this.w32(b); this.op(wop); this.op(W.I64_EXTEND_I32_S); this.setX(rd);
  }
  private binWI(a: number, imm: number, rd: number, wop: number): void {
    this.w32(a); this.i32c(imm); this.op(wop); this.op(W.I64_EXTEND_I32_S); this.setX(rd);
  }
  private cmp(rd: number, wop: number): void { this.op(wop); this.op(W.I64_EXTEND_I32_U); this.setX(rd); }

  private emitInsn(ins: Insn, o: number, k: number): void {
    const { sb } = this.L;
    const op = ins.op, imm = ins.imm;
    const rd = xreg(ins.rd), a = ins.rs1 >> 1, bq = ins.rs2 >> 1;
    switch (op) {
      case Op.LUI: this.i64c(imm); this.setX(rd); return;
      case Op.AUIPC: this.get(L_BASE); this.i64c(o + imm); this.op(W.I64_ADD); this.setX(rd); return;
      case Op.LB: case Op.LH: case Op.LW: case Op.LD: case Op.LBU: case Op.LHU: case Op.LWU: {
        const size = op === Op.LB || op === Op.LBU ? 1 : op === Op.LH || op === Op.LHU ? 2 : op === Op.LD ? 8 : 4;
        this.address(ins, o, k, size, false);
        const lop = op === Op.LB ? W.I64_LOAD8_S : op === Op.LBU ? W.I64_LOAD8_U : op === Op.LH ? W.I64_LOAD16_S
          : op === Op.LHU ? W.I64_LOAD16_U : op === Op.LW ? W.I64_LOAD32_S : op === Op.LWU ? W.I64_LOAD32_U : W.I64_LOAD;
        this.mem(lop, 0, 0);
        this.setX(rd);
        return;
      }
      case Op.SB: case Op.SH: case Op.SW: case Op.SD: {
        const size = op === Op.SB ? 1 : op === Op.SH ? 2 : op === Op.SW ? 4 : 8;
        this.address(ins, o, k, size, true);
        this.getX(bq);
        this.mem(size === 1 ? W.I64_STORE8 : size === 2 ? W.I64_STORE16 : size === 4 ? W.I64_STORE32 : W.I64_STORE, 0, 0);
        return;
      }
      case Op.FLW: case Op.FLD: {
        this.fsCheck(o, k);
        const fo = sb + 256 + 8 * freg(ins.rd);
        this.address(ins, o, k, op === Op.FLD ? 8 : 4, false);
        this.set(L_E);
        this.zero(); this.get(L_E);
        if (op === Op.FLD) this.mem(W.I64_LOAD, 0, 0);
        else { this.mem(W.I64_LOAD32_U, 0, 0); i64ConstParts(this.b, 0, -1); this.op(W.I64_OR); }
        this.mem(W.I64_STORE, 3, fo);
        return;
      }
      case Op.FSW: case Op.FSD: {
        this.fsCheck(o, k);
        const fo = sb + 256 + 8 * freg(ins.rs2);
        this.address(ins, o, k, op === Op.FSD ? 8 : 4, true);
        this.zero();
        if (op === Op.FSD) { this.mem(W.I64_LOAD, 3, fo); this.mem(W.I64_STORE, 0, 0); }
        else { this.mem(W.I32_LOAD, 2, fo); this.mem(W.I32_STORE, 0, 0); }
        return;
      }
      case Op.FP: {
        const done = this.fpFast(imm);
        const xs = fpXRegs(imm);
        const src = xs[0], dst = xs[1];
        if (src !== 0) { this.zero(); this.getX(src); this.mem(W.I64_STORE, 3, sb + 8 * src); }
        this.i32c(imm); this.op2(W.CALL, F_FP);
        this.if_(); this.addCount(k); this.exit(o, 1); this.end();
        if (dst !== 0) { this.zero(); this.mem(W.I64_LOAD, 3, sb + 8 * dst); this.setX(dst); }
        if (done) this.end();
        return;
      }
      case Op.CSRRW: case Op.CSRRS: case Op.CSRRC: case Op.CSRRWI: case Op.CSRRSI: case Op.CSRRCI: {
        // fflags/frm/fcsr only (canJit); rs1 is a register number or, for the I forms, the uimm
        const isImm = op >= Op.CSRRWI, r1 = ins.rs1;
        if (!isImm && r1 !== 0) { this.zero(); this.getX(r1); this.mem(W.I64_STORE, 3, sb + 8 * r1); }
        this.i32c(op); this.i32c(ins.rd); this.i32c(r1); this.i32c(imm); this.op2(W.CALL, F_CSR);
        this.if_(); this.addCount(k); this.exit(o, 1); this.end();
        if (rd !== 0) { this.zero(); this.mem(W.I64_LOAD, 3, sb + 8 * rd); this.setX(rd); }
        return;
      }
      case Op.FENCE: return;
      case Op.AMO_W: case Op.AMO_D: {
        // One hart: a read-modify-write through the write TLB (writable, not code). A
        // misaligned address, or a page the TLB does not hold, is the interpreter's (it raises).
        const size = op === Op.AMO_W ? 4 : 8;
        this.getX(a); this.op(W.I32_WRAP_I64); this.i32c(size - 1); this.op(W.I32_AND);
        this.if_(); this.addCount(k); this.exit(o, 1); this.end();
        this.address({ ...ins, imm: 0 }, o, k, size, true);
        this.set(L_E);
        this.get(L_E); this.mem(size === 4 ? W.I64_LOAD32_S : W.I64_LOAD, 0, 0); this.set(L_T1);
        this.getX(bq); if (size === 4) { this.op(W.I32_WRAP_I64); this.op(W.I64_EXTEND_I32_S); } this.set(L_T2);
        this.get(L_E);
        const sel = (first: number, second: number, cmp: number) => {
          this.get(first); this.get(second); this.get(L_T1); this.get(L_T2); this.op(cmp); this.op(W.SELECT);
        };
        switch (imm) {
          case 0x01: this.get(L_T2); break; // swap
          case 0x00: this.get(L_T1); this.get(L_T2); this.op(W.I64_ADD); break;
          case 0x04: this.get(L_T1); this.get(L_T2); this.op(W.I64_XOR); break;
          case 0x0c: this.get(L_T1); this.get(L_T2); this.op(W.I64_AND); break;
          case 0x08: this.get(L_T1); this.get(L_T2); this.op(W.I64_OR); break;
          // sign extension keeps the unsigned order of 32-bit values, so the W forms compare as i64
          case 0x10: sel(L_T1, L_T2, W.I64_LT_S); break; // min
          case 0x14: sel(L_T2, L_T1, W.I64_LT_S); break; // max
          case 0x18: sel(L_T1, L_T2, W.I64_LT_U); break; // minu
          default: sel(L_T2, L_T1, W.I64_LT_U); break; // maxu
        }
        this.mem(size === 4 ? W.I64_STORE32 : W.I64_STORE, 0, 0);
        this.get(L_T1); this.setX(rd);
        return;
      }
      case Op.ADDI: this.binI(a, imm, rd, W.I64_ADD); return;
      case Op.XORI: this.binI(a, imm, rd, W.I64_XOR); return;
      case Op.ORI: this.binI(a, imm, rd, W.I64_OR); return;
      case Op.ANDI: this.binI(a, imm, rd, W.I64_AND); return;
      case Op.SLLI: this.binI(a, imm, rd, W.I64_SHL); return;
      case Op.SRLI: this.binI(a, imm, rd, W.I64_SHR_U); return;
      case Op.SRAI: this.binI(a, imm, rd, W.I64_SHR_S); return;
      case Op.SLTI: this.getX(a); this.i64c(imm); this.cmp(rd, W.I64_LT_S); return;
      case Op.SLTIU: this.getX(a); this.i64c(imm); this.cmp(rd, W.I64_LT_U); return;
      case Op.ADD: this.bin(a, bq, rd, W.I64_ADD); return;
      case Op.SUB: this.bin(a, bq, rd, W.I64_SUB); return;
      case Op.SLL: this.bin(a, bq, rd, W.I64_SHL); return;
      case Op.SRL: this.bin(a, bq, rd, W.I64_SHR_U); return;
      case Op.SRA: this.bin(a, bq, rd, W.I64_SHR_S); return;
      case Op.XOR: this.bin(a, bq, rd, W.I64_XOR); return;
      case Op.OR: this.bin(a, bq, rd, W.I64_OR); return;
      case Op.AND: this.bin(a, bq, rd, W.I64_AND); return;
      case Op.SLT: this.getX(a); this.getX(bq); this.cmp(rd, W.I64_LT_S); return;
      case Op.SLTU: this.getX(a); this.getX(bq); this.cmp(rd, W.I64_LT_U); return;
      case Op.ADDIW: this.binWI(a, imm, rd, W.I32_ADD); return;
      case Op.SLLIW: this.binWI(a, imm, rd, W.I32_SHL); return;
      case Op.SRLIW: this.binWI(a, imm, rd, W.I32_SHR_U); return;
      case Op.SRAIW: this.binWI(a, imm, rd, W.I32_SHR_S); return;
      case Op.ADDW: this.binW(a, bq, rd, W.I32_ADD); return;
      case Op.SUBW: this.binW(a, bq, rd, W.I32_SUB); return;
      case Op.SLLW: this.binW(a, bq, rd, W.I32_SHL); return;
      case Op.SRLW: this.binW(a, bq, rd, W.I32_SHR_U); return;
      case Op.SRAW: this.binW(a, bq, rd, W.I32_SHR_S); return;
      case Op.MUL: this.bin(a, bq, rd, W.I64_MUL); return;
      case Op.MULW: this.binW(a, bq, rd, W.I32_MUL); return;
      case Op.MULHU: this.getX(a); this.set(L_T1); this.getX(bq); this.set(L_T2); this.mulhu(); this.setX(rd); return;
      case Op.MULH: case Op.MULHSU: {
        this.getX(a); this.set(L_T1); this.getX(bq); this.set(L_T2);
        this.mulhu();
        // signed corrections: - (a<0 ? b : 0) [- (b<0 ? a : 0) for MULH]
        this.get(L_T1); this.i64c(63); this.op(W.I64_SHR_S); this.get(L_T2); this.op(W.I64_AND); this.op(W.I64_SUB);
        if (op === Op.MULH) { this.get(L_T2); this.i64c(63); this.op(W.I64_SHR_S); this.get(L_T1); this.op(W.I64_AND); this.op(W.I64_SUB); }
        this.setX(rd);
        return;
      }
      case Op.DIV: case Op.DIVU: case Op.REM: case Op.REMU: {
        this.getX(a); this.set(L_T1); this.getX(bq); this.set(L_T2);
        this.get(L_T2); this.op(W.I64_EQZ);
        this.if_(I64);
        if (op === Op.DIV || op === Op.DIVU) this.i64c(-1); else this.get(L_T1);
        this.else_();
        if (op === Op.DIV) {
          // INT64_MIN / -1 = INT64_MIN (Wasm traps)
          this.get(L_T1); i64ConstParts(this.b, 0, 0x80000000 | 0); this.op(W.I64_EQ);
          this.get(L_T2); this.i64c(-1); this.op(W.I64_EQ); this.op(W.I32_AND);
          this.if_(I64); this.get(L_T1); this.else_(); this.get(L_T1); this.get(L_T2); this.op(W.I64_DIV_S); this.end();
        } else {
          // i64.rem_s gives 0 for INT64_MIN % -1, as RISC-V wants
          this.get(L_T1); this.get(L_T2);
          this.op(op === Op.DIVU ? W.I64_DIV_U : op === Op.REM ? W.I64_REM_S : W.I64_REM_U);
        }
        this.end();
        this.setX(rd);
        return;
      }
      case Op.DIVW: case Op.DIVUW: case Op.REMW: case Op.REMUW: {
        this.w32(a); this.set(L_E); this.w32(bq); this.set(L_HP);
        this.get(L_HP); this.op(W.I32_EQZ);
        this.if_(I32);
        if (op === Op.DIVW || op === Op.DIVUW) this.i32c(-1); else this.get(L_E);
        this.else_();
        if (op === Op.DIVW) {
          this.get(L_E); this.i32c(-0x80000000); this.op(W.I32_EQ);
          this.get(L_HP); this.i32c(-1); this.op(W.I32_EQ); this.op(W.I32_AND);
          this.if_(I32); this.get(L_E); this.else_(); this.get(L_E); this.get(L_HP); this.op(W.I32_DIV_S); this.end();
        } else {
          this.get(L_E); this.get(L_HP);
          this.op(op === Op.DIVUW ? W.I32_DIV_U : op === Op.REMW ? W.I32_REM_S : W.I32_REM_U);
        }
        this.end();
        this.op(W.I64_EXTEND_I32_S);
        this.setX(rd);
        return;
      }
    }
    throw new Error(`jit: untranslatable op ${op}`);
  }
}
