/**
 * The report target of `teeos attest` on SGX: a quoting-enclave MODEL.
 *
 * On SGX an enclave's REPORT is MAC'd with the report key of the enclave it targets, so only that
 * enclave can check it. For remote attestation Intel's flow targets the Quoting Enclave (the
 * untrusted AESM hands the app its TARGETINFO, sgx_init_quote / sgx_qe_get_target_info); the QE
 * checks the REPORT with EGETKEY(REPORT) and signs a quote. TEE OS targets this model QE: a fixed
 * identity (no code runs as it), whose report key `teeos verify` recomputes because the model's
 * EGETKEY is linux-sgx simulation mode with public base keys (keys.ts). That is a model: on
 * hardware only code inside the QE could derive the key, and the verifier would check a quote.
 * The TARGETINFO is part of the measured runtime here rather than supplied by the host.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeTargetInfo } from '../report.ts';
import type { SgxEnclaveIdentity } from '../sigstruct.ts';

const te = new TextEncoder();
/** MRENCLAVE of the model QE: SHA-256("TEE OS SGX model quoting enclave"). */
export const QE_MODEL_MRENCLAVE = sha256(te.encode('TEE OS SGX model quoting enclave'));
/** SECS.ATTRIBUTES of the model QE: INITTED | MODE64BIT, XFRM x87|SSE. */
export const QE_MODEL_ATTRIBUTES = { flags: 0x5n, xfrm: 0x3n };

export function qeModelIdentity(): SgxEnclaveIdentity {
  return {
    mrenclave: QE_MODEL_MRENCLAVE.slice(), mrsigner: sha256(te.encode('TEE OS SGX model QE signer')),
    attributes: { ...QE_MODEL_ATTRIBUTES }, miscselect: 0, isvprodid: 1, isvsvn: 0, cetAttributes: 0,
    isvfamilyid: new Uint8Array(16), isvextprodid: new Uint8Array(16), configid: new Uint8Array(64), configsvn: 0,
  };
}

export function qeModelTargetInfo(): Uint8Array {
  return encodeTargetInfo({
    mrenclave: QE_MODEL_MRENCLAVE.slice(), attributes: { ...QE_MODEL_ATTRIBUTES }, cetAttributes: 0, configsvn: 0,
    miscselect: 0, configid: new Uint8Array(64),
  });
}
