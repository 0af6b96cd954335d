// The embedded devnet left idle (issue 29, "Done when"), measured end to end on this machine:
//   1. start: `startDevnet` (four validators, bcoin or bitcoind regtest, a miner, validator 0
//      anchoring), then what `npm run devnet` does: submit a sample commitment at once, wait
//      until it is anchored, fetch its proof bundle and verify it offline. Reports the seconds
//      from the start of the devnet to the verified anchor.
//   2. idle: nothing submitted for --idle-minutes (default 10). Reports the Bitcoin anchor
//      transactions sent meanwhile (the anchorer's counter and a scan of every Bitcoin block
//      mined in the window and the mempool for this chain's OP_RETURN payload) and the
//      Pantheon blocks made (heartbeats only).
//   3. after the idle period: one commitment, submit-to-final and submit-to-anchored; then
//      --samples more (default 30), each submitted to a chain that is idle again (3 s apart),
//      submit-to-final p50/p99/max.
// Run: node --import tsx bench/devnet-idle.ts [--idle-minutes 10] [--samples 30]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { Block } from 'bitcoinjs-lib';
import { startDevnet } from '../devnet/devnet.ts';
import { REPO_ROOT } from '../devnet/processes.ts';
import { readKeyFile } from '../node/keyfile.ts';
import { bytesToHex } from '../protocol/bytes.ts';
import { sha256 } from '../protocol/hash.ts';
import { addressOf } from '../protocol/keys.ts';
import { encodeTx, signTx, txId } from '../protocol/tx.ts';
import { decodeAnchorPayload, looksLikeAnchorPayload } from '../anchor/payload.ts';
import { extractOpReturnData } from '../anchor/verify-bitcoin.ts';
import { machineInfo } from './machine.ts';
import { percentile, sleep } from './stats.ts';

const { values } = parseArgs({ options: { 'idle-minutes': { type: 'string', default: '10' }, samples: { type: 'string', default: '30' } } });
const idleMs = Number(values['idle-minutes']) * 60_000;
const samples = Number(values.samples);
const say = (line: string) => process.stdout.write(line + '\n');

