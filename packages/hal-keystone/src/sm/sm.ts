/**
 * The Keystone security monitor, modelled (sm/src/enclave.c, sm/src/attest.c, sm/src/pmp.c,
 * sm/src/sm.c). It lives in the machine next to the hart; its keys are module-private
 * (#fields) and reachable only through SBI calls. One enclave per machine.
 *
 * create_enclave: checks the regions, lays the loader, runtime and application files into
 * the EPM one page after another (zero-padding each file's last page), hashes them as
 * validate_and_hash_epm does, and sets PMP so that only the EPM and the UTM are reachable.
 */
import type { Hart } from '@teeos/riscv';
import {
  SBI_SM_ATTEST_ENCLAVE, SBI_SM_EXIT_ENCLAVE, SBI_SM_GET_SEALING_KEY, SBI_SM_RANDOM, SBI_SM_STOP_ENCLAVE,
} from '../constants.ts';
import { bootRom, smRegion, TEST_DEV_PUBLIC_KEY, TEST_DEV_SECRET_KEY, type BootChain } from '../identity/bootchain.ts';
import { KeystoneEnclaveHasher, pageUp, RISCV_PGSIZE } from '../identity/measure.ts';
import { createKeystoneReport, ATTEST_DATA_MAXLEN, KEYSTONE_REPORT_SIZE } from '../identity/report.ts';
import { getSealingKey, encodeSealingKey } from '../identity/sealing.ts';
import type { CreateArgs, RuntimeParams } from '../machine/protocol.ts';

// sm/src/sm-sbi.h error codes (SBI_ERR_SM_*), the ones this model returns.
export const SBI_ERR_SM_ENCLAVE_SUCCESS = 0;
export const SBI_ERR_SM_ENCLAVE_ILLEGAL_ARGUMENT = 100008;
export const SBI_ERR_SM_ENCLAVE_NO_FREE_RESOURCE = 100013;
export const SBI_ERR_SM_NOT_IMPLEMENTED = 100100;

/** Where the model puts guest physical memory: EPM at DRAM, the UTM right after it. */
export const DRAM_BASE = 0x8000_0000;

/** RISC-V CSR numbers the SM programs (Privileged ISA, CSR listing). */
const CSR_PMPCFG0 = 0x3a0, CSR_PMPADDR0 = 0x3b0, CSR_MEDELEG = 0x302, CSR_MIDELEG = 0x303;
const CSR_MSTATUS = 0x300, CSR_MCOUNTEREN = 0x306, CSR_SCOUNTEREN = 0x106;
const PMP_R = 1, PMP_W = 2, PMP_X = 4, PMP_A_TOR = 1 << 3;

export interface SbiResult {
  error: number;
  value: number;
}

export interface SmHooks {
  /** STOP_EDGE_CALL_HOST: leave to the host and return when it resumes us. */
  stopForHost(): void;
  exit(value: number): void;
}

export class SecurityMonitor {
  readonly #smImage: Uint8Array;
  #bootChain: BootChain | null = null;
  #enclaveHash: Uint8Array | null = null;
  #params: RuntimeParams | null = null;

  constructor(smImage: Uint8Array) {
    // The boot ROM measures the SM region and derives the SM key from the device key.
    // This model uses the SDK's public test device key (sdk/include/verifier/test_dev_key.h).
    // It runs on first use (a report or a sealing key): the results are a pure function of the
    // image kept here, so deferring them changes no byte, and a run that never attests does not
    // pay for the 2 MiB SHA3 and the Ed25519 key derivation and signature (~70 ms).
    this.#smImage = smImage.slice();
  }

