// Reading the writer's record file (docs/oar.md, "Storage"): a snapshot up to the length the
// file had when reading began, so a reader in another process sees a consistent prefix while
// the writer appends; and recovery on open, which finds a torn tail, reports it by sequence
// number, keeps the cut bytes aside and truncates. Node-side.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { open, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordFormatError, RecordParser, type RecordItem } from '../record.ts';
import { RecordVerifier, RecordVerifyError, type RecordSummary } from '../verify.ts';

export const RECORD_FILE = 'record.oar';
export const TORN_DIR = 'torn';

export function recordPath(dir: string): string {
  return join(dir, RECORD_FILE);
}

/** Chunks of the file's first `length` bytes (its current length by default). */
export function fileChunks(path: string, length = statSync(path).size): AsyncIterable<Uint8Array> {
  if (length === 0) return (async function* () {})();
  return createReadStream(path, { start: 0, end: length - 1, highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array>;
}

export interface ReadOptions {
  /**
   * A live file may end inside a frame the writer is still appending: with `allowPartialTail`
   * the reader stops before it instead of failing, and reports the bytes it left.
   */
  allowPartialTail?: boolean;
}

/** Items of a record file, entry by entry, without holding the file in memory. */
export async function* readRecordFile(path: string, options: ReadOptions = {}): AsyncGenerator<RecordItem, { partialTailBytes: number }> {
  if (!existsSync(path)) throw new Error(`no OAR record at ${path}`);
  const parser = new RecordParser();
  let total = 0;
  for await (const chunk of fileChunks(path)) {
    parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    total += chunk.byteLength;
    for (let item = parser.next(); item; item = parser.next()) yield item;
  }
  try {
    parser.end();
  } catch (err) {
    if (!options.allowPartialTail || !(err instanceof RecordFormatError) || parser.position <= 0) throw err;
    return { partialTailBytes: total - parser.position };
  }
  return { partialTailBytes: 0 };
}

export interface TornTail {
  /** The sequence number of the first entry cut off (the first not in the record after recovery). */
  sequence: number;
  /** Byte offset the file was truncated to, and how many bytes were cut. */
  offset: number;
  bytesCut: number;
  reason: string;
  /** Where the cut bytes were kept (never deleted: a torn tail is evidence too). */
  savedTo: string;
}

export interface Recovered {
  summary: RecordSummary;
  torn?: TornTail;
  /** Length of the file after recovery. */
  length: number;
}

// Recovery cuts at most this many times (each cut re-reads the file); more means damage, not a torn write.
const MAX_CUTS = 8;

/**
 * Verifies the file (links of every entry, the last entry's signature) and cuts a torn tail.
 * Faults in the preamble or header are not a torn tail: the file is refused unchanged.
 */
export async function recoverRecordFile(path: string, options: { chainId: string }): Promise<Recovered> {
  const fullLength = statSync(path).size;
  let length = fullLength;
  let firstFault: { sequence: number; offset: number; reason: string } | undefined;
  for (let cut = 0; cut <= MAX_CUTS; cut++) {
    const verifier = new RecordVerifier({ chainId: options.chainId, signatures: 'last' });
    const parser = new RecordParser();
    let headerEnd = -1;
    let fault: { offset: number; sequence: number; reason: string } | undefined;
    try {
      for await (const chunk of fileChunks(path, length)) {
        parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        for (let item = parser.next(); item; item = parser.next()) {
          verifier.push(item);
          if (item.type === 'header') headerEnd = item.end;
        }
      }
      parser.end();
    } catch (err) {
      if (!(err instanceof RecordFormatError || err instanceof RecordVerifyError)) throw err;
      const offset = err instanceof RecordFormatError ? err.offset : err.offset ?? parser.position;
      // An entry of another format version is data this build cannot read, not damage: refuse, never cut.
      const newer = err instanceof RecordFormatError && err.unsupportedVersion !== undefined;
      if (headerEnd < 0 || offset < headerEnd || newer) throw new Error(`${path}: ${err.message}; the record is left unchanged`);
      fault = { offset: Math.max(offset, headerEnd), sequence: verifier.nextSequence, reason: err.message };
    }
    if (!fault) {
      try {
        const summary = verifier.finish();
        return { summary, length, torn: firstFault && (await cutTail(path, fullLength, length, firstFault)) };
      } catch (err) {
        if (!(err instanceof RecordVerifyError) || err.offset === undefined) throw err;
        fault = { offset: err.offset, sequence: err.sequence ?? verifier.nextSequence, reason: err.message };
      }
    }
    firstFault = firstFault ? { ...firstFault, sequence: Math.min(firstFault.sequence, fault.sequence) } : fault;
    firstFault.offset = fault.offset;
    length = fault.offset;
  }
  throw new Error(`${path}: more than ${MAX_CUTS} damaged entries at the end of the record; this is not a torn write, refusing to cut (first fault: ${firstFault?.reason})`);
}

async function cutTail(path: string, fullLength: number, length: number, fault: { sequence: number; reason: string }): Promise<TornTail> {
  const dir = join(path, '..', TORN_DIR);
  await mkdir(dir, { recursive: true });
  const savedTo = join(dir, `from-entry-${fault.sequence}-byte-${length}-${Date.now()}.bin`);
  const source = await open(path, 'r');
  const tail = Buffer.alloc(fullLength - length);
  try {
    await source.read(tail, 0, tail.length, length);
  } finally {
    await source.close();
  }
  const saved = await open(savedTo, 'wx');
  try {
    await saved.write(tail);
    await saved.sync();
  } finally {
    await saved.close();
  }
  await fsyncDir(dir);
  const file = await open(path, 'r+');
  try {
    await file.truncate(length);
    await file.sync();
  } finally {
    await file.close();
  }
  return { sequence: fault.sequence, offset: length, bytesCut: fullLength - length, reason: fault.reason, savedTo };
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
