// The thin I/O shell around the pure consensus core: it feeds inputs to `step` one at a time
// and performs the effects it returns. The sign record is fsync'd before any signature leaves
// (persistSignState always precedes the sign effect), and the signer (signer.ts) checks it
// again on its own and refuses what the record does not cover; our own proposed blocks are stored
// before their proposal is signed, and a block we lock on before the record that locks us on it
// (so a restarted validator can send the same proposal again, or propose its locked block),
// and every chain mutation runs on the same serial queue as the core's inputs. It reaches the
// world only through its ports (node/ports.ts, docs/replica.md): clock and timers, network,
// block store, and the signer over the sign-state store.
import { createConsensusState, makeProposerRotation, step, votesFor, type ConsensusEffect, type ConsensusInput, type ConsensusState, type SignRecord } from '../consensus/index.ts';
import { blockHash, decodeBlock, encodeBlock, encodeCompactBlock, txLeafHash, type Block } from '../protocol/block.ts';
import { bytesToHex } from '../protocol/bytes.ts';
import { encodeCertificate } from '../protocol/certificate.ts';
import { encodeEvidence, evidenceKey } from '../protocol/evidence.ts';
import { encodeProposalEnvelope, encodeVoteEnvelope } from '../protocol/gossip.ts';
import { encodeProposal, encodeVote, NO_ROUND } from '../protocol/vote.ts';
import { decodeTx, txId, txSender } from '../protocol/tx.ts';
import type { Chain } from './chain.ts';
import type { Logger } from './log.ts';
import type { Mempool } from './mempool.ts';
import { every, type BlockStore, type Clock, type ReplicaNetwork, type TimerHandle } from './ports.ts';
import type { GuardedSigner } from './signer.ts';

const PENDING_BLOCKS_MAX = 64;
const EVIDENCE_POOL_MAX = 256;

/** Empty blocks are the idle chain's heartbeat: logged at debug, so idle logs stay quiet. */
function isEmptyBlock(block: Block): boolean {
  return block.txs.length === 0 && block.evidence.length === 0;
}

export interface DriverOptions {
  chain: Chain;
  store: BlockStore;
  network: ReplicaNetwork;
  clock: Clock;
  mempool: Mempool;
  log: Logger;
  /** This validator's index in the genesis set and its signer; absent on a full node. */
  validator?: { index: number; signer: GuardedSigner };
  /** How often our latest messages of a stuck height are sent again. */
  rebroadcastMs: number;
  onCommitted: (block: Block, hashHex: string, txIds: readonly string[], evidenceKeys: readonly string[]) => void;
  /** Called when a decided block is not at hand: the syncer fetches it from peers. */
  onMissingBlock: () => void;
  /** A mempool transaction that a block can never include (refused by the state rules): forget it. */
  onUnincludable?: (txIdHex: string, error: string) => void;
  /** TEST ONLY (the simulator's teeth, docs/replica.md): reintroduce a fixed ordering bug. Never set by the node. */
  unsafeReintroduce?: ReintroducedBug;
}

/**
 * Ordering bugs the simulator must find (test/replica-sim.test.ts):
 * - 'sign-records-out-of-order' (fixed in 9c8bb5c): the restart after sync does not wait for
 *   its effects, and the sign record is written as it was then, behind the signature
 *   (node/replica.ts, unsafeWriteBehind): a crash can lose a record whose signature left;
 * - 'proposed-block-unstored' (fixed in f8c9e2a): only a block we built is stored, when built,
 *   and a re-proposed valid block is signed without being on disk;
 * - 'locked-block-unstored' (fixed with storeLockedBlock): a block we lock on is not stored, so
 *   a restarted validator locked on it can neither propose it again nor prevote anything else;
 * - 'half-quorum' (a broken core, not an ordering bug): the core counts more than 1/2 of the
 *   power as a quorum instead of more than 2/3 (consensus/ UnsafeTestVariants.halfQuorum).
 */
export type ReintroducedBug = 'sign-records-out-of-order' | 'proposed-block-unstored' | 'locked-block-unstored' | 'half-quorum';

