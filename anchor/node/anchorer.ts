// The anchorer: puts the newest Pantheon root into Bitcoin, one transaction per anchor
// interval whatever the load, none when nothing newer than the last anchor was finalised,
// never more than one new anchor in flight, and follows each anchor to k confirmations
// (docs/anchor.md, "Anchoring rules").
//
// Crash safety (kill -9 at any instruction): every signed transaction is written to the
// state file with fsync BEFORE it is broadcast, together with the interval it uses up. On
// restart the persisted in-flight transaction is rebroadcast; a new one is never built in
// its place. The wallet's UTXO view lives in the same file, so the two never disagree.
//
// Never trusts the node's word: acceptance means "seen in getmempoolentry or in a block";
// confirmation means "a block on the best chain spends the anchor's inputs", found by the
// wallet following raw blocks.
import path from 'node:path';
import { bytesToHex } from '../../protocol/bytes.ts';
import { assertValidChainId } from '../../protocol/hash.ts';
import { buildAttestation, type AnchorAttestation } from './attestation.ts';
import { encodeAnchorPayload } from '../payload.ts';
import { assertValidBip125Replacement, replacementMinFeeSat } from './rbf.ts';
import type { BitcoinRpc } from './rpc.ts';
import { readJsonFileIfExists, writeFileAtomic } from '../../node/files.ts';
import type { BitcoinNetworkName } from '../verify-bitcoin.ts';
import { AnchorWallet, P2WPKH_DUST_SAT, outpointKey, type SignedAnchorTx, type WalletChainState, type WalletUtxo } from './wallet.ts';

export type { AnchorAttestation };

/** What the anchorer reports to the node's metrics (node/metrics.ts). */
export interface AnchorFigures {
  /** Pantheon height carried by the newest anchor found in a block of the best Bitcoin chain (0: none). */
  anchoredHeight: number;
  /** Confirmations of that anchor (0: none). */
  confirmations: number;
  /** Fee and virtual size of the newest anchor transaction signed (0: none). */
  feeSat: number;
  vbytes: number;
  /** Balance of the wallet's unspent outputs, as the wallet tracks them. */
  walletBalanceSat: number;
  /** Anchor transactions signed and not yet in a block. */
  unconfirmed: number;
  /** Since this process started: new anchor transactions and BIP 125 fee bumps broadcast. */
  anchorsSent: number;
  rbfBumps: number;
}

export interface AnchorerConfig {
  /** Holds anchor-key.json and anchorer-state.json. */
  dataDir: string;
  chainId: string;
  rpc: BitcoinRpc;
  /**
   * The anchor interval, one of the two: seconds (the node's, from genesis
   * `params.anchorIntervalSeconds`: at most one Bitcoin tx per floor(nowMs / (1000 * seconds)))
   * or Pantheon heights (at most one per floor(height / intervalHeights); for tools and tests
   * that drive the anchorer by height alone).
   */
  intervalSeconds?: number;
  intervalHeights?: number;
  /** The clock of `intervalSeconds` (default Date.now); tests pass their own. */
  nowMs?: () => number;
  /** Confirmations before an anchor is attested (k). Default 6. */
  confirmations?: number;
  /** Fee rate bounds around estimatesmartfee, sat/vB. Defaults 1 and 100. */
  feeRateFloorSatPerVb?: number;
  feeRateCapSatPerVb?: number;
  /** estimatesmartfee target in blocks. Default 3. */
  confTarget?: number;
  /** Bitcoin Core's -incrementalrelayfee, sat/vB (BIP 125 rule 4). Default 1. */
  incrementalRelayFeeSatPerVb?: number;
  /** First Bitcoin block the wallet follows on a fresh data dir. Default 0. */
  walletStartHeight?: number;
  /** The network the genesis anchors into: refuse to open against a bitcoind on another chain. */
  expectedNetwork?: BitcoinNetworkName;
  /**
   * Called once an anchor has k confirmations; may be called again for the same txid
   * after a crash (at-least-once), so it must be idempotent. A throw retries next pass.
   */
  onAttestation?: (attestation: AnchorAttestation) => void | Promise<void>;
  /** Called when a reorg removes the block of an attested anchor. */
  onAttestationRevoked?: (attestation: AnchorAttestation) => void | Promise<void>;
  /** Where the anchorer reports; `level` is absent for info. Default: console.log. */
  log?: AnchorLog;
}

