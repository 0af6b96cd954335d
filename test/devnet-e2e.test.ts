// The whole chain of evidence on the embedded devnet: four validator processes, a real regtest
// Bitcoin node, a miner and an anchorer. Commitments are submitted, become final, get
// anchored; a proof bundle from the running network verifies offline in the CLI and in
// Chromium with every request blocked; a Bitcoin reorg that removes the anchor's block ends
// with the anchor confirmed again and the served proof updated; a restart resumes the chain.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { api } from '../node/client.ts';
import { waitFor } from '../devnet/processes.ts';
import { startDevnet, type Devnet } from '../devnet/devnet.ts';
import { buildVerifyHtml } from '../bin/build-html.ts';
import { pantheon } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'pantheon-devnet-'));
const portBase = 33_000 + Math.floor(Math.random() * 1500);
const options = { dir, blockSeconds: 1, anchorConfirmations: 6, p2pPortBase: portBase, httpPortBase: portBase + 100, say: () => undefined };
let devnet: Devnet;
let operatorKey: string;
const commitmentIds: string[] = [];

async function waitAnchored(url: string, id: string, timeoutMs = 120_000) {
  return waitFor(`commitment ${id.slice(0, 12)} to be anchored`, async () => {
    const s = await api(url, `/v1/tx/${id}`);
    return s.status === 'anchored' ? s : undefined;
  }, timeoutMs, 500);
}

