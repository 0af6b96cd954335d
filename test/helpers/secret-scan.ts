// Looks for key material in log text: every secret as lower- and upper-case hex, base64 and
// base64url, whole and as a 16-byte prefix (so a partial dump is caught too).
import { readFileSync } from 'node:fs';
import { keyPairFromKeyFile } from '../../protocol/keys.ts';

export interface Secret {
  what: string;
  bytes?: Uint8Array;
  text?: string;
}

function forms(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes);
  const out = [b.toString('hex'), b.toString('hex').toUpperCase(), b.toString('base64').replace(/=+$/, ''), b.toString('base64url')];
  if (bytes.length > 16) out.push(...forms(bytes.subarray(0, 16)));
  return out;
}

/** A validator (or operator) key file: its seed and the ML-DSA-65 secret key derived from it. */
export function keyFileSecrets(path: string): Secret[] {
  const pair = keyPairFromKeyFile(JSON.parse(readFileSync(path, 'utf8')));
  return [
    { what: `seed of ${path}`, bytes: pair.seed },
    { what: `ML-DSA-65 secret key of ${path}`, bytes: pair.secretKey },
  ];
}

/** Every place a secret shows in `text`: [] when none. */
export function findSecrets(text: string, secrets: Secret[]): string[] {
  const found: string[] = [];
  for (const s of secrets) {
    const needles = s.bytes ? forms(s.bytes) : [s.text!];
    for (const needle of needles) if (needle.length >= 8 && text.includes(needle)) found.push(`${s.what} (as "${needle.slice(0, 12)}…")`);
  }
  return found;
}
