// Writes docs/vectors/oar.json (docs/oar.md): RFC 8785 payload bytes, the worked example's
// entries field by field, a whole record file, and records a verifier must refuse, each with
// the step or field it must name. Deterministic: fixed seeds, salts, times, and ML-DSA-65's
// deterministic signing. Called by generate.ts (npm run vectors).
import { bytesToHex, concatBytes, ZERO_HASH } from '../../protocol/bytes.ts';
import { addressOf, keyPairFromSeed, type KeyPair } from '../../protocol/keys.ts';
import { entryHash, entryLeafHash, encodeEntryBody, encodeSignedEntry, entrySigningBytes, nobleSignDeterministic, payloadHash, signEntry, type Entry } from '../../oar/entry.ts';
import { canonicalJson, canonicalJsonBytes } from '../../oar/jcs.ts';
import { encodeCheckpointFrame, encodeEntryFrame, encodeRecordHeader } from '../../oar/record.ts';
import { rootOf } from '../../protocol/merkle.ts';

type Write = (name: string, description: string, cases: unknown[]) => void;

const CHAIN = 'pantheon-test-1';
const hex = bytesToHex;
const key1 = keyPairFromSeed(new Uint8Array(32).fill(1));
const key2 = keyPairFromSeed(new Uint8Array(32).fill(2));
/** The Pantheon log id: the address of the key that opens the log, then a name. */
const LOG = `${addressOf(key1.publicKey)}/loans`;
const salt = (i: number) => new Uint8Array(32).fill(0xa0 + i);
const T0 = 1_764_028_800_000;

/** One entry to build: the fields that vary, its payload, and (for negative cases) overrides. */
interface Spec {
  fields: Partial<Entry> & Pick<Entry, 'kind'> & Record<string, unknown>;
  payload: unknown;
  key?: KeyPair;
  /** Payload bytes used instead of the canonical form (a negative case). */
  rawPayload?: Uint8Array;
  withhold?: boolean;
}

interface Built {
  entry: Entry;
  signedBytes: Uint8Array;
  hash: Uint8Array;
  payloadBytes: Uint8Array;
  salt: Uint8Array;
  frame: Uint8Array;
}

/** Builds entries in order, each chained to the one before, signed by the key in force. */
function build(specs: Spec[], options: { chainId?: string; startKey?: KeyPair } = {}): Built[] {
  const chainId = options.chainId ?? CHAIN;
  let prev: Uint8Array = ZERO_HASH;
  let key = options.startKey ?? key1;
  return specs.map((spec, i) => {
    const payloadBytes = spec.rawPayload ?? canonicalJsonBytes(spec.payload);
    const s = salt(i);
    const entry = {
      logId: LOG,
      sequence: i,
      prevHash: prev,
      timeMs: T0 + 1000 * i,
      actor: 'credit-agent',
      actorVersion: 'v3',
      payloadHash: payloadHash(chainId, s, payloadBytes),
      ...spec.fields,
    } as Entry;
    const signed = signEntry(chainId, entry, (spec.key ?? key).secretKey, nobleSignDeterministic);
    const signedBytes = encodeSignedEntry(signed);
    const hash = entryHash(chainId, signedBytes);
    prev = hash;
    if (entry.kind === 'key-change') key = key2;
    return { entry, signedBytes, hash, payloadBytes, salt: s, frame: encodeEntryFrame(signedBytes, spec.withhold ? undefined : { salt: s, bytes: payloadBytes }) };
  });
}

function recordOf(built: Built[], frames: Uint8Array[] = built.map((b) => b.frame), headerKey: KeyPair = key1): Uint8Array {
  return concatBytes(encodeRecordHeader({ chainId: CHAIN, logId: LOG, firstSequence: 0, prevHash: ZERO_HASH, publicKey: headerKey.publicKey }), ...frames);
}

const example: Spec[] = [
  { fields: { kind: 'intent' }, payload: { applicant: 'A-17', inputs: { income: 41000, score: 612 }, proposal: 'deny', reason: 'score below 640' } },
  { fields: { kind: 'outcome', intentSequence: 0, status: 'done' }, payload: { letter: 'sent', ref: 'L-2041' } },
  { fields: { kind: 'key-change', actor: 'operator', actorVersion: 'ops-1', newPublicKey: key2.publicKey }, payload: { reason: 'scheduled rotation' } },
  { fields: { kind: 'intent' }, payload: { applicant: 'A-18', proposal: 'approve' }, key: key2 },
  { fields: { kind: 'outcome', intentSequence: 3, status: 'failed' }, payload: { error: 'core banking timeout' }, key: key2 },
];

