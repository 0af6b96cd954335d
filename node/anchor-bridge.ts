// The bridge between the chain and the anchorer (docs/anchor.md): committed blocks that hold
// something new are handed to the anchorer; a confirmed anchor comes back as a signed
// attestation transaction through admission; and the committed attestation covering a height
// is served only while its Bitcoin block is still on our best chain (a reorg removes it until
// the anchorer attests again). Without anchoring configured it still reads the committed
// attestations, so every node serves anchors.
import { join } from 'node:path';
import { blockHash, decodeBlock, encodeHeader, type Block } from '../protocol/block.ts';
import { bytesToHex, hexToBytes } from '../protocol/bytes.ts';
import { addressBytes, type KeyPair } from '../protocol/keys.ts';
import { decodeTx, encodeTx, signTx, type AnchorAttestationPayload } from '../protocol/tx.ts';
import type { Genesis } from '../genesis/genesis.ts';
import { Anchorer, type AnchorAttestation, type AnchorFigures } from '../anchor/node/anchorer.ts';
import { BitcoinRpc, type BitcoinRpcOptions } from '../anchor/node/rpc.ts';
import { attestationParts, attestationPayload } from '../anchor/verify-attestation.ts';
import { hashToDisplayHex, parseBlockHeader, parseRawTransaction } from '../anchor/verify-bitcoin.ts';
import type { Chain } from './chain.ts';
import type { Logger } from './log.ts';
import type { Mempool } from './mempool.ts';
import { PassWatch } from './pass-watch.ts';
import type { NodeStore } from './store.ts';

export interface AnchorOptions {
  rpc: BitcoinRpcOptions;
  confirmations: number;
  pollMs?: number;
}

export interface AnchorBridgeOptions {
  dataDir: string;
  genesis: Genesis;
  /** Signs the attestation transactions; anchoring refuses to start without it. */
  validatorKey: KeyPair | undefined;
  chain: Chain;
  store: NodeStore;
  mempool: Pick<Mempool, 'hasNonce'>;
  /** Admission of the attestation transaction (persisted and gossiped, like a submission). */
  admit: (bytes: Uint8Array, options: { persist: boolean; gossip: boolean }) => Promise<{ ok: true } | { ok: false; error: string; duplicate?: boolean }>;
  log: Logger;
}

/**
 * Whether a committed block finalised something new for the anchor (docs/anchor.md): a
 * transaction other than an anchor attestation, or evidence. Heartbeat blocks and blocks of
 * attestations alone are not new.
 */
export function holdsSomethingNew(block: Block): boolean {
  if (block.evidence.length > 0) return true;
  return block.txs.some((bytes) => decodeTx(bytes).payload.kind !== 'anchorAttestation');
}

export class AnchorBridge {
  private anchorer: Anchorer | undefined;
  private bitcoinRpc: BitcoinRpc | undefined;
  private poll: NodeJS.Timeout | undefined;
  private passes: PassWatch | undefined;

  constructor(private readonly o: AnchorBridgeOptions) {}

  get anchoring(): boolean {
    return this.anchorer !== undefined;
  }

  /** The anchor wallet's Bitcoin address, when anchoring. */
  get address(): string | undefined {
    return this.anchorer?.address;
  }

  /** The anchorer's figures for the metrics, when anchoring. */
  figures(): AnchorFigures | undefined {
    return this.anchorer?.figures();
  }

  async start(options: AnchorOptions): Promise<void> {
    const { genesis, log } = this.o;
    if (!this.o.validatorKey) throw new Error('anchoring needs --key: the validator key signs the attestation transactions');
    this.bitcoinRpc = new BitcoinRpc(options.rpc);
    const passes = (this.passes = new PassWatch(log, 'anchor pass'));
    const anchorer = (this.anchorer = await Anchorer.open({
      dataDir: join(this.o.dataDir, 'anchor'),
      chainId: this.o.chain.chainId,
      rpc: this.bitcoinRpc,
      intervalSeconds: genesis.params.anchorIntervalSeconds,
      confirmations: options.confirmations,
      expectedNetwork: genesis.bitcoin.network,
      onAttestation: (a) => this.submitAttestation(a),
      log: (line, level) => log(level ?? 'info', line, { component: 'anchor' }),
    }));
    log('info', 'anchoring enabled', { bitcoinAddress: anchorer.address, intervalSeconds: genesis.params.anchorIntervalSeconds, confirmations: options.confirmations });
    // After a restart: what was final before it and is not anchored yet still needs its anchor.
    const pending = await this.newestBlockWithSomethingNew(anchorer.anchoredHeight());
    if (pending) passes.watch(anchorer.tick({ height: pending.height, root: pending.hash }));
    this.poll = setInterval(() => passes.watch(anchorer.poll()), options.pollMs ?? 2000);
  }

