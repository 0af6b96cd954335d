// Names on the wire. Every gossip topic and protocol id carries the chain id, so nodes of two
// chains that happen to connect never exchange messages (a different topic is a different
// mesh; a different protocol id fails multistream negotiation).
import { assertValidChainId } from '../../../protocol/hash.ts';

export const TOPICS = ['tx', 'proposal', 'vote', 'evidence'] as const;
export type Topic = (typeof TOPICS)[number];

export function isTopic(value: unknown): value is Topic {
  return typeof value === 'string' && (TOPICS as readonly string[]).includes(value);
}

/** Each topic's payload version (docs/gossip.md): tx 2 carries a list of transactions, proposal 2 a compact block. */
export const TOPIC_VERSIONS: Readonly<Record<Topic, number>> = { tx: 2, proposal: 2, vote: 1, evidence: 1 };

/** `/pantheon/<chainId>/<topic>/<version>` */
export function topicName(chainId: string, topic: Topic): string {
  assertValidChainId(chainId);
  if (!isTopic(topic)) throw new Error(`topic: ${JSON.stringify(topic)} is not one of ${TOPICS.join(', ')}`);
  return `/pantheon/${chainId}/${topic}/${TOPIC_VERSIONS[topic]}`;
}

/** `/pantheon/<chainId>/sync/1`: block sync request/response, docs/sync.md. */
export function syncProtocolId(chainId: string): string {
  assertValidChainId(chainId);
  return `/pantheon/${chainId}/sync/1`;
}
