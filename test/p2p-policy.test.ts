// In-process checks of the peer policy's pure parts: the hello codec and validator proof against
// docs/vectors/hello.json, and the outsider limits and useless-traffic score of peer-policy.ts
// driven by an explicit clock.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../protocol/encoding.ts';
import { keyPairFromSeed } from '../protocol/keys.ts';
import { encodeTxList, TX_LIST_COUNT_MAX, txListCost } from '../protocol/gossip.ts';
import { checkValidatorProof, decodeHello, decodeHelloVersion, encodeHello, HELLO_BYTES_MAX, PROTOCOL_VERSION } from '../node/p2p/rules/hello-codec.ts';
import {
  OUTSIDER_ADDRESS_MESSAGES_BURST,
  OUTSIDER_CONNECTIONS_MAX,
  OUTSIDER_CONNECTIONS_PER_ADDRESS_MAX,
  OUTSIDER_PEER_MESSAGES_BURST,
  OUTSIDER_PEER_MESSAGES_PER_SECOND,
  PeerPolicy,
  USELESS_FREE,
  USELESS_HALF_LIFE_MS,
  VALIDATOR_APP_SCORE,
} from '../node/p2p/rules/peer-policy.ts';
import { SCORE_THRESHOLDS } from '../node/p2p/gossip.ts';
import { GossipsubDropCounter } from '../node/p2p/gossipsub-drops.ts';

type Case = { description: string; input: { chainId: string; peerId: string; hello: string }; expect: string; output?: any };
// Named 'hello.json' here so test/vectors.test.ts sees the file is checked.
const vectors = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'docs', 'vectors', 'hello.json'), 'utf8')) as { cases: Case[] };
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const validatorKeys = [3, 4, 5, 6].map((i) => keyPairFromSeed(new Uint8Array(32).fill(i)).publicKey);

/** What a receiver concludes from a hello: the outcome class of the vectors. */
function judge(c: Case): { expect: string; output?: any } {
  const body = fromHex(c.input.hello);
  let version: number;
  try {
    version = decodeHelloVersion(body);
  } catch (err) {
    if (err instanceof DecodeError) return { expect: 'DecodeError', output: { field: err.field } };
    throw err;
  }
  if (version !== PROTOCOL_VERSION) return { expect: 'VersionMismatch', output: { protocolVersion: version } };
  let hello;
  try {
    hello = decodeHello(body);
  } catch (err) {
    if (err instanceof DecodeError) return { expect: 'DecodeError', output: { field: err.field } };
    throw err;
  }
  if (hello.validatorProof !== undefined && checkValidatorProof(c.input.chainId, fromHex(c.input.peerId), hello.validatorProof, validatorKeys) !== undefined) return { expect: 'ProofInvalid' };
  return { expect: 'ok', output: { protocolVersion: hello.protocolVersion, chainId: hello.chainId, validatorIndex: hello.validatorProof?.validatorIndex ?? null } };
}

describe('hello: docs/vectors/hello.json', () => {
  it('every case decodes and verifies to its expected outcome, and ok cases re-encode to the same bytes', () => {
    expect(vectors.cases.length).toBeGreaterThanOrEqual(13);
    expect(vectors.cases.filter((c) => c.expect !== 'ok').length).toBeGreaterThan(vectors.cases.length / 2);
    let ran = 0;
    for (const c of vectors.cases) {
      const got = judge(c);
      expect({ description: c.description, ...got }).toEqual({ description: c.description, expect: c.expect, ...(c.output === undefined ? {} : { output: c.output }) });
      if (c.expect === 'ok') expect(Buffer.from(encodeHello(decodeHello(fromHex(c.input.hello)))).toString('hex')).toBe(c.input.hello);
      ran++;
    }
    expect(ran).toBe(vectors.cases.length);
  });

  it('a hello with a proof is exactly HELLO_BYTES_MAX long', () => {
    const withProof = vectors.cases.find((c) => c.description === 'validator 0 proves its peer id')!;
    expect(fromHex(withProof.input.hello).length).toBe(HELLO_BYTES_MAX - 64 + 'pantheon-test-1'.length);
  });
});

