// Steps "bitcoin-network", "bitcoin-tx", "bitcoin-merkle", "bitcoin-headers" and "bitcoin-pin":
// the bundle anchors into the network the genesis names, the hash of the anchored Pantheon
// block H sits in an OP_RETURN (docs/anchor.md) of a transaction that is in a Bitcoin block,
// and that block is followed by headers carrying proof of work, on mainnet at least the work
// floor (light-client/bitcoin-assurance.ts). The pure
// Bitcoin checks are anchor/verify-bitcoin.ts, the same code the anchorer self-checks with.
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';
import { BitcoinRuleError, parseAnchorTransaction, type AnchorTransaction } from '../anchor/bitcoin-tx.ts';
import {
  assertValidProofOfWork,
  hashFromDisplayHex,
  hashToDisplayHex,
  assertMerkleBranch,
  parseBlockHeader,
  workForBits,
  POW_LIMITS,
  type BlockHeader as BitcoinHeader,
} from '../anchor/verify-bitcoin.ts';
import type { BitcoinAnchorProof } from './bundle.ts';
import type { Genesis, BitcoinCheckpoint } from '../genesis/genesis.ts';
import { assertMeetsWorkFloor, workFloor, WORK_FLOOR_DIVISOR_DEFAULT, type WorkFloor } from './bitcoin-assurance.ts';
import type { CheckedHeader } from './verify-header.ts';
import { fail } from './steps.ts';

/** Confirmations asked for by default: the anchorer attests at k = 6 (docs/anchor.md). */
export const DEFAULT_MIN_BTC_CONFIRMATIONS = 6;
/** Bitcoin's own rule: a block time more than 2 hours ahead of network time is invalid. */
const BTC_FUTURE_DRIFT_S = 2 * 60 * 60;

/**
 * Step "bitcoin-network": the genesis, not the bundle, says which Bitcoin network the chain
 * anchors into, so a bundle cannot pick a network whose work is free. On mainnet it sets the
 * work floor from the checkpoint (the auditor's, else the genesis's).
 */
export function checkBitcoinNetwork(
  btc: BitcoinAnchorProof,
  genesis: Genesis,
  opts: { btcCheckpoint?: BitcoinCheckpoint; workFloorDivisor?: number },
): { network: Genesis['bitcoin']['network']; floor?: WorkFloor } {
  const network = genesis.bitcoin.network;
  if (btc.network !== network) fail(`the bundle claims Bitcoin ${btc.network}, but the trusted genesis anchors chain "${genesis.chainId}" into ${network}`);
  if (network !== 'mainnet') {
    if (opts.btcCheckpoint) fail(`a Bitcoin checkpoint was pinned, but the genesis anchors into ${network}, where no work floor applies (checkpoints are for mainnet)`);
    return { network };
  }
  const checkpoint = opts.btcCheckpoint ?? genesis.bitcoin.checkpoint;
  // parseGenesis requires a checkpoint on mainnet; this guards a Genesis built by hand.
  if (!checkpoint) fail('the genesis anchors into mainnet but pins no checkpoint, so no work floor can be set');
  try {
    return { network, floor: workFloor(checkpoint, opts.workFloorDivisor ?? WORK_FLOOR_DIVISOR_DEFAULT, opts.btcCheckpoint ? 'auditor' : 'genesis') };
  } catch (err) {
    fail((err as Error).message);
  }
}

/**
 * The anchor rule of docs/anchor.md, read by the same parser the node and the anchorer use.
 * The bundle carries the transaction WITHOUT witness data: exactly the bytes its txid hashes.
 * Witness bytes are not covered by the txid (only by the block's witness commitment, which a
 * header-only verifier cannot see), so a bundle holding them would carry unchecked bytes.
 */
export function checkBitcoinTx(btc: BitcoinAnchorProof, chainId: string, anchored: CheckedHeader): { txid: Uint8Array } {
  let anchor: AnchorTransaction;
  try {
    anchor = parseAnchorTransaction(btc.rawTx, chainId, { witness: 'forbidden' });
  } catch (err) {
    fail(`raw Bitcoin transaction: ${(err as Error).message}${err instanceof BitcoinRuleError ? ` [${err.rule}]` : ''}`);
  }
  const { payload, tx } = anchor;
  if (payload.height !== anchored.header.height) fail(`OP_RETURN anchors height ${payload.height}, the bundle's anchored block H is at height ${anchored.header.height}`);
  if (!equalBytes(payload.root, anchored.hash)) fail(`OP_RETURN root ${bytesToHex(payload.root)} is not the hash of block H ${bytesToHex(anchored.hash)}`);
  // The txid is the hash of these very bytes (internal order), so every byte is checked by the merkle step.
  return { txid: tx.txid };
}

export function checkBitcoinMerkle(btc: BitcoinAnchorProof, txid: Uint8Array): BitcoinHeader {
  const header = parseBlockHeader(btc.headers[0]);
  try {
    // The same rule the vectors check (docs/anchor.md): the branch fits a block and reaches its root.
    assertMerkleBranch(txid, { index: btc.txIndex, siblings: btc.merkleBranch }, header.merkleRoot);
  } catch (err) {
    if (err instanceof BitcoinRuleError && err.rule === 'merkle-root') {
      fail(`branch of ${btc.merkleBranch.length} hashes from tx ${hashToDisplayHex(txid)} at index ${btc.txIndex} does not reach the merkle root of block ${hashToDisplayHex(header.hash)} [merkle-root]`);
    }
    fail(`merkle branch: ${(err as Error).message}${err instanceof BitcoinRuleError ? ` [${err.rule}]` : ''}`);
  }
  return header;
}

export interface BitcoinHeaderFacts {
  headers: BitcoinHeader[];
  chainwork: bigint;
  confirmations: number;
}

export function checkBitcoinHeaders(btc: BitcoinAnchorProof, opts: { nowMs?: number; minConfirmations: number; floor?: WorkFloor }): BitcoinHeaderFacts {
  if (POW_LIMITS[btc.network] === undefined) fail(`unknown Bitcoin network "${btc.network}"`);
  const headers: BitcoinHeader[] = [];
  let chainwork = 0n;
  btc.headers.forEach((raw, i) => {
    const header = parseBlockHeader(raw);
    const what = i === 0 ? 'anchoring block header' : `header ${i} after the anchoring block`;
    try {
      // The floor first: a header below it is refused for its claimed difficulty alone, mined or not.
      if (opts.floor) assertMeetsWorkFloor(header.bits, opts.floor);
      assertValidProofOfWork(header, btc.network);
    } catch (err) {
      fail(`${what} ${hashToDisplayHex(header.hash)}: ${(err as Error).message}${err instanceof BitcoinRuleError ? ` [${err.rule}]` : ''}`);
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
