// The replica simulator (test/sim/replica-world.ts, docs/replica.md) runs the node's replica
// unmodified over simulated clock, network and disk: the CI seeds hold every checker, a seed
// replays to the same trace, and the reintroduced ordering bug of f8c9e2a (a re-proposed block
// signed before it is on disk) is found within the CI seeds, its seed printed. 100,000 seeds:
// `npm run sim -- --seeds 100000` (opt-in).
import { describe, expect, it } from 'vitest';
import { runReplicaSimulation, type ReplicaSimResult } from './sim/replica-world.ts';
import type { ReintroducedBug } from '../node/consensus-driver.ts';

/** CI's seeds: about a minute and a half of CPU here (test/sim/replica-run.ts prints the time). */
const CI_SEEDS = 40;

function report(r: ReplicaSimResult): string {
  return `seed ${r.seed} (replay: npm run sim -- --start ${r.seed} --seeds 1)\n  ${r.failures.join('\n  ')}`;
}

/** Runs seeds 1.. until one fails; the first failing seed, or undefined after `seeds`. */
async function firstFailing(seeds: number, bug: ReintroducedBug): Promise<ReplicaSimResult | undefined> {
  for (let seed = 1; seed <= seeds; seed++) {
    const r = await runReplicaSimulation(seed, { unsafeReintroduce: bug });
    if (!r.ok) return r;
  }
  return undefined;
}

describe('the replica simulator', () => {
  it(`holds agreement, validity, supply, append-only, no double sign, durability and liveness over ${CI_SEEDS} seeds`, async () => {
    const failed: string[] = [];
    let heights = 0;
    let crashes = 0;
    let transfers = 0;
    for (let seed = 1; seed <= CI_SEEDS; seed++) {
      const r = await runReplicaSimulation(seed);
      if (!r.ok) failed.push(report(r));
      heights += r.stats.heights;
      crashes += r.stats.crashes;
      transfers += r.stats.transfersCommitted;
    }
    expect(failed, failed.join('\n')).toEqual([]);
    // The runs did something: heights decided across crashes, with transfers in them.
    expect(heights).toBeGreaterThan(CI_SEEDS * 3);
    expect(crashes).toBeGreaterThan(CI_SEEDS);
    expect(transfers).toBeGreaterThan(0);
  }, 600_000);

  it('replays a seed to the same trace and outcome', async () => {
    const a = await runReplicaSimulation(7);
    const b = await runReplicaSimulation(7);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.stats).toEqual(a.stats);
  }, 120_000);

  it('finds a re-proposed block signed before it is on disk (the bug fixed in f8c9e2a) and prints its seed', async () => {
    const r = await firstFailing(CI_SEEDS, 'proposed-block-unstored');
    expect(r, 'the reintroduced bug went unnoticed').toBeDefined();
    console.log(`proposed-block-unstored found at ${report(r!)}`);
    expect(r!.failures[0]).toMatch(/^durable before signed: node \d signed its proposal of height \d+ round \d+ \(valid round \d+\)/);
  }, 600_000);
});
