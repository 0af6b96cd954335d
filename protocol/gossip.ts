// Gossip envelopes (docs/gossip.md). Consensus messages travel with the time they were sent,
// outside anything signed: a re-broadcast of the same signed vote is then a new gossip message
// (gossipsub drops exact repeats for minutes), which is how a validator that restarted or
// missed a message gets the votes it needs. Receivers ignore the time except for logging.
// Transactions travel as lists: what a node admits together goes out as one message.
import { COMPACT_BLOCK_SIZE_MAX } from './block.ts';
import { DecodeError, decodeExact, Reader, Writer } from './encoding.ts';
import { TX_SIZE_MAX } from './tx-common.ts';

/**
 * Transactions in one tx gossip message at most. Each costs an outsider one message of its
 * rate budget (docs/gossip.md), so a list buys it nothing.
 */
export const TX_LIST_COUNT_MAX = 64;

/** `list(bytes(tx))`: 1 to TX_LIST_COUNT_MAX signed transactions (docs/gossip.md, topic tx/2). */
export function encodeTxList(txs: readonly Uint8Array[]): Uint8Array {
  if (txs.length === 0) throw new RangeError('txs: a transaction list holds at least one transaction');
  return new Writer().list(txs, TX_LIST_COUNT_MAX, 'txs', (w, tx) => w.bytes(tx, TX_SIZE_MAX, 'tx')).finish();
}

export function decodeTxList(bytes: Uint8Array): Uint8Array[] {
  return decodeExact(bytes, 'transaction list', (r) => {
    const txs = r.list(TX_LIST_COUNT_MAX, 'txs', (rr) => rr.bytes(TX_SIZE_MAX, 'tx'));
    if (txs.length === 0) throw new DecodeError('txs', 'a transaction list holds at least one transaction');
    return txs;
  });
}

/**
 * What a tx gossip message costs an outsider's rate budget before it is decoded: its count
 * prefix, at least 1 and at most TX_LIST_COUNT_MAX (a larger count fails decoding anyway).
 */
export function txListCost(bytes: Uint8Array): number {
  if (bytes.length < 4) return 1;
  const count = new Reader(bytes).u32('txs');
  return Math.min(Math.max(count, 1), TX_LIST_COUNT_MAX);
}

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

