// Tamper tests: a seeded set of >= 2,000 mutations of a valid ANCHORED bundle, covering every
// field (bit flips in the bytes of every base64 field, re-encoded canonically, and changed
// characters in its text; swapped hashes, truncated and extended lists, a
// different genesis, a header with too little work, reordered / duplicated / forged
// certificate signatures). Each must fail, and fail at a step that can see that field.
// Trust: pinned genesis hash (so the carried genesis matters) and the pinned last Bitcoin
// block (on regtest only a pin binds the headers; docs/proof.md, "What cannot matter").
import { describe, expect, it } from 'vitest';
import { base64 } from '@scure/base';
import { bytesToHex, hexToBytes } from '../protocol/bytes.ts';
import { sha256d, hashToDisplayHex } from '../anchor/verify-bitcoin.ts';
import { verifyBundle } from '../light-client/verify.ts';
import type { StepName } from '../light-client/steps.ts';
import { caseBundle, flipBit, loadProofVectors, withBits } from '../fixtures/bundle-fixture.ts';
import { Prng } from './sim/prng.ts';

const SEED = Number(process.env.TAMPER_SEED ?? 20261125);
const MUTATIONS_MIN = 2000;

/** Uniform numbers in [0, 1) from the project's seeded PRNG (test/sim/prng.ts): one seed reproduces every change. */
function prng(seed: number): () => number {
  const rng = new Prng(seed);
  return () => rng.float();
}

const vectors = loadProofVectors();
const base = caseBundle(vectors, vectors.cases[0]) as any;
const btcHeaders: string[] = base.anchor.bitcoin.headers;
const lastBtcHash = hashToDisplayHex(sha256d(base64.decode(btcHeaders[btcHeaders.length - 1])));
const nowMs = vectors.cases[0].input.trust.nowMs!;
const trust = { genesisHash: vectors.genesisHash, pinnedBtcBlockHash: lastBtcHash, nowMs };

/** Fields whose change is explained in docs/proof.md as unable to matter. */
const CANNOT_MATTER = ['/anchor/bitcoin/blockHeight'];

/** The steps that can see a change to the field at `path`: the first failure must be one of them. */
function stepsFor(path: string): StepName[] {
  const rules: [RegExp, StepName[]][] = [
    [/^\/(format|version)$/, ['format']],
    [/^\/chainId$/, ['format', 'genesis']],
    [/^\/genesisHash$/, ['format', 'genesis']],
    [/^\/genesis(\/|$)/, ['format', 'genesis']],
    [/^\/commitment\/tx$/, ['format', 'commitment', 'commitment-signature']],
    [/^\/commitment\/(leafIndex|path)/, ['format', 'inclusion']],
    [/^\/block\/header$/, ['format', 'header', 'inclusion', 'certificate']],
    [/^\/block\/certificate$/, ['format', 'certificate', 'certificate-signatures']],
    [/^\/anchor\/pantheonHeaders/, ['format', 'pantheon-chain', 'bitcoin-tx']],
    [/^\/anchor\/bitcoin\/network$/, ['format', 'bitcoin-network']],
    [/^\/anchor\/bitcoin\/rawTx$/, ['format', 'bitcoin-tx', 'bitcoin-merkle']],
    [/^\/anchor\/bitcoin\/(txIndex|merkleBranch)/, ['format', 'bitcoin-merkle']],
    [/^\/anchor\/bitcoin\/headers/, ['format', 'bitcoin-merkle', 'bitcoin-headers', 'bitcoin-pin']],
    [/^\/anchor(\/bitcoin)?$/, ['format']],
    [/^\/(block|commitment)$/, ['format']],
  ];
  const hit = rules.find(([re]) => re.test(path));
  if (!hit) throw new Error(`no rule for ${path}`);
  return hit[1];
}

interface Leaf {
  path: string;
  value: unknown;
}

function leaves(value: unknown, path = ''): Leaf[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, `${path}/${i}`));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => leaves(v, `${path}/${k}`));
  return [{ path, value }];
}

function get(doc: any, path: string): any {
  return path.split('/').slice(1).reduce((o, k) => o[k], doc);
}
function set(doc: any, path: string, value: unknown): void {
  const keys = path.split('/').slice(1);
  const last = keys.pop()!;
  const parent = keys.reduce((o, k) => o[k], doc);
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = value;
}

interface Mutation {
  name: string;
  /** The field the mutation touches, for the expected steps. */
  field: string;
  bundle: unknown;
  options?: Record<string, unknown>;
  expected: StepName[];
}

function mutate(name: string, field: string, edit: (b: any) => void, expected = stepsFor(field)): Mutation {
  const bundle = structuredClone(base);
  edit(bundle);
  return { name, field, bundle, expected };
}

