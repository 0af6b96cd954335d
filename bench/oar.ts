// The OAR writer's benchmark (issue 18): entries sealed per second and `intend` latency p50/p99
// with real ML-DSA-65 signing and fdatasync on this machine's disk, next to the signing limit
// measured in the same run; in-process (OarWriter) and through the socket (`pantheon oar
// serve`, a separate process, clients on the Unix socket).
//
// The limit: liboqs (the writer's signer, oar/node/signer.ts) signatures per second on one core
// times the cores signing can use. For one log that is ONE core: an entry's prevHash is the hash
// of the previous entry *including its signature*, so entry n + 1 cannot be formed before entry
// n is signed: the hash chain serialises signing within a log (separate logs could sign on
// separate cores). Fsync is shared by group commit, so it does not bound the rate.
//
//   node --import tsx bench/oar.ts [--seconds S] [--actors K] [--quick]
//
// Every run checks itself: the record is re-read and verified (links of every entry, the last
// signature, and a sample of signatures), and its size must equal the entries acknowledged.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { sha256 } from '../protocol/hash.ts';
import { addressOf, keyPairFromSeed } from '../protocol/keys.ts';
import { writeKeyFile } from '../node/keyfile.ts';
import { fileChunks, recordPath, verifyRecord } from '../oar/node/index.ts';
import { OarWriter } from '../oar/node/writer.ts';
import { fastSigner } from '../oar/node/signer.ts';
import { nobleSign } from '../oar/entry.ts';
import { machineInfo } from './machine.ts';
import { percentile, round, sleep, timeLoop } from './stats.ts';

const CHAIN = 'pantheon-bench-1';
const key = keyPairFromSeed(sha256(new TextEncoder().encode('bench oar key')));
const LOG = `${addressOf(key.publicKey)}/bench`;
const PAYLOAD = { applicant: 'A-17', inputs: { income: 41000, score: 612, debt: 9000 }, proposal: 'deny', reason: 'score below 640' };

export interface OarFigures {
  signPerSecLiboqs: number;
  signPerSecNoble: number;
  signingCoresPerLog: 1;
  limitEntriesPerSec: number;
  inProcess: { entriesPerSec: number; ratioToLimit: number; intendP50Ms: number; intendP99Ms: number; rateForLatency: number };
  socket: { entriesPerSec: number; ratioToLimit: number; intendP50Ms: number; intendP99Ms: number; rateForLatency: number };
}

function signRate(sign: (m: Uint8Array, sk: Uint8Array) => Uint8Array, ms: number): number {
  const message = new Uint8Array(600).fill(7); // about an entry body's size
  const sigs: Uint8Array[] = [];
  const t = timeLoop(() => void sigs.push(sign(message, key.secretKey)), ms, 8);
  // Every signature made verifies (with noble, the browser verifier's library).
  for (const s of sigs.slice(0, 8)) if (!ml_dsa65.verify(s, message, key.publicKey)) throw new Error('bench: a signature did not verify');
  return t.runs / (t.elapsedMs / 1000);
}

/** Closed loop: `actors` callers each append intent + outcome as fast as they are answered, for `ms`. */
async function saturate(append: (actor: number) => Promise<number>, actors: number, ms: number): Promise<{ entries: number; perSec: number }> {
  const deadline = performance.now() + ms;
  let entries = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: actors }, async (_, a) => {
    while (performance.now() < deadline) {
      const n = await append(a); // not `entries += await …`: that reads entries before the await and loses other actors' counts
      entries += n;
    }
  }));
  return { entries, perSec: entries / ((performance.now() - start) / 1000) };
}

/** Open loop: an intent every 1/rate s, whatever the answers; latency from the call to the permit. */
async function openLoop(intend: (i: number) => Promise<void>, rate: number, ms: number): Promise<{ p50: number; p99: number; count: number }> {
  const latencies: number[] = [];
  const calls: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; ; i++) {
    const due = start + (i * 1000) / rate;
    if (due - start > ms) break;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const t0 = performance.now();
    calls.push(intend(i).then(() => void latencies.push(performance.now() - t0)));
  }
  await Promise.all(calls);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), count: latencies.length };
}

