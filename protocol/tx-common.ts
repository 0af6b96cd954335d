// Transactions (docs/transaction.md): a PAN transfer, an OAR commitment or a key change, each
// signed with ML-DSA-65 by its sender over the domain-separated body. The transaction id is the
// hash of exactly the bytes that were signed, so it does not depend on the (randomised)
// signature. The anchor attestation's payload (kind 3) is written and read by
// protocol/tx.ts, which the node uses; the light client meets only commitments, so this
// module, which it uses, leaves that payload out (a kind 3 transaction is refused by name).
import { decodeExact, DecodeError, Reader, Writer } from './encoding.ts';
import { assertValidChainId, domainPrefix, taggedHash, TAGS } from './hash.ts';
import { addressBytes, decodeAddress, PUBLIC_KEY_SIZE, sign, SIGNATURE_SIZE, verify, ADDRESS_SIZE } from './keys.ts';
import { concatBytes } from './bytes.ts';

/** Version 2: commitments carry the previous size and a consistency proof; key changes (docs/transaction.md). */
export const TX_VERSION = 2;
export const TX_KIND = { transfer: 1, commitment: 2, anchorAttestation: 3, keyChange: 4 } as const;
/** A log id is `<owner address>/<name>`: the 62-character pan1 address, a slash, a 1-64 character name. */
export const LOG_NAME_MAX = 64;
export const LOG_ID_MAX = 62 + 1 + LOG_NAME_MAX;
/** Printable ASCII without space; the address part is checked for its bech32m checksum too (isValidLogId). */
export const LOG_ID_PATTERN = /^pan1[02-9ac-hj-np-z]{58}\/[\x21-\x7e]{1,64}$/;
/**
 * The largest OAR tree size a commitment may name: 2^53 - 1, so sizes are exact JavaScript
 * numbers in the Merkle code, and a consistency proof between any two such sizes has at most
 * 54 hashes (below CONSISTENCY_PROOF_MAX).
 */
export const TREE_SIZE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
export const CONSISTENCY_PROOF_MAX = 64;
export const CHAIN_ID_MAX = 64;
export const BTC_TX_SIZE_MAX = 10_000;
export const BTC_HEADER_SIZE = 80;
export const BTC_MERKLE_DEPTH_MAX = 32;
export const BTC_FOLLOWING_HEADERS_MAX = 64;
/** version, chainId, kind, senderPublicKey, nonce, fee, and the signature after the payload. */
const TX_COMMON_SIZE = 1 + 4 + CHAIN_ID_MAX + 1 + PUBLIC_KEY_SIZE + 8 + 8 + SIGNATURE_SIZE;
/** The largest signed transaction of each kind, every variable field at its maximum (docs/transaction.md). */
export const TX_SIZE_MAX_BY_KIND = {
  transfer: TX_COMMON_SIZE + ADDRESS_SIZE + 8,
  commitment: TX_COMMON_SIZE + 4 + LOG_ID_MAX + 8 + 32 + 8 + 4 + 32 * CONSISTENCY_PROOF_MAX,
  anchorAttestation: TX_COMMON_SIZE + 8 + 32 + 4 + BTC_TX_SIZE_MAX + BTC_HEADER_SIZE + 4 + 4 + 4 + 32 * BTC_MERKLE_DEPTH_MAX + 4 + BTC_HEADER_SIZE * BTC_FOLLOWING_HEADERS_MAX,
  keyChange: TX_COMMON_SIZE + 4 + LOG_ID_MAX + PUBLIC_KEY_SIZE + 8,
} as const;
/** The largest signed transaction: an anchor attestation with every list at its maximum. */
export const TX_SIZE_MAX = Math.max(...Object.values(TX_SIZE_MAX_BY_KIND));

/** Why `logId` is not `<pan1 address>/<name>` with a valid address checksum, or undefined. */
export function logIdProblem(logId: string): string | undefined {
  if (!LOG_ID_PATTERN.test(logId)) return 'must be <owner pan1 address>/<name>, the name 1-64 printable ASCII characters without spaces';
  try {
    decodeAddress(logId.slice(0, logId.indexOf('/')));
  } catch (err) {
    return `the owner address is not valid: ${(err as Error).message}`;
  }
  return undefined;
}

