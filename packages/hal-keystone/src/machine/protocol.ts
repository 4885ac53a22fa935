/**
 * The host <-> machine interface: what Keystone's kernel driver and SDK do with ioctls
 * (create the enclave, run it, come back on an edge call or exit), carried by postMessage
 * and a small control word. The control word stands in for the SM's stop/resume: the
 * enclave sets EDGE_CALL and waits; the host serves the call and sets RUNNING again.
 */

export const CTL_STATE = 0;
export const CTL_RUNNING = 0;
export const CTL_EDGE_CALL = 1;
export const CTL_EXITED = 2;
export const CTL_BYTES = 16;

/** keystone_sbi_create_t (sdk/include/shared/sm_call.h), as numbers. */
export interface CreateArgs {
  epmSize: number;
  utmSize: number;
  /** The UTM: the only memory both sides touch. */
  utm: SharedArrayBuffer;
  ctl: SharedArrayBuffer;
  /** Bytes of the loader, runtime and application files, laid page by page into the EPM. */
  loader: Uint8Array;
  runtime: Uint8Array;
  eapp: Uint8Array;
  /** The SM image the boot ROM measures (the machine's own firmware bundle). */
  smImage: Uint8Array;
}

/** runtime_params_t (sm/src/enclave.h), handed to the enclave in a1..a7. */
export interface RuntimeParams {
  dramBase: number;
  dramSize: number;
  runtimeBase: number;
  userBase: number;
  freeBase: number;
  untrustedBase: number;
  untrustedSize: number;
}

/** What the host tells the runtime at start (untrusted input, like any argv). */
export interface BootArgs {
  argv: string[];
  envp: string[];
  execPath: string;
  exeLink: string;
  trace: boolean;
  /** `--stats`: the kernel reports its own accounting (frames) at exit. */
  stats?: boolean;
  hostname: string;
}

export type HostToMachine =
  | ({ type: 'create' } & CreateArgs)
  | { type: 'run'; boot: BootArgs };

export type MachineToHost =
  | { type: 'created'; measurement: Uint8Array; params: RuntimeParams; loaderBase: number }
  | { type: 'exited'; status: number; instret: number }
  | { type: 'error'; message: string };
