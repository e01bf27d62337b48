import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter, requestedWait } from '../../lib/github/backoff.ts';
import { createGitHubClient } from '../../lib/github/client.ts';
import { parseRateLimitHeaders, RateLimitBudget } from '../../lib/github/rate-limit.ts';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.ts';
import { virtualTime } from './virtual-time.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const limitHeaders = (remaining: number, used: number, resetSeconds: number, limit = 60) =>
  new Headers({
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-used': String(used),
    'x-ratelimit-reset': String(resetSeconds),
    'x-ratelimit-resource': 'core',
  });

describe('parseRateLimitHeaders', () => {
  it('reads GitHub headers, reset in epoch seconds to ms', () => {
    expect(parseRateLimitHeaders(limitHeaders(59, 1, 1_800_000_000))).toEqual({ limit: 60, remaining: 59, used: 1, reset: 1_800_000_000_000, resource: 'core' });
  });
  it('is null without them or with garbage', () => {
    expect(parseRateLimitHeaders(new Headers())).toBeNull();
    expect(parseRateLimitHeaders(new Headers({ 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': 'lots', 'x-ratelimit-reset': '1' }))).toBeNull();
  });
});

describe('RateLimitBudget', () => {
  const reset = T0 / 1000 + 3600;

  it('ignores an older answer that arrives late, and counts requests in flight', () => {
    let now = T0;
    const budget = new RateLimitBudget({ limit: 60, now: () => now });
    budget.spend();
    budget.spend();
    budget.spend();
    expect(budget.state()).toMatchObject({ remaining: 57, inFlight: 3 });
    budget.settle(limitHeaders(58, 2, reset)); // the second request's answer came first
    expect(budget.state()).toMatchObject({ remaining: 56, inFlight: 2, confirmed: true }); // 58 minus the two still out
    budget.settle(limitHeaders(59, 1, reset)); // the first one's, late: stale
    expect(budget.state().remaining).toBe(56);
    budget.settle(limitHeaders(57, 3, reset));
    expect(budget.state()).toMatchObject({ remaining: 57, inFlight: 0 });
    now = reset * 1000 + 1000;
    expect(budget.state()).toMatchObject({ remaining: 60, confirmed: false });
  });

  it('gives back a request the upstream did not charge (an authenticated 304)', () => {
    const budget = new RateLimitBudget({ limit: 5000, now: () => T0 });
    budget.spend();
    budget.settle(limitHeaders(4999, 1, reset, 5000));
    budget.spend();
    expect(budget.state().remaining).toBe(4998);
    budget.settle(limitHeaders(4999, 1, reset, 5000));
    expect(budget.state().remaining).toBe(4999);
  });

  it('paces: the next slot is (reset − last request) / requests left after the last one', () => {
    const budget = new RateLimitBudget({ limit: 60, now: () => T0 });
    expect(budget.nextSlot()).toBe(T0);
    budget.spend();
    budget.settle(limitHeaders(59, 1, reset));
    const slot = T0 + Math.ceil(3_600_000 / 59);
    expect(budget.nextSlot()).toBe(slot);
    expect(budget.canSpend()).toBe(true); // pacing is advice; only the limit and blocks are rules
    expect(budget.nextSlot(slot + 5)).toBe(slot + 5);
  });

  it('blocks until a retry-after, and until the reset once spent', () => {
    const budget = new RateLimitBudget({ limit: 60, now: () => T0 });
    budget.blockUntil(T0 + 30_000);
    expect(budget.availableAt()).toBe(T0 + 30_000);
    expect(budget.canSpend(T0 + 30_000)).toBe(true);
    budget.spend(T0 + 30_000);
    budget.settle(limitHeaders(0, 60, reset), T0 + 30_000);
    expect(budget.availableAt(T0 + 30_000)).toBe(reset * 1000 + 1000);
  });
});

describe('backoff', () => {
  it('is full jitter under a capped exponential ceiling', () => {
    expect([1, 2, 3, 4, 10].map((attempt) => backoffDelay(attempt, { baseMs: 100, capMs: 500 }, () => 0.9999))).toEqual([99, 199, 399, 499, 499]);
    expect(backoffDelay(3, { baseMs: 100, capMs: 500 }, () => 0)).toBe(0);
  });

  it('reads retry-after as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120', T0)).toBe(120_000);
    expect(parseRetryAfter(new Date(T0 + 90_000).toUTCString(), T0)).toBe(90_000);
    expect(parseRetryAfter(new Date(T0 - 90_000).toUTCString(), T0)).toBe(0);
    expect(parseRetryAfter('soon', T0)).toBeNull();
    expect(parseRetryAfter(null, T0)).toBeNull();
  });

  it('takes the wait the upstream asked for: retry-after, else the reset once remaining is 0', () => {
    expect(requestedWait(new Headers({ 'retry-after': '7' }), T0)).toBe(7000);
    expect(requestedWait(limitHeaders(0, 60, T0 / 1000 + 100), T0)).toBe(101_000);
    expect(requestedWait(limitHeaders(3, 57, T0 / 1000 + 100), T0)).toBeNull();
  });
});

describe('concurrent callers over HTTP', () => {
  let github: FakeGitHub;
  const time = virtualTime();
  beforeAll(async () => {
    github = await startFakeGitHub({ now: time.now, limit: 10 });
  });
  afterAll(() => github?.stop());

  it('never send more than the budget, however many run at once', async () => {
    // Until the first answer the budget trusts its configured limit: it must be right for a burst.
    const budget = new RateLimitBudget({ limit: 10, now: time.now });
    const client = createGitHubClient({ baseUrl: github.url, now: time.now, sleep: time.sleep, pace: false, maxWaitMs: 1000, budget });
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => client.fetchRepo('acme', `c${i}`)));
    const kinds = results.map((result) => (result.kind === 'failed' ? result.reason : result.kind));
    expect(kinds.filter((kind) => kind === 'ok')).toHaveLength(10);
    expect(kinds.filter((kind) => kind === 'budget_exhausted')).toHaveLength(15);
    expect(github.control.stats()).toMatchObject({ requests: 10, rateLimit: { maxPerWindow: 10, refused: 0 } });
    expect(client.budget.state()).toMatchObject({ remaining: 0, inFlight: 0 });
  });
});
