// OAR checkpoints into Pantheon on the embedded devnet (four validator processes, a real regtest
// Bitcoin node, an anchorer): the example loan agent (examples/loan-agent.ts, a separate
// process using `pantheon/oar` and `pantheon/client`) keeps deciding under `guard` while its
// checkpoints become final and then anchored; the validator it talks to is stopped and
// restarted in the middle, which delays checkpoints but never stops the agent's intents and
// loses nothing. Then the record verifies end to end, the journal beside it holds each
// checkpoint's commitment id and status, and the export carries the anchored bundles, which
// verify offline and name the record's own log id, size and root; the whole export audits in
// the CLI and in verify.html with the same report.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../protocol/bytes.ts';
import { api, PantheonClient, readKeyFile } from '../node/client.ts';
import { startNodeProcess, stopNodeProcess, waitFor, REPO_ROOT } from '../devnet/processes.ts';
import { startDevnet, type Devnet } from '../devnet/devnet.ts';
import { Checkpointer, OarWriter, exportRecord, readCheckpointJournal, readRecordFile, recordPath, verifyRecord, fileChunks } from '../oar/node/index.ts';
import { verifyBundle } from '../light-client/index.ts';
import { decodeTx } from '../protocol/tx.ts';
import { pantheon } from './helpers/cli.ts';
import { auditRecordInPage, openVerifyPage, reportBody } from './helpers/verify-page.ts';

const dir = mkdtempSync(join(tmpdir(), 'pantheon-oar-checkpoints-'));
const portBase = 31_000 + Math.floor(Math.random() * 1500);
let devnet: Devnet;
let operatorKey: string;
let agent: ChildProcess | undefined;
const lines: any[] = [];
const recordDir = join(dir, 'record');

