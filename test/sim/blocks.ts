// Simulated blocks. The consensus core treats a block as an opaque hash, so the simulator's
// "blocks" are hashes with a verdict in a shared registry: the stand-in for each host building
// a block, fetching a peer's block and running the state transition on it. Hashes depend only
// on (height, round, proposer, kind), so the same messages recur across seeds and the signature
// cache stays effective.
import { bytesToHex } from '../../protocol/bytes.ts';
import { sha256 } from '../../protocol/hash.ts';

export type SimBlockKind = 'valid' | 'alternative' | 'invalid';

export class BlockRegistry {
  private readonly verdicts = new Map<string, boolean>();

  make(height: bigint, round: number, proposer: number, kind: SimBlockKind): Uint8Array {
    const hash = sha256(new TextEncoder().encode(`pantheon-sim-block/${height}/${round}/${proposer}/${kind}`));
    this.verdicts.set(bytesToHex(hash), kind !== 'invalid');
    return hash;
  }

  /** undefined: no such block was ever built (a host could not fetch it). */
  verdict(hex: string): boolean | undefined {
    return this.verdicts.get(hex);
  }
}
