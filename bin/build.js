#!/usr/bin/env node
// Compiles the package into dist/ (JavaScript, type declarations, source maps) with
// tsconfig.build.json, then writes dist/build.json, which bin/pantheon.js reads to refuse a
// build older than the sources. `npm ci` runs this through the `prepare` script.
//   node bin/build.js             always rebuild, from an empty dist/
//   node bin/build.js --if-stale  rebuild only when dist/ is missing or older than the sources
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProblem, DIST, ROOT, STAMP } from './build-state.js';

const ifStale = process.argv.includes('--if-stale');
const problem = buildProblem();
if (ifStale && !problem) process.exit(0);
if (ifStale) process.stderr.write(`building: ${problem}\n`);

// Taken before tsc reads anything, so a source saved during the build counts as newer.
const startedAtMs = Date.now();
const config = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8'));
rmSync(DIST, { recursive: true, force: true }); // no compiled file outlives its source
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT });
if (r.status !== 0) {
  process.stderr.write(`build failed (tsc exit ${r.status ?? r.signal}); dist/ is incomplete and pantheon will refuse to run\n`);
  process.exit(1);
}
writeFileSync(STAMP, JSON.stringify({ startedAtMs, sourceDirs: config.include }, null, 2) + '\n');
