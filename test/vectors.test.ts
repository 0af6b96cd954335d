// Loads every vector file in docs/vectors/ and checks every case against the code. A vector
// file without a checker here fails the run, so no vector can sit unchecked.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../protocol/bytes.ts';
import { DecodeError, Reader, Writer } from '../protocol/encoding.ts';
import { domainPrefix, taggedHash, TAGS, type Tag } from '../protocol/hash.ts';
import { addressBytes, addressOf, decodeAddress, keyFileFromKeyPair, keyPairFromKeyFile, keyPairFromSeed, sign, verify } from '../protocol/keys.ts';
import { consistencyProof, inclusionProof, leafHash, rootOf, verifyConsistency, verifyInclusion } from '../protocol/merkle.ts';
import { decodeTxList, encodeTxList, txListCost } from '../protocol/gossip.ts';
import { checkReadTxSignature, checkTxSignature, commitmentLeaf, decodeTx, encodeTx, encodeTxBody, readTx, signTx, txId, txLeaf, type UnsignedTx } from '../protocol/tx.ts';
import { blockHash, checkBlockBody, checkCompactBlockBody, compactBlockOf, decodeBlock, decodeCompactBlock, decodeHeader, encodeBlock, encodeCompactBlock, encodeHeader, rebuildBlock, txLeafHash } from '../protocol/block.ts';
import { applyTx, stateRoot, type State } from '../protocol/state.ts';
import { encodeGenesis, genesisAccounts, genesisHash, genesisValidatorSetHash, parseGenesis } from '../genesis/genesis.ts';
import { parseStrictJson } from '../protocol/strict-json.ts';

const dir = join(import.meta.dirname, '..', 'docs', 'vectors');
const h = (s: string) => hexToBytes(s, 'vector');
type Case = { description: string; input: any; expect: string; output?: any };
type VectorFile = { description: string; cases: Case[] };

function load(name: string): VectorFile {
  return JSON.parse(readFileSync(join(dir, name), 'utf8'));
}

function decodeErrorField(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof DecodeError) return err.field;
    throw err;
  }
  throw new Error('expected a DecodeError, decoding succeeded');
}

function writePrimitive(input: any): Uint8Array {
  const w = new Writer();
  if (input.type === 'u64') w.u64(BigInt(input.value));
  else if (input.type === 'string') w.string(input.value, input.max);
  else if (input.type === 'bytes') w.bytes(h(input.value), input.max);
  else if (input.type === 'bool') w.bool(input.value);
  else (w as any)[input.type](input.value);
  return w.finish();
}

function readPrimitive(input: any, bytes: Uint8Array): unknown {
  const r = new Reader(bytes);
  const value = input.type === 'string' || input.type === 'bytes' ? (r as any)[input.type](input.max, 'value') : (r as any)[input.type]('value');
  r.end('value');
  return value;
}

function unsignedTxFromInput(input: any): UnsignedTx {
  const pair = keyPairFromSeed(h(input.seed));
  const p = input.payload;
  return {
    chainId: input.chainId,
    senderPublicKey: pair.publicKey,
    nonce: BigInt(input.nonce),
    fee: BigInt(input.fee),
    payload:
      p.kind === 'transfer'
        ? { kind: 'transfer', to: h(p.to), amount: BigInt(p.amount) }
        : p.kind === 'commitment'
          ? { kind: 'commitment', logId: p.logId, treeSize: BigInt(p.treeSize), root: h(p.root), previousSize: BigInt(p.previousSize), consistencyProof: p.consistencyProof.map(h) }
          : { kind: 'keyChange', logId: p.logId, newPublicKey: h(p.newPublicKey), fromSize: BigInt(p.fromSize) },
  };
}

