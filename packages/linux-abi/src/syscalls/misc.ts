/** uname, getrandom and sysinfo. */
import { E } from '../errors.ts';
import { GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM } from '../abi/constants.ts';
import { encodeUtsname } from '../abi/structs.ts';
import type { SyscallTable } from './table.ts';

/** The Linux version we present; glibc checks it against its minimum (3.2 for riscv64: 4.15). */
export const UTS_RELEASE = '6.1.0-teeos';

export function registerMisc(tab: SyscallTable): void {
  tab.def('uname', 'p', (k, t, a) => {
    t.proc.as.copyOut(a.u(0), encodeUtsname({
      sysname: 'Linux', nodename: k.config.hostname, release: UTS_RELEASE,
      version: `#1 SMP TEE OS (${k.platform.name} model)`, machine: 'riscv64', domainname: '(none)',
    }));
    return 0;
  });

  // sysinfo(2): glibc's qsort asks it (via sysconf(_SC_PHYS_PAGES)) before sorting a large
  // array, and free/uptime/top print it. struct sysinfo on 64-bit: uptime, loads[3],
  // totalram, freeram, sharedram, bufferram, totalswap, freeswap (longs, 0..56), procs
  // (u16 at 80), totalhigh, freehigh (88, 96), mem_unit (u32 at 104); 112 bytes. Sizes in
  // bytes (mem_unit 1, as 64-bit Linux gives), loads 0 as /proc/loadavg says, uptime
  // rounded up to whole seconds as Linux rounds it.
  tab.def('sysinfo', 'p', (k, t, a) => {
    const b = new DataView(new ArrayBuffer(112));
    b.setBigInt64(0, BigInt(Math.ceil(k.platform.monotonicNs() / 1e9)), true);
    const f = k.frames;
    b.setBigUint64(32, BigInt(f.totalFrames()) * 4096n, true);
    b.setBigUint64(40, BigInt(f.freeFrames()) * 4096n, true);
    let threads = 0;
    for (const p of k.processes.values()) threads += p.tasks.size;
    b.setUint16(80, Math.min(threads, 0xffff), true);
    b.setUint32(104, 1, true);
    t.proc.as.copyOut(a.u(0), new Uint8Array(b.buffer));
    return 0;
  });

  tab.def('getrandom', 'pux', (k, t, a) => {
    const addr = a.u(0), len = a.u(1), flags = a.i32(2);
    if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) return -E.EINVAL;
    if ((flags & (GRND_INSECURE | GRND_RANDOM)) === (GRND_INSECURE | GRND_RANDOM)) return -E.EINVAL;
    const n = Math.min(len, 33554431); // Linux caps one call at 32 MiB - 1
    const buf = new Uint8Array(Math.min(n, 65536));
    let done = 0;
    while (done < n) {
      const c = buf.subarray(0, Math.min(buf.length, n - done));
      k.platform.random(c);
      t.proc.as.copyOut(addr + done, c);
      done += c.length;
    }
    return done;
  });
}
