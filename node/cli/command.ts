// The small command framework behind `pantheon`: each subcommand declares its flags once,
// and help text, flag parsing and error reporting come from that one declaration.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** One line per flag, shown by --help. */
  details?: string;
  options: Options;
  positionals?: { min: number; max: number };
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number>;
}

/** A mistake in how the command was called: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

export function commandHelp(c: Command): string {
  return `${c.summary}\n\nUsage: ${c.usage}\n${c.details ? `\n${c.details}\n` : ''}`;
}

export async function runCommand(c: Command, argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(commandHelp(c));
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: c.options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { min, max } = c.positionals ?? { min: 0, max: 0 };
  // Checked here once for every command that talks to a node.
  if (typeof parsed.values.node === 'string') parsed.values.node = parseNodeUrl(parsed.values.node);
  if (parsed.positionals.length < min) throw new UsageError(`missing argument; usage: ${c.usage}`);
  if (parsed.positionals.length > max) throw new UsageError(`unexpected argument "${parsed.positionals[max]}"; usage: ${c.usage}`);
  return c.run(parsed.values as Record<string, string | boolean | string[] | undefined>, parsed.positionals);
}

export function requireString(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export function parsePositiveInt(text: string, flag: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^[1-9][0-9]*$/.test(text) || Number(text) > max) throw new UsageError(`--${flag} must be an integer from 1 to ${max}, got "${text}"`);
  return Number(text);
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
}

/** True when the command line asks for machine output: errors are then JSON too. */
export function jsonRequested(argv: string[]): boolean {
  return argv.includes('--json');
}

/**
 * --node: an http(s) URL with its scheme. "localhost:28000" would otherwise parse as a URL
 * whose scheme is "localhost:" and fail later as "cannot reach".
 */
export function parseNodeUrl(text: string): string {
  if (!/^https?:\/\//i.test(text)) {
    throw new UsageError(`--node must be a URL with its scheme, e.g. http://${text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '') || '127.0.0.1:28000'}; got "${text}"`);
  }
  try {
    new URL(text);
    return text;
  } catch {
    throw new UsageError(`--node is not a valid URL: "${text}"`);
  }
}

/** A 32-byte id or hash as 64 hex digits in either case; returned in lower case, the form the API uses. */
export function parseHex32(text: string, what: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new UsageError(`${what} must be 64 hex digits, got "${text}"`);
  return text.toLowerCase();
}

/** --timeout SECONDS for a --wait: a positive integer, or the default. */
export function parseTimeoutMs(value: unknown, defaultSeconds: number): number {
  if (value === undefined) return defaultSeconds * 1000;
  return parsePositiveInt(String(value), 'timeout', 7 * 24 * 3600) * 1000;
}

/**
 * Progress of a wait on stderr. On a terminal one line is rewritten in place; otherwise
 * (a log file, CI, a pipe) a line is written when the state changes, and every 30 s.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): { update(text: string): void; done(): void } {
  const tty = stream.isTTY === true;
  const heartbeatMs = 30_000;
  let last = '';
  let lastWrittenMs = 0;
  let wrote = false;
  return {
    update(text: string) {
      if (tty) {
        stream.write(`\r${text}  `);
        wrote = true;
        return;
      }
      const state = text.replace(/\(\d+ s\)/, '');
      const now = Date.now();
      if (state !== last || now - lastWrittenMs >= heartbeatMs) {
        stream.write(`${text}\n`);
        last = state;
        lastWrittenMs = now;
      }
    },
    done() {
      if (tty && wrote) stream.write('\n');
    },
  };
}
