// Deterministic simulation of N validators running the production consensus core unmodified.
// Simulated here: the clock (event queue), the network (delay, loss, duplication, reordering,
// partitions that heal), the disk (SimulatedSignStateStore loses un-synced writes), crashes at
// any effect boundary with restart from what was persisted, and one Byzantine validator.
// Phase 1 (chaos, until healMs): faults on, safety checked throughout. Phase 2: reliable
// network, every node up; liveness: every honest node decides `livenessHeights` more heights
// within `livenessWindowMs`. With `idle`, heights wait for transactions or a heartbeat, as the
// node does (issue 29), and each decision's time is kept so idle behaviour can be checked.
import { bytesToHex, equalBytes, ZERO_HASH } from '../../protocol/bytes.ts';
import type { CommitCertificate } from '../../protocol/certificate.ts';
import type { ValidatorSet } from '../../protocol/validators.ts';
import { NO_ROUND, type Proposal, type Vote } from '../../protocol/vote.ts';
import { createConsensusState, step } from '../../consensus/step.ts';
import { makeProposerRotation } from '../../consensus/proposer.ts';
import { SimulatedSignStateStore } from '../../consensus/sign-state.ts';
import type { ConsensusConfig, ConsensusEffect, ConsensusInput, ConsensusState, UnsafeTestVariants } from '../../consensus/types.ts';
import { BlockRegistry } from './blocks.ts';
import { SafetyChecker } from './checkers.ts';
import { SIM_CHAIN_ID, simValidatorSet, type SimSigner } from './crypto.ts';
import { EventQueue } from './event-queue.ts';
import { Prng, TraceHash } from './prng.ts';
import { describeScenario, drawScenario, type Scenario } from './scenario.ts';

/** Hard bound on events per run: exceeding it is reported as a failure, never a hang. */
export const EVENTS_MAX = 400_000;
/** A stuck node asks its peers for what it misses this often (CometBFT gossips round state). */
const STATUS_INTERVAL_MS = 500;
/** A node answers one peer's status at most this often. */
const ANSWER_INTERVAL_MS = 200;
const BLOCK_INTERVAL_MS = 10;
const DELAY_AFTER_HEAL_MS_MAX = 100;
/** Pull gossip sends the votes of this many rounds below the current one. */
const GOSSIP_ROUNDS_BACK = 2;

type SimMessage =
  | { kind: 'proposal'; proposal: Proposal }
  | { kind: 'vote'; vote: Vote }
  /** Unsigned gossip hint "I am stuck at this height": peers answer with what it may miss. */
  | { kind: 'status'; height: bigint };

type SimEvent =
  | { kind: 'deliver'; to: number; from: number; message: SimMessage; loopback: boolean }
  | { kind: 'input'; node: number; incarnation: number; input: ConsensusInput }
  | { kind: 'crash'; node: number; downMs: number }
  | { kind: 'restart'; node: number }
  | { kind: 'statusTick'; node: number; incarnation: number }
  | { kind: 'heal' };

interface Decision {
  atMs: number;
  round: number;
  blockHash: Uint8Array;
  certificate: CommitCertificate;
  proposal: Proposal | undefined;
}

class SimNode {
  readonly store = new SimulatedSignStateStore();
  /** The block store: durable, written when the decision is handled. */
  readonly decided = new Map<bigint, Decision>();
  up = true;
  incarnation = 0;
  core!: ConsensusState;
  heightAtLastTick = 0n;
  readonly answeredAtMs = new Map<number, number>();
  effectBoundaries = 0;

  constructor(
    readonly index: number,
    readonly honest: boolean,
  ) {}

  lastDecidedHeight(): bigint {
    let h = 0n;
    for (const height of this.decided.keys()) if (height > h) h = height;
    return h;
  }

  /** When the node decided its latest height (0 before any): the heartbeat counts from it. */
  lastDecidedAtMs(): number {
    return this.decided.get(this.lastDecidedHeight())?.atMs ?? 0;
  }
}

export interface SimOptions {
  validators: number;
  faults: boolean;
  /** Heights wait for transactions or the heartbeat (Scenario.idle). */
  idle?: boolean;
  unsafe?: UnsafeTestVariants;
  /** Crash this node exactly at its k-th effect boundary (for the exhaustive crash test). */
  crashPlan?: { node: number; atBoundary: number; downMs: number };
}

