// The light client against docs/vectors/proof.json (every case, ok and fail with the named
// step), assembleBundle's refusals, the bundle parser's errors (strict base64 in every binary
// field, version 1), and `pantheon verify` as a separate process with its exit codes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { base64 } from '@scure/base';
import { bytesToHex } from '../protocol/bytes.ts';
import { verifyBundle } from '../light-client/verify.ts';
import { base64ToBytes, BUNDLE_VERSION, BundleFormatError, bundleToJson, bytesToBase64, parseBundle } from '../light-client/bundle.ts';
import { assembleBundle } from '../light-client/assemble.ts';
import { reportText } from '../light-client/summary.ts';
import { caseBundle, caseOptions, failedDetail, fixtureChain, FIXTURE_H, loadProofVectors, NON_CANONICAL_BASE64_SAMPLES, withTrailingBits } from '../fixtures/bundle-fixture.ts';
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
        if (c.output.field !== undefined) expect(failed?.detail.startsWith(`${c.output.field}: `), failed?.detail).toBe(true);
        if (c.output.detail !== undefined) expect(failed?.detail).toContain(c.output.detail);
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
    expect(text).toMatch(/6 confirmation\(s\) on regtest, the network the genesis names; total work 12 expected hashes/);
    expect(text).toContain('cost to forge the supplied headers: 12 hashes: regtest, no real work');
    expect(r.summary.headline).toMatch(/^VERIFIED: final in Pantheon block 3 and anchored in Bitcoin block [0-9a-f]{64} with 6 confirmation\(s\); Bitcoin: regtest, no real work$/);
    expect(r.summary.bitcoinAssurance).toMatchObject({ level: 'no-real-work', network: 'regtest', confirmations: 6, headerWork: '12' });
    expect(r.summary.assumed.join('\n')).toContain('regtest headers carry no real work');
    expect(text).toContain('not compared with the live Bitcoin chain');
    expect(text.match(/^\[pass\]/gm)).toHaveLength(r.steps.length);
  });

  it('with a pinned Bitcoin block it says the chain reaches it', () => {
    const pinned = vectors.cases.find((c) => c.input.trust.pinnedBtcBlockHash && c.expect === 'ok')!;
    const r = verifyBundle(caseBundle(vectors, pinned), caseOptions(vectors, pinned));
    expect(r.summary.proven.join('\n')).toContain('reaches the Bitcoin block you pinned');
    expect(r.summary.assumed.join('\n')).not.toContain('not compared with the live Bitcoin chain');
    // The same pin in upper case (as copied from some explorers) is the same block.
    const options = caseOptions(vectors, pinned);
    const upper = verifyBundle(caseBundle(vectors, pinned), { ...options, pinnedBtcBlockHash: options.pinnedBtcBlockHash!.toUpperCase() });
    expect(upper.ok).toBe(true);
    expect(upper.summary.proven.join('\n')).toContain('reaches the Bitcoin block you pinned');
  });

  it('a finality-only bundle says it is not anchored', () => {
    const r = verifyBundle(caseBundle(vectors, vectors.cases[1]), caseOptions(vectors, vectors.cases[1]));
    expect(r.summary.headline).toMatch(/final in Pantheon block 3 .*not anchored in Bitcoin/);
    expect(r.summary.bitcoinAssurance).toEqual({ level: 'not-anchored', network: 'regtest' });
    expect(r.steps.some((s) => s.name.startsWith('bitcoin-'))).toBe(false);
  });

  it('no trust root at all fails at genesis', () => {
    expect(verifyBundle(anchoredBundle, {}).failedStep).toBe('genesis');
  });

  it('a changed operator signature is reported at commitment-signature, inclusion not concluded', () => {
    const c = vectors.cases.find((x) => x.description.startsWith('commitment signature byte flipped'))!;
    const r = verifyBundle(caseBundle(vectors, c), caseOptions(vectors, c));
    const byName = Object.fromEntries(r.steps.map((s) => [s.name, s]));
    expect(r.failedStep).toBe('commitment-signature');
    expect(byName['commitment-signature']).toMatchObject({ status: 'fail', detail: expect.stringContaining('signature does not verify') });
    expect(byName['commitment-signature'].detail).toContain('the signed transaction was changed');
    expect(byName.inclusion).toMatchObject({ status: 'not-run', detail: expect.stringMatching(/^not concluded: .*signature does not verify \(step commitment-signature\)$/) });
    expect(r.steps.filter((s) => s.status === 'fail').map((s) => s.name)).toEqual(['commitment-signature']);
    expect(r.summary.headline).toContain('commitment-signature');
    // A wrong path with the signature intact is still an inclusion failure.
    const path = vectors.cases.find((x) => x.description === 'inclusion path hash flipped')!;
    expect(verifyBundle(caseBundle(vectors, path), caseOptions(vectors, path)).failedStep).toBe('inclusion');
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

/** Every binary field of a v2 bundle, as a JSON Pointer and as the field name parseBundle reports. */
function binaryFields(bundle: any): { pointer: string; field: string; value: string }[] {
  const one = (pointer: string, field: string, value: string) => ({ pointer, field, value });
  const list = (pointer: string, field: string, values: string[]) => values.map((v, i) => one(`${pointer}/${i}`, `${field}[${i}]`, v));
  return [
    one('/genesisHash', 'genesisHash', bundle.genesisHash),
    one('/commitment/tx', 'commitment.tx', bundle.commitment.tx),
    ...list('/commitment/path', 'commitment.path', bundle.commitment.path),
    one('/block/header', 'block.header', bundle.block.header),
    one('/block/certificate', 'block.certificate', bundle.block.certificate),
    ...list('/anchor/pantheonHeaders', 'anchor.pantheonHeaders', bundle.anchor.pantheonHeaders),
    one('/anchor/bitcoin/rawTx', 'anchor.bitcoin.rawTx', bundle.anchor.bitcoin.rawTx),
    ...list('/anchor/bitcoin/merkleBranch', 'anchor.bitcoin.merkleBranch', bundle.anchor.bitcoin.merkleBranch),
    ...list('/anchor/bitcoin/headers', 'anchor.bitcoin.headers', bundle.anchor.bitcoin.headers),
  ];
}

function setPointer(doc: any, pointer: string, value: unknown): void {
  const keys = pointer.split('/').slice(1);
  const last = keys.pop()!;
  keys.reduce((o, k) => o[k], doc)[last] = value;
}

function formatErrorOf(fn: () => unknown): BundleFormatError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BundleFormatError) return err;
    throw err;
  }
  throw new Error('expected a BundleFormatError, parsing succeeded');
}

