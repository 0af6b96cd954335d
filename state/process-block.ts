// The block transition (docs/state.md "Applying a block", docs/block.md): `processBlock(pre,
// block)` checks a block against the committed chain before it and returns the changes it
// makes (accounts, logs, commitment-log leaves, ids), or why it cannot follow; `assembleBlock`
// is the proposer's side of the same rules. Pure and synchronous: no store, no clock (the
// proposer passes `nowMs`), no await. The one fact that lives only in the node's database,
// whether a piece of evidence was committed before, is asked of the caller through
// `isEvidenceCommitted`, which it answers from a lookup done beforehand.
//
// It sits above protocol/ (whose state rules, applyTx, it runs per transaction) because an
// anchor attestation is checked with anchor/'s pure Bitcoin verification, and protocol/
// imports nothing of ours.
import { checkAttestationPayload } from '../anchor/verify-attestation.ts';
import { BLOCK_EVIDENCE_MAX, blockHash, encodeBlock, evidenceRoot, txRoot, type Block, type BlockHeader } from '../protocol/block.ts';
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';
import { checkEvidence, decodeEvidence, evidenceKey } from '../protocol/evidence.ts';
import type { LogRecord, Logs } from '../protocol/log-state.ts';
import { leafHash, type MerkleFrontier } from '../protocol/merkle.ts';
import { applyTx, stateRoot, type Account, type Accounts } from '../protocol/state.ts';
import { checkReadTxSignature, commitmentLeaf, readTx, txSender, type AnchorAttestationPayload, type ReadTx, type SignedTx } from '../protocol/tx.ts';
import type { ValidatorSet } from '../protocol/validators.ts';

/** Room left in a block for the header and the list prefixes. */
export const HEADER_AND_FRAMING_BYTES = 4096;

/** The genesis parameters the block rules read. */
export interface BlockParams {
  minFee: bigint;
  blockTxsMax: number;
  blockBytesMax: number;
}

/** The committed chain a block is checked against. Read only: nothing in it is changed here. */
export interface PreState {
  chainId: string;
  params: BlockParams;
  validators: ValidatorSet;
  validatorSetHash: Uint8Array;
  /** The committed height (0 before the first block). */
  height: bigint;
  /** The last block's hash, or the genesis hash at height 0. */
  lastBlockHash: Uint8Array;
  /** The last block's time, or the genesis time at height 0. */
  lastTimeMs: bigint;
  accounts: ReadonlyMap<string, Account>;
  logs: ReadonlyMap<string, LogRecord>;
  /** The commitment log as committed: its size, and a copy of its frontier for the next root. */
  log: { readonly size: number; frontierCopy(): MerkleFrontier };
  /** Hashes of committed blocks, height 1 first: an attestation anchors one of them. */
  blockHashes: readonly Uint8Array[];
}

