// verify.html in a real browser (Debian's chromium via playwright-core), opened from file://
// with every non-file request aborted and counted: a valid bundle shows every step green, a
// tampered one shows red at the named step, first, with the verdict in the first screen at
// desktop and phone widths (no sideways scrolling at 390 px) and the Web Crypto cross-check
// beside it. The page must make no request at all. Screenshots (empty, verified, tampered,
// phone) are written to .ci/artifacts/verify-html/ (or $PANTHEON_ARTIFACTS). Every proof,
// entry and record vector runs in the page under V8 coverage, and every function of ours in
// the page must have run (issue 26); the page must stay within VERIFY_HTML_BYTES_MAX.
// The page decodes base64 with the browser's own atob, which is lenient: base64ToBytes's
// strictness is checked again here, in the browser, beside @scure/base (on Chromium's native
// Uint8Array.fromBase64 path) as an independent reference.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'esbuild';
import { base64 } from '@scure/base';
import { buildVerifyHtml, CSP, VERIFY_HTML_BYTES_MAX } from '../bin/build-html.ts';
import { applyPatch, caseBundle, flipBit, loadProofVectors, NON_CANONICAL_BASE64_SAMPLES } from '../fixtures/bundle-fixture.ts';
import { entryCaseBundle, type EntryVectors } from '../fixtures/entry-fixture.ts';
import { applySplices, type AuditVectors } from '../fixtures/record-fixture.ts';
import { auditRecordInPage } from './helpers/verify-page.ts';
import { coverageByModule, isOurs, type V8FunctionCoverage } from './helpers/page-coverage.ts';
import { REPO } from './helpers/cli.ts';

const vectors = loadProofVectors();
const entryVectors: EntryVectors = JSON.parse(readFileSync(join(REPO, 'docs', 'vectors', 'entry-bundle.json'), 'utf8'));
const recordVectors: AuditVectors = JSON.parse(readFileSync(join(REPO, 'docs', 'vectors', 'record-audit.json'), 'utf8'));
const ARTIFACTS = process.env.PANTHEON_ARTIFACTS ?? join(REPO, '.ci', 'artifacts', 'verify-html');
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

/**
 * Functions of ours in the page that no vector can run, each with the reason; the coverage test
 * fails on any other function that never ran, and on any of these that starts to run (so the
 * list can only shrink).
 */
const CANNOT_RUN: Record<string, string> = {
  // A VALID mainnet anchor needs six real mainnet headers: no vector has one (forging one at the
  // proof-of-work limit is about 2^35 hashes), so the cost-to-forge wording for mainnet never runs.
  'light-client/bitcoin-assurance.ts': 'formatNetworkTime (mainnet cost to forge)',
  'light-client/summary.ts': 'formatCostShort (mainnet cost to forge)',
};
let coverageStarted = false;
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
  page = await browser.newPage({ viewport: DESKTOP });
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.coverage.startJSCoverage({ resetOnNavigation: false });
  coverageStarted = true;
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
  await page.screenshot({ path: join(ARTIFACTS, 'empty.png') });
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
  await page.$eval('#headline', (el) => ((el as HTMLElement).dataset.verdict = ''));
  // As a reader who scrolled down to the button: the page must bring the verdict back into view.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.click('#verify');
  await page.waitForFunction(() => document.getElementById('headline')!.dataset.verdict && document.getElementById('webcrypto')!.dataset.agree);
  const steps = await page.$$eval('#steps li', (lis) => lis.map((li) => ({ name: (li as HTMLElement).dataset.step, status: (li as HTMLElement).dataset.status, mark: li.querySelector('.mark')!.textContent, color: getComputedStyle(li).backgroundColor })));
  const verdict = await page.getAttribute('#headline', 'data-verdict');
  const headline = await page.textContent('#headline');
  const headlineColor = await page.$eval('#headline', (el) => getComputedStyle(el).backgroundColor);
  const assurance = await page.getAttribute('#headline', 'data-bitcoin-assurance');
  const network = await page.textContent('#network');
  const webcrypto = { text: await page.textContent('#webcrypto'), agree: await page.getAttribute('#webcrypto', 'data-agree'), checked: Number(await page.getAttribute('#webcrypto', 'data-checked')) };
  return { steps, verdict, headline, headlineColor, assurance, network, webcrypto };
}

/** Where the verdict is: the headline within the first screen, and whether the page scrolls sideways. */
async function layout() {
  return page.evaluate(() => {
    const r = document.getElementById('headline')!.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, viewHeight: window.innerHeight, viewWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth, scrollY: window.scrollY };
  });
}

