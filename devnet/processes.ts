// Starting and stopping `pantheon node` processes on loopback, for the devnet and the
// multi-process tests. Each node is a real, separate OS process with its own data directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..');
const PANTHEON = join(REPO_ROOT, 'bin', 'pantheon.js');

export interface NodeSpec {
  name: string;
  dataDir: string;
  genesisPath: string;
  keyPath?: string;
  p2pPort: number;
  httpPort: number;
  peers: string[];
  logPath: string;
  extraArgs?: string[];
  /** Flags for node itself, before the script (e.g. --cpu-prof). */
  nodeFlags?: string[];
}

export interface NodeProcess {
  spec: NodeSpec;
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

export function startNodeProcess(spec: NodeSpec): NodeProcess {
  // A node.json left by an earlier run would look like this run's: remove it first.
  rmSync(join(spec.dataDir, 'node.json'), { force: true });
  const args = [PANTHEON, 'node', '--data', spec.dataDir, '--genesis', spec.genesisPath, '--listen', `/ip4/127.0.0.1/tcp/${spec.p2pPort}`, '--http', `127.0.0.1:${spec.httpPort}`, '--log-format', 'json'];
  if (spec.keyPath) args.push('--key', spec.keyPath);
  for (const p of spec.peers) args.push('--peer', p);
  args.push(...(spec.extraArgs ?? []));
  const log = createWriteStream(spec.logPath, { flags: 'a' });
  const child = spawn(process.execPath, [...(spec.nodeFlags ?? []), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { spec, child, url: `http://127.0.0.1:${spec.httpPort}`, exited };
}

/** The libp2p address a node wrote to node.json once it was up. */
export function nodeAddress(dataDir: string): string | undefined {
  const path = join(dataDir, 'node.json');
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')).addresses?.[0];
  } catch {
    return undefined;
  }
}

/** Thrown by a waitFor probe when waiting longer cannot help (the process is gone). */
export class WaitAborted extends Error {}

/** Aborts a wait when the node process has exited, quoting the last line of its log. */
export function assertRunning(node: NodeProcess): void {
  if (node.child.exitCode === null && node.child.signalCode === null) return;
  const lines = existsSync(node.spec.logPath) ? readFileSync(node.spec.logPath, 'utf8').trim().split('\n') : [];
  const last = lines.length ? `: ${lines[lines.length - 1]}` : '';
  throw new WaitAborted(`${node.spec.name} exited (${node.child.exitCode ?? node.child.signalCode})${last} (log: ${node.spec.logPath})`);
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      if (err instanceof WaitAborted) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function stopNodeProcess(node: NodeProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return;
  node.child.kill(signal);
  const timer = setTimeout(() => node.child.kill('SIGKILL'), graceMs);
  await node.exited;
  clearTimeout(timer);
}
