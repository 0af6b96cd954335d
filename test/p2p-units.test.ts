// In-process checks of the network layer's pure parts and its identity file: the sync codec
// against docs/vectors/sync.json, its bounds, topic names, bootstrap parsing, and the peer key.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { DecodeError } from '../protocol/encoding.ts';
import {
  decodeSyncRequest,
  decodeSyncResponse,
  encodeFrame,
  encodeSyncRequest,
  encodeSyncResponse,
  SYNC_REQUEST_BYTES_MAX,
  SYNC_RESPONSE_BYTES_MAX,
  SYNC_TXS_MAX,
  truncateUtf8,
  type SyncRequest,
  type SyncResponse,
} from '../node/p2p/rules/sync-codec.ts';
import { syncProtocolId, topicName } from '../node/p2p/rules/topics.ts';
import { parseBootstrap } from '../node/p2p/bootstrap.ts';
import { FETCH_TXS_PER_REQUEST } from '../node/gossip-checks.ts';
import { loadOrCreatePeerKey } from '../node/p2p/identity.ts';

type Case = { description: string; input: any; expect: string; output?: any };
const vectors = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'docs', 'vectors', 'sync.json'), 'utf8')) as { cases: Case[] };
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function requestOf(v: any): SyncRequest {
  if (v.kind === 'txs') return { kind: 'txs', txLeafHashes: v.txLeafHashes.map(fromHex) };
  return v.kind === 'blocks' ? { kind: 'blocks', fromHeight: BigInt(v.fromHeight), maxBlocks: v.maxBlocks } : { kind: v.kind };
}
function responseOf(v: any): SyncResponse {
  if (v.kind === 'status') return { kind: 'status', height: BigInt(v.height) };
  if (v.kind === 'blocks') return { kind: 'blocks', blocks: v.blocks.map((b: any) => ({ block: fromHex(b.block), certificate: fromHex(b.certificate) })) };
  if (v.kind === 'txs') return { kind: 'txs', txs: v.txs.map(fromHex) };
  return v;
}

describe('sync codec: docs/vectors/sync.json', () => {
  it('checks every case', () => {
    // The vector file is named here as 'sync.json' so test/vectors.test.ts sees it is checked.
    expect(vectors.cases.length).toBeGreaterThanOrEqual(20);
    let ran = 0;
    for (const c of vectors.cases) {
      const label = c.description;
      if (c.expect === 'ok') {
        const isRequest = c.input.type === 'request';
        const value = isRequest ? requestOf(c.input.value) : responseOf(c.input.value);
        const body = isRequest ? encodeSyncRequest(value as SyncRequest) : encodeSyncResponse(value as SyncResponse);
        expect(toHex(body), label).toBe(c.output.body);
        expect(toHex(encodeFrame(body, isRequest ? SYNC_REQUEST_BYTES_MAX : SYNC_RESPONSE_BYTES_MAX)), label).toBe(c.output.frame);
        const decoded = isRequest ? decodeSyncRequest(body) : decodeSyncResponse(body);
        expect(decoded, label).toEqual(value);
      } else if (c.expect === 'DecodeError') {
        const decode = c.input.type === 'request' ? decodeSyncRequest : decodeSyncResponse;
        let err: unknown;
        try {
          decode(fromHex(c.input.decode));
        } catch (e) {
          err = e;
        }
        expect(err, label).toBeInstanceOf(DecodeError);
        expect((err as DecodeError).field, label).toBe(c.output.field);
      } else if (c.expect === 'RangeError') {
        expect(() => encodeSyncRequest(requestOf(c.input.value)), label).toThrow(RangeError);
      } else {
        throw new Error(`${label}: unknown expectation ${c.expect}`);
      }
      ran++;
    }
    expect(ran).toBe(vectors.cases.length);
  });
});