function expectVerdictInFirstScreen(l: Awaited<ReturnType<typeof layout>>) {
  expect(l.top).toBeGreaterThanOrEqual(0);
  expect(l.bottom).toBeLessThanOrEqual(l.viewHeight);
}

const signatureTamper = vectors.cases.find((c) => c.description.startsWith('commitment signature byte flipped'))!;

describe('verify.html', () => {
  it('is one self-contained file with a CSP that forbids requests', () => {
    expect(built.html).toContain(`<meta http-equiv="Content-Security-Policy" content="${CSP}">`);
    expect(built.html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(/);
    expect(built.bytes).toBeGreaterThan(50_000);
    console.log(`verify.html: ${built.bytes} bytes (limit ${VERIFY_HTML_BYTES_MAX})`);
    expect(built.bytes).toBeLessThanOrEqual(VERIFY_HTML_BYTES_MAX);
  });

  it('opens with what it is made of: each of our modules with its lines, each third-party module with its size', () => {
    const opening = built.html.slice(0, built.html.indexOf('<html'));
    const script = built.html.slice(built.html.indexOf('<script'));
    const modules = [...script.matchAll(/^\/\/ ((?:[\w@.-]+\/)*[\w.-]+\.(?:ts|js))$/gm)].map((m) => m[1].replace(/^.*node_modules\//, ''));
    expect(modules.length).toBeGreaterThan(30);
    // Ours with the spec each implements; theirs with their size.
    for (const m of modules) expect(opening, m).toMatch(new RegExp(`\\n  ${m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +[0-9]+ ${m.startsWith('@') ? 'bytes\\n' : 'lines  \\S'}`));
    // Our comments are in the page, not stripped: the verifier's own opening lines, for one.
    expect(script).toContain('// verifyBundle: every link of the chain of evidence (BRIEF.md), recomputed from the bundle\'s');
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
    expect(r.steps.every((s) => s.mark === 'passed')).toBe(true);
    // The Web Crypto cross-check: genesis, header h, header H and every Bitcoin header, all agreeing.
    expect(r.webcrypto.agree).toBe('true');
    expect(r.webcrypto.checked).toBe(3 + (caseBundle(vectors, vectors.cases[0]) as any).anchor.bitcoin.headers.length);
    expect(r.webcrypto.text).toMatch(/^Web Crypto cross-check: crypto\.subtle\.digest \(this browser's own SHA-256\) recomputed the genesis hash, 2 Pantheon header hashes, \d+ Bitcoin header hashes; all \d+ agree/);
    // Verify is pressed below the form; the page has scrolled back to the verdict at the top.
    expectVerdictInFirstScreen(await layout());
    await page.screenshot({ path: join(ARTIFACTS, 'verified.png') });
  });

  for (const c of vectors.cases.filter((x) => x.expect === 'ok').slice(2)) {
    it(`shows VALID: ${c.description}`, async () => {
      const t = c.input.trust;
      const r = await verifyInPage(caseBundle(vectors, c), { genesisHash: t.genesisHash, genesis: t.genesisFile ? vectors.genesis : undefined, btcBlock: t.pinnedBtcBlockHash });
      expect(r.verdict).toBe('VALID');
      expect(r.steps.every((s) => s.status === 'pass')).toBe(true);
      expect(r.webcrypto.agree).toBe('true');
    });
  }

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
      // Failed first, in words as well as colour.
      expect(r.steps[0]).toMatchObject({ name: c.output.failedStep, status: 'fail', mark: 'FAILED' });
      expect(r.headlineColor).toBe('rgb(198, 40, 20)');
      expectVerdictInFirstScreen(await layout());
    });
  }

  it('base64ToBytes in Chromium (its atob) rejects non-canonical text, as @scure/base on Chromium\'s native path does', async () => {
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
          const r = (await blank.evaluate(`probe(${JSON.stringify(text.slice(0, at) + c + text.slice(at + 1))})`)) as { scure: unknown; strict: unknown };
          expect(Array.isArray(r.strict), `${text} with ${c}`).toBe(Array.isArray(r.scure));
          if (Array.isArray(r.strict)) accepted.push(c);
        }
        expect(accepted).toEqual([...ALPHABET].filter((_, i) => (i & ((1 << unusedBits) - 1)) === 0));
      }
      expect(await blank.evaluate(`probe('AQID')`)).toEqual({ scure: [1, 2, 3], strict: [1, 2, 3] });
    } finally {
      await blank.close();
    }
  });

  it('a changed operator signature names the signature step, first, and says inclusion was not concluded', async () => {
    const t = signatureTamper.input.trust;
    const r = await verifyInPage(caseBundle(vectors, signatureTamper), { genesisHash: t.genesisHash, btcBlock: t.pinnedBtcBlockHash });
    expect(r.verdict).toBe('INVALID');
    expect(r.headline).toContain('"commitment-signature"');
    expect(r.steps[0]).toMatchObject({ name: 'commitment-signature', status: 'fail', mark: 'FAILED' });
    expect(r.steps.find((s) => s.name === 'inclusion')).toMatchObject({ status: 'not-run', mark: 'not run' });
    expect(await page.textContent('#steps li[data-step="commitment-signature"] .detail')).toContain('the signed transaction was changed');
    expect(await page.textContent('#steps li[data-step="inclusion"] .detail')).toMatch(/^not concluded: .*signature does not verify/);
    // The steps before the failure ran and agree with the browser's SHA-256.
    expect(r.webcrypto.agree).toBe('true');
    expectVerdictInFirstScreen(await layout());
    await page.screenshot({ path: join(ARTIFACTS, 'tampered.png') });
  });

  it('at phone width (390 px): the verdict is in the first screen and nothing scrolls sideways', async () => {
    await page.setViewportSize(PHONE);
    try {
      const empty = await layout();
      expect(empty.scrollWidth).toBeLessThanOrEqual(PHONE.width);
      const t = signatureTamper.input.trust;
      for (const [bundle, trust, want] of [
        [caseBundle(vectors, vectors.cases[0]), { genesisHash: vectors.genesisHash }, 'VALID'],
        [caseBundle(vectors, signatureTamper), { genesisHash: t.genesisHash, btcBlock: t.pinnedBtcBlockHash }, 'INVALID'],
      ] as const) {
        const r = await verifyInPage(bundle, trust);
        expect(r.verdict).toBe(want);
        const l = await layout();
        expect(l.viewWidth).toBe(PHONE.width);
        expect(l.scrollWidth, 'the page scrolls sideways').toBeLessThanOrEqual(PHONE.width);
        expectVerdictInFirstScreen(l);
        if (want === 'VALID') await page.screenshot({ path: join(ARTIFACTS, 'phone-verified.png') });
        else await page.screenshot({ path: join(ARTIFACTS, 'phone-tampered.png') });
      }
    } finally {
      await page.setViewportSize(DESKTOP);
    }
  });

  it('verifies every entry-bundle vector as the vectors say, and refuses an entry of format version 1', async () => {
    for (const c of entryVectors.cases) {
      const r = await verifyInPage(entryCaseBundle(entryVectors, c), { genesis: entryVectors.genesis });
      expect(r.verdict, c.description).toBe(c.expect === 'ok' ? 'VALID' : 'INVALID');
      if (c.expect !== 'ok') expect(r.steps[0], c.description).toMatchObject({ name: c.expect.failedStep, status: 'fail' });
      else expect(r.webcrypto.agree).toBe('true');
    }
    const bundle = entryCaseBundle(entryVectors, entryVectors.cases[0]) as any;
    const signed = base64.decode(bundle.entry.signedEntry);
    signed[0] = 1; // the entry's format version
    const r = await verifyInPage(applyPatch(bundle, [{ op: 'replace', path: '/entry/signedEntry', value: base64.encode(signed) }]), { genesis: entryVectors.genesis });
    expect(r.steps[0]).toMatchObject({ name: 'entry-format', status: 'fail' });
    expect(await page.textContent('#steps li[data-step="entry-format"] .detail')).toContain('entry format version 1');
  });

  it('audits every record vector the page can take (no pinned log id), amber on regtest, and a changed payload', async () => {
    const record = base64.decode(recordVectors.record);
    const genesis = JSON.stringify(recordVectors.genesis);
    const cases = [
      ...recordVectors.cases.filter((c) => !c.logId).map((c) => ({ description: c.description, bytes: applySplices(record, c.edits), expect: c.expect })),
      // One character of entry 0's payload: the payload no longer hashes to the signed payloadHash.
      (() => {
        const at = Buffer.from(record).indexOf('{"applicant":"A-0"') + 3;
        return { description: 'a character of payload 0 changed', bytes: applySplices(record, [{ offset: at, remove: 1, insert: Buffer.from('b').toString('hex') }]), expect: { step: 'payload', sequence: 0 } };
      })(),
    ];
    for (const c of cases) {
      const r = await auditRecordInPage(page, 'record.oar', c.bytes, genesis);
      if (c.expect === 'ok') {
        expect(r.headline.verdict, c.description).toBe('VALID');
        expect(await page.$eval('#headline', (el) => getComputedStyle(el).backgroundColor)).toBe('rgb(242, 169, 0)');
      } else {
        expect(r.headline.verdict, c.description).toBe('INVALID');
        expect(r.headline.failedStep, c.description).toBe(c.expect.step);
        if (c.expect.sequence !== null) expect(r.headline.failedSequence, c.description).toBe(String(c.expect.sequence));
      }
      await page.waitForFunction(() => document.getElementById('webcrypto')!.dataset.agree);
      expect(await page.getAttribute('#webcrypto', 'data-agree')).toBe('true');
      expect(await page.getAttribute('#webcrypto', 'data-checked')).toBe('1');
      expectVerdictInFirstScreen(await layout());
    }
    await page.fill('#bundle', ''); // typing sets the record aside
    await page.dispatchEvent('#bundle', 'input');
  });

  it('a genesis file that does not parse fails at the genesis step, saying what is wrong', async () => {
    const r = await verifyInPage(caseBundle(vectors, vectors.cases[0]), { genesis: { ...(vectors.genesis as object), version: 3, extra: 1 } });
    expect(r.steps[0]).toMatchObject({ name: 'genesis', status: 'fail', mark: 'FAILED' });
    expect(await page.textContent('#steps li[data-step="genesis"] .detail')).toContain('unknown field "extra"');
    expect(r.webcrypto.text).toMatch(/no hash to recompute/);
  });

  it('takes proof.json and genesis.json dropped on the page', async () => {
    await page.fill('#bundle', '');
    await page.fill('#genesis', '');
    await page.fill('#genesis-hash', '');
    await page.fill('#btc-block', '');
    const files = { 'proof.json': JSON.stringify(caseBundle(vectors, vectors.cases[1])), 'genesis.json': JSON.stringify(vectors.genesis) };
    const dataTransfer = await page.evaluateHandle((f) => {
      const dt = new DataTransfer();
      for (const [name, content] of Object.entries(f)) dt.items.add(new File([content], name, { type: 'application/json' }));
      return dt;
    }, files);
    await page.dispatchEvent('body', 'dragover', { dataTransfer });
    expect(await page.$eval('body', (b) => b.classList.contains('dragging'))).toBe(true);
    await page.dispatchEvent('body', 'dragleave', { dataTransfer });
    expect(await page.$eval('body', (b) => b.classList.contains('dragging'))).toBe(false);
    await page.dispatchEvent('body', 'drop', { dataTransfer });
    await page.waitForFunction(() => (document.getElementById('genesis') as HTMLTextAreaElement).value.length > 0);
    expect(JSON.parse(await page.inputValue('#bundle'))).toEqual(caseBundle(vectors, vectors.cases[1]));
    expect(JSON.parse(await page.inputValue('#genesis'))).toEqual(vectors.genesis);
  });

  it('every function of ours in the page ran (V8 coverage over all of the above)', async () => {
    expect(coverageStarted).toBe(true);
    const entries = await page.coverage.stopJSCoverage();
    const script = entries.find((e) => e.source?.includes('verify.html: element #'))!;
    expect(script).toBeDefined();
    const modules = coverageByModule(script.source!, script.functions as V8FunctionCoverage[]);
    const ours = modules.filter((m) => isOurs(m.module));
    const total = ours.reduce((n, m) => n + m.functions, 0);
    const uncovered = ours.flatMap((m) => m.uncovered.map((u) => `${m.module}: ${u}`));
    console.log(`verify.html coverage: ${total - uncovered.length} of ${total} functions of ours ran, in ${ours.length} modules; not run: ${uncovered.length ? uncovered.join('; ') : 'none'}`);
    const unexpected = ours.filter((m) => m.uncovered.length && !CANNOT_RUN[m.module]).flatMap((m) => m.uncovered.map((u) => `${m.module}: ${u}`));
    expect(unexpected, 'functions of ours that no vector runs: add a case, or remove the code from the page').toEqual([]);
    const nowRun = Object.keys(CANNOT_RUN).filter((m) => !ours.find((o) => o.module === m)?.uncovered.length);
    expect(nowRun, 'these now run (or left the page): take them off CANNOT_RUN').toEqual([]);
  });

  it('made no network request and logged no error', () => {
    expect(aborted).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
