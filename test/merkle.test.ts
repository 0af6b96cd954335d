// RFC 6962 / RFC 9162 Merkle trees against a plain reference: the RFC's recursive
// definitions of MTH, PATH and PROOF written out literally, for every tree size 1..128,
// every index and every old size; then every single-bit change to a proof, root, index or
// size must be rejected.
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { consistencyProof, inclusionProof, leafHash, MerkleFrontier, rootOf, verifyConsistency, verifyInclusion, EMPTY_ROOT } from '../protocol/merkle.ts';
import { bytesToHex } from '../protocol/bytes.ts';

const MAX_SIZE = 128;
// The sweeps below check hundreds of thousands of proofs: tens of seconds of CPU, several
// minutes on a loaded 2-core machine. A generous limit, so load cannot fail them (no test here
// asserts a time).
const SWEEP_TIMEOUT_MS = 300_000;

// ---- the reference: RFC 9162 section 2.1, recursion on lists of leaf inputs ------------------
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const k = (n: number) => 2 ** Math.ceil(Math.log2(n) - 1); // largest power of 2 < n
function MTH(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha256(new Uint8Array(0));
  if (d.length === 1) return sha256(concat(Uint8Array.of(0), d[0]));
  const s = k(d.length);
  return sha256(concat(Uint8Array.of(1), MTH(d.slice(0, s)), MTH(d.slice(s))));
}
function PATH(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  const s = k(d.length);
  return m < s ? [...PATH(m, d.slice(0, s)), MTH(d.slice(s))] : [...PATH(m - s, d.slice(s)), MTH(d.slice(0, s))];
}
function SUBPROOF(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  const n = d.length;
  if (m === n) return b ? [] : [MTH(d)];
  const s = k(n);
  return m <= s ? [...SUBPROOF(m, d.slice(0, s), b), MTH(d.slice(s))] : [...SUBPROOF(m - s, d.slice(s), false), MTH(d.slice(0, s))];
}
/** Which side each sibling on the path is on, leaf first: the statement a proof makes. */
function pathShape(m: number, n: number): string {
  if (n === 1) return '';
  const s = k(n);
  return m < s ? pathShape(m, s) + 'R' : pathShape(m - s, n - s) + 'L';
}

/** The same for a consistency proof: the structure of SUBPROOF's recursion. */
function consistencyShape(m: number, n: number, b: boolean): string {
  if (m === n) return b ? '' : 'X';
  const s = k(n);
  return m <= s ? consistencyShape(m, s, b) + 'R' : consistencyShape(m - s, n - s, false) + 'L';
}

const inputs = Array.from({ length: MAX_SIZE }, (_, i) => Uint8Array.from({ length: i % 7 }, (_, j) => (i * 31 + j) & 0xff));
const hashes = inputs.map(leafHash);
const referenceRoots = [EMPTY_ROOT, ...inputs.map((_, i) => MTH(inputs.slice(0, i + 1)))];

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
}

