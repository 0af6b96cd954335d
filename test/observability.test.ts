// What an operator sees of a real node: one validator process anchoring into a real regtest
// Bitcoin node (bcoin, in memory), logging at trace, its most verbose level. /metrics is
// parsed by a Prometheus text parser and carries every figure from the first scrape; after a
// commitment and an anchor the latency histograms and anchoring figures are filled; a client
// that hangs up is logged at debug without a stack; empty blocks log at debug; and no key
// material (validator seed and secret key, anchor wallet key, libp2p key, RPC password)
// appears anywhere in the log.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys';
import { freePort, startRegtestNode, type RegtestNode } from '../anchor/node/regtest-node.ts';
import { api } from '../node/client.ts';
import { PEER_KEY_FILE } from '../node/p2p/identity.ts';
import { assertRunning, nodeAddress, startNodeProcess, stopNodeProcess, waitFor, type NodeProcess } from '../devnet/processes.ts';
import { countOf, familyOf, metricNamesIn, parseExposition, valueOf } from './helpers/prometheus.ts';
import { REQUIRED_SERIES } from './helpers/required-metrics.ts';
import { findSecrets, keyFileSecrets, type Secret } from './helpers/secret-scan.ts';
import { pantheon } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'pantheon-observe-'));
const dataDir = join(dir, 'validator-0');
const logPath = join(dir, 'validator-0.log');
let genesisPath: string;
let treasuryKeyPath: string;
let bitcoin: RegtestNode;
let node: NodeProcess;
let firstScrape: { text: string; contentType: string | null };
let miner: NodeJS.Timeout | undefined;

const scrape = async () => parseExposition(await (await fetch(`${node.url}/metrics`)).text());
const logLines = () =>
  readFileSync(logPath, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: string; msg: string; [k: string]: unknown });

beforeAll(async () => {
  const init = pantheon(['genesis', 'init', '--validators', '1', '--anchor-interval-seconds', '2', '--out', dir, '--json']);
  expect(init.code, init.stderr).toBe(0);
  ({ genesis: genesisPath, treasuryKey: treasuryKeyPath } = JSON.parse(init.stdout));
  bitcoin = await startRegtestNode({ dataDir: join(dir, 'bitcoin'), memory: true, log: () => undefined });
  mkdirSync(dataDir, { recursive: true });
  const [p2pPort, httpPort] = [await freePort(), await freePort()];
  const anchorArgs = ['--bitcoin-rpc', bitcoin.rpcUrl, '--bitcoin-rpc-user', bitcoin.rpcUser, '--bitcoin-rpc-password', bitcoin.rpcPassword, '--anchor-confirmations', '2'];
  node = startNodeProcess({ name: 'validator-0', dataDir, genesisPath, keyPath: join(dir, 'validator-0.key'), p2pPort, httpPort, peers: [], logPath, extraArgs: [...anchorArgs, '--log-level', 'trace'] });
  await waitFor('the node to serve its API', async () => {
    assertRunning(node);
    return nodeAddress(dataDir) && (await api(node.url, '/v1/status'));
  }, 60_000);
  const res = await fetch(`${node.url}/metrics`);
  firstScrape = { text: await res.text(), contentType: res.headers.get('content-type') };
}, 120_000);

afterAll(async () => {
  if (miner) clearInterval(miner);
  if (node) await stopNodeProcess(node);
  await bitcoin?.stop();
});

