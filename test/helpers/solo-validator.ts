// A one-validator chain as a real node process: `pantheon genesis init --validators 1` in
// `dir`, the validator's data directory, and the node started and serving its API. For tests
// that need one real node and the treasury's key (HTTP bounds, mempool squatting).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { keyPairFromKeyFile, type KeyPair } from '../../protocol/keys.ts';
import { api } from '../../node/client.ts';
import { nodeAddress, startNodeProcess, waitFor, type NodeProcess, type NodeSpec } from '../../devnet/processes.ts';
import { pantheon } from './cli.ts';

export interface SoloValidator {
  spec: NodeSpec;
  node: NodeProcess;
  chainId: string;
  treasury: KeyPair;
}

/** Starts the node of `spec` and waits until it serves its API (also after a kill -9). */
export async function startAndServe(spec: NodeSpec): Promise<NodeProcess> {
  const node = startNodeProcess(spec);
  await waitFor('the node to serve its API', () => nodeAddress(spec.dataDir) && api(node.url, '/v1/status'), 60_000);
  return node;
}

export async function startSoloValidator(dir: string, o: { port: number; extraArgs?: string[] }): Promise<SoloValidator> {
  const init = pantheon(['genesis', 'init', '--validators', '1', '--out', dir, '--json']);
  expect(init.code, init.stderr).toBe(0);
  const out = JSON.parse(init.stdout);
  const chainId = JSON.parse(readFileSync(out.genesis, 'utf8')).chainId;
  const treasury = keyPairFromKeyFile(JSON.parse(readFileSync(out.treasuryKey, 'utf8')));
  const dataDir = join(dir, 'node-0');
  mkdirSync(dataDir);
  const spec: NodeSpec = { name: 'node-0', dataDir, genesisPath: out.genesis, keyPath: join(dir, 'validator-0.key'), p2pPort: o.port, httpPort: o.port + 1, peers: [], logPath: join(dir, 'node-0.log'), extraArgs: o.extraArgs };
  return { spec, node: await startAndServe(spec), chainId, treasury };
}
