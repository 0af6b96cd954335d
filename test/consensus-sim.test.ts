// Deterministic simulation of the consensus core (test/sim/): many seeds with every fault kind
// on, real ML-DSA-65 on a subset, replay determinism, and proof that a broken core is caught.
import { describe, expect, it } from 'vitest';
import { SimCrypto, type SimSigner } from './sim/crypto.ts';
import { FastSigner } from './sim/fast-signer.ts';
import { runSimulation, type SimOptions, type SimResult } from './sim/simulate.ts';

async function runSeeds(first: number, count: number, options: SimOptions, signer: SimSigner = new FastSigner()): Promise<SimResult[]> {
  const results: SimResult[] = [];
  for (let seed = first; seed < first + count; seed++) results.push(await runSimulation(seed, options, signer));
  return results;
}

function failuresOf(results: SimResult[]): string[] {
  return results.filter((r) => !r.ok).map((r) => `seed ${r.seed}: ${r.failures.join(' | ')}`);
}

describe('consensus simulation, all faults on (fast keyed-hash signatures)', () => {
  it('600 seeds with 4 validators: safe, live after the heal', async () => {
    const results = await runSeeds(1, 600, { validators: 4, faults: true });
    expect(failuresOf(results)).toEqual([]);
    // The faults really happened: crashes, evidence against the Byzantine, rejected junk, rounds > 0.
    expect(results.reduce((n, r) => n + r.stats.crashes, 0)).toBeGreaterThan(300);
    expect(results.reduce((n, r) => n + r.stats.evidence, 0)).toBeGreaterThan(100);
    expect(results.reduce((n, r) => n + r.stats.rejectedAtEdge, 0)).toBeGreaterThan(10);
    expect(results.some((r) => r.stats.maxRound >= 3)).toBe(true);
    expect(new Set(results.map((r) => r.scenario.byzantineMode))).toEqual(new Set(['silent', 'equivocate', 'invalidBlocks']));
  }, 120_000);

  it('400 seeds with 7 validators: safe, live after the heal', async () => {
    const results = await runSeeds(10_001, 400, { validators: 7, faults: true });
    expect(failuresOf(results)).toEqual([]);
    expect(results.reduce((n, r) => n + r.stats.heightsDecided, 0)).toBeGreaterThan(400 * 2);
  }, 180_000);
});

describe('idle periods: blocks only when there is something to finalise (issue 29)', () => {
  it('a calm network left alone for up to 70 minutes at a time: no spurious round, a block soon after each transaction, none in between', async () => {
    const results = await runSeeds(1, 40, { validators: 4, faults: false, idle: true });
    expect(failuresOf(results)).toEqual([]);
    let quietHours = 0;
    for (const r of results) {
      const { txAtMs, heartbeatMs } = r.scenario.idle!;
      const decisions = r.stats.decisionTimes;
      // No spurious rounds: nothing times out while the chain is idle.
      expect(r.stats.maxRound, `seed ${r.seed}`).toBe(0);
      // Height 1 at once; then one height per transaction, each decided within a second of it
      // (a transaction at a height that is running joins the next one).
      expect(decisions[0].atMs).toBeLessThan(1000);
      for (const t of txAtMs) expect(decisions.some((d) => d.atMs >= t && d.atMs <= t + 1000), `seed ${r.seed}: tx at ${t}ms`).toBe(true);
      // No block without a reason: each later height follows a transaction or a full heartbeat.
      for (let i = 1; i < decisions.length; i++) {
        const gapMs = decisions[i].atMs - decisions[i - 1].atMs;
        const followsTx = txAtMs.some((t) => t > decisions[i - 1].atMs && t <= decisions[i].atMs);
        expect(followsTx || gapMs >= heartbeatMs, `seed ${r.seed} height ${decisions[i].height}`).toBe(true);
      }
      for (let i = 1; i < txAtMs.length; i++) if (txAtMs[i] - txAtMs[i - 1] >= 40 * 60_000) quietHours++;
    }
    expect(quietHours).toBeGreaterThan(10); // the seeds really cover long quiet periods
  }, 120_000);

  it('300 seeds with every fault on and idle heights (heartbeats of 1-8 s, sparse transactions): safe, live after the heal', async () => {
    const results = await runSeeds(20_001, 300, { validators: 4, faults: true, idle: true });
    expect(failuresOf(results)).toEqual([]);
    expect(results.reduce((n, r) => n + r.stats.crashes, 0)).toBeGreaterThan(100);
    expect(results.some((r) => r.stats.maxRound >= 2)).toBe(true);
  }, 120_000);
});

describe('consensus simulation with real ML-DSA-65', () => {
  it('certificates built from real signed precommits verify with protocol verifyCertificate', async () => {
    const crypto = new SimCrypto();
    const results = [...(await runSeeds(1, 24, { validators: 4, faults: true }, crypto)), ...(await runSeeds(10_001, 6, { validators: 7, faults: true }, crypto))];
    expect(failuresOf(results)).toEqual([]);
    expect(crypto.stats.certificateChecks).toBeGreaterThan(30);
    expect(crypto.stats.signs).toBeGreaterThan(100);
  }, 180_000);

  it('the keyed-hash double is faithful: same seeds, same traces as with ML-DSA-65', async () => {
    const real = await runSeeds(1, 3, { validators: 4, faults: true }, new SimCrypto());
    const fast = await runSeeds(1, 3, { validators: 4, faults: true });
    expect(fast.map((r) => r.traceHash)).toEqual(real.map((r) => r.traceHash));
  }, 60_000);
});

describe('replay', () => {
  it('the same seed replays exactly (trace hash), different seeds differ', async () => {
    const a = await runSeeds(42, 5, { validators: 7, faults: true });
    const b = await runSeeds(42, 5, { validators: 7, faults: true });
    expect(b.map((r) => r.traceHash)).toEqual(a.map((r) => r.traceHash));
    expect(new Set(a.map((r) => r.traceHash)).size).toBe(5);
  });
});

describe('a broken core is caught', () => {
  it('quorum lowered to more than 1/2 (unsafe.halfQuorum) fails within the seed budget', async () => {
    let caught: SimResult | undefined;
    for (let seed = 1; seed <= 1000 && !caught; seed++) {
      const result = await runSimulation(seed, { validators: 7, faults: true, unsafe: { halfQuorum: true } }, new FastSigner());
      if (!result.ok) caught = result;
    }
    expect(caught).toBeDefined();
    expect(caught!.failures[0]).toMatch(/^(certificate|agreement|double sign)/);
    // The honest core passes the very same seed.
    const honest = await runSimulation(caught!.seed, { validators: 7, faults: true }, new FastSigner());
    expect(honest.ok).toBe(true);
  }, 60_000);
});
