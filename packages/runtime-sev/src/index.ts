/**
 * runtime-sev: the guest runtime for the AMD SEV-SNP model. It wires the kernel (linux-abi) to
 * the SEV HAL and the buddy frame allocator, and is bundled on its own (dist/runtime-sev.cjs) so
 * the bundle holds only SEV platform code. The host hands this bundle to SNP_LAUNCH_UPDATE after
 * the boot stub and the boot table; the PSP measures it.
 *
 * `teeos attest`: when the boot arguments carry attestData, the runtime asks the PSP for a report
 * over those bytes (identity.report, a MSG_REPORT_REQ) before init starts and hands the report to
 * the operator as a console line `teeos-attestation-report:<hex>`. The report travels through
 * the untrusted host; its signature is what makes it trustworthy.
 */
import { Kernel, type FrameAllocator } from '@teeos/linux-abi';
import { BuddyAllocator } from '@teeos/kmalloc';
import { SevPlatform, terminateEarly } from '@teeos/hal-sev/runtime';
import type { SevMachine, BootTable, SevBootArgs } from '@teeos/hal-sev/runtime';

const PAGE = 4096;
/** Exit value that tells the host the guest kernel failed (not a wait status). */
export const KERNEL_PANIC = -1;
/** The console line prefix that carries an attestation report to the host (see the header). */
export const ATTESTATION_REPORT_PREFIX = 'teeos-attestation-report:';

/** The kernel's frame interface over the buddy allocator (frames named by physical address). */
export class BuddyFrames implements FrameAllocator {
  constructor(private readonly buddy: BuddyAllocator) {}
  allocFrame(): number | null {
    const f = this.buddy.alloc(0);
    return f === null ? null : f * PAGE;
  }
  freeFrame(paddr: number): void {
    this.buddy.freeBlock(paddr / PAGE, 0);
  }
  freeFrames(): number {
    return this.buddy.freeCount;
  }
  totalFrames(): number {
    return this.buddy.frameCount;
  }
}

function hexToBytes(s: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(s) || s.length > 128) throw new Error('attestation data must be at most 64 bytes of hex');
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export function sevMain(machine: SevMachine, table: BootTable, args: SevBootArgs): void {
  let platform: SevPlatform;
  try {
    platform = new SevPlatform(machine, table);
  } catch {
    terminateEarly(machine);
    return;
  }
  const free = platform.memory.free;
  const frames = new BuddyFrames(new BuddyAllocator({ firstFrame: free.base / PAGE, frameCount: Math.floor(free.size / PAGE) }));
  let status: number;
  try {
    if (args.attestData !== undefined) {
      const report = platform.identity.report(hexToBytes(args.attestData));
      platform.log(ATTESTATION_REPORT_PREFIX + toHex(report));
    }
    const kernel = new Kernel(platform, frames, {
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
