// The node's storage in LevelDB (classic-level, docs/storage.md). Committing a block is ONE synced batch:
// the block, its certificate, the transaction and commitment indexes, the commitment-log
// leaves, the changed accounts, the removal of included mempool entries and the new height.
// After kill -9 the database holds either all of a block or none of it.
import { ClassicLevel } from 'classic-level';

import type { Accounts, Account } from '../protocol/state.ts';
import { hexToBytes } from '../protocol/bytes.ts';
import { Writer, Reader } from '../protocol/encoding.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

export const heightKey = (h: bigint) => h.toString(16).padStart(16, '0');

export interface TxLocation {
  height: string;
  index: number;
  /** Position in the commitment log, for commitment transactions. */
  logIndex?: number;
}

export interface CommittedBlock {
  height: bigint;
  blockBytes: Uint8Array;
  certificateBytes: Uint8Array;
  blockHashHex: string;
  txIds: string[];
  commitmentIds: { txId: string; logIndex: number }[];
  newLogLeaves: Uint8Array[];
  firstLogIndex: number;
  changedAccounts: Accounts;
  evidenceKeys: string[];
  attestations: { pantheonHeight: bigint; txId: string; bytes: Uint8Array }[];
}

export interface FamilyUsage {
  family: string;
  entries: number;
  keyBytes: number;
  valueBytes: number;
  /** LevelDB's approximateSize of the family's key range: table-file bytes, tombstones included. */
  tableBytes: number;
}

const FAMILIES = ['meta', 'block', 'cert', 'bh', 'hash', 'tx', 'clog', 'acct', 'evidence', 'anchor', 'mempool', 'proposed'] as const;

type Op = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

export class NodeStore {
  private readonly pendingMempool: { key: string; value: Uint8Array; resolve: () => void; reject: (err: Error) => void }[] = [];

  private constructor(private readonly db: ClassicLevel<string, Uint8Array>) {}

