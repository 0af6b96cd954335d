// `pantheon node`: the replica (node/replica.ts: consensus driver, chain, mempool, syncer over
// ports, docs/replica.md) plugged into libp2p, LevelDB, the sign-record file and the wall
// clock, plus what is not the replica. The node composes; each job has its module: the block
// transition (state/process-block.ts, run by node/chain.ts), the gossip checks (node/gossip-checks.ts), the anchor bridge
// (node/anchor-bridge.ts), the HTTP queries (node/queries.ts), and admission (node/admission.ts).
import { bytesToHex } from '../protocol/bytes.ts';
import { addressBytes, type KeyPair } from '../protocol/keys.ts';
import { decodeTx, type AnchorAttestationPayload } from '../protocol/tx.ts';
import type { Block } from '../protocol/block.ts';
import { genesisHash, genesisValidatorSet, type Genesis } from '../genesis/genesis.ts';
import type { Chain } from './chain.ts';
import type { ConsensusDriver } from './consensus-driver.ts';
import { createLogger, type Logger } from './log.ts';
import { DEFAULT_MEMPOOL_LIMITS, Mempool, type MempoolLimits } from './mempool.ts';
import { Admission, type AdmitResult } from './admission.ts';
import { NodeMetrics } from './metrics.ts';
import { installFastCrypto } from './fast-crypto.ts';
import { createNetwork, type Network } from './p2p/index.ts';
import { openDataDir } from './data-dir.ts';
import type { NodeStore } from './store.ts';
import type { Syncer } from './syncer.ts';
import { systemClock } from './ports.ts';
import { Replica } from './replica.ts';
import { signRecordFileStore } from './sign-record-file.ts';
import { AnchorBridge, type AnchorOptions } from './anchor-bridge.ts';
import { attachGossipChecks } from './gossip-checks.ts';
import { NodeQueries } from './queries.ts';
import type { BitcoinNetworkName } from '../anchor/verify-bitcoin.ts';

export type { AnchorOptions };
export { holdsSomethingNew } from './anchor-bridge.ts';

export interface NodeConfig {
  dataDir: string;
  genesis: Genesis;
  validatorKey?: KeyPair;
  p2pListen: string[];
  peers: string[];
  log?: Logger;
  rebroadcastMs?: number;
  syncIntervalMs?: number;
  /** Anchor into Bitcoin through this node's bitcoind-compatible RPC (needs validatorKey to sign attestations). */
  anchor?: AnchorOptions;
  /** Optional cross-check: the genesis names the Bitcoin network; a different one here refuses to start. */
  bitcoinNetwork?: BitcoinNetworkName;
  /** Start a validator whose data directory lost its last-sign record (the operator accepts the double-signing risk). */
  unsafeNoSignRecord?: boolean;
  /** Mempool limits other than the defaults (docs/api.md, "The mempool"). */
  mempool?: Partial<MempoolLimits>;
}

export class PantheonNode {
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  private startedAtMs = Date.now();
  /** The anchorer's side of the node: blocks out, attestations in, anchors served. */
  readonly anchors: AnchorBridge;
  /** The read-only answers the HTTP API serves. */
  readonly queries: NodeQueries;
  /** Admission of transactions from HTTP and gossip, mempool reload and expiry. */
  readonly admission: Admission;
  /** Header time of the newest committed block, for the block-interval histogram. */
  private lastBlockTimeMs: number | undefined;

  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly driver: ConsensusDriver;
  readonly syncer: Syncer;

