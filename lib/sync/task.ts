import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db.ts';
import type { Logger } from '../logging/logger.ts';
import type { SyncDeps } from './deps.ts';
import { acquireLease, type AcquireResult, type Lease, type LockDocument } from './lease.ts';
import { ProgressTracker, publishProgress } from './progress.ts';
import { logSummary } from './report.ts';
import type { RunHandle } from './runs.ts';
import { runBody, type RunBodyResult } from './run.ts';
import {
  closeAbandonedRuns,
  deleteRun,
  findRun,
  insertRun,
  isFinal,
  stateOf,
  trimRuns,
  updateRun,
  type RunProgress,
  type SyncRunDocument,
} from './run-store.ts';
import { summarize, type SummaryInput, type SyncSummary } from './summary.ts';

/**
 * The sync as a task of its own, apart from HTTP. The scheduler (runtime/scheduler.ts) and
 * `npm run invoke -- sync` call `run`; POST /sync calls `start`, which returns as soon as the
 * run holds its lease (or another run does) and lets it go on in the background. One task per
 * process, built by the composition root (runtime/service.ts) around the process's SyncDeps,
 * so every run shares one rate-limit budget.
 *
 * A run, step by step: record it (queued) -> acquire the lease (else skipped, naming the
 * holder) -> running -> the body (run.ts: choose what is due, visit, write) -> finish:
 * summary, final state in the store, trim the history, release the lease, metrics, one log
 * line.
 */
export type SyncTrigger = 'schedule' | 'http' | 'invoke' | 'bench';

export interface SyncTaskDeps {
  config: Pick<Config, 'SYNC_DEADLINE' | 'SYNC_CONCURRENCY' | 'STALE_AFTER' | 'SYNC_HISTORY'>;
  db: Database;
  clock: Clock;
  log: Logger;
  sync: SyncDeps;
}

export interface RunOptions {
  /** The logger of whoever asked (a request's, with its request_id); the task's own otherwise. */
  log?: Logger;
  /** Called as the run goes on (invoke's progress bar). */
  onProgress?: (progress: RunProgress) => void;
}

export type StartResult =
  /** The run holds the lease and goes on; `finished` resolves with its final record. */
  | { started: true; run: SyncRunDocument; finished: Promise<SyncRunDocument> }
  /** Another run holds the lease: `holder` is its id (null if unknown), `run` this run's skipped record. */
  | { started: false; run: SyncRunDocument; holder: string | null };

export interface SyncTask {
  /** The process's client, budget and check memory. */
  readonly deps: SyncDeps;
  /** Starts a run and returns once it holds the lease, or is skipped; throws if the database fails. */
  start(trigger: SyncTrigger, options?: RunOptions): Promise<StartResult>;
  /** One run, to its end. */
  run(trigger: SyncTrigger, options?: RunOptions): Promise<SyncSummary>;
  /** The run's record once final, if that happens within `ms`; else null. Runs of other processes are polled. */
  waitFor(id: string, ms: number): Promise<SyncRunDocument | null>;
  /** This process's live progress of a run it is running (fresher than the store). */
  liveProgress(id: string): RunProgress | undefined;
  /** The scheduler says when it runs next, for the run's log line. */
  setNextRun(next: () => Date | null): void;
  /** Shutdown: refuses new runs, lets those going finish within `graceMs`, aborts the rest; resolves with how many it aborted. */
  drain(graceMs: number): Promise<number>;
}

export const SYNC_LEASE = 'sync';

/** How often a wait on another process's run reads the store. */
const POLL_MS = 250;

export const locksCollection = (db: Database) => db.db.collection<LockDocument>('locks');

/** The run id at the end of a lease owner (`host:pid:runId`). */
export const runIdOfOwner = (owner: string): string | null => (owner.includes(':') ? owner.slice(owner.lastIndexOf(':') + 1) : null);

