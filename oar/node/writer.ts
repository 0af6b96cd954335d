// The durable OAR writer (docs/oar.md, "The writer"). intend() returns a permit only once the
// signed intent is fsynced; outcome() appends the outcome of an open intent; guard() runs an
// action only after its intent is sealed and records what happened. Entries are numbered,
// chained and signed in the order calls arrive (synchronously, so order is strict); their
// bytes are appended by one write and one fdatasync per batch, so concurrent callers share an
// fsync (group commit). Nothing here touches the network. Node-side.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex, concatBytes, equalBytes, ZERO_HASH } from '../../protocol/bytes.ts';
import { assertValidChainId } from '../../protocol/hash.ts';
import { addressBytes, addressOf, type KeyPair } from '../../protocol/keys.ts';
import { logIdOwner } from '../../protocol/tx.ts';
import { MerkleFrontier } from '../../protocol/merkle.ts';
import { MerkleLog } from '../../protocol/merkle-log.ts';
import {
  actorProblem,
  ACTOR_MAX,
  ACTOR_VERSION_MAX,
  assertValidLogId,
  encodeSignedEntry,
  entryHash,
  entryLeafHash,
  payloadHash,
  signEntry,
  type Entry,
  type MlDsa65Sign,
  type OutcomeStatus,
} from '../entry.ts';
import { canonicalJsonBytes } from '../jcs.ts';
import { encodeBundleFrame, encodeCheckpointFrame, encodeEntryFrame, encodeRecordHeader, PAYLOAD_MAX } from '../record.ts';
import type { OpenIntent, RecordSummary } from '../verify.ts';
import { acquireLock, type LogLock } from './lock.ts';
import { fsyncDir, readRecordFile, recordPath, recoverRecordFile, type TornTail } from './record-file.ts';
import { fastSigner } from './signer.ts';

export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

export interface OarWriterOptions {
  /** Directory holding record.oar and the lock. */
  dir: string;
  /** The Pantheon chain the record anchors into (signed into every entry). */
  chainId: string;
  /** The log id; required to create a record, checked against the record otherwise. */
  logId?: string;
  /** The owner key: the key in force at the end of the record (or the first key of a new one). */
  key: KeyPair;
  /** Create the record if the directory has none. */
  create?: boolean;
  /** Largest payload accepted, in canonical bytes (at most the format's PAYLOAD_MAX). */
  maxPayloadBytes?: number;
  /** Clock, for tests; entries never go back in time even if it does. */
  nowMs?: () => number;
  /** Signer; by default liboqs when it passes a self-test against noble, else noble. */
  sign?: MlDsa65Sign;
  /** Told when opening cut a torn tail; by default a warning on stderr, so it is never silent. */
  onTornTail?: (torn: TornTail) => void;
  /**
   * Keep every entry's leaf hash in memory (about 80 bytes an entry) so that consistency proofs
   * from any earlier size can be made: what the checkpointer needs. Opening reads the record once more.
   */
  history?: boolean;
}

/** What the record holds besides entries, for a checkpointer resuming after a restart. */
export interface RecordHistory {
  /** Every entry's leaf hash: roots and consistency proofs at any size up to the record's. */
  readonly tree: MerkleLog;
  /** Sizes with a checkpoint frame in the record. */
  readonly checkpointSizes: Set<number>;
  /** Sizes whose commitment bundle is stored in the record. */
  readonly bundleSizes: Set<number>;
}

/** What a sealed intent hands its action: proof the intent is on disk, and what closes it. */
export interface Permit {
  readonly logId: string;
  readonly sequence: number;
  readonly entryHash: string;
  readonly actor: string;
  readonly actorVersion: string;
}

export interface IntentInput {
  actor: string;
  actorVersion: string;
  /** Any JSON value: inputs, the proposed action, the reasoning trace. */
  payload: unknown;
}

export interface OutcomeInput {
  payload: unknown;
  status?: OutcomeStatus;
}

export interface Sealed {
  sequence: number;
  entryHash: string;
}

