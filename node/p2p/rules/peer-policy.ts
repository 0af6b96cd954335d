// Who a peer is and what it may cost us (docs/gossip.md, "Validators and outsiders").
// Proven validators (hello with a valid genesis-key proof) are exempt from every limit here;
// everyone else is an outsider with bounded connections per address, bounded message rates
// per peer and per address, and an application score that falls with useless traffic.
// Pure: time comes in as nowMs, so the unit tests drive it without a clock.

/** Outsider connections in all; validators have slots of their own beyond this. */
export const OUTSIDER_CONNECTIONS_MAX = 48;
/** Outsider connections from one IP address (a NAT, a shared host, or one attacker). */
export const OUTSIDER_CONNECTIONS_PER_ADDRESS_MAX = 8;
/** Token buckets: sustained messages per second and burst, per outsider peer and per address. */
export const OUTSIDER_PEER_MESSAGES_PER_SECOND = 100;
export const OUTSIDER_PEER_MESSAGES_BURST = 400;
export const OUTSIDER_ADDRESS_MESSAGES_PER_SECOND = 300;
export const OUTSIDER_ADDRESS_MESSAGES_BURST = 1200;
/**
 * Useless traffic (well-formed but of no use: unfunded senders, long-stale votes, duplicates,
 * messages over the rate limit) is counted per peer, halving every USELESS_HALF_LIFE_MS. The
 * first USELESS_FREE are free: an honest relay forwards a few stale votes after each block.
 * Beyond that each one costs a point of gossipsub application score (P5, weight 1), so a peer
 * crosses the graylist threshold (-80) about 100 useless messages into a burst.
 */
export const USELESS_HALF_LIFE_MS = 10_000;
export const USELESS_FREE = 20;
/**
 * A proven validator's application score. It outweighs the IP-colocation penalty of any
 * plausible crowd on its address ((48 + validators − 10)² × 5 ≈ 10⁴ at the worst), so shared
 * hosts and NATs cannot push a validator's score below zero.
 */
export const VALIDATOR_APP_SCORE = 1_000_000;
/** Peers whose useless counter is remembered (evicting the least recently touched). */
const TRACKED_PEERS_MAX = 4096;
const TRACKED_ADDRESSES_MAX = 1024;

class TokenBucket {
  private tokens: number;
  private updatedMs: number;
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.updatedMs = nowMs;
  }
  take(nowMs: number, cost: number): boolean {
    const elapsedMs = Math.max(0, nowMs - this.updatedMs);
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.perSecond) / 1000);
    this.updatedMs = nowMs;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}

interface UselessCounter {
  count: number;
  updatedMs: number;
}

/** Map with insertion-order eviction; touching an entry moves it to the back. */
function touch<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as K);
}

export type MessageAdmission = { ok: true } | { ok: false; reason: 'peer rate limit' | 'address rate limit'; penalise: boolean };

export class PeerPolicy {
  private readonly validatorByPeer = new Map<string, number>();
  private readonly peerByValidator = new Map<number, string>();
  /** Bootstrap peers: not privileged, but never refused a connection slot. */
  private readonly slotTrusted: Set<string>;
  private readonly useless = new Map<string, UselessCounter>();
  private readonly peerBuckets = new Map<string, TokenBucket>();
  private readonly addressBuckets = new Map<string, TokenBucket>();

  constructor(slotTrustedPeers: Iterable<string> = []) {
    this.slotTrusted = new Set(slotTrustedPeers);
  }

  validatorIndex(peerId: string): number | undefined {
    return this.validatorByPeer.get(peerId);
  }

  isValidator(peerId: string): boolean {
    return this.validatorByPeer.has(peerId);
  }

  validatorPeers(): string[] {
    return [...this.validatorByPeer.keys()];
  }

  /**
   * Records a verified proof. One peer id per validator: a newer proof for the same index (the
   * validator moved to a new peer key) demotes the old peer id, which is returned.
   */
  proveValidator(peerId: string, validatorIndex: number): { demoted?: string } {
    const previous = this.peerByValidator.get(validatorIndex);
    const earlierIndex = this.validatorByPeer.get(peerId);
    if (earlierIndex !== undefined && earlierIndex !== validatorIndex) this.peerByValidator.delete(earlierIndex);
    this.validatorByPeer.set(peerId, validatorIndex);
    this.peerByValidator.set(validatorIndex, peerId);
    this.useless.delete(peerId);
    if (previous !== undefined && previous !== peerId) {
      this.validatorByPeer.delete(previous);
      return { demoted: previous };
    }
    return {};
  }

