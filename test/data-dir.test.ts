// Opening a validator's data directory (node/data-dir.ts) in-process, on real LevelDB: the
// record comes before the database in an empty directory; a database created after the record
// (moved aside to re-sync) may lag it, one that lost blocks may not; a record that certificates
// show to be behind is refused. The damage itself, on real processes: damaged-disk.test.ts.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import { withSigned, type SignRecord } from '../consensus/index.ts';
import { blockHash } from '../protocol/block.ts';
import { bytesToHex } from '../protocol/bytes.ts';
import { certificateFromVotes, encodeCertificate } from '../protocol/certificate.ts';
import { addressBytes, addressOf, keyPairFromSeed } from '../protocol/keys.ts';
import { encodeTx, signTx } from '../protocol/tx.ts';
import { signVote } from '../protocol/vote.ts';
import { createGenesis, genesisHash } from '../genesis/genesis.ts';
import { Chain } from '../node/chain.ts';
import { openDataDir } from '../node/data-dir.ts';
import { readSignRecordFile, writeSignRecordFile } from '../node/sign-record-file.ts';

const key = keyPairFromSeed(new Uint8Array(32).fill(31));
const treasury = keyPairFromSeed(new Uint8Array(32).fill(32));
const genesis = createGenesis({ chainId: 'pantheon-datadir-test-1', genesisTimeMs: 1_000n, validatorPublicKeys: [key.publicKey], fundedPublicKeys: [treasury.publicKey] });
const validator = { address: bytesToHex(addressBytes(key.publicKey)), index: 0 };
const open = (dataDir: string) => openDataDir({ dataDir, chainId: genesis.chainId, genesisHash: genesisHash(genesis), validator, log: () => undefined });

function recordAt(height: bigint): SignRecord {
  const target = { height, round: 0, step: 'prevote' as const, blockHash: new Uint8Array(32).fill(5) };
  return { ...target, lockedRound: -1, lockedBlockHash: undefined, lockedPolka: [], resend: withSigned({}, target, -1) };
}
const writeRecord = (dataDir: string, record: SignRecord | null) => writeSignRecordFile(join(dataDir, 'sign-record.json'), { format: 'pantheon/sign-record', version: 1, chainId: genesis.chainId, validator: validator.address, record });

/** Commits `count` real blocks, each with a commitment and certified by this validator's precommit. */
async function commitBlocks(dataDir: string, count: number): Promise<void> {
  const { store } = await open(dataDir);
  const chain = await Chain.load(genesis, store);
  for (let i = 0; i < count; i++) {
    const nonce = chain.account(bytesToHex(addressBytes(treasury.publicKey)))!.nonce;
    const commitment = encodeTx(signTx({ chainId: genesis.chainId, senderPublicKey: treasury.publicKey, nonce, fee: genesis.params.minFee, payload: { kind: 'commitment', logId: `${addressOf(treasury.publicKey)}/prod-${i}`, treeSize: BigInt(i + 1), root: new Uint8Array(32).fill(i), previousSize: 0n, consistencyProof: [] } }, treasury.secretKey));
    const block = await chain.buildBlock([commitment], [], addressBytes(key.publicKey), 2_000 + i);
    expect(block.txs.length).toBe(1);
    const vote = signVote({ chainId: genesis.chainId, type: 'precommit', height: block.header.height, round: 0, blockHash: blockHash(block.header), validatorIndex: 0 }, key.secretKey);
    await chain.commit(block, encodeCertificate(certificateFromVotes([vote])));
  }
  expect(chain.log.size).toBeGreaterThanOrEqual(count);
  await store.close();
}

describe('opening a validator data directory', () => {
  it('writes the record before the database in an empty directory, and opens the pair again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pantheon-datadir-'));
    const first = await open(dataDir);
    expect(first.signRecord).toBeUndefined();
    expect(readSignRecordFile(first.signRecordPath, { chainId: genesis.chainId, validator: validator.address })?.record).toBeNull();
    expect(await first.store.signHeightAtCreation()).toBe(0n);
    await first.store.close();
    await commitBlocks(dataDir, 3);
    writeRecord(dataDir, recordAt(4n)); // signing at committed height + 1: the normal case
    const again = await open(dataDir);
    expect(again.signRecord?.height).toBe(4n);
    await again.store.close();
  });

  it('lets a database created after the record lag it (a re-sync), but not one that lost blocks', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pantheon-datadir-'));
    writeRecord(dataDir, recordAt(50n)); // the database was moved aside; the record stays
    const resync = await open(dataDir);
    expect(await resync.store.signHeightAtCreation()).toBe(50n);
    await resync.store.close();
    await commitBlocks(dataDir, 2); // part-way through the re-sync: height 2, record 50
    const midway = await open(dataDir);
    expect(midway.signRecord?.height).toBe(50n);
    await midway.store.close();

    const lost = mkdtempSync(join(tmpdir(), 'pantheon-datadir-'));
    await (await open(lost)).store.close();
    await commitBlocks(lost, 2);
    writeRecord(lost, recordAt(9n)); // signed at 9, so 8 was committed: the database lost 3..8
    await expect(open(lost)).rejects.toThrow(/it holds committed height 2, but .*sign-record\.json says this validator signed at height 9, which it does only after committing height 8\. The database lost committed blocks/);
  });

  it('refuses a record that a stored certificate shows to be behind what this validator signed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pantheon-datadir-'));
    await (await open(dataDir)).store.close();
    await commitBlocks(dataDir, 3);
    writeRecord(dataDir, recordAt(1n)); // a copy from before heights 2 and 3
    await expect(open(dataDir)).rejects.toThrow(/sign-record\.json is behind: it says this validator last signed at height 1, but the certificate of block 2 holds its precommit/);
    expect(existsSync(join(dataDir, 'db', 'CURRENT'))).toBe(true);
  });

  it('refuses a stored chain whose log leaves or accounts no longer match the last header', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pantheon-datadir-'));
    await (await open(dataDir)).store.close();
    await commitBlocks(dataDir, 3);
    const raw = new ClassicLevel<Uint8Array, Uint8Array>(join(dataDir, 'db'), { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: false });
    await raw.open();
    await raw.del(Uint8Array.of(0x05, 0, 0, 0, 0, 0, 0, 0, 2)); // block 2's commitment-log leaves
    const account = Uint8Array.of(0x06, ...addressBytes(treasury.publicKey));
    const value = (await raw.get(account))!;
    value[7] ^= 1; // one bit of the treasury's balance
    await raw.put(account, value);
    await raw.close();
    const err = await open(dataDir).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/is damaged .*the log leaves of block 2 \(1\) are missing; the database holds 2 commitment-log leaves, block 3 says 3; the stored accounts and log records do not give block 3's state root/);
  });
});
