// Table-style tests of the consensus core (consensus/): each feeds inputs to `step` and checks
// the effects and the state, citing the paper's lines (Algorithm 1) they exercise.
import { describe, expect, it } from 'vitest';
import { bytesToHex, compareBytes, ZERO_HASH } from '../protocol/bytes.ts';
import { checkEvidence } from '../protocol/evidence.ts';
import { sha256 } from '../protocol/hash.ts';
import { makeValidatorSet, type ValidatorSet } from '../protocol/validators.ts';
import { NO_ROUND, type Proposal, type Vote } from '../protocol/vote.ts';
import { createConsensusState, step } from '../consensus/step.ts';
import { makeProposerRotation } from '../consensus/proposer.ts';
import { mayISign, SimulatedSignStateStore, type SignRecord } from '../consensus/sign-state.ts';
import { timeoutDurationMs } from '../consensus/timeouts.ts';
import { FUTURE_MESSAGES_PER_VALIDATOR_MAX } from '../consensus/future-buffer.ts';
import type { ConsensusEffect, ConsensusInput, ConsensusState, UnsafeTestVariants } from '../consensus/types.ts';
import { SIM_CHAIN_ID, SimCrypto, simKeyPair, simValidatorSet } from './sim/crypto.ts';
import { Prng } from './sim/prng.ts';

const chainId = SIM_CHAIN_ID;
const set4 = simValidatorSet([1n, 1n, 1n, 1n]);
const signer = new SimCrypto(); // real ML-DSA-65, deterministic, cached by the bytes signed
const timeouts = { timeoutProposeMs: 300, timeoutPrevoteMs: 150, timeoutPrecommitMs: 150, timeoutDeltaMs: 100 };
const blockA = sha256(new TextEncoder().encode('block A'));
const blockB = sha256(new TextEncoder().encode('block B'));

function core(myIndex: number | undefined, options: { lastSign?: SignRecord; unsafe?: UnsafeTestVariants; set?: ValidatorSet } = {}): ConsensusState {
  const validators = options.set ?? set4;
  return createConsensusState({ chainId, validators, rotation: makeProposerRotation(validators), myIndex, timeouts, unsafe: options.unsafe }, { height: 1n, lastSign: options.lastSign });
}

/** Feeds inputs in order; returns the final state and all effects. */
function run(state: ConsensusState, ...inputs: ConsensusInput[]): { state: ConsensusState; effects: ConsensusEffect[] } {
  const effects: ConsensusEffect[] = [];
  for (const input of inputs) {
    const result = step(state, input);
    state = result.state;
    effects.push(...result.effects);
  }
  return { state, effects };
}

const proposerOf = (round: number, height = 1n): number => makeProposerRotation(set4).proposerAt(height, round);
const notProposer = (round: number): number => (proposerOf(round) + 1) % 4;

function proposal(round: number, blockHash: Uint8Array, validRound = NO_ROUND, height = 1n): ConsensusInput {
  const p: Proposal = signer.signProposal({ chainId, height, round, blockHash, validRound, proposerIndex: proposerOf(round, height) });
  return { kind: 'proposal', proposal: p };
}

function vote(type: 'prevote' | 'precommit', validatorIndex: number, round: number, blockHash: Uint8Array, height = 1n): ConsensusInput {
  const v: Vote = signer.signVote({ chainId, type, height, round, blockHash, validatorIndex });
  return { kind: 'vote', vote: v };
}

const valid = (blockHash: Uint8Array): ConsensusInput => ({ kind: 'blockValidity', blockHash, valid: true });
const start: ConsensusInput = { kind: 'startHeight', height: 1n };
const kinds = (effects: ConsensusEffect[]): string[] => effects.map((e) => e.kind);
const signedVotes = (effects: ConsensusEffect[]) => effects.flatMap((e) => (e.kind === 'signAndBroadcastVote' ? [e.vote] : []));

