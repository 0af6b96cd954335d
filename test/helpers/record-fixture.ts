// Whole records for the record audit (docs/record-audit.md): entries by three actors (intents
// and their outcomes, some failed, some intents left open, some payloads withheld), a
// checkpoint frame every N entries, and up to three of those checkpoints committed on the proof
// fixture's chain (test/helpers/bundle-fixture.ts: real transactions, blocks, certificates),
// each after the first with the consistency proof from the one before, all anchored by the real
// Anchorer on a bcoin regtest node; their commitment bundles are stored in the record a few
// entries after their checkpoints, as the checkpointer stores them once anchored.
//
// `node --import tsx test/helpers/record-fixture.ts` regenerates docs/vectors/record-audit.json.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64 } from '@scure/base';
import { bytesToHex, concatBytes, ZERO_HASH } from '../../protocol/bytes.ts';
import { addressOf } from '../../protocol/keys.ts';
import { consistencyProof, inclusionProof, leafHash, rootOf } from '../../protocol/merkle.ts';
import { commitmentLeaf } from '../../protocol/tx.ts';
import { blockHash } from '../../protocol/block.ts';
import { certificateFromVotes, encodeCertificate } from '../../protocol/certificate.ts';
import { signVote } from '../../protocol/vote.ts';
import { encodeSignedEntry, entryHash, entryLeafHash, nobleSignDeterministic, payloadHash, signEntry, type Entry, type MlDsa65Sign } from '../../oar/entry.ts';
import { canonicalJsonBytes } from '../../oar/jcs.ts';
import { encodeBundleFrame, encodeCheckpointFrame, encodeEntryFrame, encodeRecordHeader } from '../../oar/record.ts';
import { assembleBundle } from '../../light-client/assemble.ts';
import type { AnchorAttestation } from '../../anchor/anchorer.ts';
import { anchorOnRegtest, fixtureChain, signersFor, FIXTURE_ANCHORED_H, FIXTURE_CHAIN_ID, type FixtureChain } from './bundle-fixture.ts';
import { founding } from './entry-fixture.ts';

export const AUDIT_VECTORS_PATH = path.join(import.meta.dirname, '..', '..', 'docs', 'vectors', 'record-audit.json');
export const AUDIT_LOG_NAME = 'ledger';
export const AUDIT_LOG_ID = `${addressOf(founding.publicKey)}/${AUDIT_LOG_NAME}`;
export { founding as auditFoundingKey };
const T0 = 1_793_491_000_000; // before the fixture chain's genesis: every entry precedes its commitments

const ACTORS = [
  ['credit-agent', 'v3'],
  ['fraud-screen', 'v1'],
  ['letter-writer', 'v2'],
] as const;

export interface AuditRecordSpec {
  entries: number;
  /** A checkpoint frame after every `checkpointEvery` entries. */
  checkpointEvery: number;
  /** Checkpoint sizes (ascending, at most 3) committed on the chain and anchored; their bundles are stored. */
  anchored: number[];
  /** Entries written after a checkpoint before its bundle frame (the time anchoring takes); 0 puts it right after. */
  bundleDelay: number;
  sign: MlDsa65Sign;
  /** Every n-th entry is written with its payload withheld (0: none). */
  withholdEvery?: number;
  /** Every n-th pair leaves its intent open (default 40). */
  openEvery?: number;
}

export interface FramePlace {
  type: 'entry' | 'checkpoint' | 'bundle';
  /** The entry's sequence, or the checkpoint's size. */
  n: number;
  offset: number;
  length: number;
  kind?: Entry['kind'];
  /** Entries: bytes of body and signature, which start 5 bytes into the frame. */
  signedLength?: number;
}

export interface AuditRecord {
  record: Uint8Array;
  frames: FramePlace[];
  chain: FixtureChain;
  genesisText: string;
  checkpointSizes: number[];
  openIntents: number[];
}

