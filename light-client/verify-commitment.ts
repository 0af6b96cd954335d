// Steps "commitment", "inclusion" and "commitment-signature": the operator's signed
// commitment (log id, tree size, root) is a leaf of the commitment log whose root and size
// header h states (RFC 9162 2.1.3.2, docs/merkle.md). An inclusion that fails because the
// signed bytes changed is reported at commitment-signature (docs/proof.md, step 5).
import { commitmentLeaf, checkTxSignature, decodeTx, type CommitmentPayload, type SignedTx } from '../protocol/tx-common.ts';
import { leafHash, verifyInclusion } from '../protocol/merkle.ts';
import type { BlockHeader } from '../protocol/block.ts';
import { BlameStep, fail } from './steps.ts';

export type CommitmentTx = SignedTx & { payload: CommitmentPayload };

export function checkCommitment(txBytes: Uint8Array, chainId: string): CommitmentTx {
  let tx: SignedTx;
  try {
    tx = decodeTx(txBytes);
  } catch (err) {
    fail(`commitment transaction does not decode: ${(err as Error).message}`);
  }
  if (tx.payload.kind !== 'commitment') fail(`transaction is a ${tx.payload.kind}, not a commitment`);
  if (tx.chainId !== chainId) fail(`commitment is for chain "${tx.chainId}", not "${chainId}"`);
  return tx as CommitmentTx;
}

export function checkInclusion(chainId: string, txBytes: Uint8Array, leafIndex: number, path: readonly Uint8Array[], header: BlockHeader, tx: CommitmentTx): void {
  // The size is the header's, never the bundle's: an inclusion path does not bind the size (docs/merkle.md).
  const size = header.commitmentLogSize;
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) fail(`header's commitment log size ${size} is beyond what this verifier handles`);
  if (BigInt(leafIndex) >= size) fail(`leaf index ${leafIndex} is outside the log of size ${size} stated by header h`);
  const leaf = leafHash(commitmentLeaf(chainId, txBytes));
  if (!verifyInclusion(leaf, leafIndex, Number(size), path, header.commitmentLogRoot)) {
    const missed = `the path of ${path.length} hashes from leaf ${leafIndex} does not reach the commitment log root of header h (size ${size})`;
    // The leaf covers the signed bytes, so a changed signature or body also misses the root:
    // before blaming the path, ask the signature, which names the cause an auditor would.
    const signature = checkTxSignature(tx, chainId);
    if (signature) {
      throw new BlameStep('commitment-signature', `commitment ${signature}: the signed transaction was changed (so its leaf is not in the log either)`, `not concluded: ${missed}, because the transaction's signature does not verify (step commitment-signature)`);
    }
    fail(missed);
  }
}

export function checkCommitmentSignature(tx: CommitmentTx, chainId: string): void {
  const error = checkTxSignature(tx, chainId);
  if (error) fail(`commitment ${error}`);
}
