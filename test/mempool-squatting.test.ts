// Mempool squatting against a real node process (docs/api.md, "The mempool"): what no block
// could include is refused at the door (an anchor attestation from a non-validator, a nonce
// beyond the window); transactions parked behind a nonce gap are acknowledged, survive kill -9,
// and still leave the mempool (and the disk) when their time to live runs out.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../protocol/bytes.ts';
import { addressOf, type KeyPair } from '../protocol/keys.ts';
import { encodeTx, signTx } from '../protocol/tx.ts';
import { api, ApiError } from '../node/client.ts';
import { stopNodeProcess, waitFor, type NodeProcess, type NodeSpec } from '../devnet/processes.ts';
import { startAndServe, startSoloValidator } from './helpers/solo-validator.ts';
import { fund, senderKeys } from '../fixtures/load.ts';

const TTL_SECONDS = 10;
const dir = mkdtempSync(join(tmpdir(), 'pantheon-squat-'));
const PORT = 36_000 + Math.floor(Math.random() * 2000);
let spec: NodeSpec;
let node: NodeProcess;
let chainId: string;
let treasury: KeyPair;

const start = () => startAndServe(spec);

const logLines = () =>
  readFileSync(spec.logPath, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));

beforeAll(async () => {
  ({ spec, node, chainId, treasury } = await startSoloValidator(dir, { port: PORT, extraArgs: ['--mempool-ttl-seconds', String(TTL_SECONDS)] }));
}, 90_000);

afterAll(async () => {
  if (node) await stopNodeProcess(node);
});

describe('mempool squatting', () => {
  it('refuses what no block could include, and expires what waits behind a gap, across kill -9', async () => {
    const [squatter] = senderKeys(1, 0x51);
    await fund(node.url, chainId, treasury, [squatter], 10n ** 10n);
    const refused = async (bytes: Uint8Array) => {
      const err = await api(node.url, '/v1/tx', { tx: bytesToHex(bytes) }).then(() => undefined, (e) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(400);
      return (err as ApiError).message;
    };
    const next = BigInt((await api(node.url, `/v1/account/${addressOf(squatter.publicKey)}`)).nextNonce);
    // An anchor attestation from an account that is not a validator: no block would take it.
    const attestation = signTx({ chainId, senderPublicKey: squatter.publicKey, nonce: next, fee: 1000n, payload: { kind: 'anchorAttestation', pantheonHeight: 1n, root: new Uint8Array(32), btcTx: new Uint8Array(60), btcHeader: new Uint8Array(80), btcHeight: 1, merkleIndex: 0, merkleSiblings: [], followingHeaders: [] } }, squatter.secretKey);
    expect(await refused(encodeTx(attestation))).toBe('anchor attestation: only a validator may record an anchor attestation, and the sender is not in the genesis validator set');
    const commitment = (nonce: bigint) => encodeTx(signTx({ chainId, senderPublicKey: squatter.publicKey, nonce, fee: 1000n, payload: { kind: 'commitment', logId: `${addressOf(squatter.publicKey)}/squat-${nonce}`, treeSize: 1n, root: new Uint8Array(32).fill(1), previousSize: 0n, consistencyProof: [] } }, squatter.secretKey));
    expect(await refused(commitment(next + 65n))).toBe(`nonce ${next + 65n} is more than 64 ahead of the account's next nonce ${next}`);

    // Five transactions behind a gap (nonce `next` is never sent): acknowledged, never includable.
    const squats: string[] = [];
    for (let k = 1n; k <= 5n; k++) squats.push((await api(node.url, '/v1/tx', { tx: bytesToHex(commitment(next + k)) })).txId);
    for (const id of squats) expect((await api(node.url, `/v1/tx/${id}`)).status).toBe('pending');

    // kill -9: they were acknowledged, so they come back from the disk ...
    node.child.kill('SIGKILL');
    await node.exited;
    node = await start();
    await waitFor('the node to reload the stored mempool', () => logLines().some((l) => l.msg === 'mempool reloaded' && l.kept === 5), 10_000);
    // ... and leave by the rule: TTL_SECONDS after the node started.
    await waitFor('the squatting transactions to expire', async () => {
      for (const id of squats) if ((await api(node.url, `/v1/tx/${id}`)).status !== 'unknown') return undefined;
      return true;
    }, (TTL_SECONDS + 20) * 1000, 500);
    const expired = logLines().filter((l) => l.msg === 'pending transactions left the mempool' && /^expired/.test(l.reason));
    expect(expired.reduce((n, l) => n + l.count, 0)).toBeGreaterThanOrEqual(5);
    expect((await api(node.url, '/v1/status')).mempool.transactions).toBe(0);

    // Gone from the disk too: another restart brings none back.
    await stopNodeProcess(node);
    node = await start();
    for (const id of squats) expect((await api(node.url, `/v1/tx/${id}`)).status).toBe('unknown');
    expect((await api(node.url, '/v1/status')).mempool.transactions).toBe(0);
    // The account was never blocked: its next nonce still goes through.
    const ok = await api(node.url, '/v1/tx', { tx: bytesToHex(commitment(next)) });
    await waitFor('the squatter\'s real transaction to be final', async () => ((await api(node.url, `/v1/tx/${ok.txId}`)).status === 'final' ? true : undefined), 30_000, 250);
  }, 180_000);
});
