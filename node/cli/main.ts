// `pantheon`: one command-line tool for operators, validators and auditors.
import { commandHelp, runCommand, UsageError, type Command } from './command.ts';
import { genesisHashCommand, genesisInit, genesisVerify } from './genesis-commands.ts';
import { keysNew, keysShow } from './key-commands.ts';
import { proofCommand } from './proof-command.ts';
import { verifyCommand } from '../../light-client/cli.ts';
import { logCommand, logKeyChangeCommand, nodeCommand, statusCommand, submitCommand, transferCommand, txCommand } from './node-commands.ts';

const COMMANDS: Command[] = [nodeCommand, submitCommand, logKeyChangeCommand, logCommand, transferCommand, statusCommand, txCommand, proofCommand, verifyCommand, genesisInit, genesisHashCommand, genesisVerify, keysNew, keysShow];

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'pantheon: fix Open Audit Record roots in time, on a BFT chain anchored in Bitcoin.',
    '',
    'Usage: pantheon <command> [options]   (pantheon <command> --help for details)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(topHelp());
    return argv.length === 0 ? 2 : 0;
  }
  // Longest match first: "genesis init" before a bare "genesis".
  const command = COMMANDS.find((c) => {
    const words = c.name.split(' ');
    return words.every((w, i) => argv[i] === w);
  });
  if (!command) {
    const group = COMMANDS.filter((c) => c.name.split(' ')[0] === argv[0]);
    if (group.length > 0 && (argv.length === 1 || argv[1].startsWith('-'))) {
      process.stdout.write(`Subcommands of ${argv[0]}:\n${group.map((c) => `  ${c.name}  ${c.summary}`).join('\n')}\n`);
      return argv.includes('--help') || argv.includes('-h') ? 0 : 2;
    }
    process.stderr.write(`pantheon: unknown command "${argv.slice(0, 2).join(' ')}"; run pantheon --help for the list\n`);
    return 2;
  }
  try {
    return await runCommand(command, argv.slice(command.name.split(' ').length));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`pantheon ${command.name}: ${err.message}\n(see pantheon ${command.name} --help)\n`);
      return 2;
    }
    process.stderr.write(`pantheon ${command.name}: ${(err as Error).message}\n`);
    return 1;
  }
}

export { commandHelp };