function flipHexBit(hex: string, bit: number): string {
  const bytes = hexToBytes(hex, 'x');
  bytes[Math.floor(bit / 8) % bytes.length] ^= 1 << bit % 8;
  return bytesToHex(bytes);
}

function flipChar(text: string, i: number): string {
  const c = text.charCodeAt(i);
  const next = String.fromCharCode(c === 0x7e ? 0x21 : c + 1);
  return text.slice(0, i) + next + text.slice(i + 1);
}

/** The bundle's binary fields (base64); the carried genesis keeps its own hex (docs/genesis.md). */
const BINARY = /^\/(genesisHash|commitment\/(tx|path\/\d+)|block\/(header|certificate)|anchor\/(pantheonHeaders\/\d+|bitcoin\/(rawTx|merkleBranch\/\d+|headers\/\d+)))$/;
const isBinary = (l: Leaf): l is Leaf & { value: string } => BINARY.test(l.path) && typeof l.value === 'string';
const isGenesisHex = (l: Leaf): l is Leaf & { value: string } => l.path.startsWith('/genesis/') && typeof l.value === 'string' && /^([0-9a-f]{2})+$/.test(l.value);
const byteLength = (l: Leaf) => base64.decode(l.value as string).length;

function buildMutations(): Mutation[] {
  const random = prng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const out: Mutation[] = [];
  const all = leaves(base).filter((l) => !CANNOT_MATTER.includes(l.path));

  // 1. Every field at least once, then random fields until the budget is met: bit flips in the
  //    bytes of base64 fields (canonical again) or a changed character of their text (canonical
  //    or not), bit flips in the genesis's hex, character changes in text, +-1 and wrong types
  //    in numbers.
  const once = (l: Leaf): Mutation => {
    if (isBinary(l)) {
      if (random() < 0.25) {
        const i = Math.floor(random() * l.value.length);
        return mutate(`base64 char ${i} of ${l.path}`, l.path, (b) => set(b, l.path, flipChar(l.value, i)));
      }
      const bit = Math.floor(random() * byteLength(l) * 8);
      return mutate(`bit ${bit} of ${l.path}`, l.path, (b) => set(b, l.path, flipBit(l.value, Math.floor(bit / 8), bit % 8)));
    }
    if (isGenesisHex(l)) {
      const bit = Math.floor(random() * l.value.length * 4);
      return mutate(`bit ${bit} of ${l.path}`, l.path, (b) => set(b, l.path, flipHexBit(l.value, bit)));
    }
    if (typeof l.value === 'string') {
      const i = Math.floor(random() * l.value.length);
      return mutate(`char ${i} of ${l.path}`, l.path, (b) => set(b, l.path, flipChar(l.value as string, i)));
    }
    if (typeof l.value === 'number') {
      const delta = pick([1, -1, 2, 1000, 0.5]);
      const next = l.path === '/version' ? pick([0, 1, 3, '2']) : l.value + delta;
      return mutate(`${l.path} ${l.value} -> ${JSON.stringify(next)}`, l.path, (b) => set(b, l.path, next));
    }
    throw new Error(`unexpected leaf ${l.path}`);
  };
  for (const l of all) out.push(once(l));

  // 2. Swapped hashes: two 32-byte values exchanged between any two places.
  const hashes = all.filter((l) => isBinary(l) && byteLength(l) === 32);
  for (let i = 0; i < 150; i++) {
    const a = pick(hashes);
    const b = pick(hashes.filter((h) => h.value !== a.value));
    out.push(mutate(`swap ${a.path} <-> ${b.path}`, a.path, (doc) => {
      set(doc, a.path, b.value);
      set(doc, b.path, a.value);
    }, [...new Set([...stepsFor(a.path), ...stepsFor(b.path)])]));
  }

  // 3. Lists: truncated at either end, extended, reordered.
  const lists = ['/commitment/path', '/anchor/pantheonHeaders', '/anchor/bitcoin/merkleBranch', '/anchor/bitcoin/headers'];
  for (const list of lists) {
    const items: string[] = get(base, list);
    out.push(mutate(`${list} drop last`, list, (b) => get(b, list).pop()));
    out.push(mutate(`${list} drop first`, list, (b) => get(b, list).shift()));
    out.push(mutate(`${list} emptied`, list, (b) => set(b, list, [])));
    out.push(mutate(`${list} extra copy of last`, list, (b) => get(b, list).push(items[items.length - 1])));
    out.push(mutate(`${list} extra zero hash`, list, (b) => get(b, list).push(base64.encode(new Uint8Array(base64.decode(items[0]).length)))));
    if (items.length > 1) out.push(mutate(`${list} reversed`, list, (b) => get(b, list).reverse()));
  }

  // 4. Bitcoin headers with too little work, or claiming a target easier than the pow limit.
  btcHeaders.forEach((h, i) => {
    for (const bits of [0x1d00ffff, 0x1f00ffff, 0x2100ffff, 0x22000001, 0x00000000]) {
      out.push(mutate(`btc header ${i} nBits 0x${bits.toString(16)}`, `/anchor/bitcoin/headers/${i}`, (b) => (b.anchor.bitcoin.headers[i] = withBits(h, bits))));
    }
  });

  // 5. Certificates: reordered, duplicated signer, a signer dropped, a forged non-validator
  //    signature (from the negative vectors), nBits-like structural edits.
  for (const c of vectors.cases.filter((c) => c.input.patch?.some((p) => p.path === '/block/certificate'))) {
    out.push({ name: `vector: ${c.description}`, field: '/block/certificate', bundle: caseBundle(vectors, c), expected: stepsFor('/block/certificate') });
  }

  // 6. Whole-field edits: removed, unknown added, wrong types, other network.
  for (const l of leaves(base).filter((l) => l.path.split('/').length <= 4 && !CANNOT_MATTER.includes(l.path) && !l.path.startsWith('/genesis/'))) {
    const field = l.path.replace(/\/\d+$/, '');
    out.push(mutate(`${l.path} removed`, field, (b) => set(b, l.path, undefined)));
    out.push(mutate(`${l.path} as null`, l.path, (b) => set(b, l.path, null)));
  }
  for (const obj of ['', '/commitment', '/block', '/anchor', '/anchor/bitcoin']) {
    out.push(mutate(`unknown field in ${obj || '/'}`, obj || '/format', (b) => ((obj ? get(b, obj) : b).extra = 1), ['format']));
  }
  for (const network of ['mainnet', 'testnet', 'signet', 'REGTEST']) {
    out.push(mutate(`network ${network}`, '/anchor/bitcoin/network', (b) => (b.anchor.bitcoin.network = network)));
  }

  // 7. A different genesis pinned, or the pinned one with the carried genesis removed.
  for (let i = 0; i < 20; i++) {
    const other = flipHexBit(vectors.genesisHash, Math.floor(random() * 256));
    out.push({ name: `pinned genesis hash ${other.slice(0, 8)}...`, field: '/genesisHash', bundle: base, options: { genesisHash: other }, expected: ['genesis'] });
  }
  out.push(mutate('carried genesis removed', '/genesis', (b) => delete b.genesis, ['genesis']));

  // Fill the budget with more random fields; half of them binary fields.
  const binaryLeaves = all.filter(isBinary);
  while (out.length < MUTATIONS_MIN) out.push(once(random() < 0.5 ? pick(all) : pick(binaryLeaves)));
  return out.filter((m) => JSON.stringify(m.bundle) !== JSON.stringify(base) || m.options);
}

