// Cases for docs/vectors/bitcoin.json: the Bitcoin parsing rules of docs/anchor.md (raw
// transactions, the anchor output, merkle branches, nBits and work), each case built here byte
// by byte so a second implementation sees exactly what is accepted and what is refused, and
// which rule refuses it. Called by generate.ts; checked by test/bitcoin-rules.test.ts.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes } from '../../protocol/bytes.ts';
import { encodeAnchorPayload } from '../../anchor/payload.ts';
import { bitsToTarget, buildMerkleBranch, computeMerkleRoot, hashToDisplayHex, isValidProofOfWork, parseBlockHeader, sha256d, workForBits } from '../../anchor/verify-bitcoin.ts';

const hex = bytesToHex;
const u32le = (n: number) => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
const u64le = (n: bigint) => Uint8Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const compactSize = (n: number) => (n < 0xfd ? Uint8Array.of(n) : Uint8Array.of(0xfd, n & 0xff, n >>> 8));
const fromHex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

interface TxSpec {
  inputs?: { scriptSig?: Uint8Array }[];
  outputs: { valueSat: bigint; script: Uint8Array }[];
  /** One stack per input: the BIP 144 form is written when given. */
  witness?: Uint8Array[][];
  flag?: number;
}

/** A version-2 transaction spending made-up outpoints (the rules never look them up). */
function tx(spec: TxSpec): Uint8Array {
  const inputs = spec.inputs ?? [{}];
  const parts: Uint8Array[] = [u32le(2)];
  if (spec.witness) parts.push(Uint8Array.of(0x00, spec.flag ?? 0x01));
  parts.push(compactSize(inputs.length));
  inputs.forEach((input, i) => {
    const script = input.scriptSig ?? new Uint8Array(0);
    parts.push(sha256(Uint8Array.of(0xa0, i)), u32le(0), compactSize(script.length), script, u32le(0xfffffffd));
  });
  parts.push(compactSize(spec.outputs.length));
  for (const o of spec.outputs) parts.push(u64le(o.valueSat), compactSize(o.script.length), o.script);
  if (spec.witness) for (const stack of spec.witness) parts.push(compactSize(stack.length), ...stack.flatMap((item) => [compactSize(item.length), item]));
  parts.push(u32le(0));
  return concatBytes(...parts);
}

/** Replace the byte string `from` (first occurrence) by `to`: how the non-minimal cases are made. */
function splice(bytes: Uint8Array, at: number, removeCount: number, insert: Uint8Array): Uint8Array {
  return concatBytes(bytes.subarray(0, at), insert, bytes.subarray(at + removeCount));
}

