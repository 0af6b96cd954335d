// Launcher: runs bcoin (an independent full-node implementation of Bitcoin) on regtest in
// its own process, serving bitcoind's JSON-RPC interface on loopback. anchor/regtest-node.ts
// starts this file when no bitcoind is available; nothing here imitates Bitcoin, it is a
// real node validating real blocks.
//
// Usage: node --import tsx anchor/bcoin-process.ts --datadir DIR --rpcport PORT
//          (--apikey KEY | --cookiefile FILE) [--rpchost HOST] [--memory]
// Prints one line `bcoin-ready <json>` on stdout once RPC is served.
//
// --cookiefile does what bitcoind does when it is given no RPC password: it draws a random
// password at every start, writes `__cookie__:<password>` to FILE (mode 0600) and deletes the
// file on a clean shutdown, so a client reads its credentials from the file (BitcoinRpc's
// cookieFile, bitcoin-cli's -rpccookiefile) instead of from a command line. The compose devnet's
// bcoin image (Dockerfile, target bcoin) runs this with --rpchost 0.0.0.0 and the cookie on the
// volume the anchorer mounts.
import { createRequire } from 'node:module';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);
// bcoin is CommonJS without types; only FullNode's lifecycle is used here.
const bcoin = require('bcoin') as {
  FullNode: new (options: Record<string, unknown>) => BcoinNode;
  version?: string;
};

interface BcoinNode {
  ensure(): Promise<void>;
  open(): Promise<void>;
  connect(): Promise<void>;
  close(): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): void;
}

interface LauncherArgs {
  dataDir: string;
  rpcHost: string;
  rpcPort: number;
  apiKey?: string;
  cookieFile?: string;
  memory: boolean;
  logLevel: string;
}

function parseArgs(argv: string[]): LauncherArgs {
  const values = new Map<string, string>();
  let memory = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--memory') {
      memory = true;
      continue;
    }
    if (!arg.startsWith('--') || i + 1 >= argv.length) throw new Error(`bcoin-process: unexpected argument ${JSON.stringify(arg)}`);
    values.set(arg.slice(2), argv[++i]);
  }
  const known = new Set(['datadir', 'rpchost', 'rpcport', 'apikey', 'cookiefile', 'loglevel']);
  for (const name of values.keys()) if (!known.has(name)) throw new Error(`bcoin-process: unknown option --${name}`);
  const dataDir = values.get('datadir');
  const rpcPort = Number(values.get('rpcport'));
  const apiKey = values.get('apikey');
  const cookieFile = values.get('cookiefile');
  if (!dataDir) throw new Error('bcoin-process: --datadir is required');
  if (!Number.isInteger(rpcPort) || rpcPort <= 0 || rpcPort > 65535) throw new Error(`bcoin-process: --rpcport must be a TCP port, got ${values.get('rpcport')}`);
  if ((apiKey === undefined) === (cookieFile === undefined)) throw new Error('bcoin-process: give exactly one of --apikey and --cookiefile');
  if (apiKey === '') throw new Error('bcoin-process: --apikey is empty');
  return { dataDir, rpcHost: values.get('rpchost') ?? '127.0.0.1', rpcPort, apiKey, cookieFile, memory, logLevel: values.get('loglevel') ?? 'info' };
}

/** bitcoind's cookie: user `__cookie__`, a fresh random password, readable by the owner only. */
function writeCookie(file: string): string {
  const password = randomBytes(32).toString('hex');
  mkdirSync(dirname(file), { recursive: true });
  // Written beside and renamed over, so a client never reads half a cookie (or the last run's
  // cookie, left by a kill -9, once the new one exists).
  const tmp = `${file}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, `__cookie__:${password}`, { mode: 0o600 });
  renameSync(tmp, file);
  return password;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(args.dataDir, { recursive: true });
  const apiKey = args.cookieFile !== undefined ? writeCookie(args.cookieFile) : args.apiKey!;
  const node = new bcoin.FullNode({
    network: 'regtest',
    prefix: args.dataDir,
    memory: args.memory,
    indexTX: true, // getrawtransaction and gettxoutproof need the tx index
    listen: false, // no P2P: the only client is our JSON-RPC
    httpHost: args.rpcHost,
    httpPort: args.rpcPort,
    apiKey,
    // Accept transactions that signal BIP 125 replaceability. bcoin still cannot
    // *replace* a mempool transaction; the anchorer detects that and waits instead.
    replaceByFee: true,
    // Worker processes cost more than they save on a tiny regtest chain.
    workers: false,
    logLevel: args.logLevel,
    logConsole: true,
    logFile: false,
  });
  node.on('error', (err) => console.error('bcoin error:', err));
  await node.ensure(); // creates prefix/regtest/, as bcoin's own bin/node does
  await node.open();
  await node.connect();
  console.log(`bcoin-ready ${JSON.stringify({ implementation: 'bcoin', version: bcoin.version ?? 'unknown', rpcHost: args.rpcHost, rpcPort: args.rpcPort, cookieFile: args.cookieFile, dataDir: args.dataDir, memory: args.memory, pid: process.pid })}`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`bcoin-process: ${signal}, closing`);
    try {
      await node.close();
    } finally {
      if (args.cookieFile !== undefined) rmSync(args.cookieFile, { force: true });
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(`bcoin-process: failed to start: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
