// Equivocation evidence (docs/consensus.md): two votes signed by one validator for the same
// height, round and type but different block hashes. Anyone holding the validator set can
// check it; the two votes are ordered by block hash so the evidence has one encoding.
import { decodeExact, DecodeError } from './encoding.ts';
import { bytesToHex, compareBytes, concatBytes } from './bytes.ts';
import { checkVote, encodeVote, readVote, type Vote } from './vote.ts';
import type { ValidatorSet } from './validators.ts';

export interface DuplicateVoteEvidence {
  voteA: Vote;
  voteB: Vote;
}

/** Orders the pair canonically (voteA has the smaller block hash). */
export function makeEvidence(first: Vote, second: Vote): DuplicateVoteEvidence {
  return compareBytes(first.blockHash, second.blockHash) < 0 ? { voteA: first, voteB: second } : { voteA: second, voteB: first };
}

export function encodeEvidence(e: DuplicateVoteEvidence): Uint8Array {
  return concatBytes(encodeVote(e.voteA), encodeVote(e.voteB));
}

export function decodeEvidence(bytes: Uint8Array): DuplicateVoteEvidence {
  return decodeExact(bytes, 'evidence', (r) => {
    const voteA = readVote(r);
    const voteB = readVote(r);
    if (compareBytes(voteA.blockHash, voteB.blockHash) >= 0) {
      throw new DecodeError('evidence', 'voteA must have the strictly smaller block hash');
    }
    return { voteA, voteB };
  });
}

/** Why this is not valid evidence, or undefined when it proves equivocation. */
export function checkEvidence(e: DuplicateVoteEvidence, chainId: string, set: ValidatorSet): string | undefined {
  const { voteA: a, voteB: b } = e;
  if (a.validatorIndex !== b.validatorIndex) return 'the two votes are from different validators';
  if (a.height !== b.height || a.round !== b.round || a.type !== b.type) return 'the two votes differ in height, round or type';
  if (compareBytes(a.blockHash, b.blockHash) >= 0) return 'voteA must have the strictly smaller block hash';
  return checkVote(a, chainId, set) ?? checkVote(b, chainId, set);
}

export function evidenceKey(e: DuplicateVoteEvidence): string {
  return `${e.voteA.validatorIndex}/${e.voteA.height}/${e.voteA.round}/${e.voteA.type}/${bytesToHex(e.voteA.blockHash)}/${bytesToHex(e.voteB.blockHash)}`;
}
