// verify.html audits a whole record in a real browser (Debian's chromium via playwright-core),
// from file:// with every other request aborted: a 2,000-entry record with three anchored
// checkpoints is chosen as a file, read in chunks and audited with noble in the page, which
// keeps answering while it works (its progress bar moves); the verdict is the CLI's, line for
// line; one byte changed and one entry missing fail at the entry the CLI names.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRecordInPage, openVerifyPage, reportBody, type VerifyPage } from './helpers/verify-page.ts';
import { fastSigner } from '../oar/node/signer.ts';
import { applySplices, buildAuditRecord, type AuditRecord } from '../fixtures/record-fixture.ts';
import { pantheon, REPO } from './helpers/cli.ts';
import { entryCaseBundle, type EntryVectors } from '../fixtures/entry-fixture.ts';
import { readFileSync } from 'node:fs';

const ENTRIES = 2000;
let vp: VerifyPage;
let built: AuditRecord;
const dir = mkdtempSync(join(tmpdir(), 'pantheon-html-record-'));

beforeAll(async () => {
  built = await buildAuditRecord({ entries: ENTRIES, checkpointEvery: 250, anchored: [500, 1000, 1500], bundleDelay: 20, sign: await fastSigner(), withholdEvery: 50 });
  writeFileSync(join(dir, 'genesis.json'), built.genesisText);
  vp = await openVerifyPage();
}, 600_000);

afterAll(async () => {
  await vp?.browser.close();
  rmSync(dir, { recursive: true, force: true });
});

const auditInPage = (name: string, record: Uint8Array) => auditRecordInPage(vp.page, name, record, built.genesisText);

function cli(name: string, record: Uint8Array) {
  const file = join(dir, name);
  writeFileSync(file, record);
  return pantheon(['verify', file, '--genesis', join(dir, 'genesis.json')]);
}

const body = reportBody;

describe(`verify.html audits a ${ENTRIES.toLocaleString('en-US')}-entry record`, () => {
  it('valid: VERIFIED with the CLI\'s report, and the page answers while it audits', async () => {
    const inPage = await auditInPage('record.oar', built.record);
    const fromCli = cli('record.oar', built.record);
    expect(fromCli.code).toBe(0);
    expect(inPage.headline.verdict).toBe('VALID');
    expect(inPage.headline.text).toMatch(/^VERIFIED: log \S+, entries 0-1999, every link and signature; entries 0-1499 are anchored/);
    expect(inPage.report.split('\n')[0]).toContain('signatures: ML-DSA-65 (noble), in this thread');
    expect(body(inPage.report)).toBe(body(fromCli.stdout));
    // Samples taken while the audit ran saw the progress bar at several places.
    expect(inPage.progress.size).toBeGreaterThanOrEqual(3);
  }, 600_000);

  it('one byte changed (entry 1000\'s signature): fails at entry 1000, as the CLI says', async () => {
    const f = built.frames.find((x) => x.type === 'entry' && x.n === 1000)!;
    const bad = applySplices(built.record, [{ offset: f.offset + 5 + f.signedLength! - 7, remove: 1, insert: (built.record[f.offset + 5 + f.signedLength! - 7] ^ 0x20).toString(16).padStart(2, '0') }]);
    const inPage = await auditInPage('changed.oar', bad);
    const fromCli = cli('changed.oar', bad);
    expect(fromCli.code).toBe(1);
    expect(inPage.headline).toMatchObject({ verdict: 'INVALID', failedStep: 'signature', failedSequence: '1000' });
    expect(body(inPage.report)).toBe(body(fromCli.stdout));
  }, 600_000);

  it('one entry missing (entry 1500): fails at entry 1500, as the CLI says', async () => {
    const f = built.frames.find((x) => x.type === 'entry' && x.n === 1500)!;
    const bad = applySplices(built.record, [{ offset: f.offset, remove: f.length, insert: '' }]);
    const inPage = await auditInPage('missing.oar', bad);
    const fromCli = cli('missing.oar', bad);
    expect(fromCli.code).toBe(1);
    expect(inPage.headline).toMatchObject({ verdict: 'INVALID', failedStep: 'sequence', failedSequence: '1500' });
    expect(inPage.headline.text).toContain('entry 1500 is missing');
    expect(body(inPage.report)).toBe(body(fromCli.stdout));
  }, 600_000);

  it('an entry bundle pasted after the record is verified as an entry bundle, with its steps', async () => {
    const vectors: EntryVectors = JSON.parse(readFileSync(join(REPO, 'docs', 'vectors', 'entry-bundle.json'), 'utf8'));
    for (const [i, want] of [
      [0, 'VALID'],
      [4, 'INVALID'],
    ] as const) {
      await vp.page.fill('#bundle', JSON.stringify(entryCaseBundle(vectors, vectors.cases[i])));
      await vp.page.fill('#genesis', JSON.stringify(vectors.genesis));
      await vp.page.click('#verify');
      await vp.page.waitForSelector('#steps li');
      expect(await vp.page.textContent('#record')).toBe(''); // pasting a bundle set the record aside
      expect(await vp.page.getAttribute('#headline', 'data-verdict')).toBe(want);
      const steps = await vp.page.$$eval('#steps li', (lis) => lis.map((li) => (li as HTMLElement).dataset.step));
      expect(steps).toContain('entry-inclusion');
      if (want === 'VALID') expect(await vp.page.textContent('#headline')).toMatch(/^VERIFIED: entry 3 of log \S+, an intent/);
      else expect(await vp.page.$eval('#steps li[data-status="fail"]', (li) => (li as HTMLElement).dataset.step)).toBe('entry-signature');
    }
  });

  it('made no network request and logged no error', () => {
    expect(vp.aborted).toEqual([]);
    expect(vp.consoleErrors).toEqual([]);
  });
});