async function checkRecord(dir: string, expected: number): Promise<void> {
  const summary = await verifyRecord(fileChunks(recordPath(dir)), { chainId: CHAIN, signatures: 'last' });
  if (summary.entries !== expected) throw new Error(`bench: the record holds ${summary.entries} entries, ${expected} were acknowledged`);
}

async function inProcess(seconds: number, actors: number, limit: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-oar-'));
  try {
    const writer = await OarWriter.open({ dir, chainId: CHAIN, logId: LOG, key, create: true });
    const sat = await saturate(async (a) => {
      const permit = await writer.intend({ actor: `agent-${a}`, actorVersion: '1', payload: PAYLOAD });
      await writer.outcome(permit, { payload: { letter: 'sent' } });
      return 2;
    }, actors, seconds * 1000);
    const rate = Math.max(1, Math.floor(sat.perSec / 2));
    const lat = await openLoop(async () => {
      await writer.intend({ actor: 'open-loop', actorVersion: '1', payload: PAYLOAD });
    }, rate, seconds * 1000);
    const stats = { ...writer.stats };
    const size = writer.size;
    await writer.close();
    if (size !== sat.entries + lat.count) throw new Error(`bench: ${sat.entries + lat.count} entries acknowledged, the writer holds ${size}`);
    await checkRecord(dir, size);
    return { entriesPerSec: round(sat.perSec), ratioToLimit: round(sat.perSec / limit, 2), intendP50Ms: round(lat.p50, 2), intendP99Ms: round(lat.p99, 2), rateForLatency: rate, entriesPerFsync: round(stats.frames / stats.batches, 1) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A client of `pantheon oar serve`: one request in flight per connection, answers by line. */
class SocketClient {
  private buffer = '';
  private waiting: ((line: any) => void)[] = [];
  private id = 0;
  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      for (let i = this.buffer.indexOf('\n'); i >= 0; i = this.buffer.indexOf('\n')) {
        const reply = JSON.parse(this.buffer.slice(0, i));
        this.buffer = this.buffer.slice(i + 1);
        this.waiting.shift()!(reply);
      }
    });
  }
  static open(path: string): Promise<SocketClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path, () => resolve(new SocketClient(s)));
      s.once('error', reject);
    });
  }
  request(body: Record<string, unknown>): Promise<any> {
    return new Promise((resolve, reject) => {
      this.waiting.push((reply) => (reply.ok ? resolve(reply) : reject(new Error(reply.error.message))));
      this.socket.write(JSON.stringify({ id: ++this.id, ...body }) + '\n');
    });
  }
  close(): void {
    this.socket.destroy();
  }
}

