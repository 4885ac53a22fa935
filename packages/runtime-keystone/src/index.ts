/**
 * runtime-keystone: the enclave runtime for the Keystone model (Eyrie's role). It wires the
 * kernel (linux-abi) to the Keystone HAL and the buddy frame allocator, and is bundled on its
 * own (dist/runtime-keystone.cjs) so the bundle holds only Keystone's platform code. The host
 * lays this bundle into the EPM after the loader; the SM measures it.
 */
import { Kernel, type FrameAllocator } from '@teeos/linux-abi';
import { BuddyAllocator } from '@teeos/kmalloc';
import { KeystonePlatform } from '@teeos/hal-keystone/runtime';
import type { KeystoneMachine, BootArgs, RuntimeParams } from '@teeos/hal-keystone/runtime';

const PAGE = 4096;
/** Exit value that tells the host the enclave kernel failed (not a wait status). */
export const KERNEL_PANIC = -1;

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

/**
 * `teeos attest`: the console line prefix that hands an attestation report (hex) to the host.
 * When the boot arguments carry attestData (hex), the runtime asks the SM for a report over those
 * bytes before init starts. The report crosses the untrusted host; its signature protects it.
 */
export const ATTESTATION_REPORT_PREFIX = 'teeos-attestation-report:';

function attestAtBoot(platform: KeystonePlatform, dataHex: string): void {
  if (!/^([0-9a-fA-F]{2})*$/.test(dataHex) || dataHex.length > 128) throw new Error('attestation data must be at most 64 bytes of hex');
  const data = Uint8Array.from(dataHex.match(/../g) ?? [], (h) => parseInt(h, 16));
  const report = platform.identity.report(data);
  platform.log(ATTESTATION_REPORT_PREFIX + Array.from(report, (x) => x.toString(16).padStart(2, '0')).join(''));
}

export function eyrieMain(machine: KeystoneMachine, params: RuntimeParams, args: BootArgs): void {
  const platform = new KeystonePlatform(machine, params);
  const free = platform.memory.free;
  const frames = new BuddyFrames(new BuddyAllocator({ firstFrame: free.base / PAGE, frameCount: Math.floor(free.size / PAGE) }));
  let status: number;
  try {
    const attestData = (args as BootArgs & { attestData?: string }).attestData;
    if (attestData !== undefined) attestAtBoot(platform, attestData);
    const kernel = new Kernel(platform, frames, {
      argv: args.argv, envp: args.envp, execPath: args.execPath, exeLink: args.exeLink, trace: args.trace, stats: args.stats ?? false,
      hostname: args.hostname, uid: 1000, gid: 1000, mounts: (args as { mounts?: { at: string; readonly: boolean }[] }).mounts ?? [],
    });
    status = kernel.run();
  } catch (e) {
    // A kernel bug must not look like a program's exit: say so and stop the enclave.
    platform.log(`kernel panic: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    platform.exit(KERNEL_PANIC);
    return;
  }
  platform.exit(status);
}
