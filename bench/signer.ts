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
  /** The log's name: the worker commits to `<sender address>/<logId>`, tree size nonce + 1. */
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
    // Lines are decoded as they arrive: 50,000 transactions as one string would pass V8's
    // string length limit.
    const txs: Uint8Array[] = [];
    let partial = '';
    const err: Buffer[] = [];
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      try {
        for (const line of lines) txs.push(hexToBytes(line, 'tx'));
      } catch (e) {
        child.kill();
        reject(e);
      }
    });
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`sign-worker exited with ${code}: ${Buffer.concat(err).toString()}`));
      if (partial !== '' || txs.length !== job.txs.length) return reject(new Error(`sign-worker returned ${txs.length} transactions, expected ${job.txs.length}`));
      resolve(txs);
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
