// Runs the real `pantheon` command as a separate process, as a user would.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const PANTHEON = join(REPO, 'bin', 'pantheon.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function pantheon(args: string[], options: { cwd?: string; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [PANTHEON, ...args], { cwd: options.cwd ?? REPO, input: options.input, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