export interface SimResult {
  seed: number;
  ok: boolean;
  failures: string[];
  traceHash: string;
  scenario: Scenario;
  stats: {
    events: number;
    decisions: number;
    heightsDecided: number;
    crashes: number;
    evidence: number;
    rejectedAtEdge: number;
    maxRound: number;
    simulatedMs: number;
    boundaries: number[];
    /** Per height, the time of its first honest decision and its round. */
    decisionTimes: { height: bigint; atMs: number; round: number }[];
  };
}

export async function runSimulation(seed: number, options: SimOptions, crypto: SimSigner): Promise<SimResult> {
  const world = new World(drawScenario(seed, options), options, crypto);
  return world.run();
}

class World {
  private readonly queue = new EventQueue<SimEvent>();
  private readonly trace = new TraceHash();
  private readonly nodes: SimNode[];
  private readonly set: ValidatorSet;
  private readonly blocks = new BlockRegistry();
  private readonly safety: SafetyChecker;
  private readonly netRng: Prng;
  private readonly hostRng: Prng;
  private readonly byzRng: Prng;
  private healed: boolean;
  private livenessTarget: bigint | undefined;
  private livenessFailure: string | undefined;
  private crashes = 0;
  private evidence = 0;
  private rejectedAtEdge = 0;
  private maxRound = 0;
  private readonly firstDecisions = new Map<bigint, { atMs: number; round: number }>();

  constructor(
    private readonly scenario: Scenario,
    private readonly options: SimOptions,
    private readonly crypto: SimSigner,
  ) {
    const root = new Prng(scenario.seed ^ 0x5eed5eed);
    this.netRng = root.fork(1);
    this.hostRng = root.fork(2);
    this.byzRng = root.fork(3);
    this.set = simValidatorSet(scenario.powers);
    this.nodes = scenario.powers.map((_, i) => new SimNode(i, i !== scenario.byzantine));
    this.safety = new SafetyChecker(this.set, crypto, (hex) => this.blocks.verdict(hex), scenario.byzantine);
    this.healed = scenario.healMs === 0;
  }

  private config(node: SimNode): ConsensusConfig {
    return {
      chainId: SIM_CHAIN_ID,
      validators: this.set,
      rotation: makeProposerRotation(this.set),
      myIndex: node.index,
      timeouts: this.scenario.timeouts,
      // The broken variants run on honest nodes only: they are what is under test.
      unsafe: node.honest ? this.options.unsafe : undefined,
    };
  }

  async run(): Promise<SimResult> {
    const s = this.scenario;
    for (const node of this.nodes) {
      node.core = createConsensusState(this.config(node), { height: 1n });
      this.queue.schedule(0, { kind: 'input', node: node.index, incarnation: 0, input: this.startHeight(1n) });
      this.queue.schedule(this.hostRng.int(0, STATUS_INTERVAL_MS), { kind: 'statusTick', node: node.index, incarnation: 0 });
    }
    for (const crash of s.crashes) this.queue.schedule(crash.atMs, { kind: 'crash', node: crash.node, downMs: crash.downMs });
    if (!this.healed) this.queue.schedule(s.healMs, { kind: 'heal' });
    else this.livenessTarget = BigInt(s.livenessHeights);
    const endMs = s.healMs + s.livenessWindowMs;
    let events = 0;
    let budgetExceeded = false;
    for (;;) {
      const next = this.queue.pop();
      if (!next || next.atMs > endMs) break;
      if (++events > EVENTS_MAX) {
        budgetExceeded = true;
        break;
      }
      await this.handle(next.event);
      if (this.livenessReached()) break;
      if (this.safety.violations.length > 0) break;
    }
    const failures = [...this.safety.violations];
    if (budgetExceeded) failures.push(`event budget of ${EVENTS_MAX} exhausted at t=${this.queue.nowMs}ms`);
    else if (failures.length === 0 && !this.livenessReached()) {
      const heights = this.nodes.filter((n) => n.honest).map((n) => `${n.index}:${n.lastDecidedHeight()}`);
      failures.push(`liveness: after the heal at ${s.healMs}ms, honest nodes did not all reach height ${this.livenessTarget} within ${s.livenessWindowMs}ms (decided heights ${heights.join(' ')})`);
    }
    this.trace.mix(`end/${this.safety.decisions}/${this.queue.nowMs}`);
    return {
      seed: s.seed,
      ok: failures.length === 0,
      failures: failures.length ? [...failures, `nodes: ${this.describeNodes()}`, `scenario: ${describeScenario(s)}`] : [],
      traceHash: this.trace.hex(),
      scenario: s,
      stats: {
        events,
        decisions: this.safety.decisions,
        heightsDecided: this.safety.decided.size,
        crashes: this.crashes,
        evidence: this.evidence,
        rejectedAtEdge: this.rejectedAtEdge,
        maxRound: this.maxRound,
        simulatedMs: this.queue.nowMs,
        boundaries: this.nodes.map((n) => n.effectBoundaries),
        decisionTimes: [...this.firstDecisions.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([height, d]) => ({ height, ...d })),
      },
    };
  }

