// A real proof bundle without the node: a 4-validator genesis from fixed seeds, blocks 1..5
// built with the protocol functions (real transaction, commitment-log, state and validator-set
// roots), an ML-DSA-65 commitment, a commit certificate signed by 3 of the 4 validators, and a
// real Bitcoin anchor of block H made by the real Anchorer against a real bcoin regtest node.
//
// `node --import tsx test/helpers/bundle-fixture.ts` regenerates docs/vectors/proof.json (the
// Bitcoin part comes from a fresh regtest chain, so its hashes change on every run).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';
import { bytesToHex } from '../../protocol/bytes.ts';
import { addressOf, keyPairFromSeed, type KeyPair } from '../../protocol/keys.ts';
import { SampleLog } from '../../node/commitment-log.ts';
import { commitmentLeaf, encodeTx, signTx, type SignedTx } from '../../protocol/tx.ts';
import { blockHash, encodeHeader, evidenceRoot, txRoot, type BlockHeader } from '../../protocol/block.ts';
import { inclusionProof, leafHash, rootOf } from '../../protocol/merkle.ts';
import { applyTx, stateRoot } from '../../protocol/state.ts';
import { encodeCertificate, certificateFromVotes } from '../../protocol/certificate.ts';
import { signVote } from '../../protocol/vote.ts';
import { forgeAnchor, MAINNET_CHECKPOINT_840000 } from './forged-anchor.ts';
import { createGenesis, parseCheckpoint, genesisAccounts, genesisHash, genesisToJson, genesisValidatorSet, genesisValidatorSetHash, type Genesis, type GenesisBitcoin } from '../../genesis/genesis.ts';
import { Anchorer, type AnchorAttestation } from '../../anchor/anchorer.ts';
import { startRegtestNode } from '../../anchor/regtest-node.ts';
import { assembleBundle, type AttestationParts, type BundleParts } from '../../light-client/assemble.ts';

export const FIXTURE_CHAIN_ID = 'pantheon-proof-1';
/** 2026-11-01T00:00:00Z; block n is made at genesis + n seconds. */
export const FIXTURE_GENESIS_TIME_MS = 1_793_491_200_000n;
/** The proven commitment is in block h; the anchored block is H. */
export const FIXTURE_H = 3;
export const FIXTURE_ANCHORED_H = 5;
export const FIXTURE_K = 6;
export const VECTORS_PATH = path.join(import.meta.dirname, '..', '..', 'docs', 'vectors', 'proof.json');

const seed = (label: string) => sha256(new TextEncoder().encode(`pantheon proof fixture: ${label}`));

export interface FixtureChain {
  genesis: Genesis;
  genesisJson: Record<string, unknown>;
  genesisHashHex: string;
  validators: KeyPair[];
  operator: KeyPair;
  /** A key in no validator set: signs what a validator should have. */
  outsider: KeyPair;
  headers: BlockHeader[]; // index i = height i + 1
  encodedHeaders: Uint8Array[];
  /** Signed commitment transactions of the log, in log order, with the height of their block. */
  log: { tx: Uint8Array; height: number }[];
  /** Index in the log of the commitment the bundle proves. */
  provenIndex: number;
  /** Encoded certificate of block h. */
  certificate: Uint8Array;
  /** assembleBundle input for a finality-only bundle (add attestation + headers h..H to anchor). */
  parts: BundleParts;
}

export interface FixtureOptions {
  /** The proven commitment's signature is corrupted before the block is built (validators accepted a bad tx). */
  badCommitmentSignature?: boolean;
  /** Validators who sign the certificate of h (default: the fewest holding more than 2/3, from index 0). */
  signers?: number[];
  /** Validators in the genesis, equal power (default 4; the benchmarks also use 16). */
  validatorCount?: number;
  /** The genesis's Bitcoin section (default regtest, where the real anchor of anchorOnRegtest lives). */
  bitcoin?: GenesisBitcoin;
  /** An OAR record the proven commitment commits instead of a sample log: its log name, size and root. */
  record?: { name: string; size: number; root: Uint8Array };
  /**
   * Up to three successive commitments of one OAR record (each after the first with the
   * consistency proof from the one before): commitment i is the first transaction of block
   * i + 1, so the one in block h is the proven one. For the whole-record audit fixture.
   */
  recordHistory?: { name: string; commitments: { size: number; root: Uint8Array; previousSize: number; consistencyProof: Uint8Array[] }[] };
}

/** The fewest signers holding more than 2/3 of N equal votes: floor(2N/3) + 1. */
export const signersFor = (n: number) => Math.floor((2 * n) / 3) + 1;

