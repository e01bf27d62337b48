/**
 * The fake's primary rate limit, as GitHub runs it: a fixed window per identity (the
 * client's IP without a token, the token with one) that opens at the identity's first
 * counted request and lasts `windowMs`; `limit` requests fit in it. It also keeps the
 * figure tests rely on: the most requests one identity sent inside one window that count
 * against the limit (requests refused for exhaustion included), so a test can prove a
 * client never went over.
 */
export interface RateLimitSettings {
  /** Requests per window without a token (GitHub: 60). */
  limit: number;
  /** Requests per window with a token (GitHub: 5000). */
  authenticatedLimit: number;
  /** Window length in simulated milliseconds (GitHub: one hour). */
  windowMs: number;
}

export interface Identity {
  key: string;
  authenticated: boolean;
}

/** What x-ratelimit-* headers say. `reset` is in epoch seconds. */
export interface Quota {
  limit: number;
  used: number;
  remaining: number;
  reset: number;
}

interface Window {
  start: number;
  used: number;
  /** Requests that counted, or would have counted had the limit not been reached. */
  seen: number;
}

export class RateLimiter {
  settings: RateLimitSettings;
  /** Most `seen` requests of one identity within one window, over the fake's life. */
  maxPerWindow = 0;
  /** Requests refused because the identity's limit was reached. */
  refused = 0;
  readonly #windows = new Map<string, Window>();
  /** Set by exhaust(): identities first seen later inherit a window spent at that moment. */
  #exhaustedAt: number | null = null;

  constructor(settings: RateLimitSettings) {
    this.settings = { ...settings };
  }

  limitOf(identity: Identity): number {
    return identity.authenticated ? this.settings.authenticatedLimit : this.settings.limit;
  }

  /** The identity's quota at `now`, without spending anything. */
  quota(identity: Identity, now: number): Quota {
    const window = this.#window(identity, now);
    const limit = this.limitOf(identity);
    const used = Math.min(window.used, limit);
    return { limit, used, remaining: limit - used, reset: Math.ceil((window.start + this.settings.windowMs) / 1000) };
  }

  /**
   * Records one request: `counted` spends one, `free` is an answer GitHub does not charge
   * (a 304 with a token), `refused` was turned away because the limit was reached.
   */
  record(identity: Identity, now: number, outcome: 'counted' | 'free' | 'refused'): Quota {
    const window = this.#window(identity, now);
    if (outcome === 'refused') this.refused++;
    if (outcome === 'counted') window.used++;
    if (outcome !== 'free') {
      window.seen++;
      this.maxPerWindow = Math.max(this.maxPerWindow, window.seen);
    }
    return this.quota(identity, now);
  }

  /** Spends every identity's remaining requests, until each window's own reset. */
  exhaust(now: number): void {
    for (const key of [...this.#windows.keys()]) {
      const identity = { key, authenticated: key.startsWith('token:') };
      this.#window(identity, now).used = this.limitOf(identity);
    }
    this.#exhaustedAt = now;
  }

  clear(): void {
    this.#windows.clear();
    this.#exhaustedAt = null;
    this.maxPerWindow = 0;
    this.refused = 0;
  }

  #window(identity: Identity, now: number): Window {
    const current = this.#windows.get(identity.key);
    if (current && now < current.start + this.settings.windowMs) return current;
    const exhausted = this.#exhaustedAt;
    const inherit = !current && exhausted !== null && now < exhausted + this.settings.windowMs;
    const fresh: Window = inherit
      ? { start: exhausted, used: this.limitOf(identity), seen: 0 }
      : { start: now, used: 0, seen: 0 };
    this.#windows.set(identity.key, fresh);
    return fresh;
  }
}