export function bitcoinVectorCases(chainId: string): unknown[] {
  const root = Uint8Array.from({ length: 32 }, (_, i) => i);
  const payload = encodeAnchorPayload(chainId, 42n, root);
  const anchorScript = concatBytes(Uint8Array.of(0x6a, 0x35), payload);
  const p2wpkh = concatBytes(Uint8Array.of(0x00, 0x14), new Uint8Array(20).fill(0x11));
  const change = { valueSat: 50_000n, script: p2wpkh };
  const anchorOut = { valueSat: 0n, script: anchorScript };
  const signature = new Uint8Array(71).fill(0x30);
  const pubkey = concatBytes(Uint8Array.of(0x02), new Uint8Array(32).fill(0x22));
  const legacy = tx({ outputs: [anchorOut, change] });
  const withWitness = tx({ outputs: [anchorOut, change], witness: [[signature, pubkey]] });
  const anchorOk = { height: '42', rootHex: hex(root) };
  const anchorCase = (description: string, rawTx: Uint8Array, witness: 'forbidden' | 'allowed', expect: string, output?: unknown) => ({
    description,
    input: { kind: 'anchor-tx', rawTx: hex(rawTx), chainId, witness },
    expect,
    ...(output ? { output } : {}),
  });
  const txid = (raw: Uint8Array) => hashToDisplayHex(sha256d(raw));

  // A 64-byte transaction that parses: 1 input with an empty scriptSig, 1 output of a 4-byte script.
  const sixtyFour = tx({ outputs: [{ valueSat: 1000n, script: Uint8Array.of(0x51, 0x51, 0x51, 0x51) }] });
  if (sixtyFour.length !== 64) throw new Error(`vectors: the 64-byte transaction is ${sixtyFour.length} bytes`);
  // Offsets in `legacy`: version 0..3, input count at 4, outpoint 5..40, scriptSig length at 41, sequence 42..45, output count at 46, output 0 value 47..54, its script length at 55.
  const GENESIS_COINBASE =
    '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000';

  const txCases = [
    { description: 'the coinbase of the Bitcoin mainnet genesis block (public data): its txid is that block header\'s merkle root', input: { kind: 'tx', rawTx: GENESIS_COINBASE, witness: 'forbidden' }, expect: 'ok', output: { txid: '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b', outputCount: 1, hadWitness: false } },
    { description: 'BIP 144 witness form accepted where witness is allowed: the txid is over the form without witness, so it equals the legacy form\'s', input: { kind: 'tx', rawTx: hex(withWitness), witness: 'allowed' }, expect: 'ok', output: { txid: txid(legacy), outputCount: 2, hadWitness: true, nonWitnessHex: hex(legacy) } },
    anchorCase('anchor transaction: OP_RETURN 6a35 <payload> as output 0, P2WPKH change as output 1, no witness', legacy, 'forbidden', 'ok', { ...anchorOk, outputIndex: 0, txid: txid(legacy) }),
    anchorCase('the OP_RETURN may be any output: here output 1', tx({ outputs: [change, anchorOut] }), 'forbidden', 'ok', { ...anchorOk, outputIndex: 1, txid: txid(tx({ outputs: [change, anchorOut] })) }),
    anchorCase('the OP_RETURN output may carry a value (burnt; nothing depends on it)', tx({ outputs: [{ valueSat: 1000n, script: anchorScript }, change] }), 'forbidden', 'ok', { ...anchorOk, outputIndex: 0, txid: txid(tx({ outputs: [{ valueSat: 1000n, script: anchorScript }, change] })) }),
    anchorCase('witness form where witness is allowed (an anchor-attestation transaction)', withWitness, 'allowed', 'ok', { ...anchorOk, outputIndex: 0, txid: txid(legacy) }),
    anchorCase('witness form in a proof bundle: the bundle carries only the bytes the txid hashes', withWitness, 'forbidden', 'tx-witness'),
    anchorCase('witness flag 0x02 (only 0x01 is defined)', tx({ outputs: [anchorOut, change], witness: [[signature]], flag: 0x02 }), 'allowed', 'tx-witness'),
    anchorCase('witness marker with every witness empty (superfluous witness record)', tx({ outputs: [anchorOut, change], witness: [[]] }), 'allowed', 'tx-witness'),
    anchorCase('a second OP_RETURN output (empty data): exactly one output may begin with OP_RETURN', tx({ outputs: [anchorOut, { valueSat: 0n, script: Uint8Array.of(0x6a) }, change] }), 'forbidden', 'anchor-op-return-count'),
    anchorCase('two Pantheon payloads: a reader could be shown either', tx({ outputs: [anchorOut, { valueSat: 0n, script: concatBytes(Uint8Array.of(0x6a, 0x35), encodeAnchorPayload(chainId, 43n, root)) }, change] }), 'forbidden', 'anchor-op-return-count'),
    anchorCase('no OP_RETURN output', tx({ outputs: [change] }), 'forbidden', 'anchor-op-return-count'),
    anchorCase('payload pushed with OP_PUSHDATA1 (6a 4c 35): same data, another script; only the direct push 6a35 is an anchor', tx({ outputs: [{ valueSat: 0n, script: concatBytes(Uint8Array.of(0x6a, 0x4c, 0x35), payload) }, change] }), 'forbidden', 'anchor-script'),
    anchorCase('a byte after the pushed payload', tx({ outputs: [{ valueSat: 0n, script: concatBytes(anchorScript, Uint8Array.of(0x00)) }, change] }), 'forbidden', 'anchor-script'),
    anchorCase('OP_RETURN pushing 52 bytes of the payload', tx({ outputs: [{ valueSat: 0n, script: concatBytes(Uint8Array.of(0x6a, 0x34), payload.subarray(0, 52)) }, change] }), 'forbidden', 'anchor-script'),
    anchorCase('payload for another chain', tx({ outputs: [{ valueSat: 0n, script: concatBytes(Uint8Array.of(0x6a, 0x35), encodeAnchorPayload(chainId + 'x', 42n, root)) }, change] }), 'forbidden', 'anchor-payload'),
    anchorCase('input count 1 written as fd 01 00 (CompactSize not minimal)', splice(legacy, 4, 1, Uint8Array.of(0xfd, 0x01, 0x00)), 'forbidden', 'tx-compact-size'),
    anchorCase('OP_RETURN script length 55 written as fd 37 00 (CompactSize not minimal)', splice(legacy, 55, 1, Uint8Array.of(0xfd, 0x37, 0x00)), 'forbidden', 'tx-compact-size'),
    anchorCase('output count 2 written as fe 02 00 00 00 (CompactSize not minimal)', splice(legacy, 46, 1, Uint8Array.of(0xfe, 0x02, 0x00, 0x00, 0x00)), 'forbidden', 'tx-compact-size'),
    anchorCase('one byte after the locktime', concatBytes(legacy, Uint8Array.of(0x00)), 'forbidden', 'tx-trailing-bytes'),
    anchorCase('locktime cut short by one byte', legacy.subarray(0, legacy.length - 1), 'forbidden', 'tx-truncated'),
    anchorCase('script length larger than the bytes left', splice(legacy, 55, 1, Uint8Array.of(0xfc)), 'forbidden', 'tx-truncated'),
    anchorCase('no outputs', tx({ outputs: [] }), 'forbidden', 'tx-no-outputs'),
    anchorCase('witness serialization with zero inputs (in the form without witness a zero input count is the marker)', tx({ inputs: [], outputs: [anchorOut, change], witness: [] }), 'allowed', 'tx-no-inputs'),
    anchorCase('change output worth more than 21,000,000 BTC', tx({ outputs: [anchorOut, { valueSat: 2_100_000_000_000_001n, script: p2wpkh }] }), 'forbidden', 'tx-value'),
    anchorCase('change output with value -1 (all bits set, read as Core reads int64)', tx({ outputs: [anchorOut, { valueSat: (1n << 64n) - 1n, script: p2wpkh }] }), 'forbidden', 'tx-value'),
    anchorCase('a 64-byte transaction: indistinguishable from an inner merkle node (and too small to carry an anchor)', sixtyFour, 'forbidden', 'tx-too-short'),
    anchorCase('empty input', new Uint8Array(0), 'forbidden', 'tx-truncated'),
  ];

  // Merkle branches over made-up txids t0, t1, ... (t_i = SHA-256 of the byte i).
  const ids = (n: number) => Array.from({ length: n }, (_, i) => sha256(Uint8Array.of(i)));
  const merkleCase = (description: string, leaves: Uint8Array[], txidBytes: Uint8Array, index: number, siblings: Uint8Array[], expect: string) => ({
    description,
    input: { kind: 'merkle', txid: hex(txidBytes), index, siblings: siblings.map(hex), merkleRoot: hex(computeMerkleRoot(leaves)) },
    expect,
  });
  const three = ids(3);
  const four = ids(4);
  const five = ids(5);
  const pairOf = (a: Uint8Array, b: Uint8Array) => sha256d(concatBytes(a, b));
  const merkleCases = [
    merkleCase('4 transactions, index 1', four, four[1], 1, buildMerkleBranch(four, 1).siblings, 'ok'),
    merkleCase('3 transactions, index 2: the last leaf is paired with its own copy (even position)', three, three[2], 2, buildMerkleBranch(three, 2).siblings, 'ok'),
    merkleCase('5 transactions, index 4: the last node is paired with its copy at levels 0 and 1', five, five[4], 4, buildMerkleBranch(five, 4).siblings, 'ok'),
    merkleCase('3 transactions, index 3 with t2: the phantom leaf CVE-2012-2459 creates (t2 copied to an odd position)', three, three[2], 3, [three[2], pairOf(three[0], three[1])], 'merkle-phantom'),
    merkleCase('5 transactions, index 6 with t4: a phantom one level up (the copied pair t4t4 at an odd position)', five, five[4], 6, [five[4], pairOf(five[4], five[4]), buildMerkleBranch(five, 4).siblings[2]], 'merkle-phantom'),
    merkleCase('a copy at level 0 (t0 the last of its level) but a right neighbour at level 1: no block has that shape (Core refuses equal adjacent txids as a mutated block)', [four[0], four[0], four[2], four[3]], four[0], 0, [four[0], pairOf(four[2], four[3])], 'merkle-last-node'),
    merkleCase('index 4 with a 2-hash branch: beyond the tree the branch describes', four, four[0], 4, buildMerkleBranch(four, 0).siblings, 'merkle-index'),
    merkleCase('index 1 given the branch of index 0', four, four[0], 1, buildMerkleBranch(four, 0).siblings, 'merkle-root'),
    merkleCase('the right txid and index with one sibling dropped', four, four[1], 1, buildMerkleBranch(four, 1).siblings.slice(0, 1), 'merkle-root'),
    merkleCase(
      'an inner node (t0t1) as the "txid" with a 1-hash branch reaches the root: the merkle step alone cannot tell a 64-byte transaction from an inner node, which is why raw transactions of 64 bytes are refused (tx-too-short)',
      four,
      pairOf(four[0], four[1]),
      0,
      [pairOf(four[2], four[3])],
      'ok',
    ),
  ];

  const bitsCase = (description: string, bits: number, expect: string) => {
    const c: Record<string, unknown> = { description, input: { kind: 'bits', bits: `0x${bits.toString(16).padStart(8, '0')}` }, expect };
    if (expect === 'ok') c.output = { target: bitsToTarget(bits).toString(16).padStart(64, '0'), work: workForBits(bits).toString() };
    return c;
  };
  const bitsCases = [
    bitsCase('mainnet difficulty 1 (the pow limit, as the genesis block carries it): work 2^256 / (target + 1) = 4295032833', 0x1d00ffff, 'ok'),
    bitsCase('regtest pow limit: work 2', 0x207fffff, 'ok'),
    bitsCase('a mainnet-range target (block 100,000 carries this nBits)', 0x1b04864c, 'ok'),
    bitsCase('exponent 3: the target is the mantissa', 0x03123456, 'ok'),
    bitsCase('exponent 1: the mantissa is shifted right by 2 bytes, target 0x12', 0x01120000, 'ok'),
    bitsCase('target 0x80 needs exponent 2, since a mantissa with its top bit set reads as negative', 0x02008000, 'ok'),
    bitsCase('sign bit set with a non-zero mantissa', 0x04923456, 'bits-negative'),
    bitsCase('sign bit set on a mainnet-like value', 0x1d80ffff, 'bits-negative'),
    bitsCase('exponent 35 (more than 34 bytes)', 0x23000001, 'bits-overflow'),
    bitsCase('exponent 34 with a mantissa above 0xff', 0x22000100, 'bits-overflow'),
    bitsCase('exponent 0xff', 0xff123456, 'bits-overflow'),
    bitsCase('zero mantissa', 0x1d000000, 'bits-zero'),
    bitsCase('exponent 1 shifts the mantissa to zero', 0x01003456, 'bits-zero'),
    bitsCase('0x21007fff: the target 0x7fff << 240, whose normalised encoding is 0x207fff00', 0x21007fff, 'bits-not-normalised'),
    bitsCase('0x22000001: target 2^248, normalised 0x20010000', 0x22000001, 'bits-not-normalised'),
    bitsCase('leading zero byte in the mantissa at exponent 3: target 0x12, normalised 0x01120000', 0x03000012, 'bits-not-normalised'),
  ];

  // Headers: the mainnet genesis header (public data) and regtest headers mined here (about 2 tries each).
  const GENESIS_HEADER = '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c';
  const mine = (bits: number, meets: boolean): Uint8Array => {
    for (let nonce = 0; ; nonce++) {
      const h = new Uint8Array(80);
      const v = new DataView(h.buffer);
      v.setInt32(0, 0x20000000, true);
      h.set(sha256(Uint8Array.of(0xb7)), 36);
      v.setUint32(68, 1_764_028_800, true);
      v.setUint32(72, bits, true);
      v.setUint32(76, nonce, true);
      const header = parseBlockHeader(h);
      const hashNumber = BigInt('0x' + hashToDisplayHex(header.hash));
      if (meets === hashNumber <= 0x7fffffn << 232n) return h;
    }
  };
  const regtest = mine(0x207fffff, true);
  if (!isValidProofOfWork(parseBlockHeader(regtest), 'regtest')) throw new Error('vectors: mined regtest header does not verify');
  const genesisTampered = fromHex(GENESIS_HEADER);
  genesisTampered[79] ^= 1;
  const headerCase = (description: string, header: Uint8Array, network: string, expect: string) => ({ description, input: { kind: 'header', header: hex(header), network }, expect, ...(expect === 'ok' ? { output: { hash: hashToDisplayHex(sha256d(header)), work: workForBits(parseBlockHeader(header).bits).toString() } } : {}) });
  const withBits = (header: Uint8Array, bits: number) => {
    const copy = Uint8Array.from(header);
    new DataView(copy.buffer).setUint32(72, bits, true);
    return copy;
  };
  const headerCases = [
    headerCase('mainnet genesis header on mainnet', fromHex(GENESIS_HEADER), 'mainnet', 'ok'),
    headerCase('regtest header mined at the regtest limit', regtest, 'regtest', 'ok'),
    headerCase('mainnet genesis header with its nonce changed: the hash misses the target', genesisTampered, 'mainnet', 'pow-hash'),
    headerCase('regtest header presented as mainnet: its target is easier than the mainnet pow limit', regtest, 'mainnet', 'bits-above-pow-limit'),
    headerCase('regtest header whose nBits is 0x21007fff (a non-normalised spelling of a target inside the regtest limit): refused before the limit and the hash are compared', withBits(regtest, 0x21007fff), 'regtest', 'bits-not-normalised'),
    headerCase('a header whose hash misses the regtest target', mine(0x207fffff, false), 'regtest', 'pow-hash'),
  ];

  return [...txCases, ...merkleCases, ...bitsCases, ...headerCases];
}