  static async open(path: string): Promise<NodeStore> {
    const db = new ClassicLevel<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' });
    try {
      await db.open();
    } catch (err) {
      const cause = (err as { cause?: Error }).cause;
      throw new Error(`cannot open the database at ${path}: ${cause?.message ?? (err as Error).message} (is another node running on this data directory?)`);
    }
    return new NodeStore(db);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /**
   * Live entries and key/value bytes per key family, and LevelDB's estimate of the table-file
   * bytes of each family's key range (deleted entries not yet compacted away included). For
   * the disk benchmark; it reads every key.
   */
  async usage(): Promise<FamilyUsage[]> {
    const out: FamilyUsage[] = [];
    for (const family of FAMILIES) {
      const u: FamilyUsage = { family, entries: 0, keyBytes: 0, valueBytes: 0, tableBytes: 0 };
      for await (const [key, value] of this.db.iterator({ gte: `${family}/`, lt: `${family}0` })) {
        u.entries++;
        u.keyBytes += enc.encode(key).length;
        u.valueBytes += value.length;
      }
      u.tableBytes = await this.db.approximateSize(`${family}/`, `${family}0`);
      out.push(u);
    }
    return out;
  }

  /** LevelDB's own account of its files per level (`leveldb.stats`). */
  levelStats(): string {
    return this.db.getProperty('leveldb.stats');
  }

  private async getText(key: string): Promise<string | undefined> {
    const v = await this.db.get(key);
    return v === undefined ? undefined : dec.decode(v);
  }

  private putText(key: string, value: string): Op {
    return { type: 'put', key, value: enc.encode(value) };
  }

  async height(): Promise<bigint> {
    return BigInt((await this.getText('meta/height')) ?? '0');
  }

  async block(height: bigint): Promise<Uint8Array | undefined> {
    return this.db.get(`block/${heightKey(height)}`);
  }

  async certificate(height: bigint): Promise<Uint8Array | undefined> {
    return this.db.get(`cert/${heightKey(height)}`);
  }

  async heightOfBlock(hashHex: string): Promise<bigint | undefined> {
    const h = await this.getText(`hash/${hashHex}`);
    return h === undefined ? undefined : BigInt(h);
  }

  async txLocation(txIdHex: string): Promise<TxLocation | undefined> {
    const v = await this.getText(`tx/${txIdHex}`);
    return v === undefined ? undefined : JSON.parse(v);
  }

  /** Every account, for the in-memory state at start-up. */
  async loadAccounts(): Promise<Accounts> {
    const accounts: Accounts = new Map();
    for await (const [key, value] of this.db.iterator({ gte: 'acct/', lt: 'acct0' })) {
      accounts.set(key.slice(5), decodeAccount(value));
    }
    return accounts;
  }

  /** Leaf hashes of the commitment log, in order. */
  async loadLogLeaves(): Promise<Uint8Array[]> {
    const leaves: Uint8Array[] = [];
    for await (const [, value] of this.db.iterator({ gte: 'clog/', lt: 'clog0' })) leaves.push(value);
    return leaves;
  }

  async loadBlockHashes(): Promise<Uint8Array[]> {
    const hashes: Uint8Array[] = [];
    for await (const [, value] of this.db.iterator({ gte: 'bh/', lt: 'bh0' })) hashes.push(value);
    return hashes;
  }

  async hasEvidence(key: string): Promise<boolean> {
    return (await this.db.get(`evidence/${key}`)) !== undefined;
  }

  /** The whole block in one synced batch (see the file comment). */
  async commitBlock(c: CommittedBlock): Promise<void> {
    const h = heightKey(c.height);
    const ops: Op[] = [
      { type: 'put', key: `block/${h}`, value: c.blockBytes },
      { type: 'put', key: `cert/${h}`, value: c.certificateBytes },
      this.putText(`hash/${c.blockHashHex}`, c.height.toString()),
      { type: 'put', key: `bh/${h}`, value: hexToBytes(c.blockHashHex, 'block hash', 32) },
      this.putText('meta/height', c.height.toString()),
    ];
    const logIndexByTx = new Map(c.commitmentIds.map((x) => [x.txId, x.logIndex]));
    c.txIds.forEach((id, index) => {
      const location: TxLocation = { height: c.height.toString(), index, ...(logIndexByTx.has(id) ? { logIndex: logIndexByTx.get(id) } : {}) };
      ops.push(this.putText(`tx/${id}`, JSON.stringify(location)));
      ops.push({ type: 'del', key: `mempool/${id}` });
    });
    c.newLogLeaves.forEach((leaf, i) => ops.push({ type: 'put', key: `clog/${heightKey(BigInt(c.firstLogIndex + i))}`, value: leaf }));
    for (const [address, account] of c.changedAccounts) ops.push({ type: 'put', key: `acct/${address}`, value: encodeAccount(account) });
    // The latest attestation of a height wins: after a Bitcoin reorg the anchor is attested again.
    for (const a of c.attestations) ops.push({ type: 'put', key: `anchor/${heightKey(a.pantheonHeight)}`, value: a.bytes });
    for (const key of c.evidenceKeys) ops.push(this.putText(`evidence/${key}`, c.height.toString()));
    await this.db.batch(ops, { sync: true });
  }

  /** Genesis accounts, written once before height 1. */
  async initGenesis(accounts: Accounts, genesisHashHex: string): Promise<void> {
    const existing = await this.getText('meta/genesis');
    if (existing !== undefined) {
      if (existing !== genesisHashHex) throw new Error(`this data directory belongs to genesis ${existing}, not ${genesisHashHex}`);
      return;
    }
    const ops: Op[] = [...accounts].map(([address, account]) => ({ type: 'put', key: `acct/${address}`, value: encodeAccount(account) }));
    ops.push(this.putText('meta/genesis', genesisHashHex));
    await this.db.batch(ops, { sync: true });
  }

  // ---- acknowledged transactions: persisted before the submitter hears "accepted" ----------

  /**
   * Group commit: acknowledgements that arrive together share one synced batch (one fsync),
   * and each caller resolves only once its entry is on disk.
   */
  putMempoolTx(txIdHex: string, txBytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pendingMempool.push({ key: `mempool/${txIdHex}`, value: txBytes, resolve, reject });
      if (this.pendingMempool.length === 1) setImmediate(() => void this.flushMempool());
    });
  }

  private async flushMempool(): Promise<void> {
    const entries = this.pendingMempool.splice(0);
    try {
      await this.db.batch(entries.map((e) => ({ type: 'put' as const, key: e.key, value: e.value })), { sync: true });
      for (const e of entries) e.resolve();
    } catch (err) {
      for (const e of entries) e.reject(err as Error);
    }
  }

  async deleteMempoolTx(txIdHex: string): Promise<void> {
    await this.db.del(`mempool/${txIdHex}`);
  }

  async loadMempool(): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for await (const [, value] of this.db.iterator({ gte: 'mempool/', lt: 'mempool0' })) out.push(value);
    return out;
  }

  // ---- the consensus last-sign record (written with sync before any signature leaves) -------

  async loadSignRecord(): Promise<string | undefined> {
    return this.getText('meta/sign-record');
  }

  async saveSignRecord(json: string): Promise<void> {
    await this.db.put('meta/sign-record', enc.encode(json), { sync: true });
  }

  // ---- our own proposed blocks: stored before the proposal is signed -----------------------

  async putProposedBlock(height: bigint, hashHex: string, blockBytes: Uint8Array): Promise<void> {
    await this.db.put(`proposed/${heightKey(height)}/${hashHex}`, blockBytes, { sync: true });
  }

  async proposedBlock(height: bigint, hashHex: string): Promise<Uint8Array | undefined> {
    return this.db.get(`proposed/${heightKey(height)}/${hashHex}`);
  }

  async deleteProposedBlocksBelow(height: bigint): Promise<void> {
    await this.db.clear({ gte: 'proposed/', lt: `proposed/${heightKey(height)}` });
  }

  // ---- anchor attestations: committed attestation transactions, by anchored height --------

  /** The committed attestation transaction of the highest anchored height. */
  async latestAttestation(): Promise<Uint8Array | undefined> {
    for await (const [, value] of this.db.iterator({ gte: 'anchor/', lt: 'anchor0', reverse: true, limit: 1 })) return value;
    return undefined;
  }

  /** The committed attestation transaction of the first anchored height at or above `height`. */
  async attestationCovering(height: bigint): Promise<Uint8Array | undefined> {
    for await (const [, value] of this.db.iterator({ gte: `anchor/${heightKey(height)}`, lt: 'anchor0', limit: 1 })) return value;
    return undefined;
  }
}

function encodeAccount(a: Account): Uint8Array {
  return new Writer().u64(a.balance, 'balance').u64(a.nonce, 'nonce').finish();
}

function decodeAccount(bytes: Uint8Array): Account {
  const r = new Reader(bytes);
  const account = { balance: r.u64('balance'), nonce: r.u64('nonce') };
  r.end('account');
  return account;
}

