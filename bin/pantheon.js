#!/usr/bin/env node
// Entry point of the `pantheon` command: runs the compiled CLI in dist/ (made by
// `npm run build`, which `npm ci` runs). A build older than the sources is refused rather
// than run, so what executes is always what the sources say.
import { buildProblem } from './build-state.js';

const problem = buildProblem();
if (problem) {
  process.stderr.write(`pantheon: ${problem}\n`);
  process.exitCode = 1;
} else {
  const { main } = await import('../dist/node/cli/main.js');
  process.exitCode = await main(process.argv.slice(2));
}
