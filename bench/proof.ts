// Parts "proof", "verify-node" and "verify-browser": proof bundle sizes and the time to verify
// one bundle. Bundles are real: the chain is built with the protocol's functions
// (fixtures/bundle-fixture.ts fixtureChain, with 4 or 16 validators) and block H is anchored by the real Anchorer into a bcoin regtest chain
// (fixtures/bundle-fixture.ts anchorOnRegtest), k = 6 confirmations. Every timed
// verification must return ok with every step passed.
import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';
import { verifyBundle } from '../light-client/verify.ts';
import { assembleBundle } from '../light-client/assemble.ts';
import { buildVerifyHtml } from '../bin/build-html.ts';
import { anchorOnRegtest, fixtureBundle, fixtureChain, FIXTURE_K, signersFor } from '../fixtures/bundle-fixture.ts';
import { median, timeLoop } from './stats.ts';

export const PROOF_VALIDATORS = [4, 16] as const;

export interface BenchBundle {
  validators: number;
  signers: number;
  kind: 'finality' | 'anchored';
  genesisHash: string;
  /** As `pantheon proof` prints it: JSON.stringify(bundle, null, 2) + newline. */
  text: string;
}

export interface ProofFigures {
  /** key: `${kind}-${validators}`; bytes of the bundle as `pantheon proof` writes it. */
  bundleBytes: Record<string, number>;
  /** The same bundles without whitespace. */
  bundleBytesCompact: Record<string, number>;
  /** Anchored bundles with the genesis left out (the auditor supplies genesis.json). */
  bundleBytesWithoutGenesis: Record<string, number>;
}

const asText = (json: unknown) => JSON.stringify(json, null, 2) + '\n';

function checkOk(text: string, genesisHash: string, what: string, kind: BenchBundle['kind']): void {
  const r = verifyBundle(text, { genesisHash, nowMs: Date.now() });
  if (!r.ok || r.steps.some((s) => s.status !== 'pass')) throw new Error(`${what} does not verify: ${r.failedStep}: ${r.steps.find((s) => s.status === 'fail')?.detail}`);
  const anchoredSteps = r.steps.some((s) => s.name.startsWith('bitcoin'));
  if (anchoredSteps !== (kind === 'anchored')) throw new Error(`${what}: expected ${kind} steps`);
}

export async function buildBenchBundles(log: (line: string) => void): Promise<{ bundles: BenchBundle[]; figures: ProofFigures }> {
  const bundles: BenchBundle[] = [];
  const figures: ProofFigures = { bundleBytes: {}, bundleBytesCompact: {}, bundleBytesWithoutGenesis: {} };
  for (const n of PROOF_VALIDATORS) {
    const chain = fixtureChain({ validatorCount: n });
    const attestation = await anchorOnRegtest(chain);
    if (attestation.followingHeadersHex.length + 1 < FIXTURE_K) throw new Error(`anchor has ${attestation.followingHeadersHex.length + 1} confirmations, want ${FIXTURE_K}`);
    for (const kind of ['finality', 'anchored'] as const) {
      const json = kind === 'anchored' ? fixtureBundle(chain, attestation) : fixtureBundle(chain);
      const text = asText(json);
      checkOk(text, chain.genesisHashHex, `${kind} bundle, ${n} validators`, kind);
      bundles.push({ validators: n, signers: signersFor(n), kind, genesisHash: chain.genesisHashHex, text });
      const key = `${kind}-${n}`;
      figures.bundleBytes[key] = Buffer.byteLength(text);
      figures.bundleBytesCompact[key] = Buffer.byteLength(JSON.stringify(json));
      const bare = kind === 'anchored'
        ? assembleBundle({ ...chain.parts, includeGenesis: false, headers: chain.encodedHeaders.slice(2, 5), attestation, bitcoinNetwork: 'regtest' })
        : assembleBundle({ ...chain.parts, includeGenesis: false });
      figures.bundleBytesWithoutGenesis[key] = Buffer.byteLength(asText(bare));
    }
    log(`  bundles for ${n} validators built and verified`);
  }
  return { bundles, figures };
}

/** In-process verifyBundle on the bundle text (JSON parsing included, as the CLI does). */
export function verifyInNode(bundles: BenchBundle[], quick: boolean): Record<string, number> {
  const out: Record<string, number> = {};
  for (const b of bundles) {
    const times: number[] = [];
    for (let i = 0; i < 2; i++) verifyBundle(b.text, { genesisHash: b.genesisHash, nowMs: Date.now() }); // warm-up
    timeLoop(() => {
      const t0 = performance.now();
      const r = verifyBundle(b.text, { genesisHash: b.genesisHash, nowMs: Date.now() });
      times.push(performance.now() - t0);
      if (!r.ok) throw new Error(`verify-node: ${b.kind}-${b.validators} failed at ${r.failedStep}`);
    }, quick ? 300 : 3000, quick ? 5 : 30);
    out[`${b.kind}-${b.validators}`] = median(times);
  }
  return out;
}

const PAGE_TIMER = `function ({ text, hash, runs }) {
  const set = (id, v) => { document.getElementById(id).value = v; };
  set('bundle', text);
  set('genesis', '');
  set('genesis-hash', hash);
  set('btc-block', '');
  const button = document.getElementById('verify');
  const times = [];
  const verdicts = [];
  for (let i = 0; i < runs + 2; i++) {
    document.getElementById('steps').replaceChildren();
    const t0 = performance.now();
    button.click(); // the handler is synchronous: verification and drawing finish here
    const t1 = performance.now();
    if (i >= 2) times.push(t1 - t0);
    const steps = [...document.querySelectorAll('#steps li')].map((li) => li.dataset.status);
    verdicts.push(document.getElementById('headline').dataset.verdict + ':' + steps.length + ':' + steps.every((s) => s === 'pass'));
  }
  return { times, verdicts };
}`;

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * verify.html in headless Chromium: the bundle and pinned hash are put in the form, and the
 * Verify button's click handler (verifyBundle + drawing the steps) is timed inside the page.
 */
export async function verifyInBrowser(bundles: BenchBundle[], quick: boolean): Promise<Record<string, number>> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH)`);
  const built = await buildVerifyHtml();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  const out: Record<string, number> = {};
  try {
    const page = await browser.newPage();
    let requests = 0;
    await page.route('**/*', (r) => {
      if (r.request().url().startsWith('file:')) return r.continue();
      requests++;
      return r.abort();
    });
    await page.goto(`file://${built.path}`);
    for (const b of bundles) {
      const runs = quick ? 5 : 40;
      // Passed as source text: tsx would otherwise wrap named functions in a helper the page lacks.
      const r = (await page.evaluate(`(${PAGE_TIMER})(${JSON.stringify({ text: b.text, hash: b.genesisHash, runs })})`)) as { times: number[]; verdicts: string[] };
      const bad = r.verdicts.filter((v) => !/^VALID:\d+:true$/.test(v));
      if (bad.length) throw new Error(`verify-browser: ${b.kind}-${b.validators}: page said ${bad[0]}`);
      out[`${b.kind}-${b.validators}`] = median(r.times);
    }
    if (requests > 0) throw new Error(`verify-browser: the page made ${requests} network request(s)`);
  } finally {
    await browser.close();
  }
  return out;
}
