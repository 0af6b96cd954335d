// Logs: one JSON object per line (for machines), or a readable line when stderr is a terminal.
// Fields such as height, round and peer go in as fields, never inside the message text.
export type LogFields = Record<string, unknown>;
export type Logger = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: LogFields) => void;

export function createLogger(component: string, options: { pretty?: boolean; debug?: boolean; write?: (line: string) => void } = {}): Logger {
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  return (level, msg, fields = {}) => {
    if (level === 'debug' && !options.debug) return;
    const time = new Date().toISOString();
    const clean = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));
    if (pretty) {
      const extras = Object.entries(clean).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
      write(`${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} [${component}] ${msg}${extras ? ' ' + extras : ''}`);
    } else {
      write(JSON.stringify({ time, level, component, msg, ...clean }));
    }
  };
}
