// Steps "certificate" and "certificate-signatures": block h is final when validators holding
// more than 2/3 of the genesis voting power precommitted its hash. The cheap part (right
// block, known signers, enough power) runs early; the ML-DSA-65 checks run last.
// Spec: docs/proof.md, steps 6 and 14; docs/consensus.md.
import { decodeCertificate, verifyCertificate, type CommitCertificate } from '../protocol/certificate.ts';
import { equalBytes, ZERO_HASH } from '../protocol/bytes.ts';
import { isSupermajority, type ValidatorSet } from '../protocol/validators.ts';
import type { CheckedHeader } from './verify-header.ts';
import { fail } from './steps.ts';

export interface CertificateFacts {
  certificate: CommitCertificate;
  signedPower: bigint;
  totalPower: bigint;
  signers: number[];
}

export function checkCertificateForm(bytes: Uint8Array, block: CheckedHeader, chainId: string, set: ValidatorSet): CertificateFacts {
  let certificate: CommitCertificate;
  try {
    certificate = decodeCertificate(bytes);
  } catch (err) {
    fail(`commit certificate does not decode: ${(err as Error).message}`);
  }
  if (certificate.chainId !== chainId) fail(`certificate is for chain "${certificate.chainId}", not "${chainId}"`);
  if (certificate.height !== block.header.height) fail(`certificate is for height ${certificate.height}, header h is at height ${block.header.height}`);
  if (equalBytes(certificate.blockHash, ZERO_HASH)) fail('certificate is for nil');
  if (!equalBytes(certificate.blockHash, block.hash)) fail('certificate is for a different block hash than header h');
  let signedPower = 0n;
  for (const s of certificate.signatures) {
    const validator = set.validators[s.validatorIndex];
    if (!validator) fail(`signer index ${s.validatorIndex} is not in the genesis validator set of ${set.validators.length}`);
    signedPower += validator.power;
  }
  if (!isSupermajority(signedPower, set)) fail(`signers hold ${signedPower} of ${set.totalPower} voting power, not more than 2/3`);
  return { certificate, signedPower, totalPower: set.totalPower, signers: certificate.signatures.map((s) => s.validatorIndex) };
}

export function checkCertificateSignatures(facts: CertificateFacts, block: CheckedHeader, chainId: string, set: ValidatorSet): void {
  const result = verifyCertificate(facts.certificate, { chainId, height: block.header.height, blockHash: block.hash }, set);
  if (!result.ok) fail(result.error);
}
