// The anchor wallet: its own secp256k1 key in the data directory (never a node wallet), one
// P2WPKH address, and a UTXO set it keeps by following blocks itself (raw `getblock`, parsed
// with bitcoinjs-lib: nothing taken from the node's JSON). Per-block undo records let it
// walk back over a reorg. It signs anchor transactions; deciding *when* is the anchorer's job.
import path from 'node:path';
import { Block, Psbt, Transaction, networks, payments, type Network } from 'bitcoinjs-lib';
import { ECPairFactory, type ECPairInterface } from 'ecpair';
import * as ecc from 'tiny-secp256k1';
import { randomBytes } from 'node:crypto';
import { readJsonFileIfExists, writeFileAtomic } from '../../node/files.ts';
import type { BitcoinRpc } from './rpc.ts';

const ECPair = ECPairFactory(ecc);

/** Coinbase outputs are spendable after 100 blocks (consensus COINBASE_MATURITY). */
export const COINBASE_MATURITY = 100;
/** Below this a P2WPKH output is dust under Bitcoin Core's default relay policy. */
export const P2WPKH_DUST_SAT = 294n;
/** nSequence that signals BIP 125 replaceability (any value < 0xfffffffe does). */
export const SEQUENCE_RBF = 0xfffffffd;
/** How many blocks of undo data are kept: a deeper reorg needs a rescan. */
export const UNDO_DEPTH_MAX = 288;

export interface WalletUtxo {
  /** Display-order txid. */
  txid: string;
  vout: number;
  /** Satoshis as a decimal string (JSON has no bigint). */
  valueSat: string;
  height: number;
  coinbase: boolean;
}

interface BlockUndo {
  height: number;
  hash: string;
  prevHash: string;
  created: string[];
  spent: WalletUtxo[];
}

/** The wallet's view of the chain; the anchorer persists it in the same file as its anchors. */
export interface WalletChainState {
  tipHeight: number;
  tipHash: string;
  utxos: WalletUtxo[];
  undo: BlockUndo[];
}

export interface WalletSpend {
  /** "txid:vout" of the wallet output that was spent. */
  outpoint: string;
  /** The transaction that spent it. */
  spendingTxid: string;
  height: number;
  blockHash: string;
}

export interface SyncResult {
  /** Blocks taken off the wallet's chain by a reorg, highest first. */
  disconnected: { height: number; hash: string }[];
  /** Wallet outputs spent in newly connected blocks. */
  spends: WalletSpend[];
  connectedBlocks: number;
}

export interface SignedAnchorTx {
  txid: string;
  rawTxHex: string;
  feeSat: bigint;
  vsize: number;
  inputs: string[];
}

export function outpointKey(txid: string, vout: number): string {
  return `${txid}:${vout}`;
}

/** Chain name from getblockchaininfo -> bitcoinjs network, with the bech32 prefix the node accepts. */
export async function detectNetwork(rpc: BitcoinRpc, pubkey: Uint8Array): Promise<{ chain: string; network: Network }> {
  const chain = await rpc.getChainName();
  if (chain === 'main') return { chain, network: networks.bitcoin };
  if (chain === 'test' || chain === 'testnet4' || chain === 'signet') return { chain, network: networks.testnet };
  if (chain !== 'regtest') throw new Error(`detectNetwork: unsupported Bitcoin chain ${JSON.stringify(chain)}`);
  // bitcoind's regtest hrp is "bcrt", bcoin's is "rb": ask the node which it accepts.
  for (const hrp of ['bcrt', 'rb']) {
    const network = { ...networks.regtest, bech32: hrp };
    const address = payments.p2wpkh({ pubkey, network }).address!;
    if (await rpc.validateAddress(address)) return { chain, network };
  }
  throw new Error('detectNetwork: the regtest node accepts neither bcrt1 nor rb1 P2WPKH addresses');
}

