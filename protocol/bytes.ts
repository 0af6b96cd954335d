// Small byte helpers shared by every layer. Browser-safe.
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';

export { bytesToHex, concatBytes };

/** Byte-wise equality (not constant-time: nothing compared here is secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lower-case hex only, of an exact length when one is given; the error names the field. */
export function hexToBytes(hex: unknown, field: string, length?: number): Uint8Array {
  const bytes = typeof hex === 'string' ? decodeLowerHex(hex) : undefined;
  if (!bytes) throw new Error(`${field}: expected lower-case hex, got ${describe(hex)}`);
  if (length !== undefined && bytes.length !== length) {
    throw new Error(`${field}: expected ${length} bytes (${length * 2} hex digits), got ${bytes.length}`);
  }
  return bytes;
}

/**
 * Lower-case hex to bytes in one pass, checked as it goes; undefined when it is not such hex.
 * A regex before the decoding was 1.5 % of a validator's CPU.
 */
function decodeLowerHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    const high = nibble(hex.charCodeAt(2 * i));
    const low = nibble(hex.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) return undefined;
    bytes[i] = (high << 4) | low;
  }
  return bytes;
}

/** The value of a lower-case hex digit, or -1. */
function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  return -1;
}

export function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

export const ZERO_HASH = new Uint8Array(32);

/** Lexicographic order of byte strings: negative, zero or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
