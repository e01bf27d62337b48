import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../tools/fake-github/clock.ts';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.ts';

/** Bodies of known shape; typing each one would only add noise. */
const json = (response: Response): Promise<any> => response.json();

const clock = manualClock();
let github: FakeGitHub;
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${github.url}${path}`, { headers });

beforeAll(async () => {
  github = await startFakeGitHub({ now: clock.now, changeEverySeconds: 60, limit: 1000, repos: { 'old/gone': 410 } });
});
afterAll(() => github?.stop());
afterEach(() => github.control.reset());

describe('GET /repos/{owner}/{repo}', () => {
  it('answers a plausible GitHub repository, the same for the same name', async () => {
    const first = await get('/repos/honojs/hono');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    const repo = await json(first);
    expect(repo).toMatchObject({
      id: expect.any(Number),
      name: 'hono',
      full_name: 'honojs/hono',
      owner: { login: 'honojs' },
      html_url: 'https://github.com/honojs/hono',
      stargazers_count: expect.any(Number),
      forks_count: expect.any(Number),
      open_issues_count: expect.any(Number),
      watchers_count: repo.stargazers_count,
      subscribers_count: expect.any(Number),
      default_branch: expect.stringMatching(/^(main|master)$/),
      archived: expect.any(Boolean),
    });
    expect(Date.parse(repo.pushed_at)).not.toBeNaN();
    expect(Date.parse(repo.updated_at)).not.toBeNaN();
    expect(repo.language === null || typeof repo.language === 'string').toBe(true);

    const again = await json(await get('/repos/honojs/hono'));
    expect(again).toEqual(repo);
    const other = await json(await get('/repos/nodejs/node'));
    expect(other.id).not.toBe(repo.id);
  });

  it('sends a strong ETag and answers 304 to If-None-Match, with the ETag again', async () => {
    const first = await get('/repos/honojs/hono');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{40}"$/);
    const second = await get('/repos/honojs/hono', { 'if-none-match': etag });
    expect(second.status).toBe(304);
    expect(second.headers.get('etag')).toBe(etag);
    expect(await second.text()).toBe('');
    // Weak comparison and lists, as RFC 9110 asks of If-None-Match.
    expect((await get('/repos/honojs/hono', { 'if-none-match': `"nope", W/${etag}` })).status).toBe(304);
    expect((await get('/repos/honojs/hono', { 'if-none-match': '"nope"' })).status).toBe(200);
  });

  it('changes stats slowly as simulated time passes, and at once when forced', async () => {
    const stars = async () => (await json(await get('/repos/acme/drift'))).stargazers_count as number;
    const etag = async () => (await get('/repos/acme/drift')).headers.get('etag');
    const before = await stars();
    const tagBefore = await etag();
    clock.advance(30 * 60_000); // 30 ticks: at least one step even for the slowest repository (0.05/tick)
    const later = await stars();
    expect(later).toBeGreaterThan(before);
    expect(later - before).toBeLessThanOrEqual(30);
    expect(await etag()).not.toBe(tagBefore);

    const tagNow = await etag();
    github.control.forceChange('acme/drift');
    expect(await stars()).toBe(later + 1);
    expect(await etag()).not.toBe(tagNow);
    // Another repository did not move.
    const otherTag = (await get('/repos/acme/other')).headers.get('etag');
    github.control.forceChange('acme/drift');
    expect((await get('/repos/acme/other')).headers.get('etag')).toBe(otherTag);
  });

  it('keeps stats frozen with changeEverySeconds 0', async () => {
    github.control.configure({ changeEverySeconds: 0 });
    const etag = (await get('/repos/acme/frozen')).headers.get('etag');
    clock.advance(24 * 3_600_000);
    expect((await get('/repos/acme/frozen')).headers.get('etag')).toBe(etag);
    github.control.configure({ changeEverySeconds: 60 });
  });

  it('answers 404 for missing repositories and invalid names, 410 for gone ones', async () => {
    const gone = await get('/repos/old/gone');
    expect(gone.status).toBe(410);
    expect(await json(gone)).toMatchObject({ message: expect.any(String), documentation_url: expect.any(String) });
    github.control.setRepoStatus('Acme/Missing', 404);
    const missing = await get('/repos/acme/missing');
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ message: 'Not Found' });
    github.control.setRepoStatus('acme/missing', 200);
    expect((await get('/repos/acme/missing')).status).toBe(200);
    expect((await get('/repos/-bad/x')).status).toBe(404);
    expect((await get('/nothing/here')).status).toBe(404);
  });

  it('counts requests by status in the stats, control requests excluded', async () => {
    await get('/repos/a/b');
    await get('/repos/old/gone');
    await fetch(`${github.url}/_control/stats`);
    const stats = await json(await fetch(`${github.url}/_control/stats`));
    expect(stats).toMatchObject({ requests: 2, byStatus: { 200: 1, 410: 1 }, faulted: 0 });
  });
});