interface PendingBlock {
  block: Block;
  /** The leaf hash of each transaction in the block's tx tree (docs/block.md), in order. */
  txLeafHashes: Uint8Array[];
}

export class ConsensusDriver {
  private state: ConsensusState;
  private queue: Promise<void> = Promise.resolve();
  private readonly timers = new Set<TimerHandle>();
  /** Blocks at hand by hash (hex), each with its transactions' leaf hashes (hashed once). */
  private readonly pendingBlocks = new Map<string, PendingBlock>();
  /** The transactions of the pending blocks by tx leaf hash (hex), served to peers rebuilding a compact block. */
  private readonly pendingTxs = new Map<string, Uint8Array>();
  readonly evidencePool = new Map<string, Uint8Array>();
  /** Our latest proposal and votes of the current height, sent again while the height is stuck. */
  private lastSent = new Map<string, { topic: 'proposal' | 'vote'; make: () => Uint8Array }>();
  private stopRebroadcast: (() => void) | undefined;
  private stopped = false;
  private lastRebroadcastHeight = -1n;
  /** The height whose round 0 waits for something to finalise (the core's waitForTxs), if any. */
  private waitingHeight: bigint | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  /** `height/blockHash` of the blocks this process put on disk (proposed or locked on): each once. */
  private readonly blocksStored = new Set<string>();
  /** Blocks of this height found valid (hash hex): kept at hand before any other (offerBlock). */
  private readonly validBlocks = new Set<string>();

  constructor(private readonly o: DriverOptions) {
    this.state = this.freshState(undefined);
  }

  private freshState(lastSign: SignRecord | undefined): ConsensusState {
    const { chain, validator } = this.o;
    const g = chain.genesis.params;
    return createConsensusState(
      {
        chainId: chain.chainId,
        validators: chain.validators,
        rotation: makeProposerRotation(chain.validators),
        myIndex: validator?.index,
        timeouts: { timeoutProposeMs: g.timeoutProposeMs, timeoutPrevoteMs: g.timeoutPrevoteMs, timeoutPrecommitMs: g.timeoutPrecommitMs, timeoutDeltaMs: g.timeoutDeltaMs },
        unsafe: this.o.unsafeReintroduce === 'half-quorum' ? { halfQuorum: true } : undefined,
      },
      { height: chain.height + 1n, lastSign },
    );
  }

  get height(): bigint {
    return this.state.height;
  }

  get round(): number {
    return this.state.round;
  }

  get step(): string {
    return this.state.step;
  }

  async start(): Promise<void> {
    const saved = this.o.validator?.signer.record;
    this.state = this.freshState(saved);
    if (saved) this.o.log('info', 'resuming from the last-sign record', { height: this.state.lastSign?.height, round: this.state.lastSign?.round, step: this.state.lastSign?.step });
    this.input(this.startHeightInput(this.o.chain.height + 1n));
    this.stopRebroadcast = every(this.o.clock, this.o.rebroadcastMs, () => this.rebroadcast());
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    this.stopWaiting();
    this.stopRebroadcast?.();
    return this.queue;
  }