/** Deterministic: the same bytes on every run (ML-DSA signing is deterministic here). */
export function fixtureChain(options: FixtureOptions = {}): FixtureChain {
  const validatorCount = options.validatorCount ?? 4;
  const validators = Array.from({ length: validatorCount }, (_, i) => keyPairFromSeed(seed(`validator ${i}`)));
  const operator = keyPairFromSeed(seed('operator'));
  const outsider = keyPairFromSeed(seed('outsider'));
  const genesis = createGenesis({
    chainId: FIXTURE_CHAIN_ID,
    genesisTimeMs: FIXTURE_GENESIS_TIME_MS,
    validatorPublicKeys: validators.map((v) => v.publicKey),
    fundedPublicKeys: [operator.publicKey],
    bitcoin: options.bitcoin,
  });
  const set = genesisValidatorSet(genesis);
  const state = { accounts: genesisAccounts(genesis), logs: new Map() };
  let nonce = 0n;
  // Each named log grows as a real tree, so every commitment after its first carries a valid consistency proof.
  const trees = new Map<string, { tree: SampleLog; size: number }>();
  const commit = (name: string, treeSize: bigint): SignedTx => {
    const logId = `${addressOf(operator.publicKey)}/${name}`;
    const history = options.recordHistory;
    if (history && name === history.name) {
      const c = history.commitments[historyIndex++];
      const payload = { kind: 'commitment' as const, logId, treeSize: BigInt(c.size), root: c.root, previousSize: BigInt(c.previousSize), consistencyProof: c.consistencyProof };
      return signTx({ chainId: FIXTURE_CHAIN_ID, senderPublicKey: operator.publicKey, nonce: nonce++, fee: genesis.params.minFee, payload }, operator.secretKey, true);
    }
    const record = options.record;
    if (record && name === record.name) {
      const payload = { kind: 'commitment' as const, logId, treeSize: BigInt(record.size), root: record.root, previousSize: 0n, consistencyProof: [] };
      return signTx({ chainId: FIXTURE_CHAIN_ID, senderPublicKey: operator.publicKey, nonce: nonce++, fee: genesis.params.minFee, payload }, operator.secretKey, true);
    }
    const t = trees.get(logId) ?? { tree: new SampleLog(`proof fixture ${name}`), size: 0 };
    trees.set(logId, t);
    const size = Number(treeSize);
    const payload = { kind: 'commitment' as const, logId, treeSize, root: t.tree.root(size), previousSize: BigInt(t.size), consistencyProof: t.tree.consistencyProof(t.size, size) };
    t.size = size;
    return signTx({ chainId: FIXTURE_CHAIN_ID, senderPublicKey: operator.publicKey, nonce: nonce++, fee: genesis.params.minFee, payload }, operator.secretKey, true);
  };
  // Block 1: one commitment; block 2: two; block 3 (h): the proven one and one more; 4, 5: empty.
  const plan: string[][] = [['oar-billing'], ['oar-support', 'oar-billing'], [options.record?.name ?? 'oar-agents', 'oar-support'], [], []];
  let historyIndex = 0;
  if (options.recordHistory) {
    const { name, commitments } = options.recordHistory;
    if (commitments.length < 1 || commitments.length > FIXTURE_H) throw new Error(`fixture: 1 to ${FIXTURE_H} record commitments, got ${commitments.length}`);
    // The last one goes in block h (the proven commitment); the earlier ones in the blocks before it.
    const first = FIXTURE_H - commitments.length;
    commitments.forEach((_, i) => (plan[first + i] = [name, ...plan[first + i].filter((n) => n !== 'oar-agents')]));
  }
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
      const error = applyTx(state, signed, { proposer, minFee: genesis.params.minFee });
      if (error) throw new Error(`fixture: ${error}`);
      let bytes = encodeTx(signed);
      if (height === FIXTURE_H && j === 0) {
        provenIndex = log.length;
        if (options.badCommitmentSignature) {
          bytes = bytes.slice();
          bytes[bytes.length - 100] ^= 0x01;
        }
      }
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
      stateRoot: stateRoot(FIXTURE_CHAIN_ID, state),
      validatorSetHash: genesisValidatorSetHash(genesis),
      proposer,
    };
    headers.push(header);
    encodedHeaders.push(encodeHeader(header));
    previous = blockHash(header);
  });
  const h = headers[FIXTURE_H - 1];
  const votes = (options.signers ?? Array.from({ length: signersFor(validatorCount) }, (_, i) => i)).map((i) =>
    signVote({ chainId: FIXTURE_CHAIN_ID, type: 'precommit', height: h.height, round: 0, blockHash: blockHash(h), validatorIndex: i }, validators[i].secretKey, true),
  );
  const certificate = encodeCertificate(certificateFromVotes(votes));
  const logAtH = log.filter((e) => e.height <= FIXTURE_H).map((e) => leafHash(commitmentLeaf(FIXTURE_CHAIN_ID, e.tx)));
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
    parts: {
      genesis,
      commitmentTx: log[provenIndex].tx,
      leafIndex: provenIndex,
      logSize: logAtH.length,
      inclusionPath: inclusionProof(logAtH, provenIndex),
      headers: [encodedHeaders[FIXTURE_H - 1]],
      certificate,
    },
  };
}

