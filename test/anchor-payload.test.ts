// Pure anchor code: the OP_RETURN payload vectors (docs/vectors/anchor.json) and the Bitcoin
// verification helpers the light client uses, checked against real mainnet data.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { sha256 } from '@noble/hashes/sha2.js';
import { Transaction as BtcTx, payments } from 'bitcoinjs-lib';
import { bytesToHex, hexToBytes } from '../protocol/bytes.ts';
import { attestationParts, attestationPayload, type AttestationParts } from '../anchor/verify-attestation.ts';
import { ANCHOR_PAYLOAD_BYTES, anchorChainIdPrefix, decodeAnchorPayload, encodeAnchorPayload } from '../anchor/payload.ts';
import {
  bitsToTarget,
  buildMerkleBranch,
  computeMerkleRoot,
  extractOpReturnData,
  hashToDisplayHex,
  isValidProofOfWork,
  merkleRootFromBranch,
  parseBlockHeader,
  parseMerkleBlock,
  sha256d,
  verifyHeaderChain,
  verifyMerkleBranch,
  workForBits,
} from '../anchor/verify-bitcoin.ts';

interface VectorCase {
  description: string;
  input: { op: 'encode' | 'decode'; chainId?: string; height?: string; rootHex?: string; payloadHex?: string };
  expect: string;
  output?: { payloadHex?: string; chainIdPrefixHex?: string; height?: string; rootHex?: string };
}

const VECTOR_FILE = 'anchor.json'; // docs/vectors/<file>; test/vectors.test.ts looks for this name
const vectors = JSON.parse(readFileSync(new URL(`../docs/vectors/${VECTOR_FILE}`, import.meta.url), 'utf8')) as { description: string; cases: VectorCase[] };

function run(c: VectorCase): unknown {
  if (c.input.op === 'encode') {
    const root = Uint8Array.from(Buffer.from(c.input.rootHex!, 'hex'));
    return { payloadHex: bytesToHex(encodeAnchorPayload(c.input.chainId!, BigInt(c.input.height!), root)) };
  }
  const p = decodeAnchorPayload(Uint8Array.from(Buffer.from(c.input.payloadHex!, 'hex')), c.input.chainId);
  return { chainIdPrefixHex: bytesToHex(p.chainIdPrefix), height: p.height.toString(), rootHex: bytesToHex(p.root) };
}

describe('anchor payload vectors', () => {
  it('runs every case in docs/vectors/anchor.json, as many negative as positive', () => {
    let ok = 0;
    let rejected = 0;
    for (const c of vectors.cases) {
      if (c.expect === 'ok') {
        expect(run(c), c.description).toEqual(c.output);
        ok++;
      } else {
        expect(() => run(c), c.description).toThrow(new RegExp(`^${c.expect}:`));
        rejected++;
      }
    }
    expect(ok).toBe(7);
    expect(rejected).toBe(15);
    expect(vectors.cases.length).toBe(ok + rejected);
  });

  it('chain id prefix is SHA-256 over u32-length-prefixed tag and chain id, recomputed by hand', () => {
    const text = (s: string) => {
      const b = new TextEncoder().encode(s);
      const out = new Uint8Array(4 + b.length);
      new DataView(out.buffer).setUint32(0, b.length);
      out.set(b, 4);
      return out;
    };
    const preimage = new Uint8Array([...text('pantheon/anchor-chain-id/v1'), ...text('pantheon-devnet')]);
    expect(bytesToHex(anchorChainIdPrefix('pantheon-devnet'))).toBe(bytesToHex(sha256(preimage).slice(0, 8)));
  });

  it('the worked example in docs/anchor.md matches the code byte for byte', () => {
    const doc = readFileSync(new URL('../docs/anchor.md', import.meta.url), 'utf8');
    const payload = encodeAnchorPayload('pantheon-devnet', 1234n, Uint8Array.from({ length: 32 }, (_, i) => i));
    expect(payload.length).toBe(ANCHOR_PAYLOAD_BYTES);
    expect(doc).toContain(bytesToHex(payload));
    expect(doc).toContain(`6a35${bytesToHex(payload)}`); // OP_RETURN OP_PUSHBYTES_53 <payload>
  });
});

// Bitcoin mainnet genesis block header and block 100000 (four transactions), public data.
const GENESIS_HEADER =
  '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c';
