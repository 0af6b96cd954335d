// Shape checks for messages handed to the core. The host has checked signatures, but the core
// still never trusts a peer's object: anything malformed is ignored, never thrown on.
import { NO_ROUND, type Proposal, type Vote } from '../protocol/vote.ts';
import type { ConsensusConfig } from './types.ts';

/** Highest round the core accepts: NO_ROUND is the wire's "none", and round + 1 must stay a u32. */
export const ROUND_MAX = NO_ROUND - 2;

function isRound(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= ROUND_MAX;
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === 32;
}

function isHeight(value: unknown): value is bigint {
  return typeof value === 'bigint' && value >= 1n && value < 1n << 64n;
}

function isValidatorIndex(config: ConsensusConfig, value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < config.validators.validators.length;
}

export function isWellFormedVote(config: ConsensusConfig, vote: unknown): vote is Vote {
  if (typeof vote !== 'object' || vote === null) return false;
  const v = vote as Partial<Vote>;
  return (
    v.chainId === config.chainId &&
    (v.type === 'prevote' || v.type === 'precommit') &&
    isHeight(v.height) &&
    isRound(v.round) &&
    isHash(v.blockHash) &&
    isValidatorIndex(config, v.validatorIndex) &&
    v.signature instanceof Uint8Array
  );
}

export function isWellFormedProposal(config: ConsensusConfig, proposal: unknown): proposal is Proposal {
  if (typeof proposal !== 'object' || proposal === null) return false;
  const p = proposal as Partial<Proposal>;
  return (
    p.chainId === config.chainId &&
    isHeight(p.height) &&
    isRound(p.round) &&
    isHash(p.blockHash) &&
    (p.validRound === NO_ROUND || (isRound(p.validRound) && p.validRound < p.round)) &&
    isValidatorIndex(config, p.proposerIndex) &&
    p.signature instanceof Uint8Array
  );
}

export { isHash, isHeight };
