// A small client for the node's HTTP API (docs/api.md), used by the CLI and the devnet.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_NODE_URL = 'http://127.0.0.1:28000';

export async function api<T = any>(nodeUrl: string, path: string, body?: unknown): Promise<T> {
  let res: Response | undefined;
  // A GET is retried once: a keep-alive connection the server closed at the same moment
  // fails with "other side closed" although the node is fine. A POST is never repeated.
  for (let attempt = 0; !res; attempt++) {
    try {
      res = await fetch(new URL(path, nodeUrl), body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    } catch (err) {
      if (body === undefined && attempt === 0) continue;
      throw new Error(`cannot reach the node at ${nodeUrl} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}); is it running? (--node URL)`);
    }
  }
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError(res.status, `the node answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) throw new ApiError(res.status, json?.error ?? `HTTP ${res.status}`);
  return json as T;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
