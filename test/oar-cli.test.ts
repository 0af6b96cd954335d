// `pantheon oar` as an operator runs it, offline (no node needed): init, append from stdin,
// status, export, clear errors; and `pantheon oar serve` on a Unix socket driven by the Python
// example (examples/oar_client.py, standard library only) and by a raw client that disconnects
// inside a guarded action. The records written verify end to end.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileChunks, recordPath, verifyRecord, readRecordFile } from '../oar/node/index.ts';
import { PANTHEON, REPO, pantheon } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'pantheon-oar-cli-'));
const keyPath = join(dir, 'owner.key');
const recordDir = join(dir, 'record');
let serve: ChildProcess | undefined;

afterAll(() => {
  serve?.kill('SIGKILL');
});

function ok(args: string[], input?: string) {
  const r = pantheon(args, { input });
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r;
}

describe('pantheon oar (offline)', () => {
  it('init, append, status and export, with --json and clear errors', async () => {
    ok(['keys', 'new', '--out', keyPath]);
    const address = JSON.parse(ok(['keys', 'show', keyPath, '--json']).stdout).address;
    expect(ok(['oar', '--help']).stdout).toMatch(/oar init[\s\S]*oar serve/);
    expect(ok(['oar', 'serve', '--help']).stdout).toMatch(/"op": "guard"/);

    const init = JSON.parse(ok(['oar', 'init', '--dir', recordDir, '--name', 'loans', '--key', keyPath, '--chain-id', 'pantheon-test-1', '--json']).stdout);
    expect(init.logId).toBe(`${address}/loans`);
    // Errors name what is wrong; usage errors exit 2.
    const again = pantheon(['oar', 'init', '--dir', recordDir, '--name', 'loans', '--key', keyPath, '--chain-id', 'pantheon-test-1']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds an OAR record/);
    const badLog = pantheon(['oar', 'init', '--dir', join(dir, 'x'), '--log', 'acme/loans', '--key', keyPath, '--chain-id', 'pantheon-test-1', '--json']);
    expect(badLog.code).toBe(2);
    expect(JSON.parse(badLog.stdout).error.message).toMatch(/log id "acme\/loans": must be <owner pan1 address>\/<name>/);
    const noRecord = pantheon(['oar', 'status', '--dir', join(dir, 'nothing')]);
    expect(noRecord.code).toBe(2);
    expect(noRecord.stderr).toMatch(/is not an OAR record directory \(no oar.json\); create one with pantheon oar init/);

    const first = ok(['oar', 'append', '--dir', recordDir], JSON.stringify({ actor: 'credit-agent', actorVersion: 'v3', payload: { applicant: 'A-1', proposal: 'deny' } }));
    const permit = JSON.parse(first.stdout);
    expect(permit).toMatchObject({ sequence: 0, actor: 'credit-agent' });
    const lines = [JSON.stringify({ kind: 'outcome', permit, payload: { letter: 'sent' } }), JSON.stringify({ actor: 'credit-agent', actorVersion: 'v3', payload: 'A-2' })].join('\n');
    const more = JSON.parse(ok(['oar', 'append', '--dir', recordDir, '--json'], lines).stdout);
    expect(more).toMatchObject({ appended: 2, size: 3 });
    const refused = pantheon(['oar', 'append', '--dir', recordDir], { input: JSON.stringify({ kind: 'outcome', permit, payload: 'twice' }) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/entry 1 of 1 refused \(0 appended\): outcome: entry 0 is not an open intent/);
    const notJson = pantheon(['oar', 'append', '--dir', recordDir], { input: '{"actor": ' });
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/stdin line 1 is not JSON/);

    const status = JSON.parse(ok(['oar', 'status', '--dir', recordDir, '--json']).stdout);
    expect(status).toMatchObject({ size: 3, openIntents: 1, lastCheckpoint: null, lastFinal: null, lastAnchored: null });
    expect(ok(['oar', 'status', '--dir', recordDir]).stdout).toMatch(/size\s+3 entries, 1 open intents/);

    const out = join(dir, 'export.oar');
    const exported = JSON.parse(ok(['oar', 'export', '--dir', recordDir, '--out', out, '--redact', '--json']).stdout);
    expect(exported).toMatchObject({ entries: 3, payloadsWithheld: 3 });
    const summary = await verifyRecord(fileChunks(out), { chainId: 'pantheon-test-1' });
    expect(summary.entries).toBe(3);
    expect(summary.payloadsWithheld).toBe(3);
  }, 120_000);

  it('serves the writer on a socket: the Python example decides loans under guard; a client that disconnects mid-action gets a failed outcome', async () => {
    const socketPath = join(dir, 'oar.sock');
    serve = spawn(process.execPath, [PANTHEON, 'oar', 'serve', '--dir', recordDir, '--socket', socketPath, '--no-checkpoints'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    serve.stderr!.on('data', (d) => (stderr += d));
    const listening = await new Promise<any>((resolve, reject) => {
      serve!.stdout!.once('data', (d) => resolve(JSON.parse(String(d).split('\n')[0])));
      serve!.once('exit', (code) => reject(new Error(`oar serve exited ${code}: ${stderr}`)));
    });
    expect(listening).toMatchObject({ listening: socketPath, size: 3 });

    // The record is locked while served: the CLI says by whom.
    const locked = pantheon(['oar', 'append', '--dir', recordDir], { input: JSON.stringify({ actor: 'a', actorVersion: 'b', payload: 1 }) });
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(new RegExp(`held by writer process ${serve.pid}`));

    const py = spawnSync('python3', [join(REPO, 'examples', 'oar_client.py'), '--socket', socketPath, '--loans', '25', '--fail-every', '10'], { encoding: 'utf8', timeout: 60_000 });
    expect(py.status, py.stderr).toBe(0);
    const result = JSON.parse(py.stdout.trim().split('\n').at(-1)!);
    expect(result).toMatchObject({ decisions: 25, failed: 2, size: 3 + 50 });
    expect(result.approved + result.denied).toBe(25);
    expect(result.refused).toMatch(/actor: must be 1-64 bytes/);

    // A raw client: a bad request, an unknown op, then a guard whose connection closes before the outcome.
    const replies: any[] = [];
    await new Promise<void>((resolve, reject) => {
      const socket = connect(socketPath);
      let buffer = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        buffer += d;
        for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
          replies.push(JSON.parse(buffer.slice(0, i)));
          buffer = buffer.slice(i + 1);
          if (replies.length === 3) socket.destroy(); // killed inside its action
        }
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
      socket.write('not json\n{"id":"x","op":"approve"}\n{"id":7,"op":"guard","actor":"crashing-agent","actorVersion":"0.1","payload":{"action":"wire 1000"}}\n');
    });
    expect(replies[0]).toMatchObject({ ok: false, error: { kind: 'input', message: expect.stringMatching(/request: not a JSON object/) } });
    expect(replies[1]).toMatchObject({ id: 'x', ok: false, error: { kind: 'input', message: expect.stringMatching(/op: unknown op "approve"/) } });
    expect(replies[2]).toMatchObject({ id: 7, ok: true, permit: { sequence: 53 } });

    serve.kill('SIGTERM');
    const code = await new Promise((resolve) => serve!.once('exit', resolve));
    expect(code, stderr).toBe(0);
    const summary = await verifyRecord(fileChunks(recordPath(recordDir)), { chainId: 'pantheon-test-1', signatures: 'all' });
    expect(summary.entries, `the service's stderr:\n${stderr}`).toBe(55);
    expect(summary.openIntents.map((i) => i.sequence)).toEqual([2]); // the CLI's intent, still open: only the socket's guard is closed for it
    expect(summary.failedOutcomes).toBe(3);
    let last: any;
    for await (const item of readRecordFile(recordPath(recordDir))) if (item.type === 'entry') last = item;
    expect(last.signed.entry).toMatchObject({ kind: 'outcome', intentSequence: 53, status: 'failed', actor: 'crashing-agent' });
    expect(JSON.parse(new TextDecoder().decode(last.payload.bytes)).error).toMatch(/disconnected before reporting the outcome/);
    expect(readFileSync(join(recordDir, 'oar.json'), 'utf8')).toContain(keyPath);
  }, 120_000);
});
