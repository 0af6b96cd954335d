// auditRecord: a whole Open Audit Record audited offline (docs/record-audit.md). The record is
// walked once, front to back, by the record verifier (oar/verify.ts: sequence numbers, links,
// times, every signature with the key in force, payloads, outcomes after their intents,
// checkpoint roots recomputed from the entries); each commitment bundle stored in the record is
// verified by verifyBundle down to Bitcoin and must commit this log at that checkpoint's size
// and root, and each commitment's consistency proof must lead from the checkpoint it names.
// Streaming with bounded memory: one frame, the Merkle frontier, the open intents, one line per
// checkpoint. Browser-safe and pure: the caller supplies the bytes, the clock and, if it likes,
// a faster signature checker (the CLI's worker threads); the page yields between chunks.
import { bytesToHex, equalBytes } from '../protocol/bytes.ts';
import { verifyMessage } from '../protocol/keys.ts';
import { verifyConsistency } from '../protocol/merkle.ts';
import { parseStrictJson } from '../protocol/strict-json.ts';
import { RECORD_MAGIC, RecordFormatError, RecordParser, type RecordItem } from '../oar/record.ts';
import { jobMessage, RecordVerifier, RecordVerifyError, type RecordSummary, type SignatureJob, type VerifyStep } from '../oar/verify.ts';
import { verifyBundleFacts, type VerifyOptions } from './verify.ts';
import type { Summary } from './summary.ts';

/** The record verifier's steps, then the audit's own (docs/record-audit.md, "Steps"). */
export type AuditStep = VerifyStep | 'missing-entries' | 'commitment-bundle' | 'commitment-match' | 'consistency' | 'signature-checker';

export interface AuditFailure {
  step: AuditStep;
  /** The entry at fault (for a checkpoint or its bundle: its last entry, size − 1). */
  sequence?: number;
  /** Byte offset of the frame at fault. */
  offset?: number;
  detail: string;
}

/** A signature that did not verify: its entry. */
export interface SignatureFailure {
  sequence: number;
  offset: number;
}

/**
 * Where signatures are verified. The walk hands over every entry's check and goes on; at the
 * end (or at the first other fault) settle() gives the lowest failing sequence.
 */
export interface SignatureChecker {
  submit(job: SignatureJob): void;
  /** A promise while too many checks are queued (the walk waits: bounded memory), else undefined. */
  ready(): Promise<void> | undefined;
  /** The lowest failure found so far, so the walk can stop early. */
  failed(): SignatureFailure | undefined;
  /** Waits for every submitted check; the lowest failing sequence, if any. */
  settle(): Promise<SignatureFailure | undefined>;
  /** Says how signatures were checked, for the report. */
  readonly description: string;
}

/** Checks each signature as it is submitted, in this thread, with protocol/keys.ts's verifier (noble in the browser). */
export function inlineSignatureChecker(verify: (job: SignatureJob) => boolean = (j) => verifyMessage(j.signature, jobMessage(j), j.publicKey), description = 'ML-DSA-65 (noble), in this thread'): SignatureChecker {
  let failure: SignatureFailure | undefined;
  return {
    description,
    submit(job) {
      if (failure && failure.sequence < job.sequence) return;
      if (!verify(job)) failure = { sequence: job.sequence, offset: job.offset };
    },
    ready: () => undefined,
    failed: () => failure,
    settle: async () => failure,
  };
}

export interface AuditProgress {
  entries: number;
  bytes: number;
  /** The record's size when the caller knows it. */
  totalBytes?: number;
  checkpoints: number;
}

export interface RecordAuditOptions extends VerifyOptions {
  /** The log the auditor means to audit; without it the record's log id is reported as stated. */
  logId?: string;
  signatures?: SignatureChecker;
  onProgress?: (p: AuditProgress) => void;
  /** Entries between progress reports (default 1,000). */
  progressEvery?: number;
  /** A page passes a function that yields to the event loop; it is awaited about every `yieldEveryMs`. */
  yieldNow?: () => Promise<void>;
  yieldEveryMs?: number;
  /** A clock for the yields only (ms); never part of a verdict. */
  clockMs?: () => number;
  totalBytes?: number;
}

