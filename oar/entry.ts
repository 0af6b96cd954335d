// The OAR entry (docs/oar.md, "Entry"): canonical encoding, signing bytes, entry hash and
// payload hash. One entry, one byte string: the owner's ML-DSA-65 key signs
// signingBytes('pantheon/oar-entry/v1', chainId, body); the entry hash covers body and
// signature. Browser-safe: imports only protocol/ and @noble.
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { concatBytes } from '../protocol/bytes.ts';
import { decodeExact, DecodeError, Reader, Writer } from '../protocol/encoding.ts';
import { sha256Parts, domainPrefix, signingBytes, taggedHash, TAGS } from '../protocol/hash.ts';
import { PUBLIC_KEY_SIZE, SIGNATURE_SIZE, verify } from '../protocol/keys.ts';
import { leafHash } from '../protocol/merkle.ts';
import { LOG_ID_MAX, LOG_ID_PATTERN, logIdProblem } from '../protocol/tx-common.ts';

/**
 * The OAR record's log id is the Pantheon log id it is checkpointed into, one id in one format:
 * `<owner pan1 address>/<name>`, at most 127 bytes (docs/transaction.md, docs/oar.md). Entry
 * format 1 took any 1-64 printable characters; version 2 requires this form.
 */
export { LOG_ID_MAX, LOG_ID_PATTERN };

/** Entry format 2: the log id is a Pantheon log id (format 1 had free-form ids of 1-64 characters). */
export const ENTRY_VERSION = 2;
export const HASH_SIZE = 32;
export const SALT_SIZE = 32;
export const ACTOR_MAX = 64;
export const ACTOR_VERSION_MAX = 64;
/** Largest sequence number and time an entry may carry: JavaScript integers stay exact below 2^53. */
export const SEQUENCE_MAX = Number.MAX_SAFE_INTEGER;
export const TIME_MS_MAX = Number.MAX_SAFE_INTEGER;

export const KIND_CODES = { intent: 1, outcome: 2, 'key-change': 3 } as const;
export type EntryKind = keyof typeof KIND_CODES;
const KIND_NAMES = new Map<number, EntryKind>(Object.entries(KIND_CODES).map(([name, code]) => [code, name as EntryKind]));

export const STATUS_CODES = { done: 0, failed: 1 } as const;
export type OutcomeStatus = keyof typeof STATUS_CODES;
const STATUS_NAMES = new Map<number, OutcomeStatus>(Object.entries(STATUS_CODES).map(([name, code]) => [code, name as OutcomeStatus]));

interface EntryCommon {
  logId: string;
  sequence: number;
  /** Entry hash of entry sequence − 1; 32 zero bytes for entry 0. */
  prevHash: Uint8Array;
  /** Milliseconds since 1970-01-01T00:00:00Z as the writer's clock read it. */
  timeMs: number;
  /** Which agent, model or "brain" acted, and its version: a field, not a key. */
  actor: string;
  actorVersion: string;
  payloadHash: Uint8Array;
}

export interface IntentEntry extends EntryCommon {
  kind: 'intent';
}
export interface OutcomeEntry extends EntryCommon {
  kind: 'outcome';
  intentSequence: number;
  status: OutcomeStatus;
}
export interface KeyChangeEntry extends EntryCommon {
  kind: 'key-change';
  /** The key in force from sequence + 1 on, in full (payloads may be withheld, the key may not). */
  newPublicKey: Uint8Array;
}
export type Entry = IntentEntry | OutcomeEntry | KeyChangeEntry;

export interface SignedEntry {
  entry: Entry;
  signature: Uint8Array;
}

function entryVersionProblem(version: number): string {
  if (version === 1) return `entry format version 1 (free-form log ids of 1-64 characters) is not supported: this build reads version ${ENTRY_VERSION}, whose log id is the Pantheon log id <owner pan1 address>/<name>; start a new record under such an id`;
  return `entry format version ${version} is not supported (this build reads version ${ENTRY_VERSION})`;
}

/** A version this build does not read: a newer writer's data, never a torn write to cut. */
export class UnsupportedVersionError extends DecodeError {
  constructor(
    field: string,
    detail: string,
    readonly version: number,
  ) {
    super(field, detail);
  }
}

