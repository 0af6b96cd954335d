// The Bitcoin parsing rules of docs/anchor.md against docs/vectors/bitcoin.json, run through
// every place that applies them: the shared parsers (anchor/bitcoin-tx.ts,
// anchor/verify-bitcoin.ts), the light client's bitcoin-tx, bitcoin-merkle and bitcoin-headers
// steps, and the node's check of anchor-attestation transactions. Each refusal must name the
// rule the vector names, so the three readers cannot drift apart.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '../protocol/bytes.ts';
import { BitcoinRuleError, parseAnchorTransaction, parseBitcoinTransaction } from '../anchor/bitcoin-tx.ts';
import { assertMerkleBranch, assertValidProofOfWork, bitsToTarget, buildMerkleBranch, computeMerkleRoot, hashToDisplayHex, merkleRootFromBranch, parseBlockHeader, targetToBits, workForBits, type BitcoinNetworkName } from '../anchor/verify-bitcoin.ts';
import { checkAttestationPayload } from '../anchor/verify-attestation.ts';
import { encodeAnchorPayload } from '../anchor/payload.ts';
import { keyFromPrivateKey, signAnchorTx, type WalletUtxo } from '../anchor/node/wallet.ts';
import { networks } from 'bitcoinjs-lib';
import { Transaction as ScureTx } from '@scure/btc-signer';
import { checkBitcoinHeaders, checkBitcoinMerkle, checkBitcoinTx } from '../light-client/verify-anchor.ts';
import type { BitcoinAnchorProof } from '../light-client/bundle.ts';
import type { CheckedHeader } from '../light-client/verify-header.ts';

const VECTOR_FILE = 'bitcoin.json'; // docs/vectors/<file>; test/vectors.test.ts looks for this name
type Case = { description: string; input: any; expect: string; output?: any };
const vectors = JSON.parse(readFileSync(new URL(`../docs/vectors/${VECTOR_FILE}`, import.meta.url), 'utf8')) as { description: string; cases: Case[] };
const h = (s: string) => hexToBytes(s, 'vector');

/** The rule a call breaks, 'ok' when it returns. Anything but a BitcoinRuleError is a test failure. */
function ruleOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof BitcoinRuleError) return err.rule;
    throw err;
  }
}

/** The light client's verdict for a step: 'ok', or the rule it names in brackets at the end of its message. */
function stepRule(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    const m = /\[([a-z0-9-]+)\]$/.exec((err as Error).message);
    if (!m) throw err;
    return m[1];
  }
}

function btcProof(over: Partial<BitcoinAnchorProof>): BitcoinAnchorProof {
  return { network: 'regtest', blockHeight: 0, rawTx: new Uint8Array(0), txIndex: 0, merkleBranch: [], headers: [], ...over };
}