/** The owner address bytes named by a valid log id (its part before the first slash). */
export function logIdOwner(logId: string): Uint8Array {
  return decodeAddress(logId.slice(0, logId.indexOf('/')), 'logId owner');
}

export interface TransferPayload {
  kind: 'transfer';
  to: Uint8Array; // 32-byte address
  amount: bigint; // base units, >= 1
}

export interface CommitmentPayload {
  kind: 'commitment';
  logId: string; // <owner address>/<name>
  treeSize: bigint; // entries in the OAR log, 1 .. TREE_SIZE_MAX
  root: Uint8Array; // 32-byte OAR log root
  /** The log's committed size this extends; 0 for the log's first commitment. */
  previousSize: bigint;
  /** RFC 9162 consistency proof from (previousSize, committed root) to (treeSize, root); empty for a first commitment. */
  consistencyProof: Uint8Array[];
}

/** Hands a log to a new owner key from `fromSize` on; sent by the current owner key. */
export interface KeyChangePayload {
  kind: 'keyChange';
  logId: string;
  newPublicKey: Uint8Array; // 1952-byte ML-DSA-65 public key
  /** The first OAR sequence number the new key signs (the key-change entry's sequence + 1). */
  fromSize: bigint;
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
  payload: TransferPayload | CommitmentPayload | AnchorAttestationPayload | KeyChangePayload;
}

export interface SignedTx extends UnsignedTx {
  signature: Uint8Array;
}

/**
 * How the anchor attestation's payload (kind 3) is written and read: protocol/tx.ts passes it.
 * Without it, a kind 3 transaction is refused, and the error names the kind.
 */
export interface AttestationCodec {
  write(w: Writer, p: AnchorAttestationPayload): void;
  read(r: Reader): AnchorAttestationPayload;
}

function noAttestation(): never {
  throw new DecodeError('kind', 'an anchor attestation (kind 3): this decoder reads transfers, commitments and key changes only (the light client meets only commitments; the node reads attestations through protocol/tx.ts)');
}

export function encodeTxBody(tx: UnsignedTx, attestation?: AttestationCodec): Uint8Array {
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
    const badLogId = logIdProblem(p.logId);
    if (badLogId) throw new RangeError(`logId: ${badLogId}`);
    if (p.treeSize < 1n || p.treeSize > TREE_SIZE_MAX) throw new RangeError(`treeSize: must be in [1, ${TREE_SIZE_MAX}]`);
    if (p.previousSize > TREE_SIZE_MAX) throw new RangeError(`previousSize: must be at most ${TREE_SIZE_MAX}`);
    w.string(p.logId, LOG_ID_MAX, 'logId')
      .u64(p.treeSize, 'treeSize')
      .fixed(p.root, 32, 'root')
      .u64(p.previousSize, 'previousSize')
      .list(p.consistencyProof, CONSISTENCY_PROOF_MAX, 'consistencyProof', (ww, h) => ww.fixed(h, 32, 'consistencyProof hash'));
  } else if (p.kind === 'keyChange') {
    const badLogId = logIdProblem(p.logId);
    if (badLogId) throw new RangeError(`logId: ${badLogId}`);
    if (p.fromSize > TREE_SIZE_MAX) throw new RangeError(`fromSize: must be at most ${TREE_SIZE_MAX}`);
    w.string(p.logId, LOG_ID_MAX, 'logId').fixed(p.newPublicKey, PUBLIC_KEY_SIZE, 'newPublicKey').u64(p.fromSize, 'fromSize');
  } else {
    if (!attestation) throw new RangeError('kind: an anchor attestation (kind 3) is written by protocol/tx.ts, not protocol/tx-common.ts');
    attestation.write(w, p);
  }
  return w.finish();
}

export function encodeTx(tx: SignedTx, attestation?: AttestationCodec): Uint8Array {
  return concatBytes(encodeTxBody(tx, attestation), new Writer().fixed(tx.signature, SIGNATURE_SIZE, 'signature').finish());
}

