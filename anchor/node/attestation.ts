// An anchor attestation: everything an offline verifier needs to tie a Pantheon root to a
// Bitcoin block, built from raw bytes the node returned (block, headers), re-checked here
// with the same pure functions the light client runs.
import { Block } from 'bitcoinjs-lib';
import { bytesToHex } from '../../protocol/bytes.ts';
import { parseAnchorTransaction } from '../bitcoin-tx.ts';
import type { AttestationParts } from '../verify-attestation.ts';
import type { BitcoinRpc } from './rpc.ts';
import {
  buildMerkleBranch,
  hashToDisplayHex,
  parseBlockHeader,
  verifyHeaderChain,
  verifyMerkleBranch,
  type BitcoinNetworkName,
} from '../verify-bitcoin.ts';

/**
 * The bundle-facing fields (pantheonHeight and rootHex decoded from rawTx, not from our
 * records; header and following headers; merkle position) plus what the node reports.
 */
export interface AnchorAttestation extends AttestationParts {
  /** Display-order hashes, as bitcoind prints them. */
  txid: string;
  blockHash: string;
  confirmations: number;
}

/**
 * Build and self-check the attestation for `txid` in block `blockHash` at `blockHeight`.
 * Throws if the block is not on the node's best chain at that height or anything fails to verify.
 */
export async function buildAttestation(
  rpc: BitcoinRpc,
  args: { txid: string; blockHash: string; blockHeight: number; chainId: string; network: BitcoinNetworkName },
): Promise<AnchorAttestation> {
  const { txid, blockHash, blockHeight, chainId, network } = args;
  if (!Number.isInteger(blockHeight) || blockHeight < 0) throw new RangeError(`blockHeight: expected a non-negative integer, got ${blockHeight}`);
  const tipHeight = await rpc.getBlockCount();
  if ((await rpc.getBlockHash(blockHeight)) !== blockHash) throw new Error(`attestation: block ${blockHash} is no longer at height ${blockHeight} on the best chain`);
  const block = Block.fromBuffer(await rpc.getBlockRaw(blockHash));
  const txs = block.transactions ?? [];
  const index = txs.findIndex((t) => t.getId() === txid);
  if (index < 0) throw new Error(`attestation: tx ${txid} is not in block ${blockHash}`);
  const txids = txs.map((t) => t.getHash());
  const branch = buildMerkleBranch(txids, index);
  const headerBytes = block.toBuffer(true);
  const header = parseBlockHeader(headerBytes);
  if (hashToDisplayHex(header.hash) !== blockHash) throw new Error(`attestation: header hashes to ${hashToDisplayHex(header.hash)}, not ${blockHash}`);
  if (!verifyMerkleBranch(txids[index], branch, header.merkleRoot)) throw new Error('attestation: merkle branch does not reach the header merkle root');
  const following: Uint8Array[] = [];
  for (let h = blockHeight + 1; h <= tipHeight; h++) following.push(await rpc.getBlockHeaderRaw(await rpc.getBlockHash(h)));
  verifyHeaderChain([headerBytes, ...following], network);
  const rawTx = txs[index].toBuffer();
  // The same anchor rule the node and the light client apply (docs/anchor.md).
  const { payload } = parseAnchorTransaction(rawTx, chainId, { witness: 'allowed' });
  return {
    pantheonHeight: payload.height.toString(),
    rootHex: bytesToHex(payload.root),
    txid,
    blockHash,
    blockHeight,
    rawTxHex: bytesToHex(rawTx),
    merkleIndex: branch.index,
    merkleSiblingsHex: branch.siblings.map(bytesToHex),
    headerHex: bytesToHex(headerBytes),
    followingHeadersHex: following.map(bytesToHex),
    confirmations: tipHeight - blockHeight + 1,
  };
}

/**
 * Whether the attested block is still on the node's best chain with at least `k`
 * confirmations. A proof must not be served otherwise.
 */
export async function isAttestationOnBestChain(rpc: BitcoinRpc, attestation: Pick<AnchorAttestation, 'blockHash' | 'blockHeight'>, k: number): Promise<boolean> {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k: expected a positive integer, got ${k}`);
  const tipHeight = await rpc.getBlockCount();
  if (attestation.blockHeight > tipHeight) return false;
  if ((await rpc.getBlockHash(attestation.blockHeight)) !== attestation.blockHash) return false;
  return tipHeight - attestation.blockHeight + 1 >= k;
}
