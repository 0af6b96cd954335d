// The replica (docs/replica.md): the consensus driver, chain execution, the mempool and the
// syncer put together over ports (node/ports.ts). `pantheon node` builds it with the real
// ports and adds what is not the replica (gossip checks, admission, HTTP, anchoring, metrics);
// the simulator builds the same replica with simulated ports.
import type { Block } from '../protocol/block.ts';
import type { KeyPair } from '../protocol/keys.ts';
import type { SignRecord } from '../consensus/index.ts';
import type { Genesis } from '../genesis/genesis.ts';
import { Chain } from './chain.ts';
import { ConsensusDriver, type ReintroducedBug } from './consensus-driver.ts';
import type { Logger } from './log.ts';
import type { Mempool } from './mempool.ts';
import type { BlockStore, Clock, ReplicaNetwork, SignStateStore } from './ports.ts';
import { GuardedSigner } from './signer.ts';
import { Syncer } from './syncer.ts';

export interface ReplicaPorts {
  clock: Clock;
  network: ReplicaNetwork;
  store: BlockStore;
  log: Logger;
}

export interface ReplicaOptions {
  genesis: Genesis;
  /** Admission (the node's side) fills it; the replica takes candidates and removes what commits. */
  mempool: Mempool;
  /** Set on a validator: its index, key, the store its sign record lives in and the record read at start. */
  validator?: { index: number; key: KeyPair; signState: SignStateStore; record: SignRecord | undefined };
  rebroadcastMs: number;
  syncIntervalMs: number;
  /** Whatever committed a block (consensus or sync), after the replica's own bookkeeping. */
  onCommitted?: (block: Block, hashHex: string, txIds: readonly string[], evidenceKeys: readonly string[]) => void;
  /** A mempool transaction no block can include: the node forgets it (and its stored copy). */
  onUnincludable?: (txIdHex: string, error: string) => void;
  /** Counted by the node in `pantheon_signer_refusals_total`; a violation in the simulator. */
  onSignerRefusal?: () => void;
  /** TEST ONLY: the simulator's teeth (node/consensus-driver.ts). */
  unsafeReintroduce?: ReintroducedBug;
}

export class Replica {
  private constructor(
    readonly chain: Chain,
    readonly mempool: Mempool,
    readonly driver: ConsensusDriver,
    readonly syncer: Syncer,
    readonly signer: GuardedSigner | undefined,
  ) {}

  /** Loads the chain from the store and wires the parts; nothing runs until start(). */
  static async create(ports: ReplicaPorts, o: ReplicaOptions): Promise<Replica> {
    const { clock, network, store, log } = ports;
    const chain = await Chain.load(o.genesis, store);
    const v = o.validator;
    const signState = v && (o.unsafeReintroduce === 'sign-records-out-of-order' ? unsafeWriteBehind(v.signState, clock) : v.signState);
    const signer = v && signState && new GuardedSigner({ key: v.key, store: signState, record: v.record, committedHeight: () => chain.height, log, onRefusal: () => o.onSignerRefusal?.() });
    let replica: Replica | undefined;
    const committed = (block: Block, hashHex: string, txIds: readonly string[], evidenceKeys: readonly string[]) => replica?.afterCommit(block, hashHex, txIds, evidenceKeys, o.onCommitted);
    const driver = new ConsensusDriver({
      chain,
      store,
      network,
      clock,
      mempool: o.mempool,
      log,
      validator: signer && v ? { index: v.index, signer } : undefined,
      rebroadcastMs: o.rebroadcastMs,
      onCommitted: committed,
      onMissingBlock: () => replica?.syncer.poke(),
      onUnincludable: o.onUnincludable,
      unsafeReintroduce: o.unsafeReintroduce,
    });
    const syncer = new Syncer(chain, driver, network, clock, log, o.syncIntervalMs, committed);
    replica = new Replica(chain, o.mempool, driver, syncer, signer);
    return replica;
  }

  async start(): Promise<void> {
    this.syncer.start();
    await this.driver.start();
  }

  async stop(): Promise<void> {
    this.syncer.stop();
    await this.driver.stop();
  }

  /** A committed block leaves the mempool and the evidence pool, whoever committed it. */
  private afterCommit(block: Block, hashHex: string, txIds: readonly string[], evidenceKeys: readonly string[], then: ReplicaOptions['onCommitted']): void {
    for (const id of txIds) this.mempool.remove(id);
    for (const key of evidenceKeys) this.driver.evidencePool.delete(key);
    then?.(block, hashHex, txIds, evidenceKeys);
  }
}

/** TEST ONLY: how long a write-behind sign record takes to reach its store. */
const UNSAFE_WRITE_BEHIND_MS = 5;

/**
 * TEST ONLY, the teeth for 9c8bb5c (docs/replica.md): the sign-record write as it was then, an
 * asynchronous put that the path signing next did not wait for. The record reaches the store
 * a moment after the signer goes on to sign, so a crash in between loses a record whose
 * signature has already left, and the restarted validator can sign a conflicting message at
 * that height, round and step. Never used by the node.
 */
function unsafeWriteBehind(store: SignStateStore, clock: Clock): SignStateStore {
  return {
    where: `${store.where} (TEST ONLY: written behind)`,
    write: (record) => {
      const copy = structuredClone(record);
      clock.setTimer(UNSAFE_WRITE_BEHIND_MS, () => store.write(copy));
    },
  };
}
