// The socket service's promise for `guard`: a client that disconnects inside its action gets a
// failed outcome even when the service is stopped at that very moment. The server's close
// callback can run before the socket's own 'close' handler; a close() that did not wait for it
// closed the writer first and lost the outcome ("the OAR writer is closed"), seen twice in CI.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addressOf, keyPairFromSeed } from '../protocol/keys.ts';
import { OarWriter, fileChunks, recordPath, verifyRecord } from '../oar/node/index.ts';
import { serveOar } from '../oar/node/serve.ts';

const CHAIN = 'pantheon-test-1';
const owner = keyPairFromSeed(new Uint8Array(32).fill(1));
const LOG = `${addressOf(owner.publicKey)}/serve-close`;
const root = mkdtempSync(join(tmpdir(), 'pantheon-serve-close-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** One guard over the socket, the client gone as soon as its permit arrives, the service stopped at once. */
async function disconnectAsTheServiceStops(round: number): Promise<string[]> {
  const dir = join(root, `r${round}`);
  const errors: string[] = [];
  const writer = await OarWriter.open({ dir, chainId: CHAIN, logId: LOG, key: owner, create: true });
  const socketPath = join(dir, 's.sock');
  const service = await serveOar({ socketPath, writer, onError: (err) => errors.push(err.message) });
  await new Promise<void>((resolve, reject) => {
    const socket = connect(socketPath);
    socket.on('data', () => {
      socket.destroy();
      void service.close().then(() => writer.close()).then(resolve, reject);
    });
    socket.on('error', reject);
    socket.write('{"id":1,"op":"guard","actor":"crashing-agent","actorVersion":"1","payload":{"action":"wire"}}\n');
  });
  const summary = await verifyRecord(fileChunks(recordPath(dir)), { chainId: CHAIN, signatures: 'all' });
  expect(summary.entries, `round ${round}: ${errors.join('; ')}`).toBe(2);
  expect(summary.failedOutcomes).toBe(1);
  expect(summary.openIntents).toEqual([]);
  return errors;
}

describe('oar serve: stopping while a guarded client disconnects', () => {
  it('records the failed outcome before the writer closes, every time (40 rounds)', async () => {
    for (let round = 0; round < 40; round++) expect(await disconnectAsTheServiceStops(round)).toEqual([]);
  }, 120_000);
});
