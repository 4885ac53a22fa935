/** strace-style formatting of one syscall for `teeos run --trace`. */
import { ERRNO_NAMES } from './generated/errno.ts';
import type { AddressSpace } from './mm/address-space.ts';
import type { SyscallArgs } from './syscalls/args.ts';
import type { Task } from './task.ts';

const SHOW = 32;

function quote(bytes: Uint8Array, truncated: boolean): string {
  let s = '"';
  for (const c of bytes) {
    if (c === 0x0a) s += '\\n';
    else if (c === 0x09) s += '\\t';
    else if (c === 0x22) s += '\\"';
    else if (c === 0x5c) s += '\\\\';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\x' + c.toString(16).padStart(2, '0');
  }
  return s + '"' + (truncated ? '...' : '');
}

export function formatSyscall(task: Task, name: string, spec: string, a: SyscallArgs, ret: number | bigint | string, as: AddressSpace): string {
  const parts: string[] = [];
  for (let i = 0; i < spec.length; i++) {
    const k = spec[i];
    switch (k) {
      case 'd': case 'f': parts.push(String(a.i32(i))); break;
      case 'u': parts.push(String(a.u(i))); break;
      case 'x': parts.push('0x' + a.big(i).toString(16)); break;
      case 'p': parts.push(a.u(i) === 0 ? 'NULL' : '0x' + a.u(i).toString(16)); break;
      case 's':
        try { parts.push(JSON.stringify(as.readCString(a.u(i), 4096))); } catch { parts.push('0x' + a.u(i).toString(16)); }
        break;
      case 'b': {
        const len = a.u(i + 1);
        try {
          parts.push(quote(as.copyIn(a.u(i), Math.min(len, SHOW)), len > SHOW));
        } catch {
          parts.push('0x' + a.u(i).toString(16));
        }
        break;
      }
      default: parts.push('?');
    }
  }
  let r: string;
  if (typeof ret === 'number' && ret < 0 && ret >= -4095) r = `-1 ${ERRNO_NAMES.get(-ret) ?? -ret}`;
  else if (typeof ret === 'number' && ret > 0xffff) r = '0x' + ret.toString(16);
  else r = String(ret);
  return `[pid ${task.tid}] ${name}(${parts.join(', ')}) = ${r}`;
}
