// Launcher: runs bcoin (an independent full-node implementation of Bitcoin) on regtest in
// its own process, serving bitcoind's JSON-RPC interface on loopback. anchor/regtest-node.ts
// starts this file when no bitcoind is available; nothing here imitates Bitcoin, it is a
// real node validating real blocks.
//
// Usage: node --import tsx anchor/bcoin-process.ts --datadir DIR --rpcport PORT --apikey KEY [--memory]
// Prints one line `bcoin-ready <json>` on stdout once RPC is served.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';

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

function parseArgs(argv: string[]): { dataDir: string; rpcPort: number; apiKey: string; memory: boolean; logLevel: string } {
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
  const dataDir = values.get('datadir');
  const rpcPort = Number(values.get('rpcport'));
  const apiKey = values.get('apikey');
  if (!dataDir) throw new Error('bcoin-process: --datadir is required');
  if (!Number.isInteger(rpcPort) || rpcPort <= 0 || rpcPort > 65535) throw new Error(`bcoin-process: --rpcport must be a TCP port, got ${values.get('rpcport')}`);
  if (!apiKey) throw new Error('bcoin-process: --apikey is required');
  return { dataDir, rpcPort, apiKey, memory, logLevel: values.get('loglevel') ?? 'info' };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(args.dataDir, { recursive: true });
  const node = new bcoin.FullNode({
    network: 'regtest',
    prefix: args.dataDir,
    memory: args.memory,
    indexTX: true, // getrawtransaction and gettxoutproof need the tx index
    listen: false, // no P2P: the only client is our JSON-RPC
    httpHost: '127.0.0.1',
    httpPort: args.rpcPort,
    apiKey: args.apiKey,
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
  console.log(`bcoin-ready ${JSON.stringify({ implementation: 'bcoin', version: bcoin.version ?? 'unknown', rpcPort: args.rpcPort, dataDir: args.dataDir, memory: args.memory, pid: process.pid })}`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`bcoin-process: ${signal}, closing`);
    try {
      await node.close();
    } finally {
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
