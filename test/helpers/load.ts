// Load and hostile clients for multi-process tests (test/http-bounds, test/chaos): funded
// senders, a burst of commitments that lands in as few blocks as the limits allow, clients
// that ask for a large answer and never read it, and a process's resident memory.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { bytesToHex } from '../../protocol/bytes.ts';
import { addressBytes, addressOf, keyPairFromSeed, type KeyPair } from '../../protocol/keys.ts';
import { encodeTx, signTx } from '../../protocol/tx.ts';
import { api } from '../../node/client.ts';
import { waitFor } from '../../devnet/processes.ts';

/** Resident memory of a process, from /proc (Linux). */
export function residentBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/**
 * The remote ports of ESTABLISHED TCP connections whose local port is `localPort`, from
 * /proc/net/tcp (Linux): the server's side of its clients' connections.
 */
export function establishedPeers(localPort: number): Set<number> {
  const out = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== '01') continue;
      if (parseInt(f[1].split(':')[1], 16) === localPort) out.add(parseInt(f[2].split(':')[1], 16));
    }
  }
  return out;
}

/** Keys from a seed byte and an index: deterministic, so a printed seed reproduces a run. */
export function senderKeys(count: number, tag: number): KeyPair[] {
  return Array.from({ length: count }, (_, i) => {
    const seed = new Uint8Array(32);
    seed[0] = tag;
    seed[1] = i & 0xff;
    seed[2] = i >> 8;
    return keyPairFromSeed(seed);
  });
}

/** Runs `jobs` with at most `parallel` at once. */
export async function inParallel<T>(jobs: (() => Promise<T>)[], parallel: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]();
      }
    }),
  );
  return out;
}

/** Transfers `amount` to each key from the funder, and waits until every transfer is final. */
export async function fund(url: string, chainId: string, funder: KeyPair, keys: KeyPair[], amount: bigint, timeoutMs = 90_000): Promise<void> {
  const first = BigInt((await api(url, `/v1/account/${addressOf(funder.publicKey)}`)).nextNonce);
  const ids = await inParallel(
    keys.map((k, i) => async () => {
      const tx = signTx({ chainId, senderPublicKey: funder.publicKey, nonce: first + BigInt(i), fee: 1000n, payload: { kind: 'transfer', to: addressBytes(k.publicKey), amount } }, funder.secretKey);
      return (await api(url, '/v1/tx', { tx: bytesToHex(encodeTx(tx)) })).txId as string;
    }),
    4,
  );
  await waitFor('the funding transfers to be final', async () => {
    for (const id of ids) if ((await api(url, `/v1/tx/${id}`)).status !== 'final') return undefined;
    return true;
  }, timeoutMs, 500);
}

/**
 * `perSender` commitments from each key, submitted with every sender's first nonce last: until
 * then none is includable, so they reach blocks together, as full as the block limits allow.
 * Returns the commitment ids.
 */
export async function commitmentBurst(url: string, chainId: string, keys: KeyPair[], perSender: number, logPrefix: string): Promise<string[]> {
  const signed = await Promise.all(
    keys.map(async (k) => {
      const nonce = BigInt((await api(url, `/v1/account/${addressOf(k.publicKey)}`)).nextNonce);
      return Array.from({ length: perSender }, (_, j) =>
        bytesToHex(encodeTx(signTx({ chainId, senderPublicKey: k.publicKey, nonce: nonce + BigInt(j), fee: 1000n, payload: { kind: 'commitment', logId: `${addressOf(k.publicKey)}/${logPrefix}-${j}`, treeSize: 1n, root: new Uint8Array(32).fill(j & 0xff), previousSize: 0n, consistencyProof: [] } }, k.secretKey))),
      );
    }),
  );
  const later = signed.flatMap((txs) => txs.slice(1));
  const heads = signed.map((txs) => txs[0]);
  const ids: string[] = [];
  // The heads all at once, so that one proposal finds (nearly) all of them.
  for (const [batch, parallel] of [[later, 8], [heads, heads.length]] as const) ids.push(...(await inParallel(batch.map((tx) => async () => (await api(url, '/v1/tx', { tx })).txId as string), parallel)));
  return ids;
}

export interface SlowReaders {
  sockets: Socket[];
  /** Resumes reading on every socket; resolves with the bytes each received before its connection ended. */
  drain(timeoutMs: number): Promise<number[]>;
  destroy(): void;
}

/**
 * `count` connections that each send `GET path` and never read the answer (the socket is
 * paused, so the kernel's receive window fills and the server's writes stall).
 */
export async function slowReaders(port: number, path: string, count: number): Promise<SlowReaders> {
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect({ host: '127.0.0.1', port }, () => {
            s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
            s.pause();
            resolve(s);
          });
          s.once('error', reject);
        }),
    ),
  );
  for (const s of sockets) s.on('error', () => undefined);
  return {
    sockets,
    drain: (timeoutMs) =>
      Promise.all(
        sockets.map(
          (s) =>
            new Promise<number>((resolve) => {
              let bytes = 0;
              const timer = setTimeout(() => resolve(-1), timeoutMs);
              s.on('data', (d: Buffer) => (bytes += d.length));
              s.once('close', () => {
                clearTimeout(timer);
                resolve(bytes);
              });
              s.resume();
            }),
        ),
      ),
    destroy: () => sockets.forEach((s) => s.destroy()),
  };
}
