/** uname and getrandom. */
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