  private constructor(
    readonly config: NodeConfig,
    readonly store: NodeStore,
    private readonly replica: Replica,
    readonly network: Network,
    readonly validatorIndex: number | undefined,
    log: Logger,
    metrics: NodeMetrics,
  ) {
    const { chain, mempool, driver, syncer } = replica;
    this.chain = chain;
    this.mempool = mempool;
    this.driver = driver;
    this.syncer = syncer;
    this.anchors = new AnchorBridge({ dataDir: config.dataDir, genesis: config.genesis, validatorKey: config.validatorKey, chain, store, mempool, admit: (bytes, options) => this.admit(bytes, options), log });
    this.queries = new NodeQueries({ chain, store, mempool, driver, network, syncer, anchors: this.anchors, validatorIndex, startedAtMs: this.startedAtMs });
    this.log = log;
    this.metrics = metrics;
    this.admission = new Admission({ chain, store, mempool, network, metrics, log, onAdmitted: () => driver.notifyIncludable() });
  }

  static async start(config: NodeConfig): Promise<PantheonNode> {
    const log = config.log ?? createLogger('node');
    if (config.bitcoinNetwork !== undefined && config.bitcoinNetwork !== config.genesis.bitcoin.network) {
      throw new Error(`the genesis anchors chain ${config.genesis.chainId} into Bitcoin ${config.genesis.bitcoin.network}, not ${config.bitcoinNetwork} (drop --bitcoin-network, or use the genesis of the chain you mean)`);
    }
    await installFastCrypto();
    const validatorAddress = config.validatorKey && bytesToHex(addressBytes(config.validatorKey.publicKey));
    const validatorIndex = validatorAddress === undefined ? undefined : genesisValidatorSet(config.genesis).indexByAddress.get(validatorAddress);
    if (validatorAddress !== undefined && validatorIndex === undefined) throw new Error('the validator key is not in the genesis validator set');
    // Storage and the sign record are checked before anything network-facing exists.
    const { store, signRecord, signRecordPath } = await openDataDir({
      dataDir: config.dataDir,
      chainId: config.genesis.chainId,
      genesisHash: genesisHash(config.genesis),
      validator: validatorAddress === undefined ? undefined : { address: validatorAddress, index: validatorIndex! },
      unsafeNoSignRecord: config.unsafeNoSignRecord,
      log,
    });
    let network: Network | undefined;
    let syncer: Syncer | undefined;
    try {
      const metrics = new NodeMetrics();
      const mempool = new Mempool({ ...DEFAULT_MEMPOOL_LIMITS, ...config.mempool }, config.genesis.params.minFee);
      const chainId = config.genesis.chainId;
      network = await createNetwork({
        dataDir: config.dataDir,
        chainId,
        listen: config.p2pListen,
        bootstrap: config.peers,
        log: (event, fields, level) => log(level ?? 'debug', event, fields),
        // The hello proves our peer id with the validator key; peers' proofs are checked against genesis.
        validator: config.validatorKey && validatorIndex !== undefined ? { index: validatorIndex, secretKey: config.validatorKey.secretKey } : undefined,
        validatorPublicKeys: genesisValidatorSet(config.genesis).validators.map((v) => v.publicKey),
        onPeerPenalty: () => metrics.countPeerScoreDrop(),
      });
      let node: PantheonNode | undefined;
      const replica = await Replica.create(
        { clock: systemClock, network, store, log },
        {
          genesis: config.genesis,
          mempool,
          validator:
            config.validatorKey && validatorAddress !== undefined && validatorIndex !== undefined
              ? { index: validatorIndex, key: config.validatorKey, signState: signRecordFileStore(signRecordPath, { chainId, validator: validatorAddress }), record: signRecord }
              : undefined,
          rebroadcastMs: config.rebroadcastMs ?? 2000,
          syncIntervalMs: config.syncIntervalMs ?? 1000,
          onCommitted: (block, hashHex, txIds) => node?.afterCommit(block, hashHex, txIds),
          onUnincludable: (id, error) => node?.admission.dropUnincludable(id, error),
          onSignerRefusal: () => metrics.countSignerRefusal(),
        },
      );
      syncer = replica.syncer;
      node = new PantheonNode(config, store, replica, network, validatorIndex, log, metrics);
      node.connectMetrics();
      await node.admission.reload();
      node.admission.startExpiry();
      node.attachGossip();
      // The anchor bridge is ready before the first block commits (by sync or consensus).
      if (config.anchor) await node.startAnchoring(config.anchor);
      await replica.start();
      log('info', 'node started', { chainId, height: replica.chain.height, validator: validatorIndex ?? 'none', peerId: network.peerId, addresses: network.addresses() });
      return node;
    } catch (err) {
      // Whatever started stops, so a failed start exits instead of lingering half-up.
      syncer?.stop();
      await network?.stop().catch(() => undefined);
      await store.close().catch(() => undefined);
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.admission.stop();
    await this.anchors.stop();
    await this.replica.stop();
    await this.network.stop();
    await this.store.close();
  }

  /** Whatever committed the block (consensus or sync), after the replica left its mempool and evidence pool: metrics, anchoring. */
  private afterCommit(block: Block, hashHex: string, txIds: readonly string[]): void {
    this.metrics.markCommitted(txIds, Number(block.header.timeMs), this.lastBlockTimeMs);
    this.lastBlockTimeMs = Number(block.header.timeMs);
    this.anchors.committed(block, hashHex);
  }

  private connectMetrics(): void {
    const { chain, driver, network, mempool, syncer, store, metrics } = this;
    this.lastBlockTimeMs = chain.lastHeader ? Number(chain.lastHeader.timeMs) : undefined;
    chain.commitSecondsObserver = (seconds) => metrics.blockCommitSeconds.observe(seconds);
    metrics.observe({
      chainHeight: () => Number(chain.height),
      consensusHeight: () => Number(driver.height),
      consensusRound: () => driver.round,
      peers: () => network.peers().length,
      gossipDuplicatesReceived: () => network.duplicatesReceived(),
      mempoolTransactions: () => mempool.size,
      mempoolBytes: () => mempool.byteSize,
      commitmentLogLeaves: () => chain.log.size,
      syncBestPeerHeight: () => Number(syncer.progress.bestPeerHeight),
      attestedHeight: async () => {
        const latest = await store.latestAttestation();
        return latest ? Number((decodeTx(latest).payload as AnchorAttestationPayload).pantheonHeight) : 0;
      },
      anchor: () => this.anchors.figures(),
    });
  }

  // ---- anchoring (node/anchor-bridge.ts) ----------------------------------------------------

  private startAnchoring(o: AnchorOptions): Promise<void> {
    return this.anchors.start(o);
  }

  get anchorAddress(): string | undefined {
    return this.anchors.address;
  }

  // ---- transactions -------------------------------------------------------------------------

  /** Admits a transaction from HTTP or gossip (node/admission.ts). */
  admit(bytes: Uint8Array, options: { persist: boolean; gossip: boolean }): Promise<AdmitResult> {
    return this.admission.admit(bytes, options);
  }

  // ---- gossip (node/gossip-checks.ts) --------------------------------------------------------

  private attachGossip(): void {
    const { network, chain, store, driver, syncer, metrics, log } = this;
    attachGossipChecks({ network, chain, store, driver, syncer, metrics, log, admit: (bytes, options) => this.admit(bytes, options) });
  }

  // ---- queries for the HTTP API (node/queries.ts) --------------------------------------------

  status() {
    return this.queries.status();
  }

  account(address: string) {
    return this.queries.account(address);
  }

  txStatus(idHex: string) {
    return this.queries.txStatus(idHex);
  }

  /** The confirmed Bitcoin anchor covering `height`, if any. */
  anchorFor(height: bigint) {
    return this.anchors.anchorFor(height);
  }

  block(height: bigint) {
    return this.queries.block(height);
  }

  proofPieces(commitmentIdHex: string) {
    return this.queries.proofPieces(commitmentIdHex);
  }

  logHistory(logId: string, from: bigint, limit: number) {
    return this.queries.logHistory(logId, from, limit);
  }

  genesisJson() {
    return this.queries.genesisJson();
  }
}
