// The Web Crypto cross-check of verify.html (light-client/hash-cross-check.ts): for every valid
// proof and entry vector, the genesis, Pantheon header and Bitcoin header hashes the verifier
// got from noble are recomputed with Web Crypto's SHA-256 (Node's here, the browser's in
// test/verify-html.test.ts) and agree; a hash the verifier got wrong is named.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyBundleFacts } from '../light-client/verify.ts';
import { verifyEntryBundle } from '../light-client/verify-entry.ts';
import { crossCheckHashes, genesisTextToCrossCheck, hashesToCrossCheck } from '../light-client/hash-cross-check.ts';
import { genesisHash, parseGenesis } from '../genesis/genesis.ts';
import { bytesToHex } from '../protocol/bytes.ts';
import { caseBundle, caseOptions, loadProofVectors } from '../fixtures/bundle-fixture.ts';
import { entryCaseBundle, type EntryVectors } from '../fixtures/entry-fixture.ts';
import { REPO } from './helpers/cli.ts';

const proofs = loadProofVectors();
const entries: EntryVectors = JSON.parse(readFileSync(join(REPO, 'docs', 'vectors', 'entry-bundle.json'), 'utf8'));

describe('Web Crypto cross-check', () => {
  for (const c of proofs.cases.filter((x) => x.expect === 'ok')) {
    it(`agrees with the verifier: ${c.description}`, async () => {
      const r = verifyBundleFacts(caseBundle(proofs, c), caseOptions(proofs, c));
      expect(r.ok).toBe(true);
      const items = hashesToCrossCheck(r.facts);
      const anchored = r.facts.bundle!.anchor;
      // The genesis, header h, header H when anchored, and every Bitcoin header.
      expect(items.length).toBe(anchored ? 3 + anchored.bitcoin.headers.length : 2);
      expect(bytesToHex(items[0].noble)).toBe(proofs.genesisHash);
      const check = await crossCheckHashes(items);
      expect(check).toMatchObject({ ok: true, checked: items.length });
      expect(check.text).toMatch(/^Web Crypto cross-check: crypto\.subtle\.digest .* recomputed the genesis hash, /);
    });
  }

  it('agrees for every valid entry bundle', async () => {
    for (const c of entries.cases.filter((x) => x.expect === 'ok')) {
      const r = verifyEntryBundle(entryCaseBundle(entries, c), { genesis: entries.genesis, nowMs: entries.nowMs });
      expect(r.ok).toBe(true);
      const check = await crossCheckHashes(hashesToCrossCheck(r.facts!));
      expect(check.ok).toBe(true);
      expect(check.checked).toBeGreaterThanOrEqual(3);
    }
  });

  it('names a hash the verifier got wrong, and says not to trust the verdict', async () => {
    const c = proofs.cases[0];
    const items = hashesToCrossCheck(verifyBundleFacts(caseBundle(proofs, c), caseOptions(proofs, c)).facts);
    for (const i of [0, 1, items.length - 1]) {
      const wrong = items.map((x, j) => (j === i ? { ...x, noble: x.noble.map((b, k) => (k === 31 ? b ^ 1 : b)) } : x));
      const check = await crossCheckHashes(wrong);
      expect(check.ok).toBe(false);
      expect(check.text).toContain(`disagrees with the verifier's SHA-256 on ${items[i].what}.`);
    }
  });

  it('a bundle that fails before its genesis is established has nothing to recompute', async () => {
    const r = verifyBundleFacts('{', { genesisHash: proofs.genesisHash });
    expect(hashesToCrossCheck(r.facts)).toEqual([]);
    expect((await crossCheckHashes([])).text).toMatch(/no hash to recompute/);
  });

  it('a record audit cross-checks the genesis file the auditor supplied', async () => {
    const text = JSON.stringify(proofs.genesis);
    const items = genesisTextToCrossCheck(text);
    expect(items.map((i) => bytesToHex(i.noble))).toEqual([bytesToHex(genesisHash(parseGenesis(proofs.genesis)))]);
    expect((await crossCheckHashes(items)).ok).toBe(true);
    expect(genesisTextToCrossCheck('not json')).toEqual([]);
    expect(genesisTextToCrossCheck(undefined)).toEqual([]);
  });
});
