// The validator's only way to sign consensus messages, in the manner of CometBFT's privval
// FilePV: it holds the last durable sign record, refuses to write a record that goes
// backwards, and signs only what that durable record covers. So the no-double-sign promise
// does not rest on the driver's ordering: a driver, a core or a disk that rolls back gets a
// refusal, logged at error level and counted in `pantheon_signer_refusals_total`.
//
// Rules (CometBFT privval/file.go, LastSignState.CheckHRS, with our step order
// proposal < prevote < precommit):
// - a new record strictly later in (height, round, step) than the durable one: written;
// - the same (height, round, step): only with the same block hash (and, for a proposal, the
//   same valid round), i.e. the same sign bytes;
// - an earlier (height, round, step): refused;
// - a signature: only for exactly the durable record's message, or one of the messages of
//   its resend set (identical sign bytes to ones already signed), never at a committed height.
//   (privval hands back the stored signature for identical sign bytes; a hedged ML-DSA
//   signature of the same bytes differs, but it signs the same message, not a second one.)
import { compareHrs, isResendOfRecord, type SignRecord, type SignTarget } from '../consensus/index.ts';
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';
import type { KeyPair } from '../protocol/keys.ts';
import { signProposal, signVote, type Proposal, type UnsignedProposal, type UnsignedVote, type Vote } from '../protocol/vote.ts';
import type { Logger } from './log.ts';
import type { SignStateStore } from './ports.ts';

export type SignerDecision = { ok: true } | { ok: false; reason: string };

export interface SignerOptions {
  key: KeyPair;
  /** Where the record is made durable: the record file on the node (node/sign-record-file.ts), a simulated disk in the simulator. */
  store: SignStateStore;
  /** The last durable record, as read at start (undefined: nothing signed yet). */
  record: SignRecord | undefined;
  /** The node's committed height: nothing at or below it is ever signed again. */
  committedHeight: () => bigint;
  log: Logger;
  /** Called once per refusal (the node counts them in `pantheon_signer_refusals_total`). */
  onRefusal: () => void;
}

const describe = (t: SignTarget) => `(height ${t.height}, round ${t.round}, ${t.step}, block ${bytesToHex(t.blockHash).slice(0, 16)})`;

/** Would writing `next` over the durable `last` go backwards or contradict it? */
export function checkRecordAdvance(last: SignRecord | undefined, next: SignRecord): SignerDecision {
  if (last === undefined) return { ok: true };
  const order = compareHrs(next, last);
  if (order > 0) return { ok: true };
  if (order < 0) return { ok: false, reason: `the record would go backwards: ${describe(next)} is before the durable ${describe(last)}` };
  if (!equalBytes(next.blockHash, last.blockHash)) return { ok: false, reason: `conflicting record at the same height, round and step: ${describe(next)} against the durable ${describe(last)}` };
  if (next.step === 'proposal' && next.resend.proposal?.validRound !== last.resend.proposal?.validRound) {
    return { ok: false, reason: `conflicting proposal record at ${describe(next)}: valid round ${next.resend.proposal?.validRound} against the durable ${last.resend.proposal?.validRound}` };
  }
  return { ok: true };
}

/** Does the durable record cover signing `target` (with `validRound` for a proposal)? */
export function checkCovered(record: SignRecord | undefined, target: SignTarget, validRound: number | undefined, committedHeight: bigint): SignerDecision {
  if (target.height <= committedHeight) return { ok: false, reason: `${describe(target)} is at or below the committed height ${committedHeight}` };
  if (record === undefined) return { ok: false, reason: `no durable sign record covers ${describe(target)}` };
  if (target.step === 'proposal' && record.resend.proposal?.validRound !== validRound && record.resend.proposal?.round === target.round) {
    return { ok: false, reason: `${describe(target)} with valid round ${validRound} differs from the recorded proposal's valid round ${record.resend.proposal?.validRound}` };
  }
  const exact = compareHrs(target, record) === 0 && equalBytes(target.blockHash, record.blockHash);
  if (exact || isResendOfRecord(record, target)) return { ok: true };
  return { ok: false, reason: `${describe(target)} is not covered by the durable record, whose last signature is ${describe(record)}` };
}

export class GuardedSigner {
  private durable: SignRecord | undefined;

  constructor(private readonly o: SignerOptions) {
    this.durable = o.record;
  }

  /** The last record that reached the disk. */
  get record(): SignRecord | undefined {
    return this.durable;
  }

  /** Writes `next` durably (fsync'd) unless it goes backwards; the in-memory copy follows the disk. */
  persist(next: SignRecord): SignerDecision {
    const decision = checkRecordAdvance(this.durable, next);
    if (!decision.ok) return this.refuse('record', decision.reason);
    this.o.store.write(next);
    this.durable = structuredClone(next);
    return decision;
  }

  signVote(vote: UnsignedVote): Vote | undefined {
    const target: SignTarget = { height: vote.height, round: vote.round, step: vote.type, blockHash: vote.blockHash };
    const decision = checkCovered(this.durable, target, undefined, this.o.committedHeight());
    if (!decision.ok) return void this.refuse(vote.type, decision.reason);
    return signVote(vote, this.o.key.secretKey);
  }

  signProposal(proposal: UnsignedProposal): Proposal | undefined {
    const target: SignTarget = { height: proposal.height, round: proposal.round, step: 'proposal', blockHash: proposal.blockHash };
    const decision = checkCovered(this.durable, target, proposal.validRound, this.o.committedHeight());
    if (!decision.ok) return void this.refuse('proposal', decision.reason);
    return signProposal(proposal, this.o.key.secretKey);
  }

  private refuse(what: string, reason: string): SignerDecision {
    this.o.onRefusal();
    this.o.log('error', `SIGNER REFUSED a ${what}: signing it could be a double sign`, { reason, record: this.o.store.where });
    return { ok: false, reason };
  }
}
