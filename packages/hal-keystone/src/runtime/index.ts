/** Enclave-side Keystone pieces for runtime-keystone (nothing host-side, nothing of the SM's keys). */
export { KeystonePlatform } from './platform.ts';
export type { KeystoneMachine } from '../machine/machine.ts';
export type { BootArgs, RuntimeParams } from '../machine/protocol.ts';
