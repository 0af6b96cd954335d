// The `miner` service of devnet/docker-compose.yml: funds validator 0's anchor wallet with
// regtest coinbases, then mines one block every BLOCK_SECONDS so anchors confirm.
//
// It speaks bitcoind's JSON-RPC (anchor/node/rpc.ts), so the same miner runs against Bitcoin Core
// and against the bcoin image: neither bitcoin-cli nor a password is needed, the credentials
// are read from the node's cookie file on every call (both nodes draw a new one at each start).
// The anchor address is validator 0's node.json field anchorAddress, written once the node has
// detected the Bitcoin network (bcrt1... on Bitcoin Core regtest, rb1... on bcoin). Coinbases
// mature after 100 blocks and segwit activates on regtest after ~432; FUNDING_BLOCKS (510) is
// past both, as in the embedded devnet (devnet/devnet.ts).
//
// Environment: BITCOIN_RPC_URL, BITCOIN_RPC_COOKIE (the cookie file), ANCHOR_NODE_JSON,
//   FUNDING_BLOCKS (default 510), BLOCK_SECONDS (default 5)
// Run: node --import tsx devnet/compose/miner.ts
import { existsSync, readFileSync } from 'node:fs';
import { BitcoinRpc } from '../../anchor/node/rpc.ts';

const say = (line: string) => console.log(`miner: ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`miner: environment variable ${name} is required`);
  return value;
}

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!(value > 0) || !Number.isFinite(value)) throw new Error(`miner: ${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
}

/** validator 0's anchor address, once its node.json has one. */
async function anchorAddress(nodeJson: string): Promise<string> {
  for (;;) {
    if (existsSync(nodeJson)) {
      try {
        const address = JSON.parse(readFileSync(nodeJson, 'utf8')).anchorAddress;
        if (typeof address === 'string' && address.length > 0) return address;
      } catch {
        // written while we read it; try again
      }
    }
    say(`waiting for anchorAddress in ${nodeJson}`);
    await sleep(2_000);
  }
}

async function main(): Promise<void> {
  const url = required('BITCOIN_RPC_URL');
  const cookieFile = required('BITCOIN_RPC_COOKIE');
  const nodeJson = required('ANCHOR_NODE_JSON');
  const fundingBlocks = positiveNumber('FUNDING_BLOCKS', 510);
  const blockMs = positiveNumber('BLOCK_SECONDS', 5) * 1000;
  if (!Number.isInteger(fundingBlocks)) throw new Error(`miner: FUNDING_BLOCKS must be an integer, got ${fundingBlocks}`);
  const rpc = new BitcoinRpc({ url, cookieFile });

  const address = await anchorAddress(nodeJson);
  say(`anchor address ${address}`);
  // The node may still be starting (or restarting, with a new cookie): retry until it answers.
  let height: number | undefined;
  while (height === undefined) {
    height = await rpc.getBlockCount().catch((err: Error) => {
      say(`waiting for ${url}: ${err.message}`);
      return sleep(2_000).then(() => undefined);
    });
  }
  // generatetoaddress takes at most 10,000 blocks per call (anchor/node/rpc.ts); 510 is one call.
  while (height < fundingBlocks) {
    const n = Math.min(fundingBlocks - height, 10_000);
    say(`mining ${n} blocks to fund the anchor wallet`);
    await rpc.generateToAddress(n, address);
    height = await rpc.getBlockCount();
  }
  say(`mining one block every ${blockMs / 1000}s`);
  for (;;) {
    await sleep(blockMs);
    await rpc.generateToAddress(1, address).catch((err: Error) => say(`generatetoaddress failed (${err.message}); retrying`));
  }
}

process.on('SIGTERM', () => process.exit(0));
main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
