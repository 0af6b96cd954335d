// The light client against docs/vectors/proof.json (every case, ok and fail with the named
// step), assembleBundle's refusals, the bundle parser's errors, and `pantheon verify` as a
// separate process with its exit codes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../light-client/verify.ts';
import { BundleFormatError, bundleToJson, parseBundle } from '../light-client/bundle.ts';
import { assembleBundle } from '../light-client/assemble.ts';
import { reportText } from '../light-client/summary.ts';
import { caseBundle, caseOptions, fixtureChain, FIXTURE_H, loadProofVectors } from './helpers/bundle-fixture.ts';
import { REPO } from './helpers/cli.ts';

const VECTOR_FILE = 'proof.json'; // docs/vectors/proof.json: checked here (test/vectors.test.ts looks for this name)
const vectors = loadProofVectors();
const anchored = vectors.cases[0];
const anchoredBundle = caseBundle(vectors, anchored) as any;

describe(`docs/vectors/${VECTOR_FILE}`, () => {
  it('has valid and negative cases', () => {
    expect(vectors.cases.filter((c) => c.expect === 'ok').length).toBeGreaterThanOrEqual(2);
    expect(vectors.cases.filter((c) => c.expect === 'fail').length).toBeGreaterThanOrEqual(20);
  });

  for (const c of vectors.cases) {
    it(`${c.expect}: ${c.description}`, () => {
      const result = verifyBundle(caseBundle(vectors, c), caseOptions(vectors, c));
      const failed = result.steps.find((s) => s.status === 'fail');
      if (c.expect === 'ok') {
        expect(result.ok, failed?.detail).toBe(true);
        expect(result.steps.map((s) => s.name)).toEqual(c.output.steps);
        expect(result.steps.every((s) => s.status === 'pass')).toBe(true);
        expect(result.summary.verdict).toBe('VALID');
      } else {
        expect(result.ok).toBe(false);
        expect(result.failedStep, failed?.detail).toBe(c.output.failedStep);
        expect(result.steps.filter((s) => s.status === 'fail')).toHaveLength(1);
        expect(result.summary.verdict).toBe('INVALID');
        expect(result.summary.proven).toEqual([]);
      }
    });
  }
});

describe('summary', () => {
  it('says what was proven and what was assumed, anchored and not pinned', () => {
    const r = verifyBundle(anchoredBundle, caseOptions(vectors, anchored));
    const text = reportText(r);
    expect(text).toMatch(/final by validators holding 75 % of the voting power .* of genesis [0-9a-f]{64}/);
    expect(text).toMatch(/in Bitcoin block [0-9a-f]{64}/);
    expect(text).toMatch(/6 confirmation\(s\), total work 12 expected hashes/);
    expect(text).toContain('regtest: no real work');
    expect(text).toContain('not compared with the live Bitcoin chain');
    expect(text.match(/^\[pass\]/gm)).toHaveLength(r.steps.length);
  });

  it('with a pinned Bitcoin block it says the chain reaches it', () => {
    const pinned = vectors.cases.find((c) => c.input.trust.pinnedBtcBlockHash && c.expect === 'ok')!;
    const r = verifyBundle(caseBundle(vectors, pinned), caseOptions(vectors, pinned));
    expect(r.summary.proven.join('\n')).toContain('reaches the Bitcoin block you pinned');
    expect(r.summary.assumed.join('\n')).not.toContain('not compared with the live Bitcoin chain');
  });

  it('a finality-only bundle says it is not anchored', () => {
    const r = verifyBundle(caseBundle(vectors, vectors.cases[1]), caseOptions(vectors, vectors.cases[1]));
    expect(r.summary.headline).toMatch(/final in Pantheon block 3 .*not anchored in Bitcoin/);
    expect(r.steps.some((s) => s.name.startsWith('bitcoin-'))).toBe(false);
  });

  it('no trust root at all fails at genesis', () => {
    expect(verifyBundle(anchoredBundle, {}).failedStep).toBe('genesis');
  });

  it('bundle text that is not JSON fails at format', () => {
    const r = verifyBundle('{"format": ', { genesisHash: vectors.genesisHash });
    expect(r.failedStep).toBe('format');
    expect(r.steps[0].detail).toMatch(/not valid JSON/);
  });
});

describe('bundle format', () => {
  it('round-trips through parseBundle and bundleToJson', () => {
    expect(bundleToJson(parseBundle(anchoredBundle))).toEqual(anchoredBundle);
  });

  it.each([
    ['commitment.path[0]', (b: any) => (b.commitment.path[0] = 'abc')],
    ['anchor.bitcoin.headers[2]', (b: any) => (b.anchor.bitcoin.headers[2] = b.anchor.bitcoin.headers[2].slice(2))],
    ['commitment.leafIndex', (b: any) => (b.commitment.leafIndex = -1)],
    ['anchor.bitcoin.network', (b: any) => (b.anchor.bitcoin.network = 'signet')],
    ['block', (b: any) => delete b.block.certificate],
    ['commitment.path', (b: any) => (b.commitment.path = Array(65).fill('00'.repeat(32)))],
  ])('names the field: %s', (field, mutate) => {
    const b = structuredClone(anchoredBundle);
    mutate(b);
    let error: unknown;
    try {
      parseBundle(b);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BundleFormatError);
    expect((error as BundleFormatError).field).toBe(field);
  });
});

