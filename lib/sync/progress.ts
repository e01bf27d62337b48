import type { Clock } from '../clock.ts';
import type { RateLimitBudget } from '../github/rate-limit.ts';
import type { SyncObserver } from './deps.ts';
import type { RunProgress } from './run-store.ts';

/**
 * How far a running sync is: repositories done out of due, requests spent, what the budget
 * has left, and when the run should end. Read by the run resource (GET /sync/runs/{id}), the
 * progress gauges and `npm run invoke -- sync`.
 */
export class ProgressTracker {
  readonly #clock: Clock;
  readonly #budget: RateLimitBudget;
  readonly #startedAt: number;
  readonly #deadline: number;
  readonly #spentBefore: number;
  #due: number | null = null;
  #done = 0;
  readonly #listeners = new Set<() => void>();

  constructor(options: { clock: Clock; budget: RateLimitBudget; startedAt: Date; deadline: number }) {
    this.#clock = options.clock;
    this.#budget = options.budget;
    this.#startedAt = options.startedAt.getTime();
    this.#deadline = options.deadline;
    this.#spentBefore = options.budget.state(this.#startedAt).spent;
  }

  set due(count: number) {
    this.#due = count;
    this.#changed();
  }

  /** One repository visited. */
  visited(): void {
    this.#done++;
    this.#changed();
  }

  /** Calls `listener` after each change; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  get requestsSpent(): number {
    return this.#budget.state(this.#clock.now().getTime()).spent - this.#spentBefore;
  }

  snapshot(): RunProgress {
    const now = this.#clock.now().getTime();
    const state = this.#budget.state(now);
    const budgetLeft = Math.max(0, state.remaining - state.reserve);
    const finish = expectedFinish({
      now,
      startedAt: this.#startedAt,
      deadline: this.#deadline,
      done: this.#done,
      due: this.#due,
      budgetLeft,
      resetAt: state.resetAt,
    });
    return {
      done: this.#done,
      due: this.#due,
      requestsSpent: state.spent - this.#spentBefore,
      budgetLeft: state.confirmed ? budgetLeft : null,
      expectedFinishAt: finish === null ? null : new Date(finish),
      updatedAt: new Date(now),
    };
  }
}

export interface FinishEstimateInput {
  now: number;
  startedAt: number;
  deadline: number;
  done: number;
  due: number | null;
  /** Requests the budget allows before `resetAt`. */
  budgetLeft: number;
  resetAt: number;
}

/**
 * When a run should end (epoch ms): at the pace it has kept so far, or at the pace the
 * rate-limit budget allows (what is left spread until the reset), whichever is slower; never
 * after its deadline. Null before the first repository is done (no pace yet) or while the
 * due count is unknown.
 */
export function expectedFinish(input: FinishEstimateInput): number | null {
  const { now, startedAt, deadline, done, due, budgetLeft, resetAt } = input;
  if (due === null) return null;
  const left = Math.max(0, due - done);
  if (left === 0) return now;
  if (done === 0) return null;
  const ownPace = (now - startedAt) / done;
  const budgetPace = budgetLeft > 0 ? Math.max(0, resetAt - now) / budgetLeft : Infinity;
  const perRepo = left > budgetLeft ? Math.max(ownPace, budgetPace) : ownPace;
  return Math.min(deadline, Math.round(now + left * perRepo));
}

/** How often a running run writes its progress to the store (other replicas read it there). */
const SAVE_EVERY_MS = 2000;

/**
 * Publishes a running run's progress: to the gauges and the caller (invoke's bar) on every
 * change, to the store (`save`) every two seconds, one write at a time. `stop` waits for the
 * last write.
 */
export function publishProgress(
  progress: ProgressTracker,
  to: { observer: SyncObserver; onProgress?: (progress: RunProgress) => void; save: (progress: RunProgress) => Promise<unknown> },
): { stop(): Promise<void> } {
  let saving: Promise<unknown> = Promise.resolve();
  const publish = () => {
    const snapshot = progress.snapshot();
    to.observer.progress?.(snapshot);
    to.onProgress?.(snapshot);
    return snapshot;
  };
  const timer = setInterval(() => {
    const snapshot = publish();
    saving = saving.then(() => to.save(snapshot));
  }, SAVE_EVERY_MS);
  timer.unref();
  const unsubscribe = progress.onChange(publish);
  publish();
  return {
    async stop() {
      clearInterval(timer);
      unsubscribe();
      await saving;
    },
  };
}
