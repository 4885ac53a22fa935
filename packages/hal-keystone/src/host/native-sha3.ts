/** The native SHA3-512 backend for Node (host and machine); same bytes as @noble's. */
import { createHash } from 'node:crypto';
import { setSha3_512Backend } from '../identity/sha3.ts';

export function useNativeSha3(): void {
  setSha3_512Backend(() => {
    const h = createHash('sha3-512');
    return {
      update(d: Uint8Array) { h.update(d); return this; },
      digest() { return new Uint8Array(h.digest()); },
    };
  });
}
