// The gossip checks (docs/gossip.md): every message from the network is decoded and checked
// (size, chain id, signature, height) before it is forwarded or used. A bad one is rejected
// (the peer's score drops, counted and logged), a stale or duplicate one ignored quietly, a
// useless one costs the sender a little; what passes goes to admission (transactions), the
// consensus driver (votes, proposals with their block, evidence) or wakes the syncer. A
// proposal's block comes compact and is rebuilt here, its missing transactions fetched.
import { blockHash, checkCompactBlockBody, decodeCompactBlock, rebuildBlock } from '../protocol/block.ts';
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';
import { checkEvidence, decodeEvidence, evidenceKey } from '../protocol/evidence.ts';
import { decodeProposalEnvelope, decodeTxList, decodeVoteEnvelope } from '../protocol/gossip.ts';
import { sha256 } from '../protocol/hash.ts';
import { checkProposal, checkVote, decodeProposal, decodeVote } from '../protocol/vote.ts';
import type { Chain } from './chain.ts';
import type { ConsensusDriver } from './consensus-driver.ts';
import type { Logger } from './log.ts';
import type { NodeMetrics } from './metrics.ts';
import type { Network, Verdict } from './p2p/index.ts';
import type { NodeStore } from './store.ts';
import type { Syncer } from './syncer.ts';

/** Signed votes already verified, remembered so a re-broadcast costs a hash, not a signature check. */
const SEEN_VOTES_MAX = 10_000;

export interface GossipChecksOptions {
  /** Receiving is the one thing asked of the network here (the simulator hands in its own). */
  network: Pick<Network, 'setHandler' | 'requestSync' | 'peers'>;
  chain: Chain;
  store: Pick<NodeStore, 'hasEvidence'>;
  driver: ConsensusDriver;
  syncer: Syncer;
  metrics: Pick<NodeMetrics, 'gossipRejected'>;
  log: Logger;
  /** Admission of a transaction (the node's, shared with HTTP); gossip neither persists nor re-gossips. */
  admit: (bytes: Uint8Array, options: { persist: boolean; gossip: boolean }) => Promise<{ ok: true } | { ok: false; error: string; invalid?: boolean }>;
}

/** How long a peer has to send the transactions of a compact block we lack. */
const FETCH_TXS_TIMEOUT_MS = 5_000;
/**
 * Hashes per 'txs' request: SYNC_TXS_MAX of node/p2p/rules/sync-codec.ts (the replica reaches
 * the network only through its ports, so it does not import the codec; test/p2p-units.test.ts
 * checks the two agree).
 */
export const FETCH_TXS_PER_REQUEST = 1024;
/** Peers asked in turn for them: the sender, then the proposer and other validators. */
const FETCH_PEERS_MAX = 3;

/**
 * Asks `peer` for transactions by tx leaf hash (sync kind 'txs', docs/sync.md), in chunks of
 * FETCH_TXS_PER_REQUEST; the answers by leaf hash (hex), unchecked: rebuildBlock checks each against its hash.
 */
async function fetchTxs(network: Pick<Network, 'requestSync'>, peer: string, leafHashes: Uint8Array[]): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (let at = 0; at < leafHashes.length; at += FETCH_TXS_PER_REQUEST) {
    const chunk = leafHashes.slice(at, at + FETCH_TXS_PER_REQUEST);
    const r = await network.requestSync(peer, { kind: 'txs', txLeafHashes: chunk }, FETCH_TXS_TIMEOUT_MS).catch(() => undefined);
    if (r?.kind !== 'txs' || r.txs.length !== chunk.length) return out;
    chunk.forEach((h, i) => r.txs[i].length > 0 && out.set(bytesToHex(h), r.txs[i]));
  }
  return out;
}

