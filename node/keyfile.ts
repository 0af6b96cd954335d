// Key files on disk (docs/keys.md): JSON holding the 32-byte ML-DSA-65 seed, written with
// mode 0600. Reading refuses a file that others can read, as ssh does.
import { closeSync, existsSync, fsyncSync, openSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { keyFileFromKeyPair, keyPairFromKeyFile, keyPairFromSeed, type KeyPair } from '../protocol/keys.ts';
import { readJsonFile, writeFileAtomic } from './files.ts';

export function generateKeyPair(): KeyPair {
  return keyPairFromSeed(new Uint8Array(randomBytes(32)));
}

export function writeKeyFile(path: string, pair: KeyPair, { overwrite = false } = {}): void {
  const text = JSON.stringify(keyFileFromKeyPair(pair), null, 2) + '\n';
  if (overwrite) return writeFileAtomic(path, text, 0o600);
  // Exclusive create: a key that appears between a check and the write is never replaced.
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`key file ${path} already exists; refusing to overwrite a key`);
    throw err;
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function readKeyFile(path: string): KeyPair {
  if (existsSync(path) && process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    throw new Error(`key file ${path} is readable by group or others (mode ${(statSync(path).mode & 0o777).toString(8)}); run chmod 600 ${path}`);
  }
  const json = readJsonFile(path, 'key file');
  try {
    return keyPairFromKeyFile(json);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}
