// Crash safety: crash one validator at every effect boundary of a run (before and after
// persistSignState, after signing but before the broadcast, after the broadcast), restart it
// from only what it persisted, and check it never signs two conflicting messages, the
// cluster stays in agreement with valid certificates, and it keeps deciding.
import { describe, expect, it } from 'vitest';
import { FastSigner } from './sim/fast-signer.ts';
import { runSimulation } from './sim/simulate.ts';

describe('crash at every effect boundary', () => {
  for (const { seed, validators, faults } of [
    { seed: 7, validators: 4, faults: false },
    { seed: 11, validators: 4, faults: true },
  ]) {
    it(`seed ${seed}, ${validators} validators, faults ${faults}: every boundary of one honest node`, async () => {
      const signer = new FastSigner();
      const reference = await runSimulation(seed, { validators, faults }, signer);
      expect(reference.ok).toBe(true);
      const node = reference.scenario.byzantine === 1 ? 2 : 1;
      const boundaries = reference.stats.boundaries[node];
      expect(boundaries).toBeGreaterThan(20);
      const failures: string[] = [];
      let crashed = 0;
      for (let k = 0; k < boundaries; k++) {
        const result = await runSimulation(seed, { validators, faults, crashPlan: { node, atBoundary: k, downMs: 250 } }, signer);
        crashed += result.stats.crashes > reference.stats.crashes ? 1 : 0;
        if (!result.ok) failures.push(`boundary ${k}: ${result.failures[0]}`);
      }
      expect(failures).toEqual([]);
      expect(crashed).toBeGreaterThan(boundaries / 2);
    }, 120_000);
  }
});
