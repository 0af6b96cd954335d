// Walks an OAR record and checks every link (docs/oar.md, "Verifying a record"): sequence
// numbers without gaps, each prevHash equal to the hash of the entry before, time never going
// back, each signature by the key in force at its sequence, each disclosed payload against its
// salted hash and canonical form, every outcome after its own open intent, and each checkpoint
// root recomputed from the entries. Streaming and bounded: it keeps the RFC 6962 frontier, the
// open intents and counters, never the entries. Browser-safe: trusts nothing but its inputs.
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';
import { addressBytes, addressOf, SIGNATURE_SIZE } from '../protocol/keys.ts';
import { domainPrefix, TAGS } from '../protocol/hash.ts';
import { MerkleFrontier } from '../protocol/merkle.ts';
import { logIdOwner } from '../protocol/tx-common.ts';
import { entryHash, entryLeafHash, payloadHash, verifyEntrySignature, type Entry } from './entry.ts';
import { parseCanonicalJson } from './jcs.ts';
import { readRecord, type ParsedEntry, type RecordHeader, type RecordItem } from './record.ts';

/** The check that failed, so a report can name the broken link and why. */
export type VerifyStep = 'format' | 'header' | 'log-id' | 'sequence' | 'prev-hash' | 'time' | 'signature' | 'payload' | 'outcome' | 'key-change' | 'checkpoint';

export class RecordVerifyError extends Error {
  constructor(
    readonly step: VerifyStep,
    /** The sequence number of the entry at fault, when the fault is in an entry. */
    readonly sequence: number | undefined,
    readonly offset: number | undefined,
    detail: string,
  ) {
    super(sequence === undefined ? `${step}: ${detail}` : `entry ${sequence}: ${step}: ${detail}`);
    this.name = 'RecordVerifyError';
  }
}

export interface VerifyOptions {
  /** The chain the auditor follows; a record for another chain is refused. */
  chainId?: string;
  /** The owner key the auditor trusts at the record's first sequence (from the chain); without it the header's key is taken as given, and the report says so. */
  publicKey?: Uint8Array;
  /**
   * 'all' checks every signature. 'last' checks links for all and the signature of the final
   * entry only: the writer's recovery on open, where every earlier entry is bound to the last
   * by the hash chain. An auditor uses 'all'.
   */
  signatures?: 'all' | 'last';
  /**
   * Hands each entry's signature check to the caller instead of verifying it inline (the
   * auditor's pool of worker threads, light-client/verify-record.ts). The walk goes on; the
   * caller MUST then report the lowest failing sequence before any later fault, since a
   * signature is checked (step 5) before an entry's other steps.
   */
  onSignature?: (job: SignatureJob) => void;
  /** Called with each entry's RFC 6962 leaf hash, in order, for a caller that keeps the tree (oar prove). */
  onLeaf?: (leafHash: Uint8Array) => void;
}

/** One entry's signature to verify: ML-DSA-65 over the signing bytes `prefix ‖ body` with `publicKey`. */
export interface SignatureJob {
  sequence: number;
  offset: number;
  /** domainPrefix("pantheon/oar-entry/v1", chainId), shared by every job of a record. */
  prefix: Uint8Array;
  /** The entry body as read (a view, not a copy). */
  body: Uint8Array;
  signature: Uint8Array;
  publicKey: Uint8Array;
}

/** The signing bytes of a job in one piece (prefix ‖ body). */
export function jobMessage(job: SignatureJob): Uint8Array {
  const out = new Uint8Array(job.prefix.length + job.body.length);
  out.set(job.prefix);
  out.set(job.body, job.prefix.length);
  return out;
}

export interface OpenIntent {
  sequence: number;
  actor: string;
  actorVersion: string;
  entryHash: Uint8Array;
}

export interface RecordSummary {
  chainId: string;
  logId: string;
  firstSequence: number;
  /** Sequence the next entry would take: firstSequence + entries. */
  nextSequence: number;
  entries: number;
  intents: number;
  outcomes: number;
  failedOutcomes: number;
  keyChanges: number;
  payloadsWithheld: number;
  actors: Map<string, number>;
  /** Intents with no outcome yet, oldest first. */
  openIntents: OpenIntent[];
  /** Outcomes whose intent precedes the first sequence of a partial export (cannot be matched here). */
  outcomesOfEarlierIntents: number;
  /** Checkpoints in the record; their roots are checked here, their bundles by the part-2 verifier. */
  checkpoints: { size: number; root: Uint8Array; bundles: number }[];
  /** Entry hash of the last entry (the header's prevHash when there is none). */
  headHash: Uint8Array;
  /** RFC 6962 root over all entries: only for a record that starts at sequence 0. */
  root?: Uint8Array;
  /** The tree's right edge, from which a writer continues appending. */
  frontier?: MerkleFrontier;
  /** The key in force for the next entry. */
  publicKey: Uint8Array;
  /** Whether the starting key was checked against one the caller trusts. */
  publicKeyPinned: boolean;
  lastTimeMs?: number;
}

