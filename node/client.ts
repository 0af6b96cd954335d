// The operator's client for a node's HTTP API (docs/api.md): submit a commitment or a
// transfer, read a node's status and a transaction's status, fetch a proof bundle, and wait
// for finality or anchoring with a timeout. Used by the CLI and the devnet, and published
// as the package's main entry (`import { PantheonClient } from 'pantheon'`).
//
// Every wait is bounded (timeoutMs) and ends with an error when the node stops answering
// for unreachableMs: a caller never waits forever on a chain without an anchorer or on a
// node that died.
import { bytesToHex, hexToBytes } from '../protocol/bytes.ts';
import { addressOf, decodeAddress } from '../protocol/keys.ts';
import { encodeTx, signTx, logIdProblem, type UnsignedTx } from '../protocol/tx.ts';
import type { KeyPair } from '../protocol/keys.ts';
import { parseGenesis } from '../genesis/genesis.ts';
import { assembleBundle } from '../light-client/assemble.ts';

export { generateKeyPair, readKeyFile, writeKeyFile } from './keyfile.ts';
/** An operator's address: the prefix of every log id its key owns (`<address>/<name>`). */
export { addressOf } from '../protocol/keys.ts';
export type { KeyPair };

/** The node answered with an error (HTTP status and the node's message). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The node could not be reached (refused, reset, DNS, request timeout). */
export class NodeUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeUnreachableError';
  }
}

/** A wait reached its deadline; `last` is the last status the node reported. */
export class WaitTimeoutError extends Error {
  constructor(
    message: string,
    readonly last: string,
  ) {
    super(message);
    this.name = 'WaitTimeoutError';
  }
}

export const DEFAULT_NODE_URL = 'http://127.0.0.1:28000';
/** Defaults for waits: finality takes seconds; anchoring takes the anchor interval plus Bitcoin confirmations. */
export const DEFAULT_FINAL_TIMEOUT_MS = 120_000;
export const DEFAULT_ANCHORED_TIMEOUT_MS = 3_600_000;
/** How long a node may fail to answer during a wait before the wait fails. */
export const DEFAULT_UNREACHABLE_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;

