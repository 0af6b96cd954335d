// The node's storage in LevelDB (classic-level), layout version 4 (docs/storage.md).
// Committing a block is ONE synced batch: the block, its certificate, the transaction index,
// the block's commitment-log leaves, the changed accounts, the removal of included mempool
// entries and the new height. After kill -9 the database holds either all of a block or none.
// Keys are binary (a family byte, then big-endian heights or raw 32-byte ids) so that a
// commitment costs its transaction in the block plus a few dozen bytes of index.
import { readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ClassicLevel } from 'classic-level';

import { writeFileAtomic } from './files.ts';
import { checkLevelFiles, DatabaseDamaged, levelDirState, UNTOUCHED, WHAT_TO_DO } from './leveldb-files.ts';

import type { Accounts, Account } from '../protocol/state.ts';
import { KEY_CHANGES_MAX, type LogRecord, type Logs } from '../protocol/log-state.ts';
import { PUBLIC_KEY_SIZE } from '../protocol/keys.ts';
import { LOG_ID_MAX } from '../protocol/tx.ts';
import { bytesToHex, hexToBytes } from '../protocol/bytes.ts';
import { Writer, Reader, decodeExact } from '../protocol/encoding.ts';

/** The layout this code reads and writes; `meta/version` holds it. */
export const STORE_VERSION = 4;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The first byte of every key outside `meta/` (whose keys are ASCII and start with 'm'). */
const FAMILY = {
  block: 0x01,
  cert: 0x02,
  blockHash: 0x03,
  tx: 0x04,
  logLeaves: 0x05,
  account: 0x06,
  evidence: 0x07,
  anchor: 0x08,
  mempool: 0x09,
  proposed: 0x0a,
  logRecord: 0x0b,
  logCommitment: 0x0c,
} as const;

const META = {
  version: enc.encode('meta/version'),
  genesis: enc.encode('meta/genesis'),
  height: enc.encode('meta/height'),
  signHeightAtCreation: enc.encode('meta/sign-height-at-creation'),
};
const META_FIRST = enc.encode('meta/');
const META_END = enc.encode('meta0');

const u64 = (x: bigint) => new Writer().u64(x).finish();
const readU64 = (bytes: Uint8Array, what: string) => decodeExact(bytes, what, (r) => r.u64(what));

/** `family || rest...`: one key. */
function key(family: number, ...rest: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(1 + rest.reduce((n, r) => n + r.length, 0));
  out[0] = family;
  let offset = 1;
  for (const r of rest) {
    out.set(r, offset);
    offset += r.length;
  }
  return out;
}

const heightKey = (family: number, height: bigint) => key(family, u64(height));
const idKey = (family: number, idHex: string, what: string) => key(family, hexToBytes(idHex, what, 32));
/** The bounds [gte, lt) of one family. */
const familyRange = (family: number) => ({ gte: Uint8Array.of(family), lt: Uint8Array.of(family + 1) });

/**
 * After this many committed transactions (about 8 MB of ML-DSA-65 transactions) the key range
 * of the mempool and proposed blocks is compacted: otherwise each included transaction's
 * mempool copy (and each of our proposals) and its deletion marker stay in LevelDB's log,
 * level-0 files and upper levels until background compaction happens to reach them
 * (docs/storage.md, "Compaction").
 */
export const MEMPOOL_COMPACTION_TXS = 1_500;

/** Bound on the compactions close() waits for; each level is at most one step of a cascade. */
const CLOSE_COMPACTION_WAITS_MAX = 16;

export interface TxLocation {
  height: string;
  index: number;
  /** Position in the commitment log, for commitment transactions. */
  logIndex?: number;
}

/** `u64 height || u32 index`, then `u64 logIndex` for a commitment: 12 or 20 bytes. */
function encodeTxLocation(height: bigint, index: number, logIndex: number | undefined): Uint8Array {
  const w = new Writer().u64(height, 'height').u32(index, 'index');
  if (logIndex !== undefined) w.u64(BigInt(logIndex), 'logIndex');
  return w.finish();
}

