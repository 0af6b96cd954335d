// A proof-bundle chain with N validators for the size and verify-time benchmarks: the same
// construction as test/helpers/bundle-fixture.ts (blocks 1..5 built with the protocol's own
// functions, commitment in block 3, anchor of block 5), generalised from 4 validators to N
// with the smallest > 2/3 set of signers. For N = 4 it reproduces fixtureChain() byte for
// byte (run.ts checks this), so the 16-validator figures come from the same recipe.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '../protocol/bytes.ts';
import { keyPairFromSeed } from '../protocol/keys.ts';
import { commitmentLeaf, encodeTx, signTx, type SignedTx } from '../protocol/tx.ts';
import { blockHash, encodeHeader, evidenceRoot, txRoot, type BlockHeader } from '../protocol/block.ts';
import { inclusionProof, leafHash, rootOf } from '../protocol/merkle.ts';
import { applyTx, stateRoot } from '../protocol/state.ts';
import { encodeCertificate, certificateFromVotes } from '../protocol/certificate.ts';
import { signVote } from '../protocol/vote.ts';
import { createGenesis, genesisAccounts, genesisHash, genesisToJson, genesisValidatorSet, genesisValidatorSetHash } from '../genesis/genesis.ts';
import { FIXTURE_ANCHORED_H, FIXTURE_CHAIN_ID, FIXTURE_GENESIS_TIME_MS, FIXTURE_H, type FixtureChain } from '../test/helpers/bundle-fixture.ts';

const seed = (label: string) => sha256(new TextEncoder().encode(`pantheon proof fixture: ${label}`));

/** The fewest signers holding more than 2/3 of N equal votes: floor(2N/3) + 1. */
export const signersFor = (n: number) => Math.floor((2 * n) / 3) + 1;

export function benchChain(validatorCount: number): FixtureChain {
  const validators = Array.from({ length: validatorCount }, (_, i) => keyPairFromSeed(seed(`validator ${i}`)));
  const operator = keyPairFromSeed(seed('operator'));
  const outsider = keyPairFromSeed(seed('outsider'));
  const genesis = createGenesis({ chainId: FIXTURE_CHAIN_ID, genesisTimeMs: FIXTURE_GENESIS_TIME_MS, validatorPublicKeys: validators.map((v) => v.publicKey), fundedPublicKeys: [operator.publicKey] });
  const set = genesisValidatorSet(genesis);
  const accounts = genesisAccounts(genesis);
  let nonce = 0n;
  const commit = (logId: string, treeSize: bigint): SignedTx =>
    signTx({ chainId: FIXTURE_CHAIN_ID, senderPublicKey: operator.publicKey, nonce: nonce++, fee: genesis.params.minFee, payload: { kind: 'commitment', logId, treeSize, root: seed(`${logId} root ${treeSize}`) } }, operator.secretKey, true);
  const plan: string[][] = [['oar-billing'], ['oar-support', 'oar-billing'], ['oar-agents', 'oar-support'], [], []];
  const log: { tx: Uint8Array; height: number }[] = [];
  const headers: BlockHeader[] = [];
  const encodedHeaders: Uint8Array[] = [];
  let previous = genesisHash(genesis);
  let provenIndex = -1;
  plan.forEach((logIds, i) => {
    const height = i + 1;
    const proposer = set.addresses[height % set.validators.length];
    const txs = logIds.map((logId, j) => {
      const signed = commit(logId, BigInt(100 * height + j + 1));
      const error = applyTx(accounts, signed, { proposer, minFee: genesis.params.minFee });
      if (error) throw new Error(`bench chain: ${error}`);
      const bytes = encodeTx(signed);
      if (height === FIXTURE_H && j === 0) provenIndex = log.length;
      log.push({ tx: bytes, height });
      return bytes;
    });
    const logLeaves = log.map((e) => leafHash(commitmentLeaf(FIXTURE_CHAIN_ID, e.tx)));
    const header: BlockHeader = {
      chainId: FIXTURE_CHAIN_ID,
      height: BigInt(height),
      timeMs: FIXTURE_GENESIS_TIME_MS + BigInt(height) * 1000n,
      previousBlockHash: previous,
      txRoot: txRoot(FIXTURE_CHAIN_ID, txs),
      evidenceRoot: evidenceRoot(FIXTURE_CHAIN_ID, []),
      commitmentLogRoot: rootOf(logLeaves),
      commitmentLogSize: BigInt(logLeaves.length),
      stateRoot: stateRoot(FIXTURE_CHAIN_ID, accounts),
      validatorSetHash: genesisValidatorSetHash(genesis),
      proposer,
    };
    headers.push(header);
    encodedHeaders.push(encodeHeader(header));
    previous = blockHash(header);
  });
  const h = headers[FIXTURE_H - 1];
  const votes = Array.from({ length: signersFor(validatorCount) }, (_, i) =>
    signVote({ chainId: FIXTURE_CHAIN_ID, type: 'precommit', height: h.height, round: 0, blockHash: blockHash(h), validatorIndex: i }, validators[i].secretKey, true),
  );
  const certificate = encodeCertificate(certificateFromVotes(votes));
  const logAtH = log.filter((e) => e.height <= FIXTURE_H).map((e) => leafHash(commitmentLeaf(FIXTURE_CHAIN_ID, e.tx)));
  if (FIXTURE_ANCHORED_H !== headers.length) throw new Error('bench chain: the anchored height must be the last block');
  return {
    genesis,
    genesisJson: genesisToJson(genesis),
    genesisHashHex: bytesToHex(genesisHash(genesis)),
    validators,
    operator,
    outsider,
    headers,
    encodedHeaders,
    log,
    provenIndex,
    certificate,
    parts: { genesis, commitmentTx: log[provenIndex].tx, leafIndex: provenIndex, logSize: logAtH.length, inclusionPath: inclusionProof(logAtH, provenIndex), headers: [encodedHeaders[FIXTURE_H - 1]], certificate },
  };
}