describe('sync codec bounds', () => {
  it('refuses a blocks response over 64 MiB before building it, naming the size', () => {
    const block = new Uint8Array(12 * 1024 * 1024);
    const blocks = Array.from({ length: 6 }, () => ({ block, certificate: new Uint8Array(1) }));
    expect(() => encodeSyncResponse({ kind: 'blocks', blocks })).toThrow(/more than the 67108864-byte limit/);
    expect(encodeSyncResponse({ kind: 'blocks', blocks: blocks.slice(0, 5) }).length).toBeLessThanOrEqual(SYNC_RESPONSE_BYTES_MAX);
  });

  it('refuses more than 64 blocks', () => {
    const blocks = Array.from({ length: 65 }, () => ({ block: new Uint8Array(0), certificate: new Uint8Array(0) }));
    expect(() => encodeSyncResponse({ kind: 'blocks', blocks })).toThrow(/65 items exceeds the maximum of 64/);
  });

  it('truncates long error messages at a character boundary instead of failing', () => {
    const body = encodeSyncResponse({ kind: 'error', message: 'é'.repeat(600) });
    const decoded = decodeSyncResponse(body);
    expect(decoded.kind === 'error' && decoded.message).toBe('é'.repeat(512));
    expect(truncateUtf8('aé', 2)).toBe('a');
  });

  it('rejects a frame body over its limit', () => {
    expect(SYNC_REQUEST_BYTES_MAX).toBe(1 + 4 + 32 * SYNC_TXS_MAX); // a txs request for 1,024 leaf hashes
    expect(FETCH_TXS_PER_REQUEST).toBe(SYNC_TXS_MAX);
    expect(() => encodeFrame(new Uint8Array(SYNC_REQUEST_BYTES_MAX + 1), SYNC_REQUEST_BYTES_MAX)).toThrow(/32774 bytes exceeds the 32773-byte limit/);
  });
});

describe('names on the wire', () => {
  it('namespaces topics and the sync protocol by chain id', () => {
    expect(topicName('pantheon-test-1', 'vote')).toBe('/pantheon/pantheon-test-1/vote/1');
    expect(topicName('pantheon-test-1', 'proposal')).toBe('/pantheon/pantheon-test-1/proposal/2');
    expect(syncProtocolId('pantheon-test-1')).toBe('/pantheon/pantheon-test-1/sync/1');
    expect(() => topicName('Bad Chain', 'tx')).toThrow(/chainId/);
    expect(() => topicName('pantheon-test-1', 'blocks' as never)).toThrow(/not one of tx, proposal, vote, evidence/);
  });
});

describe('bootstrap parsing', () => {
  const id = '12D3KooWRdtApheTkKpZ7Uz1woF5zYHE175MgjP1nbZGpmjQ91F2';
  it('accepts /p2p/ multiaddrs and drops our own entry', () => {
    const parsed = parseBootstrap([`/ip4/127.0.0.1/tcp/1/p2p/${id}`, `/ip4/127.0.0.1/tcp/2/p2p/12D3KooWLkwJkbbPgwL4JVY6r8B89yiT9694UzSdVtQSoAH6Rzk3`], id);
    expect(parsed.map((p) => p.peerId.toString())).toEqual(['12D3KooWLkwJkbbPgwL4JVY6r8B89yiT9694UzSdVtQSoAH6Rzk3']);
  });
  it('names the entry that is wrong', () => {
    expect(() => parseBootstrap(['/ip4/127.0.0.1/tcp/1'], id)).toThrow(/bootstrap\[0\]: .* has no \/p2p\/<peerId> part/);
    expect(() => parseBootstrap([`/ip4/127.0.0.1/tcp/1/p2p/${id}`, 'not-a-multiaddr'], 'x')).toThrow(/bootstrap\[1\]: "not-a-multiaddr" is not a multiaddr/);
  });
});

describe('peer identity file', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'pantheon-peerkey-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('is created once with mode 0600 and reloaded to the same peer id', async () => {
    const d = dir();
    const events: string[] = [];
    const first = await loadOrCreatePeerKey(d, (e) => events.push(e));
    expect(statSync(join(d, 'peer-key')).mode & 0o777).toBe(0o600);
    const second = await loadOrCreatePeerKey(d, (e) => events.push(e));
    expect(peerIdFromPrivateKey(second).toString()).toBe(peerIdFromPrivateKey(first).toString());
    expect(events).toEqual(['p2p_peer_key_created']);
  });

  it('refuses a corrupt key file with a message naming the file', async () => {
    const d = dir();
    writeFileSync(join(d, 'peer-key'), 'not a key');
    chmodSync(join(d, 'peer-key'), 0o600);
    await expect(loadOrCreatePeerKey(d, () => {})).rejects.toThrow(/peer-key is not a libp2p private-key protobuf/);
  });

  it('warns about a key file readable by others', async () => {
    const d = dir();
    await loadOrCreatePeerKey(d, () => {});
    chmodSync(join(d, 'peer-key'), 0o644);
    const events: string[] = [];
    await loadOrCreatePeerKey(d, (e) => events.push(e));
    expect(events).toEqual(['p2p_peer_key_permissive_mode']);
  });
});
