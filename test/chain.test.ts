// The node's chain rules on a real level database: equivocation evidence goes into a block
// once and never twice; a block with an invalid transaction or a false anchor attestation is
// refused with the reason; a commit survives closing and reopening the store.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { blockHash, encodeBlock, evidenceRoot, txRoot, type Block } from '../protocol/block.ts';
import { bytesToHex, ZERO_HASH } from '../protocol/bytes.ts';
import { encodeEvidence, evidenceKey, makeEvidence } from '../protocol/evidence.ts';
import { addressBytes, addressOf, keyPairFromSeed } from '../protocol/keys.ts';
import { encodeTx, signTx, type UnsignedTx } from '../protocol/tx.ts';
import { signVote } from '../protocol/vote.ts';
import { createGenesis } from '../genesis/genesis.ts';
import { Chain } from '../node/chain.ts';
import { NodeStore } from '../node/store.ts';
import { SampleLog } from '../node/commitment-log.ts';

const validators = [10, 11, 12, 13].map((i) => keyPairFromSeed(new Uint8Array(32).fill(i)));
const treasury = keyPairFromSeed(new Uint8Array(32).fill(20));
const genesis = createGenesis({ chainId: 'pantheon-chain-test-1', genesisTimeMs: 1_000n, validatorPublicKeys: validators.map((v) => v.publicKey), fundedPublicKeys: [treasury.publicKey] });
const proposer = addressBytes(validators[0].publicKey);
const stores: NodeStore[] = [];

async function openChain(dir = mkdtempSync(join(tmpdir(), 'pantheon-chain-'))) {
  const store = await NodeStore.open(join(dir, 'db'));
  stores.push(store);
  return { dir, store, chain: await Chain.load(genesis, store) };
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)));
});

function equivocation(height: bigint) {
  const base = { chainId: genesis.chainId, type: 'prevote' as const, height, round: 0, validatorIndex: 2 };
  const a = signVote({ ...base, blockHash: new Uint8Array(32).fill(1) }, validators[2].secretKey);
  const b = signVote({ ...base, blockHash: new Uint8Array(32).fill(2) }, validators[2].secretKey);
  return makeEvidence(a, b);
}

function commitment(nonce: bigint): Uint8Array {
  const tx: UnsignedTx = { chainId: genesis.chainId, senderPublicKey: treasury.publicKey, nonce, fee: 1000n, payload: { kind: 'commitment', logId: `${addressOf(treasury.publicKey)}/chain-test-${nonce}`, treeSize: nonce + 1n, root: new Uint8Array(32).fill(9), previousSize: 0n, consistencyProof: [] } };
  return encodeTx(signTx(tx, treasury.secretKey));
}

const CERTIFICATE_PLACEHOLDER = new Uint8Array(0); // commit() stores what consensus or sync verified; not under test here

