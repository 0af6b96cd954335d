// The OAR record stream (docs/oar.md, "Record file and export"): the writer's file on disk and
// the export an auditor receives are the same format, a magic string and a version, then
// length-prefixed frames: one header, then entries (each with its payload unless withheld)
// and checkpoints. RecordParser reads it from chunks of any size with bounded buffering, so a
// browser can stream a dropped file and a node can stream a file that is still growing.
// Browser-safe.
import { bytesToHex, concatBytes, equalBytes } from '../protocol/bytes.ts';
import { decodeExact, DecodeError, Reader, Writer } from '../protocol/encoding.ts';
import { assertValidChainId, CHAIN_ID_PATTERN } from '../protocol/hash.ts';
import { PUBLIC_KEY_SIZE } from '../protocol/keys.ts';
import { logIdProblem } from '../protocol/tx-common.ts';
import { LOG_ID_MAX } from './entry.ts';
import { assertValidLogId, UnsupportedVersionError, encodeSignedEntry, entryHash, HASH_SIZE, readSignedEntry, SALT_SIZE, SEQUENCE_MAX, type SignedEntry } from './entry.ts';

/** "pan-oar\n": names the file type before anything is parsed. */
export const RECORD_MAGIC = Uint8Array.from([0x70, 0x61, 0x6e, 0x2d, 0x6f, 0x61, 0x72, 0x0a]);
/** Record format 2 carries entry format 2 (Pantheon log ids); format 1 is refused at the preamble. */
export const RECORD_VERSION = 2;
/** magic (8) and u16 version. */
export const RECORD_PREAMBLE_SIZE = RECORD_MAGIC.length + 2;

/** The most payload bytes one entry may carry in this format; writers configure a lower limit. */
export const PAYLOAD_MAX = 16 * 1024 * 1024;
export const CHECKPOINT_BUNDLE_MAX = 1024 * 1024;
/** Frame type byte, u32 length. */
export const FRAME_HEAD_SIZE = 5;
/** Largest frame body: an entry with the largest payload, with room for the entry itself. */
export const FRAME_MAX = PAYLOAD_MAX + 64 * 1024;

export const FRAME_TYPES = { header: 0, entry: 1, checkpoint: 2, bundle: 3 } as const;

export interface RecordHeader {
  /** The Pantheon chain the record anchors into: part of every signature and hash. */
  chainId: string;
  logId: string;
  /** Sequence of the first entry that follows: 0 for a whole record, s for an export from s. */
  firstSequence: number;
  /** Entry hash of entry firstSequence − 1 (zero when firstSequence is 0). */
  prevHash: Uint8Array;
  /** The owner key in force at firstSequence (unauthenticated here: a verifier compares it with the key it trusts). */
  publicKey: Uint8Array;
}

export interface Payload {
  salt: Uint8Array;
  bytes: Uint8Array;
}

export interface ParsedEntry {
  type: 'entry';
  signed: SignedEntry;
  /** The signed entry's bytes as read (body and signature). */
  signedBytes: Uint8Array;
  /** Absent when the payload was withheld. */
  payload?: Payload;
  offset: number;
  end: number;
}

export interface ParsedCheckpoint {
  type: 'checkpoint';
  /** The record size (entries 0 … size − 1) the checkpoint's root covers; it follows entry size − 1 directly. */
  size: number;
  root: Uint8Array;
  offset: number;
  end: number;
}

export interface ParsedBundle {
  type: 'bundle';
  /** The size of the earlier checkpoint this commitment bundle is for. */
  size: number;
  /** The commitment bundle (docs/proof.md) as UTF-8 JSON, stored once it is final or anchored; checked by the part-2 verifier. */
  bundle: Uint8Array;
  offset: number;
  end: number;
}

export interface ParsedHeader {
  type: 'header';
  header: RecordHeader;
  offset: number;
  end: number;
}

