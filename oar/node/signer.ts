// The writer's ML-DSA-65 signer: liboqs (WebAssembly, about ten times noble here) when it
// loads and agrees with noble on a test signature, otherwise noble. Both sign hedged
// (randomized), so two signatures of one entry differ; any verifier accepts either.
// Node-side.
import { createMLDSA65 } from '@oqs/liboqs-js';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { nobleSign, type MlDsa65Sign } from '../entry.ts';

let cached: Promise<MlDsa65Sign> | undefined;

function plain(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

async function load(): Promise<MlDsa65Sign> {
  try {
    const oqs = await createMLDSA65();
    const sign: MlDsa65Sign = (message, secretKey) => oqs.sign(plain(message), plain(secretKey));
    // A signature liboqs makes must verify with noble, the browser verifier's library.
    const probe = ml_dsa65.keygen(new Uint8Array(32).fill(0x5a));
    const message = new TextEncoder().encode('pantheon oar signer self-test');
    if (!ml_dsa65.verify(sign(message, probe.secretKey), message, probe.publicKey)) return nobleSign;
    return sign;
  } catch {
    return nobleSign;
  }
}

/** The fastest signer that passed its self-test in this process. */
export function fastSigner(): Promise<MlDsa65Sign> {
  cached ??= load();
  return cached;
}
