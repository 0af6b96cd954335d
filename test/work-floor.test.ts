// The Bitcoin part must cost what it claims (docs/anchor.md, "Work floor" and "Cost to forge"):
// a forged low-work mainnet bundle is refused with the reason; the floor, not some other check,
// is what refuses it; the verdict states the cost to forge; regtest is never a plain VERIFIED;
// and one reading of every JSON file (duplicate members refused).
//
// Mining headers at mainnet's real proof-of-work limit (about 2^32 hashes each) is out of reach
// here, so the forged mainnet bundle lowers the limit IN THIS PROCESS ONLY (POW_LIMITS.mainnet,
// restored after each test) and mines its six headers at regtest difficulty in moments.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { POW_LIMITS } from '../anchor/verify-bitcoin.ts';
import { verifyBundle } from '../light-client/verify.ts';
import { reportText } from '../light-client/summary.ts';
import { forgeCost, formatHashes, formatNetworkTime, workFloor, difficultyOf, WORK_FLOOR_DIVISOR_DEFAULT } from '../light-client/bitcoin-assurance.ts';
import { parseCheckpoint, parseGenesis } from '../genesis/genesis.ts';
import { assertNoDuplicateNames, parseStrictJson } from '../protocol/strict-json.ts';
import { caseBundle, fixtureBundle, fixtureChain, loadProofVectors, mainnetFixtureChain } from '../fixtures/bundle-fixture.ts';
import { forgeAnchor, MAINNET_CHECKPOINT_840000 } from '../fixtures/forged-anchor.ts';
import { pantheon } from './helpers/cli.ts';

const REAL_MAINNET_LIMIT = POW_LIMITS.mainnet;
const REAL_TESTNET_LIMIT = POW_LIMITS.testnet;
const REGTEST_LIMIT = POW_LIMITS.regtest;
const setMainnetLimit = (limit: bigint) => ((POW_LIMITS as Record<string, bigint>).mainnet = limit);
afterEach(() => {
  setMainnetLimit(REAL_MAINNET_LIMIT);
  (POW_LIMITS as Record<string, bigint>).testnet = REAL_TESTNET_LIMIT;
});

const mainnet = mainnetFixtureChain();
const nowMs = Date.UTC(2026, 11, 1);
const forgedCheap = fixtureBundle(mainnet, forgeAnchor(mainnet, { bits: 0x207fffff, mine: true }));
const trust = { genesisHash: mainnet.genesisHashHex, nowMs };