function decodeTxLocation(bytes: Uint8Array): TxLocation {
  if (bytes.length !== 12 && bytes.length !== 20) throw new Error(`stored tx location has ${bytes.length} bytes, expected 12 or 20`);
  const r = new Reader(bytes);
  const location: TxLocation = { height: r.u64('height').toString(), index: r.u32('index') };
  if (bytes.length === 20) location.logIndex = Number(r.u64('logIndex'));
  r.end('tx location');
  return location;
}

/** One entry of a log's history: `0c ‖ string(logId) ‖ u64 sequence` → this (80 bytes). */
export interface StoredLogCommitment {
  sequence: bigint;
  txId: string;
  height: bigint;
  treeSize: bigint;
  root: Uint8Array;
}

const logCommitmentKey = (logId: string, sequence: bigint) => key(FAMILY.logCommitment, new Writer().string(logId, LOG_ID_MAX, 'logId').u64(sequence, 'sequence').finish());

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
  changedLogs: Logs;
  logCommitments: { logId: string; sequence: bigint; txId: string; treeSize: bigint; root: Uint8Array }[];
  evidenceKeys: string[];
  attestations: { pantheonHeight: bigint; txId: string; bytes: Uint8Array }[];
}

export interface FamilyUsage {
  family: string;
  entries: number;
  keyBytes: number;
  valueBytes: number;
  /** LevelDB's approximateSize of the family's key range: table-file bytes, deleted entries not yet compacted away included. */
  tableBytes: number;
}

type Op = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

export class NodeStore {
  private readonly pendingMempool: { key: Uint8Array; value: Uint8Array; resolve: () => void; reject: (err: Error) => void }[] = [];

  private txsSinceCompaction = 0;
  private compaction: Promise<void> | undefined;
  private compactionError: Error | undefined;

  private constructor(
    private readonly db: ClassicLevel<Uint8Array, Uint8Array>,
    /** Write-ahead log files whose last record was cut, as found before LevelDB replayed them. */
    readonly tornFiles: readonly { file: string; offset: number; keptAt: string }[],
  ) {}