export class AnchorWallet {
  private utxos = new Map<string, WalletUtxo>();
  private undo: BlockUndo[] = [];
  private tipHeight: number;
  private tipHash = '';
  readonly address: string;
  readonly outputScript: Uint8Array;

  private constructor(
    private readonly rpc: BitcoinRpc,
    private readonly key: ECPairInterface,
    readonly network: Network,
    startHeight: number,
    private readonly log: (line: string) => void,
  ) {
    const payment = payments.p2wpkh({ pubkey: key.publicKey, network });
    this.address = payment.address!;
    this.outputScript = payment.output!;
    this.tipHeight = startHeight - 1;
  }

  /**
   * Load the key from `<dataDir>/anchor-key.json`, creating it (mode 0600) on first run,
   * and detect the node's network. `startHeight` is the first block followed when there is
   * no saved chain state.
   */
  static async open(options: { dataDir: string; rpc: BitcoinRpc; startHeight?: number; log?: (line: string) => void }): Promise<AnchorWallet> {
    if (!options || typeof options.dataDir !== 'string') throw new Error('AnchorWallet.open: dataDir is required');
    const startHeight = options.startHeight ?? 0;
    if (!Number.isInteger(startHeight) || startHeight < 0) throw new RangeError(`AnchorWallet.open: startHeight must be a non-negative integer, got ${startHeight}`);
    const keyFile = path.join(options.dataDir, 'anchor-key.json');
    let saved = readJsonFileIfExists(keyFile, 'the anchor wallet key') as { privateKeyHex?: unknown } | undefined;
    if (!saved) {
      saved = { privateKeyHex: randomBytes(32).toString('hex') };
      writeFileAtomic(keyFile, JSON.stringify({ description: 'Pantheon anchor wallet key (secp256k1). Keep secret.', ...saved }, null, 1), 0o600);
    }
    if (typeof saved.privateKeyHex !== 'string' || !/^[0-9a-f]{64}$/.test(saved.privateKeyHex)) throw new Error(`${keyFile}: privateKeyHex must be 64 lower-case hex digits`);
    const key = ECPair.fromPrivateKey(new Uint8Array(Buffer.from(saved.privateKeyHex, 'hex')));
    const { network } = await detectNetwork(options.rpc, key.publicKey);
    return new AnchorWallet(options.rpc, key, network, startHeight, options.log ?? (() => {}));
  }

  get height(): number {
    return this.tipHeight;
  }

  snapshot(): WalletChainState {
    return { tipHeight: this.tipHeight, tipHash: this.tipHash, utxos: [...this.utxos.values()], undo: this.undo };
  }

  restore(state: WalletChainState): void {
    if (!state || !Number.isInteger(state.tipHeight) || typeof state.tipHash !== 'string' || !Array.isArray(state.utxos) || !Array.isArray(state.undo)) {
      throw new Error('AnchorWallet.restore: malformed wallet state');
    }
    this.tipHeight = state.tipHeight;
    this.tipHash = state.tipHash;
    this.utxos = new Map(state.utxos.map((u) => [outpointKey(u.txid, u.vout), u]));
    this.undo = state.undo;
  }

  /** Confirmed, mature outputs not in `locked`. */
  spendable(locked: ReadonlySet<string> = new Set()): WalletUtxo[] {
    return [...this.utxos.values()].filter(
      (u) => !locked.has(outpointKey(u.txid, u.vout)) && (!u.coinbase || this.tipHeight - u.height + 1 >= COINBASE_MATURITY),
    );
  }

  balanceSat(): bigint {
    return [...this.utxos.values()].reduce((sum, u) => sum + BigInt(u.valueSat), 0n);
  }

