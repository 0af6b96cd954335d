// The Bitcoin OP_RETURN payload that anchors a Pantheon root (spec: docs/anchor.md,
// vectors: docs/vectors/anchor.json). Pure and browser-safe: the light client decodes the
// same bytes it finds in a Bitcoin transaction.
//
//   offset size  field
//   0      4     magic        "PNTH" (0x50 0x4e 0x54 0x48)
//   4      1     version      0x01
//   5      8     chainIdPrefix first 8 bytes of taggedHash(pantheon/anchor-chain-id/v1, chainId, "")
//   13     8     height       Pantheon height of the anchored root, u64 big-endian
//   21     32    root         the anchored 32-byte root
//   total 53 bytes (standard OP_RETURN relay limit is 80)
import { DecodeError, Writer } from '../protocol/encoding.ts';
import { assertValidChainId, taggedHash, TAGS } from '../protocol/hash.ts';
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';

export const ANCHOR_MAGIC = Uint8Array.of(0x50, 0x4e, 0x54, 0x48); // "PNTH"
export const ANCHOR_PAYLOAD_VERSION = 1;
export const ANCHOR_CHAIN_ID_PREFIX_BYTES = 8;
export const ANCHOR_PAYLOAD_BYTES = 4 + 1 + ANCHOR_CHAIN_ID_PREFIX_BYTES + 8 + 32;
/** Bitcoin Core's default -datacarriersize counts the 80 data bytes after OP_RETURN. */
export const OP_RETURN_DATA_MAX_BYTES = 80;

const U64_MAX = (1n << 64n) - 1n;

export interface AnchorPayload {
  /** The 8-byte prefix naming the Pantheon chain (see anchorChainIdPrefix). */
  chainIdPrefix: Uint8Array;
  /** Pantheon height at which `root` was final. */
  height: bigint;
  /** The anchored root, 32 bytes. */
  root: Uint8Array;
}

/** First 8 bytes of taggedHash(anchor-chain-id tag, chainId, empty payload). */
export function anchorChainIdPrefix(chainId: string): Uint8Array {
  assertValidChainId(chainId);
  return taggedHash(TAGS.anchorChainId, chainId, new Uint8Array(0)).slice(0, ANCHOR_CHAIN_ID_PREFIX_BYTES);
}

/** Encode the payload for `root` final at Pantheon `height` on chain `chainId`. */
export function encodeAnchorPayload(chainId: string, height: bigint, root: Uint8Array): Uint8Array {
  if (typeof height !== 'bigint' || height < 0n || height > U64_MAX) {
    throw new RangeError(`height: must be a u64 bigint, got ${String(height)}`);
  }
  if (!(root instanceof Uint8Array) || root.length !== 32) {
    throw new TypeError(`root: expected 32 bytes, got ${root instanceof Uint8Array ? `${root.length} bytes` : typeof root}`);
  }
  const out = new Writer()
    .fixed(ANCHOR_MAGIC, 4, 'magic')
    .u8(ANCHOR_PAYLOAD_VERSION, 'version')
    .fixed(anchorChainIdPrefix(chainId), ANCHOR_CHAIN_ID_PREFIX_BYTES, 'chainIdPrefix')
    .u64(height, 'height')
    .fixed(root, 32, 'root')
    .finish();
  // The layout is fixed, so this only guards a future edit of the format.
  if (out.length !== ANCHOR_PAYLOAD_BYTES || out.length > OP_RETURN_DATA_MAX_BYTES) throw new Error(`payload: ${out.length} bytes, layout broken`);
  return out;
}

/**
 * Decode a payload. Throws DecodeError naming the field (`length`, `magic`, `version`,
 * `chainIdPrefix`) when the bytes are not a Pantheon anchor, or not one for `expectChainId`
 * when it is given.
 */
export function decodeAnchorPayload(bytes: Uint8Array, expectChainId?: string): AnchorPayload {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('payload', `expected bytes, got ${typeof bytes}`);
  if (bytes.length !== ANCHOR_PAYLOAD_BYTES) {
    throw new DecodeError('length', `expected ${ANCHOR_PAYLOAD_BYTES} bytes, got ${bytes.length}`);
  }
  const magic = bytes.subarray(0, 4);
  if (!equalBytes(magic, ANCHOR_MAGIC)) {
    throw new DecodeError('magic', `expected ${bytesToHex(ANCHOR_MAGIC)} ("PNTH"), got ${bytesToHex(magic)}`);
  }
  const version = bytes[4];
  if (version !== ANCHOR_PAYLOAD_VERSION) {
    throw new DecodeError('version', `unsupported version ${version}, this decoder reads version ${ANCHOR_PAYLOAD_VERSION}`);
  }
  const chainIdPrefix = bytes.slice(5, 13);
  if (expectChainId !== undefined) {
    const expected = anchorChainIdPrefix(expectChainId);
    if (!equalBytes(chainIdPrefix, expected)) {
      throw new DecodeError('chainIdPrefix', `payload is for chain prefix ${bytesToHex(chainIdPrefix)}, expected ${bytesToHex(expected)} (chain ${JSON.stringify(expectChainId)})`);
    }
  }
  const height = new DataView(bytes.buffer, bytes.byteOffset + 13, 8).getBigUint64(0);
  const root = bytes.slice(21, 53);
  return { chainIdPrefix, height, root };
}

/** True when `bytes` starts with the anchor magic: a cheap filter before decoding. */
export function looksLikeAnchorPayload(bytes: Uint8Array): boolean {
  return bytes instanceof Uint8Array && bytes.length >= 4 && equalBytes(bytes.subarray(0, 4), ANCHOR_MAGIC);
}
