// The bundle rules docs/proof.md states beyond the vectors: which field a format error names,
// how JSON numbers, null and a byte-order mark are read, where a bad carried genesis or a
// malformed pin fails, a pin on a bundle without an anchor, strictly increasing Pantheon
// header times, the inclusive 2-hour bounds, and that txIndex must fit the branch. Each is
// checked on the real bundle of docs/vectors/proof.json case 0.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pantheon } from './helpers/cli.ts';
import { TX_SIZE_MAX } from '../protocol/tx.ts';
import { bytesToHex } from '../protocol/bytes.ts';
import { genesisHash, parseGenesis } from '../genesis/genesis.ts';
import { base64 } from '@scure/base';
import { verifyBundle } from '../light-client/verify.ts';
import { parseBundle } from '../light-client/bundle.ts';
import { checkGenesis } from '../light-client/verify-genesis.ts';
import { checkPantheonChain } from '../light-client/verify-chain.ts';
import { checkPantheonHeader } from '../light-client/verify-header.ts';
import { checkBitcoinHeaders } from '../light-client/verify-anchor.ts';
import { blockHash, decodeHeader, encodeHeader } from '../protocol/block.ts';
import { parseBlockHeader } from '../anchor/verify-bitcoin.ts';
import { applyPatch, caseBundle, caseOptions, failedDetail, loadProofVectors } from '../fixtures/bundle-fixture.ts';

const vectors = loadProofVectors();
const base = vectors.cases[0];
const bundle = caseBundle(vectors, base) as any;
const options = caseOptions(vectors, base);
const text = JSON.stringify(bundle, null, 2);

function outcome(input: unknown, opts: Parameters<typeof verifyBundle>[1] = options): { step?: string; detail?: string } {
  const result = verifyBundle(input, opts);
  return { step: result.failedStep, detail: failedDetail(result) };
}

describe('format errors name a field', () => {
  it('an unknown member is named by the object holding it, before a missing one', () => {
    const patched = applyPatch(bundle, [
      { op: 'remove', path: '/commitment/leafIndex' },
      { op: 'add', path: '/commitment/extra', value: 1 },
    ]);
    const r = outcome(patched);
    expect(r.step).toBe('format');
    expect(r.detail).toMatch(/^commitment: unknown field "extra"/);
  });
  it('a missing member is named by the object holding it', () => {
    expect(outcome(applyPatch(bundle, [{ op: 'remove', path: '/anchor/bitcoin/txIndex' }])).detail).toMatch(/^anchor\.bitcoin: missing field "txIndex"/);
    expect(outcome(applyPatch(bundle, [{ op: 'remove', path: '/block' }])).detail).toMatch(/^bundle: missing field "block"/);
  });
});

