// Invariant checkers for the replica simulator (docs/replica.md), each its own class and fed
// only observations the world makes at the ports (what was published, what a disk holds, what
// a replica reported committed), never a replica's own verdicts:
// - Agreement: one block per height across honest replicas.
// - Validity: every agreed block verifies against its certificate and re-executes from the
//   previous agreed state in a reference chain of its own (the node's Chain over a disk that
//   never crashes): a block the reference refuses is a violation.
// - Supply: every committed state (the reference's and each replica's disk) holds exactly
//   5,000,000,000 PAN in base units.
// - Append-only: in each committed state's history (each replica's disk, the reference), a
//   log's record never shrinks or rewrites its root at the same size.
// - No double sign: per validator, height, round and step, one block hash across crashes.
// - Durable before signed: an own proposal leaves only when its block is durable on the disk.
// - Signer refusal: any refusal by a replica's signer is a violation (an ordering bug must not
//   become a silent stall).
import { bytesToHex, equalBytes } from '../../protocol/bytes.ts';
import { blockHash, decodeBlock, type Block } from '../../protocol/block.ts';
import { decodeCertificate, verifyCertificate } from '../../protocol/certificate.ts';
import type { Accounts } from '../../protocol/state.ts';
import type { LogRecord, Logs } from '../../protocol/log-state.ts';
import { TOTAL_SUPPLY } from '../../genesis/genesis.ts';
import type { Chain } from '../../node/chain.ts';

export class Violations {
  readonly list: string[] = [];
  add(checker: string, message: string): void {
    if (this.list.length < 20) this.list.push(`${checker}: ${message}`);
  }
}

export class AgreementChecker {
  /** height -> hash (hex) of the first commit by any replica. */
  readonly agreed = new Map<bigint, string>();
  constructor(private readonly v: Violations) {}

  onCommit(node: number, height: bigint, hashHex: string, atMs: number): boolean {
    const first = this.agreed.get(height);
    if (first === undefined) {
      this.agreed.set(height, hashHex);
      return true;
    }
    if (first !== hashHex) this.v.add('agreement', `node ${node} committed ${hashHex.slice(0, 12)} at height ${height}, another committed ${first.slice(0, 12)} (t=${atMs}ms)`);
    return false;
  }

  get highest(): bigint {
    let h = 0n;
    for (const k of this.agreed.keys()) if (k > h) h = k;
    return h;
  }
}

export function sumBalances(accounts: Accounts): bigint {
  let sum = 0n;
  for (const a of accounts.values()) sum += a.balance;
  return sum;
}

export class SupplyChecker {
  constructor(private readonly v: Violations) {}
  check(where: string, accounts: Accounts): void {
    const sum = sumBalances(accounts);
    if (sum !== TOTAL_SUPPLY) this.v.add('supply', `${where} holds ${sum} base units, not exactly ${TOTAL_SUPPLY} (5,000,000,000 PAN)`);
  }
}

export class AppendOnlyChecker {
  private readonly seen = new Map<string, LogRecord>();
  constructor(private readonly v: Violations) {}
  /** `history` names one sequence of committed states (a replica's disk, the reference). */
  check(history: string, where: string, logs: Logs): void {
    for (const [logId, r] of logs) {
      const key = `${history}\u0000${logId}`;
      const before = this.seen.get(key);
      if (before && (r.size < before.size || (r.size === before.size && !equalBytes(r.root, before.root)))) {
        this.v.add('append-only', `${where}: log ${logId} went from size ${before.size} to ${r.size}${r.size === before.size ? ' with another root' : ''}`);
      }
      if (!before || r.size >= before.size) this.seen.set(key, structuredClone(r));
    }
  }
}

/** Re-executes each agreed block in a reference chain that never crashes. */
export class ValidityChecker {
  constructor(
    private readonly v: Violations,
    private readonly reference: Chain,
  ) {}

  async onAgreed(height: bigint, blockBytes: Uint8Array, certificateBytes: Uint8Array): Promise<Block | undefined> {
    if (height !== this.reference.height + 1n) return undefined; // checked in height order by the world
    let block: Block;
    try {
      block = decodeBlock(blockBytes);
      const check = verifyCertificate(decodeCertificate(certificateBytes), { chainId: this.reference.chainId, height, blockHash: blockHash(block.header) }, this.reference.validators);
      if (!check.ok) {
        this.v.add('validity', `height ${height}: certificate does not verify: ${check.error}`);
        return undefined;
      }
    } catch (err) {
      this.v.add('validity', `height ${height}: ${(err as Error).message}`);
      return undefined;
    }
    const error = await this.reference.validateBlock(block);
    if (error) {
      this.v.add('validity', `height ${height}: the agreed block does not re-execute: ${error}`);
      return undefined;
    }
    await this.reference.commit(block, certificateBytes);
    return block;
  }
}

export interface SignObservation {
  height: bigint;
  round: number;
  step: 'proposal' | 'prevote' | 'precommit';
  blockHash: Uint8Array;
}

export class DoubleSignChecker {
  private readonly signed = new Map<string, string>();
  constructor(private readonly v: Violations) {}
  onSign(node: number, t: SignObservation): void {
    const key = `${node}/${t.height}/${t.round}/${t.step}`;
    const hex = bytesToHex(t.blockHash);
    const previous = this.signed.get(key);
    if (previous === undefined) this.signed.set(key, hex);
    else if (previous !== hex) this.v.add('double sign', `validator ${node} signed ${t.step} at height ${t.height} round ${t.round} for ${previous.slice(0, 12)} and ${hex.slice(0, 12)}`);
  }
}
