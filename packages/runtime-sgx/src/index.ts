/**
 * runtime-sgx: the enclave runtime for the Intel SGX model. It wires the kernel (linux-abi) to
 * the SGX HAL and is bundled on its own (dist/runtime-sgx.cjs) so the bundle holds only SGX
 * platform code. The host EADDs and EEXTENDs this bundle into the enclave; TCS.OENTRY leads here.
 *
 * `teeos attest`: when the ECALL's arguments carry attestData, the runtime has EREPORT produce a
 * REPORT over those bytes (targeted at the model quoting enclave) before init starts and hands it
 * to the operator as a console line `teeos-attestation-report:<hex>`. The REPORT travels through
 * the untrusted host; its MAC is what makes it trustworthy (to the target).
 */
import { Kernel, type FrameAllocator } from '@teeos/linux-abi';
import { SgxPlatform } from '@teeos/hal-sgx/runtime';
import type { SgxMachine, EnclaveConfig, SgxBootArgs, SgxMemory } from '@teeos/hal-sgx/runtime';

const PAGE = 4096;
export const ATTESTATION_REPORT_PREFIX = 'teeos-attestation-report:';

/**
 * Frames on a fixed-paging platform: the kernel never allocates frames of its own (user pages
 * are committed through the HAL); this only reports how much of the EPC the user pages hold.
 */
export class EpcFrames implements FrameAllocator {
  constructor(private readonly mem: SgxMemory) {}
  allocFrame(): number | null {
    return null;
  }
  freeFrame(): void {
    throw new Error('no kernel frames on a fixed-paging platform');
  }
  freeFrames(): number {
    return Math.max(0, this.totalFrames() - this.mem.committed);
  }
  totalFrames(): number {
    return Math.floor(this.mem.free.size / PAGE);
  }
}

function hexToBytes(s: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(s) || s.length > 128) throw new Error('attestation data must be at most 64 bytes of hex');
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export function sgxMain(machine: SgxMachine, config: EnclaveConfig, args: SgxBootArgs): void {
  let platform: SgxPlatform;
  try {
    platform = new SgxPlatform(machine, config, args.epcSize);
  } catch (e) {
    // No OCALL channel to report through: the machine reports the error to the host.
    throw e;
  }
  if (args.fork || args.spare) {
    // A fork child: the parent proves itself and hands over its checkpoint before anything runs;
    // any failure stops this enclave before a single guest instruction. A spare first waits
    // for the fork it will become; if the family ends first, it stops quietly.
    try {
      if (args.fork) platform.family.acceptFork(args.fork.pid, args.fork.hello);
      else if (!platform.family.awaitFork()) { platform.panic(); return; }
    } catch (e) {
      platform.log(`fork refused: ${e instanceof Error ? e.message : String(e)}`);
      platform.panic();
      return;
    }
  }
  let status: number;
  try {
    if (args.attestData !== undefined) {
      const report = platform.identity.report(hexToBytes(args.attestData));
      platform.log(ATTESTATION_REPORT_PREFIX + toHex(report));
    }
    const kernel = new Kernel(platform, new EpcFrames(platform.memory), {
      argv: args.argv, envp: args.envp, execPath: args.execPath, exeLink: args.exeLink, trace: args.trace, stats: args.stats ?? false,
      hostname: args.hostname, uid: 1000, gid: 1000, mounts: (args as { mounts?: { at: string; readonly: boolean }[] }).mounts ?? [],
    });
    status = kernel.run();
  } catch (e) {
    platform.log(`kernel panic: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    platform.panic();
    return;
  }
  platform.exit(status);
}
