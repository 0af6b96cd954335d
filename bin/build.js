#!/usr/bin/env node
// Compiles the package into dist/ (JavaScript, type declarations, source maps) with
// tsconfig.build.json, then writes dist/build.json, which bin/pantheon.js reads to refuse a
// build older than the sources. `npm ci` runs this through the `prepare` script.
//   node bin/build.js             always rebuild, into a fresh dist/
//   node bin/build.js --if-stale  rebuild only when dist/ is missing or older than the sources
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProblem, DIST, ROOT } from './build-state.js';

const ifStale = process.argv.includes('--if-stale');
const problem = buildProblem();
if (ifStale && !problem) process.exit(0);
if (ifStale) process.stderr.write(`building: ${problem}\n`);

// Taken before tsc reads anything, so a source saved during the build counts as newer.
const startedAtMs = Date.now();
const config = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8'));
// Compile into a fresh directory beside dist/ and swap it in at the end: a CLI started during
// the build (or a second build running at the same time) never sees a half-written dist/,
// and no compiled file outlives its source.
const staging = `${DIST}.building-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', staging], { stdio: 'inherit', cwd: ROOT });
if (r.status !== 0) {
  rmSync(staging, { recursive: true, force: true });
  process.stderr.write(`build failed (tsc exit ${r.status ?? r.signal}); dist/ is unchanged\n`);
  process.exit(1);
}
writeFileSync(join(staging, 'build.json'), JSON.stringify({ startedAtMs, sourceDirs: config.include }, null, 2) + '\n');
rmSync(DIST, { recursive: true, force: true });
renameSync(staging, DIST);
