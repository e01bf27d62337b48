/**
 * The upstream's primary rate limit, as this process knows it: how many requests may still
 * be spent before the window resets, when that is, and when the next request may go.
 *
 *   const budget = new RateLimitBudget({ limit: 60 });   // assumed until GitHub says otherwise
 *   budget.nextSlot()          // epoch ms when the next request may go, spread over the window
 *   budget.spend()             // a request is on its way
 *   budget.settle(headers)     // its answer arrived: x-ratelimit-* correct the estimate
 *
 * It starts from the configured limit and a window opening now, and believes every answer's
 * x-ratelimit-* headers after that (so another process spending the same budget, or a
 * smaller limit than configured, is noticed at the first answer; a concurrent burst sent
 * before any answer can only trust the configured limit, so configure the real one). Requests in flight are
 * counted as spent until their answer says otherwise (an authenticated 304 is free), and an
 * answer older than one already applied (lower `used` in the same window) is ignored, so
 * concurrent requests cannot inflate the estimate. Keep one budget per process for the
 * process's life: pacing and the window carry over from one sync run to the next.
 *
 * Times are epoch milliseconds from the injected clock.
 */
export interface RateLimitSnapshot {
  limit: number;
  remaining: number;
  used: number;
  /** When the window resets, epoch ms (the header gives epoch seconds). */
  reset: number;
  resource: string;
}

/** The x-ratelimit-* headers of one answer, or null when they are absent or unreadable. */
export function parseRateLimitHeaders(headers: Headers): RateLimitSnapshot | null {
  const int = (name: string) => {
    const value = headers.get(`x-ratelimit-${name}`);
    return value !== null && /^\d+$/.test(value.trim()) ? Number(value) : null;
  };
  const limit = int('limit');
  const remaining = int('remaining');
  const reset = int('reset');
  if (limit === null || remaining === null || reset === null) return null;
  return {
    limit,
    remaining,
    used: int('used') ?? Math.max(0, limit - remaining),
    reset: reset * 1000,
    resource: headers.get('x-ratelimit-resource') ?? 'core',
  };
}

export interface RateLimitBudgetOptions {
  /** The limit to assume before the first answer (GitHub: 60 without a token, 5000 with). */
  limit: number;
  /** Window length to assume when none is known (GitHub: one hour). */
  windowMs?: number;
  /** Requests never spent, left for people and other tools sharing the limit. */
  reserve?: number;
  /** Margin for clock skew: a window counts as reset this long after its reset time. */
  skewMs?: number;
  now?: () => number;
}

export interface BudgetState {
  limit: number;
  /** Estimated requests left in the window, in-flight ones already taken off. */
  remaining: number;
  /** Epoch ms. */
  resetAt: number;
  /** Nothing may be sent before this (a retry-after); epoch ms, 0 when free. */
  blockedUntil: number;
  inFlight: number;
  reserve: number;
  /** Requests spent through this budget since it was created. */
  spent: number;
  /** Whether the window comes from the upstream's headers rather than an assumption. */
  confirmed: boolean;
}

/** What `refund` needs to undo one `spend`. */
export interface SpendReceipt {
  previousSpentAt: number;
  resetAt: number;
}

export class RateLimitBudget {
  readonly #now: () => number;
  readonly #windowMs: number;
  readonly #reserve: number;
  readonly #skewMs: number;
  #limit: number;
  #remaining: number;
  #resetAt: number;
  #confirmed = false;
  /** Highest x-ratelimit-used applied in this window: answers below it are stale. */
  #usedSeen = -1;
  #blockedUntil = 0;
  #inFlight = 0;
  #spent = 0;
  #lastSpentAt = -Infinity;

  constructor(options: RateLimitBudgetOptions) {
    this.#now = options.now ?? Date.now;
    this.#windowMs = options.windowMs ?? 3_600_000;
    this.#reserve = options.reserve ?? 0;
    this.#skewMs = options.skewMs ?? 1000;
    this.#limit = options.limit;
    this.#remaining = options.limit;
    this.#resetAt = this.#now() + this.#windowMs;
  }