export type RecordItem = ParsedHeader | ParsedEntry | ParsedCheckpoint | ParsedBundle;

/** A structural fault in a record stream, at a byte offset. */
export class RecordFormatError extends Error {
  constructor(
    readonly offset: number,
    readonly field: string,
    detail: string,
    /** Set when the fault is a format version this build does not read. */
    readonly unsupportedVersion?: number,
  ) {
    super(`record byte ${offset}: ${field}: ${detail}`);
    this.name = 'RecordFormatError';
  }
}

// ---- encoding ---------------------------------------------------------------------------------

function frame(type: number, body: Uint8Array): Uint8Array {
  if (body.length > FRAME_MAX) throw new RangeError(`frame: ${body.length} bytes exceeds the maximum of ${FRAME_MAX}`);
  return concatBytes(new Writer().u8(type, 'frameType').u32(body.length, 'frameLength').finish(), body);
}

export function encodeRecordHeader(h: RecordHeader): Uint8Array {
  assertValidChainId(h.chainId);
  assertValidLogId(h.logId);
  if (!Number.isSafeInteger(h.firstSequence) || h.firstSequence < 0) throw new RangeError(`firstSequence: ${h.firstSequence} is not a sequence number`);
  const body = new Writer()
    .string(h.chainId, 64, 'chainId')
    .string(h.logId, LOG_ID_MAX, 'logId')
    .u64(BigInt(h.firstSequence), 'firstSequence')
    .fixed(h.prevHash, HASH_SIZE, 'prevHash')
    .fixed(h.publicKey, PUBLIC_KEY_SIZE, 'publicKey')
    .finish();
  const preamble = new Writer().fixed(RECORD_MAGIC, RECORD_MAGIC.length, 'magic').u16(RECORD_VERSION, 'version').finish();
  return concatBytes(preamble, frame(FRAME_TYPES.header, body));
}

/** An entry frame; `payload` undefined writes the entry with its payload withheld. */
export function encodeEntryFrame(signedEntryBytes: Uint8Array, payload?: Payload): Uint8Array {
  const w = new Writer().fixed(signedEntryBytes, signedEntryBytes.length, 'entry').bool(payload !== undefined);
  if (payload) w.fixed(payload.salt, SALT_SIZE, 'salt').bytes(payload.bytes, PAYLOAD_MAX, 'payload');
  return frame(FRAME_TYPES.entry, w.finish());
}

export function encodeEntryFrameOf(signed: SignedEntry, payload?: Payload): Uint8Array {
  return encodeEntryFrame(encodeSignedEntry(signed), payload);
}

export function encodeCheckpointFrame(size: number, root: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`checkpoint size: ${size} must be at least 1`);
  return frame(FRAME_TYPES.checkpoint, new Writer().u64(BigInt(size), 'size').fixed(root, HASH_SIZE, 'root').finish());
}

export function encodeBundleFrame(size: number, bundle: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`bundle size: ${size} must be at least 1`);
  return frame(FRAME_TYPES.bundle, new Writer().u64(BigInt(size), 'size').bytes(bundle, CHECKPOINT_BUNDLE_MAX, 'bundle').finish());
}

// ---- decoding ---------------------------------------------------------------------------------

function decodeHeaderBody(body: Uint8Array): RecordHeader {
  return decodeExact(body, 'header', (r) => {
    const chainId = r.string(64, 'chainId');
    if (!CHAIN_ID_PATTERN.test(chainId)) throw new DecodeError('chainId', `must be 1-64 characters of a-z, 0-9 and '-', not starting or ending with '-' (got ${JSON.stringify(chainId)})`);
    const logId = r.string(LOG_ID_MAX, 'logId');
    const badLogId = logIdProblem(logId);
    if (badLogId) throw new DecodeError('logId', badLogId);
    const first = r.u64('firstSequence');
    if (first > BigInt(SEQUENCE_MAX)) throw new DecodeError('firstSequence', `${first} exceeds the maximum of ${SEQUENCE_MAX}`);
    const prevHash = r.fixed(HASH_SIZE, 'prevHash');
    if (first === 0n && !equalBytes(prevHash, new Uint8Array(HASH_SIZE))) throw new DecodeError('prevHash', 'must be zero when firstSequence is 0');
    return { chainId, logId, firstSequence: Number(first), prevHash, publicKey: r.fixed(PUBLIC_KEY_SIZE, 'publicKey') };
  });
}

