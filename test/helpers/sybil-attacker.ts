// An attacker as one OS process holding many fresh libp2p identities, for test/p2p-attack.test.ts.
// Each identity is a full Pantheon network stack (node/p2p, real TCP, Noise, Yamux, gossipsub,
// the hello) with its own peer key, dialing the validators from the attacker's address. None
// has a validator proof unless `claimValidator` is set, in which case each claims that genesis
// index with a signature by a key that is not the validator's.
//   node --import tsx test/helpers/sybil-attacker.ts '<json config>'
// config: { dataDir, chainId, count, bootstrap: string[], claimValidator?: number }
// stdout, one JSON object per line: {"event":"ready","peerIds":[…]} then command results.
// stdin commands (JSON lines with "id"):
//   {"cmd":"connected"}                      → {"connected": [number of peers per identity]}
//   {"cmd":"flood","messages":5000,"minFee":"1000"} → publishes that many useless messages, half
//      transactions from unfunded keys, half votes for height 1 (long committed), spread over
//      the identities, and answers {"published", "failed", "tookMs"}.
import '../../node/p2p/polyfills.ts';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createNetwork, dialOnce, type Network } from '../../node/p2p/index.ts';
import { encodeTxList, encodeVoteEnvelope } from '../../protocol/gossip.ts';
import { addressOf, keyPairFromSeed, PUBLIC_KEY_SIZE, SIGNATURE_SIZE } from '../../protocol/keys.ts';
import { encodeTx } from '../../protocol/tx.ts';
import { encodeVote } from '../../protocol/vote.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as { dataDir: string; chainId: string; count: number; bootstrap: string[]; claimValidator?: number };
const emit = (obj: Record<string, unknown>) => process.stdout.write(JSON.stringify(obj) + '\n');
const bytes = (n: number) => new Uint8Array(randomBytes(n));

// A key that is in no genesis: its "proof" is a well-formed signature that cannot verify.
const impostorKey = config.claimValidator === undefined ? undefined : keyPairFromSeed(bytes(32));
// The identities dial every validator themselves, at most DIALS_IN_FLIGHT_MAX at a time, and
// again every REDIAL_INTERVAL_MS while not connected: persistent, but paced so that on a loaded
// 2-core machine the attacker's own handshakes do not all miss their timeout (libp2p admits only
// 5 new connections per second from one address anyway).
const DIALS_IN_FLIGHT_MAX = 4;
const DIAL_TIMEOUT_MS = 20_000;
const REDIAL_INTERVAL_MS = 3_000;
const networks: Network[] = [];
for (let i = 0; i < config.count; i++) {
  networks.push(
    await createNetwork({
      dataDir: join(config.dataDir, `sybil-${i}`),
      chainId: config.chainId,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [],
      validator: impostorKey ? { index: config.claimValidator!, secretKey: impostorKey.secretKey } : undefined,
      log: (event, fields) => process.stderr.write(JSON.stringify({ identity: i, event, ...fields }) + '\n'),
    }),
  );
}
const targetPeerIds = config.bootstrap.map((a) => a.split('/p2p/')[1]);
let dialFailures = 0;
async function dialRound(): Promise<void> {
  const pending: [Network, string][] = [];
  for (const n of networks) {
    const connected = new Set(n.peers().map((p) => p.peerId));
    config.bootstrap.forEach((address, k) => connected.has(targetPeerIds[k]) || pending.push([n, address]));
  }
  const work = async () => {
    for (let job = pending.shift(); job !== undefined; job = pending.shift()) {
      await dialOnce(job[0], job[1], DIAL_TIMEOUT_MS).catch(() => dialFailures++);
    }
  };
  await Promise.all(Array.from({ length: DIALS_IN_FLIGHT_MAX }, work));
}
let stopped = false;
void (async () => {
  while (!stopped) {
    await dialRound();
    await new Promise((r) => setTimeout(r, REDIAL_INTERVAL_MS));
  }
})();
// Subscribed like any node, so the identities join the validators' meshes.
for (const n of networks) for (const topic of ['tx', 'vote'] as const) n.setHandler(topic, () => 'ignore');
emit({ event: 'ready', peerIds: networks.map((n) => n.peerId) });

/** A transaction from a fresh key nobody funded: well-formed; the node drops it before the signature. */
function unfundedTx(minFee: bigint): Uint8Array {
  const senderPublicKey = bytes(PUBLIC_KEY_SIZE);
  return encodeTx({
    chainId: config.chainId,
    senderPublicKey,
    nonce: 0n,
    fee: minFee,
    // A log id the sender could own (docs/transaction.md), so only the missing funds make it useless.
    payload: { kind: 'commitment', logId: `${addressOf(senderPublicKey)}/flood`, treeSize: 1n, root: bytes(32), previousSize: 0n, consistencyProof: [] },
    signature: bytes(SIGNATURE_SIZE),
  });
}

/** A well-formed vote for height 1, committed long before the attack. */
function staleVote(): Uint8Array {
  const vote = encodeVote({ chainId: config.chainId, type: 'precommit', height: 1n, round: 0, blockHash: bytes(32), validatorIndex: 0, signature: bytes(SIGNATURE_SIZE) });
  return encodeVoteEnvelope({ vote, sentAtMs: BigInt(Date.now()) });
}

async function flood(messages: number, minFee: bigint): Promise<Record<string, unknown>> {
  const started = Date.now();
  let published = 0;
  let failed = 0;
  let lastError: string | undefined;
  // Only identities that a validator let in can deliver anything; wait a while for some.
  const deadline = Date.now() + 60_000;
  let senders = networks.filter((n) => n.peers().length > 0);
  while (senders.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    senders = networks.filter((n) => n.peers().length > 0);
  }
  if (senders.length === 0) throw new Error('no identity is connected to any validator (after 60 s)');
  for (let i = 0; i < messages; i++) {
    const sender = senders[i % senders.length];
    const [topic, data] = i % 2 === 0 ? (['tx', encodeTxList([unfundedTx(minFee)])] as const) : (['vote', staleVote()] as const);
    try {
      await sender.publish(topic, data);
      published++;
    } catch (err) {
      failed++;
      lastError = (err as Error).message;
    }
    // Let the streams drain now and then rather than queueing megabytes at once.
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  return { published, failed, lastError, senders: senders.map((n) => n.peerId), tookMs: Date.now() - started };
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line) as { id: string; cmd: string; messages?: number; minFee?: string };
  const run = async (): Promise<Record<string, unknown>> => {
    if (cmd.cmd === 'connected') return { connected: networks.map((n) => n.peers().length), dialFailures };
    if (cmd.cmd === 'flood') return flood(cmd.messages ?? 0, BigInt(cmd.minFee ?? '0'));
    throw new Error(`unknown command ${cmd.cmd}`);
  };
  run().then(
    (out) => emit({ event: 'result', id: cmd.id, ok: true, ...out }),
    (err: Error) => emit({ event: 'result', id: cmd.id, ok: false, error: err.message }),
  );
});
process.stdin.on('close', () => {
  stopped = true;
  Promise.all(networks.map((n) => n.stop().catch(() => undefined))).finally(() => process.exit(0));
});
