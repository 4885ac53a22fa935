/** Enclave-side SGX pieces for runtime-sgx (nothing host-side, no key derivation: that is the machine's). */
export { SgxPlatform, SgxMemory, OcallChannel } from './platform.ts';
export type { SgxMachine } from '../machine/machine.ts';
export type { EnclaveConfig, SgxBootArgs } from '../machine/protocol.ts';
