// Differential test: the node verifies ML-DSA-65 with liboqs (WASM, node/fast-crypto.ts),
// the light client with noble. If they ever disagreed, a proof the chain accepted could fail
// offline, or the reverse. Random keys and messages, signatures made by both libraries, and
// corruptions aimed at each part of a signature (FIPS 204 sigEncode: c~ 48 bytes, z 5 x 640
// bytes, hint 55 + 6 bytes). Every case is verified by both; the verdicts must be equal.
// DIFF_KEYS=<n> runs more keys (CI runs 250 keys, 1,000 signatures, 3,000 corruptions).
import { describe, expect, it } from 'vitest';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { createMLDSA65 } from '@oqs/liboqs-js';
import { Prng } from './sim/prng.ts';
import { keyPairFromSeed, sign, verify, useMlDsa65Signer, useMlDsa65Verifier, PUBLIC_KEY_SIZE, SIGNATURE_SIZE } from '../protocol/keys.ts';
import { sha256, signingBytes, TAGS, useSha256 } from '../protocol/hash.ts';
import { equalBytes } from '../protocol/bytes.ts';
import { installFastCrypto, liboqsVerifier, memoizedVerifier, openSslSha256 } from '../node/fast-crypto.ts';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

const SEED = Number(process.env.DIFF_SEED ?? 20261125);
const KEYS = Number(process.env.DIFF_KEYS ?? 250);
const MESSAGES_PER_KEY = 4;
const C_TILDE = 48;
const Z_BYTES = 5 * 640;
const HINT_OFFSET = C_TILDE + Z_BYTES;
const OMEGA = 55;

type Corruption = (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array, rng: Prng, otherPk: Uint8Array) => [Uint8Array, Uint8Array, Uint8Array];

const flip = (bytes: Uint8Array, rng: Prng, from = 0, to = bytes.length): Uint8Array => {
  const out = bytes.slice();
  const i = rng.int(from, to - 1);
  out[i] ^= 1 << rng.int(0, 7);
  return out;
};

const CORRUPTIONS: Record<string, Corruption> = {
  'bit in c~': (s, m, p, r) => [flip(s, r, 0, C_TILDE), m, p],
  'bit in z': (s, m, p, r) => [flip(s, r, C_TILDE, HINT_OFFSET), m, p],
  'z coefficient at its extreme': (s, m, p, r) => {
    // z is packed 20 bits per coefficient; all-ones/all-zeros pushes it past gamma1 - beta.
    const out = s.slice();
    const at = C_TILDE + 5 * r.int(0, Z_BYTES / 5 - 1);
    out.fill(r.chance(0.5) ? 0xff : 0x00, at, at + 5);
    return [out, m, p];
  },
  'bit in hint': (s, m, p, r) => [flip(s, r, HINT_OFFSET), m, p],
  'random hint bytes': (s, m, p, r) => {
    const out = s.slice();
    out.set(r.bytes(OMEGA + 6), HINT_OFFSET);
    return [out, m, p];
  },
  'hint counts out of order or above omega': (s, m, p, r) => {
    const out = s.slice();
    const at = HINT_OFFSET + OMEGA + r.int(0, 5);
    const value = r.chance(0.5) ? r.int(OMEGA + 1, 255) : r.int(0, 3);
    out[at] = value === s[at] ? value ^ 0x80 : value;
    return [out, m, p];
  },
  'repeated hint index': (s, m, p, r) => {
    // Only the first `used` slots hold indexes (the rest must be zero): repeat one of those.
    const out = s.slice();
    const used = s[HINT_OFFSET + OMEGA + 5];
    if (used < 2) return [flip(s, r, HINT_OFFSET, HINT_OFFSET + OMEGA), m, p];
    const i = r.int(1, used - 1);
    out[HINT_OFFSET + i] = out[HINT_OFFSET + i - 1];
    return [out, m, p];
  },
  'bit in message': (s, m, p, r) => [s, m.length ? flip(m, r) : new Uint8Array([r.int(0, 255)]), p],
  'message one byte longer': (s, m, p, r) => [s, Uint8Array.of(...m, r.int(0, 255)), p],
  'bit in public key': (s, m, p, r) => [s, m, flip(p, r)],
  'another key': (s, m, _p, _r, other) => [s, m, other],
  'random signature': (_s, m, p, r) => [r.bytes(SIGNATURE_SIZE), m, p],
};
const KINDS = Object.keys(CORRUPTIONS);

