// Step "header" (and the per-header rule reused for h+1..H): a Pantheon header decodes, is
// on the trusted chain, names the genesis validator set and claims no time before genesis or
// after the verifier's clock plus a drift allowance.
// Spec: docs/proof.md, steps 3 and 7; docs/block.md.
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';
import { blockHash, decodeHeader, type BlockHeader } from '../protocol/block.ts';
import type { TrustRoot } from './verify-genesis.ts';
import { fail } from './steps.ts';

/** How far a timestamp may lie ahead of the verifier's clock (Bitcoin allows 2 hours too). */
export const FUTURE_DRIFT_MS = 2 * 60 * 60 * 1000;

export interface CheckedHeader {
  header: BlockHeader;
  hash: Uint8Array;
}

export function checkPantheonHeader(bytes: Uint8Array, trust: TrustRoot, nowMs: number | undefined, what: string): CheckedHeader {
  let header: BlockHeader;
  try {
    header = decodeHeader(bytes);
  } catch (err) {
    fail(`${what} does not decode: ${(err as Error).message}`);
  }
  if (header.chainId !== trust.genesis.chainId) fail(`${what} is for chain "${header.chainId}", not "${trust.genesis.chainId}"`);
  // Pantheon v1 keeps the genesis validator set; a header naming another set is not this chain's.
  if (!equalBytes(header.validatorSetHash, trust.validatorSetHash)) {
    fail(`${what} names validator set ${bytesToHex(header.validatorSetHash)}, the genesis set is ${bytesToHex(trust.validatorSetHash)}`);
  }
  if (header.height === 1n && !equalBytes(header.previousBlockHash, trust.genesisHash)) fail(`${what} is at height 1 but does not follow the genesis`);
  if (header.timeMs < trust.genesis.genesisTimeMs) fail(`${what} time ${header.timeMs} ms is before the genesis time ${trust.genesis.genesisTimeMs} ms`);
  if (nowMs !== undefined && header.timeMs > BigInt(Math.floor(nowMs)) + BigInt(FUTURE_DRIFT_MS)) {
    fail(`${what} time ${new Date(Number(header.timeMs)).toISOString()} is more than 2 h after the verifier's clock ${new Date(nowMs).toISOString()}`);
  }
  return { header, hash: blockHash(header) };
}
