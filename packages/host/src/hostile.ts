/**
 * A hostile host, on demand: `teeos run --hostile MODES` makes the host lie in the ways
 * DESIGN.md section 7.6 lists, so a user can watch the enclave refuse the lies instead of
 * trusting them. Each mode rewrites the host's replies in the shared region after they are
 * served (Keystone edge-call wire format: packages/hal-keystone/src/edge/wire.ts).
 *
 *   lengths  read/write claim more bytes than were asked for          -> EIO in the enclave
 *   offsets  the return value is placed outside the shared region      -> EIO
 *   status   every call (but the console) reports CALL_STATUS_ERROR     -> EIO
 *   clock    the wall clock is garbage (before 2000, nsec >= 1e9)      -> rejected, logged
 *   stat     fstat answers a directory with a negative size            -> sanitised
 *   replay   each reply is the previous call's reply, replayed         -> EIO or sanitised
 * On SGX (fork carries a sealed checkpoint through the host, hal-sgx runtime/family.ts):
 *   checkpoint       one bit of every sealed checkpoint flipped          -> the child refuses, fork fails
 *   checkpoint-replay every child gets the first fork's checkpoint       -> the child refuses, fork fails
 *   channel          one bit of every record of a pipe or socket between enclaves flipped
 *                                                                        -> the reader refuses it, logged: EIO
 *   channel-drop     one record dropped from the middle of each channel (the last of two
 *                    still queued when a third comes)                   -> the reader sees the gap, logged: EIO
 *   channel-replay   that record queued twice                           -> refused as a replay, logged: EIO
 *   channel-reorder  the third record put before that one              -> refused out of order, logged: EIO
 *   message          one bit of every sealed message between enclaves flipped (requests on a
 *                    file another enclave serves, their answers, exit, signals)
 *                                                                        -> the receiver drops it, logged
 *   shared-memory    (with --untrusted-shared-memory) at every write the enclave asks for, the
 *                    host prints what the untrusted shared memory holds and flips a bit of it
 *                                                                        -> NOT detected: the
 *                    memory is the host's by design (the trade-off the opt-in accepts)
 *   page-trim        the host answers "trimmed" to every EMODT the enclave asks for (a page it
 *                    gives back, such as the old home of a migrating file page) and leaves the
 *                    page mapped                                        -> the enclave's EACCEPT
 *                    fails, the kernel stops (never two live copies of a page)
 */
import { EDGE_DATA, SARGS, getU64, setI64, setU64 } from '@teeos/hal-keystone/wire';

export const HOSTILE_MODES = ['lengths', 'offsets', 'status', 'clock', 'stat', 'replay', 'checkpoint', 'checkpoint-replay', 'channel', 'channel-drop', 'channel-replay', 'channel-reorder', 'message', 'shared-memory', 'page-trim'] as const;
/** The modes the SGX model's host plays (the others rewrite Keystone's wire format). */
export const SGX_HOSTILE_MODES: readonly HostileMode[] = ['checkpoint', 'checkpoint-replay', 'channel', 'channel-drop', 'channel-replay', 'channel-reorder', 'message', 'shared-memory', 'page-trim'];
export type HostileMode = (typeof HOSTILE_MODES)[number];

const OFF_CALL_STATUS = 24, OFF_CALL_RET_OFFSET = 32;
const CALL_STATUS_ERROR = 4;
/** TEE OS's console call id (hal-keystone constants): left alone so the refusals can be seen. */
const EDGECALL_CONSOLE = 12;

export function parseHostile(list: string): HostileMode[] {
  const modes = list.split(',').map((m) => m.trim()).filter(Boolean);
  for (const m of modes) {
    if (!(HOSTILE_MODES as readonly string[]).includes(m)) throw new Error(`unknown hostile mode '${m}' (${HOSTILE_MODES.join(', ')})`);
  }
  return modes as HostileMode[];
}

/** A tamper function for the Keystone host driver applying the given modes. */
export function keystoneTamper(modes: HostileMode[]): (dv: DataView, utm: Uint8Array) => void {
  let previous: Uint8Array | null = null;
  return (dv, utm) => {
    // The request's syscall number was overwritten by the ret; the sargs are still there.
    const len = getU64(dv, SARGS + 8);
    const reply = utm.slice(0, SARGS + 16 + Math.min(len, 4096));
    if (modes.includes('replay') && previous) utm.set(previous.subarray(0, Math.min(previous.length, utm.length)), 0);
    previous = reply;
    if (modes.includes('lengths')) setI64(dv, EDGE_DATA, len + 4096);
    if (modes.includes('offsets')) setU64(dv, OFF_CALL_RET_OFFSET, utm.length + 8);
    if (modes.includes('status') && getU64(dv, 0) !== EDGECALL_CONSOLE) setU64(dv, OFF_CALL_STATUS, CALL_STATUS_ERROR);
    if (modes.includes('clock')) {
      // Whatever was asked, a clock reply would read as 1970 with an impossible nsec.
      setI64(dv, SARGS + 8, 12);
      setI64(dv, SARGS + 16, 2e9);
    }
    if (modes.includes('stat')) {
      dv.setUint32(SARGS + 8 + 16, 0o040777, true); // st_mode: a world-writable directory
      setI64(dv, SARGS + 8 + 48, -5); // st_size < 0
    }
  };
}
