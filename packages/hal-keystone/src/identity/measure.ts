// Keystone enclave measurement (the "enclave hash").
//
// Models keystone-enclave/keystone sm/src/attest.c:validate_and_hash_epm (current main) and
// its host-side twin sdk/src/host/Enclave.cpp (Enclave::measure):
//
//   uintptr_t sizes[3] = {runtime - loader, eapp - runtime, free - eapp};
//   hash_extend(hash_ctx, sizes, sizeof(sizes));
//   for each page in [loader, runtime) ++ [runtime, eapp) ++ [eapp, free): hash_extend_page(page)
//
// i.e. H = SHA3-512( u64le PAGE_UP(|loader|) || u64le PAGE_UP(|runtime|) || u64le PAGE_UP(|eapp|)
//                    || loader pages || runtime pages || eapp pages ), each ELF *file* copied raw
// one page after another with its final partial page zero-padded (not a page-table walk).
// SHA3-512 with FIPS 202 padding (sm/src/sha3/sha3.c), here @noble/hashes sha3_512.

import { sha3_512Create } from './sha3.ts';
import { concatBytes, u64le } from './bytes.ts';

/** RISC-V base page size (RISCV_PGSIZE in the SM). */
export const RISCV_PGSIZE = 4096;
/** Digest size of the SM hash (MDSIZE in sm/src/enclave.h). */
export const MDSIZE = 64;

/** PAGE_UP: round a byte count up to a whole number of pages. */
export function pageUp(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`pageUp: bad size ${n}`);
  return Math.ceil(n / RISCV_PGSIZE) * RISCV_PGSIZE;
}

/** Region sizes in bytes, as the SM sees them (runtime-loader, eapp-runtime, free-eapp). */
export interface EpmRegionSizes {
  loader: number;
  runtime: number;
  eapp: number;
}

/** The zero-padded pages of a file, in order, as the SDK host lays them into the EPM. */
export function* filePages(file: Uint8Array): Generator<Uint8Array> {
  for (let off = 0; off < file.length; off += RISCV_PGSIZE) {
    const end = Math.min(off + RISCV_PGSIZE, file.length);
    if (end - off === RISCV_PGSIZE) {
      yield file.subarray(off, end);
    } else {
      const page = new Uint8Array(RISCV_PGSIZE);
      page.set(file.subarray(off, end));
      yield page;
    }
  }
}

/**
 * Incremental enclave hasher: the SM model feeds pages one at a time, in EPM order
 * (loader pages, then runtime pages, then eapp pages). The region sizes are hashed first,
 * exactly as validate_and_hash_epm does, and finalize() refuses if the number of pages fed
 * does not match them.
 */
export class KeystoneEnclaveHasher {
  readonly sizes: Readonly<EpmRegionSizes>;
  private readonly ctx = sha3_512Create();
  private pagesFed = 0;
  private readonly pagesExpected: number;
  private done = false;

  constructor(sizes: EpmRegionSizes) {
    for (const k of ['loader', 'runtime', 'eapp'] as const) {
      const v = sizes[k];
      if (!Number.isSafeInteger(v) || v < 0 || v % RISCV_PGSIZE !== 0) {
        throw new RangeError(`KeystoneEnclaveHasher: ${k} size ${v} is not a whole number of pages`);
      }
    }
    this.sizes = { loader: sizes.loader, runtime: sizes.runtime, eapp: sizes.eapp };
    this.pagesExpected = (sizes.loader + sizes.runtime + sizes.eapp) / RISCV_PGSIZE;
    this.ctx.update(concatBytes(u64le(sizes.loader), u64le(sizes.runtime), u64le(sizes.eapp)));
  }

  /** Sizes from the raw file lengths (each rounded up with PAGE_UP). */
  static forFiles(loaderLen: number, runtimeLen: number, eappLen: number): KeystoneEnclaveHasher {
    return new KeystoneEnclaveHasher({ loader: pageUp(loaderLen), runtime: pageUp(runtimeLen), eapp: pageUp(eappLen) });
  }

  /** hash_extend_page: one 4096-byte page. */
  extendPage(page: Uint8Array): void {
    if (this.done) throw new Error('KeystoneEnclaveHasher: already finalized');
    if (page.length !== RISCV_PGSIZE) throw new RangeError(`extendPage: page must be ${RISCV_PGSIZE} bytes, got ${page.length}`);
    if (this.pagesFed >= this.pagesExpected) throw new RangeError('extendPage: more pages than the region sizes declare');
    this.ctx.update(page);
    this.pagesFed++;
  }

  get pagesRemaining(): number {
    return this.pagesExpected - this.pagesFed;
  }

  /** hash_finalize: the 64-byte enclave hash. */
  finalize(): Uint8Array {
    if (this.done) throw new Error('KeystoneEnclaveHasher: already finalized');
    if (this.pagesFed !== this.pagesExpected) {
      throw new RangeError(`finalize: ${this.pagesFed} pages fed, region sizes declare ${this.pagesExpected}`);
    }
    this.done = true;
    return this.ctx.digest();
  }
}

/** One-shot enclave hash of (loader, runtime, eapp) ELF files, as Enclave::measure computes it. */
export function keystoneEnclaveHash(loader: Uint8Array, runtime: Uint8Array, eapp: Uint8Array): Uint8Array {
  const h = KeystoneEnclaveHasher.forFiles(loader.length, runtime.length, eapp.length);
  for (const f of [loader, runtime, eapp]) for (const p of filePages(f)) h.extendPage(p);
  return h.finalize();
}
