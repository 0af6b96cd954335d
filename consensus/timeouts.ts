// Timeout durations (paper section 4, "timeoutX(r) = initTimeoutX + r * timeoutDelta"): they
// grow with the round so that after GST they eventually exceed the message delay.
import type { TimeoutKind, TimeoutParams } from './types.ts';

/** Caps the growth so a very high round cannot produce an absurd (or non-finite) duration. */
export const TIMEOUT_MS_MAX = 10 * 60 * 1000;

export function timeoutDurationMs(params: TimeoutParams, kind: TimeoutKind, round: number): number {
  const base = kind === 'propose' ? params.timeoutProposeMs : kind === 'prevote' ? params.timeoutPrevoteMs : params.timeoutPrecommitMs;
  return Math.min(base + round * params.timeoutDeltaMs, TIMEOUT_MS_MAX);
}