describe('docs/vectors/bitcoin.json', () => {
  const counts = { ok: 0, refused: 0 };
  for (const c of vectors.cases) {
    it(`${c.input.kind}: ${c.description}`, () => {
      if (c.expect === 'ok') counts.ok++;
      else counts.refused++;
      const i = c.input;
      if (i.kind === 'tx') {
        expect(ruleOf(() => parseBitcoinTransaction(h(i.rawTx), { witness: i.witness }))).toBe(c.expect);
        if (c.expect === 'ok') {
          const tx = parseBitcoinTransaction(h(i.rawTx), { witness: i.witness });
          expect(hashToDisplayHex(tx.txid)).toBe(c.output.txid);
          expect(tx.outputs.length).toBe(c.output.outputCount);
          expect(tx.hadWitness).toBe(c.output.hadWitness);
          if (c.output.nonWitnessHex) expect(bytesToHex(tx.nonWitnessBytes)).toBe(c.output.nonWitnessHex);
        }
      } else if (i.kind === 'anchor-tx') {
        const raw = h(i.rawTx);
        expect(ruleOf(() => parseAnchorTransaction(raw, i.chainId, { witness: i.witness }))).toBe(c.expect);
        if (c.expect === 'ok') {
          const a = parseAnchorTransaction(raw, i.chainId, { witness: i.witness });
          expect({ height: a.payload.height.toString(), rootHex: bytesToHex(a.payload.root), outputIndex: a.outputIndex, txid: hashToDisplayHex(a.tx.txid) }).toEqual(c.output);
        }
        const anchored = { header: { height: 42n }, hash: h('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f') } as unknown as CheckedHeader;
        if (i.witness === 'forbidden') {
          // The light client's bitcoin-tx step refuses exactly what the rule refuses, naming it.
          expect(stepRule(() => checkBitcoinTx(btcProof({ rawTx: raw }), i.chainId, anchored))).toBe(c.expect);
        } else if (c.expect !== 'ok') {
          // The node's anchor-attestation check (witness allowed) refuses it too, before any merkle or header work matters.
          const verdict = checkAttestationPayload({ kind: 'anchorAttestation', pantheonHeight: 42n, root: anchored.hash, btcTx: raw, btcHeader: ATTESTATION_HEADER, btcHeight: 1, merkleIndex: 0, merkleSiblings: [], followingHeaders: [] } as any, i.chainId);
          expect(verdict).toMatch(/^bad Bitcoin data: /);
        }
      } else if (i.kind === 'merkle') {
        const branch = { index: i.index, siblings: i.siblings.map(h) };
        expect(ruleOf(() => assertMerkleBranch(h(i.txid), branch, h(i.merkleRoot)))).toBe(c.expect);
        // The light client's bitcoin-merkle step on a header carrying that merkle root.
        const header = new Uint8Array(80);
        header.set(h(i.merkleRoot), 36);
        expect(stepRule(() => checkBitcoinMerkle(btcProof({ txIndex: i.index, merkleBranch: branch.siblings, headers: [header] }), h(i.txid)))).toBe(c.expect);
      } else if (i.kind === 'bits') {
        const bits = Number(i.bits);
        expect(ruleOf(() => bitsToTarget(bits))).toBe(c.expect);
        if (c.expect === 'ok') {
          expect(bitsToTarget(bits).toString(16).padStart(64, '0')).toBe(c.output.target);
          expect(workForBits(bits).toString()).toBe(c.output.work);
          // The formula, computed independently: floor(2^256 / (target + 1)).
          expect(((1n << 256n) / (BigInt('0x' + c.output.target) + 1n)).toString()).toBe(c.output.work);
          expect(targetToBits(bitsToTarget(bits))).toBe(bits);
        }
      } else if (i.kind === 'header') {
        const raw = h(i.header);
        expect(ruleOf(() => assertValidProofOfWork(parseBlockHeader(raw), i.network as BitcoinNetworkName))).toBe(c.expect);
        expect(stepRule(() => checkBitcoinHeaders(btcProof({ network: i.network, headers: [raw] }), { minConfirmations: 1 }))).toBe(c.expect);
        if (c.expect === 'ok') expect(hashToDisplayHex(parseBlockHeader(raw).hash)).toBe(c.output.hash);
      } else {
        throw new Error(`unknown kind ${i.kind}`);
      }
    });
  }
  it('has negative cases for every rule and more refusals than acceptances', () => {
    const rules = new Set(vectors.cases.map((c) => c.expect).filter((e) => e !== 'ok'));
    for (const rule of ['tx-truncated', 'tx-compact-size', 'tx-trailing-bytes', 'tx-too-short', 'tx-no-inputs', 'tx-no-outputs', 'tx-value', 'tx-witness', 'anchor-op-return-count', 'anchor-script', 'anchor-payload', 'merkle-index', 'merkle-phantom', 'merkle-last-node', 'merkle-root', 'bits-negative', 'bits-overflow', 'bits-zero', 'bits-not-normalised', 'bits-above-pow-limit', 'pow-hash']) expect(rules, rule).toContain(rule);
    expect(counts.ok + counts.refused).toBe(vectors.cases.length);
    expect(counts.refused).toBeGreaterThan(counts.ok);
  });
});

