// Blocks (docs/block.md). The block hash is the tagged hash of the header alone; the header
// commits to the body through the transaction and evidence roots (RFC 6962 trees).
import { decodeExact, DecodeError, Reader, Writer } from './encoding.ts';
import { assertValidChainId, domainPrefix, taggedHash, TAGS } from './hash.ts';
import { bytesToHex, concatBytes, equalBytes } from './bytes.ts';
import { leafHash, rootOf } from './merkle.ts';
import { txLeaf, TX_SIZE_MAX } from './tx-common.ts';

export const BLOCK_VERSION = 1;
export const BLOCK_TXS_MAX = 65_535;
export const BLOCK_EVIDENCE_MAX = 256;
export const EVIDENCE_SIZE_MAX = 2 * (4 + 64 + 1 + 8 + 4 + 32 + 2 + 3309);
const CHAIN_ID_MAX = 64;

export interface BlockHeader {
  chainId: string;
  height: bigint;
  timeMs: bigint;
  /** Hash of block height-1; for height 1, the genesis hash. */
  previousBlockHash: Uint8Array;
  txRoot: Uint8Array;
  evidenceRoot: Uint8Array;
  commitmentLogRoot: Uint8Array;
  commitmentLogSize: bigint;
  stateRoot: Uint8Array;
  validatorSetHash: Uint8Array;
  proposer: Uint8Array; // the proposer's 32-byte address
}

export interface Block {
  header: BlockHeader;
  txs: Uint8Array[]; // encoded signed transactions, in execution order
  evidence: Uint8Array[]; // encoded duplicate-vote evidence
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  assertValidChainId(h.chainId);
  if (h.height < 1n) throw new RangeError('height: must be at least 1');
  return new Writer()
    .u8(BLOCK_VERSION, 'version')
    .string(h.chainId, CHAIN_ID_MAX, 'chainId')
    .u64(h.height, 'height')
    .u64(h.timeMs, 'timeMs')
    .fixed(h.previousBlockHash, 32, 'previousBlockHash')
    .fixed(h.txRoot, 32, 'txRoot')
    .fixed(h.evidenceRoot, 32, 'evidenceRoot')
    .fixed(h.commitmentLogRoot, 32, 'commitmentLogRoot')
    .u64(h.commitmentLogSize, 'commitmentLogSize')
    .fixed(h.stateRoot, 32, 'stateRoot')
    .fixed(h.validatorSetHash, 32, 'validatorSetHash')
    .fixed(h.proposer, 32, 'proposer')
    .finish();
}

function readHeader(r: Reader): BlockHeader {
  const version = r.u8('version');
  if (version !== BLOCK_VERSION) throw new DecodeError('version', `unsupported block version ${version}`);
  const chainId = r.string(CHAIN_ID_MAX, 'chainId');
  try {
    assertValidChainId(chainId);
  } catch (err) {
    throw new DecodeError('chainId', (err as Error).message);
  }
  const height = r.u64('height');
  if (height < 1n) throw new DecodeError('height', 'must be at least 1');
  return {
    chainId,
    height,
    timeMs: r.u64('timeMs'),
    previousBlockHash: r.fixed(32, 'previousBlockHash'),
    txRoot: r.fixed(32, 'txRoot'),
    evidenceRoot: r.fixed(32, 'evidenceRoot'),
    commitmentLogRoot: r.fixed(32, 'commitmentLogRoot'),
    commitmentLogSize: r.u64('commitmentLogSize'),
    stateRoot: r.fixed(32, 'stateRoot'),
    validatorSetHash: r.fixed(32, 'validatorSetHash'),
    proposer: r.fixed(32, 'proposer'),
  };
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  return decodeExact(bytes, 'header', readHeader);
}

export function blockHash(h: BlockHeader): Uint8Array {
  return taggedHash(TAGS.blockHeader, h.chainId, encodeHeader(h));
}

export function encodeBlock(b: Block): Uint8Array {
  const header = encodeHeader(b.header);
  return new Writer()
    .fixed(header, header.length, 'header')
    .list(b.txs, BLOCK_TXS_MAX, 'txs', (w, tx) => w.bytes(tx, TX_SIZE_MAX, 'tx'))
    .list(b.evidence, BLOCK_EVIDENCE_MAX, 'evidence', (w, e) => w.bytes(e, EVIDENCE_SIZE_MAX, 'evidence'))
    .finish();
}

export function decodeBlock(bytes: Uint8Array): Block {
  return decodeExact(bytes, 'block', (r) => ({
    header: readHeader(r),
    txs: r.list(BLOCK_TXS_MAX, 'txs', (rr) => rr.bytes(TX_SIZE_MAX, 'tx')),
    evidence: r.list(BLOCK_EVIDENCE_MAX, 'evidence', (rr) => rr.bytes(EVIDENCE_SIZE_MAX, 'evidence')),
  }));
}

export function txRoot(chainId: string, txs: readonly Uint8Array[]): Uint8Array {
  return rootOf(txs.map((tx) => leafHash(txLeaf(chainId, tx))));
}

