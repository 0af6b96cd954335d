// The privval-style signer (node/signer.ts) and its record file (node/sign-record-file.ts):
// it signs only what the durable record covers, refuses a record that goes backwards or
// contradicts it, also after a simulated rollback (a restarted signer fed an older state), and
// counts and logs each refusal; the record file refuses damage by name. Also the LevelDB log
// scanner (node/leveldb-files.ts) that finds a damaged log before LevelDB replays it.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import { withSigned, type SignRecord, type SignStep } from '../consensus/index.ts';
import { bytesToHex } from '../protocol/bytes.ts';
import { TAGS } from '../protocol/hash.ts';
import { addressBytes, keyPairFromSeed, verify } from '../protocol/keys.ts';
import { encodeProposalBody, encodeVoteBody, NO_ROUND } from '../protocol/vote.ts';
import { crc32c, maskCrc, scanLogFormat } from '../node/leveldb-files.ts';
import { readSignRecordFile, signRecordFileStore, SignRecordDamaged } from '../node/sign-record-file.ts';
import { GuardedSigner } from '../node/signer.ts';

const CHAIN = 'pantheon-test-1';
const key = keyPairFromSeed(new Uint8Array(32).fill(7));
const validator = bytesToHex(addressBytes(key.publicKey));
const A = new Uint8Array(32).fill(0xaa);
const B = new Uint8Array(32).fill(0xbb);

/** A record after signing (height, round, step, hash), on top of `previous` at the same height. */
function record(height: bigint, round: number, step: SignStep, blockHash: Uint8Array, previous?: SignRecord, validRound = NO_ROUND): SignRecord {
  const target = { height, round, step, blockHash };
  const resend = withSigned(previous && previous.height === height ? previous.resend : {}, target, validRound);
  return { ...target, lockedRound: -1, lockedBlockHash: undefined, lockedPolka: [], resend };
}

function newSigner(path: string, committed = 0n, initial?: SignRecord) {
  let refused = 0;
  const lines: string[] = [];
  const signer = new GuardedSigner({ key, store: signRecordFileStore(path, { chainId: CHAIN, validator }), record: initial, committedHeight: () => committed, onRefusal: () => refused++, log: (level, msg, fields) => lines.push(`${level} ${msg} ${JSON.stringify(fields)}`) });
  const refusals = () => refused;
  return { signer, lines, refusals };
}

const vote = (type: 'prevote' | 'precommit', height: bigint, round: number, blockHash: Uint8Array) => ({ chainId: CHAIN, type, height, round, blockHash, validatorIndex: 0 });
const load = (path: string) => readSignRecordFile(path, { chainId: CHAIN, validator })?.record ?? undefined;

describe('the signer', () => {
  it('signs what the durable record covers, and refuses a conflicting vote at the same height, round and step', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pantheon-signer-')), 'sign-record.json');
    const { signer, lines, refusals } = newSigner(path);
    expect(refusals()).toBe(0);
    expect(signer.signVote(vote('prevote', 5n, 0, A))).toBeUndefined(); // nothing durable yet
    expect(refusals()).toBe(1);
    const r1 = record(5n, 0, 'prevote', A);
    expect(signer.persist(r1)).toEqual({ ok: true });
    const v = signer.signVote(vote('prevote', 5n, 0, A))!;
    expect(verify(TAGS.vote, CHAIN, encodeVoteBody(v), v.signature, key.publicKey)).toBe(true);
    expect(signer.signVote(vote('prevote', 5n, 0, B))).toBeUndefined();
    expect(refusals()).toBe(2);
    expect(lines.at(-1)).toMatch(/^error SIGNER REFUSED a prevote: signing it could be a double sign .*not covered by the durable record/);
    // The same record again (a re-broadcast) is fine; a different block at the same step is not.
    expect(signer.persist(r1).ok).toBe(true);
    expect(signer.persist(record(5n, 0, 'prevote', B))).toMatchObject({ ok: false, reason: expect.stringMatching(/conflicting record at the same height, round and step/) });
    expect(refusals()).toBe(3);
    expect(load(path)).toEqual(r1);
  });

  it('after a simulated rollback refuses the older record and the conflicting signature the rolled-back state asks for', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pantheon-signer-')), 'sign-record.json');
    const first = newSigner(path);
    const prevote = record(9n, 2, 'prevote', A);
    const precommit = record(9n, 2, 'precommit', A, prevote);
    first.signer.persist(prevote);
    first.signer.persist(precommit);
    expect(first.signer.signVote(vote('precommit', 9n, 2, A))).toBeDefined();
    // The process restarts from the durable file; its consensus state was rolled back (as a
    // LevelDB log rollback did to the record when it lived in the database) to height 9
    // round 1, where it now wants to prevote and precommit B.
    const restarted = newSigner(path, 8n, load(path));
    const rolledBack = record(9n, 1, 'prevote', B);
    expect(restarted.signer.persist(rolledBack)).toMatchObject({ ok: false, reason: expect.stringMatching(/the record would go backwards: \(height 9, round 1, prevote.*before the durable \(height 9, round 2, precommit/) });
    expect(restarted.signer.signVote(vote('prevote', 9n, 1, B))).toBeUndefined();
    expect(restarted.signer.persist(record(9n, 2, 'precommit', B))).toMatchObject({ ok: false });
    expect(restarted.signer.signVote(vote('precommit', 9n, 2, B))).toBeUndefined();
    expect(restarted.refusals()).toBe(4);
    expect(restarted.lines.every((l) => l.startsWith('error SIGNER REFUSED'))).toBe(true);
    // What it did sign it may send again, identically; and it moves forward normally.
    expect(restarted.signer.signVote(vote('prevote', 9n, 2, A))).toBeDefined();
    expect(restarted.signer.signVote(vote('precommit', 9n, 2, A))).toBeDefined();
    expect(restarted.signer.persist(record(9n, 3, 'prevote', B, precommit)).ok).toBe(true);
    expect(restarted.signer.signVote(vote('prevote', 9n, 3, B))).toBeDefined();
    expect(restarted.refusals()).toBe(4);
    expect(load(path)?.round).toBe(3);
  });

  it('never signs at a committed height, nor a proposal whose valid round differs from the recorded one', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pantheon-signer-')), 'sign-record.json');
    const { signer, refusals } = newSigner(path, 4n);
    const proposal = { chainId: CHAIN, height: 5n, round: 1, blockHash: A, validRound: 0, proposerIndex: 0 };
    signer.persist(record(5n, 1, 'proposal', A, undefined, 0));
    const p = signer.signProposal(proposal)!;
    expect(verify(TAGS.proposal, CHAIN, encodeProposalBody(p), p.signature, key.publicKey)).toBe(true);
    expect(signer.signProposal({ ...proposal, validRound: NO_ROUND })).toBeUndefined();
    expect(refusals()).toBe(1);
    const atCommitted = newSigner(path, 5n, load(path));
    expect(atCommitted.signer.signProposal(proposal)).toBeUndefined();
    expect(atCommitted.lines[0]).toMatch(/at or below the committed height 5/);
  });
});