// Actor names are free text for people to read, but never control characters (which could
// hide or rewrite what a terminal shows an auditor).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function assertValidLogId(logId: unknown, field = 'logId'): asserts logId is string {
  const problem = typeof logId === 'string' ? logIdProblem(logId) : 'must be a string';
  if (problem) throw new RangeError(`${field}: ${problem} (got ${JSON.stringify(logId)})`);
}

export function actorProblem(text: unknown, max: number): string | undefined {
  if (typeof text !== 'string') return `must be a string, got ${typeof text}`;
  const length = new TextEncoder().encode(text).length;
  if (length < 1 || length > max) return `must be 1-${max} bytes of UTF-8, got ${length}`;
  if (CONTROL.test(text)) return 'must not contain control characters';
  return undefined;
}

function assertActor(text: unknown, max: number, field: string): void {
  const problem = actorProblem(text, max);
  if (problem) throw new RangeError(`${field}: ${problem}`);
}

function assertSafeInt(value: unknown, max: number, field: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${field}: ${String(value)} is not an integer in [0, ${max}]`);
  }
}

/** The signed part of an entry, in the order of docs/oar.md. */
export function encodeEntryBody(e: Entry): Uint8Array {
  assertValidLogId(e.logId);
  assertSafeInt(e.sequence, SEQUENCE_MAX, 'sequence');
  assertSafeInt(e.timeMs, TIME_MS_MAX, 'timeMs');
  assertActor(e.actor, ACTOR_MAX, 'actor');
  assertActor(e.actorVersion, ACTOR_VERSION_MAX, 'actorVersion');
  const code = KIND_CODES[e.kind];
  if (code === undefined) throw new RangeError(`kind: unknown kind ${JSON.stringify(e.kind)}; expected one of ${Object.keys(KIND_CODES).join(', ')}`);
  const w = new Writer()
    .u8(ENTRY_VERSION, 'version')
    .string(e.logId, LOG_ID_MAX, 'logId')
    .u64(BigInt(e.sequence), 'sequence')
    .fixed(e.prevHash, HASH_SIZE, 'prevHash')
    .u64(BigInt(e.timeMs), 'timeMs')
    .string(e.actor, ACTOR_MAX, 'actor')
    .string(e.actorVersion, ACTOR_VERSION_MAX, 'actorVersion')
    .u8(code, 'kind');
  if (e.kind === 'outcome') {
    assertSafeInt(e.intentSequence, SEQUENCE_MAX, 'intentSequence');
    if (e.intentSequence >= e.sequence) throw new RangeError(`intentSequence: ${e.intentSequence} must be below the outcome's sequence ${e.sequence}`);
    const status = STATUS_CODES[e.status];
    if (status === undefined) throw new RangeError(`status: unknown status ${JSON.stringify(e.status)}`);
    w.u64(BigInt(e.intentSequence), 'intentSequence').u8(status, 'status');
  } else if (e.kind === 'key-change') {
    w.fixed(e.newPublicKey, PUBLIC_KEY_SIZE, 'newPublicKey');
  }
  return w.fixed(e.payloadHash, HASH_SIZE, 'payloadHash').finish();
}

export function encodeSignedEntry(s: SignedEntry): Uint8Array {
  return concatBytes(encodeEntryBody(s.entry), checkedSignature(s.signature));
}

function checkedSignature(signature: Uint8Array): Uint8Array {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_SIZE) {
    throw new RangeError(`signature: expected ${SIGNATURE_SIZE} bytes, got ${signature?.length}`);
  }
  return signature;
}

function readSafeInt(r: Reader, max: number, field: string): number {
  const value = r.u64(field);
  if (value > BigInt(max)) throw new DecodeError(field, `${value} exceeds the maximum of ${max}`);
  return Number(value);
}

function readActor(r: Reader, max: number, field: string): string {
  const text = r.string(max, field);
  const problem = actorProblem(text, max);
  if (problem) throw new DecodeError(field, problem);
  return text;
}

