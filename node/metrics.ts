// The node's Prometheus metrics (docs/metrics.md), through prom-client on a registry of its
// own. Every series has HELP and TYPE and is exported from the first scrape: counters start
// at zero, gauges read their value from the node when scraped (so a restarted node reports
// its real height, mempool and anchor state at once, not zero until the next event).
// Names follow Prometheus conventions: `pantheon_` prefix, base units last (`_seconds`,
// `_bytes`, `_satoshis`), `_total` on counters.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AnchorFigures } from '../anchor/node/anchorer.ts';

export type { AnchorFigures };

/** Live figures the gauges read at scrape time. Every function must be cheap and must not throw. */
export interface MetricSources {
  chainHeight(): number;
  consensusHeight(): number;
  consensusRound(): number;
  peers(): number;
  /** Gossip messages received again after their first copy, since the process started. */
  gossipDuplicatesReceived(): number;
  mempoolTransactions(): number;
  mempoolBytes(): number;
  commitmentLogLeaves(): number;
  syncBestPeerHeight(): number;
  /** Highest Pantheon height covered by a committed anchor attestation (0: none yet). */
  attestedHeight(): Promise<number>;
  /** This node's anchorer, when it anchors. */
  anchor(): AnchorFigures | undefined;
}

/** Seconds; finality on the devnet takes about a block interval (1 s), so buckets span 50 ms to 2 min. */
const LATENCY_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 20, 30, 60, 120];
/** Seconds to apply and store one block (state, commitment log, fsync). */
const COMMIT_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Transactions whose submission time is remembered; the oldest are forgotten beyond it (the mempool holds at most 20,000). */
const PENDING_SUBMISSIONS_MAX = 20_000;

export class NodeMetrics {
  readonly registry = new Registry();
  private sources: MetricSources | undefined;
  private readonly submittedAtMs = new Map<string, number>();

  // Counters. Other modules count through the methods below, one line each.
  readonly transactionsAdmitted: Counter;
  readonly transactionsCommitted: Counter;
  readonly blocksCommitted: Counter;
  readonly gossipRejected: Counter;
  /** Issue 23: the privval-style signer refused to sign (it would have gone backwards). */
  readonly signerRefusals: Counter;
  /** Issue 22: a peer's gossipsub score fell (a penalty was applied). */
  readonly peerScoreDrops: Counter;
  readonly clientDisconnects: Counter;

  // Histograms.
  readonly submitToFinalSeconds: Histogram;
  readonly blockIntervalSeconds: Histogram;
  readonly blockCommitSeconds: Histogram;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const counter = (name: string, help: string) => new Counter({ name, help, registers });
    this.transactionsAdmitted = counter('pantheon_transactions_admitted_total', 'Transactions admitted to the mempool (HTTP, gossip, or the reload at start).');
    this.transactionsCommitted = counter('pantheon_transactions_committed_total', 'Transactions in blocks this node committed (through consensus or sync).');
    this.blocksCommitted = counter('pantheon_blocks_committed_total', 'Blocks this node committed (through consensus or sync).');
    this.gossipRejected = counter('pantheon_gossip_rejected_total', 'Gossip messages rejected as invalid (the sending peer is penalised).');
    this.signerRefusals = counter('pantheon_signer_refusals_total', 'Signatures the validator signer refused because they would go back in height, round or step.');
    this.peerScoreDrops = counter('pantheon_peer_score_drops_total', 'Penalties applied to a peer\'s gossipsub score.');
    this.clientDisconnects = counter('pantheon_http_client_disconnects_total', 'HTTP requests whose client went away before the answer.');

    const histogram = (name: string, help: string, buckets: number[]) => new Histogram({ name, help, buckets, registers });
    this.submitToFinalSeconds = histogram('pantheon_submit_to_final_seconds', 'From admission of a transaction submitted through this node\'s HTTP API (or signed by it) to the commit of its block here.', LATENCY_BUCKETS_SECONDS);
    this.blockIntervalSeconds = histogram('pantheon_block_interval_seconds', 'Difference between the header times of consecutive committed blocks.', LATENCY_BUCKETS_SECONDS);
    this.blockCommitSeconds = histogram('pantheon_block_commit_seconds', 'Time to apply and durably store one decided block.', COMMIT_BUCKETS_SECONDS);

