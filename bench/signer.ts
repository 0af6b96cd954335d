// Pre-signs commitment transactions across every core (one child process per core running
// sign-worker.ts). ML-DSA-65 signing costs milliseconds, so the benchmarks sign before they
// start the clock.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { join } from 'node:path';
import { hexToBytes } from '../protocol/bytes.ts';

export interface SignJobTx {
  seedHex: string;
  nonce: string;
  logId: string;
}

export interface SignJob {
  chainId: string;
  fee: string;
  txs: SignJobTx[];
}

function runWorker(job: SignJob): Promise<Uint8Array[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'sign-worker.ts')], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`sign-worker exited with ${code}: ${Buffer.concat(err).toString()}`));
      const lines = Buffer.concat(out).toString('utf8').trim().split('\n').filter(Boolean);
      if (lines.length !== job.txs.length) return reject(new Error(`sign-worker returned ${lines.length} transactions, expected ${job.txs.length}`));
      resolve(lines.map((l) => hexToBytes(l, 'tx')));
    });
    child.stdin.end(JSON.stringify(job));
  });
}

/** Signs every transaction; the result is in the order of `txs`. */
export async function signCommitments(chainId: string, fee: bigint, txs: SignJobTx[], workers = os.availableParallelism()): Promise<Uint8Array[]> {
  const n = Math.max(1, Math.min(workers, Math.ceil(txs.length / 50)));
  const size = Math.ceil(txs.length / n);
  const parts = await Promise.all(Array.from({ length: n }, (_, i) => runWorker({ chainId, fee: fee.toString(), txs: txs.slice(i * size, (i + 1) * size) })));
  return parts.flat();
}