/** The entries of a record by the rules above; yields each entry frame and its leaf hash. */
export function* auditEntries(spec: Pick<AuditRecordSpec, 'entries' | 'sign' | 'withholdEvery' | 'openEvery'>, logId = AUDIT_LOG_ID, chainId = FIXTURE_CHAIN_ID): Generator<{ frame: Uint8Array; leaf: Uint8Array; entry: Entry; open: boolean; signedLength: number }> {
  let prev: Uint8Array = ZERO_HASH;
  const queue: { sequence: number; actor: number }[] = [];
  const openEvery = spec.openEvery ?? 40;
  for (let i = 0; i < spec.entries; i++) {
    const salt = sha256(new TextEncoder().encode(`record fixture salt ${i}`));
    let fields: Partial<Entry> & { kind: Entry['kind'] };
    let actor: number;
    let payload: unknown;
    let leftOpen = false;
    if (i % 2 === 1 && queue.length > 0) {
      const intent = queue.shift()!;
      actor = intent.actor;
      const failed = i % 13 === 0;
      fields = { kind: 'outcome', intentSequence: intent.sequence, status: failed ? 'failed' : 'done' };
      payload = failed ? { error: 'bureau timeout', retry: true } : { letter: 'sent', ref: `L-${intent.sequence}` };
    } else {
      actor = (i >> 1) % ACTORS.length;
      fields = { kind: 'intent' };
      payload = { applicant: `A-${i}`, inputs: { income: 30000 + (i % 70) * 1000, score: 550 + (i % 250) }, proposal: i % 3 === 0 ? 'deny' : 'approve' };
      leftOpen = i % 2 === 0 && (i >> 1) % openEvery === openEvery - 1;
      if (!leftOpen) queue.push({ sequence: i, actor });
    }
    const bytes = canonicalJsonBytes(payload);
    const entry = { logId, sequence: i, prevHash: prev, timeMs: T0 + 10 * i, actor: ACTORS[actor][0], actorVersion: ACTORS[actor][1], payloadHash: payloadHash(chainId, salt, bytes), ...fields } as Entry;
    const signed = encodeSignedEntry(signEntry(chainId, entry, founding.secretKey, spec.sign));
    prev = entryHash(chainId, signed);
    const withheld = spec.withholdEvery ? i % spec.withholdEvery === spec.withholdEvery - 1 : false;
    yield { frame: encodeEntryFrame(signed, withheld ? undefined : { salt, bytes }), leaf: entryLeafHash(prev), entry, open: leftOpen, signedLength: signed.length };
  }
}

/** The bundle of the commitment at `index` of the fixture chain's commitment log, anchored by the attestation of block H. */
export function bundleOfLogIndex(chain: FixtureChain, index: number, attestation: AnchorAttestation): Record<string, unknown> {
  const { tx, height } = chain.log[index];
  const leaves = chain.log.filter((e) => e.height <= height).map((e) => leafHash(commitmentLeaf(FIXTURE_CHAIN_ID, e.tx)));
  const header = chain.headers[height - 1];
  const votes = Array.from({ length: signersFor(chain.validators.length) }, (_, i) =>
    signVote({ chainId: FIXTURE_CHAIN_ID, type: 'precommit', height: header.height, round: 0, blockHash: blockHash(header), validatorIndex: i }, chain.validators[i].secretKey, true),
  );
  return assembleBundle({
    genesis: chain.genesis,
    commitmentTx: tx,
    leafIndex: index,
    logSize: leaves.length,
    inclusionPath: inclusionProof(leaves, index),
    headers: chain.encodedHeaders.slice(height - 1, FIXTURE_ANCHORED_H),
    certificate: encodeCertificate(certificateFromVotes(votes)),
    attestation,
  });
}

