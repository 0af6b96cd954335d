// `pantheon`: one command-line tool for operators, validators and auditors.
//
// Each command's module is loaded only when that command runs: `pantheon --help` and
// `--version` then start without loading libp2p, LevelDB or ML-DSA (seconds on a busy
// machine). The summary here is the one `--help` prints; test/cli-behaviour.test.ts checks
// that it matches the command's own.
import { readFileSync } from 'node:fs';
import { commandHelp, jsonRequested, runCommand, UsageError, type Command } from './command.ts';

interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}

export const COMMANDS: CommandEntry[] = [
  { name: 'node', summary: 'Run a Pantheon validator (with --key) or full node.', load: async () => (await import('./node-commands.ts')).nodeCommand },
  { name: 'submit', summary: 'Commit an OAR log root to Pantheon and print the receipt (commitment id).', load: async () => (await import('./node-commands.ts')).submitCommand },
  { name: 'log key-change', summary: 'Hand a log to a new owner key (signed by the current owner key).', load: async () => (await import('./node-commands.ts')).logKeyChangeCommand },
  { name: 'log', summary: "Show a log's history: owner, latest size and root, key changes, and its commitments.", load: async () => (await import('./node-commands.ts')).logCommand },
  { name: 'oar init', summary: 'Create an OAR record for a Pantheon log (the log id is <owner address>/<name>).', load: async () => (await import('./oar-commands.ts')).oarInitCommand },
  { name: 'oar append', summary: 'Append entries from JSON on stdin (one object, or one per line): intents, and outcomes of earlier intents.', load: async () => (await import('./oar-commands.ts')).oarAppendCommand },
  { name: 'oar status', summary: "Show a record's size, root, open intents and checkpoints: the last one, the last final and the last anchored.", load: async () => (await import('./oar-commands.ts')).oarStatusCommand },
  { name: 'oar checkpoint', summary: 'Checkpoint the record into Pantheon now: commit its size and root with the consistency proof, and wait.', load: async () => (await import('./oar-commands.ts')).oarCheckpointCommand },
  { name: 'oar export', summary: 'Export the record (entries, payloads unless --redact, checkpoints and their anchored bundles) into one file for an auditor.', load: async () => (await import('./oar-commands.ts')).oarExportCommand },
  { name: 'oar serve', summary: 'Serve the record writer on a Unix socket (newline-delimited JSON: intend, guard, outcome, status) and checkpoint it into Pantheon.', load: async () => (await import('./oar-commands.ts')).oarServeCommand },
  { name: 'oar prove', summary: 'Write the entry bundle of one OAR entry: the entry, its partner, key changes, paths and the anchored commitment.', load: async () => (await import('./oar-prove-command.ts')).oarProveCommand },
  { name: 'oar prove-consistency', summary: 'Write the RFC 9162 consistency proof between two sizes of a record, for pantheon verify --earlier --consistency.', load: async () => (await import('./oar-prove-command.ts')).oarProveConsistencyCommand },
  { name: 'transfer', summary: 'Send PAN from the account of a key file to an address.', load: async () => (await import('./node-commands.ts')).transferCommand },
  { name: 'status', summary: "Show a node's height, peers, sync progress and mempool.", load: async () => (await import('./node-commands.ts')).statusCommand },
  { name: 'tx', summary: 'Show the status of a transaction or commitment: pending, final at height h, or anchored.', load: async () => (await import('./node-commands.ts')).txCommand },
  { name: 'proof', summary: 'Write the proof bundle of a commitment (JSON, to stdout) for offline verification.', load: async () => (await import('./proof-command.ts')).proofCommand },
  { name: 'verify', summary: 'Verify a proof bundle, an entry bundle or a whole OAR record offline, down to the Bitcoin anchor.', load: async () => (await import('./verify-command.ts')).verifyCommand },
  { name: 'genesis init', summary: 'Create a genesis file and one ML-DSA-65 key file per validator.', load: async () => (await import('./genesis-commands.ts')).genesisInit },
  { name: 'genesis hash', summary: 'Validate a genesis file and print its hash (the value an auditor pins).', load: async () => (await import('./genesis-commands.ts')).genesisHashCommand },
  { name: 'genesis verify', summary: 'Check a genesis file: format, keys, voting power, and a supply of exactly 5,000,000,000 PAN.', load: async () => (await import('./genesis-commands.ts')).genesisVerify },
  { name: 'keys new', summary: 'Create a new ML-DSA-65 key file (mode 0600) and print its address.', load: async () => (await import('./key-commands.ts')).keysNew },
  { name: 'keys show', summary: 'Check a key file and print its address.', load: async () => (await import('./key-commands.ts')).keysShow },
];

/** The package version, from the package.json above this file (sources or dist/). */
export function packageVersion(): string {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8'));
      if (pkg.name === 'pantheon') return pkg.version;
    } catch {
      // not here; go up
    }
    if (dir.pathname === '/') return 'unknown';
  }
}

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'pantheon: fix Open Audit Record roots in time, on a BFT chain anchored in Bitcoin.',
    '',
    'Usage: pantheon <command> [options]   (pantheon <command> --help for details)',
    '       pantheon --version',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Exit codes: 0 success, 1 failure (the node refused, a check failed, a wait timed out), 2 usage error.',
    'With --json, errors are printed as one JSON object {"error": {"kind", "message"}} on stdout.',
    '',
  ].join('\n');
}

/** Prints an error the way the caller asked for it (JSON on stdout with --json) and returns the exit code. */
function reportError(argv: string[], kind: 'usage' | 'failure', message: string, hint?: string): number {
  if (jsonRequested(argv)) process.stdout.write(JSON.stringify({ error: { kind, message } }) + '\n');
  else process.stderr.write(`${message}\n${hint ? `${hint}\n` : ''}`);
  return kind === 'usage' ? 2 : 1;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version') {
    process.stdout.write(jsonRequested(argv) ? JSON.stringify({ pantheon: packageVersion(), node: process.version }) + '\n' : `pantheon ${packageVersion()} (Node.js ${process.version})\n`);
    return 0;
  }
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(topHelp());
    return argv.length === 0 ? 2 : 0;
  }
  // Longest match first: "genesis init" before a bare "genesis".
  const entry = COMMANDS.find((c) => c.name.split(' ').every((w, i) => argv[i] === w));
  if (!entry) {
    const group = COMMANDS.filter((c) => c.name.split(' ')[0] === argv[0]);
    if (group.length > 0 && (argv.length === 1 || argv[1].startsWith('-'))) {
      process.stdout.write(`Subcommands of ${argv[0]}:\n${group.map((c) => `  ${c.name}  ${c.summary}`).join('\n')}\n`);
      return argv.includes('--help') || argv.includes('-h') ? 0 : 2;
    }
    return reportError(argv, 'usage', `pantheon: unknown command "${argv.slice(0, 2).join(' ')}"; run pantheon --help for the list`);
  }
  const command = await entry.load();
  try {
    return await runCommand(command, argv.slice(entry.name.split(' ').length));
  } catch (err) {
    if (err instanceof UsageError) return reportError(argv, 'usage', `pantheon ${command.name}: ${err.message}`, `(see pantheon ${command.name} --help)`);
    return reportError(argv, 'failure', `pantheon ${command.name}: ${(err as Error).message}`);
  }
}

export { commandHelp };