export class RecordVerifier {
  private header?: RecordHeader;
  private frontier?: MerkleFrontier;
  private key!: Uint8Array;
  private expected = 0;
  private head!: Uint8Array;
  private lastTimeMs = 0;
  private readonly open = new Map<number, OpenIntent>();
  private pendingSignature?: { item: ParsedEntry; key: Uint8Array };
  private summary?: RecordSummary;

  constructor(private readonly options: VerifyOptions = {}) {}

  push(item: RecordItem): void {
    if (item.type === 'header') return this.onHeader(item.header);
    if (!this.header) throw new RecordVerifyError('format', undefined, item.offset, 'an entry before the header');
    if (item.type === 'entry') return this.onEntry(item);
    if (item.type === 'checkpoint') return this.onCheckpoint(item.size, item.root, item.offset);
    return this.onBundle(item.size, item.offset);
  }

  private onHeader(h: RecordHeader): void {
    if (this.options.chainId !== undefined && h.chainId !== this.options.chainId) {
      throw new RecordVerifyError('header', undefined, 0, `the record is for chain "${h.chainId}", not "${this.options.chainId}"`);
    }
    if (this.options.publicKey && !equalBytes(h.publicKey, this.options.publicKey)) {
      throw new RecordVerifyError('header', undefined, 0, `the record's owner key at sequence ${h.firstSequence} is not the trusted key`);
    }
    // The log id names the address of the key that opened the log (docs/state.md): a whole
    // record must start with that key, so a record re-sealed under a fresh key cannot keep the id.
    if (h.firstSequence === 0 && !equalBytes(addressBytes(h.publicKey), logIdOwner(h.logId))) {
      throw new RecordVerifyError('header', undefined, 0, `the record's first key is ${addressOf(h.publicKey)}, but log ${h.logId} belongs to the address in its id`);
    }
    this.header = h;
    this.key = h.publicKey;
    this.expected = h.firstSequence;
    this.head = h.prevHash;
    this.frontier = h.firstSequence === 0 ? new MerkleFrontier() : undefined;
    this.summary = {
      chainId: h.chainId,
      logId: h.logId,
      firstSequence: h.firstSequence,
      nextSequence: h.firstSequence,
      entries: 0,
      intents: 0,
      outcomes: 0,
      failedOutcomes: 0,
      keyChanges: 0,
      payloadsWithheld: 0,
      actors: new Map(),
      openIntents: [],
      outcomesOfEarlierIntents: 0,
      checkpoints: [],
      headHash: h.prevHash,
      publicKey: h.publicKey,
      publicKeyPinned: this.options.publicKey !== undefined,
    };
  }

  private onEntry(item: ParsedEntry): void {
    const h = this.header!;
    const s = this.summary!;
    const e: Entry = item.signed.entry;
    const fail = (step: VerifyStep, detail: string) => new RecordVerifyError(step, e.sequence, item.offset, detail);
    if (e.logId !== h.logId) throw fail('log-id', `names log "${e.logId}", the record is log "${h.logId}"`);
    if (e.sequence !== this.expected) {
      throw new RecordVerifyError('sequence', this.expected, item.offset, sequenceProblem(this.expected, e));
    }
    if (!equalBytes(e.prevHash, this.head)) throw fail('prev-hash', `prevHash ${bytesToHex(e.prevHash)} is not the hash of entry ${e.sequence - 1} (${bytesToHex(this.head)})`);
    if (e.timeMs < this.lastTimeMs) throw fail('time', `time ${e.timeMs} ms is before the previous entry's ${this.lastTimeMs} ms`);
    if (this.options.onSignature) this.options.onSignature(signatureJob(h.chainId, item, this.key));
    else if (this.options.signatures === 'last') this.pendingSignature = { item, key: this.key };
    else if (!verifyEntrySignature(h.chainId, item.signed, this.key)) throw fail('signature', 'the signature does not verify with the owner key in force at this sequence');
    if (item.payload) {
      if (!equalBytes(payloadHash(h.chainId, item.payload.salt, item.payload.bytes), e.payloadHash)) throw fail('payload', 'the payload and salt do not hash to the entry\'s payloadHash');
      try {
        parseCanonicalJson(item.payload.bytes);
      } catch (err) {
        throw fail('payload', (err as Error).message);
      }
    } else s.payloadsWithheld++;
    if (e.kind === 'intent') {
      s.intents++;
    } else if (e.kind === 'outcome') {
      const intent = this.open.get(e.intentSequence);
      if (intent) {
        if (intent.actor !== e.actor || intent.actorVersion !== e.actorVersion) {
          throw fail('outcome', `actor ${e.actor} ${e.actorVersion} reports the outcome of intent ${e.intentSequence} by ${intent.actor} ${intent.actorVersion}`);
        }
        this.open.delete(e.intentSequence);
      } else if (e.intentSequence >= h.firstSequence) {
        throw fail('outcome', `names intent ${e.intentSequence}, which is not an open intent (not an intent, or already closed)`);
      } else s.outcomesOfEarlierIntents++;
      s.outcomes++;
      if (e.status === 'failed') s.failedOutcomes++;
    } else {
      if (equalBytes(e.newPublicKey, this.key)) throw fail('key-change', 'names the key already in force');
      s.keyChanges++;
    }
    const hash = entryHash(h.chainId, item.signedBytes);
    if (e.kind === 'intent') this.open.set(e.sequence, { sequence: e.sequence, actor: e.actor, actorVersion: e.actorVersion, entryHash: hash });
    const leaf = entryLeafHash(hash);
    this.frontier?.append(leaf);
    this.options.onLeaf?.(leaf);
    if (e.kind === 'key-change') this.key = e.newPublicKey; // in force from the next sequence on
    this.head = hash;
    this.lastTimeMs = e.timeMs;
    this.expected++;
    s.entries++;
    s.actors.set(e.actor, (s.actors.get(e.actor) ?? 0) + 1);
  }

