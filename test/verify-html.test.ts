// verify.html in a real browser (Debian's chromium via playwright-core), opened from file://
// with every non-file request aborted and counted: a valid bundle shows every step green, a
// tampered one shows red at the named step. The page must make no request at all. Chromium
// has Uint8Array.fromBase64, so @scure/base decodes base64 there on its native path, not the
// pure-JS one Node 20 uses: its strictness is checked again here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'esbuild';
import { buildVerifyHtml, CSP } from '../bin/build-html.ts';
import { caseBundle, loadProofVectors, NON_CANONICAL_BASE64_SAMPLES } from './helpers/bundle-fixture.ts';

const vectors = loadProofVectors();
let browser: Browser;
let page: Page;
let built: Awaited<ReturnType<typeof buildVerifyHtml>>;
const aborted: string[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  built = await buildVerifyHtml();
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
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.goto(`file://${built.path}`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function verifyInPage(bundle: unknown, trust: { genesisHash?: string; genesis?: unknown; btcBlock?: string; btcCheckpoint?: { height: number; hash: string; bits: string }; workFloorDivisor?: number }) {
  // A text case (duplicate members) goes in as it is: stringifying it would make another bundle.
  await page.fill('#bundle', typeof bundle === 'string' ? bundle : JSON.stringify(bundle, null, 2));
  const cp = trust.btcCheckpoint;
  await page.fill('#btc-checkpoint', cp ? `${cp.height}:${cp.hash}:${cp.bits}` : '');
  await page.fill('#btc-work-divisor', String(trust.workFloorDivisor ?? 16));
  await page.fill('#genesis', trust.genesis ? JSON.stringify(trust.genesis) : '');
  await page.fill('#genesis-hash', trust.genesisHash ?? '');
  await page.fill('#btc-block', trust.btcBlock ?? '');
  await page.click('#verify');
  await page.waitForSelector('#steps li');
  const steps = await page.$$eval('#steps li', (lis) => lis.map((li) => ({ name: (li as HTMLElement).dataset.step, status: (li as HTMLElement).dataset.status, color: getComputedStyle(li).backgroundColor })));
  const verdict = await page.getAttribute('#headline', 'data-verdict');
  const headline = await page.textContent('#headline');
  const headlineColor = await page.$eval('#headline', (el) => getComputedStyle(el).backgroundColor);
  const assurance = await page.getAttribute('#headline', 'data-bitcoin-assurance');
  const network = await page.textContent('#network');
  return { steps, verdict, headline, headlineColor, assurance, network };
}

describe('verify.html', () => {
  it('is one self-contained file with a CSP that forbids requests', () => {
    expect(built.html).toContain(`<meta http-equiv="Content-Security-Policy" content="${CSP}">`);
    expect(built.html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(/);
    expect(built.bytes).toBeGreaterThan(50_000);
    console.log(`verify.html: ${built.bytes} bytes`);
  });

  it('shows every step green for the valid anchored bundle (pinned genesis hash)', async () => {
    const r = await verifyInPage(caseBundle(vectors, vectors.cases[0]), { genesisHash: vectors.genesisHash });
    expect(r.verdict).toBe('VALID');
    expect(r.steps.length).toBe(13);
    expect(r.steps.every((s) => s.status === 'pass')).toBe(true);
    expect(new Set(r.steps.map((s) => s.color))).toEqual(new Set(['rgb(227, 246, 229)']));
    // Regtest: VALID, but amber, never the plain green of real proof of work.
    expect(r.headline).toMatch(/anchored in Bitcoin block [0-9a-f]{64} with 6 confirmation\(s\); Bitcoin: regtest, no real work$/);
    expect(r.assurance).toBe('no-real-work');
    expect(r.headlineColor).toBe('rgb(242, 169, 0)');
    expect(r.network).toContain('The pinned genesis anchors this chain into Bitcoin regtest. Cost to forge the Bitcoin headers: 12 hashes: regtest, no real work');
  });

  it('shows every step green for the finality-only bundle with the genesis file', async () => {
    const r = await verifyInPage(caseBundle(vectors, vectors.cases[1]), { genesis: vectors.genesis });
    expect(r.verdict).toBe('VALID');
    expect(r.steps.every((s) => s.status === 'pass')).toBe(true);
    expect(r.assurance).toBe('not-anchored');
    expect(r.headlineColor).toBe('rgb(31, 138, 54)');
  });

  // The page reads the real clock, so the one case that needs a clock set in the past is left to the unit tests.
  const realClock = vectors.cases[0].input.trust.nowMs;
  for (const i of vectors.cases.flatMap((c, i) => (c.expect === 'fail' && c.input.trust.nowMs === realClock ? [i] : []))) {
    const c = vectors.cases[i];
    it(`shows red at "${c.output.failedStep}": ${c.description}`, async () => {
      const t = c.input.trust;
      const r = await verifyInPage(caseBundle(vectors, c), { genesisHash: t.genesisHash, genesis: t.genesisFile ? vectors.genesis : undefined, btcBlock: t.pinnedBtcBlockHash, btcCheckpoint: t.btcCheckpoint, workFloorDivisor: t.workFloorDivisor });
      expect(r.verdict).toBe('INVALID');
      const red = r.steps.filter((s) => s.status === 'fail');
      expect(red.map((s) => s.name)).toEqual([c.output.failedStep]);
      expect(red[0].color).toBe('rgb(253, 228, 225)');
    });
  }

  it('@scure/base base64 on Chromium\'s native path rejects non-canonical text, as base64ToBytes does', async () => {
    // The same modules verify.html is built from, in a blank page of the same browser.
    const probe = await build({
      stdin: {
        contents: `import { base64 } from '@scure/base'; import { base64ToBytes } from './light-client/bundle.ts';
          const attempt = (f) => { try { return Array.from(f()); } catch (e) { return 'rejected: ' + e.message; } };
          globalThis.probe = (t) => ({ scure: attempt(() => base64.decode(t)), strict: attempt(() => base64ToBytes(t, 'x')) });
          globalThis.nativeBase64 = typeof Uint8Array.fromBase64 === 'function';`,
        resolveDir: `${import.meta.dirname}/..`,
        loader: 'ts',
      },
      bundle: true,
      format: 'iife',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const blank = await browser.newPage();
    try {
      await blank.evaluate(probe.outputFiles[0].text);
      expect(await blank.evaluate('nativeBase64')).toBe(true);
      for (const [text, why] of NON_CANONICAL_BASE64_SAMPLES) {
        const r = (await blank.evaluate(`probe(${JSON.stringify(text)})`)) as { scure: unknown; strict: unknown };
        expect(r.scure, `scure: ${why}`).toMatch(/^rejected: /);
        expect(r.strict, `base64ToBytes: ${why}`).toMatch(/^rejected: x: /);
      }
      // Every last character with a non-zero unused bit is refused; the zero-bit ones decode.
      const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      for (const [text, unusedBits] of [['Wg==', 4], ['WsM=', 2]] as const) {
        const at = text.indexOf('=') - 1;
        const accepted: string[] = [];
        for (const c of ALPHABET) {
          const r = (await blank.evaluate(`probe(${JSON.stringify(text.slice(0, at) + c + text.slice(at + 1))})`)) as { scure: unknown };
          if (Array.isArray(r.scure)) accepted.push(c);
        }
        expect(accepted).toEqual([...ALPHABET].filter((_, i) => (i & ((1 << unusedBits) - 1)) === 0));
      }
      expect(await blank.evaluate(`probe('AQID')`)).toEqual({ scure: [1, 2, 3], strict: [1, 2, 3] });
    } finally {
      await blank.close();
    }
  });

  it('made no network request and logged no error', () => {
    expect(aborted).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
