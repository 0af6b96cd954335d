// Keeps the cached vectors honest: a fresh anchored bundle is made against a live bcoin
// regtest node by the real Anchorer, then verified. Its Pantheon part must equal the cached
// vector's byte for byte (the fixture is deterministic); its Bitcoin part is new every run.
import { describe, expect, it } from 'vitest';
import { sha256d, hashToDisplayHex } from '../anchor/verify-bitcoin.ts';
import { base64 } from '@scure/base';
import { verifyBundle } from '../light-client/verify.ts';
import { anchorOnRegtest, caseBundle, fixtureBundle, fixtureChain, FIXTURE_K, loadProofVectors } from '../fixtures/bundle-fixture.ts';

describe('a bundle anchored on a live regtest node', () => {
  it('verifies, with and without a pinned Bitcoin block, and matches the cached vector', async () => {
    const chain = fixtureChain();
    const attestation = await anchorOnRegtest(chain);
    expect(attestation.confirmations).toBe(FIXTURE_K);
    const bundle = fixtureBundle(chain, attestation) as any;

    const nowMs = Date.now();
    const plain = verifyBundle(bundle, { genesisHash: chain.genesisHashHex, nowMs });
    expect(plain.ok, plain.steps.find((s) => s.status === 'fail')?.detail).toBe(true);
    expect(plain.summary.headline).toContain(`anchored in Bitcoin block ${attestation.blockHash} with ${FIXTURE_K} confirmation(s); Bitcoin: regtest, no real work`);
    expect(plain.summary.bitcoinAssurance?.level).toBe('no-real-work');

    const last = bundle.anchor.bitcoin.headers.at(-1);
    const pinned = verifyBundle(bundle, { genesis: chain.genesisJson, pinnedBtcBlockHash: hashToDisplayHex(sha256d(base64.decode(last))), nowMs });
    expect(pinned.ok).toBe(true);
    expect(pinned.steps.find((s) => s.name === 'bitcoin-pin')?.status).toBe('pass');
    expect(verifyBundle(bundle, { genesisHash: chain.genesisHashHex, pinnedBtcBlockHash: attestation.blockHash, nowMs }).ok).toBe(true);

    const cached = caseBundle(loadProofVectors(), loadProofVectors().cases[0]) as any;
    for (const key of ['chainId', 'genesisHash', 'genesis', 'commitment', 'block']) expect(bundle[key]).toEqual(cached[key]);
    expect(bundle.anchor.pantheonHeaders).toEqual(cached.anchor.pantheonHeaders);
  }, 90_000);
});
