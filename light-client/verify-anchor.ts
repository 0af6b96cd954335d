// Steps "bitcoin-tx", "bitcoin-merkle", "bitcoin-headers" and "bitcoin-pin": the hash of the
// anchored Pantheon block H sits in an OP_RETURN (docs/anchor.md) of a transaction that is in
// a Bitcoin block, and that block is followed by headers carrying proof of work. The pure
// Bitcoin checks are anchor/verify-bitcoin.ts, the same code the anchorer self-checks with.
import { Transaction } from '@scure/btc-signer';
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';
import { decodeAnchorPayload, looksLikeAnchorPayload } from '../anchor/payload.ts';
import {
  assertValidProofOfWork,
  hashFromDisplayHex,
  hashToDisplayHex,
  merkleRootFromBranch,
  parseBlockHeader,
  parseRawTransaction,
  opReturnData,
  sha256d,
  workForBits,
  POW_LIMITS,
  type BlockHeader as BitcoinHeader,
} from '../anchor/verify-bitcoin.ts';
import type { BitcoinAnchorProof } from './bundle.ts';
import type { CheckedHeader } from './verify-header.ts';
import { fail } from './steps.ts';

/** Confirmations asked for by default: the anchorer attests at k = 6 (docs/anchor.md). */
export const DEFAULT_MIN_BTC_CONFIRMATIONS = 6;
/** Bitcoin's own rule: a block time more than 2 hours ahead of network time is invalid. */
const BTC_FUTURE_DRIFT_S = 2 * 60 * 60;

/**
 * The bundle carries the transaction WITHOUT witness data: exactly the bytes its txid hashes.
 * Witness bytes are not covered by the txid (only by the block's witness commitment, which a
 * header-only verifier cannot see), so a bundle holding them would carry unchecked bytes.
 */
export function assertNoWitness(rawTx: Uint8Array): void {
  const tx = Transaction.fromRaw(rawTx, { allowUnknownOutputs: true, allowUnknownInputs: true, disableScriptCheck: true });
  if (!equalBytes(tx.toBytes(true, false), rawTx)) fail('rawTx must be the transaction serialized without witness data (the bytes its txid hashes), in canonical form');
}

export function checkBitcoinTx(btc: BitcoinAnchorProof, chainId: string, anchored: CheckedHeader): { txid: Uint8Array } {
  let parsed: { txid: Uint8Array; outputScripts: Uint8Array[] };
  try {
    parsed = parseRawTransaction(btc.rawTx);
    assertNoWitness(btc.rawTx);
  } catch (err) {
    fail(`raw Bitcoin transaction: ${(err as Error).message}`);
  }
  // The txid is the hash of these very bytes (internal order), so every byte is checked by the merkle step.
  const txid = sha256d(btc.rawTx);
  if (!equalBytes(txid, parsed.txid)) fail('rawTx does not hash to its own txid');
  const pushes = parsed.outputScripts.map(opReturnData).filter((d): d is Uint8Array => d !== undefined);
  const anchors = pushes.filter(looksLikeAnchorPayload);
  // Exactly one: with two, a reader could be shown either root (docs/anchor.md, the anchor transaction).
  if (anchors.length !== 1) fail(`transaction has ${anchors.length} Pantheon OP_RETURN outputs, expected exactly 1`);
  let payload;
  try {
    payload = decodeAnchorPayload(anchors[0], chainId);
  } catch (err) {
    fail(`OP_RETURN payload: ${(err as Error).message}`);
  }
  if (payload.height !== anchored.header.height) fail(`OP_RETURN anchors height ${payload.height}, the bundle's anchored block H is at height ${anchored.header.height}`);
  if (!equalBytes(payload.root, anchored.hash)) fail(`OP_RETURN root ${bytesToHex(payload.root)} is not the hash of block H ${bytesToHex(anchored.hash)}`);
  return { txid };
}

export function checkBitcoinMerkle(btc: BitcoinAnchorProof, txid: Uint8Array): BitcoinHeader {
  const header = parseBlockHeader(btc.headers[0]);
  let root: Uint8Array;
  try {
    root = merkleRootFromBranch(txid, { index: btc.txIndex, siblings: btc.merkleBranch });
  } catch (err) {
    fail(`merkle branch: ${(err as Error).message}`);
  }
  if (!equalBytes(root, header.merkleRoot)) {
    fail(`branch of ${btc.merkleBranch.length} hashes from tx ${hashToDisplayHex(txid)} at index ${btc.txIndex} does not reach the merkle root of block ${hashToDisplayHex(header.hash)}`);
  }
  return header;
}

export interface BitcoinHeaderFacts {
  headers: BitcoinHeader[];
  chainwork: bigint;
  confirmations: number;
}

export function checkBitcoinHeaders(btc: BitcoinAnchorProof, opts: { nowMs?: number; minConfirmations: number }): BitcoinHeaderFacts {
  if (POW_LIMITS[btc.network] === undefined) fail(`unknown Bitcoin network "${btc.network}"`);
  const headers: BitcoinHeader[] = [];
  let chainwork = 0n;
  btc.headers.forEach((raw, i) => {
    const header = parseBlockHeader(raw);
    const what = i === 0 ? 'anchoring block header' : `header ${i} after the anchoring block`;
    try {
      assertValidProofOfWork(header, btc.network);
    } catch (err) {
      fail(`${what} ${hashToDisplayHex(header.hash)}: ${(err as Error).message}`);
    }
    if (i > 0 && !equalBytes(header.prevHash, headers[i - 1].hash)) {
      fail(`${what} names previous block ${hashToDisplayHex(header.prevHash)}, not ${hashToDisplayHex(headers[i - 1].hash)}`);
    }
    if (opts.nowMs !== undefined && header.time > Math.floor(opts.nowMs / 1000) + BTC_FUTURE_DRIFT_S) {
      fail(`${what} time ${new Date(header.time * 1000).toISOString()} is more than 2 h after the verifier's clock`);
    }
    chainwork += workForBits(header.bits);
    headers.push(header);
  });
  if (headers.length < opts.minConfirmations) fail(`${headers.length} confirmation(s) in the bundle, at least ${opts.minConfirmations} required`);
  return { headers, chainwork, confirmations: headers.length };
}

export function checkBitcoinPin(headers: readonly BitcoinHeader[], pinnedDisplayHex: string): number {
  let pinned: Uint8Array;
  try {
    pinned = hashFromDisplayHex(pinnedDisplayHex.trim().toLowerCase(), 'pinned Bitcoin block hash');
  } catch (err) {
    fail((err as Error).message);
  }
  const at = headers.findIndex((h) => equalBytes(h.hash, pinned));
  if (at < 0) fail(`the bundle's ${headers.length} Bitcoin headers (from ${hashToDisplayHex(headers[0].hash)}) do not reach the pinned block ${pinnedDisplayHex.trim().toLowerCase()}`);
  return at;
}