  get #boot(): BootChain {
    this.#bootChain ??= bootRom(smRegion(this.#smImage), TEST_DEV_SECRET_KEY, TEST_DEV_PUBLIC_KEY);
    return this.#bootChain;
  }

  get smHash(): Uint8Array {
    return this.#boot.smHash.slice();
  }
  get devPublicKey(): Uint8Array {
    return this.#boot.devPublicKey.slice();
  }

  /** create_enclave + the SDK's page-by-page copy, measured. Returns the runtime params. */
  createEnclave(hart: Hart, epm: Uint8Array, args: CreateArgs): { params: RuntimeParams; measurement: Uint8Array } {
    const files = [args.loader, args.runtime, args.eapp];
    const sizes = files.map((f) => pageUp(f.length));
    const total = sizes[0] + sizes[1] + sizes[2];
    if (total + RISCV_PGSIZE > epm.length) {
      throw new RangeError(`enclave memory of ${epm.length} bytes cannot hold ${total} bytes of images`);
    }
    const hasher = new KeystoneEnclaveHasher({ loader: sizes[0], runtime: sizes[1], eapp: sizes[2] });
    let off = 0;
    const page = new Uint8Array(RISCV_PGSIZE);
    for (const f of files) {
      for (let p = 0; p < f.length; p += RISCV_PGSIZE) {
        page.fill(0);
        page.set(f.subarray(p, Math.min(p + RISCV_PGSIZE, f.length)));
        epm.set(page, off);
        hasher.extendPage(page);
        off += RISCV_PGSIZE;
      }
    }
    const params: RuntimeParams = {
      dramBase: DRAM_BASE,
      dramSize: epm.length,
      runtimeBase: DRAM_BASE + sizes[0],
      userBase: DRAM_BASE + sizes[0] + sizes[1],
      freeBase: DRAM_BASE + total,
      untrustedBase: DRAM_BASE + epm.length,
      untrustedSize: args.utmSize,
    };
    this.#enclaveHash = hasher.finalize();
    this.#params = params;
    this.setPmp(hart, params);
    return { params, measurement: this.#enclaveHash.slice() };
  }

  /**
   * PMP as the SM leaves it while the enclave runs: the EPM and the UTM reachable, nothing
   * else (the OS region is switched to NO_PERM on entry). TOR pairs: [0, epm) off,
   * [epm, epm_end) RWX, [.., utm_end) RW.
   */
  private setPmp(hart: Hart, p: RuntimeParams): void {
    hart.writeCSR(CSR_PMPADDR0 + 0, BigInt(p.dramBase / 4));
    hart.writeCSR(CSR_PMPADDR0 + 1, BigInt((p.dramBase + p.dramSize) / 4));
    hart.writeCSR(CSR_PMPADDR0 + 2, BigInt((p.untrustedBase + p.untrustedSize) / 4));
    const cfg = (0n) | (BigInt(PMP_A_TOR | PMP_R | PMP_W | PMP_X) << 8n) | (BigInt(PMP_A_TOR | PMP_R | PMP_W) << 16n);
    hart.writeCSR(CSR_PMPCFG0, cfg);
    // Exceptions from U-mode go straight to the enclave kernel (S-mode): misaligned, access
    // faults, illegal instruction, breakpoint, ecall from U, page faults.
    const deleg = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 15].reduce((m, c) => m | (1n << BigInt(c)), 0n);
    hart.writeCSR(CSR_MEDELEG, deleg);
    hart.writeCSR(CSR_MIDELEG, (1n << 1n) | (1n << 5n) | (1n << 9n));
    // Let U-mode read time/cycle/instret, as Linux does.
    hart.writeCSR(CSR_MCOUNTEREN, 7n);
    hart.writeCSR(CSR_SCOUNTEREN, 7n);
    // mstatus.FS = Initial so the enclave can use the FPU.
    const FS_INITIAL = 1n << 13n;
    hart.writeCSR(CSR_MSTATUS, hart.readCSR(CSR_MSTATUS) | FS_INITIAL);
  }

  /**
   * An SBI call from the enclave (sm/src/sm-sbi-opensbi.c dispatch). Arguments that point at
   * memory are guest physical addresses inside the EPM, checked here.
   */
  sbi(fid: number, a: readonly number[], epm: Uint8Array, hooks: SmHooks): SbiResult {
    const p = this.#params;
    const hash = this.#enclaveHash;
    if (!p || !hash) return { error: SBI_ERR_SM_ENCLAVE_ILLEGAL_ARGUMENT, value: 0 };
    const inEpm = (pa: number, len: number) => Number.isSafeInteger(pa) && pa >= p.dramBase && len >= 0 && pa + len <= p.dramBase + p.dramSize;
    switch (fid) {
      case SBI_SM_RANDOM: {
        const b = new Uint32Array(2);
        crypto.getRandomValues(b);
        // sbi_sm_random returns a 64-bit value in a1; the model hands out 32 bits per call so
        // the value stays an exact JS number.
        return { error: 0, value: b[0] };
      }
      case SBI_SM_ATTEST_ENCLAVE: {
        const [reportPa, dataPa, size] = a;
        if (size > ATTEST_DATA_MAXLEN || !inEpm(reportPa, KEYSTONE_REPORT_SIZE) || !inEpm(dataPa, size)) {
          return { error: SBI_ERR_SM_ENCLAVE_ILLEGAL_ARGUMENT, value: 0 };
        }
        const data = epm.slice(dataPa - p.dramBase, dataPa - p.dramBase + size);
        epm.set(createKeystoneReport(this.#boot, hash, data), reportPa - p.dramBase);
        return { error: 0, value: 0 };
      }
      case SBI_SM_GET_SEALING_KEY: {
        const [keyPa, identPa, identSize] = a;
        if (!inEpm(keyPa, 192) || !inEpm(identPa, identSize) || identSize > 128) {
          return { error: SBI_ERR_SM_ENCLAVE_ILLEGAL_ARGUMENT, value: 0 };
        }
        const ident = epm.slice(identPa - p.dramBase, identPa - p.dramBase + identSize);
        epm.set(encodeSealingKey(getSealingKey(this.#boot, hash, ident)), keyPa - p.dramBase);
        return { error: 0, value: 0 };
      }
      case SBI_SM_STOP_ENCLAVE:
        hooks.stopForHost();
        return { error: 0, value: 0 };
      case SBI_SM_EXIT_ENCLAVE:
        hooks.exit(a[0]);
        return { error: 0, value: 0 };
      default:
        return { error: SBI_ERR_SM_NOT_IMPLEMENTED, value: 0 };
    }
  }
}