async function get(url: string): Promise<any> {
  const res = await fetch(url);
  const body = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${body?.error}`);
  return body;
}

const machine = machineInfo();
say(`devnet idle benchmark: idle ${idleMs / 60_000} min, ${samples} latency samples`);
say(`machine: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.nodeVersion}, ${machine.date}, load average ${machine.loadAverage.join(' ')}`);
const dir = mkdtempSync(join(tmpdir(), 'pantheon-devnet-idle-'));
const portBase = 36_000 + Math.floor(Math.random() * 1500);
const t0 = performance.now();
const devnet = await startDevnet({ dir, reset: true, p2pPortBase: portBase, httpPortBase: portBase + 100, say: () => undefined });
try {
  const genesis = JSON.parse(readFileSync(devnet.genesisPath, 'utf8'));
  const chainId: string = genesis.chainId;
  say(`devnet up in ${((performance.now() - t0) / 1000).toFixed(1)} s (${devnet.bitcoin.implementation}); heartbeat ${genesis.params.heartbeatMs / 1000} s, anchor interval ${genesis.params.anchorIntervalSeconds} s`);
  const treasury = readKeyFile(devnet.treasuryKeyPath);
  const owner = addressOf(treasury.publicKey);
  const url = devnet.urls[1];
  let seq = 0;

  /** POSTs a fresh commitment (a new log each time) and returns its id and the POST time. */
  const submit = async (): Promise<{ id: string; sentMs: number }> => {
    const account = await get(`${url}/v1/account/${owner}`);
    const name = `idle-bench-${seq++}`;
    const payload = { kind: 'commitment' as const, logId: `${owner}/${name}`, treeSize: 1n, root: sha256(new TextEncoder().encode(name)), previousSize: 0n, consistencyProof: [] };
    const tx = signTx({ chainId, senderPublicKey: treasury.publicKey, nonce: BigInt(account.nextNonce), fee: 1000n, payload }, treasury.secretKey);
    const bytes = encodeTx(tx);
    const sentMs = performance.now();
    const res = await fetch(`${url}/v1/tx`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tx: bytesToHex(bytes) }) });
    if (res.status !== 202) throw new Error(`commitment refused: ${JSON.stringify(await res.json())}`);
    return { id: bytesToHex(txId(tx)), sentMs };
  };
  const waitStatus = async (id: string, want: 'final' | 'anchored', timeoutMs: number, pollMs: number): Promise<number> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const s = await get(`${url}/v1/tx/${id}`);
      if (s.status === want || (want === 'final' && s.status === 'anchored')) return performance.now();
      if (performance.now() > deadline) throw new Error(`${id.slice(0, 12)} not ${want} after ${timeoutMs} ms (status ${s.status})`);
      await sleep(pollMs);
    }
  };

  // 1. What `npm run devnet` shows: a sample commitment's anchor, verified offline.
  const first = await submit();
  await waitStatus(first.id, 'anchored', 180_000, 200);
  const proofPath = join(dir, 'self-check-proof.json');
  const proof = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'pantheon.js'), 'proof', first.id, '--node', url], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  writeFileSync(proofPath, proof.stdout);
  const verify = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'pantheon.js'), 'verify', proofPath, '--genesis', devnet.genesisPath], { encoding: 'utf8' });
  if (verify.status !== 0) throw new Error(`the sample proof did not verify: ${verify.stdout}`);
  const verifiedAfterS = (performance.now() - t0) / 1000;
  say(`1. start to verified anchor: ${verifiedAfterS.toFixed(1)} s (devnet start, sample commitment final, anchored at 6 confirmations, proof verified offline)`);
  // Let the attestation of that anchor become final: it is the last thing the chain does.
  await sleep(15_000);

  // 2. Idle.
  const metric = async (name: string) => Number(/^(\S+) (\S+)$/m.exec((await (await fetch(`${devnet.urls[0]}/metrics`)).text()).split('\n').find((l) => l.startsWith(name + ' ')) ?? '')?.[2] ?? NaN);
  const sentBefore = await metric('pantheon_anchor_transactions_sent_total');
  const heightBefore = BigInt((await get(`${url}/v1/status`)).height);
  const btcBefore = await devnet.bitcoin.rpc.getBlockCount();
  say(`2. idle from Pantheon height ${heightBefore}, Bitcoin height ${btcBefore}, anchors sent so far ${sentBefore}; waiting ${idleMs / 60_000} min`);
  await sleep(idleMs);
  const sentAfter = await metric('pantheon_anchor_transactions_sent_total');
  const heightAfter = BigInt((await get(`${url}/v1/status`)).height);
  const btcAfter = await devnet.bitcoin.rpc.getBlockCount();
  let onChain = 0;
  for (let h = btcBefore + 1; h <= btcAfter; h++) {
    const block = Block.fromBuffer(await devnet.bitcoin.rpc.getBlockRaw(await devnet.bitcoin.rpc.getBlockHash(h)));
    for (const tx of block.transactions ?? []) for (const data of extractOpReturnData(tx.toBuffer())) if (looksLikeAnchorPayload(data) && decodeAnchorPayload(data, chainId)) onChain++;
  }
  let inMempool = 0;
  for (const txid of await devnet.bitcoin.rpc.getRawMempool()) {
    const raw = await devnet.bitcoin.rpc.getRawTransaction(txid);
    if (raw && extractOpReturnData(raw).some(looksLikeAnchorPayload)) inMempool++;
  }
  say(`   after ${idleMs / 60_000} min idle: anchors sent ${sentAfter - sentBefore} (counter), ${onChain} in ${btcAfter - btcBefore} Bitcoin blocks, ${inMempool} in the mempool; Pantheon blocks made ${heightAfter - heightBefore} (heartbeats)`);

  // 3. A commitment after the idle period, then more, each to a chain idle again.
  const after = await submit();
  const finalAt = await waitStatus(after.id, 'final', 60_000, 10);
  const finalMs = finalAt - after.sentMs;
  const anchoredAt = await waitStatus(after.id, 'anchored', 300_000, 200);
  say(`3. after the idle period: submit to final ${finalMs.toFixed(0)} ms, submit to anchored (6 confirmations, regtest block every 2 s) ${((anchoredAt - after.sentMs) / 1000).toFixed(1)} s; the anchor interval is ${genesis.params.anchorIntervalSeconds} s`);
  const latencies = [finalMs];
  for (let i = 0; i < samples; i++) {
    await sleep(3000);
    const s = await submit();
    latencies.push((await waitStatus(s.id, 'final', 60_000, 10)) - s.sentMs);
  }
  say(`   submit to final over ${latencies.length} commitments, each to an idle chain: p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms (polled every 10 ms)`);
} finally {
  await devnet.stop();
  rmSync(dir, { recursive: true, force: true });
}
