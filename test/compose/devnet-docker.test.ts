// The docker compose devnet, run for real on a Docker engine (`npm run test:compose`; not part
// of `npm test`, see vitest.compose.config.ts). It makes sure an engine and a compose tool are
// there (devnet/compose/ensure-engine.sh installs and starts them when needed), makes the base
// images when Docker Hub cannot be reached (devnet/compose/make-base-image.sh), builds and
// starts devnet/docker-compose.yml, then checks what a user would: the first final block, the
// first confirmed anchor, a commitment submitted from the host through a published port, its
// anchored proof verified offline by the CLI, a validator container restarted and caught up,
// and a 2-2 network partition (docker network disconnect) during which nothing is finalised,
// healed into one chain; then it takes everything down with its volumes. It prints how long
// each stage took.
//
// The Bitcoin node is Bitcoin Core (bitcoin/bitcoin) when that image can be pulled, else the
// bcoin image the repository builds (devnet/docker-compose.bcoin.yml); the choice is printed.
// PANTHEON_COMPOSE_BITCOIN=core|bcoin forces one. The project name is pantheon-compose-test, so
// a user's own `devnet` project is never touched; the HTTP APIs are published on 28000-28003,
// or on four other free loopback ports (PANTHEON_HTTP_PORT_0..3) when something holds those.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../../node/client.ts';
import { waitFor } from '../../devnet/processes.ts';
import { pantheon, REPO } from '../helpers/cli.ts';

const PROJECT = 'pantheon-compose-test';
const CORE_IMAGE = 'bitcoin/bitcoin:28.2';
/** Compose's network for the project (<project>_default, in v1 and v2), and the partition's other side. */
const NETWORK = `${PROJECT}_default`;
const SIDE_NETWORK = `${PROJECT}_side_b`;
/** The validators' HTTP APIs on the host: 28000-28003, or 4 other free ports when those are taken. */
let URLS: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'pantheon-compose-'));

// ---------------------------------------------------------------- processes and stages

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (or kills it after timeoutMs); never rejects. */
function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: REPO, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${options.timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 600_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: `${stderr}${err.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const tail = (text: string, lines = 40) => text.trim().split('\n').slice(-lines).join('\n');

/** Runs and throws with the end of the output when the command fails. */
async function must(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${tail(r.stdout + '\n' + r.stderr)}`);
  return r;
}

const stages: { name: string; seconds: number }[] = [];
async function stage<T>(name: string, body: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await body();
  } finally {
    const seconds = (performance.now() - started) / 1000;
    stages.push({ name, seconds });
    console.log(`[compose] ${name}: ${seconds.toFixed(1)} s`);
  }
}

// ---------------------------------------------------------------- compose

let composeCmd: string[] = [];
let composeEnv: NodeJS.ProcessEnv = process.env;
let composeFiles: string[] = [];
let bitcoinNode: 'core' | 'bcoin';
let up = false;

const compose = (args: string[], timeoutMs = 600_000) => must(composeCmd[0], [...composeCmd.slice(1), '-p', PROJECT, ...composeFiles.flatMap((f) => ['-f', f]), ...args], { env: composeEnv, timeoutMs });

/** The (running, unless `all`) container of a service, by the labels both Compose v1 and v2 set. */
async function containerOf(service: string, all = false): Promise<string> {
  const id = (await must('docker', ['ps', ...(all ? ['-a'] : []), '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--filter', `label=com.docker.compose.service=${service}`])).stdout.trim();
  if (!/^[0-9a-f]{12,64}$/.test(id)) throw new Error(`not one running container for service ${service} (docker ps said ${JSON.stringify(id)})`);
  return id;
}

async function height(url: string): Promise<bigint | undefined> {
  try {
    return BigInt((await api(url, '/v1/status')).height);
  } catch {
    return undefined; // not answering (yet, or while restarting)
  }
}

/** A validator's /v1/status asked from inside its container (its published port is gone while
 * it is off the compose network). */
