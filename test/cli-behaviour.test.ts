// The `pantheon` command as an operator meets it (issue 16): --version, usage errors exit 2,
// --json errors are JSON, a --node URL without a scheme is refused, hex ids in either case,
// every --wait bounded by --timeout and ended when the node goes away, line-based progress
// when stderr is not a terminal. Against one real validator process (no anchorer).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../anchor/node/regtest-node.ts';
import { nodeAddress, startNodeProcess, stopNodeProcess, waitFor, type NodeProcess } from '../devnet/processes.ts';
import { api } from '../node/client.ts';
import { progressReporter } from '../node/cli/command.ts';
import { COMMANDS } from '../node/cli/main.ts';
import { PANTHEON, pantheon, REPO } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'pantheon-cli-'));
let node: NodeProcess;
let genesisHash: string;
let treasuryKey: string;
let commitmentId: string;
let deadUrl: string;

const parseJson = (text: string) => JSON.parse(text);

beforeAll(async () => {
  const init = pantheon(['genesis', 'init', '--validators', '1', '--out', dir, '--json']);
  expect(init.code, init.stderr).toBe(0);
  const out = parseJson(init.stdout);
  treasuryKey = out.treasuryKey;
  genesisHash = pantheon(['genesis', 'hash', out.genesis]).stdout.trim().split(/\s+/).at(-1)!;
  const [p2pPort, httpPort, closedPort] = await Promise.all([freePort(), freePort(), freePort()]);
  deadUrl = `http://127.0.0.1:${closedPort}`;
  const dataDir = join(dir, 'node');
  mkdirSync(dataDir, { recursive: true });
  node = startNodeProcess({ name: 'validator-0', dataDir, genesisPath: out.genesis, keyPath: join(dir, 'validator-0.key'), p2pPort, httpPort, peers: [], logPath: join(dir, 'node.log') });
  await waitFor('the validator to serve its API', () => nodeAddress(dataDir) && api(node.url, '/v1/status'), 90_000);
}, 120_000);

afterAll(async () => {
  if (node) await stopNodeProcess(node);
});

describe('version and help', () => {
  it('--version prints the package version; with --json as JSON', () => {
    const version = parseJson(readFileSync(join(REPO, 'package.json'), 'utf8')).version;
    const text = pantheon(['--version']);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`pantheon ${version} (Node.js ${process.version})\n`);
    const json = pantheon(['--version', '--json']);
    expect(parseJson(json.stdout)).toEqual({ pantheon: version, node: process.version });
  });

  it('the --help list names every command with its own summary (commands load lazily)', async () => {
    const help = pantheon(['--help']);
    expect(help.code).toBe(0);
    const width = Math.max(...COMMANDS.map((c) => c.name.length));
    for (const entry of COMMANDS) {
      const command = await entry.load();
      expect(command.name).toBe(entry.name);
      expect(entry.summary, `summary of ${entry.name} in node/cli/main.ts`).toBe(command.summary);
      expect(help.stdout).toContain(`${entry.name.padEnd(width)}  ${entry.summary}`);
    }
  });
});