/** Routine steps (a confirmation, a rebroadcast that worked) are 'debug': the operator's log shows sends and attestations. */
export type AnchorLog = (line: string, level?: 'debug' | 'info' | 'warn' | 'error') => void;

const consoleLog: AnchorLog = (line, level) => console.log(`anchor: ${level === 'error' ? 'ERROR: ' : ''}${line}`);

export interface LatestRoot {
  /** Pantheon height at which `root` is final. */
  height: bigint | number;
  root: Uint8Array;
}

interface AnchorVersion {
  txid: string;
  rawTxHex: string;
  feeSat: string;
  vsize: number;
  pantheonHeight: string;
  rootHex: string;
  interval: number;
  /** The node refused it (it is kept: a refused tx may still have reached peers and be mined). */
  refused?: boolean;
}

type AnchorStatus = 'unconfirmed' | 'confirmed' | 'attested' | 'conflicted';

interface AnchorRecord {
  seq: number;
  /** Outpoints every version spends: versions are BIP 125 replacements of each other. */
  inputs: string[];
  versions: AnchorVersion[];
  /** Index of the version believed to be in the mempool. */
  current: number;
  status: AnchorStatus;
  block?: { txid: string; hash: string; height: number };
  attestation?: AnchorAttestation;
}

interface AnchorerState {
  format: 'pantheon-anchorer-state/v1';
  chainId: string;
  wallet?: WalletChainState;
  anchors: AnchorRecord[];
  /** Highest interval already used by a transaction (new anchor or replacement). -1: none. */
  lastInterval: number;
  nextSeq: number;
  /** Subversion of a node that refused a BIP 125 replacement (bcoin): do not try again there. */
  replacementRefusedBy?: string;
}

export interface AnchorerStatus {
  address: string;
  walletHeight: number;
  balanceSat: bigint;
  lastInterval: number;
  unconfirmed: { seq: number; txid: string; pantheonHeight: string; interval: number }[];
  confirming: { seq: number; txid: string; blockHeight: number }[];
  attested: number;
}

const STATE_FILE = 'anchorer-state.json';
/** Records kept in the state file; older attested anchors are dropped (their attestations were delivered). */
const ANCHOR_RECORDS_MAX = 500;
/** Waits before re-reading the mempool after a send (about 1.6 s in all). */
const MEMPOOL_RECHECK_DELAYS_MS = [0, 20, 50, 100, 200, 400, 800];
/** Blocks connected between two saves of the wallet while catching up. */
const SYNC_CHUNK_BLOCKS = 100;

export class Anchorer {
  private latest?: { height: bigint; root: Uint8Array };
  private running?: Promise<void>;
  private queued?: Promise<void>;
  private waitLoggedForInterval = -1;
  private closed = false;
  private readonly k: number;
  private readonly floor: number;
  private readonly cap: number;
  private readonly confTarget: number;
  private readonly incrementalRelay: number;
  private readonly statePath: string;
  private readonly log: AnchorLog;
  /** Since this process started (the metrics' counters). */
  private anchorsSent = 0;
  private rbfBumps = 0;

  private constructor(
    private readonly config: AnchorerConfig,
    private readonly wallet: AnchorWallet,
    private state: AnchorerState,
    private readonly nodeSubversion: string,
    private readonly bitcoinNetwork: BitcoinNetworkName,
  ) {
    this.k = config.confirmations ?? 6;
    this.floor = config.feeRateFloorSatPerVb ?? 1;
    this.cap = config.feeRateCapSatPerVb ?? 100;
    this.confTarget = config.confTarget ?? 3;
    this.incrementalRelay = config.incrementalRelayFeeSatPerVb ?? 1;
    this.statePath = path.join(config.dataDir, STATE_FILE);
    this.log = config.log ?? consoleLog;
  }

