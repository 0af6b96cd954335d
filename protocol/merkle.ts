// Merkle trees exactly as RFC 9162 section 2.1 (the RFC 6962 tree): leaf hash
// SHA-256(0x00 || leaf), node hash SHA-256(0x01 || left || right), the empty tree hashes to
// SHA-256(""), and a tree of n leaves splits at the largest power of two below n.
// Domain separation lives in the leaf bytes (each leaf starts with a tag and chain id,
// docs/merkle.md), so the tree itself stays byte-for-byte RFC 6962 and interoperable.
import { sha256, sha256Parts } from './hash.ts';
import { equalBytes } from './bytes.ts';

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
const HASH_SIZE = 32;

const LEAF_PREFIX_BYTES = Uint8Array.of(LEAF_PREFIX);

export function leafHash(leaf: Uint8Array): Uint8Array {
  return sha256Parts([LEAF_PREFIX_BYTES, leaf]);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  // One 65-byte buffer and one hash call: this is the hot path of every proof check.
  const input = new Uint8Array(1 + 2 * HASH_SIZE);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + HASH_SIZE);
  return sha256(input);
}

export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

/** Largest power of two strictly below n (n >= 2): the RFC's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * Root of leafHashes[start:end], level by level: an unpaired last node moves up unchanged,
 * which is the same tree as the RFC's recursive split.
 */
export function rootOf(leafHashes: readonly Uint8Array[], start = 0, end = leafHashes.length): Uint8Array {
  if (start < 0 || end > leafHashes.length || start > end) throw new RangeError(`bad range [${start}, ${end})`);
  if (start === end) return EMPTY_ROOT;
  let level = leafHashes.slice(start, end);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i], level[i + 1]));
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

/** RFC 9162 2.1.3.1 PATH(m, D[n]). */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number): Uint8Array[] {
  return inclusionProofFrom(leafHashes.length, index, (start, end) => rootOf(leafHashes, start, end));
}

/** The root of leaves [start, end) of a tree: how a caller that caches subtrees supplies them. */
export type RangeRoot = (start: number, end: number) => Uint8Array;

/** RFC 9162 2.1.3.1 PATH(m, D[n]) for a tree of `size` leaves whose subtree roots come from `rangeRoot`. */
export function inclusionProofFrom(size: number, index: number, rangeRoot: RangeRoot): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is outside a tree of size ${size}`);
  }
  const path: Uint8Array[] = [];
  let start = 0;
  let end = size;
  let m = index;
  // Walk down from the root; collect siblings, then reverse so the path runs leaf to root.
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      path.push(rangeRoot(start + k, end));
      end = start + k;
    } else {
      path.push(rangeRoot(start, start + k));
      start += k;
      m -= k;
    }
  }
  return path.reverse();
}

/** RFC 9162 2.1.4.1 PROOF(m, D[n]) for 0 < m <= n. */
export function consistencyProof(leafHashes: readonly Uint8Array[], oldSize: number): Uint8Array[] {
  return consistencyProofFrom(leafHashes.length, oldSize, (start, end) => rootOf(leafHashes, start, end));
}

/**
 * RFC 9162 2.1.4.1 PROOF(m, D[n]) for a tree of `size` leaves whose subtree roots come from
 * `rangeRoot` (a caller with cached subtrees answers in O(log n)). SUBPROOF walked from the
 * root down; each step adds one hash, so the proof has at most ceil(log2 n) + 1 of them.
 */
export function consistencyProofFrom(size: number, oldSize: number, rangeRoot: RangeRoot): Uint8Array[] {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`tree size ${size} must be a positive integer`);
  if (!Number.isInteger(oldSize) || oldSize < 1 || oldSize > size) {
    throw new RangeError(`old size ${oldSize} must be in [1, ${size}]`);
  }
  const proof: Uint8Array[] = [];
  let m = oldSize;
  let start = 0;
  let end = size;
  let whole = true; // SUBPROOF's b: the old tree is this whole subtree of the new one
  for (;;) {
    const n = end - start;
    if (m === n) {
      if (!whole) proof.push(rangeRoot(start, end));
      break;
    }
    const k = splitPoint(n);
    if (m <= k) {
      proof.push(rangeRoot(start + k, end));
      end = start + k;
    } else {
      proof.push(rangeRoot(start, start + k));
      start += k;
      m -= k;
      whole = false;
    }
  }
  return proof.reverse();
}

function isHashList(proof: readonly Uint8Array[]): boolean {
  return Array.isArray(proof) && proof.every((h) => h instanceof Uint8Array && h.length === HASH_SIZE);
}

function isSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** The root that `proof` implies for a leaf, or undefined when the proof has the wrong shape (RFC 9162 2.1.3.2). */
export function rootFromInclusionProof(leafHashValue: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Uint8Array | undefined {
  if (!isSize(index) || !isSize(size) || index >= size || !isHashList(proof)) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leafHashValue;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

export function verifyInclusion(leafHashValue: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  const computed = rootFromInclusionProof(leafHashValue, index, size, proof);
  return computed !== undefined && root instanceof Uint8Array && equalBytes(computed, root);
}

/** RFC 9162 2.1.4.2, with the equal-size case of RFC 9162 2.1.4.1 (an empty proof, equal roots). */
export function verifyConsistency(oldSize: number, newSize: number, proof: readonly Uint8Array[], oldRoot: Uint8Array, newRoot: Uint8Array): boolean {
  if (!isSize(oldSize) || !isSize(newSize) || oldSize < 1 || oldSize > newSize || !isHashList(proof)) return false;
  if (!(oldRoot instanceof Uint8Array) || !(newRoot instanceof Uint8Array)) return false;
  if (oldSize === newSize) return proof.length === 0 && equalBytes(oldRoot, newRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, oldRoot) && equalBytes(sr, newRoot);
}

function isPowerOfTwo(n: number): boolean {
  while (n > 1 && n % 2 === 0) n /= 2;
  return n === 1;
}

/**
 * The right edge of an append-only RFC 6962 tree: the roots of its perfect subtrees, largest
 * first (the binary decomposition of the size). Appending and taking the root cost O(log n),
 * so a growing log never rehashes its history. The root folds the edge from the right, which
 * is the RFC's split at the largest power of two.
 */
export class MerkleFrontier {
  private readonly edge: { size: number; hash: Uint8Array }[] = [];

  append(leafHashValue: Uint8Array): void {
    let node = { size: 1, hash: leafHashValue };
    while (this.edge.length > 0 && this.edge[this.edge.length - 1].size === node.size) {
      const left = this.edge.pop()!;
      node = { size: left.size * 2, hash: nodeHash(left.hash, node.hash) };
    }
    this.edge.push(node);
  }

  root(): Uint8Array {
    if (this.edge.length === 0) return EMPTY_ROOT;
    let hash = this.edge[this.edge.length - 1].hash;
    for (let i = this.edge.length - 2; i >= 0; i--) hash = nodeHash(this.edge[i].hash, hash);
    return hash;
  }

  clone(): MerkleFrontier {
    const f = new MerkleFrontier();
    f.edge.push(...this.edge);
    return f;
  }
}
