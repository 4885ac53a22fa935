/**
 * The syscall table: riscv64 syscall number -> handler. Each subsystem file registers its
 * handlers with `def`; anything not registered returns -ENOSYS (see dispatch in kernel.ts).
 * `args` tells the strace-style tracer how to print each argument:
 *   d = signed int, u = unsigned, x = hex, p = pointer, s = C string, f = fd, b = buffer (length in next arg)
 */
import type { Kernel, BLOCKED } from '../kernel.ts';
import type { Task } from '../task.ts';
import type { SyscallArgs } from './args.ts';
import { SYS, SYSCALL_NAMES } from '../generated/syscall-numbers.ts';

export type Handler = (k: Kernel, t: Task, a: SyscallArgs) => number | bigint | typeof BLOCKED;

export interface SyscallDef {
  nr: number;
  name: string;
  fn: Handler;
  args: string;
  /** 'full' where Linux semantics are implemented; 'partial' where only some cases are. */
  status: 'full' | 'partial';
  /** What docs/compatibility.md says besides the status (where the behaviour is a choice). */
  note?: string;
}

export class SyscallTable {
  readonly defs: (SyscallDef | undefined)[] = [];

  def(name: keyof typeof SYS, args: string, fn: Handler, status: 'full' | 'partial' = 'full', note?: string): void {
    const nr = SYS[name];
    this.defs[nr] = { nr, name, fn, args, status, ...(note ? { note } : {}) };
  }

  get(nr: number): SyscallDef | undefined {
    return nr >= 0 && nr < this.defs.length ? this.defs[nr] : undefined;
  }

  static nameOf(nr: number): string {
    return SYSCALL_NAMES.get(nr) ?? `syscall_${nr}`;
  }
}
