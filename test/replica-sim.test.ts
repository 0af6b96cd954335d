// The replica simulator (test/sim/replica-world.ts, docs/replica.md) runs the node's replica
// unmodified over simulated clock, network and disk: the CI seeds hold every checker, a seed
// replays to the same trace, and the reintroduced ordering bugs of f8c9e2a (a re-proposed block
// signed before it is on disk) and 9c8bb5c (a sign record that reaches the disk after its
// signature) are found within the CI seeds, their seeds printed, as is a broken core (half
// quorum). Most seeds have a Byzantine validator (silent, equivocating, proposing invalid
// blocks). It also crashes one node at every boundary of a run in turn and runs calm networks
// for hours. 100,000 seeds: `npm run sim -- --seeds 100000` (opt-in).
import { describe, expect, it } from 'vitest';
import { runReplicaSimulation, type ReplicaSimResult } from './sim/replica-world.ts';
import { AgreementChecker, AppendOnlyChecker, DoubleSignChecker, SupplyChecker, Violations } from './sim/replica-checkers.ts';
import { TOTAL_SUPPLY } from '../genesis/genesis.ts';
import type { ReintroducedBug } from '../node/consensus-driver.ts';

/** CI's seeds: about a minute and a half of CPU here (test/sim/replica-run.ts prints the time). */
const CI_SEEDS = 40;
/** And with 7 validators (f = 2), seeds 10,001 on. */
const CI_SEEDS_7 = 10;
/** Calm runs (ReplicaSimOptions.calm): hours of simulated quiet, some seconds each. */
const CALM_SEEDS = 4;

function report(r: ReplicaSimResult, bug?: ReintroducedBug): string {
  return `seed ${r.seed} (replay: npm run sim -- --start ${r.seed} --seeds 1${bug ? ` --reintroduce ${bug}` : ''})\n  ${r.failures.join('\n  ')}`;
}

/** Runs seeds 1.. until one fails (as `wanted` says, if given); that seed's result, or undefined after `seeds`. */
async function firstFailing(seeds: number, bug: ReintroducedBug, validators = 4, wanted: (failure: string) => boolean = () => true): Promise<ReplicaSimResult | undefined> {
  for (let seed = 1; seed <= seeds; seed++) {
    const r = await runReplicaSimulation(seed, { unsafeReintroduce: bug, validators });
    if (!r.ok && r.failures.some(wanted)) return r;
  }
  return undefined;
}

