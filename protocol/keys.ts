// ML-DSA-65 keys (FIPS 204, @noble/post-quantum), addresses and the key-file format
// (docs/keys.md). Keys come from a 32-byte seed (FIPS 204 ML-DSA.KeyGen_internal's xi), and
// a key file stores that seed: the secret key is re-derived, never written out.
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { decodeBech32m, encodeBech32m } from './bech32m.ts';
import { bytesToHex, equalBytes, hexToBytes } from './bytes.ts';
import { signingBytes, taggedHash, TAGS, type Tag } from './hash.ts';

export const SEED_SIZE = 32;
export const PUBLIC_KEY_SIZE = 1952;
export const SECRET_KEY_SIZE = 4032;
export const SIGNATURE_SIZE = 3309;
export const ADDRESS_SIZE = 32;
export const ADDRESS_HRP = 'pan';

export interface KeyPair {
  seed: Uint8Array;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_SIZE) {
    throw new Error(`seed: expected ${SEED_SIZE} bytes`);
  }
  const { publicKey, secretKey } = ml_dsa65.keygen(seed);
  return { seed: seed.slice(), publicKey, secretKey };
}

/**
 * Signs string(tag) || string(chainId) || payload. The FIPS 204 context is left empty: the
 * domain prefix is the one separation mechanism (docs/tags.md). `deterministic` is for test
 * vectors only; by default signing is hedged with fresh randomness, as FIPS 204 recommends.
 */
export function sign(tag: Tag, chainId: string, payload: Uint8Array, secretKey: Uint8Array, deterministic = false): Uint8Array {
  const message = signingBytes(tag, chainId, payload);
  return deterministic ? ml_dsa65.sign(message, secretKey, { extraEntropy: false }) : mlDsa65SignHedged(message, secretKey);
}

/** Hedged ML-DSA-65 signing (FIPS 204 with fresh randomness, empty context): (message, secret key). */
export type MlDsa65Sign = (message: Uint8Array, secretKey: Uint8Array) => Uint8Array;

const nobleSignHedged: MlDsa65Sign = (message, secretKey) => ml_dsa65.sign(message, secretKey);
let mlDsa65SignHedged: MlDsa65Sign = nobleSignHedged;

/**
 * Replaces hedged ML-DSA-65 signing for this process; `undefined` restores noble. Only the
 * node does this (node/fast-crypto.ts: liboqs, whose signatures noble verifies in
 * test/fast-crypto.test.ts). Deterministic signing (test vectors) always stays on noble.
 */
export function useMlDsa65Signer(impl: MlDsa65Sign | undefined): void {
  mlDsa65SignHedged = impl ?? nobleSignHedged;
}

/** ML-DSA-65 verification with an empty FIPS 204 context: (signature, message, public key). */
export type MlDsa65Verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;

const nobleVerify: MlDsa65Verify = (signature, message, publicKey) => ml_dsa65.verify(signature, message, publicKey);
let mlDsa65Verify: MlDsa65Verify = nobleVerify;

/**
 * Replaces the ML-DSA-65 verifier for this process; `undefined` restores noble. Only the node
 * does this (node/fast-crypto.ts, after a differential test against noble); the light client
 * and everything browser-side always verify with noble.
 */
export function useMlDsa65Verifier(impl: MlDsa65Verify | undefined): void {
  mlDsa65Verify = impl ?? nobleVerify;
}

/** False for any malformed input rather than a throw: a bad signature is data, not a crash. */
export function verify(tag: Tag, chainId: string, payload: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_SIZE) return false;
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_SIZE) return false;
  try {
    return mlDsa65Verify(signature, signingBytes(tag, chainId, payload), publicKey);
  } catch {
    return false;
  }
}

/** verify() over signing bytes already made (tag and chain id in front): an auditor that batches checks. */
export function verifyMessage(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_SIZE) return false;
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_SIZE) return false;
  try {
    return mlDsa65Verify(signature, message, publicKey);
  } catch {
    return false;
  }
}

/** The 32-byte account id of a public key: taggedHash(address tag, "", publicKey). */
export function addressBytes(publicKey: Uint8Array): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_SIZE) {
    throw new Error(`publicKey: expected ${PUBLIC_KEY_SIZE} bytes`);
  }
  return taggedHash(TAGS.address, '', publicKey);
}

/** bech32m text form, e.g. pan1...: the checksum catches typing errors. */
export function encodeAddress(address: Uint8Array): string {
  if (address.length !== ADDRESS_SIZE) throw new Error(`address: expected ${ADDRESS_SIZE} bytes`);
  return encodeBech32m(ADDRESS_HRP, address);
}

export function decodeAddress(text: unknown, field = 'address'): Uint8Array {
  if (typeof text !== 'string') throw new Error(`${field}: expected a pan1... address string`);
  if (text !== text.toLowerCase()) throw new Error(`${field}: must be lower case (one text form per address)`);
  let decoded;
  try {
    decoded = decodeBech32m(text);
  } catch (err) {
    throw new Error(`${field}: ${JSON.stringify(text)} is not a valid bech32m address (${(err as Error).message})`);
  }
  if (decoded.hrp !== ADDRESS_HRP) throw new Error(`${field}: prefix must be "${ADDRESS_HRP}", got "${decoded.hrp}"`);
  const bytes = decoded.bytes;
  if (bytes.length !== ADDRESS_SIZE) throw new Error(`${field}: must encode ${ADDRESS_SIZE} bytes, got ${bytes.length}`);
  return bytes;
}

export function addressOf(publicKey: Uint8Array): string {
  return encodeAddress(addressBytes(publicKey));
}

// ---- key files (docs/keys.md) -------------------------------------------------------------

export const KEY_FILE_TYPE = 'pantheon-ml-dsa-65-key';

export interface KeyFile {
  type: typeof KEY_FILE_TYPE;
  version: 1;
  seed: string;
  publicKey: string;
  address: string;
}

export function keyFileFromKeyPair(pair: KeyPair): KeyFile {
  return {
    type: KEY_FILE_TYPE,
    version: 1,
    seed: bytesToHex(pair.seed),
    publicKey: bytesToHex(pair.publicKey),
    address: addressOf(pair.publicKey),
  };
}

/** Parses and checks a key file: the public key and address must match the seed. */
export function keyPairFromKeyFile(json: unknown): KeyPair {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('key file: expected a JSON object');
  const file = json as Record<string, unknown>;
  const allowed = ['type', 'version', 'seed', 'publicKey', 'address'];
  for (const key of Object.keys(file)) {
    if (!allowed.includes(key)) throw new Error(`key file: unknown field "${key}"`);
  }
  if (file.type !== KEY_FILE_TYPE) throw new Error(`key file: type must be "${KEY_FILE_TYPE}"`);
  if (file.version !== 1) throw new Error('key file: version must be 1');
  const pair = keyPairFromSeed(hexToBytes(file.seed, 'key file: seed', SEED_SIZE));
  if (!equalBytes(hexToBytes(file.publicKey, 'key file: publicKey', PUBLIC_KEY_SIZE), pair.publicKey)) {
    throw new Error('key file: publicKey does not match the seed');
  }
  if (file.address !== addressOf(pair.publicKey)) throw new Error('key file: address does not match the public key');
  return pair;
}
