// A child process that signs commitment transactions for the benchmarks, so that pre-signing
// thousands of ML-DSA-65 transactions uses every core. It signs with liboqs (WASM), about
// twelve times noble's speed here: the signatures are ordinary FIPS 204 signatures over the
// same signing bytes (test/fast-crypto.test.ts: each library verifies the other's), and the
// worker checks the first one with noble before it writes anything. Reads one JSON job on stdin, writes
// one hex transaction per line on stdout, in job order, each as soon as it is signed (holding
// 50,000 of them as strings ran out of heap).
import { createMLDSA65 } from '@oqs/liboqs-js';
import { hexToBytes } from '../protocol/bytes.ts';
import { addressOf, keyPairFromSeed } from '../protocol/keys.ts';
import { SampleLog } from '../node/commitment-log.ts';
import { checkTxSignature, encodeTx, encodeTxBody, type SignedTx, type UnsignedTx } from '../protocol/tx.ts';
import { signingBytes, TAGS } from '../protocol/hash.ts';
import type { SignJob } from './signer.ts';

const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const job: SignJob = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const oqs = await createMLDSA65();
const keys = new Map<string, ReturnType<typeof keyPairFromSeed>>();
const logs = new Map<string, SampleLog>();
let first = true;
for (const t of job.txs) {
  let key = keys.get(t.seedHex);
  if (!key) keys.set(t.seedHex, (key = keyPairFromSeed(hexToBytes(t.seedHex, 'seed', 32))));
  // Each sender's commitments extend one log (its name is t.logId) by one entry per nonce, with
  // the consistency proof from the previous size, so they pass the append-only rule.
  const logId = `${addressOf(key.publicKey)}/${t.logId}`;
  let log = logs.get(logId);
  if (!log) logs.set(logId, (log = new SampleLog(`bench ${logId}`)));
  const size = Number(t.nonce) + 1;
  const payload = { kind: 'commitment' as const, logId, treeSize: BigInt(size), root: log.root(size), previousSize: BigInt(size - 1), consistencyProof: log.consistencyProof(size - 1, size) };
  const unsigned: UnsignedTx = { chainId: job.chainId, senderPublicKey: key.publicKey, nonce: BigInt(t.nonce), fee: BigInt(job.fee), payload };
  const tx: SignedTx = { ...unsigned, signature: oqs.sign(signingBytes(TAGS.tx, job.chainId, encodeTxBody(unsigned)), key.secretKey) };
  if (first) {
    const bad = checkTxSignature(tx, job.chainId); // noble: this process installs nothing else
    if (bad) throw new Error(`sign-worker: a liboqs signature does not verify with noble: ${bad}`);
    first = false;
  }
  const line = Buffer.from(encodeTx(tx)).toString('hex') + '\n';
  // Wait for the pipe when it is full rather than queue every transaction in memory.
  if (!process.stdout.write(line)) await new Promise((resolve) => process.stdout.once('drain', resolve));
}
