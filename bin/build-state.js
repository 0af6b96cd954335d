// Is dist/ (the compiled CLI and SDK) present and newer than the TypeScript sources?
// Plain JavaScript because it runs before any build exists: from bin/pantheon.js on every
// start (refuse a stale build), and from bin/build.js --if-stale. A packed or installed
// package carries no sources, so there only the build's presence is checked.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
export const DIST = join(ROOT, 'dist');
/** Written by bin/build.js after tsc succeeds: { startedAtMs, sourceDirs }. */
export const STAMP = join(DIST, 'build.json');

/** The newest .ts file under `dirs` (relative to the package root), or undefined if none. */
function newestSource(dirs) {
  let newest;
  const visit = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // a source folder that is not there (an installed package has none)
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'dist') visit(path);
      } else if (e.name.endsWith('.ts')) {
        const mtimeMs = statSync(path).mtimeMs;
        if (!newest || mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
      }
    }
  };
  for (const d of dirs) visit(join(ROOT, d));
  return newest;
}

/**
 * Undefined when the build can run; otherwise why not, in words for the operator.
 * Costs one directory walk of the sources (a few milliseconds).
 */
export function buildProblem() {
  if (!existsSync(STAMP)) return 'pantheon is not built (no dist/build.json): run `npm run build` in ' + ROOT + ' (`npm ci` runs it)';
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch (err) {
    return `dist/build.json is unreadable (${err.message}): run \`npm run build\` in ${ROOT}`;
  }
  const newest = newestSource(stamp.sourceDirs ?? []);
  if (newest && newest.mtimeMs > stamp.startedAtMs) {
    return `the build in dist/ is older than the sources (${relative(ROOT, newest.path)} changed after it): run \`npm run build\` in ${ROOT}`;
  }
  return undefined;
}
