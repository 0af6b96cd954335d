// Block sync: a node that is behind (new, restarted, or partitioned) asks peers for their
// height and fetches the blocks it lacks, checking each block's commit certificate against
// the genesis validator set and re-executing it before committing. Progress is logged and
// shown in /v1/status. Part of the replica (docs/replica.md): it reaches peers and time only
// through its ports (node/ports.ts).
import { blockHash, decodeBlock, type Block } from '../protocol/block.ts';
import { bytesToHex } from '../protocol/bytes.ts';
import { decodeCertificate, verifyCertificate } from '../protocol/certificate.ts';
import type { Chain } from './chain.ts';
import type { ConsensusDriver } from './consensus-driver.ts';
import type { Logger } from './log.ts';
import { every, type Clock, type ReplicaNetwork } from './ports.ts';

const BLOCKS_PER_REQUEST = 16;
const REQUEST_TIMEOUT_MS = 10_000;
/** A sync over more blocks than this is logged at info; a shorter one (a missed commit or two) at debug. */
const SYNC_GAP_LOGGED_BLOCKS = 10;

export interface SyncProgress {
  syncing: boolean;
  bestPeerHeight: bigint;
  blocksFetched: number;
}

export class Syncer {
  readonly progress: SyncProgress = { syncing: false, bestPeerHeight: 0n, blocksFetched: 0 };
  private stopTicks: (() => void) | undefined;
  private running = false;
  private stopped = false;

  constructor(
    private readonly chain: Chain,
    private readonly driver: ConsensusDriver,
    private readonly network: ReplicaNetwork,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly onCommitted: (block: Block, hashHex: string, txIds: readonly string[], evidenceKeys: readonly string[]) => void,
  ) {}

  start(): void {
    this.network.serveSync(async (request) => {
      if (request.kind === 'status') return { kind: 'status', height: this.chain.height };
      // A compact block's transactions a peer lacks: from our mempool or the proposals we hold.
      if (request.kind === 'txs') return { kind: 'txs', txs: request.txLeafHashes.map((h) => this.driver.txByLeafHash(bytesToHex(h)) ?? new Uint8Array(0)) };
      const blocks: { block: Uint8Array; certificate: Uint8Array }[] = [];
      const last = request.fromHeight + BigInt(Math.min(request.maxBlocks, BLOCKS_PER_REQUEST)) - 1n;
      for (let h = request.fromHeight; h <= last && h <= this.chain.height; h++) {
        const block = await this.chain.storedBlock(h);
        const certificate = await this.chain.storedCertificate(h);
        if (!block || !certificate) break;
        blocks.push({ block, certificate });
      }
      return { kind: 'blocks', blocks };
    });
    this.stopTicks = every(this.clock, this.intervalMs, () => this.poke());
  }

  stop(): void {
    this.stopped = true;
    this.stopTicks?.();
  }

  /** Check peers now (also called when a message shows that we are behind). */
  poke(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.round()
      .catch((err) => this.log('warn', 'sync round failed', { error: (err as Error).message }))
      .finally(() => {
        this.running = false;
      });
  }

  private async round(): Promise<void> {
    const claims: { peerId: string; height: bigint }[] = [];
    for (const peer of this.network.peers()) {
      try {
        const r = await this.network.requestSync(peer.peerId, { kind: 'status' }, REQUEST_TIMEOUT_MS);
        if (r.kind === 'status') claims.push({ peerId: peer.peerId, height: r.height });
      } catch {
        // an unreachable peer is skipped; the next round tries again
      }
    }
    // Highest claim first, but a peer that claims much and serves nothing only costs one
    // request: the next peer is asked, so one liar cannot keep this node behind.
    claims.sort((a, b) => (a.height > b.height ? -1 : a.height < b.height ? 1 : 0));
    this.progress.bestPeerHeight = claims[0]?.height ?? this.progress.bestPeerHeight;
    for (const claim of claims) {
      if (this.stopped || claim.height <= this.chain.height) break;
      this.progress.syncing = true;
      // A node a few blocks behind (it missed one commit) catches up as routine: debug.
      const level = claim.height - this.chain.height > SYNC_GAP_LOGGED_BLOCKS ? 'info' : 'debug';
      this.log(level, 'syncing', { from: this.chain.height + 1n, to: claim.height, peer: claim.peerId });
      while (!this.stopped && this.chain.height < claim.height) {
        const r = await this.network.requestSync(claim.peerId, { kind: 'blocks', fromHeight: this.chain.height + 1n, maxBlocks: BLOCKS_PER_REQUEST }, REQUEST_TIMEOUT_MS).catch(() => undefined);
        if (r?.kind !== 'blocks' || r.blocks.length === 0) break;
        const committed = await this.driver.exclusive(() => this.commitAll(r.blocks, claim.peerId));
        if (committed === 0) break;
        this.log(level, 'sync progress', { height: this.chain.height, target: claim.height, peer: claim.peerId });
      }
    }
    this.progress.syncing = claims.some((c) => c.height > this.chain.height);
  }

  /** Verifies and commits fetched blocks in order; stops at the first bad one. Runs on the consensus queue. */
  private async commitAll(blocks: { block: Uint8Array; certificate: Uint8Array }[], peerId: string): Promise<number> {
    let committed = 0;
    for (const item of blocks) {
      let error: string | undefined;
      try {
        const block = decodeBlock(item.block);
        if (block.header.height !== this.chain.height + 1n) continue; // consensus got there first
        const hash = blockHash(block.header);
        const check = verifyCertificate(decodeCertificate(item.certificate), { chainId: this.chain.chainId, height: block.header.height, blockHash: hash }, this.chain.validators);
        if (!check.ok) error = `certificate: ${check.error}`;
        else error = await this.chain.validateBlock(block);
        if (!error) {
          const run = await this.chain.commit(block, item.certificate);
          committed++;
          this.progress.blocksFetched++;
          this.onCommitted(block, run.hashHex, run.txIds, run.evidenceKeys);
        }
      } catch (err) {
        error = (err as Error).message;
      }
      if (error) {
        this.log('warn', 'peer sent a block that does not verify', { peer: peerId, height: this.chain.height + 1n, error });
        break;
      }
    }
    if (committed > 0) await this.driver.restartAtChainHeight();
    return committed;
  }
}
