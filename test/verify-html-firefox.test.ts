// verify.html in a second browser engine: Debian's firefox-esr, driven headless over WebDriver
// BiDi by puppeteer-core, opened from file:// with every request that is not file: or data:
// aborted and counted. The same checks as test/verify-html.test.ts makes in Chromium, for every
// proof vector the page can take (the page reads the real clock) and the entry bundles: the
// verdict, the failed step first and in words, the Web Crypto cross-check with Firefox's own
// SHA-256, the verdict in the first screen; screenshots go to .ci/artifacts/verify-html/.
// Firefox's headless window is at least 450 px wide, so the 390 px check stays in Chromium's
// test. Puppeteer's waitForFunction compiles code with Function(), which the page's CSP refuses
// in Firefox: the test polls with evaluate instead.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { buildVerifyHtml } from '../bin/build-html.ts';
import { caseBundle, loadProofVectors } from '../fixtures/bundle-fixture.ts';
import { entryCaseBundle, type EntryVectors } from '../fixtures/entry-fixture.ts';
import { REPO } from './helpers/cli.ts';

const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
const ARTIFACTS = process.env.PANTHEON_ARTIFACTS ?? join(REPO, '.ci', 'artifacts', 'verify-html');
const vectors = loadProofVectors();
const entryVectors: EntryVectors = JSON.parse(readFileSync(join(REPO, 'docs', 'vectors', 'entry-bundle.json'), 'utf8'));
let browser: Browser;
let page: Page;
const requests: string[] = [];
const errors: string[] = [];

beforeAll(async () => {
  const built = await buildVerifyHtml();
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: FIREFOX_PATH,
    headless: true,
    // Firefox 140's BiDi has no screen-orientation override, which setViewport needs: size the window instead.
    defaultViewport: null,
    args: ['--width=1280', '--height=900'],
  });
  page = await browser.newPage();
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    const url = r.url();
    // data: URLs are not requests to anywhere (Firefox loads a built-in font as one).
    if (url.startsWith('file:') || url.startsWith('data:')) return void r.continue().catch(() => {});
    requests.push(url);
    void r.abort().catch(() => {});
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`file://${built.path}`);
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

