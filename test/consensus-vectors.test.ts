// Checks docs/vectors/consensus.json with the protocol's own decoders and verifiers, and that
// the generator (test/sim/gen-consensus-vectors.ts) reproduces the file byte for byte.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../protocol/bytes.ts';
import { decodeCertificate, verifyCertificate } from '../protocol/certificate.ts';
import { DecodeError } from '../protocol/encoding.ts';
import { sha256, signingBytes, TAGS } from '../protocol/hash.ts';
import { keyPairFromSeed } from '../protocol/keys.ts';
import { makeValidatorSet, type ValidatorSet } from '../protocol/validators.ts';
import { checkProposal, checkVote, decodeProposal, decodeVote, encodeProposalBody, encodeVoteBody } from '../protocol/vote.ts';
import { buildConsensusVectors } from './sim/gen-consensus-vectors.ts';

interface VectorCase {
  description: string;
  input: { kind: 'vote' | 'proposal' | 'certificate'; chainId: string; validators: { seed: string; power: string }[]; encoded: string; height?: string; blockHash?: string };
  expect: string;
  output: Record<string, unknown>;
}

const file = readFileSync(new URL('../docs/vectors/consensus.json', import.meta.url), 'utf8');
const vectors = JSON.parse(file) as { description: string; cases: VectorCase[] };
const sets = new Map<string, ValidatorSet>();

function setOf(input: VectorCase['input']): ValidatorSet {
  const key = JSON.stringify(input.validators);
  if (!sets.has(key)) {
    sets.set(key, makeValidatorSet(input.validators.map((v) => ({ publicKey: keyPairFromSeed(hexToBytes(v.seed, 'seed', 32)).publicKey, power: BigInt(v.power) }))));
  }
  return sets.get(key)!;
}

/** Maps a verifier's message to the vector's error class. */
function classify(message: string): string {
  if (/chain id/.test(message)) return 'wrong-chain-id';
  if (/not in the validator set/.test(message)) return 'unknown-validator';
  if (/does not verify/.test(message)) return 'bad-signature';
  if (/not more than 2\/3/.test(message)) return 'below-two-thirds';
  if (/for nil|different block hash|is for height/.test(message)) return 'wrong-block';
  const order = /strictly ascending; (\d+) follows (\d+)/.exec(message);
  if (order) return order[1] === order[2] ? 'duplicate-signer' : 'unsorted-signers';
  return `unclassified: ${message}`;
}

function outcome(c: VectorCase): string {
  const bytes = hexToBytes(c.input.encoded, 'encoded');
  const set = setOf(c.input);
  try {
    if (c.input.kind === 'vote') {
      const vote = decodeVote(bytes);
      const error = checkVote(vote, c.input.chainId, set);
      if (error) return classify(error);
      expect(bytesToHex(encodeVoteBody(vote))).toBe(c.output.body);
      expect(bytesToHex(signingBytes(TAGS.vote, vote.chainId, encodeVoteBody(vote)))).toBe(c.output.signingBytes);
      expect(bytesToHex(vote.signature)).toBe(c.output.signature);
    } else if (c.input.kind === 'proposal') {
      const proposal = decodeProposal(bytes);
      const error = checkProposal(proposal, c.input.chainId, set);
      if (error) return classify(error);
      expect(bytesToHex(encodeProposalBody(proposal))).toBe(c.output.body);
      expect(bytesToHex(signingBytes(TAGS.proposal, proposal.chainId, encodeProposalBody(proposal)))).toBe(c.output.signingBytes);
    } else {
      const certificate = decodeCertificate(bytes);
      const check = verifyCertificate(certificate, { chainId: c.input.chainId, height: BigInt(c.input.height!), blockHash: hexToBytes(c.input.blockHash, 'blockHash', 32) }, set);
      if (!check.ok) return classify(check.error);
      expect(check.signers).toEqual(c.output.signers);
      expect(check.signedPower.toString()).toBe(c.output.signedPower);
      expect(check.totalPower.toString()).toBe(c.output.totalPower);
    }
    if (typeof c.output.sha256 === 'string') expect(bytesToHex(sha256(bytes))).toBe(c.output.sha256);
    return 'ok';
  } catch (err) {
    if (err instanceof DecodeError) {
      const cls = classify(err.message);
      return cls.startsWith('unclassified') ? 'decode-error' : cls;
    }
    throw err;
  }
}

describe('docs/vectors/consensus.json', () => {
  it('has positive and negative cases of every kind', () => {
    const count = (kind: string, ok: boolean) => vectors.cases.filter((c) => c.input.kind === kind && (c.expect === 'ok') === ok).length;
    for (const kind of ['vote', 'proposal', 'certificate']) {
      expect(count(kind, true)).toBeGreaterThanOrEqual(1);
      expect(count(kind, false)).toBeGreaterThanOrEqual(1);
    }
    expect(vectors.cases).toHaveLength(20);
  });

  for (const c of vectors.cases) {
    it(`${c.input.kind}: ${c.description} -> ${c.expect}`, () => {
      expect(outcome(c)).toBe(c.expect);
    });
  }

  it('the generator reproduces the file byte for byte (deterministic ML-DSA-65)', () => {
    expect(JSON.stringify(buildConsensusVectors(), null, 2) + '\n').toBe(file);
  });
});
