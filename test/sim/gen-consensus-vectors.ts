// Writes docs/vectors/consensus.json: a signed prevote, a signed proposal and a commit
// certificate from fixed seeds (validator k has the seed of 32 bytes of value k + 1), signed
// with ML-DSA-65's deterministic variant so every byte is reproducible, plus negative cases.
// Run: node --import tsx test/sim/gen-consensus-vectors.ts
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex, ZERO_HASH } from '../../protocol/bytes.ts';
import { certificateFromVotes, encodeCertificate } from '../../protocol/certificate.ts';
import { Writer } from '../../protocol/encoding.ts';
import { sha256, signingBytes, taggedHash, TAGS } from '../../protocol/hash.ts';
import { keyPairFromSeed, SIGNATURE_SIZE } from '../../protocol/keys.ts';
import { makeValidatorSet } from '../../protocol/validators.ts';
import { encodeProposal, encodeProposalBody, encodeVote, encodeVoteBody, NO_ROUND, signProposal, signVote, type UnsignedVote, type Vote } from '../../protocol/vote.ts';

export const VECTOR_CHAIN_ID = 'pantheon-test-1';
export const VECTOR_VALIDATORS = 4;
const hex = bytesToHex;
const seedOf = (index: number): Uint8Array => new Uint8Array(32).fill(index + 1);

export function vectorValidatorSet() {
  return makeValidatorSet(Array.from({ length: VECTOR_VALIDATORS }, (_, i) => ({ publicKey: keyPairFromSeed(seedOf(i)).publicKey, power: 1n })));
}

const validatorsInput = () => Array.from({ length: VECTOR_VALIDATORS }, (_, i) => ({ seed: hex(seedOf(i)), power: '1' }));

/** Encodes a certificate without the encoder's order check, to build the rejected ones. */
function encodeCertificateUnchecked(c: { chainId: string; height: bigint; round: number; blockHash: Uint8Array; signatures: { validatorIndex: number; signature: Uint8Array }[] }): Uint8Array {
  return new Writer()
    .string(c.chainId, 64, 'chainId')
    .u64(c.height, 'height')
    .u32(c.round, 'round')
    .fixed(c.blockHash, 32, 'blockHash')
    .list(c.signatures, 256, 'signatures', (w, s) => w.u16(s.validatorIndex).fixed(s.signature, SIGNATURE_SIZE))
    .finish();
}