  /** Where each node's core stands, for the failure report. */
  private describeNodes(): string {
    return this.nodes
      .map((n) => {
        const c = n.core;
        const sign = c.lastSign ? `${c.lastSign.height}/${c.lastSign.round}/${c.lastSign.step}` : '-';
        return `${n.index}${n.honest ? '' : '(byz)'}${n.up ? '' : '(down)'} h${c.height} r${c.round} ${c.step} locked ${c.lockedRound} valid ${c.validRound} lastSign ${sign}`;
      })
      .join('; ');
  }

  private livenessReached(): boolean {
    const target = this.livenessTarget;
    if (target === undefined) return false;
    return this.nodes.every((n) => !n.honest || n.lastDecidedHeight() >= target);
  }

  // ---- events ------------------------------------------------------------------------------

  private async handle(event: SimEvent): Promise<void> {
    this.trace.mix(this.queue.nowMs);
    this.trace.mix(event.kind);
    switch (event.kind) {
      case 'deliver':
        return this.deliver(event.to, event.from, event.message, event.loopback);
      case 'input': {
        const node = this.nodes[event.node];
        if (!node.up || node.incarnation !== event.incarnation) return; // timers die with the process
        this.trace.mix(`${event.node}/${event.input.kind}`);
        return this.feed(node, event.input);
      }
      case 'crash':
        return this.crash(this.nodes[event.node], event.downMs);
      case 'restart':
        return this.restart(this.nodes[event.node]);
      case 'statusTick':
        return this.statusTick(event.node, event.incarnation);
      case 'heal':
        return this.heal();
    }
  }

  private async heal(): Promise<void> {
    this.healed = true;
    for (const node of this.nodes) if (!node.up) await this.restart(node);
    let highest = 0n;
    for (const h of this.safety.decided.keys()) if (h > highest) highest = h;
    this.livenessTarget = highest + BigInt(this.scenario.livenessHeights);
  }

  private async deliver(to: number, from: number, message: SimMessage, loopback: boolean): Promise<void> {
    const node = this.nodes[to];
    if (!node.up) return;
    this.trace.mix(`${from}>${to}/${describeMessage(message)}`);
    if (message.kind === 'status') return this.answerStatus(node, from, message.height);
    // The host's edge: signatures are checked once here, with real ML-DSA-65; own messages skip it.
    if (!loopback) {
      const error = message.kind === 'vote' ? this.crypto.checkVote(message.vote, this.set) : this.crypto.checkProposal(message.proposal, this.set);
      if (error !== undefined) {
        this.rejectedAtEdge++;
        return;
      }
    }
    if (message.kind === 'proposal') {
      await this.feed(node, { kind: 'proposal', proposal: message.proposal });
    } else {
      await this.feed(node, { kind: 'vote', vote: message.vote });
    }
  }

  /**
   * Pull gossip (CometBFT gossips its vote sets the same way): a peer stuck at our height gets
   * the proposals and the votes we hold for the recent rounds and for the proposals' valid
   * rounds (which L28 needs); a peer behind gets the decision: proposal and certificate.
   */
  private answerStatus(node: SimNode, peer: number, height: bigint): void {
    if (!node.honest) return;
    const last = node.answeredAtMs.get(peer);
    if (last !== undefined && this.queue.nowMs - last < ANSWER_INTERVAL_MS) return;
    node.answeredAtMs.set(peer, this.queue.nowMs);
    const core = node.core;
    if (height === core.height && core.step !== 'decided') {
      const rounds = new Set<number>();
      for (const records of core.proposals.values()) {
        for (const record of records) {
          this.send(node.index, peer, { kind: 'proposal', proposal: record.proposal });
          if (record.proposal.validRound !== NO_ROUND) rounds.add(record.proposal.validRound);
        }
      }
      for (let r = Math.max(0, core.round - GOSSIP_ROUNDS_BACK); r <= core.round + 1; r++) rounds.add(r);
      for (const r of rounds) {
        const votes = core.votes.rounds.get(r);
        if (!votes) continue;
        for (const signed of votes.prevote.byValidator.values()) for (const vote of signed) this.send(node.index, peer, { kind: 'vote', vote });
        for (const signed of votes.precommit.byValidator.values()) for (const vote of signed) this.send(node.index, peer, { kind: 'vote', vote });
      }
      return;
    }
    const decision = node.decided.get(height);
    if (!decision) return;
    if (decision.proposal) this.send(node.index, peer, { kind: 'proposal', proposal: decision.proposal });
    const c = decision.certificate;
    for (const s of c.signatures) {
      const vote: Vote = { chainId: c.chainId, type: 'precommit', height: c.height, round: c.round, blockHash: c.blockHash, validatorIndex: s.validatorIndex, signature: s.signature };
      this.send(node.index, peer, { kind: 'vote', vote });
    }
  }

