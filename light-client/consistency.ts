// Two bundles, one history (docs/consistency-proof.md): an auditor holding proof bundles of two
// commitments of one log checks offline that the later tree extends the earlier one. Each
// bundle is verified in full on its own; then an RFC 9162 consistency proof, from a proof file
// or carried by the later commitment itself, is checked from the earlier (size, root) to the
// later one, both sizes and roots taken from the verified commitments, never from the file.
// Pure: no clock (pass nowMs), no network, no I/O.
import { bytesToHex, equalBytes, hexToBytes } from '../protocol/bytes.ts';
import { verifyConsistency } from '../protocol/merkle.ts';
import { CONSISTENCY_PROOF_MAX, decodeTx, logIdProblem, TREE_SIZE_MAX, type CommitmentPayload } from '../protocol/tx-common.ts';
import { parseBundle } from './bundle.ts';
import { verifyBundle, type VerifyOptions, type VerifyResult } from './verify.ts';
import { parseStrictJson } from '../protocol/strict-json.ts';

export const CONSISTENCY_PROOF_FORMAT = 'pantheon-consistency-proof';
export const CONSISTENCY_PROOF_VERSION = 1;

export interface ConsistencyProofFile {
  logId: string;
  fromSize: bigint;
  fromRoot: Uint8Array;
  toSize: bigint;
  toRoot: Uint8Array;
  proof: Uint8Array[];
}

export class ConsistencyProofFormatError extends Error {
  constructor(field: string, detail: string) {
    super(`consistency proof file, ${field}: ${detail}`);
    this.name = 'ConsistencyProofFormatError';
  }
}

const FIELDS = ['type', 'version', 'logId', 'from', 'to', 'proof'];

function size(value: unknown, field: string): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(value) || BigInt(value) < 1n || BigInt(value) > TREE_SIZE_MAX) {
    throw new ConsistencyProofFormatError(field, `must be a decimal string from 1 to ${TREE_SIZE_MAX}, got ${JSON.stringify(value)?.slice(0, 40)}`);
  }
  return BigInt(value);
}

function hash(value: unknown, field: string): Uint8Array {
  try {
    return hexToBytes(value, field, 32);
  } catch (err) {
    throw new ConsistencyProofFormatError(field, (err as Error).message);
  }
}

function point(value: unknown, field: string): { size: bigint; root: Uint8Array } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConsistencyProofFormatError(field, 'must be an object {size, root}');
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'size' && k !== 'root') throw new ConsistencyProofFormatError(field, `unknown field "${k}"`);
  return { size: size(o.size, `${field}.size`), root: hash(o.root, `${field}.root`) };
}

/** Parses and checks the form of a consistency proof file; throws ConsistencyProofFormatError naming the field. */
export function parseConsistencyProof(json: unknown): ConsistencyProofFile {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConsistencyProofFormatError('file', 'must be a JSON object');
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!FIELDS.includes(k)) throw new ConsistencyProofFormatError(k, 'unknown field');
  if (o.type !== CONSISTENCY_PROOF_FORMAT) throw new ConsistencyProofFormatError('type', `must be "${CONSISTENCY_PROOF_FORMAT}"`);
  if (o.version !== CONSISTENCY_PROOF_VERSION) throw new ConsistencyProofFormatError('version', `must be ${CONSISTENCY_PROOF_VERSION}, got ${JSON.stringify(o.version)}`);
  if (typeof o.logId !== 'string' || logIdProblem(o.logId)) throw new ConsistencyProofFormatError('logId', typeof o.logId === 'string' ? logIdProblem(o.logId)! : 'must be a string');
  const from = point(o.from, 'from');
  const to = point(o.to, 'to');
  if (!Array.isArray(o.proof) || o.proof.length > CONSISTENCY_PROOF_MAX) throw new ConsistencyProofFormatError('proof', `must be an array of at most ${CONSISTENCY_PROOF_MAX} hex hashes`);
  const proof = o.proof.map((h, i) => hash(h, `proof[${i}]`));
  return { logId: o.logId, fromSize: from.size, fromRoot: from.root, toSize: to.size, toRoot: to.root, proof };
}

export function consistencyProofToJson(p: ConsistencyProofFile): Record<string, unknown> {
  return {
    type: CONSISTENCY_PROOF_FORMAT,
    version: CONSISTENCY_PROOF_VERSION,
    logId: p.logId,
    from: { size: p.fromSize.toString(), root: bytesToHex(p.fromRoot) },
    to: { size: p.toSize.toString(), root: bytesToHex(p.toRoot) },
    proof: p.proof.map(bytesToHex),
  };
}

