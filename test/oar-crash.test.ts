// kill -9 against the OAR writer (issue 14): real child processes append from several
// concurrent actors and are killed at seeded random moments. After every kill the record on
// disk must hold every entry whose call returned (same sequence, same hash), every action that
// began must have its intent on disk, and the whole chain must verify (every link and
// signature, no outcome without its open intent). A second test kills a process inside a guarded action and finds the intent sealed.
// OAR_CRASH_SEED replays a run; OAR_CRASH_KILLS raises the count (default 50, about a minute).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../protocol/bytes.ts';
import { keyPairFromSeed } from '../protocol/keys.ts';
import { installFastCrypto } from '../node/fast-crypto.ts';
import { useMlDsa65Signer, useMlDsa65Verifier } from '../protocol/keys.ts';
import { useSha256 } from '../protocol/hash.ts';
import { entryHash, OarWriter, RecordVerifier, verifyRecord, type ParsedEntry } from '../oar/node/index.ts';
import { fileChunks, recordPath, readRecordFile } from '../oar/node/record-file.ts';
import { Prng } from './sim/prng.ts';
import { CHILD_CHAIN_ID, CHILD_KEY_SEED, CHILD_LOG_ID } from './helpers/oar-child-config.ts';

const SEED = Number(process.env.OAR_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const KILLS = Number(process.env.OAR_CRASH_KILLS ?? 50);
const CHILD = join(import.meta.dirname, 'helpers', 'oar-child.ts');

interface Run {
  lines: string[];
  exit: Promise<void>;
  child: ChildProcess;
  waitFor(prefix: string): Promise<string>;
  /** Lets a loaded child open the record. */
  go(): void;
}

function startChild(dir: string, actors: number, mode: 'loop' | 'hang'): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(actors), mode], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const listeners: (() => void)[] = [];
  child.stdout!.on('data', (data: Buffer) => {
    const text = partial + data.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const l of listeners.splice(0)) l();
  });
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString('utf8')));
  const exit = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const waitFor = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = lines.find((l) => l.startsWith(prefix));
        if (found) return resolve(found);
        if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`child exited before "${prefix}": ${stderr}`));
        listeners.push(check);
      };
      child.on('exit', check);
      check();
    });
  return { lines, exit, child, waitFor, go: () => child.stdin!.write('go\n') };
}

/**
 * The record on disk as another process reads it after the kill (before any writer recovers
 * it), verified end to end: every link, every signature, every outcome after its open intent.
 */
async function entriesOnDisk(dir: string): Promise<{ hashes: string[]; kinds: string[] }> {
  const hashes: string[] = [];
  const kinds: string[] = [];
  const verifier = new RecordVerifier({ chainId: CHILD_CHAIN_ID, publicKey: keyPairFromSeed(CHILD_KEY_SEED).publicKey, signatures: 'all' });
  for await (const item of readRecordFile(recordPath(dir), { allowPartialTail: true })) {
    verifier.push(item);
    if (item.type !== 'entry') continue;
    const e = (item as ParsedEntry).signed.entry;
    expect(e.sequence).toBe(hashes.length);
    hashes.push(bytesToHex(entryHash(CHILD_CHAIN_ID, item.signedBytes)));
    kinds.push(e.kind);
  }
  expect(verifier.finish().entries).toBe(hashes.length);
  return { hashes, kinds };
}

