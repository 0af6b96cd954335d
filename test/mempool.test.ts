// The mempool's rule (docs/api.md, "The mempool"), on real signed transactions: the nonce
// window, the per-sender limit, expiry, eviction of what waits behind a gap first and then of
// the lowest fee per byte, and block candidates in fee order.
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../protocol/bytes.ts';
import { addressOf, keyPairFromSeed, type KeyPair } from '../protocol/keys.ts';
import { decodeTx, encodeTx, signTx, txId } from '../protocol/tx.ts';
import { Mempool, type MempoolLimits } from '../node/mempool.ts';
import { txLeafHash } from '../protocol/block.ts';

const CHAIN = 'pantheon-test-1';
const keys = Array.from({ length: 6 }, (_, i) => keyPairFromSeed(new Uint8Array(32).fill(i + 1)));

function tx(key: KeyPair, nonce: bigint, fee = 1000n) {
  const bytes = encodeTx(signTx({ chainId: CHAIN, senderPublicKey: key.publicKey, nonce, fee, payload: { kind: 'commitment', logId: `${addressOf(key.publicKey)}/m-${nonce}`, treeSize: 1n, root: new Uint8Array(32), previousSize: 0n, consistencyProof: [] } }, key.secretKey));
  const t = decodeTx(bytes);
  return { id: bytesToHex(txId(t)), bytes, tx: t };
}

function pool(limits: Partial<MempoolLimits> = {}) {
  return new Mempool({ countMax: 100, bytesMax: 1 << 30, nonceGapMax: 8, perSenderMax: 4, ttlMs: 60_000, ...limits }, 1000n);
}

const zero = () => 0n;
const add = (m: Mempool, t: ReturnType<typeof tx>, nowMs = 0, nextNonce = zero) => m.add(t.id, t.bytes, t.tx, nextNonce, nowMs);

