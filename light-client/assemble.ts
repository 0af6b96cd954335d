// assembleBundle: the node's side of the format. It turns what the node stores (the
// commitment tx, its leaf index and inclusion path, headers h..H, the certificate of h, and
// an anchor attestation) into a bundle, refusing inputs that do not fit together, so a node
// never serves a bundle that names the wrong block. It proves nothing: verifyBundle does.
import { bytesToHex, equalBytes, hexToBytes } from '../protocol/bytes.ts';
import { blockHash, decodeHeader } from '../protocol/block.ts';
import { decodeCertificate } from '../protocol/certificate.ts';
import { genesisHash, genesisToJson, type Genesis } from '../genesis/genesis.ts';
import type { BitcoinNetworkName } from '../anchor/verify-bitcoin.ts';
import { parseBitcoinTransaction } from '../anchor/bitcoin-tx.ts';
import { attestationPayload, type AttestationParts } from '../anchor/verify-attestation.ts';
import { BUNDLE_VERSION, bundleToJson, parseBundle, type ProofBundle } from './bundle.ts';

/** The Bitcoin part of a bundle: an anchor/node/attestation.ts AnchorAttestation can be passed as is. */
export type { AttestationParts };

export interface BundleParts {
  /** The chain's genesis; it is embedded so a verifier holding only the pinned hash can check it. */
  genesis: Genesis;
  /**
   * Embed the genesis file (default true: the bundle then verifies with only a pinned genesis
   * hash). It is about 16 KB for 4 validators; without it the auditor needs genesis.json.
   */
  includeGenesis?: boolean;
  /** The signed commitment transaction, as stored in the commitment log. */
  commitmentTx: Uint8Array;
  leafIndex: number;
  /** Size of the log the path was built for: must equal header h's commitmentLogSize. */
  logSize: bigint | number;
  inclusionPath: Uint8Array[];
  /** Encoded headers h, h+1, ..., H (just [h] when there is no anchor, or when H = h). */
  headers: Uint8Array[];
  /** Encoded commit certificate of block h. */
  certificate: Uint8Array;
  /** The attestation of the anchor of block H; omit for a finality-only bundle. */
  attestation?: AttestationParts;
  /** The attestation does not name its network; the genesis does. Given, it must be the genesis's. */
  bitcoinNetwork?: BitcoinNetworkName;
}

/** Builds the bundle JSON (bundleToJson form). Throws an Error naming the part that does not fit. */
export function assembleBundle(parts: BundleParts): Record<string, unknown> {
  const { genesis } = parts;
  if (!Array.isArray(parts.headers) || parts.headers.length === 0) throw new Error('assembleBundle: headers must hold at least header h');
  const decoded = parts.headers.map((bytes, i) => {
    try {
      return decodeHeader(bytes);
    } catch (err) {
      throw new Error(`assembleBundle: headers[${i}] does not decode: ${(err as Error).message}`);
    }
  });
  const h = decoded[0];
  if (h.chainId !== genesis.chainId) throw new Error(`assembleBundle: header h is for chain "${h.chainId}", the genesis is "${genesis.chainId}"`);
  if (BigInt(parts.logSize) !== h.commitmentLogSize) throw new Error(`assembleBundle: the path is for a log of size ${parts.logSize}, header h states size ${h.commitmentLogSize}`);
  decoded.forEach((d, i) => {
    if (i > 0 && d.height !== decoded[i - 1].height + 1n) throw new Error(`assembleBundle: headers[${i}] is at height ${d.height}, expected ${decoded[i - 1].height + 1n}`);
  });
  const certificate = decodeCertificate(parts.certificate);
  if (certificate.height !== h.height) throw new Error(`assembleBundle: certificate is for height ${certificate.height}, header h is at ${h.height}`);

  const bundle: ProofBundle = {
    version: BUNDLE_VERSION,
    chainId: genesis.chainId,
    genesisHash: genesisHash(genesis),
    genesis: parts.includeGenesis === false ? undefined : genesisToJson(genesis),
    commitment: { tx: parts.commitmentTx, leafIndex: parts.leafIndex, path: parts.inclusionPath },
    block: { header: parts.headers[0], certificate: parts.certificate },
  };
  const a = parts.attestation;
  if (a) {
    if (parts.bitcoinNetwork !== undefined && parts.bitcoinNetwork !== genesis.bitcoin.network) {
      throw new Error(`assembleBundle: the genesis anchors into ${genesis.bitcoin.network}, not ${parts.bitcoinNetwork}`);
    }
    const H = decoded[decoded.length - 1];
    if (String(H.height) !== a.pantheonHeight) {
      throw new Error(`assembleBundle: the attestation anchors height ${a.pantheonHeight}; headers run from ${h.height} to ${H.height} and must end at it`);
    }
    const rootOfH = hexToBytes(a.rootHex, 'attestation.rootHex', 32);
    const hashH = blockHash(H); // the encoding is canonical, so this is the hash of the bytes given
    if (!equalBytes(rootOfH, hashH)) throw new Error(`assembleBundle: the attestation's root ${a.rootHex} is not the hash of block ${H.height} (${bytesToHex(hashH)})`);
    const p = attestationPayload(a);
    bundle.anchor = {
      pantheonHeaders: parts.headers.slice(1),
      bitcoin: {
        network: parts.bitcoinNetwork ?? genesis.bitcoin.network,
        blockHeight: a.blockHeight,
        rawTx: withoutWitness(p.btcTx),
        txIndex: p.merkleIndex,
        merkleBranch: p.merkleSiblings,
        headers: [p.btcHeader, ...p.followingHeaders],
      },
    };
  } else if (parts.headers.length > 1) {
    throw new Error('assembleBundle: headers after h are only carried with an attestation');
  }
  const json = bundleToJson(bundle);
  parseBundle(json); // what we hand out must be readable by the verifier's parser
  return json;
}

/** The bundle carries the transaction without witness: the bytes its txid hashes (docs/proof.md). */
function withoutWitness(rawTx: Uint8Array): Uint8Array {
  return parseBitcoinTransaction(rawTx, { witness: 'allowed' }).nonWitnessBytes;
}
