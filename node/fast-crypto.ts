// The node's faster crypto, measured side by side with noble by `npm run bench -- --only limit`:
// - ML-DSA-65 verification with liboqs compiled to WebAssembly (@oqs/liboqs-js), about ten
//   times noble's speed here; it was 40 % of a validator's CPU. test/fast-crypto.test.ts
//   checks both libraries agree on random keys, messages and corrupted signatures.
// - SHA-256 with OpenSSL (node:crypto) instead of noble's JavaScript.
// Signing, key generation and everything browser-side (the light client) stay on noble.
import { createHash } from 'node:crypto';
import { createMLDSA65, type MLDSA65 } from '@oqs/liboqs-js';
import { useSha256, type Sha256Parts } from '../protocol/hash.ts';
import { useMlDsa65Verifier, type MlDsa65Verify } from '../protocol/keys.ts';

let instance: Promise<MLDSA65> | undefined;

/** liboqs's ML-DSA-65 verify (pure ML-DSA, empty context), loaded once per process. */
export async function liboqsVerifier(): Promise<MlDsa65Verify> {
  instance ??= createMLDSA65();
  const oqs = await instance;
  return (signature, message, publicKey) => oqs.verify(plain(message), plain(signature), plain(publicKey));
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

/** Makes protocol/ verify signatures with liboqs and hash with OpenSSL in this process. */
export async function installFastCrypto(): Promise<void> {
  useMlDsa65Verifier(await liboqsVerifier());
  useSha256(openSslSha256);
}
