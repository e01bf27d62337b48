import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubClient, type FetchRepoResult } from '../../lib/github/client.ts';
import { RateLimitBudget } from '../../lib/github/rate-limit.ts';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.ts';
import { virtualTime } from './virtual-time.ts';

const HOUR = 3_600_000;
const LIMIT = 60;
let time: ReturnType<typeof virtualTime>;
let github: FakeGitHub;

beforeAll(async () => {
  time = virtualTime();
  github = await startFakeGitHub({ now: time.now, limit: LIMIT, windowSeconds: 3600, changeEverySeconds: 300 });
});
afterAll(() => github?.stop());
beforeEach(() => github.control.reset());

/** Plays the sync: 150 repositories (more than the limit), round robin, for `hours` simulated hours. */
async function watch(client: ReturnType<typeof createGitHubClient>, hours: number) {
  const repos = Array.from({ length: 150 }, (_, i) => `repo-${i}`);
  const etags = new Map<string, string | null>();
  const sentAt: number[] = [];
  const kinds: Record<string, number> = {};
  const end = time.now() + hours * HOUR;
  for (let i = 0; time.now() < end; i++) {
    const name = repos[i % repos.length]!;
    const result: FetchRepoResult = await client.fetchRepo('acme', name, etags.get(name) ?? null, { deadline: end });
    kinds[result.kind === 'failed' ? result.reason : result.kind] = (kinds[result.kind === 'failed' ? result.reason : result.kind] ?? 0) + 1;
    if (result.kind === 'ok') etags.set(name, result.etag);
    if (result.kind === 'failed' && result.reason === 'budget_exhausted') break;
    if (result.attempts > 0) sentAt.push(time.now());
  }
  return { kinds, sentAt };
}

describe('the budget across simulated hours, with more repositories than the limit', () => {
  it('never exceeds the limit in any window, and spreads requests over it', async () => {
    const client = createGitHubClient({ baseUrl: github.url, now: time.now, sleep: time.sleep, maxWaitMs: HOUR });
    const start = time.now();
    const { kinds, sentAt } = await watch(client, 2);

    const stats = github.control.stats();
    expect(stats.rateLimit).toEqual({ maxPerWindow: expect.any(Number), refused: 0 });
    expect(stats.rateLimit.maxPerWindow).toBeLessThanOrEqual(LIMIT);
    expect(stats.rateLimit.maxPerWindow).toBeGreaterThanOrEqual(LIMIT - 3); // and it used nearly all of it
    expect(stats.byStatus[403] ?? 0).toBe(0);
    expect(kinds.ok).toBeGreaterThanOrEqual(2 * LIMIT - 6);
    // Spread, not burst: about a minute apart, never a quarter of the budget in the first minutes.
    expect(sentAt.filter((at) => at < start + 15 * 60_000).length).toBeLessThanOrEqual(LIMIT / 4 + 1);
    const gaps = sentAt.slice(1).map((at, i) => at - sentAt[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(55_000);
  });

  it('never exceeds it without pacing either: a burst, then a wait for the reset', async () => {
    // The wait for the reset is a whole window (plus the skew margin): allow it.
    const client = createGitHubClient({ baseUrl: github.url, now: time.now, sleep: time.sleep, maxWaitMs: 2 * HOUR, pace: false });
    const { kinds } = await watch(client, 2);
    expect(github.control.stats().rateLimit).toMatchObject({ refused: 0 });
    expect(github.control.stats().rateLimit.maxPerWindow).toBeLessThanOrEqual(LIMIT);
    expect(kinds.ok).toBeGreaterThanOrEqual(2 * LIMIT);
    expect(Math.max(...time.sleeps)).toBeGreaterThan(HOUR / 2); // it slept through to a reset
  });

  it('believes the headers over its configuration: a smaller real limit, and others spending it too', async () => {
    // Another consumer on the same address spends 20 first; this one assumes 5000.
    for (let i = 0; i < 20; i++) await fetch(`${github.url}/repos/other/${i}`);
    const budget = new RateLimitBudget({ limit: 5000, now: time.now });
    const client = createGitHubClient({ baseUrl: github.url, now: time.now, sleep: time.sleep, budget, maxWaitMs: HOUR, pace: false });
    await client.fetchRepo('acme', 'first');
    expect(budget.state()).toMatchObject({ limit: LIMIT, remaining: LIMIT - 21, confirmed: true });
    await watch(client, 1);
    expect(github.control.stats().rateLimit).toMatchObject({ refused: 0 });
    expect(github.control.stats().rateLimit.maxPerWindow).toBeLessThanOrEqual(LIMIT);
  });

  it('keeps a reserve unspent, and says budget_exhausted without sending when no slot fits the deadline', async () => {
    const budget = new RateLimitBudget({ limit: LIMIT, reserve: 10, now: time.now });
    const client = createGitHubClient({ baseUrl: github.url, now: time.now, sleep: time.sleep, budget, pace: false });
    for (let i = 0; i < LIMIT - 10; i++) expect((await client.fetchRepo('acme', `r${i}`)).kind).toBe('ok');
    const before = github.control.stats().requests;
    const refused = await client.fetchRepo('acme', 'one-more');
    expect(refused).toMatchObject({ kind: 'failed', reason: 'budget_exhausted', attempts: 0, retryAt: budget.state().resetAt + 1000 });
    expect(github.control.stats().requests).toBe(before);
  });
});
