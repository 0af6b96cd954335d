// Entry-bundle vectors (docs/entry-bundle.md): a six-entry OAR record of log <operator>/loans,
// its root committed by the proof fixture's chain (test/helpers/bundle-fixture.ts) and
// anchored by the real Anchorer on a real bcoin regtest node; bundles made from the record by
// assembleEntryBundle, and one-change negative cases.
//
// `node --import tsx test/helpers/entry-fixture.ts` regenerates docs/vectors/entry-bundle.json
// (the Bitcoin part comes from a fresh regtest chain, so its hashes change on every run).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64 } from '@scure/base';
import { concatBytes, ZERO_HASH } from '../../protocol/bytes.ts';
import { addressOf, keyPairFromSeed, type KeyPair } from '../../protocol/keys.ts';
import { rootOf } from '../../protocol/merkle.ts';
import { encodeSignedEntry, entryHash, entryLeafHash, nobleSignDeterministic, payloadHash, signEntry, type Entry } from '../../oar/entry.ts';
import { canonicalJsonBytes } from '../../oar/jcs.ts';
import { encodeBundleFrame, encodeCheckpointFrame, encodeEntryFrame, encodeRecordHeader, readRecord } from '../../oar/record.ts';
import { assembleEntryBundle } from '../../light-client/assemble-entry.ts';
import { verifyEntryBundle } from '../../light-client/verify-entry.ts';
import { anchorOnRegtest, applyPatch, fixtureBundle, fixtureChain, FIXTURE_CHAIN_ID, flipBit } from './bundle-fixture.ts';

export const ENTRY_VECTORS_PATH = path.join(import.meta.dirname, '..', '..', 'docs', 'vectors', 'entry-bundle.json');
const seed = (label: string) => sha256(new TextEncoder().encode(`pantheon proof fixture: ${label}`));
/** The proof fixture's operator: the founding key of the log. */
export const founding = keyPairFromSeed(seed('operator'));
export const second = keyPairFromSeed(seed('operator second key'));
export const LOG_NAME = 'loans';
export const LOG_ID = `${addressOf(founding.publicKey)}/${LOG_NAME}`;
const T0 = 1_793_491_100_000; // before the fixture chain's genesis time, so every entry precedes its commitment

interface Spec {
  fields: Partial<Entry> & Pick<Entry, 'kind'> & Record<string, unknown>;
  payload: unknown;
  key: KeyPair;
}

/** Entry 1 changes the key, so 2-5 are signed by the second key; 5 is an intent still open. */
const SPECS: Spec[] = [
  { fields: { kind: 'intent' }, payload: { applicant: 'A-17', inputs: { income: 41000, score: 612 }, proposal: 'deny', reason: 'score below 640' }, key: founding },
  { fields: { kind: 'key-change', actor: 'operator', actorVersion: 'ops-1', newPublicKey: second.publicKey }, payload: { reason: 'scheduled rotation' }, key: founding },
  { fields: { kind: 'outcome', intentSequence: 0, status: 'done' }, payload: { letter: 'sent', ref: 'L-2041' }, key: second },
  { fields: { kind: 'intent' }, payload: { applicant: 'A-18', inputs: { income: 88000, score: 731 }, proposal: 'approve' }, key: second },
  { fields: { kind: 'outcome', intentSequence: 3, status: 'done' }, payload: { account: 'AC-9921', approved: 25000 }, key: second },
  { fields: { kind: 'intent' }, payload: { applicant: 'A-19', proposal: 'refer' }, key: second },
];

export interface EntryVectorCase {
  description: string;
  input: { bundle?: Record<string, unknown>; base?: number; patch?: { op: 'replace' | 'remove' | 'add'; path: string; value?: unknown }[] };
  expect: 'ok' | { failedStep: string };
  /** ok cases: what the bundle proves. */
  proven?: { sequence: number; kind: string; partner: number | null };
}

export interface EntryVectors {
  description: string;
  genesis: Record<string, unknown>;
  nowMs: number;
  /** The whole record file (base64), with its checkpoint and anchored commitment bundle. */
  record: string;
  cases: EntryVectorCase[];
}

