// The whole-record audit's benchmark (issue 20): entries audited per second by
// `pantheon verify record.oar` (liboqs in one worker thread per core, everything else in the
// main thread), next to the limit measured in the same run: liboqs ML-DSA-65 verifications per
// second on one core times the cores; and the audit's peak resident memory (the kernel's
// maxrss of the CLI process, worker threads included).
//
//   node --import tsx bench/audit.ts [--entries N] [--dir DIR] [--keep] [--threads N]
//   node --import tsx bench/audit.ts --entries 1000000 --dir /tmp/pantheon-audit-1m --keep   (the memory bound)
//
// The record is made first (or reused from --dir when it has that many entries): N entries by
// three actors signed with liboqs (one core: the hash chain serialises signing), a checkpoint
// every 1,000 entries, and up to three checkpoints (at 1/4, 1/2, 3/4) committed on the proof fixture's chain and anchored
// on bcoin regtest, their bundles stored at the end of the record. Making 1,000,000 entries takes
// about 20 minutes here and 3.7 GB of disk. Checks itself: the audit must say VERIFIED with N
// entries and three anchored checkpoints, and a copy with one byte changed in the last entry
// must fail at that entry (same CLI, same run).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createMLDSA65 } from '@oqs/liboqs-js';
import { ZERO_HASH } from '../protocol/bytes.ts';
import { consistencyProof, MerkleFrontier, rootOf } from '../protocol/merkle.ts';
import { signingBytes, TAGS } from '../protocol/hash.ts';
import { encodeBundleFrame, encodeCheckpointFrame, encodeRecordHeader } from '../oar/record.ts';
import { entryHash, entryLeafHash } from '../oar/entry.ts';
import { readRecordFile } from '../oar/node/record-file.ts';
import { parseGenesis } from '../genesis/genesis.ts';
import { fastSigner } from '../oar/node/signer.ts';
import { anchorOnRegtest, fixtureChain, FIXTURE_CHAIN_ID } from '../fixtures/bundle-fixture.ts';
import { auditEntries, auditFoundingKey, AUDIT_LOG_ID, AUDIT_LOG_NAME, bundleOfLogIndex } from '../fixtures/record-fixture.ts';
import { machineInfo } from './machine.ts';
import { round, timeLoop } from './stats.ts';

const REPO = join(import.meta.dirname, '..');
const CHECKPOINT_EVERY = 1000;

interface Made {
  path: string;
  genesisPath: string;
  entries: number;
  bytes: number;
  /** Offset and length of the last entry's frame, to make the tampered copy. */
  lastEntry: { offset: number; length: number };
  anchoredSizes: number[];
}

/** Writes the record frame by frame (never whole in memory); keeps the leaf hashes for the commitments' proofs. */
async function makeRecord(dir: string, entries: number, say: (s: string) => void): Promise<Made> {
  const path = join(dir, 'record.oar');
  const genesisPath = join(dir, 'genesis.json');
  const metaPath = join(dir, 'record.json');
  if (existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Made;
    if (meta.entries === entries && existsSync(meta.path) && statSync(meta.path).size === meta.bytes) {
      say(`reusing ${meta.path} (${entries} entries, ${meta.bytes} bytes)`);
      try {
        parseGenesis(JSON.parse(readFileSync(meta.genesisPath, 'utf8')));
        return meta;
      } catch {
        return rebundle(meta, metaPath, say);
      }
    }
  }
  mkdirSync(dir, { recursive: true });
  const sign = await fastSigner();
  const fd = openSync(path, 'w');
  let offset = 0;
  const write = (b: Uint8Array) => {
    writeSync(fd, b);
    offset += b.length;
  };
  write(encodeRecordHeader({ chainId: FIXTURE_CHAIN_ID, logId: AUDIT_LOG_ID, firstSequence: 0, prevHash: ZERO_HASH, publicKey: auditFoundingKey.publicKey }));
  const leaves: Uint8Array[] = [];
  const frontier = new MerkleFrontier();
  const start = performance.now();
  let lastEntry = { offset: 0, length: 0 };
  // Batched writes: one syscall per 256 frames.
  let pending: Uint8Array[] = [];
  const flush = () => {
    if (!pending.length) return;
    const total = pending.reduce((n, b) => n + b.length, 0);
    const buf = new Uint8Array(total);
    let at = 0;
    for (const b of pending) {
      buf.set(b, at);
      at += b.length;
    }
    writeSync(fd, buf);
    pending = [];
  };
  for (const e of auditEntries({ entries, sign, withholdEvery: 50 })) {
    lastEntry = { offset, length: e.frame.length };
    pending.push(e.frame);
    offset += e.frame.length;
    leaves.push(e.leaf);
    frontier.append(e.leaf);
    if (leaves.length % CHECKPOINT_EVERY === 0) {
      const cp = encodeCheckpointFrame(leaves.length, frontier.root());
      pending.push(cp);
      offset += cp.length;
    }
    if (pending.length >= 256) flush();
    if (leaves.length % 20000 === 0) say(`  made ${leaves.length} entries, ${Math.round(leaves.length / ((performance.now() - start) / 1000))}/s`);
  }
  flush();
  closeSync(fd);
  const sizes = await appendBundles(path, genesisPath, leaves, entries);
  const made: Made = { path, genesisPath, entries, bytes: statSync(path).size, lastEntry, anchoredSizes: sizes };
  writeFileSync(metaPath, JSON.stringify(made));
  say(`made ${path}: ${entries} entries, ${made.bytes} bytes in ${round((performance.now() - start) / 1000, 1)} s; anchored checkpoints ${sizes.join(', ')}`);
  return made;
}

