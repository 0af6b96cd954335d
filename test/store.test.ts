// The node store's layout (docs/storage.md, version 4): what one block batch writes reads back
// the same after a reopen, and a data directory of another layout version is refused, not misread.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesToHex } from '../protocol/bytes.ts';
import { DatabaseDamaged } from '../node/leveldb-files.ts';
import { MEMPOOL_COMPACTION_TXS, NodeStore, STORE_VERSION, type CommittedBlock } from '../node/store.ts';

const stores: NodeStore[] = [];
const newDir = () => join(mkdtempSync(join(tmpdir(), 'pantheon-store-')), 'db');
async function open(path: string): Promise<NodeStore> {
  const store = await NodeStore.open(path);
  stores.push(store);
  return store;
}
async function closeAll(): Promise<void> {
  await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)));
}
afterEach(closeAll);

const hash = (byte: number) => bytesToHex(new Uint8Array(32).fill(byte));
const GENESIS = hash(0xee);

function committed(height: bigint, over: Partial<CommittedBlock>): CommittedBlock {
  return {
    height,
    blockBytes: Uint8Array.of(Number(height), 1, 2, 3),
    certificateBytes: Uint8Array.of(Number(height), 9),
    blockHashHex: hash(Number(height)),
    txIds: [],
    commitmentIds: [],
    newLogLeaves: [],
    firstLogIndex: 0,
    changedLogs: new Map(),
    logCommitments: [],
    changedAccounts: new Map(),
    evidenceKeys: [],
    attestations: [],
    ...over,
  };
}

