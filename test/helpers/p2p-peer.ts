// A Pantheon network node as a child process, driven over stdio by test/p2p.test.ts.
//   node --import tsx test/helpers/p2p-peer.ts '<json config>'
// config: { dataDir, chainId, listen: string[], bootstrap: string[], syncHeight?: number,
//          protocolVersion?: number (another version than the node's, to test a mixed network),
//          validatorSeeds?: number[] (validator i's ML-DSA-65 key from 32 bytes of seed i),
//          validatorIndex?: number (this peer proves validator i's key in its hello) }
// stdout: one JSON object per line:
//   {"event":"ready","peerId","addresses"}            once started
//   {"event":"message","topic","text","hex","from","verdict"}  every gossip message handled
//   {"event":"result","id","ok":true,...} / {"event":"result","id","ok":false,"error"}
// stdin: one JSON command per line, each with an "id":
//   {"cmd":"publish","topic","text"|"hex"}  {"cmd":"peers"}
//   {"cmd":"requestSync","peerId","request":{"kind":"status"}|{"kind":"blocks","fromHeight":"3","maxBlocks":2}}
//   {"cmd":"rawSync","peerId","hex"}       {"cmd":"stats"} → duplicatesReceived       {"cmd":"stop"}
// Handler verdicts, the same at every node: text starting "reject:" → reject, "ignore:" →
// ignore, anything else → accept. Sync serves heights 1..syncHeight with block "block-<h>"
// and certificate "cert-<h>". Network log events go to stderr.
import '../../node/p2p/polyfills.ts';
import { createInterface } from 'node:readline';
import { createNetwork, exchangeRawSyncFrame, TOPICS, type SyncRequest, type SyncResponse, type Verdict } from '../../node/p2p/index.ts';

import { hexToBytes } from '../../protocol/bytes.ts';
import { keyPairFromSeed } from '../../protocol/keys.ts';
const LINE_BYTES_MAX = 64 * 1024;

const config = JSON.parse(process.argv[2] ?? '{}') as {
  dataDir: string;
  chainId: string;
  listen: string[];
  bootstrap: string[];
  syncHeight?: number;
  protocolVersion?: number;
  validatorSeeds?: number[];
  validatorIndex?: number;
};
const validatorKeys = (config.validatorSeeds ?? []).map((seed) => keyPairFromSeed(new Uint8Array(32).fill(seed)));
const syncHeight = BigInt(config.syncHeight ?? 7);
const utf8 = new TextEncoder();
const text = new TextDecoder();

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function verdictFor(message: string): Verdict {
  if (message.startsWith('reject:')) return 'reject';
  if (message.startsWith('ignore:')) return 'ignore';
  return 'accept';
}

function responseToJson(r: SyncResponse): Record<string, unknown> {
  if (r.kind === 'status') return { kind: 'status', height: r.height.toString() };
  if (r.kind === 'error') return r;
  if (r.kind === 'txs') return { kind: 'txs', txs: r.txs.map((tx) => Buffer.from(tx).toString('hex')) };
  return { kind: 'blocks', blocks: r.blocks.map((b) => ({ block: text.decode(b.block), certificate: text.decode(b.certificate) })) };
}

function requestFromJson(r: { kind: string; fromHeight?: string; maxBlocks?: number }): SyncRequest {
  if (r.kind === 'status') return { kind: 'status' };
  return { kind: 'blocks', fromHeight: BigInt(r.fromHeight ?? '0'), maxBlocks: r.maxBlocks ?? 0 };
}

const network = await createNetwork({
  ...config,
  validatorPublicKeys: validatorKeys.map((k) => k.publicKey),
  validator: config.validatorIndex === undefined ? undefined : { index: config.validatorIndex, secretKey: validatorKeys[config.validatorIndex].secretKey },
  log: (event, fields) => process.stderr.write(`${JSON.stringify({ event, ...fields })}\n`),
});

for (const topic of TOPICS) {
  network.setHandler(topic, async (data, from) => {
    const message = text.decode(data);
    const verdict = verdictFor(message);
    emit({ event: 'message', topic, text: message, hex: Buffer.from(data).toString('hex'), from, verdict });
    return verdict;
  });
}

network.serveSync(async (request) => {
  if (request.kind === 'status') return { kind: 'status', height: syncHeight };
  if (request.kind === 'txs') return { kind: 'txs', txs: request.txLeafHashes.map(() => new Uint8Array(0)) };
  const blocks = [];
  for (let h = request.fromHeight; h <= syncHeight && blocks.length < request.maxBlocks; h++) {
    blocks.push({ block: utf8.encode(`block-${h}`), certificate: utf8.encode(`cert-${h}`) });
  }
  return { kind: 'blocks', blocks };
});

emit({ event: 'ready', peerId: network.peerId, addresses: network.addresses() });

async function run(cmd: Record<string, any>): Promise<Record<string, unknown>> {
  switch (cmd.cmd) {
    case 'publish':
      await network.publish(cmd.topic, cmd.hex !== undefined ? hexToBytes(cmd.hex, 'hex') : utf8.encode(cmd.text));
      return {};
    case 'peers':
      return { peers: network.peers() };
    case 'requestSync':
      return { response: responseToJson(await network.requestSync(cmd.peerId, requestFromJson(cmd.request), cmd.timeoutMs)) };
    case 'rawSync':
      return { response: responseToJson(await exchangeRawSyncFrame(network, cmd.peerId, new Uint8Array(Buffer.from(cmd.hex, 'hex')), cmd.timeoutMs)) };
    case 'stats':
      return { duplicatesReceived: network.duplicatesReceived() };
    case 'stop':
      await network.stop();
      return {};
    default:
      throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`);
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.length > LINE_BYTES_MAX) {
    emit({ event: 'result', ok: false, error: `command line of ${line.length} bytes exceeds ${LINE_BYTES_MAX}` });
    return;
  }
  let cmd: Record<string, any>;
  try {
    cmd = JSON.parse(line);
  } catch (err) {
    emit({ event: 'result', ok: false, error: `not JSON: ${(err as Error).message}` });
    return;
  }
  run(cmd).then(
    (out) => {
      emit({ event: 'result', id: cmd.id, ok: true, ...out });
      if (cmd.cmd === 'stop') process.exit(0);
    },
    (err: Error) => emit({ event: 'result', id: cmd.id, ok: false, error: err.message }),
  );
});
// The parent closing our stdin means the test is over: leave cleanly rather than linger.
lines.on('close', () => {
  network.stop().finally(() => process.exit(0));
});
