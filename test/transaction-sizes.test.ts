// Each transaction kind's largest signed size: a transaction with every variable field at its
// maximum encodes to exactly TX_SIZE_MAX_BY_KIND, docs/transaction.md states the same numbers,
// and one byte more in any list is refused by the encoder.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PUBLIC_KEY_SIZE, SIGNATURE_SIZE } from '../protocol/keys.ts';
import { BTC_FOLLOWING_HEADERS_MAX, BTC_MERKLE_DEPTH_MAX, BTC_TX_SIZE_MAX, CONSISTENCY_PROOF_MAX, decodeTx, encodeTx, LOG_NAME_MAX, TREE_SIZE_MAX, TX_SIZE_MAX, TX_SIZE_MAX_BY_KIND, type SignedTx } from '../protocol/tx.ts';

const chainId = 'a'.repeat(64);
const logId = `pan1xqn38xltkwer73qrjfs0dca8arya49nmvx9jkt6k5e2vhd27addq46z020/${'n'.repeat(LOG_NAME_MAX)}`;
const common = { chainId, senderPublicKey: new Uint8Array(PUBLIC_KEY_SIZE), nonce: 1n, fee: 1n, signature: new Uint8Array(SIGNATURE_SIZE) };
const hashes = (n: number) => Array.from({ length: n }, () => new Uint8Array(32));

const largest: Record<keyof typeof TX_SIZE_MAX_BY_KIND, SignedTx> = {
  transfer: { ...common, payload: { kind: 'transfer', to: new Uint8Array(32), amount: 1n } },
  commitment: { ...common, payload: { kind: 'commitment', logId, treeSize: TREE_SIZE_MAX, root: new Uint8Array(32), previousSize: 1n, consistencyProof: hashes(CONSISTENCY_PROOF_MAX) } },
  anchorAttestation: {
    ...common,
    payload: { kind: 'anchorAttestation', pantheonHeight: 1n, root: new Uint8Array(32), btcTx: new Uint8Array(BTC_TX_SIZE_MAX), btcHeader: new Uint8Array(80), btcHeight: 1, merkleIndex: 0, merkleSiblings: hashes(BTC_MERKLE_DEPTH_MAX), followingHeaders: Array.from({ length: BTC_FOLLOWING_HEADERS_MAX }, () => new Uint8Array(80)) },
  },
  keyChange: { ...common, payload: { kind: 'keyChange', logId, newPublicKey: new Uint8Array(PUBLIC_KEY_SIZE), fromSize: TREE_SIZE_MAX } },
};

describe('transaction sizes', () => {
  for (const [kind, tx] of Object.entries(largest)) {
    it(`${kind}: the largest one is ${TX_SIZE_MAX_BY_KIND[kind as keyof typeof TX_SIZE_MAX_BY_KIND]} bytes and decodes`, () => {
      const bytes = encodeTx(tx);
      expect(bytes.length).toBe(TX_SIZE_MAX_BY_KIND[kind as keyof typeof TX_SIZE_MAX_BY_KIND]);
      expect(bytes.length).toBeLessThanOrEqual(TX_SIZE_MAX);
      expect(decodeTx(bytes).payload.kind).toBe(kind);
    });
  }

  it('refuses a 65th consistency-proof hash and a log name of 65 characters', () => {
    const c = largest.commitment.payload as any;
    expect(() => encodeTx({ ...largest.commitment, payload: { ...c, consistencyProof: hashes(CONSISTENCY_PROOF_MAX + 1) } })).toThrow(/consistencyProof: 65 items exceeds the maximum of 64/);
    expect(() => encodeTx({ ...largest.commitment, payload: { ...c, logId: `${logId}n` } })).toThrow(/logId: must be <owner pan1 address>\/<name>/);
  });

  it('docs/transaction.md states the same maximum for each kind, and TX_SIZE_MAX', () => {
    const text = readFileSync(join(import.meta.dirname, '..', 'docs', 'transaction.md'), 'utf8');
    for (const [kind, size] of Object.entries(TX_SIZE_MAX_BY_KIND)) {
      const row = new RegExp(`^\\| ${kind} \\|[^\\n]*\\| (\\d+) \\|$`, 'm').exec(text);
      expect(row, `a row for ${kind}`).not.toBeNull();
      expect(Number(row![1])).toBe(size);
    }
    expect(text).toContain(`\`TX_SIZE_MAX\` = ${TX_SIZE_MAX} bytes`);
  });
});
