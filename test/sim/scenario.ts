// A simulation scenario: every parameter is drawn from the seed's PRNG and can be printed, so
// a failing seed says exactly what world it ran in (TigerBeetle VOPR style).
import { Prng } from './prng.ts';

export type ByzantineMode = 'silent' | 'equivocate' | 'invalidBlocks';

export interface Partition {
  startMs: number;
  endMs: number;
  /** group[i] is 0 or 1 for every validator; messages cross groups only via a bridging Byzantine. */
  group: number[];
}

export interface PlannedCrash {
  node: number;
  atMs: number;
  downMs: number;
}

export interface Scenario {
  seed: number;
  validators: number;
  powers: bigint[];
  byzantine: number | undefined;
  byzantineMode: ByzantineMode | undefined;
  /** Whether the Byzantine validator reaches both sides of a partition. */
  byzantineBridges: boolean;
  /** Honest validators the equivocating Byzantine sends its "second" messages to. */
  byzantineSplit: number[];
  lossProbability: number;
  duplicateProbability: number;
  delayMsMin: number;
  delayMsMax: number;
  partitions: Partition[];
  crashes: PlannedCrash[];
  /** Chance of a crash at each effect boundary of an honest node, during the chaos phase. */
  crashAtEffectProbability: number;
  crashesMax: number;
  /** Chaos (faults on) until healMs; then the network is reliable and every node is up. */
  healMs: number;
  /** After the heal every honest node must decide this many more heights... */
  livenessHeights: number;
  /** ...within this much simulated time. */
  livenessWindowMs: number;
  timeouts: { timeoutProposeMs: number; timeoutPrevoteMs: number; timeoutPrecommitMs: number; timeoutDeltaMs: number };
  /**
   * Blocks only when there is something to finalise (issue 29): every height after the first
   * waits in round 0 until a transaction reaches the node or `heartbeatMs` has passed since
   * its last decision. Transactions arrive at `txAtMs` (each node hears of one a few ms apart).
   * Absent: every height starts at once, as before.
   */
  idle: { heartbeatMs: number; txAtMs: number[] } | undefined;
}

export interface ScenarioOptions {
  validators: number;
  /** Turn every fault kind on (the CI default) or run a calm network (for the unit checks). */
  faults: boolean;
  /** Idle periods: heights wait for transactions or the heartbeat (see Scenario.idle). */
  idle?: boolean;
}

export function drawScenario(seed: number, options: ScenarioOptions): Scenario {
  const rng = new Prng(seed);
  const n = options.validators;
  const faults = options.faults;
  const weighted = rng.chance(0.3);
  const powers = Array.from({ length: n }, () => BigInt(weighted ? rng.int(1, 3) : 1));
  const total = powers.reduce((a, b) => a + b, 0n);
  const byzantine = faults ? rng.int(0, n - 1) : undefined;
  // One Byzantine validator must hold less than 1/3 of the power.
  if (byzantine !== undefined && 3n * powers[byzantine] >= total) powers[byzantine] = 1n;
  const byzantineMode: ByzantineMode | undefined = byzantine === undefined ? undefined : rng.pick(['silent', 'equivocate', 'invalidBlocks'] as const);
  const honest = [...Array(n).keys()].filter((i) => i !== byzantine);
  const byzantineSplit = honest.filter(() => rng.chance(0.5));
  const healMs = faults ? rng.int(1500, 5000) : 0;
  const partitions: Partition[] = [];
  if (faults) {
    const count = rng.int(0, 2);
    for (let i = 0; i < count; i++) {
      const startMs = rng.int(0, healMs - 200);
      const endMs = Math.min(healMs, startMs + rng.int(200, 2500));
      // An equivocating Byzantine aligns its split with the partition when it can: the worst case.
      const group = Array.from({ length: n }, (_, v) => (rng.chance(0.5) ? 1 : 0));
      if (rng.chance(0.5)) for (const v of honest) group[v] = byzantineSplit.includes(v) ? 1 : 0;
      partitions.push({ startMs, endMs, group });
    }
  }
  const crashes: PlannedCrash[] = [];
  if (faults) {
    const count = rng.int(0, 3);
    for (let i = 0; i < count; i++) {
      crashes.push({ node: rng.pick(honest), atMs: rng.int(0, healMs - 100), downMs: rng.int(20, 1500) });
    }
  }
  // Drawn after everything else, so the other parameters of a seed do not depend on it.
  let idle: Scenario['idle'];
  let livenessHeights = faults ? 2 : 5;
  let livenessWindowMs = 30_000;
  if (options.idle) {
    if (faults) {
      // Heartbeats short enough for liveness within the window; sparse transactions through the chaos and after.
      const txAtMs = Array.from({ length: rng.int(0, 6) }, () => rng.int(0, healMs + 20_000)).sort((a, b) => a - b);
      idle = { heartbeatMs: rng.int(1_000, 8_000), txAtMs };
    } else {
      // A calm network left alone for most of an hour at a time: a transaction now and then,
      // a heartbeat of an hour; the run ends once every transaction is final.
      const txAtMs: number[] = [];
      let t = rng.int(100, 5_000);
      for (let i = rng.int(2, 3); i > 0; i--) {
        txAtMs.push(t);
        t += rng.chance(0.5) ? rng.int(40, 70) * 60_000 : rng.int(1_000, 30_000);
      }
      idle = { heartbeatMs: 60 * 60_000, txAtMs };
      // Height 1 at once, then one height per transaction and one per heartbeat in a gap longer than it.
      livenessHeights = 1;
      let lastMs = 0;
      for (const t of txAtMs) {
        while (lastMs + idle.heartbeatMs < t) {
          lastMs += idle.heartbeatMs;
          livenessHeights++;
        }
        lastMs = t;
        livenessHeights++;
      }
      livenessWindowMs = txAtMs[txAtMs.length - 1] + 30_000;
    }
  }
  return {
    seed,
    validators: n,
    powers,
    byzantine,
    byzantineMode,
    byzantineBridges: rng.chance(0.5),
    byzantineSplit,
    lossProbability: faults ? rng.pick([0, 0.02, 0.1, 0.25]) : 0,
    duplicateProbability: faults ? rng.pick([0, 0.05, 0.2]) : 0,
    delayMsMin: rng.int(1, 10),
    delayMsMax: faults ? rng.int(20, 400) : 30,
    partitions,
    crashes,
    crashAtEffectProbability: faults ? rng.pick([0, 0.002, 0.01]) : 0,
    crashesMax: 6,
    healMs,
    livenessHeights,
    livenessWindowMs,
    timeouts: { timeoutProposeMs: 300, timeoutPrevoteMs: 150, timeoutPrecommitMs: 150, timeoutDeltaMs: 100 },
    idle,
  };
}

export function describeScenario(s: Scenario): string {
  return JSON.stringify(s, (_key, value) => (typeof value === 'bigint' ? Number(value) : value));
}
