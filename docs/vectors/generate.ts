// Writes the protocol's test vectors (docs/vectors/*.json) from fixed seeds. Signatures use
// ML-DSA-65's deterministic variant so every byte is reproducible. The tests read these files
// back and check every case, so a change to any format shows up as a vector diff.
// Run: npm run vectors
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex, concatBytes } from '../../protocol/bytes.ts';
import { Writer } from '../../protocol/encoding.ts';

import { domainPrefix, sha256, taggedHash, TAGS } from '../../protocol/hash.ts';
import { addressOf, keyFileFromKeyPair, keyPairFromSeed, sign, addressBytes } from '../../protocol/keys.ts';
import { consistencyProof, inclusionProof, leafHash, rootOf } from '../../protocol/merkle.ts';
import { commitmentLeaf, encodeTx, encodeTxBody, signTx, txId, txLeaf, TX_SIZE_MAX, type CommitmentPayload, type UnsignedTx } from '../../protocol/tx.ts';
import { blockHash, compactBlockOf, encodeBlock, encodeCompactBlock, encodeHeader, evidenceRoot, txRoot, type Block } from '../../protocol/block.ts';
import { applyTx, stateRoot, type State } from '../../protocol/state.ts';
import { bitcoinVectorCases } from './bitcoin.ts';
import { SampleLog } from '../../node/commitment-log.ts';
import type { SignRecord } from '../../consensus/index.ts';
import { encodeSignRecordFile, SIGN_RECORD_FORMAT, SIGN_RECORD_VERSION } from '../../node/sign-record-file.ts';
import { writeOarVectors } from './generate-oar.ts';
import { encodeHello, PROTOCOL_VERSION } from '../../node/p2p/rules/hello-codec.ts';
import { encodeTxList, TX_LIST_COUNT_MAX, txListCost } from '../../protocol/gossip.ts';
import { createGenesis, encodeGenesis, genesisAccounts, genesisHash, genesisToJson, genesisValidatorSetHash, parseGenesis } from '../../genesis/genesis.ts';

const here = dirname(fileURLToPath(import.meta.url));
const CHAIN = 'pantheon-test-1';
export const seed = (i: number) => new Uint8Array(32).fill(i);
const hex = bytesToHex;
const utf8 = (s: string) => new TextEncoder().encode(s);

function write(name: string, description: string, cases: unknown[]): void {
  writeFileSync(join(here, name), JSON.stringify({ description, cases }, null, 2) + '\n');
  console.log(`wrote docs/vectors/${name}: ${cases.length} cases`);
}

// ---- encoding ---------------------------------------------------------------------------------
write('encoding.json', 'Canonical encoding primitives (docs/encoding.md): encodings of values, and byte strings a decoder must reject.', [
  { description: 'u8', input: { type: 'u8', value: 7 }, expect: 'ok', output: { hex: '07' } },
  { description: 'u16 is big-endian', input: { type: 'u16', value: 258 }, expect: 'ok', output: { hex: '0102' } },
  { description: 'u32 is big-endian', input: { type: 'u32', value: 16909060 }, expect: 'ok', output: { hex: '01020304' } },
  { description: 'u64 of the total supply', input: { type: 'u64', value: '500000000000000000' }, expect: 'ok', output: { hex: '06f05b59d3b20000' } },
  { description: 'u64 maximum', input: { type: 'u64', value: '18446744073709551615' }, expect: 'ok', output: { hex: 'ffffffffffffffff' } },
  { description: 'bool true', input: { type: 'bool', value: true }, expect: 'ok', output: { hex: '01' } },
  { description: 'string: u32 length then UTF-8', input: { type: 'string', value: 'pan', max: 64 }, expect: 'ok', output: { hex: '0000000370616e' } },
  { description: 'empty string', input: { type: 'string', value: '', max: 64 }, expect: 'ok', output: { hex: '00000000' } },
  { description: 'bytes', input: { type: 'bytes', value: 'cafe', max: 64 }, expect: 'ok', output: { hex: '00000002cafe' } },
  { description: 'decode bool 2', input: { type: 'bool', decode: '02' }, expect: 'DecodeError', output: { field: 'value' } },
  { description: 'decode u64 with 7 bytes', input: { type: 'u64', decode: '00000000000001' }, expect: 'DecodeError', output: { field: 'value' } },
  { description: 'decode u32 with a trailing byte', input: { type: 'u32', decode: '0000000100' }, expect: 'DecodeError', output: { field: 'value' } },
  { description: 'decode string longer than its maximum', input: { type: 'string', max: 2, decode: '00000003616263' }, expect: 'DecodeError', output: { field: 'value' } },
  { description: 'decode string whose length runs past the end', input: { type: 'string', max: 64, decode: '0000000561' }, expect: 'DecodeError', output: { field: 'value' } },
  { description: 'decode string that is not UTF-8', input: { type: 'string', max: 64, decode: '00000001ff' }, expect: 'DecodeError', output: { field: 'value' } },
]);

// ---- tags -------------------------------------------------------------------------------------
write(
  'tags.json',
  'Domain prefixes (docs/tags.md): string(tag) || string(chainId), and taggedHash of the empty payload.',
  Object.values(TAGS).map((tag) => {
    const chainId = tag === TAGS.address ? '' : CHAIN;
    return { description: tag, input: { tag, chainId }, expect: 'ok', output: { prefix: hex(domainPrefix(tag, chainId)), emptyPayloadHash: hex(taggedHash(tag, chainId, new Uint8Array(0))) } };
  }),
);

