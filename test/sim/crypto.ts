// Real ML-DSA-65 for the simulator, made affordable. Keys come from fixed seeds (32 bytes of
// value i + 1). Signing is deterministic (FIPS 204 without the hedge), so caching a signature
// by the exact bytes signed changes nothing but the speed: the cache returns the very bytes a
// fresh signing would. Verification results are cached by the exact (message, signature)
// bytes for the same reason. Certificates are checked with protocol's verifyCertificate, the
// function the light client uses, memoised by the certificate's exact encoding.
import { keyPairFromSeed, type KeyPair } from '../../protocol/keys.ts';
import { bytesToHex, concatBytes } from '../../protocol/bytes.ts';
import { sha256 } from '../../protocol/hash.ts';
import { encodeCertificate, verifyCertificate, type CertificateCheck, type CommitCertificate } from '../../protocol/certificate.ts';
import { makeValidatorSet, type ValidatorSet } from '../../protocol/validators.ts';
import {
  checkProposal,
  checkVote,
  encodeProposalBody,
  encodeVoteBody,
  signProposal,
  signVote,
  type Proposal,
  type UnsignedProposal,
  type UnsignedVote,
  type Vote,
} from '../../protocol/vote.ts';

export const SIM_CHAIN_ID = 'pantheon-sim';
export const SIM_VALIDATORS_MAX = 7;

const keyPairs: KeyPair[] = [];

export function simKeyPair(index: number): KeyPair {
  while (keyPairs.length <= index) keyPairs.push(keyPairFromSeed(new Uint8Array(32).fill(keyPairs.length + 1)));
  return keyPairs[index];
}

export function simValidatorSet(powers: readonly bigint[]): ValidatorSet {
  return makeValidatorSet(powers.map((power, i) => ({ publicKey: simKeyPair(i).publicKey, power })));
}

/** Cache keys are digests, not the 3309-byte signatures themselves, to keep memory small. */
function digest(...parts: Uint8Array[]): string {
  return bytesToHex(sha256(concatBytes(...parts)));
}

/** The verdicts depend on the keys (fixed by index) and the powers. */
function setKey(set: ValidatorSet): string {
  return set.validators.map((v) => v.power).join(',');
}

export interface CryptoStats {
  signs: number;
  signCacheHits: number;
  verifies: number;
  verifyCacheHits: number;
  certificateChecks: number;
  certificateCacheHits: number;
}

/** What the simulated hosts need from signatures: sign, the edge checks, certificate checks. */
export interface SimSigner {
  readonly mode: 'ml-dsa-65' | 'fast-mac';
  readonly stats: CryptoStats;
  signVote(vote: UnsignedVote): Vote;
  signProposal(proposal: UnsignedProposal): Proposal;
  checkVote(vote: Vote, set: ValidatorSet): string | undefined;
  checkProposal(proposal: Proposal, set: ValidatorSet): string | undefined;
  verifyCertificate(certificate: CommitCertificate, expected: { height: bigint; blockHash: Uint8Array }, set: ValidatorSet): CertificateCheck;
}

/** Real ML-DSA-65, shared by all runs in one process: the caches only hold what ML-DSA computed. */
export class SimCrypto implements SimSigner {
  readonly mode = 'ml-dsa-65';
  private readonly signatures = new Map<string, Uint8Array>();
  private readonly verdicts = new Map<string, string | undefined>();
  private readonly certificates = new Map<string, CertificateCheck>();
  readonly stats: CryptoStats = { signs: 0, signCacheHits: 0, verifies: 0, verifyCacheHits: 0, certificateChecks: 0, certificateCacheHits: 0 };

  signVote(vote: UnsignedVote): Vote {
    const key = `v${vote.validatorIndex}:${bytesToHex(encodeVoteBody(vote))}`;
    let signature = this.signatures.get(key);
    if (signature) this.stats.signCacheHits++;
    else {
      signature = signVote(vote, simKeyPair(vote.validatorIndex).secretKey, true).signature;
      this.signatures.set(key, signature);
      this.stats.signs++;
    }
    return { ...vote, signature };
  }

  signProposal(proposal: UnsignedProposal): Proposal {
    const key = `p${proposal.proposerIndex}:${bytesToHex(encodeProposalBody(proposal))}`;
    let signature = this.signatures.get(key);
    if (signature) this.stats.signCacheHits++;
    else {
      signature = signProposal(proposal, simKeyPair(proposal.proposerIndex).secretKey, true).signature;
      this.signatures.set(key, signature);
      this.stats.signs++;
    }
    return { ...proposal, signature };
  }

  /** The host's edge check: why the vote is rejected, or undefined. */
  checkVote(vote: Vote, set: ValidatorSet): string | undefined {
    return this.cachedVerdict(() => `v${setKey(set)}:${digest(encodeVoteBody(vote), vote.signature)}`, () => checkVote(vote, SIM_CHAIN_ID, set));
  }

  checkProposal(proposal: Proposal, set: ValidatorSet): string | undefined {
    return this.cachedVerdict(() => `p${setKey(set)}:${digest(encodeProposalBody(proposal), proposal.signature)}`, () => checkProposal(proposal, SIM_CHAIN_ID, set));
  }

  /** A verdict cached by the exact signed bytes (a malformed message's error is its verdict). */
  private cachedVerdict(makeKey: () => string, check: () => string | undefined): string | undefined {
    let key: string;
    try {
      key = makeKey();
    } catch (err) {
      return (err as Error).message;
    }
    if (this.verdicts.has(key)) {
      this.stats.verifyCacheHits++;
      return this.verdicts.get(key);
    }
    this.stats.verifies++;
    const verdict = check();
    this.verdicts.set(key, verdict);
    return verdict;
  }

  verifyCertificate(certificate: CommitCertificate, expected: { height: bigint; blockHash: Uint8Array }, set: ValidatorSet): CertificateCheck {
    const key = `${setKey(set)}:${expected.height}:${bytesToHex(expected.blockHash)}:${digest(encodeCertificate(certificate))}`;
    const cached = this.certificates.get(key);
    if (cached) {
      this.stats.certificateCacheHits++;
      return cached;
    }
    this.stats.certificateChecks++;
    const check = verifyCertificate(certificate, { chainId: SIM_CHAIN_ID, ...expected }, set);
    this.certificates.set(key, check);
    return check;
  }
}