/** Installs the handler of each gossip topic on the network. */
export function attachGossipChecks(o: GossipChecksOptions): void {
  const { network, chain, store, driver, syncer, metrics, log } = o;
  const seenVotes = new Set<string>();
  const verdict = (name: string, v: Verdict, from: string, why?: string): Verdict => {
    if (v === 'reject') {
      metrics.gossipRejected.inc();
      log('warn', `rejected ${name} from peer`, { peer: from, error: why });
    }
    return v;
  };

  network.setHandler('tx', async (data, from) => {
    let txs: Uint8Array[];
    try {
      txs = decodeTxList(data);
    } catch (err) {
      return verdict('transaction list', 'reject', from, (err as Error).message);
    }
    // Each transaction on its own: one we hold already or cannot use does not spoil the others,
    // but an invalid one (malformed, bad signature) condemns the message: no honest node sends it.
    let admitted = 0;
    let full = false;
    let refused = '';
    for (const tx of txs) {
      const r = await o.admit(tx, { persist: false, gossip: false });
      if (r.ok) admitted++;
      else if (r.invalid) return verdict('transaction', 'reject', from, r.error);
      else {
        full ||= r.error.startsWith('mempool is full');
        refused ||= r.error;
      }
    }
    if (admitted > 0) return 'accept';
    // Our mempool being full is not the sender's fault; anything else it sent was of no use.
    return { verdict: full ? 'ignore' : 'useless', reason: `transaction: ${refused}` };
  });

  network.setHandler('vote', (data, from) => {
    let vote;
    let voteBytes;
    try {
      voteBytes = decodeVoteEnvelope(data).vote;
      vote = decodeVote(voteBytes);
    } catch (err) {
      return verdict('vote', 'reject', from, (err as Error).message);
    }
    // A vote for the height just committed is normal lateness; older ones are useless traffic.
    if (vote.height < chain.height) return { verdict: 'useless', reason: `vote for height ${vote.height}, committed long ago` };
    if (vote.height === chain.height) return { verdict: 'ignore', reason: 'vote for the height just committed' };
    // Keyed by the whole signed vote as received (no re-encoding): a copy with another
    // signature, or other bytes for the same vote, is checked on its own.
    const key = bytesToHex(sha256(voteBytes));
    if (seenVotes.has(key)) {
      // Already verified: pass it on again (a re-broadcast helps peers that missed it), and
      // hand it to consensus again: a copy that arrived while this node was syncing (or
      // before it restarted its height) was dropped there, and without it a height with one
      // validator down never gathers 2/3 (the vote keeper ignores duplicates).
      driver.input({ kind: 'vote', vote });
      return 'accept';
    }
    const bad = checkVote(vote, chain.chainId, chain.validators);
    if (bad) return verdict('vote', 'reject', from, bad);
    if (seenVotes.size >= SEEN_VOTES_MAX) seenVotes.clear();
    seenVotes.add(key);
    if (vote.height > chain.height + 1n) syncer.poke();
    driver.input({ kind: 'vote', vote });
    return 'accept';
  });

  network.setHandler('proposal', async (data, from) => {
    let proposal;
    let compact;
    try {
      const envelope = decodeProposalEnvelope(data);
      proposal = decodeProposal(envelope.proposal);
      compact = decodeCompactBlock(envelope.compactBlock);
    } catch (err) {
      return verdict('proposal', 'reject', from, (err as Error).message);
    }
    if (proposal.height < chain.height) return { verdict: 'useless', reason: `proposal for height ${proposal.height}, committed long ago` };
    if (proposal.height === chain.height) return { verdict: 'ignore', reason: 'proposal for the height just committed' };
    const bad = checkProposal(proposal, chain.chainId, chain.validators);
    if (bad) return verdict('proposal', 'reject', from, bad);
    if (!equalBytes(blockHash(compact.header), proposal.blockHash)) return verdict('proposal', 'reject', from, 'the block does not hash to the proposal block hash');
    const badBody = checkCompactBlockBody(compact);
    if (badBody) return verdict('proposal', 'reject', from, `the block body does not match its header: ${badBody}`);
    // Rebuilt from the transactions at hand; the ones missing are asked of the peer that sent
    // it, which forwarded it only after rebuilding it (so it holds them all).
    let rebuilt = rebuildBlock(compact, (h) => driver.txByLeafHash(h));
    if ('missing' in rebuilt) {
      const asked = rebuilt.missing.length;
      // The sender first; if it cannot (or will not) supply them, the proposer and then other
      // validators: gossipsub drops later copies of a message it has seen, so an outsider that
      // relays a proposal first and then withholds its transactions must not cost us the proposal.
      const fetched = new Map<string, Uint8Array>();
      const proposerIndex = proposal.proposerIndex;
      const others = o.network
        .peers()
        .filter((p) => p.peerId !== from && p.validatorIndex !== null)
        .sort((a, b) => Number(b.validatorIndex === proposerIndex) - Number(a.validatorIndex === proposerIndex))
        .map((p) => p.peerId);
      for (const peer of [from, ...others].slice(0, FETCH_PEERS_MAX)) {
        const missing = rebuilt.missing.map((i) => compact.txLeafHashes[i]);
        for (const [h, tx] of await fetchTxs(o.network, peer, missing)) fetched.set(h, tx);
        // Only the still-missing ones are looked up (and hashed) again.
        rebuilt = rebuildBlock(compact, (h) => driver.txByLeafHash(h) ?? fetched.get(h), rebuilt);
        if (!('missing' in rebuilt)) break;
      }
      if ('missing' in rebuilt) {
        log('warn', 'proposal dropped: transactions missing', { height: proposal.height, round: proposal.round, peer: from, missing: rebuilt.missing.length, txs: compact.txLeafHashes.length });
        return { verdict: 'ignore', reason: `proposal: ${rebuilt.missing.length} of its ${compact.txLeafHashes.length} transactions are neither at hand nor sent by the peer` };
      }
      log('info', 'fetched the missing transactions of a proposal', { height: proposal.height, round: proposal.round, peer: from, fetched: asked, txs: compact.txLeafHashes.length });
    }
    if (proposal.height > chain.height + 1n) syncer.poke();
    driver.offerBlock(rebuilt.block, rebuilt.txLeafHashes);
    driver.input({ kind: 'proposal', proposal });
    return 'accept';
  });

  network.setHandler('evidence', async (data, from) => {
    try {
      const e = decodeEvidence(data);
      const bad = checkEvidence(e, chain.chainId, chain.validators);
      if (bad) return verdict('evidence', 'reject', from, bad);
      // Committed evidence never goes into a block again: pooled, it would keep every height busy.
      const key = evidenceKey(e);
      if (await store.hasEvidence(key)) return { verdict: 'ignore', reason: 'evidence already committed' };
      return driver.addEvidence(key, data) ? 'accept' : { verdict: 'ignore', reason: 'evidence already known, or the evidence pool is full' };
    } catch (err) {
      return verdict('evidence', 'reject', from, (err as Error).message);
    }
  });
}