describe('the mempool rule', () => {
  it('finds a pending transaction by its tx leaf hash (compact blocks), and not once it left', () => {
    const m = pool();
    const a = tx(keys[0], 0n);
    const b = tx(keys[1], 0n);
    const leaf = (t: ReturnType<typeof tx>) => bytesToHex(txLeafHash(CHAIN, t.bytes));
    add(m, a);
    expect(m.byLeafHash(CHAIN, leaf(a))).toEqual(a.bytes);
    add(m, b); // entered after the first lookup: indexed at the next one
    expect(m.byLeafHash(CHAIN, leaf(b))).toEqual(b.bytes);
    // The leaf hash covers the signature: the same body signed again is another transaction.
    const resigned = encodeTx(signTx(decodeTx(a.bytes), keys[0].secretKey));
    expect(bytesToHex(resigned)).not.toBe(bytesToHex(a.bytes));
    expect(m.byLeafHash(CHAIN, bytesToHex(txLeafHash(CHAIN, resigned)))).toBeUndefined();
    expect(m.byLeafHash(CHAIN, bytesToHex(txId(a.tx)))).toBeUndefined(); // the id is not the leaf hash
    m.remove(a.id);
    expect(m.byLeafHash(CHAIN, leaf(a))).toBeUndefined();
    expect(m.byLeafHash(CHAIN, leaf(b))).toEqual(b.bytes);
  });

  it('refuses nonces beyond the window, used nonces, and a sender over its limit', () => {
    const m = pool();
    expect(add(m, tx(keys[0], 9n))).toMatchObject({ ok: false, error: 'nonce 9 is more than 8 ahead of the account\'s next nonce 0' });
    expect(add(m, tx(keys[0], 1n), 0, () => 2n)).toMatchObject({ ok: false, error: /was already used/ });
    for (const n of [0n, 1n, 2n, 3n]) expect(add(m, tx(keys[0], n)).ok).toBe(true);
    expect(add(m, tx(keys[0], 4n))).toMatchObject({ ok: false, error: 'the sender already has 4 pending transactions, the most one sender may have' });
    expect(add(m, tx(keys[1], 0n)).ok).toBe(true);
  });

  it('expires every entry its time to live after it entered, oldest first', () => {
    const m = pool({ ttlMs: 1000 });
    const a = tx(keys[0], 0n);
    const b = tx(keys[1], 5n); // behind a gap: never includable while it waits
    add(m, a, 0);
    add(m, b, 600);
    expect(m.expire(999)).toEqual([]);
    expect(m.expire(1000)).toEqual([a.id]);
    expect(m.has(b.id)).toBe(true);
    expect(m.expire(1600)).toEqual([b.id]);
    expect(m.size).toBe(0);
  });

  it('when full, an includable transaction evicts one waiting behind a gap, whatever its fee', () => {
    const m = pool({ countMax: 3 });
    const gapped = tx(keys[0], 3n, 5000n);
    add(m, gapped);
    add(m, tx(keys[1], 0n));
    add(m, tx(keys[2], 0n));
    // Behind a gap itself: it may not replace anything.
    expect(add(m, tx(keys[3], 2n))).toMatchObject({ ok: false, error: /mempool is full \(3 transactions\) and holds nothing this transaction may replace/ });
    const r = add(m, tx(keys[3], 0n));
    expect(r).toEqual({ ok: true, evicted: [gapped.id] });
    expect(m.has(gapped.id)).toBe(false);
  });

  it('when full, evicts the lowest fee per byte below the newcomer, never the newcomer\'s own sender, and refuses an equal fee', () => {
    const m = pool({ countMax: 3 });
    const low = tx(keys[0], 0n, 1000n);
    const mid = tx(keys[1], 0n, 2000n);
    const own = tx(keys[2], 0n, 1000n);
    for (const t of [low, mid, own]) add(m, t);
    expect(add(m, tx(keys[3], 0n, 1000n))).toMatchObject({ ok: false, error: /mempool is full/ });
    // keys[2] pays as little as keys[0], but its own entry is not a candidate for its next nonce.
    expect(add(m, tx(keys[2], 1n, 3000n))).toEqual({ ok: true, evicted: [low.id] });
    expect(add(m, tx(keys[4], 0n, 2500n))).toEqual({ ok: true, evicted: [mid.id] });
    expect(m.size).toBe(3);
  });

  it('a bytes limit evicts as many as the newcomer needs', () => {
    const one = tx(keys[0], 0n).bytes.length;
    const m = pool({ bytesMax: one * 3 });
    const olds = [tx(keys[0], 0n), tx(keys[1], 0n), tx(keys[2], 0n)];
    for (const t of olds) add(m, t);
    const r = add(m, tx(keys[3], 0n, 10_000n));
    expect(r.ok && r.evicted.length).toBe(1);
    expect(m.byteSize).toBeLessThanOrEqual(one * 3);
  });

  it('offers block candidates in fee order, each sender in nonce order from its account nonce', () => {
    const m = pool();
    const cheap = [tx(keys[0], 0n, 1000n), tx(keys[0], 1n, 1000n)];
    const dear = [tx(keys[1], 0n, 9000n), tx(keys[1], 1n, 1000n)];
    const gapped = tx(keys[2], 1n, 99_000n);
    for (const t of [...cheap, ...dear, gapped]) add(m, t);
    const out = m.candidates(zero, 10).map((b) => bytesToHex(b));
    expect(out).toEqual([dear[0], dear[1], cheap[0], cheap[1]].map((t) => bytesToHex(t.bytes)));
  });

  it("has a candidate only when some sender's next nonce is pending", () => {
    const m = pool();
    expect(m.hasCandidate(zero)).toBe(false);
    add(m, tx(keys[2], 1n)); // behind a gap
    expect(m.hasCandidate(zero)).toBe(false);
    expect(m.hasCandidate(() => 1n)).toBe(true);
    add(m, tx(keys[3], 0n));
    expect(m.hasCandidate(zero)).toBe(true);
  });
});
