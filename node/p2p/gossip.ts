// Gossip: gossipsub configured for validate-then-forward with content-addressed message ids,
// plus the dispatcher that runs the application's handler on each message and reports its
// verdict back to gossipsub (which forwards only on 'accept' and scores peers down on 'reject').
import { createHash } from 'node:crypto';
import { StrictNoSign, TopicValidatorResult, type GossipSub, type GossipsubOpts, type Message } from '@libp2p/gossipsub';
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score';
import { TOPICS, topicName, type Topic } from './rules/topics.ts';
import { txListCost } from '../../protocol/gossip.ts';
import type { LogFn } from './identity.ts';
import type { PeerPolicy } from './rules/peer-policy.ts';
import type { GossipsubDropCounter } from './gossipsub-drops.ts';

/**
 * 'reject': invalid, the sender's gossipsub score drops (P4). 'useless': well-formed but of no
 * use (unfunded sender, long-stale vote, duplicate), dropped and counted against an outsider
 * sender's application score (P5). 'ignore': dropped without blame (our own overload, a vote
 * that arrived just after its height was committed).
 */
export type Verdict = 'accept' | 'reject' | 'ignore' | 'useless';
/** A handler may say why it dropped a message; the reason goes into the drop log. */
export type VerdictWithReason = Verdict | { verdict: Verdict; reason: string };
export type GossipHandler = (data: Uint8Array, from: string) => VerdictWithReason | Promise<VerdictWithReason>;

/**
 * gossipsub 17 frames each RPC with it-length-prefixed, whose encoder enforces its default
 * 4 MiB limit and takes no option from gossipsub: an RPC above it is dropped with only a
 * debug log. So 4 MiB is a hard ceiling for one gossip RPC, inbound and outbound alike.
 */
export const GOSSIP_RPC_BYTES_MAX = 4 * 1024 * 1024;
/**
 * Largest payload publish() accepts. The margin covers the RPC envelope and the control
 * messages (IHAVE/IWANT/GRAFT/PRUNE) gossipsub piggybacks on the same RPC.
 */
export const GOSSIP_DATA_BYTES_MAX = GOSSIP_RPC_BYTES_MAX - 256 * 1024;
/** Handlers running at once; beyond this, messages are dropped as 'ignore' (no penalty). */
export const VALIDATIONS_IN_FLIGHT_MAX = 1024;
/** Of those, outsiders may hold at most this many: a flood cannot crowd out validators' messages. */
export const OUTSIDER_VALIDATIONS_IN_FLIGHT_MAX = 256;
/** Drops are logged as one summary line per (peer, reason) per interval, not one per message. */
export const DROP_LOG_INTERVAL_MS = 10_000;
const DROP_LOG_KEYS_MAX = 256;
/**
 * How long a message id is remembered as seen. Network duplicates arrive within a few
 * heartbeats, and gossip advertises only the last 3 heartbeats of history, so 30 s is ample
 * for de-duplication; it is also how long re-publishing identical bytes is a silent no-op.
 */
export const SEEN_TTL_MS = 30_000;
/**
 * With asyncValidation the message waits in the message cache (mcacheLength heartbeats of
 * 1 s) for the verdict; a verdict that comes later is not forwarded. Handlers must answer
 * well within this budget.
 */
export const VALIDATION_BUDGET_MS = 5_000;

/**
 * Topic scoring for a small validator network. P3/P3b (minimum delivery rate in the mesh)
 * are off: a quiet devnet would otherwise graylist honest peers that simply had nothing to
 * say. P4 (invalid messages) is on and decays slowly (half-life ~70 s), so a peer whose
 * messages our handler rejects drops below the gossip threshold (-10) after one rejection
 * and below the graylist threshold (-80) after three.
 */
const TOPIC_SCORE: Partial<TopicScoreParams> = {
  topicWeight: 1,
  timeInMeshWeight: 0.01,
  timeInMeshQuantum: 1_000,
  timeInMeshCap: 300,
  firstMessageDeliveriesWeight: 0.5,
  firstMessageDeliveriesDecay: 0.9,
  firstMessageDeliveriesCap: 20,
  meshMessageDeliveriesWeight: 0,
  meshFailurePenaltyWeight: 0,
  invalidMessageDeliveriesWeight: -10,
  invalidMessageDeliveriesDecay: 0.99,
};

/** gossipsub's defaults, stated so that docs/gossip.md and the code cannot drift apart. */
export const SCORE_THRESHOLDS: PeerScoreThresholds = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 20,
};
/** P6: more than this many peers on one IP address costs each (excess)² × 5 points. */
const IP_COLOCATION_THRESHOLD = 10;
const IP_COLOCATION_WEIGHT = -5;
/** How long gossipsub remembers a disconnected peer's score (its default: one hour). */
const RETAIN_SCORE_MS = 3_600_000;

