#!/usr/bin/env node
// Entry point of the `pantheon` command. The sources are TypeScript run through tsx, so the
// command works straight after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../node/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