// ---- merkle -----------------------------------------------------------------------------------
// Leaves of the RFC 6962 test tree used by transparency-dev/merkle and certificate-transparency-go;
// the roots for sizes 0-8 below are that project's published values, not ours.
const ctLeaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const ctRoots = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const ctHashes = ctLeaves.map((l) => leafHash(Uint8Array.from(Buffer.from(l, 'hex'))));
const merkleCases: unknown[] = ctRoots.map((root, size) => ({
  description: `root of the first ${size} RFC 6962 test leaves (published value)`,
  input: { kind: 'root', leaves: ctLeaves.slice(0, size) },
  expect: 'ok',
  output: { root },
}));
for (const [size, index] of [[1, 0], [5, 4], [7, 3], [8, 0], [8, 5]]) {
  merkleCases.push({
    description: `inclusion proof for leaf ${index} of ${size}`,
    input: { kind: 'inclusion', leaves: ctLeaves.slice(0, size), index },
    expect: 'ok',
    output: { root: ctRoots[size], proof: inclusionProof(ctHashes.slice(0, size), index).map(hex) },
  });
}
for (const [oldSize, size] of [[1, 8], [3, 7], [4, 8], [6, 8], [7, 7]]) {
  merkleCases.push({
    description: `consistency proof from ${oldSize} to ${size}`,
    input: { kind: 'consistency', leaves: ctLeaves.slice(0, size), oldSize },
    expect: 'ok',
    output: { oldRoot: ctRoots[oldSize], root: ctRoots[size], proof: consistencyProof(ctHashes.slice(0, size), oldSize).map(hex) },
  });
}
const goodProof = inclusionProof(ctHashes.slice(0, 7), 3).map(hex);
merkleCases.push(
  { description: 'inclusion proof checked at the wrong index', input: { kind: 'verify-inclusion', leaf: ctLeaves[3], index: 2, size: 7, proof: goodProof, root: ctRoots[7] }, expect: 'invalid' },
  { description: 'inclusion proof with its last hash dropped', input: { kind: 'verify-inclusion', leaf: ctLeaves[3], index: 3, size: 7, proof: goodProof.slice(0, -1), root: ctRoots[7] }, expect: 'invalid' },
  { description: 'inclusion proof with an extra hash', input: { kind: 'verify-inclusion', leaf: ctLeaves[3], index: 3, size: 7, proof: [...goodProof, ctRoots[1]], root: ctRoots[7] }, expect: 'invalid' },
  { description: 'inclusion proof against a tree size whose path is shorter', input: { kind: 'verify-inclusion', leaf: ctLeaves[3], index: 3, size: 4, proof: goodProof, root: ctRoots[7] }, expect: 'invalid' },
  { description: 'sizes 7 and 8 give leaf 3 the same path shape, so the arithmetic passes: the size is bound by the signed header, never by the proof (docs/merkle.md)', input: { kind: 'verify-inclusion', leaf: ctLeaves[3], index: 3, size: 8, proof: goodProof, root: ctRoots[7] }, expect: 'ok' },
  { description: 'index equal to size', input: { kind: 'verify-inclusion', leaf: ctLeaves[3], index: 7, size: 7, proof: goodProof, root: ctRoots[7] }, expect: 'invalid' },
  { description: 'the same (valid) inclusion proof', input: { kind: 'verify-inclusion', leaf: ctLeaves[3], index: 3, size: 7, proof: goodProof, root: ctRoots[7] }, expect: 'ok' },
  { description: 'consistency proof with swapped roots', input: { kind: 'verify-consistency', oldSize: 3, size: 7, proof: consistencyProof(ctHashes.slice(0, 7), 3).map(hex), oldRoot: ctRoots[7], root: ctRoots[3] }, expect: 'invalid' },
  { description: 'non-empty consistency proof between equal sizes', input: { kind: 'verify-consistency', oldSize: 7, size: 7, proof: [ctRoots[1]], oldRoot: ctRoots[7], root: ctRoots[7] }, expect: 'invalid' },
  { description: 'the proof from 4 to 8 also verifies as a proof from 4 to 5 with the same roots: a proof carries no sizes, so the state transition supplies both (docs/state.md)', input: { kind: 'verify-consistency', oldSize: 4, size: 5, proof: consistencyProof(ctHashes.slice(0, 8), 4).map(hex), oldRoot: ctRoots[4], root: ctRoots[8] }, expect: 'ok' },
  { description: 'the proof from 4 to 8 with the root of size 5 named as the new root', input: { kind: 'verify-consistency', oldSize: 4, size: 5, proof: consistencyProof(ctHashes.slice(0, 8), 4).map(hex), oldRoot: ctRoots[4], root: ctRoots[5] }, expect: 'invalid' },
  { description: 'consistency from size 0 is not defined', input: { kind: 'verify-consistency', oldSize: 0, size: 7, proof: [], oldRoot: ctRoots[0], root: ctRoots[7] }, expect: 'invalid' },
);
{
  // The 1 -> 8 proof with its roots also passes as 1 -> 5, 6, 7: a consistency proof does not bind the second size (docs/merkle.md).
  const proof18 = consistencyProof(ctHashes.slice(0, 8), 1).map(hex);
  for (const size of [5, 6, 7]) merkleCases.push({ description: `the 1 -> 8 consistency proof checked as 1 -> ${size} passes: the second size is bound by a signed header, never by the proof (docs/merkle.md)`, input: { kind: 'verify-consistency', oldSize: 1, size, proof: proof18, oldRoot: ctRoots[1], root: ctRoots[8] }, expect: 'ok' });
  for (const size of [4, 9]) merkleCases.push({ description: `the 1 -> 8 consistency proof checked as 1 -> ${size} fails (another shape)`, input: { kind: 'verify-consistency', oldSize: 1, size, proof: proof18, oldRoot: ctRoots[1], root: ctRoots[8] }, expect: 'invalid' });
}
write('merkle.json', 'RFC 6962 / RFC 9162 Merkle trees (docs/merkle.md). Leaves are hex bytes; proofs run from the leaf towards the root.', merkleCases);