describe('/metrics of a running node', () => {
  it('parses, and carries every figure from the first scrape', () => {
    expect(firstScrape.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parseExposition(firstScrape.text);
    for (const name of [...REQUIRED_SERIES.counters, ...REQUIRED_SERIES.gauges, ...REQUIRED_SERIES.histograms, ...REQUIRED_SERIES.process]) expect(families.has(name), name).toBe(true);
    for (const name of ['pantheon_signer_refusals_total', 'pantheon_peer_score_drops_total', 'pantheon_gossip_rejected_total', 'pantheon_http_client_disconnects_total', 'pantheon_anchor_rbf_bumps_total']) expect(valueOf(families, name), name).toBe(0);
    expect(valueOf(families, 'pantheon_anchor_enabled')).toBe(1);
    expect(valueOf(families, 'process_resident_memory_bytes')).toBeGreaterThan(1e6);
  });

  it('serves every name the Grafana dashboard reads', () => {
    const families = parseExposition(firstScrape.text);
    const dashboard = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'devnet', 'grafana', 'pantheon-devnet.json'), 'utf8'));
    const names = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) => (p.targets ?? []).flatMap((t) => metricNamesIn(t.expr)));
    expect(names.length).toBeGreaterThan(20);
    expect(names.filter((n: string) => !familyOf(families, n))).toEqual([]);
  });

  it('fills the latency histograms and the anchoring figures once a commitment is final and anchored', async () => {
    const anchorAddress = JSON.parse(readFileSync(join(dataDir, 'node.json'), 'utf8')).anchorAddress;
    await bitcoin.rpc.generateToAddress(510, anchorAddress); // mature coinbases, and segwit active on bcoin
    miner = setInterval(() => void bitcoin.rpc.generateToAddress(1, anchorAddress).catch(() => undefined), 500);
    const r = pantheon(['submit', '--name', 'observe-agent', '--root', 'ab'.repeat(32), '--size', '3', '--key', treasuryKeyPath, '--node', node.url, '--wait', 'final', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const finalHeight = Number(JSON.parse(r.stdout).height);
    const families = await waitFor('the anchor of the commitment to be attested', async () => {
      const f = await scrape();
      return valueOf(f, 'pantheon_anchor_attested_height') >= finalHeight ? f : undefined;
    }, 180_000, 500);
    expect(countOf(families, 'pantheon_submit_to_final_seconds')).toBeGreaterThanOrEqual(1);
    expect(countOf(families, 'pantheon_block_interval_seconds')).toBeGreaterThanOrEqual(1);
    expect(countOf(families, 'pantheon_block_commit_seconds')).toBeGreaterThanOrEqual(1);
    expect(valueOf(families, 'pantheon_transactions_admitted_total')).toBeGreaterThanOrEqual(2); // the commitment and the attestation
    expect(valueOf(families, 'pantheon_transactions_committed_total')).toBeGreaterThanOrEqual(1);
    expect(valueOf(families, 'pantheon_chain_height')).toBeGreaterThanOrEqual(finalHeight);
    expect(valueOf(families, 'pantheon_commitment_log_leaves')).toBe(1);
    expect(valueOf(families, 'pantheon_anchor_height')).toBeGreaterThanOrEqual(finalHeight);
    // Of the newest anchor in a block, which may be a later one than the attested anchor.
    expect(valueOf(families, 'pantheon_anchor_confirmations')).toBeGreaterThanOrEqual(1);
    expect(valueOf(families, 'pantheon_anchor_fee_satoshis')).toBeGreaterThan(0);
    expect(valueOf(families, 'pantheon_anchor_vbytes')).toBeGreaterThan(100); // one P2WPKH input, OP_RETURN, change
    expect(valueOf(families, 'pantheon_anchor_wallet_balance_satoshis')).toBeGreaterThan(0);
    expect(valueOf(families, 'pantheon_anchor_transactions_sent_total')).toBeGreaterThanOrEqual(1);
  }, 240_000);

  it('logs a client that hangs up mid-request at debug, without a stack, and counts it', async () => {
    const before = valueOf(await scrape(), 'pantheon_http_client_disconnects_total');
    const { port } = new URL(node.url);
    await new Promise<void>((done, fail) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /v1/tx HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"tx":"00');
        setTimeout(() => {
          socket.destroy();
          done();
        }, 200);
      });
      socket.on('error', fail);
    });
    await waitFor('the disconnect to be counted', async () => valueOf(await scrape(), 'pantheon_http_client_disconnects_total') > before, 10_000);
    const lines = logLines();
    const disconnect = lines.filter((l) => l.msg === 'http client disconnected before the answer');
    expect(disconnect.length).toBeGreaterThanOrEqual(1);
    expect(disconnect.every((l) => l.level === 'debug' && l.url === '/v1/tx')).toBe(true);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(readFileSync(logPath, 'utf8')).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});

describe('the log of a running node', () => {
  it('has empty blocks at debug and blocks with transactions at info', () => {
    const committed = logLines().filter((l) => l.msg === 'committed' || l.msg === 'proposed');
    const empty = committed.filter((l) => l.txs === 0);
    const full = committed.filter((l) => (l.txs as number) > 0);
    // Block 1 at least (proposed and committed): blocks come only when there is something to
    // finalise, so an idle chain makes a heartbeat block every two minutes, no more.
    expect(empty.length).toBeGreaterThanOrEqual(2);
    expect(full.length).toBeGreaterThanOrEqual(2);
    expect(empty.every((l) => l.level === 'debug')).toBe(true);
    expect(full.every((l) => l.level === 'info')).toBe(true);
  });

  it('refuses an unknown --log-level with a clear message', () => {
    const r = pantheon(['node', '--data', join(dir, 'other'), '--genesis', genesisPath, '--log-level', 'loud']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--log-level must be one of trace, debug, info, warn, error, silent, got "loud"');
  });

  it('holds no key material, even at trace level', async () => {
    await stopNodeProcess(node);
    const text = readFileSync(logPath, 'utf8');
    expect(logLines().some((l) => l.level === 'trace' || l.level === 'debug')).toBe(true);
    const peerKey = privateKeyFromProtobuf(readFileSync(join(dataDir, PEER_KEY_FILE)));
    const anchorKeyHex: string = JSON.parse(readFileSync(join(dataDir, 'anchor', 'anchor-key.json'), 'utf8')).privateKeyHex;
    const secrets: Secret[] = [
      ...keyFileSecrets(join(dir, 'validator-0.key')),
      ...keyFileSecrets(treasuryKeyPath),
      { what: 'libp2p private key', bytes: peerKey.raw },
      { what: 'anchor wallet private key', bytes: Buffer.from(anchorKeyHex, 'hex') },
      { what: 'Bitcoin RPC password', text: bitcoin.rpcPassword },
    ];
    expect(findSecrets(text, secrets)).toEqual([]);
  });
});
