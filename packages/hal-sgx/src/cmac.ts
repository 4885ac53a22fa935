// AES-128-CMAC (RFC 4493), the MAC of SGX REPORTs and the PRF of the EGETKEY model
// (intel/linux-sgx sdk/simulation/tinst/deriv.cpp uses sgx_rijndael128_cmac_msg).
//
// Built here from the AES block cipher of @noble/ciphers (ECB for the subkey L = AES_K(0^128),
// CBC with a zero IV for the MAC chain) following RFC 4493 section 2.3/2.4, so the subkeys are
// visible and testable. (@noble/ciphers also ships a `cmac`; the tests check both agree.)

import { cbc, ecb } from '@noble/ciphers/aes.js';

export const AES_BLOCK = 16;
const RB = 0x87;

/** RFC 4493 2.3 doubling in GF(2^128): left shift by one, xor Rb if the MSB was set. */
function dbl(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(AES_BLOCK);
  for (let i = 0; i < AES_BLOCK; i++) out[i] = ((b[i]! << 1) | (i + 1 < AES_BLOCK ? b[i + 1]! >>> 7 : 0)) & 0xff;
  if (b[0]! & 0x80) out[AES_BLOCK - 1]! ^= RB;
  return out;
}

/** RFC 4493 Generate_Subkey: returns { L, K1, K2 }. */
export function cmacSubkeys(key: Uint8Array): { L: Uint8Array; K1: Uint8Array; K2: Uint8Array } {
  if (key.length !== 16) throw new RangeError(`AES-128-CMAC key must be 16 bytes, got ${key.length}`);
  const L = ecb(key, { disablePadding: true }).encrypt(new Uint8Array(AES_BLOCK));
  const K1 = dbl(L);
  const K2 = dbl(K1);
  return { L, K1, K2 };
}

/** AES-128-CMAC(key, message) -> 16-byte tag (RFC 4493 2.4). */
export function aesCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  const { K1, K2 } = cmacSubkeys(key);
  const n = Math.max(1, Math.ceil(message.length / AES_BLOCK));
  const complete = message.length > 0 && message.length % AES_BLOCK === 0;
  const m = new Uint8Array(n * AES_BLOCK);
  m.set(message);
  const last = (n - 1) * AES_BLOCK;
  if (!complete) m[message.length] = 0x80; // padding 10^i
  const k = complete ? K1 : K2;
  for (let i = 0; i < AES_BLOCK; i++) m[last + i]! ^= k[i]!;
  const chain = cbc(key, new Uint8Array(AES_BLOCK), { disablePadding: true }).encrypt(m);
  return chain.slice(last, last + AES_BLOCK);
}