function entryFields(e: Entry): Record<string, unknown> {
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v instanceof Uint8Array ? hex(v) : v]));
}

export function writeOarVectors(write: Write): void {
  const cases: unknown[] = [];

  // ---- payload bytes: RFC 8785 ----------------------------------------------------------------
  const jcs: [string, string][] = [
    ['RFC 8785 3.2.2 sample', '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}'],
    ['RFC 8785 3.2.3 sorting by UTF-16 code units', '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}'],
    ['numbers in ECMAScript form (RFC 8785 appendix B)', '[0, -0, 1e21, 1e-7, 0.000001, 9007199254740992, 295147905179352830000, 4.5e-324, 1.7976931348623157e308]'],
    ['nested objects and empty containers', '{"b": {"z": [], "a": {}}, "a": "x"}'],
  ];
  for (const [description, text] of jcs) {
    const canonical = canonicalJson(JSON.parse(text));
    cases.push({ description: `payload bytes: ${description}`, input: { kind: 'payload', json: text }, expect: 'ok', output: { canonical, hex: hex(new TextEncoder().encode(canonical)) } });
  }
  for (const [description, text] of [
    ['whitespace', '{"a": 1}'],
    ['members out of order', '{"b":1,"a":2}'],
    ['a number not in shortest form', '[1.0]'],
    ['a duplicate member name', '{"a":1,"a":1}'],
    ['an escape JCS does not use', '["\\u0041"]'],
  ]) {
    cases.push({ description: `payload bytes refused: ${description}`, input: { kind: 'payload-bytes', hex: hex(new TextEncoder().encode(text)) }, expect: 'NotCanonical', output: {} });
  }

  // ---- the worked example, entry by entry -----------------------------------------------------
  const built = build(example);
  for (const b of built) {
    cases.push({
      description: `worked example entry ${b.entry.sequence}: ${b.entry.kind}`,
      input: { kind: 'entry', chainId: CHAIN, keySeed: hex(b.entry.sequence >= 3 ? new Uint8Array(32).fill(2) : new Uint8Array(32).fill(1)), entry: entryFields(b.entry), salt: hex(b.salt), payload: new TextDecoder().decode(b.payloadBytes) },
      expect: 'ok',
      output: {
        payloadHash: hex(b.entry.payloadHash),
        body: hex(encodeEntryBody(b.entry)),
        signingBytes: hex(entrySigningBytes(CHAIN, b.entry)),
        signedEntry: hex(b.signedBytes),
        entryHash: hex(b.hash),
        leafHash: hex(entryLeafHash(b.hash)),
      },
    });
  }
  const record = recordOf(built);
  const root = rootOf(built.map((b) => entryLeafHash(b.hash)));
  const okRecord = (description: string, bytes: Uint8Array, output: Record<string, unknown>) =>
    cases.push({ description, input: { kind: 'record', chainId: CHAIN, publicKey: hex(key1.publicKey), record: hex(bytes) }, expect: 'ok', output });
  okRecord('the worked example as one record file', record, { entries: 5, root: hex(root), headHash: hex(built[4].hash), payloadsWithheld: 0, openIntents: [], keyChanges: 1 });
  const withheld = build(example.map((s, i) => ({ ...s, withhold: i === 0 || i === 3 })));
  okRecord('the worked example with the payloads of entries 0 and 3 withheld', recordOf(withheld), { entries: 5, root: hex(root), headHash: hex(built[4].hash), payloadsWithheld: 2, openIntents: [], keyChanges: 1 });
  const checkpointed = recordOf(built, [built[0].frame, built[1].frame, encodeCheckpointFrame(2, rootOf([entryLeafHash(built[0].hash), entryLeafHash(built[1].hash)])), ...built.slice(2).map((b) => b.frame)]);
  okRecord('the worked example with a checkpoint after entry 1', checkpointed, { entries: 5, root: hex(root), headHash: hex(built[4].hash), payloadsWithheld: 0, openIntents: [], keyChanges: 1 });
  okRecord('the first three entries (any prefix of a record is a record)', recordOf(built.slice(0, 3)), { entries: 3, root: hex(rootOf(built.slice(0, 3).map((b) => entryLeafHash(b.hash)))), headHash: hex(built[2].hash), payloadsWithheld: 0, openIntents: [], keyChanges: 1 });
  okRecord('an intent with no outcome is listed open', recordOf(build(example.slice(0, 1))), { entries: 1, root: hex(entryLeafHash(build(example.slice(0, 1))[0].hash)), headHash: hex(build(example.slice(0, 1))[0].hash), payloadsWithheld: 0, openIntents: [0], keyChanges: 0 });

  // ---- records that must be refused -------------------------------------------------------------
  const bad = (description: string, bytes: Uint8Array, expectName: 'RecordFormatError' | 'RecordVerifyError', output: Record<string, unknown>, chainId = CHAIN, trusted: KeyPair = key1) =>
    cases.push({ description, input: { kind: 'record', chainId, publicKey: hex(trusted.publicKey), record: hex(bytes) }, expect: expectName, output });
  const v1 = record.slice();
  v1[9] = 1;
  bad('a record of format version 1 (free-form log ids, before Pantheon log ids)', v1, 'RecordFormatError', { field: 'version' });
  const v3 = record.slice();
  v3[9] = 3;
  bad('a record of format version 3', v3, 'RecordFormatError', { field: 'version' });
  const magic = record.slice();
  magic[0] ^= 1;
  bad('not an OAR record (magic)', magic, 'RecordFormatError', { field: 'magic' });
  bad('cut inside the last frame', record.subarray(0, record.length - 10), 'RecordFormatError', { field: 'frame' });
  const unknownFrame = concatBytes(record, Uint8Array.of(9, 0, 0, 0, 0));
  bad('an unknown frame type', unknownFrame, 'RecordFormatError', { field: 'frameType' });
  // Byte positions inside the first entry frame: header, then frame head (5), then the body.
  const firstEntryAt = record.length - built.reduce((n, b) => n + b.frame.length, 0) + 5;
  const kindAt = firstEntryAt + 1 + 4 + LOG.length + 8 + 32 + 8 + 4 + 'credit-agent'.length + 4 + 'v3'.length;
  const unknownKind = record.slice();
  unknownKind[kindAt] = 4;
  bad('entry 0 with an unknown kind (4)', unknownKind, 'RecordFormatError', { field: 'kind' });
  const entryV1 = record.slice();
  entryV1[firstEntryAt] = 1;
  bad('entry 0 of entry format version 1', entryV1, 'RecordFormatError', { field: 'version' });
  const entryV3 = record.slice();
  entryV3[firstEntryAt] = 3;
  bad('entry 0 of entry format version 3', entryV3, 'RecordFormatError', { field: 'version' });
  const logIdAt = firstEntryAt + 1 + 4;
  const badAddress = record.slice();
  badAddress[logIdAt + 10] = badAddress[logIdAt + 10] === 0x71 ? 0x70 : 0x71; // a bech32m character changed: the checksum fails
  bad('entry 0 whose log id has a broken owner address', badAddress, 'RecordFormatError', { field: 'logId' });
  bad('entry 1 deleted', recordOf(built, [built[0].frame, ...built.slice(2).map((b) => b.frame)]), 'RecordVerifyError', { step: 'sequence', sequence: 1 });
  bad('entries 3 and 4 swapped', recordOf(built, [...built.slice(0, 3).map((b) => b.frame), built[4].frame, built[3].frame]), 'RecordVerifyError', { step: 'sequence', sequence: 3 });
  bad('entry 1 duplicated', recordOf(built, [built[0].frame, built[1].frame, built[1].frame]), 'RecordVerifyError', { step: 'sequence', sequence: 2 });
  const sigFlip = built[1].frame.slice();
  sigFlip[5 + built[1].signedBytes.length - 100] ^= 1;
  bad('a byte of entry 1\'s signature changed', recordOf(built, [built[0].frame, sigFlip, ...built.slice(2).map((b) => b.frame)]), 'RecordVerifyError', { step: 'signature', sequence: 1 });
  const timeFlip = built[1].frame.slice();
  timeFlip[5 + 1 + 4 + LOG.length + 8 + 32 + 7] ^= 1;
  bad('a byte of entry 1\'s time changed (the signature no longer covers it)', recordOf(built, [built[0].frame, timeFlip, ...built.slice(2).map((b) => b.frame)]), 'RecordVerifyError', { step: 'signature', sequence: 1 });
  const payloadFlip = built[0].frame.slice();
  payloadFlip[payloadFlip.length - 3] ^= 1;
  bad('a byte of entry 0\'s payload changed', recordOf(built, [payloadFlip, ...built.slice(1).map((b) => b.frame)]), 'RecordVerifyError', { step: 'payload', sequence: 0 });
  const saltFlip = built[0].frame.slice();
  saltFlip[5 + built[0].signedBytes.length + 1] ^= 1;
  bad('a byte of entry 0\'s salt changed', recordOf(built, [saltFlip, ...built.slice(1).map((b) => b.frame)]), 'RecordVerifyError', { step: 'payload', sequence: 0 });
  bad('entry 0\'s payload bytes are JSON but not canonical (hash and signature match them)', recordOf(build([{ ...example[0], rawPayload: new TextEncoder().encode('{"proposal": "deny"}') }])), 'RecordVerifyError', { step: 'payload', sequence: 0 });
  bad('entry 1 chained to a wrong prevHash (re-signed)', recordOf(build([example[0], { ...example[1], fields: { ...example[1].fields, prevHash: new Uint8Array(32).fill(7) } }])), 'RecordVerifyError', { step: 'prev-hash', sequence: 1 });
  bad('entry 1 goes back in time', recordOf(build([example[0], { ...example[1], fields: { ...example[1].fields, timeMs: T0 - 1 } }])), 'RecordVerifyError', { step: 'time', sequence: 1 });
  bad('entry 1 names another log', recordOf(build([example[0], { ...example[1], fields: { ...example[1].fields, logId: `${addressOf(key1.publicKey)}/other` } }])), 'RecordVerifyError', { step: 'log-id', sequence: 1 });
  bad('a second outcome for a closed intent', recordOf(build([example[0], example[1], { fields: { kind: 'outcome', intentSequence: 0, status: 'done' }, payload: 'again' }])), 'RecordVerifyError', { step: 'outcome', sequence: 2 });
  bad('an outcome naming an outcome', recordOf(build([example[0], example[1], { fields: { kind: 'outcome', intentSequence: 1, status: 'done' }, payload: 'x' }])), 'RecordVerifyError', { step: 'outcome', sequence: 2 });
  bad('an outcome reported by another actor', recordOf(build([example[0], { ...example[1], fields: { ...example[1].fields, actor: 'someone-else' } }])), 'RecordVerifyError', { step: 'outcome', sequence: 1 });
  bad('entry 3 signed by the old key after the key change', recordOf(build([...example.slice(0, 3), { ...example[3], key: key1 }])), 'RecordVerifyError', { step: 'signature', sequence: 3 });
  bad('a key change naming the key in force', recordOf(build([example[0], example[1], { ...example[2], fields: { ...example[2].fields, newPublicKey: key1.publicKey } }])), 'RecordVerifyError', { step: 'key-change', sequence: 2 });
  bad('the whole record re-sealed with a fresh key (header names the trusted key)', recordOf(build(example.slice(0, 2), { startKey: key2 })), 'RecordVerifyError', { step: 'signature', sequence: 0 });
  bad('a whole record sealed by another key under this log id (the header and every signature by that key)', recordOf(build(example.slice(0, 2), { startKey: key2 }), undefined, key2), 'RecordVerifyError', { step: 'header' }, CHAIN, key2);
  bad('verified as another chain', record, 'RecordVerifyError', { step: 'header' }, 'pantheon-other-1');
  bad('a checkpoint with a wrong root', recordOf(built, [built[0].frame, built[1].frame, encodeCheckpointFrame(2, new Uint8Array(32)), ...built.slice(2).map((b) => b.frame)]), 'RecordVerifyError', { step: 'checkpoint', sequence: 1 });

  write('oar.json', 'Open Audit Record (docs/oar.md): canonical payload bytes, the worked example entry by entry, whole record files, and records a verifier must refuse naming the step (and entry) or field.', cases);
}
