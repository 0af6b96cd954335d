// The chaos suite (issue 24): four validators as real processes under steady load, and a
// seeded schedule of faults: kill -9 and restart, a damaged data directory on a stopped node
// (refused, then repaired by the operator's remedy: a new database, the sign record kept), a
// Sybil flood, and clients that never read. Every choice comes from one seed, printed first;
// PANTHEON_CHAOS_SEED=<n> replays a schedule. After each run the invariants of
// README.md, "Reliability", are checked:
//   - agreement: every node that has height h has the same block at h;
//   - every commitment acknowledged with 202 is final on every node, or unknown on every node
//     for a documented reason: it was acknowledged by a node whose database was then replaced
//     (the remedy for a damaged disk loses that node's unconfirmed mempool), or its nonce was
//     used by another transaction of its sender (docs/api.md, Lifecycle: a node that was still
//     syncing acknowledged a nonce the chain had already used; it was dropped as stale);
//   - supply: the accounts the run knows (genesis allocations, validators, senders) hold
//     exactly 5,000,000,000 PAN on every node;
//   - no conflicting signatures: no node detected an equivocation, no block carries evidence,
//     and no validator's signatures in the nodes' certificates disagree about a (height, round);
//   - memory: no node went above 1 GB resident.
// Short form (CI): one run of four faults. Long form: PANTHEON_CHAOS=long (npm run test:chaos),
// PANTHEON_CHAOS_RUNS runs (default 5) of 10 faults each. PANTHEON_CHAOS_DEBUG=1 starts the nodes
// with --log-level debug; a failing run keeps its directory (printed in the error).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../protocol/bytes.ts';
import { decodeBlock } from '../protocol/block.ts';
import { decodeCertificate } from '../protocol/certificate.ts';
import { addressOf, keyPairFromKeyFile, type KeyPair } from '../protocol/keys.ts';
import { encodeTx, signTx } from '../protocol/tx.ts';
import { api } from '../node/client.ts';
import { nodeAddress, REPO_ROOT, startNodeProcess, stopNodeProcess, waitFor, type NodeProcess, type NodeSpec } from '../devnet/processes.ts';
import { Prng } from './sim/prng.ts';
import { pantheon } from './helpers/cli.ts';
import { fund, residentBytes, senderKeys, slowReaders } from '../fixtures/load.ts';