export async function api<T = any>(nodeUrl: string, path: string, body?: unknown): Promise<T> {
  let res: Response | undefined;
  // A GET is retried once: a keep-alive connection the server closed at the same moment
  // fails with "other side closed" although the node is fine. A POST is never repeated.
  for (let attempt = 0; !res; attempt++) {
    try {
      const init: RequestInit = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
      res = await fetch(new URL(path, nodeUrl), { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (err) {
      if (body === undefined && attempt === 0) continue;
      throw new NodeUnreachableError(`cannot reach the node at ${nodeUrl} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}); is it running? (--node URL)`);
    }
  }
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError(res.status, `the node answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) throw new ApiError(res.status, json?.error ?? `HTTP ${res.status}`);
  return json as T;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type WaitTarget = 'final' | 'anchored';

export interface WaitOptions {
  /** Give up after this long (default: 2 min for final, 1 h for anchored). */
  timeoutMs?: number;
  /** Fail when the node has not answered for this long (default 5 s). */
  unreachableMs?: number;
  /** Time between polls (default 500 ms). */
  pollMs?: number;
  /** Called after every poll with the status seen and the time waited. */
  onProgress?: (progress: { status: string; elapsedMs: number }) => void;
  signal?: AbortSignal;
}

export interface TxStatus {
  txId: string;
  status: 'pending' | 'final' | 'anchored' | 'unknown';
  height?: string;
  index?: number;
  logIndex?: number | null;
  anchor?: { pantheonHeight: string; bitcoinTxid: string; bitcoinBlockHash: string; bitcoinHeight: number; confirmations: number } | null;
}

export interface Receipt extends TxStatus {
  sender: string;
  nonce: string;
}

export interface CommitmentInput {
  /** The log id, `<owner pan1 address>/<name>` (docs/transaction.md). */
  logId: string;
  /** The log root: 32 bytes, or 64 hex digits in either case. */
  root: Uint8Array | string;
  /** Entries the root covers. */
  treeSize: bigint | number;
  /** The operator's ML-DSA-65 key pair (readKeyFile); it signs and pays the fee. */
  key: KeyPair;
  /** Fee in base units (default 1000, the genesis minimum). */
  fee?: bigint | number;
  /** After the log's first commitment: the committed size this one extends (docs/state.md). */
  previousSize?: bigint | number;
  /** The RFC 6962 consistency proof from (previousSize, committed root) to (treeSize, root). */
  consistencyProof?: Uint8Array[];
}

/** One page of GET /v1/log/<id> (docs/api.md); sizes and heights are decimal strings. */
export interface LogHistory {
  logId: string;
  founder: string;
  owner: string;
  ownerPublicKey: string;
  size: string;
  root: string;
  commitmentCount: string;
  keyChanges: { fromSize: string; address: string; publicKey: string }[];
  commitments: { sequence: string; commitmentId: string; treeSize: string; root: string; height: string; status: 'final' | 'anchored'; anchor: unknown }[];
  /** The `from` of the next page, or null on the last. */
  next: string | null;
}

/** The path of GET /v1/log for an id: each segment percent-encoded, the slashes kept. */
export function logPath(logId: string): string {
  return `/v1/log/${logId.split('/').map(encodeURIComponent).join('/')}`;
}

export interface TransferInput {
  to: string;
  amount: bigint | number;
  key: KeyPair;
  fee?: bigint | number;
}

export interface ProofOptions extends WaitOptions {
  /** Wait until the commitment is final or anchored; without it the commitment must be final already. */
  wait?: WaitTarget;
  /** Carry the genesis file in the bundle (default true) so a pinned hash alone verifies it. */
  includeGenesis?: boolean;
}

export interface Proof {
  /** The bundle (docs/proof.md), ready for JSON.stringify and pantheon verify / verifyBundle. */
  bundle: Record<string, unknown>;
  /** False for a finality-only bundle (final, not yet anchored in Bitcoin). */
  anchored: boolean;
  height: string;
}

/** 64 hex digits in either case, in the lower case the API uses. */
export function normalizeId(id: string, what = 'id'): string {
  if (typeof id !== 'string' || !/^[0-9a-fA-F]{64}$/.test(id)) throw new TypeError(`${what} must be 64 hex digits, got ${JSON.stringify(id)}`);
  return id.toLowerCase();
}

function reached(status: string, hasAnchor: boolean, until: WaitTarget): boolean {
  return until === 'final' ? status === 'final' || status === 'anchored' : status === 'anchored' || (status === 'final' && hasAnchor);
}

export class PantheonClient {
  readonly nodeUrl: string;

  constructor(nodeUrl: string = DEFAULT_NODE_URL) {
    if (!/^https?:\/\//i.test(nodeUrl)) throw new TypeError(`node URL must start with http:// or https://, got ${JSON.stringify(nodeUrl)}`);
    this.nodeUrl = nodeUrl;
  }

  /** GET /v1/status: chain id, genesis hash, height, consensus, peers, sync, mempool. */
  status(): Promise<any> {
    return api(this.nodeUrl, '/v1/status');
  }

  /** GET /v1/tx/<id>: pending, final at height h, anchored, or unknown. */
  txStatus(id: string): Promise<TxStatus> {
    return api(this.nodeUrl, `/v1/tx/${normalizeId(id, 'transaction id')}`);
  }

  /** Sign and submit a commitment of an OAR root; the receipt's txId is the commitment id. */
  async submitCommitment(input: CommitmentInput): Promise<Receipt> {
    const badLogId = typeof input.logId === 'string' ? logIdProblem(input.logId) : 'must be a string';
    if (badLogId) throw new TypeError(`logId ${badLogId}`);
    const root = typeof input.root === 'string' ? hexToBytes(input.root.toLowerCase(), 'root', 32) : input.root;
    if (!(root instanceof Uint8Array) || root.length !== 32) throw new TypeError('root must be 32 bytes');
    const treeSize = BigInt(input.treeSize);
    if (treeSize < 1n) throw new TypeError('treeSize must be at least 1');
    const previousSize = BigInt(input.previousSize ?? 0);
    const consistencyProof = input.consistencyProof ?? [];
    return this.submitPayload({ kind: 'commitment', logId: input.logId, treeSize, root, previousSize, consistencyProof }, input.key, input.fee);
  }

  /**
   * GET /v1/log/<id>: a log's committed record and one page of its commitments (docs/api.md),
   * or undefined when the log has no committed commitment yet.
   */
  async logHistory(logId: string, from: bigint | number = 0n, limit = 100): Promise<LogHistory | undefined> {
    const bad = typeof logId === 'string' ? logIdProblem(logId) : 'must be a string';
    if (bad) throw new TypeError(`logId ${bad}`);
    try {
      return await api<LogHistory>(this.nodeUrl, `${logPath(logId)}?from=${BigInt(from)}&limit=${limit}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Sign and submit a transfer of `amount` base units to a pan1… address. */
  async transfer(input: TransferInput): Promise<Receipt> {
    const amount = BigInt(input.amount);
    if (amount < 1n) throw new TypeError('amount must be at least 1 base unit');
    return this.submitPayload({ kind: 'transfer', to: decodeAddress(input.to, 'to'), amount }, input.key, input.fee);
  }

  /** Sign any transaction payload with `key` (its next nonce) and submit it. */
  async submitPayload(payload: UnsignedTx['payload'], key: KeyPair, fee: bigint | number = 1000n): Promise<Receipt> {
    const { chainId } = await this.status();
    const sender = addressOf(key.publicKey);
    const account = await api(this.nodeUrl, `/v1/account/${sender}`);
    const unsigned = { chainId, nonce: BigInt(account.nextNonce), fee: BigInt(fee), senderPublicKey: key.publicKey, payload } as UnsignedTx;
    const signed = signTx(unsigned, key.secretKey);
    const receipt = await api(this.nodeUrl, '/v1/tx', { tx: bytesToHex(encodeTx(signed)) });
    return { ...receipt, sender, nonce: signed.nonce.toString() };
  }

  /**
   * Poll `probe` until `done`, within the deadline. Connection failures are tolerated for
   * unreachableMs in a row (a node restarting), then the wait fails: it never hangs on a dead node.
   */
  private async poll<T>(what: string, until: WaitTarget, probe: () => Promise<T>, done: (v: T) => boolean, describe: (v: T) => string, options: WaitOptions): Promise<T> {
    const timeoutMs = options.timeoutMs ?? (until === 'anchored' ? DEFAULT_ANCHORED_TIMEOUT_MS : DEFAULT_FINAL_TIMEOUT_MS);
    const unreachableMs = options.unreachableMs ?? DEFAULT_UNREACHABLE_MS;
    const pollMs = options.pollMs ?? 500;
    const startedMs = Date.now();
    let failingSinceMs: number | undefined;
    let last = 'not yet asked';
    for (;;) {
      options.signal?.throwIfAborted();
      try {
        const value = await probe();
        failingSinceMs = undefined;
        last = describe(value);
        if (done(value)) return value;
      } catch (err) {
        if (!(err instanceof NodeUnreachableError)) throw err;
        failingSinceMs ??= Date.now();
        if (Date.now() - failingSinceMs >= unreachableMs) {
          throw new NodeUnreachableError(`the node at ${this.nodeUrl} stopped answering while waiting until ${what} is ${until} (last status: ${last}): ${err.message}`);
        }
        last = `${last}; node not answering`;
      }
      const elapsedMs = Date.now() - startedMs;
      options.onProgress?.({ status: last, elapsedMs });
      if (elapsedMs >= timeoutMs) {
        const hint = until === 'anchored' ? '; is an anchorer configured on this network? (raise the timeout for Bitcoin mainnet confirmations)' : '';
        throw new WaitTimeoutError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting until ${what} is ${until}: it is ${last}${hint}`, last);
      }
      await sleep(Math.min(pollMs, Math.max(0, timeoutMs - elapsedMs)));
    }
  }

  /** Wait until a transaction is final (or anchored); throws WaitTimeoutError or NodeUnreachableError. */
  waitForTx(id: string, until: WaitTarget, options: WaitOptions = {}): Promise<TxStatus> {
    const txId = normalizeId(id, 'transaction id');
    return this.poll(`transaction ${txId}`, until, () => this.txStatus(txId), (s) => reached(s.status, Boolean(s.anchor), until), (s) => s.status, options);
  }

  /** The proof bundle of a commitment, optionally after waiting until it is final or anchored. */
  async proof(id: string, options: ProofOptions = {}): Promise<Proof> {
    const commitmentId = normalizeId(id, 'commitment id');
    const fetchPieces = () =>
      api(this.nodeUrl, `/v1/proof/${commitmentId}`).catch((err) => {
        // Not (yet) known to this node: while waiting, that is a state like pending.
        if (options.wait && err instanceof ApiError && err.status === 404) return { status: 'unknown' };
        throw err;
      });
    const describe = (p: any) => (p.status === 'final' ? (p.anchor ? 'anchored' : 'final, not yet anchored') : p.status);
    const pieces = options.wait ? await this.poll(`commitment ${commitmentId}`, options.wait, fetchPieces, (p: any) => reached(p.status, Boolean(p.anchor), options.wait!), describe, options) : await fetchPieces();
    if (pieces.status !== 'final') throw new Error(`commitment ${commitmentId} is ${pieces.status}, not final yet; wait for it (--wait final)`);
    const genesis = parseGenesis(await api(this.nodeUrl, '/v1/genesis'));
    const headers = [hexToBytes(pieces.header, 'header'), ...(pieces.anchor?.headersAfter ?? []).map((h: string) => hexToBytes(h, 'header'))];
    const bundle = assembleBundle({
      genesis,
      includeGenesis: options.includeGenesis ?? true,
      commitmentTx: hexToBytes(pieces.commitmentTx, 'commitmentTx'),
      leafIndex: pieces.logIndex,
      logSize: pieces.logSize,
      inclusionPath: pieces.inclusionPath.map((h: string) => hexToBytes(h, 'path')),
      headers,
      certificate: hexToBytes(pieces.certificate, 'certificate'),
      attestation: pieces.anchor?.attestation,
      bitcoinNetwork: pieces.anchor?.network,
    });
    return { bundle, anchored: Boolean(pieces.anchor), height: String(pieces.height) };
  }
}
