// The proof bundle (docs/proof.md): the JSON an auditor verifies offline. This module only
// reads and writes the format; it decodes base64 and checks shapes and bounds, and leaves every
// hash, signature and link to the verify-*.ts steps, so nothing here is taken on trust.
import { describe } from '../protocol/bytes.ts';
import { assertValidChainId } from '../protocol/hash.ts';
import { TX_SIZE_MAX } from '../protocol/tx-common.ts';
import { SIGNATURE_SIZE } from '../protocol/keys.ts';
import { VALIDATORS_MAX } from '../protocol/validators.ts';
import type { BitcoinNetworkName } from '../anchor/verify-bitcoin.ts';

export const BUNDLE_FORMAT = 'pantheon-proof-bundle';
export const BUNDLE_VERSION = 2;

/** An RFC 6962 path in a log of up to 2^64 leaves has at most 64 hashes. */
export const INCLUSION_PATH_MAX = 64;
/** Pantheon headers after h up to the anchored block H: bounds how far apart h and H may be. */
export const PANTHEON_HEADERS_MAX = 4096;
/** A Bitcoin block's merkle tree is far shallower than 32 levels. */
export const BITCOIN_BRANCH_MAX = 32;
/** The anchoring block and the blocks after it: two weeks of Bitcoin blocks. */
export const BITCOIN_HEADERS_MAX = 2016;
/** A Bitcoin anchor transaction is a few hundred bytes; this bounds what the parser accepts. */
export const BITCOIN_TX_BYTES_MAX = 100_000;
const HEADER_BYTES_MAX = 1024;
const CERTIFICATE_BYTES_MAX = 64 + 8 + 4 + 32 + 4 + 4 + VALIDATORS_MAX * (2 + SIGNATURE_SIZE);
const NETWORKS: readonly BitcoinNetworkName[] = ['mainnet', 'testnet', 'regtest'];

export interface BitcoinAnchorProof {
  /** Selects the pow limit; regtest has no real work and the summary says so. */
  network: BitcoinNetworkName;
  /** The height the anchorer reported. Headers do not carry a height: informative only. */
  blockHeight: number;
  /** The raw anchor transaction without witness data: exactly the bytes its txid hashes (docs/proof.md). */
  rawTx: Uint8Array;
  /** Position of the transaction in its block. */
  txIndex: number;
  /** Bitcoin merkle siblings from the transaction upwards, internal byte order. */
  merkleBranch: Uint8Array[];
  /** 80-byte headers: the block holding the transaction, then every block after it. */
  headers: Uint8Array[];
}

export interface ProofBundle {
  version: typeof BUNDLE_VERSION;
  chainId: string;
  genesisHash: Uint8Array;
  /** The genesis file as JSON, so a verifier holding only the pinned hash can check it. */
  genesis?: unknown;
  commitment: {
    /** The signed commitment transaction, exactly as it is a leaf of the commitment log. */
    tx: Uint8Array;
    leafIndex: number;
    /** RFC 6962 inclusion path, leaf to root. The log size comes from header h, never from here. */
    path: Uint8Array[];
  };
  /** Block h: the header whose commitmentLogRoot covers the commitment, and its commit certificate. */
  block: { header: Uint8Array; certificate: Uint8Array };
  anchor?: {
    /** Encoded Pantheon headers h+1 .. H, H being the anchored block (empty when H = h). */
    pantheonHeaders: Uint8Array[];
    bitcoin: BitcoinAnchorProof;
  };
}

/** The bundle is not well-formed JSON of this format; `field` is a JSON path like commitment.path[2]. */
export class BundleFormatError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'BundleFormatError';
  }
}

export function jsonObject(value: unknown, field: string, required: string[], optional: string[] = []): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BundleFormatError(field, `expected a JSON object, got ${describe(value)}`);
  const obj = value as Record<string, unknown>;
  const allowed = [...required, ...optional];
  // Unknown fields are rejected: a verifier that ignored them could be shown data it never checked.
  for (const key of Object.keys(obj)) if (!allowed.includes(key)) throw new BundleFormatError(field, `unknown field "${key}" (allowed: ${allowed.join(', ')})`);
  for (const key of required) if (!(key in obj)) throw new BundleFormatError(field, `missing field "${key}"`);
  return obj;
}

