// The shared store of large HTTP answers (node/http-api.ts, docs/api.md "Limits"): one
// encoding per key however many clients ask at once, a bound in bytes that holds for answers
// being sent (pinned), and a 503 rather than more memory.
import { describe, expect, it } from 'vitest';
import { LargeResponses } from '../node/http-api.ts';

const body = (n: number) => Buffer.alloc(n, 1);

describe('LargeResponses', () => {
  it('encodes a key once for concurrent requests, and answers undefined for nothing', async () => {
    const large = new LargeResponses(1000);
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 10));
      return body(100);
    };
    const held = await Promise.all([large.acquire('a', load), large.acquire('a', load), large.acquire('a', load)]);
    expect(loads).toBe(1);
    expect(new Set(held.map((h) => h!.body)).size).toBe(1);
    expect(await large.acquire('missing', async () => undefined)).toBeUndefined();
    expect(large.heldBytes).toBe(100);
  });

  it('keeps what is being sent within the bound: a 503 while pinned, room once released', async () => {
    const large = new LargeResponses(250);
    const a = await large.acquire('a', async () => body(100));
    const b = await large.acquire('b', async () => body(100));
    const refused = await large.acquire('c', async () => body(100)).then(
      () => undefined,
      (e) => e,
    );
    expect(refused?.status).toBe(503);
    expect(refused?.message).toMatch(/^the node is busy sending large responses \(0 MB in flight, the limit is 0 MB\); try again later$/);
    expect(large.heldBytes).toBe(200);
    a!.release();
    a!.release(); // twice is once
    const c = await large.acquire('c', async () => body(100));
    expect(c).toBeDefined();
    expect(large.heldBytes).toBe(200); // 'a' went, least recently used and no longer pinned
    b!.release();
    c!.release();
  });
});