/** The host contract: every sign effect comes right after the persistSignState that covers it. */
function expectPersistBeforeEverySign(effects: ConsensusEffect[]): void {
  effects.forEach((e, i) => {
    if (e.kind === 'signAndBroadcastVote' || e.kind === 'signAndBroadcastProposal') expect(effects[i - 1]?.kind).toBe('persistSignState');
  });
}

describe('one round, no faults', () => {
  it('the proposer asks for a block, proposes it, and prevotes it (L14-L19, L22-L24)', () => {
    const me = proposerOf(0);
    let r = run(core(me), start);
    expect(kinds(r.effects)).toEqual(['proposeBlock', 'scheduleTimeout']);
    r = run(r.state, { kind: 'blockBuilt', height: 1n, round: 0, blockHash: blockA });
    expect(kinds(r.effects)).toEqual(['persistSignState', 'signAndBroadcastProposal']);
    const sent = r.effects[1] as Extract<ConsensusEffect, { kind: 'signAndBroadcastProposal' }>;
    expect(sent.proposal.validRound).toBe(NO_ROUND);
    // Its own proposal comes back through the host: no validation needed, it prevotes A.
    r = run(r.state, { kind: 'proposal', proposal: signer.signProposal(sent.proposal) });
    expect(signedVotes(r.effects).map((v) => [v.type, bytesToHex(v.blockHash)])).toEqual([['prevote', bytesToHex(blockA)]]);
    expect(r.state.step).toBe('prevote');
  });

  it('a validator validates, prevotes, locks and precommits on a polka, then decides with a certificate (L22, L34, L36, L47, L49)', () => {
    const me = notProposer(0);
    let r = run(core(me), start, proposal(0, blockA));
    expect(r.effects.at(-1)).toMatchObject({ kind: 'requestBlockValidation', height: 1n });
    expect(signedVotes(r.effects)).toEqual([]); // waits for the verdict (L23 valid(v))
    r = run(r.state, valid(blockA));
    expect(signedVotes(r.effects).map((v) => v.type)).toEqual(['prevote']);
    const all: ConsensusEffect[] = [...r.effects];
    r = run(r.state, ...[0, 1, 2, 3].filter((i) => i !== me).slice(0, 2).map((i) => vote('prevote', i, 0, blockA)), vote('prevote', me, 0, blockA));
    all.push(...r.effects);
    expect(kinds(r.effects)).toEqual(['scheduleTimeout', 'persistSignState', 'signAndBroadcastVote']);
    expect(r.state.lockedRound).toBe(0);
    expect(bytesToHex(r.state.lockedValue!)).toBe(bytesToHex(blockA));
    expect(r.state.validRound).toBe(0);
    r = run(r.state, vote('precommit', 3, 0, blockA), vote('precommit', 0, 0, blockA), vote('precommit', 2, 0, blockA), vote('precommit', 1, 0, blockA));
    const decide = r.effects.find((e) => e.kind === 'decide') as Extract<ConsensusEffect, { kind: 'decide' }>;
    expect(decide.height).toBe(1n);
    expect(bytesToHex(decide.blockHash)).toBe(bytesToHex(blockA));
    // A certificate from the first 2f+1 precommits seen, in ascending validator order.
    expect(decide.certificate.signatures.map((s) => s.validatorIndex)).toEqual([0, 2, 3]);
    expect(signer.verifyCertificate(decide.certificate, { height: 1n, blockHash: blockA }, set4).ok).toBe(true);
    expect(r.state.step).toBe('decided');
    expectPersistBeforeEverySign(all);
  });

  it('2f+1 nil prevotes give a nil precommit (L44), timeouts give nil votes (L57, L61) and a new round (L65)', () => {
    const me = notProposer(0);
    let r = run(core(me), start, { kind: 'timeout', timeout: 'propose', height: 1n, round: 0 });
    expect(signedVotes(r.effects).map((v) => [v.type, bytesToHex(v.blockHash)])).toEqual([['prevote', bytesToHex(ZERO_HASH)]]);
    r = run(r.state, vote('prevote', (me + 1) % 4, 0, ZERO_HASH), vote('prevote', (me + 2) % 4, 0, ZERO_HASH), vote('prevote', me, 0, ZERO_HASH));
    expect(signedVotes(r.effects).map((v) => [v.type, bytesToHex(v.blockHash)])).toEqual([['precommit', bytesToHex(ZERO_HASH)]]);
    r = run(r.state, vote('precommit', (me + 1) % 4, 0, ZERO_HASH), vote('precommit', (me + 2) % 4, 0, ZERO_HASH), vote('precommit', me, 0, ZERO_HASH));
    expect(r.effects).toContainEqual({ kind: 'scheduleTimeout', timeout: 'precommit', height: 1n, round: 0, durationMs: 150 });
    r = run(r.state, { kind: 'timeout', timeout: 'precommit', height: 1n, round: 0 });
    expect(r.state.round).toBe(1);
    expect(r.effects).toContainEqual({ kind: 'scheduleTimeout', timeout: 'propose', height: 1n, round: 1, durationMs: 400 });
    // A stale timeout of round 0 changes nothing (L58: round = round_p).
    const stale = run(r.state, { kind: 'timeout', timeout: 'propose', height: 1n, round: 0 });
    expect(stale.effects).toEqual([]);
    expect(stale.state.step).toBe('propose');
  });

  it('2f+1 precommits for a block not yet at hand ask the host for it, and a later proposal asks again (L49)', () => {
    let r = run(core(notProposer(0)), start, ...[0, 1, 2].map((i) => vote('precommit', i, 0, blockA)));
    expect(r.effects.filter((e) => e.kind === 'requestBlockValidation')).toHaveLength(1);
    expect(r.state.step).toBe('propose');
    r = run(r.state, proposal(0, blockA));
    expect(kinds(r.effects)).toContain('requestBlockValidation');
    r = run(r.state, valid(blockA));
    expect(r.effects.find((e) => e.kind === 'decide')).toMatchObject({ kind: 'decide', height: 1n, round: 0 });
  });

  it('f+1 of the power in a higher round makes a validator jump there (L55)', () => {
    const r = run(core(notProposer(0)), start, vote('prevote', 0, 5, ZERO_HASH));
    expect(r.state.round).toBe(0); // 1/4 is not more than 1/3
    const jumped = run(r.state, vote('precommit', 1, 5, ZERO_HASH));
    expect(jumped.state.round).toBe(5);
    expect(jumped.state.step).toBe('propose');
  });
});