/**
 * Ways to write bytes that are not their one canonical text (RFC 4648 section 4, padded). Each
 * returns undefined when it does not apply to a text (no padding to drop, say).
 */
const NON_CANONICAL: Record<string, (t: string) => string | undefined> = {
  'padding dropped': (t) => (t.endsWith('=') ? t.replace(/=+$/, '') : undefined),
  'one "=" too many': (t) => t + '=',
  'four "=" too many (excess padding)': (t) => t + '====',
  'non-zero unused bits before the padding': (t) => (t.endsWith('=') ? withTrailingBits(t) : undefined),
  'leading space': (t) => ' ' + t,
  'trailing newline': (t) => t + '\n',
  'CRLF inside': (t) => t.slice(0, 4) + '\r\n' + t.slice(4),
  'tab inside': (t) => t.slice(0, 8) + '\t' + t.slice(8),
  'URL-safe alphabet': (t) => (/[+/]/.test(t) ? t.replace(/\+/g, '-').replace(/\//g, '_') : undefined),
  'non-ASCII letter': (t) => 'Ä' + t.slice(1),
  'two texts run together (padding inside)': (t) => 'AA==' + t,
  'empty': () => '',
};

describe('base64 fields (RFC 4648 section 4, strict)', () => {
  // base64ToBytes decodes with the platform's atob (lenient) behind its own checks; the
  // browser runs the same table in test/verify-html.test.ts. @scure/base is the reference.
  it.each(NON_CANONICAL_BASE64_SAMPLES.map((x) => [...x]))('base64ToBytes rejects %j: %s', (text) => {
    expect(() => base64ToBytes(text, 'x')).toThrow(/^x: /);
    expect(() => base64.decode(text)).toThrow();
  });

  it('base64ToBytes rejects every non-zero unused bit in the last character, as @scure/base does', () => {
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    // 1 trailing byte leaves 4 unused bits in its last character ("xx=="), 2 leave 2 ("xxx=").
    for (const [text, unusedBits] of [['Wg==', 4], ['WsM=', 2]] as const) {
      const at = text.indexOf('=') - 1;
      const accepts = (decode: (t: string) => unknown) =>
        [...ALPHABET].filter((c) => {
          try {
            decode(text.slice(0, at) + c + text.slice(at + 1));
            return true;
          } catch {
            return false;
          }
        });
      const zeroUnused = [...ALPHABET].filter((_, i) => (i & ((1 << unusedBits) - 1)) === 0);
      expect(accepts((t) => base64ToBytes(t, 'x'))).toEqual(zeroUnused);
      expect(accepts((t) => base64.decode(t))).toEqual(zeroUnused);
    }
  });

  it('bytesToBase64 and base64ToBytes round-trip every length from 0 to 100 bytes, and 100,000 (chunked), as @scure/base encodes', () => {
    for (const n of [...Array.from({ length: 101 }, (_, i) => i), 100_000]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 151 + n * 7) & 0xff);
      const text = bytesToBase64(bytes);
      expect(text.length).toBe(4 * Math.ceil(n / 3));
      expect(text).toBe(base64.encode(bytes));
      expect(base64ToBytes(text, 'x')).toEqual(bytes);
    }
  });

  const fields = binaryFields(anchoredBundle);
  const applied = new Map<string, number>();
  for (const { pointer, field, value } of fields) {
    it(`${field}: every non-canonical form is a BundleFormatError naming the field, and fails the format step`, () => {
      for (const [name, corrupt] of Object.entries(NON_CANONICAL)) {
        const text = corrupt(value);
        if (text === undefined) continue;
        applied.set(name, (applied.get(name) ?? 0) + 1);
        const b = structuredClone(anchoredBundle);
        setPointer(b, pointer, text);
        expect(formatErrorOf(() => parseBundle(b)).field, `${name} in ${field}`).toBe(field);
        const r = verifyBundle(b, caseOptions(vectors, anchored));
        expect(r.failedStep, `${name} in ${field}`).toBe('format');
        expect(failedDetail(r)?.startsWith(`${field}: `)).toBe(true);
      }
    });
  }

  it('hex (the version 1 form) in any binary field of a version 2 bundle does not verify', () => {
    // Fixed-size fields fail the format step on their length; in a variable-size field the hex
    // digits can happen to be canonical base64 of other bytes, which the field's own step refuses.
    for (const { pointer, field, value } of fields) {
      const b = structuredClone(anchoredBundle);
      setPointer(b, pointer, bytesToHex(base64.decode(value)));
      const r = verifyBundle(b, caseOptions(vectors, anchored));
      expect(r.ok, field).toBe(false);
      if (/genesisHash|path|merkleBranch|bitcoin\.headers/.test(field)) expect(r.failedStep, field).toBe('format');
    }
  });

  it('every non-canonical form was tried on at least one field', () => {
    expect([...applied.keys()].sort()).toEqual(Object.keys(NON_CANONICAL).sort());
  });

  it('the messages say what is wrong', () => {
    const msg = (pointer: string, text: string) => {
      const b = structuredClone(anchoredBundle);
      setPointer(b, pointer, text);
      return formatErrorOf(() => parseBundle(b)).message;
    };
    const tx: string = anchoredBundle.commitment.tx;
    expect(msg('/commitment/tx', tx.slice(0, 76) + '\n' + tx.slice(76))).toMatch(/^commitment\.tx: character "\\n" \(U\+000A\) at offset 76 is not base64/);
    expect(msg('/commitment/tx', 'AA==' + tx)).toMatch(/^commitment\.tx: "=" at offset 2 is inside the text/);
    expect(msg('/commitment/path/0', withTrailingBits(anchoredBundle.commitment.path[0]))).toMatch(/^commitment\.path\[0\]: not canonical base64/);
    expect(msg('/genesisHash', vectors.genesisHash)).toMatch(/^genesisHash: 64 characters, more than the 44 that 32 bytes take in base64/);
    expect(msg('/anchor/bitcoin/headers/0', base64.encode(new Uint8Array(79)))).toMatch(/^anchor\.bitcoin\.headers\[0\]: expected 80 bytes, got 79/);
  });
});