/** The record's entries and frames (deterministic signing, fixed salts and times). */
export function recordEntries(): { frames: Uint8Array[]; leaves: Uint8Array[] } {
  let prev: Uint8Array = ZERO_HASH;
  const frames: Uint8Array[] = [];
  const leaves: Uint8Array[] = [];
  SPECS.forEach((spec, i) => {
    const salt = new Uint8Array(32).fill(0xb0 + i);
    const payload = canonicalJsonBytes(spec.payload);
    const entry = { logId: LOG_ID, sequence: i, prevHash: prev, timeMs: T0 + 1000 * i, actor: 'credit-agent', actorVersion: 'v3', payloadHash: payloadHash(FIXTURE_CHAIN_ID, salt, payload), ...spec.fields } as Entry;
    const signedBytes = encodeSignedEntry(signEntry(FIXTURE_CHAIN_ID, entry, spec.key.secretKey, nobleSignDeterministic));
    prev = entryHash(FIXTURE_CHAIN_ID, signedBytes);
    leaves.push(entryLeafHash(prev));
    frames.push(encodeEntryFrame(signedBytes, { salt, bytes: payload }));
  });
  return { frames, leaves };
}

export function recordFile(frames: Uint8Array[], extra: Uint8Array[] = []): Uint8Array {
  return concatBytes(encodeRecordHeader({ chainId: FIXTURE_CHAIN_ID, logId: LOG_ID, firstSequence: 0, prevHash: ZERO_HASH, publicKey: founding.publicKey }), ...frames, ...extra);
}

export function entryCaseBundle(vectors: EntryVectors, c: EntryVectorCase): unknown {
  if (c.input.bundle) return c.input.bundle;
  return applyPatch(entryCaseBundle(vectors, vectors.cases[c.input.base!]), c.input.patch ?? []);
}

