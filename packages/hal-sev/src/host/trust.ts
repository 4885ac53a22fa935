/**
 * The trust anchor for SEV-SNP model reports: the VCEK model's public key.
 *
 * Model, not hardware security: every model "chip" derives its VCEK from the same published chip
 * secret (machine/psp.ts), so a verifier needs no state and no certificate chain (the real chain
 * is ARK -> ASK -> VCEK, fetched from AMD's KDS by chip id and TCB). This constant is that key's
 * public half (SEC1 uncompressed P-384); tests/sev-machine.test.ts checks it equals the PSP's.
 */
export const SEV_MODEL_VCEK_PUBLIC_KEY_HEX =
  '0487c85c95dc16c9b9c5c8db406f353f18798e1cddcdfd7dd5c312bf73902d681235b7ac3f76148b531c79fcce3806636' +
  '0954202299f297ae07bab48d4218a8541fd3d107972accdcea0e5e934fffa195609a48b0c5f03cd95db73c99be150fd87';

export function sevModelVcekPublicKey(): Uint8Array {
  const h = SEV_MODEL_VCEK_PUBLIC_KEY_HEX;
  return Uint8Array.from({ length: h.length / 2 }, (_, i) => parseInt(h.slice(2 * i, 2 * i + 2), 16));
}
