// The metrics registry, the Grafana dashboard and the logger, in process and fast: every
// figure issue 27 asks for is exported from the first scrape with HELP, the dashboard reads
// only names the node exports, and the logger filters levels and never writes secrets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NodeMetrics, type MetricSources } from '../node/metrics.ts';
import { createLogger, isLogThreshold, type LogLevel } from '../node/log.ts';
import { PassWatch } from '../node/pass-watch.ts';
import { countOf, familyOf, metricNamesIn, parseExposition, valueOf } from './helpers/prometheus.ts';
import { findSecrets } from './helpers/secret-scan.ts';
import { REQUIRED_SERIES } from './helpers/required-metrics.ts';

const DASHBOARD = join(import.meta.dirname, '..', 'devnet', 'grafana', 'pantheon-devnet.json');

function sources(over: Partial<MetricSources> = {}): MetricSources {
  return {
    chainHeight: () => 42,
    consensusHeight: () => 43,
    consensusRound: () => 1,
    peers: () => 3,
    gossipDuplicatesReceived: () => 7,
    mempoolTransactions: () => 5,
    mempoolBytes: () => 5000,
    commitmentLogLeaves: () => 17,
    syncBestPeerHeight: () => 42,
    attestedHeight: async () => 30,
    anchor: () => ({ anchoredHeight: 40, confirmations: 3, feeSat: 1410, vbytes: 141, walletBalanceSat: 5_000_000_000, unconfirmed: 1, anchorsSent: 4, rbfBumps: 2 }),
    ...over,
  };
}