describe(`tampering with a valid anchored bundle (seed ${SEED})`, () => {
  const mutations = buildMutations();

  it('the untouched bundle verifies (so failures below are the mutations)', () => {
    const r = verifyBundle(base, trust);
    expect(r.ok, r.steps.find((s) => s.status === 'fail')?.detail).toBe(true);
    expect(r.steps.map((s) => s.name)).toContain('bitcoin-pin');
  });

  it(`covers every field with at least ${MUTATIONS_MIN} mutations`, () => {
    expect(mutations.length).toBeGreaterThanOrEqual(MUTATIONS_MIN);
    const touched = new Set(mutations.map((m) => m.field));
    const untouched = leaves(base).map((l) => l.path).filter((p) => !CANNOT_MATTER.includes(p) && !touched.has(p));
    expect(untouched).toEqual([]);
  });

  it('every mutation fails, at a step that sees the mutated field', () => {
    const wrong: string[] = [];
    const failedAt = new Map<string, number>();
    const started = performance.now();
    for (const m of mutations) {
      const r = verifyBundle(m.bundle, { ...trust, ...m.options });
      const at = r.failedStep ?? '(none)';
      failedAt.set(at, (failedAt.get(at) ?? 0) + 1);
      if (r.ok || !r.failedStep || !m.expected.includes(r.failedStep)) wrong.push(`${m.name}: ${r.ok ? 'VERIFIED' : `failed at ${r.failedStep} (${r.steps.find((s) => s.status === 'fail')?.detail})`}, expected one of ${m.expected.join(', ')}`);
    }
    const ms = performance.now() - started;
    console.log(`seed ${SEED}: ${mutations.length} mutations in ${(ms / 1000).toFixed(1)} s; first failing step: ${JSON.stringify(Object.fromEntries(failedAt))}`);
    expect(wrong.slice(0, 20)).toEqual([]);
  });

  it('the fields listed as unable to matter really do not change the verdict', () => {
    const b = structuredClone(base);
    b.anchor.bitcoin.blockHeight += 1;
    expect(verifyBundle(b, trust).ok).toBe(true);
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(base).reverse())));
    expect(verifyBundle(JSON.stringify(reordered, null, 7), trust).ok).toBe(true);
  });
});