describe('usage errors exit 2 and say what is wrong', () => {
  it('verify --genesis-hash zz is a usage error, not twelve failed steps', () => {
    writeFileSync(join(dir, 'empty.json'), '{}');
    const r = pantheon(['verify', join(dir, 'empty.json'), '--genesis-hash', 'zz']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--genesis-hash must be 64 hex digits');
    expect(r.stdout).toBe('');
    const btc = pantheon(['verify', join(dir, 'empty.json'), '--genesis-hash', 'a'.repeat(64), '--btc-block', 'xyz']);
    expect(btc.code).toBe(2);
    expect(btc.stderr).toContain('--btc-block must be');
  });

  it('a --node URL without a scheme is a usage error that says so', () => {
    for (const args of [['status'], ['tx', 'a'.repeat(64)], ['proof', 'a'.repeat(64)]]) {
      const r = pantheon([...args, '--node', 'localhost:57999']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('--node must be a URL with its scheme, e.g. http://localhost:57999');
      expect(r.stderr).not.toContain('cannot reach');
    }
  });

  it('unknown flags, bad ids and bad timeouts exit 2', () => {
    expect(pantheon(['status', '--bogus']).code).toBe(2);
    expect(pantheon(['tx', 'not-hex']).code).toBe(2);
    expect(pantheon(['proof', 'a'.repeat(63)]).code).toBe(2);
    const t = pantheon(['proof', 'a'.repeat(64), '--wait', 'final', '--timeout', 'soon', '--node', node.url]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('--timeout must be an integer');
    expect(pantheon(['proof', 'a'.repeat(64), '--timeout', '5', '--node', node.url]).code).toBe(2);
    expect(pantheon(['nonsense']).code).toBe(2);
  });
});

describe('--json errors are JSON', () => {
  it('status --json with the node down prints a JSON error and exits 1', () => {
    const r = pantheon(['status', '--json', '--node', deadUrl]);
    expect(r.code).toBe(1);
    const out = parseJson(r.stdout);
    expect(out.error.kind).toBe('failure');
    expect(out.error.message).toContain(`cannot reach the node at ${deadUrl}`);
  });

  it('a usage error with --json is JSON with kind usage and exit 2', () => {
    const r = pantheon(['tx', 'zz', '--json']);
    expect(r.code).toBe(2);
    expect(parseJson(r.stdout)).toEqual({ error: { kind: 'usage', message: 'pantheon tx: the id must be 64 hex digits, got "zz"' } });
  });
});

describe('against a running node without an anchorer', () => {
  it('submit accepts an upper-case --root; tx, proof and verify accept upper-case hex', () => {
    const root = 'AB'.repeat(32);
    const submit = pantheon(['submit', '--name', 'acme/agents', '--root', root, '--size', '3', '--key', treasuryKey, '--node', node.url, '--wait', 'final', '--timeout', '90', '--json']);
    expect(submit.code, submit.stdout + submit.stderr).toBe(0);
    commitmentId = parseJson(submit.stdout).commitmentId;
    expect(commitmentId).toMatch(/^[0-9a-f]{64}$/);
    const tx = pantheon(['tx', commitmentId.toUpperCase(), '--node', node.url, '--json']);
    expect(tx.code, tx.stdout + tx.stderr).toBe(0);
    expect(parseJson(tx.stdout).status).toBe('final');
    const proof = pantheon(['proof', commitmentId.toUpperCase(), '--node', node.url]);
    expect(proof.code, proof.stderr).toBe(0);
    expect(proof.stderr).toContain('proves finality only');
    writeFileSync(join(dir, 'proof.json'), proof.stdout);
    const verify = pantheon(['verify', join(dir, 'proof.json'), '--genesis-hash', genesisHash.toUpperCase(), '--json']);
    expect(verify.code, verify.stdout).toBe(0);
    expect(parseJson(verify.stdout).ok).toBe(true);
  }, 120_000);

  it('proof --wait anchored gives up at --timeout, with line-based progress on a pipe', () => {
    const r = pantheon(['proof', commitmentId, '--node', node.url, '--wait', 'anchored', '--timeout', '3']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('timed out after 3 s waiting until commitment');
    expect(r.stderr).toContain('is an anchorer configured on this network?');
    // stderr is a pipe here, not a terminal: whole lines, no carriage returns.
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).toMatch(/^waiting until anchored: final, not yet anchored \(\d+ s\)\n/m);
  }, 60_000);

  it('submit --wait anchored gives up at --timeout too', () => {
    const r = pantheon(['submit', '--name', 'acme/waits', '--root', 'cd'.repeat(32), '--size', '4', '--key', treasuryKey, '--node', node.url, '--wait', 'anchored', '--timeout', '5', '--json']);
    expect(r.code).toBe(1);
    expect(parseJson(r.stdout).error.message).toMatch(/timed out after 5 s waiting until transaction [0-9a-f]{64} is anchored: it is (pending|final)/);
  }, 60_000);

  // Last: it kills the node.
  it('a wait fails soon after the node goes away instead of waiting out its timeout', async () => {
    const child = spawn(process.execPath, [PANTHEON, 'proof', commitmentId, '--node', node.url, '--wait', 'anchored', '--timeout', '600'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    await waitFor('the first progress line', () => stderr.includes('waiting until anchored'), 60_000, 100);
    const killedAtMs = Date.now();
    node.child.kill('SIGKILL');
    const code = await exited;
    expect(code).toBe(1);
    expect(stderr).toContain(`the node at ${node.url} stopped answering while waiting until commitment ${commitmentId} is anchored`);
    // Bounded by the 5 s unreachable window plus polling, far below the 600 s timeout.
    expect(Date.now() - killedAtMs).toBeLessThan(120_000);
  }, 180_000);
});

describe('the build the command runs', () => {
  // A copy of bin/ beside a dist/ stamp and one source file, so the repository's own build is untouched.
  function layout(): string {
    const root = mkdtempSync(join(tmpdir(), 'pantheon-stale-'));
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'node'));
    for (const f of ['pantheon.js', 'build-state.js']) copyFileSync(join(REPO, 'bin', f), join(root, 'bin', f));
    writeFileSync(join(root, 'package.json'), '{"type": "module"}');
    writeFileSync(join(root, 'node', 'client.ts'), 'export {};\n');
    return root;
  }

  it('refuses to run without a build, saying how to make one', () => {
    const root = layout();
    const r = spawnSync(process.execPath, [join(root, 'bin', 'pantheon.js'), '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('pantheon is not built (no dist/build.json): run `npm run build`');
  });

  it('refuses a build older than the sources, naming the changed file', () => {
    const root = layout();
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist', 'build.json'), JSON.stringify({ startedAtMs: Date.now() - 60_000, sourceDirs: ['node'] }));
    const r = spawnSync(process.execPath, [join(root, 'bin', 'pantheon.js'), '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the build in dist/ is older than the sources (node/client.ts changed after it): run `npm run build`');
    // Built after the last change: it runs (here a stand-in main, since this copy has no compiled CLI).
    writeFileSync(join(root, 'dist', 'build.json'), JSON.stringify({ startedAtMs: Date.now() + 1000, sourceDirs: ['node'] }));
    mkdirSync(join(root, 'dist', 'node', 'cli'), { recursive: true });
    writeFileSync(join(root, 'dist', 'node', 'cli', 'main.js'), 'export async function main(argv) { process.stdout.write(`ran ${argv.join(" ")}`); return 0; }\n');
    const ok = spawnSync(process.execPath, [join(root, 'bin', 'pantheon.js'), '--version'], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('ran --version');
  });
});

describe('progress reporter', () => {
  const stream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, s: { isTTY, write: (t: string) => writes.push(t) } as unknown as NodeJS.WriteStream };
  };

  it('rewrites one line on a terminal', () => {
    const { writes, s } = stream(true);
    const p = progressReporter(s);
    p.update('waiting until final: pending (0 s)');
    p.update('waiting until final: pending (1 s)');
    p.done();
    expect(writes).toEqual(['\rwaiting until final: pending (0 s)  ', '\rwaiting until final: pending (1 s)  ', '\n']);
  });

  it('writes a line per change of state elsewhere', () => {
    const { writes, s } = stream(false);
    const p = progressReporter(s);
    p.update('waiting until final: pending (0 s)');
    p.update('waiting until final: pending (1 s)');
    p.update('waiting until final: final, not yet anchored (2 s)');
    p.done();
    expect(writes).toEqual(['waiting until final: pending (0 s)\n', 'waiting until final: final, not yet anchored (2 s)\n']);
  });
});
