// The block-sync protocol over libp2p streams (docs/sync.md): the client opens a stream,
// writes one request frame and closes its write side; the server answers with one response
// frame and closes. Anything malformed is answered with an 'error' response; nothing a peer
// sends can throw out of the handler or stop the node.
import type { Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { LogFn } from './identity.ts';
import { FrameError, readFrame, writeAll } from './stream-frames.ts';
import {
  checkResponseMatchesRequest,
  decodeSyncRequest,
  decodeSyncResponse,
  encodeFrame,
  encodeSyncRequest,
  encodeSyncResponse,
  SYNC_REQUEST_BYTES_MAX,
  SYNC_RESPONSE_BYTES_MAX,
  type SyncRequest,
  type SyncResponse,
} from './rules/sync-codec.ts';

export type SyncServeHandler = (request: SyncRequest) => Promise<SyncResponse>;

export const SYNC_REQUEST_TIMEOUT_MS_DEFAULT = 30_000;
/** A client has this long to deliver its (tiny) request before the server gives up. */
const SYNC_READ_REQUEST_TIMEOUT_MS = 10_000;
/** Concurrent sync streams per connection, each way: a peer cannot queue unbounded work. */
export const SYNC_STREAMS_PER_CONNECTION_MAX = 4;

export class SyncServer {
  private handler: SyncServeHandler | undefined;

  constructor(private readonly log: LogFn) {}

  setHandler(handler: SyncServeHandler): void {
    if (typeof handler !== 'function') throw new TypeError('serveSync: handler must be a function');
    this.handler = handler;
  }

  /** The libp2p stream handler; never throws. */
  readonly onStream = async (stream: Stream, remotePeer: string): Promise<void> => {
    const response = await this.answer(stream, remotePeer);
    let body: Uint8Array;
    try {
      body = encodeSyncResponse(response);
    } catch (err) {
      body = encodeSyncResponse({ kind: 'error', message: `server could not encode its response: ${(err as Error).message}` });
      this.log('p2p_sync_response_unencodable', { peer: remotePeer, error: (err as Error).message });
    }
    try {
      await writeAll(stream, encodeFrame(body, SYNC_RESPONSE_BYTES_MAX), AbortSignal.timeout(SYNC_REQUEST_TIMEOUT_MS_DEFAULT));
      await stream.close();
    } catch (err) {
      this.log('p2p_sync_response_send_failed', { peer: remotePeer, error: (err as Error).message });
      stream.abort(err as Error);
    }
  };

  private async answer(stream: Stream, remotePeer: string): Promise<SyncResponse> {
    let request: SyncRequest;
    const timer = setTimeout(() => stream.abort(new FrameError(`no complete request within ${SYNC_READ_REQUEST_TIMEOUT_MS} ms`)), SYNC_READ_REQUEST_TIMEOUT_MS);
    try {
      request = decodeSyncRequest(await readFrame(stream, SYNC_REQUEST_BYTES_MAX, 'sync request'));
    } catch (err) {
      this.log('p2p_sync_bad_request', { peer: remotePeer, error: (err as Error).message });
      return { kind: 'error', message: `bad sync request: ${(err as Error).message}` };
    } finally {
      clearTimeout(timer);
    }
    const handler = this.handler;
    if (handler === undefined) return { kind: 'error', message: 'this node does not serve sync yet' };
    try {
      const response = await handler(request);
      const mismatch = checkResponseMatchesRequest(request, response);
      if (mismatch !== undefined) throw new Error(`handler bug: ${mismatch}`);
      return response;
    } catch (err) {
      this.log('p2p_sync_handler_error', { peer: remotePeer, request: request.kind, error: (err as Error).message });
      return { kind: 'error', message: `server failed: ${(err as Error).message}` };
    }
  }
}

/**
 * Sends `requestBytes` (a whole frame, normally encodeFrame(encodeSyncRequest(r))) and reads
 * one response. Exposed separately so conformance tests can send malformed frames.
 */
export async function exchangeSyncFrame(
  libp2p: Libp2p,
  protocol: string,
  peerId: string,
  requestBytes: Uint8Array,
  timeoutMs: number,
): Promise<SyncResponse> {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`sync: timeoutMs must be a positive number, got ${timeoutMs}`);
  let remote;
  try {
    remote = peerIdFromString(peerId);
  } catch (err) {
    throw new Error(`sync: ${JSON.stringify(peerId)} is not a peer id (${(err as Error).message})`);
  }
  const signal = AbortSignal.timeout(timeoutMs);
  let stream: Stream | undefined;
  const onAbort = () => stream?.abort(new Error(`timed out after ${timeoutMs} ms`));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    stream = await libp2p.dialProtocol(remote, protocol, { signal });
    await writeAll(stream, requestBytes, signal);
    // Half-close: tells the server the request is complete.
    await stream.close({ signal });
    const body = await readFrame(stream, SYNC_RESPONSE_BYTES_MAX, 'sync response');
    return decodeSyncResponse(body);
  } catch (err) {
    stream?.abort(err as Error);
    const reason = signal.aborted ? `timed out after ${timeoutMs} ms` : (err as Error).message;
    throw new Error(`sync request to ${peerId} failed: ${reason}`);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

export async function requestSync(
  libp2p: Libp2p,
  protocol: string,
  peerId: string,
  request: SyncRequest,
  timeoutMs: number,
): Promise<SyncResponse> {
  const frame = encodeFrame(encodeSyncRequest(request), SYNC_REQUEST_BYTES_MAX);
  const response = await exchangeSyncFrame(libp2p, protocol, peerId, frame, timeoutMs);
  const mismatch = checkResponseMatchesRequest(request, response);
  if (mismatch !== undefined) throw new Error(`sync request to ${peerId} failed: ${mismatch}`);
  return response;
}