// ---- keys and addresses -----------------------------------------------------------------------
const keyCases: unknown[] = [];
for (const i of [1, 2]) {
  const pair = keyPairFromSeed(seed(i));
  const message = utf8('pantheon key vector');
  keyCases.push({
    description: `key pair from seed ${i} (32 bytes of 0x0${i}); deterministic signature of "pantheon key vector" under the tx tag`,
    input: { kind: 'keypair', seed: hex(pair.seed), tag: TAGS.tx, chainId: CHAIN, message: hex(message) },
    expect: 'ok',
    output: {
      publicKey: hex(pair.publicKey),
      address: addressOf(pair.publicKey),
      addressBytes: hex(addressBytes(pair.publicKey)),
      keyFile: keyFileFromKeyPair(pair),
      signature: hex(sign(TAGS.tx, CHAIN, message, pair.secretKey, true)),
    },
  });
}
const addr1 = addressOf(keyPairFromSeed(seed(1)).publicKey);
const flipped = addr1.slice(0, 10) + (addr1[10] === 'q' ? 'p' : 'q') + addr1.slice(11);
keyCases.push(
  { description: 'address with one character changed fails its checksum', input: { kind: 'address', address: flipped }, expect: 'invalid' },
  { description: 'address with another prefix', input: { kind: 'address', address: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4' }, expect: 'invalid' },
  { description: 'address in upper case is refused: one text form per address', input: { kind: 'address', address: addr1.toUpperCase() }, expect: 'invalid' },
  { description: 'signature checked under another chain id', input: { kind: 'verify', seed: hex(seed(1)), tag: TAGS.tx, chainId: 'pantheon-other-1', message: hex(utf8('pantheon key vector')), signatureFrom: 0 }, expect: 'invalid' },
  { description: 'signature checked under another tag', input: { kind: 'verify', seed: hex(seed(1)), tag: TAGS.vote, chainId: CHAIN, message: hex(utf8('pantheon key vector')), signatureFrom: 0 }, expect: 'invalid' },
  { description: 'signature checked with the same tag and chain id', input: { kind: 'verify', seed: hex(seed(1)), tag: TAGS.tx, chainId: CHAIN, message: hex(utf8('pantheon key vector')), signatureFrom: 0 }, expect: 'ok' },
);
write('keys.json', 'ML-DSA-65 keys from seeds, addresses (bech32m, hrp pan), key files and domain-separated signatures (docs/keys.md).', keyCases);

// ---- transactions -----------------------------------------------------------------------------
const alice = keyPairFromSeed(seed(1));
const bob = keyPairFromSeed(seed(2));
const transfer: UnsignedTx = { chainId: CHAIN, senderPublicKey: alice.publicKey, nonce: 0n, fee: 1000n, payload: { kind: 'transfer', to: addressBytes(bob.publicKey), amount: 250_000_000n } };
// The OAR log of the examples: leaf i is the leaf hash of "acme agents-prod entry <i>".
const acmeTree = new SampleLog('acme agents-prod');
const acmeLogId = `${addressOf(alice.publicKey)}/agents-prod`;
const commitmentAt = (nonce: bigint, previousSize: number, size: number): UnsignedTx => ({
  chainId: CHAIN,
  senderPublicKey: alice.publicKey,
  nonce,
  fee: 1000n,
  payload: { kind: 'commitment', logId: acmeLogId, treeSize: BigInt(size), root: acmeTree.root(size), previousSize: BigInt(previousSize), consistencyProof: acmeTree.consistencyProof(previousSize, size) },
});
const commitment = commitmentAt(1n, 0, 1024);
const laterCommitment = commitmentAt(2n, 1024, 1500);
const carol = keyPairFromSeed(seed(7));
const keyChange: UnsignedTx = { chainId: CHAIN, senderPublicKey: alice.publicKey, nonce: 3n, fee: 1000n, payload: { kind: 'keyChange', logId: acmeLogId, newPublicKey: carol.publicKey, fromSize: 1501n } };
const signedTransfer = signTx(transfer, alice.secretKey, true);
const signedCommitment = signTx(commitment, alice.secretKey, true);
const payloadJson = (p: UnsignedTx['payload']) => {
  if (p.kind === 'transfer') return { kind: 'transfer', to: hex(p.to), amount: p.amount.toString() };
  if (p.kind === 'commitment') return { kind: 'commitment', logId: p.logId, treeSize: p.treeSize.toString(), root: hex(p.root), previousSize: p.previousSize.toString(), consistencyProof: p.consistencyProof.map(hex) };
  if (p.kind === 'keyChange') return { kind: 'keyChange', logId: p.logId, newPublicKey: hex(p.newPublicKey), fromSize: p.fromSize.toString() };
  throw new Error('no vectors for anchor attestations here (docs/anchor.md)');
};
const txCase = (description: string, tx: ReturnType<typeof signTx>) => ({
  description,
  input: { seed: hex(seed(1)), chainId: tx.chainId, nonce: tx.nonce.toString(), fee: tx.fee.toString(), payload: payloadJson(tx.payload) },
  expect: 'ok',
  output: { body: hex(encodeTxBody(tx)), tx: hex(encodeTx(tx)), txId: hex(txId(tx)), txLeafHash: hex(leafHash(txLeaf(CHAIN, encodeTx(tx)))), commitmentLeafHash: hex(leafHash(commitmentLeaf(CHAIN, encodeTx(tx)))) },
});
const tBytes = encodeTx(signedTransfer);
const cBytes = encodeTx(signedCommitment);
const withByte = (b: Uint8Array, at: number, value: number) => {
  const c = b.slice();
  c[at] = value;
  return c;
};
const badSig = tBytes.slice();
badSig[badSig.length - 100] ^= 1;
// Offsets inside the commitment body: the payload starts after the common fields.
const payloadAt = 1 + 4 + CHAIN.length + 1 + 1952 + 8 + 8;
const logIdAt = payloadAt + 4;
const treeSizeAt = logIdAt + acmeLogId.length;
const proofCountAt = treeSizeAt + 8 + 32 + 8;
const withBytes = (b: Uint8Array, at: number, bytes: Uint8Array) => {
  const c = b.slice();
  c.set(bytes, at);
  return c;
};
const u64At = (b: Uint8Array, at: number, value: bigint) => {
  const c = b.slice();
  new DataView(c.buffer, c.byteOffset).setBigUint64(at, value);
  return c;
};
const u32At = (b: Uint8Array, at: number, value: number) => {
  const c = b.slice();
  new DataView(c.buffer, c.byteOffset).setUint32(at, value);
  return c;
};
write('transaction.json', 'Transactions (docs/transaction.md), version 2: deterministic signatures from seed 1; decode and signature failures.', [
  txCase('transfer of 2.5 PAN to the address of seed 2', signedTransfer),
  txCase('first commitment of log <address of seed 1>/agents-prod at tree size 1024 (previousSize 0, no proof)', signedCommitment),
  txCase('later commitment of the same log at tree size 1500, extending size 1024 with its consistency proof', signTx(laterCommitment, alice.secretKey, true)),
  txCase('key change of the log to the key of seed 7, from size 1501', signTx(keyChange, alice.secretKey, true)),
  { description: 'a trailing byte', input: { decode: hex(concatBytes(tBytes, Uint8Array.of(0))), chainId: CHAIN }, expect: 'DecodeError', output: { field: 'transaction' } },
  { description: 'truncated signature', input: { decode: hex(tBytes.subarray(0, tBytes.length - 1)), chainId: CHAIN }, expect: 'DecodeError', output: { field: 'signature' } },
  { description: 'version 1 (before append-only logs): refused', input: { decode: hex(withByte(tBytes, 0, 1)), chainId: CHAIN }, expect: 'DecodeError', output: { field: 'version' } },
  { description: 'version 3', input: { decode: hex(withByte(tBytes, 0, 3)), chainId: CHAIN }, expect: 'DecodeError', output: { field: 'version' } },
  { description: 'unknown kind 9', input: { decode: hex(withByte(tBytes, 1 + 4 + CHAIN.length, 9)), chainId: CHAIN }, expect: 'DecodeError', output: { field: 'kind' } },
  { description: 'chain id with an upper-case letter', input: { decode: hex(withByte(tBytes, 5, 'P'.charCodeAt(0))), chainId: CHAIN }, expect: 'DecodeError', output: { field: 'chainId' } },
  { description: 'empty input', input: { decode: '', chainId: CHAIN }, expect: 'DecodeError', output: { field: 'version' } },
  { description: 'log id whose owner address has a bad checksum', input: { decode: hex(withByte(cBytes, logIdAt + 10, cBytes[logIdAt + 10] === 0x71 ? 0x70 : 0x71)), chainId: CHAIN }, expect: 'DecodeError', output: { field: 'logId' } },
  { description: 'log id without the owner address (the name only)', input: { decode: hex(withBytes(cBytes, logIdAt, utf8('acme-corp-agents'.padEnd(62, '-')))), chainId: CHAIN }, expect: 'DecodeError', output: { field: 'logId' } },
  { description: 'tree size 2^53, one above TREE_SIZE_MAX', input: { decode: hex(u64At(cBytes, treeSizeAt, 2n ** 53n)), chainId: CHAIN }, expect: 'DecodeError', output: { field: 'treeSize' } },
  { description: 'tree size 0', input: { decode: hex(u64At(cBytes, treeSizeAt, 0n)), chainId: CHAIN }, expect: 'DecodeError', output: { field: 'treeSize' } },
  { description: 'consistency proof count 65', input: { decode: hex(u32At(cBytes, proofCountAt, 65)), chainId: CHAIN }, expect: 'DecodeError', output: { field: 'consistencyProof' } },
  { description: 'one flipped signature bit', input: { decode: hex(badSig), chainId: CHAIN }, expect: 'BadSignature' },
  { description: 'valid transaction presented to another chain', input: { decode: hex(tBytes), chainId: 'pantheon-other-1' }, expect: 'WrongChain' },
]);

// ---- genesis ----------------------------------------------------------------------------------
const validators = [3, 4, 5, 6].map((i) => keyPairFromSeed(seed(i)));
const genesis = createGenesis({ chainId: CHAIN, genesisTimeMs: 1_764_028_800_000n, validatorPublicKeys: validators.map((v) => v.publicKey), fundedPublicKeys: [alice.publicKey, bob.publicKey] });
const gj = genesisToJson(genesis) as any;
const broken = (description: string, mutate: (g: any) => void, error: string) => {
  const copy = structuredClone(gj);
  mutate(copy);
  return { description, input: { genesis: copy }, expect: 'invalid', output: { error } };
};
// Bitcoin block 840,000, the fourth halving: a real mainnet block as the work-floor checkpoint.
const checkpoint840k = { height: 840000, hash: '0000000000000000000320283a032748cef8227873ff4872689bf23f1cda83a5', bits: '17034219' };
const mainnetGenesis = parseGenesis({ ...gj, chainId: 'pantheon-main-test-1', bitcoin: { network: 'mainnet', checkpoint: checkpoint840k } });
const okCase = (description: string, g: typeof genesis) => ({ description, input: { genesis: genesisToJson(g) }, expect: 'ok', output: { encoding: hex(encodeGenesis(g)), genesisHash: hex(genesisHash(g)), validatorSetHash: hex(genesisValidatorSetHash(g)) } });
const gText = JSON.stringify(gj, null, 2);
const textCase = (description: string, text: string, error: string) => {
  if (text === gText) throw new Error(`vectors: ${description}: the text was not changed`);
  return { description, input: { text }, expect: 'invalid', output: { error } };
};
write('genesis.json', 'Genesis files, version 3 (docs/genesis.md): valid ones with their canonical encoding and hash, then broken ones with the error each must produce. input.genesis is a JSON object; input.text is the file as JSON text (for duplicate members, which an object cannot hold).', [
  okCase('four validators from seeds 3-6; supply split between seeds 1 and 2; anchors into regtest', genesis),
  okCase('the same validators and allocations on chain pantheon-main-test-1, anchoring into mainnet with checkpoint block 840000', mainnetGenesis),
  broken('version 1: no "version" member and no "bitcoin" section', (g) => {
    delete g.version;
    delete g.bitcoin;
  }, 'this is a version 1 genesis'),
  broken('version 2: no heartbeat, anchoring by block count', (g) => {
    g.version = 2;
    delete g.params.heartbeatMs;
    delete g.params.anchorIntervalSeconds;
  }, 'this is a version 2 genesis'),
  broken('version 4', (g) => (g.version = 4), 'unsupported version 4'),
  broken('version as a string', (g) => (g.version = '3'), 'unsupported version "3"'),
  broken('missing params.heartbeatMs', (g) => delete g.params.heartbeatMs, 'genesis params: missing field "heartbeatMs"'),
  broken('heartbeat below a tenth of a second', (g) => (g.params.heartbeatMs = 99), 'genesis params.heartbeatMs: must be an integer in [100, 86400000], got 99'),
  broken('heartbeat below blockIntervalMs', (g) => ((g.params.blockIntervalMs = 5000), (g.params.heartbeatMs = 4000)), 'genesis params.heartbeatMs: must be at least blockIntervalMs (5000), got 4000'),
  broken('anchor interval of zero seconds', (g) => (g.params.anchorIntervalSeconds = 0), 'genesis params.anchorIntervalSeconds: must be an integer in [1, 86400], got 0'),
  broken('anchor interval in milliseconds (a fraction)', (g) => (g.params.anchorIntervalSeconds = 0.5), 'genesis params.anchorIntervalSeconds'),
  broken('missing bitcoin section', (g) => delete g.bitcoin, 'missing field "bitcoin"'),
  broken('unknown Bitcoin network', (g) => (g.bitcoin = { network: 'signet' }), 'genesis bitcoin.network: must be one of mainnet, testnet, regtest'),
  broken('mainnet without a checkpoint', (g) => (g.bitcoin = { network: 'mainnet' }), 'a mainnet genesis must pin a checkpoint'),
  broken('regtest with a checkpoint', (g) => (g.bitcoin = { network: 'regtest', checkpoint: checkpoint840k }), 'only a mainnet genesis has one'),
  broken('checkpoint bits easier than the mainnet proof-of-work limit', (g) => (g.bitcoin = { network: 'mainnet', checkpoint: { ...checkpoint840k, bits: '207fffff' } }), 'easier than the mainnet proof-of-work limit'),
  broken('checkpoint bits as a JSON number', (g) => (g.bitcoin = { network: 'mainnet', checkpoint: { ...checkpoint840k, bits: 0x17034219 } }), 'genesis bitcoin.checkpoint.bits'),
  broken('checkpoint bits encoding a negative target', (g) => (g.bitcoin = { network: 'mainnet', checkpoint: { ...checkpoint840k, bits: '17834219' } }), 'negative target'),
  broken('checkpoint hash in upper case', (g) => (g.bitcoin = { network: 'mainnet', checkpoint: { ...checkpoint840k, hash: checkpoint840k.hash.toUpperCase() } }), 'genesis bitcoin.checkpoint.hash'),
  broken('checkpoint height negative', (g) => (g.bitcoin = { network: 'mainnet', checkpoint: { ...checkpoint840k, height: -1 } }), 'genesis bitcoin.checkpoint.height'),
  broken('checkpoint with an unknown field', (g) => (g.bitcoin = { network: 'mainnet', checkpoint: { ...checkpoint840k, chainwork: '1' } }), 'unknown field "chainwork"'),
  textCase('a duplicate "chainId" member (the last one is valid, so a last-wins reader accepts the file)', gText.replace(`"chainId": "${CHAIN}"`, `"chainId": "pantheon-other-1",\n  "chainId": "${CHAIN}"`), 'duplicate member "chainId"'),
  textCase('a duplicate "network" member inside "bitcoin"', gText.replace(`"network": "regtest"`, `"network": "mainnet",\n    "network": "regtest"`), 'duplicate member "network" in the object at bitcoin'),
  textCase('a duplicate member written with an escape ("\\u0076ersion" is "version")', gText.replace(`"version": 3,`, `"version": 3,\n  "\\u0076ersion": 3,`), 'duplicate member "version"'),
  broken('total one base unit short', (g) => (g.allocations[0].amount = (BigInt(g.allocations[0].amount) - 1n).toString()), '1 too few'),
  broken('total one base unit over', (g) => (g.allocations[1].amount = (BigInt(g.allocations[1].amount) + 1n).toString()), '1 too many'),
  broken('negative amount', (g) => (g.allocations[0].amount = '-5'), 'negative amounts are not allowed'),
  broken('fractional amount', (g) => (g.allocations[0].amount = '2.5'), 'fractional amounts are not allowed'),
  broken('amount as a JSON number', (g) => (g.allocations[0].amount = 250000000000000000), 'not a JSON number'),
  broken('amount with a leading zero', (g) => (g.allocations[0].amount = '0' + g.allocations[0].amount), 'without leading zeros'),
  broken('amount in exponent form', (g) => (g.allocations[0].amount = '25e16'), 'sign or exponent'),
  broken('zero allocation', (g) => g.allocations.push({ address: addressOf(keyPairFromSeed(seed(7)).publicKey), amount: '0' }), 'must be positive'),
  broken('duplicate account', (g) => (g.allocations[1].address = g.allocations[0].address), 'duplicate account'),
  broken('duplicate validator key', (g) => (g.validators[1].publicKey = g.validators[0].publicKey), 'duplicate of validators[0].publicKey'),
  broken('duplicate validator name', (g) => (g.validators[1].name = g.validators[0].name), 'duplicate of validators[0].name'),
  broken('zero voting power', (g) => (g.validators[2].power = '0'), 'voting power must be at least 1'),
  broken('unknown top-level field', (g) => (g.mint = { amount: '1' }), 'unknown field "mint"'),
  broken('unknown validator field', (g) => (g.validators[0].stake = '1'), 'unknown field "stake"'),
  broken('malformed public key (too short)', (g) => (g.validators[0].publicKey = g.validators[0].publicKey.slice(0, 100)), 'malformed ML-DSA-65 public key'),
  broken('malformed public key (not hex)', (g) => (g.validators[0].publicKey = 'zz' + g.validators[0].publicKey.slice(2)), 'malformed ML-DSA-65 public key'),
  broken('address with a bad checksum', (g) => (g.allocations[0].address = flipped), 'not a valid bech32m address'),
  broken('missing validators', (g) => delete g.validators, 'missing field "validators"'),
  broken('no validators', (g) => (g.validators = []), 'must be a non-empty array'),
  broken('bad chain id', (g) => (g.chainId = 'Pantheon Main'), 'genesis chainId'),
  broken('bad genesis time', (g) => (g.genesisTime = '2026-02-30T00:00:00Z'), 'is not a real date'),
  broken('timeout of zero', (g) => (g.params.timeoutProposeMs = 0), 'params.timeoutProposeMs'),
  broken('leap second (23:59:60): times are POSIX, without leap seconds', (g) => (g.genesisTime = '2016-12-31T23:59:60Z'), 'is not a real date'),
  broken('an unknown and a missing member in one object: the unknown one is reported', (g) => { g.extra = 1; delete g.params; }, 'unknown field "extra"'),
]);

// ---- state transition -------------------------------------------------------------------------
/** The log records as state.json shows them: owner and keys by address text. */
export const logsJson = (state: State) =>
  Object.fromEntries(
    [...state.logs].sort(([x], [y]) => (x < y ? -1 : 1)).map(([id, r]) => [
      id,
      { owner: addressOf(r.ownerPublicKey), size: r.size.toString(), root: hex(r.root), commitments: r.commitments.toString(), keyChanges: r.keyChanges.map((k) => ({ fromSize: k.fromSize.toString(), key: addressOf(k.publicKey) })) },
    ]),
  );
{
  const state: State = { accounts: genesisAccounts(genesis), logs: new Map() };
  const proposer = addressBytes(validators[0].publicKey);
  const ctx = { proposer, minFee: genesis.params.minFee };
  const otherTree = new SampleLog('another history');
  const alicePayload = commitment.payload as CommitmentPayload;
  const aliceAt = (nonce: bigint, p: Partial<CommitmentPayload>): UnsignedTx => ({ ...commitment, nonce, payload: { ...alicePayload, ...p } });
  const byBob = (tx: UnsignedTx): UnsignedTx => ({ ...tx, senderPublicKey: bob.publicKey, nonce: 0n });
  const steps = [
    { description: 'transfer, nonce 0', tx: transfer },
    { description: "seed 2 front-runs the first commitment of seed 1's log", tx: byBob(commitment) },
    { description: 'first commitment of the log, size 1024, nonce 1', tx: commitment },
    { description: 'replay of nonce 1', tx: commitment },
    { description: 'fee below the minimum', tx: { ...transfer, nonce: 2n, fee: 999n } },
    { description: 'more than the balance', tx: { ...transfer, senderPublicKey: bob.publicKey, nonce: 0n, payload: { kind: 'transfer' as const, to: addressBytes(alice.publicKey), amount: 5_000_000_000_000_000_000n } } },
    { description: 'sender without an account', tx: { ...transfer, senderPublicKey: validators[1].publicKey, nonce: 0n } },
    { description: "seed 2 commits to seed 1's log", tx: byBob(laterCommitment) },
    { description: 'shrink: size 1000 after 1024', tx: aliceAt(2n, { treeSize: 1000n, root: acmeTree.root(1000), previousSize: 1024n, consistencyProof: [] }) },
    { description: 'another root at the committed size 1024', tx: aliceAt(2n, { treeSize: 1024n, root: otherTree.root(1024), previousSize: 1024n, consistencyProof: [] }) },
    { description: 'previousSize 1000, not the committed 1024', tx: aliceAt(2n, { treeSize: 1500n, root: acmeTree.root(1500), previousSize: 1000n, consistencyProof: acmeTree.consistencyProof(1000, 1500) }) },
    { description: 'fork: size 1500 of another history, with that history\'s proof from 1024', tx: aliceAt(2n, { treeSize: 1500n, root: otherTree.root(1500), previousSize: 1024n, consistencyProof: otherTree.consistencyProof(1024, 1500) }) },
    { description: 'the valid proof from 1024 to 1500, with the tree size claimed as 3000', tx: aliceAt(2n, { treeSize: 3000n, root: acmeTree.root(1500), previousSize: 1024n, consistencyProof: acmeTree.consistencyProof(1024, 1500) }) },
    { description: 'later commitment, size 1500 extending 1024, nonce 2', tx: laterCommitment },
    { description: "seed 2 changes the key of seed 1's log", tx: byBob(keyChange) },
    { description: 'key change from size 1000, below the committed 1500', tx: { ...keyChange, payload: { ...keyChange.payload, fromSize: 1000n } as UnsignedTx['payload'] } },
    { description: 'key change to the key of seed 7 from size 1501, nonce 3', tx: keyChange },
    { description: 'the old key commits after the change', tx: commitmentAt(4n, 1500, 1600) },
    { description: 'a first commitment with previousSize 5', tx: { ...commitment, senderPublicKey: bob.publicKey, nonce: 0n, payload: { ...alicePayload, logId: `${addressOf(bob.publicKey)}/bob-log`, previousSize: 5n } } },
  ];
  const cases = steps.map((s) => {
    const error = applyTx(state, s.tx, ctx);
    const balances = Object.fromEntries([...state.accounts].sort().map(([k, a]) => [k, { balance: a.balance.toString(), nonce: a.nonce.toString() }]));
    return { description: s.description, input: { txBody: hex(encodeTxBody(s.tx)) }, expect: error ? 'rejected' : 'ok', output: { error: error ?? null, accountsAfter: balances, logsAfter: logsJson(state), stateRootAfter: hex(stateRoot(CHAIN, state)) } };
  });
  writeFileSync(
    join(here, 'state.json'),
    JSON.stringify({ description: 'State transition (docs/state.md), version 2: applied in order from the genesis of genesis.json case 0, proposer = validator from seed 3, minFee 1000. Each case shows the accounts and log records after it.', genesisCase: 0, proposer: hex(proposer), cases }, null, 2) + '\n',
  );
  console.log(`wrote docs/vectors/state.json: ${cases.length} cases`);
}

// ---- block ------------------------------------------------------------------------------------
{
  const state: State = { accounts: genesisAccounts(genesis), logs: new Map() };
  const proposer = addressBytes(validators[0].publicKey);
  for (const tx of [transfer, commitment]) {
    const error = applyTx(state, tx, { proposer, minFee: 1000n });
    if (error) throw new Error(`block vector: ${error}`);
  }
  const txs = [encodeTx(signedTransfer), encodeTx(signedCommitment)];
  const block: Block = {
    header: {
      chainId: CHAIN,
      height: 1n,
      timeMs: 1_764_028_801_000n,
      previousBlockHash: genesisHash(genesis),
      txRoot: txRoot(CHAIN, txs),
      evidenceRoot: evidenceRoot(CHAIN, []),
      commitmentLogRoot: rootOf([leafHash(commitmentLeaf(CHAIN, txs[1]))]),
      commitmentLogSize: 1n,
      stateRoot: stateRoot(CHAIN, state),
      validatorSetHash: genesisValidatorSetHash(genesis),
      proposer,
    },
    txs,
    evidence: [],
  };
  const encoded = encodeBlock(block);
  const headerBytes = encodeHeader(block.header);
  const tamperedHeight = headerBytes.slice();
  tamperedHeight[1 + 4 + CHAIN.length + 7] = 0;
  write('block.json', 'Blocks (docs/block.md): block 1 on the genesis of genesis.json case 0, holding the two transactions of transaction.json.', [
    { description: 'block 1 with a transfer and a commitment', input: { header: { ...Object.fromEntries(Object.entries(block.header).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? hex(v) : v])) }, txs: txs.map(hex) }, expect: 'ok', output: { header: hex(headerBytes), blockHash: hex(blockHash(block.header)), block: hex(encoded) } },
    { description: 'header of height 0', input: { decodeHeader: hex(tamperedHeight) }, expect: 'DecodeError', output: { field: 'height' } },
    { description: 'block with a trailing byte', input: { decodeBlock: hex(concatBytes(encoded, Uint8Array.of(0))) }, expect: 'DecodeError', output: { field: 'block' } },
    { description: 'block whose txs are swapped (txRoot mismatch)', input: { block: hex(encodeBlock({ ...block, txs: [txs[1], txs[0]] })) }, expect: 'BodyMismatch', output: { error: 'txRoot does not match the transactions' } },
    { description: 'block with evidence its header does not commit to', input: { block: hex(encodeBlock({ ...block, evidence: [new Uint8Array(10)] })) }, expect: 'BodyMismatch', output: { error: 'evidenceRoot does not match the evidence' } },
  ]);

  // ---- compact block (docs/block.md, "Compact blocks"; the proposal gossip of docs/gossip.md)
  const compact = compactBlockOf(block);
  const compactBytes = encodeCompactBlock(compact);
  write('compact-block.json', 'Compact blocks (docs/block.md): block 1 of block.json as a compact block. expect: ok (output.compactBlock, txLeafHashes, and the block rebuilt from input.txs) | Missing (rebuilt from input.known only: output.missing, the indexes still missing) | DecodeError (output.field) | BodyMismatch (output.error from checkCompactBlockBody).', [
    { description: 'block 1 as a compact block, rebuilt from both transactions', input: { block: hex(encoded), txs: txs.map(hex) }, expect: 'ok', output: { compactBlock: hex(compactBytes), txLeafHashes: compact.txLeafHashes.map(hex), blockHash: hex(blockHash(block.header)), block: hex(encoded) } },
    { description: 'only the commitment at hand: the transfer (index 0) must be fetched', input: { compactBlock: hex(compactBytes), known: [hex(txs[1])] }, expect: 'Missing', output: { missing: [0] } },
    { description: 'a transaction at hand under the wrong leaf hash counts as missing (the lookup answered the transfer for both)', input: { compactBlock: hex(compactBytes), knownAs: [[hex(compact.txLeafHashes[1]), hex(txs[0])], [hex(compact.txLeafHashes[0]), hex(txs[0])]] }, expect: 'Missing', output: { missing: [1] } },
    { description: 'nothing at hand', input: { compactBlock: hex(compactBytes), known: [] }, expect: 'Missing', output: { missing: [0, 1] } },
    { description: 'a trailing byte', input: { decode: hex(concatBytes(compactBytes, Uint8Array.of(0))) }, expect: 'DecodeError', output: { field: 'compact block' } },
    { description: 'the last leaf hash cut short', input: { decode: hex(concatBytes(encodeHeader(block.header), Uint8Array.of(0, 0, 0, 2), compact.txLeafHashes[0], compact.txLeafHashes[1].subarray(0, 31))) }, expect: 'DecodeError', output: { field: 'txLeafHash' } },
    { description: 'leaf hashes swapped', input: { compactBlock: hex(encodeCompactBlock({ ...compact, txLeafHashes: [compact.txLeafHashes[1], compact.txLeafHashes[0]] })) }, expect: 'BodyMismatch', output: { error: 'txRoot does not match the transaction leaf hashes' } },
    { description: 'the raw transaction hash instead of its leaf hash', input: { compactBlock: hex(encodeCompactBlock({ ...compact, txLeafHashes: [sha256(txs[0]), compact.txLeafHashes[1]] })) }, expect: 'BodyMismatch', output: { error: 'txRoot does not match the transaction leaf hashes' } },
    { description: 'evidence the header does not commit to', input: { compactBlock: hex(encodeCompactBlock({ ...compact, evidence: [new Uint8Array(10)] })) }, expect: 'BodyMismatch', output: { error: 'evidenceRoot does not match the evidence' } },
  ]);
}

