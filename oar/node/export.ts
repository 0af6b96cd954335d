// Export (docs/oar.md, "Record file and export"): copies a record, whole or from a sequence
// number, with payloads or with every payload withheld, into one file an auditor needs nothing
// else to read. The source is read as a snapshot while its writer may keep appending; every
// link is checked on the way, so a damaged record is never exported as if it were whole.
// Node-side.
import { existsSync, statSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { encodeSignedEntry, entryHash } from '../entry.ts';
import { encodeBundleFrame, encodeCheckpointFrame, encodeEntryFrame, encodeRecordHeader } from '../record.ts';
import { RecordVerifier, type RecordSummary } from '../verify.ts';
import { fsyncDir, readRecordFile, recordPath } from './record-file.ts';

export interface ExportOptions {
  /** First sequence number to export (0: the whole record). */
  since?: number;
  /** Withhold every payload (the entries still verify: each keeps its payload hash). */
  redact?: boolean;
  /** The chain id the record must be for. */
  chainId?: string;
}

export interface ExportResult {
  entries: number;
  firstSequence: number;
  nextSequence: number;
  bytes: number;
  payloadsWithheld: number;
  /** Bytes of a frame the writer was still appending, left out of the snapshot. */
  partialTailBytes: number;
}

/** `source` is a record directory or a record file (an earlier export works too). */
export async function exportRecord(source: string, outPath: string, options: ExportOptions = {}): Promise<ExportResult> {
  const path = existsSync(source) && statSync(source).isDirectory() ? recordPath(source) : source;
  const since = options.since ?? 0;
  if (!Number.isSafeInteger(since) || since < 0) throw new RangeError(`since: ${since} is not a sequence number`);
  const verifier = new RecordVerifier({ chainId: options.chainId, signatures: 'all' });
  const tmp = join(dirname(outPath), `.${basename(outPath)}.${process.pid}.tmp`);
  const out = await open(tmp, 'w', 0o644);
  let bytes = 0;
  let entries = 0;
  let withheld = 0;
  let wroteHeader = false;
  let firstSequence = since;
  const checkpointsWritten = new Set<number>();
  const emit = async (data: Uint8Array) => {
    await out.write(data);
    bytes += data.length;
  };
  try {
    const items = readRecordFile(path, { allowPartialTail: true });
    let header: { chainId: string; logId: string } | undefined;
    let key: Uint8Array | undefined;
    let prev: Uint8Array | undefined;
    let step = await items.next();
    for (; !step.done; step = await items.next()) {
      const item = step.value;
      verifier.push(item);
      if (item.type === 'header') {
        header = item.header;
        key = item.header.publicKey;
        prev = item.header.prevHash;
        if (since < item.header.firstSequence) throw new RangeError(`since: the source starts at entry ${item.header.firstSequence}, not ${since}`);
        continue;
      }
      if (item.type === 'entry') {
        const e = item.signed.entry;
        if (e.sequence >= since) {
          if (!wroteHeader) {
            // The header carries the key in force and the chain link at the first exported entry.
            await emit(encodeRecordHeader({ chainId: header!.chainId, logId: header!.logId, firstSequence: since, prevHash: prev!, publicKey: key! }));
            wroteHeader = true;
          }
          const payload = options.redact ? undefined : item.payload;
          if (!payload) withheld++;
          await emit(encodeEntryFrame(encodeSignedEntry(item.signed), payload));
          entries++;
        }
        prev = entryHash(header!.chainId, item.signedBytes);
        if (e.kind === 'key-change') key = e.newPublicKey;
      } else if (wroteHeader && item.type === 'checkpoint') {
        await emit(encodeCheckpointFrame(item.size, item.root));
        checkpointsWritten.add(item.size);
      } else if (item.type === 'bundle' && checkpointsWritten.has(item.size)) {
        // A bundle goes with its checkpoint: one for a checkpoint before the export's start stays out.
        await emit(encodeBundleFrame(item.size, item.bundle));
      }
    }
    const summary: RecordSummary = verifier.finish();
    if (!wroteHeader) {
      if (since > summary.nextSequence) throw new RangeError(`since: the record has ${summary.nextSequence} entries, none from ${since}`);
      firstSequence = summary.nextSequence;
      await emit(encodeRecordHeader({ chainId: summary.chainId, logId: summary.logId, firstSequence, prevHash: summary.headHash, publicKey: summary.publicKey }));
    }
    await out.sync();
    await out.close();
    await rename(tmp, outPath);
    await fsyncDir(dirname(outPath));
    return { entries, firstSequence, nextSequence: summary.nextSequence, bytes, payloadsWithheld: withheld, partialTailBytes: step.value.partialTailBytes };
  } catch (err) {
    await out.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
