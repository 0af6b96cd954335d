// The HTTP API (docs/api.md): JSON in and out. Bodies over the limit are refused from their
// Content-Length before a byte is read (and cut off if they lie); every error names what is
// wrong; no request can take the node down.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hexToBytes } from '../protocol/bytes.ts';
import { logIdProblem, TX_SIZE_MAX } from '../protocol/tx.ts';
import type { PantheonNode } from './node.ts';

/** The most commitments one GET /v1/log page lists. */
export const LOG_PAGE_MAX = 100;

/** A hex transaction of the largest size, with JSON around it. */
export const BODY_BYTES_MAX = TX_SIZE_MAX * 2 + 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = contentType === 'application/json' ? JSON.stringify(body, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\n' : String(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
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

async function route(node: PantheonNode, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    const block = await node.block(BigInt(arg));
    if (!block) throw new HttpError(404, `no block at height ${arg} (the chain is at ${node.chain.height})`);
    return send(res, 200, block);
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
  const server = createServer((req, res) => {
    // A client that goes away before its answer is routine (a cancelled curl, a scraper's
    // timeout): counted, and logged at debug without a stack.
    res.once('close', () => {
      if (res.writableEnded) return; // answered (even if we then cut the connection, as after a 413)
      node.metrics.clientDisconnects.inc();
      node.log('debug', 'http client disconnected before the answer', { method: req.method, url: req.url });
    });
    route(node, req, res).catch((err) => {
      if (isClientAbort(err, req)) return;
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 500) node.log('error', 'http handler failed', { url: req.url, error: (err as Error).stack });
      if (!res.headersSent) send(res, status, { error: (err as Error).message });
      if (status === 413) req.destroy();
    });
  });
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