const GENESIS_HASH = '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f';
const BLOCK_100000_TXIDS = [
  '8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87',
  'fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4',
  '6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4',
  'e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d',
];
const BLOCK_100000_MERKLE_ROOT = 'f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766';
const display = (hex: string) => Uint8Array.from(hexToBytes(hex, 'hash', 32)).reverse();

describe('bitcoin verification helpers', () => {
  it('parses the mainnet genesis header, hashes it, and checks its proof of work', () => {
    const header = parseBlockHeader(hexToBytes(GENESIS_HEADER, 'header', 80));
    expect(hashToDisplayHex(header.hash)).toBe(GENESIS_HASH);
    expect(header.bits).toBe(0x1d00ffff);
    expect(header.nonce).toBe(2083236893);
    expect(header.time).toBe(1231006505);
    expect(bitsToTarget(0x1d00ffff)).toBe(0xffffn << 208n);
    expect(isValidProofOfWork(header, 'mainnet')).toBe(true);
    expect(workForBits(0x1d00ffff)).toBe(0x100010001n);
    // A different nonce breaks the work.
    const tampered = hexToBytes(GENESIS_HEADER, 'header', 80);
    tampered[79] ^= 1;
    expect(isValidProofOfWork(parseBlockHeader(tampered), 'mainnet')).toBe(false);
  });

  it('rejects targets above the network pow limit and malformed nBits, naming the field', () => {
    const header = parseBlockHeader(hexToBytes(GENESIS_HEADER, 'header', 80));
    expect(isValidProofOfWork({ ...header, bits: 0x207fffff }, 'mainnet')).toBe(false); // regtest bits on mainnet
    expect(() => bitsToTarget(0x04923456)).toThrow(/^bits: .*negative/);
    expect(() => bitsToTarget(0x01003456)).toThrow(/^bits: .*zero/);
    expect(() => bitsToTarget(0xff123456)).toThrow(/^bits: .*overflows/);
    expect(() => parseBlockHeader(new Uint8Array(79))).toThrow(/^header: expected 80 bytes/);
  });

  it('verifies a header chain: links and work, and names the header that breaks it', () => {
    // Two regtest headers mined here by brute force at the regtest limit (about 2 tries each).
    const mine = (prev: Uint8Array, time: number): Uint8Array => {
      for (let nonce = 0; ; nonce++) {
        const h = new Uint8Array(80);
        const v = new DataView(h.buffer);
        v.setInt32(0, 0x20000000, true);
        h.set(prev, 4);
        h.set(sha256(Uint8Array.of(nonce)), 36);
        v.setUint32(68, time, true);
        v.setUint32(72, 0x207fffff, true);
        v.setUint32(76, nonce, true);
        if (isValidProofOfWork(parseBlockHeader(h), 'regtest')) return h;
      }
    };
    const a = mine(new Uint8Array(32), 1);
    const b = mine(sha256d(a), 2);
    const { chainwork } = verifyHeaderChain([a, b], 'regtest');
    expect(chainwork).toBe(4n); // regtest: 2 hashes of work per header
    expect(() => verifyHeaderChain([b, a], 'regtest')).toThrow(/^headers\[1\]: prevHash .* does not link/);
  });

  it('builds and verifies merkle branches that reproduce mainnet block 100000', () => {
    const txids = BLOCK_100000_TXIDS.map(display);
    expect(hashToDisplayHex(computeMerkleRoot(txids))).toBe(BLOCK_100000_MERKLE_ROOT);
    for (let i = 0; i < txids.length; i++) {
      const branch = buildMerkleBranch(txids, i);
      expect(branch.siblings.length).toBe(2);
      expect(verifyMerkleBranch(txids[i], branch, display(BLOCK_100000_MERKLE_ROOT))).toBe(true);
      // Another transaction of the block (never the level-0 sibling, so no copy rule applies).
      expect(verifyMerkleBranch(txids[(i + 2) % 4], branch, display(BLOCK_100000_MERKLE_ROOT))).toBe(false);
    }
    // Odd counts duplicate the last node at each level.
    for (const n of [1, 3, 5, 7, 11]) {
      const ids = Array.from({ length: n }, (_, i) => sha256(Uint8Array.of(i)));
      const root = computeMerkleRoot(ids);
      for (let i = 0; i < n; i++) expect(bytesToHex(merkleRootFromBranch(ids[i], buildMerkleBranch(ids, i)))).toBe(bytesToHex(root));
    }
    expect(() => buildMerkleBranch(txids, 4)).toThrow(/^index:/);
  });

  it('parses a BIP 37 partial merkle tree and rejects a tampered one', () => {
    // Build a CMerkleBlock for block-100000-like txids matching index 2, as bitcoind serializes it.
    const txids = BLOCK_100000_TXIDS.map(display);
    const root = computeMerkleRoot(txids);
    const header = hexToBytes(GENESIS_HEADER, 'header', 80);
    header.set(root, 36);
    // Depth-first: root(1) left-subtree(0: hash) right-subtree(1) leaf2(1: match) leaf3(0: hash)
    const h01 = sha256d(new Uint8Array([...txids[0], ...txids[1]]));
    const flags = 0b1101; // bits in traversal order, least significant first
    const bytes = new Uint8Array([...header, 4, 0, 0, 0, 3, ...h01, ...txids[2], ...txids[3], 1, flags]);
    const proof = parseMerkleBlock(bytes);
    expect(proof.matches.map((m) => [hashToDisplayHex(m.txid), m.index])).toEqual([[BLOCK_100000_TXIDS[2], 2]]);
    expect(proof.totalTransactions).toBe(4);
    const tampered = Uint8Array.from(bytes);
    tampered[80 + 4 + 1 + 40] ^= 1; // inside the second hash
    expect(() => parseMerkleBlock(tampered)).toThrow(/does not hash to the header merkle root/);
    expect(() => parseMerkleBlock(bytes.subarray(0, bytes.length - 1))).toThrow(/^merkleblock\.flags: truncated/);
    // The hash count 3 written as fd 03 00: not the minimal CompactSize.
    const wide = new Uint8Array([...bytes.subarray(0, 84), 0xfd, 3, 0, ...bytes.subarray(85)]);
    expect(() => parseMerkleBlock(wide)).toThrow(/^merkleblock\.hashes: CompactSize encodes 3 in 3 bytes/);
  });

  it('extracts the OP_RETURN payload from a raw transaction', () => {
    const payload = encodeAnchorPayload('pantheon-devnet', 7n, new Uint8Array(32).fill(9));
    const tx = new BtcTx();
    tx.version = 2;
    tx.addInput(new Uint8Array(32).fill(1), 0, 0xfffffffd);
    tx.addOutput(payments.embed({ data: [payload] }).output!, 0n);
    tx.addOutput(Uint8Array.of(0x00, 0x14, ...new Uint8Array(20)), 10_000n);
    const found = extractOpReturnData(hexToBytes(tx.toHex(), 'tx'));
    expect(found.map(bytesToHex)).toEqual([bytesToHex(payload)]);
    expect(decodeAnchorPayload(found[0], 'pantheon-devnet').height).toBe(7n);
  });
});

