// Transactions (docs/transaction.md), every kind: protocol/tx-common.ts with the anchor
// attestation's payload (kind 3), which the node writes, reads and checks. The light client
// uses protocol/tx-common.ts, which leaves this payload out (it meets only commitments).
import type { Reader, Writer } from './encoding.ts';
import * as common from './tx-common.ts';
import { BTC_FOLLOWING_HEADERS_MAX, BTC_HEADER_SIZE, BTC_MERKLE_DEPTH_MAX, BTC_TX_SIZE_MAX, type AnchorAttestationPayload, type AttestationCodec, type SignedTx, type UnsignedTx } from './tx-common.ts';

export * from './tx-common.ts';

/** The anchor attestation's payload after the common fields (docs/transaction.md, kind 3). */
export const ATTESTATION_CODEC: AttestationCodec = {
  write(w: Writer, p: AnchorAttestationPayload): void {
    w.u64(p.pantheonHeight, 'pantheonHeight')
      .fixed(p.root, 32, 'root')
      .bytes(p.btcTx, BTC_TX_SIZE_MAX, 'btcTx')
      .fixed(p.btcHeader, BTC_HEADER_SIZE, 'btcHeader')
      .u32(p.btcHeight, 'btcHeight')
      .u32(p.merkleIndex, 'merkleIndex')
      .list(p.merkleSiblings, BTC_MERKLE_DEPTH_MAX, 'merkleSiblings', (ww, h) => ww.fixed(h, 32, 'merkleSibling'))
      .list(p.followingHeaders, BTC_FOLLOWING_HEADERS_MAX, 'followingHeaders', (ww, h) => ww.fixed(h, BTC_HEADER_SIZE, 'followingHeader'));
  },
  read(r: Reader): AnchorAttestationPayload {
    return {
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
  },
};

export function encodeTxBody(tx: UnsignedTx): Uint8Array {
  return common.encodeTxBody(tx, ATTESTATION_CODEC);
}

export function encodeTx(tx: SignedTx): Uint8Array {
  return common.encodeTx(tx, ATTESTATION_CODEC);
}

export function decodeTx(bytes: Uint8Array): SignedTx {
  return common.decodeTx(bytes, ATTESTATION_CODEC);
}

/** Decodes a transaction with its signed body and id taken from the bytes (no encoding again). */
export function readTx(bytes: Uint8Array): common.ReadTx {
  return common.readTx(bytes, ATTESTATION_CODEC);
}

/** The transaction id: taggedHash(tx tag, chainId, body) = SHA-256 of the signed message. */
export function txId(tx: UnsignedTx): Uint8Array {
  return common.txId(tx, ATTESTATION_CODEC);
}

export function signTx(tx: UnsignedTx, secretKey: Uint8Array, deterministic = false): SignedTx {
  return common.signTx(tx, secretKey, deterministic, ATTESTATION_CODEC);
}

/** Checks the chain id and the signature; says why when it fails. */
export function checkTxSignature(tx: SignedTx, chainId: string): string | undefined {
  return common.checkTxSignature(tx, chainId, ATTESTATION_CODEC);
}
