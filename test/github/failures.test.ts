import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubClient, type GitHubClientOptions, type RequestErrorEvent, type RetryEvent } from '../../lib/github/client.ts';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.ts';
import { virtualTime } from './virtual-time.ts';

let time: ReturnType<typeof virtualTime>;
let github: FakeGitHub;

beforeAll(async () => {
  time = virtualTime();
  github = await startFakeGitHub({ now: time.now, limit: 1000, windowSeconds: 3600 });
});
afterAll(() => github?.stop());
beforeEach(() => {
  github.control.reset();
  time.sleeps.length = 0;
});

/** A client on the shared virtual clock that records its retries and failed requests. */
function client(options: GitHubClientOptions = {}) {
  const retries: RetryEvent[] = [];
  const errors: RequestErrorEvent[] = [];
  const sentAt: number[] = [];
  const api = createGitHubClient({
    baseUrl: github.url,
    now: time.now,
    sleep: time.sleep,
    pace: false,
    hooks: {
      onRetry: (event) => retries.push(event),
      onRequestError: (event) => errors.push(event),
      onResponse: () => sentAt.push(time.now()),
    },
    ...options,
  });
  return { api, retries, errors, sentAt };
}

describe('rate limits', () => {
  it('honours retry-after on a secondary rate limit, in simulated time', async () => {
    github.control.addFault({ type: 'secondary_rate_limit', retryAfter: 30, count: 1 });
    const { api, retries, sentAt } = client();
    expect(await api.fetchRepo('acme', 'busy')).toMatchObject({ kind: 'ok', attempts: 2 });
    expect(retries).toEqual([{ owner: 'acme', name: 'busy', attempt: 1, reason: 'rate_limited', waitMs: 30_000, status: 429 }]);
    expect(sentAt[1]! - sentAt[0]!).toBeGreaterThanOrEqual(30_000);
  });

  it('honours retry-after given as an HTTP date', async () => {
    const until = new Date(Math.ceil((time.now() + 45_000) / 1000) * 1000);
    github.control.addFault({ type: 'status', status: 503, retryAfter: until.toUTCString(), count: 1 });
    const { api, sentAt } = client();
    expect(await api.fetchRepo('acme', 'dated')).toMatchObject({ kind: 'ok', attempts: 2 });
    expect(sentAt[1]).toBeGreaterThanOrEqual(until.getTime());
  });

  it('waits for x-ratelimit-reset after a 403 with remaining 0, then succeeds', async () => {
    github.control.configure({ windowSeconds: 90 });
    const { api, retries, sentAt } = client();
    await api.fetchRepo('acme', 'first');
    github.control.exhaust();
    const reset = api.budget.state().resetAt;
    const result = await api.fetchRepo('acme', 'second');
    expect(result).toMatchObject({ kind: 'ok', attempts: 2 });
    expect(retries).toEqual([expect.objectContaining({ reason: 'rate_limited', status: 403 })]);
    expect(sentAt[2]).toBeGreaterThanOrEqual(reset);
    expect(github.control.stats().rateLimit.refused).toBe(1);
    github.control.configure({ windowSeconds: 3600 });
  });

  it('gives up with retryAt when the reset is further than it may wait, then sends nothing until it', async () => {
    const { api } = client({ maxWaitMs: 60_000 });
    await api.fetchRepo('acme', 'first');
    github.control.exhaust();
    const limited = await api.fetchRepo('acme', 'second');
    expect(limited).toMatchObject({ kind: 'failed', reason: 'rate_limited', status: 403, attempts: 1, retryAt: expect.any(Number) });
    expect(limited.kind === 'failed' && limited.retryAt).toBeGreaterThanOrEqual(api.budget.state().resetAt);

    const sent = github.control.stats().requests;
    for (let i = 0; i < 5; i++) expect(await api.fetchRepo('acme', `more${i}`)).toMatchObject({ kind: 'failed', reason: 'budget_exhausted', attempts: 0 });
    expect(github.control.stats().requests).toBe(sent);
  });

  it('stops waiting at the caller deadline', async () => {
    github.control.addFault({ type: 'secondary_rate_limit', retryAfter: 600, count: 1 });
    const { api } = client({ maxWaitMs: 3_600_000 });
    const result = await api.fetchRepo('acme', 'late', null, { deadline: time.now() + 60_000 });
    expect(result).toMatchObject({ kind: 'failed', reason: 'rate_limited', attempts: 1 });
    expect(time.sleeps).toEqual([]);
  });
});

