// @teeos/hal-sev: the AMD SEV-SNP platform model (identity layer and guest interfaces).
export * from './launch-digest.ts';
export * from './report.ts';
export * from './guest-msg.ts';
export * from './ghcb.ts';
export * from './verify.ts';
export { toHex, fromHex, bytesEqual } from './bytes.ts';