const checkers: Record<string, (c: Case, file: VectorFile) => void> = {
  'encoding.json': (c) => {
    if (c.expect === 'ok') {
      const bytes = writePrimitive(c.input);
      expect(bytesToHex(bytes)).toBe(c.output.hex);
      const back = readPrimitive(c.input, bytes);
      if (c.input.type === 'bytes') expect(bytesToHex(back as Uint8Array)).toBe(c.input.value);
      else expect(String(back)).toBe(String(c.input.value));
    } else {
      expect(decodeErrorField(() => readPrimitive(c.input, h(c.input.decode)))).toBe(c.output.field);
    }
  },
  'tags.json': (c) => {
    expect(Object.values(TAGS)).toContain(c.input.tag);
    expect(bytesToHex(domainPrefix(c.input.tag as Tag, c.input.chainId))).toBe(c.output.prefix);
    expect(bytesToHex(taggedHash(c.input.tag as Tag, c.input.chainId, new Uint8Array(0)))).toBe(c.output.emptyPayloadHash);
  },
  'merkle.json': (c) => {
    const leaves = (c.input.leaves ?? []).map((l: string) => leafHash(h(l)));
    switch (c.input.kind) {
      case 'root':
        expect(bytesToHex(rootOf(leaves))).toBe(c.output.root);
        break;
      case 'inclusion': {
        const proof = inclusionProof(leaves, c.input.index);
        expect(proof.map(bytesToHex)).toEqual(c.output.proof);
        expect(verifyInclusion(leaves[c.input.index], c.input.index, leaves.length, proof, h(c.output.root))).toBe(true);
        break;
      }
      case 'consistency': {
        const proof = consistencyProof(leaves, c.input.oldSize);
        expect(proof.map(bytesToHex)).toEqual(c.output.proof);
        expect(verifyConsistency(c.input.oldSize, leaves.length, proof, h(c.output.oldRoot), h(c.output.root))).toBe(true);
        break;
      }
      case 'verify-inclusion': {
        const i = c.input;
        expect(verifyInclusion(leafHash(h(i.leaf)), i.index, i.size, i.proof.map(h), h(i.root))).toBe(c.expect === 'ok');
        break;
      }
      case 'verify-consistency': {
        const i = c.input;
        expect(verifyConsistency(i.oldSize, i.size, i.proof.map(h), h(i.oldRoot), h(i.root))).toBe(c.expect === 'ok');
        break;
      }
      default:
        throw new Error(`unknown merkle case kind ${c.input.kind}`);
    }
  },
  'keys.json': (c, file) => {
    const i = c.input;
    if (i.kind === 'keypair') {
      const pair = keyPairFromSeed(h(i.seed));
      expect(bytesToHex(pair.publicKey)).toBe(c.output.publicKey);
      expect(addressOf(pair.publicKey)).toBe(c.output.address);
      expect(bytesToHex(addressBytes(pair.publicKey))).toBe(c.output.addressBytes);
      expect(bytesToHex(decodeAddress(c.output.address))).toBe(c.output.addressBytes);
      expect(keyFileFromKeyPair(pair)).toEqual(c.output.keyFile);
      expect(bytesToHex(keyPairFromKeyFile(c.output.keyFile).publicKey)).toBe(c.output.publicKey);
      expect(bytesToHex(sign(i.tag, i.chainId, h(i.message), pair.secretKey, true))).toBe(c.output.signature);
      expect(verify(i.tag, i.chainId, h(i.message), h(c.output.signature), pair.publicKey)).toBe(true);
    } else if (i.kind === 'address') {
      expect(() => decodeAddress(i.address)).toThrow();
    } else if (i.kind === 'verify') {
      const signature = h(file.cases[i.signatureFrom].output.signature);
      const pair = keyPairFromSeed(h(i.seed));
      expect(verify(i.tag, i.chainId, h(i.message), signature, pair.publicKey)).toBe(c.expect === 'ok');
    } else throw new Error(`unknown keys case kind ${i.kind}`);
  },
  'tx-list.json': (c) => {
    const list = h(c.input.list);
    expect(txListCost(list)).toBe(c.output.cost);
    if (c.expect === 'ok') {
      expect(decodeTxList(list).map(bytesToHex)).toEqual(c.output.txs);
      expect(bytesToHex(encodeTxList(c.output.txs.map(h)))).toBe(c.input.list);
    } else {
      expect(decodeErrorField(() => decodeTxList(list))).toBe(c.output.field);
    }
  },
  'transaction.json': (c) => {
    if (c.expect === 'ok') {
      const unsigned = unsignedTxFromInput(c.input);
      const signed = signTx(unsigned, keyPairFromSeed(h(c.input.seed)).secretKey, true);
      const bytes = encodeTx(signed);
      expect(bytesToHex(encodeTxBody(unsigned))).toBe(c.output.body);
      expect(bytesToHex(bytes)).toBe(c.output.tx);
      expect(bytesToHex(txId(unsigned))).toBe(c.output.txId);
      expect(bytesToHex(leafHash(txLeaf(c.input.chainId, bytes)))).toBe(c.output.txLeafHash);
      expect(bytesToHex(leafHash(commitmentLeaf(c.input.chainId, bytes)))).toBe(c.output.commitmentLeafHash);
      const decoded = decodeTx(h(c.output.tx));
      expect(bytesToHex(encodeTx(decoded))).toBe(c.output.tx);
      expect(checkTxSignature(decoded, c.input.chainId)).toBeUndefined();
      // The node takes the body and id from the bytes (canonical encoding): the same as encoding again.
      const read = readTx(h(c.output.tx));
      expect(bytesToHex(read.body)).toBe(c.output.body);
      expect(bytesToHex(read.id)).toBe(c.output.txId);
      expect(checkReadTxSignature(read, c.input.chainId)).toBeUndefined();
    } else if (c.expect === 'DecodeError') {
      expect(decodeErrorField(() => decodeTx(h(c.input.decode)))).toBe(c.output.field);
      expect(decodeErrorField(() => readTx(h(c.input.decode)))).toBe(c.output.field);
    } else {
      const error = checkTxSignature(decodeTx(h(c.input.decode)), c.input.chainId);
      expect(error).toMatch(c.expect === 'WrongChain' ? /chain id/ : /signature does not verify/);
      expect(checkReadTxSignature(readTx(h(c.input.decode)), c.input.chainId)).toBe(error);
    }
  },
  'genesis.json': (c) => {
    if (c.expect === 'ok') {
      const g = parseGenesis(c.input.genesis);
      expect(bytesToHex(encodeGenesis(g))).toBe(c.output.encoding);
      expect(bytesToHex(genesisHash(g))).toBe(c.output.genesisHash);
      expect(bytesToHex(genesisValidatorSetHash(g))).toBe(c.output.validatorSetHash);
    } else if (c.input.text !== undefined) {
      // Text cases: JSON.parse alone accepts them (last member wins); the strict reader must not.
      expect(() => JSON.parse(c.input.text)).not.toThrow();
      expect(() => parseGenesis(parseStrictJson(c.input.text, 'genesis'))).toThrow(c.output.error);
    } else {
      expect(() => parseGenesis(c.input.genesis)).toThrow(c.output.error);
    }
  },
  'state.json': (c, file: any) => {
    // Cases run in order on one state; the runner below calls this per case with shared context.
    const ctx = stateRun(file);
    const body = h(c.input.txBody);
    const tx = ctx.bodies.get(bytesToHex(body));
    expect(tx, 'tx body must be one of transaction.json / derived bodies').toBeDefined();
    const error = applyTx(ctx.state, tx!, { proposer: h(file.proposer), minFee: 1000n });
    expect(error ?? null).toBe(c.output.error);
    expect(error ? 'rejected' : 'ok').toBe(c.expect);
    const after = Object.fromEntries([...ctx.state.accounts].sort().map(([k, a]) => [k, { balance: a.balance.toString(), nonce: a.nonce.toString() }]));
    expect(after).toEqual(c.output.accountsAfter);
    const logs = Object.fromEntries(
      [...ctx.state.logs].map(([id, r]) => [
        id,
        { owner: addressOf(r.ownerPublicKey), size: r.size.toString(), root: bytesToHex(r.root), commitments: r.commitments.toString(), keyChanges: r.keyChanges.map((k) => ({ fromSize: k.fromSize.toString(), key: addressOf(k.publicKey) })) },
      ]),
    );
    expect(logs).toEqual(c.output.logsAfter);
    expect(bytesToHex(stateRoot('pantheon-test-1', ctx.state))).toBe(c.output.stateRootAfter);
  },
  'block.json': (c) => {
    if (c.expect === 'ok') {
      const block = decodeBlock(h(c.output.block));
      expect(bytesToHex(encodeHeader(block.header))).toBe(c.output.header);
      expect(bytesToHex(blockHash(block.header))).toBe(c.output.blockHash);
      expect(bytesToHex(encodeBlock(block))).toBe(c.output.block);
      expect(block.txs.map(bytesToHex)).toEqual(c.input.txs);
      expect(checkBlockBody(block)).toBeUndefined();
      expect(bytesToHex(decodeHeader(h(c.output.header)).previousBlockHash)).toBe(c.input.header.previousBlockHash);
    } else if (c.expect === 'DecodeError') {
      const field = c.input.decodeHeader ? decodeErrorField(() => decodeHeader(h(c.input.decodeHeader))) : decodeErrorField(() => decodeBlock(h(c.input.decodeBlock)));
      expect(field).toBe(c.output.field);
    } else {
      expect(checkBlockBody(decodeBlock(h(c.input.block)))).toBe(c.output.error);
    }
  },
  'compact-block.json': (c) => {
    if (c.expect === 'ok') {
      const block = decodeBlock(h(c.input.block));
      const compact = compactBlockOf(block);
      expect(bytesToHex(encodeCompactBlock(compact))).toBe(c.output.compactBlock);
      const decoded = decodeCompactBlock(h(c.output.compactBlock));
      expect(decoded.txLeafHashes.map(bytesToHex)).toEqual(c.output.txLeafHashes);
      expect(bytesToHex(blockHash(decoded.header))).toBe(c.output.blockHash);
      expect(checkCompactBlockBody(decoded)).toBeUndefined();
      const byLeaf = new Map<string, Uint8Array>(c.input.txs.map((t: string) => [bytesToHex(txLeafHash(decoded.header.chainId, h(t))), h(t)]));
      const rebuilt = rebuildBlock(decoded, (x) => byLeaf.get(x));
      expect('block' in rebuilt && bytesToHex(encodeBlock(rebuilt.block))).toBe(c.output.block);
    } else if (c.expect === 'Missing') {
      const decoded = decodeCompactBlock(h(c.input.compactBlock));
      const byLeaf = new Map<string, Uint8Array>(
        c.input.knownAs ? c.input.knownAs.map(([k, t]: [string, string]) => [k, h(t)]) : c.input.known.map((t: string) => [bytesToHex(txLeafHash(decoded.header.chainId, h(t))), h(t)]),
      );
      const rebuilt = rebuildBlock(decoded, (x) => byLeaf.get(x));
      expect('missing' in rebuilt && rebuilt.missing).toEqual(c.output.missing);
    } else if (c.expect === 'DecodeError') {
      expect(decodeErrorField(() => decodeCompactBlock(h(c.input.decode)))).toBe(c.output.field);
    } else if (c.expect === 'BodyMismatch') {
      expect(checkCompactBlockBody(decodeCompactBlock(h(c.input.compactBlock)))).toBe(c.output.error);
    } else {
      throw new Error(`compact-block.json: unknown expectation ${c.expect}`);
    }
  },
};

