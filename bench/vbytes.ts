// Part "vbytes": Bitcoin virtual bytes of one anchor transaction per anchor interval, for
// intervals holding 1, 100 and 10,000 commitments. The transaction is made by the anchor
// wallet's own signAnchorTxAtRate (what the anchorer sends: one P2WPKH input, OP_RETURN with
// the 53-byte payload, change) over the hash of a block whose commitment log holds N leaves.
// The check decodes the transaction and finds exactly that payload and root in it.
import { Transaction, script as bscript, networks } from 'bitcoinjs-lib';
import { blockHash, type BlockHeader } from '../protocol/block.ts';
import { sha256 } from '../protocol/hash.ts';
import { leafHash, rootOf } from '../protocol/merkle.ts';
import { commitmentLeaf, encodeTx, type SignedTx } from '../protocol/tx.ts';
import { addressOf, PUBLIC_KEY_SIZE, SIGNATURE_SIZE } from '../protocol/keys.ts';
import { equalBytes, bytesToHex } from '../protocol/bytes.ts';
import { decodeAnchorPayload, encodeAnchorPayload, ANCHOR_PAYLOAD_BYTES } from '../anchor/payload.ts';
import { keyFromPrivateKey, signAnchorTxAtRate } from '../anchor/node/wallet.ts';

const CHAIN = 'pantheon-bench-1';
export const VBYTES_COUNTS = [1, 100, 10_000] as const;

export interface VbytesFigures {
  anchorVbytesPerInterval: Record<string, number>;
  anchorOpReturnPayloadBytes: number;
}

export function runVbytes(): VbytesFigures {
  const key = keyFromPrivateKey(sha256(new TextEncoder().encode('bench anchor key')));
  const utxo = { txid: bytesToHex(sha256(new TextEncoder().encode('bench funding'))), vout: 0, valueSat: '5000000000', height: 1, coinbase: false };
  const out: Record<string, number> = {};
  let payloadBytes = 0;
  for (const n of VBYTES_COUNTS) {
    // The interval's commitments: encoded commitment transactions (placeholder signature bytes:
    // the anchor commits to their leaf hashes and never looks inside them).
    const leaves = Array.from({ length: n }, (_, i) => {
      const senderPublicKey = new Uint8Array(PUBLIC_KEY_SIZE).fill(i & 0xff);
      const tx: SignedTx = {
        chainId: CHAIN,
        senderPublicKey,
        nonce: BigInt(i),
        fee: 1000n,
        payload: { kind: 'commitment', logId: `${addressOf(senderPublicKey)}/oar-${i % 97}`, treeSize: BigInt(i + 1), root: sha256(new TextEncoder().encode(`root ${i}`)), previousSize: 0n, consistencyProof: [] },
        signature: new Uint8Array(SIGNATURE_SIZE).fill((i * 7) & 0xff),
      };
      return leafHash(commitmentLeaf(CHAIN, encodeTx(tx)));
    });
    const header: BlockHeader = {
      chainId: CHAIN,
      height: 10n,
      timeMs: 1_800_000_000_000n,
      previousBlockHash: new Uint8Array(32),
      txRoot: new Uint8Array(32),
      evidenceRoot: new Uint8Array(32),
      commitmentLogRoot: rootOf(leaves),
      commitmentLogSize: BigInt(n),
      stateRoot: new Uint8Array(32),
      validatorSetHash: new Uint8Array(32),
      proposer: new Uint8Array(32),
    };
    const root = blockHash(header);
    const payload = encodeAnchorPayload(CHAIN, header.height, root);
    const signed = signAnchorTxAtRate({ key, network: networks.regtest, inputs: [utxo], payload }, 2);
    // Check: one input, exactly one OP_RETURN carrying this payload, and the size it claims.
    const tx = Transaction.fromHex(signed.rawTxHex);
    const opReturns = tx.outs.filter((o) => o.script[0] === 0x6a);
    if (tx.ins.length !== 1 || opReturns.length !== 1) throw new Error(`vbytes: expected 1 input and 1 OP_RETURN, got ${tx.ins.length} and ${opReturns.length}`);
    const data = bscript.decompile(opReturns[0].script)![1] as Uint8Array;
    const decoded = decodeAnchorPayload(data, CHAIN);
    if (data.length !== ANCHOR_PAYLOAD_BYTES || !equalBytes(decoded.root, root) || decoded.height !== header.height) throw new Error('vbytes: the OP_RETURN does not carry the block root');
    if (tx.virtualSize() !== signed.vsize) throw new Error('vbytes: vsize mismatch');
    out[String(n)] = signed.vsize;
    payloadBytes = data.length;
  }
  return { anchorVbytesPerInterval: out, anchorOpReturnPayloadBytes: payloadBytes };
}
