// Wire format of the block-sync protocol (docs/sync.md): one request frame, one response
// frame per stream. A frame is u32 big-endian length || body; bodies use the canonical
// encoding of docs/encoding.md. Pure: no libp2p, no I/O, so the vectors test it directly.
import { DecodeError, decodeExact, Writer } from '../../../protocol/encoding.ts';
import { TX_SIZE_MAX } from '../../../protocol/tx.ts';

/** Most blocks one request may ask for; a server never sends more than asked. */
export const SYNC_BLOCKS_MAX = 64;
/** Most transactions one 'txs' request may ask for (a compact block's missing ones, in chunks). */
export const SYNC_TXS_MAX = 1024;
/** Requests are 1, 13 or 5 + 32 × hashes bytes; the bound only keeps a hostile length prefix harmless. */
export const SYNC_REQUEST_BYTES_MAX = 1 + 4 + 32 * SYNC_TXS_MAX;
/** Largest response body (64 MiB). A bigger frame is refused before any of it is buffered. */
export const SYNC_RESPONSE_BYTES_MAX = 64 * 1024 * 1024;
/**
 * Per-field bound for a block. The genesis limit (blockBytesMax, at most 64 MiB) is the
 * node's rule, checked by whoever decodes the block; the codec only bounds by the frame.
 */
export const SYNC_BLOCK_BYTES_MAX = SYNC_RESPONSE_BYTES_MAX;
/** A certificate of 256 validators is ~832 KiB; 1 MiB bounds it with room to spare. */
export const SYNC_CERTIFICATE_BYTES_MAX = 1024 * 1024;
export const SYNC_ERROR_MESSAGE_BYTES_MAX = 1024;
export const FRAME_HEADER_BYTES = 4;

export type SyncRequest = { kind: 'status' } | { kind: 'blocks'; fromHeight: bigint; maxBlocks: number } | { kind: 'txs'; txLeafHashes: Uint8Array[] };
export type SyncBlock = { block: Uint8Array; certificate: Uint8Array };
export type SyncResponse =
  | { kind: 'status'; height: bigint }
  | { kind: 'blocks'; blocks: SyncBlock[] }
  /** One entry per hash asked for, in order; empty bytes where the server holds no such transaction. */
  | { kind: 'txs'; txs: Uint8Array[] }
  | { kind: 'error'; message: string };

// Kind bytes (docs/sync.md, "Kinds"). Requests and responses share the numbering so that a
// status request is answered by a status response.
const KIND_STATUS = 0x01;
const KIND_BLOCKS = 0x02;
const KIND_ERROR = 0x03;
const KIND_TXS = 0x04;

export function encodeSyncRequest(request: SyncRequest): Uint8Array {
  const w = new Writer();
  switch (request.kind) {
    case 'status':
      return w.u8(KIND_STATUS, 'kind').finish();
    case 'blocks':
      assertMaxBlocks(request.maxBlocks, (m) => new RangeError(m));
      return w.u8(KIND_BLOCKS, 'kind').u64(request.fromHeight, 'fromHeight').u32(request.maxBlocks, 'maxBlocks').finish();
    case 'txs':
      if (request.txLeafHashes.length < 1) throw new RangeError('txLeafHashes: ask for at least one transaction');
      return w.u8(KIND_TXS, 'kind').list(request.txLeafHashes, SYNC_TXS_MAX, 'txLeafHashes', (ww, h) => ww.fixed(h, 32, 'txLeafHash')).finish();
    default:
      throw new TypeError(`sync request: unknown kind ${JSON.stringify((request as { kind: unknown }).kind)}`);
  }
}

export function decodeSyncRequest(body: Uint8Array): SyncRequest {
  return decodeExact(body, 'sync request', (r): SyncRequest => {
    const kind = r.u8('kind');
    if (kind === KIND_STATUS) return { kind: 'status' };
    if (kind === KIND_BLOCKS) {
      const fromHeight = r.u64('fromHeight');
      const maxBlocks = r.u32('maxBlocks');
      assertMaxBlocks(maxBlocks, (m) => new DecodeError('maxBlocks', m));
      return { kind: 'blocks', fromHeight, maxBlocks };
    }
    if (kind === KIND_TXS) {
      const txLeafHashes = r.list(SYNC_TXS_MAX, 'txLeafHashes', (rr) => rr.fixed(32, 'txLeafHash'));
      if (txLeafHashes.length < 1) throw new DecodeError('txLeafHashes', 'ask for at least one transaction');
      return { kind: 'txs', txLeafHashes };
    }
    throw new DecodeError('kind', `unknown request kind 0x${hex2(kind)} (expected 01 status, 02 blocks or 04 txs)`);
  });
}

