// The one helper for files the project writes and reads back (keys, node and anchorer state,
// genesis, bundles, the page). A write goes to a temporary file in the same folder, is
// fsync'd, renamed over the target, and the folder is fsync'd, so a crash (kill -9, power
// loss) leaves either the old file or the new one, never a torn mix. Reads are strict JSON
// (protocol/strict-json.ts). Node-only; imports nothing of ours but protocol/.
//
// A missing file is decided by the caller, by name: `readJsonFile` is for a file that must
// be there (a genesis, a key) and says "file not found"; `readJsonFileIfExists` is for state
// that is created on first use (the anchorer's state, its wallet key) and returns undefined.
// Anything else that goes wrong (unreadable, not JSON, a member named twice) throws in both:
// state is never rebuilt from a guess.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { parseStrictJson } from '../protocol/strict-json.ts';

/** Writes `data` to `path` atomically and durably; `mode` applies to a new file (0o600 for secrets). */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  if (typeof path !== 'string' || path.length === 0) throw new Error('writeFileAtomic: a file path is required');
  mkdirSync(dirname(path), { recursive: true });
  // Hidden, and per process: two writers never share a temporary file.
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const fd = openSync(tmp, 'w', mode);
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** The text of a file that must exist; a missing file is an error naming `what` and the path. */
export function readTextFile(path: string, what: string): string {
  const text = readTextFileIfExists(path);
  if (text === undefined) throw new Error(`${what}: file not found: ${path}`);
  return text;
}

/** The text of a file, or undefined when it does not exist (any other failure throws). */
export function readTextFileIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Strict JSON of a file that must exist: a member named twice is refused, not last-one-wins. */
export function readJsonFile(path: string, what: string): unknown {
  return parseJsonText(readTextFile(path, what), path, what);
}

/** Strict JSON of a file created on first use: undefined when it does not exist yet; damage throws. */
export function readJsonFileIfExists(path: string, what: string): unknown {
  const text = readTextFileIfExists(path);
  return text === undefined ? undefined : parseJsonText(text, path, what);
}

function parseJsonText(text: string, path: string, what: string): unknown {
  try {
    return parseStrictJson(text, path);
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`);
  }
}