// ---- Bitcoin parsing rules (docs/anchor.md) ---------------------------------------------------
write('bitcoin.json', 'Bitcoin parsing rules (docs/anchor.md): raw transactions, the anchor output, merkle branches, nBits and proof of work. kind "tx": rawTx hex parsed with witness "forbidden" (proof bundles) or "allowed" (anchor-attestation transactions). kind "anchor-tx": the same plus the anchor rule for chainId. kind "merkle": txid, index and siblings (internal byte order hex) against merkleRoot. kind "bits": compact nBits -> target (hex) and work (decimal, floor(2^256 / (target + 1))). kind "header": an 80-byte header against a network pow limit. expect is "ok" or the rule that refuses the case.', bitcoinVectorCases(CHAIN));

// ---- the sign record file (docs/storage.md, "The sign record file") ----------------------------
{
  const validator = hex(addressBytes(keyPairFromSeed(seed(1)).publicKey));
  const base = { format: SIGN_RECORD_FORMAT, version: SIGN_RECORD_VERSION, chainId: CHAIN, validator } as const;
  const record: SignRecord = {
    height: 1149n,
    round: 0,
    step: 'precommit',
    blockHash: new Uint8Array(32).fill(0xab),
    lockedRound: 0,
    lockedBlockHash: new Uint8Array(32).fill(0xab),
    lockedPolka: [],
    resend: { prevote: [{ round: 0, blockHash: new Uint8Array(32).fill(0xab) }], precommit: [{ round: 0, blockHash: new Uint8Array(32).fill(0xab) }] },
  };
  const fresh = encodeSignRecordFile({ ...base, record: null });
  const signed = encodeSignRecordFile({ ...base, record });
  const expectFor = { chainId: CHAIN, validator };
  const inner = JSON.parse(signed) as { body: string; checksum: string };
  write('sign-record.json', "A validator's last-sign record file (docs/storage.md): the file text, the chain and validator the node expects, and the error a damaged file must produce.", [
    { description: 'an empty data directory: nothing signed yet', input: { file: fresh, expect: expectFor }, expect: 'ok', output: { height: null, checksum: JSON.parse(fresh).checksum } },
    { description: 'signed a precommit at height 1149', input: { file: signed, expect: expectFor }, expect: 'ok', output: { height: '1149', round: 0, step: 'precommit', checksum: inner.checksum } },
    { description: 'one digit changed, still valid JSON: a silent rollback to 1139', input: { file: signed.replace('\\"1149\\"', '\\"1139\\"'), expect: expectFor }, expect: 'SignRecordDamaged', output: { error: 'its checksum does not match its body' } },
    { description: 'cut in half', input: { file: signed.slice(0, Math.floor(signed.length / 2)), expect: expectFor }, expect: 'SignRecordDamaged', output: { error: 'it is not valid JSON' } },
    { description: 'the checksum of another chain id', input: { file: JSON.stringify({ body: inner.body, checksum: hex(taggedHash(TAGS.signRecord, 'pantheon-other-1', utf8(inner.body))) }), expect: expectFor }, expect: 'SignRecordDamaged', output: { error: 'its checksum does not match its body' } },
    { description: 'a record of another chain', input: { file: signed, expect: { ...expectFor, chainId: 'pantheon-other-1' } }, expect: 'SignRecordDamaged', output: { error: 'it belongs to chain pantheon-test-1, not pantheon-other-1' } },
    { description: "another validator's record", input: { file: signed, expect: { ...expectFor, validator: '00'.repeat(32) } }, expect: 'SignRecordDamaged', output: { error: `it belongs to validator ${validator}` } },
    { description: 'another format version', input: { file: encodeSignRecordFile({ ...base, version: 2, record }), expect: expectFor }, expect: 'SignRecordDamaged', output: { error: 'version 2, this node reads pantheon/sign-record version 1' } },
  ]);
}

