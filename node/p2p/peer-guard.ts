// The libp2p side of the peer policy (docs/gossip.md, "Hello" and "Validators and outsiders"):
// the hello exchanged on every connection (protocol version, chain id, validator proof), the
// connection gate that keeps outsiders within their slots, and a periodic check that drops
// peers which did not say hello in time or whose score fell below the graylist threshold.
// Proven validators become gossipsub direct peers and get a connection-manager tag that keeps
// them from being pruned.
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import type { LogFn } from './identity.ts';
import type { GossipsubRuntime } from './gossip.ts';
import { SCORE_THRESHOLDS } from './gossip.ts';
import type { PeerPolicy } from './rules/peer-policy.ts';
import { readFrame, writeAll } from './stream-frames.ts';
import { encodeFrame } from './rules/sync-codec.ts';
import { checkValidatorProof, decodeHello, decodeHelloVersion, encodeHello, HELLO_BYTES_MAX, HELLO_PROTOCOL_ID, type Hello } from './rules/hello-codec.ts';

/** A connection must complete its hello within this time or it is closed. */
export const HELLO_TIMEOUT_MS = 10_000;
/** A refused peer's reconnections are turned away at the gate, silently, for this long. */
export const REFUSED_MEMORY_MS = 60_000;
const GUARD_TICK_MS = 1_000;
/**
 * A refused peer is hung up on after this delay, so that the hello we answered with reaches it
 * and it can log its side of the reason (a hang-up at once can overtake our answer).
 */
const REFUSE_HANGUP_DELAY_MS = 2_000;
const VALIDATOR_TAG = 'pantheon-validator';
/** Refused connections are summarised per reason at most this often. */
const GATE_LOG_INTERVAL_MS = 10_000;

/** The IP address of a multiaddr (`/ip4/1.2.3.4/tcp/…` → `1.2.3.4`), if it has one. */
export function hostOf(address: Multiaddr): string | undefined {
  return address.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value;
}

export interface PeerGuardOptions {
  chainId: string;
  protocolVersion: number;
  /** Our own hello (with our validator proof, if we are one). */
  ownHello: Hello;
  /** Genesis validator public keys, by index; empty means no peer can prove itself. */
  validatorPublicKeys: readonly Uint8Array[];
  policy: PeerPolicy;
  log: LogFn;
}