describe('version', () => {
  /** The anchored bundle as version 1 wrote it: the same fields, every binary one in hex. */
  const v1 = structuredClone(anchoredBundle);
  v1.version = 1;
  for (const { pointer, value } of binaryFields(anchoredBundle)) setPointer(v1, pointer, bytesToHex(base64.decode(value)));

  it('is 2', () => {
    expect(BUNDLE_VERSION).toBe(2);
    expect(anchoredBundle.version).toBe(2);
  });

  it('a version 1 (hex) bundle is refused at the format step, saying to make a new one', () => {
    const error = formatErrorOf(() => parseBundle(v1));
    expect(error.field).toBe('version');
    expect(error.message).toBe('version: version 1 (hex) bundles are not supported by this verifier; make a new one with pantheon proof');
    const r = verifyBundle(v1, caseOptions(vectors, anchored));
    expect(r.failedStep).toBe('format');
    expect(r.summary.verdict).toBe('INVALID');
  });

  it('a version 1 bundle relabelled as version 2 fails on its hex, naming the first binary field', () => {
    expect(formatErrorOf(() => parseBundle({ ...v1, version: 2 })).field).toBe('genesisHash');
  });

  it('the version is checked before the fields, so another version hears "version"', () => {
    expect(formatErrorOf(() => parseBundle({ format: 'pantheon-proof-bundle', version: 3, newField: 1 })).field).toBe('version');
  });
});