describe('metrics registry', () => {
  it('exports every required series with HELP from the first scrape, counters at zero', async () => {
    const families = parseExposition((await new NodeMetrics().render()).text);
    for (const name of REQUIRED_SERIES.counters) {
      expect(families.get(name)?.type, name).toBe('COUNTER');
      expect(valueOf(families, name), name).toBe(0);
    }
    for (const name of REQUIRED_SERIES.gauges) expect(families.get(name)?.type, name).toBe('GAUGE');
    for (const name of REQUIRED_SERIES.histograms) {
      expect(families.get(name)?.type, name).toBe('HISTOGRAM');
      expect(countOf(families, name), name).toBe(0);
    }
    for (const name of REQUIRED_SERIES.process) expect(families.has(name), name).toBe(true);
    for (const f of families.values()) expect(f.help.length, f.name).toBeGreaterThan(10);
  });

  it('follows Prometheus naming: pantheon_ prefix, _total only on counters, base units last', async () => {
    const families = parseExposition((await new NodeMetrics().render()).text);
    const ours = [...families.values()].filter((f) => f.name.startsWith('pantheon_'));
    expect(ours.length).toBe(REQUIRED_SERIES.counters.length + REQUIRED_SERIES.gauges.length + REQUIRED_SERIES.histograms.length);
    for (const f of ours) {
      expect(f.name.endsWith('_total'), f.name).toBe(f.type === 'COUNTER');
      expect(f.name, 'no non-base units').not.toMatch(/_(ms|milliseconds|sats|sat|kb|mb)(_total)?$/);
      if (f.type === 'HISTOGRAM') expect(f.name).toMatch(/_seconds$/);
    }
  });

  it('reads the gauges from the node at scrape time and copies the anchorer figures', async () => {
    const m = new NodeMetrics();
    m.observe(sources());
    const families = parseExposition((await m.render()).text);
    expect(valueOf(families, 'pantheon_chain_height')).toBe(42);
    expect(valueOf(families, 'pantheon_peers')).toBe(3);
    expect(valueOf(families, 'pantheon_gossip_duplicates_received_total')).toBe(7);
    expect(valueOf(families, 'pantheon_mempool_bytes')).toBe(5000);
    expect(valueOf(families, 'pantheon_anchor_attested_height')).toBe(30);
    expect(valueOf(families, 'pantheon_anchor_enabled')).toBe(1);
    expect(valueOf(families, 'pantheon_anchor_height')).toBe(40);
    expect(valueOf(families, 'pantheon_anchor_fee_satoshis')).toBe(1410);
    expect(valueOf(families, 'pantheon_anchor_vbytes')).toBe(141);
    expect(valueOf(families, 'pantheon_anchor_rbf_bumps_total')).toBe(2);
    expect(valueOf(families, 'pantheon_anchor_transactions_sent_total')).toBe(4);
    // A second scrape does not add the anchorer's counts again.
    expect(valueOf(parseExposition((await m.render()).text), 'pantheon_anchor_rbf_bumps_total')).toBe(2);
    // Without an anchorer the anchor figures are 0, and a failing store read does not break the scrape.
    m.observe(sources({ anchor: () => undefined, attestedHeight: () => Promise.reject(new Error('closed')) }));
    const without = parseExposition((await m.render()).text);
    expect(valueOf(without, 'pantheon_anchor_enabled')).toBe(0);
    expect(valueOf(without, 'pantheon_anchor_fee_satoshis')).toBe(0);
    expect(valueOf(without, 'pantheon_anchor_attested_height')).toBe(0);
  });

  it('measures submit-to-final from submission, and block intervals from header times', async () => {
    const m = new NodeMetrics();
    m.markSubmitted('a', 1_000);
    m.markSubmitted('b', 1_500);
    m.markCommitted(['a', 'c'], 10_000, 9_000, 3_000);
    const families = parseExposition((await m.render()).text);
    const latency = families.get('pantheon_submit_to_final_seconds')!.metrics[0];
    expect(latency.count).toBe('1'); // only 'a': 'c' was not submitted here, 'b' is not final
    expect(Number(latency.sum)).toBe(2);
    expect(Number(families.get('pantheon_block_interval_seconds')!.metrics[0].sum)).toBe(1);
    expect(valueOf(families, 'pantheon_transactions_committed_total')).toBe(2);
    expect(valueOf(families, 'pantheon_blocks_committed_total')).toBe(1);
    m.markCommitted(['a'], 11_000, undefined, 4_000); // 'a' again: counted once; no previous time: no interval
    const again = parseExposition((await m.render()).text);
    expect(again.get('pantheon_submit_to_final_seconds')!.metrics[0].count).toBe('1');
    expect(again.get('pantheon_block_interval_seconds')!.metrics[0].count).toBe('1');
  });

  it('counts signer refusals and peer score drops through one call each', async () => {
    const m = new NodeMetrics();
    m.countSignerRefusal();
    m.countPeerScoreDrop();
    m.countPeerScoreDrop();
    const families = parseExposition((await m.render()).text);
    expect(valueOf(families, 'pantheon_signer_refusals_total')).toBe(1);
    expect(valueOf(families, 'pantheon_peer_score_drops_total')).toBe(2);
  });

  it('the exposition check refuses a series without HELP', () => {
    expect(() => parseExposition('# TYPE x_total counter\nx_total 1\n')).toThrow(/no # HELP/);
    expect(() => parseExposition('# HELP x_total x things\n# TYPE x_total counter\nx_total 1\n# HELP x_total again\n')).toThrow(/second # HELP/);
  });
});

describe('Grafana dashboard (devnet/grafana/pantheon-devnet.json)', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
  const panels: { id: number; type: string; title: string; targets?: { expr: string }[] }[] = dashboard.panels;
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));

  it('is a dashboard Grafana can import: panels with Prometheus queries and a data source variable', () => {
    expect(dashboard.uid).toBe('pantheon-devnet');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list.some((v: { type: string; query: string }) => v.type === 'datasource' && v.query === 'prometheus')).toBe(true);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels.filter((p) => p.type !== 'row')) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) expect(metricNamesIn(t.expr).length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
    }
  });

  it('reads only metric names the node exports', async () => {
    const families = parseExposition((await new NodeMetrics().render()).text);
    const unknown = exprs.flatMap(({ title, expr }) => metricNamesIn(expr).filter((n) => !familyOf(families, n)).map((n) => `${title}: ${n}`));
    expect(unknown).toEqual([]);
    // Histogram panels read the _bucket series, never the bare family name.
    for (const { expr } of exprs) for (const n of metricNamesIn(expr)) if (families.get(n)?.type === 'HISTOGRAM') throw new Error(`${expr} reads histogram ${n} without _bucket/_sum/_count`);
  });

  it('shows height, finality latency, mempool, peers and anchoring', () => {
    const all = exprs.map((e) => e.expr).join('\n');
    for (const name of ['pantheon_chain_height', 'pantheon_submit_to_final_seconds_bucket', 'pantheon_mempool_transactions', 'pantheon_peers', 'pantheon_anchor_height', 'pantheon_anchor_confirmations', 'pantheon_anchor_fee_satoshis', 'pantheon_anchor_wallet_balance_satoshis', 'pantheon_anchor_rbf_bumps_total'])
      expect(all, name).toContain(name);
  });
});

