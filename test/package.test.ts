// The published shape of the package, as an outside project sees it: `npm pack`, install the
// tarball into an empty project, then use every entry point of package.json `exports` from
// plain JavaScript (and type-check a TypeScript consumer against the shipped declarations),
// with the packed `pantheon` command running a real validator for the client to talk to.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../anchor/node/regtest-node.ts';
import { api } from '../node/client.ts';
import { waitFor } from '../devnet/processes.ts';
import { REPO } from './helpers/cli.ts';

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'pantheon-pack-'));
const project = join(work, 'outside-project');
const npmEnv = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}`, npm_config_update_notifier: 'false' };
let tarball: string;
let packedFiles: string[];
let installLog: string;
let node: ChildProcess | undefined;
let nodeUrl: string;

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, env: npmEnv, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

beforeAll(async () => {
  // The build is fresh (vitest's globalSetup rebuilt it if needed), so pack without re-running `prepare`.
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO);
  expect(pack.code, pack.stderr).toBe(0);
  const [info] = JSON.parse(pack.stdout);
  tarball = join(work, info.filename);
  packedFiles = info.files.map((f: { path: string }) => f.path);

  mkdirSync(project);
  // An ordinary consumer: ES modules, its own package.json, the tarball as a dependency.
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'outside-project', private: true, type: 'module', allowScripts: { 'classic-level': true } }, null, 2));
  const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], project);
  installLog = install.stdout + install.stderr;
  expect(install.code, installLog).toBe(0);

  // A one-validator chain, started with the command the package installed.
  const bin = join(project, 'node_modules', '.bin', 'pantheon');
  const init = run(process.execPath, [bin, 'genesis', 'init', '--validators', '1', '--out', join(work, 'net'), '--json'], project);
  expect(init.code, init.stderr).toBe(0);
  const [p2pPort, httpPort] = await Promise.all([freePort(), freePort()]);
  nodeUrl = `http://127.0.0.1:${httpPort}`;
  node = spawn(process.execPath, [bin, 'node', '--data', join(work, 'net', 'v0'), '--genesis', join(work, 'net', 'genesis.json'), '--key', join(work, 'net', 'validator-0.key'), '--listen', `/ip4/127.0.0.1/tcp/${p2pPort}`, '--http', `127.0.0.1:${httpPort}`, '--log-format', 'json'], { cwd: project, stdio: 'ignore' });
  await waitFor('the packed node to answer', () => api(nodeUrl, '/v1/status'), 90_000);
}, 600_000);

afterAll(() => {
  node?.kill('SIGTERM');
});

