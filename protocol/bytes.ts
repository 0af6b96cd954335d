// Small byte helpers shared by every layer. Browser-safe.
import { bytesToHex, hexToBytes as nobleHexToBytes, concatBytes } from '@noble/hashes/utils.js';

export { bytesToHex, concatBytes };

/** Byte-wise equality (not constant-time: nothing compared here is secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lower-case hex only, of an exact length when one is given; the error names the field. */
export function hexToBytes(hex: unknown, field: string, length?: number): Uint8Array {
  // Even length and one character class: a grouped regex was 2.6 % of a validator's CPU.
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) {
    throw new Error(`${field}: expected lower-case hex, got ${describe(hex)}`);
  }
  const bytes = nobleHexToBytes(hex);
  if (length !== undefined && bytes.length !== length) {
    throw new Error(`${field}: expected ${length} bytes (${length * 2} hex digits), got ${bytes.length}`);
  }
  return bytes;
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