  /** Runs `fn` on the serial queue, after every input queued before it. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  input(input: ConsensusInput): void {
    if (this.stopped) return;
    // A validator that votes at the height we wait in had something to finalise: a
    // transaction we never received (lost gossip, or we restarted) is still one to finalise.
    // Without this a height whose proposer lacks it stalls until the heartbeat (seen in the
    // throughput bench under load: 2 minutes, four validators, 15 transactions at one node).
    if (input.kind === 'vote' && this.waitingHeight !== undefined && input.vote.height === this.waitingHeight) this.endWait(this.waitingHeight);
    void this.exclusive(() => this.handle(input)).catch((err) => this.o.log('error', 'consensus input failed', { input: input.kind, error: (err as Error).stack }));
  }

  /**
   * A block that arrived with a proposal (or one we built); kept until its height is decided.
   * `txLeafHashes`, when the caller has them (a rebuilt compact block), saves hashing each
   * transaction again; they must be the block's own.
   */
  offerBlock(block: Block, txLeafHashes?: Uint8Array[]): void {
    const key = bytesToHex(blockHash(block.header));
    if (this.pendingBlocks.has(key)) return; // the first copy stays; its body was checked against the header
    if (this.pendingBlocks.size >= PENDING_BLOCKS_MAX) {
      // The oldest block not found valid at this height goes: a valid one may be locked on
      // next, and must still be at hand to be stored then (storeLockedBlock). The core asks
      // about a bounded number of proposals (the rotation's proposer, a few rounds ahead), so
      // proposals flooded in by a Byzantine validator are the ones evicted.
      const evicted = [...this.pendingBlocks.keys()].find((k) => !this.validBlocks.has(k)) ?? this.pendingBlocks.keys().next().value!;
      this.pendingBlocks.delete(evicted);
      this.pendingTxs.clear();
      for (const p of this.pendingBlocks.values()) this.indexPendingTxs(p);
    }
    const pending = { block, txLeafHashes: txLeafHashes ?? block.txs.map((tx) => txLeafHash(block.header.chainId, tx)) };
    this.pendingBlocks.set(key, pending);
    this.indexPendingTxs(pending);
  }

  private indexPendingTxs({ block, txLeafHashes }: PendingBlock): void {
    block.txs.forEach((tx, i) => this.pendingTxs.set(bytesToHex(txLeafHashes[i]), tx));
  }

  private clearPendingBlocks(): void {
    this.pendingBlocks.clear();
    this.pendingTxs.clear();
    this.blocksStored.clear();
    this.validBlocks.clear();
  }

  /**
   * A transaction by its tx leaf hash (hex), from the mempool or a block at hand: what this
   * node can give a peer that rebuilds a compact block, and what it rebuilds one from.
   */
  txByLeafHash(leafHashHex: string): Uint8Array | undefined {
    return this.o.mempool.byLeafHash(this.o.chain.chainId, leafHashHex) ?? this.pendingTxs.get(leafHashHex);
  }

  addEvidence(key: string, bytes: Uint8Array): boolean {
    if (this.evidencePool.has(key) || this.evidencePool.size >= EVIDENCE_POOL_MAX) return false;
    this.evidencePool.set(key, bytes);
    this.notifyIncludable();
    return true;
  }

  /**
   * After the syncer committed blocks: start consensus again at the new height. Call inside
   * exclusive() and await it, so its effects (a sign-record write among them) finish before
   * the next input runs: sign records must reach the disk in the order they were made.
   */
  async restartAtChainHeight(): Promise<void> {
    this.clearTimers();
    this.stopWaiting();
    this.clearPendingBlocks();
    this.lastSent.clear();
    // Messages for heights above the old one, buffered by the core, are kept: the gossip checks
    // pass a vote to the core once, so one dropped here never comes back (found by the replica
    // simulator, seed 1: a node synced past height 1 lost the height-2 votes it had buffered).
    this.state = { ...this.freshState(this.state.lastSign), future: this.state.future };
    const r = step(this.state, this.startHeightInput(this.o.chain.height + 1n));
    this.state = r.state;
    if (this.o.unsafeReintroduce === 'sign-records-out-of-order') void this.performAll(r.effects);
    else await this.performAll(r.effects);
  }

  /**
   * Every height but the first waits for something to finalise (docs/consensus.md, "Blocks
   * only when there is something to finalise"); block 1 is proposed at once, so a new chain
   * shows it is live without waiting a heartbeat.
   */
  private startHeightInput(height: bigint): ConsensusInput {
    return { kind: 'startHeight', height, waitForTxs: height > 1n };
  }

  /**
   * Something may have become includable (a transaction admitted, evidence added): ends the
   * wait of round 0 at once when it has. Cheap when nothing waits.
   */
  notifyIncludable(): void {
    if (this.waitingHeight === undefined || this.stopped) return;
    if (this.hasIncludable()) this.endWait(this.waitingHeight);
  }

