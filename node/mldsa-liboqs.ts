// The node's ML-DSA-65 verifier: liboqs compiled to WebAssembly (@oqs/liboqs-js), about ten
// times noble's speed on this machine (`npm run bench -- --only limit`), and verification is
// most of a validator's CPU. test/mldsa-differential.test.ts checks that both libraries
// agree on random keys, messages and corrupted signatures. Signing, key generation and the
// light client stay on noble.
import { createMLDSA65, type MLDSA65 } from '@oqs/liboqs-js';
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

/** Makes protocol/keys.ts verify with liboqs in this process. */
export async function installLiboqsVerifier(): Promise<void> {
  useMlDsa65Verifier(await liboqsVerifier());
}
