// The replica's ports (docs/replica.md): everything the driver, the chain, the mempool and the
// syncer may ask of the world. `pantheon node` plugs in the real ones (wall clock, libp2p,
// LevelDB, the sign-record file); the simulator plugs in simulated ones and runs the same code.
import type { SignRecord } from '../consensus/index.ts';
import type { Network } from './p2p/index.ts';
import type { NodeStore } from './store.ts';

/** A timer's handle; only the clock that made it knows what it is. */
export type TimerHandle = unknown;

/** Time and timers. The replica reads no other clock and starts no other timer. */
export interface Clock {
  nowMs(): number;
  /** Calls `fn` once, `delayMs` from now (0: after the current task). */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  /** Cancels a timer that has not fired; a fired or cancelled one is ignored. */
  clearTimer(handle: TimerHandle): void;
}

/** The wall clock and Node's timers: the node's clock port. */
export const systemClock: Clock = {
  nowMs: () => Date.now(),
  setTimer: (delayMs, fn) => setTimeout(fn, delayMs),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * A repeating timer over a clock port: the next tick is armed when one fires, so a tick that
 * runs late never queues a burst of catch-up ticks. Returns the function that stops it.
 */
export function every(clock: Clock, intervalMs: number, fn: () => void): () => void {
  let handle: TimerHandle | undefined;
  let stopped = false;
  const arm = () => {
    handle = clock.setTimer(intervalMs, () => {
      if (stopped) return;
      arm();
      fn();
    });
  };
  arm();
  return () => {
    stopped = true;
    if (handle !== undefined) clock.clearTimer(handle);
  };
}

/**
 * The network as the replica uses it: publish, the peers to sync from, block requests, and
 * serving them. Receiving is the node's gossip checks calling the replica (offerBlock, input,
 * addEvidence), so it is not a method here.
 */
export type ReplicaNetwork = Pick<Network, 'publish' | 'peers' | 'requestSync' | 'serveSync'>;

/**
 * The block and state store as the chain and the driver use it. Every write is durable when
 * its promise resolves (LevelDB batches with sync: true; docs/storage.md).
 */
export type BlockStore = Pick<
  NodeStore,
  | 'initGenesis'
  | 'height'
  | 'block'
  | 'certificate'
  | 'loadAccounts'
  | 'loadLogRecords'
  | 'loadLogLeaves'
  | 'loadBlockHashes'
  | 'hasEvidence'
  | 'commitBlock'
  | 'putProposedBlock'
  | 'proposedBlock'
  | 'deleteProposedBlocksBelow'
>;

/** The validator's last-sign record on disk: `write` returns once the record is durable. */
export interface SignStateStore {
  /** Where the record lives, for messages (a path on the node). */
  readonly where: string;
  write(record: SignRecord): void;
}
