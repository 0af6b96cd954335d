// The anchorer against a real regtest Bitcoin node (bitcoind if present, else bcoin in its own
// process): anchors per interval to k confirmations, a burst of roots in one interval, no
// blocks for several intervals, and a reorg that removes the anchor's block.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { Block } from 'bitcoinjs-lib';
import { bytesToHex, hexToBytes } from '../protocol/bytes.ts';
import { Anchorer, type AnchorAttestation } from '../anchor/node/anchorer.ts';
import { isAttestationOnBestChain } from '../anchor/node/attestation.ts';
import { decodeAnchorPayload, looksLikeAnchorPayload } from '../anchor/payload.ts';
import { startRegtestNode, type RegtestNode } from '../anchor/node/regtest-node.ts';
import { extractOpReturnData, hashFromDisplayHex, parseBlockHeader, parseMerkleBlock, verifyHeaderChain, verifyMerkleBranch, hashToDisplayHex } from '../anchor/verify-bitcoin.ts';
import { bip125Violations } from '../anchor/node/rbf.ts';

const CHAIN_ID = 'pantheon-anchor-test';
const INTERVAL = 10;
const K = 3;
const rootFor = (height: number) => sha256(new TextEncoder().encode(`root ${height}`));

let dir: string;
let node: RegtestNode;
let anchorer: Anchorer;
const attestations: AnchorAttestation[] = [];
const logs: string[] = [];

async function mine(blocks: number): Promise<void> {
  for (let i = 0; i < blocks; i++) {
    await node.rpc.generateToAddress(1, anchorer.address);
    await anchorer.poll();
  }
}

/** Every OP_RETURN carrying our payload in the mempool. */
async function anchorsInMempool(): Promise<string[]> {
  const out: string[] = [];
  for (const txid of await node.rpc.getRawMempool()) {
    const raw = await node.rpc.getRawTransaction(txid);
    if (raw && extractOpReturnData(raw).some(looksLikeAnchorPayload)) out.push(txid);
  }
  return out;
}

/** Check an attestation with the light client's pure functions, plus gettxoutproof from the node. */
async function verifyAttestation(a: AnchorAttestation): Promise<void> {
  const raw = hexToBytes(a.rawTxHex, 'rawTx');
  const [data] = extractOpReturnData(raw);
  const payload = decodeAnchorPayload(data, CHAIN_ID);
  expect(payload.height.toString()).toBe(a.pantheonHeight);
  expect(bytesToHex(payload.root)).toBe(bytesToHex(rootFor(Number(a.pantheonHeight))));
  const header = parseBlockHeader(hexToBytes(a.headerHex, 'header', 80));
  expect(hashToDisplayHex(header.hash)).toBe(a.blockHash);
  const branch = { index: a.merkleIndex, siblings: a.merkleSiblingsHex.map((h) => hexToBytes(h, 'sibling', 32)) };
  expect(verifyMerkleBranch(hashFromDisplayHex(a.txid), branch, header.merkleRoot)).toBe(true);
  const { chainwork } = verifyHeaderChain([a.headerHex, ...a.followingHeadersHex].map((h) => hexToBytes(h, 'header', 80)), 'regtest');
  expect(chainwork).toBe(BigInt(2 * (1 + a.followingHeadersHex.length)));
  expect(a.confirmations).toBeGreaterThanOrEqual(K);
  // The node's own BIP 37 proof agrees with the branch we built from the raw block.
  const proof = parseMerkleBlock(await node.rpc.getTxOutProof([a.txid], a.blockHash));
  expect(proof.matches.map((m) => [hashToDisplayHex(m.txid), m.index])).toEqual([[a.txid, a.merkleIndex]]);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pantheon-anchor-'));
  node = await startRegtestNode({ dataDir: path.join(dir, 'bitcoin'), memory: true, log: (l) => logs.push(l) });
  anchorer = await Anchorer.open({
    dataDir: path.join(dir, 'anchorer'),
    chainId: CHAIN_ID,
    rpc: node.rpc,
    intervalHeights: INTERVAL,
    confirmations: K,
    onAttestation: (a) => void attestations.push(a),
    log: (l) => logs.push(l),
  });
  // Fund from coinbase outputs; 510 blocks so segwit is active on bcoin regtest and coins are mature.
  await node.rpc.generateToAddress(510, anchorer.address);
  await anchorer.poll();
}, 60_000);

