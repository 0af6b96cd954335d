// Pure Bitcoin verification for the light client: 80-byte headers, proof of work, header
// chains, chainwork, transaction merkle branches, BIP 37 partial merkle trees (the
// `gettxoutproof` format) and OP_RETURN extraction. Raw transactions are read by the strict
// parser of anchor/bitcoin-tx.ts. Browser-safe: @noble/hashes only (bitcoinjs-lib pulls in
// Buffer and stays on the node side). Rule failures throw BitcoinRuleError naming the rule.
//
// Byte order: every hash held as bytes here is in Bitcoin's *internal* order (the order
// SHA-256d produces); RPC and explorers print hashes reversed ("display" hex).
// Spec references: Bitcoin developer reference "Block Headers", "Target nBits", BIP 37.
//
// Caveat: these checks prove work was spent on a header chain; they do not check that the
// difficulty follows the retargeting rules (the verifier sees a window, not the whole chain).
// The network's pow limit bounds the easiest target a header may claim, and chainwork lets
// the auditor compare against a pinned block or a work threshold.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { equalBytes } from '../protocol/bytes.ts';
import { BitcoinRuleError, parseBitcoinTransaction } from './bitcoin-tx.ts';

export { BitcoinRuleError } from './bitcoin-tx.ts';

export type BitcoinNetworkName = 'mainnet' | 'testnet' | 'regtest';

/** The easiest target a header may claim on each network (consensus powLimit). */
export const POW_LIMITS: Readonly<Record<BitcoinNetworkName, bigint>> = {
  mainnet: 0x00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffn,
  testnet: 0x00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffn,
  regtest: 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffn,
};

export const BLOCK_HEADER_BYTES = 80;

export interface BlockHeader {
  version: number;
  /** Hash of the previous header, internal byte order. */
  prevHash: Uint8Array;
  /** Merkle root of the block's txids, internal byte order. */
  merkleRoot: Uint8Array;
  /** Seconds since the Unix epoch, as claimed by the miner. */
  time: number;
  /** Compact target ("nBits"). */
  bits: number;
  nonce: number;
  /** SHA-256d of the 80 bytes, internal byte order. */
  hash: Uint8Array;
}

/** SHA-256(SHA-256(data)). */
export function sha256d(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}

/** Reverse a byte string (internal <-> display order). Returns a copy. */
export function reverseBytes(bytes: Uint8Array): Uint8Array {
  return Uint8Array.from(bytes).reverse();
}

/** Display hex (as RPC prints it) -> internal-order bytes. */
export function hashFromDisplayHex(hex: string, field = 'hash'): Uint8Array {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`${field}: expected 64 hex digits, got ${JSON.stringify(hex)}`);
  return reverseBytes(hexToBytes(hex.toLowerCase()));
}

/** Internal-order bytes -> display hex. */
export function hashToDisplayHex(hash: Uint8Array): string {
  assertBytes(hash, 32, 'hash');
  return bytesToHex(reverseBytes(hash));
}

