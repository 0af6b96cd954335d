// `pantheon node`: storage, chain, mempool, network, consensus and sync put together. Every
// message from the network is decoded and checked (size, chain id, signature, nonce, fee)
// before it is forwarded or used; bad ones are rejected (the peer's score drops), duplicates
// and stale ones ignored quietly.
import { join } from 'node:path';
import { blockHash, checkBlockBody, decodeBlock, encodeHeader, type Block } from '../protocol/block.ts';
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';
import { checkEvidence, decodeEvidence, evidenceKey } from '../protocol/evidence.ts';
import { decodeProposalEnvelope, decodeVoteEnvelope } from '../protocol/gossip.ts';
import { addressBytes, addressOf, decodeAddress, encodeAddress, type KeyPair } from '../protocol/keys.ts';
import { logIdOwner } from '../protocol/tx.ts';
import { checkProposal, checkVote, decodeProposal, decodeVote, encodeVote } from '../protocol/vote.ts';
import { sha256 } from '../protocol/hash.ts';
import { genesisHash, genesisToJson, genesisValidatorSet, type Genesis } from '../genesis/genesis.ts';
import { Chain } from './chain.ts';
import { ConsensusDriver } from './consensus-driver.ts';
import { createLogger, type Logger } from './log.ts';
import { DEFAULT_MEMPOOL_LIMITS, Mempool, type MempoolLimits } from './mempool.ts';
import { Admission, type AdmitResult } from './admission.ts';
import { NodeMetrics } from './metrics.ts';
import { PassWatch } from './pass-watch.ts';
import { installFastCrypto } from './fast-crypto.ts';
import { createNetwork, type Network, type Verdict } from './p2p/index.ts';
import { openDataDir } from './data-dir.ts';
import { GuardedSigner } from './signer.ts';
import type { NodeStore } from './store.ts';
import { Syncer } from './syncer.ts';
import { Anchorer, type AnchorAttestation } from '../anchor/anchorer.ts';
import { BitcoinRpc, type BitcoinRpcOptions } from '../anchor/rpc.ts';
import { hashToDisplayHex, parseBlockHeader, parseRawTransaction, type BitcoinNetworkName } from '../anchor/verify-bitcoin.ts';
import { decodeTx, encodeTx, signTx, type AnchorAttestationPayload } from '../protocol/tx.ts';
import { hexToBytes } from '../protocol/bytes.ts';

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

export interface AnchorOptions {
  rpc: BitcoinRpcOptions;
  confirmations: number;
  pollMs?: number;
}

const SEEN_VOTES_MAX = 10_000;

/**
 * Whether a committed block finalised something new for the anchor (docs/anchor.md): a
 * transaction other than an anchor attestation, or evidence. Heartbeat blocks and blocks of
 * attestations alone are not new.
 */
export function holdsSomethingNew(block: Block): boolean {
  if (block.evidence.length > 0) return true;
  return block.txs.some((bytes) => decodeTx(bytes).payload.kind !== 'anchorAttestation');
}

export class PantheonNode {
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  private readonly seenVotes = new Set<string>();
  private startedAtMs = Date.now();
  private anchorer: Anchorer | undefined;
  private bitcoinRpc: BitcoinRpc | undefined;
  private anchorPoll: NodeJS.Timeout | undefined;
  private anchorPasses: PassWatch | undefined;
  /** Header time of the newest committed block, for the block-interval histogram. */
  private lastBlockTimeMs: number | undefined;
  readonly admission: Admission;