/** A header for attestation checks whose own work is valid at the regtest limit (the tx rule runs after it). */
const ATTESTATION_HEADER = (() => {
  for (let nonce = 0; ; nonce++) {
    const header = new Uint8Array(80);
    const v = new DataView(header.buffer);
    v.setUint32(72, 0x207fffff, true);
    v.setUint32(76, nonce, true);
    if (ruleOf(() => assertValidProofOfWork(parseBlockHeader(header), 'regtest')) === 'ok') return header;
  }
})();

describe('merkle branches of mutated (CVE-2012-2459) transaction lists', () => {
  it('accepts every real position and refuses every phantom position that reaches the same root, for blocks of 1 to 40 transactions', () => {
    let phantoms = 0;
    for (let n = 1; n <= 40; n++) {
      const ids = Array.from({ length: n }, (_, i) => sha256(Uint8Array.of(i, n)));
      const root = computeMerkleRoot(ids);
      for (let i = 0; i < n; i++) expect(bytesToHex(merkleRootFromBranch(ids[i], buildMerkleBranch(ids, i)))).toBe(bytesToHex(root));
      // Appending copies of the last txid gives other lists with the same root (the mutation);
      // their extra positions are phantoms and must be refused.
      for (let extra = 1; extra <= 64; extra++) {
        const mutated = [...ids, ...Array.from({ length: extra }, () => ids[n - 1])];
        if (bytesToHex(computeMerkleRoot(mutated)) !== bytesToHex(root)) continue;
        for (let j = n; j < mutated.length; j++) {
          const branch = buildMerkleBranch(mutated, j);
          expect(['merkle-phantom', 'merkle-last-node'], `n=${n} +${extra} index ${j}`).toContain(ruleOf(() => merkleRootFromBranch(mutated[j], branch)));
          phantoms++;
        }
      }
    }
    expect(phantoms).toBeGreaterThan(100);
  });
});

describe('transactions the real anchor wallet signs (bitcoinjs-lib, P2WPKH inputs with witnesses)', () => {
  it('pass the anchor rule in the witness form (attestations) and, stripped, in the bundle form; both libraries agree on the txid and the stripped bytes', () => {
    const key = keyFromPrivateKey(sha256(new TextEncoder().encode('bitcoin-rules-test-key')));
    const network = { ...networks.regtest, bech32: 'rb' };
    const utxo = (n: number, valueSat: string): WalletUtxo => ({ txid: bytesToHex(sha256(Uint8Array.of(n))), vout: n % 3, valueSat, height: 10, coinbase: false });
    const root = sha256(Uint8Array.of(7));
    for (const inputs of [[utxo(1, '500000')], [utxo(1, '500000'), utxo(2, '70000'), utxo(3, '90000')]]) {
      const signed = signAnchorTx({ key, network, inputs, payload: encodeAnchorPayload('pantheon-devnet', 77n, root), feeSat: 1000n });
      const raw = hexToBytes(signed.rawTxHex, 'rawTx');
      const anchor = parseAnchorTransaction(raw, 'pantheon-devnet', { witness: 'allowed' });
      expect(anchor.tx.hadWitness).toBe(true);
      expect(hashToDisplayHex(anchor.tx.txid)).toBe(signed.txid);
      expect(anchor.payload.height).toBe(77n);
      expect(bytesToHex(anchor.payload.root)).toBe(bytesToHex(root));
      // @scure/btc-signer strips the witness independently.
      const stripped = ScureTx.fromRaw(raw, { allowUnknownOutputs: true, disableScriptCheck: true }).toBytes(true, false);
      expect(bytesToHex(anchor.tx.nonWitnessBytes)).toBe(bytesToHex(stripped));
      expect(ruleOf(() => parseAnchorTransaction(raw, 'pantheon-devnet', { witness: 'forbidden' }))).toBe('tx-witness');
      expect(hashToDisplayHex(parseAnchorTransaction(stripped, 'pantheon-devnet', { witness: 'forbidden' }).tx.txid)).toBe(signed.txid);
    }
  });
});
