import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db.ts';
import type { Logger } from '../logging/logger.ts';
import type { SyncDeps } from './deps.ts';
import { dueRepos } from './due.ts';
import type { Lease } from './lease.ts';
import type { ProgressTracker } from './progress.ts';
import { keepLease } from './renewer.ts';
import { RunStop } from './stop.ts';
import { emptyCounts, type RecordCounts, type StopReason } from './summary.ts';
import { visit, type VisitContext } from './visit.ts';
import { RecordWriter, type WriteStats } from './writer.ts';

/**
 * The body of one sync run, once its lease is held (lib/sync/task.ts takes it, records the
 * run and reports it): choose what is due (due.ts: least recently confirmed first), visit
 * each (visit.ts: fetch, classify, count) with SYNC_CONCURRENCY workers, write the changes
 * in batches (writer.ts), and stop when everything was visited, the budget or deadline says
 * so, the upstream is down, refusing or unreachable, the lease is lost or the process shuts
 * down. See docs/sync.md for the design.
 */
export interface RunBodyDeps {
  config: Pick<Config, 'SYNC_DEADLINE' | 'SYNC_CONCURRENCY' | 'STALE_AFTER'>;
  db: Database;
  clock: Clock;
  log: Logger;
  sync: SyncDeps;
}

export interface RunBodyInput {
  lease: Lease;
  startedAt: Date;
  progress: ProgressTracker;
  /** Aborted at shutdown. */
  signal: AbortSignal;
}

export interface RunBodyResult {
  stoppedBy: StopReason;
  tracked: number;
  counts: RecordCounts;
  writes: WriteStats;
  /** When a next run can make progress (epoch ms), when an answer said so. */
  nextRunAt: number | null;
  /** What stopped the run, in words, when the upstream was unreachable. */
  detail?: string;
  /** The database error that ended the run (stoppedBy: error). */
  failure?: unknown;
}

/** Past this share of STALE_AFTER, a confirmation with nothing new rewrites lastSyncedAt. */
const MARKER_SHARE = 1 / 4;

class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

/** Visits due repositories until the run must stop; a database failure ends it with stoppedBy error. */
export async function runBody(deps: RunBodyDeps, input: RunBodyInput): Promise<RunBodyResult> {
  const { config, db, clock, log, sync } = deps;
  const { lease, progress } = input;
  const tracked = await db.repos.countDocuments({});
  progress.due = tracked;

  const stop = new RunStop(input.signal);
  const renewal = keepLease(lease, { ttlMs: sync.options.leaseTtlMs, clock, log, onLost: () => stop.halt('lease_lost', { abortInFlight: true }) });
  const writer = new RecordWriter(db.repos, {
    mode: sync.options.writeMode,
    batchSize: sync.options.batchSize,
    beforeWrite: async () => {
      if (!(await lease.verify())) throw new LeaseLostError('the sync lease is no longer ours');
    },
  });
  const counts = emptyCounts();
  const context: VisitContext = {
    sync,
    clock,
    log,
    token: lease.token,
    deadline: input.startedAt.getTime() + config.SYNC_DEADLINE,
    markerIntervalMs: config.STALE_AFTER * MARKER_SHARE,
    counts,
    progress,
    writer,
    stop,
  };
  const visited = new Set<string>();
  const due = dueRepos(db.repos, { checks: sync.checks, visited, pageSize: sync.options.pageSize });

  /** Visits the next due repository; false when the run is over. */
  const step = async (): Promise<boolean> => {
    if (stop.reason !== null) return false;
    if (stop.signal.aborted) return (stop.halt('aborted'), false);
    if (clock.now().getTime() >= context.deadline) return (stop.halt('deadline'), false);
    const next = await due.next();
    if (next.done || stop.reason !== null) return false;
    visited.add(next.value._id);
    await visit(next.value, context);
    await renewal.ifDue();
    return true;
  };

  // A worker that fails stops the others (in-flight requests aborted) and lets them end,
  // so nothing is still fetching or writing once the run reports and releases the lease.
  let workerError: unknown;
  const worker = async (once = false) => {
    try {
      while ((await step()) && !once);
    } catch (error) {
      if (error instanceof LeaseLostError) return stop.halt('lease_lost', { abortInFlight: true });
      workerError ??= error;
      stop.halt('error', { abortInFlight: true });
    }
  };
  let failure: unknown;
  try {
    // Until an answer confirms the real limit, one request alone: a concurrent first burst
    // could overshoot a limit smaller than assumed (another consumer, a smaller quota).
    const concurrency = config.SYNC_CONCURRENCY;
    if (concurrency > 1 && !sync.github.budget.state().confirmed) await worker(true);
    await Promise.all(Array.from({ length: concurrency }, () => worker()));
    if (workerError !== undefined) {
      await writer.discard(); // a batch still being sent ends before the lease is released
      throw workerError;
    }
    if (stop.reason === 'lease_lost') await writer.discard();
    else await writer.flush();
  } catch (error) {
    await writer.discard().catch(() => {});
    if (error instanceof LeaseLostError) stop.halt('lease_lost');
    else failure = error;
  } finally {
    renewal.stop();
    await due.return(undefined);
  }
  return {
    stoppedBy: failure === undefined ? (stop.reason ?? 'done') : 'error',
    tracked,
    counts,
    writes: { ...writer.stats },
    nextRunAt: stop.nextRunAt,
    ...(stop.detail !== undefined && { detail: stop.detail }),
    ...(failure !== undefined && { failure }),
  };
}
