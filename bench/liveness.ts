// Liveness under load with one validator down (issue 24): four validators as real processes,
// validator 3 killed, then bursts of commitments that fill blocks to blockBytesMax (3 MiB).
// Prints the machine, and for every height that held transactions: its transactions, the
// round it was decided in, and the time since the previous block; then how long a restart of
// the killed validator took to serve its API and to catch up.
//   node --import tsx bench/liveness.ts [--bursts N] [--per-sender N]
// Checks: every commitment of the bursts is final, and all four nodes agree on the tip's block.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { keyPairFromKeyFile } from '../protocol/keys.ts';
import { api } from '../node/client.ts';
import { nodeAddress, REPO_ROOT, startNodeProcess, stopNodeProcess, waitFor, type NodeProcess } from '../devnet/processes.ts';
import { machineInfo } from './machine.ts';
import { commitmentBurst, fund, senderKeys } from '../fixtures/load.ts';

const { values } = parseArgs({ options: { bursts: { type: 'string', default: '3' }, 'per-sender': { type: 'string', default: '50' } } });
const BURSTS = Number(values.bursts);
const PER_SENDER = Number(values['per-sender']);
const SENDERS = 14; // 14 × 50 commitments of ~5.4 KB: more than one 3 MiB block

const dir = mkdtempSync(join(tmpdir(), 'pantheon-liveness-'));
const port = 42_000 + Math.floor(Math.random() * 1000) * 2;
const init = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'pantheon.js'), 'genesis', 'init', '--validators', '4', '--heartbeat-seconds', '1', '--out', dir, '--json'], { encoding: 'utf8' });
if (init.status !== 0) throw new Error(init.stderr);
const out = JSON.parse(init.stdout);
const chainId = JSON.parse(readFileSync(out.genesis, 'utf8')).chainId;
const nodes: NodeProcess[] = [];
const start = async (i: number) => {
  const dataDir = join(dir, `node-${i}`);
  mkdirSync(dataDir, { recursive: true });
  const peers = [0, 1, 2, 3].filter((j) => j !== i).map((j) => nodeAddress(join(dir, `node-${j}`))).filter((a): a is string => a !== undefined);
  nodes[i] = startNodeProcess({ name: `node-${i}`, dataDir, genesisPath: out.genesis, keyPath: out.validatorKeys[i], p2pPort: port + i, httpPort: port + 100 + i, peers, logPath: join(dir, `node-${i}.log`) });
  await waitFor(`node ${i}`, () => nodeAddress(dataDir) && api(nodes[i].url, '/v1/status'), 90_000);
};

console.log(JSON.stringify({ machine: machineInfo() }));
try {
  for (const i of [0, 1, 2, 3]) await start(i);
  const treasury = keyPairFromKeyFile(JSON.parse(readFileSync(out.treasuryKey, 'utf8')));
  const keys = senderKeys(SENDERS, 0x4c);
  await fund(nodes[0].url, chainId, treasury, keys, 10n ** 13n);
  nodes[3].child.kill('SIGKILL');
  await nodes[3].exited;
  const from = BigInt((await api(nodes[0].url, '/v1/status')).height);
  for (let b = 0; b < BURSTS; b++) {
    const ids = await commitmentBurst(nodes[b % 3].url, chainId, keys, PER_SENDER, `live-${b}`);
    await waitFor('the burst to be final', async () => {
      for (const id of [ids[0], ids.at(-1)!]) if ((await api(nodes[0].url, `/v1/tx/${id}`)).status !== 'final') return undefined;
      return true;
    }, 600_000, 500);
  }
  const to = BigInt((await api(nodes[0].url, '/v1/status')).height);
  const committed = readFileSync(nodes[0].spec.logPath, 'utf8').split('\n').filter((l) => l.includes('"msg":"committed"')).map((l) => JSON.parse(l));
  let previousMs: number | undefined;
  const rows = [];
  for (let h = from; h <= to; h++) {
    const b = await api(nodes[0].url, `/v1/block/${h}`);
    const entry = committed.find((c) => c.height === String(h));
    const at = entry ? Date.parse(entry.time) : undefined;
    if (b.txs > 0) rows.push({ height: Number(h), txs: b.txs, blockBytes: b.block.length / 2, round: entry?.round ?? null, sincePreviousMs: at !== undefined && previousMs !== undefined ? at - previousMs : null });
    if (at !== undefined) previousMs = at;
  }
  for (const r of rows) console.log(JSON.stringify(r));
  const t0 = Date.now();
  await start(3);
  const apiMs = Date.now() - t0;
  const tip = BigInt((await api(nodes[0].url, '/v1/status')).height);
  await waitFor('node 3 to catch up', async () => BigInt((await api(nodes[3].url, '/v1/status')).height) >= tip, 300_000, 250);
  const catchUpMs = Date.now() - t0;
  const tips = await Promise.all(nodes.map(async (n) => (await api(n.url, `/v1/block/${tip}`)).hash));
  if (new Set(tips).size !== 1) throw new Error(`the nodes disagree at height ${tip}`);
  const full = rows.filter((r) => r.blockBytes > 1_000_000);
  console.log(JSON.stringify({ summary: { heightsWithTxs: rows.length, fullBlocks: full.length, maxRound: Math.max(...rows.map((r) => r.round ?? 0)), maxSincePreviousMs: Math.max(...rows.map((r) => r.sincePreviousMs ?? 0)), fullBlockMaxSincePreviousMs: Math.max(0, ...full.map((r) => r.sincePreviousMs ?? 0)), restartApiMs: apiMs, restartCatchUpMs: catchUpMs } }));
} finally {
  await Promise.all(nodes.filter(Boolean).map((n) => stopNodeProcess(n)));
}