describe('node-side crypto (liboqs ML-DSA-65, OpenSSL SHA-256) agrees with noble (light client)', () => {
  it(`on ${KEYS} random keys, ${KEYS * MESSAGES_PER_KEY} signatures from both libraries and ${KEYS * MESSAGES_PER_KEY * 3} corruptions (seed ${SEED})`, async () => {
    const oqs = await createMLDSA65();
    const rng = new Prng(SEED);
    const counts = { valid: 0, corrupted: 0 };
    const accepted: string[] = [];
    const perKind = new Map<string, number>();
    const disagreements: string[] = [];
    const check = (label: string, sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean => {
      const byNoble = ml_dsa65.verify(sig, msg, pk);
      const byOqs = oqs.verify(msg, sig, pk);
      if (byNoble !== byOqs) disagreements.push(`${label}: noble ${byNoble}, liboqs ${byOqs}`);
      return byNoble;
    };
    let previousPk = keyPairFromSeed(rng.bytes(32)).publicKey;
    for (let k = 0; k < KEYS; k++) {
      const { publicKey, secretKey } = ml_dsa65.keygen(rng.bytes(32));
      for (let j = 0; j < MESSAGES_PER_KEY; j++) {
        const msg = rng.bytes(rng.chance(0.1) ? 0 : rng.int(1, 4000));
        // Half the signatures come from each library: each must accept the other's.
        const byNoble = (k + j) % 2 === 0;
        const sig = byNoble ? ml_dsa65.sign(msg, secretKey) : oqs.sign(msg, secretKey);
        const label = `seed ${SEED} key ${k} message ${j} (signed by ${byNoble ? 'noble' : 'liboqs'})`;
        expect(check(label, sig, msg, publicKey), `${label} must verify`).toBe(true);
        counts.valid++;
        for (let c = 0; c < 3; c++) {
          const kind = KINDS[(k * MESSAGES_PER_KEY * 3 + j * 3 + c) % KINDS.length];
          const [s2, m2, p2] = CORRUPTIONS[kind](sig, msg, publicKey, rng, previousPk);
          expect(equalBytes(s2, sig) && equalBytes(m2, msg) && equalBytes(p2, publicKey), `${label}, ${kind} changed nothing`).toBe(false);
          if (check(`${label}, ${kind}`, s2, m2, p2)) accepted.push(`${label}, ${kind}`);
          counts.corrupted++;
          perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
        }
      }
      previousPk = publicKey;
    }
    expect(disagreements, disagreements.slice(0, 5).join('\n')).toEqual([]);
    expect(counts.valid).toBe(KEYS * MESSAGES_PER_KEY);
    expect([...perKind.keys()].sort()).toEqual([...KINDS].sort());
    // Every corruption changes the signed data or breaks the strict encoding (FIPS 204 requires
    // unused hint slots to be zero and indexes strictly increasing): none may verify.
    expect(accepted, accepted.slice(0, 5).join('\n')).toEqual([]);
  }, 600_000);

  it('the node-side verifier is installed through protocol/keys.ts and restored to noble', async () => {
    const pair = keyPairFromSeed(new Uint8Array(32).fill(9));
    const payload = new TextEncoder().encode('differential');
    const sig = sign(TAGS.tx, 'pantheon-diff-1', payload, pair.secretKey);
    let calls = 0;
    await installFastCrypto();
    try {
      const liboqs = await liboqsVerifier();
      useMlDsa65Verifier((s, m, p) => (calls++, liboqs(s, m, p)));
      expect(verify(TAGS.tx, 'pantheon-diff-1', payload, sig, pair.publicKey)).toBe(true);
      // Buffers (what level and libp2p return), including views into a larger buffer.
      const pool = Buffer.concat([Buffer.alloc(7), Buffer.from(sig), Buffer.from(pair.publicKey), Buffer.from(payload)]);
      const views = [pool.subarray(7, 7 + sig.length), pool.subarray(7 + sig.length, 7 + sig.length + pair.publicKey.length), pool.subarray(7 + sig.length + pair.publicKey.length)] as const;
      expect(verify(TAGS.tx, 'pantheon-diff-1', views[2], views[0], views[1])).toBe(true);
      expect(verify(TAGS.vote, 'pantheon-diff-1', payload, sig, pair.publicKey)).toBe(false);
      expect(verify(TAGS.tx, 'pantheon-diff-1', payload, sig.subarray(1), pair.publicKey)).toBe(false);
      expect(verify(TAGS.tx, 'pantheon-diff-1', payload, sig, pair.publicKey.subarray(0, PUBLIC_KEY_SIZE - 1))).toBe(false);
      expect(calls).toBe(3); // length checks come first, before either library sees the input
    } finally {
      useMlDsa65Verifier(undefined);
      useSha256(undefined);
    }
    expect(verify(TAGS.tx, 'pantheon-diff-1', payload, sig, pair.publicKey)).toBe(true);
  });

  it('the node-side hedged signer (liboqs) is installed through protocol/keys.ts: noble accepts its signatures; deterministic signing stays noble', async () => {
    const pair = keyPairFromSeed(new Uint8Array(32).fill(11));
    const payload = new TextEncoder().encode('signed by liboqs');
    const byNobleDeterministic = sign(TAGS.vote, 'pantheon-diff-1', payload, pair.secretKey, true);
    await installFastCrypto();
    try {
      const a = sign(TAGS.vote, 'pantheon-diff-1', payload, pair.secretKey);
      const b = sign(TAGS.vote, 'pantheon-diff-1', payload, pair.secretKey);
      expect(equalBytes(a, b)).toBe(false); // hedged: fresh randomness each time
      for (const sig of [a, b]) expect(ml_dsa65.verify(sig, signingBytes(TAGS.vote, 'pantheon-diff-1', payload), pair.publicKey)).toBe(true);
      expect(ml_dsa65.verify(a, signingBytes(TAGS.proposal, 'pantheon-diff-1', payload), pair.publicKey)).toBe(false); // the tag is in what was signed
      // Test vectors need the same bytes on every machine: deterministic signing is noble's.
      expect(sign(TAGS.vote, 'pantheon-diff-1', payload, pair.secretKey, true)).toEqual(byNobleDeterministic);
      // A Node Buffer as the secret key (a key file read from disk) signs too.
      expect(ml_dsa65.verify(sign(TAGS.vote, 'pantheon-diff-1', payload, Buffer.from(pair.secretKey)), signingBytes(TAGS.vote, 'pantheon-diff-1', payload), pair.publicKey)).toBe(true);
    } finally {
      useMlDsa65Verifier(undefined);
      useMlDsa65Signer(undefined);
      useSha256(undefined);
    }
  });

  it('the verification memo answers as the verifier does, calls it once per distinct (signature, key, message) and forgets the oldest past its bound', async () => {
    const liboqs = await liboqsVerifier();
    const calls: boolean[] = [];
    const memo = memoizedVerifier((s, m, p) => {
      const verdict = liboqs(s, m, p);
      calls.push(verdict);
      return verdict;
    }, 2);
    const pair = keyPairFromSeed(new Uint8Array(32).fill(12));
    const m1 = signingBytes(TAGS.vote, 'pantheon-diff-1', new Uint8Array([1]));
    const m2 = signingBytes(TAGS.vote, 'pantheon-diff-1', new Uint8Array([2]));
    const sig = ml_dsa65.sign(m1, pair.secretKey);
    expect(memo(sig, m1, pair.publicKey)).toBe(true);
    expect(memo(sig, m1, pair.publicKey)).toBe(true);
    expect(memo(sig, m2, pair.publicKey)).toBe(false); // same signature and key, another message: not the same entry
    expect(memo(sig, m2, pair.publicKey)).toBe(false); // a false verdict is remembered too
    expect(memo(sig, m1, Buffer.from(pair.publicKey))).toBe(true); // keyed by the bytes, not the object
    expect(calls).toEqual([true, false]);
    expect(memo(flip(sig, new Prng(1)), m1, pair.publicKey)).toBe(false); // third entry: the oldest (sig, m1) goes
    expect(memo(sig, m1, pair.publicKey)).toBe(true);
    expect(calls).toEqual([true, false, false, true]);
    expect(() => memoizedVerifier(liboqs, 0)).toThrow(/entriesMax must be a positive integer, got 0/);
  });

  it('SHA-256: OpenSSL (node side) equals noble on random inputs of every length up to 4,200 bytes, whole and in parts', () => {
    const rng = new Prng(SEED);
    for (let n = 0; n <= 4200; n += n < 300 ? 1 : 37) {
      const data = rng.bytes(n);
      const cut = rng.int(0, n);
      const expected = nobleSha256(data);
      expect(openSslSha256([data])).toEqual(expected);
      expect(openSslSha256([data.subarray(0, cut), data.subarray(cut)])).toEqual(expected);
      expect(openSslSha256([data]).constructor).toBe(Uint8Array);
    }
    useSha256(openSslSha256);
    try {
      expect(sha256(new TextEncoder().encode('abc'))).toEqual(nobleSha256(new TextEncoder().encode('abc')));
    } finally {
      useSha256(undefined);
    }
  });
});