  private statusTick(index: number, incarnation: number): void {
    const node = this.nodes[index];
    if (!node.up || node.incarnation !== incarnation) return;
    const height = node.core.step === 'decided' ? node.core.height + 1n : node.core.height;
    if (node.honest && height === node.heightAtLastTick) {
      for (const peer of this.nodes) if (peer !== node) this.send(index, peer.index, { kind: 'status', height });
    }
    node.heightAtLastTick = height;
    this.queue.schedule(STATUS_INTERVAL_MS, { kind: 'statusTick', node: index, incarnation });
  }

  // ---- network -----------------------------------------------------------------------------

  private linkUp(from: number, to: number): boolean {
    if (this.healed || from === to) return true;
    const now = this.queue.nowMs;
    const byzantine = this.scenario.byzantine;
    for (const p of this.scenario.partitions) {
      if (now < p.startMs || now >= p.endMs || p.group[from] === p.group[to]) continue;
      if (this.scenario.byzantineBridges && (from === byzantine || to === byzantine)) continue;
      return false;
    }
    return true;
  }

  private send(from: number, to: number, message: SimMessage): void {
    if (from === to) {
      this.queue.schedule(0, { kind: 'deliver', to, from, message, loopback: true });
      return;
    }
    if (!this.linkUp(from, to)) return;
    const s = this.scenario;
    const rng = this.netRng;
    if (!this.healed && rng.chance(s.lossProbability)) return;
    const delayMax = this.healed ? Math.min(s.delayMsMax, DELAY_AFTER_HEAL_MS_MAX) : s.delayMsMax;
    const copies = !this.healed && rng.chance(s.duplicateProbability) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.queue.schedule(rng.int(s.delayMsMin, delayMax), { kind: 'deliver', to, from, message, loopback: false });
    }
  }

  private broadcast(from: number, message: SimMessage, recipients?: readonly number[]): void {
    for (const node of this.nodes) {
      if (recipients && !recipients.includes(node.index)) continue;
      this.send(from, node.index, message);
    }
  }

  // ---- the host: feed the core, perform its effects ------------------------------------------

  private async feed(node: SimNode, input: ConsensusInput): Promise<void> {
    const { state, effects } = step(node.core, input);
    node.core = state;
    if (state.round > this.maxRound) this.maxRound = state.round;
    for (const effect of effects) {
      if (this.crashAtBoundary(node)) return;
      await this.perform(node, effect);
      if (!node.up) return;
    }
    this.crashAtBoundary(node);
  }

  /** Counts an effect boundary of `node` and crashes it there when the plan or the dice say so. */
  private crashAtBoundary(node: SimNode): boolean {
    if (!node.honest) return false;
    const k = node.effectBoundaries++;
    const plan = this.options.crashPlan;
    if (plan && plan.node === node.index && plan.atBoundary === k) {
      this.crash(node, plan.downMs);
      return true;
    }
    if (!this.healed && this.crashes < this.scenario.crashesMax && this.hostRng.chance(this.scenario.crashAtEffectProbability)) {
      this.crash(node, this.hostRng.int(20, 800));
      return true;
    }
    return false;
  }

  private crash(node: SimNode, downMs: number): void {
    if (!node.up || (this.healed && !this.options.crashPlan)) return;
    this.crashes++;
    this.trace.mix(`crash/${node.index}`);
    node.up = false;
    node.incarnation++;
    node.store.crash();
    node.answeredAtMs.clear();
    const restartAt = this.healed ? downMs : Math.min(downMs, Math.max(0, this.scenario.healMs - this.queue.nowMs));
    this.queue.schedule(restartAt, { kind: 'restart', node: node.index });
  }

  /** A new process: only the sign-state store and the block store survived. */
  private async restart(node: SimNode): Promise<void> {
    if (node.up) return;
    node.up = true;
    const lastSign = await node.store.load();
    const height = node.lastDecidedHeight() + 1n;
    node.core = createConsensusState(this.config(node), { height, lastSign });
    node.heightAtLastTick = 0n;
    this.queue.schedule(this.hostRng.int(0, STATUS_INTERVAL_MS), { kind: 'statusTick', node: node.index, incarnation: node.incarnation });
    await this.feed(node, this.startHeight(height));
  }

  /** As the node's driver: with idle periods, every height but the first waits for something to finalise. */
  private startHeight(height: bigint): ConsensusInput {
    return { kind: 'startHeight', height, waitForTxs: this.scenario.idle !== undefined && height > 1n };
  }

  /**
   * When the host answers `waitForTxs`: the first transaction this node heard of after its last
   * decision (a transaction heard before it counts as included), or the heartbeat after that
   * decision, whichever comes first; never before now.
   */
  private txsAvailableAtMs(node: SimNode): number {
    const idle = this.scenario.idle!;
    const last = node.lastDecidedAtMs();
    let at = last + idle.heartbeatMs;
    for (const [k, t] of idle.txAtMs.entries()) {
      const heardAt = t + ((k * 7 + node.index * 13) % 40);
      if (heardAt > last && heardAt < at) at = heardAt;
    }
    return Math.max(this.queue.nowMs, at);
  }

  private inputLater(node: SimNode, delayMs: number, input: ConsensusInput): void {
    this.queue.schedule(delayMs, { kind: 'input', node: node.index, incarnation: node.incarnation, input });
  }

  private async perform(node: SimNode, effect: ConsensusEffect): Promise<void> {
    switch (effect.kind) {
      case 'persistSignState':
        // The Byzantine validator keeps no sign state: it signs whatever it likes.
        if (node.honest) await node.store.save(effect.record);
        return;
      case 'signAndBroadcastProposal': {
        if (!node.honest) return this.byzantineProposal(node, effect.proposal);
        const p = effect.proposal;
        const proposal = this.crypto.signProposal(p);
        this.safety.onSign(node.index, { height: p.height, round: p.round, step: 'proposal', blockHash: p.blockHash });
        if (this.crashAtBoundary(node)) return; // signed, not yet sent
        this.broadcast(node.index, { kind: 'proposal', proposal });
        return;
      }
      case 'signAndBroadcastVote': {
        if (!node.honest) return this.byzantineVote(node, effect.vote);
        const v = effect.vote;
        const vote = this.crypto.signVote(v);
        this.safety.onSign(node.index, { height: v.height, round: v.round, step: v.type, blockHash: v.blockHash });
        if (this.crashAtBoundary(node)) return; // signed, not yet sent
        this.broadcast(node.index, { kind: 'vote', vote });
        return;
      }
      case 'waitForTxs':
        this.inputLater(node, this.txsAvailableAtMs(node) - this.queue.nowMs, { kind: 'txsAvailable', height: effect.height });
        return;
      case 'scheduleTimeout':
        this.inputLater(node, effect.durationMs, { kind: 'timeout', timeout: effect.timeout, height: effect.height, round: effect.round });
        return;
      case 'requestBlockValidation': {
        const verdict = this.blocks.verdict(bytesToHex(effect.blockHash)) ?? false;
        this.inputLater(node, this.hostRng.int(1, 30), { kind: 'blockValidity', blockHash: effect.blockHash, valid: verdict });
        return;
      }
      case 'proposeBlock': {
        const kind = !node.honest && this.scenario.byzantineMode === 'invalidBlocks' ? 'invalid' : 'valid';
        const blockHash = this.blocks.make(effect.height, effect.round, node.index, kind);
        this.inputLater(node, this.hostRng.int(1, 20), { kind: 'blockBuilt', height: effect.height, round: effect.round, blockHash });
        return;
      }
      case 'decide': {
        const hex = bytesToHex(effect.blockHash);
        const proposal = node.core.proposals.get(effect.round)?.find((r) => r.blockHashHex === hex)?.proposal;
        node.decided.set(effect.height, { atMs: this.queue.nowMs, round: effect.round, blockHash: effect.blockHash, certificate: effect.certificate, proposal });
        if (node.honest && !this.firstDecisions.has(effect.height)) this.firstDecisions.set(effect.height, { atMs: this.queue.nowMs, round: effect.round });
        this.trace.mix(`decide/${node.index}/${effect.height}/${bytesToHex(effect.blockHash).slice(0, 8)}`);
        if (node.honest) this.safety.onDecide(node.index, effect.height, effect.blockHash, effect.certificate, this.queue.nowMs);
        this.inputLater(node, BLOCK_INTERVAL_MS, this.startHeight(effect.height + 1n));
        return;
      }
      case 'evidence':
        this.evidence++;
        this.safety.onEvidence(node.index, effect.evidence);
        return;
    }
  }

  // ---- the Byzantine validator -------------------------------------------------------------

  /**
   * Who gets the Byzantine's first and who its conflicting message: the scenario's fixed split
   * (aligned with a partition, the classic split-brain attempt) or a fresh random one per
   * message, so that prevotes and precommits can reach different subsets, which is what it
   * takes to make one honest validator decide while another only locks.
   */
  private honestSplit(): { first: number[]; second: number[] } {
    const everyone = this.nodes.map((n) => n.index);
    const fixed = this.byzRng.chance(0.5);
    const second = fixed ? this.scenario.byzantineSplit : everyone.filter((i) => i !== this.scenario.byzantine && this.byzRng.chance(0.5));
    return { first: everyone.filter((i) => !second.includes(i)), second };
  }

  private byzantineProposal(node: SimNode, p: Proposal | Omit<Proposal, 'signature'>): void {
    const mode = this.scenario.byzantineMode;
    if (mode === 'silent') return;
    const proposal = this.crypto.signProposal(p);
    if (mode === 'invalidBlocks') {
      this.broadcast(node.index, { kind: 'proposal', proposal });
      return;
    }
    // equivocate: a second, different valid block to the other half.
    const { first, second } = this.honestSplit();
    const other = this.crypto.signProposal({ ...p, blockHash: this.blocks.make(p.height, p.round, node.index, 'alternative'), validRound: 0xffffffff });
    this.broadcast(node.index, { kind: 'proposal', proposal }, first);
    this.broadcast(node.index, { kind: 'proposal', proposal: other }, second);
    this.maybeSendJunk(node, proposal);
  }

  private byzantineVote(node: SimNode, v: Omit<Vote, 'signature'>): void {
    const mode = this.scenario.byzantineMode;
    if (mode === 'silent') return;
    if (mode === 'invalidBlocks') {
      // Votes for an invalid block in every round, whatever the core would have voted.
      const invalid = this.blocks.make(v.height, v.round, node.index, 'invalid');
      this.broadcast(node.index, { kind: 'vote', vote: this.crypto.signVote({ ...v, blockHash: invalid }) });
      return;
    }
    // equivocate: the core's vote to one half, a conflicting one to the other half.
    const { first, second } = this.honestSplit();
    const seen = node.core.proposals.get(v.round)?.[0]?.proposal.blockHash;
    let conflicting: Uint8Array;
    if (!equalBytes(v.blockHash, ZERO_HASH)) conflicting = ZERO_HASH;
    else if (seen) conflicting = seen;
    else conflicting = this.blocks.make(v.height, v.round, this.byzRng.int(0, this.nodes.length - 1), 'valid');
    const vote = this.crypto.signVote(v);
    this.broadcast(node.index, { kind: 'vote', vote }, first);
    this.broadcast(node.index, { kind: 'vote', vote: this.crypto.signVote({ ...v, blockHash: conflicting }) }, second);
    this.maybeSendJunk(node, vote);
  }

  /** Sometimes also sends messages that must die at the edge: a bad signature, a wrong chain. */
  private maybeSendJunk(node: SimNode, message: Vote | Proposal): void {
    if (!this.byzRng.chance(0.05)) return;
    const signature = message.signature.slice();
    signature[this.byzRng.int(0, signature.length - 1)] ^= 1 << this.byzRng.int(0, 7);
    const junk = { ...message, signature };
    const wrapped: SimMessage = 'type' in junk ? { kind: 'vote', vote: junk as Vote } : { kind: 'proposal', proposal: junk as Proposal };
    this.broadcast(node.index, wrapped);
  }
}

function describeMessage(m: SimMessage): string {
  if (m.kind === 'status') return `s${m.height}`;
  if (m.kind === 'vote') return `v${m.vote.type[1]}${m.vote.height}/${m.vote.round}/${m.vote.validatorIndex}/${m.vote.blockHash[0]}`;
  return `p${m.proposal.height}/${m.proposal.round}/${m.proposal.blockHash[0]}`;
}
