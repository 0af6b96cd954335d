// Opening a node's data directory (docs/storage.md, "Damage"): the database and, for a
// validator, the last-sign record beside it, each checked on its own and against the other
// before anything else starts. Every refusal names the damaged file and what to do; nothing
// is deleted or created over.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SignRecord } from '../consensus/index.ts';
import { decodeCertificate } from '../protocol/certificate.ts';
import { DatabaseDamaged, levelDirState, NOT_WRITTEN, UNTOUCHED, WHAT_TO_DO } from './leveldb-files.ts';
import type { Logger } from './log.ts';
import { readSignRecordFile, signRecordPath, SIGN_RECORD_FORMAT, SIGN_RECORD_VERSION, writeSignRecordFile } from './sign-record-file.ts';
import { NodeStore } from './store.ts';
import { checkStoredChain } from './store-integrity.ts';

/** How far back the certificates are searched for a signature the sign record does not know. */
export const CERTIFICATE_SCAN_HEIGHTS_MAX = 1_000;

export interface DataDirOptions {
  dataDir: string;
  chainId: string;
  genesisHash: Uint8Array;
  /** A validator's address (hex) and index in the genesis set; absent on a full node. */
  validator?: { address: string; index: number };
  /** Start a validator whose database has no last-sign record: the operator accepts the double-signing risk. */
  unsafeNoSignRecord?: boolean;
  log: Logger;
}

export interface OpenedDataDir {
  store: NodeStore;
  /** The validator's last durable sign record (undefined: nothing signed yet, or a full node). */
  signRecord: SignRecord | undefined;
  signRecordPath: string;
}

export async function openDataDir(o: DataDirOptions): Promise<OpenedDataDir> {
  mkdirSync(o.dataDir, { recursive: true });
  const dbPath = join(o.dataDir, 'db');
  const recordPath = signRecordPath(o.dataDir);
  const fresh = levelDirState(dbPath).empty;
  const recordBody = () => ({ format: SIGN_RECORD_FORMAT, version: SIGN_RECORD_VERSION, chainId: o.chainId, validator: o.validator!.address, record: null }) as const;
  let body = o.validator ? readSignRecordFile(recordPath, { chainId: o.chainId, validator: o.validator.address }) : undefined;
  // An empty data directory: the record comes first, so that a crash before the database
  // exists cannot leave a database without one.
  if (o.validator && body === undefined && fresh) {
    body = recordBody();
    writeSignRecordFile(recordPath, body);
  }
  if (o.validator && body === undefined && !o.unsafeNoSignRecord) {
    throw new Error(
      `this validator's data directory holds a database (${dbPath}) but no last-sign record (${recordPath}): ` +
        `without it the node cannot know what it signed last and could sign twice. ${UNTOUCHED} Restore the file, or, accepting the risk of a double sign, start once with --unsafe-no-sign-record after the network has passed the height this validator last signed at. ` +
        '(A data directory of storage layout 2 or older kept the record inside the database: this node cannot read it; start on an empty data directory, e.g. `npm run devnet -- --reset`.)',
    );
  }
  const store = await NodeStore.open(dbPath, { signHeightAtCreation: body?.record?.height ?? 0n });
  try {
    for (const t of store.tornFiles) o.log('warn', 'the database log ended inside a record: the last write before a crash was cut; LevelDB drops it', { file: t.file, offset: t.offset, copy: t.keptAt });
    const kept = store.tornFiles.length ? ` The log as it was before LevelDB replayed it is kept at ${store.tornFiles.map((t) => t.keptAt).join(', ')}.` : '';
    const { height } = await withNote(checkStoredChain(store, { path: dbPath, chainId: o.chainId, genesisHash: o.genesisHash }), kept);
    // The checks passed: a torn write was only the last one, which LevelDB rightly dropped.
    const dropTornCopies = () => store.tornFiles.forEach((t) => rmSync(dirname(t.keptAt), { recursive: true, force: true }));
    if (!o.validator) {
      dropTornCopies();
      return { store, signRecord: undefined, signRecordPath: recordPath };
    }
    if (body === undefined) {
      o.log('error', 'STARTING WITHOUT A LAST-SIGN RECORD (--unsafe-no-sign-record): this validator may sign twice at a height it signed before the record was lost', { record: recordPath, height });
      body = recordBody();
      writeSignRecordFile(recordPath, body);
    }
    const record = body.record ?? undefined;
    if (record) await withNote(checkRecordAgainstChain(store, record, { dbPath, recordPath, height, validatorIndex: o.validator.index }), kept);
    dropTornCopies();
    return { store, signRecord: record, signRecordPath: recordPath };
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}

/** Adds `note` to a refusal's message. */
async function withNote<T>(check: Promise<T>, note: string): Promise<T> {
  try {
    return await check;
  } catch (err) {
    if (note && err instanceof Error) err.message += note;
    throw err;
  }
}

/**
 * The record and the chain must agree. A validator signs at height h only once h-1 is
 * committed in one synced batch, so a record above committed height + 1 means the database
 * lost synced blocks (unless the database was created after the record, to re-sync). A
 * certificate above the record's height that holds this validator's precommit means the record
 * lost signatures (a file restored from an old backup).
 */
async function checkRecordAgainstChain(store: NodeStore, record: SignRecord, o: { dbPath: string; recordPath: string; height: bigint; validatorIndex: number }): Promise<void> {
  const createdAt = await store.signHeightAtCreation();
  if (record.height > o.height + 1n && record.height > createdAt) {
    throw new DatabaseDamaged(
      `the database at ${o.dbPath} is behind this validator's last-sign record: it holds committed height ${o.height}, but ${o.recordPath} says this validator signed at height ${record.height}, which it does only after committing height ${record.height - 1n}. ` +
        `The database lost committed blocks (a truncated or rolled-back LevelDB log). ${NOT_WRITTEN} ${WHAT_TO_DO}`,
    );
  }
  const from = record.height + 1n > o.height - BigInt(CERTIFICATE_SCAN_HEIGHTS_MAX) ? record.height + 1n : o.height - BigInt(CERTIFICATE_SCAN_HEIGHTS_MAX) + 1n;
  for (let h = from; h <= o.height; h++) {
    const bytes = await store.certificate(h);
    if (bytes && decodeCertificate(bytes).signatures.some((s) => s.validatorIndex === o.validatorIndex)) {
      throw new Error(
        `the last-sign record ${o.recordPath} is behind: it says this validator last signed at height ${record.height}, but the certificate of block ${h} holds its precommit. ` +
          'The record lost signatures (restored from an old copy?); signing from it could sign twice. Restore the latest record, or, accepting the risk, move it aside and start with --unsafe-no-sign-record.',
      );
    }
  }
}
