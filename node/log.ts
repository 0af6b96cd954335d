// Logs through pino: one JSON object per line (for machines), or a readable line when stderr
// is a terminal. Fields such as height, round and peer go in as fields, never inside the
// message text. Levels: error, warn, info (the default: what an operator acts on or wants to
// see once per event), debug (every block, vote, peer event and client hiccup), trace.
//
// Secrets never reach a line: a field whose name says it holds a key, seed or password is
// replaced by "[redacted]" at any depth, and byte arrays are never written out (only their
// length), so a key passed by mistake cannot leak as hex or base64.
import pino from 'pino';

export type LogFields = Record<string, unknown>;
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
/** The node's log call: `log('info', 'committed', { height })`. */
export type Logger = (level: LogLevel, msg: string, fields?: LogFields) => void;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogThreshold = (typeof LOG_LEVELS)[number];

export function isLogThreshold(value: unknown): value is LogThreshold {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

export interface LoggerOptions {
  /** Human-readable lines instead of JSON; default: when stderr is a terminal. */
  pretty?: boolean;
  /** Lowest level written; default info. */
  level?: LogThreshold;
  /** Same as level 'debug' (the older flag). */
  debug?: boolean;
  /** Where lines go (one line per call, without the newline); default stderr, synchronously. */
  write?: (line: string) => void;
}

/** Field names that hold secrets, wherever they appear. */
const SECRET_FIELD = /secret|seed|private|passw|mnemonic|wif|api_?key|cookie|authorization/i;
/** How deep fields are sanitised; deeper values are replaced (logs are not object dumps). */
const FIELD_DEPTH_MAX = 4;

function sanitize(value: unknown, depth: number): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (value instanceof Error) return value.message;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= FIELD_DEPTH_MAX) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => sanitize(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_FIELD.test(k) ? '[redacted]' : sanitize(v, depth + 1)]));
}

/** Public for tests: the fields as they will be written. */
export function sanitizeFields(fields: LogFields): LogFields {
  return sanitize(fields, 0) as LogFields;
}

function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json);
  } catch {
    return json;
  }
  const { time, level, component, msg, ...rest } = o;
  const extras = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${String(time).slice(11, 23)} ${String(level).toUpperCase().padEnd(5)} [${component}] ${msg}${extras ? ' ' + extras : ''}`;
}

export function createLogger(component: string, options: LoggerOptions = {}): Logger {
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  const level: LogThreshold = options.level ?? (options.debug ? 'debug' : 'info');
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const destination = { write: (chunk: string) => write(pretty ? prettyLine(chunk.trimEnd()) : chunk.trimEnd()) };
  const root = pino(
    {
      level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const children = new Map<string, pino.Logger>();
  const child = (name: string) => {
    let c = children.get(name);
    if (!c) children.set(name, (c = root.child({ component: name })));
    return c;
  };
  return (lvl, msg, fields = {}) => {
    if (!root.isLevelEnabled(lvl)) return;
    const { component: override, ...rest } = fields;
    child(typeof override === 'string' ? override : component)[lvl](sanitizeFields(rest), msg);
  };
}
