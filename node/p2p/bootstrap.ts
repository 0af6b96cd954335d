// Keeps the configured bootstrap peers connected: dial each at start, then every
// BOOTSTRAP_REDIAL_INTERVAL_MS re-dial any that is not connected (a restarted validator comes
// back on the same address and peer id). At most one dial per bootstrap peer is in flight.
import type { Libp2p } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import type { PeerId } from '@libp2p/interface';
import type { LogFn } from './identity.ts';

export const BOOTSTRAP_REDIAL_INTERVAL_MS = 2_000;
const BOOTSTRAP_DIAL_TIMEOUT_MS = 5_000;
/** A devnet lists a handful; the bound keeps a typo'd config from fanning out without limit. */
export const BOOTSTRAP_PEERS_MAX = 64;
/** Log a failing peer's first failure, then every Nth, so a down peer does not flood the log. */
const LOG_EVERY_NTH_FAILURE = 15;

interface BootstrapPeer {
  address: Multiaddr;
  peerId: PeerId;
  dialing: boolean;
  failures: number;
}

/** Parses `/…/p2p/<peerId>` multiaddrs; throws naming the entry that is wrong. */
export function parseBootstrap(addresses: string[], ownPeerId: string): { address: Multiaddr; peerId: PeerId }[] {
  if (!Array.isArray(addresses)) throw new TypeError('bootstrap: expected an array of multiaddr strings');
  if (addresses.length > BOOTSTRAP_PEERS_MAX) throw new RangeError(`bootstrap: ${addresses.length} entries, at most ${BOOTSTRAP_PEERS_MAX}`);
  const out: { address: Multiaddr; peerId: PeerId }[] = [];
  for (const [i, text] of addresses.entries()) {
    let address: Multiaddr;
    try {
      address = multiaddr(text);
    } catch (err) {
      throw new Error(`bootstrap[${i}]: ${JSON.stringify(text)} is not a multiaddr (${(err as Error).message})`);
    }
    const p2p = address.getComponents().filter((c) => c.name === 'p2p');
    const last = p2p.at(-1)?.value;
    if (last === undefined) throw new Error(`bootstrap[${i}]: ${text} has no /p2p/<peerId> part; the peer id is needed to authenticate the connection`);
    let peerId: PeerId;
    try {
      peerId = peerIdFromString(last);
    } catch (err) {
      throw new Error(`bootstrap[${i}]: ${JSON.stringify(last)} in ${text} is not a peer id (${(err as Error).message})`);
    }
    if (peerId.toString() === ownPeerId) continue; // a shared devnet list includes ourselves
    out.push({ address, peerId });
  }
  return out;
}

export class BootstrapDialer {
  private readonly peers: BootstrapPeer[];
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(
    private readonly libp2p: Libp2p,
    peers: { address: Multiaddr; peerId: PeerId }[],
    private readonly log: LogFn,
  ) {
    this.peers = peers.map((p) => ({ ...p, dialing: false, failures: 0 }));
  }

  start(): void {
    if (this.peers.length === 0) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), BOOTSTRAP_REDIAL_INTERVAL_MS);
    this.timer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private tick(): void {
    for (const peer of this.peers) {
      if (peer.dialing || this.stopped) continue;
      if (this.libp2p.getConnections(peer.peerId).length > 0) continue;
      peer.dialing = true;
      this.libp2p
        .dial(peer.address, { signal: AbortSignal.timeout(BOOTSTRAP_DIAL_TIMEOUT_MS) })
        .then(
          () => {
            if (peer.failures > 0) this.log('p2p_bootstrap_reconnected', { address: peer.address.toString(), afterFailures: peer.failures });
            peer.failures = 0;
          },
          (err: Error) => {
            if (!this.stopped && peer.failures % LOG_EVERY_NTH_FAILURE === 0) {
              this.log('p2p_bootstrap_dial_failed', { address: peer.address.toString(), failures: peer.failures + 1, error: err.message });
            }
            peer.failures++;
          },
        )
        .finally(() => {
          peer.dialing = false;
        });
    }
  }
}
