// The HTTP API (docs/api.md): JSON in and out. Bodies over the limit are refused from their
// Content-Length before a byte is read (and cut off if they lie); every error names what is
// wrong; no request can take the node down. Every resource is bounded (docs/api.md,
// "Limits"): connections, the time to send a request, the time a response may stall, and the
// memory that large responses hold, whatever the clients do (slow readers included).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hexToBytes } from '../protocol/bytes.ts';
import { logIdProblem, TX_SIZE_MAX } from '../protocol/tx.ts';
import type { PantheonNode } from './node.ts';

/** The most commitments one GET /v1/log page lists. */
export const LOG_PAGE_MAX = 100;

/** A hex transaction of the largest size, with JSON around it. */
export const BODY_BYTES_MAX = TX_SIZE_MAX * 2 + 1024;

/** Open connections at most; the next one is closed at once (docs/api.md, "Limits"). */
export const HTTP_CONNECTIONS_MAX = 512;
/** The request headers must arrive within this. */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000;
/** The whole request must arrive within this. */
export const HTTP_REQUEST_TIMEOUT_MS = 30_000;
/** An idle keep-alive connection is closed after this. */
export const HTTP_KEEP_ALIVE_TIMEOUT_MS = 30_000;
/** A connection on which nothing moves (a client that stops reading its answer) is destroyed after this. */
export const HTTP_STALL_TIMEOUT_MS = 30_000;
/**
 * How often Node checks the headers and request timeouts. Its default (30 s) let a 10 s
 * headers timeout fire after up to 40 s; checking every second keeps the documented values
 * to within a second.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;
/** Responses larger than this are written in chunks of this size, each after the last drained. */
export const RESPONSE_CHUNK_BYTES = 64 * 1024;
/**
 * Bytes of large responses (blocks) the node holds for sending at once, shared between the
 * clients that ask for the same one. A request that would need more gets a 503.
 */
export const LARGE_RESPONSE_BYTES_MAX = 64 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function jsonText(body: unknown): string {
  return JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
}

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): Promise<void> {
  const text = contentType === 'application/json' ? jsonText(body) : String(body);
  return sendBytes(res, status, Buffer.from(text, 'utf8'), contentType);
}

/**
 * Writes a response with backpressure: at most one chunk beyond what the socket has taken is
 * queued, so a client that does not read holds no more than that (chunks are views of `body`,
 * never copies), and the stall timeout destroys its connection.
 */
