// The Tendermint round state machine: Buchman, Kwon, Milosevic, "The latest gossip on BFT
// consensus" (2018), Algorithm 1. `// Lnn` cites its line numbers. Pure: no clock, I/O or
// randomness; the input state is never modified (nested maps are copied on write).
//
// Deviations from the paper, each for the host's sake and none touching safety:
// - Deciding (L49) stops at step `decided`; the host commits the block and sends
//   startHeight(h + 1) rather than the core moving on by itself (L52-L54).
// - The proposer schedules timeoutPropose too (the paper only for others, L21), so a host
//   that is slow to build a block costs one round, not the height.
// - A sign effect is only emitted when mayISign allows it (sign-state.ts): after a restart
//   the core may not repeat a vote differently in a round it already voted in.
// - L49 does not need the PROPOSAL message itself: 2f+1 precommits name the block, and the
//   host fetches and validates it (requestBlockValidation), as CometBFT does when it sees +2/3
//   precommits for a block it lacks. Otherwise a validator that got an equivocating
//   proposer's other proposal could never decide that height (the simulator found this).
// - A round keeps up to PROPOSALS_PER_ROUND_MAX proposals (an equivocating proposer): the
//   first one drives the prevote (L22, L28), any of them can complete a polka (L36).
import { bytesToHex, equalBytes, ZERO_HASH } from '../protocol/bytes.ts';
import { certificateFromVotes } from '../protocol/certificate.ts';
import { NO_ROUND, type Proposal, type Vote } from '../protocol/vote.ts';
import { bufferFutureMessage, EMPTY_FUTURE_BUFFER, takeFutureMessages } from './future-buffer.ts';
import { isResendOfRecord, mayISign, withSigned, type SignRecord, type SignTarget } from './sign-state.ts';
import { isHonestPresence, isQuorum } from './thresholds.ts';
import { timeoutDurationMs } from './timeouts.ts';
import type {
  BlockBuiltInput,
  BlockValidityInput,
  ConsensusConfig,
  ConsensusEffect,
  ConsensusInput,
  ConsensusState,
  StepResult,
  TimeoutInput,
  TimeoutKind,
} from './types.ts';
import { addSender, addVote, EMPTY_KEEPER, powerAny, powerFor, votesFor } from './vote-keeper.ts';
import { isHash, isHeight, isWellFormedProposal, isWellFormedVote, ROUND_MAX } from './well-formed.ts';

/** Distinct proposals kept per round: more than one only from an equivocating proposer. */
export const PROPOSALS_PER_ROUND_MAX = 2;
/** Votes and proposals more than this many rounds ahead of ours are dropped (bounds memory). */
export const ROUND_LOOKAHEAD_MAX = 64;
/** Rules fire at most this often per input; each firing advances (round, step), so ~10 suffice. */
const RULE_FIRINGS_MAX = 32;
const NIL_HEX = bytesToHex(ZERO_HASH);

type Draft = { -readonly [K in keyof ConsensusState]: ConsensusState[K] };

interface Ctx {
  s: Draft;
  effects: ConsensusEffect[];
}

/** A fresh core for `height`, idle until the host sends startHeight. */
export function createConsensusState(config: ConsensusConfig, options: { height: bigint; lastSign?: SignRecord }): ConsensusState {
  return {
    config,
    height: options.height,
    round: 0,
    step: 'idle',
    lockedRound: -1,
    lockedValue: undefined,
    validRound: -1,
    validValue: undefined,
    proposals: new Map(),
    validity: new Map(),
    validationRequested: new Set(),
    votes: EMPTY_KEEPER,
    prevoteTimeoutScheduled: false,
    polkaSeen: false,
    precommitTimeoutScheduled: false,
    waitingForTxs: false,
    awaitingBlockForRound: undefined,
    lastSign: options.lastSign,
    future: EMPTY_FUTURE_BUFFER,
  };
}

export function step(state: ConsensusState, input: ConsensusInput): StepResult {
  const ctx: Ctx = { s: { ...state }, effects: [] };
  if (typeof input !== 'object' || input === null) return { state, effects: [] };
  switch (input.kind) {
    case 'startHeight':
      onStartHeight(ctx, input.height, input.waitForTxs === true);
      break;
    case 'txsAvailable':
      onTxsAvailable(ctx, input.height);
      break;
    case 'proposal':
      onProposal(ctx, input.proposal);
      break;
    case 'vote':
      onVote(ctx, input.vote);
      break;
    case 'timeout':
      onTimeout(ctx, input);
      break;
    case 'blockValidity':
      onBlockValidity(ctx, input);
      break;
    case 'blockBuilt':
      onBlockBuilt(ctx, input);
      break;
    default:
      return { state, effects: [] };
  }
  applyRules(ctx);
  return { state: ctx.s, effects: ctx.effects };
}

