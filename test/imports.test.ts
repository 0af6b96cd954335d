// The layering rules of STYLE.md, checked on the source: protocol/ imports only @noble and
// @scure; the pure layers (genesis/, consensus/, light-client/ and anchor's pure files)
// import only protocol/ and each other as allowed; nothing browser-side touches the network.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).flatMap((name) => {
    const path = join(abs, name);
    if (statSync(path).isDirectory()) return sourceFiles(relative(root, path));
    return /\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [relative(root, path)] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specs = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/g)];
  return specs.map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]);
}

/** For a relative import, the repository folder it lands in; for a package, its name. */
function target(file: string, spec: string): { local?: string; pkg?: string } {
  if (spec.startsWith('.')) return { local: relative(root, resolve(dirname(join(root, file)), spec)) };
  return { pkg: spec };
}

const BROWSER_SAFE_PACKAGES = /^@(noble|scure)\//;
/** Files of anchor/ that the light client may use: pure Bitcoin verification and the payload format. */
const ANCHOR_PURE = ['anchor/payload.ts', 'anchor/bitcoin-tx.ts', 'anchor/verify-bitcoin.ts', 'anchor/verify-attestation.ts'];
/** Browser-safe OAR files: by folder, every oar/ file except oar/node/ and the Node entry point. */
const OAR_BROWSER_SAFE = sourceFiles('oar').filter((f) => !f.startsWith('oar/node/') && f !== 'oar/index.ts');

const rules: { layer: string; files: string[]; mayImport: string[] }[] = [
  { layer: 'protocol', files: sourceFiles('protocol'), mayImport: ['protocol/'] },
  // genesis/ reads a Bitcoin checkpoint's compact target with the same pure code the verifier uses.
  { layer: 'genesis', files: sourceFiles('genesis'), mayImport: ['protocol/', 'genesis/', 'anchor/verify-bitcoin.ts'] },
  { layer: 'consensus', files: sourceFiles('consensus'), mayImport: ['protocol/', 'consensus/', 'genesis/'] },
  { layer: 'anchor (pure files)', files: ANCHOR_PURE.filter((f) => existsSync(join(root, f))), mayImport: ['protocol/', ...ANCHOR_PURE] },
  // The pure parts of the network layer, which the vectors and unit tests drive without libp2p.
  { layer: 'node/p2p pure files', files: ['node/p2p/hello-codec.ts', 'node/p2p/peer-policy.ts'], mayImport: ['protocol/'] },
  // The auditor's verifier also checks OAR entries (entry bundles), with the browser-safe OAR files.
  { layer: 'light-client', files: sourceFiles('light-client').filter((f) => !f.includes('/cli') && !f.includes('/build')), mayImport: ['protocol/', 'genesis/', 'light-client/', ...ANCHOR_PURE, ...OAR_BROWSER_SAFE] },
  // OAR: everything in oar/ outside oar/node/ (and the Node entry point oar/index.ts) runs in verify.html.
  { layer: 'oar (browser-safe)', files: OAR_BROWSER_SAFE, mayImport: ['protocol/', ...OAR_BROWSER_SAFE] },
];

/** oar/node/ (the writer, lock, files) may use Node and the browser-safe oar files, never the node's chain code. */
const OAR_NODE_SIDE = sourceFiles('oar/node');

describe('import rules', () => {
  it('finds the protocol sources', () => {
    expect(rules[0].files.length).toBeGreaterThan(8);
  });

  for (const rule of rules) {
    it(`${rule.layer} imports only browser-safe code of allowed layers`, () => {
      const violations: string[] = [];
      for (const file of rule.files) {
        for (const spec of importsOf(file)) {
          const t = target(file, spec);
          const ok = t.pkg ? BROWSER_SAFE_PACKAGES.test(t.pkg) : rule.mayImport.some((allowed) => (t.local! + (allowed.endsWith('/') ? '/' : '')).startsWith(allowed) || t.local === allowed);
          if (!ok) violations.push(`${file} imports ${spec}`);
        }
      }
      expect(violations).toEqual([]);
    });
  }

  it('finds the OAR sources, split into browser-safe and Node-side files', () => {
    expect(OAR_BROWSER_SAFE).toEqual(expect.arrayContaining(['oar/entry.ts', 'oar/record.ts', 'oar/verify.ts', 'oar/jcs.ts', 'oar/browser.ts']));
    expect(OAR_NODE_SIDE).toEqual(expect.arrayContaining(['oar/node/writer.ts', 'oar/node/lock.ts']));
  });

  it('oar/node and oar/index.ts import only protocol/, oar/, Node built-ins and the signer library', () => {
    const violations: string[] = [];
    for (const file of [...OAR_NODE_SIDE, 'oar/index.ts']) {
      for (const spec of importsOf(file)) {
        const t = target(file, spec);
        const ok = t.pkg ? /^(node:|@noble\/|@oqs\/liboqs-js$)/.test(t.pkg) : t.local!.startsWith('protocol/') || t.local!.startsWith('oar/');
        if (!ok) violations.push(`${file} imports ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('no network API appears in the browser-side code', () => {
    const files = [...sourceFiles('protocol'), ...sourceFiles('genesis'), ...sourceFiles('light-client'), ...ANCHOR_PURE.filter((f) => existsSync(join(root, f))), ...OAR_BROWSER_SAFE];
    const hits = files.flatMap((file) => {
      const text = readFileSync(join(root, file), 'utf8');
      return /\b(fetch|XMLHttpRequest|WebSocket|EventSource|navigator\.sendBeacon)\b|from\s+['"]node:/.test(text) ? [file] : [];
    });
    expect(hits).toEqual([]);
  });

  it('the checker catches a violation (so it can fail)', () => {
    expect(target('protocol/x.ts', 'node:fs').pkg).toBe('node:fs');
    expect(BROWSER_SAFE_PACKAGES.test('node:fs')).toBe(false);
    expect(BROWSER_SAFE_PACKAGES.test('level')).toBe(false);
    expect(importsOf('test/imports.test.ts')).toContain('node:fs');
    expect(target('light-client/a.ts', '../node/cli/main.ts').local).toBe('node/cli/main.ts');
  });
});
