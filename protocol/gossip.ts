// Gossip envelopes (docs/gossip.md). Consensus messages travel with the time they were sent,
// outside anything signed: a re-broadcast of the same signed vote is then a new gossip message
// (gossipsub drops exact repeats for minutes), which is how a validator that restarted or
// missed a message gets the votes it needs. Receivers ignore the time except for logging.
import { COMPACT_BLOCK_SIZE_MAX } from './block.ts';
import { decodeExact, Writer } from './encoding.ts';

/**
 * A proposal is useless without its block, so they travel together: the block as a compact
 * block (docs/block.md), whose transactions the receivers already hold or ask peers for.
 */
export const PROPOSAL_SIZE_MAX = 4 + 64 + 8 + 4 + 32 + 4 + 2 + 3309;
export const VOTE_SIZE_MAX = 4 + 64 + 1 + 8 + 4 + 32 + 2 + 3309;

export interface ProposalEnvelope {
  proposal: Uint8Array;
  /** The encoded compact block (docs/block.md, "Compact blocks"). */
  compactBlock: Uint8Array;
  sentAtMs: bigint;
}

export function encodeProposalEnvelope(e: ProposalEnvelope): Uint8Array {
  return new Writer().bytes(e.proposal, PROPOSAL_SIZE_MAX, 'proposal').bytes(e.compactBlock, COMPACT_BLOCK_SIZE_MAX, 'compactBlock').u64(e.sentAtMs, 'sentAtMs').finish();
}

export function decodeProposalEnvelope(bytes: Uint8Array): ProposalEnvelope {
  return decodeExact(bytes, 'proposal envelope', (r) => ({ proposal: r.bytes(PROPOSAL_SIZE_MAX, 'proposal'), compactBlock: r.bytes(COMPACT_BLOCK_SIZE_MAX, 'compactBlock'), sentAtMs: r.u64('sentAtMs') }));
}

export interface VoteEnvelope {
  vote: Uint8Array;
  sentAtMs: bigint;
}

export function encodeVoteEnvelope(e: VoteEnvelope): Uint8Array {
  return new Writer().bytes(e.vote, VOTE_SIZE_MAX, 'vote').u64(e.sentAtMs, 'sentAtMs').finish();
}

export function decodeVoteEnvelope(bytes: Uint8Array): VoteEnvelope {
  return decodeExact(bytes, 'vote envelope', (r) => ({ vote: r.bytes(VOTE_SIZE_MAX, 'vote'), sentAtMs: r.u64('sentAtMs') }));
}

