/**
 * SHA-384 for the launch digest, with a replaceable backend: @noble/hashes everywhere (browsers
 * too), or node:crypto where the host and the machine model run on Node (each measured page
 * is two SHA-384s: ~100 ms in JS for a runtime-sized image, a few ms natively). Both give the
 * same bytes; a test checks.
 */
import { sha384 } from '@noble/hashes/sha2.js';

let digest: (data: Uint8Array) => Uint8Array = (d) => sha384(d);

export function setSha384Backend(fn: (data: Uint8Array) => Uint8Array): void {
  digest = fn;
}

export function sha384Digest(data: Uint8Array): Uint8Array {
  return digest(data);
}