function readTxBody(r: Reader, attestation: AttestationCodec | undefined): UnsignedTx {
  const version = r.u8('version');
  if (version === 1) throw new DecodeError('version', 'transaction version 1 predates append-only logs and is no longer accepted: this chain takes version 2 (docs/transaction.md), and a chain of version 1 transactions needs a new genesis');
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
    const logId = readLogId(r);
    const treeSize = r.u64('treeSize');
    if (treeSize < 1n || treeSize > TREE_SIZE_MAX) throw new DecodeError('treeSize', `${treeSize} is not in [1, ${TREE_SIZE_MAX}]`);
    const root = r.fixed(32, 'root');
    const previousSize = r.u64('previousSize');
    if (previousSize > TREE_SIZE_MAX) throw new DecodeError('previousSize', `${previousSize} exceeds the maximum tree size ${TREE_SIZE_MAX}`);
    const consistencyProof = r.list(CONSISTENCY_PROOF_MAX, 'consistencyProof', (rr) => rr.fixed(32, 'consistencyProof hash'));
    payload = { kind: 'commitment', logId, treeSize, root, previousSize, consistencyProof };
  } else if (kind === TX_KIND.keyChange) {
    const logId = readLogId(r);
    const newPublicKey = r.fixed(PUBLIC_KEY_SIZE, 'newPublicKey');
    const fromSize = r.u64('fromSize');
    if (fromSize > TREE_SIZE_MAX) throw new DecodeError('fromSize', `${fromSize} exceeds the maximum tree size ${TREE_SIZE_MAX}`);
    payload = { kind: 'keyChange', logId, newPublicKey, fromSize };
  } else if (kind === TX_KIND.anchorAttestation) {
    payload = (attestation ?? noAttestation()).read(r);
  } else {
    throw new DecodeError('kind', `unknown transaction kind ${kind}`);
  }
  return { chainId, senderPublicKey, nonce, fee, payload };
}

function readLogId(r: Reader): string {
  const logId = r.string(LOG_ID_MAX, 'logId');
  const bad = logIdProblem(logId);
  if (bad) throw new DecodeError('logId', bad);
  return logId;
}

export function decodeTx(bytes: Uint8Array, attestation?: AttestationCodec): SignedTx {
  if (bytes.length > TX_SIZE_MAX) throw new DecodeError('transaction', `${bytes.length} bytes exceeds the maximum of ${TX_SIZE_MAX}`);
  return decodeExact(bytes, 'transaction', (r) => {
    const body = readTxBody(r, attestation);
    return { ...body, signature: r.fixed(SIGNATURE_SIZE, 'signature') };
  });
}

/** The transaction id: taggedHash(tx tag, chainId, body) = SHA-256 of the signed message. */
export function txId(tx: UnsignedTx, attestation?: AttestationCodec): Uint8Array {
  return taggedHash(TAGS.tx, tx.chainId, encodeTxBody(tx, attestation));
}

/** A transaction read from its signed bytes, with its signed body and id taken from those bytes. */
export interface ReadTx {
  tx: SignedTx;
  /** The bytes before the signature: the signed message's payload. */
  body: Uint8Array;
  id: Uint8Array;
}

/**
 * Decodes a transaction and takes its body from the bytes instead of encoding it again: the
 * encoding is canonical (docs/transaction.md), so these bytes are exactly encodeTxBody(tx).
 */
export function readTx(bytes: Uint8Array, attestation?: AttestationCodec): ReadTx {
  const tx = decodeTx(bytes, attestation);
  const body = bytes.subarray(0, bytes.length - SIGNATURE_SIZE);
  return { tx, body, id: taggedHash(TAGS.tx, tx.chainId, body) };
}

export function signTx(tx: UnsignedTx, secretKey: Uint8Array, deterministic = false, attestation?: AttestationCodec): SignedTx {
  return { ...tx, signature: sign(TAGS.tx, tx.chainId, encodeTxBody(tx, attestation), secretKey, deterministic) };
}

/** Checks the chain id and the signature; says why when it fails. */
export function checkTxSignature(tx: SignedTx, chainId: string, attestation?: AttestationCodec): string | undefined {
  return signatureProblem(tx, chainId, () => encodeTxBody(tx, attestation));
}

/** checkTxSignature over the body readTx took from the bytes. */
export function checkReadTxSignature(read: ReadTx, chainId: string): string | undefined {
  return signatureProblem(read.tx, chainId, () => read.body);
}

function signatureProblem(tx: SignedTx, chainId: string, body: () => Uint8Array): string | undefined {
  if (tx.chainId !== chainId) return `chain id is "${tx.chainId}", this chain is "${chainId}"`;
  if (!verify(TAGS.tx, tx.chainId, body(), tx.signature, tx.senderPublicKey)) return 'signature does not verify against the sender public key';
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