function assertBytes(value: unknown, length: number | undefined, field: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${field}: expected bytes, got ${typeof value}`);
  if (length !== undefined && value.length !== length) throw new Error(`${field}: expected ${length} bytes, got ${value.length}`);
}

/** Parse an 80-byte header (all integers little-endian). */
export function parseBlockHeader(bytes: Uint8Array): BlockHeader {
  assertBytes(bytes, BLOCK_HEADER_BYTES, 'header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return {
    version: view.getInt32(0, true),
    prevHash: bytes.slice(4, 36),
    merkleRoot: bytes.slice(36, 68),
    time: view.getUint32(68, true),
    bits: view.getUint32(72, true),
    nonce: view.getUint32(76, true),
    hash: sha256d(bytes),
  };
}

/**
 * Compact nBits -> 256-bit target, as Bitcoin Core's arith_uint256::SetCompact reads it, then
 * refused (BitcoinRuleError, in this order) when Core's CheckProofOfWork would refuse it
 * (negative, overflowing, zero) or when it is not the one encoding GetCompact gives for its
 * target: every header on a valid chain carries GetNextWorkRequired's GetCompact() value, so a
 * second spelling of a target (0x21007fff for 0x207fff00) never appears in a real header.
 */
export function bitsToTarget(bits: number): bigint {
  if (!Number.isInteger(bits) || bits < 0 || bits > 0xffffffff) throw new RangeError(`bits: not a u32: ${bits}`);
  const hex = `0x${bits.toString(16).padStart(8, '0')}`;
  const size = bits >>> 24;
  let word = bits & 0x007fffff;
  if (size <= 3) word >>>= 8 * (3 - size);
  // Core tests the sign bit and the overflow on the word after the shift.
  if (word !== 0 && bits & 0x00800000) throw new BitcoinRuleError('bits-negative', `bits: ${hex} encodes a negative target (sign bit 0x00800000 set)`);
  if (word !== 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32))) throw new BitcoinRuleError('bits-overflow', `bits: ${hex} overflows 256 bits`);
  const target = size <= 3 ? BigInt(word) : BigInt(word) << BigInt(8 * (size - 3));
  if (target === 0n) throw new BitcoinRuleError('bits-zero', `bits: ${hex} encodes a zero target`);
  const normal = targetToBits(target);
  if (normal !== bits) throw new BitcoinRuleError('bits-not-normalised', `bits: ${hex} is not the normalised encoding of its target; that is 0x${normal.toString(16).padStart(8, '0')}`);
  return target;
}

/** Target -> compact nBits, Bitcoin Core's arith_uint256::GetCompact for a non-negative target. */
export function targetToBits(target: bigint): number {
  if (target < 0n || target >> 256n !== 0n) throw new RangeError(`target: not a 256-bit unsigned number: ${target}`);
  let size = target === 0n ? 0 : Math.ceil(target.toString(2).length / 8);
  let compact = Number(size <= 3 ? target << BigInt(8 * (3 - size)) : target >> BigInt(8 * (size - 3)));
  // The top mantissa bit is the sign: move one byte into the exponent instead.
  if (compact & 0x00800000) {
    compact >>>= 8;
    size++;
  }
  return ((size << 24) | compact) >>> 0;
}

/** A hash in internal byte order read as the little-endian number that PoW compares. */
export function hashToBigInt(hash: Uint8Array): bigint {
  assertBytes(hash, 32, 'hash');
  let n = 0n;
  for (let i = 31; i >= 0; i--) n = (n << 8n) | BigInt(hash[i]);
  return n;
}

/**
 * Expected number of hashes to find a header at this target: floor(2^256 / (target + 1)).
 * Core's GetBlockProof computes ~target / (target + 1) + 1, the same number without 2^256.
 */
export function workForBits(bits: number): bigint {
  return (1n << 256n) / (bitsToTarget(bits) + 1n);
}

/** Throws unless the header's hash meets its own target and that target is within the network's pow limit. */
export function assertValidProofOfWork(header: BlockHeader, network: BitcoinNetworkName): void {
  const limit = POW_LIMITS[network];
  if (limit === undefined) throw new Error(`network: unknown Bitcoin network ${JSON.stringify(network)}`);
  const target = bitsToTarget(header.bits);
  if (target > limit) throw new BitcoinRuleError('bits-above-pow-limit', `bits: target 0x${target.toString(16)} is easier than the ${network} pow limit`);
  if (hashToBigInt(header.hash) > target) throw new BitcoinRuleError('pow-hash', `pow: header ${hashToDisplayHex(header.hash)} does not meet its target`);
}

export function isValidProofOfWork(header: BlockHeader, network: BitcoinNetworkName): boolean {
  try {
    assertValidProofOfWork(header, network);
    return true;
  } catch {
    return false;
  }
}

/**
 * Check a run of consecutive raw headers: each has valid PoW and links to the one before.
 * Returns the parsed headers and their summed chainwork. The first header's parent is not
 * checked here (pass it as the first element to check it too).
 */
export function verifyHeaderChain(rawHeaders: readonly Uint8Array[], network: BitcoinNetworkName): { headers: BlockHeader[]; chainwork: bigint } {
  if (!Array.isArray(rawHeaders) || rawHeaders.length === 0) throw new Error('headers: expected a non-empty list');
  const headers: BlockHeader[] = [];
  let chainwork = 0n;
  rawHeaders.forEach((raw, i) => {
    const header = parseBlockHeader(raw);
    try {
      assertValidProofOfWork(header, network);
    } catch (err) {
      throw new Error(`headers[${i}]: ${(err as Error).message}`);
    }
    if (i > 0 && !equalBytes(header.prevHash, headers[i - 1].hash)) {
      throw new Error(`headers[${i}]: prevHash ${hashToDisplayHex(header.prevHash)} does not link to headers[${i - 1}] ${hashToDisplayHex(headers[i - 1].hash)}`);
    }
    chainwork += workForBits(header.bits);
    headers.push(header);
  });
  return { headers, chainwork };
}

// --- transaction merkle trees (Bitcoin's, not RFC 6962: the last node of an odd level is paired with itself) ---

export interface MerkleBranch {
  /** Position of the transaction in the block (0 = coinbase). */
  index: number;
  /** Sibling hashes from the leaf level upwards, internal byte order. */
  siblings: Uint8Array[];
}

/** Merkle root of a block's txids (internal order). */
export function computeMerkleRoot(txids: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(txids) || txids.length === 0) throw new Error('txids: a block has at least one transaction');
  txids.forEach((t, i) => assertBytes(t, 32, `txids[${i}]`));
  let level: Uint8Array[] = txids.map((t) => Uint8Array.from(t));
  while (level.length > 1) level = nextMerkleLevel(level);
  return level[0];
}

function nextMerkleLevel(level: Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) next.push(hashPair(level[i], level[i + 1] ?? level[i]));
  return next;
}

function hashPair(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(64);
  buf.set(left);
  buf.set(right, 32);
  return sha256d(buf);
}

/** Node side: the branch proving txids[index] is in the block. */
export function buildMerkleBranch(txids: readonly Uint8Array[], index: number): MerkleBranch {
  if (!Array.isArray(txids) || txids.length === 0) throw new Error('txids: a block has at least one transaction');
  if (!Number.isInteger(index) || index < 0 || index >= txids.length) throw new RangeError(`index: ${index} is not a position in a block of ${txids.length} transactions`);
  txids.forEach((t, i) => assertBytes(t, 32, `txids[${i}]`));
  const siblings: Uint8Array[] = [];
  let level: Uint8Array[] = txids.map((t) => Uint8Array.from(t));
  let position = index;
  while (level.length > 1) {
    const sibling = position ^ 1;
    siblings.push(Uint8Array.from(level[sibling] ?? level[position]));
    level = nextMerkleLevel(level);
    position >>= 1;
  }
  return { index, siblings };
}

/**
 * Fold a branch from `txid` upwards; the result must equal the header's merkle root. The
 * branch must fit a real block (docs/anchor.md, "Merkle branches"): `index` < 2^depth, and no
 * sibling may be a copy of the node it pairs with except where Bitcoin's tree itself copies
 * it, the last node of an odd level, at an even position. So the phantom positions a
 * duplicated last leaf creates (CVE-2012-2459) are refused, and once a node is the last of its
 * level it stays the last at every level above.
 */
export function merkleRootFromBranch(txid: Uint8Array, branch: MerkleBranch): Uint8Array {
  assertBytes(txid, 32, 'txid');
  if (!branch || !Number.isSafeInteger(branch.index) || branch.index < 0) throw new BitcoinRuleError('merkle-index', 'branch.index: expected a non-negative integer');
  if (!Array.isArray(branch.siblings) || branch.siblings.length > 32) throw new BitcoinRuleError('merkle-depth', 'branch.siblings: expected at most 32 hashes');
  if (branch.index >= 2 ** branch.siblings.length) throw new BitcoinRuleError('merkle-index', `branch.index: ${branch.index} does not fit a tree of depth ${branch.siblings.length}`);
  let hash = txid;
  let position = branch.index;
  let lastFrom: number | undefined;
  branch.siblings.forEach((sibling, level) => {
    assertBytes(sibling, 32, `branch.siblings[${level}]`);
    const copy = equalBytes(sibling, hash);
    if (position % 2 === 1) {
      if (copy) throw new BitcoinRuleError('merkle-phantom', `branch.siblings[${level}]: equals the node it pairs with at odd position ${position}: that is the copy of an odd level's last node (CVE-2012-2459), so position ${branch.index} is not a transaction of the block`);
      hash = hashPair(sibling, hash);
    } else {
      if (copy) lastFrom ??= level;
      else if (lastFrom !== undefined) throw new BitcoinRuleError('merkle-last-node', `branch.siblings[${level}]: a right neighbour at level ${level}, but the node was the last of level ${lastFrom} (paired with its own copy)`);
      hash = hashPair(hash, sibling);
    }
    position = Math.floor(position / 2);
  });
  return hash;
}