  /**
   * Follow the node's best chain: walk back over blocks that are no longer on it (the hash
   * at our tip height changed), then connect new blocks one by one from raw bytes.
   */
  async sync(maxBlocks = 10_000): Promise<SyncResult> {
    const result: SyncResult = { disconnected: [], spends: [], connectedBlocks: 0 };
    for (let guard = 0; guard <= maxBlocks + UNDO_DEPTH_MAX; guard++) {
      const count = await this.rpc.getBlockCount();
      // tipHash is '' until the first block is connected: nothing to compare yet.
      if (this.tipHash !== '' && (this.tipHeight > count || (await this.rpc.getBlockHash(this.tipHeight)) !== this.tipHash)) {
        result.disconnected.push(this.disconnectTip());
        continue;
      }
      if (this.tipHeight >= count || result.connectedBlocks >= maxBlocks) return result;
      const height = this.tipHeight + 1;
      const hash = await this.rpc.getBlockHash(height);
      const block = Block.fromBuffer(await this.rpc.getBlockRaw(hash));
      if (block.getId() !== hash) throw new Error(`wallet sync: node returned block ${block.getId()} for ${hash}`);
      const prev = block.prevHash ? Buffer.from(block.prevHash).reverse().toString('hex') : '';
      if (this.tipHash !== '' && prev !== this.tipHash) continue; // the chain moved under us: re-check the tip
      result.spends.push(...this.connectBlock(height, hash, prev, block));
      result.connectedBlocks++;
    }
    throw new Error('wallet sync: did not converge (chain changing faster than it can be followed)');
  }

  private connectBlock(height: number, hash: string, prevHash: string, block: Block): WalletSpend[] {
    const undo: BlockUndo = { height, hash, prevHash, created: [], spent: [] };
    const spends: WalletSpend[] = [];
    for (const tx of block.transactions ?? []) {
      const txid = tx.getId();
      if (!tx.isCoinbase()) {
        for (const input of tx.ins) {
          const key = outpointKey(Buffer.from(input.hash).reverse().toString('hex'), input.index);
          const utxo = this.utxos.get(key);
          if (!utxo) continue;
          this.utxos.delete(key);
          undo.spent.push(utxo);
          spends.push({ outpoint: key, spendingTxid: txid, height, blockHash: hash });
        }
      }
      tx.outs.forEach((out, vout) => {
        if (!Buffer.from(out.script).equals(Buffer.from(this.outputScript))) return;
        const utxo: WalletUtxo = { txid, vout, valueSat: out.value.toString(), height, coinbase: tx.isCoinbase() };
        this.utxos.set(outpointKey(txid, vout), utxo);
        undo.created.push(outpointKey(txid, vout));
      });
    }
    this.undo.push(undo);
    if (this.undo.length > UNDO_DEPTH_MAX) this.undo.shift();
    this.tipHeight = height;
    this.tipHash = hash;
    return spends;
  }

  private disconnectTip(): { height: number; hash: string } {
    const undo = this.undo.pop();
    if (!undo || undo.height !== this.tipHeight) {
      throw new Error(`wallet sync: reorg deeper than the ${UNDO_DEPTH_MAX}-block undo window at height ${this.tipHeight}; rescan needed`);
    }
    for (const key of undo.created) this.utxos.delete(key);
    for (const utxo of undo.spent) this.utxos.set(outpointKey(utxo.txid, utxo.vout), utxo);
    this.log(`wallet: reorg, disconnected block ${undo.hash} at height ${undo.height}`);
    this.tipHeight = undo.height - 1;
    this.tipHash = undo.prevHash;
    return { height: undo.height, hash: undo.hash };
  }

  /** Sign an anchor tx spending exactly `inputs` at `feeSat` (see signAnchorTx). */
  signAnchorTx(inputs: readonly WalletUtxo[], payload: Uint8Array, feeSat: bigint): SignedAnchorTx {
    return signAnchorTx({ key: this.key, network: this.network, inputs, payload, feeSat });
  }

  /** Sign at `feeRateSatPerVb`, never below `minFeeSat` (see signAnchorTxAtRate). */
  signAnchorTxAtRate(inputs: readonly WalletUtxo[], payload: Uint8Array, feeRateSatPerVb: number, minFeeSat = 0n): SignedAnchorTx {
    return signAnchorTxAtRate({ key: this.key, network: this.network, inputs, payload }, feeRateSatPerVb, minFeeSat);
  }
}