describe('peer policy', () => {
  it('counts useless traffic against outsiders only, with an allowance and a half-life', () => {
    const p = new PeerPolicy();
    p.proveValidator('V', 0);
    for (let i = 0; i < 500; i++) {
      p.noteUseless('S', 0);
      p.noteUseless('V', 0);
    }
    expect(p.appScore('V', 0)).toBe(VALIDATOR_APP_SCORE);
    expect(p.appScore('S', 0)).toBe(-(500 - USELESS_FREE));
    expect(p.appScore('S', 0)).toBeLessThan(SCORE_THRESHOLDS.graylistThreshold);
    expect(p.appScore('S', USELESS_HALF_LIFE_MS)).toBeCloseTo(-(250 - USELESS_FREE), 6);
    // An honest relay's few stale votes cost nothing.
    for (let i = 0; i < USELESS_FREE; i++) p.noteUseless('H', 0);
    expect(p.appScore('H', 0)).toBe(-0);
  });

  it('rate-limits an outsider per peer (penalised) and per address (not penalised), never a validator', () => {
    const p = new PeerPolicy();
    p.proveValidator('V', 1);
    let admitted = 0;
    for (let i = 0; i < OUTSIDER_PEER_MESSAGES_BURST + 50; i++) if (p.admitMessage('S', '10.0.0.1', 0).ok) admitted++;
    expect(admitted).toBe(OUTSIDER_PEER_MESSAGES_BURST);
    expect(p.admitMessage('S', '10.0.0.1', 0)).toEqual({ ok: false, reason: 'peer rate limit', penalise: true });
    // Refilled at the sustained rate.
    let later = 0;
    for (let i = 0; i < 1000; i++) if (p.admitMessage('S', '10.0.0.1', 1000).ok) later++;
    expect(later).toBe(OUTSIDER_PEER_MESSAGES_PER_SECOND);
    // Many identities on one address share its budget.
    const q = new PeerPolicy();
    let fromAddress = 0;
    let refusedByAddress: unknown;
    for (let id = 0; id < 20; id++) {
      for (let i = 0; i < OUTSIDER_PEER_MESSAGES_BURST; i++) {
        const r = q.admitMessage(`S${id}`, '10.0.0.2', 0);
        if (r.ok) fromAddress++;
        else refusedByAddress = r;
      }
    }
    expect(fromAddress).toBe(OUTSIDER_ADDRESS_MESSAGES_BURST);
    expect(refusedByAddress).toEqual({ ok: false, reason: 'address rate limit', penalise: false });
    for (let i = 0; i < 10_000; i++) expect(p.admitMessage('V', '10.0.0.1', 0).ok).toBe(true);
  });

  it('charges a list of transactions one message per transaction, so a list buys an outsider nothing', () => {
    const p = new PeerPolicy();
    p.proveValidator('V', 1);
    const list = encodeTxList(Array.from({ length: TX_LIST_COUNT_MAX }, () => new Uint8Array(10)));
    expect(txListCost(list)).toBe(TX_LIST_COUNT_MAX);
    let transactions = 0;
    while (p.admitMessage('S', '10.0.0.1', 0, txListCost(list)).ok) transactions += TX_LIST_COUNT_MAX;
    expect(transactions).toBe(Math.floor(OUTSIDER_PEER_MESSAGES_BURST / TX_LIST_COUNT_MAX) * TX_LIST_COUNT_MAX);
    // What is left of the burst still takes lists of one.
    const left = OUTSIDER_PEER_MESSAGES_BURST - transactions;
    for (let i = 0; i < left; i++) expect(p.admitMessage('S', '10.0.0.1', 0, txListCost(encodeTxList([new Uint8Array(10)]))).ok).toBe(true);
    expect(p.admitMessage('S', '10.0.0.1', 0, 1).ok).toBe(false);
    // A count prefix larger than a list may hold costs the most a list can; a validator pays nothing.
    expect(txListCost(Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toBe(TX_LIST_COUNT_MAX);
    expect(p.admitMessage('V', '10.0.0.1', 0, TX_LIST_COUNT_MAX).ok).toBe(true);
  });

  it('keeps outsiders within their connection slots, per address and in all; validators and bootstrap peers have their own', () => {
    const p = new PeerPolicy(['B']);
    const full = Array.from({ length: OUTSIDER_CONNECTIONS_PER_ADDRESS_MAX }, () => '127.0.0.1');
    expect(p.refuseConnection('S', '127.0.0.1', full)).toMatch(/outsider connections from 127\.0\.0\.1 already/);
    expect(p.refuseConnection('S', '10.9.9.9', full)).toBeUndefined();
    const all = Array.from({ length: OUTSIDER_CONNECTIONS_MAX }, (_, i) => `10.0.${i}.1`);
    expect(p.refuseConnection('S', '10.9.9.9', all)).toMatch(/outsider connection slots are taken/);
    expect(p.refuseConnection('B', '127.0.0.1', all)).toBeUndefined();
    p.proveValidator('V', 2);
    expect(p.refuseConnection('V', '127.0.0.1', all)).toBeUndefined();
  });

  it('holds one peer id per validator: a newer proof demotes the older peer id', () => {
    const p = new PeerPolicy();
    expect(p.proveValidator('old', 3)).toEqual({});
    expect(p.proveValidator('new', 3)).toEqual({ demoted: 'old' });
    expect(p.validatorIndex('old')).toBeUndefined();
    expect(p.validatorIndex('new')).toBe(3);
    expect(p.validatorPeers()).toEqual(['new']);
  });
});

describe('gossipsub drop counter', () => {
  it('keeps the reasons gossipsub gives for its own drops, explained, and nothing else', () => {
    const c = new GossipsubDropCounter(['/pantheon/pantheon-test-1/tx/1']);
    const invalid = c.register.gauge<{ error: string }>({ name: 'gossipsub_msg_received_invalid_total', help: '', labelNames: ['error'] });
    const notAccepted = c.register.gauge({ name: 'gossipsub_rpc_rcv_not_accepted_total', help: '' });
    const other = c.register.gauge({ name: 'gossipsub_peers_count', help: '' });
    invalid.inc({ error: 'SignaturePresent' }, 1);
    invalid.inc({ error: 'SignaturePresent' }, 1);
    notAccepted.inc();
    other.inc();
    const taken = c.take();
    expect([...taken.keys()].sort()).toEqual(['RPC from a peer below the graylist threshold (-80)', expect.stringMatching(/^invalid: the message is signed, but this network uses StrictNoSign/)].sort());
    expect([...taken.values()].sort()).toEqual([1, 2]);
    expect(c.take().size).toBe(0);
  });
});
