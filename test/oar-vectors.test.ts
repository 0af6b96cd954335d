// Checks every case of docs/vectors/oar.json (docs/oar.md) against the code: payload bytes,
// the worked example entry by entry (re-signed deterministically from the key seed, and the
// stored signature verified), whole records, and records refused at the named step and entry.
// The RFC 8785 outputs are also compared with the RFC's own published text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../protocol/bytes.ts';
import { keyPairFromSeed } from '../protocol/keys.ts';
import {
  canonicalJson,
  decodeSignedEntry,
  encodeEntryBody,
  encodeSignedEntry,
  entryHash,
  entryLeafHash,
  entrySigningBytes,
  nobleSignDeterministic,
  parseCanonicalJson,
  payloadHash,
  RecordFormatError,
  RecordVerifyError,
  signEntry,
  verifyEntrySignature,
  verifyRecord,
  type Entry,
} from '../oar/browser.ts';

const vectors = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'docs', 'vectors', 'oar.json'), 'utf8')) as { cases: { description: string; input: any; expect: string; output: any }[] };
const h = (s: string) => hexToBytes(s, 'vector');

function entryFrom(fields: Record<string, unknown>): Entry {
  const e: Record<string, unknown> = { ...fields };
  for (const k of ['prevHash', 'payloadHash', 'newPublicKey']) if (typeof e[k] === 'string') e[k] = h(e[k] as string);
  return e as unknown as Entry;
}

describe('docs/vectors/oar.json', () => {
  it('has positive and negative cases of every kind', () => {
    const kinds = new Set(vectors.cases.map((c) => `${c.input.kind}:${c.expect}`));
    expect([...kinds].sort()).toEqual(['entry:ok', 'payload-bytes:NotCanonical', 'payload:ok', 'record:RecordFormatError', 'record:RecordVerifyError', 'record:ok']);
    expect(vectors.cases.filter((c) => c.expect !== 'ok').length).toBeGreaterThanOrEqual(vectors.cases.filter((c) => c.expect === 'ok').length);
  });

  for (const c of vectors.cases) {
    it(c.description, async () => {
      const input = c.input;
      if (input.kind === 'payload') {
        expect(canonicalJson(JSON.parse(input.json))).toBe(c.output.canonical);
        expect(bytesToHex(new TextEncoder().encode(c.output.canonical))).toBe(c.output.hex);
        expect(canonicalJson(parseCanonicalJson(h(c.output.hex)))).toBe(c.output.canonical);
      } else if (input.kind === 'payload-bytes') {
        expect(() => parseCanonicalJson(h(input.hex))).toThrow(/payload: /);
      } else if (input.kind === 'entry') {
        const entry = entryFrom(input.entry);
        const payload = new TextEncoder().encode(input.payload);
        expect(bytesToHex(payloadHash(input.chainId, h(input.salt), payload))).toBe(c.output.payloadHash);
        expect(bytesToHex(encodeEntryBody(entry))).toBe(c.output.body);
        expect(bytesToHex(entrySigningBytes(input.chainId, entry))).toBe(c.output.signingBytes);
        const key = keyPairFromSeed(h(input.keySeed));
        const signed = signEntry(input.chainId, entry, key.secretKey, nobleSignDeterministic);
        expect(bytesToHex(encodeSignedEntry(signed))).toBe(c.output.signedEntry);
        const decoded = decodeSignedEntry(h(c.output.signedEntry));
        expect(decoded.entry).toEqual(entry);
        expect(verifyEntrySignature(input.chainId, decoded, key.publicKey)).toBe(true);
        expect(verifyEntrySignature('pantheon-other-1', decoded, key.publicKey)).toBe(false);
        expect(bytesToHex(entryHash(input.chainId, h(c.output.signedEntry)))).toBe(c.output.entryHash);
        expect(bytesToHex(entryLeafHash(h(c.output.entryHash)))).toBe(c.output.leafHash);
      } else {
        const run = verifyRecord([h(input.record)], { chainId: input.chainId, publicKey: h(input.publicKey) });
        if (c.expect === 'ok') {
          const s = await run;
          expect(s.entries).toBe(c.output.entries);
          expect(bytesToHex(s.root!)).toBe(c.output.root);
          expect(bytesToHex(s.headHash)).toBe(c.output.headHash);
          expect(s.payloadsWithheld).toBe(c.output.payloadsWithheld);
          expect(s.openIntents.map((i) => i.sequence)).toEqual(c.output.openIntents);
          expect(s.keyChanges).toBe(c.output.keyChanges);
        } else {
          const err = await run.then(
            () => undefined,
            (e: unknown) => e,
          );
          if (c.expect === 'RecordFormatError') {
            expect(err).toBeInstanceOf(RecordFormatError);
            expect((err as RecordFormatError).field).toBe(c.output.field);
          } else {
            expect(err, String(err)).toBeInstanceOf(RecordVerifyError);
            expect((err as RecordVerifyError).step).toBe(c.output.step);
            expect((err as RecordVerifyError).sequence).toBe(c.output.sequence);
          }
        }
      }
    });
  }

  it('canonical JSON matches RFC 8785 text for its samples', () => {
    // RFC 8785 section 3.2.2 and 3.2.3, outputs as the RFC prints them.
    expect(canonicalJson(JSON.parse(vectors.cases[0].input.json))).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
    expect(canonicalJson(JSON.parse(vectors.cases[1].input.json))).toBe('{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}');
    expect(() => canonicalJson({ a: undefined })).toThrow(/payload.a: a undefined is not JSON/);
    expect(() => canonicalJson('\ud800')).toThrow(/lone UTF-16 surrogate/);
    expect(() => canonicalJson(new Date(0))).toThrow(/Date object is not JSON/);
  });
});
