// Part "idle": what a chain doing nothing costs each node on disk (issue 29). Four `pantheon
// node` processes on this machine with the default genesis (`pantheon genesis init`, so the
// default heartbeat), no transaction at all. After start-up (height 1 final everywhere, the
// first LevelDB compactions done) the LevelDB directory of every node is measured (`du`, disk
// blocks and file sizes, the larger growth), then again `seconds` later; the growth per node is extrapolated to a day. It is an
// extrapolation over a few minutes, and says so: a heartbeat of 120 s gives only a handful of
// blocks in that time, so bytes per heartbeat block are reported beside it.
// Checks: no transaction was submitted or committed, all nodes agree on height and block hash.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../anchor/node/regtest-node.ts';
import { assertRunning, nodeAddress, REPO_ROOT, startNodeProcess, stopNodeProcess, waitFor, type NodeProcess } from '../devnet/processes.ts';
import { sleep } from './stats.ts';

const CHAIN = 'pantheon-bench-idle';
/** Start-up settles (peers connected, LevelDB's first writes) before the first measurement. */
const SETTLE_MS = 10_000;

export interface IdleFigures {
  idleValidators: number;
  idleSeconds: number;
  heartbeatMs: number;
  /** Blocks committed during the measured window (the same on every node). */
  idleBlocks: number;
  /** Mean LevelDB growth per node over the window, in bytes (the larger of `du -B1` and `du -b`). */
  idleGrowthBytesPerNode: number;
  /** That growth scaled to 86,400 s: an extrapolation from `idleSeconds`. */
  idleBytesPerNodePerDay: number;
  /** Growth per block committed in the window (undefined when none was). */
  idleBytesPerBlock?: number;
  /** Blocks a day at the heartbeat times bytes per block: the same figure from the other side. */
  idleBytesPerNodePerDayFromBlocks?: number;
}

async function get(url: string): Promise<any> {
  const res = await fetch(url);
  const body = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${body?.error}`);
  return body;
}

/** Bytes of the directory: allocated disk blocks (`du -B1`), or file sizes (`du -b`), the larger growth counts. */
function duBytes(path: string, apparent: boolean): number {
  return Number(execFileSync('du', ['-s', apparent ? '-b' : '-B1', path], { encoding: 'utf8' }).split(/\s+/)[0]);
}

export async function runIdle(o: { validators: number; seconds: number; log: (line: string) => void }): Promise<IdleFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'pantheon-bench-idle-'));
  const nodes: NodeProcess[] = [];
  try {
    const init = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'pantheon.js'), 'genesis', 'init', '--validators', String(o.validators), '--out', dir, '--chain-id', CHAIN, '--json'], { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`pantheon genesis init failed: ${init.stderr}`);
    const genesisPath = join(dir, 'genesis.json');
    const heartbeatMs = JSON.parse(readFileSync(genesisPath, 'utf8')).params.heartbeatMs as number;
    for (let i = 0; i < o.validators; i++) {
      const dataDir = join(dir, `validator-${i}`);
      mkdirSync(dataDir, { recursive: true });
      const peers = nodes.map((n) => nodeAddress(n.spec.dataDir)!).filter(Boolean);
      const n = startNodeProcess({ name: `validator-${i}`, dataDir, genesisPath, keyPath: join(dir, `validator-${i}.key`), p2pPort: await freePort(), httpPort: await freePort(), peers, logPath: join(dir, `validator-${i}.log`) });
      nodes.push(n);
      await waitFor(`validator-${i} to start (log ${n.spec.logPath})`, async () => {
        assertRunning(n);
        return nodeAddress(dataDir) && (await get(`${n.url}/v1/status`));
      }, 60_000);
    }
    const urls = nodes.map((n) => n.url);
    await waitFor('all validators to see each other and height 1 final', async () => {
      const s = await Promise.all(urls.map((u) => get(`${u}/v1/status`)));
      return s.every((x) => x.peers >= o.validators - 1 && BigInt(x.height) >= 1n);
    }, 60_000);
    await sleep(SETTLE_MS);
    const dbs = nodes.map((n) => join(n.spec.dataDir, 'db'));
    const before = dbs.map((d) => [duBytes(d, false), duBytes(d, true)]);
    const heightBefore = BigInt((await get(`${urls[0]}/v1/status`)).height);
    const t0 = performance.now();
    o.log(`  ${o.validators} validators idle at height ${heightBefore}, heartbeat ${heartbeatMs / 1000} s; measuring ${o.seconds} s`);
    await sleep(o.seconds * 1000);
    const elapsedSeconds = (performance.now() - t0) / 1000;
    const after = dbs.map((d) => [duBytes(d, false), duBytes(d, true)]);
    const status = await Promise.all(urls.map((u) => get(`${u}/v1/status`)));
    const heightAfter = BigInt(status[0].height);
    // Agreement, and nothing but empty blocks: no transaction was ever submitted.
    const heights = new Set(status.map((s) => s.height));
    if (heights.size !== 1) throw new Error(`idle: nodes disagree on the height: ${[...heights].join(', ')}`);
    if (new Set(status.map((s) => s.lastBlockHash)).size !== 1) throw new Error('idle: nodes disagree on the last block hash');
    if (status.some((s) => s.commitmentLogSize !== 0 || s.mempool.transactions !== 0)) throw new Error('idle: a transaction appeared on a chain nobody used');
    // Per node, the larger of the two growths: LevelDB appends to its log file (file size) and
    // allocates in 4 KiB blocks (disk blocks); over a few blocks either may lag the other.
    const growth = after.map((a, i) => Math.max(a[0] - before[i][0], a[1] - before[i][1]));
    const meanGrowth = growth.reduce((s, g) => s + g, 0) / growth.length;
    const blocks = Number(heightAfter - heightBefore);
    const perBlock = blocks > 0 ? meanGrowth / blocks : undefined;
    const figures: IdleFigures = {
      idleValidators: o.validators,
      idleSeconds: Math.round(elapsedSeconds),
      heartbeatMs,
      idleBlocks: blocks,
      idleGrowthBytesPerNode: Math.round(meanGrowth),
      idleBytesPerNodePerDay: Math.round((meanGrowth / elapsedSeconds) * 86_400),
      idleBytesPerBlock: perBlock === undefined ? undefined : Math.round(perBlock),
      idleBytesPerNodePerDayFromBlocks: perBlock === undefined ? undefined : Math.round((86_400_000 / heartbeatMs) * perBlock),
    };
    o.log(`  ${blocks} heartbeat blocks in ${elapsedSeconds.toFixed(0)} s; LevelDB growth per node ${growth.map((g) => g.toLocaleString('en-US')).join(' / ')} bytes`);
    o.log(`  extrapolated from ${elapsedSeconds.toFixed(0)} s to a day: ${(figures.idleBytesPerNodePerDay / 1e6).toFixed(1)} MB per node per day${perBlock === undefined ? '' : `; ${Math.round(perBlock).toLocaleString('en-US')} bytes per block x ${86_400_000 / heartbeatMs} heartbeats a day = ${(figures.idleBytesPerNodePerDayFromBlocks! / 1e6).toFixed(1)} MB`}`);
    return figures;
  } finally {
    await Promise.all(nodes.map((n) => stopNodeProcess(n).catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}