function decodeEntryBody(body: Uint8Array): { signed: SignedEntry; signedBytes: Uint8Array; payload?: Payload } {
  const r = new Reader(body);
  const signed = readSignedEntry(r);
  const signedLength = r.position;
  const present = r.bool('payloadPresent');
  let payload: Payload | undefined;
  if (present) payload = { salt: r.fixed(SALT_SIZE, 'salt'), bytes: r.bytes(PAYLOAD_MAX, 'payload') };
  r.end('entry frame');
  return { signed, signedBytes: body.slice(0, signedLength), payload };
}

function readSize(r: Reader): number {
  const size = r.u64('size');
  if (size < 1n || size > BigInt(SEQUENCE_MAX)) throw new DecodeError('size', `${size} is not a record size of at least 1`);
  return Number(size);
}

function decodeCheckpointBody(body: Uint8Array): { size: number; root: Uint8Array } {
  return decodeExact(body, 'checkpoint', (r) => ({ size: readSize(r), root: r.fixed(HASH_SIZE, 'root') }));
}

function decodeBundleBody(body: Uint8Array): { size: number; bundle: Uint8Array } {
  return decodeExact(body, 'bundle', (r) => ({ size: readSize(r), bundle: r.bytes(CHECKPOINT_BUNDLE_MAX, 'bundle') }));
}

/** Chunks in, bytes out in exact amounts, copying only what a frame needs. */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // offset into chunks[0]
  available = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  peek(n: number): Uint8Array {
    return this.copy(n, false);
  }

  /** The next n bytes, consumed: a view into the chunk when they lie in one (the parser decodes it at once and keeps copies only). */
  take(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first && first.length - this.head >= n) {
      const view = first.subarray(this.head, this.head + n);
      this.head += n;
      this.available -= n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
      return view;
    }
    return this.copy(n, true);
  }

  private copy(n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    let index = 0;
    let head = this.head;
    while (filled < n) {
      const chunk = this.chunks[index];
      const count = Math.min(n - filled, chunk.length - head);
      out.set(chunk.subarray(head, head + count), filled);
      filled += count;
      head += count;
      if (head === chunk.length) {
        index++;
        head = 0;
      }
    }
    if (consume) {
      this.chunks.splice(0, index);
      this.head = head;
      this.available -= n;
    }
    return out;
  }
}

/**
 * Incremental reader of a record stream. push() chunks as they arrive, pull items with next();
 * end() says whether the stream stopped cleanly between frames. Throws RecordFormatError (with
 * the byte offset) for anything malformed; DecodeErrors inside a frame are reported the same way.
 */
export class RecordParser {
  private readonly queue = new ByteQueue();
  private offset = 0;
  private sawPreamble = false;
  private sawHeader = false;

  push(chunk: Uint8Array): void {
    this.queue.push(chunk);
  }

  /** The byte offset of the next unread frame. */
  get position(): number {
    return this.offset;
  }