/** What the dispatcher needs from gossipsub beyond its exported interface (the class has it). */
export interface GossipsubRuntime extends GossipSub {
  /** Peers we forward everything to and accept everything from, never in the mesh. */
  readonly direct: Set<string>;
  getScore(peerId: string): number;
  reportMessageValidationResult(msgId: string, propagationSource: string, acceptance: TopicValidatorResult): void;
}

export function contentMessageId(msg: Message): Uint8Array {
  return new Uint8Array(createHash('sha256').update(msg.data).digest());
}

export function gossipsubOptions(chainId: string, policy: PeerPolicy, drops: GossipsubDropCounter): Partial<GossipsubOpts> {
  const names = TOPICS.map((t) => topicName(chainId, t));
  const scoreParams: Partial<PeerScoreParams> = {
    topics: Object.fromEntries(names.map((n) => [n, TOPIC_SCORE])) as PeerScoreParams['topics'],
    // P5: validators far above zero, outsiders below it for useless traffic (peer-policy.ts).
    appSpecificScore: (peerId) => policy.appScore(peerId, Date.now()),
    appSpecificWeight: 1,
    IPColocationFactorThreshold: IP_COLOCATION_THRESHOLD,
    IPColocationFactorWeight: IP_COLOCATION_WEIGHT,
    retainScore: RETAIN_SCORE_MS,
  };
  return {
    // StrictNoSign: every Pantheon payload (tx, proposal, vote, evidence) carries its own
    // ML-DSA-65 signature checked by the handler, so a libp2p signature would authenticate
    // only which peer first published, which nothing relies on. Without it the message is
    // just the bytes, the id is SHA-256 of them, and the same tx submitted at two nodes is
    // recognised as one message. It also saves an Ed25519 sign/verify and ~100 bytes per hop.
    globalSignaturePolicy: StrictNoSign,
    msgIdFn: contentMessageId,
    // Validate-then-forward: nothing is forwarded until the handler's verdict is reported.
    asyncValidation: true,
    allowPublishToZeroTopicPeers: true,
    ignoreDuplicatePublishError: true,
    emitSelf: false,
    seenTTL: SEEN_TTL_MS,
    maxInboundDataLength: GOSSIP_RPC_BYTES_MAX,
    // Only our chain's topics: a peer cannot make us track subscriptions to arbitrary topics.
    allowedTopics: names,
    fallbackToFloodsub: false,
    // Peer exchange hands out addresses of strangers; validators dial whom they are told.
    doPX: false,
    // Publish to direct peers (the validators) and the mesh, not to every outsider connected:
    // a proposal carries its whole block.
    floodPublish: false,
    scoreParams,
    scoreThresholds: SCORE_THRESHOLDS,
    // Only to learn why gossipsub dropped messages itself (gossipsub-drops.ts).
    metricsRegister: drops.register,
    metricsTopicStrToLabel: drops.topicLabels,
  };
}

/** One summary line per (peer, reason) per DROP_LOG_INTERVAL_MS: why messages were dropped. */
export class DropLog {
  private counts = new Map<string, { peer: string; topic: string; reason: string; count: number; validator: boolean }>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly log: LogFn,
    private readonly gossipsubDrops?: GossipsubDropCounter,
  ) {}

  /** A validator's drops are routine (votes that arrive just after a commit): logged at debug. */
  note(peer: string, topic: string, reason: string, validator = false): void {
    const key = `${peer}\u0000${topic}\u0000${reason}`;
    const entry = this.counts.get(key);
    if (entry !== undefined) {
      entry.count++;
      return;
    }
    // Bounded: past the cap, further peers are summed under one line.
    if (this.counts.size >= DROP_LOG_KEYS_MAX) return this.note('(other peers)', topic, reason, validator);
    this.counts.set(key, { peer, topic, reason, count: 1, validator });
  }

  start(): void {
    this.timer = setInterval(() => this.flush(), DROP_LOG_INTERVAL_MS);
    this.timer.unref?.();
  }

  flush(): void {
    for (const e of this.counts.values()) {
      this.log('p2p_gossip_dropped', { peer: e.peer, topic: e.topic, reason: e.reason, count: e.count, intervalMs: DROP_LOG_INTERVAL_MS }, e.validator ? 'debug' : 'info');
    }
    this.counts.clear();
    for (const [reason, count] of this.gossipsubDrops?.take() ?? []) this.log('p2p_gossip_dropped_by_gossipsub', { reason, count, intervalMs: DROP_LOG_INTERVAL_MS }, 'info');
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.flush();
  }
}

/**
 * Routes gossipsub messages to the per-topic handlers and reports verdicts. Outsiders pass the
 * peer policy's rate limits first and share OUTSIDER_VALIDATIONS_IN_FLIGHT_MAX handler slots;
 * proven validators skip both. Every dropped message is counted in the drop log with its reason.
 */
export class GossipDispatcher {
  private readonly handlers = new Map<Topic, GossipHandler>();
  private readonly topicByName: Map<string, Topic>;
  private inFlight = 0;
  private outsidersInFlight = 0;

