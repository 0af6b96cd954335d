// Inputs, effects, configuration and state of the consensus core (docs/consensus.md). The
// core is `step(state, input) -> { state, effects }`: the host performs the effects (sign,
// broadcast, persist, schedule, build, validate, commit) and answers with new inputs.
import type { CommitCertificate } from '../protocol/certificate.ts';
import type { DuplicateVoteEvidence } from '../protocol/evidence.ts';
import type { ValidatorSet } from '../protocol/validators.ts';
import type { Proposal, UnsignedProposal, UnsignedVote, Vote } from '../protocol/vote.ts';
import type { ProposerRotation } from './proposer.ts';
import type { SignRecord } from './sign-state.ts';
import type { VoteKeeper } from './vote-keeper.ts';
import type { FutureBuffer } from './future-buffer.ts';

export type TimeoutKind = 'propose' | 'prevote' | 'precommit';

// ---- inputs --------------------------------------------------------------------------------

/**
 * Begin height `height` (after the previous decision is committed, or on boot/restart). With
 * `waitForTxs`, round 0 does not start its clock until the host sends `txsAvailable`: no
 * block is proposed and no timeout runs while there is nothing to finalise (docs/consensus.md,
 * "Blocks only when there is something to finalise").
 */
export interface StartHeightInput {
  kind: 'startHeight';
  height: bigint;
  waitForTxs?: boolean;
}

/**
 * The answer to `waitForTxs`: the mempool holds a transaction (or evidence) that can go into
 * the next block, or the heartbeat interval has passed since the last block.
 */
export interface TxsAvailableInput {
  kind: 'txsAvailable';
  height: bigint;
}

/** A proposal whose signature the host has already checked (checkProposal). */
export interface ProposalInput {
  kind: 'proposal';
  proposal: Proposal;
}

/** A vote whose signature the host has already checked (checkVote). Includes our own votes. */
export interface VoteInput {
  kind: 'vote';
  vote: Vote;
}

export interface TimeoutInput {
  kind: 'timeout';
  timeout: TimeoutKind;
  height: bigint;
  round: number;
}

/** The host's verdict on a block the core asked about with `requestBlockValidation`. */
export interface BlockValidityInput {
  kind: 'blockValidity';
  blockHash: Uint8Array;
  valid: boolean;
}

/** The host's answer to `proposeBlock`: it built (and keeps) a block with this hash. */
export interface BlockBuiltInput {
  kind: 'blockBuilt';
  height: bigint;
  round: number;
  blockHash: Uint8Array;
}

export type ConsensusInput = StartHeightInput | TxsAvailableInput | ProposalInput | VoteInput | TimeoutInput | BlockValidityInput | BlockBuiltInput;

// ---- effects -------------------------------------------------------------------------------

/** Persist durably (fsync) and only then perform the sign effect that always follows it. */
export interface PersistSignStateEffect {
  kind: 'persistSignState';
  record: SignRecord;
}

/** Sign, broadcast, and feed the signed proposal back to this core as a `proposal` input. */
export interface SignAndBroadcastProposalEffect {
  kind: 'signAndBroadcastProposal';
  proposal: UnsignedProposal;
}

/** Sign, broadcast, and feed the signed vote back to this core as a `vote` input. */
export interface SignAndBroadcastVoteEffect {
  kind: 'signAndBroadcastVote';
  vote: UnsignedVote;
}

/** After `durationMs`, send the matching `timeout` input (stale ones are ignored by the core). */
export interface ScheduleTimeoutEffect {
  kind: 'scheduleTimeout';
  timeout: TimeoutKind;
  height: bigint;
  round: number;
  durationMs: number;
}

/** Check the block with this hash (from a proposal) and answer with `blockValidity`. */
export interface RequestBlockValidationEffect {
  kind: 'requestBlockValidation';
  height: bigint;
  blockHash: Uint8Array;
}

/** Build a block for (height, round) (the paper's getValue()) and answer with `blockBuilt`. */
export interface ProposeBlockEffect {
  kind: 'proposeBlock';
  height: bigint;
  round: number;
}

