// The vote keeper: votes of one height by (round, type), with the voting power behind each
// block hash, the senders of each round (for the paper's f+1 round skip, L55) and equivocation
// detection. Immutable: adding a vote copies only the touched (round, type) entry, O(validators).
// Votes arrive already signature-checked.
//
// Counting follows the paper: "2f+1 <PREVOTE, h, r, id(v)>" means signed messages for v from
// distinct validators. An equivocating validator's votes therefore count for each value it
// signed (up to VALUES_PER_VALIDATOR_MAX, to bound memory), but only once towards "any value"
// (L34, L47). Counting only its first vote would be safe but not live: a Byzantine validator
// that sends v to some and nil to others can hide a polka for v from an honest validator
// forever, because the v vote relayed later would be discarded (the simulator found this).
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';
import { makeEvidence, type DuplicateVoteEvidence } from '../protocol/evidence.ts';
import type { ValidatorSet } from '../protocol/validators.ts';
import type { Vote, VoteType } from '../protocol/vote.ts';

/** Distinct values one validator can have counted in one (round, type). */
export const VALUES_PER_VALIDATOR_MAX = 2;

export interface VoteSet {
  /** The votes of each validator, first one first; more than one means it equivocated. */
  readonly byValidator: ReadonlyMap<number, readonly Vote[]>;
  /** Power per block hash (hex; 64 zeros is nil). */
  readonly powerByBlock: ReadonlyMap<string, bigint>;
  /** Power of all validators that voted, whatever the value. */
  readonly power: bigint;
}

export interface RoundVotes {
  readonly prevote: VoteSet;
  readonly precommit: VoteSet;
  /** Validators that sent anything for this round (votes or the proposal), and their power. */
  readonly senders: ReadonlySet<number>;
  readonly senderPower: bigint;
}

export interface VoteKeeper {
  readonly rounds: ReadonlyMap<number, RoundVotes>;
}

export type AddVoteOutcome =
  | { kind: 'added'; keeper: VoteKeeper }
  | { kind: 'duplicate' }
  /** A second value from the same validator: counted for that value, and evidence. */
  | { kind: 'equivocation'; keeper: VoteKeeper; evidence: DuplicateVoteEvidence }
  /** Beyond VALUES_PER_VALIDATOR_MAX: dropped. */
  | { kind: 'tooManyValues' };

const EMPTY_VOTE_SET: VoteSet = { byValidator: new Map(), powerByBlock: new Map(), power: 0n };
const EMPTY_ROUND: RoundVotes = { prevote: EMPTY_VOTE_SET, precommit: EMPTY_VOTE_SET, senders: new Set(), senderPower: 0n };

export const EMPTY_KEEPER: VoteKeeper = { rounds: new Map() };

export function roundVotes(keeper: VoteKeeper, round: number): RoundVotes {
  return keeper.rounds.get(round) ?? EMPTY_ROUND;
}

function withRound(keeper: VoteKeeper, round: number, votes: RoundVotes): VoteKeeper {
  const rounds = new Map(keeper.rounds);
  rounds.set(round, votes);
  return { rounds };
}

function withSender(votes: RoundVotes, index: number, set: ValidatorSet): RoundVotes {
  if (votes.senders.has(index)) return votes;
  const senders = new Set(votes.senders);
  senders.add(index);
  return { ...votes, senders, senderPower: votes.senderPower + set.validators[index].power };
}

/** Records that `index` sent something for `round` (used for proposals). */
export function addSender(keeper: VoteKeeper, round: number, index: number, set: ValidatorSet): VoteKeeper {
  const votes = roundVotes(keeper, round);
  const updated = withSender(votes, index, set);
  return updated === votes ? keeper : withRound(keeper, round, updated);
}

/** Adds a vote whose validator index is known to be in `set`. */
export function addVote(keeper: VoteKeeper, vote: Vote, set: ValidatorSet): AddVoteOutcome {
  const votes = roundVotes(keeper, vote.round);
  const voteSet = votes[vote.type];
  const previous = voteSet.byValidator.get(vote.validatorIndex) ?? [];
  if (previous.some((p) => equalBytes(p.blockHash, vote.blockHash))) return { kind: 'duplicate' };
  if (previous.length >= VALUES_PER_VALIDATOR_MAX) return { kind: 'tooManyValues' };
  const power = set.validators[vote.validatorIndex].power;
  const key = bytesToHex(vote.blockHash);
  const byValidator = new Map(voteSet.byValidator);
  byValidator.set(vote.validatorIndex, [...previous, vote]);
  const powerByBlock = new Map(voteSet.powerByBlock);
  powerByBlock.set(key, (powerByBlock.get(key) ?? 0n) + power);
  const updatedSet: VoteSet = {
    byValidator,
    powerByBlock,
    // "Any value" counts each validator once (L34, L47).
    power: previous.length === 0 ? voteSet.power + power : voteSet.power,
  };
  const updated = withSender({ ...votes, [vote.type]: updatedSet }, vote.validatorIndex, set);
  const updatedKeeper = withRound(keeper, vote.round, updated);
  if (previous.length === 0) return { kind: 'added', keeper: updatedKeeper };
  return { kind: 'equivocation', keeper: updatedKeeper, evidence: makeEvidence(previous[0], vote) };
}

export function powerFor(keeper: VoteKeeper, round: number, type: VoteType, blockHashHex: string): bigint {
  return roundVotes(keeper, round)[type].powerByBlock.get(blockHashHex) ?? 0n;
}

export function powerAny(keeper: VoteKeeper, round: number, type: VoteType): bigint {
  return roundVotes(keeper, round)[type].power;
}

/** The counted votes of `type` in `round` for one block hash (to build a certificate). */
export function votesFor(keeper: VoteKeeper, round: number, type: VoteType, blockHashHex: string): Vote[] {
  const out: Vote[] = [];
  for (const signed of roundVotes(keeper, round)[type].byValidator.values()) {
    for (const vote of signed) if (bytesToHex(vote.blockHash) === blockHashHex) out.push(vote);
  }
  return out;
}
