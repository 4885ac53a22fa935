// A bare-metal runner for static riscv64 ELFs on our hart: the "M-mode firmware" is this
// TypeScript. Identity mapping (satp = 0), one PMP entry granting U-mode RWX over everything
// (NAPOT all-ones, as OpenSBI does), medeleg = 0 so every U-mode trap comes back to us as
// STOP_TRAP with mcause/mepc/mtval set; we service write(64) and exit/exit_group(93/94) and
// the differential test's marker syscall. This tests the CPU, not the OS.

import { Hart, HART_STATE_SIZE, Priv, STOP_TRAP, STOP_BUDGET, STOP_WFI, type JitMode } from '@teeos/riscv';

/** The hart's JIT mode for every BareMachine (run.ts --jit sets 'force'). */
let bareJit: JitMode = false;
export function setBareJit(mode: JitMode): void { bareJit = mode; }

const CSR_MSTATUS = 0x300;
const CSR_MEDELEG = 0x302;
const CSR_MIDELEG = 0x303;
const CSR_MIE = 0x304;
const CSR_MTVEC = 0x305;
const CSR_MEPC = 0x341;
const CSR_MCAUSE = 0x342;
const CSR_MTVAL = 0x343;
const CSR_PMPCFG0 = 0x3a0;
const CSR_PMPADDR0 = 0x3b0;
const CSR_SATP = 0x180;
const MSTATUS_FS_DIRTY = 3n << 13n;
const MSTATUS_MPP_MASK = 3n << 11n;

export interface LoadSeg { vaddr: number; data: Uint8Array; memsz: number }

export function parseElf(bytes: Uint8Array): { entry: number; segs: LoadSeg[] } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, false) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) throw new Error('not an ELF64 LE file');
  if (dv.getUint16(18, true) !== 243) throw new Error('not a RISC-V ELF');
  const entry = Number(dv.getBigUint64(24, true));
  const phoff = Number(dv.getBigUint64(32, true));
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  const segs: LoadSeg[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (dv.getUint32(o, true) !== 1) continue;
    const off = Number(dv.getBigUint64(o + 8, true));
    const vaddr = Number(dv.getBigUint64(o + 16, true));
    const filesz = Number(dv.getBigUint64(o + 32, true));
    const memsz = Number(dv.getBigUint64(o + 40, true));
    segs.push({ vaddr, data: bytes.subarray(off, off + filesz), memsz });
  }
  return { entry, segs };
}

export interface TrapInfo { mcause: bigint; mepc: bigint; mtval: bigint }

export interface BareOptions {
  /** Called for the marker syscall (a7 = markerSyscall) with a0. */
  markerSyscall?: number;
  onMarker?: (a0: bigint) => void;
  /** Called on any trap other than a serviced ecall. Return the pc to resume at (in U mode), or null to stop. */
  onTrap?: (t: TrapInfo) => bigint | null;
  /** Called when `hangBudget` instructions retire without a marker. Return the pc to resume at, or null to stop. */
  onHang?: (pc: bigint) => bigint | null;
  hangBudget?: number;
  /** Total instruction limit. */
  maxInsns?: number;
  stackSize?: number;
}

export interface BareResult {
  stdout: Uint8Array;
  exitCode: number | null; // null: stopped without exit
  instret: number;
  stopReason: string;
  crashed: boolean; // the hart threw a JS exception
}

export class BareMachine {
  readonly hart: Hart;
  readonly memory: WebAssembly.Memory;
  readonly ramBase: number;
  readonly ramSize: number;
  readonly ramOffset: number;
  readonly entry: number;
  readonly sp: number;

  constructor(elf: Uint8Array, stackSize = 64 * 1024) {
    const { entry, segs } = parseElf(elf);
    let lo = Infinity;
    let hi = 0;
    for (const s of segs) { lo = Math.min(lo, s.vaddr); hi = Math.max(hi, s.vaddr + s.memsz); }
    this.ramBase = Math.floor(lo / 4096) * 4096;
    this.ramSize = Math.ceil((hi - this.ramBase + stackSize) / 65536) * 65536;
    this.ramOffset = Math.ceil(HART_STATE_SIZE / 65536) * 65536;
    this.memory = new WebAssembly.Memory({ initial: (this.ramOffset + this.ramSize) / 65536, maximum: (this.ramOffset + this.ramSize) / 65536 });
    const ram = new Uint8Array(this.memory.buffer, this.ramOffset, this.ramSize);
    for (const s of segs) ram.set(s.data, s.vaddr - this.ramBase);
    this.entry = entry;
    this.sp = this.ramBase + this.ramSize - 16;
    this.hart = new Hart({ memory: this.memory, stateOffset: 0, ramBase: this.ramBase, ramOffset: this.ramOffset, ramSize: this.ramSize, jit: bareJit });
    const h = this.hart;
    h.writeCSR(CSR_SATP, 0n);
    h.writeCSR(CSR_PMPADDR0, (1n << 64n) - 1n);
    h.writeCSR(CSR_PMPCFG0, 0x1fn); // R W X, A = NAPOT
    h.writeCSR(CSR_MEDELEG, 0n);
    h.writeCSR(CSR_MIDELEG, 0n);
    h.writeCSR(CSR_MIE, 0n);
    h.writeCSR(CSR_MTVEC, BigInt(this.ramBase)); // never executed: traps return to us
    const ms = h.readCSR(CSR_MSTATUS);
    h.writeCSR(CSR_MSTATUS, (ms & ~MSTATUS_MPP_MASK) | MSTATUS_FS_DIRTY); // MPP = U, FS = Dirty
    h.priv = Priv.U;
    h.setPC(BigInt(entry));
    h.setX(2, BigInt(this.sp));
  }

