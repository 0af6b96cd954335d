// protocol/bech32m.ts against BIP 350's own vectors (docs/vectors/bech32m.json), against
// @scure/base (an independent implementation, kept for this check) on seeded random data, and
// on the strictness addresses rely on: zero padding bits, at most 4 of them.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bech32m } from '@scure/base';
import { decodeBech32m, decodeBech32mWords, encodeBech32m } from '../protocol/bech32m.ts';
import { Prng } from './sim/prng.ts';
import { REPO } from './helpers/cli.ts';

interface Bech32mCase {
  description: string;
  input: string;
  expect: 'ok' | 'invalid';
  output: { hrp?: string; words?: number; reason?: string };
}
const vectors: { cases: Bech32mCase[] } = JSON.parse(readFileSync(join(REPO, 'docs', 'vectors', 'bech32m.json'), 'utf8'));
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

describe('bech32m (BIP 350)', () => {
  it('runs every BIP 350 vector: 7 valid strings decode (part, words, checksum), 14 invalid ones are refused', () => {
    let ok = 0;
    let invalid = 0;
    for (const c of vectors.cases) {
      if (c.expect === 'ok') {
        const { hrp, words } = decodeBech32mWords(c.input);
        expect(hrp, c.description).toBe(c.output.hrp);
        expect(words.length, c.description).toBe(c.output.words);
        // Re-encoding is byte-based; the words of these strings need not regroup into bytes, so
        // compare through the checksum of the same words instead: the lower-case text is the input.
        const lower = c.input.toLowerCase();
        expect(lower.slice(0, hrp.length + 1 + words.length), c.description).toBe(`${hrp}1${words.map((w) => CHARSET[w]).join('')}`);
        ok++;
      } else {
        expect(() => decodeBech32mWords(c.input), c.description).toThrow();
        invalid++;
      }
    }
    expect([ok, invalid]).toEqual([7, 14]);
  });

  it('says what is wrong', () => {
    expect(() => decodeBech32m('a'.repeat(91))).toThrow('91 characters, more than 90');
    expect(() => decodeBech32m(' 1xj0phk')).toThrow('character " " at offset 0 is outside US-ASCII 33-126');
    expect(() => decodeBech32m('A1lqfn3a')).toThrow('mixes upper and lower case');
    expect(() => decodeBech32m('1qyrz8wqd2c9m')).toThrow('no human-readable part');
    expect(() => decodeBech32m('in1muywd')).toThrow('shorter than the 6-character checksum');
    expect(() => decodeBech32m('y1b0jsk6g')).toThrow('character "b" at offset 2 is not in the bech32 alphabet');
    expect(() => decodeBech32m('M1VUXWEZ')).toThrow('the checksum does not verify');
    expect(() => encodeBech32m('PAN', new Uint8Array(32))).toThrow('must be lower-case');
    expect(() => encodeBech32m('pan', new Uint8Array(60))).toThrow('more than 90');
  });

  it('agrees with @scure/base on 2,000 seeded random byte strings and human-readable parts', () => {
    const prng = new Prng(26);
    for (let n = 0; n < 2000; n++) {
      const hrp = Array.from({ length: prng.int(1, 10) }, () => String.fromCharCode(prng.int(0x21, 0x7e))).join('').toLowerCase().replace(/1/g, 'x');
      const bytes = prng.bytes(prng.int(0, 40));
      const words = bech32m.toWords(bytes);
      if (hrp.length + 7 + words.length > 90) continue;
      const text = encodeBech32m(hrp, bytes);
      expect(text).toBe(bech32m.encode(hrp, words, 90));
      const back = decodeBech32m(text);
      expect(back.hrp).toBe(hrp);
      expect(Array.from(back.bytes)).toEqual(Array.from(bytes));
      // One changed character is always caught (BIP 173: any error of up to 4 characters).
      const at = hrp.length + 1 + prng.int(0, text.length - hrp.length - 2);
      const other = CHARSET[(CHARSET.indexOf(text[at]) + prng.int(1, 31)) % 32];
      expect(() => decodeBech32m(text.slice(0, at) + other + text.slice(at + 1))).toThrow('the checksum does not verify');
    }
  });

  it('refuses padding that is not zero bits, or more than 4 bits of it, as the regrouping BIP 173 gives', () => {
    // 32 bytes = 256 bits = 51 words and 1 bit: the 52nd word carries 4 bits of padding.
    const good = encodeBech32m('pan', new Uint8Array(32).fill(0xff));
    const { words } = decodeBech32mWords(good);
    expect(words.length).toBe(52);
    const withChecksum = (ws: number[]) => bech32m.encode('pan', ws, 90);
    const lastOne = [...words.slice(0, -1), words[51] | 1];
    expect(() => decodeBech32m(withChecksum(lastOne))).toThrow('non-zero padding bits');
    expect(() => decodeBech32m(withChecksum([...words, 0, 0]))).toThrow('6 bits of padding, more than a word');
    expect(() => bech32m.fromWords(lastOne)).toThrow();
  });
});
