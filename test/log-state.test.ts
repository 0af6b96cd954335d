// The log rules of the state transition (docs/state.md, "Logs"): each rule with its message,
// the state root covering log records, and a seeded property test that feeds random valid and
// invalid commitment and key-change sequences and checks every per-log invariant against an
// independent model (trees and owners), not against the proof checker.
import { describe, expect, it } from 'vitest';
import { Prng } from './sim/prng.ts';
import { bytesToHex } from '../protocol/bytes.ts';
import { addressBytes, addressOf, keyPairFromSeed, type KeyPair } from '../protocol/keys.ts';
import { consistencyProof, leafHash, MerkleFrontier } from '../protocol/merkle.ts';
import { applyTx, cloneState, stateRoot, type State } from '../protocol/state.ts';
import { KEY_CHANGES_MAX, keyInForce, logsRoot, logStateLeaf, type LogRecord } from '../protocol/log-state.ts';
import type { CommitmentPayload, UnsignedTx } from '../protocol/tx.ts';
import { createGenesis, genesisAccounts } from '../genesis/genesis.ts';

const keys = Array.from({ length: 4 }, (_, i) => keyPairFromSeed(new Uint8Array(32).fill(70 + i)));
const [owner, stranger, heir, heir2] = keys;
const genesis = createGenesis({ chainId: 'pantheon-logs-1', genesisTimeMs: 0n, validatorPublicKeys: [keys[0].publicKey], fundedPublicKeys: keys.map((k) => k.publicKey) });
const ctx = { proposer: addressBytes(keys[0].publicKey), minFee: 1000n };
const logId = `${addressOf(owner.publicKey)}/agents`;

/** Histories as leaf lists: `fork(f)` equals the main history below leaf f and differs from there. */
const leaves = (label: string, n: number, sharedBelow = 0) => Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(i < sharedBelow ? `main ${i}` : `${label} ${i}`)));
const MAIN = leaves('main', 300);
// Every prefix root of a history, computed once (the property test asks for thousands).
const rootCache = new Map<Uint8Array[], Uint8Array[]>();
const root = (tree: Uint8Array[], n: number): Uint8Array => {
  let roots = rootCache.get(tree);
  if (!roots) {
    const f = new MerkleFrontier();
    roots = [f.root()];
    for (const leaf of tree) {
      f.append(leaf);
      roots.push(f.root());
    }
    rootCache.set(tree, roots);
  }
  return roots[n];
};
const proof = (tree: Uint8Array[], m: number, n: number) => (m === 0 || m > n ? [] : consistencyProof(tree.slice(0, n), m));

function freshState(): State {
  return { accounts: genesisAccounts(genesis), logs: new Map() };
}

function nextNonce(state: State, key: KeyPair): bigint {
  return state.accounts.get(bytesToHex(addressBytes(key.publicKey)))!.nonce;
}

function commit(state: State, key: KeyPair, p: Partial<CommitmentPayload> & { treeSize: bigint }, id = logId): UnsignedTx {
  return { chainId: genesis.chainId, senderPublicKey: key.publicKey, nonce: nextNonce(state, key), fee: 1000n, payload: { kind: 'commitment', logId: id, root: root(MAIN, Number(p.treeSize)), previousSize: 0n, consistencyProof: [], ...p } };
}

function extend(state: State, key: KeyPair, m: number, n: number, tree = MAIN, id = logId): UnsignedTx {
  return commit(state, key, { treeSize: BigInt(n), root: root(tree, n), previousSize: BigInt(m), consistencyProof: proof(tree, m, n) }, id);
}

function keyChange(state: State, key: KeyPair, to: KeyPair, fromSize: bigint, id = logId): UnsignedTx {
  return { chainId: genesis.chainId, senderPublicKey: key.publicKey, nonce: nextNonce(state, key), fee: 1000n, payload: { kind: 'keyChange', logId: id, newPublicKey: to.publicKey, fromSize } };
}

/** Applies and expects the message (or success), and that a refusal changed nothing. */
function expectApply(state: State, tx: UnsignedTx, message?: RegExp): void {
  const before = cloneState(state);
  const error = applyTx(state, tx, ctx);
  if (message) {
    expect(error).toMatch(message);
    expect(state).toEqual(before);
  } else expect(error).toBeUndefined();
}

