// Canonical binary encoding (docs/encoding.md): exactly one byte sequence per value.
// Fixed-width big-endian integers (so no non-minimal forms exist), u32 length prefixes,
// and a decoder that names the field it rejects. Browser-safe: no Node imports.

export class DecodeError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'DecodeError';
  }
}

const U64_MAX = (1n << 64n) - 1n;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export class Writer {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.length += bytes.length;
    return this;
  }

  u8(value: number, field = 'u8'): this {
    assertInt(value, 0, 0xff, field);
    return this.push(Uint8Array.of(value));
  }

  u16(value: number, field = 'u16'): this {
    assertInt(value, 0, 0xffff, field);
    return this.push(Uint8Array.of(value >>> 8, value & 0xff));
  }

  u32(value: number, field = 'u32'): this {
    assertInt(value, 0, 0xffffffff, field);
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, value);
    return this.push(out);
  }

  u64(value: bigint, field = 'u64'): this {
    if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
      throw new RangeError(`${field}: ${String(value)} is not a u64`);
    }
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, value);
    return this.push(out);
  }

  bool(value: boolean): this {
    return this.push(Uint8Array.of(value ? 1 : 0));
  }

  /** Bytes of a length fixed by the format: no prefix. */
  fixed(bytes: Uint8Array, length: number, field = 'bytes'): this {
    if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
      throw new RangeError(`${field}: expected ${length} bytes, got ${bytes?.length}`);
    }
    return this.push(bytes);
  }

  /** Variable-length bytes: u32 length, then the bytes. */
  bytes(bytes: Uint8Array, maxLength: number, field = 'bytes'): this {
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`${field}: expected bytes`);
    if (bytes.length > maxLength) {
      throw new RangeError(`${field}: ${bytes.length} bytes exceeds the maximum of ${maxLength}`);
    }
    this.u32(bytes.length, field);
    return this.push(bytes);
  }

  /** UTF-8 text as variable-length bytes. */
  string(text: string, maxLength: number, field = 'string'): this {
    return this.bytes(utf8Encoder.encode(text), maxLength, field);
  }

  /** A list: u32 count, then each item written by `each`. */
  list<T>(items: readonly T[], maxCount: number, field: string, each: (w: Writer, item: T, i: number) => void): this {
    if (items.length > maxCount) {
      throw new RangeError(`${field}: ${items.length} items exceeds the maximum of ${maxCount}`);
    }
    this.u32(items.length, field);
    items.forEach((item, i) => each(this, item, i));
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

export class Reader {
  private offset = 0;

  constructor(private readonly data: Uint8Array) {
    if (!(data instanceof Uint8Array)) throw new DecodeError('input', 'expected bytes');
  }

  /** Bytes consumed so far: where a self-delimiting value read from the front ends. */
  get position(): number {
    return this.offset;
  }

  private take(length: number, field: string): Uint8Array {
    if (this.offset + length > this.data.length) {
      throw new DecodeError(field, `needs ${length} bytes at offset ${this.offset}, only ${this.data.length - this.offset} left`);
    }
    const out = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  u8(field: string): number {
    return this.take(1, field)[0];
  }

  u16(field: string): number {
    const b = this.take(2, field);
    return (b[0] << 8) | b[1];
  }

  u32(field: string): number {
    const b = this.take(4, field);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
  }

  u64(field: string): bigint {
    const b = this.take(8, field);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
  }

  bool(field: string): boolean {
    const v = this.u8(field);
    if (v > 1) throw new DecodeError(field, `boolean must be 0 or 1, got ${v}`);
    return v === 1;
  }

  /** A copy, so decoded values never alias the input buffer. */
  fixed(length: number, field: string): Uint8Array {
    return this.take(length, field).slice();
  }

  bytes(maxLength: number, field: string): Uint8Array {
    const length = this.u32(field);
    if (length > maxLength) throw new DecodeError(field, `length ${length} exceeds the maximum of ${maxLength}`);
    return this.fixed(length, field);
  }

  string(maxLength: number, field: string): string {
    const bytes = this.bytes(maxLength, field);
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      throw new DecodeError(field, 'is not valid UTF-8');
    }
  }

  list<T>(maxCount: number, field: string, each: (r: Reader, i: number) => T): T[] {
    const count = this.u32(field);
    if (count > maxCount) throw new DecodeError(field, `count ${count} exceeds the maximum of ${maxCount}`);
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(each(this, i));
    return out;
  }

  /** Call once the value is read: canonical encodings have no trailing bytes. */
  end(what: string): void {
    if (this.offset !== this.data.length) {
      throw new DecodeError(what, `${this.data.length - this.offset} trailing bytes after the encoding`);
    }
  }
}

function assertInt(value: number, min: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${field}: ${value} is not an integer in [${min}, ${max}]`);
  }
}

/** Decode with `read`, then require that every byte was consumed. */
export function decodeExact<T>(data: Uint8Array, what: string, read: (r: Reader) => T): T {
  const reader = new Reader(data);
  const value = read(reader);
  reader.end(what);
  return value;
}
