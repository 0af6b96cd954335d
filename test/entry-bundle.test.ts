// Entry bundles (docs/entry-bundle.md): the vectors verify exactly as they say; `oar prove`
// makes the same bundles from the vectors' record; every byte of the proven entry's body,
// changed, fails a named step; and the CLI proves and verifies offline, exit codes included.
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { base64 } from '@scure/base';
import { readRecord } from '../oar/record.ts';
import { assembleEntryBundle, ProveError } from '../light-client/assemble-entry.ts';
import { verifyEntryBundle } from '../light-client/verify-entry.ts';
import { entryCaseBundle, recordEntries, recordFile, type EntryVectors } from '../fixtures/entry-fixture.ts';
import { flipBit } from '../fixtures/bundle-fixture.ts';
import { pantheon, REPO } from './helpers/cli.ts';

const vectors: EntryVectors = JSON.parse(readFileSync(join(REPO, 'docs', 'vectors', 'entry-bundle.json'), 'utf8'));
const options = { genesis: JSON.stringify(vectors.genesis), nowMs: vectors.nowMs };
const record = base64.decode(vectors.record);
const source = (bytes: Uint8Array = record) => () => readRecord([bytes]);
const dir = mkdtempSync(join(tmpdir(), 'pantheon-entry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('entry bundle vectors', () => {
  it('has positive and negative cases', () => {
    expect(vectors.cases.filter((c) => c.expect === 'ok').length).toBe(4);
    expect(vectors.cases.filter((c) => c.expect !== 'ok').length).toBeGreaterThanOrEqual(15);
  });

  for (const [i, c] of vectors.cases.entries()) {
    it(`case ${i}: ${c.description}`, () => {
      const result = verifyEntryBundle(entryCaseBundle(vectors, c), options);
      if (c.expect === 'ok') {
        expect(result.failedStep).toBeUndefined();
        expect(result.ok).toBe(true);
        const { sequence, kind, partner } = c.proven!;
        expect(result.summary.headline).toMatch(new RegExp(`^VERIFIED: entry ${sequence} of log \\S+, (an|the) ${kind === 'outcome' ? 'outcome' : kind}`));
        if (partner !== null && kind === 'intent') expect(result.summary.headline).toContain(`before its outcome (entry ${partner}`);
        if (partner === null) expect(result.steps.find((s) => s.name === 'partner')!.detail).toBe('no partner entry in the bundle');
        expect(result.summary.headline).toContain('existed before Bitcoin block');
        expect(result.summary.assumed.join('\n')).toContain('the action waited for its intent');
      } else {
        expect(result.ok).toBe(false);
        expect(result.failedStep).toBe(c.expect.failedStep);
        expect(result.summary.verdict).toBe('INVALID');
        expect(result.summary.proven).toEqual([]);
        // Every step after the failed one is reported as not run.
        const at = result.steps.findIndex((s) => s.status === 'fail');
        expect(result.steps.slice(at + 1).every((s) => s.status === 'not-run')).toBe(true);
      }
    });
  }
});

describe('oar prove', () => {
  it('makes the vectors’ bundles from the vectors’ record', async () => {
    expect(await assembleEntryBundle(source(), 3)).toEqual(vectors.cases[0].input.bundle);
    expect(await assembleEntryBundle(source(), 3, { redact: true })).toEqual(vectors.cases[1].input.bundle);
    expect(await assembleEntryBundle(source(), 2)).toEqual(vectors.cases[2].input.bundle);
    expect(await assembleEntryBundle(source(), 5)).toEqual(vectors.cases[3].input.bundle);
  });

  it('refuses an entry the record does not hold, or one under no anchored checkpoint', async () => {
    await expect(assembleEntryBundle(source(), 6)).rejects.toThrow(/has no entry 6: it holds entries 0 to 5/);
    const unanchored = recordFile(recordEntries().frames);
    await expect(assembleEntryBundle(source(unanchored), 0)).rejects.toThrow(ProveError);
    await expect(assembleEntryBundle(source(unanchored), 0)).rejects.toThrow(/not yet under an anchored checkpoint \(the record has no anchored checkpoint yet\)/);
  });

  it('never makes a bundle from a broken record', async () => {
    const { frames } = recordEntries();
    const broken = recordFile([frames[0], frames[2], frames[3]]);
    await expect(assembleEntryBundle(source(broken), 0)).rejects.toThrow(/entry 1: sequence/);
  });
});