async function until(condition: () => Promise<unknown>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function verifyInPage(bundle: unknown, trust: { genesisHash?: string; genesis?: unknown; btcBlock?: string; btcCheckpoint?: { height: number; hash: string; bits: string }; workFloorDivisor?: number }) {
  const cp = trust.btcCheckpoint;
  await page.evaluate(
    (values) => {
      for (const [id, value] of Object.entries(values)) (document.getElementById(id) as HTMLInputElement).value = value;
      document.getElementById('bundle')!.dispatchEvent(new Event('input'));
      document.getElementById('headline')!.dataset.verdict = '';
      document.getElementById('webcrypto')!.dataset.agree = '';
      window.scrollTo(0, document.body.scrollHeight); // the page must bring the verdict back into view
    },
    {
      bundle: typeof bundle === 'string' ? bundle : JSON.stringify(bundle),
      genesis: trust.genesis ? JSON.stringify(trust.genesis) : '',
      'genesis-hash': trust.genesisHash ?? '',
      'btc-block': trust.btcBlock ?? '',
      'btc-checkpoint': cp ? `${cp.height}:${cp.hash}:${cp.bits}` : '',
      'btc-work-divisor': String(trust.workFloorDivisor ?? 16),
    },
  );
  await page.click('#verify');
  await until(() => page.evaluate(() => document.getElementById('headline')!.dataset.verdict && document.getElementById('webcrypto')!.dataset.agree), 'the verdict');
  return page.evaluate(() => {
    const headline = document.getElementById('headline')!;
    const rect = headline.getBoundingClientRect();
    return {
      verdict: headline.dataset.verdict,
      headline: headline.textContent,
      headlineColor: getComputedStyle(headline).backgroundColor,
      steps: Array.from(document.querySelectorAll('#steps li')).map((li) => ({ name: (li as HTMLElement).dataset.step, status: (li as HTMLElement).dataset.status, mark: li.querySelector('.mark')!.textContent })),
      webcrypto: { agree: document.getElementById('webcrypto')!.dataset.agree, text: document.getElementById('webcrypto')!.textContent },
      layout: { top: rect.top, bottom: rect.bottom, viewHeight: innerHeight, viewWidth: innerWidth, scrollWidth: document.documentElement.scrollWidth },
    };
  });
}

type Shown = Awaited<ReturnType<typeof verifyInPage>>;
function expectVerdictInFirstScreen(r: Shown) {
  expect(r.layout.top).toBeGreaterThanOrEqual(0);
  expect(r.layout.bottom).toBeLessThanOrEqual(r.layout.viewHeight);
  expect(r.layout.scrollWidth).toBeLessThanOrEqual(r.layout.viewWidth);
}

describe('verify.html in Firefox (firefox-esr, WebDriver BiDi)', () => {
  it('shows VALID, amber on regtest, every step passed, and Firefox\'s SHA-256 agrees', async () => {
    const r = await verifyInPage(caseBundle(vectors, vectors.cases[0]), { genesisHash: vectors.genesisHash });
    expect(r.verdict).toBe('VALID');
    expect(r.steps.length).toBe(13);
    expect(r.steps.every((s) => s.status === 'pass' && s.mark === 'passed')).toBe(true);
    expect(r.headlineColor).toBe('rgb(242, 169, 0)');
    expect(r.webcrypto.agree).toBe('true');
    expect(r.webcrypto.text).toMatch(/recomputed the genesis hash, 2 Pantheon header hashes, \d+ Bitcoin header hashes; all \d+ agree/);
    expectVerdictInFirstScreen(r);
    await page.screenshot({ path: join(ARTIFACTS, 'firefox-verified.png') });
  });

  const realClock = vectors.cases[0].input.trust.nowMs;
  it('shows every failing proof vector red at its step, first, marked FAILED', async () => {
    const cases = vectors.cases.filter((c) => c.expect === 'fail' && c.input.trust.nowMs === realClock);
    expect(cases.length).toBeGreaterThan(40);
    for (const c of cases) {
      const t = c.input.trust;
      const r = await verifyInPage(caseBundle(vectors, c), { genesisHash: t.genesisHash, genesis: t.genesisFile ? vectors.genesis : undefined, btcBlock: t.pinnedBtcBlockHash, btcCheckpoint: t.btcCheckpoint, workFloorDivisor: t.workFloorDivisor });
      expect(r.verdict, c.description).toBe('INVALID');
      expect(r.steps.filter((s) => s.status === 'fail').map((s) => s.name), c.description).toEqual([c.output.failedStep]);
      expect(r.steps[0], c.description).toMatchObject({ name: c.output.failedStep, mark: 'FAILED' });
      expect(r.headlineColor).toBe('rgb(198, 40, 20)');
    }
  }, 180_000);

  it('a changed operator signature names the signature step', async () => {
    const c = vectors.cases.find((x) => x.description.startsWith('commitment signature byte flipped'))!;
    const r = await verifyInPage(caseBundle(vectors, c), { genesisHash: c.input.trust.genesisHash, btcBlock: c.input.trust.pinnedBtcBlockHash });
    expect(r.steps[0]).toMatchObject({ name: 'commitment-signature', status: 'fail', mark: 'FAILED' });
    expect(r.steps.find((s) => s.name === 'inclusion')).toMatchObject({ status: 'not-run', mark: 'not run' });
    expectVerdictInFirstScreen(r);
    await page.screenshot({ path: join(ARTIFACTS, 'firefox-tampered.png') });
  });

  it('verifies the entry-bundle vectors as they say', async () => {
    for (const c of entryVectors.cases) {
      const r = await verifyInPage(entryCaseBundle(entryVectors, c), { genesis: entryVectors.genesis });
      expect(r.verdict, c.description).toBe(c.expect === 'ok' ? 'VALID' : 'INVALID');
      if (c.expect !== 'ok') expect(r.steps[0], c.description).toMatchObject({ name: c.expect.failedStep, status: 'fail' });
      else expect(r.webcrypto.agree).toBe('true');
    }
  }, 120_000);

  it('made no network request and logged no error', () => {
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
  });
});