describe('blocks only when there is something to finalise (waitForTxs, issue 29)', () => {
  const waitStart: ConsensusInput = { kind: 'startHeight', height: 1n, waitForTxs: true };
  const available: ConsensusInput = { kind: 'txsAvailable', height: 1n };

  it('round 0 waits: no proposal, no timeout, until the host says something can be finalised', () => {
    const me = proposerOf(0);
    let r = run(core(me), waitStart);
    expect(r.effects).toEqual([{ kind: 'waitForTxs', height: 1n }]);
    expect([r.state.round, r.state.step, r.state.waitingForTxs]).toEqual([0, 'propose', true]);
    // A stale or foreign answer changes nothing.
    r = run(r.state, { kind: 'txsAvailable', height: 2n });
    expect(r.effects).toEqual([]);
    r = run(r.state, available);
    expect(kinds(r.effects)).toEqual(['proposeBlock', 'scheduleTimeout']); // StartRound(0) proper, L14-L21
    expect(r.state.waitingForTxs).toBe(false);
    expect(run(r.state, available).effects).toEqual([]); // a second answer is ignored
  });

  it('a non-proposer that waits still prevotes a valid proposal at once (L22), so latency does not wait for its own mempool', () => {
    const me = notProposer(0);
    let r = run(core(me), waitStart, proposal(0, blockA));
    expect(kinds(r.effects)).toEqual(['waitForTxs', 'requestBlockValidation']);
    r = run(r.state, valid(blockA));
    expect(signedVotes(r.effects).map((v) => [v.type, v.round, bytesToHex(v.blockHash)])).toEqual([['prevote', 0, bytesToHex(blockA)]]);
    expect(r.state.step).toBe('prevote');
    // Its own txsAvailable comes later: the round already moved on, nothing more is sent.
    expect(run(r.state, available).effects).toEqual([]);
  });

  it('a waiting validator follows f+1 of the power into a higher round (L55): a quiet node never holds the others back', () => {
    const me = notProposer(0);
    const r = run(core(me), waitStart, vote('prevote', (me + 1) % 4, 1, ZERO_HASH), vote('prevote', (me + 2) % 4, 1, ZERO_HASH));
    expect(r.state.round).toBe(1);
    expect(r.state.waitingForTxs).toBe(false);
    expect(kinds(r.effects)).toContain('scheduleTimeout');
  });

  it('decides on 2f+1 precommits while still waiting (L49)', () => {
    const me = notProposer(0);
    const others = [0, 1, 2, 3].filter((i) => i !== me);
    const r = run(core(me), waitStart, ...others.map((i) => vote('precommit', i, 0, blockA)), valid(blockA));
    expect(kinds(r.effects)).toContain('decide');
  });

  it('a restart inside a height it signed in resumes at once, without waiting', () => {
    const me = notProposer(0);
    let r = run(core(me), start, proposal(0, blockA), valid(blockA));
    const record = r.state.lastSign!;
    r = run(core(me, { lastSign: record }), waitStart);
    expect(kinds(r.effects)).not.toContain('waitForTxs');
    expect(kinds(r.effects)).toContain('scheduleTimeout');
  });
});

