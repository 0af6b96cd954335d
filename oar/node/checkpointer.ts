// The checkpointer (docs/oar.md, "Checkpoints"): commits the record's (log id, size, root) to
// Pantheon every N entries or T milliseconds, each commitment after the log's first carrying
// the RFC 9162 consistency proof from the last committed (size, root). One checkpoint per log is
// in flight at a time; a refused one is rebuilt from the chain's record of the log
// (GET /v1/log/<id>); while the node is unreachable it retries with backoff. It never blocks
// the writer: it runs beside it on timers, and the only thing it asks of the writer is a
// checkpoint frame and, once anchored, a bundle frame, both queued like entries.
//
// Each checkpoint's commitment id and status (pending, final, anchored; refused or superseded
// when it did not land) is journalled in checkpoints.jsonl beside the record, one fsynced JSON
// line per change; once anchored, its commitment bundle (docs/proof.md) is written into the
// record itself, so an export carries it. Node-side; the chain is passed in (CheckpointChain,
// which PantheonClient satisfies), so this layer never imports the node's code.
import { existsSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '../../protocol/bytes.ts';
import type { KeyPair } from '../../protocol/keys.ts';
import type { OarWriter } from './writer.ts';

export const CHECKPOINT_JOURNAL = 'checkpoints.jsonl';
export const JOURNAL_VERSION = 1;

/** What the checkpointer needs of a Pantheon node: PantheonClient (`pantheon/client`) has exactly these. */
export interface CheckpointChain {
  submitCommitment(input: { logId: string; root: Uint8Array; treeSize: bigint; key: KeyPair; previousSize: bigint; consistencyProof: Uint8Array[] }): Promise<{ txId: string }>;
  txStatus(id: string): Promise<{ status: string; height?: string; anchor?: unknown }>;
  /** GET /v1/log/<id>: undefined while the log has no committed commitment. */
  logHistory(logId: string, from?: bigint): Promise<ChainLogPage | undefined>;
  proof(id: string): Promise<{ bundle: unknown; anchored: boolean }>;
}

export interface ChainLogPage {
  size: string;
  root: string;
  commitments: { sequence: string; commitmentId: string; treeSize: string; root: string; height: string; status: string }[];
  next: string | null;
}

export type CheckpointStatus = 'pending' | 'final' | 'anchored' | 'refused' | 'superseded';

/** One checkpoint as journalled: the latest line for its size wins. */
export interface CheckpointRecord {
  v: number;
  size: number;
  /** RFC 6962 root of entries 0 … size − 1, hex. */
  root: string;
  status: CheckpointStatus;
  /** The commitment's transaction id once a node accepted it. */
  commitmentId: string | null;
  /** The committed size this commitment extends (0 for the log's first). */
  previousSize: number;
  /** Pantheon height once final. */
  height: string | null;
  /** Its position in the log's commitments on the chain, once seen there. */
  chainSequence: string | null;
  /** Why a node refused it. */
  error?: string;
  timeMs: number;
}

export interface CheckpointerOptions {
  /** The record's writer, opened with `history: true`. */
  writer: OarWriter;
  chain: CheckpointChain;
  /** Checkpoint after this many new entries (default 1000). */
  everyEntries?: number;
  /** …or after this long with new entries (default 60 s). */
  everyMs?: number;
  /** How often pending and final checkpoints are looked at (default 1 s). */
  pollMs?: number;
  /** Longest wait between retries while the node is unreachable or refusing (default 30 s). */
  retryMaxMs?: number;
  /** Told about every step: for logs. */
  onEvent?: (event: CheckpointEvent) => void;
}

export type CheckpointEvent =
  | { kind: 'built' | 'submitted' | 'final' | 'anchored' | 'superseded'; size: number; commitmentId?: string | null; previousSize?: number; height?: string | null }
  | { kind: 'refused'; size: number; error: string }
  | { kind: 'retry'; error: string; inMs: number }
  | { kind: 'fork'; error: string };

export interface CheckpointerStatus {
  logId: string;
  /** Entries in the record now. */
  size: number;
  /** The log's latest committed (final) size and root on the chain, as last seen. */
  committed: { size: number; root: string } | null;
  inFlight: CheckpointRecord | null;
  lastFinal: CheckpointRecord | null;
  lastAnchored: CheckpointRecord | null;
  checkpoints: number;
  refusals: number;
  /** Set while the node is unreachable or refusing: what went wrong, retried. */
  lastError: string | null;
  /** The record and the chain disagree: nothing more is committed until an operator looks. */
  fork: string | null;
}

/** Refusals carry an HTTP 4xx status (ApiError); anything else (unreachable, 5xx) is retried as is. */
function isRefusal(err: unknown): boolean {
  const status = (err as { status?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reads checkpoints.jsonl: the latest line per size. A torn last line (a crash mid-write) is ignored. */
export function readCheckpointJournal(dir: string): Map<number, CheckpointRecord> {
  const path = join(dir, CHECKPOINT_JOURNAL);
  const out = new Map<number, CheckpointRecord>();
  if (!existsSync(path)) return out;
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    let rec: CheckpointRecord;
    try {
      rec = JSON.parse(line);
    } catch {
      if (i === lines.length - 1) break; // the last line, cut by a crash: it was never acknowledged
      throw new Error(`${path}: line ${i + 1} is not JSON; the journal is damaged`);
    }
    if (rec.v !== JOURNAL_VERSION) throw new Error(`${path}: line ${i + 1} is journal version ${rec.v}; this build reads version ${JOURNAL_VERSION}`);
    out.set(rec.size, rec);
  }
  return out;
}

interface Waiter {
  size: number;
  until: 'final' | 'anchored';
  resolve: (rec: CheckpointRecord) => void;
  reject: (err: Error) => void;
}

export class Checkpointer {
  private readonly journal: Map<number, CheckpointRecord>;
  private file!: FileHandle;
  private committed: { size: number; root: string } | undefined;
  private inFlight: number | undefined;
  private needReconcile = true;
  private rebuild = false;
  private forced = false;
  private lastBuildMs = Date.now();
  private lastAnchorPollMs = 0;
  private retryAtMs = 0;
  private backoffMs = 0;
  private busy: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: () => void = () => {};
  private stopped = false;
  private lastError: string | undefined;
  private fork: string | undefined;
  private refusals = 0;
  private baseSize: number | undefined;
  private waiters: Waiter[] = [];
  private readonly everyEntries: number;
  private readonly everyMs: number;
  private readonly pollMs: number;
  private readonly retryMaxMs: number;

  private constructor(private readonly options: CheckpointerOptions) {
    if (!options.writer.history) throw new Error('the checkpointer needs the writer opened with history: true (it keeps the leaf hashes consistency proofs are made from)');
    this.journal = readCheckpointJournal(options.writer.dir);
    this.everyEntries = options.everyEntries ?? 1000;
    this.everyMs = options.everyMs ?? 60_000;
    this.pollMs = options.pollMs ?? 1000;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    for (const [name, value] of Object.entries({ everyEntries: this.everyEntries, everyMs: this.everyMs, pollMs: this.pollMs, retryMaxMs: this.retryMaxMs })) {
      if (!(value >= 1)) throw new RangeError(`${name}: ${value} must be at least 1`);
    }
    // A checkpoint left pending by an earlier run is the one in flight (at most one is).
    const pending = [...this.journal.values()].filter((r) => r.status === 'pending');
    this.inFlight = pending.length ? Math.max(...pending.map((r) => r.size)) : undefined;
  }

  /** Starts checkpointing `options.writer`'s record in the background. */
  static async start(options: CheckpointerOptions): Promise<Checkpointer> {
    const c = new Checkpointer(options);
    c.file = await open(join(options.writer.dir, CHECKPOINT_JOURNAL), 'a', 0o644);
    c.unsubscribe = options.writer.onAppend((size) => {
      if (c.inFlight === undefined && size - c.base() >= c.everyEntries) c.kick();
    });
    c.timer = setInterval(() => c.kick(), c.pollMs);
    c.timer.unref?.();
    c.kick();
    return c;
  }

  private get writer(): OarWriter {
    return this.options.writer;
  }

  private get tree() {
    return this.writer.history!.tree;
  }

  /** Size of the last checkpoint that did not fail: new entries are counted from here (cached: the writer asks after every entry). */
  private base(): number {
    if (this.baseSize === undefined) {
      let base = 0;
      for (const r of this.journal.values()) if (r.status !== 'refused' && r.status !== 'superseded' && r.size > base) base = r.size;
      this.baseSize = base;
    }
    return this.baseSize;
  }

  status(): CheckpointerStatus {
    const records = [...this.journal.values()].sort((a, b) => a.size - b.size);
    const last = (pred: (r: CheckpointRecord) => boolean) => records.filter(pred).at(-1) ?? null;
    return {
      logId: this.writer.logId,
      size: this.writer.size,
      committed: this.committed ?? null,
      inFlight: this.inFlight === undefined ? null : this.journal.get(this.inFlight) ?? null,
      lastFinal: last((r) => r.status === 'final' || r.status === 'anchored'),
      lastAnchored: last((r) => r.status === 'anchored'),
      checkpoints: records.filter((r) => r.status !== 'refused' && r.status !== 'superseded').length,
      refusals: this.refusals,
      lastError: this.lastError ?? null,
      fork: this.fork ?? null,
    };
  }

  /** Checkpoints the current size as soon as nothing is in flight; resolves with that size. */
  async checkpointNow(): Promise<number> {
    const size = this.writer.size;
    if (size === 0) throw new Error('checkpoint: the record has no entries');
    if (size > this.base()) {
      this.forced = true;
      this.kick();
    }
    return size;
  }

  /** Resolves once the checkpoint of `size` (or a later one, which covers it) is final or anchored. */
  waitFor(size: number, until: 'final' | 'anchored', timeoutMs: number): Promise<CheckpointRecord> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const s = this.status();
        reject(new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting until the checkpoint of size ${size} is ${until}: ${this.describe(size)}${s.lastError ? `; last error: ${s.lastError}` : ''}`));
      }, timeoutMs);
      const waiter: Waiter = {
        size,
        until,
        resolve: (rec) => {
          clearTimeout(timer);
          resolve(rec);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.waiters.push(waiter);
      this.settleWaiters();
    });
  }

  private describe(size: number): string {
    const rec = this.journal.get(size);
    return rec ? `it is ${rec.status}${rec.commitmentId ? ` (commitment ${rec.commitmentId})` : ''}` : 'it is not built yet';
  }

  /** Stops the timers and waits for the step under way; the journal stays as it is. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe();
    await this.busy;
    for (const w of this.waiters) w.reject(new Error('the checkpointer stopped'));
    this.waiters = [];
    await this.file.close();
  }

  // ---- the loop ------------------------------------------------------------------------------

  private kick(): void {
    if (this.stopped) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = this.loop().finally(() => {
      this.busy = undefined;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.step();
    } while (this.again && !this.stopped);
  }

  private async step(): Promise<void> {
    if (this.fork || Date.now() < this.retryAtMs) return;
    try {
      if (this.needReconcile) await this.reconcile();
      if (this.fork) return;
      if (this.inFlight !== undefined) await this.followInFlight();
      if (this.needReconcile) {
        this.again = true;
        return;
      }
      if (this.inFlight === undefined && this.due()) await this.build();
      if (this.inFlight !== undefined && this.journal.get(this.inFlight)!.commitmentId === null) await this.submit(this.inFlight);
      if (Date.now() - this.lastAnchorPollMs >= Math.max(this.pollMs, 2000)) await this.followAnchoring();
      if (this.lastError !== undefined && this.retryAtMs <= Date.now()) this.lastError = undefined;
      if (this.retryAtMs <= Date.now()) this.backoffMs = 0;
    } catch (err) {
      // Unreachable or failing node: keep everything, ask again later, and re-read the log
      // first (a restarted node may have dropped a pending commitment from its mempool).
      this.retryLater(message(err));
      this.needReconcile = true;
    }
  }

  private retryLater(error: string): void {
    this.backoffMs = Math.min(this.retryMaxMs, Math.max(this.pollMs, this.backoffMs * 2));
    this.retryAtMs = Date.now() + this.backoffMs;
    this.lastError = error;
    this.options.onEvent?.({ kind: 'retry', error, inMs: this.backoffMs });
  }

  private due(): boolean {
    const size = this.writer.size;
    const base = this.base();
    if (size <= base) {
      this.forced = false;
      return false;
    }
    return this.forced || this.rebuild || size - base >= this.everyEntries || Date.now() - this.lastBuildMs >= this.everyMs;
  }

  private async write(rec: CheckpointRecord): Promise<void> {
    this.journal.set(rec.size, rec);
    this.baseSize = undefined;
    await this.file.write(JSON.stringify(rec) + '\n');
    await this.file.datasync();
    this.settleWaiters();
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const reached = (until: 'final' | 'anchored') => [...this.journal.values()].filter((r) => r.status === 'anchored' || (until === 'final' && r.status === 'final'));
    this.waiters = this.waiters.filter((w) => {
      const done = reached(w.until).filter((r) => (w.until === 'final' ? r.size >= w.size : r.size === w.size)).sort((a, b) => a.size - b.size)[0];
      if (done) w.resolve(done);
      return !done;
    });
  }

  /** Reads the log's record on the chain and brings the journal in line with it. */
  private async reconcile(): Promise<void> {
    const chain = this.options.chain;
    const known = [...this.journal.values()].map((r) => (r.chainSequence === null ? -1n : BigInt(r.chainSequence)));
    let from = known.length ? known.reduce((a, b) => (a > b ? a : b)) : -1n;
    from = from < 0n ? 0n : from;
    let page = await chain.logHistory(this.writer.logId, from);
    if (!page) {
      this.committed = undefined;
    } else {
      const committed = { size: Number(page.size), root: page.root };
      if (committed.size > this.tree.size) return this.forked(`the chain has log ${this.writer.logId} committed at size ${committed.size}, but the record has only ${this.tree.size} entries`);
      if (bytesToHex(this.tree.rootAt(committed.size)) !== committed.root) return this.forked(`the chain's root of log ${this.writer.logId} at size ${committed.size} (${committed.root}) is not this record's root at that size (${bytesToHex(this.tree.rootAt(committed.size))})`);
      for (;;) {
        for (const c of page.commitments) await this.adopt(c);
        if (page.next === null) break;
        const next: ChainLogPage | undefined = await chain.logHistory(this.writer.logId, BigInt(page.next));
        if (!next) break;
        page = next;
      }
      this.committed = committed;
    }
    // A checkpoint still pending without an id, at or below the committed size, will never land.
    if (this.inFlight !== undefined) {
      const rec = this.journal.get(this.inFlight)!;
      if (rec.status !== 'pending') this.inFlight = undefined;
      else if (rec.commitmentId === null && this.committed && rec.size <= this.committed.size) {
        await this.write({ ...rec, status: 'superseded', timeMs: Date.now() });
        this.options.onEvent?.({ kind: 'superseded', size: rec.size });
        this.inFlight = undefined;
      }
    }
    this.needReconcile = false;
  }

  private forked(error: string): void {
    this.fork = error;
    this.options.onEvent?.({ kind: 'fork', error });
    for (const w of this.waiters) w.reject(new Error(error));
    this.waiters = [];
  }

  /** A commitment of this log seen on the chain: its checkpoint is final (anchored once its bundle is stored). */
  private async adopt(c: ChainLogPage['commitments'][number]): Promise<void> {
    const size = Number(c.treeSize);
    const rec = this.journal.get(size);
    if (rec && (rec.status === 'final' || rec.status === 'anchored') && rec.commitmentId === c.commitmentId) {
      if (rec.chainSequence === null) await this.write({ ...rec, chainSequence: c.sequence });
      return;
    }
    if (size > this.tree.size || bytesToHex(this.tree.rootAt(size)) !== c.root) return this.forked(`the chain's commitment ${c.commitmentId} of size ${size} does not match this record`);
    if (!this.committed || size > this.committed.size) this.committed = { size, root: c.root };
    if (this.inFlight === size) this.inFlight = undefined;
    const base: CheckpointRecord = rec ?? { v: JOURNAL_VERSION, size, root: c.root, status: 'final', commitmentId: null, previousSize: 0, height: null, chainSequence: null, timeMs: Date.now() };
    await this.write({ ...base, status: 'final', commitmentId: c.commitmentId, height: c.height, chainSequence: c.sequence, error: undefined, timeMs: Date.now() });
    if (this.inFlight === size) this.inFlight = undefined;
    this.options.onEvent?.({ kind: 'final', size, commitmentId: c.commitmentId, height: c.height });
  }

  private async followInFlight(): Promise<void> {
    const rec = this.journal.get(this.inFlight!)!;
    if (rec.status !== 'pending') {
      this.inFlight = undefined;
      return;
    }
    if (rec.commitmentId === null) return;
    const s = await this.options.chain.txStatus(rec.commitmentId);
    if (s.status === 'final' || s.status === 'anchored') {
      this.committed = { size: rec.size, root: rec.root };
      this.inFlight = undefined;
      await this.write({ ...rec, status: 'final', height: s.height ?? null, timeMs: Date.now() });
      this.options.onEvent?.({ kind: 'final', size: rec.size, commitmentId: rec.commitmentId, height: s.height ?? null });
    } else if (s.status === 'unknown') {
      // The node no longer has it (a restart empties the mempool): look at the log, then send it again.
      await this.write({ ...rec, commitmentId: null, timeMs: Date.now() });
      this.needReconcile = true;
    }
  }

  /** Builds the next checkpoint: a checkpoint frame in the record (durable), then a journal line. */
  private async build(): Promise<void> {
    const history = this.writer.history!;
    let size = this.writer.size;
    let root: string;
    if (history.checkpointSizes.has(size)) {
      root = bytesToHex(this.tree.rootAt(size)); // rebuilt after a refusal: the frame is there already
    } else {
      const cp = await this.writer.checkpoint();
      size = cp.size;
      root = bytesToHex(cp.root);
    }
    this.forced = false;
    this.rebuild = false;
    this.lastBuildMs = Date.now();
    const previousSize = this.committed?.size ?? 0;
    await this.write({ v: JOURNAL_VERSION, size, root, status: 'pending', commitmentId: null, previousSize, height: null, chainSequence: null, timeMs: Date.now() });
    this.inFlight = size;
    this.options.onEvent?.({ kind: 'built', size, previousSize });
  }

  private async submit(size: number): Promise<void> {
    const rec = this.journal.get(size)!;
    const previousSize = this.committed?.size ?? 0;
    if (size <= previousSize) {
      await this.write({ ...rec, status: 'superseded', timeMs: Date.now() });
      this.inFlight = undefined;
      return;
    }
    const consistencyProof = previousSize === 0 ? [] : this.tree.consistencyProof(previousSize, size);
    try {
      const receipt = await this.options.chain.submitCommitment({ logId: this.writer.logId, root: hexToBytes(rec.root, 'root', 32), treeSize: BigInt(size), key: this.writer.ownerKey, previousSize: BigInt(previousSize), consistencyProof });
      await this.write({ ...rec, commitmentId: receipt.txId, previousSize, timeMs: Date.now() });
      this.options.onEvent?.({ kind: 'submitted', size, commitmentId: receipt.txId, previousSize });
    } catch (err) {
      if (!isRefusal(err)) throw err;
      // Refused: record why, re-read the log, and rebuild from what the chain holds.
      const error = message(err);
      await this.write({ ...rec, status: 'refused', error, previousSize, timeMs: Date.now() });
      this.refusals++;
      this.inFlight = undefined;
      this.rebuild = true;
      this.needReconcile = true;
      this.options.onEvent?.({ kind: 'refused', size, error });
      this.retryLater(`checkpoint of size ${size} refused: ${error}`);
    }
  }

  /** Final checkpoints whose commitment is now anchored: fetch the bundle, store it in the record, mark anchored. */
  private async followAnchoring(): Promise<void> {
    this.lastAnchorPollMs = Date.now();
    const finals = [...this.journal.values()].filter((r) => r.status === 'final' && r.commitmentId !== null).sort((a, b) => a.size - b.size);
    // Bounded work per step; anchoring covers heights in order, so the oldest go first.
    for (const rec of finals.slice(0, 8)) {
      const s = await this.options.chain.txStatus(rec.commitmentId!);
      if (s.status !== 'anchored') break;
      const history = this.writer.history!;
      if (history.checkpointSizes.has(rec.size) && !history.bundleSizes.has(rec.size)) {
        const proof = await this.options.chain.proof(rec.commitmentId!);
        if (!proof.anchored) break;
        await this.writer.storeBundle(rec.size, new TextEncoder().encode(JSON.stringify(proof.bundle)));
      }
      await this.write({ ...rec, status: 'anchored', timeMs: Date.now() });
      this.options.onEvent?.({ kind: 'anchored', size: rec.size, commitmentId: rec.commitmentId, height: rec.height });
    }
  }
}
