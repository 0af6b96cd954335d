// bin/build-html.ts's two text passes over the page's script: which of our comments it keeps
// (a comment on a declaration the page leaves out goes with it), and tabs for indentation,
// refused when they would change the program.
import { describe, expect, it } from 'vitest';
import { indentWithTabs, markComments } from '../bin/build-html.ts';

const kept = (marked: string) => [...marked.matchAll(/^[ \t]*(?:\/\/|\/\*)!~keep~(.*)$/gm)].map((m) => m[1].trim());

describe('build-html', () => {
  it('keeps the opening comment, headings and comments on declarations the page holds; drops those on types and on declarations it left out', () => {
    const source = [
      '// The module: what it does (docs/x.md).',
      "import { a } from './a.ts';",
      '',
      '// ---- a heading ----',
      '',
      '/** A type: erased from the page. */',
      'export interface Thing {',
      '  // a member comment',
      '  size: number;',
      '}',
      '/** Also a type. */',
      'export type Name = string;',
      '/**',
      ' * In the page.',
      ' */',
      'export function kept2(): void {',
      '  // inside a kept function',
      '}',
      '// Left out by the bundler.',
      'export const dropped = 1;',
      '/** Name ending in digits, in the page. */',
      'export function toBase64(): void {}',
    ].join('\n');
    const present = new Set(['kept2', 'toBase64']);
    const marked = markComments(source, (name) => present.has(name));
    expect(kept(marked)).toEqual([
      'The module: what it does (docs/x.md).',
      '---- a heading ----',
      'a member comment',
      '*',
      'inside a kept function',
      '* Name ending in digits, in the page. */',
    ]);
    // Only the markers differ: no line of code changes.
    expect(marked.replaceAll('!~keep~', '')).toBe(source);
  });

  it('indents with tabs, and refuses when that would change a multi-line template literal', () => {
    const script = 'function f() {\n  if (x) {\n    return 1;\n  }\n}\n';
    expect(indentWithTabs(script)).toBe('function f() {\n\tif (x) {\n\t\treturn 1;\n\t}\n}\n');
    expect(() => indentWithTabs('const t = `a\n  b`;\n')).toThrow('indenting with tabs changed the program');
  });
});