  static async open(config: AnchorerConfig): Promise<Anchorer> {
    if (!config || typeof config.dataDir !== 'string' || config.dataDir.length === 0) throw new Error('Anchorer: dataDir is required');
    assertValidChainId(config.chainId);
    if (!config.rpc) throw new Error('Anchorer: rpc is required');
    if ((config.intervalSeconds === undefined) === (config.intervalHeights === undefined)) throw new RangeError('Anchorer: give exactly one of intervalSeconds and intervalHeights');
    const interval = config.intervalSeconds ?? config.intervalHeights;
    if (!Number.isInteger(interval) || interval! < 1) throw new RangeError(`Anchorer: ${config.intervalSeconds !== undefined ? 'intervalSeconds' : 'intervalHeights'} must be a positive integer, got ${interval}`);
    const k = config.confirmations ?? 6;
    if (!Number.isInteger(k) || k < 1 || k > 100) throw new RangeError(`Anchorer: confirmations must be 1..100, got ${k}`);
    const floor = config.feeRateFloorSatPerVb ?? 1;
    const cap = config.feeRateCapSatPerVb ?? 100;
    if (!(floor > 0) || !(cap >= floor)) throw new RangeError(`Anchorer: need 0 < feeRateFloorSatPerVb (${floor}) <= feeRateCapSatPerVb (${cap})`);
    const log = config.log ?? consoleLog;
    const wallet = await AnchorWallet.open({ dataDir: config.dataDir, rpc: config.rpc, startHeight: config.walletStartHeight ?? 0, log });
    const saved = readJsonFileIfExists(path.join(config.dataDir, STATE_FILE), 'the anchorer state') as AnchorerState | undefined;
    let state: AnchorerState;
    if (saved) {
      if (saved.format !== 'pantheon-anchorer-state/v1') throw new Error(`${STATE_FILE}: unknown format ${JSON.stringify(saved.format)}`);
      if (saved.chainId !== config.chainId) throw new Error(`${STATE_FILE}: belongs to chain ${saved.chainId}, not ${config.chainId}`);
      state = saved;
      if (state.wallet) wallet.restore(state.wallet);
    } else {
      state = { format: 'pantheon-anchorer-state/v1', chainId: config.chainId, anchors: [], lastInterval: -1, nextSeq: 0 };
    }
    const chain = await config.rpc.getChainName();
    const network: BitcoinNetworkName = chain === 'main' ? 'mainnet' : chain === 'regtest' ? 'regtest' : 'testnet';
    if (config.expectedNetwork !== undefined && network !== config.expectedNetwork) {
      throw new Error(`Anchorer: bitcoind is on ${network} (chain "${chain}"), but the genesis anchors chain ${config.chainId} into ${config.expectedNetwork}`);
    }
    const anchorer = new Anchorer(config, wallet, state, await config.rpc.getNetworkSubversion(), network);
    const pending = state.anchors.filter((a) => a.status === 'unconfirmed');
    log(`opened: address ${wallet.address}, wallet height ${wallet.height}, ${pending.length} anchor(s) in flight${pending.length ? ` (will rebroadcast ${pending.map((a) => a.versions[a.current].txid).join(', ')})` : ''}`);
    return anchorer;
  }

  /** The wallet's address: fund it (on regtest, generatetoaddress to it and mine 100 more). */
  get address(): string {
    return this.wallet.address;
  }

  /**
   * The node calls this with the newest final root (every block, or every interval).
   * Cheap: it records the root and schedules one pass; calls made while a pass runs share
   * the next pass. Resolves when a pass that saw this root has finished.
   */
  tick(latest: LatestRoot): Promise<void> {
    if (!latest || !(latest.root instanceof Uint8Array) || latest.root.length !== 32) throw new TypeError('tick: latest.root must be 32 bytes');
    const height = typeof latest.height === 'number' && Number.isSafeInteger(latest.height) ? BigInt(latest.height) : latest.height;
    if (typeof height !== 'bigint' || height < 0n) throw new RangeError(`tick: latest.height must be a non-negative integer, got ${String(latest.height)}`);
    if (!this.latest || height >= this.latest.height) this.latest = { height, root: Uint8Array.from(latest.root) };
    return this.schedule();
  }

  /** Run a pass without a new root (e.g. when a Bitcoin block arrives). */
  poll(): Promise<void> {
    return this.schedule();
  }

  status(): AnchorerStatus {
    const anchors = this.state.anchors;
    return {
      address: this.wallet.address,
      walletHeight: this.wallet.height,
      balanceSat: this.wallet.balanceSat(),
      lastInterval: this.state.lastInterval,
      unconfirmed: anchors
        .filter((a) => a.status === 'unconfirmed')
        .map((a) => ({ seq: a.seq, txid: a.versions[a.current].txid, pantheonHeight: a.versions[a.current].pantheonHeight, interval: a.versions[a.current].interval })),
      confirming: anchors.filter((a) => a.status === 'confirmed').map((a) => ({ seq: a.seq, txid: a.block!.txid, blockHeight: a.block!.height })),
      attested: anchors.filter((a) => a.status === 'attested').length,
    };
  }