  /** gossipsub's P5 for this peer: large and positive for validators, ≤ 0 for outsiders. */
  appScore(peerId: string, nowMs: number): number {
    if (this.validatorByPeer.has(peerId)) return VALIDATOR_APP_SCORE;
    return -Math.max(0, this.uselessCount(peerId, nowMs) - USELESS_FREE);
  }

  uselessCount(peerId: string, nowMs: number): number {
    const c = this.useless.get(peerId);
    if (c === undefined) return 0;
    return c.count * Math.pow(0.5, Math.max(0, nowMs - c.updatedMs) / USELESS_HALF_LIFE_MS);
  }

  /** Counts one useless message against an outsider; validators are never counted. */
  noteUseless(peerId: string, nowMs: number, weight = 1): void {
    if (this.validatorByPeer.has(peerId)) return;
    touch(this.useless, peerId, { count: this.uselessCount(peerId, nowMs) + weight, updatedMs: nowMs }, TRACKED_PEERS_MAX);
  }

  /**
   * May this outsider's message be validated now? Validators always may. `cost` is in
   * messages: a list of transactions costs one per transaction (docs/gossip.md).
   */
  admitMessage(peerId: string, address: string | undefined, nowMs: number, cost = 1): MessageAdmission {
    if (this.validatorByPeer.has(peerId)) return { ok: true };
    let peerBucket = this.peerBuckets.get(peerId);
    if (peerBucket === undefined) {
      peerBucket = new TokenBucket(OUTSIDER_PEER_MESSAGES_PER_SECOND, OUTSIDER_PEER_MESSAGES_BURST, nowMs);
      touch(this.peerBuckets, peerId, peerBucket, TRACKED_PEERS_MAX);
    }
    // The peer's own budget first, so one noisy peer spends its budget, not its neighbours'.
    if (!peerBucket.take(nowMs, cost)) return { ok: false, reason: 'peer rate limit', penalise: true };
    if (address !== undefined) {
      let addressBucket = this.addressBuckets.get(address);
      if (addressBucket === undefined) {
        addressBucket = new TokenBucket(OUTSIDER_ADDRESS_MESSAGES_PER_SECOND, OUTSIDER_ADDRESS_MESSAGES_BURST, nowMs);
        touch(this.addressBuckets, address, addressBucket, TRACKED_ADDRESSES_MAX);
      }
      // Not the peer's own fault when its neighbours spent the address budget: no penalty.
      if (!addressBucket.take(nowMs, cost)) return { ok: false, reason: 'address rate limit', penalise: false };
    }
    return { ok: true };
  }

  /**
   * May a new inbound connection from `peerId` at `address` be kept, given the outsider
   * connections already open (each with its address)? Returns why not, or undefined.
   */
  refuseConnection(peerId: string, address: string | undefined, outsiderAddresses: readonly (string | undefined)[]): string | undefined {
    if (this.validatorByPeer.has(peerId) || this.slotTrusted.has(peerId)) return undefined;
    if (outsiderAddresses.length >= OUTSIDER_CONNECTIONS_MAX) return `all ${OUTSIDER_CONNECTIONS_MAX} outsider connection slots are taken`;
    if (address !== undefined) {
      const fromAddress = outsiderAddresses.filter((a) => a === address).length;
      if (fromAddress >= OUTSIDER_CONNECTIONS_PER_ADDRESS_MAX) return `${fromAddress} outsider connections from ${address} already (at most ${OUTSIDER_CONNECTIONS_PER_ADDRESS_MAX} per address)`;
    }
    return undefined;
  }

  /** Is this peer privileged for connection slots (validator or bootstrap)? */
  hasOwnSlot(peerId: string): boolean {
    return this.validatorByPeer.has(peerId) || this.slotTrusted.has(peerId);
  }
}
