// Commit certificates (docs/consensus.md): the precommits for one block hash at one height
// and round, from validators holding more than 2/3 of the voting power. Checking one needs
// only the validator set, so the light client and the node run this same code.
import { decodeExact, DecodeError, Writer } from './encoding.ts';
import { assertValidChainId, TAGS } from './hash.ts';
import { SIGNATURE_SIZE, verify } from './keys.ts';
import { equalBytes, ZERO_HASH } from './bytes.ts';
import { encodeVoteBody, type Vote } from './vote.ts';
import { isSupermajority, VALIDATORS_MAX, type ValidatorSet } from './validators.ts';

const CHAIN_ID_MAX = 64;

export interface CertificateSignature {
  validatorIndex: number;
  signature: Uint8Array;
}

export interface CommitCertificate {
  chainId: string;
  height: bigint;
  round: number;
  blockHash: Uint8Array;
  /** Strictly ascending validator indices: one canonical order, no duplicates. */
  signatures: CertificateSignature[];
}

export function encodeCertificate(c: CommitCertificate): Uint8Array {
  assertValidChainId(c.chainId);
  assertAscending(c.signatures.map((s) => s.validatorIndex), (msg) => new RangeError(msg));
  return new Writer()
    .string(c.chainId, CHAIN_ID_MAX, 'chainId')
    .u64(c.height, 'height')
    .u32(c.round, 'round')
    .fixed(c.blockHash, 32, 'blockHash')
    .list(c.signatures, VALIDATORS_MAX, 'signatures', (w, s) => {
      w.u16(s.validatorIndex, 'validatorIndex').fixed(s.signature, SIGNATURE_SIZE, 'signature');
    })
    .finish();
}

export function decodeCertificate(bytes: Uint8Array): CommitCertificate {
  return decodeExact(bytes, 'certificate', (r) => {
    const chainId = r.string(CHAIN_ID_MAX, 'chainId');
    try {
      assertValidChainId(chainId);
    } catch (err) {
      throw new DecodeError('chainId', (err as Error).message);
    }
    const height = r.u64('height');
    const round = r.u32('round');
    const blockHash = r.fixed(32, 'blockHash');
    const signatures = r.list(VALIDATORS_MAX, 'signatures', (rr) => ({
      validatorIndex: rr.u16('validatorIndex'),
      signature: rr.fixed(SIGNATURE_SIZE, 'signature'),
    }));
    assertAscending(signatures.map((s) => s.validatorIndex), (msg) => new DecodeError('signatures', msg));
    return { chainId, height, round, blockHash, signatures };
  });
}

function assertAscending(indices: number[], error: (msg: string) => Error): void {
  for (let i = 1; i < indices.length; i++) {
    if (indices[i] <= indices[i - 1]) {
      throw error(`validator indices must be strictly ascending; ${indices[i]} follows ${indices[i - 1]}`);
    }
  }
}

/** Builds a certificate from precommits (any order; duplicates by index keep the first). */
export function certificateFromVotes(votes: readonly Vote[]): CommitCertificate {
  if (votes.length === 0) throw new Error('a certificate needs at least one precommit');
  const { chainId, height, round, blockHash } = votes[0];
  const byIndex = new Map<number, Uint8Array>();
  for (const v of votes) {
    if (v.type !== 'precommit' || v.height !== height || v.round !== round || !equalBytes(v.blockHash, blockHash)) {
      throw new Error('certificate votes must be precommits for one height, round and block');
    }
    if (!byIndex.has(v.validatorIndex)) byIndex.set(v.validatorIndex, v.signature);
  }
  const signatures = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([validatorIndex, signature]) => ({ validatorIndex, signature }));
  return { chainId, height, round, blockHash, signatures };
}

export type CertificateCheck =
  | { ok: true; signedPower: bigint; totalPower: bigint; signers: number[] }
  | { ok: false; error: string };

/**
 * Verifies a certificate for an expected block. Cheap checks first, signatures last, and
 * it stops at the first bad signature: a certificate with any invalid signature is invalid.
 */
export function verifyCertificate(
  c: CommitCertificate,
  expected: { chainId: string; height: bigint; blockHash: Uint8Array },
  set: ValidatorSet,
): CertificateCheck {
  if (c.chainId !== expected.chainId) return { ok: false, error: `chain id is "${c.chainId}", expected "${expected.chainId}"` };
  if (c.height !== expected.height) return { ok: false, error: `certificate is for height ${c.height}, expected ${expected.height}` };
  if (!equalBytes(c.blockHash, expected.blockHash)) return { ok: false, error: 'certificate is for a different block hash' };
  if (equalBytes(c.blockHash, ZERO_HASH)) return { ok: false, error: 'certificate is for nil' };
  let signedPower = 0n;
  let previous = -1;
  for (const s of c.signatures) {
    if (s.validatorIndex <= previous) return { ok: false, error: `validator indices must be strictly ascending; ${s.validatorIndex} follows ${previous}` };
    previous = s.validatorIndex;
    const validator = set.validators[s.validatorIndex];
    if (!validator) return { ok: false, error: `signer index ${s.validatorIndex} is not in the validator set of ${set.validators.length}` };
    signedPower += validator.power;
  }
  if (!isSupermajority(signedPower, set)) {
    return { ok: false, error: `signers hold ${signedPower} of ${set.totalPower} voting power, not more than 2/3` };
  }
  for (const s of c.signatures) {
    const body = encodeVoteBody({ chainId: c.chainId, type: 'precommit', height: c.height, round: c.round, blockHash: c.blockHash, validatorIndex: s.validatorIndex });
    if (!verify(TAGS.vote, c.chainId, body, s.signature, set.validators[s.validatorIndex].publicKey)) {
      return { ok: false, error: `precommit signature of validator ${s.validatorIndex} does not verify` };
    }
  }
  return { ok: true, signedPower, totalPower: set.totalPower, signers: c.signatures.map((s) => s.validatorIndex) };
}
