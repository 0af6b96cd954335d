// `pantheon verify record.oar`: the whole-record audit in a terminal (docs/record-audit.md).
// Streams the file (one frame in memory at a time), verifies entry signatures with liboqs in
// worker threads (one per core unless --threads says otherwise) and everything else in this
// thread, with SHA-256 from OpenSSL and the commitment bundles' signatures through liboqs too;
// shows progress on a terminal; prints the same report as verify.html. Node-only.
import { createReadStream, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { installFastCrypto, liboqsVerifier } from '../fast-crypto.ts';
import { printJson } from './command.ts';
import { auditRecord, inlineSignatureChecker, recordReportText, type RecordAuditOptions, type RecordAuditResult, type SignatureChecker } from '../../light-client/verify-record.ts';
import { WorkerSignaturePool } from '../signature-pool.ts';
import { jobMessage } from '../../oar/verify.ts';

export interface RecordCliOptions {
  json: boolean;
  /** Worker threads for signatures; 0 verifies in the main thread. */
  threads?: number;
  progress: boolean;
}

export function defaultThreads(): number {
  return availableParallelism();
}

/** Audits the record file; prints the report; returns the exit code (0 only when every check passed). */
export async function runRecordAudit(path: string, verifyOptions: RecordAuditOptions, cli: RecordCliOptions): Promise<number> {
  const result = await auditRecordFile(path, verifyOptions, cli.threads ?? defaultThreads(), cli.progress);
  if (cli.json) printJson(recordResultJson(result));
  else process.stdout.write(recordReportText(result));
  return result.ok ? 0 : 1;
}

export async function auditRecordFile(path: string, options: RecordAuditOptions, threads: number, showProgress = false): Promise<RecordAuditResult> {
  await installFastCrypto();
  let checker: SignatureChecker;
  let pool: WorkerSignaturePool | undefined;
  if (threads > 0) checker = pool = await WorkerSignaturePool.start(threads);
  else {
    const verify = await liboqsVerifier();
    checker = inlineSignatureChecker((j) => verify(j.signature, jobMessage(j), j.publicKey), 'ML-DSA-65 (liboqs), in the main thread');
  }
  const totalBytes = statSync(path).size;
  const startMs = performance.now();
  let lastShownMs = 0;
  const show = (entries: number, bytes: number, done = false) => {
    const now = performance.now();
    if (!done && now - lastShownMs < 250) return;
    lastShownMs = now;
    const rate = entries / Math.max((now - startMs) / 1000, 1e-3);
    process.stderr.write(`\raudit: ${entries.toLocaleString('en-US')} entries, ${((100 * bytes) / Math.max(totalBytes, 1)).toFixed(1)} % of ${(totalBytes / 1e6).toFixed(1)} MB, ${Math.round(rate).toLocaleString('en-US')} entries/s${done ? '\n' : ''}`);
  };
  try {
    const result = await auditRecord(createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array>, {
      ...options,
      signatures: checker,
      totalBytes,
      onProgress: showProgress ? (p) => show(p.entries, p.bytes) : undefined,
    });
    if (showProgress) show(result.entries, result.bytes, true);
    return result;
  } finally {
    await pool?.close();
  }
}

/** The --json form: the result as is, with the verdict first. */
export function recordResultJson(r: RecordAuditResult): Record<string, unknown> {
  const { ok, failure, summary, ...counts } = r;
  return { ok, kind: 'record', failure: failure ?? null, summary, ...counts };
}