describe('tampering with the proven entry', () => {
  it('fails at a named step for every byte of the entry body changed, never verifies', () => {
    const bundle = vectors.cases[0].input.bundle as { entry: { signedEntry: string } };
    const bodyLength = base64.decode(bundle.entry.signedEntry).length - 3309;
    const failedAt: string[] = [];
    for (let i = 0; i < bodyLength; i++) {
      const tampered = structuredClone(bundle);
      tampered.entry.signedEntry = flipBit(bundle.entry.signedEntry, i);
      const result = verifyEntryBundle(tampered, options);
      expect(result.ok, `byte ${i}`).toBe(false);
      failedAt.push(result.failedStep!);
    }
    // A byte that still decodes changes what the key signed; one that does not (a log id of
    // another shape, a length prefix, a time beyond 2^53) fails the format. Hashes always decode.
    expect(new Set(failedAt)).toEqual(new Set(['entry-format', 'entry-signature']));
    const prevHashAt = 1 + 4 + (bundle as unknown as { logId: string }).logId.length + 8;
    for (const i of [...Array(32).keys()].map((k) => prevHashAt + k)) expect(failedAt[i], `prevHash byte ${i}`).toBe('entry-signature');
    for (let i = bodyLength - 32; i < bodyLength; i++) expect(failedAt[i], `payloadHash byte ${i}`).toBe('entry-signature');
  });
});

describe('pantheon oar prove and pantheon verify (CLI)', () => {
  const genesisPath = join(dir, 'genesis.json');
  const recordPath = join(dir, 'record.oar');
  writeFileSync(genesisPath, JSON.stringify(vectors.genesis, null, 2));
  writeFileSync(recordPath, record);

  it('proves an entry from a record file and verifies it offline; a redacted one too', async () => {
    const out = join(dir, 'entry-3.json');
    const prove = pantheon(['oar', 'prove', '3', '--record', recordPath, '--out', out]);
    expect(prove.code, prove.stderr).toBe(0);
    expect(prove.stdout).toMatch(/entry 3 under the anchored checkpoint of size 6, with its partner, 1 key change/);
    const verify = pantheon(['verify', out, '--genesis', genesisPath]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/^VERIFIED: entry 3 of log \S+\/loans, an intent by actor credit-agent v3, was recorded before its outcome \(entry 4, done\), and existed before Bitcoin block [0-9a-f]{64}/m);
    expect(verify.stdout).toContain('"proposal":"approve"');

    const redacted = pantheon(['oar', 'prove', '3', '--record', dir, '--redact']);
    expect(redacted.code, redacted.stderr).toBe(0);
    writeFileSync(join(dir, 'entry-3-redacted.json'), redacted.stdout);
    const verified = pantheon(['verify', join(dir, 'entry-3-redacted.json'), '--genesis', genesisPath, '--json']);
    expect(verified.code).toBe(0);
    const json = JSON.parse(verified.stdout);
    expect(json.ok).toBe(true);
    expect(json.summary.proven).toContain("entry 3's payload is withheld: only its salted hash is known");
    expect(verified.stdout).not.toContain('approve');
  });

  it('names the failed step for a tampered entry (exit 1) and explains an entry not yet anchored', async () => {
    const bundle = JSON.parse(readFileSync(join(dir, 'entry-3.json'), 'utf8'));
    bundle.entry.payload.salt = flipBit(bundle.entry.payload.salt, 7);
    writeFileSync(join(dir, 'tampered.json'), JSON.stringify(bundle));
    const verify = pantheon(['verify', join(dir, 'tampered.json'), '--genesis', genesisPath]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/\[FAIL\] entry-payload: .*\n\s+entry 3: the payload and salt do not hash to the entry's payloadHash/);
    expect(verify.stdout).toContain('NOT VERIFIED: step "entry-payload" failed');

    writeFileSync(join(dir, 'unanchored.oar'), recordFile(recordEntries().frames));
    const prove = pantheon(['oar', 'prove', '0', '--record', join(dir, 'unanchored.oar')]);
    expect(prove.code).toBe(1);
    expect(prove.stderr).toMatch(/entry 0 is not yet under an anchored checkpoint/);
    const usage = pantheon(['oar', 'prove', 'three', '--record', recordPath]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/the sequence must be an entry number/);
  });
});
