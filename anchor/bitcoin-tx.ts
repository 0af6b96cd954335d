// The one reading of a raw Bitcoin transaction that Pantheon accepts (docs/anchor.md, "Raw
// transactions"), and the anchor-output rule: exactly one output starts with OP_RETURN and it
// is exactly `6a 35 <53-byte payload>`. The light client (bundle step bitcoin-tx), the node's
// check of anchor-attestation transactions and the anchorer's self-check all call these, so
// one byte string is accepted or refused the same way everywhere. Vectors:
// docs/vectors/bitcoin.json. Pure and browser-safe.
//
// Serialization (Bitcoin Core primitives/transaction.h, BIP 144):
//   version i32 LE | [marker 0x00, flag 0x01] | CompactSize n_in | n_in × (outpoint 36,
//   CompactSize len, scriptSig, sequence u32) | CompactSize n_out | n_out × (value i64 LE,
//   CompactSize len, scriptPubKey) | [witness: per input CompactSize n_items, items] | locktime u32
// CompactSize must be minimal (Core's ReadCompactSize: "non-canonical ReadCompactSize()").
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';
import { decodeAnchorPayload, ANCHOR_PAYLOAD_BYTES, type AnchorPayload } from './payload.ts';

/** The rule a Bitcoin byte string breaks; docs/vectors/bitcoin.json names these in `expect`. */
export type BitcoinRule =
  | 'tx-truncated'
  | 'tx-compact-size'
  | 'tx-trailing-bytes'
  | 'tx-too-short'
  | 'tx-no-inputs'
  | 'tx-no-outputs'
  | 'tx-value'
  | 'tx-witness'
  | 'anchor-op-return-count'
  | 'anchor-script'
  | 'anchor-payload'
  | 'merkle-depth'
  | 'merkle-index'
  | 'merkle-phantom'
  | 'merkle-last-node'
  | 'merkle-root'
  | 'bits-negative'
  | 'bits-overflow'
  | 'bits-zero'
  | 'bits-not-normalised'
  | 'bits-above-pow-limit'
  | 'pow-hash';

/** A Bitcoin rule broken; `rule` is the stable name, the message says what and where. */
export class BitcoinRuleError extends Error {
  constructor(
    readonly rule: BitcoinRule,
    message: string,
  ) {
    super(message);
    this.name = 'BitcoinRuleError';
  }
}

/** Bitcoin Core's MAX_MONEY: 21 million BTC in satoshis; an output above it is invalid (CheckTransaction). */
export const MAX_MONEY_SAT = 2_100_000_000_000_000n;
/**
 * Core's MIN_STANDARD_TX_NONWITNESS_SIZE. A 64-byte string could be the two children of an
 * inner merkle node read as a "transaction"; an anchor transaction is at least 115 bytes anyway.
 */
export const TX_NON_WITNESS_BYTES_MIN = 65;
const OP_RETURN = 0x6a;

export interface BitcoinTxOutput {
  valueSat: bigint;
  script: Uint8Array;
}

export interface BitcoinTransaction {
  version: number;
  inputCount: number;
  outputs: BitcoinTxOutput[];
  lockTime: number;
  /** True when the bytes were the BIP 144 witness serialization. */
  hadWitness: boolean;
  /** The serialization without witness: exactly the bytes the txid hashes. */
  nonWitnessBytes: Uint8Array;
  /** SHA-256d of nonWitnessBytes, internal byte order. */
  txid: Uint8Array;
}

class Cursor {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  take(n: number, field: string): Uint8Array {
    if (n > this.bytes.length - this.offset) throw new BitcoinRuleError('tx-truncated', `rawTx.${field}: needs ${n} bytes at offset ${this.offset}, ${this.bytes.length - this.offset} left`);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  u32(field: string): number {
    const b = this.take(4, field);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }

