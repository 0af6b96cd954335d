// Real ML-DSA-65 for the consensus core's table tests (test/consensus-core.test.ts), made
// affordable. Keys come from fixed seeds (32 bytes of value i + 1). Signing is deterministic (FIPS 204 without the hedge), so caching a signature
// by the exact bytes signed changes nothing but the speed: the cache returns the very bytes a
// fresh signing would. Certificates are checked with protocol's verifyCertificate, the
// function the light client uses, memoised by the certificate's exact encoding.
import { keyPairFromSeed, type KeyPair } from '../../protocol/keys.ts';
import { bytesToHex, concatBytes } from '../../protocol/bytes.ts';
import { sha256 } from '../../protocol/hash.ts';
import { encodeCertificate, verifyCertificate, type CertificateCheck, type CommitCertificate } from '../../protocol/certificate.ts';
import { makeValidatorSet, type ValidatorSet } from '../../protocol/validators.ts';
import {
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


/** Real ML-DSA-65, shared by all tests in one process: the caches only hold what ML-DSA computed. */
export class SimCrypto {
  private readonly signatures = new Map<string, Uint8Array>();
  private readonly certificates = new Map<string, CertificateCheck>();

  signVote(vote: UnsignedVote): Vote {
    const key = `v${vote.validatorIndex}:${bytesToHex(encodeVoteBody(vote))}`;
    let signature = this.signatures.get(key);
    if (!signature) {
      signature = signVote(vote, simKeyPair(vote.validatorIndex).secretKey, true).signature;
      this.signatures.set(key, signature);
    }
    return { ...vote, signature };
  }

  signProposal(proposal: UnsignedProposal): Proposal {
    const key = `p${proposal.proposerIndex}:${bytesToHex(encodeProposalBody(proposal))}`;
    let signature = this.signatures.get(key);
    if (!signature) {
      signature = signProposal(proposal, simKeyPair(proposal.proposerIndex).secretKey, true).signature;
      this.signatures.set(key, signature);
    }
    return { ...proposal, signature };
  }

  verifyCertificate(certificate: CommitCertificate, expected: { height: bigint; blockHash: Uint8Array }, set: ValidatorSet): CertificateCheck {
    const key = `${setKey(set)}:${expected.height}:${bytesToHex(expected.blockHash)}:${digest(encodeCertificate(certificate))}`;
    const cached = this.certificates.get(key);
    if (cached) return cached;
    const check = verifyCertificate(certificate, { chainId: SIM_CHAIN_ID, ...expected }, set);
    this.certificates.set(key, check);
    return check;
  }
}
