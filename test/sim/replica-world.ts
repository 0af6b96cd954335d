// The replica simulator (docs/replica.md), after TigerBeetle's VOPR: N validators each run the
// node's replica unmodified — node/replica.ts (driver, chain execution, mempool, syncer, the
// guarded signer) and node/gossip-checks.ts for what arrives — over simulated ports: a clock
// per node (with skew), a network (delay, loss, duplication, reordering, partitions that heal)
// and a disk per node (test/sim/sim-disk.ts: a crash loses what was not fsync'd). One seed
// draws every parameter and is printed; the same seed replays the same run and trace hash.
// Safety phase: faults on, checkers run throughout. Liveness phase: the network heals, every
// node is up, and every replica must commit `livenessHeights` more heights in a bounded time.
import { bytesToHex } from '../../protocol/bytes.ts';
import { blockHash, decodeCompactBlock, encodeCompactBlock, evidenceRoot, txRoot, type BlockHeader } from '../../protocol/block.ts';
import { decodeProposalEnvelope, decodeVoteEnvelope, encodeProposalEnvelope, encodeTxList, encodeVoteEnvelope } from '../../protocol/gossip.ts';
import { useSha256 } from '../../protocol/hash.ts';
import { addressBytes, addressOf, keyPairFromSeed, useMlDsa65Signer, useMlDsa65Verifier, type KeyPair } from '../../protocol/keys.ts';
import { decodeProposal, decodeVote, encodeProposal, encodeVote, NO_ROUND, signProposal, signVote } from '../../protocol/vote.ts';
import { sha256 } from '../../protocol/hash.ts';
import { ZERO_HASH } from '../../protocol/bytes.ts';
import { encodeTx, signTx, txSender } from '../../protocol/tx.ts';
import { createGenesis, genesisHash, type Genesis } from '../../genesis/genesis.ts';
import { Chain } from '../../node/chain.ts';
import { SampleLog } from '../../node/commitment-log.ts';
import type { ReintroducedBug } from '../../node/consensus-driver.ts';
import { attachGossipChecks } from '../../node/gossip-checks.ts';
import type { Logger } from '../../node/log.ts';
import { installFastCrypto } from '../../node/fast-crypto.ts';
import { DEFAULT_MEMPOOL_LIMITS, Mempool } from '../../node/mempool.ts';
import type { Network, PeerInfo } from '../../node/p2p/index.ts';
import type { Clock, ReplicaNetwork } from '../../node/ports.ts';
import { Replica } from '../../node/replica.ts';
import { EventQueue } from './event-queue.ts';
import { Prng, TraceHash } from './prng.ts';
import { AgreementChecker, AppendOnlyChecker, DoubleSignChecker, SupplyChecker, ValidityChecker, Violations } from './replica-checkers.ts';
import { SimDisk } from './sim-disk.ts';

/** Hard bound on events per run: exceeding it is a failure, never a hang. */
export const REPLICA_EVENTS_MAX = 300_000;
const GENESIS_TIME_MS = 1_700_000_000_000;
const CHAIN_ID = 'pantheon-replica-sim';
const TRANSFERS_MAX = 8;
const LOG_LINES_KEPT = Number(process.env.SIM_LOG_LINES ?? 12);

export interface ReplicaSimOptions {
  validators?: number;
  /**
   * 'node' (default): the crypto `pantheon node` installs (node/fast-crypto.ts). 'noble': the
   * protocol's own, as in the browser; for comparison, the same seed gives the same trace.
   */
  crypto?: 'node' | 'noble';
  /** TEST ONLY: run every replica with a reintroduced ordering bug (the teeth). */
  unsafeReintroduce?: ReintroducedBug;
  /**
   * Crash `node` at its `atBoundary`-th boundary (0-based, counted over its whole life): each
   * block-store write about to be issued, each sign record just made durable, each message
   * about to leave. The world crashes it there and then, so the rest of what its replica was
   * doing reaches no port. With the scenario's own faults, as drawn.
   */
  crashPlan?: { node: number; atBoundary: number; downMs: number };
  /**
   * A calm network left alone (docs/consensus.md, "Blocks only when there is something to
   * finalise"): no faults, no skew, no Byzantine validator, a heartbeat of an hour and a few
   * transactions with quiet gaps of seconds to 80 minutes; the run ends after the last one.
   */
  calm?: boolean;
  /**
   * A transaction reaches only the node it was handed to: its gossip is lost on every link. The
   * others learn there is something to finalise only from that node's votes.
   */
  txGossipLost?: boolean;
  /**
   * The last validator is Byzantine in mode 'flood' (never drawn otherwise): before each of its
   * votes it sends every peer FLOOD_PROPOSALS signed proposals of the current height, each with
   * its own empty block, for rounds far ahead that the core ignores; they fill the blocks at
   * hand of every honest replica (node/consensus-driver.ts offerBlock) while it votes.
   */
  floodProposals?: boolean;
}

/** More than the driver keeps at hand (PENDING_BLOCKS_MAX, 64). */
const FLOOD_PROPOSALS = 72;

export type ByzantineMode = 'silent' | 'equivocate' | 'invalidBlocks' | 'flood';

