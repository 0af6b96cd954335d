// The chain as the node holds it: the last committed header, accounts and the commitment
// log, the store they are kept in, and the caches around the pure block transition
// (state/process-block.ts): a verdict is cached by block hash so commit reuses it.
import { blockHash, checkBlockBody, decodeBlock, encodeBlock, type Block, type BlockHeader } from '../protocol/block.ts';
import { bytesToHex } from '../protocol/bytes.ts';
import { CommitmentLog } from './commitment-log.ts';
import type { Account, Accounts } from '../protocol/state.ts';
import type { LogRecord, Logs } from '../protocol/log-state.ts';
import type { ReadTx } from '../protocol/tx.ts';
import type { ValidatorSet } from '../protocol/validators.ts';
import { genesisAccounts, genesisHash, genesisValidatorSet, genesisValidatorSetHash, type Genesis } from '../genesis/genesis.ts';
import type { BlockStore } from './ports.ts';
import { sha256 } from '../protocol/hash.ts';
import { admittedOf, admitTxBytes, assembleBlock, checkRead, evidenceKeysOf, processBlock, type Execution, type AdmittedTx, type LogCommitment, type PreState, type SkippedHandler, type TransitionHooks } from '../state/process-block.ts';

/** How far a proposed block's time may run ahead of our clock. */
export const BLOCK_TIME_DRIFT_MS_MAX = 10_000;
const VERIFIED_CACHE_MAX = 200_000;
const EXECUTION_CACHE_MAX = 64;

export type { Execution, LogCommitment };

export class Chain {
  readonly chainId: string;
  readonly validators: ValidatorSet;
  readonly validatorSetHash: Uint8Array;
  readonly genesisHash: Uint8Array;
  height = 0n;
  lastHeader: BlockHeader | undefined;
  private readonly accounts: Accounts;
  /** Every log's record (docs/state.md, "Logs"). */
  private readonly logs: Logs;
  /** The commitment log: its root in O(log n), and inclusion proofs from cached subtrees. */
  readonly log: CommitmentLog;
  /** Hashes of committed blocks, height 1 first: attestations are checked against them. */
  private blockHashes: Uint8Array[] = [];
  /** Hashes of the signed bytes of transactions whose signature has been checked (mempool or block). */
  private readonly verified = new Set<string>();
  /**
   * Bytes objects decoded and found good, by identity, held weakly: an entry goes with its
   * bytes. Identity, not content: a tampered copy is another object and is checked afresh.
   */
  private readonly admitted = new WeakMap<Uint8Array, AdmittedTx>();
  private readonly executions = new Map<string, Execution | string>();
  /** Told how long each commit took, in seconds (the node's block-commit histogram). */
  commitSecondsObserver: ((seconds: number) => void) | undefined;

  private constructor(
    readonly genesis: Genesis,
    private readonly store: BlockStore,
    accounts: Accounts,
    logs: Logs,
    logLeaves: Uint8Array[],
  ) {
    this.chainId = genesis.chainId;
    this.validators = genesisValidatorSet(genesis);
    this.validatorSetHash = genesisValidatorSetHash(genesis);
    this.genesisHash = genesisHash(genesis);
    this.accounts = accounts;
    this.logs = logs;
    this.log = new CommitmentLog(logLeaves);
  }

  static async load(genesis: Genesis, store: BlockStore): Promise<Chain> {
    await store.initGenesis(genesisAccounts(genesis), bytesToHex(genesisHash(genesis)));
    const chain = new Chain(genesis, store, await store.loadAccounts(), await store.loadLogRecords(), await store.loadLogLeaves());
    chain.height = await store.height();
    chain.blockHashes = await store.loadBlockHashes();
    if (chain.height > 0n) {
      chain.lastHeader = decodeBlock((await store.block(chain.height))!).header;
    }
    return chain;
  }

  get lastBlockHash(): Uint8Array {
    return this.lastHeader ? blockHash(this.lastHeader) : this.genesisHash;
  }

  storedBlock(height: bigint): Promise<Uint8Array | undefined> {
    return this.store.block(height);
  }

  storedCertificate(height: bigint): Promise<Uint8Array | undefined> {
    return this.store.certificate(height);
  }

  account(addressHex: string): Account | undefined {
    const a = this.accounts.get(addressHex);
    return a && { ...a };
  }

  /** The committed record of a log (read-only). */
  logRecord(logId: string): LogRecord | undefined {
    return this.logs.get(logId);
  }

  /** The committed log records, for checks against the committed state (read-only). */
  get committedLogs(): ReadonlyMap<string, LogRecord> {
    return this.logs;
  }

  /**
   * Decodes a transaction and checks its chain id and signature, each once per transaction:
   * why it is unusable, or the tx and its id. The bytes object the mempool holds comes back
   * here when a block built from the mempool is checked, and is then neither decoded nor hashed.
   */
  admitTx(bytes: Uint8Array): AdmittedTx | { error: string } {
    return this.admitted.get(bytes) ?? admitTxBytes(this, bytes, (b, read) => this.checkSignatureOnce(b, read));
  }

