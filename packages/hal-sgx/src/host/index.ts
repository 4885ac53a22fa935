// Host-side (Node-only) helpers of the SGX model. Not for enclave bundles.
import { useNativeSha256 } from './native.ts';

useNativeSha256();
export { useNativeSha256, nativeRsaPrivate } from './native.ts';
export * from './keygen.ts';
export { loadOrCreateDevKey, keyFromPem } from './devkey.ts';
export { SgxEnclave, sgxExpectedMeasurement, mrenclaveOf, type HostServices, type SgxFiles, type RunResult } from './enclave.ts';
export { sgxBuildPlan, ELRANGE_BASE, ELRANGE_SIZE, RT_BASE, DEFAULT_TCS, MAX_TCS, NSSA, SSA_FRAME_PAGES } from '../machine/protocol.ts';
export type { SgxBootArgs, EnclaveConfig, EaddOp } from '../machine/protocol.ts';
export { qeModelIdentity, qeModelTargetInfo, QE_MODEL_MRENCLAVE } from '../machine/quoting-enclave.ts';
