// Builds an entry bundle (docs/entry-bundle.md) from a whole OAR record: what `pantheon oar
// prove` calls. The record is read as a stream and its links checked on the way (a bundle is
// never made from a broken record); it keeps the entries' leaf hashes (32 bytes each), the key
// changes and the checkpoints' commitment bundles, and reads the record a second time only to
// find the intent of a proven outcome.
import { consistencyProof, inclusionProof, rootOf } from '../protocol/merkle.ts';
import { parseStrictJson } from '../protocol/strict-json.ts';
import type { ParsedEntry, RecordHeader, RecordItem } from '../oar/record.ts';
import { RecordVerifier } from '../oar/verify.ts';
import { ENTRY_BUNDLE_VERSION, entryBundleToJson, type IncludedEntry } from './entry-bundle.ts';
import { consistencyProofToJson } from './consistency.ts';

/** Reads the record's items from the start; called again for a second pass. */
export type RecordSource = () => AsyncIterable<RecordItem>;

export interface ProveOptions {
  /** Leave out the payloads of the entry and its partner (their hashes stay in the entries). */
  redact?: boolean;
}

/** Why no bundle can be made (an entry not yet anchored, a partial export): a usage-level fault. */
export class ProveError extends Error {
  override name = 'ProveError';
}

interface Anchored {
  size: number;
  bundle: unknown;
}

/** A whole record read once with its links checked: its ids, founding key and every entry's leaf hash. */
interface WholeRecord {
  chainId: string;
  logId: string;
  /** A whole record's header key opened the log (the verifier checks it against the log id). */
  foundingKey: Uint8Array;
  leaves: Uint8Array[];
  nextSequence: number;
}

/** Reads a whole record (from entry 0) through RecordVerifier, handing each item to `onItem`. */
async function readWholeRecord(source: RecordSource, what: string, onItem: (item: RecordItem) => void = () => {}): Promise<WholeRecord> {
  const leaves: Uint8Array[] = [];
  const verifier = new RecordVerifier({ signatures: 'last', onLeaf: (leaf) => leaves.push(leaf) });
  let header: RecordHeader | undefined;
  for await (const item of source()) {
    verifier.push(item);
    if (item.type === 'header') {
      if (item.header.firstSequence !== 0) throw new ProveError(`the record starts at entry ${item.header.firstSequence}: ${what} needs the whole record from entry 0`);
      header = item.header;
    }
    onItem(item);
  }
  const { nextSequence } = verifier.finish();
  return { chainId: header!.chainId, logId: header!.logId, foundingKey: header!.publicKey, leaves, nextSequence };
}

export async function assembleEntryBundle(source: RecordSource, sequence: number, options: ProveOptions = {}): Promise<Record<string, unknown>> {
  const keyChanges: ParsedEntry[] = [];
  const anchored: Anchored[] = [];
  let target: ParsedEntry | undefined;
  let outcome: ParsedEntry | undefined;
  const record = await readWholeRecord(source, 'an entry bundle (its paths cover every entry)', (item) => {
    if (item.type === 'entry') {
      const e = item.signed.entry;
      if (e.kind === 'key-change') keyChanges.push(item);
      if (e.sequence === sequence) target = item;
      if (target && !outcome && e.kind === 'outcome' && e.intentSequence === sequence && target.signed.entry.kind === 'intent') outcome = item;
    } else if (item.type === 'bundle') {
      const bundle = parseStrictJson(new TextDecoder().decode(item.bundle), `commitment bundle of checkpoint ${item.size}`);
      // Only an anchored commitment carries the proof down to Bitcoin; a finality-only one is superseded.
      if (typeof bundle === 'object' && bundle !== null && 'anchor' in bundle) anchored.push({ size: item.size, bundle });
    }
  });
  if (!target) throw new ProveError(`the record has no entry ${sequence}: it holds entries 0 to ${record.nextSequence - 1}`);
  const e = target.signed.entry;
  let partner: ParsedEntry | undefined = outcome;
  if (e.kind === 'outcome') partner = await findEntry(source, e.intentSequence);

  anchored.sort((a, b) => a.size - b.size);
  const covering = (n: number) => anchored.find((a) => a.size > n);
  const forEntry = covering(sequence);
  if (!forEntry) {
    const last = anchored.at(-1);
    throw new ProveError(`entry ${sequence} is not yet under an anchored checkpoint (${last ? `the largest anchored size is ${last.size}` : 'the record has no anchored checkpoint yet'}); run pantheon oar checkpoint and wait for the anchor`);
  }
  // The first anchored checkpoint covering both; when the partner is beyond every one, prove the entry alone.
  const both = partner ? covering(Math.max(sequence, partner.signed.entry.sequence)) : undefined;
  const chosen = both ?? forEntry;
  if (!both) partner = undefined;
  const S = chosen.size;
  const tree = record.leaves.slice(0, S);
  const highest = Math.max(sequence, partner?.signed.entry.sequence ?? 0);
  const included = (item: ParsedEntry, withPayload: boolean): IncludedEntry => ({
    signedEntry: item.signedBytes,
    ...(withPayload && item.payload ? { payload: { salt: item.payload.salt, bytes: item.payload.bytes } } : {}),
    path: inclusionProof(tree, item.signed.entry.sequence),
  });
  return entryBundleToJson({
    version: ENTRY_BUNDLE_VERSION,
    chainId: record.chainId,
    logId: e.logId,
    foundingKey: record.foundingKey,
    checkpointSize: S,
    entry: included(target, !options.redact),
    ...(partner ? { partner: included(partner, !options.redact) } : {}),
    keyChanges: keyChanges.filter((k) => k.signed.entry.sequence < highest).map((k) => included(k, false)),
    commitmentBundle: chosen.bundle,
  });
}

async function findEntry(source: RecordSource, sequence: number): Promise<ParsedEntry | undefined> {
  for await (const item of source()) if (item.type === 'entry' && item.signed.entry.sequence === sequence) return item;
  return undefined;
}

/**
 * The consistency proof file (docs/consistency-proof.md) between two sizes of a whole record,
 * from the record's own entries: what `pantheon oar prove-consistency` writes for
 * `pantheon verify later.json --earlier earlier.json --consistency file`.
 */
export async function assembleConsistencyProof(source: RecordSource, fromSize: number, toSize: number): Promise<Record<string, unknown>> {
  const { logId, leaves } = await readWholeRecord(source, 'a consistency proof');
  if (!(fromSize >= 1 && fromSize < toSize)) throw new ProveError(`--from must be at least 1 and below --to (got ${fromSize} and ${toSize})`);
  if (toSize > leaves.length) throw new ProveError(`the record holds ${leaves.length} entries, fewer than --to ${toSize}`);
  const tree = leaves.slice(0, toSize);
  return consistencyProofToJson({ logId, fromSize: BigInt(fromSize), fromRoot: rootOf(tree, 0, fromSize), toSize: BigInt(toSize), toRoot: rootOf(tree), proof: consistencyProof(tree, fromSize) });
}
