// The last-sign record (docs/consensus.md, "Sign state"): what this validator signed last, and
// the lock it held when it did. Like CometBFT's privval last-sign state, it is persisted
// durably BEFORE a signature leaves the process, and `mayISign` refuses anything that could be
// a double sign, so a validator that crashes and restarts from the record alone stays safe.
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';
import type { Vote } from '../protocol/vote.ts';

/** Order of signing steps within one (height, round): proposal, then prevote, then precommit. */
export const SIGN_STEP = { proposal: 1, prevote: 2, precommit: 3 } as const;
export type SignStep = keyof typeof SIGN_STEP;

/** What is about to be signed: height, round, step and block hash (ZERO_HASH = nil). */
export interface SignTarget {
  height: bigint;
  round: number;
  step: SignStep;
  blockHash: Uint8Array;
}

/**
 * The persisted record. Besides the last (height, round, step, blockHash) it carries the lock
 * (paper L38-L39) of that height: losing a lock on restart is a safety bug, not only a
 * liveness one (with f Byzantine, one honest validator forgetting its lock can let a second
 * value gather 2f+1 prevotes), and the lock only changes together with a precommit, which is
 * always preceded by a save of this record.
 */
export interface SignRecord extends SignTarget {
  /** The paper's lockedRound_p at `height`, -1 for none. */
  lockedRound: number;
  /** The paper's lockedValue_p (a block hash) at `height`, undefined for none. */
  lockedBlockHash: Uint8Array | undefined;
  /**
   * The 2f+1 signed prevotes that justified the lock (the polka of lockedRound). A lock whose
   * justification died with the crash can stall the height forever: honest validators that
   * never saw the polka cannot accept the locked value with validRound = lockedRound (L28),
   * and the locked ones accept nothing else. With the polka kept, the restarted validator
   * gossips it again and proposes lockedValue with that validRound.
   */
  lockedPolka: readonly Vote[];
  /**
   * What this validator signed at `height` in its latest rounds, so that a restarted
   * validator can send it again (identical content, so no double sign): a vote lost in the
   * crash (signed, not yet sent) can be exactly the one the others need to reach 2f+1, and a
   * validator that has moved on to a later round cannot sign it anew (the simulator found
   * heights stalled this way).
   */
  resend: SignedAtHeight;
}

/** Rounds of own votes kept for re-sending: the latest ones are the ones peers can still need. */
export const RESEND_ROUNDS_MAX = 4;

export interface SignedAtHeight {
  /** The latest proposal. */
  proposal?: { round: number; blockHash: Uint8Array; validRound: number };
  /** Own votes of the latest RESEND_ROUNDS_MAX rounds, oldest first. */
  prevote?: readonly { round: number; blockHash: Uint8Array }[];
  precommit?: readonly { round: number; blockHash: Uint8Array }[];
}

export type SignDecision = { ok: true } | { ok: false; reason: string };

/** Compares (height, round, step) lexicographically: negative, zero or positive. */
export function compareHrs(a: SignTarget, b: SignTarget): number {
  if (a.height !== b.height) return a.height < b.height ? -1 : 1;
  if (a.round !== b.round) return a.round - b.round;
  return SIGN_STEP[a.step] - SIGN_STEP[b.step];
}

/**
 * May a validator whose last signature is `record` now sign `next`? Yes when `next` is
 * strictly later in (height, round, step); yes at the same (height, round, step) only for the
 * same block hash (a re-broadcast of the same message); no when it would go backwards.
 */
export function mayISign(record: SignRecord | undefined, next: SignTarget): SignDecision {
  if (record === undefined) return { ok: true };
  const order = compareHrs(next, record);
  if (order > 0) return { ok: true };
  if (order < 0) {
    return { ok: false, reason: `would go backwards: ${describeTarget(next)} is before the last signed ${describeTarget(record)}` };
  }
  if (equalBytes(next.blockHash, record.blockHash)) return { ok: true };
  return { ok: false, reason: `conflicting ${next.step} at height ${next.height} round ${next.round}: already signed ${bytesToHex(record.blockHash)}` };
}

/**
 * May a validator send `next` again? Only when it is exactly the latest message of its step
 * that the record holds: re-signing identical content cannot contradict anything.
 */
export function isResendOfRecord(record: SignRecord | undefined, next: SignTarget): boolean {
  if (record === undefined || next.height !== record.height) return false;
  const matches = (m: { round: number; blockHash: Uint8Array }) => m.round === next.round && equalBytes(m.blockHash, next.blockHash);
  if (next.step === 'proposal') return record.resend.proposal !== undefined && matches(record.resend.proposal);
  return (record.resend[next.step] ?? []).some(matches);
}

/** The resend set after signing `target` (a vote or, with validRound, a proposal). */
export function withSigned(previous: SignedAtHeight, target: SignTarget, validRound: number): SignedAtHeight {
  const entry = { round: target.round, blockHash: target.blockHash };
  if (target.step === 'proposal') return { ...previous, proposal: { ...entry, validRound } };
  const kept = (previous[target.step] ?? []).filter((m) => m.round !== target.round);
  return { ...previous, [target.step]: [...kept, entry].slice(-RESEND_ROUNDS_MAX) };
}

function describeTarget(t: SignTarget): string {
  return `(height ${t.height}, round ${t.round}, ${t.step})`;
}

/**
 * Durable storage of the record. `save` must resolve only once the record would survive a
 * crash (the node uses level with `sync: true`); the host awaits it before it signs.
 */
export interface SignStateStore {
  load(): Promise<SignRecord | undefined>;
  save(record: SignRecord): Promise<void>;
}

function copyRecord(r: SignRecord): SignRecord {
  return structuredClone(r);
}

/**
 * TEST DOUBLE (simulation only): an in-memory SignStateStore that models a disk with a write
 * cache. A save becomes durable when its promise resolves; `crash()` throws away everything not
 * yet durable, exactly what a power cut does to an un-synced write.
 */
export class SimulatedSignStateStore implements SignStateStore {
  private durable: SignRecord | undefined;
  private unsynced: SignRecord | undefined;
  saves = 0;

  async load(): Promise<SignRecord | undefined> {
    return this.durable && copyRecord(this.durable);
  }

  save(record: SignRecord): Promise<void> {
    const write = copyRecord(record);
    this.unsynced = write;
    return Promise.resolve().then(() => {
      // A crash in between dropped this write; a later save replaced it.
      if (this.unsynced !== write) return;
      this.durable = write;
      this.unsynced = undefined;
      this.saves++;
    });
  }

  /** Power cut: un-synced data is lost, durable data stays. */
  crash(): void {
    this.unsynced = undefined;
  }

  /** What a restarted process would read, synchronously (for checks in tests). */
  peekDurable(): SignRecord | undefined {
    return this.durable && copyRecord(this.durable);
  }
}