describe('logger', () => {
  function capture(level: Parameters<typeof createLogger>[1] = {}) {
    const lines: string[] = [];
    const log = createLogger('node', { pretty: false, write: (l) => lines.push(l), ...level });
    return { log, lines, json: () => lines.map((l) => JSON.parse(l)) };
  }

  it('writes one JSON object per line with time, level, component, message and fields', () => {
    const { log, json } = capture();
    log('info', 'committed', { height: 7n, txs: 2 });
    log('warn', 'anchor poll failed', { component: 'anchor', error: 'x' });
    const [a, b] = json();
    expect(a).toMatchObject({ level: 'info', component: 'node', msg: 'committed', height: '7', txs: 2 });
    expect(new Date(a.time).toISOString()).toBe(a.time);
    expect(b).toMatchObject({ level: 'warn', component: 'anchor', msg: 'anchor poll failed' });
  });

  it('filters by level: info by default, debug and trace on request, silent writes nothing', () => {
    const info = capture();
    info.log('debug', 'voted');
    info.log('info', 'started');
    expect(info.json().map((o) => o.msg)).toEqual(['started']);
    const debug = capture({ level: 'debug' });
    debug.log('trace', 'detail');
    debug.log('debug', 'voted');
    expect(debug.json().map((o) => o.msg)).toEqual(['voted']);
    const silent = capture({ level: 'silent' });
    silent.log('error', 'bad');
    expect(silent.lines).toEqual([]);
    expect(isLogThreshold('warn')).toBe(true);
    expect(isLogThreshold('verbose')).toBe(false);
  });

  it('never writes secret fields or raw bytes', () => {
    const { log, lines } = capture({ level: 'trace' });
    const secret = new Uint8Array(32).fill(0xab);
    const hex = Buffer.from(secret).toString('hex');
    log('info', 'key loaded', { secretKey: hex, seed: hex, nested: { rpc: { password: 'hunter2hunter2' }, privateKeyHex: hex }, publicBytes: secret, list: [{ apiKey: 'k3y-k3y-k3y' }] });
    const text = lines.join('\n');
    expect(findSecrets(text, [{ what: 'seed', bytes: secret }, { what: 'password', text: 'hunter2hunter2' }, { what: 'api key', text: 'k3y-k3y-k3y' }])).toEqual([]);
    expect(JSON.parse(lines[0])).toMatchObject({ secretKey: '[redacted]', seed: '[redacted]', nested: { rpc: { password: '[redacted]' }, privateKeyHex: '[redacted]' }, publicBytes: '<32 bytes>' });
    // The scan itself finds a planted secret in any of its forms.
    expect(findSecrets(`x ${hex} y`, [{ what: 'seed', bytes: secret }]).length).toBeGreaterThan(0);
    expect(findSecrets(`x ${Buffer.from(secret).toString('base64')} y`, [{ what: 'seed', bytes: secret }]).length).toBeGreaterThan(0);
  });

  it('writes readable lines on a terminal', () => {
    const lines: string[] = [];
    const log = createLogger('node', { pretty: true, write: (l) => lines.push(l) });
    log('info', 'committed', { height: 7n });
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}\[node\] committed height=7$/);
  });
});

describe('anchor pass failures (node/pass-watch.ts)', () => {
  it('logs a shared pass once, an outage once at warn with repeats at debug, and its end at info', async () => {
    const lines: [LogLevel, string][] = [];
    const watch = new PassWatch((level, msg) => lines.push([level, msg]), 'anchor pass');
    const settle = () => new Promise((r) => setTimeout(r, 0));
    const down = Promise.reject(new Error('bitcoin rpc getblockcount: connect ECONNREFUSED'));
    for (let i = 0; i < 30; i++) watch.watch(down); // thirty polls waiting on one pass
    await settle();
    expect(lines).toEqual([['warn', 'anchor pass failed']]);
    for (let i = 0; i < 5; i++) {
      watch.watch(Promise.reject(new Error('bitcoin rpc getblockcount: connect ECONNREFUSED')));
      await settle();
    }
    expect(lines.slice(1).every(([level]) => level === 'debug')).toBe(true);
    watch.watch(Promise.reject(new Error('another error')));
    await settle();
    expect(lines.at(-1)).toEqual(['warn', 'anchor pass failed']);
    watch.watch(Promise.resolve());
    await settle();
    expect(lines.at(-1)).toEqual(['info', 'anchor pass succeeds again']);
    watch.watch(Promise.resolve());
    await settle();
    expect(lines.length).toBe(8); // warn, 5 debug, warn, info: a success after a success logs nothing
  });
});
