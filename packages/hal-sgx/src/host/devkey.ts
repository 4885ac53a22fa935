// The enclave signing key of the host (untrusted): RSA-3072, e = 3. A development key cached in
// an ignored folder (so MRSIGNER is stable across runs), generated on first use; when the cache
// cannot be written a fresh key is made for the run.
import { createPrivateKey } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateSgxSigningKey, type RsaKeyPair } from './keygen.ts';
import { nativeRsaPrivate } from './native.ts';

function b64urlToBigint(s: string): bigint {
  const buf = Buffer.from(s, 'base64url');
  return buf.length === 0 ? 0n : BigInt('0x' + buf.toString('hex'));
}

export function keyFromPem(pem: string): RsaKeyPair {
  const key = createPrivateKey(pem);
  const jwk = key.export({ format: 'jwk' });
  if (!jwk.n || !jwk.d || !jwk.e) throw new Error('not an RSA private key');
  return { n: b64urlToBigint(jwk.n), d: b64urlToBigint(jwk.d), e: b64urlToBigint(jwk.e), privatePem: pem, privateOp: nativeRsaPrivate(key) };
}

export function loadOrCreateDevKey(path: string): RsaKeyPair {
  try {
    const k = keyFromPem(readFileSync(path, 'utf8'));
    if (k.e === 3n && k.n >> 3071n === 1n) return k;
  } catch { /* none yet, or unreadable: make one */ }
  const k = generateSgxSigningKey();
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, k.privatePem, { mode: 0o600 });
  } catch { /* a per-run key then */ }
  return k;
}