  /** A transaction the next block can take (its sender's next nonce), or evidence. */
  private hasIncludable(): boolean {
    const { chain, mempool } = this.o;
    return this.evidencePool.size > 0 || mempool.hasCandidate((sender) => chain.account(sender)?.nonce ?? 0n);
  }

  private beginWait(height: bigint): void {
    this.stopWaiting();
    this.waitingHeight = height;
    if (this.hasIncludable()) return this.endWait(height);
    // The heartbeat counts from the previous block's time, so a node restarted after a quiet
    // hour proposes at once instead of waiting a full heartbeat more.
    const { chain } = this.o;
    const lastTimeMs = Number(chain.lastHeader?.timeMs ?? chain.genesis.genesisTimeMs);
    const delayMs = Math.max(0, lastTimeMs + chain.genesis.params.heartbeatMs - this.o.clock.nowMs());
    this.heartbeatTimer = this.o.clock.setTimer(delayMs, () => {
      this.heartbeatTimer = undefined;
      if (this.waitingHeight === height) this.endWait(height);
    });
  }

  private endWait(height: bigint): void {
    this.stopWaiting();
    this.input({ kind: 'txsAvailable', height });
  }

  private stopWaiting(): void {
    this.waitingHeight = undefined;
    if (this.heartbeatTimer !== undefined) this.o.clock.clearTimer(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private async handle(input: ConsensusInput): Promise<void> {
    if (this.stopped) return;
    const r = step(this.state, input);
    this.state = r.state;
    await this.performAll(r.effects);
  }

  private async performAll(effects: ConsensusEffect[]): Promise<void> {
    for (const e of effects) await this.perform(e);
  }

  private schedule(ms: number, input: ConsensusInput): void {
    const t = this.o.clock.setTimer(ms, () => {
      this.timers.delete(t);
      this.input(input);
    });
    this.timers.add(t);
  }

  private clearTimers(): void {
    for (const t of this.timers) this.o.clock.clearTimer(t);
    this.timers.clear();
  }

  private async perform(e: ConsensusEffect): Promise<void> {
    const { chain, store, network, log, validator } = this.o;
    switch (e.kind) {
      case 'persistSignState':
        await this.storeLockedBlock(e.record);
        // A refusal is logged and counted by the signer; the sign effect after it is refused too.
        validator?.signer.persist(e.record);
        return;
      case 'signAndBroadcastProposal': {
        const hashHex = bytesToHex(e.proposal.blockHash);
        const held = await this.heldBlock(hashHex);
        if (!held || !validator) {
          log('warn', 'cannot send a proposal whose block is not at hand', { height: e.proposal.height, round: e.proposal.round });
          return;
        }
        const { block, txLeafHashes } = held;
        // Any block we propose (ours, or a valid value re-proposed) is on disk before we sign,
        // so a restart inside this height can send the same proposal again.
        if (this.o.unsafeReintroduce !== 'proposed-block-unstored') await this.storeBlock(e.proposal.height, hashHex, block);
        const proposal = validator.signer.signProposal(e.proposal);
        if (!proposal) return;
        const proposalBytes = encodeProposal(proposal);
        // The block goes out compact: peers hold its transactions (gossiped) or fetch them.
        const compactBytes = encodeCompactBlock({ header: block.header, txLeafHashes, evidence: block.evidence });
        const make = () => encodeProposalEnvelope({ proposal: proposalBytes, compactBlock: compactBytes, sentAtMs: BigInt(this.o.clock.nowMs()) });
        this.lastSent.set('proposal', { topic: 'proposal', make });
        // A valid value proposed again goes out with the prevotes of its valid round: a peer
        // that restarted (or missed them) holds no polka for that round, and without one it
        // cannot prevote for the value (the paper's L28), while the validators locked on it
        // cannot prevote for anything else: the height would never decide (found by the
        // replica simulator, seed 64). They are sent again with the proposal while stuck.
        const polka = e.proposal.validRound === NO_ROUND ? [] : votesFor(this.state.votes, e.proposal.validRound, 'prevote', hashHex).map((v) => encodeVote(v));
        polka.forEach((voteBytes, i) => this.lastSent.set(`polka/${i}`, { topic: 'vote', make: () => encodeVoteEnvelope({ vote: voteBytes, sentAtMs: BigInt(this.o.clock.nowMs()) }) }));
        for (const voteBytes of polka) await network.publish('vote', encodeVoteEnvelope({ vote: voteBytes, sentAtMs: BigInt(this.o.clock.nowMs()) }));
        await network.publish('proposal', make());
        log(isEmptyBlock(block) ? 'debug' : 'info', 'proposed', { height: e.proposal.height, round: e.proposal.round, txs: block.txs.length, block: hashHex.slice(0, 16) });
        this.input({ kind: 'proposal', proposal });
        return;
      }
      case 'signAndBroadcastVote': {
        if (!validator) return;
        const vote = validator.signer.signVote(e.vote);
        if (!vote) return;
        const voteBytes = encodeVote(vote);
        const make = () => encodeVoteEnvelope({ vote: voteBytes, sentAtMs: BigInt(this.o.clock.nowMs()) });
        this.lastSent.set(vote.type, { topic: 'vote', make });
        await network.publish('vote', make());
        log('debug', 'voted', { height: vote.height, round: vote.round, type: vote.type, block: bytesToHex(vote.blockHash).slice(0, 16) });
        this.input({ kind: 'vote', vote });
        return;
      }
      case 'waitForTxs':
        this.beginWait(e.height);
        return;
      case 'scheduleTimeout':
        this.schedule(e.durationMs, { kind: 'timeout', timeout: e.timeout, height: e.height, round: e.round });
        return;
      case 'requestBlockValidation': {
        const hashHex = bytesToHex(e.blockHash);
        const block = (await this.heldBlock(hashHex))?.block;
        if (!block) return; // it arrives with its proposal; the core asks again then
        const error = await chain.validateBlock(block, { nowMs: this.o.clock.nowMs() });
        if (error) log('warn', 'proposed block is invalid', { height: e.height, block: hashHex.slice(0, 16), error });
        else this.validBlocks.add(hashHex);
        this.input({ kind: 'blockValidity', blockHash: e.blockHash, valid: error === undefined });
        return;
      }
      case 'proposeBlock': {
        if (!validator) return;
        const candidates = this.o.mempool.candidates((sender) => chain.account(sender)?.nonce ?? 0n, chain.genesis.params.blockTxsMax);
        // Per sender only the first refusal is the transaction's own fault; the ones after it
        // were refused for the nonce gap it leaves, and wait (not includable) for a new one.
        const refusedSenders = new Set<string>();
        const block = await chain.buildBlock(candidates, [...this.evidencePool.values()], chain.validators.addresses[validator.index], this.o.clock.nowMs(), (bytes, error, kind) => {
          if (kind === 'evidence') {
            // Already committed, or invalid: it can never go into a block, so it must not keep heights busy.
            for (const [key, pooled] of this.evidencePool) if (pooled === bytes) this.evidencePool.delete(key);
            return;
          }
          try {
            const tx = decodeTx(bytes);
            const sender = bytesToHex(txSender(tx));
            if (refusedSenders.has(sender)) return;
            refusedSenders.add(sender);
            this.o.onUnincludable?.(bytesToHex(txId(tx)), error);
          } catch {
            // it was admitted, so it decodes
          }
        });
        this.offerBlock(block);
        if (this.o.unsafeReintroduce === 'proposed-block-unstored') await store.putProposedBlock(block.header.height, bytesToHex(blockHash(block.header)), encodeBlock(block));
        this.input({ kind: 'blockBuilt', height: e.height, round: e.round, blockHash: blockHash(block.header) });
        return;
      }
      case 'decide': {
        const hashHex = bytesToHex(e.blockHash);
        const block = (await this.heldBlock(hashHex))?.block;
        if (!block) {
          log('warn', 'decided a block that is not at hand; fetching it from peers', { height: e.height, block: hashHex.slice(0, 16) });
          this.o.onMissingBlock();
          return;
        }
        if (block.header.height !== chain.height + 1n) return; // the syncer got there first
        const run = await chain.commit(block, encodeCertificate(e.certificate));
        await store.deleteProposedBlocksBelow(e.height + 1n);
        this.clearPendingBlocks();
        this.lastSent.clear();
        log(isEmptyBlock(block) ? 'debug' : 'info', 'committed', { height: e.height, round: e.round, txs: block.txs.length, block: hashHex.slice(0, 16), signers: e.certificate.signatures.length });
        this.o.onCommitted(block, hashHex, run.txIds, run.evidenceKeys);
        this.stopWaiting();
        this.schedule(chain.genesis.params.blockIntervalMs, this.startHeightInput(e.height + 1n));
        return;
      }
      case 'evidence': {
        const bytes = encodeEvidence(e.evidence);
        if (this.addEvidence(evidenceKey(e.evidence), bytes)) {
          log('warn', 'equivocation detected', { validator: e.evidence.voteA.validatorIndex, height: e.evidence.voteA.height, round: e.evidence.voteA.round });
          await network.publish('evidence', bytes);
        }
        return;
      }
    }
  }

  /**
   * The block a sign record locks us on is on disk before the record is: after a restart the
   * lock comes back from the record, and a validator locked on a block it no longer holds can
   * neither propose it again (with its polka) nor prevote for anything else, so the height
   * never decides when the others missed the polka (found by the replica simulator, seeds
   * 107728, 107944, 108290). CometBFT keeps the block parts it received in its WAL for the
   * same reason. Written once per locked block and height, deleted with the proposed blocks.
   */
  private async storeLockedBlock(record: SignRecord): Promise<void> {
    if (record.lockedBlockHash === undefined || this.o.unsafeReintroduce === 'locked-block-unstored') return;
    const hashHex = bytesToHex(record.lockedBlockHash);
    // After a restart the lock comes from the record and the block from disk (heldBlock).
    const held = await this.heldBlock(hashHex);
    if (!held) {
      // Not expected: a lock needs the block found valid, and valid blocks stay at hand. A
      // database written before locked blocks were stored can lack it after a restart.
      this.o.log('error', 'locked on a block that is neither at hand nor on disk: a restart cannot propose it again', { height: record.height, block: hashHex.slice(0, 16) });
      return;
    }
    await this.storeBlock(record.height, hashHex, held.block);
  }

  /** Puts a block we proposed or locked on on disk (synced), once per height and block. */
  private async storeBlock(height: bigint, hashHex: string, block: Block): Promise<void> {
    const key = `${height}/${hashHex}`;
    if (this.blocksStored.has(key)) return;
    await this.o.store.putProposedBlock(height, hashHex, encodeBlock(block));
    this.blocksStored.add(key);
  }

  /**
   * A block at hand, or else one we proposed or locked on in this height, read back from disk
   * (after a restart) and put among the blocks at hand, so its transactions can be served to
   * peers rebuilding it from its compact form: after a crash it may be the only copy left.
   */
  private async heldBlock(hashHex: string): Promise<PendingBlock | undefined> {
    const atHand = this.pendingBlocks.get(hashHex);
    if (atHand) return atHand;
    const bytes = await this.o.store.proposedBlock(this.state.height, hashHex);
    if (!bytes) return undefined;
    this.offerBlock(decodeBlock(bytes));
    this.blocksStored.add(`${this.state.height}/${hashHex}`); // it is on disk already
    return this.pendingBlocks.get(hashHex);
  }

  /** Sends our latest messages again while the height has not moved since the last tick. */
  private rebroadcast(): void {
    const height = this.o.chain.height;
    const stuck = height === this.lastRebroadcastHeight;
    this.lastRebroadcastHeight = height;
    if (!stuck || this.stopped) return;
    for (const { topic, make } of this.lastSent.values()) {
      void this.o.network.publish(topic, make()).catch(() => undefined);
    }
  }
}
