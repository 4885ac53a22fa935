// Test machine: 2 MiB of RAM at 0x8000_0000 inside a 4 MiB Wasm memory.
import { Hart, type JitMode, type PhysRegion } from '../src/index.ts';

export const RAM_BASE = 0x80000000;
export const RAM_SIZE = 2 * 1024 * 1024;
export const RAM_OFFSET = 0x100000;

export interface Machine {
  h: Hart;
  memory: WebAssembly.Memory;
  dv: DataView;
  /** Write instructions at physical address pa; words that are 16-bit compressed (bits 1:0 != 3, <= 0xffff) take 2 bytes. */
  code(pa: number, ...insns: number[]): number;
  w32(pa: number, v: number): void;
  w64(pa: number, v: bigint): void;
  r32(pa: number): number;
  r64(pa: number): bigint;
  /** Set pc (and optionally registers), run up to `budget` instructions. */
  go(pc: number, budget?: number): number;
  mcause(): bigint;
  scause(): bigint;
}

/** TEEOS_JIT=force|1|0 runs the hart tests on the JIT tier (force: every page translated). */
export const TEST_JIT: JitMode = process.env.TEEOS_JIT === 'force' ? 'force' : process.env.TEEOS_JIT === '1' ? true : false;

export function machine(regions?: PhysRegion[]): Machine {
  const memory = new WebAssembly.Memory({ initial: 64 });
  const h = new Hart({ memory, stateOffset: 0x800, ramBase: RAM_BASE, ramOffset: RAM_OFFSET, ramSize: RAM_SIZE, regions, jit: TEST_JIT });
  const dv = new DataView(memory.buffer);
  const off = (pa: number) => {
    const o = pa - RAM_BASE;
    if (o < 0 || o >= RAM_SIZE) throw new Error(`test: ${pa.toString(16)} not in RAM`);
    return RAM_OFFSET + o;
  };
  const m: Machine = {
    h, memory, dv,
    code(pa, ...insns) {
      const start = pa;
      for (const i of insns) {
        if (i <= 0xffff && (i & 3) !== 3) { dv.setUint16(off(pa), i, true); pa += 2; }
        else { dv.setUint32(off(pa), i >>> 0, true); pa += 4; }
      }
      h.notifyPhysWrite(start, pa - start); // we wrote behind the hart's back
      return pa;
    },
    w32: (pa, v) => { dv.setUint32(off(pa), v >>> 0, true); h.notifyPhysWrite(pa, 4); },
    w64: (pa, v) => { dv.setBigUint64(off(pa), BigInt.asUintN(64, v), true); h.notifyPhysWrite(pa, 8); },
    r32: (pa) => dv.getUint32(off(pa), true),
    r64: (pa) => dv.getBigInt64(off(pa), true),
    go(pc, budget = 10000) {
      h.setPC(BigInt(pc));
      return h.run(budget);
    },
    mcause: () => h.readCSR(0x342),
    scause: () => h.readCSR(0x142),
  };
  return m;
}

/** Unsigned 64-bit view of a signed bigint. */
export const u64 = (v: bigint) => BigInt.asUintN(64, v);
export const s64 = (v: bigint) => BigInt.asIntN(64, v);
