// Durable file writes for the node side: write to a temporary file, fsync, rename over the
// target, fsync the directory, so a crash leaves either the old file or the new one.
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, writeSync, existsSync, readFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { parseStrictJson } from '../protocol/strict-json.ts';
import { RECORD_MAGIC } from '../oar/record.ts';

export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
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

export function readTextFile(path: string, what: string): string {
  if (!existsSync(path)) throw new Error(`${what}: file not found: ${path}`);
  return readFileSync(path, 'utf8');
}

/** Strict JSON (protocol/strict-json.ts): a member named twice is refused, not last-one-wins. */
export function readJsonFile(path: string, what: string): unknown {
  const text = readTextFile(path, what);
  try {
    return parseStrictJson(text, path);
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`);
  }
}

/** A record begins with its magic "pan-oar\n"; anything else is read as a bundle's JSON text. */
export function isRecordFile(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = new Uint8Array(RECORD_MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && RECORD_MAGIC.every((b, i) => head[i] === b);
  } catch {
    return false; // unreadable: the bundle reader reports it by name
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