// ---- inputs --------------------------------------------------------------------------------

function isRunning(s: Draft): boolean {
  return s.step === 'propose' || s.step === 'prevote' || s.step === 'precommit';
}

/** The height whose messages are buffered rather than handled now. */
function pendingHeight(s: Draft): bigint {
  return s.step === 'idle' ? s.height : s.height + 1n;
}

function onStartHeight(ctx: Ctx, height: bigint, waitForTxs: boolean): void {
  const s = ctx.s;
  if (!isHeight(height)) return;
  if (s.step !== 'idle' && height <= s.height) return;
  s.height = height;
  s.lockedRound = -1; // L53: reset for the new height
  s.lockedValue = undefined;
  s.validRound = -1;
  s.validValue = undefined;
  s.proposals = new Map();
  s.validity = new Map();
  s.validationRequested = new Set();
  s.votes = EMPTY_KEEPER;
  const { ready, buffer } = takeFutureMessages(s.future, height);
  s.future = buffer;
  if (s.lastSign && s.lastSign.height === height) resumeAfterRestart(ctx, s.lastSign);
  else if (waitForTxs) waitInRoundZero(ctx);
  else startRound(ctx, 0); // L10, L54
  // Bounded by the buffer's size (FUTURE_MESSAGES_PER_VALIDATOR_MAX per validator).
  for (const message of ready) {
    if (message.input.kind === 'proposal') onProposal(ctx, message.input.proposal);
    else onVote(ctx, message.input.vote);
  }
}

/**
 * CometBFT's `create_empty_blocks = false`: round 0 is entered (step propose, so a proposal
 * that arrives is prevoted as usual, L22) but neither proposes nor schedules timeoutPropose
 * until the host says there is something to finalise. No clock runs while the chain is idle,
 * so a quiet hour costs no rounds; whatever moves the height on (a proposal, 2f+1 votes,
 * f+1 in a higher round, L55) works exactly as in a running round.
 */
function waitInRoundZero(ctx: Ctx): void {
  const s = ctx.s;
  s.round = 0;
  s.step = 'propose';
  s.prevoteTimeoutScheduled = false;
  s.polkaSeen = false;
  s.precommitTimeoutScheduled = false;
  s.awaitingBlockForRound = undefined;
  s.waitingForTxs = true;
  ctx.effects.push({ kind: 'waitForTxs', height: s.height });
}

/** The wait of round 0 ends: StartRound(0) proper (L11-L21), unless the round already moved on. */
function onTxsAvailable(ctx: Ctx, height: bigint): void {
  const s = ctx.s;
  if (!s.waitingForTxs || height !== s.height || !isRunning(s)) return;
  s.waitingForTxs = false;
  if (s.round === 0 && s.step === 'propose') startRound(ctx, 0);
}

/**
 * Restart at a height we already signed in (the paper's restart subtlety): restore the lock
 * persisted with the record, resume in the round of the last signature at the step it
 * reached, and send the latest proposal and votes of that height again, unchanged.
 */
function resumeAfterRestart(ctx: Ctx, record: SignRecord): void {
  const s = ctx.s;
  const config = s.config;
  const me = config.myIndex as number;
  s.lockedRound = record.lockedRound;
  s.lockedValue = record.lockedBlockHash;
  if (record.lockedBlockHash !== undefined && record.lockedRound >= 0) {
    // We saw this polka (L36), so the locked value is valid and is a valid value of that round.
    s.validValue = record.lockedBlockHash;
    s.validRound = record.lockedRound;
    s.validity = new Map(s.validity).set(bytesToHex(record.lockedBlockHash), true);
    for (const vote of record.lockedPolka) {
      if (!isWellFormedVote(config, vote) || vote.height !== s.height) continue;
      const outcome = addVote(s.votes, vote, config.validators);
      if (outcome.kind === 'added') s.votes = outcome.keeper;
    }
  }
  const { proposal, prevote = [], precommit = [] } = record.resend;
  const proposedThisRound = proposal !== undefined && proposal.round === record.round;
  startRound(ctx, record.round, !proposedThisRound);
  if (proposedThisRound) s.validity = new Map(s.validity).set(bytesToHex(proposal.blockHash), true);
  if (prevote.some((v) => v.round === record.round)) s.step = 'prevote';
  if (precommit.some((v) => v.round === record.round)) s.step = 'precommit';
  if (proposal) {
    const p = { chainId: config.chainId, height: s.height, round: proposal.round, blockHash: proposal.blockHash, validRound: proposal.validRound, proposerIndex: me };
    resendSigned(ctx, record, { height: s.height, round: p.round, step: 'proposal', blockHash: p.blockHash }, { kind: 'signAndBroadcastProposal', proposal: p });
  }
  // Bounded by RESEND_ROUNDS_MAX per type.
  for (const [type, votes] of [['prevote', prevote], ['precommit', precommit]] as const) {
    for (const vote of votes) {
      const v = { chainId: config.chainId, type, height: s.height, round: vote.round, blockHash: vote.blockHash, validatorIndex: me };
      resendSigned(ctx, record, { height: s.height, round: v.round, step: type, blockHash: v.blockHash }, { kind: 'signAndBroadcastVote', vote: v });
    }
  }
}