describe('locking (L22-L33)', () => {
  function lockedOnA(unsafe?: UnsafeTestVariants): { state: ConsensusState; me: number } {
    const me = [0, 1, 2, 3].find((i) => i !== proposerOf(0) && i !== proposerOf(1) && i !== proposerOf(2))!;
    const others = [0, 1, 2, 3].filter((i) => i !== me);
    let r = run(core(me, { unsafe }), start, proposal(0, blockA), valid(blockA), vote('prevote', me, 0, blockA), ...others.slice(0, 2).map((i) => vote('prevote', i, 0, blockA)));
    expect(r.state.lockedRound).toBe(0);
    // Round 0 ends without a decision: nil precommits from the others, then the timeout.
    r = run(r.state, vote('precommit', me, 0, blockA), ...others.map((i) => vote('precommit', i, 0, ZERO_HASH)), { kind: 'timeout', timeout: 'precommit', height: 1n, round: 0 });
    expect(r.state.round).toBe(1);
    return { state: r.state, me };
  }

  it('a validator locked on A prevotes nil for a fresh proposal of B (L23, L26)', () => {
    const { state } = lockedOnA();
    const r = run(state, proposal(1, blockB), valid(blockB));
    expect(signedVotes(r.effects).map((v) => bytesToHex(v.blockHash))).toEqual([bytesToHex(ZERO_HASH)]);
  });

  it('...but prevotes B when B comes with a polka newer than its lock (L28-L30)', () => {
    const { state, me } = lockedOnA();
    const others = [0, 1, 2, 3].filter((i) => i !== me);
    // Round 1 has no proposal for us, but a polka for B among the others (the lock is from round 0).
    let r = run(state, { kind: 'timeout', timeout: 'propose', height: 1n, round: 1 }, ...others.map((i) => vote('prevote', i, 1, blockB)));
    expect(r.effects).toContainEqual({ kind: 'scheduleTimeout', timeout: 'prevote', height: 1n, round: 1, durationMs: 250 }); // L34
    r = run(r.state, { kind: 'timeout', timeout: 'prevote', height: 1n, round: 1 }, ...others.map((i) => vote('precommit', i, 1, ZERO_HASH)), { kind: 'timeout', timeout: 'precommit', height: 1n, round: 1 });
    expect(r.state.round).toBe(2);
    // Round 2 proposes B with validRound 1: the polka is newer than the lock, so prevote B.
    r = run(r.state, proposal(2, blockB, 1), valid(blockB));
    expect(signedVotes(r.effects).map((v) => [v.round, bytesToHex(v.blockHash)])).toEqual([[2, bytesToHex(blockB)]]);
  });

  it('the test-only unsafe.disableLocking variant prevotes B despite the lock (what the simulator must catch)', () => {
    const { state } = lockedOnA({ disableLocking: true });
    const r = run(state, proposal(1, blockB), valid(blockB));
    expect(signedVotes(r.effects).map((v) => bytesToHex(v.blockHash))).toEqual([bytesToHex(blockB)]);
  });
});