  async stop(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    await this.anchorer?.close();
  }

  /** A block was committed (by consensus or sync): only blocks with something new start an anchor pass. */
  committed(block: Block, hashHex: string): void {
    // A heartbeat block, or one holding only anchor attestations, would otherwise make every
    // anchor trigger the next.
    if (this.anchorer && holdsSomethingNew(block)) this.passes!.watch(this.anchorer.tick({ height: block.header.height, root: hexToBytes(hashHex, 'block hash', 32) }));
  }

  /** The newest block holding something new, searching back from the tip to `above` (exclusive). */
  private async newestBlockWithSomethingNew(above: bigint): Promise<{ height: bigint; hash: Uint8Array } | undefined> {
    for (let h = this.o.chain.height; h > above && h > 0n; h--) {
      const bytes = await this.o.store.block(h);
      if (!bytes) return undefined;
      const block = decodeBlock(bytes);
      if (holdsSomethingNew(block)) return { height: h, hash: blockHash(block.header) };
    }
    return undefined;
  }

  /** Records a confirmed anchor on Pantheon with a signed attestation transaction (idempotent). */
  private async submitAttestation(a: AnchorAttestation): Promise<void> {
    const { chain, store, mempool, log } = this.o;
    const key = this.o.validatorKey!;
    const pantheonHeight = BigInt(a.pantheonHeight);
    const existing = await store.attestationCovering(pantheonHeight);
    if (existing) {
      const p = decodeTx(existing).payload as AnchorAttestationPayload;
      if (p.pantheonHeight === pantheonHeight && hashToDisplayHex(parseRawTransaction(p.btcTx).txid) === a.txid && hashToDisplayHex(parseBlockHeader(p.btcHeader).hash) === a.blockHash) return;
    }
    const payload = attestationPayload(a);
    const sender = bytesToHex(addressBytes(key.publicKey));
    let nonce = chain.account(sender)?.nonce ?? 0n;
    while (mempool.hasNonce(sender, nonce)) nonce++;
    const tx = signTx({ chainId: chain.chainId, senderPublicKey: key.publicKey, nonce, fee: chain.genesis.params.minFee, payload }, key.secretKey);
    const r = await this.o.admit(encodeTx(tx), { persist: true, gossip: true });
    if (!r.ok && !r.duplicate) throw new Error(`attestation transaction refused: ${r.error}`);
    // The anchorer has logged the attestation at info already.
    log('debug', 'anchor attested', { pantheonHeight: a.pantheonHeight, bitcoinTx: a.txid, bitcoinBlock: a.blockHash, bitcoinHeight: a.blockHeight, confirmations: a.confirmations });
  }

  /** The committed attestation covering `height`, when its Bitcoin block is still on our best chain (if we have a Bitcoin view). */
  async attestationFor(height: bigint): Promise<AnchorAttestationPayload | undefined> {
    const bytes = await this.o.store.attestationCovering(height);
    if (!bytes) return undefined;
    const p = decodeTx(bytes).payload as AnchorAttestationPayload;
    if (this.bitcoinRpc) {
      const bitcoinBlockHash = hashToDisplayHex(parseBlockHeader(p.btcHeader).hash);
      const onBest = await this.bitcoinRpc.getBlockHash(p.btcHeight).then((h) => h === bitcoinBlockHash, () => false);
      if (!onBest) return undefined; // a reorg removed it: never serve it; the anchorer attests again
    }
    return p;
  }

  /** The confirmed Bitcoin anchor covering `height`, if any (docs/api.md, GET /v1/tx "anchor"). */
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

  /** Headers h+1..H and the attestation of H, for a commitment final at h; null before anchoring. */
  async anchorPieces(height: bigint) {
    const p = await this.attestationFor(height);
    if (!p) return null;
    const headers: string[] = [];
    for (let h = height + 1n; h <= p.pantheonHeight; h++) headers.push(bytesToHex(encodeHeader(decodeBlock((await this.o.store.block(h))!).header)));
    return {
      network: this.o.genesis.bitcoin.network,
      headersAfter: headers,
      attestation: attestationParts(p),
    };
  }
}