describe('the attestation: one pair of conversions between its parts (hex) and its transaction payload (bytes)', () => {
  const hex = (byte: number, length: number) => bytesToHex(new Uint8Array(length).fill(byte));
  const parts: AttestationParts = {
    pantheonHeight: '42',
    rootHex: hex(1, 32),
    blockHeight: 812,
    rawTxHex: hex(2, 94),
    merkleIndex: 3,
    merkleSiblingsHex: [hex(4, 32), hex(5, 32)],
    headerHex: hex(6, 80),
    followingHeadersHex: [hex(7, 80)],
  };

  it('round-trips both ways', () => {
    const payload = attestationPayload(parts);
    expect(payload.kind).toBe('anchorAttestation');
    expect(payload.pantheonHeight).toBe(42n);
    expect(payload.btcHeight).toBe(812);
    expect(payload.followingHeaders).toHaveLength(1);
    expect(attestationParts(payload)).toEqual(parts);
    expect(attestationPayload(attestationParts(payload))).toEqual(payload);
  });

  it('refuses a part of the wrong length, naming it', () => {
    expect(() => attestationPayload({ ...parts, headerHex: hex(6, 79) })).toThrow('attestation.headerHex: expected 80 bytes');
    expect(() => attestationPayload({ ...parts, merkleSiblingsHex: [hex(4, 32), hex(4, 31)] })).toThrow('attestation.merkleSiblingsHex[1]: expected 32 bytes');
    expect(() => attestationPayload({ ...parts, rootHex: 'ZZ' })).toThrow('attestation.rootHex: expected lower-case hex');
  });
});