/** Throws RangeError if the response would exceed SYNC_RESPONSE_BYTES_MAX or a field bound. */
export function encodeSyncResponse(response: SyncResponse): Uint8Array {
  const w = new Writer();
  switch (response.kind) {
    case 'status':
      w.u8(KIND_STATUS, 'kind').u64(response.height, 'height');
      break;
    case 'blocks': {
      // Check the total before building it, so a server never assembles a 1 GiB buffer.
      let total = 1 + 4;
      for (const b of response.blocks) total += 8 + (b.block?.length ?? 0) + (b.certificate?.length ?? 0);
      if (total > SYNC_RESPONSE_BYTES_MAX) {
        throw new RangeError(`sync response: ${response.blocks.length} blocks take ${total} bytes, more than the ${SYNC_RESPONSE_BYTES_MAX}-byte limit; send fewer blocks`);
      }
      w.u8(KIND_BLOCKS, 'kind').list(response.blocks, SYNC_BLOCKS_MAX, 'blocks', (ww, b) => {
        ww.bytes(b.block, SYNC_BLOCK_BYTES_MAX, 'block').bytes(b.certificate, SYNC_CERTIFICATE_BYTES_MAX, 'certificate');
      });
      break;
    }
    case 'txs':
      w.u8(KIND_TXS, 'kind').list(response.txs, SYNC_TXS_MAX, 'txs', (ww, tx) => ww.bytes(tx, TX_SIZE_MAX, 'tx'));
      break;
    case 'error':
      w.u8(KIND_ERROR, 'kind').string(truncateUtf8(response.message, SYNC_ERROR_MESSAGE_BYTES_MAX), SYNC_ERROR_MESSAGE_BYTES_MAX, 'message');
      break;
    default:
      throw new TypeError(`sync response: unknown kind ${JSON.stringify((response as { kind: unknown }).kind)}`);
  }
  const body = w.finish();
  if (body.length > SYNC_RESPONSE_BYTES_MAX) {
    throw new RangeError(`sync response: ${body.length} bytes exceeds the ${SYNC_RESPONSE_BYTES_MAX}-byte limit`);
  }
  return body;
}

export function decodeSyncResponse(body: Uint8Array): SyncResponse {
  if (body.length > SYNC_RESPONSE_BYTES_MAX) {
    throw new DecodeError('sync response', `${body.length} bytes exceeds the ${SYNC_RESPONSE_BYTES_MAX}-byte limit`);
  }
  return decodeExact(body, 'sync response', (r): SyncResponse => {
    const kind = r.u8('kind');
    if (kind === KIND_STATUS) return { kind: 'status', height: r.u64('height') };
    if (kind === KIND_BLOCKS) {
      const blocks = r.list(SYNC_BLOCKS_MAX, 'blocks', (rr) => ({
        block: rr.bytes(SYNC_BLOCK_BYTES_MAX, 'block'),
        certificate: rr.bytes(SYNC_CERTIFICATE_BYTES_MAX, 'certificate'),
      }));
      return { kind: 'blocks', blocks };
    }
    if (kind === KIND_TXS) return { kind: 'txs', txs: r.list(SYNC_TXS_MAX, 'txs', (rr) => rr.bytes(TX_SIZE_MAX, 'tx')) };
    if (kind === KIND_ERROR) return { kind: 'error', message: r.string(SYNC_ERROR_MESSAGE_BYTES_MAX, 'message') };
    throw new DecodeError('kind', `unknown response kind 0x${hex2(kind)} (expected 01 status, 02 blocks, 03 error or 04 txs)`);
  });
}

/** u32 big-endian length || body. */
export function encodeFrame(body: Uint8Array, maxBodyBytes: number): Uint8Array {
  if (body.length > maxBodyBytes) throw new RangeError(`frame: body of ${body.length} bytes exceeds the ${maxBodyBytes}-byte limit`);
  const out = new Uint8Array(FRAME_HEADER_BYTES + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

/** Does a response answer the request it was sent for? Returns what is wrong, or undefined. */
export function checkResponseMatchesRequest(request: SyncRequest, response: SyncResponse): string | undefined {
  if (response.kind === 'error') return undefined;
  if (response.kind !== request.kind) return `a ${request.kind} request was answered with a ${response.kind} response`;
  if (request.kind === 'blocks' && response.kind === 'blocks' && response.blocks.length > request.maxBlocks) {
    return `asked for at most ${request.maxBlocks} blocks, got ${response.blocks.length}`;
  }
  if (request.kind === 'txs' && response.kind === 'txs' && response.txs.length !== request.txLeafHashes.length) {
    return `asked for ${request.txLeafHashes.length} transactions, got ${response.txs.length} answers`;
  }
  return undefined;
}

function assertMaxBlocks(maxBlocks: number, error: (message: string) => Error): void {
  if (!Number.isInteger(maxBlocks) || maxBlocks < 1 || maxBlocks > SYNC_BLOCKS_MAX) {
    throw error(`maxBlocks must be between 1 and ${SYNC_BLOCKS_MAX}, got ${maxBlocks}`);
  }
}

/** Cut text to at most maxBytes of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= maxBytes) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const n = encoder.encode(ch).length;
    if (used + n > maxBytes) break;
    out += ch;
    used += n;
  }
  return out;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
