// Keystone sealing-key derivation.
//
// Models keystone-enclave/keystone sm/src/crypto.c:sm_derive_sealing_key (HKDF-SHA3-512 from
// sm/src/hkdf_sha3_512, HMAC-SHA3-512 with a 72-byte block) and sm/src/sm.c get_sealing_key
// (SBI_SM_GET_SEALING_KEY = 3003), which fills
//   struct sealing_key { uint8_t key[SEALING_KEY_SIZE /*128*/]; uint8_t signature[SIGNATURE_SIZE /*64*/]; }
// with key = HKDF-SHA3-512(salt = none (-> 64 zero bytes), IKM = SM private key (64-byte orlp form),
//                          info = enclave_hash(64) || key_ident, L = 128)
// and signature = sm_sign(key) (Ed25519 by the SM key over the 128 key bytes).

import { hkdf } from '@noble/hashes/hkdf.js';
import { sha3_512 } from '@noble/hashes/sha3.js';
import { concatBytes, requireLength } from './bytes.ts';
import { MDSIZE } from './measure.ts';
import { PRIVATE_KEY_SIZE, PUBLIC_KEY_SIZE, SIGNATURE_SIZE, ed25519SignOrlp } from './bootchain.ts';

export const SEALING_KEY_SIZE = 128;
export const SEALING_KEY_STRUCT_SIZE = SEALING_KEY_SIZE + SIGNATURE_SIZE; // 192
/** SBI function id of the call that returns a sealing key. */
export const SBI_SM_GET_SEALING_KEY = 3003;

/** sm_derive_sealing_key(key, key_ident, key_ident_size, enclave_hash). */
export function deriveSealingKey(smPrivateKey: Uint8Array, enclaveHash: Uint8Array, keyIdent: Uint8Array): Uint8Array {
  requireLength(smPrivateKey, PRIVATE_KEY_SIZE, 'SM private key');
  requireLength(enclaveHash, MDSIZE, 'enclave hash');
  return hkdf(sha3_512, smPrivateKey, undefined, concatBytes(enclaveHash, keyIdent), SEALING_KEY_SIZE);
}

export interface SealingKey {
  key: Uint8Array; // 128
  signature: Uint8Array; // 64
}

/** get_sealing_key: derive and sign. */
export function getSealingKey(
  sm: { smPrivateKey: Uint8Array; smPublicKey: Uint8Array },
  enclaveHash: Uint8Array,
  keyIdent: Uint8Array,
): SealingKey {
  requireLength(sm.smPublicKey, PUBLIC_KEY_SIZE, 'SM public key');
  const key = deriveSealingKey(sm.smPrivateKey, enclaveHash, keyIdent);
  return { key, signature: ed25519SignOrlp(key, sm.smPublicKey, sm.smPrivateKey) };
}

export function encodeSealingKey(k: SealingKey): Uint8Array {
  requireLength(k.key, SEALING_KEY_SIZE, 'sealing key');
  requireLength(k.signature, SIGNATURE_SIZE, 'sealing key signature');
  return concatBytes(k.key, k.signature);
}

export function decodeSealingKey(b: Uint8Array): SealingKey {
  requireLength(b, SEALING_KEY_STRUCT_SIZE, 'struct sealing_key');
  return { key: b.slice(0, SEALING_KEY_SIZE), signature: b.slice(SEALING_KEY_SIZE) };
}