/** Same contract as signIfSafe (persist, then sign), for a message the record already holds. */
function resendSigned(ctx: Ctx, record: SignRecord, target: SignTarget, signEffect: ConsensusEffect): void {
  if (!isResendOfRecord(record, target)) return;
  ctx.effects.push({ kind: 'persistSignState', record }, signEffect);
}

function onProposal(ctx: Ctx, proposal: Proposal): void {
  const s = ctx.s;
  const config = s.config;
  if (!isWellFormedProposal(config, proposal)) return;
  if (proposal.proposerIndex !== config.rotation.proposerAt(proposal.height, proposal.round)) return;
  if (proposal.height === pendingHeight(s)) {
    s.future = bufferFutureMessage(s.future, { height: proposal.height, sender: proposal.proposerIndex, input: { kind: 'proposal', proposal } });
    return;
  }
  if (!isRunning(s) || proposal.height !== s.height || proposal.round > s.round + ROUND_LOOKAHEAD_MAX) return;
  const kept = s.proposals.get(proposal.round) ?? [];
  const blockHashHex = bytesToHex(proposal.blockHash);
  if (kept.length >= PROPOSALS_PER_ROUND_MAX || kept.some((r) => r.blockHashHex === blockHashHex)) return;
  const proposals = new Map(s.proposals);
  proposals.set(proposal.round, [...kept, { proposal, blockHashHex }]);
  s.proposals = proposals;
  s.votes = addSender(s.votes, proposal.round, proposal.proposerIndex, config.validators);
  requestValidation(ctx, proposal.blockHash, blockHashHex, true); // at most PROPOSALS_PER_ROUND_MAX per round
}

/**
 * Asks the host about a block once, or again when a proposal for it arrives (`again`): a host
 * that did not have the block at the first request (2f+1 precommits came before the block)
 * may not have answered, and the proposal brings the block.
 */
function requestValidation(ctx: Ctx, blockHash: Uint8Array, blockHashHex: string, again = false): void {
  const s = ctx.s;
  if (s.validity.has(blockHashHex) || (!again && s.validationRequested.has(blockHashHex))) return;
  const requested = new Set(s.validationRequested);
  requested.add(blockHashHex);
  s.validationRequested = requested;
  ctx.effects.push({ kind: 'requestBlockValidation', height: s.height, blockHash });
}

function onVote(ctx: Ctx, vote: Vote): void {
  const s = ctx.s;
  const config = s.config;
  if (!isWellFormedVote(config, vote)) return;
  if (vote.height === pendingHeight(s)) {
    s.future = bufferFutureMessage(s.future, { height: vote.height, sender: vote.validatorIndex, input: { kind: 'vote', vote } });
    return;
  }
  if (!isRunning(s) || vote.height !== s.height || vote.round > s.round + ROUND_LOOKAHEAD_MAX) return;
  const outcome = addVote(s.votes, vote, config.validators);
  if (outcome.kind === 'added') s.votes = outcome.keeper;
  if (outcome.kind === 'equivocation') {
    s.votes = outcome.keeper;
    ctx.effects.push({ kind: 'evidence', evidence: outcome.evidence });
  }
}

function onTimeout(ctx: Ctx, input: TimeoutInput): void {
  const s = ctx.s;
  if (!isRunning(s) || input.height !== s.height || input.round !== s.round) return;
  if (input.timeout === 'propose' && s.step === 'propose') {
    // L57-L60
    signVote(ctx, 'prevote', ZERO_HASH);
    s.step = 'prevote';
  } else if (input.timeout === 'prevote' && s.step === 'prevote') {
    // L61-L64
    signVote(ctx, 'precommit', ZERO_HASH);
    s.step = 'precommit';
  } else if (input.timeout === 'precommit') {
    // L65-L67
    if (s.round < ROUND_MAX) startRound(ctx, s.round + 1);
  }
}