export interface CheckpointReport {
  size: number;
  root: string;
  /** anchored: its commitment bundle verified down to Bitcoin; final: finality only; no-bundle: only the record's own root. */
  status: 'anchored' | 'final' | 'no-bundle';
  /** Pantheon block the commitment is final in. */
  height?: number;
  /** Bitcoin block (display hex) that anchors it, and its time. */
  bitcoinBlock?: string;
  bitcoinTime?: number;
  bitcoinNetwork?: string;
  /** The committed size the commitment extends (0 for the log's first). */
  previousSize?: number;
}

export interface RecordAuditResult {
  ok: boolean;
  failure?: AuditFailure;
  chainId?: string;
  logId?: string;
  logIdPinned: boolean;
  /** Entries walked: all of them when ok, else those before the fault. */
  entries: number;
  intents: number;
  outcomes: number;
  failedOutcomes: number;
  keyChanges: number;
  payloadsWithheld: number;
  actors: { actor: string; entries: number }[];
  openIntents: { sequence: number; actor: string; actorVersion: string }[];
  checkpoints: CheckpointReport[];
  anchoredCheckpoints: number;
  finalCheckpoints: number;
  lastAnchoredSize: number;
  /** Entries not covered by an anchored checkpoint: not yet fixed in time. */
  entriesAfterLastAnchored: number;
  headHash?: string;
  root?: string;
  bytes: number;
  signatureChecker: string;
  summary: Summary;
}

class AuditError extends Error {
  constructor(readonly failure: AuditFailure) {
    super(failure.detail);
  }
}

