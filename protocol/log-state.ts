// The per-log part of the state transition (docs/state.md, "Logs"): one history per log, one
// owner, keys changed in the open. Pure functions over a map of records, so the rules can move
// with the rest of the transition; nothing here reads a store or a clock.
//
// A log id is `<owner address>/<name>`: only the key with that address can open the log, so
// nobody who sees the first commitment in gossip can take the name first. Every later
// commitment carries the committed size it extends and an RFC 9162 consistency proof from the
// committed (size, root); the proof is checked with both sizes given explicitly, because a
// proof checked alone can also pass for some other second size.
import { bytesToHex, concatBytes, equalBytes, compareBytes } from './bytes.ts';
import { Writer } from './encoding.ts';
import { domainPrefix, taggedHash, TAGS } from './hash.ts';
import { addressBytes, encodeAddress } from './keys.ts';
import { leafHash, rootOf, verifyConsistency } from './merkle.ts';
import { LOG_ID_MAX, logIdOwner, type CommitmentPayload, type KeyChangePayload, type UnsignedTx } from './tx-common.ts';

/** The most key changes one log may have: a bound on the size of its state record. */
export const KEY_CHANGES_MAX = 64;

export interface KeyChange {
  /** The first OAR sequence number signed by `publicKey`. */
  fromSize: bigint;
  publicKey: Uint8Array;
}

export interface LogRecord {
  /** The key that may send the log's next commitment or key change: the latest one named. */
  ownerPublicKey: Uint8Array;
  size: bigint;
  root: Uint8Array;
  commitments: bigint;
  keyChanges: KeyChange[];
}

/** Log records keyed by log id. */
export type Logs = Map<string, LogRecord>;

const text = (address: Uint8Array) => encodeAddress(address);

/** Why a commitment cannot be applied to the log's record (undefined when the log has none yet), or undefined. */
export function checkCommitment(record: LogRecord | undefined, p: CommitmentPayload, senderPublicKey: Uint8Array): string | undefined {
  const id = p.logId;
  // Only an error names the sender: its address is not worked out for a valid commitment.
  const sender = () => text(addressBytes(senderPublicKey));
  if (!record) {
    const owner = logIdOwner(id);
    if (!equalBytes(owner, addressBytes(senderPublicKey))) return `log ${id} belongs to ${text(owner)}: only that key can open it, not ${sender()}`;
    if (p.previousSize !== 0n) return `log ${id} has no commitment yet: a first commitment has previousSize 0, not ${p.previousSize}`;
    if (p.consistencyProof.length !== 0) return `log ${id} has no commitment yet: a first commitment carries no consistency proof (got ${p.consistencyProof.length} hashes)`;
    return undefined;
  }
  if (!equalBytes(record.ownerPublicKey, senderPublicKey)) return `log ${id} is owned by ${text(addressBytes(record.ownerPublicKey))}, not ${sender()}`;
  const m = record.size;
  const n = p.treeSize;
  if (n < m) return `log ${id}: size ${n} is smaller than the committed size ${m} (a log only grows)`;
  if (n === m) {
    return equalBytes(p.root, record.root)
      ? `log ${id}: size ${n} with this root is already committed (committed size ${m})`
      : `log ${id}: size ${n} is already committed with another root (committed size ${m}): one size has one root`;
  }
  if (p.previousSize !== m) return `log ${id}: the commitment extends size ${p.previousSize}, but the committed size is ${m}`;
  // Both sizes and both roots come from here, not from the proof: (m, committed root) -> (n, new root).
  if (!verifyConsistency(Number(m), Number(n), p.consistencyProof, record.root, p.root)) {
    return `log ${id}: the consistency proof from size ${m} to size ${n} does not verify against the committed root`;
  }
  return undefined;
}

/** Why a key change cannot be applied to the log's record, or undefined. */
export function checkKeyChange(record: LogRecord | undefined, p: KeyChangePayload, senderPublicKey: Uint8Array): string | undefined {
  const id = p.logId;
  if (!record) return `log ${id} has no commitment yet: only a committed log can change its key`;
  if (!equalBytes(record.ownerPublicKey, senderPublicKey)) {
    return `log ${id} is owned by ${text(addressBytes(record.ownerPublicKey))}, not ${text(addressBytes(senderPublicKey))}: only the owner can change its key`;
  }
  if (equalBytes(p.newPublicKey, record.ownerPublicKey)) return `log ${id}: the new key is already the owner key`;
  if (p.fromSize < record.size) return `log ${id}: a key change from size ${p.fromSize} would re-key committed entries (the committed size is ${record.size})`;
  const last = record.keyChanges.at(-1);
  if (last && p.fromSize <= last.fromSize) return `log ${id}: a key change from size ${p.fromSize} must come after the last one, from size ${last.fromSize}`;
  if (record.keyChanges.length >= KEY_CHANGES_MAX) return `log ${id} has had ${KEY_CHANGES_MAX} key changes, the most a log may have`;
  return undefined;
}

