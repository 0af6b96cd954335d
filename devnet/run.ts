// `npm run devnet`: the one-command local network (see devnet/devnet.ts). Prints where
// everything is, shows when the network is up (first block final, first anchor confirmed),
// and stops every process cleanly on Ctrl-C.
import '../node/p2p/polyfills.ts';
import { parseArgs, promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { REPO_ROOT } from './processes.ts';
import { join, resolve } from 'node:path';
import { api, sleep } from '../node/client.ts';
import { startDevnet } from './devnet.ts';

const run = promisify(execFile);

const HELP = `Usage: npm run devnet -- [--dir DIR] [--reset] [--block-seconds N]

Starts four validators, a regtest Bitcoin node, a miner and an anchorer on this machine.
  --dir DIR          where everything is kept (default .devnet)
  --reset            delete DIR first and start a new chain
  --block-seconds N  seconds between regtest blocks (default 2)
A second run resumes from DIR. Ctrl-C stops everything.
`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { dir: { type: 'string', default: '.devnet' }, reset: { type: 'boolean', default: false }, 'block-seconds': { type: 'string', default: '2' }, help: { type: 'boolean', default: false } } }));
  } catch (err) {
    process.stderr.write(`devnet: ${(err as Error).message}\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const blockSeconds = Number(values['block-seconds']);
  if (!Number.isFinite(blockSeconds) || blockSeconds <= 0) {
    process.stderr.write('devnet: --block-seconds must be a positive number\n');
    return 2;
  }
  const dir = resolve(values.dir as string);
  const devnet = await startDevnet({ dir, reset: values.reset as boolean, blockSeconds });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the devnet...\n`);
    await devnet.stop();
    process.stdout.write('stopped. Run npm run devnet again to resume this chain.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  process.stdout.write(
    [
      '',
      `Pantheon devnet (${devnet.bitcoin.implementation} regtest for Bitcoin)`,
      `  genesis hash   ${devnet.genesisHash}   <- auditors pin this`,
      `  genesis        ${devnet.genesisPath}`,
      ...devnet.nodes.map((n, i) => `  validator-${i}    ${n.url}${i === 0 ? '   (anchors into Bitcoin)' : ''}`),
      `  bitcoin RPC    ${devnet.bitcoin.rpcUrl}`,
      `  logs           ${join(dir, 'logs')}/  and  ${devnet.bitcoin.logPath}`,
      `  treasury key   ${devnet.treasuryKeyPath}`,
      '',
      'Try: npm run demo        (in another terminal)',
      '',
    ].join('\n'),
  );
  void selfCheck(devnet.urls[1], dir, devnet.treasuryKeyPath).catch((err) => process.stdout.write(`self-check failed: ${(err as Error).message}\n`));
  const first = devnet.urls[0];
  let announcedBlock = false;
  let announcedAnchor = false;
  while (!stopping) {
    try {
      const s = await api(first, '/v1/status');
      if (!announcedBlock && BigInt(s.height) >= 1n) {
        announcedBlock = true;
        process.stdout.write(`network up: height ${s.height} final (${s.peers} peers)\n`);
      }
      if (!announcedAnchor && s.anchor?.lastAnchoredHeight) {
        announcedAnchor = true;
        process.stdout.write(`anchor confirmed: Pantheon height ${s.anchor.lastAnchoredHeight} is in Bitcoin block ${s.anchor.bitcoinBlockHash} (${s.anchor.confirmations} confirmations)\n`);
      }
    } catch {
      // a node restarting; keep watching
    }
    await sleep(announcedAnchor ? 5000 : 1000);
  }
  return 0;
}

/**
 * Shows the chain of evidence working, end to end: a sample commitment from the treasury,
 * final, anchored, its proof bundle fetched and verified offline by the CLI.
 */
async function selfCheck(nodeUrl: string, dir: string, treasuryKey: string): Promise<void> {
  const cli = (args: string[]) => run(process.execPath, [join(REPO_ROOT, 'bin', 'pantheon.js'), ...args], { maxBuffer: 16 * 1024 * 1024 });
  const root = createHash('sha256').update(`devnet self-check ${Date.now()}`).digest('hex');
  const receipt = JSON.parse((await cli(['submit', '--name', `self-check-${Date.now()}`, '--root', root, '--size', '1', '--key', treasuryKey, '--node', nodeUrl, '--json'])).stdout);
  const proofPath = join(dir, 'self-check-proof.json');
  const bundle = await cli(['proof', receipt.commitmentId, '--node', nodeUrl, '--wait', 'anchored']);
  writeFileSync(proofPath, bundle.stdout);
  const verdict = await cli(['verify', proofPath, '--genesis', join(dir, 'genesis.json')]).then((r) => r.stdout, (err) => (err as { stdout?: string }).stdout ?? '');
  const line = verdict.split('\n').find((l) => /^(VERIFIED|NOT VERIFIED)/.test(l.trim())) ?? 'no verdict';
  process.stdout.write(`self-check: a sample commitment's proof (${proofPath}), verified offline:\n  ${line.trim()}\n`);
}

main().then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (err) => {
    process.stderr.write(`devnet: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
