// An RFC 9162 Merkle log kept in memory: every leaf hash, the frontier for the root, and the
// roots of complete, aligned subtrees of 2^6 leaves and more. Such a subtree never changes
// once complete, so an inclusion or consistency proof at any size up to the current one costs
// O(log n) lookups and at most about 2 x 64 hashes at the right edge, instead of re-hashing
// the whole log. The cache costs about n/32 hashes of memory. Used by the node for the
// commitment log and by the OAR checkpointer for the record's consistency proofs. Pure.
import { MerkleFrontier, consistencyProofFrom, inclusionProofFrom, nodeHash, rootOf, splitPoint } from './merkle.ts';

const CACHED_LEVEL_MIN = 6;
const CACHED_SIZE_MIN = 2 ** CACHED_LEVEL_MIN;

export class MerkleLog {
  private readonly leaves: Uint8Array[] = [];
  private readonly frontier = new MerkleFrontier();
  /** subtrees[j - CACHED_LEVEL_MIN][i] is the root of leaves [i * 2^j, (i + 1) * 2^j). */
  private readonly subtrees: Uint8Array[][] = [];

  constructor(leafHashes: readonly Uint8Array[] = []) {
    for (const leaf of leafHashes) this.append(leaf);
  }

  get size(): number {
    return this.leaves.length;
  }

  root(): Uint8Array {
    return this.frontier.root();
  }

  /** A copy of the frontier, for computing the root a block would give without appending. */
  frontierCopy(): MerkleFrontier {
    return this.frontier.clone();
  }

  append(leafHashValue: Uint8Array): void {
    this.leaves.push(leafHashValue);
    this.frontier.append(leafHashValue);
    const n = this.leaves.length;
    for (let j = CACHED_LEVEL_MIN, width = CACHED_SIZE_MIN; n % width === 0; j++, width *= 2) {
      const i = n / width - 1;
      const level = (this.subtrees[j - CACHED_LEVEL_MIN] ??= []);
      const below = this.subtrees[j - CACHED_LEVEL_MIN - 1];
      level[i] = j === CACHED_LEVEL_MIN ? rootOf(this.leaves, n - width, n) : nodeHash(below[2 * i], below[2 * i + 1]);
    }
  }

  /** The RFC 9162 inclusion path of leaf `index` in the log as it was at `size` leaves. */
  inclusionProof(index: number, size: number): Uint8Array[] {
    if (!Number.isInteger(size) || size < 1 || size > this.size) throw new RangeError(`log size ${size} is outside [1, ${this.size}]`);
    return inclusionProofFrom(size, index, (start, end) => this.rangeRoot(start, end));
  }

  /** The RFC 9162 consistency proof from the log at `oldSize` leaves to the log at `size`. */
  consistencyProof(oldSize: number, size: number): Uint8Array[] {
    if (!Number.isInteger(size) || size < 1 || size > this.size) throw new RangeError(`log size ${size} is outside [1, ${this.size}]`);
    return consistencyProofFrom(size, oldSize, (start, end) => this.rangeRoot(start, end));
  }

  /** The root of the log as it was at `size` leaves. */
  rootAt(size: number): Uint8Array {
    if (!Number.isInteger(size) || size < 0 || size > this.size) throw new RangeError(`log size ${size} is outside [0, ${this.size}]`);
    return size === 0 ? rootOf([]) : this.rangeRoot(0, size);
  }

  private rangeRoot(start: number, end: number): Uint8Array {
    const width = end - start;
    if (width >= CACHED_SIZE_MIN && (width & (width - 1)) === 0 && start % width === 0) return this.subtrees[Math.log2(width) - CACHED_LEVEL_MIN][start / width];
    if (width <= CACHED_SIZE_MIN) return rootOf(this.leaves, start, end);
    const k = splitPoint(width);
    return nodeHash(this.rangeRoot(start, start + k), this.rangeRoot(start + k, end));
  }
}

