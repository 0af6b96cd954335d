// vitest globalSetup: the tests spawn the real `pantheon` command, which runs the compiled
// dist/ and refuses a build older than the sources. Rebuild once before any test when the
// sources changed since the last build (a no-op after `npm ci` or `npm test`).
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export default function setup(): void {
  const root = resolve(import.meta.dirname, '..', '..');
  const r = spawnSync(process.execPath, [join(root, 'bin', 'build.js'), '--if-stale'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`node bin/build.js --if-stale failed (exit ${r.status ?? r.signal}): the CLI cannot run, so the tests would fail`);
}