afterAll(async () => {
  await anchorer?.close();
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe(`anchorer on a real regtest node`, () => {
  it('logs which Bitcoin implementation ran', () => {
    expect(logs[0]).toMatch(/^regtest bitcoin node: (bitcoind|bcoin) /);
  });

  it('anchors once per interval and attests each anchor at k confirmations', async () => {
    for (const height of [10, 25, 30]) {
      await anchorer.tick({ height, root: rootFor(height) });
      expect(await anchorsInMempool()).toHaveLength(1);
      await mine(K);
      expect(await anchorsInMempool()).toHaveLength(0);
    }
    expect(attestations.map((a) => a.pantheonHeight)).toEqual(['10', '25', '30']);
    for (const a of attestations) {
      await verifyAttestation(a);
      expect(await isAttestationOnBestChain(node.rpc, a, K)).toBe(true);
    }
    expect(await isAttestationOnBestChain(node.rpc, attestations[2], K + 1)).toBe(false);
  });

  it('a burst of 3000 roots in one interval yields exactly one transaction', async () => {
    const before = attestations.length;
    const ticks: Promise<void>[] = [];
    for (let i = 0; i < 3000; i++) {
      const height = 40 + (i % INTERVAL); // all in interval 4
      ticks.push(anchorer.tick({ height, root: rootFor(height) }));
    }
    await Promise.all(ticks);
    const pending = await anchorsInMempool();
    expect(pending).toHaveLength(1);
    await mine(K);
    expect(attestations.length).toBe(before + 1);
    expect(attestations.at(-1)!.txid).toBe(pending[0]);
    expect(Number(attestations.at(-1)!.pantheonHeight)).toBeGreaterThanOrEqual(40);
    expect(Number(attestations.at(-1)!.pantheonHeight)).toBeLessThan(50);
  });

  it('no blocks for several intervals: one anchor stays in flight, the newest root goes in the next one', async () => {
    await anchorer.tick({ height: 50, root: rootFor(50) });
    const first = await anchorsInMempool();
    expect(first).toHaveLength(1);
    for (const height of [60, 70, 80, 95]) {
      await anchorer.tick({ height, root: rootFor(height) });
      expect(await anchorsInMempool()).toEqual(first);
    }
    const pendingTxids = anchorer.status().unconfirmed.map((u) => u.txid);
    expect(pendingTxids).toEqual(first);
    if (node.implementation === 'bcoin') {
      // bcoin has no BIP 125: exactly one replacement was tried, refused, and logged; nothing else sent.
      expect(logs.filter((l) => /refused replacement/.test(l))).toHaveLength(1);
      expect(logs.some((l) => /refused BIP 125 replacement; sending nothing/.test(l))).toBe(true);
      // The refused replacement that was tried was itself a valid BIP 125 replacement.
      const state = JSON.parse(readFileSync(path.join(dir, 'anchorer', 'anchorer-state.json'), 'utf8'));
      const record = state.anchors.find((a: { versions: { txid: string }[] }) => a.versions[0].txid === first[0]);
      expect(record.versions).toHaveLength(2);
      expect(record.versions[1].refused).toBe(true);
      expect(bip125Violations({ rawTxHex: record.versions[0].rawTxHex, feeSat: BigInt(record.versions[0].feeSat) }, { rawTxHex: record.versions[1].rawTxHex, feeSat: BigInt(record.versions[1].feeSat) })).toEqual([]);
    }
    // One block confirms the pending anchor; the next pass anchors the newest root (height 95).
    await mine(1);
    const next = await anchorsInMempool();
    expect(next).toHaveLength(1);
    expect(next[0]).not.toBe(first[0]);
    await mine(K);
    const heights = attestations.slice(-2).map((a) => a.pantheonHeight);
    expect(heights[1]).toBe('95');
    expect(['50', '60', '70', '80', '95']).toContain(heights[0]);
  });

  it('a reorg of depth 2 removing the anchor block: the anchor is rebroadcast and confirmed on the new chain', async () => {
    await anchorer.tick({ height: 100, root: rootFor(100) });
    const [txid] = await anchorsInMempool();
    expect(txid, logs.slice(-8).join('\n')).toBeDefined();
    await node.rpc.generateToAddress(1, anchorer.address);
    const anchorBlockHeight = await node.rpc.getBlockCount();
    const anchorBlockHash = await node.rpc.getBlockHash(anchorBlockHeight);
    const block = Block.fromBuffer(await node.rpc.getBlockRaw(anchorBlockHash));
    expect(block.transactions!.map((t) => t.getId())).toContain(txid);
    await node.rpc.generateToAddress(1, anchorer.address);
    await anchorer.poll();
    expect(anchorer.status().confirming.map((c) => c.txid)).toEqual([txid]);

    await node.rpc.invalidateBlock(anchorBlockHash); // removes the anchor block and the one after it
    expect(await node.rpc.getBlockCount()).toBe(anchorBlockHeight - 1);
    await anchorer.poll();
    expect(logs.some((l) => l.includes(`reorg: anchor`) && l.includes(anchorBlockHash))).toBe(true);
    expect(await anchorsInMempool()).toEqual([txid]);
    expect(anchorer.status().unconfirmed.map((u) => u.txid)).toEqual([txid]);

    const before = attestations.length;
    await mine(K);
    expect(attestations.length).toBe(before + 1);
    const a = attestations.at(-1)!;
    expect(a.txid).toBe(txid);
    expect(a.pantheonHeight).toBe('100');
    expect(a.blockHash).not.toBe(anchorBlockHash);
    await verifyAttestation(a);
    expect(await isAttestationOnBestChain(node.rpc, a, K)).toBe(true);
    expect(await isAttestationOnBestChain(node.rpc, { blockHash: anchorBlockHash, blockHeight: anchorBlockHeight }, 1)).toBe(false);
  });

  it('intervals in seconds (as the node counts them, from genesis): nothing new sends nothing however long; a new root waits for the next interval', async () => {
    let nowMs = 1_000_000_000_000; // a clock of our own: the test never waits for real time
    const seconds = 600;
    const timed = await Anchorer.open({
      dataDir: path.join(dir, 'anchorer-seconds'),
      chainId: CHAIN_ID,
      rpc: node.rpc,
      intervalSeconds: seconds,
      nowMs: () => nowMs,
      confirmations: K,
      log: (l) => logs.push(l),
    });
    try {
      await node.rpc.generateToAddress(110, timed.address); // mature coinbases of its own
      await timed.tick({ height: 7, root: rootFor(7) });
      expect(timed.status().unconfirmed.map((u) => u.pantheonHeight)).toEqual(['7']);
      await mine(1);
      await timed.poll();
      const sent = () => timed.figures().anchorsSent;
      expect(sent()).toBe(1);
      // The same root again, across ten intervals of an idle chain: no transaction at all.
      for (let i = 0; i < 10; i++) {
        nowMs += seconds * 1000;
        await timed.tick({ height: 7, root: rootFor(7) });
        await timed.poll();
      }
      expect(sent()).toBe(1);
      // Something new in the interval already used waits; the first pass of the next interval sends it.
      await timed.tick({ height: 9, root: rootFor(9) });
      expect(sent()).toBe(2); // ten intervals have passed since the last send
      await mine(1);
      await timed.tick({ height: 12, root: rootFor(12) });
      await timed.poll();
      expect(sent()).toBe(2);
      nowMs += seconds * 1000;
      await timed.poll();
      expect(sent()).toBe(3);
      expect(timed.status().unconfirmed.map((u) => u.pantheonHeight)).toEqual(['12']);
    } finally {
      await timed.close();
    }
  });
});
