// bech32m (BIP 350: BIP 173's format with the checksum constant 0x2bc830a3), the text form of
// addresses (docs/keys.md, "Addresses"): a human-readable part, "1", the data as 5-bit words,
// and a 6-word checksum. Bytes in, bytes out: the 8-to-5-bit regrouping is done here, and its
// padding must be zero bits, so one byte string has one text form. Vectors: BIP 350's own
// (docs/vectors/bech32m.json). Browser-safe.
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32M_CONST = 0x2bc830a3;
/** BIP 173: a bech32 string is at most 90 characters. */
export const BECH32_LENGTH_MAX = 90;

/** BIP 173's checksum polynomial over GF(32), remainder of the values. */
function polymod(values: readonly number[]): number {
  const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i];
  }
  return chk;
}

/** The human-readable part as the checksum sees it: high bits of each character, 0, low bits. */
function hrpValues(hrp: string): number[] {
  const codes = [...hrp].map((c) => c.charCodeAt(0));
  return [...codes.map((c) => c >> 5), 0, ...codes.map((c) => c & 31)];
}

/** Regroups bits: 8 to 5 pads the last word with zero bits; 5 to 8 requires that padding. */
function regroup(data: ArrayLike<number>, from: number, to: number, pad: boolean): number[] {
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < data.length; i++) {
    acc = ((acc << from) | data[i]) & 0xfff;
    bits += from;
    for (; bits >= to; bits -= to) out.push((acc >> (bits - to)) & ((1 << to) - 1));
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & ((1 << to) - 1));
  } else if (bits >= from) {
    throw new Error(`${bits} bits of padding, more than a word`);
  } else if ((acc << (to - bits)) & ((1 << to) - 1)) {
    throw new Error('non-zero padding bits');
  }
  return out;
}

/** The bech32m text of `bytes` under the human-readable part `hrp` (lower case). */
export function encodeBech32m(hrp: string, bytes: Uint8Array): string {
  if (!/^[\x21-\x7e]+$/.test(hrp) || hrp !== hrp.toLowerCase()) throw new Error(`bech32m: human-readable part ${JSON.stringify(hrp)} must be lower-case US-ASCII 33-126`);
  const words = regroup(bytes, 8, 5, true);
  const mod = polymod([...hrpValues(hrp), ...words, 0, 0, 0, 0, 0, 0]) ^ BECH32M_CONST;
  const checksum = [0, 1, 2, 3, 4, 5].map((i) => (mod >> (5 * (5 - i))) & 31);
  const text = `${hrp}1${[...words, ...checksum].map((w) => CHARSET[w]).join('')}`;
  if (text.length > BECH32_LENGTH_MAX) throw new Error(`bech32m: ${text.length} characters, more than ${BECH32_LENGTH_MAX}`);
  return text;
}

/**
 * The human-readable part and 5-bit words of a bech32m string, as BIP 350 decodes it (all lower
 * or all upper case; the part is returned in lower case). Throws saying what is wrong.
 */
export function decodeBech32mWords(text: string): { hrp: string; words: number[] } {
  if (text.length > BECH32_LENGTH_MAX) throw new Error(`${text.length} characters, more than ${BECH32_LENGTH_MAX}`);
  const outside = /[^\x21-\x7e]/.exec(text);
  if (outside) throw new Error(`character ${JSON.stringify(outside[0])} at offset ${outside.index} is outside US-ASCII 33-126`);
  const lower = text.toLowerCase();
  if (text !== lower && text !== text.toUpperCase()) throw new Error('mixes upper and lower case');
  const at = lower.lastIndexOf('1');
  if (at < 1) throw new Error('no human-readable part before the separator "1"');
  if (lower.length - at - 1 < 6) throw new Error('shorter than the 6-character checksum after the separator');
  const hrp = lower.slice(0, at);
  const values: number[] = [];
  for (let i = at + 1; i < lower.length; i++) {
    const v = CHARSET.indexOf(lower[i]);
    if (v < 0) throw new Error(`character ${JSON.stringify(text[i])} at offset ${i} is not in the bech32 alphabet`);
    values.push(v);
  }
  if (polymod([...hrpValues(hrp), ...values]) !== BECH32M_CONST) throw new Error('the checksum does not verify (a typing error, or a bech32 rather than bech32m checksum)');
  return { hrp, words: values.slice(0, -6) };
}

/** decodeBech32mWords, then the words as bytes: at most 4 bits of padding, all zero. */
export function decodeBech32m(text: string): { hrp: string; bytes: Uint8Array } {
  const { hrp, words } = decodeBech32mWords(text);
  return { hrp, bytes: Uint8Array.from(regroup(words, 5, 8, false)) };
}
