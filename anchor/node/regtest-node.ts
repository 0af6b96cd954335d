// Starts a real regtest Bitcoin node as a child process for tests and the devnet: bitcoind
// when it is on PATH or named by $BITCOIND, otherwise bcoin via anchor/bcoin-process.ts.
// Both serve bitcoind's JSON-RPC on loopback; the caller gets a BitcoinRpc and never has to
// know which one ran (it is logged, and reported in `implementation`).
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { BitcoinRpc } from './rpc.ts';

export type RegtestImplementation = 'bitcoind' | 'bcoin';

export interface RegtestNodeOptions {
  /** Where the node keeps its chain, and node.log. */
  dataDir: string;
  /** bcoin only: keep the chain in memory (fast; lost when the process stops). Default false. */
  memory?: boolean;
  /** Force an implementation; default: bitcoind if found, else bcoin. */
  implementation?: RegtestImplementation;
  rpcPort?: number;
  startTimeoutMs?: number;
  /** Where to report which implementation ran. Default: console.log. */
  log?: (line: string) => void;
}

export interface RegtestNode {
  implementation: RegtestImplementation;
  rpc: BitcoinRpc;
  rpcUrl: string;
  rpcUser: string;
  rpcPassword: string;
  pid: number;
  dataDir: string;
  /** The child's stdout and stderr. */
  logPath: string;
  readLog(): string;
  /** SIGTERM, then SIGKILL after `timeoutMs`. Resolves once the process has exited. */
  stop(timeoutMs?: number): Promise<void>;
}

/** The repository root (the cwd of the launcher, so tsx finds the package), and the launcher beside this file. */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BCOIN_LAUNCHER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bcoin-process.ts');

/** Path of bitcoind from $BITCOIND or PATH, or undefined. */
export function findBitcoind(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = env.BITCOIND ? [env.BITCOIND] : (env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, 'bitcoind'));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  if (env.BITCOIND) throw new Error(`BITCOIND=${env.BITCOIND} is not an executable file`);
  return undefined;
}

/** A TCP port free right now on loopback (another process could still take it before we bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('freePort: no port assigned'))));
    });
  });
}

export async function startRegtestNode(options: RegtestNodeOptions): Promise<RegtestNode> {
  if (!options || typeof options.dataDir !== 'string' || options.dataDir.length === 0) throw new Error('startRegtestNode: dataDir is required');
  const log = options.log ?? ((line: string) => console.log(line));
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const bitcoind = options.implementation === 'bcoin' ? undefined : findBitcoind();
  if (options.implementation === 'bitcoind' && !bitcoind) throw new Error('startRegtestNode: implementation bitcoind requested but no bitcoind on PATH and $BITCOIND unset');
  const implementation: RegtestImplementation = bitcoind ? 'bitcoind' : 'bcoin';
  const rpcPort = options.rpcPort ?? (await freePort());
  const rpcUser = 'pantheon';
  const rpcPassword = randomBytes(16).toString('hex');
  const logPath = path.join(dataDir, 'node.log');

  let child: ChildProcess;
  if (bitcoind) {
    const args = [
      '-regtest',
      `-datadir=${dataDir}`,
      '-server',
      '-txindex',
      '-listen=0',
      '-rpcbind=127.0.0.1',
      '-rpcallowip=127.0.0.1',
      `-rpcport=${rpcPort}`,
      `-rpcuser=${rpcUser}`,
      `-rpcpassword=${rpcPassword}`,
      '-printtoconsole',
      '-fallbackfee=0.0001',
    ];
    child = spawn(bitcoind, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    const args = ['--import', 'tsx', BCOIN_LAUNCHER, '--datadir', dataDir, '--rpcport', String(rpcPort), '--apikey', rpcPassword];
    if (options.memory) args.push('--memory');
    child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  const logStream = createWriteStream(logPath, { flags: 'a' });
  child.stdout?.pipe(logStream, { end: false });
  child.stderr?.pipe(logStream, { end: false });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });

  const rpcUrl = `http://127.0.0.1:${rpcPort}`;
  const rpc = new BitcoinRpc({ url: rpcUrl, user: rpcUser, password: rpcPassword, timeoutMs: 30_000 });
  const readLog = () => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };

  const stop = async (timeoutMs = 10_000): Promise<void> => {
    rpc.close();
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, timeoutMs);
      await exitPromise;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => logStream.end(resolve));
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`startRegtestNode: ${implementation} exited (code ${exited.code}, signal ${exited.signal}) before RPC answered; log tail:\n${readLog().slice(-2000)}`);
    }
    try {
      const chain = await rpc.getChainName();
      if (chain !== 'regtest') throw new Error(`startRegtestNode: node reports chain ${chain}, expected regtest`);
      break;
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('startRegtestNode')) {
        await stop();
        throw err;
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`startRegtestNode: ${implementation} RPC did not answer on ${rpcUrl} in time: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const subversion = await rpc.getNetworkSubversion();
  log(`regtest bitcoin node: ${implementation} ${subversion} pid ${child.pid} rpc ${rpcUrl} data ${dataDir}${options.memory && implementation === 'bcoin' ? ' (memory)' : ''}`);
  return { implementation, rpc, rpcUrl, rpcUser, rpcPassword, pid: child.pid ?? -1, dataDir, logPath, readLog, stop };
}