/** Builds the record, commits and anchors its chosen checkpoints, stores their bundles. */
export async function buildAuditRecord(spec: AuditRecordSpec, anchor: (chain: FixtureChain) => Promise<AnchorAttestation> = (c) => anchorOnRegtest(c)): Promise<AuditRecord> {
  const frames: Uint8Array[] = [];
  const leaves: Uint8Array[] = [];
  const openIntents: number[] = [];
  const kinds: { kind: Entry['kind']; signedLength: number }[] = [];
  for (const e of auditEntries(spec)) {
    frames.push(e.frame);
    leaves.push(e.leaf);
    kinds.push({ kind: e.entry.kind, signedLength: e.signedLength });
    if (e.open) openIntents.push(e.entry.sequence);
  }
  const checkpointSizes: number[] = [];
  for (let s = spec.checkpointEvery; s <= spec.entries; s += spec.checkpointEvery) checkpointSizes.push(s);
  for (const s of spec.anchored) if (!checkpointSizes.includes(s)) throw new Error(`fixture: anchored size ${s} is not a checkpoint`);
  const commitments = spec.anchored.map((size, i) => {
    const previousSize = i === 0 ? 0 : spec.anchored[i - 1];
    return { size, root: rootOf(leaves, 0, size), previousSize, consistencyProof: previousSize === 0 ? [] : consistencyProof(leaves.slice(0, size), previousSize) };
  });
  const chain = fixtureChain({ recordHistory: { name: AUDIT_LOG_NAME, commitments } });
  const bundles = new Map<number, Uint8Array>();
  if (commitments.length) {
    const attestation = await anchor(chain);
    const logId = AUDIT_LOG_ID;
    chain.log.forEach((e, index) => {
      // The record's commitments, in order: find them by their log id in the transaction bytes.
      if (!bytesToHex(e.tx).includes(bytesToHex(new TextEncoder().encode(logId)))) return;
      const size = commitments[bundles.size].size;
      bundles.set(size, new TextEncoder().encode(JSON.stringify(bundleOfLogIndex(chain, index, attestation))));
    });
    if (bundles.size !== commitments.length) throw new Error(`fixture: found ${bundles.size} record commitments on the chain, expected ${commitments.length}`);
  }
  // Assemble the file, noting where every frame is.
  const parts: Uint8Array[] = [encodeRecordHeader({ chainId: FIXTURE_CHAIN_ID, logId: AUDIT_LOG_ID, firstSequence: 0, prevHash: ZERO_HASH, publicKey: founding.publicKey })];
  const places: FramePlace[] = [];
  let offset = parts[0].length;
  const put = (type: FramePlace['type'], n: number, bytes: Uint8Array, about?: { kind: Entry['kind']; signedLength: number }) => {
    parts.push(bytes);
    places.push({ type, n, offset, length: bytes.length, ...about });
    offset += bytes.length;
  };
  const due = new Map<number, number[]>(); // entry after which a bundle is written -> sizes
  for (const size of spec.anchored) {
    const after = Math.min(size - 1 + spec.bundleDelay, spec.entries - 1);
    due.set(after, [...(due.get(after) ?? []), size]);
  }
  frames.forEach((frame, i) => {
    put('entry', i, frame, kinds[i]);
    if ((i + 1) % spec.checkpointEvery === 0) put('checkpoint', i + 1, encodeCheckpointFrame(i + 1, rootOf(leaves, 0, i + 1)));
    for (const size of due.get(i) ?? []) put('bundle', size, encodeBundleFrame(size, bundles.get(size)!));
  });
  return { record: concatBytes(...parts), frames: places, chain, genesisText: JSON.stringify(chain.genesisJson), checkpointSizes, openIntents };
}

// ---- docs/vectors/record-audit.json -------------------------------------------------------------

/** A byte splice: at `offset`, remove `remove` bytes and put `insert` (hex) there. Applied in order. */
export interface Splice {
  offset: number;
  remove: number;
  insert: string;
}

export interface AuditVectorCase {
  description: string;
  /** Splices applied, in order, to the vectors' record. */
  edits: Splice[];
  /** A log id the auditor pins (optional). */
  logId?: string;
  expect: 'ok' | { step: string; sequence: number | null };
  /** ok cases: the counts the audit reports. */
  counts?: { entries: number; checkpoints: number; anchored: number; lastAnchoredSize: number; entriesAfterLastAnchored: number; payloadsWithheld: number; openIntents: number[]; root: string };
}

export interface AuditVectors {
  description: string;
  genesis: Record<string, unknown>;
  nowMs: number;
  /** The valid record, base64. */
  record: string;
  cases: AuditVectorCase[];
}

export function applySplices(record: Uint8Array, edits: Splice[]): Uint8Array {
  let out = record;
  for (const e of edits) {
    const insert = Uint8Array.from(Buffer.from(e.insert, 'hex'));
    out = concatBytes(out.subarray(0, e.offset), insert, out.subarray(e.offset + e.remove));
  }
  return out;
}