describe('a forged low-work mainnet anchor', () => {
  it('passes every check but the floor when the pow limit is lowered in process, and the floor refuses it with the reason', () => {
    setMainnetLimit(REGTEST_LIMIT);
    const r = verifyBundle(forgedCheap, trust);
    expect(r.ok).toBe(false);
    expect(r.failedStep).toBe('bitcoin-headers');
    const detail = r.steps.find((s) => s.name === 'bitcoin-headers')!.detail;
    expect(detail).toContain('anchoring block header');
    expect(detail).toMatch(/bits 207fffff \(difficulty 4\.7e-10\) is below the work floor, difficulty 5399284932823 = checkpoint 840000 \(0{19}320283a032748cef8227873ff4872689bf23f1cda83a5\) difficulty 86388558925171 \/ 16/);
    // Every step before it passed: nothing else in the bundle was wrong.
    expect(r.steps.filter((s) => s.status === 'pass').map((s) => s.name)).toEqual(['format', 'genesis', 'header', 'commitment', 'inclusion', 'certificate', 'pantheon-chain', 'bitcoin-network', 'bitcoin-tx', 'bitcoin-merkle']);
    expect(r.summary.headline).toBe('NOT VERIFIED: step "bitcoin-headers" failed; nothing in this bundle is proven');
  });

  it('is refused by the floor alone: with a checkpoint at the forged difficulty it verifies, and the verdict says it costs nothing', () => {
    setMainnetLimit(REGTEST_LIMIT);
    // The auditor's checkpoint at the forged headers' own difficulty: floor = the (lowered) limit.
    const cheap = parseCheckpoint({ height: 900_000, hash: 'ab'.repeat(32), bits: '207fffff' }, 'checkpoint');
    const r = verifyBundle(forgedCheap, { ...trust, btcCheckpoint: cheap });
    expect(r.ok, reportText(r)).toBe(true);
    expect(r.summary.headline).toMatch(/^VERIFIED: final in Pantheon block 3 and anchored in Bitcoin block [0-9a-f]{64} with 6 confirmation\(s\) on mainnet; to forge: about 1\.0 hours of the whole Bitcoin network at the checkpoint's difficulty$/);
    expect(r.summary.bitcoinAssurance).toMatchObject({ level: 'proof-of-work', network: 'mainnet', headerWork: '12', forgeNetworkHours: 1, workFloor: { checkpointHeight: 900_000, divisor: 16, pinnedBy: 'auditor' } });
    expect(r.summary.assumed.join('\n')).toContain("Bitcoin's difficulty has not fallen below 1/16 of that of checkpoint 900000");
  });

  it('at the real limit it fails too: headers at mainnet difficulty 1 are below the floor whatever their nonce', () => {
    const atLimit = fixtureBundle(mainnet, forgeAnchor(mainnet, { bits: 0x1d00ffff, mine: false }));
    const r = verifyBundle(atLimit, trust);
    expect(r.failedStep).toBe('bitcoin-headers');
    expect(r.steps.find((s) => s.name === 'bitcoin-headers')!.detail).toMatch(/bits 1d00ffff \(difficulty 1\.000\) is below the work floor/);
  });

  it('a bundle naming another network than the genesis fails at bitcoin-network, naming both', () => {
    for (const network of ['regtest', 'testnet']) {
      const relabelled = structuredClone(forgedCheap) as any;
      relabelled.anchor.bitcoin.network = network;
      const r = verifyBundle(relabelled, trust);
      expect(r.failedStep).toBe('bitcoin-network');
      expect(r.steps.find((s) => s.name === 'bitcoin-network')!.detail).toBe(`the bundle claims Bitcoin ${network}, but the trusted genesis anchors chain "pantheon-proof-1" into mainnet`);
    }
  });
});

describe('testnet', () => {
  it('a testnet anchor that passes every check is VERIFIED with the testnet headline, never plain', () => {
    (POW_LIMITS as Record<string, bigint>).testnet = REGTEST_LIMIT; // testnet's own limit needs 2^32 hashes a header
    const testnet = fixtureChain({ bitcoin: { network: 'testnet' } });
    const bundle = fixtureBundle(testnet, forgeAnchor(testnet, { bits: 0x207fffff, mine: true }));
    const r = verifyBundle(bundle, { genesisHash: testnet.genesisHashHex, nowMs });
    expect(r.ok, reportText(r)).toBe(true);
    expect(r.summary.headline).toMatch(/with 6 confirmation\(s\); Bitcoin: testnet, a test network without value at stake$/);
    expect(r.summary.bitcoinAssurance).toMatchObject({ level: 'test-network', network: 'testnet', costToForge: '12 hashes: testnet, a test network without value at stake (its blocks may be at minimum difficulty)' });
    expect(r.summary.bitcoinAssurance!.workFloor).toBeUndefined();
  });
});

describe('work floor arithmetic', () => {
  const checkpoint = parseCheckpoint({ ...MAINNET_CHECKPOINT_840000 }, 'checkpoint');

  it('is the checkpoint difficulty / divisor and never easier than the pow limit', () => {
    expect(difficultyOf(workFloor(checkpoint, 1, 'genesis').target)).toBe('86388558925171');
    expect(difficultyOf(workFloor(checkpoint, WORK_FLOOR_DIVISOR_DEFAULT, 'genesis').target)).toBe('5399284932823');
    const genesisBlock = parseCheckpoint({ height: 0, hash: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f', bits: '1d00ffff' }, 'checkpoint');
    expect(workFloor(genesisBlock, 16, 'genesis').target).toBe(REAL_MAINNET_LIMIT);
    expect(() => workFloor(checkpoint, 0, 'genesis')).toThrow(/divisor/);
  });

  it('states the cost to forge in hashes and hours of the whole network', () => {
    // Six headers at the checkpoint's difficulty are one hour of the network; at the floor, 1/16 of it.
    const perBlock = (1n << 256n) / (0x034219n * (1n << 160n) + 1n);
    expect(forgeCost(6n * perBlock, checkpoint).networkHours).toBe(1);
    expect(forgeCost((6n * perBlock) / 16n, checkpoint).networkHours).toBeCloseTo(0.0625, 5);
    expect(formatHashes(6n * perBlock)).toBe('about 2.2 × 10^24');
    expect(formatHashes(12n)).toBe('12');
    expect(formatNetworkTime(1)).toBe('1.0 hours');
    expect(formatNetworkTime(0.0625)).toBe('3.8 minutes');
    expect(formatNetworkTime(100)).toBe('4.2 days');
  });
});

describe('strict JSON: one reading of every file', () => {
  it('refuses a duplicate member at any depth, after unescaping, naming where', () => {
    expect(() => parseStrictJson('{"a":1,"a":2}', 'x')).toThrow('x: duplicate member "a" in the object at (top level)');
    expect(() => parseStrictJson('{"a":{"b":[{"c":1},{"c":1,"d":2,"c":3}]}}', 'x')).toThrow('duplicate member "c" in the object at a.b[1]');
    expect(() => parseStrictJson('{"version":2,"\\u0076ersion":3}', 'x')).toThrow('duplicate member "version"');
    expect(() => parseStrictJson('{"k y":{"z":1,"z":1}}', 'x')).toThrow('at ["k y"]');
  });

  it('accepts what JSON.parse accepts when no name repeats, with the same value', () => {
    const texts = ['{}', '[]', '"s"', '1.5e3', 'null', ' {"a" : [1, {"a": {"a": true}}, "}{,\\"]"], "b": {}} ', '{"a":{"x":1},"b":{"x":1}}', '[{"a":1},{"a":1}]'];
    for (const t of texts) expect(parseStrictJson(t, 'x')).toEqual(JSON.parse(t));
    expect(() => assertNoDuplicateNames('{"a":"\\"a\\"","b":1}', 'x')).not.toThrow();
  });

  it('refuses what JSON.parse refuses, and deep nesting', () => {
    expect(() => parseStrictJson('{"a":1,}', 'x')).toThrow('x: not valid JSON');
    expect(() => parseStrictJson('\ufeff{}', 'x')).toThrow('not valid JSON');
    expect(() => parseStrictJson('['.repeat(65) + ']'.repeat(65), 'x')).toThrow('nested deeper than 64 levels');
  });

  it('a bundle with a duplicate member fails the format step, though a last-wins reader verifies it', () => {
    const vectors = loadProofVectors();
    const base = caseBundle(vectors, vectors.cases[0]) as any;
    const text = JSON.stringify(base).replace('"txIndex":', '"txIndex":0,"txIndex":');
    const lax = verifyBundle(JSON.parse(text), { genesisHash: vectors.genesisHash, nowMs: vectors.cases[0].input.trust.nowMs });
    expect(lax.ok).toBe(true);
    const strict = verifyBundle(text, { genesisHash: vectors.genesisHash, nowMs: vectors.cases[0].input.trust.nowMs });
    expect(strict.failedStep).toBe('format');
    expect(strict.steps[0].detail).toBe('bundle: duplicate member "txIndex" in the object at anchor.bitcoin: a member may appear only once, so that every reader reads the file the same way');
  });

  it('a supplied genesis text with a duplicate member fails the genesis step', () => {
    const vectors = loadProofVectors();
    const genesisText = JSON.stringify(vectors.genesis).replace('"chainId":', '"chainId":"x","chainId":');
    const r = verifyBundle(caseBundle(vectors, vectors.cases[0]), { genesis: genesisText, nowMs: vectors.cases[0].input.trust.nowMs });
    expect(r.failedStep).toBe('genesis');
    expect(r.steps[1].detail).toContain('supplied genesis: duplicate member "chainId"');
  });

  it('the old genesis (version 1) is refused with the way forward', () => {
    const vectors = loadProofVectors();
    const { version: _v, bitcoin: _b, ...v1 } = vectors.genesis as Record<string, unknown>;
    expect(() => parseGenesis(v1)).toThrow(/genesis version: this is a version 1 genesis .* add "version": 3, a "bitcoin" section and params "heartbeatMs" and "anchorIntervalSeconds"/);
  });
});

describe('pantheon verify (a separate process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pantheon-floor-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const vectors = loadProofVectors();
  const regtestPath = join(dir, 'regtest.json');
  writeFileSync(regtestPath, JSON.stringify(caseBundle(vectors, vectors.cases[0])));
  const forgedPath = join(dir, 'forged.json');
  writeFileSync(forgedPath, JSON.stringify(forgedCheap));

  it('a regtest bundle exits 0 with the regtest headline and a bitcoinAssurance field in --json', () => {
    const text = pantheon(['verify', regtestPath, '--genesis-hash', vectors.genesisHash]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^VERIFIED: final in Pantheon block 3 and anchored in Bitcoin block [0-9a-f]{64} with 6 confirmation\(s\); Bitcoin: regtest, no real work$/m);
    const json = pantheon(['verify', regtestPath, '--genesis-hash', vectors.genesisHash, '--json']);
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.bitcoinAssurance).toMatchObject({ level: 'no-real-work', network: 'regtest', costToForge: '12 hashes: regtest, no real work (one computer makes such headers in moments)' });
  }, 180_000);

  it('the forged mainnet bundle exits 1 at bitcoin-headers; a bad checkpoint flag is a usage error', () => {
    const r = pantheon(['verify', forgedPath, '--genesis-hash', mainnet.genesisHashHex, '--btc-work-divisor', '1024']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\[FAIL\] bitcoin-headers: .*\n.*below the work floor, .* \/ 1024/);
    const easy = pantheon(['verify', forgedPath, '--genesis-hash', mainnet.genesisHashHex, '--btc-checkpoint', `1:${'00'.repeat(32)}:207fffff`]);
    expect(easy.code).toBe(2);
    expect(easy.stderr).toContain('easier than the mainnet proof-of-work limit');
  }, 180_000);

  it('a bundle file with a duplicate member fails at format, exit 1', () => {
    const dupPath = join(dir, 'dup.json');
    writeFileSync(dupPath, JSON.stringify(caseBundle(vectors, vectors.cases[0])).replace('"chainId":', '"chainId":"x","chainId":'));
    const r = pantheon(['verify', dupPath, '--genesis-hash', vectors.genesisHash]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('[FAIL] format');
    expect(r.stdout).toContain('duplicate member "chainId"');
  }, 120_000);
});
