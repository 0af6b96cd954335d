// The node's libp2p identity: an Ed25519 key kept at <dataDir>/peer-key as the libp2p
// private-key protobuf, created on first start. A stable key gives a stable peer id, so
// other nodes' bootstrap lists (which pin /p2p/<peerId>) keep working across restarts.
// This key only authenticates transport connections (Noise); it signs nothing of consensus.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { writeFileAtomic } from '../files.ts';

export const PEER_KEY_FILE = 'peer-key';
/** A libp2p Ed25519 private-key protobuf is 68 bytes; anything far bigger is not ours. */
const PEER_KEY_BYTES_MAX = 4096;

/** Network events; `level` is 'debug' unless given (refusals and penalties are 'warn'). */
export type LogLevel = 'debug' | 'info' | 'warn';
export type LogFn = (event: string, fields: Record<string, unknown>, level?: LogLevel) => void;

/** Loads the peer key from dataDir, or creates and persists one (mode 0600) if absent. */
export async function loadOrCreatePeerKey(dataDir: string, log: LogFn): Promise<PrivateKey> {
  const path = join(dataDir, PEER_KEY_FILE);
  if (existsSync(path)) return readPeerKey(path, log);
  const key = await generateKeyPair('Ed25519');
  // Atomic write with fsync: a crash leaves either no key (a new one is made next start) or
  // the whole key, never a truncated file that would stop the node from starting.
  writeFileAtomic(path, privateKeyToProtobuf(key), 0o600);
  log('p2p_peer_key_created', { path });
  return key;
}

function readPeerKey(path: string, log: LogFn): PrivateKey {
  const stat = statSync(path);
  if (!stat.isFile()) throw new Error(`peer key: ${path} is not a regular file`);
  if (stat.size > PEER_KEY_BYTES_MAX) {
    throw new Error(`peer key: ${path} is ${stat.size} bytes, larger than any libp2p private key (${PEER_KEY_BYTES_MAX})`);
  }
  if ((stat.mode & 0o077) !== 0) {
    // Not fatal: the key only identifies the transport endpoint; but say so, the operator
    // probably copied the data directory with a permissive umask.
    log('p2p_peer_key_permissive_mode', { path, mode: (stat.mode & 0o777).toString(8), expected: '600' });
  }
  const bytes = readFileSync(path);
  try {
    return privateKeyFromProtobuf(new Uint8Array(bytes));
  } catch (err) {
    throw new Error(`peer key: ${path} is not a libp2p private-key protobuf (${(err as Error).message}); move it away to generate a new identity`);
  }
}