function proofFile(url: string, id: string, name: string, extra: string[] = []): string {
  const r = pantheon(['proof', id, '--node', url, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  const path = join(dir, name);
  writeFileSync(path, r.stdout);
  return path;
}

beforeAll(async () => {
  devnet = await startDevnet(options);
  operatorKey = join(dir, 'operator.key');
  expect(pantheon(['keys', 'new', '--out', operatorKey]).code).toBe(0);
  const operator = JSON.parse(pantheon(['keys', 'show', operatorKey, '--json']).stdout).address;
  const funded = pantheon(['transfer', '--to', operator, '--amount', '10000000000', '--key', devnet.treasuryKeyPath, '--node', devnet.urls[1], '--wait', 'final']);
  expect(funded.code, funded.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await devnet?.stop();
});

describe('the embedded devnet, end to end', () => {
  it('anchors submitted commitments; the proof verifies offline in the CLI', async () => {
    for (const [i, url] of [devnet.urls[1], devnet.urls[2]].entries()) {
      const r = pantheon(['submit', '--name', `e2e-agent-${i}`, '--root', `${i}`.repeat(64), '--size', String(10 + i), '--key', operatorKey, '--node', url, '--wait', 'final', '--json']);
      expect(r.code, r.stderr).toBe(0);
      commitmentIds.push(JSON.parse(r.stdout).commitmentId);
    }
    for (const id of commitmentIds) {
      const s = await waitAnchored(devnet.urls[3], id);
      expect(s.anchor.confirmations).toBeGreaterThanOrEqual(6);
    }
    // Validator 3 has no Bitcoin view of its own: it serves what the attestation transaction recorded.
    const path = proofFile(devnet.urls[3], commitmentIds[0], 'proof.json');
    const bundle = JSON.parse(readFileSync(path, 'utf8'));
    expect(bundle.anchor).toBeDefined();
    expect(bundle.version).toBe(2);
    expect(bundle.genesis).toBeDefined(); // the default: verifiable with the pinned hash alone
    const verified = pantheon(['verify', path, '--genesis', devnet.genesisPath]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/VERIFIED: final in Pantheon block \d+ and anchored in Bitcoin block [0-9a-f]{64}/);
    const byHash = pantheon(['verify', path, '--genesis-hash', devnet.genesisHash, '--json']);
    expect(byHash.code).toBe(0);
    expect(JSON.parse(byHash.stdout).ok).toBe(true);
    const otherGenesis = pantheon(['verify', path, '--genesis-hash', 'ab'.repeat(32)]);
    expect(otherGenesis.code).toBe(1);

    // Without the embedded genesis: smaller, and it needs the genesis file, not just the hash.
    const barePath = proofFile(devnet.urls[3], commitmentIds[0], 'proof-without-genesis.json', ['--without-genesis']);
    const bare = JSON.parse(readFileSync(barePath, 'utf8'));
    expect(bare.version).toBe(2);
    expect(bare).not.toHaveProperty('genesis');
    expect(readFileSync(barePath).length).toBeLessThan(readFileSync(path).length);
    expect(pantheon(['verify', barePath, '--genesis', devnet.genesisPath]).code).toBe(0);
    const bareByHash = pantheon(['verify', barePath, '--genesis-hash', devnet.genesisHash]);
    expect(bareByHash.code).toBe(1);
    expect(bareByHash.stdout).toMatch(/^\[FAIL\] genesis:/m);
  });

  it('the same bundle verifies in verify.html in Chromium with every request blocked', async () => {
    const built = await buildVerifyHtml();
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const aborted: string[] = [];
      await page.route('**/*', (r) => (r.request().url().startsWith('file:') ? r.continue() : (aborted.push(r.request().url()), r.abort())));
      await page.goto(`file://${built.path}`);
      await page.fill('#bundle', readFileSync(join(dir, 'proof.json'), 'utf8'));
      await page.fill('#genesis-hash', devnet.genesisHash);
      await page.click('#verify');
      await page.waitForSelector('#steps li');
      expect(await page.getAttribute('#headline', 'data-verdict')).toBe('VALID');
      const statuses = await page.$$eval('#steps li', (lis) => lis.map((li) => (li as HTMLElement).dataset.status));
      expect(statuses.length).toBeGreaterThan(8);
      expect(statuses.every((s) => s === 'pass')).toBe(true);
      expect(aborted).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('after a Bitcoin reorg removes the anchor block, the anchor is confirmed again and the served proof follows', async () => {
    const before = (await api(devnet.urls[0], `/v1/tx/${commitmentIds[0]}`)).anchor;
    const rpc = devnet.bitcoin.rpc;
    // Depth >= 2: invalidating the anchor's block disconnects it and every block after it.
    await rpc.call('invalidateblock', [before.bitcoinBlockHash]);
    const tip = await rpc.getBlockCount();
    expect(tip).toBeLessThan(before.bitcoinHeight);
    const after = await waitFor('a new anchor on the new best chain', async () => {
      const s = await api(devnet.urls[0], `/v1/tx/${commitmentIds[0]}`);
      return s.status === 'anchored' && s.anchor.bitcoinBlockHash !== before.bitcoinBlockHash ? s.anchor : undefined;
    }, 180_000, 1000);
    expect(await rpc.getBlockHash(after.bitcoinHeight)).toBe(after.bitcoinBlockHash);
    const path = proofFile(devnet.urls[0], commitmentIds[0], 'proof-after-reorg.json');
    const verified = pantheon(['verify', path, '--genesis', devnet.genesisPath]);
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.stdout).toContain(after.bitcoinBlockHash);
  });

  it('a second start resumes the same chain', async () => {
    const heightBefore = BigInt((await api(devnet.urls[0], '/v1/status')).height);
    await devnet.stop();
    devnet = await startDevnet(options);
    const status = await api(devnet.urls[2], '/v1/status');
    expect(status.genesisHash).toBe(devnet.genesisHash);
    expect(BigInt(status.height)).toBeGreaterThanOrEqual(heightBefore);
    // The chain is idle (blocks only when there is something to finalise): a commitment shows it moves on.
    const r = pantheon(['submit', '--name', 'e2e-after-restart', '--root', 'cd'.repeat(32), '--size', '1', '--key', operatorKey, '--node', devnet.urls[1], '--wait', 'final', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(BigInt(JSON.parse(r.stdout).height)).toBeGreaterThan(heightBefore);
    expect((await api(devnet.urls[1], `/v1/tx/${commitmentIds[1]}`)).status).toBe('anchored');
  });
});