export interface ReplicaScenario {
  seed: number;
  validators: number;
  lossProbability: number;
  duplicateProbability: number;
  delayMsMin: number;
  delayMsMax: number;
  ioLatencyMsMax: number;
  clockSkewMs: number[];
  partitions: { startMs: number; endMs: number; group: number[] }[];
  crashes: { node: number; atMs: number; downMs: number }[];
  /** Chance that a synced write of a node is cut by a crash while it is in flight. */
  crashInWriteProbability: number;
  crashesMax: number;
  transfers: { atMs: number; node: number }[];
  healMs: number;
  livenessHeights: number;
  livenessWindowMs: number;
  /**
   * The Byzantine validator (at most f of the power: one of 4 or more, none of fewer) and what
   * it does on top of its replica: 'silent' sends nothing; 'equivocate' also signs, with its
   * key and no guard, a conflicting vote or proposal (another block) for the same height,
   * round and step, sent to a drawn subset of peers; 'invalidBlocks' sends, instead of what
   * its replica signed, a proposal of an invalid block (its state root altered) and votes for
   * it. Both send now and then a copy with a corrupted signature, which must die at the edge.
   */
  byzantine: { node: number; mode: ByzantineMode; probability: number } | undefined;
  /** The genesis heartbeat: an idle height proposes after this long without a transaction. */
  heartbeatMs: number;
}

export function drawReplicaScenario(seed: number, options: ReplicaSimOptions): ReplicaScenario {
  const r = new Prng(seed);
  const validators = options.validators ?? 4;
  const healMs = r.int(4_000, 20_000);
  const partitions = Array.from({ length: r.int(0, 2) }, () => {
    const startMs = r.int(0, healMs - 1);
    return { startMs, endMs: r.int(startMs + 1, healMs), group: Array.from({ length: validators }, () => r.int(0, 1)) };
  });
  const crashes = Array.from({ length: r.int(0, 4) }, () => ({ node: r.int(0, validators - 1), atMs: r.int(0, healMs), downMs: r.int(10, 3_000) }));
  const transfers = Array.from({ length: r.int(0, TRANSFERS_MAX) }, () => ({ atMs: r.int(0, healMs + 2_000), node: r.int(0, validators - 1) })).sort((a, b) => a.atMs - b.atMs);
  const delayMsMin = r.int(1, 20);
  return {
    seed,
    validators,
    lossProbability: r.pick([0, 0.01, 0.05, 0.2]),
    duplicateProbability: r.pick([0, 0.05, 0.2]),
    delayMsMin,
    delayMsMax: delayMsMin + r.pick([5, 50, 300, 1_500]),
    ioLatencyMsMax: r.pick([1, 5, 30]),
    clockSkewMs: Array.from({ length: validators }, () => r.int(-2_000, 2_000)),
    partitions,
    crashes,
    crashInWriteProbability: r.pick([0, 0.02, 0.1]),
    crashesMax: r.int(0, 8),
    transfers,
    healMs,
    livenessHeights: 3,
    livenessWindowMs: 60_000,
    byzantine: drawByzantine(seed, validators),
    heartbeatMs: 1_000,
    ...(options.calm ? drawCalm(seed, validators) : {}),
    ...(options.floodProposals ? { byzantine: { node: validators - 1, mode: 'flood' as const, probability: 1 } } : {}),
  };
}

/** ReplicaSimOptions.calm: the faults off, and transactions spread over hours. */
function drawCalm(seed: number, validators: number): Partial<ReplicaScenario> {
  const r = new Prng((seed ^ 0x1d1e0c) >>> 0);
  let atMs = 0;
  const gapsMs = Array.from({ length: r.int(3, 4) }, () => r.pick([r.int(2_000, 30_000), r.int(60_000, 20 * 60_000), r.int(50 * 60_000, 80 * 60_000)]));
  if (gapsMs.every((g) => g < 50 * 60_000)) gapsMs[gapsMs.length - 1] = r.int(50 * 60_000, 80 * 60_000); // at least one quiet stretch past the heartbeat's reach
  const transfers = gapsMs.map((gapMs) => {
    atMs += gapMs;
    return { atMs, node: r.int(0, validators - 1) };
  });
  return {
    lossProbability: 0,
    duplicateProbability: 0,
    delayMsMin: 1,
    delayMsMax: 20,
    ioLatencyMsMax: 1,
    clockSkewMs: Array.from({ length: validators }, () => 0),
    partitions: [],
    crashes: [],
    crashInWriteProbability: 0,
    crashesMax: 0,
    transfers,
    healMs: atMs + 5_000,
    livenessHeights: 0,
    byzantine: undefined,
    heartbeatMs: 60 * 60_000,
  };
}

/** From a stream of its own, so the honest scenario of a seed is what it was without it. */
function drawByzantine(seed: number, validators: number): ReplicaScenario['byzantine'] {
  const r = new Prng((seed ^ 0x5b2a7e11) >>> 0);
  const mode = r.pick(['none', 'silent', 'equivocate', 'equivocate', 'invalidBlocks'] as const);
  if (mode === 'none' || validators < 4) return undefined;
  return { node: r.int(0, validators - 1), mode, probability: r.pick([0.2, 0.5, 1]) };
}

