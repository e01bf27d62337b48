import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../tools/fake-github/clock.ts';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.ts';

/** Bodies of known shape; typing each one would only add noise. */
const json = (response: Response): Promise<any> => response.json();

const clock = manualClock();
let github: FakeGitHub;
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${github.url}${path}`, { headers });
const limitHeaders = (response: Response) =>
  Object.fromEntries(['limit', 'remaining', 'used', 'reset', 'resource'].map((name) => [name, response.headers.get(`x-ratelimit-${name}`)]));

beforeAll(async () => {
  github = await startFakeGitHub({ now: clock.now, limit: 3, authenticatedLimit: 5, windowSeconds: 600 });
});
afterAll(() => github?.stop());
beforeEach(() => {
  github.control.reset();
  github.control.configure({ limit: 3, authenticatedLimit: 5, windowSeconds: 600, exhaustedStatus: 403 });
});

describe('primary rate limit', () => {
  it('sends GitHub headers, counts down, then answers 403 with remaining 0 until the reset', async () => {
    const start = clock.now();
    const reset = String(Math.ceil((start + 600_000) / 1000));
    expect(limitHeaders(await get('/repos/a/1'))).toEqual({ limit: '3', remaining: '2', used: '1', reset, resource: 'core' });
    await get('/repos/a/2');
    expect(limitHeaders(await get('/repos/a/3'))).toMatchObject({ remaining: '0', used: '3' });

    const refused = await get('/repos/a/4');
    expect(refused.status).toBe(403);
    expect(limitHeaders(refused)).toMatchObject({ remaining: '0', reset });
    expect((await json(refused)).message).toMatch(/^API rate limit exceeded for 127\.0\.0\.1\./);

    clock.advance(599_000);
    expect((await get('/repos/a/5')).status).toBe(403);
    clock.advance(1000);
    const fresh = await get('/repos/a/6');
    expect(fresh.status).toBe(200);
    expect(limitHeaders(fresh)).toMatchObject({ remaining: '2', used: '1', reset: String(Math.ceil((start + 1_200_000) / 1000)) });

    expect(github.control.stats()).toMatchObject({ byStatus: { 200: 4, 403: 2 }, rateLimit: { refused: 2, maxPerWindow: 5 } });
  });

  it('gives a token its own, larger budget', async () => {
    const bearer = await get('/repos/a/1', { authorization: 'Bearer abc' });
    expect(limitHeaders(bearer)).toMatchObject({ limit: '5', remaining: '4' });
    const token = await get('/repos/a/1', { authorization: 'token abc' });
    expect(limitHeaders(token)).toMatchObject({ limit: '5', remaining: '3' });
    expect(limitHeaders(await get('/repos/a/1'))).toMatchObject({ limit: '3', remaining: '2' });
  });

  it('charges a 304 without a token, not with one', async () => {
    const etag = (await get('/repos/a/1', { authorization: 'Bearer t' })).headers.get('etag')!;
    const free = await get('/repos/a/1', { authorization: 'Bearer t', 'if-none-match': etag });
    expect(free.status).toBe(304);
    expect(limitHeaders(free)).toMatchObject({ remaining: '4', used: '1' });

    await get('/repos/a/1');
    const charged = await get('/repos/a/1', { 'if-none-match': etag });
    expect(charged.status).toBe(304);
    expect(limitHeaders(charged)).toMatchObject({ remaining: '1', used: '2' });
  });

  it('can be exhausted on command, for identities seen and unseen, and answer 429 instead', async () => {
    await get('/repos/a/1');
    github.control.configure({ exhaustedStatus: 429 });
    await fetch(`${github.url}/_control/exhaust`, { method: 'POST' });
    const anonymous = await get('/repos/a/1');
    expect(anonymous.status).toBe(429);
    expect(limitHeaders(anonymous)).toMatchObject({ remaining: '0' });
    const token = await get('/repos/a/1', { authorization: 'Bearer new' });
    expect(token.status).toBe(429);
    expect((await json(token)).message).toMatch(/rate limit exceeded for user ID/);
    clock.advance(600_000);
    expect((await get('/repos/a/1', { authorization: 'Bearer new' })).status).toBe(200);
  });

  it('tells the budget at /rate_limit without spending it', async () => {
    await get('/repos/a/1');
    const first = await json(await get('/rate_limit'));
    const second = await json(await get('/rate_limit'));
    expect(first.resources.core).toMatchObject({ limit: 3, used: 1, remaining: 2 });
    expect(second.resources.core).toEqual(first.resources.core);
  });

  it('reports the most requests seen in one window', async () => {
    for (let i = 0; i < 3; i++) await get('/repos/a/1');
    clock.advance(600_000);
    for (let i = 0; i < 2; i++) await get('/repos/a/1');
    expect(github.control.stats().rateLimit).toEqual({ maxPerWindow: 3, refused: 0 });
  });
});
