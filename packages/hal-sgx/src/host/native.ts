/**
 * Native backends for Node (the host and the machine model): SHA-256 for MRENCLAVE and the raw
 * RSA private operation for SIGSTRUCT signing. Same bytes as the pure versions (tests check;
 * signSigstruct verifies every signature with e = 3 anyway).
 */
import { constants, createCipheriv, createDecipheriv, createHash, privateDecrypt, type KeyObject } from 'node:crypto';
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

/** AES-256-GCM by OpenSSL (AES-NI and PCLMULQDQ where the CPU has them): the machine's SgxMachine.aesGcm. 16-byte tag after the ciphertext, as @noble/ciphers' gcm. */
export const nativeAesGcm = {
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array {
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(aad);
    const head = c.update(plain);
    const tail = c.final();
    const out = new Uint8Array(head.length + tail.length + 16);
    out.set(head, 0);
    out.set(tail, head.length);
    out.set(c.getAuthTag(), head.length + tail.length);
    return out;
  },
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
    if (sealed.length < 16) return null;
    try {
      const d = createDecipheriv('aes-256-gcm', key, nonce);
      d.setAAD(aad);
      d.setAuthTag(sealed.subarray(sealed.length - 16));
      const head = d.update(sealed.subarray(0, sealed.length - 16));
      const tail = d.final(); // throws when the tag does not verify
      const out = new Uint8Array(head.length + tail.length);
      out.set(head, 0);
      out.set(tail, head.length);
      return out;
    } catch {
      return null;
    }
  },
};