/** The structural cases (docs/record-audit.md, "Absence is conspicuous") for a built record. */
export function structuralCases(built: AuditRecord): AuditVectorCase[] {
  const r = built.record;
  const hex = (a: number, b: number) => Buffer.from(r.subarray(a, b)).toString('hex');
  const entry = (n: number) => built.frames.find((f) => f.type === 'entry' && f.n === n)!;
  const at = (f: FramePlace) => ({ start: f.offset, end: f.offset + f.length });
  const flip = (offset: number): Splice => ({ offset, remove: 1, insert: (r[offset] ^ 0x01).toString(16).padStart(2, '0') });
  const cut = (from: number, to: number): Splice => ({ offset: from, remove: to - from, insert: '' });
  const anchoredCp = built.frames.filter((f) => f.type === 'checkpoint' && built.frames.some((b) => b.type === 'bundle' && b.n === f.n)).pop()!;
  // An intent followed directly by its own outcome.
  const intent = built.frames.find((f, i) => f.type === 'entry' && f.kind === 'intent' && built.frames[i + 1]?.type === 'entry' && built.frames[i + 1].kind === 'outcome')!;
  const outcome = entry(intent.n + 1);
  const k = 5;
  const e5 = at(entry(k));
  const e6 = at(entry(k + 1));
  const last = built.frames[built.frames.length - 1];
  const cpLast = at(anchoredCp);
  // The entries just before the anchored checkpoint, without the checkpoint and bundle frames after them.
  const cutFrom = entry(anchoredCp.n - 3).offset;
  const cases: AuditVectorCase[] = [
    { description: `entry ${k} deleted`, edits: [cut(e5.start, e5.end)], expect: { step: 'sequence', sequence: k } },
    { description: `entry ${k} duplicated (written twice)`, edits: [{ offset: e6.start, remove: 0, insert: hex(e5.start, e5.end) }], expect: { step: 'sequence', sequence: k + 1 } },
    { description: `entries ${k} and ${k + 1} swapped`, edits: [cut(e5.start, e6.end), { offset: e5.start, remove: 0, insert: hex(e6.start, e6.end) + hex(e5.start, e5.end) }], expect: { step: 'sequence', sequence: k } },
    { description: `entry ${k + 1} inserted again after entry ${k + 2} (an entry from elsewhere)`, edits: [{ offset: at(entry(k + 2)).end, remove: 0, insert: hex(e6.start, e6.end) }], expect: { step: 'sequence', sequence: k + 3 } },
    { description: `outcome ${outcome.n} moved before its intent ${intent.n}`, edits: [cut(intent.offset, outcome.offset + outcome.length), { offset: intent.offset, remove: 0, insert: hex(outcome.offset, outcome.offset + outcome.length) + hex(intent.offset, intent.offset + intent.length) }], expect: { step: 'sequence', sequence: intent.n } },
    { description: `the record cut short below its anchored checkpoint of size ${anchoredCp.n}: entries ${anchoredCp.n - 3}-${anchoredCp.n - 1} removed, the checkpoint frame kept`, edits: [cut(cutFrom, cpLast.start)], expect: { step: 'missing-entries', sequence: anchoredCp.n - 3 } },
    { description: 'the record cut inside its last frame', edits: [cut(last.offset + last.length - 10, last.offset + last.length)], expect: { step: 'format', sequence: last.type === 'entry' ? last.n : built.frames.filter((f) => f.type === 'entry').length } },
    { description: `a byte of intent ${intent.n}'s signature changed`, edits: [flip(intent.offset + 5 + intent.signedLength! - 100)], expect: { step: 'signature', sequence: intent.n } },
    { description: `a byte of the checkpoint root of size ${anchoredCp.n} changed`, edits: [flip(cpLast.end - 1)], expect: { step: 'checkpoint', sequence: anchoredCp.n - 1 } },
  ];
  const bundle = built.frames.find((f) => f.type === 'bundle')!;
  // A byte inside the stored commitment bundle's certificate text: the JSON stays JSON, the bundle no longer verifies.
  const bundleText = new TextDecoder().decode(r.subarray(bundle.offset + 5 + 8 + 4, bundle.offset + bundle.length));
  const certAt = bundleText.indexOf('"certificate":"') + '"certificate":"'.length + 200;
  const ch = bundleText[certAt];
  cases.push({ description: `a character of the stored commitment bundle of size ${bundle.n} changed (its certificate)`, edits: [{ offset: bundle.offset + 5 + 8 + 4 + certAt, remove: 1, insert: Buffer.from(ch === 'A' ? 'B' : 'A').toString('hex') }], expect: { step: 'commitment-bundle', sequence: bundle.n - 1 } });
  // The bundle of the second anchored checkpoint relabelled as the first's: a verified commitment of another size.
  const bundles = built.frames.filter((f) => f.type === 'bundle');
  const [b1, b2] = bundles;
  const u64 = (n: number) => n.toString(16).padStart(16, '0');
  cases.push({ description: `the stored bundle of checkpoint ${b2.n} relabelled as the bundle of checkpoint ${b1.n}`, edits: [{ offset: b2.offset + 5, remove: 8, insert: u64(b1.n) }], expect: { step: 'commitment-match', sequence: b1.n - 1 } });
  // The first anchored checkpoint and its bundle taken out: the next commitment extends a size the record no longer shows.
  const cp1 = built.frames.find((f) => f.type === 'checkpoint' && f.n === b1.n)!;
  cases.push({ description: `checkpoint ${b1.n} and its bundle removed: the commitment at ${b2.n} extends size ${b1.n}, which the record no longer checkpoints`, edits: [cut(b1.offset, b1.offset + b1.length), cut(cp1.offset, cp1.offset + cp1.length)], expect: { step: 'consistency', sequence: b2.n - 1 } });
  // The log id the auditor pins is not the record's.
  cases.push({ description: 'the auditor pins another log of the same owner', edits: [], logId: AUDIT_LOG_ID.replace(/\/.*$/, '/other'), expect: { step: 'header', sequence: 0 } });
  return cases;
}

