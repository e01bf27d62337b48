import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { Fault } from './faults.ts';
import type { Identity, Quota } from './rate-limit.ts';
import { etagOf, noneMatch, repositoryJson, validName } from './repo-data.ts';
import type { FakeGitHubState } from './state.ts';

/**
 * The GitHub-shaped routes: `GET /repos/{owner}/{repo}` and `GET /rate_limit`.
 *
 * Order of business for a repository request, as on GitHub: faults first (an injected
 * error never reaches the rate limiter), then the primary rate limit (403/429 with
 * remaining 0 once spent), then 404/410, then the body with a strong ETag, or 304 when
 * If-None-Match matches — free with a token, charged without one.
 */
type Env = { Bindings: HttpBindings };
type Ctx = Context<Env>;

const DOCS = 'https://docs.github.com/rest';
const API_VERSION = '2022-11-28';

export function githubRoutes(state: FakeGitHubState, stopping: () => AbortSignal): Hono<Env> {
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    state.countRequest();
    await next();
    c.header('x-github-api-version-selected', API_VERSION);
  });

  app.get('/repos/:owner/:repo', async (c) => {
    const { owner, repo } = c.req.param();
    const key = `${owner}/${repo}`.toLowerCase();
    const plan = state.faultSet.plan(key);
    const faulted = plan.delayMs > 0 || plan.fault !== null;
    if (plan.delayMs > 0) {
      // A client that gave up (its timeout fired), or a stop(), ends the wait: nobody is listening.
      const signal = AbortSignal.any([stopping(), c.req.raw.signal]);
      const abandoned = await sleep(plan.delayMs, false, { signal }).catch(() => true);
      if (abandoned) {
        state.countAnswer('abandoned', true);
        return c.body(null, 500);
      }
    }
    const fault = plan.fault;
    if (fault && fault.type !== 'malformed') return injected(c, state, fault);

    const identity = identify(c);
    const now = state.now();
    if (state.limiter.quota(identity, now).remaining === 0) {
      const quota = state.limiter.record(identity, now, 'refused');
      return exhausted(c, state, identity, quota, faulted);
    }

    const status = validName(owner, repo) ? state.repoStatus(key) : 404;
    if (status !== 200) {
      const quota = state.limiter.record(identity, now, 'counted');
      rateLimitHeaders(c, quota);
      const message = status === 404 ? 'Not Found' : 'Repository access blocked';
      return answer(c, state, status, { message, documentation_url: `${DOCS}/repos/repos#get-a-repository`, status: String(status) }, faulted);
    }

    const drift = { epoch: state.epoch, changeEveryMs: state.settings().changeEverySeconds * 1000, now, forced: state.forcedFor(key) };
    const body = JSON.stringify(repositoryJson(owner, repo, drift));
    const etag = etagOf(body);
    c.header('cache-control', `${identity.authenticated ? 'private' : 'public'}, max-age=60, s-maxage=60`);
    c.header('vary', 'Accept, Authorization, Cookie, X-GitHub-OTP');
    if (noneMatch(c.req.header('if-none-match'), etag)) {
      const quota = state.limiter.record(identity, now, identity.authenticated ? 'free' : 'counted');
      rateLimitHeaders(c, quota);
      c.header('etag', etag);
      state.countAnswer(304, faulted);
      return c.body(null, 304);
    }
    rateLimitHeaders(c, state.limiter.record(identity, now, 'counted'));
    if (fault?.type === 'malformed') return malformed(c, state, fault.mode, body);
    c.header('etag', etag);
    state.countAnswer(200, faulted);
    return c.body(body, 200, { 'content-type': 'application/json; charset=utf-8' });
  });

  // Free, as on GitHub: clients may ask how much budget is left without spending any.
  app.get('/rate_limit', (c) => {
    const quota = state.limiter.quota(identify(c), state.now());
    const core = { limit: quota.limit, used: quota.used, remaining: quota.remaining, reset: quota.reset };
    rateLimitHeaders(c, quota);
    return answer(c, state, 200, { resources: { core }, rate: core }, false);
  });

  app.notFound((c) => answer(c, state, 404, { message: 'Not Found', documentation_url: DOCS, status: '404' }, false));
  return app;
}