export class PeerGuard {
  private libp2p: Libp2p | undefined;
  private pubsub: GossipsubRuntime | undefined;
  private readonly ownHelloFrame: Uint8Array;
  /** Peers connected but not yet through the hello, with when we first saw them. */
  private readonly awaitingHello = new Map<string, number>();
  private readonly helloDone = new Set<string>();
  private readonly refusedUntil = new Map<string, number>();
  private readonly addresses = new Map<string, string | undefined>();
  private readonly gateRefusals = new Map<string, number>();
  private lastGateLogMs = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly o: PeerGuardOptions) {
    this.ownHelloFrame = encodeFrame(encodeHello(o.ownHello), HELLO_BYTES_MAX);
  }

  /** The connection gate for createLibp2p: runs after Noise, when the peer id is known. */
  readonly gater = {
    denyInboundUpgradedConnection: (peerId: PeerId, maConn: { remoteAddr: Multiaddr }): boolean => {
      const peer = peerId.toString();
      const nowMs = Date.now();
      if ((this.refusedUntil.get(peer) ?? 0) > nowMs) return this.refuseAtGate('refused recently');
      if (this.o.policy.hasOwnSlot(peer)) return false;
      if (this.pubsub !== undefined && this.pubsub.getScore(peer) < SCORE_THRESHOLDS.graylistThreshold) return this.refuseAtGate('score below the graylist threshold');
      const outsiders = this.outsiderAddresses();
      const why = this.o.policy.refuseConnection(peer, hostOf(maConn.remoteAddr), outsiders);
      return why === undefined ? false : this.refuseAtGate(why);
    },
  };

  /** Wires the guard to a started-or-starting libp2p node. */
  async attach(libp2p: Libp2p, pubsub: GossipsubRuntime): Promise<void> {
    this.libp2p = libp2p;
    this.pubsub = pubsub;
    await libp2p.handle(HELLO_PROTOCOL_ID, (stream, connection) => this.answerHello(stream, connection), { maxInboundStreams: 2, maxOutboundStreams: 2 });
    libp2p.addEventListener('connection:open', (evt) => this.onConnectionOpen(evt.detail));
    libp2p.addEventListener('peer:disconnect', (evt) => this.onDisconnect(evt.detail.toString()));
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), GUARD_TICK_MS);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  addressOf(peer: string): string | undefined {
    return this.addresses.get(peer);
  }

  private outsiderAddresses(): (string | undefined)[] {
    const out: (string | undefined)[] = [];
    for (const conn of this.libp2p?.getConnections() ?? []) {
      if (!this.o.policy.hasOwnSlot(conn.remotePeer.toString())) out.push(hostOf(conn.remoteAddr));
    }
    return out;
  }

  private refuseAtGate(reason: string): true {
    this.gateRefusals.set(reason, (this.gateRefusals.get(reason) ?? 0) + 1);
    return true;
  }

  private onConnectionOpen(connection: Connection): void {
    const peer = connection.remotePeer.toString();
    this.addresses.set(peer, hostOf(connection.remoteAddr));
    if (!this.helloDone.has(peer) && !this.awaitingHello.has(peer)) this.awaitingHello.set(peer, Date.now());
    // The dialer speaks first; the listener answers. Both learn the other's hello.
    if (connection.direction === 'outbound') void this.sendHello(connection);
  }

  private onDisconnect(peer: string): void {
    this.awaitingHello.delete(peer);
    this.helloDone.delete(peer);
    this.addresses.delete(peer);
  }

  private async sendHello(connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString();
    const signal = AbortSignal.timeout(HELLO_TIMEOUT_MS);
    let stream: Stream | undefined;
    let body: Uint8Array;
    try {
      stream = await connection.newStream(HELLO_PROTOCOL_ID, { signal });
      await writeAll(stream, this.ownHelloFrame, signal);
      await stream.close({ signal });
      body = await readFrame(stream, HELLO_BYTES_MAX, 'hello');
    } catch (err) {
      stream?.abort(err as Error);
      if (connection.status !== 'open') return; // closed meanwhile: nothing to refuse
      const message = (err as Error).message;
      const reason = /protocol selection failed|not supported|unsupported/i.test(message)
        ? `does not speak ${HELLO_PROTOCOL_ID} (not a Pantheon node, or one from before protocol version 1)`
        : `hello failed: ${signal.aborted ? `no answer within ${HELLO_TIMEOUT_MS} ms` : message}`;
      this.refuse(peer, reason);
      return;
    }
    this.judge(connection, body);
  }

  private async answerHello(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString();
    const timer = setTimeout(() => stream.abort(new Error(`no complete hello within ${HELLO_TIMEOUT_MS} ms`)), HELLO_TIMEOUT_MS);
    try {
      const body = await readFrame(stream, HELLO_BYTES_MAX, 'hello');
      // Answer before judging, so a peer we refuse still learns our version and logs why.
      await writeAll(stream, this.ownHelloFrame, AbortSignal.timeout(HELLO_TIMEOUT_MS));
      await stream.close();
      this.judge(connection, body);
    } catch (err) {
      stream.abort(err as Error);
      if (connection.status === 'open') this.refuse(peer, `bad hello: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Accepts or refuses a peer on its hello; a failed validator proof only costs privileges. */
  private judge(connection: Connection, body: Uint8Array): void {
    const peer = connection.remotePeer.toString();
    let hello: Hello;
    try {
      const version = decodeHelloVersion(body);
      if (version !== this.o.protocolVersion) {
        this.refuse(peer, `protocol version ${version}; this node speaks protocol version ${this.o.protocolVersion}`);
        return;
      }
      hello = decodeHello(body);
    } catch (err) {
      this.refuse(peer, `malformed hello: ${(err as Error).message}`);
      return;
    }
    if (hello.chainId !== this.o.chainId) {
      this.refuse(peer, `chain ${JSON.stringify(hello.chainId)}; this node is on ${JSON.stringify(this.o.chainId)}`);
      return;
    }
    this.awaitingHello.delete(peer);
    const firstHello = !this.helloDone.has(peer);
    this.helloDone.add(peer);
    const proof = hello.validatorProof;
    if (proof === undefined) {
      if (firstHello) this.o.log('p2p_peer_hello', { peer, validator: null });
      return;
    }
    if (this.o.policy.validatorIndex(peer) === proof.validatorIndex) return; // proven before
    const bad = checkValidatorProof(this.o.chainId, connection.remotePeer.toMultihash().bytes, proof, this.o.validatorPublicKeys);
    if (bad !== undefined) {
      this.o.log('p2p_validator_proof_invalid', { peer, claimedValidator: proof.validatorIndex, reason: bad, treatedAs: 'outsider' }, 'warn');
      return;
    }
    this.promote(peer, proof.validatorIndex);
  }

  private promote(peer: string, validatorIndex: number): void {
    const { demoted } = this.o.policy.proveValidator(peer, validatorIndex);
    this.pubsub?.direct.add(peer);
    this.tag(peer, 100);
    this.o.log('p2p_validator_proven', { peer, validator: validatorIndex }, 'info');
    if (demoted !== undefined) {
      this.pubsub?.direct.delete(demoted);
      this.tag(demoted, undefined);
      this.o.log('p2p_validator_peer_replaced', { validator: validatorIndex, old: demoted, new: peer }, 'warn');
    }
  }

  private tag(peer: string, value: number | undefined): void {
    this.libp2p?.peerStore
      .merge(peerIdFromString(peer), { tags: { [VALIDATOR_TAG]: value === undefined ? undefined : { value } } })
      .catch((err: Error) => this.o.log('p2p_peer_tag_failed', { peer, error: err.message }));
  }

  private refuse(peer: string, reason: string): void {
    const nowMs = Date.now();
    this.awaitingHello.delete(peer);
    const known = (this.refusedUntil.get(peer) ?? 0) > nowMs;
    this.refusedUntil.set(peer, nowMs + REFUSED_MEMORY_MS);
    if (this.refusedUntil.size > 4096) this.refusedUntil.delete(this.refusedUntil.keys().next().value as string);
    if (!known) this.o.log('p2p_peer_refused', { peer, address: this.addresses.get(peer) ?? null, reason }, 'warn');
    const hangUp = () => this.libp2p?.hangUp(peerIdFromString(peer)).catch(() => undefined);
    setTimeout(hangUp, REFUSE_HANGUP_DELAY_MS).unref?.();
  }

  private tick(): void {
    const nowMs = Date.now();
    for (const [peer, sinceMs] of this.awaitingHello) {
      if (nowMs - sinceMs > HELLO_TIMEOUT_MS) this.refuse(peer, `no hello within ${HELLO_TIMEOUT_MS} ms (a Pantheon peer must speak ${HELLO_PROTOCOL_ID}; see docs/gossip.md)`);
    }
    for (const [peer, untilMs] of this.refusedUntil) if (untilMs <= nowMs) this.refusedUntil.delete(peer);
    // Outsiders that sank below the graylist threshold are cut off; gossipsub remembers their
    // score for an hour, and the gate refuses them while it stays below.
    if (this.pubsub !== undefined && this.libp2p !== undefined) {
      const seen = new Set<string>();
      for (const conn of this.libp2p.getConnections()) {
        const peer = conn.remotePeer.toString();
        if (seen.has(peer) || this.o.policy.isValidator(peer)) continue;
        seen.add(peer);
        const score = this.pubsub.getScore(peer);
        if (score < SCORE_THRESHOLDS.graylistThreshold) {
          // Floored, so the logged figure is below the threshold too (-80.3 is logged as -81).
          this.o.log('p2p_peer_penalised', { peer, address: this.addresses.get(peer) ?? null, score: Math.floor(score), useless: Math.round(this.o.policy.uselessCount(peer, nowMs)), action: 'disconnected' }, 'warn');
          this.libp2p.hangUp(conn.remotePeer).catch(() => undefined);
        }
      }
    }
    if (this.gateRefusals.size > 0 && nowMs - this.lastGateLogMs >= GATE_LOG_INTERVAL_MS) {
      for (const [reason, count] of this.gateRefusals) this.o.log('p2p_connections_refused', { reason, count }, 'warn');
      this.gateRefusals.clear();
      this.lastGateLogMs = nowMs;
    }
  }
}
