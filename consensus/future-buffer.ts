// Bounded buffer for peer messages of the NEXT height, which can arrive before this node has
// decided the current one (the others decided first). Older heights and heights further ahead
// are dropped by the caller. Bounded per sender, so one noisy validator cannot evict the
// others: at most FUTURE_MESSAGES_PER_VALIDATOR_MAX each, first come first kept.
import type { ProposalInput, VoteInput } from './types.ts';

/** Enough for a proposal and both votes of the first rounds of the next height. */
export const FUTURE_MESSAGES_PER_VALIDATOR_MAX = 8;

export interface FutureMessage {
  height: bigint;
  sender: number;
  input: ProposalInput | VoteInput;
}

export interface FutureBuffer {
  readonly messages: readonly FutureMessage[];
  readonly countBySender: ReadonlyMap<number, number>;
}

export const EMPTY_FUTURE_BUFFER: FutureBuffer = { messages: [], countBySender: new Map() };

/** Returns the buffer with the message added, or the same buffer when the sender is at its bound. */
export function bufferFutureMessage(buffer: FutureBuffer, message: FutureMessage): FutureBuffer {
  const count = buffer.countBySender.get(message.sender) ?? 0;
  if (count >= FUTURE_MESSAGES_PER_VALIDATOR_MAX) return buffer;
  const countBySender = new Map(buffer.countBySender);
  countBySender.set(message.sender, count + 1);
  return { messages: [...buffer.messages, message], countBySender };
}

/** Splits off the messages for `height`; messages for other heights are dropped. */
export function takeFutureMessages(buffer: FutureBuffer, height: bigint): { ready: FutureMessage[]; buffer: FutureBuffer } {
  return { ready: buffer.messages.filter((m) => m.height === height), buffer: EMPTY_FUTURE_BUFFER };
}
