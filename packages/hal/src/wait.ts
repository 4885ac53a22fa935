/**
 * The host side of a machine's control word: waiting while it still reads a state.
 *
 * The host runs on Node's main thread, which must keep serving its event loop (worker
 * messages, exits, stdin), so after a short synchronous wait (a chatty enclave exits again
 * within microseconds) it waits with Atomics.waitAsync. A wake-up is only a hint: on a loaded
 * machine waitAsync has been seen to resolve while the word still held the old state, and a
 * host that acted then read a stale status and overwrote a request the machine had not run
 * yet (a lost SGX EAUG). So the word itself is checked until it changes.
 */
export async function waitWhileState(
  ctl: Int32Array, index: number, state: number, syncMs: number,
  ended: Promise<unknown>, isDone: () => boolean,
): Promise<void> {
  if (Atomics.wait(ctl, index, state, syncMs) !== 'timed-out' && Atomics.load(ctl, index) !== state) return;
  const endedQuietly = ended.then(() => undefined, () => undefined);
  while (!isDone() && Atomics.load(ctl, index) === state) {
    const r = Atomics.waitAsync(ctl, index, state);
    if (r.async) await Promise.race([r.value, endedQuietly]);
  }
}