describe(`OAR writer under kill -9 (seed ${SEED}, ${KILLS} kills; replay with OAR_CRASH_SEED=${SEED})`, () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oar-crash-'));
    await installFastCrypto(); // liboqs and OpenSSL to check thousands of entries quickly; noble checks the last pass
    console.log(`oar-crash: seed ${SEED}, kills ${KILLS}, dir ${dir}`);
  });
  afterAll(() => {
    useMlDsa65Verifier(undefined);
    useMlDsa65Signer(undefined);
    useSha256(undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged entry, seals every intent before its action, and the chain verifies after each restart', async () => {
    const prng = new Prng(SEED);
    const acked = new Map<number, string>();
    const acted = new Set<number>();
    let torn = 0;
    // Each writer process loads while the one before it runs; it opens the record (and recovers it) only once that one is dead.
    let next = startChild(dir, prng.int(2, 6), 'loop');
    for (let kill = 0; kill < KILLS; kill++) {
      const run = next;
      await run.waitFor('loaded');
      run.go();
      const ready = await run.waitFor('ready ');
      if (ready.split(' ')[2] !== '-') torn++;
      if (kill + 1 < KILLS) next = startChild(dir, prng.int(2, 6), 'loop');
      // Kill at a random moment after the first entry, so every run is killed while appending.
      await run.waitFor('ack ');
      const delayMs = prng.int(0, 100);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      run.child.kill('SIGKILL');
      await run.exit;
      for (const line of run.lines) {
        const [word, seq, hash] = line.split(' ');
        if (word === 'ack') acked.set(Number(seq), hash);
        if (word === 'act') {
          // An action may begin only after its intent's call returned.
          expect(acked.has(Number(seq)), `act ${seq} before its intent was acknowledged`).toBe(true);
          acted.add(Number(seq));
        }
      }
      const disk = await entriesOnDisk(dir);
      const missing = [...acked].filter(([seq, hash]) => disk.hashes[seq] !== hash);
      expect(missing, `kill ${kill} (${delayMs} ms after its first entry): acknowledged entries missing or changed`).toEqual([]);
      if (process.env.OAR_CRASH_VERBOSE) console.log(`kill ${kill}: ${ready}, killed ${delayMs} ms after its first entry, ${disk.hashes.length} entries on disk`);
      for (const seq of acted) expect(disk.kinds[seq], `action ${seq} ran without its intent on disk`).toBe('intent');
    }
    // A last writer recovers the tail, then the whole record is checked: every signature, link and outcome.
    const writer = await OarWriter.open({ dir, chainId: CHILD_CHAIN_ID, key: keyPairFromSeed(CHILD_KEY_SEED) });
    await writer.close();
    useMlDsa65Verifier(undefined);
    useSha256(undefined);
    const summary = await verifyRecord(fileChunks(recordPath(dir)), { chainId: CHILD_CHAIN_ID, publicKey: keyPairFromSeed(CHILD_KEY_SEED).publicKey });
    expect(summary.logId).toBe(CHILD_LOG_ID);
    expect(summary.entries).toBeGreaterThanOrEqual(acked.size);
    expect(summary.outcomes).toBeGreaterThan(0);
    console.log(`oar-crash: ${KILLS} kills, ${summary.entries} entries (${acked.size} acknowledged, ${acted.size} actions), ${summary.outcomes} outcomes, ${summary.openIntents.length} intents left open by kills, ${torn} restarts found a torn tail`);
  }, 1_500_000);

  it('a process killed inside a guarded action leaves its intent sealed and no outcome', async () => {
    const hangDir = mkdtempSync(join(tmpdir(), 'oar-hang-'));
    try {
      const run = startChild(hangDir, 1, 'hang');
      await run.waitFor('loaded');
      run.go();
      const act = await run.waitFor('act ');
      run.child.kill('SIGKILL');
      await run.exit;
      const sequence = Number(act.split(' ')[1]);
      const writer = await OarWriter.open({ dir: hangDir, chainId: CHILD_CHAIN_ID, key: keyPairFromSeed(CHILD_KEY_SEED) });
      try {
        expect(writer.size).toBe(sequence + 1);
        expect(writer.openIntents().map((i) => [i.sequence, i.actor])).toEqual([[sequence, 'hanging-agent']]);
      } finally {
        await writer.close();
      }
    } finally {
      rmSync(hangDir, { recursive: true, force: true });
    }
  }, 60_000);
});
