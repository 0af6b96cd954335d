// Public surface of the consensus core (docs/consensus.md). Imports only protocol/.
export { createConsensusState, step, ROUND_LOOKAHEAD_MAX } from './step.ts';
export type * from './types.ts';
export { makeProposerRotation, type ProposerRotation, type RotationCheckpoint } from './proposer.ts';
export { timeoutDurationMs, TIMEOUT_MS_MAX } from './timeouts.ts';
export { isQuorum, isHonestPresence } from './thresholds.ts';
export { compareHrs, isResendOfRecord, mayISign, RESEND_ROUNDS_MAX, withSigned, SIGN_STEP, SimulatedSignStateStore, type SignDecision, type SignRecord, type SignedAtHeight, type SignStateStore, type SignStep, type SignTarget } from './sign-state.ts';
export { FUTURE_MESSAGES_PER_VALIDATOR_MAX } from './future-buffer.ts';
export { votesFor } from './vote-keeper.ts';
export { ROUND_MAX } from './well-formed.ts';
