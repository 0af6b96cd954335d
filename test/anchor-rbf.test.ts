// BIP 125: every replacement the anchorer's fee logic produces is a valid replacement of the
// one before (same inputs, signals, higher absolute fee, increase pays the incremental relay
// fee for its own size), on real signed transactions; and the checker catches each violation.
import { describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { networks } from 'bitcoinjs-lib';
import { encodeAnchorPayload } from '../anchor/payload.ts';
import { bip125Violations, replacementMinFeeSat } from '../anchor/node/rbf.ts';
import { keyFromPrivateKey, signAnchorTx, signAnchorTxAtRate, type WalletUtxo } from '../anchor/node/wallet.ts';

const key = keyFromPrivateKey(sha256(new TextEncoder().encode('anchor-rbf-test-key')));
const network = { ...networks.regtest, bech32: 'rb' };
const utxo = (n: number, valueSat: string): WalletUtxo => ({ txid: sha256(Uint8Array.of(n)).reduce((s, b) => s + b.toString(16).padStart(2, '0'), ''), vout: n % 3, valueSat, height: 10, coinbase: false });
const inputs = [utxo(1, '500000'), utxo(2, '70000')];
const payload = (height: number) => encodeAnchorPayload('pantheon-devnet', BigInt(height), sha256(Uint8Array.of(height)));

describe('BIP 125 replacements', () => {
  it('a run of 25 replacements with newer roots each satisfies every rule against its predecessor', () => {
    const incremental = 1;
    let previous = signAnchorTxAtRate({ key, network, inputs, payload: payload(10) }, 2);
    let highestFee = previous.feeSat;
    for (let i = 1; i <= 25; i++) {
      // Same computation as Anchorer.replaceAnchor; the fee estimate varies, sometimes below the minimum.
      const minFee = replacementMinFeeSat(highestFee, previous.vsize, incremental);
      const next = signAnchorTxAtRate({ key, network, inputs, payload: payload(10 + i * 10) }, i % 3 === 0 ? 1 : 2 + i, minFee);
      expect(bip125Violations({ rawTxHex: previous.rawTxHex, feeSat: highestFee }, { rawTxHex: next.rawTxHex, feeSat: next.feeSat }, incremental)).toEqual([]);
      expect(next.inputs).toEqual(previous.inputs);
      expect(next.feeSat - highestFee).toBeGreaterThanOrEqual(BigInt(next.vsize * incremental));
      highestFee = next.feeSat;
      previous = next;
    }
  });

  it('names each violated rule', () => {
    const original = signAnchorTx({ key, network, inputs, payload: payload(10), feeSat: 400n });
    const sameFee = signAnchorTx({ key, network, inputs, payload: payload(20), feeSat: 400n });
    expect(bip125Violations({ rawTxHex: original.rawTxHex, feeSat: 400n }, { rawTxHex: sameFee.rawTxHex, feeSat: 400n }).join('\n')).toMatch(/rule 3/);
    const tinyIncrease = signAnchorTx({ key, network, inputs, payload: payload(20), feeSat: 410n });
    const problems = bip125Violations({ rawTxHex: original.rawTxHex, feeSat: 400n }, { rawTxHex: tinyIncrease.rawTxHex, feeSat: 410n });
    expect(problems.join('\n')).toMatch(/rule 4: fee increase 10 sat is below/);
    expect(problems.join('\n')).not.toMatch(/rule 3/);
    const otherInputs = signAnchorTx({ key, network, inputs: [inputs[0]], payload: payload(20), feeSat: 2000n });
    expect(bip125Violations({ rawTxHex: original.rawTxHex, feeSat: 400n }, { rawTxHex: otherInputs.rawTxHex, feeSat: 2000n }).join('\n')).toMatch(/same inputs/);
    expect(bip125Violations({ rawTxHex: original.rawTxHex, feeSat: 400n }, { rawTxHex: original.rawTxHex, feeSat: 400n }).join('\n')).toMatch(/is the original/);
  });

  it('rule 1: an original that does not signal cannot be replaced', () => {
    const original = signAnchorTx({ key, network, inputs, payload: payload(10), feeSat: 400n });
    // Rewrite every nSequence to final (0xffffffff); the signature is irrelevant to the policy check.
    const hex = original.rawTxHex.replaceAll('fdffffff', 'ffffffff');
    const replacement = signAnchorTx({ key, network, inputs, payload: payload(20), feeSat: 1000n });
    expect(bip125Violations({ rawTxHex: hex, feeSat: 400n }, { rawTxHex: replacement.rawTxHex, feeSat: 1000n }).join('\n')).toMatch(/rule 1/);
  });

  it('refuses change below dust rather than sign it', () => {
    expect(() => signAnchorTx({ key, network, inputs: [utxo(5, '1000')], payload: payload(1), feeSat: 800n })).toThrow(/below dust/);
  });
});