/**
 * Commits three checkpoints (at 1/4, 1/2 and 3/4 of the record, rounded to a checkpoint) on the
 * proof fixture's chain, each after the first with its consistency proof, anchors them on bcoin
 * regtest and appends their bundles to the record; writes the genesis beside it.
 */
async function appendBundles(path: string, genesisPath: string, leaves: Uint8Array[], entries: number): Promise<number[]> {
  const at = (f: number) => Math.max(CHECKPOINT_EVERY, Math.floor((entries * f) / CHECKPOINT_EVERY) * CHECKPOINT_EVERY);
  const sizes = [...new Set([at(0.25), at(0.5), at(0.75)])];
  const commitments = sizes.map((size, i) => {
    const previousSize = i === 0 ? 0 : sizes[i - 1];
    return { size, root: rootOf(leaves, 0, size), previousSize, consistencyProof: previousSize === 0 ? [] : consistencyProof(leaves.slice(0, size), previousSize) };
  });
  const chain = fixtureChain({ recordHistory: { name: AUDIT_LOG_NAME, commitments } });
  const attestation = await anchorOnRegtest(chain);
  const fd = openSync(path, 'a');
  let k = 0;
  chain.log.forEach((e, index) => {
    if (!Buffer.from(e.tx).includes(Buffer.from(AUDIT_LOG_ID))) return;
    const size = sizes[k++];
    writeSync(fd, encodeBundleFrame(size, new TextEncoder().encode(JSON.stringify(bundleOfLogIndex(chain, index, attestation)))));
  });
  closeSync(fd);
  writeFileSync(genesisPath, JSON.stringify(chain.genesisJson));
  return sizes;
}

/**
 * A kept record whose bundles were made under another genesis format than this build reads:
 * its entries are read again (their leaf hashes), the bundle frames at its end are cut, and
 * the checkpoints are committed and anchored again.
 */
async function rebundle(made: Made, metaPath: string, say: (s: string) => void): Promise<Made> {
  say(`the kept record's genesis does not read with this build: committing and anchoring its checkpoints again`);
  const leaves: Uint8Array[] = [];
  let cut: number | undefined;
  for await (const item of readRecordFile(made.path)) {
    if (item.type === 'entry') leaves.push(entryLeafHash(entryHash(FIXTURE_CHAIN_ID, item.signedBytes)));
    else if (item.type === 'bundle') {
      cut = item.offset;
      break;
    }
  }
  if (cut === undefined || leaves.length !== made.entries) throw new Error(`bench: ${made.path} does not hold ${made.entries} entries and then its bundles`);
  truncateSync(made.path, cut);
  const sizes = await appendBundles(made.path, made.genesisPath, leaves, made.entries);
  const again: Made = { ...made, bytes: statSync(made.path).size, anchoredSizes: sizes };
  writeFileSync(metaPath, JSON.stringify(again));
  return again;
}

/** liboqs verifications per second on one core, over signatures of entry-sized messages. */
async function verifyLimit(ms: number): Promise<number> {
  const oqs = await createMLDSA65();
  const message = signingBytes(TAGS.oarEntry, FIXTURE_CHAIN_ID, new Uint8Array(180).fill(7));
  const sigs = Array.from({ length: 8 }, () => oqs.sign(message, auditFoundingKey.secretKey));
  let failures = 0;
  const t = timeLoop((i) => void (oqs.verify(message, sigs[i % sigs.length], auditFoundingKey.publicKey) || failures++), ms, 64);
  if (failures) throw new Error('bench: a liboqs signature did not verify');
  const changed = sigs[0].slice();
  changed[10] ^= 1;
  if (oqs.verify(message, changed, auditFoundingKey.publicKey)) throw new Error('bench: a changed signature verified');
  return t.runs / (t.elapsedMs / 1000);
}

