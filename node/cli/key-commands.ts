// `pantheon keys new|show`: ML-DSA-65 key files for operators and validators.
import { resolve } from 'node:path';
import { bytesToHex } from '../../protocol/bytes.ts';
import { addressOf } from '../../protocol/keys.ts';
import { sha256 } from '../../protocol/hash.ts';
import { generateKeyPair, readKeyFile, writeKeyFile } from '../keyfile.ts';
import { printJson, requireString, type Command } from './command.ts';

function describeKey(path: string, publicKey: Uint8Array) {
  return { keyFile: path, address: addressOf(publicKey), publicKeySha256: bytesToHex(sha256(publicKey)) };
}

export const keysNew: Command = {
  name: 'keys new',
  summary: 'Create a new ML-DSA-65 key file (mode 0600) and print its address.',
  usage: 'pantheon keys new --out FILE [--json]',
  details: '  --out FILE   where to write the key; an existing file is never overwritten\n  --json       print the result as JSON',
  options: { out: { type: 'string' }, json: { type: 'boolean', default: false } },
  async run(values) {
    const path = resolve(requireString(values, 'out'));
    const pair = generateKeyPair();
    writeKeyFile(path, pair);
    const info = describeKey(path, pair.publicKey);
    if (values.json) printJson(info);
    else process.stdout.write(`wrote ${path}\n  address  ${info.address}\n`);
    return 0;
  },
};

export const keysShow: Command = {
  name: 'keys show',
  summary: 'Check a key file and print its address.',
  usage: 'pantheon keys show <key-file> [--json]',
  options: { json: { type: 'boolean', default: false } },
  positionals: { min: 1, max: 1 },
  async run(values, [path]) {
    const pair = readKeyFile(path);
    const info = describeKey(resolve(path), pair.publicKey);
    if (values.json) printJson(info);
    else process.stdout.write(`${info.address}\n`);
    return 0;
  },
};
