// The entry bundle (docs/entry-bundle.md): one OAR entry, the key changes and inclusion paths
// that tie it to a committed record root, and that root's commitment bundle embedded unchanged.
// This module reads and writes the format only: shapes, base64 and bounds. Every signature,
// hash and link is left to verify-entry.ts.
import { assertValidChainId } from '../protocol/hash.ts';
import { PUBLIC_KEY_SIZE } from '../protocol/keys.ts';
import { describe } from '../protocol/bytes.ts';
import { logIdProblem } from '../protocol/tx-common.ts';
import { KEY_CHANGES_MAX } from '../protocol/log-state.ts';
import { PAYLOAD_MAX } from '../oar/record.ts';
import { SALT_SIZE } from '../oar/entry.ts';
import { b64, b64List, BundleFormatError, bytesToBase64, count, INCLUSION_PATH_MAX, jsonObject } from './bundle.ts';

export const ENTRY_BUNDLE_FORMAT = 'pantheon-oar-entry-bundle';
export const ENTRY_BUNDLE_VERSION = 1;
/** A signed entry is at most a key change: about 5.6 KB of body and signature. */
export const SIGNED_ENTRY_MAX = 16 * 1024;

export interface IncludedEntry {
  /** The entry's body and signature (docs/oar.md), as the record holds them. */
  signedEntry: Uint8Array;
  /** Absent when withheld. */
  payload?: { salt: Uint8Array; bytes: Uint8Array };
  /** RFC 6962 path from the entry's leaf to the root of the record at the checkpoint size. */
  path: Uint8Array[];
}

export interface EntryBundle {
  version: number;
  chainId: string;
  logId: string;
  foundingKey: Uint8Array;
  checkpointSize: number;
  entry: IncludedEntry;
  partner?: IncludedEntry;
  keyChanges: IncludedEntry[];
  /** The commitment bundle (docs/proof.md) as parsed JSON, for verifyBundle. */
  commitmentBundle: unknown;
}

/** True when `json` says it is an entry bundle (of any version): the CLI picks the verifier by this. */
export function isEntryBundle(json: unknown): boolean {
  return typeof json === 'object' && json !== null && (json as Record<string, unknown>).format === ENTRY_BUNDLE_FORMAT;
}

function includedEntry(value: unknown, field: string, withPayload: boolean): IncludedEntry {
  const o = jsonObject(value, field, ['signedEntry', 'path'], withPayload ? ['payload'] : []);
  const out: IncludedEntry = {
    signedEntry: b64(o.signedEntry, `${field}.signedEntry`, { max: SIGNED_ENTRY_MAX }),
    path: b64List(o.path, `${field}.path`, INCLUSION_PATH_MAX, { length: 32 }),
  };
  if ('payload' in o) {
    const p = jsonObject(o.payload, `${field}.payload`, ['salt', 'bytes']);
    out.payload = { salt: b64(p.salt, `${field}.payload.salt`, { length: SALT_SIZE }), bytes: b64(p.bytes, `${field}.payload.bytes`, { max: PAYLOAD_MAX }) };
  }
  return out;
}

/** Reads an entry bundle from parsed JSON. Throws BundleFormatError naming the field. */
export function parseEntryBundle(json: unknown): EntryBundle {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new BundleFormatError('bundle', `expected a JSON object, got ${describe(json)}`);
  const { format, version } = json as Record<string, unknown>;
  if (format !== ENTRY_BUNDLE_FORMAT) throw new BundleFormatError('format', `expected "${ENTRY_BUNDLE_FORMAT}", got ${describe(format)}`);
  if (version !== ENTRY_BUNDLE_VERSION) throw new BundleFormatError('version', `unsupported version ${describe(version)}; this verifier reads entry bundle version ${ENTRY_BUNDLE_VERSION}`);
  const top = jsonObject(json, 'bundle', ['format', 'version', 'chainId', 'logId', 'foundingKey', 'checkpointSize', 'entry', 'keyChanges', 'commitmentBundle'], ['partner']);
  try {
    assertValidChainId(top.chainId);
  } catch (err) {
    throw new BundleFormatError('chainId', (err as Error).message.replace(/^chainId: /, ''));
  }
  if (typeof top.logId !== 'string') throw new BundleFormatError('logId', `expected a log id, got ${describe(top.logId)}`);
  const badLogId = logIdProblem(top.logId);
  if (badLogId) throw new BundleFormatError('logId', badLogId);
  const checkpointSize = count(top.checkpointSize, 'checkpointSize');
  if (checkpointSize < 1) throw new BundleFormatError('checkpointSize', 'must be at least 1');
  if (!Array.isArray(top.keyChanges)) throw new BundleFormatError('keyChanges', `expected an array, got ${describe(top.keyChanges)}`);
  if (top.keyChanges.length > KEY_CHANGES_MAX) throw new BundleFormatError('keyChanges', `${top.keyChanges.length} entries exceeds the maximum of ${KEY_CHANGES_MAX}`);
  if (typeof top.commitmentBundle !== 'object' || top.commitmentBundle === null || Array.isArray(top.commitmentBundle)) {
    throw new BundleFormatError('commitmentBundle', `expected the commitment bundle as a JSON object, got ${describe(top.commitmentBundle)}`);
  }
  return {
    version: ENTRY_BUNDLE_VERSION,
    chainId: top.chainId,
    logId: top.logId,
    foundingKey: b64(top.foundingKey, 'foundingKey', { length: PUBLIC_KEY_SIZE }),
    checkpointSize,
    entry: includedEntry(top.entry, 'entry', true),
    ...('partner' in top ? { partner: includedEntry(top.partner, 'partner', true) } : {}),
    keyChanges: top.keyChanges.map((k, i) => includedEntry(k, `keyChanges[${i}]`, false)),
    commitmentBundle: top.commitmentBundle,
  };
}

function includedEntryToJson(e: IncludedEntry): Record<string, unknown> {
  return {
    signedEntry: bytesToBase64(e.signedEntry),
    ...(e.payload ? { payload: { salt: bytesToBase64(e.payload.salt), bytes: bytesToBase64(e.payload.bytes) } } : {}),
    path: e.path.map(bytesToBase64),
  };
}

/** The JSON form, the inverse of parseEntryBundle; fields in the order docs/entry-bundle.md lists them. */
export function entryBundleToJson(b: EntryBundle): Record<string, unknown> {
  return {
    format: ENTRY_BUNDLE_FORMAT,
    version: b.version,
    chainId: b.chainId,
    logId: b.logId,
    foundingKey: bytesToBase64(b.foundingKey),
    checkpointSize: b.checkpointSize,
    entry: includedEntryToJson(b.entry),
    ...(b.partner ? { partner: includedEntryToJson(b.partner) } : {}),
    keyChanges: b.keyChanges.map(includedEntryToJson),
    commitmentBundle: b.commitmentBundle,
  };
}
