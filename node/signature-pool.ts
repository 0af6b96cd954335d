// The CLI's signature checker for a whole-record audit (node/cli/record-audit.ts): worker threads verifying ML-DSA-65 with
// liboqs, one per core by default, while the main thread walks the record (parsing, hashing,
// links, payloads, checkpoints). Jobs go out in batches whose bytes are transferred, not
// copied; at most IN_FLIGHT_MAX jobs are queued, so memory stays bounded however long the
// record. Node-only (worker_threads): the browser page checks signatures in its own thread.
import { Worker } from 'node:worker_threads';
import type { SignatureJob } from '../oar/verify.ts';
import type { SignatureChecker, SignatureFailure } from '../light-client/verify-record.ts';

/** What one message to a worker carries: jobs packed into one transferable buffer. */
export interface SignatureBatch {
  id: number;
  keys: Uint8Array[];
  keyIndexes: Uint16Array;
  sequences: Float64Array;
  messageLengths: Uint32Array;
  signatureLengths: Uint32Array;
  /** message ‖ signature of each job, in order. */
  data: Uint8Array;
}

const BATCH_JOBS = 256;
/**
 * A worker holds one batch at a time and liboqs's WebAssembly memory: a small young generation
 * keeps each worker near 30 MB resident instead of 50, so the audit's memory bound holds with
 * more cores (measured in bench/audit.ts).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 };

/** About 4 MB of signatures and messages queued at most. */
const IN_FLIGHT_MAX = 1024;

interface Pending {
  worker: number;
  sequences: Float64Array;
  offsets: number[];
}

export class WorkerSignaturePool implements SignatureChecker {
  readonly description: string;
  private batch: SignatureJob[] = [];
  private nextId = 0;
  private inFlight = 0;
  private readonly load: number[];
  private readonly pending = new Map<number, Pending>();
  private lowest?: SignatureFailure;
  private error?: Error;
  private readyWaiters: (() => void)[] = [];
  private settleWaiters: { resolve: (f: SignatureFailure | undefined) => void; reject: (e: Error) => void }[] = [];

  private constructor(private readonly workers: Worker[], impls: string[]) {
    this.load = workers.map(() => 0);
    const impl = [...new Set(impls)].join(', ');
    this.description = `ML-DSA-65 (${impl}) in ${workers.length} worker thread${workers.length === 1 ? '' : 's'}`;
    workers.forEach((w, i) => {
      w.on('message', (m: { id: number; failures: number[] }) => this.onResult(i, m));
      w.on('error', (err) => this.onError(err));
      w.on('exit', (code) => code !== 0 && this.onError(new Error(`a signature worker exited with code ${code}`)));
    });
  }

  /** Starts `threads` workers and waits until each has loaded its verifier. */
  static async start(threads: number): Promise<WorkerSignaturePool> {
    // The worker is a sibling file: .ts under tsx (its loader is inherited through execArgv), .js in dist/.
    const url = new URL(import.meta.url.endsWith('.ts') ? './signature-worker.ts' : './signature-worker.js', import.meta.url);
    const workers = Array.from({ length: threads }, () => new Worker(url, { resourceLimits: WORKER_LIMITS }));
    try {
      const impls = await Promise.all(
        workers.map(
          (w) =>
            new Promise<string>((resolve, reject) => {
              w.once('message', (m: { ready: boolean; impl: string }) => resolve(m.impl));
              w.once('error', reject);
            }),
        ),
      );
      return new WorkerSignaturePool(workers, impls);
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
  }

  submit(job: SignatureJob): void {
    if (this.lowest && this.lowest.sequence < job.sequence) return; // a lower one already failed
    this.batch.push(job);
    if (this.batch.length >= BATCH_JOBS) this.flush();
  }

  ready(): Promise<void> | undefined {
    if (this.inFlight < IN_FLIGHT_MAX || this.error) return undefined;
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  failed(): SignatureFailure | undefined {
    return this.lowest;
  }

  settle(): Promise<SignatureFailure | undefined> {
    this.flush();
    if (this.error) return Promise.reject(this.error);
    if (this.inFlight === 0) return Promise.resolve(this.lowest);
    return new Promise((resolve, reject) => this.settleWaiters.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private flush(): void {
    const jobs = this.batch;
    if (jobs.length === 0) return;
    this.batch = [];
    const keys: Uint8Array[] = [];
    const keyIndexes = new Uint16Array(jobs.length);
    const sequences = new Float64Array(jobs.length);
    const messageLengths = new Uint32Array(jobs.length);
    const signatureLengths = new Uint32Array(jobs.length);
    let total = 0;
    jobs.forEach((j, i) => {
      // The key in force changes only at a key change: compare by identity first, it is the same object.
      let k = keys.findIndex((key) => key === j.publicKey);
      if (k < 0) k = keys.push(j.publicKey) - 1;
      keyIndexes[i] = k;
      sequences[i] = j.sequence;
      messageLengths[i] = j.prefix.length + j.body.length;
      signatureLengths[i] = j.signature.length;
      total += messageLengths[i] + j.signature.length;
    });
    // prefix ‖ body ‖ signature of each job, written once into the buffer the worker receives.
    const data = new Uint8Array(total);
    let at = 0;
    for (const j of jobs) {
      data.set(j.prefix, at);
      at += j.prefix.length;
      data.set(j.body, at);
      at += j.body.length;
      data.set(j.signature, at);
      at += j.signature.length;
    }
    const id = this.nextId++;
    let worker = 0;
    for (let i = 1; i < this.load.length; i++) if (this.load[i] < this.load[worker]) worker = i;
    this.load[worker] += jobs.length;
    this.inFlight += jobs.length;
    this.pending.set(id, { worker, sequences, offsets: jobs.map((j) => j.offset) });
    const batch: SignatureBatch = { id, keys: keys.map((k) => k.slice()), keyIndexes, sequences, messageLengths, signatureLengths, data };
    this.workers[worker].postMessage(batch, [data.buffer, keyIndexes.buffer, messageLengths.buffer, signatureLengths.buffer]);
  }

  private onResult(worker: number, m: { id: number; failures: number[] }): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    this.load[worker] -= p.sequences.length;
    this.inFlight -= p.sequences.length;
    for (const i of m.failures) {
      const sequence = p.sequences[i];
      if (!this.lowest || sequence < this.lowest.sequence) this.lowest = { sequence, offset: p.offsets[i] };
    }
    if (this.inFlight < IN_FLIGHT_MAX / 2) for (const wake of this.readyWaiters.splice(0)) wake();
    if (this.inFlight === 0) for (const w of this.settleWaiters.splice(0)) w.resolve(this.lowest);
  }

  private onError(err: Error): void {
    this.error ??= err;
    for (const wake of this.readyWaiters.splice(0)) wake();
    for (const w of this.settleWaiters.splice(0)) w.reject(err);
  }
}
