// TEST DOUBLE (simulation only), labelled as such: a keyed-hash stand-in for ML-DSA-65 so the
// CI can afford thousands of seeds (real signing is ~8 ms, verifying ~2 ms). A "signature" is
// SHA-256(secret seed of the validator || the exact bytes ML-DSA would sign), zero-padded to
// the real 3309-byte size; checking recomputes it and compares every byte, so a flipped bit or
// a wrong signer fails exactly as with ML-DSA. The checks mirror protocol's checkVote,
// checkProposal and verifyCertificate rule for rule; runs with real ML-DSA-65 (SimCrypto) use
// the protocol functions themselves, and a test shows both give identical traces.
import { bytesToHex, concatBytes, equalBytes, ZERO_HASH } from '../../protocol/bytes.ts';
import type { CertificateCheck, CommitCertificate } from '../../protocol/certificate.ts';
import { sha256, signingBytes, TAGS, type Tag } from '../../protocol/hash.ts';
import { SIGNATURE_SIZE } from '../../protocol/keys.ts';
import { isSupermajority, type ValidatorSet } from '../../protocol/validators.ts';
import { encodeProposalBody, encodeVoteBody, type Proposal, type UnsignedProposal, type UnsignedVote, type Vote } from '../../protocol/vote.ts';
import { SIM_CHAIN_ID, type CryptoStats, type SimSigner } from './crypto.ts';

function secretOf(index: number): Uint8Array {
  return new Uint8Array(32).fill(index + 1); // the same seeds the real keys come from
}

function mac(tag: Tag, index: number, payload: Uint8Array): Uint8Array {
  const signature = new Uint8Array(SIGNATURE_SIZE);
  signature.set(sha256(concatBytes(secretOf(index), signingBytes(tag, SIM_CHAIN_ID, payload))));
  return signature;
}

export class FastSigner implements SimSigner {
  readonly mode = 'fast-mac';
  readonly stats: CryptoStats = { signs: 0, signCacheHits: 0, verifies: 0, verifyCacheHits: 0, certificateChecks: 0, certificateCacheHits: 0 };

  signVote(vote: UnsignedVote): Vote {
    this.stats.signs++;
    return { ...vote, signature: mac(TAGS.vote, vote.validatorIndex, encodeVoteBody(vote)) };
  }

  signProposal(proposal: UnsignedProposal): Proposal {
    this.stats.signs++;
    return { ...proposal, signature: mac(TAGS.proposal, proposal.proposerIndex, encodeProposalBody(proposal)) };
  }

  checkVote(v: Vote, set: ValidatorSet): string | undefined {
    this.stats.verifies++;
    if (v.chainId !== SIM_CHAIN_ID) return `chain id is "${v.chainId}", this chain is "${SIM_CHAIN_ID}"`;
    if (!set.validators[v.validatorIndex]) return `validator index ${v.validatorIndex} is not in the validator set of ${set.validators.length}`;
    if (!equalBytes(v.signature, mac(TAGS.vote, v.validatorIndex, encodeVoteBody(v)))) return `signature of validator ${v.validatorIndex} does not verify`;
    return undefined;
  }

  checkProposal(p: Proposal, set: ValidatorSet): string | undefined {
    this.stats.verifies++;
    if (p.chainId !== SIM_CHAIN_ID) return `chain id is "${p.chainId}", this chain is "${SIM_CHAIN_ID}"`;
    if (!set.validators[p.proposerIndex]) return `proposer index ${p.proposerIndex} is not in the validator set of ${set.validators.length}`;
    if (!equalBytes(p.signature, mac(TAGS.proposal, p.proposerIndex, encodeProposalBody(p)))) return `signature of proposer ${p.proposerIndex} does not verify`;
    return undefined;
  }

  verifyCertificate(c: CommitCertificate, expected: { height: bigint; blockHash: Uint8Array }, set: ValidatorSet): CertificateCheck {
    this.stats.certificateChecks++;
    if (c.chainId !== SIM_CHAIN_ID) return { ok: false, error: `chain id is "${c.chainId}"` };
    if (c.height !== expected.height) return { ok: false, error: `certificate is for height ${c.height}, expected ${expected.height}` };
    if (!equalBytes(c.blockHash, expected.blockHash)) return { ok: false, error: 'certificate is for a different block hash' };
    if (equalBytes(c.blockHash, ZERO_HASH)) return { ok: false, error: 'certificate is for nil' };
    let signedPower = 0n;
    let previous = -1;
    for (const s of c.signatures) {
      if (s.validatorIndex <= previous) return { ok: false, error: `validator indices must be strictly ascending; ${s.validatorIndex} follows ${previous}` };
      previous = s.validatorIndex;
      const validator = set.validators[s.validatorIndex];
      if (!validator) return { ok: false, error: `signer index ${s.validatorIndex} is not in the validator set` };
      signedPower += validator.power;
    }
    if (!isSupermajority(signedPower, set)) return { ok: false, error: `signers hold ${signedPower} of ${set.totalPower} voting power, not more than 2/3` };
    for (const s of c.signatures) {
      const body = encodeVoteBody({ chainId: c.chainId, type: 'precommit', height: c.height, round: c.round, blockHash: c.blockHash, validatorIndex: s.validatorIndex });
      if (!equalBytes(s.signature, mac(TAGS.vote, s.validatorIndex, body))) return { ok: false, error: `precommit signature of validator ${s.validatorIndex} does not verify (${bytesToHex(c.blockHash).slice(0, 8)})` };
    }
    return { ok: true, signedPower, totalPower: set.totalPower, signers: c.signatures.map((s) => s.validatorIndex) };
  }
}
