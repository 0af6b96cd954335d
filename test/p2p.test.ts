// The network layer between real processes on loopback: four nodes, each a child process
// running test/helpers/p2p-peer.ts over real TCP, Noise, Yamux and gossipsub.
//
// Topology (arrows are bootstrap dials):   A ← B ← C      D → A, D → B
// C's only neighbour is B, so anything C hears from A has been forwarded by B. D hears A's
// messages twice (from A and via B), which is where duplicate suppression shows.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { freePort } from '../anchor/node/regtest-node.ts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreatePeerKey } from '../node/p2p/identity.ts';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';

const root = resolve(import.meta.dirname, '..');
const CHAIN = 'pantheon-test-1';
const EVENTS_MAX = 10_000;

type Event = Record<string, any>;

class Peer {
  readonly events: Event[] = [];
  readonly stderr: string[] = [];
  exited: Promise<number | null>;
  private child: ChildProcessWithoutNullStreams;
  private nextId = 1;

  constructor(
    readonly name: string,
    readonly config: { dataDir: string; listen: string[]; bootstrap: string[]; validatorSeeds?: number[]; validatorIndex?: number },
  ) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/p2p-peer.ts', JSON.stringify({ chainId: CHAIN, ...config })], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (this.events.length >= EVENTS_MAX) return;
      try {
        this.events.push(JSON.parse(line));
      } catch {
        this.events.push({ event: 'garbage', line });
      }
    });
    createInterface({ input: this.child.stderr }).on('line', (line) => {
      if (this.stderr.length < EVENTS_MAX) this.stderr.push(line);
    });
    this.exited = new Promise((res) => this.child.on('exit', (code) => res(code)));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async ready(): Promise<{ peerId: string; addresses: string[] }> {
    const e = await this.explain(waitFor(() => this.events.find((x) => x.event === 'ready'), `${this.name} ready`));
    return { peerId: e.peerId, addresses: e.addresses };
  }

  async command(cmd: Record<string, unknown>, timeoutMs = 20_000): Promise<Event> {
    const id = this.nextId++;
    this.child.stdin.write(JSON.stringify({ id, ...cmd }) + '\n');
    return this.explain(waitFor(() => this.events.find((x) => x.event === 'result' && x.id === id), `${this.name} ${String(cmd.cmd)} result`, timeoutMs));
  }

  messages(text: string): Event[] {
    return this.events.filter((x) => x.event === 'message' && x.text === text);
  }

  async peerIds(): Promise<string[]> {
    const r = await this.command({ cmd: 'peers' });
    return r.peers.map((p: { peerId: string }) => p.peerId);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    this.child.stdin.end();
    const timer = setTimeout(() => this.kill(), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** On failure, attach the end of the process's log so a timeout says what the peer saw. */
  private async explain<T>(wait: Promise<T>): Promise<T> {
    try {
      return await wait;
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.name} (alive: ${this.alive}) stderr tail:\n${this.stderr.slice(-20).join('\n')}`);
    }
  }
}

async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 25_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Publishes fresh messages from `from` until `to` has received one: the mesh is formed. */
async function untilMeshDelivers(from: Peer, to: Peer, label: string, topic = 'tx'): Promise<void> {
  let i = 0;
  await waitFor(async () => {
    if (to.events.some((x) => x.event === 'message' && String(x.text).startsWith(`${label}-`))) return true;
    // A new message every ~600 ms keeps the bounded event log small even on a slow start.
    if (i % 6 === 0) await from.command({ cmd: 'publish', topic, text: `${label}-${i}` });
    i++;
    return false;
  }, `${label}: ${from.name} → ${to.name} gossip`);
}

describe('p2p network between processes', () => {
  const dirs: string[] = [];
  const peers: Record<'A' | 'B' | 'C' | 'D', Peer> = {} as never;
  const ids: Record<string, string> = {};
  const listenOf: Record<string, string[]> = {};

  const mkdir = () => {
    const d = mkdtempSync(join(tmpdir(), 'pantheon-p2p-'));
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    for (const n of ['A', 'B', 'C', 'D']) listenOf[n] = [`/ip4/127.0.0.1/tcp/${await freePort()}`];
    // A starts in an empty directory: it creates its identity. B, C and D get theirs made
    // up front through the same module, so all three can start at once.
    const dirA = mkdir();
    peers.A = new Peer('A', { dataDir: dirA, listen: listenOf.A, bootstrap: [] });
    const pre: Record<string, string> = {};
    for (const n of ['B', 'C', 'D']) {
      pre[n] = mkdir();
      ids[n] = peerIdFromPrivateKey(await loadOrCreatePeerKey(pre[n], () => {})).toString();
    }
    ids.A = (await peers.A.ready()).peerId;
    const addr = (n: string) => `${listenOf[n][0]}/p2p/${ids[n]}`;
    peers.B = new Peer('B', { dataDir: pre.B, listen: listenOf.B, bootstrap: [addr('A')] });
    peers.C = new Peer('C', { dataDir: pre.C, listen: listenOf.C, bootstrap: [addr('B')] });
    peers.D = new Peer('D', { dataDir: pre.D, listen: listenOf.D, bootstrap: [addr('A'), addr('B')] });
    for (const n of ['B', 'C', 'D'] as const) expect((await peers[n].ready()).peerId).toBe(ids[n]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(Object.values(peers).map((p) => p?.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('creates the peer identity on first start, mode 0600', async () => {
    const stat = statSync(join(peers.A.config.dataDir, 'peer-key'));
    expect(stat.mode & 0o777).toBe(0o600);
    // The file holds the key behind the peer id A announced (an Ed25519 id: 12D3KooW…).
    const key = await loadOrCreatePeerKey(peers.A.config.dataDir, () => {});
    expect(peerIdFromPrivateKey(key).toString()).toBe(ids.A);
    expect(ids.A).toMatch(/^12D3KooW/);
  });

  it('forms the line topology and gossips A → B → C', async () => {
    await waitFor(async () => (await peers.C.peerIds()).includes(ids.B), 'C connected to B');
    await waitFor(async () => {
      const b = await peers.B.peerIds();
      return [ids.A, ids.C, ids.D].every((id) => b.includes(id));
    }, 'B connected to A, C, D');
    // Each topic has its own mesh, grafted on gossipsub's 1 s heartbeat.
    await untilMeshDelivers(peers.A, peers.C, 'warmup-tx', 'tx');
    await untilMeshDelivers(peers.A, peers.C, 'warmup-vote', 'vote');

    expect((await peers.A.command({ cmd: 'publish', topic: 'vote', text: 'hello-line' })).ok).toBe(true);
    const got = await waitFor(() => peers.C.messages('hello-line')[0], 'C receives hello-line');
    expect(got.topic).toBe('vote');
    expect(got.from).toBe(ids.B); // forwarded by B: C has no connection to A
    expect(await peers.C.peerIds()).not.toContain(ids.A);
  });

  it('does not forward what a handler rejects or ignores, and scores the rejected sender down', async () => {
    await peers.A.command({ cmd: 'publish', topic: 'tx', text: 'reject:forged-signature' });
    await peers.A.command({ cmd: 'publish', topic: 'tx', text: 'ignore:stale-height' });
    const rejected = await waitFor(() => peers.B.messages('reject:forged-signature')[0], 'B sees the rejected message');
    expect(rejected.verdict).toBe('reject');
    expect((await waitFor(() => peers.B.messages('ignore:stale-height')[0], 'B sees the ignored message')).verdict).toBe('ignore');

    // A later, valid message reaches C through B; the two before it must not have.
    await peers.A.command({ cmd: 'publish', topic: 'tx', text: 'after-verdicts' });
    await waitFor(() => peers.C.messages('after-verdicts')[0], 'C receives after-verdicts');
    await sleep(1_000);
    expect(peers.C.messages('reject:forged-signature')).toEqual([]);
    expect(peers.C.messages('ignore:stale-height')).toEqual([]);
    // D heard them from A directly and judged them itself; B never forwarded them to D either.
    expect(peers.D.messages('reject:forged-signature').map((m) => m.from)).toEqual([ids.A]);

    // Gossipsub P4: B now scores A below zero, and below C, an honest peer.
    const scores = (await peers.B.command({ cmd: 'peers' })).peers as { peerId: string; score: number }[];
    const scoreOf = (id: string) => scores.find((p) => p.peerId === id)!.score;
    expect(scoreOf(ids.A)).toBeLessThan(0);
    expect(scoreOf(ids.A)).toBeLessThan(scoreOf(ids.C));
    expect(scoreOf(ids.C)).toBeGreaterThanOrEqual(0);
  });

  it('delivers a message once even when it arrives by two paths or from two publishers', async () => {
    await peers.A.command({ cmd: 'publish', topic: 'tx', text: 'dup-two-paths' });
    await waitFor(() => peers.C.messages('dup-two-paths')[0], 'C receives dup-two-paths');
    // The same bytes published independently by two nodes have the same (content) id.
    await Promise.all([
      peers.A.command({ cmd: 'publish', topic: 'tx', text: 'dup-two-publishers' }),
      peers.D.command({ cmd: 'publish', topic: 'tx', text: 'dup-two-publishers' }),
    ]);
    await waitFor(() => peers.C.messages('dup-two-publishers')[0], 'C receives dup-two-publishers');
    // Re-publishing identical bytes is a quiet no-op, not an error.
    expect((await peers.A.command({ cmd: 'publish', topic: 'tx', text: 'dup-two-paths' })).ok).toBe(true);
    await sleep(1_500);
    for (const p of [peers.B, peers.C, peers.D]) expect(p.messages('dup-two-paths')).toHaveLength(1);
    for (const p of [peers.B, peers.C]) expect(p.messages('dup-two-publishers')).toHaveLength(1);
    expect(peers.A.messages('dup-two-paths')).toEqual([]); // emitSelf is off
  });

  it('answers sync requests, and answers malformed ones with an error while staying up', async () => {
    const status = await peers.C.command({ cmd: 'requestSync', peerId: ids.B, request: { kind: 'status' } });
    expect(status.response).toEqual({ kind: 'status', height: '7' });
    const blocks = await peers.C.command({ cmd: 'requestSync', peerId: ids.B, request: { kind: 'blocks', fromHeight: '5', maxBlocks: 10 } });
    expect(blocks.response).toEqual({
      kind: 'blocks',
      blocks: [5, 6, 7].map((h) => ({ block: `block-${h}`, certificate: `cert-${h}` })),
    });
    const two = await peers.C.command({ cmd: 'requestSync', peerId: ids.B, request: { kind: 'blocks', fromHeight: '1', maxBlocks: 2 } });
    expect(two.response.blocks).toHaveLength(2);

    const raw = async (hex: string) => (await peers.C.command({ cmd: 'rawSync', peerId: ids.B, hex })).response;
    expect(await raw('00000001ff')).toMatchObject({ kind: 'error', message: expect.stringContaining('unknown request kind 0xff') });
    expect(await raw('ffffffff')).toMatchObject({ kind: 'error', message: expect.stringContaining('more than the 32773-byte limit') });
    expect(await raw('0000000d' + '02' + '0000000000000001' + '00000041')).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('maxBlocks must be between 1 and 64, got 65'),
    });
    expect(await raw('00000005' + '01')).toMatchObject({ kind: 'error', message: expect.stringContaining('stream ended after 1 of 5 body bytes') });
    expect(await raw('00000002' + '0100')).toMatchObject({ kind: 'error', message: expect.stringContaining('trailing bytes') });

    // The client refuses to send an out-of-range request at all.
    const refused = await peers.C.command({ cmd: 'requestSync', peerId: ids.B, request: { kind: 'blocks', fromHeight: '1', maxBlocks: 65 } });
    expect(refused).toMatchObject({ ok: false, error: expect.stringContaining('maxBlocks') });

    // B is still serving and gossiping.
    expect(peers.B.alive).toBe(true);
    expect((await peers.C.command({ cmd: 'requestSync', peerId: ids.B, request: { kind: 'status' } })).response.height).toBe('7');
    await peers.A.command({ cmd: 'publish', topic: 'tx', text: 'after-bad-sync' });
    await waitFor(() => peers.C.messages('after-bad-sync')[0], 'C receives after-bad-sync');
  });

  it('re-dials a SIGKILLed peer restarted on the same data directory, with the same identity, and gossip resumes', async () => {
    peers.A.kill();
    await peers.A.exited;
    await waitFor(async () => !(await peers.B.peerIds()).includes(ids.A), 'B notices A is gone');

    peers.A = new Peer('A', { dataDir: peers.A.config.dataDir, listen: listenOf.A, bootstrap: [] });
    expect((await peers.A.ready()).peerId).toBe(ids.A);
    // A has no bootstrap list: B and D find it again through their re-dial loops.
    await waitFor(async () => (await peers.B.peerIds()).includes(ids.A), 'B re-dials A', 30_000);
    await untilMeshDelivers(peers.A, peers.C, 'after-restart');
    // And back the other way, C → B → A.
    await untilMeshDelivers(peers.C, peers.A, 'from-c');
  }, 60_000);
});

// Validators are gossipsub direct peers (docs/gossip.md, "Validators and outsiders"): each
// forwards what it validated to the others. Three validators, each connected to the other two:
// what V0 publishes, V1 and V2 hear from V0, and the first of them to finish validating forwards
// it to the other, which so receives a second copy (whichever of the two arrives last). So at
// least one duplicate per message, and the node's counter (read by the metric
// pantheon_gossip_duplicates_received_total) must see it: it is fed by gossipsub's own metric
// of that name, which an upgrade could rename.
describe('validators forward to each other, and the node counts the copies', () => {
  const dirs: string[] = [];
  const validators: Peer[] = [];
  const MESSAGES = 20;

  beforeAll(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const d = mkdtempSync(join(tmpdir(), 'pantheon-p2p-v-'));
      dirs.push(d);
      ids.push(peerIdFromPrivateKey(await loadOrCreatePeerKey(d, () => {})).toString());
    }
    const addr = (i: number) => `/ip4/127.0.0.1/tcp/${ports[i]}/p2p/${ids[i]}`;
    for (let i = 0; i < 3; i++) {
      const bootstrap = [0, 1, 2].filter((j) => j < i).map(addr);
      validators.push(new Peer(`V${i}`, { dataDir: dirs[i], listen: [`/ip4/127.0.0.1/tcp/${ports[i]}`], bootstrap, validatorSeeds: [11, 12, 13], validatorIndex: i }));
    }
    for (const v of validators) await v.ready();
    for (const v of validators) {
      await waitFor(async () => {
        const r = await v.command({ cmd: 'peers' });
        return r.peers.filter((p: { validatorIndex: number | null }) => p.validatorIndex !== null).length === 2;
      }, `${v.name} sees the other two validators proven`);
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(validators.map((v) => v.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const duplicates = async () => {
    let sum = 0;
    for (const v of validators) sum += (await v.command({ cmd: 'stats' })).duplicatesReceived;
    return sum;
  };

  it('every message published by one validator brings at least one second copy, counted', async () => {
    const before = await duplicates();
    // About the size of a transaction, above gossipsub's 512-byte IDONTWANT threshold.
    for (let i = 0; i < MESSAGES; i++) await validators[0].command({ cmd: 'publish', topic: 'tx', text: `copy-${i}-${'x'.repeat(3_400)}` });
    for (const v of validators.slice(1)) {
      await waitFor(() => v.events.filter((e) => e.event === 'message' && String(e.text).startsWith('copy-')).length === MESSAGES, `${v.name} receives every message`);
    }
    await sleep(500); // forwards still in flight arrive
    const counted = (await duplicates()) - before;
    console.log(`[p2p] copies after the first for ${MESSAGES} messages at 3 validators: ${counted}`);
    expect(counted).toBeGreaterThanOrEqual(MESSAGES);
    expect(counted).toBeLessThanOrEqual(2 * MESSAGES); // V1 and V2 each forward a message to one peer at most
  }, 60_000);
});