describe('server errors and broken answers', () => {
  it('backs off exponentially with full jitter on 5xx, then succeeds', async () => {
    github.control.addFault({ type: 'status', status: 502, count: 3 });
    const draws = [0.5, 0.25, 0.999];
    const { api, retries } = client({ random: () => draws.shift()!, backoff: { baseMs: 1000, capMs: 60_000 } });
    expect(await api.fetchRepo('acme', 'flaky')).toMatchObject({ kind: 'ok', attempts: 4 });
    // ceilings 1 s, 2 s, 4 s: the wait is uniform below each
    expect(retries.map((retry) => [retry.reason, retry.status, retry.waitMs])).toEqual([
      ['server_error', 502, 500],
      ['server_error', 502, 500],
      ['server_error', 502, 3996],
    ]);
  });

  it('bounds attempts, and jitter stays under a capped exponential ceiling', async () => {
    github.control.addFault({ type: 'status', status: 500 });
    const { api, retries } = client({ maxAttempts: 6, backoff: { baseMs: 1000, capMs: 8000 } });
    expect(await api.fetchRepo('acme', 'down')).toMatchObject({ kind: 'failed', reason: 'server_error', status: 500, attempts: 6 });
    expect(github.control.stats().requests).toBe(6);
    retries.forEach((retry, i) => {
      expect(retry.waitMs).toBeGreaterThanOrEqual(0);
      expect(retry.waitMs).toBeLessThan(Math.min(8000, 1000 * 2 ** i));
    });
    expect(new Set(retries.map((retry) => retry.waitMs)).size).toBeGreaterThan(1);
  });

  it('times out a slow answer, retries, and reports timeout when it stays slow', async () => {
    github.control.addFault({ type: 'delay', ms: 2000, count: 1 });
    const { api, retries, errors } = client({ timeoutMs: 150 });
    const started = performance.now();
    expect(await api.fetchRepo('acme', 'slow')).toMatchObject({ kind: 'ok', attempts: 2 });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(errors).toEqual([expect.objectContaining({ reason: 'timeout', attempt: 1 })]);
    expect(retries).toEqual([expect.objectContaining({ reason: 'timeout' })]);

    github.control.addFault({ type: 'delay', ms: 2000 });
    expect(await client({ timeoutMs: 100, maxAttempts: 2 }).api.fetchRepo('acme', 'slower')).toMatchObject({
      kind: 'failed',
      reason: 'timeout',
      attempts: 2,
    });
  });

  it.each(['truncated', 'wrong_shape', 'html'] as const)('answers failed(invalid_response) for a %s body, not a crash', async (mode) => {
    github.control.addFault({ type: 'malformed', mode, count: 1 });
    const result = await client().api.fetchRepo('acme', 'garbled');
    expect(result).toMatchObject({ kind: 'failed', reason: 'invalid_response', status: 200, attempts: 1, message: expect.any(String) });
  });

  it('reports failed(network) after retries when connections are reset', async () => {
    github.control.addFault({ type: 'reset' });
    const { api, retries, errors } = client({ maxAttempts: 3 });
    const result = await api.fetchRepo('acme', 'reset');
    expect(result).toMatchObject({ kind: 'failed', reason: 'network', attempts: 3 });
    expect(result.kind === 'failed' && result.message).toMatch(/ECONNRESET|UND_ERR_SOCKET|other side closed/);
    expect(retries.map((retry) => retry.reason)).toEqual(['network', 'network']);
    expect(errors).toHaveLength(3);
    expect(github.control.stats().byStatus.reset).toBe(3);
  });

  it('answers any other status as http_error, without retrying', async () => {
    github.control.addFault({ type: 'status', status: 401, count: 1 });
    expect(await client().api.fetchRepo('acme', 'private')).toMatchObject({ kind: 'failed', reason: 'http_error', status: 401, attempts: 1 });
  });
});

describe('a full outage', () => {
  it('fails at once with failed(unreachable) while nothing listens, without retrying, and recovers when the upstream is back', async () => {
    await github.stop();
    try {
      // Real sleeps: a refused connection is not retried within the call, so no backoff is waited.
      const { api, retries } = client({ sleep: undefined, maxAttempts: 3, backoff: { baseMs: 20, capMs: 100 } });
      const started = performance.now();
      const result = await api.fetchRepo('acme', 'outage');
      expect(performance.now() - started).toBeLessThan(1000);
      expect(result).toMatchObject({ kind: 'failed', reason: 'unreachable', attempts: 1 });
      expect(retries).toEqual([]);
    } finally {
      await github.start();
    }
    expect(await client().api.fetchRepo('acme', 'outage')).toMatchObject({ kind: 'ok' });
  });

  it('fails at once as unreachable on a port fetch refuses to connect to', async () => {
    const { api, retries } = client({ baseUrl: 'http://127.0.0.1:9', maxAttempts: 3 });
    expect(await api.fetchRepo('acme', 'blocked')).toMatchObject({ kind: 'failed', reason: 'unreachable', attempts: 1 });
    expect(retries).toEqual([]);
  });

  it('answers 503 outages as server_error, honouring their retry-after', async () => {
    github.control.addFault({ type: 'outage', mode: 'unavailable' });
    const { api, retries } = client({ maxAttempts: 3 });
    expect(await api.fetchRepo('acme', 'down')).toMatchObject({ kind: 'failed', reason: 'server_error', status: 503, attempts: 3 });
    expect(retries.map((retry) => retry.waitMs)).toEqual([5000, 5000]);
  });

  it('stops at once when the caller aborts', async () => {
    github.control.addFault({ type: 'status', status: 500 });
    const controller = new AbortController();
    const { api } = client({ hooks: { onRetry: () => controller.abort() } });
    expect(await api.fetchRepo('acme', 'abort', null, { signal: controller.signal })).toMatchObject({ kind: 'failed', reason: 'aborted', attempts: 1 });
  });
});