  /** The figures the node's metrics export (node/metrics.ts AnchorFigures); cheap, no RPC. */
  figures(): AnchorFigures {
    const anchors = this.state.anchors;
    const inBlock = anchors.filter((a) => (a.status === 'confirmed' || a.status === 'attested') && a.block).sort((a, b) => a.seq - b.seq).at(-1);
    const newest = anchors.at(-1);
    const signed = newest?.versions.at(-1);
    return {
      anchoredHeight: inBlock ? Number(inBlock.versions[inBlock.current].pantheonHeight) : 0,
      confirmations: inBlock ? Math.max(0, this.wallet.height - inBlock.block!.height + 1) : 0,
      feeSat: signed ? Number(signed.feeSat) : 0,
      vbytes: signed?.vsize ?? 0,
      walletBalanceSat: Number(this.wallet.balanceSat()),
      unconfirmed: anchors.filter((a) => a.status === 'unconfirmed').length,
      anchorsSent: this.anchorsSent,
      rbfBumps: this.rbfBumps,
    };
  }

  /** Attestations still on record (the newest ANCHOR_RECORDS_MAX anchors), oldest first. */
  attestations(): AnchorAttestation[] {
    return this.state.anchors.filter((a) => a.status === 'attested' && a.attestation).map((a) => a.attestation!);
  }

  /** Wait for the running pass, then refuse further work. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queued?.catch(() => {});
    await this.running?.catch(() => {});
  }

  private schedule(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('Anchorer: closed'));
    if (this.queued) return this.queued;
    const previous = this.running ?? Promise.resolve();
    const next: Promise<void> = previous
      .catch(() => {})
      .then(() => {
        this.queued = undefined;
        this.running = next;
        return this.pass();
      })
      .finally(() => {
        if (this.running === next) this.running = undefined;
      });
    this.queued = next;
    return next;
  }

  private persist(): void {
    this.state.wallet = this.wallet.snapshot();
    if (this.state.anchors.length > ANCHOR_RECORDS_MAX) {
      const drop = this.state.anchors.length - ANCHOR_RECORDS_MAX;
      const dropped = this.state.anchors.slice(0, drop);
      // Only attested (or conflicted) records may go: anything else still needs work.
      if (dropped.every((a) => a.status === 'attested' || a.status === 'conflicted')) this.state.anchors = this.state.anchors.slice(drop);
    }
    writeFileAtomic(this.statePath, JSON.stringify(this.state, null, 1), 0o600);
  }

  /** One pass: follow blocks, update confirmations, keep in-flight txs broadcast, anchor the newest root. */
  private async pass(): Promise<void> {
    // Follow the chain in chunks, saving after each, so a long catch-up killed halfway
    // resumes where it stopped instead of starting over.
    for (let chunk = 0; chunk < 1000; chunk++) {
      const { dirty, more } = await this.followChain(SYNC_CHUNK_BLOCKS);
      if (dirty) this.persist();
      if (!more) break;
    }
    await this.attestConfirmed();
    await this.keepInFlightBroadcast();
    await this.anchorLatest();
  }

