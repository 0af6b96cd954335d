// The HTTP API's bounds (docs/api.md, "Limits") against a real node process: 100 clients that
// ask for the largest block and never read keep the node's resident memory under 1 GB while
// /v1/status still answers; the node closes their connections (stall or keep-alive timeout); a connection
// that sends no headers is closed after the headers timeout.
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyPair } from '../protocol/keys.ts';
import { api } from '../node/client.ts';
import { HTTP_HEADERS_TIMEOUT_MS, HTTP_KEEP_ALIVE_TIMEOUT_MS, HTTP_STALL_TIMEOUT_MS } from '../node/http-api.ts';
import { stopNodeProcess, waitFor, type NodeProcess } from '../devnet/processes.ts';
import { startSoloValidator } from './helpers/solo-validator.ts';
import { commitmentBurst, establishedPeers, fund, residentBytes, senderKeys, slowReaders } from '../fixtures/load.ts';

const READERS = 100;
/** 14 × 50 commitments of about 5.4 KB: more than one block of 3 MB (blockBytesMax) holds. */
const SENDERS = 14;
const PER_SENDER = 50;
const RESIDENT_BYTES_MAX = 1024 ** 3;

const dir = mkdtempSync(join(tmpdir(), 'pantheon-http-bounds-'));
const PORT = 34_000 + Math.floor(Math.random() * 2000);
let node: NodeProcess;
let chainId: string;
let treasury: KeyPair;

beforeAll(async () => {
  ({ node, chainId, treasury } = await startSoloValidator(dir, { port: PORT }));
}, 90_000);

afterAll(async () => {
  if (node) await stopNodeProcess(node);
});

describe('bounded HTTP resources', () => {
  it(`${READERS} clients that never read the largest block keep memory under 1 GB, /v1/status answers, and are cut off`, async () => {
    const keys = senderKeys(SENDERS, 0x24);
    await fund(node.url, chainId, treasury, keys, 10n ** 12n);
    // How a burst splits into blocks depends on when the node builds them; a second burst
    // (at most two more) while no block is near full, so the readers get a large one.
    let largest = { height: 0n, bytes: 0 };
    let tip = 0n;
    for (let burst = 0; burst < 3 && largest.bytes <= 2_500_000; burst++) {
      const ids = await commitmentBurst(node.url, chainId, keys, PER_SENDER, `big${burst}`);
      await waitFor('the burst to be final', async () => ((await api(node.url, `/v1/tx/${ids.at(-1)}`)).status === 'final' ? true : undefined), 120_000, 500);
      // The largest block, by its encoded size.
      tip = BigInt((await api(node.url, '/v1/status')).height);
      for (let h = 1n; h <= tip; h++) {
        const b = await api(node.url, `/v1/block/${h}`);
        if (b.block.length / 2 > largest.bytes) largest = { height: h, bytes: b.block.length / 2 };
      }
    }
    const full = Buffer.byteLength(JSON.stringify(await api(node.url, `/v1/block/${largest.height}`))) + 1;
    console.log(`largest block: height ${largest.height}, ${largest.bytes} bytes, answer ${full} bytes`);
    expect(largest.bytes).toBeGreaterThan(2_500_000);

    const pid = node.child.pid!;
    const before = residentBytes(pid);
    const readers = await slowReaders(PORT + 1, `/v1/block/${largest.height}`, READERS);
    // Idle connections opened alongside: one silent, one that sends half its headers.
    const halfHeaders = connect({ host: '127.0.0.1', port: PORT + 1 }, () => halfHeaders.write('GET /v1/status HTTP/1.1\r\n'));
    const idle = [connect({ host: '127.0.0.1', port: PORT + 1 }), halfHeaders];
    const idleClosedMs = idle.map((s) => {
      const t0 = Date.now();
      s.on('error', () => undefined);
      s.resume();
      return new Promise<number>((resolve) => s.once('close', () => resolve(Date.now() - t0)));
    });
    let peak = before;
    const statusMs: number[] = [];
    const sampleUntil = Date.now() + 8000;
    while (Date.now() < sampleUntil) {
      peak = Math.max(peak, residentBytes(pid));
      const t0 = Date.now();
      const s = await api(node.url, '/v1/status');
      statusMs.push(Date.now() - t0);
      expect(BigInt(s.height)).toBeGreaterThanOrEqual(tip);
      await new Promise((r) => setTimeout(r, 200));
    }
    console.log(`resident memory: ${(before / 1048576).toFixed(0)} MB before, ${(peak / 1048576).toFixed(0)} MB at most with ${READERS} slow readers; /v1/status answered ${statusMs.length} times, slowest in ${Math.max(...statusMs)} ms`);
    expect(peak).toBeLessThanOrEqual(RESIDENT_BYTES_MAX);

    // The node closes every slow reader's connection: cut off once it has stalled for the stall
    // timeout, or (when the kernel's buffers took the whole answer) closed as idle after the
    // keep-alive timeout. Seen from the node's side in /proc/net/tcp, without reading a byte.
    const readerPorts = readers.sockets.map((s) => s.localPort!);
    const t0 = Date.now();
    await waitFor('the node to close every slow reader', () => {
      const open = establishedPeers(PORT + 1);
      return readerPorts.every((p) => !open.has(p)) ? true : undefined;
    }, HTTP_STALL_TIMEOUT_MS + HTTP_KEEP_ALIVE_TIMEOUT_MS + 15_000, 500);
    console.log(`the node closed all ${READERS} slow readers within ${((Date.now() - t0) / 1000).toFixed(1)} s more`);
    readers.destroy();
    const closed = await Promise.all(idleClosedMs);
    console.log(`idle connections closed after ${closed.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(' and ')} (headers timeout ${HTTP_HEADERS_TIMEOUT_MS / 1000} s)`);
    // Both closed long before the stall timeout: the headers timeout, not the socket's, closed them.
    for (const ms of closed) expect(ms).toBeLessThan(HTTP_STALL_TIMEOUT_MS);
    expect((await api(node.url, '/v1/status')).height).toBeDefined();
  }, 240_000);
});
