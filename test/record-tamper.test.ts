// The record audit's tamper suite (docs/record-audit.md, "Absence is conspicuous"): every byte
// of one intent, one outcome and their payloads in the 16-entry vector record; seeded
// single-byte changes in 200 entries of a larger record with three anchored checkpoints; each
// structural case once on that record. Every change must fail naming the changed entry's
// sequence number.
//
// Cost: a changed byte in entry k leaves entries 0 … k−1 byte for byte as in the valid record,
// whose every signature the valid run verified; so a tamper run walks and hashes the whole
// prefix (links, payloads, checkpoints, stored bundles) but verifies signatures only from entry
// k on. Signatures are verified with liboqs (the CLI's verifier, test/fast-crypto.test.ts checks
// it against noble).
//
//   PANTHEON_TAMPER_ENTRIES=10000   the larger record's size (default 2,000: CI time)
//   PANTHEON_TAMPER_SEED=n          the seed of the byte changes (printed)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { base64 } from '@scure/base';
import { installFastCrypto, liboqsVerifier } from '../node/fast-crypto.ts';
import type { MlDsa65Verify } from '../protocol/keys.ts';
import { jobMessage } from '../oar/verify.ts';
import { fastSigner } from '../oar/node/signer.ts';
import { auditRecord, inlineSignatureChecker, type RecordAuditResult } from '../light-client/verify-record.ts';
import { applySplices, buildAuditRecord, structuralCases, type AuditRecord, type AuditVectors, type FramePlace } from '../fixtures/record-fixture.ts';
import { REPO } from './helpers/cli.ts';
import { Prng } from './sim/prng.ts';

const ENTRIES = Number(process.env.PANTHEON_TAMPER_ENTRIES ?? 2000);
const SEED = Number(process.env.PANTHEON_TAMPER_SEED ?? 20_2026);
const CHANGED_ENTRIES = 200;

/** Uniform numbers in [0, 1) from the project's seeded PRNG (test/sim/prng.ts): one seed reproduces every change. */
function prng(seed: number): () => number {
  const rng = new Prng(seed);
  return () => rng.float();
}

let verify: MlDsa65Verify;
beforeAll(async () => {
  await installFastCrypto();
  verify = await liboqsVerifier();
});

/** Audits with every signature verified from `from` on (entries below it are those the valid run verified). */
function audit(record: Uint8Array, genesis: string, nowMs: number, from = 0): Promise<RecordAuditResult> {
  const signatures = inlineSignatureChecker((j) => j.sequence < from || verify(j.signature, jobMessage(j), j.publicKey), 'liboqs, from the changed entry on');
  return auditRecord([record], { genesis, nowMs, signatures });
}

/** Changes the byte at `at` in place, audits, restores it; returns the step and sequence named. */
async function tamper(record: Uint8Array, at: number, mask: number, entry: number, genesis: string, nowMs: number): Promise<{ step: string; sequence: number | undefined }> {
  record[at] ^= mask;
  try {
    const r = await audit(record, genesis, nowMs, entry);
    return r.ok ? { step: 'ok', sequence: undefined } : { step: r.failure!.step, sequence: r.failure!.sequence };
  } finally {
    record[at] ^= mask;
  }
}

describe('every byte of an intent, its outcome and their payloads (16-entry record)', () => {
  const vectors: AuditVectors = JSON.parse(readFileSync(join(REPO, 'docs', 'vectors', 'record-audit.json'), 'utf8'));
  const record = base64.decode(vectors.record);
  const genesis = JSON.stringify(vectors.genesis);

  it('the untouched record verifies', async () => {
    expect((await audit(record, genesis, vectors.nowMs)).ok).toBe(true);
  });

  for (const [n, kind] of [
    [0, 'intent'],
    [1, 'outcome'],
  ] as const) {
    it(`every byte of entry ${n} (${kind}) and its payload, changed, fails naming entry ${n}`, async () => {
      const frames = framesOf(record);
      const frame = frames.find((f) => f.n === n)!;
      expect(frame.kind).toBe(kind);
      const random = prng(SEED + n);
      const steps = new Map<string, number>();
      const wrong: string[] = [];
      for (let at = frame.offset; at < frame.offset + frame.length; at++) {
        const mask = 1 + Math.floor(random() * 255);
        const got = await tamper(record, at, mask, n, genesis, vectors.nowMs);
        steps.set(got.step, (steps.get(got.step) ?? 0) + 1);
        if (got.sequence !== n) wrong.push(`byte ${at - frame.offset} ^ ${mask}: ${got.step} at ${got.sequence}`);
      }
      console.log(`entry ${n} (${kind}, seed ${SEED + n}): ${frame.length} bytes changed one at a time; failed at ${[...steps].map(([s, c]) => `${s} ${c}`).join(', ')}`);
      expect(wrong).toEqual([]);
      expect(steps.get('ok')).toBeUndefined();
      // The frame head, the signed body, the signature and the payload each fail at their own step.
      for (const step of ['format', 'signature', 'payload']) expect(steps.get(step)).toBeGreaterThan(0);
    }, 300_000);
  }
});