describe('the replica simulator', () => {
  it(`holds agreement, validity, supply, append-only, no double sign, durability and liveness over ${CI_SEEDS} seeds, with a silent, equivocating or invalid-block-proposing Byzantine validator in most`, async () => {
    const failed: string[] = [];
    let heights = 0;
    let crashes = 0;
    let transfers = 0;
    let logSize = 0;
    let evidence = 0;
    let rejected = 0;
    let maxRound = 0;
    const modes = new Set<string>();
    for (let seed = 1; seed <= CI_SEEDS; seed++) {
      const r = await runReplicaSimulation(seed);
      if (!r.ok) failed.push(report(r));
      evidence += r.stats.evidenceCommitted;
      rejected += r.stats.rejectedAtEdge;
      maxRound = Math.max(maxRound, r.stats.maxRound);
      modes.add(r.scenario.byzantine?.mode ?? 'none');
      heights += r.stats.heights;
      crashes += r.stats.crashes;
      transfers += r.stats.transfersCommitted;
      logSize += r.stats.logSize;
    }
    expect(failed, failed.join('\n')).toEqual([]);
    // The runs did something: heights decided across crashes, with transfers in them.
    expect(heights).toBeGreaterThan(CI_SEEDS * 3);
    expect(crashes).toBeGreaterThan(CI_SEEDS);
    expect(transfers).toBeGreaterThan(0);
    expect(logSize).toBeGreaterThan(0); // commitments were committed: the append-only checker had a log to watch
    // A Byzantine validator was silent, equivocated or proposed invalid blocks; the honest
    // replicas turned its conflicting votes into evidence that blocks committed, and its
    // corrupted signatures died at the gossip checks.
    expect([...modes].sort()).toEqual(['equivocate', 'invalidBlocks', 'none', 'silent']);
    expect(evidence).toBeGreaterThan(CI_SEEDS);
    expect(rejected).toBeGreaterThan(10);
    expect(maxRound).toBeGreaterThanOrEqual(3); // heights went through several failed rounds
  }, 600_000);

  it(`holds every checker with 7 validators over ${CI_SEEDS_7} seeds`, async () => {
    const failed: string[] = [];
    let heights = 0;
    for (let seed = 10_001; seed < 10_001 + CI_SEEDS_7; seed++) {
      const r = await runReplicaSimulation(seed, { validators: 7 });
      if (!r.ok) failed.push(report(r));
      heights += r.stats.heights;
    }
    expect(failed, failed.join('\n')).toEqual([]);
    expect(heights).toBeGreaterThan(CI_SEEDS_7 * 3);
  }, 600_000);

  it('its checkers fire: two blocks at one height, a second signature at one step, a unit of supply, a log that shrinks', () => {
    const v = new Violations();
    const agreement = new AgreementChecker(v);
    agreement.onCommit(0, 5n, 'aa'.repeat(32), 0);
    agreement.onCommit(1, 5n, 'bb'.repeat(32), 1);
    const signs = new DoubleSignChecker(v);
    signs.onSign(2, { height: 5n, round: 1, step: 'prevote', blockHash: new Uint8Array(32).fill(1) });
    signs.onSign(2, { height: 5n, round: 1, step: 'prevote', blockHash: new Uint8Array(32).fill(2) });
    new SupplyChecker(v).check('a disk', new Map([['00', { balance: TOTAL_SUPPLY - 1n, nonce: 0n }]]));
    const appendOnly = new AppendOnlyChecker(v);
    const record = (size: bigint) => ({ ownerPublicKey: new Uint8Array(0), size, root: new Uint8Array(32).fill(Number(size)), commitments: 1n, keyChanges: [] });
    appendOnly.check('node 0', 'node 0 at 3', new Map([['op/log', record(20n)]]));
    appendOnly.check('node 1', 'node 1 at 2', new Map([['op/log', record(5n)]])); // another history: fine
    appendOnly.check('node 0', 'node 0 at 4', new Map([['op/log', record(5n)]]));
    expect(v.list.map((line) => line.split(':')[0])).toEqual(['agreement', 'double sign', 'supply', 'append-only']);
  });

  it('replays a seed to the same trace and outcome', async () => {
    const a = await runReplicaSimulation(7);
    const b = await runReplicaSimulation(7);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.stats).toEqual(a.stats);
  }, 120_000);

  it('finds a re-proposed block signed before it is on disk (the bug fixed in f8c9e2a) and prints its seed', async () => {
    const r = await firstFailing(CI_SEEDS, 'proposed-block-unstored');
    expect(r, 'the reintroduced bug went unnoticed').toBeDefined();
    console.log(`proposed-block-unstored found at ${report(r!, 'proposed-block-unstored')}`);
    expect(r!.failures[0]).toMatch(/^durable before signed: node \d signed its proposal of height \d+ round \d+ \(valid round \d+\)/);
  }, 600_000);

  it('finds a sign record written behind its signature (the bug fixed in 9c8bb5c): a crash loses it and the validator signs twice; prints its seed', async () => {
    // The first seed that shows it as a double sign: the lost record shows in other seeds as a
    // stall (seed 1: a validator whose precommit's record was lost resumes at its prevote, and
    // the others wait for a precommit it no longer sends).
    const r = await firstFailing(CI_SEEDS, 'sign-records-out-of-order', 4, (f) => f.startsWith('double sign'));
    expect(r, 'the reintroduced bug went unnoticed').toBeDefined();
    console.log(`sign-records-out-of-order found at ${report(r!, 'sign-records-out-of-order')}`);
    expect(r!.failures.find((f) => f.startsWith('double sign'))).toMatch(/^double sign: validator \d signed (proposal|prevote|precommit) at height \d+ round \d+ for [0-9a-f]{12} and [0-9a-f]{12}/);
  }, 600_000);

  it('finds a broken core that takes more than 1/2 of the power for a quorum (7 validators); the honest core passes the same seed', async () => {
    const r = await firstFailing(CI_SEEDS_7, 'half-quorum', 7);
    expect(r, 'the broken core went unnoticed').toBeDefined();
    console.log(`half-quorum found at ${report(r!, 'half-quorum')} with --validators 7`);
    expect(r!.failures[0]).toMatch(/^(validity|agreement|double sign)/);
    const honest = await runReplicaSimulation(r!.seed, { validators: 7 });
    expect(honest.failures).toEqual([]);
  }, 600_000);

  // Seeds the opt-in long runs found failing, each fixed since: they stay fixed. 101060 …
  // 207337: a proposal re-sent from disk after a restart whose transactions no peer could be
  // given (2938a2c); 107728, 107944, 108290: a validator locked on a block it did not keep.
  const FOUND_BY_LONG_RUNS = [101060, 102175, 102436, 103072, 105216, 201073, 203076, 203330, 206568, 207337, 107728, 107944, 108290];
  it(`the ${FOUND_BY_LONG_RUNS.length} seeds the long runs found failing pass`, async () => {
    const failed: string[] = [];
    for (const seed of FOUND_BY_LONG_RUNS) {
      const r = await runReplicaSimulation(seed);
      if (!r.ok) failed.push(report(r));
    }
    expect(failed, failed.join('\n')).toEqual([]);
  }, 600_000);

  it('finds a validator that does not keep the block it locks on: after a restart the height never decides (seed 107944)', async () => {
    const r = await runReplicaSimulation(107_944, { unsafeReintroduce: 'locked-block-unstored' });
    expect(r.ok, 'the reintroduced bug went unnoticed').toBe(false);
    expect(r.failures[0]).toMatch(/^liveness: after the heal at \d+ms, replicas did not all commit height/);
  }, 120_000);

  // A Byzantine validator that floods proposals (each with a block of its own) for rounds the
  // core ignores fills every honest replica's blocks at hand. Those found valid at the height
  // are evicted last, so the block a replica then locks on is still at hand to be stored.
  // Checked by hand once: with plain oldest-first eviction, seeds 2, 3 and 6 fail ('locked on a
  // block that is neither at hand nor on disk').
  it('a validator flooding proposals does not push the block the others lock on out of their memory (6 seeds)', async () => {
    const failed: string[] = [];
    let heights = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const r = await runReplicaSimulation(seed, { floodProposals: true });
      expect(r.scenario.byzantine?.mode).toBe('flood');
      if (!r.ok) failed.push(report(r));
      heights += r.stats.heights;
    }
    expect(failed, failed.join('\n')).toEqual([]);
    expect(heights).toBeGreaterThan(6 * 3);
  }, 300_000);

  // The old hand-written host's crash test, on the replica: one honest node crashed at every
  // boundary of a run in turn (each block-store write about to be issued, each sign record just
  // durable, each message about to leave), restarted from its disk alone; every checker holds.
  for (const { seed, node } of [
    { seed: 1, node: 1 }, // a silent Byzantine validator (node 2), crashes, partitions
    { seed: 5, node: 0 }, // an equivocating Byzantine validator (node 1), crashes
  ]) {
    it(`crashes node ${node} of seed ${seed} at each of its boundaries in turn: no violation`, async () => {
      const reference = await runReplicaSimulation(seed);
      expect(reference.failures).toEqual([]);
      expect(reference.scenario.byzantine?.node).not.toBe(node);
      const boundaries = reference.stats.boundaries[node];
      expect(boundaries).toBeGreaterThan(30);
      const failures: string[] = [];
      let crashed = 0;
      for (let k = 0; k < boundaries; k++) {
        const r = await runReplicaSimulation(seed, { crashPlan: { node, atBoundary: k, downMs: 250 } });
        if (r.stats.crashes > reference.stats.crashes) crashed++;
        if (!r.ok) failures.push(`boundary ${k}: ${report(r)}`);
      }
      expect(failures, failures.join('\n')).toEqual([]);
      expect(crashed).toBeGreaterThan(boundaries / 2);
    }, 600_000);
  }

  it(`a calm network left alone for up to 80 minutes at a time (${CALM_SEEDS} seeds): no spurious round, a block soon after each transaction, none in between but the hourly heartbeat`, async () => {
    let heartbeats = 0;
    for (let seed = 1; seed <= CALM_SEEDS; seed++) {
      const r = await runReplicaSimulation(seed, { calm: true });
      expect(r.failures, report(r)).toEqual([]);
      const txAtMs = r.scenario.transfers.map((t) => t.atMs);
      const decisions = r.stats.decisions;
      const heartbeatMs = r.scenario.heartbeatMs;
      expect(r.stats.maxRound, `seed ${r.seed}`).toBe(0); // nothing timed out while idle
      expect(decisions[0].atMs).toBeLessThan(1_000); // height 1 at once
      // Each transaction is in a block within a second (one arriving while a height runs joins the next).
      for (const t of txAtMs) expect(decisions.some((d) => d.atMs >= t && d.atMs <= t + 1_000), `seed ${r.seed}: tx at ${t}ms`).toBe(true);
      // No block without a reason: each later height follows a transaction or a full heartbeat.
      for (let i = 1; i < decisions.length; i++) {
        const gapMs = decisions[i].atMs - decisions[i - 1].atMs;
        const followsTx = txAtMs.some((t) => t > decisions[i - 1].atMs && t <= decisions[i].atMs);
        // The heartbeat counts from the previous block's time, set when it was built, a few
        // milliseconds before it was decided.
        expect(followsTx || gapMs >= heartbeatMs - 1_000, `seed ${r.seed} height ${decisions[i].height}: ${gapMs}ms after the previous`).toBe(true);
        if (!followsTx) heartbeats++;
      }
    }
    expect(heartbeats).toBeGreaterThan(0); // some quiet stretch outlasted the heartbeat
  }, 600_000);

  // The round-0 proposer may lack the one transaction another validator holds (its gossip was
  // lost, or the proposer restarted). That validator's votes end everyone's wait: without that
  // (node/consensus-driver.ts, input()) the proposer waits for the hourly heartbeat. Checked by
  // hand once: with the vote rule commented out this test fails on the first transaction.
  it(`a transaction only one validator holds (its gossip lost on every link) is final within seconds, not at the hourly heartbeat (${CALM_SEEDS} calm seeds)`, async () => {
    let transfers = 0;
    for (let seed = 1; seed <= CALM_SEEDS; seed++) {
      const r = await runReplicaSimulation(seed, { calm: true, txGossipLost: true });
      expect(r.failures, report(r)).toEqual([]);
      // Transfer i (in time order) is final once i + 1 transactions are: the block that takes
      // the count there, which must come after it.
      let committed = 0;
      const finalAt = r.stats.decisions.map((d) => ({ atMs: d.atMs, committed: (committed += d.txs) }));
      r.scenario.transfers.forEach((t, i) => {
        const block = finalAt.find((d) => d.committed >= i + 1);
        expect(block, `seed ${seed}: transfer at ${t.atMs}ms handed to node ${t.node} never committed`).toBeDefined();
        expect(block!.atMs, `seed ${seed}: transfer at ${t.atMs}ms`).toBeGreaterThanOrEqual(t.atMs);
        expect(block!.atMs - t.atMs, `seed ${seed}: transfer at ${t.atMs}ms handed to node ${t.node}`).toBeLessThan(10_000); // 0.04-1.6 s in the 4 seeds
      });
      expect(r.stats.transfersCommitted).toBe(r.scenario.transfers.length);
      transfers += r.scenario.transfers.length;
    }
    expect(transfers).toBeGreaterThanOrEqual(CALM_SEEDS * 3);
  }, 600_000);
});
