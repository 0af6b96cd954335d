// A forged Bitcoin anchor, made in process: a raw transaction carrying the OP_RETURN of block H,
// a two-transaction block (a stand-in coinbase, then the anchor) and k headers mined here at
// whatever target the caller names. It is exactly the attack docs/anchor.md ("Work floor")
// describes: headers cheap enough to make on a laptop, presented as mainnet. Nothing here is
// a test double of a verifier part; the verifier under test runs unmodified.
import { concatBytes } from '@noble/hashes/utils.js';
import { blockHash } from '../../protocol/block.ts';
import { bytesToHex } from '../../protocol/bytes.ts';
import { encodeAnchorPayload } from '../../anchor/payload.ts';
import { bitsToTarget, hashToBigInt, sha256d } from '../../anchor/verify-bitcoin.ts';
import type { AttestationParts } from '../../anchor/verify-attestation.ts';
import { FIXTURE_ANCHORED_H, FIXTURE_GENESIS_TIME_MS, type FixtureChain } from './bundle-fixture.ts';

/** Bitcoin block 840,000 (the fourth halving, April 2024): difficulty 86,388,558,925,171. */
export const MAINNET_CHECKPOINT_840000 = {
  height: 840_000,
  hash: '0000000000000000000320283a032748cef8227873ff4872689bf23f1cda83a5',
  bits: '17034219',
} as const;

const u32le = (n: number) => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0, true);
  return out;
};

/** A legacy (non-witness) transaction: one input, one output. */
function rawTx(prevTxid: Uint8Array, script: Uint8Array, valueSat: bigint): Uint8Array {
  const value = new Uint8Array(8);
  new DataView(value.buffer).setBigUint64(0, valueSat, true);
  return concatBytes(u32le(2), Uint8Array.of(1), prevTxid, u32le(0), Uint8Array.of(0), u32le(0xffffffff), Uint8Array.of(1), value, Uint8Array.of(script.length), script, u32le(0));
}

/** 80 bytes whose hash meets `bits` when `mine` is set (nonce search), else nonce 0 as it comes. */
function header(prev: Uint8Array, merkleRoot: Uint8Array, time: number, bits: number, mine: boolean): Uint8Array {
  const bytes = concatBytes(u32le(0x20000000), prev, merkleRoot, u32le(time), u32le(bits), u32le(0));
  if (!mine) return bytes;
  const target = bitsToTarget(bits);
  const view = new DataView(bytes.buffer);
  for (let nonce = 0; nonce < 2 ** 32; nonce++) {
    view.setUint32(76, nonce, true);
    if (hashToBigInt(sha256d(bytes)) <= target) return bytes;
  }
  throw new Error('forged-anchor: no nonce meets the target');
}

export interface ForgeOptions {
  /** nBits of every header. */
  bits: number;
  /** Search nonces so each header meets its own target (cheap only for easy targets). */
  mine: boolean;
  /** Headers: the anchoring block and those after it (default 6). */
  count?: number;
}

/** The attestation parts of a forged anchor of block H of `chain`, for assembleBundle. */
export function forgeAnchor(chain: FixtureChain, o: ForgeOptions): AttestationParts {
  const H = chain.headers[FIXTURE_ANCHORED_H - 1];
  const payload = encodeAnchorPayload(chain.genesis.chainId, H.height, blockHash(H));
  const anchorTx = rawTx(sha256d(new TextEncoder().encode('forged funding')), concatBytes(Uint8Array.of(0x6a, payload.length), payload), 0n);
  const coinbaseTxid = sha256d(new TextEncoder().encode('forged coinbase'));
  const txid = sha256d(anchorTx);
  const merkleRoot = sha256d(concatBytes(coinbaseTxid, txid));
  const time = Number(FIXTURE_GENESIS_TIME_MS / 1000n) + 600;
  const headers: Uint8Array[] = [];
  let prev = sha256d(new TextEncoder().encode('forged parent'));
  for (let i = 0; i < (o.count ?? 6); i++) {
    const bytes = header(prev, i === 0 ? merkleRoot : sha256d(Uint8Array.of(i)), time + 600 * i, o.bits, o.mine);
    headers.push(bytes);
    prev = sha256d(bytes);
  }
  return {
    pantheonHeight: String(H.height),
    rootHex: bytesToHex(blockHash(H)),
    blockHeight: 900_000,
    rawTxHex: bytesToHex(anchorTx),
    merkleIndex: 1,
    merkleSiblingsHex: [bytesToHex(coinbaseTxid)],
    headerHex: bytesToHex(headers[0]),
    followingHeadersHex: headers.slice(1).map(bytesToHex),
  };
}