/** Entry frames of a record, found by reading it (offset, length, sequence, kind). */
function framesOf(record: Uint8Array): FramePlace[] {
  const out: FramePlace[] = [];
  let at = 10;
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  let n = 0;
  while (at < record.length) {
    const type = record[at];
    const length = 5 + view.getUint32(at + 1);
    if (type === 1) {
      // kind is the byte after actorVersion: read it with the entry decoder's layout.
      const logIdLength = view.getUint32(at + 5 + 1);
      let p = at + 5 + 1 + 4 + logIdLength + 8 + 32 + 8;
      p += 4 + view.getUint32(p);
      p += 4 + view.getUint32(p);
      const kind = (['', 'intent', 'outcome', 'key-change'] as const)[record[p]] || undefined;
      out.push({ type: 'entry', n: n++, offset: at, length, kind: kind as FramePlace['kind'] });
    }
    at += length;
  }
  return out;
}

describe(`a ${ENTRIES.toLocaleString('en-US')}-entry record with three anchored checkpoints`, () => {
  let built: AuditRecord;
  const nowMs = Date.now();

  beforeAll(async () => {
    const sign = await fastSigner();
    const every = ENTRIES / 8;
    built = await buildAuditRecord({ entries: ENTRIES, checkpointEvery: every, anchored: [2 * every, 4 * every, 6 * every], bundleDelay: 20, sign, withholdEvery: 50 });
  }, 600_000);

  it('verifies whole, every signature checked', async () => {
    const r = await audit(built.record, built.genesisText, nowMs);
    expect(r.failure).toBeUndefined();
    expect(r.entries).toBe(ENTRIES);
    expect(r.anchoredCheckpoints).toBe(3);
    expect(r.checkpoints.length).toBe(8);
    expect(r.openIntents.map((o) => o.sequence)).toEqual(expect.arrayContaining(built.openIntents));
    expect(r.entriesAfterLastAnchored).toBe(ENTRIES / 4);
  }, 300_000);

  it(`${CHANGED_ENTRIES} entries, one seeded byte each: each fails naming its entry`, async () => {
    const random = prng(SEED);
    const entries = built.frames.filter((f) => f.type === 'entry');
    const chosen = new Set<number>();
    while (chosen.size < CHANGED_ENTRIES) chosen.add(Math.floor(random() * entries.length));
    const steps = new Map<string, number>();
    const wrong: string[] = [];
    for (const i of [...chosen].sort((a, b) => a - b)) {
      const f = entries[i];
      const at = f.offset + Math.floor(random() * f.length);
      const mask = 1 + Math.floor(random() * 255);
      const got = await tamper(built.record, at, mask, f.n, built.genesisText, nowMs);
      steps.set(got.step, (steps.get(got.step) ?? 0) + 1);
      if (got.sequence !== f.n) wrong.push(`entry ${f.n}, byte ${at - f.offset} ^ ${mask}: ${got.step} at ${got.sequence}`);
    }
    console.log(`${ENTRIES} entries, seed ${SEED}: ${CHANGED_ENTRIES} entries changed; failed at ${[...steps].map(([s, c]) => `${s} ${c}`).join(', ')}`);
    expect(wrong).toEqual([]);
  }, 600_000);

  it('each structural case fails once, naming its entry', async () => {
    const cases = structuralCases(built);
    const got: string[] = [];
    const want: string[] = [];
    for (const c of cases) {
      const r = c.logId ? await auditRecord([applySplices(built.record, c.edits)], { genesis: built.genesisText, nowMs, logId: c.logId }) : await audit(applySplices(built.record, c.edits), built.genesisText, nowMs);
      got.push(`${c.description}: ${r.ok ? 'ok' : `${r.failure!.step} at ${r.failure!.sequence ?? null}`}`);
      want.push(`${c.description}: ${c.expect === 'ok' ? 'ok' : `${c.expect.step} at ${c.expect.sequence}`}`);
    }
    expect(got).toEqual(want);
    expect(cases.length).toBeGreaterThanOrEqual(12);
  }, 600_000);
});