  /**
   * Opens the database at `path`. Only an absent or empty directory gets a new database (and
   * LevelDB is told to fail if one appeared meanwhile); any other must be exactly a database
   * of this layout, checked file by file before LevelDB replays anything (leveldb-files.ts),
   * and is never created over. `signHeightAtCreation` is recorded in a new database: the
   * height of the validator's last-sign record when it was made (docs/storage.md).
   */
  static async open(path: string, options: { signHeightAtCreation?: bigint } = {}): Promise<NodeStore> {
    const dir = levelDirState(path);
    const torn = dir.empty ? [] : checkLevelFiles(path, dir).tornFiles;
    // LevelDB replays a torn log and then deletes it: keep its bytes, in case the checks after
    // the open find that more than the last write was lost.
    const tornFiles = torn.map((t) => ({ ...t, keptAt: keepCopy(t.file, `${path}-torn-${Date.now()}`) }));
    const db = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: dir.empty, errorIfExists: dir.empty });
    try {
      await db.open();
    } catch (err) {
      // Nothing was replayed: the copies of torn files are not needed.
      for (const t of tornFiles) rmSync(dirname(t.keptAt), { recursive: true, force: true });
      const cause = (err as { cause?: Error & { code?: string } }).cause;
      const message = cause?.message ?? (err as Error).message;
      if (cause?.code === 'LEVEL_LOCKED') throw new Error(`cannot open the database at ${path}: another process holds its lock; is another node running on this data directory? (${message})`);
      const tornNote = tornFiles.length ? ` (${tornFiles.map((t) => `${t.file} ends inside a record at byte ${t.offset}`).join('; ')})` : '';
      throw new DatabaseDamaged(`the database at ${path} is damaged: LevelDB refuses to open it: ${message}${tornNote}. ${UNTOUCHED} ${WHAT_TO_DO}`);
    }
    try {
      await checkVersion(db, path, options.signHeightAtCreation ?? 0n);
    } catch (err) {
      await db.close();
      throw err;
    }
    return new NodeStore(db, tornFiles);
  }

  /** The height of the last-sign record when this database was created (0 when there was none). */
  async signHeightAtCreation(): Promise<bigint> {
    const v = await this.db.get(META.signHeightAtCreation);
    if (v === undefined) throw new DatabaseDamaged(`the database lacks meta/sign-height-at-creation, which every version ${STORE_VERSION} database has`);
    return readU64(v, 'meta/sign-height-at-creation');
  }

  /**
   * The heights present in one height-keyed family, with their values, in order: for the
   * start-up checks (store-integrity.ts), which compare them with meta/height.
   */
  async *heightEntries(family: 'block' | 'cert' | 'blockHash' | 'logLeaves'): AsyncGenerator<{ height: bigint; value: Uint8Array }> {
    for await (const [k, value] of this.db.iterator(familyRange(FAMILY[family]))) {
      if (k.length !== 9) throw new DatabaseDamaged(`a ${family} key has ${k.length} bytes, not 9 (family byte and u64 height)`);
      yield { height: new Reader(k.subarray(1)).u64('height'), value };
    }
  }

  /**
   * Waits for our compaction and then for LevelDB's own before closing: a compaction that
   * closing interrupts leaves its half-written tables on disk until the next open.
   */
  async close(): Promise<void> {
    await this.compaction;
    if (this.db.status === 'open') await this.untilNoCompaction();
    await this.db.close();
  }

  /**
   * A manual compaction of an empty key range queues behind the running compaction, if any
   * (LevelDB runs one at a time); when the table files are the same before and after one,
   * none was running. The first round also writes the memtable out as a level-0 table.
   */
  private async untilNoCompaction(): Promise<void> {
    const empty = Uint8Array.of(0x00); // below every family and meta/: no key is in [00, 00]
    for (let round = 0; round < CLOSE_COMPACTION_WAITS_MAX; round++) {
      const before = this.db.getProperty('leveldb.sstables');
      await this.db.compactRange(empty, empty);
      if (this.db.getProperty('leveldb.sstables') === before) return;
    }
  }

  async height(): Promise<bigint> {
    const v = await this.db.get(META.height);
    return v === undefined ? 0n : readU64(v, 'meta/height');
  }

  async block(height: bigint): Promise<Uint8Array | undefined> {
    return this.db.get(heightKey(FAMILY.block, height));
  }

  async certificate(height: bigint): Promise<Uint8Array | undefined> {
    return this.db.get(heightKey(FAMILY.cert, height));
  }

  async txLocation(txIdHex: string): Promise<TxLocation | undefined> {
    const v = await this.db.get(idKey(FAMILY.tx, txIdHex, 'transaction id'));
    return v === undefined ? undefined : decodeTxLocation(v);
  }

  /** Every account, for the in-memory state at start-up. */
  async loadAccounts(): Promise<Accounts> {
    const accounts: Accounts = new Map();
    for await (const [k, value] of this.db.iterator(familyRange(FAMILY.account))) {
      accounts.set(bytesToHex(k.subarray(1)), decodeAccount(value));
    }
    return accounts;
  }

  /** Every log record, for the in-memory state at start-up. */
  async loadLogRecords(): Promise<Logs> {
    const logs: Logs = new Map();
    for await (const [k, value] of this.db.iterator(familyRange(FAMILY.logRecord))) logs.set(dec.decode(k.subarray(1)), decodeLogRecord(value));
    return logs;
  }

  /** Up to `limit` entries of a log's history from `fromSequence` on, oldest first. */
  async logCommitments(logId: string, fromSequence: bigint, limit: number): Promise<StoredLogCommitment[]> {
    const out: StoredLogCommitment[] = [];
    const lt = key(FAMILY.logCommitment, new Writer().string(logId, LOG_ID_MAX, 'logId').finish(), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    for await (const [k, value] of this.db.iterator({ gte: logCommitmentKey(logId, fromSequence), lt, limit })) {
      const sequence = readU64(k.subarray(k.length - 8), 'log commitment sequence');
      out.push(decodeExact(plain(value), 'log commitment', (r) => ({ sequence, txId: bytesToHex(r.fixed(32, 'txId')), height: r.u64('height'), treeSize: r.u64('treeSize'), root: r.fixed(32, 'root') })));
    }
    return out;
  }

  /** Leaf hashes of the commitment log, in order (stored per block, 32 bytes each). */
  async loadLogLeaves(): Promise<Uint8Array[]> {
    const leaves: Uint8Array[] = [];
    for await (const [, value] of this.db.iterator(familyRange(FAMILY.logLeaves))) {
      if (value.length % 32 !== 0) throw new Error(`stored commitment-log leaves have ${value.length} bytes, not a multiple of 32`);
      for (let i = 0; i < value.length; i += 32) leaves.push(value.slice(i, i + 32));
    }
    return leaves;
  }

  async loadBlockHashes(): Promise<Uint8Array[]> {
    const hashes: Uint8Array[] = [];
    for await (const [, value] of this.db.iterator(familyRange(FAMILY.blockHash))) hashes.push(value);
    return hashes;
  }

  async hasEvidence(evidenceKey: string): Promise<boolean> {
    return (await this.db.get(key(FAMILY.evidence, enc.encode(evidenceKey)))) !== undefined;
  }

  /** The whole block in one synced batch (see the file comment). */
  async commitBlock(c: CommittedBlock): Promise<void> {
    if (this.compactionError) throw new Error(`the database failed to compact its mempool and proposed-block ranges: ${this.compactionError.message}`);
    const ops: Op[] = [
      { type: 'put', key: heightKey(FAMILY.block, c.height), value: c.blockBytes },
      { type: 'put', key: heightKey(FAMILY.cert, c.height), value: c.certificateBytes },
      { type: 'put', key: heightKey(FAMILY.blockHash, c.height), value: hexToBytes(c.blockHashHex, 'block hash', 32) },
      { type: 'put', key: META.height, value: u64(c.height) },
    ];
    const logIndexByTx = new Map(c.commitmentIds.map((x) => [x.txId, x.logIndex]));
    c.txIds.forEach((id, index) => {
      ops.push({ type: 'put', key: idKey(FAMILY.tx, id, 'transaction id'), value: encodeTxLocation(c.height, index, logIndexByTx.get(id)) });
      ops.push({ type: 'del', key: idKey(FAMILY.mempool, id, 'transaction id') });
    });
    // One entry per block holds the leaves it appended, in log order (block heights sort like log indexes).
    if (c.newLogLeaves.length > 0) {
      const leaves = new Uint8Array(32 * c.newLogLeaves.length);
      c.newLogLeaves.forEach((leaf, i) => leaves.set(leaf, 32 * i));
      ops.push({ type: 'put', key: heightKey(FAMILY.logLeaves, c.height), value: leaves });
    }
    for (const [logId, record] of c.changedLogs) ops.push({ type: 'put', key: key(FAMILY.logRecord, enc.encode(logId)), value: encodeLogRecord(record) });
    for (const x of c.logCommitments) {
      ops.push({ type: 'put', key: logCommitmentKey(x.logId, x.sequence), value: new Writer().fixed(hexToBytes(x.txId, 'txId', 32), 32, 'txId').u64(c.height, 'height').u64(x.treeSize, 'treeSize').fixed(x.root, 32, 'root').finish() });
    }
    for (const [address, account] of c.changedAccounts) ops.push({ type: 'put', key: idKey(FAMILY.account, address, 'address'), value: encodeAccount(account) });
    // The latest attestation of a height wins: after a Bitcoin reorg the anchor is attested again.
    for (const a of c.attestations) ops.push({ type: 'put', key: heightKey(FAMILY.anchor, a.pantheonHeight), value: a.bytes });
    for (const k of c.evidenceKeys) ops.push({ type: 'put', key: key(FAMILY.evidence, enc.encode(k)), value: u64(c.height) });
    await this.db.batch(ops, { sync: true });
    this.compactMempoolEvery(c.txIds.length);
  }

  /**
   * Starts a compaction of the mempool and proposed-block ranges (adjacent families) after
   * MEMPOOL_COMPACTION_TXS committed transactions, one at a time, in the background: LevelDB
   * keeps serving reads and writes meanwhile.
   */
  private compactMempoolEvery(committedTxs: number): void {
    this.txsSinceCompaction += committedTxs;
    if (this.txsSinceCompaction < MEMPOOL_COMPACTION_TXS || this.compaction) return;
    this.txsSinceCompaction = 0;
    this.compaction = this.db
      .compactRange(familyRange(FAMILY.mempool).gte, familyRange(FAMILY.proposed).lt)
      .catch((err: Error) => {
        this.compactionError = err;
      })
      .finally(() => {
        this.compaction = undefined;
      });
  }

  /** Genesis accounts, written once before height 1. */
  async initGenesis(accounts: Accounts, genesisHashHex: string): Promise<void> {
    const existing = await this.db.get(META.genesis);
    if (existing !== undefined) {
      if (bytesToHex(existing) !== genesisHashHex) throw new Error(`this data directory belongs to genesis ${bytesToHex(existing)}, not ${genesisHashHex}`);
      return;
    }
    const ops: Op[] = [...accounts].map(([address, account]) => ({ type: 'put', key: idKey(FAMILY.account, address, 'address'), value: encodeAccount(account) }));
    ops.push({ type: 'put', key: META.genesis, value: hexToBytes(genesisHashHex, 'genesis hash', 32) });
    await this.db.batch(ops, { sync: true });
  }

  // ---- acknowledged transactions: persisted before the submitter hears "accepted" ----------

  /**
   * Group commit: acknowledgements that arrive together share one synced batch (one fsync),
   * and each caller resolves only once its entry is on disk.
   */
  putMempoolTx(txIdHex: string, txBytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pendingMempool.push({ key: idKey(FAMILY.mempool, txIdHex, 'transaction id'), value: txBytes, resolve, reject });
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
    await this.db.del(idKey(FAMILY.mempool, txIdHex, 'transaction id'));
  }

  async loadMempool(): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for await (const [, value] of this.db.iterator(familyRange(FAMILY.mempool))) out.push(value);
    return out;
  }

  // ---- our own proposed blocks: stored before the proposal is signed -----------------------

  async putProposedBlock(height: bigint, hashHex: string, blockBytes: Uint8Array): Promise<void> {
    await this.db.put(key(FAMILY.proposed, u64(height), hexToBytes(hashHex, 'block hash', 32)), blockBytes, { sync: true });
  }

  async proposedBlock(height: bigint, hashHex: string): Promise<Uint8Array | undefined> {
    return this.db.get(key(FAMILY.proposed, u64(height), hexToBytes(hashHex, 'block hash', 32)));
  }

  async deleteProposedBlocksBelow(height: bigint): Promise<void> {
    await this.db.clear({ gte: familyRange(FAMILY.proposed).gte, lt: heightKey(FAMILY.proposed, height) });
  }

  // ---- anchor attestations: committed attestation transactions, by anchored height --------

  /** The committed attestation transaction of the highest anchored height. */
  async latestAttestation(): Promise<Uint8Array | undefined> {
    for await (const [, value] of this.db.iterator({ ...familyRange(FAMILY.anchor), reverse: true, limit: 1 })) return value;
    return undefined;
  }

  /** The committed attestation transaction of the first anchored height at or above `height`. */
  async attestationCovering(height: bigint): Promise<Uint8Array | undefined> {
    for await (const [, value] of this.db.iterator({ gte: heightKey(FAMILY.anchor, height), lt: familyRange(FAMILY.anchor).lt, limit: 1 })) return value;
    return undefined;
  }

  // ---- for the disk benchmark --------------------------------------------------------------

  /**
   * Live entries and key/value bytes per key family, and LevelDB's estimate of the table-file
   * bytes of each family's key range. It reads every key.
   */
  async usage(): Promise<FamilyUsage[]> {
    const ranges: [string, { gte: Uint8Array; lt: Uint8Array }][] = [['meta', { gte: META_FIRST, lt: META_END }], ...Object.entries(FAMILY).map(([name, f]) => [name, familyRange(f)] as [string, { gte: Uint8Array; lt: Uint8Array }])];
    const out: FamilyUsage[] = [];
    for (const [family, range] of ranges) {
      const u: FamilyUsage = { family, entries: 0, keyBytes: 0, valueBytes: 0, tableBytes: 0 };
      for await (const [k, value] of this.db.iterator(range)) {
        u.entries++;
        u.keyBytes += k.length;
        u.valueBytes += value.length;
      }
      u.tableBytes = await this.db.approximateSize(range.gte, range.lt);
      out.push(u);
    }
    return out;
  }

  /** A LevelDB property: `leveldb.stats` (files and megabytes per level), `leveldb.sstables` (the table files). */
  leveldbProperty(name: 'leveldb.stats' | 'leveldb.sstables'): string {
    return this.db.getProperty(name);
  }
}