export function describeReplicaScenario(s: ReplicaScenario): string {
  const parts = s.partitions.map((p) => `${p.startMs}-${p.endMs}ms[${p.group.join('')}]`).join(' ') || 'none';
  const crashes = s.crashes.map((c) => `n${c.node}@${c.atMs}ms+${c.downMs}`).join(' ') || 'none';
  const byz = s.byzantine ? `byzantine n${s.byzantine.node} ${s.byzantine.mode}${s.byzantine.mode === 'equivocate' ? ` p=${s.byzantine.probability}` : ''}` : 'byzantine none';
  return (
    `validators ${s.validators}; ${byz}; loss ${s.lossProbability}, duplicates ${s.duplicateProbability}, delay ${s.delayMsMin}-${s.delayMsMax}ms, io ≤${s.ioLatencyMsMax}ms; ` +
    `skew ${s.clockSkewMs.join(',')}ms; partitions ${parts}; crashes ${crashes}, in-write ${s.crashInWriteProbability} (≤${s.crashesMax}); ` +
    `transfers ${s.transfers.length}; heal at ${s.healMs}ms; liveness +${s.livenessHeights} heights in ${s.livenessWindowMs}ms`
  );
}

// ---- fixed keys, genesis and signed transfers, made once per process ------------------------

interface Fixture {
  keys: KeyPair[];
  funded: KeyPair;
  genesis: Genesis;
  transfers: Uint8Array[];
}
const fixtures = new Map<string, Fixture>();

function fixture(validators: number, heartbeatMs: number): Fixture {
  const known = fixtures.get(`${validators}/${heartbeatMs}`);
  if (known) return known;
  const keys = Array.from({ length: validators }, (_, i) => keyPairFromSeed(new Uint8Array(32).fill(i + 1)));
  const funded = keyPairFromSeed(new Uint8Array(32).fill(0x77));
  const genesis = createGenesis({
    chainId: CHAIN_ID,
    genesisTimeMs: BigInt(GENESIS_TIME_MS),
    validatorPublicKeys: keys.map((k) => k.publicKey),
    fundedPublicKeys: [funded.publicKey],
    params: { timeoutProposeMs: 400, timeoutPrevoteMs: 200, timeoutPrecommitMs: 200, timeoutDeltaMs: 100, blockIntervalMs: 50, heartbeatMs },
  });
  // The funded account's transactions in nonce order: transfers, and commitments that grow one
  // log as a real tree (each with its consistency proof), so the append-only checker has a log.
  const tree = new SampleLog('replica simulator log');
  const logId = `${addressOf(funded.publicKey)}/sim`;
  let size = 0;
  const transfers = Array.from({ length: TRANSFERS_MAX }, (_, nonce) => {
    const common = { chainId: CHAIN_ID, senderPublicKey: funded.publicKey, nonce: BigInt(nonce), fee: genesis.params.minFee };
    if (nonce % 2 === 0) return encodeTx(signTx({ ...common, payload: { kind: 'transfer', to: addressBytes(keys[nonce % validators].publicKey), amount: 1_000_000n + BigInt(nonce) } }, funded.secretKey, true));
    const next = size + 5 * nonce;
    const payload = { kind: 'commitment' as const, logId, treeSize: BigInt(next), root: tree.root(next), previousSize: BigInt(size), consistencyProof: tree.consistencyProof(size, next) };
    size = next;
    return encodeTx(signTx({ ...common, payload }, funded.secretKey, true));
  });
  const f = { keys, funded, genesis, transfers };
  fixtures.set(`${validators}/${heartbeatMs}`, f);
  return f;
}

// ---- the world -------------------------------------------------------------------------------

type Handler = Parameters<Network['setHandler']>[1];
type SyncHandler = Parameters<Network['serveSync']>[0];

interface Event {
  label: string;
  run: () => void | Promise<void>;
}

class SimNode {
  up = true;
  incarnation = 0;
  replica: Replica | undefined;
  handlers = new Map<string, Handler>();
  syncHandler: SyncHandler | undefined;
  readonly log: string[] = [];
  constructor(
    readonly index: number,
    readonly disk: SimDisk,
  ) {}
  alive(incarnation: number): boolean {
    return this.up && this.incarnation === incarnation;
  }
}

export interface ReplicaSimResult {
  seed: number;
  ok: boolean;
  failures: string[];
  traceHash: string;
  scenario: ReplicaScenario;
  stats: { maxRound: number; decisions: { height: number; atMs: number; txs: number }[]; rejectedAtEdge: number; events: number; heights: number; crashes: number; simulatedMs: number; signRecordWrites: number; transfersCommitted: number; logSize: number; equivocations: number; evidenceCommitted: number; boundaries: number[] };
}

/**
 * The crypto `pantheon node` installs in its process (liboqs verify and hedged sign, OpenSSL
 * SHA-256), plus a memo of verification verdicts: the validators share this one process, so
 * each signature would otherwise be verified once per receiving replica with the same bytes.
 */
const VERIFY_MEMO_ENTRIES = 16_384;

export async function runReplicaSimulation(seed: number, options: ReplicaSimOptions = {}): Promise<ReplicaSimResult> {
  if (options.crypto === 'noble') {
    useMlDsa65Verifier(undefined);
    useMlDsa65Signer(undefined);
    useSha256(undefined);
  } else await installFastCrypto({ verifyMemoEntries: VERIFY_MEMO_ENTRIES });
  return new World(drawReplicaScenario(seed, options), options).run();
}

