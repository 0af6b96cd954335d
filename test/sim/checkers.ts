// Invariant checkers, separate from the machinery that drives the run. Safety: agreement,
// validity, certificates that verify (real ML-DSA-65, protocol's verifyCertificate), no honest
// double sign (checked at signing time, across crashes), evidence only against the Byzantine.
import { bytesToHex } from '../../protocol/bytes.ts';
import type { CommitCertificate } from '../../protocol/certificate.ts';
import type { DuplicateVoteEvidence } from '../../protocol/evidence.ts';
import type { ValidatorSet } from '../../protocol/validators.ts';
import type { SignTarget } from '../../consensus/sign-state.ts';
import type { SimSigner } from './crypto.ts';

export class SafetyChecker {
  readonly violations: string[] = [];
  /** height -> block hash (hex) of the first honest decision. */
  readonly decided = new Map<bigint, string>();
  private readonly signed = new Map<string, string>();
  decisions = 0;

  constructor(
    private readonly set: ValidatorSet,
    private readonly crypto: SimSigner,
    private readonly isBlockValid: (hex: string) => boolean | undefined,
    private readonly byzantine: number | undefined,
  ) {}

  private fail(message: string): void {
    if (this.violations.length < 20) this.violations.push(message);
  }

  onDecide(node: number, height: bigint, blockHash: Uint8Array, certificate: CommitCertificate, nowMs: number): void {
    this.decisions++;
    const hex = bytesToHex(blockHash);
    const first = this.decided.get(height);
    if (first === undefined) this.decided.set(height, hex);
    else if (first !== hex) this.fail(`agreement: node ${node} decided ${hex.slice(0, 12)} at height ${height}, another honest node decided ${first.slice(0, 12)} (t=${nowMs}ms)`);
    if (this.isBlockValid(hex) !== true) this.fail(`validity: node ${node} decided block ${hex.slice(0, 12)} at height ${height}, which is not a valid block`);
    const check = this.crypto.verifyCertificate(certificate, { height, blockHash }, this.set);
    if (!check.ok) this.fail(`certificate: node ${node} height ${height}: ${check.error}`);
  }

  /** Called when an honest node produces a signature, before it can leave the process. */
  onSign(node: number, target: SignTarget): void {
    const key = `${node}/${target.height}/${target.round}/${target.step}`;
    const hex = bytesToHex(target.blockHash);
    const previous = this.signed.get(key);
    if (previous === undefined) this.signed.set(key, hex);
    else if (previous !== hex) this.fail(`double sign: honest node ${node} signed ${target.step} at height ${target.height} round ${target.round} for ${previous.slice(0, 12)} and ${hex.slice(0, 12)}`);
  }

  onEvidence(node: number, evidence: DuplicateVoteEvidence): void {
    const culprit = evidence.voteA.validatorIndex;
    if (culprit !== this.byzantine) this.fail(`evidence: node ${node} reported honest validator ${culprit} for equivocating`);
  }
}
