// Parts "throughput", "latency" and "profile": a four-validator network of real `pantheon
// node` processes on this machine (devnet/processes.ts, genesis from `pantheon genesis init`).
//   throughput: 64 sender keys funded by one block of transfers from treasury.key, then a
//     burst of pre-signed commitments POSTed to all four nodes' /v1/tx; commitments final per
//     second from /v1/status commitmentLogSize (steady state: 10 % to 90 % of the burst).
//   latency: open-loop submission at half that rate; each transaction's submit-to-final time
//     from /v1/tx/<id> (checked whenever node 0's height moves, every 100 ms).
//   profile: validator 1 runs under node --cpu-prof; self time per function during the burst.
// Checks: every transaction is accepted, every one becomes final, all four nodes end with the
// same commitment log size and the same block hash.
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { freePort } from '../anchor/node/regtest-node.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '../protocol/bytes.ts';
import { sha256 } from '../protocol/hash.ts';
import { addressBytes, addressOf, keyPairFromSeed } from '../protocol/keys.ts';
import { encodeTx, signTx, txId, decodeTx } from '../protocol/tx.ts';
import { readKeyFile } from '../node/keyfile.ts';
import { assertRunning, nodeAddress, REPO_ROOT, startNodeProcess, stopNodeProcess, waitFor, type NodeProcess, type NodeSpec } from '../devnet/processes.ts';
import { signCommitments, type SignJobTx } from './signer.ts';
import { summariseProfile, type ProfileSummary } from './profile.ts';
import { percentile, sleep } from './stats.ts';
import { machineCpu, procUsage, usagePerTx, type ProcUsage } from './proc-usage.ts';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

const SENDERS = 64;
const CHAIN = 'pantheon-bench-net';

export interface NetworkOptions {
  /** 4 for the figures the issue asks for; other counts help find where time goes. */
  validators: number;
  burst: number;
  latencySeconds: number;
  latency: boolean;
  profile: boolean;
  resultsDir: string;
  stamp: string;
  log: (line: string) => void;
}

export interface NetworkFigures {
  validatorsOnMachine: number;
  burstCommitments: number;
  submitSeconds: number;
  /** POSTs in flight during the burst, and how long each took to be answered (202). */
  submitConcurrency: number;
  postMsP50: number;
  postMsP99: number;
  commitmentsFinalPerSec: number;
  commitmentsFinalPerSecOverall: number;
  blocksDuringBurst: number;
  /**
   * Per validator, per committed transaction of the burst (from /proc, Linux only): CPU ms,
   * bytes written and read through syscalls (sockets, log pipes, files), bytes written to storage.
   */
  perTxPerNode?: (ProcUsage & { node: string })[];
  /** CPU ms per committed transaction of this process (submitting and polling) and of the whole machine, and how busy the machine's cores were, during the burst. */
  benchCpuMsPerTx?: number;
  machineCpuMsPerTx?: number;
  machineBusyPercent?: number;
  /** Gossip messages each validator received again after the first copy, per committed transaction (a tx message carries a list); undefined: the node has no such metric. */
  gossipDuplicatesPerTx?: (number | undefined)[];
  /** From the validators' logs, the whole run: compact-block fetches and blocks decided after round 0. */
  logCounts?: { node: string; proposalsFetched: number; txsFetched: number; proposalsDroppedMissing: number; blocksCommitted: number; blocksAfterRound0: number }[];
  latencyRatePerSec?: number;
  latencyCount?: number;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
  latencyMaxMs?: number;
  profile?: ProfileSummary;
}

