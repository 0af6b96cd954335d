// The validator's last-sign record on disk (docs/storage.md, "The sign record file"): a file
// of its own beside the database, replaced atomically (write, fsync, rename, fsync the
// directory), so that nothing that happens to LevelDB — a replayed, truncated or rolled-back
// log — can take it back. A checksum under a tag and the chain id catches a damaged file that
// still parses; any damage stops the node with the file's name.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SignRecord } from '../consensus/index.ts';
import { bytesToHex } from '../protocol/bytes.ts';
import { taggedHash, TAGS } from '../protocol/hash.ts';
import { parseStrictJson } from '../protocol/strict-json.ts';
import { writeFileAtomic } from './files.ts';
import { fromTypedJson, toTypedJson } from './json-codec.ts';
import type { SignStateStore } from './ports.ts';

export const SIGN_RECORD_FILE = 'sign-record.json';
export const SIGN_RECORD_FORMAT = 'pantheon/sign-record';
export const SIGN_RECORD_VERSION = 1;

/** What the file says: for which chain and validator, and the record (null: nothing signed yet). */
export interface SignRecordBody {
  format: typeof SIGN_RECORD_FORMAT;
  version: number;
  chainId: string;
  /** The validator's address (hex): a record is only meaningful for the key that signed. */
  validator: string;
  record: SignRecord | null;
}

export class SignRecordDamaged extends Error {}

export const signRecordPath = (dataDir: string) => join(dataDir, SIGN_RECORD_FILE);

function checksum(chainId: string, body: string): string {
  return bytesToHex(taggedHash(TAGS.signRecord, chainId, new TextEncoder().encode(body)));
}

/** The file's bytes: `{"body": "<typed JSON of the body>", "checksum": "<hex>"}` and a newline. */
export function encodeSignRecordFile(body: SignRecordBody): string {
  const text = toTypedJson(body);
  return JSON.stringify({ body: text, checksum: checksum(body.chainId, text) }) + '\n';
}

/**
 * Reads and checks the file; undefined when it does not exist. Throws SignRecordDamaged,
 * naming the file, when it cannot be trusted: not JSON, a wrong checksum, another format,
 * chain or validator.
 */
export function readSignRecordFile(path: string, expect: { chainId: string; validator: string }): SignRecordBody | undefined {
  if (!existsSync(path)) return undefined;
  const damaged = (why: string) =>
    new SignRecordDamaged(
      `the last-sign record ${path} is damaged: ${why}. The node will not sign without knowing what it signed last. ` +
        'Restore the file from a backup taken after the last signature, or, knowing the risk of signing twice, move it aside and start with --unsafe-no-sign-record once the network has passed the height this validator last signed at (docs/storage.md).',
    );
  let outer: unknown;
  try {
    outer = parseStrictJson(readFileSync(path, 'utf8'), 'last-sign record'); // duplicate members refused (docs/storage.md)
  } catch (err) {
    throw damaged(`it is not valid JSON (${(err as Error).message})`);
  }
  const o = outer as { body?: unknown; checksum?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.body !== 'string' || typeof o.checksum !== 'string') throw damaged('it does not hold {"body": string, "checksum": string}');
  let body: SignRecordBody;
  try {
    body = fromTypedJson<SignRecordBody>(o.body);
  } catch (err) {
    throw damaged(`its body is not valid typed JSON (${(err as Error).message})`);
  }
  if (typeof body !== 'object' || body === null || typeof body.chainId !== 'string') throw damaged('its body has no chain id');
  if (o.checksum !== checksum(body.chainId, o.body)) throw damaged('its checksum does not match its body');
  if (body.format !== SIGN_RECORD_FORMAT || body.version !== SIGN_RECORD_VERSION) throw damaged(`it is format ${JSON.stringify(body.format)} version ${body.version}, this node reads ${SIGN_RECORD_FORMAT} version ${SIGN_RECORD_VERSION}`);
  if (body.chainId !== expect.chainId) throw damaged(`it belongs to chain ${body.chainId}, not ${expect.chainId}`);
  if (body.validator !== expect.validator) throw damaged(`it belongs to validator ${body.validator}, not this key's ${expect.validator}`);
  if (body.record !== null) assertRecordShape(body.record, damaged);
  return body;
}

function assertRecordShape(r: SignRecord, damaged: (why: string) => Error): void {
  const ok =
    typeof r === 'object' &&
    typeof r.height === 'bigint' &&
    Number.isInteger(r.round) &&
    (r.step === 'proposal' || r.step === 'prevote' || r.step === 'precommit') &&
    r.blockHash instanceof Uint8Array &&
    r.blockHash.length === 32 &&
    Number.isInteger(r.lockedRound) &&
    Array.isArray(r.lockedPolka) &&
    typeof r.resend === 'object' &&
    r.resend !== null;
  if (!ok) throw damaged('its record lacks height, round, step, block hash, lock or resend set');
}

/** Durable before it returns: the write, the rename and the directory are fsync'd. */
export function writeSignRecordFile(path: string, body: SignRecordBody): void {
  writeFileAtomic(path, encodeSignRecordFile(body), 0o600);
}

/** The node's sign-state store (node/ports.ts): the record file of one chain and validator. */
export function signRecordFileStore(path: string, owner: { chainId: string; validator: string }): SignStateStore {
  return {
    where: path,
    write: (record) => writeSignRecordFile(path, { format: SIGN_RECORD_FORMAT, version: SIGN_RECORD_VERSION, chainId: owner.chainId, validator: owner.validator, record }),
  };
}
