// The node's read-only answers for the HTTP API (docs/api.md): status, accounts, transaction
// status, blocks, the pieces of a proof bundle, a log's history and the genesis. Each reads
// the committed chain, the store, the mempool and the anchor bridge; none changes anything.
import { blockHash, decodeBlock, encodeHeader } from '../protocol/block.ts';
import { bytesToHex } from '../protocol/bytes.ts';
import { addressOf, decodeAddress, encodeAddress } from '../protocol/keys.ts';
import { decodeTx, logIdOwner, type AnchorAttestationPayload } from '../protocol/tx.ts';
import { genesisHash, genesisToJson } from '../genesis/genesis.ts';
import type { AnchorBridge } from './anchor-bridge.ts';
import type { Chain } from './chain.ts';
import type { ConsensusDriver } from './consensus-driver.ts';
import type { Mempool } from './mempool.ts';
import type { Network } from './p2p/index.ts';
import type { NodeStore } from './store.ts';
import type { Syncer } from './syncer.ts';

export interface NodeQueriesOptions {
  chain: Chain;
  store: NodeStore;
  mempool: Pick<Mempool, 'has' | 'hasNonce' | 'size' | 'byteSize'>;
  driver: Pick<ConsensusDriver, 'height' | 'round' | 'step'>;
  network: Pick<Network, 'peerId' | 'addresses' | 'peers'>;
  syncer: Pick<Syncer, 'progress'>;
  anchors: AnchorBridge;
  validatorIndex: number | undefined;
  startedAtMs: number;
}

export class NodeQueries {
  constructor(private readonly o: NodeQueriesOptions) {}

  async status() {
    const { chain, store, driver, network, syncer, mempool, anchors } = this.o;
    const last = chain.lastHeader;
    const latest = await store.latestAttestation();
    const anchorInfo = latest ? await anchors.anchorFor((decodeTx(latest).payload as AnchorAttestationPayload).pantheonHeight) : undefined;
    return {
      chainId: chain.chainId,
      genesisHash: bytesToHex(genesisHash(chain.genesis)),
      height: chain.height.toString(),
      lastBlockHash: bytesToHex(chain.lastBlockHash),
      lastBlockTimeMs: last ? last.timeMs.toString() : null,
      commitmentLogSize: chain.log.size,
      validatorIndex: this.o.validatorIndex ?? null,
      consensus: { height: driver.height.toString(), round: driver.round, step: driver.step },
      peerId: network.peerId,
      addresses: network.addresses(),
      peers: network.peers().length,
      sync: { syncing: syncer.progress.syncing, bestPeerHeight: syncer.progress.bestPeerHeight.toString(), blocksFetched: syncer.progress.blocksFetched },
      mempool: { transactions: mempool.size, bytes: mempool.byteSize },
      anchor: {
        anchoring: anchors.anchoring,
        bitcoinAddress: anchors.address ?? null,
        lastAnchoredHeight: anchorInfo?.pantheonHeight ?? null,
        bitcoinBlockHash: anchorInfo?.bitcoinBlockHash ?? null,
        confirmations: anchorInfo?.confirmations ?? null,
      },
      uptimeMs: Date.now() - this.o.startedAtMs,
    };
  }

  async account(address: string) {
    const bytes = decodeAddress(address);
    const key = bytesToHex(bytes);
    const a = this.o.chain.account(key);
    const nonce = a?.nonce ?? 0n;
    let next = nonce;
    while (this.o.mempool.hasNonce(key, next)) next++;
    return { address, balance: (a?.balance ?? 0n).toString(), nonce: nonce.toString(), nextNonce: next.toString() };
  }

  async txStatus(idHex: string) {
    const location = await this.o.store.txLocation(idHex);
    if (location) {
      const height = BigInt(location.height);
      const anchored = location.logIndex !== undefined ? await this.o.anchors.anchorFor(height) : undefined;
      return { txId: idHex, status: anchored ? 'anchored' : 'final', height: location.height, index: location.index, logIndex: location.logIndex ?? null, anchor: anchored ?? null };
    }
    if (this.o.mempool.has(idHex)) return { txId: idHex, status: 'pending' };
    return { txId: idHex, status: 'unknown' };
  }

  async block(height: bigint) {
    const bytes = await this.o.store.block(height);
    if (!bytes) return undefined;
    const block = decodeBlock(bytes);
    const certificate = await this.o.store.certificate(height);
    return { height: height.toString(), hash: bytesToHex(blockHash(block.header)), header: bytesToHex(encodeHeader(block.header)), block: bytesToHex(bytes), certificate: certificate ? bytesToHex(certificate) : null, txs: block.txs.length };
  }

  /** The pieces of a proof for a commitment (docs/api.md): everything the verifier recomputes from. */
  async proofPieces(commitmentIdHex: string) {
    const { chain, store } = this.o;
    const location = await store.txLocation(commitmentIdHex);
    if (!location) return this.o.mempool.has(commitmentIdHex) ? { status: 'pending' as const } : undefined;
    if (location.logIndex === undefined) throw new Error('this transaction is not a commitment');
    const height = BigInt(location.height);
    const block = decodeBlock((await store.block(height))!);
    const certificate = (await store.certificate(height))!;
    const logSize = Number(block.header.commitmentLogSize);
    const path = chain.log.inclusionProof(location.logIndex, logSize);
    return {
      status: 'final' as const,
      chainId: chain.chainId,
      genesisHash: bytesToHex(genesisHash(chain.genesis)),
      commitmentTx: bytesToHex(block.txs[location.index]),
      height: location.height,
      logIndex: location.logIndex,
      logSize,
      inclusionPath: path.map(bytesToHex),
      header: bytesToHex(encodeHeader(block.header)),
      certificate: bytesToHex(certificate),
      anchor: await this.o.anchors.anchorPieces(height),
    };
  }

  /**
   * A log's history for monitors (docs/api.md, GET /v1/log): its record, its key changes and up
   * to `limit` commitments from sequence `from`, each final or anchored. Undefined for a log
   * with no committed commitment.
   */
  async logHistory(logId: string, from: bigint, limit: number) {
    const record = this.o.chain.logRecord(logId);
    if (!record) return undefined;
    const page = await this.o.store.logCommitments(logId, from, limit);
    const commitments = [];
    for (const c of page) {
      const anchor = await this.o.anchors.anchorFor(c.height);
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
    return genesisToJson(this.o.chain.genesis);
  }
}