/** Runs the CLI under /usr/bin/time -v: its verdict, wall time and peak resident memory. */
function runCli(record: string, genesis: string, threads: number | undefined): Promise<{ code: number; json: any; elapsedS: number; cpuS: number; maxRssMB: number }> {
  const args = ['-v', process.execPath, join(REPO, 'bin', 'pantheon.js'), 'verify', record, '--genesis', genesis, '--json', ...(threads === undefined ? [] : ['--threads', String(threads)])];
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(err);
      if (!rss || !wall) return reject(new Error(`bench: no /usr/bin/time figures in: ${err.slice(-500)}`));
      const elapsedS = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
      const user = /User time \(seconds\): ([\d.]+)/.exec(err);
      const system = /System time \(seconds\): ([\d.]+)/.exec(err);
      const cpuS = Number(user?.[1] ?? NaN) + Number(system?.[1] ?? NaN);
      let json: any;
      try {
        json = JSON.parse(out);
      } catch {
        return reject(new Error(`bench: the CLI printed no JSON: ${out.slice(0, 300)} ${err.slice(0, 500)}`));
      }
      resolve({ code: code ?? -1, json, elapsedS, cpuS, maxRssMB: Number(rss[1]) / 1024 });
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { entries: { type: 'string', default: '20000' }, dir: { type: 'string' }, keep: { type: 'boolean', default: false }, threads: { type: 'string' } } });
  const entries = Number(values.entries);
  const dir = (values.dir as string | undefined) ?? join(tmpdir(), `pantheon-audit-bench-${process.pid}`);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  const say = (s: string) => process.stdout.write(s + '\n');
  const machine = machineInfo();
  say(`record audit benchmark: ${entries} entries`);
  say(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${machine.nodeVersion}, ${machine.date}, load average ${machine.loadAverage.join(' ')}`);
  try {
    const made = await makeRecord(dir, entries, say);
    const limit1 = await verifyLimit(3000);
    const cores = threads ?? machine.cores;
    const limit = limit1 * cores;
    say(`limit: liboqs ML-DSA-65 verify ${Math.round(limit1)}/s on one core x ${cores} core(s) = ${Math.round(limit)} entries/s`);
    const run = await runCli(made.path, made.genesisPath, threads);
    if (run.code !== 0 || !run.json.ok || run.json.entries !== entries || run.json.anchoredCheckpoints !== made.anchoredSizes.length) throw new Error(`bench: the audit did not verify the record: ${JSON.stringify(run.json.failure ?? run.json.summary?.headline)}`);
    const rate = entries / run.elapsedS;
    // Self-check: the last entry changed by one byte must fail there.
    const bad = join(dir, 'tampered.oar');
    copyFileSync(made.path, bad);
    const fd = openSync(bad, 'r+');
    const at = made.lastEntry.offset + made.lastEntry.length - 40; // inside the payload or the signature
    const b = Buffer.alloc(1);
    const { readSync } = await import('node:fs');
    readSync(fd, b, 0, 1, at);
    b[0] ^= 0x04;
    writeSync(fd, b, 0, 1, at);
    closeSync(fd);
    const tampered = await runCli(bad, made.genesisPath, threads);
    rmSync(bad);
    if (tampered.code !== 1 || tampered.json.failure?.sequence !== entries - 1) throw new Error(`bench: the tampered copy did not fail at entry ${entries - 1}: ${JSON.stringify(tampered.json.failure)}`);
    const figures = {
      entries,
      recordBytes: made.bytes,
      auditSeconds: round(run.elapsedS, 1),
      auditEntriesPerSec: Math.round(rate),
      limitVerifyPerSecOneCore: Math.round(limit1),
      cores,
      limitEntriesPerSec: Math.round(limit),
      ratioToLimit: round(rate / limit, 2),
      // On a shared machine the audit may not get every core: CPU time says how much of it went
      // to anything but the signature checks (ratio 1: all of it was verification at the measured rate).
      cpuSeconds: round(run.cpuS, 1),
      coresUsed: round(run.cpuS / run.elapsedS, 2),
      cpuRatioToLimit: round(entries / limit1 / run.cpuS, 2),
      loadAverageAfter: machineInfo().loadAverage,
      maxRssMB: round(run.maxRssMB, 1),
      signatureChecker: run.json.signatureChecker,
      tamperedFailsAt: tampered.json.failure.sequence,
    };
    say(`audit: ${entries} entries (${(made.bytes / 1e6).toFixed(0)} MB) in ${figures.auditSeconds} s = ${figures.auditEntriesPerSec} entries/s, ${figures.ratioToLimit} of the limit; peak resident memory ${figures.maxRssMB} MB; ${figures.signatureChecker}`);
    say(`cpu: ${figures.cpuSeconds} s on ${figures.coresUsed} core(s) on average; verification at the limit's rate would take ${round(entries / limit1, 1)} s of it (${figures.cpuRatioToLimit}); load average after ${figures.loadAverageAfter.join(' ')}`);
    say(`self-check: VERIFIED with ${entries} entries and ${made.anchoredSizes.length} anchored checkpoints; one byte changed in entry ${entries - 1} fails at entry ${tampered.json.failure.sequence} (${tampered.json.failure.step})`);
    say(JSON.stringify({ machine, figures }));
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
