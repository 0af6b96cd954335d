// Consensus messages (docs/consensus.md): votes (prevote, precommit) and proposals,
// each signed with ML-DSA-65 over string(tag) || string(chainId) || payload.
import { decodeExact, DecodeError, Reader, Writer } from './encoding.ts';
import { assertValidChainId, TAGS } from './hash.ts';
import { sign, SIGNATURE_SIZE, verify } from './keys.ts';
import { concatBytes, equalBytes, ZERO_HASH } from './bytes.ts';
import type { ValidatorSet } from './validators.ts';

export const VOTE_TYPE = { prevote: 1, precommit: 2 } as const;
export type VoteType = keyof typeof VOTE_TYPE;
/** validRound value meaning "no valid round" (the paper's -1). */
export const NO_ROUND = 0xffffffff;
const CHAIN_ID_MAX = 64;

export interface Vote {
  chainId: string;
  type: VoteType;
  height: bigint;
  round: number;
  /** 32 zero bytes is a vote for nil. */
  blockHash: Uint8Array;
  validatorIndex: number;
  signature: Uint8Array;
}

export type UnsignedVote = Omit<Vote, 'signature'>;

export function isNilVote(vote: UnsignedVote): boolean {
  return equalBytes(vote.blockHash, ZERO_HASH);
}

export function encodeVoteBody(v: UnsignedVote): Uint8Array {
  assertValidChainId(v.chainId);
  return new Writer()
    .string(v.chainId, CHAIN_ID_MAX, 'chainId')
    .u8(VOTE_TYPE[v.type], 'type')
    .u64(v.height, 'height')
    .u32(v.round, 'round')
    .fixed(v.blockHash, 32, 'blockHash')
    .u16(v.validatorIndex, 'validatorIndex')
    .finish();
}

export function encodeVote(v: Vote): Uint8Array {
  return concatBytes(encodeVoteBody(v), new Writer().fixed(v.signature, SIGNATURE_SIZE, 'signature').finish());
}

function readChainId(r: Reader): string {
  const chainId = r.string(CHAIN_ID_MAX, 'chainId');
  try {
    assertValidChainId(chainId);
  } catch (err) {
    throw new DecodeError('chainId', (err as Error).message);
  }
  return chainId;
}

export function readVote(r: Reader): Vote {
  const chainId = readChainId(r);
  const typeByte = r.u8('type');
  const type = (Object.keys(VOTE_TYPE) as VoteType[]).find((k) => VOTE_TYPE[k] === typeByte);
  if (!type) throw new DecodeError('type', `unknown vote type ${typeByte}`);
  return {
    chainId,
    type,
    height: r.u64('height'),
    round: r.u32('round'),
    blockHash: r.fixed(32, 'blockHash'),
    validatorIndex: r.u16('validatorIndex'),
    signature: r.fixed(SIGNATURE_SIZE, 'signature'),
  };
}

export function decodeVote(bytes: Uint8Array): Vote {
  return decodeExact(bytes, 'vote', readVote);
}

export function signVote(v: UnsignedVote, secretKey: Uint8Array, deterministic = false): Vote {
  return { ...v, signature: sign(TAGS.vote, v.chainId, encodeVoteBody(v), secretKey, deterministic) };
}

/** Why a vote is not valid for this chain and validator set, or undefined when it is. */
export function checkVote(v: Vote, chainId: string, set: ValidatorSet): string | undefined {
  if (v.chainId !== chainId) return `chain id is "${v.chainId}", this chain is "${chainId}"`;
  const validator = set.validators[v.validatorIndex];
  if (!validator) return `validator index ${v.validatorIndex} is not in the validator set of ${set.validators.length}`;
  if (!verify(TAGS.vote, v.chainId, encodeVoteBody(v), v.signature, validator.publicKey)) {
    return `signature of validator ${v.validatorIndex} does not verify`;
  }
  return undefined;
}

// ---- proposals ----------------------------------------------------------------------------

export interface Proposal {
  chainId: string;
  height: bigint;
  round: number;
  blockHash: Uint8Array;
  /** The paper's validRound: NO_ROUND when the proposer has no valid value. */
  validRound: number;
  proposerIndex: number;
  signature: Uint8Array;
}

export type UnsignedProposal = Omit<Proposal, 'signature'>;

export function encodeProposalBody(p: UnsignedProposal): Uint8Array {
  assertValidChainId(p.chainId);
  if (p.validRound !== NO_ROUND && p.validRound >= p.round) {
    throw new RangeError(`validRound: ${p.validRound} must be below round ${p.round}`);
  }
  return new Writer()
    .string(p.chainId, CHAIN_ID_MAX, 'chainId')
    .u64(p.height, 'height')
    .u32(p.round, 'round')
    .fixed(p.blockHash, 32, 'blockHash')
    .u32(p.validRound, 'validRound')
    .u16(p.proposerIndex, 'proposerIndex')
    .finish();
}

export function encodeProposal(p: Proposal): Uint8Array {
  return concatBytes(encodeProposalBody(p), new Writer().fixed(p.signature, SIGNATURE_SIZE, 'signature').finish());
}

export function decodeProposal(bytes: Uint8Array): Proposal {
  return decodeExact(bytes, 'proposal', (r) => {
    const chainId = readChainId(r);
    const height = r.u64('height');
    const round = r.u32('round');
    const blockHash = r.fixed(32, 'blockHash');
    const validRound = r.u32('validRound');
    if (validRound !== NO_ROUND && validRound >= round) {
      throw new DecodeError('validRound', `${validRound} must be below round ${round} or ${NO_ROUND} for none`);
    }
    return { chainId, height, round, blockHash, validRound, proposerIndex: r.u16('proposerIndex'), signature: r.fixed(SIGNATURE_SIZE, 'signature') };
  });
}

export function signProposal(p: UnsignedProposal, secretKey: Uint8Array, deterministic = false): Proposal {
  return { ...p, signature: sign(TAGS.proposal, p.chainId, encodeProposalBody(p), secretKey, deterministic) };
}

export function checkProposal(p: Proposal, chainId: string, set: ValidatorSet): string | undefined {
  if (p.chainId !== chainId) return `chain id is "${p.chainId}", this chain is "${chainId}"`;
  const validator = set.validators[p.proposerIndex];
  if (!validator) return `proposer index ${p.proposerIndex} is not in the validator set of ${set.validators.length}`;
  if (!verify(TAGS.proposal, p.chainId, encodeProposalBody(p), p.signature, validator.publicKey)) {
    return `signature of proposer ${p.proposerIndex} does not verify`;
  }
  return undefined;
}