describe('assembleBundle', () => {
  const chain = fixtureChain();

  it('builds the finality-only vector byte for byte', () => {
    expect(assembleBundle(chain.parts)).toEqual(caseBundle(vectors, vectors.cases[1]));
  });

  it('refuses a log size that is not the one in header h', () => {
    expect(() => assembleBundle({ ...chain.parts, logSize: 4 })).toThrow(/log of size 4, header h states size 5/);
  });

  it('refuses headers that do not end at the attested height', () => {
    const attestation = { pantheonHeight: '5', rootHex: '00'.repeat(32), blockHeight: 1, rawTxHex: '', merkleIndex: 0, merkleSiblingsHex: [], headerHex: '', followingHeadersHex: [] };
    const headers = chain.encodedHeaders.slice(FIXTURE_H - 1, FIXTURE_H + 1);
    expect(() => assembleBundle({ ...chain.parts, headers, attestation, bitcoinNetwork: 'regtest' })).toThrow(/anchors height 5; headers run from 3 to 4/);
  });

  it('refuses an attestation whose root is not the hash of block H', () => {
    const attestation = { pantheonHeight: '5', rootHex: '00'.repeat(32), blockHeight: 1, rawTxHex: '', merkleIndex: 0, merkleSiblingsHex: [], headerHex: '', followingHeadersHex: [] };
    const headers = chain.encodedHeaders.slice(FIXTURE_H - 1, 5);
    expect(() => assembleBundle({ ...chain.parts, headers, attestation, bitcoinNetwork: 'regtest' })).toThrow(/is not the hash of block 5/);
  });

  it('refuses a certificate for another height', () => {
    const other = fixtureChain();
    expect(() => assembleBundle({ ...chain.parts, headers: [other.encodedHeaders[0]], logSize: 1 })).toThrow(/certificate is for height 3, header h is at 1/);
  });
});

describe('pantheon verify (the Command, run as a process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pantheon-verify-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bundlePath = join(dir, 'proof.json');
  const tamperedPath = join(dir, 'tampered.json');
  const genesisPath = join(dir, 'genesis.json');
  writeFileSync(bundlePath, JSON.stringify(anchoredBundle, null, 2));
  writeFileSync(genesisPath, JSON.stringify(vectors.genesis, null, 2));
  const tampered = structuredClone(anchoredBundle);
  tampered.commitment.leafIndex += 1;
  writeFileSync(tamperedPath, JSON.stringify(tampered));
  // main.ts registers the command (owned elsewhere); this runs the exported Command the same way.
  const run = (args: string[]) => {
    const script = `import { runCommand, UsageError } from './node/cli/command.ts'; import { verifyCommand } from './light-client/cli.ts';
      try { process.exitCode = await runCommand(verifyCommand, JSON.parse(process.argv[1])); }
      catch (err) { if (!(err instanceof UsageError)) throw err; process.stderr.write(err.message + '\\n'); process.exitCode = 2; }`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, JSON.stringify(args)], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('exit 0 with --genesis-hash, every step printed as pass', () => {
    const r = run([bundlePath, '--genesis-hash', vectors.genesisHash]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\[pass\] format:/m);
    expect(r.stdout).toMatch(/^\[pass\] certificate-signatures:/m);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.stdout).toMatch(/^VERIFIED: final in Pantheon block 3 and anchored in Bitcoin block/m);
  });

  it('exit 0 with --genesis and --json', () => {
    const r = run([bundlePath, '--genesis', genesisPath, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(true);
    expect(out.summary.verdict).toBe('VALID');
  });

  it('exit 1 and FAIL at the named step for a tampered bundle', () => {
    const r = run([tamperedPath, '--genesis-hash', vectors.genesisHash]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\[FAIL\] inclusion:/m);
    expect(r.stdout).toMatch(/NOT VERIFIED: step "inclusion" failed/);
  });

  it('exit 1 when the pinned Bitcoin block is not reached', () => {
    const r = run([bundlePath, '--genesis-hash', vectors.genesisHash, '--btc-block', 'ff'.repeat(32)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\[FAIL\] bitcoin-pin:/m);
  });

  it('exit 2 without a trust root', () => {
    const r = run([bundlePath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--genesis <genesis.json> or --genesis-hash <hex>/);
  });
});