  private async followChain(maxBlocks: number): Promise<{ dirty: boolean; more: boolean }> {
    const sync = await this.wallet.sync(maxBlocks);
    let dirty = sync.connectedBlocks > 0 || sync.disconnected.length > 0;
    const gone = new Set(sync.disconnected.map((b) => b.hash));
    for (const anchor of this.state.anchors) {
      if (!anchor.block || !gone.has(anchor.block.hash)) continue;
      // Reorg: the block holding this anchor left the best chain. The same tx goes back in flight.
      this.log(`reorg: anchor seq ${anchor.seq} tx ${anchor.block.txid} was in block ${anchor.block.hash} at height ${anchor.block.height}, which left the best chain; rebroadcasting`);
      const revoked = anchor.status === 'attested' ? anchor.attestation : undefined;
      const index = anchor.versions.findIndex((v) => v.txid === anchor.block!.txid);
      if (index >= 0) anchor.current = index;
      anchor.status = 'unconfirmed';
      anchor.block = undefined;
      anchor.attestation = undefined;
      if (revoked) await this.config.onAttestationRevoked?.(revoked);
      dirty = true;
    }
    for (const spend of sync.spends) {
      const anchor = this.state.anchors.find((a) => a.inputs.includes(spend.outpoint) && (a.status === 'unconfirmed' || a.status === 'conflicted'));
      if (!anchor) continue;
      const version = anchor.versions.find((v) => v.txid === spend.spendingTxid);
      if (!version) {
        // Only this key can spend these outputs: another user of the key exists. Never sign on top of it.
        this.log(`anchor seq ${anchor.seq} input ${spend.outpoint} was spent by ${spend.spendingTxid}, which this anchorer never signed`, 'error');
        anchor.status = 'conflicted';
        continue;
      }
      if (anchor.status === 'unconfirmed') {
        anchor.status = 'confirmed';
        anchor.block = { txid: version.txid, hash: spend.blockHash, height: spend.height };
        anchor.current = anchor.versions.indexOf(version);
        this.log(`anchor seq ${anchor.seq} confirmed: tx ${version.txid} (Pantheon height ${version.pantheonHeight}) in block ${spend.blockHash} at height ${spend.height}`, 'debug');
      }
    }
    return { dirty, more: sync.connectedBlocks >= maxBlocks };
  }

  private async attestConfirmed(): Promise<void> {
    for (const anchor of this.state.anchors) {
      if (anchor.status !== 'confirmed' || !anchor.block) continue;
      const confirmations = this.wallet.height - anchor.block.height + 1;
      if (confirmations < this.k) continue;
      const attestation = await buildAttestation(this.config.rpc, {
        txid: anchor.block.txid,
        blockHash: anchor.block.hash,
        blockHeight: anchor.block.height,
        chainId: this.config.chainId,
        network: this.bitcoinNetwork,
      });
      await this.config.onAttestation?.(attestation);
      anchor.status = 'attested';
      anchor.attestation = attestation;
      this.persist();
      this.log(`anchor seq ${anchor.seq} attested with ${attestation.confirmations} confirmations: Pantheon height ${attestation.pantheonHeight} root ${attestation.rootHex} in block ${attestation.blockHash}`);
    }
  }

  /** Every unconfirmed anchor must be in the mempool; rebroadcast what is not (after a restart or a reorg). */
  private async keepInFlightBroadcast(): Promise<void> {
    for (const anchor of this.state.anchors.filter((a) => a.status === 'unconfirmed').sort((a, b) => a.seq - b.seq)) {
      const inMempool = await this.findVersionInMempool(anchor);
      if (inMempool >= 0) {
        if (inMempool !== anchor.current) {
          anchor.current = inMempool;
          this.persist();
        }
        continue;
      }
      // Newest first: on a BIP 125 node the newest has the highest fee and the newest root.
      let accepted = false;
      for (let i = anchor.versions.length - 1; i >= 0 && !accepted; i--) {
        if (anchor.versions[i].refused && i !== anchor.current) continue;
        accepted = await this.broadcast(anchor.versions[i]);
        if (accepted) {
          this.log(`rebroadcast anchor seq ${anchor.seq} tx ${anchor.versions[i].txid}: in mempool`, 'debug');
          if (anchor.current !== i) {
            anchor.current = i;
            this.persist();
          }
        }
      }
      if (!accepted) this.log(`anchor seq ${anchor.seq}: node did not take any version into its mempool; retrying next pass`, 'warn');
    }
  }

  private async findVersionInMempool(anchor: AnchorRecord): Promise<number> {
    if (await this.config.rpc.getMempoolEntry(anchor.versions[anchor.current].txid)) return anchor.current;
    for (let i = anchor.versions.length - 1; i >= 0; i--) {
      if (i !== anchor.current && (await this.config.rpc.getMempoolEntry(anchor.versions[i].txid))) return i;
    }
    return -1;
  }