async function throughSocket(seconds: number, actors: number, limit: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-oar-socket-'));
  const keyFile = join(dir, 'owner.key');
  writeKeyFile(keyFile, key);
  const pantheon = join(import.meta.dirname, '..', 'bin', 'pantheon.js');
  const run = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const p = spawn(process.execPath, [pantheon, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
      p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pantheon ${args.join(' ')} exited ${code}`))));
    });
  const recordDir = join(dir, 'record');
  await run(['oar', 'init', '--dir', recordDir, '--log', LOG, '--key', keyFile, '--chain-id', CHAIN]);
  const socketPath = join(dir, 'oar.sock');
  const serve = spawn(process.execPath, [pantheon, 'oar', 'serve', '--dir', recordDir, '--socket', socketPath, '--no-checkpoints'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      serve.stdout!.once('data', () => resolve());
      serve.once('exit', (code) => reject(new Error(`oar serve exited ${code}`)));
    });
    const clients = await Promise.all(Array.from({ length: actors }, () => SocketClient.open(socketPath)));
    const sat = await saturate(async (a) => {
      const { permit } = await clients[a].request({ op: 'intend', actor: `agent-${a}`, actorVersion: '1', payload: PAYLOAD });
      await clients[a].request({ op: 'outcome', permit, payload: { letter: 'sent' } });
      return 2;
    }, actors, seconds * 1000);
    const rate = Math.max(1, Math.floor(sat.perSec / 2));
    // Open loop over a pool of connections (one request in flight on each).
    const pool = await Promise.all(Array.from({ length: 32 }, () => SocketClient.open(socketPath)));
    const free = [...pool];
    const lat = await openLoop(async () => {
      const c = free.pop() ?? (await SocketClient.open(socketPath));
      await c.request({ op: 'intend', actor: 'open-loop', actorVersion: '1', payload: PAYLOAD });
      free.push(c);
    }, rate, seconds * 1000);
    const { size } = await pool[0].request({ op: 'status' });
    for (const c of [...clients, ...pool]) c.close();
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('exit', r));
    if (size !== sat.entries + lat.count) throw new Error(`bench: ${sat.entries + lat.count} entries acknowledged, the service holds ${size}`);
    await checkRecord(recordDir, size);
    return { entriesPerSec: round(sat.perSec), ratioToLimit: round(sat.perSec / limit, 2), intendP50Ms: round(lat.p50, 2), intendP99Ms: round(lat.p99, 2), rateForLatency: rate };
  } finally {
    serve.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runOarBench(options: { seconds: number; actors: number }, say: (line: string) => void = console.log): Promise<OarFigures> {
  const liboqs = await fastSigner();
  const usingLiboqs = liboqs !== nobleSign;
  say(`signer: ${usingLiboqs ? 'liboqs (WebAssembly), self-tested against noble' : 'noble (liboqs did not load or failed its self-test)'}`);
  // The writer phases first, then the signing limit, all in this one run.
  const inProc = await inProcess(options.seconds, options.actors, 1);
  const socket = await throughSocket(options.seconds, options.actors, 1);
  const signPerSecLiboqs = round(signRate(liboqs, 2000));
  const signPerSecNoble = round(signRate(nobleSign, 1000));
  const limit = signPerSecLiboqs; // x 1 core: the hash chain serialises signing within one log
  for (const f of [inProc, socket]) f.ratioToLimit = round(f.entriesPerSec / limit, 2);
  say(`limit: ${signPerSecLiboqs} ML-DSA-65 signatures/s (${usingLiboqs ? 'liboqs' : 'noble'}) x 1 core per log = ${limit} entries/s; noble alone ${signPerSecNoble}/s`);
  say(`in-process: ${inProc.entriesPerSec} entries/s sealed (${inProc.ratioToLimit} of the limit; ${inProc.entriesPerFsync} entries per fdatasync), intend p50 ${inProc.intendP50Ms} ms p99 ${inProc.intendP99Ms} ms at ${inProc.rateForLatency} intents/s`);
  say(`socket:     ${socket.entriesPerSec} entries/s sealed (${socket.ratioToLimit} of the limit), intend p50 ${socket.intendP50Ms} ms p99 ${socket.intendP99Ms} ms at ${socket.rateForLatency} intents/s`);
  return { signPerSecLiboqs, signPerSecNoble, signingCoresPerLog: 1, limitEntriesPerSec: limit, inProcess: inProc, socket };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { seconds: { type: 'string' }, actors: { type: 'string', default: '16' }, quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    console.log(`npm run bench:oar -- [--seconds S] [--actors K] [--quick] [--json]
  Entries sealed per second with K concurrent actors (real ML-DSA-65, fdatasync) and intend p50/p99
  at half that rate, in-process and through pantheon oar serve, beside the signing limit measured in
  the same run. --seconds: per phase (default 10, 2 with --quick); --actors: default 16.`);
    process.exit(0);
  }
  const seconds = Number(values.seconds ?? (values.quick ? 2 : 10));
  if (!(seconds > 0) || !(Number(values.actors) >= 1)) throw new Error('--seconds and --actors must be positive numbers');
  const m = machineInfo();
  console.log(`machine: ${m.cpuModel}, ${m.cores} cores, ${Math.round(m.memoryBytes / 2 ** 30)} GiB, Node ${m.nodeVersion}, ${m.platform}, load ${m.loadAverage.join(' ')}, commit ${m.gitCommit}, ${m.date}`);
  console.log(`OAR writer: ${values.actors} concurrent actors, ${seconds} s per phase, record on ${tmpdir()} with fdatasync`);
  const figures = await runOarBench({ seconds, actors: Number(values.actors) });
  if (values.json) console.log(JSON.stringify({ machine: m, figures }));
}
