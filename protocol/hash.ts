// Domain-separated SHA-256 (docs/tags.md). Every hash and signature input begins with
// string(tag) || string(chainId) in the canonical encoding, so bytes made for one purpose
// or one chain never verify for another.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { Writer } from './encoding.ts';

/** The registry of tags. docs/tags.md lists the same table; a test keeps them equal. */
export const TAGS = {
  address: 'pantheon/address/v1',
  genesis: 'pantheon/genesis/v3',
  validatorSet: 'pantheon/validator-set/v1',
  tx: 'pantheon/tx/v1',
  txLeaf: 'pantheon/tx-leaf/v1',
  commitmentLeaf: 'pantheon/commitment-leaf/v1',
  stateLeaf: 'pantheon/state-leaf/v1',
  logStateLeaf: 'pantheon/log-state-leaf/v1',
  stateRoot: 'pantheon/state-root/v1',
  evidenceLeaf: 'pantheon/evidence-leaf/v1',
  blockHeader: 'pantheon/block-header/v1',
  proposal: 'pantheon/proposal/v1',
  vote: 'pantheon/vote/v1',
  anchorChainId: 'pantheon/anchor-chain-id/v1',
  signRecord: 'pantheon/sign-record/v1',
  oarEntry: 'pantheon/oar-entry/v1',
  oarEntryHash: 'pantheon/oar-entry-hash/v1',
  oarPayload: 'pantheon/oar-payload/v1',
  validatorPeer: 'pantheon/validator-peer/v1',
} as const;

export type Tag = (typeof TAGS)[keyof typeof TAGS];

export const CHAIN_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export function assertValidChainId(chainId: unknown, field = 'chainId'): asserts chainId is string {
  if (typeof chainId !== 'string' || !CHAIN_ID_PATTERN.test(chainId)) {
    throw new Error(`${field}: must be 1-64 characters of a-z, 0-9 and '-', not starting or ending with '-' (got ${JSON.stringify(chainId)})`);
  }
}

const TAG_MAX = 64;
const CHAIN_ID_MAX = 64;

/** Prefixes made so far: a record audit hashes millions of entries under one (tag, chain id). */
const prefixes = new Map<string, Uint8Array>();
const PREFIXES_MAX = 256;

/** string(tag) || string(chainId): the prefix of every hash and signature input. Callers only read it. */
export function domainPrefix(tag: Tag, chainId: string): Uint8Array {
  const key = `${tag}\n${chainId}`;
  const known = prefixes.get(key);
  if (known) return known;
  // The address tag alone is chain-independent (docs/tags.md says why); every other tag needs a chain id.
  if (tag === TAGS.address) {
    if (chainId !== '') throw new Error('the address tag is used with the empty chain id only');
  } else assertValidChainId(chainId);
  const prefix = new Writer().string(tag, TAG_MAX, 'tag').string(chainId, CHAIN_ID_MAX, 'chainId').finish();
  if (prefixes.size >= PREFIXES_MAX) prefixes.clear();
  prefixes.set(key, prefix);
  return prefix;
}

/** The exact bytes that get signed: prefix || payload. */
export function signingBytes(tag: Tag, chainId: string, payload: Uint8Array): Uint8Array {
  const prefix = domainPrefix(tag, chainId);
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix);
  out.set(payload, prefix.length);
  return out;
}

/** SHA-256 of the concatenation of `parts` (no copy into one buffer). */
export type Sha256Parts = (parts: readonly Uint8Array[]) => Uint8Array;

const nobleSha256Parts: Sha256Parts = (parts) => {
  const h = nobleSha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
};
let sha256PartsImpl: Sha256Parts = nobleSha256Parts;

/**
 * Replaces the SHA-256 implementation for this process; `undefined` restores noble. Only the
 * node does this (node/fast-crypto.ts: OpenSSL through node:crypto); browser-side code always
 * hashes with noble.
 */
export function useSha256(impl: Sha256Parts | undefined): void {
  sha256PartsImpl = impl ?? nobleSha256Parts;
}

export function sha256Parts(parts: readonly Uint8Array[]): Uint8Array {
  return sha256PartsImpl(parts);
}

export function sha256(data: Uint8Array): Uint8Array {
  return sha256PartsImpl([data]);
}

export function taggedHash(tag: Tag, chainId: string, payload: Uint8Array): Uint8Array {
  return sha256PartsImpl([domainPrefix(tag, chainId), payload]);
}