/** The fixture chain with a mainnet genesis pinning checkpoint 840000: its anchors can only be forged here. */
export function mainnetFixtureChain(): FixtureChain {
  return fixtureChain({ bitcoin: { network: 'mainnet', checkpoint: parseCheckpoint({ ...MAINNET_CHECKPOINT_840000 }, 'checkpoint') } });
}

/** Block H's hash, the root the anchor puts in OP_RETURN. */
export function anchoredRoot(chain: FixtureChain): { height: number; root: Uint8Array } {
  return { height: FIXTURE_ANCHORED_H, root: blockHash(chain.headers[FIXTURE_ANCHORED_H - 1]) };
}

/**
 * Anchors block H with the real Anchorer on a fresh bcoin regtest node (in memory) and
 * returns the attestation it produces at k confirmations.
 */
export async function anchorOnRegtest(chain: FixtureChain, log: (line: string) => void = () => {}): Promise<AnchorAttestation> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pantheon-proof-'));
  const node = await startRegtestNode({ dataDir: path.join(dir, 'bitcoin'), memory: true, log });
  const attestations: AnchorAttestation[] = [];
  let anchorer: Anchorer | undefined;
  try {
    anchorer = await Anchorer.open({
      dataDir: path.join(dir, 'anchorer'),
      chainId: FIXTURE_CHAIN_ID,
      rpc: node.rpc,
      intervalHeights: 1,
      confirmations: FIXTURE_K,
      onAttestation: (a) => void attestations.push(a),
      log,
    });
    // 510 blocks: coinbase outputs mature and segwit active on bcoin regtest (docs/anchor.md).
    await node.rpc.generateToAddress(510, anchorer.address);
    await anchorer.poll();
    await anchorer.tick(anchoredRoot(chain));
    if (anchorer.status().unconfirmed.length !== 1) throw new Error('fixture: the anchorer did not send an anchor transaction');
    for (let i = 0; i < FIXTURE_K + 2 && attestations.length === 0; i++) {
      await node.rpc.generateToAddress(1, anchorer.address);
      await anchorer.poll();
    }
    if (attestations.length !== 1) throw new Error(`fixture: expected one attestation after ${FIXTURE_K} blocks, got ${attestations.length}`);
    return attestations[0];
  } finally {
    await anchorer?.close();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bundle JSON for the chain: finality only, or anchored with an attestation of block H. */
export function fixtureBundle(chain: FixtureChain, attestation?: AttestationParts): Record<string, unknown> {
  if (!attestation) return assembleBundle(chain.parts);
  return assembleBundle({
    ...chain.parts,
    headers: chain.encodedHeaders.slice(FIXTURE_H - 1, FIXTURE_ANCHORED_H),
    attestation,
  });
}

// ---- docs/vectors/proof.json ------------------------------------------------------------------

export interface ProofVectorCase {
  description: string;
  input: {
    /** A whole bundle, or `base` (index of an earlier case) plus an RFC 6902 patch to apply to it, or the bundle as JSON text. */
    bundle?: Record<string, unknown>;
    text?: string;
    base?: number;
    patch?: { op: 'replace' | 'remove' | 'add'; path: string; value?: unknown }[];
    trust: { genesisHash?: string; genesisFile?: boolean; pinnedBtcBlockHash?: string; nowMs?: number; btcCheckpoint?: { height: number; hash: string; bits: string }; workFloorDivisor?: number };
  };
  expect: 'ok' | 'fail';
  /** ok: the steps that ran. fail: the first failing step, for a format failure the field its error names, and optionally words its message contains. */
  output: { steps?: string[]; failedStep?: string; field?: string; detail?: string };
}

export interface ProofVectors {
  description: string;
  genesis: Record<string, unknown>;
  genesisHash: string;
  cases: ProofVectorCase[];
}

export function loadProofVectors(): ProofVectors {
  return JSON.parse(readFileSync(VECTORS_PATH, 'utf8'));
}

/** RFC 6902 (replace, remove, add) on a deep copy; paths are JSON Pointers (RFC 6901). */
export function applyPatch(doc: unknown, patch: NonNullable<ProofVectorCase['input']['patch']>): unknown {
  const out = structuredClone(doc);
  for (const { op, path: pointer, value } of patch) {
    const keys = pointer.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop()!;
    let parent: any = out;
    for (const k of keys) parent = parent[Array.isArray(parent) ? Number(k) : k];
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (op === 'remove') parent.splice(i, 1);
      else if (op === 'add') parent.splice(i, 0, value);
      else parent[i] = value;
    } else if (op === 'remove') delete parent[last];
    else parent[last] = value;
  }
  return out;
}