describe('log rules', () => {
  it('opens a log only from the key its id names, and only with previousSize 0 and no proof', () => {
    const s = freshState();
    expectApply(s, commit(s, stranger, { treeSize: 10n }), /belongs to pan1.*only that key can open it, not pan1/);
    expectApply(s, commit(s, owner, { treeSize: 10n, previousSize: 3n }), /has no commitment yet: a first commitment has previousSize 0, not 3/);
    expectApply(s, commit(s, owner, { treeSize: 10n, consistencyProof: proof(MAIN, 5, 10) }), /a first commitment carries no consistency proof \(got \d+ hashes\)/);
    expectApply(s, commit(s, owner, { treeSize: 10n }));
    expect(s.logs.get(logId)).toMatchObject({ size: 10n, commitments: 1n, keyChanges: [] });
  });

  it('refuses commitments by anyone but the owner, shrinking, a second root at one size, a stale previousSize and a fork', () => {
    const s = freshState();
    expectApply(s, commit(s, owner, { treeSize: 100n }));
    const fork = leaves('fork', 300, 50); // agrees with MAIN below leaf 50 only
    expectApply(s, extend(s, stranger, 100, 150), new RegExp(`log ${logId} is owned by ${addressOf(owner.publicKey)}, not ${addressOf(stranger.publicKey)}`));
    expectApply(s, extend(s, owner, 100, 90), /size 90 is smaller than the committed size 100 \(a log only grows\)/);
    expectApply(s, commit(s, owner, { treeSize: 100n, root: root(fork, 100), previousSize: 100n }), /size 100 is already committed with another root \(committed size 100\): one size has one root/);
    expectApply(s, commit(s, owner, { treeSize: 100n, previousSize: 100n }), /size 100 with this root is already committed/);
    expectApply(s, extend(s, owner, 60, 150), /the commitment extends size 60, but the committed size is 100/);
    expectApply(s, extend(s, owner, 100, 150, fork), /the consistency proof from size 100 to size 150 does not verify against the committed root/);
    // A real proof, a real root, but for another second size than the one claimed.
    expectApply(s, commit(s, owner, { treeSize: 260n, root: root(MAIN, 150), previousSize: 100n, consistencyProof: proof(MAIN, 100, 150) }), /from size 100 to size 260 does not verify/);
    // A proof with one hash flipped.
    const bad = proof(MAIN, 100, 150).map((x) => x.slice());
    bad[0][0] ^= 1;
    expectApply(s, commit(s, owner, { treeSize: 150n, root: root(MAIN, 150), previousSize: 100n, consistencyProof: bad }), /does not verify/);
    expectApply(s, extend(s, owner, 100, 150));
    expect(s.logs.get(logId)).toMatchObject({ size: 150n, commitments: 2n });
  });

  it('a commitment that grows a log with a shared prefix is accepted, then the old history is refused', () => {
    const s = freshState();
    const fork = leaves('fork', 300, 50);
    expectApply(s, commit(s, owner, { treeSize: 40n }));
    expectApply(s, extend(s, owner, 40, 80, fork)); // fork agrees below 50, so 40 -> 80 of the fork is an extension
    expectApply(s, extend(s, owner, 80, 120), /does not verify/);
  });

  it('changes the key only from the owner, forward, and hands the log over', () => {
    const s = freshState();
    expectApply(s, keyChange(s, owner, heir, 5n), /has no commitment yet: only a committed log can change its key/);
    expectApply(s, commit(s, owner, { treeSize: 10n }));
    expectApply(s, keyChange(s, stranger, heir, 11n), /is owned by pan1\S+, not pan1\S+: only the owner can change its key/);
    expectApply(s, keyChange(s, owner, owner, 11n), /the new key is already the owner key/);
    expectApply(s, keyChange(s, owner, heir, 9n), /a key change from size 9 would re-key committed entries \(the committed size is 10\)/);
    expectApply(s, keyChange(s, owner, heir, 10n)); // from the committed size: no committed entry is re-keyed
    expectApply(s, extend(s, owner, 10, 20), new RegExp(`is owned by ${addressOf(heir.publicKey)}, not ${addressOf(owner.publicKey)}`));
    expectApply(s, keyChange(s, heir, heir2, 10n), /a key change from size 10 must come after the last one, from size 10/);
    expectApply(s, extend(s, heir, 10, 20));
    expectApply(s, keyChange(s, heir, heir2, 25n));
    const r = s.logs.get(logId)!;
    expect(r.keyChanges.map((k) => [k.fromSize, addressOf(k.publicKey)])).toEqual([
      [10n, addressOf(heir.publicKey)],
      [25n, addressOf(heir2.publicKey)],
    ]);
    expect(addressOf(r.ownerPublicKey)).toBe(addressOf(heir2.publicKey));
    // The key in force at each OAR sequence number: founding key below 10, heir 10..24, heir2 from 25.
    expect(addressOf(keyInForce(owner.publicKey, r.keyChanges, 9n))).toBe(addressOf(owner.publicKey));
    expect(addressOf(keyInForce(owner.publicKey, r.keyChanges, 10n))).toBe(addressOf(heir.publicKey));
    expect(addressOf(keyInForce(owner.publicKey, r.keyChanges, 24n))).toBe(addressOf(heir.publicKey));
    expect(addressOf(keyInForce(owner.publicKey, r.keyChanges, 25n))).toBe(addressOf(heir2.publicKey));
  });

  it(`stops at ${KEY_CHANGES_MAX} key changes`, () => {
    const s = freshState();
    expectApply(s, commit(s, owner, { treeSize: 1n }));
    let current = owner;
    for (let i = 0; i < KEY_CHANGES_MAX; i++) {
      const next = i % 2 === 0 ? heir : owner;
      expectApply(s, keyChange(s, current, next, BigInt(i + 1)));
      current = next;
    }
    expectApply(s, keyChange(s, current, current === owner ? heir : owner, BigInt(KEY_CHANGES_MAX + 1)), new RegExp(`has had ${KEY_CHANGES_MAX} key changes, the most a log may have`));
  });

  it('the state root covers every field of every log record', () => {
    const s = freshState();
    expectApply(s, commit(s, owner, { treeSize: 10n }));
    const base = bytesToHex(stateRoot(genesis.chainId, s));
    const variants: ((r: LogRecord) => LogRecord)[] = [
      (r) => ({ ...r, size: r.size + 1n }),
      (r) => ({ ...r, root: new Uint8Array(32) }),
      (r) => ({ ...r, commitments: r.commitments + 1n }),
      (r) => ({ ...r, ownerPublicKey: stranger.publicKey }),
      (r) => ({ ...r, keyChanges: [{ fromSize: 10n, publicKey: heir.publicKey }] }),
    ];
    for (const change of variants) {
      const t = cloneState(s);
      t.logs.set(logId, change(t.logs.get(logId)!));
      expect(bytesToHex(stateRoot(genesis.chainId, t))).not.toBe(base);
    }
    // Another log id with the same record is another state; insertion order is not.
    const t = cloneState(s);
    t.logs.set(`${addressOf(owner.publicKey)}/other`, t.logs.get(logId)!);
    expect(bytesToHex(stateRoot(genesis.chainId, t))).not.toBe(base);
    const reversed = { accounts: s.accounts, logs: new Map([...t.logs].reverse()) };
    expect(bytesToHex(logsRoot(genesis.chainId, reversed.logs))).toBe(bytesToHex(logsRoot(genesis.chainId, t.logs)));
    expect(bytesToHex(logStateLeaf('pantheon-other-1', logId, s.logs.get(logId)!))).not.toBe(bytesToHex(logStateLeaf(genesis.chainId, logId, s.logs.get(logId)!)));
  });
});

