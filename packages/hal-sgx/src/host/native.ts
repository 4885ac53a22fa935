/**
 * Native backends for Node (the host and the machine model): SHA-256 for MRENCLAVE and the raw
 * RSA private operation for SIGSTRUCT signing. Same bytes as the pure versions (tests check;
 * signSigstruct verifies every signature with e = 3 anyway).
 */
import { constants, createHash, privateDecrypt, type KeyObject } from 'node:crypto';
import { setSha256Backend } from '../sha256.ts';

export function useNativeSha256(): void {
  setSha256Backend(() => {
    const h = createHash('sha256');
    return {
      update(d: Uint8Array) { h.update(d); return this; },
      digest() { return new Uint8Array(h.digest()); },
    };
  });
}

/** m^d mod n by OpenSSL (RSA without padding: the caller's message is already EMSA-encoded). */
export function nativeRsaPrivate(key: KeyObject): (m: Uint8Array) => Uint8Array {
  return (m) => new Uint8Array(privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, m));
}
