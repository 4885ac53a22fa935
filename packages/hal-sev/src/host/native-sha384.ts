/** The native SHA-384 backend for Node (host and machine); same bytes as @noble's. */
import { createHash } from 'node:crypto';
import { setSha384Backend } from '../sha384.ts';

export function useNativeSha384(): void {
  setSha384Backend((d) => new Uint8Array(createHash('sha384').update(d).digest()));
}
