/**
 * The machine thread bin/teeos.mjs may have started before loading the CLI (machine-thread.ts),
 * handed over through a global symbol. A driver takes it at most once; without one (the CLI
 * loaded another way, tests) the host starts the machine's Worker itself.
 */
import type { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { LOAD_MACHINE, MACHINE_LOADED } from './machine-thread-protocol.ts';

const KEY = Symbol.for('teeos.machine-thread');

/**
 * Turns the prestarted thread into the machine at `machinePath`: resolves once the bundle is
 * loaded. Undefined when no thread is waiting (then the caller spawns its own Worker).
 */
export function takePrestartedMachine(machinePath: string | URL): Promise<Worker> | undefined {
  const g = globalThis as { [KEY]?: Worker };
  const w = g[KEY];
  if (!w) return undefined;
  delete g[KEY];
  w.ref();
  return new Promise<Worker>((resolve, reject) => {
    const onMsg = (m: { type?: string; message?: string }) => {
      if (m?.type === MACHINE_LOADED) { cleanup(); resolve(w); } else if (m?.type === 'error') { cleanup(); reject(new Error(`the machine did not load: ${m.message}`)); }
    };
    const onErr = (e: Error) => { cleanup(); reject(e); };
    const onExit = (code: number) => { cleanup(); reject(new Error(`the machine thread stopped (code ${code})`)); };
    const cleanup = () => { w.off('message', onMsg); w.off('error', onErr); w.off('exit', onExit); };
    w.on('message', onMsg);
    w.on('error', onErr);
    w.on('exit', onExit);
    w.postMessage({ type: LOAD_MACHINE, url: typeof machinePath === 'string' ? pathToFileURL(machinePath).href : machinePath.href });
  });
}