/** The chain id of a genesis the auditor supplied, if it reads as one; the bundles' genesis step checks it in full. */
function genesisChainId(genesis: VerifyOptions['genesis']): string | undefined {
  try {
    const g = typeof genesis === 'string' ? parseStrictJson(genesis, 'genesis') : genesis;
    const id = (g as { chainId?: unknown } | undefined)?.chainId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

interface CheckpointState {
  size: number;
  root: Uint8Array;
  report: CheckpointReport;
}

/** Audits a whole record stream (chunks of any size); never throws for bad input: the result says what failed. */
export async function auditRecord(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: RecordAuditOptions): Promise<RecordAuditResult> {
  const checker = options.signatures ?? inlineSignatureChecker();
  const trustedChainId = genesisChainId(options.genesis);
  const verifier = new RecordVerifier({ chainId: trustedChainId, onSignature: (job) => checker.submit(job) });
  const parser = new RecordParser();
  const checkpoints: CheckpointState[] = [];
  const bySize = new Map<number, CheckpointState>();
  let lastCommitted: CheckpointState | undefined;
  let header: { chainId: string; logId: string } | undefined;
  let bytes = 0;
  let failure: AuditFailure | undefined;
  const progressEvery = options.progressEvery ?? 1000;
  const clock = options.clockMs ?? (() => Date.now());
  let lastYield = clock();
  let entriesSeen = 0;
  const progress = () => options.onProgress?.({ entries: verifier.nextSequence, bytes: parser.position, totalBytes: options.totalBytes, checkpoints: checkpoints.length });

  const onBundle = (size: number, bundleBytes: Uint8Array, offset: number) => {
    const cp = bySize.get(size)!;
    const at = (step: AuditStep, detail: string) => new AuditError({ step, sequence: size - 1, offset, detail: `checkpoint of size ${size}: ${detail}` });
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bundleBytes);
    } catch {
      throw at('commitment-bundle', 'the stored commitment bundle is not UTF-8 text');
    }
    const result = verifyBundleFacts(text, options);
    if (!result.ok) {
      const bad = result.steps.find((s) => s.status === 'fail');
      throw at('commitment-bundle', `the stored commitment bundle does not verify: step "${result.failedStep}" failed: ${bad?.detail ?? ''}`);
    }
    const f = result.facts;
    const c = f.tx!.payload;
    if (f.bundle!.chainId !== header!.chainId) throw at('commitment-match', `the bundle is for chain "${f.bundle!.chainId}", the record for "${header!.chainId}"`);
    if (c.logId !== header!.logId) throw at('commitment-match', `the verified commitment is of log "${c.logId}", the record is log "${header!.logId}"`);
    if (c.treeSize !== BigInt(size)) throw at('commitment-match', `the verified commitment is of size ${c.treeSize}, not ${size}`);
    if (!equalBytes(c.root, cp.root)) throw at('commitment-match', `the verified commitment's root ${bytesToHex(c.root)} is not the root ${bytesToHex(cp.root)} recomputed from entries 0-${size - 1}`);
    // Append-only: the commitment extends the committed size it names with an RFC 9162 proof.
    const previous = Number(c.previousSize);
    if (previous === 0) {
      if (c.consistencyProof.length !== 0) throw at('consistency', 'the log\'s first commitment carries a consistency proof');
      if (lastCommitted && lastCommitted.size !== size) throw at('consistency', `the commitment says it is the log's first (previous size 0), but the record holds an earlier commitment at size ${lastCommitted.size}`);
    } else {
      const from = bySize.get(previous);
      if (!from) throw at('consistency', `the commitment extends size ${previous}, and the record has no checkpoint of that size to check it from`);
      if (lastCommitted && previous < lastCommitted.size) throw at('consistency', `the commitment extends size ${previous}, below the earlier commitment at size ${lastCommitted.size}`);
      if (!verifyConsistency(previous, size, c.consistencyProof, from.root, cp.root)) throw at('consistency', `its consistency proof (${c.consistencyProof.length} hashes) does not lead from size ${previous} (root ${bytesToHex(from.root)}) to size ${size}`);
    }
    const btc = f.btc?.headers ? f.btc : undefined;
    // A second bundle of one checkpoint (finality, then anchored) can only raise its status.
    if (cp.report.status !== 'anchored') {
      cp.report.status = btc ? 'anchored' : 'final';
      cp.report.height = Number(f.h!.header.height);
      cp.report.previousSize = previous;
      if (btc) {
        cp.report.bitcoinBlock = btc.blockHash;
        cp.report.bitcoinTime = btc.blockTime;
        cp.report.bitcoinNetwork = btc.network;
      }
    }
    lastCommitted = cp;
  };

  const onItem = (item: RecordItem) => {
    if (item.type === 'header') {
      const h = item.header;
      if (h.firstSequence !== 0) throw new AuditError({ step: 'header', sequence: h.firstSequence, offset: 0, detail: `the record starts at entry ${h.firstSequence}: auditing a whole record needs an export from entry 0 (prove single entries of a partial export with entry bundles)` });
      if (options.logId !== undefined && h.logId !== options.logId) throw new AuditError({ step: 'header', sequence: 0, offset: 0, detail: `the record is log "${h.logId}", not the log "${options.logId}" you asked to audit` });
      header = { chainId: h.chainId, logId: h.logId };
    }
    // A checkpoint or bundle frame beyond the entries present: entries were cut from the record.
    if ((item.type === 'checkpoint' || item.type === 'bundle') && item.size > verifier.nextSequence) {
      const n = verifier.nextSequence;
      throw new AuditError({ step: 'missing-entries', sequence: n, offset: item.offset, detail: `entry ${n} is missing: the record's ${item.type === 'checkpoint' ? 'checkpoint' : 'commitment bundle'} of size ${item.size} covers entries 0-${item.size - 1}, but the record holds entries 0-${n - 1} before it` });
    }
    verifier.push(item);
    if (item.type === 'entry') entriesSeen++;
    else if (item.type === 'checkpoint') {
      const cp: CheckpointState = { size: item.size, root: item.root, report: { size: item.size, root: bytesToHex(item.root), status: 'no-bundle' } };
      checkpoints.push(cp);
      bySize.set(item.size, cp);
    } else if (item.type === 'bundle') onBundle(item.size, item.bundle, item.offset);
  };

  try {
    outer: for await (const chunk of chunks as AsyncIterable<Uint8Array>) {
      parser.push(chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      bytes += chunk.byteLength;
      for (let item = parser.next(); item; item = parser.next()) {
        onItem(item);
        if (checker.failed()) break outer;
        const wait = checker.ready();
        if (wait) await wait;
        if (item.type === 'entry' && entriesSeen % progressEvery === 0) progress();
        if (options.yieldNow && clock() - lastYield >= (options.yieldEveryMs ?? 50)) {
          await options.yieldNow();
          lastYield = clock();
        }
      }
    }
    if (!checker.failed()) parser.end();
  } catch (err) {
    failure = toFailure(err, verifier.nextSequence);
  }
  let summary: RecordSummary | undefined;
  if (!failure && !checker.failed()) {
    try {
      summary = verifier.finish();
    } catch (err) {
      failure = toFailure(err, verifier.nextSequence);
    }
  }
  // A signature is checked before an entry's later steps: the lowest failing one comes first.
  let signatureFailure: SignatureFailure | undefined;
  try {
    signatureFailure = await checker.settle();
  } catch (err) {
    failure = { step: 'signature-checker', detail: `the signature checker failed: ${(err as Error).message}` };
  }
  if (signatureFailure && (!failure || failure.sequence === undefined || signatureFailure.sequence <= failure.sequence)) {
    failure = { step: 'signature', sequence: signatureFailure.sequence, offset: signatureFailure.offset, detail: `entry ${signatureFailure.sequence}: signature: the signature does not verify with the owner key in force at this sequence` };
  }
  progress();
  return report(failure, summary, verifier, header, checkpoints, bytes, options, checker.description);
}

function toFailure(err: unknown, nextSequence: number): AuditFailure {
  if (err instanceof AuditError) return err.failure;
  if (err instanceof RecordVerifyError) {
    // A header fault is about the key or chain entry 0 would be checked with.
    const sequence = err.sequence ?? (err.step === 'header' ? 0 : err.step === 'checkpoint' ? nextSequence - 1 : undefined);
    return { step: err.step, sequence, offset: err.offset, detail: err.message };
  }
  if (err instanceof RecordFormatError) {
    // The parser stops at the frame that does not read: the one where entry `nextSequence` belongs.
    const after = nextSequence === 0 ? 'before entry 0' : `after entry ${nextSequence - 1}`;
    return { step: 'format', sequence: nextSequence, offset: err.offset, detail: `the frame ${after} (byte ${err.offset}) does not read: ${err.message}` };
  }
  return { step: 'format', sequence: nextSequence, detail: `entry ${nextSequence}: ${(err as Error).message}` };
}

const OPEN_INTENTS_LISTED = 50;

function report(failure: AuditFailure | undefined, s: RecordSummary | undefined, verifier: RecordVerifier, header: { chainId: string; logId: string } | undefined, checkpoints: CheckpointState[], bytes: number, options: RecordAuditOptions, checkerDescription: string): RecordAuditResult {
  const partial = verifier.snapshot();
  const anchored = checkpoints.filter((c) => c.report.status === 'anchored');
  const lastAnchoredSize = anchored.length ? Math.max(...anchored.map((c) => c.size)) : 0;
  // After a fault only the entries before it count (the walk may have run ahead of the signature checks).
  const entries = s?.entries ?? (failure?.sequence !== undefined ? Math.min(failure.sequence, partial.entries) : partial.entries);
  const result: RecordAuditResult = {
    ok: !failure,
    failure,
    chainId: header?.chainId,
    logId: header?.logId,
    logIdPinned: options.logId !== undefined,
    entries,
    intents: partial.intents,
    outcomes: partial.outcomes,
    failedOutcomes: partial.failedOutcomes,
    keyChanges: partial.keyChanges,
    payloadsWithheld: partial.payloadsWithheld,
    actors: [...partial.actors].map(([actor, n]) => ({ actor, entries: n })),
    openIntents: partial.openIntents.map((o) => ({ sequence: o.sequence, actor: o.actor, actorVersion: o.actorVersion })),
    checkpoints: checkpoints.map((c) => c.report),
    anchoredCheckpoints: anchored.length,
    finalCheckpoints: checkpoints.filter((c) => c.report.status === 'final').length,
    lastAnchoredSize,
    entriesAfterLastAnchored: entries - lastAnchoredSize,
    headHash: s ? bytesToHex(s.headHash) : undefined,
    root: s?.root ? bytesToHex(s.root) : undefined,
    bytes,
    signatureChecker: checkerDescription,
    summary: { verdict: 'INVALID', headline: '', proven: [], assumed: [] },
  };
  result.summary = auditSummary(result, options);
  return result;
}

function auditSummary(r: RecordAuditResult, options: RecordAuditOptions): Summary {
  if (!r.ok) {
    const f = r.failure!;
    const where = f.sequence !== undefined ? `entry ${f.sequence}` : 'the record';
    return {
      verdict: 'INVALID',
      headline: `NOT VERIFIED: the record breaks at ${where}, step "${f.step}": ${f.detail.replace(/^entry \d+: (?:[a-z-]+: )?/, '')}`,
      proven: [],
      assumed: [`entries before ${where} passed their checks, but a broken record proves nothing about them: ask for an intact copy`],
    };
  }
  const last = r.entries - 1;
  const anchored = r.checkpoints.filter((c) => c.status === 'anchored');
  const lastA = anchored[anchored.length - 1];
  const regtest = lastA?.bitcoinNetwork === 'regtest' ? '; Bitcoin: regtest, no real work' : lastA?.bitcoinNetwork === 'testnet' ? '; Bitcoin: testnet, a test network without value at stake' : '';
  const headline = r.entries === 0
    ? `VERIFIED: log ${r.logId} has no entries`
    : lastA
      ? `VERIFIED: log ${r.logId}, entries 0-${last}, every link and signature; entries 0-${lastA.size - 1} are anchored (last in Bitcoin block ${lastA.bitcoinBlock})${r.entriesAfterLastAnchored ? `, ${r.entriesAfterLastAnchored} entr${r.entriesAfterLastAnchored === 1 ? 'y' : 'ies'} after it not yet fixed in time` : ''}${regtest}`
      : `VERIFIED (NOT ANCHORED): log ${r.logId}, entries 0-${last}, every link and signature; no checkpoint carries an anchored commitment bundle, so nothing in this record is fixed in time`;
  const proven = [
    `the ${r.entries} entries of log ${r.logId} on chain "${r.chainId}" are numbered 0-${last} without a gap and each names the hash of the one before (head ${r.headHash})`,
    `every entry is signed (ML-DSA-65) by the owner key in force at its sequence, starting from the founding key whose address is in the log id${r.keyChanges ? `, through ${r.keyChanges} key change(s)` : ''}`,
    `every disclosed payload matches its salted hash and is canonical JSON (${r.payloadsWithheld} withheld: only their hashes are known)`,
    `every outcome (${r.outcomes}, ${r.failedOutcomes} failed) follows its own open intent by the same actor; ${r.openIntents.length} intent(s) have no outcome`,
  ];
  for (const c of r.checkpoints) {
    if (c.status === 'no-bundle') proven.push(`checkpoint ${c.size}: its root ${c.root} is the RFC 6962 root of entries 0-${c.size - 1} (no commitment bundle stored: not shown to be committed)`);
    else proven.push(`checkpoint ${c.size}: root ${c.root} recomputed from entries 0-${c.size - 1} is the one committed on Pantheon, final in block ${c.height}${c.status === 'anchored' ? ` and anchored in Bitcoin block ${c.bitcoinBlock}${c.bitcoinTime !== undefined ? ` (time ${new Date(c.bitcoinTime * 1000).toISOString()})` : ''}` : ' (not anchored)'}${c.previousSize ? `, consistent with the commitment at size ${c.previousSize}` : ''}`);
  }
  const assumed = [
    r.logIdPinned ? `log ${r.logId} is the log you meant (pinned)` : `log ${r.logId} is the log you meant to audit (taken from the record; pin it with --log)`,
    `that the record is complete up to the anchored size ${r.lastAnchoredSize}: a copy cut after a checkpoint and its bundle frames looks like an older export; compare the size with the log's latest commitment (pantheon log, pantheon proof)`,
    'that each action waited for its intent, and that the writer\'s stated times are right: the record proves order and signatures, the anchors prove "before that Bitcoin block"',
    ...(options.genesisHash ? [`genesis ${options.genesisHash} (pinned by hash) is the chain you mean`] : ['the genesis file you supplied is the chain you mean']),
    'fewer than 1/3 of the genesis voting power signs conflicting blocks (the BFT assumption behind finality)',
  ];
  return { verdict: 'VALID', headline, proven, assumed };
}

/** The audit in words, as the CLI prints it and the page shows it. */
export function recordReportText(r: RecordAuditResult): string {
  const lines: string[] = [];
  lines.push(`record audit: log ${r.logId ?? '(unread)'} on chain "${r.chainId ?? '(unread)'}", ${r.bytes} bytes; signatures: ${r.signatureChecker}`);
  lines.push(r.summary.headline);
  if (r.failure) {
    lines.push(`  first broken link: ${r.failure.sequence !== undefined ? `entry ${r.failure.sequence}` : 'the record'}, step ${r.failure.step}${r.failure.offset !== undefined ? `, byte ${r.failure.offset}` : ''}`);
    lines.push(`  ${r.failure.detail}`);
  }
  if (!r.ok) {
    // The walk may have run ahead of out-of-line signature checks: only the entries before the fault are certain.
    if (r.failure?.sequence !== undefined) lines.push(`  entries before the fault: ${r.failure.sequence} (0-${r.failure.sequence - 1}), not proven by a broken record`);
    return lines.join('\n') + '\n';
  }
  lines.push('Counts:');
  lines.push(`  entries              ${r.entries} (intents ${r.intents}, outcomes ${r.outcomes} of which failed ${r.failedOutcomes}, key changes ${r.keyChanges})`);
  lines.push(`  actors               ${r.actors.length}${r.actors.length ? `: ${r.actors.slice(0, 10).map((a) => `${a.actor} (${a.entries})`).join(', ')}${r.actors.length > 10 ? ', …' : ''}` : ''}`);
  lines.push(`  payloads withheld    ${r.payloadsWithheld}`);
  lines.push(`  checkpoints          ${r.checkpoints.length}: anchored ${r.anchoredCheckpoints}, final only ${r.finalCheckpoints}, without a bundle ${r.checkpoints.length - r.anchoredCheckpoints - r.finalCheckpoints}`);
  lines.push(`  last anchored size   ${r.lastAnchoredSize}; entries after it (not yet fixed in time): ${r.entriesAfterLastAnchored}`);
  const open = r.openIntents;
  lines.push(`  open intents         ${open.length}${open.length ? `: ${open.slice(0, OPEN_INTENTS_LISTED).map((o) => `${o.sequence} (${o.actor} ${o.actorVersion})`).join(', ')}${open.length > OPEN_INTENTS_LISTED ? `, … (${open.length - OPEN_INTENTS_LISTED} more in --json)` : ''}` : ''}`);
  if (r.root) lines.push(`  root                 ${r.root} (head ${r.headHash})`);
  if (r.summary.proven.length) lines.push('Proven:', ...r.summary.proven.map((p) => `  - ${p}`));
  if (r.summary.assumed.length) lines.push('Assumed:', ...r.summary.assumed.map((a) => `  - ${a}`));
  return lines.join('\n') + '\n';
}

/** True when the bytes begin with the record magic "pan-oar\n". */
export function isRecordBytes(head: Uint8Array): boolean {
  return head.length >= RECORD_MAGIC.length && RECORD_MAGIC.every((b, i) => head[i] === b);
}
