/**
 * SHA3-512 for the measurement and the boot ROM, with a replaceable backend: @noble/hashes
 * everywhere (browsers too), or a native one where the host has it (node:crypto is ~50x
 * faster on the 2 MiB SM region the boot ROM hashes). Both give the same bytes; a test checks.
 */
import { sha3_512 } from '@noble/hashes/sha3.js';

export interface Sha3Context {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

let create: () => Sha3Context = () => sha3_512.create();

export function setSha3_512Backend(factory: () => Sha3Context): void {
  create = factory;
}

export function sha3_512Create(): Sha3Context {
  return create();
}

export function sha3_512Digest(data: Uint8Array): Uint8Array {
  const c = create();
  c.update(data);
  return c.digest();
}