// ---- OAR (docs/oar.md) ------------------------------------------------------------------------
writeOarVectors(write);
// ---- hello (docs/gossip.md) -------------------------------------------------------------------
{
  const peerId = concatBytes(Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20), new Uint8Array(32).fill(0x11));
  const otherPeerId = concatBytes(Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20), new Uint8Array(32).fill(0x22));
  const proofBy = (signer: number, index: number, chainId = CHAIN, over = peerId) => ({ validatorIndex: index, signature: sign(TAGS.validatorPeer, chainId, over, validators[signer].secretKey, true) });
  const plain = encodeHello({ protocolVersion: PROTOCOL_VERSION, chainId: CHAIN });
  const proven = encodeHello({ protocolVersion: PROTOCOL_VERSION, chainId: CHAIN, validatorProof: proofBy(0, 0) });
  const base = { chainId: CHAIN, peerId: hex(peerId) };
  write('hello.json', `Hello (docs/gossip.md): protocol version ${PROTOCOL_VERSION}. The genesis validators are keyPairFromSeed(seed 3..6) as in genesis.json, indices 0..3; peerId is the binary libp2p peer id the proof must bind. expect: ok | DecodeError (output.field) | VersionMismatch (output.protocolVersion) | ProofInvalid.`, [
    { description: 'an outsider: no proof', input: { ...base, hello: hex(plain) }, expect: 'ok', output: { protocolVersion: PROTOCOL_VERSION, chainId: CHAIN, validatorIndex: null } },
    { description: 'validator 0 proves its peer id', input: { ...base, hello: hex(proven) }, expect: 'ok', output: { protocolVersion: PROTOCOL_VERSION, chainId: CHAIN, validatorIndex: 0 } },
    { description: 'another protocol version: refused before the rest is read', input: { ...base, hello: hex(concatBytes(Uint8Array.of(0, 0, 0, PROTOCOL_VERSION + 1), plain.subarray(4))) }, expect: 'VersionMismatch', output: { protocolVersion: PROTOCOL_VERSION + 1 } },
    { description: 'a future version with a layout of its own', input: { ...base, hello: hex(Uint8Array.of(0, 0, 0, 0x63, 0xff)) }, expect: 'VersionMismatch', output: { protocolVersion: 0x63 } },
    { description: 'too short to hold a version', input: { ...base, hello: '000000' }, expect: 'DecodeError', output: { field: 'protocolVersion' } },
    { description: 'unknown proof kind 2', input: { ...base, hello: hex(concatBytes(plain.subarray(0, plain.length - 1), Uint8Array.of(2))) }, expect: 'DecodeError', output: { field: 'proofKind' } },
    { description: 'a trailing byte', input: { ...base, hello: hex(concatBytes(plain, Uint8Array.of(0))) }, expect: 'DecodeError', output: { field: 'hello' } },
    { description: 'a chain id in upper case', input: { ...base, hello: hex(encodeHelloUnchecked('PANTHEON-TEST-1')) }, expect: 'DecodeError', output: { field: 'chainId' } },
    { description: 'a signature one byte short', input: { ...base, hello: hex(proven.subarray(0, proven.length - 1)) }, expect: 'DecodeError', output: { field: 'signature' } },
    { description: 'a proof for another peer id (replayed from the validator\'s real node)', input: { ...base, peerId: hex(otherPeerId), hello: hex(proven) }, expect: 'ProofInvalid' },
    { description: 'index 0 claimed with validator 1\'s signature', input: { ...base, hello: hex(encodeHello({ protocolVersion: PROTOCOL_VERSION, chainId: CHAIN, validatorProof: proofBy(1, 0) })) }, expect: 'ProofInvalid' },
    { description: 'index 4: not in the genesis set of 4', input: { ...base, hello: hex(encodeHello({ protocolVersion: PROTOCOL_VERSION, chainId: CHAIN, validatorProof: proofBy(0, 4) })) }, expect: 'ProofInvalid' },
    { description: 'signed for another chain id', input: { ...base, hello: hex(encodeHello({ protocolVersion: PROTOCOL_VERSION, chainId: CHAIN, validatorProof: proofBy(0, 0, 'pantheon-other-1') })) }, expect: 'ProofInvalid' },
  ]);

  /** A hello whose chain id skips validation, to make the negative case. */
  function encodeHelloUnchecked(chainId: string): Uint8Array {
    const text = new TextEncoder().encode(chainId);
    const out = new Uint8Array(4 + 4 + text.length + 1);
    new DataView(out.buffer).setUint32(0, PROTOCOL_VERSION);
    new DataView(out.buffer).setUint32(4, text.length);
    out.set(text, 8);
    return out;
  }
}

