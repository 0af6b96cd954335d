// The block transition without a store (state/process-block.ts): block 1 of
// docs/vectors/block.json re-executes from the genesis of genesis.json case 0 to its header's
// roots; a block assembled by the same rules is accepted and each broken variant refused with
// its reason; the pre-state is never written; evidence the caller reports as committed is
// refused. No database, no await: processBlock returns its verdict directly.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockHash, decodeBlock, evidenceRoot, txRoot, type Block } from '../protocol/block.ts';
import { bytesToHex, hexToBytes } from '../protocol/bytes.ts';
import { encodeEvidence, evidenceKey, makeEvidence } from '../protocol/evidence.ts';
import { addressBytes, addressOf, keyPairFromSeed } from '../protocol/keys.ts';
import { MerkleLog } from '../protocol/merkle-log.ts';
import { totalBalance, type Accounts } from '../protocol/state.ts';
import { encodeTx, signTx, type UnsignedTx } from '../protocol/tx.ts';
import { signVote } from '../protocol/vote.ts';
import { createGenesis, genesisAccounts, genesisHash, genesisValidatorSet, genesisValidatorSetHash, parseGenesis, TOTAL_SUPPLY, type Genesis } from '../genesis/genesis.ts';
import { assembleBlock, evidenceKeysOf, processBlock, type Execution, type PreState, type TransitionHooks } from '../state/process-block.ts';

function genesisPreState(genesis: Genesis, accounts: Accounts = genesisAccounts(genesis)): PreState {
  return {
    chainId: genesis.chainId,
    params: genesis.params,
    validators: genesisValidatorSet(genesis),
    validatorSetHash: genesisValidatorSetHash(genesis),
    height: 0n,
    lastBlockHash: genesisHash(genesis),
    lastTimeMs: genesis.genesisTimeMs,
    accounts,
    logs: new Map(),
    log: new MerkleLog(),
    blockHashes: [],
  };
}

const noEvidenceCommitted: TransitionHooks = { isEvidenceCommitted: () => false };
const snapshot = (accounts: Accounts) => JSON.stringify([...accounts].map(([k, a]) => [k, a.balance.toString(), a.nonce.toString()]));

const validators = [10, 11, 12, 13].map((i) => keyPairFromSeed(new Uint8Array(32).fill(i)));
const treasury = keyPairFromSeed(new Uint8Array(32).fill(20));
const genesis = createGenesis({ chainId: 'pantheon-transition-test-1', genesisTimeMs: 1_000n, validatorPublicKeys: validators.map((v) => v.publicKey), fundedPublicKeys: [treasury.publicKey] });
const proposer = addressBytes(validators[0].publicKey);

function commitment(nonce: bigint, fee = 1000n): Uint8Array {
  const tx: UnsignedTx = { chainId: genesis.chainId, senderPublicKey: treasury.publicKey, nonce, fee, payload: { kind: 'commitment', logId: `${addressOf(treasury.publicKey)}/transition-${nonce}`, treeSize: 1n, root: new Uint8Array(32).fill(9), previousSize: 0n, consistencyProof: [] } };
  return encodeTx(signTx(tx, treasury.secretKey));
}

/** The same body under a header whose body roots are recomputed, so only the transition can refuse it. */
function withBodyRoots(block: Block): Block {
  return { ...block, header: { ...block.header, txRoot: txRoot(genesis.chainId, block.txs), evidenceRoot: evidenceRoot(genesis.chainId, block.evidence) } };
}