export function createSyncTask(deps: SyncTaskDeps): SyncTask {
  const { db, clock, sync } = deps;
  /** The runs this process is running, by id. */
  const runs = new Map<string, { finished: Promise<SyncRunDocument>; progress: ProgressTracker }>();
  let nextRun: () => Date | null = () => null;

  /** The summary, with the rate limit as this process knows it now. */
  const summaryOf = (input: Omit<SummaryInput, 'finishedAt'>) => {
    const finishedAt = clock.now();
    return summarize({ ...input, finishedAt }, sync.github.budget.state(finishedAt.getTime()));
  };

  /** Starts a run: record it, acquire the lease, then skip it or launch it. */
  async function start(trigger: SyncTrigger, options: RunOptions = {}): Promise<StartResult> {
    const begun = await begin(trigger, options.log ?? deps.log);
    return begun.got.acquired ? await launch(begun, begun.got.lease, options.onProgress) : skip(begun, begun.got.holder);
  }

  interface Begun {
    record: SyncRunDocument;
    log: Logger;
    handle: RunHandle;
    got: AcquireResult;
  }

  /** Step 1: the run is recorded (queued) and tries the lease. A database failure is counted, logged and thrown. */
  async function begin(trigger: SyncTrigger, parentLog: Logger): Promise<Begun> {
    const runId = randomBytes(6).toString('hex');
    const log = parentLog.child({ run_id: runId });
    const record = queuedRecord(runId, trigger, sync.processId, clock.now());
    const handle = sync.runs.begin(log);
    try {
      await insertRun(db, record);
      const got = await acquireLease(locksCollection(db), {
        name: SYNC_LEASE,
        owner: `${sync.processId}:${runId}`,
        ttlMs: sync.options.leaseTtlMs,
        now: () => clock.now(),
      });
      return { record, log, handle, got };
    } catch (error) {
      handle.end();
      report(log, summaryOf({ runId, trigger, startedAt: record.queuedAt, stoppedBy: 'error', failure: error }));
      throw error;
    }
  }

  /** Another run holds the lease: this one is skipped, naming the holder. */
  async function skip({ record, log, handle }: Begun, holder: { owner: string; expiresAt: Date } | null): Promise<StartResult> {
    handle.end();
    const summary = summaryOf({ runId: record._id, trigger: record.trigger, startedAt: record.queuedAt, stoppedBy: 'lease_held' });
    const heldBy = holder ? runIdOfOwner(holder.owner) : null;
    const skipped = { ...record, state: 'skipped' as const, finishedAt: clock.now(), summary, heldBy };
    // A scheduled run that found the lease taken is history worth keeping; a refused POST
    // /sync is not (the answer names the holder), and keeping those would let a client
    // push real runs out of the bounded history.
    const recorded =
      record.trigger === 'http'
        ? deleteRun(db, record._id)
        : updateRun(db, record._id, { state: 'skipped', finishedAt: skipped.finishedAt, summary, heldBy });
    await recorded.catch((error: unknown) => log.warn('recording the skipped sync run failed', { err: error as Error }));
    report(log, summary, { holder });
    return { started: false, run: skipped, holder: heldBy };
  }

  /**
   * Marks the run running, in the store too (so whoever follows its Location sees it so),
   * then steps 2 to 4 in the background (run.ts), then step 5: finish.
   */
  async function launch({ record, log, handle }: Begun, lease: Lease, onProgress?: (progress: RunProgress) => void): Promise<StartResult> {
    const runId = record._id;
    const startedAt = clock.now();
    sync.observer.leaseHeld(true);
    log.debug('sync run started', { trigger: record.trigger, fence: lease.token }); // not "token": logs mask that key
    const progress = new ProgressTracker({ clock, budget: sync.github.budget, startedAt, deadline: startedAt.getTime() + deps.config.SYNC_DEADLINE });
    const running: SyncRunDocument = { ...record, state: 'running', startedAt, progress: progress.snapshot() };
    const marked = await updateRun(db, runId, { state: 'running', startedAt, progress: running.progress }).then(
      () => undefined,
      (error: unknown) => error,
    );

    const finished = (async () => {
      const publisher = publishProgress(progress, {
        observer: sync.observer,
        onProgress,
        save: (snapshot) => updateRun(db, runId, { progress: snapshot }).catch((error: unknown) => log.debug('writing sync progress failed', { err: error as Error })),
      });
      let body: RunBodyResult | undefined;
      let failure: unknown;
      try {
        if (marked !== undefined) throw marked;
        const abandoned = await closeAbandonedRuns(db, runId, startedAt);
        if (abandoned > 0) log.warn('sync runs left running by a stopped process marked failed', { abandoned });
        body = await runBody({ ...deps, log }, { lease, startedAt, progress, signal: handle.signal });
        failure = body.failure;
      } catch (error) {
        failure = error;
      } finally {
        await publisher.stop();
      }
      const summary = summaryOf({ runId, trigger: record.trigger, startedAt, stoppedBy: body?.stoppedBy ?? 'error', body, failure, requestsSpent: progress.requestsSpent });
      const final: SyncRunDocument = { ...running, state: stateOf(summary.outcome), finishedAt: clock.now(), progress: progress.snapshot(), summary };
      await finish(final, lease, log);
      runs.delete(runId);
      handle.end();
      report(log, summary, { unreachable: body?.detail });
      return final;
    })();
    runs.set(runId, { finished, progress });
    return { started: true, run: running, finished };
  }

  /** Step 5: the final record (before the lease goes: the next holder marks runs still "running" as abandoned), the trim, the release. */
  async function finish(final: SyncRunDocument, lease: Lease, log: Logger): Promise<void> {
    const { state, finishedAt, progress, summary } = final;
    await updateRun(db, final._id, { state, finishedAt, progress, summary })
      .then(() => trimRuns(db, deps.config.SYNC_HISTORY))
      .catch((error: unknown) => log.warn('recording the finished sync run failed', { err: error as Error }));
    await lease.release().catch((error: unknown) => log.warn('releasing the sync lease failed', { err: error as Error }));
    sync.observer.leaseHeld(false);
    sync.observer.progress?.(null);
  }

  function report(log: Logger, summary: SyncSummary, context: Parameters<typeof logSummary>[2] = {}) {
    sync.observer.runFinished(summary);
    logSummary(log, summary, { ...context, nextRun: summary.stoppedBy === 'upstream_unreachable' ? nextRun() : undefined });
  }

  async function waitFor(id: string, ms: number): Promise<SyncRunDocument | null> {
    const local = runs.get(id);
    if (local) return within(local.finished, ms);
    const until = Date.now() + ms;
    for (;;) {
      const run = await findRun(db, id);
      if (run === null || isFinal(run.state)) return run;
      const left = until - Date.now();
      if (left <= 0) return null;
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)));
    }
  }

  return {
    deps: sync,
    start,
    async run(trigger, options) {
      const started = await start(trigger, options);
      const run = started.started ? await started.finished : started.run;
      return run.summary!;
    },
    waitFor,
    liveProgress: (id) => runs.get(id)?.progress.snapshot(),
    setNextRun(next) {
      nextRun = next;
    },
    drain: (graceMs) => sync.runs.drain(graceMs),
  };
}

/** The promise's value if it settles within `ms`, else null. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A run as first recorded: queued, nothing known yet. */
const queuedRecord = (id: string, trigger: SyncTrigger, process: string, queuedAt: Date): SyncRunDocument => ({
  _id: id,
  state: 'queued',
  trigger,
  process,
  queuedAt,
  startedAt: null,
  finishedAt: null,
  progress: null,
  summary: null,
  heldBy: null,
});