function onBlockValidity(ctx: Ctx, input: BlockValidityInput): void {
  const s = ctx.s;
  if (!isRunning(s) || !isHash(input.blockHash) || typeof input.valid !== 'boolean') return;
  const hex = bytesToHex(input.blockHash);
  // Only answers to our own requests: bounds the map by the proposals we accepted.
  if (!s.validationRequested.has(hex) || s.validity.has(hex)) return;
  const validity = new Map(s.validity);
  validity.set(hex, input.valid);
  s.validity = validity;
}

function onBlockBuilt(ctx: Ctx, input: BlockBuiltInput): void {
  const s = ctx.s;
  if (s.step !== 'propose' || input.height !== s.height || input.round !== s.round || s.awaitingBlockForRound !== s.round) return;
  if (!isHash(input.blockHash) || equalBytes(input.blockHash, ZERO_HASH)) return;
  s.awaitingBlockForRound = undefined;
  // Our own block: the host built it, so it is valid without asking.
  const hex = bytesToHex(input.blockHash);
  const validity = new Map(s.validity);
  validity.set(hex, true);
  s.validity = validity;
  broadcastProposal(ctx, input.blockHash, -1); // L18-L19 with validRound_p = -1
}

// ---- the paper's StartRound and broadcasts -------------------------------------------------

/** L11-L21 */
function startRound(ctx: Ctx, round: number, mayPropose = true): void {
  const s = ctx.s;
  const config = s.config;
  s.round = round; // L12
  s.step = 'propose'; // L13
  s.prevoteTimeoutScheduled = false;
  s.polkaSeen = false;
  s.precommitTimeoutScheduled = false;
  s.awaitingBlockForRound = undefined;
  s.waitingForTxs = false;
  if (mayPropose && config.myIndex !== undefined && config.rotation.proposerAt(s.height, round) === config.myIndex) {
    // L14
    if (s.validValue !== undefined) {
      // validRound < round always holds in the paper; after a restart into the lock round it might not.
      if (s.validRound < round) broadcastProposal(ctx, s.validValue, s.validRound); // L15-L16, L19
    } else {
      s.awaitingBlockForRound = round; // L18: getValue() is the host's, answered by blockBuilt
      ctx.effects.push({ kind: 'proposeBlock', height: s.height, round });
    }
  }
  scheduleTimeout(ctx, 'propose'); // L21 (for the proposer too, see the header)
}

function scheduleTimeout(ctx: Ctx, timeout: TimeoutKind): void {
  const s = ctx.s;
  ctx.effects.push({ kind: 'scheduleTimeout', timeout, height: s.height, round: s.round, durationMs: timeoutDurationMs(s.config.timeouts, timeout, s.round) });
}

/**
 * Emits persistSignState then the sign effect, or nothing when mayISign refuses (after a
 * restart: we already signed something else at this height, round and step).
 */
function signIfSafe(ctx: Ctx, target: SignTarget, signEffect: ConsensusEffect): void {
  const s = ctx.s;
  if (s.config.myIndex === undefined) return;
  if (!mayISign(s.lastSign, target).ok) return;
  const previous = s.lastSign && s.lastSign.height === target.height ? s.lastSign.resend : {};
  const validRound = signEffect.kind === 'signAndBroadcastProposal' ? signEffect.proposal.validRound : NO_ROUND;
  const lockedPolka = s.lockedValue === undefined ? [] : votesFor(s.votes, s.lockedRound, 'prevote', bytesToHex(s.lockedValue));
  const record: SignRecord = { ...target, lockedRound: s.lockedRound, lockedBlockHash: s.lockedValue, lockedPolka, resend: withSigned(previous, target, validRound) };
  s.lastSign = record;
  ctx.effects.push({ kind: 'persistSignState', record }, signEffect);
}

function broadcastProposal(ctx: Ctx, blockHash: Uint8Array, validRound: number): void {
  const s = ctx.s;
  const proposal = {
    chainId: s.config.chainId,
    height: s.height,
    round: s.round,
    blockHash,
    validRound: validRound < 0 ? NO_ROUND : validRound,
    proposerIndex: s.config.myIndex as number,
  };
  signIfSafe(ctx, { height: s.height, round: s.round, step: 'proposal', blockHash }, { kind: 'signAndBroadcastProposal', proposal });
}

function signVote(ctx: Ctx, type: 'prevote' | 'precommit', blockHash: Uint8Array): void {
  const s = ctx.s;
  const vote = { chainId: s.config.chainId, type, height: s.height, round: s.round, blockHash, validatorIndex: s.config.myIndex as number };
  signIfSafe(ctx, { height: s.height, round: s.round, step: type, blockHash }, { kind: 'signAndBroadcastVote', vote });
}

