// Shared by test/helpers/oar-child.ts and test/oar-crash.test.ts.
export const CHILD_CHAIN_ID = 'pantheon-test-1';
export const CHILD_LOG_ID = 'acme/crash-test';
export const CHILD_KEY_SEED = new Uint8Array(32).fill(0x33);