  u64(field: string): bigint {
    const b = this.take(8, field);
    let n = 0n;
    for (let i = 7; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
    return n;
  }

  /** CompactSize, refusing a longer form than the value needs (one encoding per value). */
  compactSize(field: string): number {
    const at = this.offset;
    const first = this.take(1, field)[0];
    if (first < 0xfd) return first;
    const width = first === 0xfd ? 2 : first === 0xfe ? 4 : 8;
    const raw = this.take(width, field);
    let n = 0n;
    for (let i = width - 1; i >= 0; i--) n = (n << 8n) | BigInt(raw[i]);
    const floor = first === 0xfd ? 0xfdn : first === 0xfe ? 0x10000n : 0x100000000n;
    if (n < floor) throw new BitcoinRuleError('tx-compact-size', `rawTx.${field}: CompactSize at offset ${at} encodes ${n} in ${1 + width} bytes; the minimal form is required`);
    // Every count and length is bounded by the bytes left; a larger one is a truncation.
    if (n > BigInt(this.bytes.length - this.offset)) throw new BitcoinRuleError('tx-truncated', `rawTx.${field}: ${n} at offset ${at} is more than the ${this.bytes.length - this.offset} bytes left`);
    return Number(n);
  }

  left(): number {
    return this.bytes.length - this.offset;
  }
}

/**
 * Parse `raw` strictly. `witness: 'forbidden'` (proof bundles) refuses the BIP 144 form;
 * `'allowed'` (anchor-attestation transactions) accepts it when it is canonical: flag 0x01
 * and at least one non-empty witness (Core refuses a "superfluous witness record").
 */
export function parseBitcoinTransaction(raw: Uint8Array, opts: { witness: 'forbidden' | 'allowed' }): BitcoinTransaction {
  if (!(raw instanceof Uint8Array)) throw new TypeError(`rawTx: expected bytes, got ${typeof raw}`);
  const c = new Cursor(raw);
  const versionBytes = c.take(4, 'version');
  const version = new DataView(versionBytes.buffer, versionBytes.byteOffset, 4).getInt32(0, true);
  let hadWitness = false;
  // A zero input count where the input count belongs is BIP 144's marker.
  if (c.left() > 0 && raw[c.offset] === 0x00) {
    if (opts.witness === 'forbidden') throw new BitcoinRuleError('tx-witness', 'rawTx: has the BIP 144 witness marker (or zero inputs); the bundle carries the transaction without witness data, the bytes its txid hashes');
    c.take(1, 'marker');
    const flag = c.take(1, 'flag')[0];
    if (flag !== 0x01) throw new BitcoinRuleError('tx-witness', `rawTx: witness flag 0x${flag.toString(16).padStart(2, '0')}, only 0x01 is defined (BIP 144)`);
    hadWitness = true;
  }
  const inputsStart = c.offset;
  const inputCount = c.compactSize('inputCount');
  if (inputCount === 0) throw new BitcoinRuleError('tx-no-inputs', 'rawTx: no inputs');
  for (let i = 0; i < inputCount; i++) {
    c.take(36, `inputs[${i}].outpoint`);
    c.take(c.compactSize(`inputs[${i}].scriptSigLength`), `inputs[${i}].scriptSig`);
    c.u32(`inputs[${i}].sequence`);
  }
  const outputCount = c.compactSize('outputCount');
  if (outputCount === 0) throw new BitcoinRuleError('tx-no-outputs', 'rawTx: no outputs');
  const outputs: BitcoinTxOutput[] = [];
  for (let i = 0; i < outputCount; i++) {
    const valueSat = c.u64(`outputs[${i}].value`);
    // Read as Core's signed int64: above MAX_MONEY includes every "negative" value.
    if (valueSat > MAX_MONEY_SAT) throw new BitcoinRuleError('tx-value', `rawTx.outputs[${i}].value: ${valueSat} sat is more than MAX_MONEY (21,000,000 BTC) or negative`);
    const script = Uint8Array.from(c.take(c.compactSize(`outputs[${i}].scriptLength`), `outputs[${i}].script`));
    outputs.push({ valueSat, script });
  }
  const outputsEnd = c.offset;
  if (hadWitness) {
    let nonEmpty = false;
    for (let i = 0; i < inputCount; i++) {
      const items = c.compactSize(`witness[${i}].count`);
      for (let j = 0; j < items; j++) c.take(c.compactSize(`witness[${i}][${j}].length`), `witness[${i}][${j}]`);
      if (items > 0) nonEmpty = true;
    }
    if (!nonEmpty) throw new BitcoinRuleError('tx-witness', 'rawTx: witness serialization with every witness empty (a superfluous witness record, BIP 144)');
  }
  const lockTime = c.u32('lockTime');
  if (c.left() !== 0) throw new BitcoinRuleError('tx-trailing-bytes', `rawTx: ${c.left()} bytes after the locktime`);
  const nonWitnessBytes = hadWitness ? concatBytes(raw.subarray(0, 4), raw.subarray(inputsStart, outputsEnd), raw.subarray(raw.length - 4)) : Uint8Array.from(raw);
  if (nonWitnessBytes.length < TX_NON_WITNESS_BYTES_MIN) {
    throw new BitcoinRuleError('tx-too-short', `rawTx: ${nonWitnessBytes.length} bytes without witness, fewer than ${TX_NON_WITNESS_BYTES_MIN} (a 64-byte transaction cannot be told from an inner merkle node)`);
  }
  return { version, inputCount, outputs, lockTime, hadWitness, nonWitnessBytes, txid: sha256(sha256(nonWitnessBytes)) };
}

/** The script of a Pantheon anchor output: OP_RETURN, push of 53 bytes (0x35), the payload. */
export function isAnchorScriptShape(script: Uint8Array): boolean {
  return script.length === 2 + ANCHOR_PAYLOAD_BYTES && script[0] === OP_RETURN && script[1] === ANCHOR_PAYLOAD_BYTES;
}

export interface AnchorTransaction {
  tx: BitcoinTransaction;
  /** Index of the one OP_RETURN output. */
  outputIndex: number;
  payload: AnchorPayload;
}

/**
 * The anchor rule: the transaction parses strictly, exactly one of its outputs has a script
 * beginning with OP_RETURN (0x6a), that script is exactly `6a 35 <53 bytes>` (a direct push:
 * no OP_PUSHDATA1, nothing after it), and the 53 bytes decode as this chain's payload.
 */
export function parseAnchorTransaction(raw: Uint8Array, chainId: string, opts: { witness: 'forbidden' | 'allowed' }): AnchorTransaction {
  const tx = parseBitcoinTransaction(raw, opts);
  const opReturns = tx.outputs.flatMap((o, i) => (o.script.length > 0 && o.script[0] === OP_RETURN ? [i] : []));
  if (opReturns.length !== 1) {
    throw new BitcoinRuleError('anchor-op-return-count', `rawTx: ${opReturns.length} outputs begin with OP_RETURN${opReturns.length ? ` (outputs ${opReturns.join(', ')})` : ''}, an anchor transaction has exactly 1`);
  }
  const outputIndex = opReturns[0];
  const script = tx.outputs[outputIndex].script;
  if (!isAnchorScriptShape(script)) {
    throw new BitcoinRuleError('anchor-script', `rawTx.outputs[${outputIndex}].script: ${script.length} bytes beginning ${bytesToHex(script.subarray(0, 3))}, expected exactly 6a35 and the 53-byte payload (OP_RETURN, a direct push of 53 bytes)`);
  }
  let payload: AnchorPayload;
  try {
    payload = decodeAnchorPayload(script.subarray(2), chainId);
  } catch (err) {
    throw new BitcoinRuleError('anchor-payload', `rawTx.outputs[${outputIndex}] payload ${(err as Error).message}`);
  }
  return { tx, outputIndex, payload };
}
