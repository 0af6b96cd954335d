// Which process owns a devnet directory, and whether it is still starting. `npm run devnet`
// (or a demo that starts its own) writes DIR/devnet.json with its pid before it starts any
// process and removes it when it stops; a second starter then waits or says why it cannot
// start, instead of failing on the Bitcoin node's LevelDB lock.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type DevnetState = 'starting' | 'running';

export interface DevnetOwner {
  pid: number;
  state: DevnetState;
  startedAtMs: number;
}

const ownerPath = (dir: string) => join(dir, 'devnet.json');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}

/** The live process that owns `dir`, or undefined (none, or it died without cleaning up). */
export function readDevnetOwner(dir: string): DevnetOwner | undefined {
  if (!existsSync(ownerPath(dir))) return undefined;
  let owner: DevnetOwner;
  try {
    owner = JSON.parse(readFileSync(ownerPath(dir), 'utf8'));
  } catch {
    return undefined; // torn write of a process that died: nobody owns it
  }
  if (!Number.isSafeInteger(owner.pid) || owner.pid <= 0) return undefined;
  return alive(owner.pid) ? owner : undefined;
}

export class DevnetBusyError extends Error {}

/** Claims `dir` for this process (state starting); refuses when another live process owns it. */
export function claimDevnet(dir: string): void {
  const owner = readDevnetOwner(dir);
  if (owner && owner.pid !== process.pid) {
    throw new DevnetBusyError(`a devnet is already ${owner.state} in ${dir} (pid ${owner.pid}); stop it first (Ctrl-C in its terminal), or use it (npm run demo waits for it). If no such devnet runs, delete ${ownerPath(dir)}`);
  }
  writeFileSync(ownerPath(dir), JSON.stringify({ pid: process.pid, state: 'starting', startedAtMs: Date.now() } satisfies DevnetOwner) + '\n');
}

export function markDevnetRunning(dir: string): void {
  const owner = readDevnetOwner(dir);
  if (owner?.pid === process.pid) writeFileSync(ownerPath(dir), JSON.stringify({ ...owner, state: 'running' }) + '\n');
}

export function releaseDevnet(dir: string): void {
  if (readDevnetOwner(dir)?.pid === process.pid) rmSync(ownerPath(dir), { force: true });
}

/**
 * Waits until a devnet another process is starting answers `probe`; throws when that
 * process exits first or after timeoutMs.
 */
export async function waitForStartingDevnet(dir: string, probe: () => Promise<boolean>, options: { timeoutMs: number; pollMs?: number; say?: (line: string) => void }): Promise<void> {
  const first = readDevnetOwner(dir);
  if (!first) throw new Error(`no devnet is starting in ${dir}`);
  options.say?.(`a devnet is ${first.state} in ${dir} (pid ${first.pid}): waiting until it answers (up to ${Math.round(options.timeoutMs / 1000)} s)`);
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (!readDevnetOwner(dir)) throw new Error(`the devnet starting in ${dir} (pid ${first.pid}) stopped before it answered; see ${join(dir, 'logs')}`);
    if (Date.now() > deadline) throw new Error(`the devnet in ${dir} (pid ${first.pid}) did not answer within ${Math.round(options.timeoutMs / 1000)} s; see ${join(dir, 'logs')}`);
    await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
  }
}