  state(now: number = this.#now()): BudgetState {
    this.#roll(now);
    return {
      limit: this.#limit,
      remaining: this.#remaining,
      resetAt: this.#resetAt,
      blockedUntil: this.#blockedUntil,
      inFlight: this.#inFlight,
      reserve: this.#reserve,
      spent: this.#spent,
      confirmed: this.#confirmed,
    };
  }

  /** The earliest time a request may be sent, ignoring pacing: now, the end of a block, or the reset. */
  availableAt(now: number = this.#now()): number {
    this.#roll(now);
    let at = Math.max(now, this.#blockedUntil);
    if (this.#remaining - this.#reserve <= 0) at = Math.max(at, this.#resetAt + this.#skewMs);
    return at;
  }

  /**
   * Like availableAt, but spreads what is left evenly until the reset: after a request at
   * t, the next goes at t + (reset − t) / requests left. A watch list larger than the limit
   * is then refreshed steadily through the window instead of in a burst followed by an
   * hour of silence.
   */
  nextSlot(now: number = this.#now()): number {
    const available = this.availableAt(now);
    if (available > now || this.#lastSpentAt === -Infinity) return available;
    const left = this.#remaining - this.#reserve;
    const interval = Math.max(0, this.#resetAt - this.#lastSpentAt) / left;
    return Math.max(now, Math.ceil(this.#lastSpentAt + interval));
  }

  canSpend(now: number = this.#now()): boolean {
    return this.availableAt(now) <= now;
  }

  /**
   * A request is being sent: count it now, before its answer, so concurrent callers see it.
   * Returns a receipt for `refund`.
   */
  spend(now: number = this.#now()): SpendReceipt {
    this.#roll(now);
    const receipt = { previousSpentAt: this.#lastSpentAt, resetAt: this.#resetAt };
    this.#remaining = Math.max(0, this.#remaining - 1);
    this.#inFlight++;
    this.#spent++;
    this.#lastSpentAt = now;
    return receipt;
  }

  /**
   * The request never reached the upstream (its host did not resolve, the connection was
   * refused): it cost nothing there, so it is given back, and the pacing goes on as if it
   * had not been sent.
   */
  refund(receipt: SpendReceipt): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#spent = Math.max(0, this.#spent - 1);
    if (receipt.resetAt !== this.#resetAt) return; // a new window since: nothing of it was spent
    this.#remaining = Math.min(this.#limit, this.#remaining + 1);
    this.#lastSpentAt = receipt.previousSpentAt;
  }

  /**
   * A request's answer arrived (headers), or it failed without one (null). Returns what the
   * headers said, for metrics and logs.
   */
  settle(headers: Headers | null, now: number = this.#now()): RateLimitSnapshot | null {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    const snapshot = headers ? parseRateLimitHeaders(headers) : null;
    if (snapshot) this.#apply(snapshot, now);
    return snapshot;
  }

  /** Sends nothing before `until` (epoch ms): a retry-after from a secondary rate limit. */
  blockUntil(until: number): void {
    this.#blockedUntil = Math.max(this.#blockedUntil, until);
  }

  #apply(snapshot: RateLimitSnapshot, now: number): void {
    const newer = !this.#confirmed || snapshot.reset > this.#resetAt;
    const sameWindow = this.#confirmed && snapshot.reset === this.#resetAt && snapshot.used >= this.#usedSeen;
    if (!newer && !sameWindow) return;
    this.#limit = snapshot.limit;
    this.#resetAt = snapshot.reset;
    this.#usedSeen = snapshot.used;
    // The others still in flight will most likely count too.
    this.#remaining = Math.max(0, snapshot.remaining - this.#inFlight);
    this.#confirmed = true;
    this.#roll(now);
  }

  /** Past the reset, a fresh window is assumed until an answer describes the real one. */
  #roll(now: number): void {
    if (now < this.#resetAt + this.#skewMs) return;
    this.#remaining = this.#limit;
    this.#resetAt = now + this.#windowMs;
    this.#confirmed = false;
    this.#usedSeen = -1;
    this.#lastSpentAt = -Infinity;
  }
}