export function evidenceRoot(chainId: string, evidence: readonly Uint8Array[]): Uint8Array {
  const prefix = domainPrefix(TAGS.evidenceLeaf, chainId);
  return rootOf(evidence.map((e) => leafHash(concatBytes(prefix, e))));
}

/** A transaction's leaf hash in its block's tx tree: what a compact block names it by. */
export function txLeafHash(chainId: string, tx: Uint8Array): Uint8Array {
  return leafHash(txLeaf(chainId, tx));
}

/**
 * A compact block (docs/block.md, "Compact blocks"): the header, the leaf hash of each
 * transaction instead of the transaction, and the evidence in full. A receiver rebuilds the
 * block from the transactions it holds and fetches the rest; the leaf hashes alone prove the
 * header's txRoot, and each transaction found or fetched is checked against its leaf hash.
 */
export interface CompactBlock {
  header: BlockHeader;
  txLeafHashes: Uint8Array[];
  evidence: Uint8Array[];
}

/** Header, 65,535 leaf hashes and 256 pieces of evidence at most: about 3.9 MB. */
export const COMPACT_BLOCK_SIZE_MAX = 1 + 4 + CHAIN_ID_MAX + 8 + 8 + 32 * 5 + 8 + 32 * 2 + 4 + 32 * BLOCK_TXS_MAX + 4 + BLOCK_EVIDENCE_MAX * (4 + EVIDENCE_SIZE_MAX);

export function compactBlockOf(b: Block): CompactBlock {
  return { header: b.header, txLeafHashes: b.txs.map((tx) => txLeafHash(b.header.chainId, tx)), evidence: b.evidence };
}

export function encodeCompactBlock(c: CompactBlock): Uint8Array {
  const header = encodeHeader(c.header);
  return new Writer()
    .fixed(header, header.length, 'header')
    .list(c.txLeafHashes, BLOCK_TXS_MAX, 'txLeafHashes', (w, h) => w.fixed(h, 32, 'txLeafHash'))
    .list(c.evidence, BLOCK_EVIDENCE_MAX, 'evidence', (w, e) => w.bytes(e, EVIDENCE_SIZE_MAX, 'evidence'))
    .finish();
}

export function decodeCompactBlock(bytes: Uint8Array): CompactBlock {
  return decodeExact(bytes, 'compact block', (r) => ({
    header: readHeader(r),
    txLeafHashes: r.list(BLOCK_TXS_MAX, 'txLeafHashes', (rr) => rr.fixed(32, 'txLeafHash')),
    evidence: r.list(BLOCK_EVIDENCE_MAX, 'evidence', (rr) => rr.bytes(EVIDENCE_SIZE_MAX, 'evidence')),
  }));
}

/** Why a compact block's leaf hashes or evidence do not match its header's roots, or undefined. */
export function checkCompactBlockBody(c: CompactBlock): string | undefined {
  if (!equalBytes(rootOf(c.txLeafHashes), c.header.txRoot)) return 'txRoot does not match the transaction leaf hashes';
  if (!equalBytes(evidenceRoot(c.header.chainId, c.evidence), c.header.evidenceRoot)) return 'evidenceRoot does not match the evidence';
  return undefined;
}

/** What rebuildBlock found so far: the transactions by index, and the indexes still missing. */
export interface PartlyRebuilt {
  missing: number[];
  found: (Uint8Array | undefined)[];
}

/**
 * The block a compact block stands for, from the transactions `find` returns by leaf hash
 * (hex); each one is checked against its leaf hash, so a wrong answer counts as missing.
 * Returns the block, or what was found with the indexes still missing; passed back as
 * `earlier`, only those are looked up again (a second lookup need not re-check the rest).
 */
export function rebuildBlock(c: CompactBlock, find: (leafHashHex: string) => Uint8Array | undefined, earlier?: PartlyRebuilt): { block: Block; txLeafHashes: Uint8Array[] } | PartlyRebuilt {
  const found = earlier ? [...earlier.found] : new Array<Uint8Array | undefined>(c.txLeafHashes.length);
  const missing: number[] = [];
  for (const i of earlier ? earlier.missing : c.txLeafHashes.keys()) {
    const h = c.txLeafHashes[i];
    const tx = find(bytesToHex(h));
    if (tx && equalBytes(txLeafHash(c.header.chainId, tx), h)) found[i] = tx;
    else missing.push(i);
  }
  if (missing.length > 0) return { missing, found };
  return { block: { header: c.header, txs: found as Uint8Array[], evidence: c.evidence }, txLeafHashes: c.txLeafHashes };
}

/** Why the body does not match the header's roots, or undefined when it does. */
export function checkBlockBody(b: Block): string | undefined {
  if (!equalBytes(txRoot(b.header.chainId, b.txs), b.header.txRoot)) return 'txRoot does not match the transactions';
  if (!equalBytes(evidenceRoot(b.header.chainId, b.evidence), b.header.evidenceRoot)) return 'evidenceRoot does not match the evidence';
  return undefined;
}