describe('peer input', () => {
  it('equivocation yields evidence once, and with real signatures protocol checkEvidence accepts it', () => {
    const crypto = new SimCrypto();
    const real = (blockHash: Uint8Array): ConsensusInput => ({ kind: 'vote', vote: crypto.signVote({ chainId, type: 'prevote', height: 1n, round: 0, blockHash, validatorIndex: 2 }) });
    const r = run(core(0), start, real(blockA), real(blockB), real(blockB), real(ZERO_HASH));
    const evidence = r.effects.filter((e) => e.kind === 'evidence');
    expect(evidence).toHaveLength(1);
    const e = (evidence[0] as Extract<ConsensusEffect, { kind: 'evidence' }>).evidence;
    expect(compareBytes(e.voteA.blockHash, e.voteB.blockHash)).toBeLessThan(0);
    expect(checkEvidence(e, chainId, set4)).toBeUndefined();
    // The second value counts for its own block (the paper counts messages per value), not twice for "any".
    expect(r.state.votes.rounds.get(0)?.prevote.power).toBe(1n);
    expect(r.state.votes.rounds.get(0)?.prevote.powerByBlock.get(bytesToHex(blockB))).toBe(1n);
  });

  it('buffers the next height within a per-validator bound, drops further heights, replays at startHeight', () => {
    let r = run(core(0), start);
    for (let round = 0; round < FUTURE_MESSAGES_PER_VALIDATOR_MAX + 5; round++) r = run(r.state, vote('prevote', 1, round, ZERO_HASH, 2n));
    r = run(r.state, vote('prevote', 2, 0, ZERO_HASH, 3n), vote('prevote', 3, 0, ZERO_HASH, 2n));
    expect(r.state.future.messages).toHaveLength(FUTURE_MESSAGES_PER_VALIDATOR_MAX + 1);
    r = run(r.state, { kind: 'startHeight', height: 2n });
    expect(r.state.future.messages).toHaveLength(0);
    // Replayed into the new height: validators 1 and 3 counted in round 0 (1/4 each: no round jump).
    expect(r.state.votes.rounds.get(0)?.prevote.byValidator.size).toBe(2);
    expect(r.state.round).toBe(0);
  });

  it('never throws on malformed or hostile input (1,000 random inputs)', () => {
    const rng = new Prng(99);
    const junkValues: unknown[] = [undefined, null, 0, -1, 1.5, 2 ** 40, 'x', -1n, 2n ** 70n, new Uint8Array(31), new Uint8Array(32), {}, [], NaN];
    const pick = (): unknown => rng.pick(junkValues);
    let state = run(core(0), start).state;
    for (let i = 0; i < 1000; i++) {
      const base = rng.chance(0.5) ? (vote('prevote', rng.int(0, 3), rng.int(0, 3), blockA) as { vote: Vote }).vote : (proposal(rng.int(0, 2), blockA) as { proposal: Proposal }).proposal;
      const field = rng.pick(Object.keys(base));
      const mangled = { ...base, [field]: pick() };
      const input = rng.pick([
        { kind: 'vote', vote: mangled },
        { kind: 'proposal', proposal: mangled },
        { kind: 'timeout', timeout: pick(), height: pick(), round: pick() },
        { kind: 'blockValidity', blockHash: pick(), valid: pick() },
        { kind: 'blockBuilt', height: pick(), round: pick(), blockHash: pick() },
        { kind: 'startHeight', height: pick() },
        { kind: pick() },
        pick(),
      ]) as ConsensusInput;
      expect(() => (state = step(state, input).state)).not.toThrow();
    }
    expect(state.height).toBe(1n);
  });

  it('an unknown validator index, a wrong chain id or the wrong proposer is ignored', () => {
    const base = run(core(0), start).state;
    const v = (vote('prevote', 1, 0, blockA) as { vote: Vote }).vote;
    for (const bad of [{ ...v, validatorIndex: 4 }, { ...v, chainId: 'other-chain' }]) {
      const r = step(base, { kind: 'vote', vote: bad });
      expect(r.state.votes.rounds.size).toBe(0);
    }
    const p = (proposal(0, blockA) as { proposal: Proposal }).proposal;
    const r = step(base, { kind: 'proposal', proposal: { ...p, proposerIndex: (p.proposerIndex + 1) % 4 } });
    expect(r.state.proposals.size).toBe(0);
    expect(r.effects).toEqual([]);
  });
});