/** Refused input: the record is unchanged. */
export class OarInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OarInputError';
  }
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class OarWriter {
  private closed = false;
  /** Writes that reached the disk (one fdatasync each) and the frames they carried: group commit shows as frames > batches. */
  readonly stats = { batches: 0, frames: 0 };
  private failure?: Error;
  private batch: Uint8Array[] = [];
  private waiters: Waiter[] = [];
  private flushing?: Promise<void>;
  private secretKey: Uint8Array;
  private publicKey: Uint8Array;
  private keyPair: KeyPair;
  private readonly appendListeners = new Set<(size: number) => void>();
  /** Leaf hashes and checkpoint bookkeeping, when opened with `history`. */
  history?: RecordHistory;

  private constructor(
    readonly dir: string,
    readonly chainId: string,
    readonly logId: string,
    key: KeyPair,
    private readonly file: FileHandle,
    private readonly lock: LogLock,
    private readonly sign: MlDsa65Sign,
    private readonly maxPayloadBytes: number,
    private readonly nowMs: () => number,
    private nextSequence: number,
    private head: Uint8Array,
    private lastTimeMs: number,
    private readonly frontier: MerkleFrontier,
    private readonly open: Map<number, OpenIntent>,
    /** A torn tail found and cut when the record was opened, if any. */
    readonly recoveredTornTail: TornTail | undefined,
  ) {
    this.secretKey = key.secretKey;
    this.publicKey = key.publicKey;
    this.keyPair = key;
  }

  static async open(options: OarWriterOptions): Promise<OarWriter> {
    assertValidChainId(options.chainId);
    if (options.logId !== undefined) assertValidLogId(options.logId);
    const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!Number.isSafeInteger(maxPayloadBytes) || maxPayloadBytes < 0 || maxPayloadBytes > PAYLOAD_MAX) {
      throw new RangeError(`maxPayloadBytes: ${maxPayloadBytes} must be an integer in [0, ${PAYLOAD_MAX}]`);
    }
    mkdirSync(options.dir, { recursive: true });
    const lock = acquireLock(options.dir);
    try {
      const path = recordPath(options.dir);
      if (!existsSync(path)) {
        if (!options.create) throw new Error(`no OAR record in ${options.dir} (open with create to start one)`);
        if (options.logId === undefined) throw new Error('logId: required to create a record');
        if (!equalBytes(addressBytes(options.key.publicKey), logIdOwner(options.logId))) {
          throw new OarInputError(`logId: ${options.logId} belongs to the address in its id, not to key ${addressOf(options.key.publicKey)}; a new log is <address of its key>/<name>`);
        }
        await createRecordFile(options.dir, path, encodeRecordHeader({ chainId: options.chainId, logId: options.logId, firstSequence: 0, prevHash: ZERO_HASH, publicKey: options.key.publicKey }));
      }
      const { summary, torn } = await recoverRecordFile(path, { chainId: options.chainId });
      assertMatches(summary, options);
      if (torn) (options.onTornTail ?? warnTornTail)(torn);
      const file = await open(path, 'a');
      const sign = options.sign ?? (await fastSigner());
      const open_ = new Map(summary.openIntents.map((i) => [i.sequence, i]));
      const history = options.history ? await readHistory(path, options.chainId) : undefined;
      const writer = new OarWriter(
        options.dir,
        options.chainId,
        summary.logId,
        options.key,
        file,
        lock,
        sign,
        maxPayloadBytes,
        options.nowMs ?? Date.now,
        summary.nextSequence,
        summary.headHash,
        summary.lastTimeMs ?? 0,
        summary.frontier ?? new MerkleFrontier(),
        open_,
        torn,
      );
      writer.history = history;
      return writer;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /** Number of entries in the record, counting those still being sealed. */
  get size(): number {
    return this.nextSequence;
  }

  /** RFC 6962 root over every entry appended so far. */
  root(): Uint8Array {
    return this.frontier.root();
  }

  /** The owner key in force (it changes with changeKey): what signs the log's checkpoint commitments too. */
  get ownerKey(): KeyPair {
    return this.keyPair;
  }

  /** Calls `listener` with the new size after every entry is numbered (before it is on disk); returns the unsubscribe. */
  onAppend(listener: (size: number) => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /** Intents without an outcome, oldest first. */
  openIntents(): OpenIntent[] {
    return [...this.open.values()];
  }

  /** Signs and seals an intent; resolves with the permit once the intent is on disk. */
  async intend(intent: IntentInput): Promise<Permit> {
    this.assertUsable();
    checkActor(intent);
    const payload = this.payloadOf(intent.payload);
    const { sequence, hash, done } = this.append({ kind: 'intent', actor: intent.actor, actorVersion: intent.actorVersion }, payload);
    await done;
    return Object.freeze({ logId: this.logId, sequence, entryHash: bytesToHex(hash), actor: intent.actor, actorVersion: intent.actorVersion });
  }

  /** Records the outcome of a sealed intent; resolves once it is on disk. */
  async outcome(permit: Permit, result: OutcomeInput): Promise<Sealed> {
    this.assertUsable();
    const intent = this.openIntentFor(permit);
    const status = result.status ?? 'done';
    if (status !== 'done' && status !== 'failed') throw new OarInputError(`status: unknown status ${JSON.stringify(status)}; expected "done" or "failed"`);
    const payload = this.payloadOf(result.payload);
    const { sequence, hash, done } = this.append({ kind: 'outcome', actor: intent.actor, actorVersion: intent.actorVersion, intentSequence: intent.sequence, status }, payload);
    await done;
    return { sequence, entryHash: bytesToHex(hash) };
  }

  /**
   * Runs `action` only after its intent is on disk, then records its result (status done) or
   * its error (status failed, and the error is rethrown). `result` turns the action's value into
   * the outcome payload (the value itself by default).
   */
  async guard<T>(intent: IntentInput, action: (permit: Permit) => T | Promise<T>, options: { result?: (value: T) => unknown } = {}): Promise<T> {
    const permit = await this.intend(intent);
    let value: T;
    try {
      value = await action(permit);
    } catch (err) {
      await this.outcome(permit, { status: 'failed', payload: { error: errorText(err) } });
      throw err;
    }
    let payload: unknown;
    try {
      payload = options.result ? options.result(value) : (value ?? null);
      this.payloadOf(payload);
    } catch (err) {
      // The action ran: its outcome is recorded even when its value cannot be.
      payload = { unrecordedResult: (err as Error).message };
    }
    await this.outcome(permit, { payload });
    return value;
  }

  /**
   * Appends a key-change entry signed by the current key and naming `newKey`; every later
   * entry is signed by `newKey`. The chain's own key change (issue 17) names the same key from
   * size sequence + 1.
   */
  async changeKey(newKey: KeyPair, note: IntentInput): Promise<Sealed> {
    this.assertUsable();
    checkActor(note);
    if (equalBytes(newKey.publicKey, this.publicKey)) throw new OarInputError('key-change: the new key is the key already in force');
    const payload = this.payloadOf(note.payload);
    const { sequence, hash, done } = this.append({ kind: 'key-change', actor: note.actor, actorVersion: note.actorVersion, newPublicKey: newKey.publicKey }, payload);
    this.secretKey = newKey.secretKey; // the key-change entry itself was signed by the old key
    this.publicKey = newKey.publicKey;
    this.keyPair = newKey;
    await done;
    return { sequence, entryHash: bytesToHex(hash) };
  }

  /**
   * An untrusted request, as a socket or CLI would pass it: {kind: "intent", actor,
   * actorVersion, payload} or {kind: "outcome", permit: {sequence, entryHash}, status?, payload}.
   */
  async submit(request: unknown): Promise<Permit | Sealed> {
    if (typeof request !== 'object' || request === null || Array.isArray(request)) throw new OarInputError('request: expected a JSON object');
    const r = request as Record<string, unknown>;
    if (r.kind === 'intent') return this.intend({ actor: r.actor as string, actorVersion: r.actorVersion as string, payload: r.payload });
    if (r.kind === 'outcome') {
      const p = r.permit as Record<string, unknown> | undefined;
      if (typeof p !== 'object' || p === null) throw new OarInputError('permit: expected {sequence, entryHash}');
      const intent = this.open.get(p.sequence as number);
      const permit: Permit = { logId: this.logId, sequence: p.sequence as number, entryHash: p.entryHash as string, actor: intent?.actor ?? '', actorVersion: intent?.actorVersion ?? '' };
      return this.outcome(permit, { payload: r.payload, status: r.status as OutcomeStatus | undefined });
    }
    throw new OarInputError(`kind: unknown kind ${JSON.stringify(r.kind)}; a request is an "intent" or an "outcome" (key changes need the new key, not a request)`);
  }

  /** Marks the current size as a checkpoint (its root follows the last entry in the record). */
  async checkpoint(): Promise<{ size: number; root: Uint8Array }> {
    this.assertUsable();
    if (this.nextSequence === 0) throw new OarInputError('checkpoint: the record has no entries');
    const size = this.nextSequence;
    const root = this.frontier.root();
    this.history?.checkpointSizes.add(size);
    await this.enqueue(encodeCheckpointFrame(size, root));
    return { size, root };
  }

  /** Stores a checkpoint's commitment bundle (part 2) so an export carries it. */
  async storeBundle(size: number, bundle: Uint8Array): Promise<void> {
    this.assertUsable();
    if (!Number.isSafeInteger(size) || size < 1 || size > this.nextSequence) throw new OarInputError(`bundle: no checkpoint of size ${size}`);
    if (this.history && !this.history.checkpointSizes.has(size)) throw new OarInputError(`bundle: no checkpoint of size ${size} in the record`);
    this.history?.bundleSizes.add(size);
    await this.enqueue(encodeBundleFrame(size, bundle));
  }

  /** Waits for pending entries, then releases the file and the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing?.catch(() => {});
    await this.file.close();
    this.lock.release();
  }

  // ---- internals -----------------------------------------------------------------------------

  private assertUsable(): void {
    if (this.closed) throw new Error('the OAR writer is closed');
    if (this.failure) throw new Error(`the OAR writer stopped after a disk error (${this.failure.message}); reopen the record to recover`);
  }

  private payloadOf(value: unknown): { salt: Uint8Array; bytes: Uint8Array } {
    let bytes: Uint8Array;
    try {
      bytes = canonicalJsonBytes(value === undefined ? null : value);
    } catch (err) {
      throw new OarInputError((err as Error).message);
    }
    if (bytes.length > this.maxPayloadBytes) {
      throw new OarInputError(`payload: ${bytes.length} bytes (canonical JSON) exceeds the configured maximum of ${this.maxPayloadBytes}`);
    }
    return { salt: new Uint8Array(randomBytes(32)), bytes };
  }

  private openIntentFor(permit: Permit): OpenIntent {
    if (typeof permit !== 'object' || permit === null) throw new OarInputError('permit: expected the permit intend() returned');
    if (permit.logId !== this.logId) throw new OarInputError(`permit: for log "${permit.logId}", this is log "${this.logId}"`);
    const sequence = permit.sequence;
    if (!Number.isSafeInteger(sequence) || sequence < 0) throw new OarInputError(`permit: sequence ${String(sequence)} is not a sequence number`);
    if (sequence >= this.nextSequence) throw new OarInputError(`outcome: intent ${sequence} is unknown (the record has ${this.nextSequence} entries)`);
    const intent = this.open.get(sequence);
    if (!intent) throw new OarInputError(`outcome: entry ${sequence} is not an open intent (its outcome is already recorded, or it is not an intent)`);
    if (permit.entryHash !== bytesToHex(intent.entryHash)) throw new OarInputError(`permit: entry hash does not match intent ${sequence} of this record`);
    return intent;
  }

  /** Numbers, chains and signs one entry now; `done` resolves when its batch is on disk. */
  private append(fields: DistributiveOmit<Entry, 'logId' | 'sequence' | 'prevHash' | 'timeMs' | 'payloadHash'>, payload: { salt: Uint8Array; bytes: Uint8Array }): { sequence: number; hash: Uint8Array; done: Promise<void> } {
    const sequence = this.nextSequence;
    const timeMs = Math.max(this.nowMs(), this.lastTimeMs);
    const entry = { ...fields, logId: this.logId, sequence, prevHash: this.head, timeMs, payloadHash: payloadHash(this.chainId, payload.salt, payload.bytes) } as Entry;
    const signed = signEntry(this.chainId, entry, this.secretKey, this.sign);
    const signedBytes = encodeSignedEntry(signed);
    const hash = entryHash(this.chainId, signedBytes);
    const frame = encodeEntryFrame(signedBytes, payload);
    // State moves on now, so the next caller chains onto this entry even before it is on disk.
    this.nextSequence = sequence + 1;
    this.head = hash;
    this.lastTimeMs = timeMs;
    const leaf = entryLeafHash(hash);
    this.frontier.append(leaf);
    this.history?.tree.append(leaf);
    if (entry.kind === 'intent') this.open.set(sequence, { sequence, actor: entry.actor, actorVersion: entry.actorVersion, entryHash: hash });
    if (entry.kind === 'outcome') this.open.delete(entry.intentSequence);
    const done = this.enqueue(frame);
    for (const listener of this.appendListeners) listener(sequence + 1);
    return { sequence, hash, done };
  }

  private enqueue(frame: Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.batch.push(frame);
      this.waiters.push({ resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  /** Writes whatever has queued up, one write and one fdatasync per round, until the queue is empty. */
  private async flushLoop(): Promise<void> {
    // Let callers already running on this tick join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.batch.length > 0) {
      const frames = this.batch;
      const waiters = this.waiters;
      this.batch = [];
      this.waiters = [];
      try {
        if (this.failure) throw this.failure;
        const bytes = concatBytes(...frames);
        let written = 0;
        while (written < bytes.length) {
          const { bytesWritten } = await this.file.write(bytes, written, bytes.length - written);
          written += bytesWritten;
        }
        await this.file.datasync();
        this.stats.batches++;
        this.stats.frames += frames.length;
        for (const w of waiters) w.resolve();
      } catch (err) {
        // Memory is now ahead of the disk: refuse everything until the record is reopened and recovered.
        this.failure ??= err as Error;
        for (const w of waiters) w.reject(new Error(`the entry was not sealed: ${(err as Error).message}`));
      }
    }
    this.flushing = undefined;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function checkActor(input: IntentInput): void {
  if (typeof input !== 'object' || input === null) throw new OarInputError('intent: expected {actor, actorVersion, payload}');
  const actor = actorProblem(input.actor, ACTOR_MAX);
  if (actor) throw new OarInputError(`actor: ${actor}`);
  const version = actorProblem(input.actorVersion, ACTOR_VERSION_MAX);
  if (version) throw new OarInputError(`actorVersion: ${version}`);
}

function warnTornTail(torn: TornTail): void {
  process.stderr.write(`oar: the record ended in a torn write: cut from entry ${torn.sequence} (byte ${torn.offset}, ${torn.bytesCut} bytes, kept in ${torn.savedTo}): ${torn.reason}\n`);
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 4096 ? `${text.slice(0, 4093)}...` : text;
}

function assertMatches(summary: RecordSummary, options: OarWriterOptions): void {
  if (options.logId !== undefined && summary.logId !== options.logId) {
    throw new Error(`the record in ${options.dir} is log "${summary.logId}", not "${options.logId}"`);
  }
  if (!equalBytes(summary.publicKey, options.key.publicKey)) {
    throw new Error(`key ${addressOf(options.key.publicKey)} does not match the log: the owner key in force at sequence ${summary.nextSequence} is ${addressOf(summary.publicKey)}`);
  }
}

/** The record's leaf hashes, checkpoints and bundles, read once at open (the file is recovered and locked). */
async function readHistory(path: string, chainId: string): Promise<RecordHistory> {
  const history: RecordHistory = { tree: new MerkleLog(), checkpointSizes: new Set(), bundleSizes: new Set() };
  for await (const item of readRecordFile(path)) {
    if (item.type === 'entry') history.tree.append(entryLeafHash(entryHash(chainId, item.signedBytes)));
    else if (item.type === 'checkpoint') history.checkpointSizes.add(item.size);
    else if (item.type === 'bundle') history.bundleSizes.add(item.size);
  }
  return history;
}

/** A new record file appears whole or not at all: header written aside, fsynced, renamed in. */
async function createRecordFile(dir: string, path: string, header: Uint8Array): Promise<void> {
  const tmp = join(dir, `.record.oar.${process.pid}.tmp`);
  const handle = await open(tmp, 'w', 0o644);
  try {
    await handle.write(header);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await fsyncDir(dir);
}
