// Keystone boot ROM model and the SM's Ed25519 keys.
//
// Models keystone-enclave/keystone bootrom/bootloader.c (the secure boot of the SM):
//   sanctum_sm_hash = SHA3-512(SM image, sanctum_sm_size = 0x1ff000)
//   seed            = SHA3-512(sanctum_dev_secret_key, sanctum_sm_hash)  -- see QUIRK below
//   ed25519_create_keypair(sanctum_sm_public_key, sanctum_sm_secret_key, seed)
//   sanctum_sm_signature = ed25519_sign(sanctum_sm_hash || sanctum_sm_public_key, dev keys)
// and the orlp ed25519 library used by the SM and the SDK verifier
// (sm/src/ed25519/{keypair.c,sign.c}, sdk/src/verifier/ed25519/verify.c):
//   private key (64 bytes) = clamp(SHA-512(seed)): a = bytes[0..32] (clamped), prefix = bytes[32..64]
//   sign: r = SHA-512(prefix || M) mod L; R = rB; k = SHA-512(R || A || M) mod L; S = r + k*a mod L
// which equals RFC 8032 signing from the seed (checked in the tests).
//
// QUIRK (reproduced on purpose): bootloader.c calls sha3_update(ctx, ptr, sizeof(*ptr)) where
// ptr is a byte pointer, so only the FIRST BYTE of the device secret key and the FIRST BYTE of
// the SM hash enter the seed hash. The seed therefore has at most 65536 values.
//
// The device key used in tests is the SDK's public TEST key (sdk/include/verifier/test_dev_key.h);
// it is public, so anything "signed by" it proves nothing outside this model.

import { sha3_512 } from '@noble/hashes/sha3.js';
import { sha3_512Digest } from './sha3.ts';
import { sha512 } from '@noble/hashes/sha2.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { concatBytes, fromHex, requireLength } from './bytes.ts';

/** sanctum_sm_size: the number of bytes of SM memory the boot ROM hashes. */
export const SANCTUM_SM_SIZE = 0x1ff000;
export const PUBLIC_KEY_SIZE = 32;
/** orlp private key: 64 bytes, the clamped SHA-512 expansion of the seed. */
export const PRIVATE_KEY_SIZE = 64;
export const SIGNATURE_SIZE = 64;
export const SEED_SIZE = 32;

/** sdk/include/verifier/test_dev_key.h: _sanctum_dev_secret_key (orlp expanded form). PUBLIC test key. */
export const TEST_DEV_SECRET_KEY: Uint8Array = fromHex(
  '40a099478ccefa3a0663abc95e7a1ec954b4f5f645bad804db13e7d7826c7073576a9ab62160d9d1c6aedc29852fb960ee5132835a1689ec06a8723451aa0e4a',
);
/** sdk/include/verifier/test_dev_key.h: _sanctum_dev_public_key. */
export const TEST_DEV_PUBLIC_KEY: Uint8Array = fromHex('0faad4ff01178583baa588966f7c1ff32564dd17d7dc2b46cb50a84a69270b4c');

const Point = ed25519.Point;
const L = Point.Fn.ORDER;

/** n·B for any n mod L (n = 0 gives the identity, which noble's multiply() refuses). */
function baseMul(n: bigint): Uint8Array {
  const m = n % L;
  return (m === 0n ? Point.ZERO : Point.BASE.multiply(m)).toBytes();
}