  /** The next complete item, or undefined when more bytes are needed. */
  next(): RecordItem | undefined {
    if (!this.sawPreamble) {
      if (this.queue.available < RECORD_PREAMBLE_SIZE) return undefined;
      const pre = this.queue.take(RECORD_PREAMBLE_SIZE);
      if (!equalBytes(pre.subarray(0, RECORD_MAGIC.length), RECORD_MAGIC)) {
        throw new RecordFormatError(0, 'magic', `not an OAR record (expected ${bytesToHex(RECORD_MAGIC)} "pan-oar\\n", got ${bytesToHex(pre.subarray(0, RECORD_MAGIC.length))})`);
      }
      const version = (pre[8] << 8) | pre[9];
      if (version !== RECORD_VERSION) {
        const detail =
          version === 1
            ? `record format version 1 (free-form log ids) is not supported: this build reads version ${RECORD_VERSION}, whose log id is the Pantheon log id <owner pan1 address>/<name> (docs/oar.md); start a new record under such an id`
            : `record format version ${version} is not supported (this build reads version ${RECORD_VERSION})`;
        throw new RecordFormatError(8, 'version', detail, version);
      }
      this.sawPreamble = true;
      this.offset = RECORD_PREAMBLE_SIZE;
    }
    if (this.queue.available < FRAME_HEAD_SIZE) return undefined;
    const head = this.queue.peek(FRAME_HEAD_SIZE);
    const type = head[0];
    const length = new DataView(head.buffer).getUint32(1);
    const offset = this.offset;
    if (length > FRAME_MAX) throw new RecordFormatError(offset, 'frameLength', `length ${length} exceeds the maximum of ${FRAME_MAX}`);
    if (type > FRAME_TYPES.bundle) {
      throw new RecordFormatError(offset, 'frameType', `unknown frame type ${type}; expected 0 (header), 1 (entry), 2 (checkpoint) or 3 (bundle)`);
    }
    if (!this.sawHeader && type !== FRAME_TYPES.header) throw new RecordFormatError(offset, 'frameType', 'the first frame must be the header');
    if (this.sawHeader && type === FRAME_TYPES.header) throw new RecordFormatError(offset, 'frameType', 'a second header frame');
    if (this.queue.available < FRAME_HEAD_SIZE + length) return undefined;
    this.queue.take(FRAME_HEAD_SIZE);
    const body = this.queue.take(length);
    const end = offset + FRAME_HEAD_SIZE + length;
    this.offset = end;
    try {
      if (type === FRAME_TYPES.header) {
        this.sawHeader = true;
        return { type: 'header', header: decodeHeaderBody(body), offset, end };
      }
      if (type === FRAME_TYPES.entry) return { type: 'entry', ...decodeEntryBody(body), offset, end };
      if (type === FRAME_TYPES.checkpoint) return { type: 'checkpoint', ...decodeCheckpointBody(body), offset, end };
      return { type: 'bundle', ...decodeBundleBody(body), offset, end };
    } catch (err) {
      if (err instanceof DecodeError) throw new RecordFormatError(offset, err.field, err.message.slice(err.field.length + 2), err instanceof UnsupportedVersionError ? err.version : undefined);
      throw err;
    }
  }

  /** Call at the end of the stream: a record ends after a complete frame, never inside one. */
  end(): void {
    if (!this.sawPreamble || !this.sawHeader) {
      throw new RecordFormatError(this.offset, 'header', `the record ends after ${this.offset + this.queue.available} bytes, before its header is complete`);
    }
    if (this.queue.available > 0) {
      throw new RecordFormatError(this.offset, 'frame', `the record ends inside a frame: ${this.queue.available} bytes of an incomplete frame`);
    }
  }
}

/** Reads a whole record stream item by item (chunks may be a Node stream, a browser ReadableStream's reader, or an array). */
export async function* readRecord(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<RecordItem> {
  const parser = new RecordParser();
  for await (const chunk of chunks as AsyncIterable<Uint8Array>) {
    parser.push(chunk instanceof Uint8Array && chunk.constructor !== Uint8Array ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : chunk);
    for (let item = parser.next(); item; item = parser.next()) yield item;
  }
  parser.end();
}

/** The entry hash of a parsed entry. */
export function parsedEntryHash(chainId: string, item: ParsedEntry): Uint8Array {
  return entryHash(chainId, item.signedBytes);
}
