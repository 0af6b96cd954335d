// The layering rules of STYLE.md, checked on the source. Every source file belongs to the
// deepest folder named below, and each folder has one rule: which folders (or, for the one
// shared atomic-write helper, which module) it may import, and which packages. A source file
// in a folder without a rule fails the test, so a new folder has to state its place.
// No file is exempt from its folder's rule.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
/** Built output, dependencies and local state: not sources. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'results', 'coverage']);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    if (name.startsWith('.') || SKIPPED_DIRS.has(name) || name.startsWith('dist.building-')) return [];
    const path = join(root, dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(relative(root, path));
    return /\.(ts|js|mjs|cjs)$/.test(name) && !name.endsWith('.d.ts') ? [relative(root, path)] : [];
  });
}

/** Import and export specifiers, outside comment lines (a comment may quote an import). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8')
    .split('\n')
    .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
    .join('\n');
  const specs = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/g)];
  return specs.map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]);
}

/** For a relative import, the repository path it lands on; for a package, its name. */
function target(file: string, spec: string): { local?: string; pkg?: string } {
  if (spec.startsWith('.')) return { local: relative(root, resolve(dirname(join(root, file)), spec)) };
  return { pkg: spec };
}

// @noble only: bech32m and base64 are ours (protocol/bech32m.ts; the platform's atob and btoa),
// so the browser page and the node have one way of each (@scure/base stays a test reference).
const BROWSER_SAFE = /^@noble\//;
const NODE = /^node:/;
const anyOf = (...patterns: RegExp[]) => (pkg: string) => patterns.some((p) => p.test(pkg));
const anyPackage = () => true;
/** The one atomic-write helper (node/files.ts): a leaf the Node-side folders share. */
const FILES_HELPER = 'node/files.ts';

interface Rule {
  folder: string;
  why: string;
  /** Folders (their own files, not their subfolders' unless listed) and single modules it may import. */
  mayImport: string[];
  packages: (pkg: string) => boolean;
  /** Browser-side: no network API and no `node:` module may appear in the text. */
  browser?: boolean;
}

const PURE = ['protocol', 'state', 'genesis', 'consensus', 'anchor', 'light-client', 'oar', 'node/p2p/rules'];
const NODE_SIDE = ['anchor/node', 'oar/node', 'node', 'node/p2p', 'node/cli'];
const ALL_LAYERS = [...PURE, ...NODE_SIDE, 'fixtures', 'bench', 'devnet', 'bin', 'docs/vectors', 'test'];
const except = (...excluded: string[]) => ALL_LAYERS.filter((l) => !excluded.includes(l));