/** The bundle a case describes. */
export function caseBundle(vectors: ProofVectors, c: ProofVectorCase): unknown {
  if (c.input.text !== undefined) return c.input.text;
  if (c.input.bundle) return c.input.bundle;
  return applyPatch(caseBundle(vectors, vectors.cases[c.input.base!]), c.input.patch ?? []);
}

/** verifyBundle options a case describes. */
export function caseOptions(vectors: ProofVectors, c: ProofVectorCase) {
  const t = c.input.trust;
  return {
    genesis: t.genesisFile ? vectors.genesis : undefined,
    genesisHash: t.genesisHash,
    pinnedBtcBlockHash: t.pinnedBtcBlockHash,
    nowMs: t.nowMs,
    btcCheckpoint: t.btcCheckpoint ? parseCheckpoint(t.btcCheckpoint, 'trust.btcCheckpoint') : undefined,
    workFloorDivisor: t.workFloorDivisor,
  };
}

/** Flips one bit of the bytes a canonical base64 field holds; the result is canonical base64 again. */
export function flipBit(text: string, byteIndex: number, bit = 0): string {
  const bytes = base64.decode(text);
  bytes[((byteIndex % bytes.length) + bytes.length) % bytes.length] ^= 1 << bit;
  return base64.encode(bytes);
}