  private constructor(
    readonly config: NodeConfig,
    readonly store: NodeStore,
    readonly chain: Chain,
    readonly mempool: Mempool,
    readonly network: Network,
    readonly driver: ConsensusDriver,
    readonly syncer: Syncer,
    readonly validatorIndex: number | undefined,
    log: Logger,
    metrics: NodeMetrics,
  ) {
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
      const chain = await Chain.load(config.genesis, store);
      const metrics = new NodeMetrics();
      const signer =
        config.validatorKey && validatorAddress !== undefined
          ? new GuardedSigner({ key: config.validatorKey, path: signRecordPath, chainId: chain.chainId, validator: validatorAddress, record: signRecord, committedHeight: () => chain.height, log, onRefusal: () => metrics.countSignerRefusal() })
          : undefined;
      const mempool = new Mempool({ ...DEFAULT_MEMPOOL_LIMITS, ...config.mempool }, config.genesis.params.minFee);
      network = await createNetwork({
        dataDir: config.dataDir,
        chainId: chain.chainId,
        listen: config.p2pListen,
        bootstrap: config.peers,
        log: (event, fields, level) => log(level ?? 'debug', event, fields),
        // The hello proves our peer id with the validator key; peers' proofs are checked against genesis.
        validator: config.validatorKey && validatorIndex !== undefined ? { index: validatorIndex, secretKey: config.validatorKey.secretKey } : undefined,
        validatorPublicKeys: chain.validators.validators.map((v) => v.publicKey),
        onPeerPenalty: () => metrics.countPeerScoreDrop(),
      });
      let node: PantheonNode | undefined;
      const driver = new ConsensusDriver({
        chain,
        store,
        network,
        mempool,
        log,
        validator: signer && validatorIndex !== undefined ? { index: validatorIndex, signer } : undefined,
        rebroadcastMs: config.rebroadcastMs ?? 2000,
        onCommitted: (block, hashHex, txIds, evidenceKeys) => node?.afterCommit(block, hashHex, txIds, evidenceKeys),
        onMissingBlock: () => node?.syncer.poke(),
        onUnincludable: (id, error) => node?.admission.dropUnincludable(id, error),
      });
      syncer = new Syncer(chain, driver, network, log, config.syncIntervalMs ?? 1000, (block, hashHex, txIds, evidenceKeys) => node?.afterCommit(block, hashHex, txIds, evidenceKeys));
      node = new PantheonNode(config, store, chain, mempool, network, driver, syncer, validatorIndex, log, metrics);
      node.connectMetrics();
      await node.admission.reload();
      node.admission.startExpiry();
      node.attachGossip();
      syncer.start();
      if (config.anchor) await node.startAnchoring(config.anchor);
      await driver.start();
      log('info', 'node started', { chainId: chain.chainId, height: chain.height, validator: validatorIndex ?? 'none', peerId: network.peerId, addresses: network.addresses() });
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
    if (this.anchorPoll) clearInterval(this.anchorPoll);
    await this.anchorer?.close();
    this.syncer.stop();
    await this.driver.stop();
    await this.network.stop();
    await this.store.close();
  }

  /** Whatever committed the block (consensus or sync): mempool, metrics, anchoring. */
  private afterCommit(block: Block, hashHex: string, txIds: readonly string[], evidenceKeys: readonly string[]): void {
    for (const id of txIds) this.mempool.remove(id);
    for (const key of evidenceKeys) this.driver.evidencePool.delete(key);
    this.metrics.markCommitted(txIds, Number(block.header.timeMs), this.lastBlockTimeMs);
    this.lastBlockTimeMs = Number(block.header.timeMs);
    // Only blocks with something new count for anchoring: a heartbeat block, or one holding
    // only anchor attestations, would otherwise make every anchor trigger the next.
    if (this.anchorer && holdsSomethingNew(block)) this.anchorPasses!.watch(this.anchorer.tick({ height: block.header.height, root: hexToBytes(hashHex, 'block hash', 32) }));
  }