const LONG = process.env.PANTHEON_CHAOS === 'long';
const RUNS = LONG ? Number(process.env.PANTHEON_CHAOS_RUNS ?? 5) : 1;
const FAULTS_PER_RUN = LONG ? 10 : 4;
const FIRST_SEED = Number(process.env.PANTHEON_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SUPPLY = 5_000_000_000n * 100_000_000n;
const RESIDENT_BYTES_MAX = 1024 ** 3;
const SENDERS = 4;
const N = 4;

type Fault = { kind: 'kill9'; node: number; downMs: number } | { kind: 'disk'; node: number; damage: 'flip-log' | 'no-current' } | { kind: 'sybil'; node: number; identities: number; messages: number; forMs: number } | { kind: 'slow-readers'; node: number; readers: number; forMs: number };

/** The whole schedule of a run, drawn from its seed before anything starts. */
function schedule(seed: number): Fault[] {
  const prng = new Prng(seed);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(prng.float() * xs.length)];
  const between = (lo: number, hi: number) => lo + Math.floor(prng.float() * (hi - lo + 1));
  const kinds = ['kill9', 'disk', 'sybil', 'slow-readers'] as const;
  // The short form has each fault once, in a seeded order; the long form draws them freely.
  const order = LONG ? Array.from({ length: FAULTS_PER_RUN }, () => pick(kinds)) : [...kinds].sort(() => prng.float() - 0.5);
  return order.map((kind) => {
    const node = between(0, N - 1);
    switch (kind) {
      case 'kill9':
        return { kind, node, downMs: between(500, 4000) };
      case 'disk':
        return { kind, node, damage: pick(['flip-log', 'no-current'] as const) };
      case 'sybil':
        return { kind, node, identities: between(5, 20), messages: between(500, 2000), forMs: between(3000, 6000) };
      case 'slow-readers':
        return { kind, node, readers: between(20, 100), forMs: between(3000, 6000) };
    }
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Figures {
  faults: number;
  commitmentsChecked: number;
  heightsChecked: number;
  residentMaxBytes: number;
}

async function runOnce(seed: number): Promise<Figures> {
  const faults = schedule(seed);
  const dir = mkdtempSync(join(tmpdir(), `pantheon-chaos-${seed}-`));
  console.log(`[chaos] seed ${seed} (logs in ${dir}): ${faults.map((f) => JSON.stringify(f)).join(' ')}`);
  const port = 38_000 + Math.floor(Math.random() * 1500) * 2;
  const init = pantheon(['genesis', 'init', '--validators', String(N), '--heartbeat-seconds', '1', '--out', dir, '--json']);
  expect(init.code, init.stderr).toBe(0);
  const out = JSON.parse(init.stdout);
  const genesisJson = JSON.parse(readFileSync(out.genesis, 'utf8'));
  const chainId: string = genesisJson.chainId;
  const nodes: NodeProcess[] = [];
  const up = new Set<number>();
  let logSeq = 0;
  const spec = (i: number): NodeSpec => {
    const dataDir = join(dir, `node-${i}`);
    mkdirSync(dataDir, { recursive: true });
    const peers = [...Array(N).keys()].filter((j) => j !== i).map((j) => nodeAddress(join(dir, `node-${j}`))).filter((a): a is string => a !== undefined);
    return { name: `node-${i}`, dataDir, genesisPath: out.genesis, keyPath: out.validatorKeys[i], p2pPort: port + i, httpPort: port + 100 + i, peers, logPath: join(dir, `node-${i}.${logSeq++}.log`), extraArgs: process.env.PANTHEON_CHAOS_DEBUG ? ['--log-level', 'debug'] : [] };
  };
  const start = async (i: number) => {
    nodes[i] = startNodeProcess(spec(i));
    await waitFor(`node ${i} to serve its API`, () => nodeAddress(nodes[i].spec.dataDir) && api(nodes[i].url, '/v1/status'), 90_000);
    up.add(i);
  };
  cleanups.push(() => Promise.all(nodes.filter(Boolean).map((n) => stopNodeProcess(n, 'SIGKILL'))).then(() => undefined));
  for (let i = 0; i < N; i++) await start(i);

  // Memory of every node, sampled through the run.
  let residentMax = 0;
  const sampler = setInterval(() => {
    for (const i of up) {
      try {
        residentMax = Math.max(residentMax, residentBytes(nodes[i].child.pid!));
      } catch {
        // exited between the check and the read
      }
    }
  }, 500);

  // Steady load: each sender submits commitments to its own node, one at a time.
  const treasury = keyPairFromKeyFile(JSON.parse(readFileSync(out.treasuryKey, 'utf8')));
  const senders = senderKeys(SENDERS, seed & 0xff);
  await fund(nodes[0].url, chainId, treasury, senders, 10n ** 12n);
  const acked: { id: string; node: number; generation: number; sender: string; nonce: bigint }[] = [];
  const generation = new Array<number>(N).fill(0); // bumped when a node's database is replaced
  let loading = true;
  const load = Promise.all(
    senders.map(async (key: KeyPair, s) => {
      const i = s % N;
      let k = 0;
      while (loading) {
        await new Promise((r) => setTimeout(r, 150));
        if (!up.has(i)) continue;
        try {
          const nonce = BigInt((await api(nodes[i].url, `/v1/account/${addressOf(key.publicKey)}`)).nextNonce);
          const tx = signTx({ chainId, senderPublicKey: key.publicKey, nonce, fee: 1000n, payload: { kind: 'commitment', logId: `${addressOf(key.publicKey)}/chaos-${k++}`, treeSize: 1n, root: new Uint8Array(32).fill(k & 0xff), previousSize: 0n, consistencyProof: [] } }, key.secretKey);
          const gen = generation[i];
          const r = await api(nodes[i].url, '/v1/tx', { tx: bytesToHex(encodeTx(tx)) });
          acked.push({ id: r.txId, node: i, generation: gen, sender: addressOf(key.publicKey), nonce });
        } catch {
          // the node is going down, or refused (a nonce taken meanwhile): not acknowledged
        }
      }
    }),
  );

  const tipOf = async (i: number) => BigInt((await api(nodes[i].url, '/v1/status')).height);
  const progress = async (what: string) => {
    const live = [...up];
    const from = await tipOf(live[0]);
    await waitFor(`the chain to move on after ${what}`, async () => ((await tipOf(live[0])) >= from + 2n ? true : undefined), 90_000, 250);
  };

  for (const f of faults) {
    console.log(`[chaos] seed ${seed}: ${f.kind} on node ${f.node}`);
    const victim = nodes[f.node];
    if (f.kind === 'kill9') {
      up.delete(f.node);
      victim.child.kill('SIGKILL');
      await victim.exited;
      await progress('kill -9');
      await new Promise((r) => setTimeout(r, f.downMs));
      await start(f.node);
    } else if (f.kind === 'disk') {
      // Stop it after a pause in its load (what it acknowledged has been gossiped), damage the
      // stopped copy, expect a refusal that names the damage, then apply the remedy.
      up.delete(f.node);
      await new Promise((r) => setTimeout(r, 1500));
      victim.child.kill('SIGKILL');
      await victim.exited;
      const db = join(victim.spec.dataDir, 'db');
      const logs = readdirSync(db).filter((n) => n.endsWith('.log')).map((n) => join(db, n));
      const log = logs.find((p) => statSync(p).size > 4096);
      if (f.damage === 'flip-log' && log) {
        const bytes = readFileSync(log);
        const middle = Math.floor(bytes.length / 2);
        for (let b = 0; b < 16; b++) bytes[middle + b] ^= 0xff;
        writeFileSync(log, bytes);
      } else {
        rmSync(join(db, 'CURRENT'));
      }
      const refused = startNodeProcess(spec(f.node));
      const code = await Promise.race([refused.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 90_000))]);
      const text = readFileSync(refused.spec.logPath, 'utf8');
      expect(code, text).toBe(1);
      expect(text).toMatch(/damaged|has no CURRENT file/);
      expect(existsSync(join(victim.spec.dataDir, 'node.json'))).toBe(false);
      // The remedy (docs/storage.md, "Damage"): a new database; the sign record and the peer key stay.
      rmSync(db, { recursive: true });
      generation[f.node]++;
      await start(f.node);
    } else if (f.kind === 'sybil') {
      const attacker = new JsonHelper(join(REPO_ROOT, 'test', 'helpers', 'sybil-attacker.ts'), { dataDir: join(dir, `sybil-${f.node}-${logSeq}`), chainId, count: f.identities, bootstrap: [nodeAddress(victim.spec.dataDir)!] }, join(dir, `sybil-${logSeq}.log`));
      cleanups.push(() => attacker.stop());
      try {
        await attacker.ready(120_000);
        await attacker.command({ cmd: 'flood', messages: f.messages, minFee: '1000' }, 120_000);
        await new Promise((r) => setTimeout(r, f.forMs));
        await progress('a Sybil flood');
      } finally {
        attacker.stop();
      }
    } else {
      const tip = await tipOf(f.node);
      const readers = await slowReaders(victim.spec.httpPort, `/v1/block/${tip}`, f.readers);
      try {
        const t0 = Date.now();
        await new Promise((r) => setTimeout(r, f.forMs));
        // Liveness under the readers: the node still answers, and the chain still moves.
        await waitFor('the node to answer /v1/status under slow readers', () => api(victim.url, '/v1/status'), 10_000);
        await progress('slow readers');
        console.log(`[chaos] seed ${seed}: node ${f.node} answered under ${f.readers} slow readers after ${Date.now() - t0} ms`);
      } finally {
        readers.destroy();
      }
    }
  }
  loading = false;
  await load;

  // Settle: every mempool empty (all committed, or dropped by a documented rule), then every
  // node at the highest tip.
  await waitFor('every mempool to empty', async () => {
    for (let i = 0; i < N; i++) if ((await api(nodes[i].url, '/v1/status')).mempool.transactions !== 0) return undefined;
    return true;
  }, 120_000, 500);
  const target = (await Promise.all([...Array(N).keys()].map(tipOf))).reduce((a, b) => (a > b ? a : b));
  for (let i = 0; i < N; i++) await waitFor(`node ${i} to reach height ${target}`, async () => ((await tipOf(i)) >= target ? true : undefined), 120_000, 250);
  clearInterval(sampler);

  // ---- invariants ----
  const violations: string[] = [];
  // Agreement on every height, and signatures that never disagree.
  const signed = new Map<string, string>();
  for (let h = 1n; h <= target; h++) {
    const blocks = await Promise.all([...Array(N).keys()].map((i) => api(nodes[i].url, `/v1/block/${h}`)));
    for (const [i, b] of blocks.entries()) {
      if (b.hash !== blocks[0].hash) violations.push(`height ${h}: node ${i} has block ${b.hash}, node 0 has ${blocks[0].hash}`);
      if (decodeBlock(hexToBytes(b.block, 'block')).evidence.length > 0) violations.push(`height ${h}: node ${i}'s block carries equivocation evidence`);
      if (b.certificate === null) continue;
      const cert = decodeCertificate(hexToBytes(b.certificate, 'certificate'));
      for (const s of cert.signatures) {
        const key = `${s.validatorIndex}/${cert.height}/${cert.round}`;
        const hash = bytesToHex(cert.blockHash);
        if ((signed.get(key) ?? hash) !== hash) violations.push(`validator ${s.validatorIndex} signed two blocks at height ${cert.height} round ${cert.round}`);
        signed.set(key, hash);
      }
    }
  }
  const allLogs = readdirSync(dir).filter((n) => /^node-\d+\.\d+\.log$/.test(n)).map((n) => readFileSync(join(dir, n), 'utf8')).join('\n');
  if (allLogs.includes('equivocation detected')) violations.push('a node detected an equivocation');
  // Every acknowledged commitment final everywhere, or lost only with its node's replaced database.
  let lostWithDatabase = 0;
  let superseded = 0;
  for (const a of acked) {
    const statuses = await Promise.all([...Array(N).keys()].map(async (i) => (await api(nodes[i].url, `/v1/tx/${a.id}`)).status as string));
    if (statuses.every((s) => s === 'final')) continue;
    if (statuses.every((s) => s === 'unknown') && a.generation < generation[a.node]) {
      lostWithDatabase++;
      continue;
    }
    // docs/api.md, Lifecycle: another transaction of the sender with the same nonce was
    // committed (a node still syncing acknowledged a nonce the chain had used), so this one was
    // dropped as stale.
    if (statuses.every((s) => s === 'unknown') && BigInt((await api(nodes[0].url, `/v1/account/${a.sender}`)).nonce) > a.nonce) {
      superseded++;
      continue;
    }
    violations.push(`commitment ${a.id} acknowledged by node ${a.node}: ${statuses.join(', ')}`);
  }
  // Supply, on every node, over every account the run knows.
  const addresses = new Set<string>([...genesisJson.allocations.map((x: { address: string }) => x.address), ...senders.map((k) => addressOf(k.publicKey))]);
  for (const p of out.validatorKeys as string[]) addresses.add(addressOf(keyPairFromKeyFile(JSON.parse(readFileSync(p, 'utf8'))).publicKey));
  for (let i = 0; i < N; i++) {
    let total = 0n;
    for (const a of addresses) total += BigInt((await api(nodes[i].url, `/v1/account/${a}`)).balance);
    if (total !== SUPPLY) violations.push(`node ${i}: the known accounts hold ${total} base units, not ${SUPPLY}`);
  }
  if (residentMax > RESIDENT_BYTES_MAX) violations.push(`a node reached ${residentMax} bytes resident`);
  console.log(`[chaos] seed ${seed}: ${faults.length} faults, ${target} heights agreed, ${acked.length} acknowledged commitments checked (${lostWithDatabase} lost with a replaced database, ${superseded} superseded by another transaction with the same nonce), supply exact, largest resident ${(residentMax / 1048576).toFixed(0)} MB, ${violations.length} violations`);
  expect(violations).toEqual([]);
  await Promise.all(nodes.map((n) => stopNodeProcess(n)));
  rmSync(dir, { recursive: true, force: true });
  return { faults: faults.length, commitmentsChecked: acked.length, heightsChecked: Number(target), residentMaxBytes: residentMax };
}

/** A helper process speaking JSON lines (test/helpers/sybil-attacker.ts). */
class JsonHelper {
  private readonly lines: Record<string, any>[] = [];
  private readonly child: ChildProcess;
  private nextId = 1;
  constructor(script: string, config: Record<string, unknown>, logPath: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(config)], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => this.lines.length < 10_000 && this.lines.push(JSON.parse(l)));
    const errors: string[] = [];
    createInterface({ input: this.child.stderr! }).on('line', (l) => errors.length < 1000 && errors.push(l));
    this.child.once('exit', () => writeFileSync(logPath, errors.join('\n')));
  }
  ready(timeoutMs: number) {
    return waitFor('the helper to be ready', () => this.lines.find((l) => l.event === 'ready'), timeoutMs);
  }
  async command(cmd: Record<string, unknown>, timeoutMs: number) {
    const id = String(this.nextId++);
    this.child.stdin!.write(JSON.stringify({ id, ...cmd }) + '\n');
    const r = await waitFor(`the helper's answer to ${String(cmd.cmd)}`, () => this.lines.find((l) => l.event === 'result' && l.id === id), timeoutMs);
    if (!r.ok) throw new Error(`helper ${String(cmd.cmd)} failed: ${r.error}`);
    return r;
  }
  stop(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin!.end();
    setTimeout(() => this.child.kill('SIGKILL'), 5_000).unref();
  }
}

describe(`chaos across real processes (${LONG ? `long form: ${RUNS} runs` : 'short form'})`, () => {
  it(`${RUNS} seeded run(s) of ${FAULTS_PER_RUN} faults under load keep every invariant`, async () => {
    const total: Figures = { faults: 0, commitmentsChecked: 0, heightsChecked: 0, residentMaxBytes: 0 };
    for (let r = 0; r < RUNS; r++) {
      const f = await runOnce(FIRST_SEED + r);
      total.faults += f.faults;
      total.commitmentsChecked += f.commitmentsChecked;
      total.heightsChecked += f.heightsChecked;
      total.residentMaxBytes = Math.max(total.residentMaxBytes, f.residentMaxBytes);
    }
    console.log(`[chaos] seeds ${FIRST_SEED}..${FIRST_SEED + RUNS - 1}: ${RUNS} runs, ${total.faults} faults injected, ${total.commitmentsChecked} acknowledged commitments checked, ${total.heightsChecked} heights agreed, largest resident ${(total.residentMaxBytes / 1048576).toFixed(0)} MB, 0 invariant violations`);
  }, LONG ? RUNS * 600_000 : 300_000);
});