export interface TransitionHooks {
  /** Whether evidence with this key is in a committed block (looked up by the caller beforehand). */
  isEvidenceCommitted: (key: string) => boolean;
  /** Decodes and checks a transaction as admitTxBytes does; a node passes its own, which does each once per transaction. */
  admitTx?: (bytes: Uint8Array) => AdmittedTx | { error: string };
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

/** What a valid block changes: the post-state is the pre-state with these written over it. */
export interface Execution {
  block: Block;
  hashHex: string;
  /** The accounts the block changed or created, with their values after it. */
  touched: Accounts;
  /** The log records the block changed or created, with their values after it. */
  touchedLogs: Logs;
  /** Each commitment's place in its log's history, in block order. */
  logCommitments: LogCommitment[];
  newLogLeaves: Uint8Array[];
  commitmentIds: { txId: string; logIndex: number }[];
  txIds: string[];
  evidenceKeys: string[];
  attestations: { pantheonHeight: bigint; txId: string; bytes: Uint8Array }[];
}

export type SkippedHandler = (bytes: Uint8Array, error: string, kind: 'tx' | 'evidence') => void;

/** A decoded transaction whose chain id and signature were found good, and its id (hex). */
export interface AdmittedTx {
  tx: SignedTx;
  id: string;
}

/**
 * Decodes a transaction and checks its chain id and signature (a node passes its own check,
 * done once per transaction): why it is unusable, or the tx and its id.
 */
export function admitTxBytes(pre: Pick<PreState, 'chainId'>, bytes: Uint8Array, check: (bytes: Uint8Array, read: ReadTx) => AdmittedTx | { error: string } = (_, read) => checkRead(pre.chainId, read)): AdmittedTx | { error: string } {
  let read: ReadTx;
  try {
    read = readTx(bytes);
  } catch (err) {
    return { error: `malformed transaction: ${(err as Error).message}` };
  }
  return check(bytes, read);
}

/** The chain id and signature check of a transaction read from its bytes, and its id in hex. */
export function checkRead(chainId: string, read: ReadTx): AdmittedTx | { error: string } {
  const bad = checkReadTxSignature(read, chainId);
  return bad ? { error: bad } : admittedOf(read);
}

/** A transaction read from bytes whose chain id and signature were found good, as admitTxBytes answers it. */
export function admittedOf(read: ReadTx): AdmittedTx {
  return { tx: read.tx, id: bytesToHex(read.id) };
}

/** An attestation must anchor the hash of one of our committed blocks, by valid Bitcoin data. */
export function checkAttestation(pre: PreState, p: AnchorAttestationPayload): string | undefined {
  if (p.pantheonHeight < 1n || p.pantheonHeight > pre.height) return `height ${p.pantheonHeight} is not a committed height (the chain is at ${pre.height})`;
  if (!equalBytes(p.root, pre.blockHashes[Number(p.pantheonHeight) - 1])) return `root is not the hash of block ${p.pantheonHeight}`;
  return checkAttestationPayload(p, pre.chainId);
}

/** Why one piece of evidence cannot go into the next block (invalid, or committed already), or its key. */
export function checkOneEvidence(pre: PreState, bytes: Uint8Array, taken: ReadonlySet<string>, hooks: TransitionHooks): { key: string } | { error: string } {
  try {
    const e = decodeEvidence(bytes);
    const bad = checkEvidence(e, pre.chainId, pre.validators);
    if (bad) return { error: bad };
    const key = evidenceKey(e);
    if (taken.has(key) || hooks.isEvidenceCommitted(key)) return { error: 'already committed' };
    return { key };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** The keys of well-formed evidence in `evidence` (what a caller looks up before the transition). */
export function evidenceKeysOf(evidence: readonly Uint8Array[]): string[] {
  const keys: string[] = [];
  for (const bytes of evidence) {
    try {
      keys.push(evidenceKey(decodeEvidence(bytes)));
    } catch {
      // malformed: the transition refuses it with the decoder's message
    }
  }
  return keys;
}

/** Checks a block's evidence list: each valid, not yet committed, not repeated. */
function usableEvidence(pre: PreState, evidence: readonly Uint8Array[], hooks: TransitionHooks): { keys: string[]; error?: string } {
  const keys = new Set<string>();
  for (const [i, bytes] of evidence.entries()) {
    const r = checkOneEvidence(pre, bytes, keys, hooks);
    if ('error' in r) return { keys: [...keys], error: `evidence ${i}: ${r.error}` };
    keys.add(r.key);
  }
  return { keys: [...keys] };
}

/**
 * Runs transactions on a copy-on-write view of the pre-state's accounts and logs. With
 * `skipInvalid` (assembling) a bad transaction is left out and reported to `onSkipped`;
 * without it (processing) any bad transaction fails the block by throwing its reason.
 */
export function executeTxs(pre: PreState, txBytes: readonly Uint8Array[], proposer: Uint8Array, skipInvalid: boolean, hooks: TransitionHooks, onSkipped?: SkippedHandler) {
  // Only the accounts a transaction touches are copied in; the pre-state is never written.
  const touched: Accounts = new Map();
  const copyIn = (key: string) => {
    if (!touched.has(key)) {
      const base = pre.accounts.get(key);
      if (base) touched.set(key, { ...base });
    }
  };
  // Log records: the state rules replace a record rather than mutate it, so the view is a map over the base.
  const touchedLogs: Logs = new Map();
  const logView = new OverlayMap(pre.logs, touchedLogs);
  const logCommitments: LogCommitment[] = [];
  const included: Uint8Array[] = [];
  const txIds: string[] = [];
  const commitmentIds: { txId: string; logIndex: number }[] = [];
  const newLogLeaves: Uint8Array[] = [];
  const seen = new Set<string>();
  const attestations: Execution['attestations'] = [];
  for (const bytes of txBytes) {
    const admitted = hooks.admitTx ? hooks.admitTx(bytes) : admitTxBytes(pre, bytes);
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
      const bad = pre.validators.indexByAddress.has(bytesToHex(txSender(tx))) ? checkAttestation(pre, tx.payload) : 'only a validator may record an anchor attestation';
      if (bad) {
        fail(`anchor attestation: ${bad}`);
        continue;
      }
    }
    copyIn(bytesToHex(txSender(tx)));
    if (tx.payload.kind === 'transfer') copyIn(bytesToHex(tx.payload.to));
    copyIn(bytesToHex(proposer));
    const error = applyTx({ accounts: touched, logs: logView }, tx, { proposer, minFee: pre.params.minFee });
    if (error) {
      fail(error);
      continue;
    }
    seen.add(admitted.id);
    included.push(bytes);
    txIds.push(admitted.id);
    if (tx.payload.kind === 'anchorAttestation') attestations.push({ pantheonHeight: tx.payload.pantheonHeight, txId: admitted.id, bytes });
    if (tx.payload.kind === 'commitment') {
      commitmentIds.push({ txId: admitted.id, logIndex: pre.log.size + newLogLeaves.length });
      newLogLeaves.push(leafHash(commitmentLeaf(pre.chainId, bytes)));
      const record = logView.get(tx.payload.logId)!;
      logCommitments.push({ logId: tx.payload.logId, sequence: record.commitments - 1n, txId: admitted.id, treeSize: tx.payload.treeSize, root: tx.payload.root });
    }
  }
  const frontier = pre.log.frontierCopy();
  for (const leaf of newLogLeaves) frontier.append(leaf);
  const merged = new Map(pre.accounts);
  for (const [k, a] of touched) merged.set(k, a);
  const mergedLogs = new Map(pre.logs);
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
    logSize: BigInt(pre.log.size + newLogLeaves.length),
    stateRoot: stateRoot(pre.chainId, { accounts: merged, logs: mergedLogs }),
  };
}

/**
 * The proposer's block for the next height: evidence first (each checked once), then mempool
 * candidates in order within the block limits, bad ones skipped and reported to `onSkipped`
 * (left in the mempool, a transaction that can never be included would make every height
 * look busy).
 */
export function assembleBlock(pre: PreState, candidates: readonly Uint8Array[], evidence: readonly Uint8Array[], proposer: Uint8Array, nowMs: number, hooks: TransitionHooks, onSkipped?: SkippedHandler): Block {
  const params = pre.params;
  const usable: Uint8Array[] = [];
  const taken = new Set<string>();
  let bytes = 0;
  for (const e of evidence) {
    if (usable.length >= BLOCK_EVIDENCE_MAX || bytes + e.length + 4 > params.blockBytesMax / 2) break;
    const r = checkOneEvidence(pre, e, taken, hooks);
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
  const run = executeTxs(pre, limited, proposer, true, hooks, onSkipped);
  const header: BlockHeader = {
    chainId: pre.chainId,
    height: pre.height + 1n,
    timeMs: BigInt(Math.max(nowMs, Number(pre.lastTimeMs) + 1)),
    previousBlockHash: pre.lastBlockHash,
    txRoot: txRoot(pre.chainId, run.included),
    evidenceRoot: evidenceRoot(pre.chainId, usable),
    commitmentLogRoot: run.logRoot,
    commitmentLogSize: run.logSize,
    stateRoot: run.stateRoot,
    validatorSetHash: pre.validatorSetHash,
    proposer,
  };
  return { header, txs: run.included, evidence: usable };
}

/**
 * The transition: why `block` cannot follow `pre`, or the changes it makes. The caller checks
 * the body against the header first (checkBlockBody) and, for a live proposal, the clock.
 * `expectedProposer` is the proposer of the round, when the caller knows it.
 */
export function processBlock(pre: PreState, block: Block, hooks: TransitionHooks, expectedProposer?: Uint8Array): Execution | string {
  const h = block.header;
  const params = pre.params;
  if (h.chainId !== pre.chainId) return `chain id is "${h.chainId}", this chain is "${pre.chainId}"`;
  if (h.height !== pre.height + 1n) return `height ${h.height} does not follow ${pre.height}`;
  if (!equalBytes(h.previousBlockHash, pre.lastBlockHash)) return 'previousBlockHash is not the hash of our last block';
  if (!equalBytes(h.validatorSetHash, pre.validatorSetHash)) return 'validatorSetHash is not the genesis validator set';
  if (!pre.validators.indexByAddress.has(bytesToHex(h.proposer))) return 'proposer is not a validator';
  if (expectedProposer && !equalBytes(h.proposer, expectedProposer)) return 'proposer is not the proposer of this round';
  if (h.timeMs <= pre.lastTimeMs) return `block time ${h.timeMs} is not after the previous block time ${pre.lastTimeMs}`;
  if (block.txs.length > params.blockTxsMax) return `${block.txs.length} transactions exceed the limit of ${params.blockTxsMax}`;
  if (encodeBlock(block).length > params.blockBytesMax) return `block exceeds ${params.blockBytesMax} bytes`;
  const evidence = usableEvidence(pre, block.evidence, hooks);
  if (evidence.error) return evidence.error;
  let run;
  try {
    run = executeTxs(pre, block.txs, h.proposer, false, hooks);
  } catch (err) {
    return (err as Error).message;
  }
  if (!equalBytes(run.logRoot, h.commitmentLogRoot) || run.logSize !== h.commitmentLogSize) return 'commitmentLogRoot or commitmentLogSize does not match the transactions';
  if (!equalBytes(run.stateRoot, h.stateRoot)) return 'stateRoot does not match the state after the transactions';
  const hashHex = bytesToHex(blockHash(h));
  return { block, hashHex, touched: run.touched, touchedLogs: run.touchedLogs, logCommitments: run.logCommitments, newLogLeaves: run.newLogLeaves, commitmentIds: run.commitmentIds, txIds: run.txIds, evidenceKeys: evidence.keys, attestations: run.attestations };
}

/**
 * A map that reads through to `base` and writes to `writes` only: the copy-on-write view of the
 * log records during a block. The state rules replace records (never mutate them), so the base
 * stays untouched.
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
