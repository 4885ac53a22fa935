/** Guest-side SEV-SNP pieces for runtime-sev (nothing host-side, nothing of the PSP's keys). */
export { SevPlatform, terminateEarly } from './platform.ts';
export type { SevMachine } from '../machine/machine.ts';
export type { BootTable, SevBootArgs } from '../machine/protocol.ts';
