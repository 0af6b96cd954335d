// Proposer rotation weighted by voting power: CometBFT's proposer-priority algorithm
// (spec/consensus/proposer-selection.md). At each step every validator's priority grows by its
// power, the highest priority proposes (ties: the smaller address, as CometBFT) and pays back
// the total power. (height h, round r) is step (h - 1) + r counted from all-zero priorities, as
// in CometBFT, where the genesis set is incremented once per height and `round` more times
// within a height.
import { compareBytes } from '../protocol/bytes.ts';
import type { ValidatorSet } from '../protocol/validators.ts';

export interface RotationCheckpoint {
  /** Increments applied to reach `priorities` (step k's proposer is chosen by increment k+1). */
  increments: bigint;
  priorities: readonly bigint[];
  /** The proposer chosen by the last increment. */
  proposer: number;
}

export interface ProposerRotation {
  /** The validator index that proposes at (height, round); heights start at 1. */
  proposerAt(height: bigint, round: number): number;
  /** The walk's current position, for a host that wants to persist it (see below). */
  checkpoint(): RotationCheckpoint;
}

/**
 * For a fixed set the priorities return to all zeros after exactly totalPower increments (each
 * validator proposes `power` times per cycle, the smooth weighted round-robin property; a test
 * checks it), so step k is step k mod totalPower. CometBFT's re-centering and rescaling never
 * fire for a fixed set started at zero (the sum stays 0 and the spread stays below
 * 2 * totalPower; the test checks the spread too), so they are left out.
 *
 * Cost: a cursor walks forward, O(validators) per step. Consecutive heights cost O(validators)
 * each; the first call after a restart at height h costs O(validators * h) unless the host
 * passes a `checkpoint` it persisted (CometBFT likewise stores priorities in its state). The
 * answer depends only on (set, height, round), never on call order.
 */
export function makeProposerRotation(set: ValidatorSet, checkpoint?: RotationCheckpoint): ProposerRotation {
  const n = set.validators.length;
  const powers = set.validators.map((v) => v.power);
  const total = set.totalPower;
  const tieRank = new Array<number>(n);
  [...set.addresses.keys()]
    .sort((a, b) => compareBytes(set.addresses[a], set.addresses[b]))
    .forEach((index, rank) => (tieRank[index] = rank));

  const zero = (): bigint[] => new Array<bigint>(n).fill(0n);
  let increments = 0n;
  let priorities = zero();
  let lastProposer = -1;
  if (checkpoint && checkpoint.priorities.length === n && checkpoint.increments > 0n && checkpoint.increments <= total) {
    increments = checkpoint.increments;
    priorities = [...checkpoint.priorities];
    lastProposer = checkpoint.proposer;
  }

  function increment(): void {
    let best = -1;
    for (let i = 0; i < n; i++) {
      priorities[i] += powers[i];
      if (best < 0 || priorities[i] > priorities[best] || (priorities[i] === priorities[best] && tieRank[i] < tieRank[best])) best = i;
    }
    priorities[best] -= total;
    lastProposer = best;
    increments++;
  }

  return {
    proposerAt(height: bigint, round: number): number {
      if (height < 1n) throw new RangeError(`height: ${height} must be at least 1`);
      if (!Number.isInteger(round) || round < 0) throw new RangeError(`round: ${round} must be a non-negative integer`);
      const target = ((height - 1n + BigInt(round)) % total) + 1n;
      if (target < increments) {
        increments = 0n;
        priorities = zero();
      }
      // At most totalPower increments (target <= totalPower).
      while (increments < target) increment();
      return lastProposer;
    },
    checkpoint(): RotationCheckpoint {
      return { increments, priorities: [...priorities], proposer: lastProposer };
    },
  };
}
