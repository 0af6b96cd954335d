// Why gossipsub itself dropped messages before our handlers saw them: a message with a
// signature when the policy is StrictNoSign (a stock libp2p peer), a malformed one, or any RPC
// from a peer below the graylist threshold. gossipsub reports these only through its metrics
// interface, so this is a MetricsRegister that keeps exactly those counters and ignores the rest;
// the network logs them as `p2p_gossip_dropped_by_gossipsub` (docs/gossip.md). It also counts
// the copies of a message received after the first (dropped as duplicates, each a wasted
// transfer and decode; docs/gossip.md, "Validators and outsiders").
import type { MetricsRegister, TopicStrToLabel } from '@libp2p/gossipsub/metrics';

const INVALID_BY_ERROR = 'gossipsub_msg_received_invalid_total';
const RPC_NOT_ACCEPTED = 'gossipsub_rpc_rcv_not_accepted_total';
const DUPLICATE = 'gossipsub_pre_validation_duplicate_total';
/** Why a message failed gossipsub's own checks, in words a reader of the log can act on. */
const EXPLAIN: Record<string, string> = {
  SignaturePresent: 'the message is signed, but this network uses StrictNoSign (see docs/gossip.md, "What a stock libp2p peer needs")',
  FromPresent: 'the message has a "from" field, but this network uses StrictNoSign',
  SeqnoPresent: 'the message has a sequence number, but this network uses StrictNoSign',
  InvalidPeerId: 'the message names an invalid peer id',
  TransformFailed: 'the message could not be decoded',
};

const noop = () => undefined;

export class GossipsubDropCounter {
  private readonly counts = new Map<string, number>();
  /** Messages received again after their first copy, since start. */
  duplicatesReceived = 0;
  /** Label every topic as itself: gossipsub requires the map when metrics are on. */
  readonly topicLabels: TopicStrToLabel;

  constructor(topics: readonly string[]) {
    this.topicLabels = new Map(topics.map((t) => [t, t]));
  }

  readonly register: MetricsRegister = {
    gauge: (config: { name: string }) => {
      const count = (reason: (labels: Record<string, unknown> | number | undefined) => string) => (labels?: Record<string, unknown> | number, value?: number) => {
        const key = reason(labels);
        const n = typeof labels === 'number' ? labels : (value ?? 1);
        this.counts.set(key, (this.counts.get(key) ?? 0) + n);
      };
      if (config.name === INVALID_BY_ERROR) {
        const inc = count((labels) => {
          const error = String((labels as Record<string, unknown> | undefined)?.error ?? 'unknown');
          return `invalid: ${EXPLAIN[error] ?? error}`;
        });
        return { inc, set: noop, addCollect: noop } as never;
      }
      if (config.name === DUPLICATE) {
        return { inc: () => void this.duplicatesReceived++, set: noop, addCollect: noop } as never;
      }
      if (config.name === RPC_NOT_ACCEPTED) {
        return { inc: count(() => 'RPC from a peer below the graylist threshold (-80)'), set: noop, addCollect: noop } as never;
      }
      return { inc: noop, set: noop, addCollect: noop } as never;
    },
    histogram: () => ({ startTimer: () => noop, observe: noop, reset: noop }) as never,
    avgMinMax: () => ({ set: noop }) as never,
  };

  /** The counts since the last call, by reason. */
  take(): Map<string, number> {
    const out = new Map(this.counts);
    this.counts.clear();
    return out;
  }
}