function bytesToNumberLE(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

function numberToBytesLE32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

export interface Ed25519OrlpKeyPair {
  /** 32-byte compressed point A = a·B. */
  publicKey: Uint8Array;
  /** 64-byte orlp private key: clamp(SHA-512(seed)). */
  privateKey: Uint8Array;
}

/** orlp ed25519_create_keypair(public_key, private_key, seed). */
export function ed25519CreateKeypair(seed: Uint8Array): Ed25519OrlpKeyPair {
  requireLength(seed, SEED_SIZE, 'ed25519CreateKeypair seed');
  const privateKey = sha512(seed);
  privateKey[0]! &= 248;
  privateKey[31]! &= 63;
  privateKey[31]! |= 64;
  return { publicKey: ed25519PublicFromExpanded(privateKey), privateKey };
}

/** The public key a·B of an orlp expanded private key. */
export function ed25519PublicFromExpanded(privateKey: Uint8Array): Uint8Array {
  requireLength(privateKey, PRIVATE_KEY_SIZE, 'ed25519 expanded private key');
  return baseMul(bytesToNumberLE(privateKey.subarray(0, 32)));
}

/** orlp ed25519_sign(signature, message, message_len, public_key, private_key). */
export function ed25519SignOrlp(message: Uint8Array, publicKey: Uint8Array, privateKey: Uint8Array): Uint8Array {
  requireLength(publicKey, PUBLIC_KEY_SIZE, 'ed25519 public key');
  requireLength(privateKey, PRIVATE_KEY_SIZE, 'ed25519 expanded private key');
  const r = bytesToNumberLE(sha512(concatBytes(privateKey.subarray(32, 64), message))) % L;
  const R = baseMul(r);
  const k = bytesToNumberLE(sha512(concatBytes(R, publicKey, message))) % L;
  const a = bytesToNumberLE(privateKey.subarray(0, 32));
  const S = (r + k * a) % L;
  return concatBytes(R, numberToBytesLE32(S));
}

/** ed25519_verify, strict RFC 8032 decoding (non-canonical encodings and S >= L refused). */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_SIZE || publicKey.length !== PUBLIC_KEY_SIZE) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** sanctum_sm_hash: SHA3-512 over the SM memory the boot ROM measures (pass the whole region). */
export function smHash(smImage: Uint8Array): Uint8Array {
  return sha3_512Digest(smImage);
}

/** The SM region as the boot ROM reads it: the image followed by zeros up to sanctum_sm_size. */
export function smRegion(smImage: Uint8Array, size: number = SANCTUM_SM_SIZE): Uint8Array {
  if (smImage.length > size) throw new RangeError(`SM image (${smImage.length} bytes) larger than the SM region (${size})`);
  const out = new Uint8Array(size);
  out.set(smImage);
  return out;
}

/** The SM key seed, with the boot ROM's first-byte QUIRK: SHA3-512(dev_sk[0] || sm_hash[0])[0..32]. */
export function bootSeed(devSecretKey: Uint8Array, smHashValue: Uint8Array): Uint8Array {
  if (devSecretKey.length < 1 || smHashValue.length < 1) throw new RangeError('bootSeed: empty input');
  const ctx = sha3_512.create();
  ctx.update(devSecretKey.subarray(0, 1)); // sizeof(*sanctum_dev_secret_key) == 1
  ctx.update(smHashValue.subarray(0, 1)); // sizeof(*sanctum_sm_hash) == 1
  return ctx.digest().subarray(0, SEED_SIZE);
}

/** What the boot ROM leaves for the SM (the sanctum_* globals). */
export interface BootChain {
  smHash: Uint8Array;
  smSeed: Uint8Array;
  smPublicKey: Uint8Array;
  /** 64-byte orlp private key: the SM's signing key and its sealing-key IKM. Secret. */
  smPrivateKey: Uint8Array;
  /** Device signature over smHash || smPublicKey. */
  smSignature: Uint8Array;
  devPublicKey: Uint8Array;
}

/**
 * Run the boot ROM model over the SM memory `smMemory` (hashed as given; use smRegion() to model
 * the full sanctum_sm_size region) with the device key pair.
 */
export function bootRom(smMemory: Uint8Array, devSecretKey: Uint8Array, devPublicKey: Uint8Array): BootChain {
  requireLength(devSecretKey, PRIVATE_KEY_SIZE, 'device secret key');
  requireLength(devPublicKey, PUBLIC_KEY_SIZE, 'device public key');
  const h = smHash(smMemory);
  const seed = bootSeed(devSecretKey, h);
  const kp = ed25519CreateKeypair(seed);
  const smSignature = ed25519SignOrlp(concatBytes(h, kp.publicKey), devPublicKey, devSecretKey);
  return {
    smHash: h,
    smSeed: seed,
    smPublicKey: kp.publicKey,
    smPrivateKey: kp.privateKey,
    smSignature,
    devPublicKey: devPublicKey.slice(),
  };
}