const rules: Rule[] = [
  { folder: 'protocol', why: 'the shared core imports nothing of ours', mayImport: ['protocol'], packages: anyOf(BROWSER_SAFE), browser: true },
  { folder: 'state', why: 'the pure block transition runs the state rules and checks attestations with the pure Bitcoin checks', mayImport: ['protocol', 'state', 'anchor'], packages: anyOf(BROWSER_SAFE), browser: true },
  { folder: 'genesis', why: 'reads a Bitcoin checkpoint with the pure code the verifier uses', mayImport: ['protocol', 'genesis', 'anchor'], packages: anyOf(BROWSER_SAFE), browser: true },
  { folder: 'consensus', why: 'a pure state machine over protocol types and the genesis', mayImport: ['protocol', 'consensus', 'genesis'], packages: anyOf(BROWSER_SAFE), browser: true },
  { folder: 'anchor', why: 'the pure Bitcoin side: payload, anchor transaction, header and merkle checks', mayImport: ['protocol', 'anchor'], packages: anyOf(BROWSER_SAFE), browser: true },
  { folder: 'light-client', why: 'the offline verifier: runs in verify.html and never touches the node', mayImport: ['protocol', 'genesis', 'anchor', 'oar', 'light-client'], packages: anyOf(BROWSER_SAFE), browser: true },
  { folder: 'oar', why: 'the OAR format and verifier, browser-safe', mayImport: ['protocol', 'oar'], packages: anyOf(BROWSER_SAFE), browser: true },
  { folder: 'node/p2p/rules', why: 'the network\'s pure rules (hello and sync codecs, topic names, peer limits), driven by vectors without libp2p', mayImport: ['protocol', 'node/p2p/rules'], packages: anyOf(BROWSER_SAFE), browser: true },
  { folder: 'oar/node', why: 'the operator\'s durable writer: Node, the OAR format and the signer library, never the chain', mayImport: ['protocol', 'oar', 'oar/node'], packages: anyOf(NODE, BROWSER_SAFE, /^@oqs\/liboqs-js$/) },
  { folder: 'anchor/node', why: 'bitcoind RPC, the anchor wallet and the anchorer: the pure anchor code and the atomic-write helper, never the node', mayImport: ['protocol', 'anchor', 'anchor/node', FILES_HELPER], packages: anyOf(NODE, BROWSER_SAFE, /^(bitcoinjs-lib|ecpair|tiny-secp256k1|bcoin)$/) },
  { folder: 'node/p2p', why: 'the libp2p host: its pure rules and the atomic-write helper for its identity, never the chain', mayImport: ['protocol', 'node/p2p', 'node/p2p/rules', FILES_HELPER], packages: anyOf(NODE, /^libp2p$/, /^@(libp2p|chainsafe|multiformats)\//) },
  { folder: 'node', why: 'the daemon composes the layers below it; never the CLI above it', mayImport: ['protocol', 'state', 'genesis', 'consensus', 'anchor', 'anchor/node', 'light-client', 'oar', 'node', 'node/p2p', 'node/p2p/rules'], packages: anyOf(NODE, BROWSER_SAFE, /^(classic-level|pino|prom-client|@oqs\/liboqs-js)$/) },
  { folder: 'node/cli', why: 'the `pantheon` command composes the node, the verifier and the OAR writer', mayImport: ['protocol', 'state', 'genesis', 'consensus', 'anchor', 'anchor/node', 'light-client', 'oar', 'oar/node', 'node', 'node/p2p', 'node/p2p/rules', 'node/cli'], packages: anyOf(NODE, BROWSER_SAFE) },
  { folder: 'fixtures', why: 'deterministic chains, bundles, records and load shared by tests and benchmarks, built with the real code (load drives devnet processes)', mayImport: except('bench', 'bin', 'test', 'docs/vectors', 'node/cli'), packages: anyPackage },
  { folder: 'docs/vectors', why: 'vector generators use the code the vectors check', mayImport: except('bench', 'devnet', 'bin', 'test', 'node/cli'), packages: anyPackage },
  { folder: 'bench', why: 'benchmarks use anything but the tests', mayImport: except('test'), packages: anyPackage },
  { folder: 'devnet', why: 'the local network launches the node and Bitcoin; no test or benchmark code', mayImport: except('test', 'bench'), packages: anyPackage },
  { folder: 'bin', why: 'the command runs the built package (dist/); build scripts use the sources; no test or benchmark code', mayImport: [...except('test', 'bench', 'fixtures'), 'dist'], packages: anyPackage },
  { folder: 'examples', why: 'examples use only the published package, as a user would', mayImport: ['examples'], packages: anyOf(NODE, /^pantheon(\/|$)/) },
  { folder: 'test', why: 'tests may use everything', mayImport: [...ALL_LAYERS, 'dist'], packages: anyPackage },
  { folder: '.', why: 'the test runner configuration at the root', mayImport: [], packages: anyOf(NODE, /^vitest(\/|$)/) },
];

const byFolder = new Map(rules.map((r) => [r.folder, r]));

/** The deepest folder with a rule that holds `path` ('.' for the root's own files). */
function folderOf(path: string): string | undefined {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if (dir === '.') return path.includes('/') ? undefined : '.'; // the root's rule is for the root's own files
    if (byFolder.has(dir)) return dir;
  }
}

function allowed(rule: Rule, local: string): boolean {
  if (rule.mayImport.includes(local)) return true; // a named module (or file at a folder's root)
  const folder = local.startsWith('dist/') ? 'dist' : folderOf(local);
  return folder !== undefined && rule.mayImport.includes(folder);
}

const files = sourceFiles('.');

describe('import rules', () => {
  it('finds the sources of every folder, and every source folder has a rule', () => {
    expect(files.length).toBeGreaterThan(200);
    const counts = new Map<string, number>();
    const homeless: string[] = [];
    for (const f of files) {
      const folder = folderOf(f);
      if (folder === undefined) homeless.push(f);
      else counts.set(folder, (counts.get(folder) ?? 0) + 1);
    }
    expect(homeless).toEqual([]);
    // Each rule governs files (a rule for a folder that no longer exists is stale).
    expect(rules.filter((r) => !counts.has(r.folder)).map((r) => r.folder)).toEqual([]);
    expect(counts.get('protocol')).toBeGreaterThan(8);
  });

  for (const rule of rules) {
    it(`${rule.folder}/: ${rule.why}`, () => {
      const violations: string[] = [];
      for (const file of files.filter((f) => folderOf(f) === rule.folder)) {
        for (const spec of importsOf(file)) {
          const t = target(file, spec);
          const ok = t.pkg !== undefined ? rule.packages(t.pkg) : allowed(rule, t.local!);
          if (!ok) violations.push(`${file} imports ${spec}`);
        }
      }
      expect(violations).toEqual([]);
    });
  }

  it('the replica (docs/replica.md) reaches the world only through its ports, and the simulator runs those same modules', () => {
    // What the replica runs, from node/replica.ts down: no runtime import of a Node module, a
    // package (libp2p, level, pino) or a node-side file outside the replica; types only.
    const REPLICA = ['node/replica.ts', 'node/consensus-driver.ts', 'node/chain.ts', 'node/syncer.ts', 'node/mempool.ts', 'node/signer.ts', 'node/commitment-log.ts', 'node/gossip-checks.ts', 'node/ports.ts'];
    const runtimeImports = (file: string) =>
      [...readFileSync(join(root, file), 'utf8').matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s*['"]([^'"]+)['"]/gms)].map((m) => target(file, m[1]));
    const outside: string[] = [];
    for (const file of REPLICA) {
      for (const t of runtimeImports(file)) {
        const ok = t.local !== undefined && (REPLICA.includes(t.local) || ['protocol', 'state', 'genesis', 'consensus'].includes(folderOf(t.local) ?? ''));
        if (!ok) outside.push(`${file} imports ${t.local ?? t.pkg}`);
      }
    }
    expect(outside).toEqual([]);
    // The simulator builds that replica and the gossip checks, and none of the node's host; it
    // installs the crypto the node installs in its process (node/fast-crypto.ts), nothing else.
    const sim = runtimeImports('test/sim/replica-world.ts').map((t) => t.local);
    expect(sim).toEqual(expect.arrayContaining(['node/replica.ts', 'node/gossip-checks.ts', 'node/mempool.ts', 'node/chain.ts', 'node/fast-crypto.ts']));
    expect(sim.filter((f) => f !== undefined && folderOf(f)?.startsWith('node') && !REPLICA.includes(f) && f !== 'node/fast-crypto.ts')).toEqual([]);
  });

  it('light-client/ and node/ form no cycle: nothing below node/cli imports it, and the light client imports no Node-side folder', () => {
    for (const rule of rules.filter((r) => [...PURE, ...NODE_SIDE].includes(r.folder) && r.folder !== 'node/cli')) expect(rule.mayImport, rule.folder).not.toContain('node/cli');
    expect(byFolder.get('light-client')!.mayImport.filter((f) => NODE_SIDE.includes(f) || f === FILES_HELPER)).toEqual([]);
  });

  it('no network API or Node module appears in the browser-side and pure folders', () => {
    const hits = files.flatMap((file) => {
      if (!byFolder.get(folderOf(file)!)?.browser) return [];
      const text = readFileSync(join(root, file), 'utf8');
      return /\b(fetch|XMLHttpRequest|WebSocket|EventSource|navigator\.sendBeacon)\b|from\s+['"]node:/.test(text) ? [file] : [];
    });
    expect(hits).toEqual([]);
  });

  it('the checker catches a violation (so it can fail)', () => {
    const lightClient = byFolder.get('light-client')!;
    expect(allowed(lightClient, 'node/files.ts')).toBe(false);
    expect(allowed(lightClient, 'node/cli/command.ts')).toBe(false);
    expect(allowed(lightClient, 'anchor/verify-bitcoin.ts')).toBe(true);
    expect(allowed(lightClient, 'anchor/node/rpc.ts')).toBe(false);
    expect(allowed(byFolder.get('anchor/node')!, 'node/files.ts')).toBe(true);
    expect(allowed(byFolder.get('anchor/node')!, 'node/chain.ts')).toBe(false);
    expect(allowed(byFolder.get('bench')!, 'test/helpers/cli.ts')).toBe(false);
    expect(byFolder.get('protocol')!.packages('node:fs')).toBe(false);
    expect(byFolder.get('protocol')!.packages('level')).toBe(false);
    expect(folderOf('node/p2p/rules/topics.ts')).toBe('node/p2p/rules');
    expect(folderOf('oar/node/index.ts')).toBe('oar/node');
    expect(folderOf('newfolder/x.ts')).toBeUndefined();
    expect(importsOf('test/imports.test.ts')).toContain('node:fs');
    expect(target('light-client/a.ts', '../node/cli/main.ts').local).toBe('node/cli/main.ts');
  });
});
