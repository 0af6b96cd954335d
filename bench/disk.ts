// Part "disk": bytes on disk per finalised commitment. A single-validator chain runs the
// node's own Chain and NodeStore (node/chain.ts, node/store.ts): each block is built with
// Chain.buildBlock from pre-signed commitments, certified by the validator's real precommit
// and committed with Chain.commit (one synced level batch per block, as the node does). As in
// the node, each transaction is first written to the store's mempool (synced, as before an
// HTTP 202) and deleted in the batch of the block that includes it.
// Then `du` of the LevelDB directory, minus what it held at genesis, divided by the count, and
// where the bytes go: live key and value bytes per key family, LevelDB's table-file estimate
// per family (deleted entries not yet compacted away included), and bytes per file kind. The
// same again after the store is opened and closed once more (a node restart), which is where
// LevelDB would delete the half-written tables of a compaction that closing interrupted and
// replay its log: closing waits for compactions (docs/storage.md), so the two should agree.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '../protocol/bytes.ts';
import { sha256 } from '../protocol/hash.ts';
import { keyPairFromSeed, PUBLIC_KEY_SIZE, SIGNATURE_SIZE } from '../protocol/keys.ts';
import { blockHash } from '../protocol/block.ts';
import { certificateFromVotes, encodeCertificate } from '../protocol/certificate.ts';
import { signVote } from '../protocol/vote.ts';
import { decodeTx, txId } from '../protocol/tx.ts';
import { createGenesis, genesisValidatorSet } from '../genesis/genesis.ts';
import { Chain } from '../node/chain.ts';
import { NodeStore, type FamilyUsage } from '../node/store.ts';
import { signCommitments, type SignJobTx } from './signer.ts';

const CHAIN = 'pantheon-bench-disk';
const OPERATORS = 8;

export interface DiskFigures {
  diskCommitments: number;
  diskBlocks: number;
  /** `du` (allocated blocks) of the LevelDB directory once the store is closed, genesis subtracted, per commitment. */
  diskBytesPerCommitment: number;
  /** The same after the store is opened and closed again (a restart). */
  diskBytesPerCommitmentAfterRestart: number;
  /** Apparent size (du -b), per commitment. */
  diskApparentBytesPerCommitment: number;
  /** The encoded commitment transaction itself (signature and public key included). */
  commitmentTxBytes: number;
  /** diskBytesPerCommitment minus signature and public key: the target is <= 300. */
  diskBytesPerCommitmentBeyondSigAndKey: number;
  diskSignSeconds: number;
  diskCommitSeconds: number;
  /** Per key family, per commitment: live entries, key and value bytes, table-file estimate. */
  diskFamilies: FamilyFigures[];
  /**
   * Apparent bytes per commitment by file kind: table files of the database, table files that
   * are not (the output of a compaction that closing interrupted), write-ahead log, manifest,
   * other; once closed, and after the restart.
   */
  diskFiles: Record<string, number>;
  diskFilesAfterRestart: Record<string, number>;
  /** `leveldb.stats` when the run ended: files and megabytes per level. */
  diskLevelStats: string;
}

export interface FamilyFigures {
  family: string;
  entries: number;
  keyBytesPerCommitment: number;
  valueBytesPerCommitment: number;
  tableBytesPerCommitment: number;
}

function familyFigures(usage: FamilyUsage[], count: number): FamilyFigures[] {
  return usage
    .filter((u) => u.entries > 0 || u.tableBytes > 0)
    .map((u) => ({ family: u.family, entries: u.entries, keyBytesPerCommitment: u.keyBytes / count, valueBytesPerCommitment: u.valueBytes / count, tableBytesPerCommitment: u.tableBytes / count }));
}

