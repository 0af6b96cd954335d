// Checks the Bitcoin half of an anchor-attestation transaction by arithmetic alone
// (docs/anchor.md): the OP_RETURN commits to this chain, height and root; the tx is in the
// block by its merkle branch; the block and the headers after it link and carry their stated
// proof of work. Pure and deterministic, so every node reaches the same verdict. Whether the
// work is real (mainnet) or not (regtest) is for the light client to report.
import { bytesToHex, equalBytes, hexToBytes } from '../protocol/bytes.ts';
import type { AnchorAttestationPayload } from '../protocol/tx.ts';
import { parseAnchorTransaction } from './bitcoin-tx.ts';
import { parseBlockHeader, verifyHeaderChain, verifyMerkleBranch } from './verify-bitcoin.ts';

/**
 * The Bitcoin part of an anchor as the anchorer reports it and a proof bundle carries it
 * (hex strings; merkle siblings in internal byte order). anchor/node/attestation.ts extends it.
 */
export interface AttestationParts {
  pantheonHeight: string;
  rootHex: string;
  blockHeight: number;
  rawTxHex: string;
  merkleIndex: number;
  merkleSiblingsHex: string[];
  headerHex: string;
  followingHeadersHex: string[];
}

/**
 * The attestation's two forms are converted here and nowhere else: the parts (hex, as the
 * anchorer keeps them in its state file, the API serves them and a bundle is assembled from
 * them) and the transaction payload (bytes, as a block records it). A wrong length throws,
 * naming the field.
 */
export function attestationPayload(a: AttestationParts): AnchorAttestationPayload {
  return {
    kind: 'anchorAttestation',
    pantheonHeight: BigInt(a.pantheonHeight),
    root: hexToBytes(a.rootHex, 'attestation.rootHex', 32),
    btcTx: hexToBytes(a.rawTxHex, 'attestation.rawTxHex'),
    btcHeader: hexToBytes(a.headerHex, 'attestation.headerHex', 80),
    btcHeight: a.blockHeight,
    merkleIndex: a.merkleIndex,
    merkleSiblings: a.merkleSiblingsHex.map((h, i) => hexToBytes(h, `attestation.merkleSiblingsHex[${i}]`, 32)),
    followingHeaders: a.followingHeadersHex.map((h, i) => hexToBytes(h, `attestation.followingHeadersHex[${i}]`, 80)),
  };
}

/** The parts of a recorded attestation payload (the inverse of attestationPayload). */
export function attestationParts(p: AnchorAttestationPayload): AttestationParts {
  return {
    pantheonHeight: p.pantheonHeight.toString(),
    rootHex: bytesToHex(p.root),
    blockHeight: p.btcHeight,
    rawTxHex: bytesToHex(p.btcTx),
    merkleIndex: p.merkleIndex,
    merkleSiblingsHex: p.merkleSiblings.map(bytesToHex),
    headerHex: bytesToHex(p.btcHeader),
    followingHeadersHex: p.followingHeaders.map(bytesToHex),
  };
}

/** Why the attestation does not hold, or undefined when it does. */
export function checkAttestationPayload(p: AnchorAttestationPayload, chainId: string): string | undefined {
  try {
    // 'regtest' is the weakest proof-of-work limit: each header must still meet its own nBits.
    verifyHeaderChain([p.btcHeader, ...p.followingHeaders], 'regtest');
    const header = parseBlockHeader(p.btcHeader);
    // The anchor rule of docs/anchor.md, as the light client applies it; the witness form is
    // allowed here because the anchorer records the transaction as the block holds it.
    const { tx, payload } = parseAnchorTransaction(p.btcTx, chainId, { witness: 'allowed' });
    if (!verifyMerkleBranch(tx.txid, { index: p.merkleIndex, siblings: p.merkleSiblings }, header.merkleRoot)) {
      return 'the Bitcoin transaction is not in the block: its merkle branch does not reach the header merkle root';
    }
    if (payload.height !== p.pantheonHeight) return `the OP_RETURN anchors height ${payload.height}, the attestation says ${p.pantheonHeight}`;
    if (!equalBytes(payload.root, p.root)) return 'the OP_RETURN anchors a different root than the attestation says';
    return undefined;
  } catch (err) {
    return `bad Bitcoin data: ${(err as Error).message}`;
  }
}