describe('chain rules', () => {
  it('includes equivocation evidence once, refuses it a second time, and keeps it across a reopen', async () => {
    const { dir, store, chain } = await openChain();
    const evidence = equivocation(1n);
    const bytes = encodeEvidence(evidence);
    const block1 = await chain.buildBlock([commitment(0n)], [bytes], proposer, 2_000);
    expect(block1.evidence).toHaveLength(1);
    expect(block1.txs).toHaveLength(1);
    expect(await chain.validateBlock(block1)).toBeUndefined();
    await chain.commit(block1, CERTIFICATE_PLACEHOLDER);
    expect(await store.hasEvidence(evidenceKey(evidence))).toBe(true);

    // Offered again, the builder leaves it out and a block that includes it is invalid.
    const block2 = await chain.buildBlock([], [bytes], proposer, 3_000);
    expect(block2.evidence).toHaveLength(0);
    const sneaky: Block = { ...block2, evidence: [bytes] };
    const forged = await rebuildHeader(chain, sneaky);
    expect(await chain.validateBlock(forged)).toMatch(/evidence 0: already committed/);

    await store.close();
    stores.pop();
    const reopened = await openChain(dir);
    expect(reopened.chain.height).toBe(1n);
    expect(bytesToHex(reopened.chain.lastBlockHash)).toBe(bytesToHex(blockHash(block1.header)));
    expect(reopened.chain.log.size).toBe(1);
    expect(await reopened.store.hasEvidence(evidenceKey(evidence))).toBe(true);
  });

  it('a tampered copy of a block, or a slow clock, never decides the verdict of the real block', async () => {
    const { chain, store } = await openChain();
    const block = await chain.buildBlock([commitment(0n)], [], proposer, 2_000);
    const tamperedTx = block.txs[0].slice();
    tamperedTx[tamperedTx.length - 1] ^= 1;
    const tampered: Block = { ...block, txs: [tamperedTx] }; // same header, other body
    expect(await chain.validateBlock(tampered)).toMatch(/txRoot does not match/);
    expect(await chain.validateBlock(block, { nowMs: -1_000_000 })).toMatch(/in the future/);
    expect(await chain.validateBlock(block)).toBeUndefined();
    await expect(chain.commit(tampered, CERTIFICATE_PLACEHOLDER)).rejects.toThrow(/txRoot does not match/);
    await chain.commit(block, CERTIFICATE_PLACEHOLDER);
    const stored = await store.block(1n);
    expect(bytesToHex(stored!)).toBe(bytesToHex(encodeBlock(block)));
  });

  it('decodes and checks a transaction once per bytes object; a tampered copy is checked afresh', async () => {
    const { chain } = await openChain();
    const bytes = commitment(0n);
    const first = chain.admitTx(bytes);
    expect('tx' in first && first.id).toMatch(/^[0-9a-f]{64}$/);
    // The same object (as a block built from the mempool holds it) gets the same answer, not a second decode.
    expect(chain.admitTx(bytes)).toBe(first);
    const copy = bytes.slice();
    expect(chain.admitTx(copy)).not.toBe(first);
    expect(chain.admitTx(copy)).toEqual(first);
    const tampered = bytes.slice();
    tampered[tampered.length - 1] ^= 1;
    expect(chain.admitTx(tampered)).toEqual({ error: 'signature does not verify against the sender public key' });
    const garbled = bytes.slice(0, 100);
    expect(chain.admitTx(garbled)).toMatchObject({ error: expect.stringMatching(/^malformed transaction: /) });
    // A block of the cached object runs and commits as one of a fresh copy would.
    const block = await chain.buildBlock([bytes], [], proposer, 2_000);
    expect(block.txs).toHaveLength(1);
    expect(await chain.validateBlock({ ...block, txs: [copy] })).toBeUndefined();
    await chain.commit(block, CERTIFICATE_PLACEHOLDER);
    expect(chain.height).toBe(1n);
  });

  it('refuses evidence whose votes do not conflict, naming why', async () => {
    const { chain } = await openChain();
    const e = equivocation(1n);
    const notConflicting = encodeEvidence({ voteA: e.voteA, voteB: { ...e.voteB, round: 1 } });
    const block = await chain.buildBlock([], [], proposer, 2_000);
    const forged = await rebuildHeader(chain, { ...block, evidence: [notConflicting] });
    expect(await chain.validateBlock(forged)).toMatch(/evidence 0: .*(differ in height, round or type|smaller block hash|does not verify)/);
  });

  it('refuses a block with a transaction that cannot apply, and one with a false anchor attestation', async () => {
    const { chain } = await openChain();
    const block = await chain.buildBlock([commitment(0n)], [], proposer, 2_000);
    const replayed = await rebuildHeader(chain, { ...block, txs: [commitment(0n), commitment(0n)] });
    expect(await chain.validateBlock(replayed)).toMatch(/transaction 1: duplicate transaction|nonce/);
    const wrongNonce = await rebuildHeader(chain, { ...block, txs: [commitment(5n)] });
    expect(await chain.validateBlock(wrongNonce)).toMatch(/nonce is 5, the account's next nonce is 0/);
    await chain.commit(block, CERTIFICATE_PLACEHOLDER);

    const attestation: UnsignedTx = {
      chainId: genesis.chainId,
      senderPublicKey: treasury.publicKey,
      nonce: 1n,
      fee: 1000n,
      payload: { kind: 'anchorAttestation', pantheonHeight: 1n, root: ZERO_HASH, btcTx: new Uint8Array(60), btcHeader: new Uint8Array(80), btcHeight: 1, merkleIndex: 0, merkleSiblings: [], followingHeaders: [] },
    };
    const next = await chain.buildBlock([encodeTx(signTx(attestation, treasury.secretKey))], [], proposer, 3_000);
    expect(next.txs).toHaveLength(0); // the builder leaves out what cannot apply
    const forged = await rebuildHeader(chain, { ...next, txs: [encodeTx(signTx(attestation, treasury.secretKey))] });
    expect(await chain.validateBlock(forged)).toMatch(/anchor attestation: only a validator may record an anchor attestation/);
    const byValidator = encodeTx(signTx({ ...attestation, senderPublicKey: validators[1].publicKey, nonce: 0n }, validators[1].secretKey));
    const forgedByValidator = await rebuildHeader(chain, { ...next, txs: [byValidator] });
    expect(await chain.validateBlock(forgedByValidator)).toMatch(/anchor attestation: root is not the hash of block 1/);
  });

  it('refuses a block holding a rewrite of a log, keeps honest log history across a reopen, and commits the log records in stateRoot', async () => {
    const { dir, store, chain } = await openChain();
    const logId = `${addressOf(treasury.publicKey)}/agents`;
    const tree = new SampleLog('chain test agents');
    const at = (nonce: bigint, previousSize: number, size: number, root = tree.root(size), proof = tree.consistencyProof(previousSize, size)) =>
      encodeTx(signTx({ chainId: genesis.chainId, senderPublicKey: treasury.publicKey, nonce, fee: 1000n, payload: { kind: 'commitment', logId, treeSize: BigInt(size), root, previousSize: BigInt(previousSize), consistencyProof: proof } }, treasury.secretKey));
    const first = await chain.buildBlock([at(0n, 0, 10)], [], proposer, 2_000);
    expect(first.txs).toHaveLength(1);
    await chain.commit(first, CERTIFICATE_PLACEHOLDER);
    // A shrink and a second root at size 10 are left out by the builder and refuse a block that holds them.
    const shrink = at(1n, 10, 5, tree.root(5), []);
    const swapped = at(1n, 10, 10, new Uint8Array(32).fill(1), []);
    const built = await chain.buildBlock([shrink], [], proposer, 3_000);
    expect(built.txs).toHaveLength(0);
    for (const [bad, reason] of [[shrink, /size 5 is smaller than the committed size 10/], [swapped, /size 10 is already committed with another root/]] as const) {
      const forged = await rebuildHeader(chain, { ...built, txs: [bad] });
      expect(await chain.validateBlock(forged)).toMatch(new RegExp(`transaction 0: log ${logId.replace(/[/]/g, '\\/')}: ${reason.source}`));
    }
    // The honest extension becomes the next block; a header whose stateRoot ignores the log record is refused.
    const second = await chain.buildBlock([at(1n, 10, 25)], [], proposer, 3_000);
    expect(second.txs).toHaveLength(1);
    const staleRoot = { ...second, header: { ...second.header, stateRoot: first.header.stateRoot } };
    expect(await chain.validateBlock(staleRoot)).toMatch(/stateRoot does not match/);
    await chain.commit(second, CERTIFICATE_PLACEHOLDER);
    await store.close();
    stores.pop();
    const reopened = await openChain(dir);
    expect(reopened.chain.logRecord(logId)).toMatchObject({ size: 25n, commitments: 2n, root: tree.root(25) });
    expect((await reopened.store.logCommitments(logId, 0n, 10)).map((c) => [c.sequence, c.treeSize, c.height])).toEqual([
      [0n, 10n, 1n],
      [1n, 25n, 2n],
    ]);
  });
});

/** The same block body under a header whose roots are recomputed the way the builder would. */
async function rebuildHeader(chain: Chain, block: Block): Promise<Block> {
  const header = { ...block.header, txRoot: txRoot(chain.chainId, block.txs), evidenceRoot: evidenceRoot(chain.chainId, block.evidence) };
  return { ...block, header };
}