describe('JSON text and numbers', () => {
  it('a byte-order mark is not JSON: format fails', () => {
    const r = outcome('\uFEFF' + text);
    expect(r.step).toBe('format');
    expect(r.detail).toMatch(/JSON/);
    expect(outcome(text).step).toBeUndefined();
  });
  it('pantheon verify refuses a bundle file that starts with a byte-order mark: exit 1, "not valid JSON", no step passes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-bom-'));
    try {
      const path = join(dir, 'proof.json');
      writeFileSync(path, '\uFEFF' + text);
      const r = pantheon(['verify', path, '--genesis-hash', vectors.genesisHash]);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/not valid JSON/);
      expect(r.stdout).not.toMatch(/\[pass\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('integers are read as values: 1.0-style spellings read as the integer', () => {
    const spelled = text.replace(/"leafIndex": (\d+)/, '"leafIndex": $1.0').replace(/"txIndex": (\d+)/, '"txIndex": $1e0');
    expect(spelled).not.toBe(text);
    expect(outcome(spelled).step).toBeUndefined();
  });
  it('a fraction, a negative number, a string and a value above 2^53 - 1 are refused, naming the member', () => {
    for (const value of [0.5, -1, '1', 2 ** 53, 1e300]) {
      const r = outcome(applyPatch(bundle, [{ op: 'replace', path: '/anchor/bitcoin/blockHeight', value }]));
      expect(r.step, String(value)).toBe('format');
      expect(r.detail).toMatch(/^anchor\.bitcoin\.blockHeight: expected a non-negative integer/);
    }
    expect(outcome(applyPatch(bundle, [{ op: 'replace', path: '/anchor/bitcoin/blockHeight', value: 2 ** 53 - 1 }])).step).toBeUndefined();
  });
  it('null for an optional member is not absence: format fails naming it', () => {
    for (const member of ['anchor', 'genesis']) {
      const r = outcome(applyPatch(bundle, [{ op: 'replace', path: `/${member}`, value: null }]));
      expect(r.step).toBe('format');
      expect(r.detail).toMatch(new RegExp(`^${member}: expected`));
    }
  });
});

describe('trust inputs', () => {
  it('a carried genesis that is an object but not a valid genesis fails at genesis, not format', () => {
    const r = outcome(applyPatch(bundle, [{ op: 'remove', path: '/genesis/validators' }]));
    expect(r.step).toBe('genesis');
    expect(r.detail).toMatch(/missing field "validators"/);
    expect(outcome(applyPatch(bundle, [{ op: 'replace', path: '/genesis', value: [] }])).step).toBe('format');
  });
  it('a malformed pinned genesis hash fails at genesis (a verdict, not a usage error)', () => {
    const r = outcome(bundle, { ...options, genesisHash: 'xyz' });
    expect(r.step).toBe('genesis');
    expect(r.detail).toMatch(/^pinned genesis hash/);
  });
  it('a pinned Bitcoin block fails at bitcoin-pin when malformed, and when the bundle has no anchor', () => {
    expect(outcome(bundle, { ...options, pinnedBtcBlockHash: 'not-a-hash' }).step).toBe('bitcoin-pin');
    const finality = caseBundle(vectors, vectors.cases[1]);
    const r = outcome(finality, { ...caseOptions(vectors, vectors.cases[1]), pinnedBtcBlockHash: '00'.repeat(32) });
    expect(r.step).toBe('bitcoin-pin');
    expect(r.detail).toMatch(/no Bitcoin anchor/);
  });
});

describe('txIndex must fit the branch', () => {
  it('an index of 2^depth or more fails at bitcoin-merkle, naming the rule', () => {
    const depth = bundle.anchor.bitcoin.merkleBranch.length;
    const r = outcome(applyPatch(bundle, [{ op: 'replace', path: '/anchor/bitcoin/txIndex', value: 2 ** depth }]));
    expect(r.step).toBe('bitcoin-merkle');
    expect(r.detail).toMatch(/\[merkle-index\]$/);
  });
});

describe('time rules', () => {
  const parsed = parseBundle(bundle);
  const trust = checkGenesis(parsed, { genesisHash: vectors.genesisHash });
  const h = checkPantheonHeader(parsed.block.header, trust, undefined, 'block.header');

  it('Pantheon header times strictly increase along h..H: an equal time fails at pantheon-chain', () => {
    const next = { ...h.header, height: h.header.height + 1n, previousBlockHash: blockHash(h.header) };
    expect(() => checkPantheonChain(h, [encodeHeader({ ...next, timeMs: h.header.timeMs + 1n })], trust, undefined)).not.toThrow();
    expect(() => checkPantheonChain(h, [encodeHeader({ ...next, timeMs: h.header.timeMs })], trust, undefined)).toThrow(/not after block .* strictly increase/);
  });

  it('a Pantheon header exactly 2 h after the clock passes; 1 ms more fails', () => {
    const t = Number(decodeHeader(parsed.block.header).timeMs);
    expect(() => checkPantheonHeader(parsed.block.header, trust, t - 7_200_000, 'h')).not.toThrow();
    expect(() => checkPantheonHeader(parsed.block.header, trust, t - 7_200_001, 'h')).toThrow(/more than 2 h after/);
  });

  it('a Bitcoin header exactly 2 h after the clock (whole seconds) passes; 1 s more fails', () => {
    const btc = parsed.anchor!.bitcoin;
    const latest = Math.max(...btc.headers.map((raw) => parseBlockHeader(raw).time));
    const nowAt = (s: number) => ({ nowMs: s * 1000, minConfirmations: 1 });
    expect(() => checkBitcoinHeaders(btc, nowAt(latest - 7200))).not.toThrow();
    expect(() => checkBitcoinHeaders(btc, { ...nowAt(latest - 7200), nowMs: (latest - 7200) * 1000 + 999 })).not.toThrow();
    expect(() => checkBitcoinHeaders(btc, nowAt(latest - 7201))).toThrow(/more than 2 h after/);
  });
});

describe('bitcoin-tx on the real bundle', () => {
  it('an extra OP_RETURN output, and the payload pushed with OP_PUSHDATA1, fail at bitcoin-tx naming the rule', () => {
    const raw = base64.decode(bundle.anchor.bitcoin.rawTx);
    // Find the anchor script 6a35 and rebuild the output with OP_PUSHDATA1 (length + 1).
    const at = raw.findIndex((b, i) => b === 0x37 && raw[i + 1] === 0x6a && raw[i + 2] === 0x35);
    expect(at).toBeGreaterThan(0);
    const pushdata = new Uint8Array([...raw.subarray(0, at), 0x38, 0x6a, 0x4c, 0x35, ...raw.subarray(at + 3)]);
    let r = outcome(applyPatch(bundle, [{ op: 'replace', path: '/anchor/bitcoin/rawTx', value: base64.encode(pushdata) }]));
    expect(r.step).toBe('bitcoin-tx');
    expect(r.detail).toMatch(/\[anchor-script\]$/);
    // Output count is the byte before the first output's value: one input here, so 4 + 1 + 41 + scriptSig.
    const outputCountAt = at - 8 - 1;
    expect(raw[outputCountAt]).toBeGreaterThan(0);
    const extra = new Uint8Array([...raw.subarray(0, outputCountAt), raw[outputCountAt] + 1, ...new Uint8Array(8), 0x01, 0x6a, ...raw.subarray(outputCountAt + 1)]);
    r = outcome(applyPatch(bundle, [{ op: 'replace', path: '/anchor/bitcoin/rawTx', value: base64.encode(extra) }]));
    expect(r.step).toBe('bitcoin-tx');
    expect(r.detail).toMatch(/\[anchor-op-return-count\]$/);
  });
});

describe('docs/proof.md says what the code says', () => {
  const doc = readFileSync(new URL('../docs/proof.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
  it('gives the one version-1 message the parser gives', () => {
    let message = '';
    try {
      parseBundle({ ...bundle, version: 1 });
    } catch (err) {
      message = (err as Error).message.replace(/^version: /, '');
    }
    expect(message).toMatch(/version 1/);
    expect(doc).toContain(`"${message}"`);
    expect(doc).not.toMatch(/fetch the bundle again/);
  });
  it('bounds commitment.tx by TX_SIZE_MAX, as the parser does, and cites no docs/certificate.md', () => {
    expect(doc).toContain(`\`TX_SIZE_MAX\` = ${TX_SIZE_MAX.toLocaleString('en-US')} bytes`);
    expect(doc).not.toContain('certificate.md');
    const tooLong = applyPatch(bundle, [{ op: 'replace', path: '/commitment/tx', value: base64.encode(new Uint8Array(TX_SIZE_MAX + 1)) }]);
    expect(outcome(tooLong).detail).toMatch(/^commitment\.tx: /);
  });
});

describe('genesis numbers are values (docs/genesis.md)', () => {
  it('2000.0 and 2e3 give the genesis hash of 2000; 2000.5 and null are refused', () => {
    const genesisText = JSON.stringify(vectors.genesis);
    const hashOf = (text: string) => bytesToHex(genesisHash(parseGenesis(JSON.parse(text))));
    const n = (vectors.genesis as any).params.blockTxsMax as number;
    const spelled = (v: string) => genesisText.replace(`"blockTxsMax":${n}`, `"blockTxsMax":${v}`);
    expect(spelled(`${n}.0`)).not.toBe(genesisText);
    expect(hashOf(spelled(`${n}.0`))).toBe(vectors.genesisHash);
    expect(hashOf(spelled(`${n / 1000}e3`))).toBe(vectors.genesisHash);
    expect(() => hashOf(spelled(`${n}.5`))).toThrow(/params\.blockTxsMax/);
    expect(() => hashOf(spelled('null'))).toThrow(/params\.blockTxsMax/);
  });
});
