// The chain as the node holds it: the last committed header, accounts and the commitment
// log, plus the rules for building, validating and committing the next block. Validity is a
// pure function of (chain, block); a result is cached by block hash so commit reuses it.
import { BLOCK_EVIDENCE_MAX, blockHash, checkBlockBody, decodeBlock, encodeBlock, evidenceRoot, txRoot, type Block, type BlockHeader } from '../protocol/block.ts';
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';
import { checkEvidence, decodeEvidence, evidenceKey } from '../protocol/evidence.ts';
import { leafHash } from '../protocol/merkle.ts';
import { CommitmentLog } from './commitment-log.ts';
import { applyTx, stateRoot, type Account, type Accounts } from '../protocol/state.ts';
import type { LogRecord, Logs } from '../protocol/log-state.ts';
import { checkTxSignature, commitmentLeaf, decodeTx, txId, txSender, type SignedTx } from '../protocol/tx.ts';
import type { ValidatorSet } from '../protocol/validators.ts';
import { genesisAccounts, genesisHash, genesisValidatorSet, genesisValidatorSetHash, type Genesis } from '../genesis/genesis.ts';
import type { NodeStore } from './store.ts';
import { checkAttestationPayload } from '../anchor/verify-attestation.ts';
import { sha256 } from '../protocol/hash.ts';

/** Room left in a block for the header and the list prefixes. */
const HEADER_AND_FRAMING_BYTES = 4096;
/** How far a proposed block's time may run ahead of our clock. */
export const BLOCK_TIME_DRIFT_MS_MAX = 10_000;
const VERIFIED_CACHE_MAX = 200_000;
const EXECUTION_CACHE_MAX = 64;

export interface Execution {
  block: Block;
  hashHex: string;
  touched: Accounts;
  touchedLogs: Logs;
  /** Each commitment's place in its log's history, in block order. */
  logCommitments: LogCommitment[];
  newLogLeaves: Uint8Array[];
  commitmentIds: { txId: string; logIndex: number }[];
  txIds: string[];
  evidenceKeys: string[];
  attestations: { pantheonHeight: bigint; txId: string; bytes: Uint8Array }[];
}

