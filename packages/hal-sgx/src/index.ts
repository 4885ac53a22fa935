// @teeos/hal-sgx: the Intel SGX platform model (identity layer).
// Host-only helpers (RSA key generation with node:crypto) are in '@teeos/hal-sgx/host'.
export * from './mrenclave.ts';
export * from './sigstruct.ts';
export * from './cmac.ts';
export * from './report.ts';
export * from './keys.ts';
export * from './verify.ts';
export { toHex, fromHex, bytesEqual } from './bytes.ts';