class World {
  private readonly queue = new EventQueue<Event>();
  private readonly trace = new TraceHash();
  private readonly net: Prng;
  private readonly host: Prng;
  /** The Byzantine actor's choices, from a stream of their own. */
  private readonly byz: Prng;
  private equivocations = 0;
  private rejectedAtEdge = 0;
  /** The highest round any validator signed a vote in, and when each height was first committed. */
  private maxRound = 0;
  private readonly decisions: { height: number; atMs: number; txs: number }[] = [];
  /** 'invalidBlocks': `${height}/${round}` -> the invalid block it proposed there. */
  private readonly invalidBlockOf = new Map<string, Uint8Array>();
  /** Per node: the crash boundaries passed so far (ReplicaSimOptions.crashPlan). */
  private readonly boundaries: number[];
  private evidenceCommitted = 0;
  private readonly fx: Fixture;
  private readonly nodes: SimNode[];
  private readonly violations = new Violations();
  private readonly agreement: AgreementChecker;
  private readonly supply: SupplyChecker;
  private readonly appendOnly: AppendOnlyChecker;
  private readonly doubleSign: DoubleSignChecker;
  private validity!: ValidityChecker;
  private reference!: Chain;
  private referenceDisk: SimDisk;
  /** Agreed blocks waiting for the reference to reach their height. */
  private readonly agreedBlocks = new Map<bigint, { block: Uint8Array; certificate: Uint8Array }>();
  private healed = false;
  private livenessTarget: bigint | undefined;
  private crashes = 0;
  private transfersCommitted = 0;
  /** The flooding Byzantine validator's material (flood()): a header to copy, its batch of the height. */
  private lastProposalHeader: BlockHeader | undefined;
  private floodBatch: { height: bigint; messages: Uint8Array[] } | undefined;

  constructor(
    private readonly s: ReplicaScenario,
    private readonly options: ReplicaSimOptions,
  ) {
    const root = new Prng(s.seed ^ 0x2e91ca);
    this.net = root.fork(1);
    this.host = root.fork(2);
    this.byz = root.fork(3);
    this.boundaries = Array.from({ length: s.validators }, () => 0);
    this.fx = fixture(s.validators, s.heartbeatMs);
    this.nodes = Array.from({ length: s.validators }, (_, i) => new SimNode(i, new SimDisk((run) => this.io(i, run))));
    this.referenceDisk = new SimDisk((run) => run());
    this.agreement = new AgreementChecker(this.violations);
    this.supply = new SupplyChecker(this.violations);
    this.appendOnly = new AppendOnlyChecker(this.violations);
    this.doubleSign = new DoubleSignChecker(this.violations);
  }

  /**
   * A synced write completes after a drawn latency; during the safety phase the node may crash
   * while it is in flight, and the write is lost with everything else not yet durable.
   */
  private io(index: number, run: () => void): void {
    const latencyMs = this.host.int(0, this.s.ioLatencyMsMax);
    if (!this.healed && this.crashes < this.s.crashesMax && this.host.chance(this.s.crashInWriteProbability)) {
      const downMs = this.host.int(10, 1_500);
      this.queue.schedule(this.host.int(0, latencyMs), { label: `crash/${index}`, run: () => this.crash(this.nodes[index], downMs) });
    }
    this.queue.schedule(latencyMs, { label: `io/${index}`, run });
  }