describe('processBlock (pure, no store)', () => {
  it('re-executes block 1 of docs/vectors/block.json from its genesis to the header roots, leaving the pre-state untouched', () => {
    const vectors = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'docs', 'vectors', name), 'utf8'));
    const vectorGenesis = parseGenesis(vectors('genesis.json').cases[0].input.genesis);
    const ok = vectors('block.json').cases.find((c: { expect: string }) => c.expect === 'ok');
    const block = decodeBlock(hexToBytes(ok.output.block, 'block'));
    const pre = genesisPreState(vectorGenesis);
    const before = snapshot(pre.accounts as Accounts);

    const result = processBlock(pre, block, noEvidenceCommitted);
    expect(result).not.toBeInstanceOf(Promise);
    expect(typeof result).toBe('object');
    const run = result as Execution;
    expect(run.hashHex).toBe(ok.output.blockHash);
    expect(run.txIds).toHaveLength(2);
    expect(run.newLogLeaves).toHaveLength(1);
    expect(snapshot(pre.accounts as Accounts)).toBe(before);
    expect(pre.log.size).toBe(0);
    // No mint: the post-state (pre with the touched accounts written over) keeps the supply.
    const post = new Map(pre.accounts);
    for (const [k, a] of run.touched) post.set(k, a);
    expect(totalBalance(post)).toBe(totalBalance(pre.accounts as Accounts));

    // The same block with any header field it does not satisfy is refused with the reason.
    const refused = (b: Block, p: PreState = pre) => processBlock(p, b, noEvidenceCommitted);
    expect(refused(block, { ...pre, height: 1n })).toBe('height 1 does not follow 1');
    expect(refused({ ...block, header: { ...block.header, stateRoot: new Uint8Array(32) } })).toBe('stateRoot does not match the state after the transactions');
    expect(refused(block, { ...pre, lastTimeMs: block.header.timeMs })).toMatch(/is not after the previous block time/);
    expect(refused(block, { ...pre, chainId: 'pantheon-other-1' })).toBe('chain id is "pantheon-test-1", this chain is "pantheon-other-1"');
    expect(refused(block, { ...pre, accounts: new Map() })).toMatch(/^transaction 0: sender [0-9a-f]{64} has no account/);
    expect(processBlock(pre, block, noEvidenceCommitted, new Uint8Array(32))).toBe('proposer is not the proposer of this round');
  });

  it('accepts the block its own assembler builds, skips and refuses what cannot apply, and chains a second block', () => {
    const pre = genesisPreState(genesis);
    const before = snapshot(pre.accounts as Accounts);
    const skipped: string[] = [];
    const block = assembleBlock(pre, [commitment(0n), commitment(0n), commitment(7n), commitment(1n, 999n)], [], proposer, 2_000, noEvidenceCommitted, (_b, error) => skipped.push(error));
    expect(block.txs).toHaveLength(1);
    expect(skipped).toEqual(['duplicate transaction in block', "nonce is 7, the account's next nonce is 1", 'fee 999 is below the minimum fee 1000']);
    const run = processBlock(pre, block, noEvidenceCommitted) as Execution;
    expect(run.hashHex).toBe(bytesToHex(blockHash(block.header)));
    expect(snapshot(pre.accounts as Accounts)).toBe(before);

    const replay = withBodyRoots({ ...block, txs: [commitment(0n), commitment(0n)] });
    expect(processBlock(pre, replay, noEvidenceCommitted)).toBe('transaction 1: duplicate transaction in block');
    const forged = commitment(0n).slice();
    forged[forged.length - 1] ^= 1;
    expect(processBlock(pre, withBodyRoots({ ...block, txs: [forged] }), noEvidenceCommitted)).toMatch(/^transaction 0: /);

    // The post-state, built by the caller from the changes, is the pre-state of block 2.
    const accounts = new Map(pre.accounts);
    for (const [k, a] of run.touched) accounts.set(k, a);
    const log = new MerkleLog(run.newLogLeaves);
    const pre2: PreState = { ...pre, height: 1n, lastBlockHash: blockHash(block.header), lastTimeMs: block.header.timeMs, accounts, logs: run.touchedLogs, log, blockHashes: [blockHash(block.header)] };
    const block2 = assembleBlock(pre2, [commitment(1n)], [], proposer, 1_000, noEvidenceCommitted);
    expect(block2.header.timeMs).toBe(block.header.timeMs + 1n); // never before the previous block
    expect(typeof processBlock(pre2, block2, noEvidenceCommitted)).toBe('object');
    expect(processBlock(pre, block2, noEvidenceCommitted)).toBe('height 2 does not follow 0');
    expect(totalBalance(accounts)).toBe(TOTAL_SUPPLY);
  });

  it('includes equivocation evidence once: refused when the caller reports it committed', () => {
    const base = { chainId: genesis.chainId, type: 'prevote' as const, height: 1n, round: 0, validatorIndex: 2 };
    const evidence = makeEvidence(signVote({ ...base, blockHash: new Uint8Array(32).fill(1) }, validators[2].secretKey), signVote({ ...base, blockHash: new Uint8Array(32).fill(2) }, validators[2].secretKey));
    const bytes = encodeEvidence(evidence);
    expect(evidenceKeysOf([bytes, new Uint8Array([1, 2, 3])])).toEqual([evidenceKey(evidence)]);
    const pre = genesisPreState(genesis);
    const block = assembleBlock(pre, [], [bytes, bytes], proposer, 2_000, noEvidenceCommitted);
    expect(block.evidence).toHaveLength(1); // the repeat is left out
    expect((processBlock(pre, block, noEvidenceCommitted) as Execution).evidenceKeys).toEqual([evidenceKey(evidence)]);
    const committed: TransitionHooks = { isEvidenceCommitted: (key) => key === evidenceKey(evidence) };
    expect(processBlock(pre, block, committed)).toBe('evidence 0: already committed');
    expect(assembleBlock(pre, [], [bytes], proposer, 2_000, committed).evidence).toHaveLength(0);
  });
});
