// Append-only logs on a running four-validator network of real processes (real libp2p, real
// level on disk): an operator's log grows by consistency-proven commitments while a second key
// and the operator itself try to rewrite history: a fork at an earlier size, a shrink, a
// swapped root at the committed size, a proof from another history, a commitment and a key
// change on another owner's log, and front-running a new log name seen in gossip. Every
// attempt is refused by each of the four validators with the reason; the honest commitments
// and a key change become final; GET /v1/log and `pantheon log` list the one history; and two
// proof bundles of the log are shown to be one history offline by `pantheon verify --earlier`.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../protocol/bytes.ts';
import { addressBytes, addressOf, keyPairFromKeyFile, type KeyPair } from '../protocol/keys.ts';
import { encodeTx, signTx, type CommitmentPayload, type UnsignedTx } from '../protocol/tx.ts';
import { api, ApiError } from '../node/client.ts';
import { SampleLog } from '../node/commitment-log.ts';
import { consistencyProofToJson } from '../light-client/consistency.ts';
import { nodeAddress, startNodeProcess, stopNodeProcess, waitFor, type NodeProcess } from '../devnet/processes.ts';
import { pantheon } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'pantheon-append-only-'));
const BASE_P2P = 35_000 + Math.floor(Math.random() * 2000);
const nodes: NodeProcess[] = [];
let genesisPath: string;
let chainId: string;
let operatorKeyPath: string;
let operator: KeyPair;
const mallory = { path: join(dir, 'mallory.key'), key: undefined as unknown as KeyPair };
const heir = { path: join(dir, 'heir.key'), key: undefined as unknown as KeyPair };
const history = new SampleLog('network test agents');
const forked = new SampleLog('a rewritten history');
let logId: string;
const finalIds: string[] = [];

async function startNode(i: number): Promise<NodeProcess> {
  const dataDir = join(dir, `node-${i}`);
  mkdirSync(dataDir, { recursive: true });
  const peers = [0, 1, 2, 3].filter((j) => j !== i).map((j) => nodeAddress(join(dir, `node-${j}`))).filter((a): a is string => a !== undefined);
  const n = startNodeProcess({ name: `node-${i}`, dataDir, genesisPath, keyPath: join(dir, `validator-${i}.key`), p2pPort: BASE_P2P + i, httpPort: BASE_P2P + 100 + i, peers, logPath: join(dir, `node-${i}.log`) });
  await waitFor(`node ${i} to serve its API`, () => nodeAddress(n.spec.dataDir) && api(n.url, '/v1/status'), 180_000);
  nodes[i] = n;
  return n;
}

const readKey = (path: string) => keyPairFromKeyFile(JSON.parse(readFileSync(path, 'utf8')));

/** A transaction signed by `key` with its next nonce (as node 0 counts it). */
async function signed(key: KeyPair, payload: UnsignedTx['payload']): Promise<string> {
  const account = await api(nodes[0].url, `/v1/account/${addressOf(key.publicKey)}`);
  return bytesToHex(encodeTx(signTx({ chainId, senderPublicKey: key.publicKey, nonce: BigInt(account.nextNonce), fee: 1000n, payload }, key.secretKey)));
}

/** Sends the same transaction to each of the four validators: each must refuse it with the reason. */
async function refusedByAll(txHex: string, reason: RegExp): Promise<void> {
  for (const n of nodes) {
    const err = await api(n.url, '/v1/tx', { tx: txHex }).then(() => undefined, (e) => e);
    expect(err, `${n.spec.name} accepted a rewrite`).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toMatch(reason);
  }
}

function commitmentPayload(id: string, tree: SampleLog, previousSize: number, size: number): CommitmentPayload {
  return { kind: 'commitment', logId: id, treeSize: BigInt(size), root: tree.root(size), previousSize: BigInt(previousSize), consistencyProof: tree.consistencyProof(previousSize, size) };
}

function proofFile(name: string, id: string, tree: SampleLog, from: number, to: number): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(consistencyProofToJson({ logId: id, fromSize: BigInt(from), fromRoot: tree.root(from), toSize: BigInt(to), toRoot: tree.root(to), proof: tree.consistencyProof(from, to) })));
  return path;
}

