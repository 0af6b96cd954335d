// kill -9 the anchorer process at random moments while roots arrive and blocks are mined,
// restart it, and check the Bitcoin chain itself: at most one anchor per interval, every
// anchor the anchorer stored is on chain and attested, no input spent by two anchors, and
// nothing left in the mempool. One seed drives every random choice; it is printed, and
// ANCHOR_CRASH_SEED=<n> replays a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { Block } from 'bitcoinjs-lib';
import { bytesToHex } from '../protocol/bytes.ts';
import { decodeAnchorPayload, looksLikeAnchorPayload } from '../anchor/payload.ts';
import { startRegtestNode, type RegtestNode } from '../anchor/node/regtest-node.ts';
import { extractOpReturnData } from '../anchor/verify-bitcoin.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHAIN_ID = 'pantheon-crash-test';
const INTERVAL = 10;
const K = 2;
const ROUNDS = 10;
const FUNDING_BLOCKS = 510;

const seed = Number(process.env.ANCHOR_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
function mulberry32(a: number): () => number {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(seed);
const rootFor = (height: number) => bytesToHex(sha256(new TextEncoder().encode(`crash root ${height}`)));

interface RunnerEvent {
  event: string;
  [key: string]: unknown;
}

/** The anchorer in its own process (anchor/node/anchorer-process.ts), driven over stdin. */
class Runner {
  readonly child: ChildProcessWithoutNullStreams;
  readonly events: RunnerEvent[] = [];
  private waiters: (() => void)[] = [];
  readonly exited: Promise<void>;

  constructor(dataDir: string, node: RegtestNode) {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO, 'anchor', 'node', 'anchorer-process.ts'), '--datadir', dataDir, '--rpc-url', node.rpcUrl, '--rpc-user', node.rpcUser, '--rpc-password', node.rpcPassword, '--chain-id', CHAIN_ID, '--interval', String(INTERVAL), '--confirmations', String(K)],
      { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let buffer = '';
    this.child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.trim()) this.events.push(JSON.parse(line));
      }
      this.waiters.splice(0).forEach((w) => w());
    });
    this.child.stdin.on('error', () => {}); // writes racing a kill -9
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  async waitFor(predicate: (e: RunnerEvent) => boolean, from = 0, timeoutMs = 30_000): Promise<RunnerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find(predicate);
      if (found) return found;
      const fatal = this.events.find((e) => e.event === 'error' && String(e.message).startsWith('fatal'));
      if (fatal) throw new Error(`anchorer process failed: ${fatal.message}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting; events: ${JSON.stringify(this.events.slice(-5))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  send(message: object): void {
    this.child.stdin.write(`${JSON.stringify(message)}\n`);
  }

  /** Send and wait until the anchorer has processed it. */
  async request(message: object): Promise<RunnerEvent> {
    const from = this.events.length;
    this.send(message);
    return this.waitFor((e) => e.event === 'ticked' || e.event === 'error', from);
  }

  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

let dir: string;
let node: RegtestNode;

beforeAll(async () => {
  console.log(`anchor crash test seed: ${seed} (replay with ANCHOR_CRASH_SEED=${seed})`);
  dir = mkdtempSync(path.join(tmpdir(), 'pantheon-anchor-crash-'));
  node = await startRegtestNode({ dataDir: path.join(dir, 'bitcoin'), memory: true, log: () => {} });
}, 60_000);

afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('anchorer killed with SIGKILL at random moments', () => {
  it(`never sends two anchors for one interval, never loses or double-spends one (seed ${seed})`, async () => {
    const anchorDir = path.join(dir, 'anchorer');
    let pantheonHeight = 0;
    let kills = 0;
    let address = '';
    let restartsWithAnchorInFlight = 0;

    for (let round = 0; round < ROUNDS; round++) {
      const runner = new Runner(anchorDir, node);
      const ready = await runner.waitFor((e) => e.event === 'ready');
      address = String(ready.address);
      if (round === 0) await node.rpc.generateToAddress(FUNDING_BLOCKS, address);
      // Roots keep arriving (not waiting for each to be handled) and blocks get mined,
      // then the process dies at a random point of whatever it is doing.
      const killAfterMs = 100 + Math.floor(random() * 2500);
      const started = Date.now();
      while (Date.now() - started < killAfterMs) {
        pantheonHeight += 1 + Math.floor(random() * 6);
        runner.send({ height: String(pantheonHeight), rootHex: rootFor(pantheonHeight) });
        if (random() < 0.3) await node.rpc.generateToAddress(1, address);
        await new Promise((r) => setTimeout(r, Math.floor(random() * 60)));
      }
      await runner.kill9();
      kills++;
      if (round > 0 && runner.events.some((e) => e.event === 'log' && /in flight \(will rebroadcast/.test(String(e.line)))) restartsWithAnchorInFlight++;
    }

    // Liveness: a final, uninterrupted run settles everything.
    const runner = new Runner(anchorDir, node);
    await runner.waitFor((e) => e.event === 'ready');
    pantheonHeight += INTERVAL;
    await runner.request({ height: String(pantheonHeight), rootHex: rootFor(pantheonHeight) });
    for (let i = 0; i < 40; i++) {
      const { status } = (await runner.request({ poll: true })) as unknown as { status: { unconfirmed: unknown[]; confirming: unknown[] } };
      if (status.unconfirmed.length === 0 && status.confirming.length === 0 && i > 0) break;
      await node.rpc.generateToAddress(1, address);
    }
    runner.child.stdin.end();
    await runner.exited;
    expect(kills).toBe(ROUNDS);

    // Read the chain itself: every anchor for our chain id after funding.
    const tip = await node.rpc.getBlockCount();
    const onChain: { txid: string; interval: number; inputs: string[]; height: bigint }[] = [];
    for (let h = FUNDING_BLOCKS + 1; h <= tip; h++) {
      const block = Block.fromBuffer(await node.rpc.getBlockRaw(await node.rpc.getBlockHash(h)));
      for (const tx of block.transactions ?? []) {
        for (const data of extractOpReturnData(tx.toBuffer())) {
          if (!looksLikeAnchorPayload(data)) continue;
          const payload = decodeAnchorPayload(data, CHAIN_ID);
          onChain.push({
            txid: tx.getId(),
            interval: Number(payload.height / BigInt(INTERVAL)),
            height: payload.height,
            inputs: tx.ins.map((i) => `${Buffer.from(i.hash).reverse().toString('hex')}:${i.index}`),
          });
        }
      }
    }
    expect(onChain.length).toBeGreaterThanOrEqual(3);
    const intervals = onChain.map((a) => a.interval);
    expect(new Set(intervals).size, `intervals on chain: ${intervals.join(',')}`).toBe(intervals.length);
    // Anchors on chain carry increasing Pantheon heights (each anchor is a newer root).
    for (let i = 1; i < onChain.length; i++) expect(onChain[i].height > onChain[i - 1].height).toBe(true);
    const inputs = onChain.flatMap((a) => a.inputs);
    expect(new Set(inputs).size).toBe(inputs.length);

    // The anchorer's durable record agrees with the chain: nothing lost, nothing unknown.
    const state = JSON.parse(readFileSync(path.join(anchorDir, 'anchorer-state.json'), 'utf8')) as {
      anchors: { status: string; inputs: string[]; versions: { txid: string }[]; block?: { txid: string } }[];
    };
    expect(state.anchors.map((a) => a.status).filter((s) => s !== 'attested')).toEqual([]);
    expect(state.anchors.map((a) => a.block!.txid)).toEqual(onChain.map((a) => a.txid));
    const recordInputs = state.anchors.flatMap((a) => a.inputs);
    expect(new Set(recordInputs).size).toBe(recordInputs.length);
    // Nothing of ours left waiting in the mempool.
    for (const txid of await node.rpc.getRawMempool()) {
      const raw = await node.rpc.getRawTransaction(txid);
      expect(raw && extractOpReturnData(raw).some(looksLikeAnchorPayload)).toBeFalsy();
    }
    console.log(`anchor crash test: ${kills} kills, ${restartsWithAnchorInFlight} restarts found an anchor in flight, ${onChain.length} anchors on chain over intervals ${intervals.join(',')}`);
  }, 150_000);
});