    const metrics = this;
    const gauge = (name: string, help: string, read: (s: MetricSources) => number | Promise<number>) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set(metrics.sources ? await read(metrics.sources) : 0);
        },
      });
    gauge('pantheon_chain_height', 'Height of the newest committed block.', (s) => s.chainHeight());
    gauge('pantheon_consensus_height', 'Height consensus is deciding.', (s) => s.consensusHeight());
    gauge('pantheon_consensus_round', 'Round of the height consensus is deciding (above 0: rounds failed).', (s) => s.consensusRound());
    gauge('pantheon_peers', 'Connected libp2p peers.', (s) => s.peers());
    gauge('pantheon_mempool_transactions', 'Transactions waiting in the mempool.', (s) => s.mempoolTransactions());
    gauge('pantheon_mempool_bytes', 'Encoded size of the transactions in the mempool.', (s) => s.mempoolBytes());
    gauge('pantheon_commitment_log_leaves', 'Leaves in the commitment log.', (s) => s.commitmentLogLeaves());
    gauge('pantheon_sync_best_peer_height', 'Highest height a peer has claimed (0: none yet).', (s) => s.syncBestPeerHeight());
    gauge('pantheon_anchor_attested_height', 'Highest Pantheon height covered by a committed anchor attestation (0: none).', (s) => s.attestedHeight().catch(() => 0));
    const anchor = (read: (a: AnchorFigures) => number) => (s: MetricSources) => {
      const a = s.anchor();
      return a ? read(a) : 0;
    };
    gauge('pantheon_anchor_enabled', '1 when this node anchors into Bitcoin, else 0 (then every other pantheon_anchor_ figure but the attested height is 0).', anchor(() => 1));
    gauge('pantheon_anchor_height', 'Pantheon height in the newest anchor found in a block of the best Bitcoin chain (0: none).', anchor((a) => a.anchoredHeight));
    gauge('pantheon_anchor_confirmations', 'Bitcoin confirmations of that anchor (0: none).', anchor((a) => a.confirmations));
    gauge('pantheon_anchor_fee_satoshis', 'Fee of the newest anchor transaction signed.', anchor((a) => a.feeSat));
    gauge('pantheon_anchor_vbytes', 'Virtual size of the newest anchor transaction signed.', anchor((a) => a.vbytes));
    gauge('pantheon_anchor_wallet_balance_satoshis', 'Value of the unspent outputs the anchor wallet has seen in blocks (immature coinbases included).', anchor((a) => a.walletBalanceSat));
    gauge('pantheon_anchor_unconfirmed_transactions', 'Anchor transactions signed and not yet in a block.', anchor((a) => a.unconfirmed));
    // Monotone within the process, kept by the network or the anchorer; copied here at scrape time.
    const sourceCounter = (name: string, help: string, read: (s: MetricSources) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          if (metrics.sources) this.inc(read(metrics.sources));
        },
      });
    sourceCounter('pantheon_gossip_duplicates_received_total', 'Gossip messages received again after their first copy (dropped unread: a wasted transfer).', (s) => s.gossipDuplicatesReceived());
    sourceCounter('pantheon_anchor_transactions_sent_total', 'New anchor transactions broadcast since the process started.', anchor((a) => a.anchorsSent));
    sourceCounter('pantheon_anchor_rbf_bumps_total', 'BIP 125 fee bumps (replacements) of an anchor broadcast since the process started.', anchor((a) => a.rbfBumps));
  }

  /** Connects the gauges to the running node. */
  observe(sources: MetricSources): void {
    this.sources = sources;
  }

  /** The Prometheus text exposition and its content type. */
  async render(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  /** A transaction was submitted here: its finality latency is measured from now. */
  markSubmitted(txId: string, nowMs = Date.now()): void {
    if (this.submittedAtMs.size >= PENDING_SUBMISSIONS_MAX) this.submittedAtMs.delete(this.submittedAtMs.keys().next().value!);
    this.submittedAtMs.set(txId, nowMs);
  }

  /** A block was committed here; `blockTimeMs`/`previousBlockTimeMs` are header times. */
  markCommitted(txIds: readonly string[], blockTimeMs: number, previousBlockTimeMs: number | undefined, nowMs = Date.now()): void {
    this.blocksCommitted.inc();
    this.transactionsCommitted.inc(txIds.length);
    if (previousBlockTimeMs !== undefined && blockTimeMs >= previousBlockTimeMs) this.blockIntervalSeconds.observe((blockTimeMs - previousBlockTimeMs) / 1000);
    for (const id of txIds) {
      const at = this.submittedAtMs.get(id);
      if (at === undefined) continue;
      this.submittedAtMs.delete(id);
      this.submitToFinalSeconds.observe(Math.max(0, nowMs - at) / 1000);
    }
  }

  countSignerRefusal(): void {
    this.signerRefusals.inc();
  }

  countPeerScoreDrop(): void {
    this.peerScoreDrops.inc();
  }
}