describe('the sign record file', () => {
  it('reads back what was written, and names the file when it is damaged or not this validator\'s', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pantheon-signer-')), 'sign-record.json');
    newSigner(path).signer.persist(record(1149n, 0, 'precommit', A));
    expect(load(path)?.height).toBe(1149n);
    const text = readFileSync(path, 'utf8');
    // Valid JSON, one digit changed: the checksum catches the silent rollback to 1139.
    writeFileSync(path, text.replace('\\"1149\\"', '\\"1139\\"'));
    expect(() => load(path)).toThrow(SignRecordDamaged);
    expect(() => load(path)).toThrow(`the last-sign record ${path} is damaged: its checksum does not match its body`);
    writeFileSync(path, text.slice(0, 50));
    expect(() => load(path)).toThrow(/is damaged: it is not valid JSON/);
    writeFileSync(path, text);
    expect(() => readSignRecordFile(path, { chainId: 'pantheon-other-1', validator })).toThrow(/belongs to chain pantheon-test-1, not pantheon-other-1/);
    expect(() => readSignRecordFile(path, { chainId: CHAIN, validator: '00'.repeat(32) })).toThrow(/belongs to validator/);
    expect(readSignRecordFile(join(path, '..', 'absent.json'), { chainId: CHAIN, validator })).toBeUndefined();
  });
});

describe('docs/vectors/sign-record.json', () => {
  const vectors = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'docs', 'vectors', 'sign-record.json'), 'utf8')) as { cases: { description: string; input: { file: string; expect: { chainId: string; validator: string } }; expect: string; output: Record<string, unknown> }[] };
  it('reads every case as the vector says, negative ones included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pantheon-signer-'));
    for (const [i, c] of vectors.cases.entries()) {
      const path = join(dir, `case-${i}.json`);
      writeFileSync(path, c.input.file);
      if (c.expect === 'ok') {
        const body = readSignRecordFile(path, c.input.expect)!;
        expect(JSON.parse(c.input.file).checksum, c.description).toBe(c.output.checksum);
        expect(body.record === null ? null : body.record.height.toString(), c.description).toBe(c.output.height);
        if (body.record) expect([body.record.round, body.record.step], c.description).toEqual([c.output.round, c.output.step]);
      } else {
        expect(c.expect).toBe('SignRecordDamaged');
        expect(() => readSignRecordFile(path, c.input.expect), c.description).toThrow(SignRecordDamaged);
        expect(() => readSignRecordFile(path, c.input.expect), c.description).toThrow(`the last-sign record ${path} is damaged: `);
        expect(() => readSignRecordFile(path, c.input.expect), c.description).toThrow(c.output.error as string);
      }
    }
    expect(vectors.cases.filter((c) => c.expect === 'ok').length).toBe(2);
    expect(vectors.cases.filter((c) => c.expect !== 'ok').length).toBe(6);
  });
});

describe('the LevelDB log scan', () => {
  it('computes CRC-32C and LevelDB\'s mask', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283); // the standard check value
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 zero bytes
    expect(maskCrc(0)).toBe(0xa282ead8);
  });

  it('passes a log LevelDB wrote, and finds a flipped byte and a cut tail in it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pantheon-leveldb-')), 'db');
    const db = new ClassicLevel<string, string>(path);
    // Values larger than a 32 KiB block, so that records span blocks (first, middle, last).
    for (let i = 0; i < 20; i++) await db.put(`k${i}`, 'v'.repeat(i % 2 ? 50_000 : 100));
    const logName = readdirSync(path).find((f) => f.endsWith('.log'))!;
    const bytes = readFileSync(join(path, logName));
    await db.close();
    expect(bytes.length).toBeGreaterThan(3 * 32_768);
    expect(scanLogFormat(bytes)).toEqual({ kind: 'ok' });
    const flipped = Uint8Array.from(bytes);
    flipped[70_000] ^= 0x01;
    expect(scanLogFormat(flipped)).toMatchObject({ kind: 'corrupt', why: 'its checksum does not match its bytes' });
    expect(scanLogFormat(bytes.subarray(0, bytes.length - 10))).toMatchObject({ kind: 'tornTail' });
    expect(scanLogFormat(bytes.subarray(0, 3))).toMatchObject({ kind: 'tornTail', offset: 0 });
  });
});
