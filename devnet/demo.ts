// `npm run demo`: the whole story against the running devnet (or one it starts): an
// operator key, a few OAR roots submitted, final, then anchored in Bitcoin, a proof bundle
// fetched and verified offline, and the verify.html to open with it. Then the seeds' story: an
// agent that acts only under `guard`, its record checkpointed and anchored, and an auditor who
// verifies one decision offline, then the whole record, and sees a tampered copy fail at the
// entry that was changed.
import '../node/p2p/polyfills.ts';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, openSync, readSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { exportRecord, readRecordFile } from '../oar/node/index.ts';
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

function pantheon(args: string[], options: { stdout?: string; exitCodes?: number[] } = {}): string {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'pantheon.js'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (!(options.exitCodes ?? [0]).includes(r.status ?? -1)) throw new Error(`pantheon ${args[0]} failed (exit ${r.status})`);
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
    if (!existsSync(html)) spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'bin', 'build-html.ts')], { stdio: 'ignore' });
    say(`5. to check it in a browser with the network off: open ${html}`);
    say(`   and drop ${proofPath} and ${genesisPath} on it (or type the genesis hash).`);
    say(`   Or again in a terminal: npx pantheon verify ${relative(process.cwd(), proofPath)} --genesis ${relative(process.cwd(), genesisPath)}`);
    await auditorStory(operatorKey, genesisPath, html);
  } finally {
    await started?.stop();
  }
}

/** The agent under guard, its checkpoints anchored, and the auditor with nothing but the files and the genesis. */
async function auditorStory(operatorKey: string, genesisPath: string, html: string): Promise<void> {
  const rel = (p: string) => relative(process.cwd(), p);
  const recordDir = join(dir, 'loan-agent');
  say('');
  say(`6. an AI loan agent (examples/loan-agent.ts) decides under guard: each decision is signed and on disk in`);
  say(`   ${rel(recordDir)} before the bank acts on it, and what the bank did is its outcome; the record is checkpointed into Pantheon`);
  const agent = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'examples', 'loan-agent.ts'), '--dir', recordDir, '--key', operatorKey, '--node', nodeUrl, '--name', 'loans', '--actors', '2', '--every-entries', '40', '--every-ms', '3000'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((done) => agent.once('exit', done));
  let buffer = '';
  let first: { lastAnchored: number | null } | undefined;
  let last: { size: number; decisions: number; lastFinal: number | null; lastAnchored: number | null } | undefined;
  let shown = '';
  agent.stdout!.on('data', (d) => {
    buffer += d;
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      last = JSON.parse(buffer.slice(0, i));
      first ??= last;
      buffer = buffer.slice(i + 1);
    }
  });
  const startedMs = Date.now();
  try {
    for (;;) {
      if (agent.exitCode !== null) throw new Error('the loan agent stopped on its own: see its output above');
      if (last) {
        const line = `${last.decisions} decisions, ${last.size} entries; last final checkpoint ${last.lastFinal ?? '-'}, last anchored ${last.lastAnchored ?? '-'}`;
        if (line.replace(/^\d+ decisions, \d+ entries/, '') !== shown.replace(/^\d+ decisions, \d+ entries/, '')) say(`   ${Math.round((Date.now() - startedMs) / 1000)} s: ${line}`);
        shown = line;
        if ((last.lastAnchored ?? 0) > (first?.lastAnchored ?? 0)) break;
      }
      if (Date.now() - startedMs > 10 * 60_000) throw new Error('no checkpoint anchored after 10 minutes: see the validator-0 log under .devnet/logs');
      await sleep(1000);
    }
  } finally {
    agent.kill('SIGTERM');
    await exited;
  }
  const exportPath = join(dir, 'loans-export.oar');
  await exportRecord(recordDir, exportPath); // the agent's own directory has no oar.json, so the library call rather than pantheon oar export
  say(`7. the operator hands the auditor the record: ${rel(exportPath)} (entries, payloads, checkpoints and their anchored bundles)`);
  const entryPath = join(dir, 'entry-0.json');
  pantheon(['oar', 'prove', '0', '--record', exportPath, '--out', entryPath, '--json']);
  say(`8. one decision, offline: entry 0 and its outcome (${rel(entryPath)}, from pantheon oar prove 0):`);
  process.stdout.write(pantheon(['verify', entryPath, '--genesis', genesisPath]).split('\n').filter((l) => /^(VERIFIED|NOT VERIFIED)/.test(l) || l.includes("payload is the one it sealed")).map((l) => `   ${l}\n`).join(''));
  say(`9. the whole record, offline (pantheon verify ${rel(exportPath)} --genesis ${rel(genesisPath)}):`);
  process.stdout.write(pantheon(['verify', exportPath, '--genesis', genesisPath]).split('\n').filter((l) => l && !l.startsWith('  - ') && l !== 'Proven:' && l !== 'Assumed:').map((l) => `   ${l}\n`).join(''));
  say('   (then what is proven, checkpoint by checkpoint, and what is assumed: run the command to read them)');
  // A copy with one byte of one decision's payload changed: the auditor sees exactly where.
  let target: { offset: number; end: number; sequence: number } | undefined;
  for await (const item of readRecordFile(exportPath)) {
    if (item.type === 'entry' && item.payload && item.signed.entry.sequence >= 7) {
      target = { offset: item.offset, end: item.end, sequence: item.signed.entry.sequence };
      break;
    }
  }
  if (!target) throw new Error('the record has no entry with a payload at 7 or later to change');
  const tamperedPath = join(dir, 'loans-tampered.oar');
  copyFileSync(exportPath, tamperedPath);
  const fd = openSync(tamperedPath, 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, target.end - 3);
  byte[0] = byte[0] === 0x30 ? 0x31 : 0x30; // a digit of the payload's last number, or a '0' in its place
  writeSync(fd, byte, 0, 1, target.end - 3);
  closeSync(fd);
  say(`10. a copy with one byte of entry ${target.sequence}'s payload changed (${rel(tamperedPath)}):`);
  process.stdout.write(pantheon(['verify', tamperedPath, '--genesis', genesisPath], { exitCodes: [1] }).split('\n').slice(1, 3).map((l) => `   ${l}\n`).join(''));
  say(`11. in a browser with the network off: open ${html}`);
  say(`    and drop ${exportPath} (or ${entryPath}, or ${tamperedPath}) and ${genesisPath} on it.`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`demo: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