/** The block is final: commit it with its certificate, then send `startHeight` for height + 1. */
export interface DecideEffect {
  kind: 'decide';
  height: bigint;
  round: number;
  blockHash: Uint8Array;
  certificate: CommitCertificate;
}

/**
 * Round 0 of `height` waits: answer with `txsAvailable` once the mempool holds something the
 * next block can include, or once the heartbeat interval since the last block has passed.
 */
export interface WaitForTxsEffect {
  kind: 'waitForTxs';
  height: bigint;
}

/** A validator signed two different block hashes at one height, round and vote type. */
export interface EvidenceEffect {
  kind: 'evidence';
  evidence: DuplicateVoteEvidence;
}

export type ConsensusEffect =
  | PersistSignStateEffect
  | SignAndBroadcastProposalEffect
  | SignAndBroadcastVoteEffect
  | ScheduleTimeoutEffect
  | RequestBlockValidationEffect
  | ProposeBlockEffect
  | WaitForTxsEffect
  | DecideEffect
  | EvidenceEffect;

// ---- configuration -------------------------------------------------------------------------

export interface TimeoutParams {
  timeoutProposeMs: number;
  timeoutPrevoteMs: number;
  timeoutPrecommitMs: number;
  /** Added per round: the paper's timeouts grow with the round so they outgrow the delay. */
  timeoutDeltaMs: number;
}

/**
 * Deliberately broken variants, for tests that prove the simulator catches real bugs.
 * NEVER set outside tests.
 */
export interface UnsafeTestVariants {
  /** Ignore lockedValue/lockedRound when prevoting (L23, L29). */
  disableLocking?: boolean;
  /** Count "more than 1/2" as a quorum instead of "more than 2/3". */
  halfQuorum?: boolean;
}

export interface ConsensusConfig {
  chainId: string;
  validators: ValidatorSet;
  rotation: ProposerRotation;
  /** This node's validator index, or undefined for a non-validating (following) node. */
  myIndex: number | undefined;
  timeouts: TimeoutParams;
  unsafe?: UnsafeTestVariants;
}

// ---- state ---------------------------------------------------------------------------------

/** `idle`: before the first startHeight. `decided`: waiting for startHeight(height + 1). */
export type RoundStep = 'idle' | 'propose' | 'prevote' | 'precommit' | 'decided';

export interface ProposalRecord {
  proposal: Proposal;
  blockHashHex: string;
}

export interface ConsensusState {
  readonly config: ConsensusConfig;
  readonly height: bigint;
  readonly round: number;
  readonly step: RoundStep;
  /** -1 for none (the paper's -1; proposals carry NO_ROUND on the wire). */
  readonly lockedRound: number;
  readonly lockedValue: Uint8Array | undefined;
  readonly validRound: number;
  readonly validValue: Uint8Array | undefined;
  /** Proposals from the right proposer, per round of the current height, first one first. */
  readonly proposals: ReadonlyMap<number, readonly ProposalRecord[]>;
  /** Host verdicts by block hash (hex) at the current height; absent = not known yet. */
  readonly validity: ReadonlyMap<string, boolean>;
  readonly validationRequested: ReadonlySet<string>;
  readonly votes: VoteKeeper;
  /** "for the first time" flags of L34, L36 and L47 for the current round. */
  readonly prevoteTimeoutScheduled: boolean;
  readonly polkaSeen: boolean;
  readonly precommitTimeoutScheduled: boolean;
  /** Round 0 has not started its clock: waiting for `txsAvailable` (see StartHeightInput). */
  readonly waitingForTxs: boolean;
  /** Our block built for (height, round) when we are proposer and waiting for `blockBuilt`. */
  readonly awaitingBlockForRound: number | undefined;
  readonly lastSign: SignRecord | undefined;
  readonly future: FutureBuffer;
}


export interface StepResult {
  state: ConsensusState;
  effects: ConsensusEffect[];
}