export function buildConsensusVectors(): { description: string; cases: unknown[] } {
  const keys = Array.from({ length: VECTOR_VALIDATORS }, (_, i) => keyPairFromSeed(seedOf(i)));
  const blockHash = taggedHash(TAGS.blockHeader, VECTOR_CHAIN_ID, new TextEncoder().encode('consensus vector block'));
  const height = 7n;
  const round = 2;

  const voteOf = (type: 'prevote' | 'precommit', validatorIndex: number, hash = blockHash): Vote => {
    const unsigned: UnsignedVote = { chainId: VECTOR_CHAIN_ID, type, height, round, blockHash: hash, validatorIndex };
    return signVote(unsigned, keys[validatorIndex].secretKey, true);
  };
  const voteCase = (description: string, vote: Vote, expect: string, chainId = VECTOR_CHAIN_ID) => ({
    description,
    input: { kind: 'vote', chainId, validators: validatorsInput(), encoded: hex(encodeVote(vote)) },
    expect,
    output: {
      body: hex(encodeVoteBody(vote)),
      signingBytes: hex(signingBytes(TAGS.vote, vote.chainId, encodeVoteBody(vote))),
      signature: hex(vote.signature),
      sha256: hex(sha256(encodeVote(vote))),
    },
  });

  const prevote = voteOf('prevote', 1);
  const nilPrecommit = voteOf('precommit', 3, ZERO_HASH);
  const flipped = { ...prevote, signature: prevote.signature.slice() };
  flipped.signature[100] ^= 0x01;
  const otherChain = signVote({ ...prevote, chainId: 'pantheon-other' }, keys[1].secretKey, true);

  const proposal = signProposal({ chainId: VECTOR_CHAIN_ID, height, round, blockHash, validRound: 1, proposerIndex: 2 }, keys[2].secretKey, true);
  const proposalNoValidRound = signProposal({ chainId: VECTOR_CHAIN_ID, height, round: 0, blockHash, validRound: NO_ROUND, proposerIndex: 0 }, keys[0].secretKey, true);
  const proposalCase = (description: string, p: typeof proposal, expect: string, chainId = VECTOR_CHAIN_ID) => ({
    description,
    input: { kind: 'proposal', chainId, validators: validatorsInput(), encoded: hex(encodeProposal(p)) },
    expect,
    output: { body: hex(encodeProposalBody(p)), signingBytes: hex(signingBytes(TAGS.proposal, p.chainId, encodeProposalBody(p))), signature: hex(p.signature), sha256: hex(sha256(encodeProposal(p))) },
  });

  const precommits = [0, 1, 3].map((i) => voteOf('precommit', i));
  const certificate = certificateFromVotes(precommits);
  const certificateCase = (description: string, encoded: Uint8Array, expect: string, output: Record<string, unknown> = {}, expected: { chainId?: string; height?: bigint } = {}) => ({
    description,
    input: { kind: 'certificate', chainId: expected.chainId ?? VECTOR_CHAIN_ID, height: (expected.height ?? height).toString(), blockHash: hex(blockHash), validators: validatorsInput(), encoded: hex(encoded) },
    expect,
    output: { sha256: hex(sha256(encoded)), ...output },
  });
  const sigs = certificate.signatures;
  const twoOfFour = certificateFromVotes(precommits.slice(0, 2));
  const wrongSigner = { ...certificate, signatures: [sigs[0], sigs[1], { validatorIndex: 2, signature: sigs[2].signature }] };

  return {
    description:
      'Consensus messages (docs/consensus.md): votes, proposals and commit certificates on chain "pantheon-test-1". Validator k (k = 0..3, power 1 each) has the ML-DSA-65 key of the seed of 32 bytes of value k + 1; signatures are deterministic (FIPS 204 without the hedge). expect is "ok" or the error class a verifier must report.',
    cases: [
      voteCase('prevote of validator 1 for a block at height 7 round 2', prevote, 'ok'),
      voteCase('nil precommit of validator 3 (block hash of 32 zero bytes)', nilPrecommit, 'ok'),
      voteCase('the prevote checked against another chain id', prevote, 'wrong-chain-id', 'pantheon-test-2'),
      voteCase('a prevote signed for chain "pantheon-other", checked on pantheon-test-1', otherChain, 'wrong-chain-id'),
      voteCase('the prevote with one signature bit flipped', flipped, 'bad-signature'),
      {
        description: 'a vote of validator index 9, not in the set of 4',
        input: { kind: 'vote', chainId: VECTOR_CHAIN_ID, validators: validatorsInput(), encoded: hex(encodeVote({ ...prevote, validatorIndex: 9 })) },
        expect: 'unknown-validator',
        output: {},
      },
      {
        description: 'a vote truncated by one byte',
        input: { kind: 'vote', chainId: VECTOR_CHAIN_ID, validators: validatorsInput(), encoded: hex(encodeVote(prevote).subarray(0, -1)) },
        expect: 'decode-error',
        output: {},
      },
      proposalCase('proposal by validator 2 at height 7 round 2 with validRound 1', proposal, 'ok'),
      proposalCase('proposal by validator 0 at round 0 without a valid round (0xffffffff)', proposalNoValidRound, 'ok'),
      proposalCase('the proposal checked against another chain id', proposal, 'wrong-chain-id', 'pantheon-test-2'),
      proposalCase('the proposal signed by the key of validator 3 but naming validator 2', { ...proposal, signature: signProposal(proposal, keys[3].secretKey, true).signature }, 'bad-signature'),
      certificateCase('certificate: precommits of validators 0, 1 and 3 (3 of 4 > 2/3)', encodeCertificate(certificate), 'ok', { signers: [0, 1, 3], signedPower: '3', totalPower: '4' }),
      certificateCase('certificate with 2 of 4 signers (not more than 2/3)', encodeCertificate(twoOfFour), 'below-two-thirds'),
      certificateCase('certificate with validator 0 twice', encodeCertificateUnchecked({ ...certificate, signatures: [sigs[0], sigs[0], sigs[1], sigs[2]] }), 'duplicate-signer'),
      certificateCase('certificate with signers in the order 1, 0, 3', encodeCertificateUnchecked({ ...certificate, signatures: [sigs[1], sigs[0], sigs[2]] }), 'unsorted-signers'),
      certificateCase('certificate whose third signature (from validator 3) is labelled validator 2', encodeCertificate(wrongSigner), 'bad-signature'),
      certificateCase('the valid certificate checked against another chain id', encodeCertificate(certificate), 'wrong-chain-id', {}, { chainId: 'pantheon-test-2' }),
      certificateCase('the valid certificate checked for another height', encodeCertificate(certificate), 'wrong-block', {}, { height: height + 1n }),
      certificateCase('certificate whose last signer index is 4, outside the set of 4 (indices 0-3)', encodeCertificate({ ...certificate, signatures: [sigs[0], sigs[1], { validatorIndex: 4, signature: sigs[2].signature }] }), 'unknown-validator'),
      certificateCase('certificate for nil', encodeCertificate(certificateFromVotes([0, 1, 3].map((i) => voteOf('precommit', i, ZERO_HASH)))), 'wrong-block'),
    ],
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const here = dirname(fileURLToPath(import.meta.url));
  const path = join(here, '..', '..', 'docs', 'vectors', 'consensus.json');
  const vectors = buildConsensusVectors();
  writeFileSync(path, JSON.stringify(vectors, null, 2) + '\n');
  console.log(`wrote docs/vectors/consensus.json: ${vectors.cases.length} cases`);
}