/** Reads one signed entry from `r`: the body, then the signature. */
export function readSignedEntry(r: Reader): SignedEntry {
  const version = r.u8('version');
  if (version !== ENTRY_VERSION) throw new UnsupportedVersionError('version', entryVersionProblem(version), version);
  const logId = r.string(LOG_ID_MAX, 'logId');
  const badLogId = logIdProblem(logId);
  if (badLogId) throw new DecodeError('logId', badLogId);
  const sequence = readSafeInt(r, SEQUENCE_MAX, 'sequence');
  const prevHash = r.fixed(HASH_SIZE, 'prevHash');
  const timeMs = readSafeInt(r, TIME_MS_MAX, 'timeMs');
  const actor = readActor(r, ACTOR_MAX, 'actor');
  const actorVersion = readActor(r, ACTOR_VERSION_MAX, 'actorVersion');
  const code = r.u8('kind');
  const kind = KIND_NAMES.get(code);
  if (kind === undefined) throw new DecodeError('kind', `unknown kind ${code}; expected 1 (intent), 2 (outcome) or 3 (key-change)`);
  const common = { logId, sequence, prevHash, timeMs, actor, actorVersion };
  let entry: Entry;
  if (kind === 'outcome') {
    const intentSequence = readSafeInt(r, SEQUENCE_MAX, 'intentSequence');
    if (intentSequence >= sequence) throw new DecodeError('intentSequence', `${intentSequence} must be below the outcome's sequence ${sequence}`);
    const statusCode = r.u8('status');
    const status = STATUS_NAMES.get(statusCode);
    if (status === undefined) throw new DecodeError('status', `unknown status ${statusCode}; expected 0 (done) or 1 (failed)`);
    entry = { ...common, kind, intentSequence, status, payloadHash: r.fixed(HASH_SIZE, 'payloadHash') };
  } else if (kind === 'key-change') {
    const newPublicKey = r.fixed(PUBLIC_KEY_SIZE, 'newPublicKey');
    entry = { ...common, kind, newPublicKey, payloadHash: r.fixed(HASH_SIZE, 'payloadHash') };
  } else {
    entry = { ...common, kind, payloadHash: r.fixed(HASH_SIZE, 'payloadHash') };
  }
  return { entry, signature: r.fixed(SIGNATURE_SIZE, 'signature') };
}

export function decodeSignedEntry(bytes: Uint8Array): SignedEntry {
  return decodeExact(bytes, 'entry', readSignedEntry);
}

/** The bytes the owner key signs. */
export function entrySigningBytes(chainId: string, entry: Entry): Uint8Array {
  return signingBytes(TAGS.oarEntry, chainId, encodeEntryBody(entry));
}

/** ML-DSA-65 signing of a complete message with an empty FIPS 204 context. */
export type MlDsa65Sign = (message: Uint8Array, secretKey: Uint8Array) => Uint8Array;

/** noble, hedged (fresh randomness per signature, FIPS 204's default). */
export const nobleSign: MlDsa65Sign = (message, secretKey) => ml_dsa65.sign(message, secretKey);

/** Deterministic noble signing: for test vectors only, so every byte of them is reproducible. */
export const nobleSignDeterministic: MlDsa65Sign = (message, secretKey) => ml_dsa65.sign(message, secretKey, { extraEntropy: false });

export function signEntry(chainId: string, entry: Entry, secretKey: Uint8Array, sign: MlDsa65Sign = nobleSign): SignedEntry {
  return { entry, signature: sign(entrySigningBytes(chainId, entry), secretKey) };
}

/** False for a wrong key, a wrong chain id, a changed byte, or a malformed key or signature. */
export function verifyEntrySignature(chainId: string, signed: SignedEntry, publicKey: Uint8Array): boolean {
  return verify(TAGS.oarEntry, chainId, encodeEntryBody(signed.entry), signed.signature, publicKey);
}

/** taggedHash('pantheon/oar-entry-hash/v1', chainId, body || signature): what prevHash and the tree's leaves hold. */
export function entryHash(chainId: string, signedEntryBytes: Uint8Array): Uint8Array {
  return taggedHash(TAGS.oarEntryHash, chainId, signedEntryBytes);
}

/** The RFC 6962 leaf hash of an entry: SHA-256(0x00 || entryHash). */
export function entryLeafHash(hash: Uint8Array): Uint8Array {
  return leafHash(hash);
}

/** taggedHash('pantheon/oar-payload/v1', chainId, salt || payload): hides a low-entropy payload behind its salt. */
export function payloadHash(chainId: string, salt: Uint8Array, payload: Uint8Array): Uint8Array {
  if (!(salt instanceof Uint8Array) || salt.length !== SALT_SIZE) throw new RangeError(`salt: expected ${SALT_SIZE} bytes, got ${salt?.length}`);
  return sha256Parts([domainPrefix(TAGS.oarPayload, chainId), salt, payload]);
}

