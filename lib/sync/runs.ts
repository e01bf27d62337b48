import type { Logger } from '../logging/logger.ts';

/**
 * The sync runs in progress in this process, whoever started them (the scheduler, POST
 * /sync, invoke), so that shutdown can wait for them and, past its grace period, abort
 * them: an aborted run stops at once, writes what it already fetched and releases its lease.
 * It also tells the upstream client's hooks which run's logger to use.
 */
interface ActiveRun {
  controller: AbortController;
  log: Logger;
  finished: Promise<void>;
}

export interface RunHandle {
  /** Aborted when the process shuts down. */
  signal: AbortSignal;
  end(): void;
}

export class SyncRuns {
  readonly #active = new Set<ActiveRun>();
  #closing = false;

  begin(log: Logger): RunHandle {
    const controller = new AbortController();
    if (this.#closing) controller.abort(new Error('shutting down'));
    let finish!: () => void;
    const run: ActiveRun = { controller, log, finished: new Promise<void>((resolve) => (finish = resolve)) };
    this.#active.add(run);
    return {
      signal: controller.signal,
      end: () => {
        this.#active.delete(run);
        finish();
      },
    };
  }

  get size(): number {
    return this.#active.size;
  }

  /** The logger of the latest run still going (bound to its run_id), if any. */
  get currentLog(): Logger | undefined {
    let last: ActiveRun | undefined;
    for (const run of this.#active) last = run;
    return last?.log;
  }

  /**
   * Refuses new runs, waits up to `graceMs` for those going, then aborts the rest and waits
   * (at most `abortWaitMs`) for them to write and release. Resolves with how many it aborted.
   */
  async drain(graceMs: number, abortWaitMs = 5000): Promise<number> {
    this.#closing = true;
    const allDone = () => Promise.all([...this.#active].map((run) => run.finished)).then(() => true);
    if (this.#active.size === 0 || (await within(allDone(), graceMs))) return 0;
    const aborted = this.#active.size;
    for (const run of this.#active) run.controller.abort(new Error('shutting down'));
    await within(allDone(), abortWaitMs);
    return aborted;
  }
}

/** True if `promise` settles within `ms`. */
function within(promise: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
