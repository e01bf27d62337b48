import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubClient, type GitHubClientOptions, type ResponseEvent } from '../../lib/github/client.ts';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.ts';
import { virtualTime } from './virtual-time.ts';

let time: ReturnType<typeof virtualTime>;
let github: FakeGitHub;

beforeAll(async () => {
  time = virtualTime();
  github = await startFakeGitHub({ now: time.now, limit: 60, authenticatedLimit: 5000, repos: { 'old/gone': 410, 'no/such': 404 } });
});
afterAll(() => github?.stop());
beforeEach(() => github.control.reset());

const client = (options: GitHubClientOptions = {}) =>
  createGitHubClient({ baseUrl: github.url, now: time.now, sleep: time.sleep, pace: false, ...options });

describe('fetchRepo', () => {
  it('maps GitHub JSON to the stored stats, with the ETag and GitHub spelling', async () => {
    const raw = await (await fetch(`${github.url}/repos/HonoJS/Hono`)).json() as any;
    const result = await client().fetchRepo('HonoJS', 'Hono');
    expect(result).toEqual({
      kind: 'ok',
      owner: 'HonoJS',
      name: 'Hono',
      etag: expect.stringMatching(/^"[0-9a-f]+"$/),
      attempts: 1,
      stats: {
        stars: raw.stargazers_count,
        forks: raw.forks_count,
        openIssues: raw.open_issues_count,
        watchers: raw.subscribers_count,
        language: raw.language,
        description: raw.description,
        defaultBranch: raw.default_branch,
        archived: raw.archived,
        pushedAt: new Date(raw.pushed_at),
        htmlUrl: 'https://github.com/HonoJS/Hono',
      },
    });
  });

  it('asks conditionally with the stored ETag: 304 is not_modified, a change is ok with a new ETag', async () => {
    const github1 = client();
    const first = await github1.fetchRepo('acme', 'etag');
    if (first.kind !== 'ok') throw new Error(`expected ok, got ${first.kind}`);
    expect(await github1.fetchRepo('acme', 'etag', first.etag)).toEqual({ kind: 'not_modified', etag: first.etag, attempts: 1 });

    github.control.forceChange('acme/etag');
    const changed = await github1.fetchRepo('acme', 'etag', first.etag);
    expect(changed).toMatchObject({ kind: 'ok', stats: { stars: first.stats.stars + 1 } });
    expect(changed.kind === 'ok' && changed.etag).not.toBe(first.etag);
    expect(github.control.stats().byStatus).toEqual({ 200: 2, 304: 1 });
  });

  it('spends no budget on a 304 with a token, and one without', async () => {
    const withToken = client({ token: 'secret' });
    const first = await withToken.fetchRepo('acme', 'free');
    const etag = first.kind === 'ok' ? first.etag : null;
    const before = withToken.budget.state().remaining;
    expect((await withToken.fetchRepo('acme', 'free', etag)).kind).toBe('not_modified');
    expect(withToken.budget.state()).toMatchObject({ remaining: before, limit: 5000 });

    const anonymous = client();
    await anonymous.fetchRepo('acme', 'free');
    const anonymousBefore = anonymous.budget.state().remaining;
    expect((await anonymous.fetchRepo('acme', 'free', etag)).kind).toBe('not_modified');
    expect(anonymous.budget.state().remaining).toBe(anonymousBefore - 1);
  });

  it('reports 404 and 410 as gone', async () => {
    expect(await client().fetchRepo('no', 'such')).toEqual({ kind: 'gone', status: 404, attempts: 1 });
    expect(await client().fetchRepo('old', 'gone')).toEqual({ kind: 'gone', status: 410, attempts: 1 });
  });

  it('reads x-ratelimit-* from every answer into the budget and the onResponse hook', async () => {
    const events: ResponseEvent[] = [];
    const github1 = client({ hooks: { onResponse: (event) => events.push(event) } });
    await github1.fetchRepo('acme', 'one');
    await github1.fetchRepo('no', 'such');
    const reset = Math.ceil((time.now() + 3_600_000) / 1000) * 1000;
    expect(events).toEqual([
      { owner: 'acme', name: 'one', attempt: 1, status: 200, durationMs: expect.any(Number), rateLimit: { limit: 60, remaining: 59, used: 1, reset, resource: 'core' } },
      { owner: 'no', name: 'such', attempt: 1, status: 404, durationMs: expect.any(Number), rateLimit: expect.objectContaining({ remaining: 58 }) },
    ]);
    expect(github1.budget.state()).toMatchObject({ limit: 60, remaining: 58, resetAt: reset, inFlight: 0, spent: 2, confirmed: true });
  });

  it('sends GitHub headers: Accept, API version, User-Agent, Bearer token, If-None-Match', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers);
      response.writeHead(304).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const result = await createGitHubClient({ baseUrl, token: 't0k3n', userAgent: 'repo-monitor-test' }).fetchRepo('a', 'b', '"abc"');
      expect(result).toEqual({ kind: 'not_modified', etag: '"abc"', attempts: 1 });
      expect(seen[0]).toMatchObject({
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'repo-monitor-test',
        authorization: 'Bearer t0k3n',
        'if-none-match': '"abc"',
      });
    } finally {
      server.close();
    }
  });

  it('ignores a hook that throws', async () => {
    const boom = () => {
      throw new Error('metrics broke');
    };
    const result = await client({ hooks: { onResponse: boom, onRetry: boom, onRequestError: boom } }).fetchRepo('acme', 'hooks');
    expect(result.kind).toBe('ok');
  });
});