describe('RFC 6962 Merkle tree against the RFC reference', () => {
  it('computes the same root for every size 0..128', () => {
    expect(bytesToHex(MTH([]))).toBe(bytesToHex(EMPTY_ROOT));
    for (let n = 0; n <= MAX_SIZE; n++) expect(bytesToHex(rootOf(hashes.slice(0, n)))).toBe(bytesToHex(referenceRoots[n]));
  });

  it('produces the reference inclusion proof for every size and index, and it verifies', () => {
    let checked = 0;
    for (let n = 1; n <= MAX_SIZE; n++) {
      const tree = hashes.slice(0, n);
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(tree, i);
        expect(proof.map(bytesToHex)).toEqual(PATH(i, inputs.slice(0, n)).map(bytesToHex));
        expect(verifyInclusion(tree[i], i, n, proof, referenceRoots[n])).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe((MAX_SIZE * (MAX_SIZE + 1)) / 2);
  }, SWEEP_TIMEOUT_MS);

  it('produces the reference consistency proof for every pair of sizes, and it verifies', () => {
    let checked = 0;
    for (let n = 1; n <= MAX_SIZE; n++) {
      const tree = hashes.slice(0, n);
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(tree, m);
        expect(proof.map(bytesToHex)).toEqual(SUBPROOF(m, inputs.slice(0, n), true).map(bytesToHex));
        expect(verifyConsistency(m, n, proof, referenceRoots[m], referenceRoots[n])).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe((MAX_SIZE * (MAX_SIZE + 1)) / 2);
  }, SWEEP_TIMEOUT_MS);
});

describe('every single-bit change is rejected', () => {
  // Hash bits: all 256 bits of every hash for trees of up to EXHAUSTIVE_SIZE leaves; above
  // that, 8 bit positions per hash that rotate with the size and index (the same code path,
  // and SHA-256 treats every input bit alike), to keep CI to seconds. MERKLE_EXHAUSTIVE=1
  // flips every bit of every hash for every size up to 128 (minutes). Index and size bits:
  // all 32, for every tree, always.
  const EXHAUSTIVE_SIZE = process.env.MERKLE_EXHAUSTIVE === '1' ? MAX_SIZE : 16;
  const hashBits = (n: number, i: number) =>
    n <= EXHAUSTIVE_SIZE ? Array.from({ length: 256 }, (_, b) => b) : Array.from({ length: 8 }, (_, j) => (j * 32 + ((n * 7 + i) % 32)) % 256);
  const failures: string[] = [];
  const check = (ok: boolean, what: () => string) => {
    if (!ok && failures.length < 20) failures.push(what());
  };

  it('inclusion: each bit of each proof hash and of the root, for every size and index', () => {
    failures.length = 0;
    let rejected = 0;
    for (let n = 1; n <= MAX_SIZE; n++) {
      const tree = hashes.slice(0, n);
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(tree, i);
        for (const bit of hashBits(n, i)) {
          for (let p = 0; p < proof.length; p++) {
            const bad = proof.slice();
            bad[p] = flipBit(proof[p], bit);
            check(!verifyInclusion(tree[i], i, n, bad, referenceRoots[n]), () => `n=${n} i=${i} proof[${p}] bit ${bit}`);
            rejected++;
          }
          check(!verifyInclusion(tree[i], i, n, proof, flipBit(referenceRoots[n], bit)), () => `n=${n} i=${i} root bit ${bit}`);
          rejected++;
        }
      }
    }
    expect(failures).toEqual([]);
    expect(rejected).toBeGreaterThan(200_000);
  }, SWEEP_TIMEOUT_MS);

  it('inclusion: each bit of the index and the size (a size flip passes only where the path is the same statement)', () => {
    failures.length = 0;
    let rejected = 0;
    let sameShape = 0;
    for (let n = 1; n <= MAX_SIZE; n++) {
      const tree = hashes.slice(0, n);
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(tree, i);
        for (let bit = 0; bit < 32; bit++) {
          const badIndex = (i ^ (1 << bit)) >>> 0;
          check(!verifyInclusion(tree[i], badIndex, n, proof, referenceRoots[n]), () => `n=${n} i=${i} index bit ${bit}`);
          rejected++;
          const badSize = (n ^ (1 << bit)) >>> 0;
          // Sizes whose path has the same shape yield the same root: the size is bound by the
          // signed header, and the proof-bundle verifier takes it from there (docs/merkle.md).
          const same = i < badSize && pathShape(i, badSize) === pathShape(i, n);
          check(verifyInclusion(tree[i], i, badSize, proof, referenceRoots[n]) === same, () => `n=${n} i=${i} size bit ${bit}`);
          if (same) sameShape++;
          else rejected++;
        }
      }
    }
    expect(failures).toEqual([]);
    expect(rejected).toBeGreaterThan(400_000);
    expect(sameShape).toBeGreaterThan(0);
  }, SWEEP_TIMEOUT_MS);

  it('consistency: each bit of each proof hash, of both roots and of both sizes, for every pair of sizes', () => {
    failures.length = 0;
    let rejected = 0;
    let sameShape = 0;
    for (let n = 1; n <= MAX_SIZE; n++) {
      const tree = hashes.slice(0, n);
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(tree, m);
        const oldRoot = referenceRoots[m];
        const newRoot = referenceRoots[n];
        for (const bit of hashBits(n, m)) {
          for (let p = 0; p < proof.length; p++) {
            const bad = proof.slice();
            bad[p] = flipBit(proof[p], bit);
            check(!verifyConsistency(m, n, bad, oldRoot, newRoot), () => `m=${m} n=${n} proof[${p}] bit ${bit}`);
            rejected++;
          }
          check(!verifyConsistency(m, n, proof, flipBit(oldRoot, bit), newRoot), () => `m=${m} n=${n} old root bit ${bit}`);
          check(!verifyConsistency(m, n, proof, oldRoot, flipBit(newRoot, bit)), () => `m=${m} n=${n} new root bit ${bit}`);
          rejected += 2;
        }
        for (let bit = 0; bit < 32; bit++) {
          for (const [m2, n2] of [[(m ^ (1 << bit)) >>> 0, n], [m, (n ^ (1 << bit)) >>> 0]]) {
            const same = m2 >= 1 && m2 <= n2 && consistencyShape(m2, n2, true) === consistencyShape(m, n, true);
            check(verifyConsistency(m2, n2, proof, oldRoot, newRoot) === same, () => `m=${m} n=${n} sizes -> ${m2},${n2}`);
            if (same) sameShape++;
            else rejected++;
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(rejected).toBeGreaterThan(200_000);
    expect(sameShape).toBeGreaterThan(0);
  }, SWEEP_TIMEOUT_MS);

  it('rejects proofs of the wrong shape without throwing', () => {
    const tree = hashes.slice(0, 10);
    const proof = inclusionProof(tree, 4);
    expect(verifyInclusion(tree[4], 4, 10, [...proof, proof[0]], referenceRoots[10])).toBe(false);
    expect(verifyInclusion(tree[4], 4, 10, proof.slice(1), referenceRoots[10])).toBe(false);
    expect(verifyInclusion(tree[4], 4, 10, [new Uint8Array(31), ...proof.slice(1)], referenceRoots[10])).toBe(false);
    expect(verifyInclusion(tree[4], -1, 10, proof, referenceRoots[10])).toBe(false);
    expect(verifyInclusion(tree[4], 4.5, 10, proof, referenceRoots[10])).toBe(false);
    expect(verifyConsistency(3, 10, [], referenceRoots[3], referenceRoots[10])).toBe(false);
    expect(() => inclusionProof(tree, 10)).toThrow(/outside a tree of size 10/);
    expect(() => consistencyProof(tree, 0)).toThrow(/old size 0/);
  });
});

describe('MerkleFrontier (the append-only right edge)', () => {
  it('has the reference root after every append, and clones are independent', () => {
    const f = new MerkleFrontier();
    expect(bytesToHex(f.root())).toBe(bytesToHex(referenceRoots[0]));
    for (let n = 1; n <= MAX_SIZE; n++) {
      f.append(hashes[n - 1]);
      expect(bytesToHex(f.root())).toBe(bytesToHex(referenceRoots[n]));
    }
    const g = new MerkleFrontier();
    for (const x of hashes.slice(0, 5)) g.append(x);
    const h = g.clone();
    h.append(hashes[5]);
    expect(bytesToHex(g.root())).toBe(bytesToHex(referenceRoots[5]));
    expect(bytesToHex(h.root())).toBe(bytesToHex(referenceRoots[6]));
  });
});