/**
 * A new (empty) database gets `meta/version` and `meta/sign-height-at-creation`; any other
 * must carry this code's version, so that a data directory written by another layout is
 * refused instead of misread.
 */
async function checkVersion(db: ClassicLevel<Uint8Array, Uint8Array>, path: string, signHeightAtCreation: bigint): Promise<void> {
  const stored = await db.get(META.version);
  if (stored !== undefined) {
    const version = stored.length === 4 ? new Reader(stored).u32('meta/version') : undefined;
    if (version !== STORE_VERSION) {
      throw new Error(
        `the database at ${path} has storage layout version ${version ?? `(unreadable: ${bytesToHex(stored)})`}; this node reads and writes version ${STORE_VERSION} (docs/storage.md). ` +
          (version === 3
            ? 'Version 4 holds log records (state version 2, transaction version 2): a version 3 chain cannot continue; start a new chain from a new genesis (npm run devnet -- --reset for the devnet).'
            : 'Move the data directory aside and start with an empty one: the node syncs the chain from its peers.'),
      );
    }
    return;
  }
  for await (const _ of db.keys({ limit: 1 })) {
    // Layout 1 (hex string keys) had no version key.
    throw new Error(
      `the database at ${path} was written by storage layout version 1, which this node cannot read (it reads and writes version ${STORE_VERSION}, docs/storage.md). ` +
        'Move the data directory aside and start with an empty one: the node syncs the chain from its peers.',
    );
  }
  // No key at all: a database this code created (a crash may have come before this batch).
  await db.batch(
    [
      { type: 'put', key: META.version, value: new Writer().u32(STORE_VERSION).finish() },
      { type: 'put', key: META.signHeightAtCreation, value: u64(signHeightAtCreation) },
    ],
    { sync: true },
  );
}