export interface HistoryResult {
  /** True only when both bundles verify and the later tree is shown to extend the earlier one. */
  ok: boolean;
  earlier: VerifyResult;
  later: VerifyResult;
  /** What was shown, or why not. */
  verdict: string;
}

/** The verified commitment of a bundle that passed verifyBundle. */
function commitmentOf(bundleJson: unknown): CommitmentPayload {
  const json = typeof bundleJson === 'string' ? JSON.parse(bundleJson) : bundleJson;
  return decodeTx(parseBundle(json).commitment.tx).payload as CommitmentPayload;
}

/**
 * Checks that the commitment in `later` extends the one in `earlier` (same log, the later tree
 * has the earlier as a prefix). The proof comes from `proofFile` when given; otherwise the later
 * commitment's own proof is used when it extends exactly the earlier size.
 */
export function verifyHistory(later: unknown, earlier: unknown, options: VerifyOptions, proofFile?: unknown): HistoryResult {
  const earlierResult = verifyBundle(earlier, options);
  const laterResult = verifyBundle(later, options);
  const result = (ok: boolean, verdict: string): HistoryResult => ({ ok, earlier: earlierResult, later: laterResult, verdict });
  if (!earlierResult.ok) return result(false, `the earlier bundle does not verify (step ${earlierResult.failedStep}), so nothing is shown about its history`);
  if (!laterResult.ok) return result(false, `the later bundle does not verify (step ${laterResult.failedStep}), so nothing is shown about its history`);
  // Both verified, so text inputs parse strictly (duplicate members were refused by verifyBundle).
  const json = (x: unknown) => (typeof x === 'string' ? parseStrictJson(x, 'bundle') : x);
  const a = commitmentOf(json(earlier));
  const b = commitmentOf(json(later));
  if (a.logId !== b.logId) return result(false, `the bundles are of two logs: "${a.logId}" and "${b.logId}"`);
  const id = a.logId;
  const m = a.treeSize;
  const n = b.treeSize;
  if (n < m) return result(false, `log ${id}: the "later" bundle has size ${n}, smaller than the earlier size ${m}; swap them`);
  if (n === m) {
    return equalBytes(a.root, b.root)
      ? result(true, `log ${id}: both bundles commit size ${m} with the same root ${bytesToHex(a.root)}`)
      : result(false, `log ${id}: two different roots at size ${m}: ${bytesToHex(a.root)} and ${bytesToHex(b.root)}; the histories are NOT one`);
  }
  let proof: Uint8Array[];
  let source: string;
  if (proofFile !== undefined) {
    let file: ConsistencyProofFile;
    try {
      file = parseConsistencyProof(proofFile);
    } catch (err) {
      return result(false, (err as Error).message);
    }
    // The file's sizes and roots must name exactly the two verified commitments: a proof holds no sizes of its own.
    if (file.logId !== id) return result(false, `the consistency proof is for log "${file.logId}", the bundles for "${id}"`);
    if (file.fromSize !== m || !equalBytes(file.fromRoot, a.root)) return result(false, `the consistency proof starts at size ${file.fromSize}, root ${bytesToHex(file.fromRoot)}; the earlier bundle commits size ${m}, root ${bytesToHex(a.root)}`);
    if (file.toSize !== n || !equalBytes(file.toRoot, b.root)) return result(false, `the consistency proof ends at size ${file.toSize}, root ${bytesToHex(file.toRoot)}; the later bundle commits size ${n}, root ${bytesToHex(b.root)}`);
    proof = file.proof;
    source = 'the consistency proof file';
  } else if (b.previousSize === m) {
    proof = b.consistencyProof;
    source = 'the proof inside the later commitment';
  } else {
    return result(false, `log ${id}: the later commitment extends size ${b.previousSize}, not the earlier size ${m}; give a consistency proof from ${m} to ${n} (--consistency)`);
  }
  if (!verifyConsistency(Number(m), Number(n), proof, a.root, b.root)) {
    return result(false, `log ${id}: ${source} (${proof.length} hashes) does not show size ${m} (root ${bytesToHex(a.root)}) to be a prefix of size ${n} (root ${bytesToHex(b.root)}); the histories are NOT shown to be one`);
  }
  return result(true, `log ${id}: size ${m} (root ${bytesToHex(a.root)}) is a prefix of size ${n} (root ${bytesToHex(b.root)}), by ${source} (${proof.length} hashes)`);
}