// state.json cases share one evolving state, rebuilt from genesis.json and transaction.json.
const stateRuns = new WeakMap<object, { state: State; bodies: Map<string, UnsignedTx> }>();
function stateRun(file: object) {
  let run = stateRuns.get(file);
  if (!run) {
    const genesis = parseGenesis(load('genesis.json').cases[0].input.genesis);
    const bodies = new Map<string, UnsignedTx>();
    // Every body in state.json decodes as a transaction body; rebuild it through the decoder.
    for (const c of (file as VectorFile).cases) {
      const body = h(c.input.txBody);
      const withSig = new Uint8Array(body.length + 3309);
      withSig.set(body);
      bodies.set(c.input.txBody, decodeTx(withSig));
    }
    run = { state: { accounts: genesisAccounts(genesis), logs: new Map() }, bodies };
    stateRuns.set(file, run);
  }
  return run;
}

const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('docs/vectors', () => {
  it('has a checker for every vector file (here, or in another test file that loads it)', () => {
    const testDir = import.meta.dirname;
    const otherTests = readdirSync(testDir)
      .filter((f) => f.endsWith('.test.ts') && f !== 'vectors.test.ts')
      .map((f) => readFileSync(join(testDir, f), 'utf8'));
    const unchecked = files.filter((f) => !(f in checkers) && !otherTests.some((text) => new RegExp(`['"/]${f.replace('.', '\\.')}['"]`).test(text)));
    expect(unchecked).toEqual([]);
  });
  for (const name of files.filter((f) => f in checkers)) {
    it(`${name}: every case`, () => {
      const file = load(name);
      expect(file.cases.length).toBeGreaterThan(0);
      let ran = 0;
      for (const c of file.cases) {
        try {
          checkers[name](c, file);
        } catch (err) {
          throw new Error(`${name} / ${c.description}: ${(err as Error).message}`);
        }
        ran++;
      }
      expect(ran).toBe(file.cases.length);
    });
  }
});

describe('docs/tags.md', () => {
  it('lists exactly the registered tags', () => {
    const text = readFileSync(join(import.meta.dirname, '..', 'docs', 'tags.md'), 'utf8');
    const listed = [...text.matchAll(/^\|\s*`(pantheon\/[^`]+)`\s*\|/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.values(TAGS).sort());
  });
});