/** The table files of the database's current version (`leveldb.sstables` lists them as ` <number>:<size>[...]`). */
function liveTableNumbers(sstables: string): Set<number> {
  return new Set([...sstables.matchAll(/^\s*(\d+):\d+\[/gm)].map((m) => Number(m[1])));
}

/** Apparent bytes by LevelDB file kind, per commitment; table files outside `live` are counted apart. */
function fileKinds(path: string, live: Set<number>, count: number): Record<string, number> {
  const kinds: Record<string, number> = { table: 0, 'table, not in the database': 0, log: 0, manifest: 0, other: 0 };
  for (const name of readdirSync(path)) {
    const table = /^(\d+)\.(ldb|sst)$/.exec(name);
    const kind = table ? (live.has(Number(table[1])) ? 'table' : 'table, not in the database') : name.endsWith('.log') && name !== 'LOG' ? 'log' : name.startsWith('MANIFEST-') ? 'manifest' : 'other';
    kinds[kind] += statSync(join(path, name)).size / count;
  }
  return kinds;
}

function du(path: string, apparent: boolean): number {
  const out = execFileSync('du', ['-s', apparent ? '-b' : '-B1', path], { encoding: 'utf8' });
  return Number(out.split(/\s+/)[0]);
}

export async function runDisk(count: number, log: (line: string) => void): Promise<DiskFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'pantheon-bench-disk-'));
  try {
    const seed = (label: string) => sha256(new TextEncoder().encode(`bench disk ${label}`));
    const validator = keyPairFromSeed(seed('validator'));
    const operatorSeeds = Array.from({ length: OPERATORS }, (_, i) => seed(`operator ${i}`));
    const operators = operatorSeeds.map((s) => keyPairFromSeed(s));
    const genesis = createGenesis({ chainId: CHAIN, genesisTimeMs: 1_800_000_000_000n, validatorPublicKeys: [validator.publicKey], fundedPublicKeys: operators.map((o) => o.publicKey) });
    const proposer = genesisValidatorSet(genesis).addresses[0];

    const jobs: SignJobTx[] = Array.from({ length: count }, (_, i) => ({ seedHex: bytesToHex(operatorSeeds[i % OPERATORS]), nonce: String(Math.floor(i / OPERATORS)), logId: `oar-${i % OPERATORS}` }));
    const t0 = performance.now();
    const txs = await signCommitments(CHAIN, genesis.params.minFee, jobs);
    const signSeconds = (performance.now() - t0) / 1000;
    log(`  signed ${count} commitments in ${signSeconds.toFixed(1)} s`);

    const dbPath = join(dir, 'db');
    let store = await NodeStore.open(dbPath);
    const chain = await Chain.load(genesis, store);
    await store.close();
    const baseAllocated = du(dbPath, false);
    const baseApparent = du(dbPath, true);
    store = await NodeStore.open(dbPath);
    const live = await Chain.load(genesis, store);
    void chain;

    const t1 = performance.now();
    let next = 0;
    let blocks = 0;
    let lastLog = performance.now();
    while (next < txs.length) {
      const nowMs = Number(genesis.genesisTimeMs) + (blocks + 1) * 1000;
      const block = await live.buildBlock(txs.slice(next, next + genesis.params.blockTxsMax), [], proposer, nowMs);
      if (block.txs.length === 0) throw new Error(`disk: block ${blocks + 1} took none of the remaining ${txs.length - next} transactions`);
      // What the node does on HTTP 202 (the group commit makes these one synced batch).
      await Promise.all(block.txs.map((bytes) => store.putMempoolTx(bytesToHex(txId(decodeTx(bytes))), bytes)));
      const vote = signVote({ chainId: CHAIN, type: 'precommit', height: block.header.height, round: 0, blockHash: blockHash(block.header), validatorIndex: 0 }, validator.secretKey);
      await live.commit(block, encodeCertificate(certificateFromVotes([vote])));
      next += block.txs.length;
      blocks++;
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        log(`  committed ${next}/${count} commitments in ${blocks} blocks`);
      }
    }
    const commitSeconds = (performance.now() - t1) / 1000;
    // Check: every commitment is in the log, and the store says where each one is.
    if (live.log.size !== count) throw new Error(`disk: the commitment log holds ${live.log.size}, expected ${count}`);
    for (const i of [0, Math.floor(count / 2), count - 1]) {
      const loc = await store.txLocation(bytesToHex(txId(decodeTx(txs[i]))));
      if (loc?.logIndex !== i) throw new Error(`disk: commitment ${i} is not at log index ${i} in the store`);
    }
    if ((await store.loadMempool()).length !== 0) throw new Error('disk: mempool entries remain after every block committed');
    const families = familyFigures(await store.usage(), count);
    const levelStats = store.leveldbProperty('leveldb.stats');
    // Taken just before closing: a compaction that finishes in between shows as "not in the database".
    const liveTables = liveTableNumbers(store.leveldbProperty('leveldb.sstables'));
    await store.close();
    const files = fileKinds(dbPath, liveTables, count);
    const allocated = du(dbPath, false) - baseAllocated;
    const apparent = du(dbPath, true) - baseApparent;
    const perCommitment = allocated / count;

    store = await NodeStore.open(dbPath);
    const liveAfterRestart = liveTableNumbers(store.leveldbProperty('leveldb.sstables'));
    await store.close();
    const filesAfterRestart = fileKinds(dbPath, liveAfterRestart, count);
    const allocatedAfterRestart = du(dbPath, false) - baseAllocated;
    return {
      diskCommitments: count,
      diskBlocks: blocks,
      diskBytesPerCommitment: perCommitment,
      diskBytesPerCommitmentAfterRestart: allocatedAfterRestart / count,
      diskApparentBytesPerCommitment: apparent / count,
      commitmentTxBytes: txs[0].length,
      diskBytesPerCommitmentBeyondSigAndKey: perCommitment - SIGNATURE_SIZE - PUBLIC_KEY_SIZE,
      diskSignSeconds: signSeconds,
      diskCommitSeconds: commitSeconds,
      diskFamilies: families,
      diskFiles: files,
      diskFilesAfterRestart: filesAfterRestart,
      diskLevelStats: levelStats,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
