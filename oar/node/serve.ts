// The OAR writer as a local service on a Unix socket (docs/oar.md, "The socket"): agents in any
// language send newline-delimited JSON requests (intend, outcome, guard, status) and get one
// JSON line back per request, carrying the request's id. A process start per entry is too slow
// for an agent; one long-lived writer also keeps group commit across agents.
//
// `guard` is `intend` with a promise kept by the service: if the connection closes before the
// agent reports the outcome of a guarded intent, the service records that outcome as failed
// ("the agent disconnected"), so a crashed agent never leaves a guarded action unaccounted for.
// Node-side.
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { OarInputError, type OarWriter, type Permit } from './writer.ts';
import type { Checkpointer } from './checkpointer.ts';

/** Longest request line: the format's largest payload would not fit; a writer's configured maximum plus room does. */
export const REQUEST_LINE_MAX = 4 * 1024 * 1024;

export interface ServeOptions {
  socketPath: string;
  writer: OarWriter;
  checkpointer?: Checkpointer;
  onError?: (err: Error) => void;
}

export interface OarService {
  server: Server;
  close(): Promise<void>;
}

type Reply = { id: unknown; ok: true; [k: string]: unknown } | { id: unknown; ok: false; error: { kind: 'input' | 'internal'; message: string } };

export async function serveOar(options: ServeOptions): Promise<OarService> {
  const { writer, checkpointer, socketPath } = options;
  // A socket file left by a killed service is replaced; anything else at the path is not.
  if (existsSync(socketPath)) {
    if (!lstatSync(socketPath).isSocket()) throw new Error(`${socketPath} exists and is not a socket; choose another --socket path`);
    unlinkSync(socketPath);
  }
  const sockets = new Set<Socket>();
  const settling = new Set<Promise<void>>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const guarded = new Map<number, Permit>();
    let buffer = '';
    let pending = Promise.resolve();
    const send = (reply: Reply) => {
      if (!socket.destroyed) socket.write(JSON.stringify(reply) + '\n');
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > REQUEST_LINE_MAX && !buffer.includes('\n')) {
        send({ id: null, ok: false, error: { kind: 'input', message: `request line longer than ${REQUEST_LINE_MAX} bytes; the connection is closed` } });
        socket.end();
        buffer = '';
        return;
      }
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        const line = buffer.slice(0, i).trim();
        buffer = buffer.slice(i + 1);
        if (line === '') continue;
        // Each request is started at once (so concurrent agents share an fsync); replies carry the id.
        const done = handle(line, guarded).then(send);
        pending = pending.then(() => done);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      // Guarded intents the agent never closed: their outcome is that the agent went away.
      const settle = pending.then(async () => {
        for (const permit of guarded.values()) {
          try {
            await writer.outcome(permit, { status: 'failed', payload: { error: 'the agent disconnected before reporting the outcome of this guarded intent' } });
          } catch (err) {
            options.onError?.(err as Error);
          }
        }
      });
      settling.add(settle);
      void settle.finally(() => settling.delete(settle));
    });
  });

  async function handle(line: string, guarded: Map<number, Permit>): Promise<Reply> {
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(line);
      if (typeof request !== 'object' || request === null || Array.isArray(request)) throw new Error('expected a JSON object');
    } catch (err) {
      return { id: null, ok: false, error: { kind: 'input', message: `request: not a JSON object (${(err as Error).message})` } };
    }
    const id = request.id ?? null;
    try {
      switch (request.op) {
        case 'intend':
        case 'guard': {
          const permit = await writer.intend({ actor: request.actor as string, actorVersion: request.actorVersion as string, payload: request.payload });
          if (request.op === 'guard') guarded.set(permit.sequence, permit);
          return { id, ok: true, permit };
        }
        case 'outcome': {
          const p = request.permit as Record<string, unknown> | undefined;
          if (typeof p !== 'object' || p === null) throw new OarInputError('permit: expected the permit {sequence, entryHash, …} that intend or guard returned');
          const sealed = await writer.submit({ kind: 'outcome', permit: p, payload: request.payload, status: request.status });
          guarded.delete(p.sequence as number);
          return { id, ok: true, sealed };
        }
        case 'status':
          return { id, ok: true, size: writer.size, root: Buffer.from(writer.root()).toString('hex'), openIntents: writer.openIntents().length, checkpoints: checkpointer?.status() ?? null };
        default:
          throw new OarInputError(`op: unknown op ${JSON.stringify(request.op)}; expected "intend", "guard", "outcome" or "status"`);
      }
    } catch (err) {
      const input = err instanceof OarInputError || err instanceof RangeError || err instanceof TypeError;
      if (!input) options.onError?.(err as Error);
      return { id, ok: false, error: { kind: input ? 'input' : 'internal', message: (err as Error).message } };
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  // Only the owner's processes may write entries signed with the owner's key.
  chmodSync(socketPath, 0o600);
  return {
    server,
    async close() {
      // Wait for every connection's own 'close' handler, which records the failed outcomes of
      // its open guards: the server's close callback can run before a socket's 'close' event,
      // and closing the writer then would lose those outcomes ("the OAR writer is closed").
      // A socket still in the set has not run its handler yet; this listener runs after it.
      const handled = [...sockets].map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.end();
      });
      await Promise.all(handled);
      while (settling.size > 0) await Promise.all([...settling]);
    },
  };
}