describe('log invariants under random commitment sequences', () => {
  // Histories that share prefixes of different lengths with MAIN, so some "forks" are real extensions.
  const histories = [MAIN, leaves('a', 300, 0), leaves('b', 300, 64), leaves('c', 300, 150)];
  const SIZE_MAX = 300;

  for (const seed of [11, 12, 13]) {
    it(`seed ${seed}: 600 random steps keep every log a single, owner-extended history`, () => {
      const rng = new Prng(seed);
      const s = freshState();
      const ids = [logId, `${addressOf(stranger.publicKey)}/tools`];
      // The model: per log, the accepted (size, root) sequence and the expected owner.
      const model = new Map<string, { owner: KeyPair; history: { size: number; root: string }[]; changes: number }>();
      let accepted = 0;
      let refused = 0;
      for (let step = 0; step < 600; step++) {
        const id = rng.pick(ids);
        const founder = id === logId ? owner : stranger;
        const m = model.get(id);
        const sender = rng.float() < 0.8 ? (m?.owner ?? founder) : rng.pick(keys);
        let tx: UnsignedTx;
        const committed = m?.history.at(-1)?.size ?? 0;
        if (m && rng.float() < 0.08) {
          tx = keyChange(s, sender, rng.pick(keys), BigInt(committed + rng.int(0, 19) - 5), id);
        } else {
          const tree = rng.float() < 0.7 ? MAIN : rng.pick(histories);
          const previous = rng.float() < 0.85 ? committed : rng.int(0, SIZE_MAX - 1);
          const n = Math.max(1, Math.min(SIZE_MAX, rng.float() < 0.85 ? committed + 1 + rng.int(0, 29) : rng.int(0, SIZE_MAX - 1) + 1));
          const tamper = rng.float() < 0.05;
          let p: UnsignedTx;
          if (previous === 0 || previous > n) p = commit(s, sender, { treeSize: BigInt(n), root: root(tree, n), previousSize: BigInt(previous), consistencyProof: [] }, id);
          else p = commit(s, sender, { treeSize: BigInt(n), root: root(tree, n), previousSize: BigInt(previous), consistencyProof: proof(tree, previous, n) }, id);
          if (tamper && (p.payload as CommitmentPayload).consistencyProof.length > 0) (p.payload as CommitmentPayload).consistencyProof[0] = new Uint8Array(32).fill(step & 0xff);
          tx = p;
        }
        const before = cloneState(s);
        const error = applyTx(s, tx, ctx);
        if (error) {
          refused++;
          expect(s, error).toEqual(before);
          expect(error).toContain(id); // every log refusal names the log (account refusals cannot happen: all funded, nonces fresh)
          continue;
        }
        accepted++;
        const r = s.logs.get(id)!;
        const rec = model.get(id) ?? { owner: founder, history: [], changes: 0 };
        model.set(id, rec);
        // Only the expected owner (the founder for the first commitment) ever gets a transaction in.
        expect(addressOf(tx.senderPublicKey)).toBe(addressOf(rec.owner.publicKey));
        if (tx.payload.kind === 'keyChange') {
          const newKey = addressOf(tx.payload.newPublicKey);
          rec.owner = keys.find((k) => addressOf(k.publicKey) === newKey)!;
          rec.changes++;
          expect(r.keyChanges.length).toBe(rec.changes);
          expect(r.keyChanges.at(-1)!.fromSize >= BigInt(committed)).toBe(true);
        } else {
          const p = tx.payload as CommitmentPayload;
          const n = Number(p.treeSize);
          // Sizes strictly grow, and the new tree really extends the committed one: some
          // history of the model has both the committed root at the old size and this root at n.
          expect(n).toBeGreaterThan(committed);
          if (committed > 0) {
            const last = rec.history.at(-1)!;
            const witness = histories.some((t) => bytesToHex(root(t, last.size)) === last.root && bytesToHex(root(t, n)) === bytesToHex(p.root));
            expect(witness, `step ${step}: ${last.size} -> ${n} accepted without a common history`).toBe(true);
          }
          rec.history.push({ size: n, root: bytesToHex(p.root) });
        }
        expect(r.commitments).toBe(BigInt(rec.history.length));
        expect(addressOf(r.ownerPublicKey)).toBe(addressOf(rec.owner.publicKey));
        if (rec.history.length > 0) expect(r.size).toBe(BigInt(rec.history.at(-1)!.size));
      }
      // Completeness: an honest extension by the owner from the committed state is always accepted.
      for (const id of ids) {
        const rec = model.get(id);
        if (!rec) continue;
        const last = rec.history.at(-1)!;
        const tree = histories.find((t) => bytesToHex(root(t, last.size)) === last.root);
        if (!tree || last.size >= SIZE_MAX) continue;
        expectApply(s, extend(s, rec.owner, last.size, SIZE_MAX, tree, id));
      }
      expect(accepted).toBeGreaterThan(20);
      expect(refused).toBeGreaterThan(100);
    });
  }
});
