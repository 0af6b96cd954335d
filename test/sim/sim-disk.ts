// TEST DOUBLE (simulation only), labelled as such: one simulated disk per validator, holding
// what its LevelDB store and its sign-record file hold (docs/replica.md, "The simulated disk").
// A synced write (a LevelDB batch with sync: true) becomes durable and visible when its I/O
// completes, an event the world schedules; an unsynced one (LevelDB's clear without sync) is
// visible at once and durable only with the next synced write. A crash throws away every write
// not yet durable, and the writes still in flight never complete. The sign-record file is
// written atomically and fsync'd before the write returns (node/sign-record-file.ts), so it is
// durable at once. It implements the replica's BlockStore and SignStateStore ports.
import type { SignRecord } from '../../consensus/index.ts';
import { hexToBytes } from '../../protocol/bytes.ts';
import type { Accounts } from '../../protocol/state.ts';
import type { Logs } from '../../protocol/log-state.ts';
import type { BlockStore, SignStateStore } from '../../node/ports.ts';
import type { CommittedBlock } from '../../node/store.ts';

export interface DiskState {
  genesisHashHex: string | undefined;
  height: bigint;
  blocks: Map<bigint, { block: Uint8Array; certificate: Uint8Array; hash: Uint8Array }>;
  accounts: Accounts;
  logs: Logs;
  /** Commitment-log leaves appended by each block. */
  leaves: Map<bigint, Uint8Array[]>;
  evidence: Set<string>;
  /** `${height}/${hashHex}` -> our own proposed block. */
  proposed: Map<string, Uint8Array>;
}

type Op = (s: DiskState) => void;

function emptyState(): DiskState {
  return { genesisHashHex: undefined, height: 0n, blocks: new Map(), accounts: new Map(), logs: new Map(), leaves: new Map(), evidence: new Set(), proposed: new Map() };
}

/** Schedules an I/O completion `latencyMs` from now; the disk decides what completion means. */
export type ScheduleIo = (run: () => void) => void;

export class SimDisk {
  durable: DiskState = emptyState();
  /** What the running process sees: the durable state and its unsynced writes. */
  visible: DiskState = emptyState();
  private unsynced: Op[] = [];
  /** Bumped by a crash: writes of an earlier process never complete. */
  private epoch = 0;
  /** The sign record, durable once written. */
  signRecord: SignRecord | undefined;
  signRecordWrites = 0;

  constructor(private readonly scheduleIo: ScheduleIo) {}

  /** A power cut: what was not durable is gone. */
  crash(): void {
    this.epoch++;
    this.unsynced = [];
    this.visible = structuredClone(this.durable);
  }

  private unsyncedWrite(op: Op): void {
    op(this.visible);
    this.unsynced.push(op);
  }

  private syncedWrite(op: Op): Promise<void> {
    const epoch = this.epoch;
    return new Promise((resolve) => {
      this.scheduleIo(() => {
        if (epoch !== this.epoch) return; // the process that wrote it is dead; so is the write
        for (const u of this.unsynced) u(this.durable);
        this.unsynced = [];
        op(this.visible);
        op(this.durable);
        resolve();
      });
    });
  }

  /** The BlockStore port of the process alive now; a dead process's writes never complete. */
  blockStore(alive: () => boolean, beforeWrite: () => void = () => undefined): BlockStore {
    const s = () => this.visible;
    const write = (op: Op): Promise<void> => {
      beforeWrite(); // the world may crash the node here: the write is then never issued
      return alive() ? this.syncedWrite(op) : new Promise(() => {});
    };
    return {
      initGenesis: async (accounts, genesisHashHex) => {
        const existing = s().genesisHashHex;
        if (existing !== undefined) {
          if (existing !== genesisHashHex) throw new Error(`this simulated disk belongs to genesis ${existing}, not ${genesisHashHex}`);
          return;
        }
        const copy = structuredClone(accounts);
        await write((d) => {
          for (const [k, a] of copy) d.accounts.set(k, structuredClone(a));
          d.genesisHashHex = genesisHashHex;
        });
      },
      height: async () => s().height,
      block: async (height) => s().blocks.get(height)?.block,
      certificate: async (height) => s().blocks.get(height)?.certificate,
      loadAccounts: async () => structuredClone(s().accounts),
      loadLogRecords: async () => structuredClone(s().logs),
      loadLogLeaves: async () => [...s().leaves.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).flatMap(([, l]) => l.map((x) => x.slice())),
      loadBlockHashes: async () => [...s().blocks.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, b]) => b.hash.slice()),
      hasEvidence: async (key) => s().evidence.has(key),
      commitBlock: (c: CommittedBlock) => {
        const copy = structuredClone(c);
        const hash = hexToBytes(c.blockHashHex, 'block hash', 32);
        return write((d) => {
          d.blocks.set(copy.height, { block: copy.blockBytes, certificate: copy.certificateBytes, hash });
          d.height = copy.height;
          if (copy.newLogLeaves.length > 0) d.leaves.set(copy.height, copy.newLogLeaves);
          for (const [k, r] of copy.changedLogs) d.logs.set(k, structuredClone(r));
          for (const [k, a] of copy.changedAccounts) d.accounts.set(k, structuredClone(a));
          for (const k of copy.evidenceKeys) d.evidence.add(k);
        });
      },
      putProposedBlock: (height, hashHex, blockBytes) => {
        const copy = blockBytes.slice();
        return write((d) => void d.proposed.set(`${height}/${hashHex}`, copy));
      },
      proposedBlock: async (height, hashHex) => s().proposed.get(`${height}/${hashHex}`),
      deleteProposedBlocksBelow: async (height) => {
        if (!alive()) return;
        // LevelDB's clear without sync: visible now, durable with the next synced write.
        this.unsyncedWrite((d) => {
          for (const key of [...d.proposed.keys()]) if (BigInt(key.split('/')[0]) < height) d.proposed.delete(key);
        });
      },
    };
  }

  /** Whether our own proposed block `hashHex` of `height` is durable (or its height is committed durably). */
  holdsDurably(height: bigint, hashHex: string): boolean {
    return this.durable.proposed.has(`${height}/${hashHex}`) || this.durable.height >= height;
  }

  /** The SignStateStore port: the record file, atomic and fsync'd before write() returns. */
  signStateStore(alive: () => boolean, onWrite: (record: SignRecord) => void): SignStateStore {
    return {
      where: 'simulated sign-record.json',
      write: (record) => {
        if (!alive()) return;
        this.signRecord = structuredClone(record);
        this.signRecordWrites++;
        onWrite(record);
      },
    };
  }
}