/**
 * Standard base64 with padding (RFC 4648 §4): the one text form of bytes in a bundle. Through
 * the platform's btoa (browsers and Node alike), in chunks a function call can take.
 */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * The strict inverse of bytesToBase64: `text` must be exactly the RFC 4648 §4 encoding of the
 * bytes it decodes to (standard alphabet, `=` padding to a multiple of 4, zero unused bits in
 * the last character, no whitespace or line breaks), so one byte string has one text form in
 * a bundle. The platform's atob decodes; it is lenient (WHATWG "forgiving base64": it skips
 * whitespace, takes missing padding and ignores unused bits), so the checks before it refuse
 * each of those forms with its own message, and re-encoding makes canonical form a checked
 * property rather than an assumption about the platform.
 */
export function base64ToBytes(text: unknown, field: string): Uint8Array {
  if (typeof text !== 'string') throw new BundleFormatError(field, `expected base64 text, got ${describe(text)}`);
  const stray = /[^A-Za-z0-9+/=]/.exec(text);
  if (stray) {
    const code = stray[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new BundleFormatError(field, `character ${JSON.stringify(stray[0])} (U+${code}) at offset ${stray.index} is not base64 (RFC 4648 section 4: A-Z a-z 0-9 + / and = padding; no whitespace, no line breaks, not the URL-safe alphabet)`);
  }
  const pad = text.indexOf('=');
  if (pad >= 0 && /[^=]/.test(text.slice(pad))) throw new BundleFormatError(field, `"=" at offset ${pad} is inside the text: only its end may be padded (RFC 4648 section 4; two base64 texts run together are not one)`);
  if (text.length % 4 !== 0 || (pad >= 0 && text.length - pad > 2)) {
    throw new BundleFormatError(field, `not canonical base64 (RFC 4648 section 4: padded with = to a multiple of 4 characters, unused bits zero): ${text.length} characters${pad >= 0 ? `, ${text.length - pad} of them "="` : ''}`);
  }
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (bytesToBase64(bytes) !== text) throw new BundleFormatError(field, 'not canonical base64: it does not re-encode to the same text (non-zero unused bits or wrong padding)');
  return bytes;
}

export function b64(value: unknown, field: string, opts: { length?: number; max?: number } = {}): Uint8Array {
  const max = opts.length ?? opts.max;
  // Bound the text before decoding it: n bytes take 4 * ceil(n / 3) characters.
  if (typeof value === 'string' && max !== undefined && value.length > 4 * Math.ceil(max / 3)) {
    const what = opts.length !== undefined ? `${max} bytes take` : `at most ${max} bytes take`;
    throw new BundleFormatError(field, `${value.length} characters, more than the ${4 * Math.ceil(max / 3)} that ${what} in base64`);
  }
  const bytes = base64ToBytes(value, field);
  if (bytes.length === 0) throw new BundleFormatError(field, 'is empty');
  if (opts.length !== undefined && bytes.length !== opts.length) throw new BundleFormatError(field, `expected ${opts.length} bytes, got ${bytes.length}`);
  if (opts.max !== undefined && bytes.length > opts.max) throw new BundleFormatError(field, `${bytes.length} bytes exceeds the maximum of ${opts.max}`);
  return bytes;
}

export function b64List(value: unknown, field: string, maxCount: number, opts: { length?: number; max?: number }): Uint8Array[] {
  if (!Array.isArray(value)) throw new BundleFormatError(field, `expected an array, got ${describe(value)}`);
  if (value.length > maxCount) throw new BundleFormatError(field, `${value.length} entries exceeds the maximum of ${maxCount}`);
  return value.map((v, i) => b64(v, `${field}[${i}]`, opts));
}

export function count(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new BundleFormatError(field, `expected a non-negative integer, got ${describe(value)}`);
  return value;
}

/** Reads a bundle from parsed JSON. Throws BundleFormatError naming the field. */
export function parseBundle(json: unknown): ProofBundle {
  // Format and version first: another version may have other fields, and its reader should
  // hear "wrong version", not "unknown field".
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new BundleFormatError('bundle', `expected a JSON object, got ${describe(json)}`);
  const { format, version } = json as Record<string, unknown>;
  if (format !== BUNDLE_FORMAT) throw new BundleFormatError('format', `expected "${BUNDLE_FORMAT}", got ${describe(format)}`);
  if (version === 1) throw new BundleFormatError('version', 'version 1 (hex) bundles are not supported by this verifier; make a new one with pantheon proof');
  if (version !== BUNDLE_VERSION) throw new BundleFormatError('version', `unsupported version ${describe(version)}; this verifier reads version ${BUNDLE_VERSION}`);
  const top = jsonObject(json, 'bundle', ['format', 'version', 'chainId', 'genesisHash', 'commitment', 'block'], ['genesis', 'anchor']);
  try {
    assertValidChainId(top.chainId);
  } catch (err) {
    throw new BundleFormatError('chainId', (err as Error).message.replace(/^chainId: /, ''));
  }
  const c = jsonObject(top.commitment, 'commitment', ['tx', 'leafIndex', 'path']);
  const b = jsonObject(top.block, 'block', ['header', 'certificate']);
  const bundle: ProofBundle = {
    version: BUNDLE_VERSION,
    chainId: top.chainId,
    genesisHash: b64(top.genesisHash, 'genesisHash', { length: 32 }),
    commitment: {
      tx: b64(c.tx, 'commitment.tx', { max: TX_SIZE_MAX }),
      leafIndex: count(c.leafIndex, 'commitment.leafIndex'),
      path: b64List(c.path, 'commitment.path', INCLUSION_PATH_MAX, { length: 32 }),
    },
    block: {
      header: b64(b.header, 'block.header', { max: HEADER_BYTES_MAX }),
      certificate: b64(b.certificate, 'block.certificate', { max: CERTIFICATE_BYTES_MAX }),
    },
  };
  if ('genesis' in top) {
    if (typeof top.genesis !== 'object' || top.genesis === null || Array.isArray(top.genesis)) throw new BundleFormatError('genesis', 'expected the genesis file as a JSON object');
    bundle.genesis = top.genesis;
  }
  if ('anchor' in top) {
    const a = jsonObject(top.anchor, 'anchor', ['pantheonHeaders', 'bitcoin']);
    const btc = jsonObject(a.bitcoin, 'anchor.bitcoin', ['network', 'blockHeight', 'rawTx', 'txIndex', 'merkleBranch', 'headers']);
    if (!NETWORKS.includes(btc.network as BitcoinNetworkName)) throw new BundleFormatError('anchor.bitcoin.network', `expected one of ${NETWORKS.join(', ')}, got ${describe(btc.network)}`);
    const headers = b64List(btc.headers, 'anchor.bitcoin.headers', BITCOIN_HEADERS_MAX, { length: 80 });
    if (headers.length === 0) throw new BundleFormatError('anchor.bitcoin.headers', 'needs at least the header of the block holding the anchor');
    bundle.anchor = {
      pantheonHeaders: b64List(a.pantheonHeaders, 'anchor.pantheonHeaders', PANTHEON_HEADERS_MAX, { max: HEADER_BYTES_MAX }),
      bitcoin: {
        network: btc.network as BitcoinNetworkName,
        blockHeight: count(btc.blockHeight, 'anchor.bitcoin.blockHeight'),
        rawTx: b64(btc.rawTx, 'anchor.bitcoin.rawTx', { max: BITCOIN_TX_BYTES_MAX }),
        txIndex: count(btc.txIndex, 'anchor.bitcoin.txIndex'),
        merkleBranch: b64List(btc.merkleBranch, 'anchor.bitcoin.merkleBranch', BITCOIN_BRANCH_MAX, { length: 32 }),
        headers,
      },
    };
  }
  return bundle;
}

/** The JSON form, the inverse of parseBundle; fields in the order docs/proof.md lists them. */
export function bundleToJson(b: ProofBundle): Record<string, unknown> {
  const out: Record<string, unknown> = {
    format: BUNDLE_FORMAT,
    version: b.version,
    chainId: b.chainId,
    genesisHash: bytesToBase64(b.genesisHash),
  };
  if (b.genesis !== undefined) out.genesis = b.genesis;
  out.commitment = { tx: bytesToBase64(b.commitment.tx), leafIndex: b.commitment.leafIndex, path: b.commitment.path.map(bytesToBase64) };
  out.block = { header: bytesToBase64(b.block.header), certificate: bytesToBase64(b.block.certificate) };
  if (b.anchor) {
    const btc = b.anchor.bitcoin;
    out.anchor = {
      pantheonHeaders: b.anchor.pantheonHeaders.map(bytesToBase64),
      bitcoin: {
        network: btc.network,
        blockHeight: btc.blockHeight,
        rawTx: bytesToBase64(btc.rawTx),
        txIndex: btc.txIndex,
        merkleBranch: btc.merkleBranch.map(bytesToBase64),
        headers: btc.headers.map(bytesToBase64),
      },
    };
  }
  return out;
}
