// The node's faster crypto, measured side by side with noble by `npm run bench -- --only limit`:
// - ML-DSA-65 verification with liboqs compiled to WebAssembly (@oqs/liboqs-js), about ten
//   times noble's speed here; it was 40 % of a validator's CPU. test/fast-crypto.test.ts
//   checks both libraries agree on random keys, messages and corrupted signatures.
// - Hedged ML-DSA-65 signing of the validator's votes and proposals with liboqs too; the
//   same test checks noble accepts liboqs's signatures. Measured through the replica
//   simulator, which signs every vote: `npm run sim -- --seeds 20` beside `--crypto noble`
//   ran 14 times faster, signing having been 61 % of its time with noble (docs/replica.md).
// - SHA-256 with OpenSSL (node:crypto) instead of noble's JavaScript.
// Key generation, deterministic signing (test vectors) and everything browser-side (the light
// client) stay on noble.
import { createHash } from 'node:crypto';
import { createMLDSA65, type MLDSA65 } from '@oqs/liboqs-js';
import { useSha256, type Sha256Parts } from '../protocol/hash.ts';
import { bytesToHex } from '../protocol/bytes.ts';
import { useMlDsa65Signer, useMlDsa65Verifier, type MlDsa65Sign, type MlDsa65Verify } from '../protocol/keys.ts';

let instance: Promise<MLDSA65> | undefined;

/** liboqs's ML-DSA-65 verify (pure ML-DSA, empty context), loaded once per process. */
export async function liboqsVerifier(): Promise<MlDsa65Verify> {
  instance ??= createMLDSA65();
  const oqs = await instance;
  return (signature, message, publicKey) => oqs.verify(plain(message), plain(signature), plain(publicKey));
}

/** liboqs's hedged ML-DSA-65 sign (pure ML-DSA, empty context, randomness from the WASM runtime's CSPRNG). */
export async function liboqsSigner(): Promise<MlDsa65Sign> {
  instance ??= createMLDSA65();
  const oqs = await instance;
  return (message, secretKey) => oqs.sign(plain(message), plain(secretKey));
}

/**
 * liboqs-js accepts only objects whose constructor is Uint8Array itself (it checks
 * constructor.name) and throws on a Node Buffer, which is what level and libp2p hand us.
 * A view over the same memory, no copy.
 */
function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const openSslSha256: Sha256Parts = (parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest()); // a plain Uint8Array, like noble's, not a Buffer
};

const MEMO_TAG = new TextEncoder().encode('pantheon/verify-memo/v1');

/**
 * A verifier that remembers the verdicts of the last `entriesMax` distinct (signature, public
 * key, message) triples, keyed by SHA-256 over their exact bytes (signature and key have fixed
 * sizes, checked by protocol/keys.ts before any verifier runs, so the concatenation is
 * unambiguous). For processes that verify the same bytes many times over: the replica
 * simulator runs every validator in one process, so each vote reaches this point once per
 * receiving replica. The verdict is a function of the bytes, so the answer cannot change.
 */
export function memoizedVerifier(inner: MlDsa65Verify, entriesMax: number): MlDsa65Verify {
  if (!Number.isInteger(entriesMax) || entriesMax < 1) throw new Error(`memoizedVerifier: entriesMax must be a positive integer, got ${entriesMax}`);
  const verdicts = new Map<string, boolean>();
  return (signature, message, publicKey) => {
    const key = bytesToHex(openSslSha256([MEMO_TAG, signature, publicKey, message]));
    const known = verdicts.get(key);
    if (known !== undefined) return known;
    const verdict = inner(signature, message, publicKey);
    if (verdicts.size >= entriesMax) verdicts.delete(verdicts.keys().next().value!); // oldest first
    verdicts.set(key, verdict);
    return verdict;
  };
}

export interface FastCryptoOptions {
  /** Remember this many verification verdicts (memoizedVerifier); 0 or absent: none. */
  verifyMemoEntries?: number;
}

/** Makes protocol/ verify and sign (hedged) with liboqs and hash with OpenSSL in this process. */
export async function installFastCrypto(options: FastCryptoOptions = {}): Promise<void> {
  const verifier = await liboqsVerifier();
  useMlDsa65Verifier(options.verifyMemoEntries ? memoizedVerifier(verifier, options.verifyMemoEntries) : verifier);
  useMlDsa65Signer(await liboqsSigner());
  useSha256(openSslSha256);
}