/** Copies `file` into `dir` (created), fsync'd; returns the copy's path. */
function keepCopy(file: string, dir: string): string {
  const copy = join(dir, basename(file));
  writeFileAtomic(copy, readFileSync(file));
  return copy;
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

function encodeLogRecord(r: LogRecord): Uint8Array {
  return new Writer()
    .fixed(r.ownerPublicKey, PUBLIC_KEY_SIZE, 'owner')
    .u64(r.size, 'size')
    .fixed(r.root, 32, 'root')
    .u64(r.commitments, 'commitments')
    .list(r.keyChanges, KEY_CHANGES_MAX, 'keyChanges', (w, k) => w.u64(k.fromSize, 'fromSize').fixed(k.publicKey, PUBLIC_KEY_SIZE, 'publicKey'))
    .finish();
}

/** A plain Uint8Array view: LevelDB hands out Buffers, whose slices would stay Buffers. */
const plain = (bytes: Uint8Array) => new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);

function decodeLogRecord(bytes: Uint8Array): LogRecord {
  return decodeExact(plain(bytes), 'log record', (r) => ({
    ownerPublicKey: r.fixed(PUBLIC_KEY_SIZE, 'owner'),
    size: r.u64('size'),
    root: r.fixed(32, 'root'),
    commitments: r.u64('commitments'),
    keyChanges: r.list(KEY_CHANGES_MAX, 'keyChanges', (rr) => ({ fromSize: rr.u64('fromSize'), publicKey: rr.fixed(PUBLIC_KEY_SIZE, 'publicKey') })),
  }));
}
