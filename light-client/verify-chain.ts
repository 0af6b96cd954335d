// Step "pantheon-chain": the path from block h to the anchored block H. The anchor commits to
// the hash of H; H's header commits to H-1 through previousBlockHash, and so on down to h.
// Recomputing each hash shows h was part of the chain whose later block Bitcoin timestamped.
// Spec: docs/proof.md, step 7.
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';
import type { TrustRoot } from './verify-genesis.ts';
import { checkPantheonHeader, type CheckedHeader } from './verify-header.ts';
import { fail } from './steps.ts';

/** Returns the anchored block H (h itself when no headers follow). */
export function checkPantheonChain(h: CheckedHeader, following: readonly Uint8Array[], trust: TrustRoot, nowMs: number | undefined): CheckedHeader {
  let previous = h;
  following.forEach((bytes, i) => {
    const what = `anchor.pantheonHeaders[${i}]`;
    const next = checkPantheonHeader(bytes, trust, nowMs, what);
    if (next.header.height !== previous.header.height + 1n) fail(`${what} is at height ${next.header.height}, expected ${previous.header.height + 1n}`);
    if (!equalBytes(next.header.previousBlockHash, previous.hash)) {
      fail(`${what} (height ${next.header.height}) names previous block ${bytesToHex(next.header.previousBlockHash)}, but block ${previous.header.height} hashes to ${bytesToHex(previous.hash)}`);
    }
    // Strictly increasing, as every node requires of a block it executes (docs/block.md): equal times never occur on a real chain.
    if (next.header.timeMs <= previous.header.timeMs) fail(`${what} time ${next.header.timeMs} ms is not after block ${previous.header.height}'s ${previous.header.timeMs} ms (block times strictly increase)`);
    if (next.header.commitmentLogSize < previous.header.commitmentLogSize) fail(`${what} commitment log shrinks from ${previous.header.commitmentLogSize} to ${next.header.commitmentLogSize}`);
    previous = next;
  });
  return previous;
}