  /**
   * The chain id and signature check of a transaction read from `bytes`, done once per signed
   * bytes; a good one is remembered by its bytes object (see admitTx).
   */
  checkSignatureOnce(bytes: Uint8Array, read: ReadTx): AdmittedTx | { error: string } {
    // Keyed by the hash of the whole signed bytes: the id does not cover the signature, so a
    // copy with a corrupted signature must not inherit the original's verdict.
    const verifiedKey = bytesToHex(sha256(bytes));
    const known = this.verified.has(verifiedKey);
    const admitted = known ? admittedOf(read) : checkRead(this.chainId, read);
    if ('error' in admitted) return admitted;
    if (!known) {
      if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.clear();
      this.verified.add(verifiedKey);
    }
    this.admitted.set(bytes, admitted);
    return admitted;
  }

  /** The committed chain as the pure transition reads it (state/process-block.ts). */
  private preState(): PreState {
    return {
      chainId: this.chainId,
      params: this.genesis.params,
      validators: this.validators,
      validatorSetHash: this.validatorSetHash,
      height: this.height,
      lastBlockHash: this.lastBlockHash,
      lastTimeMs: this.lastHeader?.timeMs ?? this.genesis.genesisTimeMs,
      accounts: this.accounts,
      logs: this.logs,
      log: this.log,
      blockHashes: this.blockHashes,
    };
  }

  /**
   * The transition's hooks: this node's signature cache, and which of `evidence` the store
   * holds as committed (the one store lookup, done before the pure transition runs).
   */
  private async hooksFor(evidence: readonly Uint8Array[]): Promise<TransitionHooks> {
    const committed = new Set<string>();
    for (const key of evidenceKeysOf(evidence)) if (await this.store.hasEvidence(key)) committed.add(key);
    return { isEvidenceCommitted: (key) => committed.has(key), admitTx: (bytes) => this.admitTx(bytes) };
  }

  /**
   * The proposer's block for the next height: mempool candidates in order, bad ones skipped
   * (and reported to `onSkipped`, so the caller can drop them: left in the mempool, a
   * transaction that can never be included would make every height look busy).
   */
  async buildBlock(candidates: readonly Uint8Array[], evidence: readonly Uint8Array[], proposer: Uint8Array, nowMs: number, onSkipped?: SkippedHandler): Promise<Block> {
    return assembleBlock(this.preState(), candidates, evidence, proposer, nowMs, await this.hooksFor(evidence), onSkipped);
  }

  /**
   * Why `block` cannot be the next block, or undefined when it can. `nowMs` bounds the block
   * time for live proposals; blocks from sync carry a certificate and skip the clock check.
   */
  async validateBlock(block: Block, options: { proposer?: Uint8Array; nowMs?: number } = {}): Promise<string | undefined> {
    // The body is checked against the header before the cache (keyed by header hash) is read
    // or written: a tampered copy of a block must never decide the verdict of the real one.
    const body = checkBlockBody(block);
    if (body) return body;
    // The clock check depends on this node's clock, so its verdict is never cached: a node
    // with a slow clock must still commit the block once the others have decided it.
    if (options.nowMs !== undefined && block.header.timeMs > BigInt(options.nowMs + BLOCK_TIME_DRIFT_MS_MAX)) {
      return `block time ${block.header.timeMs} is more than ${BLOCK_TIME_DRIFT_MS_MAX} ms in the future`;
    }
    const hashHex = bytesToHex(blockHash(block.header));
    const cached = this.executions.get(hashHex);
    if (cached !== undefined) return typeof cached === 'string' ? cached : undefined;
    const verdict = processBlock(this.preState(), block, await this.hooksFor(block.evidence), options.proposer);
    if (this.executions.size >= EXECUTION_CACHE_MAX) this.executions.delete(this.executions.keys().next().value!);
    this.executions.set(hashHex, verdict);
    return typeof verdict === 'string' ? verdict : undefined;
  }

  /** Commits a validated block with its certificate: one synced batch, then memory. */
  async commit(block: Block, certificateBytes: Uint8Array): Promise<Execution> {
    const startedMs = performance.now();
    const error = await this.validateBlock(block);
    if (error) throw new Error(`cannot commit block ${block.header.height}: ${error}`);
    const run = this.executions.get(bytesToHex(blockHash(block.header))) as Execution;
    await this.store.commitBlock({
      height: block.header.height,
      blockBytes: encodeBlock(run.block),
      certificateBytes,
      blockHashHex: run.hashHex,
      txIds: run.txIds,
      commitmentIds: run.commitmentIds,
      newLogLeaves: run.newLogLeaves,
      firstLogIndex: this.log.size,
      changedAccounts: run.touched,
      changedLogs: run.touchedLogs,
      logCommitments: run.logCommitments,
      evidenceKeys: run.evidenceKeys,
      attestations: run.attestations,
    });
    this.blockHashes.push(blockHash(block.header));
    for (const [k, a] of run.touched) this.accounts.set(k, a);
    for (const [k, r] of run.touchedLogs) this.logs.set(k, r);
    for (const leaf of run.newLogLeaves) {
      this.log.append(leaf);
    }
    this.height = block.header.height;
    this.lastHeader = block.header;
    this.executions.clear();
    this.commitSecondsObserver?.((performance.now() - startedMs) / 1000);
    return run;
  }
}