  /**
   * Send, then believe only the mempool. Returns whether the tx is in it. bcoin answers
   * sendrawtransaction before its mempool has verified the tx (and answers a txid even when
   * it refuses), so a missing entry is re-checked for a moment before it counts as refused.
   */
  private async broadcast(version: AnchorVersion): Promise<boolean> {
    let refusedOutright = false;
    try {
      await this.config.rpc.sendRawTransaction(version.rawTxHex);
    } catch (err) {
      refusedOutright = true; // bitcoind says so at once (or "already in mempool", checked below)
      this.log(`sendrawtransaction ${version.txid} refused: ${(err as Error).message}`, 'warn');
    }
    for (const delayMs of refusedOutright ? [0] : MEMPOOL_RECHECK_DELAYS_MS) {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if ((await this.config.rpc.getMempoolEntry(version.txid)) !== undefined) return true;
    }
    return false;
  }

  private async feeRateSatPerVb(): Promise<number> {
    let estimate: number | undefined;
    try {
      estimate = await this.config.rpc.estimateSmartFeeSatPerVb(this.confTarget);
    } catch (err) {
      this.log(`estimatesmartfee failed, using the floor: ${(err as Error).message}`, 'debug');
    }
    return Math.min(this.cap, Math.max(this.floor, estimate ?? this.floor));
  }

  /** The interval `latest` falls in: by the clock (intervalSeconds) or by its height (intervalHeights). */
  private intervalOf(latest: { height: bigint }): number {
    if (this.config.intervalSeconds !== undefined) return Math.floor((this.config.nowMs ?? Date.now)() / (1000 * this.config.intervalSeconds));
    return Number(latest.height / BigInt(this.config.intervalHeights!));
  }

  /** The highest Pantheon height any anchor transaction we signed carries, in flight or mined (-1: none). */
  anchoredHeight(): bigint {
    let highest = -1n;
    for (const a of this.state.anchors) {
      if (a.status === 'conflicted') continue;
      for (const v of a.versions) if (!v.refused && BigInt(v.pantheonHeight) > highest) highest = BigInt(v.pantheonHeight);
    }
    return highest;
  }

  private async anchorLatest(): Promise<void> {
    const latest = this.latest;
    if (!latest) return;
    // Nothing new since the last anchor: no transaction, however many intervals pass.
    if (latest.height <= this.anchoredHeight()) return;
    const interval = this.intervalOf(latest);
    if (interval <= this.state.lastInterval) return; // this interval already has its transaction
    const unconfirmed = this.state.anchors.filter((a) => a.status === 'unconfirmed');
    if (unconfirmed.length === 0) return this.createAnchor(latest, interval);
    if (unconfirmed.length === 1 && this.state.replacementRefusedBy !== this.nodeSubversion) return this.replaceAnchor(unconfirmed[0], latest, interval);
    if (this.waitLoggedForInterval !== interval) {
      this.waitLoggedForInterval = interval;
      const reason = unconfirmed.length > 1 ? `${unconfirmed.length} anchors are unconfirmed after a reorg` : `node ${this.nodeSubversion} refused BIP 125 replacement`;
      this.log(`interval ${interval}: anchor seq ${unconfirmed[0].seq} still unconfirmed and ${reason}; sending nothing, Pantheon height ${latest.height} waits for the next anchor`);
    }
  }

  private payloadFor(latest: { height: bigint; root: Uint8Array }): Uint8Array {
    return encodeAnchorPayload(this.config.chainId, latest.height, latest.root);
  }

  private versionOf(tx: SignedAnchorTx, latest: { height: bigint; root: Uint8Array }, interval: number): AnchorVersion {
    return { txid: tx.txid, rawTxHex: tx.rawTxHex, feeSat: tx.feeSat.toString(), vsize: tx.vsize, pantheonHeight: latest.height.toString(), rootHex: bytesToHex(latest.root), interval };
  }

  private selectInput(feeRate: number): WalletUtxo | undefined {
    const locked = new Set(this.state.anchors.filter((a) => a.status === 'unconfirmed' || a.status === 'conflicted').flatMap((a) => a.inputs));
    // Headroom for the first fee plus a run of replacements at up to the cap.
    const needSat = BigInt(Math.ceil(Math.max(feeRate, this.cap) * 300 * 4)) + P2WPKH_DUST_SAT;
    return this.wallet
      .spendable(locked)
      .filter((u) => BigInt(u.valueSat) >= needSat)
      .sort((a, b) => (BigInt(a.valueSat) < BigInt(b.valueSat) ? -1 : BigInt(a.valueSat) > BigInt(b.valueSat) ? 1 : 0))[0];
  }

