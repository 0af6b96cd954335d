// Reading and writing one length-prefixed frame (u32 big-endian length || body, docs/sync.md)
// on a libp2p stream, with a size bound checked before any body byte is buffered and with
// write backpressure honoured.
import type { Stream } from '@libp2p/interface';
import { FRAME_HEADER_BYTES } from './rules/sync-codec.ts';

/** Sends are cut into pieces of this size so backpressure is checked between them. */
const WRITE_CHUNK_BYTES = 64 * 1024;

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/**
 * Reads one frame and returns its body. Throws FrameError if the announced length exceeds
 * maxBodyBytes (before reading the body) or if the stream ends early. Bytes after the frame
 * are left unread: each stream carries exactly one frame each way.
 */
export async function readFrame(stream: Stream, maxBodyBytes: number, what: string): Promise<Uint8Array> {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  let headerHave = 0;
  let bodyLength = -1;
  const chunks: Uint8Array[] = [];
  let bodyHave = 0;
  for await (const piece of stream) {
    let bytes = piece instanceof Uint8Array ? piece : piece.subarray();
    if (bodyLength < 0) {
      const n = Math.min(FRAME_HEADER_BYTES - headerHave, bytes.length);
      header.set(bytes.subarray(0, n), headerHave);
      headerHave += n;
      bytes = bytes.subarray(n);
      if (headerHave < FRAME_HEADER_BYTES) continue;
      bodyLength = new DataView(header.buffer).getUint32(0);
      if (bodyLength > maxBodyBytes) {
        throw new FrameError(`${what}: frame announces ${bodyLength} bytes, more than the ${maxBodyBytes}-byte limit`);
      }
    }
    // Memory grows with bytes actually received, never with the announced length alone.
    const take = Math.min(bodyLength - bodyHave, bytes.length);
    if (take > 0) {
      chunks.push(bytes.slice(0, take));
      bodyHave += take;
    }
    if (bodyHave === bodyLength) return concat(chunks, bodyLength);
  }
  if (bodyLength < 0) throw new FrameError(`${what}: stream ended after ${headerHave} of the ${FRAME_HEADER_BYTES} length bytes`);
  throw new FrameError(`${what}: stream ended after ${bodyHave} of ${bodyLength} body bytes`);
}

/** Writes bytes, waiting for the muxer to drain whenever send() reports a full buffer. */
export async function writeAll(stream: Stream, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += WRITE_CHUNK_BYTES) {
    const piece = bytes.subarray(offset, Math.min(offset + WRITE_CHUNK_BYTES, bytes.length));
    if (!stream.send(piece)) await stream.onDrain({ signal });
  }
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