describe('assembleBundle', () => {
  const chain = fixtureChain();

  it('builds the finality-only vector byte for byte', () => {
    expect(assembleBundle(chain.parts)).toEqual(caseBundle(vectors, vectors.cases[1]));
  });

  it('leaves the genesis out when asked: such a bundle verifies with the genesis file, not with the hash alone', () => {
    const bare = assembleBundle({ ...chain.parts, includeGenesis: false });
    expect(bare).not.toHaveProperty('genesis');
    const nowMs = anchored.input.trust.nowMs;
    expect(verifyBundle(bare, { genesis: vectors.genesis, nowMs }).ok).toBe(true);
    const pinnedOnly = verifyBundle(bare, { genesisHash: vectors.genesisHash, nowMs });
    expect(pinnedOnly.failedStep).toBe('genesis');
    expect(failedDetail(pinnedOnly)).toMatch(/bundle carries no genesis.*supply the genesis file/);
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
    const script = `import { runCommand, UsageError } from './node/cli/command.ts'; import { verifyCommand } from './node/cli/verify-command.ts';
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

  it('exit 1 for a version 1 (hex) bundle, saying to make a new one', () => {
    const v1Path = join(dir, 'proof-v1.json');
    writeFileSync(v1Path, JSON.stringify({ ...anchoredBundle, version: 1 }));
    const r = run([v1Path, '--genesis-hash', vectors.genesisHash]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\[FAIL\] format: .*\n +version: version 1 \(hex\) bundles are not supported by this verifier; make a new one with pantheon proof$/m);
  });

  it('exit 2 without a trust root', () => {
    const r = run([bundlePath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--genesis <genesis.json> or --genesis-hash <hex>/);
  });
});