export async function writeEntryVectors(): Promise<void> {
  const { frames, leaves } = recordEntries();
  const size = frames.length;
  const chain = fixtureChain({ record: { name: LOG_NAME, size, root: rootOf(leaves) } });
  const attestation = await anchorOnRegtest(chain, (line) => console.log(line));
  const commitmentBundle = fixtureBundle(chain, attestation);
  const record = recordFile(frames, [encodeCheckpointFrame(size, rootOf(leaves)), encodeBundleFrame(size, new TextEncoder().encode(JSON.stringify(commitmentBundle)))]);
  const source = () => readRecord([record]);
  const intent = (await assembleEntryBundle(source, 3)) as any;
  const redacted = await assembleEntryBundle(source, 3, { redact: true });
  const outcome = (await assembleEntryBundle(source, 2)) as any;
  const open = await assembleEntryBundle(source, 5);
  const replace = (p: string, v: unknown) => ({ op: 'replace' as const, path: p, value: v });
  const other = keyPairFromSeed(seed('someone else'));
  // Byte offset of prevHash in an entry body: version, string(logId), sequence.
  const prevHashAt = 1 + 4 + LOG_ID.length + 8;
  const cases: EntryVectorCase[] = [
    { description: 'intent 3 with its outcome 4 and the key change at 1, anchored on regtest', input: { bundle: intent }, expect: 'ok', proven: { sequence: 3, kind: 'intent', partner: 4 } },
    { description: 'the same, redacted: no payloads, the same entries and paths', input: { bundle: redacted }, expect: 'ok', proven: { sequence: 3, kind: 'intent', partner: 4 } },
    { description: 'outcome 2 with its intent 0, signed by the founding key before the key change', input: { bundle: outcome }, expect: 'ok', proven: { sequence: 2, kind: 'outcome', partner: 0 } },
    { description: 'intent 5, still open: no partner', input: { bundle: open }, expect: 'ok', proven: { sequence: 5, kind: 'intent', partner: null } },
    { description: 'a byte of the entry body changed (prevHash)', input: { base: 0, patch: [replace('/entry/signedEntry', flipBit(intent.entry.signedEntry, prevHashAt))] }, expect: { failedStep: 'entry-signature' } },
    { description: 'a byte of the entry signature changed', input: { base: 0, patch: [replace('/entry/signedEntry', flipBit(intent.entry.signedEntry, -100))] }, expect: { failedStep: 'entry-signature' } },
    { description: 'a byte of the payload changed', input: { base: 0, patch: [replace('/entry/payload/bytes', flipBit(intent.entry.payload.bytes, 10))] }, expect: { failedStep: 'entry-payload' } },
    { description: 'a byte of the salt changed', input: { base: 0, patch: [replace('/entry/payload/salt', flipBit(intent.entry.payload.salt, 0))] }, expect: { failedStep: 'entry-payload' } },
    { description: 'a hash of the inclusion path changed', input: { base: 0, patch: [replace('/entry/path/1', flipBit(intent.entry.path[1], 5))] }, expect: { failedStep: 'entry-inclusion' } },
    { description: "the partner replaced by another outcome (outcome 2, of intent 0)", input: { base: 0, patch: [replace('/partner', outcome.entry)] }, expect: { failedStep: 'partner' } },
    { description: "a byte of the partner's payload changed", input: { base: 0, patch: [replace('/partner/payload/bytes', flipBit(intent.partner.payload.bytes, 3))] }, expect: { failedStep: 'partner' } },
    { description: "a byte of the key change's signature changed", input: { base: 0, patch: [replace('/keyChanges/0/signedEntry', flipBit(intent.keyChanges[0].signedEntry, -50))] }, expect: { failedStep: 'key-changes' } },
    { description: 'the key change left out: entry 3 is then checked against the founding key', input: { base: 0, patch: [replace('/keyChanges', [])] }, expect: { failedStep: 'entry-signature' } },
    { description: "a founding key that is not the log id's owner", input: { base: 0, patch: [replace('/foundingKey', base64.encode(other.publicKey))] }, expect: { failedStep: 'founding-key' } },
    { description: "a checkpoint size that is not the commitment's", input: { base: 0, patch: [replace('/checkpointSize', size + 1)] }, expect: { failedStep: 'checkpoint' } },
    { description: 'the embedded commitment bundle with a changed certificate byte', input: { base: 0, patch: [replace('/commitmentBundle/block/certificate', flipBit(intent.commitmentBundle.block.certificate, -200))] }, expect: { failedStep: 'certificate-signatures' } },
    { description: 'the embedded commitment bundle with a changed byte in its commitment transaction', input: { base: 0, patch: [replace('/commitmentBundle/commitment/tx', flipBit(intent.commitmentBundle.commitment.tx, 60))] }, expect: { failedStep: 'commitment-signature' } },
    { description: 'another chain id', input: { base: 0, patch: [replace('/chainId', 'pantheon-other-1')] }, expect: { failedStep: 'checkpoint' } },
    { description: 'an unknown field', input: { base: 0, patch: [{ op: 'add', path: '/note', value: 'trust me' }] }, expect: { failedStep: 'entry-format' } },
    { description: 'another version', input: { base: 0, patch: [replace('/version', 2)] }, expect: { failedStep: 'entry-format' } },
    { description: 'an entry of the bundle at or above the checkpoint size', input: { base: 0, patch: [replace('/checkpointSize', 3)] }, expect: { failedStep: 'entry-format' } },
  ];
  const nowMs = Date.now();
  const vectors: EntryVectors = {
    description: 'Entry bundles (docs/entry-bundle.md): an OAR record of six entries committed and anchored on regtest, bundles proving entries of it, and one-change negative cases with the step that must fail.',
    genesis: chain.genesisJson,
    nowMs,
    record: base64.encode(record),
    cases,
  };
  // Every case is checked before it is written: a vector that does not do what it says is never written.
  for (const c of cases) {
    const result = verifyEntryBundle(entryCaseBundle(vectors, c), { genesis: JSON.stringify(vectors.genesis), nowMs });
    const got = result.ok ? 'ok' : result.failedStep;
    const want = c.expect === 'ok' ? 'ok' : c.expect.failedStep;
    if (got !== want) throw new Error(`vector "${c.description}": expected ${want}, got ${got}: ${result.steps.find((s) => s.status === 'fail')?.detail}`);
  }
  writeFileSync(ENTRY_VECTORS_PATH, JSON.stringify(vectors, null, 2) + '\n');
  console.log(`wrote ${ENTRY_VECTORS_PATH}: ${cases.length} cases`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeEntryVectors().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
