// Part "limit": what one core can do. ML-DSA-65 verifications and signatures per second
// through the protocol's own sign/verify (domain prefix included): verification both with
// the node's verifier (liboqs WASM, node/fast-crypto.ts) and with noble (the light client's),
// side by side in one run; and SHA-256 on large and small inputs, OpenSSL (the node's) beside
// noble. Every result is checked against an independent answer.
import { createHash } from 'node:crypto';
import { keyPairFromSeed, sign, useMlDsa65Verifier, verify } from '../protocol/keys.ts';
import { liboqsVerifier, openSslSha256 } from '../node/fast-crypto.ts';
import { sha256, TAGS, useSha256 } from '../protocol/hash.ts';
import { timeLoop } from './stats.ts';

export interface LimitFigures {
  /** With the node's verifier (liboqs): the limit the throughput ratio is taken against. */
  mldsa65VerifyPerSec: number;
  /** With noble, the light client's verifier (and the node's before liboqs). */
  mldsa65VerifyPerSecNoble: number;
  mldsa65SignPerSec: number;
  /** The node's SHA-256 (OpenSSL) and noble's, side by side. */
  sha256MBPerSec: number;
  sha256MBPerSecNoble: number;
  sha256SmallHashesPerSec: number;
  sha256SmallHashesPerSecNoble: number;
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
  // Each measurement with noble (the light client's) and with the node's (fast-crypto.ts).
  const nodeSide = async <T>(measure: () => T): Promise<{ noble: T; node: T }> => {
    const noble = measure();
    useMlDsa65Verifier(await liboqsVerifier());
    useSha256(openSslSha256);
    try {
      return { noble, node: measure() };
    } finally {
      useMlDsa65Verifier(undefined);
      useSha256(undefined);
    }
  };
  const verifies = await nodeSide(measureVerify);

  // SHA-256, 1 MiB inputs: MB/s (10^6 bytes); and 64-byte inputs, a Merkle interior node's
  // two children. Each checked against node:crypto called directly.
  const big = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
  const small = Array.from({ length: 256 }, (_, i) => big.subarray(i * 64, i * 64 + 64));
  let sink = 0;
  const measureSha = () => {
    for (const m of [big, ...small.slice(0, 4)]) if (Buffer.compare(Buffer.from(sha256(m)), createHash('sha256').update(m).digest()) !== 0) throw new Error('limit: SHA-256 disagrees with node:crypto');
    const hb = timeLoop(() => void (sink ^= sha256(big)[0]), ms, 3);
    const hs = timeLoop((i) => void (sink ^= sha256(small[i & 255])[0]), ms, 1000);
    return { mb: (hb.runs * big.length) / 1e6 / (hb.elapsedMs / 1000), small: hs.runs / (hs.elapsedMs / 1000) };
  };
  const hashes = await nodeSide(measureSha);
  if (sink === -1) console.log(sink); // keep the results alive
  return {
    mldsa65VerifyPerSec: verifies.node,
    mldsa65VerifyPerSecNoble: verifies.noble,
    mldsa65SignPerSec: s.runs / (s.elapsedMs / 1000),
    sha256MBPerSec: hashes.node.mb,
    sha256MBPerSecNoble: hashes.noble.mb,
    sha256SmallHashesPerSec: hashes.node.small,
    sha256SmallHashesPerSecNoble: hashes.noble.small,
  };
}
