// Damaged data directories (issue 23, docs/storage.md "Damage"), each on a real validator
// process: one validator runs alone on a fast chain, is killed with SIGKILL (so LevelDB's log
// holds its latest writes), and copies of its data directory are damaged the way disks
// damage them. Each restart must end in a refusal that names the damaged file, before any
// socket opens and without deleting or creating anything, or in a correct recovery that signs
// nothing behind the last-sign record.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '../node/client.ts';
import { fromTypedJson } from '../node/json-codec.ts';
import type { SignRecord } from '../consensus/index.ts';
import { nodeAddress, startNodeProcess, stopNodeProcess, waitFor, type NodeProcess } from '../devnet/processes.ts';
import { pantheon } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'pantheon-disk-'));
const PORT = 33_000 + Math.floor(Math.random() * 2000);
let genesisPath: string;
let keyPath: string;
const base = join(dir, 'base');
const running: NodeProcess[] = [];
let portOffset = 0;

/** Name, size and SHA-256 of every file under `path`: what "nothing deleted or changed" compares. */
function snapshot(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name !== 'LOCK' && name !== 'LOG' && name !== 'LOG.old') out[p.slice(path.length)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(path);
  return out;
}

function copyOfBase(name: string): string {
  const to = join(dir, name);
  cpSync(base, to, { recursive: true });
  rmSync(join(to, 'node.json'), { force: true });
  return to;
}

function start(dataDir: string, extraArgs: string[] = []): NodeProcess {
  const i = portOffset++;
  const n = startNodeProcess({ name: `node-${i}`, dataDir, genesisPath, keyPath, p2pPort: PORT + i, httpPort: PORT + 500 + i, peers: [], logPath: `${dataDir}.log`, extraArgs });
  running.push(n);
  return n;
}

/** Every entry of the database, hashed: what "nothing written" compares once LevelDB has opened it. */
async function dbDigest(path: string): Promise<string> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: false });
  const hash = createHash('sha256');
  for await (const [k, v] of db.iterator()) hash.update(`${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')};`);
  await db.close();
  return hash.digest('hex');
}

/**
 * Starts a node on `dataDir` and expects it to exit 1 before serving anything; returns its
 * log. A refusal before LevelDB opens the database changes no file; one after it (LevelDB
 * moves its log into a table at every open) changes no entry.
 */
async function expectRefusal(dataDir: string, o: { opensDatabase?: boolean } = {}): Promise<string> {
  const digest = o.opensDatabase ? await dbDigest(join(dataDir, 'db')) : undefined;
  const files = () => Object.fromEntries(Object.entries(snapshot(dataDir)).filter(([p]) => !o.opensDatabase || !p.startsWith('/db/')));
  const before = files();
  const n = start(dataDir);
  const code = await Promise.race([n.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 120_000))]);
  const log = readFileSync(n.spec.logPath, 'utf8');
  expect(code, log).toBe(1);
  expect(existsSync(join(dataDir, 'node.json')), 'it must not have served HTTP').toBe(false);
  expect(log).not.toMatch(/node started|HTTP API listening/);
  expect(files(), 'a refusal changes no file').toEqual(before);
  if (digest) expect(await dbDigest(join(dataDir, 'db')), 'a refusal writes no entry').toBe(digest);
  return log;
}

const recordOf = (dataDir: string): SignRecord => fromTypedJson<{ record: SignRecord }>(JSON.parse(readFileSync(join(dataDir, 'sign-record.json'), 'utf8')).body).record;
const logFile = (dataDir: string) => join(dataDir, 'db', readdirSync(join(dataDir, 'db')).find((f) => f.endsWith('.log'))!);

