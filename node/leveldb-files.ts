// Checks of a LevelDB directory's files before LevelDB opens it. LevelDB recovers quietly
// from what it takes for a torn write: it skips a log record whose checksum fails, replays the
// rest, and then deletes the old log (classic-level does not expose `paranoid_checks`, which
// would make that an error). So a damaged log must be found first, while its bytes are still
// on disk. The format is LevelDB's doc/log_format.md: 32 KiB blocks of records, each
// `masked crc32c (u32 LE) || length (u16 LE) || type (u8) || payload`, the CRC covering the
// type byte and the payload. A MANIFEST is written in the same format.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const BLOCK_SIZE = 32_768;
const HEADER_SIZE = 7;
/** Record types: zero (preallocated space), full, first, middle, last. */
const TYPE_MAX = 4;

export type LogScan =
  | { kind: 'ok' }
  /** The file ends inside a record: the last write was cut (a crash in the middle of it). */
  | { kind: 'tornTail'; offset: number }
  | { kind: 'corrupt'; offset: number; why: string };

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), as LevelDB's util/crc32c. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC32C_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** LevelDB stores CRCs masked (util/crc32c.h, Mask): rotate right by 15, add a constant. */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** Walks every physical record of a log-format file and checks its length, type and CRC. */
export function scanLogFormat(bytes: Uint8Array): LogScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let blockStart = 0; blockStart < bytes.length; blockStart += BLOCK_SIZE) {
    const blockEnd = Math.min(blockStart + BLOCK_SIZE, bytes.length);
    let at = blockStart;
    while (blockEnd - at >= HEADER_SIZE) {
      const length = view.getUint16(at + 4, true);
      const type = bytes[at + 6];
      if (type === 0 && length === 0) break; // zero-filled space (mmap'd or preallocated): the rest of the block is unused
      if (type > TYPE_MAX) return { kind: 'corrupt', offset: at, why: `record type ${type} is not one LevelDB writes` };
      if (at + HEADER_SIZE + length > blockEnd) {
        if (blockEnd === bytes.length) return { kind: 'tornTail', offset: at };
        return { kind: 'corrupt', offset: at, why: `record length ${length} runs past its 32 KiB block` };
      }
      const expected = view.getUint32(at, true);
      const actual = maskCrc(crc32c(bytes.subarray(at + 6, at + HEADER_SIZE + length)));
      if (expected !== actual) return { kind: 'corrupt', offset: at, why: 'its checksum does not match its bytes' };
      at += HEADER_SIZE + length;
    }
    // Fewer than 7 bytes left in a block are a zero trailer; a header cut by the end of the file is a torn write.
    if (blockEnd === bytes.length && blockEnd - at > 0 && blockEnd - at < HEADER_SIZE && bytes.subarray(at).some((b) => b !== 0)) return { kind: 'tornTail', offset: at };
  }
  return { kind: 'ok' };
}

export interface LevelDirState {
  /** No directory, or an empty one: the only kind a new database may be created in. */
  empty: boolean;
  files: string[];
}

export function levelDirState(path: string): LevelDirState {
  if (!existsSync(path)) return { empty: true, files: [] };
  const files = readdirSync(path).sort();
  return { empty: files.length === 0, files };
}

export class DatabaseDamaged extends Error {}

export const WHAT_TO_DO =
  'Restore the directory from a backup, or move it aside and start the node with an empty one: it re-syncs the chain from its peers, and its last-sign record (outside the database) keeps it from signing twice (docs/storage.md, "Damage").';
/** For refusals before LevelDB opened the directory. */
export const UNTOUCHED = 'The node opened, changed and deleted nothing.';
/** For refusals after it: LevelDB replays its log into a table at every open, the node writes nothing. */
export const NOT_WRITTEN = 'The node wrote nothing to it (LevelDB, as at every open, moved its log into a table file).';

/**
 * Refuses a non-empty database directory that LevelDB would "recover" by losing data: no
 * CURRENT (LevelDB would need create-if-missing and would start an empty database), a
 * MANIFEST or write-ahead log with a record that fails its checksum. A torn last record is what
 * a crash in the middle of a write leaves; it is returned, not refused.
 */
export function checkLevelFiles(path: string, dir: LevelDirState): { tornFiles: { file: string; offset: number }[] } {
  if (!dir.files.includes('CURRENT')) {
    throw new DatabaseDamaged(`the database at ${path} has no CURRENT file (${join(path, 'CURRENT')}), which names the MANIFEST listing its tables: the database is damaged. ${UNTOUCHED} ${WHAT_TO_DO}`);
  }
  const current = readFileSync(join(path, 'CURRENT'), 'utf8');
  if (!/^MANIFEST-\d+\n$/.test(current)) throw new DatabaseDamaged(`the database at ${path} is damaged: ${join(path, 'CURRENT')} does not name a MANIFEST (${JSON.stringify(current.slice(0, 40))}). ${UNTOUCHED} ${WHAT_TO_DO}`);
  const manifest = current.trim();
  if (!dir.files.includes(manifest)) throw new DatabaseDamaged(`the database at ${path} is damaged: ${join(path, manifest)}, named by CURRENT, is missing. ${UNTOUCHED} ${WHAT_TO_DO}`);
  const tornFiles: { file: string; offset: number }[] = [];
  for (const name of [manifest, ...dir.files.filter((f) => f.endsWith('.log'))]) {
    const file = join(path, name);
    const scan = scanLogFormat(readFileSync(file));
    if (scan.kind === 'corrupt') throw new DatabaseDamaged(`the database at ${path} is damaged: ${file}, record at byte ${scan.offset}: ${scan.why}. ${UNTOUCHED} ${WHAT_TO_DO}`);
    // A crash inside a write leaves a torn last record, which LevelDB drops as never written;
    // whether more was lost is for LevelDB (the MANIFEST) and the node's checks (the log) to say.
    if (scan.kind === 'tornTail') tornFiles.push({ file, offset: scan.offset });
  }
  return { tornFiles };
}
