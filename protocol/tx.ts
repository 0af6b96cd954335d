// Transactions (docs/transaction.md): a PAN transfer or an OAR commitment, each signed with
// ML-DSA-65 by its sender over the domain-separated body. The transaction id is the hash of
// exactly the bytes that were signed, so it does not depend on the (randomised) signature.
import { decodeExact, DecodeError, Reader, Writer } from './encoding.ts';
import { assertValidChainId, domainPrefix, taggedHash, TAGS } from './hash.ts';
import { addressBytes, PUBLIC_KEY_SIZE, sign, SIGNATURE_SIZE, verify, ADDRESS_SIZE } from './keys.ts';
import { concatBytes } from './bytes.ts';

export const TX_VERSION = 1;
export const TX_KIND = { transfer: 1, commitment: 2, anchorAttestation: 3 } as const;
export const LOG_ID_MAX = 64;
export const CHAIN_ID_MAX = 64;
export const BTC_TX_SIZE_MAX = 10_000;
export const BTC_HEADER_SIZE = 80;
export const BTC_MERKLE_DEPTH_MAX = 32;
export const BTC_FOLLOWING_HEADERS_MAX = 64;
const TX_COMMON_SIZE = 1 + 4 + CHAIN_ID_MAX + 1 + PUBLIC_KEY_SIZE + 8 + 8 + SIGNATURE_SIZE;
/** The largest signed transaction: an anchor attestation with every list at its maximum. */
export const TX_SIZE_MAX =
  TX_COMMON_SIZE + 8 + 32 + 4 + BTC_TX_SIZE_MAX + BTC_HEADER_SIZE + 4 + 4 + 4 + 32 * BTC_MERKLE_DEPTH_MAX + 4 + BTC_HEADER_SIZE * BTC_FOLLOWING_HEADERS_MAX;
export const LOG_ID_PATTERN = /^[\x21-\x7e]{1,64}$/;

export interface TransferPayload {
  kind: 'transfer';
  to: Uint8Array; // 32-byte address
  amount: bigint; // base units, >= 1
}

export interface CommitmentPayload {
  kind: 'commitment';
  logId: string; // printable ASCII, 1-64 characters
  treeSize: bigint; // entries in the OAR log, >= 1
  root: Uint8Array; // 32-byte OAR log root
}

/**
 * Records a confirmed Bitcoin anchor on Pantheon (docs/anchor.md): the raw Bitcoin tx whose
 * OP_RETURN carries (pantheonHeight, root), its merkle branch, its block header and the
 * headers that followed, so every node can serve the Bitcoin part of a proof.
 */
export interface AnchorAttestationPayload {
  kind: 'anchorAttestation';
  pantheonHeight: bigint;
  /** The Pantheon block hash at pantheonHeight. */
  root: Uint8Array;
  btcTx: Uint8Array;
  btcHeader: Uint8Array;
  btcHeight: number;
  merkleIndex: number;
  merkleSiblings: Uint8Array[];
  followingHeaders: Uint8Array[];
}

export interface UnsignedTx {
  chainId: string;
  senderPublicKey: Uint8Array;
  nonce: bigint;
  fee: bigint;
  payload: TransferPayload | CommitmentPayload | AnchorAttestationPayload;
}

export interface SignedTx extends UnsignedTx {
  signature: Uint8Array;
}

export function encodeTxBody(tx: UnsignedTx): Uint8Array {
  assertValidChainId(tx.chainId);
  const w = new Writer()
    .u8(TX_VERSION, 'version')
    .string(tx.chainId, CHAIN_ID_MAX, 'chainId')
    .u8(TX_KIND[tx.payload.kind], 'kind')
    .fixed(tx.senderPublicKey, PUBLIC_KEY_SIZE, 'senderPublicKey')
    .u64(tx.nonce, 'nonce')
    .u64(tx.fee, 'fee');
  const p = tx.payload;
  if (p.kind === 'transfer') {
    if (p.amount < 1n) throw new RangeError('amount: must be at least 1 base unit');
    w.fixed(p.to, ADDRESS_SIZE, 'to').u64(p.amount, 'amount');
  } else if (p.kind === 'commitment') {
    if (!LOG_ID_PATTERN.test(p.logId)) throw new RangeError('logId: must be 1-64 printable ASCII characters');
    if (p.treeSize < 1n) throw new RangeError('treeSize: must be at least 1');
    w.string(p.logId, LOG_ID_MAX, 'logId').u64(p.treeSize, 'treeSize').fixed(p.root, 32, 'root');
  } else {
    w.u64(p.pantheonHeight, 'pantheonHeight')
      .fixed(p.root, 32, 'root')
      .bytes(p.btcTx, BTC_TX_SIZE_MAX, 'btcTx')
      .fixed(p.btcHeader, BTC_HEADER_SIZE, 'btcHeader')
      .u32(p.btcHeight, 'btcHeight')
      .u32(p.merkleIndex, 'merkleIndex')
      .list(p.merkleSiblings, BTC_MERKLE_DEPTH_MAX, 'merkleSiblings', (ww, h) => ww.fixed(h, 32, 'merkleSibling'))
      .list(p.followingHeaders, BTC_FOLLOWING_HEADERS_MAX, 'followingHeaders', (ww, h) => ww.fixed(h, BTC_HEADER_SIZE, 'followingHeader'));
  }
  return w.finish();
}