  private async createAnchor(latest: { height: bigint; root: Uint8Array }, interval: number): Promise<void> {
    const feeRate = await this.feeRateSatPerVb();
    const input = this.selectInput(feeRate);
    if (!input) {
      if (this.waitLoggedForInterval !== interval) {
        this.waitLoggedForInterval = interval;
        this.log(`interval ${interval}: no spendable output large enough in ${this.wallet.address} (balance ${this.wallet.balanceSat()} sat, wallet height ${this.wallet.height}); fund the anchor wallet`);
      }
      return;
    }
    const tx = this.wallet.signAnchorTxAtRate([input], this.payloadFor(latest), feeRate);
    const anchor: AnchorRecord = { seq: this.state.nextSeq, inputs: tx.inputs, versions: [this.versionOf(tx, latest, interval)], current: 0, status: 'unconfirmed' };
    this.state.anchors.push(anchor);
    this.state.nextSeq++;
    this.state.lastInterval = interval;
    this.persist(); // durable before it leaves the process
    const accepted = await this.broadcast(anchor.versions[0]);
    this.anchorsSent++;
    this.log(`anchor seq ${anchor.seq} for interval ${interval}: tx ${tx.txid} Pantheon height ${latest.height} fee ${tx.feeSat} sat (${feeRate} sat/vB) ${accepted ? 'in mempool' : 'NOT in mempool yet (will rebroadcast)'}`);
  }

  private async replaceAnchor(anchor: AnchorRecord, latest: { height: bigint; root: Uint8Array }, interval: number): Promise<void> {
    const current = anchor.versions[anchor.current];
    // Beat every version that may sit in some mempool, not just the one we believe is in ours.
    const highestFee = anchor.versions.reduce((max, v) => (BigInt(v.feeSat) > max ? BigInt(v.feeSat) : max), 0n);
    const inputs = anchor.inputs.map((key) => this.walletUtxo(key));
    const feeRate = await this.feeRateSatPerVb();
    const minFee = replacementMinFeeSat(highestFee, current.vsize, this.incrementalRelay);
    const tx = this.wallet.signAnchorTxAtRate(inputs, this.payloadFor(latest), feeRate, minFee);
    if (Number(tx.feeSat) / tx.vsize > this.cap) {
      if (this.waitLoggedForInterval !== interval) {
        this.waitLoggedForInterval = interval;
        this.log(`interval ${interval}: replacing anchor seq ${anchor.seq} would pay ${tx.feeSat} sat, above the cap of ${this.cap} sat/vB; keeping the pending anchor`);
      }
      return;
    }
    assertValidBip125Replacement({ rawTxHex: current.rawTxHex, feeSat: highestFee }, { rawTxHex: tx.rawTxHex, feeSat: tx.feeSat }, this.incrementalRelay);
    const version = this.versionOf(tx, latest, interval);
    const previousInterval = this.state.lastInterval;
    anchor.versions.push(version);
    this.state.lastInterval = interval;
    this.persist(); // durable before it leaves the process
    if (await this.broadcast(version)) {
      this.rbfBumps++;
      anchor.current = anchor.versions.length - 1;
      this.persist();
      this.log(`anchor seq ${anchor.seq} replaced (BIP 125) for interval ${interval}: tx ${tx.txid} Pantheon height ${latest.height} fee ${tx.feeSat} sat replaces ${current.txid}`);
      return;
    }
    // The node refused the replacement (bcoin has no BIP 125). Keep the pending anchor, do not
    // try again on this node, and let the newest root go into the next anchor once this confirms.
    version.refused = true;
    this.state.replacementRefusedBy = this.nodeSubversion;
    this.state.lastInterval = previousInterval;
    this.persist();
    this.log(`node ${this.nodeSubversion} refused replacement ${tx.txid} of anchor seq ${anchor.seq}; keeping pending anchor ${current.txid}, sending nothing else until it confirms`);
    if (!(await this.config.rpc.getMempoolEntry(current.txid))) await this.broadcast(current);
  }

  private walletUtxo(key: string): WalletUtxo {
    const utxo = this.wallet.spendable().find((u) => outpointKey(u.txid, u.vout) === key);
    if (!utxo) throw new Error(`replaceAnchor: input ${key} of the pending anchor is not an unspent wallet output`);
    return utxo;
  }
}