export async function writeAuditVectors(): Promise<void> {
  const { auditRecord } = await import('../../light-client/verify-record.ts');
  const spec: AuditRecordSpec = { entries: 16, checkpointEvery: 4, anchored: [4, 8, 12], bundleDelay: 1, sign: nobleSignDeterministic, withholdEvery: 7, openEvery: 3 };
  const built = await buildAuditRecord(spec, (c) => anchorOnRegtest(c, (l) => console.log(l)));
  const nowMs = Date.now();
  const cases: AuditVectorCase[] = [{ description: 'a whole record of 16 entries: checkpoints at 4, 8, 12 and 16; 4, 8 and 12 committed and anchored on regtest, 16 not; payloads 6 and 13 withheld', edits: [], expect: 'ok' }, ...structuralCases(built)];
  const vectors: AuditVectors = {
    description: 'Whole-record audits (docs/record-audit.md): one valid record with anchored checkpoints and cases made from it by byte splices ({offset, remove, insert} applied in order); each names the step that must fail and the sequence number it must name.',
    genesis: built.chain.genesisJson,
    nowMs,
    record: base64.encode(built.record),
    cases,
  };
  // Every case is checked before the file is written.
  for (const c of cases) {
    const r = await auditRecord([applySplices(built.record, c.edits)], { genesis: built.genesisText, nowMs, logId: c.logId });
    if (c.expect === 'ok') {
      if (!r.ok) throw new Error(`vector "${c.description}" should verify: ${r.failure?.step} at ${r.failure?.sequence}: ${r.failure?.detail}`);
      c.counts = { entries: r.entries, checkpoints: r.checkpoints.length, anchored: r.anchoredCheckpoints, lastAnchoredSize: r.lastAnchoredSize, entriesAfterLastAnchored: r.entriesAfterLastAnchored, payloadsWithheld: r.payloadsWithheld, openIntents: r.openIntents.map((o) => o.sequence), root: r.root! };
    } else if (r.ok || r.failure!.step !== c.expect.step || (r.failure!.sequence ?? null) !== c.expect.sequence) {
      throw new Error(`vector "${c.description}" should fail at ${c.expect.step}, entry ${c.expect.sequence}; got ${r.ok ? 'ok' : `${r.failure!.step} at ${r.failure!.sequence}: ${r.failure!.detail}`}`);
    }
  }
  writeFileSync(AUDIT_VECTORS_PATH, JSON.stringify(vectors, null, 2) + '\n');
  console.log(`wrote ${AUDIT_VECTORS_PATH}: ${cases.length} cases, record ${built.record.length} bytes`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeAuditVectors().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