  constructor(
    private readonly pubsub: GossipsubRuntime,
    private readonly chainId: string,
    private readonly policy: PeerPolicy,
    private readonly addressOf: (peerId: string) => string | undefined,
    private readonly drops: DropLog,
    private readonly log: LogFn,
    /** Called once for each message that costs its sender score: reject (P4) or useless (P5). */
    private readonly onPenalty: () => void = () => undefined,
  ) {
    this.topicByName = new Map(TOPICS.map((t) => [topicName(chainId, t), t]));
    pubsub.addEventListener('gossipsub:message', (evt) => {
      const { propagationSource, msgId, msg } = evt.detail;
      this.onMessage(msgId, propagationSource.toString(), msg);
    });
  }

  /** Subscribing only once a handler exists: a node that joins a mesh must be able to validate. */
  setHandler(topic: Topic, handler: GossipHandler): void {
    if (typeof handler !== 'function') throw new TypeError(`setHandler(${topic}): handler must be a function`);
    this.handlers.set(topic, handler);
    this.pubsub.subscribe(topicName(this.chainId, topic));
  }

  private onMessage(msgId: string, from: string, msg: Message): void {
    const topic = this.topicByName.get(msg.topic);
    const handler = topic === undefined ? undefined : this.handlers.get(topic);
    if (topic === undefined || handler === undefined) {
      this.drop(msgId, from, msg.topic, 'ignore', 'no handler for this topic');
      return;
    }
    const nowMs = Date.now();
    const validator = this.policy.isValidator(from);
    if (!validator) {
      // A list of transactions costs its count, so batching buys an outsider nothing.
      const admitted = this.policy.admitMessage(from, this.addressOf(from), nowMs, topic === 'tx' ? txListCost(msg.data) : 1);
      if (!admitted.ok) {
        if (admitted.penalise) this.policy.noteUseless(from, nowMs);
        this.drop(msgId, from, topic, 'ignore', admitted.reason);
        return;
      }
    }
    // Dropping is safe: 'ignore' does not penalise the sender, and gossip will offer the
    // message again via IHAVE from other peers while it is in their caches.
    if (this.inFlight >= VALIDATIONS_IN_FLIGHT_MAX) {
      this.drop(msgId, from, topic, 'ignore', `validation queue full (${this.inFlight} in flight)`);
      return;
    }
    if (!validator && this.outsidersInFlight >= OUTSIDER_VALIDATIONS_IN_FLIGHT_MAX) {
      this.drop(msgId, from, topic, 'ignore', `outsider validation queue full (${this.outsidersInFlight} in flight)`);
      return;
    }
    this.inFlight++;
    if (!validator) this.outsidersInFlight++;
    const startedMs = nowMs;
    Promise.resolve()
      .then(() => handler(msg.data, from))
      .then(
        (answer): { verdict: Verdict; reason?: string } => {
          const { verdict, reason } = typeof answer === 'object' && answer !== null ? answer : { verdict: answer, reason: undefined };
          if (verdict === 'accept' || verdict === 'reject' || verdict === 'ignore' || verdict === 'useless') return { verdict, reason };
          this.log('p2p_gossip_handler_bad_verdict', { topic, verdict: String(verdict) });
          return { verdict: 'ignore', reason: 'handler returned no verdict' };
        },
        (err: unknown): { verdict: Verdict; reason?: string } => {
          // A throwing handler is our bug, not the sender's fault: drop without penalty.
          this.log('p2p_gossip_handler_error', { topic, from, error: (err as Error)?.message ?? String(err) });
          return { verdict: 'ignore', reason: 'handler error' };
        },
      )
      .then(({ verdict, reason }) => {
        this.inFlight--;
        if (!validator) this.outsidersInFlight--;
        const tookMs = Date.now() - startedMs;
        if (tookMs > VALIDATION_BUDGET_MS) this.log('p2p_gossip_handler_slow', { topic, tookMs, budgetMs: VALIDATION_BUDGET_MS });
        if (verdict === 'accept') {
          this.report(msgId, from, TopicValidatorResult.Accept);
          return;
        }
        if (verdict === 'useless') this.policy.noteUseless(from, Date.now());
        this.drop(msgId, from, topic, verdict, reason ?? verdict);
      });
  }

  private drop(msgId: string, from: string, topic: string, verdict: Exclude<Verdict, 'accept'>, reason: string): void {
    this.drops.note(from, topic, `${verdict}: ${reason}`, this.policy.isValidator(from));
    if (verdict === 'reject' || verdict === 'useless') this.onPenalty();
    this.report(msgId, from, verdict === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore);
  }

  private report(msgId: string, from: string, result: TopicValidatorResult): void {
    try {
      this.pubsub.reportMessageValidationResult(msgId, from, result);
    } catch (err) {
      // Only possible while stopping; nothing to forward then.
      this.log('p2p_gossip_report_failed', { error: (err as Error).message });
    }
  }
}
