// Host-side (untrusted, Node-only) SGX enclave signing key generation.
// RSA-3072 with public exponent 3, as gramine-sgx-gen-private-key and sgx_sign require.
// Exports the key as (n, d) bigints for the pure signer in ../sigstruct.ts.

import { generateKeyPairSync } from 'node:crypto';
import type { RsaSigningKey } from '../sigstruct.ts';
import { nativeRsaPrivate } from './native.ts';

function b64urlToBigint(s: string): bigint {
  const buf = Buffer.from(s, 'base64url');
  return buf.length === 0 ? 0n : BigInt('0x' + buf.toString('hex'));
}

export interface RsaKeyPair extends RsaSigningKey {
  e: bigint;
  /** PKCS#8 PEM of the private key (for storage). */
  privatePem: string;
}

export function generateSgxSigningKey(): RsaKeyPair {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072, publicExponent: 3 });
  const jwk = privateKey.export({ format: 'jwk' });
  if (!jwk.n || !jwk.d || !jwk.e) throw new Error('RSA JWK export lacks n/d/e');
  return {
    n: b64urlToBigint(jwk.n),
    d: b64urlToBigint(jwk.d),
    e: b64urlToBigint(jwk.e),
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    privateOp: nativeRsaPrivate(privateKey),
  };
}