async function get(url: string): Promise<any> {
  const res = await fetch(url);
  const body = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${body?.error}`);
  return body;
}

/** The request body of POST /v1/tx, made before the clock starts. */
const postBody = (tx: Uint8Array) => Buffer.from(JSON.stringify({ tx: Buffer.from(tx).toString('hex') }));

/** Connections kept open across POSTs: the load generator should cost the machine little. */
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** POST /v1/tx of a body made by postBody, over node:http (fetch cost this process about 1 CPU ms per transaction). */
function post(url: string, body: Buffer): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/tx`, { method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A node's `pantheon_gossip_duplicates_received_total`, or undefined when it does not export one (an older commit). */
async function gossipDuplicates(url: string): Promise<number | undefined> {
  const families = parsePrometheusTextFormat(await (await fetch(`${url}/metrics`)).text());
  const value = families.find((f) => f.name === 'pantheon_gossip_duplicates_received_total')?.metrics[0]?.value;
  return value === undefined ? undefined : Number(value);
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

export async function runNetwork(o: NetworkOptions): Promise<NetworkFigures> {
  const VALIDATORS = o.validators;
  const dir = mkdtempSync(join(tmpdir(), 'pantheon-bench-net-'));
  const nodes: NodeProcess[] = [];
  const profileDir = join(o.resultsDir, `profile-${o.stamp}`);
  try {
    const init = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'pantheon.js'), 'genesis', 'init', '--validators', String(VALIDATORS), '--out', dir, '--chain-id', CHAIN, '--json'], { encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`pantheon genesis init failed: ${init.stderr}`);
    const genesisPath = join(dir, 'genesis.json');
    for (let i = 0; i < VALIDATORS; i++) {
      const dataDir = join(dir, `validator-${i}`);
      mkdirSync(dataDir, { recursive: true });
      const peers = nodes.map((n) => nodeAddress(n.spec.dataDir)!).filter(Boolean);
      const spec = { name: `validator-${i}`, dataDir, genesisPath, keyPath: join(dir, `validator-${i}.key`), p2pPort: await freePort(), httpPort: await freePort(), peers, logPath: join(dir, `validator-${i}.log`) };
      // --cpu-prof is not allowed in NODE_OPTIONS on Node 20: the profiled validator is started here.
      const n = o.profile && i === Math.min(1, VALIDATORS - 1) ? startProfiledNode(spec, profileDir) : startNodeProcess(spec);
      nodes.push(n);
      await waitFor(`validator-${i} to start (log ${n.spec.logPath})`, async () => {
        assertRunning(n);
        return nodeAddress(dataDir) && (await get(`${n.url}/v1/status`));
      }, 60_000);
    }
    const urls = nodes.map((n) => n.url);
    await waitFor(`all validators to see ${VALIDATORS - 1} peers and height 1`, async () => {
      const s = await Promise.all(urls.map((u) => get(`${u}/v1/status`)));
      return s.every((x) => x.peers >= VALIDATORS - 1) && s.every((x) => BigInt(x.height) >= 1n);
    }, 60_000);
    o.log(`  ${VALIDATORS} validators up`);

    // Fund the senders: one block of transfers from the treasury, consecutive nonces.
    const treasury = readKeyFile(join(dir, 'treasury.key'));
    const senderSeeds = Array.from({ length: SENDERS }, (_, i) => sha256(new TextEncoder().encode(`bench sender ${i}`)));
    const senders = senderSeeds.map((s) => keyPairFromSeed(s));
    const tNonce = BigInt((await get(`${urls[0]}/v1/account/${addressOf(treasury.publicKey)}`)).nextNonce);
    const transfers = senders.map((s, i) => encodeTx(signTx({ chainId: CHAIN, senderPublicKey: treasury.publicKey, nonce: tNonce + BigInt(i), fee: 1000n, payload: { kind: 'transfer', to: addressBytes(s.publicKey), amount: 10n ** 12n } }, treasury.secretKey)));
    for (const t of transfers) {
      const r = await post(urls[0], postBody(t));
      if (r.status !== 202) throw new Error(`funding transfer refused: ${r.body.error}`);
    }
    const lastTransfer = bytesToHex(txId(decodeTx(transfers[transfers.length - 1])));
    await waitFor('the funding transfers to be final', async () => (await get(`${urls[0]}/v1/tx/${lastTransfer}`)).status === 'final', 120_000, 200);
    o.log(`  ${SENDERS} senders funded`);

    // The burst: pre-signed before the clock starts.
    const perSender = Math.min(64, Math.ceil(o.burst / SENDERS));
    const burstJobs: SignJobTx[] = [];
    for (let k = 0; k < perSender; k++) for (let s = 0; s < SENDERS; s++) burstJobs.push({ seedHex: bytesToHex(senderSeeds[s]), nonce: String(k), logId: `bench-${s}` });
    const burstTxs = await signCommitments(CHAIN, 1000n, burstJobs);
    o.log(`  signed a burst of ${burstTxs.length} commitments`);

    const base = (await get(`${urls[0]}/v1/status`)).commitmentLogSize as number;
    const baseHeight = BigInt((await get(`${urls[0]}/v1/status`)).height);
    const target = base + burstTxs.length;
    const samples: { t: number; size: number }[] = [];
    const burstBodies = burstTxs.map(postBody);
    const usageBefore = nodes.map((n) => procUsage(n.child.pid));
    const benchBefore = procUsage(process.pid);
    const machineBefore = machineCpu();
    const duplicatesBefore = await Promise.all(urls.map(gossipDuplicates));
    const t0 = performance.now();
    const profStartUs = nowUs();
    const rejected: string[] = [];
    let submitDoneMs = 0;
    const postMs: number[] = [];
    const submitting = pool(burstBodies, 8 * VALIDATORS, async (body, i) => {
      const sent = performance.now();
      const r = await post(urls[i % VALIDATORS], body);
      postMs.push(performance.now() - sent);
      if (r.status !== 202) rejected.push(`${r.status} ${r.body.error}`);
    }).then(() => void (submitDoneMs = performance.now() - t0));
    let size = base;
    const deadline = Date.now() + 15 * 60_000;
    while (size < target) {
      if (Date.now() > deadline) throw new Error(`throughput: only ${size - base} of ${burstTxs.length} commitments final after 15 min`);
      if (rejected.length) throw new Error(`throughput: ${rejected.length} transactions refused, e.g. ${rejected[0]}`);
      await sleep(200);
      size = (await get(`${urls[0]}/v1/status`)).commitmentLogSize;
      samples.push({ t: performance.now() - t0, size: size - base });
    }
    const profEndUs = nowUs();
    const usageAfter = nodes.map((n) => procUsage(n.child.pid));
    const benchAfter = procUsage(process.pid);
    const machineAfter = machineCpu();
    const duplicatesAfter = await Promise.all(urls.map(gossipDuplicates));
    await submitting;
    const doneMs = samples[samples.length - 1].t;
    const at = (frac: number) => samples.find((s) => s.size >= frac * burstTxs.length)!;
    const s10 = at(0.1);
    const s90 = at(0.9);
    const steady = s90.t > s10.t ? (s90.size - s10.size) / ((s90.t - s10.t) / 1000) : burstTxs.length / (doneMs / 1000);
    const endHeight = BigInt((await get(`${urls[0]}/v1/status`)).height);
    o.log(`  burst final: ${burstTxs.length} in ${(doneMs / 1000).toFixed(1)} s (submitted in ${(submitDoneMs / 1000).toFixed(1)} s, POST answered in p50 ${percentile(postMs, 50).toFixed(0)} ms, p99 ${percentile(postMs, 99).toFixed(0)} ms), steady ${steady.toFixed(1)}/s`);
    await checkAgreement(urls, target);
    for (const i of [0, Math.floor(burstTxs.length / 2), burstTxs.length - 1]) {
      const st = await get(`${urls[VALIDATORS - 1]}/v1/tx/${bytesToHex(txId(decodeTx(burstTxs[i])))}`);
      if (st.status !== 'final' || st.logIndex === null) throw new Error(`throughput: commitment ${i} is ${st.status} on validator-${VALIDATORS - 1}`);
    }
    const figures: NetworkFigures = {
      validatorsOnMachine: VALIDATORS,
      burstCommitments: burstTxs.length,
      submitSeconds: submitDoneMs / 1000,
      submitConcurrency: 8 * VALIDATORS,
      postMsP50: percentile(postMs, 50),
      postMsP99: percentile(postMs, 99),
      commitmentsFinalPerSec: steady,
      commitmentsFinalPerSecOverall: burstTxs.length / (doneMs / 1000),
      blocksDuringBurst: Number(endHeight - baseHeight),
    };
    const perTx = nodes.map((n, i) => usagePerTx(usageBefore[i], usageAfter[i], burstTxs.length));
    if (perTx.every((u) => u !== undefined)) {
      figures.perTxPerNode = perTx.map((u, i) => ({ node: nodes[i].spec.name, ...u! }));
      for (const u of figures.perTxPerNode) o.log(`  ${u.node} per committed tx: ${u.cpuMs.toFixed(2)} CPU ms, ${Math.round(u.writeCallBytes)} bytes written and ${Math.round(u.readCallBytes)} read by syscalls (sockets, logs, files), ${Math.round(u.storageWriteBytes)} to storage`);
    }
    // What else ran: this process (submitting the burst, polling), and the machine as a whole.
    const bench = usagePerTx(benchBefore, benchAfter, burstTxs.length);
    if (bench && machineBefore && machineAfter) {
      const busyMs = machineAfter.busyMs - machineBefore.busyMs;
      const idleMs = machineAfter.idleMs - machineBefore.idleMs;
      figures.benchCpuMsPerTx = bench.cpuMs;
      figures.machineCpuMsPerTx = busyMs / burstTxs.length;
      figures.machineBusyPercent = (100 * busyMs) / (busyMs + idleMs);
      o.log(`  this benchmark process (POSTs, polling) per committed tx: ${bench.cpuMs.toFixed(2)} CPU ms; the machine: ${figures.machineCpuMsPerTx.toFixed(2)} CPU ms per committed tx, busy ${figures.machineBusyPercent.toFixed(0)} % of its cores during the burst`);
    }
    figures.gossipDuplicatesPerTx = duplicatesAfter.map((after, i) => (after === undefined || duplicatesBefore[i] === undefined ? undefined : (after - duplicatesBefore[i]!) / burstTxs.length));
    o.log(`  gossip messages received again (copies after the first; a message carries a list of transactions), per committed tx, per validator: ${figures.gossipDuplicatesPerTx.map((d) => (d === undefined ? 'not exported' : d.toFixed(2))).join(' / ')}`);

    if (o.latency) {
      const rate = steady / 2;
      const count = Math.max(20, Math.round(rate * o.latencySeconds));
      const jobs: SignJobTx[] = [];
      for (let i = 0; i < count; i++) jobs.push({ seedHex: bytesToHex(senderSeeds[i % SENDERS]), nonce: String(perSender + Math.floor(i / SENDERS)), logId: `bench-${i % SENDERS}` });
      const txs = await signCommitments(CHAIN, 1000n, jobs);
      const ids = txs.map((t) => bytesToHex(txId(decodeTx(t))));
      const bodies = txs.map(postBody);
      o.log(`  latency: ${count} commitments at ${rate.toFixed(1)}/s (open loop)`);
      const submitted = new Map<number, number>(); // index -> submit time
      const latencies: number[] = [];
      const pending = new Set<number>();
      const errors: string[] = [];
      const start = performance.now();
      let sent = 0;
      let lastHeight = -1n;
      const inflight: Promise<void>[] = [];
      const finalDeadline = start + (count / rate) * 1000 + 120_000;
      while (latencies.length < count) {
        const now = performance.now();
        if (now > finalDeadline) throw new Error(`latency: ${count - latencies.length} of ${count} not final 120 s after the last submission`);
        if (errors.length) throw new Error(`latency: ${errors.length} refused, e.g. ${errors[0]}`);
        while (sent < count && start + (sent / rate) * 1000 <= now) {
          const i = sent++;
          submitted.set(i, performance.now());
          inflight.push(post(urls[i % VALIDATORS], bodies[i]).then((r) => {
            if (r.status === 202) pending.add(i);
            else errors.push(`${r.status} ${r.body.error}`);
          }));
        }
        const s = await get(`${urls[0]}/v1/status`);
        const seen = performance.now();
        if (BigInt(s.height) !== lastHeight) {
          lastHeight = BigInt(s.height);
          const check = [...pending];
          await pool(check, 16, async (i) => {
            const st = await get(`${urls[0]}/v1/tx/${ids[i]}`);
            if (st.status === 'final' || st.status === 'anchored') {
              if (pending.delete(i)) latencies.push(seen - submitted.get(i)!);
            }
          });
        }
        await sleep(Math.max(0, 100 - (performance.now() - now)));
      }
      await Promise.all(inflight);
      figures.latencyRatePerSec = rate;
      figures.latencyCount = latencies.length;
      figures.latencyP50Ms = percentile(latencies, 50);
      figures.latencyP99Ms = percentile(latencies, 99);
      figures.latencyMaxMs = Math.max(...latencies);
      await checkAgreement(urls, target + count);
    }

    await Promise.all(nodes.map((n) => stopNodeProcess(n)));
    figures.logCounts = nodes.map((n) => countLog(n.spec.name, n.spec.logPath));
    for (const c of figures.logCounts) o.log(`  ${c.node} log: ${c.blocksCommitted} blocks committed (${c.blocksAfterRound0} after round 0), ${c.proposalsFetched} proposals rebuilt with ${c.txsFetched} fetched transactions, ${c.proposalsDroppedMissing} dropped for missing ones`);
    if (o.profile) {
      const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profileDir, f));
      if (files.length === 0) o.log('  profile: validator-1 wrote no .cpuprofile (did it exit cleanly?)');
      else {
        const file = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
        figures.profile = summariseProfile(file, { startUs: profStartUs, endUs: profEndUs });
      }
    }
    return figures;
  } finally {
    keepAlive.destroy();
    await Promise.all(nodes.map((n) => stopNodeProcess(n, 'SIGKILL', 1000).catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What a validator's log says about compact blocks and rounds (docs/gossip.md). */
function countLog(node: string, logPath: string) {
  const c = { node, proposalsFetched: 0, txsFetched: 0, proposalsDroppedMissing: 0, blocksCommitted: 0, blocksAfterRound0: 0 };
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    let l;
    try {
      l = JSON.parse(line);
    } catch {
      continue;
    }
    if (l.msg === 'fetched the missing transactions of a proposal') {
      c.proposalsFetched++;
      c.txsFetched += l.fetched;
    } else if (l.msg === 'proposal dropped: transactions missing') c.proposalsDroppedMissing++;
    else if (l.msg === 'committed') {
      c.blocksCommitted++;
      if (l.round > 0) c.blocksAfterRound0++;
    }
  }
  return c;
}

/** All four nodes reach `size` commitments and agree on the hash of a common height. */
async function checkAgreement(urls: string[], size: number): Promise<void> {
  await waitFor(`all validators to hold ${size} commitments`, async () => (await Promise.all(urls.map((u) => get(`${u}/v1/status`)))).every((s) => s.commitmentLogSize >= size), 60_000, 200);
  const heights = (await Promise.all(urls.map((u) => get(`${u}/v1/status`)))).map((s) => BigInt(s.height));
  const h = heights.reduce((a, b) => (a < b ? a : b));
  const hashes = await Promise.all(urls.map((u) => get(`${u}/v1/block/${h}`).then((b) => b.hash)));
  if (new Set(hashes).size !== 1) throw new Error(`validators disagree on block ${h}: ${hashes.join(', ')}`);
}

/** A validator under `node --cpu-prof` (the profile is written at exit). */
function startProfiledNode(spec: NodeSpec, profileDir: string): NodeProcess {
  mkdirSync(profileDir, { recursive: true });
  return startNodeProcess({ ...spec, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] });
}