function submit(args: string[]): any {
  const r = pantheon(['submit', ...args, '--node', nodes[1].url, '--wait', 'final', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const receipt = JSON.parse(r.stdout);
  expect(receipt.status).toBe('final');
  return receipt;
}

beforeAll(async () => {
  const init = pantheon(['genesis', 'init', '--validators', '4', '--out', dir, '--json']);
  expect(init.code, init.stderr).toBe(0);
  const out = JSON.parse(init.stdout);
  genesisPath = out.genesis;
  operatorKeyPath = out.treasuryKey;
  operator = readKey(operatorKeyPath);
  chainId = JSON.parse(readFileSync(genesisPath, 'utf8')).chainId;
  logId = `${addressOf(operator.publicKey)}/agents`;
  for (const k of [mallory, heir]) {
    expect(pantheon(['keys', 'new', '--out', k.path]).code).toBe(0);
    k.key = readKey(k.path);
  }
  for (const i of [0, 1, 2, 3]) await startNode(i);
  // Fund the second key and the heir (fees are paid in PAN): two transfers, one wait.
  const ids: string[] = [];
  for (const k of [mallory, heir]) ids.push((await api(nodes[0].url, '/v1/tx', { tx: await signed(operator, { kind: 'transfer', to: addressBytes(k.key.publicKey), amount: 1_000_000_000n }) })).txId);
  for (const id of ids) await waitFor(`transfer ${id} to be final`, async () => (await api(nodes[0].url, `/v1/tx/${id}`)).status === 'final', 120_000);
}, 420_000);

afterAll(async () => {
  await Promise.all(nodes.filter(Boolean).map((n) => stopNodeProcess(n)));
});

describe('append-only logs on four validators', () => {
  it('refuses every rewrite attempt on all four validators while honest commitments become final', async () => {
    // The log's first commitment, then an honest extension with its consistency proof.
    finalIds.push(submit(['--name', 'agents', '--root', bytesToHex(history.root(10)), '--size', '10', '--key', operatorKeyPath]).commitmentId);
    finalIds.push(submit(['--log', logId, '--root', bytesToHex(history.root(20)), '--size', '20', '--key', operatorKeyPath, '--consistency', proofFile('p-10-20.json', logId, history, 10, 20)]).commitmentId);

    const committed = `log ${logId.replace(/[/]/g, '\\/')}`;
    // A fork at an earlier size: another root at size 15 < 20.
    await refusedByAll(await signed(operator, { ...commitmentPayload(logId, forked, 0, 15), previousSize: 20n }), new RegExp(`${committed}: size 15 is smaller than the committed size 20`));
    // A shrink of the true history.
    await refusedByAll(await signed(operator, { ...commitmentPayload(logId, history, 0, 12), previousSize: 20n }), new RegExp(`${committed}: size 12 is smaller than the committed size 20`));
    // Another root at the committed size.
    await refusedByAll(await signed(operator, { ...commitmentPayload(logId, forked, 0, 20), previousSize: 20n }), new RegExp(`${committed}: size 20 is already committed with another root`));
    // A longer rewritten history, with that history's own proof from size 20.
    await refusedByAll(await signed(operator, commitmentPayload(logId, forked, 20, 40)), new RegExp(`${committed}: the consistency proof from size 20 to size 40 does not verify against the committed root`));
    // Another key commits to, and tries to take over, the operator's log.
    await refusedByAll(await signed(mallory.key, commitmentPayload(logId, history, 20, 30)), new RegExp(`${committed} is owned by ${addressOf(operator.publicKey)}, not ${addressOf(mallory.key.publicKey)}`));
    await refusedByAll(await signed(mallory.key, { kind: 'keyChange', logId, newPublicKey: mallory.key.publicKey, fromSize: 20n }), /only the owner can change its key/);

    // Front-running: the operator's first commitment of a new log is in gossip; the other key
    // copies it under its own signature and sends it to every validator first.
    const newLog = `${addressOf(operator.publicKey)}/billing`;
    const honestFirst = await signed(operator, commitmentPayload(newLog, history, 0, 5));
    await api(nodes[0].url, '/v1/tx', { tx: honestFirst });
    // With blocks made as soon as a transaction waits, the honest one may already be final: then the
    // copy meets the opened log instead. Either way it is refused, naming the owner and the sender.
    await refusedByAll(await signed(mallory.key, commitmentPayload(newLog, history, 0, 5)), new RegExp(`log ${newLog.replace(/[/]/g, '\\/')} (belongs to ${addressOf(operator.publicKey)}: only that key can open it|is owned by ${addressOf(operator.publicKey)}), not ${addressOf(mallory.key.publicKey)}`));

    // The honest chain keeps going: the new log is the operator's, and a key change hands the first log to the heir.
    await waitFor('the new log to be final everywhere', async () => (await Promise.all(nodes.map((n) => api(n.url, `/v1/log/${newLog}`).then((h) => h.owner === addressOf(operator.publicKey), () => false)))).every(Boolean), 60_000);
    const change = pantheon(['log', 'key-change', '--log', logId, '--new-key', heir.path, '--from-size', '20', '--key', operatorKeyPath, '--node', nodes[2].url, '--wait', 'final', '--json']);
    expect(change.code, change.stderr).toBe(0);
    expect(JSON.parse(change.stdout).status).toBe('final');
    await refusedByAll(await signed(operator, commitmentPayload(logId, history, 20, 30)), new RegExp(`${committed} is owned by ${addressOf(heir.key.publicKey)}, not ${addressOf(operator.publicKey)}`));
    finalIds.push(submit(['--log', logId, '--root', bytesToHex(history.root(30)), '--size', '30', '--key', heir.path, '--consistency', proofFile('p-20-30.json', logId, history, 20, 30)]).commitmentId);

    // Every validator serves the same single history.
    for (const n of nodes) {
      const h = await waitFor(`${n.spec.name} to list size 30`, async () => {
        const x = await api(n.url, `/v1/log/${logId}`);
        return x.size === '30' ? x : undefined;
      }, 30_000);
      expect(h.owner).toBe(addressOf(heir.key.publicKey));
      expect(h.founder).toBe(addressOf(operator.publicKey));
      expect(h.commitmentCount).toBe('3');
      expect(h.keyChanges).toEqual([{ fromSize: '20', address: addressOf(heir.key.publicKey), publicKey: bytesToHex(heir.key.publicKey) }]);
      expect(h.commitments.map((c: any) => [c.sequence, c.treeSize, c.root, c.commitmentId, c.status])).toEqual(
        [10, 20, 30].map((size, i) => [String(i), String(size), bytesToHex(history.root(size)), finalIds[i], 'final']),
      );
      const page = await api(n.url, `/v1/log/${logId}?from=1&limit=1`);
      expect(page.commitments.map((c: any) => c.treeSize)).toEqual(['20']);
      expect(page.next).toBe('2');
    }
    const shown = pantheon(['log', logId, '--node', nodes[3].url]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`owner        ${addressOf(heir.key.publicKey)} (founded by ${addressOf(operator.publicKey)})`);
    expect(shown.stdout).toContain(`key change   from size 20 to ${addressOf(heir.key.publicKey)}`);
    expect(shown.stdout).toMatch(/\n\s+2\s+30\s+[0-9a-f]{64}\s+\d+\s+final/);
    const unknown = await api(nodes[0].url, `/v1/log/${addressOf(mallory.key.publicKey)}/nothing`).then(() => undefined, (e) => e);
    expect((unknown as ApiError).status).toBe(404);
  }, 420_000);

  it('shows two bundles of the log to be one history offline, and refuses a proof from another history', () => {
    const bundle = (id: string, name: string) => {
      const r = pantheon(['proof', id, '--node', nodes[0].url]);
      expect(r.code, r.stderr).toBe(0);
      const path = join(dir, name);
      writeFileSync(path, r.stdout);
      return path;
    };
    const first = bundle(finalIds[0], 'first.json');
    const second = bundle(finalIds[1], 'second.json');
    const third = bundle(finalIds[2], 'third.json');
    const verify = (args: string[]) => pantheon(['verify', ...args, '--genesis', genesisPath, '--min-confirmations', '0']);
    // From a consistency proof file (as `oar prove-consistency` would write it).
    const withFile = verify([third, '--earlier', first, '--consistency', proofFile('p-10-30.json', logId, history, 10, 30)]);
    expect(withFile.code, withFile.stdout + withFile.stderr).toBe(0);
    expect(withFile.stdout).toMatch(new RegExp(`ONE HISTORY: log ${logId.replace(/[/]/g, '\\/')}: size 10 \\(root ${bytesToHex(history.root(10))}\\) is a prefix of size 30 \\(root ${bytesToHex(history.root(30))}\\), by the consistency proof file`));
    // Adjacent commitments: the later one carries the proof itself.
    const adjacent = verify([third, '--earlier', second]);
    expect(adjacent.code, adjacent.stdout + adjacent.stderr).toBe(0);
    expect(adjacent.stdout).toMatch(/ONE HISTORY: .*size 20 .* is a prefix of size 30 .*by the proof inside the later commitment/);
    // Not adjacent, and no proof given: nothing is claimed.
    const missing = verify([third, '--earlier', first]);
    expect(missing.code, missing.stderr).toBe(1);
    expect(missing.stdout, missing.stderr).toMatch(/NOT SHOWN TO BE ONE HISTORY: .*extends size 20, not the earlier size 10; give a consistency proof/);
    // A proof file naming the right sizes and roots but holding another history's hashes.
    const wrongPath = join(dir, 'p-wrong.json');
    writeFileSync(wrongPath, JSON.stringify({ ...JSON.parse(readFileSync(proofFile('x.json', logId, history, 10, 30), 'utf8')), proof: forked.consistencyProof(10, 30).map(bytesToHex) }));
    const wrong = verify([third, '--earlier', first, '--consistency', wrongPath]);
    expect(wrong.code, wrong.stderr).toBe(1);
    expect(wrong.stdout, wrong.stderr).toMatch(/NOT SHOWN TO BE ONE HISTORY: .*does not show size 10 .* to be a prefix of size 30/);
    // A proof file for other sizes than the bundles commit is refused before any hashing.
    const shifted = verify([third, '--earlier', first, '--consistency', proofFile('p-10-20b.json', logId, history, 10, 20)]);
    expect(shifted.code, shifted.stderr).toBe(1);
    expect(shifted.stdout, shifted.stderr).toMatch(/the consistency proof ends at size 20, .*the later bundle commits size 30/);
  }, 300_000);
});