  private onCheckpoint(size: number, root: Uint8Array, offset: number): void {
    // A checkpoint is written right after the entry that completes it, so its root is the
    // frontier's root at that moment: no history needs to be kept to check it.
    if (size !== this.expected) {
      throw new RecordVerifyError('checkpoint', undefined, offset, `a checkpoint of size ${size} must follow entry ${size - 1} directly (it follows entry ${this.expected - 1})`);
    }
    if (this.frontier && !equalBytes(this.frontier.root(), root)) {
      throw new RecordVerifyError('checkpoint', size - 1, offset, `the checkpoint root for size ${size} is not the RFC 6962 root of entries 0-${size - 1}`);
    }
    this.summary!.checkpoints.push({ size, root, bundles: 0 });
  }

  private onBundle(size: number, offset: number): void {
    const checkpoint = this.summary!.checkpoints.find((c) => c.size === size);
    if (!checkpoint) throw new RecordVerifyError('checkpoint', undefined, offset, `a commitment bundle for size ${size}, and no checkpoint of that size before it`);
    checkpoint.bundles++;
  }

  /** Checks what is deferred and returns the summary; call after the last item. */
  finish(): RecordSummary {
    if (!this.header) throw new RecordVerifyError('header', undefined, 0, 'the record has no header');
    const pending = this.pendingSignature;
    if (pending && !verifyEntrySignature(this.header.chainId, pending.item.signed, pending.key)) {
      throw new RecordVerifyError('signature', pending.item.signed.entry.sequence, pending.item.offset, 'the signature does not verify with the owner key in force at this sequence');
    }
    const s = this.summary!;
    s.nextSequence = this.expected;
    s.headHash = this.head;
    s.root = this.frontier?.root();
    s.frontier = this.frontier?.clone();
    s.publicKey = this.key;
    s.openIntents = [...this.open.values()];
    s.lastTimeMs = s.entries > 0 ? this.lastTimeMs : undefined;
    return s;
  }

  /** The counts so far, without the end-of-record checks: for a report that stops at a fault. */
  snapshot(): RecordSummary | { entries: 0; intents: 0; outcomes: 0; failedOutcomes: 0; keyChanges: 0; payloadsWithheld: 0; actors: Map<string, number>; openIntents: OpenIntent[] } {
    if (!this.summary) return { entries: 0, intents: 0, outcomes: 0, failedOutcomes: 0, keyChanges: 0, payloadsWithheld: 0, actors: new Map(), openIntents: [] };
    return { ...this.summary, actors: new Map(this.summary.actors), openIntents: [...this.open.values()] };
  }

  /** The next sequence expected (for callers that stop early). */
  get nextSequence(): number {
    return this.expected;
  }
}

/** Why the entry found is not the one expected, in the auditor's terms. */
function sequenceProblem(expected: number, found: Entry): string {
  if (found.sequence < expected) return `expected entry ${expected} here, found entry ${found.sequence} again: an entry duplicated, or moved after later ones`;
  const outcomeFirst = found.kind === 'outcome' && found.intentSequence >= expected ? `; entry ${found.sequence} is the outcome of intent ${found.intentSequence}, which has not appeared: an outcome before its intent` : '';
  return `expected entry ${expected} here, found entry ${found.sequence}: entry ${expected} is missing (deleted, or moved after later entries)${outcomeFirst}`;
}

/** The signature check of one entry, as verifyEntrySignature makes it: the signing bytes are the tag, the chain id and the body as read. */
export function signatureJob(chainId: string, item: ParsedEntry, publicKey: Uint8Array): SignatureJob {
  const body = item.signedBytes.subarray(0, item.signedBytes.length - SIGNATURE_SIZE);
  return { sequence: item.signed.entry.sequence, offset: item.offset, prefix: domainPrefix(TAGS.oarEntry, chainId), body, signature: item.signed.signature, publicKey };
}

/** Reads and verifies a whole record stream; throws RecordFormatError or RecordVerifyError at the first fault. */
export async function verifyRecord(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: VerifyOptions = {}, onEntry?: (item: ParsedEntry) => void): Promise<RecordSummary> {
  const verifier = new RecordVerifier(options);
  for await (const item of readRecord(chunks)) {
    verifier.push(item);
    if (item.type === 'entry') onEntry?.(item);
  }
  return verifier.finish();
}