// ---- transaction lists, gossip topic tx/2 (docs/gossip.md) -------------------------------------
{
  const tx = (nonce: bigint) => encodeTx(signTx({ chainId: CHAIN, senderPublicKey: alice.publicKey, nonce, fee: 1000n, payload: { kind: 'transfer', to: addressBytes(bob.publicKey), amount: 1n } }, alice.secretKey, true));
  const one = encodeTxList([tx(0n)]);
  const two = encodeTxList([tx(0n), tx(1n)]);
  const u32 = (n: number) => new Writer().u32(n).finish();
  write('tx-list.json', `Transaction lists, the payload of gossip topic tx/2 (docs/gossip.md): list(bytes(tx)), 1 to ${TX_LIST_COUNT_MAX} signed transactions of at most TX_SIZE_MAX (${TX_SIZE_MAX}) bytes each; the transactions are transfers of keyPairFromSeed(seed 1) on ${CHAIN}, signed deterministically. output.cost: what the message costs an outsider's rate budget, read from the count prefix before decoding. expect: ok (output.txs, the transactions in hex) | DecodeError (output.field).`, [
    { description: 'one transaction', input: { list: hex(one) }, expect: 'ok', output: { txs: [hex(tx(0n))], cost: txListCost(one) } },
    { description: 'two transactions, in the order they were admitted', input: { list: hex(two) }, expect: 'ok', output: { txs: [hex(tx(0n)), hex(tx(1n))], cost: txListCost(two) } },
    { description: 'an empty list', input: { list: '00000000' }, expect: 'DecodeError', output: { field: 'txs', cost: 1 } },
    { description: `${TX_LIST_COUNT_MAX + 1} transactions claimed: more than a list may hold`, input: { list: hex(concatBytes(u32(TX_LIST_COUNT_MAX + 1), one.subarray(4))) }, expect: 'DecodeError', output: { field: 'txs', cost: TX_LIST_COUNT_MAX } },
    { description: 'a transaction one byte longer than any can be', input: { list: hex(concatBytes(u32(1), u32(TX_SIZE_MAX + 1), new Uint8Array(TX_SIZE_MAX + 1))) }, expect: 'DecodeError', output: { field: 'tx', cost: 1 } },
    { description: 'two claimed, one present', input: { list: hex(concatBytes(u32(2), one.subarray(4))) }, expect: 'DecodeError', output: { field: 'tx', cost: 2 } },
    { description: 'a trailing byte', input: { list: hex(concatBytes(one, Uint8Array.of(0))) }, expect: 'DecodeError', output: { field: 'transaction list', cost: 1 } },
    { description: 'too short to hold a count', input: { list: '000001' }, expect: 'DecodeError', output: { field: 'txs', cost: 1 } },
  ]);
}