describe('sign state and restart', () => {
  const target = (round: number, step: 'proposal' | 'prevote' | 'precommit', blockHash = blockA, height = 5n) => ({ height, round, step, blockHash });
  const record = (round: number, s: 'proposal' | 'prevote' | 'precommit', blockHash = blockA): SignRecord => ({
    ...target(round, s, blockHash),
    lockedRound: -1,
    lockedBlockHash: undefined,
    lockedPolka: [],
    resend: {},
  });

  it.each([
    ['nothing signed yet', undefined, target(0, 'prevote'), true],
    ['a later step of the same round', record(2, 'prevote'), target(2, 'precommit'), true],
    ['a later round', record(2, 'precommit'), target(3, 'proposal'), true],
    ['a later height', record(2, 'precommit'), target(0, 'prevote', blockB, 6n), true],
    ['the same message again (re-broadcast)', record(2, 'prevote'), target(2, 'prevote'), true],
    ['a conflicting message at the same HRS', record(2, 'prevote'), target(2, 'prevote', ZERO_HASH), false],
    ['an earlier step', record(2, 'precommit'), target(2, 'prevote'), false],
    ['an earlier round', record(2, 'prevote'), target(1, 'precommit'), false],
    ['an earlier height', record(0, 'prevote'), target(9, 'precommit', blockA, 4n), false],
  ] as const)('mayISign: %s -> %s', (_name, last, next, ok) => {
    expect(mayISign(last, next).ok).toBe(ok);
  });

  it('the simulated store loses a save that was not yet durable when the power went', async () => {
    const store = new SimulatedSignStateStore();
    await store.save(record(1, 'prevote'));
    const pending = store.save(record(2, 'prevote'));
    store.crash();
    await pending;
    expect((await store.load())?.round).toBe(1);
    await store.save(record(3, 'prevote'));
    expect((await store.load())?.round).toBe(3);
  });

  it('a restarted validator resumes its round and lock, re-sends its votes unchanged and signs nothing conflicting', () => {
    const me = [0, 1, 2, 3].find((i) => i !== proposerOf(2))!;
    const lastSign: SignRecord = {
      height: 1n,
      round: 2,
      step: 'precommit',
      blockHash: blockA,
      lockedRound: 2,
      lockedBlockHash: blockA,
      lockedPolka: [0, 1, 2].map((i) => (vote('prevote', i, 2, blockA) as { vote: Vote }).vote),
      resend: { prevote: [{ round: 1, blockHash: ZERO_HASH }, { round: 2, blockHash: blockA }], precommit: [{ round: 2, blockHash: blockA }] },
    };
    let r = run(core(me, { lastSign }), start);
    expect(r.state.round).toBe(2);
    expect(r.state.step).toBe('precommit');
    expect(r.state.lockedRound).toBe(2);
    expect(r.state.validRound).toBe(2);
    expect(r.state.votes.rounds.get(2)?.prevote.powerByBlock.get(bytesToHex(blockA))).toBe(3n);
    expect(signedVotes(r.effects).map((v) => [v.type, v.round, bytesToHex(v.blockHash)])).toEqual([
      ['prevote', 1, bytesToHex(ZERO_HASH)],
      ['prevote', 2, bytesToHex(blockA)],
      ['precommit', 2, bytesToHex(blockA)],
    ]);
    expectPersistBeforeEverySign(r.effects);
    // Round 2's proposal for another block and the propose timeout sign nothing in round 2.
    r = run(r.state, proposal(2, blockB), valid(blockB), { kind: 'timeout', timeout: 'propose', height: 1n, round: 2 }, { kind: 'timeout', timeout: 'prevote', height: 1n, round: 2 });
    expect(signedVotes(r.effects)).toEqual([]);
  });
});