export interface AnchorTxRequest {
  key: ECPairInterface;
  network: Network;
  inputs: readonly WalletUtxo[];
  payload: Uint8Array;
}

/** A key pair for signing (tests and tools; the wallet keeps its own in anchor-key.json). */
export function keyFromPrivateKey(privateKey: Uint8Array): ECPairInterface {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) throw new Error('privateKey: expected 32 bytes');
  return ECPair.fromPrivateKey(privateKey);
}

/** The P2WPKH output script the key's anchors pay change to. */
export function p2wpkhScript(key: ECPairInterface, network: Network): Uint8Array {
  return payments.p2wpkh({ pubkey: key.publicKey, network }).output!;
}

/**
 * Sign `OP_RETURN <payload>` (output 0) + change to the key's P2WPKH (output 1), spending
 * exactly `inputs` (all P2WPKH of this key), paying `feeSat`. Every input signals BIP 125.
 */
export function signAnchorTx(request: AnchorTxRequest & { feeSat: bigint }): SignedAnchorTx {
  const { key, network, inputs, payload, feeSat } = request;
  if (!Array.isArray(inputs) || inputs.length === 0) throw new Error('signAnchorTx: at least one input is required');
  if (!(payload instanceof Uint8Array) || payload.length === 0 || payload.length > 80) throw new Error('signAnchorTx: payload must be 1..80 bytes');
  if (typeof feeSat !== 'bigint' || feeSat <= 0n) throw new RangeError(`signAnchorTx: feeSat must be a positive bigint, got ${String(feeSat)}`);
  const totalSat = inputs.reduce((sum, u) => sum + BigInt(u.valueSat), 0n);
  const changeSat = totalSat - feeSat;
  if (changeSat < P2WPKH_DUST_SAT) throw new Error(`signAnchorTx: inputs hold ${totalSat} sat, fee ${feeSat} leaves change ${changeSat} below dust (${P2WPKH_DUST_SAT})`);
  const script = p2wpkhScript(key, network);
  const psbt = new Psbt({ network });
  for (const u of inputs) {
    psbt.addInput({ hash: u.txid, index: u.vout, sequence: SEQUENCE_RBF, witnessUtxo: { script, value: BigInt(u.valueSat) } });
  }
  psbt.addOutput({ script: payments.embed({ data: [payload] }).output!, value: 0n });
  psbt.addOutput({ script, value: changeSat });
  psbt.signAllInputs(key);
  psbt.finalizeAllInputs();
  const tx = psbt.extractTransaction();
  return { txid: tx.getId(), rawTxHex: tx.toHex(), feeSat, vsize: tx.virtualSize(), inputs: inputs.map((u) => outpointKey(u.txid, u.vout)) };
}

/**
 * Sign at `feeRateSatPerVb`, but never below `minFeeSat`. Signs twice: once to learn the
 * size, once with the fee for it (+1 vbyte: a DER signature's length varies by a byte).
 */
export function signAnchorTxAtRate(request: AnchorTxRequest, feeRateSatPerVb: number, minFeeSat = 0n): SignedAnchorTx {
  if (!(feeRateSatPerVb > 0) || !Number.isFinite(feeRateSatPerVb)) throw new RangeError(`signAnchorTxAtRate: feeRateSatPerVb must be positive, got ${feeRateSatPerVb}`);
  const probe = signAnchorTx({ ...request, feeSat: 1000n > minFeeSat ? 1000n : minFeeSat });
  const rateFee = BigInt(Math.ceil(feeRateSatPerVb * (probe.vsize + 1)));
  return signAnchorTx({ ...request, feeSat: rateFee > minFeeSat ? rateFee : minFeeSat });
}

/** Parse a raw anchor tx (bitcoinjs) for the checks the anchorer and tests make. */
export function decodeTx(rawTxHex: string): Transaction {
  return Transaction.fromHex(rawTxHex);
}
