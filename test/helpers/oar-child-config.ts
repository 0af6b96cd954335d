// Shared by test/helpers/oar-child.ts and test/oar-crash.test.ts.
import { addressOf, keyPairFromSeed } from '../../protocol/keys.ts';

export const CHILD_CHAIN_ID = 'pantheon-test-1';
export const CHILD_KEY_SEED = new Uint8Array(32).fill(0x33);
/** A Pantheon log id: the address of the key that opens the log, then a name. */
export const CHILD_LOG_ID = `${addressOf(keyPairFromSeed(CHILD_KEY_SEED).publicKey)}/crash-test`;
