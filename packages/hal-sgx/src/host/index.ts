// Host-side (Node-only) helpers of the SGX model. Not for enclave bundles.
export * from './keygen.ts';
