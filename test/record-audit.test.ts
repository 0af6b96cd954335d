// Whole-record audits (docs/record-audit.md): the vectors fail exactly where they say, the
// audit reads a record from chunks of any size, a record re-sealed with a fresh key fails, and
// `pantheon verify record.oar` prints the verdict with exit codes 0, 1 and 2, in worker threads
// and without them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { base64 } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../protocol/bytes.ts';
import { keyPairFromSeed } from '../protocol/keys.ts';
import { encodeSignedEntry, nobleSign, signEntry } from '../oar/entry.ts';
import { encodeBundleFrame, encodeCheckpointFrame, encodeEntryFrame, encodeRecordHeader, readRecord } from '../oar/record.ts';
import { auditRecord, recordReportText } from '../light-client/verify-record.ts';
import { applySplices, AUDIT_LOG_ID, type AuditVectors } from '../fixtures/record-fixture.ts';
import { pantheon, REPO } from './helpers/cli.ts';

const vectors: AuditVectors = JSON.parse(readFileSync(join(REPO, 'docs', 'vectors', 'record-audit.json'), 'utf8'));
const record = base64.decode(vectors.record);
const genesis = JSON.stringify(vectors.genesis);
const options = { genesis, nowMs: vectors.nowMs };
const dir = mkdtempSync(join(tmpdir(), 'pantheon-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The record again, every entry re-signed (hedged) by `key` and re-chained; the header names `headerKey`. */
async function resealed(key: ReturnType<typeof keyPairFromSeed>, headerKey: Uint8Array): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const { entryHash } = await import('../oar/entry.ts');
  let prev: Uint8Array = new Uint8Array(32);
  for await (const item of readRecord([record])) {
    if (item.type === 'header') parts.push(encodeRecordHeader({ ...item.header, publicKey: headerKey }));
    else if (item.type === 'entry') {
      const signed = encodeSignedEntry(signEntry(vectors.genesis.chainId as string, { ...item.signed.entry, prevHash: prev }, key.secretKey, nobleSign));
      prev = entryHash(vectors.genesis.chainId as string, signed);
      parts.push(encodeEntryFrame(signed, item.payload));
    } else if (item.type === 'checkpoint') parts.push(encodeCheckpointFrame(item.size, item.root));
    else parts.push(encodeBundleFrame(item.size, item.bundle));
  }
  return concatBytes(...parts);
}

describe('record audit vectors', () => {
  it('has a valid record and a negative case for each structural fault', () => {
    expect(vectors.cases.filter((c) => c.expect === 'ok').length).toBe(1);
    expect(vectors.cases.filter((c) => c.expect !== 'ok').length).toBeGreaterThanOrEqual(13);
    const steps = new Set(vectors.cases.flatMap((c) => (c.expect === 'ok' ? [] : [c.expect.step])));
    expect([...steps].sort()).toEqual(['checkpoint', 'commitment-bundle', 'commitment-match', 'consistency', 'format', 'header', 'missing-entries', 'sequence', 'signature']);
  });

  for (const [i, c] of vectors.cases.entries()) {
    it(`case ${i}: ${c.description}`, async () => {
      const r = await auditRecord([applySplices(record, c.edits)], { ...options, logId: c.logId });
      if (c.expect === 'ok') {
        expect(r.failure).toBeUndefined();
        const counts = c.counts!;
        expect({ entries: r.entries, checkpoints: r.checkpoints.length, anchored: r.anchoredCheckpoints, lastAnchoredSize: r.lastAnchoredSize, entriesAfterLastAnchored: r.entriesAfterLastAnchored, payloadsWithheld: r.payloadsWithheld, openIntents: r.openIntents.map((o) => o.sequence), root: r.root }).toEqual(counts);
        expect(r.summary.headline).toMatch(/^VERIFIED: log \S+, entries 0-15, every link and signature; entries 0-11 are anchored/);
        expect(r.checkpoints.map((cp) => cp.status)).toEqual(['anchored', 'anchored', 'anchored', 'no-bundle']);
        expect(r.checkpoints.map((cp) => cp.previousSize)).toEqual([0, 4, 8, undefined]);
      } else {
        expect(r.ok).toBe(false);
        expect({ step: r.failure!.step, sequence: r.failure!.sequence ?? null }).toEqual(c.expect);
        expect(r.summary.headline).toMatch(/^NOT VERIFIED: the record breaks at entry \d+/);
      }
    });
  }

  it('reads the record from chunks of any size with the same verdict', async () => {
    const whole = await auditRecord([record], options);
    for (const size of [1, 7, 4096]) {
      const chunks = Array.from({ length: Math.ceil(record.length / size) }, (_, i) => record.subarray(i * size, (i + 1) * size));
      const r = await auditRecord(chunks, options);
      expect(r.ok).toBe(true);
      expect(r.root).toBe(whole.root);
      expect(r.checkpoints).toEqual(whole.checkpoints);
    }
  });

  it('reports progress as it goes and yields when asked', async () => {
    const seen: number[] = [];
    let yields = 0;
    let t = 0;
    const r = await auditRecord([record], { ...options, progressEvery: 4, onProgress: (p) => seen.push(p.entries), yieldNow: async () => void yields++, yieldEveryMs: 1, clockMs: () => (t += 1) });
    expect(r.ok).toBe(true);
    expect(seen).toEqual([4, 8, 12, 16, 16]);
    expect(yields).toBeGreaterThan(10);
  });

  it('a record re-sealed from scratch with a fresh key fails: at its header, or at entry 0 when the header names the founding key', async () => {
    const fresh = keyPairFromSeed(sha256(new TextEncoder().encode('record audit: a forger')));
    const withFreshHeader = await auditRecord([await resealed(fresh, fresh.publicKey)], options);
    expect(withFreshHeader.failure).toMatchObject({ step: 'header', sequence: 0 });
    expect(withFreshHeader.failure!.detail).toContain(`belongs to the address in its id`);
    const founding = (await readRecord([record]).next()).value as { header: { publicKey: Uint8Array } };
    const withFoundingHeader = await auditRecord([await resealed(fresh, founding.header.publicKey)], options);
    expect(withFoundingHeader.failure).toMatchObject({ step: 'signature', sequence: 0 });
  });

  it('the genesis of another chain fails at the header', async () => {
    const other = JSON.stringify({ ...vectors.genesis, chainId: 'pantheon-other-1' });
    const r = await auditRecord([record], { ...options, genesis: other });
    expect(r.failure).toMatchObject({ step: 'header', sequence: 0 });
  });

  it('prints the counts, the first broken link and what is assumed', async () => {
    const ok = recordReportText(await auditRecord([record], options));
    expect(ok).toContain('open intents         2: 4 (letter-writer v2), 10 (letter-writer v2)');
    expect(ok).toContain('last anchored size   12; entries after it (not yet fixed in time): 4');
    expect(ok).toContain('that the record is complete up to the anchored size 12');
    const bad = recordReportText(await auditRecord([applySplices(record, vectors.cases[1].edits)], options));
    expect(bad).toContain('first broken link: entry 5, step sequence');
  });
});

describe('pantheon verify record.oar', () => {
  const file = join(dir, 'record.oar');
  const genesisFile = join(dir, 'genesis.json');
  writeFileSync(file, record);
  writeFileSync(genesisFile, genesis);

  it('verifies the record in worker threads and in the main thread, with the same report', () => {
    const pooled = pantheon(['verify', file, '--genesis', genesisFile]);
    expect(pooled.stderr).toBe('');
    expect(pooled.code).toBe(0);
    expect(pooled.stdout).toMatch(/signatures: ML-DSA-65 \(liboqs\) in \d+ worker threads?\n/);
    const inline = pantheon(['verify', file, '--genesis', genesisFile, '--threads', '0', '--log', AUDIT_LOG_ID]);
    expect(inline.code).toBe(0);
    const body = (s: string) => s.split('\n').slice(1).join('\n').replace('(taken from the record; pin it with --log)', '(pinned)').replace('is the log you meant to audit', 'is the log you meant');
    expect(body(inline.stdout)).toBe(body(pooled.stdout));
  });

  it('exits 1 naming the entry for a changed byte, and prints JSON with --json', () => {
    const bad = join(dir, 'bad.oar');
    writeFileSync(bad, applySplices(record, vectors.cases.find((c) => c.description.includes('signature changed'))!.edits));
    const r = pantheon(['verify', bad, '--genesis', genesisFile, '--json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ ok: false, kind: 'record', failure: { step: 'signature', sequence: 0 } });
    expect(json.summary.verdict).toBe('INVALID');
  });

  it('refuses flags that do not fit a record, with exit code 2', () => {
    expect(pantheon(['verify', file, '--genesis', genesisFile, '--earlier', file]).code).toBe(2);
    expect(pantheon(['verify', file, '--genesis', genesisFile, '--threads', 'many']).code).toBe(2);
    expect(pantheon(['verify', file, '--genesis', genesisFile, '--log', 'not-a-log']).code).toBe(2);
  });
});
