// The Pantheon network layer: one factory that assembles the libp2p host (TCP, Noise, Yamux,
// identify, ping, gossipsub) and a small typed surface over it: four gossip topics with
// validate-then-forward handlers, the block-sync request/response protocol (docs/sync.md), and
// the hello that proves validators and keeps outsiders within their limits (docs/gossip.md).
// Everything chain-specific on the wire is namespaced by the chain id (topics.ts).
import './polyfills.ts';
import { createLibp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { ping } from '@libp2p/ping';
import { gossipsub } from '@libp2p/gossipsub';
import { multiaddr } from '@multiformats/multiaddr';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { Libp2p } from '@libp2p/interface';
import { assertValidChainId } from '../../protocol/hash.ts';
import { loadOrCreatePeerKey, type LogFn } from './identity.ts';
import { TOPICS, isTopic, syncProtocolId, topicName, type Topic } from './rules/topics.ts';
import { DropLog, GOSSIP_DATA_BYTES_MAX, GossipDispatcher, gossipsubOptions, type GossipsubRuntime, type VerdictWithReason } from './gossip.ts';
import { OUTSIDER_CONNECTIONS_MAX, PeerPolicy } from './rules/peer-policy.ts';
import { GossipsubDropCounter } from './gossipsub-drops.ts';
import { PeerGuard } from './peer-guard.ts';
import { PROTOCOL_VERSION, signValidatorProof, type Hello } from './rules/hello-codec.ts';
import { BootstrapDialer, parseBootstrap } from './bootstrap.ts';
import {
  exchangeSyncFrame,
  requestSync as requestSyncOverStream,
  SYNC_REQUEST_TIMEOUT_MS_DEFAULT,
  SYNC_STREAMS_PER_CONNECTION_MAX,
  SyncServer,
} from './sync-protocol.ts';
import type { SyncRequest, SyncResponse } from './rules/sync-codec.ts';

export type { Topic } from './rules/topics.ts';
export type { Verdict, VerdictWithReason } from './gossip.ts';
export { PROTOCOL_VERSION, HELLO_PROTOCOL_ID } from './rules/hello-codec.ts';
export type { SyncRequest, SyncResponse, SyncBlock } from './rules/sync-codec.ts';
export { TOPICS, topicName, syncProtocolId } from './rules/topics.ts';
export { GOSSIP_DATA_BYTES_MAX, SEEN_TTL_MS, VALIDATION_BUDGET_MS } from './gossip.ts';
export { SYNC_BLOCKS_MAX, SYNC_RESPONSE_BYTES_MAX } from './rules/sync-codec.ts';
export { BOOTSTRAP_REDIAL_INTERVAL_MS } from './bootstrap.ts';

export interface NetworkOptions {
  /** Peer identity persisted at <dataDir>/peer-key (protobuf, mode 0600), created on first start. */
  dataDir: string;
  /** Topics and protocol ids are namespaced by it. */
  chainId: string;
  /** e.g. ['/ip4/127.0.0.1/tcp/26656'] (port 0 allowed). */
  listen: string[];
  /** Multiaddrs with /p2p/<peerId>; dialed at start and re-dialed while disconnected. */
  bootstrap: string[];
  log?: LogFn;
  /** Set on a validator: its genesis index and ML-DSA-65 secret key sign its peer id for the hello. */
  validator?: { index: number; secretKey: Uint8Array };
  /** Genesis validator public keys, by index: what a peer's validator proof is checked against. */
  validatorPublicKeys?: readonly Uint8Array[];
  /** Defaults to PROTOCOL_VERSION; another value only to exercise a mixed network in tests. */
  protocolVersion?: number;
  /** Called for each gossip message that lowers its sender's score (the node counts them). */
  onPeerPenalty?: () => void;
}

export interface PeerInfo {
  peerId: string;
  address?: string;
  /** This node's gossipsub score of the peer (negative after invalid or useless traffic). */
  score?: number;
  /** The genesis validator index the peer proved in its hello; null for an outsider. */
  validatorIndex: number | null;
}

export interface Network {
  peerId: string;
  /** Full multiaddrs including /p2p/<peerId>. */
  addresses(): string[];
  peers(): PeerInfo[];
  /**
   * Validate-then-forward: the handler runs BEFORE gossipsub forwards; only 'accept' is
   * forwarded and delivered. May be async; must answer within VALIDATION_BUDGET_MS.
   * 'reject' = invalid (the sending peer is scored down), 'ignore' = duplicate/stale (dropped
   * quietly). The node subscribes to the topic when its handler is first set.
   */
  setHandler(topic: Topic, handler: (data: Uint8Array, from: string) => VerdictWithReason | Promise<VerdictWithReason>): void;
  /**
   * Never throws for "no peers" or for bytes already seen in the last SEEN_TTL_MS (message
   * ids are SHA-256 of the data, so that is a no-op). Throws RangeError above
   * GOSSIP_DATA_BYTES_MAX.
   */
  publish(topic: Topic, data: Uint8Array): Promise<void>;
  /** Request/response block sync; the handler's errors become 'error' responses. */
  serveSync(handler: (request: SyncRequest) => Promise<SyncResponse>): void;
  /**
   * Asks one peer. Resolves with the peer's answer, including its 'error' responses; rejects
   * (with the peer id and the reason) on timeout, dial failure or a malformed response.
   */
  requestSync(peerId: string, request: SyncRequest, timeoutMs?: number): Promise<SyncResponse>;
  /** Gossip messages received again after their first copy, since start (dropped unread). */
  duplicatesReceived(): number;
  stop(): Promise<void>;
}

/**
 * Outsiders are held to OUTSIDER_CONNECTIONS_MAX by the guard's gate; libp2p's own ceiling
 * sits above that by two connections per validator and bootstrap peer, so a validator always
 * finds a free slot. Pruning above the ceiling spares validators (they carry a tag).
 */
const VALIDATOR_SLOTS_MIN = 16;
const INCOMING_PENDING_CONNECTIONS_MAX = 16;
const DIAL_TIMEOUT_MS = 10_000;

interface Internals {
  libp2p: Libp2p;
  syncProtocol: string;
}
const internals = new WeakMap<Network, Internals>();

export async function createNetwork(options: NetworkOptions): Promise<Network> {
  const { dataDir, chainId, listen, bootstrap } = options ?? ({} as NetworkOptions);
  if (typeof dataDir !== 'string' || dataDir === '') throw new TypeError('network: dataDir must be a non-empty path');
  assertValidChainId(chainId, 'network: chainId');
  if (!Array.isArray(listen)) throw new TypeError('network: listen must be an array of multiaddr strings');
  for (const [i, text] of listen.entries()) {
    try {
      multiaddr(text);
    } catch (err) {
      throw new Error(`network: listen[${i}] ${JSON.stringify(text)} is not a multiaddr (${(err as Error).message})`);
    }
  }
  const userLog = options.log;
  // A throwing logger must not break a libp2p event listener or a stream handler.
  const log: LogFn = (event, fields, level) => {
    try {
      userLog?.(event, fields, level);
    } catch {
      // nothing sensible to do: the log itself is what failed
    }
  };

  const privateKey = await loadOrCreatePeerKey(dataDir, log);
  const ownPeerId = peerIdFromPrivateKey(privateKey).toString();
  const bootstrapPeers = parseBootstrap(bootstrap ?? [], ownPeerId);
  const syncProtocol = syncProtocolId(chainId);
  const validatorPublicKeys = options.validatorPublicKeys ?? [];
  const protocolVersion = options.protocolVersion ?? PROTOCOL_VERSION;
  const ownHello: Hello = { protocolVersion, chainId };
  if (options.validator !== undefined) {
    const { index, secretKey } = options.validator;
    ownHello.validatorProof = signValidatorProof(chainId, peerIdFromPrivateKey(privateKey).toMultihash().bytes, index, secretKey);
  }
  const policy = new PeerPolicy(bootstrapPeers.map((p) => p.peerId.toString()));
  const guard = new PeerGuard({ chainId, protocolVersion, ownHello, validatorPublicKeys, policy, log });
  const gossipsubDrops = new GossipsubDropCounter(TOPICS.map((t) => topicName(chainId, t)));
  const validatorSlots = Math.max(VALIDATOR_SLOTS_MIN, 2 * (validatorPublicKeys.length + bootstrapPeers.length));

  const libp2p = await createLibp2p({
    privateKey,
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: guard.gater,
    connectionManager: {
      maxConnections: OUTSIDER_CONNECTIONS_MAX + validatorSlots,
      maxIncomingPendingConnections: INCOMING_PENDING_CONNECTIONS_MAX,
      dialTimeout: DIAL_TIMEOUT_MS,
    },
    services: {
      // gossipsub needs identify to learn which protocols a new peer speaks.
      identify: identify(),
      // The connection monitor pings peers to detect dead connections; peers must answer.
      ping: ping(),
      pubsub: gossipsub(gossipsubOptions(chainId, policy, gossipsubDrops)),
    },
    start: false,
  });
  const pubsub = libp2p.services.pubsub as GossipsubRuntime;
  const drops = new DropLog(log, gossipsubDrops);
  const dispatcher = new GossipDispatcher(pubsub, chainId, policy, (peer) => guard.addressOf(peer), drops, log, options.onPeerPenalty);
  await guard.attach(libp2p, pubsub);
  const syncServer = new SyncServer(log);
  await libp2p.handle(syncProtocol, (stream, connection) => syncServer.onStream(stream, connection.remotePeer.toString()), {
    maxInboundStreams: SYNC_STREAMS_PER_CONNECTION_MAX,
    maxOutboundStreams: SYNC_STREAMS_PER_CONNECTION_MAX,
  });
  libp2p.addEventListener('peer:connect', (evt) => log('p2p_peer_connected', { peer: evt.detail.toString() }));
  libp2p.addEventListener('peer:disconnect', (evt) => log('p2p_peer_disconnected', { peer: evt.detail.toString() }));

  try {
    await libp2p.start();
  } catch (err) {
    try {
      await libp2p.stop();
    } catch {
      // already failing: report the start error, which says what is wrong
    }
    throw new Error(`network: could not start on ${JSON.stringify(listen)}: ${(err as Error).message}`);
  }
  const dialer = new BootstrapDialer(libp2p, bootstrapPeers, log);
  dialer.start();
  guard.start();
  drops.start();
  let stopping: Promise<void> | undefined;

  const network: Network = {
    peerId: ownPeerId,
    addresses() {
      return libp2p.getMultiaddrs().map((ma) => {
        const text = ma.toString();
        return text.includes('/p2p/') ? text : `${text}/p2p/${ownPeerId}`;
      });
    },
    peers() {
      const seen = new Map<string, PeerInfo>();
      for (const conn of libp2p.getConnections()) {
        const peerId = conn.remotePeer.toString();
        if (seen.has(peerId)) continue;
        seen.set(peerId, { peerId, address: conn.remoteAddr.toString(), score: pubsub.getScore(peerId), validatorIndex: policy.validatorIndex(peerId) ?? null });
      }
      return [...seen.values()];
    },
    setHandler(topic, handler) {
      if (!isTopic(topic)) throw new Error(`setHandler: ${JSON.stringify(topic)} is not one of ${TOPICS.join(', ')}`);
      dispatcher.setHandler(topic, handler);
    },
    async publish(topic, data) {
      if (!isTopic(topic)) throw new Error(`publish: ${JSON.stringify(topic)} is not one of ${TOPICS.join(', ')}`);
      if (!(data instanceof Uint8Array)) throw new TypeError(`publish(${topic}): data must be a Uint8Array`);
      if (data.length > GOSSIP_DATA_BYTES_MAX) {
        throw new RangeError(`publish(${topic}): ${data.length} bytes exceeds the gossip limit of ${GOSSIP_DATA_BYTES_MAX}; large blocks travel by sync, not gossip`);
      }
      await pubsub.publish(topicName(chainId, topic), data);
    },
    serveSync(handler) {
      syncServer.setHandler(handler);
    },
    requestSync(peerId, request, timeoutMs = SYNC_REQUEST_TIMEOUT_MS_DEFAULT) {
      return requestSyncOverStream(libp2p, syncProtocol, peerId, request, timeoutMs);
    },
    duplicatesReceived() {
      return gossipsubDrops.duplicatesReceived;
    },
    stop() {
      stopping ??= (async () => {
        dialer.stop();
        guard.stop();
        drops.stop();
        await libp2p.stop();
        log('p2p_stopped', {});
      })();
      return stopping;
    },
  };
  internals.set(network, { libp2p, syncProtocol });
  log('p2p_started', { peerId: ownPeerId, addresses: network.addresses(), bootstrap: bootstrapPeers.length, protocolVersion, validator: options.validator?.index ?? null }, 'info');
  return network;
}

/**
 * Sends raw bytes as a sync request (they should be a frame: u32 length || body) to a peer
 * and decodes its answer. For conformance and robustness testing of remote peers: lets a test
 * check that a malformed request is answered with an 'error' response.
 */
export function exchangeRawSyncFrame(network: Network, peerId: string, frame: Uint8Array, timeoutMs = SYNC_REQUEST_TIMEOUT_MS_DEFAULT): Promise<SyncResponse> {
  const inner = internals.get(network);
  if (inner === undefined) throw new Error('exchangeRawSyncFrame: not a Network made by createNetwork');
  return exchangeSyncFrame(inner.libp2p, inner.syncProtocol, peerId, frame, timeoutMs);
}

/**
 * Dials a peer once, outside the bootstrap list. For robustness tests that pace their own
 * connection attempts (test/helpers/sybil-attacker.ts); resolves when connected.
 */
export async function dialOnce(network: Network, address: string, timeoutMs: number): Promise<void> {
  const inner = internals.get(network);
  if (inner === undefined) throw new Error('dialOnce: not a Network made by createNetwork');
  await inner.libp2p.dial(multiaddr(address), { signal: AbortSignal.timeout(timeoutMs) });
}

