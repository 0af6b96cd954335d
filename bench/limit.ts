// Part "limit": what one core can do. ML-DSA-65 verifications and signatures per second
// through the protocol's own sign/verify (domain prefix included): verification both with
// the node's verifier (liboqs WASM, node/mldsa-liboqs.ts) and with noble (the light client's),
// side by side in one run; and noble SHA-256 on large and small inputs. Every result is
// checked against an independent answer.
import { createHash } from 'node:crypto';
import { sha256 } from '../protocol/hash.ts';
import { keyPairFromSeed, sign, useMlDsa65Verifier, verify } from '../protocol/keys.ts';
import { liboqsVerifier } from '../node/mldsa-liboqs.ts';
import { TAGS } from '../protocol/hash.ts';
import { timeLoop } from './stats.ts';

export interface LimitFigures {
  /** With the node's verifier (liboqs): the limit the throughput ratio is taken against. */
  mldsa65VerifyPerSec: number;
  /** With noble, the light client's verifier (and the node's before liboqs). */
  mldsa65VerifyPerSecNoble: number;
  mldsa65SignPerSec: number;
  sha256MBPerSec: number;
  sha256SmallHashesPerSec: number;
}

const CHAIN = 'pantheon-bench-1';

export async function runLimit(quick: boolean): Promise<LimitFigures> {
  const ms = quick ? 600 : 3000;
  const key = keyPairFromSeed(sha256(new TextEncoder().encode('bench limit key')));
  const messages = Array.from({ length: 16 }, (_, i) => sha256(new TextEncoder().encode(`bench message ${i}`)));
  // Sign: every signature made is kept and later verified, so the loop cannot be a no-op.
  const sigs: Uint8Array[] = [];
  for (let i = 0; i < 3; i++) sign(TAGS.tx, CHAIN, messages[0], key.secretKey); // warm-up
  const s = timeLoop((i) => void sigs.push(sign(TAGS.tx, CHAIN, messages[i % messages.length], key.secretKey)), ms, 16);
  // Verify: cycle over the signatures just made; every verification must succeed.
  const measureVerify = () => {
    for (let i = 0; i < 3; i++) verify(TAGS.tx, CHAIN, messages[0], sigs[0], key.publicKey);
    let failures = 0;
    const v = timeLoop((i) => {
      const j = i % sigs.length;
      if (!verify(TAGS.tx, CHAIN, messages[j % messages.length], sigs[j], key.publicKey)) failures++;
    }, ms, sigs.length);
    if (failures > 0) throw new Error(`limit: ${failures} signatures did not verify`);
    const tampered = sigs[0].slice();
    tampered[100] ^= 1;
    if (verify(TAGS.tx, CHAIN, messages[0], tampered, key.publicKey)) throw new Error('limit: a tampered signature verified');
    if (verify(TAGS.vote, CHAIN, messages[0], sigs[0], key.publicKey)) throw new Error('limit: a signature verified under another tag');
    return v.runs / (v.elapsedMs / 1000);
  };
  const noble = measureVerify();
  useMlDsa65Verifier(await liboqsVerifier());
  let liboqs: number;
  try {
    liboqs = measureVerify();
  } finally {
    useMlDsa65Verifier(undefined);
  }

  // SHA-256, 1 MiB inputs: MB/s (10^6 bytes).
  const big = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
  if (Buffer.compare(Buffer.from(sha256(big)), createHash('sha256').update(big).digest()) !== 0) throw new Error('limit: noble SHA-256 disagrees with node:crypto');
  let sink = 0;
  const hb = timeLoop(() => void (sink ^= sha256(big)[0]), ms, 3);
  // Small inputs: 64 bytes, the size of a Merkle interior node's two children.
  const small = Array.from({ length: 256 }, (_, i) => big.subarray(i * 64, i * 64 + 64));
  for (const m of small.slice(0, 4)) if (Buffer.compare(Buffer.from(sha256(m)), createHash('sha256').update(m).digest()) !== 0) throw new Error('limit: small SHA-256 disagrees');
  const hs = timeLoop((i) => void (sink ^= sha256(small[i & 255])[0]), ms, 1000);
  if (sink === -1) console.log(sink); // keep the results alive
  return {
    mldsa65VerifyPerSec: liboqs,
    mldsa65VerifyPerSecNoble: noble,
    mldsa65SignPerSec: s.runs / (s.elapsedMs / 1000),
    sha256MBPerSec: (hb.runs * big.length) / 1e6 / (hb.elapsedMs / 1000),
    sha256SmallHashesPerSec: hs.runs / (hs.elapsedMs / 1000),
  };
}
