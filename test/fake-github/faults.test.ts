import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.ts';

/** Bodies of known shape; typing each one would only add noise. */
const json = (response: Response): Promise<any> => response.json();

let github: FakeGitHub;
const get = (path: string, init: RequestInit = {}) => fetch(`${github.url}${path}`, init);
const control = (method: string, path: string, body?: unknown) =>
  fetch(`${github.url}/_control${path}`, { method, ...(body !== undefined && { body: JSON.stringify(body) }) });

beforeAll(async () => {
  github = await startFakeGitHub({ seed: 7, limit: 1000 });
});
afterAll(() => github?.stop());
beforeEach(() => github.control.reset());

describe('faults through the control API', () => {
  it('answers 5xx for the next N requests, then normally, without spending the limit', async () => {
    const added = await control('POST', '/faults', { type: 'status', status: 502, count: 2 });
    expect(added.status).toBe(201);
    expect(await json(added)).toMatchObject({ id: expect.any(Number), remaining: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get('/repos/a/b')).status);
    expect(statuses).toEqual([502, 502, 200]);
    expect(github.control.faults()).toEqual([]);
    expect(github.control.stats()).toMatchObject({ byStatus: { 502: 2, 200: 1 }, faulted: 2, rateLimit: { maxPerWindow: 1 } });
  });

  it('applies a fraction of the time, repeatably from the seed, and only to the named repository', async () => {
    github.control.addFault({ type: 'status', status: 500, fraction: 0.5, repo: 'Acme/Flaky' });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await get('/repos/acme/flaky')).status);
    const failures = statuses.filter((status) => status === 500).length;
    expect(failures).toBeGreaterThan(8);
    expect(failures).toBeLessThan(32);
    expect((await get('/repos/acme/steady')).status).toBe(200);
  });

  it('answers a secondary rate limit: 429 with retry-after and rate-limit headers', async () => {
    github.control.addFault({ type: 'secondary_rate_limit', retryAfter: 42, count: 1 });
    const limited = await get('/repos/a/b');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('42');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('1000');
    expect((await json(limited)).message).toMatch(/secondary rate limit/);
  });

  it('sends a status with a retry-after as seconds or an HTTP date', async () => {
    const date = new Date(Date.now() + 5000).toUTCString();
    github.control.addFault({ type: 'status', status: 503, retryAfter: date, count: 1 });
    expect((await get('/repos/a/b')).headers.get('retry-after')).toBe(date);
  });

  it('answers late with a delay fault, and counts an answer its client did not wait for', async () => {
    github.control.addFault({ type: 'delay', ms: 300, count: 1 });
    const started = performance.now();
    expect((await get('/repos/a/b')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);

    github.control.addFault({ type: 'delay', ms: 5000, count: 1 });
    await expect(get('/repos/a/b', { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    await expect.poll(() => github.control.stats().byStatus.abandoned).toBe(1);
  });

  it('breaks bodies: truncated, wrong shape, HTML, all with status 200', async () => {
    for (const mode of ['truncated', 'wrong_shape', 'html'] as const) {
      github.control.addFault({ type: 'malformed', mode, count: 1 });
      const response = await get('/repos/a/b');
      expect(response.status).toBe(200);
      const text = await response.text();
      if (mode === 'wrong_shape') expect(JSON.parse(text).stargazers_count).toBe('lots');
      else expect(() => JSON.parse(text)).toThrow();
    }
  });

  it('resets connections', async () => {
    github.control.addFault({ type: 'reset', count: 1 });
    const error = await get('/repos/a/b').catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect(String((error as any).cause?.code ?? (error as any).cause?.message)).toMatch(/ECONNRESET|UND_ERR_SOCKET|other side closed/);
    expect((await get('/repos/a/b')).status).toBe(200);
    expect(github.control.stats().byStatus).toMatchObject({ reset: 1, 200: 1 });
  });

  it('emulates a full outage with resets or 503s until cleared', async () => {
    const { id } = github.control.addFault({ type: 'outage', mode: 'unavailable' });
    for (let i = 0; i < 3; i++) expect((await get('/repos/a/b')).status).toBe(503);
    await control('DELETE', `/faults/${id}`);
    github.control.addFault({ type: 'outage' });
    await expect(get('/repos/a/b')).rejects.toThrow();
    await control('DELETE', '/faults');
    expect((await get('/repos/a/b')).status).toBe(200);
  });

  it('becomes truly unreachable on stop() and comes back on the same port with start()', async () => {
    const port = github.port;
    await github.stop();
    // A keep-alive socket the client still holds may fail first as closed; after that, nothing listens.
    await get('/repos/a/b').catch(() => undefined);
    const error = await get('/repos/a/b').catch((caught: Error) => caught);
    expect((error as any).cause?.code).toBe('ECONNREFUSED');
    await github.start();
    expect(github.port).toBe(port);
    expect((await get('/repos/a/b')).status).toBe(200);
  });

  it('changes settings, repositories and stats over HTTP', async () => {
    const patched = await control('PATCH', '/settings', { limit: 1 });
    expect(await json(patched)).toMatchObject({ limit: 1 });
    expect((await get('/repos/a/b')).status).toBe(200);
    expect((await get('/repos/a/b')).status).toBe(403);
    await control('POST', '/reset');
    await control('PATCH', '/settings', { limit: 1000 });

    expect((await control('PUT', '/repos/acme/old', { status: 410 })).status).toBe(204);
    expect((await get('/repos/acme/old')).status).toBe(410);

    const before = (await json(await get('/repos/acme/x'))).stargazers_count;
    expect((await control('POST', '/changes', { repo: 'acme/x' })).status).toBe(204);
    expect((await control('POST', '/changes')).status).toBe(204);
    expect((await json(await get('/repos/acme/x'))).stargazers_count).toBe(before + 2);

    const overview = await json(await control('GET', ''));
    expect(overview).toMatchObject({ settings: { limit: 1000 }, faults: [], stats: { requests: expect.any(Number) } });
  });

  it('rejects invalid control bodies with 400 and a message', async () => {
    for (const [method, path, body] of [
      ['POST', '/faults', { type: 'bogus' }],
      ['POST', '/faults', { type: 'status', status: 200 }],
      ['POST', '/faults', { type: 'reset', fraction: 2 }],
      ['PATCH', '/settings', { limit: -1 }],
      ['PATCH', '/settings', { nonsense: 1 }],
      ['PUT', '/repos/a/b', { status: 500 }],
    ] as const) {
      const response = await control(method, path, body);
      expect(response.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      expect(await json(response)).toEqual({ error: expect.any(String) });
    }
    const notJson = await fetch(`${github.url}/_control/faults`, { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
  });
});
