// @teeos/riscv: an RV64GC hart (RV64IMAFDC + Zicsr + Zifencei, U/S/M, Sv39, PMP).
export { Hart } from './hart.ts';
export type { HartOptions, PhysRegion, HartRegion } from './hart.ts';
export { jitModeFrom, DEFAULT_JIT, type JitMode } from './jit.ts';
export {
  Priv, STOP_TRAP, STOP_BUDGET, STOP_WFI, HART_STATE_SIZE, STATE_X, STATE_F, STATE_PC,
} from './constants.ts';
export * from './constants.ts';