export function verifyMerkleBranch(txid: Uint8Array, branch: MerkleBranch, merkleRoot: Uint8Array): boolean {
  assertBytes(merkleRoot, 32, 'merkleRoot');
  return equalBytes(merkleRootFromBranch(txid, branch), merkleRoot);
}

/** Throws BitcoinRuleError unless the branch fits a block and reaches `merkleRoot`. */
export function assertMerkleBranch(txid: Uint8Array, branch: MerkleBranch, merkleRoot: Uint8Array): void {
  if (!verifyMerkleBranch(txid, branch, merkleRoot)) throw new BitcoinRuleError('merkle-root', `branch: from tx ${hashToDisplayHex(txid)} at index ${branch.index} it does not reach the merkle root ${hashToDisplayHex(merkleRoot)}`);
}

// --- BIP 37 partial merkle tree (CMerkleBlock, what `gettxoutproof` returns) ---

export interface MerkleBlockProof {
  header: BlockHeader;
  totalTransactions: number;
  /** Matched txids (internal order) with their positions in the block. */
  matches: { txid: Uint8Array; index: number }[];
}

/**
 * Parse `gettxoutproof` bytes and re-derive the merkle root from the partial tree; throws
 * unless it equals the header's merkle root and every hash and flag bit was consumed.
 */
