// The embedded devnet: four validator processes, a real regtest Bitcoin node (bitcoind when
// present, else bcoin), a miner that mines a regtest block every few seconds, and validator 0
// anchoring into it. Everything lives under one directory, so a second start resumes the same
// chains; `reset` starts over. Used by `npm run devnet`, `npm run demo` and the devnet test.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { claimDevnet, markDevnetRunning, releaseDevnet } from './owner.ts';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startRegtestNode, type RegtestNode } from '../anchor/node/regtest-node.ts';
import { api } from '../node/client.ts';
import { assertRunning, nodeAddress, REPO_ROOT, startNodeProcess, stopNodeProcess, waitFor, type NodeProcess } from './processes.ts';

export const VALIDATORS = 4;
export const P2P_PORT_BASE = 27000;
export const HTTP_PORT_BASE = 28000;
/** Mine to 500+ so that segwit is active on bcoin's regtest and coinbase outputs are mature. */
const FUNDING_BLOCKS = 510;
export const DEVNET_ANCHOR_INTERVAL_SECONDS = 30;

export interface DevnetOptions {
  dir: string;
  reset?: boolean;
  /** Seconds between mined regtest blocks. */
  blockSeconds?: number;
  /**
   * The devnet genesis's params.anchorIntervalSeconds (a new devnet only). Default 30, not the
   * chain default of 600: the devnet mines a regtest block every two seconds, so an anchor is
   * attested (6 confirmations) about 15 s after it is sent, and a demo should see its commitment
   * anchored within a minute rather than wait ten.
   */
  anchorIntervalSeconds?: number;
  anchorConfirmations?: number;
  p2pPortBase?: number;
  httpPortBase?: number;
  say?: (line: string) => void;
}

export interface Devnet {
  dir: string;
  genesisPath: string;
  genesisHash: string;
  treasuryKeyPath: string;
  nodes: NodeProcess[];
  bitcoin: RegtestNode;
  urls: string[];
  stop(): Promise<void>;
}

function pantheonCli(args: string[]): string {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'pantheon.js'), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pantheon ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export async function startDevnet(o: DevnetOptions): Promise<Devnet> {
  const say = o.say ?? ((line: string) => process.stdout.write(line + '\n'));
  const p2pBase = o.p2pPortBase ?? P2P_PORT_BASE;
  const httpBase = o.httpPortBase ?? HTTP_PORT_BASE;
  // Before --reset deletes anything: refuse while another process owns this directory.
  if (existsSync(o.dir)) claimDevnet(o.dir);
  if (o.reset) rmSync(o.dir, { recursive: true, force: true });
  mkdirSync(o.dir, { recursive: true });
  claimDevnet(o.dir);
  const genesisPath = join(o.dir, 'genesis.json');
  const fresh = !existsSync(genesisPath);
  if (fresh) {
    pantheonCli(['genesis', 'init', '--validators', String(VALIDATORS), '--anchor-interval-seconds', String(o.anchorIntervalSeconds ?? DEVNET_ANCHOR_INTERVAL_SECONDS), '--out', o.dir]);
    say(`created a new devnet in ${o.dir}`);
  } else {
    say(`resuming the devnet in ${o.dir} (--reset starts over)`);
  }
  const genesisHash = pantheonCli(['genesis', 'hash', genesisPath]).trim();
  mkdirSync(join(o.dir, 'logs'), { recursive: true });

  let bitcoin: RegtestNode;
  try {
    bitcoin = await startRegtestNode({ dataDir: join(o.dir, 'bitcoin'), log: (line) => say(`bitcoin: ${line}`) });
  } catch (err) {
    releaseDevnet(o.dir);
    throw err;
  }
  const nodes: NodeProcess[] = [];
  let miner: NodeJS.Timeout | undefined;
  const stop = async () => {
    if (miner) clearInterval(miner);
    await Promise.all(nodes.map((n) => stopNodeProcess(n)));
    await bitcoin.stop();
    releaseDevnet(o.dir);
  };
  try {
    for (let i = 0; i < VALIDATORS; i++) {
      const dataDir = join(o.dir, `validator-${i}`);
      mkdirSync(dataDir, { recursive: true });
      // On a resume every node knows the others' addresses (node.json keeps them); on the
      // first run each node bootstraps to the ones started before it.
      const peers = Array.from({ length: VALIDATORS }, (_, j) => j)
        .filter((j) => j !== i)
        .map((j) => nodeAddress(join(o.dir, `validator-${j}`)))
        .filter((a): a is string => a !== undefined);
      const n = startNodeProcess({
        name: `validator-${i}`,
        dataDir,
        genesisPath,
        keyPath: join(o.dir, `validator-${i}.key`),
        p2pPort: p2pBase + i,
        httpPort: httpBase + i,
        peers,
        logPath: join(o.dir, 'logs', `validator-${i}.log`),
        extraArgs: i === 0 ? anchorArgs(bitcoin, o) : [],
      });
      nodes.push(n);
      await waitFor(`validator-${i} to start (log: ${n.spec.logPath})`, async () => {
        assertRunning(n);
        return nodeAddress(dataDir) && (await api(n.url, '/v1/status'));
      }, 60_000);
    }
    // Validator 0 anchors: fund its Bitcoin wallet from regtest coinbases.
    const anchorAddress: string = JSON.parse(readFileSync(join(nodes[0].spec.dataDir, 'node.json'), 'utf8')).anchorAddress;
    const btcHeight = await bitcoin.rpc.getBlockCount();
    if (btcHeight < FUNDING_BLOCKS) {
      say(`bitcoin: mining ${FUNDING_BLOCKS - btcHeight} regtest blocks to fund the anchor wallet ${anchorAddress}`);
      await bitcoin.rpc.generateToAddress(FUNDING_BLOCKS - btcHeight, anchorAddress);
    }
    miner = setInterval(() => {
      bitcoin.rpc.generateToAddress(1, anchorAddress).catch(() => undefined);
    }, (o.blockSeconds ?? 2) * 1000);
  } catch (err) {
    await stop();
    throw err;
  }
  markDevnetRunning(o.dir);
  return { dir: o.dir, genesisPath, genesisHash, treasuryKeyPath: join(o.dir, 'treasury.key'), nodes, bitcoin, urls: nodes.map((n) => n.url), stop };
}

function anchorArgs(bitcoin: RegtestNode, o: DevnetOptions): string[] {
  return [
    '--bitcoin-rpc', bitcoin.rpcUrl,
    '--bitcoin-rpc-user', bitcoin.rpcUser,
    '--bitcoin-rpc-password', bitcoin.rpcPassword,
    '--bitcoin-network', 'regtest',
    '--anchor-confirmations', String(o.anchorConfirmations ?? 6),
  ];
}
