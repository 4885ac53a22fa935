/**
 * A machine thread started before the CLI is loaded (bin/teeos.mjs, for `run` and `attest`):
 * Node's ~60-90 ms of worker bootstrap then overlaps the main thread's loading of the CLI
 * bundle. It waits for the host to name the machine bundle of the TEE model chosen on the
 * command line (dist/<tee>-machine.mjs), imports it (the bundle registers its own message
 * handler, as when it is the Worker's entry point) and says so; from then on it is that
 * machine. Bundled as dist/machine-thread.mjs.
 */
import { parentPort } from 'node:worker_threads';
import { LOAD_MACHINE, MACHINE_LOADED } from './machine-thread-protocol.ts';

const port = parentPort;
if (port) {
  const onLoad = (m: unknown) => {
    if (typeof m !== 'object' || m === null || (m as { type?: unknown }).type !== LOAD_MACHINE) return;
    port.off('message', onLoad);
    import(String((m as { url?: unknown }).url)).then(
      () => port.postMessage({ type: MACHINE_LOADED }),
      (e: unknown) => port.postMessage({ type: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) }),
    );
  };
  port.on('message', onLoad);
}
