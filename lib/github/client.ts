import { setTimeout as delay } from 'node:timers/promises';
import { ofetch } from 'ofetch';
import type { RepoStats } from '../repos/model.ts';
import { backoffDelay, DEFAULT_BACKOFF, requestedWait, type BackoffOptions } from './backoff.ts';
import { RateLimitBudget, type RateLimitSnapshot, type SpendReceipt } from './rate-limit.ts';
import { githubRepoSchema, toRepoStats } from './repo-schema.ts';

/**
 * The one call the sync makes upstream: `GET /repos/{owner}/{repo}`, conditional on the
 * stored ETag, inside the rate-limit budget, with a timeout per request and bounded retries.
 * It never throws for anything the upstream or the network does; every outcome is a value:
 *
 *   ok            200: fresh stats, the new ETag, GitHub's spelling of owner and name
 *   not_modified  304: the stored stats are current
 *   gone          404, 410 or 451: the repository is no longer there (keep it, flag it)
 *   failed        reason: rate_limited | server_error | network | timeout (after retries),
 *                 unreachable (the host does not resolve or refuses the connection: the
 *                 request never left, so it is not retried, spends no budget and is not
 *                 paced; retrying cannot help within a run), invalid_response (a 200 whose body is not a repository), http_error
 *                 (any other status, not retried), budget_exhausted (nothing was sent: the
 *                 budget allows no request before `retryAt`), aborted (the caller's signal)
 *
 * Waiting: before each request the client waits for the budget's next slot (paced, see
 * RateLimitBudget.nextSlot; `pace: false` only waits when the budget is spent). Between
 * attempts it waits as the upstream asked (retry-after, or x-ratelimit-reset with remaining
 * 0), else backs off exponentially with full jitter. It never sleeps longer than
 * `maxWaitMs` at a time nor past the caller's `deadline`: it answers failed with `retryAt`
 * instead, so a sync run can stop and leave the rest for the next run.
 *
 * Observability: hooks fire for every answer (onResponse), every request that got no answer
 * (onRequestError) and every retry decision (onRetry); a throwing hook is ignored, so
 * metrics can never break a sync.
 */
export type RetryReason = 'rate_limited' | 'server_error' | 'network' | 'timeout';
export type FailureReason = RetryReason | 'unreachable' | 'invalid_response' | 'http_error' | 'budget_exhausted' | 'aborted';

export type FetchRepoResult =
  | { kind: 'ok'; stats: RepoStats; etag: string | null; owner: string; name: string; attempts: number }
  | { kind: 'not_modified'; etag: string | null; attempts: number }
  | { kind: 'gone'; status: number; attempts: number }
  | {
      kind: 'failed';
      reason: FailureReason;
      /** The last answer's status, when there was one. */
      status?: number;
      /** When trying again makes sense (epoch ms), when the client knows. */
      retryAt?: number;
      message: string;
      attempts: number;
    };

interface RequestEvent {
  owner: string;
  name: string;
  /** 1 for the first request of this fetchRepo call. */
  attempt: number;
  durationMs: number;
}
export interface ResponseEvent extends RequestEvent {
  status: number;
  /** The answer's x-ratelimit-* headers, when it had them. */
  rateLimit: RateLimitSnapshot | null;
}
export interface RequestErrorEvent extends RequestEvent {
  reason: 'network' | 'timeout';
  message: string;
}
export interface RetryEvent {
  owner: string;
  name: string;
  /** The attempt that failed. */
  attempt: number;
  reason: RetryReason;
  waitMs: number;
  status?: number;
}

export interface GitHubClientHooks {
  onResponse?(event: ResponseEvent): void;
  onRequestError?(event: RequestErrorEvent): void;
  onRetry?(event: RetryEvent): void;
}