export function encodeTx(tx: SignedTx): Uint8Array {
  return concatBytes(encodeTxBody(tx), new Writer().fixed(tx.signature, SIGNATURE_SIZE, 'signature').finish());
}

function readTxBody(r: Reader): UnsignedTx {
  const version = r.u8('version');
  if (version !== TX_VERSION) throw new DecodeError('version', `unsupported transaction version ${version}`);
  const chainId = r.string(CHAIN_ID_MAX, 'chainId');
  try {
    assertValidChainId(chainId);
  } catch (err) {
    throw new DecodeError('chainId', (err as Error).message);
  }
  const kind = r.u8('kind');
  const senderPublicKey = r.fixed(PUBLIC_KEY_SIZE, 'senderPublicKey');
  const nonce = r.u64('nonce');
  const fee = r.u64('fee');
  let payload: UnsignedTx['payload'];
  if (kind === TX_KIND.transfer) {
    const to = r.fixed(ADDRESS_SIZE, 'to');
    const amount = r.u64('amount');
    if (amount < 1n) throw new DecodeError('amount', 'must be at least 1 base unit');
    payload = { kind: 'transfer', to, amount };
  } else if (kind === TX_KIND.commitment) {
    const logId = r.string(LOG_ID_MAX, 'logId');
    if (!LOG_ID_PATTERN.test(logId)) throw new DecodeError('logId', 'must be 1-64 printable ASCII characters');
    const treeSize = r.u64('treeSize');
    if (treeSize < 1n) throw new DecodeError('treeSize', 'must be at least 1');
    payload = { kind: 'commitment', logId, treeSize, root: r.fixed(32, 'root') };
  } else if (kind === TX_KIND.anchorAttestation) {
    payload = {
      kind: 'anchorAttestation',
      pantheonHeight: r.u64('pantheonHeight'),
      root: r.fixed(32, 'root'),
      btcTx: r.bytes(BTC_TX_SIZE_MAX, 'btcTx'),
      btcHeader: r.fixed(BTC_HEADER_SIZE, 'btcHeader'),
      btcHeight: r.u32('btcHeight'),
      merkleIndex: r.u32('merkleIndex'),
      merkleSiblings: r.list(BTC_MERKLE_DEPTH_MAX, 'merkleSiblings', (rr) => rr.fixed(32, 'merkleSibling')),
      followingHeaders: r.list(BTC_FOLLOWING_HEADERS_MAX, 'followingHeaders', (rr) => rr.fixed(BTC_HEADER_SIZE, 'followingHeader')),
    };
  } else {
    throw new DecodeError('kind', `unknown transaction kind ${kind}`);
  }
  return { chainId, senderPublicKey, nonce, fee, payload };
}

export function decodeTx(bytes: Uint8Array): SignedTx {
  if (bytes.length > TX_SIZE_MAX) throw new DecodeError('transaction', `${bytes.length} bytes exceeds the maximum of ${TX_SIZE_MAX}`);
  return decodeExact(bytes, 'transaction', (r) => {
    const body = readTxBody(r);
    return { ...body, signature: r.fixed(SIGNATURE_SIZE, 'signature') };
  });
}

/** The transaction id: taggedHash(tx tag, chainId, body) = SHA-256 of the signed message. */
export function txId(tx: UnsignedTx): Uint8Array {
  return taggedHash(TAGS.tx, tx.chainId, encodeTxBody(tx));
}

export function signTx(tx: UnsignedTx, secretKey: Uint8Array, deterministic = false): SignedTx {
  return { ...tx, signature: sign(TAGS.tx, tx.chainId, encodeTxBody(tx), secretKey, deterministic) };
}

/** Checks the chain id and the signature; says why when it fails. */
export function checkTxSignature(tx: SignedTx, chainId: string): string | undefined {
  if (tx.chainId !== chainId) return `chain id is "${tx.chainId}", this chain is "${chainId}"`;
  if (!verify(TAGS.tx, tx.chainId, encodeTxBody(tx), tx.signature, tx.senderPublicKey)) {
    return 'signature does not verify against the sender public key';
  }
  return undefined;
}

export function txSender(tx: UnsignedTx): Uint8Array {
  return addressBytes(tx.senderPublicKey);
}

/** Leaf bytes of the block's transaction tree: string(tx-leaf tag) || string(chainId) || tx. */
export function txLeaf(chainId: string, txBytes: Uint8Array): Uint8Array {
  return concatBytes(domainPrefix(TAGS.txLeaf, chainId), txBytes);
}

/** Leaf bytes of the commitment log: string(commitment-leaf tag) || string(chainId) || tx. */
export function commitmentLeaf(chainId: string, txBytes: Uint8Array): Uint8Array {
  return concatBytes(domainPrefix(TAGS.commitmentLeaf, chainId), txBytes);
}
