import type { StopReason } from './summary.ts';

/**
 * Why and when a run stops: the first reason given wins; some also abort the requests in
 * flight (the upstream is down: waiting for them only spends time). Also aborts on the
 * caller's signal (shutdown).
 */
export class RunStop {
  readonly #controller = new AbortController();
  readonly signal: AbortSignal;
  #reason: StopReason | null = null;
  #detail: string | undefined;
  #nextRunAt: number | null = null;

  constructor(outer: AbortSignal) {
    this.signal = AbortSignal.any([outer, this.#controller.signal]);
  }

  get reason(): StopReason | null {
    return this.#reason;
  }

  /** What stopped the run, in words (an unreachable upstream's error). */
  get detail(): string | undefined {
    return this.#detail;
  }

  /** When a next run can make progress (epoch ms), when an answer said so. */
  get nextRunAt(): number | null {
    return this.#nextRunAt;
  }

  halt(reason: StopReason, options: { abortInFlight?: boolean; retryAt?: number; detail?: string } = {}): void {
    if (options.retryAt !== undefined) this.#nextRunAt = Math.max(this.#nextRunAt ?? 0, options.retryAt);
    if (this.#reason === null) {
      this.#reason = reason;
      this.#detail = options.detail;
    }
    if (options.abortInFlight) this.#controller.abort();
  }
}
