// A worker thread of the CLI's signature pool (signature-pool.ts): verifies batches of
// ML-DSA-65 signatures of record entries with liboqs (WebAssembly, about ten times noble here)
// and answers with the indexes that fail. It first checks that liboqs accepts a signature noble
// made and refuses a changed one; if liboqs does not load or disagrees, it verifies with noble.
import { parentPort } from 'node:worker_threads';
import { createMLDSA65 } from '@oqs/liboqs-js';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import type { SignatureBatch } from './signature-pool.ts';

type Verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;

async function load(): Promise<{ verify: Verify; impl: string }> {
  const noble: Verify = (s, m, k) => ml_dsa65.verify(s, m, k);
  try {
    const oqs = await createMLDSA65();
    const verify: Verify = (s, m, k) => oqs.verify(m, s, k);
    const probe = ml_dsa65.keygen(new Uint8Array(32).fill(0x5b));
    const message = new TextEncoder().encode('pantheon record audit: verifier self-test');
    const signature = ml_dsa65.sign(message, probe.secretKey);
    const changed = signature.slice();
    changed[100] ^= 1;
    if (verify(signature, message, probe.publicKey) && !verify(changed, message, probe.publicKey)) return { verify, impl: 'liboqs' };
    return { verify: noble, impl: 'noble (liboqs disagreed with noble on the self-test)' };
  } catch (err) {
    return { verify: noble, impl: `noble (liboqs did not load: ${(err as Error).message})` };
  }
}

const port = parentPort!;
const { verify, impl } = await load();
port.on('message', (b: SignatureBatch) => {
  const failures: number[] = [];
  let at = 0;
  for (let i = 0; i < b.sequences.length; i++) {
    const message = b.data.subarray(at, at + b.messageLengths[i]);
    at += b.messageLengths[i];
    const signature = b.data.subarray(at, at + b.signatureLengths[i]);
    at += b.signatureLengths[i];
    let ok = false;
    try {
      ok = verify(signature, message, b.keys[b.keyIndexes[i]]);
    } catch {
      ok = false;
    }
    if (!ok) failures.push(i);
  }
  port.postMessage({ id: b.id, failures });
});
port.postMessage({ ready: true, impl });
