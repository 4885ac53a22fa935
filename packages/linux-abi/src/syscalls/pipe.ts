/** pipe2 and eventfd2 (fs/pipe.c, fs/eventfd.c): in-enclave pipes and counters. */
import { E } from '../errors.ts';
import type { SyscallTable } from './table.ts';
import { fsOf } from '../fs/context.ts';
import { makeEventFd, makePipe } from '../fs/pipe.ts';
import { O_CLOEXEC, O_DIRECT, O_NONBLOCK, O_RDWR } from '../fs/vfs.ts';
import { fsContext } from '../fs/context.ts';
import { checkWritable } from './fs-common.ts';

const O_NOTIFICATION_PIPE = 0o40000; // == O_EXCL on asm-generic? no: O_NOTIFICATION_PIPE is O_EXCL (0o200)
const EFD_SEMAPHORE = 1;

export function registerPipe(tab: SyscallTable): void {
  tab.def('pipe2', 'px', (k, t, a) => {
    const flags = a.i32(1);
    if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | 0o200)) return -E.EINVAL;
    if (flags & 0o200) return -E.ENOPKG; // O_NOTIFICATION_PIPE: watch queues are not built
    checkWritable(t, a.u(0), 8);
    const [r, w] = makePipe(fsOf(k).pipeMount, fsContext(k, t).cred, flags & (O_NONBLOCK | O_DIRECT));
    const cloexec = (flags & O_CLOEXEC) !== 0;
    const rfd = t.proc.fds.install(r, cloexec);
    if (rfd < 0) { r.close(); w.close(); return rfd; }
    const wfd = t.proc.fds.install(w, cloexec);
    if (wfd < 0) { t.proc.fds.close(rfd); w.close(); return wfd; }
    const b = new Uint8Array(8);
    const dv = new DataView(b.buffer);
    dv.setInt32(0, rfd, true);
    dv.setInt32(4, wfd, true);
    try {
      t.proc.as.copyOut(a.u(0), b);
    } catch (e) {
      t.proc.fds.close(rfd);
      t.proc.fds.close(wfd);
      throw e;
    }
    return 0;
  });

  tab.def('eventfd2', 'ux', (k, t, a) => {
    const flags = a.i32(1);
    if (flags & ~(EFD_SEMAPHORE | O_CLOEXEC | O_NONBLOCK)) return -E.EINVAL;
    const f = makeEventFd(fsOf(k).anonMount, a.u(0), flags & EFD_SEMAPHORE, O_RDWR | (flags & O_NONBLOCK));
    return t.proc.fds.install(f, (flags & O_CLOEXEC) !== 0);
  });
  void O_NOTIFICATION_PIPE;
}
