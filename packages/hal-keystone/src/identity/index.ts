// Keystone identity layer: measurement, boot chain, attestation report, sealing, verifier.
export * from './measure.ts';
export * from './bootchain.ts';
export * from './report.ts';
export * from './sealing.ts';
export * from './verify.ts';
export { toHex, fromHex, bytesEqual } from './bytes.ts';
export { setSha3_512Backend, type Sha3Context } from './sha3.ts';
