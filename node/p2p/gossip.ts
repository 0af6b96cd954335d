// Gossip: gossipsub configured for validate-then-forward with content-addressed message ids,
// plus the dispatcher that runs the application's handler on each message and reports its
// verdict back to gossipsub (which forwards only on 'accept' and scores peers down on 'reject').
import { createHash } from 'node:crypto';
import { StrictNoSign, TopicValidatorResult, type GossipSub, type GossipsubOpts, type Message } from '@libp2p/gossipsub';
import type { PeerScoreParams, TopicScoreParams } from '@libp2p/gossipsub/score';
import { TOPICS, topicName, type Topic } from './topics.ts';
import type { LogFn } from './identity.ts';

export type Verdict = 'accept' | 'reject' | 'ignore';
export type GossipHandler = (data: Uint8Array, from: string) => Verdict | Promise<Verdict>;

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

/** What the dispatcher needs from gossipsub beyond its exported interface (the class has it). */
export interface GossipsubRuntime extends GossipSub {
  getScore(peerId: string): number;
  reportMessageValidationResult(msgId: string, propagationSource: string, acceptance: TopicValidatorResult): void;
}

export function contentMessageId(msg: Message): Uint8Array {
  return new Uint8Array(createHash('sha256').update(msg.data).digest());
}

export function gossipsubOptions(chainId: string): Partial<GossipsubOpts> {
  const names = TOPICS.map((t) => topicName(chainId, t));
  const scoreParams: Partial<PeerScoreParams> = {
    topics: Object.fromEntries(names.map((n) => [n, TOPIC_SCORE])) as PeerScoreParams['topics'],
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
    scoreParams,
  };
}

/**
 * Routes gossipsub messages to the per-topic handlers and reports verdicts. Keeps at most
 * VALIDATIONS_IN_FLIGHT_MAX handler calls outstanding.
 */
export class GossipDispatcher {
  private readonly handlers = new Map<Topic, GossipHandler>();
  private readonly topicByName: Map<string, Topic>;
  private inFlight = 0;
  private droppedWhileFull = 0;

  constructor(
    private readonly pubsub: GossipsubRuntime,
    private readonly chainId: string,
    private readonly log: LogFn,
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
      this.report(msgId, from, 'ignore');
      return;
    }
    if (this.inFlight >= VALIDATIONS_IN_FLIGHT_MAX) {
      // Dropping is safe: 'ignore' does not penalise the sender, and gossip will offer the
      // message again via IHAVE from other peers while it is in their caches.
      if (this.droppedWhileFull++ % 100 === 0) {
        this.log('p2p_gossip_validation_queue_full', { topic, inFlight: this.inFlight, dropped: this.droppedWhileFull });
      }
      this.report(msgId, from, 'ignore');
      return;
    }
    this.inFlight++;
    const startedMs = Date.now();
    Promise.resolve()
      .then(() => handler(msg.data, from))
      .then(
        (verdict): Verdict => {
          if (verdict === 'accept' || verdict === 'reject' || verdict === 'ignore') return verdict;
          this.log('p2p_gossip_handler_bad_verdict', { topic, verdict: String(verdict) });
          return 'ignore';
        },
        (err: unknown): Verdict => {
          // A throwing handler is our bug, not the sender's fault: drop without penalty.
          this.log('p2p_gossip_handler_error', { topic, from, error: (err as Error)?.message ?? String(err) });
          return 'ignore';
        },
      )
      .then((verdict) => {
        this.inFlight--;
        const tookMs = Date.now() - startedMs;
        if (tookMs > VALIDATION_BUDGET_MS) this.log('p2p_gossip_handler_slow', { topic, tookMs, budgetMs: VALIDATION_BUDGET_MS });
        this.report(msgId, from, verdict);
      });
  }

  private report(msgId: string, from: string, verdict: Verdict): void {
    const result =
      verdict === 'accept' ? TopicValidatorResult.Accept : verdict === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore;
    try {
      this.pubsub.reportMessageValidationResult(msgId, from, result);
    } catch (err) {
      // Only possible while stopping; nothing to forward then.
      this.log('p2p_gossip_report_failed', { error: (err as Error).message });
    }
  }
}