async function sendBytes(res: ServerResponse, status: number, body: Buffer, contentType = 'application/json'): Promise<void> {
  res.writeHead(status, { 'content-type': contentType, 'content-length': body.length });
  if (body.length <= RESPONSE_CHUNK_BYTES) {
    res.end(body);
    return;
  }
  for (let offset = 0; offset < body.length; offset += RESPONSE_CHUNK_BYTES) {
    if (res.destroyed) return;
    if (!res.write(body.subarray(offset, offset + RESPONSE_CHUNK_BYTES))) await drainedOrClosed(res);
  }
  if (!res.destroyed) res.end();
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Encoded answers of GET /v1/block (immutable once committed), least recently used first,
 * bounded in bytes. An entry being sent is pinned: it stays (and counts) until every send of
 * it ends, so the bound holds for what is in flight too. Concurrent misses of one height
 * share one encoding.
 */
export class LargeResponses {
  private readonly entries = new Map<string, { body: Buffer; pins: number }>();
  private readonly loading = new Map<string, Promise<Buffer | undefined>>();
  private bytes = 0;

  constructor(private readonly bytesMax: number) {}

  get heldBytes(): number {
    return this.bytes;
  }

  /**
   * The answer for `key` pinned (call the returned release when its send ends), loading it
   * with `load` when absent; undefined when `load` finds nothing. Throws a 503 when it cannot
   * be held within the bound.
   */
  async acquire(key: string, load: () => Promise<Buffer | undefined>): Promise<{ body: Buffer; release: () => void } | undefined> {
    let entry = this.entries.get(key);
    if (!entry) {
      let pending = this.loading.get(key);
      if (!pending) {
        pending = load().finally(() => this.loading.delete(key));
        this.loading.set(key, pending);
      }
      const body = await pending;
      if (!body) return undefined;
      entry = this.entries.get(key);
      if (!entry) {
        this.makeRoom(body.length);
        if (this.bytes + body.length > this.bytesMax) {
          throw new HttpError(503, `the node is busy sending large responses (${Math.round(this.bytes / 1024 / 1024)} MB in flight, the limit is ${Math.round(this.bytesMax / 1024 / 1024)} MB); try again later`);
        }
        entry = { body, pins: 0 };
        this.entries.set(key, entry);
        this.bytes += body.length;
      }
    }
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, entry);
    entry.pins++;
    const held = entry;
    let released = false;
    return {
      body: held.body,
      release: () => {
        if (released) return;
        released = true;
        held.pins--;
      },
    };
  }

  private makeRoom(needed: number): void {
    for (const [key, e] of this.entries) {
      if (this.bytes + needed <= this.bytesMax) return;
      if (e.pins > 0) continue;
      this.entries.delete(key);
      this.bytes -= e.body.length;
    }
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > BODY_BYTES_MAX) throw new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${BODY_BYTES_MAX}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > BODY_BYTES_MAX) throw new HttpError(413, `request body exceeds the limit of ${BODY_BYTES_MAX} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseHexId(text: string, what: string): string {
  if (!/^[0-9a-f]{64}$/.test(text)) throw new HttpError(400, `${what} must be 64 lower-case hex digits, got "${text.slice(0, 80)}"`);
  return text;
}

async function route(node: PantheonNode, large: LargeResponses, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const parts = url.pathname.split('/').filter(Boolean);
  const method = req.method ?? 'GET';
  if (method === 'GET' && url.pathname === '/metrics') {
    const { text, contentType } = await node.metrics.render();
    return send(res, 200, text, contentType);
  }
  if (parts[0] !== 'v1') throw new HttpError(404, `no such endpoint: ${method} ${url.pathname} (see docs/api.md)`);
  const [, resource, arg] = parts;
  if (method === 'GET' && resource === 'status' && parts.length === 2) return send(res, 200, await node.status());
  if (method === 'GET' && resource === 'genesis' && parts.length === 2) return send(res, 200, node.genesisJson());
  if (method === 'GET' && resource === 'peers' && parts.length === 2) return send(res, 200, { peers: node.network.peers() });
  if (method === 'POST' && resource === 'tx' && parts.length === 2) {
    const body = await readBody(req);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new HttpError(400, 'request body is not valid JSON; send {"tx": "<hex of the signed transaction>"}');
    }
    const txHex = (json as { tx?: unknown })?.tx;
    if (typeof txHex !== 'string') throw new HttpError(400, 'request body must be {"tx": "<hex of the signed transaction>"}');
    let bytes: Uint8Array;
    try {
      bytes = hexToBytes(txHex, 'tx');
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
    if (bytes.length > TX_SIZE_MAX) throw new HttpError(413, `transaction of ${bytes.length} bytes exceeds the limit of ${TX_SIZE_MAX}`);
    const r = await node.admit(bytes, { persist: true, gossip: true });
    if (r.ok) return send(res, 202, { txId: r.txId, status: 'pending' });
    throw new HttpError(r.duplicate ? 409 : 400, r.error);
  }
  if (method === 'GET' && resource === 'tx' && arg && parts.length === 3) return send(res, 200, await node.txStatus(parseHexId(arg, 'transaction id')));
  if (method === 'GET' && resource === 'account' && arg && parts.length === 3) {
    try {
      return send(res, 200, await node.account(arg));
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
  }
  if (method === 'GET' && resource === 'block' && arg && parts.length === 3) {
    if (!/^[1-9][0-9]{0,18}$/.test(arg)) throw new HttpError(400, `block height must be a positive integer, got "${arg.slice(0, 40)}"`);
    // Only a block with its certificate is cached: the certificate of a synced block may come later.
    let uncached: Buffer | undefined;
    const held = await large.acquire(arg, async () => {
      const block = await node.block(BigInt(arg));
      if (!block) return undefined;
      const body = Buffer.from(jsonText(block), 'utf8');
      if (block.certificate !== null) return body;
      uncached = body;
      return undefined;
    });
    if (!held) {
      if (uncached) return sendBytes(res, 200, uncached);
      throw new HttpError(404, `no block at height ${arg} (the chain is at ${node.chain.height})`);
    }
    try {
      return await sendBytes(res, 200, held.body);
    } finally {
      held.release();
    }
  }
  if (method === 'GET' && resource === 'log' && parts.length >= 3) {
    // The log id holds slashes: it is the rest of the path, percent-decoded.
    let logId: string;
    try {
      logId = decodeURIComponent(url.pathname.slice('/v1/log/'.length));
    } catch {
      throw new HttpError(400, 'log id: not a valid percent-encoded path');
    }
    const bad = logIdProblem(logId);
    if (bad) throw new HttpError(400, `log id "${logId.slice(0, 140)}": ${bad}`);
    const from = url.searchParams.get('from') ?? '0';
    if (!/^(0|[1-9][0-9]{0,18})$/.test(from)) throw new HttpError(400, `from must be a commitment sequence number (0, 1, …), got "${from.slice(0, 40)}"`);
    const limitText = url.searchParams.get('limit') ?? String(LOG_PAGE_MAX);
    const limit = /^[1-9][0-9]{0,3}$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= LOG_PAGE_MAX)) throw new HttpError(400, `limit must be an integer from 1 to ${LOG_PAGE_MAX}, got "${limitText.slice(0, 40)}"`);
    const history = await node.logHistory(logId, BigInt(from), limit);
    if (!history) throw new HttpError(404, `no log ${logId} is known: it has no committed commitment`);
    return send(res, 200, history);
  }
  if (method === 'GET' && resource === 'proof' && arg && parts.length === 3) {
    let pieces;
    try {
      pieces = await node.proofPieces(parseHexId(arg, 'commitment id'));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, (err as Error).message);
    }
    if (!pieces) throw new HttpError(404, `no commitment ${arg} is known to this node`);
    return send(res, 200, pieces);
  }
  throw new HttpError(method === 'GET' || method === 'POST' ? 404 : 405, `no such endpoint: ${method} ${url.pathname} (see docs/api.md)`);
}

/** The client closed the connection before its request was read: its doing, not ours. */
function isClientAbort(err: unknown, req: IncomingMessage): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error)?.message === 'aborted' || (req.destroyed && !req.complete);
}

export function startHttpApi(node: PantheonNode, host: string, port: number): Promise<Server> {
  const large = new LargeResponses(LARGE_RESPONSE_BYTES_MAX);
  const server = createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS, headersTimeout: HTTP_HEADERS_TIMEOUT_MS, requestTimeout: HTTP_REQUEST_TIMEOUT_MS, keepAliveTimeout: HTTP_KEEP_ALIVE_TIMEOUT_MS }, (req, res) => {
    // A client that goes away before its answer is routine (a cancelled curl, a scraper's
    // timeout): counted, and logged at debug without a stack.
    res.once('close', () => {
      if (res.writableEnded) return; // answered (even if we then cut the connection, as after a 413)
      node.metrics.clientDisconnects.inc();
      node.log('debug', 'http client disconnected before the answer', { method: req.method, url: req.url });
    });
    route(node, large, req, res).catch((err) => {
      if (isClientAbort(err, req)) return;
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 500) node.log('error', 'http handler failed', { url: req.url, error: (err as Error).stack });
      if (!res.headersSent) void send(res, status, { error: (err as Error).message });
      if (status === 413) req.destroy();
    });
  });
  server.maxConnections = HTTP_CONNECTIONS_MAX;
  // Socket inactivity: with no 'timeout' listener the server destroys the socket.
  server.timeout = HTTP_STALL_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