/** Sets nBits (bytes 72..75, little-endian) of an 80-byte header given as base64. */
export function withBits(headerB64: string, bits: number): string {
  const bytes = base64.decode(headerB64);
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(72, bits, true);
  return base64.encode(bytes);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * The same bytes with a non-zero unused bit in the last character before the padding: a lax
 * decoder reads it as the canonical text, so it is a second text form of the same bytes.
 */
export function withTrailingBits(text: string): string {
  const at = text.indexOf('=') - 1;
  if (at < 0) throw new Error('fixture: a padded base64 text is needed to set unused bits');
  return text.slice(0, at) + ALPHABET[ALPHABET.indexOf(text[at]) | 1] + text.slice(at + 1);
}

/**
 * Short texts that are not canonical base64 (RFC 4648 section 4, padded) of any bytes, with
 * why; the Node test and the Chromium test check that @scure/base refuses each of them.
 */
export const NON_CANONICAL_BASE64_SAMPLES: readonly (readonly [string, string])[] = [
  ['AQ=', 'padding one short'],
  ['AQ', 'no padding'],
  ['AR==', 'non-zero unused bits (1 byte)'],
  ['AQJ=', 'non-zero unused bits (2 bytes)'],
  ['AQ===', 'excess padding'],
  ['AQID====', 'a block of padding alone'],
  ['AQ==AQ==', 'padding inside'],
  [' AQID', 'leading space'],
  ['AQID\n', 'trailing newline'],
  ['AQ\r\nID', 'CRLF inside'],
  ['AQ\tID', 'tab inside'],
  ['AQ-_', 'URL-safe alphabet'],
  ['\u00c0QID', 'non-ASCII'],
];

export function buildProofVectors(chain: FixtureChain, attestation: AnchorAttestation, nowMs: number): ProofVectors {
  const anchored = fixtureBundle(chain, attestation) as any;
  const finality = fixtureBundle(chain) as any;
  const bad = fixtureChain({ badCommitmentSignature: true });
  const pin = { genesisHash: chain.genesisHashHex, nowMs };
  const other = fixtureChain().genesis; // same keys: a different genesis time makes a different chain
  const otherHash = bytesToHex(genesisHash({ ...other, genesisTimeMs: other.genesisTimeMs + 1000n }));
  const btcHeaders: string[] = anchored.anchor.bitcoin.headers;
  const lastBtc = btcHeaders.length - 1;
  // Non-validator signature in validator 2's place, over exactly validator 2's precommit.
  const h = chain.headers[FIXTURE_H - 1];
  const forged = [0, 1, 2].map((i) => signVote({ chainId: FIXTURE_CHAIN_ID, type: 'precommit', height: h.height, round: 0, blockHash: blockHash(h), validatorIndex: i }, (i === 2 ? chain.outsider : chain.validators[i]).secretKey, true));
  const forgedCert = base64.encode(encodeCertificate(certificateFromVotes(forged)));
  const certText: string = anchored.block.certificate;
  const cert = base64.decode(certText);
  // Certificate layout: string(chainId) u64 height u32 round hash u32 count, then (u16 index, 3309-byte signature) each.
  const sigStart = 4 + FIXTURE_CHAIN_ID.length + 8 + 4 + 32 + 4;
  const entry = 2 + 3309;
  const entries = [0, 1, 2].map((i) => cert.slice(sigStart + i * entry, sigStart + (i + 1) * entry));
  const head = cert.slice(0, sigStart - 4);
  const u32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  const certOf = (...parts: Uint8Array[]) => base64.encode(concatBytes(head, ...parts));
  const reordered = certOf(u32(3), entries[1], entries[0], entries[2]);
  const duplicated = certOf(u32(4), entries[0], entries[1], entries[1], entries[2]);
  const twoSigners = certOf(u32(2), entries[0], entries[1]);
  // One base64 character in the middle of a signature changed: still canonical, other bytes.
  const mid = certText.length - 400;
  const certCharChanged = certText.slice(0, mid) + (certText[mid] === 'A' ? 'B' : 'A') + certText.slice(mid + 1);
  if (!/[+/]/.test(certText)) throw new Error('fixture: the certificate text has no + or / to turn URL-safe');
  const genesisHashB64: string = anchored.genesisHash;
  const replace = (p: string, v: unknown) => ({ op: 'replace' as const, path: p, value: v });
  const format = (field: string) => ({ failedStep: 'format', field });
  // A mainnet chain whose anchor is forged here (docs/anchor.md, "Work floor").
  const mainnet = mainnetFixtureChain();
  const forgeBundle = (o: { bits: number; mine: boolean }) => fixtureBundle(mainnet, forgeAnchor(mainnet, o)) as any;
  const mainnetPin = { genesisHash: mainnet.genesisHashHex, nowMs };
  const forgedCheap = forgeBundle({ bits: 0x207fffff, mine: true });
  const forgedAtLimit = forgeBundle({ bits: 0x1d00ffff, mine: false });
  // Duplicate members: JSON.parse keeps the last, so these texts verify under a lax reader.
  const anchoredText = JSON.stringify(anchored, null, 2);
  const dupTop = anchoredText.replace(`"chainId": "${FIXTURE_CHAIN_ID}"`, `"chainId": "pantheon-other-1",\n  "chainId": "${FIXTURE_CHAIN_ID}"`);
  const dupGenesis = anchoredText.replace(`"version": 3,\n    "chainId"`, `"version": 2,\n    "version": 3,\n    "chainId"`);
  if (dupTop === anchoredText || dupGenesis === anchoredText) throw new Error('fixture: could not place the duplicate members');

  const cases: ProofVectorCase[] = [
    { description: 'valid anchored bundle, pinned genesis hash only (the bundle carries the genesis)', input: { bundle: anchored, trust: pin }, expect: 'ok', output: {} },
    { description: 'valid finality-only bundle, genesis file supplied', input: { bundle: finality, trust: { genesisFile: true, nowMs } }, expect: 'ok', output: {} },
    { description: 'valid anchored bundle with the pinned Bitcoin block = the last header', input: { base: 0, trust: { ...pin, pinnedBtcBlockHash: blockHashOf(btcHeaders[lastBtc]) } }, expect: 'ok', output: {} },
    { description: 'valid anchored bundle checked against the genesis file and the pinned hash together', input: { base: 0, trust: { ...pin, genesisFile: true } }, expect: 'ok', output: {} },
    { description: 'valid anchored bundle without the genesis, genesis file supplied', input: { base: 0, patch: [{ op: 'remove', path: '/genesis' }], trust: { genesisFile: true, nowMs } }, expect: 'ok', output: {} },
    { description: 'version 1 (the hex format): rejected with "make a new one with pantheon proof"', input: { base: 0, patch: [replace('/version', 1)], trust: pin }, expect: 'fail', output: format('version') },
    { description: 'unsupported version 3', input: { base: 0, patch: [replace('/version', 3)], trust: pin }, expect: 'fail', output: format('version') },
    { description: 'version as a string', input: { base: 0, patch: [replace('/version', '2')], trust: pin }, expect: 'fail', output: format('version') },
    { description: 'unknown field', input: { base: 0, patch: [{ op: 'add', path: '/note', value: 'trust me' }], trust: pin }, expect: 'fail', output: format('bundle') },
    // Non-canonical base64: each binary field, and each way a text can be a second form of bytes.
    { description: 'genesisHash without its "=" padding', input: { base: 0, patch: [replace('/genesisHash', genesisHashB64.replace(/=+$/, ''))], trust: pin }, expect: 'fail', output: format('genesisHash') },
    { description: 'genesisHash in hex (the version 1 form): more characters than 32 bytes take', input: { base: 0, patch: [replace('/genesisHash', chain.genesisHashHex)], trust: pin }, expect: 'fail', output: format('genesisHash') },
    { description: 'commitment.tx wrapped in MIME lines (CRLF every 76 characters)', input: { base: 0, patch: [replace('/commitment/tx', anchored.commitment.tx.replace(/.{76}/g, '$&\r\n'))], trust: pin }, expect: 'fail', output: format('commitment.tx') },
    { description: 'commitment.path[0] with a non-zero unused bit before the padding (same bytes to a lax decoder)', input: { base: 0, patch: [replace('/commitment/path/0', withTrailingBits(anchored.commitment.path[0]))], trust: pin }, expect: 'fail', output: format('commitment.path[0]') },
    { description: 'block.header with a trailing newline', input: { base: 0, patch: [replace('/block/header', anchored.block.header + '\n')], trust: pin }, expect: 'fail', output: format('block.header') },
    { description: 'block.header with four more "=" (excess padding)', input: { base: 0, patch: [replace('/block/header', anchored.block.header + '====')], trust: pin }, expect: 'fail', output: format('block.header') },
    { description: 'block.certificate in the URL-safe alphabet (- and _)', input: { base: 0, patch: [replace('/block/certificate', certText.replace(/\+/g, '-').replace(/\//g, '_'))], trust: pin }, expect: 'fail', output: format('block.certificate') },
    { description: 'anchor.pantheonHeaders[0] with a leading space', input: { base: 0, patch: [replace('/anchor/pantheonHeaders/0', ' ' + anchored.anchor.pantheonHeaders[0])], trust: pin }, expect: 'fail', output: format('anchor.pantheonHeaders[0]') },
    { description: 'anchor.bitcoin.rawTx as two base64 texts run together (padding inside)', input: { base: 0, patch: [replace('/anchor/bitcoin/rawTx', 'AA==' + anchored.anchor.bitcoin.rawTx)], trust: pin }, expect: 'fail', output: format('anchor.bitcoin.rawTx') },
    { description: 'anchor.bitcoin.merkleBranch[0] with a character outside the alphabet', input: { base: 0, patch: [replace('/anchor/bitcoin/merkleBranch/0', '*' + anchored.anchor.bitcoin.merkleBranch[0].slice(1))], trust: pin }, expect: 'fail', output: format('anchor.bitcoin.merkleBranch[0]') },
    { description: 'anchor.bitcoin.headers[0] with a non-zero unused bit before the padding', input: { base: 0, patch: [replace('/anchor/bitcoin/headers/0', withTrailingBits(btcHeaders[0]))], trust: pin }, expect: 'fail', output: format('anchor.bitcoin.headers[0]') },
    { description: 'commitment.path[1] empty', input: { base: 0, patch: [replace('/commitment/path/1', '')], trust: pin }, expect: 'fail', output: format('commitment.path[1]') },
    // Tampered but canonical base64: the bytes differ, and the step that checks them fails.
    { description: 'a different pinned genesis', input: { base: 0, trust: { genesisHash: otherHash, nowMs } }, expect: 'fail', output: { failedStep: 'genesis' } },
    { description: 'genesisHash bit flipped (canonical base64 of other bytes)', input: { base: 0, patch: [replace('/genesisHash', flipBit(genesisHashB64, 7))], trust: pin }, expect: 'fail', output: { failedStep: 'genesis' } },
    { description: "bundle's genesis time changed (hash no longer the pinned one)", input: { base: 0, patch: [replace('/genesis/genesisTime', '2026-11-01T00:00:01Z')], trust: pin }, expect: 'fail', output: { failedStep: 'genesis' } },
    { description: 'finality-only bundle without genesis, only a hash pinned', input: { base: 1, patch: [{ op: 'remove', path: '/genesis' }], trust: pin }, expect: 'fail', output: { failedStep: 'genesis' } },
    { description: 'header h is in the future for the verifier', input: { base: 0, trust: { ...pin, nowMs: Number(FIXTURE_GENESIS_TIME_MS) - 3 * 3600_000 } }, expect: 'fail', output: { failedStep: 'header' } },
    { description: 'commitment signature byte flipped (changes the leaf)', input: { base: 0, patch: [replace('/commitment/tx', flipBit(anchored.commitment.tx, -5))], trust: pin }, expect: 'fail', output: { failedStep: 'commitment-signature' } },
    { description: 'inclusion path hash flipped', input: { base: 0, patch: [replace('/commitment/path/0', flipBit(anchored.commitment.path[0], 2))], trust: pin }, expect: 'fail', output: { failedStep: 'inclusion' } },
    { description: 'inclusion path truncated', input: { base: 0, patch: [{ op: 'remove', path: `/commitment/path/${anchored.commitment.path.length - 1}` }], trust: pin }, expect: 'fail', output: { failedStep: 'inclusion' } },
    { description: 'leaf index off by one', input: { base: 0, patch: [replace('/commitment/leafIndex', anchored.commitment.leafIndex + 1)], trust: pin }, expect: 'fail', output: { failedStep: 'inclusion' } },
    { description: 'header h stateRoot bit flipped (certificate is for another hash)', input: { base: 0, patch: [replace('/block/header', flipBit(anchored.block.header, 180) /* byte 180: inside stateRoot (bytes 173..204) */)], trust: pin }, expect: 'fail', output: { failedStep: 'certificate' } },
    { description: 'certificate signatures reordered', input: { base: 0, patch: [replace('/block/certificate', reordered)], trust: pin }, expect: 'fail', output: { failedStep: 'certificate' } },
    { description: 'certificate with a duplicated signer', input: { base: 0, patch: [replace('/block/certificate', duplicated)], trust: pin }, expect: 'fail', output: { failedStep: 'certificate' } },
    { description: 'certificate signed by 2 of 4 (50 %, not > 2/3)', input: { base: 0, patch: [replace('/block/certificate', twoSigners)], trust: pin }, expect: 'fail', output: { failedStep: 'certificate' } },
    { description: 'Pantheon header h+1 bit flipped (no longer links h to H)', input: { base: 0, patch: [replace('/anchor/pantheonHeaders/0', flipBit(anchored.anchor.pantheonHeaders[0], 100, 4))], trust: pin }, expect: 'fail', output: { failedStep: 'pantheon-chain' } },
    { description: 'Pantheon header H dropped (the anchor names a block the bundle does not reach)', input: { base: 0, patch: [{ op: 'remove', path: '/anchor/pantheonHeaders/1' }], trust: pin }, expect: 'fail', output: { failedStep: 'bitcoin-tx' } },
    { description: 'OP_RETURN root bit flipped in the raw transaction', input: { base: 0, patch: [replace('/anchor/bitcoin/rawTx', flipRawTxRoot(anchored.anchor.bitcoin.rawTx))], trust: pin }, expect: 'fail', output: { failedStep: 'bitcoin-tx' } },
    { description: 'Bitcoin merkle sibling flipped', input: { base: 0, patch: [replace('/anchor/bitcoin/merkleBranch/0', flipBit(anchored.anchor.bitcoin.merkleBranch[0], 1, 4))], trust: pin }, expect: 'fail', output: { failedStep: 'bitcoin-merkle' } },
    { description: 'Bitcoin tx index changed', input: { base: 0, patch: [replace('/anchor/bitcoin/txIndex', anchored.anchor.bitcoin.txIndex ^ 1)], trust: pin }, expect: 'fail', output: { failedStep: 'bitcoin-merkle' } },
    { description: 'Bitcoin header claims a harder target than its hash meets (too little work)', input: { base: 0, patch: [replace(`/anchor/bitcoin/headers/${lastBtc}`, withBits(btcHeaders[lastBtc], 0x1d00ffff))], trust: pin }, expect: 'fail', output: { failedStep: 'bitcoin-headers' } },
    { description: 'Bitcoin header target easier than the regtest pow limit', input: { base: 0, patch: [replace(`/anchor/bitcoin/headers/${lastBtc}`, withBits(btcHeaders[lastBtc], 0x2100ffff))], trust: pin }, expect: 'fail', output: { failedStep: 'bitcoin-headers' } },
    { description: 'regtest headers presented as mainnet: the genesis names regtest', input: { base: 0, patch: [replace('/anchor/bitcoin/network', 'mainnet')], trust: pin }, expect: 'fail', output: { failedStep: 'bitcoin-network', detail: 'anchors chain "pantheon-proof-1" into regtest' } },
    { description: 'bundle claims testnet, the genesis names regtest', input: { base: 0, patch: [replace('/anchor/bitcoin/network', 'testnet')], trust: pin }, expect: 'fail', output: { failedStep: 'bitcoin-network' } },
    { description: 'the auditor pins a mainnet checkpoint for a chain whose genesis anchors into regtest', input: { base: 0, trust: { ...pin, btcCheckpoint: { ...MAINNET_CHECKPOINT_840000 } } }, expect: 'fail', output: { failedStep: 'bitcoin-network', detail: 'checkpoints are for mainnet' } },
    { description: 'forged mainnet anchor: six headers mined here at regtest difficulty, under a mainnet genesis with checkpoint 840000', input: { bundle: forgedCheap, trust: mainnetPin }, expect: 'fail', output: { failedStep: 'bitcoin-headers', detail: 'below the work floor' } },
    { description: "forged mainnet anchor at mainnet's proof-of-work limit (bits 1d00ffff, about 2^32 hashes a header): below the floor whatever the nonce", input: { bundle: forgedAtLimit, trust: mainnetPin }, expect: 'fail', output: { failedStep: 'bitcoin-headers', detail: 'below the work floor' } },
    { description: 'forged mainnet anchor checked against a checkpoint the auditor pins (block 840000 again)', input: { bundle: forgedCheap, trust: { ...mainnetPin, btcCheckpoint: { ...MAINNET_CHECKPOINT_840000 }, workFloorDivisor: 1024 } }, expect: 'fail', output: { failedStep: 'bitcoin-headers', detail: '/ 1024' } },
    { description: 'forged anchor relabelled regtest under the mainnet genesis', input: { bundle: { ...forgedCheap, anchor: { ...forgedCheap.anchor, bitcoin: { ...forgedCheap.anchor.bitcoin, network: 'regtest' } } }, trust: mainnetPin }, expect: 'fail', output: { failedStep: 'bitcoin-network' } },
    { description: 'a duplicate top-level "chainId" (the last one right: a last-wins reader verifies it)', input: { text: dupTop, trust: pin }, expect: 'fail', output: { failedStep: 'format', field: 'bundle', detail: 'duplicate member "chainId"' } },
    { description: 'a duplicate "version" inside the carried genesis', input: { text: dupGenesis, trust: pin }, expect: 'fail', output: { failedStep: 'format', field: 'bundle', detail: 'at genesis' } },
    { description: 'one confirmation short (last Bitcoin header dropped)', input: { base: 0, patch: [{ op: 'remove', path: `/anchor/bitcoin/headers/${lastBtc}` }], trust: pin }, expect: 'fail', output: { failedStep: 'bitcoin-headers' } },
    { description: 'pinned Bitcoin block not reached by the headers', input: { base: 0, trust: { ...pin, pinnedBtcBlockHash: '00'.repeat(32) } }, expect: 'fail', output: { failedStep: 'bitcoin-pin' } },
    { description: 'certificate signature of validator 2 replaced by a non-validator\'s', input: { base: 0, patch: [replace('/block/certificate', forgedCert)], trust: pin }, expect: 'fail', output: { failedStep: 'certificate-signatures' } },
    { description: 'certificate signature bit flipped', input: { base: 0, patch: [replace('/block/certificate', flipBit(certText, -20))], trust: pin }, expect: 'fail', output: { failedStep: 'certificate-signatures' } },
    { description: 'certificate signature: one base64 character changed (still canonical, other bytes)', input: { base: 0, patch: [replace('/block/certificate', certCharChanged)], trust: pin }, expect: 'fail', output: { failedStep: 'certificate-signatures' } },
    { description: 'validators finalised a commitment whose operator signature does not verify', input: { bundle: fixtureBundle(bad), trust: { genesisFile: true, nowMs } }, expect: 'fail', output: { failedStep: 'commitment-signature' } },
  ];
  return {
    description:
      'Pantheon proof bundles, version 2 (docs/proof.md). Each case: input.bundle, or input.base (an earlier case) with an RFC 6902 patch, or input.text (the bundle as JSON text, for duplicate members); input.trust gives verifyBundle the pinned genesis hash, or genesisFile: true for the top-level genesis, and optionally pinnedBtcBlockHash, nowMs, btcCheckpoint ({height, hash, bits} as in a genesis) and workFloorDivisor. expect "ok" lists output.steps (the steps that ran, all passing); "fail" names output.failedStep, the first step that fails, for a format failure output.field, the field the error names, and optionally output.detail, words the failure message contains.',
    genesis: chain.genesisJson,
    genesisHash: chain.genesisHashHex,
    cases,
  };
}

/** Display-order hash of an 80-byte Bitcoin header given as base64. */
function blockHashOf(headerB64: string): string {
  return bytesToHex(sha256(sha256(base64.decode(headerB64))).reverse());
}

/** Flip a bit in the last byte of the OP_RETURN payload (the root) inside a raw transaction. */
function flipRawTxRoot(rawTxB64: string): string {
  const bytes = base64.decode(rawTxB64);
  const magic = bytesToHex(bytes).indexOf('504e5448'); // "PNTH"
  if (magic < 0 || magic % 2) throw new Error('fixture: no anchor payload in the raw transaction');
  return flipBit(rawTxB64, magic / 2 + 53 - 1);
}

/** The detail of the failing step, for the checks below. */
export function failedDetail(result: { steps: { status: string; detail: string }[] }): string | undefined {
  return result.steps.find((s) => s.status === 'fail')?.detail;
}

async function writeVectors(): Promise<void> {
  const chain = fixtureChain();
  const attestation = await anchorOnRegtest(chain, (l) => console.log(l));
  const vectors = buildProofVectors(chain, attestation, Date.now());
  // Fill in the expected steps of the ok cases from the verifier itself, then check every case.
  const { verifyBundle } = await import('../../light-client/verify.ts');
  for (const c of vectors.cases) {
    const result = verifyBundle(caseBundle(vectors, c), caseOptions(vectors, c));
    if (c.expect === 'ok') {
      if (!result.ok) throw new Error(`vector "${c.description}" should verify: ${result.failedStep}: ${result.steps.find((s) => s.status === 'fail')?.detail}`);
      c.output.steps = result.steps.map((s) => s.name);
    } else if (
      result.failedStep !== c.output.failedStep ||
      (c.output.field !== undefined && !failedDetail(result)?.startsWith(`${c.output.field}: `)) ||
      (c.output.detail !== undefined && !failedDetail(result)?.includes(c.output.detail))
    ) {
      throw new Error(`vector "${c.description}" should fail at ${c.output.failedStep}${c.output.field ? ` naming ${c.output.field}` : ''}, failed at ${result.failedStep}: ${failedDetail(result)}`);
    }
  }
  writeFileSync(VECTORS_PATH, JSON.stringify(vectors, null, 2) + '\n');
  console.log(`wrote ${VECTORS_PATH}: ${vectors.cases.length} cases`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeVectors().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