  async run(): Promise<ReplicaSimResult> {
    const s = this.s;
    // The reference chain: the node's Chain over a disk whose writes complete at once.
    const referenceStore = this.referenceDisk.blockStore(() => true);
    const loading = Chain.load(this.fx.genesis, referenceStore);
    this.reference = await loading;
    this.validity = new ValidityChecker(this.violations, this.reference);
    for (const node of this.nodes) this.queue.schedule(0, { label: `boot/${node.index}`, run: () => this.boot(node) });
    for (const c of s.crashes) this.queue.schedule(c.atMs, { label: `crash/${c.node}`, run: () => this.crash(this.nodes[c.node], c.downMs) });
    for (const [k, t] of s.transfers.entries()) this.queue.schedule(t.atMs, { label: `tx/${k}`, run: () => this.submit(this.nodes[t.node], k) });
    this.queue.schedule(s.healMs, { label: 'heal', run: () => this.heal() });
    const endMs = s.healMs + s.livenessWindowMs;
    // About 80 events a simulated second on an idle 4-node network (timers, sync polls): hours
    // of calm need more than the fault runs' budget, still bounded.
    const eventsMax = Math.max(REPLICA_EVENTS_MAX, Math.ceil(endMs / 1_000) * 40 * s.validators);
    let events = 0;
    let budget = false;
    for (;;) {
      const next = this.queue.pop();
      if (!next || next.atMs > endMs) break;
      if (++events > eventsMax) {
        budget = true;
        break;
      }
      this.trace.mix(next.atMs);
      this.trace.mix(next.event.label);
      // An event's work may wait on later events (a write's completion, a sync answer), so it is
      // not awaited; every promise it can settle now settles before the next event, since the
      // replica's awaits resolve only through the ports.
      const label = next.event.label;
      void Promise.resolve()
        .then(() => next.event.run())
        .catch((err: Error) => this.violations.add('exception', `${label} at t=${this.queue.nowMs}ms: ${err.stack ?? err.message}`));
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.violations.list.length > 0) break;
      if (this.livenessReached()) break;
    }
    for (const node of this.nodes) if (node.up) void node.replica?.stop();
    const failures = [...this.violations.list];
    if (budget) failures.push(`event budget of ${eventsMax} exhausted at t=${this.queue.nowMs}ms`);
    else if (failures.length === 0 && !this.livenessReached()) {
      failures.push(`liveness: after the heal at ${s.healMs}ms, replicas did not all commit height ${this.livenessTarget} within ${s.livenessWindowMs}ms (heights ${this.nodes.map((n) => `${n.index}:${n.replica?.chain.height ?? '-'}`).join(' ')})`);
    }
    if (failures.length > 0) {
      failures.push(`scenario: ${describeReplicaScenario(s)}`);
      for (const n of this.nodes) failures.push(`node ${n.index}${n.up ? '' : ' (down)'} height ${n.replica?.chain.height ?? '-'} consensus ${n.replica ? `${n.replica.driver.height}/${n.replica.driver.round}/${n.replica.driver.step}` : '-'}; last log: ${n.log.slice(-Number(process.env.SIM_LOG_LINES ?? 4)).join(' | ')}`);
    }
    this.trace.mix(`end/${this.agreement.highest}/${this.queue.nowMs}`);
    return {
      seed: s.seed,
      ok: failures.length === 0,
      failures,
      traceHash: this.trace.hex(),
      scenario: s,
      stats: { maxRound: this.maxRound, decisions: this.decisions, rejectedAtEdge: this.rejectedAtEdge, events, heights: Number(this.agreement.highest), crashes: this.crashes, simulatedMs: this.queue.nowMs, signRecordWrites: this.nodes.reduce((n, x) => n + x.disk.signRecordWrites, 0), transfersCommitted: this.transfersCommitted, equivocations: this.equivocations, evidenceCommitted: this.evidenceCommitted, boundaries: [...this.boundaries], logSize: [...this.referenceDisk.visible.logs.values()].reduce((n, r) => n + Number(r.size), 0) },
    };
  }

  private livenessReached(): boolean {
    const target = this.livenessTarget;
    return target !== undefined && this.nodes.every((n) => n.up && (n.replica?.chain.height ?? 0n) >= target);
  }

  private heal(): void {
    this.healed = true;
    for (const node of this.nodes) if (!node.up) this.restart(node);
    this.livenessTarget = this.agreement.highest + BigInt(this.s.livenessHeights);
  }

  // ---- a node's life ---------------------------------------------------------------------

  /** A new process over what the disk holds: the replica, its gossip checks, then start. */
  private async boot(node: SimNode): Promise<void> {
    node.up = true;
    const inc = node.incarnation;
    const alive = () => node.alive(inc);
    node.handlers = new Map();
    node.syncHandler = undefined;
    const log = this.logger(node, inc);
    const clock = this.clock(node, inc);
    const network = this.network(node, inc, alive);
    const store = node.disk.blockStore(alive, () => alive() && this.boundary(node));
    const { keys, genesis } = this.fx;
    const mempool = new Mempool(DEFAULT_MEMPOOL_LIMITS, genesis.params.minFee);
    const replica = await Replica.create(
      { clock, network, store, log },
      {
        genesis,
        mempool,
        validator: { index: node.index, key: keys[node.index], signState: node.disk.signStateStore(alive, () => this.boundary(node)), record: node.disk.signRecord },
        rebroadcastMs: 1_000,
        syncIntervalMs: 500,
        onCommitted: (block, hashHex, txIds, evidenceKeys) => this.onCommitted(node, inc, block.header.height, hashHex, txIds.length, evidenceKeys.length),
        onSignerRefusal: () => undefined, // the refusal's log line (error level) is the violation, with its reason
        unsafeReintroduce: this.options.unsafeReintroduce,
      },
    );
    if (!alive()) return;
    node.replica = replica;
    this.supply.check(`node ${node.index}'s disk at start`, node.disk.visible.accounts);
    attachGossipChecks({
      network,
      chain: replica.chain,
      store,
      driver: replica.driver,
      syncer: replica.syncer,
      metrics: { gossipRejected: { inc: () => void this.rejectedAtEdge++ } as never },
      log,
      admit: async (bytes) => this.admit(node, bytes),
    });
    await replica.start();
  }

  /** A crash boundary of a live node: crashes it now if the plan says this one. */
  private boundary(node: SimNode): void {
    const plan = this.options.crashPlan;
    const k = this.boundaries[node.index]++;
    if (plan && plan.node === node.index && plan.atBoundary === k && node.up) this.crash(node, plan.downMs, true);
  }

  private crash(node: SimNode, downMs: number, planned = false): void {
    if (!node.up || (!planned && (this.healed || this.crashes >= Math.max(this.s.crashesMax, this.s.crashes.length)))) return;
    this.crashes++;
    node.up = false;
    node.incarnation++;
    node.disk.crash();
    node.replica = undefined;
    node.handlers = new Map();
    node.syncHandler = undefined;
    const restartInMs = Math.min(downMs, Math.max(0, this.s.healMs - this.queue.nowMs));
    this.queue.schedule(restartInMs, { label: `restart/${node.index}`, run: () => this.restart(node) });
  }

  private restart(node: SimNode): void {
    if (node.up) return;
    this.queue.schedule(0, { label: `boot/${node.index}`, run: () => this.boot(node) });
    node.up = true; // booting: messages to it are handled once its handlers are set
  }

  /** A client's transfer, handed to one node: admitted to its mempool and gossiped. */
  private async submit(node: SimNode, k: number): Promise<void> {
    if (!node.up || !node.replica) return;
    const bytes = this.fx.transfers[k];
    const r = this.admit(node, bytes);
    if (r.ok && !this.options.txGossipLost) {
      for (const other of this.nodes) if (other !== node) this.send(node.index, other.index, 'tx', encodeTxList([bytes]));
    }
  }

  /** The mempool through its own methods (admission proper is the node's, node/node.ts). */
  private admit(node: SimNode, bytes: Uint8Array): { ok: true } | { ok: false; error: string; invalid?: boolean } {
    const replica = node.replica;
    if (!replica) return { ok: false, error: 'booting' };
    const admitted = replica.chain.admitTx(bytes);
    if ('error' in admitted) return { ok: false, error: admitted.error, invalid: true };
    const nowMs = GENESIS_TIME_MS + this.queue.nowMs + this.s.clockSkewMs[node.index];
    const r = replica.mempool.add(admitted.id, bytes, admitted.tx, (sender) => replica.chain.account(sender)?.nonce ?? 0n, nowMs);
    if (!r.ok) return { ok: false, error: r.error };
    replica.driver.notifyIncludable();
    return { ok: true };
  }

  private async onCommitted(node: SimNode, inc: number, height: bigint, hashHex: string, txs: number, evidence: number): Promise<void> {
    if (!node.alive(inc)) return;
    this.trace.mix(`commit/${node.index}/${height}`);
    const first = this.agreement.onCommit(node.index, height, hashHex, this.queue.nowMs);
    this.supply.check(`node ${node.index}'s disk after height ${height}`, node.disk.visible.accounts);
    this.appendOnly.check(`node ${node.index}`, `node ${node.index} after height ${height}`, node.disk.visible.logs);
    if (!first) return;
    this.decisions.push({ height: Number(height), atMs: this.queue.nowMs, txs });
    this.transfersCommitted += txs;
    this.evidenceCommitted += evidence;
    const stored = node.disk.visible.blocks.get(height);
    if (stored) this.agreedBlocks.set(height, { block: stored.block, certificate: stored.certificate });
    // The reference follows the agreed chain in height order.
    for (;;) {
      const next = this.agreedBlocks.get(this.reference.height + 1n);
      if (!next) break;
      this.agreedBlocks.delete(this.reference.height + 1n);
      const ok = await this.validity.onAgreed(this.reference.height + 1n, next.block, next.certificate);
      if (!ok) break;
      this.supply.check(`the reference state at height ${this.reference.height}`, this.referenceDisk.visible.accounts);
      this.appendOnly.check('reference', `the reference at height ${this.reference.height}`, this.referenceDisk.visible.logs);
    }
  }

  // ---- ports ----------------------------------------------------------------------------------

  private logger(node: SimNode, inc: number): Logger {
    return (level, message, fields) => {
      if (!node.alive(inc)) return;
      const line = `${level} ${message}${fields ? ' ' + JSON.stringify(fields, (_, v) => (typeof v === 'bigint' ? v.toString() : v)) : ''}`;
      node.log.push(line);
      if (node.log.length > LOG_LINES_KEPT) node.log.shift();
      if (message.startsWith('SIGNER REFUSED')) this.violations.add('signer refusal', `node ${node.index} at t=${this.queue.nowMs}ms: ${line}`);
      else if (level === 'error') this.violations.add('replica error', `node ${node.index} at t=${this.queue.nowMs}ms: ${line}`);
    };
  }

  private clock(node: SimNode, inc: number): Clock {
    const skew = this.s.clockSkewMs[node.index];
    return {
      nowMs: () => GENESIS_TIME_MS + this.queue.nowMs + skew,
      setTimer: (delayMs, fn) => {
        const handle = { cancelled: false };
        this.queue.schedule(delayMs, {
          label: `timer/${node.index}`,
          run: () => {
            if (!handle.cancelled && node.alive(inc)) fn();
          },
        });
        return handle;
      },
      clearTimer: (handle) => {
        (handle as { cancelled: boolean }).cancelled = true;
      },
    };
  }

  private linkUp(from: number, to: number): boolean {
    if (this.healed) return true;
    const now = this.queue.nowMs;
    for (const p of this.s.partitions) if (now >= p.startMs && now < p.endMs && p.group[from] !== p.group[to]) return false;
    return true;
  }

  /** One message on one link: partitions, loss, duplication and delay (so reordering) apply. */
  private send(from: number, to: number, topic: string, data: Uint8Array): void {
    if (!this.linkUp(from, to)) return;
    if (!this.healed && this.net.chance(this.s.lossProbability)) return;
    const copies = !this.healed && this.net.chance(this.s.duplicateProbability) ? 2 : 1;
    const delayMax = this.healed ? Math.min(this.s.delayMsMax, 100) : this.s.delayMsMax;
    for (let i = 0; i < copies; i++) {
      this.queue.schedule(this.net.int(this.s.delayMsMin, delayMax), {
        label: `deliver/${from}>${to}/${topic}`,
        run: async () => {
          const target = this.nodes[to];
          const handler = target.up ? target.handlers.get(topic) : undefined;
          if (handler) await handler(data, `sim-${from}`);
        },
      });
    }
  }

  private network(node: SimNode, inc: number, alive: () => boolean): ReplicaNetwork & Pick<Network, 'setHandler'> {
    const from = node.index;
    const peers: PeerInfo[] = this.nodes.filter((n) => n !== node).map((n) => ({ peerId: `sim-${n.index}`, validatorIndex: n.index }));
    return {
      setHandler: (topic, handler) => {
        if (alive()) node.handlers.set(topic, handler);
      },
      publish: async (topic, data) => {
        if (!alive()) return;
        this.boundary(node);
        if (!alive()) return;
        this.observePublished(node, topic, data);
        const byzantine = this.s.byzantine?.node === node.index ? this.s.byzantine : undefined;
        if (byzantine?.mode === 'silent') return;
        if (byzantine?.mode === 'flood' && topic === 'vote') this.flood(node);
        const sent = byzantine?.mode === 'invalidBlocks' ? this.invalidInstead(node, topic, data) : data;
        for (const other of this.nodes) if (other !== node) this.send(from, other.index, topic, sent);
        if (byzantine?.mode === 'equivocate' && this.byz.chance(byzantine.probability)) this.equivocate(node, topic, data);
        if (byzantine && this.byz.chance(0.05)) this.junk(node, topic, sent);
      },
      peers: () => peers,
      serveSync: (handler) => {
        if (alive()) node.syncHandler = handler;
      },
      requestSync: (peerId, request, timeoutMs = 10_000) =>
        new Promise((resolve, reject) => {
          const to = Number(peerId.slice('sim-'.length));
          let settled = false;
          const timer = this.clock(node, inc).setTimer(timeoutMs, () => {
            if (!settled) reject(new Error(`sync request to ${peerId} timed out`));
            settled = true;
          });
          void timer;
          if (!this.linkUp(from, to) || (!this.healed && this.net.chance(this.s.lossProbability))) return;
          this.queue.schedule(this.net.int(this.s.delayMsMin, this.healed ? Math.min(this.s.delayMsMax, 100) : this.s.delayMsMax), {
            label: `sync/${from}>${to}/${request.kind}`,
            run: async () => {
              const target = this.nodes[to];
              if (!target.up || !target.syncHandler) return;
              const response = await target.syncHandler(request);
              this.queue.schedule(this.net.int(this.s.delayMsMin, this.healed ? Math.min(this.s.delayMsMax, 100) : this.s.delayMsMax), {
                label: `syncReply/${to}>${from}`,
                run: () => {
                  if (settled || !alive()) return;
                  settled = true;
                  resolve(response);
                },
              });
            },
          });
        }),
    };
  }

  /** What a validator signed is seen as it leaves: the double-sign and durability checkers. */
  private observePublished(node: SimNode, topic: string, data: Uint8Array): void {
    if (topic === 'vote') {
      const v = decodeVote(decodeVoteEnvelope(data).vote);
      if (v.round > this.maxRound) this.maxRound = v.round;
      if (v.validatorIndex === node.index) this.doubleSign.onSign(node.index, { height: v.height, round: v.round, step: v.type, blockHash: v.blockHash });
    } else if (topic === 'proposal') {
      const envelope = decodeProposalEnvelope(data);
      const p = decodeProposal(envelope.proposal);
      if (this.s.byzantine?.mode === 'flood') this.lastProposalHeader = decodeCompactBlock(envelope.compactBlock).header;
      if (p.proposerIndex !== node.index) return;
      this.doubleSign.onSign(node.index, { height: p.height, round: p.round, step: 'proposal', blockHash: p.blockHash });
      const hex = bytesToHex(p.blockHash);
      if (!node.disk.holdsDurably(p.height, hex)) {
        this.violations.add('durable before signed', `node ${node.index} signed its proposal of height ${p.height} round ${p.round} (valid round ${p.validRound}) for block ${hex.slice(0, 12)}, which is not durable on its disk (t=${this.queue.nowMs}ms)`);
      }
    }
    this.maybeCrashAfterWrite(node);
  }

  /**
   * THE BYZANTINE ACTOR (not the replica): for a vote or proposal its replica just sent, it
   * signs a conflicting one for the same height, round and step with the validator's key,
   * bypassing the guarded signer on purpose, and sends it to a drawn subset of peers, who see
   * both in whatever order the network gives. A vote is turned to nil, or nil to a block no one
   * has; a proposal gets another valid block (the same block one millisecond later).
   */
  private equivocate(node: SimNode, topic: string, data: Uint8Array): void {
    const key = this.fx.keys[node.index];
    let conflicting: Uint8Array;
    if (topic === 'vote') {
      const { vote: voteBytes } = decodeVoteEnvelope(data);
      const v = decodeVote(voteBytes);
      if (v.validatorIndex !== node.index) return; // a polka it forwards, not its own vote
      const blockHashOther = v.blockHash.every((b) => b === 0) ? sha256(new TextEncoder().encode(`byzantine/${this.equivocations}`)) : ZERO_HASH;
      const { signature: _, ...unsigned } = v;
      conflicting = encodeVoteEnvelope({ vote: encodeVote(signVote({ ...unsigned, blockHash: blockHashOther }, key.secretKey)), sentAtMs: decodeVoteEnvelope(data).sentAtMs });
    } else if (topic === 'proposal') {
      const envelope = decodeProposalEnvelope(data);
      const p = decodeProposal(envelope.proposal);
      if (p.proposerIndex !== node.index) return;
      const compact = decodeCompactBlock(envelope.compactBlock);
      const other = { ...compact, header: { ...compact.header, timeMs: compact.header.timeMs + 1n } };
      const { signature: _, ...unsigned } = p;
      const proposal = signProposal({ ...unsigned, blockHash: blockHash(other.header) }, key.secretKey);
      conflicting = encodeProposalEnvelope({ proposal: encodeProposal(proposal), compactBlock: encodeCompactBlock(other), sentAtMs: envelope.sentAtMs });
    } else return;
    this.equivocations++;
    for (const peer of this.nodes) if (peer !== node && this.byz.chance(0.5)) this.send(node.index, peer.index, topic, conflicting);
  }

  /**
   * THE BYZANTINE ACTOR, 'invalidBlocks': its own proposal becomes one of an invalid block (the
   * header's state root altered, so it fails re-execution), its own votes become votes for
   * that block (or, without one at hand, for a block no one has), signed with its key.
   */
  private invalidInstead(node: SimNode, topic: string, data: Uint8Array): Uint8Array {
    const key = this.fx.keys[node.index];
    if (topic === 'proposal') {
      const envelope = decodeProposalEnvelope(data);
      const p = decodeProposal(envelope.proposal);
      if (p.proposerIndex !== node.index) return data;
      const compact = decodeCompactBlock(envelope.compactBlock);
      const stateRoot = compact.header.stateRoot.slice();
      stateRoot[0] ^= 0xff;
      const invalid = { ...compact, header: { ...compact.header, stateRoot } };
      const hash = blockHash(invalid.header);
      this.invalidBlockOf.set(`${p.height}/${p.round}`, hash);
      const { signature: _, ...unsigned } = p;
      return encodeProposalEnvelope({ proposal: encodeProposal(signProposal({ ...unsigned, blockHash: hash, validRound: NO_ROUND }, key.secretKey)), compactBlock: encodeCompactBlock(invalid), sentAtMs: envelope.sentAtMs });
    }
    if (topic === 'vote') {
      const envelope = decodeVoteEnvelope(data);
      const v = decodeVote(envelope.vote);
      if (v.validatorIndex !== node.index) return data;
      const hash = this.invalidBlockOf.get(`${v.height}/${v.round}`) ?? sha256(new TextEncoder().encode(`invalid/${v.height}/${v.round}`));
      const { signature: _, ...unsigned } = v;
      return encodeVoteEnvelope({ vote: encodeVote(signVote({ ...unsigned, blockHash: hash }, key.secretKey)), sentAtMs: envelope.sentAtMs });
    }
    return data;
  }

  /**
   * THE BYZANTINE ACTOR (ReplicaSimOptions.floodProposals): FLOOD_PROPOSALS proposals of the
   * height it is in, signed with its key, each for an empty block of its own (the last
   * proposal header seen, a millisecond apart) in rounds 10,000 on; made once a height.
   */
  private flood(node: SimNode): void {
    const height = (node.replica?.chain.height ?? 0n) + 1n;
    if (!this.lastProposalHeader) return;
    if (this.floodBatch?.height !== height) {
      const key = this.fx.keys[node.index];
      const empty = { txRoot: txRoot(CHAIN_ID, []), evidenceRoot: evidenceRoot(CHAIN_ID, []) };
      const messages = Array.from({ length: FLOOD_PROPOSALS }, (_, k) => {
        const header = { ...this.lastProposalHeader!, ...empty, height, timeMs: this.lastProposalHeader!.timeMs + BigInt(k + 1) };
        const proposal = signProposal({ chainId: CHAIN_ID, height, round: 10_000 + k, blockHash: blockHash(header), validRound: NO_ROUND, proposerIndex: node.index }, key.secretKey);
        return encodeProposalEnvelope({ proposal: encodeProposal(proposal), compactBlock: encodeCompactBlock({ header, txLeafHashes: [], evidence: [] }), sentAtMs: 0n });
      });
      this.floodBatch = { height, messages };
    }
    for (const data of this.floodBatch.messages) for (const peer of this.nodes) if (peer !== node) this.send(node.index, peer.index, 'proposal', data);
  }

  /** THE BYZANTINE ACTOR: a copy of a vote or proposal with one signature bit flipped, to every peer. */
  private junk(node: SimNode, topic: string, data: Uint8Array): void {
    let junk: Uint8Array;
    const flip = (signature: Uint8Array) => {
      const out = signature.slice();
      out[this.byz.int(0, out.length - 1)] ^= 1 << this.byz.int(0, 7);
      return out;
    };
    if (topic === 'vote') {
      const envelope = decodeVoteEnvelope(data);
      const v = decodeVote(envelope.vote);
      junk = encodeVoteEnvelope({ vote: encodeVote({ ...v, signature: flip(v.signature) }), sentAtMs: envelope.sentAtMs });
    } else if (topic === 'proposal') {
      const envelope = decodeProposalEnvelope(data);
      const p = decodeProposal(envelope.proposal);
      junk = encodeProposalEnvelope({ ...envelope, proposal: encodeProposal({ ...p, signature: flip(p.signature) }) });
    } else return;
    for (const peer of this.nodes) if (peer !== node) this.send(node.index, peer.index, topic, junk);
  }

  /** During the safety phase, sometimes a crash right after a message left: the writes in flight are lost. */
  private maybeCrashAfterWrite(node: SimNode): void {
    if (this.healed || this.crashes >= this.s.crashesMax || !this.host.chance(this.s.crashInWriteProbability)) return;
    const downMs = this.host.int(10, 1_500);
    this.queue.schedule(0, { label: `crash/${node.index}`, run: () => this.crash(node, downMs) });
  }
}

export { CHAIN_ID as REPLICA_SIM_CHAIN_ID, genesisHash };
