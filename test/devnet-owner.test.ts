// A devnet directory has one owner process (devnet/owner.ts): a second `npm run devnet`
// refuses with a clear message, and `npm run demo` waits for a devnet that is starting
// instead of starting another and failing on the Bitcoin node's LevelDB lock. The owners
// here are real processes (a child that sleeps), so liveness is checked as in use.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimDevnet, DevnetBusyError, markDevnetRunning, readDevnetOwner, releaseDevnet, waitForStartingDevnet } from '../devnet/owner.ts';
import { startDevnet } from '../devnet/devnet.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function sleeper(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
  children.push(child);
  return new Promise((resolve) => child.once('spawn', () => resolve(child)));
}

const exited = (child: ChildProcess) => new Promise<void>((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once('exit', () => done())));

function ownedBy(dir: string, pid: number, state = 'starting') {
  writeFileSync(join(dir, 'devnet.json'), JSON.stringify({ pid, state, startedAtMs: Date.now() }) + '\n');
}

describe('devnet ownership', () => {
  it('claims, marks running and releases its own directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-owner-'));
    claimDevnet(dir);
    expect(readDevnetOwner(dir)).toMatchObject({ pid: process.pid, state: 'starting' });
    markDevnetRunning(dir);
    expect(readDevnetOwner(dir)?.state).toBe('running');
    releaseDevnet(dir);
    expect(existsSync(join(dir, 'devnet.json'))).toBe(false);
  });

  it('refuses a directory a live process is starting, and takes over from a dead one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-owner-'));
    const other = await sleeper();
    ownedBy(dir, other.pid!);
    expect(() => claimDevnet(dir)).toThrow(DevnetBusyError);
    expect(() => claimDevnet(dir)).toThrow(`a devnet is already starting in ${dir} (pid ${other.pid})`);
    other.kill('SIGKILL');
    await exited(other);
    expect(readDevnetOwner(dir)).toBeUndefined();
    claimDevnet(dir);
    expect(readDevnetOwner(dir)?.pid).toBe(process.pid);
    releaseDevnet(dir);
  });

  it('startDevnet refuses (before --reset deletes anything) while another process owns the directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-owner-'));
    const other = await sleeper();
    ownedBy(dir, other.pid!);
    writeFileSync(join(dir, 'keep.txt'), 'state of the running devnet');
    await expect(startDevnet({ dir, reset: true, say: () => undefined })).rejects.toThrow(/a devnet is already starting/);
    expect(existsSync(join(dir, 'keep.txt'))).toBe(true);
  });

  it('the demo waits for a starting devnet until it answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-owner-'));
    const other = await sleeper();
    ownedBy(dir, other.pid!);
    const lines: string[] = [];
    let probes = 0;
    await waitForStartingDevnet(dir, async () => ++probes >= 3, { timeoutMs: 60_000, pollMs: 10, say: (l) => lines.push(l) });
    expect(probes).toBe(3);
    expect(lines).toEqual([`a devnet is starting in ${dir} (pid ${other.pid}): waiting until it answers (up to 60 s)`]);
  });

  it('the demo stops waiting when the starting devnet exits, and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-owner-'));
    const other = await sleeper();
    ownedBy(dir, other.pid!);
    const wait = waitForStartingDevnet(dir, async () => false, { timeoutMs: 60_000, pollMs: 10 });
    other.kill('SIGKILL');
    await expect(wait).rejects.toThrow(`the devnet starting in ${dir} (pid ${other.pid}) stopped before it answered`);
  });
});
