// `npm run demo`: the whole story against the running devnet (or one it starts): an
// operator key, a few OAR roots submitted, final, then anchored in Bitcoin, a proof bundle
// fetched and verified offline, and the verify.html to open with it.
import '../node/polyfills.ts';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { SampleLog } from '../node/commitment-log.ts';
import { consistencyProofToJson } from '../light-client/consistency.ts';
import { bytesToHex } from '../protocol/bytes.ts';
import { api, sleep } from '../node/client.ts';
import { REPO_ROOT } from './processes.ts';
import { HTTP_PORT_BASE, startDevnet, type Devnet } from './devnet.ts';
import { readDevnetOwner, waitForStartingDevnet } from './owner.ts';

const dir = resolve(process.env.PANTHEON_DEVNET_DIR ?? '.devnet');
const nodeUrl = `http://127.0.0.1:${HTTP_PORT_BASE}`;
const say = (line: string) => process.stdout.write(line + '\n');

function pantheon(args: string[], options: { stdout?: string } = {}): string {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'pantheon.js'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`pantheon ${args[0]} failed (exit ${r.status})`);
  if (options.stdout) writeFileSync(options.stdout, r.stdout);
  return r.stdout;
}

async function main(): Promise<void> {
  let started: Devnet | undefined;
  const answers = () => api(nodeUrl, '/v1/status').then(() => true, () => false);
  let running = await answers();
  if (!running && readDevnetOwner(dir)) {
    // `npm run devnet` is still starting in another terminal: use it once it answers.
    await waitForStartingDevnet(dir, answers, { timeoutMs: 300_000, say });
    running = true;
  }
  if (!running) {
    say('no devnet is running: starting one (it stops when the demo ends; use npm run devnet to keep one up)');
    started = await startDevnet({ dir, say: (l) => say(`  ${l}`) });
  }
  try {
    const genesisPath = join(dir, 'genesis.json');
    if (!existsSync(genesisPath)) throw new Error(`a devnet answers at ${nodeUrl}, but ${genesisPath} is missing: run the demo from the directory where npm run devnet was started`);
    const operatorKey = join(dir, 'operator.key');
    if (!existsSync(operatorKey)) pantheon(['keys', 'new', '--out', operatorKey]);
    const operator = JSON.parse(pantheon(['keys', 'show', operatorKey, '--json'])).address;
    say(`1. operator key ${relative(process.cwd(), operatorKey)} (${operator})`);
    const account = await api(nodeUrl, `/v1/account/${operator}`);
    if (BigInt(account.balance) < 1_000_000n) {
      pantheon(['transfer', '--to', operator, '--amount', '10000000000', '--key', join(dir, 'treasury.key'), '--node', nodeUrl, '--wait', 'final', '--json']);
      say('   funded it with 100 PAN from the treasury (fees are paid in PAN)');
    }
    // The log only grows: each root after the first carries a consistency proof from the
    // committed one. The demo's stand-in OAR log (SampleLog) gives the same tree on every run,
    // so a second demo on the same devnet extends the log it left.
    const logId = `${operator}/agent-actions`;
    const tree = new SampleLog(`demo ${logId}`);
    const committed = await api(nodeUrl, `/v1/log/${operator}/agent-actions`).catch(() => undefined);
    let size = committed ? Number(committed.size) : 0;
    if (committed && committed.root !== bytesToHex(tree.root(size))) throw new Error(`log ${logId} on this devnet holds another history than the demo's; use npm run devnet -- --reset`);
    say(`2. submitting three OAR roots of log ${logId}${size ? ` (committed at size ${size})` : ''}`);
    const ids: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const next = size + 100;
      const root = bytesToHex(tree.root(next));
      const args = ['submit', '--log', logId, '--root', root, '--size', String(next), '--key', operatorKey, '--node', nodeUrl, '--json'];
      if (size > 0) {
        const proofPath = join(dir, `consistency-${size}-${next}.json`);
        writeFileSync(proofPath, JSON.stringify(consistencyProofToJson({ logId, fromSize: BigInt(size), fromRoot: tree.root(size), toSize: BigInt(next), toRoot: tree.root(next), proof: tree.consistencyProof(size, next) }), null, 2) + '\n');
        args.push('--consistency', proofPath);
      }
      const receipt = JSON.parse(pantheon(args));
      ids.push(receipt.commitmentId);
      say(`   commitment ${receipt.commitmentId} (tree size ${next}, extends ${size})`);
      size = next;
      // The next root extends this one: wait until it is committed, so the node's record has moved.
      for (let s = await api(nodeUrl, `/v1/tx/${receipt.commitmentId}`); s.status === 'pending'; s = await api(nodeUrl, `/v1/tx/${receipt.commitmentId}`)) await sleep(500);
    }
    say('3. waiting until they are final, then anchored in Bitcoin');
    const startedMs = Date.now();
    let last = '';
    for (;;) {
      const statuses = await Promise.all(ids.map((id) => api(nodeUrl, `/v1/tx/${id}`)));
      const line = statuses.map((s) => s.status + (s.height ? `@${s.height}` : '')).join(', ');
      if (line !== last) {
        say(`   ${Math.round((Date.now() - startedMs) / 1000)} s: ${line}`);
        last = line;
      }
      if (statuses.every((s) => s.status === 'anchored')) break;
      if (Date.now() - startedMs > 10 * 60_000) throw new Error('not anchored after 10 minutes: see the validator-0 log under .devnet/logs');
      await sleep(1000);
    }
    say(`   the log's history, as a monitor sees it (pantheon log ${logId}):`);
    process.stdout.write(pantheon(['log', logId, '--node', nodeUrl]).replace(/^/gm, '     '));
    const proofPath = join(dir, 'proof.json');
    pantheon(['proof', ids[0], '--node', nodeUrl], { stdout: proofPath });
    say(`4. proof bundle written to ${relative(process.cwd(), proofPath)}; verifying it offline:`);
    say('');
    process.stdout.write(pantheon(['verify', proofPath, '--genesis', genesisPath]).replace(/^/gm, '   '));
    say('');
    const html = join(REPO_ROOT, 'light-client', 'dist', 'verify.html');
    if (!existsSync(html)) spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'light-client', 'build-html.ts')], { stdio: 'ignore' });
    say(`5. to check it in a browser with the network off: open ${html}`);
    say(`   and drop ${proofPath} and ${genesisPath} on it (or type the genesis hash).`);
    say(`   Or again in a terminal: npx pantheon verify ${relative(process.cwd(), proofPath)} --genesis ${relative(process.cwd(), genesisPath)}`);
  } finally {
    await started?.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`demo: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