describe('node store', () => {
  it('reads back after a reopen what the block batches wrote', async () => {
    const path = newDir();
    const store = await open(path);
    await store.initGenesis(new Map([[hash(0xa1), { balance: 5n, nonce: 0n }]]), GENESIS);
    await store.putMempoolTx(hash(0x11), Uint8Array.of(0x11));
    await store.putMempoolTx(hash(0x12), Uint8Array.of(0x12));
    await store.putMempoolTx(hash(0x13), Uint8Array.of(0x13));
    await store.putProposedBlock(1n, hash(0x51), Uint8Array.of(0x51));
    await store.putProposedBlock(2n, hash(0x52), Uint8Array.of(0x52));
    const leaf = (i: number) => new Uint8Array(32).fill(0x80 + i);
    // Block 1: a transfer (no log index) and a commitment; block 2: two commitments; block 3: none.
    await store.commitBlock(committed(1n, { txIds: [hash(0x11), hash(0x12)], commitmentIds: [{ txId: hash(0x12), logIndex: 0 }], newLogLeaves: [leaf(0)], changedAccounts: new Map([[hash(0xa1), { balance: 4n, nonce: 1n }]]) }));
    await store.commitBlock(committed(2n, { txIds: [hash(0x21), hash(0x22)], commitmentIds: [{ txId: hash(0x21), logIndex: 1 }, { txId: hash(0x22), logIndex: 2 }], newLogLeaves: [leaf(1), leaf(2)], firstLogIndex: 1, evidenceKeys: ['2/1/0/prevote/aa/bb'], attestations: [{ pantheonHeight: 1n, txId: hash(0x22), bytes: Uint8Array.of(0xa7) }] }));
    const logA = 'pan1xqn38xltkwer73qrjfs0dca8arya49nmvx9jkt6k5e2vhd27addq46z020/a';
    const record = { ownerPublicKey: new Uint8Array(1952).fill(3), size: 7n, root: new Uint8Array(32).fill(4), commitments: 2n, keyChanges: [{ fromSize: 8n, publicKey: new Uint8Array(1952).fill(5) }] };
    const entry = (sequence: bigint, txByte: number, treeSize: bigint) => ({ logId: logA, sequence, txId: hash(txByte), treeSize, root: new Uint8Array(32).fill(txByte) });
    await store.commitBlock(committed(3n, { changedLogs: new Map([[logA, { ...record, size: 3n, commitments: 1n, keyChanges: [] }]]), logCommitments: [entry(0n, 0x31, 3n)] }));
    await store.commitBlock(committed(4n, { changedLogs: new Map([[logA, record]]), logCommitments: [entry(1n, 0x41, 7n)] }));
    await store.deleteProposedBlocksBelow(2n);
    await store.close();
    stores.pop();

    const again = await open(path);
    expect(await again.height()).toBe(4n);
    expect(await again.loadLogRecords()).toEqual(new Map([[logA, record]]));
    expect(await again.logCommitments(logA, 0n, 10)).toEqual([
      { sequence: 0n, txId: hash(0x31), height: 3n, treeSize: 3n, root: new Uint8Array(32).fill(0x31) },
      { sequence: 1n, txId: hash(0x41), height: 4n, treeSize: 7n, root: new Uint8Array(32).fill(0x41) },
    ]);
    expect((await again.logCommitments(logA, 1n, 10)).map((c) => c.sequence)).toEqual([1n]);
    expect((await again.logCommitments(logA, 0n, 1)).map((c) => c.sequence)).toEqual([0n]);
    expect(await again.logCommitments(`${logA}b`, 0n, 10)).toEqual([]); // a longer id sharing the prefix is another log
    expect(bytesToHex((await again.block(2n))!)).toBe('02010203');
    expect(bytesToHex((await again.certificate(3n))!)).toBe('0309');
    expect(await again.block(5n)).toBeUndefined();
    expect((await again.loadBlockHashes()).map(bytesToHex)).toEqual([hash(1), hash(2), hash(3), hash(4)]);
    expect(await again.txLocation(hash(0x11))).toEqual({ height: '1', index: 0 });
    expect(await again.txLocation(hash(0x12))).toEqual({ height: '1', index: 1, logIndex: 0 });
    expect(await again.txLocation(hash(0x22))).toEqual({ height: '2', index: 1, logIndex: 2 });
    expect(await again.txLocation(hash(0x99))).toBeUndefined();
    expect((await again.loadLogLeaves()).map(bytesToHex)).toEqual([0, 1, 2].map((i) => bytesToHex(leaf(i))));
    expect(await again.loadAccounts()).toEqual(new Map([[hash(0xa1), { balance: 4n, nonce: 1n }]]));
    expect(await again.hasEvidence('2/1/0/prevote/aa/bb')).toBe(true);
    expect(await again.hasEvidence('2/1/0/prevote/aa/bc')).toBe(false);
    expect(bytesToHex((await again.latestAttestation())!)).toBe('a7');
    expect(bytesToHex((await again.attestationCovering(1n))!)).toBe('a7');
    expect(await again.attestationCovering(2n)).toBeUndefined();
    // The block batches removed the included mempool entries; the third was never included.
    expect((await again.loadMempool()).map(bytesToHex)).toEqual(['13']);
    expect(await again.proposedBlock(1n, hash(0x51))).toBeUndefined();
    expect(bytesToHex((await again.proposedBlock(2n, hash(0x52)))!)).toBe('52');
    expect(await again.signHeightAtCreation()).toBe(0n);
    // Same genesis: fine; another genesis: refused.
    await again.initGenesis(new Map(), GENESIS);
    await expect(again.initGenesis(new Map(), hash(0xef))).rejects.toThrow(/belongs to genesis ee/);
  });

  it(`compacts away the included mempool entries after ${MEMPOOL_COMPACTION_TXS} committed transactions`, async () => {
    const path = newDir();
    const store = await open(path);
    const id = (i: number) => bytesToHex(new Uint8Array(32).fill(0).map((_, j) => (j < 4 ? (i >>> (8 * j)) & 0xff : 0x33)));
    const perBlock = MEMPOOL_COMPACTION_TXS / 3;
    const tx = new Uint8Array(5351).map((_, j) => (j * 131) & 0xff); // a commitment's size
    for (let b = 0; b < 3; b++) {
      const ids = Array.from({ length: perBlock }, (_, i) => id(b * perBlock + i));
      await Promise.all(ids.map((x) => store.putMempoolTx(x, tx)));
      await store.commitBlock(committed(BigInt(b + 1), { txIds: ids, blockBytes: new Uint8Array(perBlock * 5351) }));
    }
    await store.close(); // waits for the compaction the third block started
    stores.pop();
    const again = await open(path);
    const mempool = (await again.usage()).find((u) => u.family === 'mempool')!;
    expect(mempool.entries).toBe(0);
    expect(mempool.tableBytes).toBeLessThan(1024); // without the compaction: hundreds of kilobytes of entries and deletion markers
    expect(await again.txLocation(id(MEMPOOL_COMPACTION_TXS - 1))).toEqual({ height: '3', index: perBlock - 1 });
  });

  it('refuses a data directory written by layout version 1 (hex string keys), and leaves it closed and untouched', async () => {
    const path = newDir();
    const old = new ClassicLevel<string, string>(path);
    await old.put('meta/genesis', GENESIS);
    await old.put('meta/height', '7');
    await old.close();
    await expect(NodeStore.open(path)).rejects.toThrow(/written by storage layout version 1, which this node cannot read \(it reads and writes version 4/);
    const reopened = new ClassicLevel<string, string>(path); // the refusal released the lock
    expect(await reopened.keys().all()).toEqual(['meta/genesis', 'meta/height']);
    await reopened.close();
  });

  it('refuses a data directory of another layout version', async () => {
    const path = newDir();
    await (await open(path)).close();
    stores.pop();
    const raw = new ClassicLevel<string, Uint8Array>(path, { valueEncoding: 'view' });
    expect(bytesToHex((await raw.get('meta/version'))!)).toBe(STORE_VERSION.toString(16).padStart(8, '0'));
    await raw.put('meta/version', Uint8Array.of(0, 0, 0, 5));
    await raw.close();
    await expect(NodeStore.open(path)).rejects.toThrow(/has storage layout version 5; this node reads and writes version 4/);
    // A version 3 directory (before log records): refused with what to do.
    const raw3 = new ClassicLevel<string, Uint8Array>(path, { valueEncoding: 'view' });
    await raw3.put('meta/version', Uint8Array.of(0, 0, 0, 3));
    await raw3.close();
    await expect(NodeStore.open(path)).rejects.toThrow(/has storage layout version 3; this node reads and writes version 4.*a version 3 chain cannot continue; start a new chain from a new genesis/);
  });

  it('blames a second open on another node only when LevelDB reports its lock', async () => {
    const path = newDir();
    await open(path);
    await expect(NodeStore.open(path)).rejects.toThrow(/another process holds its lock; is another node running on this data directory\?/);
  });

  it('never creates a database over a non-empty directory, and names what is missing', async () => {
    const path = newDir();
    await (await open(path)).close();
    stores.pop();
    rmSync(join(path, 'CURRENT'));
    const before = readdirSync(path).sort();
    const err = await NodeStore.open(path).then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(DatabaseDamaged);
    expect(err!.message).toContain(`has no CURRENT file (${join(path, 'CURRENT')})`);
    expect(err!.message).not.toMatch(/another node/);
    expect(readdirSync(path).sort()).toEqual(before);
  });
});