describe('npm pack', () => {
  it('ships the compiled code, its declarations and the command, not the TypeScript sources or tests', () => {
    for (const f of ['package.json', 'bin/pantheon.js', 'bin/build-state.js', 'dist/build.json', 'dist/node/client.js', 'dist/node/client.d.ts', 'dist/light-client/index.js', 'dist/light-client/index.d.ts', 'dist/node/cli/main.js']) {
      expect(packedFiles, f).toContain(f);
    }
    expect(packedFiles.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(packedFiles.filter((f) => f.startsWith('test/') || f.startsWith('bench/'))).toEqual([]);
    // Every export target is in the tarball.
    for (const [entry, target] of Object.entries(pkg.exports as Record<string, string | { types: string; default: string }>)) {
      const targets = typeof target === 'string' ? [target] : [target.types, target.default];
      for (const t of targets) expect(packedFiles, `${entry} -> ${t}`).toContain(t.replace(/^\.\//, ''));
    }
  });

  it('installs into an outside project on this Node without an engine warning', () => {
    // On Node 20 this fails by design: two dependencies declare Node 22 (README, Runtime).
    expect(installLog, `npm ran on Node ${process.version}; the project's runtime is Node 22`).not.toMatch(/EBADENGINE/);
  });
});

describe('an outside program', () => {
  it('uses every entry point: client (submit, status, tx status, proof, bounded waits), OAR writer and verifier', () => {
    const entries = Object.keys(pkg.exports).filter((e) => e !== './package.json');
    writeFileSync(
      join(project, 'program.mjs'),
      `
import { readFileSync } from 'node:fs';
import { PantheonClient, addressOf, readKeyFile, generateKeyPair, WaitTimeoutError, NodeUnreachableError } from 'pantheon';
import * as client from 'pantheon/client';
import { verifyBundle, reportText, BUNDLE_VERSION } from 'pantheon/verify';

const [nodeUrl, keyPath, genesisPath] = process.argv.slice(2);
const out = { entries: [] };
if (client.PantheonClient !== PantheonClient) throw new Error('pantheon and pantheon/client differ');
out.entries.push('.', './client', './verify');

const pantheon = new PantheonClient(nodeUrl);
const status = await pantheon.status();
const key = readKeyFile(keyPath);
const owner = addressOf(key.publicKey); // log ids name their owner: <address>/<name>
const receipt = await pantheon.submitCommitment({ logId: owner + '/program', root: 'AB'.repeat(32), treeSize: 42, key });
const final = await pantheon.waitForTx(receipt.txId.toUpperCase(), 'final', { timeoutMs: 90_000 });
const proof = await pantheon.proof(receipt.txId, { wait: 'final', timeoutMs: 30_000 });
const result = verifyBundle(proof.bundle, { genesis: JSON.parse(readFileSync(genesisPath, 'utf8')), nowMs: Date.now() });

let timeout;
try {
  await pantheon.waitForTx(receipt.txId, 'anchored', { timeoutMs: 1500 });
} catch (err) {
  timeout = { name: err.name, isTimeout: err instanceof WaitTimeoutError, message: err.message };
}
let unreachable;
try {
  await new PantheonClient('http://127.0.0.1:1').status();
} catch (err) {
  unreachable = err instanceof NodeUnreachableError;
}
// pantheon/oar (when the package exports it): an OAR written by the operator, its checkpoint
// root committed to the chain through the client.
const pkg = JSON.parse(readFileSync(new URL('./node_modules/pantheon/package.json', import.meta.url), 'utf8'));
if (pkg.exports['./oar']) {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const oar = await import('pantheon/oar');
  const writer = await oar.OarWriter.open({ dir: mkdtempSync(join(tmpdir(), 'outside-oar-')), chainId: status.chainId, logId: owner + '/outside-oar', key, create: true });
  const permit = await writer.intend({ actor: 'outside-agent', actorVersion: '1.0.0', payload: { action: 'send report' } });
  await writer.outcome(permit, { payload: { sent: true } });
  const checkpoint = await writer.checkpoint();
  await writer.close();
  const committed = await pantheon.submitCommitment({ logId: owner + '/outside-oar', root: checkpoint.root, treeSize: checkpoint.size, key });
  out.oar = { size: checkpoint.size, status: (await pantheon.waitForTx(committed.txId, 'final', { timeoutMs: 90_000 })).status };
  out.entries.push('./oar');
}
const fresh = generateKeyPair();
Object.assign(out, {
  chainId: status.chainId,
  txId: receipt.txId,
  finalStatus: final.status,
  anchored: proof.anchored,
  verified: result.ok,
  bundleVersion: BUNDLE_VERSION,
  report: reportText(result).split('\\n')[0],
  timeout,
  unreachable,
  freshPublicKeyBytes: fresh.publicKey.length,
});
console.log(JSON.stringify(out));
`,
    );
    const r = run(process.execPath, ['program.mjs', nodeUrl, join(work, 'net', 'treasury.key'), join(work, 'net', 'genesis.json')], project);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.entries.sort()).toEqual(entries.sort());
    expect(out.txId).toMatch(/^[0-9a-f]{64}$/);
    expect(out.finalStatus).toBe('final');
    expect(out.anchored).toBe(false);
    expect(out.verified).toBe(true);
    expect(out.bundleVersion).toBe(2);
    expect(out.timeout).toMatchObject({ name: 'WaitTimeoutError', isTimeout: true });
    expect(out.timeout.message).toContain('is an anchorer configured on this network?');
    expect(out.unreachable).toBe(true);
    expect(out.freshPublicKeyBytes).toBe(1952);
    if (pkg.exports['./oar']) expect(out.oar).toEqual({ size: 2, status: 'final' });
  }, 180_000);

  it('type-checks a TypeScript consumer against the shipped declarations', () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      `
import { PantheonClient, type TxStatus, type WaitOptions } from 'pantheon';
import { verifyBundle, type VerifyResult } from 'pantheon/verify';
import { OarWriter, type OarWriterOptions } from 'pantheon/oar';
export const openRecord = (options: OarWriterOptions): Promise<OarWriter> => OarWriter.open(options);
const client = new PantheonClient('http://127.0.0.1:28000');
const options: WaitOptions = { timeoutMs: 1000 };
export async function check(id: string): Promise<boolean> {
  const s: TxStatus = await client.waitForTx(id, 'final', options);
  const { bundle } = await client.proof(s.txId);
  const r: VerifyResult = verifyBundle(bundle, { genesisHash: 'ab'.repeat(32) });
  return r.ok;
}
// @ts-expect-error: the wait target is checked by the declarations
client.waitForTx('x', 'confirmed');
`,
    );
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, lib: ['ES2022', 'DOM'], types: ['node'], typeRoots: [join(REPO, 'node_modules', '@types')] }, files: ['consumer.ts'] }));
    const tsc = run(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
    expect(tsc.code, tsc.stdout + tsc.stderr).toBe(0);
  }, 120_000);
});
