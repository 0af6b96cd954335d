// The commitment log as a node serves it is a MerkleLog (protocol/merkle-log.ts), shared with
// the OAR checkpointer. Also here: SampleLog, a stand-in OAR log for the bench, demo and tests.
import { leafHash } from '../protocol/merkle.ts';
import { MerkleLog } from '../protocol/merkle-log.ts';

export { MerkleLog as CommitmentLog };

/**
 * A stand-in OAR log for the bench, the demo and tests: leaf i is the RFC 9162 leaf hash of
 * "<label> entry <i>", grown on demand, so any process derives the same roots and consistency
 * proofs for a label. Not an OAR record (oar/ writes real ones); only its tree is used.
 */
export class SampleLog {
  private readonly tree = new MerkleLog();

  constructor(readonly label: string) {}

  private grow(size: number): void {
    while (this.tree.size < size) this.tree.append(leafHash(new TextEncoder().encode(`${this.label} entry ${this.tree.size}`)));
  }

  root(size: number): Uint8Array {
    this.grow(size);
    return this.tree.rootAt(size);
  }

  /** The proof a commitment of `size` carries after one of `previousSize` (empty when that is 0). */
  consistencyProof(previousSize: number, size: number): Uint8Array[] {
    this.grow(size);
    return previousSize === 0 ? [] : this.tree.consistencyProof(previousSize, size);
  }
}
