/**
 * The host side of starting a machine, the same on every platform: the host computes its own
 * measurement of what it laid out while the machine's thread boots (they overlap on two cores),
 * then refuses to run unless the machine (security monitor, PSP, CPU) measured the same.
 */
import { bytesEqual } from './bytes.ts';

/** A machine's thread, as far as starting it goes. */
export interface BootingMachine {
  terminate(): Promise<unknown>;
}

/**
 * Runs `compute` while `booting` (the machine's pending reply) is outstanding. If it throws,
 * the machine is stopped (its reply no longer matters) and the error goes on.
 */
export async function whileBooting<T>(machine: BootingMachine, booting: Promise<unknown>, compute: () => T): Promise<T> {
  try {
    return compute();
  } catch (e) {
    booting.catch(() => undefined);
    await machine.terminate();
    throw e;
  }
}

/** Stops the machine and throws `refusal` unless it measured exactly what the host computed. */
export async function requireSameMeasurement(machine: BootingMachine, got: Uint8Array, want: Uint8Array, refusal: string): Promise<void> {
  if (bytesEqual(got, want)) return;
  await machine.terminate();
  throw new Error(refusal);
}