export interface GitHubClientOptions {
  /** Default https://api.github.com; the fake upstream's URL in tests and demos. */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <token>`: 5000 requests an hour instead of 60, and free 304s. */
  token?: string;
  /** GitHub rejects requests without one. */
  userAgent?: string;
  /** Per request, headers and body included (real milliseconds). Default 10 s. */
  timeoutMs?: number;
  /** Requests per fetchRepo call, first one included. Default 4. */
  maxAttempts?: number;
  backoff?: Partial<BackoffOptions>;
  /** The longest single wait (retry, reset, pacing) the client sleeps through. Default 2 min. */
  maxWaitMs?: number;
  /** Spread requests over the rate-limit window (default true); false only waits when the budget is spent. */
  pace?: boolean;
  /** Shared budget; by default one assuming 60 (5000 with a token) per hour. */
  budget?: RateLimitBudget;
  /** Clock (epoch ms) and sleep, injectable so tests can live through an hour in a second. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source, [0, 1). */
  random?: () => number;
  hooks?: GitHubClientHooks;
}

export interface FetchRepoOptions {
  /** Aborts waits and the request in flight; the result is then failed(aborted). */
  signal?: AbortSignal;
  /** Epoch ms by the client's clock: no wait may end after it. */
  deadline?: number;
}

export interface GitHubClient {
  readonly budget: RateLimitBudget;
  fetchRepo(owner: string, name: string, etag?: string | null, options?: FetchRepoOptions): Promise<FetchRepoResult>;
}

const API_VERSION = '2022-11-28';
/** GitHub: after a secondary rate limit without retry-after, wait at least a minute. */
const SECONDARY_LIMIT_MIN_WAIT_MS = 60_000;

type Failed = Extract<FetchRepoResult, { kind: 'failed' }>;
/** One request's outcome: final, or worth another attempt after `waitMs`. */
type Attempt = { final: FetchRepoResult } | { retry: RetryReason; waitMs: number; status?: number; message: string };

const realSleep = (ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal });

export function createGitHubClient(options: GitHubClientOptions = {}): GitHubClient {
  const baseUrl = (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const maxWaitMs = options.maxWaitMs ?? 120_000;
  const pace = options.pace ?? true;
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
  const budget = options.budget ?? new RateLimitBudget({ limit: options.token ? 5000 : 60, now });
  const hooks = options.hooks ?? {};
  const baseHeaders: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'x-github-api-version': API_VERSION,
    'user-agent': options.userAgent ?? 'repo-monitor',
  };
  if (options.token) baseHeaders.authorization = `Bearer ${options.token}`;

  /** A hook must never break the sync: its errors are swallowed. */
  const emit = <E>(hook: ((event: E) => void) | undefined, event: E) => {
    try {
      hook?.(event);
    } catch {
      // deliberately ignored
    }
  };

  /** Sleeps `ms`; false when the caller aborted meanwhile. */
  const wait = async (ms: number, signal: AbortSignal | undefined) => {
    try {
      await sleep(ms, signal);
      return !signal?.aborted;
    } catch {
      return false;
    }
  };

  /** Waits for the budget's next slot and spends it; or says why not. */
  async function takeSlot(signal: AbortSignal | undefined, deadline: number): Promise<SpendReceipt | { reason: 'budget_exhausted' | 'aborted'; retryAt?: number }> {
    for (;;) {
      if (signal?.aborted) return { reason: 'aborted' };
      const current = now();
      const at = pace ? budget.nextSlot(current) : budget.availableAt(current);
      if (at <= current) return budget.spend(current);
      if (at - current > maxWaitMs || at > deadline) return { reason: 'budget_exhausted', retryAt: at };
      if (!(await wait(at - current, signal))) return { reason: 'aborted' };
    }
  }

  async function attempt(
    owner: string,
    name: string,
    etag: string | null,
    attemptNo: number,
    signal: AbortSignal | undefined,
    receipt: SpendReceipt,
  ): Promise<Attempt> {
    const headers = etag ? { ...baseHeaders, 'if-none-match': etag } : baseHeaders;
    const timeout = AbortSignal.timeout(timeoutMs);
    const started = performance.now();
    const event = { owner, name, attempt: attemptNo };
    let response;
    try {
      // ofetch.raw for its URL handling, null-body statuses (304) and full-body read, with
      // its retry off: it would retry at once, ignoring Retry-After and our budget. Its own
      // `timeout` stops at the headers, so our signal bounds the body as well.
      response = await ofetch.raw(`${baseUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`, {
        headers,
        retry: 0,
        ignoreResponseError: true,
        responseType: 'text',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (error) {
      const durationMs = performance.now() - started;
      if (!timeout.aborted && !signal?.aborted && neverSent(error)) {
        budget.refund(receipt);
        const message = describe(error);
        emit(hooks.onRequestError, { ...event, durationMs, reason: 'network', message });
        return { final: failed('unreachable', message, attemptNo) };
      }
      budget.settle(null, now());
      if (signal?.aborted) return { final: failed('aborted', 'the caller aborted the request', attemptNo) };
      const reason = timeout.aborted ? 'timeout' : 'network';
      const message = reason === 'timeout' ? `no complete answer within ${timeoutMs} ms` : describe(error);
      emit(hooks.onRequestError, { ...event, durationMs, reason, message });
      return { retry: reason, waitMs: backoffDelay(attemptNo, backoff, random), message };
    }
    const { status } = response;
    const rateLimit = budget.settle(response.headers, now());
    emit(hooks.onResponse, { ...event, durationMs: performance.now() - started, status, rateLimit });
    const body = typeof response._data === 'string' ? response._data : '';

    if (status === 200) return { final: parseRepo(body, response.headers.get('etag'), attemptNo) };
    if (status === 304) return { final: { kind: 'not_modified', etag: response.headers.get('etag') ?? etag, attempts: attemptNo } };
    if (status === 404 || status === 410 || status === 451) return { final: { kind: 'gone', status, attempts: attemptNo } };

    const asked = requestedWait(response.headers, now());
    if (status === 429 || (status === 403 && (asked !== null || /rate limit/i.test(body)))) {
      // Primary limit (remaining 0): the budget already knows the reset. Secondary: block it.
      const waitMs = asked ?? Math.max(SECONDARY_LIMIT_MIN_WAIT_MS, backoffDelay(attemptNo, backoff, random));
      if (rateLimit?.remaining !== 0) budget.blockUntil(now() + waitMs);
      return { retry: 'rate_limited', waitMs, status, message: `rate limited (${status})` };
    }
    if (status >= 500) {
      return { retry: 'server_error', waitMs: asked ?? backoffDelay(attemptNo, backoff, random), status, message: `upstream answered ${status}` };
    }
    return { final: { ...failed('http_error', `upstream answered ${status}`, attemptNo), status } };
  }

  async function fetchRepo(owner: string, name: string, etag: string | null = null, callOptions: FetchRepoOptions = {}): Promise<FetchRepoResult> {
    const { signal, deadline = Infinity } = callOptions;
    let attempts = 0;
    let last: Failed | null = null;
    for (;;) {
      const slot = await takeSlot(signal, deadline);
      if ('reason' in slot) {
        if (slot.reason === 'aborted') return failed('aborted', 'the caller aborted the request', attempts);
        // Having tried already, the upstream's failure is the story; the budget only ended the retries.
        if (last) return { ...last, retryAt: slot.retryAt };
        return { ...failed('budget_exhausted', 'the rate-limit budget allows no request now', 0), retryAt: slot.retryAt };
      }
      attempts++;
      const outcome = await attempt(owner, name, etag, attempts, signal, slot);
      if ('final' in outcome) return outcome.final;

      last = { ...failed(outcome.retry, outcome.message, attempts), ...(outcome.status !== undefined && { status: outcome.status }) };
      const retryAt = now() + outcome.waitMs;
      if (attempts >= maxAttempts) return { ...last, retryAt };
      if (outcome.waitMs > maxWaitMs || retryAt > deadline) return { ...last, retryAt };
      emit(hooks.onRetry, { owner, name, attempt: attempts, reason: outcome.retry, waitMs: outcome.waitMs, ...(outcome.status !== undefined && { status: outcome.status }) });
      if (!(await wait(outcome.waitMs, signal))) return failed('aborted', 'the caller aborted the request', attempts);
    }
  }

  return { budget, fetchRepo };
}

function failed(reason: FailureReason, message: string, attempts: number): Failed {
  return { kind: 'failed', reason, message, attempts };
}

function parseRepo(body: string, etag: string | null, attempts: number): FetchRepoResult {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ...failed('invalid_response', 'the body is not JSON', attempts), status: 200 };
  }
  const parsed = githubRepoSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.slice(0, 3).map((issue) => issue.path.join('.') || '(root)');
    return { ...failed('invalid_response', `unexpected repository shape at ${where.join(', ')}`, attempts), status: 200 };
  }
  const repo = parsed.data;
  return { kind: 'ok', stats: toRepoStats(repo), etag, owner: repo.owner.login, name: repo.name, attempts };
}

/**
 * Errors raised before a request could leave: the name does not resolve, or nothing accepts
 * the connection. The upstream never saw the request.
 */
const NEVER_SENT = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

function neverSent(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && NEVER_SENT.has(code)) return true;
    // fetch refuses ports the Fetch standard blocks (e.g. :9) before connecting; no code.
    if (current.message === 'bad port') return true;
    current = current.cause;
  }
  return false;
}

/** The innermost cause, e.g. "ECONNRESET" or "ECONNREFUSED", rather than "fetch failed". */
function describe(error: unknown): string {
  let current: unknown = error;
  const parts: string[] = [];
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${code}: ${current.message}` : current.message);
    current = current.cause;
  }
  return parts.at(-1) ?? String(error);
}