export function parseMerkleBlock(bytes: Uint8Array): MerkleBlockProof {
  assertBytes(bytes, undefined, 'merkleblock');
  let offset = 0;
  const take = (n: number, field: string): Uint8Array => {
    if (offset + n > bytes.length) throw new Error(`merkleblock.${field}: truncated at byte ${offset}`);
    const out = bytes.subarray(offset, offset + n);
    offset += n;
    return out;
  };
  const varint = (field: string): number => {
    const first = take(1, field)[0];
    if (first < 0xfd) return first;
    const size = first === 0xfd ? 2 : first === 0xfe ? 4 : 8;
    const raw = take(size, field);
    let n = 0;
    for (let i = size - 1; i >= 0; i--) n = n * 256 + raw[i];
    if (!Number.isSafeInteger(n)) throw new Error(`merkleblock.${field}: count too large`);
    // One encoding per value, as for transactions (docs/anchor.md, "Raw transactions").
    if (n < (size === 2 ? 0xfd : size === 4 ? 0x10000 : 0x100000000)) throw new BitcoinRuleError('tx-compact-size', `merkleblock.${field}: CompactSize encodes ${n} in ${1 + size} bytes; the minimal form is required`);
    return n;
  };
  const header = parseBlockHeader(take(80, 'header'));
  const totalRaw = take(4, 'totalTransactions');
  const totalTransactions = new DataView(totalRaw.buffer, totalRaw.byteOffset, 4).getUint32(0, true);
  if (totalTransactions === 0) throw new Error('merkleblock.totalTransactions: zero');
  // A block holds at most 4,000,000 weight units / 240 per tx: bound the work before allocating.
  if (totalTransactions > 100_000) throw new Error(`merkleblock.totalTransactions: ${totalTransactions} is more than a block can hold`);
  const hashCount = varint('hashes');
  if (hashCount > totalTransactions) throw new Error(`merkleblock.hashes: ${hashCount} hashes for ${totalTransactions} transactions`);
  const hashes: Uint8Array[] = [];
  for (let i = 0; i < hashCount; i++) hashes.push(Uint8Array.from(take(32, `hashes[${i}]`)));
  const flagBytes = take(varint('flags'), 'flags');
  if (offset !== bytes.length) throw new Error(`merkleblock: ${bytes.length - offset} trailing bytes`);

  let height = 0;
  while (widthAt(totalTransactions, height) > 1) height++;
  let bitsUsed = 0;
  let hashesUsed = 0;
  const matches: { txid: Uint8Array; index: number }[] = [];
  const nextBit = (): boolean => {
    if (bitsUsed >= flagBytes.length * 8) throw new Error('merkleblock.flags: ran out of flag bits');
    const bit = (flagBytes[bitsUsed >> 3] >> (bitsUsed & 7)) & 1;
    bitsUsed++;
    return bit === 1;
  };
  const nextHash = (): Uint8Array => {
    if (hashesUsed >= hashes.length) throw new Error('merkleblock.hashes: ran out of hashes');
    return hashes[hashesUsed++];
  };
  // BIP 37 depth-first traversal: a 1 flag on an inner node means "descend", on a leaf "matched".
  const traverse = (h: number, pos: number): Uint8Array => {
    const parentOfMatch = nextBit();
    if (h === 0 || !parentOfMatch) {
      const hash = nextHash();
      if (h === 0 && parentOfMatch) matches.push({ txid: hash, index: pos });
      return hash;
    }
    const left = traverse(h - 1, pos * 2);
    if (pos * 2 + 1 < widthAt(totalTransactions, h - 1)) {
      const right = traverse(h - 1, pos * 2 + 1);
      // CVE-2012-2459: identical siblings would let one tree stand for two transaction lists.
      if (equalBytes(left, right)) throw new Error('merkleblock: duplicate sibling hashes');
      return hashPair(left, right);
    }
    return hashPair(left, left);
  };
  const root = traverse(height, 0);
  if (hashesUsed !== hashes.length) throw new Error(`merkleblock.hashes: ${hashes.length - hashesUsed} unused hashes`);
  if (Math.ceil(bitsUsed / 8) !== flagBytes.length) throw new Error('merkleblock.flags: unused flag bytes');
  if (!equalBytes(root, header.merkleRoot)) throw new Error('merkleblock: partial tree does not hash to the header merkle root');
  return { header, totalTransactions, matches };
}

