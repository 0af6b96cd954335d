// JSON for values holding bigint and Uint8Array (the sign record, attestations): bigints
// become {"$n":"123"} and bytes {"$b":"hex"}, so a round trip restores the exact types.
import { bytesToHex, hexToBytes } from '../protocol/bytes.ts';

export function toTypedJson(value: unknown): string {
  return JSON.stringify(value, function (key, v) {
    const raw = (this as Record<string, unknown>)[key];
    if (typeof raw === 'bigint') return { $n: raw.toString() };
    if (raw instanceof Uint8Array) return { $b: bytesToHex(raw) };
    return v;
  });
}

export function fromTypedJson<T>(text: string): T {
  return JSON.parse(text, (_key, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$n') return BigInt(v.$n);
      if (keys.length === 1 && keys[0] === '$b') return hexToBytes(v.$b, 'bytes');
    }
    return v;
  }) as T;
}
