// The offline verifier as a library, the package's pantheon/verify entry point: the
// same pure functions as `pantheon verify` and verify.html. No network, no clock of its own
// (pass nowMs), no Node-only imports: it runs in a browser as well as in Node.
export { verifyBundle, type VerifyOptions, type VerifyResult } from './verify.ts';
export { reportText, type Summary } from './summary.ts';
export { parseBundle, bundleToJson, BundleFormatError, BUNDLE_FORMAT, BUNDLE_VERSION, type ProofBundle } from './bundle.ts';
export type { StepName, StepResult } from './steps.ts';
