/**
 * The two messages between the CLI and the machine thread bin/teeos.mjs starts early
 * (machine-thread.ts, prestart.ts). Its own module so the CLI bundle does not carry the
 * thread's entry code.
 */
export const LOAD_MACHINE = 'teeos-load-machine';
export const MACHINE_LOADED = 'teeos-machine-loaded';