async function statusInside(service: string): Promise<{ height: bigint; peers: number }> {
  const r = await must('docker', ['exec', await containerOf(service), 'node', '-e', "fetch('http://127.0.0.1:28000/v1/status').then((r) => r.text()).then((t) => process.stdout.write(t))"], { timeoutMs: 60_000 });
  const s = JSON.parse(r.stdout);
  return { height: BigInt(s.height), peers: s.peers };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** 28000-28003 when free (the compose file's defaults), else the first free run of four above 38000. */
async function freeHostPorts(): Promise<number[]> {
  for (let base = 28000; base < 48000; base += base === 28000 ? 10000 : 10) {
    const ports = [0, 1, 2, 3].map((i) => base + i);
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return ports;
  }
  throw new Error('no four free consecutive ports on 127.0.0.1 between 28000 and 48000');
}

async function dumpLogs(): Promise<void> {
  const r = await run(composeCmd[0], [...composeCmd.slice(1), '-p', PROJECT, ...composeFiles.flatMap((f) => ['-f', f]), 'logs', '--no-color', '--tail', '30'], { env: composeEnv, timeoutMs: 60_000 });
  console.log(`[compose] logs of the failed run (last 30 lines per service):\n${r.stdout}${r.stderr}`);
}

let failed = false;
const check = async (body: () => Promise<void>) => {
  try {
    await body();
  } catch (err) {
    failed = true;
    throw err;
  }
};

beforeAll(async () => {
  await check(async () => {
    composeCmd = (await stage('engine and compose tool', () => must('bash', ['devnet/compose/ensure-engine.sh'], { timeoutMs: 600_000 }))).stdout.trim().split(' ');
    const images = await stage('base images', () => must('bash', ['devnet/compose/make-base-image.sh'], { timeoutMs: 900_000 }));
    const imageEnv = Object.fromEntries(images.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(Object.keys(imageEnv).sort()).toEqual(['PANTHEON_BASE_IMAGE', 'PANTHEON_BUILD_IMAGE']);
    composeEnv = { ...process.env, ...imageEnv };
    const forced = process.env.PANTHEON_COMPOSE_BITCOIN;
    if (forced !== undefined && forced !== 'core' && forced !== 'bcoin') throw new Error(`PANTHEON_COMPOSE_BITCOIN must be core or bcoin, got ${forced}`);
    bitcoinNode = forced ?? ((await run('docker', ['image', 'inspect', CORE_IMAGE])).code === 0 || (await run('docker', ['pull', '-q', CORE_IMAGE], { timeoutMs: 300_000 })).code === 0 ? 'core' : 'bcoin');
    composeFiles = ['devnet/docker-compose.yml', ...(bitcoinNode === 'bcoin' ? ['devnet/docker-compose.bcoin.yml'] : [])];
    console.log(`[compose] ${composeCmd.join(' ')}, Bitcoin node: ${bitcoinNode === 'core' ? `Bitcoin Core (${CORE_IMAGE})` : 'bcoin (pantheon-bcoin:local, built here; Bitcoin Core\'s image cannot be pulled)'}, base images ${imageEnv.PANTHEON_BUILD_IMAGE} / ${imageEnv.PANTHEON_BASE_IMAGE}`);

    // Leftovers of an interrupted run of this project, then the host ports.
    await compose(['down', '-v', '--remove-orphans'], 120_000);
    const ports = await freeHostPorts();
    URLS = ports.map((p) => `http://127.0.0.1:${p}`);
    ports.forEach((p, i) => (composeEnv[`PANTHEON_HTTP_PORT_${i}`] = String(p)));
    console.log(`[compose] HTTP APIs on 127.0.0.1:${ports.join(', ')}`);
    await stage('build images', () => compose(['build'], 1_200_000));
    up = true;
    await stage('compose up', () => compose(['up', '-d'], 600_000));
  });
}, 2_700_000);

afterAll(async () => {
  if (failed && up) await dumpLogs();
  // The partition's second network, if a failure left it (compose does not know it).
  await run('docker', ['network', 'rm', SIDE_NETWORK]);
  if (up) {
    await stage('compose down -v', () => compose(['down', '-v', '--remove-orphans'], 300_000));
    const volumes = await must('docker', ['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`]);
    expect(volumes.stdout.trim()).toBe('');
  }
  rmSync(dir, { recursive: true, force: true });
  const total = stages.reduce((s, x) => s + x.seconds, 0);
  console.log(`[compose] stages:\n${stages.map((s) => `  ${s.name.padEnd(40)} ${s.seconds.toFixed(1).padStart(7)} s`).join('\n')}\n  ${'total'.padEnd(40)} ${total.toFixed(1).padStart(7)} s`);
}, 600_000);

// ---------------------------------------------------------------- the checks

describe('the docker compose devnet on a real engine', () => {
  let genesisPath = '';
  let treasuryKey = '';
  let commitmentId = '';

  it('publishes the HTTP APIs on 127.0.0.1 only', () =>
    check(async () => {
      for (const [i, url] of URLS.entries()) {
        const r = await must('docker', ['port', await containerOf(`validator-${i}`), '28000/tcp']);
        expect(r.stdout.trim().split('\n')).toEqual([`127.0.0.1:${new URL(url).port}`]);
      }
    }));

  it('reaches a first final block on every validator', () =>
    check(() =>
      stage('first final block', async () => {
        for (const url of URLS) await waitFor(`a final block at ${url}`, async () => ((await height(url)) ?? 0n) >= 1n || undefined, 300_000, 1000);
      }),
    ), 320_000);

  it('anchors into the Bitcoin node and sees the anchor confirmed', () =>
    check(() =>
      stage('first confirmed anchor', async () => {
        const anchor = await waitFor('a confirmed anchor attestation', async () => {
          const s = await api(URLS[0], '/v1/status').catch(() => undefined);
          return s?.anchor?.lastAnchoredHeight != null && s.anchor.confirmations >= 6 ? s.anchor : undefined;
        }, 420_000, 2000);
        expect(anchor.anchoring).toBe(true);
        expect(anchor.bitcoinBlockHash).toMatch(/^[0-9a-f]{64}$/);
        // bcoin's regtest addresses are rb1..., Bitcoin Core's bcrt1...: the anchorer asked the node.
        expect(anchor.bitcoinAddress).toMatch(bitcoinNode === 'bcoin' ? /^rb1/ : /^bcrt1/);
      }),
    ), 440_000);

  it('takes a commitment submitted from the host through a published port', () =>
    check(() =>
      stage('submit from the host, final', async () => {
        const v0 = await containerOf('validator-0');
        genesisPath = join(dir, 'genesis.json');
        treasuryKey = join(dir, 'treasury.key');
        await must('docker', ['cp', `${v0}:/devnet/genesis.json`, genesisPath]);
        await must('docker', ['cp', `${v0}:/devnet/treasury.key`, treasuryKey]);
        const r = pantheon(['submit', '--name', 'compose-test', '--root', 'c0'.repeat(32), '--size', '1', '--key', treasuryKey, '--node', URLS[1], '--wait', 'final', '--json']);
        expect(r.code, r.stderr).toBe(0);
        commitmentId = JSON.parse(r.stdout).commitmentId;
        expect(commitmentId).toMatch(/^[0-9a-f]{64}$/);
      }),
    ), 200_000);

  it('anchors it, and its proof from the devnet verifies offline', () =>
    check(() =>
      stage('commitment anchored, proof verified', async () => {
        const s = await waitFor(`commitment ${commitmentId.slice(0, 12)} to be anchored`, async () => {
          const t = await api(URLS[2], `/v1/tx/${commitmentId}`).catch(() => undefined);
          return t?.status === 'anchored' ? t : undefined;
        }, 420_000, 2000);
        expect(s.anchor.confirmations).toBeGreaterThanOrEqual(6);
        const proof = pantheon(['proof', commitmentId, '--node', URLS[3]]);
        expect(proof.code, proof.stderr).toBe(0);
        const proofPath = join(dir, 'proof.json');
        writeFileSync(proofPath, proof.stdout);
        expect(JSON.parse(readFileSync(proofPath, 'utf8')).anchor).toBeDefined();
        // Offline: the verifier gets a file and the genesis, no node URL.
        const verified = pantheon(['verify', proofPath, '--genesis', genesisPath]);
        expect(verified.code, verified.stdout + verified.stderr).toBe(0);
        expect(verified.stdout).toMatch(/VERIFIED: final in Pantheon block \d+ and anchored in Bitcoin block [0-9a-f]{64}/);
        const tampered = JSON.parse(readFileSync(proofPath, 'utf8'));
        tampered.commitment.leafIndex += 1;
        writeFileSync(join(dir, 'tampered.json'), JSON.stringify(tampered));
        expect(pantheon(['verify', join(dir, 'tampered.json'), '--genesis', genesisPath]).code).toBe(1);
      }),
    ), 440_000);

  it('restarts a validator container, which catches up with the others', () =>
    check(() =>
      stage('validator-2 restart and catch-up', async () => {
        const step = (what: string, since: number) => console.log(`[compose]   ${what}: ${((performance.now() - since) / 1000).toFixed(1)} s`);
        const stoppedAt = (await height(URLS[2]))!;
        let t = performance.now();
        await compose(['stop', 'validator-2'], 120_000);
        step(`stop validator-2 at height ${stoppedAt}`, t);
        // It stopped on SIGTERM by itself (exit 0), not killed at the end of stop_grace_period (137).
        const exit = await must('docker', ['inspect', '-f', '{{.State.Running}} {{.State.ExitCode}} {{.State.OOMKilled}}', await containerOf('validator-2', true)]);
        expect(exit.stdout.trim()).toBe('false 0 false');
        // The other three (> 2/3 of the power) keep finalising while validator-2 is down: counted
        // from the moment it is down, not from before the stop.
        t = performance.now();
        const downAt = (await height(URLS[0]))!;
        await waitFor('3 blocks while validator-2 is stopped', async () => ((await height(URLS[0])) ?? 0n) >= downAt + 3n || undefined, 120_000, 1000);
        expect(await height(URLS[2])).toBeUndefined();
        step(`3 blocks finalised without it (${downAt} to ${downAt + 3n})`, t);
        t = performance.now();
        await compose(['start', 'validator-2'], 120_000);
        const target = (await height(URLS[0]))!;
        step(`start validator-2 (the others are at ${target})`, t);
        t = performance.now();
        const caught = await waitFor(`validator-2 to reach height ${target}`, async () => {
          const h = await height(URLS[2]);
          return h !== undefined && h >= target ? h : undefined;
        }, 180_000, 1000);
        expect(caught).toBeGreaterThanOrEqual(target);
        step(`validator-2 caught up to ${caught}`, t);
        // With the same blocks as the others: the block at the target height is the same on both.
        const [mine, theirs] = await Promise.all([api(URLS[2], `/v1/block/${target}`), api(URLS[0], `/v1/block/${target}`)]);
        expect(mine.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(mine.hash).toBe(theirs.hash);
      }),
    ), 440_000);

  it('finalises nothing while split 2-2 by docker network disconnect, and one chain after the partition heals', () =>
    check(() =>
      stage('2-2 partition and heal', async () => {
        const side = ['validator-2', 'validator-3'];
        const all = ['validator-0', 'validator-1', ...side];
        await must('docker', ['network', 'create', SIDE_NETWORK]);
        try {
          // validator-2 and -3 move to a network of their own, keeping their DNS names there:
          // each side holds 2 of 4 votes, short of the > 2/3 a block needs.
          for (const v of side) {
            const id = await containerOf(v);
            await must('docker', ['network', 'disconnect', NETWORK, id]);
            await must('docker', ['network', 'connect', '--alias', v, SIDE_NETWORK, id]);
          }
          // A block already being committed may still land on some; after that, no new block:
          // a node behind may still fetch one its side already has (sync), but none goes past
          // the highest block that existed when the split settled.
          await new Promise((r) => setTimeout(r, 5_000));
          const split = await Promise.all(all.map(statusInside));
          const top = split.reduce((m, s) => (s.height > m ? s.height : m), 0n);
          await new Promise((r) => setTimeout(r, 15_000));
          const later = await Promise.all(all.map(statusInside));
          console.log(`[compose]   split: heights ${split.map((s) => s.height).join(' ')}, 15 s later ${later.map((s) => s.height).join(' ')}`);
          for (const [i, s] of later.entries()) expect(s.height, `${all[i]} finalised past ${top} while split`).toBeLessThanOrEqual(top);
          for (const v of side) {
            const id = await containerOf(v);
            await must('docker', ['network', 'disconnect', SIDE_NETWORK, id]);
            await must('docker', ['network', 'connect', '--alias', v, NETWORK, id]);
          }
          // Healed: every validator passes the split by 3 blocks, and they hold the same blocks.
          for (const url of URLS) await waitFor(`${url} past height ${top + 3n} after the heal`, async () => ((await height(url)) ?? 0n) >= top + 3n || undefined, 180_000, 1000);
          for (let h = top - 1n; h <= top + 3n; h++) {
            const hashes = await Promise.all(URLS.map(async (url) => (await api(url, `/v1/block/${h}`)).hash));
            expect(new Set(hashes).size, `block ${h}: ${hashes.join(' ')}`).toBe(1);
          }
        } finally {
          // Back on the compose network whatever happened, so `down` finds everything as it made it.
          for (const v of side) {
            const id = await containerOf(v).catch(() => undefined);
            if (!id) continue;
            await run('docker', ['network', 'disconnect', SIDE_NETWORK, id]);
            await run('docker', ['network', 'connect', '--alias', v, NETWORK, id]);
          }
          await run('docker', ['network', 'rm', SIDE_NETWORK]);
        }
      }),
    ), 300_000);
});