describe('proposer rotation (CometBFT proposer priority)', () => {
  /** A plain re-implementation of CometBFT's IncrementProposerPriority for a fixed set. */
  function reference(set: ValidatorSet, steps: number): { proposers: number[]; priorities: bigint[] } {
    const pr = set.validators.map(() => 0n);
    const proposers: number[] = [];
    for (let s = 0; s < steps; s++) {
      set.validators.forEach((v, i) => (pr[i] += v.power));
      let best = 0;
      for (let i = 1; i < pr.length; i++) {
        if (pr[i] > pr[best] || (pr[i] === pr[best] && compareBytes(set.addresses[i], set.addresses[best]) < 0)) best = i;
      }
      pr[best] -= set.totalPower;
      proposers.push(best);
      expect(pr.reduce((a, b) => a + b, 0n)).toBe(0n); // centring never needed
      expect(Math.max(...pr.map(Number)) - Math.min(...pr.map(Number))).toBeLessThan(2 * Number(set.totalPower)); // rescaling never needed
    }
    return { proposers, priorities: pr };
  }

  it.each([[[1n, 1n, 1n, 1n]], [[1n, 2n, 3n, 4n]], [[5n, 1n, 1n]], [[3n, 3n, 2n, 2n, 1n, 7n, 1n]]])('powers %s: weighted, periodic, matches the reference', (powers) => {
    const set = simValidatorSet(powers);
    const total = Number(set.totalPower);
    const { proposers, priorities } = reference(set, 3 * total);
    expect(priorities.every((p) => p === 0n)).toBe(true); // back to zero after whole cycles
    const rotation = makeProposerRotation(set);
    proposers.forEach((p, k) => expect(rotation.proposerAt(BigInt(k + 1), 0)).toBe(p));
    // Height h, round r is step (h - 1) + r; out-of-order queries give the same answers.
    expect(rotation.proposerAt(3n, 2)).toBe(proposers[4]);
    expect(rotation.proposerAt(1n, 4)).toBe(proposers[4]);
    const counts = powers.map((_, i) => proposers.slice(0, total).filter((p) => p === i).length);
    expect(counts.map(BigInt)).toEqual(powers);
    // A checkpoint resumes exactly.
    const resumed = makeProposerRotation(set, rotation.checkpoint());
    expect(resumed.proposerAt(1n, 4)).toBe(proposers[4]);
  });

  it('large total power: the walk is bounded by the height, not the power', () => {
    const set = makeValidatorSet([0, 1, 2, 3].map((i) => ({ publicKey: simKeyPair(i).publicKey, power: 10n ** 15n + BigInt(i) })));
    const rotation = makeProposerRotation(set);
    const seen = new Set<number>();
    for (let h = 1n; h <= 40n; h++) seen.add(rotation.proposerAt(h, 0));
    expect(seen.size).toBe(4);
  });
});

describe('timeouts', () => {
  it('grow by timeoutDeltaMs per round (paper section 4)', () => {
    expect([0, 1, 5].map((r) => timeoutDurationMs(timeouts, 'propose', r))).toEqual([300, 400, 800]);
    expect(timeoutDurationMs(timeouts, 'precommit', 2)).toBe(350);
    expect(timeoutDurationMs(timeouts, 'prevote', 10 ** 9)).toBe(10 * 60 * 1000);
  });
});