/** Without a token, the client's address; with one (any value), the token. */
function identify(c: Ctx): Identity {
  const token = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
  if (token) return { key: `token:${token}`, authenticated: true };
  return { key: `ip:${c.env.incoming.socket.remoteAddress ?? 'unknown'}`, authenticated: false };
}

function rateLimitHeaders(c: Ctx, quota: Quota): void {
  c.header('x-ratelimit-limit', String(quota.limit));
  c.header('x-ratelimit-remaining', String(quota.remaining));
  c.header('x-ratelimit-used', String(quota.used));
  c.header('x-ratelimit-reset', String(quota.reset));
  c.header('x-ratelimit-resource', 'core');
}

function answer(c: Ctx, state: FakeGitHubState, status: number, body: unknown, faulted: boolean): Response {
  state.countAnswer(status, faulted);
  return c.body(JSON.stringify(body), status as 200, { 'content-type': 'application/json; charset=utf-8' });
}

function exhausted(c: Ctx, state: FakeGitHubState, identity: Identity, quota: Quota, faulted: boolean): Response {
  rateLimitHeaders(c, quota);
  const who = identity.authenticated ? 'user ID 1' : identity.key.slice('ip:'.length);
  const hint = identity.authenticated
    ? ''
    : " (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)";
  const message = `API rate limit exceeded for ${who}.${hint}`;
  return answer(c, state, state.settings().exhaustedStatus, { message, documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api` }, faulted);
}

/** Answers that replace the real one. They spend no rate limit. */
function injected(c: Ctx, state: FakeGitHubState, fault: Exclude<Fault, { type: 'delay' | 'malformed' }>): Response {
  switch (fault.type) {
    case 'reset':
      return reset(c, state, true);
    case 'outage':
      if (fault.mode === 'reset') return reset(c, state, true);
      c.header('retry-after', '5');
      return answer(c, state, 503, { message: 'Service Unavailable' }, true);
    case 'secondary_rate_limit': {
      rateLimitHeaders(c, state.limiter.quota(identify(c), state.now()));
      c.header('retry-after', String(fault.retryAfter));
      const message =
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.';
      return answer(c, state, fault.status, { message, documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits` }, true);
    }
    case 'status':
      if (fault.retryAfter !== undefined) c.header('retry-after', String(fault.retryAfter));
      return answer(c, state, fault.status, { message: fault.status >= 500 ? 'Server Error' : 'Injected error' }, true);
  }
}

/** A broken 200: the budget is spent, the body is useless. */
function malformed(c: Ctx, state: FakeGitHubState, mode: 'truncated' | 'wrong_shape' | 'html', body: string): Response {
  const broken =
    mode === 'truncated'
      ? body.slice(0, Math.floor(body.length / 2))
      : mode === 'wrong_shape'
        ? JSON.stringify({ id: 'not-a-number', full_name: 42, stargazers_count: 'lots', owner: null })
        : '<!DOCTYPE html><html><body><h1>Unicorn!</h1>This page is taking way too long to load.</body></html>';
  c.header('etag', etagOf(broken));
  state.countAnswer(200, true);
  return c.body(broken, 200, { 'content-type': 'application/json; charset=utf-8' });
}

/** Kills the connection with a TCP RST: the client sees ECONNRESET and no answer at all. */
function reset(c: Ctx, state: FakeGitHubState, faulted: boolean): Response {
  state.countAnswer('reset', faulted);
  c.env.incoming.socket.resetAndDestroy();
  // Nothing reaches the client; the adapter needs a response object all the same.
  return c.body(null, 500);
}