/** Why a transaction breaks a log rule (only commitments and key changes touch logs), or undefined. */
export function checkLogTx(logs: ReadonlyMap<string, LogRecord>, tx: UnsignedTx): string | undefined {
  const p = tx.payload;
  if (p.kind === 'commitment') return checkCommitment(logs.get(p.logId), p, tx.senderPublicKey);
  if (p.kind === 'keyChange') return checkKeyChange(logs.get(p.logId), p, tx.senderPublicKey);
  return undefined;
}

/** The log's record after a transaction that passed checkLogTx; a new object, the old one untouched. */
export function nextLogRecord(record: LogRecord | undefined, tx: UnsignedTx): LogRecord {
  const p = tx.payload;
  if (p.kind === 'commitment') {
    if (!record) return { ownerPublicKey: tx.senderPublicKey, size: p.treeSize, root: p.root, commitments: 1n, keyChanges: [] };
    return { ...record, size: p.treeSize, root: p.root, commitments: record.commitments + 1n };
  }
  if (p.kind === 'keyChange' && record) {
    return { ...record, ownerPublicKey: p.newPublicKey, keyChanges: [...record.keyChanges, { fromSize: p.fromSize, publicKey: p.newPublicKey }] };
  }
  throw new Error(`a ${p.kind} transaction does not change a log record`);
}

/** The key that signs OAR entry `sequence`: the latest key change applying at or before it, else the founding key. */
export function keyInForce(foundingPublicKey: Uint8Array, keyChanges: readonly KeyChange[], sequence: bigint): Uint8Array {
  let key = foundingPublicKey;
  for (const change of keyChanges) if (change.fromSize <= sequence) key = change.publicKey;
  return key;
}

/**
 * The log's leaf in the state tree: prefix || string(logId) || owner address || u64 size ||
 * root || u64 commitments || list(u64 fromSize || key address).
 */
export function logStateLeaf(chainId: string, logId: string, r: LogRecord): Uint8Array {
  const body = new Writer()
    .string(logId, LOG_ID_MAX, 'logId')
    .fixed(addressBytes(r.ownerPublicKey), 32, 'owner')
    .u64(r.size, 'size')
    .fixed(r.root, 32, 'root')
    .u64(r.commitments, 'commitments')
    .list(r.keyChanges, KEY_CHANGES_MAX, 'keyChanges', (w, k) => w.u64(k.fromSize, 'fromSize').fixed(addressBytes(k.publicKey), 32, 'key'))
    .finish();
  return concatBytes(domainPrefix(TAGS.logStateLeaf, chainId), body);
}

const utf8 = new TextEncoder();

/** RFC 9162 root over every log's leaf, sorted by the log id's bytes ascending. */
export function logsRoot(chainId: string, logs: ReadonlyMap<string, LogRecord>): Uint8Array {
  const ids = [...logs.keys()].map((id) => ({ id, bytes: utf8.encode(id) })).sort((a, b) => compareBytes(a.bytes, b.bytes));
  return rootOf(ids.map(({ id }) => leafHash(logStateLeaf(chainId, id, logs.get(id)!))));
}

/** stateRoot = taggedHash(state-root tag, chainId, accountsRoot || logsRoot). */
export function combineStateRoot(chainId: string, accountsRoot: Uint8Array, logsRootValue: Uint8Array): Uint8Array {
  return taggedHash(TAGS.stateRoot, chainId, concatBytes(accountsRoot, logsRootValue));
}

export function cloneLogs(logs: ReadonlyMap<string, LogRecord>): Logs {
  return new Map([...logs].map(([k, r]) => [k, { ...r, keyChanges: [...r.keyChanges] }]));
}

/** A short JSON view of a record for logs and APIs. */
export function describeLogRecord(r: LogRecord) {
  return { owner: text(addressBytes(r.ownerPublicKey)), size: r.size.toString(), root: bytesToHex(r.root), commitments: r.commitments.toString() };
}
