// The one atomic-write helper (node/files.ts), used by the node, the CLI and the anchorer: a
// missing file is an error for a file that must exist and `undefined` for state created on
// first use; damage is an error for both (state is never rebuilt from a guess); a write
// replaces the file whole, with the mode asked for, and leaves no temporary file behind.
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonFile, readJsonFileIfExists, readTextFile, writeFileAtomic } from '../node/files.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'pantheon-files-'));

describe('node/files.ts', () => {
  it('a missing file: an error naming it when it must exist, undefined when it is state made on first use', () => {
    const path = join(dir(), 'absent.json');
    expect(() => readJsonFile(path, 'the genesis')).toThrow(`the genesis: file not found: ${path}`);
    expect(() => readTextFile(path, 'the key')).toThrow(`the key: file not found: ${path}`);
    expect(readJsonFileIfExists(path, 'the anchorer state')).toBeUndefined();
    expect(existsSync(path)).toBe(false); // reading never creates it
  });

  it('a damaged file is refused by both readers, by name; a member named twice too', () => {
    const d = dir();
    const torn = join(d, 'torn.json');
    writeFileSync(torn, '{"height": 12, "utx');
    expect(() => readJsonFileIfExists(torn, 'the anchorer state')).toThrow(/^the anchorer state: .*not valid JSON/);
    expect(() => readJsonFile(torn, 'the genesis')).toThrow(/^the genesis: .*not valid JSON/);
    const twice = join(d, 'twice.json');
    writeFileSync(twice, '{"a": 1, "a": 2}');
    expect(() => readJsonFileIfExists(twice, 'the wallet key')).toThrow(/^the wallet key: .*"a"/);
    const unreadable = join(d, 'a-folder.json');
    writeFileAtomic(join(unreadable, 'x'), 'x');
    expect(() => readJsonFileIfExists(unreadable, 'the anchorer state')).toThrow(/EISDIR/);
  });

  it('writes whole files with the mode asked for, replaces them atomically and leaves no temporary file', () => {
    const d = dir();
    const path = join(d, 'nested', 'state.json');
    writeFileAtomic(path, JSON.stringify({ v: 1 }), 0o600);
    expect(readJsonFileIfExists(path, 'state')).toEqual({ v: 1 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const big = 'x'.repeat(3 << 20);
    writeFileAtomic(path, JSON.stringify({ v: 2, big }));
    expect(readJsonFile(path, 'state')).toEqual({ v: 2, big });
    writeFileAtomic(path, new Uint8Array([0x7b, 0x7d]));
    expect(readJsonFile(path, 'state')).toEqual({});
    expect(readdirSync(join(d, 'nested'))).toEqual(['state.json']);
    expect(() => writeFileAtomic('', 'x')).toThrow(/a file path is required/);
  });
});