  read(addr: number, len: number): Uint8Array {
    const o = addr - this.ramBase;
    if (o < 0 || o + len > this.ramSize) throw new Error(`guest buffer ${addr.toString(16)}+${len} outside RAM`);
    return new Uint8Array(this.memory.buffer, this.ramOffset + o, len).slice();
  }

  run(opts: BareOptions = {}): BareResult {
    const h = this.hart;
    const chunks: Uint8Array[] = [];
    const maxInsns = opts.maxInsns ?? 1e9;
    const hangBudget = opts.hangBudget ?? Infinity;
    let sinceMarker = 0;
    let exitCode: number | null = null;
    let stopReason = '';
    let crashed = false;
    const start = h.instret;
    const resumeU = (pc: bigint): void => {
      h.writeCSR(CSR_MEPC, pc);
      const ms = h.readCSR(CSR_MSTATUS);
      h.writeCSR(CSR_MSTATUS, (ms & ~MSTATUS_MPP_MASK) | MSTATUS_FS_DIRTY);
      h.mret();
    };
    for (;;) {
      const ran = h.instret - start;
      if (ran >= maxInsns) { stopReason = `instruction limit ${maxInsns}`; break; }
      const budget = Math.min(100_000, maxInsns - ran, Math.max(1, hangBudget - sinceMarker));
      const before = h.instret;
      let rc: number;
      try {
        rc = h.run(budget);
      } catch (e) {
        stopReason = `exception in hart.run(): ${e instanceof Error ? e.stack ?? e.message : String(e)}`;
        crashed = true;
        break;
      }
      sinceMarker += h.instret - before;
      if (rc === STOP_TRAP) {
        const mcause = h.readCSR(CSR_MCAUSE);
        const mepc = h.readCSR(CSR_MEPC);
        if (mcause === 8n) {
          const a7 = Number(h.getX(17));
          const a0 = h.getX(10);
          if (a7 === 64) {
            const len = Number(h.getX(12));
            chunks.push(this.read(Number(h.getX(11)), len));
            h.setX(10, BigInt(len));
          } else if (a7 === 93 || a7 === 94) {
            exitCode = Number(BigInt.asIntN(32, a0));
            stopReason = 'exit';
            break;
          } else if (opts.markerSyscall !== undefined && a7 === opts.markerSyscall) {
            sinceMarker = 0;
            opts.onMarker?.(a0);
            h.setX(10, BigInt.asUintN(64, -38n)); // -ENOSYS, as Linux
          } else {
            h.setX(10, BigInt.asUintN(64, -38n));
          }
          resumeU(mepc + 4n);
          continue;
        }
        const t: TrapInfo = { mcause, mepc, mtval: h.readCSR(CSR_MTVAL) };
        const next = opts.onTrap ? opts.onTrap(t) : null;
        if (next === null) { stopReason = `trap mcause=${mcause} mepc=0x${mepc.toString(16)} mtval=0x${t.mtval.toString(16)}`; break; }
        sinceMarker = 0;
        resumeU(next);
        continue;
      }
      if (rc === STOP_BUDGET) {
        if (sinceMarker >= hangBudget) {
          const next = opts.onHang ? opts.onHang(h.getPC()) : null;
          if (next === null) { stopReason = `no progress for ${hangBudget} instructions at pc=0x${h.getPC().toString(16)}`; break; }
          sinceMarker = 0;
          h.setPC(next);
        }
        continue;
      }
      if (rc === STOP_WFI) { stopReason = 'wfi'; break; }
      stopReason = `run() returned ${rc}`;
      break;
    }
    let n = 0;
    for (const c of chunks) n += c.length;
    const stdout = new Uint8Array(n);
    let p = 0;
    for (const c of chunks) { stdout.set(c, p); p += c.length; }
    return { stdout, exitCode, instret: h.instret - start, stopReason, crashed };
  }
}