beforeAll(async () => {
  devnet = await startDevnet({ dir: join(dir, 'devnet'), blockSeconds: 1, anchorIntervalSeconds: 5, anchorConfirmations: 2, p2pPortBase: portBase, httpPortBase: portBase + 100, say: () => undefined });
  operatorKey = join(dir, 'operator.key');
  expect(pantheon(['keys', 'new', '--out', operatorKey]).code).toBe(0);
  const operator = JSON.parse(pantheon(['keys', 'show', operatorKey, '--json']).stdout).address;
  const funded = pantheon(['transfer', '--to', operator, '--amount', '10000000000', '--key', devnet.treasuryKeyPath, '--node', devnet.urls[1], '--wait', 'final']);
  expect(funded.code, funded.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  agent?.kill('SIGKILL');
  await devnet?.stop();
});

const latest = () => lines.at(-1) ?? {};

describe('OAR checkpoints on the devnet', () => {
  it('the example agent keeps appending while its checkpoints become final, then anchored, across a node restart', async () => {
    agent = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'examples', 'loan-agent.ts'), '--dir', recordDir, '--key', operatorKey, '--node', devnet.urls[1], '--actors', '3', '--every-entries', '40', '--every-ms', '2000'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    agent.stderr!.on('data', (d) => (stderr += d));
    let buffer = '';
    agent.stdout!.on('data', (d) => {
      buffer += d;
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        lines.push(JSON.parse(buffer.slice(0, i)));
        buffer = buffer.slice(i + 1);
      }
    });
    const exited = new Promise<number | null>((done) => agent!.once('exit', done));
    const running = () => {
      if (agent!.exitCode !== null) throw new Error(`the agent exited: ${stderr}`);
    };

    // A first checkpoint becomes final while the agent keeps deciding.
    await waitFor('a final checkpoint', () => (running(), latest().lastFinal > 0), 90_000, 250);

    // Stop the validator the agent talks to: intents go on, checkpoints wait.
    const node = devnet.nodes[1];
    await stopNodeProcess(node);
    const down = latest();
    await waitFor('the agent to notice the node is down', () => (running(), latest().lastError ? latest() : undefined), 60_000, 250);
    const stillDown = await waitFor('the agent to seal more entries while the node is down', () => (running(), latest().size > down.size + 20 ? latest() : undefined), 60_000, 250);
    expect(stillDown.lastFinal).toBe(down.lastFinal); // nothing became final without the node
    console.log(`node down: the record grew from ${down.size} to ${stillDown.size} entries; longest intend so far ${stillDown.intendMsMax} ms; error seen: ${stillDown.lastError}`);

    // Restart it on the same data: checkpoints resume, become final past the outage, then anchored.
    devnet.nodes[1] = startNodeProcess(node.spec);
    await waitFor('the node to serve again', () => api(devnet.urls[1], '/v1/status'), 90_000, 500);
    const finalAfter = await waitFor('a checkpoint after the outage to be final', () => (running(), latest().lastFinal > stillDown.size ? latest() : undefined), 120_000, 250);
    await waitFor('a checkpoint after the outage to be anchored', () => (running(), latest().lastAnchored >= finalAfter.lastFinal ? latest() : undefined), 180_000, 500);

    agent.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);
    const done = lines.at(-1);
    expect(done.done).toBe(true);
    expect(done.openIntents).toBe(0);
    console.log(`agent: ${done.decisions} decisions, ${done.size} entries, last final ${done.lastFinal}, last anchored ${done.lastAnchored}, longest intend ${done.intendMsMax} ms`);

    // Nothing lost: every decision the agent completed is an intent and an outcome in a record that verifies.
    const summary = await verifyRecord(fileChunks(recordPath(recordDir)), { signatures: 'all' });
    expect(summary.entries).toBe(done.size);
    expect(summary.intents).toBe(done.decisions);
    expect(summary.outcomes).toBe(done.decisions);
    expect(summary.openIntents).toEqual([]);

    // A checkpoint may still be in flight when the agent stops: a writer reopened later (a restart)
    // picks it up from the journal, finds it on the chain and marks it final.
    const pending = [...readCheckpointJournal(recordDir).values()].filter((r) => r.status === 'pending');
    expect(pending.length).toBeLessThanOrEqual(1);
    if (pending.length === 1) {
      const writer = await OarWriter.open({ dir: recordDir, chainId: summary.chainId, key: readKeyFile(operatorKey), history: true });
      const checkpointer = await Checkpointer.start({ writer, chain: new PantheonClient(devnet.urls[2]), everyEntries: 1e9, everyMs: 1e9, pollMs: 300 });
      await checkpointer.waitFor(pending[0].size, 'final', 60_000);
      await checkpointer.stop();
      await writer.close();
    }

    // The journal beside the record: commitment ids and statuses, anchored ones with a bundle in the record.
    const journal = [...readCheckpointJournal(recordDir).values()].sort((a, b) => a.size - b.size);
    const anchored = journal.filter((r) => r.status === 'anchored');
    expect(anchored.length).toBeGreaterThan(0);
    for (const r of journal.filter((x) => x.status === 'final' || x.status === 'anchored')) expect(r.commitmentId).toMatch(/^[0-9a-f]{64}$/);
    const chainLog = await api(devnet.urls[0], `/v1/log/${summary.logId.split('/').map(encodeURIComponent).join('/')}`);
    expect(Number(chainLog.size)).toBe(Math.max(...journal.filter((r) => r.status === 'final' || r.status === 'anchored').map((r) => r.size)));

    // The export carries the anchored bundles; each verifies offline and commits this record's root.
    const out = join(dir, 'export.oar');
    await exportRecord(recordDir, out);
    const genesis = JSON.parse(readFileSync(devnet.genesisPath, 'utf8'));
    const roots = new Map<number, string>();
    let bundles = 0;
    const anchoredBundles: { size: number; text: string }[] = [];
    for await (const item of readRecordFile(out)) {
      if (item.type === 'checkpoint') roots.set(item.size, bytesToHex(item.root));
      if (item.type !== 'bundle') continue;
      bundles++;
      const bundle = JSON.parse(new TextDecoder().decode(item.bundle));
      anchoredBundles.push({ size: item.size, text: new TextDecoder().decode(item.bundle) });
      const result = verifyBundle(bundle, { genesis, nowMs: Date.now(), minBtcConfirmations: 2 }); // the devnet here attests after 2 regtest confirmations
      expect(result.ok, JSON.stringify(result)).toBe(true);
      const tx = decodeTx(new Uint8Array(Buffer.from(bundle.commitment.tx, 'base64')));
      expect(bundle.anchor).toBeDefined();
      expect(tx.payload).toMatchObject({ kind: 'commitment', logId: summary.logId, treeSize: BigInt(item.size) });
      expect(bytesToHex((tx.payload as { root: Uint8Array }).root)).toBe(roots.get(item.size));
    }
    expect(bundles).toBe(anchored.length);
    const exported = await verifyRecord(fileChunks(out), { signatures: 'all' });
    expect(exported.checkpoints.filter((c) => c.bundles === 1).length).toBe(bundles);

    // One decision of the agent, proved from its record down to Bitcoin offline (docs/entry-bundle.md):
    // entry 0 (an intent) with its outcome, in full and redacted; a changed salt fails at its step.
    const proofs = [join(dir, 'entry-0.json'), join(dir, 'entry-0-redacted.json')];
    expect(pantheon(['oar', 'prove', '0', '--record', recordDir, '--out', proofs[0]]).code).toBe(0);
    expect(pantheon(['oar', 'prove', '0', '--record', out, '--redact', '--out', proofs[1]]).code).toBe(0);
    for (const proof of proofs) {
      const verified = pantheon(['verify', proof, '--genesis', devnet.genesisPath, '--min-confirmations', '2']);
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      expect(verified.stdout).toMatch(new RegExp(`^VERIFIED: entry 0 of log ${summary.logId}, an intent by actor \\S+ \\S+, was recorded before its outcome \\(entry \\d+, (done|failed)\\), and existed before Bitcoin block [0-9a-f]{64}`, 'm'));
    }
    // Two anchored commitments of the log, one history: the consistency proof comes from the record.
    expect(anchoredBundles.length).toBeGreaterThanOrEqual(2);
    const [earlier, later] = [anchoredBundles[0], anchoredBundles.at(-1)!];
    writeFileSync(join(dir, 'earlier.json'), earlier.text);
    writeFileSync(join(dir, 'later.json'), later.text);
    const consistency = pantheon(['oar', 'prove-consistency', '--record', out, '--from', String(earlier.size), '--to', String(later.size), '--out', join(dir, 'consistency.json')]);
    expect(consistency.code, consistency.stderr).toBe(0);
    const history = pantheon(['verify', join(dir, 'later.json'), '--earlier', join(dir, 'earlier.json'), '--consistency', join(dir, 'consistency.json'), '--genesis', devnet.genesisPath, '--min-confirmations', '2']);
    expect(history.code, history.stdout + history.stderr).toBe(0);
    expect(history.stdout).toMatch(new RegExp(`^ONE HISTORY: .*${earlier.size}.*${later.size}`, 'm'));

    const tampered = JSON.parse(readFileSync(proofs[0], 'utf8'));
    tampered.entry.payload.salt = Buffer.from(Buffer.from(tampered.entry.payload.salt, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64');
    writeFileSync(proofs[0], JSON.stringify(tampered));
    const refused = pantheon(['verify', proofs[0], '--genesis', devnet.genesisPath, '--min-confirmations', '2']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('NOT VERIFIED: step "entry-payload" failed');

    // The whole export audited offline as an auditor does (docs/record-audit.md): in the CLI, then in verify.html, with the same report.
    const audited = pantheon(['verify', out, '--genesis', devnet.genesisPath, '--min-confirmations', '2', '--json']);
    expect(audited.code, audited.stdout).toBe(0);
    expect(JSON.parse(audited.stdout)).toMatchObject({ ok: true, kind: 'record', logId: summary.logId, entries: exported.entries, anchoredCheckpoints: bundles, openIntents: [] });
    const text = pantheon(['verify', out, '--genesis', devnet.genesisPath, '--min-confirmations', '2']);
    expect(text.code).toBe(0);
    console.log(text.stdout.split('\n').slice(0, 2).join('\n'));
    const vp = await openVerifyPage();
    try {
      const inPage = await auditRecordInPage(vp.page, 'export.oar', readFileSync(out), readFileSync(devnet.genesisPath, 'utf8'), 2);
      expect(inPage.headline.verdict).toBe('VALID');
      expect(reportBody(inPage.report)).toBe(reportBody(text.stdout));
      expect(vp.aborted).toEqual([]);
      expect(vp.consoleErrors).toEqual([]);
    } finally {
      await vp.browser.close();
    }
  }, 600_000);

  it('pantheon oar checkpoint commits a record made with the CLI and waits until it is final; oar status shows it', () => {
    const cliDir = join(dir, 'cli-record');
    const init = pantheon(['oar', 'init', '--dir', cliDir, '--name', 'cli-loans', '--key', operatorKey, '--node', devnet.urls[2], '--json']);
    expect(init.code, init.stdout + init.stderr).toBe(0);
    const appended = pantheon(['oar', 'append', '--dir', cliDir, '--json'], { input: ['A-1', 'A-2', 'A-3'].map((a) => JSON.stringify({ actor: 'cli-agent', actorVersion: '1', payload: { applicant: a } })).join('\n') });
    expect(appended.code, appended.stderr).toBe(0);
    const checkpoint = pantheon(['oar', 'checkpoint', '--dir', cliDir, '--wait', 'final', '--timeout', '90', '--json']);
    expect(checkpoint.code, checkpoint.stdout + checkpoint.stderr).toBe(0);
    const rec = JSON.parse(checkpoint.stdout);
    expect(rec).toMatchObject({ size: 3, status: 'final', previousSize: 0, committed: { size: 3 } });
    const status = JSON.parse(pantheon(['oar', 'status', '--dir', cliDir, '--json']).stdout);
    expect(status.lastFinal).toMatchObject({ size: 3, commitmentId: rec.commitmentId });
    // A second checkpoint with nothing new is the same one; after more entries it extends it with a consistency proof.
    expect(pantheon(['oar', 'append', '--dir', cliDir], { input: JSON.stringify({ actor: 'cli-agent', actorVersion: '1', payload: 'A-4' }) }).code).toBe(0);
    const second = pantheon(['oar', 'checkpoint', '--dir', cliDir, '--json']);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ size: 4, status: 'final', previousSize: 3 });
  }, 240_000);
});
