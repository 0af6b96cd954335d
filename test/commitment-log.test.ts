// node/commitment-log.ts serves inclusion proofs from cached subtree roots. They must be the
// RFC 9162 paths protocol/merkle.ts computes from all leaves, for every index and every
// historical size (a proof is served at the size block h committed to, not the current one).
import { describe, expect, it } from 'vitest';
import { CommitmentLog } from '../node/commitment-log.ts';
import { inclusionProof, leafHash, rootOf, verifyInclusion } from '../protocol/merkle.ts';

const leaves = Array.from({ length: 300 }, (_, i) => leafHash(new TextEncoder().encode(`leaf ${i}`)));

describe('CommitmentLog', () => {
  // Every size up to 130 (two cached levels, 64 and 128) and sizes around 192 and 256, every index.
  const SIZES = [...Array.from({ length: 130 }, (_, i) => i + 1), 191, 192, 193, 255, 256, 257, 300];

  it('gives the same root for every size up to 300, and the same inclusion paths as the plain computation at every index of 137 sizes', () => {
    const log = new CommitmentLog();
    for (let n = 1; n <= leaves.length; n++) {
      log.append(leaves[n - 1]);
      expect(log.root()).toEqual(rootOf(leaves.slice(0, n)));
    }
    for (const size of SIZES) {
      const prefix = leaves.slice(0, size);
      const root = rootOf(prefix);
      for (let i = 0; i < size; i++) {
        const path = log.inclusionProof(i, size);
        expect(path).toEqual(inclusionProof(prefix, i));
        expect(verifyInclusion(leaves[i], i, size, path, root)).toBe(true);
      }
    }
  });

  it('uses cached subtrees across levels: a log of 4,100 leaves built at once matches at far and near sizes', () => {
    const many = Array.from({ length: 4100 }, (_, i) => leafHash(Uint8Array.of(i & 0xff, i >> 8)));
    const log = new CommitmentLog(many);
    expect(log.size).toBe(4100);
    for (const size of [64, 65, 127, 128, 129, 1024, 4095, 4096, 4097, 4100]) {
      for (const i of [0, 1, 63, 64, size >> 1, size - 2, size - 1].filter((x) => x >= 0 && x < size)) {
        expect(log.inclusionProof(i, size)).toEqual(inclusionProof(many.slice(0, size), i));
      }
    }
  });

  it('refuses sizes it does not hold and indexes outside the size', () => {
    const log = new CommitmentLog(leaves.slice(0, 10));
    expect(() => log.inclusionProof(0, 11)).toThrow(/log size 11 is outside \[1, 10\]/);
    expect(() => log.inclusionProof(0, 0)).toThrow(/log size 0/);
    expect(() => log.inclusionProof(10, 10)).toThrow(/leaf index 10 is outside a tree of size 10/);
  });
});
