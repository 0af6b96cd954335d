// Blocks only when there is something to finalise (issue 29), on one real validator process
// with the default genesis (heartbeat 120 s): an idle chain proposes nothing; a transaction
// stuck behind a nonce gap does not make blocks; a transaction makes one at once; one that
// the state rules refuse when the block is built is dropped instead of keeping heights busy.
// The quiet windows are a few seconds against a two-minute heartbeat: they check that no
// block comes, never how fast one does.
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../anchor/node/regtest-node.ts';
import { nodeAddress, startNodeProcess, stopNodeProcess, waitFor, type NodeProcess } from '../devnet/processes.ts';
import { api } from '../node/client.ts';
import { readKeyFile } from '../node/keyfile.ts';
import { bytesToHex } from '../protocol/bytes.ts';
import { addressOf } from '../protocol/keys.ts';
import { decodeTx, encodeTx, signTx, txId, type UnsignedTx } from '../protocol/tx.ts';
import { pantheon } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'pantheon-idle-'));
let node: NodeProcess;
let treasuryKey: string;
let chainId: string;
const logPath = join(dir, 'node.log');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const height = async () => BigInt((await api(node.url, '/v1/status')).height);

async function commitment(nonce: bigint, name: string, previousSize: bigint): Promise<Uint8Array> {
  const key = readKeyFile(treasuryKey);
  const tx: UnsignedTx = { chainId, senderPublicKey: key.publicKey, nonce, fee: 1000n, payload: { kind: 'commitment', logId: `${addressOf(key.publicKey)}/${name}`, treeSize: 5n, root: new Uint8Array(32).fill(9), previousSize, consistencyProof: [] } };
  return encodeTx(signTx(tx, key.secretKey));
}

beforeAll(async () => {
  const init = pantheon(['genesis', 'init', '--validators', '1', '--out', dir, '--json']);
  expect(init.code, init.stderr).toBe(0);
  const out = JSON.parse(init.stdout);
  treasuryKey = out.treasuryKey;
  chainId = out.chainId;
  const genesis = JSON.parse(readFileSync(out.genesis, 'utf8'));
  expect(genesis.params.heartbeatMs).toBe(120_000);
  const dataDir = join(dir, 'node');
  mkdirSync(dataDir, { recursive: true });
  node = startNodeProcess({ name: 'validator-0', dataDir, genesisPath: out.genesis, keyPath: join(dir, 'validator-0.key'), p2pPort: await freePort(), httpPort: await freePort(), peers: [], logPath, extraArgs: ['--log-level', 'debug'] });
  await waitFor('the validator to serve its API', () => nodeAddress(dataDir) && api(node.url, '/v1/status'), 90_000);
  await waitFor('block 1 (proposed at once on a new chain)', async () => (await height()) >= 1n, 60_000);
}, 120_000);

afterAll(async () => {
  if (node) await stopNodeProcess(node);
});

describe('an idle chain', () => {
  it('proposes nothing and runs no round while there is nothing to finalise', async () => {
    await sleep(4000);
    const s = await api(node.url, '/v1/status');
    expect(s.height).toBe('1');
    expect(s.consensus).toEqual({ height: '2', round: 0, step: 'propose' });
    expect(readFileSync(logPath, 'utf8')).not.toMatch(/"height":"2"[^\n]*"msg":"proposed"/);
  });

  it('a transaction stuck behind a nonce gap makes no block; the one that fills the gap makes one at once; one the state refuses is dropped', async () => {
    const key = readKeyFile(treasuryKey);
    const next = BigInt((await api(node.url, `/v1/account/${addressOf(key.publicKey)}`)).nextNonce);
    // Nonce next + 1 first: admitted (the log rules are checked against the committed state only
    // for the sender's next nonce) but not includable until `next` arrives. It opens a new log
    // claiming a previous size of 3: the state transition refuses that when the block is built.
    const refused = await commitment(next + 1n, 'idle-refused', 3n);
    const refusedId = bytesToHex(txId(decodeTx(refused)));
    expect((await api(node.url, '/v1/tx', { tx: bytesToHex(refused) })).txId).toBe(refusedId);
    await sleep(3000);
    expect(await height()).toBe(1n);
    expect((await api(node.url, `/v1/tx/${refusedId}`)).status).toBe('pending');

    const good = await commitment(next, 'idle-good', 0n);
    const goodId = bytesToHex(txId(decodeTx(good)));
    await api(node.url, '/v1/tx', { tx: bytesToHex(good) });
    const final = await waitFor('the commitment to be final', async () => {
      const s = await api(node.url, `/v1/tx/${goodId}`);
      return s.status === 'final' ? s : undefined;
    }, 60_000, 100);
    expect(String(final.height)).toBe('2');
    await waitFor('the refused transaction to leave the mempool', async () => (await api(node.url, `/v1/tx/${refusedId}`)).status === 'unknown', 30_000, 100);
    expect(readFileSync(logPath, 'utf8')).toMatch(/dropped a pending transaction that no block can include/);
    // Idle again: the dropped transaction does not keep the chain busy.
    const after = await height();
    await sleep(3000);
    expect(await height()).toBe(after);
    expect((await api(node.url, '/v1/status')).mempool.transactions).toBe(0);
  }, 120_000);
});
