// protocol/bytes.ts hexToBytes, the one decoder of hex the API and the bundles use: against
// noble's bytesToHex / hexToBytes (an independent implementation) on seeded random bytes, and
// strict about what it accepts: lower-case digits only, an even length, the length asked for.
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes as nobleHexToBytes } from '@noble/hashes/utils.js';
import { hexToBytes } from '../protocol/bytes.ts';
import { Prng } from './sim/prng.ts';

describe('hexToBytes', () => {
  it('decodes what noble encodes, and agrees with noble on lower-case hex, over 2,000 seeded random inputs', () => {
    const prng = new Prng(1);
    for (let n = 0; n < 2000; n++) {
      const bytes = Uint8Array.from({ length: prng.int(0, 300) }, () => prng.int(0, 255));
      const hex = bytesToHex(bytes);
      expect(hexToBytes(hex, 'x')).toEqual(bytes);
      expect(hexToBytes(hex, 'x')).toEqual(nobleHexToBytes(hex));
    }
  });

  it('refuses every character that is not a lower-case hex digit, in either place of a byte, naming the field', () => {
    for (let code = 0; code < 0x180; code++) {
      const c = String.fromCharCode(code);
      const digit = /[0-9a-f]/.test(c);
      for (const hex of [`${c}0`, `0${c}`, `00${c}0`]) {
        if (digit) expect(() => hexToBytes(hex, 'f')).not.toThrow();
        else expect(() => hexToBytes(hex, 'field')).toThrow(/^field: expected lower-case hex, got /);
      }
    }
    for (const bad of ['0', 'abc', 'AB', '0x00', ' 00', '00 ', undefined, 12, null]) expect(() => hexToBytes(bad, 'f')).toThrow('f: expected lower-case hex');
    expect(hexToBytes('', 'f')).toEqual(new Uint8Array(0));
    expect(() => hexToBytes('00ff', 'id', 3)).toThrow('id: expected 3 bytes (6 hex digits), got 2');
  });
});
