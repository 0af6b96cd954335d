// Key files on disk (docs/keys.md): JSON holding the 32-byte ML-DSA-65 seed, written with
// mode 0600. Reading refuses a file that others can read, as ssh does.
import { statSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { keyFileFromKeyPair, keyPairFromKeyFile, keyPairFromSeed, type KeyPair } from '../protocol/keys.ts';
import { readJsonFile, writeFileAtomic } from './files.ts';

export function generateKeyPair(): KeyPair {
  return keyPairFromSeed(new Uint8Array(randomBytes(32)));
}

export function writeKeyFile(path: string, pair: KeyPair, { overwrite = false } = {}): void {
  if (!overwrite && existsSync(path)) throw new Error(`key file ${path} already exists; refusing to overwrite a key`);
  writeFileAtomic(path, JSON.stringify(keyFileFromKeyPair(pair), null, 2) + '\n', 0o600);
}

export function readKeyFile(path: string): KeyPair {
  const json = readJsonFile(path, 'key file');
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    throw new Error(`key file ${path} is readable by group or others (mode ${(statSync(path).mode & 0o777).toString(8)}); run chmod 600 ${path}`);
  }
  try {
    return keyPairFromKeyFile(json);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}
