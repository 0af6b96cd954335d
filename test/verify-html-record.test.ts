// verify.html audits a whole record in a real browser (Debian's chromium via playwright-core),
// from file:// with every other request aborted: a 2,000-entry record with three anchored
// checkpoints is chosen as a file, read in chunks and audited with noble in the page, which
// keeps answering while it works (its progress bar moves); the verdict is the CLI's, line for
// line; one byte changed and one entry missing fail at the entry the CLI names.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildVerifyHtml } from '../light-client/build-html.ts';
import { fastSigner } from '../oar/node/signer.ts';
import { applySplices, buildAuditRecord, type AuditRecord } from './helpers/record-fixture.ts';
import { pantheon, REPO } from './helpers/cli.ts';
import { entryCaseBundle, type EntryVectors } from './helpers/entry-fixture.ts';
import { readFileSync } from 'node:fs';

const ENTRIES = 2000;
let browser: Browser;
let page: Page;
let built: AuditRecord;
const dir = mkdtempSync(join(tmpdir(), 'pantheon-html-record-'));
const aborted: string[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  const html = await buildVerifyHtml();
  built = await buildAuditRecord({ entries: ENTRIES, checkpointEvery: 250, anchored: [500, 1000, 1500], bundleDelay: 20, sign: await fastSigner(), withholdEvery: 50 });
  writeFileSync(join(dir, 'genesis.json'), built.genesisText);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  page = await browser.newPage();
  await page.route('**/*', (r) => {
    if (r.request().url().startsWith('file:')) return r.continue();
    aborted.push(r.request().url());
    return r.abort();
  });
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(`file://${html.path}`);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Chooses the record as a file (as a drop does), verifies, and samples the progress bar until the verdict shows. */
async function auditInPage(name: string, record: Uint8Array) {
  await page.fill('#bundle', '');
  await page.fill('#genesis', built.genesisText);
  await page.fill('#genesis-hash', '');
  await page.setInputFiles('#files', { name, mimeType: 'application/octet-stream', buffer: Buffer.from(record) });
  await page.waitForFunction(() => document.getElementById('record')!.textContent!.startsWith('Record:'));
  await page.$eval('#headline', (el) => ((el as HTMLElement).dataset.verdict = ''));
  await page.click('#verify');
  // Each sample is answered by the page's own thread: a frozen page could not answer while it audits.
  const progress = new Set<number>();
  for (;;) {
    const s = await page.evaluate(() => ({ verdict: document.getElementById('headline')!.dataset.verdict, value: (document.getElementById('progress') as HTMLProgressElement).value }));
    if (s.verdict) break;
    progress.add(s.value);
    await new Promise((r) => setTimeout(r, 100));
  }
  const headline = (await page.$eval('#headline', (el) => ({ ...(el as HTMLElement).dataset, text: el.textContent }))) as { verdict?: string; failedStep?: string; failedSequence?: string; text: string | null };
  const report = await page.textContent('#record-report');
  return { headline, report: report!, progress };
}

function cli(name: string, record: Uint8Array) {
  const file = join(dir, name);
  writeFileSync(file, record);
  return pantheon(['verify', file, '--genesis', join(dir, 'genesis.json')]);
}

/** The report without its first line, which names where signatures were checked (noble in the page, liboqs workers in the CLI). */
const body = (text: string) => text.split('\n').slice(1).join('\n');

describe(`verify.html audits a ${ENTRIES.toLocaleString('en-US')}-entry record`, () => {
  it('valid: VERIFIED with the CLI\'s report, and the page answers while it audits', async () => {
    const page = await auditInPage('record.oar', built.record);
    const fromCli = cli('record.oar', built.record);
    expect(fromCli.code).toBe(0);
    expect(page.headline.verdict).toBe('VALID');
    expect(page.headline.text).toMatch(/^VERIFIED: log \S+, entries 0-1999, every link and signature; entries 0-1499 are anchored/);
    expect(page.report.split('\n')[0]).toContain('signatures: ML-DSA-65 (noble), in this thread');
    expect(body(page.report)).toBe(body(fromCli.stdout));
    // Samples taken while the audit ran saw the progress bar at several places.
    expect(page.progress.size).toBeGreaterThanOrEqual(3);
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
      await page.fill('#bundle', JSON.stringify(entryCaseBundle(vectors, vectors.cases[i])));
      await page.fill('#genesis', JSON.stringify(vectors.genesis));
      await page.click('#verify');
      await page.waitForSelector('#steps li');
      expect(await page.textContent('#record')).toBe(''); // pasting a bundle set the record aside
      expect(await page.getAttribute('#headline', 'data-verdict')).toBe(want);
      const steps = await page.$$eval('#steps li', (lis) => lis.map((li) => (li as HTMLElement).dataset.step));
      expect(steps).toContain('entry-inclusion');
      if (want === 'VALID') expect(await page.textContent('#headline')).toMatch(/^VERIFIED: entry 3 of log \S+, an intent/);
      else expect(await page.$eval('#steps li[data-status="fail"]', (li) => (li as HTMLElement).dataset.step)).toBe('entry-signature');
    }
  });

  it('made no network request and logged no error', () => {
    expect(aborted).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