  /** The newest block holding something new, searching back from the tip to `above` (exclusive). */
  private async newestBlockWithSomethingNew(above: bigint): Promise<{ height: bigint; hash: Uint8Array } | undefined> {
    for (let h = this.chain.height; h > above && h > 0n; h--) {
      const bytes = await this.store.block(h);
      if (!bytes) return undefined;
      const block = decodeBlock(bytes);
      if (holdsSomethingNew(block)) return { height: h, hash: blockHash(block.header) };
    }
    return undefined;
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
      mempoolTransactions: () => mempool.size,
      mempoolBytes: () => mempool.byteSize,
      commitmentLogLeaves: () => chain.log.size,
      syncBestPeerHeight: () => Number(syncer.progress.bestPeerHeight),
      attestedHeight: async () => {
        const latest = await store.latestAttestation();
        return latest ? Number((decodeTx(latest).payload as AnchorAttestationPayload).pantheonHeight) : 0;
      },
      anchor: () => this.anchorer?.figures(),
    });
  }

  // ---- anchoring ----------------------------------------------------------------------------

  private async startAnchoring(o: AnchorOptions): Promise<void> {
    if (!this.config.validatorKey) throw new Error('anchoring needs --key: the validator key signs the attestation transactions');
    this.bitcoinRpc = new BitcoinRpc(o.rpc);
    this.anchorPasses = new PassWatch(this.log, 'anchor pass');
    this.anchorer = await Anchorer.open({
      dataDir: join(this.config.dataDir, 'anchor'),
      chainId: this.chain.chainId,
      rpc: this.bitcoinRpc,
      intervalSeconds: this.config.genesis.params.anchorIntervalSeconds,
      confirmations: o.confirmations,
      expectedNetwork: this.config.genesis.bitcoin.network,
      onAttestation: (a) => this.submitAttestation(a),
      log: (line, level) => this.log(level ?? 'info', line, { component: 'anchor' }),
    });
    this.log('info', 'anchoring enabled', { bitcoinAddress: this.anchorer.address, intervalSeconds: this.config.genesis.params.anchorIntervalSeconds, confirmations: o.confirmations });
    // After a restart: what was final before it and is not anchored yet still needs its anchor.
    const anchored = this.anchorer.anchoredHeight();
    const pending = await this.newestBlockWithSomethingNew(anchored);
    if (pending) this.anchorPasses.watch(this.anchorer.tick({ height: pending.height, root: pending.hash }));
    this.anchorPoll = setInterval(() => this.anchorer && this.anchorPasses!.watch(this.anchorer.poll()), o.pollMs ?? 2000);
  }

  get anchorAddress(): string | undefined {
    return this.anchorer?.address;
  }

  /** Records a confirmed anchor on Pantheon with a signed attestation transaction (idempotent). */
  private async submitAttestation(a: AnchorAttestation): Promise<void> {
    const key = this.config.validatorKey!;
    const pantheonHeight = BigInt(a.pantheonHeight);
    const existing = await this.store.attestationCovering(pantheonHeight);
    if (existing) {
      const p = decodeTx(existing).payload as AnchorAttestationPayload;
      if (p.pantheonHeight === pantheonHeight && hashToDisplayHex(parseRawTransaction(p.btcTx).txid) === a.txid && hashToDisplayHex(parseBlockHeader(p.btcHeader).hash) === a.blockHash) return;
    }
    const payload: AnchorAttestationPayload = {
      kind: 'anchorAttestation',
      pantheonHeight,
      root: hexToBytes(a.rootHex, 'root', 32),
      btcTx: hexToBytes(a.rawTxHex, 'rawTx'),
      btcHeader: hexToBytes(a.headerHex, 'header', 80),
      btcHeight: a.blockHeight,
      merkleIndex: a.merkleIndex,
      merkleSiblings: a.merkleSiblingsHex.map((h) => hexToBytes(h, 'merkle sibling', 32)),
      followingHeaders: a.followingHeadersHex.map((h) => hexToBytes(h, 'header', 80)),
    };
    const sender = bytesToHex(addressBytes(key.publicKey));
    let nonce = this.chain.account(sender)?.nonce ?? 0n;
    while (this.mempool.hasNonce(sender, nonce)) nonce++;
    const tx = signTx({ chainId: this.chain.chainId, senderPublicKey: key.publicKey, nonce, fee: this.chain.genesis.params.minFee, payload }, key.secretKey);
    const r = await this.admit(encodeTx(tx), { persist: true, gossip: true });
    if (!r.ok && !r.duplicate) throw new Error(`attestation transaction refused: ${r.error}`);
    // The anchorer has logged the attestation at info already.
    this.log('debug', 'anchor attested', { pantheonHeight: a.pantheonHeight, bitcoinTx: a.txid, bitcoinBlock: a.blockHash, bitcoinHeight: a.blockHeight, confirmations: a.confirmations });
  }

  /** The committed attestation covering `height`, when its Bitcoin block is still on our best chain (if we have a Bitcoin view). */
  private async attestationFor(height: bigint): Promise<AnchorAttestationPayload | undefined> {
    const bytes = await this.store.attestationCovering(height);
    if (!bytes) return undefined;
    const p = decodeTx(bytes).payload as AnchorAttestationPayload;
    if (this.bitcoinRpc) {
      const blockHash = hashToDisplayHex(parseBlockHeader(p.btcHeader).hash);
      const onBest = await this.bitcoinRpc.getBlockHash(p.btcHeight).then((h) => h === blockHash, () => false);
      if (!onBest) return undefined; // a reorg removed it: never serve it; the anchorer attests again
    }
    return p;
  }

  // ---- transactions -------------------------------------------------------------------------

  /** Admits a transaction from HTTP or gossip (node/admission.ts). */
  admit(bytes: Uint8Array, options: { persist: boolean; gossip: boolean }): Promise<AdmitResult> {
    return this.admission.admit(bytes, options);
  }

  // ---- gossip -------------------------------------------------------------------------------

  private attachGossip(): void {
    const verdict = (name: string, v: Verdict, from: string, why?: string): Verdict => {
      if (v === 'reject') {
        this.metrics.gossipRejected.inc();
        this.log('warn', `rejected ${name} from peer`, { peer: from, error: why });
      }
      return v;
    };

    this.network.setHandler('tx', async (data, from) => {
      const r = await this.admit(data, { persist: false, gossip: false });
      if (r.ok) return 'accept';
      if (r.invalid) return verdict('transaction', 'reject', from, r.error);
      // Our mempool being full is not the sender's fault; anything else it sent was of no use.
      return { verdict: r.error.startsWith('mempool is full') ? 'ignore' : 'useless', reason: `transaction: ${r.error}` };
    });

    this.network.setHandler('vote', (data, from) => {
      let vote;
      try {
        vote = decodeVote(decodeVoteEnvelope(data).vote);
      } catch (err) {
        return verdict('vote', 'reject', from, (err as Error).message);
      }
      // A vote for the height just committed is normal lateness; older ones are useless traffic.
      if (vote.height < this.chain.height) return { verdict: 'useless', reason: `vote for height ${vote.height}, committed long ago` };
      if (vote.height === this.chain.height) return { verdict: 'ignore', reason: 'vote for the height just committed' };
      // Keyed by the whole signed vote: a copy with another signature is checked on its own.
      const key = bytesToHex(sha256(encodeVote(vote)));
      if (this.seenVotes.has(key)) {
        // Already verified: pass it on again (a re-broadcast helps peers that missed it), and
        // hand it to consensus again: a copy that arrived while this node was syncing (or
        // before it restarted its height) was dropped there, and without it a height with one
        // validator down never gathers 2/3 (the vote keeper ignores duplicates).
        this.driver.input({ kind: 'vote', vote });
        return 'accept';
      }
      const bad = checkVote(vote, this.chain.chainId, this.chain.validators);
      if (bad) return verdict('vote', 'reject', from, bad);
      if (this.seenVotes.size >= SEEN_VOTES_MAX) this.seenVotes.clear();
      this.seenVotes.add(key);
      if (vote.height > this.chain.height + 1n) this.syncer.poke();
      this.driver.input({ kind: 'vote', vote });
      return 'accept';
    });

    this.network.setHandler('proposal', (data, from) => {
      let proposal;
      let block;
      try {
        const envelope = decodeProposalEnvelope(data);
        proposal = decodeProposal(envelope.proposal);
        block = decodeBlock(envelope.block);
      } catch (err) {
        return verdict('proposal', 'reject', from, (err as Error).message);
      }
      if (proposal.height < this.chain.height) return { verdict: 'useless', reason: `proposal for height ${proposal.height}, committed long ago` };
      if (proposal.height === this.chain.height) return { verdict: 'ignore', reason: 'proposal for the height just committed' };
      const bad = checkProposal(proposal, this.chain.chainId, this.chain.validators);
      if (bad) return verdict('proposal', 'reject', from, bad);
      if (!equalBytes(blockHash(block.header), proposal.blockHash)) return verdict('proposal', 'reject', from, 'the block does not hash to the proposal block hash');
      const badBody = checkBlockBody(block);
      if (badBody) return verdict('proposal', 'reject', from, `the block body does not match its header: ${badBody}`);
      if (proposal.height > this.chain.height + 1n) this.syncer.poke();
      this.driver.offerBlock(block);
      this.driver.input({ kind: 'proposal', proposal });
      return 'accept';
    });

    this.network.setHandler('evidence', async (data, from) => {
      try {
        const e = decodeEvidence(data);
        const bad = checkEvidence(e, this.chain.chainId, this.chain.validators);
        if (bad) return verdict('evidence', 'reject', from, bad);
        // Committed evidence never goes into a block again: pooled, it would keep every height busy.
        if (await this.store.hasEvidence(evidenceKey(e))) return { verdict: 'ignore', reason: 'evidence already committed' };
        return this.driver.addEvidence(evidenceKey(e), data) ? 'accept' : { verdict: 'ignore', reason: 'evidence already known, or the evidence pool is full' };
      } catch (err) {
        return verdict('evidence', 'reject', from, (err as Error).message);
      }
    });
  }

  // ---- queries for the HTTP API -------------------------------------------------------------

  async status() {
    const last = this.chain.lastHeader;
    const latest = await this.store.latestAttestation();
    const anchorInfo = latest ? await this.anchorFor((decodeTx(latest).payload as AnchorAttestationPayload).pantheonHeight) : undefined;
    return {
      chainId: this.chain.chainId,
      genesisHash: bytesToHex(genesisHash(this.chain.genesis)),
      height: this.chain.height.toString(),
      lastBlockHash: bytesToHex(this.chain.lastBlockHash),
      lastBlockTimeMs: last ? last.timeMs.toString() : null,
      commitmentLogSize: this.chain.log.size,
      validatorIndex: this.validatorIndex ?? null,
      consensus: { height: this.driver.height.toString(), round: this.driver.round, step: this.driver.step },
      peerId: this.network.peerId,
      addresses: this.network.addresses(),
      peers: this.network.peers().length,
      sync: { syncing: this.syncer.progress.syncing, bestPeerHeight: this.syncer.progress.bestPeerHeight.toString(), blocksFetched: this.syncer.progress.blocksFetched },
      mempool: { transactions: this.mempool.size, bytes: this.mempool.byteSize },
      anchor: {
        anchoring: this.anchorer !== undefined,
        bitcoinAddress: this.anchorer?.address ?? null,
        lastAnchoredHeight: anchorInfo?.pantheonHeight ?? null,
        bitcoinBlockHash: anchorInfo?.bitcoinBlockHash ?? null,
        confirmations: anchorInfo?.confirmations ?? null,
      },
      uptimeMs: Date.now() - this.startedAtMs,
    };
  }

  async account(address: string) {
    const bytes = decodeAddress(address);
    const key = bytesToHex(bytes);
    const a = this.chain.account(key);
    const nonce = a?.nonce ?? 0n;
    let next = nonce;
    while (this.mempool.hasNonce(key, next)) next++;
    return { address, balance: (a?.balance ?? 0n).toString(), nonce: nonce.toString(), nextNonce: next.toString() };
  }

  async txStatus(idHex: string) {
    const location = await this.store.txLocation(idHex);
    if (location) {
      const height = BigInt(location.height);
      const anchored = location.logIndex !== undefined ? await this.anchorFor(height) : undefined;
      return { txId: idHex, status: anchored ? 'anchored' : 'final', height: location.height, index: location.index, logIndex: location.logIndex ?? null, anchor: anchored ?? null };
    }
    if (this.mempool.has(idHex)) return { txId: idHex, status: 'pending' };
    return { txId: idHex, status: 'unknown' };
  }

  /** The confirmed Bitcoin anchor covering `height`, if any. */
  async anchorFor(height: bigint) {
    const p = await this.attestationFor(height);
    if (!p) return undefined;
    return {
      pantheonHeight: p.pantheonHeight.toString(),
      bitcoinTxid: hashToDisplayHex(parseRawTransaction(p.btcTx).txid),
      bitcoinBlockHash: hashToDisplayHex(parseBlockHeader(p.btcHeader).hash),
      bitcoinHeight: p.btcHeight,
      confirmations: 1 + p.followingHeaders.length,
    };
  }

  async block(height: bigint) {
    const bytes = await this.store.block(height);
    if (!bytes) return undefined;
    const block = decodeBlock(bytes);
    const certificate = await this.store.certificate(height);
    return { height: height.toString(), hash: bytesToHex(blockHash(block.header)), header: bytesToHex(encodeHeader(block.header)), block: bytesToHex(bytes), certificate: certificate ? bytesToHex(certificate) : null, txs: block.txs.length };
  }

  /** The pieces of a proof for a commitment (docs/api.md): everything the verifier recomputes from. */
  async proofPieces(commitmentIdHex: string) {
    const location = await this.store.txLocation(commitmentIdHex);
    if (!location) return this.mempool.has(commitmentIdHex) ? { status: 'pending' as const } : undefined;
    if (location.logIndex === undefined) throw new Error('this transaction is not a commitment');
    const height = BigInt(location.height);
    const block = decodeBlock((await this.store.block(height))!);
    const certificate = (await this.store.certificate(height))!;
    const logSize = Number(block.header.commitmentLogSize);
    const path = this.chain.log.inclusionProof(location.logIndex, logSize);
    return {
      status: 'final' as const,
      chainId: this.chain.chainId,
      genesisHash: bytesToHex(genesisHash(this.chain.genesis)),
      commitmentTx: bytesToHex(block.txs[location.index]),
      height: location.height,
      logIndex: location.logIndex,
      logSize,
      inclusionPath: path.map(bytesToHex),
      header: bytesToHex(encodeHeader(block.header)),
      certificate: bytesToHex(certificate),
      anchor: await this.anchorPieces(height),
    };
  }

  /** Headers h+1..H and the attestation of H, for a commitment final at h; null before anchoring. */
  private async anchorPieces(height: bigint) {
    const p = await this.attestationFor(height);
    if (!p) return null;
    const headers: string[] = [];
    for (let h = height + 1n; h <= p.pantheonHeight; h++) headers.push(bytesToHex(encodeHeader(decodeBlock((await this.store.block(h))!).header)));
    return {
      network: this.config.genesis.bitcoin.network,
      headersAfter: headers,
      attestation: {
        pantheonHeight: p.pantheonHeight.toString(),
        rootHex: bytesToHex(p.root),
        blockHeight: p.btcHeight,
        rawTxHex: bytesToHex(p.btcTx),
        merkleIndex: p.merkleIndex,
        merkleSiblingsHex: p.merkleSiblings.map(bytesToHex),
        headerHex: bytesToHex(p.btcHeader),
        followingHeadersHex: p.followingHeaders.map(bytesToHex),
      },
    };
  }

  /**
   * A log's history for monitors (docs/api.md, GET /v1/log): its record, its key changes and up
   * to `limit` commitments from sequence `from`, each final or anchored. Undefined for a log
   * with no committed commitment.
   */
  async logHistory(logId: string, from: bigint, limit: number) {
    const record = this.chain.logRecord(logId);
    if (!record) return undefined;
    const page = await this.store.logCommitments(logId, from, limit);
    const commitments = [];
    for (const c of page) {
      const anchor = await this.anchorFor(c.height);
      commitments.push({ sequence: c.sequence.toString(), commitmentId: c.txId, treeSize: c.treeSize.toString(), root: bytesToHex(c.root), height: c.height.toString(), status: anchor ? 'anchored' : 'final', anchor: anchor ?? null });
    }
    const last = page.at(-1);
    return {
      logId,
      founder: encodeAddress(logIdOwner(logId)),
      owner: addressOf(record.ownerPublicKey),
      ownerPublicKey: bytesToHex(record.ownerPublicKey),
      size: record.size.toString(),
      root: bytesToHex(record.root),
      commitmentCount: record.commitments.toString(),
      keyChanges: record.keyChanges.map((k) => ({ fromSize: k.fromSize.toString(), address: addressOf(k.publicKey), publicKey: bytesToHex(k.publicKey) })),
      commitments,
      next: last && last.sequence + 1n < record.commitments ? (last.sequence + 1n).toString() : null,
    };
  }

  genesisJson() {
    return genesisToJson(this.chain.genesis);
  }
}