// ---- the upon rules ------------------------------------------------------------------------

function applyRules(ctx: Ctx): void {
  for (let i = 0; i < RULE_FIRINGS_MAX; i++) {
    if (!isRunning(ctx.s) || !fireOneRule(ctx)) return;
  }
}

/** Fires the first applicable rule and reports whether one fired. */
function fireOneRule(ctx: Ctx): boolean {
  const s = ctx.s;
  const config = s.config;

  // L49-L54: 2f+1 precommits in any round r for a valid block decide, whatever our round.
  for (const [round, votes] of s.votes.rounds) {
    for (const [blockHashHex, power] of votes.precommit.powerByBlock) {
      if (blockHashHex === NIL_HEX || !isQuorum(config, power)) continue;
      const precommits = votesFor(s.votes, round, 'precommit', blockHashHex);
      const blockHash = precommits[0].blockHash;
      const valid = s.validity.get(blockHashHex);
      if (valid === undefined) requestValidation(ctx, blockHash, blockHashHex);
      if (valid !== true) continue; // L50
      ctx.effects.push({ kind: 'decide', height: s.height, round, blockHash, certificate: certificateFromVotes(precommits) });
      s.step = 'decided'; // L51; the host starts the next height (L52-L54)
      return true;
    }
  }

  // L55-L56: f+1 of the power is already in a higher round; jump to the highest such round.
  let skipTo = -1;
  for (const [round, votes] of s.votes.rounds) {
    if (round > s.round && round > skipTo && isHonestPresence(config, votes.senderPower)) skipTo = round;
  }
  if (skipTo >= 0) {
    startRound(ctx, skipTo);
    return true;
  }

  const round = s.round;
  const proposalsThisRound = s.proposals.get(round) ?? [];
  const record = proposalsThisRound[0];
  const valid = record && s.validity.get(record.blockHashHex);

  if (s.step === 'propose' && record && valid !== undefined) {
    const v = record.proposal.blockHash;
    const lockFree = config.unsafe?.disableLocking === true;
    const vr = record.proposal.validRound;
    if (vr === NO_ROUND) {
      // L22-L27
      const prevoteValue = valid && (lockFree || s.lockedRound === -1 || equalBytes(s.lockedValue ?? ZERO_HASH, v)); // L23
      signVote(ctx, 'prevote', prevoteValue ? v : ZERO_HASH); // L24 / L26
      s.step = 'prevote'; // L27
      return true;
    }
    if (vr < round && isQuorum(config, powerFor(s.votes, vr, 'prevote', record.blockHashHex))) {
      // L28-L33
      const prevoteValue = valid && (lockFree || s.lockedRound <= vr || equalBytes(s.lockedValue ?? ZERO_HASH, v)); // L29
      signVote(ctx, 'prevote', prevoteValue ? v : ZERO_HASH); // L30 / L32
      s.step = 'prevote'; // L33
      return true;
    }
  }

  // L34-L35
  if (s.step === 'prevote' && !s.prevoteTimeoutScheduled && isQuorum(config, powerAny(s.votes, round, 'prevote'))) {
    s.prevoteTimeoutScheduled = true;
    scheduleTimeout(ctx, 'prevote');
    return true;
  }

  // L36-L43
  const polka =
    !s.polkaSeen && (s.step === 'prevote' || s.step === 'precommit')
      ? proposalsThisRound.find((r) => s.validity.get(r.blockHashHex) === true && isQuorum(config, powerFor(s.votes, round, 'prevote', r.blockHashHex)))
      : undefined;
  if (polka) {
    s.polkaSeen = true;
    const v = polka.proposal.blockHash;
    if (s.step === 'prevote') {
      s.lockedValue = v; // L38
      s.lockedRound = round; // L39
      signVote(ctx, 'precommit', v); // L40
      s.step = 'precommit'; // L41
    }
    s.validValue = v; // L42
    s.validRound = round; // L43
    return true;
  }

  // L44-L46
  if (s.step === 'prevote' && isQuorum(config, powerFor(s.votes, round, 'prevote', NIL_HEX))) {
    signVote(ctx, 'precommit', ZERO_HASH); // L45
    s.step = 'precommit'; // L46
    return true;
  }

  // L47-L48
  if (!s.precommitTimeoutScheduled && isQuorum(config, powerAny(s.votes, round, 'precommit'))) {
    s.precommitTimeoutScheduled = true;
    scheduleTimeout(ctx, 'precommit');
    return true;
  }
  return false;
}