function widthAt(total: number, height: number): number {
  return Math.ceil(total / 2 ** height);
}

// --- transactions ---

/**
 * A raw transaction's txid (internal order) and output scripts, read by the strict parser of
 * anchor/bitcoin-tx.ts (either serialization; the txid covers the one without witness).
 */
export function parseRawTransaction(raw: Uint8Array): { txid: Uint8Array; outputScripts: Uint8Array[] } {
  assertBytes(raw, undefined, 'rawTx');
  const tx = parseBitcoinTransaction(raw, { witness: 'allowed' });
  return { txid: tx.txid, outputScripts: tx.outputs.map((o) => o.script) };
}

/**
 * The data of every OP_RETURN output: `OP_RETURN <one push>`. Outputs with several pushes
 * or non-push opcodes are skipped. A scanning helper (tests, the anchorer's block scan): the
 * rule a verifier applies to an anchor is parseAnchorTransaction in anchor/bitcoin-tx.ts.
 */
export function extractOpReturnData(raw: Uint8Array): Uint8Array[] {
  return parseRawTransaction(raw).outputScripts.map(opReturnData).filter((d): d is Uint8Array => d !== undefined);
}

/** The pushed bytes of `OP_RETURN <push>`, or undefined when the script is anything else. */
export function opReturnData(script: Uint8Array): Uint8Array | undefined {
  if (script.length < 2 || script[0] !== 0x6a) return undefined;
  const op = script[1];
  let start: number;
  let length: number;
  if (op >= 0x01 && op <= 0x4b) {
    start = 2;
    length = op;
  } else if (op === 0x4c && script.length >= 3) {
    start = 3;
    length = script[2];
  } else {
    return undefined;
  }
  if (start + length !== script.length) return undefined;
  return script.slice(start);
}
