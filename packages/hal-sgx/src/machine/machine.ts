/**
 * What the SGX machine (the CPU's ENCLU leaves, the hart, the EPC) offers the code running inside
 * the enclave. The enclave reaches its own memory (ELRANGE) through `epc` and `translate`; it
 * reaches untrusted memory only through `untrusted`; it leaves only through EEXIT (OCALLs) and
 * is taken out only by an AEX.
 */
import type { Hart } from '@teeos/riscv';

export interface SgxMachine {
  readonly hart: Hart;
  /** The EPC pages; EPC page p is epc[p*4096 ..]. The enclave reaches them by linear address (translate). */
  readonly epc: Uint8Array;
  /** The hart's physical address of the EPC. */
  readonly epcBase: number;
  /** Untrusted memory (outside ELRANGE): OCALL frames. */
  readonly untrusted: Uint8Array;
  /** The TCS this thread entered through. */
  readonly tcs: number;
  /** Physical address behind an accessible linear page (+ the offset), or -1. */
  translate(va: number): number;
  /** The EPCM rights (SECINFO R/W/X bits) of an accessible linear page, or 0. */
  pageRights(va: number): number;
  /**
   * Resumes the interrupted user context saved in SSA frame 0 of this TCS for at most `budget`
   * instructions (what Gramine's handler does in-enclave, restore_sgx_context). When it stops, the
   * CPU performs an AEX: the context goes to the SSA frame with EXITINFO, the host is told the
   * exit vector (and, for #PF, the page address) and ERESUMEs; with AEX-Notify the enclave's
   * handler regains control. Returns the exit vector.
   */
  resumeUser(budget: number): number;
  /** Byte offset in `epc` of SSA frame 0 of this TCS (the interrupted user context). */
  readonly ssaOffset: number;
  /** EEXIT for an OCALL with RDI/RSI; returns the RDI of the host's EENTER. */
  eexit(rdi: bigint, rsi: bigint): bigint;
  /** ENCLU[EACCEPT]: an SGX status (0 on success). A missing page faults to the host once (lazy EAUG). */
  eaccept(va: number, secinfoFlags: number): number;
  /**
   * ENCLU[EACCEPTCOPY]: a pending page (EAUGed by the host, lazily on the #PF as for EACCEPT) gets
   * the 4096 bytes of `src` (enclave memory) and exactly the SECINFO rights. An SGX status.
   */
  eacceptcopy(va: number, secinfoFlags: number, src: Uint8Array): number;
  /** ENCLU[EMODPE]. */
  emodpe(va: number, rights: number): number;
  /** ENCLU[EREPORT]: the 432-byte REPORT for the 512-byte TARGETINFO and 64 bytes of REPORTDATA. */
  ereport(targetInfo: Uint8Array, reportData: Uint8Array): Uint8Array;
  /** ENCLU[EGETKEY]: status and the 16-byte key for a 512-byte KEYREQUEST. */
  egetkey(keyRequest: Uint8Array): { status: number; key: Uint8Array };
  /** The family doorbell in the control block (untrusted: a hint to look, never a fact). */
  doorbell(): number;
  /** Waits up to `ms` while the doorbell still reads `seen`. */
  waitDoorbell(seen: number, ms: number): void;
  /**
   * Untrusted shared memory (an enclave built with the window): the SharedArrayBuffer the host
   * posted for region `id` (null when it posted none), made reachable at physical address `phys`,
   * and linear pages outside ELRANGE mapped to it (R/W SECINFO bits; never X). A model of the
   * host process mapping its memory at addresses the enclave chose: the machine refuses any
   * linear page inside ELRANGE.
   */
  ushmTake(id: number): SharedArrayBuffer | null;
  ushmAdd(phys: number, buf: SharedArrayBuffer): boolean;
  ushmMap(va: number, pa: number, rights: number): boolean;
  ushmUnmap(va: number): void;
  /** RDRAND. */
  rdrand(buf: Uint8Array): void;
  /**
   * AES-256-GCM on the processor's AES-NI and PCLMULQDQ, the instructions an enclave's crypto
   * library (the SGX SDK's, Gramine's mbedTLS) runs GCM on; modelled as one operation on bytes the
   * enclave holds (nothing leaves it). Absent on a machine without them: the runtime then uses its
   * own software AES. open returns null when the tag does not verify.
   */
  aesGcm?: {
    seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array;
    open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null;
  };
  /** The enclave is done: no thread will enter again. */
  halt(): void;
}
