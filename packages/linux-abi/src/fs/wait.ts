/**
 * Wait queues for files that block (pipes, FIFOs, eventfd, poll). A task that must wait
 * parks with kernel.block and leaves a `retry` closure on every queue it sleeps on. When a
 * file's state changes, its queue runs the sleepers' retries in the waker's context (user
 * memory is reached through the sleeper's own address space, which works from any task):
 * a retry that completes wakes its task with the syscall's result; one that still cannot
 * proceed keeps sleeping, with whatever progress it made kept in the closure (a blocking
 * pipe write of 1 MiB completes chunk by chunk, as pipe_write's loop does).
 */
import { SysError, E } from '../errors.ts';
import type { Kernel } from '../kernel.ts';
import type { Task, WaitState } from '../task.ts';

/** What a retry returns to keep sleeping. */
export const AGAIN = Symbol('again');
export type RetryResult = number | typeof AGAIN;

interface Waiter {
  k: Kernel;
  task: Task;
  wait: WaitState;
  retry: () => RetryResult;
  queues: WaitQueue[];
  done: boolean;
  /** Its retry is running (a nested notify skips it). */
  running?: boolean;
}

export class WaitQueue {
  private readonly waiters = new Set<Waiter>();
  /** Callbacks run on every notify (epoll's interest in a file: ep_poll_callback's role). */
  private readonly watchers = new Set<() => void>();

  watch(cb: () => void): void {
    this.watchers.add(cb);
  }
  unwatch(cb: () => void): void {
    this.watchers.delete(cb);
  }

  add(w: Waiter): void {
    this.waiters.add(w);
  }
  remove(w: Waiter): void {
    this.waiters.delete(w);
  }
  get size(): number {
    return this.waiters.size;
  }

  /** The file's state changed: every live sleeper retries; those that complete wake up. */
  notify(): void {
    if (this.watchers.size) for (const cb of [...this.watchers]) cb();
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) {
      // A retry that changes the state this queue watches notifies it again from inside its
      // own retry (a semop that completes wakes the set's other sleepers): not itself again.
      if (w.done || w.running) continue;
      if (w.task.state !== 'blocked' || w.task.wait !== w.wait) {
        // Woken by something else (timeout, signal, exit): forget it.
        finish(w);
        continue;
      }
      let r: RetryResult;
      w.running = true;
      try {
        r = w.retry();
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        r = -e.errno;
      } finally {
        w.running = false;
      }
      if (r === AGAIN) continue;
      finish(w);
      w.k.wake(w.task, r);
    }
  }
}

function finish(w: Waiter): void {
  w.done = true;
  for (const q of w.queues) q.remove(w);
}

/**
 * Parks `task` on `queues` until `retry` completes, or until `deadline` (monotonic ns)
 * passes, when the syscall returns `onTimeout`. Returns kernel.block's BLOCKED marker.
 */
export function sleepOn(k: Kernel, task: Task, queues: WaitQueue[], retry: () => RetryResult,
  deadline = Infinity, onTimeout = -E.EAGAIN, onSignal?: (sig: number) => boolean, onDone?: () => void): ReturnType<Kernel['block']> {
  const w: Waiter = { k, task, wait: null as unknown as WaitState, retry, queues, done: false };
  const wait: WaitState = { deadline, onTimeout, onWake: () => { finish(w); onDone?.(); } };
  if (onSignal) wait.onSignal = onSignal;
  for (const q of queues) q.add(w);
  const r: ReturnType<Kernel['block']> = k.block(task, wait);
  w.wait = task.wait!; // the kernel keeps its own copy (with orig_a0 for restarts)
  return r;
}
