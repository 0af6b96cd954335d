// RFC 8785 JSON Canonicalization Scheme (JCS): the one byte form of a JSON payload
// (docs/oar.md, "Payload bytes"). Object members sorted by the UTF-16 code units of their
// names, no whitespace, strings escaped as ECMAScript's JSON.stringify does, numbers in
// ECMAScript's shortest round-trip form (RFC 8785 3.2.2.3). Browser-safe.

/** A JSON value as JSON.parse returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The canonical text of `value`; throws naming the path of anything JSON (I-JSON, RFC 7493) cannot carry. */
export function canonicalJson(value: unknown, path = 'payload'): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // RFC 8785 3.2.2.3: ECMAScript Number-to-String; NaN and Infinity have no JSON form.
      if (!Number.isFinite(value)) throw new Error(`${path}: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'string':
      return canonicalString(value, path);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(',')}]`;
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new Error(`${path}: a ${proto?.constructor?.name ?? 'non-plain'} object is not JSON`);
      // Default sort compares UTF-16 code units, which is what RFC 8785 3.2.3 asks for.
      const keys = Object.keys(value).sort();
      const members = keys.map((k) => `${canonicalString(k, `${path} key`)}:${canonicalJson((value as Record<string, unknown>)[k], `${path}.${k}`)}`);
      return `{${members.join(',')}}`;
    }
    default:
      throw new Error(`${path}: a ${typeof value} is not JSON`);
  }
}

function canonicalString(text: string, path: string): string {
  // I-JSON (RFC 7493 2.1) forbids lone surrogates: they have no UTF-8 form.
  if (LONE_SURROGATE.test(text)) throw new Error(`${path}: string holds a lone UTF-16 surrogate`);
  return JSON.stringify(text);
}

/** UTF-8 bytes of the canonical form: the payload bytes that are hashed and stored. */
export function canonicalJsonBytes(value: unknown, path = 'payload'): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value, path));
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses payload bytes and requires them to be canonical: a checker that re-encodes the parsed
 * value must get the same bytes back, so no two byte strings stand for one payload.
 */
export function parseCanonicalJson(bytes: Uint8Array, path = 'payload'): JsonValue {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new Error(`${path}: is not valid UTF-8`);
  }
  let value: JsonValue;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: is not JSON (${(err as Error).message})`);
  }
  // Duplicate member names are invisible after JSON.parse; the round trip below rejects them
  // too, because the re-encoded text would be shorter.
  if (canonicalJson(value, path) !== text) throw new Error(`${path}: is JSON but not in RFC 8785 canonical form`);
  return value;
}