/** One committed commitment as a log's history lists it (docs/api.md, GET /v1/log). */
export interface LogCommitment {
  logId: string;
  /** 0 for the log's first commitment. */
  sequence: bigint;
  txId: string;
  treeSize: bigint;
  root: Uint8Array;
}

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
  /** Transaction ids whose signature has been checked once already (mempool or block). */
  private readonly verified = new Set<string>();
  private readonly executions = new Map<string, Execution | string>();
  /** Told how long each commit took, in seconds (the node's block-commit histogram). */
  commitSecondsObserver: ((seconds: number) => void) | undefined;

  private constructor(
    readonly genesis: Genesis,
    private readonly store: NodeStore,
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

  static async load(genesis: Genesis, store: NodeStore): Promise<Chain> {
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

  /** Decodes a transaction and checks its signature once per id; why it is unusable, or the tx. */
  admitTx(bytes: Uint8Array): { tx: SignedTx; id: string } | { error: string } {
    let tx: SignedTx;
    try {
      tx = decodeTx(bytes);
    } catch (err) {
      return { error: `malformed transaction: ${(err as Error).message}` };
    }
    const bad = this.checkSignatureOnce(bytes, tx);
    return bad ? { error: bad } : { tx, id: bytesToHex(txId(tx)) };
  }

  /** The chain id and signature check of a decoded transaction, done once per signed bytes. */
  checkSignatureOnce(bytes: Uint8Array, tx: SignedTx): string | undefined {
    // Keyed by the hash of the whole signed bytes: the id does not cover the signature, so a
    // copy with a corrupted signature must not inherit the original's verdict.
    const verifiedKey = bytesToHex(sha256(bytes));
    if (this.verified.has(verifiedKey)) return undefined;
    const bad = checkTxSignature(tx, this.chainId);
    if (bad) return bad;
    if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.clear();
    this.verified.add(verifiedKey);
    return undefined;
  }

  /**
   * Runs transactions on a copy-on-write view of the accounts. With `skipInvalid` (building)
   * a bad transaction is left out; without it (validating) any bad transaction fails the block.
   */
  private execute(txBytes: readonly Uint8Array[], proposer: Uint8Array, skipInvalid: boolean, onSkipped?: (bytes: Uint8Array, error: string, kind: 'tx' | 'evidence') => void) {
    // Only the accounts a transaction touches are copied in; the base stays untouched until commit.
    const touched: Accounts = new Map();
    const copyIn = (key: string) => {
      if (!touched.has(key)) {
        const base = this.accounts.get(key);
        if (base) touched.set(key, { ...base });
      }
    };
    // Log records: the state rules replace a record rather than mutate it, so the view is a map over the base.
    const touchedLogs: Logs = new Map();
    const logView = new OverlayMap(this.logs, touchedLogs);
    const logCommitments: LogCommitment[] = [];
    const included: Uint8Array[] = [];
    const txIds: string[] = [];
    const commitmentIds: { txId: string; logIndex: number }[] = [];
    const newLogLeaves: Uint8Array[] = [];
    const seen = new Set<string>();
    const attestations: Execution['attestations'] = [];
    for (const bytes of txBytes) {
      const admitted = this.admitTx(bytes);
      const fail = (error: string) => {
        if (!skipInvalid) throw new Error(`transaction ${txIds.length}: ${error}`);
        onSkipped?.(bytes, error, 'tx');
      };
      if ('error' in admitted) {
        fail(admitted.error);
        continue;
      }
      if (seen.has(admitted.id)) {
        fail('duplicate transaction in block');
        continue;
      }
      const { tx } = admitted;
      if (tx.payload.kind === 'anchorAttestation') {
        // Only validators record anchors (the light client never trusts them, but nodes without a
        // Bitcoin view serve them; a later attestation of a height replaces the earlier one,
        // which is how an anchor moves after a Bitcoin reorg).
        const bad = this.validators.indexByAddress.has(bytesToHex(txSender(tx))) ? this.checkAttestation(tx.payload) : 'only a validator may record an anchor attestation';
        if (bad) {
          fail(`anchor attestation: ${bad}`);
          continue;
        }
      }
      copyIn(bytesToHex(txSender(tx)));
      if (tx.payload.kind === 'transfer') copyIn(bytesToHex(tx.payload.to));
      copyIn(bytesToHex(proposer));
      const error = applyTx({ accounts: touched, logs: logView }, tx, { proposer, minFee: this.genesis.params.minFee });
      if (error) {
        fail(error);
        continue;
      }
      seen.add(admitted.id);
      included.push(bytes);
      txIds.push(admitted.id);
      if (tx.payload.kind === 'anchorAttestation') attestations.push({ pantheonHeight: tx.payload.pantheonHeight, txId: admitted.id, bytes });
      if (tx.payload.kind === 'commitment') {
        commitmentIds.push({ txId: admitted.id, logIndex: this.log.size + newLogLeaves.length });
        newLogLeaves.push(leafHash(commitmentLeaf(this.chainId, bytes)));
        const record = logView.get(tx.payload.logId)!;
        logCommitments.push({ logId: tx.payload.logId, sequence: record.commitments - 1n, txId: admitted.id, treeSize: tx.payload.treeSize, root: tx.payload.root });
      }
    }
    const frontier = this.log.frontierCopy();
    for (const leaf of newLogLeaves) frontier.append(leaf);
    const merged = new Map(this.accounts);
    for (const [k, a] of touched) merged.set(k, a);
    const mergedLogs = new Map(this.logs);
    for (const [k, r] of touchedLogs) mergedLogs.set(k, r);
    return {
      included,
      txIds,
      commitmentIds,
      newLogLeaves,
      attestations,
      touched,
      touchedLogs,
      logCommitments,
      logRoot: frontier.root(),
      logSize: BigInt(frontier.size),
      stateRoot: stateRoot(this.chainId, { accounts: merged, logs: mergedLogs }),
    };
  }

  /** An attestation must anchor the hash of one of our committed blocks, by valid Bitcoin data. */
  private checkAttestation(p: import('../protocol/tx.ts').AnchorAttestationPayload): string | undefined {
    if (p.pantheonHeight < 1n || p.pantheonHeight > this.height) return `height ${p.pantheonHeight} is not a committed height (the chain is at ${this.height})`;
    if (!equalBytes(p.root, this.blockHashes[Number(p.pantheonHeight) - 1])) return `root is not the hash of block ${p.pantheonHeight}`;
    return checkAttestationPayload(p, this.chainId);
  }

  /** Why one piece of evidence cannot go into the next block (invalid, or committed already), or its key. */
  private async checkOneEvidence(bytes: Uint8Array, taken: ReadonlySet<string>): Promise<{ key: string } | { error: string }> {
    try {
      const e = decodeEvidence(bytes);
      const bad = checkEvidence(e, this.chainId, this.validators);
      if (bad) return { error: bad };
      const key = evidenceKey(e);
      if (taken.has(key) || (await this.store.hasEvidence(key))) return { error: 'already committed' };
      return { key };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  /** Checks a block's evidence list: each valid, not yet committed, not repeated. */
  private async usableEvidence(evidence: readonly Uint8Array[]): Promise<{ keys: string[]; error?: string }> {
    const keys = new Set<string>();
    for (const [i, bytes] of evidence.entries()) {
      const r = await this.checkOneEvidence(bytes, keys);
      if ('error' in r) return { keys: [...keys], error: `evidence ${i}: ${r.error}` };
      keys.add(r.key);
    }
    return { keys: [...keys] };
  }

  /**
   * The proposer's block for the next height: mempool candidates in order, bad ones skipped
   * (and reported to `onSkipped`, so the caller can drop them: left in the mempool, a
   * transaction that can never be included would make every height look busy).
   */
  async buildBlock(candidates: readonly Uint8Array[], evidence: readonly Uint8Array[], proposer: Uint8Array, nowMs: number, onSkipped?: (bytes: Uint8Array, error: string, kind: 'tx' | 'evidence') => void): Promise<Block> {
    const params = this.genesis.params;
    // Evidence first (each checked once), then transactions in the bytes that are left.
    const usable: Uint8Array[] = [];
    const taken = new Set<string>();
    let bytes = 0;
    for (const e of evidence) {
      if (usable.length >= BLOCK_EVIDENCE_MAX || bytes + e.length + 4 > params.blockBytesMax / 2) break;
      const r = await this.checkOneEvidence(e, taken);
      if ('error' in r) {
        onSkipped?.(e, r.error, 'evidence');
        continue;
      }
      taken.add(r.key);
      usable.push(e);
      bytes += e.length + 4;
    }
    const limited: Uint8Array[] = [];
    for (const tx of candidates) {
      if (limited.length >= params.blockTxsMax || bytes + tx.length + 4 > params.blockBytesMax - HEADER_AND_FRAMING_BYTES) break;
      limited.push(tx);
      bytes += tx.length + 4;
    }
    const run = this.execute(limited, proposer, true, onSkipped);
    const lastTime = this.lastHeader?.timeMs ?? this.genesis.genesisTimeMs;
    const header: BlockHeader = {
      chainId: this.chainId,
      height: this.height + 1n,
      timeMs: BigInt(Math.max(nowMs, Number(lastTime) + 1)),
      previousBlockHash: this.lastBlockHash,
      txRoot: txRoot(this.chainId, run.included),
      evidenceRoot: evidenceRoot(this.chainId, usable),
      commitmentLogRoot: run.logRoot,
      commitmentLogSize: run.logSize,
      stateRoot: run.stateRoot,
      validatorSetHash: this.validatorSetHash,
      proposer,
    };
    return { header, txs: run.included, evidence: usable };
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
    const verdict = await this.checkBlock(block, hashHex, { proposer: options.proposer });
    if (this.executions.size >= EXECUTION_CACHE_MAX) this.executions.delete(this.executions.keys().next().value!);
    this.executions.set(hashHex, verdict);
    return typeof verdict === 'string' ? verdict : undefined;
  }

  private async checkBlock(block: Block, hashHex: string, options: { proposer?: Uint8Array }): Promise<Execution | string> {
    const h = block.header;
    const params = this.genesis.params;
    if (h.chainId !== this.chainId) return `chain id is "${h.chainId}", this chain is "${this.chainId}"`;
    if (h.height !== this.height + 1n) return `height ${h.height} does not follow ${this.height}`;
    if (!equalBytes(h.previousBlockHash, this.lastBlockHash)) return 'previousBlockHash is not the hash of our last block';
    if (!equalBytes(h.validatorSetHash, this.validatorSetHash)) return 'validatorSetHash is not the genesis validator set';
    if (!this.validators.indexByAddress.has(bytesToHex(h.proposer))) return 'proposer is not a validator';
    if (options.proposer && !equalBytes(h.proposer, options.proposer)) return 'proposer is not the proposer of this round';
    const lastTime = this.lastHeader?.timeMs ?? this.genesis.genesisTimeMs;
    if (h.timeMs <= lastTime) return `block time ${h.timeMs} is not after the previous block time ${lastTime}`;
    if (block.txs.length > params.blockTxsMax) return `${block.txs.length} transactions exceed the limit of ${params.blockTxsMax}`;
    if (encodeBlock(block).length > params.blockBytesMax) return `block exceeds ${params.blockBytesMax} bytes`;
    const evidence = await this.usableEvidence(block.evidence);
    if (evidence.error) return evidence.error;
    let run;
    try {
      run = this.execute(block.txs, h.proposer, false);
    } catch (err) {
      return (err as Error).message;
    }
    if (!equalBytes(run.logRoot, h.commitmentLogRoot) || run.logSize !== h.commitmentLogSize) return 'commitmentLogRoot or commitmentLogSize does not match the transactions';
    if (!equalBytes(run.stateRoot, h.stateRoot)) return 'stateRoot does not match the state after the transactions';
    return { block, hashHex, touched: run.touched, touchedLogs: run.touchedLogs, logCommitments: run.logCommitments, newLogLeaves: run.newLogLeaves, commitmentIds: run.commitmentIds, txIds: run.txIds, evidenceKeys: evidence.keys, attestations: run.attestations };
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

/**
 * A map that reads through to `base` and writes to `writes` only: the copy-on-write view of the
 * log records during a block. The state rules replace records (never mutate them), so the base
 * stays untouched until commit.
 */
class OverlayMap<K, V> extends Map<K, V> {
  constructor(
    private readonly base: ReadonlyMap<K, V>,
    private readonly writes: Map<K, V>,
  ) {
    super();
  }

  override get(key: K): V | undefined {
    return this.writes.has(key) ? this.writes.get(key) : this.base.get(key);
  }

  override has(key: K): boolean {
    return this.writes.has(key) || this.base.has(key);
  }

  override set(key: K, value: V): this {
    this.writes.set(key, value);
    return this;
  }
}
