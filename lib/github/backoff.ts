/**
 * How long to wait before trying the upstream again. Two sources, in this order:
 * what the upstream asked for (retry-after, or x-ratelimit-reset once the limit is spent),
 * else exponential backoff with full jitter — uniform in [0, min(cap, base · 2^(attempt−1))] —
 * so many clients failing together do not come back together.
 */
export interface BackoffOptions {
  /** The first retry's ceiling. */
  baseMs: number;
  /** No wait is ever longer than this. */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, capMs: 60_000 };

/** The wait before retry number `attempt` (1 for the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP-date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (value == null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date) || !/[a-z]/i.test(trimmed)) return null;
  return Math.max(0, date - now);
}

/**
 * How long the upstream asked us to wait, or null if it did not: retry-after when present,
 * else the time until x-ratelimit-reset when x-ratelimit-remaining is 0 (plus `skewMs`,
 * as the reset is the upstream's clock rounded to seconds).
 */
export function requestedWait(headers: Headers, now: number, skewMs = 1000): number | null {
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now);
  if (retryAfter !== null) return retryAfter;
  const remaining = headers.get('x-ratelimit-remaining');
  const reset = headers.get('x-ratelimit-reset');
  if (remaining?.trim() !== '0' || reset === null || !/^\d+$/.test(reset.trim())) return null;
  return Math.max(0, Number(reset) * 1000 - now) + skewMs;
}