beforeAll(async () => {
  const init = pantheon(['genesis', 'init', '--validators', '1', '--out', dir, '--json']);
  expect(init.code, init.stderr).toBe(0);
  genesisPath = JSON.parse(init.stdout).genesis;
  keyPath = JSON.parse(init.stdout).validatorKeys[0];
  // Blocks as fast as one validator can make them, empty ones too (a heartbeat of 0.1 s): a log
  // worth damaging in a few seconds.
  writeFileSync(genesisPath, readFileSync(genesisPath, 'utf8').replace(/"blockIntervalMs": \d+/, '"blockIntervalMs": 20').replace(/"heartbeatMs": \d+/, '"heartbeatMs": 100'));
  const n = start(base);
  await waitFor('the validator to serve its API', () => nodeAddress(base) && api(n.url, '/v1/status'), 60_000);
  await waitFor('height 40', async () => BigInt((await api(n.url, '/v1/status')).height) >= 40n, 60_000);
  n.child.kill('SIGKILL');
  await n.exited;
  expect(statSync(logFile(base)).size).toBeGreaterThan(20_000);
}, 120_000);

afterAll(async () => {
  await Promise.all(running.map((n) => stopNodeProcess(n, 'SIGKILL')));
});

describe('a validator restarted on a damaged data directory', () => {
  it('1. without db/CURRENT: refuses, naming it, and creates no new database', async () => {
    const d = copyOfBase('no-current');
    rmSync(join(d, 'db', 'CURRENT'));
    const log = await expectRefusal(d);
    expect(log).toContain(`the database at ${join(d, 'db')} has no CURRENT file (${join(d, 'db', 'CURRENT')})`);
    expect(log).toMatch(/The node opened, changed and deleted nothing/);
  }, 150_000);

  it('2a. sixteen bytes flipped in the middle of the LevelDB log: refuses before LevelDB replays it, naming the file and the record', async () => {
    const d = copyOfBase('flipped-log');
    const file = logFile(d);
    const bytes = readFileSync(file);
    const middle = Math.floor(bytes.length / 2);
    for (let i = 0; i < 16; i++) bytes[middle + i] ^= 0xff;
    writeFileSync(file, bytes);
    const log = await expectRefusal(d);
    expect(log).toMatch(new RegExp(`is damaged: ${file.replace(/[.]/g, '\\.')}, record at byte \\d+: its checksum does not match its bytes`));
  }, 150_000);

  it('2a. blocks missing below the stored height (entries a damaged table lost): refuses, naming the heights', async () => {
    const d = copyOfBase('missing-blocks');
    // LevelDB itself removes the entries here (the test's own write): what a lost table file leaves.
    const db = new ClassicLevel<Uint8Array, Uint8Array>(join(d, 'db'), { keyEncoding: 'view', valueEncoding: 'view', createIfMissing: false });
    await db.open();
    const heightKey = (family: number, h: number) => Uint8Array.of(family, 0, 0, 0, 0, 0, 0, 0, h);
    await db.batch([18, 19].flatMap((h) => [1, 2, 3].map((f) => ({ type: 'del' as const, key: heightKey(f, h) }))), { sync: true });
    await db.close();
    const log = await expectRefusal(d, { opensDatabase: true });
    expect(log).toMatch(/is damaged \(LevelDB lost or mangled entries in its log or table files\): .*blocks 18–19 are missing \(meta\/height says \d+\)/);
  }, 150_000);

  it('2b. half the LevelDB log truncated: the record outside the database does not roll back, and the node refuses to sign behind it', async () => {
    const d = copyOfBase('truncated-log');
    const recordBefore = recordOf(d);
    const file = logFile(d);
    const cut = Math.floor(statSync(file).size / 2);
    const truncatedBytes = readFileSync(file).subarray(0, cut);
    truncateSync(file, cut);
    const n = start(d);
    const code = await Promise.race([n.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 120_000))]);
    const log = readFileSync(n.spec.logPath, 'utf8');
    expect(code, log).toBe(1);
    expect(existsSync(join(d, 'node.json'))).toBe(false);
    expect(log).toMatch(new RegExp(`is behind this validator's last-sign record: it holds committed height \\d+, but ${join(d, 'sign-record.json')} says this validator signed at height ${recordBefore.height}`));
    expect(log).toMatch(/lost committed blocks/);
    // The record is untouched, and the log as it was before LevelDB replayed it is kept.
    expect(recordOf(d)).toEqual(recordBefore);
    const kept = /The log as it was before LevelDB replayed it is kept at (\S+?\.log)/.exec(log)?.[1];
    expect(kept, log).toBeDefined();
    expect(readFileSync(kept!).equals(truncatedBytes)).toBe(true);
  }, 150_000);

  it('3. a corrupt last-sign record stops the process at once, naming the file; a missing one refuses unless the operator accepts the risk', async () => {
    const corrupt = copyOfBase('corrupt-record');
    const recordPath = join(corrupt, 'sign-record.json');
    writeFileSync(recordPath, readFileSync(recordPath, 'utf8').slice(0, 100));
    const log = await expectRefusal(corrupt);
    expect(log).toContain(`the last-sign record ${recordPath} is damaged: it is not valid JSON`);
    expect(log).not.toMatch(/Database is not open/);

    const missing = copyOfBase('missing-record');
    rmSync(join(missing, 'sign-record.json'));
    const refused = await expectRefusal(missing);
    expect(refused).toContain(`holds a database (${join(missing, 'db')}) but no last-sign record (${join(missing, 'sign-record.json')})`);

    const n = start(missing, ['--unsafe-no-sign-record']);
    await waitFor('the validator to start with --unsafe-no-sign-record', () => nodeAddress(missing) && api(n.url, '/v1/status'), 60_000);
    const h = BigInt((await api(n.url, '/v1/status')).height);
    await waitFor('blocks after the unsafe start', async () => BigInt((await api(n.url, '/v1/status')).height) >= h + 3n, 60_000);
    expect(readFileSync(n.spec.logPath, 'utf8')).toMatch(/STARTING WITHOUT A LAST-SIGN RECORD/);
    await stopNodeProcess(n);
  }, 300_000);

  it('4. a truncated MANIFEST is refused as damage, not blamed on another node', async () => {
    const d = copyOfBase('truncated-manifest');
    const manifest = join(d, 'db', readdirSync(join(d, 'db')).find((f) => f.startsWith('MANIFEST-'))!);
    truncateSync(manifest, Math.floor(statSync(manifest).size / 2));
    const log = await expectRefusal(d);
    expect(log).toMatch(new RegExp(`the database at ${join(d, 'db')} is damaged`));
    expect(log).not.toMatch(/another node/);
  }, 150_000);

  it('an undamaged copy recovers after kill -9: it continues from the record, signs nothing behind it, and refuses nothing', async () => {
    const d = copyOfBase('recovers');
    const record = recordOf(d);
    // Debug level: empty blocks' "proposed" lines are logged at debug (docs/metrics.md).
    const n = start(d, ['--log-level', 'debug']);
    await waitFor('the validator to restart', () => nodeAddress(d) && api(n.url, '/v1/status'), 60_000);
    await waitFor('new blocks', async () => BigInt((await api(n.url, '/v1/status')).height) >= record.height + 3n, 60_000);
    const metrics = await (await fetch(`${n.url}/metrics`)).text();
    expect(metrics).toMatch(/pantheon_signer_refusals_total 0/);
    // Every proposal after the restart is at or above the record's height.
    const proposed = readFileSync(n.spec.logPath, 'utf8').split('\n').filter((l) => l.includes('"msg":"proposed"')).map((l) => BigInt(JSON.parse(l).height));
    expect(proposed.length).toBeGreaterThan(0);
    expect(proposed.every((h) => h >= record.height)).toBe(true);
    expect(recordOf(d).height).toBeGreaterThan(record.height);
    await stopNodeProcess(n);
  }, 150_000);
});
