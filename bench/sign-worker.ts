// A child process that signs commitment transactions for the benchmarks, so that pre-signing
// thousands of ML-DSA-65 transactions uses every core. Reads one JSON job on stdin, writes
// one hex transaction per line on stdout, in job order, each as soon as it is signed (holding
// 50,000 of them as strings ran out of heap).
import { hexToBytes } from '../protocol/bytes.ts';
import { keyPairFromSeed } from '../protocol/keys.ts';
import { encodeTx, signTx } from '../protocol/tx.ts';
import { sha256 } from '../protocol/hash.ts';
import type { SignJob } from './signer.ts';

const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const job: SignJob = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const keys = new Map<string, ReturnType<typeof keyPairFromSeed>>();
for (const t of job.txs) {
  let key = keys.get(t.seedHex);
  if (!key) keys.set(t.seedHex, (key = keyPairFromSeed(hexToBytes(t.seedHex, 'seed', 32))));
  const root = sha256(new TextEncoder().encode(`bench root ${t.logId} ${t.nonce}`));
  const tx = signTx({ chainId: job.chainId, senderPublicKey: key.publicKey, nonce: BigInt(t.nonce), fee: BigInt(job.fee), payload: { kind: 'commitment', logId: t.logId, treeSize: BigInt(t.nonce) + 1n, root } }, key.secretKey);
  const line = Buffer.from(encodeTx(tx)).toString('hex') + '\n';
  // Wait for the pipe when it is full rather than queue every transaction in memory.
  if (!process.stdout.write(line)) await new Promise((resolve) => process.stdout.once('drain', resolve));
}
